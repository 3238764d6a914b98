//! The admin commands: create a topic, change a broker, topic or producer config, elect
//! leaders, reassign partitions. They stand for the Admin client's requests (CreateTopics,
//! IncrementalAlterConfigs, ElectLeaders, AlterPartitionReassignments) answered by the active
//! controller; each needs one (`require_controller`).
//! Where a new topic's replicas go is the controller's business (`src/controller/placement.rs`);
//! this file hands it the cluster's brokers and the seeded placement stream.

use super::Sim;
use crate::command::ElectionType;
use crate::config::{normalize_value, BrokerConfig, Scope, TopicConfig};
use crate::controller::election::Election;
use crate::controller::placement::{manual_assignment, ClusterBroker};
use crate::controller::quorum::QuorumTimeouts;
use crate::effects::{Category, Out};
use crate::errors::{CommandError, KafkaError};
use crate::ids::{BrokerId, NodeId, TopicPartition};
use serde_json::Value;
use std::collections::BTreeMap;

impl Sim {
    /// `create_topic`: validates the config and the assignment (or places the replicas), then
    /// the active controller creates the topic.
    pub(super) fn create_topic(
        &mut self,
        name: &str,
        partitions: Option<u32>,
        rf: Option<u16>,
        config: &BTreeMap<String, Value>,
        assignment: Option<&BTreeMap<String, Vec<i32>>>,
    ) -> Result<(), CommandError> {
        let mut tc = TopicConfig::default();
        for (k, v) in config {
            tc.set(k, v)?;
        }
        let assignment = match assignment {
            Some(raw) => manual_assignment(raw)?,
            None => {
                let n = partitions.unwrap_or(self.spec.broker_config.num_partitions as u32);
                let rf = rf.unwrap_or(self.spec.broker_config.default_replication_factor as u16);
                let cluster: Vec<ClusterBroker> =
                    self.brokers.values().map(|s| ClusterBroker { id: s.spec.id, rack: s.spec.rack.clone() }).collect();
                let rng = &mut self.placement_rng;
                let mut next_int = |bound: usize| rng.range_inclusive(0, bound as u64 - 1) as usize;
                let admin_utils = self.spec.broker_config.legacy_admin_utils_placement;
                self.controller.place_new_topic(&cluster, n, rf, admin_utils, &mut next_int)?
            }
        };
        self.require_controller("name")?;
        let mut out = Out::default();
        self.controller.create_topic(self.now_ms, name, assignment, tc, &mut out)?;
        self.apply_effects(NodeId::Controller, out);
        self.sync_controller();
        Ok(())
    }

    /// `create_partitions` (`kafka-topics.sh --alter --partitions`): the topic grows to `count`
    /// partitions; the new ones are placed by the replica placer over the cluster's brokers with
    /// the replication factor of the topic's first partition, as CreatePartitions does.
    pub(super) fn create_partitions(&mut self, topic: &str, count: u32) -> Result<(), CommandError> {
        if topic == crate::broker::group_coordinator::OFFSETS_TOPIC {
            return Err(CommandError::invalid_request(
                "topic",
                "the playground does not add partitions to __consumer_offsets (every group's coordinator would move)",
            ));
        }
        let Some(current) = self.controller.partition_count(topic) else {
            return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topic", format!("topic '{topic}' does not exist")));
        };
        let mut assignment = BTreeMap::new();
        if count > current {
            let existing: Vec<Vec<BrokerId>> =
                (0..current).map(|p| self.controller.partitions[&TopicPartition::new(topic, p)].replicas.clone()).collect();
            // ReplicationControlManager.createPartitions: the RF of the topic's first partition.
            let rf = existing[0].len() as u16;
            let cluster: Vec<ClusterBroker> =
                self.brokers.values().map(|s| ClusterBroker { id: s.spec.id, rack: s.spec.rack.clone() }).collect();
            let rng = &mut self.placement_rng;
            let mut next_int = |bound: usize| rng.range_inclusive(0, bound as u64 - 1) as usize;
            let admin_utils = self.spec.broker_config.legacy_admin_utils_placement;
            assignment = self.controller.place_new_partitions(&cluster, &existing, count - current, rf, admin_utils, &mut next_int)?;
        }
        self.require_controller("topic")?;
        let mut out = Out::default();
        self.controller.create_partitions(topic, count, assignment, &mut out)?;
        self.apply_effects(NodeId::Controller, out);
        self.sync_controller();
        Ok(())
    }

