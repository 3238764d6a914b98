//! DeleteRecords (`kafka-delete-records.sh`, `Admin.deleteRecords`) on the leader:
//! `Partition.deleteRecordsOnLeader` moves the log start offset (the low watermark) up to the
//! requested offset (-1: the high watermark). Followers take the leader's log start from their
//! next fetch response (`fetcher.rs`, `maybe_increment_log_start_offset`); a fetch below it is
//! answered OFFSET_OUT_OF_RANGE; the retention task deletes the segments wholly below it
//! (`deleteLogStartOffsetBreachedSegments`).

use super::Broker;
use crate::effects::{Category, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::TopicPartition;

/// `DeleteRecordsRequest.HIGH_WATERMARK`.
pub const HIGH_WATERMARK: i64 = -1;

impl Broker {
    /// Returns the new log start offset.
    pub fn delete_records(&mut self, now_ms: i64, tp: &TopicPartition, offset: i64, out: &mut Out) -> Result<i64, CommandError> {
        let leads = self.partitions.get(tp).is_some_and(|p| p.is_leader());
        let Some(log) = self.disk.logs.get_mut(tp).filter(|_| leads) else {
            return Err(CommandError::new(
                KafkaError::NOT_LEADER_OR_FOLLOWER,
                "partition",
                format!("Leader not local for partition {tp} on broker {}", self.id),
            ));
        };
        if !log.config.cleanup_delete {
            return Err(CommandError::new(
                KafkaError::POLICY_VIOLATION,
                "partition",
                format!("Records of partition {tp} can not be deleted due to the configured policy"),
            ));
        }
        let target = if offset == HIGH_WATERMARK { log.high_watermark() } else { offset };
        if target < 0 {
            return Err(CommandError::new(
                KafkaError::OFFSET_OUT_OF_RANGE,
                "offset",
                format!("The offset {target} for partition {tp} is not valid"),
            ));
        }
        self.touched.mark(*tp);
        match log.delete_records_below(target) {
            Err(hw) => Err(CommandError::new(
                KafkaError::OFFSET_OUT_OF_RANGE,
                "offset",
                format!(
                    "Cannot increment the log start offset to {target} of partition {tp} since it is larger than the high watermark {hw}"
                ),
            )),
            Ok(moved) => {
                for e in log.take_events() {
                    out.log(Category::Storage, e);
                }
                if !moved {
                    out.log(
                        Category::Storage,
                        format!("DeleteRecords for {tp} below offset {target}: the log already starts at {}", log.log_start_offset()),
                    );
                }
                // Partition.deleteRecordsOnLeader moves the log start and nothing else: a follower
                // in its long poll (replica.fetch.wait.max.ms) learns it from its next response.
                let _ = now_ms;
                Ok(log.log_start_offset())
            }
        }
    }
}
