//! Brokers joining and leaving a running cluster: a new broker registers and holds nothing until a
//! reassignment moves replicas to it; `kafka-cluster.sh unregister` (UnregisterBroker) takes a broker
//! out of every ISR and forgets it — Kafka 4.x does not refuse one that still hosts replicas, which
//! then stay offline until moved (ReplicationControlManager.unregisterBroker). The decommission
//! that keeps every partition fully replicated: move the replicas away, shut it down, unregister.

use crate::common::*;
use kafka_playground::command::Command;
use kafka_playground::errors::KafkaError;
use kafka_playground::ids::TopicPartition;
use kafka_playground::sim::NodeStatus;

fn reassign(c: &mut Cluster, topic: &str, replicas: &[i32]) {
    c.apply(Command::AlterPartitionReassignments { topic: topic.into(), partition: 0, replicas: Some(replicas.to_vec()), throttle: None });
}

#[test]
fn a_broker_added_to_a_running_cluster_registers_holds_nothing_then_takes_a_moved_replica() {
    let mut c = cluster(41, 3, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "v", 50);
    c.run(1_000);
    c.apply(Command::AddBroker { broker: None, rack: None });
    assert!(c.run_until(|s| s.brokers.get(&4).is_some_and(|b| b.status() == NodeStatus::Online), 5_000), "broker 4 never came online");
    assert!(c.sim().controller.brokers.contains_key(&4));
    assert!(c.sim().brokers[&4].disk().logs.is_empty(), "a new broker holds no replica");
    reassign(&mut c, "orders", &[4, 2, 3]);
    assert!(c.run_until(|s| !s.controller.partitions[&TopicPartition::new("orders", 0)].is_reassigning(), 10_000));
    assert_eq!(c.partition("orders").replicas, vec![4, 2, 3]);
    assert_eq!(c.log_end_offset(4, "orders"), 50);
    // Ids are checked: taken, out of range, a rack on a cluster without racks.
    for (broker, rack, field) in [(Some(2), None, "broker"), (Some(5000), None, "broker"), (Some(7), Some("az-1".to_string()), "rack")] {
        let e = c.cs.apply(Command::AddBroker { broker, rack }).unwrap_err();
        assert_eq!(e.field, field, "{}", e.message);
    }
    assert!(c.lost().is_empty());
}

#[test]
fn unregistering_a_broker_that_still_hosts_replicas_leaves_them_offline_until_they_are_moved() {
    let mut c = cluster(42, 4, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "v", 20);
    c.run(1_000);
    // Unknown id: Kafka's BROKER_ID_NOT_REGISTERED.
    let e = c.cs.apply(Command::UnregisterBroker { broker: 9 }).unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (KafkaError::BROKER_ID_NOT_REGISTERED, "broker"));
    // Broker 1 (the leader) is shut down and unregistered without moving its replica first: allowed.
    c.apply(Command::ShutdownBroker { broker: 1 });
    c.run(3_000);
    c.apply(Command::UnregisterBroker { broker: 1 });
    assert!(!c.sim().controller.brokers.contains_key(&1));
    let p = c.partition("orders");
    assert_eq!(p.replicas, vec![1, 2, 3], "its replica stays in the list");
    assert!(!p.isr.contains(&1) && p.leader != 1);
    assert!(c.sim().describe(Some("orders")).contains("Replicas: 1,2,3"));
    assert_eq!(c.events_matching("although it still hosts replicas of orders-0").len(), 1);
    // The decommission finishes with a move: the partition is fully replicated again without broker 1.
    reassign(&mut c, "orders", &[2, 3, 4]);
    assert!(c.run_until(|s| !s.controller.partitions[&TopicPartition::new("orders", 0)].is_reassigning(), 10_000));
    let p = c.partition("orders");
    assert_eq!((p.replicas.clone(), p.isr.len()), (vec![2, 3, 4], 3));
    assert!(c.lost().is_empty());
}

#[test]
fn decommissioning_a_broker_moves_its_replicas_then_stops_and_unregisters_it_losing_nothing() {
    let mut c = cluster(93, 4, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 4], &[4, 3, 1], &[2, 3, 4], &[1, 2, 3]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 30.0, keys: 8 });
    c.run(3_000);
    c.apply(Command::DecommissionBroker { broker: 4 });
    assert_eq!(
        c.events_matching("decommission of broker 4 begins: 3 replica(s) to move").len(),
        1,
        "{:?}",
        c.events_matching("decommission")
    );
    assert!(c.run_until(|s| s.decommission.is_none(), 120_000), "{:?}", c.events_matching("decommission"));
    assert_eq!(c.events_matching("decommission of broker 4 done: moved, stopped, unregistered").len(), 1);
    let sim = c.sim();
    assert!(sim.controller.partitions.values().all(|p| !p.replicas.contains(&4) && !p.isr.contains(&4)));
    assert!(sim.controller.partitions.values().all(|p| p.replicas.len() == 3 && p.isr.len() == 3), "RF kept, ISRs full");
    assert!(!sim.controller.brokers.contains_key(&4), "unregistered");
    assert_eq!(sim.brokers[&4].status(), kafka_playground::sim::NodeStatus::Stopped);
    // orders-1 was led by broker 4: leadership moved with the move, before the shutdown.
    assert_ne!(sim.controller.partitions[&kafka_playground::ids::TopicPartition::new("orders", 1)].leader, 4);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(5_000);
    assert!(c.lost().is_empty());
    assert!(c.failed().is_empty(), "{:?}", c.failed());
    c.assert_no_violations();
}

#[test]
fn a_broker_cannot_be_decommissioned_when_no_other_broker_can_take_its_replicas() {
    let mut c = cluster(94, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    let e = c.cs.apply(Command::DecommissionBroker { broker: 3 }).unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (kafka_playground::errors::KafkaError::INVALID_REPLICA_ASSIGNMENT, "broker"));
    assert!(e.message.contains("add a broker first"), "{}", e.message);
    assert!(c.sim().controller.partitions.values().all(|p| !p.is_reassigning()), "nothing was started");
}
