//! Kafka's consumer partition assignors, checked against the expected assignments in Kafka's own test classes
//! (clients/src/test/java/org/apache/kafka/clients/consumer/{RangeAssignorTest, RoundRobinAssignorTest,
//! CooperativeStickyAssignorTest}.java and internals/AbstractStickyAssignorTest.java), plus property checks
//! over generated groups.
//!
//! Kafka's tests build `HashMap<String, Subscription>`s with `put`; the slices here list members in the same
//! order (the assignor reproduces Java's HashMap iteration order from it). Kafka's sticky tests that assert
//! `partitionsTransferringOwnership.isEmpty()` are checked through what that means for the cooperative result:
//! nothing is withheld, so every partition is assigned in the first round.
use kafka_playground::client::assignor::{assign, Assignor, Subscription};
use kafka_playground::ids::TopicPartition;
use std::collections::{BTreeMap, BTreeSet};

type Assignment = BTreeMap<String, Vec<TopicPartition>>;

const RANGE: Assignor = Assignor::Range;
const RR: Assignor = Assignor::RoundRobin;
const COOP: Assignor = Assignor::CooperativeSticky;
/// AbstractStickyAssignorTest.generationId
const GEN: i32 = 1;

fn tp(t: &str, p: u32) -> TopicPartition {
    TopicPartition::new(t, p)
}

/// Kafka's test notation, "t1-0, t2-3" (sorted, as our lists are).
fn tps(s: &str) -> Vec<TopicPartition> {
    let mut v: Vec<TopicPartition> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            let (t, p) = x.rsplit_once('-').unwrap();
            tp(t, p.parse().unwrap())
        })
        .collect();
    v.sort();
    v
}

fn topics(ts: &[(&str, u32)]) -> BTreeMap<String, u32> {
    ts.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

/// AbstractStickyAssignorTest.subscription / RangeAssignorTest.subscription: no owned partitions, DEFAULT_GENERATION.
fn sub(id: &str, ts: &[&str]) -> Subscription {
    owned(id, ts, vec![], -1)
}

/// buildSubscriptionV2Above(topics, partitions, generation, ...)
fn owned(id: &str, ts: &[&str], partitions: Vec<TopicPartition>, generation: i32) -> Subscription {
    Subscription {
        member_id: id.to_string(),
        group_instance_id: None,
        topics: ts.iter().map(|t| t.to_string()).collect(),
        owned_partitions: partitions,
        generation,
        rack: None,
    }
}

fn with_instance(mut s: Subscription, instance: &str) -> Subscription {
    s.group_instance_id = Some(instance.to_string());
    s
}

fn with_rack(mut s: Subscription, rack: &str) -> Subscription {
    s.rack = Some(rack.to_string());
    s
}

fn get<'a>(a: &'a Assignment, id: &str) -> &'a Vec<TopicPartition> {
    a.get(id).unwrap_or_else(|| panic!("{id} missing from {a:?}"))
}

fn all_partitions(ppt: &BTreeMap<String, u32>) -> BTreeSet<TopicPartition> {
    ppt.iter().flat_map(|(t, &n)| (0..n).map(move |p| tp(t, p))).collect()
}

fn assigned(a: &Assignment) -> Vec<TopicPartition> {
    let mut v: Vec<TopicPartition> = a.values().flatten().cloned().collect();
    v.sort();
    v
}

/// AbstractStickyAssignorTest.isFullyBalanced
fn is_fully_balanced(a: &Assignment) -> bool {
    let min = a.values().map(Vec::len).min().unwrap_or(0);
    let max = a.values().map(Vec::len).max().unwrap_or(0);
    max - min <= 1
}

/// CooperativeStickyAssignorTest.verifyCooperativeValidity: no partition is revoked and newly assigned in the same
/// rebalance. Returns whether partitions are being revoked (a follow-up rebalance is due).
fn verify_cooperative_validity(subs: &[Subscription], a: &Assignment) -> bool {
    let mut added = BTreeSet::new();
    let mut revoked = BTreeSet::new();
    for s in subs {
        let list = get(a, &s.member_id);
        revoked.extend(s.owned_partitions.iter().filter(|p| !list.contains(p)).cloned());
        added.extend(list.iter().filter(|p| !s.owned_partitions.contains(p)).cloned());
    }
    let both: Vec<_> = added.intersection(&revoked).collect();
    assert!(both.is_empty(), "partitions assigned to a new consumer in the same rebalance they are revoked: {both:?}");
    !revoked.is_empty()
}

/// AbstractStickyAssignorTest.verifyValidityAndBalance
fn verify_validity_and_balance(subs: &[Subscription], a: &Assignment) {
    assert_eq!(subs.len(), a.len());
    let consumers: Vec<&String> = a.keys().collect();
    for (i, c) in consumers.iter().enumerate() {
        let s = subs.iter().find(|s| &&s.member_id == c).unwrap();
        let partitions = &a[*c];
        for p in partitions {
            assert!(s.topics.contains(&p.topic.to_string()), "{p} assigned to {c} which does not subscribe to it: {a:?}");
        }
        for other in &consumers[i + 1..] {
            let other_partitions = &a[*other];
            assert!(partitions.iter().all(|p| !other_partitions.contains(p)), "{c} and {other} share partitions: {a:?}");
            if partitions.len().abs_diff(other_partitions.len()) <= 1 {
                continue;
            }
            let mine: BTreeSet<&str> = partitions.iter().map(|p| p.topic.as_str()).collect();
            let theirs: BTreeSet<&str> = other_partitions.iter().map(|p| p.topic.as_str()).collect();
            assert!(mine.is_disjoint(&theirs), "partitions can be moved between {c} and {other} for a better balance: {a:?}");
        }
    }
}

/// CooperativeStickyAssignorTest.verifyValidityAndBalance: run the follow-up rebalances (owned partitions =
/// the last assignment, generation = generationId) until nothing is revoked, then check validity and balance.
/// Updates `subs` in place, as Kafka's test does. Returns the final assignment and the number of follow-ups.
fn settle_with(ppt: &BTreeMap<String, u32>, subs: &mut [Subscription], first: Assignment, generation: i32) -> (Assignment, usize) {
    let mut a = first;
    let mut rebalances = 0;
    while verify_cooperative_validity(subs, &a) {
        for s in subs.iter_mut() {
            s.owned_partitions = a[&s.member_id].clone();
            s.generation = generation;
        }
        a = assign(COOP, ppt, subs);
        rebalances += 1;
        assert!(rebalances <= 4, "no convergence: {a:?}");
    }
    verify_validity_and_balance(subs, &a);
    (a, rebalances)
}

fn settle(ppt: &BTreeMap<String, u32>, subs: &mut [Subscription], first: Assignment) -> Assignment {
    settle_with(ppt, subs, first, GEN).0
}

