//! Requests the broker holds open (`DelayedOperationPurgatory`): acks=all produces waiting for the
//! high watermark (`DelayedProduce`), follower and consumer fetches long-polling for data
//! (`DelayedFetch`), and their expiry (REQUEST_TIMED_OUT, or an empty answer).

use super::Broker;
use crate::controller::join;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::{FetchPartition, Msg, ProducePartitionResponse};
use serde::Serialize;

#[derive(Debug, Clone)]
pub(super) struct DelayedProduce {
    pub(super) from: NodeId,
    pub(super) correlation_id: u64,
    pub(super) tp: TopicPartition,
    pub(super) base_offset: i64,
    pub(super) required_offset: i64,
    pub(super) deadline_ms: i64,
    pub(super) duplicate: bool,
    /// A write of the group coordinator (its token) rather than of a client.
    pub(super) internal: Option<u64>,
    /// The request's `timeout` (the producer's request.timeout.ms).
    pub(super) timeout_ms: i64,
}

/// An acks=all write waiting in the leader's purgatory for the HW (`DelayedProduce`), for the
/// page's countdowns.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WaitingProduce {
    pub client: String,
    pub topic: String,
    pub partition: u32,
    pub base_offset: i64,
    /// The HW that would complete it.
    pub required_offset: i64,
    pub deadline_ms: i64,
    pub timeout_ms: i64,
}

/// A consumer fetch held until committed data arrives or `fetch.max.wait.ms` passes.
#[derive(Debug, Clone)]
pub(super) struct DelayedConsumerFetch {
    pub(super) from: NodeId,
    pub(super) correlation_id: u64,
    pub(super) tp: TopicPartition,
    pub(super) fetch_offset: i64,
    pub(super) current_leader_epoch: i32,
    pub(super) max_records: usize,
    pub(super) rack_id: Option<String>,
    pub(super) deadline_ms: i64,
}

#[derive(Debug, Clone)]
pub(super) struct DelayedFetch {
    pub(super) follower: BrokerId,
    pub(super) session: u64,
    pub(super) partitions: Vec<FetchPartition>,
    pub(super) deadline_ms: i64,
}

impl Broker {
    /// Answers held consumer fetches whose partition has new committed data (or whose wait is over).
    pub(super) fn complete_delayed_consumer_fetches(&mut self, now_ms: i64, all: bool, out: &mut Out) {
        if self.delayed_consumer_fetch.is_empty() {
            return;
        }
        let held = std::mem::take(&mut self.delayed_consumer_fetch);
        for d in held {
            let (partition, preferred) = self.read_for_consumer(&d);
            if all || now_ms >= d.deadline_ms || partition.error != KafkaError::NONE || !partition.records.is_empty() {
                out.send(
                    d.from,
                    Msg::ConsumerFetchResponse { correlation_id: d.correlation_id, partition, preferred_read_replica: preferred },
                );
            } else {
                self.delayed_consumer_fetch.push(d);
            }
        }
    }

    /// Clients' acks=all writes waiting for the high watermark, oldest first.
    pub fn waiting_produces(&self) -> Vec<WaitingProduce> {
        self.delayed_produce
            .iter()
            .filter(|d| d.internal.is_none())
            .map(|d| WaitingProduce {
                client: d.from.to_string(),
                topic: d.tp.topic.to_string(),
                partition: d.tp.partition,
                base_offset: d.base_offset,
                required_offset: d.required_offset,
                deadline_ms: d.deadline_ms,
                timeout_ms: d.timeout_ms,
            })
            .collect()
    }

