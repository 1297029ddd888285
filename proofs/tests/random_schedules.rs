//! Long random schedules through the ZAB model (see `zabkeeper_proofs::simulation`): five
//! servers, tens of writes, crashes, restarts, loss and partitions, with every safety property
//! checked after every step.
//!
//! A failing walk prints a token that fixes every choice it made, and appends it to
//! `random_schedules.seeds`, whose every walk `stored_walks_are_safe` replays on every run:
//! commit the line with the fix of the bug it found. Replay one token by hand with
//!
//! ```text
//! ZAB_SEED='voters=5,clients=3,writes=7,crashes=1,loss=0,partitions=1,steps=2000,faults=1,seed=0x2a' \
//!     cargo test -p zabkeeper-proofs --test random_schedules replay_seed -- --nocapture
//! ```
//!
//! (`ZAB_TRACE=all` prints the whole trace instead of its tail.) The proptest cases draw fresh
//! seeds on every run, so CI keeps exploring new schedules; `PROPTEST_RNG_SEED` fixes them.

#[path = "random_schedules/seed_file.rs"]
mod seed_file;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestError, TestRunner};
use std::collections::BTreeMap;
use std::time::Instant;
use zabkeeper_proofs::properties::{reachability, SAFETY};
use zabkeeper_proofs::simulation::{walk, Scenario, WalkReport};

/// Steps per walk.
const STEPS: usize = 2000;

