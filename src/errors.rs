//! Kafka's protocol error names (`org.apache.kafka.common.protocol.Errors`), as
//! the engine reports them. Only the ones the simulation can produce are here.

use crate::lean::CollectBTree;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KafkaError {
    NONE,
    /// The broker is not the leader (or not a replica) of the partition.
    NOT_LEADER_OR_FOLLOWER,
    /// `acks=all` and the ISR is smaller than `min.insync.replicas`: nothing was written.
    NOT_ENOUGH_REPLICAS,
    /// Written to the leader, but the ISR shrank below `min.insync.replicas` before it was committed.
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    /// The broker did not complete the request within its timeout (`request.timeout.ms` for acks=all).
    REQUEST_TIMED_OUT,
    /// The request's leader epoch is older than the broker's.
    FENCED_LEADER_EPOCH,
    /// The request's leader epoch is newer than the broker's.
    UNKNOWN_LEADER_EPOCH,
    OFFSET_OUT_OF_RANGE,
    /// ListOffsets LATEST from a new leader whose high watermark has not reached the start of
    /// its epoch yet (retriable).
    OFFSET_NOT_AVAILABLE,
    UNKNOWN_TOPIC_OR_PARTITION,
    LEADER_NOT_AVAILABLE,
    /// AlterPartition with a stale partition epoch.
    INVALID_UPDATE_VERSION,
    /// AlterPartition adding a fenced or shutting-down broker to the ISR.
    INELIGIBLE_REPLICA,
    /// The broker's epoch in a request does not match its registration.
    STALE_BROKER_EPOCH,
    /// A second broker registered with an id whose session is still alive.
    DUPLICATE_BROKER_REGISTRATION,
    /// The connection broke (peer crashed or restarted) before a response came.
    NETWORK_EXCEPTION,
    TOPIC_ALREADY_EXISTS,
    INVALID_PARTITIONS,
    INVALID_REPLICATION_FACTOR,
    INVALID_REPLICA_ASSIGNMENT,
    INVALID_TOPIC_EXCEPTION,
    INVALID_CONFIG,
    INVALID_REQUEST,
    /// A record a broker refuses, e.g. one without a key for a compacted topic.
    INVALID_RECORD,
    ELECTION_NOT_NEEDED,
    PREFERRED_LEADER_NOT_AVAILABLE,
    ELIGIBLE_LEADERS_NOT_AVAILABLE,
    BROKER_NOT_AVAILABLE,
    /// The request reached a controller that is not (or no longer) the active one, or
    /// there is no active controller (the KRaft quorum has no leader).
    NOT_CONTROLLER,
    /// Client side: `delivery.timeout.ms` passed before the record was acknowledged
    /// (Java's `org.apache.kafka.common.errors.TimeoutException`; no wire code).
    DELIVERY_TIMEOUT,
    /// An idempotent producer's batch whose sequence does not follow the last one the broker has.
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    /// The batch duplicates one the broker already has (Kafka answers NONE with the original offset for
    /// the last five batches; the name is kept for older ones).
    DUPLICATE_SEQUENCE_NUMBER,
    /// A batch from an older epoch of the producer id.
    INVALID_PRODUCER_EPOCH,
    /// The broker has no state for the producer id and the batch does not start at sequence 0.
    UNKNOWN_PRODUCER_ID,
    /// The group coordinator is not available (e.g. `__consumer_offsets` cannot be created or has no leader).
    COORDINATOR_NOT_AVAILABLE,
    /// The broker is not the coordinator of this group.
    NOT_COORDINATOR,
    /// The coordinator is loading the group's state from `__consumer_offsets`.
    COORDINATOR_LOAD_IN_PROGRESS,
    /// The group is rebalancing: the member must rejoin.
    REBALANCE_IN_PROGRESS,
    /// The member id is not (or no longer) known to the coordinator.
    UNKNOWN_MEMBER_ID,
    /// The member's generation is not the group's current one.
    ILLEGAL_GENERATION,
    /// A JoinGroup without a member id: the coordinator hands one out and asks the member to rejoin with it (KIP-394).
    MEMBER_ID_REQUIRED,
    /// A JoinGroup whose session timeout is outside group.min/max.session.timeout.ms.
    INVALID_SESSION_TIMEOUT,
    /// Client side: the consumer's position was truncated away by an unclean election (KIP-320).
    LOG_TRUNCATION,
    /// Cancelling a reassignment of a partition that has none in progress.
    NO_REASSIGNMENT_IN_PROGRESS,
    /// An AlterPartition that completed a reassignment and moved leadership off the broker that
    /// sent it: the change is committed, and the old leader learns the rest from metadata.
    NEW_LEADER_ELECTED,
    /// DeleteRecords on a topic whose cleanup.policy has no `delete`.
    POLICY_VIOLATION,
    /// UnregisterBroker for an id the controller does not have registered.
    BROKER_ID_NOT_REGISTERED,
    KAFKA_STORAGE_ERROR,
}

