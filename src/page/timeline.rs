//! Time travel: the run as a list of operations (time passing, single events,
//! commands) plus periodic snapshots of the whole engine. Because the engine is
//! deterministic, the state at any earlier moment is "the nearest snapshot before
//! it, then the same operations again"; forking drops the operations after the
//! current moment, undo goes back to just before the last command.
//!
//! This module only keeps the books (which operations, where snapshots are, what
//! a time maps to); `Playground` executes the operations on the engine.

use crate::command::Command;

/// One thing done to the run, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Simulated time passes until this absolute time (consecutive ones merge).
    Until(i64),
    /// Exactly this many events are processed one by one (consecutive ones merge).
    Steps(u64),
    /// A user command that does not itself advance time.
    Apply(Command),
}

/// A moment in the run: every op before `op` is done, and `ops[op]` is done up to `partial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub op: usize,
    pub partial: Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partial {
    /// Nothing of `ops[op]` is done yet.
    None,
    /// `ops[op]` is an `Until` done up to this time.
    Until(i64),
    /// `ops[op]` is `Steps` with this many done.
    Steps(u64),
}

impl Position {
    pub const START: Position = Position { op: 0, partial: Partial::None };

    /// Whether the engine at `self` can reach `other` by going forward.
    pub fn is_at_or_before(&self, other: &Position) -> bool {
        if self.op != other.op {
            return self.op < other.op;
        }
        match (self.partial, other.partial) {
            (Partial::None, _) => true,
            (_, Partial::None) => false,
            (Partial::Until(a), Partial::Until(b)) => a <= b,
            (Partial::Steps(a), Partial::Steps(b)) => a <= b,
            _ => false,
        }
    }
}

/// Where to go: every op before `op` done, and (with `until_ms`) `ops[op]` done up to that time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub op: usize,
    pub until_ms: Option<i64>,
}

/// The books of one run: its ops with the simulated time each ended at, and snapshots.
#[derive(Debug, Clone)]
pub struct Timeline<S> {
    pub start_ms: i64,
    ops: Vec<Op>,
    /// Simulated time at the end of each op.
    ends_ms: Vec<i64>,
    /// Snapshots in position order; the first is at the start and is never dropped.
    snapshots: Vec<(Position, i64, S)>,
    /// The size of each snapshot (in records held, roughly) and the most all may hold.
    weights: Vec<u64>,
    pub max_weight: u64,
    /// Simulated time between two snapshots (doubles when there are too many).
    pub snapshot_every_ms: i64,
    /// What replaying from one snapshot to the next may cost at most (the owner's unit, e.g.
    /// events; `u64::MAX`: time alone spaces snapshots); doubles with the interval.
    pub snapshot_cost: u64,
    pub max_snapshots: usize,
}

