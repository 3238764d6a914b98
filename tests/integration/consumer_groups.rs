//! Consumer groups: membership, rebalances, committed offsets in `__consumer_offsets`,
//! the coordinator moving, and what consumers may see.

use crate::common::*;
use kafka_playground::broker::group_coordinator::{partition_for, GroupState, OFFSETS_TOPIC};
use kafka_playground::check::client_audit::client_audit;
use kafka_playground::client::consumer::MemberState;
use kafka_playground::command::Command;
use kafka_playground::ids::{NodeId, TopicPartition};
use kafka_playground::sim::Sim;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

fn group_cluster(seed: u64, extra: &[(&str, Value)]) -> Cluster {
    let mut cfg: Vec<(&str, Value)> = vec![("offsets.topic.num.partitions", v(3)), ("min.insync.replicas", v(2))];
    cfg.extend(extra.iter().cloned());
    let mut c = cluster(seed, 3, &cfg, &[]);
    c.topic("orders", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2], &[1, 3, 2], &[2, 1, 3], &[3, 2, 1]], &[]);
    c
}

fn start_consumer(c: &mut Cluster, group: &str, config: Value) {
    let config: BTreeMap<String, Value> = serde_json::from_value(config).unwrap();
    c.apply(Command::StartConsumer { group_id: group.into(), topics: vec!["orders".into()], config });
}

fn stable(sim: &Sim, n: usize) -> bool {
    let live: Vec<_> =
        sim.consumers.iter().filter(|(id, c)| !sim.crashed_consumers.contains(id) && c.state != MemberState::Closed).collect();
    live.len() == n
        && live.iter().all(|(_, c)| c.state == MemberState::Stable)
        && live.iter().map(|(_, c)| c.generation).collect::<BTreeSet<_>>().len() == 1
        && live.iter().map(|(_, c)| c.assignment.len()).sum::<usize>() == 6
}

/// Which consumer owns each partition.
fn owners(sim: &Sim) -> BTreeMap<TopicPartition, u32> {
    let mut m = BTreeMap::new();
    for (id, c) in &sim.consumers {
        if sim.crashed_consumers.contains(id) || c.state == MemberState::Closed {
            continue;
        }
        for tp in &c.assignment {
            assert!(m.insert(*tp, *id).is_none(), "{tp} owned twice");
        }
    }
    m
}

fn consumed_write_ids(sim: &Sim) -> Vec<u64> {
    sim.consumers.values().flat_map(|c| c.consumed.iter().map(|r| r.write_id)).collect()
}

fn acked_write_ids(sim: &Sim) -> BTreeSet<u64> {
    sim.producer
        .sends
        .values()
        .filter(|s| matches!(s.outcome, kafka_playground::client::producer::SendOutcome::Acked { .. }))
        .map(|s| s.write_id)
        .collect()
}

#[test]
fn three_consumers_share_six_partitions_with_the_range_assignor() {
    let mut c = group_cluster(1, &[]);
    for _ in 0..3 {
        start_consumer(&mut c, "billing", json!({}));
    }
    assert!(c.run_until(|s| stable(s, 3), 60_000), "group never stabilised\n{}", c.dump_events());
    let sim = c.sim();
    // Range with default members sorted by member id: two partitions each, contiguous.
    for cons in sim.consumers.values() {
        assert_eq!(cons.assignment.len(), 2, "{:?}", cons.assignment);
        assert_eq!(cons.assignment[1].partition, cons.assignment[0].partition + 1);
        assert_eq!(cons.protocol.as_deref(), Some("range"));
    }
    // The coordinator is the leader of __consumer_offsets-(abs(hash) % 3).
    let p = partition_for("billing", 3);
    let tp = TopicPartition::new(OFFSETS_TOPIC, p);
    let offsets_leader = sim.controller.partitions[&tp].leader;
    for cons in sim.consumers.values() {
        assert_eq!(cons.coordinator, Some(offsets_leader));
    }
    let g = &sim.brokers[&offsets_leader].process.as_ref().unwrap().groups.groups["billing"];
    assert_eq!(g.state, GroupState::Stable);
    assert_eq!(g.members.len(), 3);
    c.assert_no_violations();
}

