//! The consumer's group membership and offset commits, after Kafka's `ConsumerCoordinator`
//! and `AbstractCoordinator` (with its heartbeat thread):
//!
//! - FindCoordinator (`AbstractCoordinator.lookupCoordinator`), and losing the coordinator;
//! - JoinGroup (MEMBER_ID_REQUIRED first, KIP-394) and SyncGroup, the group leader running
//!   the assignor; `onJoinPrepare` (commit, eager revocation) and `onJoinComplete`
//!   (cooperative revocation, the new partitions);
//! - heartbeats, the `max.poll.interval.ms` check, LeaveGroup (on close too);
//! - OffsetCommit (auto-commit, on revocation, on close, on command) and OffsetFetch of the
//!   committed offsets new partitions start from (`refreshCommittedOffsetsIfNeeded`).
//!
//! Positions are the fetcher's (`fetcher.rs`); this file only creates them for new
//! partitions, fills them from committed offsets, and drops them when partitions go.

use super::{Consumer, MemberState, Position, PositionState, Then, REQUEST_TIMEOUT_MS, RETRY_BACKOFF_MS};
use crate::client::assignor::{assign, Assignor, Subscription};
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::lean::CollectBTree;
use crate::protocol::{GroupSubscription, Msg};
use std::collections::{BTreeMap, BTreeSet};

impl Consumer {
    /// The coordinator's part of `on_tick` (`ConsumerCoordinator.poll`): find the coordinator;
    /// once known, heartbeat and, while the application polls, (re)join and auto-commit.
    /// `false` when the coordinator is unknown and no node can be asked for it: `on_tick`
    /// stops there.
    pub(super) fn poll_coordinator(&mut self, now_ms: i64, polling: bool, out: &mut Out) -> bool {
        // Coordinator discovery.
        if self.coordinator.is_none() {
            if self.find_in_flight.is_none() && now_ms >= self.coordinator_backoff_until_ms && !self.metadata.bootstrap.is_empty() {
                // FindCoordinator goes to the least loaded node (AbstractCoordinator.lookupCoordinator).
                let Some(b) = self.metadata.least_loaded(now_ms, &|_| 0) else { return false };
                let corr = self.corr();
                out.send(NodeId::Broker(b), Msg::FindCoordinator { correlation_id: corr, group_id: self.group_id.clone() });
                self.find_in_flight = Some((corr, now_ms));
            }
        } else {
            self.heartbeat(now_ms, out);
            // ConsumerCoordinator.rejoinNeededOrPending: the leader rejoins when the metadata it
            // assigned with has changed (a topic gained partitions).
            if self.state == MemberState::Stable && !self.rejoin_needed {
                if let Some(snap) = &self.assignment_snapshot {
                    let now: BTreeMap<String, u32> =
                        snap.keys().filter_map(|t| self.metadata.partition_counts.get(t).map(|n| (t.clone(), *n))).collect();
                    if now.len() == snap.len() && &now != snap {
                        let what = |m: &BTreeMap<String, u32>| m.iter().map(|(t, n)| format!("{t}={n}")).collect::<Vec<_>>().join(",");
                        let reason =
                            format!("cached metadata has changed from {} at the beginning of the rebalance to {}", what(snap), what(&now));
                        self.request_rejoin(&reason);
                    }
                }
            }
            if polling {
                self.maybe_join(now_ms, out);
                self.maybe_auto_commit(now_ms, out);
            }
        }
        true
    }

