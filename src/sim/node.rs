//! The one interface every simulated node offers the simulator (the roles below the driver do
//! not name it; the implementations here delegate to their own methods): a message arrives
//! (`on_message`) or a timer it asked for is due (`on_tick`); either way the node answers
//! with effects (`Out`: sends, wake-ups, log lines) and never does I/O itself. The broker,
//! the active controller, a controller quorum voter and the clients (producer, reader,
//! consumer) all implement it, so `Sim` drives any of them through one dispatch
//! (`Sim::run_node`).
//!
//! The implementations delegate to each type's own `on_message`/`on_tick`, where the
//! behaviour and its Kafka citations live.

use crate::broker::Broker;
use crate::client::consumer::Consumer;
use crate::client::producer::Producer;
use crate::client::reader::Reader;
use crate::controller::quorum::Voter;
use crate::controller::Controller;
use crate::effects::Out;
use crate::ids::NodeId;
use crate::protocol::Msg;

/// A sans-IO state machine the simulator drives.
pub trait Node {
    /// A message from `from` arrives at `now_ms`.
    fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out);
    /// A wake-up the node asked for (`Effect::WakeAt`) is due at `now_ms`.
    fn on_tick(&mut self, now_ms: i64, out: &mut Out);
}

macro_rules! node_by_delegation {
    ($($t:ty),*) => {$(
        impl Node for $t {
            fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
                <$t>::on_message(self, now_ms, from, msg, out)
            }
            fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
                <$t>::on_tick(self, now_ms, out)
            }
        }
    )*};
}

node_by_delegation!(Broker, Controller, Voter, Producer, Reader, Consumer);
