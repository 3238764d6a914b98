//! The same results as std's generic helpers, with less code in the browser's module (issue 16).
//!
//! A stable sort (`sort`, `sort_by`, `sort_by_key`, and `collect()` into a `BTreeMap`/`BTreeSet`,
//! which sorts its input first) is compiled anew for every element type and comparison: ~6 KB
//! of wasm each. [`CollectBTree`] builds maps and sets by insertion instead (the same map, keeping
//! the last value of a repeated key as `collect` does, through the `insert` every map type already
//! has), and [`sort_by`] / [`sort_by_key`] sort through one shared sort of indices. Both give
//! exactly std's result (a stable sort's output is fully determined by the comparison); they are for
//! cold paths and small inputs (views, exports, scenario checks, rebalances), not the engine's hot loop.
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

pub trait CollectBTree: Iterator + Sized {
    /// `collect::<BTreeMap<_, _>>()` without the sort.
    fn collect_map<K: Ord, V>(self) -> BTreeMap<K, V>
    where
        Self: Iterator<Item = (K, V)>,
    {
        let mut m = BTreeMap::new();
        m.extend(self);
        m
    }

    /// `collect::<BTreeSet<_>>()` without the sort.
    fn collect_set<T: Ord>(self) -> BTreeSet<T>
    where
        Self: Iterator<Item = T>,
    {
        let mut s = BTreeSet::new();
        s.extend(self);
        s
    }
}

impl<I: Iterator> CollectBTree for I {}

/// `v.sort_by(cmp)`: the same order (stable), through [`sort_indices`], shared by every caller.
pub fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    // A few elements (the hot paths' case: the partitions one event touched): insertion sort in place,
    // stable like the rest, no allocation.
    if v.len() <= 12 {
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    sort_indices(&mut order, &mut |a, b| cmp(&v[a], &v[b]));
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.into_iter().map(|i| slots[i].take().expect("each index once")));
}

/// `v.sort_by_key(key)` through [`sort_by`].
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)))
}

/// `v.sort()` through [`sort_by`].
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, |a, b| a.cmp(b))
}

/// The one stable sort the helpers above compile to.
#[inline(never)]
fn sort_indices(order: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| cmp(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_as_collect_with_repeated_keys() {
        let pairs = [(3, "a"), (1, "b"), (3, "c"), (2, "d"), (1, "e")];
        assert_eq!(pairs.iter().copied().collect_map(), pairs.iter().copied().collect::<BTreeMap<_, _>>());
        assert_eq!(pairs.iter().map(|p| p.0).collect_set(), pairs.iter().map(|p| p.0).collect::<BTreeSet<_>>());
    }

    #[test]
    #[allow(clippy::unnecessary_sort_by)] // a comparison, as callers pass
    fn the_same_order_as_std_stable_sorts() {
        let mut rng = crate::rng::Rng::new(7);
        for n in [0, 1, 2, 3, 10, 33, 200] {
            let v: Vec<(u64, u64)> = (0..n).map(|i| (rng.next_u64() % 5, i)).collect();
            let (mut a, mut b) = (v.clone(), v.clone());
            sort_by_key(&mut a, |x| x.0);
            b.sort_by_key(|x| x.0);
            assert_eq!(a, b);
            let (mut a, mut b) = (v.clone(), v.clone());
            sort_by(&mut a, |x, y| y.0.cmp(&x.0));
            b.sort_by(|x, y| y.0.cmp(&x.0));
            assert_eq!(a, b);
            let (mut a, mut b) = (v.clone(), v);
            sort(&mut a);
            b.sort();
            assert_eq!(a, b);
        }
    }
}
