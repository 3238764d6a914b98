//! The producer: idempotence against retries and failover, the sticky partitioner,
//! and what idempotence=false allows.

use crate::common::*;
use kafka_playground::check::client_audit::client_audit;
use kafka_playground::client::producer::SendOutcome;
use kafka_playground::command::Command;
use kafka_playground::ids::{NodeId, TopicPartition};
use serde_json::Value;

/// A workload over 20 keys while the leader of partition 0 first loses its responses to the
/// producer (the requests were appended, the producer retries them) and then crashes.
fn retries_and_failover(seed: u64, producer: &[(&str, Value)]) -> Cluster {
    let mut pc: Vec<(&str, Value)> = vec![("request.timeout.ms", v(1500)), ("retry.backoff.ms", v(50))];
    pc.extend(producer.iter().cloned());
    let mut c = cluster(seed, 3, &[("min.insync.replicas", v(2))], &pc);
    c.topic("orders", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 400.0, keys: 20 });
    c.run(2_000);
    // Responses from broker 1 are lost for 1 s: its appends succeed, the producer cannot know.
    c.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Producer(1), one_way: true });
    c.run(1_000);
    c.apply(Command::HealLink { from: NodeId::Broker(1), to: NodeId::Producer(1), one_way: true });
    c.run(3_000);
    // The leader of orders-0 dies with requests in flight; the producer fails over.
    c.apply(Command::CrashBroker { broker: 1, keep_page_cache: true });
    c.run(15_000);
    c.apply(Command::RestartBroker { broker: 1 });
    c.run(5_000);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(20_000);
    c
}

#[test]
fn idempotent_producer_survives_lost_responses_and_leader_failover_without_duplicates_or_reordering() {
    for seed in [1, 2, 3] {
        let c = retries_and_failover(seed, &[]);
        let sim = c.sim();
        assert!(sim.producer.idempotent());
        assert!(sim.producer.stats.retries > 0, "seed {seed}: the faults caused no retry");
        assert!(sim.producer.stats.duplicates_answered > 0, "seed {seed}: the leader never recognised a retried batch");
        let a = client_audit(sim);
        assert_eq!(a.duplicated, 0, "seed {seed}: {a:?}");
        assert_eq!(a.out_of_order_keys, 0, "seed {seed}: {a:?}");
        assert_eq!(a.lost_after_acknowledgement, 0, "seed {seed}: {a:?}");
        assert!(a.acknowledged > 5_000, "{a:?}");
        c.assert_no_violations();
    }
}

#[test]
fn without_idempotence_the_same_faults_write_duplicates_and_reorder_keys() {
    let mut dups = 0;
    let mut reordered = 0;
    for seed in [1, 2, 3] {
        let c = retries_and_failover(seed, &[("enable.idempotence", v(false))]);
        let sim = c.sim();
        assert!(!sim.producer.idempotent());
        let a = client_audit(sim);
        dups += a.duplicated;
        reordered += a.out_of_order_keys;
        assert_eq!(a.lost_after_acknowledgement, 0, "acks=all still loses nothing: {a:?}");
    }
    assert!(dups > 0, "retries without idempotence must be able to duplicate");
    assert!(reordered > 0, "max.in.flight=5 with retries and no idempotence must be able to reorder a key");
}

#[test]
fn idempotence_is_silently_off_when_acks_is_set_to_one_but_an_explicit_request_is_refused() {
    let mut c = cluster(4, 1, &[], &[]);
    c.apply(Command::SetProducerConfig { key: "acks".into(), value: v("1") });
    assert!(!c.sim().producer.idempotent(), "enable.idempotence was not set explicitly: acks=1 turns it off");
    let mut c = cluster(4, 1, &[], &[("enable.idempotence", v(true))]);
    let e = c.cs.apply(Command::SetProducerConfig { key: "acks".into(), value: v("1") }).unwrap_err();
    assert_eq!(e.field, "acks");
    assert!(e.message.contains("Must set acks to all"), "{}", e.message);
    assert!(c.sim().producer.idempotent());
}

#[test]
fn keyless_records_stick_to_one_partition_for_at_least_batch_size_bytes() {
    let mut c = cluster(5, 3, &[], &[("batch.size", v(2000)), ("linger.ms", v(50))]);
    c.topic("clicks", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2]], &[]);
    c.produce("clicks", "x", 1); // metadata known
    c.run(500);
    // 1000 records of 16 bytes (~16 KB): BuiltInPartitioner switches after batch.size..2×batch.size bytes.
    c.apply(Command::Produce {
        topic: "clicks".into(),
        partition: None,
        key: None,
        value: Some("click".into()),
        count: 1000,
        tombstone: false,
    });
    c.run(3_000);
    let sim = c.sim();
    let parts: Vec<u32> = sim
        .producer
        .sends
        .values()
        .filter(|s| s.value.as_deref().is_some_and(|v| v.starts_with("click")))
        .map(|s| s.partition.unwrap())
        .collect();
    assert_eq!(parts.len(), 1000);
    let mut runs: Vec<(u32, usize)> = vec![];
    for p in parts {
        match runs.last_mut() {
            Some((q, n)) if *q == p => *n += 1,
            _ => runs.push((p, 1)),
        }
    }
    let distinct: std::collections::BTreeSet<u32> = runs.iter().map(|r| r.0).collect();
    assert!(distinct.len() >= 2, "never switched: {runs:?}");
    // Every finished run holds at least batch.size bytes (2000 / 16 = 125 records).
    for (p, n) in &runs[..runs.len() - 1] {
        assert!(*n >= 125, "partition {p} got a run of only {n} records: {runs:?}");
    }
    assert!(sim.producer.stats.batches_sent < 20, "records were batched ({} batches)", sim.producer.stats.batches_sent);
    assert_eq!(sim.producer.acked_count, 1001);
    let _ = TopicPartition::new("clicks", 0);
}

#[test]
fn a_produce_of_100_000_records_sent_before_the_producer_knows_the_topic_is_acknowledged_in_full() {
    // The records wait for the producer's first metadata answer, then each goes through the
    // partitioner once (`Producer::resolve` touches only the records of topics that just got
    // metadata): this burst once took minutes, walking every waiting record on every send.
    let mut c = cluster(1, 3, &[("min.insync.replicas", v(2))], &[]);
    c.topic("burst", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2]], &[]);
    assert!(!c.sim().producer.metadata.partition_counts.contains_key("burst"), "the producer already knew the topic");
    // The costly invariants at the page's cadence, not after every event (the test is about the producer).
    c.cs.slow_check_every = 500;
    c.apply(Command::Produce { tombstone: false, topic: "burst".into(), partition: None, key: None, value: None, count: 100_000 });
    let done = c.run_until(|s| s.producer.sends.values().all(|r| matches!(r.outcome, SendOutcome::Acked { .. })), 60_000);
    assert!(done, "{} of 100000 acknowledged after 60 simulated seconds", c.acked_values().len());
    assert_eq!(c.acked_values().len(), 100_000);
    // Spread by the sticky partitioner over the three partitions, none lost.
    let partitions: std::collections::BTreeSet<u32> = c.sim().producer.sends.values().filter_map(|r| r.partition).collect();
    assert_eq!(partitions.len(), 3, "{partitions:?}");
    c.assert_no_violations();
}
