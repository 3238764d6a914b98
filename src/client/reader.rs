//! A minimal consumer of one partition: fetches from the leader and sees only
//! committed records (below the high watermark). Everything it sees is kept so
//! the checker can tell whether a consumer saw a record that was later replaced.

use super::backoff::ExponentialBackoff;
use super::metadata::ClientMetadata;
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::{BrokerId, NodeId, TopicPartition};
use crate::protocol::Msg;
use crate::rng::Rng;
use serde::Serialize;

/// How often the reader polls (stands in for the consumer's fetch.max.wait.ms long poll).
pub const POLL_INTERVAL_MS: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenRecord {
    pub offset: i64,
    pub leader_epoch: i32,
    pub write_id: u64,
    pub at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Reader {
    pub id: u32,
    pub tp: TopicPartition,
    pub position: i64,
    pub metadata: ClientMetadata,
    next_corr: u64,
    in_flight: Option<(u64, i64)>,
    in_flight_node: BrokerId,
    next_poll_ms: i64,
    pub seen: Vec<SeenRecord>,
    /// How many of the oldest seen records were dropped (retention deleted them from every
    /// replica): `seen[i]` is the record read `seen_dropped + i`-th.
    pub seen_dropped: usize,
    pub last_error: Option<KafkaError>,
}

impl Reader {
    pub fn new(id: u32, tp: TopicPartition, bootstrap: Vec<BrokerId>, rng: Rng) -> Reader {
        Reader {
            id,
            tp,
            position: 0,
            metadata: ClientMetadata::new(bootstrap, 300_000, 30_000, ExponentialBackoff::new(100, 1000), rng),
            next_corr: 1_000_000,
            in_flight: None,
            in_flight_node: -1,
            next_poll_ms: 0,
            seen: vec![],
            seen_dropped: 0,
            last_error: None,
        }
    }

    pub fn on_tick(&mut self, now_ms: i64, out: &mut Out) {
        self.metadata.poll(now_ms, &mut self.next_corr, &|_| 0, out);
        if let Some((_, sent)) = self.in_flight {
            if now_ms - sent >= 30_000 {
                self.in_flight = None;
                self.metadata.mark_unreachable(self.in_flight_node, now_ms);
                self.metadata.invalidate();
            }
        }
        if self.in_flight.is_none() && now_ms >= self.next_poll_ms {
            if let Some((leader, epoch)) = self.metadata.leader(&self.tp) {
                self.next_corr += 1;
                self.in_flight = Some((self.next_corr, now_ms));
                self.in_flight_node = leader;
                out.send(
                    NodeId::Broker(leader),
                    Msg::ConsumerFetch {
                        correlation_id: self.next_corr,
                        tp: self.tp,
                        fetch_offset: self.position,
                        current_leader_epoch: epoch,
                        max_records: 500,
                        rack_id: None,
                        max_wait_ms: 0,
                    },
                );
            } else {
                self.metadata.stale = true;
                self.next_poll_ms = now_ms + POLL_INTERVAL_MS;
            }
        }
        let mut t = self.metadata.next_wake(now_ms);
        t = t.min(match self.in_flight {
            Some((_, sent)) => sent + 30_000,
            None => self.next_poll_ms,
        });
        out.wake_at(t.max(now_ms + 1));
    }

    pub fn on_message(&mut self, now_ms: i64, _from: NodeId, msg: Msg, out: &mut Out) {
        match msg {
            Msg::MetadataResponse { correlation_id, partitions } => {
                self.metadata.on_response(now_ms, correlation_id, &partitions);
            }
            Msg::ConsumerFetchResponse { correlation_id, partition, .. } => {
                if self.in_flight.map(|(c, _)| c) != Some(correlation_id) {
                    return;
                }
                self.in_flight = None;
                self.next_poll_ms = now_ms + POLL_INTERVAL_MS;
                match partition.error {
                    KafkaError::NONE => {
                        self.last_error = None;
                        for r in &partition.records {
                            self.seen.push(SeenRecord {
                                offset: r.offset,
                                leader_epoch: r.leader_epoch,
                                write_id: r.write_id,
                                at_ms: now_ms,
                            });
                            self.position = r.offset + 1;
                        }
                    }
                    KafkaError::OFFSET_OUT_OF_RANGE => {
                        self.last_error = Some(partition.error);
                        // The leader's log ends before our position: the log was truncated
                        // under us (an unclean election). Reset to the leader's HW.
                        let reset =
                            if self.position > partition.log_end_offset { partition.high_watermark } else { partition.log_start_offset };
                        // Below the log start (retention, DeleteRecords): the oldest record left.
                        let why = if self.position > partition.log_end_offset {
                            "truncation detected"
                        } else {
                            "below the log start offset (deleted by retention or DeleteRecords)"
                        };
                        out.log(
                            Category::Consume,
                            format!(
                                "reader-{} position {} of {} is out of range (leader LEO {}, log start {}): {why}, resetting to {reset}",
                                self.id, self.position, self.tp, partition.log_end_offset, partition.log_start_offset
                            ),
                        );
                        self.position = reset.max(0);
                    }
                    e => {
                        self.last_error = Some(e);
                        self.metadata.invalidate();
                    }
                }
            }
            Msg::Disconnected { lost, correlation_id } => {
                if lost == "ConsumerFetch" && self.in_flight.map(|(c, _)| c) == Some(correlation_id) {
                    self.in_flight = None;
                    self.metadata.invalidate();
                } else if lost == "Metadata" {
                    self.metadata.on_disconnected(now_ms, correlation_id);
                }
            }
            _ => {}
        }
        self.on_tick(now_ms, out);
    }
}
