//! One replica's partition log on the simulated disk: Kafka's `UnifiedLog`
//! reduced to what replication needs (segments arrive with the storage issue).
//!
//! Durability: records below `durable_end_offset` have reached the disk (by a
//! Kafka flush or the OS writing back the page cache); the rest live only in
//! the page cache and are lost by a power loss. The high watermark is volatile
//! (as in Kafka, it is recovered from `replication-offset-checkpoint`).

use super::epoch_cache::LeaderEpochCache;
use super::producer_state::{BatchInfo, ProducerStateManager};
use super::record::{NewRecord, Record, RecordData};
use super::segment::{stored_size, LogConfig, Segment};
use crate::ids::TopicPartition;
use crate::pvec::PVec;

#[derive(Debug, Clone)]
pub struct PartitionLog {
    pub tp: TopicPartition,
    /// Shared chunks (`PVec`): a snapshot of the log copies pointers, not records.
    records: PVec<Record>,
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
    /// Segments by base offset; the last one is the active segment.
    segments: Vec<Segment>,
    pub config: LogConfig,
    /// Roll and deletion events since the owner last took them.
    events: Vec<String>,
    /// The cleaner checkpoint: records below it have been compacted (the "clean" head).
    pub cleaner_checkpoint: i64,
    /// When each surviving tombstone was first cleaned (it disappears `delete.retention.ms` later).
    tombstones_cleaned_at: std::collections::BTreeMap<i64, i64>,
    /// Idempotent producers' last batches (`ProducerStateManager`), rebuilt from the log
    /// after truncation and on recovery.
    pub producer_state: ProducerStateManager,
    /// Records this replica once held and lost from its end (truncation, power loss), newest
    /// last, for the page's "ghosts". Not Kafka state: nothing reads it but views.
    pub ghosts: Vec<Ghost>,
    /// What the cleaner's latest pass over this log removed, for the page's segments view.
    /// Not Kafka state (Kafka logs the same facts as `LogCleaner` stats): only views read it.
    pub last_cleaning: Option<CleaningPass>,
}

/// One pass of the log cleaner over a log, as the page shows it.
#[derive(Debug, Clone)]
pub struct CleaningPass {
    pub at_ms: i64,
    /// The cleaned range `[from, to)`: whole segments below the first uncleanable offset.
    pub from: i64,
    pub to: i64,
    pub records_before: usize,
    pub records_after: usize,
    /// The records removed (superseded by a later record of their key, or tombstones past
    /// `delete.retention.ms`), the first [`MAX_CLEANED_SHOWN`] of them.
    pub removed: Vec<Record>,
    pub removed_count: usize,
}

/// Most removed records a [`CleaningPass`] keeps for the view.
pub const MAX_CLEANED_SHOWN: usize = 64;

/// What a cleaning pass keeps of the cleanable records, and what it removes.
struct Retained {
    kept: Vec<Record>,
    /// Records with a later record of the same key.
    superseded: usize,
    /// Tombstones past `delete.retention.ms`.
    tombstones: usize,
    /// The first [`MAX_CLEANED_SHOWN`] records removed.
    shown: Vec<Record>,
}

/// Why records left a replica's log from its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GhostCause {
    /// `UnifiedLog.truncateTo` by the replica fetcher (diverging epoch, OFFSET_OUT_OF_RANGE)
    /// or the legacy high-watermark truncation.
    Truncated,
    /// The unflushed page cache was lost in a power failure.
    PowerLoss,
    /// Acknowledged by an earlier leader, never held by this one (it was elected without
    /// them, e.g. uncleanly): drawn on the current leader at the offsets now reused. Views only.
    NeverReplicated,
}

/// Records removed together from a replica's end.
#[derive(Debug, Clone)]
pub struct Ghost {
    pub cause: GhostCause,
    pub at_ms: i64,
    pub records: Vec<Record>,
}

/// Most ghost records a log remembers (older ones are forgotten first).
pub const MAX_GHOST_RECORDS: usize = 256;

/// The producer batches of `records` (idempotent ones only), in offset order.
fn producer_batches<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<BatchInfo> {
    let mut out: Vec<BatchInfo> = vec![];
    for r in records {
        if r.producer_id < 0 {
            continue;
        }
        match out.last_mut() {
            Some(b) if !r.batch_start && b.producer_id == r.producer_id && b.last_offset + 1 == r.offset => {
                b.last_offset = r.offset;
                b.last_sequence = r.sequence;
                b.timestamp_ms = b.timestamp_ms.max(r.timestamp_ms);
            }
            _ => out.push(BatchInfo {
                producer_id: r.producer_id,
                producer_epoch: r.producer_epoch,
                base_sequence: r.sequence,
                last_sequence: r.sequence,
                first_offset: r.offset,
                last_offset: r.offset,
                timestamp_ms: r.timestamp_ms,
            }),
        }
    }
    out
}

