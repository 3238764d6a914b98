//! Kafka clients as sans-IO state machines.
pub mod assignor;
pub mod backoff;
pub mod consumer;
pub mod metadata;
pub mod partitioner;
pub mod producer;
pub mod reader;
pub mod sends;
