//! The leader answering reads (`ReplicaManager.fetchMessages`, `Partition.fetchRecords`): follower
//! fetches (divergence by `lastFetchedEpoch`, the follower's fetch state, ISR expansion and the HW),
//! consumer fetches (below the HW; KIP-392 follower fetching), ListOffsets and OffsetsForLeaderEpoch.

use super::purgatory::{DelayedConsumerFetch, DelayedFetch};
use super::{replica_state, Broker, BrokerStatus, MAX_FETCH_RECORDS};
use crate::effects::Out;
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition, NO_LEADER};
use crate::log::PartitionLog;
use crate::protocol::{FetchPartition, FetchPartitionResponse, Msg};

pub(super) fn tp_error(tp: &TopicPartition, error: KafkaError, log: Option<&PartitionLog>) -> FetchPartitionResponse {
    FetchPartitionResponse {
        tp: *tp,
        error,
        high_watermark: log.map(|l| l.high_watermark()).unwrap_or(-1),
        log_start_offset: log.map(|l| l.log_start_offset()).unwrap_or(-1),
        log_end_offset: log.map(|l| l.log_end_offset()).unwrap_or(-1),
        diverging_epoch: None,
        records: vec![],
    }
}

impl Broker {
    /// A consumer's Fetch: answered now, or held in purgatory (long poll).
    pub(super) fn on_consumer_fetch(&mut self, d: DelayedConsumerFetch, max_wait_ms: i64, out: &mut Out) {
        let (partition, preferred) = self.read_for_consumer(&d);
        if partition.error == KafkaError::NONE && partition.records.is_empty() && preferred < 0 && max_wait_ms > 0 {
            // Long poll: hold the fetch until the HW passes the fetch offset or fetch.max.wait.ms passes.
            self.delayed_consumer_fetch.push(d);
        } else {
            out.send(d.from, Msg::ConsumerFetchResponse { correlation_id: d.correlation_id, partition, preferred_read_replica: preferred });
        }
    }

    /// ListOffsets (EARLIEST / LATEST) for a consumer.
    pub(super) fn on_list_offsets(
        &self,
        from: NodeId,
        correlation_id: u64,
        tp: TopicPartition,
        timestamp: i64,
        current_leader_epoch: i32,
        out: &mut Out,
    ) {
        // Partition.fetchOffsetForTimestamp: the current leader epoch is checked before
        // leadership (getLocalLog).
        let (error, offset, leader_epoch) = match (self.partitions.get(&tp), self.disk.logs.get(&tp)) {
            (Some(p), _) if current_leader_epoch >= 0 && current_leader_epoch < p.leader_epoch => (KafkaError::FENCED_LEADER_EPOCH, -1, -1),
            (Some(p), _) if current_leader_epoch > p.leader_epoch => (KafkaError::UNKNOWN_LEADER_EPOCH, -1, -1),
            (Some(p), Some(log)) if p.is_leader() => {
                let epoch_start = p.leader_state.as_ref().map_or(-1, |ls| ls.leader_epoch_start_offset);
                if timestamp == -2 {
                    // EARLIEST is answered even while the new leader's HW lags.
                    let o = log.log_start_offset();
                    (KafkaError::NONE, o, log.epoch_cache.epoch_for_offset(o).unwrap_or(-1))
                } else if epoch_start > log.high_watermark() {
                    // A new leader whose HW has not yet reached the start offset of its epoch
                    // cannot say what is committed: LATEST fails with OFFSET_NOT_AVAILABLE
                    // (retriable) until it has (leaderEpochStartOffsetOpt > highWatermark).
                    (KafkaError::OFFSET_NOT_AVAILABLE, -1, -1)
                } else {
                    // LATEST for read_uncommitted consumers: the high watermark.
                    (KafkaError::NONE, log.high_watermark(), p.leader_epoch)
                }
            }
            (Some(_), _) => (KafkaError::NOT_LEADER_OR_FOLLOWER, -1, -1),
            _ => (KafkaError::UNKNOWN_TOPIC_OR_PARTITION, -1, -1),
        };
        out.send(from, Msg::ListOffsetsResponse { correlation_id, tp, error, offset, leader_epoch });
    }

