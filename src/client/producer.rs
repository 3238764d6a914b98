//! Kafka's producer as a sans-IO state machine, after `KafkaProducer`,
//! `RecordAccumulator`, `Sender`, `BuiltInPartitioner` and `TransactionManager`
//! (idempotence only):
//!
//! - partitioning: keyed records by `toPositive(murmur2(key)) % numPartitions`; keyless
//!   records by the built-in sticky partitioner (KIP-480 / KIP-794), switching partition
//!   after `batch.size` bytes, weighted towards partitions with shorter queues;
//! - batching: a batch per partition fills up to `batch.size` bytes and is sent when full
//!   or `linger.ms` after it was opened;
//! - the sender: one Produce request per broker carrying at most one batch per partition,
//!   at most `max.in.flight.requests.per.connection` requests per broker;
//! - retries with `retry.backoff.ms`, `request.timeout.ms` (the connection is closed, so
//!   every request in flight to that broker fails) and `delivery.timeout.ms`;
//! - `enable.idempotence`: a producer id from InitProducerId, per-partition sequence
//!   numbers, retried batches re-sent in sequence order, and the epoch bump of KIP-360
//!   after a batch fails with its sequence unresolved.
//!
//! Every send's outcome is recorded for the audit.

use super::backoff::ExponentialBackoff;
use super::metadata::ClientMetadata;
use super::partitioner::partition_for_key;
use crate::config::{Acks, ProducerConfig};
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::lean::CollectBTree;
use crate::log::segment::{record_size, BATCH_HEADER_BYTES};
use crate::log::NewRecord;
use crate::protocol::{Msg, ProduceBatch};
use crate::rng::Rng;
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// `RecordBatch.NO_PRODUCER_ID` / `NO_PRODUCER_EPOCH` / `NO_SEQUENCE`.
pub const NO_PRODUCER_ID: i64 = -1;
pub const NO_PRODUCER_EPOCH: i16 = -1;
pub const NO_SEQUENCE: i32 = -1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SendOutcome {
    Pending,
    /// Acknowledged by the broker (acks=0: "sent", offset unknown = -1).
    Acked {
        offset: i64,
        at_ms: i64,
    },
    Failed {
        error: KafkaError,
        at_ms: i64,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct SendRecord {
    pub write_id: u64,
    pub topic: crate::ids::Topic,
    /// Resolved once metadata is known.
    pub partition: Option<u32>,
    pub key: Option<Rc<str>>,
    pub value: Option<Rc<str>>,
    pub acks: Acks,
    pub created_ms: i64,
    pub attempts: u32,
    pub last_error: Option<KafkaError>,
    pub outcome: SendOutcome,
}

/// A `ProducerBatch` in the accumulator or in flight.
#[derive(Debug, Clone)]
struct Batch {
    tp: TopicPartition,
    write_ids: Vec<u64>,
    bytes: u64,
    created_ms: i64,
    attempts: u32,
    retry_at_ms: i64,
    /// Assigned when the batch is first drained (idempotence); kept across retries.
    base_sequence: i32,
    producer_id: i64,
    producer_epoch: i16,
    in_flight: bool,
    /// `ProducerBatch.currentLeaderEpoch` / `attemptsWhenLeaderLastChanged`: the partition's
    /// leader epoch as metadata knew it when the batch was last looked at, and the attempt
    /// count when it last grew (a retry to a new leader is not backed off).
    leader_epoch: Option<i32>,
    attempts_when_leader_changed: u32,
}

#[derive(Debug, Clone)]
struct InFlightRequest {
    node: BrokerId,
    batch_ids: Vec<u64>,
    sent_ms: i64,
}

/// The sticky partition of a topic (`BuiltInPartitioner.StickyPartitionInfo`).
#[derive(Debug, Clone, Copy)]
struct Sticky {
    partition: u32,
    produced_bytes: u64,
}

/// Producer counters for views and reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProducerStats {
    pub batches_sent: u64,
    pub requests_sent: u64,
    pub records_sent: u64,
    pub retries: u64,
    pub epoch_bumps: u64,
    pub duplicates_answered: u64,
    /// Attempts that failed with an error and were retried.
    pub retried_errors: u64,
}

/// The last error a produce attempt or send got, for the page's producer card: Kafka's
/// error name, where, and why in words (the broker's `ErrorMessage`, or the client's own
/// reason for a disconnect, a request timeout or an expired delivery).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProduceErrorInfo {
    /// Serialized as its name.
    pub error: KafkaError,
    pub topic_partition: String,
    /// The broker that answered or was asked (none for an expiry in the accumulator).
    pub broker: Option<BrokerId>,
    pub at_ms: i64,
    pub reason: String,
    /// Will the batch be sent again (a failed attempt), or did the send fail for good?
    pub retried: bool,
}