    /// Requests this broker holds open (acks=all produces, long-polling fetches): when
    /// the process dies, the OS resets their connections.
    pub fn held_requests(&self) -> Vec<(NodeId, &'static str, u64)> {
        let mut v: Vec<(NodeId, &'static str, u64)> = self.produce_requests.keys().map(|(from, c)| (*from, "Produce", *c)).collect();
        v.extend(self.slow_produces.iter().filter(|p| p.acks != crate::config::Acks::Zero).map(|p| (p.from, "Produce", p.correlation_id)));
        v.extend(self.delayed_fetch.iter().map(|d| (NodeId::Broker(d.follower), "Fetch", d.session)));
        v.extend(self.delayed_consumer_fetch.iter().map(|d| (d.from, "ConsumerFetch", d.correlation_id)));
        v
    }

    /// `checkEnoughReplicasReachOffset` for each waiting acks=all write of `tp`.
    pub(super) fn complete_delayed_produce(&mut self, _now_ms: i64, tp: &TopicPartition, out: &mut Out) {
        if !self.delayed_produce.iter().any(|d| &d.tp == tp) {
            return;
        }
        let Some(part) = self.partitions.get(tp) else { return };
        if !part.is_leader() {
            return;
        }
        let hw = self.disk.logs[tp].high_watermark();
        let min_isr = part.effective_min_isr(self.min_isr(&tp.topic));
        let maximal = part.maximal_isr_len();
        let mut i = 0;
        while i < self.delayed_produce.len() {
            let d = &self.delayed_produce[i];
            if &d.tp == tp && hw >= d.required_offset {
                let d = self.delayed_produce.remove(i);
                let error = if min_isr <= maximal { KafkaError::NONE } else { KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND };
                if error != KafkaError::NONE {
                    self.stats.count_produce_error(error);
                }
                if let Some(token) = d.internal {
                    self.groups.on_append_done(token, error, out);
                    continue;
                }
                let why = (error != KafkaError::NONE).then(|| {
                    format!(
                        "written at offset {}, but the ISR [{}] shrank below min.insync.replicas={min_isr} before it was committed",
                        d.base_offset,
                        join(self.partitions[tp].isr_slice())
                    )
                });
                let r = ProducePartitionResponse {
                    tp: d.tp,
                    error,
                    base_offset: d.base_offset,
                    duplicate: d.duplicate,
                    error_message: why,
                    current_leader: None,
                };
                self.produce_partition_done(d.from, d.correlation_id, r, out);
            } else {
                i += 1;
            }
        }
    }

    pub(super) fn fail_delayed_produce(&mut self, tp: &TopicPartition, error: KafkaError, out: &mut Out) {
        let (failed, kept): (Vec<_>, Vec<_>) = self.delayed_produce.drain(..).partition(|d| &d.tp == tp);
        self.delayed_produce = kept;
        for d in failed {
            if let Some(token) = d.internal {
                self.groups.on_append_done(token, error, out);
                continue;
            }
            self.stats.count_produce_error(error);
            let why =
                format!("broker {} stopped leading {} while the write at offset {} waited to be committed", self.id, d.tp, d.base_offset);
            let r = ProducePartitionResponse {
                tp: d.tp,
                error,
                base_offset: -1,
                duplicate: false,
                error_message: Some(why),
                current_leader: None,
            };
            self.produce_partition_done(d.from, d.correlation_id, r, out);
        }
    }

    pub(super) fn respond_delayed_fetch(&mut self, now_ms: i64, d: &DelayedFetch, out: &mut Out) {
        let mut partitions: Vec<crate::protocol::FetchPartitionResponse> =
            d.partitions.iter().map(|fp| self.read_for_follower(fp).0).collect();
        if !self.leader_throttled.is_empty() {
            let mut bytes = 0;
            for r in partitions.iter_mut().filter(|r| !r.records.is_empty()) {
                bytes += self.apply_leader_throttle(now_ms, d.follower, r);
            }
            if bytes > 0 {
                self.leader_quota.record(now_ms, bytes);
            }
        }
        out.send(NodeId::Broker(d.follower), Msg::FetchResponse { session: d.session, partitions });
    }

    pub(super) fn complete_delayed_fetch_for(&mut self, now_ms: i64, tp: &TopicPartition, out: &mut Out) {
        let waits = |d: &DelayedFetch| d.partitions.iter().any(|p| &p.tp == tp);
        if !self.delayed_fetch.iter().any(waits) {
            return;
        }
        // DelayedFetch.tryComplete does not count new bytes of a partition the leader throttles for
        // that follower: such a fetch waits for its timeout.
        let held: Vec<BrokerId> = if self.leader_throttled.contains(tp) {
            let followers: Vec<BrokerId> = self.delayed_fetch.iter().filter(|d| waits(d)).map(|d| d.follower).collect();
            followers.into_iter().filter(|&f| self.leader_throttles(now_ms, f, tp)).collect()
        } else {
            Vec::new()
        };
        let ready: Vec<DelayedFetch> = self.delayed_fetch.extract_if(.., |d| waits(d) && !held.contains(&d.follower)).collect();
        for d in ready {
            self.respond_delayed_fetch(now_ms, &d, out);
        }
    }

    /// Purgatory expiry: held produce and fetch requests whose time is up are answered.
    pub(super) fn expire_delayed(&mut self, now_ms: i64, out: &mut Out) {
        // Delayed produce timeouts (request.timeout.ms → REQUEST_TIMED_OUT).
        // (Most ticks expire nothing: the lists are split only when something expired.)
        let expired: Vec<_> = if self.delayed_produce.iter().any(|d| now_ms >= d.deadline_ms) {
            let (expired, kept): (Vec<_>, Vec<_>) = self.delayed_produce.drain(..).partition(|d| now_ms >= d.deadline_ms);
            self.delayed_produce = kept;
            expired
        } else {
            Vec::new()
        };
        for d in expired {
            if let Some(token) = d.internal {
                self.groups.on_append_done(token, KafkaError::REQUEST_TIMED_OUT, out);
                continue;
            }
            self.stats.count_produce_error(KafkaError::REQUEST_TIMED_OUT);
            out.log(
                Category::Produce,
                format!(
                    "acks=all write to {} at offset {} timed out: REQUEST_TIMED_OUT (HW did not reach {})",
                    d.tp, d.base_offset, d.required_offset
                ),
            );
            let why = format!(
                "written at offset {}, but the high watermark did not reach {} before the request's timeout: not every ISR member fetched it",
                d.base_offset, d.required_offset
            );
            let r = ProducePartitionResponse {
                tp: d.tp,
                error: KafkaError::REQUEST_TIMED_OUT,
                base_offset: -1,
                duplicate: false,
                error_message: Some(why),
                current_leader: None,
            };
            self.produce_partition_done(d.from, d.correlation_id, r, out);
        }
        // Delayed fetch timeouts.
        if self.delayed_fetch.iter().any(|d| now_ms >= d.deadline_ms) {
            let (expired, kept): (Vec<_>, Vec<_>) = self.delayed_fetch.drain(..).partition(|d| now_ms >= d.deadline_ms);
            self.delayed_fetch = kept;
            for d in expired {
                self.respond_delayed_fetch(now_ms, &d, out);
            }
        }
    }
}