impl PartitionLog {
    pub fn new(tp: TopicPartition, now_ms: i64) -> PartitionLog {
        PartitionLog {
            tp,
            records: PVec::new(),
            log_start_offset: 0,
            log_end_offset: 0,
            durable_end_offset: 0,
            recovery_point: 0,
            epoch_cache: LeaderEpochCache::default(),
            high_watermark: 0,
            unflushed_messages: 0,
            last_flush_ms: now_ms,
            truncations: 0,
            segments: vec![Segment::new(0, now_ms, 0)],
            config: LogConfig::default(),
            events: vec![],
            cleaner_checkpoint: 0,
            tombstones_cleaned_at: std::collections::BTreeMap::new(),
            producer_state: ProducerStateManager::default(),
            ghosts: vec![],
            last_cleaning: None,
        }
    }

    /// Remembers records removed from the end (see `ghosts`).
    fn bury(&mut self, cause: GhostCause, at_ms: i64, records: Vec<Record>) {
        if records.is_empty() {
            return;
        }
        self.ghosts.push(Ghost { cause, at_ms, records });
        let mut total: usize = self.ghosts.iter().map(|g| g.records.len()).sum();
        while total > MAX_GHOST_RECORDS && self.ghosts.len() > 1 {
            total -= self.ghosts.remove(0).records.len();
        }
        if let Some(g) = self.ghosts.first_mut().filter(|g| g.records.len() > MAX_GHOST_RECORDS) {
            let extra = g.records.len() - MAX_GHOST_RECORDS;
            g.records.drain(..extra);
        }
    }

    /// Reloads the producer state from the log (`UnifiedLog.rebuildProducerState`).
    fn rebuild_producer_state(&mut self) {
        let batches = producer_batches(&self.records);
        self.producer_state = ProducerStateManager::rebuild(batches.iter());
    }

    /// End of the cleanable range (`LogCleanerManager.cleanableOffsets`): the first of the
    /// active segment's base, the HW, and the first record younger than `min.compaction.lag.ms`;
    /// rounded down to a segment boundary (only whole segments are cleaned).
    fn first_uncleanable_offset(&self, now_ms: i64) -> i64 {
        let active = self.segments.last().map(|s| s.base_offset).unwrap_or(self.log_end_offset);
        let mut end = active.min(self.high_watermark);
        if self.config.min_compaction_lag_ms > 0 {
            if let Some(r) = self.records.iter().find(|r| now_ms - r.timestamp_ms < self.config.min_compaction_lag_ms) {
                end = end.min(r.offset);
            }
        }
        // Round down to the start of the segment containing `end` (whole segments only).
        let idx = self.segments.partition_point(|s| s.base_offset <= end);
        if idx == 0 {
            return self.log_start_offset;
        }
        let seg = &self.segments[idx - 1];
        let next = self.segments.get(idx).map(|s| s.base_offset).unwrap_or(self.log_end_offset);
        if next <= end {
            next
        } else {
            seg.base_offset
        }
    }

