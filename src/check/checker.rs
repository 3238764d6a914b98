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
//! * `LeaderLacksCommittedRecord` — the leader does not hold a record that a leader before it
//!   had committed (below its HW): LeaderCompleteness in Raft's and Kafka's TLA+ specifications.
//! * `IsrMemberDisagreesBelowHighWatermark` — an ISR member's log differs from its leader's
//!   below the leader's HW, or ends before it (StrongIsr in Kafka's TLA+ specification).
//! * `AcknowledgedWriteLost` — an acknowledged write is gone (audit).
//! * `ConsumerSawReplacedRecord` — a reader saw a record that the acting leader (running, in the
//!   controller's epoch) no longer has at that offset.
//! * `TwoControllersInOneEpoch` — two controller voters led the KRaft quorum (were the
//!   active controller) in the same controller epoch (Raft's election safety).

use crate::check::audit::replica_log;
use crate::ids::{BrokerId, TopicPartition, NO_LEADER};
use crate::sim::Sim;
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Every invariant the checker holds the run to. Its name (`as_str`, and how it serializes) is what
/// violations, reports, scenario `expect` blocks and the page show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Invariant {
    HighWatermarkAboveLogEnd,
    LeaderNotInIsr,
    IsrNotSubsetOfReplicas,
    TwoLeadersInOneEpoch,
    LeaderHighWatermarkDecreased,
    LogsDisagreeBelowHighWatermark,
    LeaderLacksCommittedRecord,
    IsrMemberDisagreesBelowHighWatermark,
    AcknowledgedWriteLost,
    ConsumerSawReplacedRecord,
    TwoControllersInOneEpoch,
}

impl Invariant {
    /// Every invariant, in the order the README lists them.
    pub const ALL: [Invariant; 11] = [
        Invariant::HighWatermarkAboveLogEnd,
        Invariant::LeaderNotInIsr,
        Invariant::IsrNotSubsetOfReplicas,
        Invariant::TwoLeadersInOneEpoch,
        Invariant::LeaderHighWatermarkDecreased,
        Invariant::LogsDisagreeBelowHighWatermark,
        Invariant::LeaderLacksCommittedRecord,
        Invariant::IsrMemberDisagreesBelowHighWatermark,
        Invariant::AcknowledgedWriteLost,
        Invariant::ConsumerSawReplacedRecord,
        Invariant::TwoControllersInOneEpoch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Invariant::HighWatermarkAboveLogEnd => "HighWatermarkAboveLogEnd",
            Invariant::LeaderNotInIsr => "LeaderNotInIsr",
            Invariant::IsrNotSubsetOfReplicas => "IsrNotSubsetOfReplicas",
            Invariant::TwoLeadersInOneEpoch => "TwoLeadersInOneEpoch",
            Invariant::LeaderHighWatermarkDecreased => "LeaderHighWatermarkDecreased",
            Invariant::LogsDisagreeBelowHighWatermark => "LogsDisagreeBelowHighWatermark",
            Invariant::LeaderLacksCommittedRecord => "LeaderLacksCommittedRecord",
            Invariant::IsrMemberDisagreesBelowHighWatermark => "IsrMemberDisagreesBelowHighWatermark",
            Invariant::AcknowledgedWriteLost => "AcknowledgedWriteLost",
            Invariant::ConsumerSawReplacedRecord => "ConsumerSawReplacedRecord",
            Invariant::TwoControllersInOneEpoch => "TwoControllersInOneEpoch",
        }
    }

    /// The invariant of that name (as `as_str` spells it), if any.
    pub fn from_name(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.as_str() == name)
    }
}

impl std::fmt::Display for Invariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub invariant: Invariant,
    pub time_ms: i64,
    pub message: String,
}

/// Why acknowledged writes of `tp` were lost, in words.
fn loss_reason(sim: &Sim, tp: &str, lost: &[crate::check::audit::LostWrite]) -> &'static str {
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

/// `AcknowledgedWriteLost` for each partition with lost writes, keyed by partition: the
/// checker's words, also used by the page's verdict (`Playground::invariants`) when the audit
/// sees a loss before the checker's next slow pass.
pub fn lost_write_violations(sim: &Sim, lost: &[crate::check::audit::LostWrite], now: i64) -> Vec<(String, Violation)> {
    let mut by_tp: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for l in lost {
        by_tp.entry(format!("{}-{}", l.topic, l.partition)).or_default().push(l.offset);
    }
    by_tp
        .into_iter()
        .map(|(tp, offs)| {
            let n = offs.len();
            let lo = offs.iter().min().unwrap();
            let hi = offs.iter().max().unwrap();
            let reason = loss_reason(sim, &tp, lost);
            let message = format!("{n} acknowledged write(s) lost at offsets {lo}–{hi} of {tp}: {reason}");
            (tp, Violation { invariant: Invariant::AcknowledgedWriteLost, time_ms: now, message })
        })
        .collect()
}

