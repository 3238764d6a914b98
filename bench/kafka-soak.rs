//! `kafka-soak [minutes] [records/s]`: one simulated hour (default) at 1 000 records/s
//! (default) on 3 brokers, one topic of 3 partitions × RF 3 with `retention.ms` 60 s and
//! 256 KB segments, a committed-only reader, every invariant checked as in the sweeps.
//! Prints JSON lines: the live heap (a counting allocator) after warm-up and every 10
//! simulated minutes, with the sizes of what grows with time, so memory can be seen
//! staying flat (or not).

use kafka_playground::command::Command;
use kafka_playground::scenario::{start, Scenario};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static A: Counting = Counting;

fn main() {
    let minutes: i64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(60);
    let rate: f64 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1000.0);
    let text = r#"{"name": "soak", "seed": 1, "brokers": 3,
      "broker_config": {"min.insync.replicas": 2, "log.retention.ms": 60000, "log.segment.bytes": 262144,
                        "log.retention.check.interval.ms": 10000},
      "producer_config": {"acks": "all"},
      "topics": [{"name": "soak", "partitions": 3, "replication_factor": 3}]}"#;
    let scenario = Scenario::parse(text).expect("soak scenario");
    let mut cs = start(&scenario).expect("soak cluster");
    cs.slow_check_every = 50;
    cs.apply(Command::StartReader { topic: "soak".into(), partition: 0 }).expect("reader");
    cs.apply(Command::SetWorkload { topic: "soak".into(), records_per_sec: rate, keys: 0 }).expect("workload");
    let t0 = Instant::now();
    let report = |cs: &kafka_playground::check::CheckedSim, label: &str| {
        let sim = &cs.sim;
        let records: usize = sim.brokers.values().map(|b| b.disk().logs.values().map(|l| l.records().len()).sum::<usize>()).sum();
        println!(
            "{{\"soak\":\"{label}\",\"simulated_min\":{:.1},\"wall_s\":{:.1},\"heap_mb\":{:.1},\"peak_mb\":{:.1},\"acknowledged\":{},\"records_held\":{records},\"sends_tracked\":{},\"events_kept\":{},\"reader_seen\":{},\"violations\":{}}}",
            sim.now_ms() as f64 / 60_000.0,
            t0.elapsed().as_secs_f64(),
            LIVE.load(Ordering::Relaxed) as f64 / 1e6,
            PEAK.load(Ordering::Relaxed) as f64 / 1e6,
            sim.producer.acked_count,
            sim.producer.sends.len(),
            sim.events.len(),
            sim.readers.values().map(|r| r.seen.len()).sum::<usize>(),
            cs.checker.violations.len(),
        );
    };
    // Warm-up: retention needs a minute to start deleting.
    cs.run_until(cs.sim.now_ms() + 2 * 60_000);
    report(&cs, "after 2 min warm-up");
    let end = minutes * 60_000;
    while cs.sim.now_ms() < end {
        let next = (cs.sim.now_ms() / 600_000 + 1) * 600_000;
        cs.run_until(next.min(end));
        report(&cs, "running");
    }
}
