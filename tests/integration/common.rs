//! Helpers for scenario tests: build a cluster under the invariant checker,
//! drive it with `Command`s, read its state.
#![allow(dead_code)]

use kafka_playground::check::audit::{lost_acknowledged_writes, LostWrite};
use kafka_playground::check::CheckedSim;
use kafka_playground::client::producer::SendOutcome;
use kafka_playground::command::Command;
use kafka_playground::ids::{NodeId, TopicPartition, NO_LEADER};
use kafka_playground::sim::{ClusterSpec, NodeStatus, Sim};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub struct Cluster {
    pub cs: CheckedSim,
}

pub fn cluster(seed: u64, brokers: usize, broker_config: &[(&str, Value)], producer_config: &[(&str, Value)]) -> Cluster {
    cluster_with_elr(seed, brokers, true, broker_config, producer_config)
}

/// `elr`: the `eligible.leader.replicas.version` feature (on for clusters created on Kafka 4.1+).
pub fn cluster_with_elr(
    seed: u64,
    brokers: usize,
    elr: bool,
    broker_config: &[(&str, Value)],
    producer_config: &[(&str, Value)],
) -> Cluster {
    let mut spec = ClusterSpec::new(seed, brokers);
    spec.elr_enabled = elr;
    for (k, v) in broker_config {
        spec.broker_config.set(k, v).unwrap();
    }
    for (k, v) in producer_config {
        spec.producer_config.set(k, v).unwrap();
    }
    let sim = Sim::new(spec).unwrap();
    let mut c = Cluster { cs: CheckedSim::new(sim) };
    assert!(c.run_until(|s| s.brokers.values().all(|b| b.status() == NodeStatus::Online), 10_000), "brokers did not come online");
    c
}

impl Cluster {
    pub fn sim(&self) -> &Sim {
        &self.cs.sim
    }

    pub fn now(&self) -> i64 {
        self.cs.sim.now_ms()
    }

    pub fn apply(&mut self, c: Command) {
        self.cs.apply(c.clone()).unwrap_or_else(|e| panic!("{c:?} failed: {e}"));
    }

    pub fn topic(&mut self, name: &str, assignment: &[&[i32]], config: &[(&str, Value)]) {
        let a: BTreeMap<String, Vec<i32>> = assignment.iter().enumerate().map(|(i, r)| (i.to_string(), r.to_vec())).collect();
        let config = config.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        self.apply(Command::CreateTopic { name: name.into(), partitions: None, replication_factor: None, config, assignment: Some(a) });
        let tp = TopicPartition::new(name, 0);
        let leader = assignment[0][0];
        assert!(
            self.run_until(
                |s| s.brokers[&leader].process.as_ref().is_some_and(|p| p.partitions.get(&tp).is_some_and(|x| x.is_leader())),
                5_000
            ),
            "leader {leader} did not take over {tp}"
        );
        self.run(600); // followers start fetching
    }

    pub fn produce(&mut self, topic: &str, value: &str, count: u32) {
        self.apply(Command::Produce {
            tombstone: false,
            topic: topic.into(),
            partition: Some(0),
            key: None,
            value: Some(value.into()),
            count,
        });
    }

    pub fn run(&mut self, ms: i64) {
        self.apply(Command::Run { ms });
    }

    /// Steps until `pred` holds or `limit_ms` of simulated time passes.
    pub fn run_until(&mut self, pred: impl Fn(&Sim) -> bool, limit_ms: i64) -> bool {
        let until = self.now() + limit_ms;
        while !pred(&self.cs.sim) {
            match self.cs.sim.next_event_time() {
                Some(t) if t <= until => {
                    self.cs.step();
                }
                _ => return pred(&self.cs.sim),
            }
        }
        true
    }

    pub fn crash(&mut self, b: i32) {
        self.apply(Command::CrashBroker { broker: b, keep_page_cache: false });
    }

    pub fn cut(&mut self, a: NodeId, b: NodeId) {
        self.apply(Command::CutLink { from: a, to: b, one_way: false });
    }

    pub fn partition(&self, topic: &str) -> kafka_playground::protocol::PartitionState {
        self.sim().controller.partitions[&TopicPartition::new(topic, 0)].clone()
    }

