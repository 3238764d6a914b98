//! Fuzz entry points: every decoder that reads text from outside (scenario files, the
//! page's `Command` JSON, shared-run URL fragments, narration targets), driven by raw
//! bytes. None of them may panic on any input; where decoding succeeds the result is
//! exercised a little (re-encoded and decoded again, run for a bounded time, shared
//! and reopened), and a broken promise is a panic here.
//!
//! Two drivers call these functions: the cargo-fuzz crate in `fuzz/` (coverage-guided,
//! nightly, long runs) and `tests/integration/fuzz_short.rs` (a seeded mutation fuzzer on stable,
//! part of `npm test`). See docs/fuzzing.md.
//!
//! Every iteration is bounded: simulated time is capped at [`RUN_CAP_MS`] per run and
//! replay at [`EVENT_BUDGET`] events, so one input costs milliseconds.

use crate::command::{Command, MAX_RUN_MS};
use crate::page::playground::Playground;
use crate::page::share;
use crate::scenario::{LookAt, Scenario};

/// Longest simulated time one fuzz iteration runs a playground for.
pub const RUN_CAP_MS: i64 = 2_000;
/// Longest simulated time one `run` / `run_until` command of a fuzz input may cover.
pub const COMMAND_RUN_CAP_MS: i64 = 200;
/// Most events one fuzz iteration processes after start-up (replays included).
pub const EVENT_BUDGET: u64 = 20_000;
/// Most commands `command_apply` applies from one input.
pub const MAX_COMMANDS: usize = 8;

/// A fuzz target: its name (the cargo-fuzz target's) and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target, by name.
pub const TARGETS: &[Target] = &[
    ("scenario_parser", scenario_parser),
    ("command_decoder", command_decoder),
    ("command_apply", command_apply),
    ("url_fragment", url_fragment),
    ("share_round_trip", share_round_trip),
    ("narration_target", narration_target),
];

/// `Scenario::parse` on the bytes (UTF-8, lossily). A scenario that parses is played as
/// the page plays it (`Playground::new`, then bounded time), its views are built, and its
/// share link must decode and reopen to the same moment with the same trace hash.
pub fn scenario_parser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(s) = Scenario::parse(&text) else { return };
    let (timeline, end_ms) = s.timeline(0);
    assert!(timeline.iter().all(|(t, _)| *t <= end_ms), "scenario timeline goes past its end ({end_ms} ms)");
    let _ = s.cluster_spec();
    let Ok(mut p) = Playground::new(Some(&text), None) else { return };
    run_bounded(&mut p, RUN_CAP_MS);
    exercise_views(&mut p);
    check_link(&p);
}

/// `Command::from_json` on the bytes (UTF-8, lossily): the same answer as serde's derive
/// (`proof::command_reference`), from the text and from its JSON value. A command that decodes must
/// re-encode to JSON that decodes to the same command, through text (the page) and
/// through `serde_json::Value` (scenario steps and shared links alike).
pub fn command_decoder(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // The hand-written decoder gives what serde's derive gave: the command or the message.
    crate::proof::command_reference::check_decoder(&text);
    let parsed = Command::from_json(&text);
    // Scenario steps and links decode from a `Value`: same answer for the same object.
    let value = serde_json::from_str::<serde_json::Value>(&text).ok();
    let via_value = value.map(Command::from_value);
    let Ok(c) = parsed else { return };
    if let Some(v) = via_value {
        assert_eq!(v.as_ref(), Ok(&c), "a command decodes differently from text and from a JSON value: {text}");
    }
    let json = c.to_json();
    assert_eq!(Command::from_json(&json).as_ref(), Ok(&c), "command does not survive to_json/from_json: {json}");
    let v = serde_json::to_value(&c).expect("a command is a JSON value");
    assert_eq!(Command::from_value(v).as_ref(), Ok(&c), "command does not survive to_value/from_value: {json}");
}

