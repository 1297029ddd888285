//! Exhaustive checks of Fast Leader Election on its own (see `election_model`), the checkLeader
//! divergence they found, and the seeded bug the checker must catch.

use zabkeeper_models::mutation::Mutations;
use zabkeeper_proofs::check::{explore, explore_expecting, finds, SearchReport};
use zabkeeper_proofs::election_model::{
    ElectionConfig, RestartRound, ALL_VOTERS_AGREE, OBSERVER_JOINED, QUORUM_BEHIND_SETTLED_VOTE,
    RESTARTED_JOINED, UP_TO_DATE_LEADER,
};

const THREADS: usize = 2;

/// Three voters with distinct votes as (peer epoch, zxid): server 0 has the highest epoch and
/// server 1 the highest zxid of the lower epoch, so neither order agrees with the id order.
fn config() -> ElectionConfig {
    ElectionConfig {
        voters: vec![(2, 1), (1, 3), (1, 2)],
        observers: 0,
        max_crashes: 0,
        max_restarts: 0,
        crashable: None,
        restart_round: RestartRound::First,
        max_round: 1,
        mutations: Mutations::NONE,
    }
}

/// Runs the search to the end and checks that the discoveries are exactly `expected`: no
/// counterexample to an `Always` property, and each listed `Sometimes` witness found.
fn check(config: ElectionConfig, expected: &[&str]) -> SearchReport {
    explore_expecting(config.into_model(), THREADS, expected)
}

#[test]
fn three_voters_without_faults() {
    let report = check(config(), &[ALL_VOTERS_AGREE]);
    assert_eq!(report.unique_states, 7_981);
}

/// Any one server crashes once, at any point, and restarts in round 1 as a ZooKeeper process
/// (and the ZAB peer) does.
#[test]
fn three_voters_one_crash_and_restart() {
    let report = check(
        ElectionConfig {
            max_crashes: 1,
            max_restarts: 1,
            ..config()
        },
        &[ALL_VOTERS_AGREE, RESTARTED_JOINED],
    );
    assert_eq!(report.unique_states, 292_480);
}

#[test]
fn three_voters_and_an_observer() {
    let report = check(
        ElectionConfig {
            observers: 1,
            ..config()
        },
        &[ALL_VOTERS_AGREE, OBSERVER_JOINED],
    );
    assert_eq!(report.unique_states, 1_048_271);
}

/// A server that goes back to LOOKING starts the next round (a leader that lost its quorum,
/// say). This configuration found a divergence from ZooKeeper: server 0 led round 1, its LEADING
/// answer reached server 2, server 0 restarted into round 2, and server 2 took that round-1
/// LEADING as confirmation of a round-2 quorum. `Election::leader_confirms` now requires the
/// leader's notification of the same round, as ZooKeeper's `checkLeader(recvset, ..)` does.
#[test]
fn restart_into_the_next_round_needs_this_rounds_leader() {
    let restart_into_next_round = ElectionConfig {
        max_crashes: 1,
        max_restarts: 1,
        crashable: Some(0),
        restart_round: RestartRound::Next,
        max_round: 2,
        ..config()
    };
    let report = check(
        restart_into_next_round,
        &[ALL_VOTERS_AGREE, RESTARTED_JOINED],
    );
    assert_eq!(report.unique_states, 3_010_479);
}

/// `Mutations::election_ignores_zxid`: with the zxid left out of the order, server 2 (highest
/// id) beats server 0 (same epoch, highest zxid), so server 0 settles on a leader that lacks txns
/// it logged. The checker must find that.
#[test]
fn mutant_ignoring_the_zxid_elects_a_stale_leader() {
    let mutant = ElectionConfig {
        voters: vec![(1, 3), (1, 2), (1, 1)],
        mutations: Mutations {
            election_ignores_zxid: true,
            ..Mutations::NONE
        },
        ..config()
    };
    assert!(finds(mutant.into_model(), UP_TO_DATE_LEADER, THREADS));
}

/// `Mutations::election_quorum_of_half`: with `>= n/2` one of three votes is a quorum, so a
/// server settles on its own vote before hearing anyone (server 2, whose vote is the lowest,
/// leads alone). No other property sees it: every vote a server settles on is still at least its
/// own, and the leader is genuine. The checker must find it.
#[test]
fn mutant_counting_half_the_voters_settles_on_a_vote_no_quorum_is_behind() {
    let mutant = ElectionConfig {
        mutations: Mutations {
            election_quorum_of_half: true,
            ..Mutations::NONE
        },
        ..config()
    };
    let report = explore(mutant.into_model(), THREADS);
    println!("{report:?}");
    assert!(report.discoveries.contains(&QUORUM_BEHIND_SETTLED_VOTE));
    assert!(!report.discoveries.contains(&UP_TO_DATE_LEADER));
}