/// AbstractPartitionAssignorTest.verifyRackAssignment without racks: consumers "consumer0".., expected per consumer.
fn verify_assignment(a: Assignor, ppt: &BTreeMap<String, u32>, consumer_topics: &[&[&str]], owned_by: &[&str], expected: &[&str]) {
    let subs: Vec<Subscription> = consumer_topics
        .iter()
        .enumerate()
        .map(|(i, ts)| {
            let o = owned_by.get(i).map_or(vec![], |s| tps(s));
            owned(&format!("consumer{i}"), ts, o, -1)
        })
        .collect();
    let result = assign(a, ppt, &subs);
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(get(&result, &format!("consumer{i}")), &tps(e), "consumer{i} in {result:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn names_parse_and_protocols() {
    for a in [RANGE, RR, COOP] {
        assert_eq!(Assignor::parse(a.name()), Some(a));
    }
    assert_eq!(RANGE.name(), "range");
    assert_eq!(RR.name(), "roundrobin");
    assert_eq!(COOP.name(), "cooperative-sticky");
    assert_eq!(Assignor::parse("org.apache.kafka.clients.consumer.RangeAssignor"), Some(RANGE));
    assert_eq!(Assignor::parse("org.apache.kafka.clients.consumer.RoundRobinAssignor"), Some(RR));
    assert_eq!(Assignor::parse("org.apache.kafka.clients.consumer.CooperativeStickyAssignor"), Some(COOP));
    assert_eq!(Assignor::parse("sticky"), None);
    assert!(COOP.is_cooperative() && !RANGE.is_cooperative() && !RR.is_cooperative());
}

// ---------------------------------------------------------------------------------------------------------------
// RangeAssignorTest
// ---------------------------------------------------------------------------------------------------------------

/// RangeAssignorTest.testOneConsumerNoTopic / testOneConsumerNonexistentTopic
#[test]
fn range_one_consumer_no_topic_or_nonexistent_topic() {
    let a = assign(RANGE, &topics(&[]), &[sub("consumer1", &[])]);
    assert_eq!(a.keys().collect::<Vec<_>>(), ["consumer1"]);
    assert!(a["consumer1"].is_empty());
    let a = assign(RANGE, &topics(&[]), &[sub("consumer1", &["topic1"])]);
    assert_eq!(a.keys().collect::<Vec<_>>(), ["consumer1"]);
    assert!(a["consumer1"].is_empty());
}

/// RangeAssignorTest.testOneConsumerOneTopic, testOnlyAssignsPartitionsFromSubscribedTopics, testOneConsumerMultipleTopics
#[test]
fn range_one_consumer() {
    let a = assign(RANGE, &topics(&[("topic1", 3)]), &[sub("consumer1", &["topic1"])]);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-1, topic1-2"));
    let a = assign(RANGE, &topics(&[("topic1", 3), ("other", 3)]), &[sub("consumer1", &["topic1"])]);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-1, topic1-2"));
    let a = assign(RANGE, &topics(&[("topic1", 1), ("topic2", 2)]), &[sub("consumer1", &["topic1", "topic2"])]);
    assert_eq!(a["consumer1"], tps("topic1-0, topic2-0, topic2-1"));
}

/// RangeAssignorTest.testTwoConsumersOneTopicOnePartition, testTwoConsumersOneTopicTwoPartitions
#[test]
fn range_two_consumers_one_topic() {
    let subs = [sub("consumer1", &["topic1"]), sub("consumer2", &["topic1"])];
    let a = assign(RANGE, &topics(&[("topic1", 1)]), &subs);
    assert_eq!(a["consumer1"], tps("topic1-0"));
    assert!(a["consumer2"].is_empty());
    let a = assign(RANGE, &topics(&[("topic1", 2)]), &subs);
    assert_eq!(a["consumer1"], tps("topic1-0"));
    assert_eq!(a["consumer2"], tps("topic1-1"));
}

/// RangeAssignor class javadoc (C0: [t0p0, t0p1, t1p0, t1p1], C1: [t0p2, t1p2]): two consumers, 3 partitions per topic.
#[test]
fn range_javadoc_example() {
    let a = assign(RANGE, &topics(&[("t0", 3)]), &[sub("C0", &["t0"]), sub("C1", &["t0"])]);
    assert_eq!(a["C0"], tps("t0-0, t0-1"));
    assert_eq!(a["C1"], tps("t0-2"));
    let a = assign(RANGE, &topics(&[("t0", 3), ("t1", 3)]), &[sub("C0", &["t0", "t1"]), sub("C1", &["t0", "t1"])]);
    assert_eq!(a["C0"], tps("t0-0, t0-1, t1-0, t1-1"));
    assert_eq!(a["C1"], tps("t0-2, t1-2"));
}

/// RangeAssignorTest.testMultipleConsumersMixedTopics
#[test]
fn range_multiple_consumers_mixed_topics() {
    let subs = [sub("consumer1", &["topic1"]), sub("consumer2", &["topic1", "topic2"]), sub("consumer3", &["topic1"])];
    let a = assign(RANGE, &topics(&[("topic1", 3), ("topic2", 2)]), &subs);
    assert_eq!(a["consumer1"], tps("topic1-0"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-0, topic2-1"));
    assert_eq!(a["consumer3"], tps("topic1-2"));
}

/// RangeAssignorTest.testTwoConsumersTwoTopicsSixPartitions
#[test]
fn range_two_consumers_two_topics_six_partitions() {
    let subs = [sub("consumer1", &["topic1", "topic2"]), sub("consumer2", &["topic1", "topic2"])];
    let a = assign(RANGE, &topics(&[("topic1", 3), ("topic2", 3)]), &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-1, topic2-0, topic2-1"));
    assert_eq!(a["consumer2"], tps("topic1-2, topic2-2"));
}

/// RangeAssignorTest.testTwoStaticConsumersTwoTopicsSixPartitions, testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions:
/// members sort by group.instance.id, and static members before dynamic ones.
#[test]
fn range_static_members_sort_by_instance_id() {
    let ppt = topics(&[("topic1", 3), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let subs = [with_instance(sub("consumer-b", &both), "instance1"), with_instance(sub("consumer-a", &both), "instance2")];
    let a = assign(RANGE, &ppt, &subs);
    assert_eq!(a["consumer-b"], tps("topic1-0, topic1-1, topic2-0, topic2-1"));
    assert_eq!(a["consumer-a"], tps("topic1-2, topic2-2"));
    let subs = [with_instance(sub("consumer-b", &both), "instance1"), sub("consumer-a", &both)];
    let a = assign(RANGE, &ppt, &subs);
    assert_eq!(a["consumer-b"], tps("topic1-0, topic1-1, topic2-0, topic2-1"));
    assert_eq!(a["consumer-a"], tps("topic1-2, topic2-2"));
}

/// RangeAssignorTest.testStaticMemberRangeAssignmentPersistent
#[test]
fn range_static_member_assignment_persistent() {
    let ppt = topics(&[("topic1", 5), ("topic2", 4)]);
    let both = ["topic1", "topic2"];
    let mut subs = vec![
        with_instance(sub("consumer1", &both), "instance1"),
        with_instance(sub("consumer2", &both), "instance2"),
        with_instance(sub("consumer3", &both), "instance3"),
        sub("consumer4", &both),
    ];
    let a = assign(RANGE, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-1, topic2-0"));
    assert_eq!(a["consumer2"], tps("topic1-2, topic2-1"));
    assert_eq!(a["consumer3"], tps("topic1-3, topic2-2"));
    assert_eq!(a["consumer4"], tps("topic1-4, topic2-3"));
    subs[3] = sub("consumer5", &both);
    let b = assign(RANGE, &ppt, &subs);
    assert_eq!(b.len(), 4);
    assert_eq!(b["consumer5"], tps("topic1-4, topic2-3"));
    for c in ["consumer1", "consumer2", "consumer3"] {
        assert_eq!(a[c], b[c]);
    }
}

/// RangeAssignorTest.testStaticMemberRangeAssignmentPersistentAfterMemberIdChanges
#[test]
fn range_static_member_assignment_persistent_after_member_id_changes() {
    let ppt = topics(&[("topic1", 5), ("topic2", 5)]);
    let both = ["topic1", "topic2"];
    let by_instance = |subs: &[Subscription]| -> BTreeMap<String, Vec<TopicPartition>> {
        let a = assign(RANGE, &ppt, subs);
        subs.iter().map(|s| (s.group_instance_id.clone().unwrap(), a[&s.member_id].clone())).collect()
    };
    let subs = vec![
        with_instance(sub("consumer1", &both), "instance1"),
        with_instance(sub("consumer2", &both), "instance2"),
        with_instance(sub("consumer3", &both), "instance3"),
    ];
    let first = by_instance(&subs);
    assert_eq!(first["instance1"], tps("topic1-0, topic1-1, topic2-0, topic2-1"));
    assert_eq!(first["instance2"], tps("topic1-2, topic1-3, topic2-2, topic2-3"));
    assert_eq!(first["instance3"], tps("topic1-4, topic2-4"));
    let subs = vec![
        with_instance(sub("consumer1", &both), "instance1"),
        with_instance(sub("consumer4", &both), "instance3"),
        with_instance(sub("consumer5", &both), "instance2"),
    ];
    assert_eq!(by_instance(&subs), first);
}

/// RangeAssignorTest.verifyNonRackAwareAssignment expectations from testRackAwareAssignmentWithUniformSubscription,
/// testRackAwareAssignmentWithNonEqualSubscription, testRackAwareAssignmentWithUniformPartitions,
/// testRackAwareAssignmentWithUniformPartitionsNonEqualSubscription, testRackAwareAssignmentWithCoPartitioning and
/// testCoPartitionedAssignmentWithSameSubscription (the cases where Kafka does not use rack-aware logic).
#[test]
fn range_non_rack_aware_expectations() {
    let all: &[&str] = &["t1", "t2", "t3"];
    let t13: &[&str] = &["t1", "t3"];
    let ppt = topics(&[("t1", 6), ("t2", 7), ("t3", 2)]);
    verify_assignment(
        RANGE,
        &ppt,
        &[all, all, all],
        &[],
        &["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0", "t1-2, t1-3, t2-3, t2-4, t3-1", "t1-4, t1-5, t2-5, t2-6"],
    );
    verify_assignment(
        RANGE,
        &ppt,
        &[all, all, t13],
        &[],
        &["t1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0", "t1-2, t1-3, t2-4, t2-5, t2-6, t3-1", "t1-4, t1-5"],
    );
    let ppt = topics(&[("t1", 5), ("t2", 5), ("t3", 5)]);
    verify_assignment(
        RANGE,
        &ppt,
        &[all, all, all],
        &[],
        &["t1-0, t1-1, t2-0, t2-1, t3-0, t3-1", "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3", "t1-4, t2-4, t3-4"],
    );
    verify_assignment(
        RANGE,
        &ppt,
        &[all, all, t13],
        &[],
        &["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1", "t1-2, t1-3, t2-3, t2-4, t3-2, t3-3", "t1-4, t3-4"],
    );

    let ppt = topics(&[("t1", 6), ("t2", 6), ("t3", 2), ("t4", 2)]);
    let t12: &[&str] = &["t1", "t2"];
    let t34: &[&str] = &["t3", "t4"];
    verify_assignment(
        RANGE,
        &ppt,
        &[t12, t12, t34, t34],
        &[],
        &["t1-0, t1-1, t1-2, t2-0, t2-1, t2-2", "t1-3, t1-4, t1-5, t2-3, t2-4, t2-5", "t3-0, t4-0", "t3-1, t4-1"],
    );
    let all4: &[&str] = &["t1", "t2", "t3", "t4"];
    verify_assignment(
        RANGE,
        &ppt,
        &[all4, all4, all4, all4],
        &[],
        &["t1-0, t1-1, t2-0, t2-1, t3-0, t4-0", "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1", "t1-4, t2-4", "t1-5, t2-5"],
    );

    // testCoPartitionedAssignmentWithSameSubscription: consumers have racks, brokers have none; t7..t9 don't exist.
    let ppt = topics(&[("t1", 6), ("t2", 6), ("t3", 2), ("t4", 2), ("t5", 4), ("t6", 4)]);
    let list = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];
    let subs: Vec<Subscription> =
        ["a", "b", "c"].iter().enumerate().map(|(i, r)| with_rack(sub(&format!("consumer{i}"), &list), r)).collect();
    let a = assign(RANGE, &ppt, &subs);
    assert_eq!(a["consumer0"], tps("t1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1"));
    assert_eq!(a["consumer1"], tps("t1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2"));
    assert_eq!(a["consumer2"], tps("t1-4, t1-5, t2-4, t2-5, t5-3, t6-3"));
}

// ---------------------------------------------------------------------------------------------------------------
// RoundRobinAssignorTest
// ---------------------------------------------------------------------------------------------------------------

/// RoundRobinAssignorTest.testOneConsumerNoTopic, testOneConsumerNonexistentTopic, testOneConsumerOneTopic,
/// testOnlyAssignsPartitionsFromSubscribedTopics, testOneConsumerMultipleTopics
#[test]
fn roundrobin_one_consumer() {
    let a = assign(RR, &topics(&[]), &[sub("consumer", &[])]);
    assert_eq!(a.len(), 1);
    assert!(a["consumer"].is_empty());
    let a = assign(RR, &topics(&[]), &[sub("consumer", &["topic"])]);
    assert!(a["consumer"].is_empty());
    let a = assign(RR, &topics(&[("topic", 3)]), &[sub("consumer", &["topic"])]);
    assert_eq!(a["consumer"], tps("topic-0, topic-1, topic-2"));
    let a = assign(RR, &topics(&[("topic", 3), ("other", 3)]), &[sub("consumer", &["topic"])]);
    assert_eq!(a["consumer"], tps("topic-0, topic-1, topic-2"));
    let a = assign(RR, &topics(&[("topic1", 1), ("topic2", 2)]), &[sub("consumer", &["topic1", "topic2"])]);
    assert_eq!(a["consumer"], tps("topic1-0, topic2-0, topic2-1"));
}

/// RoundRobinAssignorTest.testTwoConsumersOneTopicOnePartition, testTwoConsumersOneTopicTwoPartitions
#[test]
fn roundrobin_two_consumers_one_topic() {
    let subs = [sub("consumer1", &["topic"]), sub("consumer2", &["topic"])];
    let a = assign(RR, &topics(&[("topic", 1)]), &subs);
    assert_eq!(a["consumer1"], tps("topic-0"));
    assert!(a["consumer2"].is_empty());
    let a = assign(RR, &topics(&[("topic", 2)]), &subs);
    assert_eq!(a["consumer1"], tps("topic-0"));
    assert_eq!(a["consumer2"], tps("topic-1"));
}

/// RoundRobinAssignorTest.testMultipleConsumersMixedTopics
#[test]
fn roundrobin_multiple_consumers_mixed_topics() {
    let subs = [sub("consumer1", &["topic1"]), sub("consumer2", &["topic1", "topic2"]), sub("consumer3", &["topic1"])];
    let a = assign(RR, &topics(&[("topic1", 3), ("topic2", 2)]), &subs);
    assert_eq!(a["consumer1"], tps("topic1-0"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-0, topic2-1"));
    assert_eq!(a["consumer3"], tps("topic1-2"));
}

/// RoundRobinAssignor class javadoc: C0 subscribes t0; C1 t0, t1; C2 t0, t1, t2 (1, 2 and 3 partitions).
#[test]
fn roundrobin_javadoc_unequal_subscriptions() {
    let subs = [sub("C0", &["t0"]), sub("C1", &["t0", "t1"]), sub("C2", &["t0", "t1", "t2"])];
    let a = assign(RR, &topics(&[("t0", 1), ("t1", 2), ("t2", 3)]), &subs);
    assert_eq!(a["C0"], tps("t0-0"));
    assert_eq!(a["C1"], tps("t1-0"));
    assert_eq!(a["C2"], tps("t1-1, t2-0, t2-1, t2-2"));
}

/// RoundRobinAssignorTest.testTwoDynamicConsumersTwoTopicsSixPartitions, testTwoStaticConsumersTwoTopicsSixPartitions,
/// testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions
#[test]
fn roundrobin_two_consumers_two_topics_six_partitions() {
    let ppt = topics(&[("topic1", 3), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let a = assign(RR, &ppt, &[sub("consumer1", &both), sub("consumer2", &both)]);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-2, topic2-1"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-0, topic2-2"));
    let a = assign(RR, &ppt, &[with_instance(sub("consumer-b", &both), "instance1"), with_instance(sub("consumer-a", &both), "instance2")]);
    assert_eq!(a["consumer-b"], tps("topic1-0, topic1-2, topic2-1"));
    assert_eq!(a["consumer-a"], tps("topic1-1, topic2-0, topic2-2"));
    let a = assign(RR, &ppt, &[with_instance(sub("consumer-b", &both), "instance1"), sub("consumer-a", &both)]);
    assert_eq!(a["consumer-b"], tps("topic1-0, topic1-2, topic2-1"));
    assert_eq!(a["consumer-a"], tps("topic1-1, topic2-0, topic2-2"));
}

/// RoundRobinAssignorTest.testStaticMemberRoundRobinAssignmentPersistent
#[test]
fn roundrobin_static_member_assignment_persistent() {
    let ppt = topics(&[("topic1", 3), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let mut subs = vec![
        with_instance(sub("consumer1", &both), "instance1"),
        with_instance(sub("consumer2", &both), "instance2"),
        with_instance(sub("consumer3", &both), "instance3"),
        sub("consumer4", &both),
    ];
    let a = assign(RR, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic2-1"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-2"));
    assert_eq!(a["consumer3"], tps("topic1-2"));
    assert_eq!(a["consumer4"], tps("topic2-0"));
    subs[3] = sub("consumer5", &both);
    let a = assign(RR, &ppt, &subs);
    assert_eq!(a["consumer5"], tps("topic2-0"));
    assert_eq!(a["consumer1"], tps("topic1-0, topic2-1"));
}

/// RoundRobinAssignorTest.testStaticMemberRoundRobinAssignmentPersistentAfterMemberIdChanges
#[test]
fn roundrobin_static_member_assignment_persistent_after_member_id_changes() {
    let ppt = topics(&[("topic1", 5), ("topic2", 5)]);
    let both = ["topic1", "topic2"];
    let by_instance = |subs: &[Subscription]| -> BTreeMap<String, Vec<TopicPartition>> {
        let a = assign(RR, &ppt, subs);
        subs.iter().map(|s| (s.group_instance_id.clone().unwrap(), a[&s.member_id].clone())).collect()
    };
    let first = by_instance(&[
        with_instance(sub("consumer1", &both), "instance1"),
        with_instance(sub("consumer2", &both), "instance2"),
        with_instance(sub("consumer3", &both), "instance3"),
    ]);
    assert_eq!(first["instance1"], tps("topic1-0, topic1-3, topic2-1, topic2-4"));
    assert_eq!(first["instance2"], tps("topic1-1, topic1-4, topic2-2"));
    assert_eq!(first["instance3"], tps("topic1-2, topic2-0, topic2-3"));
    let second = by_instance(&[
        with_instance(sub("consumer1", &both), "instance1"),
        with_instance(sub("consumer4", &both), "instance3"),
        with_instance(sub("consumer5", &both), "instance2"),
    ]);
    assert_eq!(second, first);
}

// ---------------------------------------------------------------------------------------------------------------
// AbstractStickyAssignorTest / CooperativeStickyAssignorTest (run with the CooperativeStickyAssignor)
// ---------------------------------------------------------------------------------------------------------------

/// AbstractStickyAssignorTest.testOneConsumerNoTopic, testOneConsumerNonexistentTopic
#[test]
fn sticky_one_consumer_no_topic() {
    for subs in [[sub("consumer", &[])], [sub("consumer", &["topic"])]] {
        let a = assign(COOP, &topics(&[("topic", 0)]), &subs);
        assert_eq!(a.len(), 1);
        assert!(a["consumer"].is_empty());
    }
}

/// AbstractStickyAssignorTest.testOneConsumerOneTopic, testOnlyAssignsPartitionsFromSubscribedTopics, testOneConsumerMultipleTopics
#[test]
fn sticky_one_consumer() {
    let a = assign(COOP, &topics(&[("topic", 3)]), &[sub("consumer", &["topic"])]);
    assert_eq!(a["consumer"], tps("topic-0, topic-1, topic-2"));
    let s = owned("consumer", &["topic"], tps("topic-0, topic-1, other-0, other-1"), GEN);
    let a = assign(COOP, &topics(&[("topic", 2)]), &[s]);
    assert_eq!(a["consumer"], tps("topic-0, topic-1"));
    let a = assign(COOP, &topics(&[("topic1", 1), ("topic2", 2)]), &[sub("consumer", &["topic1", "topic2"])]);
    assert_eq!(a["consumer"], tps("topic1-0, topic2-0, topic2-1"));
}

/// AbstractStickyAssignorTest.testTwoConsumersOneTopicOnePartition, testTwoConsumersOneTopicTwoPartitions
#[test]
fn sticky_two_consumers_one_topic() {
    let ppt = topics(&[("topic", 1)]);
    let mut subs = vec![sub("consumer1", &["topic"]), sub("consumer2", &["topic"])];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a), tps("topic-0"));
    let a = settle(&ppt, &mut subs, a);
    assert!(is_fully_balanced(&a));

    let ppt = topics(&[("topic", 2)]);
    let subs = vec![sub("consumer1", &["topic"]), sub("consumer2", &["topic"])];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic-0"));
    assert_eq!(a["consumer2"], tps("topic-1"));
}

/// AbstractStickyAssignorTest.testMultipleConsumersMixedTopicSubscriptions (general path)
#[test]
fn sticky_multiple_consumers_mixed_topic_subscriptions() {
    let ppt = topics(&[("topic1", 3), ("topic2", 2)]);
    let mut subs = vec![sub("consumer1", &["topic1"]), sub("consumer2", &["topic1", "topic2"]), sub("consumer3", &["topic1"])];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-2"));
    assert_eq!(a["consumer2"], tps("topic2-0, topic2-1"));
    assert_eq!(a["consumer3"], tps("topic1-1"));
    let a = settle(&ppt, &mut subs, a);
    assert!(is_fully_balanced(&a));
}

/// AbstractStickyAssignorTest.testTwoConsumersTwoTopicsSixPartitions
#[test]
fn sticky_two_consumers_two_topics_six_partitions() {
    let ppt = topics(&[("topic1", 3), ("topic2", 3)]);
    let subs = [sub("consumer1", &["topic1", "topic2"]), sub("consumer2", &["topic1", "topic2"])];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-2, topic2-1"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-0, topic2-2"));
}

/// AbstractStickyAssignorTest.testConsumerOwningMinQuotaExpectedMaxQuota
#[test]
fn sticky_consumer_owning_min_quota_expected_max_quota() {
    let ppt = topics(&[("topic1", 2), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let subs = [owned("consumer1", &both, tps("topic1-0, topic2-1"), GEN), owned("consumer2", &both, tps("topic1-1, topic2-2"), GEN)];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic2-1, topic2-0"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-2"));
}

/// AbstractStickyAssignorTest.testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: which of the two members
/// owning maxQuota keeps it depends on Java's HashMap order (consumer2 comes before consumer1).
#[test]
fn sticky_max_quota_consumer_more_than_num_expected_max_capacity_members() {
    let ppt = topics(&[("topic1", 2), ("topic2", 2)]);
    let both = ["topic1", "topic2"];
    let mut subs = vec![
        owned("consumer1", &both, tps("topic1-0, topic2-0"), GEN),
        owned("consumer2", &both, tps("topic1-1, topic2-1"), GEN),
        owned("consumer3", &both, vec![], GEN),
    ];
    let a = assign(COOP, &ppt, &subs);
    // partitionsTransferringOwnership == {topic2-0: consumer3}: withheld in this round.
    assert_eq!(a["consumer1"], tps("topic1-0"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-1"));
    assert!(a["consumer3"].is_empty());
    let a = settle(&ppt, &mut subs, a);
    assert_eq!(a["consumer1"], tps("topic1-0"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-1"));
    assert_eq!(a["consumer3"], tps("topic2-0"));
    assert!(is_fully_balanced(&a));
}

/// AbstractStickyAssignorTest.testAllConsumersAreUnderMinQuota
#[test]
fn sticky_all_consumers_are_under_min_quota() {
    let ppt = topics(&[("topic1", 2), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let subs = [
        owned("consumer1", &both, tps("topic1-0"), GEN),
        owned("consumer2", &both, tps("topic1-1"), GEN),
        owned("consumer3", &both, vec![], GEN),
    ];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic2-1"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-2"));
    assert_eq!(a["consumer3"], tps("topic2-0"));
}

/// AbstractStickyAssignorTest.testAddRemoveConsumerOneTopic: a member joining gets the moving partition only in the
/// follow-up rebalance; when a member leaves, the other keeps its partitions and takes the rest at once.
#[test]
fn sticky_add_remove_consumer_one_topic() {
    let ppt = topics(&[("topic", 3)]);
    let mut subs = vec![sub("consumer1", &["topic"])];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic-0, topic-1, topic-2"));

    subs = vec![owned("consumer1", &["topic"], a["consumer1"].clone(), GEN), owned("consumer2", &["topic"], vec![], GEN)];
    let a = assign(COOP, &ppt, &subs);
    // partitionsTransferringOwnership == {topic-2: consumer2}
    assert_eq!(a["consumer1"], tps("topic-0, topic-1"));
    assert!(a["consumer2"].is_empty());
    let a = settle(&ppt, &mut subs, a);
    assert_eq!(a["consumer1"], tps("topic-0, topic-1"));
    assert_eq!(a["consumer2"], tps("topic-2"));

    subs = vec![owned("consumer2", &["topic"], a["consumer2"].clone(), GEN)];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer2"], tps("topic-0, topic-1, topic-2"));
}

/// AbstractStickyAssignorTest.testTopicBalanceAfterReassignment
#[test]
fn sticky_topic_balance_after_reassignment() {
    let ppt = topics(&[("topic1", 12), ("topic2", 12)]);
    let all = ["topic1", "topic2"];
    let per_topic = |a: &Assignment, n: usize| {
        for list in a.values() {
            for t in all {
                assert_eq!(list.iter().filter(|p| p.topic == t).count(), n, "{a:?}");
            }
        }
    };
    let mut subs = vec![sub("consumer1", &all)];
    let a = assign(COOP, &ppt, &subs);
    per_topic(&a, 12);

    subs = vec![owned("consumer1", &all, a["consumer1"].clone(), GEN), owned("consumer2", &all, vec![], GEN)];
    let first = assign(COOP, &ppt, &subs);
    let a = settle(&ppt, &mut subs, first);
    per_topic(&a, 6);

    subs = vec![
        owned("consumer1", &all, a["consumer1"].clone(), GEN),
        owned("consumer2", &all, a["consumer2"].clone(), GEN),
        owned("consumer3", &all, vec![], GEN),
        owned("consumer4", &all, vec![], GEN),
    ];
    let first = assign(COOP, &ppt, &subs);
    let a = settle(&ppt, &mut subs, first);
    per_topic(&a, 3);

    subs = vec![owned("consumer3", &all, a["consumer3"].clone(), GEN), owned("consumer4", &all, a["consumer4"].clone(), GEN)];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 24, "nothing withheld when members leave");
    per_topic(&a, 6);
}

/// AbstractStickyAssignorTest.testAddRemoveTwoConsumersTwoTopics
#[test]
fn sticky_add_remove_two_consumers_two_topics() {
    let ppt = topics(&[("topic1", 3), ("topic2", 4)]);
    let all = ["topic1", "topic2"];
    let mut subs = vec![sub("consumer1", &all), sub("consumer2", &all)];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-0, topic1-2, topic2-1, topic2-3"));
    assert_eq!(a["consumer2"], tps("topic1-1, topic2-0, topic2-2"));

    // add 2 consumers
    subs = vec![
        owned("consumer1", &all, a["consumer1"].clone(), GEN),
        owned("consumer2", &all, a["consumer2"].clone(), GEN),
        owned("consumer3", &all, vec![], GEN),
        owned("consumer4", &all, vec![], GEN),
    ];
    let a = assign(COOP, &ppt, &subs);
    // partitionsTransferringOwnership == {topic1-2: consumer3, topic2-3: consumer3, topic2-2: consumer4}
    assert_eq!(a["consumer1"], tps("topic1-0, topic2-1"));
    assert_eq!(a["consumer2"], tps("topic2-0, topic1-1"));
    assert!(a["consumer3"].is_empty() && a["consumer4"].is_empty());
    let a = settle(&ppt, &mut subs, a);
    assert_eq!(a["consumer1"], tps("topic1-0, topic2-1"));
    assert_eq!(a["consumer2"], tps("topic2-0, topic1-1"));
    assert_eq!(a["consumer3"], tps("topic1-2, topic2-3"));
    assert_eq!(a["consumer4"], tps("topic2-2"));

    // remove 2 consumers
    subs = vec![owned("consumer3", &all, a["consumer3"].clone(), GEN), owned("consumer4", &all, a["consumer4"].clone(), GEN)];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer3"], tps("topic1-2, topic2-3, topic1-0, topic2-1"));
    assert_eq!(a["consumer4"], tps("topic2-2, topic1-1, topic2-0"));
}

/// AbstractStickyAssignorTest.testPoorRoundRobinAssignmentScenario
#[test]
fn sticky_poor_round_robin_assignment_scenario() {
    let ppt = topics(&[("topic1", 2), ("topic2", 1), ("topic3", 2), ("topic4", 1), ("topic5", 2)]);
    let mut subs = vec![
        sub("consumer1", &["topic1", "topic2", "topic3", "topic4", "topic5"]),
        sub("consumer2", &["topic1", "topic3", "topic5"]),
        sub("consumer3", &["topic1", "topic3", "topic5"]),
        sub("consumer4", &["topic1", "topic2", "topic3", "topic4", "topic5"]),
    ];
    let a = assign(COOP, &ppt, &subs);
    settle(&ppt, &mut subs, a);
}

/// AbstractStickyAssignorTest.testAddRemoveTopicTwoConsumers
#[test]
fn sticky_add_remove_topic_two_consumers() {
    let mut ppt = topics(&[("topic", 3)]);
    let mut subs = vec![sub("consumer1", &["topic"]), sub("consumer2", &["topic"])];
    let a = assign(COOP, &ppt, &subs);
    assert!(is_fully_balanced(&a));
    let a = settle(&ppt, &mut subs, a);
    let (c1_first, c2_first) = (a["consumer1"].clone(), a["consumer2"].clone());
    assert_eq!(c1_first.len() + c2_first.len(), 3);

    ppt.insert("topic2".into(), 3);
    subs = vec![
        owned("consumer1", &["topic", "topic2"], c1_first.clone(), GEN),
        owned("consumer2", &["topic", "topic2"], c2_first.clone(), GEN),
    ];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 6, "nothing withheld");
    let a = settle(&ppt, &mut subs, a);
    let (c1, c2) = (a["consumer1"].clone(), a["consumer2"].clone());
    assert!(c1.len() == 3 && c2.len() == 3);
    assert!(c1_first.iter().all(|p| c1.contains(p)) && c2_first.iter().all(|p| c2.contains(p)));

    ppt.remove("topic");
    subs = vec![owned("consumer1", &["topic2"], c1.clone(), GEN), owned("consumer2", &["topic2"], c2.clone(), GEN)];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 3, "nothing withheld");
    let a = settle(&ppt, &mut subs, a);
    assert!(is_fully_balanced(&a));
    assert!(a["consumer1"].iter().all(|p| c1.contains(p)) && a["consumer2"].iter().all(|p| c2.contains(p)));
}

fn name(prefix: &str, i: usize, max: usize) -> String {
    format!("{prefix}{i:0width$}", width = max.to_string().len())
}

/// AbstractStickyAssignorTest.testReassignmentAfterOneConsumerLeaves (Kafka's test removes "consumer10", a name its
/// generator never produces; we remove the intended c10).
#[test]
fn sticky_reassignment_after_one_consumer_leaves() {
    let ppt: BTreeMap<String, u32> = (1..20).map(|i| (name("t", i, 20), i as u32)).collect();
    let mut subs: Vec<Subscription> = (1..20)
        .map(|i| {
            let ts: Vec<String> = (1..=i).map(|j| name("t", j, 20)).collect();
            let ts: Vec<&str> = ts.iter().map(String::as_str).collect();
            sub(&name("c", i, 20), &ts)
        })
        .collect();
    let a = assign(COOP, &ppt, &subs);
    let a = settle(&ppt, &mut subs, a);
    for s in subs.iter_mut() {
        s.owned_partitions = a[&s.member_id].clone();
        s.generation = GEN;
    }
    subs.retain(|s| s.member_id != "c10");
    let b = assign(COOP, &ppt, &subs);
    let b = settle(&ppt, &mut subs, b);
    assert_eq!(assigned(&b), all_partitions(&ppt).into_iter().collect::<Vec<_>>());
}

/// AbstractStickyAssignorTest.testReassignmentAfterOneConsumerAdded
#[test]
fn sticky_reassignment_after_one_consumer_added() {
    let ppt = topics(&[("topic", 20)]);
    let mut subs: Vec<Subscription> = (1..10).map(|i| sub(&name("c", i, 10), &["topic"])).collect();
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 20);
    settle(&ppt, &mut subs, a);
    subs.push(sub(&name("c", 10, 10), &["topic"]));
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 20);
    settle(&ppt, &mut subs, a);
}

/// AbstractStickyAssignorTest.testSameSubscriptions
#[test]
fn sticky_same_subscriptions() {
    let ppt: BTreeMap<String, u32> = (1..15).map(|i| (name("t", i, 15), i as u32)).collect();
    let all: Vec<String> = ppt.keys().cloned().collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let mut subs: Vec<Subscription> = (1..9).map(|i| sub(&name("c", i, 9), &all)).collect();
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 105);
    let a = settle(&ppt, &mut subs, a);
    for s in subs.iter_mut() {
        s.owned_partitions = a[&s.member_id].clone();
        s.generation = GEN;
    }
    subs.retain(|s| s.member_id != name("c", 5, 9));
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 105, "nothing withheld when a member leaves");
    settle(&ppt, &mut subs, a);
}

/// AbstractStickyAssignorTest.testSubscriptionNotEqualAndAssignSamePartitionWith3Generation
#[test]
fn sticky_subscription_not_equal_and_assign_same_partition_with_3_generation() {
    let ppt = topics(&[("topic", 6), ("topic1", 1)]);
    for g in [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] {
        let subs = [
            owned("consumer1", &["topic"], tps("topic-0, topic-2"), g[0]),
            owned("consumer2", &["topic"], tps("topic-1, topic-2, topic-3"), g[1]),
            owned("consumer3", &["topic"], tps("topic-2, topic-4, topic-5"), g[2]),
            owned("consumer4", &["topic1"], tps("topic1-0"), 2),
        ];
        let a = assign(COOP, &ppt, &subs);
        let all = assigned(&a);
        assert_eq!(all.len(), all.iter().collect::<BTreeSet<_>>().len(), "{g:?}: {a:?}");
        for list in a.values() {
            assert!((1..=2).contains(&list.len()), "{g:?}: {a:?}");
        }
    }
}

/// AbstractStickyAssignorTest.testNewSubscription
#[test]
fn sticky_new_subscription() {
    let ppt: BTreeMap<String, u32> = (1..5).map(|i| (name("t", i, 5), 1)).collect();
    let mut subs: Vec<Subscription> = (0..3)
        .map(|i: usize| {
            let ts: Vec<String> = (i..=(3 * i).saturating_sub(2)).filter(|_| i > 0).map(|j| name("t", j, 5)).collect();
            let ts: Vec<&str> = ts.iter().map(String::as_str).collect();
            sub(&name("c", i, 3), &ts)
        })
        .collect();
    assert_eq!(subs[0].topics.len(), 0);
    assert_eq!(subs[2].topics, ["t2", "t3", "t4"]);
    let a = assign(COOP, &ppt, &subs);
    settle(&ppt, &mut subs, a);
    subs[0].topics.push("t1".into());
    let a = assign(COOP, &ppt, &subs);
    settle(&ppt, &mut subs, a);
}

/// AbstractStickyAssignorTest.testMoveExistingAssignments
#[test]
fn sticky_move_existing_assignments() {
    let ppt: BTreeMap<String, u32> = (1..=6).map(|i| (format!("topic{i}"), 1)).collect();
    let mut subs = vec![
        owned("consumer1", &["topic1", "topic2"], tps("topic1-0"), GEN),
        owned("consumer2", &["topic1", "topic2", "topic3", "topic4"], tps("topic2-0, topic3-0"), GEN),
        owned("consumer3", &["topic2", "topic3", "topic4", "topic5", "topic6"], tps("topic4-0, topic5-0, topic6-0"), GEN),
    ];
    let a = assign(COOP, &ppt, &subs);
    settle(&ppt, &mut subs, a);
}

/// AbstractStickyAssignorTest.testStickiness: removing the potential group leader.
#[test]
fn sticky_stickiness() {
    let ppt = topics(&[("topic1", 3)]);
    let mut subs: Vec<Subscription> = (1..=4).map(|i| sub(&format!("consumer{i}"), &["topic1"])).collect();
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&a).len(), 3);
    let a = settle(&ppt, &mut subs, a);
    assert!(a.values().all(|l| l.len() <= 1));
    subs = (2..=4).map(|i| owned(&format!("consumer{i}"), &["topic1"], a[&format!("consumer{i}")].clone(), GEN)).collect();
    let b = assign(COOP, &ppt, &subs);
    assert_eq!(assigned(&b).len(), 3, "nothing withheld");
    let b = settle(&ppt, &mut subs, b);
    for (c, list) in &b {
        assert_eq!(list.len(), 1);
        assert!(a[c].iter().all(|p| list.contains(p)), "stickiness was not honored for {c}");
    }
}

