//! A short, deterministic fuzz run of every entry point in `kafka_playground::proof::fuzz` (the
//! scenario parser, the `Command` decoder and its application, the URL-fragment decoder,
//! share links, narration targets): a seeded mutation fuzzer starts from the seed corpus
//! and applies byte-level mutations (flip, set, insert, delete, duplicate, splice,
//! dictionary tokens) and JSON-aware ones (huge, negative and fractional numbers, NaN-like
//! strings, deep nesting, very long strings, unicode, wrong types, missing, unknown and
//! duplicate keys), inside base64url for links. No input may panic.
//!
//! Bounded by iterations, never by wall time: `FUZZ_ITERS` (default 40000) for the cheap
//! targets, a fixed fraction of it for the ones that run the simulation. The long run:
//!
//!     FUZZ_ITERS=10000000 cargo test --release --test integration fuzz_short:: -- --nocapture
//!
//! `FUZZ_SEED` changes the mutation stream (default 1). A panicking input is saved to
//! `target/fuzz_short/<target>-crash.bin` and printed. `cargo test --release --test
//! integration -- --ignored fuzz_short::write_seed_corpus` writes the seed corpora to `fuzz/seeds/`.

use kafka_playground::config::CONFIG_DEFS;
use kafka_playground::page::share::{base64url_decode, base64url_encode};
use kafka_playground::proof::fuzz::{seed_corpus, TARGETS};
use kafka_playground::rng::Rng;
use serde_json::{json, Map, Value};
use std::time::Instant;

const DEFAULT_ITERS: u64 = 40_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

/// How an input of a target is shaped, for the structure-aware mutations.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// One JSON document.
    Json,
    /// One JSON document per line.
    Lines,
    /// `#v1.<base64url JSON>` (or a link's raw JSON).
    Fragment,
    /// Opaque bytes / short text.
    Bytes,
}

/// Tokens the byte-level mutations insert: JSON punctuation, keys, command types and
/// config keys, and numbers at the edges.
fn dictionary() -> Vec<Vec<u8>> {
    let mut d: Vec<String> = [
        "{",
        "}",
        "[",
        "]",
        "\"",
        ":",
        ",",
        "\\",
        "\\u0000",
        "\\ud800",
        "null",
        "true",
        "false",
        "0",
        "-1",
        "-0",
        "1e999",
        "1.5",
        "18446744073709551616",
        "9223372036854775807",
        "-9223372036854775808",
        "4294967296",
        "\"type\"",
        "\"steps\"",
        "\"topics\"",
        "\"at_ms\"",
        "\"ops\"",
        "\"scenario\"",
        "\"v\"",
        "\"seed\"",
        "\"brokers\"",
        "\"narration\"",
        "\"look_at\"",
        "\"expect\"",
        "\"features\"",
        "\"broker_config\"",
        "\"producer_config\"",
        "\"partitions\"",
        "\"replication_factor\"",
        "\"assignment\"",
        "\"count\"",
        "\"ms\"",
        "\"time_ms\"",
        "v1.",
        "#v1.",
        "v2.",
        "broker:",
        "replica:",
        "@",
        "-",
        "controller",
        "panel:",
        "€",
        "😀",
        "\u{202e}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in kafka_playground::command::COMMAND_TYPES {
        d.push(format!("\"{c}\""));
    }
    for def in CONFIG_DEFS {
        d.push(format!("\"{}\"", def.key));
    }
    d.into_iter().map(String::into_bytes).collect()
}

