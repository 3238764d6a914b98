//! Cluster behaviour beyond the durability stories: placement, describe,
//! validation, controlled shutdown, leader elections, zombies, checkpoints, flushes.
use crate::common::*;
use kafka_playground::command::ElectionType;
use kafka_playground::errors::KafkaError;
use kafka_playground::ids::{NodeId, TopicPartition};
use kafka_playground::sim::{BrokerSpec, ClusterSpec, Sim};
use kafka_playground::Command;
use std::collections::BTreeMap;

fn create(c: &mut Cluster, name: &str, partitions: u32, rf: u16) -> Result<(), kafka_playground::errors::CommandError> {
    c.cs.apply(Command::CreateTopic {
        name: name.into(),
        partitions: Some(partitions),
        replication_factor: Some(rf),
        config: BTreeMap::new(),
        assignment: None,
    })
}

#[test]
fn topics_are_placed_by_krafts_striped_placer_and_described_like_kafka_topics() {
    let mut c = cluster(21, 5, &[], &[]);
    create(&mut c, "orders", 10, 3).unwrap();
    c.run(1_000);
    let parts: Vec<Vec<i32>> = (0..10).map(|p| c.sim().controller.partitions[&TopicPartition::new("orders", p)].replicas.clone()).collect();
    // StripedReplicaPlacer: every round of 5 partitions has each of the 5 brokers lead once, and
    // every partition has 3 distinct brokers.
    for round in parts.chunks(5) {
        let mut leaders: Vec<i32> = round.iter().map(|r| r[0]).collect();
        leaders.sort();
        assert_eq!(leaders, vec![1, 2, 3, 4, 5], "each broker leads once per round: {parts:?}");
    }
    for r in &parts {
        let mut s = r.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 3, "{r:?}");
    }
    let d = c.sim().describe(Some("orders"));
    let first_line = d.lines().next().unwrap();
    // TopicCommand prints the topic's id (a Uuid: 22 URL-safe base64 characters) after its name.
    let id = first_line.split("\tTopicId: ").nth(1).expect("a TopicId").split('\t').next().unwrap();
    assert!(id.len() == 22 && id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'), "{id}");
    assert_eq!(first_line, format!("Topic: orders\tTopicId: {id}\tPartitionCount: 10\tReplicationFactor: 3\tConfigs: "));
    let p0 = &parts[0];
    let want = format!(
        "\tTopic: orders\tPartition: 0\tLeader: {}\tReplicas: {}\tIsr: {}\tElr: \tLastKnownElr: ",
        p0[0],
        p0.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(","),
        p0.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",")
    );
    assert_eq!(d.lines().nth(1).unwrap(), want);
    c.assert_no_violations();
}

fn crash_and_wait_fenced(c: &mut Cluster, broker: i32) {
    c.cs.apply(Command::CrashBroker { broker, keep_page_cache: false }).unwrap();
    c.run(12_000); // past broker.session.timeout.ms=9000
    assert!(c.sim().controller.brokers[&broker].fenced, "broker {broker} is fenced");
}

#[test]
fn a_topic_created_while_a_broker_is_fenced_never_gets_it_as_a_leader_and_gets_it_only_when_the_others_are_used_up() {
    let mut c = cluster(24, 4, &[], &[]);
    crash_and_wait_fenced(&mut c, 2);
    create(&mut c, "t", 12, 3).unwrap();
    let parts: Vec<Vec<i32>> = (0..12).map(|p| c.sim().controller.partitions[&TopicPartition::new("t", p)].replicas.clone()).collect();
    assert!(parts.iter().all(|r| r[0] != 2), "a fenced broker never leads a new partition: {parts:?}");
    // Three unfenced brokers and RF 3: every partition takes all three, never the fenced one.
    assert!(parts.iter().all(|r| !r.contains(&2)), "the fenced broker is only used once the unfenced ones run out: {parts:?}");
    // RF 4 needs the fenced broker, as the last replica of every partition; it is out of the ISR.
    create(&mut c, "u", 3, 4).unwrap();
    for p in 0..3 {
        let st = &c.sim().controller.partitions[&TopicPartition::new("u", p)];
        assert_eq!(st.replicas[3], 2, "{:?}", st.replicas);
        assert!(!st.isr.contains(&2), "ISR {:?}", st.isr);
    }
    c.assert_no_violations();
}

#[test]
fn the_legacy_admin_utils_placement_walks_the_live_brokers_round_robin() {
    let mut c = cluster(25, 5, &[("sim.replica.placement", v("admin-utils"))], &[]);
    create(&mut c, "orders", 10, 3).unwrap();
    let firsts: Vec<i32> = (0..10).map(|p| c.sim().controller.partitions[&TopicPartition::new("orders", p)].replicas[0]).collect();
    for w in firsts.windows(2) {
        assert_eq!(w[1], w[0] % 5 + 1, "first replicas go round-robin: {firsts:?}");
    }
    // ZooKeeper's /brokers/ids held live brokers only: a fenced (dead) broker gets no replica.
    crash_and_wait_fenced(&mut c, 3);
    create(&mut c, "later", 8, 3).unwrap();
    for p in 0..8 {
        assert!(!c.sim().controller.partitions[&TopicPartition::new("later", p)].replicas.contains(&3));
    }
}