/// AbstractStickyAssignorTest.testAssignmentUpdatedForDeletedTopic, testNoExceptionThrownWhenOnlySubscribedTopicDeleted
#[test]
fn sticky_deleted_topics() {
    let a = assign(COOP, &topics(&[("topic1", 1), ("topic3", 100)]), &[sub("consumer", &["topic1", "topic2", "topic3"])]);
    assert_eq!(a.len(), 1);
    assert_eq!(a["consumer"].len(), 101);

    let ppt = topics(&[("topic", 3)]);
    let a = assign(COOP, &ppt, &[sub("consumer", &["topic"])]);
    let s = owned("consumer", &["topic"], a["consumer"].clone(), GEN);
    let a = assign(COOP, &BTreeMap::new(), &[s]);
    assert_eq!(a.len(), 1);
    assert!(a["consumer"].is_empty());
}

/// AbstractStickyAssignorTest.testAllConsumersReachExpectedQuotaAndAreConsideredFilled
#[test]
fn sticky_all_consumers_reach_expected_quota_and_are_considered_filled() {
    let ppt = topics(&[("topic", 4)]);
    let subs = [
        owned("consumer1", &["topic"], tps("topic-0, topic-1"), GEN),
        owned("consumer2", &["topic"], tps("topic-2"), GEN),
        owned("consumer3", &["topic"], vec![], GEN),
    ];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic-0, topic-1"));
    assert_eq!(a["consumer2"], tps("topic-2"));
    assert_eq!(a["consumer3"], tps("topic-3"));
}

