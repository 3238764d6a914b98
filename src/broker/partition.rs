//! One partition as its leader sees it: ISR, pending ISR changes, per-follower
//! state and the high watermark. Follows `core/.../cluster/Partition.scala`
//! (Kafka 4.x):
//!
//! * `maximalIsr`: while an expand is in flight the new member already counts;
//!   while a shrink is in flight the removed members still count (so the HW is
//!   never advanced on an ISR the controller has not accepted).
//! * `getOutOfSyncReplicas`: ISR followers that are not caught up (see
//!   [`ReplicaState::is_caught_up`]); none while a change is in flight.
//! * `isFollowerInSync` (expand): follower LEO ≥ HW and ≥ the leader epoch's start offset.
//! * `maybeIncrementLeaderHW`: never while the committed ISR is smaller than
//!   min(min.insync.replicas, RF) (KAFKA-15583, Kafka 3.7+); otherwise the min LEO
//!   over the leader, the maximal ISR and any caught-up, eligible follower about
//!   to join.
//! * `maybeShrinkIsr` / `maybeExpandIsr` return the AlterPartition to send (the broker
//!   sends it to the active controller, as `AlterPartitionManager` does);
//!   `handleAlterPartitionUpdate` commits the ISR the controller accepted.

use super::replica_state::ReplicaState;
use crate::controller::join;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, TopicPartition};
use crate::log::PartitionLog;
use crate::protocol::{Msg, PartitionState};
use crate::vecmap::VecMap;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingIsrChange {
    Expand { new_member: BrokerId, proposed: Vec<BrokerId>, sent_at_ms: i64 },
    Shrink { removed: Vec<BrokerId>, proposed: Vec<BrokerId>, sent_at_ms: i64 },
}

#[derive(Debug, Clone, Serialize)]
pub struct LeaderState {
    /// Committed ISR, in the controller's order.
    pub isr: Vec<BrokerId>,
    pub pending: Option<PendingIsrChange>,
    pub leader_epoch_start_offset: i64,
    pub remote: VecMap<BrokerId, ReplicaState>,
    /// Unclean election: the leader must report recovery to the controller.
    pub recovering: bool,
}

/// What the leader does after the controller answered its AlterPartition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlterPartitionOutcome {
    /// The ISR the controller accepted is committed: the HW may advance.
    Committed,
    /// NOT_CONTROLLER: send every pending AlterPartition again, to the active controller.
    SendAgain,
    /// Nothing more to do (stale answer, rejected change, or waiting for new metadata).
    Done,
}

/// An AlterPartition request. The leader always reports itself RECOVERED: it recovered
/// the moment it became leader (a leader elected uncleanly reports it this way).
fn alter_partition(
    broker: BrokerId,
    broker_epoch: i64,
    tp: TopicPartition,
    leader_epoch: i32,
    partition_epoch: i32,
    new_isr: Vec<BrokerId>,
) -> Msg {
    Msg::AlterPartition { broker, broker_epoch, tp, leader_epoch, partition_epoch, new_isr, leader_recovered: true }
}

#[derive(Debug, Clone, Serialize)]
pub struct Partition {
    pub tp: TopicPartition,
    pub local: BrokerId,
    pub replicas: Vec<BrokerId>,
    /// Leader as last learned from metadata (-1: none).
    pub leader: BrokerId,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    /// `Some` while this broker leads the partition.
    pub leader_state: Option<LeaderState>,
}

impl Partition {
    pub fn new(tp: TopicPartition, local: BrokerId) -> Partition {
        Partition { tp, local, replicas: vec![], leader: -1, leader_epoch: -1, partition_epoch: -1, leader_state: None }
    }

    pub fn is_leader(&self) -> bool {
        self.leader_state.is_some()
    }

