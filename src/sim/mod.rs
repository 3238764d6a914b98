//! The deterministic simulation: one clock, one event queue ordered by
//! (time_ms, seq), one seeded PRNG forked per subsystem, the network, and the
//! nodes (controller, brokers, clients) driven through their sans-IO interfaces.
//! Same seed + same commands ⇒ same trace hash, natively and in wasm.
//!
//! This file is the plumbing: the event loop (`step`, `dispatch`, `tick`), message delivery
//! and the controller channel, the trace hash, and `Sim::apply`, a routing table to the rooms:
//! `faults.rs` (every fault a user can inject), `commands.rs` (topics, configs, elections),
//! `clients.rs` (produce, workload, readers, consumers), `history.rs` (retiring old history).

mod clients;
mod commands;
pub mod decommission;
mod faults;
mod history;
pub mod network;
pub mod node;
pub mod queue;
mod quorum;
pub mod rolling_restart;
mod wakes;

use crate::broker::disk::Disk;
use crate::broker::{Broker, BrokerStatus};
use crate::client::consumer::Consumer;
use crate::client::producer::Producer;
use crate::client::reader::Reader;
use crate::command::Command;
use crate::config::{BrokerConfig, ProducerConfig};
pub use crate::controller::failover::ControllerChange;
use crate::controller::failover::{not_controller_response, ControllerChannel};
use crate::controller::quorum::{Voter, VoterDisk};
use crate::controller::Controller;
use crate::effects::{Category, Effect, Event, Out};
use crate::errors::CommandError;
use crate::ids::{BrokerId, NodeId};
use crate::protocol::Msg;
use crate::rng::Rng;
use crate::sim::node::Node;
use crate::vecmap::VecMap;
use network::{DropReason, Network, Transit};
use queue::EventQueue;
pub use quorum::{ControllerQuorumView, VoterStatus, VoterView};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The id of the single producer and of the first reader.
pub const PRODUCER_ID: u32 = 1;
/// Most event-log lines kept in memory (older ones are dropped; the trace hash covers all).
pub const MAX_EVENTS_KEPT: usize = 50_000;

#[derive(Debug, Clone, Serialize)]
pub struct BrokerSpec {
    pub id: BrokerId,
    pub rack: Option<String>,
}

/// Most brokers a cluster may have (a scenario's `brokers`, `add_broker`): the picture draws them legibly.
pub const MAX_BROKERS: u64 = 12;

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
    pub topic: crate::ids::Topic,
    pub records_per_sec: f64,
    pub keys: u32,
    #[serde(skip)]
    carry: f64,
    #[serde(skip)]
    generation: u64,
    /// The key strings already made ("key-N" at index N), shared by every record that draws the key:
    /// one allocation per key instead of two per record (up to `KEY_NAMES_KEPT` keys).
    #[serde(skip)]
    key_names: Vec<Option<std::rc::Rc<str>>>,
}

/// Most distinct workload key strings kept for reuse (`Workload::key_names`).
const KEY_NAMES_KEPT: u32 = 4096;

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

