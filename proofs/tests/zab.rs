//! Exhaustive checks of the ZAB peer (`zabkeeper_models::zab::Peer`, the code the server runs):
//! every reachable state of each configuration is explored, with no depth, state or time cap,
//! every property holds, the interesting states are reached, and the unique-state count is
//! pinned (a jump says the model changed shape, a collapse that a property went vacuous).
//! proofs/README.md says what each configuration abstracts.

use zabkeeper_models::zab::{ElectionMode, FailureDetection};
use zabkeeper_proofs::check::{explore_expecting, SearchReport};
use zabkeeper_proofs::driver::DriverActions;
use zabkeeper_proofs::model::ZabConfig;
use zabkeeper_proofs::properties::reachability::{
    FAILOVER_KEEPS_WRITES, LEADER_ESTABLISHED, MOVED_READ_ANSWERED, RECONNECT_REFUSED,
    SYNCED_BY_DIFF, SYNCED_BY_SNAP, SYNCED_BY_TRUNC, SYNCED_READ_ANSWERED, WRITE_COMMITTED,
};
use zabkeeper_proofs::scenario::{
    after_epoch_one, client, moving_reader, pipelining_client, synced_reader, three_voters,
};

const THREADS: usize = 2;

/// Runs the search to the end; the discoveries must be exactly the `Sometimes` witnesses
/// listed (so no `Always` property has a counterexample).
fn check(config: ZabConfig, expected: &[&str]) -> SearchReport {
    explore_expecting(config.into_model(), THREADS, expected)
}

/// Two clients on different servers write and read; no faults.
#[test]
fn broadcast_with_two_clients() {
    let config = three_voters(vec![client(0, &[1], true), client(1, &[2], true)]);
    let report = check(
        config,
        &[LEADER_ESTABLISHED, WRITE_COMMITTED, SYNCED_BY_DIFF],
    );
    assert_eq!(report.unique_states, 29_191);
}

/// The configuration the verified-core issue names: FIFO links that lose messages, one crash
/// and restart, two writes and a read.
#[test]
fn lossy_links_one_crash_two_writes_and_a_read() {
    let config = ZabConfig {
        lossy: true,
        max_crashes: 1,
        max_restarts: 1,
        ..three_voters(vec![client(0, &[1, 2], true)])
    };
    let report = check(
        config,
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            FAILOVER_KEEPS_WRITES,
        ],
    );
    assert_eq!(report.unique_states, 4_575_624);
}

/// A learner that missed a write while down is brought back by SNAP (the leader keeps no txns
/// for DIFF).
#[test]
fn restart_synced_by_snapshot() {
    let config = ZabConfig {
        max_crashes: 1,
        max_restarts: 1,
        diff_window: Some(0),
        ..three_voters(vec![client(0, &[1], false)])
    };
    let report = check(
        config,
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_SNAP,
            FAILOVER_KEEPS_WRITES,
        ],
    );
    assert_eq!(report.unique_states, 188_600);
}

/// Leaders and learners give up at any tick (a superset of what heartbeats allow), so
/// leadership changes without crashes; this is the configuration that caught two leaders in
/// one epoch when a repeated ACKEPOCH counted toward the quorum.
#[test]
fn failure_detector_gives_up_at_any_tick() {
    let config = ZabConfig {
        failure_detection: Some(FailureDetection::Oracle),
        ..three_voters(vec![client(0, &[1], false)])
    };
    let report = check(
        config,
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            SYNCED_BY_TRUNC,
        ],
    );
    assert_eq!(report.unique_states, 2_830_834);
}

/// Epoch 1 ended with an uncommitted txn on server 0 only; then two restarts and a third
/// epoch. The new leader either commits the leftover txn or truncates it away everywhere.
#[test]
fn aftermath_of_an_uncommitted_txn() {
    let config = ZabConfig {
        failure_detection: None,
        max_restarts: 2,
        ..after_epoch_one(&[9], vec![client(0, &[1], false)])
    };
    let report = check(
        config,
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            SYNCED_BY_TRUNC,
            FAILOVER_KEEPS_WRITES,
        ],
    );
    assert_eq!(report.unique_states, 3_369_040);
}

/// The composed peer with real Fast Leader Election in front of ZAB (no oracle).
#[test]
fn composed_peer_with_fast_leader_election() {
    let config = ZabConfig {
        election_mode: ElectionMode::Fast,
        max_election_epoch: 1,
        max_epoch: 1,
        ..three_voters(vec![client(0, &[1], false)])
    };
    let report = check(
        config,
        &[LEADER_ESTABLISHED, WRITE_COMMITTED, SYNCED_BY_DIFF],
    );
    assert_eq!(report.unique_states, 305_670);
}

/// Three voters and an observer: the observer learns commits by INFORM and never counts
/// toward a quorum.
#[test]
fn observer_follows_without_voting() {
    let config = ZabConfig {
        observers: 1,
        ..three_voters(vec![client(3, &[1], true)])
    };
    let report = check(
        config,
        &[LEADER_ESTABLISHED, WRITE_COMMITTED, SYNCED_BY_DIFF],
    );
    assert_eq!(report.unique_states, 11_049);
}

/// A deposed leader that still believes it leads (its followers gave up on it and elected
/// another, which committed a write) gets a `sync` + read from a client that saw that write
/// acknowledged: the read must see it, or never be answered.
#[test]
fn sync_and_read_at_a_deposed_leader() {
    let config = ZabConfig {
        failure_detection: Some(FailureDetection::Oracle),
        ..three_voters(vec![synced_reader(1, &[1], 0)])
    };
    let report = check(
        config,
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            SYNCED_BY_TRUNC,
            SYNCED_READ_ANSWERED,
        ],
    );
    assert_eq!(report.unique_states, 6_561_982);
}

/// A client writes twice through server 1, then moves its session to server 2 (connecting with
/// the zxid of its last write, decided by the handshake code the server runs) and reads there;
/// one server may crash and restart. Server 2 lets the client in only once it has applied that
/// write, so the session's reads never go back in zxid and it reads its own writes
/// (SequentialConsistency); the refusal is reached too.
#[test]
fn a_moved_session_reads_its_own_write() {
    let config = ZabConfig {
        max_crashes: 1,
        max_restarts: 1,
        ..three_voters(vec![moving_reader(1, &[1, 2], 2)])
    };
    let report = check(
        config,
        &[
            LEADER_ESTABLISHED,
            WRITE_COMMITTED,
            SYNCED_BY_DIFF,
            FAILOVER_KEEPS_WRITES,
            RECONNECT_REFUSED,
            MOVED_READ_ANSWERED,
        ],
    );
    assert_eq!(report.unique_states, 656_967);
}

/// Two clients each send a write and, without waiting, a read: one through a follower-to-be,
/// one through server 0. Each server's driver passes its clients' requests through the
/// server's session order (`request::SessionOrder`, what `src/server` runs), so each read is
/// answered after its session's write and sees it (SequentialConsistency, which also fails on
/// replies out of request order). No crashes or lost messages: the model's network would
/// carry a request from before a crash to the restarted server, where a TCP connection dies
/// with the process (proofs/README.md).
#[test]
fn a_pipelined_read_waits_for_its_sessions_write() {
    let config = ZabConfig {
        driver: DriverActions {
            session_order: true,
            ..DriverActions::default()
        },
        ..three_voters(vec![pipelining_client(1, 1), pipelining_client(0, 2)])
    };
    let report = check(
        config,
        &[LEADER_ESTABLISHED, WRITE_COMMITTED, SYNCED_BY_DIFF],
    );
    assert_eq!(report.unique_states, 60_401);
}
