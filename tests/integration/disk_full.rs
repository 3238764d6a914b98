//! A disk that fills up or fails, from the study notes' "팔로워의 디스크 용량 부족" and "브로커
//! 디스크 꽉 참": the next write fails with KafkaStorageException, the broker's only log
//! directory goes offline and the broker halts ("Shutdown broker because all log dirs in ...
//! have failed", ReplicaManager/LogManager.handleLogDirFailure); the controller fences it when
//! its heartbeats stop, which takes it out of every ISR and moves its leaderships. A full disk
//! stays full across restarts until space is freed; a failed one until it is replaced.

use crate::common::*;
use kafka_playground::broker::disk::DiskHealth;
use kafka_playground::command::{Command, DiskFault};
use kafka_playground::sim::NodeStatus;

/// Three partitions with broker 3 in each (leader of orders-2), acks=all, min ISR 2, a workload.
fn cluster_with_traffic(seed: u64, extra: &[(&str, serde_json::Value)]) -> Cluster {
    let mut cfg = vec![("min.insync.replicas", v(2))];
    cfg.extend_from_slice(extra);
    let mut c = cluster(seed, 3, &cfg, &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 30.0, keys: 0 });
    c.run(3_000);
    c
}

fn isr_of(c: &Cluster, p: u32) -> Vec<i32> {
    c.sim().controller.partitions[&kafka_playground::ids::TopicPartition::new("orders", p)].isr.clone()
}

fn leader_of(c: &Cluster, p: u32) -> i32 {
    c.sim().controller.partitions[&kafka_playground::ids::TopicPartition::new("orders", p)].leader
}

#[test]
fn a_follower_whose_disk_fills_up_halts_leaves_every_isr_and_rejoins_after_its_disk_is_replaced() {
    let mut c = cluster_with_traffic(61, &[]);
    assert_eq!(leader_of(&c, 2), 3);
    c.apply(Command::DiskFault { broker: 3, fault: DiskFault::Full });
    // The next fetched batch cannot be written: the log dir goes offline and the broker halts.
    assert!(c.run_until(|s| s.brokers[&3].process.is_none(), 5_000), "broker 3 kept running on a full disk");
    assert_eq!(c.sim().brokers[&3].status(), NodeStatus::Crashed);
    assert_eq!(c.events_matching("KafkaStorageException").len(), 1, "{}", c.dump_events());
    assert_eq!(c.events_matching("Shutdown broker because all log dirs in /tmp/kraft-combined-logs have failed").len(), 1);
    // Fenced when its heartbeats stop: out of every ISR, its leadership moved.
    assert!(c.run_until(
        |s| (0..3).all(|p| !s.controller.partitions[&kafka_playground::ids::TopicPartition::new("orders", p)].isr.contains(&3)),
        20_000
    ));
    assert_ne!(leader_of(&c, 2), 3);
    assert_ne!(leader_of(&c, 2), -1);
    // A full disk stays full: the restarted broker halts again at its first write.
    c.apply(Command::RestartBroker { broker: 3 });
    assert!(c.run_until(|s| s.brokers[&3].process.is_none(), 20_000), "broker 3 ran on a still-full disk");
    assert_eq!(c.events_matching("KafkaStorageException").len(), 2);
    // A new disk: it fetches every partition again from the leaders and rejoins every ISR.
    c.apply(Command::DiskFault { broker: 3, fault: DiskFault::Replaced });
    assert_eq!(c.sim().brokers[&3].disk().logs.len(), 0);
    c.apply(Command::RestartBroker { broker: 3 });
    assert!(
        c.run_until(
            |s| (0..3).all(|p| s.controller.partitions[&kafka_playground::ids::TopicPartition::new("orders", p)].isr.contains(&3)),
            60_000
        ),
        "broker 3 never rejoined: {:?}",
        (0..3).map(|p| isr_of(&c, p)).collect::<Vec<_>>()
    );
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(5_000);
    for p in 0..3u32 {
        let tp = kafka_playground::ids::TopicPartition::new("orders", p);
        let leo = |b: i32| c.sim().brokers[&b].disk().logs[&tp].log_end_offset();
        assert_eq!(leo(3), leo(leader_of(&c, p)), "orders-{p}: broker 3 caught up to the leader's log end");
    }
    assert!(c.lost().is_empty(), "{:?}", c.lost());
    assert!(c.failed().is_empty(), "acks=all, min ISR 2: the other two kept acknowledging: {:?}", c.failed());
    c.assert_no_violations();
}

