//! What the page offers before a run starts: its limits (how large a cluster it draws, the
//! speeds it plays at), its presets (`?preset=bench`) and the custom cluster built from a shape
//! (`?brokers=&partitions=&rf=`, the embeds' attributes). The page reads these from here so a
//! limit or a default is written once, next to the engine that enforces it.

use crate::config::{Kind, CONFIG_DEFS};
use crate::scenario::{ScenarioError, MAX_BROKERS};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Most partitions the custom-cluster form offers: the picture stays legible up to this many
/// (Kafka itself allows far more; a scenario file may create up to 1000).
pub const MAX_SHAPE_PARTITIONS: u32 = 64;
/// The largest seed a page address can carry (a JS number is exact up to 2^53 − 1).
pub const MAX_PAGE_SEED: u64 = (1 << 53) - 1;
/// Simulated seconds per real second the page can play at.
pub const SPEEDS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0];

/// The page's limits, each with the range the page validates its inputs against.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PageLimits {
    pub brokers: u64,
    pub partitions: u32,
    /// The replication factor is at most the number of brokers.
    pub replication_factor: u64,
    pub min_insync_replicas: u64,
    pub replica_lag_time_max_ms: i64,
    pub controllers: i64,
    pub seed: u64,
    pub speeds: [f64; 9],
}

/// The maximum a config key allows (its definition in `config.rs`).
fn config_max(key: &str) -> i64 {
    match CONFIG_DEFS.iter().find(|d| d.key == key).map(|d| &d.kind) {
        Some(Kind::Long { max, .. }) => *max,
        _ => i64::MAX,
    }
}

pub fn limits() -> PageLimits {
    PageLimits {
        brokers: MAX_BROKERS,
        partitions: MAX_SHAPE_PARTITIONS,
        replication_factor: MAX_BROKERS,
        min_insync_replicas: MAX_BROKERS,
        // A day: the page's form; Kafka's key takes any long.
        replica_lag_time_max_ms: 86_400_000,
        controllers: config_max("sim.controllers"),
        seed: MAX_PAGE_SEED,
        speeds: SPEEDS,
    }
}

/// The scenario the page opens with: three brokers, one topic, a steady producer.
pub const DEFAULT_SCENARIO: &str = r#"{
  "name": "playground",
  "description": "Three brokers and a replicated topic with a steady acks=all producer. Crash the leader, cut a follower off, change acks or min.insync.replicas, and watch the ISR and the high watermark.",
  "brokers": 3,
  "broker_config": { "min.insync.replicas": 2, "replica.lag.time.max.ms": 10000, "offsets.topic.num.partitions": 3 },
  "producer_config": { "acks": "all" },
  "topics": [ { "name": "orders", "partitions": 3, "replication_factor": 3 } ],
  "steps": [ { "type": "set_workload", "topic": "orders", "records_per_sec": 4, "keys": 8 } ]
}"#;

/// The benchmark scenario (6 brokers × 24 partitions × RF 3, acks=all, 500 records/s): the page's
/// `?preset=bench` and `kafka-bench`'s workload.
pub const BENCH_SCENARIO: &str = r#"{"name":"bench","brokers":6,"broker_config":{"min.insync.replicas":2},"producer_config":{"acks":"all"},"topics":[{"name":"load","partitions":24,"replication_factor":3}],"steps":[{"type":"set_workload","topic":"load","records_per_sec":500,"keys":64}]}"#;

/// The page's presets by name (`?preset=<name>`).
pub const PRESETS: &[(&str, &str)] = &[("bench", BENCH_SCENARIO)];

/// The scenario text of a preset, or an error naming the known ones.
pub fn preset(name: &str) -> Result<&'static str, ScenarioError> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).ok_or_else(|| ScenarioError {
        field: "preset".into(),
        message: format!("'{name}' is not a preset (known: {})", PRESETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")),
    })
}

/// A custom cluster's shape; absent fields take the page's defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterShape {
    pub brokers: Option<u64>,
    pub partitions: Option<u32>,
    pub replication_factor: Option<u64>,
    pub min_insync_replicas: Option<u64>,
    pub replica_lag_time_max_ms: Option<i64>,
    pub acks: Option<String>,
    pub controllers: Option<i64>,
}

