//! Messages exchanged between simulated nodes, named after Kafka's RPCs.
//! They are plain data: the network carries them, the state machines answer them.

use crate::config::Acks;
use crate::errors::KafkaError;
use crate::ids::{BrokerId, TopicPartition};
use crate::log::{NewRecord, Record};
use serde::Serialize;
use std::rc::Rc;

/// One entry of the controller's metadata log (`__cluster_metadata`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MetadataRecord {
    RegisterBroker {
        broker: BrokerId,
        broker_epoch: i64,
        rack: Option<String>,
        fenced: bool,
    },
    BrokerFenced {
        broker: BrokerId,
        fenced: bool,
        in_controlled_shutdown: bool,
    },
    Topic {
        name: String,
        config: Vec<(String, String)>,
    },
    /// `PartitionRecord` / `PartitionChangeRecord`, carried here as the full new state.
    Partition(PartitionState),
}

/// The controller's registration of a partition (`PartitionRegistration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionState {
    pub tp: TopicPartition,
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    /// Eligible leader replicas (KIP-966).
    pub elr: Vec<BrokerId>,
    /// KIP-966 `LastKnownElr`: the last leader, kept when ISR and ELR both become empty.
    pub last_known_elr: Vec<BrokerId>,
    /// -1 when the partition has no leader.
    pub leader: BrokerId,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    /// Set after an unclean election until the new leader has recovered (`LeaderRecoveryState.RECOVERING`).
    pub leader_recovering: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchPartition {
    pub tp: TopicPartition,
    pub current_leader_epoch: i32,
    pub fetch_offset: i64,
    /// Epoch of the last record the follower has (-1 when unknown).
    pub last_fetched_epoch: i32,
    pub log_start_offset: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchPartitionResponse {
    pub tp: TopicPartition,
    pub error: KafkaError,
    pub high_watermark: i64,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    /// `divergingEpoch`: (epoch, end offset) when the follower's log diverged.
    pub diverging_epoch: Option<(i32, i64)>,
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionLeader {
    pub tp: TopicPartition,
    pub leader: BrokerId,
    pub leader_epoch: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    // ---- broker ↔ controller (KRaft) ----
    BrokerRegistration {
        broker: BrokerId,
        rack: Option<String>,
        incarnation: u64,
        previous_broker_epoch: i64,
    },
    BrokerRegistrationResponse {
        error: KafkaError,
        broker_epoch: i64,
    },
    BrokerHeartbeat {
        broker: BrokerId,
        broker_epoch: i64,
        metadata_offset: i64,
        want_fence: bool,
        want_shutdown: bool,
    },
    BrokerHeartbeatResponse {
        error: KafkaError,
        is_fenced: bool,
        should_shut_down: bool,
        /// Metadata records from the broker's offset on (the metadata fetch, folded in).
        records: Rc<Vec<(i64, MetadataRecord)>>,
    },
    /// New metadata records pushed to a broker (a long-polling metadata fetch being answered).
    MetadataUpdate {
        records: Rc<Vec<(i64, MetadataRecord)>>,
    },
    AlterPartition {
        broker: BrokerId,
        broker_epoch: i64,
        tp: TopicPartition,
        leader_epoch: i32,
        partition_epoch: i32,
        new_isr: Vec<BrokerId>,
        leader_recovered: bool,
    },
    AlterPartitionResponse {
        tp: TopicPartition,
        error: KafkaError,
        state: Option<PartitionState>,
    },

    // ---- replication ----
    Fetch {
        replica: BrokerId,
        broker_epoch: i64,
        session: u64,
        partitions: Vec<FetchPartition>,
    },
    FetchResponse {
        session: u64,
        partitions: Vec<FetchPartitionResponse>,
    },

    // ---- clients ----
    MetadataRequest {
        correlation_id: u64,
    },
    MetadataResponse {
        correlation_id: u64,
        partitions: Vec<PartitionLeader>,
    },
    Produce {
        correlation_id: u64,
        acks: Acks,
        timeout_ms: i64,
        tp: TopicPartition,
        records: Vec<NewRecord>,
    },
    ProduceResponse {
        correlation_id: u64,
        tp: TopicPartition,
        error: KafkaError,
        base_offset: i64,
    },
    /// A consumer fetch (`replica_id = -1`): reads only below the high watermark.
    ConsumerFetch {
        correlation_id: u64,
        tp: TopicPartition,
        fetch_offset: i64,
        current_leader_epoch: i32,
        max_records: usize,
    },
    ConsumerFetchResponse {
        correlation_id: u64,
        partition: FetchPartitionResponse,
    },

    /// Delivered by the network to a sender whose message reached a node that is down
    /// (the TCP connection was reset). Carries the kind of the lost message.
    Disconnected {
        lost: &'static str,
        correlation_id: u64,
    },
}

impl Msg {
    /// The RPC name, for the event log and the trace.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::BrokerRegistration { .. } => "BrokerRegistration",
            Msg::BrokerRegistrationResponse { .. } => "BrokerRegistrationResponse",
            Msg::BrokerHeartbeat { .. } => "BrokerHeartbeat",
            Msg::BrokerHeartbeatResponse { .. } => "BrokerHeartbeatResponse",
            Msg::MetadataUpdate { .. } => "MetadataUpdate",
            Msg::AlterPartition { .. } => "AlterPartition",
            Msg::AlterPartitionResponse { .. } => "AlterPartitionResponse",
            Msg::Fetch { .. } => "Fetch",
            Msg::FetchResponse { .. } => "FetchResponse",
            Msg::MetadataRequest { .. } => "Metadata",
            Msg::MetadataResponse { .. } => "MetadataResponse",
            Msg::Produce { .. } => "Produce",
            Msg::ProduceResponse { .. } => "ProduceResponse",
            Msg::ConsumerFetch { .. } => "ConsumerFetch",
            Msg::ConsumerFetchResponse { .. } => "ConsumerFetchResponse",
            Msg::Disconnected { .. } => "Disconnected",
        }
    }

    /// The id a sender matches a response or a disconnect with.
    pub fn correlation_id(&self) -> u64 {
        match self {
            Msg::Fetch { session, .. } | Msg::FetchResponse { session, .. } => *session,
            Msg::MetadataRequest { correlation_id }
            | Msg::MetadataResponse { correlation_id, .. }
            | Msg::Produce { correlation_id, .. }
            | Msg::ProduceResponse { correlation_id, .. }
            | Msg::ConsumerFetch { correlation_id, .. }
            | Msg::ConsumerFetchResponse { correlation_id, .. }
            | Msg::Disconnected { correlation_id, .. } => *correlation_id,
            _ => 0,
        }
    }
}