#[derive(Debug, Default, Clone)]
pub struct Checker {
    pub violations: Vec<Violation>,
    reported: BTreeSet<(Invariant, String)>,
    /// Leader of each (partition, leader epoch) seen so far.
    leaders_by_epoch: BTreeMap<TopicPartition, BTreeMap<i32, BrokerId>>,
    /// Last HW seen on each (partition, leader, epoch), by the partition's slot (`slots`).
    leader_hw: Vec<Option<(BrokerId, i32, i64)>>,
    /// By slot: the (leader epoch, leader) a leader's own check last noted in `leaders_by_epoch`
    /// without a conflict. The same again needs no lookup: the map holds it already.
    leader_noted: Vec<Option<(i32, BrokerId)>>,
    /// What the fast invariants last saw of each running broker's replicas, in partition
    /// order (`ReplicaLook`; rebuilt at every look at the broker, so a partition it lost or a
    /// crash leaves nothing behind): a replica whose state did not change since is not looked
    /// at again, and a follower reads its leader's HW here instead of through the sim's maps.
    replicas_seen: VecMap<BrokerId, Vec<ReplicaLook>>,
    /// How many times `leader_hw` named another (leader, epoch) for a partition: while it
    /// stays what a leader's last check stamped, the HW remembered for its partition is its own.
    leader_hw_changes: u64,
    /// A counter: every change a follower's StrongIsr check could see (below) takes the next
    /// value, and a follower's check remembers the value it ran at.
    fast_clock: u64,
    /// Per partition (`ReplicaLook::slot`): `fast_clock` when a replica of it that leads or led
    /// last changed what a follower's check reads of its leader (HW, leader epoch, leadership),
    /// or left its broker's list.
    leader_changed_at: Vec<u64>,
    /// The partitions' slots in `leader_changed_at`, given at a replica's first look.
    slots: BTreeMap<TopicPartition, u32>,
    /// `fast_clock` when the controller's decisions (`controller_log_seen`) or the set of
    /// running brokers (`running_seen`) last changed.
    inputs_changed_at: u64,
    running_seen: Vec<(BrokerId, bool)>,
    /// By slot: what a follower's StrongIsr check reads of the controller's decision for its
    /// partition, taken at the first check after `inputs_changed_at` last moved (the decisions
    /// and the running brokers change only then): no map lookups per follower looked at.
    decided: Vec<Option<Decided>>,
    /// `sim.controller_history.len()` at the last look (a failover replaces the controller's state).
    controller_changes_seen: usize,
    /// The last look's list of a broker, kept to build the next one in (no allocation per event).
    spare_looks: Vec<ReplicaLook>,
    /// The partitions a broker marked, sorted (kept to reuse its allocation).
    spare_tps: Vec<TopicPartition>,
    /// `sim.events_processed` when the fast invariants last ran: an event they did not see
    /// (a run with the checker off, then on) makes the next look cover every broker.
    fast_checked_through: Option<u64>,
    controller_log_seen: usize,
    /// LogMatching progress per (partition, broker a, broker b): verified below `offset`
    /// while both logs had these truncation counts.
    verified: BTreeMap<(TopicPartition, BrokerId, BrokerId), (i64, u64, u64)>,
    /// Which writes the lost-write audit looks at next.
    audit: crate::check::audit::AuditCursor,
    audited_seen: BTreeMap<u32, usize>,
    /// LeaderCompleteness: what leaders have committed, per partition.
    committed: Vec<Option<Committed>>,
    /// StrongIsr progress per (partition, leader, follower): verified below `offset` while
    /// both logs had these truncation counts, in this leader epoch.
    strong_verified: BTreeMap<(TopicPartition, BrokerId, BrokerId), StrongIsrProgress>,
}

/// Debug builds: the looks `look_again_at_touched` left are what a walk over every replica of
/// the broker finds (a mutable access that forgot its mark in `broker/touched.rs` fails here).
fn verify_touched(b: BrokerId, p: &crate::broker::Broker, looks: &[ReplicaLook]) {
    let walked: Vec<(TopicPartition, ReplicaSeen)> = p
        .partitions
        .iter()
        .filter_map(|(tp, part)| {
            let log = p.disk.logs.get(tp)?;
            let seen = ReplicaSeen::of(part, log);
            Some((*tp, seen))
        })
        .collect();
    let kept: Vec<(TopicPartition, ReplicaSeen)> = looks.iter().map(|r| (r.tp, r.seen)).collect();
    assert_eq!(kept, walked, "broker {b}: a change its event did not mark (broker/touched.rs)");
}

/// A replica's state as the fast invariants last saw it. Every input of those invariants that
/// lives on the replica itself: while it is unchanged, they find what they found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ReplicaSeen {
    high_watermark: i64,
    log_end_offset: i64,
    log_start_offset: i64,
    leader_epoch: i32,
    is_leader: bool,
}

impl ReplicaSeen {
    fn of(part: &crate::broker::partition::Partition, log: &crate::log::PartitionLog) -> ReplicaSeen {
        ReplicaSeen {
            high_watermark: log.high_watermark(),
            log_end_offset: log.log_end_offset(),
            log_start_offset: log.log_start_offset(),
            leader_epoch: part.leader_epoch,
            is_leader: part.is_leader(),
        }
    }
}

/// The controller's decision for one partition as a follower's check reads it: `at` is the
/// `Checker::inputs_changed_at` it was read at; `None` when the controller has no such partition.
#[derive(Debug, Clone)]
struct Decided {
    at: u64,
    /// (leader, leader epoch, whether the leader's process runs, ISR).
    partition: Option<(BrokerId, i32, bool, Vec<BrokerId>)>,
}

