//! A Kafka broker as a sans-IO state machine: registration and heartbeats to
//! the controller, metadata replay, partition leadership (produce, follower
//! fetches, ISR, high watermark) and followership (the replica fetcher with
//! truncation), flushes and checkpoints on its simulated disk.

pub mod crash;
pub mod disk;
pub mod group_coordinator;
pub mod partition;
pub mod replica_state;

use crate::config::{Acks, BrokerConfig, TopicConfig};
use crate::controller::join;
use crate::effects::Out;
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition, NO_LEADER};
use crate::log::producer_state::{BatchInfo, Validation};
use crate::log::PartitionLog;
use crate::protocol::{
    FetchPartition, FetchPartitionResponse, MetadataRecord, Msg, PartitionLeader, PartitionState, ProduceBatch, ProducePartitionResponse,
};
use disk::Disk;
use group_coordinator::{partition_for, CoordinatorConfig, GroupCoordinator, OFFSETS_TOPIC};
use partition::{Partition, PendingIsrChange};
use serde::Serialize;
use std::collections::BTreeMap;

/// Most records one fetch returns per partition (stands in for `replica.fetch.max.bytes`).
pub const MAX_FETCH_RECORDS: usize = 500;
/// How long a broker waits for a BrokerRegistration response before sending it again
/// (one registration in flight at a time, as BrokerLifecycleManager does).
pub const REGISTRATION_TIMEOUT_MS: i64 = 10_000;
/// The broker→controller request timeout after which a pending AlterPartition is sent again
/// (`controller.socket.timeout.ms`, 30 s).
pub const ALTER_PARTITION_RETRY_MS: i64 = 30_000;
/// Wait before registering again after the controller's connection was reset
/// (BrokerLifecycleManager's resend backoff starts at 100 ms).
pub const CONTROLLER_RETRY_BACKOFF_MS: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerStatus {
    /// Sending BrokerRegistration.
    Starting,
    /// Registered, not yet unfenced by the controller (or fenced again).
    Fenced,
    Running,
    ControlledShutdown,
    /// Cleanly stopped; the node is down.
    Stopped,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageBroker {
    pub broker_epoch: i64,
    pub rack: Option<String>,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
}

/// The broker's replayed copy of the metadata log (`KRaftMetadataCache`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MetadataImage {
    pub offset: i64,
    pub brokers: BTreeMap<BrokerId, ImageBroker>,
    pub topics: BTreeMap<String, TopicConfig>,
    pub partitions: BTreeMap<TopicPartition, PartitionState>,
    /// (controller id, quorum epoch) of the last `LeaderChange` record replayed (none
    /// before the first controller election after start-up).
    pub controller: Option<(i32, i32)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FetcherPartition {
    pub leader_epoch: i32,
    pub backoff_until_ms: i64,
}

/// A replica fetcher thread's state for one leader broker (`num.replica.fetchers=1`).
#[derive(Debug, Clone, Serialize)]
pub struct Fetcher {
    pub leader: BrokerId,
    pub partitions: BTreeMap<TopicPartition, FetcherPartition>,
    pub in_flight: Option<(u64, i64)>,
    pub next_fetch_ms: i64,
}

#[derive(Debug, Clone)]
struct DelayedProduce {
    from: NodeId,
    correlation_id: u64,
    tp: TopicPartition,
    base_offset: i64,
    required_offset: i64,
    deadline_ms: i64,
    duplicate: bool,
    /// A write of the group coordinator (its token) rather than of a client.
    internal: Option<u64>,
    /// The request's `timeout` (the producer's request.timeout.ms).
    timeout_ms: i64,
}

/// An acks=all write waiting in the leader's purgatory for the HW (`DelayedProduce`), for the
/// page's countdowns.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WaitingProduce {
    pub client: String,
    pub topic: String,
    pub partition: u32,
    pub base_offset: i64,
    /// The HW that would complete it.
    pub required_offset: i64,
    pub deadline_ms: i64,
    pub timeout_ms: i64,
}

/// A consumer fetch held until committed data arrives or `fetch.max.wait.ms` passes.
#[derive(Debug, Clone)]
struct DelayedConsumerFetch {
    from: NodeId,
    correlation_id: u64,
    tp: TopicPartition,
    fetch_offset: i64,
    current_leader_epoch: i32,
    max_records: usize,
    rack_id: Option<String>,
    deadline_ms: i64,
}

/// A Produce request whose partitions are not all answered yet.
#[derive(Debug, Clone)]
struct PendingProduceRequest {
    remaining: usize,
    responses: Vec<ProducePartitionResponse>,
}

/// Producer ids handed out per broker registration: a block of this many ids starting at
/// `broker_epoch × PRODUCER_ID_BLOCK_SIZE`. Stands in for the controller's AllocateProducerIds
/// blocks (`ProducerIdManager`, blocks of 1000): broker epochs are unique offsets of the
/// metadata log, so blocks never overlap.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

