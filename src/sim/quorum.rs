//! The simulator's side of the KRaft controller quorum: after every voter or controller event
//! it asks who leads the quorum and whether the active controller changes (the rules are in
//! `src/controller/failover.rs`), then does the plumbing: the active voter appends the
//! controller's records, a new active controller takes the requests that waited in the
//! controller channel, a renouncing one's waiting requests are failed or reset. Also the
//! quorum's views (`controller_quorum`, `active_controller`, `controller_epoch`).

use super::{ControllerChange, Ev, Sim, VoterSlot};
use crate::controller::failover::{self, not_controller_response, request_kind_of_response};
use crate::controller::quorum::{QuorumTimeouts, Voter, FIRST_VOTER_ID};
use crate::effects::{Category, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::NodeId;
use crate::protocol::{MetadataRecord, Msg};
use serde::Serialize;

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

impl Sim {
    /// The controller quorum of `sim.controllers` voters (3000, 3001, …), formed before the
    /// brokers start: voter 3000 leads epoch 1 and is the active controller.
    pub(super) fn bootstrap_quorum(&mut self) {
        let n = self.spec.broker_config.controllers.clamp(1, 5) as i32;
        let ids: Vec<i32> = (0..n).map(|i| FIRST_VOTER_ID + i).collect();
        let timeouts = QuorumTimeouts::from_config(&self.spec.broker_config);
        for &id in &ids {
            let rng = self.root_rng.fork(&format!("controller-{id}-1"));
            let v = Voter::bootstrap(id, ids.clone(), FIRST_VOTER_ID, timeouts, rng, 0);
            self.voters.insert(id, VoterSlot { id, process: Some(v), idle_disk: None, incarnation: 1 });
        }
        self.active_controller = Some((FIRST_VOTER_ID, 1));
        self.controller.auto_commit = n == 1;
        self.quorum_leaders.entry(1).or_default().insert(FIRST_VOTER_ID);
        if n > 1 {
            self.log_event(
                NodeId::Voter(FIRST_VOTER_ID),
                Category::Controller,
                format!(
                    "controller quorum of {n} voters ({}; a majority is {}): controller {FIRST_VOTER_ID} is active in epoch 1",
                    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
                    n / 2 + 1
                ),
            );
            for &id in &ids {
                self.schedule_wake(NodeId::Voter(id), 0, 1);
            }
        }
    }

    /// The active controller appended records: the active voter appends them to its
    /// copy of `__cluster_metadata`, and replication may commit them.
    pub(super) fn sync_controller(&mut self) {
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
    pub(super) fn after_quorum_event(&mut self) {
        let running = self.voters.iter().filter_map(|(id, slot)| slot.process.as_ref().map(|p| (*id, p)));
        let best = failover::newest_claimable_leader(running, &mut self.quorum_leaders);
        if let Some((v, e)) = self.active_controller {
            let process = self.voters.get(&v).and_then(|s| s.process.as_ref());
            if let Some(why) = failover::deposed_reason((v, e), process, best) {
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
    pub(super) fn claim(&mut self, v: i32) {
        let now = self.now_ms;
        let Some(p) = self.voters.get(&v).and_then(|s| s.process.as_ref()) else { return };
        let epoch = p.epoch();
        let records: Vec<MetadataRecord> = p.disk.log.iter().map(|e| e.record.clone()).collect();
        let hw = p.high_watermark;
        self.controller = self.controller.successor(&records, hw, now, self.voters.len() == 1);
        self.active_controller = Some((v, epoch));
        self.last_active_epoch = epoch;
        self.controller_generation += 1;
        let after = self.no_controller_since.take().map(|t| now - t);
        let message = failover::claimed_message(v, epoch, after, records.len(), hw);
        self.controller_history.push(ControllerChange {
            time_ms: now,
            active: Some(v),
            epoch,
            elected_after_ms: after,
            reason: message.clone(),
        });
        self.log_event(NodeId::Voter(v), Category::Controller, message);
        let mut out = Out::default();
        self.controller.advance_commit(hw, &mut out);
        self.controller.push_committed(&mut out);
        self.apply_effects(NodeId::Controller, out);
        // The requests that waited for a controller go out now.
        let waiting = self.controller_channel.take_all();
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
    pub(super) fn renounce(&mut self, why: &str) {
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
                self.queue.push(
                    at,
                    Ev::Deliver { from: NodeId::Controller, to, msg: Box::new(msg), to_incarnation: inc, sent_ms: now, ctrl: Some(v) },
                );
            }
        }
        // What the cluster keeps: the committed records.
        let old = &self.controller;
        let committed = old.committed.clamp(0, old.log.len() as i64);
        let lost = old.log.len() as i64 - committed;
        self.controller = old.successor(&old.log[..committed as usize], committed, now, self.voters.len() == 1);
        self.no_controller_since = Some(now);
        let running = self.voters.values().filter(|s| s.process.is_some()).count();
        let message = failover::renounced_message(why, epoch, lost, running, self.voters.len());
        self.controller_history.push(ControllerChange {
            time_ms: now,
            active: None,
            epoch,
            elected_after_ms: None,
            reason: message.clone(),
        });
        self.log_event(NodeId::Voter(v), Category::Controller, message);
    }

    /// Commands that change metadata need an active controller (the admin client would
    /// time out; Kafka's error is NOT_CONTROLLER while the quorum has no leader).
    pub(super) fn require_controller(&self, field: &str) -> Result<(), CommandError> {
        if self.active_controller.is_some() {
            return Ok(());
        }
        Err(CommandError::new(
            KafkaError::NOT_CONTROLLER,
            field,
            "there is no active controller right now (the KRaft quorum has no leader): metadata cannot change until one is elected",
        ))
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
}
