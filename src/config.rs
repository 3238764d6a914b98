//! Broker, topic and simulation configuration, with Kafka's keys, defaults and
//! ranges. One table ([`CONFIG_DEFS`]) documents every key the engine knows; the
//! page uses it for tooltips and the docs for the config reference.
//!
//! Keys are exactly as Kafka spells them. Settings that exist only in the
//! simulation start with `sim.`.

use crate::errors::CommandError;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where a key may be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// `server.properties` of a broker (or the controller).
    Broker,
    /// A topic-level override (`kafka-configs.sh --entity-type topics`).
    Topic,
    /// A knob of the simulated world, not of Kafka.
    Simulation,
    /// A producer client config.
    Producer,
    /// A consumer client config.
    Consumer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Long {
        min: i64,
        max: i64,
    },
    Bool,
    Choice(&'static [&'static str]),
    /// A probability in [0, 1].
    Ratio,
    /// A short name (a rack id): up to 64 characters of `[a-zA-Z0-9._-]`; empty means unset.
    Text,
    /// `*`, empty, or `partitionId:brokerId,...` (`ThrottledReplicaListValidator`).
    ReplicaList,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigDef {
    pub key: &'static str,
    pub scope: Scope,
    pub kind: Kind,
    pub default: &'static str,
    /// The broker-level key a topic-level key falls back to (Kafka's synonym).
    pub broker_synonym: Option<&'static str>,
    /// What the key does, in words. Not in the browser's module (~19 KB): the page reads it from
    /// `www/config-docs.json`, which [`docs_json`] writes (`kafka-sim config-docs`) and a test keeps equal.
    #[cfg(not(target_arch = "wasm32"))]
    pub doc: &'static str,
}

const LMAX: i64 = i64::MAX;

macro_rules! def {
    ($key:expr, $scope:ident, $kind:expr, $default:expr, $syn:expr, $doc:expr) => {
        ConfigDef {
            key: $key,
            scope: Scope::$scope,
            kind: $kind,
            default: $default,
            broker_synonym: $syn,
            #[cfg(not(target_arch = "wasm32"))]
            doc: $doc,
        }
    };
}

