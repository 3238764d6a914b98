#![no_main]
//! `kafka_playground::proof::fuzz::command_decoder` under libFuzzer (docs/fuzzing.md).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_playground::proof::fuzz::command_decoder(data));
