#![cfg(not(target_arch = "wasm32"))]
//! Consumer groups: membership, rebalances, committed offsets in `__consumer_offsets`,
//! the coordinator moving, and what consumers may see.

mod common;
use common::*;
use kafka_playground::broker::group_coordinator::{partition_for, GroupState, OFFSETS_TOPIC};
use kafka_playground::client::consumer::MemberState;
use kafka_playground::command::Command;
use kafka_playground::ids::TopicPartition;
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
            assert!(m.insert(tp.clone(), *id).is_none(), "{tp} owned twice");
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
    let leader = c.leader(&format!("{OFFSETS_TOPIC}")).is_some();
    let _ = leader;
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
    let victim_parts: Vec<TopicPartition> = before.iter().filter(|(_, o)| **o == victim).map(|(tp, _)| tp.clone()).collect();
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