/// AbstractStickyAssignorTest.testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration,
/// testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration: the higher generation keeps the claimed partitions.
#[test]
fn sticky_owned_partitions_invalidated_for_stale_or_no_generation() {
    let ppt = topics(&[("topic", 3), ("topic2", 3)]);
    let both = ["topic", "topic2"];
    for stale in [9, -1] {
        let mut subs = vec![
            owned("consumer1", &both, tps("topic-0, topic-2, topic2-1"), 10),
            owned("consumer2", &both, tps("topic-0, topic-2, topic2-1"), stale),
        ];
        let a = assign(COOP, &ppt, &subs);
        assert_eq!(a["consumer1"], tps("topic-0, topic-2, topic2-1"));
        assert_eq!(a["consumer2"], tps("topic-1, topic2-0, topic2-2"));
        let a = settle(&ppt, &mut subs, a);
        assert!(is_fully_balanced(&a));
    }
}

/// AbstractStickyAssignorTest.testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration
#[test]
fn sticky_partition_claimed_by_multiple_consumers_in_same_generation() {
    let ppt = topics(&[("topic", 3)]);
    let mut subs = vec![
        owned("consumer1", &["topic"], tps("topic-0, topic-1"), GEN),
        owned("consumer2", &["topic"], tps("topic-0, topic-2"), GEN),
        owned("consumer3", &["topic"], vec![], GEN),
    ];
    let a = assign(COOP, &ppt, &subs);
    // partitionsTransferringOwnership == {topic-0: consumer3}
    assert_eq!(a["consumer1"], tps("topic-1"));
    assert_eq!(a["consumer2"], tps("topic-2"));
    assert!(a["consumer3"].is_empty());
    let a = settle(&ppt, &mut subs, a);
    assert_eq!(a["consumer1"], tps("topic-1"));
    assert_eq!(a["consumer2"], tps("topic-2"));
    assert_eq!(a["consumer3"], tps("topic-0"));
}

