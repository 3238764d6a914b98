//! A client's view of cluster metadata: who leads which partition. Refreshed
//! from any broker (rotating through the bootstrap list) when an update is requested
//! (errors such as `NOT_LEADER_OR_FOLLOWER`), and at least every `metadata.max.age.ms`.
//!
//! When a refresh may go out follows Kafka's `Metadata` (clients, 3.7+ / KIP-580):
//! - `requestUpdate` only marks the metadata as wanted; it never pushes the next refresh back
//!   (so a stream of errors cannot starve the refresh that would end them);
//! - `timeToAllowUpdate`: a refresh waits `backoff(attempts - 1)` after the last one ended
//!   (`lastRefreshMs`, a response or a failure), where `attempts` counts failed refreshes since
//!   the last response, and also `backoff(equivalent - 1)` while responses keep repeating what
//!   the client already knew (`equivalentResponseCount`, forgotten once the metadata expired);
//! - `timeToNextUpdate`: due at once when requested, else when `metadata.max.age.ms` passed.
//!
//! Kafka draws the jitter each time it asks; here it is drawn once when a refresh ends, so
//! the run stays a function of the seed.

use super::backoff::ExponentialBackoff;
use crate::effects::Out;
use crate::ids::{BrokerId, NodeId, TopicPartition, NO_LEADER};
use crate::protocol::{Msg, PartitionLeader};
use crate::rng::Rng;
use crate::vecmap::VecMap;
use std::collections::BTreeMap;

/// `socket.connection.setup.timeout.ms` (Kafka's default 10 s).
pub const CONNECTION_SETUP_TIMEOUT_MS: i64 = 10_000;
/// `reconnect.backoff.max.ms` (Kafka's default 1 s).
pub const RECONNECT_BACKOFF_MAX_MS: i64 = 1_000;

#[derive(Debug, Clone)]
pub struct ClientMetadata {
    pub bootstrap: Vec<BrokerId>,
    pub leaders: VecMap<TopicPartition, (BrokerId, i32)>,
    pub partition_counts: BTreeMap<String, u32>,
    /// An update was requested (`needFullUpdate`).
    pub stale: bool,
    /// When the last refresh ended, by a response or a failure (`lastRefreshMs`).
    pub last_refresh_ms: i64,
    /// `lastSuccessfulRefreshMs`: the age `metadata.max.age.ms` is counted from.
    pub last_successful_refresh_ms: i64,
    in_flight: Option<(u64, i64, BrokerId)>,
    next_bootstrap: usize,
    /// Brokers a request to which timed out, until when the client treats them as unreachable
    /// (the reconnect to a silent host waits out `socket.connection.setup.timeout.ms`, 10 s).
    pub unreachable: VecMap<BrokerId, i64>,
    pub max_age_ms: i64,
    pub request_timeout_ms: i64,
    pub backoff: ExponentialBackoff,
    rng: Rng,
    /// Failed refreshes since the last response (`attempts`).
    pub attempts: u32,
    /// Responses in a row that changed nothing (`equivalentResponseCount`).
    pub equivalent_responses: u32,
    /// `lastRefreshMs + backoff(attempts - 1)`.
    allow_after_attempts_ms: i64,
    /// `lastRefreshMs + backoff(equivalentResponseCount - 1)` (or `lastRefreshMs` when 0).
    allow_after_equivalent_ms: i64,
}

impl ClientMetadata {
    pub fn new(
        bootstrap: Vec<BrokerId>,
        max_age_ms: i64,
        request_timeout_ms: i64,
        backoff: ExponentialBackoff,
        rng: Rng,
    ) -> ClientMetadata {
        ClientMetadata {
            bootstrap,
            leaders: VecMap::new(),
            partition_counts: BTreeMap::new(),
            stale: true,
            last_refresh_ms: 0,
            last_successful_refresh_ms: 0,
            in_flight: None,
            next_bootstrap: 0,
            unreachable: VecMap::new(),
            max_age_ms,
            request_timeout_ms,
            backoff,
            rng,
            attempts: 0,
            equivalent_responses: 0,
            allow_after_attempts_ms: 0,
            allow_after_equivalent_ms: 0,
        }
    }

