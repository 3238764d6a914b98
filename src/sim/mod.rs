//! The deterministic simulation: one clock, one event queue ordered by
//! (time_ms, seq), one seeded PRNG forked per subsystem, the network, and the
//! nodes (controller, brokers, clients) driven through their sans-IO interfaces.
//! Same seed + same commands ⇒ same trace hash, natively and in wasm.

mod history;
pub mod network;
pub mod queue;

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
use crate::controller::quorum::{QuorumTimeouts, Voter, VoterDisk, FIRST_VOTER_ID};
use crate::controller::striped_replica_placer::{self, UsableBroker};
use crate::controller::Controller;
use crate::effects::{Effect, Event, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::{MetadataRecord, Msg};
use crate::rng::Rng;
use network::{Network, Transit};
use queue::EventQueue;
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
    /// The machine has no power (a crash without `keep_page_cache`): nothing answers its
    /// connections, not even a TCP reset, so clients wait for their request timeouts.
    pub powered_off: bool,
    /// Requests the powered-off machine swallowed, by (client, request kind, correlation id):
    /// when it boots again the clients' retransmissions meet a fresh kernel that resets them.
    unanswered: Vec<(NodeId, &'static str, u64)>,
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

/// One KRaft controller voter: its process (while running) and its disk.
#[derive(Debug, Clone)]
pub struct VoterSlot {
    pub id: i32,
    pub process: Option<Voter>,
    /// The metadata log and quorum-state while no process runs.
    pub idle_disk: Option<VoterDisk>,
    pub incarnation: u64,
}

/// A voter as the views show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VoterStatus {
    /// The quorum leader on which the controller runs.
    Active,
    /// Running, not the active controller (a follower, or between elections).
    Standby,
    Crashed,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoterView {
    pub id: i32,
    /// `controller-3000`: the name in events, links and commands.
    pub node: NodeId,
    pub status: VoterStatus,
    /// `QuorumState`: leader, follower, prospective, candidate, unattached, resigned; `crashed`.
    pub raft_state: &'static str,
    /// The quorum epoch this voter is in (its durable epoch when crashed).
    pub epoch: i32,
    /// The leader it knows of in that epoch.
    pub leader: Option<i32>,
    pub voted_for: Option<i32>,
    pub log_end_offset: i64,
    /// Committed offset as this voter knows it.
    pub high_watermark: i64,
}

/// The controller quorum for views (`Sim::controller_quorum`).
#[derive(Debug, Clone, Serialize)]
pub struct ControllerQuorumView {
    pub voters: Vec<VoterView>,
    /// The active controller's id (none while the quorum has no claimed leader).
    pub active: Option<i32>,
    /// The controller epoch: the active controller's quorum epoch, or the highest epoch any voter is in.
    pub epoch: i32,
    /// Voters needed to elect a leader or commit a record.
    pub majority: usize,
    pub running: usize,
    /// Committed metadata offset (the active controller's high watermark).
    pub committed_offset: i64,
    /// Since when there has been no active controller.
    pub no_controller_since_ms: Option<i64>,
}

/// A change of active controller, for views and the event log.
#[derive(Debug, Clone, Serialize)]
pub struct ControllerChange {
    pub time_ms: i64,
    /// The new active controller (none: the cluster lost it).
    pub active: Option<i32>,
    pub epoch: i32,
    /// For a new active controller: how long the cluster was without one.
    pub elected_after_ms: Option<i64>,
    pub reason: String,
}

// Deliver is nearly every queued event, so it stays unboxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Ev {
    /// `ctrl`: the voter behind `NodeId::Controller` in `from` or `to` (quorum mode).
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: Msg,
        to_incarnation: u64,
        sent_ms: i64,
        ctrl: Option<i32>,
    },
    Wake {
        node: NodeId,
        incarnation: u64,
    },
    Resume {
        broker: BrokerId,
    },
    WorkloadTick {
        generation: u64,
    },
}

