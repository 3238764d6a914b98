//! The reference for `Command`'s hand-written JSON decoder (`command/decode.rs`): the enum as it
//! was, decoded by serde's derive. Native only (the fuzz targets and tests compare the two; the
//! shipped module never carries this). A change to `Command` is made here too.

use crate::command::{DiskFault, ElectionType};
use crate::ids::NodeId;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

fn one() -> u32 {
    1
}

/// Named `Command` like the real one: serde's messages name the type.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)] // read through Debug only
pub enum Command {
    CreateTopic {
        name: String,
        #[serde(default)]
        partitions: Option<u32>,
        #[serde(default)]
        replication_factor: Option<u16>,
        #[serde(default)]
        config: BTreeMap<String, Value>,
        #[serde(default)]
        assignment: Option<BTreeMap<String, Vec<i32>>>,
    },
    Produce {
        topic: String,
        #[serde(default)]
        partition: Option<u32>,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        value: Option<String>,
        #[serde(default = "one")]
        count: u32,
        #[serde(default)]
        tombstone: bool,
    },
    CrashBroker {
        broker: i32,
        #[serde(default)]
        keep_page_cache: bool,
    },
    RestartBroker {
        broker: i32,
    },
    ShutdownBroker {
        broker: i32,
    },
    PauseBroker {
        broker: i32,
        #[serde(default)]
        ms: Option<i64>,
    },
    ResumeBroker {
        broker: i32,
    },
    CrashController {
        #[serde(default)]
        controller: Option<i32>,
    },
    RestartController {
        controller: i32,
    },
    CutLink {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        one_way: bool,
    },
    HealLink {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        one_way: bool,
    },
    Isolate {
        node: NodeId,
    },
    HealAll,
    SlowLink {
        from: NodeId,
        to: NodeId,
        extra_latency_ms: i64,
        #[serde(default)]
        one_way: bool,
    },
    SetLinkLoss {
        from: NodeId,
        to: NodeId,
        loss: f64,
        #[serde(default)]
        one_way: bool,
    },
    SetNetwork {
        #[serde(default)]
        min_latency_ms: Option<i64>,
        #[serde(default)]
        max_latency_ms: Option<i64>,
        #[serde(default)]
        loss: Option<f64>,
    },
    SetBrokerConfig {
        #[serde(default)]
        broker: Option<i32>,
        key: String,
        value: Value,
    },
    SetTopicConfig {
        topic: String,
        key: String,
        value: Value,
    },
    SetProducerConfig {
        key: String,
        value: Value,
    },
    ElectLeaders {
        topic: String,
        partition: u32,
        election_type: ElectionType,
    },
    SetWorkload {
        topic: String,
        records_per_sec: f64,
        #[serde(default)]
        keys: u32,
    },
    StartReader {
        topic: String,
        partition: u32,
    },
    StartConsumer {
        group_id: String,
        topics: Vec<String>,
        #[serde(default)]
        config: BTreeMap<String, Value>,
    },
    StopConsumer {
        consumer: u32,
    },
    CrashConsumer {
        consumer: u32,
    },
    StallConsumer {
        consumer: u32,
        ms: i64,
    },
    CommitOffsets {
        consumer: u32,
    },
    SetConsumerConfig {
        #[serde(default)]
        consumer: Option<u32>,
        key: String,
        value: Value,
    },
    Run {
        ms: i64,
    },
    RunUntil {
        time_ms: i64,
    },
    Step,
    AlterPartitionReassignments {
        topic: String,
        partition: u32,
        #[serde(default)]
        replicas: Option<Vec<i32>>,
        #[serde(default)]
        throttle: Option<i64>,
    },
    DeleteRecords {
        topic: String,
        partition: u32,
        offset: i64,
    },
    AddBroker {
        #[serde(default)]
        broker: Option<i32>,
        #[serde(default)]
        rack: Option<String>,
    },
    SlowDisk {
        broker: i32,
        write_latency_ms: i64,
    },
    UnregisterBroker {
        broker: i32,
    },
    DiskFault {
        broker: i32,
        fault: DiskFault,
    },
    CreatePartitions {
        topic: String,
        count: u32,
    },
    RollingRestart {
        #[serde(default)]
        hasty: bool,
    },
    DecommissionBroker {
        broker: i32,
    },
}

