//! The group coordinator of the classic consumer group protocol, as a broker
//! component: Kafka's `ClassicGroup` / `GroupMetadataManager` (and the older
//! `GroupCoordinator.scala`) reduced to consumer groups.
//!
//! - A broker coordinates the groups whose `__consumer_offsets` partition it leads:
//!   partition `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`
//!   (`GroupCoordinatorService.partitionFor`). On becoming leader it loads the groups
//!   and offsets from that partition's log; on losing leadership it unloads them and
//!   answers NOT_COORDINATOR.
//! - JoinGroup (with MEMBER_ID_REQUIRED, KIP-394), the initial rebalance delay
//!   (`group.initial.rebalance.delay.ms`), the rebalance timeout, SyncGroup, Heartbeat
//!   (`session.timeout.ms`; members awaiting join or sync satisfy it, as
//!   `ClassicGroupMember.hasSatisfiedHeartbeat`), LeaveGroup, protocol selection by vote
//!   (`ClassicGroup.selectProtocol`).
//! - OffsetCommit appends to `__consumer_offsets` and answers once the record is
//!   committed (acks=-1, `offsets.commit.timeout.ms`); OffsetFetch reads the cache.
//!
//! Records in `__consumer_offsets` are written in a readable form instead of Kafka's
//! binary `OffsetCommitKey` / `GroupMetadataKey`: key `offset:<group>:<topic>:<partition>`
//! with value `<offset>:<leader epoch>`, and key `group:<group>` with the generation,
//! protocol, leader and members.

use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{NodeId, TopicPartition};
use crate::log::NewRecord;
use crate::protocol::{GroupSubscription, Msg};
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The internal topic holding committed offsets and group metadata.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// Java's `String.hashCode` over UTF-16 code units.
pub fn java_string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for u in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(u as i32);
    }
    h
}

/// `Utils.abs(groupId.hashCode()) % numPartitions`.
pub fn partition_for(group_id: &str, num_partitions: u32) -> u32 {
    let h = java_string_hash(group_id);
    let abs = if h == i32::MIN { 0 } else { h.abs() };
    (abs as u32) % num_partitions.max(1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

impl Member {
    /// When the coordinator last heard a heartbeat (or join/sync) from this member: its
    /// session expires `session_timeout_ms` later (`hasSatisfiedHeartbeat`).
    pub fn session_deadline_ms(&self) -> i64 {
        self.session_deadline_ms
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub member_id: String,
    pub client_id: String,
    /// The client node (HOST in the describe output).
    pub host: Option<NodeId>,
    pub session_timeout_ms: i64,
    pub rebalance_timeout_ms: i64,
    pub protocols: Vec<(String, GroupSubscription)>,
    pub assignment: Vec<TopicPartition>,
    #[serde(skip)]
    session_deadline_ms: i64,
    #[serde(skip)]
    awaiting_join: Option<(NodeId, u64)>,
    #[serde(skip)]
    awaiting_sync: Option<(NodeId, u64)>,
    /// Joined but never completed a join yet (`isNew`): may expire while awaiting join.
    #[serde(skip)]
    is_new: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub group_id: String,
    pub state: GroupState,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: VecMap<String, Member>,
    /// Committed offsets: partition → (offset, leader epoch).
    pub offsets: BTreeMap<TopicPartition, (i64, i32)>,
    /// The `__consumer_offsets` partition holding this group.
    pub partition: u32,
    #[serde(skip)]
    pending_members: BTreeSet<String>,
    /// When the join phase ends at the latest (rebalance timeout, or the initial delay).
    #[serde(skip)]
    join_deadline_ms: i64,
    /// While the initial rebalance delay runs, joins do not complete early.
    #[serde(skip)]
    initial_delay_until_ms: i64,
}

impl Group {
    fn new(group_id: &str, partition: u32) -> Group {
        Group {
            group_id: group_id.to_string(),
            state: GroupState::Empty,
            generation: 0,
            protocol: None,
            leader: None,
            members: VecMap::new(),
            offsets: BTreeMap::new(),
            partition,
            pending_members: BTreeSet::new(),
            join_deadline_ms: i64::MAX,
            initial_delay_until_ms: 0,
        }
    }

    /// `ClassicGroup.selectProtocol`: protocols every member supports; each member votes for
    /// its most preferred candidate; the most votes win (ties: the first candidate in the
    /// first member's order).
    fn select_protocol(&self) -> Option<String> {
        let mut candidates: Option<Vec<String>> = None;
        for m in self.members.values() {
            let names: Vec<String> = m.protocols.iter().map(|(n, _)| n.clone()).collect();
            candidates = Some(match candidates {
                None => names,
                Some(c) => c.into_iter().filter(|n| names.contains(n)).collect(),
            });
        }
        let candidates = candidates?;
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some((n, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(n)) {
                *votes.entry(n.as_str()).or_default() += 1;
            }
        }
        let first_order = self.members.values().next()?.protocols.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>();
        let max = votes.values().copied().max()?;
        first_order.into_iter().find(|n| votes.get(n) == Some(&max)).map(|s| s.to_string())
    }

    fn all_joined(&self) -> bool {
        self.pending_members.is_empty() && self.members.values().all(|m| m.awaiting_join.is_some())
    }
}

/// A write the coordinator asks its broker to make to `__consumer_offsets` (acks=-1).
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub partition: u32,
    pub records: Vec<NewRecord>,
    pub token: u64,
}

#[derive(Debug, Clone)]
enum PendingAppend {
    Commit { to: NodeId, correlation_id: u64, group: String, offsets: Vec<(TopicPartition, i64, i32)> },
    GroupMetadata,
}

#[derive(Debug, Clone, Default)]
pub struct CoordinatorConfig {
    pub initial_rebalance_delay_ms: i64,
    pub min_session_timeout_ms: i64,
    pub max_session_timeout_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub struct GroupCoordinator {
    pub groups: VecMap<String, Group>,
    /// `__consumer_offsets` partitions this broker leads (and has loaded).
    pub loaded: BTreeSet<u32>,
    pending: VecMap<u64, PendingAppend>,
    next_token: u64,
    member_counter: u64,
    /// Seeds member ids (broker id and incarnation) so that they are unique and deterministic.
    pub id_seed: u64,
    pub appends: Vec<AppendRequest>,
}

fn uuid_like(seed: u64, n: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in n.to_le_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    let h2 = h.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h2 >> 48) & 0x3fff | 0x8000,
        h2 & 0xffff_ffff_ffff
    )
}

/// A group RPC as it arrived: when, from whom, its correlation id, and what every handler
/// needs to find the group (`__consumer_offsets`' partition count) and to time its members.
struct Rpc<'a> {
    now_ms: i64,
    from: NodeId,
    correlation_id: u64,
    num_partitions: u32,
    cfg: &'a CoordinatorConfig,
}