#[derive(Debug, Clone)]
pub struct Producer {
    pub id: u32,
    pub config: ProducerConfig,
    pub metadata: ClientMetadata,
    rng: Rng,
    /// Jitter of the retry backoff (its own stream, so partitioning draws stay as they were).
    retry_rng: Rng,
    retry_backoff: ExponentialBackoff,
    next_corr: u64,
    /// Records waiting for their topic's metadata, per topic, in send order: (place in this
    /// producer's send order, write id). A metadata answer resolves only the topics it made known,
    /// and records of several topics in the order they were sent.
    unresolved: VecMap<crate::ids::Topic, VecDeque<(u64, u64)>>,
    unresolved_seq: u64,
    batches: VecMap<u64, Batch>,
    next_batch_id: u64,
    /// Batches waiting to be sent, per partition, in send (and sequence) order.
    queues: VecMap<TopicPartition, VecDeque<u64>>,
    in_flight: VecMap<u64, InFlightRequest>,
    sticky: VecMap<String, Sticky>,
    // ---- idempotence (TransactionManager) ----
    pub producer_id: i64,
    pub producer_epoch: i16,
    init_pid_in_flight: Option<(u64, i64)>,
    init_pid_backoff_until_ms: i64,
    next_sequence: VecMap<TopicPartition, i32>,
    /// A sequenced batch failed: bump the epoch once nothing is in flight (KIP-360).
    epoch_bump_needed: bool,
    /// Every send by write id (shared chunks: a time-travel snapshot does not copy them).
    pub sends: super::sends::SendMap,
    /// Failed produce attempts by Kafka error (retried or not).
    pub error_counts: VecMap<KafkaError, u64>,
    /// Write ids in creation order; finished ones are dropped from the front lazily.
    order: VecDeque<u64>,
    pending_count: usize,
    pub acked_count: usize,
    pub failed_count: usize,
    /// Sends folded away by [`Producer::retire_front`] (counted, no longer listed).
    pub retired_acked: usize,
    pub retired_failed: usize,
    pub stats: ProducerStats,
    pub last_error: Option<ProduceErrorInfo>,
    /// The latest occurrence of each error name, so a stream of one error (NETWORK_EXCEPTION
    /// from a dead leader) does not hide another (NOT_ENOUGH_REPLICAS from a live one).
    pub last_by_error: VecMap<KafkaError, ProduceErrorInfo>,
}

impl Producer {
    pub fn new(id: u32, config: ProducerConfig, bootstrap: Vec<BrokerId>, rng: Rng) -> Producer {
        let md_backoff = ExponentialBackoff::new(config.retry_backoff_ms, config.retry_backoff_max_ms);
        let md = ClientMetadata::new(bootstrap, config.metadata_max_age_ms, config.request_timeout_ms, md_backoff, rng.fork("metadata"));
        Producer {
            id,
            config,
            metadata: md,
            retry_rng: rng.fork("retry"),
            retry_backoff: md_backoff,
            rng,
            next_corr: 0,
            unresolved: VecMap::new(),
            unresolved_seq: 0,
            batches: VecMap::new(),
            next_batch_id: 1,
            queues: VecMap::new(),
            in_flight: VecMap::new(),
            sticky: VecMap::new(),
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            init_pid_in_flight: None,
            init_pid_backoff_until_ms: 0,
            next_sequence: VecMap::new(),
            epoch_bump_needed: false,
            sends: super::sends::SendMap::new(),
            error_counts: VecMap::new(),
            order: VecDeque::new(),
            pending_count: 0,
            acked_count: 0,
            failed_count: 0,
            retired_acked: 0,
            retired_failed: 0,
            stats: ProducerStats::default(),
            last_error: None,
            last_by_error: VecMap::new(),
        }
    }

    /// The config changed (a live `SetProducerConfig`): the parts derived from it follow.
    pub fn reconfigured(&mut self) {
        let c = &self.config;
        self.retry_backoff = ExponentialBackoff::new(c.retry_backoff_ms, c.retry_backoff_max_ms);
        self.metadata.max_age_ms = c.metadata_max_age_ms;
        self.metadata.request_timeout_ms = c.request_timeout_ms;
        self.metadata.backoff = self.retry_backoff;
    }

    /// Is idempotence in effect? (`ProducerConfig.idempotenceEnabled`: on by default, and
    /// silently off when not set explicitly but acks, retries or max.in.flight conflict.)
    pub fn idempotent(&self) -> bool {
        self.config.idempotence_enabled()
    }

    /// `producer.send(record)`.
    pub fn send(
        &mut self,
        now_ms: i64,
        write_id: u64,
        topic: crate::ids::Topic,
        partition: Option<u32>,
        key: Option<Rc<str>>,
        value: Option<Rc<str>>,
    ) {
        self.sends.insert(
            write_id,
            SendRecord {
                write_id,
                topic,
                partition,
                key,
                value,
                acks: self.config.acks,
                created_ms: now_ms,
                attempts: 0,
                last_error: None,
                outcome: SendOutcome::Pending,
            },
        );
        self.unresolved.entry(topic).or_default().push_back((self.unresolved_seq, write_id));
        self.unresolved_seq += 1;
        self.order.push_back(write_id);
        self.pending_count += 1;
        self.resolve(now_ms);
    }

