//! The one `Command` type: everything a user can do to the simulated cluster.
//! The page, scenario files, shareable URLs and tests all speak it (JSON with a
//! `type` tag, e.g. `{"type": "crash_broker", "broker": 2}`).

use crate::errors::CommandError;
use crate::ids::NodeId;
use serde::{Deserialize, Serialize};

mod decode;
/// Every command's `type`, in declaration order (what the decoder names in its errors).
pub use decode::VARIANTS as COMMAND_TYPES;
use serde_json::Value;
use std::collections::BTreeMap;

/// Longest simulated time one `run` command may cover (a day).
pub const MAX_RUN_MS: i64 = 24 * 3600 * 1000;
/// Most records one `produce` command may send.
pub const MAX_PRODUCE_COUNT: u32 = 100_000;

/// Decoded by hand (`decode.rs`: the same commands and error messages as serde's derive with
/// `#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]`, in far less wasm);
/// a new variant or field goes there too, and into `proof::command_reference`. The
/// `#[serde(default)]` marks say which fields may be absent (they do nothing to serialization).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// `kafka-topics.sh --create`.
    CreateTopic {
        name: String,
        #[serde(default)]
        partitions: Option<u32>,
        #[serde(default)]
        replication_factor: Option<u16>,
        #[serde(default)]
        config: BTreeMap<String, Value>,
        /// Explicit assignment: partition ("0", "1", …) → replicas (first = preferred leader).
        #[serde(default)]
        assignment: Option<BTreeMap<String, Vec<i32>>>,
    },
    /// The producer sends `count` records (values `value`, `value-1`, ... when count > 1).
    Produce {
        topic: String,
        #[serde(default)]
        partition: Option<u32>,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        value: Option<String>,
        /// Absent: 1.
        count: u32,
        /// Send a tombstone (a null value: "delete this key" in a compacted topic).
        #[serde(default)]
        tombstone: bool,
    },
    /// Hard crash (kill -9 and power loss): volatile state and the page cache are lost.
    /// With `keep_page_cache` only the process dies (the OS keeps unflushed writes).
    CrashBroker {
        broker: i32,
        #[serde(default)]
        keep_page_cache: bool,
    },
    /// Start a crashed or stopped broker again on its disk.
    RestartBroker {
        broker: i32,
    },
    /// Clean shutdown (controlled shutdown when `controlled.shutdown.enable=true`).
    ShutdownBroker {
        broker: i32,
    },
    /// A stop-the-world pause (long GC): the broker neither receives nor acts.
    /// With `ms` it resumes by itself.
    PauseBroker {
        broker: i32,
        #[serde(default)]
        ms: Option<i64>,
    },
    ResumeBroker {
        broker: i32,
    },
    /// Hard crash of a KRaft controller voter (by node id, e.g. 3001); without
    /// `controller`, the active one. Its metadata log and quorum-state survive.
    CrashController {
        #[serde(default)]
        controller: Option<i32>,
    },
    /// Start a crashed controller voter again on its disk.
    RestartController {
        controller: i32,
    },
    /// Cut the link between two nodes (both ways unless `one_way`: then only from→to).
    CutLink {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        one_way: bool,
    },
    HealLink {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        one_way: bool,
    },
    /// Cut every link to and from a node.
    Isolate {
        node: NodeId,
    },
    /// Heal every cut and remove slow/lossy link settings.
    HealAll,
    /// Add latency to a link (both ways unless `one_way`).
    SlowLink {
        from: NodeId,
        to: NodeId,
        extra_latency_ms: i64,
        #[serde(default)]
        one_way: bool,
    },
    /// Loss probability on one link (both ways unless `one_way`).
    SetLinkLoss {
        from: NodeId,
        to: NodeId,
        loss: f64,
        #[serde(default)]
        one_way: bool,
    },
    /// Global network settings.
    SetNetwork {
        #[serde(default)]
        min_latency_ms: Option<i64>,
        #[serde(default)]
        max_latency_ms: Option<i64>,
        #[serde(default)]
        loss: Option<f64>,
    },
    /// A broker (or, without `broker`, every broker and the controller) config change.
    /// Takes effect on the running process at once (dynamic config) and survives restarts.
    SetBrokerConfig {
        #[serde(default)]
        broker: Option<i32>,
        key: String,
        value: Value,
    },
    /// `kafka-configs.sh --alter --entity-type topics`; `value: null` deletes the override.
    SetTopicConfig {
        topic: String,
        key: String,
        value: Value,
    },
    SetProducerConfig {
        key: String,
        value: Value,
    },
    /// `kafka-leader-election.sh --election-type preferred|unclean`.
    ElectLeaders {
        topic: String,
        partition: u32,
        election_type: ElectionType,
    },
    /// A steady producer workload: `records_per_sec` records to `topic`, keyed with one
    /// of `keys` keys (0 = no key: round-robin). A rate of 0 stops it.
    SetWorkload {
        topic: String,
        records_per_sec: f64,
        #[serde(default)]
        keys: u32,
    },
    /// Start a reader (a consumer of committed records) on one partition.
    StartReader {
        topic: String,
        partition: u32,
    },
    /// Start a consumer in group `group_id` subscribed to `topics` (`consumer.subscribe`), with
    /// consumer configs (`session.timeout.ms`, `partition.assignment.strategy`, `client.rack`, …).
    /// Creates `__consumer_offsets` first if needed.
    StartConsumer {
        group_id: String,
        topics: Vec<String>,
        #[serde(default)]
        config: BTreeMap<String, Value>,
    },
    /// `consumer.close()`: commit (with auto-commit), leave the group.
    StopConsumer {
        consumer: u32,
    },
    /// The consumer process dies: no LeaveGroup; the coordinator notices after `session.timeout.ms`.
    CrashConsumer {
        consumer: u32,
    },
    /// The application stops calling poll() for `ms` (slow processing); past
    /// `max.poll.interval.ms` the consumer leaves the group.
    StallConsumer {
        consumer: u32,
        ms: i64,
    },
    /// `consumer.commitSync()` of the current positions.
    CommitOffsets {
        consumer: u32,
    },
    /// Change a consumer config, of one consumer or (without `consumer`) of every consumer.
    SetConsumerConfig {
        #[serde(default)]
        consumer: Option<u32>,
        key: String,
        value: Value,
    },
    /// Advance simulated time by `ms`.
    Run {
        ms: i64,
    },
    /// Advance simulated time to `time_ms`.
    RunUntil {
        time_ms: i64,
    },
    /// Process exactly one event.
    Step,
    /// `kafka-reassign-partitions.sh --execute` for one partition (`Admin.alterPartitionReassignments`,
    /// KIP-455): move it to `replicas` (a longer or shorter list changes the replication factor).
    /// `replicas: null` is `--cancel`: the reassignment in progress is reverted. `throttle`
    /// (bytes/s) is the tool's `--throttle`: it sets the replication throttle rates on the brokers
    /// of the move and throttles its current replicas (leader side) and new ones (follower side).
    AlterPartitionReassignments {
        topic: String,
        partition: u32,
        #[serde(default)]
        replicas: Option<Vec<i32>>,
        #[serde(default)]
        throttle: Option<i64>,
    },
    /// `kafka-delete-records.sh` for one partition: the leader's log start offset moves up to
    /// `offset` (-1: the high watermark); the records below it can no longer be read.
    DeleteRecords {
        topic: String,
        partition: u32,
        offset: i64,
    },
    /// A new broker joins the running cluster (`kafka-server-start.sh` with a new `node.id`): it
    /// registers and holds no replica until a reassignment moves some to it. Without `broker`, the
    /// next free id.
    AddBroker {
        #[serde(default)]
        broker: Option<i32>,
        #[serde(default)]
        rack: Option<String>,
    },
    /// A slow (stalling) disk on a broker, a simulated fault: every write of records takes
    /// `write_latency_ms` (0: the disk is healthy again) — the records its replica fetcher
    /// fetched, and the produce requests it appends as a leader (one write at a time, the next
    /// request waits its turn). The broker keeps heartbeating, so the controller does not fence
    /// it; as a follower it falls behind and its leader drops it from the ISR after
    /// `replica.lag.time.max.ms`; as a leader its producers wait.
    SlowDisk {
        broker: i32,
        write_latency_ms: i64,
    },
    /// `kafka-cluster.sh unregister --id`: the controller forgets the broker (decommission, after
    /// moving its replicas away and shutting it down).
    UnregisterBroker {
        broker: i32,
    },
    /// The broker's disk fills up or fails, or is mended (a simulated fault): `full` (the next
    /// write fails with KafkaStorageException and the broker's only log directory goes offline:
    /// the broker halts), `failed` (every I/O fails, loading the logs at start too),
    /// `space_freed` (a full disk has room again, data kept), `replaced` (an empty disk, only
    /// while the broker is down; it fetches everything again).
    DiskFault {
        broker: i32,
        fault: DiskFault,
    },
    /// `kafka-topics.sh --alter --topic T --partitions N` (CreatePartitions): the topic grows to
    /// `count` partitions, placed as the controller places new ones. Keys are not kept on their
    /// partition: murmur2(key) % count moves most of them.
    CreatePartitions {
        topic: String,
        count: u32,
    },
    /// A rolling restart, the way operators do it: each broker in turn gets a clean (controlled)
    /// shutdown and is started again, and the next one waits until every partition's ISR is full
    /// again (no under-replicated partitions). `hasty`: the next broker goes as soon as the
    /// previous one's process is up, before its replicas have caught up.
    RollingRestart {
        #[serde(default)]
        hasty: bool,
    },
    /// Decommissioning a broker, the operator's steps: every replica it hosts is moved to the
    /// least loaded other broker (`kafka-reassign-partitions.sh --execute`), and once none is
    /// left on it (`--verify`) it is shut down cleanly and unregistered
    /// (`kafka-cluster.sh unregister`).
    DecommissionBroker {
        broker: i32,
    },
}

