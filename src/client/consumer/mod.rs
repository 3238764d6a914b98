//! Kafka's consumer in a group (classic protocol) as a sans-IO state machine,
//! after `KafkaConsumer` / `ClassicKafkaConsumer`, `ConsumerCoordinator`,
//! `AbstractCoordinator` (with its heartbeat thread), `Fetcher` and `SubscriptionState`:
//!
//! - FindCoordinator, JoinGroup (MEMBER_ID_REQUIRED first, KIP-394), SyncGroup; the
//!   group leader runs the assignor (`range`, `roundrobin`, `cooperative-sticky`);
//! - eager rebalancing revokes every partition before rejoining (committing first with
//!   auto-commit); cooperative rebalancing revokes only partitions that move, then rejoins;
//! - heartbeats every `heartbeat.interval.ms`; leaves the group when the application has
//!   not polled for `max.poll.interval.ms`;
//! - positions from the committed offset (OffsetFetch) or `auto.offset.reset` (ListOffsets);
//! - fetches from the leader, or from the same-rack replica the leader names (KIP-392),
//!   and sees only records below the high watermark;
//! - after a leader change, validates its position with OffsetsForLeaderEpoch and detects
//!   truncation (KIP-320);
//! - commits with `enable.auto.commit` every `auto.commit.interval.ms`, on revocation, on
//!   close, or on command.
//!
//! The "application" consumes every record it is given at once; a stall command makes it
//! stop polling. Everything consumed is recorded for the audit.