#[derive(Debug, Clone)]
struct DelayedFetch {
    follower: BrokerId,
    session: u64,
    partitions: Vec<FetchPartition>,
    deadline_ms: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BrokerStats {
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    pub records_appended_as_leader: u64,
    pub records_truncated: u64,
    pub produce_errors: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
pub struct Broker {
    pub id: BrokerId,
    pub rack: Option<String>,
    pub config: BrokerConfig,
    pub incarnation: u64,
    pub disk: Disk,
    pub status: BrokerStatus,
    pub broker_epoch: i64,
    pub metadata: MetadataImage,
    pub partitions: BTreeMap<TopicPartition, Partition>,
    pub fetchers: BTreeMap<BrokerId, Fetcher>,
    delayed_produce: Vec<DelayedProduce>,
    produce_requests: BTreeMap<(NodeId, u64), PendingProduceRequest>,
    next_producer_id: i64,
    delayed_fetch: Vec<DelayedFetch>,
    delayed_consumer_fetch: Vec<DelayedConsumerFetch>,
    /// The group coordinator for the `__consumer_offsets` partitions this broker leads.
    pub groups: GroupCoordinator,
    next_session: u64,
    next_registration_ms: i64,
    next_heartbeat_ms: i64,
    next_isr_check_ms: i64,
    next_hw_checkpoint_ms: i64,
    next_os_flush_ms: i64,
    /// The log flusher's next run (`LogManager`'s "kafka-log-flusher": first 30 s after start,
    /// then every log.flush.scheduler.interval.ms).
    next_log_flusher_ms: i64,
    next_retention_check_ms: i64,
    next_cleaner_ms: i64,
    want_shutdown: bool,
    /// A heartbeat answer arrived while waiting for the controlled shutdown to be granted.
    controlled_shutdown_answered: bool,
    caught_up_heartbeat_sent: bool,
    /// The first error of the acks=0 produce request being handled (its connection is closed).
    acks0_error: Option<(KafkaError, Option<String>)>,
    pub stats: BrokerStats,
}

/// `InitialTaskDelayMs`: LogManager's periodic tasks first run 30 s after start.
const LOG_FLUSHER_INITIAL_DELAY_MS: i64 = 30_000;

fn tp_error(tp: &TopicPartition, error: KafkaError, log: Option<&PartitionLog>) -> FetchPartitionResponse {
    FetchPartitionResponse {
        tp: tp.clone(),
        error,
        high_watermark: log.map(|l| l.high_watermark()).unwrap_or(-1),
        log_start_offset: log.map(|l| l.log_start_offset()).unwrap_or(-1),
        log_end_offset: log.map(|l| l.log_end_offset()).unwrap_or(-1),
        diverging_epoch: None,
        records: vec![],
    }
}

impl Broker {
    /// Starts a broker process over `disk` (empty for a new broker, or what
    /// survived a crash or shutdown). Volatile state starts empty; each log's HW
    /// comes from `replication-offset-checkpoint`.
    pub fn start(id: BrokerId, rack: Option<String>, config: BrokerConfig, mut disk: Disk, incarnation: u64, now_ms: i64) -> Broker {
        let hws = disk.read_hw_checkpoint();
        for (tp, log) in disk.logs.iter_mut() {
            log.reset_volatile(hws.get(tp).copied().unwrap_or(0), now_ms);
        }
        let isr_period = (config.replica_lag_time_max_ms / 2).max(1);
        Broker {
            id,
            rack,
            incarnation,
            status: BrokerStatus::Starting,
            broker_epoch: -1,
            metadata: MetadataImage { offset: -1, ..Default::default() },
            partitions: BTreeMap::new(),
            fetchers: BTreeMap::new(),
            delayed_produce: vec![],
            produce_requests: BTreeMap::new(),
            next_producer_id: 0,
            delayed_fetch: vec![],
            delayed_consumer_fetch: vec![],
            groups: GroupCoordinator::new(((id as u64) << 32) ^ incarnation),
            next_session: 1,
            next_registration_ms: now_ms,
            next_heartbeat_ms: i64::MAX,
            next_isr_check_ms: now_ms + isr_period,
            next_hw_checkpoint_ms: now_ms + config.replica_high_watermark_checkpoint_interval_ms,
            next_os_flush_ms: now_ms + config.os_flush_interval_ms,
            next_log_flusher_ms: now_ms + LOG_FLUSHER_INITIAL_DELAY_MS,
            next_retention_check_ms: now_ms + config.log_retention_check_interval_ms,
            next_cleaner_ms: now_ms + config.log_cleaner_backoff_ms,
            want_shutdown: false,
            controlled_shutdown_answered: false,
            caught_up_heartbeat_sent: false,
            acks0_error: None,
            stats: BrokerStats::default(),
            config,
            disk,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.status == BrokerStatus::Stopped
    }

    fn topic_config_ref(&self, topic: &str) -> Option<&TopicConfig> {
        self.metadata.topics.get(topic)
    }

    /// Gives every log its storage config: topic overrides over this broker's defaults.
    pub fn refresh_log_configs(&mut self) {
        for (tp, log) in self.disk.logs.iter_mut() {
            log.config = self.metadata.topics.get(&tp.topic).map(|t| t.log_config(&self.config)).unwrap_or(self.config.log_defaults);
        }
    }

    /// After a config change: periodic tasks follow their new interval at once (the
    /// playground applies broker configs live).
    pub fn reschedule_timers(&mut self, now_ms: i64) {
        self.next_retention_check_ms = self.next_retention_check_ms.min(now_ms + self.config.log_retention_check_interval_ms);
        self.next_cleaner_ms = self.next_cleaner_ms.min(now_ms + self.config.log_cleaner_backoff_ms);
        self.next_log_flusher_ms = self.next_log_flusher_ms.min(now_ms.saturating_add(self.config.log_flush_scheduler_interval_ms));
        self.next_isr_check_ms = self.next_isr_check_ms.min(now_ms + (self.config.replica_lag_time_max_ms / 2).max(1));
        self.next_hw_checkpoint_ms = self.next_hw_checkpoint_ms.min(now_ms + self.config.replica_high_watermark_checkpoint_interval_ms);
        self.next_os_flush_ms = self.next_os_flush_ms.min(now_ms + self.config.os_flush_interval_ms);
    }

    /// Moves a log's roll and deletion events into the event log.
    fn drain_log_events(&mut self, tp: &TopicPartition, out: &mut Out) {
        if let Some(log) = self.disk.logs.get_mut(tp) {
            for e in log.take_events() {
                out.log("storage", e);
            }
        }
    }

    fn min_isr(&self, topic: &str) -> i64 {
        self.topic_config_ref(topic).map(|t| t.min_insync_replicas(&self.config)).unwrap_or(self.config.min_insync_replicas)
    }

    fn eligible_fn(&self, tp: &TopicPartition) -> impl Fn(BrokerId) -> bool + '_ {
        let remote = self.partitions.get(tp).and_then(|p| p.leader_state.as_ref()).map(|ls| &ls.remote);
        move |b: BrokerId| is_isr_eligible(&self.metadata, remote, b)
    }

    // ------------------------------------------------------------------ inputs

    pub fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
        if self.is_stopped() {
            return;
        }
        match msg {
            Msg::BrokerRegistrationResponse { error, broker_epoch } if self.status == BrokerStatus::Starting => {
                if error == KafkaError::NONE {
                    self.broker_epoch = broker_epoch;
                    self.next_producer_id = 0;
                    // A broker asked to shut down stays shutting down across re-registration.
                    self.status = if self.want_shutdown { BrokerStatus::ControlledShutdown } else { BrokerStatus::Fenced };
                    self.next_heartbeat_ms = now_ms;
                    out.log("broker", format!("registered with the controller, broker epoch {broker_epoch}"));
                } else {
                    self.next_registration_ms = now_ms + self.config.broker_heartbeat_interval_ms;
                    out.log("broker", format!("registration failed: {error}; retrying"));
                }
            }
            Msg::BrokerHeartbeatResponse { error, is_fenced, should_shut_down, records } => {
                if error == KafkaError::NOT_CONTROLLER {
                    return; // a controller that is no longer active; the next heartbeat goes to the new one
                }
                if error == KafkaError::STALE_BROKER_EPOCH || error == KafkaError::BROKER_NOT_AVAILABLE {
                    // The controller no longer knows this registration: register again.
                    self.status = BrokerStatus::Starting;
                    self.next_registration_ms = now_ms;
                    return;
                }
                self.apply_metadata(now_ms, &records, out);
                if self.status == BrokerStatus::Fenced && !is_fenced {
                    self.status = BrokerStatus::Running;
                    out.log("broker", "unfenced by the controller; serving".to_string());
                } else if self.status == BrokerStatus::Running && is_fenced {
                    self.status = BrokerStatus::Fenced;
                    out.log("broker", "the controller reports this broker fenced".to_string());
                }
                if self.want_shutdown && should_shut_down {
                    self.finish_clean_shutdown(now_ms, out);
                } else if self.want_shutdown && !self.controlled_shutdown_answered {
                    // BrokerLifecycleManager: after the first "not yet" answer in
                    // PENDING_CONTROLLED_SHUTDOWN the next heartbeat goes 50 ms later, then every
                    // broker.heartbeat.interval.ms.
                    self.controlled_shutdown_answered = true;
                    self.next_heartbeat_ms = now_ms + 50;
                    out.wake_at(self.next_heartbeat_ms);
                }
            }
            Msg::MetadataUpdate { records } => self.apply_metadata(now_ms, &records, out),
            Msg::AlterPartitionResponse { tp, error, state } => self.handle_alter_partition_response(now_ms, tp, error, state, out),
            Msg::Fetch { replica, broker_epoch, session, partitions } => {
                self.handle_follower_fetch(now_ms, replica, broker_epoch, session, partitions, out)
            }
            Msg::FetchResponse { session, partitions } => {
                if let Some(leader) = from.broker() {
                    self.handle_fetch_response(now_ms, leader, session, partitions, out);
                }
            }
            Msg::Produce { correlation_id, acks, timeout_ms, batches } => {
                if acks != Acks::Zero {
                    let pending = PendingProduceRequest { remaining: batches.len(), responses: vec![] };
                    self.produce_requests.insert((from, correlation_id), pending);
                }
                for b in batches {
                    self.handle_produce(now_ms, from, correlation_id, acks, timeout_ms, b, out);
                }
                // KafkaApis.handleProduceRequest: an acks=0 producer expects no answer, so on any
                // error the broker closes the connection ("Closing connection due to error during
                // produce request"); the client's disconnect handling then refreshes its metadata.
                if let Some((error, why)) = self.acks0_error.take() {
                    out.log(
                        "produce",
                        format!(
                            "closes {from}'s connection: {error} on an acks=0 produce request{}",
                            why.map(|w| format!(" ({w})")).unwrap_or_default()
                        ),
                    );
                    out.send(from, Msg::Disconnected { lost: "Produce", correlation_id });
                }
            }
            Msg::InitProducerId { correlation_id } => {
                // ProducerIdManager: the next id of this registration's block.
                let (error, producer_id) = if self.broker_epoch < 0 || self.next_producer_id >= PRODUCER_ID_BLOCK_SIZE {
                    (KafkaError::COORDINATOR_NOT_AVAILABLE, -1)
                } else {
                    self.next_producer_id += 1;
                    (KafkaError::NONE, self.broker_epoch * PRODUCER_ID_BLOCK_SIZE + self.next_producer_id - 1)
                };
                out.send(from, Msg::InitProducerIdResponse { correlation_id, error, producer_id, producer_epoch: 0 });
            }
            Msg::MetadataRequest { correlation_id } => {
                let partitions = self
                    .metadata
                    .partitions
                    .values()
                    .map(|p| PartitionLeader { tp: p.tp.clone(), leader: p.leader, leader_epoch: p.leader_epoch })
                    .collect();
                out.send(from, Msg::MetadataResponse { correlation_id, partitions });
            }
            Msg::ConsumerFetch { correlation_id, tp, fetch_offset, current_leader_epoch, max_records, rack_id, max_wait_ms } => {
                let d = DelayedConsumerFetch {
                    from,
                    correlation_id,
                    tp,
                    fetch_offset,
                    current_leader_epoch,
                    max_records,
                    rack_id,
                    deadline_ms: now_ms + max_wait_ms,
                };
                let (partition, preferred) = self.read_for_consumer(&d);
                if partition.error == KafkaError::NONE && partition.records.is_empty() && preferred < 0 && max_wait_ms > 0 {
                    // Long poll: hold the fetch until the HW passes the fetch offset or fetch.max.wait.ms passes.
                    self.delayed_consumer_fetch.push(d);
                } else {
                    out.send(from, Msg::ConsumerFetchResponse { correlation_id, partition, preferred_read_replica: preferred });
                }
            }
            Msg::ListOffsets { correlation_id, tp, timestamp, current_leader_epoch } => {
                // Partition.fetchOffsetForTimestamp: the current leader epoch is checked before
                // leadership (getLocalLog).
                let (error, offset, leader_epoch) = match (self.partitions.get(&tp), self.disk.logs.get(&tp)) {
                    (Some(p), _) if current_leader_epoch >= 0 && current_leader_epoch < p.leader_epoch => {
                        (KafkaError::FENCED_LEADER_EPOCH, -1, -1)
                    }
                    (Some(p), _) if current_leader_epoch > p.leader_epoch => (KafkaError::UNKNOWN_LEADER_EPOCH, -1, -1),
                    (Some(p), Some(log)) if p.is_leader() => {
                        let epoch_start = p.leader_state.as_ref().map_or(-1, |ls| ls.leader_epoch_start_offset);
                        if timestamp == -2 {
                            // EARLIEST is answered even while the new leader's HW lags.
                            let o = log.log_start_offset();
                            (KafkaError::NONE, o, log.epoch_cache.epoch_for_offset(o).unwrap_or(-1))
                        } else if epoch_start > log.high_watermark() {
                            // A new leader whose HW has not yet reached the start offset of its epoch
                            // cannot say what is committed: LATEST fails with OFFSET_NOT_AVAILABLE
                            // (retriable) until it has (leaderEpochStartOffsetOpt > highWatermark).
                            (KafkaError::OFFSET_NOT_AVAILABLE, -1, -1)
                        } else {
                            // LATEST for read_uncommitted consumers: the high watermark.
                            (KafkaError::NONE, log.high_watermark(), p.leader_epoch)
                        }
                    }
                    (Some(_), _) => (KafkaError::NOT_LEADER_OR_FOLLOWER, -1, -1),
                    _ => (KafkaError::UNKNOWN_TOPIC_OR_PARTITION, -1, -1),
                };
                out.send(from, Msg::ListOffsetsResponse { correlation_id, tp, error, offset, leader_epoch });
            }
            Msg::OffsetsForLeaderEpoch { correlation_id, tp, current_leader_epoch, leader_epoch } => {
                let (error, epoch, end) = match (self.partitions.get(&tp), self.disk.logs.get(&tp)) {
                    (Some(p), Some(log)) if p.is_leader() => {
                        if current_leader_epoch >= 0 && current_leader_epoch < p.leader_epoch {
                            (KafkaError::FENCED_LEADER_EPOCH, -1, -1)
                        } else if current_leader_epoch > p.leader_epoch {
                            (KafkaError::UNKNOWN_LEADER_EPOCH, -1, -1)
                        } else {
                            let (e, o) = log.epoch_cache.end_offset_for(leader_epoch, log.log_end_offset());
                            (KafkaError::NONE, e, o)
                        }
                    }
                    (Some(_), _) => (KafkaError::NOT_LEADER_OR_FOLLOWER, -1, -1),
                    _ => (KafkaError::UNKNOWN_TOPIC_OR_PARTITION, -1, -1),
                };
                out.send(from, Msg::OffsetsForLeaderEpochResponse { correlation_id, tp, error, leader_epoch: epoch, end_offset: end });
            }
            Msg::FindCoordinator { correlation_id, group_id } => {
                let n = self.offsets_partitions();
                let (error, coordinator) = if n == 0 || self.status != BrokerStatus::Running {
                    (KafkaError::COORDINATOR_NOT_AVAILABLE, -1)
                } else {
                    let tp = TopicPartition::new(OFFSETS_TOPIC, partition_for(&group_id, n));
                    match self.metadata.partitions.get(&tp).map(|p| p.leader) {
                        Some(l) if l != NO_LEADER => (KafkaError::NONE, l),
                        _ => (KafkaError::COORDINATOR_NOT_AVAILABLE, -1),
                    }
                };
                out.send(from, Msg::FindCoordinatorResponse { correlation_id, error, coordinator });
            }
            Msg::JoinGroup { .. }
            | Msg::SyncGroup { .. }
            | Msg::Heartbeat { .. }
            | Msg::LeaveGroup { .. }
            | Msg::OffsetCommit { .. }
            | Msg::OffsetFetch { .. } => {
                let n = self.offsets_partitions();
                let cfg = self.coordinator_config();
                self.groups.on_message(now_ms, from, &msg, n, &cfg, out);
                self.flush_coordinator_appends(now_ms, out);
            }
            // The active controller died with the request unanswered, or is no longer active:
            // the channel to the controller sends it again (to the next active controller).
            Msg::Disconnected { lost: "AlterPartition", .. } => self.resend_alter_partitions(now_ms, out),
            Msg::Disconnected { lost: "BrokerRegistration", .. } if self.status == BrokerStatus::Starting => {
                self.next_registration_ms = now_ms + CONTROLLER_RETRY_BACKOFF_MS;
            }
            Msg::Disconnected { lost: "Fetch", correlation_id } => {
                let backoff = self.config.replica_fetch_backoff_ms;
                if let Some(f) = from.broker().and_then(|leader| self.fetchers.get_mut(&leader)) {
                    if f.in_flight.map(|(s, _)| s) == Some(correlation_id) {
                        f.in_flight = None;
                        f.next_fetch_ms = now_ms + backoff;
                    }
                }
            }
            _ => {}
        }
        self.complete_delayed_consumer_fetches(now_ms, false, out);
        out.wake_at(self.next_wake(now_ms));
    }

    fn offsets_partitions(&self) -> u32 {
        self.metadata.partitions.range(TopicPartition::new(OFFSETS_TOPIC, 0)..).take_while(|(tp, _)| tp.topic == OFFSETS_TOPIC).count()
            as u32
    }

    fn coordinator_config(&self) -> CoordinatorConfig {
        CoordinatorConfig {
            initial_rebalance_delay_ms: self.config.group_initial_rebalance_delay_ms,
            min_session_timeout_ms: self.config.group_min_session_timeout_ms,
            max_session_timeout_ms: self.config.group_max_session_timeout_ms,
        }
    }

    /// Appends the group coordinator asked for, as acks=-1 writes to `__consumer_offsets`.
    fn flush_coordinator_appends(&mut self, now_ms: i64, out: &mut Out) {
        let appends = std::mem::take(&mut self.groups.appends);
        for a in appends {
            let tp = TopicPartition::new(OFFSETS_TOPIC, a.partition);
            let leader =
                self.partitions.get(&tp).filter(|p| p.is_leader()).map(|p| (p.leader_epoch, p.isr().len(), p.effective_min_isr(0)));
            let Some((epoch, isr, _)) = leader else {
                self.groups.on_append_done(a.token, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
                continue;
            };
            let min_isr = self.min_isr(OFFSETS_TOPIC);
            if (isr as i64) < min_isr {
                self.groups.on_append_done(a.token, KafkaError::NOT_ENOUGH_REPLICAS, out);
                continue;
            }
            let log = self.disk.logs.get_mut(&tp).unwrap();
            let (first, last) = log.append_as_leader(&a.records, epoch, now_ms);
            self.drain_log_events(&tp, out);
            self.maybe_increment_hw(now_ms, &tp, out);
            self.complete_delayed_fetch_for(now_ms, &tp, out);
            self.delayed_produce.push(DelayedProduce {
                from: NodeId::Broker(self.id),
                correlation_id: 0,
                tp: tp.clone(),
                base_offset: first,
                required_offset: last + 1,
                deadline_ms: now_ms + self.config.offsets_commit_timeout_ms,
                duplicate: false,
                internal: Some(a.token),
                timeout_ms: self.config.offsets_commit_timeout_ms,
            });
            self.complete_delayed_produce(now_ms, &tp, out);
        }
    }

    /// Answers held consumer fetches whose partition has new committed data (or whose wait is over).
    fn complete_delayed_consumer_fetches(&mut self, now_ms: i64, all: bool, out: &mut Out) {
        if self.delayed_consumer_fetch.is_empty() {
            return;
        }
        let held = std::mem::take(&mut self.delayed_consumer_fetch);
        for d in held {
            let (partition, preferred) = self.read_for_consumer(&d);
            if all || now_ms >= d.deadline_ms || partition.error != KafkaError::NONE || !partition.records.is_empty() {
                out.send(
                    d.from,
                    Msg::ConsumerFetchResponse { correlation_id: d.correlation_id, partition, preferred_read_replica: preferred },
                );
            } else {
                self.delayed_consumer_fetch.push(d);
            }
        }
    }

    /// Clients' acks=all writes waiting for the high watermark, oldest first.
    pub fn waiting_produces(&self) -> Vec<WaitingProduce> {
        self.delayed_produce
            .iter()
            .filter(|d| d.internal.is_none())
            .map(|d| WaitingProduce {
                client: d.from.to_string(),
                topic: d.tp.topic.clone(),
                partition: d.tp.partition,
                base_offset: d.base_offset,
                required_offset: d.required_offset,
                deadline_ms: d.deadline_ms,
                timeout_ms: d.timeout_ms,
            })
            .collect()
    }

    /// When the leader next runs `maybeShrinkIsr` (every replica.lag.time.max.ms / 2).
    pub fn next_isr_check_ms(&self) -> i64 {
        self.next_isr_check_ms
    }

    /// Requests this broker holds open (acks=all produces, long-polling fetches): when
    /// the process dies, the OS resets their connections.
    pub fn held_requests(&self) -> Vec<(NodeId, &'static str, u64)> {
        let mut v: Vec<(NodeId, &'static str, u64)> = self.produce_requests.keys().map(|(from, c)| (*from, "Produce", *c)).collect();
        v.extend(self.delayed_fetch.iter().map(|d| (NodeId::Broker(d.follower), "Fetch", d.session)));
        v.extend(self.delayed_consumer_fetch.iter().map(|d| (d.from, "ConsumerFetch", d.correlation_id)));
        v
    }

    /// Begins a clean shutdown (`kafka-server-stop.sh`, SIGTERM).
    pub fn begin_shutdown(&mut self, now_ms: i64, out: &mut Out) {
        if self.is_stopped() {
            return;
        }
        if self.config.controlled_shutdown_enable && self.broker_epoch >= 0 {
            self.want_shutdown = true;
            self.status = BrokerStatus::ControlledShutdown;
            self.next_heartbeat_ms = now_ms;
            out.log("broker", "starting controlled shutdown".to_string());
            out.wake_at(now_ms);
        } else {
            self.finish_clean_shutdown(now_ms, out);
        }
    }

    fn finish_clean_shutdown(&mut self, now_ms: i64, out: &mut Out) {
        for log in self.disk.logs.values_mut() {
            log.flush(now_ms);
        }
        self.disk.write_hw_checkpoint();
        self.disk.clean_shutdown_broker_epoch = Some(self.broker_epoch);
        self.status = BrokerStatus::Stopped;
        out.log("broker", "shut down cleanly: logs flushed, replication-offset-checkpoint written".to_string());
    }

    // --------------------------------------------------------------- metadata

    fn apply_metadata(&mut self, now_ms: i64, records: &[(i64, MetadataRecord)], out: &mut Out) {
        let mut changed: Vec<TopicPartition> = vec![];
        for (offset, rec) in records {
            if *offset <= self.metadata.offset {
                continue;
            }
            if *offset != self.metadata.offset + 1 {
                break; // a gap (lost update): the next heartbeat response fills it
            }
            self.metadata.offset = *offset;
            match rec {
                MetadataRecord::RegisterBroker { broker, broker_epoch, rack, fenced, .. } => {
                    self.metadata.brokers.insert(
                        *broker,
                        ImageBroker { broker_epoch: *broker_epoch, rack: rack.clone(), fenced: *fenced, in_controlled_shutdown: false },
                    );
                }
                MetadataRecord::BrokerFenced { broker, fenced, in_controlled_shutdown } => {
                    let b = self.metadata.brokers.entry(*broker).or_default();
                    b.fenced = *fenced;
                    b.in_controlled_shutdown = *in_controlled_shutdown;
                }
                MetadataRecord::Topic { name, config } => {
                    let mut tc = TopicConfig::default();
                    for (k, v) in config {
                        tc.overrides.insert(k.clone(), v.clone());
                    }
                    self.metadata.topics.insert(name.clone(), tc);
                }
                MetadataRecord::Partition(st) => {
                    self.metadata.partitions.insert(st.tp.clone(), st.clone());
                    if !changed.contains(&st.tp) {
                        changed.push(st.tp.clone());
                    }
                }
                MetadataRecord::LeaderChange { epoch, leader, .. } => {
                    self.metadata.controller = Some((*leader, *epoch));
                }
            }
        }
        // BrokerLifecycleManager: once a fenced broker has replayed its own registration
        // (its broker epoch is that record's offset), it heartbeats at once to be unfenced.
        if self.status == BrokerStatus::Fenced
            && self.broker_epoch >= 0
            && self.metadata.offset >= self.broker_epoch
            && !self.caught_up_heartbeat_sent
        {
            self.caught_up_heartbeat_sent = true;
            self.next_heartbeat_ms = self.next_heartbeat_ms.min(now_ms);
        }
        for tp in changed {
            let st = self.metadata.partitions[&tp].clone();
            if st.replicas.contains(&self.id) {
                self.apply_partition_state(now_ms, st, out);
            }
        }
        self.refresh_log_configs();
    }

    /// `ReplicaManager.applyDelta`: become leader or follower as the metadata says.
    fn apply_partition_state(&mut self, now_ms: i64, st: PartitionState, out: &mut Out) {
        let tp = st.tp.clone();
        if !self.disk.logs.contains_key(&tp) {
            self.disk.logs.insert(tp.clone(), PartitionLog::new(tp.clone(), now_ms));
        }
        let part = self.partitions.entry(tp.clone()).or_insert_with(|| Partition::new(tp.clone(), self.id));
        if st.partition_epoch < part.partition_epoch && st.leader_epoch <= part.leader_epoch {
            return; // stale
        }
        if st.leader == self.id {
            let log = self.disk.logs.get_mut(&tp).unwrap();
            let new_epoch = part.make_leader(
                log,
                st.replicas.clone(),
                st.isr.clone(),
                st.leader_epoch,
                st.partition_epoch,
                st.leader_recovering,
                now_ms,
            );
            if new_epoch {
                out.log(
                    "election",
                    format!(
                        "becomes leader of {tp} in epoch {} at offset {} (HW {}, ISR [{}])",
                        st.leader_epoch,
                        log.log_end_offset(),
                        log.high_watermark(),
                        join(&st.isr)
                    ),
                );
            }
            // After an unclean election (LeaderRecoveryState RECOVERING) Partition.makeLeader marks
            // the partition RECOVERED locally at once ("Marking the topic partition as RECOVERED")
            // and sends no request for it: the controller learns it from the leader's next
            // AlterPartition (in practice the first ISR expansion), which always says RECOVERED.
            if let Some(ls) = part.leader_state.as_mut() {
                if st.leader_recovering && new_epoch {
                    out.log(
                        "election",
                        format!("{tp} was marked RECOVERING (unclean election): broker {} marks it RECOVERED locally; its next AlterPartition reports it", self.id),
                    );
                }
                ls.recovering = st.leader_recovering;
            }
            for f in self.fetchers.values_mut() {
                f.partitions.remove(&tp);
            }
            self.maybe_increment_hw(now_ms, &tp, out);
            // Delayed fetches and produces for this partition re-check.
            self.complete_delayed_produce(now_ms, &tp, out);
            if tp.topic == OFFSETS_TOPIC {
                let records = self.disk.logs[&tp].records();
                self.groups.load(now_ms, tp.partition, records, out);
            }
        } else {
            let was_leader = part.is_leader();
            let changed = part.make_follower(st.replicas.clone(), st.leader, st.leader_epoch, st.partition_epoch);
            if !changed {
                return;
            }
            if was_leader {
                out.log(
                    "election",
                    format!("is no longer leader of {tp} (new leader {} in epoch {})", leader_name(st.leader), st.leader_epoch),
                );
            }
            // Pending acks=all writes cannot complete here any more.
            self.fail_delayed_produce(&tp, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
            if tp.topic == OFFSETS_TOPIC {
                self.groups.unload(tp.partition, out);
            }
            self.complete_delayed_fetch_for(now_ms, &tp, out);
            for f in self.fetchers.values_mut() {
                f.partitions.remove(&tp);
            }
            if st.leader == NO_LEADER {
                return;
            }
            if self.config.legacy_hw_truncation {
                // LEGACY (pre-KIP-101, Kafka < 0.11): on becoming a follower, truncate to
                // the local high watermark (ReplicaManager.makeFollowers, 0.10).
                let log = self.disk.logs.get_mut(&tp).unwrap();
                let hw = log.high_watermark();
                let leo = log.log_end_offset();
                let removed = log.truncate_to(hw, now_ms);
                if removed > 0 {
                    self.stats.records_truncated += removed as u64;
                    out.log(
                        "truncate",
                        format!(
                        "truncates {tp} to its high watermark {hw} (legacy pre-KIP-101 rule): LEO {leo} → {hw}, {removed} record(s) removed"
                    ),
                    );
                }
            }
            out.log("fetch", format!("becomes follower of {tp}: fetching from broker {} in epoch {}", st.leader, st.leader_epoch));
            let f = self.fetchers.entry(st.leader).or_insert_with(|| Fetcher {
                leader: st.leader,
                partitions: BTreeMap::new(),
                in_flight: None,
                next_fetch_ms: now_ms,
            });
            f.partitions.insert(tp, FetcherPartition { leader_epoch: st.leader_epoch, backoff_until_ms: now_ms });
            if f.in_flight.is_none() {
                f.next_fetch_ms = f.next_fetch_ms.min(now_ms);
            }
        }
    }

    // ------------------------------------------------------------ ISR changes

    fn handle_alter_partition_response(
        &mut self,
        now_ms: i64,
        tp: TopicPartition,
        error: KafkaError,
        state: Option<PartitionState>,
        out: &mut Out,
    ) {
        let Some(part) = self.partitions.get_mut(&tp) else { return };
        let Some(ls) = part.leader_state.as_mut() else { return };
        if ls.pending.is_none() {
            return;
        }
        match error {
            KafkaError::NONE => {
                let Some(st) = state else { return };
                if st.leader_epoch != part.leader_epoch || st.partition_epoch < part.partition_epoch {
                    return; // stale: wait for metadata
                }
                ls.isr = st.isr.clone();
                ls.pending = None;
                ls.recovering = st.leader_recovering;
                part.partition_epoch = st.partition_epoch;
                self.maybe_increment_hw(now_ms, &tp, out);
                self.complete_delayed_produce(now_ms, &tp, out);
            }
            KafkaError::INELIGIBLE_REPLICA => {
                ls.pending = None;
                out.log("isr", format!("AlterPartition of {tp} rejected: {error}; keeping ISR [{}]", join(&ls.isr)));
            }
            KafkaError::NOT_CONTROLLER => self.resend_alter_partitions(now_ms, out),
            _ => {
                out.log("isr", format!("AlterPartition of {tp} failed: {error}; waiting for new metadata"));
            }
        }
    }

    /// Sends every pending AlterPartition again (AlterPartitionManager after a lost or
    /// NOT_CONTROLLER answer: the request goes to the active controller, when there is one).
    fn resend_alter_partitions(&mut self, now_ms: i64, out: &mut Out) {
        let mut resend = vec![];
        for (tp, p) in self.partitions.iter_mut() {
            if let Some(ls) = p.leader_state.as_mut() {
                match ls.pending.as_mut() {
                    Some(PendingIsrChange::Expand { proposed, sent_at_ms, .. })
                    | Some(PendingIsrChange::Shrink { proposed, sent_at_ms, .. }) => {
                        *sent_at_ms = now_ms;
                        resend.push((tp.clone(), proposed.clone(), p.leader_epoch, p.partition_epoch));
                    }
                    None => {}
                }
            }
        }
        for (tp, proposed, le, pe) in resend {
            out.send(NodeId::Controller, alter_partition(self.id, self.broker_epoch, tp, le, pe, proposed));
        }
    }

    /// `maybeShrinkIsr` for every partition this broker leads. With the legacy
    /// `replica.lag.max.messages` set, Kafka 0.8.2's second rule applies too
    /// (`Partition.getOutOfSyncReplicas` = stuck ++ slow followers).
    fn maybe_shrink_isr(&mut self, now_ms: i64, out: &mut Out) {
        let max_lag = self.config.replica_lag_time_max_ms;
        let max_lag_messages = self.config.replica_lag_max_messages;
        let tps: Vec<TopicPartition> = self.partitions.iter().filter(|(_, p)| p.is_leader()).map(|(tp, _)| tp.clone()).collect();
        for tp in tps {
            let leo = self.disk.logs[&tp].log_end_offset();
            let hw = self.disk.logs[&tp].high_watermark();
            let part = self.partitions.get_mut(&tp).unwrap();
            let by_time = part.out_of_sync_replicas(leo, now_ms, max_lag);
            let slow = part.legacy_slow_replicas(leo, max_lag_messages);
            let mut out_of_sync = by_time.clone();
            for b in &slow {
                if !out_of_sync.contains(b) {
                    out_of_sync.push(*b);
                }
            }
            if out_of_sync.is_empty() {
                continue;
            }
            let ls = part.leader_state.as_mut().unwrap();
            let new_isr: Vec<BrokerId> = ls.isr.iter().copied().filter(|b| !out_of_sync.contains(b)).collect();
            let details: Vec<String> = out_of_sync
                .iter()
                .map(|b| {
                    let s = ls.remote.get(b);
                    let lag_ms = s.map(|s| now_ms - s.last_caught_up_time_ms).unwrap_or(0);
                    let end = s.map(|s| s.log_end_offset).unwrap_or(-1);
                    let behind = (leo - end.max(0)).max(0);
                    if slow.contains(b) && !by_time.contains(b) {
                        format!(
                            "broker {b}: endOffset {end}, {behind} behind > replica.lag.max.messages={max_lag_messages} (LEGACY pre-0.9 rule; it fetched {} ms ago)",
                            s.map(|s| now_ms - s.last_fetch_time_ms).unwrap_or(0)
                        )
                    } else {
                        format!("broker {b}: endOffset {end}, {behind} behind, last caught up {lag_ms} ms ago")
                    }
                })
                .collect();
            out.log(
                "isr",
                format!(
                    "shrinks ISR of {tp} from [{}] to [{}] (HW {hw}, LEO {leo}; out of sync: {})",
                    join(&ls.isr),
                    join(&new_isr),
                    details.join("; ")
                ),
            );
            self.stats.isr_shrinks += 1;
            ls.pending = Some(PendingIsrChange::Shrink { removed: out_of_sync, proposed: new_isr.clone(), sent_at_ms: now_ms });
            out.send(
                NodeId::Controller,
                alter_partition(self.id, self.broker_epoch, tp.clone(), part.leader_epoch, part.partition_epoch, new_isr),
            );
        }
    }

    /// `maybeExpandIsr` after a follower's fetch.
    fn maybe_expand_isr(&mut self, now_ms: i64, tp: &TopicPartition, follower: BrokerId, out: &mut Out) {
        let hw = self.disk.logs[tp].high_watermark();
        let eligible = {
            let f = self.eligible_fn(tp);
            f(follower)
        };
        let part = self.partitions.get_mut(tp).unwrap();
        let Some(ls) = part.leader_state.as_ref() else { return };
        if ls.pending.is_some() || ls.isr.contains(&follower) || !eligible {
            return;
        }
        if !part.is_follower_in_sync(follower, hw) {
            return;
        }
        let ls = part.leader_state.as_mut().unwrap();
        let mut new_isr = ls.isr.clone();
        new_isr.push(follower);
        let leo = ls.remote.get(&follower).map(|s| s.log_end_offset).unwrap_or(-1);
        out.log(
            "isr",
            format!(
                "expands ISR of {tp} from [{}] to [{}] (broker {follower} caught up to offset {leo}, HW {hw})",
                join(&ls.isr),
                join(&new_isr)
            ),
        );
        self.stats.isr_expands += 1;
        ls.pending = Some(PendingIsrChange::Expand { new_member: follower, proposed: new_isr.clone(), sent_at_ms: now_ms });
        out.send(
            NodeId::Controller,
            alter_partition(self.id, self.broker_epoch, tp.clone(), part.leader_epoch, part.partition_epoch, new_isr),
        );
    }

    fn maybe_increment_hw(&mut self, now_ms: i64, tp: &TopicPartition, _out: &mut Out) -> bool {
        let min_isr = self.min_isr(&tp.topic);
        let max_lag = self.config.replica_lag_time_max_ms;
        let Some(part) = self.partitions.get(tp) else { return false };
        let Some(log) = self.disk.logs.get_mut(tp) else { return false };
        let metadata = &self.metadata;
        let remote = part.leader_state.as_ref().map(|ls| &ls.remote);
        let eligible = |b: BrokerId| is_isr_eligible(metadata, remote, b);
        part.maybe_increment_leader_hw(log, now_ms, min_isr, max_lag, self.config.replica_lag_max_messages, &eligible)
    }

    // -------------------------------------------------------------- produce

    /// One partition of a Produce request is answered; the response goes out when all are.
    fn produce_partition_done(&mut self, from: NodeId, correlation_id: u64, mut r: ProducePartitionResponse, out: &mut Out) {
        // KIP-951 (KafkaApis.handleProduceRequest): a partition refused for leadership carries the
        // leader this broker's metadata knows, so the producer need not wait for a Metadata refresh.
        if matches!(r.error, KafkaError::NOT_LEADER_OR_FOLLOWER | KafkaError::FENCED_LEADER_EPOCH) {
            r.current_leader = self.metadata.partitions.get(&r.tp).filter(|p| p.leader >= 0).map(|p| (p.leader, p.leader_epoch));
        }
        let key = (from, correlation_id);
        let Some(p) = self.produce_requests.get_mut(&key) else { return };
        p.responses.push(r);
        p.remaining = p.remaining.saturating_sub(1);
        if p.remaining == 0 {
            let p = self.produce_requests.remove(&key).unwrap();
            out.send(from, Msg::ProduceResponse { correlation_id, responses: p.responses });
        }
    }

    /// `ReplicaManager.appendRecords` for one partition's batch.
    #[allow(clippy::too_many_arguments)]
    fn handle_produce(
        &mut self,
        now_ms: i64,
        from: NodeId,
        correlation_id: u64,
        acks: Acks,
        timeout_ms: i64,
        batch: ProduceBatch,
        out: &mut Out,
    ) {
        let ProduceBatch { tp, producer_id, producer_epoch, base_sequence, records } = batch;
        let respond = |this: &mut Self, out: &mut Out, error: KafkaError, base_offset: i64, duplicate: bool, why: Option<String>| {
            if acks != Acks::Zero {
                let r =
                    ProducePartitionResponse { tp: tp.clone(), error, base_offset, duplicate, error_message: why, current_leader: None };
                this.produce_partition_done(from, correlation_id, r, out);
            } else if error != KafkaError::NONE && this.acks0_error.is_none() {
                this.acks0_error = Some((error, why));
            }
        };
        let is_leader = self.partitions.get(&tp).is_some_and(|p| p.is_leader()) && self.status != BrokerStatus::Stopped;
        if !is_leader {
            *self.stats.produce_errors.entry("NOT_LEADER_OR_FOLLOWER".into()).or_default() += 1;
            // acks=0: Kafka closes the connection instead of answering (see Msg::Produce).
            let why = format!("broker {} is not the leader of {tp}", self.id);
            respond(self, out, KafkaError::NOT_LEADER_OR_FOLLOWER, -1, false, Some(why));
            return;
        }
        // A compacted topic refuses records without a key (Kafka: "Compacted topic cannot accept message without key").
        if self.disk.logs.get(&tp).is_some_and(|l| l.config.cleanup_compact) && records.iter().any(|r| r.key.is_none()) {
            *self.stats.produce_errors.entry("INVALID_RECORD".into()).or_default() += 1;
            let why = format!("Compacted topic cannot accept message without key in topic partition {tp}.");
            respond(self, out, KafkaError::INVALID_RECORD, -1, false, Some(why));
            return;
        }
        let min_isr = self.min_isr(&tp.topic);
        let part = &self.partitions[&tp];
        let isr_size = part.isr().len();
        if acks == Acks::All && isr_size < part.effective_min_isr(min_isr) {
            *self.stats.produce_errors.entry("NOT_ENOUGH_REPLICAS".into()).or_default() += 1;
            out.log(
                "produce",
                format!(
                "rejects produce to {tp}: NOT_ENOUGH_REPLICAS (ISR [{}] is smaller than min.insync.replicas={min_isr}); nothing written",
                join(&part.isr())
            ),
            );
            let why = format!("ISR [{}] is smaller than min.insync.replicas={min_isr}; nothing was written", join(&part.isr()));
            respond(self, out, KafkaError::NOT_ENOUGH_REPLICAS, -1, false, Some(why));
            return;
        }
        let epoch = part.leader_epoch;
        let flush_messages =
            self.topic_config_ref(&tp.topic).map(|t| t.flush_messages(&self.config)).unwrap_or(self.config.log_flush_interval_messages);
        let log = self.disk.logs.get_mut(&tp).unwrap();
        let n = records.len() as i64;
        let info = BatchInfo {
            producer_id,
            producer_epoch,
            base_sequence,
            last_sequence: if base_sequence < 0 { base_sequence } else { ((base_sequence as i64 + n - 1) % (i32::MAX as i64 + 1)) as i32 },
            first_offset: log.log_end_offset(),
            last_offset: log.log_end_offset() + n - 1,
            timestamp_ms: now_ms,
        };
        // UnifiedLog.analyzeAndValidateProducerState: duplicates of the last five batches are
        // answered with their original offsets; sequence gaps and old epochs are rejected.
        let (first, last, duplicate) = match log.producer_state.validate(&info) {
            Validation::Reject(error) => {
                *self.stats.produce_errors.entry(error.name().into()).or_default() += 1;
                out.log(
                    "produce",
                    format!(
                        "rejects a batch of producer id {producer_id} (epoch {producer_epoch}, sequence {base_sequence}) for {tp}: {error}"
                    ),
                );
                let why =
                    format!("producer id {producer_id}, epoch {producer_epoch}, sequence {base_sequence} refused by the leader of {tp}");
                respond(self, out, error, -1, false, Some(why));
                return;
            }
            Validation::Duplicate { first_offset, last_offset } => {
                out.log(
                    "produce",
                    format!(
                        "{tp}: batch of producer id {producer_id} with sequence {base_sequence} is a duplicate of offsets {first_offset}-{last_offset}; not appended again"
                    ),
                );
                (first_offset, last_offset, true)
            }
            Validation::Append => {
                let (first, last) = log.append_as_leader_batch(&records, epoch, now_ms, producer_id, producer_epoch, base_sequence);
                if log.unflushed_messages() >= flush_messages {
                    log.flush(now_ms);
                }
                self.stats.records_appended_as_leader += records.len() as u64;
                self.drain_log_events(&tp, out);
                out.log(
                    "produce",
                    format!(
                        "appends {} record(s) to {tp} at offset {first}{} in epoch {epoch} (acks={}{})",
                        records.len(),
                        if last > first { format!("-{last}") } else { String::new() },
                        match acks {
                            Acks::Zero => "0",
                            Acks::One => "1",
                            Acks::All => "all",
                        },
                        if producer_id >= 0 { format!(", producer id {producer_id}, sequence {base_sequence}") } else { String::new() }
                    ),
                );
                self.maybe_increment_hw(now_ms, &tp, out);
                self.complete_delayed_fetch_for(now_ms, &tp, out);
                (first, last, false)
            }
        };
        match acks {
            Acks::Zero => {}
            Acks::One => respond(self, out, KafkaError::NONE, first, duplicate, None),
            Acks::All => {
                self.delayed_produce.push(DelayedProduce {
                    from,
                    correlation_id,
                    tp: tp.clone(),
                    base_offset: first,
                    required_offset: last + 1,
                    deadline_ms: now_ms + timeout_ms,
                    duplicate,
                    internal: None,
                    timeout_ms,
                });
                self.complete_delayed_produce(now_ms, &tp, out);
            }
        }
    }

    /// `checkEnoughReplicasReachOffset` for each waiting acks=all write of `tp`.
    fn complete_delayed_produce(&mut self, _now_ms: i64, tp: &TopicPartition, out: &mut Out) {
        let Some(part) = self.partitions.get(tp) else { return };
        if !part.is_leader() {
            return;
        }
        let hw = self.disk.logs[tp].high_watermark();
        let min_isr = part.effective_min_isr(self.min_isr(&tp.topic));
        let maximal = part.maximal_isr().len();
        let isr_text = join(&part.isr());
        let mut i = 0;
        while i < self.delayed_produce.len() {
            let d = &self.delayed_produce[i];
            if &d.tp == tp && hw >= d.required_offset {
                let d = self.delayed_produce.remove(i);
                let error = if min_isr <= maximal { KafkaError::NONE } else { KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND };
                if error != KafkaError::NONE {
                    *self.stats.produce_errors.entry(error.name().into()).or_default() += 1;
                }
                if let Some(token) = d.internal {
                    self.groups.on_append_done(token, error, out);
                    continue;
                }
                let why = (error != KafkaError::NONE).then(|| {
                    format!(
                        "written at offset {}, but the ISR [{}] shrank below min.insync.replicas={min_isr} before it was committed",
                        d.base_offset, isr_text
                    )
                });
                let r = ProducePartitionResponse {
                    tp: d.tp,
                    error,
                    base_offset: d.base_offset,
                    duplicate: d.duplicate,
                    error_message: why,
                    current_leader: None,
                };
                self.produce_partition_done(d.from, d.correlation_id, r, out);
            } else {
                i += 1;
            }
        }
    }

    fn fail_delayed_produce(&mut self, tp: &TopicPartition, error: KafkaError, out: &mut Out) {
        let (failed, kept): (Vec<_>, Vec<_>) = self.delayed_produce.drain(..).partition(|d| &d.tp == tp);
        self.delayed_produce = kept;
        for d in failed {
            if let Some(token) = d.internal {
                self.groups.on_append_done(token, error, out);
                continue;
            }
            *self.stats.produce_errors.entry(error.name().into()).or_default() += 1;
            let why =
                format!("broker {} stopped leading {} while the write at offset {} waited to be committed", self.id, d.tp, d.base_offset);
            let r = ProducePartitionResponse {
                tp: d.tp,
                error,
                base_offset: -1,
                duplicate: false,
                error_message: Some(why),
                current_leader: None,
            };
            self.produce_partition_done(d.from, d.correlation_id, r, out);
        }
    }

    // --------------------------------------------------------- leader: fetch

    /// Reads for a follower (`Partition.fetchRecords` with `lastFetchedEpoch`).
    /// Returns the response and whether the follower's fetch state may be updated.
    fn read_for_follower(&self, fp: &FetchPartition) -> (FetchPartitionResponse, bool) {
        let tp = &fp.tp;
        let Some(part) = self.partitions.get(tp) else {
            return (tp_error(tp, KafkaError::UNKNOWN_TOPIC_OR_PARTITION, None), false);
        };
        let log = &self.disk.logs[tp];
        // Partition.getLocalLog: the request's current leader epoch is checked before leadership
        // (checkCurrentLeaderEpoch, then `requireLeader && !isLeader`).
        if fp.current_leader_epoch < part.leader_epoch {
            return (tp_error(tp, KafkaError::FENCED_LEADER_EPOCH, Some(log)), false);
        }
        if fp.current_leader_epoch > part.leader_epoch {
            return (tp_error(tp, KafkaError::UNKNOWN_LEADER_EPOCH, Some(log)), false);
        }
        if !part.is_leader() {
            return (tp_error(tp, KafkaError::NOT_LEADER_OR_FOLLOWER, Some(log)), false);
        }
        let leo = log.log_end_offset();
        if fp.last_fetched_epoch >= 0 {
            let (epoch, end) = log.epoch_cache.end_offset_for(fp.last_fetched_epoch, leo);
            if epoch < 0 || end < 0 {
                return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), false);
            }
            // Partition.readRecords: "If fetch offset is less than log start, fail with
            // OffsetOutOfRangeException, regardless of whether epochs are diverging".
            if fp.fetch_offset < log.log_start_offset() {
                return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), false);
            }
            if epoch < fp.last_fetched_epoch || end < fp.fetch_offset {
                let mut r = tp_error(tp, KafkaError::NONE, Some(log));
                r.diverging_epoch = Some((epoch, end));
                return (r, false);
            }
        }
        if fp.fetch_offset > leo || fp.fetch_offset < log.log_start_offset() {
            return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), false);
        }
        let mut r = tp_error(tp, KafkaError::NONE, Some(log));
        r.records = log.read(fp.fetch_offset, leo, MAX_FETCH_RECORDS);
        (r, true)
    }

    fn handle_follower_fetch(
        &mut self,
        now_ms: i64,
        follower: BrokerId,
        broker_epoch: i64,
        session: u64,
        partitions: Vec<FetchPartition>,
        out: &mut Out,
    ) {
        let mut responses = Vec::with_capacity(partitions.len());
        let mut total = 0usize;
        let mut any_error = false;
        for fp in &partitions {
            let leader_leo_before = self.disk.logs.get(&fp.tp).map(|l| l.log_end_offset()).unwrap_or(0);
            let (resp, update) = self.read_for_follower(fp);
            total += resp.records.len();
            any_error |= resp.error != KafkaError::NONE || resp.diverging_epoch.is_some();
            responses.push(resp);
            if update {
                // updateFollowerFetchState: the fetch offset is the follower's LEO.
                let part = self.partitions.get_mut(&fp.tp).unwrap();
                let ls = part.leader_state.as_mut().unwrap();
                let st = ls.remote.entry(follower).or_insert_with(|| replica_state::ReplicaState::unknown(0));
                let prev_leo = st.log_end_offset;
                st.update_fetch_state(fp.fetch_offset, fp.log_start_offset, now_ms, leader_leo_before, broker_epoch);
                self.maybe_expand_isr(now_ms, &fp.tp, follower, out);
                if prev_leo != fp.fetch_offset && self.maybe_increment_hw(now_ms, &fp.tp, out) {
                    self.complete_delayed_produce(now_ms, &fp.tp, out);
                }
            }
        }
        let max_wait = self.config.replica_fetch_wait_max_ms;
        if total == 0 && !any_error && max_wait > 0 {
            // Long poll: hold the fetch until data arrives or replica.fetch.wait.max.ms passes.
            self.delayed_fetch.push(DelayedFetch { follower, session, partitions, deadline_ms: now_ms + max_wait });
            return;
        }
        out.send(NodeId::Broker(follower), Msg::FetchResponse { session, partitions: responses });
    }

    fn respond_delayed_fetch(&self, d: &DelayedFetch, out: &mut Out) {
        let partitions = d.partitions.iter().map(|fp| self.read_for_follower(fp).0).collect();
        out.send(NodeId::Broker(d.follower), Msg::FetchResponse { session: d.session, partitions });
    }

    fn complete_delayed_fetch_for(&mut self, _now_ms: i64, tp: &TopicPartition, out: &mut Out) {
        let (ready, kept): (Vec<_>, Vec<_>) = self.delayed_fetch.drain(..).partition(|d| d.partitions.iter().any(|p| &p.tp == tp));
        self.delayed_fetch = kept;
        for d in ready {
            self.respond_delayed_fetch(&d, out);
        }
    }

    /// A consumer fetch (`replica_id = -1`): from the leader, or from a follower (KIP-392),
    /// reading only below this replica's high watermark (`FetchIsolation.HIGH_WATERMARK`).
    /// Returns the response and the preferred read replica (-1: none) the leader names when
    /// `replica.selector.class` is RackAwareReplicaSelector (`ReplicaManager.findPreferredReadReplica`).
    fn read_for_consumer(&self, d: &DelayedConsumerFetch) -> (FetchPartitionResponse, BrokerId) {
        let tp = &d.tp;
        let Some(part) = self.partitions.get(tp) else {
            return (tp_error(tp, KafkaError::UNKNOWN_TOPIC_OR_PARTITION, None), -1);
        };
        let log = &self.disk.logs[tp];
        if !part.replicas.contains(&self.id) {
            return (tp_error(tp, KafkaError::NOT_LEADER_OR_FOLLOWER, Some(log)), -1);
        }
        // Partition.getLocalLog: the current leader epoch first (a follower answers
        // FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH too), then leadership.
        if d.current_leader_epoch >= 0 && d.current_leader_epoch < part.leader_epoch {
            return (tp_error(tp, KafkaError::FENCED_LEADER_EPOCH, Some(log)), -1);
        }
        if d.current_leader_epoch > part.leader_epoch {
            return (tp_error(tp, KafkaError::UNKNOWN_LEADER_EPOCH, Some(log)), -1);
        }
        if (!part.is_leader() && part.leader != NO_LEADER && self.status != BrokerStatus::Running)
            || (!part.is_leader() && part.leader == NO_LEADER)
        {
            return (tp_error(tp, KafkaError::NOT_LEADER_OR_FOLLOWER, Some(log)), -1);
        }
        if d.fetch_offset > log.log_end_offset() || d.fetch_offset < log.log_start_offset() {
            return (tp_error(tp, KafkaError::OFFSET_OUT_OF_RANGE, Some(log)), -1);
        }
        if part.is_leader() && self.config.rack_aware_replica_selector {
            if let Some(rack) = d.rack_id.as_deref().filter(|r| !r.is_empty()) {
                // RackAwareReplicaSelector over replicas that hold the fetch offset.
                let ls = part.leader_state.as_ref().unwrap();
                let rack_of = |b: BrokerId| self.metadata.brokers.get(&b).and_then(|x| x.rack.clone());
                let mut same_rack: Vec<(i64, BrokerId)> = vec![];
                for b in &part.replicas {
                    if *b == self.id {
                        if rack_of(self.id).as_deref() == Some(rack) {
                            same_rack.push((i64::MAX, self.id));
                        }
                        continue;
                    }
                    if let Some(st) = ls.remote.get(b) {
                        if st.log_end_offset >= d.fetch_offset
                            && st.log_start_offset <= d.fetch_offset
                            && rack_of(*b).as_deref() == Some(rack)
                        {
                            same_rack.push((st.log_end_offset, *b));
                        }
                    }
                }
                if let Some(&(_, best)) = same_rack.iter().max() {
                    if best != self.id {
                        return (tp_error(tp, KafkaError::NONE, Some(log)), best);
                    }
                }
            }
        }
        let mut r = tp_error(tp, KafkaError::NONE, Some(log));
        r.records = log.read(d.fetch_offset, log.high_watermark(), d.max_records);
        (r, -1)
    }

    // ------------------------------------------------------- follower: fetch

    fn handle_fetch_response(
        &mut self,
        now_ms: i64,
        leader: BrokerId,
        session: u64,
        partitions: Vec<FetchPartitionResponse>,
        out: &mut Out,
    ) {
        let Some(f) = self.fetchers.get_mut(&leader) else { return };
        if f.in_flight.map(|(s, _)| s) != Some(session) {
            return;
        }
        f.in_flight = None;
        f.next_fetch_ms = now_ms;
        let backoff = self.config.replica_fetch_backoff_ms;
        for pr in partitions {
            let tp = pr.tp.clone();
            let Some(fpart) = self.fetchers.get_mut(&leader).and_then(|f| f.partitions.get_mut(&tp)) else { continue };
            let flush_messages = self
                .metadata
                .topics
                .get(&tp.topic)
                .map(|t| t.flush_messages(&self.config))
                .unwrap_or(self.config.log_flush_interval_messages);
            let Some(log) = self.disk.logs.get_mut(&tp) else { continue };
            match pr.error {
                KafkaError::NONE => {
                    if let Some((epoch, end)) = pr.diverging_epoch {
                        // AbstractFetcherThread.getOffsetTruncationState
                        let leo = log.log_end_offset();
                        let target = if end < 0 {
                            log.high_watermark()
                        } else {
                            let (fe, fend) = log.epoch_cache.end_offset_for(epoch, leo);
                            if fe < 0 {
                                end.min(leo)
                            } else if fe != epoch {
                                fend.min(leo)
                            } else {
                                fend.min(end).min(leo)
                            }
                        };
                        let removed = log.truncate_to(target, now_ms);
                        self.stats.records_truncated += removed as u64;
                        out.log("truncate", format!(
                            "truncates {tp} from LEO {leo} to {target}: the leader's epoch {epoch} ends at {end} (diverging epoch); {removed} record(s) removed"
                        ));
                    } else {
                        if !pr.records.is_empty() {
                            log.append_as_follower(&pr.records, now_ms);
                            if log.unflushed_messages() >= flush_messages {
                                log.flush(now_ms);
                            }
                            for e in log.take_events() {
                                out.log("storage", e);
                            }
                        }
                        // Follower HW = min(leader HW, own LEO); learned one fetch later.
                        let before = log.high_watermark();
                        let hw = log.update_high_watermark(pr.high_watermark);
                        if hw != before && hw < before {
                            out.log("hw", format!("lowers high watermark of {tp} from {before} to {hw} (leader's HW)"));
                        }
                        // ReplicaFetcherThread.processPartitionData: the follower's log start offset
                        // follows the leader's (maybeIncrementLogStartOffset, LeaderOffsetIncremented).
                        if log.maybe_increment_log_start_offset(pr.log_start_offset) {
                            for e in log.take_events() {
                                out.log("storage", e);
                            }
                        }
                    }
                }
                KafkaError::OFFSET_OUT_OF_RANGE => {
                    let leo = log.log_end_offset();
                    if pr.log_end_offset >= 0 && pr.log_end_offset < leo {
                        let removed = log.truncate_to(pr.log_end_offset, now_ms);
                        self.stats.records_truncated += removed as u64;
                        out.log("truncate", format!("truncates {tp} to the leader's LEO {} (OFFSET_OUT_OF_RANGE)", pr.log_end_offset));
                    } else if pr.log_start_offset > leo {
                        log.truncate_fully_and_start_at(pr.log_start_offset);
                        out.log(
                            "truncate",
                            format!(
                                "truncates {tp} fully and starts at the leader's log start {} (OFFSET_OUT_OF_RANGE)",
                                pr.log_start_offset
                            ),
                        );
                    } else {
                        fpart.backoff_until_ms = now_ms + backoff;
                    }
                }
                _ => {
                    // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH...: wait for metadata.
                    fpart.backoff_until_ms = now_ms + backoff;
                }
            }
        }
    }

    fn send_fetches(&mut self, now_ms: i64, out: &mut Out) {
        let legacy = self.config.legacy_hw_truncation;
        let leaders: Vec<BrokerId> = self.fetchers.keys().copied().collect();
        for leader in leaders {
            let f = self.fetchers.get_mut(&leader).unwrap();
            if f.in_flight.is_some() || now_ms < f.next_fetch_ms || f.partitions.is_empty() {
                continue;
            }
            let mut parts = vec![];
            for (tp, fp) in &f.partitions {
                if fp.backoff_until_ms > now_ms {
                    continue;
                }
                let Some(log) = self.disk.logs.get(tp) else { continue };
                parts.push(FetchPartition {
                    tp: tp.clone(),
                    current_leader_epoch: fp.leader_epoch,
                    fetch_offset: log.log_end_offset(),
                    // Legacy mode predates leader epochs in fetches: no divergence check.
                    last_fetched_epoch: if legacy { -1 } else { log.latest_epoch().unwrap_or(-1) },
                    log_start_offset: log.log_start_offset(),
                });
            }
            if parts.is_empty() {
                continue;
            }
            let session = self.next_session;
            self.next_session += 1;
            f.in_flight = Some((session, now_ms));
            out.send(NodeId::Broker(leader), Msg::Fetch { replica: self.id, broker_epoch: self.broker_epoch, session, partitions: parts });
        }
        // ReplicaFetcherManager.shutdownIdleFetcherThreads: a fetcher with no partitions
        // is stopped, and its in-flight request forgotten.
        self.fetchers.retain(|_, f| !f.partitions.is_empty());
    }

    // ------------------------------------------------------------------ timers

    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        if self.is_stopped() {
            return;
        }
        let cfg = self.coordinator_config();
        self.groups.on_tick(now_ms, &cfg, out);
        self.flush_coordinator_appends(now_ms, out);
        self.complete_delayed_consumer_fetches(now_ms, false, out);
        if self.status == BrokerStatus::Starting && now_ms >= self.next_registration_ms {
            let previous = self.disk.clean_shutdown_broker_epoch.unwrap_or(-1);
            out.send(
                NodeId::Controller,
                Msg::BrokerRegistration {
                    broker: self.id,
                    rack: self.rack.clone(),
                    incarnation: self.incarnation,
                    previous_broker_epoch: previous,
                },
            );
            self.next_registration_ms = now_ms + REGISTRATION_TIMEOUT_MS;
        }
        if self.status != BrokerStatus::Starting && now_ms >= self.next_heartbeat_ms {
            out.send(
                NodeId::Controller,
                Msg::BrokerHeartbeat {
                    broker: self.id,
                    broker_epoch: self.broker_epoch,
                    metadata_offset: self.metadata.offset,
                    want_fence: false,
                    want_shutdown: self.want_shutdown,
                },
            );
            self.next_heartbeat_ms = now_ms + self.config.broker_heartbeat_interval_ms;
        }
        if now_ms >= self.next_isr_check_ms {
            self.maybe_shrink_isr(now_ms, out);
            self.next_isr_check_ms = now_ms + (self.config.replica_lag_time_max_ms / 2).max(1);
        }
        // Resend AlterPartition requests that got no answer.
        let mut resend = vec![];
        for (tp, p) in &self.partitions {
            if let Some(ls) = &p.leader_state {
                let (proposed, sent) = match &ls.pending {
                    Some(PendingIsrChange::Expand { proposed, sent_at_ms, .. })
                    | Some(PendingIsrChange::Shrink { proposed, sent_at_ms, .. }) => (proposed.clone(), *sent_at_ms),
                    None => continue,
                };
                if now_ms - sent >= ALTER_PARTITION_RETRY_MS {
                    resend.push((tp.clone(), proposed, p.leader_epoch, p.partition_epoch));
                }
            }
        }
        for (tp, proposed, le, pe) in resend {
            if let Some(ls) = self.partitions.get_mut(&tp).and_then(|p| p.leader_state.as_mut()) {
                match ls.pending.as_mut() {
                    Some(PendingIsrChange::Expand { sent_at_ms, .. }) | Some(PendingIsrChange::Shrink { sent_at_ms, .. }) => {
                        *sent_at_ms = now_ms
                    }
                    None => {}
                }
            }
            out.send(NodeId::Controller, alter_partition(self.id, self.broker_epoch, tp, le, pe, proposed));
        }
        if now_ms >= self.next_hw_checkpoint_ms {
            self.disk.write_hw_checkpoint();
            self.next_hw_checkpoint_ms = now_ms + self.config.replica_high_watermark_checkpoint_interval_ms;
        }
        // Retention (`log.retention.check.interval.ms`): every replica deletes its own old segments.
        // LogManager.cleanupLogs skips compacted logs (compact and compact,delete): the cleaner
        // thread deletes theirs (below).
        if now_ms >= self.next_retention_check_ms {
            self.next_retention_check_ms = now_ms + self.config.log_retention_check_interval_ms;
            for (_, log) in self.disk.logs.iter_mut().filter(|(_, l)| !l.config.cleanup_compact) {
                log.delete_old_segments(now_ms);
                for e in log.take_events() {
                    out.log("storage", e);
                }
            }
        }
        // The log cleaner (one thread): the log with the highest dirty ratio that needs cleaning.
        if now_ms >= self.next_cleaner_ms {
            self.next_cleaner_ms = now_ms + self.config.log_cleaner_backoff_ms;
            let pick =
                self.disk.logs.iter().filter(|(_, l)| l.needs_cleaning(now_ms)).map(|(tp, l)| (l.dirty_ratio(now_ms), tp.clone())).fold(
                    None::<(f64, TopicPartition)>,
                    |best, x| match best {
                        Some(b) if b.0 >= x.0 => Some(b),
                        _ => Some(x),
                    },
                );
            if let Some((_, tp)) = pick {
                let log = self.disk.logs.get_mut(&tp).unwrap();
                log.clean(now_ms);
                self.drain_log_events(&tp, out);
            }
            // LogCleaner.cleanOrSleep: after each attempt the cleaner thread runs deleteOldSegments
            // on the compacted logs (LogCleanerManager.deletableLogs): time and size retention for
            // compact,delete, log-start-offset breaches for all of them.
            let compacted: Vec<TopicPartition> =
                self.disk.logs.iter().filter(|(_, l)| l.config.cleanup_compact).map(|(tp, _)| tp.clone()).collect();
            for tp in compacted {
                if self.disk.logs.get_mut(&tp).unwrap().delete_old_segments(now_ms) > 0 {
                    self.drain_log_events(&tp, out);
                }
            }
        }
        if now_ms >= self.next_os_flush_ms {
            for log in self.disk.logs.values_mut() {
                log.os_writeback();
            }
            self.next_os_flush_ms = now_ms + self.config.os_flush_interval_ms;
        }
        // flush.ms: LogManager.flushDirtyLogs, run by the "kafka-log-flusher" task every
        // log.flush.scheduler.interval.ms (Kafka's default Long.MAX: after its first run 30 s
        // after start it never runs again), flushes a log when timeSinceLastFlush >= flush.ms.
        if now_ms >= self.next_log_flusher_ms {
            self.next_log_flusher_ms = now_ms.saturating_add(self.config.log_flush_scheduler_interval_ms);
            let topics = &self.metadata.topics;
            for (tp, log) in self.disk.logs.iter_mut() {
                let flush_ms = topics.get(&tp.topic).map(|t| t.flush_ms(&self.config)).unwrap_or(self.config.log_flush_interval_ms);
                if log.unflushed_messages() > 0 && now_ms.saturating_sub(log.last_flush_ms()) >= flush_ms {
                    log.flush(now_ms);
                }
            }
        }
        // Delayed produce timeouts (request.timeout.ms → REQUEST_TIMED_OUT).
        let (expired, kept): (Vec<_>, Vec<_>) = self.delayed_produce.drain(..).partition(|d| now_ms >= d.deadline_ms);
        self.delayed_produce = kept;
        for d in expired {
            if let Some(token) = d.internal {
                self.groups.on_append_done(token, KafkaError::REQUEST_TIMED_OUT, out);
                continue;
            }
            *self.stats.produce_errors.entry("REQUEST_TIMED_OUT".into()).or_default() += 1;
            out.log(
                "produce",
                format!(
                    "acks=all write to {} at offset {} timed out: REQUEST_TIMED_OUT (HW did not reach {})",
                    d.tp, d.base_offset, d.required_offset
                ),
            );
            let why = format!(
                "written at offset {}, but the high watermark did not reach {} before the request's timeout: not every ISR member fetched it",
                d.base_offset, d.required_offset
            );
            let r = ProducePartitionResponse {
                tp: d.tp,
                error: KafkaError::REQUEST_TIMED_OUT,
                base_offset: -1,
                duplicate: false,
                error_message: Some(why),
                current_leader: None,
            };
            self.produce_partition_done(d.from, d.correlation_id, r, out);
        }
        // Delayed fetch timeouts.
        let (expired, kept): (Vec<_>, Vec<_>) = self.delayed_fetch.drain(..).partition(|d| now_ms >= d.deadline_ms);
        self.delayed_fetch = kept;
        for d in expired {
            self.respond_delayed_fetch(&d, out);
        }
        // Fetch request timeouts (replica.socket.timeout.ms).
        let socket_timeout = self.config.replica_socket_timeout_ms;
        let backoff = self.config.replica_fetch_backoff_ms;
        for f in self.fetchers.values_mut() {
            if let Some((_, sent)) = f.in_flight {
                if now_ms - sent >= socket_timeout {
                    f.in_flight = None;
                    f.next_fetch_ms = now_ms + backoff;
                }
            }
        }
        self.send_fetches(now_ms, out);
        out.wake_at(self.next_wake(now_ms));
    }

    /// The earliest time anything in this broker is due.
    pub fn next_wake(&self, now_ms: i64) -> i64 {
        if self.is_stopped() {
            return i64::MAX;
        }
        let mut t = self
            .next_isr_check_ms
            .min(self.next_hw_checkpoint_ms)
            .min(self.next_os_flush_ms)
            .min(self.next_retention_check_ms)
            .min(self.next_cleaner_ms);
        if self.status == BrokerStatus::Starting {
            t = t.min(self.next_registration_ms);
        } else {
            t = t.min(self.next_heartbeat_ms);
        }
        for d in &self.delayed_produce {
            t = t.min(d.deadline_ms);
        }
        for d in &self.delayed_fetch {
            t = t.min(d.deadline_ms);
        }
        for d in &self.delayed_consumer_fetch {
            t = t.min(d.deadline_ms);
        }
        t = t.min(self.groups.next_wake());
        for f in self.fetchers.values() {
            match f.in_flight {
                Some((_, sent)) => t = t.min(sent + self.config.replica_socket_timeout_ms),
                None => {
                    let ready = f.partitions.values().map(|p| p.backoff_until_ms).min().unwrap_or(i64::MAX);
                    t = t.min(f.next_fetch_ms.max(ready));
                }
            }
        }
        for p in self.partitions.values() {
            if let Some(ls) = &p.leader_state {
                if let Some(PendingIsrChange::Expand { sent_at_ms, .. }) | Some(PendingIsrChange::Shrink { sent_at_ms, .. }) = &ls.pending {
                    t = t.min(sent_at_ms + ALTER_PARTITION_RETRY_MS);
                }
            }
        }
        t = t.min(self.next_log_flusher_ms);
        t.max(now_ms + 1)
    }
}

