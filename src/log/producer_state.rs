//! The broker side of Kafka's idempotent producer: per-partition producer state,
//! sequence / epoch validation and duplicate detection. Sans-IO and deterministic.
//!
//! Follows Kafka 4.x (apache/kafka, `storage/src/main/java/org/apache/kafka/storage/internals/log/`):
//! - `BatchMetadata.java`          → [`BatchMetadata`]
//! - `ProducerStateEntry.java`     → [`ProducerStateEntry`] (`NUM_BATCHES_TO_RETAIN`, `addBatch`,
//!   `maybeUpdateProducerEpoch`, `update`, `findDuplicateBatch`, `batchWithSequenceRange`)
//! - `ProducerAppendInfo.java`     → [`ProducerAppendInfo`] (`appendDataBatch`, `maybeValidateDataBatch`,
//!   `checkProducerEpoch`, `checkSequence`, `inSequence`)
//! - `ProducerStateManager.java`   → [`ProducerStateManager`] (`prepareUpdate`, `update`, `lastEntry`,
//!   `isProducerExpired`, `removeExpiredProducers`, `truncateAndReload`)
//! - `UnifiedLog.analyzeAndValidateProducerState` → [`ProducerStateManager::validate`]
//!   (duplicate check first, then the `ProducerAppendInfo` checks)
//! - `UnifiedLog.loadProducersFromRecords` / `rebuildProducerState` → [`ProducerStateManager::rebuild`]
//!
//! Not modelled: transactions (`currentTxnFirstOffset`, end-transaction markers, coordinator epoch,
//! ongoing/unreplicated transactions), transaction verification (`VerificationStateEntry`, so the
//! TV2 "sequence 0 with no state" and "earliest seen sequence" checks of `checkSequence` never fire),
//! the `COORDINATOR` append origin, and snapshot files (state is rebuilt from the batches instead).

use crate::errors::KafkaError;
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::VecDeque;

/// `RecordBatch.NO_PRODUCER_ID`
pub const NO_PRODUCER_ID: i64 = -1;
/// `RecordBatch.NO_PRODUCER_EPOCH`
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// `RecordBatch.NO_SEQUENCE`
pub const NO_SEQUENCE: i32 = -1;
/// `RecordBatch.NO_TIMESTAMP`
pub const NO_TIMESTAMP: i64 = -1;
/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: metadata of this many most recent batches is kept per
/// producer, which is why a producer may have at most 5 in-flight requests per connection.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;
/// `producer.id.expiration.ms` default (`ProducerStateManagerConfig.PRODUCER_ID_EXPIRATION_MS_DEFAULT`).
pub const PRODUCER_ID_EXPIRATION_MS_DEFAULT: i64 = 86_400_000;

/// `DefaultRecordBatch.incrementSequence` (Java int arithmetic: wraps to 0 after `Integer.MAX_VALUE`).
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX.wrapping_sub(increment) {
        return increment.wrapping_sub(i32::MAX.wrapping_sub(sequence)).wrapping_sub(1);
    }
    sequence.wrapping_add(increment)
}

/// `DefaultRecordBatch.decrementSequence`.
pub fn decrement_sequence(sequence: i32, decrement: i32) -> i32 {
    if sequence < decrement {
        return i32::MAX.wrapping_sub(decrement.wrapping_sub(sequence)).wrapping_add(1);
    }
    sequence.wrapping_sub(decrement)
}

/// A producer batch as the log sees it (the v2 batch header fields that producer state uses).
///
/// As in Kafka's batch header, `last_sequence` is `incrementSequence(base_sequence, last_offset - first_offset)`
/// (`DefaultRecordBatch.lastSequence`); `first_offset`/`last_offset` are the header's base offset and
/// base offset + lastOffsetDelta, which compaction preserves even when it removes records.
/// `timestamp_ms` is the batch's max timestamp (`RecordBatch.maxTimestamp`), which becomes the
/// producer's `lastTimestamp` used for expiration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchInfo {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub last_sequence: i32,
    pub first_offset: i64,
    pub last_offset: i64,
    pub timestamp_ms: i64,
}

