//! Shareable runs: a URL fragment `#v1.<base64url(JSON)>` carrying the format version,
//! the scenario (cluster, configs, topics, steps, seed) and the run's ops (time passing,
//! single events, commands), plus the moment the sharer was looking at. Opening it
//! replays the ops on a fresh engine: the same trace, exactly.
//!
//! Decoding never trusts the text: size, alphabet, JSON shape, every command and every
//! config are checked, and replay stops at an event budget, so a hostile or truncated
//! fragment gives an error naming what is wrong instead of a broken or frozen page
//! (a [`ShareError`]: the part of the link, and the message the page shows).

use crate::command::{Command, MAX_RUN_MS};
use crate::page::playground::Playground;
use crate::page::timeline::Op;
use serde_json::{json, Map, Value};
use std::fmt;

/// The fragment format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Longest fragment accepted (characters after `#`).
pub const MAX_FRAGMENT_CHARS: usize = 256 * 1024;
/// Most ops in a shared run.
pub const MAX_SHARED_OPS: usize = 20_000;
/// Most single events (`step`) in one op.
pub const MAX_SHARED_STEPS: u64 = 1_000_000;
/// Replay gives up beyond this many events (a shared run is meant to open in seconds).
pub const MAX_REPLAY_EVENTS: u64 = 5_000_000;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url (padding `=` tolerated at the end); errors name the first bad character.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim_end_matches('=');
    if let Some(i) = text.bytes().position(|c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_')) {
        return Err(format!("character {} is not base64url (A–Z, a–z, 0–9, - and _)", i + 1));
    }
    if text.len() % 4 == 1 {
        return Err("the data is cut off (its length is not a valid base64url length)".into());
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (i, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(format!("character {} is not base64url (A–Z, a–z, 0–9, - and _)", i + 1)),
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// The part of a shared link that is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkField {
    /// The fragment is longer than [`MAX_FRAGMENT_CHARS`].
    Length,
    /// The `v1.` prefix (missing, or another format version) or the document's `v`.
    Version,
    /// The data after the prefix: base64url, UTF-8, a JSON object with known fields only.
    Data,
    /// The scenario object (cluster, configs, topics, steps, seed).
    Scenario,
    /// The `ops` list as a whole (missing or too long).
    Ops,
    /// Op `k` of the list (`ops[k]`): its time, its steps or its command, as decoded or as replayed.
    Op(usize),
    /// The moment the sharer was looking at.
    AtMs,
    /// The replay as a whole: more events than the budget.
    Replay,
}

/// Why a shared link was refused: the part that is wrong, and a message naming it (the
/// message is the whole text the page shows; `Display` writes it as it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareError {
    pub field: LinkField,
    pub message: String,
}

impl ShareError {
    pub fn new(field: LinkField, message: impl Into<String>) -> Self {
        ShareError { field, message: message.into() }
    }
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ShareError {}

/// A shared run, decoded and checked (not yet replayed).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedRun {
    /// The scenario object (its `seed` is the run's seed).
    pub scenario: Map<String, Value>,
    pub ops: Vec<Op>,
    /// The moment the sharer was looking at (the run may go on after it).
    pub at_ms: Option<i64>,
}

fn op_to_json(op: &Op) -> Value {
    match op {
        Op::Until(t) => json!(t),
        Op::Steps(n) => json!({ "steps": n }),
        Op::Apply(c) => serde_json::to_value(c).unwrap_or(Value::Null),
    }
}

/// The fragment (without `#`) for a playground's run, looking at its current moment.
pub fn encode(p: &Playground) -> String {
    let mut scenario = p.scenario_json().clone();
    scenario.remove("expect");
    scenario.insert("seed".into(), json!(p.scenario().seed));
    let ops: Vec<Value> = p.ops().iter().map(op_to_json).collect();
    let doc = json!({ "v": FORMAT_VERSION, "scenario": scenario, "ops": ops, "at_ms": p.now_ms() });
    format!("v{FORMAT_VERSION}.{}", base64url_encode(doc.to_string().as_bytes()))
}

