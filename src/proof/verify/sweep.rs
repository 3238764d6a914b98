//! One sweep run: a seed picks a cluster, a workload and a fault schedule; the run has a
//! safety phase (faults while producing and reading, every invariant checked after every
//! event) and a liveness phase (heal everything, bring every node back, and within
//! [`LIVENESS_BOUND_MS`] every partition must have a leader, a full ISR, and every write
//! acknowledged before the healing must be readable).
//!
//! The schedule is a plain list of [`Command`]s, so a failing run can be replayed,
//! shrunk ([`super::shrink`]) and saved as a scenario file.

use super::profile::{PowerLoss, Profile};
use crate::broker::disk::DiskHealth;
use crate::check::audit::lost_acknowledged_writes;
use crate::check::CheckedSim;
use crate::client::producer::SendOutcome;
use crate::command::Command;
use crate::command::DiskFault;
use crate::ids::{NodeId, NO_LEADER};
use crate::lean::CollectBTree;
use crate::rng::Rng;
use crate::scenario::{start, Scenario};
use crate::sim::NodeStatus;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Actions (commands) in a safety phase.
pub const SAFETY_ACTIONS: usize = 40;
/// After healing, how long the cluster has to recover.
pub const LIVENESS_BOUND_MS: i64 = 60_000;
/// The topic every sweep produces to.
pub const TOPIC: &str = "t";

/// Something a run got wrong: an invariant the checker names, or a liveness failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `AcknowledgedWriteLost`, …, or `NoLeaderAfterHealing`, `IsrNotRefilledAfterHealing`,
    /// `AcknowledgedWriteUnreadableAfterHealing`.
    pub invariant: String,
    pub time_ms: i64,
    pub message: String,
}

/// What one run did and found.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub seed: u64,
    pub profile: &'static str,
    pub trace_hash: String,
    pub brokers: usize,
    pub controllers: i64,
    /// Records the producer sent, and how many of them were acknowledged.
    pub sends: usize,
    pub acknowledged: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u32>,
    pub problems: Vec<Problem>,
    /// From healing until every partition had a leader and a full ISR and every earlier
    /// acknowledged write was readable (none: not within the bound).
    pub recovery_ms: Option<i64>,
    pub end_ms: i64,
    /// The scenario (cluster and settings) without steps.
    #[serde(skip)]
    pub header: Value,
    /// The safety phase's commands (the part a shrink cuts down).
    #[serde(skip)]
    pub safety: Vec<Command>,
    /// The liveness phase's commands as applied.
    #[serde(skip)]
    pub liveness: Vec<Command>,
    /// The last events of the run, for a failure report.
    #[serde(skip)]
    pub last_events: Vec<String>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The kinds of problem found, sorted (what a shrink must keep).
    pub fn signature(&self) -> BTreeSet<String> {
        self.problems.iter().map(|p| p.invariant.clone()).collect()
    }

    /// A scenario file (docs/scenarios.md) that replays the run:
    /// `kafka-sim run FILE` reports the same violations.
    pub fn reproduction(&self, description: &str) -> String {
        let mut h = self.header.clone();
        h["description"] = json!(description);
        // Consecutive runs are one run (time passing is the same either way).
        let mut steps: Vec<Command> = vec![];
        for c in self.safety.iter().chain(&self.liveness) {
            match (steps.last_mut(), c) {
                (Some(Command::Run { ms: a }), Command::Run { ms: b }) => *a += b,
                _ => steps.push(c.clone()),
            }
        }
        h["steps"] = Value::Array(steps.iter().map(|c| serde_json::to_value(c).unwrap_or(Value::Null)).collect());
        serde_json::to_string_pretty(&h).unwrap_or_default()
    }

    /// Faults injected in all.
    pub fn fault_count(&self) -> u32 {
        self.faults.values().sum()
    }
}

