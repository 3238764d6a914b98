//! Replica placement for new topics and new partitions.
//!
//! This is a port of Apache Kafka's `org.apache.kafka.admin.AdminUtils.assignReplicasToBrokers`
//! (server-common, Kafka 3.x/4.x; formerly the Scala `kafka.admin.AdminUtils`), including its
//! private helpers `assignReplicasToBrokersRackUnaware`, `assignReplicasToBrokersRackAware`,
//! `getRackAlternatedBrokerList` and `replicaIndex`. Given the same broker list, start index
//! and replica shift it produces exactly the assignment Kafka produces.
//!
//! The only deliberate difference is randomness: Kafka draws the start index and the initial
//! replica shift from `java.util.Random` when `fixedStartIndex` is `-1`. Here the caller
//! supplies both (from a seeded PRNG, or fixed values), so placement is reproducible.

use crate::lean::CollectBTree;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A broker as seen by the placement algorithm (Kafka's `org.apache.kafka.admin.BrokerMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerMetadata {
    /// Broker id (`broker.id` / `node.id`).
    pub id: i32,
    /// The broker's `broker.rack`, if configured.
    pub rack: Option<String>,
}

/// Why a replica assignment could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentError {
    /// Kafka's `InvalidPartitionsException`: the partition count (or the partition id range) is invalid.
    InvalidPartitions(String),
    /// Kafka's `InvalidReplicationFactorException`: the replication factor is zero or exceeds the broker count.
    InvalidReplicationFactor(String),
    /// Kafka's `AdminOperationException`: rack information is incomplete or inconsistent.
    InvalidRackConfiguration(String),
}

impl fmt::Display for AssignmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignmentError::InvalidPartitions(msg) => write!(f, "invalid partitions: {msg}"),
            AssignmentError::InvalidReplicationFactor(msg) => {
                write!(f, "invalid replication factor: {msg}")
            }
            AssignmentError::InvalidRackConfiguration(msg) => {
                write!(f, "invalid rack configuration: {msg}")
            }
        }
    }
}

impl std::error::Error for AssignmentError {}

