#![no_main]
//! `kafka_playground::proof::fuzz::share_round_trip` under libFuzzer (docs/fuzzing.md).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_playground::proof::fuzz::share_round_trip(data));
