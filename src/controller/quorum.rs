//! The KRaft controller quorum: every controller voter as a sans-IO Raft state
//! machine over `__cluster_metadata-0`. The active controller is the quorum leader,
//! and a metadata record is committed once a majority of voters has it. The sim
//! drives the voters, and runs [`super::Controller`] on the leader (see `src/sim`).
//!
//! Rules followed (Kafka 4.1, `raft/src/main/java/org/apache/kafka/raft/`):
//! * `QuorumState`: the states Unattached, Prospective (KIP-996 pre-vote), Candidate,
//!   Leader, Follower and Resigned, and the moves between them.
//!   `randomElectionTimeoutMs` is `controller.quorum.election.timeout.ms` plus a uniform
//!   draw from `[0, timeout)`. `initialize` decides what a restarted voter starts as: a
//!   former leader starts Resigned, a voter that voted for itself starts as Candidate, a
//!   voter that knew its leader starts as its Follower. A lone voter elects itself at once.
//! * `KafkaRaftClient.pollFollowerAsVoter`: after `controller.quorum.fetch.timeout.ms`
//!   without a successful fetch from the leader, the voter becomes Prospective and asks
//!   for pre-votes.
//! * `handleVoteRequest` and `*State.canGrantVote`: a request with a higher epoch first
//!   makes the receiver Unattached in that epoch. A pre-vote is granted to an
//!   up-to-date log. A Follower grants one only if it has not yet fetched from its leader
//!   (`FollowerState.hasFetchedFromLeader`), so a live leader is not deposed. A real vote
//!   is given at most once per epoch, and never while a leader is known.
//! * `pollProspective` and `pollCandidate`: a majority of pre-votes makes the voter a
//!   Candidate in epoch + 1. A lost or timed-out pre-vote sends it back to Follower (if a
//!   leader is known) or Unattached. A Candidate that lost waits out its election
//!   timeout, then becomes Prospective again (KAFKA-18345, Kafka 4.1).
//! * `LeaderState`: the new leader first writes a LeaderChange control record. The high
//!   watermark is the end offset that a majority of voters has fetched, and it only moves
//!   past the epoch's start. BeginQuorumEpoch goes out every fetch timeout / 2. Check
//!   quorum: the leader resigns when no majority has fetched within 1.5 × the fetch
//!   timeout, and sends EndQuorumEpoch.
//! * `handleFetchRequest`: truncation by diverging epoch. A fetch waits up to
//!   `MAX_FETCH_WAIT_MS` (500 ms) for new records.
//! * `handleEndQuorumEpochRequest`: the successors a resigning leader names start their
//!   election after `strictExponentialElectionBackoffMs`
//!   (`controller.quorum.election.backoff.max.ms`).
//!
//! Not modeled: snapshots, `append.linger.ms` batching (records are flushed at once),
//! dynamic voter changes (KIP-853), and the brokers' own fetching as observers. The
//! active controller pushes committed records to the brokers instead, and brokers know
//! the new active controller as soon as it is active (in Kafka they learn it from the
//! quorum within a fetch).

use crate::config::BrokerConfig;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::NodeId;
use crate::protocol::{MetadataLogEntry, MetadataRecord, Msg};
use crate::rng::Rng;
use crate::vecmap::VecMap;
use serde::Serialize;
use std::collections::BTreeSet;
use std::rc::Rc;

/// `node.id` of the first controller voter; the others follow (3000, 3001, …).
pub const FIRST_VOTER_ID: i32 = 3000;
/// `KafkaRaftClient.MAX_FETCH_WAIT_MS`: how long the leader holds a voter's fetch when it has nothing new.
pub const QUORUM_FETCH_MAX_WAIT_MS: i64 = 500;
/// `controller.quorum.request.timeout.ms` (default): a request with no answer is sent again.
pub const QUORUM_REQUEST_TIMEOUT_MS: i64 = 2_000;
/// `controller.quorum.retry.backoff.ms` (default): wait after a failed request.
pub const QUORUM_RETRY_BACKOFF_MS: i64 = 20;
/// `reconnect.backoff.ms` / `reconnect.backoff.max.ms` (defaults): after a reset connection
/// to a voter, the next attempt waits 50 ms, doubling up to 1 s.
pub const RECONNECT_BACKOFF_MS: i64 = 50;
pub const RECONNECT_BACKOFF_MAX_MS: i64 = 1_000;
/// Most entries one QuorumFetch response carries (stands in for `MAX_FETCH_SIZE_BYTES`).
pub const MAX_QUORUM_FETCH_RECORDS: usize = 2_000;

/// The quorum's timing configs (`controller.quorum.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuorumTimeouts {
    pub fetch_timeout_ms: i64,
    pub election_timeout_ms: i64,
    pub election_backoff_max_ms: i64,
}

impl QuorumTimeouts {
    pub fn from_config(c: &BrokerConfig) -> QuorumTimeouts {
        QuorumTimeouts {
            fetch_timeout_ms: c.controller_quorum_fetch_timeout_ms.max(1),
            election_timeout_ms: c.controller_quorum_election_timeout_ms.max(1),
            election_backoff_max_ms: c.controller_quorum_election_backoff_max_ms.max(0),
        }
    }

    /// `LeaderState.CHECK_QUORUM_TIMEOUT_FACTOR` (1.5) × the fetch timeout.
    pub fn check_quorum_timeout_ms(&self) -> i64 {
        self.fetch_timeout_ms.saturating_mul(3) / 2
    }
}

/// What survives a voter crash: its flushed copy of the metadata log (controllers always
/// flush before acknowledging) and the `quorum-state` file (epoch, vote, leader).
#[derive(Debug, Clone, Default, Serialize)]
pub struct VoterDisk {
    pub log: Vec<MetadataLogEntry>,
    pub epoch: i32,
    pub voted_for: Option<i32>,
    pub leader: Option<i32>,
}