/// CooperativeStickyAssignorTest.testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer
/// and ...WithUnequalPartitionsPerConsumer
#[test]
fn cooperative_partition_claimed_by_multiple_consumers_is_invalidated() {
    let subs = [
        owned("consumer1", &["topic"], tps("topic-0, topic-1"), GEN),
        owned("consumer2", &["topic"], tps("topic-0, topic-2"), GEN),
        owned("consumer3", &["topic"], vec![], GEN),
    ];
    let a = assign(COOP, &topics(&[("topic", 3)]), &subs);
    assert_eq!(a["consumer1"], tps("topic-1"));
    assert_eq!(a["consumer2"], tps("topic-2"));
    assert!(a["consumer3"].is_empty());
    let a = assign(COOP, &topics(&[("topic", 4)]), &subs);
    assert_eq!(a["consumer1"], tps("topic-1, topic-3"));
    assert_eq!(a["consumer2"], tps("topic-2"));
    assert!(a["consumer3"].is_empty());
}

/// CooperativeStickyAssignorTest.testAssignorWithOldVersionSubscriptions (the V1 subscriptions carry the generation in
/// userData, which MemberData reads the same way).
#[test]
fn cooperative_assignor_with_old_version_subscriptions() {
    let subs = [
        owned("consumer1", &["topic1"], tps("topic1-0"), GEN),
        owned("consumer2", &["topic1"], tps("topic1-1"), GEN),
        owned("consumer3", &["topic1"], vec![], GEN),
    ];
    let a = assign(COOP, &topics(&[("topic1", 3)]), &subs);
    assert_eq!(a["consumer1"], tps("topic1-0"));
    assert_eq!(a["consumer2"], tps("topic1-1"));
    assert_eq!(a["consumer3"], tps("topic1-2"));
}

