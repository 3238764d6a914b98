//! A log directory that fails: a write that cannot be done (the disk is full, or the device
//! fails) takes the broker's log directory offline, and with it every replica on it.
//!
//! Kafka's rule (`LogDirFailureChannel`, `ReplicaManager.handleLogDirFailure`,
//! `LogManager.handleLogDirFailure`): an `IOException` while appending, flushing or writing a
//! checkpoint is wrapped in a `KafkaStorageException` (the request gets KAFKA_STORAGE_ERROR)
//! and the directory is handed to the LogDirFailureChannel; the failure handler stops the
//! fetchers of the partitions in it, marks them offline, removes the directory from the live
//! ones, and — when no live log directory is left — halts the broker: "Shutdown broker because
//! all log dirs in ... have failed" (`Exit.halt(1)`). A broker with several directories (JBOD,
//! KIP-858) keeps running and tells the controller in its next heartbeat, which moves the
//! leaderships and shrinks the ISRs of the replicas that were in it.
//!
//! The simulated broker has one log directory (`log.dirs=/tmp/kraft-combined-logs`, as Kafka's
//! KRaft quick start), and its metadata log is there too, so a failed directory halts the
//! process: the controller fences it when its heartbeats stop (`broker.session.timeout.ms`),
//! which takes it out of every ISR and moves its leaderships. The disk stays full (or broken)
//! across restarts until the space is freed or the disk replaced (`Sim::disk_fault`).

use super::disk::DiskHealth;
use super::Broker;
use crate::effects::{Category, Out};

/// The broker's one log directory (`log.dirs`), as in Kafka's KRaft quick-start configuration.
pub const LOG_DIR: &str = "/tmp/kraft-combined-logs";

impl Broker {
    /// Whether a write may be refused at all (a disk that is not healthy, or a capacity set):
    /// the cheap test the write paths make before working out the bytes and the words.
    #[inline]
    pub(super) fn disk_may_refuse(&self) -> bool {
        self.disk.health != DiskHealth::Healthy || self.config.log_dir_capacity_bytes >= 0
    }

    /// Whether `bytes` more can be written to the log directory. When not (the disk is full or
    /// failed, or the write would pass `sim.log.dir.capacity.bytes`), the `KafkaStorageException`
    /// is logged for `what` and the log directory goes offline: [`Broker::halted`] says why,
    /// and the simulation stops the process once this event is handled.
    pub(super) fn can_write_to_log_dir(&mut self, bytes: u64, what: &str, out: &mut Out) -> bool {
        if self.log_dir_offline.is_some() {
            return false;
        }
        let cause = match self.disk.health {
            DiskHealth::Failed => "java.io.IOException: Input/output error",
            DiskHealth::Full => "java.io.IOException: No space left on device",
            DiskHealth::Healthy => {
                let cap = self.config.log_dir_capacity_bytes;
                if cap < 0 || bytes == 0 || self.disk.used_bytes().saturating_add(bytes) <= cap as u64 {
                    return true;
                }
                // The disk is now full: it stays so until space is freed.
                self.disk.health = DiskHealth::Full;
                "java.io.IOException: No space left on device"
            }
        };
        out.log(Category::Storage, format!("KafkaStorageException: error while {what} in dir {LOG_DIR} ({cause})"));
        out.log(
            Category::Storage,
            format!("stops serving replicas in dir {LOG_DIR}: the log directory has failed, {} partition(s) offline", self.disk.logs.len()),
        );
        self.log_dir_offline = Some(format!("Shutdown broker because all log dirs in {LOG_DIR} have failed ({cause})"));
        false
    }

    /// Why the process must halt (`Exit.halt(1)`): its only log directory went offline.
    pub fn halted(&self) -> Option<&str> {
        self.log_dir_offline.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::disk::Disk;
    use crate::config::BrokerConfig;

    fn broker(health: DiskHealth, capacity: i64) -> Broker {
        let disk = Disk { health, ..Default::default() };
        let config = BrokerConfig { log_dir_capacity_bytes: capacity, ..BrokerConfig::default() };
        Broker::start(1, None, config, disk, 1, 0)
    }

    #[test]
    fn a_healthy_disk_without_a_capacity_takes_every_write() {
        let mut b = broker(DiskHealth::Healthy, -1);
        assert!(b.can_write_to_log_dir(1 << 40, "appending", &mut Out::default()));
        assert_eq!(b.halted(), None);
    }

    #[test]
    fn a_write_past_the_capacity_fills_the_disk_and_halts_the_broker() {
        let mut b = broker(DiskHealth::Healthy, 100);
        let mut out = Out::default();
        assert!(b.can_write_to_log_dir(100, "appending", &mut out));
        assert!(!b.can_write_to_log_dir(101, "appending records to t-0", &mut out));
        assert_eq!(b.disk.health, DiskHealth::Full);
        assert!(b.halted().unwrap().contains("No space left on device"), "{:?}", b.halted());
        // Once offline, every later write fails too, without a second report.
        let mut later = Out::default();
        assert!(!b.can_write_to_log_dir(1, "appending", &mut later));
        assert!(later.effects.is_empty());
    }

    #[test]
    fn a_failed_disk_fails_with_an_io_error() {
        let mut b = broker(DiskHealth::Failed, -1);
        assert!(!b.can_write_to_log_dir(1, "writing the HW checkpoint", &mut Out::default()));
        assert!(b.halted().unwrap().contains("Input/output error"));
    }
}
