//! Kafka settings a sweep runs under: the safe ones, whose runs must break no invariant,
//! and known-unsafe ones, whose runs the checker must catch losing data.

/// What a power loss (a crash that drops the unflushed page cache) can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerLoss {
    /// `log.flush.interval.messages=1`: every replica fsyncs each append, so an
    /// acknowledged record is on disk on every ISR member. The safe way to survive
    /// power losses.
    Fsynced,
    /// Kafka's default: no fsync; the OS writes the page cache back every
    /// `sim.os.flush.interval.ms`. Kafka relies on replication instead, so power losses
    /// can lose acknowledged writes, and Kafka 4.x's last-known-leader election (KIP-966,
    /// `canElectLastKnownLeader`) may pick the very replica that lost them.
    PageCacheOnly,
}

/// A named set of settings for a sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// `safe`, `acks-1`, …: the name the CLI takes.
    pub name: &'static str,
    /// The settings in Kafka's words, for tables.
    pub settings: &'static str,
    /// Runs must break no invariant and lose nothing (otherwise the engine has a bug).
    pub safe: bool,
    pub acks: &'static str,
    pub min_insync_replicas: i64,
    pub unclean_leader_election: bool,
    /// `sim.truncation.mode`: `leader-epoch` (KIP-101) or the legacy `high-watermark`.
    pub truncation: &'static str,
    /// `sim.controllers`; 0 picks 3 or 5 per seed. With more than one voter the
    /// schedule also crashes, restarts and cuts off controllers.
    pub controllers: i64,
    pub power_loss: PowerLoss,
    /// `features.eligible.leader.replicas.version` (KIP-966's ELR and its removal of
    /// brokers that restart after an unclean shutdown from the ISR).
    pub elr: bool,
}

const SAFE_BASE: Profile = Profile {
    name: "safe",
    settings: "acks=all, min.insync.replicas=2, RF 3, unclean.leader.election.enable=false, leader-epoch truncation, log.flush.interval.messages=1",
    safe: true,
    acks: "all",
    min_insync_replicas: 2,
    unclean_leader_election: false,
    truncation: "leader-epoch",
    controllers: 1,
    power_loss: PowerLoss::Fsynced,
    elr: true,
};

/// Every profile, safe ones first.
pub const PROFILES: &[Profile] = &[
    SAFE_BASE,
    Profile {
        name: "safe-quorum",
        settings: "the safe settings with a KRaft quorum of 3 or 5 controllers that crash, restart and are cut off",
        controllers: 0,
        ..SAFE_BASE
    },
    Profile {
        name: "acks-1",
        settings: "acks=1 (the leader acknowledges before any follower has the record)",
        safe: false,
        acks: "1",
        ..SAFE_BASE
    },
    Profile {
        name: "unclean",
        settings: "acks=all, min.insync.replicas=1, unclean.leader.election.enable=true",
        safe: false,
        min_insync_replicas: 1,
        unclean_leader_election: true,
        ..SAFE_BASE
    },
    Profile {
        name: "legacy-hw",
        settings: "acks=all, min.insync.replicas=1, sim.truncation.mode=high-watermark and no ELR (the rules of Kafka before KIP-101)",
        safe: false,
        min_insync_replicas: 1,
        truncation: "high-watermark",
        elr: false,
        ..SAFE_BASE
    },
    Profile {
        name: "power-loss",
        settings:
            "the safe settings without fsync (Kafka's default log.flush.interval.messages): power losses drop the unflushed page cache",
        safe: false,
        power_loss: PowerLoss::PageCacheOnly,
        ..SAFE_BASE
    },
];

impl Profile {
    pub fn by_name(name: &str) -> Option<&'static Profile> {
        PROFILES.iter().find(|p| p.name == name)
    }

    /// `safe-quorum` picks 3 voters, or 5 on every fourth seed.
    pub fn controllers_for(&self, seed: u64) -> i64 {
        match self.controllers {
            0 if seed.is_multiple_of(4) => 5,
            0 => 3,
            n => n,
        }
    }
}

pub fn names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name).collect()
}
