//! What a leader knows about one follower: Kafka's `Replica.scala` `ReplicaState`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplicaState {
    /// The follower's LEO as of its last fetch (-1 = unknown, after a leader change).
    pub log_end_offset: i64,
    pub log_start_offset: i64,
    /// The leader's LEO at the time of the follower's previous fetch.
    pub last_fetch_leader_log_end_offset: i64,
    pub last_fetch_time_ms: i64,
    pub last_caught_up_time_ms: i64,
    pub broker_epoch: Option<i64>,
}

/// `lastCaughtUpTimeMs` of a follower that has never caught up. Kafka starts it at 0, which on
/// its wall clock is 1970, so `isCaughtUp` never takes it for recent; the simulation's clock
/// starts at 0, so "never" must be far in the past here too (with 0, a replica added in the
/// first `replica.lag.time.max.ms` of a run counted as caught up and held the high watermark back).
pub const NEVER_CAUGHT_UP: i64 = i64::MIN / 4;

impl ReplicaState {
    pub fn unknown(last_caught_up_time_ms: i64) -> ReplicaState {
        ReplicaState {
            log_end_offset: -1,
            log_start_offset: -1,
            last_fetch_leader_log_end_offset: -1,
            // Kafka's empty state says 0 (1970): a first fetch is never "caught up at the
            // previous fetch" (see NEVER_CAUGHT_UP).
            last_fetch_time_ms: NEVER_CAUGHT_UP,
            last_caught_up_time_ms,
            broker_epoch: None,
        }
    }

    /// `Replica.updateFetchStateOrThrow`: a follower fetched at `fetch_offset`
    /// (its LEO) while the leader's LEO was `leader_end_offset`.
    ///
    /// The follower counts as caught up *at the time of this fetch* when it asked
    /// for the leader's LEO, and as caught up *at the time of its previous fetch*
    /// when it has now reached what the leader had then.
    pub fn update_fetch_state(
        &mut self,
        fetch_offset: i64,
        follower_start_offset: i64,
        fetch_time_ms: i64,
        leader_end_offset: i64,
        broker_epoch: i64,
    ) {
        let last_caught_up = if fetch_offset >= leader_end_offset {
            self.last_caught_up_time_ms.max(fetch_time_ms)
        } else if fetch_offset >= self.last_fetch_leader_log_end_offset {
            self.last_caught_up_time_ms.max(self.last_fetch_time_ms)
        } else {
            self.last_caught_up_time_ms
        };
        self.log_start_offset = follower_start_offset;
        self.log_end_offset = fetch_offset;
        self.last_fetch_leader_log_end_offset = leader_end_offset.max(self.last_fetch_leader_log_end_offset);
        self.last_fetch_time_ms = fetch_time_ms;
        self.last_caught_up_time_ms = last_caught_up;
        self.broker_epoch = Some(broker_epoch);
    }

    /// `Replica.isCaughtUp`: at the leader's LEO, or caught up within the last
    /// `replica.lag.time.max.ms`. A caught-up follower with no new data never lags.
    pub fn is_caught_up(&self, leader_end_offset: i64, now_ms: i64, replica_lag_time_max_ms: i64) -> bool {
        leader_end_offset == self.log_end_offset || now_ms - self.last_caught_up_time_ms <= replica_lag_time_max_ms
    }
}
