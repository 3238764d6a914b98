//! The active KRaft controller as a sans-IO state machine: broker registration
//! and heartbeats, fencing, topic creation, leader election, AlterPartition and
//! the metadata log the brokers replay. It runs on the quorum leader ([`quorum`]):
//! like `QuorumController`, it applies its records in memory at once, but answers a
//! request, and lets brokers see a record, only once the record is committed (a
//! majority of voters has it; `ControllerWriteEvent` waits in the deferred event queue).
//! A controller that becomes active is rebuilt by replaying the log ([`Controller::replay`]);
//! when the active controller fails over, and what brokers' requests meet meanwhile, is [`failover`].
//!
//! Rules followed: `ClusterControlManager` (registration, fencing),
//! `ReplicationControlManager` (AlterPartition validation order, fencing and
//! controlled shutdown remove the broker from every ISR, auto leader
//! rebalance), `PartitionChangeBuilder` (see [`election`]).

pub mod assignment;
pub mod election;
pub mod failover;
pub mod placement;
pub mod quorum;
pub mod reassignment;
pub mod striped_replica_placer;

use crate::config::{BrokerConfig, TopicConfig};
use crate::effects::{Category, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::{validate_topic_name, BrokerId, NodeId, TopicPartition, NO_LEADER};
use crate::lean::CollectBTree;
use crate::protocol::{MetadataRecord, Msg, PartitionState};
use crate::vecmap::VecMap;
use election::{build_change, ChangeInput, ChangeResult, Election};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Debug, Clone, Serialize)]
pub struct BrokerRegistration {
    pub broker: BrokerId,
    pub broker_epoch: i64,
    pub rack: Option<String>,
    pub incarnation: u64,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
    pub last_contact_ms: i64,
    /// Metadata offset of the registration record: the broker is unfenced once it has replayed it.
    pub registration_offset: i64,
    /// The metadata offset the broker reported in its last heartbeat (`currentMetadataOffset`).
    #[serde(skip)]
    pub metadata_offset: i64,
    /// `BrokerHeartbeatManager`'s `controlledShutdownOffset`: the end of the batch that moved the
    /// broker's leaderships away; the shutdown is granted once every active broker has replayed it.
    #[serde(skip)]
    pub controlled_shutdown_offset: Option<i64>,
}

/// `last_contact_ms` of a broker without a heartbeat session (fenced when a controller took over).
pub const NO_SESSION: i64 = i64::MIN / 4;

#[derive(Debug, Clone)]
pub struct Controller {
    pub config: BrokerConfig,
    /// `eligible.leader.replicas.version=1` (KIP-966): on for clusters created on Kafka 4.1+.
    pub elr_enabled: bool,
    pub brokers: VecMap<BrokerId, BrokerRegistration>,
    pub topics: BTreeMap<String, TopicConfig>,
    pub partitions: BTreeMap<TopicPartition, PartitionState>,
    /// The metadata log; a record's offset is its index.
    pub log: Vec<MetadataRecord>,
    /// Records below this offset are committed (the quorum's high watermark).
    pub committed: i64,
    /// A single voter is its own majority: every record commits when appended.
    pub auto_commit: bool,
    /// Responses waiting for the log to be committed up to an offset (`deferredEventQueue`).
    deferred: Vec<(i64, NodeId, Msg)>,
    /// Committed records up to here have been pushed to the brokers.
    pub pending_push: usize,
    next_rebalance_check_ms: i64,
    next_unclean_check_ms: i64,
    pub unclean_elections: u64,
    /// Partitions that had an unclean (or last-known-leader) election, for explanations.
    pub unclean_partitions: BTreeSet<TopicPartition>,
    /// Every committed ISR shrink and expand, whatever caused it (fencing, elections, leaders).
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    /// Shrinks and expands a leader asked for with AlterPartition and the controller committed:
    /// what Kafka's IsrShrinksPerSec / IsrExpandsPerSec count, summed over brokers (the leader
    /// marks `isrShrinkRate` when its pending shrink is committed, `PendingShrinkIsr.notifyListener`;
    /// a broker removed from the ISR because it was fenced is not counted there).
    pub leader_isr_shrinks: u64,
    pub leader_isr_expands: u64,
}

impl Controller {
    pub fn new(config: BrokerConfig, elr_enabled: bool) -> Controller {
        let next = config.leader_imbalance_check_interval_seconds.saturating_mul(1000);
        let next_unclean = config.unclean_leader_election_interval_ms;
        Controller {
            config,
            elr_enabled,
            brokers: VecMap::new(),
            topics: BTreeMap::new(),
            partitions: BTreeMap::new(),
            log: Vec::new(),
            committed: 0,
            auto_commit: true,
            deferred: Vec::new(),
            pending_push: 0,
            next_rebalance_check_ms: next,
            next_unclean_check_ms: next_unclean,
            unclean_elections: 0,
            unclean_partitions: BTreeSet::new(),
            isr_shrinks: 0,
            isr_expands: 0,
            leader_isr_shrinks: 0,
            leader_isr_expands: 0,
        }
    }

