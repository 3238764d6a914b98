//! Exports of a run: the trace as JSON (scenario, commands, events), a Jepsen-style
//! history (invoke / ok / fail / info per produce and per consumed record, as EDN, the
//! format Jepsen's checkers read) and an SVG picture of the cluster view.

use crate::client::producer::SendOutcome;
use crate::ids::NO_LEADER;
use crate::playground::Playground;
use crate::sim::NodeStatus;
use serde_json::json;
use std::fmt::Write;

/// The whole run as JSON: what is needed to replay it (scenario with seed, ops) and
/// what happened (every event line kept, the trace hash).
pub fn trace_json(p: &Playground) -> String {
    let sim = &p.cs.sim;
    let mut scenario = p.scenario_json().clone();
    scenario.insert("seed".into(), json!(p.scenario().seed));
    let commands = p.timeline_view().commands;
    let events: Vec<_> = sim
        .events
        .iter()
        .map(|e| json!({ "time_ms": e.time_ms, "node": e.node.to_string(), "category": e.category, "message": e.message }))
        .collect();
    let doc = json!({
        "format": "kafka-playground-trace",
        "version": crate::share::FORMAT_VERSION,
        "seed": p.scenario().seed,
        "now_ms": p.now_ms(),
        "trace_hash": p.trace_hash_hex(),
        "events_processed": sim.events_processed,
        "scenario": scenario,
        "commands": commands,
        "link": crate::share::encode(p),
        "events_dropped": sim.events_dropped,
        "events": events,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn edn_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn edn_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "nil".to_string(), edn_str)
}

/// One operation of the history, before sorting by time.
struct HistOp {
    time_ms: i64,
    order: u64,
    line: String,
}

/// A Jepsen-style history, one EDN map per line, in time order: every producer send is
/// an `:invoke` then `:ok` (acknowledged, with its offset), `:fail` (an error Kafka
/// reports as definite) or `:info` (still unknown at the end of the run); every record
/// a consumer or reader received is an `:invoke`/`:ok` `:poll`. `:time` is in ns.
/// Sends and reads of records that retention deleted from every replica are no longer
/// listed (src/sim/history.rs): on long runs with retention the history is the recent part.
pub fn jepsen_history(p: &Playground) -> String {
    let sim = &p.cs.sim;
    let mut ops: Vec<HistOp> = vec![];
    let mut order = 0u64;
    let mut push = |time_ms: i64, line: String| {
        ops.push(HistOp { time_ms, order, line });
        order += 1;
    };
    for s in sim.producer.sends.values() {
        let part = s.partition.map_or("nil".to_string(), |p| p.to_string());
        let value = format!(
            "{{:topic {}, :partition {part}, :key {}, :value {}, :write-id {}}}",
            edn_str(&s.topic),
            edn_opt(s.key.as_deref()),
            edn_opt(s.value.as_deref()),
            s.write_id
        );
        push(
            s.created_ms,
            format!("{{:type :invoke, :f :send, :process \"producer-1\", :time {}, :value {value}}}", s.created_ms * 1_000_000),
        );
        match &s.outcome {
            SendOutcome::Acked { offset, at_ms } => push(
                *at_ms,
                format!(
                    "{{:type :ok, :f :send, :process \"producer-1\", :time {}, :value {value}, :offset {offset}, :acks {}}}",
                    at_ms * 1_000_000,
                    edn_str(match s.acks {
                        crate::config::Acks::Zero => "0",
                        crate::config::Acks::One => "1",
                        crate::config::Acks::All => "all",
                    })
                ),
            ),
            SendOutcome::Failed { error, at_ms } => push(
                *at_ms,
                format!(
                    "{{:type :fail, :f :send, :process \"producer-1\", :time {}, :value {value}, :error {}}}",
                    at_ms * 1_000_000,
                    edn_str(error.name())
                ),
            ),
            SendOutcome::Pending => push(
                sim.now_ms(),
                format!("{{:type :info, :f :send, :process \"producer-1\", :time {}, :value {value}}}", sim.now_ms() * 1_000_000),
            ),
        }
    }
    let record = |write_id: u64| sim.producer.sends.get(&write_id);
    let mut poll = |process: String, time_ms: i64, topic: &str, partition: u32, offset: i64, epoch: i32, write_id: u64| {
        let (k, v) = record(write_id).map_or((None, None), |s| (s.key.as_deref(), s.value.as_deref()));
        let value = format!(
            "{{:topic {}, :partition {partition}, :offset {offset}, :leader-epoch {epoch}, :key {}, :value {}, :write-id {write_id}}}",
            edn_str(topic),
            edn_opt(k),
            edn_opt(v)
        );
        let t = time_ms * 1_000_000;
        push(time_ms, format!("{{:type :invoke, :f :poll, :process {}, :time {t}}}", edn_str(&process)));
        push(time_ms, format!("{{:type :ok, :f :poll, :process {}, :time {t}, :value {value}}}", edn_str(&process)));
    };
    for c in sim.consumers.values() {
        for r in &c.consumed {
            poll(c.client_id.clone(), r.at_ms, &r.tp.topic, r.tp.partition, r.offset, r.leader_epoch, r.write_id);
        }
    }
    for r in sim.readers.values() {
        for s in &r.seen {
            poll(format!("reader-{}", r.id), s.at_ms, &r.tp.topic, r.tp.partition, s.offset, s.leader_epoch, s.write_id);
        }
    }
    ops.sort_by_key(|o| (o.time_ms, o.order));
    let mut out = String::new();
    let _ = writeln!(
        out,
        ";; Jepsen-style history of a Kafka Replication Playground run (seed {}, trace {}, {} ms). :time is in ns.",
        p.scenario().seed,
        p.trace_hash_hex(),
        sim.now_ms()
    );
    for (i, o) in ops.iter().enumerate() {
        // :index first, as Jepsen writes it.
        let _ = writeln!(out, "{{:index {i}, {}", &o.line[1..]);
    }
    out
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The cluster view as a standalone SVG: brokers as columns (status, rack), partitions as
/// rows; each replica shows its role (leader ★, ISR member, out of sync), LEO and HW.
pub fn cluster_svg(p: &Playground) -> String {
    let sim = &p.cs.sim;
    let brokers: Vec<_> = sim.brokers.iter().collect();
    let parts: Vec<_> = sim.controller.partitions.values().collect();
    let (col_w, row_h, left, top) = (150.0, 46.0, 150.0, 92.0);
    let width = left + col_w * brokers.len() as f64 + 20.0;
    let height = top + row_h * parts.len() as f64 + 40.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">"#
    );
    let _ = write!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let title = format!(
        "Kafka Replication Playground — t+{:.3} s, seed {}, controller leader epochs as of now",
        sim.now_ms() as f64 / 1000.0,
        p.scenario().seed
    );
    let _ = write!(s, r##"<text x="12" y="22" font-size="14" font-weight="600" fill="#111">{}</text>"##, xml(&title));
    let _ =
        write!(s, r##"<text x="12" y="40" fill="#555">★ leader · solid: in the ISR · dashed: out of sync · LEO / HW per replica</text>"##);
    for (i, (id, slot)) in brokers.iter().enumerate() {
        let x = left + col_w * i as f64;
        let status = slot.status();
        let color = match status {
            NodeStatus::Online => "#1f7a3a",
            NodeStatus::Crashed | NodeStatus::Stopped => "#b3261e",
            _ => "#9a6700",
        };
        let status_text = serde_json::to_value(status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let _ = write!(s, r##"<text x="{}" y="66" font-weight="600" fill="#111">broker-{id}</text>"##, x + 8.0);
        let rack = slot.spec.rack.as_deref().map(|r| format!(" · {r}")).unwrap_or_default();
        let _ = write!(s, r##"<text x="{}" y="82" fill="{color}">{}{}</text>"##, x + 8.0, xml(&status_text), xml(&rack));
    }
    for (r, st) in parts.iter().enumerate() {
        let y = top + row_h * r as f64;
        let label = format!("{} (epoch {})", st.tp, st.leader_epoch);
        let _ = write!(s, r##"<text x="12" y="{}" fill="#111">{}</text>"##, y + 26.0, xml(&label));
        for (i, (id, slot)) in brokers.iter().enumerate() {
            if !st.replicas.contains(id) {
                continue;
            }
            let x = left + col_w * i as f64 + 6.0;
            let leader = st.leader == **id && st.leader != NO_LEADER;
            let in_isr = st.isr.contains(id);
            let (fill, stroke) = if leader { ("#dbeafe", "#1d4ed8") } else { ("#f3f4f6", "#4b5563") };
            let dash = if in_isr { "" } else { r#" stroke-dasharray="4 3""# };
            let _ = write!(
                s,
                r#"<rect x="{x}" y="{}" width="{}" height="{}" rx="5" fill="{fill}" stroke="{stroke}"{dash}/>"#,
                y + 6.0,
                col_w - 14.0,
                row_h - 10.0
            );
            let log = slot.disk().logs.get(&st.tp);
            let text = match log {
                Some(l) => format!("{}LEO {} · HW {}", if leader { "★ " } else { "" }, l.log_end_offset(), l.high_watermark()),
                None => "no log".to_string(),
            };
            let _ = write!(s, r##"<text x="{}" y="{}" fill="#111">{}</text>"##, x + 8.0, y + 30.0, xml(&text));
        }
    }
    s.push_str("</svg>");
    s
}
