//! A KRaft controller quorum (`sim.controllers` = 3): the active controller fails and
//! the other voters elect a new one; what the cluster does meanwhile.
use crate::common::*;
use kafka_playground::client::producer::SendOutcome;
use kafka_playground::ids::{NodeId, TopicPartition};
use kafka_playground::sim::{Sim, VoterStatus};
use kafka_playground::Command;
use std::collections::BTreeMap;

const FETCH_TIMEOUT: i64 = 2_000;
const ELECTION_TIMEOUT: i64 = 1_000;
/// A crashed leader is noticed within the fetch timeout; a split vote costs at most one
/// more randomized election timeout ([T, 2T)); a few ms of network on top.
const FAILOVER_BOUND: i64 = FETCH_TIMEOUT + 2 * ELECTION_TIMEOUT + 100;

fn quorum_cluster(seed: u64) -> Cluster {
    let mut c = cluster(seed, 3, &[("sim.controllers", v(3)), ("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::CreateTopic {
        name: "payments".into(),
        partitions: None,
        replication_factor: None,
        config: BTreeMap::new(),
        assignment: Some([("0".to_string(), vec![2, 3, 1]), ("1".to_string(), vec![3, 1, 2])].into_iter().collect()),
    });
    c.run(1_000);
    c
}

fn active(s: &Sim) -> Option<i32> {
    s.active_controller()
}

/// Crashes the active controller; returns (old active, failover time in ms).
fn fail_over(c: &mut Cluster) -> (i32, i64) {
    let old = active(c.sim()).expect("an active controller");
    c.apply(Command::CrashController { controller: None });
    let crashed_at = c.now();
    assert_eq!(active(c.sim()), None, "no active controller right after the crash");
    assert!(c.run_until(|s| active(s).is_some(), FAILOVER_BOUND), "no new active controller:\n{}", c.dump_events());
    (old, c.now() - crashed_at)
}

#[test]
fn when_the_active_controller_crashes_a_standby_voter_becomes_active_within_the_fetch_and_election_timeouts() {
    let mut c = quorum_cluster(1);
    assert_eq!(active(c.sim()), Some(3000));
    assert_eq!(c.sim().controller_epoch(), 1);
    let (old, took) = fail_over(&mut c);
    let new = active(c.sim()).unwrap();
    assert_ne!(new, old);
    assert!(c.sim().controller_epoch() >= 2);
    // Noticed after controller.quorum.fetch.timeout.ms without a successful fetch (the last
    // one was at most 500 ms before the crash: MAX_FETCH_WAIT_MS).
    assert!(took >= FETCH_TIMEOUT - 500, "failover took only {took} ms");
    let q = c.sim().controller_quorum();
    assert_eq!(q.active, Some(new));
    let status: Vec<VoterStatus> = q.voters.iter().map(|v| v.status).collect();
    assert_eq!(status.iter().filter(|s| **s == VoterStatus::Crashed).count(), 1);
    assert_eq!(status.iter().filter(|s| **s == VoterStatus::Active).count(), 1);
    let line = format!("controller {new} became active in epoch {}", c.sim().controller_epoch());
    assert_eq!(c.events_matching(&line).len(), 1, "{}", c.dump_events());
    assert!(c.events_matching(&format!("controller {old} crashed")).iter().any(|e| e.contains("no active controller")));
    c.assert_no_violations();
}

#[test]
fn the_new_active_controller_has_the_same_leaders_isrs_and_epochs_as_the_old_one() {
    let mut c = quorum_cluster(2);
    c.crash(3); // an ISR change and a fencing, committed before the failover
    c.run(12_000);
    let before = c.sim().controller.partitions.clone();
    assert!(before.values().all(|p| !p.isr.contains(&3)));
    let registered_before: Vec<(i32, i64, bool)> =
        c.sim().controller.brokers.values().map(|r| (r.broker, r.broker_epoch, r.fenced)).collect();
    fail_over(&mut c);
    assert_eq!(c.sim().controller.partitions, before, "leaders, ISR, leader and partition epochs replayed unchanged");
    let registered_after: Vec<(i32, i64, bool)> =
        c.sim().controller.brokers.values().map(|r| (r.broker, r.broker_epoch, r.fenced)).collect();
    assert_eq!(registered_after, registered_before);
    // BrokerHeartbeatManager starts afresh on activation: no live broker is fenced by the change.
    c.run(20_000);
    let fenced: Vec<_> = c.sim().events.iter().filter(|e| e.message.starts_with("fences broker")).map(|e| e.message.clone()).collect();
    assert_eq!(fenced.len(), 1, "only broker 3, before the failover: {fenced:?}");
    assert_eq!(c.sim().controller.partitions, before);
    c.assert_no_violations();
}

#[test]
fn partitions_keep_accepting_acks_all_writes_while_there_is_no_active_controller() {
    let mut c = quorum_cluster(3);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 50.0, keys: 0 });
    c.run(2_000);
    let acked = |s: &Sim| s.producer.sends.values().filter(|x| matches!(x.outcome, SendOutcome::Acked { .. })).count();
    c.apply(Command::CrashController { controller: None });
    let at_crash = acked(c.sim());
    c.run(1_400); // still within the fetch timeout: nobody has noticed yet
    assert_eq!(active(c.sim()), None);
    let during = acked(c.sim()) - at_crash;
    assert!(during >= 60, "only {during} writes acknowledged without a controller");
    assert!(c.run_until(|s| active(s).is_some(), FAILOVER_BOUND));
    c.run(3_000);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(2_000);
    assert!(c.failed().is_empty(), "{:?}", c.failed());
    assert!(c.lost().is_empty());
    assert_eq!(c.isr("orders"), vec![1, 2, 3]);
    c.assert_no_violations();
}

