//! A persistent, append-mostly vector for the engine's big collections (every replica's
//! records, the producer's sends, the event log), so that a snapshot for time travel costs
//! O(chunks), not O(elements): the elements live in shared, reference-counted chunks of
//! [`CHUNK`], and a clone copies only the chunk pointers. A write to a chunk a snapshot
//! shares copies that chunk first (copy on write), so a snapshot never sees later changes.
//!
//! Bookkeeping, not Kafka: it changes no behaviour (reads and writes are those of a `Vec`),
//! only what a `clone` costs. Appending, truncating from the end, dropping from the front
//! and reading by index or range are cheap; replacing a range in the middle (the log
//! cleaner) rebuilds the vector.

use std::ops::{Index, Range};
use std::rc::Rc;

/// Elements per chunk. Small enough that the partly filled last chunk each snapshot leaves
/// behind (copied once when the live vector next grows) stays small; large enough that a
/// clone's pointer copy is short.
pub const CHUNK: usize = 64;

/// The vector: chunks of exactly [`CHUNK`] elements except the last (the first counts the
/// `head` elements dropped from the front but still stored).
pub struct PVec<T> {
    chunks: Vec<Rc<Vec<T>>>,
    head: usize,
    len: usize,
}

impl<T: Clone> Clone for PVec<T> {
    /// Full chunks are shared. A partly filled last chunk that only `self` holds is copied at
    /// its length instead: the copy (a time-travel snapshot, mostly) keeps no room to grow,
    /// and `self`'s chunk stays unshared, so its next push copies nothing.
    fn clone(&self) -> Self {
        let mut chunks = self.chunks.clone();
        if let Some(last) = chunks.last_mut() {
            if last.len() < CHUNK && Rc::strong_count(last) == 2 {
                *last = Rc::new(last.as_ref().clone());
            }
        }
        PVec { chunks, head: self.head, len: self.len }
    }
}

impl<T> Default for PVec<T> {
    fn default() -> Self {
        PVec { chunks: Vec::new(), head: 0, len: 0 }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for PVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for PVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T> PVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many chunks are stored (a clone copies this many pointers).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    fn locate(&self, i: usize) -> (usize, usize) {
        let j = self.head + i;
        (j / CHUNK, j % CHUNK)
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let (c, k) = self.locate(i);
        Some(&self.chunks[c][k])
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// The elements in `r` (clamped to the vector), in order, from either end.
    pub fn range(&self, r: Range<usize>) -> Iter<'_, T> {
        let end = r.end.min(self.len);
        let start = r.start.min(end);
        if start == end {
            return Iter { front: [].iter(), mid: [].iter(), back: [].iter(), left: 0 };
        }
        let (c0, k0) = self.locate(start);
        let (c1, k1) = self.locate(end - 1);
        if c0 == c1 {
            return Iter { front: self.chunks[c0][k0..=k1].iter(), mid: [].iter(), back: [].iter(), left: end - start };
        }
        Iter {
            front: self.chunks[c0][k0..].iter(),
            mid: self.chunks[c0 + 1..c1].iter(),
            back: self.chunks[c1][..=k1].iter(),
            left: end - start,
        }
    }

    pub fn iter(&self) -> Iter<'_, T> {
        self.range(0..self.len)
    }

    /// The first index whose element does not satisfy `pred` (the vector is partitioned by
    /// it), as `slice::partition_point`.
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&self[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// As `slice::binary_search_by_key` (the index of one element with that key).
    pub fn binary_search_by_key<K: Ord>(&self, key: &K, mut f: impl FnMut(&T) -> K) -> Result<usize, usize> {
        let i = self.partition_point(|x| f(x) < *key);
        if i < self.len && f(&self[i]) == *key {
            Ok(i)
        } else {
            Err(i)
        }
    }

    /// Drops the first `n` elements (whole chunks are freed; a chunk a snapshot shares stays
    /// whole for it).
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        if n == self.len {
            self.clear();
            return;
        }
        self.head += n;
        self.len -= n;
        let whole = self.head / CHUNK;
        if whole > 0 {
            self.chunks.drain(..whole);
            self.head -= whole * CHUNK;
        }
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.head = 0;
        self.len = 0;
    }
}