    pub(super) fn coordinator_lost(&mut self, now_ms: i64, why: KafkaError, out: &mut Out) {
        let coord = self.coordinator.map(|c| format!("broker {c}")).unwrap_or_else(|| "no coordinator".into());
        let group = format!("group {}", self.group_id);
        self.note_error(now_ms, why, group, format!("{coord} did not serve the group; finding the coordinator again (FindCoordinator)"));
        if let Some(c) = self.coordinator.take() {
            out.log(
                Category::Group,
                format!("{}: group coordinator broker-{c} is unavailable or invalid ({why}); rediscovering", self.client_id),
            );
            if why == KafkaError::REQUEST_TIMED_OUT {
                self.metadata.mark_unreachable(c, now_ms);
            }
        }
        self.coordinator_backoff_until_ms = now_ms + RETRY_BACKOFF_MS;
        self.join_in_flight = None;
        self.heartbeat_in_flight = None;
        self.commit_in_flight = None;
        self.offset_fetch_in_flight = None;
        if matches!(self.state, MemberState::Joining | MemberState::Syncing) {
            self.state = MemberState::Unjoined;
        }
    }

    fn request_rejoin(&mut self, reason: &str) {
        if !self.rejoin_needed {
            self.rejoin_needed = true;
            self.rejoin_reason = reason.to_string();
        }
    }

    /// Forget the generation (`resetGenerationOnResponseError`); with `member` the member id too.
    /// The coordinator no longer knows this member (UNKNOWN_MEMBER_ID: it was removed, e.g. after
    /// `session.timeout.ms` without a heartbeat) or its generation (ILLEGAL_GENERATION: the group
    /// moved on): `AbstractCoordinator` resets and rejoins.
    fn member_error(&mut self, now_ms: i64, error: KafkaError, out: &mut Out) {
        let reason = if error == KafkaError::UNKNOWN_MEMBER_ID {
            format!("the coordinator no longer knows member {} (removed from the group, e.g. after session.timeout.ms={} ms without a heartbeat); rejoining as a new member", self.member_id, self.config.session_timeout_ms)
        } else {
            format!("generation {} is over (the group rebalanced without this member); rejoining", self.generation)
        };
        let g = format!("group {}", self.group_id);
        self.note_error(now_ms, error, g, reason);
        self.reset_generation(error == KafkaError::UNKNOWN_MEMBER_ID, out);
    }

    fn reset_generation(&mut self, member: bool, out: &mut Out) {
        self.generation = -1;
        if member {
            self.member_id.clear();
        }
        self.state = MemberState::Unjoined;
        self.rejoin_needed = true;
        // onPartitionsLost: the partitions may already belong to someone else; no commit.
        if !self.assignment.is_empty() {
            out.log(Category::Group, format!("{} lost its partitions [{}] (generation reset)", self.client_id, tps(&self.assignment)));
            self.assignment.clear();
            self.positions.clear();
        }
    }

    fn positions_to_commit(&self) -> Vec<(TopicPartition, i64, i32)> {
        self.positions
            .iter()
            .filter(|(tp, p)| p.state == PositionState::Fetching && self.committed.get(*tp) != Some(&p.offset))
            .map(|(tp, p)| (*tp, p.offset, p.last_fetched_epoch))
            .collect()
    }

    pub(super) fn send_commit(&mut self, now_ms: i64, out: &mut Out) -> bool {
        let Some(c) = self.coordinator else { return false };
        if self.commit_in_flight.is_some() {
            return false;
        }
        let offsets = self.positions_to_commit();
        if offsets.is_empty() {
            return false;
        }
        self.send_offset_commit(c, now_ms, offsets, out);
        true
    }

    /// OffsetCommit of `offsets` to coordinator `c` in this member's generation.
    fn send_offset_commit(&mut self, c: BrokerId, now_ms: i64, offsets: Vec<(TopicPartition, i64, i32)>, out: &mut Out) {
        let corr = self.corr();
        out.send(
            NodeId::Broker(c),
            Msg::OffsetCommit {
                correlation_id: corr,
                group_id: self.group_id.clone(),
                generation: self.generation,
                member_id: self.member_id.clone(),
                offsets: offsets.clone(),
            },
        );
        self.commit_in_flight = Some((corr, now_ms, offsets));
    }

