//! A Kafka broker as a sans-IO state machine. This file holds the `Broker` itself, the routing of
//! every request it receives (`on_message`, as `KafkaApis.handle`), its timers (`on_tick`), the
//! ReplicaManager side of ISR changes and the glue to the group coordinator. The rest has a room
//! named after the Kafka concept:
//!
//! * `partition.rs`: one partition as its leader sees it: ISR shrink and expand, the high
//!   watermark, AlterPartition answers (`Partition.scala`).
//! * `replica_state.rs`: the leader's view of one follower (`Replica.scala`).
//! * `metadata.rs`: the metadata image and becoming leader or follower (`ReplicaManager.applyDelta`).
//! * `produce.rs`: Produce and InitProducerId (`ReplicaManager.appendRecords`).
//! * `fetch_serving.rs`: the leader answering follower and consumer reads, ListOffsets,
//!   OffsetsForLeaderEpoch (`ReplicaManager.fetchMessages`).
//! * `purgatory.rs`: requests held until the HW moves or their time is up (`DelayedProduce`, `DelayedFetch`).
//! * `fetcher.rs`: the follower's replica fetcher and its truncation (`ReplicaFetcherThread`).
//! * `lifecycle.rs`: registration, heartbeats, fencing, clean and controlled shutdown (`BrokerLifecycleManager`).
//! * `log_manager.rs`: scheduled storage tasks: HW checkpoint, retention, cleaner, flushes (`LogManager`).
//! * `group_coordinator.rs`: consumer groups and committed offsets (`GroupCoordinator`).
//! * `disk.rs`: what survives the process: logs and checkpoint files.
//! * `log_dir_failure.rs`: a write that fails (disk full or failed) takes the log directory offline and halts the broker.

pub mod crash;
mod delete_records;
pub mod disk;
mod fetch_serving;
mod fetcher;
pub mod group_coordinator;
mod lifecycle;
pub mod log_dir_failure;
mod log_manager;
mod metadata;
pub mod partition;
mod produce;
mod purgatory;
pub mod replica_state;
pub mod replication_quota;
pub mod touched;

pub use fetcher::{Fetcher, FetcherPartition};
pub use metadata::{ImageBroker, MetadataImage};
pub use produce::PRODUCER_ID_BLOCK_SIZE;
pub use purgatory::WaitingProduce;

use crate::vecmap::VecMap;
use log_manager::LOG_FLUSHER_INITIAL_DELAY_MS;
use metadata::is_isr_eligible;
use produce::PendingProduceRequest;
use purgatory::{DelayedConsumerFetch, DelayedFetch, DelayedProduce};

use crate::config::{BrokerConfig, TopicConfig};
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition, NO_LEADER};
use crate::protocol::{Msg, PartitionState};
use disk::Disk;
use group_coordinator::{partition_for, CoordinatorConfig, GroupCoordinator, OFFSETS_TOPIC};
use partition::{AlterPartitionOutcome, Partition, PendingIsrChange};
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
pub struct BrokerStats {
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    pub records_appended_as_leader: u64,
    pub records_truncated: u64,
    /// Produce answers with an error, by error (serialized by name, in name order).
    #[serde(serialize_with = "crate::errors::serialize_counts_by_name")]
    pub produce_errors: VecMap<KafkaError, u64>,
}

