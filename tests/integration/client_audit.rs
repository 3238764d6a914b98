//! The page's client audit is read incrementally (src/check/client_audit.rs): each call reads
//! only the records appended and received since the last. It must say exactly what a full read of
//! the run says, at every moment, through truncations, unclean elections, compaction, retention,
//! consumers' redelivery, readers whose old records are retired, and time travel.

use kafka_playground::check::audit::LostCounter;
use kafka_playground::check::client_audit::{client_audit, ClientAudit, ClientAuditor};
use kafka_playground::check::CheckedSim;
use kafka_playground::command::Command;
use kafka_playground::page::playground::Playground;
use kafka_playground::scenario::{start, Scenario};

/// Plays `p` for `ms` in steps of `step_ms`, comparing the page's audit with a full read after
/// each; returns every audit seen (to show what the run exercised).
fn page_audit_agrees(name: &str, p: &mut Playground, ms: i64, step_ms: i64) -> Vec<ClientAudit> {
    let mut seen = vec![];
    let end = p.now_ms() + ms;
    while p.now_ms() < end {
        p.advance(step_ms);
        let page = p.audit();
        assert_eq!(page, client_audit(&p.cs.sim), "{name}: at {} ms", p.now_ms());
        seen.push(page);
    }
    seen
}

/// A run that produces every count the audit keeps: a producer without idempotence, five
/// requests in flight and a lossy link back from the leader (retries: duplicates, reordered keys),
/// a reader and a consumer group, then an unclean election after the leader acknowledged alone
/// (truncated records that were read, lost acknowledged writes), consumers crashed (redelivery).
const LOSSY_UNCLEAN: &str = r#"{"name": "lossy-unclean", "brokers": 3,
  "broker_config": {"min.insync.replicas": 1, "unclean.leader.election.enable": true, "replica.lag.time.max.ms": 10000},
  "producer_config": {"acks": "1", "enable.idempotence": false, "max.in.flight.requests.per.connection": 5, "request.timeout.ms": 1500},
  "topics": [{"name": "t", "partitions": 2, "replication_factor": 3, "assignment": {"0": [1, 2, 3], "1": [1, 2, 3]}}],
  "steps": [
    {"type": "start_reader", "topic": "t", "partition": 0},
    {"type": "start_consumer", "group_id": "g", "topics": ["t"]},
    {"type": "start_consumer", "group_id": "g", "topics": ["t"]},
    {"type": "set_workload", "topic": "t", "records_per_sec": 40, "keys": 6},
    {"type": "run", "ms": 3000},
    {"type": "set_link_loss", "from": "broker-1", "to": "producer-1", "loss": 0.4, "one_way": true},
    {"type": "run", "ms": 6000},
    {"type": "crash_consumer", "consumer": 1},
    {"type": "cut_link", "from": "broker-1", "to": "broker-2"},
    {"type": "cut_link", "from": "broker-1", "to": "broker-3"},
    {"type": "run", "ms": 20000},
    {"type": "isolate", "node": "broker-1"},
    {"type": "crash_broker", "broker": 1},
    {"type": "run", "ms": 15000},
    {"type": "heal_all"},
    {"type": "restart_broker", "broker": 1}
  ]}"#;

#[test]
fn the_page_audit_reads_what_changed_and_says_what_a_full_read_of_every_scenario_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut runs: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json") && !f.ends_with("index.json"))
        .map(|f| (f.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(f).unwrap()))
        .collect();
    runs.push(("lossy-unclean".into(), LOSSY_UNCLEAN.into()));
    let (mut duplicated, mut out_of_order, mut twice, mut truncated, mut lost) = (0, 0, 0, 0, 0);
    for (file, text) in &runs {
        for seed in [1, 2] {
            let name = format!("{file} seed {seed}");
            let mut p = Playground::new(Some(text), Some(seed)).unwrap();
            let seen = page_audit_agrees(&name, &mut p, 90_000, 300);
            // Back in time (a new auditor reads from scratch), then on again.
            p.seek(45_000);
            assert_eq!(p.audit(), client_audit(&p.cs.sim), "{name}: after a seek to 45 s");
            page_audit_agrees(&name, &mut p, 10_000, 700);
            let last = seen.last().unwrap();
            duplicated += last.duplicated;
            out_of_order += last.out_of_order_keys;
            twice += last.consumed_more_than_once;
            lost += last.lost_after_acknowledgement;
            truncated += seen.iter().map(|a| a.consumed_then_truncated).max().unwrap();
        }
    }
    // The scenarios exercise every count the audit keeps.
    assert!(
        duplicated > 0 && out_of_order > 0 && twice > 0 && truncated > 0 && lost > 0,
        "{duplicated} {out_of_order} {twice} {truncated} {lost}"
    );
}

#[test]
fn the_incremental_audit_agrees_while_retention_deletes_segments_and_a_reader_drops_old_records() {
    let text = r#"{"name": "retire", "seed": 5, "brokers": 3,
      "broker_config": {"min.insync.replicas": 2, "log.retention.ms": 10000, "log.segment.bytes": 16384,
                        "log.retention.check.interval.ms": 2000},
      "producer_config": {"acks": "1", "retries": 3},
      "topics": [{"name": "t", "partitions": 2, "replication_factor": 3}]}"#;
    let mut cs: CheckedSim = start(&Scenario::parse(text).unwrap()).unwrap();
    cs.apply(Command::StartReader { topic: "t".into(), partition: 0 }).unwrap();
    cs.apply(Command::SetWorkload { topic: "t".into(), records_per_sec: 200.0, keys: 8 }).unwrap();
    let (mut auditor, mut lost) = (ClientAuditor::default(), LostCounter::default());
    let mut starts = std::collections::BTreeSet::new();
    for t in 1..=120 {
        cs.run_until(t * 500);
        if t == 40 {
            // The leader of partition 0 dies uncleanly: the reader may have read records that go.
            let leader = cs.sim.controller.partitions.values().next().unwrap().leader;
            cs.apply(Command::CrashBroker { broker: leader, keep_page_cache: false }).unwrap();
        }
        if t == 60 {
            cs.apply(Command::RestartBroker {
                broker: cs.sim.brokers.keys().copied().find(|b| cs.sim.brokers[b].process.is_none()).unwrap(),
            })
            .unwrap();
        }
        let n = lost.count(&cs.sim);
        assert_eq!(auditor.audit(&cs.sim, n), client_audit(&cs.sim), "at {} ms", cs.sim.now_ms());
        starts.insert(cs.sim.readers.values().next().unwrap().seen_dropped);
    }
    assert!(starts.len() > 3, "the reader's oldest records were retired again and again: {starts:?}");
}
