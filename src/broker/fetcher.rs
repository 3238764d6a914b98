//! The follower side of replication (`ReplicaFetcherThread`, `AbstractFetcherThread`): one fetcher
//! per leader sends Fetch requests, appends what comes back, and truncates the log when the leader
//! reports a diverging epoch (KIP-101/KIP-279).

use super::Broker;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::{FetchPartition, FetchPartitionResponse, Msg};
use crate::vecmap::VecMap;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct FetcherPartition {
    pub leader_epoch: i32,
    pub backoff_until_ms: i64,
    /// `PartitionFetchState.lag`: the leader's high watermark minus the next fetch offset after the
    /// last response (`None` before the first); in sync when it is 0 (`isReplicaInSync`).
    pub lag: Option<i64>,
}

/// A replica fetcher thread's state for one leader broker (`num.replica.fetchers=1`).
#[derive(Debug, Clone, Serialize)]
pub struct Fetcher {
    pub leader: BrokerId,
    pub partitions: VecMap<TopicPartition, FetcherPartition>,
    pub in_flight: Option<(u64, i64)>,
    pub next_fetch_ms: i64,
    /// A response being written to a slow disk (`Disk::write_latency_ms`): (done at, session,
    /// partitions). The fetcher thread is blocked in the append meanwhile: it sends nothing.
    #[serde(skip)]
    pub writing: Option<(i64, u64, Vec<FetchPartitionResponse>)>,
}

impl Broker {
    /// The connection to a leader broke with a fetch in flight: back off and fetch again.
    pub(super) fn on_fetch_disconnected(&mut self, now_ms: i64, from: NodeId, correlation_id: u64) {
        let backoff = self.config.replica_fetch_backoff_ms;
        if let Some(f) = from.broker().and_then(|leader| self.fetchers.get_mut(&leader)) {
            if f.in_flight.map(|(s, _)| s) == Some(correlation_id) {
                f.in_flight = None;
                f.next_fetch_ms = now_ms + backoff;
            }
        }
    }

    /// A Fetch response from `leader` (`AbstractFetcherThread.processFetchRequest`): for each
    /// partition still fetched from it, the records are appended, or the log truncated to where
    /// it diverges from the leader's, or (any other error) the partition backs off until the
    /// metadata says more.
    pub(super) fn handle_fetch_response(
        &mut self,
        now_ms: i64,
        leader: BrokerId,
        session: u64,
        partitions: Vec<FetchPartitionResponse>,
        out: &mut Out,
    ) {
        let Some(f) = self.fetchers.get_mut(&leader) else { return };
        if f.in_flight.map(|(s, _)| s) != Some(session) {
            return;
        }
        let latency = self.disk.write_latency_ms;
        if latency > 0 && f.writing.is_none() && partitions.iter().any(|p| !p.records.is_empty()) {
            // processPartitionData appends on the fetcher thread: on a slow disk the thread is
            // stuck in the write, and the next fetch waits for it.
            f.writing = Some((now_ms + latency, session, partitions));
            out.wake_at(now_ms + latency);
            return;
        }
        f.in_flight = None;
        f.next_fetch_ms = now_ms;
        let backoff = self.config.replica_fetch_backoff_ms;
        for pr in partitions {
            let tp = &pr.tp;
            let fetched = self.fetchers.get(&leader).is_some_and(|f| f.partitions.contains_key(tp));
            if !fetched || !self.disk.logs.contains_key(tp) {
                continue;
            }
            let back_off = match (pr.error, pr.diverging_epoch) {
                (KafkaError::NONE, Some((epoch, end))) => {
                    self.truncate_on_diverging_epoch(now_ms, tp, epoch, end, out);
                    false
                }
                (KafkaError::NONE, None) => {
                    self.process_partition_data(now_ms, leader, &pr, out);
                    false
                }
                (KafkaError::OFFSET_OUT_OF_RANGE, _) => !self.truncate_on_out_of_range(now_ms, &pr, out),
                // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH...: wait for metadata.
                _ => true,
            };
            if back_off {
                let fpart = self.fetchers.get_mut(&leader).and_then(|f| f.partitions.get_mut(tp)).unwrap();
                fpart.backoff_until_ms = now_ms + backoff;
            }
        }
    }

