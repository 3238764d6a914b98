//! The consumer's positions and fetches, after Kafka's `Fetcher` (with `AbstractFetch`),
//! `OffsetFetcher` and `OffsetsForLeaderEpochClient`:
//!
//! - ListOffsets for `auto.offset.reset` (`OffsetFetcher.resetPositionsIfNeeded`);
//! - after a leader change, OffsetsForLeaderEpoch validation of the position and truncation
//!   detection (KIP-320, `OffsetFetcher.validatePositionsIfNeeded`);
//! - ConsumerFetch from the leader, or from the same-rack replica the leader names (KIP-392),
//!   and the records it returns (only those below the high watermark are served);
//! - these requests' timeouts and lost connections.
//!
//! Group membership and commits are the coordinator's (`coordinator.rs`), which creates the
//! positions of new partitions and fills them from committed offsets.

use super::{ConsumedRecord, Consumer, MemberState, PositionState, Then, REQUEST_TIMEOUT_MS, RETRY_BACKOFF_MS};
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::{FetchPartitionResponse, Msg};

impl Consumer {
    /// The positions' requests: ListOffsets for those to reset, OffsetsForLeaderEpoch for those
    /// to validate, and a position that sees a newer leader epoch in the metadata goes to
    /// validation (KIP-320).
    pub(super) fn update_positions(&mut self, now_ms: i64, out: &mut Out) {
        let tps: Vec<TopicPartition> = self.positions.keys().cloned().collect();
        for tp in tps {
            let mut p = self.positions[&tp].clone();
            // A fetch still waiting on an older leader does not hold the partition back once the
            // metadata names a newer leader epoch: Kafka's fetcher only skips nodes with a pending
            // fetch (AbstractFetch.prepareFetchRequests, nodesWithPendingFetchRequests), and
            // validating the position (SubscriptionState.maybeValidatePositionForCurrentLeader)
            // makes the old fetch's answer unfetchable, so it is dropped when it comes.
            if p.state == PositionState::Fetching && p.in_flight.is_some() && p.last_fetched_epoch >= 0 {
                if let Some((_, epoch)) = self.metadata.leader(&tp) {
                    if epoch > p.leader_epoch {
                        self.positions.get_mut(&tp).unwrap().in_flight = None;
                        p.in_flight = None;
                    }
                }
            }
            if p.in_flight.is_some() || now_ms < p.next_fetch_ms {
                continue;
            }
            let Some((leader, epoch)) = self.metadata.leader(&tp) else {
                self.metadata.stale = true;
                continue;
            };
            match p.state {
                PositionState::AwaitingReset => {
                    let ts = if self.config.auto_offset_reset == "earliest" { -2 } else { -1 };
                    let corr = self.corr();
                    out.send(
                        NodeId::Broker(leader),
                        Msg::ListOffsets { correlation_id: corr, tp, timestamp: ts, current_leader_epoch: epoch },
                    );
                    self.partition_request_sent(corr, &tp, leader, now_ms);
                }
                PositionState::AwaitingValidation => {
                    let corr = self.corr();
                    out.send(
                        NodeId::Broker(leader),
                        Msg::OffsetsForLeaderEpoch {
                            correlation_id: corr,
                            tp,
                            current_leader_epoch: epoch,
                            leader_epoch: p.last_fetched_epoch,
                        },
                    );
                    self.partition_request_sent(corr, &tp, leader, now_ms);
                }
                PositionState::Fetching => {
                    // KIP-320: a new leader epoch in the metadata → validate the position first.
                    if epoch > p.leader_epoch && p.last_fetched_epoch >= 0 {
                        let p = self.positions.get_mut(&tp).unwrap();
                        p.state = PositionState::AwaitingValidation;
                        p.next_fetch_ms = 0;
                    } else if epoch > p.leader_epoch {
                        self.positions.get_mut(&tp).unwrap().leader_epoch = epoch;
                    }
                }
                _ => {}
            }
        }
    }

    /// A ListOffsets / OffsetsForLeaderEpoch for `tp` went to `node`: remember it by correlation id.
    fn partition_request_sent(&mut self, corr: u64, tp: &TopicPartition, node: BrokerId, now_ms: i64) {
        self.partition_requests.insert(corr, (*tp, now_ms));
        let p = self.positions.get_mut(tp).unwrap();
        p.in_flight = Some((corr, now_ms));
        p.in_flight_node = node;
    }

