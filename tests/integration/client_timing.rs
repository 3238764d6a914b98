//! Client timing as Kafka's clients keep it: retry backoff (KIP-580), the new leader taken
//! from a refusal (KIP-951), and metadata refreshes that no stream of errors can starve.

use crate::common::*;
use kafka_playground::command::{Command, ElectionType};
use kafka_playground::errors::KafkaError;
use kafka_playground::ids::TopicPartition;

/// RF 3 with `min.insync.replicas=3` and broker 3 dead: once the controller fenced it
/// (broker.session.timeout.ms) and the ISR is [1,2], every acks=all write is refused with
/// NOT_ENOUGH_REPLICAS (retriable), so one send is retried for as long as we watch.
fn refused_forever(producer: &[(&str, serde_json::Value)]) -> Cluster {
    let mut c = cluster(1, 3, &[("min.insync.replicas", v(3))], producer);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.crash(3);
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].isr.len() == 2, 40_000), "the ISR never shrank");
    c.run(500);
    c.produce("orders", "x", 1);
    c
}

fn attempts_of_the_send(c: &Cluster) -> u32 {
    let s = c.sim().producer.sends.values().next_back().expect("one send");
    assert_eq!(c.sim().producer.sends.len(), 1);
    s.attempts
}

#[test]
fn a_refused_send_is_retried_after_a_backoff_that_doubles_from_retry_backoff_ms_to_retry_backoff_max_ms() {
    // Kafka (RecordAccumulator.shouldBackoff, ExponentialBackoff): the retries wait about
    // 100, 200, 400, 800 ms, then 1000 ms (±20 %): the first 5 attempts take ~1.5 s, and
    // each further second adds about one.
    let mut c = refused_forever(&[]);
    c.run(1_300);
    let early = attempts_of_the_send(&c);
    assert!((3..=5).contains(&early), "attempts in the first 1.3 s: {early}");
    c.run(8_700);
    let total = attempts_of_the_send(&c);
    assert!((11..=16).contains(&total), "attempts in 10 s: {total} (a constant 100 ms backoff would give ~90)");
    let refused = c.sim().producer.error_counts.get(&KafkaError::NOT_ENOUGH_REPLICAS).copied().unwrap_or(0);
    // Every attempt was refused with NOT_ENOUGH_REPLICAS (the last one may still be on its way).
    assert!(refused == total as u64 || refused + 1 == total as u64, "{refused} refused of {total} attempts");
}

#[test]
fn with_retry_backoff_max_ms_not_above_retry_backoff_ms_every_retry_waits_retry_backoff_ms() {
    let mut c = refused_forever(&[("retry.backoff.ms", v(500)), ("retry.backoff.max.ms", v(500))]);
    c.run(10_000);
    let total = attempts_of_the_send(&c);
    // One attempt every ~500 ms plus a round trip: about 20 in 10 s.
    assert!((17..=21).contains(&total), "attempts in 10 s: {total}");
}

#[test]
fn a_producer_takes_the_new_leader_from_a_not_leader_refusal_and_retries_there_at_once() {
    // KIP-951: after a preferred election moves orders-0 from broker 2 back to broker 1, broker 2
    // refuses the next produce with NOT_LEADER_OR_FOLLOWER and names broker 1 (CurrentLeader).
    let mut c = cluster(3, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 200.0, keys: 0 });
    c.run(1_000);
    c.apply(Command::CrashBroker { broker: 1, keep_page_cache: false });
    assert!(c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].leader == 2, 20_000), "broker 2 never led");
    c.apply(Command::RestartBroker { broker: 1 });
    assert!(
        c.run_until(|s| s.controller.partitions[&TopicPartition::new("orders", 0)].isr.contains(&1), 30_000),
        "broker 1 never rejoined"
    );
    c.run(2_000);
    c.apply(Command::ElectLeaders { topic: "orders".into(), partition: 0, election_type: ElectionType::Preferred });
    let tp = TopicPartition::new("orders", 0);
    assert!(
        c.run_until(|s| s.producer.metadata.leader(&tp).is_some_and(|(l, _)| l == 1), 2_000),
        "the producer never learnt the new leader"
    );
    let learnt = c.events_matching("learns from broker 2's answer that broker 1 leads orders-0");
    assert_eq!(learnt.len(), 1, "{}", c.dump_events());
    c.run(5_000);
    assert_eq!(c.sim().producer.failed_count, 0, "no send failed over the move");
    c.assert_no_violations();
}

