//! Where a new topic's replicas go: the placement step of `ReplicationControlManager.createTopic`.
//! With a manual assignment (`--replica-assignment`) the controller checks its shape
//! ([`manual_assignment`]); otherwise it asks the cluster's replica placer
//! ([`Controller::place_new_topic`]): KRaft's `StripedReplicaPlacer`
//! ([`super::striped_replica_placer`]) over the usable brokers, or, with
//! `sim.replica.placement=admin-utils`, the ZooKeeper-era `AdminUtils.assignReplicasToBrokers`
//! ([`super::assignment`]) over the live ones. The placed assignment then goes through
//! [`Controller::create_topic`] like a manual one.
//!
//! The random draws come from the caller (`next_int(bound)`, Kafka's `Random.nextInt`): the
//! simulator's seeded placement stream.

use super::assignment::{assign_replicas_to_brokers, AssignmentError, BrokerMetadata};
use super::striped_replica_placer::{self, UsableBroker};
use super::Controller;
use crate::errors::{CommandError, KafkaError};
use crate::ids::BrokerId;
use crate::lean::CollectBTree;
use std::collections::BTreeMap;

/// A broker of the cluster as configured (`node.id`, `broker.rack`), whether or not the
/// controller has heard from it yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterBroker {
    pub id: BrokerId,
    pub rack: Option<String>,
}

impl Controller {
    /// The replicas of a new topic of `n` partitions with replication factor `rf` over the
    /// cluster's brokers, by `StripedReplicaPlacer` or (`admin_utils`) `AdminUtils`.
    pub fn place_new_topic(
        &self,
        cluster: &[ClusterBroker],
        n: u32,
        rf: u16,
        admin_utils: bool,
        next_int: &mut dyn FnMut(usize) -> usize,
    ) -> Result<BTreeMap<u32, Vec<i32>>, CommandError> {
        if n == 0 || n > 1000 {
            return Err(CommandError::new(
                KafkaError::INVALID_PARTITIONS,
                "partitions",
                format!("number of partitions must be in [1, 1000], got {n}"),
            ));
        }
        if admin_utils {
            self.place_admin_utils(cluster, n, rf, next_int)
        } else {
            self.place_striped(cluster, &[], n, rf, next_int)
        }
    }

    /// The replicas of `n` partitions added to a topic whose partitions have the replica lists
    /// `existing` (CreatePartitions: `PlacementSpec(startPartitionId, additional, rf)`), numbered
    /// from `existing.len()`. The striped placer continues the topic's stripe; the legacy
    /// AdminUtils placement starts afresh.
    pub fn place_new_partitions(
        &self,
        cluster: &[ClusterBroker],
        existing: &[Vec<i32>],
        n: u32,
        rf: u16,
        admin_utils: bool,
        next_int: &mut dyn FnMut(usize) -> usize,
    ) -> Result<BTreeMap<u32, Vec<i32>>, CommandError> {
        let start = existing.len() as u32;
        if n == 0 || start + n > 1000 {
            return Err(CommandError::new(
                KafkaError::INVALID_PARTITIONS,
                "count",
                format!("number of partitions must be in [1, 1000], got {}", start + n),
            ));
        }
        let placed = if admin_utils {
            self.place_admin_utils(cluster, n, rf, next_int)?
        } else {
            self.place_striped(cluster, existing, n, rf, next_int)?
        };
        Ok(placed.into_iter().map(|(p, r)| (p + start, r)).collect_map())
    }

