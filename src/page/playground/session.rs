//! Time travel on the page (the session): snapshots of the engine, seeking to any moment of the
//! recorded timeline by restoring the snapshot before it and replaying, forking a new branch
//! from the past, and undoing the last command.
//!
//! Snapshots are cheap: the big collections (every replica's records, the producer's sends,
//! the event log) live in shared chunks (`crate::pvec`), so a snapshot copies O(changed
//! state). Replaying between a snapshot and the target checks no invariant: the recorded run
//! was checked as it was played, and the sim does exactly what it did (the checker only reads
//! it; the trace hash proves it). The page shows the recorded run's violations found by then.
//! Before the run goes on live from a replayed moment (a command, a step, a fork, playing past
//! the end), the checker is brought to that moment exactly, by replaying from the snapshot
//! before it with every check on (`ensure_checked`), so a forked run is checked as a fresh
//! run of the same commands is: no stale checker state, so no false alarm and no miss.

use super::*;

/// A snapshot of the engine every this many simulated ms (time travel), at first...
pub const SNAPSHOT_EVERY_MS: i64 = 2_000;

/// ...or sooner, once replaying from the last one would process this many events, at first
/// (snapshots are spaced by what a seek costs, not by time alone).
pub const SNAPSHOT_EVERY_EVENTS: u64 = 10_000;

/// How often (simulated ms) a live run looks whether the event budget is spent.
pub(super) const SNAPSHOT_PROBE_MS: i64 = 100;

/// Event-log lines a snapshot keeps (after a seek, the log holds these and what the replay
/// to the target logged): what the page reads after a seek (`eventsSince`, www/loop.js: 500).
pub const SNAPSHOT_EVENTS_KEPT: usize = 500;

/// Most snapshots kept; beyond, every other one goes and both budgets double. 128 keeps a
/// 10-minute run of the bench preset (`kafka-bench scrub`) at 76 snapshots, ~45 MB, with a
/// seek at most ~40 000 events of replay away (p95 ~37 ms natively, ~60 ms in wasm); 256
/// held twice the memory for half the seek time.
pub const MAX_SNAPSHOTS: usize = 128;

/// Most weight (see `state_weight`: the state a snapshot holds that the live engine does not
/// share, in ~100-byte units) all snapshots together may hold.
pub const MAX_SNAPSHOT_WEIGHT: u64 = 1_000_000;

/// Everything that replaying needs to restore (the views' caches are rebuilt).
#[derive(Clone)]
pub struct EngineSnapshot {
    cs: CheckedSim,
    pending: Vec<(i64, Command)>,
    history: crate::pvec::PVec<MetricsSample>,
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

impl EngineSnapshot {
    /// Events the engine had processed when the snapshot was taken.
    pub fn events_processed(&self) -> u64 {
        self.cs.sim.events_processed
    }

    /// A placeholder replaced as soon as the playground is built.
    pub(super) fn empty() -> EngineSnapshot {
        EngineSnapshot {
            cs: CheckedSim::new(crate::sim::Sim::new(crate::sim::ClusterSpec::new(0, 1)).expect("a one-broker cluster is valid")),
            pending: vec![],
            history: Default::default(),
            next_sample_ms: 0,
            last_sample_acked: 0,
        }
    }
}

impl Playground {
    pub(super) fn snapshot(&self) -> EngineSnapshot {
        let mut cs = self.cs.clone();
        // The snapshot keeps the newest `SNAPSHOT_EVENTS_KEPT` event-log lines: the page reads
        // the last 500 after a seek, and the older lines of every snapshot together would hold
        // the whole run's log (each snapshot's 25 000–50 000 lines overlap the next's).
        let extra = cs.sim.events.len().saturating_sub(SNAPSHOT_EVENTS_KEPT);
        cs.sim.events.drop_front(extra);
        cs.sim.events_dropped += extra;
        EngineSnapshot {
            cs,
            pending: self.pending.clone(),
            history: self.history.clone(),
            next_sample_ms: self.next_sample_ms,
            last_sample_acked: self.last_sample_acked,
        }
    }