    pub(super) fn send_fetches(&mut self, now_ms: i64, out: &mut Out) {
        if self.pending_revocation() {
            return;
        }
        let tps: Vec<TopicPartition> = self.positions.keys().cloned().collect();
        for tp in tps {
            let p = self.positions[&tp].clone();
            if p.state != PositionState::Fetching || p.in_flight.is_some() || now_ms < p.next_fetch_ms {
                continue;
            }
            let Some((leader, epoch)) = self.metadata.leader(&tp) else {
                self.metadata.stale = true;
                continue;
            };
            if epoch > p.leader_epoch {
                continue; // validate first (next tick)
            }
            let target = match p.preferred_read_replica {
                Some((b, until)) if until > now_ms => b,
                _ => leader,
            };
            if target != leader {
                self.stats.fetches_from_followers += 1;
            }
            let corr = self.corr();
            out.send(
                NodeId::Broker(target),
                Msg::ConsumerFetch {
                    correlation_id: corr,
                    tp,
                    fetch_offset: p.offset,
                    current_leader_epoch: epoch,
                    max_records: self.config.max_poll_records as usize,
                    rack_id: self.config.client_rack.clone(),
                    max_wait_ms: self.config.fetch_max_wait_ms,
                },
            );
            let p = self.positions.get_mut(&tp).unwrap();
            p.in_flight = Some((corr, now_ms));
            p.in_flight_node = target;
        }
    }

    /// The positions' requests that reached `request.timeout.ms` (the second part of `expire_requests`).
    pub(super) fn expire_fetcher_requests(&mut self, now_ms: i64) {
        let mut invalidate = false;
        for p in self.positions.values_mut() {
            if p.in_flight.is_some_and(|(_, s)| now_ms - s >= REQUEST_TIMEOUT_MS) {
                // NetworkClient closes the connection: the node is passed over by leastLoadedNode.
                self.metadata.mark_unreachable(p.in_flight_node, now_ms);
                p.in_flight = None;
                p.preferred_read_replica = None;
                invalidate = true;
            }
        }
        let stale: Vec<u64> =
            self.partition_requests.iter().filter(|(_, (_, s))| now_ms - s >= REQUEST_TIMEOUT_MS).map(|(c, _)| *c).collect();
        for c in stale {
            if let Some((tp, _)) = self.partition_requests.remove(&c) {
                self.retry_position(&tp);
            }
            invalidate = true;
        }
        if invalidate {
            self.metadata.invalidate();
        }
    }