#[test]
fn a_dead_leaders_stream_of_errors_does_not_starve_the_metadata_refresh_that_finds_its_successor() {
    // Kafka's Metadata.requestUpdate only marks an update as wanted; timeToAllowUpdate counts
    // from the last refresh. So once the controller has elected a new leader, the producer's
    // next refresh (at most retry.backoff.max.ms × 1.2 after the previous one) finds it.
    for seed in [1, 2, 5] {
        let mut c = cluster(seed, 3, &[("min.insync.replicas", v(1))], &[]);
        c.topic("orders", &[&[1, 2, 3]], &[]);
        c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 500.0, keys: 0 });
        c.run(2_000);
        // A killed process (the machine stays up): its connections are reset, so every retry
        // meets an error at once — the stream of errors that once starved the refresh.
        c.apply(Command::CrashBroker { broker: 1, keep_page_cache: true });
        let tp = TopicPartition::new("orders", 0);
        assert!(c.run_until(|s| s.controller.partitions[&tp].leader != 1, 20_000), "seed {seed}: no new leader");
        let elected_at = c.now();
        let new_leader = c.leader("orders").unwrap();
        assert!(
            c.run_until(|s| s.producer.metadata.leader(&tp).is_some_and(|(l, _)| l == new_leader), 1_300),
            "seed {seed}: the producer still sends to {:?} {} ms after broker {new_leader} was elected",
            c.sim().producer.metadata.leader(&tp),
            c.now() - elected_at
        );
    }
}

#[test]
fn once_every_fault_is_healed_every_send_completes_within_delivery_timeout_ms() {
    // The benchmark workload (6 brokers × 24 partitions, 500 rec/s, seed 1): broker 1 loses
    // power at 60 s and restarts at 90 s. Afterwards the automatic preferred-leader rebalance
    // moves leadership back to it; the producer must follow (a refusal names the new leader,
    // metadata refreshes are never starved), so no send stays pending past delivery.timeout.ms.
    use kafka_playground::client::producer::SendOutcome;
    use kafka_playground::page::playground::{Playground, BENCH_SCENARIO};
    let mut p = Playground::new(Some(BENCH_SCENARIO), Some(1)).unwrap();
    let start = p.cs.sim.now_ms();
    p.advance(60_000);
    p.apply(Command::CrashBroker { broker: 1, keep_page_cache: false }).unwrap();
    p.advance(30_000);
    p.apply(Command::RestartBroker { broker: 1 }).unwrap();
    // Past the first automatic rebalance (leader.imbalance.check.interval.seconds=300) and a
    // whole delivery.timeout.ms after it.
    for _ in 0..330 {
        p.advance(1_000); // in 1 s chunks, as the page plays
    }
    let sim = &p.cs.sim;
    let now = sim.now_ms();
    let limit = sim.producer.config.delivery_timeout_ms;
    let stuck: Vec<_> = sim
        .producer
        .sends
        .values()
        .filter(|s| s.outcome == SendOutcome::Pending && now - s.created_ms > limit)
        .map(|s| (s.write_id, s.partition))
        .collect();
    assert!(
        stuck.is_empty(),
        "{} sends pending for over {limit} ms at {} s, e.g. {:?}",
        stuck.len(),
        (now - start) / 1000,
        &stuck[..stuck.len().min(5)]
    );
    let healed_at = start + 90_000 + limit;
    let late_failures =
        sim.producer.sends.values().filter(|s| matches!(s.outcome, SendOutcome::Failed { at_ms, .. } if at_ms > healed_at)).count();
    assert_eq!(late_failures, 0, "sends failed long after the restart: {:?}", sim.producer.error_counts);
}

