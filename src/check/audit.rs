//! The write audit: every send's outcome, and which acknowledged writes are lost.
//!
//! An acknowledged write is *lost* when the partition's current leader (or, with
//! no leader, every replica) no longer holds it at its offset — the situation
//! `acks=1`, unclean elections and the legacy truncation rule can produce.

use crate::client::producer::{SendOutcome, SendRecord};
use crate::ids::{BrokerId, TopicPartition, NO_LEADER};
use crate::lean::CollectBTree;
use crate::log::PartitionLog;
use crate::sim::Sim;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostWrite {
    pub write_id: u64,
    pub topic: String,
    pub partition: u32,
    /// -1 for acks=0 (offset never known).
    pub offset: i64,
    pub key: Option<String>,
    pub value: Option<String>,
    pub acked_at_ms: i64,
    /// What is at that offset now.
    pub now_at_offset: String,
}

/// Does `log` still hold the write? Records below the log start offset were deleted by
/// retention (a policy, not a loss), so they count as held.
fn holds(log: &PartitionLog, offset: i64, write_id: u64) -> bool {
    if offset >= 0 && offset < log.log_start_offset() {
        return true;
    }
    if offset < 0 && log.log_start_offset() > 0 && !log.records().iter().any(|r| r.write_id == write_id) {
        return true; // acks=0: offset unknown, and retention has deleted old records
    }
    if offset >= 0 {
        log.record_at(offset).is_some_and(|r| r.write_id == write_id)
    } else {
        log.records().iter().any(|r| r.write_id == write_id)
    }
}

/// The log of `broker` for `tp`, whether the broker runs or not (its disk).
pub fn replica_log<'a>(sim: &'a Sim, broker: BrokerId, tp: &TopicPartition) -> Option<&'a PartitionLog> {
    sim.brokers.get(&broker).and_then(|s| s.disk().logs.get(tp))
}

/// Acknowledged writes that are no longer where they were acknowledged.
pub fn lost_acknowledged_writes(sim: &Sim) -> Vec<LostWrite> {
    lost_acknowledged_writes_from(sim, 0)
}

/// The same, looking only at writes with an id ≥ `from_write_id`.
pub fn lost_acknowledged_writes_from(sim: &Sim, from_write_id: u64) -> Vec<LostWrite> {
    lost_among(sim, sim.producer.sends.range(from_write_id..).map(|(_, s)| s))
}

/// The same, looking only at these writes (ids that are no longer kept are skipped).
pub fn lost_acknowledged_writes_among(sim: &Sim, ids: &[u64]) -> Vec<LostWrite> {
    lost_among(sim, ids.iter().filter_map(|id| sim.producer.sends.get(id)))
}

/// Which acknowledged writes an incremental audit must look at. Kafka's promise is that an
/// acknowledged write stays at its offset on the leader; a write can only go missing after a
/// metadata change (an election, an ISR change), a truncation or a crash/restart — the
/// *disruption key*. After a disruption every write is looked at again; otherwise only the writes
/// sent since the last look and those that were pending then and are final now (kept in a set,
/// so one write that stays pending for minutes never makes the audit re-walk the writes after it).
#[derive(Debug, Default, Clone)]
pub struct AuditCursor {
    key: Option<DisruptionKey>,
    /// The first write id never looked at.
    next_id: u64,
    /// Writes looked at while pending (their outcome may still change).
    pending: BTreeSet<u64>,
}

/// What can make an acknowledged write disappear, or change where the audit looks for it: the
/// controller's log, the brokers' truncations, commands (crashes, restarts, …) and every
/// broker's status — a leader elected while it was paused starts acting (and the audit starts
/// reading its log instead of every replica's) when it resumes, with no command and no new
/// metadata at that moment.
pub fn disruption_key(sim: &Sim) -> DisruptionKey {
    let truncations: u64 = sim.brokers.values().map(|s| s.disk().logs.values().map(|l| l.truncations).sum::<u64>()).sum();
    // Base 31 over up to 12 brokers (7 statuses) stays below 2^64: no two status lists collide
    // (a larger cluster could, in theory, and would only skip one recount).
    let statuses = sim.brokers.values().fold(0u64, |h, s| h.wrapping_mul(31).wrapping_add(s.status() as u64 + 1));
    (sim.controller.log.len(), truncations, sim.disruptions, statuses)
}

/// See [`disruption_key`].
pub type DisruptionKey = (usize, u64, u64, u64);

impl AuditCursor {
    /// (whether every write is looked at again — a disruption, or `full` —, the writes to look
    /// at now, in id order).
    pub fn advance(&mut self, sim: &Sim, full: bool) -> (bool, Vec<u64>) {
        let key = disruption_key(sim);
        let disrupted = full || self.key != Some(key);
        self.key = Some(key);
        if disrupted {
            self.next_id = 0;
            self.pending.clear();
        }
        let sends = &sim.producer.sends;
        let mut ids = vec![];
        self.pending.retain(|id| match sends.get(id) {
            Some(s) if s.outcome == SendOutcome::Pending => true,
            Some(_) => {
                ids.push(*id);
                false
            }
            None => false, // retired: it was final, and its record is judged by the logs alone
        });
        for (&id, s) in sends.range(self.next_id..) {
            if s.outcome == SendOutcome::Pending {
                self.pending.insert(id);
            } else {
                ids.push(id);
            }
            self.next_id = id + 1;
        }
        (disrupted, ids)
    }
}

