//! The fast invariants never go quiet: a broker or the controller that breaks a rule in one
//! event is reported at that event, by the incremental checker that looks only at what the
//! event's node changed. Each test breaks one rule by hand, as a buggy protocol would, where
//! Kafka's code never does (src/check/checker.rs says which promise each invariant holds).

use crate::common::*;
use kafka_playground::broker::Broker;
use kafka_playground::check::checker::Invariant;
use kafka_playground::ids::{NodeId, TopicPartition};
use kafka_playground::log::record::NewRecord;
use kafka_playground::protocol::MetadataRecord;

/// A 3-broker cluster with `orders` on brokers 1, 2, 3 (1 leads), 40 records written and
/// replicated to every ISR member: (the cluster, the partition).
fn steady_cluster() -> (Cluster, TopicPartition) {
    let mut c = cluster(1, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "v", 40);
    c.run(3_000);
    let tp = TopicPartition::new("orders", 0);
    assert_eq!(c.leader("orders"), Some(1));
    assert_eq!(c.isr("orders"), vec![1, 2, 3]);
    for b in [1, 2, 3] {
        assert_eq!(c.sim().brokers[&b].process.as_ref().unwrap().disk.logs[&tp].log_end_offset(), 40, "broker {b}");
    }
    c.cs.checker.check_fast(&c.cs.sim);
    c.assert_no_violations();
    (c, tp)
}

/// Broker `b` handles one event that does `f` to its state, and the checker looks, as after any
/// event. `f` changes the partitions `marked` (the broker's code marks what it touches,
/// `broker/touched.rs`, and the checker looks again at those only); `&[]`: the event changes nothing.
fn broker_event(c: &mut Cluster, b: i32, marked: &[TopicPartition], f: impl FnOnce(&mut Broker)) {
    let broker = c.cs.sim.brokers.get_mut(&b).unwrap().process.as_mut().unwrap();
    broker.touched.clear();
    for tp in marked {
        broker.touched.mark(*tp);
    }
    f(broker);
    one_event_at(c, NodeId::Broker(b));
}

/// The controller commits `tp`'s partition state as `f` changes it, in one event.
fn controller_event(c: &mut Cluster, tp: TopicPartition, f: impl FnOnce(&mut kafka_playground::protocol::PartitionState)) {
    let ctl = &mut c.cs.sim.controller;
    let mut st = ctl.partitions[&tp].clone();
    f(&mut st);
    st.partition_epoch += 1;
    ctl.partitions.insert(tp, st.clone());
    ctl.log.push(MetadataRecord::Partition(st));
    ctl.committed = ctl.log.len() as i64;
    one_event_at(c, NodeId::Controller);
}

fn one_event_at(c: &mut Cluster, node: NodeId) {
    c.cs.sim.last_node = Some(node);
    c.cs.sim.events_processed += 1;
    c.cs.checker.check_fast(&c.cs.sim);
}

fn reported(c: &Cluster, invariant: Invariant) -> Vec<String> {
    c.cs.checker.violations.iter().filter(|v| v.invariant == invariant).map(|v| v.message.clone()).collect()
}

#[test]
fn a_leader_that_lowers_its_high_watermark_within_its_epoch_is_reported_at_that_event() {
    let (mut c, tp) = steady_cluster();
    broker_event(&mut c, 1, &[tp], |b| {
        b.disk.logs.get_mut(&tp).unwrap().update_high_watermark(30);
    });
    let found = reported(&c, Invariant::LeaderHighWatermarkDecreased);
    assert_eq!(found, vec!["leader 1 of orders-0 lowered its HW from 40 to 30 in epoch 0".to_string()], "{found:?}");
}

