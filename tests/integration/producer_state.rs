//! The broker side of the idempotent producer (src/log/producer_state.rs), ported from Kafka's
//! ProducerStateManagerTest (storage/src/test/java/.../log/ProducerStateManagerTest.java) and
//! UnifiedLogTest (core/src/test/scala/unit/kafka/log/UnifiedLogTest.scala). Expected values are
//! those of the Kafka tests / Kafka's rules, not of this implementation.
use kafka_playground::errors::KafkaError;
use kafka_playground::log::producer_state::*;

const PID: i64 = 1;
const EXPIRATION_MS: i64 = PRODUCER_ID_EXPIRATION_MS_DEFAULT;

/// A batch of `count` records starting at `offset` with sequence `seq` (wrapping like Kafka's header).
fn batch(pid: i64, epoch: i16, seq: i32, count: i32, offset: i64, ts: i64) -> BatchInfo {
    BatchInfo {
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: seq,
        last_sequence: increment_sequence(seq, count - 1),
        first_offset: offset,
        last_offset: offset + count as i64 - 1,
        timestamp_ms: ts,
    }
}

fn one(epoch: i16, seq: i32, offset: i64) -> BatchInfo {
    batch(PID, epoch, seq, 1, offset, 0)
}

/// Leader append: validate, and on Append record it (what `UnifiedLog.appendAsLeader` does).
fn append_as_leader(psm: &mut ProducerStateManager, b: &BatchInfo) -> Validation {
    let v = psm.validate(b);
    if v == Validation::Append {
        psm.update(b);
    }
    v
}

/// `ProducerStateManagerTest.appendClientEntry`: the ProducerAppendInfo checks only (no duplicate check).
fn append_client_entry(psm: &mut ProducerStateManager, pid: i64, epoch: i16, seq: i32, offset: i64) -> Result<(), KafkaError> {
    let mut info = psm.prepare_update(pid, AppendOrigin::Client);
    info.append_data_batch(epoch, seq, seq, 0, offset, offset)?;
    psm.update_with(info);
    Ok(())
}

const OOO: Validation = Validation::Reject(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER);
const FENCED: Validation = Validation::Reject(KafkaError::INVALID_PRODUCER_EPOCH);

/// ProducerStateManagerTest.testBasicIdMapping
#[test]
fn basic_id_mapping() {
    let mut psm = ProducerStateManager::default();
    let epoch = 0;
    append_client_entry(&mut psm, PID, epoch, 0, 0).unwrap();
    append_client_entry(&mut psm, PID, epoch, 1, 1).unwrap();
    // "Duplicates are checked separately and should result in OutOfOrderSequence if appended"
    assert_eq!(append_client_entry(&mut psm, PID, epoch, 1, 1), Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER));
    // "Invalid sequence number (greater than next expected sequence number)"
    assert_eq!(append_client_entry(&mut psm, PID, epoch, 5, 2), Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER));
    // Change epoch
    append_client_entry(&mut psm, PID, epoch + 1, 0, 3).unwrap();
    // Incorrect epoch
    assert_eq!(append_client_entry(&mut psm, PID, epoch, 0, 4), Err(KafkaError::INVALID_PRODUCER_EPOCH));
    assert_eq!(psm.last_sequence(PID), Some((1, 0)));
}

/// In-sequence appends through `validate`; the duplicate check of `analyzeAndValidateProducerState`
/// answers the retry of the last batch with its offsets.
#[test]
fn in_sequence_appends() {
    let mut psm = ProducerStateManager::default();
    assert_eq!(psm.last_sequence(PID), None);
    assert_eq!(append_as_leader(&mut psm, &batch(PID, 0, 0, 3, 0, 10)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &batch(PID, 0, 3, 2, 3, 11)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &batch(PID, 0, 5, 1, 5, 12)), Validation::Append);
    assert_eq!(psm.last_sequence(PID), Some((0, 5)));
    assert_eq!(psm.producer_count(), 1);
    let e = psm.last_entry(PID).unwrap();
    assert_eq!((e.first_seq(), e.last_seq(), e.first_data_offset(), e.last_data_offset()), (0, 5, 0, 5));
    assert_eq!(e.last_timestamp(), 12);
    // Same batch once more: BatchMetadata of the original.
    assert_eq!(psm.validate(&batch(PID, 0, 3, 2, 3, 11)), Validation::Duplicate { first_offset: 3, last_offset: 4 });
}

