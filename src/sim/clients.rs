//! The client commands: produce, a steady producer workload, committed-only readers, and
//! consumers in groups (start, stop, commit, config). The clients themselves live in
//! `src/client/`; this file creates them and hands them their work.

use super::{Ev, Sim, Workload, MAX_WORKLOAD_RATE, PRODUCER_ID};
use crate::broker::group_coordinator::OFFSETS_TOPIC;
use crate::client::consumer::Consumer;
use crate::client::reader::Reader;
use crate::command::MAX_PRODUCE_COUNT;
use crate::config::ConsumerConfig;
use crate::effects::{Category, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::{BrokerId, NodeId, TopicPartition};
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;

impl Sim {
    /// Whether the producer may write to `topic`: it exists, and it is not an internal topic. Only the group
    /// coordinator appends to `__consumer_offsets`; Kafka's `ReplicaManager.appendToLocalLog` answers any other
    /// writer INVALID_TOPIC_EXCEPTION ("Cannot append to internal topic").
    fn producer_may_write(&self, topic: &str) -> Result<(), CommandError> {
        if !self.controller.topics.contains_key(topic) {
            return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topic", format!("topic '{topic}' does not exist")));
        }
        if topic == OFFSETS_TOPIC {
            return Err(CommandError::new(
                KafkaError::INVALID_TOPIC_EXCEPTION,
                "topic",
                format!("Cannot append to internal topic {topic}"),
            ));
        }
        Ok(())
    }

    /// `produce`: `count` records handed to the producer (`KafkaProducer.send`).
    pub(super) fn produce(
        &mut self,
        topic: String,
        partition: Option<u32>,
        key: Option<String>,
        value: Option<String>,
        count: u32,
        tombstone: bool,
    ) -> Result<(), CommandError> {
        let now = self.now_ms;
        if count == 0 || count > MAX_PRODUCE_COUNT {
            return Err(CommandError::invalid_request("count", format!("count must be in [1, {MAX_PRODUCE_COUNT}], got {count}")));
        }
        self.producer_may_write(&topic)?;
        if let Some(p) = partition {
            if !self.controller.partitions.contains_key(&TopicPartition::new(&topic, p)) {
                return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "partition", format!("{topic}-{p} does not exist")));
            }
        }
        let key: Option<Rc<str>> = key.map(|k| k.into());
        let topic = crate::ids::Topic::intern(&topic);
        for i in 0..count {
            let id = self.next_write_id;
            self.next_write_id += 1;
            let v: Rc<str> = match (&value, count) {
                (Some(v), 1) => v.as_str().into(),
                (Some(v), _) => format!("{v}-{i}").into(),
                (None, _) => format!("v{id}").into(),
            };
            self.producer.send(now, id, topic, partition, key.clone(), if tombstone { None } else { Some(v) });
        }
        self.schedule_wake(NodeId::Producer(PRODUCER_ID), now, 0);
        Ok(())
    }

    /// `set_workload`: a steady producer workload (`records_per_sec` 0 stops it).
    pub(super) fn set_workload(&mut self, topic: String, records_per_sec: f64, keys: u32) -> Result<(), CommandError> {
        let now = self.now_ms;
        if !records_per_sec.is_finite() || !(0.0..=MAX_WORKLOAD_RATE).contains(&records_per_sec) {
            return Err(CommandError::invalid_request("records_per_sec", format!("records_per_sec must be in [0, {MAX_WORKLOAD_RATE}]")));
        }
        if keys > 1_000_000 {
            return Err(CommandError::invalid_request("keys", "keys must be in [0, 1000000]"));
        }
        if records_per_sec > 0.0 {
            self.producer_may_write(&topic)?;
        }
        let generation = self.workload.as_ref().map(|w| w.generation + 1).unwrap_or(1);
        self.workload = Some(Workload {
            topic: crate::ids::Topic::intern(&topic),
            records_per_sec,
            keys,
            carry: 0.0,
            generation,
            key_names: Vec::new(),
        });
        if records_per_sec > 0.0 {
            self.queue.push(now, Ev::WorkloadTick { generation });
            self.log_event(
                NodeId::Producer(PRODUCER_ID),
                Category::Produce,
                format!(
                    "workload: {records_per_sec} records/s to {topic}{}",
                    if keys > 0 { format!(" over {keys} keys") } else { String::new() }
                ),
            );
        } else {
            self.log_event(NodeId::Producer(PRODUCER_ID), Category::Produce, "workload stopped".into());
        }
        Ok(())
    }

    /// Tick period of a workload: one record per tick up to 100/s, then batches every 10 ms.
    fn workload_period_ms(rate: f64) -> i64 {
        if rate > 100.0 {
            10
        } else {
            (1000.0 / rate).round().max(1.0) as i64
        }
    }

    pub(super) fn workload_tick(&mut self, generation: u64) {
        let Some(w) = self.workload.as_mut() else { return };
        if w.generation != generation || w.records_per_sec <= 0.0 {
            return;
        }
        let period = Self::workload_period_ms(w.records_per_sec);
        let exact = w.records_per_sec * period as f64 / 1000.0 + w.carry;
        let n = exact.floor() as u64;
        w.carry = exact - n as f64;
        let (topic, keys) = (w.topic, w.keys);
        if self.controller.topics.contains_key(topic.as_str()) {
            use std::fmt::Write;
            let mut text = String::new();
            for _ in 0..n {
                let id = self.next_write_id;
                self.next_write_id += 1;
                let key: Option<Rc<str>> = if keys == 0 {
                    None
                } else {
                    let k = self.workload_rng.range_inclusive(0, keys as u64 - 1);
                    let w = self.workload.as_mut().expect("checked above");
                    let slot = (keys <= super::KEY_NAMES_KEPT).then(|| {
                        w.key_names.resize(keys as usize, None);
                        &mut w.key_names[k as usize]
                    });
                    match slot {
                        Some(Some(name)) => Some(name.clone()),
                        slot => {
                            text.clear();
                            let _ = write!(text, "key-{k}");
                            let name: Rc<str> = Rc::from(text.as_str());
                            if let Some(slot) = slot {
                                *slot = Some(name.clone());
                            }
                            Some(name)
                        }
                    }
                };
                text.clear();
                let _ = write!(text, "v{id}");
                let value: Rc<str> = Rc::from(text.as_str());
                self.producer.send(self.now_ms, id, topic, None, key, Some(value));
            }
            if n > 0 {
                self.schedule_wake(NodeId::Producer(PRODUCER_ID), self.now_ms, 0);
            }
        }
        self.queue.push(self.now_ms + period, Ev::WorkloadTick { generation });
    }

    /// `start_reader`: a committed-only reader of one partition.
    pub(super) fn start_reader(&mut self, topic: String, partition: u32) -> Result<(), CommandError> {
        let now = self.now_ms;
        let tp = TopicPartition::new(&topic, partition);
        if !self.controller.partitions.contains_key(&tp) {
            return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "partition", format!("{tp} does not exist")));
        }
        let id = self.readers.keys().next_back().map(|k| k + 1).unwrap_or(1);
        let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
        self.readers.insert(id, Reader::new(id, tp, bootstrap, self.root_rng.fork(&format!("reader-{id}"))));
        self.schedule_wake(NodeId::Reader(id), now, 0);
        Ok(())
    }

    /// `consumer.subscribe(topics)` in a new consumer. As a broker does on the first
    /// FindCoordinator, creates `__consumer_offsets` (compacted, `offsets.topic.*`) if missing.
    pub(super) fn start_consumer(
        &mut self,
        group_id: &str,
        topics: &[String],
        config: &BTreeMap<String, Value>,
    ) -> Result<(), CommandError> {
        if group_id.is_empty()
            || group_id.len() > 249
            || !group_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
        {
            return Err(CommandError::invalid_request(
                "group_id",
                "group.id must be 1 to 249 characters of [a-zA-Z0-9._-] (the playground's limit; Kafka allows any non-empty string)",
            ));
        }
        if topics.is_empty() {
            return Err(CommandError::invalid_request("topics", "subscribe to at least one topic"));
        }
        for t in topics {
            if t == OFFSETS_TOPIC || !self.controller.topics.contains_key(t) {
                return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topics", format!("topic '{t}' does not exist")));
            }
        }
        let mut cc = ConsumerConfig::default();
        for (k, v) in config {
            cc.set(k, v)?;
        }
        if cc.partition_assignment_strategy.is_empty() {
            return Err(CommandError::invalid_config("partition.assignment.strategy", "at least one assignor is needed"));
        }
        // All members of a group subscribe to the same topics here (the assignors' general
        // path for differing subscriptions is not exercised by the playground).
        if let Some(other) =
            self.consumers.values().find(|c| c.group_id == group_id && c.state != crate::client::consumer::MemberState::Closed)
        {
            if other.topics != topics {
                return Err(CommandError::invalid_request(
                    "topics",
                    format!(
                        "members of group {group_id} subscribe to [{}] here; start this consumer with the same topics",
                        other.topics.join(", ")
                    ),
                ));
            }
        }
        self.ensure_offsets_topic()?;
        let id = self.consumers.keys().next_back().map(|k| k + 1).unwrap_or(1);
        let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
        self.consumers.insert(
            id,
            Consumer::new(id, group_id, topics.to_vec(), cc, bootstrap, self.now_ms, self.root_rng.fork(&format!("consumer-{id}"))),
        );
        self.log_event(
            NodeId::Consumer(id),
            Category::Group,
            format!("consumer-{id} starts in group {group_id}, subscribed to [{}]", topics.join(", ")),
        );
        self.schedule_wake(NodeId::Consumer(id), self.now_ms, 0);
        Ok(())
    }

    /// As a broker does on the first FindCoordinator: creates `__consumer_offsets` (compacted,
    /// `offsets.topic.*`) if missing.
    fn ensure_offsets_topic(&mut self) -> Result<(), CommandError> {
        if self.controller.topics.contains_key(OFFSETS_TOPIC) {
            return Ok(());
        }
        let n = self.spec.broker_config.offsets_topic_num_partitions as u32;
        let rf = self.spec.broker_config.offsets_topic_replication_factor;
        if rf as usize > self.brokers.len() {
            return Err(CommandError::new(
                KafkaError::COORDINATOR_NOT_AVAILABLE,
                "offsets.topic.replication.factor",
                format!(
                    "offsets.topic.replication.factor={rf} but the cluster has {} broker(s): Kafka cannot create {OFFSETS_TOPIC} and consumers get COORDINATOR_NOT_AVAILABLE. Set offsets.topic.replication.factor to at most {}.",
                    self.brokers.len(),
                    self.brokers.len()
                ),
            ));
        }
        let mut cfg = BTreeMap::new();
        cfg.insert("cleanup.policy".to_string(), Value::String("compact".into()));
        cfg.insert("segment.bytes".to_string(), Value::from(104_857_600));
        self.create_topic(OFFSETS_TOPIC, Some(n), Some(rf as u16), &cfg, None)?;
        self.log_event(
            NodeId::Controller,
            Category::Group,
            format!("creates internal topic {OFFSETS_TOPIC} ({n} partitions, replication factor {rf}, cleanup.policy=compact)"),
        );
        Ok(())
    }

    /// `stop_consumer`: `consumer.close()`: commits and leaves the group.
    pub(super) fn stop_consumer(&mut self, consumer: u32) -> Result<(), CommandError> {
        let now = self.now_ms;
        self.consumer_mut(consumer)?;
        let mut out = Out::default();
        self.consumers.get_mut(&consumer).unwrap().close(now, &mut out);
        self.apply_effects(NodeId::Consumer(consumer), out);
        Ok(())
    }

    /// `commit_offsets`: `consumer.commitSync()` now.
    pub(super) fn commit_offsets(&mut self, consumer: u32) -> Result<(), CommandError> {
        let now = self.now_ms;
        self.consumer_mut(consumer)?;
        let mut out = Out::default();
        self.consumers.get_mut(&consumer).unwrap().commit_now(now, &mut out);
        self.apply_effects(NodeId::Consumer(consumer), out);
        Ok(())
    }

    /// `set_consumer_config`: a consumer config change on one consumer or every one.
    pub(super) fn set_consumer_config(&mut self, consumer: Option<u32>, key: String, value: Value) -> Result<(), CommandError> {
        let now = self.now_ms;
        ConsumerConfig::default().set(&key, &value)?;
        let targets: Vec<u32> = match consumer {
            Some(c) => {
                self.consumer_mut(c)?;
                vec![c]
            }
            None => self.consumers.keys().copied().collect(),
        };
        for c in targets {
            let consumer = self.consumers.get_mut(&c).unwrap();
            consumer.config.set(&key, &value)?;
            consumer.metadata.max_age_ms = consumer.config.metadata_max_age_ms;
            self.schedule_wake(NodeId::Consumer(c), now, 0);
        }
        Ok(())
    }

    pub(super) fn consumer_mut(&mut self, c: u32) -> Result<&mut Consumer, CommandError> {
        if self.crashed_consumers.contains(&c) {
            return Err(CommandError::invalid_request("consumer", format!("consumer-{c} has crashed")));
        }
        match self.consumers.get_mut(&c) {
            Some(x) if x.state != crate::client::consumer::MemberState::Closed => Ok(x),
            Some(_) => Err(CommandError::invalid_request("consumer", format!("consumer-{c} is closed"))),
            None => Err(CommandError::invalid_request("consumer", format!("there is no consumer-{c}"))),
        }
    }
}