/// What serde's derive made of `text` (as `Command::from_json` reports it: the command's
/// Debug text, or the error message).
pub fn from_json(text: &str) -> Result<String, String> {
    serde_json::from_str::<Command>(text).map(|c| format!("{c:?}")).map_err(|e| format!("invalid command: {e}"))
}

/// What serde's derive made of `v` (as `Command::from_value` reports it).
pub fn from_value(v: Value) -> Result<String, String> {
    serde_json::from_value::<Command>(v).map(|c| format!("{c:?}")).map_err(|e| format!("invalid command: {e}"))
}

/// Panics when the hand-written decoder and the derive disagree on `text`, through text and
/// through a `serde_json::Value` (when `text` is JSON).
pub fn check_decoder(text: &str) {
    let mine = crate::command::Command::from_json(text).map(|c| format!("{c:?}"));
    assert_eq!(mine, from_json(text), "Command::from_json differs from serde's derive on {text:?}");
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        let mine = crate::command::Command::from_value(v.clone()).map(|c| format!("{c:?}"));
        assert_eq!(mine, from_value(v), "Command::from_value differs from serde's derive on {text:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::check_decoder;

    /// Every variant's fields (as decode.rs lists them), for the corpus below.
    const SHAPES: &[(&str, &[&str])] = &[
        ("create_topic", &["name", "partitions", "replication_factor", "config", "assignment"]),
        ("produce", &["topic", "partition", "key", "value", "count", "tombstone"]),
        ("crash_broker", &["broker", "keep_page_cache"]),
        ("restart_broker", &["broker"]),
        ("shutdown_broker", &["broker"]),
        ("pause_broker", &["broker", "ms"]),
        ("resume_broker", &["broker"]),
        ("crash_controller", &["controller"]),
        ("restart_controller", &["controller"]),
        ("cut_link", &["from", "to", "one_way"]),
        ("heal_link", &["from", "to", "one_way"]),
        ("isolate", &["node"]),
        ("heal_all", &[]),
        ("slow_link", &["from", "to", "extra_latency_ms", "one_way"]),
        ("set_link_loss", &["from", "to", "loss", "one_way"]),
        ("set_network", &["min_latency_ms", "max_latency_ms", "loss"]),
        ("set_broker_config", &["broker", "key", "value"]),
        ("set_topic_config", &["topic", "key", "value"]),
        ("set_producer_config", &["key", "value"]),
        ("elect_leaders", &["topic", "partition", "election_type"]),
        ("set_workload", &["topic", "records_per_sec", "keys"]),
        ("start_reader", &["topic", "partition"]),
        ("start_consumer", &["group_id", "topics", "config"]),
        ("stop_consumer", &["consumer"]),
        ("crash_consumer", &["consumer"]),
        ("stall_consumer", &["consumer", "ms"]),
        ("commit_offsets", &["consumer"]),
        ("set_consumer_config", &["consumer", "key", "value"]),
        ("run", &["ms"]),
        ("run_until", &["time_ms"]),
        ("step", &[]),
        ("alter_partition_reassignments", &["topic", "partition", "replicas", "throttle"]),
        ("delete_records", &["topic", "partition", "offset"]),
        ("add_broker", &["broker", "rack"]),
        ("slow_disk", &["broker", "write_latency_ms"]),
        ("unregister_broker", &["broker"]),
        ("disk_fault", &["broker", "fault"]),
        ("create_partitions", &["topic", "count"]),
        ("rolling_restart", &["hasty"]),
        ("decommission_broker", &["broker"]),
    ];

    /// Values of every JSON type and the edges of every integer type.
    const VALUES: &[&str] = &[
        "null",
        "true",
        "false",
        "0",
        "1",
        "2",
        "-1",
        "65535",
        "65536",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "1.5",
        "-0.0",
        "1e3",
        "0.1",
        "\"\"",
        "\"x\"",
        "\"3\"",
        "\"broker-2\"",
        "\"broker:2\"",
        "\"controller\"",
        "\"controller-3001\"",
        "\"consumer-1\"",
        "\"preferred\"",
        "\"unclean\"",
        "\"Preferred\"",
        "[]",
        "[1]",
        "[1,2]",
        "[\"a\"]",
        "[\"a\",1]",
        "[[1]]",
        "{}",
        "{\"a\":1}",
        "{\"0\":[1,2]}",
        "{\"0\":[1],\"0\":\"x\"}",
        "{\"1\":\"x\",\"0\":[1]}",
        "{\"0\":[1.5]}",
        "{\"preferred\":null}",
        "{\"unclean\":{}}",
        "{\"preferred\":1}",
        "{\"preferred\":null,\"unclean\":null}",
        "{\"a\":1,\"a\":2}",
        "{\"x\":[1,{\"y\":null}]}",
    ];

    #[test]
    fn the_decoder_agrees_with_serde_s_derive_on_every_shape() {
        let mut n = 0;
        let mut check = |t: &str| {
            check_decoder(t);
            n += 1;
        };
        for top in ["", "null", "1", "\"run\"", "[]", "{}", "[1]", "[\"explode\"]", "{\"type\":1}", "{\"type\":null}"] {
            check(top);
        }
        check(r#"{"type":"run","type":"run","ms":1}"#);
        check(r#"{"ms":1,"type":"run"}"#);
        check(r#"{"type":"run","ms":1} x"#);
        check(r#"{"type":"run","ms":1"#);
        check(r#"{"type":"run","ms":}"#);
        check(r#"{"type":"explode","ms":}"#);
        check(r#"{"type":"run","ms":"x" "#);
        check(r#"{"type":"run","ms":1,"ms":2}"#);
        check(r#"{"type":"heal_all","anything":[1,2],"x":{}}"#);
        check(r#"["heal_all"]"#);
        check(r#"["heal_all",1,2]"#);
        check(r#"["step",null]"#);
        check(r#"{"type":"explode"}"#);
        for (name, fields) in SHAPES {
            // Every field given each value, the others valid-looking; every field missing.
            let good: Vec<(&str, &str)> = fields.iter().map(|f| (*f, good_value(name, f))).collect();
            let obj = |entries: &[(&str, &str)], type_at: usize| {
                let mut parts: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                parts.insert(type_at.min(parts.len()), format!("\"type\":\"{name}\""));
                format!("{{{}}}", parts.join(","))
            };
            check(&obj(&good, 0));
            check(&obj(&good, 99));
            check(&obj(&good, 1));
            check(&format!("[\"{name}\",{}]", good.iter().map(|g| g.1).collect::<Vec<_>>().join(",")));
            for k in 0..=fields.len() + 1 {
                let elems: Vec<&str> = good.iter().map(|g| g.1).chain(std::iter::repeat("1")).take(k).collect();
                let mut parts = vec![format!("\"{name}\"")];
                parts.extend(elems.iter().map(|s| s.to_string()));
                check(&format!("[{}]", parts.join(",")));
            }
            for i in 0..fields.len() {
                let mut without = good.clone();
                without.remove(i);
                check(&obj(&without, 0));
                let mut twice = good.clone();
                twice.push(good[i]);
                check(&obj(&twice, 0));
                for v in VALUES {
                    let mut e = good.clone();
                    e[i].1 = v;
                    check(&obj(&e, 0));
                    let mut seq = vec![format!("\"{name}\"")];
                    seq.extend(e.iter().map(|g| g.1.to_string()));
                    check(&format!("[{}]", seq.join(",")));
                    // A bad value and an unknown field: which is reported first depends on the order.
                    let mut e2 = e.clone();
                    e2.push(("extra", "1"));
                    check(&obj(&e2, 0));
                    e2.rotate_right(1);
                    check(&obj(&e2, 0));
                }
            }
            let mut extra = good.clone();
            extra.push(("extra", "true"));
            check(&obj(&extra, 0));
        }
        assert!(n > 5_000, "{n} documents");
    }

    fn good_value(variant: &str, field: &str) -> &'static str {
        match field {
            "name" | "topic" | "key" | "group_id" => "\"orders\"",
            "value" if variant == "produce" => "\"v\"",
            "value" => "2",
            "config" => "{\"retention.ms\":1000}",
            "assignment" => "{\"0\":[1,2,3]}",
            "from" => "1",
            "to" => "\"controller\"",
            "node" => "\"broker-2\"",
            "loss" => "0.25",
            "records_per_sec" => "12.5",
            "election_type" => "\"unclean\"",
            "topics" => "[\"orders\"]",
            "one_way" | "tombstone" | "keep_page_cache" => "true",
            "controller" => "3001",
            _ => "7",
        }
    }
}
