//! Golden traces of every guided scenario: the trace hash and the key facts of the run
//! the page plays (to the scenario's end), recorded in tests/golden/guided.json. A change
//! in engine behaviour changes a hash or a fact and fails here; when the change is meant,
//! re-record with `UPDATE_GOLDEN=1 cargo test --release --test integration guided_golden::` and review
//! the diff of the facts (they say what changed in words: leaders, ISR, HW, losses).
use crate::common::guided_scenarios;
use kafka_playground::check::audit::lost_acknowledged_writes;
use kafka_playground::client::producer::SendOutcome;
use kafka_playground::ids::NO_LEADER;
use kafka_playground::page::playground::Playground;
use serde_json::{json, Map, Value};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/guided.json");

/// The facts a reader of the story would check: what was acknowledged, failed and lost,
/// who leads, the ISR, each leader's high watermark and epoch, the invariants violated.
fn facts(text: &str) -> Value {
    let mut p = Playground::new(Some(text), None).unwrap();
    let end = p.scenario_end_ms();
    p.advance(end - p.now_ms());
    let sim = &p.cs.sim;
    let count = |f: fn(&SendOutcome) -> bool| sim.producer.sends.values().filter(|s| f(&s.outcome)).count();
    let mut partitions = Map::new();
    for (tp, st) in &sim.controller.partitions {
        if tp.topic.starts_with("__") {
            continue;
        }
        let hw = (st.leader != NO_LEADER)
            .then(|| sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(tp)).map(|l| l.high_watermark()))
            .flatten();
        partitions.insert(
            tp.to_string(),
            json!({ "leader": (st.leader != NO_LEADER).then_some(st.leader), "leader_epoch": st.leader_epoch, "isr": st.isr, "high_watermark": hw }),
        );
    }
    json!({
        "trace_hash": p.trace_hash_hex(),
        "end_ms": p.now_ms(),
        "narration_stops": p.scenario().narration.len(),
        // Sends retention deleted everywhere are retired into counts (src/sim/history.rs).
        "acknowledged": sim.producer.retired_acked + count(|o| matches!(o, SendOutcome::Acked { .. })),
        "failed": sim.producer.retired_failed + count(|o| matches!(o, SendOutcome::Failed { .. })),
        "lost_acknowledged_writes": lost_acknowledged_writes(sim).len(),
        "violated_invariants": p.cs.checker.names(),
        "partitions": partitions,
    })
}

#[test]
fn every_guided_scenario_plays_the_recorded_golden_run() {
    let scenarios = guided_scenarios();
    assert!(scenarios.len() >= 14, "the issue asks for at least 14 guided scenarios, found {}", scenarios.len());
    let mut computed = Map::new();
    for (name, text) in &scenarios {
        computed.insert(name.clone(), facts(text));
    }
    // Deterministic: the first one again gives the same facts.
    assert_eq!(facts(&scenarios[0].1), computed[&scenarios[0].0]);
    let text = serde_json::to_string_pretty(&Value::Object(computed.clone())).unwrap() + "\n";
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(FILE, &text).unwrap();
    }
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(FILE).unwrap_or_else(|_| "{}".into())).unwrap_or(json!({}));
    let mut stale = vec![];
    for (name, got) in &computed {
        if recorded.get(name) != Some(got) {
            stale.push(format!("{name}:\n  recorded {}\n  now      {got}", recorded.get(name).unwrap_or(&Value::Null)));
        }
    }
    for name in recorded.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
        if !computed.contains_key(&name) {
            stale.push(format!("{name}: recorded but no longer a guided scenario"));
        }
    }
    assert!(
        stale.is_empty(),
        "engine behaviour changed for {} guided scenario(s); re-record with UPDATE_GOLDEN=1 cargo test --release --test integration guided_golden:: if meant:\n{}",
        stale.len(),
        stale.join("\n")
    );
}