#[test]
fn a_consumer_that_dies_is_removed_after_session_timeout_and_its_partitions_resume_from_the_last_commit() {
    let mut c = group_cluster(2, &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 200.0, keys: 50 });
    for _ in 0..3 {
        start_consumer(
            &mut c,
            "billing",
            json!({"session.timeout.ms": 10000, "auto.commit.interval.ms": 600000, "auto.offset.reset": "earliest"}),
        );
    }
    assert!(c.run_until(|s| stable(s, 3), 60_000), "group never stabilised");
    c.run(5_000);
    let victim = 2u32;
    c.apply(Command::CommitOffsets { consumer: victim });
    c.run(1_000);
    let committed = c.sim().consumers[&victim].committed.clone();
    assert!(!committed.is_empty());
    c.run(3_000);
    // Records the victim consumed after its commit: the group will see them again.
    let uncommitted = c.sim().consumers[&victim].consumed.iter().filter(|r| committed.get(&r.tp).is_some_and(|o| r.offset >= *o)).count();
    assert!(uncommitted > 0);
    let before = owners(c.sim());
    let victim_parts: Vec<TopicPartition> = before.iter().filter(|(_, o)| **o == victim).map(|(tp, _)| *tp).collect();
    let crash_at = c.now();
    c.apply(Command::CrashConsumer { consumer: victim });
    // Not removed before the session timeout…
    c.run(9_000);
    let gen_before = c.sim().consumers[&1].generation;
    let coordinator = c.sim().consumers[&1].coordinator.unwrap();
    let members = |s: &Sim| s.brokers[&coordinator].process.as_ref().unwrap().groups.groups["billing"].members.len();
    assert_eq!(members(c.sim()), 3, "removed before session.timeout.ms");
    assert_eq!(c.sim().consumers[&1].generation, gen_before);
    // …and removed after it; the survivors take its partitions.
    assert!(c.run_until(|s| stable(s, 2), 20_000), "survivors did not rebalance\n{}", c.dump_events());
    assert_eq!(members(c.sim()), 2);
    let removed = c.events_matching("has failed (no heartbeat for session.timeout.ms=10000)");
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(c.sim().consumers[&1].generation > gen_before);
    assert!(c.now() - crash_at >= 10_000);
    let after = owners(c.sim());
    for tp in &victim_parts {
        assert_ne!(after[tp], victim);
    }
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(15_000);
    // Nothing acknowledged is lost for the group; records the victim consumed after its
    // last commit are consumed again (duplicates), none are skipped.
    let sim = c.sim();
    let consumed: Vec<u64> = consumed_write_ids(sim);
    let distinct: BTreeSet<u64> = consumed.iter().copied().collect();
    let acked = acked_write_ids(sim);
    let missing: Vec<&u64> = acked.iter().filter(|w| !distinct.contains(w)).collect();
    assert!(missing.is_empty(), "{} acknowledged records never consumed", missing.len());
    let duplicates = consumed.len() - distinct.len();
    assert_eq!(duplicates, uncommitted, "exactly the victim's records after its last commit are consumed twice");
    // The partitions restarted at the victim's last committed offsets.
    for tp in &victim_parts {
        let starts = c.events_matching(&format!("starts {tp} at committed offset"));
        assert!(!starts.is_empty(), "{tp} did not resume from a committed offset");
    }
    c.assert_no_violations();
}

