//! Shareable runs and exports: a link reproduces the run exactly (same trace hash at the
//! same moment, same link again); malformed, oversized and hostile links are refused
//! with a message naming the problem; the exports describe the same run.
use kafka_playground::command::Command;
use kafka_playground::ids::NodeId;
use kafka_playground::page::playground::Playground;
use kafka_playground::page::share::LinkField::{self, *};
use kafka_playground::page::share::{base64url_encode, decode, encode, open, MAX_FRAGMENT_CHARS};

fn a_run() -> Playground {
    let mut p = Playground::new(None, Some(77)).unwrap();
    p.advance(2_500);
    p.apply(Command::CrashBroker { broker: 2, keep_page_cache: false }).unwrap();
    for _ in 0..3 {
        p.step();
    }
    p.advance(12_000);
    p.apply(Command::SetProducerConfig { key: "acks".into(), value: serde_json::json!("1") }).unwrap();
    p.apply(Command::CutLink { from: NodeId::Broker(1), to: NodeId::Broker(3), one_way: true }).unwrap();
    p.advance(20_000);
    p
}

fn fragment_of(json: &str) -> String {
    format!("#v1.{}", base64url_encode(json.as_bytes()))
}

#[test]
fn a_shared_link_reproduces_the_run_exactly() {
    let p = a_run();
    let link = encode(&p);
    assert!(link.starts_with("v1."), "{link}");
    assert!(link.len() < 4_000, "the default playground's link stays short: {} chars", link.len());
    let q = open(&format!("#{link}")).unwrap();
    assert_eq!(q.now_ms(), p.now_ms());
    assert_eq!(q.trace_hash_hex(), p.trace_hash_hex());
    assert_eq!(q.describe(), p.describe());
    assert_eq!(encode(&q), link, "the opened run shares the same link");
}

#[test]
fn a_link_made_after_scrubbing_back_opens_at_that_moment_with_the_rest_still_ahead() {
    let mut p = a_run();
    let end = p.now_ms();
    p.seek(end - 25_000);
    let at = p.now_ms();
    let hash_at = p.trace_hash_hex();
    let mut q = open(&encode(&p)).unwrap();
    assert_eq!((q.now_ms(), q.trace_hash_hex()), (at, hash_at));
    assert!(!q.timeline_view().at_end);
    q.seek(end);
    p.seek(end);
    assert_eq!(q.trace_hash_hex(), p.trace_hash_hex());
}

#[test]
fn a_guided_scenario_link_carries_its_story() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/acks-1-leader-failure.json")).unwrap();
    let mut p = Playground::new(Some(&text), None).unwrap();
    p.advance(5_000);
    let q = open(&encode(&p)).unwrap();
    assert_eq!(q.scenario().narration, p.scenario().narration);
    assert_eq!(q.trace_hash_hex(), p.trace_hash_hex());
}