    pub(super) fn close_step(&mut self, now_ms: i64, out: &mut Out) {
        if self.config.enable_auto_commit && self.coordinator.is_some() && self.generation >= 0 && self.send_commit(now_ms, out) {
            out.wake_at(now_ms + REQUEST_TIMEOUT_MS);
            return;
        }
        if self.commit_in_flight.is_some() {
            out.wake_at(now_ms + REQUEST_TIMEOUT_MS);
            return;
        }
        if let Some(c) = self.coordinator {
            if !self.member_id.is_empty() {
                let corr = self.corr();
                out.send(
                    NodeId::Broker(c),
                    Msg::LeaveGroup {
                        correlation_id: corr,
                        group_id: self.group_id.clone(),
                        member_id: self.member_id.clone(),
                        reason: "the consumer is being closed".into(),
                    },
                );
            }
        }
        out.log(Category::Group, format!("{} closed", self.client_id));
        self.state = MemberState::Closed;
        self.assignment.clear();
        self.positions.clear();
    }

    /// The coordinator's requests that reached `request.timeout.ms` (the first part of `expire_requests`).
    pub(super) fn expire_coordinator_requests(&mut self, now_ms: i64, out: &mut Out) {
        let t = |x: &Option<(u64, i64)>| x.is_some_and(|(_, s)| now_ms - s >= REQUEST_TIMEOUT_MS);
        if t(&self.find_in_flight) {
            self.find_in_flight = None;
        }
        if t(&self.join_in_flight) || t(&self.heartbeat_in_flight) || t(&self.offset_fetch_in_flight) {
            self.coordinator_lost(now_ms, KafkaError::REQUEST_TIMED_OUT, out);
        }
        if self.commit_in_flight.as_ref().is_some_and(|(_, s, _)| now_ms - s >= REQUEST_TIMEOUT_MS) {
            self.coordinator_lost(now_ms, KafkaError::REQUEST_TIMED_OUT, out);
        }
    }

    /// The heartbeat thread: heartbeats, and the max.poll.interval.ms check.
    fn heartbeat(&mut self, now_ms: i64, out: &mut Out) {
        let Some(c) = self.coordinator else { return };
        if self.generation >= 0
            && !self.member_id.is_empty()
            && now_ms - self.last_poll_ms > self.config.max_poll_interval_ms
            && self.state != MemberState::Unjoined
        {
            // AbstractCoordinator.HeartbeatThread: "consumer poll timeout has expired".
            let corr = self.corr();
            out.send(
                NodeId::Broker(c),
                Msg::LeaveGroup {
                    correlation_id: corr,
                    group_id: self.group_id.clone(),
                    member_id: self.member_id.clone(),
                    reason: format!("consumer poll timeout has expired (max.poll.interval.ms={})", self.config.max_poll_interval_ms),
                },
            );
            out.log(
                Category::Group,
                format!(
                    "{}: the application has not polled for {} ms > max.poll.interval.ms={}; leaving the group",
                    self.client_id,
                    now_ms - self.last_poll_ms,
                    self.config.max_poll_interval_ms
                ),
            );
            self.reset_generation(true, out);
            return;
        }
        let joined = matches!(self.state, MemberState::Stable | MemberState::Syncing | MemberState::PreparingToJoin);
        if joined && self.generation >= 0 && self.heartbeat_in_flight.is_none() && now_ms >= self.next_heartbeat_ms {
            let corr = self.corr();
            out.send(
                NodeId::Broker(c),
                Msg::Heartbeat {
                    correlation_id: corr,
                    group_id: self.group_id.clone(),
                    generation: self.generation,
                    member_id: self.member_id.clone(),
                },
            );
            self.heartbeat_in_flight = Some((corr, now_ms));
            self.next_heartbeat_ms = now_ms + self.config.heartbeat_interval_ms;
        }
    }

