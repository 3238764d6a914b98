//! The broker's copy of the metadata log (`KRaftMetadataCache`) and what replaying it does:
//! `ReplicaManager.applyDelta` makes this broker leader or follower of each partition it hosts
//! (a new leader starts its leader epoch; a follower truncates and starts fetching).

use super::fetcher::{Fetcher, FetcherPartition};
use super::group_coordinator::OFFSETS_TOPIC;
use super::partition::Partition;
use super::{replica_state, Broker, BrokerStatus};
use crate::config::TopicConfig;
use crate::controller::join;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition, NO_LEADER};
use crate::log::PartitionLog;
use crate::protocol::{MetadataRecord, Msg, PartitionLeader, PartitionState};
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageBroker {
    pub broker_epoch: i64,
    pub rack: Option<String>,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
}

/// The broker's replayed copy of the metadata log (`KRaftMetadataCache`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MetadataImage {
    pub offset: i64,
    pub brokers: VecMap<BrokerId, ImageBroker>,
    pub topics: BTreeMap<String, TopicConfig>,
    pub partitions: BTreeMap<TopicPartition, PartitionState>,
    /// (controller id, quorum epoch) of the last `LeaderChange` record replayed (none
    /// before the first controller election after start-up).
    pub controller: Option<(i32, i32)>,
}

/// `isReplicaIsrEligible` in KRaft: the broker is unfenced, not in controlled
/// shutdown, and the broker epoch it fetched with matches its registration.
pub(super) fn is_isr_eligible(
    metadata: &MetadataImage,
    remote: Option<&crate::vecmap::VecMap<BrokerId, replica_state::ReplicaState>>,
    b: BrokerId,
) -> bool {
    let Some(ib) = metadata.brokers.get(&b) else { return false };
    let stored = remote.and_then(|r| r.get(&b)).and_then(|s| s.broker_epoch);
    !ib.fenced && !ib.in_controlled_shutdown && (stored == Some(-1) || stored == Some(ib.broker_epoch))
}

pub(super) fn leader_name(b: BrokerId) -> String {
    if b == NO_LEADER {
        "none".into()
    } else {
        b.to_string()
    }
}

impl Broker {
    /// A client's Metadata request, answered from this broker's metadata image.
    pub(super) fn on_metadata_request(&self, from: NodeId, correlation_id: u64, out: &mut Out) {
        let partitions = self
            .metadata
            .partitions
            .values()
            .map(|p| PartitionLeader { tp: p.tp, leader: p.leader, leader_epoch: p.leader_epoch })
            .collect();
        out.send(from, Msg::MetadataResponse { correlation_id, partitions });
    }

    pub(super) fn apply_metadata(&mut self, now_ms: i64, records: &[(i64, MetadataRecord)], out: &mut Out) {
        let mut changed: Vec<TopicPartition> = vec![];
        // Shared with time-travel snapshots until it changes (copied when a new record comes).
        let fresh = records.iter().any(|(offset, _)| *offset > self.metadata.offset);
        let image = if fresh { std::rc::Rc::make_mut(&mut self.metadata) } else { &mut MetadataImage::default() };
        for (offset, rec) in records.iter().filter(|_| fresh) {
            if *offset <= image.offset {
                continue;
            }
            if *offset != image.offset + 1 {
                break; // a gap (lost update): the next heartbeat response fills it
            }
            image.offset = *offset;
            match rec {
                MetadataRecord::RegisterBroker { broker, broker_epoch, rack, fenced, .. } => {
                    image.brokers.insert(
                        *broker,
                        ImageBroker { broker_epoch: *broker_epoch, rack: rack.clone(), fenced: *fenced, in_controlled_shutdown: false },
                    );
                }
                MetadataRecord::BrokerFenced { broker, fenced, in_controlled_shutdown } => {
                    let b = image.brokers.entry(*broker).or_default();
                    b.fenced = *fenced;
                    b.in_controlled_shutdown = *in_controlled_shutdown;
                }
                MetadataRecord::Topic { name, config } => {
                    let mut tc = TopicConfig::default();
                    for (k, v) in config {
                        tc.overrides.insert(k.clone(), v.clone());
                    }
                    image.topics.insert(name.clone(), tc);
                }
                MetadataRecord::Partition(st) => {
                    image.partitions.insert(st.tp, st.clone());
                    if !changed.contains(&st.tp) {
                        changed.push(st.tp);
                    }
                }
                MetadataRecord::UnregisterBroker { broker } => {
                    image.brokers.remove(broker);
                }
                MetadataRecord::LeaderChange { epoch, leader, .. } => {
                    image.controller = Some((*leader, *epoch));
                }
            }
        }
        // BrokerLifecycleManager: once a fenced broker has replayed its own registration
        // (its broker epoch is that record's offset), it heartbeats at once to be unfenced.
        if self.status == BrokerStatus::Fenced
            && self.broker_epoch >= 0
            && self.metadata.offset >= self.broker_epoch
            && !self.caught_up_heartbeat_sent
        {
            self.caught_up_heartbeat_sent = true;
            self.next_heartbeat_ms = self.next_heartbeat_ms.min(now_ms);
        }
        for tp in changed {
            let st = self.metadata.partitions[&tp].clone();
            if st.replicas.contains(&self.id) {
                self.apply_partition_state(now_ms, st, out);
            } else if self.partitions.contains_key(&tp) || self.disk.logs.contains_key(&tp) {
                self.stop_and_delete_replica(now_ms, &st, out);
            }
        }
        self.refresh_log_configs();
    }