impl KafkaError {
    /// Errors a producer retries after refreshing metadata (Kafka's `RetriableException`s).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            KafkaError::NOT_LEADER_OR_FOLLOWER
                | KafkaError::NOT_ENOUGH_REPLICAS
                | KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND
                | KafkaError::REQUEST_TIMED_OUT
                | KafkaError::LEADER_NOT_AVAILABLE
                | KafkaError::NETWORK_EXCEPTION
                | KafkaError::UNKNOWN_TOPIC_OR_PARTITION
                | KafkaError::FENCED_LEADER_EPOCH
                | KafkaError::UNKNOWN_LEADER_EPOCH
                | KafkaError::COORDINATOR_NOT_AVAILABLE
                | KafkaError::NOT_COORDINATOR
                | KafkaError::COORDINATOR_LOAD_IN_PROGRESS
                | KafkaError::KAFKA_STORAGE_ERROR
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            KafkaError::NONE => "NONE",
            KafkaError::NOT_LEADER_OR_FOLLOWER => "NOT_LEADER_OR_FOLLOWER",
            KafkaError::NOT_ENOUGH_REPLICAS => "NOT_ENOUGH_REPLICAS",
            KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            KafkaError::OFFSET_NOT_AVAILABLE => "OFFSET_NOT_AVAILABLE",
            KafkaError::REQUEST_TIMED_OUT => "REQUEST_TIMED_OUT",
            KafkaError::FENCED_LEADER_EPOCH => "FENCED_LEADER_EPOCH",
            KafkaError::UNKNOWN_LEADER_EPOCH => "UNKNOWN_LEADER_EPOCH",
            KafkaError::OFFSET_OUT_OF_RANGE => "OFFSET_OUT_OF_RANGE",
            KafkaError::UNKNOWN_TOPIC_OR_PARTITION => "UNKNOWN_TOPIC_OR_PARTITION",
            KafkaError::LEADER_NOT_AVAILABLE => "LEADER_NOT_AVAILABLE",
            KafkaError::INVALID_UPDATE_VERSION => "INVALID_UPDATE_VERSION",
            KafkaError::INELIGIBLE_REPLICA => "INELIGIBLE_REPLICA",
            KafkaError::STALE_BROKER_EPOCH => "STALE_BROKER_EPOCH",
            KafkaError::DUPLICATE_BROKER_REGISTRATION => "DUPLICATE_BROKER_REGISTRATION",
            KafkaError::NETWORK_EXCEPTION => "NETWORK_EXCEPTION",
            KafkaError::TOPIC_ALREADY_EXISTS => "TOPIC_ALREADY_EXISTS",
            KafkaError::INVALID_PARTITIONS => "INVALID_PARTITIONS",
            KafkaError::INVALID_REPLICATION_FACTOR => "INVALID_REPLICATION_FACTOR",
            KafkaError::INVALID_REPLICA_ASSIGNMENT => "INVALID_REPLICA_ASSIGNMENT",
            KafkaError::INVALID_TOPIC_EXCEPTION => "INVALID_TOPIC_EXCEPTION",
            KafkaError::INVALID_CONFIG => "INVALID_CONFIG",
            KafkaError::INVALID_REQUEST => "INVALID_REQUEST",
            KafkaError::INVALID_RECORD => "INVALID_RECORD",
            KafkaError::ELECTION_NOT_NEEDED => "ELECTION_NOT_NEEDED",
            KafkaError::PREFERRED_LEADER_NOT_AVAILABLE => "PREFERRED_LEADER_NOT_AVAILABLE",
            KafkaError::ELIGIBLE_LEADERS_NOT_AVAILABLE => "ELIGIBLE_LEADERS_NOT_AVAILABLE",
            KafkaError::BROKER_NOT_AVAILABLE => "BROKER_NOT_AVAILABLE",
            KafkaError::NOT_CONTROLLER => "NOT_CONTROLLER",
            KafkaError::DELIVERY_TIMEOUT => "DELIVERY_TIMEOUT",
            KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            KafkaError::DUPLICATE_SEQUENCE_NUMBER => "DUPLICATE_SEQUENCE_NUMBER",
            KafkaError::INVALID_PRODUCER_EPOCH => "INVALID_PRODUCER_EPOCH",
            KafkaError::UNKNOWN_PRODUCER_ID => "UNKNOWN_PRODUCER_ID",
            KafkaError::COORDINATOR_NOT_AVAILABLE => "COORDINATOR_NOT_AVAILABLE",
            KafkaError::NOT_COORDINATOR => "NOT_COORDINATOR",
            KafkaError::COORDINATOR_LOAD_IN_PROGRESS => "COORDINATOR_LOAD_IN_PROGRESS",
            KafkaError::REBALANCE_IN_PROGRESS => "REBALANCE_IN_PROGRESS",
            KafkaError::UNKNOWN_MEMBER_ID => "UNKNOWN_MEMBER_ID",
            KafkaError::ILLEGAL_GENERATION => "ILLEGAL_GENERATION",
            KafkaError::MEMBER_ID_REQUIRED => "MEMBER_ID_REQUIRED",
            KafkaError::LOG_TRUNCATION => "LOG_TRUNCATION",
            KafkaError::INVALID_SESSION_TIMEOUT => "INVALID_SESSION_TIMEOUT",
            KafkaError::NO_REASSIGNMENT_IN_PROGRESS => "NO_REASSIGNMENT_IN_PROGRESS",
            KafkaError::NEW_LEADER_ELECTED => "NEW_LEADER_ELECTED",
            KafkaError::POLICY_VIOLATION => "POLICY_VIOLATION",
            KafkaError::BROKER_ID_NOT_REGISTERED => "BROKER_ID_NOT_REGISTERED",
            KafkaError::KAFKA_STORAGE_ERROR => "KAFKA_STORAGE_ERROR",
        }
    }
}

