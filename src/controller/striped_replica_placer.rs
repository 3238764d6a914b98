//! Where a new topic's replicas go in KRaft: Kafka's `StripedReplicaPlacer`
//! (metadata/src/main/java/org/apache/kafka/metadata/placement/StripedReplicaPlacer.java, the
//! placer `QuorumController` hands to `ReplicationControlManager` in Kafka 3.0+ and 4.x).
//!
//! The brokers come from `ClusterControlManager.usableBrokers()` (BrokerHeartbeatManager's
//! `UsableBrokerIterator`): every registered broker, fenced or not, except those in controlled
//! shutdown, in broker-id order. They are grouped by rack (no rack is a group of its own); each
//! rack keeps a sorted list of unfenced and one of fenced brokers, each with a random start offset.
//! Partition by partition:
//! * the **leader** is the next unfenced broker of the rack at the list's offset (racks without
//!   an unfenced broker are skipped: a leader is never fenced);
//! * the **followers** walk the racks round robin from there, each rack giving its next broker
//!   (unfenced first, fenced only once its unfenced brokers are used up in this round);
//! * the rack offset moves on by one per partition: the "stripes" of the name. Once as many
//!   partitions as there are unfenced brokers have been placed, the rack order and every broker
//!   list are shuffled, so later rounds do not repeat the same replica sets.
//!
//! Kafka's `Random` is unseeded (`new Random()`), so no two Kafka clusters place alike; here the
//! draws come from the simulation's seeded placement stream (`next_int(bound)` stands for
//! `Random.nextInt`), and racks are initialised in name order where Kafka walks a `HashMap` (the
//! order of the draws, never their meaning, differs).

use std::collections::BTreeMap;

/// A broker the placer may use (Kafka's `UsableBroker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsableBroker {
    pub id: i32,
    pub rack: Option<String>,
    pub fenced: bool,
}

/// Kafka's `InvalidReplicationFactorException`, with Kafka's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidReplicationFactor(pub String);

/// `BrokerList`: a sorted list walked from a start offset that moves on by one every epoch.
#[derive(Debug, Default)]
struct BrokerList {
    brokers: Vec<i32>,
    index: usize,
    offset: usize,
    epoch: usize,
}

impl BrokerList {
    fn initialize(&mut self, random: &mut dyn FnMut(usize) -> usize) {
        if !self.brokers.is_empty() {
            crate::lean::sort(&mut self.brokers);
            self.offset = random(self.brokers.len());
        }
    }

    fn initialize_after(&mut self, previous_offset: usize) {
        if !self.brokers.is_empty() {
            crate::lean::sort(&mut self.brokers);
            self.offset = (previous_offset + 1) % self.brokers.len();
        }
    }

    /// The next broker in this epoch, or None once every broker was returned in it.
    fn next(&mut self, epoch: usize) -> Option<i32> {
        if self.brokers.is_empty() {
            return None;
        }
        if self.epoch != epoch {
            self.epoch = epoch;
            self.index = 0;
            self.offset = (self.offset + 1) % self.brokers.len();
        }
        if self.index >= self.brokers.len() {
            return None;
        }
        let b = self.brokers[(self.index + self.offset) % self.brokers.len()];
        self.index += 1;
        Some(b)
    }
}

/// `Collections.shuffle(list, random)`: for i from size down to 2, swap(i - 1, nextInt(i)).
fn shuffle<T>(v: &mut [T], random: &mut dyn FnMut(usize) -> usize) {
    for i in (2..=v.len()).rev() {
        let j = random(i);
        v.swap(i - 1, j);
    }
}

#[derive(Debug, Default)]
struct Rack {
    fenced: BrokerList,
    unfenced: BrokerList,
}

impl Rack {
    /// `Rack.next`: an unfenced broker first, a fenced one once they are used up this epoch.
    fn next(&mut self, epoch: usize) -> Option<i32> {
        self.unfenced.next(epoch).or_else(|| self.fenced.next(epoch))
    }
}

/// `RackList`: the racks in name order (no rack first, as `OptionalStringComparator` sorts).
pub struct RackList<'r> {
    random: &'r mut dyn FnMut(usize) -> usize,
    racks: BTreeMap<Option<String>, Rack>,
    rack_names: Vec<Option<String>>,
    total: usize,
    unfenced: usize,
    epoch: usize,
    offset: usize,
}

