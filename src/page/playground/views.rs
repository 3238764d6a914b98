//! The page's text and table views, read when a panel needs them: metrics, countdowns, records and
//! ghosts, the event log, invariants, storage (segments, cleaning), clients and consumer groups,
//! the controller quorum, configs and `kafka-topics.sh --describe`.

use super::*;
use crate::lean::CollectBTree;

/// Metric samples are taken every this many simulated ms.
pub const METRICS_PERIOD_MS: i64 = 1_000;

/// Samples kept (10 simulated minutes).
pub const METRICS_KEEP: usize = 600;

#[derive(Debug, Clone, Serialize)]
pub struct MetricsSample {
    pub time_ms: i64,
    pub under_replicated_partitions: u32,
    pub offline_partitions_count: u32,
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    pub acknowledged: u64,
    pub failed: u64,
    pub produce_latency_p50_ms: Option<i64>,
    pub produce_latency_p99_ms: Option<i64>,
    /// Consumer lag: the sum of the group table's LAG (HW − committed offset) over every
    /// group, plus (HW − position) of each committed-only reader.
    pub consumer_lag: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub current: MetricsSample,
    /// The producer's failed attempts by error name, in name order.
    pub produce_errors: BTreeMap<&'static str, u64>,
    pub history: Vec<MetricsSample>,
    /// The last sample taken before the user's last command ("was" of "was → now"), and the
    /// command's time; none before the first command.
    pub before_last_action: Option<MetricsSample>,
    pub last_action_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub seq: usize,
    pub time_ms: i64,
    pub node: String,
    pub category: &'static str,
    pub message: String,
    /// The Kafka error the line carries (`NOT_ENOUGH_REPLICAS`, …), if any: an error line, which
    /// the page's log shows whatever its category.
    pub error: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentView {
    pub base_offset: i64,
    /// Base offset of the next segment (the log end offset for the active one).
    pub next_offset: i64,
    pub file: String,
    pub size_bytes: u64,
    pub records: u64,
    pub active: bool,
}

/// One replica's storage, for drawing segments, retention and compaction.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaStorageView {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    /// Records below it are compacted (the cleaner's "clean" head); 0 when never cleaned.
    pub cleaner_checkpoint: i64,
    pub cleanup_policy: &'static str,
    pub segments: Vec<SegmentView>,
    /// Offsets of tombstones (null values) within the frame's tail window.
    pub tombstones: Vec<i64>,
    /// The log cleaner's latest pass over this replica (compacted topics).
    pub last_cleaning: Option<CleaningView>,
}