impl BatchInfo {
    /// `RecordBatch.hasProducerId`
    pub fn has_producer_id(&self) -> bool {
        self.producer_id > NO_PRODUCER_ID
    }
}

/// Outcome of the leader-side check of one batch (`UnifiedLog.analyzeAndValidateProducerState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Validation {
    /// Append the batch, then call [`ProducerStateManager::update`].
    Append,
    /// A retry of one of the last [`NUM_BATCHES_TO_RETAIN`] batches: nothing is appended and the
    /// produce response carries the ORIGINAL batch's offsets with error NONE
    /// (`UnifiedLog.append`: `appendInfo.setFirstOffset(duplicate.firstOffset)` / `setLastOffset`).
    Duplicate { first_offset: i64, last_offset: i64 },
    /// The append fails with this error (OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH).
    Reject(KafkaError),
}

/// `AppendOrigin` (without `COORDINATOR`, which the playground has no use for here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AppendOrigin {
    /// A produce request on the leader: full validation.
    Client,
    /// Follower fetch, log recovery, rebuild after truncation: no sequence check, and an old
    /// epoch is only logged (`checkProducerEpoch`).
    Replication,
}

/// `BatchMetadata`: what is remembered of one appended batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchMetadata {
    pub last_seq: i32,
    pub last_offset: i64,
    pub offset_delta: i32,
    pub timestamp: i64,
}

impl BatchMetadata {
    /// `BatchMetadata.firstSeq`: `decrementSequence(lastSeq, offsetDelta)`.
    pub fn first_seq(&self) -> i32 {
        decrement_sequence(self.last_seq, self.offset_delta)
    }

    /// `BatchMetadata.firstOffset`: `lastOffset - offsetDelta`.
    pub fn first_offset(&self) -> i64 {
        self.last_offset - self.offset_delta as i64
    }
}

/// `ProducerStateEntry`: the state of one producer id. `batch_metadata` holds at most
/// [`NUM_BATCHES_TO_RETAIN`] batches, lowest sequence at the front.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProducerStateEntry {
    producer_id: i64,
    producer_epoch: i16,
    last_timestamp: i64,
    batch_metadata: VecDeque<BatchMetadata>,
}

impl ProducerStateEntry {
    /// `ProducerStateEntry.empty(producerId)`
    pub fn empty(producer_id: i64) -> ProducerStateEntry {
        ProducerStateEntry { producer_id, producer_epoch: NO_PRODUCER_EPOCH, last_timestamp: NO_TIMESTAMP, batch_metadata: VecDeque::new() }
    }

    pub fn producer_id(&self) -> i64 {
        self.producer_id
    }

    pub fn producer_epoch(&self) -> i16 {
        self.producer_epoch
    }

    pub fn last_timestamp(&self) -> i64 {
        self.last_timestamp
    }

    pub fn batch_metadata(&self) -> impl ExactSizeIterator<Item = &BatchMetadata> {
        self.batch_metadata.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.batch_metadata.is_empty()
    }

    /// `ProducerStateEntry.firstSeq`
    pub fn first_seq(&self) -> i32 {
        self.batch_metadata.front().map_or(NO_SEQUENCE, |b| b.first_seq())
    }

    /// `ProducerStateEntry.lastSeq`
    pub fn last_seq(&self) -> i32 {
        self.batch_metadata.back().map_or(NO_SEQUENCE, |b| b.last_seq)
    }

    /// `ProducerStateEntry.firstDataOffset`
    pub fn first_data_offset(&self) -> i64 {
        self.batch_metadata.front().map_or(-1, |b| b.first_offset())
    }

    /// `ProducerStateEntry.lastDataOffset`
    pub fn last_data_offset(&self) -> i64 {
        self.batch_metadata.back().map_or(-1, |b| b.last_offset)
    }