#[test]
fn a_broker_crash_after_the_failover_is_handled_by_the_new_controller() {
    let mut c = quorum_cluster(4);
    fail_over(&mut c);
    let new = active(c.sim()).unwrap();
    c.run(1_000);
    c.crash(1);
    // broker.session.timeout.ms (9 s) after its last heartbeat, the new controller fences it.
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].leader == 2, 12_000), "{}", c.dump_events());
    let fenced: Vec<_> = c.sim().events.iter().filter(|e| e.message.starts_with("fences broker 1")).collect();
    assert_eq!(fenced.len(), 1);
    assert_eq!(fenced[0].node, NodeId::Voter(new), "the new active controller fenced it");
    assert_eq!(c.partition("orders").leader_epoch, 1);
    c.run(100);
    assert!(c.sim().brokers[&2].process.as_ref().unwrap().partitions[&TopicPartition::new("orders", 0)].is_leader());
    c.assert_no_violations();
}

#[test]
fn with_two_of_three_voters_down_no_controller_is_elected_and_no_partition_fails_over_until_a_voter_returns() {
    let mut c = quorum_cluster(5);
    c.apply(Command::CrashController { controller: Some(3001) });
    c.run(500);
    assert_eq!(active(c.sim()), Some(3000), "one standby down: the quorum (2 of 3) still works");
    c.apply(Command::CrashController { controller: None });
    assert!(!c.events_matching("Only 1 of 3 voters run and a majority is 2").is_empty(), "{}", c.dump_events());
    c.crash(1); // the leader of orders-0
    c.run(30_000);
    assert_eq!(active(c.sim()), None);
    assert_eq!(c.leader("orders"), Some(1), "nobody can fence broker 1 or elect a new leader");
    assert_eq!(c.sim().controller_quorum().running, 1);
    let err = c.cs.apply(Command::ElectLeaders {
        topic: "orders".into(),
        partition: 0,
        election_type: kafka_playground::command::ElectionType::Unclean,
    });
    assert_eq!(err.unwrap_err().error, kafka_playground::errors::KafkaError::NOT_CONTROLLER);
    // A voter returns: 2 of 3 again, a controller is elected and broker 1 is fenced a
    // session timeout after that (every broker got a fresh session).
    c.apply(Command::RestartController { controller: 3001 });
    let back = c.now();
    assert!(c.run_until(|s| active(s).is_some(), FAILOVER_BOUND + 1_500), "{}", c.dump_events());
    let elected = c.now();
    assert!(elected - back <= FAILOVER_BOUND);
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].leader == 2, 10_000));
    assert!(c.now() - elected >= 8_900, "fenced {} ms after the new controller became active", c.now() - elected);
    c.assert_no_violations();
}

#[test]
fn a_single_controller_that_crashes_leaves_the_cluster_without_one_until_it_restarts() {
    let mut c = cluster(6, 3, &[], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::CrashController { controller: None });
    c.crash(1);
    c.run(20_000);
    assert_eq!(active(c.sim()), None);
    assert_eq!(c.leader("orders"), Some(1));
    c.apply(Command::RestartController { controller: 3000 });
    // A lone voter elects itself at once (KafkaRaftClient: "only a single voter").
    assert_eq!(active(c.sim()), Some(3000));
    assert_eq!(c.sim().controller_epoch(), 2);
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].leader != 1, 10_000));
    c.assert_no_violations();
}

#[test]
fn a_cut_between_a_broker_and_the_active_controller_fences_it_and_a_failover_reconnects_it() {
    let mut c = quorum_cluster(7);
    c.cut(NodeId::Broker(1), NodeId::Controller);
    assert_eq!(c.events_matching("link broker-1 ↔ controller-3000 cut").len(), 1, "the cut names the voter");
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].leader == 2, 12_000));
    // The cut is between two machines: once another voter is active, broker 1 reaches it.
    fail_over(&mut c);
    assert!(c.run_until(|s| s.controller.brokers.get(&1).is_some_and(|r| !r.fenced), 5_000), "{}", c.dump_events());
    c.assert_no_violations();
}