#[test]
fn committed_offsets_survive_the_failure_of_the_coordinators_broker() {
    let mut c = group_cluster(3, &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 100.0, keys: 30 });
    for _ in 0..2 {
        start_consumer(&mut c, "ledger", json!({"auto.commit.interval.ms": 1000, "auto.offset.reset": "earliest"}));
    }
    assert!(c.run_until(|s| stable(s, 2), 60_000), "group never stabilised");
    c.run(5_000);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(3_000); // the last auto-commits land
    let (old, g) = kafka_playground::page::groups_view::coordinator_group(c.sim(), "ledger").unwrap();
    let committed = g.offsets.clone();
    assert_eq!(committed.len(), 6, "{committed:?}");
    assert!(committed.values().map(|x| x.0).sum::<i64>() > 0);
    c.crash(old);
    assert!(
        c.run_until(|s| kafka_playground::page::groups_view::coordinator_group(s, "ledger").is_some_and(|(b, _)| b != old), 30_000),
        "no new coordinator"
    );
    let (new, g) = kafka_playground::page::groups_view::coordinator_group(c.sim(), "ledger").unwrap();
    assert_ne!(new, old);
    assert_eq!(g.offsets, committed, "the new coordinator loaded the same offsets from __consumer_offsets");
    assert!(!c.events_matching(&format!("becomes coordinator for {OFFSETS_TOPIC}")).is_empty());
    // The consumers find the new coordinator and keep committing there. The old one lost power and
    // answers nothing, so each consumer notices when a request to it times out (request.timeout.ms,
    // 30 s: AbstractCoordinator marks the coordinator unknown) and then asks FindCoordinator.
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 100.0, keys: 30 });
    c.run(40_000);
    let sim = c.sim();
    for cons in sim.consumers.values() {
        assert_eq!(cons.coordinator, Some(new), "{} still talks to broker {:?}", cons.client_id, cons.coordinator);
    }
    let (_, g) = kafka_playground::page::groups_view::coordinator_group(sim, "ledger").unwrap();
    assert!(g.offsets.iter().any(|(tp, o)| o.0 > committed[tp].0), "no commit after the move");
    c.assert_no_violations();
}

#[test]
fn consumers_never_receive_a_record_above_the_high_watermark() {
    // A slow follower keeps the HW well behind the leader's LEO.
    let mut c = group_cluster(4, &[]);
    c.apply(Command::SlowLink { from: NodeId::Broker(2), to: NodeId::Broker(1), extra_latency_ms: 300, one_way: false });
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 300.0, keys: 10 });
    start_consumer(&mut c, "reader", json!({"auto.offset.reset": "earliest", "fetch.max.wait.ms": 50}));
    let mut checked = 0usize;
    let mut above_hw_seen = false;
    let until = c.now() + 20_000;
    while c.now() < until {
        let before = c.sim().consumers[&1].consumed.len();
        c.cs.step();
        let sim = c.sim();
        for r in &sim.consumers[&1].consumed[before..] {
            // The serving replica's HW in that response, and the leader's HW now.
            assert!(r.offset < r.high_watermark, "{r:?}");
            let leader = sim.controller.partitions[&r.tp].leader;
            let hw = sim.brokers[&leader].disk().logs[&r.tp].high_watermark();
            assert!(r.offset < hw, "consumed {} at {} above the leader's HW {hw}", r.tp, r.offset);
            checked += 1;
        }
        // Meanwhile the leaders do hold records above the HW.
        above_hw_seen |= sim.controller.partitions.iter().filter(|(tp, _)| tp.topic == "orders").any(|(tp, st)| {
            let l = &sim.brokers[&st.leader].disk().logs[tp];
            l.log_end_offset() > l.high_watermark()
        });
    }
    assert!(checked > 1_000, "only {checked} records consumed");
    assert!(above_hw_seen, "the test never had uncommitted records to refuse");
}

