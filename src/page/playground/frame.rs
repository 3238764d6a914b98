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
    /// Codes used by `broker.disk`.
    pub disk_state_codes: &'static [&'static str],
}

/// Declares a frame row's fields once: an index enum the engine writes by (`f[o + R::Hw as usize]`)
/// and the list of names the page reads by (`FrameLayout`'s `*_fields`, in the same order).
macro_rules! frame_fields {
    ($(#[$doc:meta])* $enum:ident, $names:ident: $($(#[$fdoc:meta])* $variant:ident = $name:literal,)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub(super) enum $enum {
            $($(#[$fdoc])* $variant,)*
        }
        pub(super) const $names: &[&str] = &[$($name,)*];
    };
}

frame_fields! {
    /// The frame header, at offset 0.
    H, HEADER_FIELDS:
        NowMs = "now_ms",
        EventsProcessed = "events_processed",
        StructureVersion = "structure_version",
        Brokers = "brokers",
        Partitions = "partitions",
        Replicas = "replicas",
        InFlight = "in_flight",
        Violations = "violations",
        EventSeqEnd = "event_seq_end",
        Acknowledged = "acknowledged",
        Failed = "failed",
        Pending = "pending",
        Lost = "lost",
        UncleanElections = "unclean_elections",
        IsrShrinks = "isr_shrinks",
        IsrExpands = "isr_expands",
}

frame_fields! {
    /// One broker row (`broker_stride` values).
    B, BROKER_FIELDS:
        Id = "id",
        Status = "status",
        PartitionsLed = "partitions_led",
        LogEndOffsetSum = "log_end_offset_sum",
        Unflushed = "unflushed",
        /// The disk of its log directory, an index into `disk_state_codes`: healthy, slow
        /// (`slow_disk`), full or failed (`disk_fault`: the log dir goes offline at the next write).
        Disk = "disk",
}

frame_fields! {
    /// One partition row (`partition_stride` values).
    P, PARTITION_FIELDS:
        Leader = "leader",
        LeaderEpoch = "leader_epoch",
        PartitionEpoch = "partition_epoch",
        IsrSize = "isr_size",
        ElrSize = "elr_size",
        Offline = "offline",
        UnderReplicated = "under_replicated",
        LeaderHighWatermark = "leader_high_watermark",
        TailBase = "tail_base",
}

frame_fields! {
    /// One replica row (`replica_stride` values).
    R, REPLICA_FIELDS:
        Broker = "broker",
        Present = "present",
        LogStartOffset = "log_start_offset",
        LogEndOffset = "log_end_offset",
        HighWatermark = "high_watermark",
        DurableEndOffset = "durable_end_offset",
        InIsr = "in_isr",
        InElr = "in_elr",
        IsLeader = "is_leader",
        LagRecords = "lag_records",
        LagMs = "lag_ms",
        LatestEpoch = "latest_epoch",
        /// A follower the leader may drop from the ISR: ms until it counts as out of sync
        /// (`replica.lag.time.max.ms` since it last caught up), -1 while it keeps up.
        LagRemainingMs = "lag_remaining_ms",
        /// The leader's `replica.lag.time.max.ms` (-1: no leader).
        LagLimitMs = "lag_limit_ms",
}

pub(super) const STATUS_CODES: &[&str] = &["online", "fenced", "starting", "controlled_shutdown", "paused", "crashed", "stopped"];

pub(super) const DISK_CODES: &[&str] = &["healthy", "slow", "full", "failed"];

/// A broker's disk as `broker.disk` codes it.
pub(super) fn disk_code(d: &crate::broker::disk::Disk) -> f64 {
    use crate::broker::disk::DiskHealth;
    match d.health {
        DiskHealth::Failed => 3.0,
        DiskHealth::Full => 2.0,
        DiskHealth::Healthy if d.write_latency_ms > 0 => 1.0,
        DiskHealth::Healthy => 0.0,
    }
}

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
        disk_state_codes: DISK_CODES,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaRef {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
    /// In a reassignment (KIP-455): `"adding"` (catching up, not yet a full replica) or
    /// `"removing"` (leaves when the move completes); `null` otherwise.
    pub reassignment: Option<&'static str>,
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
                topic: p.tp.topic.to_string(),
                partition: p.tp.partition,
                replicas: p.replicas.clone(),
                first_replica: reps.len(),
            });
            for &b in &p.replicas {
                let reassignment = if p.adding_replicas.contains(&b) {
                    Some("adding")
                } else if p.removing_replicas.contains(&b) {
                    Some("removing")
                } else {
                    None
                };
                reps.push(ReplicaRef { topic: p.tp.topic.to_string(), partition: p.tp.partition, broker: b, reassignment });
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
                    // As kafka-topics.sh counts it during a reassignment: replicas minus adding ones.
                    replication_factor: parts.first().map(|p| p.replicas.len() - p.adding_replicas.len()).unwrap_or(0),
                    config: cfg.overrides.clone(),
                }
            })
            .collect();
        crate::lean::sort_by_key(&mut topics, |t| t.internal);
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
        f[H::NowMs as usize] = sim.now_ms() as f64;
        f[H::EventsProcessed as usize] = sim.events_processed as f64;
        f[H::StructureVersion as usize] = structure.version as f64;
        f[H::Brokers as usize] = structure.brokers.len() as f64;
        f[H::Partitions as usize] = structure.partitions.len() as f64;
        f[H::Replicas as usize] = structure.replicas.len() as f64;
        f[H::InFlight as usize] = sim.in_flight_count() as f64;
        f[H::Violations as usize] = self.cs.checker.violations.len() as f64;
        f[H::EventSeqEnd as usize] = (sim.events_dropped + sim.events.len()) as f64;
        f[H::Acknowledged as usize] = acked;
        f[H::Failed as usize] = failed;
        f[H::Pending as usize] = pending;
        f[H::Lost as usize] = lost as f64;
        f[H::UncleanElections as usize] = sim.controller.unclean_elections as f64;
        f[H::IsrShrinks as usize] = sim.controller.leader_isr_shrinks as f64;
        f[H::IsrExpands as usize] = sim.controller.leader_isr_expands as f64;
        for (i, b) in structure.brokers.iter().enumerate() {
            let o = l.broker_offset + i * l.broker_stride;
            let slot = &sim.brokers[&b.id];
            let led = sim.controller.partitions.values().filter(|p| p.leader == b.id).count();
            let disk = slot.disk();
            f[o + B::Id as usize] = b.id as f64;
            f[o + B::Status as usize] = status_code(slot.status());
            f[o + B::PartitionsLed as usize] = led as f64;
            f[o + B::LogEndOffsetSum as usize] = disk.logs.values().map(|x| x.log_end_offset()).sum::<i64>() as f64;
            f[o + B::Unflushed as usize] = disk.logs.values().map(|x| x.log_end_offset() - x.durable_end_offset()).sum::<i64>() as f64;
            f[o + B::Disk as usize] = disk_code(disk);
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
            f[o + P::Leader as usize] = st.leader as f64;
            f[o + P::LeaderEpoch as usize] = st.leader_epoch as f64;
            f[o + P::PartitionEpoch as usize] = st.partition_epoch as f64;
            f[o + P::IsrSize as usize] = st.isr.len() as f64;
            f[o + P::ElrSize as usize] = st.elr.len() as f64;
            f[o + P::Offline as usize] = if st.leader == NO_LEADER { 1.0 } else { 0.0 };
            f[o + P::UnderReplicated as usize] = if st.is_under_replicated() { 1.0 } else { 0.0 };
            f[o + P::LeaderHighWatermark as usize] = leader_log.map(|x| x.high_watermark()).unwrap_or(-1) as f64;
            f[o + P::TailBase as usize] = tail_base as f64;
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
                f[o + R::Broker as usize] = b as f64;
                f[o + R::Present as usize] = if log.is_some() { 1.0 } else { 0.0 };
                if let Some(log) = log {
                    let hw = shown_high_watermark(slot, log, &tp);
                    f[o + R::LogStartOffset as usize] = log.log_start_offset() as f64;
                    f[o + R::LogEndOffset as usize] = log.log_end_offset() as f64;
                    f[o + R::HighWatermark as usize] = hw as f64;
                    f[o + R::DurableEndOffset as usize] = log.durable_end_offset() as f64;
                    f[o + R::LatestEpoch as usize] = log.latest_epoch().unwrap_or(-1) as f64;
                    let cells = &mut self.tails[ri * TAIL_CELLS..(ri + 1) * TAIL_CELLS];
                    for r in log.read(tail_base, tail_base + TAIL_CELLS as i64, TAIL_CELLS) {
                        cells[(r.offset - tail_base) as usize] = r.leader_epoch;
                    }
                }
                // 1-based position in the ISR (the controller's order), 0 = not in the ISR.
                f[o + R::InIsr as usize] = st.isr.iter().position(|&x| x == b).map(|i| i as f64 + 1.0).unwrap_or(0.0);
                f[o + R::InElr as usize] = if st.elr.contains(&b) { 1.0 } else { 0.0 };
                f[o + R::IsLeader as usize] = if st.leader == b { 1.0 } else { 0.0 };
                f[o + R::LagRecords as usize] = match (leader_leo, log) {
                    (Some(lleo), Some(log)) if st.leader != b => (lleo - log.log_end_offset()) as f64,
                    _ => -1.0,
                };
                f[o + R::LagMs as usize] = match leader_state.and_then(|ls| ls.remote.get(&b)) {
                    Some(rs) if st.leader != b && rs.last_caught_up_time_ms > 0 => (sim.now_ms() - rs.last_caught_up_time_ms) as f64,
                    _ => -1.0,
                };
                let timer = match (leader_state.and_then(|ls| ls.remote.get(&b)), leader_cfg, leader_leo) {
                    (Some(rs), Some(cfg), Some(lleo)) if st.leader != b => {
                        crate::page::countdowns::follower_lag(cfg, rs, lleo, sim.now_ms())
                    }
                    _ => None,
                };
                f[o + R::LagRemainingMs as usize] = timer.map(|(_, rem)| rem).unwrap_or(-1) as f64;
                f[o + R::LagLimitMs as usize] = leader_cfg.map(|c| c.replica_lag_time_max_ms).unwrap_or(-1) as f64;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `idx.<row>.<field>` the page reads (directly, or through `const r = this.idx.r`).
    fn fields_the_page_reads() -> Vec<(char, String, String)> {
        let www = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
        let mut found = vec![];
        let mut files: Vec<_> = std::fs::read_dir(&www).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|x| x == "js")) {
            let text = std::fs::read_to_string(f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
            // Aliases: `const r = this.idx.r;` / `const idx = this.idx.p;`
            // (alias, row, where its function body starts)
            let mut aliases: Vec<(String, char, usize)> = vec![];
            for (i, _) in text.match_indices("idx.") {
                let rest = &text[i + 4..];
                let mut it = rest.chars();
                let (Some(row), Some(next)) = (it.next(), it.next()) else { continue };
                if !"hbpr".contains(row) {
                    continue;
                }
                if next == '.' {
                    let field = ident(&rest[2..]);
                    found.push((row, field, name.clone()));
                } else if !(next.is_alphanumeric() || next == '_') {
                    let before = text[..i].trim_end_matches("this.").trim_end();
                    if let Some(lhs) = before.strip_suffix('=') {
                        let alias: String = lhs.trim_end().chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        aliases.push((alias.chars().rev().collect(), row, i + 5));
                    }
                }
            }
            for (alias, row, at) in aliases {
                // The alias lives until its function ends (a method's `}` at two spaces, a function's at none).
                let end = [text[at..].find("\n  }"), text[at..].find("\n}")].into_iter().flatten().min().map_or(text.len(), |e| at + e);
                let scope = &text[at..end];
                let pat = format!("{alias}.");
                for (i, _) in scope.match_indices(&pat) {
                    let text = scope;
                    if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.') {
                        continue;
                    }
                    let field = ident(&text[i + pat.len()..]);
                    // `idx.p.leader` is a direct read (above), not `idx` (an alias of a row) reading `p`.
                    let direct = field.len() == 1 && text[i + pat.len() + 1..].starts_with('.');
                    if !field.is_empty() && !direct {
                        found.push((row, field, name.clone()));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_frame_field_the_page_reads_is_one_the_engine_writes() {
        let found = fields_the_page_reads();
        assert!(found.len() >= 15, "the scan found only {} reads: has the page's reader changed shape?", found.len());
        for (row, field, file) in &found {
            let names = match row {
                'h' => HEADER_FIELDS,
                'b' => BROKER_FIELDS,
                'p' => PARTITION_FIELDS,
                _ => REPLICA_FIELDS,
            };
            assert!(names.contains(&field.as_str()), "www/{file} reads idx.{row}.{field}, which the frame does not have: {names:?}");
        }
    }

    #[test]
    fn each_row_enum_indexes_its_list_of_names() {
        assert_eq!(H::IsrExpands as usize + 1, HEADER_FIELDS.len());
        assert_eq!(B::Disk as usize + 1, BROKER_FIELDS.len());
        assert_eq!(DISK_CODES[disk_code(&crate::broker::disk::Disk { write_latency_ms: 5, ..Default::default() }) as usize], "slow");
        assert_eq!(P::TailBase as usize + 1, PARTITION_FIELDS.len());
        assert_eq!(R::LagLimitMs as usize + 1, REPLICA_FIELDS.len());
        assert_eq!(REPLICA_FIELDS[R::HighWatermark as usize], "high_watermark");
        assert_eq!(PARTITION_FIELDS[P::LeaderEpoch as usize], "leader_epoch");
    }
}
