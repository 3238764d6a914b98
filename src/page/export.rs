//! Exports of a run: the trace as JSON (scenario, commands, events), a Jepsen-style
//! history (invoke / ok / fail / info per produce and per consumed record, as EDN, the
//! format Jepsen's checkers read) and an SVG picture of the cluster view.

use crate::client::producer::SendOutcome;
use crate::ids::{BrokerId, NO_LEADER};
use crate::log::PartitionLog;
use crate::page::playground::Playground;
use crate::page::record_view::GhostView;
use crate::protocol::PartitionState;
use crate::sim::{BrokerSlot, NodeStatus};
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
        "version": crate::page::share::FORMAT_VERSION,
        "seed": p.scenario().seed,
        "now_ms": p.now_ms(),
        "trace_hash": p.trace_hash_hex(),
        "events_processed": sim.events_processed,
        "scenario": scenario,
        "commands": commands,
        "link": crate::page::share::encode(p),
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
    crate::lean::sort_by_key(&mut ops, |o| (o.time_ms, o.order));
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

/// Leader-epoch colours of the cells, the canvas's palette (`EPOCH_COLORS` in www/render.js).
const EPOCH_COLORS: [&str; 8] = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7"];
/// Offsets per strip at most (the frame's tail, `TAIL_CELLS`).
const SVG_CELLS: i64 = crate::page::playground::TAIL_CELLS as i64;

/// `#rrggbb` lightened towards white by `t` (the canvas's pale cells above the HW).
fn pale(hex: &str, t: f64) -> String {
    let n = u32::from_str_radix(&hex[1..], 16).unwrap_or(0);
    let ch = |s: u32| (((n >> s) & 255) as f64 * (1.0 - t) + 255.0 * t).round() as u32;
    format!("#{:02x}{:02x}{:02x}", ch(16), ch(8), ch(0))
}

