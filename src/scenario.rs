//! Scenario files: a cluster, its configs and topics, and a list of commands
//! (optionally at given times). Parsed with errors that name the field; run
//! with the invariant checker watching every step. Format: docs/scenarios.md.

use crate::checker::Checker;
use crate::command::Command;
use crate::config::{BrokerConfig, ProducerConfig};
use crate::errors::CommandError;
use crate::sim::{BrokerSpec, ClusterSpec, Sim};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Largest scenario file accepted (bytes).
pub const MAX_SCENARIO_BYTES: usize = 4 * 1024 * 1024;
/// Most steps in one scenario.
pub const MAX_STEPS: usize = 100_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at_ms: Option<i64>,
    pub command: Command,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub seed: u64,
    pub brokers: Vec<BrokerSpec>,
    pub broker_config: BTreeMap<String, Value>,
    pub producer_config: BTreeMap<String, Value>,
    pub elr_enabled: bool,
    pub topics: Vec<Command>,
    pub steps: Vec<Step>,
    pub expect: Option<Expect>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError { field: field.into(), message: message.into() }
}

impl From<CommandError> for ScenarioError {
    fn from(e: CommandError) -> Self {
        err(e.field.clone(), format!("{}: {}", e.error, e.message))
    }
}

const TOP_LEVEL_KEYS: &[&str] =
    &["name", "description", "seed", "brokers", "broker_config", "producer_config", "features", "topics", "steps", "expect"];

/// What a scenario file says its run must end with (checked by the CLI and the tests).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    pub lost_acknowledged_writes: Option<usize>,
    pub acknowledged: Option<usize>,
    pub failed: Option<usize>,
    /// "topic-partition" → leader broker id, or null for no leader.
    pub leaders: BTreeMap<String, Option<i32>>,
    /// "topic-partition" → ISR.
    pub isr: BTreeMap<String, Vec<i32>>,
    /// Names of the invariants that must be violated (empty: none may be).
    pub violations: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExpectationResult {
    pub what: String,
    pub expected: String,
    pub actual: String,
    pub ok: bool,
}

fn parse_expect(v: &Value) -> Result<Expect, ScenarioError> {
    let o = v.as_object().ok_or_else(|| err("expect", "expected an object"))?;
    let mut e = Expect::default();
    for (k, x) in o {
        let f = format!("expect.{k}");
        let count = || x.as_u64().map(|n| n as usize).ok_or_else(|| err(&f, "expected a count ≥ 0"));
        match k.as_str() {
            "lost_acknowledged_writes" => e.lost_acknowledged_writes = Some(count()?),
            "acknowledged" => e.acknowledged = Some(count()?),
            "failed" => e.failed = Some(count()?),
            "leaders" => {
                for (tp, l) in x.as_object().ok_or_else(|| err(&f, "expected {\"topic-0\": broker or null}"))? {
                    let leader = if l.is_null() {
                        None
                    } else {
                        Some(l.as_i64().ok_or_else(|| err(format!("{f}.{tp}"), "expected a broker id or null"))? as i32)
                    };
                    e.leaders.insert(tp.clone(), leader);
                }
            }
            "isr" => {
                for (tp, l) in x.as_object().ok_or_else(|| err(&f, "expected {\"topic-0\": [broker, ...]}"))? {
                    let ids = l.as_array().ok_or_else(|| err(format!("{f}.{tp}"), "expected a list of broker ids"))?;
                    let ids = ids
                        .iter()
                        .map(|b| b.as_i64().map(|b| b as i32))
                        .collect::<Option<Vec<i32>>>()
                        .ok_or_else(|| err(format!("{f}.{tp}"), "expected broker ids"))?;
                    e.isr.insert(tp.clone(), ids);
                }
            }
            "violations" => {
                let names = x.as_array().ok_or_else(|| err(&f, "expected a list of invariant names"))?;
                e.violations = Some(
                    names
                        .iter()
                        .map(|n| n.as_str().map(String::from))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| err(&f, "expected invariant names"))?,
                );
            }
            _ => {
                return Err(err(
                    f,
                    "unknown expectation; expected lost_acknowledged_writes, acknowledged, failed, leaders, isr or violations",
                ))
            }
        }
    }
    Ok(e)
}

