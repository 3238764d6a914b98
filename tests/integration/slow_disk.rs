//! A slow (stalling) disk on a follower, from the study notes' "브로커 디스크 멈춤": its replica
//! fetcher is stuck in each write, so it falls behind with a healthy network and a live
//! heartbeat. The controller never fences it; the leader drops it from the ISR after
//! `replica.lag.time.max.ms`, and it rejoins once its disk is healthy again.

use crate::common::*;
use kafka_playground::command::Command;
use kafka_playground::sim::NodeStatus;

#[test]
fn a_slow_disk_pushes_a_live_follower_out_of_the_isr_and_it_rejoins_when_the_disk_recovers() {
    let mut c = cluster(51, 3, &[("replica.lag.time.max.ms", v(10_000)), ("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 20.0, keys: 0 });
    c.run(2_000);
    let start = c.now();
    c.apply(Command::SlowDisk { broker: 3, write_latency_ms: 15_000 });
    assert!(c.run_until(|s| !s.controller.partitions.values().next().unwrap().isr.contains(&3), 30_000), "broker 3 never left the ISR");
    let left = c.now() - start;
    assert!((10_000..=16_000).contains(&left), "left the ISR {left} ms after its disk slowed (replica.lag.time.max.ms 10 s)");
    // Alive all along: registered, unfenced, heartbeating.
    assert_eq!(c.sim().brokers[&3].status(), NodeStatus::Online);
    assert!(!c.sim().controller.brokers[&3].fenced);
    assert_eq!(c.events_matching("fences broker 3: no heartbeat").len(), 0, "{:?}", c.events_matching("broker 3"));
    c.apply(Command::SlowDisk { broker: 3, write_latency_ms: 0 });
    assert!(c.run_until(|s| s.controller.partitions.values().next().unwrap().isr.contains(&3), 40_000), "broker 3 never rejoined");
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 0.0, keys: 0 });
    c.run(3_000);
    assert!(c.lost().is_empty());
    assert!(c.failed().is_empty(), "acks=all with min.insync.replicas=2 kept being acknowledged by 1 and 2: {:?}", c.failed());
    let e = c.cs.apply(Command::SlowDisk { broker: 3, write_latency_ms: -1 }).unwrap_err();
    assert_eq!(e.field, "write_latency_ms");
}

#[test]
fn a_slow_disk_on_the_leader_holds_its_producers_one_write_at_a_time() {
    let mut c = cluster(52, 3, &[("min.insync.replicas", v(2))], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "warm", 1);
    c.run(2_000);
    assert_eq!(c.acked_values().len(), 1);
    c.apply(Command::SlowDisk { broker: 1, write_latency_ms: 2_000 });
    let t0 = c.now();
    c.produce("orders", "slow", 1);
    // Not appended before the write is done: nothing acknowledged for 2 s.
    c.run(1_900);
    assert_eq!(c.acked_values().len(), 1, "acknowledged before the slow write finished");
    assert_eq!(c.log_end_offset(1, "orders"), 1);
    assert!(c.run_until(
        |s| s
            .producer
            .sends
            .values()
            .filter(|x| matches!(x.outcome, kafka_playground::client::producer::SendOutcome::Acked { .. }))
            .count()
            == 2,
        3_000
    ));
    let took = c.now() - t0;
    assert!((2_000..2_200).contains(&took), "the write took {took} ms on a 2 s disk");
    assert_eq!(c.events_matching("the disk is slow: appending a produce request").len(), 1);
    c.apply(Command::SlowDisk { broker: 1, write_latency_ms: 0 });
    c.produce("orders", "fast", 1);
    c.run(200);
    assert_eq!(c.acked_values().len(), 3, "a healthy disk appends at once");
    assert!(c.lost().is_empty());
}