/// One replica of a broker in `Checker::replicas_seen`.
#[derive(Debug, Clone, Copy)]
struct ReplicaLook {
    tp: TopicPartition,
    seen: ReplicaSeen,
    /// `leader_hw_changes` after this replica's last check as a leader (`u64::MAX`: none yet).
    leader_hw_stamp: u64,
    /// Its partition's slot in `Checker::leader_changed_at`.
    slot: u32,
    /// `Checker::fast_clock` + 1 at this replica's last check as a follower (0: none yet).
    follower_checked_at: u64,
    /// Its state differs from the look before (or there was none).
    changed: bool,
}

/// (leader epoch, verified below this offset, leader's and follower's truncation counts).
type StrongIsrProgress = (i32, i64, u64, u64);

/// Records some leader has exposed as committed (below its HW): offsets `[base, end)` with
/// `(leader_epoch, write_id)`, `None` for a compaction gap. The prefix below the leader's
/// log start offset is dropped (retention deletes it by policy).
#[derive(Debug, Default, Clone)]
struct Committed {
    base: i64,
    /// Shared chunks (`PVec`): a time-travel snapshot of the checker does not copy them.
    ids: crate::pvec::PVec<Option<(i32, u64)>>,
    /// (leader, leader epoch, its log's truncation count) last verified to hold all of it.
    verified: Option<(BrokerId, i32, u64)>,
}

impl Committed {
    fn end(&self) -> i64 {
        self.base + self.ids.len() as i64
    }

    /// The leader raised its HW to `hw`: remember the newly committed records.
    fn extend(&mut self, log: &crate::log::PartitionLog, hw: i64) {
        if self.ids.is_empty() && self.base < log.log_start_offset() {
            self.base = log.log_start_offset();
        }
        let end = self.end();
        if hw <= end {
            return;
        }
        let mut next = end;
        for r in log.records_in(end, hw) {
            while next < r.offset {
                self.ids.push(None);
                next += 1;
            }
            self.ids.push(Some((r.leader_epoch, r.write_id)));
            next += 1;
        }
        while next < hw {
            self.ids.push(None);
            next += 1;
        }
        let gone = (log.log_start_offset() - self.base).clamp(0, self.ids.len() as i64);
        self.ids.drop_front(gone as usize);
        self.base += gone;
    }
}

impl Checker {
    fn report(&mut self, invariant: Invariant, key: String, time_ms: i64, message: String) {
        if self.reported.insert((invariant, key)) {
            self.violations.push(Violation { invariant, time_ms, message });
        }
    }

    fn note_leader(&mut self, tp: &TopicPartition, epoch: i32, broker: BrokerId, now: i64, by_controller: bool) {
        let prev = match self.leaders_by_epoch.get_mut(tp) {
            Some(m) => *m.entry(epoch).or_insert(broker),
            None => {
                self.leaders_by_epoch.entry(*tp).or_default().insert(epoch, broker);
                broker
            }
        };
        if prev != broker {
            let msg = if by_controller {
                format!("{tp} had leaders {prev} and {broker} in the same leader epoch {epoch}")
            } else {
                format!("brokers {prev} and {broker} both led {tp} in leader epoch {epoch}")
            };
            self.report(Invariant::TwoLeadersInOneEpoch, format!("{tp}@{epoch}"), now, msg);
        }
    }

    /// Cheap invariants (every step): the controller's view when its metadata changed,
    /// and the broker that handled the last event (every broker after a command).
    pub fn check_fast(&mut self, sim: &Sim) {
        self.check_fast_nodes(sim, sim.last_node);
        self.check_controller_epochs(sim);
    }

    /// At most one quorum leader (active controller) per controller epoch.
    fn check_controller_epochs(&mut self, sim: &Sim) {
        for (epoch, leaders) in &sim.quorum_leaders {
            if leaders.len() > 1 {
                let names: Vec<String> = leaders.iter().map(|v| v.to_string()).collect();
                self.report(
                    Invariant::TwoControllersInOneEpoch,
                    format!("{epoch}"),
                    sim.now_ms(),
                    format!("controllers {} all led the controller quorum in epoch {epoch}", names.join(" and ")),
                );
            }
        }
    }

