//! The durability stories of the issue, each as a scenario with exact outcomes.
use crate::common::*;
use kafka_playground::client::producer::SendOutcome;
use kafka_playground::ids::NodeId;
use kafka_playground::Command;

fn acked(c: &Cluster) -> usize {
    c.acked_values().len()
}

#[test]
fn min_insync_replicas_2_keeps_acknowledging_with_one_broker_down_and_refuses_with_two() {
    let mut c = cluster(11, 3, &[("min.insync.replicas", v(2))], &[("acks", all()), ("retries", v(0))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "all-up", 1);
    c.run(1_000);
    assert_eq!(acked(&c), 1);

    // One follower down: fenced after broker.session.timeout.ms, ISR [1,2] ≥ 2.
    c.crash(3);
    c.run(10_000);
    assert_eq!(c.isr("orders"), vec![1, 2]);
    c.produce("orders", "one-down", 1);
    c.run(1_000);
    assert_eq!(acked(&c), 2, "acknowledged with one broker down");

    // Two down: ISR [1] < 2 → NOT_ENOUGH_REPLICAS before append; nothing written.
    c.crash(2);
    c.run(10_000);
    assert_eq!(c.isr("orders"), vec![1]);
    let leo_before = c.log_end_offset(1, "orders");
    c.produce("orders", "two-down", 1);
    c.run(1_000);
    assert_eq!(acked(&c), 2);
    assert_eq!(c.failed(), vec![("two-down".to_string(), "NOT_ENOUGH_REPLICAS".to_string())]);
    assert_eq!(c.log_end_offset(1, "orders"), leo_before, "nothing appended");
    assert_eq!(c.events_matching("NOT_ENOUGH_REPLICAS (ISR [1] is smaller than min.insync.replicas=2); nothing written").len(), 1);
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

/// Cut the leader's fetch responses, write, then crash the leader before any follower has the write.
fn leader_dies_before_followers_fetch(acks: &str) -> Cluster {
    let mut c =
        cluster(12, 3, &[], &[("acks", v(acks)), ("retries", v(0)), ("request.timeout.ms", v(15_000)), ("delivery.timeout.ms", v(20_000))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "safe", 3);
    c.run(1_000);
    // The leader's responses to its followers are lost from now on (one-way cuts).
    c.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Broker(2), one_way: true });
    c.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Broker(3), one_way: true });
    c.produce("orders", "at-risk", 5);
    c.run(200);
    c.crash(1);
    c.run(15_000);
    c
}

#[test]
fn acks_1_loses_acknowledged_writes_when_the_leader_dies_before_followers_fetch() {
    let c = leader_dies_before_followers_fetch("1");
    assert_eq!(acked(&c), 8, "acks=1: the leader acknowledged all 8");
    assert_eq!(c.leader("orders"), Some(2));
    let lost: Vec<i64> = c.lost().iter().map(|l| l.offset).collect();
    assert_eq!(lost, vec![3, 4, 5, 6, 7], "the 5 at-risk writes are gone");
    assert!(c.cs.checker.names().contains("AcknowledgedWriteLost"));
}

#[test]
fn a_consumer_groups_compacted_offsets_topic_does_not_hide_lost_keyed_writes_of_a_delete_topic() {
    // The same story with one key on every write and a consumer group (which creates the
    // compacted __consumer_offsets). "orders" has cleanup.policy=delete: no later write of the key
    // excuses a lost one, so the five at-risk writes still count as lost (the audit once treated
    // every topic as compacted as soon as any was, and counted none).
    let mut c =
        cluster(12, 3, &[], &[("acks", v("1")), ("retries", v(5)), ("request.timeout.ms", v(15_000)), ("delivery.timeout.ms", v(20_000))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::StartConsumer { group_id: "readers".into(), topics: vec!["orders".into()], config: Default::default() });
    let keyed = |value: &str, count| Command::Produce {
        topic: "orders".into(),
        partition: None,
        key: Some("k".into()),
        value: Some(value.into()),
        count,
        tombstone: false,
    };
    c.apply(keyed("safe", 3));
    c.run(3_000);
    c.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Broker(2), one_way: true });
    c.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Broker(3), one_way: true });
    c.apply(keyed("at-risk", 5));
    c.run(200);
    c.crash(1);
    c.run(15_000);
    c.apply(keyed("after", 2)); // to broker 1 first: timed out, then retried on the new leader
    c.run(30_000);
    assert!(c.cs.sim.controller.topics.keys().any(|t| t.as_str() == "__consumer_offsets"), "the group created __consumer_offsets");
    assert_eq!(acked(&c), 10);
    let lost: Vec<i64> = c.lost().iter().map(|l| l.offset).collect();
    assert_eq!(lost, vec![3, 4, 5, 6, 7], "the 5 at-risk writes are gone, later writes of the key or not");
    assert!(c.cs.checker.names().contains("AcknowledgedWriteLost"));
}