impl<T: Clone> PVec<T> {
    pub fn push(&mut self, x: T) {
        let full = self.chunks.last().is_none_or(|c| c.len() == CHUNK);
        if full {
            let mut v = Vec::with_capacity(CHUNK);
            v.push(x);
            self.chunks.push(Rc::new(v));
        } else {
            let last = self.chunks.last_mut().expect("a chunk");
            if Rc::strong_count(last) > 1 {
                // Shared with a snapshot: a fresh chunk with room for the rest.
                let mut v = Vec::with_capacity(CHUNK);
                v.extend_from_slice(last);
                *last = Rc::new(v);
            }
            Rc::get_mut(last).expect("unshared").push(x);
        }
        self.len += 1;
    }

    pub fn extend<I: IntoIterator<Item = T>>(&mut self, xs: I) {
        for x in xs {
            self.push(x);
        }
    }

    /// A mutable reference to element `i` (its chunk is copied first if a snapshot shares it).
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let (c, k) = self.locate(i);
        Some(&mut Rc::make_mut(&mut self.chunks[c])[k])
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.len.checked_sub(1).and_then(|i| self.get_mut(i))
    }

    /// Keeps the first `n` elements.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        if n == 0 {
            self.clear();
            return;
        }
        let j = self.head + n;
        let keep_chunks = j.div_ceil(CHUNK);
        self.chunks.truncate(keep_chunks);
        let rem = j - (keep_chunks - 1) * CHUNK;
        let last = self.chunks.last_mut().expect("a chunk");
        if last.len() > rem {
            match Rc::get_mut(last) {
                Some(v) => v.truncate(rem),
                None => {
                    let mut v = Vec::with_capacity(CHUNK);
                    v.extend_from_slice(&last[..rem]);
                    *last = Rc::new(v);
                }
            }
        }
        self.len = n;
    }

    /// Removes and returns the elements from index `n` on.
    pub fn split_off(&mut self, n: usize) -> Vec<T> {
        let gone: Vec<T> = self.range(n..self.len).cloned().collect();
        self.truncate(n);
        gone
    }

    /// Replaces the elements in `r` by `with` (rebuilds the vector: O(len)).
    pub fn splice(&mut self, r: Range<usize>, with: Vec<T>) {
        let mut all: Vec<T> = self.range(0..r.start).cloned().collect();
        all.extend(with);
        all.extend(self.range(r.end..self.len).cloned());
        *self = all.into_iter().collect();
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

impl<T: Clone> FromIterator<T> for PVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(xs: I) -> Self {
        let mut v = PVec::new();
        v.extend(xs);
        v
    }
}

impl<T> Index<usize> for PVec<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        assert!(i < self.len, "index {i} out of range for a PVec of length {}", self.len);
        let (c, k) = self.locate(i);
        &self.chunks[c][k]
    }
}

impl<'a, T> IntoIterator for &'a PVec<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The elements of a range of a [`PVec`], from either end.
pub struct Iter<'a, T> {
    front: std::slice::Iter<'a, T>,
    mid: std::slice::Iter<'a, Rc<Vec<T>>>,
    back: std::slice::Iter<'a, T>,
    left: usize,
}