// Deliver is nearly every queued event, so it stays unboxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Ev {
    /// `ctrl`: the voter behind `NodeId::Controller` in `from` or `to` (quorum mode).
    /// The message is boxed: the queue (thousands of entries, mostly timers, on a busy
    /// cluster) stays small to copy for time-travel snapshots.
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: Box<Msg>,
        to_incarnation: u64,
        sent_ms: i64,
        ctrl: Option<i32>,
    },
    Wake {
        node: NodeId,
        incarnation: u64,
        /// From the node's lane of wake-ups (`wakes.rs`).
        lane: bool,
    },
    Resume {
        broker: BrokerId,
    },
    WorkloadTick {
        generation: u64,
    },
    /// The operator of a rolling restart looks at the cluster (`rolling_restart.rs`).
    RollingRestartPoll {
        generation: u64,
    },
    /// The operator of a decommission checks its moves (`decommission.rs`).
    DecommissionPoll {
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

/// [`Sim::spare_effects`]: an empty list with room; a copy of the simulation starts without it.
struct SpareEffects(Vec<crate::effects::Effect>);

impl Clone for SpareEffects {
    fn clone(&self) -> Self {
        SpareEffects(Vec::new())
    }
}

#[derive(Clone)]
pub struct Sim {
    pub spec: ClusterSpec,
    now_ms: i64,
    queue: EventQueue<Ev>,
    pub network: Network,
    placement_rng: Rng,
    pub controller: Controller,
    pub brokers: VecMap<BrokerId, BrokerSlot>,
    pub producer: Producer,
    pub readers: VecMap<u32, Reader>,
    /// Consumers in groups (crashed and closed ones stay, for the audit).
    pub consumers: VecMap<u32, Consumer>,
    pub crashed_consumers: BTreeSet<u32>,
    /// Pending wake-ups by (node, time, incarnation): a restarted node gets its own.
    wakes: wakes::Wakes,
    /// The event log (shared chunks: a time-travel snapshot does not copy it).
    pub events: crate::pvec::PVec<Event>,
    pub events_dropped: usize,
    /// When history is next retired (`history.rs`; bookkeeping, not part of the trace;
    /// `i64::MAX` never).
    pub next_retire_ms: i64,
    /// The effects list of the last event, emptied, kept for the next one (no allocation per event).
    spare_effects: SpareEffects,
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
    pub voters: VecMap<i32, VoterSlot>,
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
    controller_channel: ControllerChannel,
    no_controller_since: Option<i64>,
    /// Every change of active controller.
    pub controller_history: Vec<ControllerChange>,
    /// Voters seen as quorum leader, by epoch (checked: at most one per epoch).
    pub quorum_leaders: BTreeMap<i32, BTreeSet<i32>>,
    root_rng: Rng,
    /// The rolling restart in progress (`rolling_restart.rs`), if any.
    pub rolling_restart: Option<rolling_restart::RollingRestart>,
    rolling_generation: u64,
    /// The decommission in progress (`decommission.rs`), if any.
    pub decommission: Option<decommission::Decommission>,
    decommission_generation: u64,
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
            readers: VecMap::new(),
            consumers: VecMap::new(),
            crashed_consumers: BTreeSet::new(),
            now_ms: 0,
            queue: EventQueue::default(),
            network,
            placement_rng: root.fork("placement"),
            brokers: VecMap::new(),
            wakes: wakes::Wakes::default(),
            events: crate::pvec::PVec::new(),
            events_dropped: 0,
            next_retire_ms: history::RETIRE_EVERY_MS,
            spare_effects: SpareEffects(Vec::new()),
            trace_hash: FNV_OFFSET,
            next_write_id: 1,
            events_processed: 0,
            net_stats: NetStats::default(),
            command_log: vec![],
            workload: None,
            workload_rng: root.fork("workload"),
            last_node: None,
            disruptions: 0,
            voters: VecMap::new(),
            active_controller: None,
            controller_generation: 0,
            last_active_epoch: 1,
            controller_channel: ControllerChannel::default(),
            no_controller_since: None,
            controller_history: vec![],
            quorum_leaders: BTreeMap::new(),
            root_rng: root.clone(),
            rolling_restart: None,
            rolling_generation: 0,
            decommission: None,
            decommission_generation: 0,
            spec,
        };
        // The controller quorum, formed before the brokers start: voter 3000 leads epoch 1.
        sim.bootstrap_quorum();
        for b in sim.spec.brokers.clone() {
            sim.add_broker(b);
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

    /// A broker of the cluster spec gets its slot (an empty disk) and starts; it registers
    /// with the controller.
    fn add_broker(&mut self, b: BrokerSpec) {
        let config = self.spec.broker_config.clone();
        self.brokers.insert(
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
        self.start_broker(b.id);
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
                self.queue.push(at, Ev::Deliver { from, to, msg: Box::new(msg), to_incarnation: inc, sent_ms: now, ctrl: None });
            }
        }
    }

    fn schedule_wake(&mut self, node: NodeId, at: i64, incarnation: u64) {
        if at == i64::MAX {
            return;
        }
        let at = at.max(self.now_ms);
        self.wakes.schedule(&mut self.queue, node, at, incarnation, |node, incarnation, lane| Ev::Wake { node, incarnation, lane });
    }

    fn log_event(&mut self, node: NodeId, category: Category, message: String) {
        self.mix(self.now_ms as u64);
        self.mix(node_code(node));
        self.mix_str(&message);
        if self.events.len() >= MAX_EVENTS_KEPT {
            let drop = MAX_EVENTS_KEPT / 2;
            self.events.drop_front(drop);
            self.events_dropped += drop;
        }
        self.events.push(Event { time_ms: self.now_ms, node, category, message });
    }

    fn apply_effects(&mut self, node: NodeId, mut out: Out) {
        let inc = self.incarnation_of(node);
        for e in out.effects.drain(..) {
            match e {
                Effect::Send { to, msg } => self.send(node, to, msg),
                Effect::WakeAt(t) => self.schedule_wake(node, t, inc),
                Effect::Log { category, message } => {
                    let n = self.log_node(node);
                    self.log_event(n, category, message)
                }
            }
        }
        if out.effects.capacity() > self.spare_effects.0.capacity() {
            self.spare_effects.0 = out.effects;
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
                self.queue.push(at, Ev::Deliver { from, to, msg: Box::new(msg), to_incarnation, sent_ms: self.now_ms, ctrl });
            }
            Transit::Dropped(DropReason::LinkCut) => self.net_stats.dropped_cut += 1,
            Transit::Dropped(DropReason::Lost) => self.net_stats.dropped_loss += 1,
        }
    }

    /// NodeToControllerChannelManager: with no known controller a request waits in the
    /// queue (`ControllerChannel::park`: the newest heartbeat and registration of a broker,
    /// and the newest AlterPartition of a partition, are kept).
    fn park_controller_request(&mut self, from: NodeId, msg: Msg) {
        let inc = self.incarnation_of(from);
        self.controller_channel.park(from, inc, msg);
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
        if let NodeId::Broker(b) = to {
            let slot = self.brokers.get_mut(&b).unwrap();
            if slot.paused {
                slot.deferred.push((from, msg));
                return;
            }
        }
        self.run_node(to, Some((from, msg)));
    }

    fn tick(&mut self, node: NodeId) {
        if let NodeId::Broker(b) = node {
            if self.brokers.get(&b).unwrap().paused {
                return;
            }
        }
        self.run_node(node, None);
    }

    /// One dispatch for every node: hands it the message (`Some((from, msg))`) or the tick
    /// (`None`), applies its effects, then the follow-up its kind needs: the controller's new
    /// records go to the active voter, a voter's event may change the active controller, a
    /// broker that finished a clean shutdown leaves.
    fn run_node(&mut self, node: NodeId, message: Option<(NodeId, Msg)>) {
        let now = self.now_ms;
        let mut out = Out { effects: std::mem::take(&mut self.spare_effects.0) };
        if let Some(n) = self.node_mut(node) {
            match message {
                Some((from, msg)) => n.on_message(now, from, msg, &mut out),
                None => n.on_tick(now, &mut out),
            }
        }
        self.apply_effects(node, out);
        match node {
            NodeId::Controller => self.sync_controller(),
            NodeId::Voter(_) => self.after_quorum_event(),
            _ => self.after_broker_event(node),
        }
    }

    /// The running process behind a node id (none: crashed, stopped or gone).
    fn node_mut(&mut self, node: NodeId) -> Option<&mut dyn Node> {
        match node {
            NodeId::Controller => Some(&mut self.controller),
            NodeId::Voter(v) => self.voters.get_mut(&v).and_then(|s| s.process.as_mut()).map(|p| p as &mut dyn Node),
            NodeId::Broker(b) => self.brokers.get_mut(&b).and_then(|s| s.process.as_mut()).map(|p| p as &mut dyn Node),
            NodeId::Producer(_) => Some(&mut self.producer),
            NodeId::Reader(r) => self.readers.get_mut(&r).map(|p| p as &mut dyn Node),
            NodeId::Consumer(c) => self.consumers.get_mut(&c).map(|p| p as &mut dyn Node),
        }
    }

    /// A broker that finished a clean shutdown leaves the simulation; its disk stays.
    fn after_broker_event(&mut self, node: NodeId) {
        if let NodeId::Broker(b) = node {
            let slot = self.brokers.get_mut(&b).unwrap();
            if slot.process.as_ref().is_some_and(|p| p.is_stopped()) {
                let p = slot.process.take().unwrap();
                slot.idle_disk = Some(p.disk);
                slot.crashed = false;
            } else if let Some(why) = slot.process.as_ref().and_then(|p| p.halted()) {
                // Its only log directory failed (`broker/log_dir_failure.rs`): Exit.halt(1).
                let why = why.to_string();
                self.halt_broker(b, why);
            }
        }
    }

    /// Processes one event. Returns false when the queue is empty.
    pub fn step(&mut self) -> bool {
        let Some((t, _seq, ev)) = self.queue.pop() else { return false };
        debug_assert!(t >= self.now_ms, "the event loop went back in time: {t} < {}", self.now_ms);
        self.now_ms = t;
        self.last_node = match &ev {
            Ev::Deliver { to, .. } => Some(*to),
            Ev::Wake { node, .. } => Some(*node),
            Ev::Resume { broker } => Some(NodeId::Broker(*broker)),
            Ev::WorkloadTick { .. } => Some(NodeId::Producer(PRODUCER_ID)),
            Ev::RollingRestartPoll { .. } | Ev::DecommissionPoll { .. } => None,
        };
        // The partitions this event changes are marked from here (`broker/touched.rs`).
        if let Some(NodeId::Broker(b)) = self.last_node {
            if let Some(p) = self.brokers.get_mut(&b).and_then(|s| s.process.as_mut()) {
                p.touched.clear();
            }
        }
        self.events_processed += 1;
        if t >= self.next_retire_ms {
            self.next_retire_ms = t + history::RETIRE_EVERY_MS;
            self.retire_history();
        }
        match ev {
            Ev::Deliver { from, to, msg, to_incarnation, ctrl, .. } => self.deliver(from, to, *msg, to_incarnation, ctrl),
            Ev::Wake { node, incarnation, lane } => {
                self.wakes.fired(&mut self.queue, node, t, incarnation, lane, |node, incarnation, lane| Ev::Wake {
                    node,
                    incarnation,
                    lane,
                });
                if self.node_up(node, incarnation) {
                    self.tick(node);
                }
            }
            Ev::Resume { broker } => self.resume_broker(broker),
            Ev::WorkloadTick { generation } => self.workload_tick(generation),
            Ev::RollingRestartPoll { generation } => self.rolling_restart_poll(generation),
            Ev::DecommissionPoll { generation } => self.decommission_poll(generation),
        }
        true
    }

    /// A message reaches the end of its link: hashed into the trace, lost if the link was cut
    /// meanwhile, refused if the receiver is down (`refuse`), else handed to the node.
    fn deliver(&mut self, from: NodeId, to: NodeId, msg: Msg, to_incarnation: u64, ctrl: Option<i32>) {
        self.mix(self.now_ms as u64);
        self.mix(node_code(from));
        self.mix(node_code(to));
        self.mix_str(msg.kind());
        let (pf, pt) = (self.phys(from, ctrl), self.phys(to, ctrl));
        if self.network.is_cut(pf, pt) {
            // In-flight packets on a link that was cut are lost.
            self.net_stats.dropped_cut += 1;
            return;
        }
        if !self.node_up(to, to_incarnation) {
            self.refuse(from, to, msg, ctrl, (pf, pt));
            return;
        }
        self.net_stats.delivered += 1;
        self.dispatch(to, from, msg);
    }

    /// A message for a process that is not up: the network counts it dropped, and the sender
    /// hears NOT_CONTROLLER, a reset, or (from a machine without power) nothing.
    fn refuse(&mut self, from: NodeId, to: NodeId, msg: Msg, ctrl: Option<i32>, (pf, pt): (NodeId, NodeId)) {
        let now = self.now_ms;
        self.net_stats.dropped_node_down += 1;
        // A controller voter that runs but is no longer the active controller
        // answers NOT_CONTROLLER; the broker sends the request again.
        if let (NodeId::Controller, Some(v)) = (to, ctrl) {
            if self.voters.get(&v).is_some_and(|s| s.process.is_some()) {
                if let Some(reply) = not_controller_response(&msg) {
                    self.transmit(NodeId::Controller, from, reply, Some(v));
                }
                return;
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
                return;
            }
        }
        // The peer process is down or restarted on a running machine: its kernel resets
        // the sender's connection.
        if expects_response && !self.network.is_cut(pt, pf) {
            let reply = Msg::Disconnected { lost: msg.kind(), correlation_id: msg.correlation_id() };
            let at = now + self.network.min_latency_ms.max(1);
            let inc = self.incarnation_of(from);
            self.queue.push(at, Ev::Deliver { from: to, to: from, msg: Box::new(reply), to_incarnation: inc, sent_ms: now, ctrl });
        }
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
        // Every frame reads it: counted over the queue as it is, no sorting.
        self.queue.items().filter(|e| matches!(e, Ev::Deliver { .. })).count()
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

    // --------------------------------------------------------------- commands

    /// Applies one command. Errors name the field; nothing panics on bad input.
    /// A routing table: each command is validated and carried out by one method, in
    /// `faults.rs` (what a user breaks), `commands.rs` (admin requests) or `clients.rs`.
    pub fn apply(&mut self, cmd: Command) -> Result<(), CommandError> {
        let logged = cmd.clone();
        let now = self.now_ms;
        self.last_node = None; // a command may touch anything
        self.disruptions += 1;
        match cmd {
            Command::CreateTopic { name, partitions, replication_factor, config, assignment } => {
                self.create_topic(&name, partitions, replication_factor, &config, assignment.as_ref())?
            }
            Command::Produce { topic, partition, key, value, count, tombstone } => {
                self.produce(topic, partition, key, value, count, tombstone)?
            }
            Command::CrashBroker { broker, keep_page_cache } => self.crash_broker(broker, keep_page_cache)?,
            Command::RestartBroker { broker } => self.restart_broker(broker)?,
            Command::ShutdownBroker { broker } => self.shutdown_broker(broker)?,
            Command::PauseBroker { broker, ms } => self.pause_broker(broker, ms)?,
            Command::ResumeBroker { broker } => {
                self.broker_slot(broker, "broker")?;
                self.resume_broker(broker);
            }
            Command::CrashController { controller } => self.crash_controller(controller)?,
            Command::RestartController { controller } => self.restart_controller(controller)?,
            Command::CutLink { from, to, one_way } => self.cut_link(from, to, one_way)?,
            Command::HealLink { from, to, one_way } => self.heal_link(from, to, one_way)?,
            Command::Isolate { node } => self.isolate(node)?,
            Command::HealAll => self.heal_all(),
            Command::SlowLink { from, to, extra_latency_ms, one_way } => self.slow_link(from, to, extra_latency_ms, one_way)?,
            Command::SetLinkLoss { from, to, loss, one_way } => self.set_link_loss(from, to, loss, one_way)?,
            Command::SetNetwork { min_latency_ms, max_latency_ms, loss } => self.set_network(min_latency_ms, max_latency_ms, loss)?,
            Command::SetBrokerConfig { broker, key, value } => self.set_broker_config(broker, key, value)?,
            Command::SetTopicConfig { topic, key, value } => self.set_topic_config(topic, key, value)?,
            Command::SetProducerConfig { key, value } => self.set_producer_config(key, value)?,
            Command::ElectLeaders { topic, partition, election_type } => self.elect_leaders(topic, partition, election_type)?,
            Command::SetWorkload { topic, records_per_sec, keys } => self.set_workload(topic, records_per_sec, keys)?,
            Command::StartReader { topic, partition } => self.start_reader(topic, partition)?,
            Command::StartConsumer { group_id, topics, config } => self.start_consumer(&group_id, &topics, &config)?,
            Command::StopConsumer { consumer } => self.stop_consumer(consumer)?,
            Command::CrashConsumer { consumer } => self.crash_consumer(consumer)?,
            Command::StallConsumer { consumer, ms } => self.stall_consumer(consumer, ms)?,
            Command::CommitOffsets { consumer } => self.commit_offsets(consumer)?,
            Command::SetConsumerConfig { consumer, key, value } => self.set_consumer_config(consumer, key, value)?,
            Command::Run { .. } | Command::RunUntil { .. } => {
                let span = cmd.run_span_ms(now).expect("a run command")?;
                self.run_until(now + span);
            }
            Command::Step => {
                self.step();
            }
            Command::AlterPartitionReassignments { topic, partition, replicas, throttle } => {
                self.alter_partition_reassignments(topic, partition, replicas, throttle)?
            }
            Command::DeleteRecords { topic, partition, offset } => self.delete_records(topic, partition, offset)?,
            Command::AddBroker { broker, rack } => self.add_broker_command(broker, rack)?,
            Command::SlowDisk { broker, write_latency_ms } => self.slow_disk(broker, write_latency_ms)?,
            Command::UnregisterBroker { broker } => self.unregister_broker(broker)?,
            Command::DiskFault { broker, fault } => self.disk_fault(broker, fault)?,
            Command::CreatePartitions { topic, count } => self.create_partitions(&topic, count)?,
            Command::RollingRestart { hasty } => self.rolling_restart(hasty)?,
            Command::DecommissionBroker { broker } => self.decommission_broker(broker)?,
        }
        self.command_log.push((now, logged));
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