impl<'r> RackList<'r> {
    /// Builds the rack list. `existing` are the topic's current replica lists (CreatePartitions
    /// continues the stripe after the last partition: Kafka's `tryGetPreviousRackOffset` and
    /// `tryGetPreviousBrokerOffset`); empty for a new topic.
    pub fn new(random: &'r mut dyn FnMut(usize) -> usize, existing: &[Vec<i32>], brokers: &[UsableBroker]) -> RackList<'r> {
        let mut racks: BTreeMap<Option<String>, Rack> = BTreeMap::new();
        let mut rack_of: BTreeMap<i32, Option<String>> = BTreeMap::new();
        let (mut total, mut unfenced) = (0, 0);
        for b in brokers {
            rack_of.insert(b.id, b.rack.clone());
            let rack = racks.entry(b.rack.clone()).or_default();
            if b.fenced {
                rack.fenced.brokers.push(b.id);
            } else {
                unfenced += 1;
                rack.unfenced.brokers.push(b.id);
            }
            total += 1;
        }
        for (name, rack) in racks.iter_mut() {
            // tryGetPreviousBrokerOffset: the last existing replica in this rack, found among its
            // unfenced brokers (in registration order, before sorting, as Kafka does).
            let previous = existing
                .iter()
                .rev()
                .find_map(|replicas| replicas.iter().find(|id| rack_of.get(id) == Some(name)))
                .and_then(|id| rack.unfenced.brokers.iter().position(|b| b == id));
            rack.fenced.initialize(random);
            match previous {
                Some(p) => rack.unfenced.initialize_after(p),
                None => rack.unfenced.initialize(random),
            }
        }
        let rack_names: Vec<Option<String>> = racks.keys().cloned().collect();
        // tryGetPreviousRackOffset: the rack after the last partition's leader's rack.
        let previous_rack = existing
            .last()
            .and_then(|r| r.first())
            .and_then(|leader| rack_of.get(leader))
            .and_then(|rack| rack_names.iter().position(|n| n == rack));
        let offset = match previous_rack {
            Some(p) => (p + 1) % rack_names.len(),
            None if rack_names.is_empty() => 0,
            None => random(rack_names.len()),
        };
        RackList { random, racks, rack_names, total, unfenced, epoch: 0, offset }
    }

    /// The replicas of one more partition (`RackList.place`), leader first.
    pub fn place(&mut self, replication_factor: usize) -> Result<Vec<i32>, InvalidReplicationFactor> {
        check(replication_factor, self.total, self.unfenced)?;
        // After as many partitions as there are unfenced brokers, shuffle (not for a single
        // unfenced broker: the epoch would never move on).
        if self.epoch == self.unfenced && self.unfenced > 1 {
            shuffle(&mut self.rack_names, self.random);
            for rack in self.racks.values_mut() {
                shuffle(&mut rack.fenced.brokers, self.random);
                shuffle(&mut rack.unfenced.brokers, self.random);
            }
            self.epoch = 0;
        }
        if self.offset == self.rack_names.len() {
            self.offset = 0;
        }
        let n = self.rack_names.len();
        let mut out = Vec::with_capacity(replication_factor);
        // The leader: the first rack from the offset with an unfenced broker left.
        let mut first = self.offset;
        loop {
            let rack = self.racks.get_mut(&self.rack_names[first]).expect("rack names come from the map");
            if let Some(b) = rack.unfenced.next(self.epoch) {
                out.push(b);
                break;
            }
            first = (first + 1) % n;
        }
        // Followers: racks round robin from the offset, the leader's rack skipped once.
        let mut first = Some(first);
        let mut rack_index = self.offset;
        for _ in 1..replication_factor {
            loop {
                let mut got = None;
                if first == Some(rack_index) {
                    first = None;
                } else {
                    let rack = self.racks.get_mut(&self.rack_names[rack_index]).expect("rack names come from the map");
                    got = rack.next(self.epoch);
                }
                rack_index = (rack_index + 1) % n;
                if let Some(b) = got {
                    out.push(b);
                    break;
                }
            }
        }
        self.epoch += 1;
        self.offset += 1;
        Ok(out)
    }
}

/// Kafka's three checks, in `StripedReplicaPlacer.place`'s order, with its messages.
fn check(replication_factor: usize, total: usize, unfenced: usize) -> Result<(), InvalidReplicationFactor> {
    if replication_factor == 0 {
        return Err(InvalidReplicationFactor(format!(
            "Invalid replication factor {replication_factor}: the replication factor must be positive."
        )));
    }
    if unfenced == 0 {
        return Err(InvalidReplicationFactor("All brokers are currently fenced.".to_string()));
    }
    if replication_factor > total {
        return Err(InvalidReplicationFactor(format!(
            "The target replication factor of {replication_factor} cannot be reached because only {total} broker(s) are registered."
        )));
    }
    Ok(())
}

/// `StripedReplicaPlacer.place`: `partitions` replica lists for a topic (leader first).
/// `next_int(bound)` is `Random.nextInt(bound)`: a value in `0..bound`.
pub fn place(
    brokers: &[UsableBroker],
    existing: &[Vec<i32>],
    partitions: usize,
    replication_factor: usize,
    next_int: &mut dyn FnMut(usize) -> usize,
) -> Result<Vec<Vec<i32>>, InvalidReplicationFactor> {
    let mut racks = RackList::new(next_int, existing, brokers);
    check(replication_factor, racks.total, racks.unfenced)?;
    (0..partitions).map(|_| racks.place(replication_factor)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brokers(spec: &[(i32, Option<&str>, bool)]) -> Vec<UsableBroker> {
        spec.iter().map(|&(id, rack, fenced)| UsableBroker { id, rack: rack.map(str::to_string), fenced }).collect()
    }

    /// Always draws 0: every offset starts at the list's first element (before its +1 per epoch).
    fn zero(_: usize) -> usize {
        0
    }

    #[test]
    fn three_racks_of_three_give_the_documented_stripes() {
        // The class comment's example: racks A, B, C with brokers A0..C2; with every offset 0
        // the partitions go A, B, C / B, C, A / C, A, B — and within a rack the next broker.
        let b = brokers(&[
            (0, Some("A"), false),
            (1, Some("A"), false),
            (2, Some("A"), false),
            (10, Some("B"), false),
            (11, Some("B"), false),
            (12, Some("B"), false),
            (20, Some("C"), false),
            (21, Some("C"), false),
            (22, Some("C"), false),
        ]);
        let got = place(&b, &[], 3, 3, &mut zero).unwrap();
        assert_eq!(got, vec![vec![0, 10, 20], vec![11, 21, 1], vec![22, 2, 12]]);
    }

    #[test]
    fn a_leader_is_never_fenced_and_fenced_brokers_come_last() {
        let b = brokers(&[(1, None, false), (2, None, true), (3, None, false)]);
        let got = place(&b, &[], 8, 3, &mut zero).unwrap();
        for r in &got {
            assert_ne!(r[0], 2, "a fenced broker led {r:?}");
            assert_eq!(r[2], 2, "the fenced broker is used only after the unfenced ones: {r:?}");
        }
        let got = place(&b, &[], 4, 2, &mut zero).unwrap();
        assert!(got.iter().all(|r| !r.contains(&2)), "with enough unfenced brokers the fenced one gets nothing: {got:?}");
    }

    #[test]
    fn kafka_refuses_with_its_own_words() {
        let b = brokers(&[(1, None, true), (2, None, true)]);
        assert_eq!(place(&b, &[], 1, 1, &mut zero).unwrap_err().0, "All brokers are currently fenced.");
        let b = brokers(&[(1, None, false), (2, None, true)]);
        assert_eq!(
            place(&b, &[], 1, 3, &mut zero).unwrap_err().0,
            "The target replication factor of 3 cannot be reached because only 2 broker(s) are registered."
        );
        assert!(place(&b, &[], 1, 0, &mut zero).unwrap_err().0.contains("must be positive"));
    }

    #[test]
    fn leaders_spread_evenly_over_unfenced_brokers_for_any_draws() {
        // Six brokers in three racks, 24 partitions: every broker leads 4, every partition spans
        // three racks — whatever the random draws are.
        let b = brokers(&[
            (1, Some("az-1"), false),
            (2, Some("az-1"), false),
            (3, Some("az-2"), false),
            (4, Some("az-2"), false),
            (5, Some("az-3"), false),
            (6, Some("az-3"), false),
        ]);
        for seed in 0..50u64 {
            let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mut draw = move |bound: usize| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 33) as usize) % bound
            };
            let got = place(&b, &[], 24, 3, &mut draw).unwrap();
            let mut leads = BTreeMap::new();
            for r in &got {
                *leads.entry(r[0]).or_insert(0) += 1;
                let racks: std::collections::BTreeSet<i32> = r.iter().map(|id| (id + 1) / 2).collect();
                assert_eq!(racks.len(), 3, "seed {seed}: {r:?} is not spread over three racks");
            }
            assert!(leads.values().all(|&n| n == 4), "seed {seed}: leaders {leads:?}");
        }
    }

    #[test]
    fn new_partitions_continue_the_stripe_after_the_last_one() {
        let b = brokers(&[(1, None, false), (2, None, false), (3, None, false)]);
        // The last existing partition is led by broker 2 (index 1 of the unfenced list) and its
        // first replica in the (only) rack is 2: the next placement starts after it.
        let got = place(&b, &[vec![1, 2, 3], vec![2, 3, 1]], 1, 3, &mut |_| panic!("no draw is needed")).unwrap();
        assert_eq!(got, vec![vec![3, 1, 2]], "partitions led by 1 and 2 are followed by one led by 3");
    }
}