    /// The leader answered with a diverging epoch (KIP-279): truncate to where this log and
    /// the leader's part (`AbstractFetcherThread.getOffsetTruncationState`).
    fn truncate_on_diverging_epoch(&mut self, now_ms: i64, tp: &TopicPartition, epoch: i32, end: i64, out: &mut Out) {
        self.touched.mark(*tp);
        let log = self.disk.logs.get_mut(tp).unwrap();
        let leo = log.log_end_offset();
        let target = if end < 0 {
            log.high_watermark()
        } else {
            let (fe, fend) = log.epoch_cache.end_offset_for(epoch, leo);
            if fe < 0 {
                end.min(leo)
            } else if fe != epoch {
                fend.min(leo)
            } else {
                fend.min(end).min(leo)
            }
        };
        let removed = log.truncate_to(target, now_ms);
        self.stats.records_truncated += removed as u64;
        out.log(Category::Truncate, format!(
            "truncates {tp} from LEO {leo} to {target}: the leader's epoch {epoch} ends at {end} (diverging epoch); {removed} record(s) removed"
        ));
    }

    /// `ReplicaFetcherThread.processPartitionData`: append the records (flushing at
    /// log.flush.interval.messages), then the high watermark and log start offset the leader sent.
    fn process_partition_data(&mut self, now_ms: i64, pr_leader: BrokerId, pr: &FetchPartitionResponse, out: &mut Out) {
        let tp = &pr.tp;
        let flush_messages = self
            .metadata
            .topics
            .get(tp.topic.as_str())
            .map(|t| t.flush_messages(&self.config))
            .unwrap_or(self.config.log_flush_interval_messages);
        self.touched.mark(*tp);
        if !pr.records.is_empty() && self.disk_may_refuse() {
            // An IOException while appending (UnifiedLog.appendAsFollower) fails the log directory.
            let bytes = pr.records.iter().map(crate::log::segment::stored_size).sum();
            if !self.can_write_to_log_dir(bytes, &format!("appending fetched records to {tp}"), out) {
                return;
            }
        }
        let log = self.disk.logs.get_mut(tp).unwrap();
        if !pr.records.is_empty() {
            if self.follower_throttled.contains(tp) {
                // ReplicaFetcherThread.processPartitionData: every byte of a throttled partition counts.
                self.follower_quota.record(now_ms, pr.records.iter().map(crate::log::segment::stored_size).sum());
            }
            log.append_as_follower(&pr.records, now_ms);
            if log.unflushed_messages() >= flush_messages {
                log.flush(now_ms);
            }
            for e in log.take_events() {
                out.log(Category::Storage, e);
            }
        }
        let lag = (pr.high_watermark - log.log_end_offset()).max(0);
        // Follower HW = min(leader HW, own LEO); learned one fetch later.
        let before = log.high_watermark();
        let hw = log.update_high_watermark(pr.high_watermark);
        if hw != before && hw < before {
            out.log(Category::Hw, format!("lowers high watermark of {tp} from {before} to {hw} (leader's HW)"));
        }
        // The follower's log start offset follows the leader's (maybeIncrementLogStartOffset,
        // LeaderOffsetIncremented).
        if log.maybe_increment_log_start_offset(pr.log_start_offset) {
            for e in log.take_events() {
                out.log(Category::Storage, e);
            }
        }
        if let Some(fp) = self.fetchers.get_mut(&pr_leader).and_then(|f| f.partitions.get_mut(tp)) {
            fp.lag = Some(lag);
        }
    }

    /// OFFSET_OUT_OF_RANGE (`AbstractFetcherThread.handleOutOfRangeError`): truncate to the
    /// leader's log end if this log is ahead of it, or start over at the leader's log start if
    /// this log is behind it. False if neither: the partition backs off.
    fn truncate_on_out_of_range(&mut self, now_ms: i64, pr: &FetchPartitionResponse, out: &mut Out) -> bool {
        let tp = &pr.tp;
        self.touched.mark(*tp);
        let log = self.disk.logs.get_mut(tp).unwrap();
        let leo = log.log_end_offset();
        if pr.log_end_offset >= 0 && pr.log_end_offset < leo {
            let removed = log.truncate_to(pr.log_end_offset, now_ms);
            self.stats.records_truncated += removed as u64;
            out.log(Category::Truncate, format!("truncates {tp} to the leader's LEO {} (OFFSET_OUT_OF_RANGE)", pr.log_end_offset));
            true
        } else if pr.log_start_offset > leo {
            log.truncate_fully_and_start_at(pr.log_start_offset);
            out.log(
                Category::Truncate,
                format!("truncates {tp} fully and starts at the leader's log start {} (OFFSET_OUT_OF_RANGE)", pr.log_start_offset),
            );
            true
        } else {
            false
        }
    }

