//! Scenario files: a cluster, its configs and topics, and a list of commands
//! (optionally at given times). Parsed with errors that name the field; run
//! with the invariant checker watching every step. Format: docs/scenarios.md.

pub mod stop_claims;

use crate::check::CheckedSim;
use crate::command::Command;
use crate::config::{BrokerConfig, ProducerConfig};
use crate::errors::CommandError;
use crate::lean::CollectBTree;
use crate::sim::{BrokerSpec, ClusterSpec, Sim};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Largest scenario file accepted (bytes).
pub const MAX_SCENARIO_BYTES: usize = 4 * 1024 * 1024;
/// Deepest JSON nesting a scenario may have (a shared link adds two levels, and JSON
/// readers stop at 128).
pub const MAX_SCENARIO_DEPTH: usize = 64;

/// Nesting depth of a JSON value (a scalar is 1), without recursion.
fn json_depth(v: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(v, 1)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    deepest
}
/// Most steps in one scenario.
pub const MAX_STEPS: usize = 100_000;
/// Most brokers a scenario may give as a number (`"brokers": 12`): the picture draws them legibly.
pub use crate::sim::MAX_BROKERS;

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
    /// Guided-scenario stops (empty for a free playground).
    pub narration: Vec<NarrationStep>,
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
    &["name", "description", "seed", "brokers", "broker_config", "producer_config", "features", "topics", "steps", "expect", "narration"];

/// Most narration steps in one scenario.
pub const MAX_NARRATION: usize = 64;

/// One stop of a guided scenario: the story pauses at `at_ms` (absolute simulated
/// time) and shows `title` and `text`, highlighting what `look_at` names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NarrationStep {
    pub at_ms: i64,
    pub title: String,
    pub text: String,
    pub look_at: Vec<LookAt>,
    /// What the stop claims about the run at `at_ms` (checked by tests/integration/guided_stops.rs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<stop_claims::StopExpect>,
}

/// Something on the page a narration step points at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LookAt {
    Broker { broker: i32 },
    Controller,
    Partition { topic: String, partition: u32 },
    Replica { topic: String, partition: u32, broker: i32 },
    Consumer { consumer: u32 },
    Panel { panel: String },
}

/// Panels a narration step may point at (the page's names).
pub const NARRATION_PANELS: &[&str] =
    &["invariants", "audit", "events", "metrics", "consumer-group", "reassignments", "describe", "segments", "producer"];

/// `"orders-0"` → ("orders", 0): the partition number follows the last `-`.
fn split_tp(s: &str) -> Option<(String, u32)> {
    let (t, p) = s.rsplit_once('-')?;
    if t.is_empty() || p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 6 {
        return None;
    }
    Some((t.to_string(), p.parse().ok()?))
}

impl LookAt {
    /// Parses `broker:2`, `controller`, `partition:orders-0`, `replica:orders-0@2`, `consumer:1`, `panel:invariants`.
    pub fn parse(s: &str) -> Result<LookAt, String> {
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        let bad = || {
            format!(
                "\"{s}\" is not a target; expected broker:<id>, controller, partition:<topic>-<p>, replica:<topic>-<p>@<broker>, consumer:<id> or panel:<{}>",
                NARRATION_PANELS.join("|")
            )
        };
        let int = |x: &str| x.parse::<i64>().ok().filter(|v| (0..=i32::MAX as i64).contains(v));
        Ok(match kind {
            "broker" => LookAt::Broker { broker: int(arg).ok_or_else(bad)? as i32 },
            "controller" if arg.is_empty() => LookAt::Controller,
            "partition" => {
                let (topic, partition) = split_tp(arg).ok_or_else(bad)?;
                LookAt::Partition { topic, partition }
            }
            "replica" => {
                let (tp, b) = arg.split_once('@').ok_or_else(bad)?;
                let (topic, partition) = split_tp(tp).ok_or_else(bad)?;
                LookAt::Replica { topic, partition, broker: int(b).ok_or_else(bad)? as i32 }
            }
            "consumer" => LookAt::Consumer { consumer: int(arg).ok_or_else(bad)? as u32 },
            "panel" if NARRATION_PANELS.contains(&arg) => LookAt::Panel { panel: arg.to_string() },
            _ => return Err(bad()),
        })
    }
}