impl GroupCoordinator {
    pub fn new(id_seed: u64) -> GroupCoordinator {
        GroupCoordinator { id_seed, ..Default::default() }
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    /// This broker became leader of `__consumer_offsets-partition`: load its groups from the log.
    pub fn load(&mut self, now_ms: i64, partition: u32, records: &crate::pvec::PVec<crate::log::Record>, out: &mut Out) {
        if !self.loaded.insert(partition) {
            return;
        }
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for r in records {
            let Some(key) = r.key.as_deref() else { continue };
            if let Some(rest) = key.strip_prefix("offset:") {
                let mut it = rest.rsplitn(3, ':');
                let (Some(p), Some(topic), Some(group)) = (it.next(), it.next(), it.next()) else { continue };
                let Ok(p) = p.parse::<u32>() else { continue };
                let g = groups.entry(group.to_string()).or_insert_with(|| Group::new(group, partition));
                let tp = TopicPartition::new(topic, p);
                match r.value.as_deref().and_then(|v| v.split_once(':')) {
                    Some((o, e)) => {
                        g.offsets.insert(tp, (o.parse().unwrap_or(-1), e.parse().unwrap_or(-1)));
                    }
                    None => {
                        g.offsets.remove(&tp);
                    }
                }
            } else if let Some(group) = key.strip_prefix("group:") {
                let g = groups.entry(group.to_string()).or_insert_with(|| Group::new(group, partition));
                if let Some(v) = r.value.as_deref() {
                    restore_group_metadata(g, v, now_ms);
                }
            }
        }
        let n = groups.len();
        let offsets: usize = groups.values().map(|g| g.offsets.len()).sum();
        self.groups.extend(groups);
        out.log(
            Category::Group,
            format!(
                "becomes coordinator for {OFFSETS_TOPIC}-{partition}: loaded {n} group(s) and {offsets} committed offset(s) from its log"
            ),
        );
    }

    /// Leadership of `__consumer_offsets-partition` moved away: unload its groups.
    pub fn unload(&mut self, partition: u32, out: &mut Out) {
        if !self.loaded.remove(&partition) {
            return;
        }
        let gone: Vec<String> = self.groups.iter().filter(|(_, g)| g.partition == partition).map(|(k, _)| k.clone()).collect();
        for g in &gone {
            if let Some(group) = self.groups.remove(g) {
                // Members waiting on a join or sync are told to find the new coordinator.
                for m in group.members.values() {
                    if let Some((to, c)) = m.awaiting_join {
                        out.send(to, join_error(c, KafkaError::NOT_COORDINATOR, &m.member_id));
                    }
                    if let Some((to, c)) = m.awaiting_sync {
                        out.send(to, Msg::SyncGroupResponse { correlation_id: c, error: KafkaError::NOT_COORDINATOR, assignment: vec![] });
                    }
                }
            }
        }
        let stale: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| matches!(p, PendingAppend::Commit { group, .. } if gone.contains(group)))
            .map(|(t, _)| *t)
            .collect();
        for t in stale {
            self.on_append_done(t, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
        }
        out.log(Category::Group, format!("no longer coordinator for {OFFSETS_TOPIC}-{partition}: unloaded {} group(s)", gone.len()));
    }

    fn group_for(&mut self, group_id: &str, num_partitions: u32) -> Result<&mut Group, KafkaError> {
        let p = partition_for(group_id, num_partitions);
        if !self.loaded.contains(&p) {
            return Err(KafkaError::NOT_COORDINATOR);
        }
        Ok(self.groups.entry(group_id.to_string()).or_insert_with(|| Group::new(group_id, p)))
    }

    /// Handles a group RPC (`KafkaApis` → `GroupCoordinator.handle*`). Returns true when the
    /// message was one.
    pub fn on_message(
        &mut self,
        now_ms: i64,
        from: NodeId,
        msg: &Msg,
        num_partitions: u32,
        cfg: &CoordinatorConfig,
        out: &mut Out,
    ) -> bool {
        let rpc = |correlation_id: &u64| Rpc { now_ms, from, correlation_id: *correlation_id, num_partitions, cfg };
        match msg {
            Msg::JoinGroup { correlation_id, group_id, member_id, client_id, session_timeout_ms, rebalance_timeout_ms, protocols } => {
                let timeouts = (*session_timeout_ms, *rebalance_timeout_ms);
                self.handle_join_group(&rpc(correlation_id), group_id, member_id, client_id, timeouts, protocols, out)
            }
            Msg::SyncGroup { correlation_id, group_id, generation, member_id, assignments } => {
                self.handle_sync_group(&rpc(correlation_id), group_id, *generation, member_id, assignments, out)
            }
            Msg::Heartbeat { correlation_id, group_id, generation, member_id } => {
                self.handle_heartbeat(&rpc(correlation_id), group_id, *generation, member_id, out)
            }
            Msg::LeaveGroup { correlation_id, group_id, member_id, reason } => {
                self.handle_leave_group(&rpc(correlation_id), group_id, member_id, reason, out)
            }
            Msg::OffsetCommit { correlation_id, group_id, generation, member_id, offsets } => {
                self.handle_commit_offsets(&rpc(correlation_id), group_id, *generation, member_id, offsets, out)
            }
            Msg::OffsetFetch { correlation_id, group_id, partitions } => {
                self.handle_fetch_offsets(&rpc(correlation_id), group_id, partitions, out)
            }
            _ => return false,
        }
        true
    }

    /// JoinGroup (`GroupCoordinator.handleJoinGroup`): a session timeout out of bounds, a group
    /// this broker does not coordinate and an unknown member id are refused; a member without
    /// an id gets one and is asked to join again with it (KIP-394); a known member rejoins, a
    /// new one is added, and the join phase completes once every member has joined.
    #[allow(clippy::too_many_arguments)]
    fn handle_join_group(
        &mut self,
        rq: &Rpc,
        group_id: &str,
        member_id: &str,
        client_id: &str,
        (session_timeout_ms, rebalance_timeout_ms): (i64, i64),
        protocols: &[(String, GroupSubscription)],
        out: &mut Out,
    ) {
        let (now_ms, from, c) = (rq.now_ms, rq.from, rq.correlation_id);
        if session_timeout_ms < rq.cfg.min_session_timeout_ms || session_timeout_ms > rq.cfg.max_session_timeout_ms {
            out.send(from, join_error(c, KafkaError::INVALID_SESSION_TIMEOUT, member_id));
            return;
        }
        let seed = self.id_seed;
        let counter = self.member_counter;
        let g = match self.group_for(group_id, rq.num_partitions) {
            Ok(g) => g,
            Err(e) => {
                out.send(from, join_error(c, e, member_id));
                return;
            }
        };
        if member_id.is_empty() {
            // KIP-394: hand out a member id and ask the member to join again with it.
            let id = format!("{client_id}-{}", uuid_like(seed, counter));
            g.pending_members.insert(id.clone());
            self.member_counter += 1;
            out.send(from, join_error(c, KafkaError::MEMBER_ID_REQUIRED, &id));
            return;
        }
        let known = g.members.contains_key(member_id);
        if !known && !g.pending_members.remove(member_id) {
            out.send(from, join_error(c, KafkaError::UNKNOWN_MEMBER_ID, member_id));
            return;
        }
        if known {
            if rejoin_member(g, rq, member_id, protocols, out) {
                return;
            }
        } else {
            let member = Member {
                member_id: member_id.to_string(),
                client_id: client_id.to_string(),
                host: Some(from),
                session_timeout_ms,
                rebalance_timeout_ms,
                protocols: protocols.to_vec(),
                assignment: vec![],
                session_deadline_ms: now_ms + session_timeout_ms,
                awaiting_join: Some((from, c)),
                awaiting_sync: None,
                is_new: true,
            };
            add_member(g, rq, member, out);
        }
        self.try_complete_join(now_ms, group_id, out);
    }

    /// SyncGroup (`GroupCoordinator.handleSyncGroup`): while the group completes its rebalance,
    /// members wait for the leader's assignments, which make the group Stable; a Stable
    /// group answers with the member's assignment at once.
    fn handle_sync_group(
        &mut self,
        rq: &Rpc,
        group_id: &str,
        generation: i32,
        member_id: &str,
        assignments: &[(String, Vec<TopicPartition>)],
        out: &mut Out,
    ) {
        let (from, c) = (rq.from, rq.correlation_id);
        let err = |out: &mut Out, e| out.send(from, Msg::SyncGroupResponse { correlation_id: c, error: e, assignment: vec![] });
        let g = match self.group_for(group_id, rq.num_partitions) {
            Ok(g) => g,
            Err(e) => {
                err(out, e);
                return;
            }
        };
        if !g.members.contains_key(member_id) {
            err(out, KafkaError::UNKNOWN_MEMBER_ID);
            return;
        }
        if generation != g.generation {
            err(out, KafkaError::ILLEGAL_GENERATION);
            return;
        }
        match g.state {
            GroupState::Empty => err(out, KafkaError::UNKNOWN_MEMBER_ID),
            GroupState::PreparingRebalance => err(out, KafkaError::REBALANCE_IN_PROGRESS),
            GroupState::Stable => {
                let m = &g.members[member_id];
                out.send(from, Msg::SyncGroupResponse { correlation_id: c, error: KafkaError::NONE, assignment: m.assignment.clone() });
            }
            GroupState::CompletingRebalance => {
                let m = g.members.get_mut(member_id).unwrap();
                m.awaiting_sync = Some((from, c));
                m.session_deadline_ms = rq.now_ms + m.session_timeout_ms;
                if g.leader.as_deref() == Some(member_id) {
                    complete_sync(g, assignments, out);
                    let rec = group_metadata_record(g);
                    let p = g.partition;
                    self.append(p, vec![rec], PendingAppend::GroupMetadata);
                }
            }
        }
    }

    /// Heartbeat (`GroupCoordinator.handleHeartbeat`): keeps the member's session alive and
    /// tells it whether its generation is current and whether a rebalance is under way.
    fn handle_heartbeat(&mut self, rq: &Rpc, group_id: &str, generation: i32, member_id: &str, out: &mut Out) {
        let error = match self.group_for(group_id, rq.num_partitions) {
            Err(e) => e,
            Ok(g) => match g.members.get_mut(member_id) {
                None => KafkaError::UNKNOWN_MEMBER_ID,
                Some(m) => {
                    m.session_deadline_ms = rq.now_ms + m.session_timeout_ms;
                    m.host = Some(rq.from);
                    if generation != g.generation {
                        KafkaError::ILLEGAL_GENERATION
                    } else if g.state == GroupState::PreparingRebalance {
                        KafkaError::REBALANCE_IN_PROGRESS
                    } else {
                        KafkaError::NONE
                    }
                }
            },
        };
        out.send(rq.from, Msg::HeartbeatResponse { correlation_id: rq.correlation_id, error });
    }

    /// LeaveGroup (`GroupCoordinator.handleLeaveGroup`): the member is removed, which
    /// rebalances the others (or empties the group).
    fn handle_leave_group(&mut self, rq: &Rpc, group_id: &str, member_id: &str, reason: &str, out: &mut Out) {
        let error = match self.group_for(group_id, rq.num_partitions) {
            Err(e) => e,
            Ok(g) => {
                if g.members.remove(member_id).is_some() {
                    out.log(Category::Group, format!("member {member_id} left group {group_id} ({reason})"));
                    member_removed(g, rq.now_ms, rq.cfg, out);
                    KafkaError::NONE
                } else {
                    KafkaError::UNKNOWN_MEMBER_ID
                }
            }
        };
        out.send(rq.from, Msg::LeaveGroupResponse { correlation_id: rq.correlation_id, error });
        self.try_complete_join(rq.now_ms, group_id, out);
    }

    /// OffsetCommit (`GroupCoordinator.handleCommitOffsets`): checked against the group
    /// (`ClassicGroup.validateOffsetCommit`), then appended to `__consumer_offsets`; the answer
    /// goes out once the append is committed (`on_append_done`).
    fn handle_commit_offsets(
        &mut self,
        rq: &Rpc,
        group_id: &str,
        generation: i32,
        member_id: &str,
        offsets: &[(TopicPartition, i64, i32)],
        out: &mut Out,
    ) {
        let (from, c) = (rq.from, rq.correlation_id);
        let g = match self.group_for(group_id, rq.num_partitions) {
            Ok(g) => g,
            Err(e) => {
                out.send(from, Msg::OffsetCommitResponse { correlation_id: c, error: e, offsets: offsets.to_vec() });
                return;
            }
        };
        // GroupMetadataManager / ClassicGroup.validateOffsetCommit.
        let error = if generation < 0 && g.members.is_empty() {
            KafkaError::NONE // a standalone (assign()) consumer
        } else if !g.members.contains_key(member_id) {
            KafkaError::UNKNOWN_MEMBER_ID
        } else if generation != g.generation {
            KafkaError::ILLEGAL_GENERATION
        } else if g.state == GroupState::CompletingRebalance {
            KafkaError::REBALANCE_IN_PROGRESS
        } else {
            KafkaError::NONE
        };
        if error != KafkaError::NONE {
            out.send(from, Msg::OffsetCommitResponse { correlation_id: c, error, offsets: offsets.to_vec() });
            return;
        }
        if let Some(m) = g.members.get_mut(member_id) {
            m.session_deadline_ms = rq.now_ms + m.session_timeout_ms;
        }
        let p = g.partition;
        let records = offsets
            .iter()
            .map(|(tp, o, e)| NewRecord {
                key: Some(Rc::from(format!("offset:{group_id}:{}:{}", tp.topic, tp.partition))),
                value: Some(Rc::from(format!("{o}:{e}"))),
                write_id: 0,
            })
            .collect();
        let pa = PendingAppend::Commit { to: from, correlation_id: c, group: group_id.to_string(), offsets: offsets.to_vec() };
        self.append(p, records, pa);
    }

    /// OffsetFetch (`GroupCoordinator.handleFetchOffsets`): the committed offsets from the
    /// cache (-1 for a partition without one).
    fn handle_fetch_offsets(&mut self, rq: &Rpc, group_id: &str, partitions: &[TopicPartition], out: &mut Out) {
        let (from, c) = (rq.from, rq.correlation_id);
        match self.group_for(group_id, rq.num_partitions) {
            Err(e) => out.send(from, Msg::OffsetFetchResponse { correlation_id: c, error: e, offsets: vec![] }),
            Ok(g) => {
                let offsets = partitions
                    .iter()
                    .map(|tp| (*tp, g.offsets.get(tp).map(|x| x.0).unwrap_or(-1), g.offsets.get(tp).map(|x| x.1).unwrap_or(-1)))
                    .collect();
                out.send(from, Msg::OffsetFetchResponse { correlation_id: c, error: KafkaError::NONE, offsets });
            }
        }
    }

    fn append(&mut self, partition: u32, records: Vec<NewRecord>, p: PendingAppend) {
        let token = self.token();
        self.pending.insert(token, p);
        self.appends.push(AppendRequest { partition, records, token });
    }

    /// The broker finished (or failed) an append the coordinator asked for.
    pub fn on_append_done(&mut self, token: u64, error: KafkaError, out: &mut Out) {
        let Some(p) = self.pending.remove(&token) else { return };
        if let PendingAppend::Commit { to, correlation_id, group, offsets } = p {
            // GroupMetadataManager.appendForGroup error mapping.
            let error = match error {
                KafkaError::NONE => KafkaError::NONE,
                KafkaError::UNKNOWN_TOPIC_OR_PARTITION
                | KafkaError::NOT_ENOUGH_REPLICAS
                | KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND
                | KafkaError::REQUEST_TIMED_OUT => KafkaError::COORDINATOR_NOT_AVAILABLE,
                _ => KafkaError::NOT_COORDINATOR,
            };
            if error == KafkaError::NONE {
                if let Some(g) = self.groups.get_mut(&group) {
                    for (tp, o, e) in &offsets {
                        g.offsets.insert(*tp, (*o, *e));
                    }
                }
            }
            out.send(to, Msg::OffsetCommitResponse { correlation_id, error, offsets });
        }
    }

    /// Completes the join phase when every member has joined (or the deadline passed).
    fn try_complete_join(&mut self, now_ms: i64, group_id: &str, out: &mut Out) {
        let Some(g) = self.groups.get_mut(group_id) else { return };
        if g.state != GroupState::PreparingRebalance {
            return;
        }
        let deadline_passed = now_ms >= g.join_deadline_ms;
        let delay_over = now_ms >= g.initial_delay_until_ms;
        if !(deadline_passed || (delay_over && g.all_joined())) {
            return;
        }
        // Members that did not rejoin in time are removed.
        let gone: Vec<String> = g.members.values().filter(|m| m.awaiting_join.is_none()).map(|m| m.member_id.clone()).collect();
        for id in gone {
            g.members.remove(&id);
            out.log(Category::Group, format!("member {id} of group {group_id} did not rejoin before the rebalance timeout; removed"));
        }
        g.pending_members.clear();
        g.generation += 1;
        g.join_deadline_ms = i64::MAX;
        if g.members.is_empty() {
            g.state = GroupState::Empty;
            g.protocol = None;
            g.leader = None;
            out.log(Category::Group, format!("group {group_id} is Empty in generation {}", g.generation));
            let rec = group_metadata_record(g);
            let p = g.partition;
            self.append(p, vec![rec], PendingAppend::GroupMetadata);
            return;
        }
        g.protocol = g.select_protocol();
        if g.leader.as_ref().is_none_or(|l| !g.members.contains_key(l)) {
            g.leader = g.members.keys().next().cloned();
        }
        g.state = GroupState::CompletingRebalance;
        out.log(
            Category::Group,
            format!(
                "group {group_id} completes its join phase: generation {}, protocol {}, leader {}, {} member(s)",
                g.generation,
                g.protocol.clone().unwrap_or_default(),
                g.leader.clone().unwrap_or_default(),
                g.members.len()
            ),
        );
        let ids: Vec<String> = g.members.keys().cloned().collect();
        for id in ids {
            let is_leader = g.leader.as_deref() == Some(id.as_str());
            let (to, c) = {
                let m = g.members.get_mut(&id).unwrap();
                m.is_new = false;
                m.session_deadline_ms = now_ms + m.session_timeout_ms;
                m.awaiting_join.take().unwrap()
            };
            out.send(to, join_response(g, &id, c, is_leader));
        }
    }

    /// Session and rebalance timers.
    pub fn on_tick(&mut self, now_ms: i64, cfg: &CoordinatorConfig, out: &mut Out) {
        let ids: Vec<String> = self.groups.keys().cloned().collect();
        for gid in ids {
            let g = self.groups.get_mut(&gid).unwrap();
            // hasSatisfiedHeartbeat: members awaiting join or sync (not new ones) are kept.
            let expired: Vec<String> = g
                .members
                .values()
                .filter(|m| now_ms >= m.session_deadline_ms && (m.is_new || (m.awaiting_join.is_none() && m.awaiting_sync.is_none())))
                .map(|m| m.member_id.clone())
                .collect();
            for id in &expired {
                let m = g.members.remove(id).unwrap();
                out.log(
                    Category::Group,
                    format!(
                        "member {id} in group {gid} has failed (no heartbeat for session.timeout.ms={}); removing it from the group",
                        m.session_timeout_ms
                    ),
                );
            }
            if !expired.is_empty() {
                member_removed(g, now_ms, cfg, out);
            }
            self.try_complete_join(now_ms, &gid, out);
        }
    }

    pub fn next_wake(&self) -> i64 {
        let mut t = i64::MAX;
        for g in self.groups.values() {
            for m in g.members.values() {
                t = t.min(m.session_deadline_ms);
            }
            if g.state == GroupState::PreparingRebalance {
                t = t.min(g.join_deadline_ms).min(g.initial_delay_until_ms.max(0));
            }
        }
        t
    }
}

fn join_error(correlation_id: u64, error: KafkaError, member_id: &str) -> Msg {
    Msg::JoinGroupResponse {
        correlation_id,
        error,
        generation: -1,
        protocol: String::new(),
        leader: String::new(),
        member_id: member_id.to_string(),
        members: vec![],
    }
}

fn join_response(g: &Group, member_id: &str, correlation_id: u64, is_leader: bool) -> Msg {
    let protocol = g.protocol.clone().unwrap_or_default();
    let members = if is_leader {
        g.members
            .values()
            .filter_map(|m| m.protocols.iter().find(|(n, _)| *n == protocol).map(|(_, s)| (m.member_id.clone(), s.clone())))
            .collect()
    } else {
        vec![]
    };
    Msg::JoinGroupResponse {
        correlation_id,
        error: KafkaError::NONE,
        generation: g.generation,
        protocol,
        leader: g.leader.clone().unwrap_or_default(),
        member_id: member_id.to_string(),
        members,
    }
}

/// `prepareRebalance`: the group waits for every member to (re)join.
/// A known member joins again (`ClassicGroup.updateMemberAndRebalance`). A follower of a
/// Stable group whose protocols are unchanged gets the current generation back at once: then
/// true (answered, nothing to rebalance).
fn rejoin_member(g: &mut Group, rq: &Rpc, member_id: &str, protocols: &[(String, GroupSubscription)], out: &mut Out) -> bool {
    let m = g.members.get_mut(member_id).unwrap();
    let unchanged = m.protocols == protocols;
    m.protocols = protocols.to_vec();
    m.awaiting_join = Some((rq.from, rq.correlation_id));
    m.host = Some(rq.from);
    m.session_deadline_ms = rq.now_ms + m.session_timeout_ms;
    let is_leader = g.leader.as_deref() == Some(member_id);
    if g.state == GroupState::Stable && unchanged && !is_leader {
        // A follower rejoining with unchanged metadata gets the current generation back.
        let m = g.members.get_mut(member_id).unwrap();
        m.awaiting_join = None;
        out.send(rq.from, join_response(g, member_id, rq.correlation_id, false));
        return true;
    }
    if g.state != GroupState::PreparingRebalance {
        prepare_rebalance(g, rq.now_ms, rq.cfg, &format!("member {member_id} rejoined"), out);
    }
    false
}

/// A new member joins (`ClassicGroup.addMemberAndRebalance`): during the initial delay each
/// new member extends it; otherwise the group rebalances.
fn add_member(g: &mut Group, rq: &Rpc, member: Member, out: &mut Out) {
    let member_id = member.member_id.clone();
    g.members.insert(member_id.clone(), member);
    if g.state == GroupState::PreparingRebalance && g.initial_delay_until_ms > rq.now_ms {
        // InitialDelayedJoin: each new member extends the delay, up to the rebalance timeout.
        g.initial_delay_until_ms = (rq.now_ms + rq.cfg.initial_rebalance_delay_ms).min(g.join_deadline_ms);
    }
    if g.state != GroupState::PreparingRebalance {
        prepare_rebalance(g, rq.now_ms, rq.cfg, &format!("adding new member {member_id}"), out);
    }
}

/// The leader's SyncGroup completes the rebalance (`ClassicGroup` CompletingRebalance →
/// Stable): every member gets its assignment, and those waiting are answered.
fn complete_sync(g: &mut Group, assignments: &[(String, Vec<TopicPartition>)], out: &mut Out) {
    for m in g.members.values_mut() {
        m.assignment = assignments.iter().find(|(id, _)| *id == m.member_id).map(|(_, a)| a.clone()).unwrap_or_default();
    }
    g.state = GroupState::Stable;
    for m in g.members.values_mut() {
        if let Some((to, cc)) = m.awaiting_sync.take() {
            out.send(to, Msg::SyncGroupResponse { correlation_id: cc, error: KafkaError::NONE, assignment: m.assignment.clone() });
        }
    }
    out.log(
        Category::Group,
        format!(
            "group {} is Stable in generation {} ({} member(s), protocol {})",
            g.group_id,
            g.generation,
            g.members.len(),
            g.protocol.clone().unwrap_or_default()
        ),
    );
}

fn prepare_rebalance(g: &mut Group, now_ms: i64, cfg: &CoordinatorConfig, reason: &str, out: &mut Out) {
    // Members waiting for a sync learn about the new rebalance.
    for m in g.members.values_mut() {
        if let Some((to, c)) = m.awaiting_sync.take() {
            out.send(to, Msg::SyncGroupResponse { correlation_id: c, error: KafkaError::REBALANCE_IN_PROGRESS, assignment: vec![] });
        }
    }
    let rebalance_timeout = g.members.values().map(|m| m.rebalance_timeout_ms).max().unwrap_or(0);
    if g.state == GroupState::Empty {
        // InitialDelayedJoin: wait group.initial.rebalance.delay.ms for more members.
        g.initial_delay_until_ms = now_ms + cfg.initial_rebalance_delay_ms;
    } else {
        g.initial_delay_until_ms = 0;
    }
    g.join_deadline_ms = now_ms + rebalance_timeout.max(cfg.initial_rebalance_delay_ms);
    out.log(
        Category::Group,
        format!(
            "preparing to rebalance group {} in state {} with old generation {} (reason: {reason})",
            g.group_id,
            g.state.name(),
            g.generation
        ),
    );
    g.state = GroupState::PreparingRebalance;
}

fn member_removed(g: &mut Group, now_ms: i64, cfg: &CoordinatorConfig, out: &mut Out) {
    match g.state {
        GroupState::Stable | GroupState::CompletingRebalance => prepare_rebalance(g, now_ms, cfg, "a member left or failed", out),
        GroupState::Empty => {}
        GroupState::PreparingRebalance => {}
    }
    if g.members.is_empty() && g.state == GroupState::PreparingRebalance {
        // Nothing to wait for.
        g.join_deadline_ms = now_ms;
        g.initial_delay_until_ms = 0;
    }
}

fn group_metadata_record(g: &Group) -> NewRecord {
    let members: Vec<String> = g
        .members
        .values()
        .map(|m| {
            let a: Vec<String> = m.assignment.iter().map(|tp| format!("{}/{}", tp.topic, tp.partition)).collect();
            format!("{}@{}@{}@{}@{}", m.member_id, m.client_id, m.session_timeout_ms, m.rebalance_timeout_ms, a.join(" "))
        })
        .collect();
    NewRecord {
        key: Some(Rc::from(format!("group:{}", g.group_id))),
        value: Some(Rc::from(format!(
            "generation={};state={};protocol={};leader={};members={}",
            g.generation,
            g.state.name(),
            g.protocol.clone().unwrap_or_default(),
            g.leader.clone().unwrap_or_default(),
            members.join(",")
        ))),
        write_id: 0,
    }
}

/// Loads a group's metadata record: members come back with a fresh session (Kafka
/// reschedules their heartbeat expiration on load).
fn restore_group_metadata(g: &mut Group, v: &str, now_ms: i64) {
    g.members.clear();
    for part in v.split(';') {
        let Some((k, val)) = part.split_once('=') else { continue };
        match k {
            "generation" => g.generation = val.parse().unwrap_or(0),
            "protocol" => g.protocol = (!val.is_empty()).then(|| val.to_string()),
            "leader" => g.leader = (!val.is_empty()).then(|| val.to_string()),
            "state" => g.state = if val == "Stable" { GroupState::Stable } else { GroupState::Empty },
            "members" => {
                for m in val.split(',').filter(|s| !s.is_empty()) {
                    let f: Vec<&str> = m.split('@').collect();
                    if f.len() != 5 {
                        continue;
                    }
                    let session: i64 = f[2].parse().unwrap_or(45_000);
                    let assignment = f[4]
                        .split(' ')
                        .filter_map(|s| s.rsplit_once('/').and_then(|(t, p)| p.parse().ok().map(|p| TopicPartition::new(t, p))))
                        .collect();
                    g.members.insert(
                        f[0].to_string(),
                        Member {
                            member_id: f[0].to_string(),
                            client_id: f[1].to_string(),
                            host: None,
                            session_timeout_ms: session,
                            rebalance_timeout_ms: f[3].parse().unwrap_or(300_000),
                            protocols: vec![],
                            assignment,
                            session_deadline_ms: now_ms + session,
                            awaiting_join: None,
                            awaiting_sync: None,
                            is_new: false,
                        },
                    );
                }
            }
            _ => {}
        }
    }
    if g.members.is_empty() {
        g.state = GroupState::Empty;
    }
}