    pub(super) fn send_fetches(&mut self, now_ms: i64, out: &mut Out) {
        let legacy = self.config.legacy_hw_truncation;
        for (&leader, f) in self.fetchers.iter_mut() {
            if f.in_flight.is_some() || now_ms < f.next_fetch_ms || f.partitions.is_empty() {
                continue;
            }
            let mut parts = vec![];
            let mut held = false;
            for (tp, fp) in &f.partitions {
                if fp.backoff_until_ms > now_ms {
                    continue;
                }
                let Some(log) = self.disk.logs.get(tp) else { continue };
                // RemoteLeaderEndPoint.shouldFollowerThrottle: not in sync, throttled, rate above the bound.
                if !self.follower_throttled.is_empty()
                    && fp.lag != Some(0)
                    && self.follower_throttled.contains(tp)
                    && self.follower_quota.is_exceeded(now_ms, self.config.follower_replication_throttled_rate)
                {
                    held = true;
                    continue;
                }
                parts.push(FetchPartition {
                    tp: *tp,
                    current_leader_epoch: fp.leader_epoch,
                    fetch_offset: log.log_end_offset(),
                    // Legacy mode predates leader epochs in fetches: no divergence check.
                    last_fetched_epoch: if legacy { -1 } else { log.latest_epoch().unwrap_or(-1) },
                    log_start_offset: log.log_start_offset(),
                });
            }
            if parts.is_empty() {
                if held {
                    // Nothing to fetch: AbstractFetcherThread waits replica.fetch.backoff.ms.
                    f.next_fetch_ms = now_ms + self.config.replica_fetch_backoff_ms;
                }
                continue;
            }
            let session = self.next_session;
            self.next_session += 1;
            f.in_flight = Some((session, now_ms));
            out.send(NodeId::Broker(leader), Msg::Fetch { replica: self.id, broker_epoch: self.broker_epoch, session, partitions: parts });
        }
        // ReplicaFetcherManager.shutdownIdleFetcherThreads: a fetcher with no partitions
        // is stopped, and its in-flight request forgotten.
        self.fetchers.retain(|_, f| !f.partitions.is_empty());
    }

    /// The replica fetcher's timers: a fetch unanswered for replica.socket.timeout.ms is dropped, then every fetcher due sends.
    pub(super) fn fetcher_tick(&mut self, now_ms: i64, out: &mut Out) {
        // Writes to a slow disk that are done: the rest of the response is handled now.
        let done: Vec<BrokerId> =
            self.fetchers.iter().filter(|(_, f)| f.writing.as_ref().is_some_and(|w| w.0 <= now_ms)).map(|(&l, _)| l).collect();
        for leader in done {
            if let Some((_, session, partitions)) = self.fetchers.get_mut(&leader).and_then(|f| f.writing.take()) {
                // The write is done: handled as any response (no second wait for the same write).
                let latency = std::mem::replace(&mut self.disk.write_latency_ms, 0);
                self.handle_fetch_response(now_ms, leader, session, partitions, out);
                self.disk.write_latency_ms = latency;
            }
        }
        // Fetch request timeouts (replica.socket.timeout.ms); a thread stuck in a write sends nothing.
        let socket_timeout = self.config.replica_socket_timeout_ms;
        let backoff = self.config.replica_fetch_backoff_ms;
        for f in self.fetchers.values_mut().filter(|f| f.writing.is_none()) {
            if let Some((_, sent)) = f.in_flight {
                if now_ms - sent >= socket_timeout {
                    f.in_flight = None;
                    f.next_fetch_ms = now_ms + backoff;
                }
            }
        }
        self.send_fetches(now_ms, out);
    }
}