/// Every configuration key the engine understands.
pub const CONFIG_DEFS: &[ConfigDef] = &[
    // --- replication (broker) ---
    def!("replica.lag.time.max.ms", Broker, Kind::Long { min: 1, max: LMAX }, "30000", None,
        "A follower that has not caught up to the leader's log end offset for this long is removed from the ISR."),
    def!("replica.lag.max.messages", Broker, Kind::Long { min: 0, max: LMAX }, "0", None,
        "LEGACY (Kafka 0.8; removed in 0.9.0 by KAFKA-1546). N > 0 adds the pre-0.9 rule: a follower more than N messages behind the leader's log end offset also leaves the ISR, even while it fetches (0.8's default was 4000). A producer burst larger than N could evict a perfectly healthy follower, so 0.9 kept only replica.lag.time.max.ms. 0 (the default): off, as in Kafka 4.x."),
    def!("replica.fetch.wait.max.ms", Broker, Kind::Long { min: 0, max: LMAX }, "500", None,
        "How long the leader holds a follower's fetch when there is no new data (long poll). Followers learn a new high watermark on the next fetch response."),
    def!("replica.fetch.backoff.ms", Broker, Kind::Long { min: 0, max: LMAX }, "1000", None,
        "How long a follower waits before fetching again after a fetch error."),
    def!("replica.socket.timeout.ms", Broker, Kind::Long { min: 1, max: LMAX }, "30000", None,
        "How long a follower waits for a fetch response before giving up on it."),
    def!("replica.high.watermark.checkpoint.interval.ms", Broker, Kind::Long { min: 1, max: LMAX }, "5000", None,
        "How often each broker writes the high watermarks to replication-offset-checkpoint. A restarted broker starts from this older value."),
    def!("broker.heartbeat.interval.ms", Broker, Kind::Long { min: 1, max: LMAX }, "2000", None,
        "How often a broker heartbeats to the controller."),
    def!("broker.session.timeout.ms", Broker, Kind::Long { min: 1, max: LMAX }, "9000", None,
        "A broker that has not heartbeated for this long is fenced by the controller: removed from ISRs, its leaderships moved."),
    def!("controller.quorum.fetch.timeout.ms", Broker, Kind::Long { min: 1, max: LMAX }, "2000", None,
        "A controller voter that has not fetched from the quorum leader (the active controller) for this long starts an election, with a pre-vote first (KIP-996); a leader that no majority has fetched from for 1.5 × this long resigns. Most of a controller failover is this wait."),
    def!("controller.quorum.election.timeout.ms", Broker, Kind::Long { min: 1, max: LMAX }, "1000", None,
        "How long a controller voter's pre-vote or vote waits for a majority. Each time a voter draws it uniformly from [T, 2T) (QuorumState.randomElectionTimeoutMs; here from the seeded PRNG), so two voters seldom try at once; a voter that lost waits out the rest before trying again (Kafka 4.1+)."),
    def!("controller.quorum.election.backoff.max.ms", Broker, Kind::Long { min: 0, max: LMAX }, "1000", None,
        "When a resigning leader sends EndQuorumEpoch, its preferred successors start their election after a strict exponential backoff up to this: the first at once, the next later. (Since Kafka 4.1 it no longer spaces out elections after a lost vote.)"),
    def!("controlled.shutdown.enable", Broker, Kind::Bool, "true", None,
        "On a clean shutdown, ask the controller to move leaderships away first."),
    def!("auto.leader.rebalance.enable", Broker, Kind::Bool, "true", None,
        "The controller periodically moves leadership back to the preferred replica when it is in the ISR."),
    def!("leader.imbalance.check.interval.seconds", Broker, Kind::Long { min: 1, max: LMAX }, "300", None,
        "How often the controller checks for partitions not led by their preferred replica."),
    def!("log.flush.interval.messages", Broker, Kind::Long { min: 1, max: LMAX }, "9223372036854775807", None,
        "fsync a partition log after this many appended messages. Kafka's default never forces a flush: durability comes from replication."),
    def!("log.flush.interval.ms", Broker, Kind::Long { min: 0, max: LMAX }, "9223372036854775807", None,
        "fsync a partition log when its oldest unflushed message is this old (Kafka: unset, falls back to log.flush.scheduler.interval.ms = Long.MAX)."),
    def!("log.flush.scheduler.interval.ms", Broker, Kind::Long { min: 1, max: LMAX }, "9223372036854775807", None,
        "How often the log flusher checks whether a log's flush.ms has passed (LogManager's kafka-log-flusher task, first run 30 s after start). Kafka's default never runs it again, so flush.ms alone forces no fsync; set this too."),
    def!("min.insync.replicas", Broker, Kind::Long { min: 1, max: LMAX }, "1", None,
        "With acks=all, the minimum ISR size for a write to be accepted (NOT_ENOUGH_REPLICAS) and acknowledged (NOT_ENOUGH_REPLICAS_AFTER_APPEND)."),
    def!("unclean.leader.election.enable", Broker, Kind::Bool, "false", None,
        "Allow electing a replica outside the ISR when no ISR member is alive. Availability over consistency: acknowledged writes may be lost."),
    def!("unclean.leader.election.interval.ms", Broker, Kind::Long { min: 1, max: LMAX }, "300000", None,
        "How often the controller's periodic task elects unclean leaders for leaderless partitions whose topic allows it (an internal Kafka config, QuorumController electUnclean). Turning unclean.leader.election.enable on does not elect at once: the next run does, or kafka-leader-election.sh --election-type unclean. Elections caused by a fenced or unfenced broker stay immediate."),
    def!("default.replication.factor", Broker, Kind::Long { min: 1, max: 12 }, "1", None,
        "Replication factor of topics created without one."),
    def!("num.partitions", Broker, Kind::Long { min: 1, max: 1000 }, "1", None,
        "Partition count of topics created without one."),
    // --- log storage (broker defaults) ---
    def!("log.segment.bytes", Broker, Kind::Long { min: 14, max: i32::MAX as i64 }, "1073741824", None,
        "A segment rolls when the next batch would make it larger than this. (Kafka 4.0 requires at least 1 MiB (KIP-1030); the playground allows small segments so rolling can be watched.)"),
    def!("log.roll.ms", Broker, Kind::Long { min: 1, max: LMAX }, "604800000", None,
        "A segment rolls once its first record is this old (log.roll.hours = 168)."),
    def!("log.roll.jitter.ms", Broker, Kind::Long { min: 0, max: LMAX }, "0", None,
        "Up to this much is subtracted from log.roll.ms per segment, so that segments do not all roll at once."),
    def!("log.index.size.max.bytes", Broker, Kind::Long { min: 4, max: i32::MAX as i64 }, "10485760", None,
        "A segment rolls when its offset index (8 bytes an entry) is full."),
    def!("log.index.interval.bytes", Broker, Kind::Long { min: 0, max: i32::MAX as i64 }, "4096", None,
        "An offset-index entry is added every this many bytes of records."),
    def!("log.retention.ms", Broker, Kind::Long { min: -1, max: LMAX }, "604800000", None,
        "Delete segments whose newest record is older than this (-1: keep forever). log.retention.hours = 168."),
    def!("log.retention.bytes", Broker, Kind::Long { min: -1, max: LMAX }, "-1", None,
        "Delete oldest segments while a partition is larger than this (-1: no limit)."),
    def!("log.cleanup.policy", Broker, Kind::Choice(&["delete", "compact", "compact,delete", "delete,compact"]), "delete", None,
        "delete: retention removes old segments. compact: the log cleaner keeps the last value per key."),
    def!("log.retention.check.interval.ms", Broker, Kind::Long { min: 1, max: LMAX }, "300000", None,
        "How often each broker checks its logs for segments to delete."),
    def!("log.cleaner.backoff.ms", Broker, Kind::Long { min: 1, max: LMAX }, "15000", None,
        "How long the log cleaner waits between passes when no log needs cleaning."),
    def!("log.cleaner.min.cleanable.ratio", Broker, Kind::Ratio, "0.5", None,
        "A compacted log is cleaned once dirty bytes / (clean + dirty bytes) reaches this."),
    def!("log.cleaner.delete.retention.ms", Broker, Kind::Long { min: 0, max: LMAX }, "86400000", None,
        "How long a tombstone survives after its segment was first cleaned."),
    def!("log.cleaner.min.compaction.lag.ms", Broker, Kind::Long { min: 0, max: LMAX }, "0", None,
        "Records younger than this are never compacted."),
    def!("log.cleaner.max.compaction.lag.ms", Broker, Kind::Long { min: 1, max: LMAX }, "9223372036854775807", None,
        "A dirty record older than this makes its log eligible for cleaning whatever the dirty ratio."),
    def!("leader.replication.throttled.rate", Broker, Kind::Long { min: 0, max: LMAX }, "9223372036854775807", None,
        "Replication throttle on the leader side (KIP-73), bytes/s: while the bytes served for throttled replicas (the topic's leader.replication.throttled.replicas) run above it, over Kafka's 11 one-second windows (at least 10 s), a replica that is not in the ISR gets no records. In-sync replicas are never held back, but their bytes count: set it above the partition's write rate, or a replica that is behind may never catch up. kafka-reassign-partitions.sh --throttle sets it on the brokers of a move."),
    def!("follower.replication.throttled.rate", Broker, Kind::Long { min: 0, max: LMAX }, "9223372036854775807", None,
        "Replication throttle on the follower side (KIP-73), bytes/s: while the bytes this broker fetched for throttled replicas (the topic's follower.replication.throttled.replicas) run above it, a partition it is behind on is left out of its fetches; it retries after replica.fetch.backoff.ms."),
    // --- topic-level overrides ---
    def!("leader.replication.throttled.replicas", Topic, Kind::ReplicaList, "", None,
        "Replicas whose leader-side traffic is throttled by leader.replication.throttled.rate: partitionId:brokerId pairs naming the leader (e.g. 0:1,1:2), or * for every partition. kafka-reassign-partitions.sh --throttle lists the current replicas of the partitions it moves."),
    def!("follower.replication.throttled.replicas", Topic, Kind::ReplicaList, "", None,
        "Replicas whose follower-side traffic is throttled by follower.replication.throttled.rate: partitionId:brokerId pairs naming the follower (e.g. 0:4), or * for every partition. kafka-reassign-partitions.sh --throttle lists the replicas a move adds."),
    def!("min.cleanable.dirty.ratio", Topic, Kind::Ratio, "0.5", Some("log.cleaner.min.cleanable.ratio"),
        "Topic override of log.cleaner.min.cleanable.ratio."),
    def!("delete.retention.ms", Topic, Kind::Long { min: 0, max: LMAX }, "86400000", Some("log.cleaner.delete.retention.ms"),
        "Topic override of log.cleaner.delete.retention.ms."),
    def!("min.compaction.lag.ms", Topic, Kind::Long { min: 0, max: LMAX }, "0", Some("log.cleaner.min.compaction.lag.ms"),
        "Topic override of log.cleaner.min.compaction.lag.ms."),
    def!("max.compaction.lag.ms", Topic, Kind::Long { min: 1, max: LMAX }, "9223372036854775807", Some("log.cleaner.max.compaction.lag.ms"),
        "Topic override of log.cleaner.max.compaction.lag.ms."),
    def!("segment.bytes", Topic, Kind::Long { min: 14, max: i32::MAX as i64 }, "1073741824", Some("log.segment.bytes"),
        "Topic override of log.segment.bytes."),
    def!("segment.ms", Topic, Kind::Long { min: 1, max: LMAX }, "604800000", Some("log.roll.ms"),
        "Topic override of log.roll.ms."),
    def!("segment.jitter.ms", Topic, Kind::Long { min: 0, max: LMAX }, "0", Some("log.roll.jitter.ms"),
        "Topic override of log.roll.jitter.ms."),
    def!("segment.index.bytes", Topic, Kind::Long { min: 4, max: i32::MAX as i64 }, "10485760", Some("log.index.size.max.bytes"),
        "Topic override of log.index.size.max.bytes."),
    def!("index.interval.bytes", Topic, Kind::Long { min: 0, max: i32::MAX as i64 }, "4096", Some("log.index.interval.bytes"),
        "Topic override of log.index.interval.bytes."),
    def!("retention.ms", Topic, Kind::Long { min: -1, max: LMAX }, "604800000", Some("log.retention.ms"),
        "Topic override of log.retention.ms."),
    def!("retention.bytes", Topic, Kind::Long { min: -1, max: LMAX }, "-1", Some("log.retention.bytes"),
        "Topic override of log.retention.bytes."),
    def!("cleanup.policy", Topic, Kind::Choice(&["delete", "compact", "compact,delete", "delete,compact"]), "delete", Some("log.cleanup.policy"),
        "Topic override of log.cleanup.policy."),
    def!("min.insync.replicas", Topic, Kind::Long { min: 1, max: LMAX }, "1", Some("min.insync.replicas"),
        "Topic override of min.insync.replicas."),
    def!("unclean.leader.election.enable", Topic, Kind::Bool, "false", Some("unclean.leader.election.enable"),
        "Topic override of unclean.leader.election.enable."),
    def!("flush.messages", Topic, Kind::Long { min: 1, max: LMAX }, "9223372036854775807", Some("log.flush.interval.messages"),
        "Topic override of log.flush.interval.messages."),
    def!("flush.ms", Topic, Kind::Long { min: 0, max: LMAX }, "9223372036854775807", Some("log.flush.interval.ms"),
        "Topic override of log.flush.interval.ms."),
    // --- producer ---
    def!("acks", Producer, Kind::Choice(&["0", "1", "all", "-1"]), "all", None,
        "0: fire and forget. 1: the leader wrote it. all (-1): every ISR member has it (the high watermark passed it)."),
    def!("retries", Producer, Kind::Long { min: 0, max: i32::MAX as i64 }, "2147483647", None,
        "How many times a failed send is retried (bounded by delivery.timeout.ms)."),
    def!("retry.backoff.ms", Producer, Kind::Long { min: 0, max: LMAX }, "100", None,
        "Wait before the first retry of a failed send (and between metadata refreshes); each further retry waits twice as long, up to retry.backoff.max.ms, ±20 % jitter (KIP-580). A retry whose partition got a new leader goes at once."),
    def!("retry.backoff.max.ms", Producer, Kind::Long { min: 0, max: LMAX }, "1000", None,
        "Most a retry waits: the backoff doubles from retry.backoff.ms up to this (KIP-580). Not above retry.backoff.ms: every retry waits retry.backoff.ms."),
    def!("request.timeout.ms", Producer, Kind::Long { min: 1, max: i32::MAX as i64 }, "30000", None,
        "How long the producer waits for a response; also the broker's timeout for an acks=all write."),
    def!("delivery.timeout.ms", Producer, Kind::Long { min: 1, max: i32::MAX as i64 }, "120000", None,
        "Upper bound on the time to report success or failure of a send, retries included."),
    def!("metadata.max.age.ms", Producer, Kind::Long { min: 0, max: LMAX }, "300000", None,
        "Refresh metadata at least this often even without errors."),
    // --- simulation ---
    def!("batch.size", Producer, Kind::Long { min: 0, max: i32::MAX as i64 }, "16384", None,
        "The producer collects records for one partition into a batch of up to this many bytes; a full batch is sent at once. The sticky partitioner switches partition after this many bytes."),
    def!("linger.ms", Producer, Kind::Long { min: 0, max: LMAX }, "5", None,
        "How long a batch waits for more records before it is sent (Kafka 4.0 raised the default from 0 to 5, KIP-1030)."),
    def!("max.in.flight.requests.per.connection", Producer, Kind::Long { min: 1, max: i32::MAX as i64 }, "5", None,
        "Most unanswered Produce requests per broker. 1 keeps order without idempotence; with more and retries, a retried batch can land after a later one."),
    def!("enable.idempotence", Producer, Kind::Bool, "true", None,
        "Producer id + per-partition sequence numbers: the leader rejects duplicates and gaps, so retries neither duplicate nor reorder. Requires acks=all, retries > 0 and max.in.flight.requests.per.connection ≤ 5; when not set explicitly it is silently off if those conflict."),
    def!("partitioner.adaptive.partitioning.enable", Producer, Kind::Bool, "true", None,
        "The sticky partitioner prefers partitions whose brokers have shorter queues (KIP-794)."),
    def!("partitioner.ignore.keys", Producer, Kind::Bool, "false", None,
        "Partition keyed records with the sticky partitioner too, ignoring the key."),
    // --- consumer groups (broker) ---
    def!("offsets.topic.num.partitions", Broker, Kind::Long { min: 1, max: 1000 }, "50", None,
        "Partitions of __consumer_offsets, created when the first consumer group needs it. A group's coordinator is the leader of partition abs(hash(group.id)) % this."),
    def!("offsets.topic.replication.factor", Broker, Kind::Long { min: 1, max: 12 }, "3", None,
        "Replication factor of __consumer_offsets. It cannot be created while the cluster has fewer brokers."),
    def!("offsets.commit.timeout.ms", Broker, Kind::Long { min: 1, max: LMAX }, "5000", None,
        "An offset commit waits this long for its record to be replicated to the ISR of the __consumer_offsets partition."),
    def!("group.initial.rebalance.delay.ms", Broker, Kind::Long { min: 0, max: LMAX }, "3000", None,
        "The first rebalance of an empty group waits this long (extended by each new member) so that members starting together join one rebalance."),
    def!("group.min.session.timeout.ms", Broker, Kind::Long { min: 1, max: LMAX }, "6000", None,
        "Smallest session.timeout.ms a consumer may ask for (INVALID_SESSION_TIMEOUT otherwise)."),
    def!("group.max.session.timeout.ms", Broker, Kind::Long { min: 1, max: LMAX }, "1800000", None,
        "Largest session.timeout.ms a consumer may ask for."),
    def!("replica.selector.class", Broker, Kind::Choice(&["null", "org.apache.kafka.common.replica.RackAwareReplicaSelector"]), "null", None,
        "With RackAwareReplicaSelector, the leader tells a consumer with client.rack to fetch from a replica in its rack (KIP-392). Followers serve committed records up to their own high watermark."),
    // --- consumer ---
    def!("session.timeout.ms", Consumer, Kind::Long { min: 1, max: LMAX }, "45000", None,
        "A consumer that sends no heartbeat for this long is removed from its group, and its partitions move (Kafka 3.0+ default 45 s)."),
    def!("heartbeat.interval.ms", Consumer, Kind::Long { min: 1, max: LMAX }, "3000", None,
        "How often the consumer's heartbeat thread heartbeats to the group coordinator."),
    def!("max.poll.interval.ms", Consumer, Kind::Long { min: 1, max: LMAX }, "300000", None,
        "If the application does not poll for this long, the consumer leaves the group (its partitions move); it also bounds how long a rebalance waits."),
    def!("enable.auto.commit", Consumer, Kind::Bool, "true", None,
        "Commit the consumed positions every auto.commit.interval.ms (and before giving up partitions in a rebalance)."),
    def!("auto.commit.interval.ms", Consumer, Kind::Long { min: 0, max: LMAX }, "5000", None,
        "How often positions are committed with enable.auto.commit."),
    def!("auto.offset.reset", Consumer, Kind::Choice(&["latest", "earliest", "none"]), "latest", None,
        "Where to start without a committed offset, or when the position is out of range: latest (the high watermark), earliest (the log start), none (an error)."),
    def!("partition.assignment.strategy", Consumer, Kind::Choice(&["range,cooperative-sticky", "range", "roundrobin", "cooperative-sticky"]), "range,cooperative-sticky", None,
        "Assignors in preference order. The default lists range first, so groups use range with eager rebalancing; cooperative-sticky alone rebalances incrementally."),
    def!("client.rack", Consumer, Kind::Text, "", None,
        "The consumer's rack. With replica.selector.class=RackAwareReplicaSelector on the brokers it fetches from a replica in this rack (KIP-392)."),
    def!("fetch.max.wait.ms", Consumer, Kind::Long { min: 0, max: LMAX }, "500", None,
        "How long the broker holds a consumer's fetch when no new committed records are there."),
    def!("metadata.max.age.ms", Consumer, Kind::Long { min: 0, max: LMAX }, "300000", None,
        "The consumer refreshes its metadata at least this often. A topic that gained partitions is noticed then: the group's leader sees the partition count differ from the one it assigned with and rejoins, so the group is assigned again."),
    def!("max.poll.records", Consumer, Kind::Long { min: 1, max: 100000 }, "500", None,
        "Most records one fetch returns to the consumer."),
    def!("sim.truncation.mode", Simulation, Kind::Choice(&["leader-epoch", "high-watermark"]), "leader-epoch", None,
        "leader-epoch: followers truncate by the leader epoch (KIP-101, Kafka 0.11+; the diverging-epoch fetch of Kafka 2.7+). high-watermark: LEGACY pre-KIP-101 rule, truncate to the local checkpointed high watermark on restart and on becoming a follower, which can lose committed records."),
    def!("sim.replica.placement", Simulation, Kind::Choice(&["striped", "admin-utils"]), "striped", None,
        "How a new topic's replicas are placed. striped: KRaft's StripedReplicaPlacer (Kafka 3.0+): leaders never on a fenced broker, replicas striped across racks, a random start per rack, reshuffled after one round. admin-utils: LEGACY ZooKeeper-era AdminUtils.assignReplicasToBrokers, the rule most pre-KRaft articles describe: first replicas round robin from a random live broker, followers at a fixed shift, over the live brokers only (a fenced broker gets nothing)."),
    def!("sim.controllers", Simulation, Kind::Long { min: 1, max: 5 }, "1", None,
        "Number of KRaft controller voters (node ids 3000, 3001, …), fixed when the cluster is created. 1: a single controller, its own majority. Kafka recommends 3 in production (5 to survive two failures): the active controller is the Raft leader, a metadata change commits once a majority of voters has it, and when the active one fails the others elect a new one."),
    def!("sim.os.flush.interval.ms", Simulation, Kind::Long { min: 1, max: LMAX }, "30000", None,
        "The operating system writes dirty page-cache pages to disk this often (Linux dirty_expire_centisecs is 30 s). A power loss loses what the OS has not written yet."),
    def!("sim.broker.startup.ms", Simulation, Kind::Long { min: 0, max: 600000 }, "0", None,
        "How long a starting broker takes before it registers with the controller: the JVM starting and LogManager loading (and, after a crash, recovering) its logs, seconds to minutes on a real broker with many partitions. 0: at once. Until it has registered and caught up it is in no ISR, which is what a hasty rolling restart runs into."),
    def!("sim.log.dir.capacity.bytes", Simulation, Kind::Long { min: -1, max: LMAX }, "-1", None,
        "The size of each broker's disk (its one log directory, log.dirs=/tmp/kraft-combined-logs); -1: unlimited. A write that does not fit fails with KafkaStorageException (No space left on device): the log directory goes offline and, as it is the broker's only one, the broker halts (\"Shutdown broker because all log dirs ... have failed\"). Retention (retention.bytes, retention.ms) is what keeps a log inside it."),
    def!("sim.network.min.latency.ms", Simulation, Kind::Long { min: 0, max: 60000 }, "1", None,
        "Lowest one-way network latency of a link."),
    def!("sim.network.max.latency.ms", Simulation, Kind::Long { min: 0, max: 60000 }, "3", None,
        "Highest one-way network latency of a link (messages on one link still arrive in order)."),
    def!("sim.network.loss", Simulation, Kind::Ratio, "0", None,
        "Probability that a message is lost on a link (TCP would retransmit; here the request times out)."),
];