/// Assigns `n_partitions` partitions, each with `replication_factor` replicas, to `brokers`,
/// following Kafka's `AdminUtils.assignReplicasToBrokers(brokerMetadatas, nPartitions,
/// replicationFactor, fixedStartIndex, startPartitionId)`.
///
/// The three goals (from Kafka's documentation) are:
/// 1. spread the replicas evenly among brokers;
/// 2. for the partitions led by one broker, spread their other replicas over the other brokers;
/// 3. if every broker has a rack, put the replicas of a partition on different racks if possible.
///
/// **Rack-unaware mode** (no broker has a rack): the first replica of partition `p` goes to
/// broker `(p + start_index) % n` of the id-sorted broker list (round robin); follower `j` goes to
/// `replica_index(first, shift, j, n)`, i.e. a fixed offset of `1 + (shift + j) % (n - 1)` from the
/// leader. The shift grows by one every time the partition id wraps around the broker count, so
/// that later rounds do not repeat the same replica sets.
///
/// **Rack-aware mode** (every broker has a rack): the same round robin runs over the
/// *rack-alternated* broker list (Kafka's `getRackAlternatedBrokerList`), with the shift
/// multiplied by the number of racks. A follower candidate is skipped while its rack already
/// holds a replica of the partition and some rack holds none, or while the broker itself already
/// holds a replica and some broker holds none.
///
/// Parameters that replace Kafka's randomness: `start_index` and `replica_shift` replace Kafka's
/// random choices (Kafka picks them with a random generator when `fixedStartIndex` is -1); callers
/// pass values from a seeded PRNG or fixed ones. When `start_index` is `None` it is 0; when
/// `replica_shift` is `None` it equals the start index, exactly as Kafka uses one
/// `fixedStartIndex >= 0` for both. So `(None, None)` is Kafka's `fixedStartIndex = 0`, and
/// `(Some(k), None)` is Kafka's `fixedStartIndex = k`. Any `usize` is accepted: both values are
/// only ever used modulo the broker count (respectively the broker count minus one).
///
/// `start_partition_id` is the id of the first partition to assign (Kafka passes the current
/// partition count when adding partitions); the returned map is keyed by partition id. As in
/// Kafka, the shift is only bumped for ids at or after `start_partition_id`.
///
/// Brokers are sorted by id first (Kafka's callers, e.g. `AdminZkClient.getBrokerMetadatas`,
/// hand it an id-sorted list). A broker listed twice with the same rack counts once; listed
/// twice with different racks is an [`AssignmentError::InvalidRackConfiguration`].
///
/// # Errors
/// * [`AssignmentError::InvalidPartitions`] if `n_partitions` is 0, or the last partition id
///   would exceed `i32::MAX` (Kafka partition ids are int32).
/// * [`AssignmentError::InvalidReplicationFactor`] if `replication_factor` is 0 or larger than
///   the number of distinct brokers.
/// * [`AssignmentError::InvalidRackConfiguration`] if some brokers have a rack and others do not
///   (Kafka: "Not all brokers have rack information for replica rack aware assignment."), or a
///   broker id is listed with two different racks.
pub fn assign_replicas_to_brokers(
    brokers: &[BrokerMetadata],
    n_partitions: u32,
    replication_factor: u16,
    start_index: Option<usize>,
    replica_shift: Option<usize>,
    start_partition_id: u32,
) -> Result<BTreeMap<u32, Vec<i32>>, AssignmentError> {
    if n_partitions == 0 {
        return Err(AssignmentError::InvalidPartitions("number of partitions (n_partitions) must be larger than 0".to_string()));
    }
    if replication_factor == 0 {
        return Err(AssignmentError::InvalidReplicationFactor("replication factor (replication_factor) must be larger than 0".to_string()));
    }
    let brokers = sorted_distinct_brokers(brokers)?;
    if usize::from(replication_factor) > brokers.len() {
        return Err(AssignmentError::InvalidReplicationFactor(format!(
            "replication factor (replication_factor): {replication_factor} larger than available brokers: {}",
            brokers.len()
        )));
    }
    let last_partition_id = u64::from(start_partition_id) + u64::from(n_partitions) - 1;
    if last_partition_id > i32::MAX as u64 {
        return Err(AssignmentError::InvalidPartitions(format!(
            "partition ids start_partition_id {start_partition_id} + n_partitions {n_partitions} \
             exceed the largest Kafka partition id {}",
            i32::MAX
        )));
    }

    let start_index = start_index.unwrap_or(0);
    let placement = Placement {
        start_index,
        replica_shift: replica_shift.unwrap_or(start_index),
        n_partitions,
        replication_factor: usize::from(replication_factor),
        start_partition_id,
    };

    let without_rack: Vec<i32> = brokers.iter().filter(|b| b.rack.is_none()).map(|b| b.id).collect();
    if without_rack.len() == brokers.len() {
        let ids: Vec<i32> = brokers.iter().map(|b| b.id).collect();
        Ok(placement.rack_unaware(&ids))
    } else if without_rack.is_empty() {
        let rack_of: BTreeMap<i32, &str> = brokers.iter().filter_map(|b| b.rack.as_deref().map(|rack| (b.id, rack))).collect_map();
        Ok(placement.rack_aware(&rack_of))
    } else {
        Err(AssignmentError::InvalidRackConfiguration(format!(
            "Not all brokers have rack information for replica rack aware assignment \
             (brokers without rack: {without_rack:?})"
        )))
    }
}

/// The validated inputs shared by both placement modes.
struct Placement {
    start_index: usize,
    replica_shift: usize,
    n_partitions: u32,
    replication_factor: usize,
    start_partition_id: u32,
}

impl Placement {
    /// The partition ids to assign, in order.
    fn partition_ids(&self) -> impl Iterator<Item = u32> {
        // Validated by the caller: start + n - 1 <= i32::MAX, so this cannot overflow.
        self.start_partition_id..self.start_partition_id + self.n_partitions
    }

    /// Kafka's `assignReplicasToBrokersRackUnaware`, over an id-sorted broker list.
    fn rack_unaware(&self, broker_ids: &[i32]) -> BTreeMap<u32, Vec<i32>> {
        let n = broker_ids.len();
        let mut shift = ReplicaShift::new(self.replica_shift, n);
        let mut assignment = BTreeMap::new();
        for partition_id in self.partition_ids() {
            shift.advance_for(partition_id);
            let first = first_replica_index(partition_id, self.start_index, n);
            let replicas = std::iter::once(broker_ids[first])
                .chain((0..self.replication_factor - 1).map(|j| broker_ids[replica_index(first, shift.value, j, n)]))
                .collect();
            assignment.insert(partition_id, replicas);
        }
        assignment
    }