#[test]
fn with_two_of_three_brokers_killed_not_enough_replicas_comes_once_the_stuck_writes_time_out() {
    // RF 3, min.insync.replicas=2, acks=all, max.in.flight.requests.per.connection=5,
    // request.timeout.ms=30000, broker.session.timeout.ms=9000. Broker 3 dies at 5 s, broker 2
    // at 20 s. Kafka's timeline:
    // 1. the controller fences broker 2 after its session times out (≤ 9 s after its last
    //    heartbeat) and shrinks the ISR to [1];
    // 2. writes the leader appended before that wait for a high watermark that cannot move
    //    below min ISR (KAFKA-15583; DelayedProduce) and fail with REQUEST_TIMED_OUT only after
    //    request.timeout.ms, holding the connection's 5 in-flight slots until then;
    // 3. the next Produce request is refused at once: NOT_ENOUGH_REPLICAS.
    // So the first NOT_ENOUGH_REPLICAS comes about request.timeout.ms after the second kill.
    let mut c = cluster(7, 3, &[("min.insync.replicas", v(2))], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 200.0, keys: 0 });
    c.run(5_000);
    c.crash(3);
    c.run(15_000);
    let killed = c.now();
    c.crash(2);
    let tp = TopicPartition::new("orders", 0);
    assert!(c.run_until(|s| s.controller.partitions[&tp].isr == vec![1], 15_000), "the ISR never shrank to [1]");
    let fenced = c.now() - killed;
    assert!((7_000..=9_500).contains(&fenced), "ISR [1] {fenced} ms after the kill: broker.session.timeout.ms is 9000");
    let ner = |s: &kafka_playground::sim::Sim| s.producer.error_counts.get(&KafkaError::NOT_ENOUGH_REPLICAS).copied().unwrap_or(0) > 0;
    assert!(!ner(c.sim()), "refused before the ISR shrank");
    assert!(c.run_until(ner, 40_000), "no NOT_ENOUGH_REPLICAS");
    let first = c.now() - killed;
    let timed_out = c.sim().producer.error_counts.get(&KafkaError::REQUEST_TIMED_OUT).copied().unwrap_or(0);
    assert!(timed_out > 0, "the stuck writes time out first");
    assert!((28_000..=34_000).contains(&first), "first NOT_ENOUGH_REPLICAS {first} ms after the second kill (request.timeout.ms 30000)");
}

/// The time from now until the producer has counted `error` at least once.
fn ms_until_first(c: &mut Cluster, error: KafkaError, limit_ms: i64) -> Option<i64> {
    let start = c.now();
    c.run_until(|s| s.producer.error_counts.contains_key(&error), limit_ms).then(|| c.now() - start)
}

fn leader_failure_with(keep_page_cache: bool) -> Cluster {
    let mut c = cluster(4, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 20.0, keys: 0 });
    c.run(2_000);
    c.apply(Command::CrashBroker { broker: 1, keep_page_cache });
    c
}

#[test]
fn a_leader_that_loses_power_answers_nothing_so_its_producer_waits_out_request_timeout_ms() {
    // A machine without power sends no TCP reset: the requests in flight to it fail only when
    // request.timeout.ms (30 s) runs out (NetworkClient.handleTimedOutRequests), as
    // REQUEST_TIMED_OUT, never NETWORK_EXCEPTION.
    let mut c = leader_failure_with(false);
    let waited = ms_until_first(&mut c, KafkaError::REQUEST_TIMED_OUT, 40_000).expect("no REQUEST_TIMED_OUT within 40 s");
    assert!((29_000..=30_100).contains(&waited), "first REQUEST_TIMED_OUT {waited} ms after the power loss");
    assert!(!c.sim().producer.error_counts.contains_key(&KafkaError::NETWORK_EXCEPTION), "{:?}", c.sim().producer.error_counts);
    // The retries find broker 2 or 3 (elected meanwhile) and nothing acknowledged is lost.
    c.run(10_000);
    assert_ne!(c.sim().producer.metadata.leader(&TopicPartition::new("orders", 0)).map(|l| l.0), Some(1));
    assert!(c.lost().is_empty());
    c.assert_no_violations();
}

#[test]
fn a_killed_broker_process_resets_its_connections_so_its_producer_sees_network_exception_at_once() {
    // kill -9: the machine's kernel closes the dead process's sockets (RST), so the client's
    // in-flight requests fail at once (NetworkClient.processDisconnection → NETWORK_EXCEPTION).
    let mut c = leader_failure_with(true);
    let waited = ms_until_first(&mut c, KafkaError::NETWORK_EXCEPTION, 40_000).expect("no NETWORK_EXCEPTION");
    assert!(waited <= 100, "NETWORK_EXCEPTION {waited} ms after the kill");
    assert!(!c.sim().producer.error_counts.contains_key(&KafkaError::REQUEST_TIMED_OUT));
}