    /// `ProducerStateEntry.withProducerIdAndBatchMetadata(producerId, Optional.empty())`: same epoch
    /// and timestamp, no batches (how `ProducerAppendInfo` starts its `updatedEntry`).
    fn with_producer_id_and_no_batch_metadata(&self, producer_id: i64) -> ProducerStateEntry {
        ProducerStateEntry {
            producer_id,
            producer_epoch: self.producer_epoch,
            last_timestamp: self.last_timestamp,
            batch_metadata: VecDeque::new(),
        }
    }

    /// `ProducerStateEntry.addBatch`
    fn add_batch(&mut self, producer_epoch: i16, last_seq: i32, last_offset: i64, offset_delta: i32, timestamp: i64) {
        self.maybe_update_producer_epoch(producer_epoch);
        self.add_batch_metadata(BatchMetadata { last_seq, last_offset, offset_delta, timestamp });
        self.last_timestamp = timestamp;
    }

    /// `ProducerStateEntry.maybeUpdateProducerEpoch`: a different epoch (higher, or lower on the
    /// replication path) forgets every batch of the previous one.
    fn maybe_update_producer_epoch(&mut self, producer_epoch: i16) -> bool {
        if self.producer_epoch != producer_epoch {
            self.batch_metadata.clear();
            self.producer_epoch = producer_epoch;
            true
        } else {
            false
        }
    }

    /// `ProducerStateEntry.addBatchMetadata`: at capacity, the oldest batch is dropped.
    fn add_batch_metadata(&mut self, batch: BatchMetadata) {
        if self.batch_metadata.len() == NUM_BATCHES_TO_RETAIN {
            self.batch_metadata.pop_front();
        }
        self.batch_metadata.push_back(batch);
    }

    /// `ProducerStateEntry.update(ProducerStateEntry nextEntry)`
    fn update(&mut self, next: ProducerStateEntry) {
        self.maybe_update_producer_epoch(next.producer_epoch);
        for b in next.batch_metadata {
            self.add_batch_metadata(b);
        }
        self.last_timestamp = next.last_timestamp;
    }

    /// `ProducerStateEntry.findDuplicateBatch`: only batches of the current epoch can be duplicates.
    pub fn find_duplicate_batch(&self, batch: &BatchInfo) -> Option<BatchMetadata> {
        if batch.producer_epoch != self.producer_epoch {
            None
        } else {
            self.batch_with_sequence_range(batch.base_sequence, batch.last_sequence)
        }
    }

    /// `ProducerStateEntry.batchWithSequenceRange`: the first (oldest) cached batch with exactly this
    /// sequence range (`stream().filter(..).findFirst()`).
    pub fn batch_with_sequence_range(&self, first_seq: i32, last_seq: i32) -> Option<BatchMetadata> {
        self.batch_metadata.iter().find(|m| first_seq == m.first_seq() && last_seq == m.last_seq).copied()
    }
}

/// `ProducerAppendInfo`: validates the batches of one producer in one append against the state
/// after the last successful append, accumulating the updated entry.
#[derive(Debug, Clone)]
pub struct ProducerAppendInfo {
    producer_id: i64,
    current_entry: ProducerStateEntry,
    origin: AppendOrigin,
    updated_entry: ProducerStateEntry,
}

impl ProducerAppendInfo {
    /// `new ProducerAppendInfo(..)`: `updatedEntry = currentEntry.withProducerIdAndBatchMetadata(producerId, Optional.empty())`.
    pub fn new(producer_id: i64, current_entry: ProducerStateEntry, origin: AppendOrigin) -> ProducerAppendInfo {
        let updated_entry = current_entry.with_producer_id_and_no_batch_metadata(producer_id);
        ProducerAppendInfo { producer_id, current_entry, origin, updated_entry }
    }

    pub fn producer_id(&self) -> i64 {
        self.producer_id
    }

    /// `ProducerAppendInfo.toEntry`
    pub fn to_entry(&self) -> &ProducerStateEntry {
        &self.updated_entry
    }

    /// `ProducerAppendInfo.append(RecordBatch, ..)` for a data batch → `appendDataBatch`.
    pub fn append(&mut self, b: &BatchInfo) -> Result<(), KafkaError> {
        self.append_data_batch(b.producer_epoch, b.base_sequence, b.last_sequence, b.timestamp_ms, b.first_offset, b.last_offset)
    }

