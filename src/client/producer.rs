//! A minimal Kafka producer as a sans-IO state machine: partitioning, metadata
//! refresh, `acks`, retries with `retry.backoff.ms`, `request.timeout.ms` and
//! `delivery.timeout.ms`. One request in flight per partition (ordering kept;
//! batching, idempotence and the sticky partitioner arrive with the full client).
//! Every send's outcome is recorded for the audit.

use super::metadata::ClientMetadata;
use super::partitioner::partition_for_key;
use crate::config::{Acks, ProducerConfig};
use crate::effects::Out;
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::log::NewRecord;
use crate::protocol::Msg;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// Most records sent in one Produce request (stands in for `batch.size`).
pub const MAX_BATCH_RECORDS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SendOutcome {
    Pending,
    /// Acknowledged by the broker (acks=0: "sent", offset unknown = -1).
    Acked {
        offset: i64,
        at_ms: i64,
    },
    Failed {
        error: KafkaError,
        at_ms: i64,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct SendRecord {
    pub write_id: u64,
    pub topic: String,
    /// Resolved once metadata is known.
    pub partition: Option<u32>,
    pub key: Option<Rc<str>>,
    pub value: Option<Rc<str>>,
    pub acks: Acks,
    pub created_ms: i64,
    pub attempts: u32,
    pub last_error: Option<KafkaError>,
    pub outcome: SendOutcome,
}

#[derive(Debug, Clone)]
struct InFlight {
    tp: TopicPartition,
    write_ids: Vec<u64>,
    sent_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Producer {
    pub id: u32,
    pub config: ProducerConfig,
    pub metadata: ClientMetadata,
    next_corr: u64,
    unresolved: VecDeque<u64>,
    queue: BTreeMap<TopicPartition, VecDeque<u64>>,
    in_flight: BTreeMap<u64, InFlight>,
    busy: BTreeSet<TopicPartition>,
    retry_at: BTreeMap<TopicPartition, i64>,
    round_robin: u32,
    pub sends: BTreeMap<u64, SendRecord>,
    /// Failed produce attempts by Kafka error name (retried or not).
    pub error_counts: BTreeMap<&'static str, u64>,
    /// Write ids in creation order (creation times never decrease); finished ones are
    /// dropped from the front lazily, so expiry and wake-ups look only at the front.
    order: VecDeque<u64>,
    pending_count: usize,
    pub acked_count: usize,
    pub failed_count: usize,
}

impl Producer {
    pub fn new(id: u32, config: ProducerConfig, bootstrap: Vec<BrokerId>) -> Producer {
        let md = ClientMetadata::new(bootstrap, config.metadata_max_age_ms, config.request_timeout_ms);
        Producer {
            id,
            config,
            metadata: md,
            next_corr: 0,
            unresolved: VecDeque::new(),
            queue: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            busy: BTreeSet::new(),
            retry_at: BTreeMap::new(),
            round_robin: 0,
            sends: BTreeMap::new(),
            error_counts: BTreeMap::new(),
            order: VecDeque::new(),
            pending_count: 0,
            acked_count: 0,
            failed_count: 0,
        }
    }

    /// `producer.send(record)`.
    pub fn send(&mut self, now_ms: i64, write_id: u64, topic: &str, partition: Option<u32>, key: Option<Rc<str>>, value: Option<Rc<str>>) {
        self.sends.insert(
            write_id,
            SendRecord {
                write_id,
                topic: topic.to_string(),
                partition,
                key,
                value,
                acks: self.config.acks,
                created_ms: now_ms,
                attempts: 0,
                last_error: None,
                outcome: SendOutcome::Pending,
            },
        );
        self.unresolved.push_back(write_id);
        self.order.push_back(write_id);
        self.pending_count += 1;
        self.resolve();
    }

    /// Runs the partitioner for records whose topic's partition count is known.
    fn resolve(&mut self) {
        let mut still = VecDeque::new();
        while let Some(id) = self.unresolved.pop_front() {
            let rec = self.sends.get_mut(&id).unwrap();
            let Some(&n) = self.metadata.partition_counts.get(&rec.topic) else {
                still.push_back(id);
                continue;
            };
            let p = match (rec.partition, &rec.key) {
                (Some(p), _) => p,
                (None, Some(k)) => partition_for_key(k.as_bytes(), n),
                (None, None) => {
                    self.round_robin = self.round_robin.wrapping_add(1);
                    self.round_robin % n
                }
            };
            rec.partition = Some(p);
            self.queue.entry(TopicPartition::new(&rec.topic, p)).or_default().push_back(id);
        }
        if !still.is_empty() {
            self.metadata.stale = true;
        }
        self.unresolved = still;
    }

    pub fn pending(&self) -> usize {
        self.pending_count
    }

    /// Records a final outcome of a pending send.
    fn finish(&mut self, id: u64, outcome: SendOutcome) {
        if let Some(s) = self.sends.get_mut(&id) {
            if s.outcome == SendOutcome::Pending {
                self.pending_count -= 1;
                match outcome {
                    SendOutcome::Acked { .. } => self.acked_count += 1,
                    SendOutcome::Failed { .. } => self.failed_count += 1,
                    SendOutcome::Pending => self.pending_count += 1,
                }
            }
            s.outcome = outcome;
        }
    }

    fn trim_order(&mut self) {
        while let Some(id) = self.order.front() {
            if self.sends.get(id).is_some_and(|s| s.outcome == SendOutcome::Pending) {
                break;
            }
            self.order.pop_front();
        }
    }

    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        self.expire(now_ms, out);
        self.metadata.poll(now_ms, &mut self.next_corr, out);
        // Requests that got no response in request.timeout.ms fail (retriably).
        let timed_out: Vec<u64> =
            self.in_flight.iter().filter(|(_, f)| now_ms - f.sent_ms >= self.config.request_timeout_ms).map(|(c, _)| *c).collect();
        for c in timed_out {
            self.fail_request(now_ms, c, KafkaError::REQUEST_TIMED_OUT, out);
        }
        let tps: Vec<TopicPartition> = self.queue.iter().filter(|(_, q)| !q.is_empty()).map(|(tp, _)| tp.clone()).collect();
        for tp in tps {
            if self.busy.contains(&tp) || self.retry_at.get(&tp).is_some_and(|&t| t > now_ms) {
                continue;
            }
            let Some((leader, _)) = self.metadata.leader(&tp) else {
                self.metadata.stale = true;
                continue;
            };
            let q = self.queue.get_mut(&tp).unwrap();
            let n = q.len().min(MAX_BATCH_RECORDS);
            let ids: Vec<u64> = q.drain(..n).collect();
            let records: Vec<NewRecord> = ids
                .iter()
                .map(|id| {
                    let s = self.sends.get_mut(id).unwrap();
                    s.attempts += 1;
                    NewRecord { key: s.key.clone(), value: s.value.clone(), write_id: *id }
                })
                .collect();
            self.next_corr += 1;
            let corr = self.next_corr;
            out.send(
                NodeId::Broker(leader),
                Msg::Produce {
                    correlation_id: corr,
                    acks: self.config.acks,
                    timeout_ms: self.config.request_timeout_ms,
                    tp: tp.clone(),
                    records,
                },
            );
            if self.config.acks == Acks::Zero {
                // acks=0: the send completes as soon as it is on the wire, offset unknown.
                for id in ids {
                    self.finish(id, SendOutcome::Acked { offset: -1, at_ms: now_ms });
                }
            } else {
                self.busy.insert(tp.clone());
                self.in_flight.insert(corr, InFlight { tp, write_ids: ids, sent_ms: now_ms });
            }
        }
        out.wake_at(self.next_wake(now_ms));
    }

    fn next_wake(&self, now_ms: i64) -> i64 {
        let mut t = self.metadata.next_wake(now_ms);
        for f in self.in_flight.values() {
            t = t.min(f.sent_ms + self.config.request_timeout_ms);
        }
        for (tp, q) in &self.queue {
            if !q.is_empty() && !self.busy.contains(tp) {
                t = t.min(self.retry_at.get(tp).copied().unwrap_or(now_ms));
            }
        }
        if let Some(s) = self.order.front().and_then(|id| self.sends.get(id)) {
            t = t.min(s.created_ms + self.config.delivery_timeout_ms);
        }
        t.max(now_ms + 1)
    }

    /// `delivery.timeout.ms`: queued records that are too old fail.
    fn expire(&mut self, now_ms: i64, out: &mut Out) {
        let limit = self.config.delivery_timeout_ms;
        self.trim_order();
        let mut expired = vec![];
        let mut candidates = vec![];
        for id in &self.order {
            let s = &self.sends[id];
            if now_ms - s.created_ms < limit {
                break; // creation order: the rest are younger
            }
            if s.outcome == SendOutcome::Pending {
                candidates.push(*id);
            }
        }
        if !candidates.is_empty() {
            let in_flight: BTreeSet<u64> = self.in_flight.values().flat_map(|f| f.write_ids.iter().copied()).collect();
            for id in candidates {
                if !in_flight.contains(&id) {
                    self.finish(id, SendOutcome::Failed { error: KafkaError::DELIVERY_TIMEOUT, at_ms: now_ms });
                    expired.push(id);
                }
            }
        }
        if !expired.is_empty() {
            *self.error_counts.entry(KafkaError::DELIVERY_TIMEOUT.name()).or_default() += expired.len() as u64;
            for q in self.queue.values_mut() {
                q.retain(|id| !expired.contains(id));
            }
            self.unresolved.retain(|id| !expired.contains(id));
            out.log("produce", format!("{} record(s) expired: delivery.timeout.ms={limit} passed", expired.len()));
        }
    }

    fn fail_request(&mut self, now_ms: i64, corr: u64, error: KafkaError, out: &mut Out) {
        let Some(f) = self.in_flight.remove(&corr) else { return };
        self.busy.remove(&f.tp);
        *self.error_counts.entry(error.name()).or_default() += 1;
        let retriable = error.is_retriable();
        let mut requeue = vec![];
        for id in &f.write_ids {
            let s = self.sends.get_mut(id).unwrap();
            s.last_error = Some(error);
            let within = now_ms - s.created_ms < self.config.delivery_timeout_ms;
            if retriable && (s.attempts as i64) <= self.config.retries && within {
                requeue.push(*id);
            } else {
                let e = if within { error } else { KafkaError::DELIVERY_TIMEOUT };
                self.finish(*id, SendOutcome::Failed { error: e, at_ms: now_ms });
            }
        }
        if !requeue.is_empty() {
            let q = self.queue.entry(f.tp.clone()).or_default();
            for id in requeue.into_iter().rev() {
                q.push_front(id);
            }
            self.retry_at.insert(f.tp.clone(), now_ms + self.config.retry_backoff_ms);
        } else {
            out.log("produce", format!("send of {} record(s) to {} failed: {error}", f.write_ids.len(), f.tp));
        }
        if matches!(
            error,
            KafkaError::NOT_LEADER_OR_FOLLOWER
                | KafkaError::NETWORK_EXCEPTION
                | KafkaError::REQUEST_TIMED_OUT
                | KafkaError::FENCED_LEADER_EPOCH
                | KafkaError::UNKNOWN_LEADER_EPOCH
                | KafkaError::LEADER_NOT_AVAILABLE
        ) {
            self.metadata.invalidate(now_ms, self.config.retry_backoff_ms);
        }
    }

    pub fn on_message(&mut self, now_ms: i64, _from: NodeId, msg: Msg, out: &mut Out) {
        match msg {
            Msg::MetadataResponse { correlation_id, partitions } if self.metadata.on_response(now_ms, correlation_id, &partitions) => {
                self.resolve();
            }
            Msg::ProduceResponse { correlation_id, error, base_offset, .. } => {
                if error == KafkaError::NONE {
                    if let Some(f) = self.in_flight.remove(&correlation_id) {
                        self.busy.remove(&f.tp);
                        for (i, id) in f.write_ids.iter().enumerate() {
                            self.finish(*id, SendOutcome::Acked { offset: base_offset + i as i64, at_ms: now_ms });
                        }
                    }
                } else {
                    self.fail_request(now_ms, correlation_id, error, out);
                }
            }
            Msg::Disconnected { lost, correlation_id } => {
                if lost == "Produce" {
                    self.fail_request(now_ms, correlation_id, KafkaError::NETWORK_EXCEPTION, out);
                } else if lost == "Metadata" {
                    self.metadata.on_disconnected(correlation_id);
                }
            }
            _ => {}
        }
        self.on_tick(now_ms, out);
    }
}