impl Expect {
    /// Compares a finished run with the expectations.
    pub fn check(&self, cs: &CheckedSim) -> Vec<ExpectationResult> {
        use crate::client::producer::SendOutcome;
        let mut out = vec![];
        let mut push = |what: String, expected: String, actual: String| {
            let ok = expected == actual;
            out.push(ExpectationResult { what, expected, actual, ok });
        };
        let sim = &cs.sim;
        if let Some(n) = self.lost_acknowledged_writes {
            push("lost_acknowledged_writes".into(), n.to_string(), crate::audit::lost_acknowledged_writes(sim).len().to_string());
        }
        if let Some(n) = self.acknowledged {
            let a = sim.producer.sends.values().filter(|s| matches!(s.outcome, SendOutcome::Acked { .. })).count();
            push("acknowledged".into(), n.to_string(), a.to_string());
        }
        if let Some(n) = self.failed {
            let a = sim.producer.sends.values().filter(|s| matches!(s.outcome, SendOutcome::Failed { .. })).count();
            push("failed".into(), n.to_string(), a.to_string());
        }
        let fmt_leader = |l: Option<i32>| l.map(|b| b.to_string()).unwrap_or_else(|| "none".into());
        for (tp, l) in &self.leaders {
            let actual = sim
                .controller
                .partitions
                .iter()
                .find(|(k, _)| &k.to_string() == tp)
                .map(|(_, p)| fmt_leader((p.leader != crate::ids::NO_LEADER).then_some(p.leader)));
            push(format!("leader of {tp}"), fmt_leader(*l), actual.unwrap_or_else(|| "no such partition".into()));
        }
        for (tp, isr) in &self.isr {
            let actual = sim.controller.partitions.iter().find(|(k, _)| &k.to_string() == tp).map(|(_, p)| format!("{:?}", p.isr));
            push(format!("isr of {tp}"), format!("{isr:?}"), actual.unwrap_or_else(|| "no such partition".into()));
        }
        if let Some(v) = &self.violations {
            let mut want = v.clone();
            want.sort();
            let got: Vec<String> = cs.checker.names().into_iter().map(String::from).collect();
            push("violated invariants".into(), format!("{want:?}"), format!("{got:?}"));
        }
        out
    }
}

