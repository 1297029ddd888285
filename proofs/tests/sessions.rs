//! The session configuration, exhaustively: peers replicating the real ZooKeeper database
//! (`zabkeeper_models::replica::Replica`), a client that opens a session and creates an
//! ephemeral, and a leader session clock that may expire the session at any moment. See
//! proofs/README.md, "Sessions".

use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::zab::ElectionMode;
use zabkeeper_proofs::check::{explore_expecting, finds, SearchReport};
use zabkeeper_proofs::driver::DriverActions;
use zabkeeper_proofs::properties::{
    applied_state, apply_sink, ephemerals, session_owner, watch_order,
};
use zabkeeper_proofs::sessions::{
    SessionModelConfig, EPHEMERAL_CREATED, LATE_WRITE_REFUSED, MOVED_WRITE_ACCEPTED, SNAPSHOT_SENT,
    WATCH_CARRIED_ACROSS_LEADER_CHANGE, WATCH_CARRIED_ACROSS_RECONNECT, WATCH_EVENT_THEN_DATA,
    WITNESSES,
};

const THREADS: usize = 2;

fn check(config: SessionModelConfig) -> SearchReport {
    explore_expecting(config.into_model(), THREADS, WITNESSES)
}

/// Whether the search finds a counterexample to `property` in `config` with `mutations`
/// seeded.
fn caught(config: SessionModelConfig, mutations: Mutations, property: &'static str) -> bool {
    let config = SessionModelConfig {
        mutations,
        ..config
    };
    finds(config.into_model(), property, THREADS)
}

/// The witnesses of a configuration whose leader's clock never runs out.
const WITHOUT_EXPIRY: &[&str] = &[
    EPHEMERAL_CREATED,
    LATE_WRITE_REFUSED,
    MOVED_WRITE_ACCEPTED,
    SNAPSHOT_SENT,
    WATCH_EVENT_THEN_DATA,
    WATCH_CARRIED_ACROSS_RECONNECT,
    WATCH_CARRIED_ACROSS_LEADER_CHANGE,
];

/// The witnesses of a watcher alone, without the session's client: the client's own are out
/// of reach, while the moving client's and the snapshot's hold at once.
const WATCHER_ALONE: &[&str] = &[
    LATE_WRITE_REFUSED,
    MOVED_WRITE_ACCEPTED,
    SNAPSHOT_SENT,
    WATCH_EVENT_THEN_DATA,
    WATCH_CARRIED_ACROSS_RECONNECT,
    WATCH_CARRIED_ACROSS_LEADER_CHANGE,
];

/// The session's close races its ephemeral create through the leader's pipeline; no faults.
#[test]
fn session_expiry_removes_ephemerals_everywhere() {
    let report = check(SessionModelConfig::three_voters());
    assert_eq!(report.unique_states, 28_219);
}

/// The first configuration with Fast Leader Election as the server runs it instead of the
/// oracle (one election round, so one epoch): the leader is whoever FLE elects, its
/// notifications on their own links beside the quorum traffic, while the session is opened
/// and its ephemeral created through `Peer<Replica>`'s pipeline. No clock steps (with one,
/// 6,218,952 states: not for `cargo test`) and no failure detector (see proofs/README.md on
/// the server's settings).
#[test]
fn sessions_under_fast_leader_election() {
    let config = SessionModelConfig {
        election_mode: ElectionMode::Fast,
        max_election_epoch: 1,
        max_epoch: 1,
        clock_steps: 0,
        ..SessionModelConfig::three_voters()
    };
    let report = explore_expecting(config.into_model(), THREADS, WITHOUT_EXPIRY);
    assert_eq!(report.unique_states, 654_126);
}

/// Epoch 1 ended with the session's close logged on one server only; the run's first leader
/// commits or truncates it while the client's create races it through the new leader.
#[test]
fn session_close_in_flight_at_a_leader_change() {
    let config = SessionModelConfig {
        close_in_flight: true,
        max_epoch: 3,
        ..SessionModelConfig::three_voters()
    };
    let report = check(config);
    assert_eq!(report.unique_states, 8_189);
}

/// Server 0 starts from a snapshot, server 1 with the same txn logged, server 2 empty: a
/// leader with a snapshot sends it in a SNAP, and the ephemeral's life is checked on top.
#[test]
fn snapshot_sync_and_session_expiry() {
    let config = SessionModelConfig {
        snapshot_disks: true,
        max_epoch: 3,
        ..SessionModelConfig::three_voters()
    };
    let report = check(config);
    assert_eq!(report.unique_states, 8_465);
}