impl<S> Timeline<S> {
    pub fn new(start_ms: i64, start: S, snapshot_every_ms: i64, max_snapshots: usize) -> Timeline<S> {
        Timeline {
            start_ms,
            ops: vec![],
            ends_ms: vec![],
            snapshots: vec![(Position::START, start_ms, start)],
            weights: vec![0],
            max_weight: u64::MAX,
            snapshot_every_ms: snapshot_every_ms.max(1),
            snapshot_cost: u64::MAX,
            max_snapshots: max_snapshots.max(2),
        }
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The position after the last op.
    pub fn end(&self) -> Position {
        Position { op: self.ops.len(), partial: Partial::None }
    }

    /// Simulated time at the end of the run.
    pub fn end_ms(&self) -> i64 {
        self.ends_ms.last().copied().unwrap_or(self.start_ms)
    }

    pub fn op_end_ms(&self, i: usize) -> i64 {
        self.ends_ms[i]
    }

    pub fn snapshot_count(&self) -> usize {
        self.snapshots.len()
    }

    /// Records an op that was just executed live, ending at `end_ms`. Merges with the
    /// previous op when both are time passing or both are single events.
    pub fn push(&mut self, op: Op, end_ms: i64) {
        match (self.ops.last_mut(), &op) {
            (Some(Op::Until(t)), Op::Until(u)) => {
                *t = *u;
                *self.ends_ms.last_mut().expect("ends match ops") = end_ms;
            }
            (Some(Op::Steps(n)), Op::Steps(m)) => {
                *n += m;
                *self.ends_ms.last_mut().expect("ends match ops") = end_ms;
            }
            _ => {
                self.ops.push(op);
                self.ends_ms.push(end_ms);
            }
        }
    }

    /// The target for "the state at simulated time `t_ms`": every op that ended by
    /// then (commands applied at exactly `t_ms` included), and the op running at
    /// `t_ms` done up to it.
    pub fn target_at(&self, t_ms: i64) -> Target {
        let op = self.ends_ms.partition_point(|e| *e <= t_ms);
        if op >= self.ops.len() {
            return Target { op: self.ops.len(), until_ms: None };
        }
        Target { op, until_ms: Some(t_ms) }
    }

    /// The position just before the last `Apply` op (the last user command), if any.
    pub fn before_last_command(&self) -> Option<usize> {
        self.ops.iter().rposition(|o| matches!(o, Op::Apply(_)))
    }

    /// Whether the snapshot position `p` is at or before target `t`.
    fn snapshot_fits(p: &Position, t: &Target) -> bool {
        if p.op != t.op {
            return p.op < t.op;
        }
        match (p.partial, t.until_ms) {
            (Partial::None, _) => true,
            (Partial::Until(a), Some(b)) => a <= b,
            _ => false,
        }
    }

    /// The latest snapshot at or before the target.
    pub fn snapshot_for(&self, t: &Target) -> (Position, i64, &S) {
        let (p, ms, s) = self.snapshots.iter().rev().find(|(p, _, _)| Self::snapshot_fits(p, t)).unwrap_or(&self.snapshots[0]);
        (*p, *ms, s)
    }

    /// The latest snapshot.
    pub fn last_snapshot(&self) -> &S {
        &self.snapshots.last().expect("the start snapshot is never dropped").2
    }

    /// Time of the latest snapshot (to know when the next one is due).
    pub fn last_snapshot_ms(&self) -> i64 {
        self.snapshots.last().map_or(self.start_ms, |s| s.1)
    }

    /// Adds a snapshot taken live at `pos`, of size `weight`; thins the list when it
    /// is full or too heavy (every other snapshot goes, the interval doubles), so
    /// memory stays bounded on long and on busy runs. The start and the newest stay.
    pub fn add_snapshot(&mut self, pos: Position, at_ms: i64, s: S, weight: u64) {
        self.snapshots.push((pos, at_ms, s));
        self.weights.push(weight);
        while self.snapshots.len() > 2 && (self.snapshots.len() > self.max_snapshots || self.weights.iter().sum::<u64>() > self.max_weight)
        {
            let last = self.snapshots.len() - 1;
            let keep = |i: usize| i == 0 || i == last || i.is_multiple_of(2);
            let mut i = 0;
            self.snapshots.retain(|_| {
                i += 1;
                keep(i - 1)
            });
            let mut i = 0;
            self.weights.retain(|_| {
                i += 1;
                keep(i - 1)
            });
            self.snapshot_every_ms = self.snapshot_every_ms.saturating_mul(2);
            self.snapshot_cost = self.snapshot_cost.saturating_mul(2);
        }
    }

    /// Fork at `pos`: ops after it are discarded (a partial op is cut where it stands,
    /// ending at `now_ms`), and so are snapshots after it.
    pub fn truncate(&mut self, pos: Position, now_ms: i64) {
        let keep = match pos.partial {
            Partial::None => pos.op,
            Partial::Until(t) => {
                self.ops[pos.op] = Op::Until(t);
                self.ends_ms[pos.op] = now_ms;
                pos.op + 1
            }
            // Cut before the op's first event: the op goes (a link never holds `steps: 0`).
            Partial::Steps(0) => pos.op,
            Partial::Steps(n) => {
                self.ops[pos.op] = Op::Steps(n);
                self.ends_ms[pos.op] = now_ms;
                pos.op + 1
            }
        };
        self.ops.truncate(keep);
        self.ends_ms.truncate(keep);
        // A snapshot inside the cut op, before the cut, stays valid.
        let keep: Vec<bool> = self.snapshots.iter().map(|(p, _, _)| p.is_at_or_before(&pos)).collect();
        let mut i = 0;
        self.snapshots.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        let mut i = 0;
        self.weights.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tl() -> Timeline<u32> {
        let mut t = Timeline::new(10, 0u32, 1000, 4);
        t.push(Op::Until(500), 500);
        t.push(Op::Until(900), 900); // merges
        t.push(Op::Apply(Command::HealAll), 900);
        t.push(Op::Until(2000), 2000);
        t
    }

    #[test]
    fn consecutive_time_passing_merges_and_commands_split_it() {
        let t = tl();
        assert_eq!(t.ops().len(), 3);
        assert_eq!(t.ops()[0], Op::Until(900));
        assert_eq!(t.end_ms(), 2000);
    }

    #[test]
    fn a_time_maps_to_the_ops_that_ended_by_then() {
        let t = tl();
        assert_eq!(t.target_at(100), Target { op: 0, until_ms: Some(100) });
        // The command applied at 900 is part of the state at 900.
        assert_eq!(t.target_at(900), Target { op: 2, until_ms: Some(900) });
        assert_eq!(t.target_at(1500), Target { op: 2, until_ms: Some(1500) });
        assert_eq!(t.target_at(5000), Target { op: 3, until_ms: None });
        assert_eq!(t.before_last_command(), Some(1));
    }

    #[test]
    fn snapshots_are_thinned_when_full_and_never_lose_the_start() {
        let mut t = tl();
        for i in 1..=5 {
            t.add_snapshot(Position { op: 2, partial: Partial::Until(900 + i * 100) }, 900 + i * 100, i as u32, 1);
        }
        assert!(t.snapshot_count() <= 4, "{}", t.snapshot_count());
        assert_eq!(t.snapshot_every_ms, 2000);
        assert_eq!(*t.snapshot_for(&Target { op: 0, until_ms: Some(50) }).2, 0);
        let (p, _, _) = t.snapshot_for(&Target { op: 2, until_ms: Some(1250) });
        assert!(p.is_at_or_before(&Position { op: 2, partial: Partial::Until(1250) }));
    }

    #[test]
    fn heavy_snapshots_are_thinned_to_the_weight_budget() {
        let mut t = Timeline::new(0, 0u32, 1000, 100);
        t.max_weight = 10;
        for i in 1..=8 {
            t.add_snapshot(Position { op: 0, partial: Partial::Until(i * 1000) }, i * 1000, i as u32, 3);
        }
        assert!(t.weights.iter().sum::<u64>() <= 10, "{:?}", t.weights);
        assert_eq!(t.weights.len(), t.snapshot_count());
        assert_eq!(*t.snapshot_for(&Target { op: 0, until_ms: Some(8000) }).2, 8, "the newest stays");
    }

    #[test]
    fn truncating_inside_an_op_cuts_it_where_it_stands() {
        let mut t = tl();
        t.add_snapshot(Position { op: 2, partial: Partial::Until(1800) }, 1800, 7, 1);
        t.truncate(Position { op: 2, partial: Partial::Until(1200) }, 1200);
        assert_eq!(t.ops().len(), 3);
        assert_eq!(t.ops()[2], Op::Until(1200));
        assert_eq!(t.end_ms(), 1200);
        assert_eq!(t.snapshot_count(), 1, "the snapshot at 1800 is after the cut");
    }
}