fn config_map(v: Option<&Value>, field: &str) -> Result<BTreeMap<String, Value>, ScenarioError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Some(_) => Err(err(field, "expected an object of \"key\": value pairs")),
    }
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(err("(file)", format!("scenario is {} bytes; the limit is {MAX_SCENARIO_BYTES}", text.len())));
        }
        let v: Value = serde_json::from_str(text).map_err(|e| err("(file)", format!("not valid JSON: {e}")))?;
        let Value::Object(obj) = v else { return Err(err("(file)", "a scenario is a JSON object")) };
        Scenario::from_object(&obj)
    }

    pub fn from_object(obj: &Map<String, Value>) -> Result<Scenario, ScenarioError> {
        for k in obj.keys() {
            if !TOP_LEVEL_KEYS.contains(&k.as_str()) {
                return Err(err(k.clone(), format!("unknown field; expected one of {}", TOP_LEVEL_KEYS.join(", "))));
            }
        }
        let seed = match obj.get("seed") {
            None => 1,
            Some(v) => v.as_u64().ok_or_else(|| err("seed", "expected a non-negative integer"))?,
        };
        let brokers = match obj.get("brokers") {
            None => (1..=3).map(|id| BrokerSpec { id, rack: None }).collect(),
            Some(Value::Number(n)) => {
                let n = n.as_u64().filter(|n| (1..=12).contains(n)).ok_or_else(|| err("brokers", "expected 1 to 12 brokers"))?;
                (1..=n as i32).map(|id| BrokerSpec { id, rack: None }).collect()
            }
            Some(Value::Array(items)) => {
                let mut v = vec![];
                for (i, item) in items.iter().enumerate() {
                    let f = format!("brokers[{i}]");
                    let o = item.as_object().ok_or_else(|| err(&f, "expected {\"id\": N, \"rack\": \"name\"}"))?;
                    for k in o.keys() {
                        if k != "id" && k != "rack" {
                            return Err(err(format!("{f}.{k}"), "unknown field; expected id or rack"));
                        }
                    }
                    let id = o
                        .get("id")
                        .and_then(|x| x.as_i64())
                        .filter(|x| (0..=i32::MAX as i64).contains(x))
                        .ok_or_else(|| err(format!("{f}.id"), "expected a broker id ≥ 0"))?;
                    let rack = match o.get("rack") {
                        None | Some(Value::Null) => None,
                        Some(Value::String(s)) if !s.is_empty() && s.len() <= 64 => Some(s.clone()),
                        Some(_) => return Err(err(format!("{f}.rack"), "expected a rack name (1 to 64 characters)")),
                    };
                    v.push(BrokerSpec { id: id as i32, rack });
                }
                v
            }
            Some(_) => return Err(err("brokers", "expected a number of brokers or a list of {\"id\", \"rack\"}")),
        };
        let broker_config = config_map(obj.get("broker_config"), "broker_config")?;
        let producer_config = config_map(obj.get("producer_config"), "producer_config")?;
        let features = config_map(obj.get("features"), "features")?;
        let mut elr_enabled = true;
        for (k, v) in &features {
            match k.as_str() {
                "eligible.leader.replicas.version" => {
                    elr_enabled = match v.as_u64() {
                        Some(0) => false,
                        Some(1) => true,
                        _ => return Err(err(format!("features.{k}"), "expected 0 or 1")),
                    }
                }
                _ => return Err(err(format!("features.{k}"), "unknown feature; known: eligible.leader.replicas.version")),
            }
        }
        let mut topics = vec![];
        if let Some(t) = obj.get("topics") {
            let arr = t.as_array().ok_or_else(|| err("topics", "expected a list of topics"))?;
            for (i, t) in arr.iter().enumerate() {
                let mut t = t.clone();
                if let Value::Object(m) = &mut t {
                    m.insert("type".into(), Value::String("create_topic".into()));
                }
                let c = Command::from_value(t).map_err(|e| err(format!("topics[{i}]"), e))?;
                topics.push(c);
            }
        }
        let mut steps = vec![];
        if let Some(s) = obj.get("steps") {
            let arr = s.as_array().ok_or_else(|| err("steps", "expected a list of commands"))?;
            if arr.len() > MAX_STEPS {
                return Err(err("steps", format!("{} steps; the limit is {MAX_STEPS}", arr.len())));
            }
            for (i, s) in arr.iter().enumerate() {
                let f = format!("steps[{i}]");
                let mut s = s.clone();
                let mut at_ms = None;
                if let Value::Object(m) = &mut s {
                    if let Some(a) = m.remove("at_ms") {
                        at_ms = Some(a.as_i64().filter(|x| *x >= 0).ok_or_else(|| err(format!("{f}.at_ms"), "expected a time in ms ≥ 0"))?);
                    }
                } else {
                    return Err(err(f, "expected a command object such as {\"type\": \"run\", \"ms\": 1000}"));
                }
                let command = Command::from_value(s).map_err(|e| err(&f, e))?;
                steps.push(Step { at_ms, command });
            }
        }
        // Validate configs now, so that errors name the scenario field.
        let mut bc = BrokerConfig::default();
        for (k, v) in &broker_config {
            bc.set(k, v).map_err(|e| err(format!("broker_config.{k}"), e.message))?;
        }
        let mut pc = ProducerConfig::default();
        for (k, v) in &producer_config {
            pc.set(k, v).map_err(|e| err(format!("producer_config.{k}"), e.message))?;
        }
        let expect = match obj.get("expect") {
            None | Some(Value::Null) => None,
            Some(v) => Some(parse_expect(v)?),
        };
        Ok(Scenario {
            expect,
            name: obj.get("name").and_then(|v| v.as_str()).map(String::from),
            description: obj.get("description").and_then(|v| v.as_str()).map(String::from),
            seed,
            brokers,
            broker_config,
            producer_config,
            elr_enabled,
            topics,
            steps,
        })
    }

    pub fn cluster_spec(&self) -> Result<ClusterSpec, ScenarioError> {
        let mut spec = ClusterSpec::new(self.seed, self.brokers.len());
        spec.brokers = self.brokers.clone();
        spec.elr_enabled = self.elr_enabled;
        for (k, v) in &self.broker_config {
            if k.starts_with("sim.network.") {
                continue;
            }
            spec.broker_config.set(k, v).map_err(|e| err(format!("broker_config.{k}"), e.message))?;
        }
        for (k, v) in &self.producer_config {
            spec.producer_config.set(k, v).map_err(|e| err(format!("producer_config.{k}"), e.message))?;
        }
        Ok(spec)
    }
}

/// A simulation under the invariant checker.
pub struct CheckedSim {
    pub sim: Sim,
    pub checker: Checker,
    /// Run the costly invariants every this many events (1 = every event).
    pub slow_check_every: u64,
}

