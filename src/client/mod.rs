//! Kafka clients as sans-IO state machines.
pub mod metadata;
pub mod partitioner;
pub mod producer;
pub mod reader;
