//! A guided scenario's stops on the page: each stop's claims (`scenario/stop_claims.rs`) checked
//! against the run at the stop, and the run's numbers filled into its text.

use crate::ids::NO_LEADER;
use crate::page::playground::Playground;
use crate::scenario::stop_claims::{ids_text, placeholders, StopExpect};

impl Playground {
    fn partition(&self, tp: &str) -> Option<&crate::protocol::PartitionState> {
        self.cs.sim.controller.partitions.iter().find(|(k, _)| k.to_string() == tp).map(|(_, p)| p)
    }

    /// The leader's high watermark of a partition (`None` when it has no running leader).
    fn leader_high_watermark(&self, tp: &str) -> Option<i64> {
        let (k, p) = self.cs.sim.controller.partitions.iter().find(|(k, _)| k.to_string() == tp)?;
        if p.leader == NO_LEADER {
            return None;
        }
        self.cs.sim.brokers.get(&p.leader).and_then(|b| b.disk().logs.get(k)).map(|l| l.high_watermark())
    }

    /// The value of one placeholder now.
    fn placeholder_value(&mut self, name: &str, arg: &str) -> String {
        let none = || "none".to_string();
        let p = self.partition(arg);
        match name {
            "acknowledged" => self.cs.sim.producer.acked_count.to_string(),
            "failed" => self.cs.sim.producer.failed_count.to_string(),
            "lost" => self.invariants().lost_acknowledged_writes.to_string(),
            "leader:" => p.filter(|p| p.leader != NO_LEADER).map(|p| p.leader.to_string()).unwrap_or_else(none),
            "epoch:" => p.map(|p| p.leader_epoch.to_string()).unwrap_or_else(none),
            "isr:" => p.map(|p| ids_text(&p.isr)).unwrap_or_else(none),
            "elr:" => p.map(|p| ids_text(&p.elr)).unwrap_or_else(none),
            "replicas:" => p.map(|p| ids_text(&p.replicas)).unwrap_or_else(none),
            _ => self.leader_high_watermark(arg).map(|h| h.to_string()).unwrap_or_else(none),
        }
    }

    /// The text of narration stop `i` with its placeholders filled from the run as it is
    /// now (the page calls it when it shows the stop, at the stop's time).
    pub fn narration_text(&mut self, i: usize) -> Option<String> {
        let text = self.scenario().narration.get(i)?.text.clone();
        let Ok(found) = placeholders(&text) else { return Some(text) };
        let mut out = String::new();
        let mut rest = text.as_str();
        for (name, arg) in found {
            let start = rest.find('{').expect("a placeholder was found here");
            let end = rest.find('}').expect("a placeholder was found here");
            out.push_str(&rest[..start]);
            out.push_str(&self.placeholder_value(name, arg));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    /// Checks the claims of narration stop `i` against the run as it is now: `Err` lists
    /// every claim that does not hold ("leader of orders-0: expected 2, got none").
    pub fn check_stop(&mut self, i: usize) -> Result<(), String> {
        let Some(e) = self.scenario().narration.get(i).and_then(|s| s.expect.clone()) else { return Ok(()) };
        check(self, &e)
    }
}

/// Checks claims against the run as it is now; see [`Playground::check_stop`].
pub fn check(p: &mut Playground, e: &StopExpect) -> Result<(), String> {
    let mut bad: Vec<String> = vec![];
    let verdict = p.invariants();
    let mut violated: Vec<&str> = verdict.violations.iter().map(|v| v.invariant.as_str()).collect();
    crate::lean::sort(&mut violated);
    violated.dedup();
    if let Some(h) = e.holds {
        if h != verdict.ok {
            bad.push(format!(
                "holds: expected {}, but the verdict lists {violated:?}",
                if h { "all invariants to hold" } else { "a violation" }
            ));
        }
    }
    for n in &e.violated {
        if !violated.contains(&n.as_str()) {
            bad.push(format!("violated: {n} is not in the verdict {violated:?}"));
        }
    }
    let leader_text = |l: Option<i32>| l.map(|b| b.to_string()).unwrap_or_else(|| "none".into());
    for (tp, want) in &e.leaders {
        let got = p.partition(tp).map(|s| leader_text((s.leader != NO_LEADER).then_some(s.leader)));
        if got.as_deref() != Some(leader_text(*want).as_str()) {
            bad.push(format!("leader of {tp}: expected {}, got {}", leader_text(*want), got.unwrap_or_else(|| "no such partition".into())));
        }
    }
    for (tp, want) in &e.leader_epochs {
        let got = p.partition(tp).map(|s| s.leader_epoch);
        if got != Some(*want) {
            bad.push(format!("leader epoch of {tp}: expected {want}, got {got:?}"));
        }
    }
    for (what, claims) in [("isr", &e.isr), ("elr", &e.elr), ("replicas", &e.replicas), ("adding replicas", &e.adding)] {
        for (tp, want) in claims {
            let got = p.partition(tp).map(|s| match what {
                "isr" => s.isr.clone(),
                "elr" => s.elr.clone(),
                "replicas" => s.replicas.clone(),
                _ => s.adding_replicas.clone(),
            });
            if got.as_ref() != Some(want) {
                bad.push(format!(
                    "{what} of {tp}: expected {}, got {}",
                    ids_text(want),
                    got.map(|g| ids_text(&g)).unwrap_or_else(|| "no such partition".into())
                ));
            }
        }
    }
    for (tp, want, inside) in e.in_isr.iter().map(|(t, w)| (t, w, true)).chain(e.not_in_isr.iter().map(|(t, w)| (t, w, false))) {
        let Some(isr) = p.partition(tp).map(|s| s.isr.clone()) else {
            bad.push(format!("isr of {tp}: no such partition"));
            continue;
        };
        for b in want.iter().filter(|b| isr.contains(b) != inside) {
            bad.push(format!("isr of {tp}: broker {b} is {} the ISR {}", if inside { "not in" } else { "in" }, ids_text(&isr)));
        }
    }
    for (tp, want) in &e.high_watermarks {
        let got = p.leader_high_watermark(tp);
        if got != Some(*want) {
            bad.push(format!(
                "high watermark of {tp}'s leader: expected {want}, got {}",
                got.map(|h| h.to_string()).unwrap_or_else(|| "no leader".into())
            ));
        }
    }
    let errors = crate::errors::counts_by_name(&p.cs.sim.producer.error_counts);
    for n in &e.errors_seen {
        if !errors.contains_key(n.as_str()) {
            bad.push(format!("errors_seen: the producer has not received {n} (received {:?})", errors.keys().collect::<Vec<_>>()));
        }
    }
    for n in &e.errors_not_seen {
        if errors.contains_key(n.as_str()) {
            bad.push(format!("errors_not_seen: the producer has received {n} {} time(s)", errors[n.as_str()]));
        }
    }
    let counts = [
        ("acknowledged", e.acknowledged, p.cs.sim.producer.acked_count as u64),
        ("failed", e.failed, p.cs.sim.producer.failed_count as u64),
        ("lost_acknowledged_writes", e.lost_acknowledged_writes, verdict.lost_acknowledged_writes as u64),
    ];
    for (what, want, got) in counts {
        if let Some(w) = want {
            if !w.holds(got) {
                bad.push(format!("{what}: expected {w}, got {got}"));
            }
        }
    }
    for t in &e.events {
        if !p.cs.sim.events.iter().any(|ev| ev.message.contains(t.as_str())) {
            bad.push(format!("events: no event-log line contains {t:?}"));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}
