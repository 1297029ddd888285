//! Every safety property can fail: for each, a seeded bug (a switch in
//! `zabkeeper_models::mutation::Mutations`, most of them bugs Apache ZooKeeper shipped) that the
//! checker must catch. A property that no mutant breaks would prove nothing.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, Once};
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::zab::FailureDetection;
use zabkeeper_models::Epoch;
use zabkeeper_proofs::check::finds;
use zabkeeper_proofs::driver::DriverActions;
use zabkeeper_proofs::model::ZabConfig;
use zabkeeper_proofs::properties::{
    acknowledged_writes, client_histories, integrity, leadership, prefix_consistency, primary_order,
};
use zabkeeper_proofs::reduction::{self, Reduction};
use zabkeeper_proofs::scenario::{
    after_epoch_one, client, epoch_one_disk, moving_reader, pipelining_client, synced_reader,
    three_voters,
};

const THREADS: usize = 2;

fn caught(mut config: ZabConfig, mutations: Mutations, property: &'static str) -> bool {
    config.mutations = mutations;
    finds(config.into_model(), property, THREADS)
}

/// [`caught`] by the reduced depth-first search of the deep runs (interchangeable servers and
/// crashed servers' volatile state identified), in a configuration with interchangeable
/// servers: the reduction must not hide the bug.
fn caught_reduced(mut config: ZabConfig, mutations: Mutations, property: &'static str) -> bool {
    config.mutations = mutations;
    let reduction = Reduction::new(&config, true, true);
    assert!(
        !reduction.classes().is_empty(),
        "no interchangeable servers: the symmetry would go untested"
    );
    reduction::finds(config, reduction, property, THREADS)
}

/// Epoch 1 left `leftover` on server 0 only; no crashes, no failure detector: the leader of
/// epoch 2 must sync everyone to one history.
fn leftover_without_faults(leftover: &[u8]) -> ZabConfig {
    ZabConfig {
        max_crashes: 0,
        max_restarts: 0,
        max_epoch: 2,
        max_election_epoch: 2,
        failure_detection: None,
        ..after_epoch_one(leftover, vec![client(1, &[1], false)])
    }
}

/// The same aftermath, with two crashes and restarts over three epochs: enough for a txn a
/// quorum acknowledged to vanish if an acknowledgement came before the txn was durable.
fn leftover_with_two_restarts(leftover: &[u8]) -> ZabConfig {
    ZabConfig {
        max_restarts: 2,
        failure_detection: None,
        ..after_epoch_one(leftover, vec![client(0, &[1], false)])
    }
}

/// Epoch 1 ended with nothing logged, after which server 0 chose epoch 2 as a prospective
/// leader and gave up before anyone acknowledged it: its accepted epoch is one ahead of the
/// others'. Leaders and learners give up at any tick; no clients, no crashes.
fn epoch_two_chosen_by_server_zero_alone() -> ZabConfig {
    let mut ahead = epoch_one_disk(&[]);
    ahead.accepted_epoch = Epoch(2);
    ZabConfig {
        max_epoch: 3,
        max_election_epoch: 3,
        failure_detection: Some(FailureDetection::Oracle),
        initial_disks: vec![
            Some(ahead),
            Some(epoch_one_disk(&[])),
            Some(epoch_one_disk(&[])),
        ],
        ..three_voters(Vec::new())
    }
}

#[test]
fn quorum_of_one_breaks_leadership_and_client_histories() {
    let two_clients = || three_voters(vec![client(0, &[1], true), client(1, &[2], true)]);
    let mutations = Mutations {
        quorum_of_one: true,
        ..Mutations::NONE
    };
    assert!(caught(two_clients(), mutations, leadership::NAME));
    assert!(caught(
        two_clients(),
        mutations,
        client_histories::LINEARIZABLE_WRITES
    ));
    assert!(caught(
        two_clients(),
        mutations,
        client_histories::SEQUENTIAL_READS
    ));
}