/// What one pass of the log cleaner did (`LogCleaner`'s "Cleaned log" summary, with the records).
#[derive(Debug, Clone, Serialize)]
pub struct CleaningView {
    pub at_ms: i64,
    /// The cleaned range `[from, to)`.
    pub from: i64,
    pub to: i64,
    pub records_before: usize,
    pub records_after: usize,
    pub removed_count: usize,
    /// The removed records (the first 64): superseded by a later record of their key, or
    /// tombstones older than `delete.retention.ms`.
    pub removed: Vec<CleanedRecordView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CleanedRecordView {
    pub offset: i64,
    pub key: Option<String>,
    /// `None`: a tombstone.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvariantsView {
    pub ok: bool,
    pub violations: Vec<crate::check::checker::Violation>,
    pub lost_acknowledged_writes: usize,
}

/// The producer as the page shows it: settings in force (Kafka names), identity and counters.
#[derive(Debug, Clone, Serialize)]
pub struct ProducerView {
    /// Every producer config key with its value in force, as text.
    pub settings: BTreeMap<String, String>,
    /// Is idempotence in effect (it is silently off when left at its default and acks, retries
    /// or max.in.flight conflict)?
    pub idempotent: bool,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub stats: ProducerStats,
    pub queued_batches: usize,
    pub in_flight_requests: usize,
    pub acknowledged: usize,
    /// Sends that failed for good (given up: not retriable, retries or delivery.timeout.ms spent).
    pub failed: usize,
    /// Produce attempts that failed and were sent again.
    pub failed_attempts_retried: u64,
    /// The last error, in Kafka's name, with where and why.
    pub last_error: Option<crate::client::producer::ProduceErrorInfo>,
    /// The latest occurrence of each error name seen (newest first, at most 4) with how many
    /// attempts or sends got it: a flood of one error never hides another.
    pub recent_errors: Vec<RecentProduceError>,
    /// Requests in flight per broker: {broker, requests, oldest_sent_ms}; at most
    /// `max.in.flight.requests.per.connection` each (more wait in the accumulator).
    pub in_flight_by_broker: Vec<InFlightToBroker>,
    /// Settings Kafka accepts that make writes fail (`Playground::config_warnings`).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentProduceError {
    /// Attempts or sends that got this error so far.
    pub count: u64,
    pub last: crate::client::producer::ProduceErrorInfo,
}

#[derive(Debug, Clone, Serialize)]
pub struct InFlightToBroker {
    pub broker: BrokerId,
    pub requests: usize,
    pub oldest_sent_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionView {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    pub state: crate::client::consumer::PositionState,
    /// Leader high watermark − position (records), -1 when unknown.
    pub lag: i64,
    /// Committed offset known to this consumer (-1: none).
    pub committed: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerView {
    pub id: u32,
    pub client_id: String,
    pub group_id: String,
    pub topics: Vec<String>,
    pub member_id: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub state: crate::client::consumer::MemberState,
    pub crashed: bool,
    /// Simulated ms left of a stall (0: polling normally).
    pub stalled_ms: i64,
    pub coordinator: Option<BrokerId>,
    pub assignor: String,
    pub assignment: Vec<String>,
    pub positions: Vec<PositionView>,
    pub consumed: usize,
    pub stats: crate::client::consumer::ConsumerStats,
    /// The latest of each error name it received, newest first (at most 3), with counts.
    pub recent_errors: Vec<RecentConsumerError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentConsumerError {
    pub count: u64,
    pub last: crate::client::consumer::ConsumerErrorInfo,
}

/// Producer, consumers and groups (`Playground::clients`).
#[derive(Debug, Clone, Serialize)]
pub struct ClientsView {
    pub producer: ProducerView,
    pub consumers: Vec<ConsumerView>,
    pub groups: Vec<GroupView>,
}

/// The KRaft controller quorum for the page (`Playground::controller_quorum`): the engine's
/// view, how long the cluster has been without an active controller, and the last change of
/// active controller. With a single controller (`sim.controllers=1`) `voters` is empty: that one
/// voter is always the active controller, and the page draws one controller box.
#[derive(Debug, Clone, Serialize)]
pub struct ControllerQuorumPageView {
    #[serde(flatten)]
    pub quorum: crate::sim::ControllerQuorumView,
    /// How long there has been no active controller (none while one is active).
    pub no_controller_for_ms: Option<i64>,
    /// The last change of active controller (a new one, or losing it); none before the first.
    pub last_change: Option<crate::sim::ControllerChange>,
}

impl Playground {
    pub(super) fn sample_metrics(&mut self) {
        let s = self.current_metrics();
        self.last_sample_acked = s.acknowledged as usize;
        self.history.push(s);
        if self.history.len() > METRICS_KEEP {
            self.history.drop_front(1);
        }
        self.next_sample_ms = self.now_ms() + METRICS_PERIOD_MS;
    }

    pub(super) fn current_metrics(&self) -> MetricsSample {
        let sim = &self.cs.sim;
        let now = sim.now_ms();
        let mut urp = 0;
        let mut offline = 0;
        for p in sim.controller.partitions.values() {
            if p.leader == NO_LEADER {
                offline += 1;
            } else if p.is_under_replicated() {
                urp += 1;
            }
        }
        let acked = sim.producer.acked_count as u64;
        let failed = sim.producer.failed_count as u64;
        // Latency of writes acknowledged in the last 10 s (among the newest 5000 sends).
        let mut recent: Vec<i64> = vec![];
        for s in sim.producer.sends.values().rev().take(5_000) {
            if let SendOutcome::Acked { at_ms, .. } = s.outcome {
                if now - at_ms <= 10 * METRICS_PERIOD_MS && s.acks != crate::config::Acks::Zero {
                    recent.push(at_ms - s.created_ms);
                }
            }
        }
        recent.sort_unstable(); // thousands of latencies: std's sort (lean's index sort is for small, cold lists)
        let pct = |p: f64| -> Option<i64> {
            if recent.is_empty() {
                None
            } else {
                let i = ((recent.len() as f64 - 1.0) * p).round() as usize;
                Some(recent[i])
            }
        };
        let mut lag = 0;
        // Readers (not in a group): leader HW − position.
        for r in sim.readers.values() {
            if let Some(st) = sim.controller.partitions.get(&r.tp) {
                if let Some(log) =
                    (st.leader != NO_LEADER).then(|| sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(&r.tp))).flatten()
                {
                    lag += (log.high_watermark() - r.position).max(0);
                }
            }
        }
        // Groups: the LAG column of `kafka-consumer-groups.sh --describe` (HW − committed offset),
        // summed, so the metric and the group table always agree.
        for g in group_ids(sim) {
            if let Some(v) = group_view(sim, &g) {
                lag += v.partitions.iter().filter(|p| p.lag > 0).map(|p| p.lag).sum::<i64>();
            }
        }
        MetricsSample {
            time_ms: now,
            under_replicated_partitions: urp,
            offline_partitions_count: offline,
            isr_shrinks: sim.controller.leader_isr_shrinks,
            isr_expands: sim.controller.leader_isr_expands,
            acknowledged: acked,
            failed,
            produce_latency_p50_ms: pct(0.5),
            produce_latency_p99_ms: pct(0.99),
            consumer_lag: lag,
        }
    }

    pub fn metrics(&self) -> Metrics {
        let last_action_ms = self.timeline.ops().iter().enumerate().rev().find_map(|(i, op)| match op {
            Op::Apply(_) => Some(self.timeline.op_end_ms(i)),
            _ => None,
        });
        let before_last_action = last_action_ms.and_then(|t| self.history.iter().rev().find(|h| h.time_ms <= t).cloned());
        Metrics {
            current: self.current_metrics(),
            produce_errors: crate::errors::counts_by_name(&self.cs.sim.producer.error_counts),
            history: self.history.to_vec(),
            before_last_action,
            last_action_ms,
        }
    }

    /// The timers the engine runs, as countdowns (`crate::page::countdowns`).
    /// Every partition reassignment in progress, with each adding replica's progress.
    pub fn reassignments(&self) -> Vec<crate::page::reassignments_view::ReassignmentView> {
        crate::page::reassignments_view::reassignments(&self.cs.sim)
    }

    pub fn countdowns(&self) -> crate::page::countdowns::Countdowns {
        crate::page::countdowns::countdowns(&self.cs.sim)
    }

    /// The records of the replica at `replica` (index in the structure's replica table) in
    /// `[from, from + count)`: key, value, epoch, batch, timestamp, segment file.
    pub fn records(&mut self, replica: usize, from: i64, count: usize) -> Vec<crate::page::record_view::RecordView> {
        let Some(r) = self.structure_ref().replicas.get(replica).cloned() else { return vec![] };
        crate::page::record_view::records(&self.cs.sim, &TopicPartition::new(&r.topic, r.partition), r.broker, from, count)
    }

    /// Records replicas lost from their end since the user last dismissed them.
    pub fn ghosts(&mut self) -> Vec<crate::page::record_view::GhostView> {
        let any_lost = self.lost.count(&self.cs.sim) > 0;
        crate::page::record_view::ghosts(&self.cs.sim, self.ghosts_dismissed_at_ms, any_lost)
    }

    /// Ghosts older than this were dismissed (see [`Playground::dismiss_ghosts`]).
    pub fn ghosts_dismissed_at_ms(&self) -> i64 {
        self.ghosts_dismissed_at_ms
    }

    /// Hides the ghosts there are now (rewinding brings back the ones of that moment).
    pub fn dismiss_ghosts(&mut self) {
        self.ghosts_dismissed_at_ms = self.now_ms();
    }

    /// What the settings in force will do that a user may not expect: Kafka accepts them
    /// (e.g. `min.insync.replicas` above the replication factor), the page says so.
    pub fn config_warnings(&self) -> Vec<String> {
        let sim = &self.cs.sim;
        let mut out = vec![];
        let acks_all = sim.producer.config.acks == crate::config::Acks::All;
        for (name, cfg) in &sim.controller.topics {
            let Some(p) = sim.controller.partitions.values().find(|p| &p.tp.topic == name) else { continue };
            let rf = p.replication_factor() as i64;
            let broker_cfg = p.replicas.iter().find_map(|b| sim.brokers.get(b)).map(|s| &s.config).unwrap_or(&sim.spec.broker_config);
            let min_isr = cfg.min_insync_replicas(broker_cfg);
            if min_isr > rf && name != OFFSETS_TOPIC {
                // Kafka accepts it; the leader then uses `Partition.effectiveMinIsr` =
                // min(min.insync.replicas, replication factor) (Kafka 4.x), so acks=all needs
                // every replica in the ISR: one replica down and every such write is refused.
                out.push(format!(
                    "min.insync.replicas={min_isr} is above the replication factor {rf} of {name}: Kafka accepts it and the leader uses {rf} (effectiveMinIsr), so {}",
                    if acks_all {
                        format!("every acks=all write to it fails with NOT_ENOUGH_REPLICAS as soon as one of its {rf} replicas leaves the ISR")
                    } else {
                        "acks=all writes would need every replica in the ISR (this producer uses acks=0/1, which ignore it)".to_string()
                    }
                ));
            }
        }
        out
    }

    /// The controller quorum: voters (none with a single controller), the active one, the
    /// controller epoch, and how long the cluster has been without an active controller.
    pub fn controller_quorum(&self) -> ControllerQuorumPageView {
        let sim = &self.cs.sim;
        let mut quorum = sim.controller_quorum();
        if !sim.quorum_mode() {
            quorum.voters.clear();
        }
        ControllerQuorumPageView {
            no_controller_for_ms: quorum.no_controller_since_ms.map(|t| sim.now_ms() - t),
            last_change: sim.controller_history.last().cloned(),
            quorum,
        }
    }

    /// Event-log lines with `seq` ≥ `from` (at most `max`).
    pub fn events_since(&self, from: usize, max: usize) -> Vec<EventView> {
        let sim = &self.cs.sim;
        let first = sim.events_dropped;
        let start = from.max(first) - first;
        sim.events
            .range(start..start.saturating_add(max))
            .enumerate()
            .map(|(i, e)| EventView {
                seq: first + start + i,
                time_ms: e.time_ms,
                node: e.node.to_string(),
                category: e.category.as_str(),
                message: e.message.clone(),
                error: crate::errors::KafkaError::named_in(&e.message).map(|k| k.name()),
            })
            .collect()
    }

    /// The one verdict the page shows (invariant panel, audit line, embed badge, narration
    /// checks): the checker's violations, plus `AcknowledgedWriteLost` the moment the audit
    /// counts a lost acknowledged write, even before the checker's next slow pass (every
    /// 100 simulated ms) records it. So "all invariants hold" never sits next to a loss.
    pub fn invariants(&mut self) -> InvariantsView {
        let lost = self.lost.count(&self.cs.sim);
        let mut violations = self.cs.checker.violations.clone();
        if lost > 0 && !violations.iter().any(|v| v.invariant == crate::check::checker::Invariant::AcknowledgedWriteLost) {
            let sim = &self.cs.sim;
            let writes = crate::check::audit::lost_acknowledged_writes(sim);
            violations.extend(crate::check::checker::lost_write_violations(sim, &writes, sim.now_ms()).into_iter().map(|(_, v)| v));
        }
        InvariantsView { ok: violations.is_empty(), violations, lost_acknowledged_writes: lost }
    }

    /// Segments, log start, cleaner checkpoint and tombstones of every replica, in the
    /// structure's replica order.
    pub fn storage(&mut self) -> Vec<ReplicaStorageView> {
        let structure = self.structure_ref().clone();
        let sim = &self.cs.sim;
        structure
            .replicas
            .iter()
            .map(|r| {
                let tp = TopicPartition::new(&r.topic, r.partition);
                let log = sim.brokers.get(&r.broker).and_then(|s| s.disk().logs.get(&tp));
                match log {
                    None => ReplicaStorageView {
                        topic: r.topic.clone(),
                        partition: r.partition,
                        broker: r.broker,
                        log_start_offset: 0,
                        log_end_offset: 0,
                        cleaner_checkpoint: 0,
                        cleanup_policy: "delete",
                        segments: vec![],
                        tombstones: vec![],
                        last_cleaning: None,
                    },
                    Some(log) => {
                        let segs = log.segments();
                        let segments = segs
                            .iter()
                            .enumerate()
                            .map(|(i, s)| SegmentView {
                                base_offset: s.base_offset,
                                next_offset: segs.get(i + 1).map(|n| n.base_offset).unwrap_or(log.log_end_offset()),
                                file: s.file_name("log"),
                                size_bytes: s.size_bytes,
                                records: s.records,
                                active: i + 1 == segs.len(),
                            })
                            .collect();
                        let base = (log.log_end_offset() - TAIL_CELLS as i64 * 4).max(0);
                        let tombstones =
                            log.read(base, i64::MAX, usize::MAX).iter().filter(|x| x.value.is_none()).map(|x| x.offset).collect();
                        let policy = match (log.config.cleanup_compact, log.config.cleanup_delete) {
                            (true, true) => "compact,delete",
                            (true, false) => "compact",
                            _ => "delete",
                        };
                        ReplicaStorageView {
                            topic: r.topic.clone(),
                            partition: r.partition,
                            broker: r.broker,
                            log_start_offset: log.log_start_offset(),
                            log_end_offset: log.log_end_offset(),
                            cleaner_checkpoint: log.cleaner_checkpoint,
                            cleanup_policy: policy,
                            segments,
                            tombstones,
                            last_cleaning: log.last_cleaning.as_ref().map(|c| CleaningView {
                                at_ms: c.at_ms,
                                from: c.from,
                                to: c.to,
                                records_before: c.records_before,
                                records_after: c.records_after,
                                removed_count: c.removed_count,
                                removed: c
                                    .removed
                                    .iter()
                                    .map(|r| CleanedRecordView {
                                        offset: r.offset,
                                        key: r.key.as_deref().map(str::to_string),
                                        value: r.value.as_deref().map(str::to_string),
                                    })
                                    .collect(),
                            }),
                        }
                    }
                }
            })
            .collect()
    }

    pub fn describe(&self) -> String {
        self.cs.sim.describe(None)
    }

    /// Each partition's leader, ISR, ELR and LastKnownElr in the controller's order (the order
    /// `kafka-topics.sh --describe` prints), in the structure's partition order: the page reads
    /// the ISR order here instead of parsing the describe text.
    pub fn partition_members(&mut self) -> Vec<PartitionMembersView> {
        let parts = self.structure_ref().partitions.clone();
        let controller = &self.cs.sim.controller;
        parts
            .iter()
            .map(|p| match controller.partitions.get(&TopicPartition::new(&p.topic, p.partition)) {
                Some(st) => PartitionMembersView {
                    leader: (st.leader != NO_LEADER).then_some(st.leader),
                    isr: st.isr.clone(),
                    elr: st.elr.clone(),
                    last_known_elr: st.last_known_elr.clone(),
                    adding: st.adding_replicas.clone(),
                    removing: st.removing_replicas.clone(),
                },
                None => PartitionMembersView {
                    leader: None,
                    isr: vec![],
                    elr: vec![],
                    last_known_elr: vec![],
                    adding: vec![],
                    removing: vec![],
                },
            })
            .collect()
    }

    /// `kafka-consumer-groups.sh --describe` of every group.
    pub fn describe_groups(&self) -> String {
        describe_groups(&self.cs.sim, None)
    }

    /// The producer's settings in force, as Kafka key → text.
    pub fn producer_settings(&self) -> BTreeMap<String, String> {
        let c = &self.cs.sim.producer.config;
        let acks = match c.acks {
            crate::config::Acks::Zero => "0",
            crate::config::Acks::One => "1",
            crate::config::Acks::All => "all",
        };
        [
            ("acks", acks.to_string()),
            ("retries", c.retries.to_string()),
            ("retry.backoff.ms", c.retry_backoff_ms.to_string()),
            ("request.timeout.ms", c.request_timeout_ms.to_string()),
            ("delivery.timeout.ms", c.delivery_timeout_ms.to_string()),
            ("metadata.max.age.ms", c.metadata_max_age_ms.to_string()),
            ("batch.size", c.batch_size.to_string()),
            ("linger.ms", c.linger_ms.to_string()),
            ("max.in.flight.requests.per.connection", c.max_in_flight_requests_per_connection.to_string()),
            ("enable.idempotence", c.enable_idempotence.to_string()),
            ("partitioner.adaptive.partitioning.enable", c.partitioner_adaptive_partitioning_enable.to_string()),
            ("partitioner.ignore.keys", c.partitioner_ignore_keys.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect_map()
    }

    /// The producer, every consumer (state, assignment, positions, lag) and every group.
    pub fn clients(&self) -> ClientsView {
        let sim = &self.cs.sim;
        let pr = &sim.producer;
        let producer = ProducerView {
            settings: self.producer_settings(),
            idempotent: pr.idempotent(),
            producer_id: pr.producer_id,
            producer_epoch: pr.producer_epoch,
            stats: pr.stats.clone(),
            queued_batches: pr.queued_batches(),
            in_flight_requests: pr.in_flight_requests(),
            acknowledged: pr.acked_count,
            failed: pr.failed_count,
            failed_attempts_retried: pr.stats.retried_errors,
            last_error: pr.last_error.clone(),
            recent_errors: {
                let mut v: Vec<RecentProduceError> = pr
                    .last_by_error
                    .values()
                    .map(|e| RecentProduceError { count: pr.error_counts.get(&e.error).copied().unwrap_or(1), last: e.clone() })
                    .collect();
                // Latest first; errors of the same moment by name.
                crate::lean::sort_by_key(&mut v, |r| (std::cmp::Reverse(r.last.at_ms), r.last.error.name()));
                v.truncate(4);
                v
            },
            in_flight_by_broker: pr
                .in_flight_by_broker()
                .into_iter()
                .map(|(broker, requests, oldest_sent_ms)| InFlightToBroker { broker, requests, oldest_sent_ms })
                .collect(),
            warnings: self.config_warnings(),
        };
        let hw = |tp: &TopicPartition| -> Option<i64> {
            let st = sim.controller.partitions.get(tp)?;
            (st.leader != NO_LEADER).then_some(())?;
            sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(tp)).map(|l| l.high_watermark())
        };
        let now = sim.now_ms();
        let consumers = sim
            .consumers
            .values()
            .map(|c| ConsumerView {
                id: c.id,
                client_id: c.client_id.clone(),
                group_id: c.group_id.clone(),
                topics: c.topics.clone(),
                member_id: c.member_id.clone(),
                generation: c.generation,
                protocol: c.protocol.clone(),
                state: c.state,
                crashed: sim.crashed_consumers.contains(&c.id),
                stalled_ms: (c.stalled_until_ms - now).max(0),
                coordinator: c.coordinator,
                assignor: c.config.partition_assignment_strategy.join(","),
                assignment: c.assignment.iter().map(|tp| tp.to_string()).collect(),
                positions: c
                    .positions
                    .iter()
                    .map(|(tp, p)| PositionView {
                        topic: tp.topic.to_string(),
                        partition: tp.partition,
                        offset: p.offset,
                        state: p.state.clone(),
                        lag: hw(tp).map(|h| (h - p.offset).max(0)).unwrap_or(-1),
                        committed: c.committed.get(tp).copied().unwrap_or(-1),
                    })
                    .collect(),
                consumed: c.consumed.len(),
                stats: c.stats.clone(),
                recent_errors: {
                    let mut v: Vec<RecentConsumerError> =
                        c.errors.values().map(|(count, last)| RecentConsumerError { count: *count, last: last.clone() }).collect();
                    // Latest first; errors of the same moment by name.
                    crate::lean::sort_by_key(&mut v, |r| (std::cmp::Reverse(r.last.at_ms), r.last.error.name()));
                    v.truncate(3);
                    v
                },
            })
            .collect();
        let groups = group_ids(sim).iter().filter_map(|g| group_view(sim, g)).collect();
        ClientsView { producer, consumers, groups }
    }

    /// The client audit (duplicates, reordering, redelivery, truncation seen by consumers, losses).
    /// Read incrementally: what changed since the last call (the same as
    /// [`crate::check::client_audit::client_audit`], which reads the whole run).
    pub fn audit(&mut self) -> crate::check::client_audit::ClientAudit {
        let lost = self.lost.count(&self.cs.sim);
        self.auditor.audit(&self.cs.sim, lost)
    }

    /// Current configuration: broker defaults in force, per-broker overrides, topics, producer.
    pub fn configs(&self) -> serde_json::Value {
        let sim = &self.cs.sim;
        let brokers: BTreeMap<String, BTreeMap<String, String>> =
            sim.brokers.iter().map(|(id, s)| (id.to_string(), s.config.overrides.clone())).collect_map();
        serde_json::json!({
            "cluster": sim.spec.broker_config.overrides,
            "brokers": brokers,
            "producer": self.producer_settings(),
            "workload": sim.workload,
            "network": {
                "min_latency_ms": sim.network.min_latency_ms,
                "max_latency_ms": sim.network.max_latency_ms,
                "loss": sim.network.loss,
                "cuts": sim.network.cuts.iter().map(|(a, b)| [a.to_string(), b.to_string()]).collect::<Vec<_>>(),
                "links": sim.network.links.iter().map(|((a, b), l)| serde_json::json!({"from": a.to_string(), "to": b.to_string(), "extra_latency_ms": l.extra_latency_ms, "loss": l.loss})).collect::<Vec<_>>(),
            },
            "elr_enabled": sim.spec.elr_enabled,
        })
    }

    /// Every config key for tooltips and forms; limits as JS-safe numbers (Long.MAX → null). Without
    /// the keys' docs: the page reads those from `www/config-docs.json` ([`crate::config::docs_json`]).
    pub fn config_defs() -> Vec<serde_json::Value> {
        use crate::config::Kind;
        let num = |v: i64| if v.unsigned_abs() >= (1u64 << 53) { serde_json::Value::Null } else { serde_json::json!(v) };
        CONFIG_DEFS
            .iter()
            .map(|d| {
                let (kind, min, max, choices) = match d.kind {
                    Kind::Long { min, max } => ("long", num(min), num(max), vec![]),
                    Kind::Bool => ("boolean", serde_json::Value::Null, serde_json::Value::Null, vec!["true", "false"]),
                    Kind::Choice(c) => ("choice", serde_json::Value::Null, serde_json::Value::Null, c.to_vec()),
                    Kind::Ratio => ("ratio", serde_json::json!(0), serde_json::json!(1), vec![]),
                    Kind::Text => ("text", serde_json::Value::Null, serde_json::Value::Null, vec![]),
                    Kind::ReplicaList => ("replica-list", serde_json::Value::Null, serde_json::Value::Null, vec![]),
                };
                let default = if d.default == "9223372036854775807" { "9223372036854775807 (Long.MAX: never)" } else { d.default };
                serde_json::json!({"key": d.key, "scope": d.scope, "kind": kind, "min": min, "max": max, "choices": choices, "default": default, "broker_synonym": d.broker_synonym})
            })
            .collect()
    }
}

/// A partition's members as the controller records them (`PartitionRegistration`): the
/// leader (`None` when offline) and the ISR/ELR lists in their recorded order.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartitionMembersView {
    pub leader: Option<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub elr: Vec<BrokerId>,
    pub last_known_elr: Vec<BrokerId>,
    /// A reassignment's adding and removing replicas (empty when none is in progress).
    pub adding: Vec<BrokerId>,
    pub removing: Vec<BrokerId>,
}