#[test]
fn acks_all_loses_nothing_when_the_leader_dies_before_followers_fetch() {
    let c = leader_dies_before_followers_fetch("all");
    assert_eq!(acked(&c), 3, "acks=all: the at-risk writes were never acknowledged");
    assert_eq!(c.leader("orders"), Some(2));
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

/// Jepsen 2013 ("Kafka", Call me maybe): the ISR shrinks to the leader alone, the leader
/// keeps acknowledging, then is cut off and killed; an out-of-sync replica is elected.
#[test]
fn jepsen_2013_unclean_election_with_min_isr_1_loses_acknowledged_writes() {
    let c = jepsen_2013(1, true, true, false);
    assert_eq!(acked(&c), 7, "with min.insync.replicas=1 the ISR of one acknowledged everything");
    assert!(c.leader("jepsen").is_some_and(|l| l != 1), "an out-of-sync replica was elected");
    assert_eq!(c.events_matching("UNCLEAN leader election for jepsen-0").len(), 1);
    assert_eq!(c.lost().len(), 5, "the 5 writes acknowledged by the ISR of one are lost: {:?}", c.lost());
    assert!(c.cs.checker.names().contains("AcknowledgedWriteLost"));
}

#[test]
fn jepsen_2013_with_min_isr_2_and_clean_elections_loses_nothing_and_elr_keeps_the_partition_available() {
    // Kafka 4.x (ELR on): the ISR of one cannot advance the HW (KAFKA-15583), so the
    // followers it dropped still hold every committed record and join the ELR.
    let c = jepsen_2013(2, false, true, false);
    assert_eq!(acked(&c), 2, "the ISR of one could not acknowledge");
    assert!(c.failed().iter().all(|(v, e)| v.starts_with("isr-of-one") && e == "REQUEST_TIMED_OUT"), "{:?}", c.failed());
    assert_eq!(c.events_matching("commits ISR of jepsen-0 [1,2,3] → [1], ELR [2,3]").len(), 1);
    assert_eq!(c.leader("jepsen"), Some(2), "elected from the ELR, cleanly");
    assert_eq!(c.sim().controller.unclean_elections, 0);
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn jepsen_2013_with_min_isr_2_and_no_elr_leaves_the_partition_offline_and_loses_nothing() {
    // Before ELR (clusters created before Kafka 4.1): no clean candidate, Leader: none.
    let c = jepsen_2013(2, false, false, false);
    assert_eq!(acked(&c), 2);
    assert_eq!(c.leader("jepsen"), None);
    assert_eq!(c.isr("jepsen"), vec![1], "the ISR keeps its last member");
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

/// KIP-101 scenario 1: the follower restarts and truncates to its (stale) HW, then the
/// leader dies before the follower fetches again and the follower becomes leader.
fn kip_101_scenario_1(truncation_mode: &str) -> Cluster {
    // min.insync.replicas=2 with ELR (Kafka 4.1+): a follower fenced out of an ISR of two stays
    // eligible (ELR), so after the leader dies the restarted follower can be elected cleanly.
    let mut c = cluster(14, 2, &[("min.insync.replicas", v(2)), ("sim.truncation.mode", v(truncation_mode))], &[("acks", all())]);
    // The follower restarts cleanly and fast, without moving leaderships first.
    c.apply(Command::SetBrokerConfig { broker: Some(2), key: "controlled.shutdown.enable".into(), value: v(false) });
    c.topic("kip101", &[&[1, 2]], &[]);
    c.produce("kip101", "m1", 1);
    c.run(1_000);
    c.produce("kip101", "m2", 1);
    assert!(c.run_until(|s| s.producer.sends.values().all(|x| matches!(x.outcome, SendOutcome::Acked { .. })), 1_000));
    assert_eq!((c.log_end_offset(2, "kip101"), c.high_watermark(2, "kip101")), (2, 1), "follower has m2, not yet its HW");
    c.apply(Command::ShutdownBroker { broker: 2 });
    c.cut(NodeId::Broker(1), NodeId::Broker(2));
    c.apply(Command::RestartBroker { broker: 2 });
    // Its old session is still valid: the controller refuses the new incarnation until it ends
    // (ClusterControlManager.registerBroker), then fences the old one (ISR [1], broker 2 in ELR).
    c.run(1_000);
    assert!(!c.events_matching("rejects registration of broker 2: DUPLICATE_BROKER_REGISTRATION").is_empty());
    assert!(c.run_until(|s| s.controller.brokers[&2].incarnation == s.brokers[&2].incarnation && !s.controller.brokers[&2].fenced, 15_000));
    assert_eq!(c.partition("kip101").elr, vec![2], "the fenced follower left the ISR for the ELR");
    c.crash(1);
    c.run(12_000);
    assert_eq!(c.leader("kip101"), Some(2), "the follower became leader");
    c
}

#[test]
fn kip_101_scenario_1_legacy_high_watermark_truncation_loses_the_committed_message() {
    let c = kip_101_scenario_1("high-watermark");
    assert_eq!(c.events_matching("truncates kip101-0 to its high watermark 1 (legacy pre-KIP-101 rule)").len(), 1);
    let lost: Vec<Option<String>> = c.lost().into_iter().map(|l| l.value).collect();
    assert_eq!(lost, vec![Some("m2".to_string())]);
}

#[test]
fn kip_101_scenario_1_leader_epoch_truncation_keeps_the_committed_message() {
    let c = kip_101_scenario_1("leader-epoch");
    assert!(c.events_matching("truncates").is_empty());
    assert_eq!(c.log_end_offset(2, "kip101"), 2);
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn a_crashed_leader_restarted_before_its_session_expires_does_not_count_as_losing_the_writes_its_followers_hold() {
    // Broker 1 leads, loses its page cache in the crash and comes back 7 s later, before
    // broker.session.timeout.ms (9 s): the controller still names it leader (its old
    // incarnation is not fenced yet, registration is refused with DUPLICATE_BROKER_REGISTRATION)
    // but its recovered log serves nothing; the followers hold every acknowledged write.
    let mut c = cluster(5, 3, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "before-crash", 5);
    c.run(2_000);
    assert_eq!(acked(&c), 5);
    c.crash(1);
    c.run(7_000);
    c.apply(Command::RestartBroker { broker: 1 });
    c.run(50);
    assert_eq!(c.leader("orders"), Some(1), "not fenced yet");
    assert!(!c.events_matching("DUPLICATE_BROKER_REGISTRATION").is_empty());
    assert!(c.lost().is_empty(), "{:?}", c.lost());
    c.assert_no_violations();
    c.run(10_000);
    assert_ne!(c.leader("orders"), Some(1));
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn the_pages_incremental_lost_write_count_agrees_with_a_full_audit_through_unsafe_sweep_runs() {
    // acks=1 runs that lose acknowledged writes, replayed on the page's engine handle: at every
    // half second the count the page shows (incremental: each write looked at once it is final,
    // every write again after an election, a truncation or a crash) equals a full audit's.
    use kafka_playground::check::audit::lost_acknowledged_writes;
    use kafka_playground::page::playground::Playground;
    use kafka_playground::proof::verify::{sweep, Profile};
    let profile = Profile::by_name("acks-1").unwrap();
    let lossy: Vec<_> = (1..200).map(|s| sweep::run_seed(s, profile)).filter(|o| !o.ok()).take(3).collect();
    assert_eq!(lossy.len(), 3, "three acks=1 seeds with violations among the first 200");
    let mut counted_loss = false;
    for o in lossy {
        let scenario = o.reproduction("replay");
        let mut p = Playground::new(Some(&scenario), Some(o.seed)).unwrap();
        while p.now_ms() < o.end_ms {
            p.advance(500);
            let full = lost_acknowledged_writes(&p.cs.sim).len();
            assert_eq!(p.invariants().lost_acknowledged_writes, full, "seed {} at {} ms", o.seed, p.now_ms());
            counted_loss |= full > 0;
        }
    }
    assert!(counted_loss, "some replay counted a lost acknowledged write");
}