/// Every key's [`ConfigDef::doc`] by `"scope:key"` (`"broker:min.insync.replicas"`), as JSON text:
/// `www/config-docs.json`, which the page fetches beside the engine for its tooltips
/// (`kafka-sim config-docs` prints it; tests/integration/readme.rs checks the file).
#[cfg(not(target_arch = "wasm32"))]
pub fn docs_json() -> String {
    let docs: serde_json::Map<String, Value> = CONFIG_DEFS
        .iter()
        .map(|d| {
            let scope = serde_json::to_value(d.scope).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            (format!("{scope}:{}", d.key), Value::from(d.doc))
        })
        .collect();
    serde_json::to_string_pretty(&docs).unwrap_or_default() + "\n"
}

/// The config reference as a Markdown table (README.md carries its output).
#[cfg(not(target_arch = "wasm32"))]
pub fn reference_markdown() -> String {
    let mut s = String::from("| key | scope | default | allowed | meaning |\n|---|---|---|---|---|\n");
    for d in CONFIG_DEFS {
        let scope = match d.scope {
            Scope::Broker => "broker",
            Scope::Topic => "topic",
            Scope::Simulation => "simulation",
            Scope::Producer => "producer",
            Scope::Consumer => "consumer",
        };
        let allowed = match d.kind {
            Kind::Long { min, max } if max == i64::MAX => format!("≥ {min}"),
            Kind::Long { min, max } => format!("{min}–{max}"),
            Kind::Bool => "true, false".into(),
            Kind::Choice(c) => c.join(", "),
            Kind::Ratio => "0–1".into(),
            Kind::Text => "a rack name, or empty".into(),
            Kind::ReplicaList => "`*`, or partition:broker,…".into(),
        };
        let default = if d.default == "9223372036854775807" { "Long.MAX (never)" } else { d.default };
        s.push_str(&format!("| `{}` | {scope} | {default} | {allowed} | {} |\n", d.key, d.doc));
    }
    s
}

