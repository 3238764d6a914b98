//! Golden runs: fixed scenarios and seeds, and sweep seeds 1-5 of every profile, whose trace
//! hashes are recorded in `tests/golden/trace_hashes.json` by the native suite and checked again
//! in the browser (wasm, `tests/web.rs`), so native and wasm runs are shown to be identical.

use crate::page::playground::Playground;

pub struct GoldenCase {
    pub name: &'static str,
    pub scenario: Option<&'static str>,
    pub seed: u64,
    pub run_ms: i64,
}

pub const GOLDEN_CASES: &[GoldenCase] = &[
    GoldenCase { name: "default-playground-seed-42-60s", scenario: None, seed: 42, run_ms: 60_000 },
    GoldenCase { name: "quickstart", scenario: Some(include_str!("../../scenarios/quickstart.json")), seed: 42, run_ms: 0 },
    GoldenCase {
        name: "unclean-leader-election",
        scenario: Some(include_str!("../../scenarios/unclean-leader-election.json")),
        seed: 7,
        run_ms: 5_000,
    },
    GoldenCase {
        name: "kip-101-legacy-truncation",
        scenario: Some(include_str!("../../scenarios/kip-101-legacy-truncation.json")),
        seed: 3,
        run_ms: 0,
    },
];

/// Runs one golden case and returns its trace hash (hex).
pub fn run_case(c: &GoldenCase) -> String {
    let mut p = Playground::new(c.scenario, Some(c.seed)).expect("golden scenario is valid");
    // The scenario's steps run to completion first, then the extra time.
    let end = p.scenario_end_ms();
    if end > p.now_ms() {
        p.advance(end - p.now_ms());
    }
    p.advance(c.run_ms);
    p.trace_hash_hex()
}

/// Sweep seeds 1 to this of every profile are golden runs too (as `kafka-sim hashes` lists them).
pub const GOLDEN_SWEEP_SEEDS: u64 = 5;

/// Every golden run's name and trace hash (hex): the cases, then sweep seeds 1-5 of every
/// profile named `sweep-{profile}-seed-{seed}`.
pub fn golden_hashes() -> Vec<(String, String)> {
    use crate::proof::verify::{sweep::run_seed, PROFILES};
    let cases = GOLDEN_CASES.iter().map(|c| (c.name.to_string(), run_case(c)));
    let sweeps = PROFILES
        .iter()
        .flat_map(|p| (1..=GOLDEN_SWEEP_SEEDS).map(move |seed| (format!("sweep-{}-seed-{seed}", p.name), run_seed(seed, p).trace_hash)));
    cases.chain(sweeps).collect()
}
