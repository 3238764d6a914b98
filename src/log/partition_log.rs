//! One replica's partition log on the simulated disk: Kafka's `UnifiedLog`
//! reduced to what replication needs (segments arrive with the storage issue).
//!
//! Durability: records below `durable_end_offset` have reached the disk (by a
//! Kafka flush or the OS writing back the page cache); the rest live only in
//! the page cache and are lost by a power loss. The high watermark is volatile
//! (as in Kafka, it is recovered from `replication-offset-checkpoint`).

use super::epoch_cache::LeaderEpochCache;
use super::record::{NewRecord, Record};
use crate::ids::TopicPartition;

#[derive(Debug, Clone)]
pub struct PartitionLog {
    pub tp: TopicPartition,
    records: Vec<Record>,
    log_start_offset: i64,
    log_end_offset: i64,
    durable_end_offset: i64,
    /// Kafka's recovery point: below it Kafka itself has fsynced.
    recovery_point: i64,
    pub epoch_cache: LeaderEpochCache,
    high_watermark: i64,
    unflushed_messages: i64,
    last_flush_ms: i64,
    /// Times records were removed from the end (truncation, power loss): lets checkers
    /// know when previously verified records may have changed.
    pub truncations: u64,
}

impl PartitionLog {
    pub fn new(tp: TopicPartition, now_ms: i64) -> PartitionLog {
        PartitionLog {
            tp,
            records: Vec::new(),
            log_start_offset: 0,
            log_end_offset: 0,
            durable_end_offset: 0,
            recovery_point: 0,
            epoch_cache: LeaderEpochCache::default(),
            high_watermark: 0,
            unflushed_messages: 0,
            last_flush_ms: now_ms,
            truncations: 0,
        }
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }
    pub fn durable_end_offset(&self) -> i64 {
        self.durable_end_offset
    }
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }
    pub fn records(&self) -> &[Record] {
        &self.records
    }
    pub fn latest_epoch(&self) -> Option<i32> {
        self.epoch_cache.latest_epoch()
    }
    pub fn unflushed_messages(&self) -> i64 {
        self.unflushed_messages
    }
    pub fn last_flush_ms(&self) -> i64 {
        self.last_flush_ms
    }

    /// Sets the HW, clamped to [log start, LEO] (`UnifiedLog.updateHighWatermark`).
    pub fn update_high_watermark(&mut self, hw: i64) -> i64 {
        let new = hw.clamp(self.log_start_offset, self.log_end_offset);
        self.high_watermark = new;
        new
    }

    /// Raises the HW only (`maybeIncrementHighWatermark`); returns whether it moved.
    pub fn maybe_increment_high_watermark(&mut self, hw: i64) -> bool {
        let hw = hw.min(self.log_end_offset);
        if hw > self.high_watermark {
            self.high_watermark = hw;
            true
        } else {
            false
        }
    }

    /// `appendAsLeader`: assigns offsets from the LEO, stamps `leader_epoch`,
    /// and records the epoch start in the epoch cache. Returns (first, last) offset.
    pub fn append_as_leader(&mut self, records: &[NewRecord], leader_epoch: i32, now_ms: i64) -> (i64, i64) {
        let first = self.log_end_offset;
        self.epoch_cache.assign(leader_epoch, first);
        for r in records {
            self.records.push(Record {
                offset: self.log_end_offset,
                leader_epoch,
                timestamp_ms: now_ms,
                key: r.key.clone(),
                value: r.value.clone(),
                write_id: r.write_id,
            });
            self.log_end_offset += 1;
        }
        self.unflushed_messages += records.len() as i64;
        (first, self.log_end_offset - 1)
    }

    /// `appendAsFollower`: keeps the leader's offsets and epochs.
    pub fn append_as_follower(&mut self, records: &[Record]) {
        for r in records {
            if r.offset < self.log_end_offset {
                continue; // already have it (duplicate response)
            }
            self.epoch_cache.assign(r.leader_epoch, r.offset);
            self.log_end_offset = r.offset + 1;
            self.records.push(r.clone());
            self.unflushed_messages += 1;
        }
    }

    /// Records in `[from, until)`, at most `max` of them.
    pub fn read(&self, from: i64, until: i64, max: usize) -> Vec<Record> {
        let start = self.records.partition_point(|r| r.offset < from);
        self.records[start..].iter().take_while(|r| r.offset < until).take(max).cloned().collect()
    }

    pub fn record_at(&self, offset: i64) -> Option<&Record> {
        self.records.binary_search_by_key(&offset, |r| r.offset).ok().map(|i| &self.records[i])
    }

    /// `UnifiedLog.truncateTo`: removes every record at or above `offset`.
    /// Returns how many records were removed.
    pub fn truncate_to(&mut self, offset: i64) -> usize {
        if offset >= self.log_end_offset {
            // No record moves, but epoch entries starting at or after the target are
            // still trimmed (an epoch this replica led without writing to it), or the
            // follower would keep sending that epoch as its lastFetchedEpoch.
            self.epoch_cache.truncate_from_end(offset);
            return 0;
        }
        let offset = offset.max(self.log_start_offset);
        let keep = self.records.partition_point(|r| r.offset < offset);
        let removed = self.records.len() - keep;
        self.records.truncate(keep);
        self.truncations += 1;
        self.log_end_offset = offset;
        self.durable_end_offset = self.durable_end_offset.min(offset);
        self.recovery_point = self.recovery_point.min(offset);
        self.high_watermark = self.high_watermark.min(offset);
        self.epoch_cache.truncate_from_end(offset);
        self.unflushed_messages = (self.log_end_offset - self.durable_end_offset).max(0);
        removed
    }

    /// `UnifiedLog.truncateFullyAndStartAt`: the follower is so far behind the
    /// leader's log start that it drops everything and starts there.
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) {
        self.truncations += 1;
        self.records.clear();
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.durable_end_offset = offset;
        self.recovery_point = offset;
        self.high_watermark = offset;
        self.epoch_cache.clear();
        self.unflushed_messages = 0;
    }

    /// `UnifiedLog.flush`: Kafka fsyncs the log up to the LEO.
    pub fn flush(&mut self, now_ms: i64) {
        self.durable_end_offset = self.log_end_offset;
        self.recovery_point = self.log_end_offset;
        self.unflushed_messages = 0;
        self.last_flush_ms = now_ms;
    }

    /// The operating system writes back dirty pages (not a Kafka flush: the
    /// recovery point does not move, but the bytes survive a power loss).
    pub fn os_writeback(&mut self) {
        self.durable_end_offset = self.log_end_offset;
    }

    /// Power loss: the page cache is gone; the log ends where the disk ends.
    /// `LogLoader` then truncates the epoch cache to the recovered end.
    pub fn lose_page_cache(&mut self) {
        let durable = self.durable_end_offset;
        if durable < self.log_end_offset {
            self.truncations += 1;
            let keep = self.records.partition_point(|r| r.offset < durable);
            self.records.truncate(keep);
            self.log_end_offset = durable.max(self.log_start_offset);
        }
        self.epoch_cache.truncate_from_end(self.log_end_offset);
        self.recovery_point = self.recovery_point.min(self.log_end_offset);
        self.unflushed_messages = 0;
    }

    /// What survives any restart: the HW is volatile and is reloaded from the
    /// checkpoint by the broker.
    pub fn reset_volatile(&mut self, checkpointed_hw: i64, now_ms: i64) {
        self.high_watermark = checkpointed_hw.clamp(self.log_start_offset, self.log_end_offset);
        self.last_flush_ms = now_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(n: u64) -> Vec<NewRecord> {
        (0..n).map(|i| NewRecord { key: None, value: Some(format!("v{i}").into()), write_id: i }).collect()
    }

    #[test]
    fn leader_append_assigns_offsets_and_epochs() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        assert_eq!(log.append_as_leader(&recs(3), 0, 10), (0, 2));
        assert_eq!(log.append_as_leader(&recs(2), 2, 20), (3, 4));
        assert_eq!(log.log_end_offset(), 5);
        assert_eq!(log.epoch_cache.end_offset_for(0, 5), (0, 3));
        assert_eq!(log.read(2, 4, 10).iter().map(|r| r.offset).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn power_loss_keeps_only_flushed_records() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.append_as_leader(&recs(3), 0, 0);
        log.flush(5);
        log.append_as_leader(&recs(2), 1, 6);
        log.lose_page_cache();
        assert_eq!(log.log_end_offset(), 3);
        assert_eq!(log.latest_epoch(), Some(0));
    }

    #[test]
    fn truncating_to_the_log_end_still_drops_an_empty_trailing_epoch() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.append_as_leader(&recs(3), 3, 0);
        log.epoch_cache.assign(5, 3); // led epoch 5 without writing in it
        assert_eq!(log.truncate_to(3), 0);
        assert_eq!(log.latest_epoch(), Some(3));
    }

    #[test]
    fn truncation_lowers_hw_and_epoch_cache() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.append_as_leader(&recs(3), 0, 0);
        log.append_as_leader(&recs(3), 1, 0);
        log.update_high_watermark(6);
        assert_eq!(log.truncate_to(2), 4);
        assert_eq!((log.log_end_offset(), log.high_watermark()), (2, 2));
        assert_eq!(log.latest_epoch(), Some(0));
    }
}
