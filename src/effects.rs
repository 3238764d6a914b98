//! What a state machine asks the world to do: effects as data (sans-IO).

use crate::ids::NodeId;
use crate::protocol::Msg;
use serde::Serialize;

/// A line of the event log, in Kafka-like words (`broker-2 shrinks ISR of orders-0 from [1,2,3] to [1,2]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub time_ms: i64,
    pub node: NodeId,
    /// A short category for filters: `isr`, `election`, `produce`, `fetch`, `truncate`, `hw`, `broker`, `controller`, `config`, `fault`.
    pub category: &'static str,
    pub message: String,
}

#[derive(Debug)]
pub enum Effect {
    Send {
        to: NodeId,
        msg: Msg,
    },
    /// Call `on_tick` again no later than this time.
    WakeAt(i64),
    Log {
        category: &'static str,
        message: String,
    },
}

/// The output buffer a state machine writes its effects into.
#[derive(Debug, Default)]
pub struct Out {
    pub effects: Vec<Effect>,
}

impl Out {
    pub fn send(&mut self, to: NodeId, msg: Msg) {
        self.effects.push(Effect::Send { to, msg });
    }
    pub fn wake_at(&mut self, at_ms: i64) {
        self.effects.push(Effect::WakeAt(at_ms));
    }
    pub fn log(&mut self, category: &'static str, message: String) {
        self.effects.push(Effect::Log { category, message });
    }
}
