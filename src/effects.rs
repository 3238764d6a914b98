//! What a state machine asks the world to do: effects as data (sans-IO).

use crate::ids::NodeId;
use crate::protocol::Msg;
use serde::Serialize;

/// The event log's categories (the page's filter chips use these names, as the events serialize them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Registration, fencing, shutdown of a broker.
    Broker,
    /// A reader's or consumer's fetches and positions.
    Consume,
    /// A config change the user made.
    Config,
    /// The controller: broker sessions, metadata, the quorum.
    Controller,
    /// Leader elections and leadership changes.
    Election,
    /// A fault the user injected (crash, power loss, cut, pause, …).
    Fault,
    /// Followers fetching from a leader.
    Fetch,
    /// Consumer groups: joins, syncs, rebalances, commits.
    Group,
    /// High watermark moves.
    Hw,
    /// ISR shrinks, expansions and AlterPartition answers.
    Isr,
    /// Produce requests and their answers.
    Produce,
    /// Segments: rolls, retention, cleaning, flushes.
    Storage,
    /// A replica truncating its log.
    Truncate,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Broker => "broker",
            Category::Consume => "consume",
            Category::Config => "config",
            Category::Controller => "controller",
            Category::Election => "election",
            Category::Fault => "fault",
            Category::Fetch => "fetch",
            Category::Group => "group",
            Category::Hw => "hw",
            Category::Isr => "isr",
            Category::Produce => "produce",
            Category::Storage => "storage",
            Category::Truncate => "truncate",
        }
    }
}

/// A line of the event log, in Kafka-like words (`broker-2 shrinks ISR of orders-0 from [1,2,3] to [1,2]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub time_ms: i64,
    pub node: NodeId,
    /// What the line is about (the page's filters).
    pub category: Category,
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
        category: Category,
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
    pub fn log(&mut self, category: Category, message: String) {
        self.effects.push(Effect::Log { category, message });
    }
}
