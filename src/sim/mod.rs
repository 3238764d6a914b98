//! The deterministic simulation: one clock, one event queue ordered by
//! (time_ms, seq), one seeded PRNG forked per subsystem, the network, and the
//! nodes (controller, brokers, clients) driven through their sans-IO interfaces.
//! Same seed + same commands ⇒ same trace hash, natively and in wasm.

pub mod network;
pub mod queue;
pub mod rng;

use crate::broker::disk::Disk;
use crate::broker::group_coordinator::OFFSETS_TOPIC;
use crate::broker::{Broker, BrokerStatus};
use crate::client::consumer::Consumer;
use crate::client::producer::Producer;
use crate::client::reader::Reader;
use crate::command::{Command, ElectionType, MAX_PRODUCE_COUNT, MAX_RUN_MS};
use crate::config::{normalize_value, BrokerConfig, ConsumerConfig, ProducerConfig, Scope, TopicConfig};
use crate::controller::assignment::{assign_replicas_to_brokers, AssignmentError, BrokerMetadata};
use crate::controller::election::Election;
use crate::controller::Controller;
use crate::effects::{Effect, Event, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::Msg;
use network::{Network, Transit};
use queue::EventQueue;
use rng::Rng;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The id of the single producer and of the first reader.
pub const PRODUCER_ID: u32 = 1;
/// Most event-log lines kept in memory (older ones are dropped; the trace hash covers all).
pub const MAX_EVENTS_KEPT: usize = 50_000;

#[derive(Debug, Clone, Serialize)]
pub struct BrokerSpec {
    pub id: BrokerId,
    pub rack: Option<String>,
}

/// Everything needed to build a cluster (before any command).
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    pub seed: u64,
    pub brokers: Vec<BrokerSpec>,
    pub broker_config: BrokerConfig,
    pub producer_config: ProducerConfig,
    /// `eligible.leader.replicas.version` ≥ 1 (on by default for clusters created on Kafka 4.1+).
    pub elr_enabled: bool,
}

impl ClusterSpec {
    pub fn new(seed: u64, brokers: usize) -> ClusterSpec {
        ClusterSpec {
            seed,
            brokers: (1..=brokers as i32).map(|id| BrokerSpec { id, rack: None }).collect(),
            broker_config: BrokerConfig::default(),
            producer_config: ProducerConfig::default(),
            elr_enabled: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    Online,
    /// Registered but fenced by the controller (or not yet unfenced).
    Fenced,
    Starting,
    ControlledShutdown,
    Paused,
    Crashed,
    Stopped,
}

#[derive(Debug, Clone)]
pub struct BrokerSlot {
    pub spec: BrokerSpec,
    pub config: BrokerConfig,
    pub process: Option<Broker>,
    /// The disk while no process runs on it.
    pub idle_disk: Option<Disk>,
    pub incarnation: u64,
    pub paused: bool,
    pub crashed: bool,
    deferred: Vec<(NodeId, Msg)>,
}

impl BrokerSlot {
    pub fn disk(&self) -> &Disk {
        match &self.process {
            Some(p) => &p.disk,
            None => self.idle_disk.as_ref().expect("a broker slot always has a disk"),
        }
    }

    pub fn status(&self) -> NodeStatus {
        match &self.process {
            None if self.crashed => NodeStatus::Crashed,
            None => NodeStatus::Stopped,
            Some(_) if self.paused => NodeStatus::Paused,
            Some(p) => match p.status {
                BrokerStatus::Starting => NodeStatus::Starting,
                BrokerStatus::Fenced => NodeStatus::Fenced,
                BrokerStatus::Running => NodeStatus::Online,
                BrokerStatus::ControlledShutdown => NodeStatus::ControlledShutdown,
                BrokerStatus::Stopped => NodeStatus::Stopped,
            },
        }
    }
}

/// A steady producer workload (see `Command::SetWorkload`).
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub topic: String,
    pub records_per_sec: f64,
    pub keys: u32,
    #[serde(skip)]
    carry: f64,
    #[serde(skip)]
    generation: u64,
}

/// Most records a workload may produce per second.
pub const MAX_WORKLOAD_RATE: f64 = 100_000.0;

#[derive(Debug, Clone)]
enum Ev {
    Deliver { from: NodeId, to: NodeId, msg: Msg, to_incarnation: u64, sent_ms: i64 },
    Wake { node: NodeId, incarnation: u64 },
    Resume { broker: BrokerId },
    WorkloadTick { generation: u64 },
}

/// A message on the wire, for views (dots moving along links).
#[derive(Debug, Clone, Serialize)]
pub struct InFlightMessage {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: &'static str,
    pub sent_ms: i64,
    pub deliver_at_ms: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NetStats {
    pub delivered: u64,
    pub dropped_cut: u64,
    pub dropped_loss: u64,
    pub dropped_node_down: u64,
}

#[derive(Clone)]
pub struct Sim {
    pub spec: ClusterSpec,
    now_ms: i64,
    queue: EventQueue<Ev>,
    pub network: Network,
    placement_rng: Rng,
    pub controller: Controller,
    pub brokers: BTreeMap<BrokerId, BrokerSlot>,
    pub producer: Producer,
    pub readers: BTreeMap<u32, Reader>,
    /// Consumers in groups (crashed and closed ones stay, for the audit).
    pub consumers: BTreeMap<u32, Consumer>,
    pub crashed_consumers: BTreeSet<u32>,
    /// Pending wake-ups by (node, time, incarnation): a restarted node gets its own.
    scheduled_wakes: BTreeSet<(NodeId, i64, u64)>,
    pub events: Vec<Event>,
    pub events_dropped: usize,
    trace_hash: u64,
    next_write_id: u64,
    pub events_processed: u64,
    pub net_stats: NetStats,
    /// Every command applied, in order, with the time it was applied.
    pub command_log: Vec<(i64, Command)>,
    pub workload: Option<Workload>,
    workload_rng: Rng,
    /// The node whose state the last event could have changed (for incremental checks).
    pub last_node: Option<NodeId>,
    /// Bumped on every crash, restart, shutdown and pause change (for incremental checks).
    pub disruptions: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01B3;

fn node_code(n: NodeId) -> u64 {
    match n {
        NodeId::Controller => 1 << 40,
        NodeId::Broker(b) => (2 << 40) | (b as u32 as u64),
        NodeId::Producer(p) => (3 << 40) | p as u64,
        NodeId::Reader(r) => (4 << 40) | r as u64,
        NodeId::Consumer(c) => (5 << 40) | c as u64,
    }
}

impl Sim {
    /// Builds the cluster and starts every broker; they register with the controller.
    pub fn new(spec: ClusterSpec) -> Result<Sim, CommandError> {
        if spec.brokers.is_empty() || spec.brokers.len() > 12 {
            return Err(CommandError::invalid_request("brokers", format!("a cluster has 1 to 12 brokers, got {}", spec.brokers.len())));
        }
        let mut ids = BTreeSet::new();
        for b in &spec.brokers {
            if b.id < 0 || !ids.insert(b.id) {
                return Err(CommandError::invalid_request("brokers", format!("broker ids must be distinct and ≥ 0 (got {})", b.id)));
            }
        }
        let racks = spec.brokers.iter().filter(|b| b.rack.is_some()).count();
        if racks != 0 && racks != spec.brokers.len() {
            return Err(CommandError::invalid_request(
                "brokers",
                "either every broker has a rack or none has (Kafka: \"Not all brokers have rack information\")",
            ));
        }
        let root = Rng::new(spec.seed);
        let mut network = Network::new(root.fork("network"));
        network.min_latency_ms = 1;
        network.max_latency_ms = 3;
        let bootstrap: Vec<BrokerId> = spec.brokers.iter().map(|b| b.id).collect();
        let mut sim = Sim {
            controller: Controller::new(spec.broker_config.clone(), spec.elr_enabled),
            producer: Producer::new(PRODUCER_ID, spec.producer_config.clone(), bootstrap, root.fork("producer")),
            readers: BTreeMap::new(),
            consumers: BTreeMap::new(),
            crashed_consumers: BTreeSet::new(),
            now_ms: 0,
            queue: EventQueue::default(),
            network,
            placement_rng: root.fork("placement"),
            brokers: BTreeMap::new(),
            scheduled_wakes: BTreeSet::new(),
            events: vec![],
            events_dropped: 0,
            trace_hash: FNV_OFFSET,
            next_write_id: 1,
            events_processed: 0,
            net_stats: NetStats::default(),
            command_log: vec![],
            workload: None,
            workload_rng: root.fork("workload"),
            last_node: None,
            disruptions: 0,
            spec,
        };
        for b in sim.spec.brokers.clone() {
            let config = sim.spec.broker_config.clone();
            sim.brokers.insert(
                b.id,
                BrokerSlot {
                    spec: b.clone(),
                    config,
                    process: None,
                    idle_disk: Some(Disk::default()),
                    incarnation: 0,
                    paused: false,
                    crashed: false,
                    deferred: vec![],
                },
            );
            sim.start_broker(b.id);
        }
        sim.schedule_wake(NodeId::Controller, 0, 0);
        Ok(sim)
    }

    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Time of the next queued event, if any.
    pub fn next_event_time(&self) -> Option<i64> {
        self.queue.peek_time()
    }

