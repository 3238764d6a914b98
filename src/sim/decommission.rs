//! Decommissioning a broker, as an operator does it in Kafka 4.x (KRaft): move every replica it
//! hosts to other brokers (`kafka-reassign-partitions.sh --execute`), wait until the moves are
//! done (`--verify`: no partition lists it), shut it down cleanly, then
//! `kafka-cluster.sh unregister --id` so the controller forgets it.
//!
//! Kafka has no one command for this; it is the operator's loop, checked every [`POLL_MS`].
//! Each of the broker's replicas is replaced, in its place in the replica list, by the
//! registered, unfenced broker that hosts the fewest replicas and is not already in the list
//! (lowest id on a tie) — what an operator picks by hand; `--generate` would reshuffle whole
//! topics. It gives up, saying why, when a step does not finish within [`STEP_LIMIT_MS`].

use super::rolling_restart::{POLL_MS, STEP_LIMIT_MS};
use super::{Ev, Sim};
use crate::effects::Category;
use crate::errors::{CommandError, KafkaError};
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::sim::NodeStatus;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the reassignments to take the broker out of every replica list.
    Moving,
    /// Waiting for its controlled shutdown.
    Stopping,
}

/// A decommission in progress.
#[derive(Debug, Clone)]
pub struct Decommission {
    pub broker: BrokerId,
    phase: Phase,
    since_ms: i64,
    pub generation: u64,
}

impl Sim {
    /// `decommission_broker`: starts the moves off `broker`.
    pub(super) fn decommission_broker(&mut self, broker: BrokerId) -> Result<(), CommandError> {
        self.broker_slot(broker, "broker")?;
        if let Some(d) = &self.decommission {
            return Err(CommandError::invalid_request("broker", format!("broker {} is already being decommissioned", d.broker)));
        }
        if !self.controller.brokers.contains_key(&broker) {
            return Err(CommandError::new(
                KafkaError::BROKER_ID_NOT_REGISTERED,
                "broker",
                format!("Broker ID {broker} is not currently registered"),
            ));
        }
        self.require_controller("broker")?;
        let moves = self.moves_off(broker)?;
        self.decommission_generation += 1;
        self.log_event(
            NodeId::Controller,
            Category::Fault,
            format!(
                "decommission of broker {broker} begins: {} replica(s) to move ({}), then a clean shutdown, then unregister",
                moves.len(),
                moves.iter().map(|(tp, r)| format!("{tp} → [{}]", join(r))).collect::<Vec<_>>().join(", ")
            ),
        );
        for (tp, target) in moves {
            self.alter_partition_reassignments(tp.topic.to_string(), tp.partition, Some(target), None)?;
        }
        self.decommission =
            Some(Decommission { broker, phase: Phase::Moving, since_ms: self.now_ms, generation: self.decommission_generation });
        self.schedule_decommission_poll();
        Ok(())
    }

    /// The new replica list of every partition that lists `broker`: it is replaced in place by
    /// the least loaded other usable broker.
    fn moves_off(&self, broker: BrokerId) -> Result<Vec<(TopicPartition, Vec<BrokerId>)>, CommandError> {
        let mut load: BTreeMap<BrokerId, usize> = self
            .controller
            .brokers
            .iter()
            .filter(|(&b, r)| b != broker && !r.fenced && !r.in_controlled_shutdown)
            .map(|(&b, _)| (b, 0))
            .collect();
        for p in self.controller.partitions.values() {
            for r in &p.replicas {
                if let Some(n) = load.get_mut(r) {
                    *n += 1;
                }
            }
        }
        let mut moves = vec![];
        for (tp, p) in &self.controller.partitions {
            // During a move the list it goes to is the replicas less the removing ones; a broker
            // already leaving this partition needs no move.
            let current: Vec<BrokerId> = p.replicas.iter().copied().filter(|r| !p.removing_replicas.contains(r)).collect();
            if !current.contains(&broker) {
                continue;
            }
            let pick = load.iter().filter(|(b, _)| !p.replicas.contains(b)).min_by_key(|(b, n)| (**n, **b)).map(|(b, _)| *b);
            let Some(to) = pick else {
                return Err(CommandError::new(
                    KafkaError::INVALID_REPLICA_ASSIGNMENT,
                    "broker",
                    format!("no other usable broker can take broker {broker}'s replica of {tp}: add a broker first"),
                ));
            };
            *load.get_mut(&to).unwrap() += 1;
            let target: Vec<BrokerId> = current.iter().map(|&r| if r == broker { to } else { r }).collect();
            moves.push((*tp, target));
        }
        Ok(moves)
    }

    fn schedule_decommission_poll(&mut self) {
        if let Some(d) = &self.decommission {
            let generation = d.generation;
            self.queue.push(self.now_ms + POLL_MS, Ev::DecommissionPoll { generation });
        }
    }

    /// The operator checks `--verify`, then shuts the broker down, then unregisters it.
    pub(super) fn decommission_poll(&mut self, generation: u64) {
        let Some(d) = self.decommission.clone() else { return };
        if d.generation != generation {
            return;
        }
        let b = d.broker;
        if self.now_ms - d.since_ms > STEP_LIMIT_MS {
            let what = match d.phase {
                Phase::Moving => "its replicas have not all moved",
                Phase::Stopping => "it has not shut down",
            };
            self.log_event(
                NodeId::Controller,
                Category::Fault,
                format!("decommission of broker {b} gives up after {} s: {what}", STEP_LIMIT_MS / 1000),
            );
            self.decommission = None;
            return;
        }
        match d.phase {
            Phase::Moving => {
                let left = self.controller.partitions.values().filter(|p| p.replicas.contains(&b)).count();
                if left == 0 {
                    self.log_event(
                        NodeId::Controller,
                        Category::Fault,
                        format!("decommission: broker {b} hosts no replica any more; shutting it down"),
                    );
                    if self.brokers[&b].process.is_some() {
                        let _ = self.shutdown_broker(b);
                    }
                    if let Some(d) = self.decommission.as_mut() {
                        d.phase = Phase::Stopping;
                        d.since_ms = self.now_ms;
                    }
                }
            }
            Phase::Stopping => {
                if matches!(self.brokers[&b].status(), NodeStatus::Stopped | NodeStatus::Crashed) {
                    self.decommission = None;
                    match self.unregister_broker(b) {
                        Ok(()) => self.log_event(
                            NodeId::Controller,
                            Category::Fault,
                            format!("decommission of broker {b} done: moved, stopped, unregistered"),
                        ),
                        Err(e) => self.log_event(
                            NodeId::Controller,
                            Category::Fault,
                            format!("decommission of broker {b}: unregister failed: {e}"),
                        ),
                    }
                    return;
                }
            }
        }
        self.schedule_decommission_poll();
    }
}

fn join(v: &[BrokerId]) -> String {
    v.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",")
}
