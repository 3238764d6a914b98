//! Where the active controller fails over: how a KRaft quorum leader becomes the active
//! controller, how it stops being one, and what the brokers' requests meet in between.
//!
//! The quorum elects a leader (`KafkaRaftClient`, [`super::quorum`]); once that leader has
//! committed a record of its own epoch it can claim ([`Voter::can_claim`]) and the controller
//! runs on it. Kafka's classes followed here:
//! - `QuorumController.claim` (`QuorumMetaLogListener.handleLeaderChange`): the new active
//!   controller replays the metadata log ([`Controller::successor`]), gives every broker a
//!   fresh session and takes the requests that waited.
//! - `QuorumController.renounce`: the active controller crashed, or another voter leads a
//!   newer epoch ([`deposed_reason`]). Its uncommitted records are lost (the cluster keeps the
//!   committed ones, which the next active controller replays), and the requests waiting on
//!   them fail: `deferredEventQueue.failAll(NOT_CONTROLLER)` ([`not_controller_response`]), or
//!   a reset connection if the process died ([`request_kind_of_response`]).
//! - `NodeToControllerChannelManager`: a broker request sent while no controller is known
//!   waits in a queue ([`ControllerChannel`]) and goes out once one is.
//!
//! The simulator (`Sim::after_quorum_event`, `Sim::claim`, `Sim::renounce` in
//! `src/sim/quorum.rs`) calls these after every voter or controller event and does the
//! plumbing: delivering the messages, scheduling the wake-ups, logging the events.

use super::quorum::Voter;
use super::Controller;
use crate::errors::KafkaError;
use crate::ids::NodeId;
use crate::protocol::{MetadataRecord, Msg};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

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

impl Controller {
    /// The controller that takes over from this one: rebuilt by replaying `records` (committed up
    /// to `committed`), keeping this one's running counts (unclean elections, ISR changes) and
    /// not pushing the brokers again what this one already pushed.
    pub fn successor(&self, records: &[MetadataRecord], committed: i64, now_ms: i64, single_voter: bool) -> Controller {
        let old = self;
        let mut c = Controller::replay(old.config.clone(), old.elr_enabled, records, committed, now_ms);
        c.auto_commit = single_voter;
        c.unclean_elections = old.unclean_elections;
        c.unclean_partitions = old.unclean_partitions.clone();
        c.isr_shrinks = old.isr_shrinks;
        c.isr_expands = old.isr_expands;
        c.leader_isr_shrinks = old.leader_isr_shrinks;
        c.leader_isr_expands = old.leader_isr_expands;
        c.pending_push = old.pending_push.min(c.committed as usize);
        c
    }
}

/// The newest quorum leader that can become the active controller, as (epoch, voter), among
/// the running voters. Every leader seen is recorded in `quorum_leaders` (checked: at most one
/// per epoch).
pub fn newest_claimable_leader<'a>(
    running: impl IntoIterator<Item = (i32, &'a Voter)>,
    quorum_leaders: &mut BTreeMap<i32, BTreeSet<i32>>,
) -> Option<(i32, i32)> {
    let mut best: Option<(i32, i32)> = None; // (epoch, voter) of the newest claimable leader
    for (id, p) in running {
        if p.is_leader() {
            let set = quorum_leaders.entry(p.epoch()).or_default();
            if !set.contains(&id) {
                set.insert(id);
            }
            if p.can_claim() && best.is_none_or(|(e, _)| p.epoch() > e) {
                best = Some((p.epoch(), id));
            }
        }
    }
    best
}

/// Why the active controller (voter `v`, active in epoch `e`) must renounce, given its process
/// (none: crashed) and the newest claimable leader: it is no longer the quorum leader of its
/// epoch, or a leader of a newer epoch can claim. None: it stays active.
pub fn deposed_reason((v, e): (i32, i32), process: Option<&Voter>, best: Option<(i32, i32)>) -> Option<String> {
    let still = process.is_some_and(|p| p.is_leader() && p.epoch() == e);
    let newer = best.is_some_and(|(be, _)| be > e);
    if still && !newer {
        return None;
    }
    Some(match process {
        None => format!("controller {v} crashed"),
        Some(p) if p.is_leader() => format!("controller {v} was replaced by a leader of epoch {}", p.epoch().max(e) + 1),
        Some(p) => format!("controller {v} is no longer the quorum leader ({})", p.role.name()),
    })
}

/// The event-log line of a claim: voter `v` is active in `epoch`, `after` ms without a
/// controller (none: the cluster had one, as at the start), having replayed `replayed` records.
pub fn claimed_message(v: i32, epoch: i32, after: Option<i64>, replayed: usize, hw: i64) -> String {
    match after {
        Some(ms) => format!(
            "controller {v} became active in epoch {epoch} (elected after {ms} ms); it replayed {} metadata records (committed up to offset {}) and gives every broker a fresh session",
            replayed,
            hw
        ),
        None => format!("controller {v} became active in epoch {epoch}"),
    }
}

