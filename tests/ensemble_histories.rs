//! Client histories through faults: sessions pinned to each member and sessions free to move
//! run setData, getData and sync+getData on a few znodes while members crash, restart and are
//! cut off; the recorded history must then be linearizable per znode for writes and
//! sync+reads, sequentially consistent per session for reads, and keep every acknowledged
//! write (see `support/history.rs`).

mod support;

use std::time::{Duration, Instant};
use support::ensemble::{blocking, Ensemble};
use support::history::{finish_and_check, progress, sessions_across, Workload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histories_through_leader_and_follower_crashes_are_linearizable() {
    let mut ensemble = blocking(|| Ensemble::start(3, 1));
    let workload = Workload::start("/registers", 3, &sessions_across(&ensemble)).await;
    progress(&workload, 200).await;

    let old_leader = ensemble.leader().expect("a leader");
    ensemble.members[old_leader].kill();
    blocking(|| ensemble.wait_until_established());
    progress(&workload, 200).await;
    ensemble.members[old_leader].start();
    let leader = blocking(|| ensemble.wait_until_established());
    progress(&workload, 200).await;

    let follower = (leader + 1) % 3;
    ensemble.members[follower].kill();
    progress(&workload, 200).await;
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    progress(&workload, 200).await;
    finish_and_check(workload, &ensemble).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histories_through_a_partitioned_leader_are_linearizable() {
    let ensemble = blocking(|| Ensemble::start_partitionable(3));
    let workload = Workload::start("/registers", 3, &sessions_across(&ensemble)).await;
    progress(&workload, 200).await;

    let old_leader = ensemble.leader().expect("a leader");
    ensemble.isolate(old_leader);
    // The isolated leader stops serving; the majority elects and goes on.
    let deadline = Instant::now() + Duration::from_secs(30);
    while ensemble.members[old_leader].mode().is_some() {
        assert!(
            Instant::now() < deadline,
            "the isolated leader kept serving"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    progress(&workload, 200).await;
    ensemble.heal();
    blocking(|| ensemble.wait_until_established());
    progress(&workload, 200).await;
    finish_and_check(workload, &ensemble).await;
}

/// The checker itself: each history below breaks one promise and must be refused; the
/// legal one beside them must pass.
mod checker {
    use super::support::history::HandWritten;

    fn refused(history: &HandWritten, reason: &str) {
        match history.check(1) {
            Ok(figures) => panic!("accepted a history that {reason}: {figures:?}"),
            Err(violation) => eprintln!("refused ({reason}): {violation}"),
        }
    }

    #[test]
    fn a_legal_history_with_concurrency_and_an_unknown_write_passes() {
        let mut history = HandWritten::default();
        history
            .write(0, 0, "a", Some(1), (0, 3))
            .read(1, 0, true, ("initial", 0), (1, 2))
            .write(1, 0, "lost-connection", None, (4, 0))
            .read(2, 0, false, ("a", 1), (5, 6))
            .read(0, 0, true, ("lost-connection", 2), (7, 8))
            .finally(0, ("lost-connection", 2));
        history.check(1).expect("legal");
    }

    #[test]
    fn a_stale_sync_read_is_refused() {
        let mut history = HandWritten::default();
        history
            .write(0, 0, "a", Some(1), (0, 1))
            .read(1, 0, true, ("initial", 0), (2, 3))
            .finally(0, ("a", 1));
        refused(&history, "reads an old value after a sync");
    }

    #[test]
    fn writes_ordered_against_real_time_are_refused() {
        let mut history = HandWritten::default();
        history
            .write(0, 0, "a", Some(2), (0, 1))
            .write(1, 0, "b", Some(1), (2, 3))
            .finally(0, ("a", 2));
        refused(&history, "orders a later write first");
    }

    #[test]
    fn a_lost_acknowledged_write_is_refused() {
        let mut history = HandWritten::default();
        history
            .write(0, 0, "a", Some(1), (0, 1))
            .finally(0, ("initial", 0));
        refused(&history, "loses an acknowledged write");
    }

    #[test]
    fn a_session_going_back_in_time_is_refused() {
        let mut history = HandWritten::default();
        history
            .write(0, 0, "a", Some(1), (0, 1))
            .read(1, 0, false, ("a", 1), (2, 3))
            .read(1, 0, false, ("initial", 0), (4, 5))
            .finally(0, ("a", 1));
        refused(&history, "lets a session read an older version");
    }

    #[test]
    fn a_value_nobody_wrote_is_refused() {
        let mut history = HandWritten::default();
        history
            .read(0, 0, false, ("phantom", 1), (0, 1))
            .finally(0, ("phantom", 1));
        refused(&history, "reads a value nobody wrote");
    }

    #[test]
    fn a_read_of_a_write_invoked_later_is_refused() {
        let mut history = HandWritten::default();
        history
            .read(0, 0, false, ("future", 1), (0, 1))
            .write(1, 0, "future", Some(1), (2, 3))
            .finally(0, ("future", 1));
        refused(&history, "reads the future");
    }

    #[test]
    fn a_version_no_write_could_have_made_is_refused() {
        let mut history = HandWritten::default();
        history
            .write(0, 0, "a", Some(2), (0, 1))
            .finally(0, ("a", 2));
        refused(&history, "skips a version with no write of unknown outcome");
    }
}
