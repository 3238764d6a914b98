//! The timers the engine runs, as countdowns for the page ("why is nothing happening?"):
//! each one reads the deadline the engine itself keeps, never a clock of the page.
//!
//! * a follower's time since it last caught up against the leader's `replica.lag.time.max.ms`
//!   (`Replica.isCaughtUp`; the leader drops it at its next `maybeShrinkIsr`, which runs every
//!   `replica.lag.time.max.ms / 2`);
//! * a silent broker's time since its last heartbeat against the controller's
//!   `broker.session.timeout.ms` (`ClusterControlManager` fences it after that);
//! * an acks=all write waiting in the leader's purgatory (`DelayedProduce`) for the high
//!   watermark, against the request's timeout (`request.timeout.ms` of the producer);
//! * a consumer's time since the group coordinator last heard from it against its
//!   `session.timeout.ms` (`ClassicGroup` expires the member after that);
//! * the producer's oldest unanswered request to a broker against its `request.timeout.ms`
//!   (`NetworkClient.handleTimedOutRequests`; a broker without power never answers).

use crate::broker::replica_state::ReplicaState;
use crate::broker::WaitingProduce;
use crate::config::BrokerConfig;
use crate::ids::{BrokerId, NO_LEADER};
use crate::sim::Sim;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FollowerLagTimer {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
    pub leader: BrokerId,
    pub in_isr: bool,
    /// How long ago the leader last saw it caught up (`now - lastCaughtUpTimeMs`).
    pub since_caught_up_ms: i64,
    /// The leader's `replica.lag.time.max.ms`.
    pub limit_ms: i64,
    /// Until it counts as out of sync (0: it already does).
    pub remaining_ms: i64,
    /// When the leader next checks the ISR (the shrink happens then).
    pub next_check_in_ms: i64,
    /// Records the follower is behind the leader's log end (as of its last fetch).
    pub behind_records: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BrokerSessionTimer {
    pub broker: BrokerId,
    pub silent_ms: i64,
    /// `broker.session.timeout.ms`.
    pub limit_ms: i64,
    pub remaining_ms: i64,
    /// The broker restarted and its new incarnation's registration is refused
    /// (DUPLICATE_BROKER_REGISTRATION) until this old session ends.
    pub registration_refused: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProduceWaitTimer {
    /// The leader holding the write.
    pub broker: BrokerId,
    #[serde(flatten)]
    pub write: WaitingProduce,
    pub waited_ms: i64,
    pub remaining_ms: i64,
}

/// A broker process still starting (`sim.broker.startup.ms`: the JVM, loading its logs): it
/// registers with the controller when this runs out.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BrokerStartupTimer {
    pub broker: BrokerId,
    pub elapsed_ms: i64,
    /// The broker's `sim.broker.startup.ms`.
    pub limit_ms: i64,
    pub remaining_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConsumerSessionTimer {
    pub group_id: String,
    pub member_id: String,
    pub client_id: String,
    pub silent_ms: i64,
    /// The member's `session.timeout.ms`.
    pub limit_ms: i64,
    pub remaining_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClientRequestTimer {
    pub client: String,
    pub broker: BrokerId,
    /// Requests in flight to the broker.
    pub requests: usize,
    /// How long the oldest has waited.
    pub waited_ms: i64,
    /// The client's `request.timeout.ms`.
    pub limit_ms: i64,
    pub remaining_ms: i64,
}

/// Every running timer worth showing now.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Countdowns {
    pub now_ms: i64,
    /// Followers that have not caught up since longer than the leader's fetch wait.
    pub followers: Vec<FollowerLagTimer>,
    /// Unfenced brokers the controller has not heard from for more than a heartbeat interval.
    pub brokers: Vec<BrokerSessionTimer>,
    /// Broker processes still starting, before their first registration.
    pub startups: Vec<BrokerStartupTimer>,
    /// acks=all writes waiting for the high watermark longer than a moment.
    pub produces: Vec<ProduceWaitTimer>,
    /// Group members silent for more than a heartbeat interval.
    pub consumers: Vec<ConsumerSessionTimer>,
    /// Producer requests unanswered for longer than a moment.
    pub requests: Vec<ClientRequestTimer>,
}

/// Waits shorter than this are normal traffic, not a countdown worth drawing.
const QUIET_MS: i64 = 1_000;

/// A follower's lag timer as the leader keeps it, when it is a countdown worth showing:
/// `(ms since it last caught up, ms until it counts as out of sync)`. None while it keeps up
/// (caught up within the fetch wait, or at the leader's log end).
pub fn follower_lag(leader: &BrokerConfig, r: &ReplicaState, leader_leo: i64, now: i64) -> Option<(i64, i64)> {
    if r.last_caught_up_time_ms == crate::broker::replica_state::NEVER_CAUGHT_UP {
        return None; // never caught up: out of sync, no clock running
    }
    let since = now - r.last_caught_up_time_ms;
    let quiet = leader.replica_fetch_wait_max_ms.max(QUIET_MS);
    if since <= quiet || r.log_end_offset == leader_leo {
        return None;
    }
    Some((since, (leader.replica_lag_time_max_ms - since).max(0)))
}

pub fn countdowns(sim: &Sim) -> Countdowns {
    let now = sim.now_ms();
    let mut out = Countdowns { now_ms: now, ..Countdowns::default() };
    for (tp, st) in &sim.controller.partitions {
        if st.leader == NO_LEADER {
            continue;
        }
        let Some(leader) = sim.brokers.get(&st.leader).and_then(|s| s.process.as_ref()) else { continue };
        let Some(ls) = leader.partitions.get(tp).and_then(|p| p.leader_state.as_ref()) else { continue };
        let limit = leader.config.replica_lag_time_max_ms;
        let leo = leader.disk.logs.get(tp).map(|l| l.log_end_offset()).unwrap_or(0);
        for (&b, r) in &ls.remote {
            let Some((since, remaining)) = follower_lag(&leader.config, r, leo, now) else { continue };
            out.followers.push(FollowerLagTimer {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                broker: b,
                leader: st.leader,
                in_isr: st.isr.contains(&b),
                since_caught_up_ms: since,
                limit_ms: limit,
                remaining_ms: remaining,
                next_check_in_ms: (leader.next_isr_check_ms() - now).max(0),
                behind_records: if r.log_end_offset < 0 { -1 } else { (leo - r.log_end_offset).max(0) },
            });
        }
    }
    let c = &sim.controller;
    let limit = c.config.broker_session_timeout_ms;
    let quiet = c.config.broker_heartbeat_interval_ms.max(QUIET_MS);
    for r in c.brokers.values().filter(|r| !r.fenced) {
        let silent = now - r.last_contact_ms;
        if silent > quiet {
            // A newer incarnation is running: its registration waits for this session to end.
            let refused = sim.brokers.get(&r.broker).is_some_and(|s| s.process.is_some() && s.incarnation != r.incarnation);
            out.brokers.push(BrokerSessionTimer {
                broker: r.broker,
                silent_ms: silent,
                limit_ms: limit,
                remaining_ms: (limit - silent).max(0),
                registration_refused: refused && silent <= limit,
            });
        }
    }
    for (&id, slot) in &sim.brokers {
        if let Some(p) = slot.process.as_ref() {
            if let Some(at) = p.registers_at_ms().filter(|&at| at > now) {
                let limit = p.config.broker_startup_ms;
                out.startups.push(BrokerStartupTimer {
                    broker: id,
                    elapsed_ms: limit - (at - now),
                    limit_ms: limit,
                    remaining_ms: at - now,
                });
            }
        }
    }
    for (&id, slot) in &sim.brokers {
        let Some(b) = slot.process.as_ref() else { continue };
        for w in b.waiting_produces() {
            let waited = now - (w.deadline_ms - w.timeout_ms);
            if waited > QUIET_MS {
                let remaining = (w.deadline_ms - now).max(0);
                out.produces.push(ProduceWaitTimer { broker: id, write: w, waited_ms: waited, remaining_ms: remaining });
            }
        }
    }
    let limit = sim.producer.config.request_timeout_ms;
    for (broker, requests, oldest) in sim.producer.in_flight_by_broker() {
        let waited = now - oldest;
        if waited > QUIET_MS {
            out.requests.push(ClientRequestTimer {
                client: format!("producer-{}", sim.producer.id),
                broker,
                requests,
                waited_ms: waited,
                limit_ms: limit,
                remaining_ms: (limit - waited).max(0),
            });
        }
    }
    for slot in sim.brokers.values() {
        let Some(b) = slot.process.as_ref() else { continue };
        for g in b.groups.groups.values() {
            for m in g.members.values() {
                let silent = now - (m.session_deadline_ms() - m.session_timeout_ms);
                if silent > QUIET_MS.max(3_000) {
                    out.consumers.push(ConsumerSessionTimer {
                        group_id: g.group_id.clone(),
                        member_id: m.member_id.clone(),
                        client_id: m.client_id.clone(),
                        silent_ms: silent,
                        limit_ms: m.session_timeout_ms,
                        remaining_ms: (m.session_deadline_ms() - now).max(0),
                    });
                }
            }
        }
    }
    out
}