/// A watcher on server 2 asks `exists` on the ephemeral's path with a watch, then reads it
/// twice more, while the session's client creates the ephemeral through server 1 and the
/// session may expire (deleting it): each server's driver answers the reads through
/// `request::Reader`, fires watches through `WatchRegistry::applied` and keeps the session
/// order, as `src/server/core` does.
fn watched_ephemeral() -> SessionModelConfig {
    SessionModelConfig {
        watcher_server: Some(2),
        driver: DriverActions {
            session_order: true,
            ..DriverActions::default()
        },
        ..SessionModelConfig::three_voters()
    }
}

#[test]
fn a_watcher_sees_the_event_before_the_changed_node() {
    let report = check(watched_ephemeral());
    assert_eq!(report.unique_states, 292_301);
}

/// The watcher opens its own session, watches `/w` (missing) and then creates it itself,
/// pipelining a read behind the create: the NodeCreated must come before the create's reply
/// and the read's answer, which leave in the same step as the txn's application. The leader's
/// clock stays put.
fn creating_watcher() -> SessionModelConfig {
    SessionModelConfig {
        watcher_creates: true,
        watcher_reads: 2,
        clock_steps: 0,
        ..watched_ephemeral()
    }
}

#[test]
fn a_watcher_that_creates_its_node_sees_the_event_before_the_reply() {
    let report = explore_expecting(creating_watcher().into_model(), THREADS, WITHOUT_EXPIRY);
    assert_eq!(report.unique_states, 392_105);
}

/// The driver lets a step's notifications out behind its replies: the creating watcher hears
/// its create answered (and reads `/w`) before the NodeCreated.
#[test]
fn mutant_notifications_after_replies_is_caught() {
    let mutations = Mutations {
        notifications_after_replies: true,
        ..Mutations::NONE
    };
    assert!(caught(creating_watcher(), mutations, watch_order::NAME));
}

/// exists leaves no watch on a missing node, so the watcher reads the created node without
/// the NodeCreated it asked for.
#[test]
fn mutant_exists_watches_only_present_nodes_is_caught() {
    let mutations = Mutations {
        exists_watches_only_present_nodes: true,
        ..Mutations::NONE
    };
    assert!(caught(watched_ephemeral(), mutations, watch_order::NAME));
}

/// The creating watcher alone (no session client), and its server's driver may report two
/// lost quorum connections: as a follower it loses its leader, as the leader its quorum (a
/// leader change follows, to epoch 2), and either way it stops serving. Its driver then closes
/// the watcher's connection with the watch it holds, as `Core::stopped_serving` does. The
/// watcher reconnects through server 1 with its session and the last zxid it saw, re-registers
/// its watch with setWatches and reads on there: the NodeCreated of a create that committed
/// while it was away must reach it before it reads `/w`.
fn reconnecting_watcher() -> SessionModelConfig {
    SessionModelConfig {
        session_client: false,
        watcher_reconnects_to: Some(1),
        lost_links_on: Some(2),
        driver: DriverActions {
            session_order: true,
            disconnects: 2,
            ..DriverActions::default()
        },
        ..creating_watcher()
    }
}

#[test]
fn a_watch_is_carried_across_a_closed_connection() {
    let report = explore_expecting(reconnecting_watcher().into_model(), THREADS, WATCHER_ALONE);
    assert_eq!(report.unique_states, 91_095);
}

/// setWatches leaves the exists watch on `/w` armed though `/w` was created while the watcher
/// was away: the watcher reads `/w` through its new server without the NodeCreated.
#[test]
fn mutant_set_watches_rearms_created_nodes_is_caught() {
    let mutations = Mutations {
        set_watches_rearms_created_nodes: true,
        ..Mutations::NONE
    };
    assert!(caught(reconnecting_watcher(), mutations, watch_order::NAME));
}

/// The creating watcher on server 2, reconnecting through server 1, and any one server may
/// crash for good (no lost links). A crashed server's connections close with it: the watcher
/// is told the close behind whatever server 2 sent before it died, and carries its watch to
/// server 1 as it does when server 2 stops serving. Without a failure detector a crashed
/// leader is never replaced, so only a follower's crash moves the watch.
fn watcher_on_a_crashing_server() -> SessionModelConfig {
    SessionModelConfig {
        max_crashes: 1,
        driver: DriverActions {
            session_order: true,
            ..DriverActions::default()
        },
        ..reconnecting_watcher()
    }
}