/// Up to [`MAX_COMMANDS`] commands, one JSON object per line, applied to a fresh default
/// playground (seeded by the first line's length) with bounded runs; then the views,
/// time travel (seek back and forward must land on the same trace hash) and the share
/// link (must reopen to the same moment and trace hash).
pub fn command_apply(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let commands: Vec<Command> = text.lines().take(MAX_COMMANDS).filter_map(|l| Command::from_json(l).ok()).collect();
    if commands.is_empty() {
        return;
    }
    let seed = text.lines().next().map(|l| l.len() as u64).unwrap_or(0);
    let mut p = Playground::new(None, Some(seed)).expect("the default playground starts");
    let start = p.cs.sim.events_processed;
    for c in commands {
        let c = bounded_command(c, p.now_ms());
        let _ = p.apply(c);
        if p.cs.sim.events_processed - start > EVENT_BUDGET {
            break;
        }
        run_bounded(&mut p, COMMAND_RUN_CAP_MS);
    }
    exercise_views(&mut p);
    // Time travel: back to the middle and forward again gives the same state.
    let (end_ms, hash) = (p.now_ms(), p.trace_hash_hex());
    let start_ms = p.timeline_view().start_ms;
    p.seek(start_ms + (end_ms - start_ms) / 2);
    p.seek(end_ms);
    assert_eq!((p.now_ms(), p.trace_hash_hex()), (end_ms, hash), "seek back and forth changed the run");
    check_link(&p);
}

/// `share::decode` and `share::open_with_budget` on the bytes as a fragment (UTF-8,
/// lossily) and on the bytes as a link's JSON (wrapped as `v1.<base64url>`, so that a
/// coverage-guided fuzzer can mutate the JSON directly). A link that opens must share
/// again as a link that reopens to the same moment and trace hash. Also base64url:
/// encoding any bytes and decoding gives them back.
pub fn url_fragment(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    open_fragment(&text);
    let b64 = share::base64url_encode(data);
    assert_eq!(share::base64url_decode(&b64).as_deref(), Ok(data), "base64url does not round-trip");
    open_fragment(&format!("v1.{b64}"));
    if let Some((_, d)) = text.split_once('.') {
        if let Ok(bytes) = share::base64url_decode(d) {
            assert!(bytes.len() <= d.len() * 3 / 4, "base64url decoded to more bytes than it can hold");
        }
    }
}

/// A run built from the bytes (seed, commands from a fixed menu, time passing, single
/// events, seeks, undo), then `share::encode` → `share::decode` → `share::open`: the
/// decoded ops are the run's ops, and the reopened run is the same moment with the same
/// trace hash and the same link.
pub fn share_round_trip(data: &[u8]) {
    let mut bytes = data.iter().copied();
    let mut next = move || bytes.next();
    let seed = next().unwrap_or(0) as u64;
    let mut p = Playground::new(None, Some(seed)).expect("the default playground starts");
    let start = p.cs.sim.events_processed;
    while let Some(op) = next() {
        if p.cs.sim.events_processed - start > EVENT_BUDGET || p.ops().len() > 64 {
            break;
        }
        let arg = next().unwrap_or(0);
        match op % 8 {
            0 | 1 => {
                p.advance(arg as i64 * 20);
            }
            2 => {
                for _ in 0..(arg % 8) {
                    p.step();
                }
            }
            3 => {
                let end = p.timeline_view().end_ms;
                let start = p.timeline_view().start_ms;
                p.seek(start + (end - start) * arg as i64 / 255);
            }
            4 => {
                p.undo();
            }
            _ => {
                let _ = p.apply(menu_command(arg, next().unwrap_or(0)));
            }
        }
    }
    check_link(&p);
}

/// `LookAt::parse` (a guided scenario's `look_at` targets) on the bytes (UTF-8, lossily).
pub fn narration_target(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = LookAt::parse(&text) {
        serde_json::to_string(&t).expect("a target serializes");
    }
}

// ------------------------------------------------------------------ helpers

/// Runs the playground for up to `ms` of simulated time, in slices, stopping early
/// once [`EVENT_BUDGET`] events are processed.
fn run_bounded(p: &mut Playground, ms: i64) {
    let start = p.cs.sim.events_processed;
    let until = p.now_ms() + ms;
    while p.now_ms() < until && p.cs.sim.events_processed - start <= EVENT_BUDGET {
        p.advance((until - p.now_ms()).min(50));
    }
}

