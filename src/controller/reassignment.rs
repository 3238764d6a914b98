//! Partition reassignment (KIP-455) in the controller: `kafka-reassign-partitions.sh --execute`,
//! `--cancel` and `--list` (`Admin.alterPartitionReassignments` / `listPartitionReassignments`).
//!
//! Rules followed (Kafka 4.x, `ReplicationControlManager.alterPartitionReassignment`,
//! `changePartitionReassignment`, `cancelPartitionReassignment`, `PartitionReassignmentReplicas`,
//! `PartitionReassignmentRevert`, `PartitionChangeBuilder`):
//! 1. **Start**: one partition change with `replicas` = the target list followed by the current
//!    replicas it drops (ascending), `addingReplicas` = target − current and `removingReplicas` =
//!    current − target (both ascending). The leader and the ISR stay. The brokers being added see
//!    themselves in the replica list and start fetching from the leader's log start
//!    (`broker/metadata.rs`).
//! 2. **Catch up**: the leader adds a new replica to the ISR with AlterPartition under the usual
//!    rule (`Partition.maybeExpandIsr`: its log end has reached the high watermark).
//! 3. **Complete**: the change that leaves every remaining replica in the ISR also completes the
//!    reassignment, in the same record (`election.rs`, `maybe_complete_reassignment`): the removing
//!    replicas leave the replica list and the ISR, a leader being removed hands leadership to the
//!    first target replica in the ISR, and the leader epoch is bumped. The removed brokers see they
//!    are no longer replicas and delete their copy. KRaft has no separate "move the leader first"
//!    step as the ZooKeeper controller had: leadership moves in the completing record.
//! 4. **Cancel** (`replicas: null`): the adding replicas leave the replica list and the ISR; the
//!    order is the current list without them (so `[2,3,4,1]` adding 4 reverts to `[2,3,1]`, not
//!    `[1,2,3]`: Kafka does not remember the original order). A revert that would leave the ISR
//!    empty needs an unclean election and is refused unless the topic allows one.
//!
//! Raising or lowering the replication factor is a reassignment to a longer or shorter list.

use super::election::{Election, TargetAssignment};
use super::{join, Controller};
use crate::controller::election::ChangeResult;
use crate::effects::{Category, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::{BrokerId, TopicPartition, NO_LEADER};
use crate::protocol::PartitionState;
use serde::Serialize;

/// One ongoing reassignment as `listPartitionReassignments` answers it (`OngoingPartitionReassignment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OngoingReassignment {
    pub topic: String,
    pub partition: u32,
    pub replicas: Vec<BrokerId>,
    pub adding_replicas: Vec<BrokerId>,
    pub removing_replicas: Vec<BrokerId>,
    /// Not in Kafka's answer, read from the same registration: the ISR and the leader, so a view
    /// can say which adding replicas have joined.
    pub isr: Vec<BrokerId>,
    pub leader: BrokerId,
}

fn sorted_difference(a: &[BrokerId], b: &[BrokerId]) -> Vec<BrokerId> {
    let mut d: Vec<BrokerId> = a.iter().copied().filter(|r| !b.contains(r)).collect();
    d.sort_unstable();
    d.dedup();
    d
}

impl Controller {
    /// `alterPartitionReassignments` for one partition: `Some(target)` starts (or changes) a
    /// reassignment to `target`, `None` cancels the one in progress.
    pub fn alter_partition_reassignment(
        &mut self,
        now_ms: i64,
        tp: &TopicPartition,
        target: Option<&[BrokerId]>,
        out: &mut Out,
    ) -> Result<(), CommandError> {
        if !self.topics.contains_key(&*tp.topic) {
            return Err(CommandError::new(
                KafkaError::UNKNOWN_TOPIC_OR_PARTITION,
                "topic",
                format!("Unable to find a topic named {}.", tp.topic),
            ));
        }
        let Some(cur) = self.partitions.get(tp).cloned() else {
            return Err(CommandError::new(
                KafkaError::UNKNOWN_TOPIC_OR_PARTITION,
                "partition",
                format!("Unable to find partition {}:{}.", tp.topic, tp.partition),
            ));
        };
        let r = match target {
            Some(target) => self.change_reassignment(now_ms, tp, &cur, target, out),
            None => self.cancel_reassignment(now_ms, tp, &cur, out),
        };
        self.push_metadata(out);
        r
    }