#[test]
fn rack_aware_placement_puts_every_replica_of_a_partition_on_a_different_rack() {
    let mut spec = ClusterSpec::new(22, 6);
    spec.brokers = (1..=6).map(|id| BrokerSpec { id, rack: Some(format!("rack-{}", (id - 1) % 3)) }).collect();
    let mut sim = Sim::new(spec).unwrap();
    assert!(sim.run_until_brokers_online(10_000));
    sim.apply(Command::CreateTopic {
        name: "t".into(),
        partitions: Some(12),
        replication_factor: Some(3),
        config: BTreeMap::new(),
        assignment: None,
    })
    .unwrap();
    for p in sim.controller.partitions.values() {
        let mut racks: Vec<i32> = p.replicas.iter().map(|b| (b - 1) % 3).collect();
        racks.sort();
        assert_eq!(racks, vec![0, 1, 2], "{:?}", p.replicas);
    }
}

#[test]
fn invalid_topics_and_commands_are_refused_with_kafkas_error_and_the_field() {
    let mut c = cluster(23, 3, &[], &[]);
    let e = create(&mut c, "t", 1, 4).unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor"));
    let e = create(&mut c, "bad name!", 1, 1).unwrap_err();
    assert_eq!(e.error, KafkaError::INVALID_TOPIC_EXCEPTION);
    create(&mut c, "t", 1, 3).unwrap();
    assert_eq!(create(&mut c, "t", 1, 3).unwrap_err().error, KafkaError::TOPIC_ALREADY_EXISTS);
    let e =
        c.cs.apply(Command::CreateTopic {
            name: "u".into(),
            partitions: Some(1),
            replication_factor: Some(1),
            config: [("min.insync.replicas".to_string(), v(0))].into(),
            assignment: None,
        })
        .unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (KafkaError::INVALID_CONFIG, "min.insync.replicas"));
    let e = c.cs.apply(Command::CrashBroker { broker: 9, keep_page_cache: false }).unwrap_err();
    assert_eq!(e.field, "broker");
    let e =
        c.cs.apply(Command::Produce { tombstone: false, topic: "nope".into(), partition: None, key: None, value: None, count: 1 })
            .unwrap_err();
    assert_eq!(e.error, KafkaError::UNKNOWN_TOPIC_OR_PARTITION);
    let e = c.cs.apply(Command::Run { ms: -5 }).unwrap_err();
    assert_eq!(e.field, "ms");
    let e = c.cs.apply(Command::SetBrokerConfig { broker: None, key: "replica.lag.time.max.ms".into(), value: v("soon") }).unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (KafkaError::INVALID_CONFIG, "replica.lag.time.max.ms"));
    let e = c.cs.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Reader(7), one_way: false }).unwrap_err();
    assert_eq!(e.field, "to");
}