/// Strings and keys the JSON mutations use.
fn keys() -> Vec<String> {
    let mut k: Vec<String> = [
        "type",
        "name",
        "seed",
        "brokers",
        "topics",
        "steps",
        "at_ms",
        "expect",
        "narration",
        "features",
        "broker_config",
        "producer_config",
        "partitions",
        "replication_factor",
        "config",
        "assignment",
        "topic",
        "partition",
        "key",
        "value",
        "count",
        "tombstone",
        "broker",
        "ms",
        "time_ms",
        "from",
        "to",
        "node",
        "one_way",
        "loss",
        "controller",
        "v",
        "ops",
        "scenario",
        "id",
        "rack",
        "title",
        "text",
        "look_at",
        "group_id",
        "consumer",
        "records_per_sec",
        "keys",
        "election_type",
        "extra_latency_ms",
        "min_latency_ms",
        "max_latency_ms",
        "keep_page_cache",
        "description",
        "extra",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    k.extend(CONFIG_DEFS.iter().map(|d| d.key.to_string()));
    k
}

struct Fuzzer {
    rng: Rng,
    dict: Vec<Vec<u8>>,
    keys: Vec<String>,
}

impl Fuzzer {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.rng.range_inclusive(0, n as u64 - 1) as usize
        }
    }

    fn key(&mut self) -> String {
        let i = self.below(self.keys.len());
        self.keys[i].clone()
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.rng.range_inclusive(1, n) == 1
    }

    /// One mutant of `input` (1 to 4 stacked mutations), given the target's corpus.
    fn mutate(&mut self, input: &[u8], shape: Shape, corpus: &[Vec<u8>]) -> Vec<u8> {
        let mut out = input.to_vec();
        let rounds = 1 + self.below(4);
        for _ in 0..rounds {
            // Structure first when the shape allows; bytes otherwise (and sometimes anyway).
            let structured = match shape {
                Shape::Bytes => false,
                _ => !self.one_in(3),
            };
            out = if structured { self.mutate_structured(&out, shape, corpus) } else { self.mutate_bytes(&out, corpus) };
        }
        out
    }

    fn mutate_bytes(&mut self, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
        let mut v = input.to_vec();
        let len = v.len();
        match self.below(9) {
            0 if len > 0 => {
                let i = self.below(len);
                v[i] ^= 1 << self.below(8);
            }
            1 if len > 0 => {
                let i = self.below(len);
                v[i] = self.rng.next_u64() as u8;
            }
            2 => {
                let i = self.below(len + 1);
                let n = 1 + self.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.next_u64() as u8).collect();
                v.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = self.below(len);
                let n = 1 + self.below((len - i).min(64));
                v.drain(i..i + n);
            }
            4 if len > 0 => {
                // Duplicate a range in place (sometimes many times).
                let i = self.below(len);
                let n = 1 + self.below((len - i).min(256));
                let chunk = v[i..i + n].to_vec();
                let times = if self.one_in(8) { 1 + self.below(64) } else { 1 };
                for _ in 0..times {
                    v.splice(i..i, chunk.iter().copied());
                }
            }
            5 if !corpus.is_empty() => {
                // Splice: a prefix of this input, the suffix of another.
                let other = &corpus[self.below(corpus.len())];
                let a = self.below(len + 1);
                let b = self.below(other.len() + 1);
                v.truncate(a);
                v.extend_from_slice(&other[b..]);
            }
            6 if len > 0 => {
                v.truncate(self.below(len));
            }
            _ => {
                let tok = {
                    let i = self.below(self.dict.len());
                    self.dict[i].clone()
                };
                let i = self.below(len + 1);
                if self.one_in(2) && i < len {
                    let n = self.below((len - i).min(tok.len() + 1));
                    v.splice(i..i + n, tok);
                } else {
                    v.splice(i..i, tok);
                }
            }
        }
        v
    }

    fn mutate_structured(&mut self, input: &[u8], shape: Shape, corpus: &[Vec<u8>]) -> Vec<u8> {
        match shape {
            Shape::Fragment => {
                let text = String::from_utf8_lossy(input);
                let (prefix, data) = match text.split_once('.') {
                    Some((p, d)) if p.len() <= 4 => (format!("{p}."), d.to_string()),
                    _ => return self.mutate_json_text(input, corpus),
                };
                let Ok(json) = base64url_decode(&data) else { return self.mutate_bytes(input, corpus) };
                let json = if self.one_in(4) { self.mutate_bytes(&json, corpus) } else { self.mutate_json_text(&json, corpus) };
                let mut out = prefix.into_bytes();
                out.extend_from_slice(base64url_encode(&json).as_bytes());
                if self.one_in(8) {
                    out.push(b'=');
                }
                out
            }
            Shape::Lines => {
                let text = String::from_utf8_lossy(input).to_string();
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                if lines.is_empty() {
                    lines.push(String::new());
                }
                match self.below(4) {
                    0 => {
                        // A line of another input.
                        let other = String::from_utf8_lossy(&corpus[self.below(corpus.len())]).to_string();
                        let pick: Vec<&str> = other.lines().collect();
                        if !pick.is_empty() {
                            let l = pick[self.below(pick.len())].to_string();
                            let i = self.below(lines.len() + 1);
                            lines.insert(i, l);
                        }
                    }
                    1 if lines.len() > 1 => {
                        let (a, b) = (self.below(lines.len()), self.below(lines.len()));
                        lines.swap(a, b);
                    }
                    _ => {
                        let i = self.below(lines.len());
                        let m = self.mutate_json_text(lines[i].as_bytes(), corpus);
                        lines[i] = String::from_utf8_lossy(&m).replace('\n', " ");
                    }
                }
                lines.join("\n").into_bytes()
            }
            _ => self.mutate_json_text(input, corpus),
        }
    }

    /// Mutates one node of a JSON document (bytes mutations when it is not JSON).
    fn mutate_json_text(&mut self, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
        let Ok(mut doc) = serde_json::from_slice::<Value>(input) else { return self.mutate_bytes(input, corpus) };
        // Duplicate keys cannot live in a `Value`: add one to the text.
        if self.one_in(12) {
            if let Value::Object(m) = &doc {
                if let Some((k, v)) = m.iter().nth(self.below(m.len())) {
                    let text = doc.to_string();
                    let dup = format!("{{{}:{},", Value::String(k.clone()), v);
                    return text.replacen('{', &dup, 1).into_bytes();
                }
            }
        }
        let n = count_nodes(&doc);
        let target = self.below(n);
        let mut i = 0;
        self.mutate_node(&mut doc, target, &mut i);
        let text = doc.to_string();
        if self.one_in(4) {
            serde_json::to_string_pretty(&doc).unwrap_or(text).into_bytes()
        } else {
            text.into_bytes()
        }
    }

    /// Walks to the `target`-th node (pre-order) and mutates it.
    fn mutate_node(&mut self, v: &mut Value, target: usize, i: &mut usize) -> bool {
        if *i == target {
            self.mutate_value(v);
            return true;
        }
        *i += 1;
        match v {
            Value::Array(a) => {
                for x in a.iter_mut() {
                    if self.mutate_node(x, target, i) {
                        return true;
                    }
                }
            }
            Value::Object(m) => {
                for (_, x) in m.iter_mut() {
                    if self.mutate_node(x, target, i) {
                        return true;
                    }
                }
            }
            _ => {}
        }
        false
    }

    fn number(&mut self) -> Value {
        match self.below(16) {
            0 => json!(u64::MAX),
            1 => json!(i64::MIN),
            2 => json!(i64::MAX),
            3 => json!(1e308),
            4 => json!(-1e308),
            5 => json!(9_007_199_254_740_993u64),
            6 => json!(-1),
            7 => json!(0),
            8 => json!(0.5),
            9 => json!(-0.0),
            10 => json!(u32::MAX as u64 + 1),
            11 => json!(i32::MIN),
            12 => json!(86_400_001),
            13 => json!(self.rng.next_u64() % 100_000),
            14 => json!(-((self.rng.next_u64() % 1000) as i64)),
            _ => json!((self.rng.next_u64() % 20) as f64 / 3.0),
        }
    }

    fn string(&mut self) -> Value {
        let s: String = match self.below(12) {
            0 => "NaN".into(),
            1 => "Infinity".into(),
            2 => "-Infinity".into(),
            3 => "€".repeat(1 + self.below(400)),
            4 => "a".repeat(self.below(70_000)),
            5 => "😀\u{202e}\u{0301}\u{0}".into(),
            6 => String::new(),
            7 => "-5".into(),
            8 => "broker--1".into(),
            9 => self.key(),
            10 => format!("{}", self.rng.next_u64() as i64),
            _ => "orders".into(),
        };
        Value::String(s)
    }

    fn deep(&mut self) -> Value {
        let depth = 1 + self.below(200);
        let mut v = json!(1);
        for d in 0..depth {
            v = if d % 2 == 0 { json!([v]) } else { json!({ "a": v }) };
        }
        v
    }

    fn mutate_value(&mut self, v: &mut Value) {
        match self.below(12) {
            0 | 1 => *v = self.number(),
            2 | 3 => *v = self.string(),
            4 => *v = self.deep(),
            // Wrong types.
            5 => {
                *v = match v {
                    Value::Null => json!(0),
                    Value::Bool(b) => json!(if *b { "true" } else { "false" }),
                    Value::Number(n) => Value::String(n.to_string()),
                    Value::String(s) => s.parse::<f64>().map(|x| json!(x)).unwrap_or(json!([s.clone()])),
                    Value::Array(_) => json!({}),
                    Value::Object(_) => json!([]),
                }
            }
            6 => *v = [json!(null), json!(true), json!(false), json!([]), json!({})][self.below(5)].clone(),
            // Objects: drop, add or rename a key.
            7..=9 if v.is_object() => {
                let m = v.as_object_mut().expect("an object");
                let which = self.below(3);
                if which == 0 && !m.is_empty() {
                    let k = m.keys().nth(self.below(m.len())).cloned().expect("a key");
                    m.remove(&k);
                } else if which == 1 || m.is_empty() {
                    let k = self.key();
                    let val = match self.below(3) {
                        0 => self.number(),
                        1 => self.string(),
                        _ => json!(true),
                    };
                    m.insert(k, val);
                } else {
                    let k = m.keys().nth(self.below(m.len())).cloned().expect("a key");
                    let val = m.remove(&k).expect("the key is there");
                    let nk = self.key();
                    m.insert(nk, val);
                }
            }
            // Arrays: drop, duplicate or grow.
            7..=9 if v.is_array() => {
                let a = v.as_array_mut().expect("an array");
                match self.below(3) {
                    0 if !a.is_empty() => {
                        a.remove(self.below(a.len()));
                    }
                    1 if !a.is_empty() => {
                        let x = a[self.below(a.len())].clone();
                        let times = if self.one_in(8) { 1 + self.below(200) } else { 1 };
                        for _ in 0..times {
                            a.push(x.clone());
                        }
                    }
                    _ => a.push(self.number()),
                }
            }
            10 => *v = Value::Object(Map::new()),
            _ => {
                // Nudge a number, keep a string's type.
                *v = match v {
                    Value::Number(n) => {
                        let x = n.as_i64().unwrap_or(0);
                        json!(x.wrapping_add([-1i64, 1, 1000, -1000, 1 << 32][self.below(5)]))
                    }
                    Value::String(s) => {
                        let mut s = s.clone();
                        s.push_str(["-1", "@2", ":", "€", "0"][self.below(5)]);
                        Value::String(s)
                    }
                    _ => self.number(),
                }
            }
        }
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Runs one target for `iters` iterations (seed inputs first, then mutants).
fn fuzz(name: &str, shape: Shape, iters: u64) {
    let entry = TARGETS.iter().find(|(n, _)| *n == name).expect("a known target").1;
    let corpus = seed_corpus(name);
    assert!(!corpus.is_empty(), "{name}: no seed corpus");
    let seed = env_u64("FUZZ_SEED", 1);
    let mut f = Fuzzer { rng: Rng::new(seed).fork(name), dict: dictionary(), keys: keys() };
    let started = Instant::now();
    let mut last: Option<Vec<u8>> = None;
    for i in 0..iters {
        let input = if (i as usize) < corpus.len() {
            corpus[i as usize].clone()
        } else {
            // Mostly fresh mutants of a seed; sometimes a mutant of the last mutant.
            let base = match &last {
                Some(l) if f.one_in(4) => l.clone(),
                _ => corpus[f.below(corpus.len())].clone(),
            };
            f.mutate(&base, shape, &corpus)
        };
        let r = std::panic::catch_unwind(|| entry(&input));
        if r.is_err() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/fuzz_short");
            let _ = std::fs::create_dir_all(dir);
            let path = format!("{dir}/{name}-crash.bin");
            let _ = std::fs::write(&path, &input);
            let shown: String = String::from_utf8_lossy(&input).chars().take(2_000).collect();
            panic!("{name}: iteration {i} (FUZZ_SEED={seed}) panicked; input saved to {path}:\n{shown}");
        }
        last = Some(input);
    }
    println!("fuzz_short {name}: {iters} iterations in {:.1} s", started.elapsed().as_secs_f64());
}

