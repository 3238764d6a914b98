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
        /// `RegisterBrokerRecord.incarnationId`: tells a restart from a duplicate after a failover.
        incarnation: u64,
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
    /// `UnregisterBrokerRecord` (`kafka-cluster.sh unregister`): the broker is gone from the cluster.
    UnregisterBroker {
        broker: BrokerId,
    },
    /// The `LeaderChangeMessage` control record a new quorum leader writes first in its epoch
    /// (`LeaderState.appendStartOfEpochControlRecords`): its commit lets the high watermark move.
    LeaderChange {
        epoch: i32,
        leader: i32,
        voters: Vec<i32>,
    },
}

/// One entry of a controller voter's copy of `__cluster_metadata-0`: the record and the
/// quorum epoch (Raft term) of the leader that appended it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetadataLogEntry {
    pub epoch: i32,
    pub record: MetadataRecord,
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
    /// `PartitionRegistration.addingReplicas` (KIP-455): replicas a reassignment is adding; they
    /// are in `replicas` and catch up as followers until they join the ISR.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adding_replicas: Vec<BrokerId>,
    /// `removingReplicas`: replicas a reassignment removes once every target replica is in the ISR.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removing_replicas: Vec<BrokerId>,
}

impl PartitionState {
    /// `PartitionReassignmentReplicas.isReassignmentInProgress`.
    pub fn is_reassigning(&self) -> bool {
        !self.adding_replicas.is_empty() || !self.removing_replicas.is_empty()
    }

    /// `AssignmentState.replicationFactor`: during a reassignment, replicas minus adding ones.
    pub fn replication_factor(&self) -> usize {
        self.replicas.len() - self.adding_replicas.len()
    }

    /// `Partition.isUnderReplicated`: led, and the ISR smaller than the replication factor.
    pub fn is_under_replicated(&self) -> bool {
        self.leader != crate::ids::NO_LEADER && self.isr.len() < self.replication_factor()
    }
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

/// A consumer's subscription as carried in JoinGroup (`ConsumerProtocolSubscription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSubscription {
    pub topics: Vec<String>,
    pub owned_partitions: Vec<TopicPartition>,
    pub generation: i32,
    pub rack: Option<String>,
}

