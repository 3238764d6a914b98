//! `kafka-sim run FILE [--events]`: runs a scenario file and prints the JSON report.
//! `kafka-sim sweep …`: random fault schedules under safe and unsafe settings (see `sweep_main`).

use kafka_playground::page::report::build_report;
use kafka_playground::proof::verify::profile::{self, Profile};
use kafka_playground::proof::verify::{shrink::shrink, sweep::run_seed, Outcome};
use kafka_playground::scenario::{run, Scenario};
use std::process::ExitCode;

const USAGE: &str = "usage: kafka-sim run FILE [--events]
       kafka-sim describe FILE
       kafka-sim configs
       kafka-sim config-docs
       kafka-sim hashes
       kafka-sim sweep [--seeds N] [--first S] [--profile NAME|safe-all|unsafe|all]
                       [--shrink] [--out DIR] [--json]

Runs a scenario file (see docs/scenarios.md) and prints a JSON report.
Exits 1 when the file's `expect` block is not met, 2 when the file is invalid.
`configs` prints the reference of every config key (Markdown).
`config-docs` prints every key's doc by \"scope:key\" (JSON): www/config-docs.json, which the page
reads for its tooltips (the docs are not in the wasm module).
`hashes` prints the trace hash of every file in scenarios/ and of sweep seeds 1-5 of
every profile (JSON): the e2e test compares the scenarios' with the same runs in wasm (the sweeps'
are in tests/golden/trace_hashes.json, which tests/web.rs checks in wasm).
`sweep` runs N seeds (default 100) of random workloads and fault schedules per profile
and prints a table; a failing seed under safe settings is shrunk to a minimal scenario
file (written to --out, default target/sweep-failures) and the exit code is 1. Profiles:
safe, safe-quorum, acks-1, unclean, legacy-hw, power-loss (default: all).
  --events   include the event log in the report";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("sweep") {
        return sweep_main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("hashes") {
        return hashes_main();
    }
    // The config docs are not compiled for wasm32 (the browser's module leaves them out; see config.rs).
    #[cfg(not(target_arch = "wasm32"))]
    if args.first().map(String::as_str) == Some("configs") {
        print!("{}", kafka_playground::config::reference_markdown());
        return ExitCode::SUCCESS;
    }
    #[cfg(not(target_arch = "wasm32"))]
    if args.first().map(String::as_str) == Some("config-docs") {
        print!("{}", kafka_playground::config::docs_json());
        return ExitCode::SUCCESS;
    }
    let (cmd, file) = match (args.first(), args.get(1)) {
        (Some(c), Some(f)) if c == "run" || c == "describe" => (c.clone(), f.clone()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let with_events = args.iter().skip(2).any(|a| a == "--events");
    if let Some(bad) = args.iter().skip(2).find(|a| *a != "--events") {
        eprintln!("unknown option {bad}\n{USAGE}");
        return ExitCode::from(2);
    }
    run_file(&cmd, &file, with_events)
}

/// `kafka-sim run FILE` and `kafka-sim describe FILE`: the report (or the description) of a
/// scenario file's run, checked against its `expect` block.
fn run_file(cmd: &str, file: &str, with_events: bool) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let scenario = match Scenario::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let cs = match run(&scenario) {
        Ok(cs) => cs,
        Err(e) => {
            eprintln!("error: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    if cmd == "describe" {
        print!("{}", cs.sim.describe(None));
        return ExitCode::SUCCESS;
    }
    let mut report = build_report(&cs.sim, &cs.checker.violations, with_events);
    if let Some(e) = &scenario.expect {
        report.expectations = e.check(&cs);
    }
    let unmet: Vec<String> =
        report.expectations.iter().filter(|e| !e.ok).map(|e| format!("{}: expected {}, got {}", e.what, e.expected, e.actual)).collect();
    match serde_json::to_string_pretty(&report) {
        Ok(s) => {
            println!("{s}");
            if unmet.is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!("{file}: {} expectation(s) not met:\n  {}", unmet.len(), unmet.join("\n  "));
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: cannot encode the report: {e}");
            ExitCode::from(1)
        }
    }
}

/// `kafka-sim sweep`'s options (see USAGE).
struct SweepOptions {
    seeds: u64,
    first: u64,
    profile: String,
    shrink: bool,
    json_lines: bool,
    out_dir: std::path::PathBuf,
}

fn parse_sweep_options(args: &[String]) -> Result<SweepOptions, ExitCode> {
    let mut o = SweepOptions {
        seeds: 100,
        first: 1,
        profile: "all".to_string(),
        shrink: false,
        json_lines: false,
        out_dir: std::path::PathBuf::from("target/sweep-failures"),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<String, ExitCode> {
            it.next().cloned().ok_or_else(|| {
                eprintln!("{name} needs a value\n{USAGE}");
                ExitCode::from(2)
            })
        };
        match a.as_str() {
            "--seeds" => o.seeds = value("--seeds")?.parse().map_err(|_| bad("--seeds"))?,
            "--first" => o.first = value("--first")?.parse().map_err(|_| bad("--first"))?,
            "--profile" => o.profile = value("--profile")?,
            "--out" => o.out_dir = value("--out")?.into(),
            "--shrink" => o.shrink = true,
            "--json" => o.json_lines = true,
            other => {
                eprintln!("unknown option {other}\n{USAGE}");
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(o)
}

/// The profiles `--profile` names: one by name, `safe-all`, `unsafe` or `all`.
fn select_profiles(which: &str) -> Result<Vec<&'static Profile>, ExitCode> {
    Ok(match which {
        "all" => profile::PROFILES.iter().collect(),
        "safe-all" => profile::PROFILES.iter().filter(|p| p.safe).collect(),
        "unsafe" => profile::PROFILES.iter().filter(|p| !p.safe).collect(),
        name => match Profile::by_name(name) {
            Some(p) => vec![p],
            None => {
                eprintln!("--profile: no profile {name:?}; one of {}, safe-all, unsafe, all", profile::names().join(", "));
                return Err(ExitCode::from(2));
            }
        },
    })
}

/// `kafka-sim sweep`: see USAGE.
fn sweep_main(args: &[String]) -> ExitCode {
    let opts = match parse_sweep_options(args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let profiles = match select_profiles(&opts.profile) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (seeds, first) = (opts.seeds, opts.first);
    let mut rows = vec![];
    let mut safe_failures = 0;
    for p in profiles {
        let started = std::time::Instant::now();
        let mut failing: Vec<Outcome> = vec![];
        let (mut faults, mut sends, mut acked) = (0u64, 0u64, 0u64);
        let mut by_invariant: std::collections::BTreeMap<String, u64> = Default::default();
        let mut recovery: Vec<i64> = vec![];
        for seed in first..first.saturating_add(seeds) {
            let o = run_seed(seed, p);
            faults += o.fault_count() as u64;
            sends += o.sends as u64;
            acked += o.acknowledged;
            recovery.extend(o.recovery_ms);
            for inv in o.signature() {
                *by_invariant.entry(inv).or_default() += 1;
            }
            if opts.json_lines {
                println!("{}", serde_json::to_string(&o).unwrap_or_default());
            }
            if !o.ok() {
                failing.push(o);
            }
        }
        recovery.sort_unstable();
        let pct = |q: f64| recovery.get(((recovery.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0);
        let share = failing.len() as f64 * 100.0 / seeds.max(1) as f64;
        let invariants: Vec<String> = by_invariant.iter().map(|(k, v)| format!("{k} ({v})")).collect();
        eprintln!(
            "{}: {seeds} seeds from {first}: {} with violations ({share:.1}%), {faults} faults, {sends} sends, {acked} acknowledged, recovery p50 {} ms max {} ms, {:.1} s",
            p.name,
            failing.len(),
            pct(0.5),
            pct(1.0),
            started.elapsed().as_secs_f64()
        );
        if p.safe && !failing.is_empty() {
            safe_failures += failing.len();
            write_failures(p, &failing, &opts);
        }
        rows.push(format!(
            "| `{}` | {} | {} | {} | {share:.1}% | {} | {faults} |",
            p.name,
            p.settings,
            seeds,
            failing.len(),
            if invariants.is_empty() { "–".to_string() } else { invariants.join(", ") },
        ));
    }
    println!("| Profile | Settings | Seeds | Seeds with violations | Share | Invariants broken (seeds) | Faults injected |");
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    if safe_failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Failing seeds under safe settings: the first (three with `--shrink`, each shrunk) written
/// to `--out` as scenario files that reproduce them, and described on stderr.
fn write_failures(p: &'static Profile, failing: &[Outcome], opts: &SweepOptions) {
    let _ = std::fs::create_dir_all(&opts.out_dir);
    for o in failing.iter().take(if opts.shrink { 3 } else { 1 }) {
        let mut shown = o.clone();
        if opts.shrink {
            let s = shrink(o, p);
            eprintln!("seed {}: shrunk from {} to {} commands in {} replays", o.seed, s.from_commands, s.outcome.safety.len(), s.replays);
            shown = s.outcome;
        }
        let file = opts.out_dir.join(format!("{}-seed-{}.json", p.name, o.seed));
        let problems: Vec<String> = shown.problems.iter().map(|x| format!("[{}] {}: {}", x.time_ms, x.invariant, x.message)).collect();
        let _ = std::fs::write(
            &file,
            shown.reproduction(&format!("Found by kafka-sim sweep --profile {} (seed {}): {}", p.name, o.seed, problems.join("; "))),
        );
        eprintln!(
            "seed {} FAILED under {}:\n  {}\nreproduce: cargo run --release --bin kafka-sim -- run {}\nlast events:\n  {}",
            o.seed,
            p.name,
            problems.join("\n  "),
            file.display(),
            shown.last_events.join("\n  ")
        );
    }
}

fn bad(name: &str) -> ExitCode {
    eprintln!("{name}: not a whole number\n{USAGE}");
    ExitCode::from(2)
}

/// `kafka-sim hashes`: natively computed trace hashes for the determinism check.
fn hashes_main() -> ExitCode {
    use kafka_playground::proof::verify::{sweep::run_seed, PROFILES};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(&dir) {
        Ok(d) => d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect(),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    files.sort();
    let mut scenarios = serde_json::Map::new();
    for f in files {
        let Some(name) = f.file_stem().map(|s| s.to_string_lossy().to_string()) else { continue };
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        // index.json is the page's catalogue, not a scenario.
        let Ok(s) = Scenario::parse(&text) else { continue };
        match run(&s) {
            Ok(cs) => {
                scenarios.insert(name, serde_json::json!(format!("{:016x}", cs.sim.trace_hash())));
            }
            Err(e) => {
                eprintln!("error: {}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    let sweeps: Vec<serde_json::Value> = PROFILES
        .iter()
        .flat_map(|p| (1..=5).map(move |seed| (p, seed)))
        .map(|(p, seed)| serde_json::json!({"profile": p.name, "seed": seed, "trace_hash": run_seed(seed, p).trace_hash}))
        .collect();
    println!("{}", serde_json::json!({"scenarios": scenarios, "sweeps": sweeps}));
    ExitCode::SUCCESS
}
