//! A record as stored in a partition log. Kafka stores records in batches that
//! carry the leader epoch; here every record carries its batch's epoch.

use serde::Serialize;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub offset: i64,
    /// `partitionLeaderEpoch` of the batch: the leader epoch in which it was appended.
    pub leader_epoch: i32,
    pub timestamp_ms: i64,
    pub key: Option<Rc<str>>,
    /// `None` is a tombstone.
    pub value: Option<Rc<str>>,
    /// First record of its producer batch (the batch header's bytes are counted on it).
    pub batch_start: bool,
    /// Identity of the producer send that wrote this record (the audit uses it to
    /// tell a record from another with the same key and value; Kafka would use a
    /// header or the value itself).
    pub write_id: u64,
    /// The batch header's producer id (-1 without idempotence), epoch and this record's sequence.
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub sequence: i32,
}

/// A record as a producer sends it, before the leader assigns offset and epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRecord {
    pub key: Option<Rc<str>>,
    pub value: Option<Rc<str>>,
    pub write_id: u64,
}