/// Iterations of a target: `FUZZ_ITERS` divided by how much dearer it is than a parse.
fn iters(divisor: u64) -> u64 {
    (env_u64("FUZZ_ITERS", DEFAULT_ITERS) / divisor).max(1)
}

#[test]
fn no_scenario_file_makes_the_parser_panic() {
    fuzz("scenario_parser", Shape::Json, iters(4));
}

#[test]
fn no_command_json_makes_the_decoder_panic() {
    fuzz("command_decoder", Shape::Json, iters(1) * 4);
}

#[test]
fn no_decoded_command_makes_the_playground_panic() {
    fuzz("command_apply", Shape::Lines, iters(8));
}

#[test]
fn no_url_fragment_makes_the_link_decoder_panic() {
    fuzz("url_fragment", Shape::Fragment, iters(4));
}

#[test]
fn every_shared_run_reopens_exactly() {
    fuzz("share_round_trip", Shape::Bytes, iters(40));
}

#[test]
fn no_narration_target_makes_its_parser_panic() {
    fuzz("narration_target", Shape::Bytes, iters(1) * 4);
}

/// Writes every target's seed corpus to `fuzz/seeds/<target>/` (for cargo-fuzz).
#[test]
#[ignore]
fn write_seed_corpus() {
    for (name, _) in TARGETS {
        let dir = format!("{}/fuzz/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, input) in seed_corpus(name).iter().enumerate() {
            std::fs::write(format!("{dir}/seed-{i:03}"), input).unwrap();
        }
    }
}
