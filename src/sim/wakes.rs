//! Pending wake-ups (`Effect::WakeAt`): the times each node asked to be ticked at.
//!
//! Bookkeeping, not Kafka. A node asks again for its next deadline after every event it
//! handles, so a busy node leaves thousands of wake-ups behind (the producer one per
//! request, at its `request.timeout.ms`: ~3 000 pending on the bench workload). They stay
//! queued as they always were — every one fires in (time, seq) order, a request for one
//! already pending is dropped — but a node's wake-ups asked for in time order wait in a
//! lane (shared chunks, `PVec`) with the sequence number they got when asked, and only the
//! first of each lane sits in the event queue; when it fires, the next takes its place with
//! its own sequence number. So the queue pops exactly what it popped before, and a
//! time-travel snapshot copies a few chunk pointers instead of thousands of entries.

use crate::ids::NodeId;
use crate::pvec::PVec;
use crate::sim::queue::EventQueue;
use crate::vecmap::VecMap;
use std::collections::BTreeSet;

/// A wake-up waiting in a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    at: i64,
    seq: u64,
    incarnation: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Wakes {
    /// Wake-ups in the event queue outside the lanes, by (node, time, incarnation).
    queued: BTreeSet<(NodeId, i64, u64)>,
    /// Per node, its wake-ups in (time, seq) order; the first is in the event queue.
    lanes: VecMap<NodeId, PVec<Pending>>,
}

impl Wakes {
    /// How many wake-ups are pending.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.queued.len() + self.lanes.values().map(|l| l.len()).sum::<usize>()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules a tick of `node` at `at` unless one is pending for that time and incarnation.
    /// `make(node, incarnation, from_lane)` builds the queue's item.
    pub fn schedule<T>(
        &mut self,
        queue: &mut EventQueue<T>,
        node: NodeId,
        at: i64,
        incarnation: u64,
        make: impl Fn(NodeId, u64, bool) -> T,
    ) {
        if !self.queued.is_empty() && self.queued.contains(&(node, at, incarnation)) {
            return;
        }
        let lane = self.lanes.entry(node).or_default();
        // Pending in the lane? Mostly the request is for its last time or later (no search).
        let duplicate = match lane.last() {
            Some(last) if last.at < at => false,
            Some(last) if last.at == at && last.incarnation == incarnation => true,
            Some(_) => {
                let from = lane.partition_point(|p| p.at < at);
                lane.range(from..lane.len()).take_while(|p| p.at == at).any(|p| p.incarnation == incarnation)
            }
            None => false,
        };
        if duplicate {
            return;
        }
        let seq = queue.next_seq();
        match lane.last() {
            None => {
                lane.push(Pending { at, seq, incarnation });
                queue.push_with_seq(at, seq, make(node, incarnation, true));
            }
            Some(last) if last.at <= at => lane.push(Pending { at, seq, incarnation }),
            Some(_) => {
                self.queued.insert((node, at, incarnation));
                queue.push_with_seq(at, seq, make(node, incarnation, false));
            }
        }
    }

    /// A wake-up of `node` at `at` left the queue: the next of its lane takes its place.
    pub fn fired<T>(
        &mut self,
        queue: &mut EventQueue<T>,
        node: NodeId,
        at: i64,
        incarnation: u64,
        from_lane: bool,
        make: impl Fn(NodeId, u64, bool) -> T,
    ) {
        if !from_lane {
            self.queued.remove(&(node, at, incarnation));
            return;
        }
        let Some(lane) = self.lanes.get_mut(&node) else { return };
        lane.drop_front(1);
        match lane.first() {
            Some(next) => queue.push_with_seq(next.at, next.seq, make(node, next.incarnation, true)),
            None => {
                self.lanes.remove(&node);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same requests through a plain queue with a set of pending wake-ups (the way
    /// wake-ups were kept before lanes) and through `Wakes`: both pop the same sequence.
    #[test]
    fn lanes_pop_what_a_plain_queue_pops() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let (mut plain, mut set) = (EventQueue::<(NodeId, u64)>::default(), BTreeSet::new());
        let (mut laned, mut wakes) = (EventQueue::<(NodeId, u64, bool)>::default(), Wakes::default());
        let (mut a, mut b) = (vec![], vec![]);
        let mut now = 0;
        for _ in 0..20_000 {
            if rnd(3) > 0 {
                let node = NodeId::Broker(rnd(4) as i32 + 1);
                // Mostly later than the last request (a timeout), sometimes earlier or equal.
                let at = now + if rnd(4) == 0 { rnd(50) as i64 } else { 30_000 + rnd(3) as i64 };
                let inc = rnd(2);
                if set.insert((node, at, inc)) {
                    plain.push(at, (node, inc));
                }
                wakes.schedule(&mut laned, node, at, inc, |n, i, l| (n, i, l));
            } else if let (Some((t1, s1, (n1, i1))), Some((t2, s2, (n2, i2, lane)))) = (plain.pop(), laned.pop()) {
                set.remove(&(n1, t1, i1));
                wakes.fired(&mut laned, n2, t2, i2, lane, |n, i, l| (n, i, l));
                now = t1;
                a.push((t1, s1, n1, i1));
                b.push((t2, s2, n2, i2));
            }
        }
        assert_eq!(plain.len(), set.len());
        assert_eq!(set.len(), wakes.len(), "the same wake-ups are pending");
        while let Some((t, s, (n, i))) = plain.pop() {
            a.push((t, s, n, i));
        }
        while let Some((t, s, (n, i, lane))) = laned.pop() {
            wakes.fired(&mut laned, n, t, i, lane, |n, i, l| (n, i, l));
            b.push((t, s, n, i));
        }
        assert!(a.len() > 5_000, "{}", a.len());
        assert_eq!(a, b);
        assert!(wakes.is_empty());
    }
}