#[test]
fn cooperative_sticky_moves_only_the_partitions_that_change_owner_in_two_rebalances() {
    let mut c = group_cluster(5, &[]);
    let cfg = json!({"partition.assignment.strategy": "cooperative-sticky", "auto.offset.reset": "earliest"});
    for _ in 0..2 {
        start_consumer(&mut c, "coop", cfg.clone());
    }
    assert!(c.run_until(|s| stable(s, 2), 60_000), "group never stabilised");
    let first = owners(c.sim());
    let gen1 = c.sim().consumers[&1].generation;
    start_consumer(&mut c, "coop", cfg);
    assert!(c.run_until(|s| stable(s, 3) && s.consumers.values().all(|x| x.assignment.len() == 2), 60_000), "{}", c.dump_events());
    let second = owners(c.sim());
    // Consumers 1 and 2 each kept 2 of their 3 partitions; only the moved ones were revoked.
    for id in [1u32, 2] {
        let kept = first.iter().filter(|(tp, o)| **o == id && second.get(*tp) == Some(&id)).count();
        assert_eq!(kept, 2, "consumer {id} kept {kept}");
    }
    let revocations = c.events_matching("(cooperative) and rejoins");
    assert_eq!(revocations.len(), 2, "{revocations:?}");
    assert!(c.events_matching("revokes all its partitions").is_empty(), "eager revocation under cooperative-sticky");
    // Two rebalances: one that withholds the moving partitions, one that hands them over.
    assert_eq!(c.sim().consumers[&1].generation, gen1 + 2);
    assert_eq!(c.sim().consumers[&1].protocol.as_deref(), Some("cooperative-sticky"));
}

#[test]
fn a_consumer_with_client_rack_fetches_from_the_follower_in_its_rack() {
    let mut spec = kafka_playground::sim::ClusterSpec::new(6, 3);
    for (i, b) in spec.brokers.iter_mut().enumerate() {
        b.rack = Some(format!("az-{}", i + 1));
    }
    spec.broker_config.set("replica.selector.class", &v("org.apache.kafka.common.replica.RackAwareReplicaSelector")).unwrap();
    spec.broker_config.set("offsets.topic.num.partitions", &v(1)).unwrap();
    let sim = Sim::new(spec).unwrap();
    let mut c = Cluster { cs: kafka_playground::check::CheckedSim::new(sim) };
    c.run(3_000);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 50.0, keys: 0 });
    let config: BTreeMap<String, Value> = serde_json::from_value(json!({"client.rack": "az-3", "auto.offset.reset": "earliest"})).unwrap();
    c.apply(Command::StartConsumer { group_id: "near".into(), topics: vec!["orders".into()], config });
    c.run(20_000);
    let cons = &c.sim().consumers[&1];
    assert!(cons.stats.fetches_from_followers > 0);
    let from_follower = cons.consumed.iter().filter(|r| r.served_by == 3).count();
    assert!(from_follower > 500, "{} of {} records came from broker 3 in az-3", from_follower, cons.consumed.len());
    c.assert_no_violations();
}

#[test]
fn after_an_unclean_election_a_consumer_detects_the_truncation_and_rewinds_to_the_divergence_point() {
    let mut c = cluster(
        7,
        3,
        &[
            ("min.insync.replicas", v(1)),
            ("unclean.leader.election.enable", v(true)),
            ("replica.lag.time.max.ms", v(10_000)),
            ("offsets.topic.num.partitions", v(1)),
        ],
        &[("enable.idempotence", v(false))],
    );
    c.topic("jepsen", &[&[1, 2, 3]], &[]);
    let config: BTreeMap<String, Value> = serde_json::from_value(json!({"auto.offset.reset": "earliest"})).unwrap();
    c.apply(Command::StartConsumer { group_id: "watcher".into(), topics: vec!["jepsen".into()], config });
    c.run(8_000);
    c.produce("jepsen", "replicated", 3);
    c.run(1_000);
    c.cut(NodeId::Broker(1), NodeId::Broker(2));
    c.cut(NodeId::Broker(1), NodeId::Broker(3));
    c.run(20_000); // ISR shrinks to [1]
    c.produce("jepsen", "isr-of-one", 5);
    c.run(2_000); // committed with ISR [1]; the consumer reads offsets 3..8
    let tp = TopicPartition::new("jepsen", 0);
    assert_eq!(c.sim().consumers[&1].positions[&tp].offset, 8, "the consumer read the lone leader's records");
    c.apply(Command::Isolate { node: NodeId::Broker(1) });
    c.crash(1);
    c.run(15_000);
    c.apply(Command::HealAll);
    c.produce("jepsen", "after-election", 2);
    // The consumer's fetch to the isolated broker 1 waits out request.timeout.ms (30 s), then it
    // refreshes metadata, sees leader epoch 1, and validates its position (KIP-320).
    c.run(40_000);
    assert_eq!(c.leader("jepsen"), Some(2));
    let detected = c.events_matching("truncation detected for partition jepsen-0 at offset 8");
    assert_eq!(detected.len(), 1, "{}", c.dump_events());
    assert!(detected[0].contains("resetting offset to the first offset known to diverge 3"), "{detected:?}");
    let sim = c.sim();
    assert_eq!(sim.consumers[&1].stats.truncations_detected, 1);
    let a = client_audit(sim);
    assert_eq!(a.consumed_then_truncated, 5, "{a:?}");
    // The rewound consumer then reads the new records at offsets 3 and 4.
    assert_eq!(sim.consumers[&1].positions[&tp].offset, 5);
}