/// Caps the simulated time a valid `run` / `run_until` covers (invalid ones are kept:
/// their rejection is part of what is tested).
fn bounded_command(c: Command, now: i64) -> Command {
    match c {
        Command::Run { ms } if (0..=MAX_RUN_MS).contains(&ms) => Command::Run { ms: ms.min(COMMAND_RUN_CAP_MS) },
        Command::RunUntil { time_ms } if time_ms >= now && time_ms - now <= MAX_RUN_MS => {
            Command::RunUntil { time_ms: time_ms.min(now + COMMAND_RUN_CAP_MS) }
        }
        c => c,
    }
}

/// A command from a fixed menu (what the page's buttons send), with `arg` for its target.
fn menu_command(which: u8, arg: u8) -> Command {
    use crate::command::DiskFault;
    use crate::ids::NodeId;
    use serde_json::json;
    let broker = (arg % 4) as i32; // 0 is no broker: refused
    match which % 21 {
        0 => Command::CrashBroker { broker, keep_page_cache: arg & 0x80 != 0 },
        1 => Command::RestartBroker { broker },
        2 => Command::ShutdownBroker { broker },
        3 => Command::PauseBroker { broker, ms: (arg & 0x40 != 0).then_some(arg as i64 * 10) },
        4 => Command::ResumeBroker { broker },
        5 => Command::CutLink { from: NodeId::Broker(broker), to: NodeId::Controller, one_way: arg & 0x80 != 0 },
        6 => Command::Isolate { node: NodeId::Broker(broker) },
        7 => Command::HealAll,
        8 => Command::SetProducerConfig { key: "acks".into(), value: json!(["0", "1", "all"][arg as usize % 3]) },
        9 => Command::SetBrokerConfig { broker: None, key: "min.insync.replicas".into(), value: json!(arg % 4) },
        10 => Command::Produce {
            topic: "orders".into(),
            partition: Some(arg as u32 % 4),
            key: Some(format!("k{arg}")),
            value: None,
            count: arg as u32 % 5 + 1,
            tombstone: false,
        },
        11 => Command::AlterPartitionReassignments {
            topic: "orders".into(),
            partition: arg as u32 % 4,
            // Bits pick a target among brokers 0..=4 (0 and 4 are not registered: refused); none is a cancel.
            replicas: (arg & 0x80 == 0).then(|| (0..5).filter(|b| arg & (1 << b) != 0).collect()),
            throttle: (arg & 0x20 != 0).then_some(arg as i64 * 100),
        },
        13 => Command::AddBroker { broker: (arg & 0x40 != 0).then_some(arg as i32 % 8), rack: None },
        14 => Command::UnregisterBroker { broker },
        15 => Command::SlowDisk { broker, write_latency_ms: (arg as i64 % 4) * 20_000 },
        17 => Command::DiskFault {
            broker,
            fault: [DiskFault::Full, DiskFault::Failed, DiskFault::SpaceFreed, DiskFault::Replaced][(arg as usize >> 2) % 4],
        },
        18 => Command::CreatePartitions { topic: "orders".into(), count: arg as u32 % 9 },
        19 => Command::RollingRestart { hasty: arg & 1 == 1 },
        20 => Command::DecommissionBroker { broker },
        12 => Command::DeleteRecords { topic: "orders".into(), partition: arg as u32 % 4, offset: arg as i64 % 40 - 2 },
        _ => Command::ElectLeaders {
            topic: "orders".into(),
            partition: arg as u32 % 4,
            election_type: if arg & 1 == 0 { crate::command::ElectionType::Preferred } else { crate::command::ElectionType::Unclean },
        },
    }
}

/// Builds every view the page reads (and serializes them as the wasm facade does).
fn exercise_views(p: &mut Playground) {
    fn json<T: serde::Serialize>(v: &T) {
        serde_json::to_string(v).expect("a view serializes");
    }
    json(&p.structure());
    let _ = p.frame();
    json(&p.invariants());
    json(&p.storage());
    json(&p.metrics());
    json(&p.clients());
    json(&p.audit());
    json(&p.controller_quorum());
    json(&p.timeline_view());
    json(&p.events_since(0, 200));
    json(&p.configs());
    let _ = p.describe();
    let _ = p.describe_groups();
    let _ = crate::page::export::jepsen_history(p);
    let _ = crate::page::export::cluster_svg(p);
}