/// AbstractStickyAssignorTest.testEnsurePartitionsAssignedToHighestGeneration
#[test]
fn sticky_ensure_partitions_assigned_to_highest_generation() {
    let ppt = topics(&[("topic", 3), ("topic2", 3), ("topic3", 3)]);
    let all = ["topic", "topic2", "topic3"];
    let subs = [
        owned("consumer1", &all, tps("topic-0, topic2-0, topic3-0"), 10),
        owned("consumer2", &all, tps("topic-1, topic2-1, topic3-1"), 9),
        owned("consumer3", &all, tps("topic2-1, topic3-0, topic3-2"), 8),
    ];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic-0, topic2-0, topic3-0"));
    assert_eq!(a["consumer2"], tps("topic-1, topic2-1, topic3-1"));
    assert_eq!(a["consumer3"], tps("topic-2, topic2-2, topic3-2"));
}

/// AbstractStickyAssignorTest.testNoReassignmentOnCurrentMembers
#[test]
fn sticky_no_reassignment_on_current_members() {
    let ppt = topics(&[("topic", 3), ("topic1", 3), ("topic2", 3), ("topic3", 3)]);
    let all = ["topic", "topic2", "topic3", "topic1"];
    let mut subs = vec![
        owned("consumer1", &all, vec![], -1),
        owned("consumer2", &all, tps("topic-0, topic2-0, topic1-0"), 9),
        owned("consumer3", &all, tps("topic3-2, topic2-2, topic1-1"), 8),
        owned("consumer4", &all, tps("topic3-1, topic-1, topic-2"), 7),
    ];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic1-2, topic2-1, topic3-0"));
    assert_eq!(assigned(&a).len(), 12, "nothing withheld");
    let a = settle(&ppt, &mut subs, a);
    assert!(is_fully_balanced(&a));
}

/// AbstractStickyAssignorTest.testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration
#[test]
fn sticky_owned_partitions_invalidated_for_consumer_with_multiple_generation() {
    let ppt = topics(&[("topic", 3), ("topic2", 3)]);
    let both = ["topic", "topic2"];
    let subs = [
        owned("consumer1", &both, tps("topic-0, topic2-1, topic-1"), 10),
        owned("consumer2", &both, tps("topic-0, topic2-1, topic2-2"), 8),
    ];
    let a = assign(COOP, &ppt, &subs);
    assert_eq!(a["consumer1"], tps("topic-0, topic2-1, topic-1"));
    assert_eq!(a["consumer2"], tps("topic-2, topic2-2, topic2-0"));
}