    pub fn leader(&self, topic: &str) -> Option<i32> {
        let p = self.partition(topic);
        (p.leader != NO_LEADER).then_some(p.leader)
    }

    pub fn isr(&self, topic: &str) -> Vec<i32> {
        self.partition(topic).isr
    }

    pub fn lost(&self) -> Vec<LostWrite> {
        lost_acknowledged_writes(self.sim())
    }

    pub fn acked_values(&self) -> Vec<String> {
        self.sim()
            .producer
            .sends
            .values()
            .filter(|s| matches!(s.outcome, SendOutcome::Acked { .. }))
            .map(|s| s.value.as_deref().unwrap_or("").to_string())
            .collect()
    }

    pub fn failed(&self) -> Vec<(String, String)> {
        self.sim()
            .producer
            .sends
            .values()
            .filter_map(|s| match &s.outcome {
                SendOutcome::Failed { error, .. } => Some((s.value.as_deref().unwrap_or("").to_string(), error.name().to_string())),
                _ => None,
            })
            .collect()
    }

    pub fn log_end_offset(&self, broker: i32, topic: &str) -> i64 {
        self.sim().brokers[&broker].disk().logs[&TopicPartition::new(topic, 0)].log_end_offset()
    }

    pub fn high_watermark(&self, broker: i32, topic: &str) -> i64 {
        self.sim().brokers[&broker].disk().logs[&TopicPartition::new(topic, 0)].high_watermark()
    }

    pub fn events_matching(&self, needle: &str) -> Vec<String> {
        self.sim()
            .events
            .iter()
            .filter(|e| e.message.contains(needle))
            .map(|e| format!("[{}] {} {}", e.time_ms, e.node, e.message))
            .collect()
    }

    pub fn assert_no_violations(&self) {
        assert!(self.cs.checker.violations.is_empty(), "invariant violations: {:#?}", self.cs.checker.violations);
    }

    pub fn dump_events(&self) -> String {
        self.sim().events.iter().map(|e| format!("[{}] {} {}", e.time_ms, e.node, e.message)).collect::<Vec<_>>().join("\n")
    }
}

pub fn v(x: impl Into<Value>) -> Value {
    x.into()
}

pub fn all() -> Value {
    json!("all")
}

/// Jepsen's 2013 Kafka test: the followers are cut off from leader 1, the ISR shrinks to [1],
/// five writes are acknowledged by that ISR of one, then the leader is isolated and killed.
/// `reader`: a committed-only reader of jepsen-0 runs from the start.
pub fn jepsen_2013(min_isr: i64, unclean: bool, elr: bool, reader: bool) -> Cluster {
    let mut c = cluster_with_elr(
        13,
        3,
        elr,
        &[("replica.lag.time.max.ms", v(10_000)), ("min.insync.replicas", v(min_isr)), ("unclean.leader.election.enable", v(unclean))],
        &[("acks", all()), ("retries", v(0)), ("request.timeout.ms", v(25_000)), ("delivery.timeout.ms", v(30_000))],
    );
    c.topic("jepsen", &[&[1, 2, 3]], &[]);
    if reader {
        c.apply(Command::StartReader { topic: "jepsen".into(), partition: 0 });
    }
    c.produce("jepsen", "healthy", 2);
    c.run(1_000);
    // Followers partitioned from the leader: the ISR shrinks to [1].
    c.cut(NodeId::Broker(1), NodeId::Broker(2));
    c.cut(NodeId::Broker(1), NodeId::Broker(3));
    c.produce("jepsen", "isr-of-one", 5);
    c.run(20_000);
    // The leader is cut off from the controller and killed.
    c.apply(Command::Isolate { node: NodeId::Broker(1) });
    c.crash(1);
    c.run(30_000);
    c
}

/// The guided scenarios of scenarios/index.json, in its order: (file name, JSON text).
pub fn guided_scenarios() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let index: Value = serde_json::from_str(&std::fs::read_to_string(format!("{dir}/index.json")).unwrap()).unwrap();
    index
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_string())
        .filter_map(|f| std::fs::read_to_string(format!("{dir}/{f}.json")).ok().map(|t| (f, t)))
        .collect()
}