#[test]
fn the_producer_cannot_write_to_the_internal_offsets_topic_only_the_coordinator_does() {
    // ReplicaManager.appendToLocalLog: "Cannot append to internal topic" (INVALID_TOPIC_EXCEPTION) for any
    // writer but the group coordinator.
    let mut c = group_cluster(3, &[]);
    start_consumer(&mut c, "g", json!({}));
    c.run(3_000);
    assert!(c.cs.sim.controller.topics.contains_key(OFFSETS_TOPIC), "the first consumer created it");
    let produce = Command::Produce {
        topic: OFFSETS_TOPIC.into(),
        partition: None,
        key: Some("k".into()),
        value: Some("v".into()),
        count: 1,
        tombstone: false,
    };
    let workload = Command::SetWorkload { topic: OFFSETS_TOPIC.into(), records_per_sec: 10.0, keys: 0 };
    for cmd in [produce, workload] {
        let e = c.cs.apply(cmd.clone()).unwrap_err();
        assert_eq!((e.error.name(), e.field.as_str()), ("INVALID_TOPIC_EXCEPTION", "topic"), "{cmd:?}");
        assert_eq!(e.message, "Cannot append to internal topic __consumer_offsets");
    }
    assert_eq!(c.cs.sim.producer.sends.len(), 0, "nothing was handed to the producer");
    // The user's own topics still take writes.
    c.produce("orders", "fine", 1);
    c.run(2_000);
    assert_eq!(c.acked_values(), vec!["fine".to_string()]);
}

/// ConsumerCoordinator.onJoinPrepare under the eager protocol: commit, then revoke everything,
/// then JoinGroup — also when the commit had to complete first (auto-commit with records read).
#[test]
fn an_eager_member_that_commits_before_rejoining_still_revokes_everything_and_says_why() {
    let mut c = cluster(95, 3, &[], &[]);
    c.apply(Command::CreateTopic {
        name: "orders".into(),
        partitions: Some(4),
        replication_factor: Some(3),
        config: Default::default(),
        assignment: None,
    });
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 20.0, keys: 8 });
    c.apply(Command::StartConsumer { group_id: "g".into(), topics: vec!["orders".into()], config: Default::default() });
    c.run(15_000);
    c.apply(Command::StartConsumer { group_id: "g".into(), topics: vec!["orders".into()], config: Default::default() });
    c.run(15_000);
    let revoked = c.events_matching("consumer-g-1 revokes all its partitions");
    assert!(!revoked.is_empty(), "{:?}", c.events_matching("consumer-g-1"));
    assert!(!c.events_matching("consumer-g-1 (re)joins group g (the coordinator started a rebalance)").is_empty());
    assert!(c.sim().consumers.values().all(|x| x.assignment.len() == 2), "4 partitions over 2 members");
}