#[test]
fn controlled_shutdown_moves_leadership_before_the_broker_stops() {
    let mut c = cluster(24, 3, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "a", 5);
    c.run(1_000);
    let t0 = c.now();
    c.apply(Command::ShutdownBroker { broker: 1 });
    assert!(c.run_until(|s| s.brokers[&1].process.is_none(), 5_000), "broker 1 did not stop");
    // BrokerHeartbeatManager grants it on a later heartbeat once every active broker has reported
    // (in its own heartbeat, every broker.heartbeat.interval.ms = 2 s) the metadata that moved the
    // leaderships: at most about one heartbeat interval, never a session timeout.
    assert!(c.now() - t0 <= 2_200, "granted after {} ms", c.now() - t0);
    assert!(c.events_matching("grants broker 1 its controlled shutdown and fences it").len() == 1, "{}", c.dump_events());
    c.run(12_000);
    assert!(c.events_matching("fences broker 1: no heartbeat").is_empty(), "no session-timeout fencing after the grant");
    assert_eq!(c.leader("orders"), Some(2));
    assert_eq!(c.isr("orders"), vec![2, 3]);
    c.produce("orders", "b", 5);
    c.run(1_000);
    assert_eq!(c.acked_values().len(), 10);
    // It restarts cleanly, catches up and rejoins; preferred election gives it leadership back.
    c.apply(Command::RestartBroker { broker: 1 });
    assert!(c.run_until(|s| s.controller.partitions.values().all(|p| p.isr.len() == 3), 5_000));
    c.apply(Command::ElectLeaders { topic: "orders".into(), partition: 0, election_type: ElectionType::Preferred });
    c.run(100);
    assert_eq!(c.leader("orders"), Some(1));
    assert_eq!(c.partition("orders").leader_epoch, 2);
    let e = c.cs.apply(Command::ElectLeaders { topic: "orders".into(), partition: 0, election_type: ElectionType::Preferred }).unwrap_err();
    assert_eq!(e.error, KafkaError::ELECTION_NOT_NEEDED);
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn auto_leader_rebalance_returns_leadership_to_the_preferred_replica() {
    let mut c = cluster(25, 3, &[("leader.imbalance.check.interval.seconds", v(30))], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.crash(1);
    c.run(10_000);
    assert_eq!(c.leader("orders"), Some(2));
    c.apply(Command::RestartBroker { broker: 1 });
    c.run(5_000);
    assert_eq!(c.leader("orders"), Some(2), "no rebalance before the next check");
    c.run(30_000);
    assert_eq!(c.leader("orders"), Some(1));
    assert_eq!(c.events_matching("auto leader rebalance").len(), 1);
    c.assert_no_violations();
}

#[test]
fn a_paused_leader_is_fenced_and_replaced_and_learns_it_is_a_follower_when_it_wakes() {
    let mut c = cluster(26, 3, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "before", 3);
    c.run(1_000);
    c.apply(Command::PauseBroker { broker: 1, ms: Some(15_000) });
    c.run(10_000);
    assert_eq!(c.leader("orders"), Some(2));
    assert_eq!(c.partition("orders").leader_epoch, 1);
    c.produce("orders", "during", 3);
    c.run(8_000);
    // Awake again: metadata tells it about epoch 1; it follows broker 2 and catches up.
    let b1 = c.sim().brokers[&1].process.as_ref().unwrap();
    let p = &b1.partitions[&TopicPartition::new("orders", 0)];
    assert!(!p.is_leader());
    assert_eq!((p.leader, p.leader_epoch), (2, 1));
    assert!(c.run_until(|s| s.controller.partitions.values().all(|p| p.isr.len() == 3), 35_000));
    assert_eq!(c.log_end_offset(1, "orders"), 6);
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn a_restarted_broker_starts_from_its_older_checkpointed_high_watermark() {
    let mut c = cluster(27, 3, &[], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "a", 5);
    c.run(6_000); // a checkpoint (every 5000 ms) has HW 5 by now
    c.produce("orders", "b", 5);
    c.run(700);
    assert_eq!(c.high_watermark(2, "orders"), 10);
    c.apply(Command::CrashBroker { broker: 2, keep_page_cache: true });
    c.apply(Command::RestartBroker { broker: 2 });
    assert_eq!(c.log_end_offset(2, "orders"), 10, "kill -9 keeps the page cache");
    assert_eq!(c.high_watermark(2, "orders"), 5, "the HW comes from replication-offset-checkpoint");
    let file = &c.sim().brokers[&2].disk().files["replication-offset-checkpoint"];
    assert_eq!(file, "0\n1\norders 0 5\n");
    c.assert_no_violations();
}

#[test]
fn a_power_loss_keeps_only_what_was_flushed() {
    let run = |flush_every: Option<i64>| {
        let mut cfg = vec![];
        if let Some(n) = flush_every {
            cfg.push(("log.flush.interval.messages", v(n)));
        }
        let mut c = cluster(28, 3, &cfg, &[("acks", all())]);
        c.topic("orders", &[&[1, 2, 3]], &[]);
        c.produce("orders", "a", 5);
        c.run(1_000);
        c.crash(3);
        c.log_end_offset(3, "orders")
    };
    assert_eq!(run(None), 0, "Kafka's defaults never fsync: the OS had not written the page cache yet");
    assert_eq!(run(Some(1)), 5, "log.flush.interval.messages=1 fsyncs every append");
}

#[test]
fn the_os_writes_the_page_cache_back_after_sim_os_flush_interval_ms() {
    let mut c = cluster(29, 3, &[("sim.os.flush.interval.ms", v(2_000))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "a", 5);
    c.run(2_500);
    c.crash(3);
    assert_eq!(c.log_end_offset(3, "orders"), 5);
}

#[test]
fn followers_fetch_at_once_from_a_leader_that_returns_soon_after_a_partition() {
    // The fetcher to a dead leader is shut down when its partitions move away
    // (ReplicaFetcherManager.shutdownIdleFetcherThreads); it must not wait for
    // replica.socket.timeout.ms when that broker leads again.
    let mut c = cluster(31, 3, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "a", 2);
    c.run(1_000);
    // Partitioned (no connection reset): the followers' fetches to broker 1 vanish.
    c.apply(Command::Isolate { node: NodeId::Broker(1) });
    c.run(10_000);
    assert_eq!(c.leader("orders"), Some(2));
    c.apply(Command::HealAll);
    assert!(c.run_until(|s| s.controller.partitions.values().all(|p| p.isr.len() == 3), 5_000));
    c.apply(Command::ElectLeaders { topic: "orders".into(), partition: 0, election_type: ElectionType::Preferred });
    c.run(50);
    assert_eq!(c.leader("orders"), Some(1));
    let t = c.now();
    c.produce("orders", "b", 1);
    assert!(c.run_until(
        |s| s.producer.sends.values().all(|x| matches!(x.outcome, kafka_playground::client::producer::SendOutcome::Acked { .. })),
        2_000
    ));
    assert!(c.now() - t < 1_000, "acknowledged after {} ms", c.now() - t);
    c.assert_no_violations();
}