impl fmt::Display for KafkaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl KafkaError {
    /// Every error the engine can answer (all but `NONE`), in declaration order. A test reads the
    /// enum in this file and fails when a variant is missing here.
    pub const ALL: [KafkaError; 47] = [
        KafkaError::NOT_LEADER_OR_FOLLOWER,
        KafkaError::NOT_ENOUGH_REPLICAS,
        KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KafkaError::REQUEST_TIMED_OUT,
        KafkaError::FENCED_LEADER_EPOCH,
        KafkaError::UNKNOWN_LEADER_EPOCH,
        KafkaError::OFFSET_OUT_OF_RANGE,
        KafkaError::OFFSET_NOT_AVAILABLE,
        KafkaError::UNKNOWN_TOPIC_OR_PARTITION,
        KafkaError::LEADER_NOT_AVAILABLE,
        KafkaError::INVALID_UPDATE_VERSION,
        KafkaError::INELIGIBLE_REPLICA,
        KafkaError::STALE_BROKER_EPOCH,
        KafkaError::DUPLICATE_BROKER_REGISTRATION,
        KafkaError::NETWORK_EXCEPTION,
        KafkaError::TOPIC_ALREADY_EXISTS,
        KafkaError::INVALID_PARTITIONS,
        KafkaError::INVALID_REPLICATION_FACTOR,
        KafkaError::INVALID_REPLICA_ASSIGNMENT,
        KafkaError::INVALID_TOPIC_EXCEPTION,
        KafkaError::INVALID_CONFIG,
        KafkaError::INVALID_REQUEST,
        KafkaError::INVALID_RECORD,
        KafkaError::ELECTION_NOT_NEEDED,
        KafkaError::PREFERRED_LEADER_NOT_AVAILABLE,
        KafkaError::ELIGIBLE_LEADERS_NOT_AVAILABLE,
        KafkaError::BROKER_NOT_AVAILABLE,
        KafkaError::NOT_CONTROLLER,
        KafkaError::DELIVERY_TIMEOUT,
        KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER,
        KafkaError::DUPLICATE_SEQUENCE_NUMBER,
        KafkaError::INVALID_PRODUCER_EPOCH,
        KafkaError::UNKNOWN_PRODUCER_ID,
        KafkaError::COORDINATOR_NOT_AVAILABLE,
        KafkaError::NOT_COORDINATOR,
        KafkaError::COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError::REBALANCE_IN_PROGRESS,
        KafkaError::UNKNOWN_MEMBER_ID,
        KafkaError::ILLEGAL_GENERATION,
        KafkaError::MEMBER_ID_REQUIRED,
        KafkaError::INVALID_SESSION_TIMEOUT,
        KafkaError::LOG_TRUNCATION,
        KafkaError::NO_REASSIGNMENT_IN_PROGRESS,
        KafkaError::NEW_LEADER_ELECTED,
        KafkaError::POLICY_VIOLATION,
        KafkaError::BROKER_ID_NOT_REGISTERED,
        KafkaError::KAFKA_STORAGE_ERROR,
    ];

