//! Every stop of every guided scenario tells the truth: played to the stop's `at_ms` as
//! the page plays it, the run shows what the stop's `expect` claims (invariants violated
//! or holding, leaders, ISR, ELR, epochs, high watermarks, errors the producer received,
//! counts, event-log lines). Checked with the seed the page uses (the file's `seed`) and
//! with three other seeds, so a story does not hold by the luck of one seed. Numbers that
//! depend on the run are `{placeholders}` in the text, filled from the run at the stop.
//!
//! `NARRATION_FACTS=path cargo test --release --test integration guided_stops::print_the_facts_at_every_stop
//! -- --ignored` writes what the run shows at every stop (for writing a stop's `expect`).
use crate::common::guided_scenarios;
use kafka_playground::ids::NO_LEADER;
use kafka_playground::page::playground::Playground;
use kafka_playground::scenario::Scenario;
use serde_json::{json, Map, Value};

/// Stories that truly depend on their seed, checked with the page's seed only:
/// - rack-loss: the topic is created without an assignment, so its replica placement (which
///   partitions broker 1 and 2 lead, which brokers take over) is random, as Kafka's is, and
///   the story names the partitions and brokers of the page's seed;
/// - controller-failover: which controller wins each KRaft election follows from the voters'
///   randomised election timeouts (Raft's), and the story names the winners and their times.
const SEED_DEPENDENT: &[&str] = &["rack-loss", "controller-failover"];

/// The page's seed (the file's `seed`, as `Playground::new(text, None)` uses it) and three
/// others (the page's seed alone for the stories of [`SEED_DEPENDENT`]).
fn seeds(file: &str, text: &str) -> Vec<u64> {
    let page = Scenario::parse(text).unwrap().seed;
    let mut s = vec![page];
    if !SEED_DEPENDENT.contains(&file) {
        s.extend([1, 2, 3, 4].into_iter().filter(|x| *x != page).take(3));
    }
    s
}

/// Plays `text` with `seed` and calls `at_stop` at every narration stop, at its `at_ms`.
fn play_stops(text: &str, seed: u64, mut at_stop: impl FnMut(usize, &mut Playground)) {
    let mut p = Playground::new(Some(text), Some(seed)).unwrap();
    for i in 0..p.scenario().narration.len() {
        let at = p.scenario().narration[i].at_ms;
        if at > p.now_ms() {
            p.advance(at - p.now_ms());
        }
        at_stop(i, &mut p);
    }
}

#[test]
fn every_guided_stop_tells_the_truth_with_the_page_seed_and_three_other_seeds() {
    let mut untrue = vec![];
    for (file, text) in guided_scenarios() {
        for seed in seeds(&file, &text) {
            play_stops(&text, seed, |i, p| {
                if let Err(e) = p.check_stop(i) {
                    let title = &p.scenario().narration[i].title;
                    untrue.push(format!("{file} (seed {seed}) narration[{i}] \"{title}\" at {} ms: {e}", p.now_ms()));
                }
            });
        }
    }
    assert!(untrue.is_empty(), "{} stop(s) claim what the run does not show:\n{}", untrue.len(), untrue.join("\n"));
}

#[test]
fn every_guided_stop_makes_claims_and_the_last_one_gives_the_counts() {
    for (file, text) in guided_scenarios() {
        let s = Scenario::parse(&text).unwrap();
        for (i, stop) in s.narration.iter().enumerate() {
            let e = stop.expect.clone().unwrap_or_else(|| panic!("{file}: narration[{i}] has no expect"));
            assert!(e != Default::default(), "{file}: narration[{i}].expect claims nothing");
        }
        let last = s.narration.last().unwrap();
        let e = last.expect.as_ref().unwrap();
        assert!(
            e.acknowledged.is_some() && e.lost_acknowledged_writes.is_some() && (e.holds.is_some() || !e.violated.is_empty()),
            "{file}: the last stop should claim the acknowledged and lost counts and the verdict"
        );
        // The counts the last stop quotes come from the run, not from the file.
        for word in ["acknowledged", "lost"] {
            let quoted = last.text.split(&format!(" {word}")).next().is_some_and(|before| before.ends_with(|c: char| c.is_ascii_digit()));
            assert!(!quoted, "{file}: the last stop quotes a literal {word} count; use {{{word}}}");
        }
    }
}