    /// OffsetsForLeaderEpoch from a consumer validating its position after a leader change.
    pub(super) fn on_offsets_for_leader_epoch(
        &self,
        from: NodeId,
        correlation_id: u64,
        tp: TopicPartition,
        current_leader_epoch: i32,
        leader_epoch: i32,
        out: &mut Out,
    ) {
        let (error, epoch, end) = match (self.partitions.get(&tp), self.disk.logs.get(&tp)) {
            (Some(p), Some(log)) if p.is_leader() => {
                if current_leader_epoch >= 0 && current_leader_epoch < p.leader_epoch {
                    (KafkaError::FENCED_LEADER_EPOCH, -1, -1)
                } else if current_leader_epoch > p.leader_epoch {
                    (KafkaError::UNKNOWN_LEADER_EPOCH, -1, -1)
                } else {
                    let (e, o) = log.epoch_cache.end_offset_for(leader_epoch, log.log_end_offset());
                    (KafkaError::NONE, e, o)
                }
            }
            (Some(_), _) => (KafkaError::NOT_LEADER_OR_FOLLOWER, -1, -1),
            _ => (KafkaError::UNKNOWN_TOPIC_OR_PARTITION, -1, -1),
        };
        out.send(from, Msg::OffsetsForLeaderEpochResponse { correlation_id, tp, error, leader_epoch: epoch, end_offset: end });
    }

    /// The error a follower's fetch of `fp` would get now (for tests and views).
    pub fn follower_fetch_error(&self, fp: &FetchPartition) -> KafkaError {
        self.read_for_follower(fp).0.error
    }

