//! The picture's data: the structure (brokers, topics, partitions, replicas; JSON, versioned,
//! changes rarely) and the frame (every hot number in one `f64` buffer laid out by
//! [`FrameLayout`], plus each replica's log tail as leader epochs in an `i32` buffer).

use super::*;

/// How many offsets of each replica's log tail the frame carries.
pub const TAIL_CELLS: usize = 48;

/// Offsets into the frame buffer. Every field is an `f64`.
#[derive(Debug, Clone, Serialize)]
pub struct FrameLayout {
    pub header: usize,
    pub broker_offset: usize,
    pub broker_stride: usize,
    pub partition_offset: usize,
    pub partition_stride: usize,
    pub replica_offset: usize,
    pub replica_stride: usize,
    pub header_fields: &'static [&'static str],
    pub broker_fields: &'static [&'static str],
    pub partition_fields: &'static [&'static str],
    pub replica_fields: &'static [&'static str],
    /// Codes used by `broker.status`.
    pub broker_status_codes: &'static [&'static str],
}

pub(super) const HEADER_FIELDS: &[&str] = &[
    "now_ms",
    "events_processed",
    "structure_version",
    "brokers",
    "partitions",
    "replicas",
    "in_flight",
    "violations",
    "event_seq_end",
    "acknowledged",
    "failed",
    "pending",
    "lost",
    "unclean_elections",
    "isr_shrinks",
    "isr_expands",
];

pub(super) const BROKER_FIELDS: &[&str] = &["id", "status", "partitions_led", "log_end_offset_sum", "unflushed", "reserved"];

pub(super) const PARTITION_FIELDS: &[&str] = &[
    "leader",
    "leader_epoch",
    "partition_epoch",
    "isr_size",
    "elr_size",
    "offline",
    "under_replicated",
    "leader_high_watermark",
    "tail_base",
];

pub(super) const REPLICA_FIELDS: &[&str] = &[
    "broker",
    "present",
    "log_start_offset",
    "log_end_offset",
    "high_watermark",
    "durable_end_offset",
    "in_isr",
    "in_elr",
    "is_leader",
    "lag_records",
    "lag_ms",
    "latest_epoch",
    // A follower the leader may drop from the ISR: ms until it counts as out of sync
    // (`replica.lag.time.max.ms` since it last caught up), -1 while it keeps up.
    "lag_remaining_ms",
    // The leader's `replica.lag.time.max.ms` (-1: no leader).
    "lag_limit_ms",
];

pub(super) const STATUS_CODES: &[&str] = &["online", "fenced", "starting", "controlled_shutdown", "paused", "crashed", "stopped"];

pub(super) fn status_code(s: NodeStatus) -> f64 {
    match s {
        NodeStatus::Online => 0.0,
        NodeStatus::Fenced => 1.0,
        NodeStatus::Starting => 2.0,
        NodeStatus::ControlledShutdown => 3.0,
        NodeStatus::Paused => 4.0,
        NodeStatus::Crashed => 5.0,
        NodeStatus::Stopped => 6.0,
    }
}