pub fn find_def(scope: Scope, key: &str) -> Option<&'static ConfigDef> {
    CONFIG_DEFS.iter().find(|d| d.scope == scope && d.key == key)
}

/// Accepts a JSON number, bool or string for a config value and returns it as
/// Kafka's string form after validating it against the key's definition.
pub fn normalize_value(scope: Scope, key: &str, value: &Value) -> Result<String, CommandError> {
    let def = find_def(scope, key).ok_or_else(|| {
        let scope_name = match scope {
            Scope::Broker => "broker",
            Scope::Topic => "topic",
            Scope::Simulation => "simulation",
            Scope::Producer => "producer",
            Scope::Consumer => "consumer",
        };
        CommandError::invalid_config(key, format!("unknown {scope_name} config '{key}'"))
    })?;
    let raw = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => {
            return Err(CommandError::invalid_config(
                key,
                format!("invalid value {other} for configuration {key}: expected a string, number or boolean"),
            ))
        }
    };
    match def.kind {
        Kind::Long { min, max } => {
            let v: i64 = raw.parse().map_err(|_| {
                CommandError::invalid_config(
                    key,
                    format!("invalid value {raw} for configuration {key}: not a number (expected an integer in [{min}, {max}])"),
                )
            })?;
            if v < min || v > max {
                return Err(CommandError::invalid_config(
                    key,
                    format!("invalid value {v} for configuration {key}: value must be in [{min}, {max}]"),
                ));
            }
            Ok(v.to_string())
        }
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(CommandError::invalid_config(
                key,
                format!("invalid value {raw} for configuration {key}: expected a boolean (true or false)"),
            )),
        },
        Kind::Choice(choices) => {
            if choices.contains(&raw.as_str()) {
                Ok(raw)
            } else {
                Err(CommandError::invalid_config(
                    key,
                    format!("invalid value {raw} for configuration {key}: string must be one of: {}", choices.join(", ")),
                ))
            }
        }
        Kind::Text => {
            if raw.len() > 64 || !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-') {
                return Err(CommandError::invalid_config(
                    key,
                    format!("invalid value {raw:?} for configuration {key}: up to 64 characters of [a-zA-Z0-9._-]"),
                ));
            }
            Ok(raw)
        }
        Kind::ReplicaList => {
            validate_throttled_replicas(&raw)
                .map_err(|m| CommandError::invalid_config(key, format!("invalid value {raw:?} for configuration {key}: {m}")))?;
            Ok(raw.split(',').map(str::trim).collect::<Vec<_>>().join(","))
        }
        Kind::Ratio => {
            let v: f64 = raw.parse().map_err(|_| {
                CommandError::invalid_config(key, format!("invalid value {raw} for configuration {key}: not a number in [0, 1]"))
            })?;
            if !(0.0..=1.0).contains(&v) {
                return Err(CommandError::invalid_config(
                    key,
                    format!("invalid value {raw} for configuration {key}: value must be in [0, 1]"),
                ));
            }
            Ok(raw)
        }
    }
}

