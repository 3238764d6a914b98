//! Time travel: scrubbing back and forking give exactly the state of a fresh run of
//! the shortened command log; playing on after a scrub continues the recorded run.
use kafka_playground::command::Command;
use kafka_playground::ids::NodeId;
use kafka_playground::page::playground::Playground;

/// Everything a user can see, in one string: the trace hash, time, events processed,
/// kafka-topics.sh --describe, the invariants, every replica's segments and the event log
/// the page shows after a seek (its newest 500 lines, with their numbers).
fn state(p: &mut Playground) -> String {
    let violations = format!("{:?}", p.invariants().violations);
    let storage = serde_json::to_string(&p.storage()).unwrap();
    let end = p.cs.sim.events_dropped + p.cs.sim.events.len();
    let log: Vec<String> =
        p.events_since(end.saturating_sub(500), 500).iter().map(|e| format!("{} {} {} {}", e.seq, e.time_ms, e.node, e.message)).collect();
    assert!(log.len() == 500 || end < 500, "the page's 500 lines after a seek: {} of {end}", log.len());
    format!(
        "{} t={} events={} {}\n{violations}\n{storage}\n{}",
        p.trace_hash_hex(),
        p.now_ms(),
        p.cs.sim.events_processed,
        p.describe(),
        log.join("\n")
    )
}

fn crash(b: i32) -> Command {
    Command::CrashBroker { broker: b, keep_page_cache: false }
}

/// The run every test starts from: 60 s of the default playground with a crash,
/// a restart and a cut link, advanced in uneven chunks like the page's frames.
fn recorded_run(seed: u64) -> Playground {
    let mut p = Playground::new(None, Some(seed)).unwrap();
    for _ in 0..30 {
        p.advance(100);
    }
    p.apply(crash(1)).unwrap();
    p.advance(7_000);
    p.apply(Command::RestartBroker { broker: 1 }).unwrap();
    for _ in 0..7 {
        p.advance(1_733);
    }
    p.apply(Command::CutLink { from: NodeId::Broker(2), to: NodeId::Broker(3), one_way: false }).unwrap();
    p.advance(35_000 - 7 * 1_733 - 7_000 - 3_000 + 25_000);
    p
}

#[test]
fn scrubbing_back_gives_the_state_of_a_fresh_run_up_to_that_time() {
    let mut p = recorded_run(5);
    let end = state(&mut p);
    let end_ms = p.now_ms();
    // Fresh runs of the same commands up to 8 s after start-up and up to 30 s.
    let start = Playground::new(None, Some(5)).unwrap().now_ms();
    for t in [start + 1_234, start + 3_000, start + 8_000, start + 30_000, start + 2_000] {
        let mut fresh = Playground::new(None, Some(5)).unwrap();
        fresh.advance((start + 3_000).min(t) - fresh.now_ms());
        if t >= start + 3_000 {
            fresh.apply(crash(1)).unwrap();
            fresh.advance((start + 10_000).min(t) - fresh.now_ms());
        }
        if t >= start + 10_000 {
            fresh.apply(Command::RestartBroker { broker: 1 }).unwrap();
            fresh.advance((start + 10_000 + 7 * 1_733).min(t) - fresh.now_ms());
        }
        if t >= start + 10_000 + 7 * 1_733 {
            fresh.apply(Command::CutLink { from: NodeId::Broker(2), to: NodeId::Broker(3), one_way: false }).unwrap();
            fresh.advance(t - fresh.now_ms());
        }
        p.seek(t);
        assert_eq!(p.now_ms(), t);
        assert_eq!(state(&mut p), state(&mut fresh), "scrubbed to {t}");
        assert!(!p.timeline_view().at_end);
    }
    // Scrubbing to the end again, and playing forward from the past, reach the same end.
    p.seek(end_ms);
    assert_eq!(state(&mut p), end);
    p.seek(start + 500);
    while p.now_ms() < end_ms {
        p.advance(997.min(end_ms - p.now_ms()));
    }
    assert_eq!(state(&mut p), end, "playing on after a scrub continues the recorded run");
    assert!(p.timeline_view().at_end);
    assert_eq!(p.timeline_view().commands.len(), 3);
}