    /// `makeLeader`: a new leader epoch records (epoch, LEO) in the epoch cache and
    /// resets what it knows of followers (ISR members count as caught up now,
    /// others as never, so they do not hold the HW back).
    #[allow(clippy::too_many_arguments)]
    pub fn make_leader(
        &mut self,
        log: &mut PartitionLog,
        replicas: Vec<BrokerId>,
        isr: Vec<BrokerId>,
        leader_epoch: i32,
        partition_epoch: i32,
        recovering: bool,
        now_ms: i64,
    ) -> bool {
        let new_epoch = self.leader_state.is_none() || leader_epoch != self.leader_epoch;
        self.replicas = replicas;
        self.leader = self.local;
        self.partition_epoch = partition_epoch;
        if new_epoch {
            let start = log.log_end_offset();
            log.epoch_cache.assign(leader_epoch, start);
            let remote = self
                .replicas
                .iter()
                .filter(|&&r| r != self.local)
                .map(|&r| (r, ReplicaState::unknown(if isr.contains(&r) { now_ms } else { super::replica_state::NEVER_CAUGHT_UP })))
                .collect();
            self.leader_state = Some(LeaderState { isr, pending: None, leader_epoch_start_offset: start, remote, recovering });
            self.leader_epoch = leader_epoch;
        } else if let Some(ls) = self.leader_state.as_mut() {
            ls.isr = isr;
            ls.pending = None;
            for &r in &self.replicas {
                if r != self.local {
                    ls.remote.entry(r).or_insert_with(|| ReplicaState::unknown(super::replica_state::NEVER_CAUGHT_UP));
                }
            }
        }
        new_epoch
    }

    pub fn make_follower(&mut self, replicas: Vec<BrokerId>, leader: BrokerId, leader_epoch: i32, partition_epoch: i32) -> bool {
        let changed = self.leader_state.is_some() || leader != self.leader || leader_epoch != self.leader_epoch;
        self.replicas = replicas;
        self.leader = leader;
        self.leader_epoch = leader_epoch;
        self.partition_epoch = partition_epoch;
        self.leader_state = None;
        changed
    }

    /// The ISR used for the HW and for acks=all completion.
    pub fn maximal_isr(&self) -> Vec<BrokerId> {
        match &self.leader_state {
            None => vec![],
            Some(ls) => match &ls.pending {
                Some(PendingIsrChange::Expand { new_member, .. }) => {
                    let mut v = ls.isr.clone();
                    if !v.contains(new_member) {
                        v.push(*new_member);
                    }
                    v
                }
                _ => ls.isr.clone(),
            },
        }
    }

    pub fn isr(&self) -> Vec<BrokerId> {
        self.isr_slice().to_vec()
    }

    /// The ISR as the leader holds it (empty on a follower), without a copy: the hot paths read its size.
    pub fn isr_slice(&self) -> &[BrokerId] {
        self.leader_state.as_ref().map_or(&[], |l| &l.isr)
    }

    /// `maximal_isr().contains(&b)` without building it.
    pub fn in_maximal_isr(&self, b: BrokerId) -> bool {
        self.leader_state.as_ref().is_some_and(|ls| {
            ls.isr.contains(&b) || matches!(&ls.pending, Some(PendingIsrChange::Expand { new_member, .. }) if *new_member == b)
        })
    }

    /// `maximal_isr().len()` without building it.
    pub fn maximal_isr_len(&self) -> usize {
        match &self.leader_state {
            None => 0,
            Some(ls) => match &ls.pending {
                Some(PendingIsrChange::Expand { new_member, .. }) => ls.isr.len() + usize::from(!ls.isr.contains(new_member)),
                _ => ls.isr.len(),
            },
        }
    }

    /// `effectiveMinIsr`: min(min.insync.replicas, replication factor).
    pub fn effective_min_isr(&self, min_insync_replicas: i64) -> usize {
        (min_insync_replicas.max(1) as usize).min(self.replicas.len().max(1))
    }

    pub fn is_under_min_isr(&self, min_insync_replicas: i64) -> bool {
        self.leader_state.as_ref().is_some_and(|ls| ls.isr.len() < self.effective_min_isr(min_insync_replicas))
    }

    /// `getOutOfSyncReplicas(replica.lag.time.max.ms)`.
    pub fn out_of_sync_replicas(&self, leader_end_offset: i64, now_ms: i64, max_lag_ms: i64) -> Vec<BrokerId> {
        let Some(ls) = &self.leader_state else { return vec![] };
        if ls.pending.is_some() {
            return vec![];
        }
        ls.isr
            .iter()
            .copied()
            .filter(|&r| r != self.local)
            .filter(|r| ls.remote.get(r).is_none_or(|s| !s.is_caught_up(leader_end_offset, now_ms, max_lag_ms)))
            .collect()
    }

