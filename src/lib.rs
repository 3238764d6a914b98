//! A deterministic simulation of Apache Kafka's replication engine (Kafka 4.x,
//! KRaft semantics): brokers, the controller, partition logs with leader epochs,
//! the ISR, the high watermark, acks and elections, over a simulated disk and
//! network. Every protocol role is a sans-IO state machine (`node::Node`); `sim` drives them.

pub mod audit;
pub mod broker;
pub mod checker;
pub mod client;
pub mod command;
pub mod config;
pub mod controller;
pub mod countdowns;
pub mod effects;
pub mod errors;
pub mod export;
/// Fuzz entry points (native only: the fuzzers are native programs).
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzz;
pub mod golden;
pub mod ids;
pub mod log;
pub mod narration;
pub mod node;
pub mod playground;
pub mod protocol;
pub mod record_view;
pub mod report;
pub mod scenario;
pub mod share;
pub mod sim;
pub mod timeline;
pub mod verify;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use command::Command;
pub use sim::{ClusterSpec, Sim};
