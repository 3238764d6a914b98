//! What a narration stop claims (its `expect` block) and the `{placeholders}` its text may use,
//! parsed from a scenario file; `page/narration.rs` checks the claims against the run and fills
//! the placeholders. A stop's optional `expect` lists facts in Kafka's words
//! (invariants violated or holding, leaders, ISR, ELR, leader epochs, high watermarks,
//! errors the producer received, acknowledged / failed / lost counts, event-log lines);
//! `{placeholders}` in its text (`{acknowledged}`, `{leader:orders-0}`, ...) are replaced
//! by the run's values when the page shows the stop. Format: docs/scenarios.md.

use super::ScenarioError;
use serde_json::Value;
use std::collections::BTreeMap;

/// A count a stop claims: exactly `n` (`3`), or within bounds (`{"min": 1}`, `{"min": 1, "max": 5}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CountClaim {
    pub min: u64,
    pub max: Option<u64>,
}

impl CountClaim {
    pub(crate) fn holds(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|m| n <= m)
    }
}

impl std::fmt::Display for CountClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.max {
            Some(m) if m == self.min => write!(f, "{m}"),
            Some(m) => write!(f, "{} to {m}", self.min),
            None => write!(f, "at least {}", self.min),
        }
    }
}

/// The facts a narration stop claims (every field optional; an empty one claims nothing).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StopExpect {
    /// `true`: the page's verdict is "all invariants hold"; `false`: some invariant is violated.
    pub holds: Option<bool>,
    /// Invariants that must be in the verdict.
    pub violated: Vec<String>,
    /// "topic-partition" → leader broker id, or `None` for offline (`Leader: none`).
    pub leaders: BTreeMap<String, Option<i32>>,
    pub leader_epochs: BTreeMap<String, i32>,
    /// "topic-partition" → ISR, in the controller's order (as `--describe` prints it).
    pub isr: BTreeMap<String, Vec<i32>>,
    /// "topic-partition" → brokers that are in its ISR (in any order, with others or not).
    pub in_isr: BTreeMap<String, Vec<i32>>,
    /// "topic-partition" → brokers that are not in its ISR.
    pub not_in_isr: BTreeMap<String, Vec<i32>>,
    pub elr: BTreeMap<String, Vec<i32>>,
    /// "topic-partition" → the controller's replica list, in its order (a reassignment's adding
    /// and removing replicas included, as `--describe` prints `Replicas:`).
    pub replicas: BTreeMap<String, Vec<i32>>,
    /// "topic-partition" → a reassignment's adding replicas (`[]`: none in progress).
    pub adding: BTreeMap<String, Vec<i32>>,
    /// "topic-partition" → the leader's high watermark.
    pub high_watermarks: BTreeMap<String, i64>,
    /// Kafka error names the producer has received by the stop.
    pub errors_seen: Vec<String>,
    /// Kafka error names the producer has not received by the stop.
    pub errors_not_seen: Vec<String>,
    pub acknowledged: Option<CountClaim>,
    pub failed: Option<CountClaim>,
    pub lost_acknowledged_writes: Option<CountClaim>,
    /// Text that must appear in an event-log line at or before the stop (one per entry).
    pub events: Vec<String>,
}

/// Keys of a stop's `expect`.
pub const EXPECT_KEYS: &[&str] = &[
    "holds",
    "violated",
    "leaders",
    "leader_epochs",
    "isr",
    "in_isr",
    "not_in_isr",
    "elr",
    "replicas",
    "adding",
    "high_watermarks",
    "errors_seen",
    "errors_not_seen",
    "acknowledged",
    "failed",
    "lost_acknowledged_writes",
    "events",
];

/// Placeholders a stop's text may hold; those ending in `:` take a partition (`{isr:orders-0}`).
pub const PLACEHOLDERS: &[&str] = &["acknowledged", "failed", "lost", "leader:", "epoch:", "isr:", "elr:", "replicas:", "hw:"];

fn err(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError { field: field.into(), message: message.into() }
}