    pub fn trace_hash(&self) -> u64 {
        self.trace_hash
    }

    fn mix(&mut self, v: u64) {
        for b in v.to_le_bytes() {
            self.trace_hash ^= b as u64;
            self.trace_hash = self.trace_hash.wrapping_mul(FNV_PRIME);
        }
    }

    fn mix_str(&mut self, s: &str) {
        for b in s.bytes() {
            self.trace_hash ^= b as u64;
            self.trace_hash = self.trace_hash.wrapping_mul(FNV_PRIME);
        }
    }

    fn incarnation_of(&self, n: NodeId) -> u64 {
        match n {
            NodeId::Broker(b) => self.brokers.get(&b).map(|s| s.incarnation).unwrap_or(0),
            _ => 0,
        }
    }

    fn start_broker(&mut self, id: BrokerId) {
        let now = self.now_ms;
        let slot = self.brokers.get_mut(&id).unwrap();
        slot.incarnation += 1;
        let disk = slot.idle_disk.take().unwrap_or_default();
        slot.process = Some(Broker::start(id, slot.spec.rack.clone(), slot.config.clone(), disk, slot.incarnation, now));
        slot.crashed = false;
        slot.paused = false;
        slot.deferred.clear();
        let inc = slot.incarnation;
        self.schedule_wake(NodeId::Broker(id), now, inc);
    }

    fn schedule_wake(&mut self, node: NodeId, at: i64, incarnation: u64) {
        if at == i64::MAX {
            return;
        }
        let at = at.max(self.now_ms);
        if self.scheduled_wakes.insert((node, at, incarnation)) {
            self.queue.push(at, Ev::Wake { node, incarnation });
        }
    }

    fn log_event(&mut self, node: NodeId, category: &'static str, message: String) {
        self.mix(self.now_ms as u64);
        self.mix(node_code(node));
        self.mix_str(&message);
        if self.events.len() >= MAX_EVENTS_KEPT {
            let drop = MAX_EVENTS_KEPT / 2;
            self.events.drain(..drop);
            self.events_dropped += drop;
        }
        self.events.push(Event { time_ms: self.now_ms, node, category, message });
    }

