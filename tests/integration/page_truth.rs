//! The engine is the page's single source of truth: the ISR order, the limits, the presets, the
//! event categories and which lines are errors come from engine views, and the page's JS keeps
//! no copy of them (no parsing of the describe text, no copied scenario, no README scrape).
use kafka_playground::page::playground::Playground;
use std::collections::BTreeMap;

/// `kafka-topics.sh --describe` read back: "topic-p" → (leader, ISR, ELR) — the parsing the page
/// no longer does, kept here to prove the structured view says the same.
type Described = BTreeMap<String, (Option<i32>, Vec<i32>, Vec<i32>)>;
fn parse_describe(text: &str) -> Described {
    let list = |s: &str| s.split(',').filter(|x| !x.is_empty()).map(|x| x.parse().unwrap()).collect::<Vec<i32>>();
    text.lines()
        .filter(|l| l.starts_with('\t'))
        .map(|l| {
            let kv: BTreeMap<&str, &str> = l.trim().split('\t').filter_map(|p| p.split_once(':')).map(|(k, v)| (k, v.trim())).collect();
            let leader = kv["Leader"].parse().ok();
            (format!("{}-{}", kv["Topic"], kv["Partition"]), (leader, list(kv["Isr"]), list(kv["Elr"])))
        })
        .collect()
}

#[test]
fn the_isr_order_the_page_shows_is_the_one_kafka_topics_describe_prints_through_a_crash_and_a_return() {
    let mut p = Playground::new(None, Some(3)).unwrap();
    let mut seen_reordered = false;
    for (at, cmd) in [
        (5_000, r#"{"type":"crash_broker","broker":1}"#),
        (25_000, r#"{"type":"crash_broker","broker":2}"#),
        (45_000, r#"{"type":"restart_broker","broker":1}"#),
        (60_000, r#"{"type":"restart_broker","broker":2}"#),
    ] {
        p.advance(at - p.now_ms());
        p.apply_json(cmd).unwrap();
        for _ in 0..8 {
            p.advance(2_500);
            let described = parse_describe(&p.describe());
            let members = p.partition_members();
            let parts = p.structure().partitions.clone();
            assert_eq!(members.len(), parts.len());
            for (m, part) in members.iter().zip(&parts) {
                let (leader, isr, elr) = &described[&format!("{}-{}", part.topic, part.partition)];
                assert_eq!((&m.leader, &m.isr, &m.elr), (leader, isr, elr), "{}-{} at {} ms", part.topic, part.partition, p.now_ms());
                let mut sorted = m.isr.clone();
                sorted.sort();
                seen_reordered |= sorted != m.isr;
            }
        }
    }
    assert!(seen_reordered, "a returning follower is appended to the ISR: some ISR was out of replica order");
}

#[test]
fn an_event_line_that_carries_a_kafka_error_says_which() {
    let mut p = Playground::new(None, Some(1)).unwrap();
    p.advance(3_000);
    p.apply_json(r#"{"type":"crash_broker","broker":2}"#).unwrap();
    p.apply_json(r#"{"type":"crash_broker","broker":3}"#).unwrap();
    p.advance(60_000);
    let events = p.events_since(0, 100_000);
    let errors: Vec<_> = events.iter().filter(|e| e.error.is_some()).collect();
    assert!(
        errors.iter().any(|e| e.error == Some("NOT_ENOUGH_REPLICAS") && e.message.contains("NOT_ENOUGH_REPLICAS")),
        "no NOT_ENOUGH_REPLICAS line"
    );
    for e in &events {
        match e.error {
            Some(name) => assert!(e.message.contains(name), "{e:?}"),
            None => assert!(!e.message.contains("NOT_ENOUGH_REPLICAS") && !e.message.contains("REQUEST_TIMED_OUT"), "{e:?}"),
        }
    }
}

/// The www/ sources, comments included.
fn page_sources() -> Vec<(String, String)> {
    let mut v: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/www"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "js"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn the_page_keeps_no_copy_of_what_the_engine_knows() {
    use kafka_playground::effects::Category;
    use kafka_playground::errors::KafkaError;
    let copies: Vec<(&str, String)> = vec![
        ("the bench scenario", r#""name":"bench""#.to_string()),
        ("a scrape of the README's config table", "README.md".to_string()),
        ("parsing of the describe text", "split('\\t')".to_string()),
        ("the broker cap", "1, 12".to_string()),
        ("the event categories", format!("'{}', '{}'", Category::ALL[0].as_str(), Category::ALL[1].as_str())),
        ("Kafka's error names", format!("'{}', '{}'", KafkaError::ALL[0].name(), KafkaError::ALL[1].name())),
    ];
    for (file, text) in page_sources() {
        for (what, needle) in &copies {
            assert!(!text.contains(needle.as_str()), "www/{file} holds {what} ({needle:?}): read it from the engine");
        }
    }
}