/// The kind of fault a command injects (none for workload and time).
pub fn fault_kind(c: &Command) -> Option<&'static str> {
    Some(match c {
        Command::CrashBroker { keep_page_cache: true, .. } => "crash (kill -9)",
        Command::CrashBroker { keep_page_cache: false, .. } => "power loss (unflushed page cache lost)",
        Command::RestartBroker { .. } => "broker restart",
        Command::ShutdownBroker { .. } => "controlled shutdown",
        Command::PauseBroker { .. } => "GC pause",
        Command::CutLink { from: NodeId::Voter(_), .. } => "controller link cut",
        Command::CutLink { one_way: false, .. } => "two-way partition",
        Command::CutLink { one_way: true, .. } => "one-way partition",
        Command::Isolate { .. } => "isolation",
        Command::SlowLink { .. } => "slow link",
        Command::SetLinkLoss { .. } => "lossy link",
        Command::CrashController { .. } => "controller crash (failover)",
        Command::RestartController { .. } => "controller restart",
        Command::HealAll => "heal all",
        Command::SlowDisk { write_latency_ms: 0, .. } => "slow disk healed",
        Command::SlowDisk { .. } => "slow disk",
        Command::DiskFault { fault: DiskFault::Full, .. } => "disk full",
        Command::DiskFault { fault: DiskFault::Failed, .. } => "disk failed",
        Command::DiskFault { fault: DiskFault::SpaceFreed, .. } => "disk space freed",
        Command::DiskFault { fault: DiskFault::Replaced, .. } => "disk replaced",
        Command::AddBroker { .. } => "broker added",
        Command::UnregisterBroker { .. } => "broker decommissioned",
        Command::RollingRestart { .. } => "rolling restart",
        Command::DecommissionBroker { .. } => "broker decommissioned (moves first)",
        Command::CreatePartitions { .. } => "partitions added",
        Command::AlterPartitionReassignments { replicas: None, .. } => "reassignment cancel",
        Command::AlterPartitionReassignments { throttle: Some(_), .. } => "throttled reassignment",
        Command::AlterPartitionReassignments { .. } => "reassignment",
        _ => return None,
    })
}

/// The cluster of a seed: 3–5 brokers, one topic of 1–3 partitions (RF 3), a
/// `replica.lag.time.max.ms` and an OS flush interval picked by the seed.
pub fn header(seed: u64, profile: &Profile, rng: &mut Rng) -> Value {
    let n_brokers = rng.range_inclusive(3, 5);
    let partitions = rng.range_inclusive(1, 3);
    let lag = *rng.pick(&[2_000, 10_000, 30_000]).unwrap_or(&10_000);
    let os_flush = *rng.pick(&[2_000, 5_000, 30_000]).unwrap_or(&30_000);
    let mut h = json!({
        "name": format!("sweep seed {seed} ({})", profile.name),
        "seed": seed,
        "brokers": n_brokers,
        "broker_config": {
            "min.insync.replicas": profile.min_insync_replicas,
            "unclean.leader.election.enable": profile.unclean_leader_election,
            "replica.lag.time.max.ms": lag,
            "sim.truncation.mode": profile.truncation,
            "sim.controllers": profile.controllers_for(seed),
            "sim.os.flush.interval.ms": os_flush,
        },
        "producer_config": { "acks": profile.acks },
        "topics": [ { "name": TOPIC, "partitions": partitions, "replication_factor": 3 } ]
    });
    if !profile.elr {
        h["features"] = json!({ "eligible.leader.replicas.version": 0 });
    }
    if profile.power_loss == PowerLoss::Fsynced {
        h["broker_config"]["log.flush.interval.messages"] = json!(1);
    }
    h
}

/// A run in progress: the checked simulation and the commands that took effect.
struct Driver {
    cs: CheckedSim,
    applied: Vec<Command>,
    faults: BTreeMap<&'static str, u32>,
}

impl Driver {
    fn new(header: &Value) -> Result<Driver, String> {
        let scenario = Scenario::parse(&header.to_string()).map_err(|e| e.to_string())?;
        let mut cs = start(&scenario).map_err(|e| e.to_string())?;
        // Log agreement and the audit every 50 events (and every 100 simulated ms).
        cs.slow_check_every = 50;
        Ok(Driver { cs, applied: vec![], faults: BTreeMap::new() })
    }

