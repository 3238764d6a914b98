//! A deterministic simulation of Apache Kafka's replication engine (Kafka 4.x,
//! KRaft semantics): brokers, the controller, partition logs with leader epochs,
//! the ISR, the high watermark, acks and elections, over a simulated disk and
//! network. Every protocol role is a sans-IO state machine (`sim::node::Node`); `sim` drives them.

// Layers, bottom to top; a module names only its own layer or lower ones
// (tests/integration/layers.rs checks it).
// foundation
pub mod errors;
pub mod ids;
pub mod lean;
pub mod rng;
// storage
pub mod log;
pub mod pvec;
pub mod vecmap;
// vocabulary: configs, messages, effects, the one Command type
pub mod command;
pub mod config;
pub mod effects;
pub mod protocol;
// roles: sans-IO state machines
pub mod broker;
pub mod client;
pub mod controller;
// the driver: event queue, network, faults
pub mod sim;
// what is checked after every event
pub mod check;
// scenario files and what their stops claim
pub mod scenario;
// the page's side: views, timeline, share links, export, the wasm facade
pub mod page;
// what runs the engine to prove it: sweeps, fuzzing, golden hashes
pub mod proof;

pub use command::Command;
pub use sim::{ClusterSpec, Sim};