    fn apply_effects(&mut self, node: NodeId, out: Out) {
        let inc = self.incarnation_of(node);
        for e in out.effects {
            match e {
                Effect::Send { to, msg } => match self.network.transmit(self.now_ms, node, to) {
                    Transit::DeliverAt(at) => {
                        let to_incarnation = self.incarnation_of(to);
                        self.queue.push(at, Ev::Deliver { from: node, to, msg, to_incarnation, sent_ms: self.now_ms });
                    }
                    Transit::Dropped(why) => {
                        if why == "link cut" {
                            self.net_stats.dropped_cut += 1;
                        } else {
                            self.net_stats.dropped_loss += 1;
                        }
                    }
                },
                Effect::WakeAt(t) => self.schedule_wake(node, t, inc),
                Effect::Log { category, message } => self.log_event(node, category, message),
            }
        }
    }

    /// Is the node able to receive now (not crashed/stopped, same incarnation)?
    fn node_up(&self, n: NodeId, incarnation: u64) -> bool {
        match n {
            NodeId::Broker(b) => self.brokers.get(&b).is_some_and(|s| s.process.is_some() && s.incarnation == incarnation),
            NodeId::Controller => true,
            NodeId::Producer(p) => p == PRODUCER_ID,
            NodeId::Reader(r) => self.readers.contains_key(&r),
            NodeId::Consumer(c) => self.consumers.contains_key(&c) && !self.crashed_consumers.contains(&c),
        }
    }

    fn dispatch(&mut self, to: NodeId, from: NodeId, msg: Msg) {
        let now = self.now_ms;
        let mut out = Out::default();
        match to {
            NodeId::Controller => self.controller.on_message(now, from, msg, &mut out),
            NodeId::Broker(b) => {
                let slot = self.brokers.get_mut(&b).unwrap();
                if slot.paused {
                    slot.deferred.push((from, msg));
                    return;
                }
                if let Some(p) = slot.process.as_mut() {
                    p.on_message(now, from, msg, &mut out);
                }
            }
            NodeId::Producer(_) => self.producer.on_message(now, from, msg, &mut out),
            NodeId::Reader(r) => {
                if let Some(rd) = self.readers.get_mut(&r) {
                    rd.on_message(now, from, msg, &mut out);
                }
            }
            NodeId::Consumer(c) => {
                if let Some(cs) = self.consumers.get_mut(&c) {
                    cs.on_message(now, from, msg, &mut out);
                }
            }
        }
        self.apply_effects(to, out);
        self.after_broker_event(to);
    }

    fn tick(&mut self, node: NodeId) {
        let now = self.now_ms;
        let mut out = Out::default();
        match node {
            NodeId::Controller => self.controller.on_tick(now, &mut out),
            NodeId::Broker(b) => {
                let slot = self.brokers.get_mut(&b).unwrap();
                if slot.paused {
                    return;
                }
                if let Some(p) = slot.process.as_mut() {
                    p.on_tick(now, &mut out);
                }
            }
            NodeId::Producer(_) => self.producer.on_tick(now, &mut out),
            NodeId::Reader(r) => {
                if let Some(rd) = self.readers.get_mut(&r) {
                    rd.on_tick(now, &mut out);
                }
            }
            NodeId::Consumer(c) => {
                if let Some(cs) = self.consumers.get_mut(&c) {
                    cs.on_tick(now, &mut out);
                }
            }
        }
        self.apply_effects(node, out);
        self.after_broker_event(node);
    }

    /// A broker that finished a clean shutdown leaves the simulation; its disk stays.
    fn after_broker_event(&mut self, node: NodeId) {
        if let NodeId::Broker(b) = node {
            let slot = self.brokers.get_mut(&b).unwrap();
            if slot.process.as_ref().is_some_and(|p| p.is_stopped()) {
                let p = slot.process.take().unwrap();
                slot.idle_disk = Some(p.disk);
                slot.crashed = false;
            }
        }
    }

    /// Processes one event. Returns false when the queue is empty.
    pub fn step(&mut self) -> bool {
        let Some((t, _seq, ev)) = self.queue.pop() else { return false };
        self.now_ms = t;
        self.last_node = match &ev {
            Ev::Deliver { to, .. } => Some(*to),
            Ev::Wake { node, .. } => Some(*node),
            Ev::Resume { broker } => Some(NodeId::Broker(*broker)),
            Ev::WorkloadTick { .. } => Some(NodeId::Producer(PRODUCER_ID)),
        };
        self.events_processed += 1;
        match ev {
            Ev::Deliver { from, to, msg, to_incarnation, .. } => {
                self.mix(t as u64);
                self.mix(node_code(from));
                self.mix(node_code(to));
                self.mix_str(msg.kind());
                if self.network.is_cut(from, to) {
                    // In-flight packets on a link that was cut are lost.
                    self.net_stats.dropped_cut += 1;
                    return true;
                }
                if !self.node_up(to, to_incarnation) {
                    self.net_stats.dropped_node_down += 1;
                    // The peer is down or restarted: the sender's connection is reset.
                    let expects_response = msg.expects_response();
                    if expects_response && !self.network.is_cut(to, from) {
                        let reply = Msg::Disconnected { lost: msg.kind(), correlation_id: msg.correlation_id() };
                        let at = t + self.network.min_latency_ms.max(1);
                        let inc = self.incarnation_of(from);
                        self.queue.push(at, Ev::Deliver { from: to, to: from, msg: reply, to_incarnation: inc, sent_ms: t });
                    }
                    return true;
                }
                self.net_stats.delivered += 1;
                self.dispatch(to, from, msg);
            }
            Ev::Wake { node, incarnation } => {
                self.scheduled_wakes.remove(&(node, t, incarnation));
                if self.node_up(node, incarnation) || node == NodeId::Controller {
                    self.tick(node);
                }
            }
            Ev::Resume { broker } => self.resume_broker(broker),
            Ev::WorkloadTick { generation } => self.workload_tick(generation),
        }
        true
    }