    /// `set_broker_config`: a broker config change on one broker or (without `broker`) on every
    /// broker and the controller. Takes effect on the running process at once (dynamic config)
    /// and survives restarts.
    pub(super) fn set_broker_config(&mut self, broker: Option<BrokerId>, key: String, value: Value) -> Result<(), CommandError> {
        let now = self.now_ms;
        if key.starts_with("sim.network.") {
            return Err(CommandError::invalid_config(&key, "network settings are changed with set_network"));
        }
        if key == "sim.controllers" {
            return Err(CommandError::invalid_config(&key, "the number of controller voters is fixed when the cluster is created"));
        }
        let targets: Vec<BrokerId> = match broker {
            Some(b) => {
                self.broker_slot(b, "broker")?;
                vec![b]
            }
            None => self.brokers.keys().copied().collect(),
        };
        // Validate once before changing anything.
        BrokerConfig::default().set(&key, &value)?;
        let clears_elr = key == "min.insync.replicas" && self.controller.elr_enabled;
        if clears_elr {
            // ConfigurationControlManager.isDisallowedBrokerMinIsrTransition.
            if broker.is_some() {
                return Err(CommandError::invalid_config(&key, "Broker-level min.insync.replicas cannot be altered while ELR is enabled."));
            }
            self.require_controller("key")?;
        }
        for b in &targets {
            let slot = self.brokers.get_mut(b).unwrap();
            slot.config.set(&key, &value)?;
            if let Some(p) = slot.process.as_mut() {
                p.config.set(&key, &value)?;
                p.refresh_log_configs();
                p.reschedule_timers(now);
            }
        }
        if broker.is_none() {
            self.set_cluster_broker_default(&key, &value, clears_elr)?;
        }
        for b in &targets {
            let inc = self.brokers[b].incarnation;
            self.schedule_wake(NodeId::Broker(*b), now, inc);
        }
        let v = normalize_value(if key.starts_with("sim.") { Scope::Simulation } else { Scope::Broker }, &key, &value)?;
        self.log_event(
            NodeId::Controller,
            Category::Config,
            format!(
                "{key}={v} on {}",
                match broker {
                    Some(b) => format!("broker {b}"),
                    None => "every broker".into(),
                }
            ),
        );
        Ok(())
    }

    /// The cluster-wide part of a broker config change without `broker`: the default new
    /// brokers start with, the controller's copy (a changed min.insync.replicas with ELR
    /// enabled clears every topic's ELR) and the controller voters' quorum timeouts.
    fn set_cluster_broker_default(&mut self, key: &str, value: &Value, clears_elr: bool) -> Result<(), CommandError> {
        self.spec.broker_config.set(key, value)?;
        self.controller.config.set(key, value)?;
        if clears_elr {
            // The cluster default changed: ClearElrRecord for every topic.
            let mut out = Out::default();
            self.controller.clear_elr(None, &mut out);
            self.controller.push_metadata(&mut out);
            self.apply_effects(NodeId::Controller, out);
            self.sync_controller();
        }
        if key.starts_with("controller.quorum.") {
            let t = QuorumTimeouts::from_config(&self.spec.broker_config);
            for slot in self.voters.values_mut() {
                if let Some(p) = slot.process.as_mut() {
                    p.timeouts = t;
                }
            }
        }
        Ok(())
    }

