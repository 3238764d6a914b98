//! A client's view of cluster metadata: who leads which partition. Refreshed
//! from any broker (rotating through the bootstrap list), after errors such as
//! `NOT_LEADER_OR_FOLLOWER`, and at least every `metadata.max.age.ms`.

use crate::effects::Out;
use crate::ids::{BrokerId, NodeId, TopicPartition, NO_LEADER};
use crate::protocol::{Msg, PartitionLeader};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct ClientMetadata {
    pub bootstrap: Vec<BrokerId>,
    pub leaders: BTreeMap<TopicPartition, (BrokerId, i32)>,
    pub partition_counts: BTreeMap<String, u32>,
    pub stale: bool,
    pub last_refresh_ms: i64,
    in_flight: Option<(u64, i64)>,
    next_bootstrap: usize,
    pub max_age_ms: i64,
    pub request_timeout_ms: i64,
    pub backoff_until_ms: i64,
}

impl ClientMetadata {
    pub fn new(bootstrap: Vec<BrokerId>, max_age_ms: i64, request_timeout_ms: i64) -> ClientMetadata {
        ClientMetadata {
            bootstrap,
            leaders: BTreeMap::new(),
            partition_counts: BTreeMap::new(),
            stale: true,
            last_refresh_ms: 0,
            in_flight: None,
            next_bootstrap: 0,
            max_age_ms,
            request_timeout_ms,
            backoff_until_ms: 0,
        }
    }

    pub fn leader(&self, tp: &TopicPartition) -> Option<(BrokerId, i32)> {
        self.leaders.get(tp).copied().filter(|(l, _)| *l != NO_LEADER)
    }

    /// Sends a Metadata request when one is due. `corr` gives a fresh correlation id.
    pub fn poll(&mut self, now_ms: i64, corr: &mut u64, out: &mut Out) {
        if let Some((_, sent)) = self.in_flight {
            if now_ms - sent < self.request_timeout_ms {
                return;
            }
            self.in_flight = None; // timed out: try the next broker
        }
        let due = self.stale || now_ms - self.last_refresh_ms >= self.max_age_ms;
        if !due || self.bootstrap.is_empty() || now_ms < self.backoff_until_ms {
            return;
        }
        let b = self.bootstrap[self.next_bootstrap % self.bootstrap.len()];
        self.next_bootstrap += 1;
        *corr += 1;
        self.in_flight = Some((*corr, now_ms));
        out.send(NodeId::Broker(b), Msg::MetadataRequest { correlation_id: *corr });
    }

    pub fn next_wake(&self, now_ms: i64) -> i64 {
        match self.in_flight {
            Some((_, sent)) => sent + self.request_timeout_ms,
            None if self.stale => self.backoff_until_ms.max(now_ms),
            None => self.last_refresh_ms + self.max_age_ms,
        }
    }

    pub fn on_response(&mut self, now_ms: i64, correlation_id: u64, partitions: &[PartitionLeader]) -> bool {
        if self.in_flight.map(|(c, _)| c) != Some(correlation_id) {
            return false;
        }
        self.in_flight = None;
        self.last_refresh_ms = now_ms;
        // A broker that has not replayed metadata yet knows no partitions: ask another soon.
        if partitions.is_empty() {
            self.backoff_until_ms = now_ms + 100;
            return false;
        }
        self.stale = false;
        self.leaders.clear();
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for p in partitions {
            self.leaders.insert(p.tp.clone(), (p.leader, p.leader_epoch));
            let c = counts.entry(p.tp.topic.clone()).or_default();
            *c = (*c).max(p.tp.partition + 1);
        }
        self.partition_counts = counts;
        if self.leaders.values().any(|(l, _)| *l == NO_LEADER) {
            // Keep looking for the new leader (Kafka refreshes on LEADER_NOT_AVAILABLE).
            self.stale = true;
            self.backoff_until_ms = now_ms + 100;
        }
        true
    }

    /// The Metadata request was lost with its connection.
    pub fn on_disconnected(&mut self, correlation_id: u64) {
        if self.in_flight.map(|(c, _)| c) == Some(correlation_id) {
            self.in_flight = None;
        }
    }

    pub fn invalidate(&mut self, now_ms: i64, backoff_ms: i64) {
        self.stale = true;
        self.backoff_until_ms = self.backoff_until_ms.max(now_ms + backoff_ms.min(100));
    }
}