    pub fn leader(&self, tp: &TopicPartition) -> Option<(BrokerId, i32)> {
        self.leaders.get(tp).copied().filter(|(l, _)| *l != NO_LEADER)
    }

    fn expired(&self, now_ms: i64) -> bool {
        now_ms - self.last_successful_refresh_ms >= self.max_age_ms
    }

    /// `timeToAllowUpdate` as a time: the equivalent-response backoff no longer counts once
    /// the metadata expired (a periodic refresh).
    pub fn allow_update_at_ms(&self, now_ms: i64) -> i64 {
        if self.expired(now_ms) {
            self.allow_after_attempts_ms
        } else {
            self.allow_after_attempts_ms.max(self.allow_after_equivalent_ms)
        }
    }

    /// A request to `node` got no answer within its timeout: NetworkClient closed the
    /// connection, and reconnecting to a host that answers nothing takes
    /// `socket.connection.setup.timeout.ms` (10 s) before it fails again.
    pub fn mark_unreachable(&mut self, node: BrokerId, now_ms: i64) {
        self.unreachable.insert(node, now_ms + CONNECTION_SETUP_TIMEOUT_MS);
    }

    /// The connection to `node` was reset: NetworkClient blacks the node out for the reconnect
    /// backoff (`reconnect.backoff.ms` 50 doubling to `reconnect.backoff.max.ms` 1000; here the
    /// maximum, as a dead process refuses every reconnect), so leastLoadedNode passes it over.
    pub fn mark_reset(&mut self, node: BrokerId, now_ms: i64) {
        let until = now_ms + RECONNECT_BACKOFF_MAX_MS;
        let e = self.unreachable.entry(node).or_insert(until);
        *e = (*e).max(until);
    }

    /// `NetworkClient.leastLoadedNode`: the broker with the fewest requests in flight (`busy`),
    /// passing over those the client found unreachable while another is left; among equals the
    /// first from a rotating start (Kafka starts at a random offset). `None` without brokers.
    pub fn least_loaded(&mut self, now_ms: i64, busy: &dyn Fn(BrokerId) -> usize) -> Option<BrokerId> {
        let n = self.bootstrap.len();
        if n == 0 {
            return None;
        }
        let start = self.next_bootstrap % n;
        self.next_bootstrap += 1;
        (0..n).map(|i| self.bootstrap[(start + i) % n]).min_by_key(|b| {
            let down = self.unreachable.get(b).is_some_and(|until| *until > now_ms);
            (down, busy(*b) + usize::from(self.in_flight.is_some_and(|f| f.2 == *b)))
        })
    }

    /// Sends a Metadata request when one is due, to the least loaded broker (`busy` counts a
    /// client's requests in flight per broker). `corr` gives a fresh correlation id.
    pub fn poll(&mut self, now_ms: i64, corr: &mut u64, busy: &dyn Fn(BrokerId) -> usize, out: &mut Out) {
        if let Some((_, sent, node)) = self.in_flight {
            if now_ms - sent < self.request_timeout_ms {
                return;
            }
            // Timed out: NetworkClient closes the connection, the refresh failed; try another broker.
            self.in_flight = None;
            self.mark_unreachable(node, now_ms);
            self.failed_update(now_ms);
        }
        let due = self.stale || self.expired(now_ms);
        if !due || self.bootstrap.is_empty() || now_ms < self.allow_update_at_ms(now_ms) {
            return;
        }
        let Some(b) = self.least_loaded(now_ms, busy) else { return };
        *corr += 1;
        self.in_flight = Some((*corr, now_ms, b));
        out.send(NodeId::Broker(b), Msg::MetadataRequest { correlation_id: *corr });
    }