    /// `node`: only that node changed (`None`: look at every broker).
    ///
    /// Incremental: a broker's state only changes while it handles an event (or by a command,
    /// after which every broker is looked at), so the replicas of the broker that handled the
    /// event are the only ones whose own state can have moved. Of those, a leader whose state
    /// is what these invariants saw last time (and whose HW is still the one remembered for
    /// its partition) is skipped: every check would find what it found. A follower is skipped
    /// likewise while nothing its check reads has changed since it last ran: its own state,
    /// what its partition's leaders last showed (`leader_changed_at`), the controller's
    /// decisions and which brokers run (`inputs_changed_at`). It reads the leader's state from
    /// what the leader's own last look recorded.
    fn check_fast_nodes(&mut self, sim: &Sim, node: Option<crate::ids::NodeId>) {
        let now = sim.now_ms();
        let failovers = sim.controller_history.len();
        let controller_changed = failovers != self.controller_changes_seen;
        self.controller_changes_seen = failovers;
        if self.check_controller_decisions(sim, now) | controller_changed | self.note_running(sim) {
            self.fast_clock += 1;
            self.inputs_changed_at = self.fast_clock;
        }
        // An event the checker did not see (it was off): look at everything.
        let node = if self.fast_checked_through.is_some_and(|n| n + 1 == sim.events_processed) { node } else { None };
        self.fast_checked_through = Some(sim.events_processed);
        let one;
        let every: Vec<BrokerId>;
        let brokers: &[BrokerId] = match node {
            Some(crate::ids::NodeId::Broker(b)) => {
                one = [b];
                &one
            }
            Some(_) => &[],
            None => {
                every = sim.brokers.keys().copied().collect();
                &every
            }
        };
        // First what every looked-at replica is now (a follower reads its leader's from here,
        // even when the leader is looked at in this same pass), then the checks.
        for &b in brokers {
            // The one broker that handled the event, with the partitions it marked
            // (`broker/touched.rs`): only those are looked at again.
            if let (Some(_), Some(p)) = (node, sim.brokers.get(&b).and_then(|s| s.process.as_ref())) {
                if !p.touched.all && self.replicas_seen.contains_key(&b) {
                    self.look_again_at_touched(b, p);
                    continue;
                }
            }
            let before = self.replicas_seen.get_mut(&b).map(std::mem::take).unwrap_or_default();
            let Some(p) = sim.brokers.get(&b).and_then(|s| s.process.as_ref()) else {
                self.replicas_seen.remove(&b);
                for r in before.iter().filter(|r| r.seen.is_leader) {
                    self.leader_changed(r.slot);
                }
                continue;
            };
            let mut now_seen = std::mem::take(&mut self.spare_looks);
            now_seen.clear();
            // The broker's partitions, its logs and the last look are all in partition order:
            // walk them side by side.
            let mut logs = p.disk.logs.iter().peekable();
            let mut j = 0;
            for (tp, part) in &p.partitions {
                while logs.next_if(|(t, _)| *t < tp).is_some() {}
                let Some((_, log)) = logs.next_if(|(t, _)| *t == tp) else { continue };
                while j < before.len() && before[j].tp < *tp {
                    if before[j].seen.is_leader {
                        self.leader_changed(before[j].slot); // it left this broker's list
                    }
                    j += 1;
                }
                let prev = (j < before.len() && before[j].tp == *tp).then(|| {
                    j += 1;
                    before[j - 1]
                });
                let seen = ReplicaSeen::of(part, log);
                let slot = match prev {
                    Some(r) => {
                        let s = r.seen;
                        let leader_side = (s.high_watermark, s.leader_epoch, s.is_leader);
                        if (s.is_leader || seen.is_leader) && leader_side != (seen.high_watermark, seen.leader_epoch, seen.is_leader) {
                            self.leader_changed(r.slot);
                        }
                        r.slot
                    }
                    None => {
                        let slot = self.slot_of(tp);
                        if seen.is_leader {
                            self.leader_changed(slot);
                        }
                        slot
                    }
                };
                now_seen.push(ReplicaLook {
                    tp: *tp,
                    seen,
                    leader_hw_stamp: prev.map_or(u64::MAX, |r| r.leader_hw_stamp),
                    slot,
                    follower_checked_at: prev.map_or(0, |r| r.follower_checked_at),
                    changed: prev.is_none_or(|r| r.seen != seen),
                });
            }
            for r in &before[j..] {
                if r.seen.is_leader {
                    self.leader_changed(r.slot);
                }
            }
            let mut before = before;
            before.clear();
            self.spare_looks = before;
            self.replicas_seen.insert(b, now_seen);
        }
        let full = node.is_none();
        for &b in brokers {
            let Some(p) = sim.brokers.get(&b).and_then(|s| s.process.as_ref()) else { continue };
            let Some(mut looks) = self.replicas_seen.get_mut(&b).map(std::mem::take) else { continue };
            for r in looks.iter_mut() {
                if r.seen.is_leader {
                    if !r.changed && r.leader_hw_stamp == self.leader_hw_changes {
                        continue;
                    }
                    self.check_high_watermark_below_log_end(&r.tp, b, &r.seen, now);
                    if let Some(log) = p.disk.logs.get(&r.tp) {
                        self.check_leader_high_watermark(&r.tp, r.slot, b, r.seen.leader_epoch, log, now);
                    }
                    r.leader_hw_stamp = self.leader_hw_changes;
                } else {
                    if r.changed {
                        self.check_high_watermark_below_log_end(&r.tp, b, &r.seen, now);
                    }
                    let quiet = r.follower_checked_at > self.inputs_changed_at.max(self.leader_changed_at[r.slot as usize]);
                    if full || r.changed || !quiet {
                        self.check_follower_reaches_leader_high_watermark(sim, &r.tp, r.slot, b, &r.seen, now);
                        r.follower_checked_at = self.fast_clock + 1;
                    }
                }
            }
            if let Some(v) = self.replicas_seen.get_mut(&b) {
                *v = looks;
            }
        }
    }

