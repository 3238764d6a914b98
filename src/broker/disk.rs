//! A broker's simulated disk: partition logs plus checkpoint files. This is
//! everything that survives a crash; the rest of a broker is volatile.
//!
//! Checkpoint files are written as Kafka writes them (temp file, fsync, atomic
//! rename), so they are durable the moment they are written. Log records are
//! durable only once flushed (by Kafka or by the OS writing back the page cache).

use crate::ids::TopicPartition;
use crate::log::PartitionLog;
use serde::Serialize;
use std::collections::BTreeMap;

pub const REPLICATION_OFFSET_CHECKPOINT: &str = "replication-offset-checkpoint";

#[derive(Debug, Clone, Default)]
pub struct Disk {
    pub logs: BTreeMap<TopicPartition, PartitionLog>,
    /// Durable text files by path (`replication-offset-checkpoint`, ...).
    pub files: BTreeMap<String, String>,
    /// The broker epoch written at a clean shutdown (Kafka's clean-shutdown file
    /// plus `previousBrokerEpoch`); `None` after a crash.
    pub clean_shutdown_broker_epoch: Option<i64>,
    /// A slow (or stalling) disk, the `slow_disk` fault: every write of fetched records by this
    /// broker's replica fetcher, and every produce request it appends, takes this long (0: a
    /// healthy disk). Hardware: it survives restarts.
    pub write_latency_ms: i64,
    /// Full or failed (the `disk_fault` fault, or `sim.log.dir.capacity.bytes` reached): the next
    /// write fails and takes the log directory offline (`log_dir_failure.rs`). Hardware: it
    /// survives restarts until the space is freed or the disk replaced.
    pub health: DiskHealth,
}

/// The state of the broker's one log directory's disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskHealth {
    #[default]
    Healthy,
    /// No space left on device: writes fail, reads work.
    Full,
    /// The device fails every I/O (reads too: a broker cannot even load its logs from it).
    Failed,
}

impl Disk {
    /// A power loss: the page cache is gone.
    pub fn lose_page_cache(&mut self, now_ms: i64) {
        for log in self.logs.values_mut() {
            log.lose_page_cache(now_ms);
        }
    }

    /// Bytes the partition logs take on this disk (their segments), for `sim.log.dir.capacity.bytes`.
    pub fn used_bytes(&self) -> u64 {
        self.logs.values().map(|l| l.size_in_bytes()).sum()
    }

    /// The `replication-offset-checkpoint` file: version, count, `topic partition hw`.
    pub fn write_hw_checkpoint(&mut self) {
        let mut s = format!("0\n{}\n", self.logs.len());
        for (tp, log) in &self.logs {
            s.push_str(&format!("{} {} {}\n", tp.topic, tp.partition, log.high_watermark()));
        }
        self.files.insert(REPLICATION_OFFSET_CHECKPOINT.to_string(), s);
    }

    /// Parses `replication-offset-checkpoint` (missing or malformed lines are skipped,
    /// as Kafka would start those partitions at HW 0).
    pub fn read_hw_checkpoint(&self) -> BTreeMap<TopicPartition, i64> {
        let mut m = BTreeMap::new();
        if let Some(s) = self.files.get(REPLICATION_OFFSET_CHECKPOINT) {
            for line in s.lines().skip(2) {
                let parts: Vec<&str> = line.split(' ').collect();
                if parts.len() == 3 {
                    if let (Ok(p), Ok(o)) = (parts[1].parse::<u32>(), parts[2].parse::<i64>()) {
                        m.insert(TopicPartition::new(parts[0], p), o);
                    }
                }
            }
        }
        m
    }

    /// All files as Kafka would lay them out in `log.dirs`, for views.
    pub fn listing(&self) -> BTreeMap<String, String> {
        let mut m = self.files.clone();
        for (tp, log) in &self.logs {
            m.insert(format!("{tp}/leader-epoch-checkpoint"), log.epoch_cache.to_checkpoint_file());
        }
        m
    }
}
