//! The KRaft controller's scheduling and bookkeeping rules, as Kafka 4.x's QuorumController,
//! ReplicationControlManager and ConfigurationControlManager keep them.

use crate::common::*;
use kafka_playground::command::Command;
use kafka_playground::ids::{NodeId, TopicPartition};

fn partition_state(c: &Cluster, topic: &str) -> kafka_playground::protocol::PartitionState {
    c.sim().controller.partitions[&TopicPartition::new(topic, 0)].clone()
}

/// RF 3, min.insync.replicas=2: both followers are cut off from leader 1, so the ISR shrinks to
/// [1] and (with ELR) brokers 2 and 3 become eligible leader replicas.
fn isr_of_one(elr: bool, unclean: bool) -> Cluster {
    let mut c = cluster_with_elr(
        13,
        3,
        elr,
        &[("replica.lag.time.max.ms", v(10_000)), ("min.insync.replicas", v(2)), ("unclean.leader.election.enable", v(unclean))],
        &[],
    );
    c.topic("jepsen", &[&[1, 2, 3]], &[]);
    c.produce("jepsen", "healthy", 2);
    c.run(1_000);
    c.cut(NodeId::Broker(1), NodeId::Broker(2));
    c.cut(NodeId::Broker(1), NodeId::Broker(3));
    c.produce("jepsen", "isr-of-one", 5);
    c.run(20_000);
    assert_eq!(partition_state(&c, "jepsen").isr, vec![1]);
    c
}

#[test]
fn turning_unclean_leader_election_on_elects_at_the_next_run_of_the_periodic_task_not_at_once() {
    // Kafka 4.0+ (KAFKA-17793): QuorumController's periodic task "electUnclean" runs every
    // unclean.leader.election.interval.ms (5 min) from activation; a config change does not run it.
    let mut c = isr_of_one(false, false);
    c.apply(Command::Isolate { node: NodeId::Broker(1) });
    c.crash(1);
    c.run(20_000);
    assert_eq!(c.leader("jepsen"), None, "no clean candidate: Leader: none");
    c.apply(Command::SetBrokerConfig { broker: None, key: "unclean.leader.election.enable".into(), value: v(true) });
    c.run(60_000);
    assert_eq!(c.leader("jepsen"), None, "still offline a minute after the change");
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("jepsen", 0)].leader > 0, 300_000), "never elected");
    let at = c.now();
    assert!((300_000..=300_100).contains(&at), "elected at {at} ms; the task runs at 300 000 ms");
    assert_eq!(c.events_matching("periodic unclean election task").len(), 1);
}

#[test]
fn with_unclean_election_already_on_a_fenced_last_isr_member_is_replaced_at_once() {
    // generateLeaderAndIsrUpdates sets Election.UNCLEAN for the partitions of the fenced broker.
    let mut c = isr_of_one(false, true);
    c.apply(Command::Isolate { node: NodeId::Broker(1) });
    c.crash(1);
    let start = c.now();
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("jepsen", 0)].leader > 1, 15_000), "never elected");
    assert!(c.now() - start <= 9_600, "elected {} ms after the crash (broker.session.timeout.ms 9000)", c.now() - start);
}

#[test]
fn the_auto_leader_rebalance_runs_every_leader_imbalance_check_interval_from_controller_activation() {
    // Kafka 4.0+: the periodic task "electPreferred" runs every leader.imbalance.check.interval.seconds
    // (300 s) from activation, whether or not a partition is imbalanced (3.x scheduled it one interval
    // after a partition first became imbalanced: here that would be ~520 s).
    let mut c = cluster(2, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.run(200_000);
    c.apply(Command::CrashBroker { broker: 1, keep_page_cache: true });
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].leader == 2, 15_000));
    c.apply(Command::RestartBroker { broker: 1 });
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].isr.contains(&1), 30_000));
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].leader == 1, 400_000));
    let at = c.now();
    assert!((300_000..=300_100).contains(&at), "preferred leader back at {at} ms");
    assert_eq!(c.events_matching("auto leader rebalance").len(), 1);
}

#[test]
fn changing_a_topics_min_insync_replicas_clears_its_elr_and_leaves_isr_and_leader() {
    // ConfigurationControlManager writes ClearElrRecord with the ConfigRecord (KAFKA-16540).
    let mut c = isr_of_one(true, false);
    let before = partition_state(&c, "jepsen");
    assert_eq!(before.elr, vec![2, 3]);
    c.apply(Command::SetTopicConfig { topic: "jepsen".into(), key: "min.insync.replicas".into(), value: v(1) });
    c.run(100);
    let after = partition_state(&c, "jepsen");
    assert!(after.elr.is_empty() && after.last_known_elr.is_empty(), "{after:?}");
    assert_eq!((after.isr.clone(), after.leader, after.leader_epoch), (before.isr, before.leader, before.leader_epoch));
    assert!(after.partition_epoch > before.partition_epoch);
    assert_eq!(c.events_matching("clears the ELR of jepsen-0 [2,3] → []").len(), 1, "{}", c.dump_events());
    // Every broker's image has it too.
    for b in c.sim().brokers.values() {
        let p = &b.process.as_ref().unwrap().metadata.partitions[&TopicPartition::new("jepsen", 0)];
        assert!(p.elr.is_empty(), "a broker still lists ELR {:?}", p.elr);
    }
}