/// Decodes and checks a fragment (with or without the leading `#`).
pub fn decode(fragment: &str) -> Result<SharedRun, ShareError> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    if f.len() > MAX_FRAGMENT_CHARS {
        return Err(ShareError::new(
            LinkField::Length,
            format!("the link's run is {} characters; the limit is {MAX_FRAGMENT_CHARS}", f.len()),
        ));
    }
    let not_a_link = || ShareError::new(LinkField::Version, "not a playground link (expected #v1.<data>)");
    let Some((version, data)) = f.split_once('.') else { return Err(not_a_link()) };
    match version.strip_prefix('v').and_then(|v| v.parse::<u32>().ok()) {
        Some(FORMAT_VERSION) => {}
        Some(v) => {
            let message = format!("the link was made by a playground with format v{v}; this one reads v{FORMAT_VERSION}");
            return Err(ShareError::new(LinkField::Version, message));
        }
        None => return Err(not_a_link()),
    }
    let doc = decode_document(data)?;
    if doc.get("v").and_then(|v| v.as_u64()) != Some(FORMAT_VERSION as u64) {
        return Err(ShareError::new(LinkField::Version, format!("v: expected {FORMAT_VERSION}")));
    }
    let Some(Value::Object(scenario)) = doc.get("scenario") else {
        return Err(ShareError::new(LinkField::Scenario, "scenario: expected a scenario object"));
    };
    // Checked now so that errors name the field (replay parses it again).
    crate::scenario::Scenario::from_object(scenario).map_err(|e| ShareError::new(LinkField::Scenario, format!("scenario.{e}")))?;
    let arr = doc.get("ops").and_then(|o| o.as_array()).ok_or_else(|| ShareError::new(LinkField::Ops, "ops: expected a list"))?;
    if arr.len() > MAX_SHARED_OPS {
        return Err(ShareError::new(LinkField::Ops, format!("ops: {} entries; the limit is {MAX_SHARED_OPS}", arr.len())));
    }
    let mut ops = Vec::with_capacity(arr.len());
    let mut last_t = 0;
    for (i, o) in arr.iter().enumerate() {
        ops.push(decode_op(i, o, &mut last_t)?);
    }
    let at_ms = match doc.get("at_ms") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|t| (0..=MAX_RUN_MS).contains(t))
                .ok_or_else(|| ShareError::new(LinkField::AtMs, format!("at_ms: expected a time from 0 to {MAX_RUN_MS} ms")))?,
        ),
    };
    Ok(SharedRun { scenario: scenario.clone(), ops, at_ms })
}

/// The data after `v1.`: base64url of UTF-8 JSON, an object with known fields only.
fn decode_document(data: &str) -> Result<Map<String, Value>, ShareError> {
    let bytes = base64url_decode(data).map_err(|e| ShareError::new(LinkField::Data, e))?;
    let text =
        String::from_utf8(bytes).map_err(|_| ShareError::new(LinkField::Data, "the link's data is not UTF-8 text (was it cut off?)"))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| ShareError::new(LinkField::Data, format!("the link's data is not valid JSON (was it cut off?): {e}")))?;
    let Value::Object(doc) = v else { return Err(ShareError::new(LinkField::Data, "the link's data is not a JSON object")) };
    for k in doc.keys() {
        if !["v", "scenario", "ops", "at_ms"].contains(&k.as_str()) {
            return Err(ShareError::new(LinkField::Data, format!("{k}: unknown field; expected v, scenario, ops or at_ms")));
        }
    }
    Ok(doc)
}

/// Op `i` of a link: a time (not before the previous one, `last_t`), `{"steps": n}`, or a
/// command other than those that pass time.
fn decode_op(i: usize, o: &Value, last_t: &mut i64) -> Result<Op, ShareError> {
    let f = format!("ops[{i}]");
    let bad = |message: String| ShareError::new(LinkField::Op(i), message);
    let op = match o {
        Value::Number(n) => {
            let t = n
                .as_i64()
                .filter(|t| (0..=MAX_RUN_MS).contains(t))
                .ok_or_else(|| bad(format!("{f}: expected a time from 0 to {MAX_RUN_MS} ms")))?;
            if t < *last_t {
                return Err(bad(format!("{f}: time goes back ({t} < {last_t})")));
            }
            *last_t = t;
            Op::Until(t)
        }
        Value::Object(m) if m.contains_key("steps") => {
            let n = m
                .get("steps")
                .and_then(|n| n.as_u64())
                .filter(|n| (1..=MAX_SHARED_STEPS).contains(n))
                .ok_or_else(|| bad(format!("{f}.steps: expected 1 to {MAX_SHARED_STEPS} events")))?;
            if m.len() != 1 {
                return Err(bad(format!("{f}: a steps entry has only \"steps\"")));
            }
            Op::Steps(n)
        }
        Value::Object(_) => {
            let c = Command::from_value(o.clone()).map_err(|e| bad(format!("{f}: {e}")))?;
            if matches!(c, Command::Run { .. } | Command::RunUntil { .. } | Command::Step) {
                return Err(bad(format!("{f}: time passes as numbers and {{\"steps\": n}} entries, not as commands")));
            }
            Op::Apply(c)
        }
        _ => return Err(bad(format!("{f}: expected a time, {{\"steps\": n}} or a command object"))),
    };
    Ok(op)
}

