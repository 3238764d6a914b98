//! Named invariants, evaluated on the whole simulated cluster. Tests call
//! [`Checker::check`] after every step (or every few steps for the costly ones);
//! a violation says what broke, in words.
//!
//! * `HighWatermarkAboveLogEnd` — a replica's HW is above its LEO.
//! * `LeaderNotInIsr` — the controller's leader is not in the ISR.
//! * `IsrNotSubsetOfReplicas` — the ISR names a broker that is not a replica.
//! * `TwoLeadersInOneEpoch` — two brokers led the same partition in the same leader epoch.
//! * `LeaderHighWatermarkDecreased` — a leader's HW went down within one leader epoch.
//! * `LogsDisagreeBelowHighWatermark` — two replicas hold different records below both HWs (LogMatching).
//! * `AcknowledgedWriteLost` — an acknowledged write is gone (audit).
//! * `ConsumerSawReplacedRecord` — a reader saw a record that the leader no longer has at that offset.

use crate::audit::{lost_acknowledged_writes, replica_log};
use crate::ids::{BrokerId, TopicPartition, NO_LEADER};
use crate::sim::Sim;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub invariant: &'static str,
    pub time_ms: i64,
    pub message: String,
}

/// Why acknowledged writes of `tp` were lost, in words.
fn loss_reason(sim: &Sim, tp: &str, lost: &[crate::audit::LostWrite]) -> &'static str {
    use crate::config::Acks;
    let unclean = sim.controller.unclean_partitions.iter().any(|p| p.to_string() == tp);
    let weak_acks = lost
        .iter()
        .filter(|l| format!("{}-{}", l.topic, l.partition) == tp)
        .any(|l| sim.producer.sends.get(&l.write_id).is_some_and(|s| s.acks != Acks::All));
    if unclean {
        "an out-of-sync replica was elected (unclean leader election)"
    } else if sim.brokers.values().any(|b| b.config.legacy_hw_truncation) {
        "a follower truncated to its high watermark (legacy pre-KIP-101 rule) and then became leader"
    } else if weak_acks {
        "they were acknowledged with acks=0/1 before any follower had them, then the leader failed"
    } else {
        "every replica that held them lost them (unflushed page cache lost in a power failure, or truncation)"
    }
}

#[derive(Debug, Default, Clone)]
pub struct Checker {
    pub violations: Vec<Violation>,
    reported: BTreeSet<(&'static str, String)>,
    leaders_by_epoch: BTreeMap<(TopicPartition, i32), BrokerId>,
    leader_hw: BTreeMap<(TopicPartition, BrokerId, i32), i64>,
}

impl Checker {
    fn report(&mut self, invariant: &'static str, key: String, time_ms: i64, message: String) {
        if self.reported.insert((invariant, key)) {
            self.violations.push(Violation { invariant, time_ms, message });
        }
    }

    /// Cheap invariants (every step).
    pub fn check_fast(&mut self, sim: &Sim) {
        let now = sim.now_ms();
        for (tp, st) in &sim.controller.partitions {
            if st.leader != NO_LEADER && !st.isr.contains(&st.leader) {
                self.report(
                    "LeaderNotInIsr",
                    format!("{tp}@{}", st.leader_epoch),
                    now,
                    format!("leader {} of {tp} is not in its ISR [{}]", st.leader, crate::controller::join(&st.isr)),
                );
            }
            if let Some(b) = st.isr.iter().find(|b| !st.replicas.contains(b)) {
                self.report(
                    "IsrNotSubsetOfReplicas",
                    format!("{tp}"),
                    now,
                    format!("ISR of {tp} names broker {b}, which is not a replica"),
                );
            }
            if st.leader != NO_LEADER {
                let prev = *self.leaders_by_epoch.entry((tp.clone(), st.leader_epoch)).or_insert(st.leader);
                if prev != st.leader {
                    self.report(
                        "TwoLeadersInOneEpoch",
                        format!("{tp}@{}", st.leader_epoch),
                        now,
                        format!("{tp} had leaders {prev} and {} in the same leader epoch {}", st.leader, st.leader_epoch),
                    );
                }
            }
        }
        for (b, slot) in &sim.brokers {
            let Some(p) = &slot.process else { continue };
            for (tp, part) in &p.partitions {
                let Some(log) = p.disk.logs.get(tp) else { continue };
                if log.high_watermark() > log.log_end_offset() {
                    self.report(
                        "HighWatermarkAboveLogEnd",
                        format!("{tp}/{b}"),
                        now,
                        format!("broker {b}: HW {} of {tp} is above its LEO {}", log.high_watermark(), log.log_end_offset()),
                    );
                }
                if part.is_leader() {
                    let prev = *self.leaders_by_epoch.entry((tp.clone(), part.leader_epoch)).or_insert(*b);
                    if prev != *b {
                        self.report(
                            "TwoLeadersInOneEpoch",
                            format!("{tp}@{}", part.leader_epoch),
                            now,
                            format!("brokers {prev} and {b} both led {tp} in leader epoch {}", part.leader_epoch),
                        );
                    }
                    let key = (tp.clone(), *b, part.leader_epoch);
                    let hw = log.high_watermark();
                    if let Some(&last) = self.leader_hw.get(&key) {
                        if hw < last {
                            self.report(
                                "LeaderHighWatermarkDecreased",
                                format!("{tp}/{b}/{}", part.leader_epoch),
                                now,
                                format!("leader {b} of {tp} lowered its HW from {last} to {hw} in epoch {}", part.leader_epoch),
                            );
                        }
                    }
                    self.leader_hw.insert(key, hw);
                }
            }
        }
    }

