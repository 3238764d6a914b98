//! Produce requests (`KafkaApis.handleProduceRequest`, `ReplicaManager.appendRecords`): the
//! checks Kafka makes before an append (leadership, min.insync.replicas, idempotence), the
//! append itself, and the answer (at once, or after the HW passes it: see `purgatory.rs`).

use super::purgatory::DelayedProduce;
use super::{Broker, BrokerStatus};
use crate::config::Acks;
use crate::controller::join;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{NodeId, TopicPartition};
use crate::log::producer_state::{BatchInfo, Validation};
use crate::protocol::{Msg, ProduceBatch, ProducePartitionResponse};
use std::fmt::Write as _;

/// Where a batch is in the leader's log: appended now, or (a duplicate) appended before.
struct LeaderAppend {
    first: i64,
    last: i64,
    duplicate: bool,
}

/// A batch the leader refused: the error and the reason in words (`ErrorMessage`).
type Refusal = (KafkaError, String);

fn produce_response(
    tp: TopicPartition,
    error: KafkaError,
    base_offset: i64,
    duplicate: bool,
    why: Option<String>,
) -> ProducePartitionResponse {
    ProducePartitionResponse { tp, error, base_offset, duplicate, error_message: why, current_leader: None }
}

/// A produce request held behind a slow disk's write (`defer_produce_on_slow_disk`).
#[derive(Debug, Clone)]
pub struct SlowProduce {
    pub ready_ms: i64,
    pub from: NodeId,
    pub correlation_id: u64,
    pub acks: Acks,
    pub timeout_ms: i64,
    pub batches: Vec<crate::protocol::ProduceBatch>,
}

/// A Produce request whose partitions are not all answered yet.
#[derive(Debug, Clone)]
pub(super) struct PendingProduceRequest {
    pub(super) remaining: usize,
    pub(super) responses: Vec<ProducePartitionResponse>,
}

/// Producer ids handed out per broker registration: a block of this many ids starting at
/// `broker_epoch × PRODUCER_ID_BLOCK_SIZE`. Stands in for the controller's AllocateProducerIds
/// blocks (`ProducerIdManager`, blocks of 1000): broker epochs are unique offsets of the
/// metadata log, so blocks never overlap.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

impl Broker {
    /// A Produce request arriving at a broker with a slow disk (`slow_disk`): the request
    /// handler thread that appends it is stuck in the write for `write_latency_ms`, and the
    /// requests behind it wait their turn (one disk, one write at a time). Handled in
    /// [`Broker::run_slow_produces`] when its write is done.
    pub(super) fn defer_produce_on_slow_disk(&mut self, now_ms: i64, p: SlowProduce, out: &mut Out) {
        let latency = self.disk.write_latency_ms;
        let start = self.slow_produces.back().map_or(now_ms, |b| b.ready_ms.max(now_ms));
        let ready_ms = start + latency;
        out.log(
            Category::Storage,
            format!(
                "the disk is slow: appending a produce request ({} batch(es)) takes {latency} ms, appended at t+{ready_ms} ms",
                p.batches.len()
            ),
        );
        self.slow_produces.push_back(SlowProduce { ready_ms, ..p });
        out.wake_at(ready_ms);
    }

    /// The deferred produce requests whose write on the slow disk is done, in arrival order.
    pub(super) fn run_slow_produces(&mut self, now_ms: i64, out: &mut Out) {
        while self.slow_produces.front().is_some_and(|p| p.ready_ms <= now_ms) {
            let p = self.slow_produces.pop_front().unwrap();
            self.on_produce(now_ms, p.from, p.correlation_id, p.acks, p.timeout_ms, p.batches, out);
        }
    }