    /// KRaft's placement (`StripedReplicaPlacer`) over the controller's usable brokers: every
    /// registered broker, fenced or not, except those in controlled shutdown
    /// (`BrokerHeartbeatManager.UsableBrokerIterator`). A broker the controller has not heard from
    /// yet counts as unfenced: the cluster a run starts with stands for one already formed.
    fn place_striped(
        &self,
        cluster: &[ClusterBroker],
        existing: &[Vec<i32>],
        n: u32,
        rf: u16,
        next_int: &mut dyn FnMut(usize) -> usize,
    ) -> Result<BTreeMap<u32, Vec<i32>>, CommandError> {
        let usable: Vec<UsableBroker> = cluster
            .iter()
            .filter_map(|s| {
                let id = s.id;
                match self.brokers.get(&id) {
                    Some(r) if r.in_controlled_shutdown => None,
                    Some(r) => Some(UsableBroker { id, rack: r.rack.clone(), fenced: r.fenced }),
                    None => Some(UsableBroker { id, rack: s.rack.clone(), fenced: false }),
                }
            })
            .collect();
        let placed = striped_replica_placer::place(&usable, existing, n as usize, usize::from(rf), next_int)
            .map_err(|e| CommandError::new(KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor", e.0))?;
        Ok(placed.into_iter().enumerate().map(|(p, r)| (p as u32, r)).collect_map())
    }

    /// `sim.replica.placement=admin-utils`: the ZooKeeper-era `AdminUtils.assignReplicasToBrokers`
    /// over the live brokers (ZooKeeper's `/brokers/ids`, ephemeral: here the unfenced ones), with
    /// a random start index and replica shift.
    fn place_admin_utils(
        &self,
        cluster: &[ClusterBroker],
        n: u32,
        rf: u16,
        next_int: &mut dyn FnMut(usize) -> usize,
    ) -> Result<BTreeMap<u32, Vec<i32>>, CommandError> {
        let metas: Vec<BrokerMetadata> = cluster
            .iter()
            .filter(|s| self.brokers.get(&s.id).is_none_or(|r| !r.fenced))
            .map(|s| BrokerMetadata { id: s.id, rack: s.rack.clone() })
            .collect();
        if metas.is_empty() {
            return Err(CommandError::new(KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor", "no broker is alive"));
        }
        let start = next_int(metas.len());
        let shift = next_int(metas.len());
        assign_replicas_to_brokers(&metas, n, rf, Some(start), Some(shift), 0).map_err(|e| match e {
            AssignmentError::InvalidPartitions(m) => CommandError::new(KafkaError::INVALID_PARTITIONS, "partitions", m),
            AssignmentError::InvalidReplicationFactor(m) => {
                CommandError::new(KafkaError::INVALID_REPLICATION_FACTOR, "replication_factor", m)
            }
            AssignmentError::InvalidRackConfiguration(m) => CommandError::new(KafkaError::INVALID_REPLICA_ASSIGNMENT, "brokers", m),
        })
    }
}

/// A manual assignment (`--replica-assignment`): partition numbers 0, 1, 2, … without gaps,
/// each with the same number of replicas.
pub fn manual_assignment(raw: &BTreeMap<String, Vec<i32>>) -> Result<BTreeMap<u32, Vec<i32>>, CommandError> {
    let mut a: BTreeMap<u32, Vec<i32>> = BTreeMap::new();
    for (k, v) in raw {
        let p: u32 = k.parse().map_err(|_| {
            CommandError::new(KafkaError::INVALID_REPLICA_ASSIGNMENT, "assignment", format!("'{k}' is not a partition number"))
        })?;
        a.insert(p, v.clone());
    }
    if a.is_empty() {
        return Err(CommandError::new(KafkaError::INVALID_REPLICA_ASSIGNMENT, "assignment", "the assignment names no partition"));
    }
    let expected: Vec<u32> = (0..a.len() as u32).collect();
    let got: Vec<u32> = a.keys().copied().collect();
    if got != expected {
        return Err(CommandError::new(
            KafkaError::INVALID_REPLICA_ASSIGNMENT,
            "assignment",
            "partitions must be numbered 0, 1, 2, … without gaps",
        ));
    }
    let rf0 = a[&0].len();
    if a.values().any(|r| r.len() != rf0) {
        return Err(CommandError::new(
            KafkaError::INVALID_REPLICA_ASSIGNMENT,
            "assignment",
            "every partition must have the same number of replicas",
        ));
    }
    Ok(a)
}
