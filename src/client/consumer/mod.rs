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
//!
//! The code follows Kafka's own split of these classes:
//!
//! - this file: the `Consumer` (`KafkaConsumer`), its positions (`SubscriptionState`), its
//!   public calls, and `on_tick` / `on_message`, which hand each part its work and each
//!   response to the part that sent the request;
//! - `coordinator.rs`: group membership and offset commits (`ConsumerCoordinator`,
//!   `AbstractCoordinator`): FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
//!   OffsetCommit, OffsetFetch;
//! - `fetcher.rs`: positions and fetches (`Fetcher`, `OffsetFetcher`,
//!   `OffsetsForLeaderEpochClient`): ListOffsets, OffsetsForLeaderEpoch, ConsumerFetch.
//!
//! The two parts never call each other; what both need lives here.

mod coordinator;
mod fetcher;

pub use coordinator::short_member;

use super::assignor::Assignor;
use super::backoff::ExponentialBackoff;
use super::metadata::ClientMetadata;
use crate::config::ConsumerConfig;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::Msg;
use crate::rng::Rng;
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// The group leader's partition counts of the subscribed topics when it last assigned
    /// (`ConsumerCoordinator.assignmentSnapshot`): when metadata shows others (partitions were
    /// added), the leader rejoins so the group is assigned again. `None` on other members.
    assignment_snapshot: Option<BTreeMap<String, u32>>,
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
    partition_requests: VecMap<u64, (TopicPartition, i64)>,
    /// Time of the application's last poll; the application is stalled until `stalled_until_ms`.
    pub last_poll_ms: i64,
    pub stalled_until_ms: i64,
    closing: bool,
    pub consumed: Vec<ConsumedRecord>,
    pub stats: ConsumerStats,
    /// The latest occurrence of each error this consumer received (fetch and group
    /// coordinator answers), with how many times, for the page's consumer card.
    pub errors: VecMap<KafkaError, (u64, ConsumerErrorInfo)>,
}

