//! Trace validation: an ensemble of real processes, each writing `server --trace`, is run
//! through writes, a leader kill -9 and restarts; then every run of every member is replayed
//! through the model peer (the same commands, answers and leadership at every step, and no
//! message released before the sync of its step's save), and the cross-server properties are
//! checked on what the runs delivered. A driver that sends before it syncs must fail it.

mod support;

use std::time::Duration;
use support::ensemble::{blocking, connect, open, Ensemble};
use zabkeeper::server::trace::{check_ensemble, replay, RunSummary, TraceLine, TraceWriter};
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
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    let caught_up = connect(&ensemble.members[follower].address()).await;
    caught_up.sync("/").await.expect("sync");
    assert!(caught_up
        .check_stat("/third-19")
        .await
        .expect("exists")
        .is_some());
    drop(caught_up);
    drop(client);

    for member in &mut ensemble.members {
        member.kill();
    }
    let runs = replay_all(&ensemble).unwrap_or_else(|failure| panic!("{failure}"));
    // Three first runs, the old leader's and the follower's second runs.
    assert_eq!(runs.len(), 5, "{runs:#?}");
    assert!(runs.iter().all(|run| run.steps > 0));
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
    let runs = replay_all(&ensemble).unwrap_or_else(|failure| panic!("{failure}"));
    check_ensemble(&runs).unwrap_or_else(|failure| panic!("{failure}"));
}

/// A run killed in the middle of a line leaves it torn; the next run starts on a line of its
/// own, or replay could not tell where the torn run ended.
#[test]
fn a_new_run_starts_on_a_fresh_line_after_a_torn_one() {
    let directory = tempfile::tempdir().expect("a directory");
    let path = directory.path().join("trace.jsonl");
    std::fs::write(&path, "{\"Persisted\":{\"before_st").expect("writes");
    let mut writer = TraceWriter::open(&path).expect("opens");
    writer
        .write(&TraceLine::Persisted { before_step: 1 })
        .expect("writes");
    writer.flush().expect("flushes");
    let text = std::fs::read_to_string(&path).expect("reads");
    assert_eq!(
        text,
        "{\"Persisted\":{\"before_st\n{\"Persisted\":{\"before_step\":1}}\n"
    );
    drop(writer);
    let mut writer = TraceWriter::open(&path).expect("opens again");
    writer.flush().expect("flushes");
    assert_eq!(std::fs::read_to_string(&path).expect("reads"), text);
}