/// AbstractStickyAssignorTest.testRackAwareAssignmentWithUniformSubscription, the non-rack-aware expectations
/// (verifyUniformSubscription: fresh, then with the expected assignment already owned).
#[test]
fn sticky_uniform_subscription_non_rack_aware() {
    let ppt = topics(&[("t1", 6), ("t2", 7), ("t3", 2)]);
    let all: &[&str] = &["t1", "t2", "t3"];
    let expected = ["t1-0, t1-3, t2-0, t2-3, t2-6", "t1-1, t1-4, t2-1, t2-4, t3-0", "t1-2, t1-5, t2-2, t2-5, t3-1"];
    verify_assignment(COOP, &ppt, &[all, all, all], &[], &expected);
    verify_assignment(COOP, &ppt, &[all, all, all], &expected, &expected);
}

/// AbstractStickyAssignorTest.testRackAwareAssignmentWithNonEqualSubscription (general path): the non-rack-aware
/// expectations, and the CooperativeStickyAssignor branch "result is same as non-rack-aware assignment if all racks
/// match": from misaligned owned partitions, an intermediate round, then the final assignment.
#[test]
fn sticky_non_equal_subscription_non_rack_aware() {
    let ppt = topics(&[("t1", 6), ("t2", 7), ("t3", 2)]);
    let all: &[&str] = &["t1", "t2", "t3"];
    let t13: &[&str] = &["t1", "t3"];
    let expected = ["t1-5, t2-0, t2-2, t2-4, t2-6", "t1-3, t2-1, t2-3, t2-5, t3-0", "t1-0, t1-1, t1-2, t1-4, t3-1"];
    verify_assignment(COOP, &ppt, &[all, all, t13], &[], &expected);
    verify_assignment(COOP, &ppt, &[all, all, t13], &expected, &expected);

    let owned_before = ["t1-0, t1-1, t1-2, t1-3, t1-4", "t1-5, t2-0, t2-1, t2-2, t2-3", "t2-4, t2-5, t2-6, t3-0, t3-1"];
    let intermediate = ["t1-2, t1-3, t1-4", "t2-0, t2-1, t2-2, t2-3", "t3-0, t3-1"];
    let last = ["t1-2, t1-3, t1-4, t2-4, t2-5", "t2-0, t2-1, t2-2, t2-3, t2-6", "t1-0, t1-1, t1-5, t3-0, t3-1"];
    verify_assignment(COOP, &ppt, &[all, all, t13], &owned_before, &intermediate);
    verify_assignment(COOP, &ppt, &[all, all, t13], &intermediate, &last);
}

// ---------------------------------------------------------------------------------------------------------------
// Cases computed by Kafka itself
// ---------------------------------------------------------------------------------------------------------------

/// (member id, group.instance.id, generation, topics, owned partitions as "topic:partition,...")
type KafkaMember<'a> = (&'a str, Option<&'a str>, i32, &'a [&'a str], &'a str);

/// One cooperative-sticky rebalance whose expected result was produced by running Kafka's own
/// `CooperativeStickyAssignor.assign` (Kafka 4.0 clients, commit 1eb7644) on the same input, the subscriptions put
/// into a `HashMap` in the listed order.
fn kafka_case(ppt: &[(&str, u32)], members: &[KafkaMember], expected: &[(&str, &str)]) {
    let subs: Vec<Subscription> = members
        .iter()
        .map(|(id, instance, generation, ts, o)| {
            let mut s = owned(id, ts, tps(&o.replace(':', "-")), *generation);
            s.group_instance_id = instance.map(str::to_string);
            s
        })
        .collect();
    let a = assign(COOP, &topics(ppt), &subs);
    let want: Assignment = expected.iter().map(|(m, l)| (m.to_string(), tps(&l.replace(':', "-")))).collect();
    assert_eq!(a, want);
}

/// `PartitionMovements.getTheActualPartitionToBeMoved` (general path): balancing moves topic2-0 back instead of
/// topic2-1, chosen as the first element of Kafka's `HashSet<TopicPartition>`.
#[test]
fn kafka_computed_partition_movements() {
    kafka_case(
        &[("topic0", 3), ("topic1", 8), ("topic2", 10)],
        &[
            ("c2", None, 2, &["topic0", "topic2"], "topic0:0,topic0:2,topic2:1,topic2:3,topic2:5,topic2:7,topic2:9"),
            ("c51", Some("inst-87"), -1, &["topic0"], ""),
            ("member2", None, -1, &["topic0", "topic2"], ""),
        ],
        &[
            ("c2", "topic2:1,topic2:3,topic2:5,topic2:7,topic2:9"),
            ("c51", "topic0:1"),
            ("member2", "topic2:0,topic2:2,topic2:4,topic2:6,topic2:8"),
        ],
    );
}

/// `GeneralAssignmentBuilder.prepopulateCurrentAssignments` / `performReassignments`: a partition goes back to its
/// previous (lower-generation) owner when the current owner has 2+ more partitions.
#[test]
fn kafka_computed_previous_generation_owner() {
    kafka_case(
        &[("t0", 1), ("t1", 6)],
        &[("c2", None, 2, &["t0"], "t0:0,t1:0,t1:1,t1:5"), ("c13", None, 3, &["t0", "t1"], "t0:0"), ("c19", None, 2, &["t0"], "t1:5")],
        &[("c13", "t1:2,t1:3,t1:4"), ("c19", ""), ("c2", "t0:0")],
    );
    kafka_case(
        &[("t0", 2), ("t1", 5)],
        &[
            ("c6", None, -1, &["t1"], "t1:0,t1:2,t1:3,t1:4"),
            ("c7", None, 3, &["t0", "t1"], "t0:1,t1:0,t1:1,t1:3"),
            ("c19", None, 3, &["t1"], "t1:1"),
        ],
        &[("c19", "t1:1"), ("c6", "t1:0,t1:4"), ("c7", "t0:0,t0:1,t1:3")],
    );
}

/// `allSubscriptionsEqual` processes members in Java `HashMap` order, here c4, c11, c25, c16: c11 and c25 claim t0-0
/// in the same generation, so it lands in `partitionsWithMultiplePreviousOwners` before c16's newer claim is seen,
/// and it is withheld from everyone this round. (In slice order c16's claim would win and c16 would keep it.)
#[test]
fn kafka_computed_claims_in_hashmap_order() {
    kafka_case(
        &[("t0", 1)],
        &[
            ("c4", None, 3, &["t0"], ""),
            ("c11", None, -1, &["t0"], "t0:0"),
            ("c16", None, 1, &["t0"], "t0:0"),
            ("c25", None, -1, &["t0"], "t0:0"),
        ],
        &[("c11", ""), ("c16", ""), ("c25", ""), ("c4", "")],
    );
    kafka_case(
        &[("t0", 1)],
        &[
            ("c6", None, 1, &["t0"], "t0:0"),
            ("c10", None, -1, &["t0"], ""),
            ("c16", None, 2, &["t0"], "t0:0"),
            ("c23", None, 3, &["t0"], ""),
            ("c32", None, 1, &["t0"], "t0:0"),
            ("c37", None, 3, &["t0"], ""),
        ],
        &[("c10", ""), ("c16", ""), ("c23", ""), ("c32", ""), ("c37", ""), ("c6", "")],
    );
}

