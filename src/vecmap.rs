//! `VecMap`: an ordered map kept as one vector of entries sorted by key, for the engine's small,
//! hot maps whose size is bounded by the number of brokers or of requests in flight (a leader's
//! followers, a broker's fetchers and produce requests, the cluster's brokers, the producer's
//! batches and in-flight requests, the network's links, the wake-up lanes).
//!
//! It behaves as `BTreeMap` does where the engine uses it (same iteration order: ascending keys; a
//! later insert of a key replaces its value), so swapping one for the other changes no trace
//! hash. For these sizes a lookup is a binary search over one contiguous block instead of a walk
//! through nodes, a clone (a time-travel snapshot) is one allocation, and the module carries one
//! small copy of the code per key/value type instead of a B-tree's. Inserting in the middle moves
//! the entries after it, so a map whose size a user sets (a broker's partitions and logs: a
//! scenario may create thousands, in any name order) stays a `BTreeMap`: with `VecMap` there,
//! creating 20 topics of 1 000 partitions in reverse name order on 3 brokers took 4.0 s instead of
//! 2.0 s (measured 2026-12-07); per-partition maps kept here grow in key order (a follower's
//! partitions of one leader, the producer's queues) or are collected at once (a client's leaders).

use std::borrow::Borrow;
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { entries: Vec::new() }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<K, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap { entries: Vec::new() }
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter(self.entries.iter())
    }
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut(self.entries.iter_mut())
    }
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys(self.entries.iter())
    }
    pub fn values(&self) -> Values<'_, K, V> {
        Values(self.entries.iter())
    }
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }
    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.first().map(|(k, v)| (k, v))
    }
    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }
    /// Keeps the entries for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    #[inline]
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }
    #[inline]
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }
    #[inline]
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }
    pub fn get_key_value<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| (&self.entries[i].0, &self.entries[i].1))
    }
    #[inline]
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }
    /// As `BTreeMap::insert`: the value the key had, if it had one (the key itself is kept).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        // In key order (the common case) it appends.
        if self.entries.last().is_none_or(|(k, _)| *k < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }
    pub fn remove_entry<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i))
    }
    /// The value of `key`, inserted by `make` when there is none (`entry(key).or_insert_with(make)`).
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }
    /// `BTreeMap::entry`, for `or_insert_with` / `or_insert` / `or_default`.
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        Entry { map: self, key }
    }
    /// The entries whose keys are in `range`, in order.
    pub fn range<Q: Ord + ?Sized, R: std::ops::RangeBounds<Q>>(&self, range: R) -> Iter<'_, K, V>
    where
        K: Borrow<Q>,
    {
        use std::ops::Bound::*;
        let lo = match range.start_bound() {
            Included(q) => self.entries.partition_point(|(k, _)| k.borrow() < q),
            Excluded(q) => self.entries.partition_point(|(k, _)| k.borrow() <= q),
            Unbounded => 0,
        };
        let hi = match range.end_bound() {
            Included(q) => self.entries.partition_point(|(k, _)| k.borrow() <= q),
            Excluded(q) => self.entries.partition_point(|(k, _)| k.borrow() < q),
            Unbounded => self.entries.len(),
        };
        Iter(self.entries[lo..hi.max(lo)].iter())
    }
}

/// A key's place in a `VecMap` (`VecMap::entry`).
pub struct Entry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    key: K,
}

impl<'a, K: Ord, V> Entry<'a, K, V> {
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        self.map.get_or_insert_with(self.key, make)
    }
    pub fn or_insert(self, value: V) -> &'a mut V {
        self.map.get_or_insert_with(self.key, || value)
    }
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.map.get_or_insert_with(self.key, V::default)
    }
}

impl<K: Ord, Q: Ord + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V>
where
    K: Borrow<Q>,
{
    type Output = V;
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// As `BTreeMap`'s: sorted by key, the last value of a repeated key kept.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(K, V)> = iter.into_iter().collect();
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return VecMap { entries };
        }
        entries.reverse(); // the stable sort then keeps the last of equal keys first
        crate::lean::sort_by(&mut entries, |a, b| a.0.cmp(&b.0)); // one shared sort in the module
        entries.dedup_by(|later, first| later.0 == first.0);
        VecMap { entries }
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

/// The entries in key order, as `(&K, &V)`.
#[derive(Clone)]
pub struct Iter<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}
impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

/// The keys in order.
#[derive(Clone)]
pub struct Keys<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<'a, K, V> Iterator for Keys<'a, K, V> {
    type Item = &'a K;
    #[inline]
    fn next(&mut self) -> Option<&'a K> {
        self.0.next().map(|(k, _)| k)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<K, V> DoubleEndedIterator for Keys<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, _)| k)
    }
}
impl<K, V> ExactSizeIterator for Keys<'_, K, V> {}

/// The values in key order.
#[derive(Clone)]
pub struct Values<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<'a, K, V> Iterator for Values<'a, K, V> {
    type Item = &'a V;
    #[inline]
    fn next(&mut self) -> Option<&'a V> {
        self.0.next().map(|(_, v)| v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<K, V> DoubleEndedIterator for Values<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(_, v)| v)
    }
}
impl<K, V> ExactSizeIterator for Values<'_, K, V> {}

/// The entries in key order, as `(&K, &mut V)`.
pub struct IterMut<'a, K, V>(std::slice::IterMut<'a, (K, V)>);

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<K, V> DoubleEndedIterator for IterMut<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}
impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for VecMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.entries.iter().map(|(k, v)| (k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;
    use std::collections::BTreeMap;

    /// The same operations on a `VecMap` and a `BTreeMap` leave the same entries in the same
    /// order and return the same values (a seeded mix of inserts, removes, lookups and retains).
    #[test]
    fn a_vecmap_answers_as_a_btreemap_does() {
        let mut rng = crate::rng::Rng::new(7);
        let mut a: VecMap<u32, u64> = VecMap::new();
        let mut b: BTreeMap<u32, u64> = BTreeMap::new();
        for i in 0..20_000u64 {
            let k = rng.range_inclusive(0, 60) as u32;
            match rng.range_inclusive(0, 9) {
                0..=4 => assert_eq!(a.insert(k, i), b.insert(k, i), "insert {k}"),
                5..=6 => assert_eq!(a.remove(&k), b.remove(&k), "remove {k}"),
                7 => {
                    *a.get_or_insert_with(k, || i) += 1;
                    *b.entry(k).or_insert_with(|| i) += 1;
                }
                8 => {
                    a.retain(|key, v| !(key + *v as u32).is_multiple_of(7));
                    b.retain(|key, v| !(key + *v as u32).is_multiple_of(7));
                }
                _ => {
                    assert_eq!(a.get(&k), b.get(&k));
                    let (lo, hi) = (k.min(30), k.max(30));
                    assert!(a.range(lo..hi).eq(b.range(lo..hi)), "range {lo}..{hi}");
                    assert!(a.range(lo..=hi).eq(b.range(lo..=hi)), "range {lo}..={hi}");
                }
            }
            assert!(a.iter().eq(b.iter()), "after op {i}");
        }
        let from: Vec<(u32, u64)> = (0..200).map(|i| ((i * 37 % 50) as u32, i)).collect();
        let a: VecMap<u32, u64> = from.iter().copied().collect();
        let b: BTreeMap<u32, u64> = from.iter().copied().collect();
        assert!(a.iter().eq(b.iter()), "collect keeps the last value of a repeated key");
    }
}