#[test]
fn a_leader_whose_disk_fills_up_answers_kafka_storage_error_and_loses_no_acknowledged_write() {
    let mut c = cluster_with_traffic(62, &[]);
    let acked_before = c.acked_values().len();
    c.apply(Command::DiskFault { broker: 3, fault: DiskFault::Full });
    assert!(c.run_until(|s| s.brokers[&3].process.is_none(), 5_000));
    assert!(c.run_until(|s| s.controller.partitions[&kafka_playground::ids::TopicPartition::new("orders", 2)].leader != 3, 20_000));
    c.run(20_000);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(10_000);
    assert!(c.acked_values().len() > acked_before + 300, "writes went on with the other two brokers");
    assert!(c.lost().is_empty(), "{:?}", c.lost());
    assert!(c.failed().is_empty(), "{:?}", c.failed());
    c.assert_no_violations();
}

#[test]
fn a_log_dir_capacity_fills_as_the_log_grows_and_freeing_space_brings_the_broker_back() {
    let mut c = cluster(63, 3, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SetBrokerConfig { broker: Some(2), key: "sim.log.dir.capacity.bytes".into(), value: v(20_000) });
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 50.0, keys: 0 });
    assert!(c.run_until(|s| s.brokers[&2].process.is_none(), 120_000), "broker 2 never filled its 20 000-byte disk");
    assert_eq!(c.sim().brokers[&2].disk().health, DiskHealth::Full);
    assert!(c.sim().brokers[&2].disk().used_bytes() <= 20_000, "a write that does not fit is not written");
    assert_eq!(c.events_matching("No space left on device").len(), 2, "{}", c.dump_events());
    // More room and the space freed: it restarts on its data and catches up.
    c.apply(Command::SetBrokerConfig { broker: Some(2), key: "sim.log.dir.capacity.bytes".into(), value: v(-1) });
    c.apply(Command::DiskFault { broker: 2, fault: DiskFault::SpaceFreed });
    c.apply(Command::RestartBroker { broker: 2 });
    assert!(c.run_until(
        |s| s.controller.partitions.values().next().unwrap().isr.contains(&2) && s.brokers[&2].status() == NodeStatus::Online,
        60_000
    ));
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn a_failed_disk_keeps_the_broker_down_until_it_is_replaced() {
    let mut c = cluster_with_traffic(64, &[]);
    c.apply(Command::DiskFault { broker: 1, fault: DiskFault::Failed });
    assert!(c.run_until(|s| s.brokers[&1].process.is_none(), 6_000));
    assert_eq!(c.events_matching("Input/output error").len(), 2, "{}", c.dump_events());
    let e = c.cs.apply(Command::DiskFault { broker: 1, fault: DiskFault::SpaceFreed }).unwrap_err();
    assert_eq!(e.field, "fault");
    c.apply(Command::RestartBroker { broker: 1 });
    assert!(c.sim().brokers[&1].process.is_none(), "a failed disk cannot even be read at start");
    assert_eq!(c.events_matching("fails to start").len(), 1);
    c.apply(Command::DiskFault { broker: 1, fault: DiskFault::Replaced });
    c.apply(Command::RestartBroker { broker: 1 });
    assert!(c.run_until(
        |s| (0..3).all(|p| s.controller.partitions[&kafka_playground::ids::TopicPartition::new("orders", p)].isr.contains(&1)),
        60_000
    ));
    // A disk is not replaced under a running broker.
    let e = c.cs.apply(Command::DiskFault { broker: 1, fault: DiskFault::Replaced }).unwrap_err();
    assert_eq!(e.field, "fault");
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}
