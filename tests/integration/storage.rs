//! Segments and retention, as Kafka's `LogSegment.shouldRoll` and
//! `UnifiedLog.deleteOldSegments` do them (issue 4, parts 1 and 2).
use crate::common::*;
use kafka_playground::ids::TopicPartition;
use kafka_playground::log::segment::{record_size, BATCH_HEADER_BYTES};
use kafka_playground::log::{LogConfig, NewRecord, PartitionLog};
use kafka_playground::Command;

/// Bytes of a one-record batch as the tests write them.
fn batch_bytes() -> u64 {
    BATCH_HEADER_BYTES + record_size(Some("k"), Some("v"))
}

fn log_with(cfg: LogConfig) -> PartitionLog {
    let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
    log.config = cfg;
    log
}

fn append(log: &mut PartitionLog, n: usize, at_ms: i64) {
    for _ in 0..n {
        let id = log.log_end_offset() as u64;
        log.append_as_leader(&[NewRecord { key: Some("k".into()), value: Some("v".into()), write_id: id }], 0, at_ms);
    }
}

fn segment_names(log: &PartitionLog) -> Vec<String> {
    log.segments().iter().map(|s| s.file_name("log")).collect()
}

#[test]
fn a_segment_sized_for_ten_batches_rolls_on_the_eleventh() {
    let mut log = log_with(LogConfig { segment_bytes: 10 * batch_bytes() as i64, ..LogConfig::default() });
    append(&mut log, 10, 0);
    assert_eq!(log.segments().len(), 1);
    append(&mut log, 1, 0);
    assert_eq!(segment_names(&log), vec!["00000000000000000000.log", "00000000000000000010.log"]);
    assert_eq!(log.segments()[0].size_bytes, 10 * batch_bytes());
    let events = log.take_events();
    assert!(
        events[0].contains("rolls t-0 segment 00000000000000000000.log (10 records") && events[0].contains("segment.bytes"),
        "{events:?}"
    );
}

#[test]
fn a_segment_rolls_when_its_first_record_is_older_than_segment_ms() {
    let mut log = log_with(LogConfig { segment_ms: 1_000, ..LogConfig::default() });
    append(&mut log, 1, 0);
    append(&mut log, 1, 1_000);
    assert_eq!(log.segments().len(), 1, "exactly segment.ms old: not yet");
    append(&mut log, 1, 1_001);
    assert_eq!(segment_names(&log), vec!["00000000000000000000.log", "00000000000000000002.log"]);
    assert!(log.take_events()[0].contains("segment.ms"));
}

/// 15 records in 3 segments of 5, HW = LEO.
fn three_segments(cfg: LogConfig) -> PartitionLog {
    let mut log = log_with(LogConfig { segment_bytes: 5 * batch_bytes() as i64, ..cfg });
    append(&mut log, 15, 1_000);
    log.update_high_watermark(15);
    assert_eq!(log.segments().len(), 3);
    log
}

#[test]
fn retention_bytes_deletes_oldest_segments_while_the_log_is_too_large() {
    let mut log = three_segments(LogConfig { retention_bytes: 10 * batch_bytes() as i64, ..LogConfig::default() });
    assert_eq!(log.delete_old_segments(2_000), 1);
    assert_eq!(segment_names(&log), vec!["00000000000000000005.log", "00000000000000000010.log"]);
    assert_eq!(log.log_start_offset(), 5);
    assert_eq!(log.read(0, 15, 100).first().map(|r| r.offset), Some(5));
    let mut log = three_segments(LogConfig { retention_bytes: 15 * batch_bytes() as i64, ..LogConfig::default() });
    assert_eq!(log.delete_old_segments(2_000), 0);
    assert_eq!(log.segments().len(), 3);
}

#[test]
fn when_every_segment_expires_a_fresh_empty_active_segment_is_rolled_first() {
    let mut log = three_segments(LogConfig { retention_ms: 60_000, ..LogConfig::default() });
    assert_eq!(log.delete_old_segments(30_000), 0, "not expired yet");
    assert_eq!(log.delete_old_segments(100_000), 3);
    assert_eq!(segment_names(&log), vec!["00000000000000000015.log"]);
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (15, 15));
    assert_eq!(log.segments()[0].records, 0);
}

#[test]
fn compact_alone_never_deletes_by_retention_and_compact_delete_does() {
    let mut log = three_segments(LogConfig { retention_ms: 60_000, cleanup_delete: false, cleanup_compact: true, ..LogConfig::default() });
    assert_eq!(log.delete_old_segments(100_000), 0);
    assert_eq!(log.segments().len(), 3);
    let mut log = three_segments(LogConfig { retention_ms: 60_000, cleanup_delete: true, cleanup_compact: true, ..LogConfig::default() });
    log.delete_old_segments(100_000);
    assert_eq!(log.segments().len(), 1);
}

#[test]
fn segments_at_or_above_the_high_watermark_are_never_deleted() {
    let mut log = three_segments(LogConfig { retention_ms: 60_000, ..LogConfig::default() });
    log.update_high_watermark(7);
    assert_eq!(log.delete_old_segments(100_000), 1, "only [0,5) is wholly below HW 7");
    assert_eq!(log.log_start_offset(), 5);
    assert!(log.log_start_offset() <= log.high_watermark());
    log.update_high_watermark(10);
    assert_eq!(log.delete_old_segments(100_000), 1);
    assert_eq!(log.log_start_offset(), 10);
}

#[test]
fn truncation_keeps_segments_consistent() {
    let mut log = three_segments(LogConfig::default());
    log.truncate_to(7, 0);
    assert_eq!(segment_names(&log), vec!["00000000000000000000.log", "00000000000000000005.log"]);
    assert_eq!(log.segments()[1].records, 2);
    assert_eq!(log.segments()[1].size_bytes, 2 * batch_bytes());
    log.truncate_to(5, 0);
    assert_eq!(log.segments().len(), 1, "the segment starting at the new end is removed");
    // It rolls again where it left off.
    append(&mut log, 1, 2_000);
    assert_eq!(log.segments().last().unwrap().base_offset, 5);
}

#[test]
fn every_replica_runs_its_own_retention_and_the_log_start_moves() {
    let mut c = cluster(41, 3, &[("log.retention.check.interval.ms", v(1_000))], &[("acks", all())]);
    c.topic("logs", &[&[1, 2, 3]], &[("segment.bytes", v(2_000)), ("retention.ms", v(10_000))]);
    c.apply(Command::SetWorkload { topic: "logs".into(), records_per_sec: 50.0, keys: 0 });
    c.run(30_000);
    let tp = TopicPartition::new("logs", 0);
    for b in [1, 2, 3] {
        let log = &c.sim().brokers[&b].disk().logs[&tp];
        assert!(log.segments().len() >= 2, "broker {b} rolled segments");
        assert!(log.log_start_offset() > 0, "broker {b} deleted old segments");
        assert!(log.log_start_offset() <= log.high_watermark());
    }
    assert!(!c.events_matching("deletes segment 00000000000000000000.log of logs-0").is_empty());
    assert!(!c.events_matching("rolls logs-0 segment").is_empty());
    // Replicas agree on every record they all still hold (their segment layouts may differ).
    c.assert_no_violations();
    assert!(c.lost().is_empty(), "acknowledged writes deleted by retention are not 'lost'");
}