    /// `ProducerAppendInfo.appendDataBatch`: validate, then `updatedEntry.addBatch(epoch, lastSeq,
    /// lastOffset, (int) (lastOffset - firstOffset), lastTimestamp)`.
    pub fn append_data_batch(
        &mut self,
        epoch: i16,
        first_seq: i32,
        last_seq: i32,
        last_timestamp: i64,
        first_offset: i64,
        last_offset: i64,
    ) -> Result<(), KafkaError> {
        self.maybe_validate_data_batch(epoch, first_seq)?;
        self.updated_entry.add_batch(epoch, last_seq, last_offset, (last_offset - first_offset) as i32, last_timestamp);
        Ok(())
    }

    /// `ProducerAppendInfo.maybeValidateDataBatch`: epoch always, sequence only for `CLIENT`.
    fn maybe_validate_data_batch(&self, producer_epoch: i16, first_seq: i32) -> Result<(), KafkaError> {
        self.check_producer_epoch(producer_epoch)?;
        if self.origin == AppendOrigin::Client {
            self.check_sequence(producer_epoch, first_seq)?;
        }
        Ok(())
    }

    /// `ProducerAppendInfo.checkProducerEpoch` (data batches: transaction version TV_UNKNOWN, so the
    /// rule is `producerEpoch < current`): InvalidProducerEpochException → INVALID_PRODUCER_EPOCH;
    /// with origin REPLICATION it is only logged (`log.warn`) and the batch is accepted.
    fn check_producer_epoch(&self, producer_epoch: i16) -> Result<(), KafkaError> {
        if producer_epoch < self.updated_entry.producer_epoch && self.origin != AppendOrigin::Replication {
            return Err(KafkaError::INVALID_PRODUCER_EPOCH);
        }
        Ok(())
    }

    /// `ProducerAppendInfo.checkSequence` (OutOfOrderSequenceException → OUT_OF_ORDER_SEQUENCE_NUMBER).
    fn check_sequence(&self, producer_epoch: i16, append_first_seq: i32) -> Result<(), KafkaError> {
        // (The two VerificationStateEntry checks come first in Kafka; transactions are not modelled.)
        if producer_epoch != self.updated_entry.producer_epoch {
            // A new epoch must start at sequence 0, unless the producer has no known epoch at all
            // (unknown producer: any sequence is accepted, there is no UNKNOWN_PRODUCER_ID any more).
            if append_first_seq != 0 && self.updated_entry.producer_epoch != NO_PRODUCER_EPOCH {
                return Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER);
            }
        } else {
            let current_last_seq = if !self.updated_entry.is_empty() {
                self.updated_entry.last_seq()
            } else if producer_epoch == self.current_entry.producer_epoch {
                self.current_entry.last_seq()
            } else {
                NO_SEQUENCE
            };
            // "If there is no current producer epoch (possibly because all producer records have been
            // deleted due to retention or the DeleteRecords API) accept writes with any sequence number"
            if !(self.current_entry.producer_epoch == NO_PRODUCER_EPOCH || in_sequence(current_last_seq, append_first_seq)) {
                return Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER);
            }
        }
        Ok(())
    }
}

/// `ProducerAppendInfo.inSequence`: `nextSeq == lastSeq + 1L || (nextSeq == 0 && lastSeq == Integer.MAX_VALUE)`.
pub fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq as i64 == last_seq as i64 + 1 || (next_seq == 0 && last_seq == i32::MAX)
}

/// `ProducerStateManager`: the producer id → [`ProducerStateEntry`] map of one partition replica.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProducerStateManager {
    producers: VecMap<i64, ProducerStateEntry>,
}

impl ProducerStateManager {
    pub fn new() -> ProducerStateManager {
        ProducerStateManager::default()
    }

    /// `ProducerStateManager.lastEntry`
    pub fn last_entry(&self, producer_id: i64) -> Option<&ProducerStateEntry> {
        self.producers.get(&producer_id)
    }

    /// `ProducerStateManager.activeProducers`
    pub fn active_producers(&self) -> &VecMap<i64, ProducerStateEntry> {
        &self.producers
    }