    /// Tick period of a workload: one record per tick up to 100/s, then batches every 10 ms.
    fn workload_period_ms(rate: f64) -> i64 {
        if rate > 100.0 {
            10
        } else {
            (1000.0 / rate).round().max(1.0) as i64
        }
    }

    fn workload_tick(&mut self, generation: u64) {
        let Some(w) = self.workload.as_mut() else { return };
        if w.generation != generation || w.records_per_sec <= 0.0 {
            return;
        }
        let period = Self::workload_period_ms(w.records_per_sec);
        let exact = w.records_per_sec * period as f64 / 1000.0 + w.carry;
        let n = exact.floor() as u64;
        w.carry = exact - n as f64;
        let (topic, keys) = (w.topic.clone(), w.keys);
        if self.controller.topics.contains_key(&topic) {
            for _ in 0..n {
                let id = self.next_write_id;
                self.next_write_id += 1;
                let key: Option<Rc<str>> =
                    if keys == 0 { None } else { Some(format!("key-{}", self.workload_rng.range_inclusive(0, keys as u64 - 1)).into()) };
                let value: Rc<str> = format!("v{id}").into();
                self.producer.send(self.now_ms, id, &topic, None, key, Some(value));
            }
            if n > 0 {
                self.schedule_wake(NodeId::Producer(PRODUCER_ID), self.now_ms, 0);
            }
        }
        self.queue.push(self.now_ms + period, Ev::WorkloadTick { generation });
    }

    /// Runs every event up to and including `until_ms`, then sets the clock there.
    pub fn run_until(&mut self, until_ms: i64) {
        while let Some(t) = self.queue.peek_time() {
            if t > until_ms {
                break;
            }
            self.step();
        }
        self.now_ms = self.now_ms.max(until_ms);
    }

    pub fn run_for(&mut self, ms: i64) {
        let until = self.now_ms.saturating_add(ms);
        self.run_until(until);
    }

    pub fn in_flight_count(&self) -> usize {
        self.queue.iter_sorted().iter().filter(|(_, _, e)| matches!(e, Ev::Deliver { .. })).count()
    }

    /// Messages currently on the wire.
    pub fn in_flight(&self) -> Vec<InFlightMessage> {
        self.queue
            .iter_sorted()
            .into_iter()
            .filter_map(|(t, _, ev)| match ev {
                Ev::Deliver { from, to, msg, sent_ms, .. } => {
                    Some(InFlightMessage { from: *from, to: *to, kind: msg.kind(), sent_ms: *sent_ms, deliver_at_ms: t })
                }
                _ => None,
            })
            .collect()
    }

    // ---------------------------------------------------------------- faults

    fn resume_broker(&mut self, b: BrokerId) {
        let Some(slot) = self.brokers.get_mut(&b) else { return };
        if !slot.paused {
            return;
        }
        slot.paused = false;
        let deferred = std::mem::take(&mut slot.deferred);
        let inc = slot.incarnation;
        self.log_event(NodeId::Broker(b), "fault", format!("resumes after a pause ({} message(s) waited)", deferred.len()));
        for (from, msg) in deferred {
            self.dispatch(NodeId::Broker(b), from, msg);
        }
        self.schedule_wake(NodeId::Broker(b), self.now_ms, inc);
    }