    /// `check_fast_nodes`' first pass for broker `b` when it marked the partitions its event
    /// touched: the looks of the others stay as they were (unchanged: nothing else of the
    /// broker moved), the marked ones are looked at again, added or dropped like the walk does.
    fn look_again_at_touched(&mut self, b: BrokerId, p: &crate::broker::Broker) {
        let mut looks = self.replicas_seen.get_mut(&b).map(std::mem::take).unwrap_or_default();
        for r in looks.iter_mut() {
            r.changed = false;
        }
        let mut tps = std::mem::take(&mut self.spare_tps);
        tps.clear();
        tps.extend_from_slice(&p.touched.tps);
        crate::lean::sort(&mut tps);
        tps.dedup();
        for tp in &tps {
            let at = looks.binary_search_by(|r| r.tp.cmp(tp));
            let now = p.partitions.get(tp).zip(p.disk.logs.get(tp));
            match (at, now) {
                (Ok(i), None) => {
                    // It left this broker's list.
                    if looks[i].seen.is_leader {
                        self.leader_changed(looks[i].slot);
                    }
                    looks.remove(i);
                }
                (Err(_), None) => {}
                (at, Some((part, log))) => {
                    let seen = ReplicaSeen::of(part, log);
                    match at {
                        Ok(i) => {
                            let r = looks[i];
                            let s = r.seen;
                            if (s.is_leader || seen.is_leader)
                                && (s.high_watermark, s.leader_epoch, s.is_leader)
                                    != (seen.high_watermark, seen.leader_epoch, seen.is_leader)
                            {
                                self.leader_changed(r.slot);
                            }
                            looks[i] = ReplicaLook { seen, changed: r.seen != seen, ..r };
                        }
                        Err(i) => {
                            let slot = self.slot_of(tp);
                            if seen.is_leader {
                                self.leader_changed(slot);
                            }
                            let look =
                                ReplicaLook { tp: *tp, seen, leader_hw_stamp: u64::MAX, slot, follower_checked_at: 0, changed: true };
                            looks.insert(i, look);
                        }
                    }
                }
            }
        }
        self.spare_tps = tps;
        if cfg!(debug_assertions) {
            verify_touched(b, p, &looks);
        }
        self.replicas_seen.insert(b, looks);
    }

    /// A replica that leads or led `slot`'s partition changed what a follower's check reads.
    fn leader_changed(&mut self, slot: u32) {
        self.fast_clock += 1;
        self.leader_changed_at[slot as usize] = self.fast_clock;
    }

    /// The slot of `tp` in `leader_changed_at` (given at its first look).
    fn slot_of(&mut self, tp: &TopicPartition) -> u32 {
        if let Some(&s) = self.slots.get(tp) {
            return s;
        }
        let s = self.leader_changed_at.len() as u32;
        self.leader_changed_at.push(0);
        self.leader_hw.push(None);
        self.leader_noted.push(None);
        self.committed.push(None);
        self.decided.push(None);
        self.slots.insert(*tp, s);
        s
    }

    /// Whether the set of running brokers changed since the last call.
    fn note_running(&mut self, sim: &Sim) -> bool {
        let same = self.running_seen.len() == sim.brokers.len()
            && sim.brokers.iter().zip(&self.running_seen).all(|((id, s), &(sid, run))| *id == sid && s.process.is_some() == run);
        if !same {
            self.running_seen = sim.brokers.iter().map(|(id, s)| (*id, s.process.is_some())).collect();
        }
        !same
    }

    /// HW ≤ LEO on every replica.
    fn check_high_watermark_below_log_end(&mut self, tp: &TopicPartition, b: BrokerId, seen: &ReplicaSeen, now: i64) {
        if seen.high_watermark > seen.log_end_offset {
            self.report(
                Invariant::HighWatermarkAboveLogEnd,
                format!("{tp}/{b}"),
                now,
                format!("broker {b}: HW {} of {tp} is above its LEO {}", seen.high_watermark, seen.log_end_offset),
            );
        }
    }

    /// The controller's partition states, when its log moved: the leader is in the ISR, the ISR
    /// names replicas only, and committed leaders are noted (one leader per epoch). True when
    /// its log moved.
    fn check_controller_decisions(&mut self, sim: &Sim, now: i64) -> bool {
        let seen = sim.controller.log.len() + sim.controller.committed as usize;
        let moved = seen != self.controller_log_seen;
        if moved {
            self.controller_log_seen = seen;
            for (tp, st) in &sim.controller.partitions {
                if st.leader != NO_LEADER && !st.isr.contains(&st.leader) {
                    self.report(
                        Invariant::LeaderNotInIsr,
                        format!("{tp}@{}", st.leader_epoch),
                        now,
                        format!("leader {} of {tp} is not in its ISR [{}]", st.leader, crate::controller::join(&st.isr)),
                    );
                }
                if let Some(b) = st.isr.iter().find(|b| !st.replicas.contains(b)) {
                    self.report(
                        Invariant::IsrNotSubsetOfReplicas,
                        format!("{tp}"),
                        now,
                        format!("ISR of {tp} names broker {b}, which is not a replica"),
                    );
                }
                // Only committed decisions count: an active controller's uncommitted change
                // (lost if it fails over) never reaches a broker.
                if st.leader != NO_LEADER && sim.controller.committed >= sim.controller.log.len() as i64 {
                    self.note_leader(tp, st.leader_epoch, st.leader, now, true);
                }
            }
        }
        moved
    }