    /// Rebuilds the controller from the metadata log, as a newly active controller does
    /// (`QuorumController.claim` after replaying the committed records). Every unfenced broker
    /// gets a fresh session: `ClusterControlManager.activate` creates a new
    /// `BrokerHeartbeatManager` and touches each with last contact = now, so a controller
    /// failover fences no one. Fenced brokers get no session (Kafka 4.1+, KAFKA-19130): a broker
    /// that died before the failover may register again at once.
    pub fn replay(config: BrokerConfig, elr_enabled: bool, records: &[MetadataRecord], committed: i64, now_ms: i64) -> Controller {
        let mut c = Controller::new(config, elr_enabled);
        for (offset, rec) in records.iter().enumerate() {
            match rec {
                MetadataRecord::RegisterBroker { broker, broker_epoch, rack, fenced, incarnation } => {
                    c.brokers.insert(
                        *broker,
                        BrokerRegistration {
                            broker: *broker,
                            broker_epoch: *broker_epoch,
                            rack: rack.clone(),
                            incarnation: *incarnation,
                            fenced: *fenced,
                            in_controlled_shutdown: false,
                            last_contact_ms: now_ms,
                            registration_offset: offset as i64,
                            metadata_offset: -1,
                            controlled_shutdown_offset: None,
                        },
                    );
                }
                MetadataRecord::BrokerFenced { broker, fenced, in_controlled_shutdown } => {
                    if let Some(r) = c.brokers.get_mut(broker) {
                        r.fenced = *fenced;
                        r.in_controlled_shutdown = *in_controlled_shutdown;
                    }
                }
                MetadataRecord::Topic { name, config } => {
                    c.topics.insert(name.clone(), TopicConfig { overrides: config.iter().cloned().collect_map() });
                }
                MetadataRecord::Partition(st) => {
                    c.partitions.insert(st.tp, st.clone());
                }
                MetadataRecord::UnregisterBroker { broker } => {
                    c.brokers.remove(broker);
                }
                MetadataRecord::LeaderChange { .. } => {}
            }
        }
        for r in c.brokers.values_mut().filter(|r| r.fenced) {
            r.last_contact_ms = NO_SESSION;
        }
        c.log = records.to_vec();
        c.committed = committed.clamp(0, c.log.len() as i64);
        c.pending_push = c.committed as usize;
        // Periodic tasks are scheduled afresh on activation (PeriodicTaskControlManager.activate:
        // the first run of each is one full period later).
        c.next_rebalance_check_ms = now_ms + c.config.leader_imbalance_check_interval_seconds.saturating_mul(1000);
        c.next_unclean_check_ms = now_ms.saturating_add(c.config.unclean_leader_election_interval_ms);
        c
    }

    fn append(&mut self, rec: MetadataRecord) -> i64 {
        self.log.push(rec);
        if self.auto_commit {
            self.committed = self.log.len() as i64;
        }
        self.log.len() as i64 - 1
    }

    /// Committed records from `from` on (brokers replay only committed records).
    fn records_from(&self, from: i64) -> Rc<Vec<(i64, MetadataRecord)>> {
        let start = from.max(0) as usize;
        let end = (self.committed.max(0) as usize).min(self.log.len());
        Rc::new(self.log.iter().enumerate().take(end).skip(start).map(|(i, r)| (i as i64, r.clone())).collect())
    }

    /// Pushes records committed since the last push to every registered broker
    /// (the answer to their long-polling metadata fetch).
    pub fn push_metadata(&mut self, out: &mut Out) {
        let end = (self.committed.max(0) as usize).min(self.log.len());
        if self.pending_push >= end {
            return;
        }
        let recs = self.records_from(self.pending_push as i64);
        self.pending_push = end;
        for &b in self.brokers.keys() {
            out.send(NodeId::Broker(b), Msg::MetadataUpdate { records: recs.clone() });
        }
    }

    /// Pushes every committed record the brokers have not been sent yet.
    pub fn push_committed(&mut self, out: &mut Out) {
        self.push_metadata(out);
    }

    /// Answers a request once everything appended so far is committed (at once with a
    /// single voter, or when nothing is pending).
    fn respond(&mut self, to: NodeId, msg: Msg, out: &mut Out) {
        let needed = self.log.len() as i64;
        if self.committed >= needed {
            out.send(to, msg);
        } else {
            self.deferred.push((needed, to, msg));
        }
    }

