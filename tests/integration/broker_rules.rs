//! Broker and storage rules as Kafka's Partition, ReplicaManager, UnifiedLog, LogManager and
//! LogCleaner apply them: error precedence, ListOffsets after an election, log start offsets,
//! retention of compacted logs, follower segment rolls, the log flusher and unclean recovery.

use crate::common::*;
use kafka_playground::broker::Broker;
use kafka_playground::command::Command;
use kafka_playground::effects::{Effect, Out};
use kafka_playground::errors::KafkaError;
use kafka_playground::ids::{NodeId, TopicPartition};
use kafka_playground::protocol::{FetchPartition, FetchPartitionResponse, Msg};

fn tp(topic: &str) -> TopicPartition {
    TopicPartition::new(topic, 0)
}

fn broker(c: &Cluster, id: i32) -> Broker {
    c.sim().brokers[&id].process.clone().expect("running")
}

/// Asks broker `to` one replica fetch from broker `from` and returns its answer for the partition.
fn follower_fetch(c: &Cluster, to: i32, from: i32, fp: FetchPartition) -> FetchPartitionResponse {
    follower_fetch_on(c, broker(c, to), from, fp)
}

fn follower_fetch_on(c: &Cluster, mut b: Broker, from: i32, fp: FetchPartition) -> FetchPartitionResponse {
    let mut out = Out::default();
    let epoch = c.sim().controller.brokers[&from].broker_epoch;
    b.on_message(
        c.now(),
        NodeId::Broker(from),
        Msg::Fetch { replica: from, broker_epoch: epoch, session: 77, partitions: vec![fp] },
        &mut out,
    );
    for e in out.effects {
        if let Effect::Send { msg: Msg::FetchResponse { mut partitions, .. }, .. } = e {
            return partitions.remove(0);
        }
    }
    panic!("no FetchResponse");
}

