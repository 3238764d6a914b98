//! The broker's scheduled storage tasks (`LogManager`, `ReplicaManager`): the
//! replication-offset-checkpoint (HW) writer, retention, the log cleaner thread, the OS page-cache
//! writeback and the log flusher (`flush.ms`).

use super::Broker;
use crate::effects::{Category, Out};
use crate::ids::TopicPartition;

/// `InitialTaskDelayMs`: LogManager's periodic tasks first run 30 s after start.
pub(super) const LOG_FLUSHER_INITIAL_DELAY_MS: i64 = 30_000;

impl Broker {
    /// LogManager's and ReplicaManager's scheduled storage tasks: the HW checkpoint, retention, the log cleaner, the OS page-cache writeback, the log flusher.
    pub(super) fn log_manager_tick(&mut self, now_ms: i64, out: &mut Out) {
        if now_ms >= self.next_hw_checkpoint_ms {
            // OffsetCheckpointFile.write: an IOException fails the log directory too.
            if self.disk.health != super::disk::DiskHealth::Healthy
                && !self.can_write_to_log_dir(1, "writing replication-offset-checkpoint", out)
            {
                return;
            }
            self.disk.write_hw_checkpoint();
            self.next_hw_checkpoint_ms = now_ms + self.config.replica_high_watermark_checkpoint_interval_ms;
        }
        // Retention (`log.retention.check.interval.ms`): every replica deletes its own old segments.
        // LogManager.cleanupLogs skips compacted logs (compact and compact,delete): the cleaner
        // thread deletes theirs (below).
        if now_ms >= self.next_retention_check_ms {
            self.next_retention_check_ms = now_ms + self.config.log_retention_check_interval_ms;
            self.touched.mark_all();
            for (_, log) in self.disk.logs.iter_mut().filter(|(_, l)| !l.config.cleanup_compact) {
                log.delete_old_segments(now_ms);
                for e in log.take_events() {
                    out.log(Category::Storage, e);
                }
            }
        }
        // The log cleaner (one thread): the log with the highest dirty ratio that needs cleaning.
        if now_ms >= self.next_cleaner_ms {
            self.next_cleaner_ms = now_ms + self.config.log_cleaner_backoff_ms;
            let pick = self.disk.logs.iter().filter(|(_, l)| l.needs_cleaning(now_ms)).map(|(tp, l)| (l.dirty_ratio(now_ms), *tp)).fold(
                None::<(f64, TopicPartition)>,
                |best, x| match best {
                    Some(b) if b.0 >= x.0 => Some(b),
                    _ => Some(x),
                },
            );
            if let Some((_, tp)) = pick {
                self.touched.mark(tp);
                let log = self.disk.logs.get_mut(&tp).unwrap();
                log.clean(now_ms);
                self.drain_log_events(&tp, out);
            }
            // LogCleaner.cleanOrSleep: after each attempt the cleaner thread runs deleteOldSegments
            // on the compacted logs (LogCleanerManager.deletableLogs): time and size retention for
            // compact,delete, log-start-offset breaches for all of them.
            let compacted: Vec<TopicPartition> =
                self.disk.logs.iter().filter(|(_, l)| l.config.cleanup_compact).map(|(tp, _)| *tp).collect();
            for tp in compacted {
                self.touched.mark(tp);
                if self.disk.logs.get_mut(&tp).unwrap().delete_old_segments(now_ms) > 0 {
                    self.drain_log_events(&tp, out);
                }
            }
        }
        if now_ms >= self.next_os_flush_ms {
            self.touched.mark_all();
            for log in self.disk.logs.values_mut() {
                log.os_writeback();
            }
            self.next_os_flush_ms = now_ms + self.config.os_flush_interval_ms;
        }
        // flush.ms: LogManager.flushDirtyLogs, run by the "kafka-log-flusher" task every
        // log.flush.scheduler.interval.ms (Kafka's default Long.MAX: after its first run 30 s
        // after start it never runs again), flushes a log when timeSinceLastFlush >= flush.ms.
        if now_ms >= self.next_log_flusher_ms {
            self.next_log_flusher_ms = now_ms.saturating_add(self.config.log_flush_scheduler_interval_ms);
            self.touched.mark_all();
            let topics = &self.metadata.topics;
            for (tp, log) in self.disk.logs.iter_mut() {
                let flush_ms = topics.get(tp.topic.as_str()).map(|t| t.flush_ms(&self.config)).unwrap_or(self.config.log_flush_interval_ms);
                if log.unflushed_messages() > 0 && now_ms.saturating_sub(log.last_flush_ms()) >= flush_ms {
                    log.flush(now_ms);
                }
            }
        }
    }
}