    /// Runs the partitioner for records whose topic's partition count is known, and appends
    /// them to the accumulator (`RecordAccumulator.append`).
    ///
    /// Only the topics whose partition count is now known are touched (the others' records stay
    /// waiting, untouched), so a burst sent before the first metadata answer costs O(n), not
    /// O(n²): every record still waiting has a topic the metadata did not know at the last call,
    /// and the partition counts change only with a metadata answer, which calls this.
    fn resolve(&mut self, now_ms: i64) {
        let known: Vec<crate::ids::Topic> =
            self.unresolved.keys().filter(|t| self.metadata.partition_counts.contains_key(t.as_str())).copied().collect();
        let mut ready: Vec<(u64, u64)> = vec![];
        for t in &known {
            ready.extend(self.unresolved.remove(t).unwrap_or_default());
        }
        if known.len() > 1 {
            crate::lean::sort(&mut ready); // send order across topics (the partitioner's draws follow it)
        }
        for (_, id) in ready {
            let rec = &self.sends[&id];
            let n = self.metadata.partition_counts[rec.topic.as_str()];
            let size = record_size(rec.key.as_deref(), rec.value.as_deref());
            let topic = rec.topic;
            let keyed = rec.key.is_some() && !self.config.partitioner_ignore_keys;
            let (p, used_sticky) = match (rec.partition, &rec.key) {
                (Some(p), _) => (p, false),
                (None, Some(k)) if keyed => (partition_for_key(k.as_bytes(), n), false),
                _ => (self.sticky_partition(&topic, n), true),
            };
            self.sends.get_mut(&id).unwrap().partition = Some(p);
            let tp = TopicPartition::new(&topic, p);
            self.append_to_batch(now_ms, &tp, id, size);
            if used_sticky {
                // BuiltInPartitioner.updatePartitionInfo: switch after batch.size bytes, when the
                // partition's batches are all full (enableSwitch), or after 2 × batch.size anyway.
                let batch_size = self.config.batch_size as u64;
                let all_full = self.queues.get(&tp).and_then(|q| q.back()).is_none_or(|b| self.batches[b].bytes >= batch_size);
                let s = self.sticky.get_mut(topic.as_str()).unwrap();
                if s.partition == p {
                    s.produced_bytes += size;
                    if (s.produced_bytes >= batch_size && all_full) || s.produced_bytes >= 2 * batch_size {
                        self.sticky.remove(topic.as_str());
                    }
                }
            }
        }
        if !self.unresolved.is_empty() {
            self.metadata.stale = true;
        }
    }

    /// `BuiltInPartitioner.peekCurrentPartitionInfo` / `nextPartition`.
    fn sticky_partition(&mut self, topic: &str, n: u32) -> u32 {
        if let Some(s) = self.sticky.get(topic) {
            if s.partition < n {
                return s.partition;
            }
        }
        let random = (self.rng.next_u64() as u32 & 0x7fff_ffff) as i64; // Utils.toPositive(nextInt())
                                                                        // Partitions with a known leader ("available"), and their queue sizes (RecordAccumulator.partitionReady).
        let available: Vec<u32> = (0..n).filter(|p| self.metadata.leader(&TopicPartition::new(topic, *p)).is_some()).collect();
        let queue_sizes: Vec<i64> =
            available.iter().map(|p| self.queues.get(&TopicPartition::new(topic, *p)).map(|q| q.len() as i64).unwrap_or(0)).collect();
        let partition = if self.config.partitioner_adaptive_partitioning_enable
            && n >= 2
            && !available.is_empty()
            && (available.len() as u32 != n || queue_sizes.iter().any(|q| *q != queue_sizes[0]))
        {
            // updatePartitionLoadStats: invert queue sizes into a cumulative frequency table.
            let max_plus1 = queue_sizes.iter().copied().max().unwrap_or(0) + 1;
            let mut cft = Vec::with_capacity(queue_sizes.len());
            let mut sum = 0;
            for q in &queue_sizes {
                sum += max_plus1 - q;
                cft.push(sum);
            }
            let weighted = random % sum;
            // Index of the first value strictly greater than `weighted`.
            let idx = cft.partition_point(|v| *v <= weighted);
            available[idx]
        } else if !available.is_empty() {
            available[(random % available.len() as i64) as usize]
        } else {
            (random % n as i64) as u32
        };
        self.sticky.insert(topic.to_string(), Sticky { partition, produced_bytes: 0 });
        partition
    }

    fn append_to_batch(&mut self, now_ms: i64, tp: &TopicPartition, id: u64, size: u64) {
        let batch_size = self.config.batch_size as u64;
        let q = self.queues.entry(*tp).or_default();
        if let Some(last) = q.back() {
            let b = self.batches.get_mut(last).unwrap();
            if b.attempts == 0 && !b.in_flight && b.bytes + size <= batch_size {
                b.write_ids.push(id);
                b.bytes += size;
                return;
            }
        }
        let bid = self.next_batch_id;
        self.next_batch_id += 1;
        self.batches.insert(
            bid,
            Batch {
                tp: *tp,
                write_ids: vec![id],
                bytes: BATCH_HEADER_BYTES + size,
                created_ms: now_ms,
                attempts: 0,
                retry_at_ms: 0,
                base_sequence: NO_SEQUENCE,
                producer_id: NO_PRODUCER_ID,
                producer_epoch: NO_PRODUCER_EPOCH,
                in_flight: false,
                leader_epoch: None,
                attempts_when_leader_changed: 0,
            },
        );
        q.push_back(bid);
    }

    pub fn pending(&self) -> usize {
        self.pending_count
    }

