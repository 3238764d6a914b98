//! The checker never cries wolf: each invariant compares with what Kafka promises. A reader
//! that read committed records must find them on the partition's leader — the one that
//! serves it now, not a leader that lost power and is about to be replaced.

use crate::common::*;
use kafka_playground::check::checker::Invariant;
use kafka_playground::command::Command;

#[test]
fn a_leader_losing_power_under_default_flush_settings_is_no_replaced_record_for_a_committed_reader() {
    // Kafka's default: no fsync (log.flush.interval.messages unset). acks=all, min.insync.replicas=2:
    // every record the reader saw (below the HW) is on both followers; the leader loses power and
    // its page cache, the controller fences it after broker.session.timeout.ms and elects a
    // follower, which holds every record the reader saw.
    for seed in [1, 2, 3, 4] {
        let mut c = cluster(seed, 3, &[("min.insync.replicas", v(2))], &[]);
        c.topic("orders", &[&[1, 2, 3]], &[]);
        c.apply(Command::StartReader { topic: "orders".into(), partition: 0 });
        c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 300.0, keys: 0 });
        c.run(3_000);
        assert!(c.sim().readers.values().all(|r| !r.seen.is_empty()), "seed {seed}: the reader read nothing");
        c.apply(Command::CrashBroker { broker: 1, keep_page_cache: false });
        // While broker 1 is down but still named leader, and after broker 2 or 3 takes over.
        c.run(15_000);
        assert!(c.leader("orders").is_some_and(|l| l != 1), "seed {seed}: no new leader");
        c.apply(Command::RestartBroker { broker: 1 });
        c.run(10_000);
        assert!(c.lost().is_empty(), "seed {seed}: the followers held every acknowledged write: {:?}", c.lost());
        c.assert_no_violations();
    }
}

#[test]
fn a_record_a_reader_saw_that_an_unclean_election_replaces_is_still_reported() {
    // The real thing: the reader read what an ISR of one committed; the out-of-sync replica
    // elected uncleanly writes other records at those offsets.
    let mut c = jepsen_2013(1, true, true, true);
    assert!(c.sim().readers.values().any(|r| r.seen.iter().any(|s| s.offset >= 2)), "the reader never read the ISR-of-one writes");
    assert!(c.leader("jepsen").is_some_and(|l| l != 1), "an out-of-sync replica was elected");
    c.produce("jepsen", "after-unclean", 8);
    c.run(5_000);
    let names = c.cs.checker.names();
    assert!(names.contains("ConsumerSawReplacedRecord"), "{names:?}");
    let v = c.cs.checker.violations.iter().find(|v| v.invariant == Invariant::ConsumerSawReplacedRecord).unwrap();
    assert!(v.message.contains("no longer holds") && v.message.contains("jepsen-0"), "{}", v.message);
}