/// The playground's share link decodes to its own ops and moment, and reopens to the
/// same moment with the same trace hash and the same link.
fn check_link(p: &Playground) {
    let link = share::encode(p);
    let run = match share::decode(&link) {
        Ok(run) => run,
        // A run can outgrow a link; anything else is a link we made and cannot read.
        Err(e) if link.len() > share::MAX_FRAGMENT_CHARS => {
            assert!(e.field == share::LinkField::Length && e.message.contains("limit"), "{e}");
            return;
        }
        Err(e) => panic!("a link made by encode() does not decode: {e}\nlink: #{link}"),
    };
    assert_eq!(run.ops, p.ops(), "the link's ops are not the run's ops");
    assert_eq!(run.at_ms, Some(p.now_ms()));
    // Opened as the page opens it (with the page's replay budget).
    let q = share::open(&link).unwrap_or_else(|e| panic!("a link made by encode() does not open: {e}\nlink: #{link}"));
    assert_eq!((q.now_ms(), q.trace_hash_hex()), (p.now_ms(), p.trace_hash_hex()), "the link does not reproduce the run\nlink: #{link}");
    assert_eq!(share::encode(&q), link, "the reopened run shares a different link");
}

fn open_fragment(fragment: &str) {
    let Ok(run) = share::decode(fragment) else { return };
    assert!(run.ops.len() <= share::MAX_SHARED_OPS);
    let Ok(p) = share::open_with_budget(fragment, EVENT_BUDGET) else { return };
    check_link(&p);
}

// ------------------------------------------------------------------ seed corpus

