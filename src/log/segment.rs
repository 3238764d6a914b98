//! Log segments: what Kafka's `LogSegment` tracks about a range of a partition
//! log, and the size model of Kafka's v2 record batches that byte-based configs
//! act on. The records themselves stay in the log's offset-ordered vector; a
//! segment is the metadata of `[base_offset, next segment's base)`.

use super::record::Record;
use serde::Serialize;

/// Kafka's v2 `RecordBatch` header: 61 bytes (`RECORD_BATCH_OVERHEAD`).
pub const BATCH_HEADER_BYTES: u64 = 61;
/// Offset index entry (relative offset + position) and time index entry sizes.
pub const OFFSET_INDEX_ENTRY_BYTES: u64 = 8;
pub const TIME_INDEX_ENTRY_BYTES: u64 = 12;

/// Bytes of a zig-zag varint holding `v` (Kafka's `ByteUtils.sizeOfVarint`).
pub fn varint_size(v: i64) -> u64 {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}

/// Size of one record inside a v2 batch (`DefaultRecord.sizeInBytes`): attributes (1),
/// timestamp delta and offset delta varints (1 each in this model), key and value with
/// their varint lengths (-1 for null), a header count (1), and the record's length varint.
pub fn record_size(key: Option<&str>, value: Option<&str>) -> u64 {
    let k = key.map(|k| k.len() as i64).unwrap_or(-1);
    let v = value.map(|v| v.len() as i64).unwrap_or(-1);
    let body = 1 + 1 + 1 + varint_size(k) + k.max(0) as u64 + varint_size(v) + v.max(0) as u64 + 1;
    body + varint_size(body as i64)
}

/// Bytes a new batch of records will occupy in the log (its header and records).
pub fn batch_size(records: &[super::record::NewRecord]) -> u64 {
    BATCH_HEADER_BYTES + records.iter().map(|r| record_size(r.key.as_deref(), r.value.as_deref())).sum::<u64>()
}

/// Bytes a record occupies in the log, counting its batch's header on the batch's first record.
pub fn stored_size(r: &Record) -> u64 {
    record_size(r.key.as_deref(), r.value.as_deref()) + if r.batch_start { BATCH_HEADER_BYTES } else { 0 }
}

/// The storage configs of one log (topic config over broker defaults), as `LogConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogConfig {
    pub segment_bytes: i64,
    pub segment_ms: i64,
    pub segment_jitter_ms: i64,
    pub segment_index_bytes: i64,
    pub index_interval_bytes: i64,
    /// -1: no time limit.
    pub retention_ms: i64,
    /// -1: no size limit.
    pub retention_bytes: i64,
    pub cleanup_delete: bool,
    pub cleanup_compact: bool,
    pub min_cleanable_dirty_ratio: f64,
    pub delete_retention_ms: i64,
    pub min_compaction_lag_ms: i64,
    pub max_compaction_lag_ms: i64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            segment_jitter_ms: 0,
            segment_index_bytes: 10_485_760,
            index_interval_bytes: 4_096,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            cleanup_delete: true,
            cleanup_compact: false,
            min_cleanable_dirty_ratio: 0.5,
            delete_retention_ms: 86_400_000,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: i64::MAX,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub base_offset: i64,
    /// Bytes in the `.log` file.
    pub size_bytes: u64,
    pub records: u64,
    /// Timestamp of the first record (`rollingBasedTimestamp`), once it has one.
    pub first_timestamp_ms: Option<i64>,
    pub largest_timestamp_ms: i64,
    /// When the segment file was created (simulated time).
    pub created_ms: i64,
    pub offset_index_entries: u64,
    pub time_index_entries: u64,
    bytes_since_index_entry: u64,
    /// Deterministic stand-in for `LogConfig.randomSegmentJitter`.
    pub roll_jitter_ms: i64,
}

impl Segment {
    pub fn new(base_offset: i64, created_ms: i64, roll_jitter_ms: i64) -> Segment {
        Segment {
            base_offset,
            size_bytes: 0,
            records: 0,
            first_timestamp_ms: None,
            largest_timestamp_ms: -1,
            created_ms,
            offset_index_entries: 0,
            time_index_entries: 0,
            bytes_since_index_entry: 0,
            roll_jitter_ms,
        }
    }

    /// Kafka's file names: the base offset zero-padded to 20 digits.
    pub fn file_name(&self, suffix: &str) -> String {
        format!("{:020}.{suffix}", self.base_offset)
    }

    /// Adds one stored record (`LogSegment.append`): size, timestamps, and a sparse index
    /// entry once more than `index.interval.bytes` were appended since the last one. As Kafka's
    /// `if (bytesSinceLastIndexEntry > indexIntervalBytes)`, checked before this record's bytes
    /// count, a segment's first record gets no entry (lookups below the first entry start at
    /// the segment's base position).
    pub fn add(&mut self, r: &Record, cfg: &LogConfig) {
        let size = stored_size(r);
        if self.bytes_since_index_entry > cfg.index_interval_bytes as u64 {
            self.offset_index_entries += 1;
            self.time_index_entries += 1;
            self.bytes_since_index_entry = 0;
        }
        self.bytes_since_index_entry += size;
        self.size_bytes += size;
        self.records += 1;
        if self.first_timestamp_ms.is_none() {
            self.first_timestamp_ms = Some(r.timestamp_ms);
        }
        self.largest_timestamp_ms = self.largest_timestamp_ms.max(r.timestamp_ms);
    }

    /// `LogSegment.shouldRoll` for a batch of `batch_bytes` whose records carry `batch_timestamp_ms`.
    pub fn should_roll(&self, batch_bytes: u64, batch_timestamp_ms: i64, cfg: &LogConfig) -> Option<&'static str> {
        if self.records == 0 {
            return None;
        }
        if self.size_bytes + batch_bytes > cfg.segment_bytes as u64 {
            return Some("segment.bytes");
        }
        if let Some(first) = self.first_timestamp_ms {
            if batch_timestamp_ms - first > cfg.segment_ms - self.roll_jitter_ms {
                return Some("segment.ms");
            }
        }
        let max_entries = (cfg.segment_index_bytes as u64 / OFFSET_INDEX_ENTRY_BYTES).max(1);
        if self.offset_index_entries >= max_entries {
            return Some("segment.index.bytes");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes_follow_the_v2_format_model() {
        // 1 attr + 1 ts delta + 1 offset delta + varint(3)=1 + 3 + varint(5)=1 + 5 + 1 header count = 14, + length varint 1
        assert_eq!(record_size(Some("abc"), Some("hello")), 15);
        // null key and null value (tombstone without key is not allowed in Kafka, but the model is defined)
        assert_eq!(record_size(None, None), 7);
        assert_eq!(varint_size(63), 1);
        assert_eq!(varint_size(64), 2);
        assert_eq!(varint_size(-1), 1);
    }

    #[test]
    fn file_names_are_twenty_digit_base_offsets() {
        let s = Segment::new(42, 0, 0);
        assert_eq!(s.file_name("log"), "00000000000000000042.log");
        assert_eq!(s.file_name("index"), "00000000000000000042.index");
        assert_eq!(s.file_name("timeindex"), "00000000000000000042.timeindex");
    }
}
