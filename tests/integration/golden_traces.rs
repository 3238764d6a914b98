//! The golden trace hashes that the browser test (tests/web.rs) checks the wasm
//! build against. This native test computes them; with UPDATE_GOLDEN=1 it writes
//! tests/golden/trace_hashes.json, otherwise it fails when the file is stale
//! (a change in engine behaviour must be noticed and the file re-recorded).
use kafka_playground::proof::golden::{golden_hashes, run_case, GOLDEN_CASES};
use std::collections::BTreeMap;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/trace_hashes.json");

#[test]
fn golden_trace_hashes_are_current() {
    let computed: BTreeMap<String, String> = golden_hashes().into_iter().collect();
    // Deterministic: the same case twice gives the same hash.
    assert_eq!(run_case(&GOLDEN_CASES[0]), computed[GOLDEN_CASES[0].name]);
    let text = serde_json::to_string_pretty(&computed).unwrap() + "\n";
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(FILE, &text).unwrap();
    }
    let recorded = std::fs::read_to_string(FILE).unwrap_or_default();
    assert_eq!(
        recorded, text,
        "tests/golden/trace_hashes.json is stale: engine behaviour changed. Re-record with UPDATE_GOLDEN=1 cargo test --test integration golden_traces::"
    );
}
