//! Shrinking a failing run to a minimal command list that still fails the same way
//! (the same set of broken invariants): delta debugging (Zeller's ddmin) over the
//! safety phase's commands, then simpler commands (shorter runs and pauses, single
//! records). The liveness phase is rebuilt on every replay, so a shrink can never
//! "reproduce" a liveness failure by dropping a restart.

use super::profile::Profile;
use super::sweep::{replay, Outcome};
use crate::command::Command;

/// Most replays one shrink may spend.
pub const MAX_REPLAYS: usize = 400;

/// The shrunk run and how many replays it took.
pub struct Shrunk {
    pub outcome: Outcome,
    pub replays: usize,
    pub from_commands: usize,
}

/// Cuts `failing` down while it keeps failing with the same signature.
pub fn shrink(failing: &Outcome, profile: &'static Profile) -> Shrunk {
    let want = failing.signature();
    let mut best = failing.clone();
    let mut replays = 0;
    let fails = |cmds: &[Command], replays: &mut usize| -> Option<Outcome> {
        *replays += 1;
        let o = replay(failing.seed, profile, &failing.header, cmds);
        (!o.ok() && o.signature() == want).then_some(o)
    };
    // ddmin: try removing chunks of size n/2, n/4, … 1.
    let mut chunk = (best.safety.len() / 2).max(1);
    while chunk >= 1 && replays < MAX_REPLAYS {
        let mut i = 0;
        let mut removed_any = false;
        while i < best.safety.len() && replays < MAX_REPLAYS {
            let mut candidate = best.safety.clone();
            let end = (i + chunk).min(candidate.len());
            candidate.drain(i..end);
            match fails(&candidate, &mut replays) {
                Some(o) => {
                    best = o;
                    removed_any = true;
                }
                None => i += chunk,
            }
        }
        if chunk == 1 && !removed_any {
            break;
        }
        if !removed_any || chunk > 1 {
            chunk /= 2;
        }
        if chunk == 0 {
            break;
        }
    }
    // Simpler commands: halve runs and pauses, produce single records.
    let mut changed = true;
    while changed && replays < MAX_REPLAYS {
        changed = false;
        for i in 0..best.safety.len() {
            if replays >= MAX_REPLAYS {
                break;
            }
            let simpler = match &best.safety[i] {
                Command::Run { ms } if *ms > 100 => Command::Run { ms: ms / 2 },
                Command::PauseBroker { broker, ms: Some(ms) } if *ms > 1_000 => Command::PauseBroker { broker: *broker, ms: Some(ms / 2) },
                Command::Produce { count, tombstone, topic, partition, key, value } if *count > 1 => Command::Produce {
                    count: 1,
                    tombstone: *tombstone,
                    topic: topic.clone(),
                    partition: *partition,
                    key: key.clone(),
                    value: value.clone(),
                },
                _ => continue,
            };
            let mut candidate = best.safety.clone();
            candidate[i] = simpler;
            if let Some(o) = fails(&candidate, &mut replays) {
                best = o;
                changed = true;
            }
        }
    }
    Shrunk { outcome: best, replays, from_commands: failing.safety.len() }
}