#[test]
fn when_one_request_times_out_the_other_requests_on_that_connection_fail_with_request_timed_out_too() {
    // NetworkClient.processTimeoutDisconnection cancels every request in flight to the node as
    // `timedOut`; Sender.handleProduceResponse answers each batch REQUEST_TIMED_OUT.
    let mut c = cluster(5, 3, &[], &[]);
    c.topic("orders", &[&[1, 2, 3], &[1, 2, 3]], &[]);
    c.produce("orders", "warm-up", 1);
    c.run(1_000);
    c.apply(Command::PauseBroker { broker: 1, ms: Some(60_000) });
    for p in [0, 1] {
        c.apply(Command::Produce {
            topic: "orders".into(),
            partition: Some(p),
            key: None,
            value: Some(format!("p{p}")),
            count: 1,
            tombstone: false,
        });
        c.run(300);
    }
    assert_eq!(c.sim().producer.in_flight_requests(), 2, "two requests in flight to the paused broker");
    ms_until_first(&mut c, KafkaError::REQUEST_TIMED_OUT, 31_000).expect("the first request never timed out");
    c.run(1);
    let errors = &c.sim().producer.error_counts;
    assert_eq!(errors.get(&KafkaError::REQUEST_TIMED_OUT), Some(&2), "{errors:?}");
    assert!(!errors.contains_key(&KafkaError::NETWORK_EXCEPTION), "{errors:?}");
}

#[test]
fn an_acks_0_producer_learns_that_its_leader_moved_when_the_old_leader_closes_its_connection() {
    // KafkaApis.handleProduceRequest closes the connection on any error of an acks=0 produce; the
    // client's disconnect handling asks for a metadata update (DefaultMetadataUpdater.
    // handleServerDisconnect), so it finds the new leader long before metadata.max.age.ms.
    let mut c = cluster(6, 3, &[], &[("acks", v("0"))]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.apply(Command::SetWorkload { topic: "orders".into(), records_per_sec: 20.0, keys: 0 });
    c.run(1_000);
    c.apply(Command::CrashBroker { broker: 1, keep_page_cache: true });
    let tp = TopicPartition::new("orders", 0);
    assert!(c.run_until(|s| s.producer.metadata.leader(&tp).is_some_and(|(l, _)| l == 2), 20_000), "never moved to broker 2");
    c.apply(Command::RestartBroker { broker: 1 });
    assert!(c.run_until(|s| s.controller.partitions[&tp].isr.contains(&1), 30_000), "broker 1 never rejoined");
    c.apply(Command::ElectLeaders { topic: "orders".into(), partition: 0, election_type: ElectionType::Preferred });
    assert!(
        c.run_until(|s| s.producer.metadata.leader(&tp).is_some_and(|(l, _)| l == 1), 2_000),
        "the acks=0 producer still writes to broker 2, which drops its records"
    );
    assert!(!c.events_matching("closes producer-1's connection: NOT_LEADER_OR_FOLLOWER on an acks=0 produce").is_empty());
}

#[test]
fn delivery_timeout_ms_below_linger_ms_plus_request_timeout_ms_is_refused_when_set_and_raised_when_defaulted() {
    use kafka_playground::config::ProducerConfig;
    // KafkaProducer.configureDeliveryTimeout.
    let mut p = ProducerConfig::default();
    let e = p.set("delivery.timeout.ms", &v(20_000)).unwrap_err();
    assert_eq!(e.error.name(), "INVALID_CONFIG");
    assert!(e.message.contains("delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms"), "{e}");
    assert_eq!(p.delivery_timeout_ms, 120_000, "a refused value leaves the config unchanged");
    // Left at its default, it is raised to the sum.
    p.set("request.timeout.ms", &v(200_000)).unwrap();
    p.set("linger.ms", &v(5)).unwrap();
    assert_eq!(p.delivery_timeout_ms, 200_005);
    // Set explicitly and large enough, it stays; a later request.timeout.ms above it is refused.
    let mut p = ProducerConfig::default();
    p.set("delivery.timeout.ms", &v(40_000)).unwrap();
    assert!(p.set("request.timeout.ms", &v(45_000)).is_err());
    assert_eq!(p.request_timeout_ms, 30_000);
}