/// The votes (or pre-votes) of one election, and when each missing one is asked again.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Election {
    pub granted: BTreeSet<i32>,
    pub rejected: BTreeSet<i32>,
    #[serde(skip)]
    retry_at: VecMap<i32, i64>,
}

impl Election {
    fn new(me: i32) -> Election {
        let mut e = Election::default();
        e.granted.insert(me);
        e
    }
    fn won(&self, majority: usize) -> bool {
        self.granted.len() >= majority
    }
    /// `EpochElection.isVoteRejected`: not enough voters left to win.
    fn lost(&self, majority: usize, voters: usize) -> bool {
        voters - self.rejected.len() < majority
    }
}

/// What a leader knows of one follower voter (`LeaderState.ReplicaState`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FollowerProgress {
    /// The offset of its last fetch (-1: not fetched in this epoch yet).
    pub end_offset: i64,
    pub last_fetch_ms: i64,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct ParkedFetch {
    replica: i32,
    fetch_offset: i64,
    deadline_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeaderRole {
    pub epoch_start_offset: i64,
    pub followers: VecMap<i32, FollowerProgress>,
    fetched_in_window: BTreeSet<i32>,
    check_quorum_deadline_ms: i64,
    next_begin_epoch_ms: i64,
    parked: Vec<ParkedFetch>,
}

/// A voter's Raft state (`EpochState`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Role {
    Unattached {
        voted: Option<i32>,
        election_deadline_ms: i64,
    },
    /// KIP-996: asking for pre-votes before bumping the epoch.
    Prospective {
        leader: Option<i32>,
        voted: Option<i32>,
        election: Election,
        election_deadline_ms: i64,
        retries: u32,
    },
    Candidate {
        election: Election,
        election_deadline_ms: i64,
        retries: u32,
        /// A majority rejected it: it waits out the election timeout.
        lost: bool,
    },
    Leader(LeaderRole),
    Follower {
        leader: i32,
        voted: Option<i32>,
        fetch_deadline_ms: i64,
        has_fetched: bool,
        fetch_sent_ms: Option<i64>,
        next_fetch_ms: i64,
    },
    Resigned {
        election_deadline_ms: i64,
        successors: Vec<i32>,
    },
}

impl Role {
    pub fn name(&self) -> &'static str {
        match self {
            Role::Unattached { .. } => "unattached",
            Role::Prospective { .. } => "prospective",
            Role::Candidate { .. } => "candidate",
            Role::Leader(_) => "leader",
            Role::Follower { .. } => "follower",
            Role::Resigned { .. } => "resigned",
        }
    }
}

