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
    /// Partition reassignments (KIP-455): replicas added, caught up, removed; cancels.
    Reassign,
}

impl Category {
    /// Every category, in the order the page shows its filter chips (the replication story first).
    pub const ALL: [Category; 14] = [
        Category::Isr,
        Category::Election,
        Category::Produce,
        Category::Fetch,
        Category::Truncate,
        Category::Reassign,
        Category::Hw,
        Category::Broker,
        Category::Controller,
        Category::Config,
        Category::Fault,
        Category::Storage,
        Category::Group,
        Category::Consume,
    ];

    /// Off by default in the page's event log: one produce line per append would drown the ISR
    /// and election lines (errors still show through the log's "errors" filter).
    pub fn quiet_by_default(self) -> bool {
        self == Category::Produce
    }

    /// What the category's lines are about (the filter chip's tooltip).
    pub fn doc(self) -> &'static str {
        match self {
            Category::Broker => "Registration, fencing and shutdown of a broker",
            Category::Consume => "A reader's or consumer's fetches and positions",
            Category::Config => "A config change the user made",
            Category::Controller => "The controller: broker sessions, metadata, the quorum",
            Category::Election => "Leader elections and leadership changes",
            Category::Fault => "A fault the user injected (crash, power loss, cut, pause, …)",
            Category::Fetch => "Followers fetching from a leader",
            Category::Group => "Consumer groups: joins, syncs, rebalances, commits",
            Category::Hw => "High watermark moves",
            Category::Isr => "ISR shrinks, expansions and AlterPartition answers",
            Category::Produce => "Produce requests and their answers",
            Category::Storage => "Segments: rolls, retention, cleaning, flushes",
            Category::Truncate => "A replica truncating its log",
            Category::Reassign => "Partition reassignments: replicas added, caught up and removed; cancels",
        }
    }

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
            Category::Reassign => "reassign",
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
