//! Partition reassignment (KIP-455) as Kafka 4.x's controller runs it: the new replicas are added
//! to the replica list, catch up as followers, join the ISR, and the change that completes the ISR
//! removes the old replicas (moving leadership if the leader is one of them). Raising or lowering
//! the replication factor is a reassignment. Rules: `src/controller/reassignment.rs`.

use crate::common::*;
use kafka_playground::command::Command;
use kafka_playground::errors::KafkaError;
use kafka_playground::ids::{NodeId, TopicPartition};

fn reassign(c: &mut Cluster, topic: &str, replicas: Option<&[i32]>) -> Result<(), kafka_playground::errors::CommandError> {
    c.cs.apply(Command::AlterPartitionReassignments {
        topic: topic.into(),
        partition: 0,
        replicas: replicas.map(|r| r.to_vec()),
        throttle: None,
    })
}

fn hosts(c: &Cluster, broker: i32, topic: &str) -> bool {
    let tp = TopicPartition::new(topic, 0);
    c.sim().brokers[&broker].process.as_ref().is_some_and(|p| p.partitions.contains_key(&tp) && p.disk.logs.contains_key(&tp))
}

fn sorted(mut v: Vec<i32>) -> Vec<i32> {
    v.sort_unstable();
    v
}

/// Four brokers, `orders` on [1, 2, 3] led by 1, acks=all with min.insync.replicas=2, 200 records in.
fn four_brokers_with_orders_on_1_2_3() -> Cluster {
    let mut c = cluster(31, 4, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "before", 200);
    c.run(2_000);
    assert_eq!(c.acked_values().len(), 200);
    c
}

#[test]
fn reassigning_1_2_3_to_2_3_4_adds_4_catches_it_up_joins_it_to_the_isr_then_removes_1_and_moves_leadership() {
    let mut c = four_brokers_with_orders_on_1_2_3();
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 200.0, keys: 0 });
    c.run(1_000);
    let epoch_before = c.partition("orders").leader_epoch;
    reassign(&mut c, "orders", Some(&[2, 3, 4])).unwrap();

    // The start: target first, then the replica being removed; 4 is adding, 1 removing; the leader stays.
    let p = c.partition("orders");
    assert_eq!((p.replicas.clone(), p.adding_replicas.clone(), p.removing_replicas.clone()), (vec![2, 3, 4, 1], vec![4], vec![1]));
    assert_eq!((p.leader, p.leader_epoch), (1, epoch_before), "adding a replica does not bump the leader epoch");
    let describe = c.sim().describe(Some("orders"));
    assert!(describe.contains("Replicas: 2,3,4,1\tIsr: 1,2,3\tAdding Replicas: 4\tRemoving Replicas: 1"), "{describe}");
    assert!(describe.contains("ReplicationFactor: 3"), "RF is replicas minus adding: {describe}");
    assert_eq!(c.sim().controller.list_partition_reassignments().len(), 1);

    // Broker 4 fetches from the leader and joins the ISR; that same change completes the move.
    assert!(c.run_until(|s| !s.controller.partitions[&TopicPartition::new("orders", 0)].is_reassigning(), 10_000), "never completed");
    let p = c.partition("orders");
    assert_eq!(p.replicas, vec![2, 3, 4]);
    assert_eq!(sorted(p.isr.clone()), vec![2, 3, 4]);
    assert_eq!(p.leader, 2, "leader 1 is removed: the first target replica in the ISR leads");
    assert_eq!(p.leader_epoch, epoch_before + 1);
    assert!(c.sim().controller.list_partition_reassignments().is_empty());
    let joined = c.events_matching("expands ISR of orders-0 from [1,2,3] to [1,2,3,4]");
    let completed = c.events_matching("completes reassignment of orders-0");
    assert_eq!((joined.len(), completed.len()), (1, 1), "{:?}", c.events_matching("orders-0"));
    assert!(completed[0].contains("leadership moves 1 → 2"), "{}", completed[0]);

    // Broker 1 learns it is no longer a replica and deletes its copy; broker 4 has every record.
    assert!(c.run_until(|s| s.brokers[&1].process.as_ref().is_some_and(|p| p.partitions.is_empty()), 2_000));
    assert!(!hosts(&c, 1, "orders") && hosts(&c, 4, "orders"));
    c.run(2_000);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(3_000);
    assert_eq!(c.log_end_offset(4, "orders"), c.log_end_offset(2, "orders"), "the new replica has the leader's log");
    assert!(c.lost().is_empty(), "no acknowledged write lost: {:?}", c.lost());
    let producer = &c.sim().producer;
    assert!(
        producer.acked_count >= 200 + 3 * 200 - 10,
        "the workload kept being acknowledged through the move: {} acked",
        producer.acked_count
    );
    assert_eq!(producer.failed_count, 0, "retried, never failed: {:?}", c.failed());
}

