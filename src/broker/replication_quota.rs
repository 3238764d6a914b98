//! Replication throttles (`ReplicationQuotaManager`, KIP-73), what `kafka-reassign-partitions.sh
//! --throttle` sets: a broker's `leader.replication.throttled.rate` and
//! `follower.replication.throttled.rate` (bytes/s) bound the replication traffic of the replicas a
//! topic lists in `leader.replication.throttled.replicas` / `follower.replication.throttled.replicas`
//! (`partition:broker,...` or `*`).
//!
//! Rules followed (Kafka 4.x):
//! - The rate is Kafka's `Rate` over `replication.quota.window.num` = 11 samples of
//!   `replication.quota.window.size.seconds` = 1 s (`SampledStat`): bytes in the live samples
//!   divided by the time since the oldest one started, counted as at least 10 s
//!   (`Rate.windowSize`). So a new throttle lets about ten seconds' worth of bytes through at once,
//!   then the traffic runs at the rate.
//! - Every byte of a throttled partition is recorded, in sync or not: by the leader when it answers
//!   a follower's fetch (`KafkaApis.sizeOfThrottledPartitions`), by the follower when it appends
//!   (`ReplicaFetcherThread.processPartitionData`).
//! - Only a replica that is *not in sync* is held back, while the rate is above the bound: the
//!   leader answers its fetch without records (`ReplicaManager.shouldLeaderThrottle`: not in the ISR),
//!   the follower leaves the partition out of its fetch (`shouldFollowerThrottle`: its last fetch
//!   left it behind the leader's high watermark). In-sync replicas are never slowed, so a throttle
//!   does not shrink the ISR by itself; a replica that falls behind for another reason is held back
//!   and may then stay out of the ISR.

use crate::ids::{BrokerId, Topic, TopicPartition};
use serde::Serialize;

/// `replication.quota.window.num`.
pub const QUOTA_WINDOW_NUM: usize = 11;
/// `replication.quota.window.size.seconds`, in ms.
pub const QUOTA_WINDOW_MS: i64 = 1000;
/// No throttle (`Long.MAX_VALUE` bytes/s, `ReplicationQuotaManagerConfig.QUOTA_BYTES_PER_SECOND_DEFAULT`).
pub const UNTHROTTLED: i64 = i64::MAX;

/// A `Rate` sensor: sampled bytes over a sliding window of one-second samples.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplicationQuota {
    /// (window start, bytes) per sample, as `SampledStat.samples`.
    samples: Vec<(i64, u64)>,
    current: usize,
}

impl ReplicationQuota {
    /// `SampledStat.purgeObsoleteSamples`: a sample older than the whole window starts over now.
    fn purge(&mut self, now_ms: i64) {
        let expire = QUOTA_WINDOW_NUM as i64 * QUOTA_WINDOW_MS;
        for s in &mut self.samples {
            if now_ms - s.0 >= expire {
                *s = (now_ms, 0);
            }
        }
    }

    /// `SampledStat.record`: into the current sample, or a new one once it is a window old.
    pub fn record(&mut self, now_ms: i64, bytes: u64) {
        if self.samples.is_empty() {
            self.samples.push((now_ms, 0));
            self.current = 0;
        }
        if now_ms - self.samples[self.current].0 >= QUOTA_WINDOW_MS {
            self.current = (self.current + 1) % QUOTA_WINDOW_NUM;
            if self.current >= self.samples.len() {
                self.samples.push((now_ms, 0));
            } else {
                self.samples[self.current] = (now_ms, 0);
            }
        }
        self.samples[self.current].1 += bytes;
    }

    /// `Rate.measure` in bytes/s.
    pub fn rate(&mut self, now_ms: i64) -> f64 {
        self.purge(now_ms);
        if self.samples.is_empty() {
            return 0.0;
        }
        let total: u64 = self.samples.iter().map(|s| s.1).sum();
        let oldest = self.samples.iter().map(|s| s.0).min().unwrap_or(now_ms);
        let mut elapsed = now_ms - oldest;
        let full = elapsed / QUOTA_WINDOW_MS;
        let min_full = QUOTA_WINDOW_NUM as i64 - 1;
        if full < min_full {
            elapsed += (min_full - full) * QUOTA_WINDOW_MS;
        }
        total as f64 / (elapsed.max(1) as f64 / 1000.0)
    }