    /// Costly invariants: log agreement, lost writes, consumer-visible records.
    pub fn check_slow(&mut self, sim: &Sim) {
        let now = sim.now_ms();
        for (tp, st) in &sim.controller.partitions {
            // LogMatching over every pair of replicas that are running.
            let live: Vec<(BrokerId, &crate::log::PartitionLog)> = st
                .replicas
                .iter()
                .filter(|b| sim.brokers.get(b).is_some_and(|s| s.process.is_some()))
                .filter_map(|&b| replica_log(sim, b, tp).map(|l| (b, l)))
                .collect();
            for i in 0..live.len() {
                for j in i + 1..live.len() {
                    let (a, la) = live[i];
                    let (b, lb) = live[j];
                    let upto = la.high_watermark().min(lb.high_watermark());
                    let from = la.log_start_offset().max(lb.log_start_offset());
                    let ra = la.read(from, upto, usize::MAX);
                    let rb = lb.read(from, upto, usize::MAX);
                    if let Some((x, y)) = ra
                        .iter()
                        .zip(rb.iter())
                        .find(|(x, y)| x.offset != y.offset || x.write_id != y.write_id || x.leader_epoch != y.leader_epoch)
                    {
                        self.report("LogsDisagreeBelowHighWatermark", format!("{tp}/{a}/{b}"), now, format!(
                            "brokers {a} and {b} disagree on {tp} below their high watermarks: offset {} holds {:?} (epoch {}) on {a} but {:?} (epoch {}) on {b}",
                            x.offset, x.value.as_deref().unwrap_or("null"), x.leader_epoch, y.value.as_deref().unwrap_or("null"), y.leader_epoch
                        ));
                    }
                }
            }
        }
        let lost = lost_acknowledged_writes(sim);
        if !lost.is_empty() {
            let mut by_tp: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for l in &lost {
                by_tp.entry(format!("{}-{}", l.topic, l.partition)).or_default().push(l.offset);
            }
            for (tp, offs) in by_tp {
                let n = offs.len();
                let lo = offs.iter().min().unwrap();
                let hi = offs.iter().max().unwrap();
                let reason = loss_reason(sim, &tp, &lost);
                self.report(
                    "AcknowledgedWriteLost",
                    tp.clone(),
                    now,
                    format!("{n} acknowledged write(s) lost at offsets {lo}–{hi} of {tp}: {reason}"),
                );
            }
        }
        for r in sim.readers.values() {
            let Some(st) = sim.controller.partitions.get(&r.tp) else { continue };
            if st.leader == NO_LEADER {
                continue;
            }
            let Some(log) = replica_log(sim, st.leader, &r.tp) else { continue };
            if let Some(s) = r.seen.iter().find(|s| log.record_at(s.offset).is_none_or(|x| x.write_id != s.write_id)) {
                self.report(
                    "ConsumerSawReplacedRecord",
                    format!("{}/{}", r.tp, s.offset),
                    now,
                    format!(
                        "reader-{} saw offset {} of {} (epoch {}), which the leader no longer holds",
                        r.id, s.offset, r.tp, s.leader_epoch
                    ),
                );
            }
        }
    }

    pub fn check(&mut self, sim: &Sim) {
        self.check_fast(sim);
        self.check_slow(sim);
    }

    pub fn names(&self) -> BTreeSet<&'static str> {
        self.violations.iter().map(|v| v.invariant).collect()
    }
}