    /// `validateManualPartitionAssignment`: not empty, every broker registered, none twice.
    fn validate_manual_assignment(&self, target: &[BrokerId]) -> Result<(), CommandError> {
        let bad = |m: String| CommandError::new(KafkaError::INVALID_REPLICA_ASSIGNMENT, "replicas", m);
        if target.is_empty() {
            return Err(bad("The manual partition assignment includes an empty replica list.".into()));
        }
        let mut sorted = target.to_vec();
        sorted.sort_unstable();
        for (i, b) in sorted.iter().enumerate() {
            if !self.brokers.contains_key(b) {
                return Err(bad(format!("The manual partition assignment includes broker {b}, but no such broker is registered.")));
            }
            if i > 0 && sorted[i - 1] == *b {
                return Err(bad(format!("The manual partition assignment includes the broker {b} more than once.")));
            }
        }
        Ok(())
    }

    /// `changePartitionReassignment`.
    fn change_reassignment(
        &mut self,
        now_ms: i64,
        tp: &TopicPartition,
        cur: &PartitionState,
        target: &[BrokerId],
        out: &mut Out,
    ) -> Result<(), CommandError> {
        self.validate_manual_assignment(target)?;
        let removing = sorted_difference(&cur.replicas, target);
        let adding = sorted_difference(target, &cur.replicas);
        let mut replicas = target.to_vec();
        replicas.extend(&removing);
        // The builder keeps the partition's own adding/removing lists where the new ones are empty.
        let assignment = TargetAssignment {
            replicas,
            adding: if adding.is_empty() { cur.adding_replicas.clone() } else { adding },
            removing: if removing.is_empty() { cur.removing_replicas.clone() } else { removing },
        };
        let changed = self.change_partition_to(
            now_ms,
            tp,
            cur.isr.clone(),
            Some(assignment),
            Election::Online,
            &[],
            &format!("reassignment to [{}] requested", join(target)),
            out,
        );
        if changed.is_none() {
            out.log(Category::Reassign, format!("reassignment of {tp} to [{}]: nothing to change", join(target)));
        }
        Ok(())
    }

    /// `cancelPartitionReassignment` with `PartitionReassignmentRevert`.
    fn cancel_reassignment(&mut self, now_ms: i64, tp: &TopicPartition, cur: &PartitionState, out: &mut Out) -> Result<(), CommandError> {
        if !cur.is_reassigning() {
            return Err(CommandError::new(
                KafkaError::NO_REASSIGNMENT_IN_PROGRESS,
                "replicas",
                format!("No partition reassignment is in progress for {tp}."),
            ));
        }
        let replicas: Vec<BrokerId> = cur.replicas.iter().copied().filter(|r| !cur.adding_replicas.contains(r)).collect();
        let mut isr: Vec<BrokerId> = cur.isr.iter().copied().filter(|r| !cur.adding_replicas.contains(r)).collect();
        let unclean_allowed = self.topic_config(&tp.topic).unclean_leader_election_enable(&self.config);
        if isr.is_empty() {
            let Some(&first) = replicas.first() else {
                return Err(CommandError::new(
                    KafkaError::INVALID_REPLICA_ASSIGNMENT,
                    "replicas",
                    "Invalid replica assignment: addingReplicas contains all replicas.",
                ));
            };
            if !unclean_allowed {
                return Err(CommandError::new(
                    KafkaError::INVALID_REPLICA_ASSIGNMENT,
                    "replicas",
                    format!(
                        "Unable to revert partition assignment for {}:{} because it would require an unclean leader election.",
                        tp.topic, tp.partition
                    ),
                ));
            }
            isr.push(first);
        }
        let election = if unclean_allowed { Election::Unclean } else { Election::Online };
        let assignment = TargetAssignment { replicas, adding: vec![], removing: vec![] };
        self.change_partition_to(now_ms, tp, isr, Some(assignment), election, &[], "reassignment cancelled", out);
        Ok(())
    }