    /// Applies `c`; a command the cluster refuses (crashing a crashed broker after a
    /// shrink removed its restart) is skipped, as a user's would be.
    fn apply(&mut self, c: Command) -> bool {
        if self.cs.apply(c.clone()).is_err() {
            return false;
        }
        if let Some(k) = fault_kind(&c) {
            *self.faults.entry(k).or_default() += 1;
        }
        self.applied.push(c);
        true
    }
}

fn pick_node(rng: &mut Rng, brokers: &[i32]) -> NodeId {
    if rng.chance(0.2) {
        NodeId::Controller
    } else {
        NodeId::Broker(*rng.pick(brokers).unwrap_or(&1))
    }
}

/// The next safety-phase command for the state the run is in (none: skip this action).
fn next_command(rng: &mut Rng, d: &Driver) -> Option<Vec<Command>> {
    let sim = &d.cs.sim;
    let brokers: Vec<i32> = sim.brokers.keys().copied().collect();
    let voters: Vec<i32> = sim.voters.keys().copied().collect();
    if voters.len() > 1 && rng.chance(0.25) {
        let down: Vec<i32> = voters.iter().copied().filter(|v| sim.voters[v].process.is_none()).collect();
        let up: Vec<i32> = voters.iter().copied().filter(|v| sim.voters[v].process.is_some()).collect();
        return match rng.range_inclusive(0, 9) {
            0..=3 if !up.is_empty() => {
                Some(vec![Command::CrashController { controller: if rng.chance(0.5) { None } else { rng.pick(&up).copied() } }])
            }
            4..=6 if !down.is_empty() => Some(vec![Command::RestartController { controller: *rng.pick(&down)? }]),
            7..=8 => {
                let v = NodeId::Voter(*rng.pick(&voters)?);
                let other = if rng.chance(0.5) { NodeId::Voter(*rng.pick(&voters)?) } else { NodeId::Broker(*rng.pick(&brokers)?) };
                (v != other).then_some(vec![Command::CutLink { from: v, to: other, one_way: rng.chance(0.3) }])
            }
            _ => Some(vec![Command::Isolate { node: NodeId::Controller }]),
        };
    }
    let down: Vec<i32> = brokers.iter().copied().filter(|b| sim.brokers[b].process.is_none()).collect();
    let up: Vec<i32> = brokers.iter().copied().filter(|b| sim.brokers[b].process.is_some()).collect();
    let cmd = match rng.range_inclusive(0, 105) {
        0..=29 => Command::Produce {
            tombstone: false,
            topic: TOPIC.into(),
            partition: None,
            key: None,
            value: None,
            count: rng.range_inclusive(1, 20) as u32,
        },
        30..=54 => Command::Run { ms: rng.range_inclusive(100, 5_000) as i64 },
        // Half the crashes hit the leader of a partition (Jepsen's "kill the leader" nemesis).
        55..=62 if !up.is_empty() => {
            let leaders: Vec<i32> = sim.controller.partitions.values().map(|p| p.leader).filter(|l| up.contains(l)).collect();
            let broker = if !leaders.is_empty() && rng.chance(0.5) { *rng.pick(&leaders)? } else { *rng.pick(&up)? };
            Command::CrashBroker { broker, keep_page_cache: !rng.chance(0.4) }
        }
        // A hasty rolling restart: a broker comes back and, at once, a leader is killed
        // (KIP-101's scenario when the returning follower truncates to a stale HW).
        63..=66 if !down.is_empty() && !up.is_empty() => {
            let back = *rng.pick(&down)?;
            let leaders: Vec<i32> = sim.controller.partitions.values().map(|p| p.leader).filter(|l| up.contains(l)).collect();
            let victim = *rng.pick(if leaders.is_empty() { &up } else { &leaders })?;
            return Some(vec![
                Command::RestartBroker { broker: back },
                Command::Run { ms: rng.range_inclusive(0, 300) as i64 },
                Command::CrashBroker { broker: victim, keep_page_cache: true },
            ]);
        }
        63..=70 if !down.is_empty() => Command::RestartBroker { broker: *rng.pick(&down)? },
        71..=74 if !up.is_empty() => Command::ShutdownBroker { broker: *rng.pick(&up)? },
        75..=79 if !up.is_empty() => Command::PauseBroker { broker: *rng.pick(&up)?, ms: Some(rng.range_inclusive(1_000, 15_000) as i64) },
        80..=87 => {
            let a = pick_node(rng, &brokers);
            let b = NodeId::Broker(*rng.pick(&brokers)?);
            return (a != b).then_some(vec![Command::CutLink { from: a, to: b, one_way: rng.chance(0.3) }]);
        }
        88..=90 => Command::HealAll,
        // An operator moves a partition (KIP-455): to three or four of the brokers (the
        // replication factor stays at least 3, what the durability promise rests on), at times
        // with a throttle, at times cancelling the move in progress.
        91..=93 => {
            let (&tp, p) =
                sim.controller.partitions.iter().nth(rng.range_inclusive(0, sim.controller.partitions.len() as u64 - 1) as usize)?;
            if p.is_reassigning() && rng.chance(0.3) {
                Command::AlterPartitionReassignments {
                    topic: tp.topic.to_string(),
                    partition: tp.partition,
                    replicas: None,
                    throttle: None,
                }
            } else {
                let n = if brokers.len() >= 4 && rng.chance(0.4) { 4 } else { 3 };
                let mut pool = brokers.clone();
                let mut target = Vec::with_capacity(n);
                while target.len() < n && !pool.is_empty() {
                    let i = rng.range_inclusive(0, pool.len() as u64 - 1) as usize;
                    target.push(pool.remove(i));
                }
                let throttle = rng.chance(0.3).then(|| rng.range_inclusive(2, 50) as i64 * 1_000);
                Command::AlterPartitionReassignments {
                    topic: tp.topic.to_string(),
                    partition: tp.partition,
                    replicas: Some(target),
                    throttle,
                }
            }
        }
        94..=96 => Command::SlowLink {
            from: pick_node(rng, &brokers),
            to: NodeId::Broker(*rng.pick(&brokers)?),
            extra_latency_ms: rng.range_inclusive(10, 2_000) as i64,
            one_way: false,
        },
        // A disk fills up: the broker halts at its next write (KafkaStorageException). Not a
        // failed disk replaced by an empty one: that destroys a replica, and when it was a
        // leaderless partition's last leader Kafka 4.x's KIP-966 recovery may elect it (the
        // KIP-858 directory-id guard that can delay this is not modelled): tests/integration/disk_full.rs.
        100 if !up.is_empty() => Command::DiskFault { broker: *rng.pick(&up)?, fault: DiskFault::Full },
        // The operator frees space on a full disk and starts the broker again.
        101 => {
            let full: Vec<i32> = brokers.iter().copied().filter(|b| sim.brokers[b].disk().health == DiskHealth::Full).collect();
            let b = *rng.pick(&full)?;
            return Some(vec![Command::DiskFault { broker: b, fault: DiskFault::SpaceFreed }, Command::RestartBroker { broker: b }]);
        }
        102 => Command::SlowDisk {
            broker: *rng.pick(&brokers)?,
            write_latency_ms: if rng.chance(0.4) { 0 } else { rng.range_inclusive(2, 20) as i64 * 1_000 },
        },
        // A broker joins (it holds nothing until a reassignment moves replicas to it).
        103 if brokers.len() < 6 => Command::AddBroker { broker: None, rack: None },
        // Decommissioning a broker the operator's way: its replicas moved off, then a clean
        // shutdown and UnregisterBroker (refused when no other broker can take them).
        104 if brokers.len() >= 4 && sim.decommission.is_none() && rng.chance(0.5) => {
            let registered: Vec<i32> = up.iter().copied().filter(|b| sim.controller.brokers.contains_key(b)).collect();
            Command::DecommissionBroker { broker: *rng.pick(&registered)? }
        }
        // Decommissioning a broker that hosts no replica: clean shutdown, then UnregisterBroker.
        104 => {
            let hosts = |b: i32| sim.controller.partitions.values().any(|p| p.replicas.contains(&b));
            let empty: Vec<i32> = brokers.iter().copied().filter(|&b| !hosts(b) && sim.controller.brokers.contains_key(&b)).collect();
            let b = *rng.pick(&empty)?;
            return Some(vec![Command::ShutdownBroker { broker: b }, Command::Run { ms: 3_000 }, Command::UnregisterBroker { broker: b }]);
        }
        105 if sim.rolling_restart.is_none() && rng.chance(0.5) => Command::RollingRestart { hasty: false },
        105 => {
            let n = sim.controller.partition_count(TOPIC)?;
            if n >= 6 {
                return None;
            }
            Command::CreatePartitions { topic: TOPIC.into(), count: n + 1 }
        }
        _ => Command::SetLinkLoss {
            from: pick_node(rng, &brokers),
            to: NodeId::Broker(*rng.pick(&brokers)?),
            loss: rng.range_inclusive(0, 30) as f64 / 100.0,
            one_way: false,
        },
    };
    match &cmd {
        Command::SlowLink { from, to, .. } | Command::SetLinkLoss { from, to, .. } if from == to => None,
        _ => Some(vec![cmd]),
    }
}

