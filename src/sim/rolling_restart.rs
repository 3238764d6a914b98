//! A rolling restart, as an operator (or a script, or a Kubernetes operator) runs it: one
//! broker at a time, a clean shutdown (`kafka-server-stop.sh`: controlled shutdown, so the
//! controller moves its leaderships away first), start it again, and — the careful way — wait
//! until no partition is under-replicated (`kafka-topics.sh --describe
//! --under-replicated-partitions` prints nothing) before the next. The hasty way goes on as
//! soon as the restarted process is up, while its replicas are still catching up: the next
//! shutdown then shrinks ISRs the restarted broker has not rejoined yet.
//!
//! Kafka has no rolling-restart command; this is the operator's loop, checked every
//! [`POLL_MS`] (the operator polling `--describe`). It gives up, saying why, when a step does
//! not finish within [`STEP_LIMIT_MS`].

use super::{Ev, Sim};
use crate::effects::Category;
use crate::errors::CommandError;
use crate::ids::{BrokerId, NodeId};
use crate::sim::NodeStatus;

/// How often the operator looks at the cluster.
pub const POLL_MS: i64 = 1_000;
/// Longest the operator waits for one step (a shutdown, a start, the ISRs refilling).
pub const STEP_LIMIT_MS: i64 = 600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the broker's clean shutdown to finish.
    Stopping,
    /// Started again; waiting for it to register and be unfenced.
    Starting,
    /// Careful: waiting for every ISR to be full again.
    WaitingForIsr,
}

/// The rolling restart in progress.
#[derive(Debug, Clone)]
pub struct RollingRestart {
    pub hasty: bool,
    /// The brokers in the order they restart (ascending ids).
    pub order: Vec<BrokerId>,
    /// Index into `order` of the broker being restarted.
    pub current: usize,
    phase: Phase,
    /// When the current phase began (for [`STEP_LIMIT_MS`]).
    since_ms: i64,
    /// Bumped per rolling restart: a poll of an earlier one is stale.
    pub generation: u64,
}

impl RollingRestart {
    /// The broker being restarted, and what the operator waits for, for views.
    pub fn describe(&self) -> String {
        let b = self.order[self.current];
        let what = match self.phase {
            Phase::Stopping => "waiting for its controlled shutdown",
            Phase::Starting => "waiting for it to register",
            Phase::WaitingForIsr => "waiting for every ISR to be full again",
        };
        format!(
            "{} rolling restart: broker {b} ({} of {}), {what}",
            if self.hasty { "hasty" } else { "careful" },
            self.current + 1,
            self.order.len()
        )
    }
}

impl Sim {
    /// `rolling_restart`: starts the operator's loop with the first broker.
    pub(super) fn rolling_restart(&mut self, hasty: bool) -> Result<(), CommandError> {
        if let Some(r) = &self.rolling_restart {
            return Err(CommandError::invalid_request("type", format!("a rolling restart is already in progress ({})", r.describe())));
        }
        let order: Vec<BrokerId> = self.brokers.keys().copied().filter(|b| self.controller.brokers.contains_key(b)).collect();
        if order.is_empty() {
            return Err(CommandError::invalid_request("type", "no registered broker to restart"));
        }
        self.rolling_generation += 1;
        let how = if hasty {
            "hasty: each broker goes as soon as the previous one's process is up"
        } else {
            "careful: each broker waits until no partition is under-replicated"
        };
        self.log_event(
            NodeId::Controller,
            Category::Fault,
            format!("rolling restart of brokers [{}] begins ({how})", order.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",")),
        );
        self.rolling_restart = Some(RollingRestart {
            hasty,
            order,
            current: 0,
            phase: Phase::Stopping,
            since_ms: self.now_ms,
            generation: self.rolling_generation,
        });
        self.begin_rolling_step();
        Ok(())
    }

    /// Stops the current broker (or, if it is already down, starts it).
    fn begin_rolling_step(&mut self) {
        let Some(r) = &self.rolling_restart else { return };
        let b = r.order[r.current];
        let running = self.brokers[&b].process.is_some();
        if running {
            let _ = self.shutdown_broker(b);
            self.set_rolling_phase(Phase::Stopping);
        } else {
            let _ = self.restart_broker(b);
            self.set_rolling_phase(Phase::Starting);
        }
        self.schedule_rolling_poll();
    }

    fn set_rolling_phase(&mut self, phase: Phase) {
        let now = self.now_ms;
        if let Some(r) = self.rolling_restart.as_mut() {
            r.phase = phase;
            r.since_ms = now;
        }
    }

    fn schedule_rolling_poll(&mut self) {
        if let Some(r) = &self.rolling_restart {
            let generation = r.generation;
            self.queue.push(self.now_ms + POLL_MS, Ev::RollingRestartPoll { generation });
        }
    }

    /// The operator looks at the cluster and takes the next step when the current one is done.
    pub(super) fn rolling_restart_poll(&mut self, generation: u64) {
        let Some(r) = self.rolling_restart.clone() else { return };
        if r.generation != generation {
            return;
        }
        let b = r.order[r.current];
        let status = self.brokers[&b].status();
        if self.now_ms - r.since_ms > STEP_LIMIT_MS {
            self.log_event(
                NodeId::Controller,
                Category::Fault,
                format!("rolling restart gives up after {} s: {}", STEP_LIMIT_MS / 1000, r.describe()),
            );
            self.rolling_restart = None;
            return;
        }
        match r.phase {
            Phase::Stopping => {
                if matches!(status, NodeStatus::Stopped | NodeStatus::Crashed) {
                    let _ = self.restart_broker(b);
                    if r.hasty && self.brokers[&b].process.is_some() {
                        // `systemctl start` returned: the hasty operator moves on.
                        self.next_rolling_broker();
                        return;
                    }
                    self.set_rolling_phase(Phase::Starting);
                }
            }
            Phase::Starting => {
                let up = if r.hasty { self.brokers[&b].process.is_some() } else { status == NodeStatus::Online };
                if up {
                    if r.hasty {
                        self.next_rolling_broker();
                        return;
                    }
                    self.set_rolling_phase(Phase::WaitingForIsr);
                } else if self.brokers[&b].process.is_none() {
                    // It did not start (a failed disk) or went down again: try once more.
                    let _ = self.restart_broker(b);
                }
            }
            Phase::WaitingForIsr => {
                let under = self.controller.partitions.values().filter(|p| p.is_under_replicated()).count();
                if under == 0 {
                    self.next_rolling_broker();
                    return;
                }
            }
        }
        self.schedule_rolling_poll();
    }

    fn next_rolling_broker(&mut self) {
        let Some(r) = self.rolling_restart.as_mut() else { return };
        let done = r.order[r.current];
        r.current += 1;
        if r.current == r.order.len() {
            let what = if r.hasty { "without waiting for the ISRs" } else { "every ISR full again" };
            self.rolling_restart = None;
            self.log_event(NodeId::Controller, Category::Fault, format!("rolling restart done: broker {done} was the last ({what})"));
            return;
        }
        let next = r.order[r.current];
        let why = if r.hasty { "its process is up" } else { "no partition is under-replicated" };
        self.log_event(NodeId::Controller, Category::Fault, format!("rolling restart: broker {done} is back ({why}); next: broker {next}"));
        self.begin_rolling_step();
    }
}
