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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BrokerConfig;
    use crate::ids::TopicPartition;
    use crate::log::record::NewRecord;
    use crate::log::PartitionLog;

    /// A broker whose only log holds 3 flushed and 2 unflushed records, after a clean start.
    fn broker() -> Broker {
        let tp = TopicPartition::new("t", 0);
        let recs = |n: u64| (0..n).map(|i| NewRecord { key: None, value: Some(format!("v{i}").into()), write_id: i }).collect::<Vec<_>>();
        let mut log = PartitionLog::new(tp, 0);
        log.append_as_leader(&recs(3), 0, 0);
        log.flush(5);
        log.append_as_leader(&recs(2), 0, 6);
        let mut disk = Disk::default();
        disk.logs.insert(tp, log);
        disk.clean_shutdown_broker_epoch = Some(7);
        Broker::start(1, None, BrokerConfig::default(), disk, 1, 10)
    }

    #[test]
    fn a_killed_process_keeps_the_page_cache_but_leaves_no_clean_shutdown_marker() {
        let c = broker().crash(false, 20);
        assert_eq!(c.lost_unflushed, 0);
        assert_eq!(c.disk.logs.values().map(|l| l.log_end_offset()).sum::<i64>(), 5);
        assert_eq!(c.disk.clean_shutdown_broker_epoch, None);
    }

    #[test]
    fn a_power_loss_loses_the_unflushed_records() {
        let c = broker().crash(true, 20);
        assert_eq!(c.lost_unflushed, 2);
        assert_eq!(c.disk.logs.values().map(|l| l.log_end_offset()).sum::<i64>(), 3);
        assert_eq!(c.disk.clean_shutdown_broker_epoch, None);
    }
}