/// Validates a `*.replication.throttled.replicas` value (`ThrottledReplicaListValidator`): empty,
/// `*`, or a comma-separated list of `partitionId:brokerId`.
pub fn validate_throttled_replicas(v: &str) -> Result<(), String> {
    let v = v.trim();
    if v.is_empty() || v == "*" {
        return Ok(());
    }
    let ok = v
        .split(',')
        .all(|e| e.trim().split_once(':').is_some_and(|(p, b)| p.trim().parse::<u32>().is_ok() && b.trim().parse::<u32>().is_ok()));
    if ok {
        Ok(())
    } else {
        Err("must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
            .into())
    }
}

fn long(v: &str) -> i64 {
    v.parse().unwrap_or(0)
}

/// Typed broker configuration (`server.properties`), plus the simulation
/// settings that act per broker. Built from defaults and overrides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerConfig {
    pub replica_lag_time_max_ms: i64,
    /// LEGACY `replica.lag.max.messages` (Kafka 0.8): 0 = off (Kafka 4.x).
    pub replica_lag_max_messages: i64,
    pub replica_fetch_wait_max_ms: i64,
    pub replica_fetch_backoff_ms: i64,
    pub replica_socket_timeout_ms: i64,
    pub replica_high_watermark_checkpoint_interval_ms: i64,
    pub broker_heartbeat_interval_ms: i64,
    pub broker_session_timeout_ms: i64,
    pub controller_quorum_fetch_timeout_ms: i64,
    pub controller_quorum_election_timeout_ms: i64,
    pub controller_quorum_election_backoff_max_ms: i64,
    /// `sim.controllers`: number of KRaft controller voters.
    pub controllers: i64,
    pub controlled_shutdown_enable: bool,
    pub auto_leader_rebalance_enable: bool,
    pub leader_imbalance_check_interval_seconds: i64,
    pub log_flush_interval_messages: i64,
    pub log_flush_interval_ms: i64,
    pub log_flush_scheduler_interval_ms: i64,
    pub min_insync_replicas: i64,
    pub unclean_leader_election_enable: bool,
    pub unclean_leader_election_interval_ms: i64,
    pub default_replication_factor: i64,
    pub num_partitions: i64,
    /// Log storage defaults (`log.segment.bytes`, `log.retention.*`, …) as a LogConfig.
    pub log_defaults: crate::log::LogConfig,
    pub log_retention_check_interval_ms: i64,
    pub log_cleaner_backoff_ms: i64,
    /// `sim.truncation.mode=high-watermark`: the legacy pre-KIP-101 rule.
    pub legacy_hw_truncation: bool,
    /// `sim.replica.placement=admin-utils`: the legacy ZooKeeper-era placement.
    pub legacy_admin_utils_placement: bool,
    pub os_flush_interval_ms: i64,
    /// `sim.broker.startup.ms`.
    pub broker_startup_ms: i64,
    /// `sim.log.dir.capacity.bytes` (-1: unlimited).
    pub log_dir_capacity_bytes: i64,
    pub offsets_topic_num_partitions: i64,
    pub offsets_topic_replication_factor: i64,
    pub offsets_commit_timeout_ms: i64,
    pub group_initial_rebalance_delay_ms: i64,
    pub group_min_session_timeout_ms: i64,
    pub group_max_session_timeout_ms: i64,
    pub rack_aware_replica_selector: bool,
    /// `leader.replication.throttled.rate` / `follower.replication.throttled.rate`, bytes/s.
    pub leader_replication_throttled_rate: i64,
    pub follower_replication_throttled_rate: i64,
    /// Raw `key -> value` for everything set explicitly.
    pub overrides: BTreeMap<String, String>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        let mut c = BrokerConfig {
            replica_lag_time_max_ms: 0,
            replica_lag_max_messages: 0,
            replica_fetch_wait_max_ms: 0,
            replica_fetch_backoff_ms: 0,
            replica_socket_timeout_ms: 0,
            replica_high_watermark_checkpoint_interval_ms: 0,
            broker_heartbeat_interval_ms: 0,
            broker_session_timeout_ms: 0,
            controller_quorum_fetch_timeout_ms: 0,
            controller_quorum_election_timeout_ms: 0,
            controller_quorum_election_backoff_max_ms: 0,
            controllers: 1,
            controlled_shutdown_enable: true,
            auto_leader_rebalance_enable: true,
            leader_imbalance_check_interval_seconds: 0,
            log_flush_interval_messages: 0,
            log_flush_interval_ms: 0,
            log_flush_scheduler_interval_ms: 0,
            min_insync_replicas: 0,
            unclean_leader_election_enable: false,
            unclean_leader_election_interval_ms: 0,
            default_replication_factor: 0,
            num_partitions: 0,
            legacy_hw_truncation: false,
            legacy_admin_utils_placement: false,
            os_flush_interval_ms: 0,
            log_dir_capacity_bytes: 0,
            broker_startup_ms: 0,
            log_defaults: crate::log::LogConfig::default(),
            log_retention_check_interval_ms: 0,
            log_cleaner_backoff_ms: 0,
            offsets_topic_num_partitions: 0,
            offsets_topic_replication_factor: 0,
            offsets_commit_timeout_ms: 0,
            group_initial_rebalance_delay_ms: 0,
            group_min_session_timeout_ms: 0,
            group_max_session_timeout_ms: 0,
            rack_aware_replica_selector: false,
            leader_replication_throttled_rate: i64::MAX,
            follower_replication_throttled_rate: i64::MAX,
            overrides: BTreeMap::new(),
        };
        for d in CONFIG_DEFS.iter().filter(|d| matches!(d.scope, Scope::Broker | Scope::Simulation)) {
            c.apply(d.key, d.default);
        }
        c.overrides.clear();
        c
    }
}

