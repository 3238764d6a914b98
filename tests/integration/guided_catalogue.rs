//! The guided scenario catalogue: `scenarios/index.json` lists every scenario file
//! (and only files that exist), each listed scenario is a guided story (a narration
//! of at least four stops from time 0 to its end, an `expect` block), and the page
//! playing it on the timeline ends in exactly the run `kafka-sim run` reports.
use kafka_playground::command::Command;
use kafka_playground::page::playground::Playground;
use kafka_playground::scenario::{run, LookAt, Scenario};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

const TOPICS: &[&str] = &["Durability", "ISR & high watermark", "Leaders & elections", "Storage", "Consumers", "Failures", "Operations"];

/// Listed in the catalogue but written in another branch: tolerated while absent.
const WRITTEN_ELSEWHERE: &[&str] = &["controller-failover", "replica-lag-max-messages"];

struct Entry {
    file: String,
    title: String,
    topic: String,
    summary: String,
}

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
}

fn path_of(file: &str) -> PathBuf {
    dir().join(format!("{file}.json"))
}

fn catalogue() -> Vec<Entry> {
    let text = std::fs::read_to_string(dir().join("index.json")).expect("scenarios/index.json exists");
    let v: Value = serde_json::from_str(&text).expect("scenarios/index.json is JSON");
    let items = v.as_array().expect("scenarios/index.json is a list");
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let o = item.as_object().unwrap_or_else(|| panic!("index.json[{i}] is not an object"));
            let keys: BTreeSet<&str> = o.keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["file", "title", "topic", "summary"]), "index.json[{i}] fields");
            let s = |k: &str| {
                let s = o[k].as_str().unwrap_or_else(|| panic!("index.json[{i}].{k} is not text")).trim().to_string();
                assert!(!s.is_empty(), "index.json[{i}].{k} is empty");
                s
            };
            Entry { file: s("file"), title: s("title"), topic: s("topic"), summary: s("summary") }
        })
        .collect()
}

/// Every `*.json` in scenarios/ except the catalogue itself, by name without `.json`.
fn scenario_files() -> BTreeSet<String> {
    std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "index")
        .collect()
}

/// The listed scenarios that exist, with their text.
fn listed_scenarios() -> Vec<(String, String)> {
    catalogue()
        .into_iter()
        .filter(|e| path_of(&e.file).exists())
        .map(|e| {
            let text = std::fs::read_to_string(path_of(&e.file)).unwrap();
            (e.file, text)
        })
        .collect()
}

#[test]
fn the_catalogue_lists_every_scenario_file_once_and_nothing_else() {
    let entries = catalogue();
    assert!(!entries.is_empty());
    let mut seen = BTreeSet::new();
    for e in &entries {
        assert!(seen.insert(e.file.clone()), "{} is listed twice", e.file);
        assert!(!e.file.ends_with(".json") && !e.file.contains('/'), "{}: file is a name without .json", e.file);
        assert!(TOPICS.contains(&e.topic.as_str()), "{}: topic {:?} is not one of {TOPICS:?}", e.file, e.topic);
        assert!(e.title.chars().count() <= 60, "{}: title longer than 60 characters", e.file);
        assert!(e.summary.ends_with('.') && e.summary.chars().count() <= 240, "{}: summary is not one short sentence", e.file);
        assert!(
            path_of(&e.file).exists() || WRITTEN_ELSEWHERE.contains(&e.file.as_str()),
            "{} is listed but scenarios/{}.json does not exist",
            e.file,
            e.file
        );
    }
    for f in scenario_files() {
        assert!(seen.contains(&f), "scenarios/{f}.json is not listed in scenarios/index.json");
    }
    for f in WRITTEN_ELSEWHERE {
        assert!(seen.contains(*f), "{f} is missing from the catalogue");
    }
}

#[test]
fn every_listed_scenario_is_a_guided_story() {
    for (file, text) in listed_scenarios() {
        let s = Scenario::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(s.name.as_deref().is_some_and(|n| !n.is_empty()), "{file}: no name");
        assert!(s.description.as_deref().is_some_and(|d| !d.is_empty()), "{file}: no description");
        let expect = s.expect.clone().unwrap_or_else(|| panic!("{file}: no expect block"));
        assert!(
            expect.lost_acknowledged_writes.is_some() && expect.violations.is_some(),
            "{file}: expect should state lost_acknowledged_writes and violations"
        );
        let n = &s.narration;
        assert!(n.len() >= 4, "{file}: {} narration stops; a guided scenario has at least 4", n.len());
        assert_eq!(n[0].at_ms, 0, "{file}: the first narration stop is at 0 ms");
        let p = Playground::new(Some(&text), None).unwrap_or_else(|e| panic!("{file}: {e}"));
        let end = p.scenario_end_ms();
        assert_eq!(s.timeline(p.now_ms()).1, end);
        for (i, stop) in n.iter().enumerate() {
            assert!(stop.at_ms <= end, "{file}: narration[{i}] at {} ms is after the scenario's end ({end} ms)", stop.at_ms);
        }
        // consumer:N names consumer-N, the N-th consumer the steps start.
        let started = s.steps.iter().filter(|st| matches!(st.command, Command::StartConsumer { .. })).count();
        for (i, stop) in n.iter().enumerate() {
            for t in &stop.look_at {
                if let LookAt::Consumer { consumer } = t {
                    assert!(
                        (1..=started as u32).contains(consumer),
                        "{file}: narration[{i}] looks at consumer {consumer}, but the scenario starts {started}"
                    );
                }
            }
        }
    }
}

#[test]
fn playing_a_listed_scenario_on_the_page_ends_in_the_same_run_as_the_cli() {
    for (file, text) in listed_scenarios() {
        let s = Scenario::parse(&text).unwrap();
        let cli = run(&s).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut p = Playground::new(Some(&text), None).unwrap();
        let end = p.scenario_end_ms();
        p.advance(end - p.now_ms());
        assert_eq!(p.now_ms(), cli.sim.now_ms(), "{file}: the page and the CLI end at different times");
        assert_eq!(p.trace_hash_hex(), format!("{:016x}", cli.sim.trace_hash()), "{file}: the page's run differs from the CLI's");
        // The facts the story ends on hold on the page too (invariants are checked less often there).
        let expect = s.expect.clone().unwrap();
        let unmet: Vec<_> = expect.check(&p.cs).into_iter().filter(|r| !r.ok && r.what != "violated invariants").collect();
        assert!(unmet.is_empty(), "{file}: {unmet:#?}");
    }
}