#[test]
fn a_command_after_scrubbing_back_forks_the_run_like_a_fresh_run_of_the_shortened_log() {
    let mut p = recorded_run(9);
    let start = Playground::new(None, Some(9)).unwrap().now_ms();
    p.seek(start + 6_000); // after the crash, before the restart
    p.apply(crash(2)).unwrap();
    p.advance(20_000);
    let v = p.timeline_view();
    assert_eq!(v.commands.iter().map(|c| c.at_ms).collect::<Vec<_>>(), vec![start + 3_000, start + 6_000]);
    assert_eq!(v.end_ms, start + 26_000);

    let mut fresh = Playground::new(None, Some(9)).unwrap();
    fresh.advance(3_000);
    fresh.apply(crash(1)).unwrap();
    fresh.advance(3_000);
    fresh.apply(crash(2)).unwrap();
    fresh.advance(20_000);
    assert_eq!(state(&mut p), state(&mut fresh));
}

#[test]
fn undo_returns_to_just_before_the_last_command_and_forgets_it() {
    let mut p = recorded_run(11);
    let start = Playground::new(None, Some(11)).unwrap().now_ms();
    let undone = p.undo().expect("there is a command to undo");
    assert!(matches!(undone, Command::CutLink { .. }), "{undone:?}");
    assert_eq!(p.now_ms(), start + 10_000 + 7 * 1_733);
    assert!(p.timeline_view().at_end);
    assert_eq!(p.timeline_view().commands.len(), 2);
    p.advance(5_000);

    let mut fresh = Playground::new(None, Some(11)).unwrap();
    fresh.advance(3_000);
    fresh.apply(crash(1)).unwrap();
    fresh.advance(7_000);
    fresh.apply(Command::RestartBroker { broker: 1 }).unwrap();
    fresh.advance(7 * 1_733 + 5_000);
    assert_eq!(state(&mut p), state(&mut fresh));
    // Undo twice more empties the command list; a fourth has nothing to undo.
    assert!(p.undo().is_some());
    assert!(p.undo().is_some());
    assert_eq!(p.now_ms(), start + 3_000);
    assert!(p.undo().is_none());
}

#[test]
fn stepping_single_events_is_recorded_and_replayed_exactly() {
    let mut p = Playground::new(None, Some(3)).unwrap();
    p.advance(1_000);
    for _ in 0..25 {
        p.step();
    }
    p.apply(crash(3)).unwrap();
    for _ in 0..40 {
        p.step();
    }
    p.advance(4_000);
    let end = state(&mut p);
    let end_ms = p.now_ms();
    let mid = p.timeline_view().commands[0].at_ms;
    p.seek(mid - 1);
    assert!(p.now_ms() <= mid);
    p.seek(end_ms);
    assert_eq!(state(&mut p), end);
}

#[test]
fn a_long_run_keeps_a_bounded_number_of_snapshots() {
    let mut p = Playground::new(None, Some(1)).unwrap();
    p.advance(60 * 60 * 1000);
    let v = p.timeline_view();
    assert!(v.snapshots <= kafka_playground::page::playground::MAX_SNAPSHOTS, "{}", v.snapshots);
    // Thinned by count and by weight (the state grows through the hour), yet plenty remain.
    assert!(v.snapshots >= 16, "{}", v.snapshots);
    assert!(v.snapshot_every_ms > kafka_playground::page::playground::SNAPSHOT_EVERY_MS);
    let end = state(&mut p);
    p.seek(v.start_ms + 1_800_000);
    assert_eq!(p.now_ms(), v.start_ms + 1_800_000);
    p.seek(v.end_ms);
    assert_eq!(state(&mut p), end);
}

/// Two steps due at the same moment are applied back to back, as `kafka-sim run` applies
/// consecutive steps: the first one's zero-delay effects (the producer waking to send) do
/// not run in between. Playing the file on the page, whole or one event at a time, ends in
/// the CLI's run.
#[test]
fn steps_due_at_the_same_moment_run_back_to_back_on_the_page_as_in_the_cli() {
    let text = r#"{"name": "two bursts at once", "seed": 5, "brokers": 3, "producer_config": {"acks": "1"},
      "topics": [{"name": "a", "replication_factor": 3}, {"name": "b", "replication_factor": 3}],
      "steps": [{"type": "produce", "topic": "a", "value": "warm-up"},
                {"type": "produce", "topic": "b", "value": "warm-up"},
                {"type": "run", "ms": 1000},
                {"type": "produce", "topic": "a", "value": "x", "count": 3000},
                {"type": "produce", "topic": "b", "value": "y", "count": 3000},
                {"type": "run", "ms": 2000}]}"#;
    let scenario = kafka_playground::scenario::Scenario::parse(text).unwrap();
    let cli = kafka_playground::scenario::run(&scenario).unwrap();
    let want = format!("{:016x}", cli.sim.trace_hash());

    let mut whole = Playground::new(Some(text), None).unwrap();
    whole.advance(whole.scenario_end_ms() - whole.now_ms());
    assert_eq!((whole.now_ms(), whole.trace_hash_hex()), (cli.sim.now_ms(), want.clone()), "advanced");

    let mut stepped = Playground::new(Some(text), None).unwrap();
    while stepped.now_ms() < cli.sim.now_ms() || stepped.cs.sim.next_event_time().is_some_and(|t| t <= cli.sim.now_ms()) {
        stepped.step();
    }
    assert_eq!(stepped.trace_hash_hex(), want, "one event at a time");
}