/// Sample commands (one JSON object each), one of every kind, as the page and the
/// scenario files write them.
pub fn sample_commands() -> Vec<String> {
    [
        r#"{"type":"create_topic","name":"t","partitions":2,"replication_factor":3,"config":{"cleanup.policy":"compact"}}"#,
        r#"{"type":"create_topic","name":"a","assignment":{"0":[1,2],"1":[2,3]}}"#,
        r#"{"type":"produce","topic":"orders","partition":0,"key":"k","value":"v","count":3}"#,
        r#"{"type":"produce","topic":"orders","key":"k","tombstone":true}"#,
        r#"{"type":"crash_broker","broker":2}"#,
        r#"{"type":"crash_broker","broker":1,"keep_page_cache":true}"#,
        r#"{"type":"restart_broker","broker":2}"#,
        r#"{"type":"shutdown_broker","broker":3}"#,
        r#"{"type":"pause_broker","broker":1,"ms":5000}"#,
        r#"{"type":"resume_broker","broker":1}"#,
        r#"{"type":"crash_controller"}"#,
        r#"{"type":"crash_controller","controller":3001}"#,
        r#"{"type":"restart_controller","controller":3000}"#,
        r#"{"type":"cut_link","from":1,"to":"controller","one_way":true}"#,
        r#"{"type":"heal_link","from":"broker-1","to":"controller-3000"}"#,
        r#"{"type":"isolate","node":"broker-2"}"#,
        r#"{"type":"heal_all"}"#,
        r#"{"type":"slow_link","from":1,"to":2,"extra_latency_ms":300}"#,
        r#"{"type":"set_link_loss","from":"producer-1","to":1,"loss":0.5}"#,
        r#"{"type":"set_network","min_latency_ms":1,"max_latency_ms":10,"loss":0.01}"#,
        r#"{"type":"set_broker_config","broker":1,"key":"replica.lag.time.max.ms","value":1000}"#,
        r#"{"type":"set_broker_config","key":"unclean.leader.election.enable","value":true}"#,
        r#"{"type":"set_topic_config","topic":"orders","key":"retention.ms","value":null}"#,
        r#"{"type":"set_producer_config","key":"acks","value":"1"}"#,
        r#"{"type":"elect_leaders","topic":"orders","partition":0,"election_type":"preferred"}"#,
        r#"{"type":"set_workload","topic":"orders","records_per_sec":50,"keys":4}"#,
        r#"{"type":"start_reader","topic":"orders","partition":1}"#,
        r#"{"type":"start_consumer","group_id":"g","topics":["orders"],"config":{"session.timeout.ms":6000}}"#,
        r#"{"type":"stop_consumer","consumer":1}"#,
        r#"{"type":"crash_consumer","consumer":1}"#,
        r#"{"type":"stall_consumer","consumer":1,"ms":3000}"#,
        r#"{"type":"commit_offsets","consumer":1}"#,
        r#"{"type":"set_consumer_config","key":"enable.auto.commit","value":false}"#,
        r#"{"type":"run","ms":1500}"#,
        r#"{"type":"run_until","time_ms":40000}"#,
        r#"{"type":"step"}"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Sample share links (without `#`): the default playground after a few commands, and a
/// guided scenario's run.
pub fn sample_fragments() -> Vec<String> {
    let mut out = vec![];
    let mut p = Playground::new(None, Some(7)).expect("the default playground starts");
    out.push(share::encode(&p));
    p.advance(1_500);
    let _ = p.apply(Command::CrashBroker { broker: 2, keep_page_cache: false });
    p.step();
    p.step();
    p.advance(800);
    let _ = p.apply(Command::SetProducerConfig { key: "acks".into(), value: serde_json::json!("1") });
    out.push(share::encode(&p));
    p.seek(p.now_ms() - 1_000);
    out.push(share::encode(&p));
    let text = r#"{"name":"s","brokers":[{"id":1,"rack":"a"},{"id":2,"rack":"b"}],"broker_config":{"sim.controllers":3},"topics":[{"name":"t","partitions":1,"replication_factor":2}],"steps":[{"type":"produce","topic":"t","count":2},{"type":"run","ms":500},{"type":"crash_controller"}],"narration":[{"at_ms":100,"title":"T","text":"x","look_at":["broker:1","partition:t-0"]}]}"#;
    if let Ok(mut p) = Playground::new(Some(text), Some(3)) {
        p.advance(1_000);
        out.push(share::encode(&p));
    }
    out
}

/// Sample narration targets.
pub fn sample_targets() -> Vec<String> {
    ["broker:2", "controller", "partition:orders-0", "replica:orders-0@2", "consumer:1", "panel:invariants", "partition:a-b-12"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The seed corpus of a target: the scenario files in `scenarios/` (read from this
/// crate's source folder), sample commands and sample links, as fitting the target.
pub fn seed_corpus(target: &str) -> Vec<Vec<u8>> {
    let scenarios = || -> Vec<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect())
            .unwrap_or_default();
        files.sort();
        files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
    };
    let bytes = |v: Vec<String>| v.into_iter().map(String::into_bytes).collect::<Vec<_>>();
    match target {
        "scenario_parser" => {
            let mut v = scenarios();
            v.push(crate::page::playground::DEFAULT_SCENARIO.as_bytes().to_vec());
            v.push(crate::page::playground::BENCH_SCENARIO.as_bytes().to_vec());
            v
        }
        "command_decoder" => bytes(sample_commands()),
        "command_apply" => {
            let cmds = sample_commands();
            // Groups of a few commands, one per line.
            cmds.chunks(3).map(|c| c.join("\n").into_bytes()).collect()
        }
        "url_fragment" => {
            let frags = sample_fragments();
            let mut v = bytes(frags.iter().map(|f| format!("#{f}")).collect());
            // The same links' JSON (the target also reads its input as a link's JSON).
            for f in &frags {
                if let Some(json) = f.strip_prefix("v1.").and_then(|d| share::base64url_decode(d).ok()) {
                    v.push(json);
                }
            }
            v
        }
        "share_round_trip" => {
            vec![vec![7, 0, 50, 5, 0, 2, 2, 3, 1, 100, 0, 90, 7, 8, 1, 0, 40], vec![1, 5, 10, 1, 0, 200, 6, 3, 4, 0, 0, 10, 3, 128]]
        }
        "narration_target" => bytes(sample_targets()),
        _ => vec![],
    }
}