/// The custom cluster of this shape: topic "orders" under a steady producer (4 records/s, 8
/// keys). Defaults: 3 brokers, 3 partitions, RF min(3, brokers), `min.insync.replicas`
/// min(2, RF), `replica.lag.time.max.ms` 10000 (Kafka's default is 30000; 10 s shows a follower
/// leaving the ISR without a long wait), acks=all (Kafka's producer default), 1 controller.
/// Each field is checked against [`limits`]; an error names the field.
pub fn custom_scenario(shape: &ClusterShape) -> Result<String, ScenarioError> {
    let lim = limits();
    let bad = |field: &str, message: String| ScenarioError { field: field.into(), message };
    let within = |field: &str, v: i128, lo: i128, hi: i128| {
        if (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(bad(field, format!("expected {lo} to {hi}, got {v}")))
        }
    };
    let brokers = shape.brokers.unwrap_or(3);
    within("brokers", brokers.into(), 1, lim.brokers.into())?;
    let partitions = shape.partitions.unwrap_or(3);
    within("partitions", partitions.into(), 1, lim.partitions.into())?;
    let rf = shape.replication_factor.unwrap_or(brokers.min(3));
    within("replication_factor", rf.into(), 1, brokers.into())?;
    let min_isr = shape.min_insync_replicas.unwrap_or(rf.min(2));
    within("min_insync_replicas", min_isr.into(), 1, lim.min_insync_replicas.into())?;
    let lag = shape.replica_lag_time_max_ms.unwrap_or(10_000);
    within("replica_lag_time_max_ms", lag.into(), 1, lim.replica_lag_time_max_ms.into())?;
    let controllers = shape.controllers.unwrap_or(1);
    within("controllers", controllers.into(), 1, lim.controllers.into())?;
    let acks = shape.acks.as_deref().unwrap_or("all");
    if !["0", "1", "all", "-1"].contains(&acks) {
        return Err(bad("acks", format!("expected 0, 1, all or -1, got '{acks}'")));
    }
    let mut broker_config = json!({ "min.insync.replicas": min_isr, "replica.lag.time.max.ms": lag });
    if controllers > 1 {
        broker_config["sim.controllers"] = Value::from(controllers);
    }
    Ok(json!({
        "name": "custom",
        "brokers": brokers,
        "broker_config": broker_config,
        "producer_config": { "acks": acks },
        "topics": [{ "name": "orders", "partitions": partitions, "replication_factor": rf }],
        "steps": [{ "type": "set_workload", "topic": "orders", "records_per_sec": 4, "keys": 8 }],
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_cluster_takes_the_page_defaults_and_names_the_field_it_refuses() {
        let sc = custom_scenario(&ClusterShape::default()).unwrap();
        let v: Value = serde_json::from_str(&sc).unwrap();
        assert_eq!(v["brokers"], 3);
        assert_eq!(v["topics"][0]["replication_factor"], 3);
        assert_eq!(v["broker_config"]["min.insync.replicas"], 2);
        let one = custom_scenario(&ClusterShape { brokers: Some(1), ..Default::default() }).unwrap();
        let v: Value = serde_json::from_str(&one).unwrap();
        assert_eq!((v["topics"][0]["replication_factor"].as_u64(), v["broker_config"]["min.insync.replicas"].as_u64()), (Some(1), Some(1)));
        let e = custom_scenario(&ClusterShape { brokers: Some(MAX_BROKERS + 1), ..Default::default() }).unwrap_err();
        assert_eq!(e.field, "brokers");
        let e = custom_scenario(&ClusterShape { brokers: Some(2), replication_factor: Some(3), ..Default::default() }).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("replication_factor", "expected 1 to 2, got 3"));
        let e = custom_scenario(&ClusterShape { acks: Some("2".into()), ..Default::default() }).unwrap_err();
        assert_eq!(e.field, "acks");
        // What it builds is a scenario the engine starts.
        assert!(crate::scenario::Scenario::parse(&sc).is_ok());
    }

    #[test]
    fn the_bench_preset_is_a_valid_scenario_and_an_unknown_preset_names_the_known_ones() {
        assert!(crate::scenario::Scenario::parse(preset("bench").unwrap()).is_ok());
        assert_eq!(preset("fast").unwrap_err().message, "'fast' is not a preset (known: bench)");
    }

    #[test]
    fn the_limits_are_the_engines_own() {
        let l = limits();
        assert_eq!(l.controllers, 5, "sim.controllers' maximum in config.rs");
        assert!(custom_scenario(&ClusterShape { brokers: Some(l.brokers), ..Default::default() }).is_ok());
        assert!(custom_scenario(&ClusterShape { partitions: Some(l.partitions + 1), ..Default::default() }).is_err());
    }
}
