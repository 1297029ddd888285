//! The recipe configurations, exhaustively, and the seeded bugs each property must catch. See
//! proofs/README.md, "Recipes".

use std::time::Instant;
use zabkeeper_models::recipes::RecipeMutations;
use zabkeeper_proofs::acyclic;
use zabkeeper_proofs::check::{explore, finds, SearchReport};
use zabkeeper_proofs::recipes::properties::*;
use zabkeeper_proofs::recipes::RecipeConfig;

const THREADS: usize = 2;

/// Explores `config` and asserts which properties have discoveries (only the `Sometimes`
/// witnesses in `expected`). It also asserts the state graph is acyclic, which makes the
/// search's `Eventually` verdicts complete (see `zabkeeper_proofs::acyclic`): the progress
/// property holds once every client is done or lost, both of which last, and views converge
/// only where nothing is left to happen, so judging them at terminal states judges every path.
fn check(config: RecipeConfig, mut expected: Vec<&'static str>) -> SearchReport {
    let model = config.into_model();
    let report = explore(model.clone(), THREADS);
    println!("{report:?}");
    expected.sort();
    assert_eq!(report.discoveries, expected);
    let started = Instant::now();
    let shape = acyclic::shape(&model);
    println!("{shape:?} in {:?}", started.elapsed());
    assert_eq!(
        shape.cycle_at_depth, None,
        "Eventually verdicts need an acyclic graph"
    );
    assert_eq!(shape.unique_states, report.unique_states);
    report
}

/// Three clients on a mutex; the checker may expire one session that owns a node.
#[test]
fn mutex() {
    let report = check(
        RecipeConfig::mutex(),
        vec![EVERY_CLIENT_ACQUIRED, LOCK_PASSED_ON_EXPIRY, STALE_HOLDER],
    );
    assert_eq!(report.unique_states, 169_575);
}

/// A writer and two readers; readers right behind the writer wake together (not a herd: each
/// was blocked by that writer alone).
#[test]
fn read_write_lock() {
    let report = check(
        RecipeConfig::read_write(),
        vec![
            EVERY_CLIENT_ACQUIRED,
            LOCK_PASSED_ON_EXPIRY,
            SEVERAL_WOKEN,
            STALE_HOLDER,
        ],
    );
    assert_eq!(report.unique_states, 186_701);
}

/// Three selectors; the first leads twice (re-competing after its term), re-entrantly.
#[test]
fn leader_selector() {
    let report = check(
        RecipeConfig::leader_selector(),
        vec![EVERY_CLIENT_ACQUIRED, LOCK_PASSED_ON_EXPIRY, STALE_HOLDER],
    );
    assert_eq!(report.unique_states, 519_201);
}

/// The unfair lock keeps exclusion and progress, but one deletion wakes several waiters: the
/// herd the fair recipes avoid (they never discover SEVERAL_WOKEN with exclusive clients).
#[test]
fn single_node_lock_herds() {
    let report = check(
        RecipeConfig::single_node(),
        vec![
            EVERY_CLIENT_ACQUIRED,
            LOCK_PASSED_ON_EXPIRY,
            SEVERAL_WOKEN,
            STALE_HOLDER,
        ],
    );
    assert_eq!(report.unique_states, 25_837);
}

fn mutant(config: RecipeConfig, mutations: RecipeMutations) -> RecipeConfig {
    RecipeConfig {
        mutations,
        ..config
    }
}

#[test]
fn mutant_hold_when_blocker_gone_breaks_mutual_exclusion() {
    let config = mutant(
        RecipeConfig::mutex(),
        RecipeMutations {
            hold_when_blocker_gone: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), MUTUAL_EXCLUSION, THREADS));
}

#[test]
fn mutant_hold_when_blocker_gone_breaks_one_leader() {
    let config = mutant(
        RecipeConfig::leader_selector(),
        RecipeMutations {
            hold_when_blocker_gone: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), ONE_LEADER, THREADS));
}

#[test]
fn mutant_reader_checks_only_predecessor_breaks_read_write_exclusion() {
    let config = mutant(
        RecipeConfig::read_write(),
        RecipeMutations {
            reader_checks_only_predecessor: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), READ_WRITE_EXCLUSION, THREADS));
}

#[test]
fn mutant_order_by_name_breaks_acquisition_order() {
    let config = mutant(
        RecipeConfig::mutex(),
        RecipeMutations {
            order_by_name: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), ACQUISITION_ORDER, THREADS));
}

