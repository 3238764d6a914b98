//! The client audit of Kafka's system tests (`VerifiableProducer` / `VerifiableConsumer`): what
//! was acknowledged, failed and lost, and what the partition logs and the consumers show
//! (duplicates, reordered keys, records consumed twice, records consumed then truncated).
//!
//! [`client_audit`] reads the whole run; [`ClientAuditor`] gives the same answer by reading only
//! what changed since its last call (the page asks once a second, and a full read of a long run
//! costs the engine a tenth of its time). Its test compares the two after every step.

use crate::ids::{BrokerId, TopicPartition, NO_LEADER};
use crate::log::PartitionLog;
use crate::sim::Sim;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The per-run audit: what was acknowledged, failed and lost, and what the logs and consumers show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientAudit {
    pub acknowledged: usize,
    pub failed: usize,
    pub lost_after_acknowledgement: usize,
    /// Extra copies of a send in the partition logs (retries without idempotence).
    pub duplicated: usize,
    /// Keys whose records sit in the log in a different order than they were sent.
    pub out_of_order_keys: usize,
    /// Records consumers received more than once (redelivery after a rebalance or crash).
    pub consumed_more_than_once: usize,
    /// Records a consumer or reader received that the log no longer holds at that offset
    /// (truncated by an unclean election or the legacy truncation rule).
    pub consumed_then_truncated: usize,
}

/// The broker whose log the audit reads for `tp`: the running leader's, else the longest replica's.
fn audit_source(sim: &Sim, tp: &TopicPartition) -> Option<BrokerId> {
    let state = sim.controller.partitions.get(tp)?;
    if state.leader != NO_LEADER && sim.brokers.get(&state.leader).is_some_and(|b| b.process.is_some()) {
        return crate::check::audit::replica_log(sim, state.leader, tp).map(|_| state.leader);
    }
    let mut best: Option<(BrokerId, i64)> = None;
    for &b in &state.replicas {
        if let Some(l) = crate::check::audit::replica_log(sim, b, tp) {
            // The last of the longest, as `max_by_key` picks.
            if best.is_none_or(|(_, end)| l.log_end_offset() >= end) {
                best = Some((b, l.log_end_offset()));
            }
        }
    }
    best.map(|(b, _)| b)
}

/// The log the audit reads for `tp` (see [`audit_source`]).
fn audit_log<'a>(sim: &'a Sim, tp: &TopicPartition) -> Option<&'a PartitionLog> {
    audit_source(sim, tp).and_then(|b| crate::check::audit::replica_log(sim, b, tp))
}

/// Whether a record read at `offset` (`write_id`) is no longer in the partition's log: past its
/// end (truncated) or replaced by another record. Below the log start (retention) or missing
/// inside the log (compacted away) is not.
fn gone(sim: &Sim, tp: &TopicPartition, offset: i64, write_id: u64) -> bool {
    match audit_log(sim, tp) {
        None => false,
        Some(l) if offset < l.log_start_offset() => false,
        Some(l) => match l.record_at(offset) {
            Some(r) => r.write_id != write_id,
            None => offset >= l.log_end_offset(),
        },
    }
}

/// The audit of the whole run, read from scratch.
pub fn client_audit(sim: &Sim) -> ClientAudit {
    let mut a = ClientAudit {
        acknowledged: sim.producer.acked_count,
        failed: sim.producer.failed_count,
        lost_after_acknowledgement: crate::check::audit::lost_acknowledged_writes(sim).len(),
        ..Default::default()
    };
    for tp in sim.controller.partitions.keys() {
        if tp.topic == crate::broker::group_coordinator::OFFSETS_TOPIC {
            continue;
        }
        let Some(log) = audit_log(sim, tp) else { continue };
        let mut walk = LogWalk::default();
        walk.read(log, 0);
        a.duplicated += walk.duplicated;
        a.out_of_order_keys += walk.bad_keys.len();
    }
    let mut consumed: BTreeSet<u64> = BTreeSet::new();
    for c in sim.consumers.values() {
        for r in &c.consumed {
            if !consumed.insert(r.write_id) {
                a.consumed_more_than_once += 1;
            }
        }
    }
    for c in sim.consumers.values() {
        a.consumed_then_truncated += c.consumed.iter().filter(|r| gone(sim, &r.tp, r.offset, r.write_id)).count();
    }
    for rd in sim.readers.values() {
        a.consumed_then_truncated += rd.seen.iter().filter(|r| gone(sim, &rd.tp, r.offset, r.write_id)).count();
    }
    a
}