/// Replays a shared run on a fresh engine and lands on the moment it was shared at.
pub fn open(fragment: &str) -> Result<Playground, ShareError> {
    open_with_budget(fragment, MAX_REPLAY_EVENTS)
}

/// `open`, giving up after `max_events` events of replay.
pub fn open_with_budget(fragment: &str, max_events: u64) -> Result<Playground, ShareError> {
    let run = decode(fragment)?;
    let text = Value::Object(run.scenario.clone()).to_string();
    let mut p = Playground::new(Some(&text), None).map_err(|e| ShareError::new(LinkField::Scenario, format!("scenario.{e}")))?;
    let budget = p.cs.sim.events_processed + max_events;
    let too_long =
        || ShareError::new(LinkField::Replay, format!("the shared run is too long to replay here (more than {max_events} events)"));
    for (i, op) in run.ops.iter().enumerate() {
        match op {
            Op::Until(t) => {
                if *t < p.now_ms() {
                    return Err(ShareError::new(
                        LinkField::Op(i),
                        format!("ops[{i}]: time {t} is before the run's start ({})", p.now_ms()),
                    ));
                }
                // In slices, to stop a run that would take too long. At least once: time
                // passing up to `now` still processes the events due now (the run may have
                // stopped between two events of the same millisecond after single steps).
                loop {
                    p.advance((*t - p.now_ms()).min(1_000));
                    if p.cs.sim.events_processed > budget {
                        return Err(too_long());
                    }
                    if p.now_ms() >= *t {
                        break;
                    }
                }
            }
            Op::Steps(n) => {
                for _ in 0..*n {
                    p.step();
                    if p.cs.sim.events_processed > budget {
                        return Err(too_long());
                    }
                }
            }
            Op::Apply(c) => p
                .apply(c.clone())
                .map_err(|e| ShareError::new(LinkField::Op(i), format!("ops[{i}].{}: {}: {}", e.field, e.error, e.message)))?,
        }
    }
    if let Some(t) = run.at_ms {
        p.seek(t);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length_and_byte() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let e = base64url_encode(&bytes);
            assert!(e.bytes().all(|c| ALPHABET.contains(&c)), "{e}");
            assert_eq!(base64url_decode(&e).unwrap(), bytes, "len {len}");
        }
        // RFC 4648 test vectors (with the url alphabet and no padding).
        assert_eq!(base64url_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url_encode(b"fo"), "Zm8");
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("Zm8=").unwrap(), b"fo");
    }

    #[test]
    fn a_link_ending_with_no_time_passing_after_single_events_reproduces_the_run() {
        // Found by fuzzing (share_round_trip): after single steps the run can stop between
        // two events of the same millisecond; advancing 0 ms then processes the rest, and
        // the replay skipped that `Until(now)` op, so it ended in a different state.
        for n in 1..40 {
            let mut p = Playground::new(None, Some(1)).unwrap();
            p.advance(3_000);
            for _ in 0..n {
                p.step();
            }
            p.advance(0);
            let link = encode(&p);
            let q = open(&link).unwrap();
            assert_eq!((q.now_ms(), q.trace_hash_hex()), (p.now_ms(), p.trace_hash_hex()), "after {n} steps");
            assert_eq!(encode(&q), link, "after {n} steps");
        }
    }

    #[test]
    fn a_command_given_after_seeking_to_the_start_of_single_events_shares_a_link_that_opens() {
        // Found by fuzzing (share_round_trip): seeking to the moment single events began
        // cut their op to `steps: 0`, which a link cannot hold, so the link did not decode.
        let mut p = Playground::new(None, Some(7)).unwrap();
        p.advance(1_000);
        let before = p.now_ms();
        for _ in 0..5 {
            p.step();
        }
        p.advance(500);
        p.seek(before);
        p.apply(Command::HealAll).unwrap();
        let link = encode(&p);
        let q = open(&link).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.now_ms(), q.trace_hash_hex()), (p.now_ms(), p.trace_hash_hex()));
    }

    #[test]
    fn bad_base64url_names_the_character() {
        assert!(base64url_decode("ab<c").unwrap_err().contains("character 3"));
        assert!(base64url_decode("abcde").unwrap_err().contains("cut off"));
    }
}