#[test]
fn mutant_watch_the_directory_is_a_herd() {
    let config = mutant(
        RecipeConfig::mutex(),
        RecipeMutations {
            watch_the_directory: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), NO_HERD, THREADS));
}

#[test]
fn mutant_wait_for_vanished_blocker_breaks_progress() {
    let config = mutant(
        RecipeConfig::mutex(),
        RecipeMutations {
            wait_for_vanished_blocker: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), PROGRESS, THREADS));
}

/// Three members enter and leave together.
#[test]
fn double_barrier() {
    let report = check(RecipeConfig::double_barrier(), vec![EVERY_CLIENT_ACQUIRED]);
    assert_eq!(report.unique_states, 304_031);
}

/// Three members join and stay; one may expire. (An expiring member's child watch on the
/// directory fires on its own node's deletion before it hears SessionExpired, as the server
/// notifies a closing session's connection before closing it.)
#[test]
fn group_membership() {
    let report = check(RecipeConfig::group(), vec![EXPIRED_MEMBER_DROPPED]);
    assert_eq!(report.unique_states, 295_732);
}

#[test]
fn mutant_enter_on_arrival_breaks_barrier_entry() {
    let config = mutant(
        RecipeConfig::double_barrier(),
        RecipeMutations {
            enter_on_arrival: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), BARRIER_ENTRY, THREADS));
}

#[test]
fn mutant_leave_at_once_breaks_barrier_exit() {
    let config = mutant(
        RecipeConfig::double_barrier(),
        RecipeMutations {
            leave_at_once: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), BARRIER_EXIT, THREADS));
}

#[test]
fn mutant_forget_to_watch_again_leaves_views_stale() {
    let config = mutant(
        RecipeConfig::group(),
        RecipeMutations {
            forget_to_watch_again: true,
            ..RecipeMutations::NONE
        },
    );
    assert!(finds(config.into_model(), VIEWS_CONVERGE, THREADS));
}

/// Beyond what an exhaustive search finishes: six contenders, two expiries, random walks to
/// their ends (stateright's simulation; Eventually properties are judged at each walk's end).
/// Only the `Sometimes` witnesses may have discoveries.
#[test]
fn larger_configurations_by_random_walks() {
    use stateright::actor::Network;
    use stateright::{Checker, Model, UniformChooser};
    use zabkeeper_models::recipes::lock::LockKind;
    let witnesses = [
        EVERY_CLIENT_ACQUIRED,
        LOCK_PASSED_ON_EXPIRY,
        SEVERAL_WOKEN,
        STALE_HOLDER,
    ];
    let configurations = [
        RecipeConfig {
            kinds: vec![LockKind::Exclusive; 6],
            rounds: 2,
            max_expiries: 2,
            ..RecipeConfig::mutex()
        },
        RecipeConfig {
            kinds: [LockKind::Exclusive, LockKind::Read].repeat(3),
            max_expiries: 2,
            ..RecipeConfig::read_write()
        },
    ];
    for config in configurations {
        let model = config.into_model();
        assert!(matches!(model.init_network, Network::Ordered(_)));
        let checker = model
            .checker()
            .target_state_count(100_000)
            .spawn_simulation(7, UniformChooser)
            .join();
        let found: Vec<&str> = checker.discoveries().keys().copied().collect();
        println!("{} states, found {found:?}", checker.state_count());
        assert!(checker.state_count() >= 100_000);
        for name in found {
            assert!(witnesses.contains(&name), "{name} failed on a random walk");
        }
    }
    // The same walks are not blind: they find seeded bugs in the large configuration.
    for (mutations, property) in [
        (
            RecipeMutations {
                hold_when_blocker_gone: true,
                ..RecipeMutations::NONE
            },
            ONE_LEADER,
        ),
        (
            RecipeMutations {
                wait_for_vanished_blocker: true,
                ..RecipeMutations::NONE
            },
            PROGRESS,
        ),
    ] {
        let config = RecipeConfig {
            kinds: vec![LockKind::Exclusive; 6],
            rounds: 2,
            max_expiries: 2,
            mutations,
            ..RecipeConfig::mutex()
        };
        let checker = config
            .into_model()
            .checker()
            .target_state_count(400_000)
            .spawn_simulation(7, UniformChooser)
            .join();
        assert!(
            checker.discoveries().contains_key(property),
            "{property} not found"
        );
    }
}
