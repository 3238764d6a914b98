//! Log compaction (issue 4, part 3), as Kafka's `LogCleaner` does it.
use crate::common::*;
use kafka_playground::ids::TopicPartition;
use kafka_playground::log::segment::{record_size, BATCH_HEADER_BYTES};
use kafka_playground::log::{LogConfig, NewRecord, PartitionLog};
use kafka_playground::rng::Rng;
use kafka_playground::Command;
use std::collections::BTreeMap;

fn compacted(extra: impl FnOnce(&mut LogConfig)) -> PartitionLog {
    let mut cfg = LogConfig {
        segment_bytes: 8 * (BATCH_HEADER_BYTES + record_size(Some("key-0"), Some("value-00000"))) as i64,
        cleanup_delete: false,
        cleanup_compact: true,
        delete_retention_ms: 5_000,
        ..LogConfig::default()
    };
    extra(&mut cfg);
    let mut log = PartitionLog::new(TopicPartition::new("c", 0), 0);
    log.config = cfg;
    log
}

type Written = Vec<(i64, String, Option<String>)>;

fn write(log: &mut PartitionLog, written: &mut Written, key: String, value: Option<String>, at: i64) {
    let id = log.log_end_offset() as u64;
    let (o, _) =
        log.append_as_leader(&[NewRecord { key: Some(key.as_str().into()), value: value.as_deref().map(Into::into), write_id: id }], 0, at);
    written.push((o, key, value));
}

fn records(log: &PartitionLog, from: i64, to: i64) -> Vec<(i64, String, Option<String>)> {
    log.read(from, to, usize::MAX)
        .into_iter()
        .map(|r| (r.offset, r.key.as_deref().unwrap().to_string(), r.value.as_deref().map(|v| v.to_string())))
        .collect()
}

#[test]
fn cleaning_keeps_exactly_the_last_value_of_every_key_as_a_model_map_says() {
    for seed in 1..=20 {
        let mut rng = Rng::new(seed);
        let mut log = compacted(|_| {});
        let mut written: Written = vec![];
        let mut now = 0;
        for round in 0..60 {
            for _ in 0..rng.range_inclusive(1, 6) {
                let key = format!("key-{}", rng.range_inclusive(0, 9));
                let value = if rng.chance(0.15) { None } else { Some(format!("value-{:05}", written.len())) };
                write(&mut log, &mut written, key, value, now);
            }
            now += 100;
            // The HW trails the LEO sometimes: nothing above it may be cleaned.
            let hw = if round % 3 == 0 { log.log_end_offset() - 2 } else { log.log_end_offset() };
            log.update_high_watermark(hw);
            if round % 4 == 3 {
                let active = log.segments().last().unwrap().base_offset;
                log.clean(now);
                let c = log.cleaner_checkpoint;
                assert!(c <= active && c <= log.high_watermark(), "seed {seed}: cleaned past the active segment or the HW");
                // The model: the last write of each key below the checkpoint.
                let mut model: BTreeMap<String, (i64, Option<String>)> = BTreeMap::new();
                for (o, k, v) in written.iter().filter(|(o, _, _)| *o < c) {
                    model.insert(k.clone(), (*o, v.clone()));
                }
                let mut expected: Vec<(i64, String, Option<String>)> = model.into_iter().map(|(k, (o, v))| (o, k, v)).collect();
                expected.sort();
                let actual = records(&log, 0, c);
                // Tombstones are kept for delete.retention.ms (5 s here), then may go.
                let live = |v: &Vec<(i64, String, Option<String>)>| v.iter().filter(|r| r.2.is_some()).cloned().collect::<Vec<_>>();
                assert_eq!(live(&actual), live(&expected), "seed {seed} round {round}");
                assert!(actual.iter().all(|r| expected.contains(r)), "seed {seed}: a record the model does not have");
                // Above the checkpoint nothing changed.
                let tail: Written = written.iter().filter(|(o, _, _)| *o >= c).cloned().collect();
                assert_eq!(records(&log, c, i64::MAX), tail, "seed {seed}: the dirty tail was touched");
            }
        }
    }
}

