//! Scenario files: every shipped example runs, meets its `expect` block and
//! replays to the same trace; bad files are refused with the field named.
use kafka_playground::page::report::build_report;
use kafka_playground::scenario::{run, Scenario};

fn files() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        // scenarios/index.json is the page's catalogue of these files, not a scenario.
        .filter(|p| p.file_name().is_some_and(|n| n != "index.json"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_example_scenario_meets_its_expectations() {
    assert!(files().iter().any(|f| f.ends_with("controller-failover.json")));
    let files = files();
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let s = Scenario::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let expect = s.expect.clone().unwrap_or_else(|| panic!("{} has no expect block", f.display()));
        let cs = run(&s).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let unmet: Vec<_> = expect.check(&cs).into_iter().filter(|r| !r.ok).collect();
        assert!(unmet.is_empty(), "{}: {unmet:#?}", f.display());
    }
}

#[test]
fn the_same_scenario_twice_gives_the_same_trace_and_report() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.json")).unwrap();
    let s = Scenario::parse(&text).unwrap();
    let a = run(&s).unwrap();
    let b = run(&s).unwrap();
    assert_eq!(a.sim.trace_hash(), b.sim.trace_hash());
    let ra = serde_json::to_string(&build_report(&a.sim, &a.checker.violations, true)).unwrap();
    let rb = serde_json::to_string(&build_report(&b.sim, &b.checker.violations, true)).unwrap();
    assert_eq!(ra, rb);
    // A different seed changes the network's latencies, hence the trace.
    let mut s2 = s.clone();
    s2.seed += 1;
    assert_ne!(run(&s2).unwrap().sim.trace_hash(), a.sim.trace_hash());
}

fn error_of(text: &str) -> String {
    match Scenario::parse(text) {
        Err(e) => e.to_string(),
        Ok(s) => match run(&s) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {text}"),
        },
    }
}

#[test]
fn invalid_scenario_files_get_an_error_naming_the_field() {
    let cases = [
        ("not json", "(file): not valid JSON"),
        ("[1,2]", "(file): a scenario is a JSON object"),
        (r#"{"seeed": 1}"#, "seeed: unknown field"),
        (r#"{"brokers": 13}"#, "brokers: expected 1 to 12 brokers"),
        // KRaft places brokers without a rack in a group of their own; the legacy AdminUtils refused.
        (
            r#"{"brokers": [{"id": 1, "rack": "a"}, {"id": 2}, {"id": 3}], "broker_config": {"sim.replica.placement": "admin-utils"}, "topics": [{"name": "t"}]}"#,
            "topics[0].brokers: INVALID_REPLICA_ASSIGNMENT: Not all brokers have rack information",
        ),
        (r#"{"broker_config": {"min.insync.replicas": "two"}}"#, "broker_config.min.insync.replicas: invalid value two"),
        (r#"{"broker_config": {"log.retention.hourz": 1}}"#, "broker_config.log.retention.hourz: unknown broker config"),
        (r#"{"producer_config": {"acks": "2"}}"#, "producer_config.acks: invalid value 2"),
        (r#"{"features": {"eligible.leader.replicas.version": 7}}"#, "features.eligible.leader.replicas.version: expected 0 or 1"),
        (r#"{"topics": [{"name": "t", "replication_factor": 5}]}"#, "topics[0].replication_factor: INVALID_REPLICATION_FACTOR"),
        (r#"{"topics": [{"name": "t", "assignment": {"0": [1, 9]}}]}"#, "topics[0].assignment.0: INVALID_REPLICA_ASSIGNMENT"),
        (r#"{"steps": [{"type": "run", "ms": 10}, {"type": "crash_broker"}]}"#, "steps[1]: invalid command: missing field `broker`"),
        (r#"{"steps": [{"type": "fly"}]}"#, "steps[0]: invalid command: unknown variant `fly`"),
        (r#"{"steps": [{"type": "crash_broker", "broker": 7}]}"#, "steps[0].broker: BROKER_NOT_AVAILABLE"),
        (r#"{"steps": [{"type": "run", "ms": 1, "at_ms": -3}]}"#, "steps[0].at_ms: expected a time in ms"),
        (r#"{"steps": [{"type": "produce", "topic": "missing"}]}"#, "steps[0].topic: UNKNOWN_TOPIC_OR_PARTITION"),
        (r#"{"expect": {"lost": 1}}"#, "expect.lost: unknown expectation"),
        (r#"{"description": {"a": 1}}"#, "description: expected a string"),
        (r#"{"name": 7}"#, "name: expected a string"),
    ];
    for (text, want) in cases {
        let got = error_of(text);
        assert!(got.starts_with(want), "for {text}\n  got:  {got}\n  want: {want}…");
    }
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(5 * 1024 * 1024));
    assert!(error_of(&huge).contains("the limit is"));
    // Found by fuzzing (scenario_parser): a scenario nested 120 levels deep parsed, but the
    // link that carries it two levels deeper passed serde_json's limit of 128 and did not open.
    let deep = format!("{{\"expect\": {}1{}}}", "[".repeat(120), "]".repeat(120));
    assert!(error_of(&deep).starts_with("(file): scenario nests deeper than 64 levels"), "{}", error_of(&deep));
}
