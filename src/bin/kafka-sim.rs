//! `kafka-sim run FILE [--events]`: runs a scenario file and prints the JSON report.

use kafka_playground::report::build_report;
use kafka_playground::scenario::{run, Scenario};
use std::process::ExitCode;

const USAGE: &str = "usage: kafka-sim run FILE [--events]
       kafka-sim describe FILE
       kafka-sim configs

Runs a scenario file (see docs/scenarios.md) and prints a JSON report.
Exits 1 when the file's `expect` block is not met, 2 when the file is invalid.
`configs` prints the reference of every config key (Markdown).
  --events   include the event log in the report";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("configs") {
        print!("{}", kafka_playground::config::reference_markdown());
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
    let text = match std::fs::read_to_string(&file) {
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