    /// A ListOffsets / OffsetsForLeaderEpoch was lost: ask again.
    fn retry_position(&mut self, tp: &TopicPartition) {
        if let Some(p) = self.positions.get_mut(tp) {
            if p.state == PositionState::AwaitingReset || p.state == PositionState::AwaitingValidation {
                p.next_fetch_ms = 0;
                p.in_flight = None;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_list_offsets_response(
        &mut self,
        now_ms: i64,
        correlation_id: u64,
        tp: TopicPartition,
        error: KafkaError,
        offset: i64,
        leader_epoch: i32,
        out: &mut Out,
    ) -> Then {
        if self.partition_requests.remove(&correlation_id).is_none() {
            return Then::Return;
        }
        let Some(p) = self.positions.get_mut(&tp) else { return Then::Return };
        p.in_flight = None;
        if error == KafkaError::NONE {
            p.offset = offset;
            p.state = PositionState::Fetching;
            p.leader_epoch = leader_epoch;
            p.last_fetched_epoch = -1;
            self.stats.offset_resets += 1;
            out.log(
                Category::Consume,
                format!(
                    "{} resets the position of {tp} to offset {offset} (auto.offset.reset={})",
                    self.client_id, self.config.auto_offset_reset
                ),
            );
        } else {
            p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
            // OffsetFetcherUtils: OFFSET_NOT_AVAILABLE is retried after the backoff (the new
            // leader's HW will catch up); the metadata is only suspect on other errors.
            if error != KafkaError::OFFSET_NOT_AVAILABLE {
                self.metadata.invalidate();
            }
        }
        Then::Tick
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_offsets_for_leader_epoch_response(
        &mut self,
        now_ms: i64,
        correlation_id: u64,
        tp: TopicPartition,
        error: KafkaError,
        leader_epoch: i32,
        end_offset: i64,
        out: &mut Out,
    ) -> Then {
        if self.partition_requests.remove(&correlation_id).is_none() {
            return Then::Return;
        }
        let md_epoch = self.metadata.leader(&tp).map(|x| x.1).unwrap_or(-1);
        let reset = self.config.auto_offset_reset.clone();
        let client = self.client_id.clone();
        let Some(p) = self.positions.get_mut(&tp) else { return Then::Return };
        p.in_flight = None;
        if error != KafkaError::NONE {
            p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
            self.metadata.invalidate();
            return Then::Return;
        }
        // SubscriptionState.maybeCompleteValidation: an undefined epoch/offset means the
        // divergence point is unknown (reset by auto.offset.reset).
        if leader_epoch < 0 || end_offset < 0 {
            self.stats.truncations_detected += 1;
            out.log(Category::Consume, format!("{client}: truncation detected for {tp} with no known divergence point"));
            self.reset_or_fail(&tp, "the leader has no record of the position's epoch", out);
            return Then::Tick;
        }
        if end_offset < p.offset {
            self.stats.truncations_detected += 1;
            if reset == "none" {
                p.state = PositionState::Failed;
                p.last_error = Some(KafkaError::LOG_TRUNCATION);
                out.log(
                    Category::Consume,
                    format!("{client}: truncation detected for {tp} at offset {}: LogTruncationException", p.offset),
                );
            } else {
                out.log(
                    Category::Consume,
                    format!(
                        "{client}: truncation detected for partition {tp} at offset {} (epoch {}), resetting offset to the first offset known to diverge {end_offset}",
                        p.offset, p.last_fetched_epoch
                    ),
                );
                p.offset = end_offset;
                p.state = PositionState::Fetching;
            }
        } else {
            p.state = PositionState::Fetching;
        }
        p.leader_epoch = md_epoch.max(p.leader_epoch);
        Then::Tick
    }

    /// `ConsumerCoordinator.onJoinPrepare` under the eager protocol marks every owned partition
    /// pending revocation before its commit: nothing more is fetched or returned until the join.
    fn pending_revocation(&self) -> bool {
        self.state == MemberState::PreparingToJoin && !self.cooperative()
    }

    pub(super) fn on_fetch_response(
        &mut self,
        now_ms: i64,
        from: NodeId,
        correlation_id: u64,
        partition: FetchPartitionResponse,
        preferred_read_replica: BrokerId,
        out: &mut Out,
    ) -> Then {
        let tp = partition.tp;
        let revoking = self.pending_revocation();
        let Some(p) = self.positions.get_mut(&tp) else { return Then::Return };
        if p.in_flight.map(|x| x.0) != Some(correlation_id) {
            return Then::Return;
        }
        p.in_flight = None;
        let served_by = from.broker().unwrap_or(-1);
        match partition.error {
            KafkaError::NONE => {
                p.last_error = None;
                if preferred_read_replica >= 0 && preferred_read_replica != served_by {
                    // KIP-392: fetch from this replica until the metadata is refreshed.
                    p.preferred_read_replica = Some((preferred_read_replica, now_ms + self.metadata.max_age_ms));
                }
                // Partitions pending revocation are not fetchable: what arrives is dropped.
                for r in &partition.records {
                    if r.offset < p.offset || revoking {
                        continue;
                    }
                    self.consumed.push(ConsumedRecord {
                        tp,
                        offset: r.offset,
                        leader_epoch: r.leader_epoch,
                        write_id: r.write_id,
                        at_ms: now_ms,
                        served_by,
                        high_watermark: partition.high_watermark,
                        generation: self.generation,
                    });
                    p.offset = r.offset + 1;
                    p.last_fetched_epoch = r.leader_epoch;
                }
            }
            KafkaError::OFFSET_OUT_OF_RANGE => {
                if p.preferred_read_replica.is_some() {
                    // Out of range on a follower: go back to the leader.
                    p.preferred_read_replica = None;
                } else {
                    p.last_error = Some(KafkaError::OFFSET_OUT_OF_RANGE);
                    let why = format!("offset {} is out of range [{}, {}]", p.offset, partition.log_start_offset, partition.log_end_offset);
                    let then = format!("{why}; auto.offset.reset={}", self.config.auto_offset_reset);
                    self.note_error(now_ms, KafkaError::OFFSET_OUT_OF_RANGE, tp.to_string(), then);
                    self.reset_or_fail(&tp, &why, out);
                }
            }
            e => {
                p.last_error = Some(e);
                p.preferred_read_replica = None;
                p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
                self.metadata.invalidate();
                self.note_error(now_ms, e, tp.to_string(), "the fetch failed; refreshing metadata and retrying".to_string());
            }
        }
        Then::Tick
    }

    /// The connection of a ConsumerFetch closed before it answered.
    pub(super) fn on_fetch_disconnected(&mut self, now_ms: i64, correlation_id: u64) {
        for p in self.positions.values_mut() {
            if p.in_flight.map(|x| x.0) == Some(correlation_id) {
                p.in_flight = None;
                p.preferred_read_replica = None;
                p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
            }
        }
        self.metadata.invalidate();
    }

    /// The connection of a ListOffsets / OffsetsForLeaderEpoch closed before it answered.
    pub(super) fn on_partition_request_disconnected(&mut self, correlation_id: u64) {
        if let Some((tp, _)) = self.partition_requests.remove(&correlation_id) {
            self.retry_position(&tp);
        }
    }
}