fn join(v: impl IntoIterator<Item = i32>) -> String {
    v.into_iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

/// A running controller voter.
#[derive(Debug, Clone, Serialize)]
pub struct Voter {
    pub id: i32,
    pub voters: Vec<i32>,
    pub disk: VoterDisk,
    pub role: Role,
    /// Offset below which the log is committed (as this voter knows it).
    pub high_watermark: i64,
    pub timeouts: QuorumTimeouts,
    /// Pre-vote rounds that failed in a row (only the first, and every 10th, is logged).
    pub failed_rounds: u32,
    /// Reset connections in a row, per voter (for the reconnect backoff).
    #[serde(skip)]
    conn_failures: VecMap<i32, u32>,
    #[serde(skip)]
    rng: Rng,
}

impl Voter {
    fn new(id: i32, voters: Vec<i32>, disk: VoterDisk, timeouts: QuorumTimeouts, rng: Rng, role: Role) -> Voter {
        Voter { id, voters, disk, role, high_watermark: 0, timeouts, failed_rounds: 0, conn_failures: VecMap::new(), rng }
    }

    /// The quorum as formed before the cluster starts: `leader` leads epoch 1 with an
    /// empty log (no LeaderChange record: the log starts with the cluster's records).
    pub fn bootstrap(id: i32, voters: Vec<i32>, leader: i32, timeouts: QuorumTimeouts, rng: Rng, now_ms: i64) -> Voter {
        let disk = VoterDisk { log: vec![], epoch: 1, voted_for: Some(leader), leader: Some(leader) };
        let role = if id == leader {
            Role::Leader(Voter::leader_role(&voters, id, 0, now_ms, timeouts))
        } else {
            Voter::follower_role(leader, Some(leader), now_ms, timeouts)
        };
        Voter::new(id, voters, disk, timeouts, rng, role)
    }

    /// `QuorumState.initialize` for a voter restarting on `disk`.
    pub fn start(id: i32, voters: Vec<i32>, disk: VoterDisk, timeouts: QuorumTimeouts, rng: Rng, now_ms: i64, out: &mut Out) -> Voter {
        let placeholder = Role::Unattached { voted: None, election_deadline_ms: i64::MAX };
        let mut v = Voter::new(id, voters, disk, timeouts, rng, placeholder);
        let t = v.random_election_timeout();
        let epoch = v.disk.epoch;
        v.role = if v.disk.leader == Some(id) {
            out.log(Category::Controller, format!("starts as resigned leader of epoch {epoch} (it cannot lead that epoch again)"));
            Role::Resigned { election_deadline_ms: now_ms + t, successors: vec![] }
        } else if v.disk.voted_for == Some(id) {
            out.log(Category::Controller, format!("starts as candidate in epoch {epoch} (it had voted for itself)"));
            Role::Candidate { election: Election::new(id), election_deadline_ms: now_ms + t, retries: 1, lost: false }
        } else if let Some(l) = v.disk.leader {
            out.log(Category::Controller, format!("starts as follower of {l} in epoch {epoch}"));
            Voter::follower_role(l, v.disk.voted_for, now_ms, timeouts)
        } else {
            out.log(Category::Controller, format!("starts unattached in epoch {epoch}"));
            Role::Unattached { voted: v.disk.voted_for, election_deadline_ms: now_ms + t }
        };
        if v.voters.len() == 1 && !matches!(v.role, Role::Candidate { .. }) {
            // KafkaRaftClient.initialize: "When there is only a single voter, become candidate immediately".
            v.become_prospective(now_ms, "it is the only voter", out);
        } else {
            v.send_requests(now_ms, out);
        }
        out.wake_at(v.next_wake());
        v
    }

    fn leader_role(voters: &[i32], me: i32, epoch_start_offset: i64, now_ms: i64, t: QuorumTimeouts) -> LeaderRole {
        LeaderRole {
            epoch_start_offset,
            followers: voters.iter().filter(|&&v| v != me).map(|&v| (v, FollowerProgress { end_offset: -1, last_fetch_ms: -1 })).collect(),
            fetched_in_window: BTreeSet::new(),
            check_quorum_deadline_ms: now_ms + t.check_quorum_timeout_ms(),
            next_begin_epoch_ms: now_ms,
            parked: vec![],
        }
    }

    fn follower_role(leader: i32, voted: Option<i32>, now_ms: i64, t: QuorumTimeouts) -> Role {
        Role::Follower {
            leader,
            voted,
            fetch_deadline_ms: now_ms + t.fetch_timeout_ms,
            has_fetched: false,
            fetch_sent_ms: None,
            next_fetch_ms: now_ms,
        }
    }

    // ------------------------------------------------------------- queries

    pub fn majority(&self) -> usize {
        self.voters.len() / 2 + 1
    }
    pub fn epoch(&self) -> i32 {
        self.disk.epoch
    }
    pub fn log_end_offset(&self) -> i64 {
        self.disk.log.len() as i64
    }
    fn last_epoch(&self) -> i32 {
        self.disk.log.last().map(|e| e.epoch).unwrap_or(0)
    }
    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }
    /// The leader this voter knows of in its epoch.
    pub fn leader_id(&self) -> Option<i32> {
        match &self.role {
            Role::Leader(_) => Some(self.id),
            Role::Follower { leader, .. } => Some(*leader),
            Role::Prospective { leader, .. } => *leader,
            _ => None,
        }
    }
    /// A new leader becomes the active controller once everything before its epoch is
    /// committed (`maybeFireLeaderChange(…, epochStartOffset)` → `QuorumController.claim`).
    pub fn can_claim(&self) -> bool {
        match &self.role {
            Role::Leader(l) => self.high_watermark > l.epoch_start_offset || (l.epoch_start_offset == 0 && self.disk.epoch == 1),
            _ => false,
        }
    }
    fn others(&self) -> Vec<i32> {
        self.voters.iter().copied().filter(|&v| v != self.id).collect()
    }
    /// `QuorumState.randomElectionTimeoutMs`.
    fn random_election_timeout(&mut self) -> i64 {
        let t = self.timeouts.election_timeout_ms;
        t + self.rng.range_inclusive(0, (t - 1).max(0) as u64) as i64
    }
    /// `KafkaRaftClient.strictExponentialElectionBackoffMs`.
    fn strict_exponential_backoff(&self, position: usize, total: usize) -> i64 {
        let max = self.timeouts.election_backoff_max_ms;
        if position == 0 {
            0
        } else if position >= total {
            max
        } else {
            let base = max >> (total as u32 - 1).min(62);
            max.min(base << (position as u32 - 1).min(62))
        }
    }

    /// `endOffsetForEpoch`: the largest epoch ≤ `epoch` in the log and where it ends.
    fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        match self.disk.log.iter().rposition(|e| e.epoch <= epoch) {
            Some(p) => (self.disk.log[p].epoch, p as i64 + 1),
            None => (0, 0),
        }
    }

    /// The earliest time this voter has something to do.
    pub fn next_wake(&self) -> i64 {
        let retry = |e: &Election| e.retry_at.values().copied().min().unwrap_or(i64::MAX);
        match &self.role {
            Role::Unattached { election_deadline_ms, .. } | Role::Resigned { election_deadline_ms, .. } => *election_deadline_ms,
            // A candidate that lost asks no one any more: it only waits out its timeout.
            Role::Candidate { election_deadline_ms, lost: true, .. } => *election_deadline_ms,
            Role::Prospective { election, election_deadline_ms, .. } | Role::Candidate { election, election_deadline_ms, .. } => {
                (*election_deadline_ms).min(retry(election))
            }
            Role::Follower { fetch_deadline_ms, fetch_sent_ms, next_fetch_ms, .. } => {
                let fetch = match fetch_sent_ms {
                    Some(s) => s + QUORUM_REQUEST_TIMEOUT_MS,
                    None => *next_fetch_ms,
                };
                (*fetch_deadline_ms).min(fetch)
            }
            Role::Leader(l) => {
                if self.voters.len() == 1 {
                    return i64::MAX;
                }
                let parked = l.parked.iter().map(|p| p.deadline_ms).min().unwrap_or(i64::MAX);
                l.check_quorum_deadline_ms.min(l.next_begin_epoch_ms).min(parked)
            }
        }
    }

    // -------------------------------------------------------- transitions

    fn set_epoch(&mut self, epoch: i32) {
        if epoch != self.disk.epoch {
            self.disk.epoch = epoch;
            self.disk.voted_for = None;
            self.disk.leader = None;
        }
    }

    /// `transitionToUnattached`: a higher epoch with no known leader (or a lost pre-vote).
    fn become_unattached(&mut self, epoch: i32, now_ms: i64) {
        let keep = match &self.role {
            Role::Candidate { election_deadline_ms, .. }
            | Role::Unattached { election_deadline_ms, .. }
            | Role::Resigned { election_deadline_ms, .. } => Some(*election_deadline_ms),
            Role::Prospective { election, election_deadline_ms, .. } if !election.lost(self.majority(), self.voters.len()) => {
                Some(*election_deadline_ms)
            }
            _ => None,
        };
        let deadline = match keep {
            Some(d) => d,
            None => now_ms + self.random_election_timeout(),
        };
        let voted = if epoch == self.disk.epoch { self.disk.voted_for } else { None };
        self.set_epoch(epoch);
        self.disk.leader = None;
        self.role = Role::Unattached { voted, election_deadline_ms: deadline };
    }

    fn become_follower(&mut self, epoch: i32, leader: i32, now_ms: i64, out: &mut Out) {
        let was_leader = self.is_leader();
        let same = matches!(self.role, Role::Follower { leader: l, .. } if l == leader) && epoch == self.disk.epoch;
        if same {
            return;
        }
        if was_leader {
            out.log(Category::Controller, format!("steps down: {leader} leads the quorum in epoch {epoch}"));
        }
        self.set_epoch(epoch);
        self.failed_rounds = 0;
        self.disk.leader = Some(leader);
        self.role = Voter::follower_role(leader, self.disk.voted_for, now_ms, self.timeouts);
        out.log(Category::Controller, format!("follows controller {leader}, the quorum leader in epoch {epoch}"));
        self.send_requests(now_ms, out);
    }

    /// `transitionToProspective` (KIP-996): ask for pre-votes without bumping the epoch.
    fn become_prospective(&mut self, now_ms: i64, why: &str, out: &mut Out) {
        let retries = match &self.role {
            Role::Candidate { retries, .. } => retries + 1,
            _ => 1,
        };
        let t = self.random_election_timeout();
        let leader = self.leader_id().filter(|&l| l != self.id);
        let voted = self.disk.voted_for;
        self.role = Role::Prospective { leader, voted, election: Election::new(self.id), election_deadline_ms: now_ms + t, retries };
        if self.voters.len() > 1 && self.failed_rounds == 0 {
            out.log(
                Category::Controller,
                format!("{why}: asks the other voters for pre-votes for epoch {} (KIP-996)", self.disk.epoch + 1),
            );
        }
        self.check_election(now_ms, out);
        self.send_requests(now_ms, out);
    }

    /// `transitionToCandidate`: epoch + 1, vote for itself, ask for votes.
    fn become_candidate(&mut self, now_ms: i64, out: &mut Out) {
        let retries = match &self.role {
            Role::Prospective { retries, .. } => *retries,
            _ => 1,
        };
        let granted = match &self.role {
            Role::Prospective { election, .. } => join(election.granted.iter().copied()),
            _ => String::new(),
        };
        let epoch = self.disk.epoch + 1;
        self.failed_rounds = 0;
        self.set_epoch(epoch);
        self.disk.voted_for = Some(self.id);
        let t = self.random_election_timeout();
        self.role = Role::Candidate { election: Election::new(self.id), election_deadline_ms: now_ms + t, retries, lost: false };
        if self.voters.len() > 1 {
            out.log(
                Category::Controller,
                format!("pre-vote granted by {granted}: stands for election in epoch {epoch} and votes for itself"),
            );
        }
        self.check_election(now_ms, out);
        self.send_requests(now_ms, out);
    }

    /// `onBecomeLeader`: write the LeaderChange control record, tell the voters.
    fn become_leader(&mut self, now_ms: i64, out: &mut Out) {
        let votes = match &self.role {
            Role::Candidate { election, .. } => join(election.granted.iter().copied()),
            _ => String::new(),
        };
        let epoch = self.disk.epoch;
        let start = self.log_end_offset();
        self.disk.leader = Some(self.id);
        self.role = Role::Leader(Voter::leader_role(&self.voters, self.id, start, now_ms, self.timeouts));
        self.disk
            .log
            .push(MetadataLogEntry { epoch, record: MetadataRecord::LeaderChange { epoch, leader: self.id, voters: self.voters.clone() } });
        out.log(
            Category::Controller,
            format!(
                "is elected leader of the controller quorum in epoch {epoch} (votes from {votes}); writes LeaderChange at offset {start}"
            ),
        );
        self.maybe_update_high_watermark();
        self.send_requests(now_ms, out);
    }

    /// `transitionToResigned` (check quorum failed): EndQuorumEpoch to the others, best successor first.
    fn resign(&mut self, now_ms: i64, why: &str, out: &mut Out) {
        let Role::Leader(l) = &self.role else { return };
        let mut successors: Vec<(i64, i32)> = l.followers.iter().map(|(&v, p)| (p.end_offset, v)).collect();
        crate::lean::sort_by(&mut successors, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let successors: Vec<i32> = successors.into_iter().map(|(_, v)| v).collect();
        let parked: Vec<ParkedFetch> = l.parked.clone();
        let t = self.random_election_timeout();
        out.log(Category::Controller, format!("resigns as quorum leader of epoch {}: {why}", self.disk.epoch));
        for p in parked {
            self.send_fetch_error(p.replica, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
        }
        for &v in &successors {
            out.send(
                NodeId::Voter(v),
                Msg::EndQuorumEpoch { epoch: self.disk.epoch, leader: self.id, preferred_successors: successors.clone() },
            );
        }
        self.role = Role::Resigned { election_deadline_ms: now_ms + t, successors };
    }

    // --------------------------------------------------------- leader side

    /// The active controller appended `records` (leader only).
    pub fn append(&mut self, now_ms: i64, records: Vec<MetadataRecord>, out: &mut Out) {
        if !self.is_leader() || records.is_empty() {
            return;
        }
        let epoch = self.disk.epoch;
        self.disk.log.extend(records.into_iter().map(|record| MetadataLogEntry { epoch, record }));
        // Parked fetches were at the old log end: answer them now.
        let parked = match &mut self.role {
            Role::Leader(l) => std::mem::take(&mut l.parked),
            _ => vec![],
        };
        for p in parked {
            self.send_records(p.replica, p.fetch_offset, out);
        }
        self.maybe_update_high_watermark();
        let _ = now_ms;
    }

    /// `LeaderState.maybeUpdateHighWatermark`.
    fn maybe_update_high_watermark(&mut self) -> bool {
        let Role::Leader(l) = &self.role else { return false };
        let mut ends: Vec<i64> = vec![self.log_end_offset()];
        ends.extend(l.followers.values().map(|p| p.end_offset));
        crate::lean::sort_by(&mut ends, |a, b| b.cmp(a));
        let candidate = ends[self.majority() - 1];
        if candidate > l.epoch_start_offset && candidate > self.high_watermark {
            self.high_watermark = candidate;
            true
        } else {
            false
        }
    }

    fn send_records(&self, to: i32, fetch_offset: i64, out: &mut Out) {
        let from = fetch_offset.clamp(0, self.log_end_offset()) as usize;
        let to_idx = (from + MAX_QUORUM_FETCH_RECORDS).min(self.disk.log.len());
        out.send(
            NodeId::Voter(to),
            Msg::QuorumFetchResponse {
                epoch: self.disk.epoch,
                leader: Some(self.id),
                error: KafkaError::NONE,
                high_watermark: self.high_watermark,
                base_offset: from as i64,
                records: Rc::new(self.disk.log[from..to_idx].to_vec()),
                diverging: None,
            },
        );
    }

    fn send_fetch_error(&self, to: i32, error: KafkaError, out: &mut Out) {
        out.send(
            NodeId::Voter(to),
            Msg::QuorumFetchResponse {
                epoch: self.disk.epoch,
                leader: self.leader_id(),
                error,
                high_watermark: -1,
                base_offset: -1,
                records: Rc::new(vec![]),
                diverging: None,
            },
        );
    }

    fn handle_fetch(&mut self, now_ms: i64, replica: i32, epoch: i32, fetch_offset: i64, last_fetched_epoch: i32, out: &mut Out) {
        if epoch < self.disk.epoch {
            return self.send_fetch_error(replica, KafkaError::FENCED_LEADER_EPOCH, out);
        }
        if epoch > self.disk.epoch {
            return self.send_fetch_error(replica, KafkaError::UNKNOWN_LEADER_EPOCH, out);
        }
        if !self.is_leader() {
            return self.send_fetch_error(replica, KafkaError::NOT_LEADER_OR_FOLLOWER, out);
        }
        // validateOffsetAndEpoch: does the follower's log end agree with ours?
        let agrees = fetch_offset <= self.log_end_offset()
            && (fetch_offset == 0 || self.disk.log[fetch_offset as usize - 1].epoch == last_fetched_epoch);
        if !agrees {
            let (e, end) = self.end_offset_for_epoch(last_fetched_epoch);
            if e != last_fetched_epoch || end < fetch_offset {
                out.send(
                    NodeId::Voter(replica),
                    Msg::QuorumFetchResponse {
                        epoch: self.disk.epoch,
                        leader: Some(self.id),
                        error: KafkaError::NONE,
                        high_watermark: self.high_watermark,
                        base_offset: fetch_offset,
                        records: Rc::new(vec![]),
                        diverging: Some((e, end)),
                    },
                );
                return;
            }
        }
        let majority = self.majority();
        let log_end = self.log_end_offset();
        let check_quorum = self.timeouts.check_quorum_timeout_ms();
        if let Role::Leader(l) = &mut self.role {
            l.followers.insert(replica, FollowerProgress { end_offset: fetch_offset, last_fetch_ms: now_ms });
            // LeaderState.updateCheckQuorumForFollowingVoter
            l.fetched_in_window.insert(replica);
            if l.fetched_in_window.len() + 1 >= majority {
                l.fetched_in_window.clear();
                l.check_quorum_deadline_ms = now_ms + check_quorum;
            }
        }
        self.maybe_update_high_watermark();
        if fetch_offset < log_end {
            self.send_records(replica, fetch_offset, out);
        } else if let Role::Leader(l) = &mut self.role {
            l.parked.retain(|p| p.replica != replica);
            l.parked.push(ParkedFetch { replica, fetch_offset, deadline_ms: now_ms + QUORUM_FETCH_MAX_WAIT_MS });
        }
    }

    // ------------------------------------------------------- follower side

    #[allow(clippy::too_many_arguments)]
    fn handle_fetch_response(
        &mut self,
        now_ms: i64,
        from: i32,
        epoch: i32,
        leader: Option<i32>,
        error: KafkaError,
        high_watermark: i64,
        base_offset: i64,
        records: &[MetadataLogEntry],
        diverging: Option<(i32, i64)>,
        out: &mut Out,
    ) {
        if self.maybe_newer_epoch(now_ms, epoch, leader, out) {
            return;
        }
        let Role::Follower { leader: l, .. } = &self.role else { return };
        if *l != from || epoch != self.disk.epoch {
            return;
        }
        if let Role::Follower { fetch_sent_ms, next_fetch_ms, .. } = &mut self.role {
            *fetch_sent_ms = None;
            *next_fetch_ms = if error == KafkaError::NONE { now_ms } else { now_ms + QUORUM_RETRY_BACKOFF_MS };
        }
        if error != KafkaError::NONE {
            return self.send_requests(now_ms, out);
        }
        if let Some((e, end)) = diverging {
            let to = end.min(self.log_end_offset()).max(0);
            let from_end = self.log_end_offset();
            self.disk.log.truncate(to as usize);
            self.high_watermark = self.high_watermark.min(to);
            out.log(
                Category::Controller,
                format!("truncates its metadata log from offset {from_end} to {to}: it diverged from leader {from} after epoch {e}"),
            );
        } else if base_offset == self.log_end_offset() {
            self.disk.log.extend(records.iter().cloned());
            let hw = high_watermark.min(self.log_end_offset());
            if hw > self.high_watermark {
                self.high_watermark = hw;
            }
        }
        let fetch_timeout = self.timeouts.fetch_timeout_ms;
        if let Role::Follower { fetch_deadline_ms, has_fetched, .. } = &mut self.role {
            *fetch_deadline_ms = now_ms + fetch_timeout;
            *has_fetched = true;
        }
        self.send_requests(now_ms, out);
    }

    /// A message from a newer epoch: follow its leader, or wait unattached.
    fn maybe_newer_epoch(&mut self, now_ms: i64, epoch: i32, leader: Option<i32>, out: &mut Out) -> bool {
        if epoch <= self.disk.epoch {
            return false;
        }
        match leader {
            Some(l) if l != self.id => self.become_follower(epoch, l, now_ms, out),
            _ => {
                if self.is_leader() {
                    out.log(Category::Controller, format!("steps down: saw epoch {epoch}, newer than its epoch {}", self.disk.epoch));
                }
                self.become_unattached(epoch, now_ms);
            }
        }
        true
    }

    // ------------------------------------------------------------- votes

    /// `canGrantVote` of the current state.
    fn can_grant(&self, candidate: i32, up_to_date: bool, pre_vote: bool) -> bool {
        match &self.role {
            Role::Unattached { voted, .. } => {
                if pre_vote {
                    up_to_date
                } else if let Some(v) = voted {
                    *v == candidate
                } else {
                    up_to_date
                }
            }
            Role::Prospective { leader, voted, .. } => {
                if pre_vote {
                    up_to_date
                } else if let Some(v) = voted {
                    *v == candidate
                } else {
                    leader.is_none() && up_to_date
                }
            }
            Role::Follower { has_fetched, .. } => pre_vote && !has_fetched && up_to_date,
            Role::Candidate { .. } => pre_vote && up_to_date,
            Role::Leader(_) | Role::Resigned { .. } => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_vote(&mut self, now_ms: i64, candidate: i32, epoch: i32, last_epoch: i32, last_offset: i64, pre_vote: bool, out: &mut Out) {
        let reply = |me: &Voter, granted: bool, error: KafkaError, out: &mut Out| {
            out.send(
                NodeId::Voter(candidate),
                Msg::VoteResponse { epoch: me.disk.epoch, leader: me.leader_id(), granted, pre_vote, error },
            );
        };
        if epoch < self.disk.epoch {
            return reply(self, false, KafkaError::FENCED_LEADER_EPOCH, out);
        }
        if epoch > self.disk.epoch {
            if self.is_leader() {
                out.log(Category::Controller, format!("steps down: controller {candidate} asks for votes in epoch {epoch}"));
            }
            self.become_unattached(epoch, now_ms);
        }
        let up_to_date = (last_epoch, last_offset) >= (self.last_epoch(), self.log_end_offset());
        let granted = self.can_grant(candidate, up_to_date, pre_vote);
        if granted && !pre_vote {
            let t = self.random_election_timeout();
            match &mut self.role {
                Role::Unattached { voted: v @ None, election_deadline_ms } => {
                    *v = Some(candidate);
                    *election_deadline_ms = now_ms + t;
                    self.disk.voted_for = Some(candidate);
                }
                Role::Prospective { voted: v @ None, election_deadline_ms, .. } => {
                    *v = Some(candidate);
                    *election_deadline_ms = now_ms + t;
                    self.disk.voted_for = Some(candidate);
                }
                _ => {}
            }
            out.log(Category::Controller, format!("votes for controller {candidate} in epoch {epoch}"));
        }
        reply(self, granted, KafkaError::NONE, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_vote_response(
        &mut self,
        now_ms: i64,
        from: i32,
        epoch: i32,
        leader: Option<i32>,
        granted: bool,
        pre_vote: bool,
        out: &mut Out,
    ) {
        if self.maybe_newer_epoch(now_ms, epoch, leader, out) {
            return;
        }
        if epoch != self.disk.epoch {
            return;
        }
        match &mut self.role {
            Role::Prospective { election, .. } if pre_vote => {
                election.retry_at.remove(&from);
                if granted {
                    election.granted.insert(from);
                } else {
                    election.rejected.insert(from);
                }
            }
            Role::Candidate { election, .. } if !pre_vote => {
                election.retry_at.remove(&from);
                if granted {
                    election.granted.insert(from);
                } else {
                    election.rejected.insert(from);
                }
            }
            _ => return,
        }
        self.check_election(now_ms, out);
    }

    /// Won or lost the (pre-)vote?
    fn check_election(&mut self, now_ms: i64, out: &mut Out) {
        let (majority, n) = (self.majority(), self.voters.len());
        match &self.role {
            Role::Prospective { election, leader, .. } => {
                if election.won(majority) {
                    self.become_candidate(now_ms, out);
                } else if election.lost(majority, n) {
                    let (rejected, leader) = (join(election.rejected.iter().copied()), *leader);
                    self.prospective_lost(now_ms, &format!("pre-vote rejected by {rejected}"), leader, out);
                }
            }
            Role::Candidate { election, lost, .. } => {
                if election.won(majority) {
                    self.become_leader(now_ms, out);
                } else if !*lost && election.lost(majority, n) {
                    let rejected = join(election.rejected.iter().copied());
                    out.log(Category::Controller, format!("vote rejected by {rejected}: waits out its election timeout (Kafka 4.1+)"));
                    if let Role::Candidate { lost, .. } = &mut self.role {
                        *lost = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// `pollProspective`: back to the leader it knew, or unattached.
    fn prospective_lost(&mut self, now_ms: i64, why: &str, leader: Option<i32>, out: &mut Out) {
        self.failed_rounds += 1;
        let log = self.failed_rounds == 1 || self.failed_rounds.is_multiple_of(10);
        let why = if self.failed_rounds == 1 {
            why.to_string()
        } else {
            format!("{why} ({} pre-vote rounds in a row; it keeps trying every election timeout)", self.failed_rounds)
        };
        match leader {
            Some(l) => {
                if log {
                    out.log(Category::Controller, format!("{why}: stays a follower of controller {l} in epoch {}", self.disk.epoch));
                }
                self.role = Voter::follower_role(l, self.disk.voted_for, now_ms, self.timeouts);
                self.disk.leader = Some(l);
                self.send_requests(now_ms, out);
            }
            None => {
                if log {
                    out.log(Category::Controller, format!("{why}: unattached in epoch {}", self.disk.epoch));
                }
                let epoch = self.disk.epoch;
                self.become_unattached(epoch, now_ms);
            }
        }
    }

    // ------------------------------------------------------------- inputs

    pub fn on_message(&mut self, now_ms: i64, from: NodeId, msg: Msg, out: &mut Out) {
        let NodeId::Voter(from) = from else { return };
        let backoff = match &msg {
            Msg::Disconnected { .. } => {
                let n = self.conn_failures.entry(from).or_insert(0);
                *n += 1;
                RECONNECT_BACKOFF_MAX_MS.min(RECONNECT_BACKOFF_MS << (*n - 1).min(10))
            }
            _ => {
                self.conn_failures.remove(&from);
                0
            }
        };
        match msg {
            Msg::Vote { epoch, candidate, last_epoch, last_offset, pre_vote } => {
                self.handle_vote(now_ms, candidate, epoch, last_epoch, last_offset, pre_vote, out)
            }
            Msg::VoteResponse { epoch, leader, granted, pre_vote, .. } => {
                self.handle_vote_response(now_ms, from, epoch, leader, granted, pre_vote, out)
            }
            Msg::BeginQuorumEpoch { epoch, leader } => {
                let same_epoch_news =
                    epoch == self.disk.epoch && !self.is_leader() && !matches!(self.role, Role::Follower { leader: l, .. } if l == leader);
                if epoch > self.disk.epoch || same_epoch_news {
                    self.become_follower(epoch, leader, now_ms, out);
                }
            }
            Msg::EndQuorumEpoch { epoch, leader, preferred_successors } => {
                if self.maybe_newer_epoch(now_ms, epoch, None, out) {
                    return;
                }
                let position = preferred_successors.iter().position(|&v| v == self.id).unwrap_or(preferred_successors.len());
                let backoff = self.strict_exponential_backoff(position, preferred_successors.len());
                if let Role::Follower { leader: l, fetch_deadline_ms, .. } = &mut self.role {
                    if *l == leader && epoch == self.disk.epoch {
                        *fetch_deadline_ms = now_ms + backoff;
                        out.log(
                            Category::Controller,
                            format!(
                                "leader {leader} resigned (EndQuorumEpoch): starts an election in {backoff} ms (successor #{})",
                                position + 1
                            ),
                        );
                    }
                }
            }
            Msg::QuorumFetch { epoch, replica, fetch_offset, last_fetched_epoch } => {
                self.handle_fetch(now_ms, replica, epoch, fetch_offset, last_fetched_epoch, out)
            }
            Msg::QuorumFetchResponse { epoch, leader, error, high_watermark, base_offset, records, diverging } => {
                self.handle_fetch_response(now_ms, from, epoch, leader, error, high_watermark, base_offset, &records, diverging, out)
            }
            Msg::Disconnected { lost, .. } => match (&mut self.role, lost) {
                (Role::Follower { leader, fetch_sent_ms, next_fetch_ms, .. }, "QuorumFetch") if *leader == from => {
                    *fetch_sent_ms = None;
                    *next_fetch_ms = now_ms + backoff;
                }
                (Role::Prospective { election, .. } | Role::Candidate { election, .. }, "Vote" | "PreVote")
                    if election.retry_at.contains_key(&from) =>
                {
                    election.retry_at.insert(from, now_ms + backoff);
                }
                _ => {}
            },
            _ => {}
        }
        out.wake_at(self.next_wake());
    }

    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        match &self.role {
            Role::Follower { fetch_deadline_ms, leader, .. } if now_ms >= *fetch_deadline_ms => {
                let why = format!(
                    "no fetch answered by leader {leader} for {} ms (controller.quorum.fetch.timeout.ms)",
                    self.timeouts.fetch_timeout_ms
                );
                self.become_prospective(now_ms, &why, out);
            }
            Role::Unattached { election_deadline_ms, .. } if now_ms >= *election_deadline_ms => {
                self.become_prospective(now_ms, &format!("no leader in epoch {} within its election timeout", self.disk.epoch), out);
            }
            Role::Prospective { election_deadline_ms, leader, .. } if now_ms >= *election_deadline_ms => {
                let leader = *leader;
                self.prospective_lost(now_ms, "pre-vote timed out without a majority", leader, out);
            }
            Role::Candidate { election_deadline_ms, lost, .. } if now_ms >= *election_deadline_ms => {
                let why = if *lost { "lost the vote" } else { "election timed out without a majority" };
                let why = format!("{why} in epoch {}", self.disk.epoch);
                self.become_prospective(now_ms, &why, out);
            }
            Role::Resigned { election_deadline_ms, .. } if now_ms >= *election_deadline_ms => {
                let epoch = self.disk.epoch + 1;
                self.become_unattached(epoch, now_ms);
            }
            Role::Leader(l) if self.voters.len() > 1 && now_ms >= l.check_quorum_deadline_ms => {
                let why = format!(
                    "no majority of voters fetched from it for {} ms (check quorum: 1.5 × controller.quorum.fetch.timeout.ms)",
                    self.timeouts.check_quorum_timeout_ms()
                );
                self.resign(now_ms, &why, out);
            }
            _ => {}
        }
        // Parked fetches that waited MAX_FETCH_WAIT_MS: answer with what there is.
        let expired = match &mut self.role {
            Role::Leader(l) => {
                let (exp, keep): (Vec<ParkedFetch>, Vec<ParkedFetch>) = l.parked.drain(..).partition(|p| now_ms >= p.deadline_ms);
                l.parked = keep;
                exp
            }
            _ => vec![],
        };
        for p in expired {
            self.send_records(p.replica, p.fetch_offset, out);
        }
        self.send_requests(now_ms, out);
        out.wake_at(self.next_wake());
    }

    /// Sends what the current state owes: fetches, (pre-)votes, BeginQuorumEpoch.
    fn send_requests(&mut self, now_ms: i64, out: &mut Out) {
        let (id, epoch, last_epoch, log_end) = (self.id, self.disk.epoch, self.last_epoch(), self.log_end_offset());
        let others = self.others();
        let begin_every = (self.timeouts.fetch_timeout_ms / 2).max(1);
        let pre_vote = matches!(self.role, Role::Prospective { .. });
        let candidate_lost = matches!(self.role, Role::Candidate { lost: true, .. });
        match &mut self.role {
            Role::Follower { leader, fetch_sent_ms, next_fetch_ms, .. } => {
                let resend = fetch_sent_ms.is_some_and(|s| now_ms >= s + QUORUM_REQUEST_TIMEOUT_MS);
                if (fetch_sent_ms.is_none() && now_ms >= *next_fetch_ms) || resend {
                    *fetch_sent_ms = Some(now_ms);
                    out.send(
                        NodeId::Voter(*leader),
                        Msg::QuorumFetch { epoch, replica: id, fetch_offset: log_end, last_fetched_epoch: last_epoch },
                    );
                }
            }
            Role::Prospective { election, .. } | Role::Candidate { election, .. } if !candidate_lost => {
                for v in others {
                    if election.granted.contains(&v) || election.rejected.contains(&v) {
                        continue;
                    }
                    if election.retry_at.get(&v).is_none_or(|&t| now_ms >= t) {
                        election.retry_at.insert(v, now_ms + QUORUM_REQUEST_TIMEOUT_MS);
                        out.send(NodeId::Voter(v), Msg::Vote { epoch, candidate: id, last_epoch, last_offset: log_end, pre_vote });
                    }
                }
            }
            Role::Leader(l) if !others.is_empty() && now_ms >= l.next_begin_epoch_ms => {
                l.next_begin_epoch_ms = now_ms + begin_every;
                for v in others {
                    out.send(NodeId::Voter(v), Msg::BeginQuorumEpoch { epoch, leader: id });
                }
            }
            _ => {}
        }
    }

    /// The voter process dies: parked fetches get a reset connection (the sim delivers it).
    pub fn held_fetches(&self) -> Vec<i32> {
        match &self.role {
            Role::Leader(l) => l.parked.iter().map(|p| p.replica).collect(),
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts() -> QuorumTimeouts {
        QuorumTimeouts { fetch_timeout_ms: 2_000, election_timeout_ms: 1_000, election_backoff_max_ms: 1_000 }
    }

    #[test]
    fn election_timeouts_are_drawn_from_t_to_2t() {
        let mut v = Voter::bootstrap(3001, vec![3000, 3001, 3002], 3000, timeouts(), Rng::new(5), 0);
        for _ in 0..1000 {
            let t = v.random_election_timeout();
            assert!((1_000..2_000).contains(&t), "{t}");
        }
    }

    #[test]
    fn strict_exponential_backoff_puts_the_first_successor_first() {
        let v = Voter::bootstrap(3001, vec![3000, 3001, 3002], 3000, timeouts(), Rng::new(5), 0);
        // Kafka's KafkaRaftClientTest: backoff max 1000, 2 successors → 0, then 500.
        assert_eq!(v.strict_exponential_backoff(0, 2), 0);
        assert_eq!(v.strict_exponential_backoff(1, 2), 500);
        assert_eq!(v.strict_exponential_backoff(2, 2), 1_000, "not a successor: the maximum");
    }

    #[test]
    fn a_follower_that_fetched_rejects_a_pre_vote_and_an_unattached_voter_grants_one() {
        let mut f = Voter::bootstrap(3001, vec![3000, 3001, 3002], 3000, timeouts(), Rng::new(5), 0);
        assert!(f.can_grant(3002, true, true), "not fetched from its leader yet: may grant");
        if let Role::Follower { has_fetched, .. } = &mut f.role {
            *has_fetched = true;
        }
        assert!(!f.can_grant(3002, true, true));
        assert!(!f.can_grant(3002, true, false), "a follower never grants a real vote in its epoch");
        f.become_unattached(2, 10);
        assert!(f.can_grant(3002, true, false));
        assert!(!f.can_grant(3002, false, false), "not for a log behind its own");
    }

    #[test]
    fn a_candidate_that_lost_only_waits_out_its_election_timeout() {
        let voters = vec![3000, 3001, 3002, 3003, 3004];
        let mut c = Voter::bootstrap(3001, voters, 3000, timeouts(), Rng::new(5), 0);
        let mut out = Out::default();
        c.become_prospective(10, "test", &mut out);
        for v in [3002, 3003] {
            c.handle_vote_response(11, v, 1, None, true, true, &mut out);
        }
        assert!(matches!(c.role, Role::Candidate { .. }));
        let deadline = match &c.role {
            Role::Candidate { election_deadline_ms, .. } => *election_deadline_ms,
            _ => unreachable!(),
        };
        for v in [3000, 3002, 3003] {
            c.handle_vote_response(12, v, 2, None, false, false, &mut out);
        }
        assert!(matches!(c.role, Role::Candidate { lost: true, .. }));
        assert_eq!(c.next_wake(), deadline, "no retry for 3004: the vote is lost");
    }

    #[test]
    fn the_leader_commits_what_a_majority_fetched_and_answers_parked_fetches_on_append() {
        let mut l = Voter::bootstrap(3000, vec![3000, 3001, 3002], 3000, timeouts(), Rng::new(5), 0);
        let mut out = Out::default();
        l.handle_fetch(1, 3001, 1, 0, 0, &mut out);
        assert!(out.effects.is_empty(), "nothing new: the fetch waits");
        let rec = MetadataRecord::Topic { name: "t".into(), config: vec![] };
        l.append(2, vec![rec.clone(), rec], &mut out);
        assert_eq!(out.effects.len(), 1, "the parked fetch is answered");
        assert_eq!(l.high_watermark, 0, "only the leader has the records");
        l.handle_fetch(5, 3001, 1, 2, 1, &mut Out::default());
        assert_eq!(l.high_watermark, 2, "leader + 3001 are a majority of 3");
    }
}
