//! The ISR, watched in a running cluster: who leaves, who stays, who returns.
use crate::common::*;
use kafka_playground::ids::NodeId;

#[test]
fn follower_that_stops_fetching_leaves_isr_after_replica_lag_time_max_ms() {
    let lag = 10_000;
    let mut c = cluster(7, 3, &[("replica.lag.time.max.ms", v(lag))], &[("acks", v("1"))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "before", 1);
    c.run(1_000);
    assert_eq!(c.isr("orders"), vec![1, 2, 3]);

    // Broker 3 can no longer reach the leader; new data arrives on the leader.
    c.cut(NodeId::Broker(1), NodeId::Broker(3));
    let cut_at = c.now();
    c.produce("orders", "after-cut", 1);
    c.run(lag - 1_000);
    assert_eq!(c.isr("orders"), vec![1, 2, 3], "still in the ISR before replica.lag.time.max.ms");
    // The leader checks every replica.lag.time.max.ms / 2: out within lag + lag/2.
    let left = c.run_until(|s| s.controller.partitions.values().all(|p| p.isr == vec![1, 2]), lag / 2 + 2_000);
    assert!(left, "broker 3 did not leave the ISR:\n{}", c.dump_events());
    let shrunk_after = c.now() - cut_at;
    assert!(shrunk_after > lag - 600 && shrunk_after <= lag + lag / 2 + 100, "left after {shrunk_after} ms");
    assert_eq!(c.events_matching("shrinks ISR of orders-0 from [1,2,3] to [1,2]").len(), 1);

    // Healed: its lost fetch times out after replica.socket.timeout.ms (30 s), the next one
    // catches it up to the HW and the epoch start, and it rejoins.
    c.apply(kafka_playground::Command::HealAll);
    assert!(c.run_until(|s| s.controller.partitions.values().all(|p| p.isr == vec![1, 2, 3]), 32_000), "broker 3 did not rejoin");
    assert_eq!(c.events_matching("expands ISR of orders-0 from [1,2] to [1,2,3]").len(), 1);
    c.assert_no_violations();
}

#[test]
fn caught_up_follower_that_stops_fetching_stays_in_isr_while_no_new_data_arrives() {
    let mut c = cluster(8, 3, &[("replica.lag.time.max.ms", v(10_000))], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "x", 3);
    c.run(2_000);
    c.cut(NodeId::Broker(1), NodeId::Broker(3));
    // Kafka's isCaughtUp: leader LEO == follower LEO ⇒ in sync, however long ago it fetched.
    c.run(60_000);
    assert_eq!(c.isr("orders"), vec![1, 2, 3]);
    // The first new record makes its lag visible: out within lag + lag/2.
    c.apply(kafka_playground::Command::SetProducerConfig { key: "acks".into(), value: v("1") });
    c.produce("orders", "y", 1);
    c.run(16_000);
    assert_eq!(c.isr("orders"), vec![1, 2]);
    c.assert_no_violations();
}

#[test]
fn high_watermark_reaches_followers_one_fetch_later() {
    let mut c = cluster(9, 3, &[], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "m", 1);
    // The write is acknowledged once both followers fetched it and fetched again.
    assert!(c.run_until(
        |s| s.producer.sends.values().all(|x| matches!(x.outcome, kafka_playground::client::producer::SendOutcome::Acked { .. })),
        1_000
    ));
    assert_eq!(c.high_watermark(1, "orders"), 1, "leader HW covers the write");
    assert_eq!(c.log_end_offset(2, "orders"), 1);
    assert_eq!(c.high_watermark(2, "orders"), 0, "follower has the record but not yet the new HW");
    // Their next fetch returns when replica.fetch.wait.max.ms (500) expires, carrying HW 1.
    c.run(600);
    assert_eq!(c.high_watermark(2, "orders"), 1);
    assert_eq!(c.high_watermark(3, "orders"), 1);
    c.assert_no_violations();
}

#[test]
fn a_reader_sees_only_records_below_the_high_watermark() {
    use kafka_playground::Command;
    let mut c = cluster(10, 3, &[("replica.lag.time.max.ms", v(10_000))], &[("acks", v("1"))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::StartReader { topic: "orders".into(), partition: 0 });
    c.produce("orders", "committed", 3);
    c.run(1_500);
    assert_eq!(c.sim().readers[&1].seen.len(), 3);
    // Both followers cut off: acks=1 writes land on the leader above the HW (ISR still [1,2,3]).
    c.cut(NodeId::Broker(1), NodeId::Broker(2));
    c.cut(NodeId::Broker(1), NodeId::Broker(3));
    c.produce("orders", "uncommitted", 4);
    c.run(2_000);
    assert_eq!(c.log_end_offset(1, "orders"), 7);
    assert_eq!(c.high_watermark(1, "orders"), 3);
    assert_eq!(c.sim().readers[&1].seen.len(), 3, "records above the HW are invisible to consumers");
    // Healed: followers fetch them, the HW moves, the reader sees them.
    c.apply(Command::HealAll);
    c.run(35_000);
    assert_eq!(c.high_watermark(1, "orders"), 7);
    let offsets: Vec<i64> = c.sim().readers[&1].seen.iter().map(|s| s.offset).collect();
    assert_eq!(offsets, (0..7).collect::<Vec<_>>());
    c.assert_no_violations();
}

#[test]
fn after_an_unclean_election_the_checker_reports_records_a_consumer_saw_that_are_gone() {
    use kafka_playground::Command;
    let mut c =
        cluster(15, 3, &[("replica.lag.time.max.ms", v(5_000)), ("unclean.leader.election.enable", v(true))], &[("acks", v("all"))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::StartReader { topic: "orders".into(), partition: 0 });
    c.cut(NodeId::Broker(1), NodeId::Broker(2));
    c.cut(NodeId::Broker(1), NodeId::Broker(3));
    c.produce("orders", "only-on-leader", 3);
    c.run(12_000); // ISR shrinks to [1]; min.insync.replicas=1 commits them; the reader reads them
    assert_eq!(c.sim().readers[&1].seen.len(), 3);
    c.apply(Command::Isolate { node: NodeId::Broker(1) });
    c.crash(1);
    c.run(12_000);
    assert!(c.cs.checker.names().contains("ConsumerSawReplacedRecord"), "{:?}", c.cs.checker.violations);
}

/// A healthy follower in another region (RTT ≈ 1.9 s) and a producer burst of 6 000 records
/// (acks=1). It fetches all the time, 500 records a fetch, and is caught up within
/// `replica.lag.time.max.ms` (30 s) — but for ≈ 19 s it is more than 1 000 messages behind.
fn burst_to_a_distant_follower(legacy_max_messages: Option<i64>) -> Cluster {
    use kafka_playground::Command;
    let mut config = vec![];
    if let Some(n) = legacy_max_messages {
        config.push(("replica.lag.max.messages", v(n)));
    }
    let mut c = cluster(21, 3, &config, &[("acks", v("1"))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SlowLink { from: NodeId::Broker(1), to: NodeId::Broker(3), extra_latency_ms: 950, one_way: false });
    c.produce("orders", "warm-up", 1);
    c.run(5_000);
    assert_eq!(c.isr("orders"), vec![1, 2, 3]);
    c.produce("orders", "burst", 6_000);
    c
}

#[test]
fn a_burst_larger_than_replica_lag_max_messages_evicts_a_healthy_follower_under_the_legacy_rule() {
    let mut c = burst_to_a_distant_follower(Some(1_000));
    let out = c.run_until(|s| s.controller.partitions.values().all(|p| p.isr == vec![1, 2]), 20_000);
    assert!(out, "broker 3 stayed in the ISR:\n{}", c.dump_events());
    let shrink = c.events_matching("shrinks ISR of orders-0 from [1,2,3] to [1,2]");
    assert_eq!(shrink.len(), 1, "{shrink:?}");
    assert!(shrink[0].contains("replica.lag.max.messages=1000 (LEGACY pre-0.9 rule"), "{}", shrink[0]);
    // It was never stuck: it keeps fetching, catches up and rejoins (and may flap on the next burst).
    assert!(c.run_until(|s| s.controller.partitions.values().all(|p| p.isr == vec![1, 2, 3]), 30_000), "broker 3 did not rejoin");
    assert_eq!(c.log_end_offset(3, "orders"), 6_001);
    c.assert_no_violations();
}

#[test]
fn the_same_burst_leaves_the_isr_alone_under_replica_lag_time_max_ms_only() {
    for legacy in [None, Some(0)] {
        let mut c = burst_to_a_distant_follower(legacy);
        c.run(40_000);
        assert!(c.events_matching("shrinks ISR").is_empty(), "{}", c.dump_events());
        assert_eq!(c.isr("orders"), vec![1, 2, 3]);
        assert_eq!(c.log_end_offset(3, "orders"), 6_001, "the follower caught up");
        c.assert_no_violations();
    }
}