    /// The first of Kafka's error names that appears as a whole word in `text` (an event line
    /// that carries one is an error line, which the page's log shows whatever its category).
    pub fn named_in(text: &str) -> Option<KafkaError> {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        KafkaError::ALL.into_iter().find(|e| {
            let name = e.name();
            text.match_indices(name).any(|(i, _)| !word(text[..i].chars().next_back()) && !word(text[i + name.len()..].chars().next()))
        })
    }
}

/// Error counts keyed by Kafka's error names, in the names' alphabetical order: how views and
/// reports show a `BTreeMap<KafkaError, _>` (whose own order is the enum's, not the names').
pub fn counts_by_name(counts: &crate::vecmap::VecMap<KafkaError, u64>) -> BTreeMap<&'static str, u64> {
    counts.iter().map(|(e, n)| (e.name(), *n)).collect_map()
}

/// `#[serde(serialize_with)]` for error counts: an object keyed by error name, in name order.
pub fn serialize_counts_by_name<S: Serializer>(counts: &crate::vecmap::VecMap<KafkaError, u64>, s: S) -> Result<S::Ok, S::Error> {
    counts_by_name(counts).serialize(s)
}

/// An error answered to a user command, scenario file or config change:
/// Kafka's error name where Kafka has one, and a message naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    pub error: KafkaError,
    pub field: String,
    pub message: String,
}

impl CommandError {
    pub fn new(error: KafkaError, field: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError { error, field: field.into(), message: message.into() }
    }
    pub fn invalid_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError::new(KafkaError::INVALID_REQUEST, field, message)
    }
    pub fn invalid_config(field: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError::new(KafkaError::INVALID_CONFIG, field, message)
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.error, self.field, self.message)
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod all_tests {
    use super::KafkaError;

    #[test]
    fn every_variant_of_kafka_error_but_none_is_in_all() {
        let src = include_str!("errors.rs");
        let body = &src[src.find("pub enum KafkaError {").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        let variants: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("//") && l.ends_with(','))
            .map(|l| l.trim_end_matches(','))
            .filter(|v| *v != "NONE")
            .collect();
        let all: Vec<&str> = KafkaError::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(all, variants);
    }

    #[test]
    fn an_error_name_counts_only_as_a_whole_word() {
        assert_eq!(KafkaError::named_in("orders-0 NOT_ENOUGH_REPLICAS (ISR [1])"), Some(KafkaError::NOT_ENOUGH_REPLICAS));
        assert_eq!(KafkaError::named_in("answered NOT_ENOUGH_REPLICAS_AFTER_APPEND"), Some(KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND));
        assert_eq!(KafkaError::named_in("broker-2 shrinks ISR of orders-0 from [1,2,3] to [1,2]"), None);
        assert_eq!(KafkaError::named_in("XNETWORK_EXCEPTION"), None);
    }
}
