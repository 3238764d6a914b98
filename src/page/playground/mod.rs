//! The page's engine handle, in plain Rust (tested natively; `wasm.rs` only
//! wraps it): a simulation under the invariant checker, scenario steps that wait
//! for their time, metrics history, and compact views for rendering.
//!
//! This file holds the handle itself: opening a scenario, applying commands, advancing time.
//! The rest has a room of its own:
//! * `session.rs`: time travel — snapshots, seek, fork, undo, the timeline view;
//! * `frame.rs`: what the picture draws — the structure (JSON, changes rarely, versioned) and a
//!   frame: every hot number in one `f64` buffer with the layout of [`FrameLayout`], plus the
//!   tail of every replica's log as leader epochs in an `i32` buffer. The page reads both
//!   straight out of wasm memory, so a frame costs no JSON;
//! * `views.rs`: the text and table views panels read (metrics, storage, clients, events, …).

mod frame;
mod session;
mod views;

pub use frame::{frame_layout, shown_high_watermark, BrokerRef, FrameLayout, PartitionRef, ReplicaRef, Structure, TopicView, TAIL_CELLS};
pub use session::{
    EngineSnapshot, TimedCommand, TimelineView, MAX_SNAPSHOTS, MAX_SNAPSHOT_WEIGHT, SNAPSHOT_EVERY_EVENTS, SNAPSHOT_EVERY_MS,
};
pub use views::{
    CleanedRecordView, CleaningView, ClientsView, ConsumerView, ControllerQuorumPageView, EventView, InFlightToBroker, InvariantsView,
    Metrics, MetricsSample, PartitionMembersView, PositionView, ProducerView, RecentConsumerError, RecentProduceError, ReplicaStorageView,
    SegmentView, METRICS_KEEP, METRICS_PERIOD_MS,
};

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

/// The page's opening scenario and the benchmark workload live with the page's presets.
pub use crate::page::presets::{BENCH_SCENARIO, DEFAULT_SCENARIO};

/// Costly invariants are re-checked every this many events while playing.
pub const SLOW_CHECK_EVERY: u64 = 200;

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
    /// Shared chunks (`PVec`): a time-travel snapshot does not copy the samples.
    history: crate::pvec::PVec<MetricsSample>,
    next_sample_ms: i64,
    last_sample_acked: usize,
    lost: crate::check::audit::LostCounter,
    /// The client audit, read incrementally (`check/client_audit.rs`).
    auditor: crate::check::client_audit::ClientAuditor,
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
    /// Whether the checker's state is exactly that of a checked run to this moment (false
    /// after a replay without checks: `session::ensure_checked` restores it).
    synced: bool,
    /// The recorded run's violations and where each was found (`CheckedSim::marks`), kept
    /// when leaving the end of the run: a replay shows those found by the moment it reaches.
    recorded: (Vec<crate::check::checker::Violation>, Vec<(u64, usize)>),
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
            history: Default::default(),
            next_sample_ms: 0,
            last_sample_acked: 0,
            lost: Default::default(),
            auditor: Default::default(),
            cached: None,
            scenario_end_ms: 0,
            scenario_obj,
            timeline: Timeline::new(0, Box::new(EngineSnapshot::empty()), SNAPSHOT_EVERY_MS, MAX_SNAPSHOTS),
            pos: Position::START,
            ghosts_dismissed_at_ms: i64::MIN,
            synced: true,
            recorded: (vec![], vec![]),
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
        crate::lean::sort_by_key(&mut p.pending, |(t, _)| *t);
        p.next_sample_ms = p.cs.sim.now_ms();
        p.sample_metrics();
        p.timeline = Timeline::new(p.now_ms(), Box::new(p.snapshot()), SNAPSHOT_EVERY_MS, MAX_SNAPSHOTS);
        p.timeline.max_weight = MAX_SNAPSHOT_WEIGHT;
        p.timeline.snapshot_cost = SNAPSHOT_EVERY_EVENTS;
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
            Command::Run { .. } | Command::RunUntil { .. } => {
                let span = cmd.run_span_ms(self.now_ms()).expect("a run command")?;
                self.advance(span);
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
        // Live (the checker exact again after a replay): a snapshot every `snapshot_every_ms`
        // of simulated time, or sooner once replaying from the last one would process
        // `snapshot_cost` events (looked at every `SNAPSHOT_PROBE_MS`).
        self.ensure_checked();
        loop {
            let due = self.timeline.last_snapshot_ms() + self.timeline.snapshot_every_ms;
            let stop = due.min(self.now_ms().saturating_add(session::SNAPSHOT_PROBE_MS)).min(until);
            self.engine_advance(stop - self.now_ms());
            let cost = self.cs.sim.events_processed - self.timeline.last_snapshot().events_processed();
            if stop >= due || cost >= self.timeline.snapshot_cost {
                self.timeline.push(Op::Until(stop), self.now_ms());
                let pos = Position { op: self.timeline.ops().len() - 1, partial: Partial::Until(stop) };
                let snap = Box::new(self.snapshot());
                let weight = self.state_weight();
                self.timeline.add_snapshot(pos, stop, snap, weight);
            }
            if stop >= until {
                break;
            }
        }
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

    pub fn trace_hash_hex(&self) -> String {
        format!("{:016x}", self.cs.sim.trace_hash())
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
        let mut p = Playground::new(Some(include_str!("../../../scenarios/unclean-leader-election.json")), Some(7)).unwrap();
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
        let mut p = Playground::new(Some(include_str!("../../../scenarios/unclean-leader-election.json")), Some(7)).unwrap();
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

        let mut p = Playground::new(Some(include_str!("../../../scenarios/controller-failover.json")), None).unwrap();
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