/// The event-log line of a renounce: why, the epoch it was active in, the uncommitted records
/// lost, and whether `running` of `voters` voters can still elect a successor.
pub fn renounced_message(why: &str, epoch: i32, lost: i64, running: usize, voters: usize) -> String {
    let majority = voters / 2 + 1;
    let mut message = format!(
        "no active controller: {why} (it was active in epoch {epoch}){}. Brokers keep serving with the metadata they have; no ISR change, broker fencing or partition leader election can happen until a new controller is active",
        if lost > 0 { format!("; its {lost} uncommitted metadata record(s) are lost") } else { String::new() }
    );
    if running < majority {
        message.push_str(&format!(
            ". Only {running} of {} voters run and a majority is {majority}: no controller can be elected until a voter returns",
            voters
        ));
    }
    message
}

/// `NodeToControllerChannelManager`'s queue: requests brokers sent while no controller was
/// active, by (sender, its incarnation, request); sent once one is. One heartbeat and one
/// registration per broker, one AlterPartition per partition.
#[derive(Debug, Clone, Default)]
pub struct ControllerChannel {
    waiting: Vec<(NodeId, u64, Msg)>,
}

impl ControllerChannel {
    /// With no known controller a request waits in the queue. Only the newest heartbeat and
    /// registration of a broker, and the newest AlterPartition of a partition, are kept.
    pub fn park(&mut self, from: NodeId, incarnation: u64, msg: Msg) {
        let same = |a: &Msg, b: &Msg| match (a, b) {
            (Msg::AlterPartition { tp: x, .. }, Msg::AlterPartition { tp: y, .. }) => x == y,
            _ => a.kind() == b.kind(),
        };
        self.waiting.retain(|(f, _, m)| !(*f == from && same(m, &msg)));
        self.waiting.push((from, incarnation, msg));
    }

    /// Every waiting request, oldest first; the queue is empty afterwards.
    pub fn take_all(&mut self) -> Vec<(NodeId, u64, Msg)> {
        std::mem::take(&mut self.waiting)
    }
}

/// The answer of a controller voter that is not the active controller (`NOT_CONTROLLER`)
/// to a broker request (or in place of a response it can no longer give).
pub fn not_controller_response(msg: &Msg) -> Option<Msg> {
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
            Some(Msg::AlterPartitionResponse { tp: *tp, error: KafkaError::NOT_CONTROLLER, state: None })
        }
        _ => None,
    }
}

/// The request a controller response answers (for the reset a crashed controller causes).
pub fn request_kind_of_response(msg: &Msg) -> &'static str {
    match msg {
        Msg::BrokerRegistrationResponse { .. } => "BrokerRegistration",
        Msg::BrokerHeartbeatResponse { .. } => "BrokerHeartbeat",
        Msg::AlterPartitionResponse { .. } => "AlterPartition",
        other => other.kind(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TopicPartition;

    fn heartbeat(metadata_offset: i64) -> Msg {
        Msg::BrokerHeartbeat { broker: 1, broker_epoch: 5, metadata_offset, want_fence: false, want_shutdown: false }
    }

    fn alter_partition(partition: u32) -> Msg {
        Msg::AlterPartition {
            broker: 1,
            broker_epoch: 5,
            tp: TopicPartition::new("t", partition),
            leader_epoch: 0,
            partition_epoch: 0,
            new_isr: vec![1],
            leader_recovered: false,
        }
    }

    #[test]
    fn the_channel_keeps_the_newest_heartbeat_of_a_broker_and_one_alter_partition_per_partition() {
        let mut ch = ControllerChannel::default();
        ch.park(NodeId::Broker(1), 1, heartbeat(3));
        ch.park(NodeId::Broker(1), 1, alter_partition(0));
        ch.park(NodeId::Broker(1), 1, alter_partition(1));
        ch.park(NodeId::Broker(2), 1, heartbeat(3));
        ch.park(NodeId::Broker(1), 1, heartbeat(4));
        ch.park(NodeId::Broker(1), 1, alter_partition(0));
        let waiting: Vec<(NodeId, &str)> = ch.take_all().iter().map(|(f, _, m)| (*f, m.kind())).collect();
        assert_eq!(waiting.len(), 4);
        assert_eq!(waiting.iter().filter(|(f, k)| *f == NodeId::Broker(1) && *k == "BrokerHeartbeat").count(), 1);
        assert!(ch.take_all().is_empty());
    }

    #[test]
    fn a_standby_voter_answers_broker_requests_with_not_controller() {
        for msg in [heartbeat(0), alter_partition(0)] {
            let reply = not_controller_response(&msg).expect("a broker request gets an answer");
            assert_eq!(request_kind_of_response(&reply), msg.kind());
        }
        assert!(not_controller_response(&Msg::Disconnected { lost: "Fetch", correlation_id: 0 }).is_none());
    }
}