#[test]
fn a_follower_asking_with_a_newer_leader_epoch_gets_unknown_leader_epoch_even_from_a_replica_that_does_not_lead() {
    // Partition.getLocalLog: checkCurrentLeaderEpoch comes before `requireLeader && !isLeader`.
    let mut c = cluster(1, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.run(500);
    let epoch = c.partition("orders").leader_epoch;
    let fp =
        |e: i32| FetchPartition { tp: tp("orders"), current_leader_epoch: e, fetch_offset: 0, last_fetched_epoch: -1, log_start_offset: 0 };
    assert_eq!(follower_fetch(&c, 2, 3, fp(epoch + 1)).error, KafkaError::UNKNOWN_LEADER_EPOCH);
    assert_eq!(follower_fetch(&c, 2, 3, fp(epoch)).error, KafkaError::NOT_LEADER_OR_FOLLOWER);
}

#[test]
fn a_follower_fetch_below_the_leaders_log_start_gets_offset_out_of_range_even_when_its_epoch_diverges() {
    // Partition.readRecords: "If fetch offset is less than log start, fail with
    // OffsetOutOfRangeException, regardless of whether epochs are diverging".
    let mut c = cluster(2, 3, &[("log.retention.check.interval.ms", v(1_000))], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[("segment.bytes", v(300)), ("retention.bytes", v(300))]);
    c.produce("orders", "epoch-0", 3);
    c.run(1_000);
    c.apply(Command::CrashBroker { broker: 1, keep_page_cache: true });
    assert!(c.run_until(|s| s.controller.partitions[&tp("orders")].leader == 2, 15_000));
    c.produce("orders", "epoch-1", 1);
    c.run(200);
    // The leader's epoch cache before retention moved the log start (Kafka truncates the cache from
    // the start asynchronously, truncateFromStartAsyncFlush: a fetch can meet it untruncated).
    let cache = broker(&c, 2).disk.logs[&tp("orders")].epoch_cache.clone();
    for _ in 0..20 {
        c.produce("orders", "epoch-1", 2);
        c.run(200);
    }
    c.run(2_000);
    let mut leader = broker(&c, 2);
    let log = leader.disk.logs.get_mut(&tp("orders")).unwrap();
    log.epoch_cache = cache;
    let (e0_end, lso) = (log.epoch_cache.end_offset_for(0, log.log_end_offset()).1, log.log_start_offset());
    assert!(lso > e0_end + 1, "retention moved the log start ({lso}) past epoch 0's end ({e0_end})");
    let epoch = c.partition("orders").leader_epoch;
    let fp = FetchPartition {
        tp: tp("orders"),
        current_leader_epoch: epoch,
        fetch_offset: e0_end + 1,
        last_fetched_epoch: 0,
        log_start_offset: 0,
    };
    let r = follower_fetch_on(&c, leader, 3, fp);
    assert_eq!((r.error, r.diverging_epoch), (KafkaError::OFFSET_OUT_OF_RANGE, None));
}

#[test]
fn right_after_an_election_list_offsets_latest_is_offset_not_available_until_the_new_leaders_hw_reaches_its_epoch_start() {
    // Partition.fetchOffsetForTimestamp: leaderEpochStartOffsetOpt > highWatermark → LATEST fails
    // with OFFSET_NOT_AVAILABLE (a consumer retries); EARLIEST is answered.
    let mut c = cluster(3, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.run(500);
    c.produce("orders", "x", 5);
    // The followers have the records but not yet the HW (they learn it one fetch later): from
    // now on the leader's answers are lost, and broker 3 cannot reach broker 2 either.
    assert!(c.run_until(|s| [2, 3].iter().all(|b| s.brokers[b].disk().logs[&tp("orders")].log_end_offset() == 5), 2_000));
    for (a, b) in [(1, 2), (1, 3), (3, 2)] {
        c.apply(Command::CutLink { from: NodeId::Broker(a), to: NodeId::Broker(b), one_way: true });
    }
    c.apply(Command::CrashBroker { broker: 1, keep_page_cache: true });
    assert!(c.run_until(|s| s.brokers[&2].process.as_ref().is_some_and(|p| p.partitions[&tp("orders")].is_leader()), 15_000));
    let mut b = broker(&c, 2);
    let log = &b.disk.logs[&tp("orders")];
    assert!(log.high_watermark() < 5, "the new leader's HW {} is below its epoch start 5", log.high_watermark());
    let epoch = c.partition("orders").leader_epoch;
    let mut ask = |ts: i64| {
        let mut out = Out::default();
        let msg = Msg::ListOffsets { correlation_id: 9, tp: tp("orders"), timestamp: ts, current_leader_epoch: epoch };
        b.on_message(c.now(), NodeId::Consumer(1), msg, &mut out);
        out.effects
            .into_iter()
            .find_map(|e| match e {
                Effect::Send { msg: Msg::ListOffsetsResponse { error, offset, .. }, .. } => Some((error, offset)),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(ask(-1).0, KafkaError::OFFSET_NOT_AVAILABLE);
    assert_eq!(ask(-2), (KafkaError::NONE, 0));
}

fn event_times(c: &Cluster, needle: &str) -> Vec<i64> {
    c.sim().events.iter().filter(|e| e.message.contains(needle)).map(|e| e.time_ms).collect()
}

#[test]
fn a_follower_takes_the_leaders_log_start_offset_from_a_fetch_response_before_deleting_its_own_segments() {
    // ReplicaFetcherThread.processPartitionData → maybeIncrementLogStartOffset(LeaderOffsetIncremented).
    let mut c = cluster(4, 3, &[], &[]);
    c.apply(Command::SetBrokerConfig { broker: Some(1), key: "log.retention.check.interval.ms".into(), value: v(1_000) });
    c.topic("orders", &[&[1, 2, 3]], &[("segment.bytes", v(300)), ("retention.bytes", v(300))]);
    for _ in 0..20 {
        c.produce("orders", "x", 2);
        c.run(200);
    }
    c.run(1_500);
    let lso = c.sim().brokers[&1].disk().logs[&tp("orders")].log_start_offset();
    assert!(lso > 0, "the leader's retention moved its log start");
    for b in [2, 3] {
        let log = &c.sim().brokers[&b].disk().logs[&tp("orders")];
        assert_eq!(log.log_start_offset(), lso, "broker {b} follows the leader's log start");
        assert!(log.segments()[0].base_offset < lso, "broker {b}'s own retention check has not run yet");
    }
}

#[test]
fn retention_of_a_compact_delete_topic_runs_in_the_cleaner_thread_not_in_the_retention_task() {
    // LogManager.cleanupLogs skips compacted logs; LogCleaner.cleanOrSleep runs deleteOldSegments on them.
    let mut c = cluster(5, 3, &[("log.retention.check.interval.ms", v(1_000)), ("log.cleaner.backoff.ms", v(1_000_000_000))], &[]);
    c.topic("events", &[&[1, 2, 3]], &[("cleanup.policy", v("compact,delete")), ("retention.ms", v(2_000)), ("segment.bytes", v(200))]);
    for i in 0..30 {
        c.apply(Command::Produce {
            topic: "events".into(),
            partition: None,
            key: Some(format!("k{i}")),
            value: Some("v".into()),
            count: 1,
            tombstone: false,
        });
        c.run(50);
    }
    c.run(10_000);
    assert!(event_times(&c, "deletes segment").is_empty(), "the retention task deleted a compacted log's segment");
    c.apply(Command::SetBrokerConfig { broker: None, key: "log.cleaner.backoff.ms".into(), value: v(1_000) });
    c.run(3_000);
    assert!(!event_times(&c, "deletes segment").is_empty(), "the cleaner thread applies retention.ms");
}

#[test]
fn flush_ms_alone_forces_no_fsync_once_the_flushers_first_run_is_over_unless_log_flush_scheduler_interval_ms_is_set() {
    // LogManager schedules kafka-log-flusher 30 s after start, then every
    // log.flush.scheduler.interval.ms (Kafka's default Long.MAX: never again).
    let mut c = cluster(6, 3, &[("log.flush.interval.ms", v(1_000))], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.run(35_000);
    c.produce("orders", "x", 5);
    c.run(5_000);
    let unflushed = |c: &Cluster| c.sim().brokers[&1].disk().logs[&tp("orders")].unflushed_messages();
    assert_eq!(unflushed(&c), 5, "no flusher run after the first");
    c.apply(Command::SetBrokerConfig { broker: None, key: "log.flush.scheduler.interval.ms".into(), value: v(500) });
    c.run(1_000);
    assert_eq!(unflushed(&c), 0, "flush.ms=1000 applies once the flusher runs");
}

#[test]
fn after_an_unclean_election_the_new_leader_reports_recovered_with_its_first_isr_expansion() {
    // Partition.makeLeader marks the partition RECOVERED locally and sends nothing for it; the
    // next AlterPartition (the first ISR expansion) carries RECOVERED to the controller.
    let c = jepsen_2013(1, true, true, false);
    let recovered = event_times(&c, "reports RECOVERED with its AlterPartition");
    assert_eq!(recovered.len(), 1, "{}", c.dump_events());
    let expansion = event_times(&c, "commits ISR of jepsen-0 [2] → [2,3]");
    assert_eq!(expansion.first(), recovered.first(), "reported with the ISR expansion");
    assert!(!c.partition("jepsen").leader_recovering);
}
