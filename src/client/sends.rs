//! The producer's sends by write id, for the write audit and the views: a map with the
//! part of `BTreeMap<u64, SendRecord>`'s API the engine uses, over a [`PVec`] indexed by
//! write id (ids are handed out in increasing order), so a time-travel snapshot shares its
//! chunks instead of copying every send ever made. Bookkeeping, not Kafka.

use super::producer::SendRecord;
use crate::pvec::{self, PVec};
use std::ops::{Bound, Index, RangeBounds};

#[derive(Clone, Default)]
pub struct SendMap {
    /// The write id of `slots[0]`.
    base: u64,
    /// One slot per id from `base`; `None` for an id this producer never sent.
    slots: PVec<Option<SendRecord>>,
    len: usize,
}

impl std::fmt::Debug for SendMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl SendMap {
    pub fn new() -> SendMap {
        SendMap::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds the send `id` (ids come in increasing order; an id already present is replaced).
    pub fn insert(&mut self, id: u64, s: SendRecord) -> Option<SendRecord> {
        if self.slots.is_empty() {
            self.base = id;
        }
        assert!(id >= self.base, "write ids grow: {id} < {}", self.base);
        let i = (id - self.base) as usize;
        if i < self.slots.len() {
            let old = self.slots.get_mut(i).expect("in range").replace(s);
            if old.is_none() {
                self.len += 1;
            }
            return old;
        }
        while self.slots.len() < i {
            self.slots.push(None);
        }
        self.slots.push(Some(s));
        self.len += 1;
        None
    }

    pub fn get(&self, id: &u64) -> Option<&SendRecord> {
        let i = id.checked_sub(self.base)? as usize;
        self.slots.get(i).and_then(|s| s.as_ref())
    }

    pub fn get_mut(&mut self, id: &u64) -> Option<&mut SendRecord> {
        let i = id.checked_sub(self.base)? as usize;
        self.slots.get_mut(i).and_then(|s| s.as_mut())
    }

    pub fn contains_key(&self, id: &u64) -> bool {
        self.get(id).is_some()
    }

    fn index_of(&self, b: Bound<&u64>, upper: bool) -> usize {
        let n = self.slots.len() as u64;
        let at = |id: u64| id.saturating_sub(self.base).min(n) as usize;
        match (b, upper) {
            (Bound::Unbounded, false) => 0,
            (Bound::Unbounded, true) => n as usize,
            (Bound::Included(&id), false) | (Bound::Excluded(&id), true) => at(id),
            (Bound::Excluded(&id), false) | (Bound::Included(&id), true) => at(id.saturating_add(1)),
        }
    }

    /// The sends with ids in `r`, in id order, from either end.
    pub fn range<R: RangeBounds<u64>>(&self, r: R) -> Iter<'_> {
        let lo = self.index_of(r.start_bound(), false);
        let hi = self.index_of(r.end_bound(), true).max(lo);
        Iter { inner: self.slots.range(lo..hi) }
    }

    /// (id, send) in id order.
    pub fn iter(&self) -> Iter<'_> {
        self.range(..)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &SendRecord> + '_ {
        self.iter().map(|(_, s)| s)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &u64> + '_ {
        self.iter().map(|(id, _)| id)
    }

    /// Removes every send with an id ≤ `upto`, returning them in order.
    pub fn retire_through(&mut self, upto: u64) -> Vec<SendRecord> {
        let n = self.index_of(Bound::Included(&upto), true);
        let gone: Vec<SendRecord> = self.slots.range(0..n).flatten().cloned().collect();
        self.slots.drop_front(n);
        self.base += n as u64;
        self.len -= gone.len();
        gone
    }
}

impl Index<&u64> for SendMap {
    type Output = SendRecord;
    fn index(&self, id: &u64) -> &SendRecord {
        self.get(id).expect("a send with that write id")
    }
}

/// (write id, send) pairs of a [`SendMap`].
pub struct Iter<'a> {
    inner: pvec::Iter<'a, Option<SendRecord>>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a u64, &'a SendRecord);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(s) = self.inner.next()?.as_ref() {
                return Some((&s.write_id, s));
            }
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(s) = self.inner.next_back()?.as_ref() {
                return Some((&s.write_id, s));
            }
        }
    }
}
