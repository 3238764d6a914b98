//! The faults a user can inject, one method each, as `Sim::apply` routes them: a broker
//! crash (kill -9 or power loss), restart, controlled shutdown, pause (stop-the-world GC)
//! and resume; a controller voter's crash and restart; cut, one-way cut, heal, slow and
//! lossy links, isolation, the global network settings; a consumer's crash and stall.
//! Each validates its target (`broker_slot`, `fault_node`, …) before changing anything.
//!
//! What a crashed broker keeps is the broker's own business (`Broker::crash`,
//! `src/broker/crash.rs`); how the cluster finds a new active controller after a voter
//! crash is `src/controller/failover.rs` (called from `Sim::after_quorum_event`). This file is
//! the harness's side: which process stops, which connections the OS resets, which machine
//! stops answering.

use super::{BrokerSlot, Ev, Sim, VoterSlot, PRODUCER_ID};
use crate::broker::crash::Crashed;
use crate::broker::disk::{Disk, DiskHealth};
use crate::broker::log_dir_failure::LOG_DIR;
use crate::command::DiskFault;
use crate::command::MAX_RUN_MS;
use crate::controller::quorum::{QuorumTimeouts, Voter};
use crate::effects::{Category, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::{BrokerId, NodeId};
use crate::protocol::Msg;

/// The requests a process held open, by (client, request kind, correlation id).
type HeldRequests = Vec<(NodeId, &'static str, u64)>;

impl Sim {
    // --------------------------------------------------------------- brokers

    /// `crash_broker`: the broker process dies at once. With `keep_page_cache` only the process
    /// is killed (kill -9: the OS keeps unflushed writes and resets its connections); without
    /// it the machine loses power: unflushed records are gone and nothing answers.
    pub(super) fn crash_broker(&mut self, broker: BrokerId, keep_page_cache: bool) -> Result<(), CommandError> {
        self.broker_slot(broker, "broker")?;
        let Some((held, lost)) = self.end_process(broker, !keep_page_cache) else {
            return Err(CommandError::new(KafkaError::BROKER_NOT_AVAILABLE, "broker", format!("broker {broker} is not running")));
        };
        let slot = self.brokers.get_mut(&broker).unwrap();
        let what = if keep_page_cache {
            "crashes (process killed; the page cache survives; the OS resets its connections)".to_string()
        } else {
            slot.powered_off = true;
            slot.unanswered = held.clone();
            format!(
                "crashes (power loss): volatile state gone, {lost} unflushed record(s) lost from the page cache; \
                 nothing answers its connections, so clients wait for their request timeouts"
            )
        };
        self.log_event(NodeId::Broker(broker), Category::Fault, what);
        // A killed process's sockets are closed by the OS: clients waiting on it see a
        // reset at once. A machine without power sends nothing.
        if keep_page_cache {
            self.reset_connections(NodeId::Broker(broker), held);
        }
        Ok(())
    }

    /// The process exits by itself (`Exit.halt(1)`, after its only log directory failed): as a
    /// kill -9, the OS keeps the page cache and resets the process's connections.
    pub(super) fn halt_broker(&mut self, broker: BrokerId, why: String) {
        let Some((held, _)) = self.end_process(broker, false) else { return };
        self.log_event(NodeId::Broker(broker), Category::Fault, format!("halts: {why}"));
        self.reset_connections(NodeId::Broker(broker), held);
    }

    /// The broker's process dies (`Broker::crash`): its disk stays for the next start. Returns
    /// the requests it held and the unflushed records a power loss took; None if it was not running.
    fn end_process(&mut self, broker: BrokerId, power_loss: bool) -> Option<(HeldRequests, i64)> {
        let slot = self.brokers.get_mut(&broker).unwrap();
        let p = slot.process.take()?;
        let Crashed { disk, held_requests, lost_unflushed } = p.crash(power_loss, self.now_ms);
        slot.idle_disk = Some(disk);
        slot.crashed = true;
        slot.paused = false;
        slot.deferred.clear();
        slot.incarnation += 1;
        Some((held_requests, lost_unflushed))
    }

    /// `disk_fault`: the broker's disk fills up or fails, or is mended: `full` (no space left:
    /// the next write fails), `failed` (every I/O fails, loading the logs too), `space_freed`
    /// (a full disk has room again, its data kept), `replaced` (a new, empty disk, formatted
    /// for this node as `kafka-storage.sh format` would; only while the broker is down).
    pub(super) fn disk_fault(&mut self, broker: BrokerId, fault: DiskFault) -> Result<(), CommandError> {
        self.broker_slot(broker, "broker")?;
        let now = self.now_ms;
        let slot = self.brokers.get_mut(&broker).unwrap();
        let running = slot.process.is_some();
        let disk = match (slot.process.as_mut(), slot.idle_disk.as_mut()) {
            (Some(p), _) => &mut p.disk,
            (None, Some(d)) => d,
            (None, None) => return Err(CommandError::invalid_request("broker", format!("broker {broker} has no disk"))),
        };
        let what = match fault {
            DiskFault::Full => {
                disk.health = DiskHealth::Full;
                format!("disk full: no space left on device; the next write to {LOG_DIR} fails")
            }
            DiskFault::Failed => {
                disk.health = DiskHealth::Failed;
                format!("disk fails: every I/O on {LOG_DIR} fails")
            }
            DiskFault::SpaceFreed => {
                if disk.health == DiskHealth::Failed {
                    return Err(CommandError::invalid_request("fault", format!("the disk of broker {broker} has failed: replace it")));
                }
                disk.health = DiskHealth::Healthy;
                "disk has free space again (its data is kept)".to_string()
            }
            DiskFault::Replaced => {
                if running {
                    return Err(CommandError::invalid_request(
                        "fault",
                        format!("broker {broker} is running: stop it (or let it halt) before replacing its disk"),
                    ));
                }
                let lost: i64 = disk.logs.values().map(|l| l.log_end_offset() - l.log_start_offset()).sum();
                let logs = disk.logs.len();
                *disk = Disk::default();
                format!("disk replaced with an empty one (formatted for node {broker}): the {lost} record(s) of its {logs} log(s) are gone from this broker; it fetches them again from the leaders")
            }
        };
        let inc = slot.incarnation;
        self.schedule_wake(NodeId::Broker(broker), now, inc);
        self.log_event(NodeId::Broker(broker), Category::Fault, what);
        Ok(())
    }

    /// `restart_broker`: a stopped or crashed broker starts again on its disk (log recovery).
    pub(super) fn restart_broker(&mut self, broker: BrokerId) -> Result<(), CommandError> {
        self.broker_slot(broker, "broker")?;
        if self.brokers[&broker].process.is_some() {
            return Err(CommandError::invalid_request("broker", format!("broker {broker} is already running")));
        }
        if self.brokers[&broker].disk().health == DiskHealth::Failed {
            // LogManager.loadLogs: the directory cannot be read, so no live log dir is left.
            self.log_event(
                NodeId::Broker(broker),
                Category::Fault,
                format!("fails to start: KafkaStorageException loading the logs in {LOG_DIR} (Input/output error); Shutdown broker because all log dirs in {LOG_DIR} have failed"),
            );
            return Ok(());
        }
        self.log_event(NodeId::Broker(broker), Category::Fault, "starts (recovering its logs from disk)".into());
        self.start_broker(broker);
        Ok(())
    }

    /// `shutdown_broker`: a clean shutdown (controlled shutdown when `controlled.shutdown.enable=true`).
    pub(super) fn shutdown_broker(&mut self, broker: BrokerId) -> Result<(), CommandError> {
        let now = self.now_ms;
        self.broker_slot(broker, "broker")?;
        let slot = self.brokers.get_mut(&broker).unwrap();
        let Some(p) = slot.process.as_mut() else {
            return Err(CommandError::new(KafkaError::BROKER_NOT_AVAILABLE, "broker", format!("broker {broker} is not running")));
        };
        let mut out = Out::default();
        p.begin_shutdown(now, &mut out);
        self.apply_effects(NodeId::Broker(broker), out);
        self.after_broker_event(NodeId::Broker(broker));
        Ok(())
    }

    /// `pause_broker`: a stop-the-world pause (long GC): the broker neither receives nor acts;
    /// with `ms` it resumes by itself (`Ev::Resume`).
    pub(super) fn pause_broker(&mut self, broker: BrokerId, ms: Option<i64>) -> Result<(), CommandError> {
        let now = self.now_ms;
        self.broker_slot(broker, "broker")?;
        if let Some(ms) = ms {
            if ms <= 0 || ms > MAX_RUN_MS {
                return Err(CommandError::invalid_request("ms", format!("pause must last 1 to {MAX_RUN_MS} ms")));
            }
        }
        let slot = self.brokers.get_mut(&broker).unwrap();
        if slot.process.is_none() {
            return Err(CommandError::new(KafkaError::BROKER_NOT_AVAILABLE, "broker", format!("broker {broker} is not running")));
        }
        slot.paused = true;
        self.log_event(
            NodeId::Broker(broker),
            Category::Fault,
            match ms {
                Some(ms) => format!("pauses for {ms} ms (stop-the-world GC)"),
                None => "pauses (stop-the-world GC)".into(),
            },
        );
        if let Some(ms) = ms {
            self.queue.push(now + ms, Ev::Resume { broker });
        }
        Ok(())
    }

    /// `slow_disk`: every write on the broker's disk (fetched records, produce appends) takes `ms` (0: healthy).
    pub(super) fn slow_disk(&mut self, broker: BrokerId, ms: i64) -> Result<(), CommandError> {
        self.broker_slot(broker, "broker")?;
        if !(0..=MAX_RUN_MS).contains(&ms) {
            return Err(CommandError::invalid_request("write_latency_ms", format!("write_latency_ms must be 0 to {MAX_RUN_MS}")));
        }
        let now = self.now_ms;
        let slot = self.brokers.get_mut(&broker).unwrap();
        match (slot.process.as_mut(), slot.idle_disk.as_mut()) {
            (Some(p), _) => p.disk.write_latency_ms = ms,
            (None, Some(d)) => d.write_latency_ms = ms,
            (None, None) => {}
        }
        let inc = slot.incarnation;
        self.schedule_wake(NodeId::Broker(broker), now, inc);
        self.log_event(
            NodeId::Broker(broker),
            Category::Fault,
            if ms > 0 {
                format!("disk slows down: every write (fetched records, appended produce requests) takes {ms} ms (the broker keeps heartbeating, so it stays registered and unfenced)")
            } else {
                "disk healthy again".to_string()
            },
        );
        Ok(())
    }

    /// `resume_broker`: the pause ends; the messages that waited are handled in arrival order.
    pub(super) fn resume_broker(&mut self, b: BrokerId) {
        let Some(slot) = self.brokers.get_mut(&b) else { return };
        if !slot.paused {
            return;
        }
        slot.paused = false;
        let deferred = std::mem::take(&mut slot.deferred);
        let inc = slot.incarnation;
        self.log_event(NodeId::Broker(b), Category::Fault, format!("resumes after a pause ({} message(s) waited)", deferred.len()));
        for (from, msg) in deferred {
            self.dispatch(NodeId::Broker(b), from, msg);
        }
        self.schedule_wake(NodeId::Broker(b), self.now_ms, inc);
    }

    // ----------------------------------------------------------- controllers

    /// `crash_controller`: a KRaft controller voter dies (kill -9); its metadata log and
    /// quorum-state survive. Without `controller`, the active one.
    pub(super) fn crash_controller(&mut self, controller: Option<i32>) -> Result<(), CommandError> {
        let v = match controller {
            Some(v) => v,
            None => self.active_controller.map(|(v, _)| v).ok_or_else(|| {
                CommandError::new(KafkaError::NOT_CONTROLLER, "controller", "there is no active controller to crash; name a voter")
            })?,
        };
        self.voter_slot(v, "controller")?;
        let now = self.now_ms;
        let was_active = self.active_controller.is_some_and(|(a, _)| a == v);
        let slot = self.voters.get_mut(&v).unwrap();
        let Some(p) = slot.process.take() else {
            return Err(CommandError::invalid_request("controller", format!("controller {v} is not running")));
        };
        let held = p.held_fetches();
        let role = p.role.name();
        let epoch = p.epoch();
        slot.idle_disk = Some(p.disk);
        slot.incarnation += 1;
        let what = if was_active {
            format!("crashes (kill -9): it was the active controller, quorum leader in epoch {epoch}")
        } else {
            format!("crashes (kill -9): a standby voter ({role} in epoch {epoch})")
        };
        self.log_event(NodeId::Voter(v), Category::Fault, what);
        for r in held {
            if !self.network.is_cut(NodeId::Voter(v), NodeId::Voter(r)) {
                let at = now + self.network.min_latency_ms.max(1);
                let inc = self.incarnation_of(NodeId::Voter(r));
                let msg = Msg::Disconnected { lost: "QuorumFetch", correlation_id: 0 };
                self.queue.push(
                    at,
                    Ev::Deliver {
                        from: NodeId::Voter(v),
                        to: NodeId::Voter(r),
                        msg: Box::new(msg),
                        to_incarnation: inc,
                        sent_ms: now,
                        ctrl: None,
                    },
                );
            }
        }
        self.after_quorum_event();
        let running = self.voters.values().filter(|s| s.process.is_some()).count();
        let majority = self.voters.len() / 2 + 1;
        if !was_active && running < majority {
            self.log_event(
                NodeId::Voter(v),
                Category::Controller,
                format!(
                    "the controller quorum has lost its majority: {running} of {} voters run, {majority} are needed to commit metadata or elect a controller",
                    self.voters.len()
                ),
            );
        }
        Ok(())
    }

    /// `restart_controller`: a crashed voter starts again on its disk.
    pub(super) fn restart_controller(&mut self, v: i32) -> Result<(), CommandError> {
        self.voter_slot(v, "controller")?;
        if self.voters[&v].process.is_some() {
            return Err(CommandError::invalid_request("controller", format!("controller {v} is already running")));
        }
        let now = self.now_ms;
        let ids: Vec<i32> = self.voters.keys().copied().collect();
        let timeouts = QuorumTimeouts::from_config(&self.spec.broker_config);
        let slot = self.voters.get_mut(&v).unwrap();
        slot.incarnation += 1;
        let inc = slot.incarnation;
        let disk = slot.idle_disk.take().unwrap_or_default();
        let rng = self.root_rng.fork(&format!("controller-{v}-{inc}"));
        self.log_event(
            NodeId::Voter(v),
            Category::Fault,
            format!("starts (its metadata log, {} records, and quorum-state survived)", disk.log.len()),
        );
        let mut out = Out::default();
        let p = Voter::start(v, ids, disk, timeouts, rng, now, &mut out);
        self.voters.get_mut(&v).unwrap().process = Some(p);
        self.apply_effects(NodeId::Voter(v), out);
        self.after_quorum_event();
        Ok(())
    }

    // --------------------------------------------------------------- network

    /// `cut_link`: packets between two nodes are lost (both ways unless `one_way`: then only from→to).
    pub(super) fn cut_link(&mut self, from: NodeId, to: NodeId, one_way: bool) -> Result<(), CommandError> {
        let from = self.fault_node(from, "from")?;
        let to = self.fault_node(to, "to")?;
        self.network.cut(from, to, !one_way);
        self.log_event(from, Category::Fault, format!("link {from} {} {to} cut", if one_way { "→" } else { "↔" }));
        Ok(())
    }

    /// `heal_link`: the cut link carries packets again.
    pub(super) fn heal_link(&mut self, from: NodeId, to: NodeId, one_way: bool) -> Result<(), CommandError> {
        let from = self.fault_node(from, "from")?;
        let to = self.fault_node(to, "to")?;
        self.network.heal(from, to, !one_way);
        self.log_event(from, Category::Fault, format!("link {from} {} {to} healed", if one_way { "→" } else { "↔" }));
        Ok(())
    }

    /// `isolate`: every link to and from a node is cut.
    pub(super) fn isolate(&mut self, node: NodeId) -> Result<(), CommandError> {
        let node = self.fault_node(node, "node")?;
        let mut others: Vec<NodeId> = if self.quorum_mode() {
            let mut v: Vec<NodeId> = self.voters.keys().map(|v| NodeId::Voter(*v)).collect();
            v.push(NodeId::Producer(PRODUCER_ID));
            v
        } else {
            vec![NodeId::Controller, NodeId::Producer(PRODUCER_ID)]
        };
        others.extend(self.brokers.keys().map(|b| NodeId::Broker(*b)));
        others.extend(self.readers.keys().map(|r| NodeId::Reader(*r)));
        others.extend(self.consumers.keys().map(|c| NodeId::Consumer(*c)));
        for o in others {
            if o != node {
                self.network.cut(node, o, true);
            }
        }
        self.log_event(node, Category::Fault, format!("{node} isolated from every other node"));
        Ok(())
    }

    /// `heal_all`: every cut healed, slow and lossy link settings removed.
    pub(super) fn heal_all(&mut self) {
        self.network.heal_all();
        self.log_event(NodeId::Controller, Category::Fault, "network healed: every link restored".into());
    }

    /// `slow_link`: extra latency on a link (both ways unless `one_way`).
    pub(super) fn slow_link(&mut self, from: NodeId, to: NodeId, extra_latency_ms: i64, one_way: bool) -> Result<(), CommandError> {
        let from = self.fault_node(from, "from")?;
        let to = self.fault_node(to, "to")?;
        if !(0..=600_000).contains(&extra_latency_ms) {
            return Err(CommandError::invalid_request("extra_latency_ms", "extra latency must be in [0, 600000] ms"));
        }
        let mut pairs = vec![(from, to)];
        if !one_way {
            pairs.push((to, from));
        }
        for p in pairs {
            self.network.links.entry(p).or_default().extra_latency_ms = extra_latency_ms;
        }
        self.log_event(
            from,
            Category::Fault,
            format!("link {from} {} {to} slowed by {extra_latency_ms} ms", if one_way { "→" } else { "↔" }),
        );
        Ok(())
    }

    /// `set_link_loss`: a loss probability on one link (both ways unless `one_way`).
    pub(super) fn set_link_loss(&mut self, from: NodeId, to: NodeId, loss: f64, one_way: bool) -> Result<(), CommandError> {
        let from = self.fault_node(from, "from")?;
        let to = self.fault_node(to, "to")?;
        if !(0.0..=1.0).contains(&loss) {
            return Err(CommandError::invalid_request("loss", "loss must be a probability in [0, 1]"));
        }
        let mut pairs = vec![(from, to)];
        if !one_way {
            pairs.push((to, from));
        }
        for p in pairs {
            self.network.links.entry(p).or_default().loss = Some(loss);
        }
        Ok(())
    }

    /// `set_network`: the global latency range and loss probability.
    pub(super) fn set_network(
        &mut self,
        min_latency_ms: Option<i64>,
        max_latency_ms: Option<i64>,
        loss: Option<f64>,
    ) -> Result<(), CommandError> {
        let min = min_latency_ms.unwrap_or(self.network.min_latency_ms);
        let max = max_latency_ms.unwrap_or(self.network.max_latency_ms);
        let loss = loss.unwrap_or(self.network.loss);
        if !(0..=60_000).contains(&min) || !(0..=60_000).contains(&max) || min > max {
            return Err(CommandError::invalid_request(
                "min_latency_ms",
                format!("latency must satisfy 0 ≤ min ≤ max ≤ 60000 ms (got {min}..{max})"),
            ));
        }
        if !(0.0..=1.0).contains(&loss) {
            return Err(CommandError::invalid_request("loss", "loss must be a probability in [0, 1]"));
        }
        self.network.min_latency_ms = min;
        self.network.max_latency_ms = max;
        self.network.loss = loss;
        Ok(())
    }

    // --------------------------------------------------------------- clients

    /// `crash_consumer`: the consumer process dies: no LeaveGroup, no commit.
    pub(super) fn crash_consumer(&mut self, consumer: u32) -> Result<(), CommandError> {
        self.consumer_mut(consumer)?;
        self.crashed_consumers.insert(consumer);
        self.log_event(
            NodeId::Consumer(consumer),
            Category::Fault,
            "crashes: no LeaveGroup, no commit; the coordinator waits for session.timeout.ms".into(),
        );
        Ok(())
    }

    /// `stall_consumer`: the application stops calling poll() for `ms`.
    pub(super) fn stall_consumer(&mut self, consumer: u32, ms: i64) -> Result<(), CommandError> {
        let now = self.now_ms;
        if !(1..=MAX_RUN_MS).contains(&ms) {
            return Err(CommandError::invalid_request("ms", format!("a stall lasts 1 to {MAX_RUN_MS} ms")));
        }
        self.consumer_mut(consumer)?.stall(now, ms);
        self.log_event(NodeId::Consumer(consumer), Category::Fault, format!("the application stops polling for {ms} ms"));
        Ok(())
    }

    // ------------------------------------------------------ naming the target

    pub(super) fn broker_slot(&self, b: i32, field: &str) -> Result<&BrokerSlot, CommandError> {
        self.brokers.get(&b).ok_or_else(|| {
            CommandError::new(
                KafkaError::BROKER_NOT_AVAILABLE,
                field,
                format!("there is no broker {b} (brokers: {})", self.brokers.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")),
            )
        })
    }

    pub(super) fn check_node(&self, n: NodeId, field: &str) -> Result<(), CommandError> {
        match n {
            NodeId::Broker(b) => self.broker_slot(b, field).map(|_| ()),
            NodeId::Controller | NodeId::Producer(PRODUCER_ID) => Ok(()),
            NodeId::Reader(r) if self.readers.contains_key(&r) => Ok(()),
            NodeId::Consumer(c) if self.consumers.contains_key(&c) => Ok(()),
            other => Err(CommandError::invalid_request(field, format!("there is no node {other}"))),
        }
    }

    pub(super) fn voter_slot(&self, v: i32, field: &str) -> Result<&VoterSlot, CommandError> {
        self.voters.get(&v).ok_or_else(|| {
            CommandError::invalid_request(
                field,
                format!(
                    "there is no controller {v} (controller voters: {})",
                    self.voters.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }

    /// Resolves a node named in a network fault: in quorum mode `controller` is the
    /// machine of the active controller now, `controller-N` a voter.
    pub(super) fn fault_node(&self, n: NodeId, field: &str) -> Result<NodeId, CommandError> {
        match n {
            NodeId::Controller if self.quorum_mode() => match self.active_controller {
                Some((v, _)) => Ok(NodeId::Voter(v)),
                None => Err(CommandError::new(
                    KafkaError::NOT_CONTROLLER,
                    field,
                    format!(
                        "there is no active controller right now; name a voter ({})",
                        self.voters.keys().map(|k| format!("controller-{k}")).collect::<Vec<_>>().join(", ")
                    ),
                )),
            },
            NodeId::Voter(v) => {
                self.voter_slot(v, field)?;
                Ok(if self.quorum_mode() { n } else { NodeId::Controller })
            }
            other => self.check_node(other, field).map(|_| other),
        }
    }
}
