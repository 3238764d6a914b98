//! The leader epoch cache of one replica: epoch → start offset, as Kafka's
//! `LeaderEpochFileCache` (storage/.../epoch/LeaderEpochFileCache.java), persisted
//! as the `leader-epoch-checkpoint` file in the partition directory.

use serde::Serialize;

/// Kafka's `UNDEFINED_EPOCH` / `UNDEFINED_EPOCH_OFFSET`.
pub const UNDEFINED_EPOCH: i32 = -1;
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeaderEpochCache {
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    pub fn latest(&self) -> Option<EpochEntry> {
        self.entries.last().copied()
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    /// The epoch of the record at `offset` (`LeaderEpochFileCache.epochForOffset`).
    pub fn epoch_for_offset(&self, offset: i64) -> Option<i32> {
        self.entries.iter().rev().find(|e| e.start_offset <= offset).map(|e| e.epoch)
    }

    /// `LeaderEpochFileCache.assign`: record that `epoch` starts at `start_offset`.
    /// Only a newer epoch (or an earlier start for the latest epoch) changes the
    /// cache; entries with an epoch ≥ the new one, or a start offset ≥ the new
    /// one, are removed first (they conflict with it). Returns whether it changed.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> bool {
        if epoch < 0 {
            return false;
        }
        if let Some(latest) = self.latest() {
            if epoch == latest.epoch && start_offset >= latest.start_offset {
                return false;
            }
            if epoch < latest.epoch && start_offset >= latest.start_offset {
                // An older epoch after a newer one would break the ordering; Kafka
                // logs a warning and ignores it.
                return false;
            }
        }
        while let Some(last) = self.entries.last() {
            if last.epoch >= epoch || last.start_offset >= start_offset {
                self.entries.pop();
            } else {
                break;
            }
        }
        self.entries.push(EpochEntry { epoch, start_offset });
        debug_assert!(
            self.entries.windows(2).all(|w| w[0].epoch < w[1].epoch && w[0].start_offset < w[1].start_offset),
            "epoch cache entries must strictly increase in epoch and start offset: {:?}",
            self.entries
        );
        true
    }

    /// `LeaderEpochFileCache.endOffsetFor(requestedEpoch, logEndOffset)`: the
    /// (epoch, end offset) of the largest epoch ≤ `requested`, where the end
    /// offset is the start of the next higher epoch, or the log end offset when
    /// `requested` is the latest epoch.
    pub fn end_offset_for(&self, requested: i32, log_end_offset: i64) -> (i32, i64) {
        if requested == UNDEFINED_EPOCH {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        }
        match self.latest() {
            None => (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET),
            Some(latest) if latest.epoch == requested => (requested, log_end_offset),
            Some(_) => {
                // higherEntry: first entry with epoch > requested.
                let higher = self.entries.iter().find(|e| e.epoch > requested);
                match higher {
                    None => (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET),
                    Some(h) => match self.entries.iter().rev().find(|e| e.epoch <= requested) {
                        // Requested epoch is older than anything we know.
                        None => (requested, h.start_offset),
                        Some(floor) => (floor.epoch, h.start_offset),
                    },
                }
            }
        }
    }

    /// `truncateFromEnd(endOffset)`: drop entries starting at or after `end_offset`.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        before != self.entries.len()
    }

    /// `truncateFromStart(startOffset)`: drop entries wholly before `start_offset`
    /// and move the start of the one that spans it.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> bool {
        let mut changed = false;
        // Index of the last entry starting at or before start_offset.
        if let Some(idx) = self.entries.iter().rposition(|e| e.start_offset <= start_offset) {
            if idx > 0 {
                self.entries.drain(..idx);
                changed = true;
            }
            if self.entries[0].start_offset < start_offset {
                self.entries[0].start_offset = start_offset;
                changed = true;
            }
        }
        changed
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The `leader-epoch-checkpoint` file: version, count, then `epoch startOffset` lines.
    pub fn to_checkpoint_file(&self) -> String {
        let mut s = format!("0\n{}\n", self.entries.len());
        for e in &self.entries {
            s.push_str(&format!("{} {}\n", e.epoch, e.start_offset));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(i32, i64)]) -> LeaderEpochCache {
        let mut c = LeaderEpochCache::default();
        for &(e, o) in entries {
            assert!(c.assign(e, o));
        }
        c
    }

    #[test]
    fn end_offset_for_follows_leader_epoch_file_cache() {
        let c = cache(&[(0, 0), (2, 10), (5, 20)]);
        // Latest epoch: the log end offset.
        assert_eq!(c.end_offset_for(5, 27), (5, 27));
        // Known epoch: start of the next one.
        assert_eq!(c.end_offset_for(2, 27), (2, 20));
        // Unknown epoch between two known ones: floor epoch, start of the next.
        assert_eq!(c.end_offset_for(3, 27), (2, 20));
        assert_eq!(c.end_offset_for(1, 27), (0, 10));
        // Newer than anything known.
        assert_eq!(c.end_offset_for(6, 27), (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET));
        // Older than anything known: the requested epoch and the first start offset.
        let c2 = cache(&[(3, 5)]);
        assert_eq!(c2.end_offset_for(1, 9), (1, 5));
        assert_eq!(c2.end_offset_for(UNDEFINED_EPOCH, 9), (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET));
    }

    #[test]
    fn assign_ignores_same_epoch_and_removes_conflicting_entries() {
        let mut c = cache(&[(0, 0), (1, 5)]);
        assert!(!c.assign(1, 7));
        assert!(c.assign(3, 4)); // conflicts with (1, 5)
        assert_eq!(c.entries(), &[EpochEntry { epoch: 0, start_offset: 0 }, EpochEntry { epoch: 3, start_offset: 4 }]);
    }

    #[test]
    fn truncation_from_both_ends() {
        let mut c = cache(&[(0, 0), (1, 5), (2, 9)]);
        c.truncate_from_end(9);
        assert_eq!(c.latest_epoch(), Some(1));
        c.truncate_from_start(7);
        assert_eq!(c.entries(), &[EpochEntry { epoch: 1, start_offset: 7 }]);
        assert_eq!(c.to_checkpoint_file(), "0\n1\n1 7\n");
    }
}