    /// Kafka's `assignReplicasToBrokersRackAware`, given every broker's rack.
    fn rack_aware(&self, rack_of: &BTreeMap<i32, &str>) -> BTreeMap<u32, Vec<i32>> {
        let num_racks = rack_of.values().collect_set().len();
        let arranged = rack_alternated_broker_list(rack_of);
        let n = arranged.len();
        let mut shift = ReplicaShift::new(self.replica_shift, n);
        let mut assignment = BTreeMap::new();
        for partition_id in self.partition_ids() {
            shift.advance_for(partition_id);
            // Kafka passes `nextReplicaShift * numRacks` to replicaIndex; `shift.value` is already
            // reduced modulo n - 1, which leaves the result of replicaIndex unchanged.
            let rack_shift = shift.value * num_racks;
            let first = first_replica_index(partition_id, self.start_index, n);
            let leader = arranged[first];
            let mut replicas = vec![leader];
            let mut racks_with_replicas = BTreeSet::from([rack_of[&leader]]);
            let mut brokers_with_replicas = BTreeSet::from([leader]);
            let mut k = 0;
            while replicas.len() < self.replication_factor {
                let broker = arranged[replica_index(first, rack_shift, k, n)];
                let rack = rack_of[&broker];
                k += 1;
                // Skip the broker while its rack already has a replica and some rack has none,
                // or while it already has a replica itself and some broker has none.
                let rack_ok = !racks_with_replicas.contains(rack) || racks_with_replicas.len() == num_racks;
                let broker_ok = !brokers_with_replicas.contains(&broker) || brokers_with_replicas.len() == n;
                if rack_ok && broker_ok {
                    replicas.push(broker);
                    racks_with_replicas.insert(rack);
                    brokers_with_replicas.insert(broker);
                }
            }
            assignment.insert(partition_id, replicas);
        }
        assignment
    }
}

/// Kafka's `nextReplicaShift`, kept reduced modulo `n - 1` (the only way `replica_index` uses it)
/// so that arbitrary caller-supplied values cannot overflow.
struct ReplicaShift {
    value: usize,
    n_brokers: usize,
}

impl ReplicaShift {
    fn new(initial: usize, n_brokers: usize) -> Self {
        let mut shift = ReplicaShift { value: 0, n_brokers };
        shift.value = shift.reduce(initial);
        shift
    }

    fn reduce(&self, value: usize) -> usize {
        match self.n_brokers {
            // A single broker has no followers, so the shift is never used.
            0 | 1 => 0,
            n => value % (n - 1),
        }
    }

    /// Kafka bumps the shift whenever the partition id wraps around the broker count.
    fn advance_for(&mut self, partition_id: u32) {
        let partition_id = partition_id as usize;
        if partition_id > 0 && partition_id.is_multiple_of(self.n_brokers) {
            self.value = self.reduce(self.value + 1);
        }
    }
}

/// `(partitionId + startIndex) % nBrokers`, without overflow for any `start_index`.
fn first_replica_index(partition_id: u32, start_index: usize, n_brokers: usize) -> usize {
    (partition_id as usize % n_brokers + start_index % n_brokers) % n_brokers
}

/// Kafka's `replicaIndex(firstReplicaIndex, secondReplicaShift, replicaIndex, nBrokers)`: the
/// position of follower number `replica` for a partition whose leader sits at `first`. The offset
/// from the leader is `1 + (shift + replica) % (n - 1)`, so it never lands on the leader itself.
/// Requires `n_brokers >= 2` and `first < n_brokers`.
fn replica_index(first: usize, shift: usize, replica: usize, n_brokers: usize) -> usize {
    let others = n_brokers - 1;
    let offset = 1 + (shift % others + replica % others) % others;
    (first + offset) % n_brokers
}

