//! Kafka's consumer partition assignors (Kafka 4.x client, package `org.apache.kafka.clients.consumer`),
//! as pure functions: `RangeAssignor` ("range"), `RoundRobinAssignor` ("roundrobin") and
//! `CooperativeStickyAssignor` ("cooperative-sticky", built on `internals.AbstractStickyAssignor`).
//!
//! How this stays identical to Kafka:
//! - Input filtering is `AbstractPartitionAssignor.assign(Cluster, GroupSubscription)`: only topics that some
//!   member subscribes to and that have partitions (`!partitions.isEmpty()`) reach the assignor.
//! - Kafka iterates `java.util.HashMap`s keyed by member id (the leader's `ConsumerCoordinator.onLeaderElected`
//!   builds `new HashMap<>()` of subscriptions in JoinGroup order), and the sticky assignor's outcome depends on
//!   that order (`ConstrainedAssignmentBuilder.assignOwnedPartitions` decides which members keep `maxQuota`;
//!   `PartitionMovements.getTheActualPartitionToBeMoved` takes the first element of a `HashSet<TopicPartition>`).
//!   We reproduce Java's HashMap iteration order exactly (String/TopicPartition `hashCode`, `HashMap.hash` spreading,
//!   table resizing, bins in insertion order), taking the `subscriptions` slice order as the JoinGroup (insertion)
//!   order. Kafka's own tests depend on this (e.g. `testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers`).
//! - Rack awareness (KIP-881): Kafka only uses it when consumer racks AND partition replica racks are known
//!   (`AbstractPartitionAssignor.useRackAwareAssignment`). We are not given partition racks, so with Kafka's own
//!   rules rack-aware logic is never enabled; `Subscription::rack` is accepted and ignored, and only the non-rack
//!   code paths are implemented.
//!
//! Known differences (on inputs a healthy group rarely or never sends, or invisible to callers):
//! - Each member's partition list is returned sorted by (topic, partition). Kafka returns the same set of partitions
//!   in an order that is an artifact of its HashMaps and assignment sequence.
//! - Duplicate topics / owned partitions within one subscription are deduplicated; duplicate member ids keep the
//!   first position and the last subscription (`Map.put`). Owned partitions whose topic exists but whose partition
//!   number does not (`partition >= count`, e.g. after a topic was re-created smaller) are ignored: Kafka's
//!   two-pointer `getUnassignedPartitions` assumes they never occur and would double-assign or throw.
//! - `AbstractStickyAssignor.maxGeneration` is an instance field that Kafka never resets between rebalances of the
//!   same leader; a pure function computes it from the current subscriptions only (as a fresh assignor would).
//! - Where Kafka would throw (`IllegalStateException` in `assignRoundRobin`, a NullPointerException for a previous
//!   owner that became a fixed consumer in `performReassignments`), we skip the step instead.
//! - Java `HashMap` bins of 8+ colliding keys in a table of 64+ buckets become red-black trees whose iteration order
//!   we do not model (needs ~48+ keys with 9 colliding hashes).

use crate::ids::TopicPartition;
use crate::lean::CollectBTree;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Assignor {
    Range,
    RoundRobin,
    CooperativeSticky,
}

impl Assignor {
    /// `ConsumerPartitionAssignor.name()`: `RangeAssignor.RANGE_ASSIGNOR_NAME`, `RoundRobinAssignor.ROUNDROBIN_ASSIGNOR_NAME`,
    /// `CooperativeStickyAssignor.COOPERATIVE_STICKY_ASSIGNOR_NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Accepts the protocol names and the class names `partition.assignment.strategy` takes.
    pub fn parse(s: &str) -> Option<Assignor> {
        match s.trim() {
            "range" | "org.apache.kafka.clients.consumer.RangeAssignor" => Some(Assignor::Range),
            "roundrobin" | "org.apache.kafka.clients.consumer.RoundRobinAssignor" => Some(Assignor::RoundRobin),
            "cooperative-sticky" | "org.apache.kafka.clients.consumer.CooperativeStickyAssignor" => Some(Assignor::CooperativeSticky),
            _ => None,
        }
    }