#[test]
fn a_follower_that_starts_leading_in_the_leaders_epoch_is_a_second_leader_in_one_epoch() {
    let (mut c, tp) = steady_cluster();
    let st = c.partition("orders");
    broker_event(&mut c, 2, &[tp], |b| {
        let log = b.disk.logs.get_mut(&tp).unwrap();
        b.partitions.get_mut(&tp).unwrap().make_leader(
            log,
            st.replicas.clone(),
            st.isr.clone(),
            st.leader_epoch,
            st.partition_epoch,
            false,
            0,
        );
    });
    let found = reported(&c, Invariant::TwoLeadersInOneEpoch);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("1 and 2") && found[0].contains("orders-0"), "{found:?}");
}

#[test]
fn an_isr_member_that_truncates_below_the_leaders_high_watermark_is_reported_at_its_own_event() {
    let (mut c, tp) = steady_cluster();
    broker_event(&mut c, 3, &[tp], |b| {
        b.disk.logs.get_mut(&tp).unwrap().truncate_to(25, 0);
    });
    let found = reported(&c, Invariant::IsrMemberDisagreesBelowHighWatermark);
    assert_eq!(found, vec!["ISR member 3 of orders-0 ends at offset 25 below leader 1's HW 40 (epoch 0)".to_string()]);
}

#[test]
fn a_leader_that_raises_its_high_watermark_past_an_isr_member_is_caught_at_that_members_next_event_though_the_member_did_not_change() {
    // The follower's own state is what the checker saw last time; what moved is its leader's HW.
    let (mut c, tp) = steady_cluster();
    broker_event(&mut c, 1, &[tp], |b| {
        let epoch = b.partitions[&tp].leader_epoch;
        let log = b.disk.logs.get_mut(&tp).unwrap();
        let more: Vec<NewRecord> =
            (0..5).map(|i| NewRecord { key: None, value: Some(format!("x{i}").into()), write_id: 9_000 + i }).collect();
        log.append_as_leader(&more, epoch, 0);
        log.update_high_watermark(45); // as if followers had fetched them: they have not
    });
    assert!(reported(&c, Invariant::IsrMemberDisagreesBelowHighWatermark).is_empty(), "no follower has had an event yet");
    broker_event(&mut c, 2, &[], |_| {});
    let found = reported(&c, Invariant::IsrMemberDisagreesBelowHighWatermark);
    assert_eq!(found, vec!["ISR member 2 of orders-0 ends at offset 40 below leader 1's HW 45 (epoch 0)".to_string()]);
}

#[test]
fn a_lagging_replica_the_controller_puts_back_into_the_isr_is_caught_at_its_next_event_though_it_did_not_change() {
    let (mut c, tp) = steady_cluster();
    controller_event(&mut c, tp, |st| st.isr.retain(|&b| b != 3));
    broker_event(&mut c, 3, &[tp], |b| {
        b.disk.logs.get_mut(&tp).unwrap().truncate_to(25, 0);
    });
    assert!(reported(&c, Invariant::IsrMemberDisagreesBelowHighWatermark).is_empty(), "a replica out of the ISR may lag");
    controller_event(&mut c, tp, |st| st.isr.push(3));
    broker_event(&mut c, 3, &[], |_| {});
    let found = reported(&c, Invariant::IsrMemberDisagreesBelowHighWatermark);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("ISR member 3 of orders-0 ends at offset 25 below leader 1's HW 40"), "{found:?}");
}

#[test]
fn a_controller_that_elects_a_leader_outside_the_isr_or_names_a_non_replica_in_it_is_reported_at_once() {
    let (mut c, tp) = steady_cluster();
    controller_event(&mut c, tp, |st| {
        st.isr = vec![2, 3, 7];
    });
    let not_in = reported(&c, Invariant::LeaderNotInIsr);
    assert_eq!(not_in, vec!["leader 1 of orders-0 is not in its ISR [2,3,7]".to_string()]);
    let not_replica = reported(&c, Invariant::IsrNotSubsetOfReplicas);
    assert_eq!(not_replica, vec!["ISR of orders-0 names broker 7, which is not a replica".to_string()]);
}