/// The workload a seed starts with: a committed-only reader of partition 0 and, on some
/// seeds, a steady producer (`set_workload`) next to the bursts of the schedule.
fn workload(rng: &mut Rng) -> Vec<Command> {
    let mut w = vec![Command::StartReader { topic: TOPIC.into(), partition: 0 }];
    if rng.chance(0.5) {
        w.push(Command::SetWorkload { topic: TOPIC.into(), records_per_sec: rng.range_inclusive(2, 40) as f64, keys: 0 });
    }
    w
}

/// Runs seed `seed` under `profile`: generates its schedule while it runs, then heals and
/// judges it.
pub fn run_seed(seed: u64, profile: &'static Profile) -> Outcome {
    let mut rng = Rng::new(seed).fork("fault-schedule");
    let header = header(seed, profile, &mut rng);
    let mut d = match Driver::new(&header) {
        Ok(d) => d,
        Err(e) => return setup_failure(seed, profile, header, e),
    };
    for c in workload(&mut rng) {
        d.apply(c);
    }
    for _ in 0..SAFETY_ACTIONS {
        for c in next_command(&mut rng, &d).unwrap_or_default() {
            d.apply(c);
        }
    }
    finish(seed, profile, header, d)
}

/// Replays `safety` on the cluster of `header`, then heals and judges the run.
pub fn replay(seed: u64, profile: &'static Profile, header: &Value, safety: &[Command]) -> Outcome {
    let mut d = match Driver::new(header) {
        Ok(d) => d,
        Err(e) => return setup_failure(seed, profile, header.clone(), e),
    };
    for c in safety {
        d.apply(c.clone());
    }
    finish(seed, profile, header.clone(), d)
}