/// Kafka's `getRackAlternatedBrokerList`: takes one broker from each rack in turn (racks in
/// sorted order, brokers within a rack in id order) until every broker is listed. For racks
/// `rack1: 0, 1, 2`, `rack2: 3, 4, 5`, `rack3: 6, 7, 8` this yields `0, 3, 6, 1, 4, 7, 2, 5, 8`.
///
/// Racks are ordered by `str`'s byte order, which matches Java's `String` order except for
/// characters outside the Basic Multilingual Plane.
fn rack_alternated_broker_list(rack_of: &BTreeMap<i32, &str>) -> Vec<i32> {
    // Iterating a BTreeMap visits broker ids in ascending order, so each rack's list is sorted.
    let mut brokers_by_rack: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (&id, &rack) in rack_of {
        brokers_by_rack.entry(rack).or_default().push(id);
    }
    let rounds = brokers_by_rack.values().map(Vec::len).max().unwrap_or(0);
    (0..rounds).flat_map(|round| brokers_by_rack.values().filter_map(move |brokers| brokers.get(round).copied())).collect()
}

/// Sorts brokers by id and drops exact duplicates; rejects an id listed with two racks.
fn sorted_distinct_brokers(brokers: &[BrokerMetadata]) -> Result<Vec<&BrokerMetadata>, AssignmentError> {
    let mut by_id: BTreeMap<i32, &BrokerMetadata> = BTreeMap::new();
    for broker in brokers {
        match by_id.insert(broker.id, broker) {
            Some(previous) if previous.rack != broker.rack => {
                return Err(AssignmentError::InvalidRackConfiguration(format!(
                    "broker id {} is listed with two different racks: {:?} and {:?}",
                    broker.id, previous.rack, broker.rack
                )));
            }
            _ => {}
        }
    }
    Ok(by_id.into_values().collect())
}

#[cfg(test)]
mod tests {
    //! Most cases are ported from Kafka's `AdminRackAwareTest` / `RackAwareTest`
    //! (core/src/test/scala/unit/kafka/admin). Where Kafka uses a random start index and shift
    //! (`fixedStartIndex = -1`), the port checks every start index and shift Kafka's
    //! `RAND.nextInt(brokerCount)` could draw.

    use super::*;

    fn unracked(ids: impl IntoIterator<Item = i32>) -> Vec<BrokerMetadata> {
        ids.into_iter().map(|id| BrokerMetadata { id, rack: None }).collect()
    }

    fn racked(mapping: &[(i32, &str)]) -> Vec<BrokerMetadata> {
        mapping.iter().map(|&(id, rack)| BrokerMetadata { id, rack: Some(rack.to_string()) }).collect()
    }