/// Without ZooKeeper's epoch -1 in ACKEPOCH, a learner's second ack of an epoch it already
/// promised to another leader lets two leaders establish the same epoch. (The model checker
/// found this in the peer before the fix.)
#[test]
fn repeated_epoch_acks_break_leadership() {
    let config = ZabConfig {
        failure_detection: Some(FailureDetection::Oracle),
        ..three_voters(vec![client(0, &[1], false)])
    };
    let mutations = Mutations {
        count_repeated_epoch_acks: true,
        ..Mutations::NONE
    };
    assert!(caught(config.clone(), mutations, leadership::NAME));
    assert!(caught_reduced(config, mutations, leadership::NAME));
}

/// A new leader that never truncates leaves a follower's uncommitted epoch-1 txn under the
/// epoch-2 ones.
#[test]
fn skipped_truncation_breaks_prefix_consistency() {
    let mutations = Mutations {
        leader_skips_truncation: true,
        ..Mutations::NONE
    };
    assert!(caught(
        leftover_without_faults(&[9]),
        mutations,
        prefix_consistency::NAME
    ));
}

/// A follower that marks a DIFF applied after applying only part of it delivers a history
/// with a hole.
#[test]
fn diff_marked_applied_breaks_prefix_consistency() {
    let mutations = Mutations {
        diff_marked_applied_before_applied: true,
        ..Mutations::NONE
    };
    assert!(caught(
        leftover_without_faults(&[8, 9]),
        mutations,
        prefix_consistency::NAME
    ));
}

#[test]
fn duplicated_requests_break_integrity() {
    let mutations = Mutations {
        forward_requests_twice: true,
        ..Mutations::NONE
    };
    assert!(caught(
        leftover_without_faults(&[]),
        mutations,
        integrity::NAME
    ));
    assert!(caught_reduced(
        leftover_without_faults(&[]),
        mutations,
        integrity::NAME
    ));
}

/// ZOOKEEPER-3911: NEWLEADER acknowledged before the synced txns were durable; a restart
/// loses txns the new epoch committed.
#[test]
fn new_leader_ack_before_durable_breaks_primary_order() {
    let mutations = Mutations {
        ack_new_leader_before_durable: true,
        ..Mutations::NONE
    };
    assert!(caught(
        leftover_with_two_restarts(&[9]),
        mutations,
        primary_order::NAME
    ));
    assert!(caught_reduced(
        leftover_with_two_restarts(&[9]),
        mutations,
        primary_order::NAME
    ));
}

/// `currentEpoch` written before the txns it covers: after a restart the server claims the new
/// epoch with an old history, and can lead without txns the epoch committed.
#[test]
fn current_epoch_before_txns_breaks_primary_order() {
    let mutations = Mutations {
        current_epoch_before_txns: true,
        ..Mutations::NONE
    };
    assert!(caught(
        leftover_with_two_restarts(&[9]),
        mutations,
        primary_order::NAME
    ));
    assert!(caught_reduced(
        leftover_with_two_restarts(&[9]),
        mutations,
        primary_order::NAME
    ));
}

/// A PROPOSAL acknowledged before it is logged: a write a client saw committed disappears.
#[test]
fn ack_before_logging_loses_acknowledged_writes() {
    let mutations = Mutations {
        ack_proposal_before_logged: true,
        ..Mutations::NONE
    };
    assert!(caught(
        leftover_with_two_restarts(&[]),
        mutations,
        acknowledged_writes::NAME
    ));
    assert!(caught_reduced(
        leftover_with_two_restarts(&[]),
        mutations,
        acknowledged_writes::NAME
    ));
}

/// The server's handshake before issue 15 compared the client's last seen zxid with the last
/// txn it had logged, not applied. Checked against the model's old handshake (answered by the
/// peer at once), a server that logged the client's write but had not yet applied it let the
/// moved session in, and its read missed the session's own write. Decided as the server decides
/// it (`Peer::decide_handshake`, then the leader's revalidation), the bug cannot show: the
/// client is let in only once the leader's answer reaches the server, behind the COMMIT of
/// every write the client has seen (the leader committed it before the client heard of it, and
/// the link is FIFO), and a learner applies a COMMIT in the step that receives it. So the
/// exhaustive search with the bug seeded finds every client's reads in order. The zxid rule is
/// defence in depth here, as it is not in ZooKeeper (whose commit processor applies behind the
/// revalidation); the day the server applies off the step that receives a COMMIT (reads off
/// the core task, issue 17), this test fails and the rule carries the guarantee again.
#[test]
fn a_handshake_on_the_logged_zxid_is_masked_by_the_revalidation() {
    let mutations = Mutations {
        handshake_compares_logged_zxid: true,
        ..Mutations::NONE
    };
    assert!(!caught(
        three_voters(vec![moving_reader(1, &[1], 2)]),
        mutations,
        client_histories::SEQUENTIAL_READS
    ));
}

