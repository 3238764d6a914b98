//! Which of a broker's partitions the event it is handling may have changed, for the incremental
//! checker (`check/checker.rs`): it looks again only at those replicas instead of walking every
//! one the broker holds. Bookkeeping, not Kafka.
//!
//! The rule that keeps it sound: every mutable access to a log (`disk.logs`) or to a partition's
//! state (`partitions`) in the broker marks its partition, or marks all when it walks them; the
//! simulation clears the marks before each event of the broker (`Sim::step`), and a broker that
//! just started has all marked. A missed mark would let the checker miss a change: debug builds
//! compare every incremental look with a walk over all of the broker's replicas
//! (`checker::verify_touched`), and the seed sweeps' verdicts are those of the full walk.

use crate::ids::TopicPartition;

#[derive(Debug, Clone)]
pub struct Touched {
    /// Any partition may have changed (a walk over every log, a broker that just started).
    pub all: bool,
    /// The partitions marked, in marking order, perhaps more than once.
    pub tps: Vec<TopicPartition>,
}

impl Default for Touched {
    fn default() -> Self {
        Touched { all: true, tps: Vec::new() }
    }
}

impl Touched {
    pub fn mark(&mut self, tp: TopicPartition) {
        if !self.all && self.tps.last() != Some(&tp) {
            self.tps.push(tp);
        }
    }

    pub fn mark_all(&mut self) {
        self.all = true;
        self.tps.clear();
    }

    /// Before an event: nothing marked yet.
    pub fn clear(&mut self) {
        self.all = false;
        self.tps.clear();
    }
}