#[test]
fn cancelling_midway_takes_the_adding_replica_out_and_keeps_kafkas_reverted_order() {
    let mut c = four_brokers_with_orders_on_1_2_3();
    // Broker 4 cannot reach the leader: the move cannot finish.
    c.cut(NodeId::Broker(4), NodeId::Broker(1));
    reassign(&mut c, "orders", Some(&[2, 3, 4])).unwrap();
    c.run(5_000);
    let p = c.partition("orders");
    assert_eq!((p.adding_replicas.clone(), sorted(p.isr.clone())), (vec![4], vec![1, 2, 3]), "4 has not joined");
    let epoch = p.leader_epoch;

    reassign(&mut c, "orders", None).unwrap();
    let p = c.partition("orders");
    // PartitionReassignmentRevert: the current list without the adding replicas. The set is
    // [1, 2, 3] again; the order is [2, 3, 1], not the original [1, 2, 3].
    assert_eq!(p.replicas, vec![2, 3, 1]);
    assert!(p.adding_replicas.is_empty() && p.removing_replicas.is_empty());
    assert_eq!((p.leader, p.leader_epoch), (1, epoch + 1), "leader 1 stays; dropping replica 4 bumps the epoch");
    c.run(1_000);
    assert!(!hosts(&c, 4, "orders"), "broker 4 deleted its partial copy");
    assert_eq!(c.events_matching("cancels reassignment of orders-0").len(), 1);

    // Nothing left to cancel.
    let e = reassign(&mut c, "orders", None).unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (KafkaError::NO_REASSIGNMENT_IN_PROGRESS, "replicas"));
}

#[test]
fn raising_the_replication_factor_from_1_to_3_and_lowering_it_to_2_are_reassignments() {
    let mut c = cluster(32, 3, &[], &[("acks", all())]);
    c.topic("events", &[&[1]], &[]);
    c.produce("events", "rf1", 100);
    c.run(1_000);

    reassign(&mut c, "events", Some(&[1, 2, 3])).unwrap();
    let p = c.partition("events");
    assert_eq!((p.replicas.clone(), p.adding_replicas.clone(), p.removing_replicas.clone()), (vec![1, 2, 3], vec![2, 3], vec![]));
    assert!(c.run_until(|s| !s.controller.partitions[&TopicPartition::new("events", 0)].is_reassigning(), 10_000));
    let p = c.partition("events");
    assert_eq!((p.replicas.clone(), sorted(p.isr.clone()), p.leader), (vec![1, 2, 3], vec![1, 2, 3], 1));
    assert!(c.sim().describe(Some("events")).contains("ReplicationFactor: 3"));
    c.run(1_000);
    assert_eq!((c.log_end_offset(2, "events"), c.log_end_offset(3, "events")), (100, 100));

    // 3 → 2: nothing to catch up, so the move completes in the same change that starts it.
    let epoch = c.partition("events").leader_epoch;
    reassign(&mut c, "events", Some(&[1, 2])).unwrap();
    let p = c.partition("events");
    assert_eq!((p.replicas.clone(), sorted(p.isr.clone()), p.is_reassigning()), (vec![1, 2], vec![1, 2], false));
    assert_eq!(p.leader_epoch, epoch + 1, "a replica dropped: the leader epoch is bumped");
    c.run(1_000);
    assert!(!hosts(&c, 3, "events"));
    assert!(c.sim().describe(Some("events")).contains("ReplicationFactor: 2"));
    assert!(c.lost().is_empty());
}

