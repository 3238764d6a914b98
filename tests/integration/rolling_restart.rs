//! A rolling restart (the study notes' "브로커 롤링 재시작"), careful and hasty: one broker at a
//! time gets a controlled shutdown and is started again. The careful operator waits until no
//! partition is under-replicated before the next; the hasty one goes on as soon as the process
//! is up, so the next shutdown takes a replica the ISR still needs.

use crate::common::*;
use kafka_playground::command::Command;
use kafka_playground::errors::KafkaError;
use kafka_playground::sim::NodeStatus;

/// Three brokers that take 10 s to start (JVM, log loading), three partitions of RF 3,
/// acks=all with min ISR 2, a steady workload.
fn busy_cluster(seed: u64, unclean: bool) -> Cluster {
    let mut c = cluster(seed, 3, &[("min.insync.replicas", v(2)), ("unclean.leader.election.enable", v(unclean))], &[("acks", all())]);
    c.apply(Command::SetBrokerConfig { broker: None, key: "sim.broker.startup.ms".into(), value: v(10_000) });
    c.topic("orders", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 40.0, keys: 0 });
    c.run(3_000);
    c
}

fn not_enough_replicas(c: &Cluster) -> u64 {
    c.sim().producer.error_counts.get(&KafkaError::NOT_ENOUGH_REPLICAS).copied().unwrap_or(0)
}

#[test]
fn a_careful_rolling_restart_under_acks_all_and_min_isr_2_fails_no_send() {
    let mut c = busy_cluster(71, false);
    c.apply(Command::RollingRestart { hasty: false });
    assert!(c.run_until(|s| s.rolling_restart.is_none(), 600_000), "the rolling restart never finished: {}", c.dump_events());
    assert_eq!(c.events_matching("rolling restart: broker 1 is back (no partition is under-replicated); next: broker 2").len(), 1);
    assert_eq!(c.events_matching("rolling restart done").len(), 1);
    assert_eq!(c.events_matching("starts (recovering its logs from disk)").len(), 3, "each broker restarted once");
    for b in 1..=3 {
        assert_eq!(c.sim().brokers[&b].status(), NodeStatus::Online);
    }
    c.run(5_000);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(10_000);
    assert!(c.failed().is_empty(), "{:?}", c.failed());
    assert_eq!(not_enough_replicas(&c), 0, "an ISR never fell below min.insync.replicas");
    assert!(c.lost().is_empty());
    c.assert_no_violations();
    // One at a time.
    let e = {
        c.apply(Command::RollingRestart { hasty: false });
        c.cs.apply(Command::RollingRestart { hasty: true }).unwrap_err()
    };
    assert_eq!(e.field, "type");
}

#[test]
fn a_hasty_rolling_restart_shrinks_isrs_below_min_isr_and_the_producer_sees_not_enough_replicas() {
    let mut c = busy_cluster(72, false);
    c.apply(Command::RollingRestart { hasty: true });
    // Broker 1 is starting: the page counts down to its registration (sim.broker.startup.ms).
    assert!(c.run_until(|s| s.brokers[&1].status() == NodeStatus::Starting, 10_000));
    c.run(4_000);
    let cd = kafka_playground::page::countdowns::countdowns(c.sim());
    let s1 = cd.startups.iter().find(|t| t.broker == 1).expect("broker 1's start-up countdown");
    assert_eq!((s1.limit_ms, s1.elapsed_ms + s1.remaining_ms), (10_000, 10_000));
    assert!(s1.remaining_ms > 0 && s1.remaining_ms < 7_000, "{s1:?}");
    assert!(c.run_until(|s| s.rolling_restart.is_none(), 120_000));
    assert_eq!(c.events_matching("is back (its process is up)").len(), 2);
    c.run(60_000);
    assert!(not_enough_replicas(&c) > 0, "the hasty restart left an ISR of one: {:?}", c.events_matching("rolling"));
    // Safe settings still lose nothing acknowledged: the errors were refusals.
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn the_careful_restart_takes_longer_than_the_hasty_one() {
    let mut careful = busy_cluster(73, false);
    let mut hasty = busy_cluster(73, false);
    let t0 = careful.now();
    careful.apply(Command::RollingRestart { hasty: false });
    hasty.apply(Command::RollingRestart { hasty: true });
    assert!(careful.run_until(|s| s.rolling_restart.is_none(), 600_000));
    assert!(hasty.run_until(|s| s.rolling_restart.is_none(), 600_000));
    assert!(careful.now() - t0 > hasty.now() - t0, "careful {} ms, hasty {} ms", careful.now() - t0, hasty.now() - t0);
}

/// With unclean.leader.election.enable=true (and, with `elr` false, a cluster from before Kafka 4.1).
fn unclean_cluster(elr: bool) -> Cluster {
    let mut c =
        cluster_with_elr(74, 3, elr, &[("min.insync.replicas", v(2)), ("unclean.leader.election.enable", v(true))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3], &[2, 3, 1], &[3, 1, 2]], &[]);
    c.apply(Command::SetBrokerConfig { broker: None, key: "sim.broker.startup.ms".into(), value: v(10_000) });
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 40.0, keys: 0 });
    c.run(3_000);
    c
}

#[test]
fn a_hasty_rolling_restart_with_unclean_election_on_loses_acknowledged_writes_and_a_careful_one_does_not() {
    let mut hasty = unclean_cluster(false);
    hasty.apply(Command::RollingRestart { hasty: true });
    hasty.run(90_000);
    // The last broker of the ISR went down while the others were still starting: the
    // controller elected one of them uncleanly, and what only the ISR had acknowledged is gone.
    assert!(!hasty.events_matching("unclean").is_empty());
    assert!(!hasty.lost().is_empty(), "{:?}", hasty.events_matching("rolling"));
    let mut careful = unclean_cluster(false);
    careful.apply(Command::RollingRestart { hasty: false });
    careful.run(180_000);
    assert!(careful.sim().rolling_restart.is_none());
    assert!(careful.lost().is_empty());
    assert!(careful.failed().is_empty(), "{:?}", careful.failed());
}