    /// LEGACY `replica.lag.max.messages` (Kafka 0.8.2 `Partition.getOutOfSyncReplicas`,
    /// case 2, "slow followers"): ISR followers whose known LEO is more than
    /// `max_lag_messages` behind the leader's LEO, however recently they fetched. 0.8.2
    /// applied it next to the time rule ("stuck followers"); KAFKA-1546 removed it in 0.9.0
    /// because a producer burst made healthy followers leave the ISR. Followers with an
    /// unknown LEO (-1) are skipped, as 0.8.2 did; as for the time rule, nothing is
    /// reported while an ISR change is in flight. `max_lag_messages` ≤ 0: off.
    pub fn legacy_slow_replicas(&self, leader_end_offset: i64, max_lag_messages: i64) -> Vec<BrokerId> {
        let Some(ls) = &self.leader_state else { return vec![] };
        if max_lag_messages <= 0 || ls.pending.is_some() {
            return vec![];
        }
        ls.isr
            .iter()
            .copied()
            .filter(|&r| r != self.local)
            .filter(|r| ls.remote.get(r).is_some_and(|s| s.log_end_offset >= 0 && leader_end_offset - s.log_end_offset > max_lag_messages))
            .collect()
    }

    /// `isFollowerInSync`: may this follower (re)join the ISR?
    pub fn is_follower_in_sync(&self, follower: BrokerId, high_watermark: i64) -> bool {
        let Some(ls) = &self.leader_state else { return false };
        let leo = ls.remote.get(&follower).map(|s| s.log_end_offset).unwrap_or(-1);
        leo >= high_watermark && leo >= ls.leader_epoch_start_offset
    }

    /// `Partition.maybeShrinkIsr` (run every replica.lag.time.max.ms / 2 by ReplicaManager): the
    /// out-of-sync followers leave the ISR through an AlterPartition, returned for the broker to send.
    /// With the legacy `replica.lag.max.messages` set, Kafka 0.8.2's second rule applies too
    /// (`Partition.getOutOfSyncReplicas` = stuck ++ slow followers).
    #[allow(clippy::too_many_arguments)]
    pub fn maybe_shrink_isr(
        &mut self,
        now_ms: i64,
        leo: i64,
        hw: i64,
        max_lag: i64,
        max_lag_messages: i64,
        broker_epoch: i64,
        out: &mut Out,
    ) -> Option<Msg> {
        let tp = self.tp;
        let by_time = self.out_of_sync_replicas(leo, now_ms, max_lag);
        let slow = self.legacy_slow_replicas(leo, max_lag_messages);
        let mut out_of_sync = by_time.clone();
        for b in &slow {
            if !out_of_sync.contains(b) {
                out_of_sync.push(*b);
            }
        }
        if out_of_sync.is_empty() {
            return None;
        }
        let ls = self.leader_state.as_mut().unwrap();
        let new_isr: Vec<BrokerId> = ls.isr.iter().copied().filter(|b| !out_of_sync.contains(b)).collect();
        let details: Vec<String> = out_of_sync
            .iter()
            .map(|b| {
                let s = ls.remote.get(b);
                let lag_ms = s.map(|s| now_ms - s.last_caught_up_time_ms).unwrap_or(0);
                let end = s.map(|s| s.log_end_offset).unwrap_or(-1);
                let behind = (leo - end.max(0)).max(0);
                if slow.contains(b) && !by_time.contains(b) {
                    format!(
                        "broker {b}: endOffset {end}, {behind} behind > replica.lag.max.messages={max_lag_messages} (LEGACY pre-0.9 rule; it fetched {} ms ago)",
                        s.map(|s| now_ms - s.last_fetch_time_ms).unwrap_or(0)
                    )
                } else {
                    format!("broker {b}: endOffset {end}, {behind} behind, last caught up {lag_ms} ms ago")
                }
            })
            .collect();
        out.log(
            Category::Isr,
            format!(
                "shrinks ISR of {tp} from [{}] to [{}] (HW {hw}, LEO {leo}; out of sync: {})",
                join(&ls.isr),
                join(&new_isr),
                details.join("; ")
            ),
        );
        ls.pending = Some(PendingIsrChange::Shrink { removed: out_of_sync, proposed: new_isr.clone(), sent_at_ms: now_ms });
        Some(alter_partition(self.local, broker_epoch, tp, self.leader_epoch, self.partition_epoch, new_isr))
    }