impl CheckedSim {
    pub fn new(sim: Sim) -> CheckedSim {
        CheckedSim { sim, checker: Checker::default(), slow_check_every: 1 }
    }

    pub fn step(&mut self) -> bool {
        let more = self.sim.step();
        if self.slow_check_every == u64::MAX {
            return more;
        }
        self.checker.check_fast(&self.sim);
        if self.slow_check_every <= 1 || self.sim.events_processed.is_multiple_of(self.slow_check_every) {
            self.checker.check_slow(&self.sim);
        }
        more
    }

    pub fn run_until(&mut self, until_ms: i64) {
        loop {
            match self.sim_next_time() {
                Some(t) if t <= until_ms => {
                    self.step();
                }
                _ => break,
            }
        }
        // Moves the clock (no event left before `until_ms`).
        self.sim.run_until(until_ms);
    }

    fn sim_next_time(&self) -> Option<i64> {
        self.sim.next_event_time()
    }

    /// Applies a command; `run`, `run_until` and `step` go through the checker.
    pub fn apply(&mut self, cmd: Command) -> Result<(), CommandError> {
        match cmd {
            Command::Run { ms } => {
                if !(0..=crate::command::MAX_RUN_MS).contains(&ms) {
                    return Err(CommandError::invalid_request("ms", format!("run takes 0 to {} ms, got {ms}", crate::command::MAX_RUN_MS)));
                }
                let now = self.sim.now_ms();
                self.sim.command_log.push((now, Command::Run { ms }));
                self.run_until(now + ms);
                Ok(())
            }
            Command::RunUntil { time_ms } => {
                let now = self.sim.now_ms();
                if time_ms < now || time_ms - now > crate::command::MAX_RUN_MS {
                    return Err(CommandError::invalid_request(
                        "time_ms",
                        format!("time_ms must be between now ({now}) and now + {}", crate::command::MAX_RUN_MS),
                    ));
                }
                self.sim.command_log.push((now, Command::RunUntil { time_ms }));
                self.run_until(time_ms);
                Ok(())
            }
            Command::Step => {
                self.sim.command_log.push((self.sim.now_ms(), Command::Step));
                self.step();
                Ok(())
            }
            other => {
                let r = self.sim.apply(other);
                self.checker.check(&self.sim);
                r
            }
        }
    }

    pub fn final_check(&mut self) {
        self.checker.check(&self.sim);
    }
}

/// Builds the cluster of a scenario, waits for the brokers to come online and
/// creates its topics.
pub fn start(scenario: &Scenario) -> Result<CheckedSim, ScenarioError> {
    let spec = scenario.cluster_spec()?;
    let mut sim = Sim::new(spec)?;
    for (k, v) in &scenario.broker_config {
        if k.starts_with("sim.network.") {
            let (min, max, loss) = match k.as_str() {
                "sim.network.min.latency.ms" => (v.as_i64(), None, None),
                "sim.network.max.latency.ms" => (None, v.as_i64(), None),
                "sim.network.loss" => (None, None, v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))),
                _ => return Err(err(format!("broker_config.{k}"), "unknown network setting")),
            };
            sim.apply(Command::SetNetwork { min_latency_ms: min, max_latency_ms: max, loss })
                .map_err(|e| err(format!("broker_config.{k}"), e.message))?;
        }
    }
    let mut cs = CheckedSim::new(sim);
    let until = cs.sim.now_ms() + 30_000;
    while cs.sim.now_ms() < until && !cs.sim.brokers.values().all(|s| s.status() == crate::sim::NodeStatus::Online) {
        if !cs.step() {
            break;
        }
    }
    for (i, t) in scenario.topics.iter().enumerate() {
        cs.apply(t.clone()).map_err(|e| err(format!("topics[{i}].{}", e.field), format!("{}: {}", e.error, e.message)))?;
    }
    Ok(cs)
}

/// Runs a whole scenario: start, then every step (waiting for `at_ms` first).
pub fn run(scenario: &Scenario) -> Result<CheckedSim, ScenarioError> {
    let mut cs = start(scenario)?;
    for (i, step) in scenario.steps.iter().enumerate() {
        if let Some(at) = step.at_ms {
            if at > cs.sim.now_ms() {
                cs.run_until(at);
            }
        }
        cs.apply(step.command.clone()).map_err(|e| err(format!("steps[{i}].{}", e.field), format!("{}: {}", e.error, e.message)))?;
    }
    cs.final_check();
    Ok(cs)
}