impl BrokerConfig {
    /// Sets a broker or simulation key (validated). `value` may be a JSON
    /// number, bool or string.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), CommandError> {
        let scope = if key.starts_with("sim.") { Scope::Simulation } else { Scope::Broker };
        let v = normalize_value(scope, key, value)?;
        self.apply(key, &v);
        self.overrides.insert(key.to_string(), v);
        Ok(())
    }

    fn apply(&mut self, key: &str, v: &str) {
        match key {
            "replica.lag.time.max.ms" => self.replica_lag_time_max_ms = long(v),
            "replica.lag.max.messages" => self.replica_lag_max_messages = long(v),
            "replica.fetch.wait.max.ms" => self.replica_fetch_wait_max_ms = long(v),
            "replica.fetch.backoff.ms" => self.replica_fetch_backoff_ms = long(v),
            "replica.socket.timeout.ms" => self.replica_socket_timeout_ms = long(v),
            "replica.high.watermark.checkpoint.interval.ms" => self.replica_high_watermark_checkpoint_interval_ms = long(v),
            "broker.heartbeat.interval.ms" => self.broker_heartbeat_interval_ms = long(v),
            "broker.session.timeout.ms" => self.broker_session_timeout_ms = long(v),
            "controller.quorum.fetch.timeout.ms" => self.controller_quorum_fetch_timeout_ms = long(v),
            "controller.quorum.election.timeout.ms" => self.controller_quorum_election_timeout_ms = long(v),
            "controller.quorum.election.backoff.max.ms" => self.controller_quorum_election_backoff_max_ms = long(v),
            "sim.controllers" => self.controllers = long(v),
            "controlled.shutdown.enable" => self.controlled_shutdown_enable = v == "true",
            "auto.leader.rebalance.enable" => self.auto_leader_rebalance_enable = v == "true",
            "leader.imbalance.check.interval.seconds" => self.leader_imbalance_check_interval_seconds = long(v),
            "log.flush.interval.messages" => self.log_flush_interval_messages = long(v),
            "log.flush.interval.ms" => self.log_flush_interval_ms = long(v),
            "log.flush.scheduler.interval.ms" => self.log_flush_scheduler_interval_ms = long(v),
            "min.insync.replicas" => self.min_insync_replicas = long(v),
            "unclean.leader.election.enable" => self.unclean_leader_election_enable = v == "true",
            "unclean.leader.election.interval.ms" => self.unclean_leader_election_interval_ms = long(v),
            "default.replication.factor" => self.default_replication_factor = long(v),
            "num.partitions" => self.num_partitions = long(v),
            "sim.truncation.mode" => self.legacy_hw_truncation = v == "high-watermark",
            "sim.replica.placement" => self.legacy_admin_utils_placement = v == "admin-utils",
            "sim.os.flush.interval.ms" => self.os_flush_interval_ms = long(v),
            "sim.log.dir.capacity.bytes" => self.log_dir_capacity_bytes = long(v),
            "sim.broker.startup.ms" => self.broker_startup_ms = long(v),
            "log.segment.bytes" => self.log_defaults.segment_bytes = long(v),
            "log.roll.ms" => self.log_defaults.segment_ms = long(v),
            "log.roll.jitter.ms" => self.log_defaults.segment_jitter_ms = long(v),
            "log.index.size.max.bytes" => self.log_defaults.segment_index_bytes = long(v),
            "log.index.interval.bytes" => self.log_defaults.index_interval_bytes = long(v),
            "log.retention.ms" => self.log_defaults.retention_ms = long(v),
            "log.retention.bytes" => self.log_defaults.retention_bytes = long(v),
            "log.cleanup.policy" => {
                self.log_defaults.cleanup_delete = v.contains("delete");
                self.log_defaults.cleanup_compact = v.contains("compact");
            }
            "log.retention.check.interval.ms" => self.log_retention_check_interval_ms = long(v),
            "log.cleaner.backoff.ms" => self.log_cleaner_backoff_ms = long(v),
            "log.cleaner.min.cleanable.ratio" => self.log_defaults.min_cleanable_dirty_ratio = v.parse().unwrap_or(0.5),
            "log.cleaner.delete.retention.ms" => self.log_defaults.delete_retention_ms = long(v),
            "log.cleaner.min.compaction.lag.ms" => self.log_defaults.min_compaction_lag_ms = long(v),
            "log.cleaner.max.compaction.lag.ms" => self.log_defaults.max_compaction_lag_ms = long(v),
            "offsets.topic.num.partitions" => self.offsets_topic_num_partitions = long(v),
            "offsets.topic.replication.factor" => self.offsets_topic_replication_factor = long(v),
            "offsets.commit.timeout.ms" => self.offsets_commit_timeout_ms = long(v),
            "group.initial.rebalance.delay.ms" => self.group_initial_rebalance_delay_ms = long(v),
            "group.min.session.timeout.ms" => self.group_min_session_timeout_ms = long(v),
            "group.max.session.timeout.ms" => self.group_max_session_timeout_ms = long(v),
            "replica.selector.class" => self.rack_aware_replica_selector = v.ends_with("RackAwareReplicaSelector"),
            "leader.replication.throttled.rate" => self.leader_replication_throttled_rate = long(v),
            "follower.replication.throttled.rate" => self.follower_replication_throttled_rate = long(v),
            // Network settings live in the network model, not per broker.
            _ => {}
        }
    }
}