#[test]
fn malformed_oversized_and_hostile_links_are_refused_with_a_clear_message() {
    let cases: Vec<(String, LinkField, &str)> = vec![
        ("".into(), Version, "not a playground link"),
        ("#hello".into(), Version, "not a playground link"),
        ("#v99.abc".into(), Version, "format v99"),
        ("#v1.<script>alert(1)</script>".into(), Data, "not base64url"),
        (format!("#v1.{}", "A".repeat(MAX_FRAGMENT_CHARS + 1)), Length, "limit"),
        ("#v1.AAAAA".into(), Data, "cut off"),
        (format!("#v1.{}", base64url_encode(&[0xff, 0xfe, 0x00])), Data, "UTF-8"),
        (fragment_of("[1,2,3]"), Data, "not a JSON object"),
        (fragment_of(r#"{"v":1,"scenario":{"brokers":"#), Data, "not valid JSON"),
        (fragment_of(r#"{"v":2,"scenario":{},"ops":[]}"#), Version, "v: expected 1"),
        (fragment_of(r#"{"v":1,"scenario":{"brokers":99},"ops":[]}"#), Scenario, "scenario.brokers"),
        (fragment_of(r#"{"v":1,"scenario":{"<img src=x onerror=alert(1)>":1},"ops":[]}"#), Scenario, "unknown field"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[{"type":"crash_broker","broker":"<img src=x onerror=alert(1)>"}]}"#), Op(0), "ops[0]"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[{"type":"run","ms":5}]}"#), Op(0), "time passes as numbers"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[5000, 100]}"#), Op(1), "time goes back"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[{"steps":0}]}"#), Op(0), "ops[0].steps"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[99999999999]}"#), Op(0), "ops[0]"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[],"extra":1}"#), Data, "extra: unknown field"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":{}}"#), Ops, "ops: expected a list"),
        (fragment_of(&format!(r#"{{"v":1,"scenario":{{}},"ops":[{}]}}"#, vec!["1"; 20_001].join(","))), Ops, "limit"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[],"at_ms":-1}"#), AtMs, "at_ms: expected a time"),
        // Valid shape, but the command is refused when replayed: the error names the op.
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[{"type":"crash_broker","broker":42}]}"#), Op(0), "ops[0]"),
        (fragment_of(r#"{"v":1,"scenario":{},"ops":[1000,{"type":"crash_broker","broker":42}]}"#), Op(1), "ops[1]"),
    ];
    for (frag, field, want) in cases {
        let e = match open(&frag) {
            Ok(_) => panic!("accepted {:.80}", frag),
            Err(e) => e,
        };
        let text = e.to_string();
        assert!(text.contains(want), "{:.60} → {text} (wanted {want:?})", frag);
        assert_eq!(text, e.message, "the error's text is its message");
        assert_eq!(e.field, field, "{:.60} → {text}", frag);
        assert!(text.len() < 600, "messages stay short: {text}");
    }
}

#[test]
fn a_link_whose_replay_would_take_too_long_is_refused_instead_of_freezing_the_page() {
    // A day at 1 000 records/s, and a million single events: past the budget (small here
    // to keep the test fast; the page's is MAX_REPLAY_EVENTS), refused midway.
    let day = fragment_of(
        r#"{"v":1,"scenario":{"topics":[{"name":"t"}],"steps":[{"type":"set_workload","topic":"t","records_per_sec":1000}]},"ops":[86400000]}"#,
    );
    let steps = fragment_of(r#"{"v":1,"scenario":{},"ops":[{"steps":1000000}]}"#);
    for frag in [day, steps] {
        let e = kafka_playground::page::share::open_with_budget(&frag, 50_000).err().expect("refused");
        assert_eq!(e.field, LinkField::Replay, "{e}");
        assert!(e.message.contains("too long to replay") && e.message.contains("50000"), "{e}");
    }
}

#[test]
fn decoding_keeps_the_ops_and_the_moment() {
    let p = a_run();
    let run = decode(&encode(&p)).unwrap();
    assert_eq!(run.ops, p.ops());
    assert_eq!(run.at_ms, Some(p.now_ms()));
    assert_eq!(run.scenario.get("seed").and_then(|s| s.as_u64()), Some(77));
}

#[test]
fn the_exports_describe_the_same_run() {
    let p = a_run();
    let trace: serde_json::Value = serde_json::from_str(&kafka_playground::page::export::trace_json(&p)).unwrap();
    assert_eq!(trace["trace_hash"], p.trace_hash_hex());
    assert_eq!(trace["commands"].as_array().unwrap().len(), 3);
    assert_eq!(trace["commands"][0]["command"]["type"], "crash_broker");
    assert!(trace["events"].as_array().unwrap().len() > 100);
    assert_eq!(open(trace["link"].as_str().unwrap()).unwrap().trace_hash_hex(), p.trace_hash_hex());

    let h = kafka_playground::page::export::jepsen_history(&p);
    let lines: Vec<&str> = h.lines().filter(|l| !l.starts_with(";;")).collect();
    let sends = p.cs.sim.producer.sends.len();
    let invokes = lines.iter().filter(|l| l.contains(":type :invoke, :f :send")).count();
    let completions = lines.iter().filter(|l| l.contains(":f :send") && !l.contains(":type :invoke")).count();
    assert_eq!((invokes, completions), (sends, sends), "one invoke and one completion per send");
    assert!(lines.iter().any(|l| l.contains(":type :ok, :f :send")));
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with(&format!("{{:index {i}, ")) && l.ends_with('}'), "{l}");
    }
    let times: Vec<i64> =
        lines.iter().map(|l| l.split(":time ").nth(1).unwrap().split(&[',', '}']).next().unwrap().parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "history in time order");

    let svg = kafka_playground::page::export::cluster_svg(&p);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>"));
    assert_eq!(svg.matches(r##"fill="#202124">broker-"##).count(), 3, "one header per broker");
    assert!(svg.contains("orders-0") && svg.contains("crashed"), "{svg:.400}");
    assert!(!svg.contains("<script"));
}