    fn broker_slot(&self, b: i32, field: &str) -> Result<&BrokerSlot, CommandError> {
        self.brokers.get(&b).ok_or_else(|| {
            CommandError::new(
                KafkaError::BROKER_NOT_AVAILABLE,
                field,
                format!("there is no broker {b} (brokers: {})", self.brokers.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")),
            )
        })
    }

    fn check_node(&self, n: NodeId, field: &str) -> Result<(), CommandError> {
        match n {
            NodeId::Broker(b) => self.broker_slot(b, field).map(|_| ()),
            NodeId::Controller | NodeId::Producer(PRODUCER_ID) => Ok(()),
            NodeId::Reader(r) if self.readers.contains_key(&r) => Ok(()),
            NodeId::Consumer(c) if self.consumers.contains_key(&c) => Ok(()),
            other => Err(CommandError::invalid_request(field, format!("there is no node {other}"))),
        }
    }

    // --------------------------------------------------------------- commands

    fn create_topic(
        &mut self,
        name: &str,
        partitions: Option<u32>,
        rf: Option<u16>,
        config: &BTreeMap<String, Value>,
        assignment: Option<&BTreeMap<String, Vec<i32>>>,
    ) -> Result<(), CommandError> {
        let mut tc = TopicConfig::default();
        for (k, v) in config {
            tc.set(k, v)?;
        }
        let assignment = match assignment {
            Some(raw) => {
                let mut a: BTreeMap<u32, Vec<i32>> = BTreeMap::new();
                for (k, v) in raw {
                    let p: u32 = k.parse().map_err(|_| {
                        CommandError::new(KafkaError::INVALID_REPLICA_ASSIGNMENT, "assignment", format!("'{k}' is not a partition number"))
                    })?;
                    a.insert(p, v.clone());
                }
                if a.is_empty() {
                    return Err(CommandError::new(
                        KafkaError::INVALID_REPLICA_ASSIGNMENT,
                        "assignment",
                        "the assignment names no partition",
                    ));
                }
                let expected: Vec<u32> = (0..a.len() as u32).collect();
                let got: Vec<u32> = a.keys().copied().collect();
                if got != expected {
                    return Err(CommandError::new(
                        KafkaError::INVALID_REPLICA_ASSIGNMENT,
                        "assignment",
                        "partitions must be numbered 0, 1, 2, … without gaps",
                    ));
                }
                let rf0 = a[&0].len();
                if a.values().any(|r| r.len() != rf0) {
                    return Err(CommandError::new(
                        KafkaError::INVALID_REPLICA_ASSIGNMENT,
                        "assignment",
                        "every partition must have the same number of replicas",
                    ));
                }
                a
            }
            None => {
                let n = partitions.unwrap_or(self.spec.broker_config.num_partitions as u32);
                let rf = rf.unwrap_or(self.spec.broker_config.default_replication_factor as u16);
                if n == 0 || n > 1000 {
                    return Err(CommandError::new(
                        KafkaError::INVALID_PARTITIONS,
                        "partitions",
                        format!("number of partitions must be in [1, 1000], got {n}"),
                    ));
                }
                let metas: Vec<BrokerMetadata> =
                    self.brokers.values().map(|s| BrokerMetadata { id: s.spec.id, rack: s.spec.rack.clone() }).collect();
                let start = self.placement_rng.range_inclusive(0, metas.len() as u64 - 1) as usize;
                let shift = self.placement_rng.range_inclusive(0, metas.len() as u64 - 1) as usize;
                assign_replicas_to_brokers(&metas, n, rf, Some(start), Some(shift), 0).map_err(|e| match e {
                    AssignmentError::InvalidPartitions(m) => CommandError::new(KafkaError::INVALID_PARTITIONS, "partitions", m),
                    AssignmentError::InvalidReplicationFactor(m) => {
                        CommandError::new(KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor", m)
                    }
                    AssignmentError::InvalidRackConfiguration(m) => CommandError::new(KafkaError::INVALID_REPLICA_ASSIGNMENT, "brokers", m),
                })?
            }
        };
        let mut out = Out::default();
        self.controller.create_topic(self.now_ms, name, assignment, tc, &mut out)?;
        self.apply_effects(NodeId::Controller, out);
        Ok(())
    }

    /// Applies one command. Errors name the field; nothing panics on bad input.
    pub fn apply(&mut self, cmd: Command) -> Result<(), CommandError> {
        let logged = cmd.clone();
        let now = self.now_ms;
        self.last_node = None; // a command may touch anything
        self.disruptions += 1;
        match cmd {
            Command::CreateTopic { name, partitions, replication_factor, config, assignment } => {
                self.create_topic(&name, partitions, replication_factor, &config, assignment.as_ref())?;
            }
            Command::Produce { topic, partition, key, value, count, tombstone } => {
                if count == 0 || count > MAX_PRODUCE_COUNT {
                    return Err(CommandError::invalid_request("count", format!("count must be in [1, {MAX_PRODUCE_COUNT}], got {count}")));
                }
                if !self.controller.topics.contains_key(&topic) {
                    return Err(CommandError::new(
                        KafkaError::UNKNOWN_TOPIC_OR_PARTITION,
                        "topic",
                        format!("topic '{topic}' does not exist"),
                    ));
                }
                if let Some(p) = partition {
                    if !self.controller.partitions.contains_key(&TopicPartition::new(&topic, p)) {
                        return Err(CommandError::new(
                            KafkaError::UNKNOWN_TOPIC_OR_PARTITION,
                            "partition",
                            format!("{topic}-{p} does not exist"),
                        ));
                    }
                }
                let key: Option<Rc<str>> = key.map(|k| k.into());
                for i in 0..count {
                    let id = self.next_write_id;
                    self.next_write_id += 1;
                    let v: Rc<str> = match (&value, count) {
                        (Some(v), 1) => v.as_str().into(),
                        (Some(v), _) => format!("{v}-{i}").into(),
                        (None, _) => format!("v{id}").into(),
                    };
                    self.producer.send(now, id, &topic, partition, key.clone(), if tombstone { None } else { Some(v) });
                }
                self.schedule_wake(NodeId::Producer(PRODUCER_ID), now, 0);
            }
            Command::CrashBroker { broker, keep_page_cache } => {
                self.broker_slot(broker, "broker")?;
                let slot = self.brokers.get_mut(&broker).unwrap();
                let Some(p) = slot.process.take() else {
                    return Err(CommandError::new(KafkaError::BROKER_NOT_AVAILABLE, "broker", format!("broker {broker} is not running")));
                };
                let held = p.held_requests();
                let mut disk = p.disk;
                let lost: i64 =
                    if keep_page_cache { 0 } else { disk.logs.values().map(|l| l.log_end_offset() - l.durable_end_offset()).sum() };
                if !keep_page_cache {
                    disk.lose_page_cache();
                }
                disk.clean_shutdown_broker_epoch = None;
                slot.idle_disk = Some(disk);
                slot.crashed = true;
                slot.paused = false;
                slot.deferred.clear();
                slot.incarnation += 1;
                let what = if keep_page_cache {
                    "crashes (process killed; the page cache survives)".to_string()
                } else {
                    format!("crashes (power loss): volatile state gone, {lost} unflushed record(s) lost from the page cache")
                };
                self.log_event(NodeId::Broker(broker), "fault", what);
                // The OS closes the dead process's sockets: clients waiting on it see a reset.
                for (to, lost, correlation_id) in held {
                    if !self.network.is_cut(NodeId::Broker(broker), to) {
                        let at = now + self.network.min_latency_ms.max(1);
                        let inc = self.incarnation_of(to);
                        let msg = Msg::Disconnected { lost, correlation_id };
                        self.queue.push(at, Ev::Deliver { from: NodeId::Broker(broker), to, msg, to_incarnation: inc, sent_ms: now });
                    }
                }
            }
            Command::RestartBroker { broker } => {
                self.broker_slot(broker, "broker")?;
                if self.brokers[&broker].process.is_some() {
                    return Err(CommandError::invalid_request("broker", format!("broker {broker} is already running")));
                }
                self.log_event(NodeId::Broker(broker), "fault", "starts (recovering its logs from disk)".into());
                self.start_broker(broker);
            }
            Command::ShutdownBroker { broker } => {
                self.broker_slot(broker, "broker")?;
                let slot = self.brokers.get_mut(&broker).unwrap();
                let Some(p) = slot.process.as_mut() else {
                    return Err(CommandError::new(KafkaError::BROKER_NOT_AVAILABLE, "broker", format!("broker {broker} is not running")));
                };
                let mut out = Out::default();
                p.begin_shutdown(now, &mut out);
                self.apply_effects(NodeId::Broker(broker), out);
                self.after_broker_event(NodeId::Broker(broker));
            }
            Command::PauseBroker { broker, ms } => {
                self.broker_slot(broker, "broker")?;
                if let Some(ms) = ms {
                    if ms <= 0 || ms > MAX_RUN_MS {
                        return Err(CommandError::invalid_request("ms", format!("pause must last 1 to {MAX_RUN_MS} ms")));
                    }
                }
                let slot = self.brokers.get_mut(&broker).unwrap();
                if slot.process.is_none() {
                    return Err(CommandError::new(KafkaError::BROKER_NOT_AVAILABLE, "broker", format!("broker {broker} is not running")));
                }
                slot.paused = true;
                self.log_event(
                    NodeId::Broker(broker),
                    "fault",
                    match ms {
                        Some(ms) => format!("pauses for {ms} ms (stop-the-world GC)"),
                        None => "pauses (stop-the-world GC)".into(),
                    },
                );
                if let Some(ms) = ms {
                    self.queue.push(now + ms, Ev::Resume { broker });
                }
            }
            Command::ResumeBroker { broker } => {
                self.broker_slot(broker, "broker")?;
                self.resume_broker(broker);
            }
            Command::CutLink { from, to, one_way } => {
                self.check_node(from, "from")?;
                self.check_node(to, "to")?;
                self.network.cut(from, to, !one_way);
                self.log_event(from, "fault", format!("link {from} {} {to} cut", if one_way { "→" } else { "↔" }));
            }
            Command::HealLink { from, to, one_way } => {
                self.check_node(from, "from")?;
                self.check_node(to, "to")?;
                self.network.heal(from, to, !one_way);
                self.log_event(from, "fault", format!("link {from} {} {to} healed", if one_way { "→" } else { "↔" }));
            }
            Command::Isolate { node } => {
                self.check_node(node, "node")?;
                let mut others: Vec<NodeId> = vec![NodeId::Controller, NodeId::Producer(PRODUCER_ID)];
                others.extend(self.brokers.keys().map(|b| NodeId::Broker(*b)));
                others.extend(self.readers.keys().map(|r| NodeId::Reader(*r)));
                others.extend(self.consumers.keys().map(|c| NodeId::Consumer(*c)));
                for o in others {
                    if o != node {
                        self.network.cut(node, o, true);
                    }
                }
                self.log_event(node, "fault", format!("{node} isolated from every other node"));
            }
            Command::HealAll => {
                self.network.heal_all();
                self.log_event(NodeId::Controller, "fault", "network healed: every link restored".into());
            }
            Command::SlowLink { from, to, extra_latency_ms, one_way } => {
                self.check_node(from, "from")?;
                self.check_node(to, "to")?;
                if !(0..=600_000).contains(&extra_latency_ms) {
                    return Err(CommandError::invalid_request("extra_latency_ms", "extra latency must be in [0, 600000] ms"));
                }
                let mut pairs = vec![(from, to)];
                if !one_way {
                    pairs.push((to, from));
                }
                for p in pairs {
                    self.network.links.entry(p).or_default().extra_latency_ms = extra_latency_ms;
                }
                self.log_event(
                    from,
                    "fault",
                    format!("link {from} {} {to} slowed by {extra_latency_ms} ms", if one_way { "→" } else { "↔" }),
                );
            }
            Command::SetLinkLoss { from, to, loss, one_way } => {
                self.check_node(from, "from")?;
                self.check_node(to, "to")?;
                if !(0.0..=1.0).contains(&loss) {
                    return Err(CommandError::invalid_request("loss", "loss must be a probability in [0, 1]"));
                }
                let mut pairs = vec![(from, to)];
                if !one_way {
                    pairs.push((to, from));
                }
                for p in pairs {
                    self.network.links.entry(p).or_default().loss = Some(loss);
                }
            }
            Command::SetNetwork { min_latency_ms, max_latency_ms, loss } => {
                let min = min_latency_ms.unwrap_or(self.network.min_latency_ms);
                let max = max_latency_ms.unwrap_or(self.network.max_latency_ms);
                let loss = loss.unwrap_or(self.network.loss);
                if !(0..=60_000).contains(&min) || !(0..=60_000).contains(&max) || min > max {
                    return Err(CommandError::invalid_request(
                        "min_latency_ms",
                        format!("latency must satisfy 0 ≤ min ≤ max ≤ 60000 ms (got {min}..{max})"),
                    ));
                }
                if !(0.0..=1.0).contains(&loss) {
                    return Err(CommandError::invalid_request("loss", "loss must be a probability in [0, 1]"));
                }
                self.network.min_latency_ms = min;
                self.network.max_latency_ms = max;
                self.network.loss = loss;
            }
            Command::SetBrokerConfig { broker, key, value } => {
                if key.starts_with("sim.network.") {
                    return Err(CommandError::invalid_config(&key, "network settings are changed with set_network"));
                }
                let targets: Vec<BrokerId> = match broker {
                    Some(b) => {
                        self.broker_slot(b, "broker")?;
                        vec![b]
                    }
                    None => self.brokers.keys().copied().collect(),
                };
                // Validate once before changing anything.
                BrokerConfig::default().set(&key, &value)?;
                for b in &targets {
                    let slot = self.brokers.get_mut(b).unwrap();
                    slot.config.set(&key, &value)?;
                    if let Some(p) = slot.process.as_mut() {
                        p.config.set(&key, &value)?;
                        p.refresh_log_configs();
                        p.reschedule_timers(now);
                    }
                }
                if broker.is_none() {
                    self.spec.broker_config.set(&key, &value)?;
                    self.controller.config.set(&key, &value)?;
                }
                for b in &targets {
                    let inc = self.brokers[b].incarnation;
                    self.schedule_wake(NodeId::Broker(*b), now, inc);
                }
                let v = normalize_value(if key.starts_with("sim.") { Scope::Simulation } else { Scope::Broker }, &key, &value)?;
                self.log_event(
                    NodeId::Controller,
                    "config",
                    format!(
                        "{key}={v} on {}",
                        match broker {
                            Some(b) => format!("broker {b}"),
                            None => "every broker".into(),
                        }
                    ),
                );
            }
            Command::SetTopicConfig { topic, key, value } => {
                let mut tc = self.controller.topics.get(&topic).cloned().ok_or_else(|| {
                    CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topic", format!("topic '{topic}' does not exist"))
                })?;
                if value.is_null() {
                    tc.delete(&key)?;
                } else {
                    tc.set(&key, &value)?;
                }
                let mut out = Out::default();
                self.controller.alter_topic_config(&topic, tc, &mut out)?;
                self.apply_effects(NodeId::Controller, out);
                self.log_event(
                    NodeId::Controller,
                    "config",
                    format!("topic {topic}: {key}={}", if value.is_null() { "(default)".to_string() } else { value.to_string() }),
                );
            }
            Command::SetProducerConfig { key, value } => {
                self.producer.config.set(&key, &value)?;
                self.producer.metadata.max_age_ms = self.producer.config.metadata_max_age_ms;
                self.producer.metadata.request_timeout_ms = self.producer.config.request_timeout_ms;
            }
            Command::ElectLeaders { topic, partition, election_type } => {
                let tp = TopicPartition::new(&topic, partition);
                let mut out = Out::default();
                let election = match election_type {
                    ElectionType::Preferred => Election::Preferred,
                    ElectionType::Unclean => Election::Unclean,
                };
                let r = self.controller.elect_leader(now, &tp, election, &mut out);
                self.apply_effects(NodeId::Controller, out);
                r?;
            }
            Command::SetWorkload { topic, records_per_sec, keys } => {
                if !records_per_sec.is_finite() || !(0.0..=MAX_WORKLOAD_RATE).contains(&records_per_sec) {
                    return Err(CommandError::invalid_request(
                        "records_per_sec",
                        format!("records_per_sec must be in [0, {MAX_WORKLOAD_RATE}]"),
                    ));
                }
                if keys > 1_000_000 {
                    return Err(CommandError::invalid_request("keys", "keys must be in [0, 1000000]"));
                }
                if records_per_sec > 0.0 && !self.controller.topics.contains_key(&topic) {
                    return Err(CommandError::new(
                        KafkaError::UNKNOWN_TOPIC_OR_PARTITION,
                        "topic",
                        format!("topic '{topic}' does not exist"),
                    ));
                }
                let generation = self.workload.as_ref().map(|w| w.generation + 1).unwrap_or(1);
                self.workload = Some(Workload { topic: topic.clone(), records_per_sec, keys, carry: 0.0, generation });
                if records_per_sec > 0.0 {
                    self.queue.push(now, Ev::WorkloadTick { generation });
                    self.log_event(
                        NodeId::Producer(PRODUCER_ID),
                        "produce",
                        format!(
                            "workload: {records_per_sec} records/s to {topic}{}",
                            if keys > 0 { format!(" over {keys} keys") } else { String::new() }
                        ),
                    );
                } else {
                    self.log_event(NodeId::Producer(PRODUCER_ID), "produce", "workload stopped".into());
                }
            }
            Command::StartReader { topic, partition } => {
                let tp = TopicPartition::new(&topic, partition);
                if !self.controller.partitions.contains_key(&tp) {
                    return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "partition", format!("{tp} does not exist")));
                }
                let id = self.readers.keys().next_back().map(|k| k + 1).unwrap_or(1);
                let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
                self.readers.insert(id, Reader::new(id, tp, bootstrap));
                self.schedule_wake(NodeId::Reader(id), now, 0);
            }
            Command::StartConsumer { group_id, topics, config } => {
                self.start_consumer(&group_id, &topics, &config)?;
            }
            Command::StopConsumer { consumer } => {
                self.consumer_mut(consumer)?;
                let mut out = Out::default();
                self.consumers.get_mut(&consumer).unwrap().close(now, &mut out);
                self.apply_effects(NodeId::Consumer(consumer), out);
            }
            Command::CrashConsumer { consumer } => {
                self.consumer_mut(consumer)?;
                self.crashed_consumers.insert(consumer);
                self.log_event(
                    NodeId::Consumer(consumer),
                    "fault",
                    "crashes: no LeaveGroup, no commit; the coordinator waits for session.timeout.ms".into(),
                );
            }
            Command::StallConsumer { consumer, ms } => {
                if !(1..=MAX_RUN_MS).contains(&ms) {
                    return Err(CommandError::invalid_request("ms", format!("a stall lasts 1 to {MAX_RUN_MS} ms")));
                }
                self.consumer_mut(consumer)?.stall(now, ms);
                self.log_event(NodeId::Consumer(consumer), "fault", format!("the application stops polling for {ms} ms"));
            }
            Command::CommitOffsets { consumer } => {
                self.consumer_mut(consumer)?;
                let mut out = Out::default();
                self.consumers.get_mut(&consumer).unwrap().commit_now(now, &mut out);
                self.apply_effects(NodeId::Consumer(consumer), out);
            }
            Command::SetConsumerConfig { consumer, key, value } => {
                ConsumerConfig::default().set(&key, &value)?;
                let targets: Vec<u32> = match consumer {
                    Some(c) => {
                        self.consumer_mut(c)?;
                        vec![c]
                    }
                    None => self.consumers.keys().copied().collect(),
                };
                for c in targets {
                    self.consumers.get_mut(&c).unwrap().config.set(&key, &value)?;
                    self.schedule_wake(NodeId::Consumer(c), now, 0);
                }
            }
            Command::Run { ms } => {
                if !(0..=MAX_RUN_MS).contains(&ms) {
                    return Err(CommandError::invalid_request("ms", format!("run takes 0 to {MAX_RUN_MS} ms, got {ms}")));
                }
                self.run_for(ms);
            }
            Command::RunUntil { time_ms } => {
                if time_ms < now || time_ms - now > MAX_RUN_MS {
                    return Err(CommandError::invalid_request(
                        "time_ms",
                        format!("time_ms must be between now ({now}) and now + {MAX_RUN_MS}"),
                    ));
                }
                self.run_until(time_ms);
            }
            Command::Step => {
                self.step();
            }
        }
        self.command_log.push((now, logged));
        Ok(())
    }