fn parse_narration(v: &Value, brokers: &[BrokerSpec], topics: &[Command], steps: &[Step]) -> Result<Vec<NarrationStep>, ScenarioError> {
    let arr = v.as_array().ok_or_else(|| err("narration", "expected a list of {\"at_ms\", \"title\", \"text\", \"look_at\"}"))?;
    if arr.len() > MAX_NARRATION {
        return Err(err("narration", format!("{} steps; the limit is {MAX_NARRATION}", arr.len())));
    }
    // Partitions per topic named in the scenario, grown by its `create_partitions` steps (topics
    // created later by commands are not known here).
    let mut known: BTreeMap<&str, Option<u32>> = BTreeMap::new();
    for t in topics {
        if let Command::CreateTopic { name, partitions, .. } = t {
            known.insert(name, *partitions);
        }
    }
    for s in steps {
        if let Command::CreatePartitions { topic, count } = &s.command {
            if let Some(n) = known.get_mut(topic.as_str()) {
                *n = Some(n.unwrap_or(1).max(*count));
            }
        }
    }
    let topic_ok = |topic: &str, p: u32| match known.get(topic) {
        Some(n) => p < n.unwrap_or(1),
        None => topic == crate::broker::group_coordinator::OFFSETS_TOPIC,
    };
    let mut out: Vec<NarrationStep> = vec![];
    for (i, item) in arr.iter().enumerate() {
        let f = format!("narration[{i}]");
        let o = item.as_object().ok_or_else(|| err(&f, "expected {\"at_ms\", \"title\", \"text\", \"look_at\"}"))?;
        for k in o.keys() {
            if !["at_ms", "title", "text", "look_at", "expect"].contains(&k.as_str()) {
                return Err(err(format!("{f}.{k}"), "unknown field; expected at_ms, title, text, look_at or expect"));
            }
        }
        let at_ms = o
            .get("at_ms")
            .and_then(|x| x.as_i64())
            .filter(|x| (0..=crate::command::MAX_RUN_MS).contains(x))
            .ok_or_else(|| err(format!("{f}.at_ms"), "expected a simulated time in ms, 0 to 86400000"))?;
        if let Some(prev) = out.last() {
            if at_ms < prev.at_ms {
                return Err(err(format!("{f}.at_ms"), format!("narration goes back in time ({at_ms} < {})", prev.at_ms)));
            }
        }
        let text_field = |k: &str, max: usize| -> Result<String, ScenarioError> {
            let s = o.get(k).and_then(|x| x.as_str()).ok_or_else(|| err(format!("{f}.{k}"), "expected text"))?;
            let n = s.chars().count();
            if n == 0 || n > max {
                return Err(err(format!("{f}.{k}"), format!("expected 1 to {max} characters, got {n}")));
            }
            Ok(s.to_string())
        };
        let title = text_field("title", 120)?;
        let text = text_field("text", 2000)?;
        let partition_ok = |tp: &str| split_tp(tp).is_some_and(|(t, p)| topic_ok(&t, p));
        stop_claims::check_placeholders(&text, &format!("{f}.text"), &partition_ok)?;
        let expect = match o.get("expect") {
            None | Some(Value::Null) => None,
            Some(v) => Some(stop_claims::parse_expect(v, &f, &partition_ok)?),
        };
        let mut look_at = vec![];
        if let Some(l) = o.get("look_at") {
            let l = l.as_array().ok_or_else(|| err(format!("{f}.look_at"), "expected a list of targets such as \"broker:2\""))?;
            for (j, t) in l.iter().enumerate() {
                let lf = format!("{f}.look_at[{j}]");
                let t = t.as_str().ok_or_else(|| err(&lf, "expected a target such as \"broker:2\""))?;
                let target = LookAt::parse(t).map_err(|m| err(&lf, m))?;
                let broker_known = |b: i32| brokers.iter().any(|s| s.id == b);
                match &target {
                    LookAt::Broker { broker } | LookAt::Replica { broker, .. } if !broker_known(*broker) => {
                        return Err(err(&lf, format!("no broker {broker} in this scenario")));
                    }
                    LookAt::Partition { topic, partition } | LookAt::Replica { topic, partition, .. } if !topic_ok(topic, *partition) => {
                        return Err(err(&lf, format!("no partition {topic}-{partition} among the scenario's topics")));
                    }
                    _ => {}
                }
                look_at.push(target);
            }
        }
        out.push(NarrationStep { at_ms, title, text, look_at, expect });
    }
    Ok(out)
}

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
            push("lost_acknowledged_writes".into(), n.to_string(), crate::check::audit::lost_acknowledged_writes(sim).len().to_string());
        }
        if let Some(n) = self.acknowledged {
            let a =
                sim.producer.retired_acked + sim.producer.sends.values().filter(|s| matches!(s.outcome, SendOutcome::Acked { .. })).count();
            push("acknowledged".into(), n.to_string(), a.to_string());
        }
        if let Some(n) = self.failed {
            let a = sim.producer.retired_failed
                + sim.producer.sends.values().filter(|s| matches!(s.outcome, SendOutcome::Failed { .. })).count();
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
            crate::lean::sort(&mut want);
            let got: Vec<String> = cs.checker.names().into_iter().map(String::from).collect();
            push("violated invariants".into(), format!("{want:?}"), format!("{got:?}"));
        }
        out
    }
}

