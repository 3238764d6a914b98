//! What `kafka-consumer-groups.sh --describe` shows, read from the coordinator that owns
//! each group (the leader of its `__consumer_offsets` partition), and a compact view of
//! groups for the page.

use crate::broker::group_coordinator::{partition_for, Group, OFFSETS_TOPIC};
use crate::ids::{NodeId, TopicPartition, NO_LEADER};
use crate::lean::CollectBTree;
use crate::sim::Sim;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Serialize)]
pub struct GroupPartitionView {
    pub topic: String,
    pub partition: u32,
    /// Committed offset (-1: none).
    pub current_offset: i64,
    /// The partition's latest offset for a read_uncommitted consumer: the leader's high watermark.
    pub log_end_offset: i64,
    /// -1 when there is no committed offset.
    pub lag: i64,
    pub consumer_id: Option<String>,
    pub client_id: Option<String>,
    pub host: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub group_id: String,
    pub coordinator: i32,
    pub state: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: Vec<String>,
    pub partitions: Vec<GroupPartitionView>,
}

/// The coordinator's copy of a group, if the coordinator is up.
pub fn coordinator_group<'a>(sim: &'a Sim, group_id: &str) -> Option<(i32, &'a Group)> {
    let n = sim.controller.partitions.keys().filter(|tp| tp.topic == OFFSETS_TOPIC).count() as u32;
    if n == 0 {
        return None;
    }
    let tp = TopicPartition::new(OFFSETS_TOPIC, partition_for(group_id, n));
    let leader = sim.controller.partitions.get(&tp)?.leader;
    if leader == NO_LEADER {
        return None;
    }
    let g = sim.brokers.get(&leader)?.process.as_ref()?.groups.groups.get(group_id)?;
    Some((leader, g))
}

fn high_watermark(sim: &Sim, tp: &TopicPartition) -> i64 {
    let Some(st) = sim.controller.partitions.get(tp) else { return 0 };
    sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(tp)).map(|l| l.high_watermark()).unwrap_or(0)
}

pub fn group_view(sim: &Sim, group_id: &str) -> Option<GroupView> {
    let (coordinator, g) = coordinator_group(sim, group_id)?;
    let topics: BTreeSet<String> =
        sim.consumers.values().filter(|c| c.group_id == group_id).flat_map(|c| c.topics.iter().cloned()).collect_set();
    let mut tps: BTreeSet<TopicPartition> = g.offsets.keys().cloned().collect_set();
    for m in g.members.values() {
        tps.extend(m.assignment.iter().cloned());
    }
    for t in &topics {
        tps.extend(sim.controller.partitions.keys().filter(|tp| &tp.topic == t).cloned());
    }
    let partitions = tps
        .into_iter()
        .map(|tp| {
            let owner = g.members.values().find(|m| m.assignment.contains(&tp));
            let current = g.offsets.get(&tp).map(|x| x.0).unwrap_or(-1);
            let leo = high_watermark(sim, &tp);
            GroupPartitionView {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                current_offset: current,
                log_end_offset: leo,
                lag: if current >= 0 { (leo - current).max(0) } else { -1 },
                consumer_id: owner.map(|m| m.member_id.clone()),
                client_id: owner.map(|m| m.client_id.clone()),
                host: owner.map(|m| format!("/{}", m.host.map(|h: NodeId| h.to_string()).unwrap_or_else(|| "unknown".into()))),
            }
        })
        .collect();
    Some(GroupView {
        group_id: group_id.to_string(),
        coordinator,
        state: g.state.name().to_string(),
        generation: g.generation,
        protocol: g.protocol.clone(),
        leader: g.leader.clone(),
        members: g.members.keys().cloned().collect(),
        partitions,
    })
}

/// Every group some consumer of the simulation belongs to.
pub fn group_ids(sim: &Sim) -> Vec<String> {
    sim.consumers.values().map(|c| c.group_id.clone()).collect_set().into_iter().collect()
}

/// `kafka-consumer-groups.sh --bootstrap-server … --describe --group <g>` (every group when `None`).
pub fn describe_groups(sim: &Sim, group: Option<&str>) -> String {
    let ids: Vec<String> = match group {
        Some(g) => vec![g.to_string()],
        None => group_ids(sim),
    };
    if ids.is_empty() {
        return "No consumer groups.\n".into();
    }
    let mut s = String::new();
    for id in ids {
        let Some(v) = group_view(sim, &id) else {
            s.push_str(&format!(
                "\nError: Executing consumer group command failed due to org.apache.kafka.common.errors.CoordinatorNotAvailableException: The coordinator is not available. (group {id})\n"
            ));
            continue;
        };
        if v.members.is_empty() {
            s.push_str(&format!("\nConsumer group '{id}' has no active members.\n"));
        }
        let dash = |x: i64| if x < 0 { "-".to_string() } else { x.to_string() };
        let rows: Vec<[String; 9]> = v
            .partitions
            .iter()
            .map(|p| {
                [
                    id.clone(),
                    p.topic.clone(),
                    p.partition.to_string(),
                    dash(p.current_offset),
                    p.log_end_offset.to_string(),
                    dash(p.lag),
                    p.consumer_id.clone().unwrap_or_else(|| "-".into()),
                    p.host.clone().unwrap_or_else(|| "-".into()),
                    p.client_id.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        let head = ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"];
        // ConsumerGroupCommand.printOffsets: group, topic, consumer id and host columns as wide as
        // their longest value; partition 10, offsets and lag 15 wide.
        let w = |i: usize| rows.iter().map(|r| r[i].len()).chain([head[i].len()]).max().unwrap_or(0);
        let (wg, wt, wc, wh) = (w(0), w(1), w(6), w(7));
        let line = |r: &[&str]| {
            format!(
                "{:<wg$} {:<wt$} {:<10} {:<15} {:<15} {:<15} {:<wc$} {:<wh$} {}\n",
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
            )
        };
        s.push('\n');
        s.push_str(&line(&head));
        for r in &rows {
            let refs: Vec<&str> = r.iter().map(|x| x.as_str()).collect();
            s.push_str(&line(&refs));
        }
        s.push_str(&format!(
            "\n(coordinator broker-{}, state {}, generation {}, protocol {})\n",
            v.coordinator,
            v.state,
            v.generation,
            v.protocol.clone().unwrap_or_else(|| "-".into())
        ));
    }
    s
}