/// Topic-level overrides; a missing key falls back to the broker's value,
/// as Kafka's `LogConfig` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TopicConfig {
    pub overrides: BTreeMap<String, String>,
}

impl TopicConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), CommandError> {
        let v = normalize_value(Scope::Topic, key, value)?;
        self.overrides.insert(key.to_string(), v);
        Ok(())
    }

    /// `kafka-configs.sh --alter --delete-config`.
    pub fn delete(&mut self, key: &str) -> Result<(), CommandError> {
        find_def(Scope::Topic, key).ok_or_else(|| CommandError::invalid_config(key, format!("unknown topic config '{key}'")))?;
        self.overrides.remove(key);
        Ok(())
    }

    pub fn min_insync_replicas(&self, broker: &BrokerConfig) -> i64 {
        self.overrides.get("min.insync.replicas").map(|v| long(v)).unwrap_or(broker.min_insync_replicas)
    }

    pub fn unclean_leader_election_enable(&self, broker: &BrokerConfig) -> bool {
        self.overrides.get("unclean.leader.election.enable").map(|v| v == "true").unwrap_or(broker.unclean_leader_election_enable)
    }

    pub fn flush_messages(&self, broker: &BrokerConfig) -> i64 {
        self.overrides.get("flush.messages").map(|v| long(v)).unwrap_or(broker.log_flush_interval_messages)
    }

    /// The log storage config of this topic: overrides over the broker's defaults (`LogConfig`).
    pub fn log_config(&self, broker: &BrokerConfig) -> crate::log::LogConfig {
        let mut c = broker.log_defaults;
        for (k, v) in &self.overrides {
            match k.as_str() {
                "segment.bytes" => c.segment_bytes = long(v),
                "segment.ms" => c.segment_ms = long(v),
                "segment.jitter.ms" => c.segment_jitter_ms = long(v),
                "segment.index.bytes" => c.segment_index_bytes = long(v),
                "index.interval.bytes" => c.index_interval_bytes = long(v),
                "retention.ms" => c.retention_ms = long(v),
                "retention.bytes" => c.retention_bytes = long(v),
                "cleanup.policy" => {
                    c.cleanup_delete = v.contains("delete");
                    c.cleanup_compact = v.contains("compact");
                }
                "min.cleanable.dirty.ratio" => c.min_cleanable_dirty_ratio = v.parse().unwrap_or(0.5),
                "delete.retention.ms" => c.delete_retention_ms = long(v),
                "min.compaction.lag.ms" => c.min_compaction_lag_ms = long(v),
                "max.compaction.lag.ms" => c.max_compaction_lag_ms = long(v),
                _ => {}
            }
        }
        c
    }

    pub fn flush_ms(&self, broker: &BrokerConfig) -> i64 {
        self.overrides.get("flush.ms").map(|v| long(v)).unwrap_or(broker.log_flush_interval_ms)
    }
}

/// `acks` as the producer sends it on the wire: 0, 1 or -1 (all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Acks {
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "1")]
    One,
    #[serde(rename = "all")]
    All,
}

impl Acks {
    pub fn parse(s: &str) -> Option<Acks> {
        match s {
            "0" => Some(Acks::Zero),
            "1" => Some(Acks::One),
            "all" | "-1" => Some(Acks::All),
            _ => None,
        }
    }
}

/// The producer's configuration (`ProducerConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProducerConfig {
    pub acks: Acks,
    pub retries: i64,
    pub retry_backoff_ms: i64,
    pub retry_backoff_max_ms: i64,
    pub request_timeout_ms: i64,
    pub delivery_timeout_ms: i64,
    pub metadata_max_age_ms: i64,
    pub batch_size: i64,
    pub linger_ms: i64,
    pub max_in_flight_requests_per_connection: i64,
    pub enable_idempotence: bool,
    /// Was `enable.idempotence` set by the user (then conflicts are errors, not a silent off)?
    pub idempotence_explicit: bool,
    /// Was `delivery.timeout.ms` set by the user (then a value below linger.ms + request.timeout.ms
    /// is an error; defaulted, it is raised to that sum)?
    pub delivery_timeout_explicit: bool,
    pub partitioner_adaptive_partitioning_enable: bool,
    pub partitioner_ignore_keys: bool,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        let mut c = ProducerConfig {
            acks: Acks::All,
            retries: 0,
            retry_backoff_ms: 0,
            retry_backoff_max_ms: 0,
            request_timeout_ms: 0,
            delivery_timeout_ms: 0,
            metadata_max_age_ms: 0,
            batch_size: 0,
            linger_ms: 0,
            max_in_flight_requests_per_connection: 0,
            enable_idempotence: true,
            idempotence_explicit: false,
            delivery_timeout_explicit: false,
            partitioner_adaptive_partitioning_enable: true,
            partitioner_ignore_keys: false,
        };
        for d in CONFIG_DEFS.iter().filter(|d| d.scope == Scope::Producer) {
            c.apply(d.key, d.default);
        }
        c
    }
}