    /// `ReplicationQuotaManager.isQuotaExceeded` against `bound` bytes/s.
    pub fn is_exceeded(&mut self, now_ms: i64, bound: i64) -> bool {
        bound != UNTHROTTLED && self.rate(now_ms) > bound as f64
    }
}

/// Which partitions of a topic a broker throttles (`ReplicationQuotaManager.markThrottled`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Throttled {
    /// `*`: every partition.
    All,
    Partitions(Vec<u32>),
}

/// The partitions this broker throttles on one side, per topic (usually none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ThrottledReplicas(pub Vec<(Topic, Throttled)>);

impl ThrottledReplicas {
    /// `TopicConfigHandler.parseThrottledPartitions`: the entries `partition:broker` naming `broker`,
    /// or every partition for `*`. The value was validated when it was set.
    pub fn add_topic(&mut self, topic: &str, value: &str, broker: BrokerId) {
        let v = value.trim();
        if v.is_empty() {
            return;
        }
        let t = if v == "*" {
            Throttled::All
        } else {
            let parts: Vec<u32> = v
                .split(',')
                .filter_map(|e| {
                    let (p, b) = e.trim().split_once(':')?;
                    (b.trim().parse::<BrokerId>().ok()? == broker).then_some(())?;
                    p.trim().parse().ok()
                })
                .collect();
            if parts.is_empty() {
                return;
            }
            Throttled::Partitions(parts)
        };
        self.0.push((Topic::intern(topic), t));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `ReplicationQuotaManager.isThrottled`.
    pub fn contains(&self, tp: &TopicPartition) -> bool {
        self.0.iter().any(|(t, which)| {
            *t == tp.topic
                && match which {
                    Throttled::All => true,
                    Throttled::Partitions(ps) => ps.contains(&tp.partition),
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_at_least_ten_seconds_so_a_new_throttle_lets_ten_seconds_of_bytes_through() {
        let mut q = ReplicationQuota::default();
        q.record(0, 10_000);
        assert_eq!(q.rate(0), 1_000.0, "10 000 bytes over the 10 s minimum window");
        assert!(!q.is_exceeded(0, 1_000) && q.is_exceeded(0, 999));
        q.record(0, 500);
        assert!(q.is_exceeded(0, 1_000), "10 500 bytes in the first instant: 1 050 B/s");
        // Half a second later the window is 10.5 s long: 1 000 B/s again.
        assert_eq!(q.rate(500), 1_000.0);
        // 20 s later every sample has expired: nothing counts.
        assert_eq!(q.rate(20_000), 0.0);
        assert!(!q.is_exceeded(20_000, 1));
        assert!(!q.is_exceeded(0, UNTHROTTLED));
    }

    #[test]
    fn a_steady_flow_at_the_bound_is_measured_at_the_bound() {
        let mut q = ReplicationQuota::default();
        for s in 0..30 {
            q.record(s * 1000, 2_000);
        }
        let r = q.rate(29_999);
        assert!((1_900.0..=2_100.0).contains(&r), "{r}");
    }

    #[test]
    fn throttled_replicas_name_partitions_of_this_broker_or_all() {
        let mut t = ThrottledReplicas::default();
        t.add_topic("orders", "0:4,1:4,0:2", 4);
        t.add_topic("events", "*", 4);
        t.add_topic("logs", "3:1", 4);
        assert!(t.contains(&TopicPartition::new("orders", 0)) && t.contains(&TopicPartition::new("orders", 1)));
        assert!(!t.contains(&TopicPartition::new("orders", 2)));
        assert!(t.contains(&TopicPartition::new("events", 7)));
        assert!(!t.contains(&TopicPartition::new("logs", 3)), "an entry for another broker");
        assert!(crate::config::validate_throttled_replicas("0:1, 1:2").is_ok() && crate::config::validate_throttled_replicas("*").is_ok());
        assert!(crate::config::validate_throttled_replicas("0-1").is_err() && crate::config::validate_throttled_replicas("a:1").is_err());
    }
}