fn setup_failure(seed: u64, profile: &'static Profile, header: Value, e: String) -> Outcome {
    Outcome {
        seed,
        profile: profile.name,
        trace_hash: String::new(),
        brokers: 0,
        controllers: 0,
        sends: 0,
        acknowledged: 0,
        faults: BTreeMap::new(),
        problems: vec![Problem { invariant: "InvalidSweepCluster".into(), time_ms: 0, message: e }],
        recovery_ms: None,
        end_ms: 0,
        header,
        safety: vec![],
        liveness: vec![],
        last_events: vec![],
    }
}

/// Liveness phase and judgement.
fn finish(seed: u64, profile: &'static Profile, header: Value, mut d: Driver) -> Outcome {
    let safety = std::mem::take(&mut d.applied);
    let healed_at = d.cs.sim.now_ms();
    // Writes acknowledged before healing must become readable.
    let acked_before: Vec<u64> =
        d.cs.sim.producer.sends.iter().filter(|(_, s)| matches!(s.outcome, SendOutcome::Acked { .. })).map(|(id, _)| *id).collect();
    d.apply(Command::HealAll);
    let mut recovery_ms = None;
    let mut last = vec![];
    while d.cs.sim.now_ms() - healed_at <= LIVENESS_BOUND_MS {
        bring_everything_back(&mut d);
        // kafka-reassign-partitions.sh --verify lifts a move's throttle (once a controller is
        // there to take the change): a replica held to a few kB/s, or starved because the
        // in-sync replicas' traffic alone fills the quota, is slow by design, not a cluster
        // that failed to recover.
        lift_throttles(&mut d);
        last = end_state_problems(&d.cs, &acked_before);
        if last.is_empty() {
            recovery_ms = Some(d.cs.sim.now_ms() - healed_at);
            break;
        }
        d.apply(Command::Run { ms: 1_000 });
    }
    // The producer's liveness: once the cluster has recovered, every send made before the healing
    // completes (acknowledged, or failed by its own deadline). delivery.timeout.ms counts from the
    // batch's creation, and a record may first wait for metadata (the partition count) before it
    // joins a batch — up to delivery.timeout.ms here (Kafka: max.block.ms in send()) — so a send
    // still pending 2 × delivery.timeout.ms after send() is stuck (e.g. retries that never reach
    // the new leader).
    let limit = 2 * d.cs.sim.producer.config.delivery_timeout_ms;
    let pending_from_before = |sim: &crate::sim::Sim| {
        sim.producer.sends.values().filter(|s| s.outcome == SendOutcome::Pending && s.created_ms < healed_at).map(|s| s.created_ms).min()
    };
    let mut stuck = None;
    if recovery_ms.is_some() {
        while let Some(oldest) = pending_from_before(&d.cs.sim) {
            if d.cs.sim.now_ms() - oldest > limit {
                stuck = Some(oldest);
                break;
            }
            d.apply(Command::Run { ms: 1_000 });
        }
    }
    d.cs.final_check();
    let liveness = std::mem::take(&mut d.applied);
    let sim = &d.cs.sim;
    let mut problems: Vec<Problem> =
        d.cs.checker
            .violations
            .iter()
            .map(|v| Problem { invariant: v.invariant.to_string(), time_ms: v.time_ms, message: v.message.clone() })
            .collect();
    if recovery_ms.is_none() {
        problems.extend(last);
    }
    if let Some(oldest) = stuck {
        let n = sim.producer.sends.values().filter(|s| s.outcome == SendOutcome::Pending && s.created_ms < healed_at).count();
        problems.push(Problem {
            invariant: "SendStuckAfterHealing".into(),
            time_ms: sim.now_ms(),
            message: format!(
                "{n} send(s) made before healing still pending at {} ms, the oldest from {oldest} ms: over 2 × delivery.timeout.ms={}",
                sim.now_ms(),
                limit / 2
            ),
        });
    }
    Outcome {
        seed,
        profile: profile.name,
        trace_hash: format!("{:016x}", sim.trace_hash()),
        brokers: sim.brokers.len(),
        controllers: sim.voters.len().max(1) as i64,
        sends: sim.producer.sends.len(),
        acknowledged: sim.producer.acked_count as u64,
        faults: d.faults.clone(),
        problems,
        recovery_ms,
        end_ms: sim.now_ms(),
        header,
        safety,
        liveness,
        last_events: sim.events.iter().rev().take(40).rev().map(|e| format!("[{}] {} {}", e.time_ms, e.node, e.message)).collect(),
    }
}