    fn maybe_join(&mut self, now_ms: i64, out: &mut Out) {
        let Some(c) = self.coordinator else { return };
        if !self.rejoin_needed && self.generation >= 0 {
            return;
        }
        if self.join_in_flight.is_some() || self.state == MemberState::Syncing {
            return;
        }
        // onJoinPrepare: with auto-commit, commit before giving partitions up.
        if self.state != MemberState::Joining {
            if self.config.enable_auto_commit && self.generation >= 0 && !self.assignment.is_empty() {
                if self.commit_in_flight.is_some() {
                    self.state = MemberState::PreparingToJoin;
                    return;
                }
                if self.state != MemberState::PreparingToJoin && self.send_commit(now_ms, out) {
                    self.state = MemberState::PreparingToJoin;
                    return;
                }
            }
            if !self.cooperative() && !self.assignment.is_empty() {
                // Eager protocol: revoke everything before rejoining.
                out.log(
                    Category::Group,
                    format!("{} revokes all its partitions [{}] before rejoining (eager)", self.client_id, tps(&self.assignment)),
                );
                self.assignment.clear();
                self.positions.clear();
            }
        }
        let owned = self.assignment.clone();
        let sub = GroupSubscription {
            topics: self.topics.clone(),
            owned_partitions: owned,
            generation: self.generation,
            rack: self.config.client_rack.clone(),
        };
        let protocols = self.assignors().into_iter().map(|a| (a.name().to_string(), sub.clone())).collect();
        let corr = self.corr();
        out.send(
            NodeId::Broker(c),
            Msg::JoinGroup {
                correlation_id: corr,
                group_id: self.group_id.clone(),
                member_id: self.member_id.clone(),
                client_id: self.client_id.clone(),
                session_timeout_ms: self.config.session_timeout_ms,
                rebalance_timeout_ms: self.config.max_poll_interval_ms,
                protocols,
            },
        );
        if self.state != MemberState::Joining {
            out.log(Category::Group, format!("{} (re)joins group {} ({})", self.client_id, self.group_id, self.rejoin_reason));
        }
        self.state = MemberState::Joining;
        self.join_in_flight = Some((corr, now_ms));
        self.rejoin_needed = false;
        self.assignment_snapshot = None;
    }

    fn maybe_auto_commit(&mut self, now_ms: i64, out: &mut Out) {
        if !self.config.enable_auto_commit || self.state != MemberState::Stable {
            return;
        }
        if now_ms >= self.next_auto_commit_ms {
            self.next_auto_commit_ms = now_ms + self.config.auto_commit_interval_ms.max(1);
            self.send_commit(now_ms, out);
        }
    }

    /// OffsetFetch to coordinator `c` for the partitions waiting for their committed offset
    /// (`ConsumerCoordinator.refreshCommittedOffsetsIfNeeded`), unless one is in flight.
    pub(super) fn fetch_committed_offsets(&mut self, c: BrokerId, now_ms: i64, out: &mut Out) {
        let need: Vec<TopicPartition> =
            self.positions.iter().filter(|(_, p)| p.state == PositionState::AwaitingCommitted).map(|(tp, _)| *tp).collect();
        if !need.is_empty() && self.offset_fetch_in_flight.is_none() {
            let corr = self.corr();
            out.send(NodeId::Broker(c), Msg::OffsetFetch { correlation_id: corr, group_id: self.group_id.clone(), partitions: need });
            self.offset_fetch_in_flight = Some((corr, now_ms));
        }
    }

