//! The JSON report of a run: partitions, replicas with their logs, the
//! producer's outcomes, lost acknowledged writes, invariant violations and the
//! trace hash.

use crate::check::audit::{lost_acknowledged_writes, LostWrite};
use crate::check::checker::Violation;
use crate::client::producer::SendOutcome;
use crate::effects::Event;
use crate::ids::{BrokerId, NO_LEADER};
use crate::log::EpochEntry;
use crate::sim::{NodeStatus, Sim};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct PartitionReport {
    pub topic: String,
    pub partition: u32,
    /// `None` when the partition has no leader (offline).
    pub leader: Option<BrokerId>,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub elr: Vec<BrokerId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordReport {
    pub offset: i64,
    pub epoch: i32,
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplicaReport {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
    pub status: NodeStatus,
    pub online: bool,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    /// The in-memory HW of a running broker; for a stopped one, what its checkpoint says.
    pub high_watermark: i64,
    pub epoch_cache: Vec<EpochEntry>,
    pub records: Vec<RecordReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WriteReport {
    pub write_id: u64,
    pub topic: String,
    pub partition: Option<u32>,
    pub key: Option<String>,
    pub value: Option<String>,
    pub acks: crate::config::Acks,
    pub offset: Option<i64>,
    pub error: Option<String>,
    pub attempts: u32,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProducerReport {
    pub acknowledged: Vec<WriteReport>,
    pub failed: Vec<WriteReport>,
    pub pending: usize,
    /// Older sends not listed above: their records were deleted by retention from every
    /// replica, so they were folded into counts (src/sim/history.rs).
    pub retired_acknowledged: usize,
    pub retired_failed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub seed: u64,
    pub time_ms: i64,
    pub trace_hash: String,
    pub events_processed: u64,
    pub describe: String,
    /// The KRaft controller quorum: voters, the active controller, the controller epoch.
    pub controller_quorum: crate::sim::ControllerQuorumView,
    pub partitions: Vec<PartitionReport>,
    pub replicas: Vec<ReplicaReport>,
    pub producer: ProducerReport,
    pub lost_acknowledged_writes: Vec<LostWrite>,
    /// VerifiableProducer/Consumer-style counts (duplicates, reordered keys, redelivery, truncation seen).
    pub client_audit: crate::check::client_audit::ClientAudit,
    /// `kafka-consumer-groups.sh --describe` of every group (empty without consumers).
    pub consumer_groups: String,
    pub invariant_violations: Vec<Violation>,
    /// The scenario's `expect` block, checked (empty when it has none).
    pub expectations: Vec<crate::scenario::ExpectationResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
}

pub fn build_report(sim: &Sim, violations: &[Violation], with_events: bool) -> Report {
    let partitions = sim
        .controller
        .partitions
        .values()
        .map(|p| PartitionReport {
            topic: p.tp.topic.to_string(),
            partition: p.tp.partition,
            leader: if p.leader == NO_LEADER { None } else { Some(p.leader) },
            leader_epoch: p.leader_epoch,
            partition_epoch: p.partition_epoch,
            replicas: p.replicas.clone(),
            isr: p.isr.clone(),
            elr: p.elr.clone(),
        })
        .collect();
    let mut replicas = vec![];
    for p in sim.controller.partitions.values() {
        for &b in &p.replicas {
            let Some(slot) = sim.brokers.get(&b) else { continue };
            let Some(log) = slot.disk().logs.get(&p.tp) else { continue };
            let hw = if slot.process.is_some() {
                log.high_watermark()
            } else {
                slot.disk().read_hw_checkpoint().get(&p.tp).copied().unwrap_or(0)
            };
            replicas.push(ReplicaReport {
                topic: p.tp.topic.to_string(),
                partition: p.tp.partition,
                broker: b,
                status: slot.status(),
                online: slot.process.is_some(),
                log_start_offset: log.log_start_offset(),
                log_end_offset: log.log_end_offset(),
                high_watermark: hw,
                epoch_cache: log.epoch_cache.entries().to_vec(),
                records: log
                    .records()
                    .iter()
                    .map(|r| RecordReport {
                        offset: r.offset,
                        epoch: r.leader_epoch,
                        key: r.key.as_deref().map(String::from),
                        value: r.value.as_deref().map(String::from),
                    })
                    .collect(),
            });
        }
    }
    let mut acknowledged = vec![];
    let mut failed = vec![];
    for s in sim.producer.sends.values() {
        let mut w = WriteReport {
            write_id: s.write_id,
            topic: s.topic.to_string(),
            partition: s.partition,
            key: s.key.as_deref().map(String::from),
            value: s.value.as_deref().map(String::from),
            acks: s.acks,
            offset: None,
            error: None,
            attempts: s.attempts,
            at_ms: s.created_ms,
        };
        match &s.outcome {
            SendOutcome::Acked { offset, at_ms } => {
                w.offset = Some(*offset);
                w.at_ms = *at_ms;
                acknowledged.push(w);
            }
            SendOutcome::Failed { error, at_ms } => {
                w.error = Some(error.name().to_string());
                w.at_ms = *at_ms;
                failed.push(w);
            }
            SendOutcome::Pending => {}
        }
    }
    Report {
        seed: sim.spec.seed,
        time_ms: sim.now_ms(),
        trace_hash: format!("{:016x}", sim.trace_hash()),
        events_processed: sim.events_processed,
        describe: sim.describe(None),
        controller_quorum: sim.controller_quorum(),
        partitions,
        replicas,
        producer: ProducerReport {
            acknowledged,
            failed,
            pending: sim.producer.pending(),
            retired_acknowledged: sim.producer.retired_acked,
            retired_failed: sim.producer.retired_failed,
        },
        lost_acknowledged_writes: lost_acknowledged_writes(sim),
        client_audit: crate::check::client_audit::client_audit(sim),
        consumer_groups: if sim.consumers.is_empty() { String::new() } else { crate::page::groups_view::describe_groups(sim, None) },
        invariant_violations: violations.to_vec(),
        expectations: vec![],
        events: if with_events { Some(sim.events.to_vec()) } else { None },
    }
}