    /// `ProducerStateManager.prepareUpdate`: against the last entry, or `ProducerStateEntry.empty`.
    pub fn prepare_update(&self, producer_id: i64, origin: AppendOrigin) -> ProducerAppendInfo {
        let current = self.producers.get(&producer_id).cloned().unwrap_or_else(|| ProducerStateEntry::empty(producer_id));
        ProducerAppendInfo::new(producer_id, current, origin)
    }

    /// `ProducerStateManager.update(ProducerAppendInfo)`: merge into the existing entry
    /// (`ProducerStateEntry.update`) or add it.
    pub fn update_with(&mut self, append_info: ProducerAppendInfo) {
        assert!(append_info.producer_id != NO_PRODUCER_ID, "Invalid producer id passed to update");
        match self.producers.get_mut(&append_info.producer_id) {
            Some(current) => current.update(append_info.updated_entry),
            None => {
                self.producers.insert(append_info.producer_id, append_info.updated_entry);
            }
        }
    }

    /// Leader-side check before appending (origin = client). Does not change state.
    ///
    /// `UnifiedLog.analyzeAndValidateProducerState` for one batch: no producer id → nothing to check
    /// (`batch.hasProducerId`); then `lastEntry(..).flatMap(findDuplicateBatch)` → the original
    /// batch's offsets; then `prepareUpdate(.., CLIENT)` + `ProducerAppendInfo.append`
    /// (`checkProducerEpoch`, `checkSequence`).
    pub fn validate(&self, b: &BatchInfo) -> Validation {
        if !b.has_producer_id() {
            return Validation::Append;
        }
        if let Some(dup) = self.producers.get(&b.producer_id).and_then(|e| e.find_duplicate_batch(b)) {
            return Validation::Duplicate { first_offset: dup.first_offset(), last_offset: dup.last_offset };
        }
        let mut append_info = self.prepare_update(b.producer_id, AppendOrigin::Client);
        match append_info.append(b) {
            Ok(()) => Validation::Append,
            Err(e) => Validation::Reject(e),
        }
    }

    /// Record an appended batch (leader after `Append`, or follower/replay: no validation, as
    /// Kafka's origin=REPLICATION path: `prepareUpdate(.., REPLICATION)`, `append`, `update`).
    /// Batches without a producer id are ignored.
    pub fn update(&mut self, b: &BatchInfo) {
        if !b.has_producer_id() {
            return;
        }
        // In place for a known producer: with origin REPLICATION `append` never fails and the updated
        // entry is the current one without batches plus this batch, so `current.update(updated)` is
        // `current.add_batch(..)` (epoch, the batch, its timestamp): the same state, without copying the
        // entry twice per appended batch (a test below compares both ways).
        if let Some(current) = self.producers.get_mut(&b.producer_id) {
            current.add_batch(b.producer_epoch, b.last_sequence, b.last_offset, (b.last_offset - b.first_offset) as i32, b.timestamp_ms);
            return;
        }
        let mut append_info = self.prepare_update(b.producer_id, AppendOrigin::Replication);
        append_info.append(b).expect("the REPLICATION origin does not validate");
        self.update_with(append_info);
    }

    /// `update` as Kafka spells it (prepareUpdate, append, update): what the in-place path must equal.
    #[cfg(test)]
    fn update_by_append_info(&mut self, b: &BatchInfo) {
        if !b.has_producer_id() {
            return;
        }
        let mut append_info = self.prepare_update(b.producer_id, AppendOrigin::Replication);
        append_info.append(b).expect("the REPLICATION origin does not validate");
        self.update_with(append_info);
    }