/// Removes the topics' `*.replication.throttled.replicas` (what `--verify` does after a move).
fn lift_throttles(d: &mut Driver) {
    let throttled: Vec<(String, &'static str)> =
        d.cs.sim
            .controller
            .topics
            .iter()
            .flat_map(|(t, c)| {
                ["leader.replication.throttled.replicas", "follower.replication.throttled.replicas"]
                    .into_iter()
                    .filter(|k| c.overrides.contains_key(*k))
                    .map(move |k| (t.clone(), k))
            })
            .collect();
    for (topic, key) in throttled {
        d.apply(Command::SetTopicConfig { topic, key: key.into(), value: Value::Null });
    }
}

/// Restarts every crashed or stopped node and resumes every paused broker.
fn bring_everything_back(d: &mut Driver) {
    let voters: Vec<i32> = d.cs.sim.voters.iter().filter(|(_, s)| s.process.is_none()).map(|(v, _)| *v).collect();
    for v in voters {
        d.apply(Command::RestartController { controller: v });
    }
    // Disks mended: space freed on a full one, a failed one replaced (once its broker is down),
    // a slow one fast again.
    let disks: Vec<(i32, DiskHealth, bool, bool)> =
        d.cs.sim.brokers.iter().map(|(b, s)| (*b, s.disk().health, s.process.is_some(), s.disk().write_latency_ms > 0)).collect();
    for (b, health, running, slow) in disks {
        match health {
            DiskHealth::Full => {
                d.apply(Command::DiskFault { broker: b, fault: DiskFault::SpaceFreed });
            }
            DiskHealth::Failed if !running => {
                d.apply(Command::DiskFault { broker: b, fault: DiskFault::Replaced });
            }
            _ => {}
        }
        if slow {
            d.apply(Command::SlowDisk { broker: b, write_latency_ms: 0 });
        }
    }
    let brokers: Vec<(i32, NodeStatus)> = d.cs.sim.brokers.iter().map(|(b, s)| (*b, s.status())).collect();
    for (b, status) in brokers {
        match status {
            NodeStatus::Crashed | NodeStatus::Stopped => {
                d.apply(Command::RestartBroker { broker: b });
            }
            NodeStatus::Paused => {
                d.apply(Command::ResumeBroker { broker: b });
            }
            _ => {}
        }
    }
}

/// What keeps a healed cluster from being recovered: a partition without a leader or
/// with a partial ISR, or a write of `acked` (acknowledged before healing, and not
/// already reported lost) that is not below its leader's HW at its offset.
pub fn end_state_problems(cs: &CheckedSim, acked: &[u64]) -> Vec<Problem> {
    let sim = &cs.sim;
    let now = sim.now_ms();
    let mut out = vec![];
    for (tp, p) in &sim.controller.partitions {
        if p.leader == NO_LEADER {
            out.push(Problem { invariant: "NoLeaderAfterHealing".into(), time_ms: now, message: format!("{tp} has no leader") });
        } else if p.isr.len() != p.replicas.len() {
            out.push(Problem {
                invariant: "IsrNotRefilledAfterHealing".into(),
                time_ms: now,
                message: format!("ISR of {tp} is {:?} of replicas {:?}", p.isr, p.replicas),
            });
        }
    }
    let lost: BTreeSet<u64> = lost_acknowledged_writes(sim).iter().map(|l| l.write_id).collect_set();
    for id in acked {
        let Some(s) = sim.producer.sends.get(id) else { continue };
        let SendOutcome::Acked { offset, .. } = s.outcome else { continue };
        if offset < 0 || lost.contains(id) {
            continue;
        }
        let Some(partition) = s.partition else { continue };
        let tp = crate::ids::TopicPartition::new(&s.topic, partition);
        let Some(st) = sim.controller.partitions.get(&tp) else { continue };
        let readable = st.leader != NO_LEADER
            && sim.brokers.get(&st.leader).and_then(|b| b.process.as_ref()).and_then(|p| p.disk.logs.get(&tp)).is_some_and(|log| {
                offset < log.high_watermark()
                    && (offset < log.log_start_offset() || log.record_at(offset).is_some_and(|r| r.write_id == *id))
            });
        if !readable {
            out.push(Problem {
                invariant: "AcknowledgedWriteUnreadableAfterHealing".into(),
                time_ms: now,
                message: format!("acknowledged offset {offset} of {tp} is not readable from its leader"),
            });
            break;
        }
    }
    out
}