#[test]
fn a_bad_reassignment_is_refused_with_kafkas_error_and_changes_nothing() {
    let mut c = four_brokers_with_orders_on_1_2_3();
    let before = c.partition("orders");
    /// (topic, target, error, field, part of the message)
    type Case<'a> = (&'a str, Option<&'a [i32]>, KafkaError, &'a str, &'a str);
    let cases: [Case; 4] = [
        (
            "orders",
            Some(&[1, 2, 9]),
            KafkaError::INVALID_REPLICA_ASSIGNMENT,
            "replicas",
            "includes broker 9, but no such broker is registered",
        ),
        ("orders", Some(&[2, 2, 3]), KafkaError::INVALID_REPLICA_ASSIGNMENT, "replicas", "includes the broker 2 more than once"),
        ("orders", Some(&[]), KafkaError::INVALID_REPLICA_ASSIGNMENT, "replicas", "empty replica list"),
        ("nope", Some(&[1, 2, 3]), KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topic", "Unable to find a topic named nope"),
    ];
    for (topic, replicas, error, field, message) in cases {
        let e = reassign(&mut c, topic, replicas).unwrap_err();
        assert_eq!((e.error, e.field.as_str()), (error, field), "{topic} {replicas:?}: {e}");
        assert!(e.message.contains(message), "{}", e.message);
    }
    let e =
        c.cs.apply(Command::AlterPartitionReassignments { topic: "orders".into(), partition: 7, replicas: Some(vec![1]), throttle: None })
            .unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "partition"));
    assert_eq!(c.partition("orders"), before);
    // The same command from JSON, as the page and scenario files send it.
    let cmd = Command::from_json(r#"{"type":"alter_partition_reassignments","topic":"orders","partition":0,"replicas":[2,3,4]}"#).unwrap();
    assert_eq!(
        cmd,
        Command::AlterPartitionReassignments { topic: "orders".into(), partition: 0, replicas: Some(vec![2, 3, 4]), throttle: None }
    );
    let e = Command::from_json(r#"{"type":"alter_partition_reassignments","topic":"orders","partition":0,"replicas":"2,3"}"#).unwrap_err();
    assert!(e.contains("a sequence"), "{e}");
}

#[test]
fn a_throttled_move_runs_at_the_throttle_once_kafkas_ten_second_window_has_filled() {
    let mut c = cluster(33, 4, &[], &[("acks", all()), ("batch.size", v(1_000_000)), ("linger.ms", v(0))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    for i in 0..4 {
        c.produce("orders", &format!("payload-{i}"), 50_000);
        c.run(2_000);
    }
    let tp = TopicPartition::new("orders", 0);
    let log = &c.sim().brokers[&1].disk().logs[&tp];
    let bytes: u64 = log.records_in(log.log_start_offset(), log.log_end_offset()).map(kafka_playground::log::segment::stored_size).sum();
    let rate: i64 = 20_000;
    // kafka-reassign-partitions.sh --execute --throttle 20000: the rates on every broker of the
    // move, its current replicas throttled as leaders, the added one as a follower.
    let start = c.now();
    c.apply(Command::AlterPartitionReassignments {
        topic: "orders".into(),
        partition: 0,
        replicas: Some(vec![2, 3, 4]),
        throttle: Some(rate),
    });
    let topic_config = &c.sim().controller.topics["orders"].overrides;
    assert_eq!(topic_config["leader.replication.throttled.replicas"], "0:1,0:2,0:3");
    assert_eq!(topic_config["follower.replication.throttled.replicas"], "0:4");
    for b in 1..=4 {
        let config = &c.sim().brokers[&b].config;
        assert_eq!((config.leader_replication_throttled_rate, config.follower_replication_throttled_rate), (rate, rate));
    }
    // Halfway: the panel's view says how far broker 4 has come, and that it is throttled.
    c.run(100_000);
    let view = kafka_playground::page::reassignments_view::reassignments(c.sim());
    assert_eq!(view.len(), 1);
    let (r, p4) = (&view[0], &view[0].progress[0]);
    assert_eq!((r.from.clone(), r.to.clone(), r.adding.clone(), r.removing.clone()), (vec![2, 3, 1], vec![2, 3, 4], vec![4], vec![1]));
    assert!(p4.throttled && !p4.in_isr && p4.percent > 30.0 && p4.percent < 70.0, "{p4:?}");
    assert!(p4.text.contains("throttled to 20.0 kB/s"), "{}", p4.text);
    assert!(r.waiting_for.starts_with("broker 4 to join the ISR; then [1] leaves"), "{}", r.waiting_for);
    assert!(c.run_until(|s| !s.controller.partitions[&tp].is_reassigning(), 600_000), "never completed");
    let took = c.now() - start;
    // Kafka's Rate counts at least 10 s of window, so about ten seconds' worth goes at once and the
    // rest at the throttle: never faster than bytes / rate - 10 s. It runs a little slower: a
    // follower held back asks again only after replica.fetch.backoff.ms (1 s), and a leader holds
    // a throttled fetch for replica.fetch.wait.max.ms (measured: +2 % with only the leader side
    // throttled, +6.6 % with the follower side).
    let expected = (bytes as i64 * 1000 / rate) - 10_000;
    assert!(expected > 30_000, "enough bytes for the throttle to matter: {bytes} B");
    assert!(
        took >= expected - 1_000 && took <= expected * 11 / 10,
        "moved {bytes} B at {rate} B/s in {took} ms; expected {expected} ms to +10 %"
    );

    // Without the throttle the same move takes well under a second.
    let mut fast = cluster(33, 4, &[], &[("acks", all()), ("batch.size", v(1_000_000)), ("linger.ms", v(0))]);
    fast.topic("orders", &[&[1, 2, 3]], &[]);
    for i in 0..4 {
        fast.produce("orders", &format!("payload-{i}"), 50_000);
        fast.run(2_000);
    }
    let start = fast.now();
    reassign(&mut fast, "orders", Some(&[2, 3, 4])).unwrap();
    assert!(fast.run_until(|s| !s.controller.partitions[&tp].is_reassigning(), 60_000));
    assert!(fast.now() - start < (took - expected).max(5_000), "unthrottled: {} ms (500 records a fetch)", fast.now() - start);
}