    fn consumer_mut(&mut self, c: u32) -> Result<&mut Consumer, CommandError> {
        if self.crashed_consumers.contains(&c) {
            return Err(CommandError::invalid_request("consumer", format!("consumer-{c} has crashed")));
        }
        match self.consumers.get_mut(&c) {
            Some(x) if x.state != crate::client::consumer::MemberState::Closed => Ok(x),
            Some(_) => Err(CommandError::invalid_request("consumer", format!("consumer-{c} is closed"))),
            None => Err(CommandError::invalid_request("consumer", format!("there is no consumer-{c}"))),
        }
    }

    /// `consumer.subscribe(topics)` in a new consumer. As a broker does on the first
    /// FindCoordinator, creates `__consumer_offsets` (compacted, `offsets.topic.*`) if missing.
    fn start_consumer(&mut self, group_id: &str, topics: &[String], config: &BTreeMap<String, Value>) -> Result<(), CommandError> {
        if group_id.is_empty()
            || group_id.len() > 249
            || !group_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
        {
            return Err(CommandError::invalid_request(
                "group_id",
                "group.id must be 1 to 249 characters of [a-zA-Z0-9._-] (the playground's limit; Kafka allows any non-empty string)",
            ));
        }
        if topics.is_empty() {
            return Err(CommandError::invalid_request("topics", "subscribe to at least one topic"));
        }
        for t in topics {
            if t == OFFSETS_TOPIC || !self.controller.topics.contains_key(t) {
                return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topics", format!("topic '{t}' does not exist")));
            }
        }
        let mut cc = ConsumerConfig::default();
        for (k, v) in config {
            cc.set(k, v)?;
        }
        if cc.partition_assignment_strategy.is_empty() {
            return Err(CommandError::invalid_config("partition.assignment.strategy", "at least one assignor is needed"));
        }
        // All members of a group subscribe to the same topics here (the assignors' general
        // path for differing subscriptions is not exercised by the playground).
        if let Some(other) =
            self.consumers.values().find(|c| c.group_id == group_id && c.state != crate::client::consumer::MemberState::Closed)
        {
            if other.topics != topics {
                return Err(CommandError::invalid_request(
                    "topics",
                    format!(
                        "members of group {group_id} subscribe to [{}] here; start this consumer with the same topics",
                        other.topics.join(", ")
                    ),
                ));
            }
        }
        if !self.controller.topics.contains_key(OFFSETS_TOPIC) {
            let n = self.spec.broker_config.offsets_topic_num_partitions as u32;
            let rf = self.spec.broker_config.offsets_topic_replication_factor;
            if rf as usize > self.brokers.len() {
                return Err(CommandError::new(
                    KafkaError::COORDINATOR_NOT_AVAILABLE,
                    "offsets.topic.replication.factor",
                    format!(
                        "offsets.topic.replication.factor={rf} but the cluster has {} broker(s): Kafka cannot create {OFFSETS_TOPIC} and consumers get COORDINATOR_NOT_AVAILABLE. Set offsets.topic.replication.factor to at most {}.",
                        self.brokers.len(),
                        self.brokers.len()
                    ),
                ));
            }
            let mut cfg = BTreeMap::new();
            cfg.insert("cleanup.policy".to_string(), Value::String("compact".into()));
            cfg.insert("segment.bytes".to_string(), Value::from(104_857_600));
            self.create_topic(OFFSETS_TOPIC, Some(n), Some(rf as u16), &cfg, None)?;
            self.log_event(
                NodeId::Controller,
                "group",
                format!("creates internal topic {OFFSETS_TOPIC} ({n} partitions, replication factor {rf}, cleanup.policy=compact)"),
            );
        }
        let id = self.consumers.keys().next_back().map(|k| k + 1).unwrap_or(1);
        let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
        self.consumers.insert(id, Consumer::new(id, group_id, topics.to_vec(), cc, bootstrap, self.now_ms));
        self.log_event(
            NodeId::Consumer(id),
            "group",
            format!("consumer-{id} starts in group {group_id}, subscribed to [{}]", topics.join(", ")),
        );
        self.schedule_wake(NodeId::Consumer(id), self.now_ms, 0);
        Ok(())
    }

    /// Runs until every broker is unfenced (or `limit_ms` passes). Returns whether they all are.
    pub fn run_until_brokers_online(&mut self, limit_ms: i64) -> bool {
        let until = self.now_ms + limit_ms;
        while self.now_ms < until {
            if self.brokers.values().all(|s| s.status() == NodeStatus::Online) {
                return true;
            }
            if !self.step() {
                break;
            }
        }
        self.brokers.values().all(|s| s.status() == NodeStatus::Online)
    }

    /// `kafka-topics.sh --describe` from the controller's view.
    pub fn describe(&self, topic: Option<&str>) -> String {
        self.controller.describe(topic)
    }
}