/// `brokers`: a number of brokers (ids 1..=n) or a list of {"id", "rack"}; three by default.
fn parse_brokers(v: Option<&Value>) -> Result<Vec<BrokerSpec>, ScenarioError> {
    Ok(match v {
        None => (1..=3).map(|id| BrokerSpec { id, rack: None }).collect(),
        Some(Value::Number(n)) => {
            let n = n
                .as_u64()
                .filter(|n| (1..=MAX_BROKERS).contains(n))
                .ok_or_else(|| err("brokers", format!("expected 1 to {MAX_BROKERS} brokers")))?;
            (1..=n as i32).map(|id| BrokerSpec { id, rack: None }).collect()
        }
        Some(Value::Array(items)) => {
            let mut specs = vec![];
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
                specs.push(BrokerSpec { id: id as i32, rack });
            }
            specs
        }
        Some(_) => return Err(err("brokers", "expected a number of brokers or a list of {\"id\", \"rack\"}")),
    })
}

/// `features`: whether ELR is enabled (`eligible.leader.replicas.version`, 1 by default).
fn parse_features(features: &BTreeMap<String, Value>) -> Result<bool, ScenarioError> {
    let mut elr_enabled = true;
    for (k, v) in features {
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
    Ok(elr_enabled)
}

/// `topics`: `create_topic` commands without their `type`.
fn parse_topics(v: Option<&Value>) -> Result<Vec<Command>, ScenarioError> {
    let mut topics = vec![];
    if let Some(t) = v {
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
    Ok(topics)
}

/// `steps`: commands, each at an optional `at_ms`.
fn parse_steps(v: Option<&Value>) -> Result<Vec<Step>, ScenarioError> {
    let mut steps = vec![];
    if let Some(s) = v {
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
    Ok(steps)
}

fn config_map(v: Option<&Value>, field: &str) -> Result<BTreeMap<String, Value>, ScenarioError> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect_map()),
        Some(_) => Err(err(field, "expected an object of \"key\": value pairs")),
    }
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(err("(file)", format!("scenario is {} bytes; the limit is {MAX_SCENARIO_BYTES}", text.len())));
        }
        let v: Value = serde_json::from_str(text).map_err(|e| err("(file)", format!("not valid JSON: {e}")))?;
        // A shared link carries the scenario two levels down, and its JSON reader stops at
        // 128 levels (serde_json's recursion limit): refuse what a link could not carry.
        if json_depth(&v) > MAX_SCENARIO_DEPTH {
            return Err(err("(file)", format!("scenario nests deeper than {MAX_SCENARIO_DEPTH} levels")));
        }
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
        let brokers = parse_brokers(obj.get("brokers"))?;
        let broker_config = config_map(obj.get("broker_config"), "broker_config")?;
        let producer_config = config_map(obj.get("producer_config"), "producer_config")?;
        let features = config_map(obj.get("features"), "features")?;
        let elr_enabled = parse_features(&features)?;
        let topics = parse_topics(obj.get("topics"))?;
        let steps = parse_steps(obj.get("steps"))?;
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
        let narration = match obj.get("narration") {
            None | Some(Value::Null) => vec![],
            Some(v) => parse_narration(v, &brokers, &topics, &steps)?,
        };
        let text_field = |key: &str| match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(key, "expected a string")),
        };
        Ok(Scenario {
            expect,
            narration,
            name: text_field("name")?,
            description: text_field("description")?,
            seed,
            brokers,
            broker_config,
            producer_config,
            elr_enabled,
            topics,
            steps,
        })
    }

    /// The steps placed on the timeline, as the page plays them: each command with the
    /// absolute time it is applied at, `run`/`run_until` turned into time passing, and
    /// the time the last step ends (`start_ms` is when start-up finished). Running
    /// until each time and then applying the command is exactly what running the
    /// steps one after the other does, so both give the same trace.
    pub fn timeline(&self, start_ms: i64) -> (Vec<(i64, Command)>, i64) {
        let mut t = start_ms;
        let mut out = vec![];
        for step in &self.steps {
            if let Some(at) = step.at_ms {
                t = t.max(at);
            }
            match &step.command {
                Command::Run { ms } => t = t.saturating_add((*ms).max(0)),
                Command::RunUntil { time_ms } => t = t.max(*time_ms),
                c => out.push((t, c.clone())),
            }
        }
        (out, t)
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