/// A message on the wire, for views (dots moving along links).
#[derive(Debug, Clone, Serialize)]
pub struct InFlightMessage {
    pub from: NodeId,
    pub to: NodeId,
    /// With several controller voters: the voter behind `controller` in `from` or `to`.
    pub controller: Option<i32>,
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
    /// When history is next retired (`history.rs`; bookkeeping, not part of the trace;
    /// `i64::MAX` never).
    pub next_retire_ms: i64,
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
    /// The KRaft controller voters (`sim.controllers`), by node id. `controller` runs on the active one.
    pub voters: BTreeMap<i32, VoterSlot>,
    /// The active controller: (voter, quorum epoch). None: the quorum has no claimed leader.
    active_controller: Option<(i32, i32)>,
    /// Bumped whenever the active controller changes: messages and wake-ups for an older one are stale.
    controller_generation: u64,
    /// The epoch of the last controller that became active. Brokers follow the quorum's newest
    /// epoch, so a deposed leader of an older epoch (isolated, not yet resigned) never becomes
    /// their controller again.
    last_active_epoch: i32,
    /// Requests brokers sent while no controller was active (NodeToControllerChannelManager's
    /// queue): sent once one is. One heartbeat and one registration per broker, one
    /// AlterPartition per partition.
    controller_channel: Vec<(NodeId, u64, Msg)>,
    no_controller_since: Option<i64>,
    /// Every change of active controller.
    pub controller_history: Vec<ControllerChange>,
    /// Voters seen as quorum leader, by epoch (checked: at most one per epoch).
    pub quorum_leaders: BTreeMap<i32, BTreeSet<i32>>,
    root_rng: Rng,
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
        NodeId::Voter(v) => (6 << 40) | (v as u32 as u64),
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
        // Some brokers with a rack and some without is allowed in KRaft (StripedReplicaPlacer puts
        // the rack-less ones in a group of their own); sim.replica.placement=admin-utils refuses it
        // at topic creation as AdminUtils did ("Not all brokers have rack information").
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
            next_retire_ms: history::RETIRE_EVERY_MS,
            trace_hash: FNV_OFFSET,
            next_write_id: 1,
            events_processed: 0,
            net_stats: NetStats::default(),
            command_log: vec![],
            workload: None,
            workload_rng: root.fork("workload"),
            last_node: None,
            disruptions: 0,
            voters: BTreeMap::new(),
            active_controller: None,
            controller_generation: 0,
            last_active_epoch: 1,
            controller_channel: vec![],
            no_controller_since: None,
            controller_history: vec![],
            quorum_leaders: BTreeMap::new(),
            root_rng: root.clone(),
            spec,
        };
        // The controller quorum, formed before the brokers start: voter 3000 leads epoch 1.
        let n = sim.spec.broker_config.controllers.clamp(1, 5) as i32;
        let ids: Vec<i32> = (0..n).map(|i| FIRST_VOTER_ID + i).collect();
        let timeouts = QuorumTimeouts::from_config(&sim.spec.broker_config);
        for &id in &ids {
            let rng = root.fork(&format!("controller-{id}-1"));
            let v = Voter::bootstrap(id, ids.clone(), FIRST_VOTER_ID, timeouts, rng, 0);
            sim.voters.insert(id, VoterSlot { id, process: Some(v), idle_disk: None, incarnation: 1 });
        }
        sim.active_controller = Some((FIRST_VOTER_ID, 1));
        sim.controller.auto_commit = n == 1;
        sim.quorum_leaders.entry(1).or_default().insert(FIRST_VOTER_ID);
        if n > 1 {
            sim.log_event(
                NodeId::Voter(FIRST_VOTER_ID),
                "controller",
                format!(
                    "controller quorum of {n} voters ({}; a majority is {}): controller {FIRST_VOTER_ID} is active in epoch 1",
                    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
                    n / 2 + 1
                ),
            );
            for &id in &ids {
                sim.schedule_wake(NodeId::Voter(id), 0, 1);
            }
        }
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
                    powered_off: false,
                    unanswered: vec![],
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
            NodeId::Voter(v) => self.voters.get(&v).map(|s| s.incarnation).unwrap_or(0),
            NodeId::Controller => self.controller_generation,
            _ => 0,
        }
    }

    /// Several controller voters: `controller` is then one of them, and links are per voter.
    pub fn quorum_mode(&self) -> bool {
        self.voters.len() > 1
    }

    /// The machine a message to or from `n` really uses: `controller` is the voter `ctrl`
    /// in quorum mode (with a single voter it stays `controller`).
    fn phys(&self, n: NodeId, ctrl: Option<i32>) -> NodeId {
        match (n, ctrl) {
            (NodeId::Controller, Some(v)) if self.quorum_mode() => NodeId::Voter(v),
            _ => n,
        }
    }

    /// The node events of `node` are logged under (the active voter for `controller`).
    fn log_node(&self, node: NodeId) -> NodeId {
        match (node, self.active_controller) {
            (NodeId::Controller, Some((v, _))) if self.quorum_mode() => NodeId::Voter(v),
            _ => node,
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
        slot.powered_off = false;
        let unanswered = std::mem::take(&mut slot.unanswered);
        let inc = slot.incarnation;
        self.schedule_wake(NodeId::Broker(id), now, inc);
        // The machine is up again: the clients still retransmitting requests to the old process
        // reach a kernel that knows no such connection and answers with a reset.
        self.reset_connections(NodeId::Broker(id), unanswered);
    }

    /// Tells each client waiting on `from` that its connection was reset (`Msg::Disconnected`),
    /// unless the link back to it is cut.
    fn reset_connections(&mut self, from: NodeId, waiting: Vec<(NodeId, &'static str, u64)>) {
        let now = self.now_ms;
        for (to, lost, correlation_id) in waiting {
            if !self.network.is_cut(from, to) {
                let at = now + self.network.min_latency_ms.max(1);
                let inc = self.incarnation_of(to);
                let msg = Msg::Disconnected { lost, correlation_id };
                self.queue.push(at, Ev::Deliver { from, to, msg, to_incarnation: inc, sent_ms: now, ctrl: None });
            }
        }
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
                Effect::Send { to, msg } => self.send(node, to, msg),
                Effect::WakeAt(t) => self.schedule_wake(node, t, inc),
                Effect::Log { category, message } => {
                    let n = self.log_node(node);
                    self.log_event(n, category, message)
                }
            }
        }
    }

    /// Hands a message to the network. Requests to `controller` go to the active voter;
    /// with none, they wait in the controller channel.
    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let ctrl = if to == NodeId::Controller || from == NodeId::Controller {
            match self.active_controller {
                Some((v, _)) => Some(v),
                None if to == NodeId::Controller => {
                    self.park_controller_request(from, msg);
                    return;
                }
                None => None,
            }
        } else {
            None
        };
        self.transmit(from, to, msg, ctrl);
    }

    fn transmit(&mut self, from: NodeId, to: NodeId, msg: Msg, ctrl: Option<i32>) {
        let (pf, pt) = (self.phys(from, ctrl), self.phys(to, ctrl));
        match self.network.transmit(self.now_ms, pf, pt) {
            Transit::DeliverAt(at) => {
                let to_incarnation = self.incarnation_of(to);
                self.queue.push(at, Ev::Deliver { from, to, msg, to_incarnation, sent_ms: self.now_ms, ctrl });
            }
            Transit::Dropped(why) => {
                if why == "link cut" {
                    self.net_stats.dropped_cut += 1;
                } else {
                    self.net_stats.dropped_loss += 1;
                }
            }
        }
    }

    /// NodeToControllerChannelManager: with no known controller a request waits in the
    /// queue. Only the newest heartbeat and registration of a broker, and the newest
    /// AlterPartition of a partition, are kept.
    fn park_controller_request(&mut self, from: NodeId, msg: Msg) {
        let same = |a: &Msg, b: &Msg| match (a, b) {
            (Msg::AlterPartition { tp: x, .. }, Msg::AlterPartition { tp: y, .. }) => x == y,
            _ => a.kind() == b.kind(),
        };
        self.controller_channel.retain(|(f, _, m)| !(*f == from && same(m, &msg)));
        let inc = self.incarnation_of(from);
        self.controller_channel.push((from, inc, msg));
    }

    /// Is the node able to receive now (not crashed/stopped, same incarnation)?
    fn node_up(&self, n: NodeId, incarnation: u64) -> bool {
        match n {
            NodeId::Broker(b) => self.brokers.get(&b).is_some_and(|s| s.process.is_some() && s.incarnation == incarnation),
            NodeId::Controller => self.active_controller.is_some() && incarnation == self.controller_generation,
            NodeId::Voter(v) => self.voters.get(&v).is_some_and(|s| s.process.is_some() && s.incarnation == incarnation),
            NodeId::Producer(p) => p == PRODUCER_ID,
            NodeId::Reader(r) => self.readers.contains_key(&r),
            NodeId::Consumer(c) => self.consumers.contains_key(&c) && !self.crashed_consumers.contains(&c),
        }
    }

    fn dispatch(&mut self, to: NodeId, from: NodeId, msg: Msg) {
        let now = self.now_ms;
        let mut out = Out::default();
        match to {
            NodeId::Controller => {
                self.controller.on_message(now, from, msg, &mut out);
                self.apply_effects(to, out);
                self.sync_controller();
                return;
            }
            NodeId::Voter(v) => {
                if let Some(p) = self.voters.get_mut(&v).and_then(|s| s.process.as_mut()) {
                    p.on_message(now, from, msg, &mut out);
                }
                self.apply_effects(to, out);
                self.after_quorum_event();
                return;
            }
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
            NodeId::Controller => {
                self.controller.on_tick(now, &mut out);
                self.apply_effects(node, out);
                self.sync_controller();
                return;
            }
            NodeId::Voter(v) => {
                if let Some(p) = self.voters.get_mut(&v).and_then(|s| s.process.as_mut()) {
                    p.on_tick(now, &mut out);
                }
                self.apply_effects(node, out);
                self.after_quorum_event();
                return;
            }
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
        if t >= self.next_retire_ms {
            self.next_retire_ms = t + history::RETIRE_EVERY_MS;
            self.retire_history();
        }
        match ev {
            Ev::Deliver { from, to, msg, to_incarnation, ctrl, .. } => {
                self.mix(t as u64);
                self.mix(node_code(from));
                self.mix(node_code(to));
                self.mix_str(msg.kind());
                let (pf, pt) = (self.phys(from, ctrl), self.phys(to, ctrl));
                if self.network.is_cut(pf, pt) {
                    // In-flight packets on a link that was cut are lost.
                    self.net_stats.dropped_cut += 1;
                    return true;
                }
                if !self.node_up(to, to_incarnation) {
                    self.net_stats.dropped_node_down += 1;
                    // A controller voter that runs but is no longer the active controller
                    // answers NOT_CONTROLLER; the broker sends the request again.
                    if let (NodeId::Controller, Some(v)) = (to, ctrl) {
                        if self.voters.get(&v).is_some_and(|s| s.process.is_some()) {
                            if let Some(reply) = not_controller_response(&msg) {
                                self.transmit(NodeId::Controller, from, reply, Some(v));
                            }
                            return true;
                        }
                    }
                    // A machine without power answers nothing (no reset): the sender waits for its
                    // request timeout (NetworkClient.handleTimedOutRequests).
                    // An acks=0 produce expects no answer, but its connection still notices a reset.
                    let expects_response = msg.expects_response() || matches!(msg, Msg::Produce { .. });
                    if let NodeId::Broker(b) = to {
                        if let Some(slot) = self.brokers.get_mut(&b).filter(|s| s.powered_off) {
                            if expects_response {
                                slot.unanswered.push((from, msg.kind(), msg.correlation_id()));
                            }
                            return true;
                        }
                    }
                    // The peer process is down or restarted on a running machine: its kernel resets
                    // the sender's connection.
                    if expects_response && !self.network.is_cut(pt, pf) {
                        let reply = Msg::Disconnected { lost: msg.kind(), correlation_id: msg.correlation_id() };
                        let at = t + self.network.min_latency_ms.max(1);
                        let inc = self.incarnation_of(from);
                        self.queue.push(at, Ev::Deliver { from: to, to: from, msg: reply, to_incarnation: inc, sent_ms: t, ctrl });
                    }
                    return true;
                }
                self.net_stats.delivered += 1;
                self.dispatch(to, from, msg);
            }
            Ev::Wake { node, incarnation } => {
                self.scheduled_wakes.remove(&(node, t, incarnation));
                if self.node_up(node, incarnation) {
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
                Ev::Deliver { from, to, msg, sent_ms, ctrl, .. } => Some(InFlightMessage {
                    from: *from,
                    to: *to,
                    controller: if self.quorum_mode() { *ctrl } else { None },
                    kind: msg.kind(),
                    sent_ms: *sent_ms,
                    deliver_at_ms: t,
                }),
                _ => None,
            })
            .collect()
    }

    // ------------------------------------------------------ controller quorum

    /// The active controller appended records: the active voter appends them to its
    /// copy of `__cluster_metadata`, and replication may commit them.
    fn sync_controller(&mut self) {
        if let Some((v, _)) = self.active_controller {
            let now = self.now_ms;
            let len = self.controller.log.len();
            if let Some(p) = self.voters.get_mut(&v).and_then(|s| s.process.as_mut()) {
                let have = p.disk.log.len();
                if len > have {
                    let recs: Vec<MetadataRecord> = self.controller.log[have..].to_vec();
                    let mut out = Out::default();
                    p.append(now, recs, &mut out);
                    self.apply_effects(NodeId::Voter(v), out);
                }
            }
        }
        self.after_quorum_event();
    }

    /// After any voter or controller event: who leads the quorum, is there a new
    /// active controller (or none), and what is committed now.
    fn after_quorum_event(&mut self) {
        let mut best: Option<(i32, i32)> = None; // (epoch, voter) of the newest claimable leader
        for (id, slot) in &self.voters {
            if let Some(p) = &slot.process {
                if p.is_leader() {
                    let set = self.quorum_leaders.entry(p.epoch()).or_default();
                    if !set.contains(id) {
                        set.insert(*id);
                    }
                    if p.can_claim() && best.is_none_or(|(e, _)| p.epoch() > e) {
                        best = Some((p.epoch(), *id));
                    }
                }
            }
        }
        if let Some((v, e)) = self.active_controller {
            let still = self.voters.get(&v).and_then(|s| s.process.as_ref()).is_some_and(|p| p.is_leader() && p.epoch() == e);
            let newer = best.is_some_and(|(be, _)| be > e);
            if !still || newer {
                let why = match self.voters.get(&v).and_then(|s| s.process.as_ref()) {
                    None => format!("controller {v} crashed"),
                    Some(p) if p.is_leader() => format!("controller {v} was replaced by a leader of epoch {}", p.epoch().max(e) + 1),
                    Some(p) => format!("controller {v} is no longer the quorum leader ({})", p.role.name()),
                };
                self.renounce(&why);
            }
        }
        if self.active_controller.is_none() {
            if let Some((e, v)) = best {
                if e > self.last_active_epoch {
                    self.claim(v);
                }
            }
        }
        if let Some((v, _)) = self.active_controller {
            let hw = self.voters.get(&v).and_then(|s| s.process.as_ref()).map(|p| p.high_watermark).unwrap_or(0);
            if hw > self.controller.committed {
                let mut out = Out::default();
                self.controller.advance_commit(hw, &mut out);
                self.apply_effects(NodeId::Controller, out);
            }
        }
    }

    /// A new quorum leader becomes the active controller (`QuorumController.claim`): it
    /// replays the log, gives every broker a fresh session, and takes the requests waiting.
    fn claim(&mut self, v: i32) {
        let now = self.now_ms;
        let Some(p) = self.voters.get(&v).and_then(|s| s.process.as_ref()) else { return };
        let epoch = p.epoch();
        let records: Vec<MetadataRecord> = p.disk.log.iter().map(|e| e.record.clone()).collect();
        let hw = p.high_watermark;
        let old = &self.controller;
        let mut c = Controller::replay(old.config.clone(), old.elr_enabled, &records, hw, now);
        c.auto_commit = self.voters.len() == 1;
        c.unclean_elections = old.unclean_elections;
        c.unclean_partitions = old.unclean_partitions.clone();
        c.isr_shrinks = old.isr_shrinks;
        c.isr_expands = old.isr_expands;
        c.leader_isr_shrinks = old.leader_isr_shrinks;
        c.leader_isr_expands = old.leader_isr_expands;
        c.pending_push = old.pending_push.min(c.committed as usize);
        self.controller = c;
        self.active_controller = Some((v, epoch));
        self.last_active_epoch = epoch;
        self.controller_generation += 1;
        let after = self.no_controller_since.take().map(|t| now - t);
        let message = match after {
            Some(ms) => format!(
                "controller {v} became active in epoch {epoch} (elected after {ms} ms); it replayed {} metadata records (committed up to offset {}) and gives every broker a fresh session",
                records.len(),
                hw
            ),
            None => format!("controller {v} became active in epoch {epoch}"),
        };
        self.controller_history.push(ControllerChange {
            time_ms: now,
            active: Some(v),
            epoch,
            elected_after_ms: after,
            reason: message.clone(),
        });
        self.log_event(NodeId::Voter(v), "controller", message);
        let mut out = Out::default();
        self.controller.advance_commit(hw, &mut out);
        self.controller.push_committed(&mut out);
        self.apply_effects(NodeId::Controller, out);
        // The requests that waited for a controller go out now.
        let waiting = std::mem::take(&mut self.controller_channel);
        for (from, inc, msg) in waiting {
            if self.incarnation_of(from) == inc && self.node_up(from, inc) {
                self.send(from, NodeId::Controller, msg);
            }
        }
        let gen = self.controller_generation;
        self.schedule_wake(NodeId::Controller, now, gen);
    }

    /// The active controller is gone (crashed, or no longer the quorum leader): its
    /// uncommitted changes are lost and the requests that made them fail; the cluster
    /// keeps the committed metadata, which the next active controller will replay.
    fn renounce(&mut self, why: &str) {
        let now = self.now_ms;
        let Some((v, epoch)) = self.active_controller.take() else { return };
        self.controller_generation += 1;
        let alive = self.voters.get(&v).is_some_and(|s| s.process.is_some());
        for (to, resp) in self.controller.take_deferred() {
            if alive {
                // QuorumController.renounce: deferredEventQueue.failAll(NOT_CONTROLLER).
                if let Some(reply) = not_controller_response(&resp) {
                    self.transmit(NodeId::Controller, to, reply, Some(v));
                }
            } else if !self.network.is_cut(self.phys(NodeId::Controller, Some(v)), to) {
                // The dead process's sockets close: the broker sees a reset connection.
                let at = now + self.network.min_latency_ms.max(1);
                let inc = self.incarnation_of(to);
                let msg = Msg::Disconnected { lost: request_kind_of_response(&resp), correlation_id: 0 };
                self.queue.push(at, Ev::Deliver { from: NodeId::Controller, to, msg, to_incarnation: inc, sent_ms: now, ctrl: Some(v) });
            }
        }
        // What the cluster keeps: the committed records.
        let old = &self.controller;
        let committed = old.committed.clamp(0, old.log.len() as i64);
        let lost = old.log.len() as i64 - committed;
        let mut c = Controller::replay(old.config.clone(), old.elr_enabled, &old.log[..committed as usize], committed, now);
        c.auto_commit = self.voters.len() == 1;
        c.unclean_elections = old.unclean_elections;
        c.unclean_partitions = old.unclean_partitions.clone();
        c.isr_shrinks = old.isr_shrinks;
        c.isr_expands = old.isr_expands;
        c.leader_isr_shrinks = old.leader_isr_shrinks;
        c.leader_isr_expands = old.leader_isr_expands;
        c.pending_push = old.pending_push.min(committed as usize);
        self.controller = c;
        self.no_controller_since = Some(now);
        let running = self.voters.values().filter(|s| s.process.is_some()).count();
        let majority = self.voters.len() / 2 + 1;
        let mut message = format!(
            "no active controller: {why} (it was active in epoch {epoch}){}. Brokers keep serving with the metadata they have; no ISR change, broker fencing or partition leader election can happen until a new controller is active",
            if lost > 0 { format!("; its {lost} uncommitted metadata record(s) are lost") } else { String::new() }
        );
        if running < majority {
            message.push_str(&format!(
                ". Only {running} of {} voters run and a majority is {majority}: no controller can be elected until a voter returns",
                self.voters.len()
            ));
        }
        self.controller_history.push(ControllerChange {
            time_ms: now,
            active: None,
            epoch,
            elected_after_ms: None,
            reason: message.clone(),
        });
        self.log_event(NodeId::Voter(v), "controller", message);
    }

    fn voter_slot(&self, v: i32, field: &str) -> Result<&VoterSlot, CommandError> {
        self.voters.get(&v).ok_or_else(|| {
            CommandError::invalid_request(
                field,
                format!(
                    "there is no controller {v} (controller voters: {})",
                    self.voters.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }

    /// Commands that change metadata need an active controller (the admin client would
    /// time out; Kafka's error is NOT_CONTROLLER while the quorum has no leader).
    fn require_controller(&self, field: &str) -> Result<(), CommandError> {
        if self.active_controller.is_some() {
            return Ok(());
        }
        Err(CommandError::new(
            KafkaError::NOT_CONTROLLER,
            field,
            "there is no active controller right now (the KRaft quorum has no leader): metadata cannot change until one is elected",
        ))
    }

    fn crash_controller(&mut self, controller: Option<i32>) -> Result<(), CommandError> {
        let v = match controller {
            Some(v) => v,
            None => self.active_controller.map(|(v, _)| v).ok_or_else(|| {
                CommandError::new(KafkaError::NOT_CONTROLLER, "controller", "there is no active controller to crash; name a voter")
            })?,
        };
        self.voter_slot(v, "controller")?;
        let now = self.now_ms;
        let was_active = self.active_controller.is_some_and(|(a, _)| a == v);
        let slot = self.voters.get_mut(&v).unwrap();
        let Some(p) = slot.process.take() else {
            return Err(CommandError::invalid_request("controller", format!("controller {v} is not running")));
        };
        let held = p.held_fetches();
        let role = p.role.name();
        let epoch = p.epoch();
        slot.idle_disk = Some(p.disk);
        slot.incarnation += 1;
        let what = if was_active {
            format!("crashes (kill -9): it was the active controller, quorum leader in epoch {epoch}")
        } else {
            format!("crashes (kill -9): a standby voter ({role} in epoch {epoch})")
        };
        self.log_event(NodeId::Voter(v), "fault", what);
        for r in held {
            if !self.network.is_cut(NodeId::Voter(v), NodeId::Voter(r)) {
                let at = now + self.network.min_latency_ms.max(1);
                let inc = self.incarnation_of(NodeId::Voter(r));
                let msg = Msg::Disconnected { lost: "QuorumFetch", correlation_id: 0 };
                self.queue.push(
                    at,
                    Ev::Deliver { from: NodeId::Voter(v), to: NodeId::Voter(r), msg, to_incarnation: inc, sent_ms: now, ctrl: None },
                );
            }
        }
        self.after_quorum_event();
        let running = self.voters.values().filter(|s| s.process.is_some()).count();
        let majority = self.voters.len() / 2 + 1;
        if !was_active && running < majority {
            self.log_event(
                NodeId::Voter(v),
                "controller",
                format!(
                    "the controller quorum has lost its majority: {running} of {} voters run, {majority} are needed to commit metadata or elect a controller",
                    self.voters.len()
                ),
            );
        }
        Ok(())
    }

    fn restart_controller(&mut self, v: i32) -> Result<(), CommandError> {
        self.voter_slot(v, "controller")?;
        if self.voters[&v].process.is_some() {
            return Err(CommandError::invalid_request("controller", format!("controller {v} is already running")));
        }
        let now = self.now_ms;
        let ids: Vec<i32> = self.voters.keys().copied().collect();
        let timeouts = QuorumTimeouts::from_config(&self.spec.broker_config);
        let slot = self.voters.get_mut(&v).unwrap();
        slot.incarnation += 1;
        let inc = slot.incarnation;
        let disk = slot.idle_disk.take().unwrap_or_default();
        let rng = self.root_rng.fork(&format!("controller-{v}-{inc}"));
        self.log_event(
            NodeId::Voter(v),
            "fault",
            format!("starts (its metadata log, {} records, and quorum-state survived)", disk.log.len()),
        );
        let mut out = Out::default();
        let p = Voter::start(v, ids, disk, timeouts, rng, now, &mut out);
        self.voters.get_mut(&v).unwrap().process = Some(p);
        self.apply_effects(NodeId::Voter(v), out);
        self.after_quorum_event();
        Ok(())
    }

    /// Resolves a node named in a network fault: in quorum mode `controller` is the
    /// machine of the active controller now, `controller-N` a voter.
    fn fault_node(&self, n: NodeId, field: &str) -> Result<NodeId, CommandError> {
        match n {
            NodeId::Controller if self.quorum_mode() => match self.active_controller {
                Some((v, _)) => Ok(NodeId::Voter(v)),
                None => Err(CommandError::new(
                    KafkaError::NOT_CONTROLLER,
                    field,
                    format!(
                        "there is no active controller right now; name a voter ({})",
                        self.voters.keys().map(|k| format!("controller-{k}")).collect::<Vec<_>>().join(", ")
                    ),
                )),
            },
            NodeId::Voter(v) => {
                self.voter_slot(v, field)?;
                Ok(if self.quorum_mode() { n } else { NodeId::Controller })
            }
            other => self.check_node(other, field).map(|_| other),
        }
    }

    /// The controller quorum: voters, who is active, the controller epoch.
    pub fn controller_quorum(&self) -> ControllerQuorumView {
        let active = self.active_controller.map(|(v, _)| v);
        let voters: Vec<VoterView> = self
            .voters
            .values()
            .map(|s| match &s.process {
                Some(p) => VoterView {
                    id: s.id,
                    node: NodeId::Voter(s.id),
                    status: if active == Some(s.id) { VoterStatus::Active } else { VoterStatus::Standby },
                    raft_state: p.role.name(),
                    epoch: p.epoch(),
                    leader: p.leader_id(),
                    voted_for: p.disk.voted_for,
                    log_end_offset: p.log_end_offset(),
                    high_watermark: p.high_watermark,
                },
                None => {
                    let d = s.idle_disk.as_ref();
                    VoterView {
                        id: s.id,
                        node: NodeId::Voter(s.id),
                        status: VoterStatus::Crashed,
                        raft_state: "crashed",
                        epoch: d.map(|d| d.epoch).unwrap_or(0),
                        leader: d.and_then(|d| d.leader),
                        voted_for: d.and_then(|d| d.voted_for),
                        log_end_offset: d.map(|d| d.log.len() as i64).unwrap_or(0),
                        high_watermark: 0,
                    }
                }
            })
            .collect();
        ControllerQuorumView {
            epoch: self.controller_epoch(),
            majority: self.voters.len() / 2 + 1,
            running: self.voters.values().filter(|s| s.process.is_some()).count(),
            committed_offset: self.controller.committed,
            no_controller_since_ms: if active.is_none() { self.no_controller_since } else { None },
            active,
            voters,
        }
    }

    /// The active controller's node id (none while the quorum has no leader).
    pub fn active_controller(&self) -> Option<i32> {
        self.active_controller.map(|(v, _)| v)
    }

    /// The controller epoch (the KRaft quorum epoch): the active controller's, or the
    /// highest any voter has reached while there is none.
    pub fn controller_epoch(&self) -> i32 {
        match self.active_controller {
            Some((_, e)) => e,
            None => self
                .voters
                .values()
                .map(|s| s.process.as_ref().map(|p| p.epoch()).or(s.idle_disk.as_ref().map(|d| d.epoch)).unwrap_or(0))
                .max()
                .unwrap_or(0),
        }
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
                if self.spec.broker_config.legacy_admin_utils_placement {
                    self.place_admin_utils(n, rf)?
                } else {
                    self.place_striped(n, rf)?
                }
            }
        };
        self.require_controller("name")?;
        let mut out = Out::default();
        self.controller.create_topic(self.now_ms, name, assignment, tc, &mut out)?;
        self.apply_effects(NodeId::Controller, out);
        self.sync_controller();
        Ok(())
    }

    /// KRaft's placement (`StripedReplicaPlacer`) over the controller's usable brokers: every
    /// registered broker, fenced or not, except those in controlled shutdown
    /// (`BrokerHeartbeatManager.UsableBrokerIterator`). A broker the controller has not heard from
    /// yet counts as unfenced: the cluster a run starts with stands for one already formed.
    fn place_striped(&mut self, n: u32, rf: u16) -> Result<BTreeMap<u32, Vec<i32>>, CommandError> {
        let usable: Vec<UsableBroker> = self
            .brokers
            .values()
            .filter_map(|s| {
                let id = s.spec.id;
                match self.controller.brokers.get(&id) {
                    Some(r) if r.in_controlled_shutdown => None,
                    Some(r) => Some(UsableBroker { id, rack: r.rack.clone(), fenced: r.fenced }),
                    None => Some(UsableBroker { id, rack: s.spec.rack.clone(), fenced: false }),
                }
            })
            .collect();
        let rng = &mut self.placement_rng;
        let mut next_int = |bound: usize| rng.range_inclusive(0, bound as u64 - 1) as usize;
        let placed = striped_replica_placer::place(&usable, &[], n as usize, usize::from(rf), &mut next_int)
            .map_err(|e| CommandError::new(KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor", e.0))?;
        Ok(placed.into_iter().enumerate().map(|(p, r)| (p as u32, r)).collect())
    }

    /// `sim.replica.placement=admin-utils`: the ZooKeeper-era `AdminUtils.assignReplicasToBrokers`
    /// over the live brokers (ZooKeeper's `/brokers/ids`, ephemeral: here the unfenced ones), with
    /// a random start index and replica shift.
    fn place_admin_utils(&mut self, n: u32, rf: u16) -> Result<BTreeMap<u32, Vec<i32>>, CommandError> {
        let metas: Vec<BrokerMetadata> = self
            .brokers
            .values()
            .filter(|s| self.controller.brokers.get(&s.spec.id).is_none_or(|r| !r.fenced))
            .map(|s| BrokerMetadata { id: s.spec.id, rack: s.spec.rack.clone() })
            .collect();
        if metas.is_empty() {
            return Err(CommandError::new(KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor", "no broker is alive"));
        }
        let start = self.placement_rng.range_inclusive(0, metas.len() as u64 - 1) as usize;
        let shift = self.placement_rng.range_inclusive(0, metas.len() as u64 - 1) as usize;
        assign_replicas_to_brokers(&metas, n, rf, Some(start), Some(shift), 0).map_err(|e| match e {
            AssignmentError::InvalidPartitions(m) => CommandError::new(KafkaError::INVALID_PARTITIONS, "partitions", m),
            AssignmentError::InvalidReplicationFactor(m) => {
                CommandError::new(KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor", m)
            }
            AssignmentError::InvalidRackConfiguration(m) => CommandError::new(KafkaError::INVALID_REPLICA_ASSIGNMENT, "brokers", m),
        })
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
                    disk.lose_page_cache(self.now_ms);
                }
                disk.clean_shutdown_broker_epoch = None;
                slot.idle_disk = Some(disk);
                slot.crashed = true;
                slot.paused = false;
                slot.deferred.clear();
                slot.incarnation += 1;
                let what = if keep_page_cache {
                    "crashes (process killed; the page cache survives; the OS resets its connections)".to_string()
                } else {
                    slot.powered_off = true;
                    slot.unanswered = held.clone();
                    format!(
                        "crashes (power loss): volatile state gone, {lost} unflushed record(s) lost from the page cache; \
                         nothing answers its connections, so clients wait for their request timeouts"
                    )
                };
                self.log_event(NodeId::Broker(broker), "fault", what);
                // A killed process's sockets are closed by the OS: clients waiting on it see a
                // reset at once. A machine without power sends nothing.
                if keep_page_cache {
                    self.reset_connections(NodeId::Broker(broker), held);
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
            Command::CrashController { controller } => self.crash_controller(controller)?,
            Command::RestartController { controller } => self.restart_controller(controller)?,
            Command::CutLink { from, to, one_way } => {
                let from = self.fault_node(from, "from")?;
                let to = self.fault_node(to, "to")?;
                self.network.cut(from, to, !one_way);
                self.log_event(from, "fault", format!("link {from} {} {to} cut", if one_way { "→" } else { "↔" }));
            }
            Command::HealLink { from, to, one_way } => {
                let from = self.fault_node(from, "from")?;
                let to = self.fault_node(to, "to")?;
                self.network.heal(from, to, !one_way);
                self.log_event(from, "fault", format!("link {from} {} {to} healed", if one_way { "→" } else { "↔" }));
            }
            Command::Isolate { node } => {
                let node = self.fault_node(node, "node")?;
                let mut others: Vec<NodeId> = if self.quorum_mode() {
                    let mut v: Vec<NodeId> = self.voters.keys().map(|v| NodeId::Voter(*v)).collect();
                    v.push(NodeId::Producer(PRODUCER_ID));
                    v
                } else {
                    vec![NodeId::Controller, NodeId::Producer(PRODUCER_ID)]
                };
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
                let from = self.fault_node(from, "from")?;
                let to = self.fault_node(to, "to")?;
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
                let from = self.fault_node(from, "from")?;
                let to = self.fault_node(to, "to")?;
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
                if key == "sim.controllers" {
                    return Err(CommandError::invalid_config(&key, "the number of controller voters is fixed when the cluster is created"));
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
                let clears_elr = key == "min.insync.replicas" && self.controller.elr_enabled;
                if clears_elr {
                    // ConfigurationControlManager.isDisallowedBrokerMinIsrTransition.
                    if broker.is_some() {
                        return Err(CommandError::invalid_config(
                            &key,
                            "Broker-level min.insync.replicas cannot be altered while ELR is enabled.",
                        ));
                    }
                    self.require_controller("key")?;
                }
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
                    if clears_elr {
                        // The cluster default changed: ClearElrRecord for every topic.
                        let mut out = Out::default();
                        self.controller.clear_elr(None, &mut out);
                        self.controller.push_metadata(&mut out);
                        self.apply_effects(NodeId::Controller, out);
                        self.sync_controller();
                    }
                    if key.starts_with("controller.quorum.") {
                        let t = QuorumTimeouts::from_config(&self.spec.broker_config);
                        for slot in self.voters.values_mut() {
                            if let Some(p) = slot.process.as_mut() {
                                p.timeouts = t;
                            }
                        }
                    }
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
                self.require_controller("topic")?;
                let mut out = Out::default();
                self.controller.alter_topic_config(&topic, tc, &mut out)?;
                self.apply_effects(NodeId::Controller, out);
                self.sync_controller();
                self.log_event(
                    NodeId::Controller,
                    "config",
                    format!("topic {topic}: {key}={}", if value.is_null() { "(default)".to_string() } else { value.to_string() }),
                );
            }
            Command::SetProducerConfig { key, value } => {
                self.producer.config.set(&key, &value)?;
                self.producer.reconfigured();
            }
            Command::ElectLeaders { topic, partition, election_type } => {
                let tp = TopicPartition::new(&topic, partition);
                let mut out = Out::default();
                let election = match election_type {
                    ElectionType::Preferred => Election::Preferred,
                    ElectionType::Unclean => Election::Unclean,
                };
                self.require_controller("partition")?;
                let r = self.controller.elect_leader(now, &tp, election, &mut out);
                self.apply_effects(NodeId::Controller, out);
                self.sync_controller();
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
                self.readers.insert(id, Reader::new(id, tp, bootstrap, self.root_rng.fork(&format!("reader-{id}"))));
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
        self.consumers.insert(
            id,
            Consumer::new(id, group_id, topics.to_vec(), cc, bootstrap, self.now_ms, self.root_rng.fork(&format!("consumer-{id}"))),
        );
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

/// The answer of a controller voter that is not the active controller (`NOT_CONTROLLER`)
/// to a broker request (or in place of a response it can no longer give).
fn not_controller_response(msg: &Msg) -> Option<Msg> {
    match msg {
        Msg::BrokerRegistration { .. } | Msg::BrokerRegistrationResponse { .. } => {
            Some(Msg::BrokerRegistrationResponse { error: KafkaError::NOT_CONTROLLER, broker_epoch: -1 })
        }
        Msg::BrokerHeartbeat { .. } | Msg::BrokerHeartbeatResponse { .. } => Some(Msg::BrokerHeartbeatResponse {
            error: KafkaError::NOT_CONTROLLER,
            is_fenced: false,
            should_shut_down: false,
            records: Rc::new(vec![]),
        }),
        Msg::AlterPartition { tp, .. } | Msg::AlterPartitionResponse { tp, .. } => {
            Some(Msg::AlterPartitionResponse { tp: tp.clone(), error: KafkaError::NOT_CONTROLLER, state: None })
        }
        _ => None,
    }
}

/// The request a controller response answers (for the reset a crashed controller causes).
fn request_kind_of_response(msg: &Msg) -> &'static str {
    match msg {
        Msg::BrokerRegistrationResponse { .. } => "BrokerRegistration",
        Msg::BrokerHeartbeatResponse { .. } => "BrokerHeartbeat",
        Msg::AlterPartitionResponse { .. } => "AlterPartition",
        other => other.kind(),
    }
}