/// What the audit read of one partition's log, in offset order: the write ids met, each key's
/// largest write id so far, the keys met out of order, the extra copies.
#[derive(Debug, Clone, Default)]
struct LogWalk {
    /// The log read: its broker, its `truncations` (any change but an append at the end or a
    /// deletion at the front moves it) and its first record's offset.
    source: Option<(BrokerId, u64, Option<i64>)>,
    /// The next offset to read (the log end offset when last read).
    next_offset: i64,
    seen: BTreeSet<u64>,
    /// Each key's largest write id so far (`i64`: the map type the log cleaner's offset map
    /// already is, one copy of the code in the module).
    last_by_key: BTreeMap<Rc<str>, i64>,
    /// The keys met out of order, with the first write id met out of order.
    bad_keys: BTreeMap<Rc<str>, i64>,
    duplicated: usize,
}

impl LogWalk {
    /// Reads `log`'s records from `from` on, as the full audit does.
    fn read(&mut self, log: &PartitionLog, from: i64) {
        let records = log.records();
        for r in records.range(log.position(from)..records.len()) {
            self.next_offset = r.offset + 1;
            if r.write_id == 0 {
                continue;
            }
            if !self.seen.insert(r.write_id) {
                self.duplicated += 1;
                continue;
            }
            if let Some(k) = &r.key {
                // A single producer sends in write-id order: a smaller id after a larger one is a reordering.
                let id = r.write_id as i64;
                match self.last_by_key.get_mut(k) {
                    Some(prev) if *prev > id => {
                        self.bad_keys.entry(k.clone()).or_insert(id);
                    }
                    Some(prev) => *prev = id,
                    None => {
                        self.last_by_key.insert(k.clone(), id);
                    }
                }
            }
        }
        self.next_offset = self.next_offset.max(log.log_end_offset()).max(from);
    }
}

/// What a consumer or reader received that the audit has judged: how many (counted from the
/// first ever received) and which of them are gone from the log now (ascending).
#[derive(Debug, Clone, Default)]
struct ReadTrack {
    id: u32,
    judged: usize,
    gone: Vec<usize>,
    /// How many of a consumer's records are in [`ClientAuditor::consumed`].
    counted: usize,
}

/// The tracks of `ids` (consumers or readers: never removed, ids only grow, so a track keeps its
/// place), or new ones if they no longer line up (then returns true).
fn tracks_for(tracks: &mut Vec<ReadTrack>, ids: impl Iterator<Item = u32>) -> bool {
    let ids: Vec<u32> = ids.collect();
    let reset = tracks.len() > ids.len() || tracks.iter().zip(&ids).any(|(t, id)| t.id != *id);
    if reset {
        tracks.clear();
    }
    for &id in &ids[tracks.len()..] {
        tracks.push(ReadTrack { id, ..Default::default() });
    }
    reset
}

/// [`client_audit`], incrementally: each call reads the records appended since the last one and
/// the records received since; a partition whose log changed otherwise (a truncation, a
/// compaction, retention at its front, another replica read) is read again, and after such a
/// change every received record is judged again. Time travel starts a new one.
#[derive(Debug, Clone, Default)]
pub struct ClientAuditor {
    /// In partition order.
    logs: Vec<(TopicPartition, LogWalk)>,
    /// The write ids consumers received, and how many were received again.
    consumed: BTreeSet<u64>,
    consumed_more_than_once: usize,
    consumers: Vec<ReadTrack>,
    readers: Vec<ReadTrack>,
}

