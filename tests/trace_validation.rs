//! Trace validation: an ensemble of real processes, each writing `server --trace`, is run
//! through writes, a leader kill -9 and restarts; then every run of every member is replayed
//! through the model peer (the same commands, answers and leadership at every step, and no
//! message released before the sync of its step's save), and the cross-server properties are
//! checked on what the runs delivered. A driver that sends before it syncs must fail it.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::ensemble::{blocking, connect, open, Ensemble};
use zabkeeper::models::Epoch;
use zabkeeper::server::trace::{
    check_ensemble, replay, DurableDigest, RunSummary, TraceLine, TraceWriter,
};
use zookeeper_client as zk;

/// Creates `count` nodes under `prefix`, retrying each until acknowledged (a write in flight
/// when its server dies has an unknown outcome, so a retry may find it there).
async fn write_nodes(client: &zk::Client, prefix: &str, count: usize) {
    for index in 0..count {
        let path = format!("{prefix}-{index}");
        let mut attempts = 0;
        loop {
            match client.create(&path, b"traced", &open()).await {
                Ok(_) | Err(zk::Error::NodeExists) => break,
                Err(error) => {
                    attempts += 1;
                    assert!(attempts < 200, "{path} never acknowledged: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// Starts the stopped `member` again and waits until it has caught up: once the ensemble is
/// established, a sync through the member makes it see `last_written`.
async fn restart_and_catch_up(ensemble: &mut Ensemble, member: usize, last_written: &str) {
    ensemble.members[member].start();
    blocking(|| ensemble.wait_until_established());
    let caught_up = connect(&ensemble.members[member].address()).await;
    caught_up.sync("/").await.expect("sync");
    assert!(caught_up
        .check_stat(last_written)
        .await
        .expect("exists")
        .is_some());
}

/// Every run of every member, replayed; the first replay failure is returned as is.
fn replay_all(ensemble: &Ensemble) -> Result<Vec<RunSummary>, String> {
    let mut runs = Vec::new();
    for member in &ensemble.members {
        runs.extend(replay(&member.trace_path())?);
    }
    Ok(runs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_traced_step_of_an_ensemble_through_crashes_is_the_models_step() {
    let mut ensemble = blocking(|| Ensemble::start_traced(3, None));
    let client = connect(&ensemble.connect_string()).await;
    write_nodes(&client, "/first", 20).await;

    let old_leader = ensemble.leader().expect("a leader");
    ensemble.members[old_leader].kill();
    blocking(|| ensemble.wait_until_established());
    write_nodes(&client, "/second", 20).await;

    ensemble.members[old_leader].start();
    let leader = blocking(|| ensemble.wait_until_established());
    let follower = (leader + 1) % 3;
    ensemble.members[follower].kill();
    write_nodes(&client, "/third", 20).await;
    restart_and_catch_up(&mut ensemble, follower, "/third-19").await;
    drop(client);

    for member in &mut ensemble.members {
        member.kill();
    }
    let runs = replay_all(&ensemble).unwrap_or_else(|failure| panic!("{failure}"));
    // Three first runs, the old leader's and the follower's second runs.
    assert_eq!(runs.len(), 5, "{runs:#?}");
    assert!(runs.iter().all(|run| run.steps > 0));
    let restarts_checked = runs.iter().filter(|run| run.continuity_checked).count();
    assert_eq!(
        restarts_checked, 2,
        "both restarts recovered what was made durable"
    );
    let led: usize = runs.iter().map(|run| run.led_epochs.len()).sum();
    assert!(led >= 2, "two leaderships at least: {runs:#?}");
    let delivered: usize = runs
        .iter()
        .flat_map(|run| &run.delivered)
        .map(Vec::len)
        .sum();
    assert!(delivered >= 60, "the writes were delivered: {delivered}");
    check_ensemble(&runs).unwrap_or_else(|failure| panic!("{failure}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_that_sends_before_it_syncs_fails_the_trace_validation() {
    let mut ensemble = blocking(|| Ensemble::start_traced(3, Some("send-before-sync")));
    let client = connect(&ensemble.connect_string()).await;
    write_nodes(&client, "/unsafe", 10).await;
    drop(client);
    for member in &mut ensemble.members {
        member.kill();
    }
    let failure = replay_all(&ensemble).expect_err("the broken driver is caught");
    assert!(
        failure.contains("released before the sync"),
        "caught for the wrong reason: {failure}"
    );
}

/// A session moved from a follower to the other follower and then to the leader: the
/// revalidations (the client's reconnect, REVALIDATE and its answer) are steps of the model
/// too, and so is the refusal of the old connection's write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_moved_between_members_replays_through_the_model() {
    let mut ensemble = blocking(|| Ensemble::start_traced(3, None));
    let leader = ensemble.leader().expect("a leader");
    let (first, second) = ((leader + 1) % 3, (leader + 2) % 3);
    let old = connect(&ensemble.members[first].address()).await;
    old.create("/moved", b"0", &open()).await.expect("create");
    let mut connections = Vec::new();
    for (to, value) in [(second, b"1"), (leader, b"2")] {
        let moved = zk::Client::connector()
            .with_session_timeout(Duration::from_secs(20))
            .with_session(old.session().clone())
            .with_detached()
            .connect(&ensemble.members[to].address())
            .await
            .expect("reconnects with the session");
        moved
            .set_data("/moved", value, None)
            .await
            .expect("a write through the member the session moved to");
        connections.push(moved);
    }
    assert_eq!(
        old.set_data("/moved", b"stale", None).await.err(),
        Some(zk::Error::SessionMoved)
    );
    drop(connections);
    drop(old);
    for member in &mut ensemble.members {
        member.kill();
    }
    let runs = replay_all(&ensemble).unwrap_or_else(|failure| panic!("{failure}"));
    check_ensemble(&runs).unwrap_or_else(|failure| panic!("{failure}"));
    let traced = |member: usize, message: &str| {
        std::fs::read_to_string(ensemble.members[member].trace_path())
            .expect("a trace")
            .contains(message)
    };
    assert!(
        traced(second, "\"Revalidate\""),
        "the follower asked the leader"
    );
    assert!(traced(leader, "\"Revalidated\""), "the leader answered");
    assert!(
        traced(leader, "\"ClientRevalidate\""),
        "a reconnect to the leader"
    );
}

/// The NEWLEADER events of a SNAP in the last run recorded in `trace`.
fn snap_events_of_last_run(trace: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(trace).expect("a trace");
    let last_run = &text[text.rfind("{\"Start\"").expect("a run")..];
    last_run
        .lines()
        .filter(|line| {
            line.starts_with("{\"Step\"")
                && line.contains("{\"Message\":{\"from\":")
                && line.contains("{\"NewLeader\":{")
                && line.contains("\"kind\":\"Snap\"")
        })
        .count()
}

/// A member whose data directory is wiped is synchronised by a SNAP that crosses the quorum as
/// several chunks (the snapshot holds about 1.2 MB, chunks are at most 256 KiB): its trace
/// shows the one NEWLEADER step the model expects, and replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snap_streamed_in_chunks_is_one_traced_step_of_the_model() {
    let mut ensemble = blocking(|| Ensemble::start_traced_with(3, "snapCount=4\n"));
    let leader = ensemble.leader().expect("a leader");
    let client = connect(&ensemble.members[leader].address()).await;
    let value = vec![b'v'; 100_000];
    for index in 0..12 {
        client
            .create(&format!("/large-{index}"), &value, &open())
            .await
            .expect("creates");
    }
    let follower = (leader + 1) % 3;
    ensemble.members[follower].kill();
    let data = ensemble.members[follower]
        .config_path()
        .parent()
        .expect("a member directory")
        .join("data")
        .join("version-2");
    std::fs::remove_dir_all(data).expect("removes version-2");
    // A trace follows one data directory: the wiped member's runs before go on record apart.
    let trace_before_wipe = set_aside(&ensemble.members[follower].trace_path());
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    let rejoined = connect(&ensemble.members[follower].address()).await;
    rejoined.sync("/").await.expect("syncs");
    let (read, _) = rejoined.get_data("/large-11").await.expect("reads");
    assert_eq!(read, value);
    drop(rejoined);
    drop(client);
    for member in &mut ensemble.members {
        member.kill();
    }
    let log = ensemble.members[follower].log();
    let received = log
        .lines()
        .rfind(|line| line.contains("received a synchronisation"))
        .expect("the follower received a synchronisation");
    assert!(received.contains("kind=Snap"), "{received}");
    let chunks: u64 = received
        .split_whitespace()
        .find_map(|field| field.strip_prefix("chunks=")?.parse().ok())
        .expect("the chunk count is logged");
    assert!(chunks > 1, "the SNAP crossed in several chunks: {received}");
    assert_eq!(
        snap_events_of_last_run(&ensemble.members[follower].trace_path()),
        1
    );
    let mut runs = replay_all(&ensemble).unwrap_or_else(|failure| panic!("{failure}"));
    runs.extend(replay(&trace_before_wipe).unwrap_or_else(|failure| panic!("{failure}")));
    check_ensemble(&runs).unwrap_or_else(|failure| panic!("{failure}"));
}

/// Moves a trace file aside and returns where it went.
fn set_aside(trace: &Path) -> PathBuf {
    let aside = trace.with_extension("before-wipe.jsonl");
    std::fs::rename(trace, &aside).expect("moves the trace aside");
    aside
}

/// `trace` with the recovered durable state of its last run changed by `tamper`.
fn tampered(
    trace: &Path,
    into: &Path,
    tamper: impl FnOnce(&mut zabkeeper::models::zab::Durable<zabkeeper::models::replica::Replica>),
) -> PathBuf {
    let text = std::fs::read_to_string(trace).expect("a trace");
    let last_start = text.rfind("{\"Start\"").expect("a run");
    let (before, from_start) = text.split_at(last_start);
    let (start_line, after) = from_start.split_once('\n').expect("a whole start line");
    let mut start: TraceLine = serde_json::from_str(start_line).expect("a start line");
    let TraceLine::Start { durable, .. } = &mut start else {
        unreachable!("found as a start line");
    };
    tamper(durable);
    let tampered = format!(
        "{before}{}\n{after}",
        serde_json::to_string(&start).expect("serializes")
    );
    std::fs::write(into, tampered).expect("writes the tampered trace");
    into.to_path_buf()
}

/// A follower stopped cleanly and restarted, then killed and restarted: both restarts
/// recover what the follower had made durable, and replay checks it. The same trace with the
/// last run's recovered state changed (a logged txn lost, currentEpoch lost) fails, so the
/// check is not vacuous.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_restart_recovers_what_the_member_had_made_durable() {
    let mut ensemble = blocking(|| Ensemble::start_traced(3, None));
    let client = connect(&ensemble.connect_string()).await;
    write_nodes(&client, "/before", 10).await;
    let leader = ensemble.leader().expect("a leader");
    let follower = (leader + 1) % 3;
    blocking(|| ensemble.members[follower].stop());
    write_nodes(&client, "/stopped", 10).await;
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    write_nodes(&client, "/restarted", 10).await;
    ensemble.members[follower].kill();
    restart_and_catch_up(&mut ensemble, follower, "/restarted-9").await;
    drop(client);
    for member in &mut ensemble.members {
        member.kill();
    }
    let trace = ensemble.members[follower].trace_path();
    let runs = replay(&trace).unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(runs.len(), 3, "{runs:#?}");
    assert_eq!(
        runs.iter()
            .map(|run| run.continuity_checked)
            .collect::<Vec<_>>(),
        [false, true, true]
    );

    let directory = tempfile::tempdir().expect("a directory");
    // The last txns may be legitimately missing (the kill may have cut the append of a
    // txn short), the first may not.
    let lost_txn = tampered(&trace, &directory.path().join("lost.jsonl"), |durable| {
        assert!(durable.history.len() > 1, "the follower logged txns");
        Arc::make_mut(&mut durable.history).remove(0);
    });
    let failure = replay(&lost_txn).expect_err("a lost txn is caught");
    assert!(
        failure.contains("restarted from") && failure.contains("had made durable"),
        "caught for the wrong reason: {failure}"
    );
    // Epochs only move forward: no persist cut short leaves currentEpoch at zero.
    let lost_epoch = tampered(&trace, &directory.path().join("epoch.jsonl"), |durable| {
        assert!(
            durable.current_epoch > Epoch(0),
            "the follower accepted an epoch"
        );
        durable.current_epoch = Epoch(0);
    });
    let failure = replay(&lost_epoch).expect_err("a lost currentEpoch is caught");
    assert!(
        failure.contains("restarted from"),
        "caught for the wrong reason: {failure}"
    );
}

/// A run killed in the middle of a line leaves it torn; the next run starts on a line of its
/// own, or replay could not tell where the torn run ended.
#[test]
fn a_new_run_starts_on_a_fresh_line_after_a_torn_one() {
    let directory = tempfile::tempdir().expect("a directory");
    let path = directory.path().join("trace.jsonl");
    std::fs::write(&path, "{\"Persisted\":{\"before_st").expect("writes");
    let mut writer = TraceWriter::open(&path).expect("opens");
    let line = TraceLine::Persisted {
        before_step: 1,
        durable: DurableDigest {
            accepted_epoch: 1,
            current_epoch: 1,
            snapshot_zxid: 0,
            last_zxid: 0x1_0000_0001,
            logged_txns: 1,
            log_hash: 7,
        },
    };
    writer.write(&line).expect("writes");
    writer.flush().expect("flushes");
    let text = std::fs::read_to_string(&path).expect("reads");
    assert_eq!(
        text,
        format!(
            "{{\"Persisted\":{{\"before_st\n{}\n",
            serde_json::to_string(&line).expect("serializes")
        )
    );
    drop(writer);
    let mut writer = TraceWriter::open(&path).expect("opens again");
    writer.flush().expect("flushes");
    assert_eq!(std::fs::read_to_string(&path).expect("reads"), text);
}
