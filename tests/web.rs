#![cfg(target_arch = "wasm32")]
//! The wasm facade in a real browser (`wasm-pack test --headless --chrome`):
//! commands, views, errors, and determinism against the native trace hashes.
use kafka_playground::page::wasm::Playground;
use kafka_playground::proof::golden::golden_hashes;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn wasm_runs_give_the_native_trace_hashes() {
    // The golden cases and sweep seeds 1-5 of every profile (the sweeps are not in the shipped
    // module: this test links them in).
    let golden: std::collections::BTreeMap<String, String> = serde_json::from_str(include_str!("golden/trace_hashes.json")).unwrap();
    let computed = golden_hashes();
    assert_eq!(golden.len(), computed.len());
    for (name, hash) in computed {
        assert_eq!(hash, golden[&name], "{name} differs between wasm and native");
    }
}

#[wasm_bindgen_test]
fn the_facade_runs_commands_and_fills_views() {
    let mut p = Playground::new(None, Some(5.0)).unwrap();
    assert_eq!(p.seed(), 5.0);
    assert!(p.advance(3_000.0).unwrap() > 0.0);
    p.apply(r#"{"type":"crash_broker","broker":1}"#).unwrap();
    p.advance(12_000.0).unwrap();
    let ptr = p.frame();
    assert!(ptr != 0);
    assert!(p.frame_len() > 16);
    assert!(p.tails_len() > 0);
    assert!(p.describe().contains("Topic: orders"));
    assert!(p.structure().unwrap().is_object());
    assert!(p.metrics().unwrap().is_object());
    assert!(p.invariants().unwrap().is_object());
    assert!(p.events_since(0.0, 100).unwrap().is_array());
    assert!(p.in_flight(100).unwrap().is_array());
    assert_eq!(p.trace_hash().len(), 16);
    let q = p.controller_quorum().unwrap();
    assert!(js_sys::Array::is_array(&js_sys::Reflect::get(&q, &"voters".into()).unwrap()));
}

#[wasm_bindgen_test]
fn bad_input_is_an_exception_naming_the_field_never_a_panic() {
    assert!(Playground::new(Some("{\"brokers\": 99}".into()), Some(1.0)).is_err());
    assert!(Playground::new(None, Some(-1.0)).is_err());
    assert!(Playground::new(None, Some(f64::NAN)).is_err());
    let mut p = Playground::new(None, Some(1.0)).unwrap();
    assert!(p.apply("not json").is_err());
    assert!(p.apply(r#"{"type":"crash_broker","broker":77}"#).is_err());
    assert!(p.apply(r#"{"type":"set_broker_config","key":"min.insync.replicas","value":0}"#).is_err());
    assert!(p.advance(-5.0).is_err());
    assert!(p.advance(f64::INFINITY).is_err());
    // Still alive after all that.
    assert!(p.advance(100.0).is_ok());
}

#[wasm_bindgen_test]
fn the_prng_gives_the_pinned_native_values_and_the_sim_runs_in_wasm() {
    let mut r = kafka_playground::rng::Rng::new(0);
    assert_eq!(r.next_u64(), 0x99EC5F36CB75F2B4);
    let spec = kafka_playground::sim::ClusterSpec::new(1, 3);
    let mut sim = kafka_playground::sim::Sim::new(spec).unwrap();
    for _ in 0..1000 {
        sim.step();
    }
    assert!(sim.now_ms() > 0);
}

/// The views reach the page as JSON text parsed by `JSON.parse` (smaller than serde-wasm-bindgen's
/// per-type serializers): the same JS values as serde-wasm-bindgen's json_compatible serializer gave.
#[wasm_bindgen_test]
fn views_as_json_text_are_the_values_serde_wasm_bindgen_gave() {
    use kafka_playground::page::playground::Playground as Core;
    use serde::Serialize;
    fn same<T: Serialize>(name: &str, v: &T) {
        let old = v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap();
        let new = js_sys::JSON::parse(&serde_json::to_string(v).unwrap()).unwrap();
        let (old, new) = (js_sys::JSON::stringify(&old).unwrap(), js_sys::JSON::stringify(&new).unwrap());
        assert_eq!(String::from(old), String::from(new), "{name}");
    }
    let scenarios = [
        None,
        Some(include_str!("../scenarios/consumer-group-rebalance.json")),
        Some(include_str!("../scenarios/compaction.json")),
        Some(include_str!("../scenarios/unclean-leader-election.json")),
    ];
    for (i, sc) in scenarios.into_iter().enumerate() {
        let mut p = Core::new(sc, Some(11)).unwrap();
        let end = p.scenario_end_ms();
        if end > p.now_ms() {
            p.advance(end - p.now_ms());
        }
        for c in [
            r#"{"type":"set_link_loss","from":1,"to":2,"loss":0.123456789}"#,
            r#"{"type":"set_workload","topic":"orders","records_per_sec":33.3333,"keys":7}"#,
            r#"{"type":"crash_broker","broker":1}"#,
            r#"{"type":"slow_link","from":2,"to":3,"extra_latency_ms":40}"#,
        ] {
            let _ = p.apply_json(c);
            p.advance(4_000);
        }
        let _ = p.apply_json(r#"{"type":"restart_broker","broker":1}"#);
        p.advance(9_000);
        let case = |v: &str| format!("scenario {i}: {v}");
        same(&case("structure"), &p.structure());
        same(&case("controller_quorum"), &p.controller_quorum());
        same(&case("events_since"), &p.events_since(0, 5_000));
        same(&case("in_flight"), &p.cs.sim.in_flight());
        same(&case("metrics"), &p.metrics());
        same(&case("invariants"), &p.invariants());
        same(&case("storage"), &p.storage());
        same(&case("countdowns"), &p.countdowns());
        same(&case("records"), &p.records(0, 0, 200));
        same(&case("ghosts"), &p.ghosts());
        same(&case("config_warnings"), &p.config_warnings());
        same(&case("partition_members"), &p.partition_members());
        same(&case("clients"), &p.clients());
        same(&case("audit"), &p.audit());
        same(&case("configs"), &p.configs());
        same(&case("timeline"), &p.timeline_view());
    }
    same("config_defs", &Core::config_defs());
    same("limits", &kafka_playground::page::presets::limits());
}
