//! A record as stored in a partition log. Kafka stores records in batches that
//! carry the leader epoch; here every record carries its batch's epoch.

use serde::Serialize;
use std::rc::Rc;

/// A stored record, shared between the replicas that hold it: a follower's copy of a record it
/// fetched is the leader's (the same offset, epoch, timestamp, key, value and batch header), so
/// the replicas of a partition and the time-travel snapshots hold one pointer each, not the
/// record (bookkeeping, not Kafka: reads see a `RecordData`).
#[derive(Clone, PartialEq, Eq)]
pub struct Record(Rc<RecordData>);

impl Record {
    pub fn new(data: RecordData) -> Record {
        Record(Rc::new(data))
    }

    /// The record's fields to change (copied first when another replica shares them).
    pub fn make_mut(&mut self) -> &mut RecordData {
        Rc::make_mut(&mut self.0)
    }
}

impl std::ops::Deref for Record {
    type Target = RecordData;
    fn deref(&self) -> &RecordData {
        &self.0
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// What a record holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordData {
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