    /// Roughly what a snapshot holds on its own (in ~100-byte units): the chunk pointers of
    /// the shared collections and the partly filled chunk at the end of each (the live engine
    /// copies it when it next grows), every record consumed (not shared), and a fixed part
    /// for the rest of the engine's state.
    pub(super) fn state_weight(&self) -> u64 {
        let sim = &self.cs.sim;
        let half = crate::pvec::CHUNK / 2;
        let logs: usize =
            sim.brokers.values().map(|b| b.disk().logs.values().map(|l| l.records().chunk_count() / 8 + half).sum::<usize>()).sum();
        let consumed: usize =
            sim.consumers.values().map(|c| c.consumed.len()).sum::<usize>() + sim.readers.values().map(|r| r.seen.len()).sum::<usize>();
        // The event-log lines a snapshot keeps (~150 bytes each) outlive the live log's.
        let events = sim.events.len().min(SNAPSHOT_EVENTS_KEPT) * 3 / 2;
        (logs + sim.producer.sends.len() / crate::pvec::CHUNK + events + consumed + self.history.len() / crate::pvec::CHUNK + 100) as u64
    }

    pub(super) fn restore(&mut self, s: &EngineSnapshot) {
        self.cs = s.cs.clone();
        self.pending = s.pending.clone();
        self.history = s.history.clone();
        self.next_sample_ms = s.next_sample_ms;
        self.last_sample_acked = s.last_sample_acked;
        self.lost = Default::default();
        self.auditor = Default::default();
        // Snapshots are taken live, every check on: the checker is exact there.
        self.synced = true;
        // The structure may differ (brokers, topics, consumers): views rebuild it.
        self.cached = None;
        self.structure_key.clear();
    }

    /// Runs the recorded ops from the current position to `t` (which is not before it),
    /// checking no invariant (the recorded run was checked): the page shows the recorded
    /// run's violations found by then, and the checker is brought up to date before the run
    /// goes on live (`ensure_checked`).
    pub(super) fn exec_to(&mut self, t: Target) {
        let before = (self.pos, self.now_ms(), self.cs.mark_here());
        self.cs.replaying = true;
        self.exec(t, None);
        self.cs.replaying = false;
        if (self.pos, self.now_ms(), self.cs.mark_here()) != before {
            self.synced = false;
        }
        if !self.synced {
            self.show_recorded_violations();
        }
    }

    /// The recorded run's violations found at or before this moment, as its checker had them.
    fn show_recorded_violations(&mut self) {
        let (e, c) = self.cs.mark_here();
        let (violations, marks) = &self.recorded;
        let n = marks.iter().take_while(|(ve, vc)| *ve <= e && *vc <= c).count().min(violations.len());
        self.cs.checker.violations = violations[..n].to_vec();
        self.cs.marks = marks[..n].to_vec();
    }

    /// Keeps the run's violations before leaving the end of the run (they are the recorded
    /// run's, which a replay shows).
    fn save_recorded(&mut self) {
        if self.synced && self.pos == self.timeline.end() {
            self.recorded = (self.cs.checker.violations.clone(), self.cs.marks.clone());
        }
    }

    /// Brings the checker to the current moment exactly (after a replay without checks):
    /// restores the snapshot before it and replays with every check on. The state reached is
    /// the same (deterministic); only the checker's own state is new.
    pub(super) fn ensure_checked(&mut self) {
        if self.synced {
            return;
        }
        let here = self.pos;
        let now = self.now_ms();
        let hash = self.cs.sim.trace_hash();
        let (t, steps) = match here.partial {
            Partial::None => (Target { op: here.op, until_ms: None }, None),
            Partial::Until(u) => (Target { op: here.op, until_ms: Some(u) }, None),
            Partial::Steps(m) => (Target { op: here.op, until_ms: Some(i64::MAX) }, Some(m)),
        };
        let (snap_pos, _, snap) = self.timeline.snapshot_for(&t);
        let snap = snap.clone();
        self.restore(&snap);
        self.pos = snap_pos;
        self.exec(t, steps);
        debug_assert_eq!((self.pos, self.now_ms(), self.cs.sim.trace_hash()), (here, now, hash), "a checked replay reaches the same state");
        self.synced = true;
    }

    /// Runs the recorded ops to `t`; inside a `Steps` op, at most `steps` of them when given.
    fn exec(&mut self, t: Target, steps: Option<u64>) {
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
                let n = steps.map_or(n, |s| s.min(n));
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
    pub(super) fn next_thing_ms(&self) -> Option<i64> {
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
        self.save_recorded();
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
        self.ensure_checked();
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
        self.save_recorded();
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
}
