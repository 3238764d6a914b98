//! The simulated network: per-link FIFO channels with latency, loss, cuts
//! (two-way or one-way) and slow links. Every fault is addressed by node ids.

use crate::ids::NodeId;
use crate::rng::Rng;
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LinkOverride {
    /// Extra one-way latency on this link (a slow link).
    pub extra_latency_ms: i64,
    /// Loss probability on this link, replacing the global one.
    pub loss: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Network {
    pub min_latency_ms: i64,
    pub max_latency_ms: i64,
    pub loss: f64,
    /// Directed cuts: (from, to) means messages from `from` to `to` are dropped.
    pub cuts: BTreeSet<(NodeId, NodeId)>,
    pub links: VecMap<(NodeId, NodeId), LinkOverride>,
    /// Last delivery time per directed link, to keep each link FIFO.
    #[serde(skip)]
    last_delivery: VecMap<(NodeId, NodeId), i64>,
    #[serde(skip)]
    rng: Rng,
}

/// What happens to a message handed to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transit {
    DeliverAt(i64),
    Dropped(DropReason),
}

/// Why the network dropped a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The link is cut (a partition the user made).
    LinkCut,
    /// Lost at random (the link's or the network's loss rate).
    Lost,
}

impl Network {
    pub fn new(rng: Rng) -> Network {
        Network {
            min_latency_ms: 1,
            max_latency_ms: 3,
            loss: 0.0,
            cuts: BTreeSet::new(),
            links: VecMap::new(),
            last_delivery: VecMap::new(),
            rng,
        }
    }

    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cuts.contains(&(from, to))
    }

    /// Decides the fate of a message sent now on from→to.
    pub fn transmit(&mut self, now_ms: i64, from: NodeId, to: NodeId) -> Transit {
        if from == to {
            return Transit::DeliverAt(now_ms);
        }
        if self.is_cut(from, to) {
            return Transit::Dropped(DropReason::LinkCut);
        }
        let link = self.links.get(&(from, to));
        let loss = link.and_then(|l| l.loss).unwrap_or(self.loss);
        // Draw latency first so that the loss draw does not shift other links' latencies.
        let lat =
            self.rng.range_inclusive(self.min_latency_ms.max(0) as u64, self.max_latency_ms.max(self.min_latency_ms).max(0) as u64) as i64;
        if loss > 0.0 && self.rng.chance(loss) {
            return Transit::Dropped(DropReason::Lost);
        }
        let extra = link.map(|l| l.extra_latency_ms).unwrap_or(0);
        let at = (now_ms + lat + extra).max(*self.last_delivery.get(&(from, to)).unwrap_or(&0));
        self.last_delivery.insert((from, to), at);
        Transit::DeliverAt(at)
    }

    pub fn cut(&mut self, from: NodeId, to: NodeId, both_ways: bool) {
        self.cuts.insert((from, to));
        if both_ways {
            self.cuts.insert((to, from));
        }
    }

    pub fn heal(&mut self, from: NodeId, to: NodeId, both_ways: bool) {
        self.cuts.remove(&(from, to));
        if both_ways {
            self.cuts.remove(&(to, from));
        }
    }

    pub fn heal_all(&mut self) {
        self.cuts.clear();
        self.links.clear();
    }
}