    pub(super) fn on_find_coordinator_response(
        &mut self,
        now_ms: i64,
        correlation_id: u64,
        error: KafkaError,
        coordinator: BrokerId,
        out: &mut Out,
    ) -> Then {
        if self.find_in_flight.map(|x| x.0) != Some(correlation_id) {
            return Then::Tick;
        }
        self.find_in_flight = None;
        if error == KafkaError::NONE {
            out.log(
                Category::Group,
                format!("{}: discovered group coordinator broker-{coordinator} for group {}", self.client_id, self.group_id),
            );
            self.coordinator = Some(coordinator);
            self.next_heartbeat_ms = now_ms;
        } else {
            self.coordinator_backoff_until_ms = now_ms + RETRY_BACKOFF_MS;
        }
        Then::Tick
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_join_group_response(
        &mut self,
        now_ms: i64,
        correlation_id: u64,
        error: KafkaError,
        generation: i32,
        protocol: String,
        leader: String,
        member_id: String,
        members: Vec<(String, GroupSubscription)>,
        out: &mut Out,
    ) -> Then {
        if self.join_in_flight.map(|x| x.0) != Some(correlation_id) {
            return Then::Return;
        }
        self.join_in_flight = None;
        match error {
            KafkaError::NONE => {
                self.generation = generation;
                self.protocol = Some(protocol.clone());
                self.leader_id = leader.clone();
                self.member_id = member_id.clone();
                self.stats.rebalances += 1;
                let assignments = if leader == member_id { self.run_assignor(&protocol, &members, out) } else { vec![] };
                let corr = self.corr();
                if let Some(c) = self.coordinator {
                    out.send(
                        NodeId::Broker(c),
                        Msg::SyncGroup {
                            correlation_id: corr,
                            group_id: self.group_id.clone(),
                            generation,
                            member_id: self.member_id.clone(),
                            assignments,
                        },
                    );
                    self.join_in_flight = Some((corr, now_ms));
                    self.state = MemberState::Syncing;
                }
            }
            KafkaError::MEMBER_ID_REQUIRED => {
                self.member_id = member_id;
                self.state = MemberState::Unjoined;
                self.rejoin_needed = true;
                self.rejoin_reason = "rejoining with the member id the coordinator assigned (KIP-394)".into();
            }
            KafkaError::UNKNOWN_MEMBER_ID => self.member_error(now_ms, KafkaError::UNKNOWN_MEMBER_ID, out),
            KafkaError::ILLEGAL_GENERATION => self.member_error(now_ms, KafkaError::ILLEGAL_GENERATION, out),
            KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE | KafkaError::COORDINATOR_LOAD_IN_PROGRESS => {
                self.coordinator_lost(now_ms, error, out);
                self.rejoin_needed = true;
            }
            e => {
                out.log(Category::Group, format!("{}: JoinGroup failed: {e}", self.client_id));
                self.state = MemberState::Unjoined;
                self.rejoin_needed = true;
            }
        }
        Then::Tick
    }

    pub(super) fn on_sync_group_response(
        &mut self,
        now_ms: i64,
        correlation_id: u64,
        error: KafkaError,
        assignment: Vec<TopicPartition>,
        out: &mut Out,
    ) -> Then {
        if self.join_in_flight.map(|x| x.0) != Some(correlation_id) {
            return Then::Return;
        }
        self.join_in_flight = None;
        match error {
            KafkaError::NONE => self.on_assignment(now_ms, assignment, out),
            KafkaError::REBALANCE_IN_PROGRESS => {
                let g = format!("group {}", self.group_id);
                self.note_error(now_ms, error, g, "SyncGroup: another rebalance started; joining again".into());
                self.state = MemberState::Unjoined;
                self.request_rejoin("the group is rebalancing");
                self.rejoin_needed = true;
            }
            KafkaError::UNKNOWN_MEMBER_ID => self.member_error(now_ms, KafkaError::UNKNOWN_MEMBER_ID, out),
            KafkaError::ILLEGAL_GENERATION => self.member_error(now_ms, KafkaError::ILLEGAL_GENERATION, out),
            e => {
                self.coordinator_lost(now_ms, e, out);
                self.rejoin_needed = true;
            }
        }
        Then::Tick
    }

    pub(super) fn on_heartbeat_response(&mut self, now_ms: i64, correlation_id: u64, error: KafkaError, out: &mut Out) -> Then {
        if self.heartbeat_in_flight.map(|x| x.0) != Some(correlation_id) {
            return Then::Return;
        }
        self.heartbeat_in_flight = None;
        match error {
            KafkaError::NONE => {}
            KafkaError::REBALANCE_IN_PROGRESS => {
                let g = format!("group {}", self.group_id);
                self.note_error(now_ms, error, g, "heartbeat: the coordinator started a rebalance; rejoining".into());
                if self.state == MemberState::Stable {
                    out.log(Category::Group, format!("{}: heartbeat says the group is rebalancing; rejoining", self.client_id));
                }
                self.request_rejoin("the coordinator started a rebalance");
            }
            KafkaError::UNKNOWN_MEMBER_ID => self.member_error(now_ms, KafkaError::UNKNOWN_MEMBER_ID, out),
            KafkaError::ILLEGAL_GENERATION => self.member_error(now_ms, KafkaError::ILLEGAL_GENERATION, out),
            e => self.coordinator_lost(now_ms, e, out),
        }
        Then::Tick
    }

    pub(super) fn on_offset_commit_response(
        &mut self,
        now_ms: i64,
        correlation_id: u64,
        error: KafkaError,
        offsets: Vec<(TopicPartition, i64, i32)>,
        out: &mut Out,
    ) -> Then {
        if self.commit_in_flight.as_ref().map(|x| x.0) != Some(correlation_id) {
            return Then::Return;
        }
        self.commit_in_flight = None;
        if error == KafkaError::NONE {
            self.stats.commits += 1;
            for (tp, o, _) in offsets {
                self.committed.insert(tp, o);
            }
        } else {
            self.stats.commit_failures += 1;
            out.log(Category::Group, format!("{}: offset commit failed: {error}", self.client_id));
            match error {
                KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE => self.coordinator_lost(now_ms, error, out),
                KafkaError::UNKNOWN_MEMBER_ID => self.member_error(now_ms, KafkaError::UNKNOWN_MEMBER_ID, out),
                KafkaError::ILLEGAL_GENERATION => self.member_error(now_ms, KafkaError::ILLEGAL_GENERATION, out),
                KafkaError::REBALANCE_IN_PROGRESS => self.request_rejoin("commit found the group rebalancing"),
                _ => {}
            }
        }
        if self.state == MemberState::PreparingToJoin {
            // The commit of onJoinPrepare is done: the join goes on from there (`maybe_join`
            // skips a second commit, revokes everything under the eager protocol and logs the
            // rejoin's reason).
            self.rejoin_needed = true;
        }
        Then::Tick
    }

    pub(super) fn on_offset_fetch_response(
        &mut self,
        now_ms: i64,
        correlation_id: u64,
        error: KafkaError,
        offsets: Vec<(TopicPartition, i64, i32)>,
        out: &mut Out,
    ) -> Then {
        if self.offset_fetch_in_flight.map(|x| x.0) != Some(correlation_id) {
            return Then::Return;
        }
        self.offset_fetch_in_flight = None;
        if error != KafkaError::NONE {
            self.coordinator_lost(now_ms, error, out);
            return Then::Return;
        }
        for (tp, o, e) in offsets {
            let Some(p) = self.positions.get_mut(&tp) else { continue };
            if p.state != PositionState::AwaitingCommitted {
                continue;
            }
            if o >= 0 {
                p.offset = o;
                p.last_fetched_epoch = e;
                p.leader_epoch = -1;
                // The committed epoch is validated (KIP-320) like any position after a leader change.
                p.state = if e >= 0 { PositionState::AwaitingValidation } else { PositionState::Fetching };
                self.committed.insert(tp, o);
                out.log(Category::Consume, format!("{} starts {tp} at committed offset {o}", self.client_id));
            } else {
                self.reset_or_fail(&tp, "no committed offset", out);
            }
        }
        Then::Tick
    }

    /// A coordinator request whose connection closed (`Disconnected` for anything but
    /// Metadata, ConsumerFetch, ListOffsets and OffsetsForLeaderEpoch).
    pub(super) fn on_coordinator_disconnected(&mut self, now_ms: i64, lost: &str, out: &mut Out) {
        match lost {
            "FindCoordinator" => self.find_in_flight = None,
            _ => self.coordinator_lost(now_ms, KafkaError::NETWORK_EXCEPTION, out),
        }
    }

    /// The group leader runs the assignor chosen by the group.
    fn run_assignor(
        &mut self,
        protocol: &str,
        members: &[(String, GroupSubscription)],
        out: &mut Out,
    ) -> Vec<(String, Vec<TopicPartition>)> {
        let Some(assignor) = Assignor::parse(protocol) else { return vec![] };
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for (_, s) in members {
            for t in &s.topics {
                if let Some(n) = self.metadata.partition_counts.get(t) {
                    counts.insert(t.clone(), *n);
                }
            }
        }
        let subs: Vec<Subscription> = members
            .iter()
            .map(|(id, s)| Subscription {
                member_id: id.clone(),
                group_instance_id: None,
                topics: s.topics.clone(),
                owned_partitions: s.owned_partitions.clone(),
                generation: s.generation,
                rack: s.rack.clone(),
            })
            .collect();
        let result = assign(assignor, &counts, &subs);
        self.assignment_snapshot = Some(counts);
        out.log(
            Category::Group,
            format!(
                "{} is the group leader: {} assignment for generation {}: {}",
                self.client_id,
                assignor.name(),
                self.generation,
                result.iter().map(|(m, a)| format!("{}=[{}]", short_member(m), tps(a))).collect::<Vec<_>>().join(" ")
            ),
        );
        result.into_iter().collect()
    }

    /// `onJoinComplete`: take the new assignment.
    fn on_assignment(&mut self, now_ms: i64, assignment: Vec<TopicPartition>, out: &mut Out) {
        let new: BTreeSet<TopicPartition> = assignment.iter().cloned().collect_set();
        let old: BTreeSet<TopicPartition> = self.assignment.iter().cloned().collect_set();
        let revoked: Vec<TopicPartition> = old.difference(&new).cloned().collect();
        let added: Vec<TopicPartition> = new.difference(&old).cloned().collect();
        self.state = MemberState::Stable;
        self.next_heartbeat_ms = now_ms + self.config.heartbeat_interval_ms;
        self.next_auto_commit_ms = now_ms + self.config.auto_commit_interval_ms;
        if !revoked.is_empty() {
            // Cooperative: commit what is given up, then rejoin so the partitions can move.
            if self.config.enable_auto_commit {
                let offsets: Vec<(TopicPartition, i64, i32)> = self
                    .positions
                    .iter()
                    .filter(|(tp, p)| revoked.contains(tp) && p.state == PositionState::Fetching)
                    .map(|(tp, p)| (*tp, p.offset, p.last_fetched_epoch))
                    .collect();
                if !offsets.is_empty() && self.commit_in_flight.is_none() {
                    if let Some(c) = self.coordinator {
                        self.send_offset_commit(c, now_ms, offsets, out);
                    }
                }
            }
            for tp in &revoked {
                self.positions.remove(tp);
            }
            out.log(Category::Group, format!("{} revokes [{}] (cooperative) and rejoins", self.client_id, tps(&revoked)));
            self.request_rejoin("partitions were revoked (cooperative rebalancing)");
        }
        for tp in &added {
            self.positions.insert(
                *tp,
                Position {
                    offset: -1,
                    last_fetched_epoch: -1,
                    leader_epoch: -1,
                    state: PositionState::AwaitingCommitted,
                    preferred_read_replica: None,
                    next_fetch_ms: 0,
                    in_flight: None,
                    in_flight_node: -1,
                    last_error: None,
                },
            );
        }
        self.assignment = new.into_iter().collect();
        out.log(
            Category::Group,
            format!(
                "{} is assigned [{}] in generation {} of group {}",
                self.client_id,
                tps(&self.assignment),
                self.generation,
                self.group_id
            ),
        );
    }
}

fn tps(v: &[TopicPartition]) -> String {
    v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
}

/// `consumer-g-1-1a2b…` → `consumer-g-1` for log lines.
pub fn short_member(member_id: &str) -> &str {
    if member_id.len() > 37 {
        &member_id[..member_id.len() - 37]
    } else {
        member_id
    }
}