#[test]
fn a_watch_is_carried_across_a_crash() {
    // No leader change: a crashed leader is never replaced without a failure detector.
    let expected: Vec<&str> = WATCHER_ALONE
        .iter()
        .copied()
        .filter(|witness| *witness != WATCH_CARRIED_ACROSS_LEADER_CHANGE)
        .collect();
    let report = explore_expecting(
        watcher_on_a_crashing_server().into_model(),
        THREADS,
        &expected,
    );
    assert_eq!(report.unique_states, 35_779);
}

/// The same seeded setWatches bug, caught across a crash.
#[test]
fn mutant_set_watches_rearms_created_nodes_is_caught_across_a_crash() {
    let mutations = Mutations {
        set_watches_rearms_created_nodes: true,
        ..Mutations::NONE
    };
    assert!(caught(
        watcher_on_a_crashing_server(),
        mutations,
        watch_order::NAME
    ));
}

/// The reconnecting watcher with a child watch on `/` (getChildren with a watch) instead of an
/// exists watch on `/w`: its create must reach it as the NodeChildrenChanged of `/` before it
/// lists or reads `/w`, across the closed connection too (setWatches' child paths, judged by
/// the parent's pzxid).
fn reconnecting_child_watcher() -> SessionModelConfig {
    SessionModelConfig {
        watcher_watches_children: true,
        ..reconnecting_watcher()
    }
}

#[test]
fn a_child_watch_is_carried_across_a_closed_connection() {
    let report = explore_expecting(
        reconnecting_child_watcher().into_model(),
        THREADS,
        WATCHER_ALONE,
    );
    assert_eq!(report.unique_states, 91_095);
}

/// setWatches judges the child watch on `/` by its mzxid, which a create under it leaves
/// alone, so the watch stays armed though `/w` was created while the watcher was away: the
/// watcher reads `/w` through its new server without the NodeChildrenChanged.
#[test]
fn mutant_set_watches_rearms_changed_children_is_caught() {
    let mutations = Mutations {
        set_watches_rearms_changed_children: true,
        ..Mutations::NONE
    };
    assert!(caught(
        reconnecting_child_watcher(),
        mutations,
        watch_order::NAME
    ));
}

/// The client opens its session through server 1, reconnects with it through server 2 and
/// then creates its ephemeral there while a late create of the old connection goes through
/// server 1. The oracle may make any server the leader, so the move is follower to follower,
/// follower to leader or leader to follower.
fn moving_client() -> SessionModelConfig {
    SessionModelConfig {
        client_moves_to: Some(2),
        ..SessionModelConfig::three_voters()
    }
}

#[test]
fn a_session_moved_to_another_server_writes_only_through_it() {
    let report = check(moving_client());
    assert_eq!(report.unique_states, 260_079);
}

/// Zabkeeper issue 21: the leader revalidates a moved session but leaves its owner, so every
/// write through the server it moved to is refused SessionMoved.
#[test]
fn mutant_revalidation_keeps_owner_is_caught() {
    let mutations = Mutations {
        revalidation_keeps_owner: true,
        ..Mutations::NONE
    };
    assert!(caught(moving_client(), mutations, session_owner::NAME));
}

/// A leader that rebinds the session to whichever server a request comes through accepts the
/// old connection's late request.
#[test]
fn mutant_owner_follows_requests_is_caught() {
    let mutations = Mutations {
        owner_follows_requests: true,
        ..Mutations::NONE
    };
    assert!(caught(moving_client(), mutations, session_owner::NAME));
}

/// ZOOKEEPER-1208: a leader that forgets a session is closing lets a racing create outlive it.
#[test]
fn mutant_close_leaves_session_open_is_caught() {
    let mutations = Mutations {
        close_leaves_session_open: true,
        ..Mutations::NONE
    };
    assert!(caught(
        SessionModelConfig::three_voters(),
        mutations,
        ephemerals::NAME
    ));
}

/// A commit covering several txns applies only the newest: the tree disagrees with the log,
/// and the driver never hears of the txns skipped (their replies and watches are lost).
#[test]
fn mutant_apply_only_newest_commit_is_caught() {
    let mutations = Mutations {
        apply_only_newest_commit: true,
        ..Mutations::NONE
    };
    let config = SessionModelConfig::three_voters;
    assert!(caught(config(), mutations, applied_state::NAME));
    assert!(caught(config(), mutations, apply_sink::NAME));
}