/// The partitions the log cleaner may have compacted: a replica's log has `cleanup.policy`
/// compact now, or was cleaned before (a policy changed back to delete keeps what was cleaned).
fn compacted_partitions(sim: &Sim) -> BTreeSet<TopicPartition> {
    sim.controller
        .partitions
        .iter()
        .filter(|(tp, st)| {
            st.replicas.iter().any(|&b| replica_log(sim, b, tp).is_some_and(|l| l.config.cleanup_compact || l.cleaner_checkpoint > 0))
        })
        .map(|(tp, _)| *tp)
        .collect_set()
}

fn lost_among<'a>(sim: &'a Sim, sends: impl Iterator<Item = &'a SendRecord>) -> Vec<LostWrite> {
    let mut lost = vec![];
    // Compaction: in a compacted partition a value superseded by a later acknowledged write of the
    // same key (a new value or a tombstone) may legitimately disappear, and so may a tombstone
    // (`delete.retention.ms` after its first cleaning). Only there: `__consumer_offsets` being
    // compacted says nothing about the user's topics.
    let compacted = compacted_partitions(sim);
    // The acknowledged writes to judge, with their partition and whether compaction may have removed them.
    let judged: Vec<(&SendRecord, i64, i64, TopicPartition, bool)> = sends
        .filter_map(|s| match (&s.outcome, s.partition) {
            (&SendOutcome::Acked { offset, at_ms }, Some(p)) => {
                let tp = TopicPartition::new(&s.topic, p);
                Some((s, offset, at_ms, tp, compacted.contains(&tp)))
            }
            _ => None,
        })
        .collect();
    // The latest acknowledged offset of each key, in the compacted partitions only and only when a keyed write
    // there is judged: it reads every send (`__consumer_offsets`, compacted whenever a consumer group runs,
    // never asks for it, and a long run's audit stays incremental).
    let mut latest_by_key: std::collections::BTreeMap<(TopicPartition, &str), i64> = std::collections::BTreeMap::new();
    if judged.iter().any(|j| j.4 && j.0.key.is_some()) {
        let mut topics: Vec<&str> = compacted.iter().map(|tp| &*tp.topic).collect();
        topics.dedup(); // in partition order: a topic's partitions are together
        for s in sim.producer.sends.values() {
            if let (SendOutcome::Acked { offset, .. }, Some(p), Some(k)) = (&s.outcome, s.partition, s.key.as_deref()) {
                if !topics.contains(&s.topic.as_str()) {
                    continue;
                }
                let tp = TopicPartition::new(&s.topic, p);
                if compacted.contains(&tp) {
                    let e = latest_by_key.entry((tp, k)).or_insert(*offset);
                    *e = (*e).max(*offset);
                }
            }
        }
    }
    for (s, offset, at_ms, tp, in_compacted) in judged {
        if in_compacted {
            if s.value.is_none() {
                continue; // a tombstone: the cleaner removes it delete.retention.ms after first cleaning it
            }
            if s.key.as_deref().is_some_and(|k| latest_by_key.get(&(tp, k)).is_some_and(|&latest| latest > offset)) {
                continue; // superseded: compaction may remove it
            }
        }
        let Some(state) = sim.controller.partitions.get(&tp) else { continue };
        // A leader that restarted and has not registered again (its previous incarnation is
        // still the leader until the controller fences it) serves nothing: its freshly
        // recovered log says nothing about what the cluster holds.
        let leader_running = state.leader != NO_LEADER
            && sim
                .brokers
                .get(&state.leader)
                .is_some_and(|b| matches!(b.status(), crate::sim::NodeStatus::Online | crate::sim::NodeStatus::ControlledShutdown));
        let present = if leader_running {
            replica_log(sim, state.leader, &tp).is_some_and(|l| holds(l, offset, s.write_id))
        } else {
            // No running leader (offline, or the leader died and is not yet fenced):
            // lost only if no replica holds it any more (else merely unavailable).
            state.replicas.iter().any(|&b| replica_log(sim, b, &tp).is_some_and(|l| holds(l, offset, s.write_id)))
        };
        if !present {
            let now_at = if leader_running && offset >= 0 {
                match replica_log(sim, state.leader, &tp).and_then(|l| l.record_at(offset)) {
                    Some(r) => format!("offset {offset} now holds {:?} (epoch {})", r.value.as_deref().unwrap_or("null"), r.leader_epoch),
                    None => format!("offset {offset} no longer exists on leader {}", state.leader),
                }
            } else {
                "no replica holds it".to_string()
            };
            lost.push(LostWrite {
                write_id: s.write_id,
                topic: s.topic.to_string(),
                partition: tp.partition,
                offset,
                key: s.key.as_deref().map(String::from),
                value: s.value.as_deref().map(String::from),
                acked_at_ms: at_ms,
                now_at_offset: now_at,
            });
        }
    }
    lost
}

/// Counts lost acknowledged writes incrementally (an [`AuditCursor`]): a full recount only
/// after something that can lose writes; otherwise each write is looked at once it is final,
/// and the writes counted lost are looked at again (in a compacted partition a later write of the
/// same key makes a lost one superseded, which compaction may remove: no longer counted).
#[derive(Debug, Default, Clone)]
pub struct LostCounter {
    cursor: AuditCursor,
    lost: Vec<u64>,
}

impl LostCounter {
    pub fn count(&mut self, sim: &Sim) -> usize {
        let (disrupted, ids) = self.cursor.advance(sim, false);
        if disrupted {
            self.lost.clear();
        }
        if !self.lost.is_empty() {
            self.lost = lost_acknowledged_writes_among(sim, &self.lost).into_iter().map(|w| w.write_id).collect();
        }
        self.lost.extend(lost_acknowledged_writes_among(sim, &ids).into_iter().map(|w| w.write_id));
        self.lost.len()
    }
}