    /// A Produce request (`KafkaApis.handleProduceRequest`): each partition's batch is appended, the answer goes out when all are done.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_produce(
        &mut self,
        now_ms: i64,
        from: NodeId,
        correlation_id: u64,
        acks: Acks,
        timeout_ms: i64,
        batches: Vec<ProduceBatch>,
        out: &mut Out,
    ) {
        if acks != Acks::Zero {
            let pending = PendingProduceRequest { remaining: batches.len(), responses: vec![] };
            self.produce_requests.insert((from, correlation_id), pending);
        }
        for b in batches {
            self.handle_produce(now_ms, from, correlation_id, acks, timeout_ms, b, out);
        }
        // KafkaApis.handleProduceRequest: an acks=0 producer expects no answer, so on any
        // error the broker closes the connection ("Closing connection due to error during
        // produce request"); the client's disconnect handling then refreshes its metadata.
        if let Some((error, why)) = self.acks0_error.take() {
            out.log(
                Category::Produce,
                format!(
                    "closes {from}'s connection: {error} on an acks=0 produce request{}",
                    why.map(|w| format!(" ({w})")).unwrap_or_default()
                ),
            );
            out.send(from, Msg::Disconnected { lost: "Produce", correlation_id });
        }
    }

    /// InitProducerId: a producer id for an idempotent producer.
    pub(super) fn on_init_producer_id(&mut self, from: NodeId, correlation_id: u64, out: &mut Out) {
        // ProducerIdManager: the next id of this registration's block.
        let (error, producer_id) = if self.broker_epoch < 0 || self.next_producer_id >= PRODUCER_ID_BLOCK_SIZE {
            (KafkaError::COORDINATOR_NOT_AVAILABLE, -1)
        } else {
            self.next_producer_id += 1;
            (KafkaError::NONE, self.broker_epoch * PRODUCER_ID_BLOCK_SIZE + self.next_producer_id - 1)
        };
        out.send(from, Msg::InitProducerIdResponse { correlation_id, error, producer_id, producer_epoch: 0 });
    }

    /// One partition of a Produce request is answered; the response goes out when all are.
    pub(super) fn produce_partition_done(&mut self, from: NodeId, correlation_id: u64, mut r: ProducePartitionResponse, out: &mut Out) {
        // KIP-951 (KafkaApis.handleProduceRequest): a partition refused for leadership carries the
        // leader this broker's metadata knows, so the producer need not wait for a Metadata refresh.
        if matches!(r.error, KafkaError::NOT_LEADER_OR_FOLLOWER | KafkaError::FENCED_LEADER_EPOCH) {
            r.current_leader = self.metadata.partitions.get(&r.tp).filter(|p| p.leader >= 0).map(|p| (p.leader, p.leader_epoch));
        }
        let key = (from, correlation_id);
        let Some(p) = self.produce_requests.get_mut(&key) else { return };
        p.responses.push(r);
        p.remaining = p.remaining.saturating_sub(1);
        if p.remaining == 0 {
            let p = self.produce_requests.remove(&key).unwrap();
            out.send(from, Msg::ProduceResponse { correlation_id, responses: p.responses });
        }
    }

    /// `ReplicaManager.appendRecords` for one partition's batch: appended by the partition's
    /// leader (or refused), then answered at once (acks=1), never (acks=0, unless refused) or
    /// once the high watermark passes it (acks=all, `ReplicaManager.maybeAddDelayedProduce`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn handle_produce(
        &mut self,
        now_ms: i64,
        from: NodeId,
        correlation_id: u64,
        acks: Acks,
        timeout_ms: i64,
        batch: ProduceBatch,
        out: &mut Out,
    ) {
        let tp = batch.tp;
        let LeaderAppend { first, last, duplicate } = match self.append_records_to_leader(now_ms, acks, &batch, out) {
            Ok(appended) => appended,
            Err((error, why)) => {
                self.stats.count_produce_error(error);
                self.answer_produce_partition(from, correlation_id, acks, produce_response(tp, error, -1, false, Some(why)), out);
                return;
            }
        };
        match acks {
            Acks::Zero => {}
            Acks::One => self.answer_produce_partition(
                from,
                correlation_id,
                acks,
                produce_response(tp, KafkaError::NONE, first, duplicate, None),
                out,
            ),
            Acks::All => {
                self.delayed_produce.push(DelayedProduce {
                    from,
                    correlation_id,
                    tp,
                    base_offset: first,
                    required_offset: last + 1,
                    deadline_ms: now_ms + timeout_ms,
                    duplicate,
                    internal: None,
                    timeout_ms,
                });
                self.complete_delayed_produce(now_ms, &tp, out);
            }
        }
    }

    /// One partition's answer goes into its request's response; with acks=0 there is none, and
    /// the first error of the request closes the connection instead (see `on_produce`).
    fn answer_produce_partition(&mut self, from: NodeId, correlation_id: u64, acks: Acks, r: ProducePartitionResponse, out: &mut Out) {
        if acks != Acks::Zero {
            self.produce_partition_done(from, correlation_id, r, out);
        } else if r.error != KafkaError::NONE && self.acks0_error.is_none() {
            self.acks0_error = Some((r.error, r.error_message));
        }
    }

    /// `Partition.appendRecordsToLeader`: refused when this broker does not lead the partition,
    /// for a record without a key on a compacted topic, or (acks=all) when the ISR is smaller
    /// than min.insync.replicas; otherwise handed to the log ([`Broker::append_as_leader`]).
    fn append_records_to_leader(&mut self, now_ms: i64, acks: Acks, batch: &ProduceBatch, out: &mut Out) -> Result<LeaderAppend, Refusal> {
        let tp = &batch.tp;
        let is_leader = self.partitions.get(tp).is_some_and(|p| p.is_leader()) && self.status != BrokerStatus::Stopped;
        if !is_leader {
            // acks=0: Kafka closes the connection instead of answering (see Msg::Produce).
            return Err((KafkaError::NOT_LEADER_OR_FOLLOWER, format!("broker {} is not the leader of {tp}", self.id)));
        }
        // A compacted topic refuses records without a key (Kafka: "Compacted topic cannot accept message without key").
        if self.disk.logs.get(tp).is_some_and(|l| l.config.cleanup_compact) && batch.records.iter().any(|r| r.key.is_none()) {
            let why = format!("Compacted topic cannot accept message without key in topic partition {tp}.");
            return Err((KafkaError::INVALID_RECORD, why));
        }
        let min_isr = self.min_isr(&tp.topic);
        let part = &self.partitions[tp];
        let isr_size = part.isr_slice().len();
        if acks == Acks::All && isr_size < part.effective_min_isr(min_isr) {
            out.log(
                Category::Produce,
                format!(
                "rejects produce to {tp}: NOT_ENOUGH_REPLICAS (ISR [{}] is smaller than min.insync.replicas={min_isr}); nothing written",
                join(part.isr_slice())
            ),
            );
            let why = format!("ISR [{}] is smaller than min.insync.replicas={min_isr}; nothing was written", join(part.isr_slice()));
            return Err((KafkaError::NOT_ENOUGH_REPLICAS, why));
        }
        let epoch = part.leader_epoch;
        self.append_as_leader(now_ms, acks, batch, epoch, out)
    }

    /// `UnifiedLog.appendAsLeader`: the producer-state check first
    /// (`analyzeAndValidateProducerState`: duplicates of the last five batches are answered
    /// with their original offsets; sequence gaps and old epochs are refused), then the append,
    /// a flush when log.flush.interval.messages is reached, and the high watermark.
    fn append_as_leader(
        &mut self,
        now_ms: i64,
        acks: Acks,
        batch: &ProduceBatch,
        epoch: i32,
        out: &mut Out,
    ) -> Result<LeaderAppend, Refusal> {
        let ProduceBatch { tp, producer_id, producer_epoch, base_sequence, records } = batch;
        let (producer_id, producer_epoch, base_sequence) = (*producer_id, *producer_epoch, *base_sequence);
        let flush_messages =
            self.topic_config_ref(&tp.topic).map(|t| t.flush_messages(&self.config)).unwrap_or(self.config.log_flush_interval_messages);
        self.touched.mark(*tp);
        let log = self.disk.logs.get_mut(tp).unwrap();
        let n = records.len() as i64;
        let info = BatchInfo {
            producer_id,
            producer_epoch,
            base_sequence,
            last_sequence: if base_sequence < 0 { base_sequence } else { ((base_sequence as i64 + n - 1) % (i32::MAX as i64 + 1)) as i32 },
            first_offset: log.log_end_offset(),
            last_offset: log.log_end_offset() + n - 1,
            timestamp_ms: now_ms,
        };
        match log.producer_state.validate(&info) {
            Validation::Reject(error) => {
                out.log(
                    Category::Produce,
                    format!(
                        "rejects a batch of producer id {producer_id} (epoch {producer_epoch}, sequence {base_sequence}) for {tp}: {error}"
                    ),
                );
                let why =
                    format!("producer id {producer_id}, epoch {producer_epoch}, sequence {base_sequence} refused by the leader of {tp}");
                Err((error, why))
            }
            Validation::Duplicate { first_offset, last_offset } => {
                out.log(
                    Category::Produce,
                    format!(
                        "{tp}: batch of producer id {producer_id} with sequence {base_sequence} is a duplicate of offsets {first_offset}-{last_offset}; not appended again"
                    ),
                );
                Ok(LeaderAppend { first: first_offset, last: last_offset, duplicate: true })
            }
            Validation::Append => {
                if self.disk_may_refuse() {
                    let bytes = crate::log::segment::batch_size(records);
                    // ReplicaManager.appendToLocalLog: an IOException becomes KafkaStorageException.
                    if !self.can_write_to_log_dir(bytes, &format!("appending records to {tp}"), out) {
                        return Err((KafkaError::KAFKA_STORAGE_ERROR, format!("the log directory of broker {} is offline", self.id)));
                    }
                }
                let log = self.disk.logs.get_mut(tp).unwrap();
                let (first, last) = log.append_as_leader_batch(records, epoch, now_ms, producer_id, producer_epoch, base_sequence);
                if log.unflushed_messages() >= flush_messages {
                    log.flush(now_ms);
                }
                self.stats.records_appended_as_leader += records.len() as u64;
                self.drain_log_events(tp, out);
                // One String written in place (this line is logged for every append).
                let mut line = String::with_capacity(128);
                let _ = write!(line, "appends {} record(s) to {tp} at offset {first}", records.len());
                if last > first {
                    let _ = write!(line, "-{last}");
                }
                let acks = match acks {
                    Acks::Zero => "0",
                    Acks::One => "1",
                    Acks::All => "all",
                };
                let _ = write!(line, " in epoch {epoch} (acks={acks}");
                if producer_id >= 0 {
                    let _ = write!(line, ", producer id {producer_id}, sequence {base_sequence}");
                }
                line.push(')');
                out.log(Category::Produce, line);
                self.maybe_increment_hw(now_ms, tp, out);
                self.complete_delayed_fetch_for(now_ms, tp, out);
                Ok(LeaderAppend { first, last, duplicate: false })
            }
        }
    }
}