    /// Reads for a follower (`Partition.fetchRecords` with `lastFetchedEpoch`).
    /// Returns the response and whether the follower's fetch state may be updated.
    pub(super) fn read_for_follower(&self, fp: &FetchPartition) -> (FetchPartitionResponse, bool) {
        let tp = &fp.tp;
        let Some(part) = self.partitions.get(tp) else {
            return (tp_error(tp, KafkaError::UNKNOWN_TOPIC_OR_PARTITION, None), false);
        };
        let log = &self.disk.logs[tp];
        // Partition.getLocalLog: the request's current leader epoch is checked before leadership
        // (checkCurrentLeaderEpoch, then `requireLeader && !isLeader`).
        if fp.current_leader_epoch < part.leader_epoch {
            return (tp_error(tp, KafkaError::FENCED_LEADER_EPOCH, Some(log)), false);
        }
        if fp.current_leader_epoch > part.leader_epoch {
            return (tp_error(tp, KafkaError::UNKNOWN_LEADER_EPOCH, Some(log)), false);
        }
        if !part.is_leader() {
            return (tp_error(tp, KafkaError::NOT_LEADER_OR_FOLLOWER, Some(log)), false);
        }
        let leo = log.log_end_offset();
        if fp.last_fetched_epoch >= 0 {
            let (epoch, end) = log.epoch_cache.end_offset_for(fp.last_fetched_epoch, leo);
            if epoch < 0 || end < 0 {
                return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), false);
            }
            // Partition.readRecords: "If fetch offset is less than log start, fail with
            // OffsetOutOfRangeException, regardless of whether epochs are diverging".
            if fp.fetch_offset < log.log_start_offset() {
                return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), false);
            }
            if epoch < fp.last_fetched_epoch || end < fp.fetch_offset {
                let mut r = tp_error(tp, KafkaError::NONE, Some(log));
                r.diverging_epoch = Some((epoch, end));
                return (r, false);
            }
        }
        if fp.fetch_offset > leo || fp.fetch_offset < log.log_start_offset() {
            return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), false);
        }
        let mut r = tp_error(tp, KafkaError::NONE, Some(log));
        r.records = log.read(fp.fetch_offset, leo, MAX_FETCH_RECORDS);
        (r, true)
    }

    pub(super) fn handle_follower_fetch(
        &mut self,
        now_ms: i64,
        follower: BrokerId,
        broker_epoch: i64,
        session: u64,
        partitions: Vec<FetchPartition>,
        out: &mut Out,
    ) {
        let mut responses = Vec::with_capacity(partitions.len());
        let mut total = 0usize;
        let mut any_error = false;
        let mut throttled_bytes = 0;
        for fp in &partitions {
            let leader_leo_before = self.disk.logs.get(&fp.tp).map(|l| l.log_end_offset()).unwrap_or(0);
            let (mut resp, update) = self.read_for_follower(fp);
            if !resp.records.is_empty() && !self.leader_throttled.is_empty() {
                throttled_bytes += self.apply_leader_throttle(now_ms, follower, &mut resp);
            }
            total += resp.records.len();
            any_error |= resp.error != KafkaError::NONE || resp.diverging_epoch.is_some();
            responses.push(resp);
            if update {
                // updateFollowerFetchState: the fetch offset is the follower's LEO.
                self.touched.mark(fp.tp);
                let part = self.partitions.get_mut(&fp.tp).unwrap();
                let ls = part.leader_state.as_mut().unwrap();
                let st = ls.remote.entry(follower).or_insert_with(|| replica_state::ReplicaState::unknown(replica_state::NEVER_CAUGHT_UP));
                let prev_leo = st.log_end_offset;
                st.update_fetch_state(fp.fetch_offset, fp.log_start_offset, now_ms, leader_leo_before, broker_epoch);
                self.maybe_expand_isr(now_ms, &fp.tp, follower, out);
                if prev_leo != fp.fetch_offset && self.maybe_increment_hw(now_ms, &fp.tp, out) {
                    self.complete_delayed_produce(now_ms, &fp.tp, out);
                }
            }
        }
        if throttled_bytes > 0 {
            self.leader_quota.record(now_ms, throttled_bytes);
        }
        let max_wait = self.config.replica_fetch_wait_max_ms;
        if total == 0 && !any_error && max_wait > 0 {
            // Long poll: hold the fetch until data arrives or replica.fetch.wait.max.ms passes.
            self.delayed_fetch.push(DelayedFetch { follower, session, partitions, deadline_ms: now_ms + max_wait });
            return;
        }
        out.send(NodeId::Broker(follower), Msg::FetchResponse { session, partitions: responses });
    }

    /// The leader side of a replication throttle (`replication_quota.rs`) on one partition's
    /// answer to `follower`: no records while `shouldLeaderThrottle` holds. Returns the bytes to
    /// record against the leader's quota (every byte of a throttled partition, in sync or not).
    pub(super) fn apply_leader_throttle(&mut self, now_ms: i64, follower: BrokerId, resp: &mut FetchPartitionResponse) -> u64 {
        if !self.leader_throttled.contains(&resp.tp) {
            return 0;
        }
        if self.leader_throttles(now_ms, follower, &resp.tp) {
            resp.records.clear();
            return 0;
        }
        resp.records.iter().map(crate::log::segment::stored_size).sum()
    }

    /// A consumer fetch (`replica_id = -1`): from the leader, or from a follower (KIP-392),
    /// reading only below this replica's high watermark (`FetchIsolation.HIGH_WATERMARK`).
    /// Returns the response and the preferred read replica (-1: none) the leader names when
    /// `replica.selector.class` is RackAwareReplicaSelector (`ReplicaManager.findPreferredReadReplica`).
    pub(super) fn read_for_consumer(&self, d: &DelayedConsumerFetch) -> (FetchPartitionResponse, BrokerId) {
        let tp = &d.tp;
        let Some(part) = self.partitions.get(tp) else {
            return (tp_error(tp, KafkaError::UNKNOWN_TOPIC_OR_PARTITION, None), -1);
        };
        let log = &self.disk.logs[tp];
        if !part.replicas.contains(&self.id) {
            return (tp_error(tp, KafkaError::NOT_LEADER_OR_FOLLOWER, Some(log)), -1);
        }
        // Partition.getLocalLog: the current leader epoch first (a follower answers
        // FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH too), then leadership.
        if d.current_leader_epoch >= 0 && d.current_leader_epoch < part.leader_epoch {
            return (tp_error(tp, KafkaError::FENCED_LEADER_EPOCH, Some(log)), -1);
        }
        if d.current_leader_epoch > part.leader_epoch {
            return (tp_error(tp, KafkaError::UNKNOWN_LEADER_EPOCH, Some(log)), -1);
        }
        if (!part.is_leader() && part.leader != NO_LEADER && self.status != BrokerStatus::Running)
            || (!part.is_leader() && part.leader == NO_LEADER)
        {
            return (tp_error(tp, KafkaError::NOT_LEADER_OR_FOLLOWER, Some(log)), -1);
        }
        if d.fetch_offset > log.log_end_offset() || d.fetch_offset < log.log_start_offset() {
            return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), -1);
        }
        if part.is_leader() && self.config.rack_aware_replica_selector {
            if let Some(rack) = d.rack_id.as_deref().filter(|r| !r.is_empty()) {
                // RackAwareReplicaSelector over replicas that hold the fetch offset.
                let ls = part.leader_state.as_ref().unwrap();
                let rack_of = |b: BrokerId| self.metadata.brokers.get(&b).and_then(|x| x.rack.clone());
                let mut same_rack: Vec<(i64, BrokerId)> = vec![];
                for b in &part.replicas {
                    if *b == self.id {
                        if rack_of(self.id).as_deref() == Some(rack) {
                            same_rack.push((i64::MAX, self.id));
                        }
                        continue;
                    }
                    if let Some(st) = ls.remote.get(b) {
                        if st.log_end_offset >= d.fetch_offset
                            && st.log_start_offset <= d.fetch_offset
                            && rack_of(*b).as_deref() == Some(rack)
                        {
                            same_rack.push((st.log_end_offset, *b));
                        }
                    }
                }
                if let Some(&(_, best)) = same_rack.iter().max() {
                    if best != self.id {
                        return (tp_error(tp, KafkaError::NONE, Some(log)), best);
                    }
                }
            }
        }
        let mut r = tp_error(tp, KafkaError::NONE, Some(log));
        r.records = log.read(d.fetch_offset, log.high_watermark(), d.max_records);
        (r, -1)
    }
}
