//! The event queue: ordered by (time_ms, seq), where seq is the insertion order,
//! so simultaneous events happen in the order they were scheduled.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Debug, Clone)]
struct Entry<T> {
    time_ms: i64,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, o: &Self) -> bool {
        self.time_ms == o.time_ms && self.seq == o.seq
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, o: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse for earliest-first.
        (o.time_ms, o.seq).cmp(&(self.time_ms, self.seq))
    }
}

#[derive(Debug, Clone)]
pub struct EventQueue<T> {
    heap: BinaryHeap<Entry<T>>,
    next_seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0 }
    }
}

impl<T> EventQueue<T> {
    pub fn push(&mut self, time_ms: i64, item: T) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time_ms, seq, item });
        seq
    }

    /// Takes the next sequence number for an item queued later with `push_with_seq`
    /// (`wakes.rs`: it keeps its place among simultaneous events).
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq - 1
    }

    /// Queues an item with a sequence number taken earlier (`next_seq`).
    pub fn push_with_seq(&mut self, time_ms: i64, seq: u64, item: T) {
        debug_assert!(seq < self.next_seq);
        self.heap.push(Entry { time_ms, seq, item });
    }

    pub fn peek_time(&self) -> Option<i64> {
        self.heap.peek().map(|e| e.time_ms)
    }

    pub fn pop(&mut self) -> Option<(i64, u64, T)> {
        self.heap.pop().map(|e| (e.time_ms, e.seq, e.item))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// All queued items in no particular order (for counts).
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.heap.iter().map(|e| &e.item)
    }

    /// All queued items in (time, seq) order — for views (in-flight messages; every drawn frame, so
    /// std's sort, not lean's index sort).
    pub fn iter_sorted(&self) -> Vec<(i64, u64, &T)> {
        let mut v: Vec<(i64, u64, &T)> = self.heap.iter().map(|e| (e.time_ms, e.seq, &e.item)).collect();
        v.sort_unstable_by_key(|(t, s, _)| (*t, *s)); // (time, seq) is unique: the same order as a stable sort
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_by_time_then_insertion_order() {
        let mut q = EventQueue::default();
        q.push(10, "b");
        q.push(5, "a");
        q.push(10, "c");
        assert_eq!(q.pop().map(|e| e.2), Some("a"));
        assert_eq!(q.pop().map(|e| e.2), Some("b"));
        assert_eq!(q.pop().map(|e| e.2), Some("c"));
        assert!(q.pop().is_none());
    }
}