    fn rack_map<'a>(mapping: &[(i32, &'a str)]) -> BTreeMap<i32, &'a str> {
        mapping.iter().copied().collect()
    }

    fn expected(entries: &[(u32, &[i32])]) -> BTreeMap<u32, Vec<i32>> {
        entries.iter().map(|&(p, r)| (p, r.to_vec())).collect()
    }

    /// Every (start index, replica shift) pair Kafka's `RAND.nextInt(n)` could produce.
    fn all_random_choices(n_brokers: usize) -> impl Iterator<Item = (usize, usize)> {
        (0..n_brokers).flat_map(move |s| (0..n_brokers).map(move |t| (s, t)))
    }

    #[derive(Clone, Copy)]
    struct Checks {
        rack_aware: bool,
        leader_distribution: bool,
        replicas_distribution: bool,
    }

    const ALL_CHECKS: Checks = Checks { rack_aware: true, leader_distribution: true, replicas_distribution: true };

    /// Port of `RackAwareTest.checkReplicaDistribution`.
    fn check_replica_distribution(
        assignment: &BTreeMap<u32, Vec<i32>>,
        racks: &[(i32, &str)],
        n_partitions: usize,
        replication_factor: usize,
        checks: Checks,
    ) {
        let rack_of = rack_map(racks);
        let n_brokers = rack_of.len();
        assert_eq!(assignment.len(), n_partitions);
        let mut leader_count: BTreeMap<i32, usize> = BTreeMap::new();
        let mut replica_count: BTreeMap<i32, usize> = BTreeMap::new();
        for (partition, replicas) in assignment {
            assert_eq!(replicas.len(), replication_factor, "partition {partition}");
            let distinct: BTreeSet<i32> = replicas.iter().copied().collect();
            assert_eq!(distinct.len(), replicas.len(), "more than one replica of partition {partition} on the same broker: {replicas:?}");
            *leader_count.entry(replicas[0]).or_default() += 1;
            for broker in replicas {
                *replica_count.entry(*broker).or_default() += 1;
            }
            if checks.rack_aware {
                let partition_racks: BTreeSet<&str> = replicas.iter().map(|b| rack_of[b]).collect();
                assert_eq!(
                    partition_racks.len(),
                    replication_factor,
                    "more than one replica of partition {partition} on the same rack: {replicas:?}"
                );
            }
        }
        if checks.leader_distribution {
            let per_broker = n_partitions / n_brokers;
            for broker in rack_of.keys() {
                assert_eq!(
                    leader_count.get(broker).copied().unwrap_or(0),
                    per_broker,
                    "preferred leader count is not even for broker {broker}: {assignment:?}"
                );
            }
        }
        if checks.replicas_distribution {
            let per_broker = n_partitions * replication_factor / n_brokers;
            for broker in rack_of.keys() {
                assert_eq!(
                    replica_count.get(broker).copied().unwrap_or(0),
                    per_broker,
                    "replica count is not even for broker {broker}: {assignment:?}"
                );
            }
        }
    }

    fn racks_per_partition(assignment: &BTreeMap<u32, Vec<i32>>, racks: &[(i32, &str)]) -> Vec<usize> {
        let rack_of = rack_map(racks);
        assignment.values().map(|replicas| replicas.iter().map(|b| rack_of[b]).collect::<BTreeSet<_>>().len()).collect()
    }

    const SIX_BROKERS_THREE_RACKS: [(i32, &str); 6] = [(0, "rack1"), (1, "rack2"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack1")];

    // AdminRackAwareTest.testReplicaAssignment (also the table in AdminUtils' Javadoc).
    #[test]
    fn rack_unaware_assignment_matches_kafkas_published_example() {
        let want = expected(&[
            (0, &[0, 1, 2]),
            (1, &[1, 2, 3]),
            (2, &[2, 3, 4]),
            (3, &[3, 4, 0]),
            (4, &[4, 0, 1]),
            (5, &[0, 2, 3]),
            (6, &[1, 3, 4]),
            (7, &[2, 4, 0]),
            (8, &[3, 0, 1]),
            (9, &[4, 1, 2]),
        ]);
        let brokers = unracked(0..5);
        assert_eq!(assign_replicas_to_brokers(&brokers, 10, 3, None, None, 0), Ok(want.clone()));
        assert_eq!(assign_replicas_to_brokers(&brokers, 10, 3, Some(0), Some(0), 0), Ok(want));
    }

    // AdminRackAwareTest.testReplicaAssignment: the invalid replication factors.
    #[test]
    fn rack_unaware_assignment_rejects_zero_or_too_large_replication_factor() {
        let brokers = unracked(0..5);
        for rf in [0, 6] {
            let err = assign_replicas_to_brokers(&brokers, 10, rf, None, None, 0).unwrap_err();
            assert!(matches!(&err, AssignmentError::InvalidReplicationFactor(msg) if msg.contains("replication_factor")), "{err:?}");
        }
    }

    #[test]
    fn rack_unaware_assignment_sorts_brokers_by_id_and_ignores_exact_duplicates() {
        let shuffled = unracked([3, 0, 4, 1, 2, 3]);
        let sorted = unracked(0..5);
        assert_eq!(
            assign_replicas_to_brokers(&shuffled, 10, 3, Some(2), Some(3), 0),
            assign_replicas_to_brokers(&sorted, 10, 3, Some(2), Some(3), 0)
        );
    }

    #[test]
    fn replica_shift_defaults_to_the_start_index_like_kafkas_fixed_start_index() {
        let brokers = unracked(0..5);
        assert_eq!(
            assign_replicas_to_brokers(&brokers, 10, 3, Some(2), None, 0),
            assign_replicas_to_brokers(&brokers, 10, 3, Some(2), Some(2), 0)
        );
        let racks = racked(&SIX_BROKERS_THREE_RACKS);
        assert_eq!(
            assign_replicas_to_brokers(&racks, 6, 3, Some(2), None, 0),
            assign_replicas_to_brokers(&racks, 6, 3, Some(2), Some(2), 0)
        );
    }

    #[test]
    fn rack_unaware_assignment_is_unchanged_by_adding_multiples_of_the_broker_count() {
        // Kafka only uses the start index modulo n and the shift modulo n - 1.
        let brokers = unracked(10..15);
        assert_eq!(
            assign_replicas_to_brokers(&brokers, 12, 3, Some(1), Some(2), 7),
            assign_replicas_to_brokers(&brokers, 12, 3, Some(1 + 5 * 1000), Some(2 + 4 * 1000), 7)
        );
        assert!(assign_replicas_to_brokers(&brokers, 12, 3, Some(usize::MAX), Some(usize::MAX), 0).is_ok());
    }

    #[test]
    fn rack_unaware_assignment_numbers_partitions_from_the_start_partition_id() {
        // With 5 brokers and start partition 5, Kafka bumps the shift immediately (5 % 5 == 0).
        let got = assign_replicas_to_brokers(&unracked(0..5), 3, 2, Some(0), Some(0), 5).unwrap();
        assert_eq!(got, expected(&[(5, &[0, 2]), (6, &[1, 3]), (7, &[2, 4])]));
    }

    #[test]
    fn a_single_broker_hosts_every_partition() {
        let got = assign_replicas_to_brokers(&unracked([7]), 3, 1, Some(4), Some(9), 0).unwrap();
        assert_eq!(got, expected(&[(0, &[7]), (1, &[7]), (2, &[7])]));
        let racked_one = racked(&[(7, "r")]);
        assert_eq!(assign_replicas_to_brokers(&racked_one, 3, 1, None, None, 0).unwrap(), got);
    }

    // AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers (list part)
    // and the example in getRackAlternatedBrokerList's Javadoc.
    #[test]
    fn rack_alternated_broker_list_matches_kafkas_examples() {
        let mut mapping = rack_map(&[(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2"), (4, "rack2"), (5, "rack1")]);
        assert_eq!(rack_alternated_broker_list(&mapping), vec![0, 3, 1, 5, 4, 2]);
        mapping.remove(&5);
        assert_eq!(rack_alternated_broker_list(&mapping), vec![0, 3, 1, 4, 2]);
        let javadoc = rack_map(&[
            (0, "rack1"),
            (1, "rack1"),
            (2, "rack1"),
            (3, "rack2"),
            (4, "rack2"),
            (5, "rack2"),
            (6, "rack3"),
            (7, "rack3"),
            (8, "rack3"),
        ]);
        assert_eq!(rack_alternated_broker_list(&javadoc), vec![0, 3, 6, 1, 4, 7, 2, 5, 8]);
    }

    // AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers (assignment).
    #[test]
    fn rack_aware_assignment_matches_kafkas_published_example() {
        let brokers = racked(&[(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2"), (4, "rack2"), (5, "rack1")]);
        let want = expected(&[
            (0, &[0, 3, 1]),
            (1, &[3, 1, 5]),
            (2, &[1, 5, 4]),
            (3, &[5, 4, 2]),
            (4, &[4, 2, 0]),
            (5, &[2, 0, 3]),
            // The second round shifts the followers instead of repeating partition 0's 0,3,1.
            (6, &[0, 4, 2]),
        ]);
        assert_eq!(assign_replicas_to_brokers(&brokers, 7, 3, Some(0), Some(0), 0), Ok(want));
    }

    // AdminRackAwareTest.testAssignmentWithRackAware (fixedStartIndex 2) and
    // testAssignmentWithRackAwareWithRandomStartIndex.
    #[test]
    fn rack_aware_assignment_is_even_across_brokers_and_racks_for_every_start() {
        let brokers = racked(&SIX_BROKERS_THREE_RACKS);
        let got = assign_replicas_to_brokers(&brokers, 6, 3, Some(2), None, 0).unwrap();
        check_replica_distribution(&got, &SIX_BROKERS_THREE_RACKS, 6, 3, ALL_CHECKS);
        for (start, shift) in all_random_choices(6) {
            let got = assign_replicas_to_brokers(&brokers, 6, 3, Some(start), Some(shift), 0).unwrap();
            check_replica_distribution(&got, &SIX_BROKERS_THREE_RACKS, 6, 3, ALL_CHECKS);
        }
    }

    // AdminRackAwareTest.testAssignmentWithRackAwareWithUnevenReplicas.
    #[test]
    fn rack_aware_assignment_keeps_replicas_on_distinct_racks_with_uneven_partition_count() {
        let brokers = racked(&SIX_BROKERS_THREE_RACKS);
        let got = assign_replicas_to_brokers(&brokers, 13, 3, Some(0), Some(0), 0).unwrap();
        let checks = Checks { rack_aware: true, leader_distribution: false, replicas_distribution: false };
        check_replica_distribution(&got, &SIX_BROKERS_THREE_RACKS, 13, 3, checks);
    }

    // AdminRackAwareTest.testAssignmentWithRackAwareWithUnevenRacks.
    #[test]
    fn rack_aware_assignment_spreads_leaders_evenly_with_uneven_racks() {
        let racks = [(0, "rack1"), (1, "rack1"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack1")];
        let brokers = racked(&racks);
        let checks = Checks { replicas_distribution: false, ..ALL_CHECKS };
        for (start, shift) in all_random_choices(6) {
            let got = assign_replicas_to_brokers(&brokers, 12, 3, Some(start), Some(shift), 0).unwrap();
            check_replica_distribution(&got, &racks, 12, 3, checks);
        }
    }

    // AdminRackAwareTest.testAssignmentWith2ReplicasRackAware,
    // testAssignmentWith2ReplicasRackAwareWith6Partitions and
    // testAssignmentWith2ReplicasRackAwareWith6PartitionsAnd3Brokers.
    #[test]
    fn rack_aware_assignment_with_two_replicas_is_even_across_brokers_and_racks() {
        let three_brokers = [(0, "rack1"), (1, "rack2"), (4, "rack3")];
        let cases: [(&[(i32, &str)], u32); 3] = [(&SIX_BROKERS_THREE_RACKS, 12), (&SIX_BROKERS_THREE_RACKS, 6), (&three_brokers, 3)];
        for (racks, n_partitions) in cases {
            let brokers = racked(racks);
            for (start, shift) in all_random_choices(racks.len()) {
                let got = assign_replicas_to_brokers(&brokers, n_partitions, 2, Some(start), Some(shift), 0).unwrap();
                check_replica_distribution(&got, racks, n_partitions as usize, 2, ALL_CHECKS);
            }
        }
    }

    // AdminRackAwareTest.testRackAwareExpansion.
    #[test]
    fn rack_aware_expansion_from_partition_twelve_is_even_across_new_brokers() {
        let racks = [(6, "rack1"), (7, "rack2"), (8, "rack2"), (9, "rack3"), (10, "rack3"), (11, "rack1")];
        let brokers = racked(&racks);
        for (start, shift) in all_random_choices(6) {
            let got = assign_replicas_to_brokers(&brokers, 12, 2, Some(start), Some(shift), 12).unwrap();
            assert_eq!(got.keys().copied().collect::<Vec<_>>(), (12..24).collect::<Vec<_>>());
            check_replica_distribution(&got, &racks, 12, 2, ALL_CHECKS);
        }
    }

    // AdminRackAwareTest.testLargeNumberPartitionsAssignment.
    #[test]
    fn rack_aware_assignment_of_many_partitions_is_even_across_brokers_and_racks() {
        let racks = [
            (0, "rack1"),
            (1, "rack2"),
            (2, "rack2"),
            (3, "rack3"),
            (4, "rack3"),
            (5, "rack1"),
            (6, "rack1"),
            (7, "rack2"),
            (8, "rack2"),
            (9, "rack3"),
            (10, "rack1"),
            (11, "rack3"),
        ];
        let brokers = racked(&racks);
        for (start, shift) in all_random_choices(12) {
            let got = assign_replicas_to_brokers(&brokers, 96, 3, Some(start), Some(shift), 0).unwrap();
            check_replica_distribution(&got, &racks, 96, 3, ALL_CHECKS);
        }
    }

    // AdminRackAwareTest.testMoreReplicasThanRacks and testLessReplicasThanRacks.
    #[test]
    fn rack_aware_assignment_covers_every_rack_or_uses_distinct_racks() {
        let racks = [(0, "rack1"), (1, "rack2"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack2")];
        let brokers = racked(&racks);
        for (start, shift) in all_random_choices(6) {
            for (rf, want_racks) in [(5, 3), (2, 2)] {
                let got = assign_replicas_to_brokers(&brokers, 6, rf, Some(start), Some(shift), 0).unwrap();
                assert!(got.values().all(|r| r.len() == usize::from(rf)));
                assert_eq!(racks_per_partition(&got, &racks), vec![want_racks; 6]);
            }
        }
    }

    // AdminRackAwareTest.testSingleRack.
    #[test]
    fn rack_aware_assignment_on_a_single_rack_still_spreads_leaders() {
        let racks: Vec<(i32, &str)> = (0..6).map(|id| (id, "rack1")).collect();
        let brokers = racked(&racks);
        for (start, shift) in all_random_choices(6) {
            let got = assign_replicas_to_brokers(&brokers, 6, 3, Some(start), Some(shift), 0).unwrap();
            assert!(got.values().all(|r| r.len() == 3));
            assert_eq!(racks_per_partition(&got, &racks), vec![1; 6]);
            let leaders: BTreeSet<i32> = got.values().map(|r| r[0]).collect();
            assert_eq!(leaders, (0..6).collect());
        }
    }

    // AdminRackAwareTest.testSkipBrokerWithReplicaAlreadyAssigned.
    #[test]
    fn rack_aware_assignment_never_puts_two_replicas_on_one_broker() {
        let racks = [(0, "a"), (1, "b"), (2, "c"), (3, "a"), (4, "a")];
        let brokers = racked(&racks);
        let got = assign_replicas_to_brokers(&brokers, 6, 4, Some(2), None, 0).unwrap();
        let checks = Checks { rack_aware: false, leader_distribution: false, replicas_distribution: false };
        check_replica_distribution(&got, &racks, 6, 4, checks);
    }

    // AdminRackAwareTest.testAssignReplicasToBrokersWithInvalidParameters.
    #[test]
    fn invalid_parameters_are_rejected_with_kafkas_error_kinds() {
        let mut brokers = racked(&[(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2")]);
        brokers.push(BrokerMetadata { id: 4, rack: None });

        let err = assign_replicas_to_brokers(&brokers, 0, 0, None, None, 0).unwrap_err();
        assert!(matches!(&err, AssignmentError::InvalidPartitions(msg) if msg.contains("n_partitions")), "{err:?}");
        let err = assign_replicas_to_brokers(&brokers, 10, 0, None, None, 0).unwrap_err();
        assert!(matches!(err, AssignmentError::InvalidReplicationFactor(_)), "{err:?}");
        let err = assign_replicas_to_brokers(&brokers, 10, 6, None, None, 0).unwrap_err();
        assert!(matches!(err, AssignmentError::InvalidReplicationFactor(_)), "{err:?}");
        let err = assign_replicas_to_brokers(&brokers, 10, 5, None, None, 0).unwrap_err();
        assert!(
            matches!(&err, AssignmentError::InvalidRackConfiguration(msg)
                if msg.contains("Not all brokers have rack information") && msg.contains("[4]")),
            "{err:?}"
        );
    }

    #[test]
    fn empty_broker_list_is_an_invalid_replication_factor() {
        let err = assign_replicas_to_brokers(&[], 1, 1, None, None, 0).unwrap_err();
        assert!(matches!(err, AssignmentError::InvalidReplicationFactor(_)), "{err:?}");
    }

    #[test]
    fn a_broker_listed_with_two_racks_is_rejected() {
        let brokers = racked(&[(0, "rack1"), (1, "rack2"), (0, "rack2")]);
        let err = assign_replicas_to_brokers(&brokers, 1, 1, None, None, 0).unwrap_err();
        assert!(matches!(err, AssignmentError::InvalidRackConfiguration(_)), "{err:?}");
    }

    #[test]
    fn partition_ids_beyond_kafkas_int32_range_are_rejected() {
        let brokers = unracked(0..3);
        let last_ok = i32::MAX as u32;
        assert!(assign_replicas_to_brokers(&brokers, 1, 1, None, None, last_ok).is_ok());
        let err = assign_replicas_to_brokers(&brokers, 2, 1, None, None, last_ok).unwrap_err();
        assert!(matches!(&err, AssignmentError::InvalidPartitions(msg) if msg.contains("start_partition_id")), "{err:?}");
        let err = assign_replicas_to_brokers(&brokers, u32::MAX, 1, None, None, u32::MAX).unwrap_err();
        assert!(matches!(err, AssignmentError::InvalidPartitions(_)), "{err:?}");
    }

    #[test]
    fn assignment_is_deterministic_for_the_same_inputs() {
        let brokers = racked(&SIX_BROKERS_THREE_RACKS);
        let first = assign_replicas_to_brokers(&brokers, 50, 3, Some(4), Some(1), 3);
        for _ in 0..3 {
            assert_eq!(assign_replicas_to_brokers(&brokers, 50, 3, Some(4), Some(1), 3), first);
        }
    }
}