    /// StrongIsr, the cheap half, on every event of a follower: an ISR member of the acting
    /// leader's epoch ends at or above the leader's HW (it can only fall below by truncating,
    /// e.g. to its own HW under the legacy rule).
    fn check_follower_reaches_leader_high_watermark(
        &mut self,
        sim: &Sim,
        tp: &TopicPartition,
        slot: u32,
        b: BrokerId,
        seen: &ReplicaSeen,
        now: i64,
    ) {
        let at = self.inputs_changed_at;
        let decided = &mut self.decided[slot as usize];
        if decided.as_ref().is_none_or(|d| d.at != at) {
            let partition = sim.controller.partitions.get(tp).map(|st| {
                let runs = sim.brokers.get(&st.leader).is_some_and(|s| s.process.is_some());
                (st.leader, st.leader_epoch, runs, st.isr.clone())
            });
            *decided = Some(Decided { at, partition });
        }
        let Some(Decided { partition: Some((leader, epoch, runs, isr)), .. }) = decided.as_ref() else { return };
        let (leader, epoch) = (*leader, *epoch);
        if !(isr.contains(&b) && seen.leader_epoch == epoch && *runs) {
            return;
        }
        // The acting leader's state as its own last look recorded it (current: a broker changes
        // only in its own events, and each is followed by a look at it): the controller names it
        // for `tp`, it runs, it leads `tp` in the controller's epoch.
        let Some(replicas) = self.replicas_seen.get(&leader) else { return };
        let Ok(i) = replicas.binary_search_by(|r| r.tp.cmp(tp)) else { return };
        let ls = replicas[i].seen;
        if !(ls.is_leader && ls.leader_epoch == epoch) {
            return;
        }
        if seen.log_end_offset < ls.high_watermark {
            let msg = format!(
                "ISR member {b} of {tp} ends at offset {} below leader {leader}'s HW {} (epoch {epoch})",
                seen.log_end_offset, ls.high_watermark
            );
            self.report(Invariant::IsrMemberDisagreesBelowHighWatermark, format!("{tp}/{b}@{epoch}"), now, msg);
        }
    }

    /// A leader's high watermark: what it covers is committed, and it never goes down within
    /// the leader's epoch (LeaderHighWatermarkDecreased).
    fn check_leader_high_watermark(
        &mut self,
        tp: &TopicPartition,
        slot: u32,
        b: BrokerId,
        leader_epoch: i32,
        log: &crate::log::PartitionLog,
        now: i64,
    ) {
        let slot = slot as usize;
        if self.leader_noted[slot] != Some((leader_epoch, b)) {
            let reported = self.violations.len();
            self.note_leader(tp, leader_epoch, b, now, false);
            // Remembered only when it agreed with the map (a conflict is looked up, and reported, again).
            self.leader_noted[slot] =
                (self.violations.len() == reported && self.leaders_by_epoch[tp][&leader_epoch] == b).then_some((leader_epoch, b));
        }
        let hw = log.high_watermark();
        let committed = self.committed[slot].get_or_insert_with(Committed::default);
        if hw > committed.end() {
            committed.extend(log, hw);
        }
        let mut decreased = None;
        match &mut self.leader_hw[slot] {
            Some(last) if last.0 == b && last.1 == leader_epoch => {
                if hw < last.2 {
                    decreased = Some(last.2);
                }
                last.2 = hw;
            }
            Some(last) => {
                *last = (b, leader_epoch, hw);
                self.leader_hw_changes += 1;
            }
            None => {
                self.leader_hw[slot] = Some((b, leader_epoch, hw));
                self.leader_hw_changes += 1;
            }
        }
        if let Some(prev) = decreased {
            let key = format!("{tp}/{b}/{}", leader_epoch);
            let msg = format!("leader {b} of {tp} lowered its HW from {prev} to {hw} in epoch {}", leader_epoch);
            self.report(Invariant::LeaderHighWatermarkDecreased, key, now, msg);
        }
    }

    /// Costly invariants: log agreement, lost writes, consumer-visible records. Work is
    /// incremental; `full` re-verifies everything.
    pub fn check_slow_with(&mut self, sim: &Sim, full: bool) {
        self.check_log_matching(sim, full);
        self.check_leader_completeness(sim, full);
        self.check_strong_isr(sim, full);
        let disrupted = self.check_lost_writes(sim, full);
        self.check_consumer_reads(sim, disrupted);
    }