/// A stop whose claim is false fails, and the message names the claim.
#[test]
fn a_false_claim_at_a_stop_fails_with_the_claim_named() {
    let (_, text) = guided_scenarios().into_iter().find(|(f, _)| f == "quickstart").unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let stops = v["narration"].as_array_mut().unwrap();
    let last = stops.len() - 1;
    stops[last]["expect"] = json!({"leaders": {"orders-0": 1}, "violated": ["AcknowledgedWriteLost"], "errors_seen": ["NOT_ENOUGH_REPLICAS"], "events": ["no such line"]});
    let text = v.to_string();
    let mut failures = vec![];
    play_stops(&text, 42, |i, p| {
        if let Err(e) = p.check_stop(i) {
            failures.push((i, e));
        }
    });
    assert_eq!(failures.len(), 1, "{failures:?}");
    let (i, e) = &failures[0];
    assert_eq!(*i, last);
    for claim in ["leader of orders-0: expected 1, got 2", "violated: AcknowledgedWriteLost", "NOT_ENOUGH_REPLICAS", "\"no such line\""] {
        assert!(e.contains(claim), "{e} does not name {claim}");
    }
}

#[test]
fn a_bad_expect_key_or_placeholder_is_refused_with_the_field_named() {
    let scenario = |stop: Value| {
        json!({
            "topics": [{"name": "orders", "partitions": 1, "replication_factor": 3}],
            "narration": [{"at_ms": 0, "title": "t", "text": "x"}, stop]
        })
        .to_string()
    };
    let refused = |stop: Value| Scenario::parse(&scenario(stop)).map(|_| ()).unwrap_err();
    let cases = [
        (json!({"at_ms": 1, "title": "t", "text": "x", "expect": {"leader": {"orders-0": 1}}}), "narration[1].expect.leader"),
        (json!({"at_ms": 1, "title": "t", "text": "x", "expect": {"leaders": {"orders-9": 1}}}), "narration[1].expect.leaders.orders-9"),
        (
            json!({"at_ms": 1, "title": "t", "text": "x", "expect": {"leaders": {"orders-0": "two"}}}),
            "narration[1].expect.leaders.orders-0",
        ),
        (json!({"at_ms": 1, "title": "t", "text": "x", "expect": {"violated": ["DataLost"]}}), "narration[1].expect.violated"),
        (
            json!({"at_ms": 1, "title": "t", "text": "x", "expect": {"errors_seen": ["NOT_ENOUGH_REPLICA"]}}),
            "narration[1].expect.errors_seen",
        ),
        (
            json!({"at_ms": 1, "title": "t", "text": "x", "expect": {"lost_acknowledged_writes": {"least": 1}}}),
            "narration[1].expect.lost_acknowledged_writes",
        ),
        (json!({"at_ms": 1, "title": "t", "text": "x", "expect": {"isr": {"orders-0": [1, "2"]}}}), "narration[1].expect.isr.orders-0"),
        (json!({"at_ms": 1, "title": "t", "text": "x", "expect": "true"}), "narration[1].expect"),
        (json!({"at_ms": 1, "title": "t", "text": "{acked} writes"}), "narration[1].text"),
        (json!({"at_ms": 1, "title": "t", "text": "leader {leader:orders-7}"}), "narration[1].text"),
        (json!({"at_ms": 1, "title": "t", "text": "leader {leader}"}), "narration[1].text"),
        (json!({"at_ms": 1, "title": "t", "text": "a { brace"}), "narration[1].text"),
    ];
    for (stop, field) in cases {
        let e = refused(stop.clone());
        assert_eq!(e.field, field, "{stop}: {e}");
    }
    let e = refused(json!({"at_ms": 1, "title": "t", "text": "{acked} writes"}));
    assert!(e.message.contains("{acked}") && e.message.contains("{acknowledged}"), "{e}");
    // Well-formed claims and placeholders parse.
    let ok = json!({"at_ms": 1, "title": "t", "text": "{acknowledged} acknowledged, {failed} failed, {lost} lost; leader {leader:orders-0} in epoch {epoch:orders-0}, ISR {isr:orders-0}, ELR {elr:orders-0}, HW {hw:orders-0}",
        "expect": {"holds": true, "violated": [], "leaders": {"orders-0": null}, "leader_epochs": {"orders-0": 0}, "isr": {"orders-0": [1]}, "elr": {"orders-0": []},
                   "high_watermarks": {"orders-0": 0}, "errors_seen": ["NETWORK_EXCEPTION"], "errors_not_seen": ["NOT_ENOUGH_REPLICAS"],
                   "acknowledged": {"min": 1}, "failed": 0, "lost_acknowledged_writes": {"min": 0, "max": 3}, "events": ["elected"]}});
    Scenario::parse(&scenario(ok)).unwrap();
}