/// A session order that lets a read run while its session's write is in flight answers a
/// pipelined read before the write: the client gets its replies out of order, and the read
/// misses the session's own write.
#[test]
fn a_read_passing_its_sessions_write_breaks_client_order() {
    let config = ZabConfig {
        driver: DriverActions {
            session_order: true,
            ..DriverActions::default()
        },
        ..three_voters(vec![pipelining_client(1, 1)])
    };
    let mutations = Mutations {
        reads_pass_writes: true,
        ..Mutations::NONE
    };
    assert!(caught(
        config,
        mutations,
        client_histories::SEQUENTIAL_READS
    ));
}

/// Today's bug before the fix (issue 20): a leader that answers a `sync` from its own state
/// serves a read that misses a write its successor acknowledged, once its followers gave up on
/// it and elected another leader while it still believed it led.
#[test]
fn a_sync_answered_without_confirmation_breaks_synced_reads() {
    let config = ZabConfig {
        failure_detection: Some(FailureDetection::Oracle),
        ..three_voters(vec![synced_reader(1, &[1], 0)])
    };
    let mutations = Mutations {
        leader_answers_sync_at_once: true,
        ..Mutations::NONE
    };
    assert!(caught(
        config,
        mutations,
        client_histories::SYNCED_READS_LINEARIZABLE
    ));
}

/// A new leader that proposes the highest accepted epoch instead of one above it. Server 0
/// proposes epoch 2 again and server 1 promises it. Two ways on from there, and the checker
/// takes the shorter: server 1 is synced (its current epoch becomes 2), gives up on server 0,
/// leads, and gets server 2's promise for epoch 2 once more, which trips the core's own
/// postcondition that a leader's new epoch is above its current one
/// (`maybe_finish_discovery`). The longer way breaks Leadership: server 1 gives up before
/// NEWLEADER, establishes epoch 2 with server 2, and server 2 then gives up on it and is synced
/// by server 0, still in epoch 2's synchronisation. Breadth-first search reaches the assertion
/// first, so this test asserts that the search stopped on it.
#[test]
fn a_reused_epoch_trips_the_new_epoch_assertion() {
    let mutations = Mutations {
        leader_reuses_accepted_epoch: true,
        ..Mutations::NONE
    };
    let failure = core_assertion_failure(|| {
        caught(
            epoch_two_chosen_by_server_zero_alone(),
            mutations,
            leadership::NAME,
        )
    });
    let message = failure.expect("the search stops on a core assertion");
    assert!(
        message.contains("state.durable.current_epoch < epoch"),
        "{message}"
    );
}

/// A leader that serves before a quorum acknowledged NEWLEADER commits epoch 1's leftover txn
/// on its own. Server 1, which promised it the epoch, restarts before NEWLEADER and leads epoch
/// 3 with server 2: neither has the leftover, and the client's write commits at its position.
#[test]
fn serving_before_the_new_leader_quorum_breaks_prefix_consistency() {
    let config = ZabConfig {
        failure_detection: None,
        ..after_epoch_one(&[9], vec![client(1, &[1], false)])
    };
    let mutations = Mutations {
        serve_before_new_leader_quorum: true,
        ..Mutations::NONE
    };
    assert!(caught(config, mutations, prefix_consistency::NAME));
}

/// The messages of the panics raised while `search` runs, if it panicked: a model step that trips
/// one of the core's assertions panics its checker thread, and stateright's `join` re-raises
/// that as "Failed to join checker thread", without the message.
fn core_assertion_failure(search: impl FnOnce() -> bool) -> Option<String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let print = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|location| location.to_string())
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|message| message.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            PANICS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(format!("{location}: {message}"));
            print(info);
        }));
    });
    panic::catch_unwind(AssertUnwindSafe(search)).err()?;
    let panics = PANICS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(panics.join("\n"))
}

/// Every panic message seen by the hook of [`core_assertion_failure`], in this test binary.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());
