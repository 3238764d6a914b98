//! The page's engine handle, in plain Rust (tested natively; `wasm.rs` only
//! wraps it): a simulation under the invariant checker, scenario steps that wait
//! for their time, metrics history, and compact views for rendering.
//!
//! Views come in two kinds:
//! * structure (JSON, changes rarely, versioned): brokers, topics, partitions, replicas;
//! * a frame: every hot number in one `f64` buffer with the layout of [`FrameLayout`],
//!   plus the tail of every replica's log as leader epochs in an `i32` buffer. The
//!   page reads both straight out of wasm memory, so a frame costs no JSON.

use crate::broker::group_coordinator::OFFSETS_TOPIC;
use crate::check::CheckedSim;
use crate::client::producer::{ProducerStats, SendOutcome};
use crate::command::Command;
use crate::config::CONFIG_DEFS;
use crate::errors::CommandError;
use crate::ids::{BrokerId, TopicPartition, NO_LEADER};
use crate::page::groups_view::{describe_groups, group_ids, group_view, GroupView};
use crate::page::timeline::{Op, Partial, Position, Target, Timeline};
use crate::scenario::{start, Scenario, ScenarioError};
use crate::sim::NodeStatus;
use serde::Serialize;
use std::collections::BTreeMap;

/// The scenario the page opens with: three brokers, one topic, a steady producer.
pub const DEFAULT_SCENARIO: &str = r#"{
  "name": "playground",
  "description": "Three brokers and a replicated topic with a steady acks=all producer. Crash the leader, cut a follower off, change acks or min.insync.replicas, and watch the ISR and the high watermark.",
  "brokers": 3,
  "broker_config": { "min.insync.replicas": 2, "replica.lag.time.max.ms": 10000, "offsets.topic.num.partitions": 3 },
  "producer_config": { "acks": "all" },
  "topics": [ { "name": "orders", "partitions": 3, "replication_factor": 3 } ],
  "steps": [ { "type": "set_workload", "topic": "orders", "records_per_sec": 4, "keys": 8 } ]
}"#;

/// The benchmark workload (page `?preset=bench`, `kafka-bench`): 6 brokers × 24 partitions × RF 3,
/// 500 acks=all records/s over 64 keys.
pub const BENCH_SCENARIO: &str = r#"{"name":"bench","brokers":6,"broker_config":{"min.insync.replicas":2},"producer_config":{"acks":"all"},"topics":[{"name":"load","partitions":24,"replication_factor":3}],"steps":[{"type":"set_workload","topic":"load","records_per_sec":500,"keys":64}]}"#;

/// How many offsets of each replica's log tail the frame carries.
pub const TAIL_CELLS: usize = 48;
/// Metric samples are taken every this many simulated ms.
pub const METRICS_PERIOD_MS: i64 = 1_000;
/// Samples kept (10 simulated minutes).
pub const METRICS_KEEP: usize = 600;
/// Costly invariants are re-checked every this many events while playing.
pub const SLOW_CHECK_EVERY: u64 = 200;
/// A snapshot of the engine every this many simulated ms (time travel), at first.
pub const SNAPSHOT_EVERY_MS: i64 = 2_000;
/// Most snapshots kept; beyond, every other one goes and the interval doubles.
pub const MAX_SNAPSHOTS: usize = 128;
/// Most records (see `state_weight`) all snapshots together may hold (~100 bytes each).
pub const MAX_SNAPSHOT_WEIGHT: u64 = 4_000_000;

/// Everything that replaying needs to restore (the views' caches are rebuilt).
#[derive(Clone)]
pub struct EngineSnapshot {
    cs: CheckedSim,
    pending: Vec<(i64, Command)>,
    history: Vec<MetricsSample>,
    next_sample_ms: i64,
    last_sample_acked: usize,
}

/// The run's timeline for the page's scrubber (`Playground::timeline_view`).
#[derive(Debug, Clone, Serialize)]
pub struct TimelineView {
    pub start_ms: i64,
    pub end_ms: i64,
    pub now_ms: i64,
    /// Whether the engine is at the end of the run (else: scrubbed back; playing continues
    /// the recorded run, a command or a step forks it).
    pub at_end: bool,
    /// The user's commands with the simulated time each was applied at.
    pub commands: Vec<TimedCommand>,
    pub snapshots: usize,
    pub snapshot_every_ms: i64,
    pub scenario_end_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimedCommand {
    pub at_ms: i64,
    pub command: Command,
}

/// Offsets into the frame buffer. Every field is an `f64`.
#[derive(Debug, Clone, Serialize)]
pub struct FrameLayout {
    pub header: usize,
    pub broker_offset: usize,
    pub broker_stride: usize,
    pub partition_offset: usize,
    pub partition_stride: usize,
    pub replica_offset: usize,
    pub replica_stride: usize,
    pub header_fields: &'static [&'static str],
    pub broker_fields: &'static [&'static str],
    pub partition_fields: &'static [&'static str],
    pub replica_fields: &'static [&'static str],
    /// Codes used by `broker.status`.
    pub broker_status_codes: &'static [&'static str],
}

const HEADER_FIELDS: &[&str] = &[
    "now_ms",
    "events_processed",
    "structure_version",
    "brokers",
    "partitions",
    "replicas",
    "in_flight",
    "violations",
    "event_seq_end",
    "acknowledged",
    "failed",
    "pending",
    "lost",
    "unclean_elections",
    "isr_shrinks",
    "isr_expands",
];
const BROKER_FIELDS: &[&str] = &["id", "status", "partitions_led", "log_end_offset_sum", "unflushed", "reserved"];
const PARTITION_FIELDS: &[&str] = &[
    "leader",
    "leader_epoch",
    "partition_epoch",
    "isr_size",
    "elr_size",
    "offline",
    "under_replicated",
    "leader_high_watermark",
    "tail_base",
];
const REPLICA_FIELDS: &[&str] = &[
    "broker",
    "present",
    "log_start_offset",
    "log_end_offset",
    "high_watermark",
    "durable_end_offset",
    "in_isr",
    "in_elr",
    "is_leader",
    "lag_records",
    "lag_ms",
    "latest_epoch",
    // A follower the leader may drop from the ISR: ms until it counts as out of sync
    // (`replica.lag.time.max.ms` since it last caught up), -1 while it keeps up.
    "lag_remaining_ms",
    // The leader's `replica.lag.time.max.ms` (-1: no leader).
    "lag_limit_ms",
];
const STATUS_CODES: &[&str] = &["online", "fenced", "starting", "controlled_shutdown", "paused", "crashed", "stopped"];

fn status_code(s: NodeStatus) -> f64 {
    match s {
        NodeStatus::Online => 0.0,
        NodeStatus::Fenced => 1.0,
        NodeStatus::Starting => 2.0,
        NodeStatus::ControlledShutdown => 3.0,
        NodeStatus::Paused => 4.0,
        NodeStatus::Crashed => 5.0,
        NodeStatus::Stopped => 6.0,
    }
}