    /// `Partition.maybeExpandIsr` after a follower's fetch: a caught-up, eligible follower
    /// (`isReplicaIsrEligible`: `eligible`) joins the ISR through the AlterPartition returned.
    pub fn maybe_expand_isr(
        &mut self,
        now_ms: i64,
        follower: BrokerId,
        hw: i64,
        eligible: bool,
        broker_epoch: i64,
        out: &mut Out,
    ) -> Option<Msg> {
        let ls = self.leader_state.as_ref()?;
        if ls.pending.is_some() || ls.isr.contains(&follower) || !eligible {
            return None;
        }
        if !self.is_follower_in_sync(follower, hw) {
            return None;
        }
        let tp = self.tp;
        let ls = self.leader_state.as_mut().unwrap();
        let mut new_isr = ls.isr.clone();
        new_isr.push(follower);
        let leo = ls.remote.get(&follower).map(|s| s.log_end_offset).unwrap_or(-1);
        out.log(
            Category::Isr,
            format!(
                "expands ISR of {tp} from [{}] to [{}] (broker {follower} caught up to offset {leo}, HW {hw})",
                join(&ls.isr),
                join(&new_isr)
            ),
        );
        ls.pending = Some(PendingIsrChange::Expand { new_member: follower, proposed: new_isr.clone(), sent_at_ms: now_ms });
        Some(alter_partition(self.local, broker_epoch, tp, self.leader_epoch, self.partition_epoch, new_isr))
    }

    /// `Partition.handleAlterPartitionUpdate` / `handleAlterPartitionError`: the controller's
    /// answer to this leader's pending ISR change.
    pub fn handle_alter_partition_response(
        &mut self,
        error: KafkaError,
        state: Option<PartitionState>,
        out: &mut Out,
    ) -> AlterPartitionOutcome {
        let tp = &self.tp;
        let Some(ls) = self.leader_state.as_mut() else { return AlterPartitionOutcome::Done };
        if ls.pending.is_none() {
            return AlterPartitionOutcome::Done;
        }
        match error {
            KafkaError::NONE => {
                let Some(st) = state else { return AlterPartitionOutcome::Done };
                if st.leader_epoch != self.leader_epoch || st.partition_epoch < self.partition_epoch {
                    return AlterPartitionOutcome::Done; // stale: wait for metadata
                }
                ls.isr = st.isr.clone();
                ls.pending = None;
                ls.recovering = st.leader_recovering;
                self.partition_epoch = st.partition_epoch;
                AlterPartitionOutcome::Committed
            }
            KafkaError::INELIGIBLE_REPLICA => {
                ls.pending = None;
                out.log(Category::Isr, format!("AlterPartition of {tp} rejected: {error}; keeping ISR [{}]", join(&ls.isr)));
                AlterPartitionOutcome::Done
            }
            KafkaError::NOT_CONTROLLER => AlterPartitionOutcome::SendAgain,
            KafkaError::NEW_LEADER_ELECTED => {
                // Partition.handleAlterPartitionError: the change was committed, and it completed a
                // reassignment that moved leadership off this broker; it stays pending until the
                // metadata says so.
                out.log(
                    Category::Reassign,
                    format!("AlterPartition of {tp} completed its reassignment: NEW_LEADER_ELECTED (leadership moved off this broker; waiting for the metadata)"),
                );
                AlterPartitionOutcome::Done
            }
            _ => {
                out.log(Category::Isr, format!("AlterPartition of {tp} failed: {error}; waiting for new metadata"));
                AlterPartitionOutcome::Done
            }
        }
    }