/// A run that breaks an invariant: acks=1 with an unclean election loses acknowledged writes.
fn unsafe_run(seed: u64) -> Playground {
    Playground::new(Some(include_str!("../../scenarios/unclean-leader-election.json")), Some(seed)).unwrap()
}

/// Simulated time at which a straight run (in 500 ms chunks) first shows a violation.
fn first_violation_ms(seed: u64) -> i64 {
    let mut p = unsafe_run(seed);
    for _ in 0..200 {
        p.advance(500);
        if !p.cs.checker.violations.is_empty() {
            return p.cs.checker.violations[0].time_ms;
        }
    }
    panic!("the unsafe scenario found no violation in 100 s");
}

/// Seeking replays without checks and shows the recorded run's violations found by then:
/// a violation appears at every moment after it was found and at none before, and each
/// moment shows what a straight run to it shows (state, trace hash and violations).
#[test]
fn a_recorded_violation_shows_after_it_was_found_and_not_before() {
    let seed = 7;
    let found = first_violation_ms(seed);
    let mut p = unsafe_run(seed);
    let start = p.now_ms();
    while p.now_ms() < found + 20_000 {
        p.advance(500);
    }
    let end = state(&mut p);
    let end_ms = p.now_ms();
    assert!(!p.cs.checker.violations.is_empty());
    for t in [found - 1_500, found + 3_000, found - 1, found, start + 700, end_ms - 2_345] {
        p.seek(t);
        assert_eq!(p.now_ms(), t);
        let mut fresh = unsafe_run(seed);
        fresh.advance(t - fresh.now_ms());
        assert_eq!(state(&mut p), state(&mut fresh), "at {t} (violation found at {found})");
        let shown = !p.cs.checker.violations.is_empty();
        assert_eq!(shown, t >= found, "at {t}: the violation found at {found}");
    }
    p.seek(end_ms);
    assert_eq!(state(&mut p), end);
}

/// Seeking, then forking and playing on, checks the new branch as a straight run of the same
/// commands is checked: the checker is brought to the fork point exactly (no stale state), so
/// it finds the same violations at the same moments — no miss and no false alarm.
#[test]
fn seeking_then_forking_and_playing_finds_what_a_straight_run_finds() {
    let seed = 7;
    let found = first_violation_ms(seed);
    for fork_at in [found - 2_000, found + 1_000] {
        let mut p = unsafe_run(seed);
        let start = p.now_ms();
        while p.now_ms() < found + 15_000 {
            p.advance(700);
        }
        p.seek(start + 300); // far back first, then to the fork point
        p.seek(fork_at);
        p.apply(Command::RestartBroker { broker: 1 }).ok();
        p.advance(12_000);

        let mut fresh = unsafe_run(seed);
        fresh.advance(fork_at - fresh.now_ms());
        fresh.apply(Command::RestartBroker { broker: 1 }).ok();
        fresh.advance(12_000);
        assert_eq!(state(&mut p), state(&mut fresh), "forked at {fork_at} (violation found at {found})");
        assert_eq!(p.cs.checker.violations, fresh.cs.checker.violations);
        assert!(!p.cs.checker.violations.is_empty());

        // Playing on (no command) after a seek continues the recorded run, checked from there.
        let mut q = unsafe_run(seed);
        while q.now_ms() < fork_at + 5_000 {
            q.advance(900);
        }
        let end_ms = q.now_ms();
        q.seek(fork_at);
        q.advance(end_ms - fork_at + 8_000);
        let mut straight = unsafe_run(seed);
        straight.advance(end_ms - straight.now_ms());
        straight.advance(8_000);
        assert_eq!(state(&mut q), state(&mut straight));
        assert_eq!(q.cs.checker.violations, straight.cs.checker.violations);
    }
}