/// One partition's batch in a Produce request (v2 batch header fields of an idempotent producer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProduceBatch {
    pub tp: TopicPartition,
    /// -1 (`NO_PRODUCER_ID`) when the producer is not idempotent.
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Sequence of the first record (-1 without idempotence).
    pub base_sequence: i32,
    pub records: Vec<NewRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProducePartitionResponse {
    pub tp: TopicPartition,
    pub error: KafkaError,
    pub base_offset: i64,
    /// The batch duplicated one the leader already had: nothing was appended and the
    /// original offsets are returned (`UnifiedLog.analyzeAndValidateProducerState`).
    pub duplicate: bool,
    /// `PartitionProduceResponse.ErrorMessage` (ProduceResponse v8+): the broker's reason, in words.
    pub error_message: Option<String>,
    /// `PartitionProduceResponse.CurrentLeader` (KIP-951, ProduceResponse v10+): with
    /// NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH, the leader (id, epoch) the broker's
    /// metadata names, so the producer can retry there without waiting for a Metadata round trip.
    pub current_leader: Option<(BrokerId, i32)>,
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

    // ---- KRaft controller quorum (`__cluster_metadata-0`, between voters) ----
    /// `Vote` (KIP-595); with `pre_vote` the KIP-996 PreVote, which changes no one's state.
    Vote {
        epoch: i32,
        candidate: i32,
        last_epoch: i32,
        last_offset: i64,
        pre_vote: bool,
    },
    VoteResponse {
        epoch: i32,
        leader: Option<i32>,
        granted: bool,
        pre_vote: bool,
        error: KafkaError,
    },
    /// The new leader tells every voter (again every `controller.quorum.fetch.timeout.ms` / 2).
    BeginQuorumEpoch {
        epoch: i32,
        leader: i32,
    },
    /// A resigning leader asks the voters to elect a successor, best first.
    EndQuorumEpoch {
        epoch: i32,
        leader: i32,
        preferred_successors: Vec<i32>,
    },
    /// A voter's Fetch of `__cluster_metadata-0` from the quorum leader.
    QuorumFetch {
        epoch: i32,
        replica: i32,
        fetch_offset: i64,
        last_fetched_epoch: i32,
    },
    QuorumFetchResponse {
        epoch: i32,
        leader: Option<i32>,
        error: KafkaError,
        high_watermark: i64,
        /// Offset of the first entry in `records`.
        base_offset: i64,
        records: Rc<Vec<MetadataLogEntry>>,
        /// `DivergingEpoch` (epoch, end offset): truncate there and fetch again.
        diverging: Option<(i32, i64)>,
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
    /// At most one batch per partition, all led by the receiving broker.
    Produce {
        correlation_id: u64,
        acks: Acks,
        timeout_ms: i64,
        batches: Vec<ProduceBatch>,
    },
    ProduceResponse {
        correlation_id: u64,
        responses: Vec<ProducePartitionResponse>,
    },
    /// An idempotent producer asks any broker for a producer id.
    InitProducerId {
        correlation_id: u64,
    },
    InitProducerIdResponse {
        correlation_id: u64,
        error: KafkaError,
        producer_id: i64,
        producer_epoch: i16,
    },
    /// A consumer fetch (`replica_id = -1`): reads only below the high watermark.
    ConsumerFetch {
        correlation_id: u64,
        tp: TopicPartition,
        fetch_offset: i64,
        current_leader_epoch: i32,
        max_records: usize,
        /// `rack_id` (KIP-392): the leader may name a same-rack follower to fetch from.
        rack_id: Option<String>,
        /// How long the broker may hold the fetch for new committed data (`fetch.max.wait.ms`; 0: answer now).
        max_wait_ms: i64,
    },
    ConsumerFetchResponse {
        correlation_id: u64,
        partition: FetchPartitionResponse,
        /// KIP-392 `preferred_read_replica` (-1: none).
        preferred_read_replica: BrokerId,
    },

    /// Consumer → broker: the leader epoch's end offset (`OffsetsForLeaderEpoch`, KIP-320 validation).
    OffsetsForLeaderEpoch {
        correlation_id: u64,
        tp: TopicPartition,
        current_leader_epoch: i32,
        leader_epoch: i32,
    },
    OffsetsForLeaderEpochResponse {
        correlation_id: u64,
        tp: TopicPartition,
        error: KafkaError,
        leader_epoch: i32,
        end_offset: i64,
    },
    /// `ListOffsets` with timestamp -2 (earliest) or -1 (latest: the HW for read_uncommitted).
    ListOffsets {
        correlation_id: u64,
        tp: TopicPartition,
        timestamp: i64,
        current_leader_epoch: i32,
    },
    ListOffsetsResponse {
        correlation_id: u64,
        tp: TopicPartition,
        error: KafkaError,
        offset: i64,
        leader_epoch: i32,
    },

    // ---- consumer groups (classic protocol) ----
    FindCoordinator {
        correlation_id: u64,
        group_id: String,
    },
    FindCoordinatorResponse {
        correlation_id: u64,
        error: KafkaError,
        coordinator: BrokerId,
    },
    JoinGroup {
        correlation_id: u64,
        group_id: String,
        member_id: String,
        client_id: String,
        session_timeout_ms: i64,
        rebalance_timeout_ms: i64,
        /// (assignor name, subscription) in preference order.
        protocols: Vec<(String, GroupSubscription)>,
    },
    JoinGroupResponse {
        correlation_id: u64,
        error: KafkaError,
        generation: i32,
        protocol: String,
        leader: String,
        member_id: String,
        /// Only for the leader: every member's subscription for the chosen protocol.
        members: Vec<(String, GroupSubscription)>,
    },
    SyncGroup {
        correlation_id: u64,
        group_id: String,
        generation: i32,
        member_id: String,
        /// The leader's assignment for every member (empty from followers).
        assignments: Vec<(String, Vec<TopicPartition>)>,
    },
    SyncGroupResponse {
        correlation_id: u64,
        error: KafkaError,
        assignment: Vec<TopicPartition>,
    },
    Heartbeat {
        correlation_id: u64,
        group_id: String,
        generation: i32,
        member_id: String,
    },
    HeartbeatResponse {
        correlation_id: u64,
        error: KafkaError,
    },
    LeaveGroup {
        correlation_id: u64,
        group_id: String,
        member_id: String,
        reason: String,
    },
    LeaveGroupResponse {
        correlation_id: u64,
        error: KafkaError,
    },
    OffsetCommit {
        correlation_id: u64,
        group_id: String,
        generation: i32,
        member_id: String,
        /// (partition, next offset to consume, leader epoch of the last consumed record)
        offsets: Vec<(TopicPartition, i64, i32)>,
    },
    OffsetCommitResponse {
        correlation_id: u64,
        error: KafkaError,
        offsets: Vec<(TopicPartition, i64, i32)>,
    },
    OffsetFetch {
        correlation_id: u64,
        group_id: String,
        partitions: Vec<TopicPartition>,
    },
    OffsetFetchResponse {
        correlation_id: u64,
        error: KafkaError,
        /// (partition, committed offset or -1, leader epoch or -1)
        offsets: Vec<(TopicPartition, i64, i32)>,
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
            Msg::Vote { pre_vote: true, .. } => "PreVote",
            Msg::Vote { .. } => "Vote",
            Msg::VoteResponse { pre_vote: true, .. } => "PreVoteResponse",
            Msg::VoteResponse { .. } => "VoteResponse",
            Msg::BeginQuorumEpoch { .. } => "BeginQuorumEpoch",
            Msg::EndQuorumEpoch { .. } => "EndQuorumEpoch",
            Msg::QuorumFetch { .. } => "QuorumFetch",
            Msg::QuorumFetchResponse { .. } => "QuorumFetchResponse",
            Msg::Fetch { .. } => "Fetch",
            Msg::FetchResponse { .. } => "FetchResponse",
            Msg::MetadataRequest { .. } => "Metadata",
            Msg::MetadataResponse { .. } => "MetadataResponse",
            Msg::Produce { .. } => "Produce",
            Msg::ProduceResponse { .. } => "ProduceResponse",
            Msg::InitProducerId { .. } => "InitProducerId",
            Msg::InitProducerIdResponse { .. } => "InitProducerIdResponse",
            Msg::ConsumerFetch { .. } => "ConsumerFetch",
            Msg::ConsumerFetchResponse { .. } => "ConsumerFetchResponse",
            Msg::OffsetsForLeaderEpoch { .. } => "OffsetsForLeaderEpoch",
            Msg::OffsetsForLeaderEpochResponse { .. } => "OffsetsForLeaderEpochResponse",
            Msg::ListOffsets { .. } => "ListOffsets",
            Msg::ListOffsetsResponse { .. } => "ListOffsetsResponse",
            Msg::FindCoordinator { .. } => "FindCoordinator",
            Msg::FindCoordinatorResponse { .. } => "FindCoordinatorResponse",
            Msg::JoinGroup { .. } => "JoinGroup",
            Msg::JoinGroupResponse { .. } => "JoinGroupResponse",
            Msg::SyncGroup { .. } => "SyncGroup",
            Msg::SyncGroupResponse { .. } => "SyncGroupResponse",
            Msg::Heartbeat { .. } => "Heartbeat",
            Msg::HeartbeatResponse { .. } => "HeartbeatResponse",
            Msg::LeaveGroup { .. } => "LeaveGroup",
            Msg::LeaveGroupResponse { .. } => "LeaveGroupResponse",
            Msg::OffsetCommit { .. } => "OffsetCommit",
            Msg::OffsetCommitResponse { .. } => "OffsetCommitResponse",
            Msg::OffsetFetch { .. } => "OffsetFetch",
            Msg::OffsetFetchResponse { .. } => "OffsetFetchResponse",
            Msg::Disconnected { .. } => "Disconnected",
        }
    }

    /// Does the sender wait for an answer (so a dead peer's connection reset matters)?
    pub fn expects_response(&self) -> bool {
        match self {
            Msg::Produce { acks, .. } => *acks != Acks::Zero,
            // Broker→controller requests: a dead controller's reset connection makes the
            // broker's channel (NodeToControllerChannelManager) send them again.
            Msg::BrokerRegistration { .. } | Msg::BrokerHeartbeat { .. } | Msg::AlterPartition { .. } => true,
            Msg::Vote { .. } | Msg::QuorumFetch { .. } => true,
            Msg::Fetch { .. }
            | Msg::MetadataRequest { .. }
            | Msg::ConsumerFetch { .. }
            | Msg::InitProducerId { .. }
            | Msg::OffsetsForLeaderEpoch { .. }
            | Msg::ListOffsets { .. }
            | Msg::FindCoordinator { .. }
            | Msg::JoinGroup { .. }
            | Msg::SyncGroup { .. }
            | Msg::Heartbeat { .. }
            | Msg::LeaveGroup { .. }
            | Msg::OffsetCommit { .. }
            | Msg::OffsetFetch { .. } => true,
            _ => false,
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
            | Msg::InitProducerId { correlation_id }
            | Msg::InitProducerIdResponse { correlation_id, .. }
            | Msg::ConsumerFetch { correlation_id, .. }
            | Msg::ConsumerFetchResponse { correlation_id, .. }
            | Msg::OffsetsForLeaderEpoch { correlation_id, .. }
            | Msg::OffsetsForLeaderEpochResponse { correlation_id, .. }
            | Msg::ListOffsets { correlation_id, .. }
            | Msg::ListOffsetsResponse { correlation_id, .. }
            | Msg::FindCoordinator { correlation_id, .. }
            | Msg::FindCoordinatorResponse { correlation_id, .. }
            | Msg::JoinGroup { correlation_id, .. }
            | Msg::JoinGroupResponse { correlation_id, .. }
            | Msg::SyncGroup { correlation_id, .. }
            | Msg::SyncGroupResponse { correlation_id, .. }
            | Msg::Heartbeat { correlation_id, .. }
            | Msg::HeartbeatResponse { correlation_id, .. }
            | Msg::LeaveGroup { correlation_id, .. }
            | Msg::LeaveGroupResponse { correlation_id, .. }
            | Msg::OffsetCommit { correlation_id, .. }
            | Msg::OffsetCommitResponse { correlation_id, .. }
            | Msg::OffsetFetch { correlation_id, .. }
            | Msg::OffsetFetchResponse { correlation_id, .. }
            | Msg::Disconnected { correlation_id, .. } => *correlation_id,
            _ => 0,
        }
    }
}