fn scenario_strategy(network_faults: bool) -> impl Strategy<Value = Scenario> {
    (
        prop_oneof![Just(3usize), Just(5usize)],
        2..=3usize,
        3..=10usize,
        any::<bool>(),
        any::<(bool, bool)>(),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(
            move |(
                voters,
                clients,
                writes_per_client,
                crashes,
                (loss, partitions),
                seed,
                moving_readers,
            )| {
                Scenario {
                    voters,
                    clients,
                    writes_per_client,
                    crashes,
                    // At least one of the two when network faults are asked for.
                    loss: network_faults && (loss || !partitions),
                    partitions: network_faults && partitions,
                    steps: STEPS,
                    fault_rate: 1,
                    seed,
                    mutant: None,
                    moving_readers,
                }
            },
        )
}

/// Walks `cases` random scenarios (32 unless `PROPTEST_CASES` says otherwise); a failure is
/// shrunk a little, stored in the seeds file and reported with its token.
fn random_walks_are_safe(test: &str, network_faults: bool) {
    let config = ProptestConfig {
        cases: 32,
        // The seeds file keeps failures as tokens, which stay valid when the strategy changes;
        // proptest's own file would keep its RNG seed, which does not.
        failure_persistence: None,
        // Every shrink step is a whole new walk; a few tries may find a shorter scenario.
        max_shrink_iters: 8,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&scenario_strategy(network_faults), |scenario| {
        match walk(&scenario) {
            Ok(_) => Ok(()),
            // A short reason: proptest keeps one for every failing shrink step.
            Err(violation) => Err(TestCaseError::fail(format!(
                "`{}` at step {} of {}",
                violation.property, violation.step, violation.scenario
            ))),
        }
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(_, scenario)) => {
            // The shrunk scenario fails too (that is what shrinking keeps); walk it again for
            // its violation, the one stored.
            let violation = walk(&scenario).expect_err("the minimal failing scenario fails");
            let line = seed_file::store(&violation, test);
            panic!(
                "{violation}\nstored in {} as\n{line}",
                seed_file::path().display()
            );
        }
        Err(TestError::Abort(reason)) => panic!("{test}: proptest aborted: {reason}"),
    }
}

/// Crashes and restarts on a reliable network.
#[test]
fn random_schedules_are_safe() {
    random_walks_are_safe("random_schedules_are_safe", false);
}

/// Message loss and partitions too. (These walks found the follower that logged a PROPOSAL
/// after a lost one: see the seeds file.)
#[test]
fn random_schedules_with_network_faults_are_safe() {
    random_walks_are_safe("random_schedules_with_network_faults_are_safe", true);
}

/// Every walk of the seeds file: each found a bug that is fixed now, or reaches a path worth
/// walking on every run; an `open` one found a bug not fixed yet and must still fail. All are
/// walked, and every surprise is reported, before the test fails.
#[test]
fn stored_walks_are_safe() {
    let stored = seed_file::stored_walks();
    assert!(
        !stored.is_empty(),
        "{} lists no walk",
        seed_file::path().display()
    );
    let mut surprises = Vec::new();
    for walk_to_replay in &stored {
        let line = walk_to_replay.line;
        match (walk(&walk_to_replay.scenario), walk_to_replay.open) {
            (Ok(report), false) => println!("line {line}: {}", summary(&report)),
            (Err(violation), true) => println!(
                "line {line} (open): still `{}` at step {}",
                violation.property, violation.step
            ),
            (Err(violation), false) => surprises.push(format!(
                "line {line} ({}): {violation}",
                walk_to_replay.found
            )),
            (Ok(report), true) => surprises.push(format!(
                "line {line} is open but passes now: drop its `open` and say what fixed it: {}",
                summary(&report)
            )),
        }
    }
    assert!(
        surprises.is_empty(),
        "{} of {} stored walks surprise:\n{}",
        surprises.len(),
        stored.len(),
        surprises.join("\n")
    );
}

/// The scenario of the fixed walks below: seeds mix 3 and 5 voters, 2 and 3 clients, 3 to 10
/// writes each, crashes on and off.
fn fixed_scenario(seed: u64) -> Scenario {
    Scenario {
        voters: if seed.is_multiple_of(2) { 5 } else { 3 },
        clients: 2 + usize::from(seed.is_multiple_of(3)),
        writes_per_client: 3 + (seed % 8) as usize,
        crashes: seed % 4 < 2,
        loss: false,
        partitions: false,
        steps: STEPS,
        fault_rate: 1,
        seed,
        mutant: None,
        moving_readers: false,
    }
}

/// Walks with moving readers reach both sides of the handshake's zxid rule under the
/// production settings: a server refusing a client that has seen more than it applied, and a
/// moved client reading at its new server.
#[test]
fn moving_readers_are_refused_and_let_in() {
    const WALKS: u64 = 16;
    let mut reached: BTreeMap<&str, u64> = BTreeMap::new();
    for seed in 0..WALKS {
        let scenario = Scenario {
            moving_readers: true,
            ..fixed_scenario(seed)
        };
        let report = walk(&scenario).unwrap_or_else(|violation| panic!("{violation}"));
        for name in report.reached.keys() {
            *reached.entry(name).or_default() += 1;
        }
    }
    println!("{WALKS} walks with moving readers: {reached:#?}");
    for witness in [
        reachability::RECONNECT_REFUSED,
        reachability::MOVED_READ_ANSWERED,
    ] {
        assert!(reached.contains_key(witness), "no walk reached `{witness}`");
    }
}

/// The walks are not vacuous: they elect leaders, commit most writes, fail over with the
/// acknowledged writes kept and sync learners by DIFF and SNAP. (TRUNC needs an uncommitted
/// suffix, which in practice needs message loss: see the network-faults test.)
#[test]
fn walks_elect_commit_and_fail_over() {
    const WALKS: u64 = 16;
    let mut reached: BTreeMap<&str, u64> = BTreeMap::new();
    let mut acknowledged = 0;
    let mut writes = 0;
    let started = Instant::now();
    for seed in 0..WALKS {
        let scenario = fixed_scenario(seed);
        let report = walk(&scenario).unwrap_or_else(|violation| panic!("{violation}"));
        println!("{}", summary(&report));
        for name in report.reached.keys() {
            *reached.entry(name).or_default() += 1;
        }
        acknowledged += report.acknowledged_writes;
        writes += scenario.clients * scenario.writes_per_client;
    }
    println!(
        "{WALKS} walks in {:?}: {acknowledged} of {writes} writes acknowledged; {reached:#?}",
        started.elapsed()
    );
    assert_eq!(reached.get(reachability::LEADER_ESTABLISHED), Some(&WALKS));
    assert_eq!(reached.get(reachability::WRITE_COMMITTED), Some(&WALKS));
    assert!(reached.get(reachability::FAILOVER_KEEPS_WRITES) >= Some(&2));
    assert!(reached.get(reachability::SYNCED_BY_DIFF) >= Some(&2));
    assert!(reached.get(reachability::SYNCED_BY_SNAP) >= Some(&2));
    // Clients never retry, so a write pending at a server that stops serving is never
    // answered; still, most writes must commit.
    assert!(acknowledged * 2 > writes, "{acknowledged} of {writes}");
}

/// Seeded bugs the walks catch within a bounded number of seeds (crashes on, a reliable
/// network, ten times the default crash rate). The other mutants of `models/src/mutation.rs`
/// are not caught in 64 seeds of such walks; the exhaustive checks own them.
#[test]
fn walks_catch_mutants() {
    const SEEDS_MAX: u64 = 64;
    for name in ["quorum_of_one", "diff_marked_applied_before_applied"] {
        let started = Instant::now();
        let caught = (0..SEEDS_MAX).find_map(|seed| {
            let scenario = Scenario {
                mutant: Some(name.to_string()),
                fault_rate: 10,
                crashes: true,
                voters: if seed.is_multiple_of(2) { 3 } else { 5 },
                clients: 2,
                writes_per_client: 5,
                ..fixed_scenario(seed)
            };
            walk(&scenario).err()
        });
        let violation = caught.unwrap_or_else(|| panic!("{name}: not caught in {SEEDS_MAX} seeds"));
        println!(
            "{name}: `{}` at step {} of {} ({:?})",
            violation.property,
            violation.step,
            violation.scenario,
            started.elapsed()
        );
        assert!(
            SAFETY.contains(&violation.property.as_str()),
            "{name} broke `{}`, not a safety property",
            violation.property
        );
    }
}

/// Replays the walk named by `ZAB_SEED` (a token a failure printed), or a pinned one.
#[test]
fn replay_seed() {
    let token = std::env::var("ZAB_SEED").unwrap_or_else(|_| {
        "voters=5,clients=3,writes=6,crashes=1,loss=0,partitions=0,steps=2000,faults=1,seed=0x5eed"
            .to_string()
    });
    let scenario: Scenario = token.parse().expect("a scenario token");
    match walk(&scenario) {
        Ok(report) => {
            if std::env::var("ZAB_TRACE").is_ok_and(|value| value == "all") {
                for line in report.trace.iter().chain(&report.servers) {
                    println!("  {line}");
                }
            }
            println!("{}", summary(&report));
        }
        Err(violation) => panic!("{violation}"),
    }
}

fn summary(report: &WalkReport) -> String {
    format!(
        "{}: {} steps{} in {:?}; {} writes acknowledged; max epoch {}; {} crashes, {} \
         restarts, {} partitions, {} drops; reached {:?}",
        report.scenario,
        report.steps,
        report
            .stuck_at
            .map(|step| format!(" (stuck at {step})"))
            .unwrap_or_default(),
        report.elapsed,
        report.acknowledged_writes,
        report.max_established_epoch,
        report.crashes,
        report.recoveries,
        report.partitions,
        report.drops,
        report.reached.keys().collect::<Vec<_>>()
    )
}