    /// The pending AlterPartition again, when it was sent at least `after_ms` ago
    /// (`AlterPartitionManager` retries unanswered requests; 0: a resend now, after NOT_CONTROLLER
    /// or a lost connection to the controller).
    pub fn resend_pending_alter_partition(&mut self, now_ms: i64, after_ms: i64, broker: BrokerId, broker_epoch: i64) -> Option<Msg> {
        let ls = self.leader_state.as_mut()?;
        match ls.pending.as_mut() {
            Some(PendingIsrChange::Expand { proposed, sent_at_ms, .. }) | Some(PendingIsrChange::Shrink { proposed, sent_at_ms, .. })
                if now_ms - *sent_at_ms >= after_ms =>
            {
                *sent_at_ms = now_ms;
                let proposed = proposed.clone();
                Some(alter_partition(broker, broker_epoch, self.tp, self.leader_epoch, self.partition_epoch, proposed))
            }
            _ => None,
        }
    }

    /// `maybeIncrementLeaderHW`. `eligible(b)`: the broker is unfenced, not shutting
    /// down and its epoch matches (`isReplicaIsrEligible`). `max_lag_messages` > 0 (the
    /// LEGACY `replica.lag.max.messages`): a follower that many messages behind is not in
    /// sync, so the HW does not wait for it to join (0.8.2 computed the HW over the ISR only).
    #[allow(clippy::too_many_arguments)]
    pub fn maybe_increment_leader_hw(
        &self,
        log: &mut PartitionLog,
        now_ms: i64,
        min_insync_replicas: i64,
        max_lag_ms: i64,
        max_lag_messages: i64,
        eligible: &dyn Fn(BrokerId) -> bool,
    ) -> bool {
        let Some(ls) = &self.leader_state else { return false };
        if self.is_under_min_isr(min_insync_replicas) {
            return false;
        }
        let leader_leo = log.log_end_offset();
        let mut new_hw = leader_leo;
        for (&r, s) in &ls.remote {
            let within_messages = max_lag_messages <= 0 || leader_leo - s.log_end_offset <= max_lag_messages;
            let wait_to_join = s.is_caught_up(leader_leo, now_ms, max_lag_ms) && within_messages && eligible(r);
            if s.log_end_offset < new_hw && (self.in_maximal_isr(r) || wait_to_join) {
                new_hw = s.log_end_offset;
            }
        }
        log.maybe_increment_high_watermark(new_hw)
    }
}

#[cfg(test)]
mod tests {
    //! Kafka's `IsrExpirationTest` (replica.lag.time.max.ms = 100, leader LEO 20).
    use super::*;
    use crate::log::NewRecord;

    const LAG: i64 = 100;

    fn leader_with_leo_20(t0: i64) -> (Partition, PartitionLog) {
        let tp = TopicPartition::new("foo", 0);
        let mut log = PartitionLog::new(tp, 0);
        let mut p = Partition::new(tp, 0);
        p.make_leader(&mut log, vec![0, 1], vec![0, 1], 0, 0, false, t0);
        let recs: Vec<NewRecord> = (0..20).map(|i| NewRecord { key: None, value: None, write_id: i }).collect();
        log.append_as_leader(&recs, 0, t0);
        // getPartitionWithAllReplicasInIsr: each follower fetched at 0 when the leader's LEO was 0.
        p.leader_state.as_mut().unwrap().remote.get_mut(&1).unwrap().update_fetch_state(0, 0, t0, 0, 1);
        (p, log)
    }

    fn fetch(p: &mut Partition, offset: i64, now: i64, leader_end: i64) {
        p.leader_state.as_mut().unwrap().remote.get_mut(&1).unwrap().update_fetch_state(offset, 0, now, leader_end, 1);
    }

    #[test]
    fn follower_that_stops_fetching_leaves_isr_after_replica_lag_time_max_ms() {
        let t0 = 1_000;
        let (p, log) = leader_with_leo_20(t0);
        assert!(p.out_of_sync_replicas(log.log_end_offset(), t0 + 100, LAG).is_empty(), "exactly 100 ms is still in sync");
        assert_eq!(p.out_of_sync_replicas(log.log_end_offset(), t0 + 150, LAG), vec![1]);
    }

    #[test]
    fn stuck_follower_fetching_at_19_leaves_isr_after_150_ms() {
        let t0 = 1_000;
        let (mut p, log) = leader_with_leo_20(t0);
        fetch(&mut p, 19, t0, 20);
        assert!(p.out_of_sync_replicas(20, t0, LAG).is_empty());
        assert_eq!(p.out_of_sync_replicas(log.log_end_offset(), t0 + 150, LAG), vec![1]);
    }