    /// Batches waiting in the accumulator and requests in flight (for views).
    pub fn queued_batches(&self) -> usize {
        self.queues.values().map(|q| q.len()).sum()
    }
    /// Requests in flight per broker: (broker, count, when the oldest was sent).
    pub fn in_flight_by_broker(&self) -> Vec<(BrokerId, usize, i64)> {
        let mut m: BTreeMap<BrokerId, (usize, i64)> = BTreeMap::new();
        for f in self.in_flight.values() {
            let e = m.entry(f.node).or_insert((0, f.sent_ms));
            e.0 += 1;
            e.1 = e.1.min(f.sent_ms);
        }
        m.into_iter().map(|(b, (n, t))| (b, n, t)).collect()
    }

    pub fn in_flight_requests(&self) -> usize {
        self.in_flight.len()
    }

    /// Records a final outcome of a pending send.
    fn finish(&mut self, id: u64, outcome: SendOutcome) {
        if let Some(s) = self.sends.get_mut(&id) {
            if s.outcome == SendOutcome::Pending {
                self.pending_count -= 1;
                match outcome {
                    SendOutcome::Acked { .. } => self.acked_count += 1,
                    SendOutcome::Failed { .. } => self.failed_count += 1,
                    SendOutcome::Pending => self.pending_count += 1,
                }
            }
            s.outcome = outcome;
        }
    }

    /// Bookkeeping, not Kafka: drops the oldest resolved sends from [`Producer::sends`]
    /// once `gone` says an acknowledged one's record can no longer be looked at (retention
    /// deleted it from every replica), so a long run keeps memory flat. Failed sends go
    /// with the acknowledged send after them. Stops at the first send that is pending,
    /// still held, or newer than the oldest write the producer still tracks (so nothing
    /// the producer does depends on it). Returns how many were retired.
    pub fn retire_front(&mut self, mut gone: impl FnMut(&SendRecord) -> bool) -> usize {
        let bound = self.order.front().copied().unwrap_or(u64::MAX);
        let mut upto = None;
        for (id, s) in self.sends.range(..bound) {
            match s.outcome {
                SendOutcome::Pending => break,
                SendOutcome::Failed { .. } => {}
                SendOutcome::Acked { .. } if gone(s) => upto = Some(*id),
                SendOutcome::Acked { .. } => break,
            }
        }
        let Some(upto) = upto else { return 0 };
        let retired = self.sends.retire_through(upto);
        for s in &retired {
            match s.outcome {
                SendOutcome::Acked { .. } => self.retired_acked += 1,
                _ => self.retired_failed += 1,
            }
        }
        retired.len()
    }