/// What `disk_fault` does to a broker's disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskFault {
    Full,
    Failed,
    SpaceFreed,
    Replaced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionType {
    Preferred,
    Unclean,
}

impl Command {
    /// Parses a command from JSON text, with an error naming what is wrong.
    pub fn from_json(text: &str) -> Result<Command, String> {
        decode::from_str(text).map_err(|e| format!("invalid command: {e}"))
    }

    pub fn from_value(v: Value) -> Result<Command, String> {
        decode::from_value(v).map_err(|e| format!("invalid command: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// For `run` and `run_until`: how many ms to run from `now_ms`, within [`MAX_RUN_MS`]. The one
    /// place these limits are checked: the simulator, the checked simulation and the page's handle
    /// all ask here (`None`: not a run command).
    pub fn run_span_ms(&self, now_ms: i64) -> Option<Result<i64, CommandError>> {
        match *self {
            Command::Run { ms } if (0..=MAX_RUN_MS).contains(&ms) => Some(Ok(ms)),
            Command::Run { ms } => Some(Err(CommandError::invalid_request("ms", format!("run takes 0 to {MAX_RUN_MS} ms, got {ms}")))),
            Command::RunUntil { time_ms } if time_ms >= now_ms && time_ms - now_ms <= MAX_RUN_MS => Some(Ok(time_ms - now_ms)),
            Command::RunUntil { .. } => Some(Err(CommandError::invalid_request(
                "time_ms",
                format!("time_ms must be between now ({now_ms}) and now + {MAX_RUN_MS}"),
            ))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_through_json() {
        let cmds = vec![
            Command::CrashBroker { broker: 2, keep_page_cache: false },
            Command::CutLink { from: NodeId::Broker(1), to: NodeId::Controller, one_way: true },
            Command::Produce { tombstone: false, topic: "t".into(), partition: Some(0), key: None, value: Some("x".into()), count: 3 },
            Command::Run { ms: 500 },
        ];
        for c in cmds {
            assert_eq!(Command::from_json(&c.to_json()).unwrap(), c);
        }
    }

    #[test]
    fn a_float_in_a_command_survives_json_bit_for_bit() {
        // Found by fuzzing (command_decoder): serde_json's default float parser reads some
        // shortest-form floats one ulp off, so a link did not carry the command it was made of.
        for loss in [0.9719863718547629, 0.011935154727148345, 0.12489148443491327, 0.1 + 0.2, 9.223372036854775e18] {
            let c = Command::SetLinkLoss { from: NodeId::Broker(1), to: NodeId::Broker(2), loss, one_way: false };
            assert_eq!(Command::from_json(&c.to_json()).unwrap(), c, "{loss:?}");
            assert_eq!(Command::from_value(serde_json::to_value(&c).unwrap()).unwrap(), c, "{loss:?}");
        }
    }

    #[test]
    fn bad_commands_name_the_problem() {
        let e = Command::from_json(r#"{"type":"crash_broker"}"#).unwrap_err();
        assert!(e.contains("broker"), "{e}");
        let e = Command::from_json(r#"{"type":"explode"}"#).unwrap_err();
        assert!(e.contains("explode"), "{e}");
        let e = Command::from_json(r#"{"type":"cut_link","from":"zookeeper","to":1}"#).unwrap_err();
        assert!(e.contains("zookeeper"), "{e}");
        let e = Command::from_json(r#"{"type":"run","ms":1,"extra":true}"#).unwrap_err();
        assert!(e.contains("extra"), "{e}");
    }
}