    /// `ReplicaManager.applyDelta` for one partition this broker hosts: become its leader or a
    /// follower as the metadata says (a stale state, older in both epochs, is ignored).
    pub(super) fn apply_partition_state(&mut self, now_ms: i64, st: PartitionState, out: &mut Out) {
        let tp = st.tp;
        self.touched.mark(tp);
        self.disk.logs.entry(tp).or_insert_with(|| PartitionLog::new(tp, now_ms));
        let part = self.partitions.entry(tp).or_insert_with(|| Partition::new(tp, self.id));
        if st.partition_epoch < part.partition_epoch && st.leader_epoch <= part.leader_epoch {
            return; // stale
        }
        if st.leader == self.id {
            self.become_leader(now_ms, tp, &st, out);
        } else {
            self.become_follower(now_ms, tp, &st, out);
        }
    }

    /// `ReplicaManager.applyDelta` for a partition whose replica list no longer holds this broker
    /// (a reassignment removed it; `localChanges.deletes`): `stopPartitions(deleteLocalLog = true)`
    /// stops fetching it, answers the requests waiting on it and deletes its log. Kafka renames the
    /// directory to `*-delete` and removes it `file.delete.delay.ms` later; here it goes at once. A
    /// broker that was down when it was removed finds the same on restart (stray replica).
    fn stop_and_delete_replica(&mut self, now_ms: i64, st: &PartitionState, out: &mut Out) {
        let tp = st.tp;
        self.touched.mark(tp);
        for f in self.fetchers.values_mut() {
            f.partitions.remove(&tp);
        }
        self.fail_delayed_produce(&tp, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
        if tp.topic == OFFSETS_TOPIC {
            self.groups.unload(tp.partition, out);
        }
        self.partitions.remove(&tp);
        let leo = self.disk.logs.remove(&tp).map_or(0, |log| log.log_end_offset());
        self.complete_delayed_fetch_for(now_ms, &tp, out);
        out.log(
            Category::Reassign,
            format!("stops replica {tp} and deletes its log (LEO {leo}): no longer in its replicas [{}]", join(&st.replicas)),
        );
    }

    /// `ReplicaManager.applyLocalLeadersDelta`: `Partition.makeLeader` (a new leader epoch starts
    /// at the log end), no more fetching for the partition, the high watermark and the held
    /// produces re-checked, and the group coordinator loads an `__consumer_offsets` partition.
    fn become_leader(&mut self, now_ms: i64, tp: TopicPartition, st: &PartitionState, out: &mut Out) {
        self.touched.mark(tp);
        let part = self.partitions.get_mut(&tp).unwrap();
        let log = self.disk.logs.get_mut(&tp).unwrap();
        let new_epoch =
            part.make_leader(log, st.replicas.clone(), st.isr.clone(), st.leader_epoch, st.partition_epoch, st.leader_recovering, now_ms);
        if new_epoch {
            out.log(
                Category::Election,
                format!(
                    "becomes leader of {tp} in epoch {} at offset {} (HW {}, ISR [{}])",
                    st.leader_epoch,
                    log.log_end_offset(),
                    log.high_watermark(),
                    join(&st.isr)
                ),
            );
        }
        // After an unclean election (LeaderRecoveryState RECOVERING) Partition.makeLeader marks
        // the partition RECOVERED locally at once ("Marking the topic partition as RECOVERED")
        // and sends no request for it: the controller learns it from the leader's next
        // AlterPartition (in practice the first ISR expansion), which always says RECOVERED.
        if let Some(ls) = part.leader_state.as_mut() {
            if st.leader_recovering && new_epoch {
                out.log(
                    Category::Election,
                    format!("{tp} was marked RECOVERING (unclean election): broker {} marks it RECOVERED locally; its next AlterPartition reports it", self.id),
                );
            }
            ls.recovering = st.leader_recovering;
        }
        for f in self.fetchers.values_mut() {
            f.partitions.remove(&tp);
        }
        self.maybe_increment_hw(now_ms, &tp, out);
        // Delayed fetches and produces for this partition re-check.
        self.complete_delayed_produce(now_ms, &tp, out);
        if tp.topic == OFFSETS_TOPIC {
            let records = self.disk.logs[&tp].records();
            self.groups.load(now_ms, tp.partition, records, out);
        }
    }

    /// `ReplicaManager.applyLocalFollowersDelta`: `Partition.makeFollower`; if anything changed,
    /// held produces fail, the group coordinator unloads an `__consumer_offsets` partition, and
    /// (when there is a leader) the partition is fetched from it.
    fn become_follower(&mut self, now_ms: i64, tp: TopicPartition, st: &PartitionState, out: &mut Out) {
        self.touched.mark(tp);
        let part = self.partitions.get_mut(&tp).unwrap();
        let was_leader = part.is_leader();
        let changed = part.make_follower(st.replicas.clone(), st.leader, st.leader_epoch, st.partition_epoch);
        if !changed {
            return;
        }
        if was_leader {
            out.log(
                Category::Election,
                format!("is no longer leader of {tp} (new leader {} in epoch {})", leader_name(st.leader), st.leader_epoch),
            );
        }
        // Pending acks=all writes cannot complete here any more.
        self.fail_delayed_produce(&tp, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
        if tp.topic == OFFSETS_TOPIC {
            self.groups.unload(tp.partition, out);
        }
        self.complete_delayed_fetch_for(now_ms, &tp, out);
        for f in self.fetchers.values_mut() {
            f.partitions.remove(&tp);
        }
        if st.leader == NO_LEADER {
            return;
        }
        if self.config.legacy_hw_truncation {
            self.truncate_to_high_watermark_legacy(now_ms, &tp, out);
        }
        self.add_fetcher_for_partition(now_ms, tp, st, out);
    }

    /// LEGACY (pre-KIP-101, Kafka < 0.11): on becoming a follower, truncate to the local
    /// high watermark (`ReplicaManager.makeFollowers`, 0.10).
    fn truncate_to_high_watermark_legacy(&mut self, now_ms: i64, tp: &TopicPartition, out: &mut Out) {
        self.touched.mark(*tp);
        let log = self.disk.logs.get_mut(tp).unwrap();
        let hw = log.high_watermark();
        let leo = log.log_end_offset();
        let removed = log.truncate_to(hw, now_ms);
        if removed > 0 {
            self.stats.records_truncated += removed as u64;
            out.log(
                Category::Truncate,
                format!(
                    "truncates {tp} to its high watermark {hw} (legacy pre-KIP-101 rule): LEO {leo} → {hw}, {removed} record(s) removed"
                ),
            );
        }
    }

    /// `ReplicaFetcherManager.addFetcherForPartitions`: the partition joins the fetcher for its
    /// leader (created if there is none), which fetches at once unless a fetch is in flight.
    fn add_fetcher_for_partition(&mut self, now_ms: i64, tp: TopicPartition, st: &PartitionState, out: &mut Out) {
        out.log(Category::Fetch, format!("becomes follower of {tp}: fetching from broker {} in epoch {}", st.leader, st.leader_epoch));
        let f = self.fetchers.entry(st.leader).or_insert_with(|| Fetcher {
            leader: st.leader,
            partitions: crate::vecmap::VecMap::new(),
            in_flight: None,
            next_fetch_ms: now_ms,
            writing: None,
        });
        f.partitions.insert(tp, FetcherPartition { leader_epoch: st.leader_epoch, backoff_until_ms: now_ms, lag: None });
        if f.in_flight.is_none() {
            f.next_fetch_ms = f.next_fetch_ms.min(now_ms);
        }
    }
}