    /// LogMatching over every pair of running replicas of each partition: below both high
    /// watermarks, an offset both hold is the same record in the same epoch. Pairs already
    /// verified are checked from where they were left (unless one truncated since, or `full`).
    fn check_log_matching(&mut self, sim: &Sim, full: bool) {
        let now = sim.now_ms();
        let mut live: Vec<(BrokerId, &crate::log::PartitionLog)> = Vec::new();
        for (tp, st) in &sim.controller.partitions {
            live.clear();
            live.extend(
                st.replicas
                    .iter()
                    .filter(|b| sim.brokers.get(b).is_some_and(|s| s.process.is_some()))
                    .filter_map(|&b| replica_log(sim, b, tp).map(|l| (b, l))),
            );
            for i in 0..live.len() {
                for j in i + 1..live.len() {
                    let (a, la) = live[i];
                    let (b, lb) = live[j];
                    let upto = la.high_watermark().min(lb.high_watermark());
                    let mut from = la.log_start_offset().max(lb.log_start_offset());
                    let key = (*tp, a, b);
                    if let Some(&(done, ta, tb)) = self.verified.get(&key) {
                        if !full && ta == la.truncations && tb == lb.truncations {
                            from = from.max(done);
                        }
                    }
                    if from >= upto {
                        continue;
                    }
                    // Compare the offsets both replicas hold: compaction leaves gaps, and a
                    // replica may have compacted a range the other has not yet.
                    if let Some((x, y)) = first_disagreement(la.records_in(from, upto), lb.records_in(from, upto)) {
                        self.report(Invariant::LogsDisagreeBelowHighWatermark, format!("{tp}/{a}/{b}"), now, format!(
                            "brokers {a} and {b} disagree on {tp} below their high watermarks: offset {} holds {:?} (epoch {}) on {a} but {:?} (epoch {}) on {b}",
                            x.offset, x.value.as_deref().unwrap_or("null"), x.leader_epoch, y.value.as_deref().unwrap_or("null"), y.leader_epoch
                        ));
                    }
                    self.verified.insert(key, (upto, la.truncations, lb.truncations));
                }
            }
        }
    }

    /// AcknowledgedWriteLost: acknowledged writes that are gone. Returns whether the cluster
    /// was disrupted since the last look (a metadata change, a truncation, a command, a broker's
    /// status — `audit::disruption_key`),
    /// in which case every write (and every record readers saw) is looked at again.
    fn check_lost_writes(&mut self, sim: &Sim, full: bool) -> bool {
        let now = sim.now_ms();
        // Lost writes and replaced records can only appear after a metadata change, a
        // truncation or a crash/restart: otherwise only new acks and new reads need a look.
        let (disrupted, ids) = self.audit.advance(sim, full);
        let lost = crate::check::audit::lost_acknowledged_writes_among(sim, &ids);
        for (tp, v) in lost_write_violations(sim, &lost, now) {
            self.report(v.invariant, tp, v.time_ms, v.message);
        }
        disrupted
    }

    /// ConsumerSawReplacedRecord: every record a reader saw is still at its offset on the
    /// partition's acting leader (below its log start it was deleted, not replaced).
    fn check_consumer_reads(&mut self, sim: &Sim, disrupted: bool) {
        let now = sim.now_ms();
        for r in sim.readers.values() {
            // Positions count every record the reader saw, retired ones included.
            // Kafka promises a consumer that a record it read below the high watermark stays at its
            // offset on the partition's leader: compare with the leader that serves the partition now
            // (running, taken over in the controller's epoch), never with the disk of a leader that
            // lost power and has not been replaced yet (its page cache is gone, its followers still
            // hold the records and one of them will lead).
            let Some((leader, _, log)) = Self::acting_leader(sim, &r.tp) else {
                // Without one, all the reader saw is checked once a leader acts again.
                if disrupted {
                    self.audited_seen.remove(&r.id);
                }
                continue;
            };
            let from = if disrupted { 0 } else { self.audited_seen.get(&r.id).copied().unwrap_or(0) };
            self.audited_seen.insert(r.id, r.seen_dropped + r.seen.len());
            let start = from.saturating_sub(r.seen_dropped);
            // Records below the log start offset were deleted by retention, not replaced.
            let deleted_below = log.log_start_offset();
            if let Some(s) = r.seen[start.min(r.seen.len())..]
                .iter()
                .find(|s| s.offset >= deleted_below && log.record_at(s.offset).is_none_or(|x| x.write_id != s.write_id))
            {
                self.report(
                    Invariant::ConsumerSawReplacedRecord,
                    format!("{}/{}", r.tp, s.offset),
                    now,
                    format!(
                        "reader-{} saw offset {} of {} (epoch {}), which its leader, broker {leader}, no longer holds",
                        r.id, s.offset, r.tp, s.leader_epoch
                    ),
                );
            }
        }
    }