    #[test]
    fn slow_follower_stays_while_catching_up_then_leaves_then_rejoins_at_20() {
        let t0 = 1_000;
        let (mut p, _log) = leader_with_leo_20(t0);
        fetch(&mut p, 18, t0, 20);
        assert!(p.out_of_sync_replicas(20, t0, LAG).is_empty());
        fetch(&mut p, 19, t0 + 75, 20);
        assert!(p.out_of_sync_replicas(20, t0 + 75, LAG).is_empty(), "still in after 75 ms");
        assert_eq!(p.out_of_sync_replicas(20, t0 + 150, LAG), vec![1], "out after 75 ms more");
        fetch(&mut p, 20, t0 + 150, 20);
        assert!(p.out_of_sync_replicas(20, t0 + 150, LAG).is_empty(), "a fetch at 20 brings it back");
    }

    #[test]
    fn caught_up_follower_with_no_new_data_never_leaves_isr() {
        let t0 = 1_000;
        let (mut p, _log) = leader_with_leo_20(t0);
        fetch(&mut p, 20, t0, 20);
        assert!(p.out_of_sync_replicas(20, t0, LAG).is_empty());
        assert!(p.out_of_sync_replicas(20, t0 + 150, LAG).is_empty());
        assert!(p.out_of_sync_replicas(20, t0 + 1_000_000, LAG).is_empty());
    }

    #[test]
    fn legacy_rule_evicts_a_fetching_follower_more_than_max_messages_behind() {
        // Kafka 0.8.2 ISRExpirationTest.testIsrExpirationForSlowFollowers, in spirit: the
        // follower fetched just now (the time rule keeps it) but is 20 - 5 = 15 > 10 behind.
        let t0 = 1_000;
        let (mut p, log) = leader_with_leo_20(t0);
        fetch(&mut p, 5, t0, 20);
        assert!(p.out_of_sync_replicas(log.log_end_offset(), t0 + 50, LAG).is_empty(), "the time rule keeps it");
        assert_eq!(p.legacy_slow_replicas(log.log_end_offset(), 10), vec![1]);
        assert!(p.legacy_slow_replicas(log.log_end_offset(), 15).is_empty(), "exactly 15 behind is not more than 15");
        assert!(p.legacy_slow_replicas(log.log_end_offset(), 0).is_empty(), "0 = off (Kafka 4.x)");
    }

    #[test]
    fn high_watermark_is_min_leo_of_the_maximal_isr_and_waits_for_min_isr() {
        let t0 = 0;
        let tp = TopicPartition::new("t", 0);
        let mut log = PartitionLog::new(tp, 0);
        let mut p = Partition::new(tp, 1);
        p.make_leader(&mut log, vec![1, 2, 3], vec![1, 2, 3], 0, 0, false, t0);
        let recs: Vec<NewRecord> = (0..10).map(|i| NewRecord { key: None, value: None, write_id: i }).collect();
        log.append_as_leader(&recs, 0, t0);
        let ls = p.leader_state.as_mut().unwrap();
        ls.remote.get_mut(&2).unwrap().update_fetch_state(10, 0, 5, 10, 1);
        ls.remote.get_mut(&3).unwrap().update_fetch_state(4, 0, 5, 10, 1);
        assert!(p.maybe_increment_leader_hw(&mut log, 5, 1, 30_000, 0, &|_| true));
        assert_eq!(log.high_watermark(), 4, "held back by broker 3");
        // ISR shrinks to [1]; with min.insync.replicas=2 the HW must not move.
        p.leader_state.as_mut().unwrap().isr = vec![1];
        p.leader_state.as_mut().unwrap().remote.get_mut(&3).unwrap().last_caught_up_time_ms = -100_000;
        assert!(!p.maybe_increment_leader_hw(&mut log, 6, 2, 30_000, 0, &|_| true));
        assert_eq!(log.high_watermark(), 4);
        assert!(p.maybe_increment_leader_hw(&mut log, 6, 1, 30_000, 0, &|_| true));
        assert_eq!(log.high_watermark(), 10, "broker 2 is caught up and eligible; broker 3 is lagging and out");
    }
}