    /// Bytes of all segments (what the log takes on disk).
    pub fn size_in_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.size_bytes).sum()
    }

    /// (dirty bytes, total bytes of the cleanable log) for the dirty ratio.
    pub fn dirty_stats(&self, now_ms: i64) -> (u64, u64, i64) {
        let end = self.first_uncleanable_offset(now_ms);
        let start = self.cleaner_checkpoint.max(self.log_start_offset);
        let mut clean = 0u64;
        let mut dirty = 0u64;
        for r in self.read(self.log_start_offset, end, usize::MAX) {
            if r.offset < start {
                clean += stored_size(&r);
            } else {
                dirty += stored_size(&r);
            }
        }
        (dirty, clean + dirty, end)
    }

    /// The dirty ratio the cleaner ranks logs by: dirty bytes / cleanable bytes.
    pub fn dirty_ratio(&self, now_ms: i64) -> f64 {
        let (dirty, total, _) = self.dirty_stats(now_ms);
        if total == 0 {
            0.0
        } else {
            dirty as f64 / total as f64
        }
    }

    /// Should the cleaner take this log now? The dirty ratio reached
    /// `min.cleanable.dirty.ratio`, or a dirty record waited longer than `max.compaction.lag.ms`.
    pub fn needs_cleaning(&self, now_ms: i64) -> bool {
        if !self.config.cleanup_compact {
            return false;
        }
        let (dirty, total, end) = self.dirty_stats(now_ms);
        if dirty == 0 || total == 0 {
            return false;
        }
        let overdue = self.config.max_compaction_lag_ms < i64::MAX / 2
            && self
                .read(self.cleaner_checkpoint.max(self.log_start_offset), end, 1)
                .first()
                .is_some_and(|r| now_ms - r.timestamp_ms > self.config.max_compaction_lag_ms);
        // LogCleanerManager.grabFilthiestCompactedLog: `cleanableRatio > minCleanableRatio` (strictly).
        dirty as f64 / total as f64 > self.config.min_cleanable_dirty_ratio || overdue
    }

    /// One cleaning pass (`Cleaner.clean`): over the whole segments below the first uncleanable
    /// offset, keep the last record of every key (offsets stay; gaps appear), keep tombstones for
    /// `delete.retention.ms` after they were first cleaned, regroup small segments up to
    /// `segment.bytes`, and move the cleaner checkpoint. Returns the number of records removed.
    pub fn clean(&mut self, now_ms: i64) -> usize {
        let end = self.first_uncleanable_offset(now_ms);
        let start = self.log_start_offset;
        if end <= start {
            return 0;
        }
        let lo = self.position(start);
        let hi = self.position(end);
        let last = self.build_offset_map(lo, hi);
        let Retained { kept, superseded, tombstones, shown } = self.retain_records(now_ms, lo, hi, &last);
        let removed = superseded + tombstones;
        let (mut grouped, before_segments) = self.group_segments_by_size(end, &kept);
        let before_records = hi - lo;
        self.records.splice(lo..hi, kept);
        grouped.append(&mut self.segments);
        self.segments = grouped;
        self.cleaner_checkpoint = end;
        self.last_cleaning = Some(CleaningPass {
            at_ms: now_ms,
            from: start,
            to: end,
            records_before: before_records,
            records_after: before_records - removed,
            removed: shown,
            removed_count: removed,
        });
        self.truncations += 1; // records changed below the HW: checkers re-verify
        self.events.push(format!(
            "cleaner compacts {} offsets [{start}, {end}): {before_records} → {} records ({superseded} superseded, {tombstones} tombstones removed), {before_segments} → {} segment(s); cleaner checkpoint {end}",
            self.tp,
            before_records - removed,
            self.segments.iter().filter(|s| s.base_offset < end).count()
        ));
        removed
    }

    /// `Cleaner.buildOffsetMap`: the last offset of each key among records `lo..hi`.
    fn build_offset_map(&self, lo: usize, hi: usize) -> std::collections::BTreeMap<std::rc::Rc<str>, i64> {
        let mut last: std::collections::BTreeMap<std::rc::Rc<str>, i64> = std::collections::BTreeMap::new();
        for r in self.records.range(lo..hi) {
            if let Some(k) = &r.key {
                last.insert(k.clone(), r.offset);
            }
        }
        last
    }

    /// `Cleaner.cleanInto` over records `lo..hi`: a record is kept when it is its key's last
    /// (`last`) and not a tombstone past `delete.retention.ms` since its first cleaning
    /// (`shouldRetainRecord`).
    fn retain_records(&mut self, now_ms: i64, lo: usize, hi: usize, last: &std::collections::BTreeMap<std::rc::Rc<str>, i64>) -> Retained {
        let mut kept: Vec<Record> = Vec::with_capacity(hi - lo);
        let (mut superseded, mut tombstones) = (0usize, 0usize);
        let mut shown: Vec<Record> = vec![];
        for r in self.records.range(lo..hi) {
            let latest = r.key.as_ref().map(|k| last.get(k) == Some(&r.offset)).unwrap_or(true);
            if !latest {
                superseded += 1;
                self.tombstones_cleaned_at.remove(&r.offset);
                if shown.len() < MAX_CLEANED_SHOWN {
                    shown.push(r.clone());
                }
                continue;
            }
            if r.value.is_none() {
                let first = *self.tombstones_cleaned_at.entry(r.offset).or_insert(now_ms);
                // The first clean stamps the batch's deleteHorizonMs = now + delete.retention.ms;
                // a later clean drops the tombstone once now >= that horizon
                // (LogCleaner.shouldRetainRecord keeps it while currentTime < deleteHorizonMs).
                if now_ms - first >= self.config.delete_retention_ms {
                    tombstones += 1;
                    self.tombstones_cleaned_at.remove(&r.offset);
                    if shown.len() < MAX_CLEANED_SHOWN {
                        shown.push(r.clone());
                    }
                    continue;
                }
            }
            kept.push(r.clone());
        }
        Retained { kept, superseded, tombstones, shown }
    }

    /// `Cleaner.groupSegmentsBySize`: the segments below `end` are taken out and their kept
    /// records regrouped into segments of up to `segment.bytes`. Returns the new segments and
    /// how many there were.
    fn group_segments_by_size(&mut self, end: i64, kept: &[Record]) -> (Vec<Segment>, usize) {
        let cfg = self.config;
        let old_count = self.segments.iter().filter(|s| s.base_offset < end).count();
        let old: Vec<Segment> = self.segments.drain(..old_count).collect();
        let mut grouped: Vec<Segment> = vec![];
        let mut k = 0;
        for (i, seg) in old.iter().enumerate() {
            let upper = old.get(i + 1).map(|s| s.base_offset).unwrap_or(end);
            let mine: Vec<&Record> = kept[k..].iter().take_while(|r| r.offset < upper).collect();
            k += mine.len();
            let bytes: u64 = mine.iter().map(|r| stored_size(r)).sum();
            let fits = grouped.last().is_some_and(|g: &Segment| g.size_bytes + bytes <= cfg.segment_bytes as u64);
            if !fits {
                grouped.push(Segment::new(seg.base_offset, seg.created_ms, seg.roll_jitter_ms));
            }
            let g = grouped.last_mut().unwrap();
            for r in mine {
                g.add(r, &cfg);
            }
        }
        (grouped, old.len())
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Events (rolls, deletions) since the last call.
    pub fn take_events(&mut self) -> Vec<String> {
        std::mem::take(&mut self.events)
    }

    /// A deterministic stand-in for Kafka's random `segment.jitter.ms` per segment.
    fn jitter_for(&self, base_offset: i64) -> i64 {
        let j = self.config.segment_jitter_ms;
        if j <= 0 {
            return 0;
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.tp.to_string().bytes().chain(base_offset.to_le_bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
        (h % j as u64) as i64
    }

    /// `UnifiedLog.roll`: a new active segment starts at `leo`, the next offset to be stored.
    fn roll(&mut self, now_ms: i64, reason: &str, leo: i64) {
        if self.segments.last().is_some_and(|s| s.base_offset == leo) {
            return; // already an empty active segment at the LEO
        }
        let old = self.segments.last().unwrap();
        self.events.push(format!(
            "rolls {} segment {} ({} records, {} bytes; {reason}) → new active segment {:020}.log",
            self.tp,
            old.file_name("log"),
            old.records,
            old.size_bytes,
            leo
        ));
        let jitter = self.jitter_for(leo);
        self.segments.push(Segment::new(leo, now_ms, jitter));
    }

    /// Appends records to the active segment, rolling first when a batch would not fit
    /// (`LogSegment.shouldRoll`). Batches are delimited by `batch_start`.
    /// Stores appended records in segments. `one_append`: a follower's whole fetch chunk, one
    /// roll decision; otherwise (the leader) one decision per batch.
    fn store(&mut self, records: Vec<Record>, now_ms: i64, one_append: bool) {
        let cfg = self.config;
        if one_append && !records.is_empty() {
            // A follower appends a fetch response's records of a partition in one call
            // (appendRecordsToFollowerOrFutureReplica → UnifiedLog.append), which decides once
            // whether to roll (maybeRoll with the whole chunk's size): a catching-up follower's
            // segment may grow past segment.bytes, and its segments need not match the leader's.
            let bytes: u64 = records.iter().map(stored_size).sum();
            let ts = records.iter().map(|r| r.timestamp_ms).max().unwrap_or(now_ms);
            if let Some(reason) = self.segments.last().unwrap().should_roll(bytes, ts, &cfg) {
                self.roll(now_ms, reason, records[0].offset);
            }
            for r in &records {
                self.segments.last_mut().unwrap().add(r, &cfg);
            }
            self.records.extend(records);
            return;
        }
        let mut i = 0;
        while i < records.len() {
            let mut j = i + 1;
            while j < records.len() && !records[j].batch_start {
                j += 1;
            }
            let bytes: u64 = records[i..j].iter().map(stored_size).sum();
            let ts = records[i..j].iter().map(|r| r.timestamp_ms).max().unwrap_or(now_ms);
            if let Some(reason) = self.segments.last().unwrap().should_roll(bytes, ts, &cfg) {
                self.roll(now_ms, reason, records[i].offset);
            }
            for r in &records[i..j] {
                self.segments.last_mut().unwrap().add(r, &cfg);
            }
            i = j;
        }
        self.records.extend(records);
    }

    /// Recomputes the segments after records were removed from the end.
    fn rebuild_tail_segments(&mut self, now_ms: i64) {
        let end = self.log_end_offset;
        while self.segments.len() > 1 && self.segments.last().unwrap().base_offset >= end {
            self.segments.pop();
        }
        if self.segments.is_empty() || self.segments[0].base_offset > end {
            self.segments = vec![Segment::new(end, now_ms, 0)];
        }
        let cfg = self.config;
        let last = self.segments.last_mut().unwrap();
        let mut fresh = Segment::new(last.base_offset, last.created_ms, last.roll_jitter_ms);
        let start = self.records.partition_point(|r| r.offset < fresh.base_offset);
        for r in self.records.range(start..self.records.len()) {
            fresh.add(r, &cfg);
        }
        *last = fresh;
    }

    /// `UnifiedLog.deleteOldSegments` (cleanup.policy includes delete): first segments whose
    /// newest record is older than `retention.ms`, then oldest segments while the log is
    /// larger than `retention.bytes`. Only segments wholly below the high watermark; when
    /// every segment would go, an empty active segment is rolled first. Returns the number
    /// of segments deleted.
    pub fn delete_old_segments(&mut self, now_ms: i64) -> usize {
        let cfg = self.config;
        // deleteLogStartOffsetBreachedSegments, for every cleanup policy: segments wholly below
        // the log start offset (raised by the leader's, see `maybe_increment_log_start_offset`).
        let lso = self.log_start_offset;
        let mut deleted = self.delete_prefix(now_ms, "below the log start offset", |_, next_base| next_base <= lso);
        if !cfg.cleanup_delete {
            return deleted;
        }
        // retention.ms
        if cfg.retention_ms >= 0 {
            deleted += self.delete_prefix(now_ms, "retention.ms", |seg, _| now_ms - seg.largest_timestamp_ms > cfg.retention_ms);
        }
        // retention.bytes
        if cfg.retention_bytes >= 0 {
            let total: u64 = self.segments.iter().map(|s| s.size_bytes).sum();
            let mut diff = total as i64 - cfg.retention_bytes;
            deleted += self.delete_prefix(now_ms, "retention.bytes", |seg, _| {
                if diff - seg.size_bytes as i64 >= 0 {
                    diff -= seg.size_bytes as i64;
                    true
                } else {
                    false
                }
            });
        }
        deleted
    }

    /// Deletes the longest prefix of segments `pred(segment, next segment's base offset)` accepts.
    fn delete_prefix(&mut self, now_ms: i64, reason: &str, mut pred: impl FnMut(&Segment, i64) -> bool) -> usize {
        let hw = self.high_watermark;
        let n = self.segments.len();
        let mut count = 0;
        for i in 0..n {
            let seg = &self.segments[i];
            let upper = if i + 1 < n { self.segments[i + 1].base_offset } else { self.log_end_offset };
            if seg.records == 0 || upper > hw || !pred(seg, upper) {
                break;
            }
            count += 1;
        }
        if count == 0 {
            return 0;
        }
        if count == n {
            self.roll(now_ms, "every segment is deletable", self.log_end_offset);
        }
        let gone: Vec<Segment> = self.segments.drain(..count).collect();
        let new_start = self.segments[0].base_offset.max(self.log_start_offset);
        for seg in &gone {
            self.events.push(format!(
                "deletes segment {} of {} ({} records, {} bytes): {reason}",
                seg.file_name("log"),
                self.tp,
                seg.records,
                seg.size_bytes
            ));
        }
        let keep_from = self.records.partition_point(|r| r.offset < self.segments[0].base_offset);
        self.records.drop_front(keep_from);
        if new_start != self.log_start_offset {
            self.events.push(format!("{}: log start offset {} → {new_start}", self.tp, self.log_start_offset));
            self.log_start_offset = new_start;
            self.epoch_cache.truncate_from_start(new_start);
        }
        count
    }

    /// `UnifiedLog.maybeIncrementLogStartOffset(offset, ClientRecordDeletion)` on the leader
    /// (`kafka-delete-records.sh`): `Err` with the high watermark when `offset` is above it
    /// (OffsetOutOfRangeException); a start at or below the current one changes nothing.
    pub fn delete_records_below(&mut self, offset: i64) -> Result<bool, i64> {
        if offset > self.high_watermark {
            return Err(self.high_watermark);
        }
        if offset <= self.log_start_offset {
            return Ok(false);
        }
        self.events.push(format!(
            "{}: log start offset {} → {offset} (DeleteRecords; its segments below go at the next retention check)",
            self.tp, self.log_start_offset
        ));
        self.log_start_offset = offset;
        self.epoch_cache.truncate_from_start(offset);
        Ok(true)
    }

    /// `UnifiedLog.maybeIncrementLogStartOffset(leaderLogStartOffset, LeaderOffsetIncremented)`,
    /// as a follower does after each fetch response (`ReplicaFetcherThread.processPartitionData`):
    /// the log start offset only moves up, never past the high watermark; the segments below it
    /// are deleted later by the retention task (or the cleaner, for compacted logs).
    pub fn maybe_increment_log_start_offset(&mut self, new_start: i64) -> bool {
        if new_start <= self.log_start_offset || new_start > self.high_watermark {
            return false;
        }
        self.events.push(format!(
            "{}: log start offset {} → {new_start} (the leader's; its segments below go at the next retention check)",
            self.tp, self.log_start_offset
        ));
        self.log_start_offset = new_start;
        self.epoch_cache.truncate_from_start(new_start);
        true
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
    /// Every record held, in offset order (`iter`, `range`, `len`, indexing).
    pub fn records(&self) -> &PVec<Record> {
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
            debug_assert!(self.high_watermark <= self.log_end_offset, "HW {} above LEO {}", self.high_watermark, self.log_end_offset);
            true
        } else {
            false
        }
    }

    /// `appendAsLeader`: assigns offsets from the LEO, stamps `leader_epoch`,
    /// and records the epoch start in the epoch cache. Returns (first, last) offset.
    pub fn append_as_leader(&mut self, records: &[NewRecord], leader_epoch: i32, now_ms: i64) -> (i64, i64) {
        self.append_as_leader_batch(records, leader_epoch, now_ms, -1, -1, -1)
    }

    /// `appendAsLeader` of one producer batch with its header's producer id, epoch and base
    /// sequence (-1s without idempotence); updates the producer state.
    pub fn append_as_leader_batch(
        &mut self,
        records: &[NewRecord],
        leader_epoch: i32,
        now_ms: i64,
        producer_id: i64,
        producer_epoch: i16,
        base_sequence: i32,
    ) -> (i64, i64) {
        let first = self.log_end_offset;
        self.epoch_cache.assign(leader_epoch, first);
        let batch: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Record::new(RecordData {
                    offset: first + i as i64,
                    leader_epoch,
                    timestamp_ms: now_ms,
                    key: r.key.clone(),
                    value: r.value.clone(),
                    batch_start: i == 0,
                    write_id: r.write_id,
                    producer_id,
                    producer_epoch,
                    sequence: if base_sequence < 0 { -1 } else { ((base_sequence as i64 + i as i64) % (i32::MAX as i64 + 1)) as i32 },
                })
            })
            .collect();
        if producer_id >= 0 && !batch.is_empty() {
            self.producer_state.update(&BatchInfo {
                producer_id,
                producer_epoch,
                base_sequence,
                last_sequence: batch.last().unwrap().sequence,
                first_offset: first,
                last_offset: first + batch.len() as i64 - 1,
                timestamp_ms: now_ms,
            });
        }
        self.log_end_offset += records.len() as i64;
        self.unflushed_messages += records.len() as i64;
        self.store(batch, now_ms, false);
        (first, self.log_end_offset - 1)
    }

    /// `appendAsFollower`: keeps the leader's offsets and epochs.
    pub fn append_as_follower(&mut self, records: &[Record], now_ms: i64) {
        let mut fresh = Vec::with_capacity(records.len());
        for r in records {
            if r.offset < self.log_end_offset {
                continue; // already have it (duplicate response)
            }
            self.epoch_cache.assign(r.leader_epoch, r.offset);
            self.log_end_offset = r.offset + 1;
            fresh.push(r.clone());
            self.unflushed_messages += 1;
        }
        if let Some(first) = fresh.first_mut().filter(|r| !r.batch_start) {
            // A fetch may start inside a batch (after truncation): count its header here.
            first.make_mut().batch_start = true;
        }
        // The follower replays the batches' producer state (origin REPLICATION: no validation).
        for b in producer_batches(&fresh) {
            self.producer_state.update(&b);
        }
        self.store(fresh, now_ms, true);
    }

    /// The index of the first record at or above `offset` (`records.len()` when none is).
    /// Offsets are strictly increasing and, until the cleaner removes some, consecutive: the
    /// record at `offset - first offset` is tried first, a binary search otherwise.
    pub(crate) fn position(&self, offset: i64) -> usize {
        let (Some(first), Some(last)) = (self.records.first(), self.records.last()) else { return 0 };
        if offset <= first.offset {
            return 0;
        }
        if offset > last.offset {
            return self.records.len();
        }
        let guess = (offset - first.offset) as usize;
        if self.records.get(guess).is_some_and(|r| r.offset == offset) {
            return guess;
        }
        self.records.partition_point(|r| r.offset < offset)
    }

    /// Records in `[from, until)`, at most `max` of them.
    pub fn read(&self, from: i64, until: i64, max: usize) -> Vec<Record> {
        self.records_in(from, until).take(max).cloned().collect()
    }

    /// The records at offsets `from..until`, borrowed (what `read` copies).
    pub fn records_in(&self, from: i64, until: i64) -> impl Iterator<Item = &Record> {
        let start = self.position(from);
        self.records.range(start..self.records.len()).take_while(move |r| r.offset < until)
    }

    pub fn record_at(&self, offset: i64) -> Option<&Record> {
        self.records.get(self.position(offset)).filter(|r| r.offset == offset)
    }

    /// `UnifiedLog.truncateTo`: removes every record at or above `offset`.
    /// Returns how many records were removed.
    pub fn truncate_to(&mut self, offset: i64, now_ms: i64) -> usize {
        if offset >= self.log_end_offset {
            // No record moves, but epoch entries starting at or after the target are
            // still trimmed (an epoch this replica led without writing to it), or the
            // follower would keep sending that epoch as its lastFetchedEpoch.
            self.epoch_cache.truncate_from_end(offset);
            return 0;
        }
        let offset = offset.max(self.log_start_offset);
        let keep = self.position(offset);
        let removed = self.records.len() - keep;
        let gone = self.records.split_off(keep);
        self.bury(GhostCause::Truncated, now_ms, gone);
        self.truncations += 1;
        self.log_end_offset = offset;
        self.durable_end_offset = self.durable_end_offset.min(offset);
        self.recovery_point = self.recovery_point.min(offset);
        self.high_watermark = self.high_watermark.min(offset);
        self.epoch_cache.truncate_from_end(offset);
        self.unflushed_messages = (self.log_end_offset - self.durable_end_offset).max(0);
        self.rebuild_tail_segments(self.last_flush_ms);
        self.rebuild_producer_state();
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
        self.segments = vec![Segment::new(offset, self.last_flush_ms, 0)];
        self.producer_state = ProducerStateManager::default();
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
    pub fn lose_page_cache(&mut self, now_ms: i64) {
        let durable = self.durable_end_offset;
        if durable < self.log_end_offset {
            self.truncations += 1;
            let keep = self.position(durable);
            let gone = self.records.split_off(keep);
            self.bury(GhostCause::PowerLoss, now_ms, gone);
            self.log_end_offset = durable.max(self.log_start_offset);
        }
        self.epoch_cache.truncate_from_end(self.log_end_offset);
        self.recovery_point = self.recovery_point.min(self.log_end_offset);
        self.unflushed_messages = 0;
        self.rebuild_tail_segments(self.last_flush_ms);
        self.rebuild_producer_state();
    }

    /// What survives any restart: the HW is volatile and is reloaded from the
    /// checkpoint by the broker.
    pub fn reset_volatile(&mut self, checkpointed_hw: i64, now_ms: i64) {
        self.high_watermark = checkpointed_hw.clamp(self.log_start_offset, self.log_end_offset);
        self.last_flush_ms = now_ms;
        // Log recovery reloads the producer state (Kafka: from snapshots plus the log tail).
        self.rebuild_producer_state();
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

    /// `position` finds what a binary search finds, with consecutive offsets and with the gaps
    /// the cleaner leaves.
    #[test]
    fn position_agrees_with_a_binary_search_before_and_after_cleaning() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.config = LogConfig { segment_bytes: 2048, cleanup_delete: false, cleanup_compact: true, ..LogConfig::default() };
        for i in 0..600u64 {
            let key: std::rc::Rc<str> = format!("k{}", i % 7).into();
            log.append_as_leader(&[NewRecord { key: Some(key), value: Some("v".into()), write_id: i }], 0, 0);
        }
        log.update_high_watermark(log.log_end_offset());
        for cleaned in [false, true] {
            if cleaned {
                assert!(log.clean(1) > 0, "the cleaner left gaps");
            }
            for offset in -2..log.log_end_offset() + 3 {
                assert_eq!(log.position(offset), log.records.partition_point(|r| r.offset < offset), "offset {offset}, cleaned {cleaned}");
            }
        }
    }

    #[test]
    fn power_loss_keeps_only_flushed_records() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.append_as_leader(&recs(3), 0, 0);
        log.flush(5);
        log.append_as_leader(&recs(2), 1, 6);
        log.lose_page_cache(0);
        assert_eq!(log.log_end_offset(), 3);
        assert_eq!(log.latest_epoch(), Some(0));
    }

    #[test]
    fn truncating_to_the_log_end_still_drops_an_empty_trailing_epoch() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.append_as_leader(&recs(3), 3, 0);
        log.epoch_cache.assign(5, 3); // led epoch 5 without writing in it
        assert_eq!(log.truncate_to(3, 0), 0);
        assert_eq!(log.latest_epoch(), Some(3));
    }

    #[test]
    fn truncation_lowers_hw_and_epoch_cache() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.append_as_leader(&recs(3), 0, 0);
        log.append_as_leader(&recs(3), 1, 0);
        log.update_high_watermark(6);
        assert_eq!(log.truncate_to(2, 0), 4);
        assert_eq!((log.log_end_offset(), log.high_watermark()), (2, 2));
        assert_eq!(log.latest_epoch(), Some(0));
    }

    fn keyed(key: &str, value: Option<&str>, id: u64) -> Vec<NewRecord> {
        vec![NewRecord { key: Some(key.into()), value: value.map(|v| v.into()), write_id: id }]
    }

    fn compacted_log() -> PartitionLog {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.config.cleanup_compact = true;
        log.config.cleanup_delete = false;
        log.config.segment_bytes = 60;
        log.config.delete_retention_ms = 1_000;
        log
    }

    #[test]
    fn the_cleaner_takes_a_log_only_when_its_dirty_ratio_is_strictly_above_min_cleanable_dirty_ratio() {
        // LogCleanerManager.grabFilthiestCompactedLog: cleanableRatio > minCleanableRatio.
        let mut log = compacted_log();
        for i in 0..12 {
            log.append_as_leader(&keyed(&format!("k{}", i % 3), Some("v"), i), 0, 0);
        }
        log.update_high_watermark(log.log_end_offset());
        let ratio = log.dirty_ratio(0);
        assert!(ratio > 0.0);
        log.config.min_cleanable_dirty_ratio = ratio;
        assert!(!log.needs_cleaning(0), "a ratio equal to min.cleanable.dirty.ratio is not enough");
        log.config.min_cleanable_dirty_ratio = ratio - 0.01;
        assert!(log.needs_cleaning(0));
    }

    #[test]
    fn a_tombstone_is_removed_by_the_first_clean_at_or_after_delete_retention_ms_from_its_first_clean() {
        // LogCleaner.shouldRetainRecord keeps a tombstone while currentTime < deleteHorizonMs.
        let mut log = compacted_log();
        log.append_as_leader(&keyed("a", Some("v"), 0), 0, 0);
        log.append_as_leader(&keyed("a", None, 1), 0, 0);
        for i in 0..6 {
            log.append_as_leader(&keyed(&format!("b{i}"), Some("v"), 2 + i), 0, 0);
        }
        log.update_high_watermark(log.log_end_offset());
        log.clean(10_000);
        assert!(log.record_at(1).is_some(), "the first clean keeps the tombstone");
        log.clean(10_999);
        assert!(log.record_at(1).is_some(), "kept before the horizon");
        log.clean(11_000);
        assert!(log.record_at(1).is_none(), "removed at the horizon (now >= first clean + delete.retention.ms)");
    }

    #[test]
    fn an_offset_index_entry_is_written_only_after_more_than_index_interval_bytes() {
        // LogSegment.append: `if (bytesSinceLastIndexEntry > indexIntervalBytes)`, checked before
        // the appended bytes count: a small segment has no index entry at all.
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.config.index_interval_bytes = 100;
        log.append_as_leader(&recs(1), 0, 0);
        assert_eq!(log.segments()[0].offset_index_entries, 0);
        let mut n = 1;
        while log.segments()[0].size_bytes <= 100 {
            log.append_as_leader(&recs(1), 0, 0);
            n += 1;
        }
        assert_eq!(log.segments()[0].offset_index_entries, 0, "{n} records, exactly past 100 bytes: not yet");
        log.append_as_leader(&recs(1), 0, 0);
        assert_eq!(log.segments()[0].offset_index_entries, 1);
    }

    #[test]
    fn a_follower_decides_once_per_fetched_chunk_whether_to_roll_so_its_segment_may_exceed_segment_bytes() {
        // UnifiedLog.append → maybeRoll(validRecords.sizeInBytes) once per append call.
        let mut leader = PartitionLog::new(TopicPartition::new("t", 0), 0);
        leader.config.segment_bytes = 200;
        for i in 0..10 {
            leader.append_as_leader(&recs(1), 0, i);
        }
        assert!(leader.segments().len() > 2, "the leader rolls between its batches");
        let mut follower = PartitionLog::new(TopicPartition::new("t", 0), 0);
        follower.config.segment_bytes = 200;
        follower.append_as_follower(&leader.read(0, 10, 100), 20);
        assert_eq!(follower.segments().len(), 1, "one chunk, one roll decision");
        assert!(follower.segments()[0].size_bytes > 200, "{} bytes", follower.segments()[0].size_bytes);
        follower.append_as_follower(&leader.read(0, 10, 100), 20);
        assert_eq!(follower.log_end_offset(), 10);
    }

    #[test]
    fn a_follower_raises_its_log_start_offset_to_the_leaders_but_never_past_its_high_watermark() {
        let mut log = PartitionLog::new(TopicPartition::new("t", 0), 0);
        log.append_as_leader(&recs(10), 0, 0);
        log.update_high_watermark(6);
        assert!(!log.maybe_increment_log_start_offset(7), "beyond the HW");
        assert!(log.maybe_increment_log_start_offset(4));
        assert_eq!(log.log_start_offset(), 4);
        assert!(!log.maybe_increment_log_start_offset(2), "never down");
        assert_eq!(log.segments()[0].base_offset, 0, "its segments stay until the next retention check");
        log.delete_old_segments(0);
        assert_eq!(log.log_start_offset(), 4);
    }
}