/// An AlterPartition request. The leader always reports itself RECOVERED: it recovered
/// the moment it became leader (a leader elected uncleanly reports it this way).
fn alter_partition(
    broker: BrokerId,
    broker_epoch: i64,
    tp: TopicPartition,
    leader_epoch: i32,
    partition_epoch: i32,
    new_isr: Vec<BrokerId>,
) -> Msg {
    Msg::AlterPartition { broker, broker_epoch, tp, leader_epoch, partition_epoch, new_isr, leader_recovered: true }
}

/// `isReplicaIsrEligible` in KRaft: the broker is unfenced, not in controlled
/// shutdown, and the broker epoch it fetched with matches its registration.
fn is_isr_eligible(metadata: &MetadataImage, remote: Option<&BTreeMap<BrokerId, replica_state::ReplicaState>>, b: BrokerId) -> bool {
    let Some(ib) = metadata.brokers.get(&b) else { return false };
    let stored = remote.and_then(|r| r.get(&b)).and_then(|s| s.broker_epoch);
    !ib.fenced && !ib.in_controlled_shutdown && (stored == Some(-1) || stored == Some(ib.broker_epoch))
}

fn leader_name(b: BrokerId) -> String {
    if b == NO_LEADER {
        "none".into()
    } else {
        b.to_string()
    }
}
