//! A long run keeps memory flat: sends and reads of records that retention deleted from
//! every replica are folded into counts (src/sim/history.rs), without changing any count,
//! any verdict of the checker, or what the producer does.

use kafka_playground::check::CheckedSim;
use kafka_playground::client::producer::SendOutcome;
use kafka_playground::command::Command;
use kafka_playground::scenario::{start, Scenario};

fn retention_cluster(rate: f64) -> CheckedSim {
    let text = r#"{"name": "retire", "seed": 5, "brokers": 3,
      "broker_config": {"min.insync.replicas": 2, "log.retention.ms": 10000, "log.segment.bytes": 16384,
                        "log.retention.check.interval.ms": 2000},
      "producer_config": {"acks": "all"},
      "topics": [{"name": "t", "partitions": 2, "replication_factor": 3}]}"#;
    let mut cs = start(&Scenario::parse(text).unwrap()).unwrap();
    cs.apply(Command::StartReader { topic: "t".into(), partition: 0 }).unwrap();
    cs.apply(Command::SetWorkload { topic: "t".into(), records_per_sec: rate, keys: 0 }).unwrap();
    cs
}

#[test]
fn sends_and_reads_that_retention_deleted_everywhere_are_retired_and_still_counted() {
    let mut cs = retention_cluster(200.0);
    let mut tracked = vec![];
    for minute in 1..=4 {
        cs.run_until(minute * 60_000);
        tracked.push(cs.sim.producer.sends.len());
    }
    let p = &cs.sim.producer;
    // 4 minutes at 200/s is 48 000 sends; with 10 s retention only the last ~20 s or so stay listed.
    assert!(p.acked_count > 40_000, "acknowledged {}", p.acked_count);
    assert!(p.retired_acked > 30_000, "retired {}", p.retired_acked);
    assert!(tracked.iter().all(|&n| n < 12_000), "sends listed per minute: {tracked:?}");
    // Nothing is lost from the counts.
    let listed_acked = p.sends.values().filter(|s| matches!(s.outcome, SendOutcome::Acked { .. })).count();
    assert_eq!(p.retired_acked + listed_acked, p.acked_count);
    let r = cs.sim.readers.values().next().unwrap();
    assert!(r.seen_dropped > 5_000 && r.seen.len() < 6_000, "reader kept {} dropped {}", r.seen.len(), r.seen_dropped);
    assert!(cs.checker.violations.is_empty(), "{:?}", cs.checker.violations);
    assert_eq!(kafka_playground::check::client_audit::client_audit(&cs.sim).lost_after_acknowledgement, 0);
}

#[test]
fn retiring_history_does_not_change_the_run() {
    // The same run with history never retired: the same trace (every event), the same counts.
    let mut a = retention_cluster(300.0);
    a.run_until(90_000);
    let mut b = retention_cluster(300.0);
    b.sim.next_retire_ms = i64::MAX;
    b.run_until(90_000);
    assert!(a.sim.producer.retired_acked > 10_000 && b.sim.producer.retired_acked == 0);
    assert_eq!(a.sim.trace_hash(), b.sim.trace_hash());
    assert_eq!(a.sim.producer.acked_count, b.sim.producer.acked_count);
    assert_eq!(kafka_playground::check::client_audit::client_audit(&a.sim), kafka_playground::check::client_audit::client_audit(&b.sim));
    assert_eq!(a.checker.violations.len(), b.checker.violations.len());
}