    pub fn next_wake(&self, now_ms: i64) -> i64 {
        match self.in_flight {
            Some((_, sent, _)) => sent + self.request_timeout_ms,
            None if self.stale => self.allow_update_at_ms(now_ms).max(now_ms),
            None => (self.last_successful_refresh_ms + self.max_age_ms).max(self.allow_after_attempts_ms),
        }
    }

    /// Both backoffs from `lastRefreshMs` = now.
    fn set_backoffs(&mut self, now_ms: i64) {
        self.last_refresh_ms = now_ms;
        self.allow_after_attempts_ms = now_ms + self.backoff.backoff(self.attempts.saturating_sub(1), &mut self.rng);
        self.allow_after_equivalent_ms = if self.equivalent_responses > 0 {
            now_ms + self.backoff.backoff(self.equivalent_responses - 1, &mut self.rng)
        } else {
            now_ms
        };
    }

    /// `Metadata.failedUpdate`: the request got no response.
    fn failed_update(&mut self, now_ms: i64) {
        self.attempts += 1;
        self.set_backoffs(now_ms);
    }

    pub fn on_response(&mut self, now_ms: i64, correlation_id: u64, partitions: &[PartitionLeader]) -> bool {
        let Some((_, _, node)) = self.in_flight.filter(|f| f.0 == correlation_id) else { return false };
        self.unreachable.remove(&node);
        self.in_flight = None;
        self.attempts = 0;
        // A broker that has not replayed metadata yet knows no partitions: nothing learnt (an
        // equivalent response); ask another after the backoff.
        if partitions.is_empty() {
            self.equivalent_responses += 1;
            self.set_backoffs(now_ms);
            return false;
        }
        self.stale = false;
        self.last_successful_refresh_ms = now_ms;
        // Collected (sorted once), not inserted one by one: a VecMap insert in the middle moves the rest.
        let leaders: VecMap<TopicPartition, (BrokerId, i32)> = partitions.iter().map(|p| (p.tp, (p.leader, p.leader_epoch))).collect();
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for p in partitions {
            let c = counts.entry(p.tp.topic.to_string()).or_default();
            *c = (*c).max(p.tp.partition + 1);
        }
        // Metadata.update counts the response, updateLatestMetadata forgets the count when it
        // brought something new.
        self.equivalent_responses =
            if leaders == self.leaders && counts == self.partition_counts { self.equivalent_responses + 1 } else { 0 };
        self.leaders = leaders;
        self.partition_counts = counts;
        if self.leaders.values().any(|(l, _)| *l == NO_LEADER) {
            // LEADER_NOT_AVAILABLE is an InvalidMetadataException: requestUpdate(false).
            self.stale = true;
        }
        self.set_backoffs(now_ms);
        true
    }

    /// The Metadata request was lost with its connection (`failedUpdate`).
    pub fn on_disconnected(&mut self, now_ms: i64, correlation_id: u64) {
        if let Some((_, _, node)) = self.in_flight.filter(|f| f.0 == correlation_id) {
            self.mark_reset(node, now_ms);
            self.in_flight = None;
            self.failed_update(now_ms);
        }
    }

    /// `Metadata.requestUpdate(false)`: refresh as soon as the backoff allows.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// `Metadata.updatePartitionLeadership` (KIP-951): a response named a newer leader for one
    /// partition; take it if its epoch is newer than the one known. Returns whether it was.
    pub fn update_partition_leader(&mut self, tp: &TopicPartition, leader: BrokerId, leader_epoch: i32) -> bool {
        if leader == NO_LEADER || leader_epoch < 0 || !self.bootstrap.contains(&leader) {
            return false;
        }
        match self.leaders.get(tp) {
            Some((_, e)) if *e >= leader_epoch => false,
            None => false, // "the existing metadata doesn't know about the partition"
            _ => {
                self.leaders.insert(*tp, (leader, leader_epoch));
                true
            }
        }
    }
}