/// Nine member ids in one bucket of Java's 16-bucket table make `HashMap.treeifyBin` resize it, which changes the
/// iteration order `ConstrainedAssignmentBuilder.assignOwnedPartitions` sees.
#[test]
fn kafka_computed_colliding_member_ids() {
    let all: &[&str] = &["t0", "t1"];
    kafka_case(
        &[("t0", 11), ("t1", 1)],
        &[
            ("m257", None, 2, all, "t0:2,t0:5,t0:6,t0:10"),
            ("m268", None, 1, all, "t0:3"),
            ("m279", None, 2, all, "t0:2,t0:8,t0:9"),
            ("m301", None, 2, all, "t0:3"),
            ("m312", None, 2, all, "t0:3"),
            ("m323", None, 1, all, "t0:5,t0:7,t0:9"),
            ("m334", None, 1, all, "t0:0,t0:3,t1:0"),
            ("m345", None, 2, all, "t0:4,t0:6,t0:8,t0:9"),
            ("m356", None, 2, all, "t0:1,t0:2,t0:3,t0:7,t1:0"),
            ("x332", None, 1, all, "t0:2,t1:0"),
        ],
        &[
            ("m257", "t0:5,t0:10"),
            ("m268", ""),
            ("m279", ""),
            ("m301", ""),
            ("m312", ""),
            ("m323", ""),
            ("m334", "t0:0"),
            ("m345", "t0:4"),
            ("m356", "t0:1,t0:7"),
            ("x332", ""),
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Property checks over generated groups
// ---------------------------------------------------------------------------------------------------------------

/// A small deterministic generator (PCG-style LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn random_topics(rng: &mut Rng) -> BTreeMap<String, u32> {
    (0..1 + rng.below(4)).map(|i| (format!("t{i}"), 1 + rng.below(8) as u32)).collect()
}

fn random_subset(rng: &mut Rng, all: &[String]) -> Vec<String> {
    loop {
        let s: Vec<String> = all.iter().filter(|_| rng.chance(50)).cloned().collect();
        if !s.is_empty() {
            return s;
        }
    }
}

/// Every partition of a subscribed topic goes to exactly one member, and only to members subscribed to its topic.
fn check_exactly_once(ppt: &BTreeMap<String, u32>, subs: &[Subscription], a: &Assignment) {
    assert_eq!(a.len(), subs.len());
    let subscribed: BTreeSet<&str> = subs.iter().flat_map(|s| &s.topics).map(|t| t.as_str()).collect();
    let expected: Vec<TopicPartition> = all_partitions(ppt).into_iter().filter(|p| subscribed.contains(p.topic.as_str())).collect();
    assert_eq!(assigned(a), expected, "{subs:?} -> {a:?}");
    for s in subs {
        assert!(a[&s.member_id].iter().all(|p| s.topics.contains(&p.topic.to_string())), "{s:?} -> {a:?}");
    }
}

/// Range and round robin over generated groups; range against the closed-form per-topic ranges of Kafka's
/// pre-KIP-881 RangeAssignor (start = n/c * i + min(i, n % c)), with members in MemberInfo order.
#[test]
fn property_range_and_roundrobin() {
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let mut ppt = random_topics(&mut rng);
        let names: Vec<String> = ppt.keys().cloned().collect();
        let equal = rng.chance(50);
        let shared = random_subset(&mut rng, &names);
        let mut subs: Vec<Subscription> = (0..1 + rng.below(6))
            .map(|i| {
                let ts = if equal { shared.clone() } else { random_subset(&mut rng, &names) };
                let mut s = sub(&format!("m{}", rng.below(1000) * 10 + i), &[]);
                s.topics = ts;
                if rng.chance(30) {
                    s.group_instance_id = Some(format!("i{}", rng.below(1000) * 10 + i));
                }
                s
            })
            .collect();
        if rng.chance(20) {
            subs[0].topics.push("missing".into()); // subscribed but unknown to the metadata
        }
        if rng.chance(20) {
            ppt.insert("unsubscribed".into(), 3);
        }
        let mut sorted: Vec<&Subscription> = subs.iter().collect();
        sorted.sort_by(|a, b| match (&a.group_instance_id, &b.group_instance_id) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.member_id.cmp(&b.member_id),
        });

        let range = assign(RANGE, &ppt, &subs);
        check_exactly_once(&ppt, &subs, &range);
        for (t, &n) in &ppt {
            let consumers: Vec<&&Subscription> = sorted.iter().filter(|s| s.topics.contains(t)).collect();
            let c = consumers.len() as u32;
            for (i, s) in consumers.iter().enumerate() {
                let i = i as u32;
                let start = n / c * i + i.min(n % c);
                let len = n / c + u32::from(i < n % c);
                let want: Vec<TopicPartition> = (start..start + len).map(|p| tp(t, p)).collect();
                let got: Vec<TopicPartition> = range[&s.member_id].iter().filter(|p| &p.topic == t).cloned().collect();
                assert_eq!(got, want, "{t} for {} in {subs:?}", s.member_id);
            }
        }

        let rr = assign(RR, &ppt, &subs);
        check_exactly_once(&ppt, &subs, &rr);
        if equal {
            assert!(is_fully_balanced(&rr), "{subs:?} -> {rr:?}");
        }
    }
}

/// The cooperative-sticky assignor over evolving groups with equal subscriptions: members join and leave, each
/// rebalance starts from the previous owners. The first round never hands a partition to a new owner while its old
/// owner still holds it, one follow-up rebalance completes the assignment, the result is balanced within one, and
/// every surviving member keeps at least min(owned, minQuota) of its partitions.
#[test]
fn property_cooperative_sticky_equal_subscriptions() {
    let mut rng = Rng(11);
    for _ in 0..400 {
        let ppt = random_topics(&mut rng);
        let names: Vec<String> = ppt.keys().cloned().collect();
        let total: usize = ppt.values().map(|&n| n as usize).sum();
        let mut next_id = 0;
        let mut subs: Vec<Subscription> = Vec::new();
        let mut generation = 0;
        for _ in 0..8 {
            // membership change
            if subs.len() > 1 && rng.chance(40) {
                let i = rng.below(subs.len());
                subs.remove(i);
            }
            for _ in 0..rng.below(3) {
                next_id += 1;
                let mut s = sub(&format!("member-{}", next_id * 37 % 101), &[]);
                s.topics = names.clone();
                if !subs.iter().any(|o| o.member_id == s.member_id) {
                    subs.push(s);
                }
            }
            if subs.is_empty() {
                continue;
            }
            generation += 1;
            let first = assign(COOP, &ppt, &subs);
            let min_quota = total / subs.len();
            for s in &subs {
                let kept = first[&s.member_id].iter().filter(|p| s.owned_partitions.contains(p)).count();
                assert!(kept >= s.owned_partitions.len().min(min_quota), "{s:?} kept {kept} in {first:?}");
            }
            let (a, rebalances) = settle_with(&ppt, &mut subs, first.clone(), generation);
            assert!(rebalances <= 1, "{rebalances} follow-ups: {subs:?}");
            check_exactly_once(&ppt, &subs, &a);
            assert!(is_fully_balanced(&a), "{a:?}");
            assert_eq!(assign(COOP, &ppt, &subs), a, "stable once settled");
            for s in subs.iter_mut() {
                s.owned_partitions = a[&s.member_id].clone();
                s.generation = generation;
            }
        }
    }
}

/// The cooperative-sticky assignor over evolving groups whose subscriptions differ (the general path): validity and
/// balance as Kafka's verifyValidityAndBalance checks them, cooperative validity of every round, convergence
/// within Kafka's bound, and every subscribed partition assigned once settled.
#[test]
fn property_cooperative_sticky_general_subscriptions() {
    let mut rng = Rng(23);
    for _ in 0..300 {
        let ppt = random_topics(&mut rng);
        let names: Vec<String> = ppt.keys().cloned().collect();
        let mut subs: Vec<Subscription> = Vec::new();
        let mut generation = 0;
        for step in 0..6 {
            if subs.len() > 1 && rng.chance(30) {
                let i = rng.below(subs.len());
                subs.remove(i);
            }
            for _ in 0..rng.below(3) {
                let id = format!("c{}", rng.below(50));
                if !subs.iter().any(|o| o.member_id == id) {
                    let mut s = sub(&id, &[]);
                    s.topics = random_subset(&mut rng, &names);
                    subs.push(s);
                }
            }
            if step % 2 == 1 && !subs.is_empty() {
                let i = rng.below(subs.len());
                subs[i].topics = random_subset(&mut rng, &names); // a subscription change
            }
            if subs.is_empty() {
                continue;
            }
            generation += 1;
            let first = assign(COOP, &ppt, &subs);
            assert_eq!(assign(COOP, &ppt, &subs), first, "deterministic");
            let (a, _) = settle_with(&ppt, &mut subs, first, generation);
            check_exactly_once(&ppt, &subs, &a);
            for s in subs.iter_mut() {
                s.owned_partitions = a[&s.member_id].clone();
                s.generation = generation;
            }
        }
    }
}

/// Owned partitions from stale generations and conflicting claims (as after a partitioned consumer comes back):
/// the cooperative result never hands out a partition someone still owns, and the group converges.
#[test]
fn property_cooperative_sticky_conflicting_claims() {
    let mut rng = Rng(99);
    for _ in 0..500 {
        let ppt = random_topics(&mut rng);
        let names: Vec<String> = ppt.keys().cloned().collect();
        let all: Vec<TopicPartition> = all_partitions(&ppt).into_iter().collect();
        let equal = rng.chance(50);
        let mut subs: Vec<Subscription> = (0..1 + rng.below(5))
            .map(|i| {
                let mut s = sub(&format!("c{i}"), &[]);
                s.topics = if equal { names.clone() } else { random_subset(&mut rng, &names) };
                s.owned_partitions = all.iter().filter(|p| s.topics.contains(&p.topic.to_string()) && rng.chance(30)).cloned().collect();
                s.generation = [-1, 3, 4, 5][rng.below(4)];
                s
            })
            .collect();
        let first = assign(COOP, &ppt, &subs);
        let (a, _) = settle_with(&ppt, &mut subs, first, 6);
        check_exactly_once(&ppt, &subs, &a);
        if equal {
            assert!(is_fully_balanced(&a));
        }
    }
}
