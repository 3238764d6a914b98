//! Adding partitions (`kafka-topics.sh --alter --partitions`, CreatePartitions): the new
//! partitions are placed and created as a new topic's; Kafka does not keep a key on its
//! partition: the producer's partitioner maps it by murmur2(key) % the new count once its
//! metadata shows the new partitions, and the group's leader rebalances
//! (ConsumerCoordinator: "cached metadata has changed").

use crate::common::*;
use kafka_playground::client::partitioner::partition_for_key;
use kafka_playground::command::Command;
use kafka_playground::errors::KafkaError;
use kafka_playground::ids::TopicPartition;

#[test]
fn adding_partitions_3_to_6_moves_exactly_the_keys_whose_murmur2_mod_6_differs() {
    let mut c = cluster(81, 3, &[], &[("metadata.max.age.ms", v(5_000))]);
    c.apply(Command::CreateTopic {
        name: "orders".into(),
        partitions: Some(3),
        replication_factor: Some(3),
        config: Default::default(),
        assignment: None,
    });
    c.run(2_000);
    c.apply(Command::CreatePartitions { topic: "orders".into(), count: 6 });
    c.run(1_000);
    assert_eq!(c.sim().controller.partition_count("orders"), Some(6));
    for p in 3..6 {
        let st = &c.sim().controller.partitions[&TopicPartition::new("orders", p)];
        assert_eq!(st.replicas.len(), 3, "RF of the first partition");
        assert_eq!(st.isr.len(), 3);
    }
    assert_eq!(c.events_matching("adds partitions to orders: 3 -> 6").len(), 1);
    // Once the producer's metadata is refreshed, keys go where murmur2 % 6 says.
    c.run(6_000);
    let keys: Vec<String> = (0..12).map(|i| format!("k{i}")).collect();
    let moved: Vec<&String> = keys.iter().filter(|k| partition_for_key(k.as_bytes(), 3) != partition_for_key(k.as_bytes(), 6)).collect();
    // murmur2 % 6 keeps a key on its partition iff it maps below 3 with the same value.
    assert!(!moved.is_empty() && moved.len() < keys.len(), "{moved:?}");
    for k in &keys {
        c.apply(Command::Produce {
            topic: "orders".into(),
            partition: None,
            key: Some(k.clone()),
            value: Some(format!("v-{k}")),
            count: 1,
            tombstone: false,
        });
    }
    c.run(3_000);
    for k in &keys {
        let want = partition_for_key(k.as_bytes(), 6);
        let tp = TopicPartition::new("orders", want);
        let leader = c.sim().controller.partitions[&tp].leader;
        let log = &c.sim().brokers[&leader].disk().logs[&tp];
        let found = log.read(0, log.log_end_offset(), 1000).iter().any(|r| r.key.as_deref() == Some(k.as_str()));
        assert!(found, "key {k} is on orders-{want} (murmur2 % 6), not on orders-{} any more", partition_for_key(k.as_bytes(), 3));
    }
    // Kafka's errors.
    for (count, msg) in
        [(6, "Topic already has 6 partition(s)."), (4, "The topic orders currently has 6 partition(s); 4 would not be an increase.")]
    {
        let e = c.cs.apply(Command::CreatePartitions { topic: "orders".into(), count }).unwrap_err();
        assert_eq!((e.error, e.message.as_str()), (KafkaError::INVALID_PARTITIONS, msg));
    }
    let e = c.cs.apply(Command::CreatePartitions { topic: "nope".into(), count: 4 }).unwrap_err();
    assert_eq!(e.error, KafkaError::UNKNOWN_TOPIC_OR_PARTITION);
}

#[test]
fn the_group_leader_rebalances_when_its_topic_gains_partitions() {
    let mut c = cluster(82, 3, &[], &[]);
    c.apply(Command::CreateTopic {
        name: "orders".into(),
        partitions: Some(2),
        replication_factor: Some(3),
        config: Default::default(),
        assignment: None,
    });
    c.run(1_000);
    let cfg: std::collections::BTreeMap<String, serde_json::Value> = [("metadata.max.age.ms".to_string(), v(5_000))].into_iter().collect();
    c.apply(Command::StartConsumer { group_id: "g".into(), topics: vec!["orders".into()], config: cfg.clone() });
    c.apply(Command::StartConsumer { group_id: "g".into(), topics: vec!["orders".into()], config: cfg });
    c.run(15_000);
    let owned = |c: &Cluster| c.sim().consumers.values().map(|x| x.assignment.len()).sum::<usize>();
    assert_eq!(owned(&c), 2);
    c.apply(Command::CreatePartitions { topic: "orders".into(), count: 4 });
    assert!(c.run_until(|s| s.consumers.values().map(|x| x.assignment.len()).sum::<usize>() == 4, 30_000), "{}", c.dump_events());
    assert_eq!(
        c.events_matching("cached metadata has changed from orders=2 at the beginning of the rebalance to orders=4").len(),
        1,
        "{}",
        c.dump_events()
    );
}