impl ProducerConfig {
    /// Sets a key. As `ProducerConfig.postProcessAndValidateIdempotenceConfigs`: with
    /// `enable.idempotence=true` set explicitly, acks must be all, retries > 0 and
    /// max.in.flight ≤ 5 (a ConfigException otherwise); left at its default, idempotence is
    /// silently turned off by such a conflict (KAFKA-13673).
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), CommandError> {
        let v = normalize_value(Scope::Producer, key, value)?;
        let mut next = self.clone();
        next.apply(key, &v);
        if key == "enable.idempotence" {
            next.idempotence_explicit = true;
        }
        if key == "delivery.timeout.ms" {
            next.delivery_timeout_explicit = true;
        }
        // KafkaProducer.configureDeliveryTimeout: delivery.timeout.ms must cover linger.ms +
        // request.timeout.ms. Set explicitly below that sum it is a ConfigException; left at its
        // default it is raised to the sum. (Kafka checks once at construction; the simulated
        // producer is reconfigured live, so every step must leave a valid configuration.)
        let floor = (next.linger_ms + next.request_timeout_ms).min(i32::MAX as i64);
        if next.delivery_timeout_explicit {
            if next.delivery_timeout_ms < floor {
                return Err(CommandError::invalid_config(
                    key,
                    format!(
                        "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms ({} < {} + {})",
                        next.delivery_timeout_ms, next.linger_ms, next.request_timeout_ms
                    ),
                ));
            }
        } else {
            next.delivery_timeout_ms = find_def(Scope::Producer, "delivery.timeout.ms").map_or(120_000, |d| long(d.default)).max(floor);
        }
        if next.enable_idempotence && next.idempotence_explicit {
            if next.acks != Acks::All {
                return Err(CommandError::invalid_config(
                    key,
                    "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence. (set enable.idempotence=false first)",
                ));
            }
            if next.retries == 0 {
                return Err(CommandError::invalid_config(key, "Must set retries to non-zero when using the idempotent producer."));
            }
            if next.max_in_flight_requests_per_connection > 5 {
                return Err(CommandError::invalid_config(
                    key,
                    "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.",
                ));
            }
        }
        *self = next;
        Ok(())
    }

    /// Is idempotence in effect (see [`ProducerConfig::set`])?
    pub fn idempotence_enabled(&self) -> bool {
        self.enable_idempotence && self.acks == Acks::All && self.retries > 0 && self.max_in_flight_requests_per_connection <= 5
    }

    fn apply(&mut self, key: &str, v: &str) {
        match key {
            "acks" => self.acks = Acks::parse(v).unwrap_or(Acks::All),
            "retries" => self.retries = long(v),
            "retry.backoff.ms" => self.retry_backoff_ms = long(v),
            "retry.backoff.max.ms" => self.retry_backoff_max_ms = long(v),
            "request.timeout.ms" => self.request_timeout_ms = long(v),
            "delivery.timeout.ms" => self.delivery_timeout_ms = long(v),
            "metadata.max.age.ms" => self.metadata_max_age_ms = long(v),
            "batch.size" => self.batch_size = long(v),
            "linger.ms" => self.linger_ms = long(v),
            "max.in.flight.requests.per.connection" => self.max_in_flight_requests_per_connection = long(v),
            "enable.idempotence" => self.enable_idempotence = v == "true",
            "partitioner.adaptive.partitioning.enable" => self.partitioner_adaptive_partitioning_enable = v == "true",
            "partitioner.ignore.keys" => self.partitioner_ignore_keys = v == "true",
            _ => {}
        }
    }
}

/// A consumer's configuration (`ConsumerConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerConfig {
    pub session_timeout_ms: i64,
    pub heartbeat_interval_ms: i64,
    pub max_poll_interval_ms: i64,
    pub enable_auto_commit: bool,
    pub auto_commit_interval_ms: i64,
    /// "latest", "earliest" or "none".
    pub auto_offset_reset: String,
    /// Assignor names in preference order.
    pub partition_assignment_strategy: Vec<String>,
    pub client_rack: Option<String>,
    pub fetch_max_wait_ms: i64,
    pub max_poll_records: i64,
    pub metadata_max_age_ms: i64,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        let mut c = ConsumerConfig {
            session_timeout_ms: 0,
            heartbeat_interval_ms: 0,
            max_poll_interval_ms: 0,
            enable_auto_commit: true,
            auto_commit_interval_ms: 0,
            auto_offset_reset: String::new(),
            partition_assignment_strategy: vec![],
            client_rack: None,
            fetch_max_wait_ms: 0,
            max_poll_records: 0,
            metadata_max_age_ms: 0,
        };
        for d in CONFIG_DEFS.iter().filter(|d| d.scope == Scope::Consumer) {
            c.apply(d.key, d.default);
        }
        c
    }
}

impl ConsumerConfig {
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), CommandError> {
        let v = normalize_value(Scope::Consumer, key, value)?;
        self.apply(key, &v);
        Ok(())
    }

    fn apply(&mut self, key: &str, v: &str) {
        match key {
            "session.timeout.ms" => self.session_timeout_ms = long(v),
            "heartbeat.interval.ms" => self.heartbeat_interval_ms = long(v),
            "max.poll.interval.ms" => self.max_poll_interval_ms = long(v),
            "enable.auto.commit" => self.enable_auto_commit = v == "true",
            "auto.commit.interval.ms" => self.auto_commit_interval_ms = long(v),
            "auto.offset.reset" => self.auto_offset_reset = v.to_string(),
            "partition.assignment.strategy" => self.partition_assignment_strategy = v.split(',').map(|s| s.to_string()).collect(),
            "client.rack" => self.client_rack = (!v.is_empty()).then(|| v.to_string()),
            "fetch.max.wait.ms" => self.fetch_max_wait_ms = long(v),
            "max.poll.records" => self.max_poll_records = long(v),
            "metadata.max.age.ms" => self.metadata_max_age_ms = long(v),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_kafkas() {
        let b = BrokerConfig::default();
        assert_eq!(b.replica_lag_time_max_ms, 30_000);
        assert_eq!(b.replica_high_watermark_checkpoint_interval_ms, 5_000);
        assert_eq!(b.broker_session_timeout_ms, 9_000);
        assert_eq!(b.min_insync_replicas, 1);
        assert!(!b.unclean_leader_election_enable);
        assert!(!b.legacy_hw_truncation);
        let p = ProducerConfig::default();
        assert_eq!(p.acks, Acks::All);
        assert_eq!(p.delivery_timeout_ms, 120_000);
    }

    #[test]
    fn invalid_values_name_the_key_and_the_range() {
        let mut b = BrokerConfig::default();
        let e = b.set("replica.lag.time.max.ms", &json!(0)).unwrap_err();
        assert_eq!(e.field, "replica.lag.time.max.ms");
        assert!(e.message.contains("[1, "), "{}", e.message);
        let e = b.set("unclean.leader.election.enable", &json!("maybe")).unwrap_err();
        assert!(e.message.contains("boolean"));
        let e = b.set("no.such.key", &json!(1)).unwrap_err();
        assert_eq!(e.error, crate::errors::KafkaError::INVALID_CONFIG);
        b.set("sim.truncation.mode", &json!("high-watermark")).unwrap();
        assert!(b.legacy_hw_truncation);
    }

    #[test]
    fn topic_overrides_fall_back_to_the_broker_value() {
        let mut b = BrokerConfig::default();
        b.set("min.insync.replicas", &json!(2)).unwrap();
        let mut t = TopicConfig::default();
        assert_eq!(t.min_insync_replicas(&b), 2);
        t.set("min.insync.replicas", &json!("3")).unwrap();
        assert_eq!(t.min_insync_replicas(&b), 3);
        t.delete("min.insync.replicas").unwrap();
        assert_eq!(t.min_insync_replicas(&b), 2);
    }
}