impl<T> Clone for Iter<'_, T> {
    fn clone(&self) -> Self {
        Iter { front: self.front.clone(), mid: self.mid.clone(), back: self.back.clone(), left: self.left }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.front.next() {
                self.left -= 1;
                return Some(x);
            }
            match self.mid.next() {
                Some(c) => self.front = c.iter(),
                None => {
                    let x = self.back.next()?;
                    self.left -= 1;
                    return Some(x);
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, T> DoubleEndedIterator for Iter<'a, T> {
    fn next_back(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.back.next_back() {
                self.left -= 1;
                return Some(x);
            }
            match self.mid.next_back() {
                Some(c) => self.back = c.iter(),
                None => {
                    let x = self.front.next_back()?;
                    self.left -= 1;
                    return Some(x);
                }
            }
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_shares_the_full_chunks_and_holds_its_own_tight_copy_of_a_partly_filled_last_one() {
        let mut live: PVec<u64> = (0..(CHUNK as u64 * 2 + 5)).fold(PVec::new(), |mut v, i| {
            v.push(i);
            v
        });
        let snap = live.clone();
        assert!(Rc::ptr_eq(&live.chunks[0], &snap.chunks[0]) && Rc::ptr_eq(&live.chunks[1], &snap.chunks[1]));
        assert_eq!(Rc::strong_count(&live.chunks[2]), 1, "the live tail stays unshared: its next push copies nothing");
        assert_eq!(snap.chunks[2].capacity(), 5, "the snapshot keeps no room to grow");
        live.push(999);
        assert_eq!((live.len(), snap.len()), (CHUNK * 2 + 6, CHUNK * 2 + 5));
        assert_eq!(snap.iter().copied().collect::<Vec<_>>(), (0..(CHUNK as u64 * 2 + 5)).collect::<Vec<_>>());
        // Restoring from the snapshot (a clone of it) leaves the snapshot's tail its own too.
        let restored = snap.clone();
        assert_eq!(Rc::strong_count(&snap.chunks[2]), 1);
        assert!(restored == snap);
    }

    #[test]
    fn behaves_as_a_vec_under_pushes_truncations_front_drops_and_splices() {
        let mut v: PVec<u32> = PVec::new();
        let mut w: Vec<u32> = vec![];
        let mut snaps: Vec<(PVec<u32>, Vec<u32>)> = vec![];
        let mut x: u64 = 7;
        for step in 0..4000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 23 {
                0 => {
                    let n = (x as usize / 23) % (w.len() + 1);
                    assert_eq!(v.split_off(n), w.split_off(n));
                }
                1 => {
                    let n = (x as usize / 23) % (w.len() / 4 + 1);
                    v.drop_front(n);
                    w.drain(..n);
                }
                2 if !w.is_empty() => {
                    let i = (x as usize / 23) % w.len();
                    *v.get_mut(i).unwrap() += 1;
                    w[i] += 1;
                }
                3 if w.len() > 10 => {
                    let (lo, hi) = (w.len() / 3, w.len() / 2);
                    v.splice(lo..hi, vec![1, 2, 3]);
                    w.splice(lo..hi, vec![1, 2, 3]);
                }
                4 => snaps.push((v.clone(), w.clone())),
                _ => {
                    v.push(step);
                    w.push(step);
                }
            }
            assert_eq!(v.len(), w.len());
            assert!(v.iter().eq(w.iter()));
            assert!(v.iter().rev().eq(w.iter().rev()));
            let (a, b) = (w.len() / 5, w.len() * 3 / 4);
            assert!(v.range(a..b).eq(w[a..b].iter()));
            assert!(v.range(a..b).rev().eq(w[a..b].iter().rev()));
            assert_eq!(v.range(a..b).len(), b - a);
        }
        for (s, expect) in &snaps {
            assert!(s.iter().eq(expect.iter()), "a snapshot never sees later changes");
        }
        let sorted: PVec<u32> = (0..1000).map(|i| i * 2).collect();
        assert_eq!(sorted.partition_point(|&y| y < 501), 251);
        assert_eq!(sorted.binary_search_by_key(&500, |&y| y), Ok(250));
        assert_eq!(sorted.binary_search_by_key(&501, |&y| y), Err(251));
    }
}