/// UnifiedLogTest.testNonSequentialAppend
#[test]
fn non_sequential_append() {
    let mut psm = ProducerStateManager::default();
    assert_eq!(append_as_leader(&mut psm, &one(0, 0, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &one(0, 2, 1)), OOO);
    assert_eq!(psm.last_sequence(PID), Some((0, 0)));
}

/// UnifiedLogTest.testDuplicateAppends
#[test]
fn duplicate_appends() {
    let mut psm = ProducerStateManager::default();
    let epoch = 0;
    // Pad the beginning of the log: seq 0..=5 at offsets 0..=5.
    for seq in 0..=5 {
        assert_eq!(append_as_leader(&mut psm, &one(epoch, seq, seq as i64)), Validation::Append);
    }
    let mut seq = 6;
    // An entry with multiple records: seq 6..=8 at offsets 6..=8.
    let multi = batch(PID, epoch, seq, 3, 6, 0);
    assert_eq!(append_as_leader(&mut psm, &multi), Validation::Append);
    // A duplicate of the tail with multiple records (the leader would assign it offsets 9..=11).
    let retry = batch(PID, epoch, seq, 3, 9, 0);
    assert_eq!(append_as_leader(&mut psm, &retry), Validation::Duplicate { first_offset: 6, last_offset: 8 });
    seq += 3;
    // A partial duplicate of the tail (seq 7..=8) is not allowed.
    assert_eq!(append_as_leader(&mut psm, &batch(PID, epoch, seq - 2, 2, 9, 0)), OOO);
    // The batch with seq 2 is the oldest of the 5 retained (2, 3, 4, 5, 6..=8): a duplicate.
    assert_eq!(append_as_leader(&mut psm, &one(epoch, 2, 9)), Validation::Duplicate { first_offset: 2, last_offset: 2 });
    // "Duplicates at older entries are reported as OutOfOrderSequence errors"
    assert_eq!(append_as_leader(&mut psm, &one(epoch, 1, 9)), OOO);
    // A single-record duplicate at the tail returns the original append's offsets.
    assert_eq!(append_as_leader(&mut psm, &one(epoch, seq, 9)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &one(epoch, seq, 10)), Validation::Duplicate { first_offset: 9, last_offset: 9 });
    // Nothing was recorded for the duplicates and rejects.
    let e = psm.last_entry(PID).unwrap();
    let kept: Vec<(i32, i32, i64, i64)> =
        e.batch_metadata().map(|b| (b.first_seq(), b.last_seq, b.first_offset(), b.last_offset)).collect();
    assert_eq!(kept, vec![(3, 3, 3, 3), (4, 4, 4, 4), (5, 5, 5, 5), (6, 8, 6, 8), (9, 9, 9, 9)]);
}

/// A retry of a batch that has left the window of NUM_BATCHES_TO_RETAIN is checked by
/// `checkSequence` (its sequence is not lastSeq + 1): OUT_OF_ORDER_SEQUENCE_NUMBER.
#[test]
fn duplicate_older_than_retained_batches_is_out_of_order() {
    let mut psm = ProducerStateManager::default();
    for seq in 0..(NUM_BATCHES_TO_RETAIN as i32 + 1) {
        assert_eq!(append_as_leader(&mut psm, &one(0, seq, seq as i64)), Validation::Append);
    }
    assert_eq!(psm.last_entry(PID).unwrap().batch_metadata().len(), 5);
    assert_eq!(psm.validate(&one(0, 0, 6)), OOO);
    for seq in 1..=5 {
        assert_eq!(psm.validate(&one(0, seq, 6)), Validation::Duplicate { first_offset: seq as i64, last_offset: seq as i64 });
    }
    assert_eq!(psm.validate(&one(0, 6, 6)), Validation::Append);
}

/// A duplicate needs the same epoch and exactly the same sequence range (`findDuplicateBatch`,
/// `batchWithSequenceRange`).
#[test]
fn duplicate_requires_same_epoch_and_range() {
    let mut psm = ProducerStateManager::default();
    assert_eq!(append_as_leader(&mut psm, &batch(PID, 0, 0, 4, 0, 0)), Validation::Append);
    // Superset / subset of the range: not a duplicate, and out of sequence.
    assert_eq!(psm.validate(&batch(PID, 0, 0, 5, 4, 0)), OOO);
    assert_eq!(psm.validate(&batch(PID, 0, 0, 3, 4, 0)), OOO);
    // Same range, other producer: the other producer is unknown, so any sequence is accepted.
    assert_eq!(psm.validate(&batch(PID + 1, 0, 0, 4, 4, 0)), Validation::Append);
    // Same range, higher epoch: not a duplicate (epoch differs); a new epoch starting at 0 is fine.
    assert_eq!(psm.validate(&batch(PID, 1, 0, 4, 4, 0)), Validation::Append);
}

/// UnifiedLogTest.testOldProducerEpoch
#[test]
fn old_producer_epoch() {
    let mut psm = ProducerStateManager::default();
    assert_eq!(append_as_leader(&mut psm, &one(1, 0, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &one(0, 0, 1)), FENCED);
    // Even a batch identical to an old-epoch batch is fenced once the epoch was bumped.
    let mut psm = ProducerStateManager::default();
    assert_eq!(append_as_leader(&mut psm, &one(0, 0, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &one(1, 0, 1)), Validation::Append);
    assert_eq!(psm.validate(&one(0, 0, 2)), FENCED);
    assert_eq!(psm.last_sequence(PID), Some((1, 0)));
}

/// ProducerStateManagerTest.testOutOfSequenceAfterControlRecordEpochBump (with the epoch bumped by
/// a data batch) and `checkSequence`'s new-epoch rule: a new epoch must start at sequence 0.
#[test]
fn new_epoch_must_start_at_sequence_zero() {
    let mut psm = ProducerStateManager::default();
    assert_eq!(append_as_leader(&mut psm, &one(0, 0, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &one(0, 1, 1)), Validation::Append);
    assert_eq!(psm.validate(&one(1, 2, 2)), OOO);
    assert_eq!(psm.validate(&one(2, 2, 2)), OOO);
    assert_eq!(append_as_leader(&mut psm, &one(1, 0, 2)), Validation::Append);
    let e = psm.last_entry(PID).unwrap();
    assert_eq!(e.producer_epoch(), 1);
    assert_eq!(e.last_seq(), 0);
    // maybeUpdateProducerEpoch cleared the batches of epoch 0.
    assert_eq!(e.batch_metadata().len(), 1);
    assert_eq!(e.first_seq(), 0);
    assert_eq!(psm.validate(&one(1, 1, 3)), Validation::Append);
}

/// Kafka 4.x `checkSequence`: for an unknown producer `updatedEntry.producerEpoch()` is
/// NO_PRODUCER_EPOCH, so any first sequence is accepted (no UNKNOWN_PRODUCER_ID since KIP-360).
/// UnifiedLogTest.testAllowNonZeroSequenceOnFirstAppendNonZeroEpoch (without verification).
#[test]
fn unknown_producer_accepts_any_sequence() {
    let mut psm = ProducerStateManager::default();
    assert_eq!(psm.validate(&batch(23, 1, 3, 2, 0, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &batch(23, 1, 3, 2, 0, 0)), Validation::Append);
    assert_eq!(psm.last_sequence(23), Some((1, 4)));
    // From then on the sequence is checked.
    assert_eq!(psm.validate(&batch(23, 1, 6, 1, 2, 0)), OOO);
    assert_eq!(psm.validate(&batch(23, 1, 5, 1, 2, 0)), Validation::Append);
}

/// ProducerStateManagerTest.testPidExpirationTimeout
#[test]
fn pid_expiration_timeout() {
    let mut psm = ProducerStateManager::default();
    let epoch = 5;
    let t0 = 1_000_000;
    assert_eq!(append_as_leader(&mut psm, &batch(PID, epoch, 0, 1, 1, t0)), Validation::Append);
    let now = t0 + EXPIRATION_MS + 1;
    psm.remove_expired(now, EXPIRATION_MS);
    assert_eq!(psm.producer_count(), 0);
    assert_eq!(psm.last_sequence(PID), None);
    // The expired producer continues with sequence 1: accepted.
    assert_eq!(append_as_leader(&mut psm, &batch(PID, epoch, 1, 1, 2, now)), Validation::Append);
    assert_eq!(psm.producer_count(), 1);
    assert_eq!(psm.last_sequence(PID), Some((epoch, 1)));
}

/// UnifiedLogTest.testPeriodicProducerIdExpiration (producer.id.expiration.ms = 200, checks every
/// 100 ms): `isProducerExpired` is `currentTimeMs - lastTimestamp >= producerIdExpirationMs`.
#[test]
fn periodic_producer_id_expiration() {
    let mut psm = ProducerStateManager::default();
    let t0 = 5_000;
    psm.update(&batch(23, 0, 0, 1, 0, t0));
    psm.remove_expired(t0 + 100, 200);
    assert_eq!(psm.producer_count(), 1);
    psm.remove_expired(t0 + 199, 200);
    assert_eq!(psm.producer_count(), 1);
    psm.remove_expired(t0 + 200, 200);
    assert_eq!(psm.producer_count(), 0);
}

/// Expiration is per producer and uses the last batch's timestamp.
#[test]
fn expiration_uses_last_batch_timestamp() {
    let mut psm = ProducerStateManager::default();
    psm.update(&batch(1, 0, 0, 1, 0, 100));
    psm.update(&batch(2, 0, 0, 1, 1, 100));
    psm.update(&batch(1, 0, 1, 1, 2, 500));
    psm.remove_expired(1_100, 1_000);
    assert_eq!(psm.producer_count(), 1);
    assert_eq!(psm.last_sequence(1), Some((0, 1)));
    assert_eq!(psm.last_sequence(2), None);
}

/// ProducerStateManagerTest.testProducerSequenceWrapAround
#[test]
fn producer_sequence_wrap_around() {
    let mut psm = ProducerStateManager::default();
    let epoch = 15;
    let offset = 735;
    psm.update(&one(epoch, i32::MAX, offset)); // appendReplicationEntry
    assert_eq!(append_as_leader(&mut psm, &one(epoch, 0, offset + 500)), Validation::Append);
    let e = psm.last_entry(PID).unwrap();
    assert_eq!(e.producer_epoch(), epoch);
    assert_eq!(e.first_seq(), i32::MAX);
    assert_eq!(e.last_seq(), 0);
}

/// ProducerStateManagerTest.testProducerSequenceInvalidWrapAround
#[test]
fn producer_sequence_invalid_wrap_around() {
    let mut psm = ProducerStateManager::default();
    psm.update(&one(15, i32::MAX, 735));
    assert_eq!(psm.validate(&one(15, 1, 1235)), OOO);
    // Nor may a batch continue at i32::MAX + 1 as a negative number.
    assert_eq!(psm.validate(&one(15, i32::MIN, 1235)), OOO);
}

/// ProducerStateManagerTest.testProducerSequenceWithWrapAroundBatchRecord, plus the duplicate check
/// of a batch whose sequence range wraps (BatchMetadata.firstSeq = decrementSequence).
#[test]
fn producer_sequence_with_wrap_around_batch_record() {
    let mut psm = ProducerStateManager::default();
    let epoch = 15;
    let first_sequence = i32::MAX - 10;
    let last_sequence = 9;
    let (first_offset, last_offset) = (2000, 2020);
    let b = BatchInfo {
        producer_id: PID,
        producer_epoch: epoch,
        base_sequence: first_sequence,
        last_sequence,
        first_offset,
        last_offset,
        timestamp_ms: 0,
    };
    psm.update(&b);
    let e = psm.last_entry(PID).unwrap();
    assert_eq!(e.first_seq(), first_sequence);
    assert_eq!(e.last_seq(), last_sequence);
    assert_eq!(e.first_data_offset(), first_offset);
    assert_eq!(e.last_data_offset(), last_offset);
    assert_eq!(
        psm.validate(&BatchInfo { first_offset: 2021, last_offset: 2041, ..b }),
        Validation::Duplicate { first_offset, last_offset }
    );
    assert_eq!(psm.validate(&one(epoch, 10, 2021)), Validation::Append);
}

/// DefaultRecordBatch.incrementSequence / decrementSequence.
#[test]
fn sequence_arithmetic_wraps_at_int_max() {
    assert_eq!(increment_sequence(i32::MAX, 1), 0);
    assert_eq!(increment_sequence(i32::MAX - 10, 20), 9);
    assert_eq!(increment_sequence(5, 3), 8);
    assert_eq!(decrement_sequence(0, 1), i32::MAX);
    assert_eq!(decrement_sequence(9, 20), i32::MAX - 10);
    assert_eq!(decrement_sequence(8, 3), 5);
    assert!(in_sequence(i32::MAX, 0));
    assert!(in_sequence(4, 5));
    assert!(!in_sequence(i32::MAX, i32::MIN));
    assert!(in_sequence(NO_SEQUENCE, 0));
}

/// ProducerStateManagerTest.testAcceptAppendWithSequenceGapsOnReplica
#[test]
fn accept_append_with_sequence_gaps_on_replica() {
    let mut psm = ProducerStateManager::default();
    let epoch = 0;
    append_client_entry(&mut psm, PID, epoch, 0, 0).unwrap();
    let out_of_order_sequence = 3;
    assert_eq!(append_client_entry(&mut psm, PID, epoch, out_of_order_sequence, 1), Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert_eq!(psm.last_sequence(PID), Some((epoch, 0)));
    psm.update(&one(epoch, out_of_order_sequence, 1)); // appendReplicationEntry
    assert_eq!(psm.last_sequence(PID), Some((epoch, out_of_order_sequence)));
}

/// ProducerStateManagerTest.testNoValidationOnFirstEntryWhenLoadingLog
#[test]
fn no_validation_on_first_entry_when_loading_log() {
    let mut psm = ProducerStateManager::default();
    psm.update(&one(5, 16, 735));
    let e = psm.last_entry(PID).unwrap();
    assert_eq!((e.producer_epoch(), e.first_seq(), e.last_seq()), (5, 16, 16));
    assert_eq!((e.first_data_offset(), e.last_data_offset()), (735, 735));
}

/// UnifiedLogTest.testDuplicateAppendToFollower: the follower records duplicate sequences, and
/// `batchWithSequenceRange` then returns the first match (`findFirst`).
#[test]
fn duplicate_append_to_follower() {
    let mut psm = ProducerStateManager::default();
    psm.update(&batch(PID, 0, 0, 2, 0, 0));
    psm.update(&batch(PID, 0, 0, 2, 2, 0));
    assert_eq!(psm.last_entry(PID).unwrap().batch_metadata().len(), 2);
    assert_eq!(psm.validate(&batch(PID, 0, 0, 2, 4, 0)), Validation::Duplicate { first_offset: 0, last_offset: 1 });
}

/// On the REPLICATION path an older epoch is only logged (`checkProducerEpoch`) and
/// `maybeUpdateProducerEpoch` takes it, forgetting the newer epoch's batches.
#[test]
fn replication_accepts_older_epoch() {
    let mut psm = ProducerStateManager::default();
    psm.update(&one(3, 0, 0));
    psm.update(&one(2, 7, 1));
    assert_eq!(psm.last_sequence(PID), Some((2, 7)));
    assert_eq!(psm.last_entry(PID).unwrap().batch_metadata().len(), 1);
}

/// UnifiedLogTest.testMultipleProducersWithDuplicatesInSingleAppend / testMultipleProducerIdsPerMemoryRecord:
/// producers are independent.
#[test]
fn multiple_producers_are_independent() {
    let mut psm = ProducerStateManager::default();
    let (pid1, pid2) = (1, 2);
    assert_eq!(append_as_leader(&mut psm, &batch(pid1, 0, 0, 1, 0, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &batch(pid2, 0, 0, 1, 1, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &batch(pid1, 0, 1, 1, 2, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &batch(pid2, 0, 1, 1, 3, 0)), Validation::Append);
    assert_eq!(append_as_leader(&mut psm, &batch(pid1, 0, 1, 1, 4, 0)), Validation::Duplicate { first_offset: 2, last_offset: 2 });
    assert_eq!(append_as_leader(&mut psm, &batch(pid2, 0, 0, 1, 4, 0)), Validation::Duplicate { first_offset: 1, last_offset: 1 });
    assert_eq!(append_as_leader(&mut psm, &batch(pid2, 0, 3, 1, 4, 0)), OOO);
    assert_eq!(psm.producer_count(), 2);
    assert_eq!(psm.last_sequence(pid1), Some((0, 1)));
    assert_eq!(psm.last_sequence(pid2), Some((0, 1)));
}

/// Batches without a producer id (`hasProducerId` false) are neither validated nor recorded
/// (UnifiedLogTest.testProducerIdMapOffsetUpdatedForNonIdempotentData).
#[test]
fn non_idempotent_batches_are_ignored() {
    let mut psm = ProducerStateManager::default();
    let plain = BatchInfo {
        producer_id: NO_PRODUCER_ID,
        producer_epoch: NO_PRODUCER_EPOCH,
        base_sequence: NO_SEQUENCE,
        last_sequence: NO_SEQUENCE,
        first_offset: 0,
        last_offset: 0,
        timestamp_ms: 0,
    };
    assert_eq!(psm.validate(&plain), Validation::Append);
    psm.update(&plain);
    psm.update(&plain);
    assert_eq!(psm.validate(&plain), Validation::Append);
    assert_eq!(psm.producer_count(), 0);
}

/// ProducerStateManagerTest.testPrepareUpdateDoesNotMutate: validate leaves the state as it was.
#[test]
fn validate_does_not_mutate() {
    let mut psm = ProducerStateManager::default();
    psm.update(&batch(PID, 0, 0, 6, 15, 0));
    let before = psm.clone();
    for b in [
        batch(PID, 0, 6, 5, 21, 0),
        batch(PID, 1, 0, 1, 21, 0),
        batch(PID, 0, 9, 1, 21, 0),
        batch(PID, 0, 0, 6, 21, 0),
        batch(7, 0, 4, 1, 21, 0),
    ] {
        psm.validate(&b);
        assert_eq!(psm, before);
    }
    let e = psm.last_entry(PID).unwrap();
    assert_eq!((e.first_seq(), e.last_seq(), e.last_data_offset()), (0, 5, 20));
}

/// UnifiedLogTest.testProducerIdMapTruncateToWithNoSnapshots: truncation to 1 leaves seq 0.
#[test]
fn producer_id_map_truncate_to() {
    let log = [one(0, 0, 0), one(0, 1, 1)];
    let mut psm = ProducerStateManager::rebuild(&log);
    psm.truncate_to(1);
    assert_eq!(psm.producer_count(), 1);
    assert_eq!(psm.last_sequence(PID), Some((0, 0)));
    assert_eq!(psm, ProducerStateManager::rebuild(&log[..1]));
    // The retry of the removed batch is now the next in sequence, not a duplicate.
    assert_eq!(psm.validate(&one(0, 1, 1)), Validation::Append);
    psm.truncate_to(0);
    assert_eq!(psm.producer_count(), 0);
    assert_eq!(psm, ProducerStateManager::rebuild(&[]));
}

/// `truncate_to` drops every batch that is not wholly below the offset (LogSegment.truncateTo cuts
/// at the start of the batch containing it), and agrees with a rebuild of the kept batches when
/// every producer keeps batches of its current epoch within the retained window.
#[test]
fn truncate_to_matches_rebuild_of_kept_batches() {
    let log = [
        batch(1, 0, 0, 2, 0, 10),
        batch(2, 4, 0, 1, 2, 11),
        batch(1, 0, 2, 3, 3, 12),
        batch(3, 0, 0, 1, 6, 13),
        batch(2, 4, 1, 2, 7, 14),
        batch(1, 0, 5, 1, 9, 15),
    ];
    for cut in 0..=10 {
        let mut truncated = ProducerStateManager::rebuild(&log);
        truncated.truncate_to(cut);
        let kept: Vec<BatchInfo> = log.iter().filter(|b| b.last_offset < cut).copied().collect();
        assert_eq!(truncated, ProducerStateManager::rebuild(&kept), "truncate_to({cut})");
    }
    let mut psm = ProducerStateManager::rebuild(&log);
    psm.truncate_to(4); // inside producer 1's batch at 3..=5: the whole batch goes
    assert_eq!(psm.last_sequence(1), Some((0, 1)));
    assert_eq!(psm.last_entry(1).unwrap().last_timestamp(), 10);
    assert_eq!(psm.last_sequence(2), Some((4, 0)));
    assert_eq!(psm.last_sequence(3), None);
}

/// A rebuild (Kafka's truncateAndReload + replay with origin REPLICATION) gives the same state as
/// the appends that wrote the kept batches, including the 5 retained batches and the epoch.
#[test]
fn rebuild_equals_replaying_the_appends() {
    let mut appended = Vec::new();
    let mut live = ProducerStateManager::default();
    let writes = [(1, 0, 0), (1, 0, 1), (2, 0, 0), (1, 0, 2), (1, 0, 3), (1, 0, 4), (1, 0, 5), (2, 1, 0), (1, 0, 6), (2, 1, 1)];
    for (offset, (pid, epoch, seq)) in (0i64..).zip(writes) {
        let b = batch(pid, epoch, seq, 1, offset, 100 + offset);
        assert_eq!(append_as_leader(&mut live, &b), Validation::Append);
        appended.push(b);
    }
    assert_eq!(ProducerStateManager::rebuild(&appended), live);
    assert_eq!(live.last_entry(1).unwrap().batch_metadata().len(), NUM_BATCHES_TO_RETAIN);
    assert_eq!(live.last_sequence(2), Some((1, 1)));
    assert_eq!(live.last_entry(2).unwrap().batch_metadata().len(), 2);

    // After truncation to offset 8 the rebuild retains again the 5 latest kept batches of producer 1
    // (seq 1..=5), so the retry of seq 1 is a duplicate again; truncate_to only had seq 2..=5 left.
    let kept: Vec<BatchInfo> = appended.iter().filter(|b| b.last_offset < 8).copied().collect();
    let rebuilt = ProducerStateManager::rebuild(&kept);
    assert_eq!(rebuilt.last_sequence(1), Some((0, 5)));
    assert_eq!(rebuilt.last_sequence(2), Some((1, 0)));
    assert_eq!(rebuilt.validate(&batch(1, 0, 1, 1, 8, 0)), Validation::Duplicate { first_offset: 1, last_offset: 1 });
    let mut truncated = live.clone();
    truncated.truncate_to(8);
    assert_eq!(truncated.validate(&batch(1, 0, 1, 1, 8, 0)), OOO);
}

/// UnifiedLogTest.testRebuildProducerIdMapWithCompactedData: a compacted batch keeps its header
/// (base offset 23, lastOffsetDelta 3, base sequence 0), so the rebuilt last sequence is 3.
#[test]
fn rebuild_producer_id_map_with_compacted_data() {
    let base_offset = 23;
    let compacted = batch(PID, 0, 0, 4, base_offset, 0);
    let more = BatchInfo {
        producer_id: NO_PRODUCER_ID,
        producer_epoch: NO_PRODUCER_EPOCH,
        base_sequence: NO_SEQUENCE,
        last_sequence: NO_SEQUENCE,
        first_offset: base_offset + 4,
        last_offset: base_offset + 5,
        timestamp_ms: 0,
    };
    let log = [compacted, more];
    let mut psm = ProducerStateManager::rebuild(&log);
    psm.truncate_to(base_offset + 4);
    assert_eq!(psm.last_sequence(PID), Some((0, 3)));
    assert_eq!(ProducerStateManager::rebuild(&log[..1]).last_sequence(PID), Some((0, 3)));
}
