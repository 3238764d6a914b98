#![cfg(not(target_arch = "wasm32"))]
//! Every native integration test, as modules of one test binary (as raft-rs does with its harness):
//! one link instead of one per file, which matters with LTO on a 2-core machine.
//! `tests/web.rs` is the other test binary: the same engine in a real browser (wasm-pack test).
//!
//! Run one file's tests with a filter on its module: `cargo test --release --test integration isr::`.
//! The scenario helpers every module shares are in `common.rs`.

mod add_partitions;
mod assignors;
mod broker_rules;
mod brokers_join_and_leave;
mod checker_catches;
mod checker_false_alarms;
mod client_audit;
mod client_timing;
mod cluster;
mod common;
mod compaction;
mod consumer_groups;
mod controller_failover;
mod controller_rules;
mod delete_records;
mod disk_full;
mod durability;
mod fuzz_short;
mod golden_traces;
mod guided_catalogue;
mod guided_golden;
mod guided_stops;
mod history_retirement;
mod isr;
mod layers;
mod page_security;
mod page_truth;
mod picture_views;
mod producer;
mod producer_state;
mod readme;
mod reassignment;
mod regressions;
mod rolling_restart;
mod scenario_files;
mod share;
mod slow_disk;
mod storage;
mod sweep;
mod time_travel;