impl BrokerStats {
    /// One partition of a produce request answered with `error`.
    pub fn count_produce_error(&mut self, error: KafkaError) {
        *self.produce_errors.entry(error).or_default() += 1;
    }
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
    /// Shared (`Rc`) with time-travel snapshots until a metadata record changes it.
    pub metadata: std::rc::Rc<MetadataImage>,
    pub partitions: BTreeMap<TopicPartition, Partition>,
    pub fetchers: VecMap<BrokerId, Fetcher>,
    delayed_produce: Vec<DelayedProduce>,
    produce_requests: VecMap<(NodeId, u64), PendingProduceRequest>,
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
    /// The partitions the event being handled may have changed (`touched.rs`, for the checker).
    pub touched: touched::Touched,
    /// Replication throttles (`replication_quota.rs`): the bytes served to / fetched from
    /// throttled replicas, and which partitions this broker throttles on each side.
    pub leader_quota: replication_quota::ReplicationQuota,
    pub follower_quota: replication_quota::ReplicationQuota,
    pub leader_throttled: replication_quota::ThrottledReplicas,
    pub follower_throttled: replication_quota::ThrottledReplicas,
    /// Set when a write failed and the only log directory went offline (`log_dir_failure.rs`):
    /// why the process halts.
    log_dir_offline: Option<String>,
    /// A BrokerRegistration has been sent (the start-up is over).
    registration_sent: bool,
    /// Produce requests waiting behind a slow disk's write, in arrival order (`produce.rs`).
    slow_produces: std::collections::VecDeque<produce::SlowProduce>,
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
            metadata: MetadataImage { offset: -1, ..Default::default() }.into(),
            partitions: BTreeMap::new(),
            fetchers: VecMap::new(),
            delayed_produce: vec![],
            produce_requests: VecMap::new(),
            next_producer_id: 0,
            delayed_fetch: vec![],
            delayed_consumer_fetch: vec![],
            groups: GroupCoordinator::new(((id as u64) << 32) ^ incarnation),
            next_session: 1,
            // sim.broker.startup.ms: the JVM starting and LogManager loading the logs.
            next_registration_ms: now_ms + config.broker_startup_ms,
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
            touched: touched::Touched::default(),
            leader_quota: Default::default(),
            follower_quota: Default::default(),
            leader_throttled: Default::default(),
            follower_throttled: Default::default(),
            log_dir_offline: None,
            registration_sent: false,
            slow_produces: Default::default(),
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
        self.touched.mark_all();
        for (tp, log) in self.disk.logs.iter_mut() {
            log.config =
                self.metadata.topics.get(tp.topic.as_str()).map(|t| t.log_config(&self.config)).unwrap_or(self.config.log_defaults);
        }
        // TopicConfigHandler: the throttled replica lists naming this broker.
        self.leader_throttled = Default::default();
        self.follower_throttled = Default::default();
        for (topic, tc) in &self.metadata.topics {
            if let Some(v) = tc.overrides.get("leader.replication.throttled.replicas") {
                self.leader_throttled.add_topic(topic, v, self.id);
            }
            if let Some(v) = tc.overrides.get("follower.replication.throttled.replicas") {
                self.follower_throttled.add_topic(topic, v, self.id);
            }
        }
    }

    /// `ReplicaManager.shouldLeaderThrottle`: `follower` is not in the ISR of a partition this
    /// broker leads and throttles, and the leader-side rate is above the bound.
    pub(super) fn leader_throttles(&mut self, now_ms: i64, follower: BrokerId, tp: &TopicPartition) -> bool {
        if self.leader_throttled.is_empty() || !self.leader_throttled.contains(tp) {
            return false;
        }
        let in_sync = self.partitions.get(tp).and_then(|p| p.leader_state.as_ref()).is_some_and(|ls| ls.isr.contains(&follower));
        !in_sync && self.leader_quota.is_exceeded(now_ms, self.config.leader_replication_throttled_rate)
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
        self.touched.mark(*tp);
        if let Some(log) = self.disk.logs.get_mut(tp) {
            for e in log.take_events() {
                out.log(Category::Storage, e);
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

    /// `KafkaApis.handle`: route one request or response to the part of the broker that handles it.
    pub fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
        if self.is_stopped() {
            return;
        }
        match msg {
            Msg::BrokerRegistrationResponse { error, broker_epoch } if self.status == BrokerStatus::Starting => {
                self.on_registration_response(now_ms, error, broker_epoch, out)
            }
            Msg::BrokerHeartbeatResponse { error, is_fenced, should_shut_down, records } => {
                let for_this_registration = self.on_heartbeat_response(now_ms, error, is_fenced, should_shut_down, &records, out);
                if !for_this_registration {
                    return;
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
                    // AbstractFetcherThread.doWork: the fetcher thread builds and sends its next
                    // fetch as soon as it has processed a response (partitions in error wait out
                    // replica.fetch.backoff.ms, `send_fetches` skips them), not at a later wake.
                    self.send_fetches(now_ms, out);
                }
            }
            Msg::Produce { correlation_id, acks, timeout_ms, batches } => {
                if self.disk.write_latency_ms > 0 || !self.slow_produces.is_empty() {
                    let p = produce::SlowProduce { ready_ms: now_ms, from, correlation_id, acks, timeout_ms, batches };
                    self.defer_produce_on_slow_disk(now_ms, p, out);
                } else {
                    self.on_produce(now_ms, from, correlation_id, acks, timeout_ms, batches, out)
                }
            }
            Msg::InitProducerId { correlation_id } => self.on_init_producer_id(from, correlation_id, out),
            Msg::MetadataRequest { correlation_id } => self.on_metadata_request(from, correlation_id, out),
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
                self.on_consumer_fetch(d, max_wait_ms, out)
            }
            Msg::ListOffsets { correlation_id, tp, timestamp, current_leader_epoch } => {
                self.on_list_offsets(from, correlation_id, tp, timestamp, current_leader_epoch, out)
            }
            Msg::OffsetsForLeaderEpoch { correlation_id, tp, current_leader_epoch, leader_epoch } => {
                self.on_offsets_for_leader_epoch(from, correlation_id, tp, current_leader_epoch, leader_epoch, out)
            }
            Msg::FindCoordinator { correlation_id, group_id } => self.on_find_coordinator(from, correlation_id, group_id, out),
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
            Msg::Disconnected { lost: "Fetch", correlation_id } => self.on_fetch_disconnected(now_ms, from, correlation_id),
            _ => {}
        }
        self.complete_delayed_consumer_fetches(now_ms, false, out);
        out.wake_at(self.next_wake(now_ms));
    }

    /// FindCoordinator: the leader of the group's `__consumer_offsets` partition.
    fn on_find_coordinator(&self, from: NodeId, correlation_id: u64, group_id: String, out: &mut Out) {
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
                self.partitions.get(&tp).filter(|p| p.is_leader()).map(|p| (p.leader_epoch, p.isr_slice().len(), p.effective_min_isr(0)));
            let Some((epoch, isr, _)) = leader else {
                self.groups.on_append_done(a.token, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
                continue;
            };
            let min_isr = self.min_isr(OFFSETS_TOPIC);
            if (isr as i64) < min_isr {
                self.groups.on_append_done(a.token, KafkaError::NOT_ENOUGH_REPLICAS, out);
                continue;
            }
            if self.disk_may_refuse()
                && !self.can_write_to_log_dir(crate::log::segment::batch_size(&a.records), &format!("appending records to {tp}"), out)
            {
                self.groups.on_append_done(a.token, KafkaError::KAFKA_STORAGE_ERROR, out);
                continue;
            }
            self.touched.mark(tp);
            let log = self.disk.logs.get_mut(&tp).unwrap();
            let (first, last) = log.append_as_leader(&a.records, epoch, now_ms);
            self.drain_log_events(&tp, out);
            self.maybe_increment_hw(now_ms, &tp, out);
            self.complete_delayed_fetch_for(now_ms, &tp, out);
            self.delayed_produce.push(DelayedProduce {
                from: NodeId::Broker(self.id),
                correlation_id: 0,
                tp,
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

    /// When the leader next runs `maybeShrinkIsr` (every replica.lag.time.max.ms / 2).
    pub fn next_isr_check_ms(&self) -> i64 {
        self.next_isr_check_ms
    }

    // ------------------------------------------------ ISR changes (ReplicaManager's side)

    /// The controller answered this leader's AlterPartition (`Partition.handleAlterPartitionUpdate`
    /// decides; the broker then advances the HW and completes waiting produces).
    fn handle_alter_partition_response(
        &mut self,
        now_ms: i64,
        tp: TopicPartition,
        error: KafkaError,
        state: Option<PartitionState>,
        out: &mut Out,
    ) {
        self.touched.mark(tp);
        let Some(part) = self.partitions.get_mut(&tp) else { return };
        match part.handle_alter_partition_response(error, state, out) {
            AlterPartitionOutcome::Committed => {
                self.maybe_increment_hw(now_ms, &tp, out);
                self.complete_delayed_produce(now_ms, &tp, out);
            }
            AlterPartitionOutcome::SendAgain => self.resend_alter_partitions(now_ms, out),
            AlterPartitionOutcome::Done => {}
        }
    }

    /// Sends every pending AlterPartition again (AlterPartitionManager after a lost or
    /// NOT_CONTROLLER answer: the request goes to the active controller, when there is one).
    fn resend_alter_partitions(&mut self, now_ms: i64, out: &mut Out) {
        let (id, epoch) = (self.id, self.broker_epoch);
        let resend: Vec<Msg> =
            self.partitions.values_mut().filter_map(|p| p.resend_pending_alter_partition(now_ms, 0, id, epoch)).collect();
        if !resend.is_empty() {
            self.touched.mark_all();
        }
        for req in resend {
            out.send(NodeId::Controller, req);
        }
    }

    /// `ReplicaManager.maybeShrinkIsr`: `Partition.maybeShrinkIsr` for every partition this broker leads.
    fn maybe_shrink_isr(&mut self, now_ms: i64, out: &mut Out) {
        let max_lag = self.config.replica_lag_time_max_ms;
        let max_lag_messages = self.config.replica_lag_max_messages;
        let tps: Vec<TopicPartition> = self.partitions.iter().filter(|(_, p)| p.is_leader()).map(|(tp, _)| *tp).collect();
        for tp in tps {
            let leo = self.disk.logs[&tp].log_end_offset();
            let hw = self.disk.logs[&tp].high_watermark();
            self.touched.mark(tp);
            let part = self.partitions.get_mut(&tp).unwrap();
            if let Some(req) = part.maybe_shrink_isr(now_ms, leo, hw, max_lag, max_lag_messages, self.broker_epoch, out) {
                self.stats.isr_shrinks += 1;
                out.send(NodeId::Controller, req);
            }
        }
    }

    /// After a follower's fetch: `Partition.maybeExpandIsr`.
    fn maybe_expand_isr(&mut self, now_ms: i64, tp: &TopicPartition, follower: BrokerId, out: &mut Out) {
        let hw = self.disk.logs[tp].high_watermark();
        let eligible = {
            let f = self.eligible_fn(tp);
            f(follower)
        };
        self.touched.mark(*tp);
        let part = self.partitions.get_mut(tp).unwrap();
        if let Some(req) = part.maybe_expand_isr(now_ms, follower, hw, eligible, self.broker_epoch, out) {
            self.stats.isr_expands += 1;
            out.send(NodeId::Controller, req);
        }
    }

    fn maybe_increment_hw(&mut self, now_ms: i64, tp: &TopicPartition, _out: &mut Out) -> bool {
        let min_isr = self.min_isr(&tp.topic);
        let max_lag = self.config.replica_lag_time_max_ms;
        let Some(part) = self.partitions.get(tp) else { return false };
        self.touched.mark(*tp);
        let Some(log) = self.disk.logs.get_mut(tp) else { return false };
        let metadata = &self.metadata;
        let remote = part.leader_state.as_ref().map(|ls| &ls.remote);
        let eligible = |b: BrokerId| is_isr_eligible(metadata, remote, b);
        part.maybe_increment_leader_hw(log, now_ms, min_isr, max_lag, self.config.replica_lag_max_messages, &eligible)
    }

    // ------------------------------------------------------------------ timers

    /// Every timer due: each part of the broker runs its own (in this order).
    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        if self.is_stopped() {
            return;
        }
        let cfg = self.coordinator_config();
        self.groups.on_tick(now_ms, &cfg, out);
        self.run_slow_produces(now_ms, out);
        self.flush_coordinator_appends(now_ms, out);
        self.complete_delayed_consumer_fetches(now_ms, false, out);
        self.lifecycle_tick(now_ms, out);
        self.isr_tick(now_ms, out);
        self.log_manager_tick(now_ms, out);
        self.expire_delayed(now_ms, out);
        self.fetcher_tick(now_ms, out);
        out.wake_at(self.next_wake(now_ms));
    }

    /// ReplicaManager's isr-expiration task (every replica.lag.time.max.ms / 2), and AlterPartition requests sent again when unanswered.
    fn isr_tick(&mut self, now_ms: i64, out: &mut Out) {
        if now_ms >= self.next_isr_check_ms {
            self.maybe_shrink_isr(now_ms, out);
            self.next_isr_check_ms = now_ms + (self.config.replica_lag_time_max_ms / 2).max(1);
        }
        // Resend AlterPartition requests that got no answer.
        let (id, epoch) = (self.id, self.broker_epoch);
        let resend: Vec<Msg> = self
            .partitions
            .values_mut()
            .filter_map(|p| p.resend_pending_alter_partition(now_ms, ALTER_PARTITION_RETRY_MS, id, epoch))
            .collect();
        for req in resend {
            out.send(NodeId::Controller, req);
        }
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
        if let Some(p) = self.slow_produces.front() {
            t = t.min(p.ready_ms);
        }
        for d in &self.delayed_fetch {
            t = t.min(d.deadline_ms);
        }
        for d in &self.delayed_consumer_fetch {
            t = t.min(d.deadline_ms);
        }
        t = t.min(self.groups.next_wake());
        for f in self.fetchers.values() {
            if let Some((done, _, _)) = &f.writing {
                t = t.min(*done);
                continue;
            }
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
