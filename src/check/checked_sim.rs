//! A simulation under the invariant checker: every event is followed by the fast invariants,
//! the costly ones at their cadence (`slow_check_every` events, `slow_check_max_gap_ms`).

use super::checker::Checker;
use crate::command::Command;
use crate::errors::CommandError;
use crate::sim::Sim;

/// A simulation under the invariant checker.
#[derive(Clone)]
pub struct CheckedSim {
    pub sim: Sim,
    pub checker: Checker,
    /// Run the costly invariants every this many events (1 = every event)...
    pub slow_check_every: u64,
    /// ...and at least every this many simulated ms, so that a quiet cluster's views
    /// (lost writes, invariants) agree within a moment.
    pub slow_check_max_gap_ms: i64,
    last_slow_check_ms: i64,
    /// Replaying a run that was already checked (time travel): no invariant is checked, so the
    /// checker keeps the state it had when replaying began. The sim does exactly what it did
    /// (the checker only reads it): the trace hash proves the replay.
    pub replaying: bool,
    /// Where each of `checker.violations` was found: (events processed, commands applied),
    /// both counting up along a run, so a replay knows which of a recorded run's violations
    /// were found at or before the moment it reached.
    pub marks: Vec<(u64, usize)>,
}

impl CheckedSim {
    pub fn new(sim: Sim) -> CheckedSim {
        CheckedSim {
            sim,
            checker: Checker::default(),
            slow_check_every: 1,
            slow_check_max_gap_ms: 100,
            last_slow_check_ms: 0,
            replaying: false,
            marks: vec![],
        }
    }

    /// Where the run is, as `marks` count it.
    pub fn mark_here(&self) -> (u64, usize) {
        (self.sim.events_processed, self.sim.command_log.len())
    }

    /// Marks the violations found since the last call with the current moment.
    fn mark(&mut self) {
        while self.marks.len() < self.checker.violations.len() {
            let here = self.mark_here();
            self.marks.push(here);
        }
    }

    pub fn step(&mut self) -> bool {
        let more = self.sim.step();
        if self.replaying || self.slow_check_every == u64::MAX {
            return more;
        }
        self.checker.check_fast(&self.sim);
        let now = self.sim.now_ms();
        if self.slow_check_every <= 1
            || self.sim.events_processed.is_multiple_of(self.slow_check_every)
            || now - self.last_slow_check_ms >= self.slow_check_max_gap_ms
        {
            self.last_slow_check_ms = now;
            self.checker.check_slow(&self.sim);
        }
        self.mark();
        more
    }

    pub fn run_until(&mut self, until_ms: i64) {
        loop {
            match self.sim_next_time() {
                Some(t) if t <= until_ms => {
                    self.step();
                }
                _ => break,
            }
        }
        // Moves the clock (no event left before `until_ms`).
        self.sim.run_until(until_ms);
    }

    fn sim_next_time(&self) -> Option<i64> {
        self.sim.next_event_time()
    }

    /// Applies a command; `run`, `run_until` and `step` go through the checker.
    pub fn apply(&mut self, cmd: Command) -> Result<(), CommandError> {
        match cmd {
            Command::Run { .. } | Command::RunUntil { .. } => {
                let now = self.sim.now_ms();
                let span = cmd.run_span_ms(now).expect("a run command")?;
                self.sim.command_log.push((now, cmd));
                self.run_until(now + span);
                Ok(())
            }
            Command::Step => {
                self.sim.command_log.push((self.sim.now_ms(), Command::Step));
                self.step();
                Ok(())
            }
            other => {
                let r = self.sim.apply(other);
                if !self.replaying {
                    self.checker.check(&self.sim);
                    self.mark();
                }
                r
            }
        }
    }

    pub fn final_check(&mut self) {
        self.checker.check(&self.sim);
        self.mark();
    }
}