pub fn frame_layout() -> FrameLayout {
    let header = HEADER_FIELDS.len();
    FrameLayout {
        header,
        broker_offset: header,
        broker_stride: BROKER_FIELDS.len(),
        partition_offset: 0, // filled per structure (depends on the broker count)
        partition_stride: PARTITION_FIELDS.len(),
        replica_offset: 0,
        replica_stride: REPLICA_FIELDS.len(),
        header_fields: HEADER_FIELDS,
        broker_fields: BROKER_FIELDS,
        partition_fields: PARTITION_FIELDS,
        replica_fields: REPLICA_FIELDS,
        broker_status_codes: STATUS_CODES,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaRef {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartitionRef {
    pub topic: String,
    pub partition: u32,
    pub replicas: Vec<BrokerId>,
    /// Index of the first of this partition's rows in the replica table.
    pub first_replica: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BrokerRef {
    pub id: BrokerId,
    pub rack: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Structure {
    pub version: u64,
    pub seed: u64,
    pub name: Option<String>,
    pub description: Option<String>,
    pub brokers: Vec<BrokerRef>,
    pub topics: Vec<TopicView>,
    pub partitions: Vec<PartitionRef>,
    pub replicas: Vec<ReplicaRef>,
    /// Every node that can send messages, in lane order.
    pub nodes: Vec<String>,
    pub tail_cells: usize,
    pub layout: FrameLayout,
    pub frame_len: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TopicView {
    pub name: String,
    /// `__consumer_offsets`: created by the first consumer, drawn compactly after the user topics.
    pub internal: bool,
    pub partitions: u32,
    pub replication_factor: usize,
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricsSample {
    pub time_ms: i64,
    pub under_replicated_partitions: u32,
    pub offline_partitions_count: u32,
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    pub acknowledged: u64,
    pub failed: u64,
    pub produce_latency_p50_ms: Option<i64>,
    pub produce_latency_p99_ms: Option<i64>,
    /// Consumer lag: the sum of the group table's LAG (HW − committed offset) over every
    /// group, plus (HW − position) of each committed-only reader.
    pub consumer_lag: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub current: MetricsSample,
    pub produce_errors: BTreeMap<String, u64>,
    pub history: Vec<MetricsSample>,
    /// The last sample taken before the user's last command ("was" of "was → now"), and the
    /// command's time; none before the first command.
    pub before_last_action: Option<MetricsSample>,
    pub last_action_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub seq: usize,
    pub time_ms: i64,
    pub node: String,
    pub category: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentView {
    pub base_offset: i64,
    /// Base offset of the next segment (the log end offset for the active one).
    pub next_offset: i64,
    pub file: String,
    pub size_bytes: u64,
    pub records: u64,
    pub active: bool,
}

/// One replica's storage, for drawing segments, retention and compaction.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaStorageView {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    /// Records below it are compacted (the cleaner's "clean" head); 0 when never cleaned.
    pub cleaner_checkpoint: i64,
    pub cleanup_policy: &'static str,
    pub segments: Vec<SegmentView>,
    /// Offsets of tombstones (null values) within the frame's tail window.
    pub tombstones: Vec<i64>,
    /// The log cleaner's latest pass over this replica (compacted topics).
    pub last_cleaning: Option<CleaningView>,
}

/// What one pass of the log cleaner did (`LogCleaner`'s "Cleaned log" summary, with the records).
#[derive(Debug, Clone, Serialize)]
pub struct CleaningView {
    pub at_ms: i64,
    /// The cleaned range `[from, to)`.
    pub from: i64,
    pub to: i64,
    pub records_before: usize,
    pub records_after: usize,
    pub removed_count: usize,
    /// The removed records (the first 64): superseded by a later record of their key, or
    /// tombstones older than `delete.retention.ms`.
    pub removed: Vec<CleanedRecordView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CleanedRecordView {
    pub offset: i64,
    pub key: Option<String>,
    /// `None`: a tombstone.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvariantsView {
    pub ok: bool,
    pub violations: Vec<crate::check::checker::Violation>,
    pub lost_acknowledged_writes: usize,
}

/// The producer as the page shows it: settings in force (Kafka names), identity and counters.
#[derive(Debug, Clone, Serialize)]
pub struct ProducerView {
    /// Every producer config key with its value in force, as text.
    pub settings: BTreeMap<String, String>,
    /// Is idempotence in effect (it is silently off when left at its default and acks, retries
    /// or max.in.flight conflict)?
    pub idempotent: bool,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub stats: ProducerStats,
    pub queued_batches: usize,
    pub in_flight_requests: usize,
    pub acknowledged: usize,
    /// Sends that failed for good (given up: not retriable, retries or delivery.timeout.ms spent).
    pub failed: usize,
    /// Produce attempts that failed and were sent again.
    pub failed_attempts_retried: u64,
    /// The last error, in Kafka's name, with where and why.
    pub last_error: Option<crate::client::producer::ProduceErrorInfo>,
    /// The latest occurrence of each error name seen (newest first, at most 4) with how many
    /// attempts or sends got it: a flood of one error never hides another.
    pub recent_errors: Vec<RecentProduceError>,
    /// Requests in flight per broker: {broker, requests, oldest_sent_ms}; at most
    /// `max.in.flight.requests.per.connection` each (more wait in the accumulator).
    pub in_flight_by_broker: Vec<InFlightToBroker>,
    /// Settings Kafka accepts that make writes fail (`Playground::config_warnings`).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentProduceError {
    /// Attempts or sends that got this error so far.
    pub count: u64,
    pub last: crate::client::producer::ProduceErrorInfo,
}

#[derive(Debug, Clone, Serialize)]
pub struct InFlightToBroker {
    pub broker: BrokerId,
    pub requests: usize,
    pub oldest_sent_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionView {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    pub state: crate::client::consumer::PositionState,
    /// Leader high watermark − position (records), -1 when unknown.
    pub lag: i64,
    /// Committed offset known to this consumer (-1: none).
    pub committed: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerView {
    pub id: u32,
    pub client_id: String,
    pub group_id: String,
    pub topics: Vec<String>,
    pub member_id: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub state: crate::client::consumer::MemberState,
    pub crashed: bool,
    /// Simulated ms left of a stall (0: polling normally).
    pub stalled_ms: i64,
    pub coordinator: Option<BrokerId>,
    pub assignor: String,
    pub assignment: Vec<String>,
    pub positions: Vec<PositionView>,
    pub consumed: usize,
    pub stats: crate::client::consumer::ConsumerStats,
    /// The latest of each error name it received, newest first (at most 3), with counts.
    pub recent_errors: Vec<RecentConsumerError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentConsumerError {
    pub count: u64,
    pub last: crate::client::consumer::ConsumerErrorInfo,
}

/// Producer, consumers and groups (`Playground::clients`).
#[derive(Debug, Clone, Serialize)]
pub struct ClientsView {
    pub producer: ProducerView,
    pub consumers: Vec<ConsumerView>,
    pub groups: Vec<GroupView>,
}

/// The KRaft controller quorum for the page (`Playground::controller_quorum`): the engine's
/// view, how long the cluster has been without an active controller, and the last change of
/// active controller. With a single controller (`sim.controllers=1`) `voters` is empty: that one
/// voter is always the active controller, and the page draws one controller box.
#[derive(Debug, Clone, Serialize)]
pub struct ControllerQuorumPageView {
    #[serde(flatten)]
    pub quorum: crate::sim::ControllerQuorumView,
    /// How long there has been no active controller (none while one is active).
    pub no_controller_for_ms: Option<i64>,
    /// The last change of active controller (a new one, or losing it); none before the first.
    pub last_change: Option<crate::sim::ControllerChange>,
}

/// Counts that change whenever the structure view may change: brokers, topics,
/// partitions, readers and the metadata log length.
type StructureKey = (usize, usize, usize, usize, usize);

pub struct Playground {
    pub cs: CheckedSim,
    scenario: Scenario,
    /// Scenario steps with a future `at_ms`, in order.
    pending: Vec<(i64, Command)>,
    structure_key: String,
    structure_version: u64,
    frame: Vec<f64>,
    tails: Vec<i32>,
    history: Vec<MetricsSample>,
    next_sample_ms: i64,
    last_sample_acked: usize,
    lost: crate::check::audit::LostCounter,
    /// The last structure view and the cheap key it was built for.
    cached: Option<(StructureKey, Structure)>,
    /// When the scenario's last step has been applied (its `run`s added up).
    scenario_end_ms: i64,
    /// The scenario as given (shareable links carry it).
    scenario_obj: serde_json::Map<String, serde_json::Value>,
    /// Every op of the run and the snapshots (time travel).
    timeline: Timeline<Box<EngineSnapshot>>,
    /// Where the engine is on the timeline.
    pos: Position,
    /// Ghosts removed at or before this time are hidden (the user dismissed them).
    ghosts_dismissed_at_ms: i64,
}

impl EngineSnapshot {
    /// A placeholder replaced as soon as the playground is built.
    fn empty() -> EngineSnapshot {
        EngineSnapshot {
            cs: CheckedSim::new(crate::sim::Sim::new(crate::sim::ClusterSpec::new(0, 1)).expect("a one-broker cluster is valid")),
            pending: vec![],
            history: vec![],
            next_sample_ms: 0,
            last_sample_acked: 0,
        }
    }
}

impl Playground {
    /// From a scenario file's text (the default scenario when `None`), with an optional seed override.
    pub fn new(scenario_json: Option<&str>, seed: Option<u64>) -> Result<Playground, ScenarioError> {
        let text = scenario_json.unwrap_or(DEFAULT_SCENARIO);
        let mut scenario = Scenario::parse(text)?;
        let scenario_obj = match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        if let Some(s) = seed {
            scenario.seed = s;
        }
        let mut cs = start(&scenario)?;
        cs.slow_check_every = SLOW_CHECK_EVERY;
        let mut p = Playground {
            cs,
            pending: vec![],
            structure_key: String::new(),
            structure_version: 0,
            frame: vec![],
            tails: vec![],
            history: vec![],
            next_sample_ms: 0,
            last_sample_acked: 0,
            lost: Default::default(),
            cached: None,
            scenario_end_ms: 0,
            scenario_obj,
            timeline: Timeline::new(0, Box::new(EngineSnapshot::empty()), SNAPSHOT_EVERY_MS, MAX_SNAPSHOTS),
            pos: Position::START,
            ghosts_dismissed_at_ms: i64::MIN,
            scenario: scenario.clone(),
        };
        // Every step goes on the timeline (a `run` is time passing), so the page plays a
        // scenario from its start; steps due now are applied at once, so that a bad one
        // is reported as the scenario's error.
        let (timeline, end_ms) = scenario.timeline(p.cs.sim.now_ms());
        p.scenario_end_ms = end_ms;
        for (i, (at, cmd)) in timeline.into_iter().enumerate() {
            if at > p.now_ms() {
                p.pending.push((at, cmd));
            } else {
                p.cs.apply(cmd).map_err(|e| ScenarioError {
                    field: format!("steps[{i}].{}", e.field),
                    message: format!("{}: {}", e.error, e.message),
                })?;
            }
        }
        p.pending.sort_by_key(|(t, _)| *t);
        p.next_sample_ms = p.cs.sim.now_ms();
        p.sample_metrics();
        p.timeline = Timeline::new(p.now_ms(), Box::new(p.snapshot()), SNAPSHOT_EVERY_MS, MAX_SNAPSHOTS);
        p.timeline.max_weight = MAX_SNAPSHOT_WEIGHT;
        Ok(p)
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The scenario object as given (before the seed override).
    pub fn scenario_json(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.scenario_obj
    }

    /// Simulated time at which every step of the scenario has been applied.
    pub fn scenario_end_ms(&self) -> i64 {
        self.scenario_end_ms
    }

    pub fn now_ms(&self) -> i64 {
        self.cs.sim.now_ms()
    }

    /// Applies a user command (JSON text). `run`, `run_until` and `step` advance time.
    pub fn apply_json(&mut self, json: &str) -> Result<(), CommandError> {
        let cmd = Command::from_json(json).map_err(|m| CommandError::invalid_request("command", m))?;
        self.apply(cmd)
    }

    /// Applies a user command and records it on the timeline. After scrubbing back, a
    /// command forks the run: what came after is discarded.
    pub fn apply(&mut self, cmd: Command) -> Result<(), CommandError> {
        match cmd {
            Command::Run { ms } => {
                if !(0..=crate::command::MAX_RUN_MS).contains(&ms) {
                    return Err(CommandError::invalid_request("ms", format!("run takes 0 to {} ms", crate::command::MAX_RUN_MS)));
                }
                self.advance(ms);
                Ok(())
            }
            Command::RunUntil { time_ms } => {
                let now = self.now_ms();
                if time_ms < now || time_ms - now > crate::command::MAX_RUN_MS {
                    return Err(CommandError::invalid_request(
                        "time_ms",
                        format!("time_ms must be between now ({now}) and now + {}", crate::command::MAX_RUN_MS),
                    ));
                }
                self.advance(time_ms - now);
                Ok(())
            }
            Command::Step => {
                self.step();
                Ok(())
            }
            other => {
                self.fork();
                self.cs.apply(other.clone())?;
                self.timeline.push(Op::Apply(other), self.now_ms());
                self.pos = self.timeline.end();
                Ok(())
            }
        }
    }

    /// Advances simulated time by `ms`, applying scenario steps that come due and
    /// sampling metrics. Returns the number of events processed. Scrubbed back, this
    /// plays the recorded run forward (its commands again), then goes on live.
    pub fn advance(&mut self, ms: i64) -> u64 {
        let before = self.cs.sim.events_processed;
        let until = self.now_ms().saturating_add(ms.max(0));
        if self.pos != self.timeline.end() {
            let end_ms = self.timeline.end_ms();
            self.exec_to(self.timeline.target_at(until.min(end_ms)));
            if until <= end_ms {
                return self.cs.sim.events_processed - before;
            }
            self.exec_to(Target { op: self.timeline.ops().len(), until_ms: None });
        }
        // Live: snapshots every `snapshot_every_ms` of simulated time.
        loop {
            let due = self.timeline.last_snapshot_ms() + self.timeline.snapshot_every_ms;
            if due >= until {
                break;
            }
            self.engine_advance(due - self.now_ms());
            self.timeline.push(Op::Until(due), self.now_ms());
            let pos = Position { op: self.timeline.ops().len() - 1, partial: Partial::Until(due) };
            let snap = Box::new(self.snapshot());
            let weight = self.state_weight();
            self.timeline.add_snapshot(pos, due, snap, weight);
        }
        self.engine_advance(until - self.now_ms());
        self.timeline.push(Op::Until(until), self.now_ms());
        self.pos = self.timeline.end();
        self.cs.sim.events_processed - before
    }

    /// Processes exactly one event (or applies the next due scenario step). Scrubbed
    /// back, this forks the run first.
    pub fn step(&mut self) -> bool {
        self.fork();
        let more = self.engine_step();
        self.timeline.push(Op::Steps(1), self.now_ms());
        self.pos = self.timeline.end();
        more
    }

    // ------------------------------------------------------------ time travel

    fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            cs: self.cs.clone(),
            pending: self.pending.clone(),
            history: self.history.clone(),
            next_sample_ms: self.next_sample_ms,
            last_sample_acked: self.last_sample_acked,
        }
    }

    /// Roughly how many records a snapshot copies: every replica's records, every send,
    /// every record consumed, every event line kept.
    fn state_weight(&self) -> u64 {
        let sim = &self.cs.sim;
        let logs: usize = sim.brokers.values().map(|b| b.disk().logs.values().map(|l| l.records().len()).sum::<usize>()).sum();
        let consumed: usize =
            sim.consumers.values().map(|c| c.consumed.len()).sum::<usize>() + sim.readers.values().map(|r| r.seen.len()).sum::<usize>();
        (logs + sim.producer.sends.len() + consumed + sim.events.len()) as u64
    }

    fn restore(&mut self, s: &EngineSnapshot) {
        self.cs = s.cs.clone();
        self.pending = s.pending.clone();
        self.history = s.history.clone();
        self.next_sample_ms = s.next_sample_ms;
        self.last_sample_acked = s.last_sample_acked;
        self.lost = Default::default();
        // The structure may differ (brokers, topics, consumers): views rebuild it.
        self.cached = None;
        self.structure_key.clear();
    }

    /// Runs the recorded ops from the current position to `t` (which is not before it).
    fn exec_to(&mut self, t: Target) {
        while self.pos.op < t.op {
            let i = self.pos.op;
            match self.timeline.ops()[i].clone() {
                Op::Until(u) => {
                    self.engine_advance(u - self.now_ms());
                }
                Op::Steps(n) => {
                    let done = if let Partial::Steps(m) = self.pos.partial { m } else { 0 };
                    for _ in done..n {
                        self.engine_step();
                    }
                }
                Op::Apply(c) => {
                    let _ = self.cs.apply(c);
                }
            }
            self.pos = Position { op: i + 1, partial: Partial::None };
        }
        let Some(until) = t.until_ms else { return };
        if t.op >= self.timeline.ops().len() {
            return;
        }
        match self.timeline.ops()[t.op].clone() {
            Op::Until(_) => {
                self.engine_advance(until - self.now_ms());
                self.pos.partial = Partial::Until(until);
            }
            Op::Steps(n) => {
                let mut m = if let Partial::Steps(m) = self.pos.partial { m } else { 0 };
                while m < n && self.next_thing_ms().is_some_and(|x| x <= until) {
                    self.engine_step();
                    m += 1;
                }
                self.pos.partial = Partial::Steps(m);
            }
            Op::Apply(_) => {}
        }
    }

    /// Time of the next event or due scenario step.
    fn next_thing_ms(&self) -> Option<i64> {
        let e = self.cs.sim.next_event_time();
        let s = self.pending.first().map(|(t, _)| *t);
        match (e, s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves the engine to the state it had at simulated time `t_ms` of this run
    /// (clamped to the run), from the nearest snapshot or from where it is. Later ops
    /// are kept: playing continues them, a command or `fork` discards them.
    pub fn seek(&mut self, t_ms: i64) {
        // Rewinding shows the ghosts of the moment landed on again.
        self.ghosts_dismissed_at_ms = i64::MIN;
        let t_ms = t_ms.clamp(self.timeline.start_ms, self.timeline.end_ms());
        let target = self.timeline.target_at(t_ms);
        let target_pos = Position {
            op: target.op,
            partial: match target.until_ms {
                Some(u) if target.op < self.timeline.ops().len() => match self.timeline.ops()[target.op] {
                    Op::Until(_) => Partial::Until(u),
                    _ => Partial::None,
                },
                _ => Partial::None,
            },
        };
        let (snap_pos, snap_ms, _) = self.timeline.snapshot_for(&target);
        let from_here = self.pos.is_at_or_before(&target_pos) && self.now_ms() >= snap_ms && !matches!(self.pos.partial, Partial::Steps(_));
        if !from_here || (self.pos == target_pos && self.now_ms() > t_ms) {
            let (_, _, snap) = self.timeline.snapshot_for(&target);
            let snap = snap.clone();
            self.restore(&snap);
            self.pos = snap_pos;
        }
        self.exec_to(target);
    }

    /// Discards everything after the current moment (the run continues from here).
    pub fn fork(&mut self) {
        if self.pos != self.timeline.end() {
            let now = self.now_ms();
            self.timeline.truncate(self.pos, now);
            self.pos = self.timeline.end();
        }
    }

    /// Goes back to just before the last command and forgets it (and what came after).
    /// Returns the command undone, or `None` when there is none.
    pub fn undo(&mut self) -> Option<Command> {
        let i = self.timeline.before_last_command()?;
        let Op::Apply(cmd) = self.timeline.ops()[i].clone() else { return None };
        let target = Target { op: i, until_ms: None };
        let (snap_pos, _, snap) = self.timeline.snapshot_for(&target);
        let snap = snap.clone();
        if !self.pos.is_at_or_before(&Position { op: i, partial: Partial::None }) {
            self.restore(&snap);
            self.pos = snap_pos;
        }
        self.exec_to(target);
        self.fork();
        Some(cmd)
    }

    /// The timeline for the page's scrubber.
    pub fn timeline_view(&self) -> TimelineView {
        let mut commands = vec![];
        for (i, op) in self.timeline.ops().iter().enumerate() {
            if let Op::Apply(c) = op {
                commands.push(TimedCommand { at_ms: self.timeline.op_end_ms(i), command: c.clone() });
            }
        }
        TimelineView {
            start_ms: self.timeline.start_ms,
            end_ms: self.timeline.end_ms(),
            now_ms: self.now_ms(),
            at_end: self.pos == self.timeline.end(),
            commands,
            snapshots: self.timeline.snapshot_count(),
            snapshot_every_ms: self.timeline.snapshot_every_ms,
            scenario_end_ms: self.scenario_end_ms,
        }
    }

    /// The recorded ops (for shareable links and exports).
    pub fn ops(&self) -> &[Op] {
        self.timeline.ops()
    }

    /// Advances the engine (no recording): scenario steps that come due, metric samples.
    fn engine_advance(&mut self, ms: i64) {
        let until = self.now_ms().saturating_add(ms.max(0));
        loop {
            let next_step = self.pending.first().map(|(t, _)| *t).filter(|t| *t <= until);
            let next_sample = self.next_sample_ms.min(until);
            let target = next_step.map_or(next_sample, |s| s.min(next_sample));
            self.cs.run_until(target);
            if self.now_ms() >= self.next_sample_ms {
                self.sample_metrics();
            }
            // Steps due at the same moment are applied back to back, with no event in
            // between, as `kafka-sim run` applies a scenario's consecutive steps.
            while self.pending.first().is_some_and(|(t, _)| *t <= self.now_ms()) {
                let (_, cmd) = self.pending.remove(0);
                let _ = self.cs.apply(cmd);
            }
            if self.now_ms() >= until && self.pending.first().is_none_or(|(t, _)| *t > until) {
                break;
            }
        }
    }

    /// One event or due scenario step (no recording).
    fn engine_step(&mut self) -> bool {
        if let Some((at, _)) = self.pending.first() {
            if self.cs.sim.next_event_time().is_none_or(|t| t >= *at) {
                let (at, cmd) = self.pending.remove(0);
                // A step due now follows the one before it at once (see `engine_advance`).
                if at > self.now_ms() {
                    self.cs.run_until(at);
                }
                let _ = self.cs.apply(cmd);
                return true;
            }
        }
        let more = self.cs.step();
        if self.now_ms() >= self.next_sample_ms {
            self.sample_metrics();
        }
        more
    }

    fn sample_metrics(&mut self) {
        let s = self.current_metrics();
        self.last_sample_acked = s.acknowledged as usize;
        self.history.push(s);
        if self.history.len() > METRICS_KEEP {
            self.history.remove(0);
        }
        self.next_sample_ms = self.now_ms() + METRICS_PERIOD_MS;
    }

    fn current_metrics(&self) -> MetricsSample {
        let sim = &self.cs.sim;
        let now = sim.now_ms();
        let mut urp = 0;
        let mut offline = 0;
        for p in sim.controller.partitions.values() {
            if p.leader == NO_LEADER {
                offline += 1;
            } else if p.isr.len() < p.replicas.len() {
                urp += 1;
            }
        }
        let acked = sim.producer.acked_count as u64;
        let failed = sim.producer.failed_count as u64;
        // Latency of writes acknowledged in the last 10 s (among the newest 5000 sends).
        let mut recent: Vec<i64> = vec![];
        for s in sim.producer.sends.values().rev().take(5_000) {
            if let SendOutcome::Acked { at_ms, .. } = s.outcome {
                if now - at_ms <= 10 * METRICS_PERIOD_MS && s.acks != crate::config::Acks::Zero {
                    recent.push(at_ms - s.created_ms);
                }
            }
        }
        recent.sort_unstable();
        let pct = |p: f64| -> Option<i64> {
            if recent.is_empty() {
                None
            } else {
                let i = ((recent.len() as f64 - 1.0) * p).round() as usize;
                Some(recent[i])
            }
        };
        let mut lag = 0;
        // Readers (not in a group): leader HW − position.
        for r in sim.readers.values() {
            if let Some(st) = sim.controller.partitions.get(&r.tp) {
                if let Some(log) =
                    (st.leader != NO_LEADER).then(|| sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(&r.tp))).flatten()
                {
                    lag += (log.high_watermark() - r.position).max(0);
                }
            }
        }
        // Groups: the LAG column of `kafka-consumer-groups.sh --describe` (HW − committed offset),
        // summed, so the metric and the group table always agree.
        for g in group_ids(sim) {
            if let Some(v) = group_view(sim, &g) {
                lag += v.partitions.iter().filter(|p| p.lag > 0).map(|p| p.lag).sum::<i64>();
            }
        }
        MetricsSample {
            time_ms: now,
            under_replicated_partitions: urp,
            offline_partitions_count: offline,
            isr_shrinks: sim.controller.leader_isr_shrinks,
            isr_expands: sim.controller.leader_isr_expands,
            acknowledged: acked,
            failed,
            produce_latency_p50_ms: pct(0.5),
            produce_latency_p99_ms: pct(0.99),
            consumer_lag: lag,
        }
    }

    pub fn metrics(&self) -> Metrics {
        let last_action_ms = self.timeline.ops().iter().enumerate().rev().find_map(|(i, op)| match op {
            Op::Apply(_) => Some(self.timeline.op_end_ms(i)),
            _ => None,
        });
        let before_last_action = last_action_ms.and_then(|t| self.history.iter().rev().find(|h| h.time_ms <= t).cloned());
        Metrics {
            current: self.current_metrics(),
            produce_errors: self.cs.sim.producer.error_counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            history: self.history.clone(),
            before_last_action,
            last_action_ms,
        }
    }

    /// The timers the engine runs, as countdowns (`crate::page::countdowns`).
    pub fn countdowns(&self) -> crate::page::countdowns::Countdowns {
        crate::page::countdowns::countdowns(&self.cs.sim)
    }

    /// The records of the replica at `replica` (index in the structure's replica table) in
    /// `[from, from + count)`: key, value, epoch, batch, timestamp, segment file.
    pub fn records(&mut self, replica: usize, from: i64, count: usize) -> Vec<crate::page::record_view::RecordView> {
        let Some(r) = self.structure_ref().replicas.get(replica).cloned() else { return vec![] };
        crate::page::record_view::records(&self.cs.sim, &TopicPartition::new(&r.topic, r.partition), r.broker, from, count)
    }

    /// Records replicas lost from their end since the user last dismissed them.
    pub fn ghosts(&mut self) -> Vec<crate::page::record_view::GhostView> {
        let any_lost = self.lost.count(&self.cs.sim) > 0;
        crate::page::record_view::ghosts(&self.cs.sim, self.ghosts_dismissed_at_ms, any_lost)
    }

    /// Ghosts older than this were dismissed (see [`Playground::dismiss_ghosts`]).
    pub fn ghosts_dismissed_at_ms(&self) -> i64 {
        self.ghosts_dismissed_at_ms
    }

    /// Hides the ghosts there are now (rewinding brings back the ones of that moment).
    pub fn dismiss_ghosts(&mut self) {
        self.ghosts_dismissed_at_ms = self.now_ms();
    }

    /// What the settings in force will do that a user may not expect: Kafka accepts them
    /// (e.g. `min.insync.replicas` above the replication factor), the page says so.
    pub fn config_warnings(&self) -> Vec<String> {
        let sim = &self.cs.sim;
        let mut out = vec![];
        let acks_all = sim.producer.config.acks == crate::config::Acks::All;
        for (name, cfg) in &sim.controller.topics {
            let Some(p) = sim.controller.partitions.values().find(|p| &p.tp.topic == name) else { continue };
            let rf = p.replicas.len() as i64;
            let broker_cfg = p.replicas.iter().find_map(|b| sim.brokers.get(b)).map(|s| &s.config).unwrap_or(&sim.spec.broker_config);
            let min_isr = cfg.min_insync_replicas(broker_cfg);
            if min_isr > rf && name != OFFSETS_TOPIC {
                // Kafka accepts it; the leader then uses `Partition.effectiveMinIsr` =
                // min(min.insync.replicas, replication factor) (Kafka 4.x), so acks=all needs
                // every replica in the ISR: one replica down and every such write is refused.
                out.push(format!(
                    "min.insync.replicas={min_isr} is above the replication factor {rf} of {name}: Kafka accepts it and the leader uses {rf} (effectiveMinIsr), so {}",
                    if acks_all {
                        format!("every acks=all write to it fails with NOT_ENOUGH_REPLICAS as soon as one of its {rf} replicas leaves the ISR")
                    } else {
                        "acks=all writes would need every replica in the ISR (this producer uses acks=0/1, which ignore it)".to_string()
                    }
                ));
            }
        }
        out
    }

    fn replica_table(&self) -> (Vec<PartitionRef>, Vec<ReplicaRef>) {
        let mut parts = vec![];
        let mut reps = vec![];
        // User topics first, then `__consumer_offsets` (the same order as the structure's topics).
        let all = &self.cs.sim.controller.partitions;
        let ordered = all.values().filter(|p| p.tp.topic != OFFSETS_TOPIC).chain(all.values().filter(|p| p.tp.topic == OFFSETS_TOPIC));
        for p in ordered {
            parts.push(PartitionRef {
                topic: p.tp.topic.clone(),
                partition: p.tp.partition,
                replicas: p.replicas.clone(),
                first_replica: reps.len(),
            });
            for &b in &p.replicas {
                reps.push(ReplicaRef { topic: p.tp.topic.clone(), partition: p.tp.partition, broker: b });
            }
        }
        (parts, reps)
    }

    /// The structure view; its `version` changes whenever brokers, topics or replicas change.
    pub fn structure(&mut self) -> Structure {
        self.structure_ref().clone()
    }

    /// The structure, rebuilt only when brokers, topics, partitions, metadata or readers changed.
    fn structure_ref(&mut self) -> &Structure {
        let sim = &self.cs.sim;
        let key = (
            sim.brokers.len(),
            sim.controller.topics.len(),
            sim.controller.partitions.len(),
            sim.readers.len() + sim.consumers.len(),
            sim.controller.log.len(),
        );
        if self.cached.as_ref().is_none_or(|(k, _)| *k != key) {
            let s = self.build_structure();
            self.cached = Some((key, s));
        }
        &self.cached.as_ref().unwrap().1
    }

    fn build_structure(&mut self) -> Structure {
        let sim = &self.cs.sim;
        let brokers: Vec<BrokerRef> = sim.brokers.values().map(|s| BrokerRef { id: s.spec.id, rack: s.spec.rack.clone() }).collect();
        // User topics first, the internal `__consumer_offsets` last (it sorts first by name).
        let mut topics: Vec<TopicView> = sim
            .controller
            .topics
            .iter()
            .map(|(name, cfg)| {
                let parts: Vec<_> = sim.controller.partitions.values().filter(|p| &p.tp.topic == name).collect();
                TopicView {
                    internal: name == OFFSETS_TOPIC,
                    name: name.clone(),
                    partitions: parts.len() as u32,
                    replication_factor: parts.first().map(|p| p.replicas.len()).unwrap_or(0),
                    config: cfg.overrides.clone(),
                }
            })
            .collect();
        topics.sort_by_key(|t| t.internal);
        let (partitions, replicas) = self.replica_table();
        let key = format!(
            "{brokers:?}{topics:?}{replicas:?}{:?}{:?}",
            sim.readers.keys().collect::<Vec<_>>(),
            sim.consumers.keys().collect::<Vec<_>>()
        );
        if key != self.structure_key {
            self.structure_key = key;
            self.structure_version += 1;
        }
        let mut nodes = vec!["controller".to_string()];
        // With a controller quorum, each voter's machine can be cut off or isolated by name too.
        if sim.quorum_mode() {
            nodes.extend(sim.voters.keys().map(|v| format!("controller-{v}")));
        }
        nodes.extend(brokers.iter().map(|b| format!("broker-{}", b.id)));
        nodes.push("producer-1".into());
        nodes.extend(sim.readers.keys().map(|r| format!("reader-{r}")));
        nodes.extend(sim.consumers.keys().map(|c| format!("consumer-{c}")));
        let mut layout = frame_layout();
        layout.partition_offset = layout.broker_offset + brokers.len() * layout.broker_stride;
        layout.replica_offset = layout.partition_offset + partitions.len() * layout.partition_stride;
        let frame_len = layout.replica_offset + replicas.len() * layout.replica_stride;
        Structure {
            version: self.structure_version,
            seed: sim.spec.seed,
            name: self.scenario.name.clone(),
            description: self.scenario.description.clone(),
            brokers,
            topics,
            partitions,
            replicas,
            nodes,
            tail_cells: TAIL_CELLS,
            layout,
            frame_len,
        }
    }

    /// Recomputes the frame buffers; returns (frame, tails).
    pub fn frame(&mut self) -> (&[f64], &[i32]) {
        // Borrow the cached structure for this frame without cloning it (it is put back below).
        self.structure_ref();
        let (key, structure) = self.cached.take().expect("structure_ref filled the cache");
        let sim = &self.cs.sim;
        let l = &structure.layout;
        self.frame.clear();
        self.frame.resize(structure.frame_len, 0.0);
        self.tails.clear();
        self.tails.resize(structure.replicas.len() * TAIL_CELLS, -1);
        let lost = self.lost.count(sim);
        let f = &mut self.frame;
        let (acked, failed, pending) = (sim.producer.acked_count as f64, sim.producer.failed_count as f64, sim.producer.pending() as f64);
        let header = [
            sim.now_ms() as f64,
            sim.events_processed as f64,
            structure.version as f64,
            structure.brokers.len() as f64,
            structure.partitions.len() as f64,
            structure.replicas.len() as f64,
            sim.in_flight_count() as f64,
            self.cs.checker.violations.len() as f64,
            (sim.events_dropped + sim.events.len()) as f64,
            acked,
            failed,
            pending,
            lost as f64,
            sim.controller.unclean_elections as f64,
            sim.controller.leader_isr_shrinks as f64,
            sim.controller.leader_isr_expands as f64,
        ];
        f[..header.len()].copy_from_slice(&header);
        for (i, b) in structure.brokers.iter().enumerate() {
            let o = l.broker_offset + i * l.broker_stride;
            let slot = &sim.brokers[&b.id];
            let led = sim.controller.partitions.values().filter(|p| p.leader == b.id).count();
            let disk = slot.disk();
            f[o] = b.id as f64;
            f[o + 1] = status_code(slot.status());
            f[o + 2] = led as f64;
            f[o + 3] = disk.logs.values().map(|x| x.log_end_offset()).sum::<i64>() as f64;
            f[o + 4] = disk.logs.values().map(|x| x.log_end_offset() - x.durable_end_offset()).sum::<i64>() as f64;
        }
        for (pi, pr) in structure.partitions.iter().enumerate() {
            let tp = TopicPartition::new(&pr.topic, pr.partition);
            let st = &sim.controller.partitions[&tp];
            let o = l.partition_offset + pi * l.partition_stride;
            let leader_log = (st.leader != NO_LEADER).then(|| sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(&tp))).flatten();
            let leader_leo = leader_log.map(|x| x.log_end_offset());
            let max_leo = pr
                .replicas
                .iter()
                .filter_map(|b| sim.brokers.get(b).and_then(|s| s.disk().logs.get(&tp)))
                .map(|x| x.log_end_offset())
                .max()
                .unwrap_or(0);
            let tail_base = (max_leo - TAIL_CELLS as i64).max(0);
            f[o] = st.leader as f64;
            f[o + 1] = st.leader_epoch as f64;
            f[o + 2] = st.partition_epoch as f64;
            f[o + 3] = st.isr.len() as f64;
            f[o + 4] = st.elr.len() as f64;
            f[o + 5] = if st.leader == NO_LEADER { 1.0 } else { 0.0 };
            f[o + 6] = if st.leader != NO_LEADER && st.isr.len() < st.replicas.len() { 1.0 } else { 0.0 };
            f[o + 7] = leader_log.map(|x| x.high_watermark()).unwrap_or(-1) as f64;
            f[o + 8] = tail_base as f64;
            // The leader's view of each follower (for lag in ms).
            let leader_state = sim
                .brokers
                .get(&st.leader)
                .and_then(|b| b.process.as_ref())
                .and_then(|p| p.partitions.get(&tp))
                .and_then(|p| p.leader_state.as_ref());
            let leader_cfg = sim.brokers.get(&st.leader).and_then(|b| b.process.as_ref()).map(|p| &p.config);
            for (k, &b) in pr.replicas.iter().enumerate() {
                let ri = pr.first_replica + k;
                let o = l.replica_offset + ri * l.replica_stride;
                let slot = &sim.brokers[&b];
                let log = slot.disk().logs.get(&tp);
                f[o] = b as f64;
                f[o + 1] = if log.is_some() { 1.0 } else { 0.0 };
                if let Some(log) = log {
                    let hw = shown_high_watermark(slot, log, &tp);
                    f[o + 2] = log.log_start_offset() as f64;
                    f[o + 3] = log.log_end_offset() as f64;
                    f[o + 4] = hw as f64;
                    f[o + 5] = log.durable_end_offset() as f64;
                    f[o + 11] = log.latest_epoch().unwrap_or(-1) as f64;
                    let cells = &mut self.tails[ri * TAIL_CELLS..(ri + 1) * TAIL_CELLS];
                    for r in log.read(tail_base, tail_base + TAIL_CELLS as i64, TAIL_CELLS) {
                        cells[(r.offset - tail_base) as usize] = r.leader_epoch;
                    }
                }
                // 1-based position in the ISR (the controller's order), 0 = not in the ISR.
                f[o + 6] = st.isr.iter().position(|&x| x == b).map(|i| i as f64 + 1.0).unwrap_or(0.0);
                f[o + 7] = if st.elr.contains(&b) { 1.0 } else { 0.0 };
                f[o + 8] = if st.leader == b { 1.0 } else { 0.0 };
                f[o + 9] = match (leader_leo, log) {
                    (Some(lleo), Some(log)) if st.leader != b => (lleo - log.log_end_offset()) as f64,
                    _ => -1.0,
                };
                f[o + 10] = match leader_state.and_then(|ls| ls.remote.get(&b)) {
                    Some(rs) if st.leader != b && rs.last_caught_up_time_ms > 0 => (sim.now_ms() - rs.last_caught_up_time_ms) as f64,
                    _ => -1.0,
                };
                let timer = match (leader_state.and_then(|ls| ls.remote.get(&b)), leader_cfg, leader_leo) {
                    (Some(rs), Some(cfg), Some(lleo)) if st.leader != b => {
                        crate::page::countdowns::follower_lag(cfg, rs, lleo, sim.now_ms())
                    }
                    _ => None,
                };
                f[o + 12] = timer.map(|(_, rem)| rem).unwrap_or(-1) as f64;
                f[o + 13] = leader_cfg.map(|c| c.replica_lag_time_max_ms).unwrap_or(-1) as f64;
            }
        }
        self.cached = Some((key, structure));
        (&self.frame, &self.tails)
    }

    /// The frame buffer filled by the last [`Playground::frame`].
    pub fn frame_buf(&self) -> &[f64] {
        &self.frame
    }

    /// The log-tail buffer filled by the last [`Playground::frame`].
    pub fn tails(&self) -> &[i32] {
        &self.tails
    }

    /// The controller quorum: voters (none with a single controller), the active one, the
    /// controller epoch, and how long the cluster has been without an active controller.
    pub fn controller_quorum(&self) -> ControllerQuorumPageView {
        let sim = &self.cs.sim;
        let mut quorum = sim.controller_quorum();
        if !sim.quorum_mode() {
            quorum.voters.clear();
        }
        ControllerQuorumPageView {
            no_controller_for_ms: quorum.no_controller_since_ms.map(|t| sim.now_ms() - t),
            last_change: sim.controller_history.last().cloned(),
            quorum,
        }
    }

    /// Event-log lines with `seq` ≥ `from` (at most `max`).
    pub fn events_since(&self, from: usize, max: usize) -> Vec<EventView> {
        let sim = &self.cs.sim;
        let first = sim.events_dropped;
        let start = from.max(first) - first;
        sim.events
            .iter()
            .enumerate()
            .skip(start)
            .take(max)
            .map(|(i, e)| EventView {
                seq: first + i,
                time_ms: e.time_ms,
                node: e.node.to_string(),
                category: e.category,
                message: e.message.clone(),
            })
            .collect()
    }

    /// The one verdict the page shows (invariant panel, audit line, embed badge, narration
    /// checks): the checker's violations, plus `AcknowledgedWriteLost` the moment the audit
    /// counts a lost acknowledged write, even before the checker's next slow pass (every
    /// 100 simulated ms) records it. So "all invariants hold" never sits next to a loss.
    pub fn invariants(&mut self) -> InvariantsView {
        let lost = self.lost.count(&self.cs.sim);
        let mut violations = self.cs.checker.violations.clone();
        if lost > 0 && !violations.iter().any(|v| v.invariant == crate::check::checker::Invariant::AcknowledgedWriteLost) {
            let sim = &self.cs.sim;
            let writes = crate::check::audit::lost_acknowledged_writes(sim);
            violations.extend(crate::check::checker::lost_write_violations(sim, &writes, sim.now_ms()).into_iter().map(|(_, v)| v));
        }
        InvariantsView { ok: violations.is_empty(), violations, lost_acknowledged_writes: lost }
    }

    /// Segments, log start, cleaner checkpoint and tombstones of every replica, in the
    /// structure's replica order.
    pub fn storage(&mut self) -> Vec<ReplicaStorageView> {
        let structure = self.structure_ref().clone();
        let sim = &self.cs.sim;
        structure
            .replicas
            .iter()
            .map(|r| {
                let tp = TopicPartition::new(&r.topic, r.partition);
                let log = sim.brokers.get(&r.broker).and_then(|s| s.disk().logs.get(&tp));
                match log {
                    None => ReplicaStorageView {
                        topic: r.topic.clone(),
                        partition: r.partition,
                        broker: r.broker,
                        log_start_offset: 0,
                        log_end_offset: 0,
                        cleaner_checkpoint: 0,
                        cleanup_policy: "delete",
                        segments: vec![],
                        tombstones: vec![],
                        last_cleaning: None,
                    },
                    Some(log) => {
                        let segs = log.segments();
                        let segments = segs
                            .iter()
                            .enumerate()
                            .map(|(i, s)| SegmentView {
                                base_offset: s.base_offset,
                                next_offset: segs.get(i + 1).map(|n| n.base_offset).unwrap_or(log.log_end_offset()),
                                file: s.file_name("log"),
                                size_bytes: s.size_bytes,
                                records: s.records,
                                active: i + 1 == segs.len(),
                            })
                            .collect();
                        let base = (log.log_end_offset() - TAIL_CELLS as i64 * 4).max(0);
                        let tombstones =
                            log.read(base, i64::MAX, usize::MAX).iter().filter(|x| x.value.is_none()).map(|x| x.offset).collect();
                        let policy = match (log.config.cleanup_compact, log.config.cleanup_delete) {
                            (true, true) => "compact,delete",
                            (true, false) => "compact",
                            _ => "delete",
                        };
                        ReplicaStorageView {
                            topic: r.topic.clone(),
                            partition: r.partition,
                            broker: r.broker,
                            log_start_offset: log.log_start_offset(),
                            log_end_offset: log.log_end_offset(),
                            cleaner_checkpoint: log.cleaner_checkpoint,
                            cleanup_policy: policy,
                            segments,
                            tombstones,
                            last_cleaning: log.last_cleaning.as_ref().map(|c| CleaningView {
                                at_ms: c.at_ms,
                                from: c.from,
                                to: c.to,
                                records_before: c.records_before,
                                records_after: c.records_after,
                                removed_count: c.removed_count,
                                removed: c
                                    .removed
                                    .iter()
                                    .map(|r| CleanedRecordView {
                                        offset: r.offset,
                                        key: r.key.as_deref().map(str::to_string),
                                        value: r.value.as_deref().map(str::to_string),
                                    })
                                    .collect(),
                            }),
                        }
                    }
                }
            })
            .collect()
    }

    pub fn describe(&self) -> String {
        self.cs.sim.describe(None)
    }

    /// `kafka-consumer-groups.sh --describe` of every group.
    pub fn describe_groups(&self) -> String {
        describe_groups(&self.cs.sim, None)
    }

    /// The producer's settings in force, as Kafka key → text.
    pub fn producer_settings(&self) -> BTreeMap<String, String> {
        let c = &self.cs.sim.producer.config;
        let acks = match c.acks {
            crate::config::Acks::Zero => "0",
            crate::config::Acks::One => "1",
            crate::config::Acks::All => "all",
        };
        [
            ("acks", acks.to_string()),
            ("retries", c.retries.to_string()),
            ("retry.backoff.ms", c.retry_backoff_ms.to_string()),
            ("request.timeout.ms", c.request_timeout_ms.to_string()),
            ("delivery.timeout.ms", c.delivery_timeout_ms.to_string()),
            ("metadata.max.age.ms", c.metadata_max_age_ms.to_string()),
            ("batch.size", c.batch_size.to_string()),
            ("linger.ms", c.linger_ms.to_string()),
            ("max.in.flight.requests.per.connection", c.max_in_flight_requests_per_connection.to_string()),
            ("enable.idempotence", c.enable_idempotence.to_string()),
            ("partitioner.adaptive.partitioning.enable", c.partitioner_adaptive_partitioning_enable.to_string()),
            ("partitioner.ignore.keys", c.partitioner_ignore_keys.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The producer, every consumer (state, assignment, positions, lag) and every group.
    pub fn clients(&self) -> ClientsView {
        let sim = &self.cs.sim;
        let pr = &sim.producer;
        let producer = ProducerView {
            settings: self.producer_settings(),
            idempotent: pr.idempotent(),
            producer_id: pr.producer_id,
            producer_epoch: pr.producer_epoch,
            stats: pr.stats.clone(),
            queued_batches: pr.queued_batches(),
            in_flight_requests: pr.in_flight_requests(),
            acknowledged: pr.acked_count,
            failed: pr.failed_count,
            failed_attempts_retried: pr.stats.retried_errors,
            last_error: pr.last_error.clone(),
            recent_errors: {
                let mut v: Vec<RecentProduceError> = pr
                    .last_by_error
                    .values()
                    .map(|e| RecentProduceError { count: pr.error_counts.get(e.error).copied().unwrap_or(1), last: e.clone() })
                    .collect();
                v.sort_by_key(|r| std::cmp::Reverse(r.last.at_ms));
                v.truncate(4);
                v
            },
            in_flight_by_broker: pr
                .in_flight_by_broker()
                .into_iter()
                .map(|(broker, requests, oldest_sent_ms)| InFlightToBroker { broker, requests, oldest_sent_ms })
                .collect(),
            warnings: self.config_warnings(),
        };
        let hw = |tp: &TopicPartition| -> Option<i64> {
            let st = sim.controller.partitions.get(tp)?;
            (st.leader != NO_LEADER).then_some(())?;
            sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(tp)).map(|l| l.high_watermark())
        };
        let now = sim.now_ms();
        let consumers = sim
            .consumers
            .values()
            .map(|c| ConsumerView {
                id: c.id,
                client_id: c.client_id.clone(),
                group_id: c.group_id.clone(),
                topics: c.topics.clone(),
                member_id: c.member_id.clone(),
                generation: c.generation,
                protocol: c.protocol.clone(),
                state: c.state,
                crashed: sim.crashed_consumers.contains(&c.id),
                stalled_ms: (c.stalled_until_ms - now).max(0),
                coordinator: c.coordinator,
                assignor: c.config.partition_assignment_strategy.join(","),
                assignment: c.assignment.iter().map(|tp| tp.to_string()).collect(),
                positions: c
                    .positions
                    .iter()
                    .map(|(tp, p)| PositionView {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        offset: p.offset,
                        state: p.state.clone(),
                        lag: hw(tp).map(|h| (h - p.offset).max(0)).unwrap_or(-1),
                        committed: c.committed.get(tp).copied().unwrap_or(-1),
                    })
                    .collect(),
                consumed: c.consumed.len(),
                stats: c.stats.clone(),
                recent_errors: {
                    let mut v: Vec<RecentConsumerError> =
                        c.errors.values().map(|(count, last)| RecentConsumerError { count: *count, last: last.clone() }).collect();
                    v.sort_by_key(|r| std::cmp::Reverse(r.last.at_ms));
                    v.truncate(3);
                    v
                },
            })
            .collect();
        let groups = group_ids(sim).iter().filter_map(|g| group_view(sim, g)).collect();
        ClientsView { producer, consumers, groups }
    }

    /// The client audit (duplicates, reordering, redelivery, truncation seen by consumers, losses).
    pub fn audit(&self) -> crate::check::audit::ClientAudit {
        crate::check::audit::client_audit(&self.cs.sim)
    }

    /// Current configuration: broker defaults in force, per-broker overrides, topics, producer.
    pub fn configs(&self) -> serde_json::Value {
        let sim = &self.cs.sim;
        let brokers: BTreeMap<String, BTreeMap<String, String>> =
            sim.brokers.iter().map(|(id, s)| (id.to_string(), s.config.overrides.clone())).collect();
        serde_json::json!({
            "cluster": sim.spec.broker_config.overrides,
            "brokers": brokers,
            "producer": self.producer_settings(),
            "workload": sim.workload,
            "network": {
                "min_latency_ms": sim.network.min_latency_ms,
                "max_latency_ms": sim.network.max_latency_ms,
                "loss": sim.network.loss,
                "cuts": sim.network.cuts.iter().map(|(a, b)| [a.to_string(), b.to_string()]).collect::<Vec<_>>(),
                "links": sim.network.links.iter().map(|((a, b), l)| serde_json::json!({"from": a.to_string(), "to": b.to_string(), "extra_latency_ms": l.extra_latency_ms, "loss": l.loss})).collect::<Vec<_>>(),
            },
            "elr_enabled": sim.spec.elr_enabled,
        })
    }

    /// Every config key for tooltips and forms; limits as JS-safe numbers (Long.MAX → null).
    pub fn config_defs() -> Vec<serde_json::Value> {
        use crate::config::Kind;
        let num = |v: i64| if v.unsigned_abs() >= (1u64 << 53) { serde_json::Value::Null } else { serde_json::json!(v) };
        CONFIG_DEFS
            .iter()
            .map(|d| {
                let (kind, min, max, choices) = match d.kind {
                    Kind::Long { min, max } => ("long", num(min), num(max), vec![]),
                    Kind::Bool => ("boolean", serde_json::Value::Null, serde_json::Value::Null, vec!["true", "false"]),
                    Kind::Choice(c) => ("choice", serde_json::Value::Null, serde_json::Value::Null, c.to_vec()),
                    Kind::Ratio => ("ratio", serde_json::json!(0), serde_json::json!(1), vec![]),
                    Kind::Text => ("text", serde_json::Value::Null, serde_json::Value::Null, vec![]),
                };
                let default = if d.default == "9223372036854775807" { "9223372036854775807 (Long.MAX: never)" } else { d.default };
                serde_json::json!({"key": d.key, "scope": d.scope, "kind": kind, "min": min, "max": max, "choices": choices, "default": default, "broker_synonym": d.broker_synonym, "doc": d.doc})
            })
            .collect()
    }

    pub fn trace_hash_hex(&self) -> String {
        format!("{:016x}", self.cs.sim.trace_hash())
    }
}

/// The high watermark a replica shows: its log's while the broker runs; while it is down, the
/// one it will start from (its `replication-offset-checkpoint`, clamped to its log, as Kafka loads it).
pub fn shown_high_watermark(slot: &crate::sim::BrokerSlot, log: &crate::log::PartitionLog, tp: &TopicPartition) -> i64 {
    if slot.process.is_some() {
        log.high_watermark()
    } else {
        slot.disk().read_hw_checkpoint().get(tp).copied().unwrap_or(0).clamp(log.log_start_offset(), log.log_end_offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_playground_starts_produces_and_fills_the_frame() {
        let mut p = Playground::new(None, Some(7)).unwrap();
        let s = p.structure();
        assert_eq!((s.brokers.len(), s.partitions.len(), s.replicas.len()), (3, 3, 9));
        p.advance(5_000);
        let s = p.structure();
        let (frame, tails) = p.frame();
        assert_eq!(frame.len(), s.frame_len);
        assert_eq!(tails.len(), 9 * TAIL_CELLS);
        assert!(frame[9] >= 15.0, "about 4 records/s acknowledged: {}", frame[9]);
        let l = &s.layout;
        for r in 0..9 {
            let o = l.replica_offset + r * l.replica_stride;
            assert_eq!(frame[o + 1], 1.0, "every replica has a log");
            assert!(frame[o + 4] <= frame[o + 3], "HW ≤ LEO");
        }
        assert!(tails.contains(&0), "records of epoch 0 in the tails");
        assert!(p.invariants().ok);
        assert!(p.metrics().history.len() >= 5);
    }

    #[test]
    fn crashing_a_leader_shows_a_new_leader_with_a_higher_epoch_in_the_frame() {
        let mut p = Playground::new(None, Some(3)).unwrap();
        p.advance(2_000);
        let s = p.structure();
        let l = s.layout.clone();
        let leader = p.frame().0[l.partition_offset] as i32;
        p.apply_json(&format!(r#"{{"type":"crash_broker","broker":{leader}}}"#)).unwrap();
        p.advance(12_000);
        let f = p.frame().0;
        assert_ne!(f[l.partition_offset] as i32, leader);
        assert_eq!(f[l.partition_offset + 1], 1.0, "leader epoch 1");
        let e = p.apply_json(r#"{"type":"crash_broker"}"#).unwrap_err();
        assert!(e.message.contains("broker"));
        assert!(p.events_since(0, 1000).iter().any(|e| e.message.contains("elects broker")));
    }

    #[test]
    fn the_incremental_lost_count_agrees_with_a_full_audit() {
        let mut p = Playground::new(Some(include_str!("../../scenarios/unclean-leader-election.json")), Some(7)).unwrap();
        let mut seen_loss = false;
        for _ in 0..80 {
            p.advance(500);
            let full = crate::check::audit::lost_acknowledged_writes(&p.cs.sim).len();
            let s = p.structure();
            let header_lost = p.frame().0[12];
            assert_eq!(header_lost as usize, full, "at {} ms ({})", p.now_ms(), s.version);
            assert_eq!(p.invariants().lost_acknowledged_writes, full);
            seen_loss |= full > 0;
        }
        assert!(seen_loss, "the scenario loses acknowledged writes");
    }

    #[test]
    fn the_verdict_turns_red_the_moment_the_audit_counts_a_lost_acknowledged_write() {
        // Step event by event through the unclean election: at every instant the verdict's
        // `ok` is false exactly when a violation is listed, and a counted loss is always listed.
        let mut p = Playground::new(Some(include_str!("../../scenarios/unclean-leader-election.json")), Some(7)).unwrap();
        let mut seen_loss = false;
        for _ in 0..200_000 {
            if !p.step() {
                break;
            }
            let v = p.invariants();
            assert_eq!(v.ok, v.violations.is_empty());
            if v.lost_acknowledged_writes > 0 {
                seen_loss = true;
                assert!(
                    v.violations.iter().any(|x| x.invariant == crate::check::checker::Invariant::AcknowledgedWriteLost),
                    "{} lost at {} ms but the verdict does not say so",
                    v.lost_acknowledged_writes,
                    p.now_ms()
                );
                break;
            }
        }
        assert!(seen_loss, "the scenario loses acknowledged writes");
    }

    #[test]
    fn timed_scenario_steps_are_applied_when_their_time_comes() {
        let text = r#"{"brokers": 3, "topics": [{"name": "t", "partitions": 1, "replication_factor": 3, "assignment": {"0": [1,2,3]}}],
            "steps": [{"at_ms": 5000, "type": "crash_broker", "broker": 1}]}"#;
        let mut p = Playground::new(Some(text), Some(1)).unwrap();
        p.advance(4_000);
        assert!(p.cs.sim.brokers[&1].process.is_some());
        p.advance(2_000);
        assert!(p.cs.sim.brokers[&1].process.is_none());
    }

    #[test]
    fn clients_view_shows_consumers_groups_and_the_audit() {
        let mut p = Playground::new(None, Some(5)).unwrap();
        p.advance(2_000);
        for _ in 0..2 {
            p.apply_json(r#"{"type":"start_consumer","group_id":"demo-group","topics":["orders"],"config":{"partition.assignment.strategy":"range"}}"#)
                .unwrap();
        }
        p.advance(20_000);
        let s = p.structure();
        assert_eq!(s.topics.last().map(|t| (t.name.as_str(), t.internal)), Some((OFFSETS_TOPIC, true)));
        assert_eq!(s.topics[0].name, "orders");
        assert_eq!(s.partitions.len(), 6, "3 of orders + 3 of __consumer_offsets");
        assert_eq!(s.partitions[0].topic, "orders");
        let c = p.clients();
        assert_eq!(c.producer.settings["acks"], "all");
        assert_eq!(c.consumers.len(), 2);
        let owned: usize = c.consumers.iter().map(|x| x.assignment.len()).sum();
        assert_eq!(owned, 3, "{:?}", c.consumers.iter().map(|x| &x.assignment).collect::<Vec<_>>());
        assert_eq!(c.groups.len(), 1);
        assert!(p.describe_groups().contains("demo-group"));
        let a = p.audit();
        assert_eq!(a.lost_after_acknowledgement, 0);
        assert!(a.acknowledged > 0);
    }

    #[test]
    fn controller_quorum_view_shows_the_voters_and_a_failover_and_nothing_with_one_controller() {
        let mut one = Playground::new(None, Some(1)).unwrap();
        one.advance(1_000);
        let q = one.controller_quorum();
        assert!(q.quorum.voters.is_empty(), "a single controller: no voters to draw");
        assert_eq!(q.quorum.active, Some(3000));
        assert_eq!(q.no_controller_for_ms, None);
        assert_eq!(one.structure().nodes.iter().filter(|n| n.starts_with("controller")).count(), 1);

        let mut p = Playground::new(Some(include_str!("../../scenarios/controller-failover.json")), None).unwrap();
        p.advance(2_000);
        let q = p.controller_quorum();
        assert_eq!(q.quorum.voters.len(), 3);
        assert_eq!((q.quorum.active, q.quorum.epoch), (Some(3000), 1));
        assert_eq!(q.quorum.voters.iter().filter(|v| v.status == crate::sim::VoterStatus::Active).count(), 1);
        let s = p.structure();
        assert!(["controller", "controller-3000", "controller-3001", "controller-3002"].iter().all(|n| s.nodes.iter().any(|x| x == n)));
        // The scenario crashes the active controller at 3 s; the others elect one in epoch 2.
        p.advance(1_500);
        let q = p.controller_quorum();
        assert_eq!(q.quorum.active, None);
        assert_eq!(q.no_controller_for_ms, Some(500));
        assert_eq!(q.quorum.voters[0].status, crate::sim::VoterStatus::Crashed);
        assert_eq!(q.last_change.as_ref().map(|c| c.active), Some(None));
        p.advance(3_000);
        let q = p.controller_quorum();
        let active = q.quorum.active.expect("a new active controller");
        assert_ne!(active, 3000);
        assert_eq!(q.quorum.epoch, 2);
        assert_eq!(q.no_controller_for_ms, None);
        assert!(q.last_change.and_then(|c| c.elected_after_ms).is_some());
        let json = serde_json::to_value(p.controller_quorum()).unwrap();
        assert_eq!(json["voters"][0]["node"], "controller-3000");
        assert_eq!(json["voters"][0]["status"], "crashed");
        assert!(json["epoch"].is_number() && json.get("no_controller_for_ms").is_some());
    }
}