    /// `set_topic_config`: IncrementalAlterConfigs on a topic (a null value deletes the override).
    pub(super) fn set_topic_config(&mut self, topic: String, key: String, value: Value) -> Result<(), CommandError> {
        let mut tc =
            self.controller.topics.get(&topic).cloned().ok_or_else(|| {
                CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "topic", format!("topic '{topic}' does not exist"))
            })?;
        if value.is_null() {
            tc.delete(&key)?;
        } else {
            tc.set(&key, &value)?;
        }
        self.require_controller("topic")?;
        let mut out = Out::default();
        self.controller.alter_topic_config(&topic, tc, &mut out)?;
        self.apply_effects(NodeId::Controller, out);
        self.sync_controller();
        self.log_event(
            NodeId::Controller,
            Category::Config,
            format!("topic {topic}: {key}={}", if value.is_null() { "(default)".to_string() } else { value.to_string() }),
        );
        Ok(())
    }

    /// `set_producer_config`: a producer config change.
    pub(super) fn set_producer_config(&mut self, key: String, value: Value) -> Result<(), CommandError> {
        self.producer.config.set(&key, &value)?;
        self.producer.reconfigured();
        Ok(())
    }

    /// `alter_partition_reassignments`: `kafka-reassign-partitions.sh --execute` (or `--cancel`
    /// without replicas) for one partition; the controller's rules are in
    /// `src/controller/reassignment.rs`.
    pub(super) fn alter_partition_reassignments(
        &mut self,
        topic: String,
        partition: u32,
        replicas: Option<Vec<i32>>,
        throttle: Option<i64>,
    ) -> Result<(), CommandError> {
        let now = self.now_ms;
        let tp = TopicPartition::new(&topic, partition);
        self.require_controller("topic")?;
        if let Some(rate) = throttle {
            if rate < 0 {
                return Err(CommandError::invalid_config("throttle", format!("throttle must be at least 0 bytes/s, got {rate}")));
            }
            if replicas.is_none() {
                return Err(CommandError::invalid_request("throttle", "a cancel (replicas: null) takes no throttle"));
            }
        }
        let before = self.controller.partitions.get(&tp).map(|p| p.replicas.clone());
        let mut out = Out::default();
        let r = self.controller.alter_partition_reassignment(now, &tp, replicas.as_deref(), &mut out);
        self.apply_effects(NodeId::Controller, out);
        self.sync_controller();
        r?;
        if let (Some(rate), Some(current), Some(target)) = (throttle, before, replicas) {
            self.throttle_move(&topic, partition, &current, &target, rate)?;
        }
        Ok(())
    }

    /// `kafka-reassign-partitions.sh --throttle` (`ReassignPartitionsCommand.executeAssignment`):
    /// `leader.replication.throttled.rate` and `follower.replication.throttled.rate` on every
    /// broker of the move, the current replicas throttled on the leader side
    /// (`calculateLeaderThrottles`) and the added ones on the follower side
    /// (`calculateFollowerThrottles`). The tool writes each topic's lists for the partitions it
    /// moves in one run; here a move is one partition, so its entries join what the lists hold.
    /// `--verify` removes them once the move is done: here the user does (`set_topic_config` null).
    fn throttle_move(&mut self, topic: &str, partition: u32, current: &[i32], target: &[i32], rate: i64) -> Result<(), CommandError> {
        let mut brokers: Vec<BrokerId> = current.iter().chain(target).copied().collect();
        brokers.sort_unstable();
        brokers.dedup();
        for b in brokers {
            self.set_broker_config(Some(b), "leader.replication.throttled.rate".into(), Value::from(rate))?;
            self.set_broker_config(Some(b), "follower.replication.throttled.rate".into(), Value::from(rate))?;
        }
        let adding: Vec<i32> = target.iter().copied().filter(|b| !current.contains(b)).collect();
        for (key, replicas) in
            [("leader.replication.throttled.replicas", current.to_vec()), ("follower.replication.throttled.replicas", adding)]
        {
            if replicas.is_empty() {
                continue;
            }
            let existing = self.controller.topics.get(topic).and_then(|t| t.overrides.get(key)).cloned().unwrap_or_default();
            if existing == "*" {
                continue;
            }
            let mut entries: Vec<String> = existing.split(',').filter(|e| !e.is_empty()).map(str::to_string).collect();
            for b in replicas {
                let e = format!("{partition}:{b}");
                if !entries.contains(&e) {
                    entries.push(e);
                }
            }
            self.set_topic_config(topic.to_string(), key.to_string(), Value::from(entries.join(",")))?;
        }
        Ok(())
    }

    /// `add_broker`: a new broker process with a new `node.id` starts and registers; the
    /// controller gives it no replica (placement happens only when topics or partitions are
    /// created, and reassignment moves existing ones).
    pub(super) fn add_broker_command(&mut self, broker: Option<i32>, rack: Option<String>) -> Result<(), CommandError> {
        if self.brokers.len() as u64 >= super::MAX_BROKERS {
            return Err(CommandError::invalid_request("broker", format!("at most {} brokers", super::MAX_BROKERS)));
        }
        let id = broker.unwrap_or_else(|| self.brokers.keys().copied().max().unwrap_or(0) + 1);
        if !(0..1000).contains(&id) {
            return Err(CommandError::invalid_request(
                "broker",
                format!("broker id {id}: expected 0 to 999 (controller voters use 3000 and up)"),
            ));
        }
        if self.brokers.contains_key(&id) {
            return Err(CommandError::invalid_request("broker", format!("broker {id} already exists")));
        }
        let rack = rack.filter(|r| !r.is_empty());
        if let Some(r) = &rack {
            normalize_value(Scope::Consumer, "client.rack", &Value::from(r.as_str()))
                .map_err(|e| CommandError::invalid_config("rack", e.message))?;
        }
        // Every broker has a rack or none does (placement refuses a mix, as Kafka does).
        let racked = self.brokers.values().filter(|s| s.spec.rack.is_some()).count();
        if (racked > 0) != rack.is_some() && !self.brokers.is_empty() {
            return Err(CommandError::invalid_config("rack", "every broker has a broker.rack or none does"));
        }
        self.add_broker(super::BrokerSpec { id, rack: rack.clone() });
        self.log_event(
            NodeId::Broker(id),
            Category::Broker,
            format!(
                "broker {id} added{} (kafka-server-start.sh, node.id={id}): it registers with the controller and holds no replica until a reassignment moves some to it",
                rack.map(|r| format!(" in rack {r}")).unwrap_or_default()
            ),
        );
        Ok(())
    }

    /// `unregister_broker`: `kafka-cluster.sh unregister --id` (the controller's rules in
    /// `Controller::unregister_broker`).
    pub(super) fn unregister_broker(&mut self, broker: i32) -> Result<(), CommandError> {
        let now = self.now_ms;
        self.require_controller("broker")?;
        let mut out = Out::default();
        let r = self.controller.unregister_broker(now, broker, &mut out);
        self.apply_effects(NodeId::Controller, out);
        self.sync_controller();
        r
    }

    /// `delete_records`: `kafka-delete-records.sh` for one partition. The Admin client sends
    /// DeleteRecords to the partition's leader (from its metadata: the controller's view here);
    /// the leader's rules are in `src/broker/delete_records.rs`.
    pub(super) fn delete_records(&mut self, topic: String, partition: u32, offset: i64) -> Result<(), CommandError> {
        let now = self.now_ms;
        let tp = TopicPartition::new(&topic, partition);
        if offset < -1 {
            return Err(CommandError::new(
                KafkaError::OFFSET_OUT_OF_RANGE,
                "offset",
                format!("The offset {offset} for partition {tp} is not valid"),
            ));
        }
        let Some(st) = self.controller.partitions.get(&tp) else {
            return Err(CommandError::new(KafkaError::UNKNOWN_TOPIC_OR_PARTITION, "partition", format!("{tp} does not exist")));
        };
        let leader = st.leader;
        // A leader that is down, paused or fenced does not answer: the request would time out.
        let Some(p) =
            self.brokers.get_mut(&leader).filter(|s| s.status() == crate::sim::NodeStatus::Online).and_then(|s| s.process.as_mut())
        else {
            return Err(CommandError::new(KafkaError::LEADER_NOT_AVAILABLE, "partition", format!("{tp} has no running leader")));
        };
        let mut out = Out::default();
        let r = p.delete_records(now, &tp, offset, &mut out);
        self.apply_effects(NodeId::Broker(leader), out);
        let start = r?;
        self.log_event(
            NodeId::Broker(leader),
            Category::Storage,
            format!("DeleteRecords {tp}: low watermark (log start offset) {start}; followers take it from their next fetch"),
        );
        Ok(())
    }

    /// `elect_leaders`: `kafka-leader-election.sh` for one partition (preferred or unclean).
    pub(super) fn elect_leaders(&mut self, topic: String, partition: u32, election_type: ElectionType) -> Result<(), CommandError> {
        let now = self.now_ms;
        let tp = TopicPartition::new(&topic, partition);
        let mut out = Out::default();
        let election = match election_type {
            ElectionType::Preferred => Election::Preferred,
            ElectionType::Unclean => Election::Unclean,
        };
        self.require_controller("partition")?;
        let r = self.controller.elect_leader(now, &tp, election, &mut out);
        self.apply_effects(NodeId::Controller, out);
        self.sync_controller();
        r?;
        Ok(())
    }
}