#[test]
fn tombstones_disappear_only_after_delete_retention_ms() {
    let mut log = compacted(|_| {});
    let mut w: Written = vec![];
    for i in 0..8 {
        write(&mut log, &mut w, format!("key-{i}"), Some("value-00000".into()), 0);
    }
    write(&mut log, &mut w, "key-1".into(), None, 0); // tombstone for key-1, offset 8
    for i in 0..16 {
        write(&mut log, &mut w, format!("key-{}", 2 + i % 4), Some("value-00000".into()), 0);
        // fill segments
    }
    log.update_high_watermark(log.log_end_offset());
    log.clean(1_000);
    assert!(log.record_at(8).is_some_and(|r| r.value.is_none()), "the tombstone survives its first cleaning");
    assert!(log.record_at(1).is_none(), "the value it deletes is gone");
    log.clean(4_000);
    assert!(log.record_at(8).is_some(), "still within delete.retention.ms");
    log.clean(6_001);
    assert!(log.record_at(8).is_none(), "gone after delete.retention.ms");
}

#[test]
fn records_younger_than_min_compaction_lag_ms_are_not_cleaned() {
    let mut log = compacted(|c| c.min_compaction_lag_ms = 10_000);
    let mut w: Written = vec![];
    for i in 0..40 {
        write(&mut log, &mut w, "same".into(), Some(format!("value-{i:05}")), i * 1_000);
    }
    log.update_high_watermark(log.log_end_offset());
    log.clean(40_000);
    let c = log.cleaner_checkpoint;
    assert!(c > 0, "older records were cleaned");
    for (o, _, _) in &w {
        if *o >= 30 {
            assert!(log.record_at(*o).is_some(), "offset {o} is younger than 10 s and must stay");
        }
    }
}

#[test]
fn the_dirty_ratio_threshold_decides_whether_a_pass_runs() {
    let mut log = compacted(|c| c.min_cleanable_dirty_ratio = 0.5);
    let mut w: Written = vec![];
    for i in 0..32 {
        write(&mut log, &mut w, format!("key-{i}"), Some("value-00000".into()), 0);
    }
    log.update_high_watermark(log.log_end_offset());
    assert!(log.needs_cleaning(0), "all dirty: ratio 1.0");
    log.clean(0);
    assert!(!log.needs_cleaning(0), "nothing dirty after a pass");
    for i in 0..8 {
        write(&mut log, &mut w, format!("key-{i}"), Some("value-00001".into()), 0);
    }
    log.update_high_watermark(log.log_end_offset());
    let r = log.dirty_ratio(0);
    assert!(r < 0.5, "ratio {r}");
    assert!(!log.needs_cleaning(0), "below min.cleanable.dirty.ratio");
    log.config.min_cleanable_dirty_ratio = 0.1;
    assert!(log.needs_cleaning(0));
}

#[test]
fn leader_and_followers_end_with_the_same_records_after_cleaning() {
    let mut c = cluster(51, 3, &[("log.cleaner.backoff.ms", v(1_000))], &[("acks", all())]);
    c.topic(
        "state",
        &[&[1, 2, 3]],
        &[("cleanup.policy", v("compact")), ("segment.bytes", v(1_000)), ("min.cleanable.dirty.ratio", v("0.1"))],
    );
    c.apply(Command::SetWorkload { topic: "state".into(), records_per_sec: 40.0, keys: 5 });
    c.run(30_000);
    c.apply(Command::SetWorkload { topic: "state".into(), records_per_sec: 0.0, keys: 5 });
    c.run(20_000);
    let tp = TopicPartition::new("state", 0);
    let logs: Vec<&PartitionLog> = [1, 2, 3].iter().map(|b| &c.sim().brokers[b].disk().logs[&tp]).collect();
    for (i, l) in logs.iter().enumerate() {
        assert!(l.cleaner_checkpoint > 0, "broker {} cleaned", i + 1);
    }
    let view = |l: &PartitionLog| l.records().iter().map(|r| (r.offset, r.key.clone(), r.value.clone())).collect::<Vec<_>>();
    assert_eq!(view(logs[0]), view(logs[1]));
    assert_eq!(view(logs[0]), view(logs[2]));
    assert!(logs[0].records().len() < 1_000, "compaction removed superseded values: {} left", logs[0].records().len());
    assert!(c.events_matching("cleaner compacts state-0").len() >= 3);
    c.assert_no_violations();
    assert!(c.lost().is_empty(), "superseded values are not lost writes");
}

#[test]
fn a_compacted_topic_refuses_records_without_a_key() {
    let mut c = cluster(52, 3, &[], &[("acks", all()), ("retries", v(0))]);
    c.topic("state", &[&[1, 2, 3]], &[("cleanup.policy", v("compact"))]);
    c.apply(Command::Produce { tombstone: false, topic: "state".into(), partition: Some(0), key: None, value: Some("x".into()), count: 1 });
    c.run(1_000);
    assert_eq!(c.failed(), vec![("x".to_string(), "INVALID_RECORD".to_string())]);
    assert_eq!(c.log_end_offset(1, "state"), 0);
}