use super::assignor::{assign, Assignor, Subscription};
use super::backoff::ExponentialBackoff;
use super::metadata::ClientMetadata;
use crate::config::ConsumerConfig;
use crate::effects::Out;
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::{GroupSubscription, Msg};
use crate::sim::rng::Rng;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How long the consumer waits before retrying a failed coordinator or fetch request (`retry.backoff.ms`).
pub const RETRY_BACKOFF_MS: i64 = 100;
/// The consumer's `retry.backoff.max.ms` (KIP-580): metadata refreshes back off exponentially up to it.
pub const RETRY_BACKOFF_MAX_MS: i64 = 1000;
/// The consumer's `request.timeout.ms`.
pub const REQUEST_TIMEOUT_MS: i64 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumedRecord {
    pub tp: TopicPartition,
    pub offset: i64,
    pub leader_epoch: i32,
    pub write_id: u64,
    pub at_ms: i64,
    /// The broker that served it, and its high watermark in that response.
    pub served_by: BrokerId,
    pub high_watermark: i64,
    pub generation: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// Not in the group (no coordinator yet, or left).
    Unjoined,
    /// Committing before a rebalance (onJoinPrepare).
    PreparingToJoin,
    Joining,
    Syncing,
    Stable,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionState {
    /// Waiting for the committed offset (OffsetFetch).
    AwaitingCommitted,
    /// Waiting for ListOffsets (auto.offset.reset).
    AwaitingReset,
    /// Waiting for OffsetsForLeaderEpoch (KIP-320 validation).
    AwaitingValidation,
    Fetching,
    /// auto.offset.reset=none and no valid offset (NoOffsetForPartitionException / LogTruncationException).
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Position {
    pub offset: i64,
    /// Epoch of the last consumed record (-1 unknown).
    pub last_fetched_epoch: i32,
    /// The leader epoch the position was last validated against.
    pub leader_epoch: i32,
    pub state: PositionState,
    /// KIP-392: the replica to fetch from, until this time.
    pub preferred_read_replica: Option<(BrokerId, i64)>,
    #[serde(skip)]
    next_fetch_ms: i64,
    #[serde(skip)]
    in_flight: Option<(u64, i64)>,
    /// The broker the request in flight went to.
    #[serde(skip)]
    in_flight_node: BrokerId,
    pub last_error: Option<KafkaError>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ConsumerStats {
    pub rebalances: u64,
    pub commits: u64,
    pub commit_failures: u64,
    pub truncations_detected: u64,
    pub offset_resets: u64,
    pub fetches_from_followers: u64,
}

/// (correlation id, sent at, offsets) of the OffsetCommit in flight.
type InFlightCommit = (u64, i64, Vec<(TopicPartition, i64, i32)>);

#[derive(Debug, Clone)]
pub struct Consumer {
    pub id: u32,
    pub client_id: String,
    pub group_id: String,
    pub topics: Vec<String>,
    pub config: ConsumerConfig,
    pub metadata: ClientMetadata,
    next_corr: u64,
    pub coordinator: Option<BrokerId>,
    find_in_flight: Option<(u64, i64)>,
    coordinator_backoff_until_ms: i64,
    pub member_id: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader_id: String,
    pub state: MemberState,
    join_in_flight: Option<(u64, i64)>,
    rejoin_needed: bool,
    rejoin_reason: String,
    /// Partitions owned (assigned and not revoked).
    pub assignment: Vec<TopicPartition>,
    pub positions: BTreeMap<TopicPartition, Position>,
    /// Last committed offsets this consumer knows of.
    pub committed: BTreeMap<TopicPartition, i64>,
    heartbeat_in_flight: Option<(u64, i64)>,
    next_heartbeat_ms: i64,
    commit_in_flight: Option<InFlightCommit>,
    next_auto_commit_ms: i64,
    offset_fetch_in_flight: Option<(u64, i64)>,
    /// Requests for one partition (ListOffsets, OffsetsForLeaderEpoch) by correlation id.
    partition_requests: BTreeMap<u64, (TopicPartition, i64)>,
    /// Time of the application's last poll; the application is stalled until `stalled_until_ms`.
    pub last_poll_ms: i64,
    pub stalled_until_ms: i64,
    closing: bool,
    pub consumed: Vec<ConsumedRecord>,
    pub stats: ConsumerStats,
    /// The latest occurrence of each error this consumer received (fetch and group
    /// coordinator answers), with how many times, for the page's consumer card.
    pub errors: BTreeMap<&'static str, (u64, ConsumerErrorInfo)>,
}

/// An error a consumer received, with the reason in words (the page's consumer card).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConsumerErrorInfo {
    pub error: &'static str,
    /// The partition it was about, or the group for coordinator answers.
    pub about: String,
    pub at_ms: i64,
    pub reason: String,
}

impl Consumer {
    pub fn new(
        id: u32,
        group_id: &str,
        topics: Vec<String>,
        config: ConsumerConfig,
        bootstrap: Vec<BrokerId>,
        now_ms: i64,
        rng: Rng,
    ) -> Consumer {
        Consumer {
            id,
            client_id: format!("consumer-{group_id}-{id}"),
            group_id: group_id.to_string(),
            topics,
            metadata: ClientMetadata::new(
                bootstrap,
                300_000,
                REQUEST_TIMEOUT_MS,
                ExponentialBackoff::new(RETRY_BACKOFF_MS, RETRY_BACKOFF_MAX_MS),
                rng,
            ),
            config,
            next_corr: 2_000_000,
            coordinator: None,
            find_in_flight: None,
            coordinator_backoff_until_ms: 0,
            member_id: String::new(),
            generation: -1,
            protocol: None,
            leader_id: String::new(),
            state: MemberState::Unjoined,
            join_in_flight: None,
            rejoin_needed: true,
            rejoin_reason: "initial join".into(),
            assignment: vec![],
            positions: BTreeMap::new(),
            committed: BTreeMap::new(),
            heartbeat_in_flight: None,
            next_heartbeat_ms: 0,
            commit_in_flight: None,
            next_auto_commit_ms: 0,
            offset_fetch_in_flight: None,
            partition_requests: BTreeMap::new(),
            last_poll_ms: now_ms,
            stalled_until_ms: 0,
            closing: false,
            consumed: vec![],
            stats: ConsumerStats::default(),
            errors: BTreeMap::new(),
        }
    }

    fn corr(&mut self) -> u64 {
        self.next_corr += 1;
        self.next_corr
    }

    fn assignors(&self) -> Vec<Assignor> {
        self.config.partition_assignment_strategy.iter().filter_map(|s| Assignor::parse(s)).collect()
    }

    /// The rebalance protocol all configured assignors support (`ConsumerCoordinator`):
    /// cooperative only if every assignor is.
    pub fn cooperative(&self) -> bool {
        let a = self.assignors();
        !a.is_empty() && a.iter().all(|x| x.is_cooperative())
    }

    fn is_polling(&self, now_ms: i64) -> bool {
        now_ms >= self.stalled_until_ms && self.state != MemberState::Closed
    }

    /// The application stops polling for `ms` (it is busy processing).
    pub fn stall(&mut self, now_ms: i64, ms: i64) {
        self.stalled_until_ms = now_ms + ms;
    }

    /// `consumer.close()`: commit, leave the group.
    pub fn close(&mut self, now_ms: i64, out: &mut Out) {
        self.closing = true;
        self.stalled_until_ms = 0;
        self.on_tick(now_ms, out);
    }

    /// `commitSync()` of the current positions (on command).
    pub fn commit_now(&mut self, now_ms: i64, out: &mut Out) {
        self.send_commit(now_ms, out);
        self.on_tick(now_ms, out);
    }

    pub fn lag(&self, tp: &TopicPartition, high_watermark: i64) -> Option<i64> {
        self.positions.get(tp).map(|p| (high_watermark - p.offset).max(0))
    }

    /// Remembers an error for the consumer card (newest of each name, and a count).
    fn note_error(&mut self, now_ms: i64, error: KafkaError, about: String, reason: String) {
        let e = self
            .errors
            .entry(error.name())
            .or_insert((0, ConsumerErrorInfo { error: error.name(), about: String::new(), at_ms: 0, reason: String::new() }));
        e.0 += 1;
        e.1 = ConsumerErrorInfo { error: error.name(), about, at_ms: now_ms, reason };
    }

    fn coordinator_lost(&mut self, now_ms: i64, why: KafkaError, out: &mut Out) {
        let coord = self.coordinator.map(|c| format!("broker {c}")).unwrap_or_else(|| "no coordinator".into());
        let group = format!("group {}", self.group_id);
        self.note_error(now_ms, why, group, format!("{coord} did not serve the group; finding the coordinator again (FindCoordinator)"));
        if let Some(c) = self.coordinator.take() {
            out.log("group", format!("{}: group coordinator broker-{c} is unavailable or invalid ({why}); rediscovering", self.client_id));
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
            out.log("group", format!("{} lost its partitions [{}] (generation reset)", self.client_id, tps(&self.assignment)));
            self.assignment.clear();
            self.positions.clear();
        }
    }

    fn positions_to_commit(&self) -> Vec<(TopicPartition, i64, i32)> {
        self.positions
            .iter()
            .filter(|(tp, p)| p.state == PositionState::Fetching && self.committed.get(*tp) != Some(&p.offset))
            .map(|(tp, p)| (tp.clone(), p.offset, p.last_fetched_epoch))
            .collect()
    }

    fn send_commit(&mut self, now_ms: i64, out: &mut Out) -> bool {
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

    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        if self.state == MemberState::Closed {
            return;
        }
        self.metadata.poll(now_ms, &mut self.next_corr, &|_| 0, out);
        self.expire_requests(now_ms, out);
        let polling = self.is_polling(now_ms);
        if polling {
            self.last_poll_ms = now_ms;
        }
        if self.closing {
            self.close_step(now_ms, out);
            return;
        }
        // Coordinator discovery.
        if self.coordinator.is_none() {
            if self.find_in_flight.is_none() && now_ms >= self.coordinator_backoff_until_ms && !self.metadata.bootstrap.is_empty() {
                // FindCoordinator goes to the least loaded node (AbstractCoordinator.lookupCoordinator).
                let Some(b) = self.metadata.least_loaded(now_ms, &|_| 0) else { return };
                let corr = self.corr();
                out.send(NodeId::Broker(b), Msg::FindCoordinator { correlation_id: corr, group_id: self.group_id.clone() });
                self.find_in_flight = Some((corr, now_ms));
            }
        } else {
            self.heartbeat(now_ms, out);
            if polling {
                self.maybe_join(now_ms, out);
                self.maybe_auto_commit(now_ms, out);
            }
        }
        if polling && self.state == MemberState::Stable {
            self.fetch_positions(now_ms, out);
            self.send_fetches(now_ms, out);
        }
        out.wake_at(self.next_wake(now_ms));
    }

    fn close_step(&mut self, now_ms: i64, out: &mut Out) {
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
        out.log("group", format!("{} closed", self.client_id));
        self.state = MemberState::Closed;
        self.assignment.clear();
        self.positions.clear();
    }

    fn expire_requests(&mut self, now_ms: i64, out: &mut Out) {
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
        let mut invalidate = false;
        for p in self.positions.values_mut() {
            if p.in_flight.is_some_and(|(_, s)| now_ms - s >= REQUEST_TIMEOUT_MS) {
                // NetworkClient closes the connection: the node is passed over by leastLoadedNode.
                self.metadata.mark_unreachable(p.in_flight_node, now_ms);
                p.in_flight = None;
                p.preferred_read_replica = None;
                invalidate = true;
            }
        }
        let stale: Vec<u64> =
            self.partition_requests.iter().filter(|(_, (_, s))| now_ms - s >= REQUEST_TIMEOUT_MS).map(|(c, _)| *c).collect();
        for c in stale {
            if let Some((tp, _)) = self.partition_requests.remove(&c) {
                self.retry_position(&tp);
            }
            invalidate = true;
        }
        if invalidate {
            self.metadata.invalidate();
        }
    }

    /// A ListOffsets / OffsetsForLeaderEpoch was lost: ask again.
    fn retry_position(&mut self, tp: &TopicPartition) {
        if let Some(p) = self.positions.get_mut(tp) {
            if p.state == PositionState::AwaitingReset || p.state == PositionState::AwaitingValidation {
                p.next_fetch_ms = 0;
                p.in_flight = None;
            }
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
                "group",
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
                    "group",
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
            out.log("group", format!("{} (re)joins group {} ({})", self.client_id, self.group_id, self.rejoin_reason));
        }
        self.state = MemberState::Joining;
        self.join_in_flight = Some((corr, now_ms));
        self.rejoin_needed = false;
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

    /// New partitions: committed offsets first, then auto.offset.reset.
    fn fetch_positions(&mut self, now_ms: i64, out: &mut Out) {
        let Some(c) = self.coordinator else { return };
        let need: Vec<TopicPartition> =
            self.positions.iter().filter(|(_, p)| p.state == PositionState::AwaitingCommitted).map(|(tp, _)| tp.clone()).collect();
        if !need.is_empty() && self.offset_fetch_in_flight.is_none() {
            let corr = self.corr();
            out.send(NodeId::Broker(c), Msg::OffsetFetch { correlation_id: corr, group_id: self.group_id.clone(), partitions: need });
            self.offset_fetch_in_flight = Some((corr, now_ms));
        }
        let tps: Vec<TopicPartition> = self.positions.keys().cloned().collect();
        for tp in tps {
            let mut p = self.positions[&tp].clone();
            // A fetch still waiting on an older leader does not hold the partition back once the
            // metadata names a newer leader epoch: Kafka's fetcher only skips nodes with a pending
            // fetch (AbstractFetch.prepareFetchRequests, nodesWithPendingFetchRequests), and
            // validating the position (SubscriptionState.maybeValidatePositionForCurrentLeader)
            // makes the old fetch's answer unfetchable, so it is dropped when it comes.
            if p.state == PositionState::Fetching && p.in_flight.is_some() && p.last_fetched_epoch >= 0 {
                if let Some((_, epoch)) = self.metadata.leader(&tp) {
                    if epoch > p.leader_epoch {
                        self.positions.get_mut(&tp).unwrap().in_flight = None;
                        p.in_flight = None;
                    }
                }
            }
            if p.in_flight.is_some() || now_ms < p.next_fetch_ms {
                continue;
            }
            let Some((leader, epoch)) = self.metadata.leader(&tp) else {
                self.metadata.stale = true;
                continue;
            };
            match p.state {
                PositionState::AwaitingReset => {
                    let ts = if self.config.auto_offset_reset == "earliest" { -2 } else { -1 };
                    let corr = self.corr();
                    out.send(
                        NodeId::Broker(leader),
                        Msg::ListOffsets { correlation_id: corr, tp: tp.clone(), timestamp: ts, current_leader_epoch: epoch },
                    );
                    self.partition_requests.insert(corr, (tp.clone(), now_ms));
                    let p = self.positions.get_mut(&tp).unwrap();
                    p.in_flight = Some((corr, now_ms));
                    p.in_flight_node = leader;
                }
                PositionState::AwaitingValidation => {
                    let corr = self.corr();
                    out.send(
                        NodeId::Broker(leader),
                        Msg::OffsetsForLeaderEpoch {
                            correlation_id: corr,
                            tp: tp.clone(),
                            current_leader_epoch: epoch,
                            leader_epoch: p.last_fetched_epoch,
                        },
                    );
                    self.partition_requests.insert(corr, (tp.clone(), now_ms));
                    let p = self.positions.get_mut(&tp).unwrap();
                    p.in_flight = Some((corr, now_ms));
                    p.in_flight_node = leader;
                }
                PositionState::Fetching => {
                    // KIP-320: a new leader epoch in the metadata → validate the position first.
                    if epoch > p.leader_epoch && p.last_fetched_epoch >= 0 {
                        let p = self.positions.get_mut(&tp).unwrap();
                        p.state = PositionState::AwaitingValidation;
                        p.next_fetch_ms = 0;
                    } else if epoch > p.leader_epoch {
                        self.positions.get_mut(&tp).unwrap().leader_epoch = epoch;
                    }
                }
                _ => {}
            }
        }
    }

    fn send_fetches(&mut self, now_ms: i64, out: &mut Out) {
        let tps: Vec<TopicPartition> = self.positions.keys().cloned().collect();
        for tp in tps {
            let p = self.positions[&tp].clone();
            if p.state != PositionState::Fetching || p.in_flight.is_some() || now_ms < p.next_fetch_ms {
                continue;
            }
            let Some((leader, epoch)) = self.metadata.leader(&tp) else {
                self.metadata.stale = true;
                continue;
            };
            if epoch > p.leader_epoch {
                continue; // validate first (next tick)
            }
            let target = match p.preferred_read_replica {
                Some((b, until)) if until > now_ms => b,
                _ => leader,
            };
            if target != leader {
                self.stats.fetches_from_followers += 1;
            }
            let corr = self.corr();
            out.send(
                NodeId::Broker(target),
                Msg::ConsumerFetch {
                    correlation_id: corr,
                    tp: tp.clone(),
                    fetch_offset: p.offset,
                    current_leader_epoch: epoch,
                    max_records: self.config.max_poll_records as usize,
                    rack_id: self.config.client_rack.clone(),
                    max_wait_ms: self.config.fetch_max_wait_ms,
                },
            );
            let p = self.positions.get_mut(&tp).unwrap();
            p.in_flight = Some((corr, now_ms));
            p.in_flight_node = target;
        }
    }

    fn next_wake(&self, now_ms: i64) -> i64 {
        let mut t = self.metadata.next_wake(now_ms);
        if self.stalled_until_ms > now_ms {
            t = t.min(self.stalled_until_ms);
        }
        if self.coordinator.is_none() {
            t = t.min(match self.find_in_flight {
                Some((_, s)) => s + REQUEST_TIMEOUT_MS,
                None => self.coordinator_backoff_until_ms.max(now_ms + 1),
            });
        } else {
            if self.generation >= 0 {
                t = t.min(self.next_heartbeat_ms).min(self.last_poll_ms + self.config.max_poll_interval_ms + 1);
            }
            if self.state == MemberState::Stable && self.config.enable_auto_commit {
                t = t.min(self.next_auto_commit_ms);
            }
            for x in [self.join_in_flight, self.heartbeat_in_flight, self.offset_fetch_in_flight].into_iter().flatten() {
                t = t.min(x.1 + REQUEST_TIMEOUT_MS);
            }
        }
        for p in self.positions.values() {
            t = t.min(match p.in_flight {
                Some((_, s)) => s + REQUEST_TIMEOUT_MS,
                None => p.next_fetch_ms,
            });
        }
        t.max(now_ms + 1)
    }

    pub fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
        if self.state == MemberState::Closed {
            return;
        }
        match msg {
            Msg::MetadataResponse { correlation_id, partitions } => {
                self.metadata.on_response(now_ms, correlation_id, &partitions);
            }
            Msg::FindCoordinatorResponse { correlation_id, error, coordinator }
                if self.find_in_flight.map(|x| x.0) == Some(correlation_id) =>
            {
                self.find_in_flight = None;
                if error == KafkaError::NONE {
                    out.log(
                        "group",
                        format!("{}: discovered group coordinator broker-{coordinator} for group {}", self.client_id, self.group_id),
                    );
                    self.coordinator = Some(coordinator);
                    self.next_heartbeat_ms = now_ms;
                } else {
                    self.coordinator_backoff_until_ms = now_ms + RETRY_BACKOFF_MS;
                }
            }
            Msg::JoinGroupResponse { correlation_id, error, generation, protocol, leader, member_id, members } => {
                if self.join_in_flight.map(|x| x.0) != Some(correlation_id) {
                    return;
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
                        out.log("group", format!("{}: JoinGroup failed: {e}", self.client_id));
                        self.state = MemberState::Unjoined;
                        self.rejoin_needed = true;
                    }
                }
            }
            Msg::SyncGroupResponse { correlation_id, error, assignment } => {
                if self.join_in_flight.map(|x| x.0) != Some(correlation_id) {
                    return;
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
            }
            Msg::HeartbeatResponse { correlation_id, error } => {
                if self.heartbeat_in_flight.map(|x| x.0) != Some(correlation_id) {
                    return;
                }
                self.heartbeat_in_flight = None;
                match error {
                    KafkaError::NONE => {}
                    KafkaError::REBALANCE_IN_PROGRESS => {
                        let g = format!("group {}", self.group_id);
                        self.note_error(now_ms, error, g, "heartbeat: the coordinator started a rebalance; rejoining".into());
                        if self.state == MemberState::Stable {
                            out.log("group", format!("{}: heartbeat says the group is rebalancing; rejoining", self.client_id));
                        }
                        self.request_rejoin("the coordinator started a rebalance");
                    }
                    KafkaError::UNKNOWN_MEMBER_ID => self.member_error(now_ms, KafkaError::UNKNOWN_MEMBER_ID, out),
                    KafkaError::ILLEGAL_GENERATION => self.member_error(now_ms, KafkaError::ILLEGAL_GENERATION, out),
                    e => self.coordinator_lost(now_ms, e, out),
                }
            }
            Msg::OffsetCommitResponse { correlation_id, error, offsets } => {
                if self.commit_in_flight.as_ref().map(|x| x.0) != Some(correlation_id) {
                    return;
                }
                self.commit_in_flight = None;
                if error == KafkaError::NONE {
                    self.stats.commits += 1;
                    for (tp, o, _) in offsets {
                        self.committed.insert(tp, o);
                    }
                } else {
                    self.stats.commit_failures += 1;
                    out.log("group", format!("{}: offset commit failed: {error}", self.client_id));
                    match error {
                        KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE => self.coordinator_lost(now_ms, error, out),
                        KafkaError::UNKNOWN_MEMBER_ID => self.member_error(now_ms, KafkaError::UNKNOWN_MEMBER_ID, out),
                        KafkaError::ILLEGAL_GENERATION => self.member_error(now_ms, KafkaError::ILLEGAL_GENERATION, out),
                        KafkaError::REBALANCE_IN_PROGRESS => self.request_rejoin("commit found the group rebalancing"),
                        _ => {}
                    }
                }
                if self.state == MemberState::PreparingToJoin {
                    self.state = MemberState::Joining; // commit done: now join (skips a second commit)
                    self.rejoin_needed = true;
                }
            }
            Msg::OffsetFetchResponse { correlation_id, error, offsets } => {
                if self.offset_fetch_in_flight.map(|x| x.0) != Some(correlation_id) {
                    return;
                }
                self.offset_fetch_in_flight = None;
                if error != KafkaError::NONE {
                    self.coordinator_lost(now_ms, error, out);
                    return;
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
                        self.committed.insert(tp.clone(), o);
                        out.log("consume", format!("{} starts {tp} at committed offset {o}", self.client_id));
                    } else {
                        self.reset_or_fail(&tp, "no committed offset", out);
                    }
                }
            }
            Msg::ListOffsetsResponse { correlation_id, tp, error, offset, leader_epoch } => {
                if self.partition_requests.remove(&correlation_id).is_none() {
                    return;
                }
                let Some(p) = self.positions.get_mut(&tp) else { return };
                p.in_flight = None;
                if error == KafkaError::NONE {
                    p.offset = offset;
                    p.state = PositionState::Fetching;
                    p.leader_epoch = leader_epoch;
                    p.last_fetched_epoch = -1;
                    self.stats.offset_resets += 1;
                    out.log(
                        "consume",
                        format!(
                            "{} resets the position of {tp} to offset {offset} (auto.offset.reset={})",
                            self.client_id, self.config.auto_offset_reset
                        ),
                    );
                } else {
                    p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
                    // OffsetFetcherUtils: OFFSET_NOT_AVAILABLE is retried after the backoff (the new
                    // leader's HW will catch up); the metadata is only suspect on other errors.
                    if error != KafkaError::OFFSET_NOT_AVAILABLE {
                        self.metadata.invalidate();
                    }
                }
            }
            Msg::OffsetsForLeaderEpochResponse { correlation_id, tp, error, leader_epoch, end_offset } => {
                if self.partition_requests.remove(&correlation_id).is_none() {
                    return;
                }
                let md_epoch = self.metadata.leader(&tp).map(|x| x.1).unwrap_or(-1);
                let reset = self.config.auto_offset_reset.clone();
                let client = self.client_id.clone();
                let Some(p) = self.positions.get_mut(&tp) else { return };
                p.in_flight = None;
                if error != KafkaError::NONE {
                    p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
                    self.metadata.invalidate();
                    return;
                }
                // SubscriptionState.maybeCompleteValidation: an undefined epoch/offset means the
                // divergence point is unknown (reset by auto.offset.reset).
                if leader_epoch < 0 || end_offset < 0 {
                    self.stats.truncations_detected += 1;
                    out.log("consume", format!("{client}: truncation detected for {tp} with no known divergence point"));
                    self.reset_or_fail(&tp, "the leader has no record of the position's epoch", out);
                    return self.on_tick(now_ms, out);
                }
                if end_offset < p.offset {
                    self.stats.truncations_detected += 1;
                    if reset == "none" {
                        p.state = PositionState::Failed;
                        p.last_error = Some(KafkaError::LOG_TRUNCATION);
                        out.log(
                            "consume",
                            format!("{client}: truncation detected for {tp} at offset {}: LogTruncationException", p.offset),
                        );
                    } else {
                        out.log(
                            "consume",
                            format!(
                                "{client}: truncation detected for partition {tp} at offset {} (epoch {}), resetting offset to the first offset known to diverge {end_offset}",
                                p.offset, p.last_fetched_epoch
                            ),
                        );
                        p.offset = end_offset;
                        p.state = PositionState::Fetching;
                    }
                } else {
                    p.state = PositionState::Fetching;
                }
                p.leader_epoch = md_epoch.max(p.leader_epoch);
            }
            Msg::ConsumerFetchResponse { correlation_id, partition, preferred_read_replica } => {
                let tp = partition.tp.clone();
                let Some(p) = self.positions.get_mut(&tp) else { return };
                if p.in_flight.map(|x| x.0) != Some(correlation_id) {
                    return;
                }
                p.in_flight = None;
                let served_by = from.broker().unwrap_or(-1);
                match partition.error {
                    KafkaError::NONE => {
                        p.last_error = None;
                        if preferred_read_replica >= 0 && preferred_read_replica != served_by {
                            // KIP-392: fetch from this replica until the metadata is refreshed.
                            p.preferred_read_replica = Some((preferred_read_replica, now_ms + self.metadata.max_age_ms));
                        }
                        for r in &partition.records {
                            if r.offset < p.offset {
                                continue;
                            }
                            self.consumed.push(ConsumedRecord {
                                tp: tp.clone(),
                                offset: r.offset,
                                leader_epoch: r.leader_epoch,
                                write_id: r.write_id,
                                at_ms: now_ms,
                                served_by,
                                high_watermark: partition.high_watermark,
                                generation: self.generation,
                            });
                            p.offset = r.offset + 1;
                            p.last_fetched_epoch = r.leader_epoch;
                        }
                    }
                    KafkaError::OFFSET_OUT_OF_RANGE => {
                        if p.preferred_read_replica.is_some() {
                            // Out of range on a follower: go back to the leader.
                            p.preferred_read_replica = None;
                        } else {
                            p.last_error = Some(KafkaError::OFFSET_OUT_OF_RANGE);
                            let why = format!(
                                "offset {} is out of range [{}, {}]",
                                p.offset, partition.log_start_offset, partition.log_end_offset
                            );
                            let then = format!("{why}; auto.offset.reset={}", self.config.auto_offset_reset);
                            self.note_error(now_ms, KafkaError::OFFSET_OUT_OF_RANGE, tp.to_string(), then);
                            self.reset_or_fail(&tp, &why, out);
                        }
                    }
                    e => {
                        p.last_error = Some(e);
                        p.preferred_read_replica = None;
                        p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
                        self.metadata.invalidate();
                        self.note_error(now_ms, e, tp.to_string(), "the fetch failed; refreshing metadata and retrying".to_string());
                    }
                }
            }
            Msg::Disconnected { lost, correlation_id } => match lost {
                "Metadata" => self.metadata.on_disconnected(now_ms, correlation_id),
                "FindCoordinator" => self.find_in_flight = None,
                "ConsumerFetch" => {
                    for p in self.positions.values_mut() {
                        if p.in_flight.map(|x| x.0) == Some(correlation_id) {
                            p.in_flight = None;
                            p.preferred_read_replica = None;
                            p.next_fetch_ms = now_ms + RETRY_BACKOFF_MS;
                        }
                    }
                    self.metadata.invalidate();
                }
                "ListOffsets" | "OffsetsForLeaderEpoch" => {
                    if let Some((tp, _)) = self.partition_requests.remove(&correlation_id) {
                        self.retry_position(&tp);
                    }
                }
                _ => self.coordinator_lost(now_ms, KafkaError::NETWORK_EXCEPTION, out),
            },
            _ => {}
        }
        self.on_tick(now_ms, out);
    }

    fn reset_or_fail(&mut self, tp: &TopicPartition, why: &str, out: &mut Out) {
        let Some(p) = self.positions.get_mut(tp) else { return };
        if self.config.auto_offset_reset == "none" {
            p.state = PositionState::Failed;
            p.last_error = Some(KafkaError::OFFSET_OUT_OF_RANGE);
            out.log("consume", format!("{}: {tp}: {why} and auto.offset.reset=none (NoOffsetForPartitionException)", self.client_id));
        } else {
            p.state = PositionState::AwaitingReset;
            p.next_fetch_ms = 0;
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
        out.log(
            "group",
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
        let new: BTreeSet<TopicPartition> = assignment.iter().cloned().collect();
        let old: BTreeSet<TopicPartition> = self.assignment.iter().cloned().collect();
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
                    .map(|(tp, p)| (tp.clone(), p.offset, p.last_fetched_epoch))
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
            out.log("group", format!("{} revokes [{}] (cooperative) and rejoins", self.client_id, tps(&revoked)));
            self.request_rejoin("partitions were revoked (cooperative rebalancing)");
        }
        for tp in &added {
            self.positions.insert(
                tp.clone(),
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
            "group",
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
