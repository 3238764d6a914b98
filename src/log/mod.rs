//! The storage of one replica: records, the leader epoch cache, durability.
pub mod epoch_cache;
pub mod partition_log;
pub mod producer_state;
pub mod record;
pub mod segment;

pub use epoch_cache::{EpochEntry, LeaderEpochCache};
pub use partition_log::PartitionLog;
pub use record::{NewRecord, Record, RecordData};
pub use segment::{LogConfig, Segment};