    fn trim_order(&mut self) {
        while let Some(id) = self.order.front() {
            if self.sends.get(id).is_some_and(|s| s.outcome == SendOutcome::Pending) {
                break;
            }
            self.order.pop_front();
        }
    }

    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        self.expire(now_ms, out);
        let in_flight = &self.in_flight;
        self.metadata.poll(now_ms, &mut self.next_corr, &|b| in_flight.values().filter(|f| f.node == b).count(), out);
        // Requests with no response in request.timeout.ms: NetworkClient.handleTimedOutRequests
        // closes the connection (processTimeoutDisconnection), and every request in flight on it
        // comes back `wasTimedOut`, which Sender.handleProduceResponse turns into
        // REQUEST_TIMED_OUT for each batch ("Cancelled request ... due to the last request to
        // node N timed out") — not NETWORK_EXCEPTION, even for the younger requests.
        let timed_out: BTreeSet<BrokerId> =
            self.in_flight.values().filter(|f| now_ms - f.sent_ms >= self.config.request_timeout_ms).map(|f| f.node).collect_set();
        for node in timed_out {
            self.metadata.mark_unreachable(node, now_ms);
            let corrs: Vec<u64> = self.in_flight.iter().filter(|(_, f)| f.node == node).map(|(c, _)| *c).collect();
            for c in corrs {
                self.fail_request(now_ms, c, KafkaError::REQUEST_TIMED_OUT, out);
            }
        }
        if self.idempotent() {
            self.maybe_bump_epoch(out);
            if self.producer_id == NO_PRODUCER_ID {
                self.init_producer_id(now_ms, out);
            }
        }
        self.drain(now_ms, out);
        out.wake_at(self.next_wake(now_ms));
    }

    /// InitProducerId to any broker (`TransactionManager.initializeTransactions` for an idempotent producer).
    fn init_producer_id(&mut self, now_ms: i64, out: &mut Out) {
        if let Some((_, sent)) = self.init_pid_in_flight {
            if now_ms - sent < self.config.request_timeout_ms {
                return;
            }
            self.init_pid_in_flight = None;
        }
        if now_ms < self.init_pid_backoff_until_ms || self.metadata.bootstrap.is_empty() {
            return;
        }
        let in_flight = &self.in_flight;
        let Some(b) = self.metadata.least_loaded(now_ms, &|b| in_flight.values().filter(|f| f.node == b).count()) else { return };
        self.next_corr += 1;
        self.init_pid_in_flight = Some((self.next_corr, now_ms));
        out.send(NodeId::Broker(b), Msg::InitProducerId { correlation_id: self.next_corr });
    }

    /// KIP-360: once nothing is in flight, a producer whose sequence got out of step bumps its
    /// epoch locally and restarts every partition's sequence at 0.
    fn maybe_bump_epoch(&mut self, out: &mut Out) {
        if !self.epoch_bump_needed || !self.in_flight.is_empty() || self.producer_id == NO_PRODUCER_ID {
            return;
        }
        self.epoch_bump_needed = false;
        if self.producer_epoch == i16::MAX {
            // Epoch exhausted: ask for a new producer id.
            self.producer_id = NO_PRODUCER_ID;
            self.producer_epoch = NO_PRODUCER_EPOCH;
        } else {
            self.producer_epoch += 1;
        }
        self.stats.epoch_bumps += 1;
        self.next_sequence.clear();
        for b in self.batches.values_mut() {
            b.base_sequence = NO_SEQUENCE;
        }
        out.log(
            Category::Produce,
            format!(
                "producer-{} bumps its epoch to {} (KIP-360): a batch failed with its sequence unresolved; sequences restart at 0",
                self.id, self.producer_epoch
            ),
        );
    }

    /// `Sender.sendProducerData`: `RecordAccumulator.ready` + `drain` pick the batches, then one
    /// Produce request goes to each broker that has some.
    fn drain(&mut self, now_ms: i64, out: &mut Out) {
        let idempotent = self.idempotent();
        if idempotent && (self.producer_id == NO_PRODUCER_ID || self.epoch_bump_needed) {
            return;
        }
        for (node, bids) in self.ready_batches(now_ms) {
            self.send_produce_request(now_ms, node, bids, out);
        }
    }

    /// `RecordAccumulator.ready` + `drain`: for each broker with room for another request,
    /// the first ready batch of each partition it leads.
    fn ready_batches(&mut self, now_ms: i64) -> BTreeMap<BrokerId, Vec<u64>> {
        let idempotent = self.idempotent();
        let max_in_flight = self.config.max_in_flight_requests_per_connection as usize;
        let guarantee_order = max_in_flight == 1;
        // Requests in flight per broker, and (only when a rule below asks) the partitions with a batch in
        // flight: small lists, built without a map (this runs on every producer wake).
        let mut per_node: Vec<(BrokerId, usize)> = Vec::new();
        for f in self.in_flight.values() {
            match per_node.iter_mut().find(|(n, _)| *n == f.node) {
                Some((_, c)) => *c += 1,
                None => per_node.push((f.node, 1)),
            }
        }
        let mut in_flight_tps: Option<Vec<TopicPartition>> = None;
        let mut requests: BTreeMap<BrokerId, Vec<u64>> = BTreeMap::new();
        for (tp, q) in &self.queues {
            let Some(&bid) = q.front() else { continue };
            // ProducerBatch.maybeUpdateLeaderEpoch: a newer leader epoch in metadata marks the
            // attempt at which the leader changed.
            let latest = self.metadata.leader(tp).map(|(_, e)| e);
            let b = self.batches.get_mut(&bid).unwrap();
            if let Some(e) = latest {
                if b.leader_epoch.is_none_or(|cur| cur < e) {
                    b.leader_epoch = Some(e);
                    b.attempts_when_leader_changed = b.attempts;
                }
            }
            let b = &self.batches[&bid];
            let ready = if b.attempts > 0 {
                // RecordAccumulator.shouldBackoff: a retry waits backoff(attempts - 1) unless the
                // partition's leader changed since this attempt (hasLeaderChangedForTheOngoingRetry).
                now_ms >= b.retry_at_ms || b.attempts == b.attempts_when_leader_changed
            } else {
                q.len() > 1 || b.bytes >= self.config.batch_size as u64 || now_ms - b.created_ms >= self.config.linger_ms
            };
            if !ready {
                continue;
            }
            let Some((leader, _)) = self.metadata.leader(tp) else {
                self.metadata.stale = true;
                continue;
            };
            if guarantee_order || (idempotent && b.attempts > 0) {
                let batches = &self.batches;
                let in_flight = in_flight_tps
                    .get_or_insert_with(|| self.in_flight.values().flat_map(|f| f.batch_ids.iter().map(|b| batches[b].tp)).collect());
                // Muted while a batch is in flight (guarantee_order); idempotence: a retried batch goes
                // out only when it is first in line (RecordAccumulator.shouldStopDrainBatchesForPartition).
                if in_flight.contains(tp) {
                    continue;
                }
            }
            let in_use = per_node.iter().find(|(n, _)| *n == leader).map_or(0, |(_, c)| *c);
            let used = in_use + usize::from(requests.contains_key(&leader));
            if used >= max_in_flight {
                continue;
            }
            requests.entry(leader).or_default().push(bid);
        }
        requests
    }

    /// `Sender.sendProduceRequest`: the batches for one broker go out in one request (with
    /// acks=0 their sends complete at once).
    fn send_produce_request(&mut self, now_ms: i64, node: BrokerId, bids: Vec<u64>, out: &mut Out) {
        let batches: Vec<ProduceBatch> = bids.iter().map(|bid| self.drain_batch(*bid)).collect();
        self.stats.batches_sent += bids.len() as u64;
        self.stats.requests_sent += 1;
        self.next_corr += 1;
        let corr = self.next_corr;
        out.send(
            NodeId::Broker(node),
            Msg::Produce { correlation_id: corr, acks: self.config.acks, timeout_ms: self.config.request_timeout_ms, batches },
        );
        if self.config.acks == Acks::Zero {
            // acks=0: the send completes as soon as it is on the wire, offset unknown.
            for bid in bids {
                let b = self.batches.remove(&bid).unwrap();
                for id in b.write_ids {
                    self.finish(id, SendOutcome::Acked { offset: -1, at_ms: now_ms });
                }
            }
        } else {
            self.in_flight.insert(corr, InFlightRequest { node, batch_ids: bids, sent_ms: now_ms });
        }
    }

    /// `RecordAccumulator.drainBatchesForOneNode` for one batch: it leaves its partition's
    /// queue, gets its producer id, epoch and (first time) sequence, and counts an attempt.
    fn drain_batch(&mut self, bid: u64) -> ProduceBatch {
        let idempotent = self.idempotent();
        let tp = self.batches[&bid].tp;
        self.queues.get_mut(&tp).unwrap().pop_front();
        let next_seq = self.next_sequence.entry(tp).or_insert(0);
        let b = self.batches.get_mut(&bid).unwrap();
        if idempotent {
            if b.base_sequence == NO_SEQUENCE {
                b.base_sequence = *next_seq;
                *next_seq = next_seq.wrapping_add(b.write_ids.len() as i32) & i32::MAX;
            }
            b.producer_id = self.producer_id;
            b.producer_epoch = self.producer_epoch;
        } else {
            b.base_sequence = NO_SEQUENCE;
            b.producer_id = NO_PRODUCER_ID;
            b.producer_epoch = NO_PRODUCER_EPOCH;
        }
        if b.attempts > 0 {
            self.stats.retries += 1;
        }
        b.attempts += 1;
        b.in_flight = true;
        let records: Vec<NewRecord> = b
            .write_ids
            .iter()
            .map(|id| {
                let s = self.sends.get_mut(id).unwrap();
                s.attempts += 1;
                NewRecord { key: s.key.clone(), value: s.value.clone(), write_id: *id }
            })
            .collect();
        self.stats.records_sent += records.len() as u64;
        ProduceBatch { tp, producer_id: b.producer_id, producer_epoch: b.producer_epoch, base_sequence: b.base_sequence, records }
    }

    fn next_wake(&self, now_ms: i64) -> i64 {
        let mut t = self.metadata.next_wake(now_ms);
        for f in self.in_flight.values() {
            t = t.min(f.sent_ms + self.config.request_timeout_ms);
        }
        if self.idempotent() && self.producer_id == NO_PRODUCER_ID {
            t = t.min(match self.init_pid_in_flight {
                Some((_, sent)) => sent + self.config.request_timeout_ms,
                None => self.init_pid_backoff_until_ms.max(now_ms),
            });
        }
        for q in self.queues.values() {
            if let Some(b) = q.front().map(|b| &self.batches[b]) {
                let at = if b.attempts > 0 {
                    if b.attempts == b.attempts_when_leader_changed {
                        now_ms
                    } else {
                        b.retry_at_ms
                    }
                } else if q.len() > 1 || b.bytes >= self.config.batch_size as u64 {
                    now_ms
                } else {
                    b.created_ms + self.config.linger_ms
                };
                t = t.min(at);
            }
        }
        if let Some(s) = self.order.front().and_then(|id| self.sends.get(id)) {
            t = t.min(s.created_ms + self.config.delivery_timeout_ms);
        }
        t.max(now_ms + 1)
    }

    /// `delivery.timeout.ms`: batches (queued or in flight) older than it fail
    /// (`RecordAccumulator.expiredBatches`, `Sender.getExpiredInflightBatches`).
    fn expire(&mut self, now_ms: i64, out: &mut Out) {
        let limit = self.config.delivery_timeout_ms;
        self.trim_order();
        if self.order.front().and_then(|id| self.sends.get(id)).is_none_or(|s| now_ms - s.created_ms < limit) {
            return;
        }
        let expired: Vec<u64> = self.batches.iter().filter(|(_, b)| now_ms - b.created_ms >= limit).map(|(id, _)| *id).collect();
        let mut records = 0;
        for bid in &expired {
            let b = self.batches.remove(bid).unwrap();
            if let Some(q) = self.queues.get_mut(&b.tp) {
                q.retain(|x| x != bid);
            }
            for f in self.in_flight.values_mut() {
                f.batch_ids.retain(|x| x != bid);
            }
            if b.base_sequence != NO_SEQUENCE {
                self.epoch_bump_needed = true;
            }
            records += b.write_ids.len();
            for id in b.write_ids {
                self.finish(id, SendOutcome::Failed { error: KafkaError::DELIVERY_TIMEOUT, at_ms: now_ms });
            }
        }
        // Records still waiting for metadata expire too.
        // Each topic's queue is in send order, hence in creation time: the expired are a prefix.
        let mut unresolved_expired = vec![];
        for q in self.unresolved.values_mut() {
            while let Some(&(seq, id)) = q.front() {
                if now_ms - self.sends[&id].created_ms < limit {
                    break;
                }
                unresolved_expired.push((seq, id));
                q.pop_front();
            }
        }
        self.unresolved.retain(|_, q| !q.is_empty());
        crate::lean::sort(&mut unresolved_expired); // failed in send order, as they were sent
        for &(_, id) in &unresolved_expired {
            self.finish(id, SendOutcome::Failed { error: KafkaError::DELIVERY_TIMEOUT, at_ms: now_ms });
        }
        records += unresolved_expired.len();
        if records > 0 {
            *self.error_counts.entry(KafkaError::DELIVERY_TIMEOUT).or_default() += records as u64;
            self.note_error(ProduceErrorInfo {
                error: KafkaError::DELIVERY_TIMEOUT,
                topic_partition: String::new(),
                broker: None,
                at_ms: now_ms,
                reason: format!("{records} record(s) were not acknowledged within delivery.timeout.ms={limit}; the sends failed"),
                retried: false,
            });
            out.log(Category::Produce, format!("{records} record(s) expired: delivery.timeout.ms={limit} passed"));
        }
    }

    fn note_error(&mut self, info: ProduceErrorInfo) {
        self.last_by_error.insert(info.error, info.clone());
        self.last_error = Some(info);
    }

    /// The whole request failed (timeout, disconnect): every batch in it fails with `error`.
    fn fail_request(&mut self, now_ms: i64, corr: u64, error: KafkaError, out: &mut Out) {
        let Some(f) = self.in_flight.remove(&corr) else { return };
        for bid in f.batch_ids {
            let why = if error == KafkaError::REQUEST_TIMED_OUT {
                format!(
                    "no response from broker {} within request.timeout.ms={}; the client closed the connection",
                    f.node, self.config.request_timeout_ms
                )
            } else {
                format!("the connection to broker {} was closed before it answered", f.node)
            };
            self.complete_batch(now_ms, bid, error, -1, Some(f.node), Some(why), out);
        }
    }

    /// `Sender.completeBatch` for one partition's answer.
    #[allow(clippy::too_many_arguments)]
    fn complete_batch(
        &mut self,
        now_ms: i64,
        bid: u64,
        error: KafkaError,
        base_offset: i64,
        broker: Option<BrokerId>,
        why: Option<String>,
        out: &mut Out,
    ) {
        let idempotent = self.idempotent();
        let Some(b) = self.batches.get_mut(&bid) else { return };
        b.in_flight = false;
        if error == KafkaError::NONE {
            let b = self.batches.remove(&bid).unwrap();
            for (i, id) in b.write_ids.iter().enumerate() {
                self.finish(*id, SendOutcome::Acked { offset: base_offset + i as i64, at_ms: now_ms });
            }
            return;
        }
        *self.error_counts.entry(error).or_default() += 1;
        let within = now_ms - b.created_ms < self.config.delivery_timeout_ms;
        let tp = b.tp;
        let seq = b.base_sequence;
        // An OUT_OF_ORDER_SEQUENCE_NUMBER is retried when an earlier batch of the partition is still
        // unresolved (it will be re-sent first), as TransactionManager.canRetry does.
        let earlier_pending =
            seq != NO_SEQUENCE && self.batches.values().any(|o| o.tp == tp && o.base_sequence != NO_SEQUENCE && o.base_sequence < seq);
        let retriable = error.is_retriable() || (idempotent && error == KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER && earlier_pending);
        let b = self.batches.get_mut(&bid).unwrap();
        for id in &b.write_ids {
            if let Some(s) = self.sends.get_mut(id) {
                s.last_error = Some(error);
            }
        }
        let retry = retriable && (b.attempts as i64) <= self.config.retries && within;
        let info = ProduceErrorInfo {
            error: if retry || within { error } else { KafkaError::DELIVERY_TIMEOUT },
            topic_partition: tp.to_string(),
            broker,
            at_ms: now_ms,
            reason: why.unwrap_or_else(|| format!("the broker answered {error}")),
            retried: retry,
        };
        // Disjoint fields (`b` borrows `self.batches`), so not `note_error`.
        self.last_by_error.insert(info.error, info.clone());
        self.last_error = Some(info);
        if retry {
            self.reenqueue_batch(now_ms, bid);
        } else {
            self.fail_batch(now_ms, bid, if within { error } else { KafkaError::DELIVERY_TIMEOUT }, out);
        }
        if matches!(
            error,
            KafkaError::NOT_LEADER_OR_FOLLOWER
                | KafkaError::NETWORK_EXCEPTION
                | KafkaError::REQUEST_TIMED_OUT
                | KafkaError::FENCED_LEADER_EPOCH
                | KafkaError::UNKNOWN_LEADER_EPOCH
                | KafkaError::LEADER_NOT_AVAILABLE
                // KafkaStorageException is an InvalidMetadataException: the producer refreshes.
                | KafkaError::KAFKA_STORAGE_ERROR
        ) {
            self.metadata.invalidate();
        }
    }

    /// `Sender.reenqueueBatch`: the batch waits its retry backoff, back in its partition's queue.
    fn reenqueue_batch(&mut self, now_ms: i64, bid: u64) {
        let idempotent = self.idempotent();
        let b = self.batches.get_mut(&bid).unwrap();
        let (tp, seq) = (b.tp, b.base_sequence);
        self.stats.retried_errors += 1;
        // KIP-580: retry.backoff.ms doubling per attempt up to retry.backoff.max.ms, ±20 %.
        b.retry_at_ms = now_ms + self.retry_backoff.backoff(b.attempts.saturating_sub(1), &mut self.retry_rng);
        // Re-enqueue: in sequence order with idempotence (insertInSequenceOrder), else first.
        let q = self.queues.entry(tp).or_default();
        let pos = if idempotent && seq != NO_SEQUENCE {
            q.iter()
                .position(|o| {
                    let os = self.batches[o].base_sequence;
                    os == NO_SEQUENCE || os > seq
                })
                .unwrap_or(q.len())
        } else {
            0
        };
        q.insert(pos, bid);
    }

    /// `Sender.failBatch`: every send of the batch fails with `e`; with idempotence a batch that
    /// had a sequence leaves it unresolved, so the epoch is bumped (KIP-360).
    fn fail_batch(&mut self, now_ms: i64, bid: u64, e: KafkaError, out: &mut Out) {
        let idempotent = self.idempotent();
        let b = self.batches.remove(&bid).unwrap();
        if idempotent && b.base_sequence != NO_SEQUENCE {
            self.epoch_bump_needed = true;
        }
        out.log(Category::Produce, format!("send of {} record(s) to {} failed: {e}", b.write_ids.len(), b.tp));
        for id in b.write_ids {
            self.finish(id, SendOutcome::Failed { error: e, at_ms: now_ms });
        }
    }

    pub fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
        match msg {
            Msg::MetadataResponse { correlation_id, partitions } if self.metadata.on_response(now_ms, correlation_id, &partitions) => {
                self.resolve(now_ms);
            }
            Msg::InitProducerIdResponse { correlation_id, error, producer_id, producer_epoch }
                if self.init_pid_in_flight.map(|(c, _)| c) == Some(correlation_id) =>
            {
                self.init_pid_in_flight = None;
                if error == KafkaError::NONE {
                    self.producer_id = producer_id;
                    self.producer_epoch = producer_epoch;
                    self.next_sequence.clear();
                    for b in self.batches.values_mut() {
                        b.base_sequence = NO_SEQUENCE;
                    }
                    out.log(Category::Produce, format!("producer-{} got producer id {producer_id}, epoch {producer_epoch}", self.id));
                } else {
                    self.init_pid_backoff_until_ms = now_ms + self.config.retry_backoff_ms.max(1);
                }
            }
            Msg::ProduceResponse { correlation_id, responses } => {
                if let Some(f) = self.in_flight.remove(&correlation_id) {
                    for bid in f.batch_ids {
                        let Some(tp) = self.batches.get(&bid).map(|b| b.tp) else { continue };
                        let r = responses.iter().find(|r| r.tp == tp);
                        let (error, base) = r.map(|r| (r.error, r.base_offset)).unwrap_or((KafkaError::NETWORK_EXCEPTION, -1));
                        if r.is_some_and(|r| r.duplicate) {
                            self.stats.duplicates_answered += 1;
                        }
                        let why = r.and_then(|r| r.error_message.clone());
                        // KIP-951: take the new leader the broker named (Sender.handleProduceResponse
                        // → Metadata.updatePartitionLeadership), so the retry goes there at once.
                        if let Some((leader, epoch)) = r.and_then(|r| r.current_leader) {
                            if self.metadata.update_partition_leader(&tp, leader, epoch) {
                                out.log(
                                    Category::Produce,
                                    format!("producer-{} learns from broker {}'s answer that broker {leader} leads {tp} in epoch {epoch} (KIP-951)", self.id, f.node),
                                );
                            }
                        }
                        self.complete_batch(now_ms, bid, error, base, Some(f.node), why, out);
                    }
                }
            }
            Msg::Disconnected { lost, correlation_id } => {
                if lost == "Produce" {
                    if let Some(b) = from.broker() {
                        self.metadata.mark_reset(b, now_ms);
                    }
                    if !self.in_flight.contains_key(&correlation_id) && self.config.acks == Acks::Zero {
                        // NetworkClient.processDisconnection → DefaultMetadataUpdater.handleServerDisconnect:
                        // "the disconnect may be the result of stale metadata, so request an update".
                        // (An acks=0 send completed when it was written: nothing fails.)
                        self.metadata.invalidate();
                        out.log(
                            Category::Produce,
                            format!(
                                "producer-{}'s connection to broker {} was closed; it asks for fresh metadata",
                                self.id,
                                from.broker().unwrap_or(-1)
                            ),
                        );
                    }
                    self.fail_request(now_ms, correlation_id, KafkaError::NETWORK_EXCEPTION, out);
                } else if lost == "Metadata" {
                    self.metadata.on_disconnected(now_ms, correlation_id);
                } else if lost == "InitProducerId" && self.init_pid_in_flight.map(|(c, _)| c) == Some(correlation_id) {
                    self.init_pid_in_flight = None;
                    self.init_pid_backoff_until_ms = now_ms + self.config.retry_backoff_ms.max(1);
                }
            }
            _ => {}
        }
        self.on_tick(now_ms, out);
    }
}