    /// `supportedProtocols()`: only `CooperativeStickyAssignor` lists `RebalanceProtocol.COOPERATIVE`
    /// (the others inherit the default `[EAGER]`).
    pub fn is_cooperative(self) -> bool {
        matches!(self, Assignor::CooperativeSticky)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<String>,
    /// ownedPartitions (as sent in the subscription; used by the sticky assignor)
    pub owned_partitions: Vec<TopicPartition>,
    /// generation id of the owned partitions (-1 = unknown / DEFAULT_GENERATION)
    pub generation: i32,
    pub rack: Option<String>,
}

/// `AbstractStickyAssignor.DEFAULT_GENERATION`.
const DEFAULT_GENERATION: i32 = -1;

/// Returns member_id -> assigned partitions (every member present, possibly empty), for the given
/// topic partition counts (topics missing from the map have no partitions / are unknown).
pub fn assign(
    assignor: Assignor,
    partitions_per_topic: &BTreeMap<String, u32>,
    subscriptions: &[Subscription],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let members = normalize(partitions_per_topic, subscriptions);
    // AbstractPartitionAssignor.assign(Cluster, GroupSubscription): only subscribed topics with partitions.
    let subscribed: BTreeSet<&str> = members.iter().flat_map(|m| m.topics.iter().copied()).collect_set();
    let ppt: BTreeMap<String, u32> =
        partitions_per_topic.iter().filter(|(t, &n)| n > 0 && subscribed.contains(t.as_str())).map(|(t, &n)| (t.clone(), n)).collect_map();
    let mut lists = if members.is_empty() {
        Vec::new()
    } else {
        match assignor {
            Assignor::Range => range(&ppt, &members),
            Assignor::RoundRobin => round_robin(&ppt, &members),
            Assignor::CooperativeSticky => cooperative_sticky(&ppt, &members),
        }
    };
    let mut out = BTreeMap::new();
    for (m, list) in members.iter().zip(lists.iter_mut()) {
        crate::lean::sort(list);
        out.insert(m.id.to_string(), std::mem::take(list));
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Java emulation helpers
// ---------------------------------------------------------------------------------------------------------------

/// `java.lang.String.hashCode()` (over UTF-16 code units).
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `org.apache.kafka.common.TopicPartition.hashCode()`.
fn java_tp_hash(tp: &TopicPartition) -> i32 {
    let result = 31i32.wrapping_add(tp.partition as i32);
    result.wrapping_mul(31).wrapping_add(java_string_hash(&tp.topic))
}

/// `java.lang.String.compareTo` (UTF-16 code unit order).
fn java_str_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The iteration order of a `java.util.HashMap`/`HashSet` made with the default constructor: the table starts at
/// 16 buckets (`DEFAULT_INITIAL_CAPACITY`), doubles when `size > 0.75 * capacity` or when a bin reaches
/// `TREEIFY_THRESHOLD` entries while the table is below `MIN_TREEIFY_CAPACITY` (`HashMap.putVal`/`treeifyBin`),
/// a key's bin is `(h ^ (h >>> 16)) & (n - 1)` (`HashMap.hash`), bins keep insertion order, and `resize` splits
/// each bin into lo/hi halves preserving order.
struct JavaHashTable<K> {
    bins: Vec<Vec<K>>,
    size: usize,
}

impl<K: PartialEq + JavaHash> JavaHashTable<K> {
    fn new() -> Self {
        JavaHashTable { bins: Vec::new(), size: 0 }
    }

    /// `HashMap.hash`: `h ^ (h >>> 16)`.
    fn spread(key: &K) -> usize {
        let h = key.java_hash() as u32;
        (h ^ (h >> 16)) as usize
    }

    /// `HashMap.putVal` (a key already present keeps its place).
    fn add(&mut self, key: K) {
        if self.bins.is_empty() {
            self.bins = (0..16).map(|_| Vec::new()).collect();
        }
        let i = Self::spread(&key) & (self.bins.len() - 1);
        if self.bins[i].contains(&key) {
            return;
        }
        let bin_count = self.bins[i].len();
        self.bins[i].push(key);
        // treeifyBin resizes instead while the table is below MIN_TREEIFY_CAPACITY.
        if bin_count >= 8 && self.bins.len() < 64 {
            self.resize();
        }
        self.size += 1;
        if self.size > self.bins.len() * 3 / 4 {
            self.resize();
        }
    }

    /// `HashMap.removeNode`: unlinking keeps the order of the rest of the bin.
    fn delete(&mut self, key: &K) {
        if self.bins.is_empty() {
            return;
        }
        let i = Self::spread(key) & (self.bins.len() - 1);
        if let Some(pos) = self.bins[i].iter().position(|k| k == key) {
            self.bins[i].remove(pos);
            self.size -= 1;
        }
    }

    /// `HashMap.resize`: doubles the table; each bin splits into lo (same index) and hi (index + old capacity).
    fn resize(&mut self) {
        let old = self.bins.len();
        let mut bins: Vec<Vec<K>> = (0..old * 2).map(|_| Vec::new()).collect();
        for (j, bin) in std::mem::take(&mut self.bins).into_iter().enumerate() {
            for k in bin {
                let hi = Self::spread(&k) & old != 0;
                bins[if hi { j + old } else { j }].push(k);
            }
        }
        self.bins = bins;
    }

    fn is_empty(&self) -> bool {
        self.size == 0
    }

    fn first(&self) -> Option<&K> {
        self.iter().next()
    }

    fn iter(&self) -> impl Iterator<Item = &K> {
        self.bins.iter().flat_map(|b| b.iter())
    }
}

trait JavaHash {
    fn java_hash(&self) -> i32;
}

impl JavaHash for TopicPartition {
    fn java_hash(&self) -> i32 {
        java_tp_hash(self)
    }
}

impl JavaHash for &str {
    fn java_hash(&self) -> i32 {
        java_string_hash(self)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------------------------

struct Member<'a> {
    id: &'a str,
    instance_id: Option<&'a str>,
    /// `Subscription.topics()` (deduplicated, in the member's order).
    topics: Vec<&'a str>,
    /// `Subscription.ownedPartitions()` (deduplicated; nonexistent partition numbers of known topics dropped).
    owned: Vec<TopicPartition>,
    /// `MemberData.generation.orElse(DEFAULT_GENERATION)`.
    generation: i32,
}

/// Members in the iteration order of Kafka's `HashMap<String, Subscription>` (built with `put` in slice order).
fn normalize<'a>(ppt: &BTreeMap<String, u32>, subscriptions: &'a [Subscription]) -> Vec<Member<'a>> {
    let mut table: JavaHashTable<&'a str> = JavaHashTable::new();
    let mut last: HashMap<&'a str, usize> = HashMap::new();
    for (i, s) in subscriptions.iter().enumerate() {
        table.add(s.member_id.as_str());
        last.insert(s.member_id.as_str(), i);
    }
    table
        .iter()
        .map(|id| {
            let s = &subscriptions[last[id]];
            let mut topics: Vec<&str> = Vec::new();
            for t in &s.topics {
                if !topics.contains(&t.as_str()) {
                    topics.push(t.as_str());
                }
            }
            let mut owned: Vec<TopicPartition> = Vec::new();
            for tp in &s.owned_partitions {
                let exists = ppt.get(tp.topic.as_str()).is_none_or(|&n| tp.partition < n);
                if exists && !owned.contains(tp) {
                    owned.push(*tp);
                }
            }
            Member {
                id: s.member_id.as_str(),
                instance_id: s.group_instance_id.as_deref(),
                topics,
                owned,
                generation: if s.generation < 0 { DEFAULT_GENERATION } else { s.generation },
            }
        })
        .collect()
}

/// `AbstractPartitionAssignor.MemberInfo.compareTo`: members with a group.instance.id first, ordered by it;
/// then the others by member id.
fn member_info_cmp(a: &Member, b: &Member) -> Ordering {
    match (a.instance_id, b.instance_id) {
        (Some(x), Some(y)) => java_str_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => java_str_cmp(a.id, b.id),
    }
}

fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

// ---------------------------------------------------------------------------------------------------------------
// RangeAssignor
// ---------------------------------------------------------------------------------------------------------------

/// `RangeAssignor.assignPartitions` on its non-rack path (`useRackAware == false`): per topic, the subscribed
/// members sorted by `MemberInfo` (`TopicAssignmentState`), then `assignRanges` with `mayAssign = true`.
fn range(ppt: &BTreeMap<String, u32>, members: &[Member]) -> Vec<Vec<TopicPartition>> {
    let mut out = vec![Vec::new(); members.len()];
    for (topic, &n) in ppt {
        // RangeAssignor.consumersPerTopic, then Collections.sort(members) (stable) in TopicAssignmentState.
        let mut consumers: Vec<usize> = (0..members.len()).filter(|&c| members[c].topics.contains(&topic.as_str())).collect();
        crate::lean::sort_by(&mut consumers, |&a, &b| member_info_cmp(&members[a], &members[b]));
        if consumers.is_empty() {
            continue;
        }
        let per_consumer = n / consumers.len() as u32;
        let mut remaining_with_extra = n % consumers.len() as u32;
        let mut next = 0u32; // unassignedPartitions is the (ordered) tail next..n
        for c in consumers {
            if next == n {
                break;
            }
            // TopicAssignmentState.maxAssignable / onAssigned
            let max = per_consumer + u32::from(remaining_with_extra > 0);
            let take = max.min(n - next);
            if take == 0 {
                continue;
            }
            out[c].extend((next..next + take).map(|p| tp(topic, p)));
            next += take;
            if take > per_consumer {
                remaining_with_extra -= 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// RoundRobinAssignor
// ---------------------------------------------------------------------------------------------------------------

/// `RoundRobinAssignor.assign`: a `CircularIterator` over `Utils.sorted(memberInfoList)`, partitions in
/// `allPartitionsSorted` order (topics in `TreeSet` order), skipping members not subscribed to the topic.
fn round_robin(ppt: &BTreeMap<String, u32>, members: &[Member]) -> Vec<Vec<TopicPartition>> {
    let mut out = vec![Vec::new(); members.len()];
    let mut order: Vec<usize> = (0..members.len()).collect();
    crate::lean::sort_by(&mut order, |&a, &b| member_info_cmp(&members[a], &members[b]));
    let topics: BTreeSet<&str> = members.iter().flat_map(|m| m.topics.iter().copied()).collect_set();
    let mut next = 0usize;
    for topic in topics {
        let Some(&n) = ppt.get(topic) else { continue };
        for p in 0..n {
            // `ppt` only holds subscribed topics, so this terminates.
            while !members[order[next]].topics.contains(&topic) {
                next = (next + 1) % order.len();
            }
            out[order[next]].push(tp(topic, p));
            next = (next + 1) % order.len();
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// CooperativeStickyAssignor / AbstractStickyAssignor
// ---------------------------------------------------------------------------------------------------------------

/// `CooperativeStickyAssignor.assignPartitions`: `AbstractStickyAssignor.assignPartitions`, then `adjustAssignment`
/// removes every partition that changes owner from its new owner, so it is first revoked and then assigned in the
/// follow-up rebalance.
fn cooperative_sticky(ppt: &BTreeMap<String, u32>, members: &[Member]) -> Vec<Vec<TopicPartition>> {
    // Member ids in String.compareTo order, for the sorted collections (Collections.sort, SubscriptionComparator).
    let mut by_rank: Vec<usize> = (0..members.len()).collect();
    crate::lean::sort_by(&mut by_rank, |&a, &b| java_str_cmp(members[a].id, members[b].id));
    let mut rank = vec![0; members.len()];
    for (r, &c) in by_rank.iter().enumerate() {
        rank[c] = r;
    }

    let eq = all_subscriptions_equal(ppt, members);
    let (mut assignment, transferring) = if eq.all_equal {
        constrained(ppt, members, &rank, eq.owned, &eq.multiple_owners)
    } else {
        let mut general = General::new(ppt, members, &rank, &by_rank, eq.owned);
        general.build(eq.max_generation);
        let assignment: Vec<Vec<TopicPartition>> = general.current.into_iter().map(Option::unwrap_or_default).collect();
        // CooperativeStickyAssignor: partitionsTransferringOwnership is null on the general path.
        let transferring = compute_partitions_transferring_ownership(members, &assignment);
        (assignment, transferring)
    };
    // CooperativeStickyAssignor.adjustAssignment
    for (p, c) in transferring {
        if let Some(pos) = assignment[c].iter().position(|x| *x == p) {
            assignment[c].remove(pos);
        }
    }
    assignment
}

struct SubscriptionsEqual {
    all_equal: bool,
    /// consumerToOwnedPartitions, by member index
    owned: Vec<Vec<TopicPartition>>,
    multiple_owners: HashSet<TopicPartition>,
    max_generation: i32,
}

/// `AbstractStickyAssignor.allSubscriptionsEqual`: whether all members subscribe to the same topics, and each
/// member's still-valid owned partitions. A partition claimed by several members goes to the highest generation;
/// claimed twice in the same generation it is invalidated (`partitionsWithMultiplePreviousOwners`).
fn all_subscriptions_equal(ppt: &BTreeMap<String, u32>, members: &[Member]) -> SubscriptionsEqual {
    let mut all_equal = true;
    let mut subscribed_topics: HashSet<&str> = HashSet::new();
    let mut previous_owner: HashMap<TopicPartition, usize> = HashMap::new();
    let mut owned: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    let mut multiple_owners = HashSet::new();
    let mut max_generation = DEFAULT_GENERATION;
    for (c, m) in members.iter().enumerate() {
        // Kafka re-initializes the set while it is empty (so a leading empty subscription compares as equal).
        if subscribed_topics.is_empty() {
            subscribed_topics.extend(m.topics.iter().copied());
        } else if all_equal && !(m.topics.len() == subscribed_topics.len() && m.topics.iter().all(|t| subscribed_topics.contains(t))) {
            all_equal = false;
        }
        let generation = m.generation;
        max_generation = max_generation.max(generation);
        for p in &m.owned {
            if !ppt.contains_key(p.topic.as_str()) {
                continue;
            }
            match previous_owner.get(p).copied() {
                None => {
                    owned[c].push(*p);
                    previous_owner.insert(*p, c);
                }
                Some(other) => {
                    let other_generation = members[other].generation;
                    if generation == other_generation {
                        multiple_owners.insert(*p);
                        remove_first(&mut owned[other], p);
                        previous_owner.insert(*p, c);
                    } else if generation > other_generation {
                        owned[c].push(*p);
                        remove_first(&mut owned[other], p);
                        previous_owner.insert(*p, c);
                    }
                }
            }
        }
    }
    SubscriptionsEqual { all_equal, owned, multiple_owners, max_generation }
}

fn remove_first(list: &mut Vec<TopicPartition>, p: &TopicPartition) {
    if let Some(pos) = list.iter().position(|x| x == p) {
        list.remove(pos);
    }
}

/// `AbstractStickyAssignor.ConstrainedAssignmentBuilder.build` (all subscriptions equal), non-rack path:
/// `assignOwnedPartitions`, `getUnassignedPartitions`, `assignRoundRobin`. Returns the assignment and
/// `partitionsTransferringOwnership`.
fn constrained(
    ppt: &BTreeMap<String, u32>,
    members: &[Member],
    rank: &[usize],
    current: Vec<Vec<TopicPartition>>,
    multiple_owners: &HashSet<TopicPartition>,
) -> (Vec<Vec<TopicPartition>>, BTreeMap<TopicPartition, usize>) {
    let n = members.len();
    let total: usize = ppt.values().map(|&c| c as usize).sum();
    let min_quota = total / n;
    let max_quota = total.div_ceil(n);
    let expected_over_min = total % n;
    let mut current_over_min = 0usize;

    let mut assignment: Vec<Vec<TopicPartition>> = vec![Vec::new(); n];
    let mut assigned_partitions: Vec<TopicPartition> = Vec::new();
    let mut maybe_revoked: HashMap<TopicPartition, usize> = HashMap::new();
    let mut under_min: Vec<usize> = Vec::new(); // unfilledMembersWithUnderMinQuotaPartitions (LinkedList)
    let mut exactly_min: VecDeque<usize> = VecDeque::new(); // unfilledMembersWithExactlyMinQuotaPartitions

    // assignOwnedPartitions: iterates currentAssignment (a HashMap by member id) in Java order = member order.
    for (c, owned) in current.into_iter().enumerate() {
        let mut owned = owned;
        crate::lean::sort_by(&mut owned, |a, b| a.partition.cmp(&b.partition).then_with(|| a.topic.cmp(&b.topic)));
        owned.retain(|p| !multiple_owners.contains(p));
        if owned.len() < min_quota {
            assigned_partitions.extend(owned.iter().cloned());
            assignment[c].extend(owned);
            under_min.push(c);
        } else if owned.len() >= max_quota && current_over_min < expected_over_min {
            current_over_min += 1;
            if current_over_min == expected_over_min {
                exactly_min.clear();
            }
            for p in owned.drain(max_quota..) {
                maybe_revoked.insert(p, c);
            }
            assigned_partitions.extend(owned.iter().cloned());
            assignment[c].extend(owned);
        } else {
            for p in owned.drain(min_quota..) {
                maybe_revoked.insert(p, c);
            }
            assigned_partitions.extend(owned.iter().cloned());
            assignment[c].extend(owned);
            if current_over_min < expected_over_min {
                exactly_min.push_back(c);
            }
        }
    }

    let unassigned = constrained_unassigned(ppt, assigned_partitions);
    crate::lean::sort_by_key(&mut under_min, |&c| rank[c]);
    let mut by_rank: Vec<usize> = exactly_min.drain(..).collect();
    crate::lean::sort_by_key(&mut by_rank, |&c| rank[c]);
    exactly_min.extend(by_rank);

    // assignRoundRobin
    let mut transferring = BTreeMap::new();
    let mut it = 0usize; // the LinkedList iterator over under_min: index of the next element
    for p in unassigned {
        let consumer = if it < under_min.len() {
            it += 1;
            under_min[it - 1]
        } else if under_min.is_empty() && exactly_min.is_empty() {
            break; // Kafka: IllegalStateException("No more unfilled consumers to be assigned.")
        } else if under_min.is_empty() {
            exactly_min.pop_front().expect("non-empty")
        } else {
            it = 1;
            under_min[0]
        };
        // assignNewPartition
        assignment[consumer].push(p);
        if maybe_revoked.get(&p).is_some_and(|&o| o != consumer) || multiple_owners.contains(&p) {
            transferring.insert(p, consumer);
        }
        let count = assignment[consumer].len();
        if count == min_quota {
            if it > 0 {
                it -= 1;
                under_min.remove(it);
            }
            exactly_min.push_back(consumer);
        }
        // (Kafka also counts members reaching maxQuota here, but only to log a sanity check.)
    }
    (assignment, transferring)
}

/// `ConstrainedAssignmentBuilder.getUnassignedPartitions`: all partitions (topics sorted, then partition number)
/// minus the sorted assigned ones, by the same two-pointer walk.
fn constrained_unassigned(ppt: &BTreeMap<String, u32>, mut assigned: Vec<TopicPartition>) -> Vec<TopicPartition> {
    let all = ppt.iter().flat_map(|(t, &n)| (0..n).map(move |p| tp(t, p)));
    if assigned.is_empty() {
        return all.collect();
    }
    crate::lean::sort(&mut assigned);
    two_pointer_difference(all, &assigned)
}

fn two_pointer_difference(all: impl Iterator<Item = TopicPartition>, sorted_assigned: &[TopicPartition]) -> Vec<TopicPartition> {
    let mut out = Vec::new();
    let mut it = sorted_assigned.iter();
    let mut next = it.next();
    let mut add_directly = false;
    for p in all {
        if add_directly || next != Some(&p) {
            out.push(p);
        } else {
            next = it.next();
            if next.is_none() {
                add_directly = true;
            }
        }
    }
    out
}

/// `CooperativeStickyAssignor.computePartitionsTransferringOwnership`: partitions newly assigned to a member
/// that some member (per its subscription's ownedPartitions) is losing in this rebalance.
fn compute_partitions_transferring_ownership(members: &[Member], assignment: &[Vec<TopicPartition>]) -> BTreeMap<TopicPartition, usize> {
    let mut added = BTreeMap::new();
    let mut revoked = HashSet::new();
    for (c, m) in members.iter().enumerate() {
        for p in &assignment[c] {
            if !m.owned.contains(p) {
                added.insert(*p, c);
            }
        }
        for p in &m.owned {
            if !assignment[c].contains(p) {
                revoked.insert(*p);
            }
        }
    }
    added.retain(|p, _| revoked.contains(p));
    added
}

/// `AbstractStickyAssignor.PartitionMovements` (consumers by member index). The per-topic, per-pair partition
/// sets are `HashSet<TopicPartition>`s whose iteration order Kafka's result depends on, so they are emulated.
#[derive(Default)]
struct PartitionMovements {
    by_topic: HashMap<String, HashMap<(usize, usize), JavaHashTable<TopicPartition>>>,
    movements: HashMap<TopicPartition, (usize, usize)>,
}

impl PartitionMovements {
    /// `removeMovementRecordOfPartition`
    fn remove_record(&mut self, p: &TopicPartition) -> (usize, usize) {
        let pair = self.movements.remove(p).expect("recorded movement");
        let for_topic = self.by_topic.get_mut(p.topic.as_str()).expect("topic movements");
        let set = for_topic.get_mut(&pair).expect("pair movements");
        set.delete(p);
        if set.is_empty() {
            for_topic.remove(&pair);
        }
        if for_topic.is_empty() {
            self.by_topic.remove(p.topic.as_str());
        }
        pair
    }

    /// `addPartitionMovementRecord`
    fn add_record(&mut self, p: &TopicPartition, pair: (usize, usize)) {
        self.movements.insert(*p, pair);
        self.by_topic.entry(p.topic.to_string()).or_default().entry(pair).or_insert_with(JavaHashTable::new).add(*p);
    }

    /// `movePartition`
    fn move_partition(&mut self, p: &TopicPartition, old: usize, new: usize) {
        if self.movements.contains_key(p) {
            let existing = self.remove_record(p);
            if existing.0 != new {
                self.add_record(p, (existing.0, new));
            }
        } else {
            self.add_record(p, (old, new));
        }
    }

    /// `getTheActualPartitionToBeMoved`: if a partition of this topic earlier moved the opposite way between the
    /// same two consumers, move that one back instead (the first of the pair's `HashSet`).
    fn actual_partition_to_be_moved(&self, p: &TopicPartition, old: usize, new: usize) -> TopicPartition {
        let Some(for_topic) = self.by_topic.get(p.topic.as_str()) else { return *p };
        let old = self.movements.get(p).map_or(old, |&(src, _)| src);
        match for_topic.get(&(new, old)).and_then(|set| set.first()) {
            Some(q) => *q,
            None => *p,
        }
    }
}

/// `AbstractStickyAssignor.GeneralAssignmentBuilder` (subscriptions differ), non-rack path.
struct General<'a> {
    ppt: &'a BTreeMap<String, u32>,
    members: &'a [Member<'a>],
    rank: &'a [usize],
    by_rank: &'a [usize],
    total: usize,
    topic2consumers: BTreeMap<&'a str, Vec<usize>>,
    consumer2topics: Vec<Vec<&'a str>>,
    /// currentAssignment; `None` once a consumer is moved to the fixed assignments.
    current: Vec<Option<Vec<TopicPartition>>>,
    /// currentPartitionConsumer
    partition_consumer: HashMap<TopicPartition, usize>,
    sorted_all_partitions: Vec<TopicPartition>,
    /// sortedCurrentSubscriptions: a TreeSet ordered by (assignment size, member id); stored as (size, rank).
    sorted: BTreeSet<(usize, usize)>,
    revocation_required: bool,
    movements: PartitionMovements,
}

impl<'a> General<'a> {
    /// The `GeneralAssignmentBuilder` constructor.
    fn new(
        ppt: &'a BTreeMap<String, u32>,
        members: &'a [Member<'a>],
        rank: &'a [usize],
        by_rank: &'a [usize],
        current: Vec<Vec<TopicPartition>>,
    ) -> Self {
        let mut topic2consumers: BTreeMap<&str, Vec<usize>> = ppt.keys().map(|t| (t.as_str(), Vec::new())).collect_map();
        let mut consumer2topics = vec![Vec::new(); members.len()];
        for (c, m) in members.iter().enumerate() {
            for &t in &m.topics {
                if let Some(list) = topic2consumers.get_mut(t) {
                    list.push(c);
                    consumer2topics[c].push(t);
                }
            }
        }
        let mut partition_consumer = HashMap::new();
        for (c, list) in current.iter().enumerate() {
            for p in list {
                partition_consumer.insert(*p, c);
            }
        }
        // TopicComparator: number of potential consumers, then name.
        let mut sorted_topics: Vec<&str> = ppt.keys().map(String::as_str).collect();
        crate::lean::sort_by(&mut sorted_topics, |a, b| topic2consumers[a].len().cmp(&topic2consumers[b].len()).then_with(|| a.cmp(b)));
        let sorted_all_partitions = sorted_topics.iter().flat_map(|&t| (0..ppt[t]).map(move |p| tp(t, p))).collect();
        General {
            ppt,
            members,
            rank,
            by_rank,
            total: ppt.values().map(|&c| c as usize).sum(),
            topic2consumers,
            consumer2topics,
            current: current.into_iter().map(Some).collect(),
            partition_consumer,
            sorted_all_partitions,
            sorted: BTreeSet::new(),
            revocation_required: false,
            movements: PartitionMovements::default(),
        }
    }

    fn size(&self, c: usize) -> Option<usize> {
        self.current[c].as_ref().map(Vec::len)
    }

    fn sorted_insert(&mut self, c: usize) {
        if let Some(s) = self.size(c) {
            self.sorted.insert((s, self.rank[c]));
        }
    }

    fn sorted_remove(&mut self, c: usize) {
        if let Some(s) = self.size(c) {
            self.sorted.remove(&(s, self.rank[c]));
        }
    }

    fn potential_consumers(&self, topic: &str) -> usize {
        self.topic2consumers.get(topic).map_or(0, Vec::len)
    }

    /// `GeneralAssignmentBuilder.build`
    fn build(&mut self, max_generation: i32) {
        let prev = self.prepopulate_current_assignments(max_generation);
        let assigned = self.assign_owned_partitions();
        let unassigned = self.unassigned_partitions(assigned);
        for c in 0..self.members.len() {
            self.sorted_insert(c);
        }
        self.balance(&prev, unassigned);
    }

    /// `prepopulateCurrentAssignments`: owned partitions of members below the max generation, the highest such
    /// generation winning (the first member in map order on ties).
    fn prepopulate_current_assignments(&self, max_generation: i32) -> HashMap<TopicPartition, (usize, i32)> {
        let mut prev: HashMap<TopicPartition, (usize, i32)> = HashMap::new();
        for (c, m) in self.members.iter().enumerate() {
            // A missing generation with maxGeneration > DEFAULT_GENERATION counts as DEFAULT_GENERATION: same rule.
            if m.generation < max_generation {
                for p in &m.owned {
                    // updatePrevAssignment
                    match prev.get(p) {
                        Some(&(_, g)) if m.generation <= g => {}
                        _ => {
                            prev.insert(*p, (c, m.generation));
                        }
                    }
                }
            }
        }
        prev
    }

    /// `assignOwnedPartitions` (general): keep owned partitions of topics the owner still subscribes to.
    fn assign_owned_partitions(&mut self) -> Vec<TopicPartition> {
        let mut assigned = Vec::new();
        for c in 0..self.members.len() {
            let list = self.current[c].take().unwrap_or_default();
            let mut kept = Vec::with_capacity(list.len());
            for p in list {
                if !self.topic2consumers.contains_key(p.topic.as_str()) {
                    self.partition_consumer.remove(&p);
                } else if !self.members[c].topics.contains(&p.topic.as_str()) {
                    self.revocation_required = true;
                } else {
                    assigned.push(p);
                    kept.push(p);
                }
            }
            self.current[c] = Some(kept);
        }
        assigned
    }

    /// `GeneralAssignmentBuilder.getUnassignedPartitions` (assigned sorted by `PartitionComparator`).
    fn unassigned_partitions(&self, mut assigned: Vec<TopicPartition>) -> Vec<TopicPartition> {
        if assigned.is_empty() {
            return self.sorted_all_partitions.clone();
        }
        crate::lean::sort_by(&mut assigned, |a, b| {
            self.potential_consumers(&a.topic)
                .cmp(&self.potential_consumers(&b.topic))
                .then_with(|| a.topic.cmp(&b.topic))
                .then_with(|| a.partition.cmp(&b.partition))
        });
        two_pointer_difference(self.sorted_all_partitions.iter().cloned(), &assigned)
    }

    /// `getMaxAssignmentSize`
    fn max_assignment_size(&self, c: usize) -> usize {
        let topics = &self.consumer2topics[c];
        if topics.len() == self.ppt.len() {
            self.total
        } else {
            topics.iter().map(|t| self.ppt[*t] as usize).sum()
        }
    }

    /// `getBalanceScore`
    fn balance_score(assignment: &[Option<Vec<TopicPartition>>]) -> usize {
        let sizes: Vec<usize> = assignment.iter().flatten().map(Vec::len).collect();
        let mut score = 0;
        for i in 0..sizes.len() {
            for j in i + 1..sizes.len() {
                score += sizes[i].abs_diff(sizes[j]);
            }
        }
        score
    }

    /// `maybeAssignPartition` (no rack matching): to the least loaded consumer subscribed to the topic.
    fn maybe_assign_partition(&mut self, p: &TopicPartition) -> bool {
        let found = self.sorted.iter().map(|&(_, r)| self.by_rank[r]).find(|&c| self.consumer2topics[c].contains(&p.topic.as_str()));
        let Some(c) = found else { return false };
        self.sorted_remove(c);
        if let Some(list) = self.current[c].as_mut() {
            list.push(*p);
        }
        self.partition_consumer.insert(*p, c);
        self.sorted_insert(c);
        true
    }

    /// `canConsumerParticipateInReassignment`
    fn can_participate(&self, c: usize) -> bool {
        let Some(list) = self.current[c].as_ref() else { return false };
        if list.len() < self.max_assignment_size(c) {
            return true;
        }
        list.iter().any(|p| self.potential_consumers(&p.topic) >= 2)
    }

    /// `balance`
    fn balance(&mut self, prev: &HashMap<TopicPartition, (usize, i32)>, mut unassigned: Vec<TopicPartition>) {
        let initializing = self.sorted.iter().next_back().is_none_or(|&(s, _)| s == 0);

        // maybeAssign(unassignedPartitions, null, false)
        for p in &unassigned {
            if self.potential_consumers(&p.topic) == 0 {
                continue;
            }
            self.maybe_assign_partition(p);
        }

        // narrow down the reassignment scope to partitions and consumers that can actually be reassigned
        let fixed_topics: HashSet<&str> = self.topic2consumers.iter().filter(|(_, cs)| cs.len() < 2).map(|(t, _)| *t).collect();
        self.sorted_all_partitions.retain(|p| !fixed_topics.contains(p.topic.as_str()));
        unassigned.retain(|p| !fixed_topics.contains(p.topic.as_str()));
        let mut fixed_assignments = Vec::new();
        for c in 0..self.members.len() {
            if !self.can_participate(c) {
                self.sorted_remove(c);
                fixed_assignments.push((c, self.current[c].take()));
            }
        }

        let pre_balance_assignment = self.current.clone();
        let pre_balance_partition_consumers = self.partition_consumer.clone();

        if !self.revocation_required {
            self.perform_reassignments(&unassigned, prev);
        }
        let sorted_all = std::mem::take(&mut self.sorted_all_partitions);
        let reassignment_performed = self.perform_reassignments(&sorted_all, prev);
        self.sorted_all_partitions = sorted_all;

        if !initializing && reassignment_performed && Self::balance_score(&self.current) >= Self::balance_score(&pre_balance_assignment) {
            self.current = pre_balance_assignment;
            self.partition_consumer = pre_balance_partition_consumers;
        }

        for (c, list) in fixed_assignments {
            self.current[c] = list;
        }
    }

    /// `performReassignments` (no rack matching).
    fn perform_reassignments(&mut self, partitions: &[TopicPartition], prev: &HashMap<TopicPartition, (usize, i32)>) -> bool {
        let mut reassignment_performed = false;
        loop {
            let mut modified = false;
            for p in partitions {
                if self.is_balanced() {
                    break;
                }
                let Some(&consumer) = self.partition_consumer.get(p) else { continue };
                let Some(consumer_size) = self.size(consumer) else { continue };
                if let Some(&(prev_consumer, _)) = prev.get(p) {
                    // Kafka would throw a NullPointerException if the previous owner is a fixed consumer.
                    if let Some(prev_size) = self.size(prev_consumer) {
                        if consumer_size > prev_size + 1 {
                            self.reassign_partition_to(p, prev_consumer);
                            reassignment_performed = true;
                            modified = true;
                            continue;
                        }
                    }
                }
                let others = &self.topic2consumers[p.topic.as_str()];
                if others.iter().any(|&o| self.size(o).is_some_and(|s| consumer_size > s + 1)) {
                    self.reassign_partition(p);
                    reassignment_performed = true;
                    modified = true;
                }
            }
            if !modified {
                return reassignment_performed;
            }
        }
    }

    /// `isBalanced`
    fn is_balanced(&self) -> bool {
        let (Some(&(min, _)), Some(&(max, _))) = (self.sorted.iter().next(), self.sorted.iter().next_back()) else { return true };
        if min + 1 >= max {
            return true;
        }
        let mut all_partitions: HashMap<&TopicPartition, usize> = HashMap::new();
        for (c, list) in self.current.iter().enumerate() {
            for p in list.iter().flatten() {
                all_partitions.insert(p, c);
            }
        }
        for &(count, r) in &self.sorted {
            let c = self.by_rank[r];
            if count == self.max_assignment_size(c) {
                continue;
            }
            for &t in &self.consumer2topics[c] {
                for i in 0..self.ppt[t] {
                    let p = tp(t, i);
                    let Some(&other) = all_partitions.get(&p) else { continue };
                    // Partition lists are disjoint, so "not in this consumer's list" == "owned by another".
                    if other != c && self.size(other).is_some_and(|s| count + 1 < s) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// `reassignPartition(partition)`: to the least loaded consumer subscribed to the topic.
    fn reassign_partition(&mut self, p: &TopicPartition) {
        let found = self.sorted.iter().map(|&(_, r)| self.by_rank[r]).find(|&c| self.consumer2topics[c].contains(&p.topic.as_str()));
        if let Some(new) = found {
            self.reassign_partition_to(p, new);
        }
    }

    /// `reassignPartition(partition, newConsumer)`
    fn reassign_partition_to(&mut self, p: &TopicPartition, new: usize) {
        let Some(&consumer) = self.partition_consumer.get(p) else { return };
        let moved = self.movements.actual_partition_to_be_moved(p, consumer, new);
        self.process_partition_movement(&moved, new);
    }

    /// `processPartitionMovement`
    fn process_partition_movement(&mut self, p: &TopicPartition, new: usize) {
        let Some(&old) = self.partition_consumer.get(p) else { return };
        self.sorted_remove(old);
        self.sorted_remove(new);
        self.movements.move_partition(p, old, new);
        if let Some(list) = self.current[old].as_mut() {
            remove_first(list, p);
        }
        if let Some(list) = self.current[new].as_mut() {
            list.push(*p);
        }
        self.partition_consumer.insert(*p, new);
        self.sorted_insert(new);
        self.sorted_insert(old);
    }
}
