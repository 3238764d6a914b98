//! Every file in `tests/regressions/` is a scenario a sweep once found failing, shrunk to
//! a minimal command list, with its postmortem in `description` and the behaviour it pins
//! in `expect` (see tests/regressions/README.md). Each must still meet its `expect`, and a
//! file that expects nothing lost must also end recovered: every partition led, every ISR
//! full, every acknowledged write readable.

use kafka_playground::client::producer::SendOutcome;
use kafka_playground::proof::verify::sweep::end_state_problems;
use kafka_playground::scenario::{run, Scenario};

#[test]
fn every_shrunk_sweep_failure_still_behaves_as_its_postmortem_says() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions"));
    let mut files: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let s = Scenario::parse(&std::fs::read_to_string(f).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(s.description.as_deref().unwrap_or("").len() > 200, "{name}: the description must carry the postmortem");
        let expect = s.expect.clone().unwrap_or_else(|| panic!("{name}: needs an expect block"));
        let cs = run(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
        let unmet: Vec<_> = expect.check(&cs).into_iter().filter(|r| !r.ok).collect();
        assert!(unmet.is_empty(), "{name}: {unmet:#?}");
        if cs.checker.violations.is_empty() {
            let acked: Vec<u64> =
                cs.sim.producer.sends.iter().filter(|(_, s)| matches!(s.outcome, SendOutcome::Acked { .. })).map(|(id, _)| *id).collect();
            let problems = end_state_problems(&cs, &acked);
            assert!(problems.is_empty(), "{name}: not recovered at the end: {problems:#?}");
        }
    }
}