    /// Truncation of the log to `offset` (everything at or above removed): drops the batch metadata
    /// of every batch that is no longer (wholly) in the log, i.e. whose last offset is at or above
    /// `offset` (`LogSegment.truncateTo` cuts at the start of the batch containing `offset`); a
    /// producer left without batches is removed, and its `lastTimestamp` becomes that of its last
    /// remaining batch.
    ///
    /// Kafka has no such in-place operation: `UnifiedLog.truncateTo` → `rebuildProducerState` →
    /// `truncateAndReload` reloads a snapshot and replays the log (see [`Self::rebuild`]). This gives
    /// the same state as `rebuild` of the kept batches as long as, for every producer, the kept
    /// batches of its current epoch are all still in the window of the last 5 retained ones; if the
    /// truncation removed all retained batches or an epoch bump, or the rebuild would re-retain
    /// older batches evicted from the window, only `rebuild` is exact.
    pub fn truncate_to(&mut self, offset: i64) {
        self.producers.retain(|_, entry| {
            while entry.batch_metadata.back().is_some_and(|b| b.last_offset >= offset) {
                entry.batch_metadata.pop_back();
            }
            match entry.batch_metadata.back() {
                Some(last) => {
                    entry.last_timestamp = last.timestamp;
                    true
                }
                None => false,
            }
        });
    }

    /// Rebuild from scratch by replaying batches in offset order (log recovery / after truncation):
    /// `UnifiedLog.loadProducersFromRecords` with origin REPLICATION (no snapshot: Kafka's
    /// `rebuildProducerState` replays from the log start when there is none). Unlike loading a
    /// snapshot, replay does not expire producers; call [`Self::remove_expired`] afterwards.
    pub fn rebuild<'a>(batches: impl IntoIterator<Item = &'a BatchInfo>) -> ProducerStateManager {
        let mut psm = ProducerStateManager::default();
        for b in batches {
            psm.update(b);
        }
        psm
    }

    /// `ProducerStateManager.removeExpiredProducers` / `isProducerExpired`: a producer expires when
    /// `currentTimeMs - lastTimestamp >= producer.id.expiration.ms` (and it has no ongoing
    /// transaction, which cannot happen here). `lastTimestamp` is its last batch's max timestamp.
    pub fn remove_expired(&mut self, now_ms: i64, expiration_ms: i64) {
        self.producers.retain(|_, e| now_ms.wrapping_sub(e.last_timestamp) < expiration_ms);
    }

    /// (epoch, last sequence) of a producer, as `UnifiedLog.activeProducersWithLastSequence`.
    pub fn last_sequence(&self, producer_id: i64) -> Option<(i16, i32)> {
        self.producers.get(&producer_id).map(|e| (e.producer_epoch, e.last_seq()))
    }

    /// `ProducerStateManager.producerIdCount`
    pub fn producer_count(&self) -> usize {
        self.producers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The replication path's in-place update gives, batch after batch, exactly the state Kafka's
    /// prepareUpdate/append/update gives: producers new and known, epochs bumped and going back, more
    /// batches than the five retained, truncations in between.
    #[test]
    fn the_in_place_replication_update_is_prepare_update_append_update() {
        let mut rng = crate::rng::Rng::new(7);
        let (mut fast, mut kafka) = (ProducerStateManager::new(), ProducerStateManager::new());
        let mut offset = 0i64;
        let mut seq = [0i32; 3];
        for step in 0..5_000 {
            if rng.range_inclusive(0, 40) == 0 {
                let to = offset - rng.range_inclusive(0, 8) as i64;
                fast.truncate_to(to);
                kafka.truncate_to(to);
                continue;
            }
            let p = rng.range_inclusive(0, 2) as usize;
            let n = rng.range_inclusive(1, 4) as i32;
            let b = BatchInfo {
                producer_id: if rng.range_inclusive(0, 20) == 0 { NO_PRODUCER_ID } else { 1000 + p as i64 },
                producer_epoch: rng.range_inclusive(0, 2) as i16,
                base_sequence: seq[p],
                last_sequence: seq[p] + n - 1,
                first_offset: offset,
                last_offset: offset + n as i64 - 1,
                timestamp_ms: step,
            };
            seq[p] += n;
            offset += n as i64;
            fast.update(&b);
            kafka.update_by_append_info(&b);
            assert_eq!(fast, kafka, "after batch {step}: {b:?}");
        }
        assert_eq!(fast.active_producers().len(), 3, "every producer was seen");
    }
}