    /// The running leader the controller names for `tp`, once it has taken over in that
    /// epoch, with its log.
    fn acting_leader<'a>(sim: &'a Sim, tp: &TopicPartition) -> Option<(BrokerId, i32, &'a crate::log::PartitionLog)> {
        let st = sim.controller.partitions.get(tp)?;
        let p = sim.brokers.get(&st.leader)?.process.as_ref()?;
        let part = p.partitions.get(tp)?;
        (part.is_leader() && part.leader_epoch == st.leader_epoch).then_some(())?;
        Some((st.leader, st.leader_epoch, p.disk.logs.get(tp)?))
    }

    /// LeaderCompleteness: the acting leader holds every record any leader committed. As a
    /// leader's records below its HW never change, each (leader, epoch, truncation count)
    /// is verified once. Compacted topics may drop committed records by policy; there
    /// only the records the leader holds are compared.
    fn check_leader_completeness(&mut self, sim: &Sim, full: bool) {
        let now = sim.now_ms();
        for tp in sim.controller.partitions.keys() {
            let Some((leader, epoch, log)) = Self::acting_leader(sim, tp) else { continue };
            let Some(c) = self.slots.get(tp).and_then(|&s| self.committed[s as usize].as_mut()) else { continue };
            let key = (leader, epoch, log.truncations);
            if !full && c.verified == Some(key) {
                continue;
            }
            c.verified = Some(key);
            let end = c.end();
            let from = c.base.max(log.log_start_offset());
            let mut problem = None;
            if log.log_end_offset() < end {
                problem = Some(format!(
                    "leader {leader} of {tp} in epoch {epoch} ends at offset {} but offsets up to {} were committed",
                    log.log_end_offset(),
                    end - 1
                ));
            }
            if problem.is_none() && from < end {
                let mut it = log.records_in(from, end).peekable();
                for off in from..end {
                    let want = c.ids[(off - c.base) as usize];
                    let have = match it.peek() {
                        Some(r) if r.offset == off => it.next().map(|r| (r.leader_epoch, r.write_id)),
                        _ => None,
                    };
                    match (want, have) {
                        (Some(w), Some(h)) if w != h => {
                            problem = Some(format!(
                                "leader {leader} of {tp} in epoch {epoch} holds a different record at committed offset {off} (epoch {} instead of {})",
                                h.0, w.0
                            ));
                        }
                        (Some(w), None) if !log.config.cleanup_compact => {
                            problem = Some(format!(
                                "leader {leader} of {tp} in epoch {epoch} lacks committed offset {off} (written in epoch {})",
                                w.0
                            ));
                        }
                        _ => {}
                    }
                    if problem.is_some() {
                        break;
                    }
                }
            }
            if let Some(msg) = problem {
                self.report(Invariant::LeaderLacksCommittedRecord, format!("{tp}@{epoch}"), now, msg);
            }
        }
    }

    /// StrongIsr: every running ISR member that follows the acting leader in its epoch
    /// holds exactly the leader's records below the leader's HW.
    fn check_strong_isr(&mut self, sim: &Sim, full: bool) {
        let now = sim.now_ms();
        for (tp, st) in &sim.controller.partitions {
            let Some((leader, epoch, ll)) = Self::acting_leader(sim, tp) else { continue };
            let hw = ll.high_watermark();
            for &f in &st.isr {
                if f == leader {
                    continue;
                }
                let Some(p) = sim.brokers.get(&f).and_then(|s| s.process.as_ref()) else { continue };
                if p.partitions.get(tp).is_none_or(|x| x.leader_epoch != epoch) {
                    continue;
                }
                let Some(fl) = p.disk.logs.get(tp) else { continue };
                let key = (*tp, leader, f);
                let mut from = ll.log_start_offset().max(fl.log_start_offset());
                if let Some(&(e, done, tl, tf)) = self.strong_verified.get(&key) {
                    if !full && e == epoch && tl == ll.truncations && tf == fl.truncations {
                        from = from.max(done);
                    }
                }
                if from >= hw {
                    continue;
                }
                let mut problem = None;
                if fl.log_end_offset() < hw {
                    problem = Some(format!(
                        "ISR member {f} of {tp} ends at offset {} below leader {leader}'s HW {hw} (epoch {epoch})",
                        fl.log_end_offset()
                    ));
                } else {
                    if let Some((a, b)) = first_disagreement(ll.records_in(from, hw), fl.records_in(from, hw)) {
                        problem = Some(format!(
                            "ISR member {f} of {tp} holds a different record than leader {leader} at offset {} below its HW {hw} (epoch {} instead of {})",
                            a.offset, b.leader_epoch, a.leader_epoch
                        ));
                    }
                }
                if let Some(msg) = problem {
                    self.report(Invariant::IsrMemberDisagreesBelowHighWatermark, format!("{tp}/{f}@{epoch}"), now, msg);
                } else {
                    self.strong_verified.insert(key, (epoch, hw, ll.truncations, fl.truncations));
                }
            }
        }
    }

    pub fn check_slow(&mut self, sim: &Sim) {
        self.check_slow_with(sim, false);
    }

    /// Everything, from scratch.
    pub fn check(&mut self, sim: &Sim) {
        self.controller_log_seen = usize::MAX;
        self.check_fast_nodes(sim, None);
        self.check_controller_epochs(sim);
        self.check_slow_with(sim, true);
    }

    pub fn names(&self) -> BTreeSet<&'static str> {
        self.violations.iter().map(|v| v.invariant.as_str()).collect()
    }
}

/// The first offset both record sequences (each in offset order, with gaps where compaction removed
/// records) hold with a different write or leader epoch: the two records there.
fn first_disagreement<'a>(
    a: impl Iterator<Item = &'a crate::log::Record>,
    b: impl Iterator<Item = &'a crate::log::Record>,
) -> Option<(&'a crate::log::Record, &'a crate::log::Record)> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        match x.offset.cmp(&y.offset) {
            std::cmp::Ordering::Less => {
                a.next();
            }
            std::cmp::Ordering::Greater => {
                b.next();
            }
            std::cmp::Ordering::Equal => {
                if x.write_id != y.write_id || x.leader_epoch != y.leader_epoch {
                    return Some((x, y));
                }
                a.next();
                b.next();
            }
        }
    }
    None
}
