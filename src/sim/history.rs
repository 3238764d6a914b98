//! Retiring history that can no longer be looked at, so that a long run (an hour at
//! 1 000 records/s with retention on) keeps memory flat. This is the harness's
//! bookkeeping, not Kafka: nothing a node does depends on it, and it emits no event,
//! so trace hashes do not change.
//!
//! A record below the log start offset of every replica of its partition was deleted by
//! retention (`UnifiedLog.deleteOldSegments`); log start offsets only move forward, so no
//! replica, and no leader elected later, can hold it again. The write audit already counts
//! such writes as held and the checker skips such reads (`audit::holds`,
//! `ConsumerSawReplacedRecord`): dropping them changes no count and no verdict.

use super::Sim;
use crate::client::producer::SendOutcome;
use crate::ids::TopicPartition;

/// How often (simulated time) history is retired.
pub const RETIRE_EVERY_MS: i64 = 10_000;

impl Sim {
    /// The smallest log start offset over every replica of `tp` (0 when a replica has no log).
    pub fn min_log_start_offset(&self, tp: &TopicPartition) -> i64 {
        let Some(state) = self.controller.partitions.get(tp) else { return 0 };
        state
            .replicas
            .iter()
            .map(|b| self.brokers.get(b).and_then(|s| s.disk().logs.get(tp)).map_or(0, |l| l.log_start_offset()))
            .min()
            .unwrap_or(0)
    }

    /// Drops acknowledged sends (with the failed ones before them) and readers' seen
    /// records whose offsets every replica has deleted. Returns how many were dropped.
    pub fn retire_history(&mut self) -> usize {
        // In key order already: the VecMap takes them as they come (no sort, no tree).
        let starts: crate::vecmap::VecMap<TopicPartition, i64> =
            self.controller.partitions.keys().map(|tp| (*tp, self.min_log_start_offset(tp))).collect();
        let start_of = |tp: &TopicPartition| starts.get(tp).copied().unwrap_or(0);
        // A send's partition is known once it was acknowledged; acks=0 has no offset.
        let mut dropped = self.producer.retire_front(|s| match (&s.outcome, s.partition) {
            (&SendOutcome::Acked { offset, .. }, Some(p)) => offset >= 0 && offset < start_of(&TopicPartition::new(&s.topic, p)),
            _ => false,
        });
        for r in self.readers.values_mut() {
            let start = start_of(&r.tp);
            let n = r.seen.iter().take_while(|x| x.offset < start).count();
            r.seen.drain(..n);
            r.seen_dropped += n;
            dropped += n;
        }
        dropped
    }
}
