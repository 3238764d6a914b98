//! The engine views the page draws its teaching moments from: countdowns, errors with their
//! reasons, ghosts of lost records, readable records and metrics that agree with the tables.
use kafka_playground::errors::KafkaError;
use kafka_playground::page::playground::Playground;

const TWO_DOWN: &str = r#"{"name":"t","seed":7,"brokers":3,"broker_config":{"min.insync.replicas":2,"replica.lag.time.max.ms":10000,"offsets.topic.num.partitions":3},"producer_config":{"acks":"all"},
"topics":[{"name":"orders","partitions":3,"replication_factor":3}],
"steps":[{"type":"set_workload","topic":"orders","records_per_sec":4,"keys":8}]}"#;

#[test]
fn after_two_of_three_brokers_die_the_producer_card_names_not_enough_replicas_with_its_reason_when_kafka_would() {
    // RF 3, min.insync.replicas=2, acks=all. Kill broker 3 at 5 s, broker 2 at 20 s. The
    // controller fences broker 2 at 20 s + broker.session.timeout.ms (9 s) = 29 s, leaving ISR
    // [1]. Writes appended before that wait in the leader's purgatory: the HW cannot advance
    // under min ISR (KAFKA-15583), so they end with REQUEST_TIMED_OUT after the request's
    // timeout (request.timeout.ms = 30 s from ~20 s), and with max.in.flight=5 per connection
    // they hold back later requests. The first NOT_ENOUGH_REPLICAS answer comes right after,
    // about 31 s after the second kill.
    let mut p = Playground::new(Some(TWO_DOWN), None).unwrap();
    p.advance(5_000);
    p.apply_json(r#"{"type":"crash_broker","broker":3}"#).unwrap();
    p.advance(15_000);
    p.apply_json(r#"{"type":"crash_broker","broker":2}"#).unwrap();
    // While the writes wait, the countdowns say why nothing happens.
    p.advance(15_000);
    let c = p.countdowns();
    assert!(c.produces.iter().any(|w| w.broker == 1 && w.remaining_ms > 0 && w.remaining_ms <= 30_000), "{:?}", c.produces);
    let first = loop {
        p.advance(100);
        let pr = p.clients().producer;
        if let Some(e) = pr.last_error.filter(|e| e.error == KafkaError::NOT_ENOUGH_REPLICAS) {
            break (p.now_ms(), e);
        }
        assert!(p.now_ms() < 60_000, "no NOT_ENOUGH_REPLICAS by 60 s");
    };
    let (at, e) = first;
    assert!((49_000..=53_000).contains(&at), "first NOT_ENOUGH_REPLICAS at {at} ms");
    assert!(e.reason.contains("ISR [1] is smaller than min.insync.replicas=2"), "{}", e.reason);
    assert!(e.retried, "the producer retries it (retries=MAX)");
    assert_eq!(e.broker, Some(1));
    // Later errors from other brokers never hide it: the card lists the latest of each error.
    p.advance(3_000);
    let pr = p.clients().producer;
    let ner = pr.recent_errors.iter().find(|r| r.last.error == KafkaError::NOT_ENOUGH_REPLICAS).expect("NOT_ENOUGH_REPLICAS still listed");
    assert!(ner.count >= 1 && ner.last.at_ms >= at, "{ner:?}");
    assert!(pr.recent_errors.windows(2).all(|w| w[0].last.at_ms >= w[1].last.at_ms), "newest first");
}

#[test]
fn a_cut_follower_shows_a_lag_countdown_that_reaches_zero_when_it_leaves_the_isr() {
    let mut p = Playground::new(Some(TWO_DOWN), None).unwrap();
    p.advance(3_000);
    let leader = p.cs.sim.controller.partitions.values().next().unwrap().leader;
    let tp = *p.cs.sim.controller.partitions.keys().next().unwrap();
    let follower = p.cs.sim.controller.partitions[&tp].replicas.iter().copied().find(|b| *b != leader).unwrap();
    p.apply_json(&format!(r#"{{"type":"cut_link","from":"broker-{leader}","to":"broker-{follower}"}}"#)).unwrap();
    let mut last_remaining = i64::MAX;
    let mut seen = false;
    for _ in 0..400 {
        p.advance(100);
        let in_isr = p.cs.sim.controller.partitions[&tp].isr.contains(&follower);
        let c = p.countdowns();
        let t = c.followers.iter().find(|f| f.broker == follower && f.topic == tp.topic && f.partition == tp.partition);
        if !in_isr {
            assert!(seen, "a countdown was shown before the follower left the ISR");
            assert_eq!(last_remaining, 0, "it had reached zero when the follower left the ISR");
            return;
        }
        // The frame the canvas draws (its draining bar) carries the same clock.
        let s = p.structure();
        let ri = s.replicas.iter().position(|r| r.topic == tp.topic && r.partition == tp.partition && r.broker == follower).unwrap();
        let (l, fields) = (s.layout.clone(), s.layout.replica_fields);
        let at = |name: &str| l.replica_offset + ri * l.replica_stride + fields.iter().position(|f| *f == name).unwrap();
        let (rem_at, lim_at) = (at("lag_remaining_ms"), at("lag_limit_ms"));
        let (frame, _) = p.frame();
        let (frame_remaining, frame_limit) = (frame[rem_at] as i64, frame[lim_at] as i64);
        assert_eq!(frame_limit, 10_000);
        if let Some(t) = t {
            seen = true;
            assert_eq!(t.limit_ms, 10_000);
            assert!(t.remaining_ms <= last_remaining, "it only counts down");
            assert_eq!(frame_remaining, t.remaining_ms, "the frame and the countdown view agree");
            last_remaining = t.remaining_ms;
        } else {
            assert_eq!(frame_remaining, -1, "no clock in the frame while it keeps up");
        }
    }
    panic!("the follower never left the ISR");
}

#[test]
fn an_unclean_election_leaves_red_ghosts_labelled_lost_after_ack_and_dismissing_hides_them() {
    let mut p = Playground::new(Some(include_str!("../../scenarios/unclean-leader-election.json")), None).unwrap();
    let end = p.scenario_end_ms();
    p.advance(end - p.now_ms() + 30_000);
    let lost = p.invariants().lost_acknowledged_writes;
    assert!(lost > 0);
    let ghosts = p.ghosts();
    let red: usize = ghosts.iter().map(|g| g.acknowledged_lost).sum();
    assert_eq!(red, lost, "every lost acknowledged write is a red ghost: {ghosts:?}");
    assert!(ghosts.iter().any(|g| g.label.starts_with("lost after ack: offset")), "{ghosts:?}");
    p.dismiss_ghosts();
    assert!(p.ghosts().is_empty());
    let t = p.now_ms();
    p.seek(t - 1);
    assert!(!p.ghosts().is_empty(), "rewinding shows them again");
}

#[test]
fn records_of_a_compacted_topic_carry_keys_values_batches_and_segment_files() {
    let mut p = Playground::new(Some(include_str!("../../scenarios/compaction.json")), None).unwrap();
    p.advance(3_000);
    let s = p.structure();
    let ri = s.replicas.iter().position(|r| !r.topic.starts_with("__")).unwrap();
    let recs = p.records(ri, 0, 64);
    assert!(!recs.is_empty());
    assert!(recs
        .iter()
        .all(|r| r.key.is_some() && r.segment.ends_with(".log") && r.segment.len() == 24 && r.batch_base_offset <= r.offset));
    assert!(p.records(ri, 0, 100_000).len() <= kafka_playground::page::record_view::MAX_RECORDS_PER_VIEW);
    assert!(p.records(usize::MAX, 0, 10).is_empty());
}

#[test]
fn consumer_lag_in_metrics_equals_the_sum_of_the_group_tables_lag() {
    let mut p = Playground::new(None, Some(5)).unwrap();
    p.advance(2_000);
    for _ in 0..2 {
        p.apply_json(r#"{"type":"start_consumer","group_id":"g","topics":["orders"]}"#).unwrap();
    }
    p.advance(20_000);
    p.apply_json(r#"{"type":"stall_consumer","consumer":1,"ms":20000}"#).ok();
    for _ in 0..10 {
        p.advance(1_700);
        let table: i64 = p.clients().groups.iter().flat_map(|g| g.partitions.iter()).filter(|x| x.lag > 0).map(|x| x.lag).sum();
        assert_eq!(p.metrics().current.consumer_lag, table);
    }
}

#[test]
fn min_insync_replicas_above_the_replication_factor_is_accepted_capped_as_kafka_does_and_explained() {
    let mut p = Playground::new(None, Some(1)).unwrap();
    p.apply_json(r#"{"type":"set_topic_config","topic":"orders","key":"min.insync.replicas","value":4}"#).unwrap();
    let w = p.config_warnings();
    assert!(w.iter().any(|x| x.contains("min.insync.replicas=4") && x.contains("the leader uses 3")), "{w:?}");
    // As Kafka does (effectiveMinIsr), writes still succeed while all three replicas are in the ISR…
    p.advance(3_000);
    assert!(p.clients().producer.acknowledged > 0);
    assert!(p.clients().producer.last_error.is_none_or(|e| e.error != KafkaError::NOT_ENOUGH_REPLICAS));
    // …and one broker down is enough to refuse them.
    p.apply_json(r#"{"type":"crash_broker","broker":3}"#).unwrap();
    p.advance(60_000);
    assert!(p.cs.sim.producer.error_counts.contains_key(&KafkaError::NOT_ENOUGH_REPLICAS));
}

#[test]
fn the_last_cleaning_names_every_record_it_removed_and_keeps_the_latest_of_each_key() {
    // The compaction scenario's third cleaning (at 33 s): compare what the storage view says it
    // removed with the records each replica held just before it.
    let mut p = Playground::new(Some(include_str!("../../scenarios/compaction.json")), None).unwrap();
    p.advance(32_900);
    let s = p.structure();
    let replicas: Vec<usize> = (0..s.replicas.len()).filter(|&i| s.replicas[i].topic == "prices").collect();
    let before: Vec<_> = replicas.iter().map(|&ri| p.records(ri, 0, 512)).collect();
    p.advance(200);
    let storage = p.storage();
    for (k, &ri) in replicas.iter().enumerate() {
        let c = storage[ri].last_cleaning.as_ref().expect("a cleaning ran at 33 s");
        assert!((32_900..=33_100).contains(&c.at_ms), "cleaned at {}", c.at_ms);
        let in_range: Vec<_> = before[k].iter().filter(|r| r.offset >= c.from && r.offset < c.to).collect();
        let after = p.records(ri, c.from, (c.to - c.from) as usize);
        let removed: Vec<i64> = c.removed.iter().map(|r| r.offset).collect();
        // Removed and kept are exactly what was there before, split.
        let mut both: Vec<i64> = removed.iter().copied().chain(after.iter().map(|r| r.offset)).collect();
        both.sort();
        assert_eq!(both, in_range.iter().map(|r| r.offset).collect::<Vec<_>>());
        assert_eq!((c.records_before, c.records_after, c.removed_count), (in_range.len(), after.len(), removed.len()));
        // Each removed record is a tombstone or has a later record of its key; each kept one is its key's latest.
        for r in &c.removed {
            let later = in_range.iter().any(|o| o.key == r.key && o.offset > r.offset);
            assert!(later || r.value.is_none(), "offset {} removed with no later {:?}", r.offset, r.key);
        }
        for r in &after {
            assert!(!in_range.iter().any(|o| o.key == r.key && o.offset > r.offset), "offset {} kept though superseded", r.offset);
        }
        assert!(c.removed.iter().any(|r| r.key.as_deref() == Some("banana") && r.value.is_none()), "the banana tombstone goes at 33 s");
    }
}

#[test]
fn the_svg_export_draws_what_the_canvas_draws_records_markers_roles_and_ghosts() {
    // The unclean election at 45 s: broker 2 leads without offsets 3–7, acknowledged and lost.
    let mut p = Playground::new(Some(include_str!("../../scenarios/unclean-leader-election.json")), None).unwrap();
    p.advance(45_000);
    let svg = kafka_playground::page::export::cluster_svg(&p);
    assert!(svg.contains("lost after ack: offsets 3–7"), "the red ghost label is drawn");
    assert!(svg.contains(r##"fill="#a50e0e">lost after ack"##), "in red");
    // One cell per record held, with the epoch colours; every replica's HW / LEO labelled as the frame has them.
    let cells = svg.matches(r##"height="20" fill="#"##).count();
    let held: usize =
        p.cs.sim
            .brokers
            .values()
            .flat_map(|b| b.disk().logs.values())
            .filter(|l| !l.tp.topic.starts_with("__"))
            .map(|l| l.records().iter().filter(|r| r.value.is_some() && r.offset >= (l.log_end_offset() - 48).max(0)).count())
            .sum();
    assert!(cells >= held && held > 0, "{cells} cells for {held} records");
    let s = p.structure();
    let (frame, _) = p.frame();
    let (l, f) = (&s.layout, s.layout.replica_fields);
    let at = |ri: usize, name: &str| frame[l.replica_offset + ri * l.replica_stride + f.iter().position(|x| *x == name).unwrap()] as i64;
    for (ri, r) in s.replicas.iter().enumerate().filter(|(_, r)| !r.topic.starts_with("__")) {
        let (hw, leo) = (at(ri, "high_watermark"), at(ri, "log_end_offset"));
        let label = if hw == leo { format!("HW = LEO {leo}") } else { format!("HW {hw} · LEO {leo}") };
        assert!(svg.contains(&label), "broker {}: {label} missing", r.broker);
    }
    assert!(svg.contains("★ leader · epoch"), "roles in words");
    // The title line fits: the picture is at least as wide as its longest line of words.
    let width: f64 = svg.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(width >= 900.0, "width {width}");
}

#[test]
fn a_consumer_card_names_the_errors_it_received_with_their_reasons() {
    let mut p = Playground::new(None, Some(5)).unwrap();
    p.apply_json(r#"{"type":"start_consumer","group_id":"g","topics":["orders"]}"#).unwrap();
    p.advance(6_000);
    assert!(p.clients().consumers[0].recent_errors.is_empty(), "a quiet member has no errors");
    // A second member joins: the first learns of the rebalance from its heartbeat (REBALANCE_IN_PROGRESS).
    p.apply_json(r#"{"type":"start_consumer","group_id":"g","topics":["orders"]}"#).unwrap();
    p.advance(6_000);
    let first = &p.clients().consumers[0];
    let r = first.recent_errors.iter().find(|r| r.last.error == KafkaError::REBALANCE_IN_PROGRESS).expect("REBALANCE_IN_PROGRESS listed");
    assert!(r.last.reason.contains("rebalance") && r.last.about == "group g", "{:?}", r.last);
    // Its coordinator loses power: nothing answers, the next request times out (request.timeout.ms,
    // 30 s) and the card says the coordinator is lost.
    let coordinator = first.coordinator.expect("a coordinator");
    p.apply_json(&format!(r#"{{"type":"crash_broker","broker":{coordinator}}}"#)).unwrap();
    p.advance(35_000);
    let first = &p.clients().consumers[0];
    assert!(
        first.recent_errors.iter().any(|r| r.last.reason.contains(&format!("broker {coordinator} did not serve the group"))),
        "{:?}",
        first.recent_errors
    );
    assert!(first.recent_errors.windows(2).all(|w| w[0].last.at_ms >= w[1].last.at_ms), "newest first");
}

#[test]
fn a_request_to_a_broker_without_power_shows_its_request_timeout_countdown() {
    // The leader loses power with writes in flight: nothing answers, so the producer's wait is
    // the engine's request.timeout.ms timer, and the timers panel must say so.
    let mut p = Playground::new(None, Some(5)).unwrap();
    p.apply_json(r#"{"type":"set_workload","topic":"orders","records_per_sec":50}"#).unwrap();
    p.advance(3_000);
    p.apply_json(r#"{"type":"crash_broker","broker":1}"#).unwrap();
    p.advance(5_000);
    let c = p.countdowns();
    let r = c.requests.iter().find(|r| r.broker == 1).unwrap_or_else(|| panic!("no request countdown: {:?}", c.requests));
    assert!(r.client == "producer-1" && r.requests >= 1 && r.limit_ms == 30_000, "{r:?}");
    assert!((24_000..=29_000).contains(&r.remaining_ms), "{r:?}");
}