impl ClientAuditor {
    /// The audit now; `lost` is the incremental count of lost acknowledged writes the page
    /// already keeps ([`crate::check::audit::LostCounter`]), so that both say the same.
    pub fn audit(&mut self, sim: &Sim, lost: usize) -> ClientAudit {
        let mut a = ClientAudit {
            acknowledged: sim.producer.acked_count,
            failed: sim.producer.failed_count,
            lost_after_acknowledgement: lost,
            ..Default::default()
        };
        // The logs: appended records only, unless a log changed otherwise.
        let mut rejudge = false;
        let mut old = std::mem::take(&mut self.logs).into_iter().peekable();
        for tp in sim.controller.partitions.keys() {
            while old.next_if(|(t, _)| t < tp).is_some() {
                rejudge = true; // a partition went away
            }
            let mut walk = old.next_if(|(t, _)| t == tp).map(|(_, w)| w).unwrap_or_default();
            if tp.topic != crate::broker::group_coordinator::OFFSETS_TOPIC {
                let log = audit_source(sim, tp).and_then(|b| crate::check::audit::replica_log(sim, b, tp).map(|l| (b, l)));
                let source = log.map(|(b, l)| (b, l.truncations, l.records().first().map(|r| r.offset)));
                if source != walk.source {
                    rejudge = true;
                    walk = LogWalk { source, ..Default::default() };
                    if let Some((_, l)) = log {
                        walk.read(l, 0);
                    }
                } else if let Some((_, l)) = log {
                    walk.read(l, walk.next_offset);
                }
                a.duplicated += walk.duplicated;
                a.out_of_order_keys += walk.bad_keys.len();
            }
            self.logs.push((*tp, walk));
        }
        rejudge |= old.next().is_some();
        // Records consumed twice: consumers are never removed and only append to what they consumed.
        if tracks_for(&mut self.consumers, sim.consumers.keys().copied()) {
            self.consumed.clear();
            self.consumed_more_than_once = 0;
        }
        for (t, c) in self.consumers.iter_mut().zip(sim.consumers.values()) {
            for r in &c.consumed[t.counted.min(c.consumed.len())..] {
                if !self.consumed.insert(r.write_id) {
                    self.consumed_more_than_once += 1;
                }
            }
            t.counted = c.consumed.len();
        }
        a.consumed_more_than_once = self.consumed_more_than_once;
        // Records received then truncated. With only appends to the logs, a record judged present
        // stays so (its offset below the end keeps its record; retention makes it "not gone"),
        // while one judged gone may come back (a retry of the same write at that offset).
        for (t, c) in self.consumers.iter_mut().zip(sim.consumers.values()) {
            if rejudge {
                (t.judged, t.gone) = (0, vec![]);
            }
            t.gone.retain(|&i| gone(sim, &c.consumed[i].tp, c.consumed[i].offset, c.consumed[i].write_id));
            for (i, r) in c.consumed.iter().enumerate().skip(t.judged) {
                if gone(sim, &r.tp, r.offset, r.write_id) {
                    t.gone.push(i);
                }
            }
            t.judged = c.consumed.len();
            a.consumed_then_truncated += t.gone.len();
        }
        tracks_for(&mut self.readers, sim.readers.keys().copied());
        for (t, rd) in self.readers.iter_mut().zip(sim.readers.values()) {
            if rejudge {
                (t.judged, t.gone) = (0, vec![]);
            }
            // `seen[i]` is the record read `seen_dropped + i`-th; the dropped ones are not audited.
            let first = rd.seen_dropped;
            t.gone.retain(|&i| i >= first && gone(sim, &rd.tp, rd.seen[i - first].offset, rd.seen[i - first].write_id));
            for (i, r) in rd.seen.iter().enumerate().skip(t.judged.saturating_sub(first)) {
                if gone(sim, &rd.tp, r.offset, r.write_id) {
                    t.gone.push(first + i);
                }
            }
            t.judged = first + rd.seen.len();
            a.consumed_then_truncated += t.gone.len();
        }
        a
    }
}