#[test]
fn an_isolated_active_controller_is_replaced_and_resigns_after_the_check_quorum_timeout() {
    let mut c = quorum_cluster(8);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 20.0, keys: 0 });
    c.apply(Command::Isolate { node: NodeId::Controller });
    let at = c.now();
    assert!(c.run_until(|s| s.active_controller().is_some_and(|a| a != 3000), FAILOVER_BOUND + 2_000), "{}", c.dump_events());
    assert!(!c.events_matching("resigns as quorum leader of epoch 1").is_empty(), "{}", c.dump_events());
    assert!(c.now() - at <= FAILOVER_BOUND + 1_500);
    c.run(5_000);
    c.apply(Command::HealAll);
    c.run(5_000);
    let q = c.sim().controller_quorum();
    assert!(q.voters.iter().all(|v| v.epoch == q.epoch), "every voter is in the new epoch: {q:?}");
    assert!(q.voters.iter().all(|v| v.log_end_offset == q.voters[0].log_end_offset), "and has the same log: {q:?}");
    assert!(c.failed().is_empty());
    c.assert_no_violations();
}

#[test]
fn the_same_seed_gives_the_same_trace_through_controller_failovers() {
    let run = |seed: u64| {
        let mut c = quorum_cluster(seed);
        c.apply(Command::SetWorkload { topic: "payments".into(), records_per_sec: 30.0, keys: 4 });
        fail_over(&mut c);
        c.run(2_000);
        c.apply(Command::CrashController { controller: None });
        c.run(1_000);
        c.apply(Command::RestartController { controller: 3000 });
        c.run(10_000);
        (c.sim().trace_hash(), c.sim().controller_history.iter().map(|h| (h.time_ms, h.active)).collect::<Vec<_>>())
    };
    let a = run(11);
    assert_eq!(a, run(11));
    assert_ne!(a.0, run(12).0);
}

#[test]
fn failover_times_over_fifty_seeds_stay_within_the_bound_and_no_epoch_has_two_controllers() {
    let mut times = vec![];
    for seed in 100..150 {
        let mut c = quorum_cluster(seed);
        c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 20.0, keys: 0 });
        c.run((seed as i64 * 37) % 1_000);
        let (_, took) = fail_over(&mut c);
        times.push(took);
        // Second failover from the new epoch, with the old voter back.
        c.apply(Command::RestartController { controller: 3000 });
        c.run(3_000);
        let (_, took2) = fail_over(&mut c);
        times.push(took2);
        c.run(2_000);
        c.assert_no_violations();
        assert!(c.failed().is_empty());
    }
    times.sort();
    let (min, med, max) = (times[0], times[times.len() / 2], times[times.len() - 1]);
    println!("failover over {} crashes: min {min} ms, median {med} ms, max {max} ms", times.len());
    assert!(min >= FETCH_TIMEOUT - 500 && max <= FAILOVER_BOUND, "min {min} max {max}");
}

#[test]
fn controller_commands_and_the_quorum_size_are_validated_with_the_field_named() {
    let mut c = quorum_cluster(9);
    let e = c.cs.apply(Command::CrashController { controller: Some(42) }).unwrap_err();
    assert_eq!(e.field, "controller");
    assert!(e.message.contains("3000, 3001, 3002"), "{}", e.message);
    let e = c.cs.apply(Command::RestartController { controller: 3001 }).unwrap_err();
    assert!(e.message.contains("already running"), "{}", e.message);
    c.apply(Command::CrashController { controller: Some(3002) });
    let e = c.cs.apply(Command::CrashController { controller: Some(3002) }).unwrap_err();
    assert!(e.message.contains("not running"), "{}", e.message);
    let e = c.cs.apply(Command::SetBrokerConfig { broker: None, key: "sim.controllers".into(), value: v(5) }).unwrap_err();
    assert_eq!(e.field, "sim.controllers");
    let mut spec = kafka_playground::ClusterSpec::new(1, 3);
    let e = spec.broker_config.set("sim.controllers", &v(6)).unwrap_err();
    assert_eq!(e.field, "sim.controllers");
    let e = Command::from_json(r#"{"type":"restart_controller"}"#).unwrap_err();
    assert!(e.contains("controller"), "{e}");
    // No active controller: metadata cannot change.
    c.apply(Command::CrashController { controller: None });
    let e =
        c.cs.apply(Command::CreateTopic {
            name: "t".into(),
            partitions: Some(1),
            replication_factor: Some(1),
            config: BTreeMap::new(),
            assignment: None,
        })
        .unwrap_err();
    assert_eq!(e.error, kafka_playground::errors::KafkaError::NOT_CONTROLLER);
    let e = c.cs.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Controller, one_way: false }).unwrap_err();
    assert_eq!(e.field, "to");
}