#[test]
fn placeholders_are_filled_from_the_run_at_the_stop() {
    let text = json!({
        "seed": 42,
        "producer_config": {"acks": "all"},
        "topics": [{"name": "orders", "partitions": 1, "replication_factor": 3, "assignment": {"0": [1, 2, 3]}}],
        "steps": [{"type": "produce", "topic": "orders", "value": "v", "count": 5}, {"type": "run", "ms": 2000},
                  {"type": "crash_broker", "broker": 1}, {"type": "run", "ms": 12000}],
        "narration": [
            {"at_ms": 0, "title": "start", "text": "leader {leader:orders-0}, ISR {isr:orders-0}"},
            {"at_ms": 14000, "title": "end", "text": "{acknowledged} acknowledged, {failed} failed, {lost} lost; leader {leader:orders-0} in epoch {epoch:orders-0}, ISR {isr:orders-0}, HW {hw:orders-0}"}
        ]
    })
    .to_string();
    let mut texts = vec![];
    play_stops(&text, 42, |i, p| texts.push(p.narration_text(i).unwrap()));
    assert_eq!(texts[0], "leader 1, ISR [1,2,3]");
    assert_eq!(texts[1], "5 acknowledged, 0 failed, 0 lost; leader 2 in epoch 1, ISR [2,3], HW 5");
}

/// What the run shows at every stop of every guided scenario, for every seed the test uses.
#[test]
#[ignore]
fn print_the_facts_at_every_stop() {
    let mut all = Map::new();
    for (file, text) in guided_scenarios() {
        let mut per_seed = Map::new();
        for seed in seeds(&file, &text) {
            let mut stops = vec![];
            let mut seen = 0;
            play_stops(&text, seed, |_, p| {
                let verdict = p.invariants();
                let sim = &p.cs.sim;
                let mut parts = Map::new();
                for (tp, st) in &sim.controller.partitions {
                    if tp.topic.starts_with("__") {
                        continue;
                    }
                    let hw = (st.leader != NO_LEADER)
                        .then(|| sim.brokers.get(&st.leader).and_then(|b| b.disk().logs.get(tp)).map(|l| l.high_watermark()))
                        .flatten();
                    parts.insert(
                        tp.to_string(),
                        json!({"leader": (st.leader != NO_LEADER).then_some(st.leader), "epoch": st.leader_epoch, "isr": st.isr, "elr": st.elr, "hw": hw}),
                    );
                }
                let mut violated: Vec<&str> = verdict.violations.iter().map(|v| v.invariant.as_str()).collect();
                violated.sort();
                violated.dedup();
                stops.push(json!({
                    "now": p.now_ms(),
                    "violated": violated,
                    "lost": verdict.lost_acknowledged_writes,
                    "acked": sim.producer.acked_count,
                    "failed": sim.producer.failed_count,
                    "errors": kafka_playground::errors::counts_by_name(&sim.producer.error_counts),
                    "partitions": parts,
                    "events": p.events_since(seen, 400).iter().map(|e| format!("{} {} {}", e.time_ms, e.node, e.message)).collect::<Vec<_>>(),
                }));
                seen = sim.events_dropped + sim.events.len();
            });
            per_seed.insert(seed.to_string(), Value::Array(stops));
        }
        all.insert(file, Value::Object(per_seed));
    }
    let path = std::env::var("NARRATION_FACTS").unwrap_or_else(|_| "/dev/stdout".into());
    std::fs::write(path, serde_json::to_string(&Value::Object(all)).unwrap()).unwrap();
}