#[test]
fn changing_the_cluster_default_min_insync_replicas_clears_every_elr_and_a_broker_level_change_is_refused() {
    let mut c = isr_of_one(true, false);
    let e = c.cs.apply(Command::SetBrokerConfig { broker: Some(2), key: "min.insync.replicas".into(), value: v(1) }).unwrap_err();
    assert_eq!(e.error.name(), "INVALID_CONFIG");
    assert!(e.message.contains("Broker-level min.insync.replicas cannot be altered while ELR is enabled"), "{e}");
    assert_eq!(partition_state(&c, "jepsen").elr, vec![2, 3]);
    c.apply(Command::SetBrokerConfig { broker: None, key: "min.insync.replicas".into(), value: v(2) });
    c.run(100);
    assert!(partition_state(&c, "jepsen").elr.is_empty(), "the same value re-set at cluster level still clears (KAFKA-14136)");
}

#[test]
fn an_elr_only_change_is_logged_as_such_never_as_an_isr_change_to_itself() {
    // Broker 3 (in the ELR) restarts after an unclean shutdown: handleBrokerUncleanShutdown takes it
    // out of the ELR while the ISR stays [1].
    let mut c = isr_of_one(true, false);
    c.apply(Command::CrashBroker { broker: 3, keep_page_cache: true });
    c.run(12_000);
    c.apply(Command::RestartBroker { broker: 3 });
    c.run(15_000);
    let elr_only = c.events_matching("commits ELR of jepsen-0");
    assert!(!elr_only.is_empty(), "{}", c.dump_events());
    assert!(elr_only.iter().any(|e| e.contains("ISR stays [1]")), "{elr_only:?}");
    for e in c.events_matching("commits ISR of") {
        let (from, to) = e.split_once(" → ").unwrap();
        let from = from.rsplit('[').next().unwrap().trim_end_matches(']');
        let to = to.trim_start_matches('[').split(']').next().unwrap();
        assert_ne!(from, to, "an ISR change to itself: {e}");
    }
}

#[test]
fn describe_prints_the_topic_id_and_empty_elr_fields_when_elr_is_off() {
    // TopicCommand.PartitionDescription.printDescription: a KRaft broker always returns ELR lists
    // (empty with ELR off), so "Elr: " and "LastKnownElr: " are printed with nothing after them.
    let mut c = cluster_with_elr(1, 3, false, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    let d = c.sim().describe(Some("orders"));
    let mut lines = d.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("Topic: orders\tTopicId: ") && head.contains("\tPartitionCount: 1\tReplicationFactor: 3"), "{head}");
    assert_eq!(lines.next().unwrap(), "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\tElr: \tLastKnownElr: ");
    // Two topics never share an id.
    c.topic("payments", &[&[1, 2, 3]], &[]);
    assert_ne!(c.sim().controller.topic_id("orders"), c.sim().controller.topic_id("payments"));
}

/// When broker 2's new process registered (the controller's registration names its incarnation).
fn registered_at(c: &mut Cluster, broker: i32, within_ms: i64) -> Option<i64> {
    let start = c.sim().now_ms();
    c.run_until(|s| s.controller.brokers[&broker].incarnation == s.brokers[&broker].incarnation, within_ms)
        .then(|| c.sim().now_ms() - start)
}

#[test]
fn a_broker_restarted_without_controlled_shutdown_is_refused_registration_until_its_old_session_ends() {
    // ClusterControlManager.registerBroker: DUPLICATE_BROKER_REGISTRATION while the previous
    // incarnation's session is valid, also after a clean stop that did not fence it.
    let mut c = cluster(31, 3, &[], &[]);
    c.apply(Command::SetBrokerConfig { broker: Some(2), key: "controlled.shutdown.enable".into(), value: v(false) });
    c.run(1_000);
    c.apply(Command::ShutdownBroker { broker: 2 });
    c.apply(Command::RestartBroker { broker: 2 });
    let waited = registered_at(&mut c, 2, 15_000).expect("registers once the session ends");
    assert!(waited >= 6_000, "registered after {waited} ms, before broker.session.timeout.ms could run out");
    assert!(!c.events_matching("rejects registration of broker 2: DUPLICATE_BROKER_REGISTRATION").is_empty());
    assert!(!c.events_matching("fences broker 2").is_empty(), "the old incarnation is fenced first");
}

#[test]
fn a_broker_fenced_by_its_controlled_shutdown_registers_again_at_once() {
    let mut c = cluster(32, 3, &[], &[]);
    c.run(1_000);
    c.apply(Command::ShutdownBroker { broker: 2 });
    assert!(c.run_until(|s| s.brokers[&2].process.is_none(), 5_000), "the controlled shutdown completes");
    c.apply(Command::RestartBroker { broker: 2 });
    let waited = registered_at(&mut c, 2, 5_000).expect("registers");
    assert!(waited < 100, "registered after {waited} ms");
    assert!(c.events_matching("DUPLICATE_BROKER_REGISTRATION").is_empty());
}