/// An error a consumer received, with the reason in words (the page's consumer card).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConsumerErrorInfo {
    /// Serialized as its name.
    pub error: KafkaError,
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
                config.metadata_max_age_ms,
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
            assignment_snapshot: None,
            assignment: vec![],
            positions: BTreeMap::new(),
            committed: BTreeMap::new(),
            heartbeat_in_flight: None,
            next_heartbeat_ms: 0,
            commit_in_flight: None,
            next_auto_commit_ms: 0,
            offset_fetch_in_flight: None,
            partition_requests: VecMap::new(),
            last_poll_ms: now_ms,
            stalled_until_ms: 0,
            closing: false,
            consumed: vec![],
            stats: ConsumerStats::default(),
            errors: VecMap::new(),
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
        let e = self.errors.entry(error).or_insert((0, ConsumerErrorInfo { error, about: String::new(), at_ms: 0, reason: String::new() }));
        e.0 += 1;
        e.1 = ConsumerErrorInfo { error, about, at_ms: now_ms, reason };
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
        if !self.poll_coordinator(now_ms, polling, out) {
            return;
        }
        if polling && self.state == MemberState::Stable {
            self.fetch_positions(now_ms, out);
            self.send_fetches(now_ms, out);
        }
        out.wake_at(self.next_wake(now_ms));
    }

    /// Requests that reached `request.timeout.ms`: the coordinator's, then the positions'.
    fn expire_requests(&mut self, now_ms: i64, out: &mut Out) {
        self.expire_coordinator_requests(now_ms, out);
        self.expire_fetcher_requests(now_ms);
    }

    /// New partitions: committed offsets first, then auto.offset.reset.
    fn fetch_positions(&mut self, now_ms: i64, out: &mut Out) {
        let Some(c) = self.coordinator else { return };
        self.fetch_committed_offsets(c, now_ms, out);
        self.update_positions(now_ms, out);
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

    /// Hands each response to the part whose request it answers (`coordinator.rs`, `fetcher.rs`),
    /// then runs `on_tick` unless the handler returned `Then::Return`.
    pub fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
        if self.state == MemberState::Closed {
            return;
        }
        let then = match msg {
            Msg::MetadataResponse { correlation_id, partitions } => {
                self.metadata.on_response(now_ms, correlation_id, &partitions);
                Then::Tick
            }
            // The group coordinator's answers (coordinator.rs).
            Msg::FindCoordinatorResponse { correlation_id, error, coordinator } => {
                self.on_find_coordinator_response(now_ms, correlation_id, error, coordinator, out)
            }
            Msg::JoinGroupResponse { correlation_id, error, generation, protocol, leader, member_id, members } => {
                self.on_join_group_response(now_ms, correlation_id, error, generation, protocol, leader, member_id, members, out)
            }
            Msg::SyncGroupResponse { correlation_id, error, assignment } => {
                self.on_sync_group_response(now_ms, correlation_id, error, assignment, out)
            }
            Msg::HeartbeatResponse { correlation_id, error } => self.on_heartbeat_response(now_ms, correlation_id, error, out),
            Msg::OffsetCommitResponse { correlation_id, error, offsets } => {
                self.on_offset_commit_response(now_ms, correlation_id, error, offsets, out)
            }
            Msg::OffsetFetchResponse { correlation_id, error, offsets } => {
                self.on_offset_fetch_response(now_ms, correlation_id, error, offsets, out)
            }
            // The partition leaders' (and KIP-392 followers') answers (fetcher.rs).
            Msg::ListOffsetsResponse { correlation_id, tp, error, offset, leader_epoch } => {
                self.on_list_offsets_response(now_ms, correlation_id, tp, error, offset, leader_epoch, out)
            }
            Msg::OffsetsForLeaderEpochResponse { correlation_id, tp, error, leader_epoch, end_offset } => {
                self.on_offsets_for_leader_epoch_response(now_ms, correlation_id, tp, error, leader_epoch, end_offset, out)
            }
            Msg::ConsumerFetchResponse { correlation_id, partition, preferred_read_replica } => {
                self.on_fetch_response(now_ms, from, correlation_id, partition, preferred_read_replica, out)
            }
            Msg::Disconnected { lost, correlation_id } => {
                match lost {
                    "Metadata" => self.metadata.on_disconnected(now_ms, correlation_id),
                    "ConsumerFetch" => self.on_fetch_disconnected(now_ms, correlation_id),
                    "ListOffsets" | "OffsetsForLeaderEpoch" => self.on_partition_request_disconnected(correlation_id),
                    _ => self.on_coordinator_disconnected(now_ms, lost, out),
                }
                Then::Tick
            }
            _ => Then::Tick,
        };
        if then == Then::Tick {
            self.on_tick(now_ms, out);
        }
    }

    /// `tp` has no valid position: reset it by `auto.offset.reset` (ListOffsets next), or with
    /// `none` fail it. Both parts need it (a missing committed offset, an offset out of range).
    fn reset_or_fail(&mut self, tp: &TopicPartition, why: &str, out: &mut Out) {
        let Some(p) = self.positions.get_mut(tp) else { return };
        if self.config.auto_offset_reset == "none" {
            p.state = PositionState::Failed;
            p.last_error = Some(KafkaError::OFFSET_OUT_OF_RANGE);
            out.log(
                Category::Consume,
                format!("{}: {tp}: {why} and auto.offset.reset=none (NoOffsetForPartitionException)", self.client_id),
            );
        } else {
            p.state = PositionState::AwaitingReset;
            p.next_fetch_ms = 0;
        }
    }
}

/// What `on_message` does once a response's handler has run: `on_tick` (after most
/// responses), or nothing more. `Return` is where the handlers returned early when they were
/// one `match` in `on_message`: a response that matches no request in flight, and a few
/// failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Tick,
    Return,
}