    /// The quorum's high watermark moved: answer the requests whose records are now
    /// committed and push the new records to the brokers.
    pub fn advance_commit(&mut self, high_watermark: i64, out: &mut Out) {
        let hw = high_watermark.min(self.log.len() as i64);
        if hw <= self.committed {
            return;
        }
        self.committed = hw;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.deferred).into_iter().partition(|(o, _, _)| *o <= hw);
        self.deferred = waiting;
        for (_, to, msg) in ready {
            out.send(to, msg);
        }
        self.push_metadata(out);
    }

    /// The requests still waiting for a commit (lost when this controller stops being active).
    pub fn take_deferred(&mut self) -> Vec<(NodeId, Msg)> {
        std::mem::take(&mut self.deferred).into_iter().map(|(_, to, msg)| (to, msg)).collect()
    }

    fn is_acceptable_leader(&self, b: BrokerId) -> bool {
        self.brokers.get(&b).map(|r| !r.fenced && !r.in_controlled_shutdown).unwrap_or(false)
    }

    fn topic_config(&self, topic: &str) -> TopicConfig {
        self.topics.get(topic).cloned().unwrap_or_default()
    }

    /// Applies a partition change through the election rules; logs and records it.
    #[allow(clippy::too_many_arguments)]
    fn change_partition(
        &mut self,
        now_ms: i64,
        tp: &TopicPartition,
        target_isr: Vec<BrokerId>,
        election: Election,
        unclean_shutdown: &[BrokerId],
        reason: &str,
        out: &mut Out,
    ) -> Option<PartitionState> {
        // Elections the controller starts itself are UNCLEAN when the topic allows it
        // (ReplicationControlManager: `if uncleanLeaderElectionEnabledForTopic → setElection(UNCLEAN)`).
        let unclean_allowed = self.topic_config(&tp.topic).unclean_leader_election_enable(&self.config);
        let election = if election == Election::Online && unclean_allowed { Election::Unclean } else { election };
        self.change_partition_to(now_ms, tp, target_isr, None, election, unclean_shutdown, reason, out)
    }

    /// [`Controller::change_partition`] with a target assignment (a reassignment starting,
    /// changing or being cancelled: `src/controller/reassignment.rs`).
    #[allow(clippy::too_many_arguments)]
    fn change_partition_to(
        &mut self,
        now_ms: i64,
        tp: &TopicPartition,
        target_isr: Vec<BrokerId>,
        assignment: Option<election::TargetAssignment>,
        election: Election,
        unclean_shutdown: &[BrokerId],
        reason: &str,
        out: &mut Out,
    ) -> Option<PartitionState> {
        let cur = self.partitions.get(tp)?.clone();
        let tc = self.topic_config(&tp.topic);
        let min_isr = tc.min_insync_replicas(&self.config).max(1) as usize;
        let result = {
            let acceptable = |b: BrokerId| self.is_acceptable_leader(b);
            build_change(ChangeInput {
                current: &cur,
                target_isr,
                assignment,
                election,
                elr_enabled: self.elr_enabled,
                min_insync_replicas: min_isr,
                unclean_shutdown,
                acceptable: &acceptable,
            })
        }?;
        let st = result.state.clone();
        self.note_partition_change(tp, &cur, &result, reason, out);
        let _ = now_ms;
        let by_leader = reason.starts_with("AlterPartition from leader");
        if st.isr.len() < cur.isr.len() {
            self.isr_shrinks += 1;
            self.leader_isr_shrinks += u64::from(by_leader);
        } else if st.isr.len() > cur.isr.len() {
            self.isr_expands += 1;
            self.leader_isr_expands += u64::from(by_leader);
        }
        self.partitions.insert(*tp, st.clone());
        self.append(MetadataRecord::Partition(st.clone()));
        Some(st)
    }

    /// Logs a committed partition change (an election, an ELR or ISR change) and remembers
    /// unclean elections.
    fn note_partition_change(&mut self, tp: &TopicPartition, cur: &PartitionState, result: &ChangeResult, reason: &str, out: &mut Out) {
        let st = &result.state;
        reassignment::note_assignment_change(tp, cur, result, reason, out);
        if result.leader_changed {
            let leader = if st.leader == NO_LEADER { "none".to_string() } else { st.leader.to_string() };
            if result.unclean {
                self.unclean_partitions.insert(*tp);
            }
            if result.last_known_leader {
                self.unclean_elections += 1;
                out.log(Category::Election, format!(
                    "elects broker {leader} leader of {tp} in epoch {} as its last known leader: ISR and ELR are empty (KIP-966 balanced recovery, recorded as unclean; {reason})",
                    st.leader_epoch
                ));
            } else if result.unclean {
                self.unclean_elections += 1;
                out.log(Category::Election, format!(
                    "UNCLEAN leader election for {tp}: broker {leader} (not in the ISR) becomes leader in epoch {} ({reason}); records it lacks are lost",
                    st.leader_epoch
                ));
            } else if st.leader == NO_LEADER {
                out.log(
                    Category::Election,
                    format!(
                        "{tp} has no eligible leader: Leader: none, epoch {}, ISR [{}] ({reason}); partition is offline",
                        st.leader_epoch,
                        join(&st.isr)
                    ),
                );
            } else {
                out.log(
                    Category::Election,
                    format!("elects broker {leader} leader of {tp} in epoch {} (ISR [{}]; {reason})", st.leader_epoch, join(&st.isr)),
                );
            }
        } else if st.isr == cur.isr && st.elr != cur.elr {
            // Only the eligible leader replicas changed (KIP-966): say so, not "ISR [3] → [3]".
            out.log(
                Category::Isr,
                format!(
                    "commits ELR of {tp} [{}] → [{}], ISR stays [{}] (partition epoch {}; {reason})",
                    join(&cur.elr),
                    join(&st.elr),
                    join(&st.isr),
                    st.partition_epoch
                ),
            );
        } else if st.isr != cur.isr {
            out.log(
                Category::Isr,
                format!(
                    "commits ISR of {tp} [{}] → [{}]{} (partition epoch {}; {reason})",
                    join(&cur.isr),
                    join(&st.isr),
                    if st.elr.is_empty() { String::new() } else { format!(", ELR [{}]", join(&st.elr)) },
                    st.partition_epoch
                ),
            );
        }
    }

    /// Kafka's `CreateTopics`, validated as the controller does.
    pub fn create_topic(
        &mut self,
        now_ms: i64,
        name: &str,
        assignment: BTreeMap<u32, Vec<BrokerId>>,
        config: TopicConfig,
        out: &mut Out,
    ) -> Result<(), CommandError> {
        validate_topic_name(name).map_err(|m| CommandError::new(KafkaError::INVALID_TOPIC_EXCEPTION, "name", m))?;
        if self.topics.contains_key(name) {
            return Err(CommandError::new(KafkaError::TOPIC_ALREADY_EXISTS, "name", format!("Topic '{name}' already exists.")));
        }
        for (p, replicas) in &assignment {
            let mut seen = BTreeSet::new();
            for r in replicas {
                if !seen.insert(*r) {
                    return Err(CommandError::new(
                        KafkaError::INVALID_REPLICA_ASSIGNMENT,
                        format!("assignment.{p}"),
                        format!("duplicate replica {r} in partition {p}"),
                    ));
                }
                if !self.brokers.contains_key(r) {
                    return Err(CommandError::new(
                        KafkaError::INVALID_REPLICA_ASSIGNMENT,
                        format!("assignment.{p}"),
                        format!("broker {r} in partition {p} is not registered"),
                    ));
                }
            }
            if replicas.is_empty() {
                return Err(CommandError::new(
                    KafkaError::INVALID_REPLICA_ASSIGNMENT,
                    format!("assignment.{p}"),
                    format!("partition {p} has no replicas"),
                ));
            }
        }
        self.append(MetadataRecord::Topic {
            name: name.to_string(),
            config: config.overrides.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
        self.topics.insert(name.to_string(), config);
        self.add_partition_records(name, assignment, out);
        let _ = now_ms;
        self.push_metadata(out);
        Ok(())
    }

    /// A PartitionRecord for each new partition (CreateTopics, CreatePartitions): ISR = the
    /// replicas that are unfenced, leader = the first of them.
    fn add_partition_records(&mut self, name: &str, assignment: BTreeMap<u32, Vec<BrokerId>>, out: &mut Out) {
        for (p, replicas) in assignment {
            let tp = TopicPartition::new(name, p);
            // ISR = the replicas that are unfenced; leader = first acceptable replica.
            let isr: Vec<BrokerId> = replicas.iter().copied().filter(|&r| self.is_acceptable_leader(r)).collect();
            let leader = isr.first().copied().unwrap_or(NO_LEADER);
            let isr = if isr.is_empty() { replicas.clone() } else { isr };
            let st = PartitionState {
                tp,
                replicas: replicas.clone(),
                isr: isr.clone(),
                elr: vec![],
                last_known_elr: vec![],
                leader,
                leader_epoch: 0,
                partition_epoch: 0,
                leader_recovering: false,
                adding_replicas: vec![],
                removing_replicas: vec![],
            };
            out.log(
                Category::Controller,
                format!(
                    "creates {tp}: Leader: {} Replicas: {} Isr: {}",
                    if leader == NO_LEADER { "none".into() } else { leader.to_string() },
                    join(&replicas),
                    join(&isr)
                ),
            );
            self.partitions.insert(tp, st.clone());
            self.append(MetadataRecord::Partition(st));
        }
    }

    /// `kafka-topics.sh --alter --partitions` (`ReplicationControlManager.createPartitions`):
    /// `count` is the new total; the new partitions (numbered after the existing ones) are
    /// placed by `assignment` (from the replica placer, with the replication factor of the
    /// topic's first partition) and created as a new topic's are. Kafka's errors and messages.
    pub fn create_partitions(
        &mut self,
        topic: &str,
        count: u32,
        assignment: BTreeMap<u32, Vec<BrokerId>>,
        out: &mut Out,
    ) -> Result<(), CommandError> {
        let current = self
            .partition_count(topic)
            .ok_or_else(|| CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topic", format!("topic '{topic}' does not exist")))?;
        if count == current {
            return Err(CommandError::new(KafkaError::INVALID_PARTITIONS, "count", format!("Topic already has {current} partition(s).")));
        }
        if count < current {
            return Err(CommandError::new(
                KafkaError::INVALID_PARTITIONS,
                "count",
                format!("The topic {topic} currently has {current} partition(s); {count} would not be an increase."),
            ));
        }
        out.log(Category::Controller, format!("adds partitions to {topic}: {current} -> {count} (CreatePartitions)"));
        self.add_partition_records(topic, assignment, out);
        self.push_metadata(out);
        Ok(())
    }

    /// How many partitions `topic` has (None: no such topic).
    pub fn partition_count(&self, topic: &str) -> Option<u32> {
        if !self.topics.contains_key(topic) {
            return None;
        }
        Some(self.partitions.keys().filter(|tp| tp.topic.as_str() == topic).count() as u32)
    }

    /// `kafka-configs.sh --alter --entity-type topics`.
    pub fn alter_topic_config(&mut self, topic: &str, config: TopicConfig, out: &mut Out) -> Result<(), CommandError> {
        if !self.topics.contains_key(topic) {
            return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topic", format!("topic '{topic}' does not exist")));
        }
        let min_isr_changed = self.topics[topic].overrides.get("min.insync.replicas") != config.overrides.get("min.insync.replicas");
        self.append(MetadataRecord::Topic {
            name: topic.to_string(),
            config: config.overrides.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
        self.topics.insert(topic.to_string(), config);
        if min_isr_changed {
            self.clear_elr(Some(topic), out);
        }
        self.push_metadata(out);
        Ok(())
    }

    /// `ClearElrRecord` (KAFKA-16540): a change of min.insync.replicas for a topic (or the cluster
    /// default, for every topic) empties the ELR and LastKnownElr of its partitions, as
    /// ConfigurationControlManager.createClearElrRecordsAsNeeded writes in the same batch as the
    /// config. ReplicationControlManager.replay merges it into each partition that has an ELR or
    /// LastKnownElr (partition epoch + 1); ISR, leader and leader epoch stay. Only with ELR on.
    pub fn clear_elr(&mut self, topic: Option<&str>, out: &mut Out) {
        if !self.elr_enabled {
            return;
        }
        let hit: Vec<TopicPartition> = self
            .partitions
            .iter()
            .filter(|(tp, p)| topic.is_none_or(|t| tp.topic == t) && (!p.elr.is_empty() || !p.last_known_elr.is_empty()))
            .map(|(tp, _)| *tp)
            .collect();
        for tp in hit {
            let mut st = self.partitions[&tp].clone();
            out.log(
                Category::Isr,
                format!(
                    "clears the ELR of {tp} [{}] → [] (and LastKnownElr [{}]): min.insync.replicas changed (ClearElrRecord); ISR stays [{}] (partition epoch {})",
                    join(&st.elr),
                    join(&st.last_known_elr),
                    join(&st.isr),
                    st.partition_epoch + 1
                ),
            );
            st.elr.clear();
            st.last_known_elr.clear();
            st.partition_epoch += 1;
            self.partitions.insert(tp, st.clone());
            self.append(MetadataRecord::Partition(st));
        }
    }

    /// `kafka-leader-election.sh` for one partition.
    pub fn elect_leader(&mut self, now_ms: i64, tp: &TopicPartition, election: Election, out: &mut Out) -> Result<BrokerId, CommandError> {
        let cur = self
            .partitions
            .get(tp)
            .cloned()
            .ok_or_else(|| CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "partition", format!("{tp} does not exist")))?;
        match election {
            Election::Preferred => {
                let preferred = cur.replicas[0];
                if cur.leader == preferred {
                    return Err(CommandError::new(
                        KafkaError::ELECTION_NOT_NEEDED,
                        "partition",
                        format!("leader of {tp} is already the preferred replica {preferred}"),
                    ));
                }
                if !(cur.isr.contains(&preferred) && self.is_acceptable_leader(preferred)) {
                    return Err(CommandError::new(
                        KafkaError::PREFERRED_LEADER_NOT_AVAILABLE,
                        "partition",
                        format!("preferred replica {preferred} of {tp} is not in the ISR or not alive"),
                    ));
                }
            }
            Election::Unclean | Election::Online => {
                if cur.leader != NO_LEADER && self.is_acceptable_leader(cur.leader) {
                    return Err(CommandError::new(
                        KafkaError::ELECTION_NOT_NEEDED,
                        "partition",
                        format!("{tp} already has leader {}", cur.leader),
                    ));
                }
            }
        }
        let isr = cur.isr.clone();
        let st = self.change_partition(now_ms, tp, isr, election, &[], "leader election requested", out);
        self.push_metadata(out);
        match st {
            Some(s) if s.leader != NO_LEADER => Ok(s.leader),
            _ => Err(CommandError::new(KafkaError::ELIGIBLE_LEADERS_NOT_AVAILABLE, "partition", format!("no eligible leader for {tp}"))),
        }
    }

    pub fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
        match msg {
            Msg::BrokerRegistration { broker, rack, incarnation, previous_broker_epoch } => {
                self.handle_registration(now_ms, broker, rack, incarnation, previous_broker_epoch, out)
            }
            Msg::BrokerHeartbeat { broker, broker_epoch, metadata_offset, want_fence, want_shutdown } => {
                self.handle_heartbeat(now_ms, broker, broker_epoch, metadata_offset, want_fence, want_shutdown, out)
            }
            Msg::AlterPartition { broker, broker_epoch, tp, leader_epoch, partition_epoch, new_isr, leader_recovered } => {
                let (error, state) = self.handle_alter_partition(
                    now_ms,
                    broker,
                    broker_epoch,
                    &tp,
                    leader_epoch,
                    partition_epoch,
                    new_isr,
                    leader_recovered,
                    out,
                );
                self.respond(from, Msg::AlterPartitionResponse { tp, error, state }, out);
            }
            _ => {}
        }
        self.push_metadata(out);
    }

    /// BrokerRegistration (`ClusterControlManager.registerBroker`): refused while a previous
    /// incarnation's session is valid; otherwise the broker gets a new epoch, fenced until it
    /// catches up, and an unclean restart takes it out of ISRs and ELRs.
    fn handle_registration(
        &mut self,
        now_ms: i64,
        broker: BrokerId,
        rack: Option<String>,
        incarnation: u64,
        previous_broker_epoch: i64,
        out: &mut Out,
    ) {
        let mut unclean_restart = false;
        if let Some(existing) = self.brokers.get(&broker) {
            // ClusterControlManager.registerBroker (Kafka 4.x): a new incarnation is refused while
            // the previous one's session is valid (BrokerHeartbeatManager.hasValidSession: a
            // heartbeat within broker.session.timeout.ms), "Another broker is registered with that
            // broker id", whether the old process crashed or stopped cleanly without a controlled
            // shutdown. The broker retries until the session expires and the old one is fenced. A
            // fenced broker has no session (fencing removes it: a granted controlled shutdown
            // fences the broker, so its quick restart registers at once; a controller failover
            // gives none to fenced brokers, KAFKA-19130).
            let session_valid = !existing.fenced && now_ms - existing.last_contact_ms <= self.config.broker_session_timeout_ms;
            let clean = previous_broker_epoch == existing.broker_epoch;
            if existing.incarnation != incarnation && session_valid {
                let left = existing.last_contact_ms + self.config.broker_session_timeout_ms - now_ms;
                out.log(Category::Controller, format!(
                    "rejects registration of broker {broker}: DUPLICATE_BROKER_REGISTRATION (Another broker is registered with that broker id: the previous incarnation's session ends in {left} ms)"
                ));
                self.respond(
                    NodeId::Broker(broker),
                    Msg::BrokerRegistrationResponse { error: KafkaError::DUPLICATE_BROKER_REGISTRATION, broker_epoch: -1 },
                    out,
                );
                return;
            }
            unclean_restart = existing.incarnation != incarnation && !clean;
        }
        let offset = self.log.len() as i64;
        let epoch = offset; // Kafka uses the registration record's offset as the broker epoch.
        self.append(MetadataRecord::RegisterBroker { broker, broker_epoch: epoch, rack: rack.clone(), fenced: true, incarnation });
        self.brokers.insert(
            broker,
            BrokerRegistration {
                broker,
                broker_epoch: epoch,
                rack,
                incarnation,
                fenced: true,
                in_controlled_shutdown: false,
                last_contact_ms: now_ms,
                registration_offset: offset,
                metadata_offset: -1,
                controlled_shutdown_offset: None,
            },
        );
        out.log(
            Category::Controller,
            format!("registers broker {broker} with broker epoch {epoch} (fenced until it catches up with metadata)"),
        );
        if unclean_restart && self.elr_enabled {
            self.handle_broker_unclean_shutdown(now_ms, broker, out);
        }
        self.respond(NodeId::Broker(broker), Msg::BrokerRegistrationResponse { error: KafkaError::NONE, broker_epoch: epoch }, out);
    }

    /// `handleBrokerUncleanShutdown`: a broker that restarted after an unclean shutdown may have
    /// lost data, so it leaves every ISR and ELR it was in.
    fn handle_broker_unclean_shutdown(&mut self, now_ms: i64, broker: BrokerId, out: &mut Out) {
        let tps: Vec<TopicPartition> =
            self.partitions.iter().filter(|(_, p)| p.isr.contains(&broker) || p.elr.contains(&broker)).map(|(tp, _)| *tp).collect();
        for tp in tps {
            let isr: Vec<BrokerId> = self.partitions[&tp].isr.iter().copied().filter(|&b| b != broker).collect();
            self.change_partition(
                now_ms,
                &tp,
                isr,
                Election::Online,
                &[broker],
                &format!("broker {broker} restarted after an unclean shutdown"),
                out,
            );
        }
    }

    /// BrokerHeartbeat (`ReplicationControlManager.processBrokerHeartbeat`): the broker's
    /// session and metadata offset are noted, a shutdown it asks for moves on a step, a fenced
    /// broker that caught up is unfenced, and the answer carries the metadata it lacks.
    #[allow(clippy::too_many_arguments)]
    fn handle_heartbeat(
        &mut self,
        now_ms: i64,
        broker: BrokerId,
        broker_epoch: i64,
        metadata_offset: i64,
        want_fence: bool,
        want_shutdown: bool,
        out: &mut Out,
    ) {
        let refused = match self.brokers.get(&broker) {
            None => Some(KafkaError::BROKER_NOT_AVAILABLE),
            Some(reg) if reg.broker_epoch != broker_epoch => Some(KafkaError::STALE_BROKER_EPOCH),
            Some(_) => None,
        };
        if let Some(error) = refused {
            let msg = Msg::BrokerHeartbeatResponse { error, is_fenced: true, should_shut_down: false, records: Rc::new(vec![]) };
            self.respond(NodeId::Broker(broker), msg, out);
            return;
        }
        let reg = self.brokers.get_mut(&broker).unwrap();
        reg.last_contact_ms = now_ms;
        reg.metadata_offset = metadata_offset;
        let grant = want_shutdown && self.controlled_shutdown_step(now_ms, broker, out);
        if grant {
            self.fence_for_shutdown(now_ms, broker, out);
        }
        self.maybe_unfence(now_ms, broker, metadata_offset, want_fence || want_shutdown, out);
        let reg = &self.brokers[&broker];
        let should_shut_down = grant;
        let is_fenced = reg.fenced;
        let records = self.records_from(metadata_offset + 1);
        self.respond(
            NodeId::Broker(broker),
            Msg::BrokerHeartbeatResponse { error: KafkaError::NONE, is_fenced, should_shut_down, records },
            out,
        );
    }

    /// `BrokerHeartbeatManager.calculateNextBrokerState` for a broker that wants to shut down;
    /// true when the shutdown is granted now (SHUTDOWN_NOW):
    /// - leading partitions while unfenced → CONTROLLED_SHUTDOWN: the leaderships move and it
    ///   leaves every ISR (handleBrokerInControlledShutdown); controlledShutdownOffset is the end
    ///   of that batch; the answer does not grant the shutdown yet;
    /// - in CONTROLLED_SHUTDOWN, leading nothing, and controlledShutdownOffset <= the lowest
    ///   metadata offset of the active brokers (unfenced, not shutting down) → SHUTDOWN_NOW;
    /// - leading nothing from the start, or fenced → SHUTDOWN_NOW at once.
    ///
    /// SHUTDOWN_NOW fences the broker ([`Controller::fence_for_shutdown`]) and answers
    /// shouldShutDown, so no session-timeout fencing follows.
    fn controlled_shutdown_step(&mut self, now_ms: i64, broker: BrokerId, out: &mut Out) -> bool {
        let leads = self.partitions.values().any(|p| p.leader == broker);
        let reg = &self.brokers[&broker];
        if reg.fenced || (!reg.in_controlled_shutdown && !leads) {
            true
        } else if !reg.in_controlled_shutdown {
            self.brokers.get_mut(&broker).unwrap().in_controlled_shutdown = true;
            self.append(MetadataRecord::BrokerFenced { broker, fenced: false, in_controlled_shutdown: true });
            out.log(
                Category::Controller,
                format!("broker {broker} enters controlled shutdown: moving its leaderships and removing it from ISRs"),
            );
            self.remove_from_all_isrs(now_ms, broker, &format!("broker {broker} in controlled shutdown"), out);
            let end = self.log.len() as i64 - 1;
            self.brokers.get_mut(&broker).unwrap().controlled_shutdown_offset = Some(end);
            false
        } else if !leads {
            let offset = reg.controlled_shutdown_offset.unwrap_or(-1);
            let lowest = self
                .brokers
                .values()
                .filter(|r| !r.fenced && !r.in_controlled_shutdown)
                .map(|r| r.metadata_offset)
                .min()
                .unwrap_or(i64::MAX);
            if offset > lowest {
                out.log(
                    Category::Controller,
                    format!("broker {broker} waits in controlled shutdown: the active brokers have replayed metadata up to offset {lowest}, not yet {offset}"),
                );
            }
            offset <= lowest
        } else {
            false
        }
    }

    /// SHUTDOWN_NOW (`handleBrokerFenced`, a BrokerRegistrationChangeRecord fenced): the broker is
    /// fenced (unless it already is) and leaves every ISR.
    fn fence_for_shutdown(&mut self, now_ms: i64, broker: BrokerId, out: &mut Out) {
        let reg = self.brokers.get_mut(&broker).unwrap();
        reg.controlled_shutdown_offset = None;
        if !reg.fenced {
            reg.fenced = true;
            let in_cs = reg.in_controlled_shutdown;
            self.append(MetadataRecord::BrokerFenced { broker, fenced: true, in_controlled_shutdown: in_cs });
            out.log(
                Category::Controller,
                format!("grants broker {broker} its controlled shutdown and fences it (every active broker has the leadership moves)"),
            );
            self.remove_from_all_isrs(now_ms, broker, &format!("broker {broker} fenced at its controlled shutdown"), out);
        }
    }

    /// A fenced broker that asks to stay unfenced (`want_fence` and `want_shutdown` unset) and has
    /// replayed the metadata up to its registration is unfenced (`handleBrokerUnfenced`), and
    /// leaderless partitions elect leaders.
    fn maybe_unfence(&mut self, now_ms: i64, broker: BrokerId, metadata_offset: i64, stays_fenced: bool, out: &mut Out) {
        let reg = &self.brokers[&broker];
        if reg.fenced && !stays_fenced && metadata_offset >= reg.registration_offset {
            self.brokers.get_mut(&broker).unwrap().fenced = false;
            self.append(MetadataRecord::BrokerFenced { broker, fenced: false, in_controlled_shutdown: false });
            out.log(Category::Controller, format!("unfences broker {broker} (caught up with metadata at offset {metadata_offset})"));
            // handleBrokerUnfenced: elect leaders for leaderless partitions.
            let leaderless: Vec<TopicPartition> =
                self.partitions.iter().filter(|(_, p)| p.leader == NO_LEADER).map(|(tp, _)| *tp).collect();
            for tp in leaderless {
                let isr = self.partitions[&tp].isr.clone();
                self.change_partition(now_ms, &tp, isr, Election::Online, &[], &format!("broker {broker} unfenced"), out);
            }
        }
    }

    /// `ReplicationControlManager.unregisterBroker` (`kafka-cluster.sh unregister --id`):
    /// `handleBrokerUnregistered` takes the broker out of every ISR and ELR (moving leadership if it
    /// led), then an `UnregisterBrokerRecord`. Kafka 4.x does not refuse a broker that still hosts
    /// replicas: they stay in the replica lists, offline (under-replicated) until a reassignment
    /// moves them. A broker that is still running finds its registration gone at its next heartbeat
    /// and registers again.
    pub fn unregister_broker(&mut self, now_ms: i64, broker: BrokerId, out: &mut Out) -> Result<(), CommandError> {
        if !self.brokers.contains_key(&broker) {
            return Err(CommandError::new(
                KafkaError::BROKER_ID_NOT_REGISTERED,
                "broker",
                format!("Broker ID {broker} is not currently registered"),
            ));
        }
        let reason = format!("broker {broker} unregistered");
        let tps: Vec<TopicPartition> = self
            .partitions
            .iter()
            .filter(|(_, p)| p.isr.contains(&broker) || p.elr.contains(&broker) || p.leader == broker)
            .map(|(tp, _)| *tp)
            .collect();
        // Not acceptable as a leader from here on.
        self.brokers.get_mut(&broker).unwrap().fenced = true;
        for tp in tps {
            let isr: Vec<BrokerId> = self.partitions[&tp].isr.iter().copied().filter(|&b| b != broker).collect();
            let before = self.partitions[&tp].clone();
            if self.change_partition(now_ms, &tp, isr, Election::Online, &[broker], &reason, out).is_none() && before.elr.contains(&broker)
            {
                // Only its ELR place was left: ClearElr for this broker.
                let mut st = before;
                st.elr.retain(|&b| b != broker);
                st.partition_epoch += 1;
                self.partitions.insert(tp, st.clone());
                self.append(MetadataRecord::Partition(st));
            }
        }
        self.append(MetadataRecord::UnregisterBroker { broker });
        self.brokers.remove(&broker);
        let hosted: Vec<String> = self.partitions.values().filter(|p| p.replicas.contains(&broker)).map(|p| p.tp.to_string()).collect();
        out.log(
            Category::Controller,
            if hosted.is_empty() {
                format!("unregisters broker {broker} (UnregisterBrokerRecord): it hosted no replica")
            } else {
                format!(
                    "unregisters broker {broker} (UnregisterBrokerRecord) although it still hosts replicas of {}: they stay in the replica lists, offline, until a reassignment moves them",
                    hosted.join(", ")
                )
            },
        );
        self.push_metadata(out);
        Ok(())
    }

    fn remove_from_all_isrs(&mut self, now_ms: i64, broker: BrokerId, reason: &str, out: &mut Out) {
        let tps: Vec<TopicPartition> =
            self.partitions.iter().filter(|(_, p)| p.isr.contains(&broker) || p.leader == broker).map(|(tp, _)| *tp).collect();
        for tp in tps {
            let isr: Vec<BrokerId> = self.partitions[&tp].isr.iter().copied().filter(|&b| b != broker).collect();
            self.change_partition(now_ms, &tp, isr, Election::Online, &[], reason, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_alter_partition(
        &mut self,
        now_ms: i64,
        broker: BrokerId,
        broker_epoch: i64,
        tp: &TopicPartition,
        leader_epoch: i32,
        partition_epoch: i32,
        new_isr: Vec<BrokerId>,
        leader_recovered: bool,
        out: &mut Out,
    ) -> (KafkaError, Option<PartitionState>) {
        // Validation order of ReplicationControlManager.alterPartition / validateAlterPartitionData.
        match self.brokers.get(&broker) {
            Some(r) if r.broker_epoch == broker_epoch => {}
            _ => return (KafkaError::STALE_BROKER_EPOCH, None),
        }
        let Some(cur) = self.partitions.get(tp).cloned() else {
            return (KafkaError::UNKNOWN_TOPIC_OR_PARTITION, None);
        };
        if leader_epoch < cur.leader_epoch {
            return (KafkaError::FENCED_LEADER_EPOCH, Some(cur));
        }
        if broker != cur.leader {
            return (KafkaError::INVALID_REQUEST, Some(cur));
        }
        if partition_epoch < cur.partition_epoch {
            return (KafkaError::INVALID_UPDATE_VERSION, Some(cur));
        }
        if !new_isr.contains(&broker)
            || new_isr.iter().any(|b| !cur.replicas.contains(b))
            || (cur.leader_recovering && !leader_recovered && new_isr.len() > 1)
        {
            return (KafkaError::INVALID_REQUEST, Some(cur));
        }
        for b in &new_isr {
            if !cur.isr.contains(b) {
                let eligible = self.brokers.get(b).map(|r| !r.fenced && !r.in_controlled_shutdown).unwrap_or(false);
                if !eligible {
                    out.log(Category::Isr, format!("rejects AlterPartition of {tp} from broker {broker}: INELIGIBLE_REPLICA (broker {b} is fenced or shutting down)"));
                    return (KafkaError::INELIGIBLE_REPLICA, Some(cur));
                }
            }
        }
        let recovered = leader_recovered && cur.leader_recovering;
        if recovered {
            // LeaderRecoveryState RECOVERING → RECOVERED arrives with the leader's AlterPartition
            // and is written in the same PartitionChangeRecord as its ISR change
            // (PartitionChangeBuilder.setTargetLeaderRecoveryState).
            out.log(
                Category::Election,
                format!("{tp}: leader {broker} reports RECOVERED with its AlterPartition (LeaderRecoveryState RECOVERING → RECOVERED)"),
            );
            self.partitions.get_mut(tp).unwrap().leader_recovering = false;
        }
        let changed =
            self.change_partition(now_ms, tp, new_isr, Election::Online, &[], &format!("AlterPartition from leader {broker}"), out);
        if recovered && changed.is_none() {
            // No ISR change came with it: the recovery state alone is the change.
            let mut st = self.partitions[tp].clone();
            st.partition_epoch += 1;
            self.partitions.insert(*tp, st.clone());
            self.append(MetadataRecord::Partition(st));
        }
        let st = changed.unwrap_or_else(|| self.partitions[tp].clone());
        if st.leader != broker {
            // The ISR change completed a reassignment that removed the leader (or moved leadership):
            // committed, but the sender is told NEW_LEADER_ELECTED and learns the rest from metadata.
            return (KafkaError::NEW_LEADER_ELECTED, None);
        }
        (KafkaError::NONE, Some(st))
    }

    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        // maybeFenceStaleBrokers
        let stale: Vec<BrokerId> = self
            .brokers
            .values()
            .filter(|r| !r.fenced && now_ms - r.last_contact_ms > self.config.broker_session_timeout_ms)
            .map(|r| r.broker)
            .collect();
        for b in stale {
            let since = now_ms - self.brokers[&b].last_contact_ms;
            self.brokers.get_mut(&b).unwrap().fenced = true;
            self.append(MetadataRecord::BrokerFenced {
                broker: b,
                fenced: true,
                in_controlled_shutdown: self.brokers[&b].in_controlled_shutdown,
            });
            out.log(
                Category::Controller,
                format!(
                    "fences broker {b}: no heartbeat for {since} ms (broker.session.timeout.ms={})",
                    self.config.broker_session_timeout_ms
                ),
            );
            self.remove_from_all_isrs(now_ms, b, &format!("broker {b} fenced"), out);
        }
        // The periodic task "electUnclean" (QuorumController.registerElectUnclean →
        // ReplicationControlManager.maybeElectUncleanLeaders, Kafka 4.0+, KAFKA-17793): every
        // unclean.leader.election.interval.ms it elects leaders for the leaderless partitions whose
        // topic allows unclean election. Turning the config on does not trigger it; elections caused
        // by a fenced or unfenced broker already elect uncleanly at once (generateLeaderAndIsrUpdates).
        if now_ms >= self.next_unclean_check_ms {
            self.next_unclean_check_ms = now_ms.saturating_add(self.config.unclean_leader_election_interval_ms);
            let leaderless: Vec<TopicPartition> =
                self.partitions.iter().filter(|(_, p)| p.leader == NO_LEADER).map(|(tp, _)| *tp).collect();
            for tp in leaderless {
                if self.topic_config(&tp.topic).unclean_leader_election_enable(&self.config) {
                    let isr = self.partitions[&tp].isr.clone();
                    self.change_partition(
                        now_ms,
                        &tp,
                        isr,
                        Election::Unclean,
                        &[],
                        "periodic unclean election task, unclean.leader.election.enable=true",
                        out,
                    );
                }
            }
        }
        // The periodic task "electPreferred" (QuorumController.registerElectPreferred, Kafka 4.0+):
        // every leader.imbalance.check.interval.seconds from activation, whether or not a partition
        // is imbalanced (in 3.x it was scheduled one interval after a partition became imbalanced).
        // KRaft never read leader.imbalance.per.broker.percentage (removed in 4.0, KAFKA-18743).
        if self.config.auto_leader_rebalance_enable && now_ms >= self.next_rebalance_check_ms {
            self.next_rebalance_check_ms = now_ms + self.config.leader_imbalance_check_interval_seconds.saturating_mul(1000);
            let imbalanced: Vec<TopicPartition> = self
                .partitions
                .iter()
                .filter(|(_, p)| p.leader != p.replicas[0] && p.isr.contains(&p.replicas[0]) && self.is_acceptable_leader(p.replicas[0]))
                .map(|(tp, _)| *tp)
                .collect();
            for tp in imbalanced {
                let isr = self.partitions[&tp].isr.clone();
                self.change_partition(now_ms, &tp, isr, Election::Preferred, &[], "auto leader rebalance", out);
            }
        }
        self.push_metadata(out);
        out.wake_at(self.next_wake(now_ms));
    }

    /// The next time the controller has something to check.
    pub fn next_wake(&self, now_ms: i64) -> i64 {
        let mut next = now_ms + 1000;
        for r in self.brokers.values().filter(|r| !r.fenced) {
            next = next.min(r.last_contact_ms + self.config.broker_session_timeout_ms + 1);
        }
        if self.config.auto_leader_rebalance_enable {
            next = next.min(self.next_rebalance_check_ms);
        }
        next = next.min(self.next_unclean_check_ms);
        next.max(now_ms + 1)
    }

    /// `kafka-topics.sh --describe` lines for a topic.
    pub fn describe(&self, topic: Option<&str>) -> String {
        let mut s = String::new();
        for (name, cfg) in &self.topics {
            if topic.is_some_and(|t| t != name) {
                continue;
            }
            let parts: Vec<&PartitionState> = self.partitions.values().filter(|p| &p.tp.topic == name).collect();
            // TopicCommand.getReplicationFactor: during a reassignment, replicas − adding replicas.
            let rf = parts.first().map(|p| p.replicas.len() - p.adding_replicas.len()).unwrap_or(0);
            let configs: Vec<String> = cfg.overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
            // TopicCommand.TopicDescription.printDescription (Kafka 4.x).
            s.push_str(&format!(
                "Topic: {name}\tTopicId: {}\tPartitionCount: {}\tReplicationFactor: {rf}\tConfigs: {}\n",
                self.topic_id(name),
                parts.len(),
                configs.join(",")
            ));
            for p in parts {
                let leader = if p.leader == NO_LEADER { "none".to_string() } else { p.leader.to_string() };
                s.push_str(&format!(
                    "\tTopic: {name}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}",
                    p.tp.partition,
                    join(&p.replicas),
                    join(&p.isr)
                ));
                if p.is_reassigning() {
                    // Printed while the partition is being reassigned (listPartitionReassignments has it).
                    s.push_str(&format!(
                        "\tAdding Replicas: {}\tRemoving Replicas: {}",
                        join(&p.adding_replicas),
                        join(&p.removing_replicas)
                    ));
                }
                // PartitionDescription.printDescription: a KRaft broker always answers
                // DescribeTopicPartitions with ELR lists, empty while ELR is off, so the fields are
                // always printed (N/A only from the legacy Metadata API).
                s.push_str(&format!("\tElr: {}\tLastKnownElr: {}", join(&p.elr), join(&p.last_known_elr)));
                s.push('\n');
            }
        }
        s
    }
}

impl Controller {
    /// The topic's id as Kafka prints it (a `Uuid`: 16 bytes in URL-safe base64 without padding,
    /// 22 characters). Kafka draws it at random when the topic is created; here it is derived
    /// from the name and the offset of its TopicRecord, so a run and its replay agree.
    pub fn topic_id(&self, name: &str) -> String {
        let offset = self.log.iter().position(|r| matches!(r, MetadataRecord::Topic { name: n, .. } if n == name)).unwrap_or(0);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ offset as u64;
        let mut bytes = [0u8; 16];
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            for b in name.bytes().chain([i as u8]) {
                h ^= b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h ^= h >> 29;
            chunk.copy_from_slice(&h.to_be_bytes());
        }
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::with_capacity(22);
        let mut acc: u32 = 0;
        let mut bits = 0;
        for b in bytes {
            acc = (acc << 8) | b as u32;
            bits += 8;
            while bits >= 6 {
                bits -= 6;
                out.push(A[((acc >> bits) & 63) as usize] as char);
            }
        }
        if bits > 0 {
            out.push(A[((acc << (6 - bits)) & 63) as usize] as char);
        }
        out
    }
}

pub fn join(v: &[BrokerId]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for (i, b) in v.iter().enumerate() {
        let _ = write!(s, "{}{b}", if i == 0 { "" } else { "," });
    }
    s
}
