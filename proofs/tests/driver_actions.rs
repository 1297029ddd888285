//! The driver's own entry points under the checker: every server may, at any moment, fold its
//! committed history into a snapshot, lose a quorum connection, run the leader's housekeeping
//! round, and have a client touch its session, each through `Peer::step` as the server's
//! driver calls it (see `zabkeeper_proofs::driver`). Every safety property, the apply sink's
//! contract included, holds through them.

use zabkeeper_proofs::check::{explore_expecting, SearchReport};
use zabkeeper_proofs::driver::DriverActions;
use zabkeeper_proofs::model::ZabConfig;
use zabkeeper_proofs::properties::reachability::{
    CRASHED_MID_PERSIST, FAILOVER_KEEPS_WRITES, LEADER_ESTABLISHED, REFUSED_TO_START,
    SYNCED_BY_DIFF, SYNCED_BY_SNAP, SYNCED_BY_TRUNC, WRITE_COMMITTED,
};
use zabkeeper_proofs::scenario::{client, three_voters};
use zabkeeper_proofs::sessions::client::SESSION;
use zabkeeper_proofs::sessions::{SessionModelConfig, WITNESSES};

const THREADS: usize = 2;

fn check<M>(model: M, expected: &[&str]) -> SearchReport
where
    M: stateright::Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    explore_expecting(model, THREADS, expected)
}

/// A write while any server may compact after any commit and see one quorum connection to a
/// linked peer break (what was in flight on it is lost both ways, and the far end notices at
/// any later moment, its sends meanwhile lost): a leader left without a linked quorum steps
/// down, a learner that lost its leader elects again, and the learners that rejoin are synced
/// by DIFF, TRUNC and, behind a compacted leader, SNAP.
#[test]
fn compaction_and_lost_links() {
    let config = ZabConfig {
        driver: DriverActions {
            compaction: true,
            disconnects: 1,
            ..DriverActions::default()
        },
        ..three_voters(vec![client(0, &[1], false)])
    };
    let report = check(
        config.into_model(),
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            SYNCED_BY_SNAP,
            SYNCED_BY_TRUNC,
        ],
    );
    assert_eq!(report.unique_states, 9_373_105);
}

/// One crash and restart and a write while any server may compact after any commit: a
/// restarted server behind the leader's snapshot is synced by SNAP.
#[test]
fn compaction_with_a_crash() {
    let config = ZabConfig {
        max_crashes: 1,
        max_restarts: 1,
        driver: DriverActions {
            compaction: true,
            ..DriverActions::default()
        },
        ..three_voters(vec![client(0, &[1], false)])
    };
    let report = check(
        config.into_model(),
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            SYNCED_BY_SNAP,
            FAILOVER_KEEPS_WRITES,
        ],
    );
    assert_eq!(report.unique_states, 306_912);
}

/// The session configuration with the driver actions of the client path: the client's server
/// touches its session whenever it serves, and the leader runs its housekeeping round, at any
/// moment of the race between the session's expiry and its ephemeral create. (Compaction and
/// lost links are checked on the register configurations above, whose properties read
/// snapshots back.)
#[test]
fn session_touches_and_housekeeping() {
    let config = SessionModelConfig {
        driver: DriverActions {
            housekeeping: true,
            touched_session: Some(SESSION),
            ..DriverActions::default()
        },
        ..SessionModelConfig::three_voters()
    };
    let report = check(config.into_model(), WITNESSES);
    assert_eq!(report.unique_states, 40_363);
}

/// Every save persisted as the driver performs it, one disk step at a time (snapshot,
/// truncation, append and fsync, `acceptedEpoch`, `currentEpoch`), each durable before the
/// next and the step's messages held until the last, while one server may crash between any two
/// steps and restart from what its disk then holds (or refuse to, as the server does when the
/// crash fell between a sync's log fsync and its `currentEpoch` write).
fn persist_steps_with_a_crash() -> ZabConfig {
    ZabConfig {
        max_crashes: 1,
        max_restarts: 1,
        driver: DriverActions {
            stepwise_persist: true,
            ..DriverActions::default()
        },
        ..three_voters(vec![client(0, &[1], false)])
    }
}

#[test]
fn crash_between_persist_steps() {
    let report = check(
        persist_steps_with_a_crash().into_model(),
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            FAILOVER_KEEPS_WRITES,
            CRASHED_MID_PERSIST,
            REFUSED_TO_START,
        ],
    );
    assert_eq!(report.unique_states, 196_698);
}