/// Parses a stop's `expect` (`f` is the stop's field, e.g. `narration[3]`); `partition_ok`
/// says whether a "topic-partition" name is one of the scenario's.
pub fn parse_expect(v: &Value, f: &str, partition_ok: &dyn Fn(&str) -> bool) -> Result<StopExpect, ScenarioError> {
    let f = format!("{f}.expect");
    let o = v.as_object().ok_or_else(|| err(&f, "expected an object of claims such as {\"leaders\": {\"orders-0\": 2}}"))?;
    let mut e = StopExpect::default();
    for (k, x) in o {
        let kf = format!("{f}.{k}");
        let per_partition = |what: &str| -> Result<Vec<(String, &Value)>, ScenarioError> {
            let m = x.as_object().ok_or_else(|| err(&kf, format!("expected {{\"topic-0\": {what}}}")))?;
            m.iter()
                .map(|(tp, v)| {
                    if partition_ok(tp) {
                        Ok((tp.clone(), v))
                    } else {
                        Err(err(format!("{kf}.{tp}"), format!("no partition {tp} among the scenario's topics")))
                    }
                })
                .collect()
        };
        let names = |what: &str| -> Result<Vec<String>, ScenarioError> {
            let a = x.as_array().ok_or_else(|| err(&kf, format!("expected a list of {what}")))?;
            a.iter().map(|n| n.as_str().map(String::from).ok_or_else(|| err(&kf, format!("expected a list of {what}")))).collect()
        };
        let ids = |tp: &str, v: &Value| -> Result<Vec<i32>, ScenarioError> {
            v.as_array()
                .and_then(|a| a.iter().map(|b| b.as_i64().and_then(|b| i32::try_from(b).ok())).collect::<Option<Vec<_>>>())
                .ok_or_else(|| err(format!("{kf}.{tp}"), "expected a list of broker ids"))
        };
        match k.as_str() {
            "holds" => e.holds = Some(x.as_bool().ok_or_else(|| err(&kf, "expected true or false"))?),
            "violated" => {
                e.violated = names("invariant names")?;
                if let Some(n) = e.violated.iter().find(|n| crate::check::checker::Invariant::from_name(n).is_none()) {
                    let known: Vec<&str> = crate::check::checker::Invariant::ALL.iter().map(|i| i.as_str()).collect();
                    return Err(err(&kf, format!("{n} is not an invariant; known: {}", known.join(", "))));
                }
            }
            "leaders" => {
                for (tp, l) in per_partition("broker id or null")? {
                    let leader = match l {
                        Value::Null => None,
                        l => Some(
                            l.as_i64()
                                .and_then(|b| i32::try_from(b).ok())
                                .ok_or_else(|| err(format!("{kf}.{tp}"), "expected a broker id or null"))?,
                        ),
                    };
                    e.leaders.insert(tp, leader);
                }
            }
            "leader_epochs" => {
                for (tp, n) in per_partition("leader epoch")? {
                    let n = n
                        .as_i64()
                        .and_then(|n| i32::try_from(n).ok())
                        .ok_or_else(|| err(format!("{kf}.{tp}"), "expected a leader epoch"))?;
                    e.leader_epochs.insert(tp, n);
                }
            }
            "isr" | "in_isr" | "not_in_isr" | "elr" | "replicas" | "adding" => {
                let mut m = BTreeMap::new();
                for (tp, l) in per_partition("[broker, ...]")? {
                    let l = ids(&tp, l)?;
                    m.insert(tp, l);
                }
                *match k.as_str() {
                    "isr" => &mut e.isr,
                    "in_isr" => &mut e.in_isr,
                    "not_in_isr" => &mut e.not_in_isr,
                    "replicas" => &mut e.replicas,
                    "adding" => &mut e.adding,
                    _ => &mut e.elr,
                } = m;
            }
            "high_watermarks" => {
                for (tp, n) in per_partition("offset")? {
                    let n = n.as_i64().filter(|n| *n >= 0).ok_or_else(|| err(format!("{kf}.{tp}"), "expected an offset ≥ 0"))?;
                    e.high_watermarks.insert(tp, n);
                }
            }
            "errors_seen" | "errors_not_seen" => {
                let l = names("Kafka error names")?;
                if let Some(n) =
                    l.iter().find(|n| serde_json::from_value::<crate::errors::KafkaError>(Value::String((*n).clone())).is_err())
                {
                    return Err(err(&kf, format!("{n} is not a Kafka error name (such as NOT_ENOUGH_REPLICAS)")));
                }
                if k == "errors_seen" {
                    e.errors_seen = l
                } else {
                    e.errors_not_seen = l
                }
            }
            "acknowledged" | "failed" | "lost_acknowledged_writes" => {
                let c = parse_count(x).ok_or_else(|| err(&kf, "expected a count ≥ 0 or {\"min\": n, \"max\": m}"))?;
                match k.as_str() {
                    "acknowledged" => e.acknowledged = Some(c),
                    "failed" => e.failed = Some(c),
                    _ => e.lost_acknowledged_writes = Some(c),
                }
            }
            "events" => {
                e.events = names("texts")?;
                if e.events.iter().any(|t| t.is_empty()) {
                    return Err(err(&kf, "expected non-empty texts"));
                }
            }
            _ => return Err(err(&kf, format!("unknown claim; expected one of {}", EXPECT_KEYS.join(", ")))),
        }
    }
    Ok(e)
}

fn parse_count(x: &Value) -> Option<CountClaim> {
    if let Some(n) = x.as_u64() {
        return Some(CountClaim { min: n, max: Some(n) });
    }
    let o = x.as_object()?;
    if o.is_empty() || o.keys().any(|k| k != "min" && k != "max") {
        return None;
    }
    let bound = |k: &str| o.get(k).map(|v| v.as_u64());
    let min = match bound("min") {
        None => 0,
        Some(n) => n?,
    };
    let max = match bound("max") {
        None => None,
        Some(n) => Some(n?),
    };
    (max.is_none_or(|m| m >= min)).then_some(CountClaim { min, max })
}

/// The `{placeholders}` of a text, as (name, argument), or a message naming the bad one.
pub(crate) fn placeholders(text: &str) -> Result<Vec<(&str, &str)>, String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err("a '}' without its '{'".into());
        }
        let end = rest[i..].find('}').ok_or("a '{' without its '}'")? + i;
        let inner = &rest[i + 1..end];
        let (name, arg) = match inner.split_once(':') {
            Some((n, a)) => (&inner[..n.len() + 1], a),
            None => (inner, ""),
        };
        if !PLACEHOLDERS.contains(&name) || name.ends_with(':') == arg.is_empty() {
            return Err(format!(
                "unknown placeholder {{{inner}}}; expected {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| if p.ends_with(':') { format!("{{{p}topic-0}}") } else { format!("{{{p}}}") })
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push((name, arg));
        rest = &rest[end + 1..];
    }
    Ok(out)
}

/// Checks the placeholders of a stop's text (`field` names it).
pub fn check_placeholders(text: &str, field: &str, partition_ok: &dyn Fn(&str) -> bool) -> Result<(), ScenarioError> {
    for (_, arg) in placeholders(text).map_err(|m| err(field, m))? {
        if !arg.is_empty() && !partition_ok(arg) {
            return Err(err(field, format!("no partition {arg} among the scenario's topics")));
        }
    }
    Ok(())
}

pub(crate) fn ids_text(ids: &[i32]) -> String {
    format!("[{}]", ids.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(","))
}