/// The cluster view as a standalone SVG, drawn as the canvas draws it: brokers as columns
/// (status, rack; a tint when down), partitions as rows; each replica a strip of its last
/// offsets coloured by leader epoch (pale above its HW), segment boundaries, tombstones, the
/// log start, HW and LEO markers with their labels, its role in words, and its ghosts (records
/// it lost, red when acknowledged); cut links are listed under the title.
pub fn cluster_svg(p: &Playground) -> String {
    let sim = &p.cs.sim;
    let brokers: Vec<_> = sim.brokers.iter().collect();
    let parts: Vec<_> = sim.controller.partitions.values().collect();
    let ghosts = crate::page::record_view::ghosts(sim, p.ghosts_dismissed_at_ms(), true);
    let (col_w, row_h, left) = (240.0, 64.0, 150.0);
    let cuts: Vec<String> = sim.network.cuts.iter().map(|(a, b)| format!("{a} ↛ {b}")).collect();
    let title = "Kafka Replication Playground";
    let sub = format!("t+{:.3} s · seed {} · {} event(s)", sim.now_ms() as f64 / 1000.0, p.scenario().seed, sim.events_processed);
    let legend = "Cells: one per offset, coloured by leader epoch, pale above the replica's HW · ★ leader · solid box: in the ISR · dashed red: out of sync · | segment start · ✕ tombstone";
    let top = if cuts.is_empty() { 104.0 } else { 122.0 };
    // Wide enough for the words above the picture (about 6.5 px per character at 12 px).
    let width = (left + col_w * brokers.len() as f64 + 20.0).max(legend.chars().count() as f64 * 6.2 + 24.0);
    let height = top + row_h * parts.len() as f64 + 24.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12">"#
    );
    let _ = write!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = write!(s, r##"<text x="12" y="22" font-size="15" font-weight="600" fill="#202124">{}</text>"##, xml(title));
    let _ = write!(s, r##"<text x="12" y="40" fill="#3c4043">{}</text>"##, xml(&sub));
    let _ = write!(s, r##"<text x="12" y="57" fill="#5f6368" font-size="11">{}</text>"##, xml(legend));
    if !cuts.is_empty() {
        let _ = write!(s, r##"<text x="12" y="74" fill="#c5221f" font-weight="600">cut links: {}</text>"##, xml(&cuts.join(" · ")));
    }
    let head_y = top - 30.0;
    for (i, (id, slot)) in brokers.iter().enumerate() {
        let x = left + col_w * i as f64;
        svg_broker_head(&mut s, **id, slot, x, col_w, head_y, height - head_y - 10.0);
    }
    for (r, st) in parts.iter().enumerate() {
        let y = top + row_h * r as f64;
        if r > 0 {
            let _ = write!(s, r##"<rect x="4" y="{}" width="{}" height="1" fill="#e8eaed"/>"##, y - 1.0, width - 8.0);
        }
        let _ = write!(s, r##"<text x="12" y="{}" font-weight="600" fill="#202124">{}</text>"##, y + 26.0, xml(&st.tp.to_string()));
        let _ = write!(s, r##"<text x="12" y="{}" fill="#5f6368" font-size="11">leader epoch {}</text>"##, y + 41.0, st.leader_epoch);
        let logs: Vec<_> = st.replicas.iter().filter_map(|b| sim.brokers.get(b).and_then(|x| x.disk().logs.get(&st.tp))).collect();
        let max_leo = logs.iter().map(|l| l.log_end_offset()).max().unwrap_or(0);
        let base = (max_leo - SVG_CELLS).max(0);
        let n = (max_leo - base + 1).max(8);
        let strip_w = col_w - 28.0;
        let cw = (strip_w / n as f64).floor().clamp(3.0, 40.0);
        for (i, (id, slot)) in brokers.iter().enumerate() {
            if !st.replicas.contains(id) {
                continue;
            }
            let strip = Strip { x0: left + col_w * i as f64 + 14.0, y: y + 22.0, h: 20.0, w: strip_w, cw, base, n };
            svg_replica(&mut s, &strip, st, **id, slot, &ghosts);
        }
    }
    s.push_str("</svg>");
    s
}

/// A broker's column head: its name, status and rack, on a tint down the column when it is down.
fn svg_broker_head(s: &mut String, id: BrokerId, slot: &BrokerSlot, x: f64, col_w: f64, head_y: f64, tint_h: f64) {
    let status = slot.status();
    let down = matches!(status, NodeStatus::Crashed | NodeStatus::Stopped);
    if down {
        let _ = write!(s, r##"<rect x="{}" y="{head_y}" width="{}" height="{}" fill="#fce8e6"/>"##, x + 2.0, col_w - 4.0, tint_h);
    }
    let color = match status {
        NodeStatus::Online => "#137333",
        NodeStatus::Crashed | NodeStatus::Stopped => "#c5221f",
        _ => "#8f4f00",
    };
    let status_text = serde_json::to_value(status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    let _ = write!(s, r##"<text x="{}" y="{}" font-weight="600" fill="#202124">broker-{id}</text>"##, x + 12.0, head_y + 12.0);
    let rack = slot.spec.rack.as_deref().map(|r| format!(" · rack {r}")).unwrap_or_default();
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" fill="{color}">● {}{}</text>"##,
        x + 12.0,
        head_y + 26.0,
        xml(&status_text.replace('_', " ")),
        xml(&rack)
    );
}

/// Where one replica's strip is drawn: its left edge, top, height and width, the cell width,
/// and the offsets it shows (`n` of them from `base`).
struct Strip {
    x0: f64,
    y: f64,
    h: f64,
    w: f64,
    cw: f64,
    base: i64,
    n: i64,
}

impl Strip {
    /// The x of offset `o`'s cell.
    fn x_of(&self, o: i64) -> f64 {
        self.x0 + (o - self.base) as f64 * self.cw
    }
}

/// One replica of a partition: the box its role draws, its cells, its log start, HW and LEO
/// markers, its role in words, and its ghosts.
fn svg_replica(s: &mut String, strip: &Strip, st: &PartitionState, id: BrokerId, slot: &BrokerSlot, ghosts: &[GhostView]) {
    let (x0, sy, sh, strip_w) = (strip.x0, strip.y, strip.h, strip.w);
    let (base, n) = (strip.base, strip.n);
    let leader = st.leader == id && st.leader != NO_LEADER;
    let in_isr = st.isr.contains(&id);
    let in_elr = st.elr.contains(&id);
    let down = matches!(slot.status(), NodeStatus::Crashed | NodeStatus::Stopped);
    let Some(log) = slot.disk().logs.get(&st.tp) else {
        let _ = write!(s, r##"<text x="{x0}" y="{}" fill="#5f6368" font-size="11">no log</text>"##, sy + 14.0);
        return;
    };
    // The box: its border says the replica's role, as on the canvas.
    let (stroke, dash, fill, lw) = if leader {
        ("#c98f00", "", "#ffffff", 2.5)
    } else if in_isr {
        ("#1e8e3e", "", "#ffffff", 2.0)
    } else if in_elr {
        ("#e37400", r#" stroke-dasharray="5 3""#, "#fef7e0", 1.5)
    } else {
        ("#d93025", r#" stroke-dasharray="5 3""#, "#fce8e6", 1.5)
    };
    let _ = write!(
        s,
        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="{stroke}" stroke-width="{lw}"{dash}/>"#,
        x0 - 3.0,
        sy - 3.0,
        strip_w + 6.0,
        sh + 6.0
    );
    let hw = crate::page::playground::shown_high_watermark(slot, log, &st.tp);
    let leo = log.log_end_offset();
    let lso = log.log_start_offset();
    let opacity = if down { r#" opacity="0.45""# } else { "" };
    let _ = write!(s, "<g{opacity}>");
    svg_cells(s, strip, log, hw, lso);
    s.push_str("</g>");
    // Markers: log start bracket, HW bar, LEO triangle, and their labels.
    if lso > 0 && lso >= base && lso <= base + n {
        let _ = write!(s, r##"<rect x="{}" y="{}" width="2" height="{}" fill="#202124"/>"##, strip.x_of(lso) - 1.0, sy - 2.0, sh + 4.0);
    }
    if hw >= base {
        let _ = write!(s, r##"<rect x="{}" y="{}" width="2.5" height="{}" fill="#202124"/>"##, strip.x_of(hw) - 1.0, sy - 5.0, sh + 10.0);
    }
    let lx = strip.x_of(leo.max(base));
    let _ = write!(s, r##"<path d="M{lx} {} l4 6 h-8 z" fill="#5f6368"/>"##, sy + sh + 2.0);
    let marks = if hw == leo { format!("HW = LEO {leo}") } else { format!("HW {hw} · LEO {leo}") };
    let _ = write!(s, r##"<text x="{}" y="{}" font-size="10" fill="#202124">{}</text>"##, x0, sy + sh + 14.0, xml(&marks));
    // The role in words above the strip.
    let role = if leader {
        format!("★ leader · epoch {}", st.leader_epoch)
    } else if in_isr {
        "✓ in ISR".to_string()
    } else if in_elr {
        "ELR, not in ISR".to_string()
    } else {
        "✗ out of sync".to_string()
    };
    let role = if down {
        format!("{} · {role}", serde_json::to_value(slot.status()).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
    } else {
        role
    };
    let ink = if leader {
        "#8a5a00"
    } else if in_isr {
        "#137333"
    } else {
        "#c5221f"
    };
    let _ = write!(s, r##"<text x="{x0}" y="{}" font-size="11" font-weight="600" fill="{ink}">{}</text>"##, sy - 7.0, xml(&role));
    // Ghosts: what this replica lost, at its offsets.
    for g in ghosts.iter().filter(|g| g.broker == id && g.topic == st.tp.topic && g.partition == st.tp.partition) {
        svg_ghost(s, strip, g, leo);
    }
}

/// A replica's cells (one per offset, coloured by leader epoch, pale above the HW; tombstones
/// as ✕) and its segment boundaries.
fn svg_cells(s: &mut String, strip: &Strip, log: &PartitionLog, hw: i64, lso: i64) {
    let (sy, sh, cw, base, n) = (strip.y, strip.h, strip.cw, strip.base, strip.n);
    for rec in log.read(base, base + n, n as usize) {
        let color = EPOCH_COLORS[rec.leader_epoch.rem_euclid(8) as usize];
        let x = strip.x_of(rec.offset);
        if rec.value.is_none() {
            let _ = write!(s, r##"<rect x="{x}" y="{sy}" width="{}" height="{sh}" fill="#ffffff" stroke="{color}"/>"##, cw - 1.0);
            let _ =
                write!(s, r##"<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#a50e0e">✕</text>"##, x + cw / 2.0, sy + 14.0);
            continue;
        }
        let fill = if rec.offset < hw { color.to_string() } else { pale(color, 0.65) };
        let _ = write!(s, r##"<rect x="{x}" y="{sy}" width="{}" height="{sh}" fill="{fill}"/>"##, (cw - 1.0).max(1.0));
        if cw >= 14.0 {
            let ink = if rec.offset < hw { "#ffffff" } else { "#3c4043" };
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" text-anchor="middle" font-size="9" fill="{ink}">{}</text>"##,
                x + cw / 2.0,
                sy + 14.0,
                rec.offset
            );
        }
    }
    for seg in log.segments().iter().skip(1) {
        let b = seg.base_offset;
        if b > base && b <= base + n && b > lso {
            let _ = write!(
                s,
                r##"<rect x="{}" y="{}" width="1.5" height="{}" fill="#202124" opacity="0.7"/>"##,
                strip.x_of(b) - 0.75,
                sy - 3.0,
                sh + 6.0
            );
        }
    }
}

/// One ghost of a replica: the records it lost at their offsets (dashed boxes beyond its LEO,
/// a bar under each; red when acknowledged) and its label on a white ground.
fn svg_ghost(s: &mut String, strip: &Strip, g: &GhostView, leo: i64) {
    let (x0, sy, sh, strip_w, cw, base, n) = (strip.x0, strip.y, strip.h, strip.w, strip.cw, strip.base, strip.n);
    for r in g.records.iter().filter(|r| r.offset >= base && r.offset < base + n) {
        let c = if r.acknowledged_lost { "#c5221f" } else { "#5f6368" };
        let x = strip.x_of(r.offset);
        if r.offset >= leo {
            let _ = write!(
                s,
                r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{c}" stroke-dasharray="2 2"/>"##,
                x + 0.5,
                sy + 0.5,
                (cw - 2.0).max(1.0),
                sh - 1.0
            );
        }
        let _ = write!(s, r##"<rect x="{x}" y="{}" width="{}" height="3" fill="{c}"/>"##, sy + sh - 3.0, (cw - 1.0).max(2.0));
    }
    // The label on a white ground at the first lost offset (kept inside the strip where it fits).
    let ink = if g.acknowledged_lost > 0 { "#a50e0e" } else { "#3c4043" };
    let w = g.label.chars().count() as f64 * 5.8;
    let first = g.records.iter().map(|r| r.offset).find(|o| *o >= base).unwrap_or(base);
    let lx = strip.x_of(first).min(x0 + strip_w - w - 4.0).max(x0 - 2.0);
    let _ = write!(
        s,
        r##"<rect x="{}" y="{}" width="{}" height="14" fill="#ffffff" opacity="0.92"/>"##,
        lx - 2.0,
        sy + sh / 2.0 - 7.0,
        w + 4.0
    );
    let _ =
        write!(s, r##"<text x="{lx}" y="{}" font-size="10" font-weight="600" fill="{ink}">{}</text>"##, sy + sh / 2.0 + 3.5, xml(&g.label));
}
