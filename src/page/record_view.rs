//! Records as the page shows them: the records of one replica in a window of offsets (key,
//! value, epoch, batch, timestamp, segment file) and the "ghosts" — records a replica held
//! and lost from its end (truncation, power loss), red where they were acknowledged writes
//! that no replica has any more (the audit's lost writes).

use crate::check::audit::lost_acknowledged_writes;
use crate::ids::{BrokerId, TopicPartition};
use crate::lean::CollectBTree;
use crate::log::partition_log::{Ghost, GhostCause};
use crate::sim::Sim;
use serde::Serialize;
use std::collections::BTreeSet;

/// Most records one `records` call returns.
pub const MAX_RECORDS_PER_VIEW: usize = 512;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordView {
    pub offset: i64,
    pub leader_epoch: i32,
    pub key: Option<String>,
    /// `None`: a tombstone.
    pub value: Option<String>,
    /// Base offset of its producer batch.
    pub batch_base_offset: i64,
    pub timestamp_ms: i64,
    /// The segment file holding it (`00000000000000000042.log`).
    pub segment: String,
    /// Below this replica's high watermark.
    pub committed: bool,
}

/// The records of `broker`'s replica of `tp` in `[from, from + count)` (at most
/// [`MAX_RECORDS_PER_VIEW`]); empty when the replica has no log.
pub fn records(sim: &Sim, tp: &TopicPartition, broker: BrokerId, from: i64, count: usize) -> Vec<RecordView> {
    let Some(log) = sim.brokers.get(&broker).and_then(|s| s.disk().logs.get(tp)) else { return vec![] };
    let all = log.records();
    let start = all.partition_point(|r| r.offset < from);
    // The batch of the first record starts at the last batch start at or before it.
    let mut batch_base = all.range(0..start).rev().find(|r| r.batch_start).map(|r| r.offset).unwrap_or(from);
    let segs = log.segments();
    let hw = log.high_watermark();
    let until = from.saturating_add(count.min(MAX_RECORDS_PER_VIEW) as i64);
    all.range(start..all.len())
        .take_while(|r| r.offset < until)
        .map(|r| {
            if r.batch_start {
                batch_base = r.offset;
            }
            let si = segs.partition_point(|s| s.base_offset <= r.offset).saturating_sub(1);
            RecordView {
                offset: r.offset,
                leader_epoch: r.leader_epoch,
                key: r.key.as_deref().map(str::to_string),
                value: r.value.as_deref().map(str::to_string),
                batch_base_offset: batch_base,
                timestamp_ms: r.timestamp_ms,
                segment: segs.get(si).map(|s| s.file_name("log")).unwrap_or_default(),
                committed: r.offset < hw,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GhostRecord {
    pub offset: i64,
    pub leader_epoch: i32,
    pub key: Option<String>,
    pub value: Option<String>,
    /// An acknowledged write that no replica holds any more.
    pub acknowledged_lost: bool,
}

/// Records removed together from one replica's end.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GhostView {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
    pub cause: GhostCause,
    pub at_ms: i64,
    pub first_offset: i64,
    pub last_offset: i64,
    /// Any of them an acknowledged write now lost (drawn red).
    pub acknowledged_lost: usize,
    /// What the page writes beside them, e.g. "lost after ack: offsets 3–7".
    pub label: String,
    pub records: Vec<GhostRecord>,
}

fn range(a: i64, b: i64) -> String {
    if a == b {
        format!("offset {a}")
    } else {
        format!("offsets {a}–{b}")
    }
}

/// Every replica's ghosts removed after `since_ms`, in broker/partition order. `any_lost`: the
/// audit counts lost acknowledged writes (else the costly list of them is not built).
pub fn ghosts(sim: &Sim, since_ms: i64, any_lost: bool) -> Vec<GhostView> {
    let mut out = vec![];
    let mut lost: Option<BTreeSet<u64>> = None;
    for (&b, slot) in &sim.brokers {
        for (tp, log) in &slot.disk().logs {
            for g in log.ghosts.iter().filter(|g| g.at_ms > since_ms && !g.records.is_empty()) {
                let lost = lost.get_or_insert_with(|| {
                    if any_lost {
                        lost_acknowledged_writes(sim).into_iter().map(|l| l.write_id).collect_set()
                    } else {
                        BTreeSet::new()
                    }
                });
                out.push(ghost_view(b, tp, g, lost));
            }
        }
    }
    if any_lost {
        out.extend(unshown_lost_writes(sim, since_ms));
    }
    out
}

/// One ghost of broker `b`'s replica of `tp`, its records marked when they are acknowledged
/// writes now lost (`lost`), labelled by that or by its cause.
fn ghost_view(b: BrokerId, tp: &TopicPartition, g: &Ghost, lost: &BTreeSet<u64>) -> GhostView {
    let records: Vec<GhostRecord> = g
        .records
        .iter()
        .map(|r| GhostRecord {
            offset: r.offset,
            leader_epoch: r.leader_epoch,
            key: r.key.as_deref().map(str::to_string),
            value: r.value.as_deref().map(str::to_string),
            acknowledged_lost: lost.contains(&r.write_id),
        })
        .collect();
    let first = records[0].offset;
    let last = records[records.len() - 1].offset;
    let red: Vec<i64> = records.iter().filter(|r| r.acknowledged_lost).map(|r| r.offset).collect();
    let label = if let (Some(a), Some(z)) = (red.first(), red.last()) {
        format!("lost after ack: {}", range(*a, *z))
    } else {
        match g.cause {
            GhostCause::Truncated => format!("truncated: {}", range(first, last)),
            GhostCause::PowerLoss => format!("lost with the page cache: {}", range(first, last)),
            GhostCause::NeverReplicated => format!("never replicated: {}", range(first, last)),
        }
    };
    GhostView {
        topic: tp.topic.to_string(),
        partition: tp.partition,
        broker: b,
        cause: g.cause,
        at_ms: g.at_ms,
        first_offset: first,
        last_offset: last,
        acknowledged_lost: red.len(),
        label,
        records,
    }
}

/// Lost acknowledged writes no ghost shows (the replica that had them is down and kept
/// them, or they are gone from every log): drawn on the partition's leader, where a reader
/// would look for them, at the offsets they were acknowledged with.
fn unshown_lost_writes(sim: &Sim, since_ms: i64) -> Vec<GhostView> {
    let mut out = vec![];
    let lost_writes = lost_acknowledged_writes(sim);
    let shown: BTreeSet<u64> = sim
        .brokers
        .values()
        .flat_map(|s| s.disk().logs.values())
        .flat_map(|l| l.ghosts.iter().filter(|g| g.at_ms > since_ms))
        .flat_map(|g| g.records.iter().map(|r| r.write_id))
        .collect_set();
    let mut by_tp: std::collections::BTreeMap<TopicPartition, Vec<GhostRecord>> = std::collections::BTreeMap::new();
    let mut acked_at: std::collections::BTreeMap<TopicPartition, i64> = std::collections::BTreeMap::new();
    for l in lost_writes.iter().filter(|l| l.offset >= 0 && !shown.contains(&l.write_id)) {
        let tp = TopicPartition::new(&l.topic, l.partition);
        let e = acked_at.entry(tp).or_insert(l.acked_at_ms);
        *e = (*e).max(l.acked_at_ms);
        by_tp.entry(tp).or_default().push(GhostRecord {
            offset: l.offset,
            leader_epoch: -1,
            key: l.key.clone(),
            value: l.value.clone(),
            acknowledged_lost: true,
        });
    }
    for (tp, mut records) in by_tp {
        let Some(st) = sim.controller.partitions.get(&tp).filter(|st| st.leader != crate::ids::NO_LEADER) else { continue };
        if since_ms >= acked_at[&tp] {
            continue;
        }
        crate::lean::sort_by_key(&mut records, |r| r.offset);
        let (first, last) = (records[0].offset, records[records.len() - 1].offset);
        out.push(GhostView {
            topic: tp.topic.to_string(),
            partition: tp.partition,
            broker: st.leader,
            cause: GhostCause::NeverReplicated,
            at_ms: acked_at[&tp],
            first_offset: first,
            last_offset: last,
            acknowledged_lost: records.len(),
            label: format!("lost after ack: {}", range(first, last)),
            records,
        });
    }
    out
}