pub fn frame_layout() -> FrameLayout {
    let header = HEADER_FIELDS.len();
    FrameLayout {
        header,
        broker_offset: header,
        broker_stride: BROKER_FIELDS.len(),
        partition_offset: 0, // filled per structure (depends on the broker count)
        partition_stride: PARTITION_FIELDS.len(),
        replica_offset: 0,
        replica_stride: REPLICA_FIELDS.len(),
        header_fields: HEADER_FIELDS,
        broker_fields: BROKER_FIELDS,
        partition_fields: PARTITION_FIELDS,
        replica_fields: REPLICA_FIELDS,
        broker_status_codes: STATUS_CODES,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaRef {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartitionRef {
    pub topic: String,
    pub partition: u32,
    pub replicas: Vec<BrokerId>,
    /// Index of the first of this partition's rows in the replica table.
    pub first_replica: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BrokerRef {
    pub id: BrokerId,
    pub rack: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Structure {
    pub version: u64,
    pub seed: u64,
    pub name: Option<String>,
    pub description: Option<String>,
    pub brokers: Vec<BrokerRef>,
    pub topics: Vec<TopicView>,
    pub partitions: Vec<PartitionRef>,
    pub replicas: Vec<ReplicaRef>,
    /// Every node that can send messages, in lane order.
    pub nodes: Vec<String>,
    pub tail_cells: usize,
    pub layout: FrameLayout,
    pub frame_len: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TopicView {
    pub name: String,
    /// `__consumer_offsets`: created by the first consumer, drawn compactly after the user topics.
    pub internal: bool,
    pub partitions: u32,
    pub replication_factor: usize,
    pub config: BTreeMap<String, String>,
}

/// The high watermark a replica shows: its log's while the broker runs; while it is down, the
/// one it will start from (its `replication-offset-checkpoint`, clamped to its log, as Kafka loads it).
pub fn shown_high_watermark(slot: &crate::sim::BrokerSlot, log: &crate::log::PartitionLog, tp: &TopicPartition) -> i64 {
    if slot.process.is_some() {
        log.high_watermark()
    } else {
        slot.disk().read_hw_checkpoint().get(tp).copied().unwrap_or(0).clamp(log.log_start_offset(), log.log_end_offset())
    }
}

impl Playground {
    pub(super) fn replica_table(&self) -> (Vec<PartitionRef>, Vec<ReplicaRef>) {
        let mut parts = vec![];
        let mut reps = vec![];
        // User topics first, then `__consumer_offsets` (the same order as the structure's topics).
        let all = &self.cs.sim.controller.partitions;
        let ordered = all.values().filter(|p| p.tp.topic != OFFSETS_TOPIC).chain(all.values().filter(|p| p.tp.topic == OFFSETS_TOPIC));
        for p in ordered {
            parts.push(PartitionRef {
                topic: p.tp.topic.clone(),
                partition: p.tp.partition,
                replicas: p.replicas.clone(),
                first_replica: reps.len(),
            });
            for &b in &p.replicas {
                reps.push(ReplicaRef { topic: p.tp.topic.clone(), partition: p.tp.partition, broker: b });
            }
        }
        (parts, reps)
    }

    /// The structure view; its `version` changes whenever brokers, topics or replicas change.
    pub fn structure(&mut self) -> Structure {
        self.structure_ref().clone()
    }

    /// The structure, rebuilt only when brokers, topics, partitions, metadata or readers changed.
    pub(super) fn structure_ref(&mut self) -> &Structure {
        let sim = &self.cs.sim;
        let key = (
            sim.brokers.len(),
            sim.controller.topics.len(),
            sim.controller.partitions.len(),
            sim.readers.len() + sim.consumers.len(),
            sim.controller.log.len(),
        );
        if self.cached.as_ref().is_none_or(|(k, _)| *k != key) {
            let s = self.build_structure();
            self.cached = Some((key, s));
        }
        &self.cached.as_ref().unwrap().1
    }

    pub(super) fn build_structure(&mut self) -> Structure {
        let sim = &self.cs.sim;
        let brokers: Vec<BrokerRef> = sim.brokers.values().map(|s| BrokerRef { id: s.spec.id, rack: s.spec.rack.clone() }).collect();
        // User topics first, the internal `__consumer_offsets` last (it sorts first by name).
        let mut topics: Vec<TopicView> = sim
            .controller
            .topics
            .iter()
            .map(|(name, cfg)| {
                let parts: Vec<_> = sim.controller.partitions.values().filter(|p| &p.tp.topic == name).collect();
                TopicView {
                    internal: name == OFFSETS_TOPIC,
                    name: name.clone(),
                    partitions: parts.len() as u32,
                    replication_factor: parts.first().map(|p| p.replicas.len()).unwrap_or(0),
                    config: cfg.overrides.clone(),
                }
            })
            .collect();
        topics.sort_by_key(|t| t.internal);
        let (partitions, replicas) = self.replica_table();
        let key = format!(
            "{brokers:?}{topics:?}{replicas:?}{:?}{:?}",
            sim.readers.keys().collect::<Vec<_>>(),
            sim.consumers.keys().collect::<Vec<_>>()
        );
        if key != self.structure_key {
            self.structure_key = key;
            self.structure_version += 1;
        }
        let mut nodes = vec!["controller".to_string()];
        // With a controller quorum, each voter's machine can be cut off or isolated by name too.
        if sim.quorum_mode() {
            nodes.extend(sim.voters.keys().map(|v| format!("controller-{v}")));
        }
        nodes.extend(brokers.iter().map(|b| format!("broker-{}", b.id)));
        nodes.push("producer-1".into());
        nodes.extend(sim.readers.keys().map(|r| format!("reader-{r}")));
        nodes.extend(sim.consumers.keys().map(|c| format!("consumer-{c}")));
        let mut layout = frame_layout();
        layout.partition_offset = layout.broker_offset + brokers.len() * layout.broker_stride;
        layout.replica_offset = layout.partition_offset + partitions.len() * layout.partition_stride;
        let frame_len = layout.replica_offset + replicas.len() * layout.replica_stride;
        Structure {
            version: self.structure_version,
            seed: sim.spec.seed,
            name: self.scenario.name.clone(),
            description: self.scenario.description.clone(),
            brokers,
            topics,
            partitions,
            replicas,
            nodes,
            tail_cells: TAIL_CELLS,
            layout,
            frame_len,
        }
    }

    /// Recomputes the frame buffers; returns (frame, tails).
    pub fn frame(&mut self) -> (&[f64], &[i32]) {
        // Borrow the cached structure for this frame without cloning it (it is put back below).
        self.structure_ref();
        let (key, structure) = self.cached.take().expect("structure_ref filled the cache");
        let sim = &self.cs.sim;
        let l = &structure.layout;
        self.frame.clear();
        self.frame.resize(structure.frame_len, 0.0);
        self.tails.clear();
        self.tails.resize(structure.replicas.len() * TAIL_CELLS, -1);
        let lost = self.lost.count(sim);
        let f = &mut self.frame;
        let (acked, failed, pending) = (sim.producer.acked_count as f64, sim.producer.failed_count as f64, sim.producer.pending() as f64);
        let header = [
            sim.now_ms() as f64,
            sim.events_processed as f64,
            structure.version as f64,
            structure.brokers.len() as f64,
            structure.partitions.len() as f64,
            structure.replicas.len() as f64,
            sim.in_flight_count() as f64,
            self.cs.checker.violations.len() as f64,
            (sim.events_dropped + sim.events.len()) as f64,
            acked,
            failed,
            pending,
            lost as f64,
            sim.controller.unclean_elections as f64,
            sim.controller.leader_isr_shrinks as f64,
            sim.controller.leader_isr_expands as f64,
        ];
        f[..header.len()].copy_from_slice(&header);
        for (i, b) in structure.brokers.iter().enumerate() {
            let o = l.broker_offset + i * l.broker_stride;
            let slot = &sim.brokers[&b.id];
            let led = sim.controller.partitions.values().filter(|p| p.leader == b.id).count();
            let disk = slot.disk();
            f[o] = b.id as f64;
            f[o + 1] = status_code(slot.status());
            f[o + 2] = led as f64;
            f[o + 3] = disk.logs.values().map(|x| x.log_end_offset()).sum::<i64>() as f64;
            f[o + 4] = disk.logs.values().map(|x| x.log_end_offset() - x.durable_end_offset()).sum::<i64>() as f64;
        }
        for (pi, pr) in structure.partitions.iter().enumerate() {
            let tp = TopicPartition::new(&pr.topic, pr.partition);
            let st = &sim.controller.partitions[&tp];
            let o = l.partition_offset + pi * l.partition_stride;
            let leader_log = (st.leader != NO_LEADER).then(|| sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(&tp))).flatten();
            let leader_leo = leader_log.map(|x| x.log_end_offset());
            let max_leo = pr
                .replicas
                .iter()
                .filter_map(|b| sim.brokers.get(b).and_then(|s| s.disk().logs.get(&tp)))
                .map(|x| x.log_end_offset())
                .max()
                .unwrap_or(0);
            let tail_base = (max_leo - TAIL_CELLS as i64).max(0);
            f[o] = st.leader as f64;
            f[o + 1] = st.leader_epoch as f64;
            f[o + 2] = st.partition_epoch as f64;
            f[o + 3] = st.isr.len() as f64;
            f[o + 4] = st.elr.len() as f64;
            f[o + 5] = if st.leader == NO_LEADER { 1.0 } else { 0.0 };
            f[o + 6] = if st.leader != NO_LEADER && st.isr.len() < st.replicas.len() { 1.0 } else { 0.0 };
            f[o + 7] = leader_log.map(|x| x.high_watermark()).unwrap_or(-1) as f64;
            f[o + 8] = tail_base as f64;
            // The leader's view of each follower (for lag in ms).
            let leader_state = sim
                .brokers
                .get(&st.leader)
                .and_then(|b| b.process.as_ref())
                .and_then(|p| p.partitions.get(&tp))
                .and_then(|p| p.leader_state.as_ref());
            let leader_cfg = sim.brokers.get(&st.leader).and_then(|b| b.process.as_ref()).map(|p| &p.config);
            for (k, &b) in pr.replicas.iter().enumerate() {
                let ri = pr.first_replica + k;
                let o = l.replica_offset + ri * l.replica_stride;
                let slot = &sim.brokers[&b];
                let log = slot.disk().logs.get(&tp);
                f[o] = b as f64;
                f[o + 1] = if log.is_some() { 1.0 } else { 0.0 };
                if let Some(log) = log {
                    let hw = shown_high_watermark(slot, log, &tp);
                    f[o + 2] = log.log_start_offset() as f64;
                    f[o + 3] = log.log_end_offset() as f64;
                    f[o + 4] = hw as f64;
                    f[o + 5] = log.durable_end_offset() as f64;
                    f[o + 11] = log.latest_epoch().unwrap_or(-1) as f64;
                    let cells = &mut self.tails[ri * TAIL_CELLS..(ri + 1) * TAIL_CELLS];
                    for r in log.read(tail_base, tail_base + TAIL_CELLS as i64, TAIL_CELLS) {
                        cells[(r.offset - tail_base) as usize] = r.leader_epoch;
                    }
                }
                // 1-based position in the ISR (the controller's order), 0 = not in the ISR.
                f[o + 6] = st.isr.iter().position(|&x| x == b).map(|i| i as f64 + 1.0).unwrap_or(0.0);
                f[o + 7] = if st.elr.contains(&b) { 1.0 } else { 0.0 };
                f[o + 8] = if st.leader == b { 1.0 } else { 0.0 };
                f[o + 9] = match (leader_leo, log) {
                    (Some(lleo), Some(log)) if st.leader != b => (lleo - log.log_end_offset()) as f64,
                    _ => -1.0,
                };
                f[o + 10] = match leader_state.and_then(|ls| ls.remote.get(&b)) {
                    Some(rs) if st.leader != b && rs.last_caught_up_time_ms > 0 => (sim.now_ms() - rs.last_caught_up_time_ms) as f64,
                    _ => -1.0,
                };
                let timer = match (leader_state.and_then(|ls| ls.remote.get(&b)), leader_cfg, leader_leo) {
                    (Some(rs), Some(cfg), Some(lleo)) if st.leader != b => {
                        crate::page::countdowns::follower_lag(cfg, rs, lleo, sim.now_ms())
                    }
                    _ => None,
                };
                f[o + 12] = timer.map(|(_, rem)| rem).unwrap_or(-1) as f64;
                f[o + 13] = leader_cfg.map(|c| c.replica_lag_time_max_ms).unwrap_or(-1) as f64;
            }
        }
        self.cached = Some((key, structure));
        (&self.frame, &self.tails)
    }

    /// The frame buffer filled by the last [`Playground::frame`].
    pub fn frame_buf(&self) -> &[f64] {
        &self.frame
    }

    /// The log-tail buffer filled by the last [`Playground::frame`].
    pub fn tails(&self) -> &[i32] {
        &self.tails
    }
}
