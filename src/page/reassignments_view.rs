//! The reassignment panel's view: every partition being moved (KIP-455), from which replicas to
//! which, how far each adding replica has come, and the throttle on it; all read from one engine
//! instant and put in words here, so the page only draws it. The rules are the controller's
//! (`src/controller/reassignment.rs`) and the brokers' (`src/broker/replication_quota.rs`).

use crate::controller::join;
use crate::ids::{BrokerId, NO_LEADER};
use crate::sim::Sim;
use serde::Serialize;

/// One adding replica catching up.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AddingReplicaView {
    pub broker: BrokerId,
    /// Its log end offset (-1: its broker is down or has no log yet).
    pub log_end_offset: i64,
    /// The leader's log end offset (-1: no leader running).
    pub leader_log_end_offset: i64,
    pub in_isr: bool,
    /// Log end over the leader's, 0–100 (100 once in the ISR).
    pub percent: f64,
    /// Its fetches from the leader are throttled (leader or follower side) while it is out of sync.
    pub throttled: bool,
    pub text: String,
}

/// One partition being reassigned.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReassignmentView {
    pub topic: String,
    pub partition: u32,
    /// The replicas a cancel would leave (replicas − adding, in Kafka's reverted order) and those
    /// after the move (replicas − removing).
    pub from: Vec<BrokerId>,
    pub to: Vec<BrokerId>,
    pub adding: Vec<BrokerId>,
    pub removing: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub progress: Vec<AddingReplicaView>,
    /// The partition and its move in one line, `kafka-reassign-partitions.sh --verify` style.
    pub text: String,
    /// What completes it, in words.
    pub waiting_for: String,
}

fn fmt_rate(rate: i64) -> String {
    if rate >= 1_000_000 {
        format!("{:.1} MB/s", rate as f64 / 1_000_000.0)
    } else if rate >= 1_000 {
        format!("{:.1} kB/s", rate as f64 / 1_000.0)
    } else {
        format!("{rate} B/s")
    }
}

/// Every reassignment in progress, in partition order.
pub fn reassignments(sim: &Sim) -> Vec<ReassignmentView> {
    let mut out = Vec::new();
    for st in sim.controller.partitions.values().filter(|p| p.is_reassigning()) {
        let tp = st.tp;
        let leader_proc = (st.leader != NO_LEADER).then(|| sim.brokers.get(&st.leader).and_then(|s| s.process.as_ref())).flatten();
        let leader_leo = leader_proc.and_then(|p| p.disk.logs.get(&tp)).map_or(-1, |l| l.log_end_offset());
        let leader_rate = leader_proc.filter(|p| p.leader_throttled.contains(&tp)).map(|p| p.config.leader_replication_throttled_rate);
        let mut progress = Vec::new();
        for &b in &st.adding_replicas {
            let proc = sim.brokers.get(&b).and_then(|s| s.process.as_ref());
            let leo = proc.and_then(|p| p.disk.logs.get(&tp)).map_or(-1, |l| l.log_end_offset());
            let in_isr = st.isr.contains(&b);
            let follower_rate = proc.filter(|p| p.follower_throttled.contains(&tp)).map(|p| p.config.follower_replication_throttled_rate);
            let rates: Vec<i64> = [leader_rate, follower_rate].into_iter().flatten().filter(|&r| r != i64::MAX).collect();
            let throttled = !rates.is_empty();
            let percent = if in_isr {
                100.0
            } else if leader_leo > 0 && leo >= 0 {
                (leo as f64 * 100.0 / leader_leo as f64).min(100.0)
            } else {
                0.0
            };
            let text = if in_isr {
                format!("broker {b}: caught up, in the ISR")
            } else if proc.is_none() {
                format!("broker {b}: down, not fetching")
            } else if leo < 0 {
                format!("broker {b}: no log yet")
            } else {
                let throttle = rates.iter().min().map(|r| format!(", throttled to {}", fmt_rate(*r))).unwrap_or_default();
                format!(
                    "broker {b}: log end {leo} of the leader's {}{} ({percent:.0} %){throttle}",
                    leader_leo.max(0),
                    if st.leader == NO_LEADER { String::new() } else { format!(" (broker {})", st.leader) }
                )
            };
            progress.push(AddingReplicaView {
                broker: b,
                log_end_offset: leo,
                leader_log_end_offset: leader_leo,
                in_isr,
                percent,
                throttled,
                text,
            });
        }
        let from: Vec<BrokerId> = st.replicas.iter().copied().filter(|r| !st.adding_replicas.contains(r)).collect();
        let to: Vec<BrokerId> = st.replicas.iter().copied().filter(|r| !st.removing_replicas.contains(r)).collect();
        let missing: Vec<BrokerId> = to.iter().copied().filter(|r| !st.isr.contains(r)).collect();
        let waiting_for = if missing.is_empty() {
            "the next partition change: every target replica is in the ISR".to_string()
        } else {
            format!(
                "broker{} {} to join the ISR; then {} leave{}",
                if missing.len() == 1 { "" } else { "s" },
                join(&missing),
                if st.removing_replicas.is_empty() { "no replica".to_string() } else { format!("[{}]", join(&st.removing_replicas)) },
                if st.removing_replicas.len() == 1 { "s" } else { "" }
            )
        };
        let text = format!(
            "{tp} → [{}] · Replicas: {} Adding Replicas: {} Removing Replicas: {} · Isr: {}",
            join(&to),
            join(&st.replicas),
            join(&st.adding_replicas),
            join(&st.removing_replicas),
            join(&st.isr)
        );
        out.push(ReassignmentView {
            topic: tp.topic.to_string(),
            partition: tp.partition,
            from,
            to,
            adding: st.adding_replicas.clone(),
            removing: st.removing_replicas.clone(),
            leader: (st.leader != NO_LEADER).then_some(st.leader),
            isr: st.isr.clone(),
            progress,
            text,
            waiting_for,
        });
    }
    out
}
