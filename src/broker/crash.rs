//! A broker process dying (`kill -9`, or the machine losing power): what the broker keeps
//! and what it loses. Kafka has no such method (a crash is the absence of one); what it
//! models is how the next start finds the log directory: without the clean-shutdown file
//! (`LogManager`'s `.kafka_cleanshutdown`, and the `previousBrokerEpoch` it gives the next
//! registration, KIP-966) the logs are recovered, and after a power loss the records the OS
//! had not written back from the page cache are gone.
//!
//! Everything else of a broker (partitions, fetchers, purgatories, sessions) is volatile and
//! dies with the process; the simulator only keeps the returned disk for the next start.

use super::disk::Disk;
use super::Broker;
use crate::ids::NodeId;

/// What is left of a broker that crashed.
#[derive(Debug, Clone)]
pub struct Crashed {
    /// The disk as the next process will find it.
    pub disk: Disk,
    /// The requests the process held open (`Broker::held_requests`): their clients are either
    /// reset by the OS (kill -9) or left waiting for their request timeouts (power loss).
    pub held_requests: Vec<(NodeId, &'static str, u64)>,
    /// Records written but never flushed that the power loss took with the page cache
    /// (0 when only the process was killed).
    pub lost_unflushed: i64,
}

impl Broker {
    /// The process dies at once. With `power_loss` the page cache goes too: every record not
    /// yet flushed is lost from the logs. Either way no clean-shutdown marker is left, so the
    /// next start recovers the logs and registers without a previous broker epoch.
    pub fn crash(self, power_loss: bool, now_ms: i64) -> Crashed {
        let held_requests = self.held_requests();
        let mut disk = self.disk;
        let lost_unflushed: i64 =
            if power_loss { disk.logs.values().map(|l| l.log_end_offset() - l.durable_end_offset()).sum() } else { 0 };
        if power_loss {
            disk.lose_page_cache(now_ms);
        }
        disk.clean_shutdown_broker_epoch = None;
        Crashed { disk, held_requests, lost_unflushed }
    }
}