    /// `listPartitionReassignments`: every partition with a reassignment in progress, in order.
    pub fn list_partition_reassignments(&self) -> Vec<OngoingReassignment> {
        self.partitions
            .values()
            .filter(|p| p.is_reassigning())
            .map(|p| OngoingReassignment {
                topic: p.tp.topic.to_string(),
                partition: p.tp.partition,
                replicas: p.replicas.clone(),
                adding_replicas: p.adding_replicas.clone(),
                removing_replicas: p.removing_replicas.clone(),
                isr: p.isr.clone(),
                leader: p.leader,
            })
            .collect()
    }
}

/// The event-log line for a change of a partition's assignment: a reassignment starting,
/// changing, completing or cancelled. Nothing for a change that leaves the assignment alone.
pub(super) fn note_assignment_change(tp: &TopicPartition, cur: &PartitionState, result: &ChangeResult, reason: &str, out: &mut Out) {
    let st = &result.state;
    let lists = |p: &PartitionState| {
        let mut s = format!("Replicas: {}", join(&p.replicas));
        if !p.adding_replicas.is_empty() {
            s.push_str(&format!(" Adding Replicas: {}", join(&p.adding_replicas)));
        }
        if !p.removing_replicas.is_empty() {
            s.push_str(&format!(" Removing Replicas: {}", join(&p.removing_replicas)));
        }
        s
    };
    let leader = |b: BrokerId| if b == NO_LEADER { "none".to_string() } else { b.to_string() };
    if result.reassignment_completed {
        let removed: Vec<BrokerId> = cur.replicas.iter().copied().filter(|r| !st.replicas.contains(r)).collect();
        let moved = if st.leader != cur.leader {
            format!("; leadership moves {} → {} in epoch {}", leader(cur.leader), leader(st.leader), st.leader_epoch)
        } else {
            format!("; leader {} stays, epoch {}", leader(st.leader), st.leader_epoch)
        };
        out.log(
            Category::Reassign,
            format!(
                "completes reassignment of {tp}: every target replica is in the ISR, so {} leave{}: Replicas: {} Isr: {}{moved} ({reason})",
                if removed.is_empty() { "no replica".to_string() } else { format!("[{}]", join(&removed)) },
                if removed.len() == 1 { "s" } else { "" },
                join(&st.replicas),
                join(&st.isr),
            ),
        );
    } else if st.is_reassigning() && !cur.is_reassigning() {
        out.log(
            Category::Reassign,
            format!(
                "starts reassignment of {tp}: {} → {} (leader {}; the adding replicas fetch from it and join the ISR when caught up)",
                lists(cur),
                lists(st),
                leader(st.leader)
            ),
        );
    } else if st.is_reassigning() && (st.replicas != cur.replicas || st.adding_replicas != cur.adding_replicas) {
        out.log(Category::Reassign, format!("changes reassignment of {tp}: {} → {} ({reason})", lists(cur), lists(st)));
    } else if cur.is_reassigning() && !st.is_reassigning() {
        out.log(
            Category::Reassign,
            format!("cancels reassignment of {tp}: {} → {} Isr: {} ({reason})", lists(cur), lists(st), join(&st.isr)),
        );
    } else if st.replicas != cur.replicas {
        out.log(Category::Reassign, format!("reorders the replicas of {tp}: {} → {} ({reason})", lists(cur), lists(st)));
    }
}
