//! A leader deposed while it could not hear its followers must not serve when it comes back:
//! paused past the followers' timeout (SIGSTOP, as a VM freeze or a stalled disk does), or cut
//! off by a partition that stalls its links without resetting them. Sessions pinned to every
//! member and sessions free to move run setData, getData and sync+getData meanwhile, and in
//! every round a probe session on the old leader asks for sync+getData of a register right
//! after the new leader acknowledged a write to it. Both histories must be linearizable for
//! writes and sync+reads (issue 20: before the fix, the resumed leader answered the probe's
//! queued sync and read from its own stale state). `ZABKEEPER_BINARY` runs them against
//! another build (`tests/support/mod.rs`).

mod support;

use std::time::{Duration, Instant};
use support::ensemble::{blocking, connect, open, Ensemble};
use support::history::{finish_and_check, progress, sessions_across, HandWritten, Workload};

/// The fault a round puts on the leader, and takes away.
#[derive(Clone, Copy)]
enum Fault {
    Pause,
    Stall,
}

impl Fault {
    fn apply(self, ensemble: &Ensemble, member: usize) {
        match self {
            Fault::Pause => ensemble.members[member].pause(),
            Fault::Stall => ensemble.stall(member),
        }
    }

    fn lift(self, ensemble: &Ensemble, member: usize) {
        match self {
            Fault::Pause => ensemble.members[member].resume(),
            Fault::Stall => ensemble.heal(),
        }
    }
}

/// One round: the leader is cut off until the others elected another, which acknowledges a
/// write to a fresh register; a session connected to the old leader then asks it for
/// sync+getData of that register, and the fault is lifted. Returns the probe's history (the
/// write, the read if it was answered, the final state), for the history checker.
async fn probe_round(ensemble: &Ensemble, round: usize, fault: Fault) -> HandWritten {
    let old_leader = blocking(|| ensemble.wait_until_established());
    let path = format!("/probe-{round}");
    let probe = connect(&ensemble.members[old_leader].address()).await;
    probe
        .create(&path, b"initial", &open())
        .await
        .expect("the probe's register");
    fault.apply(ensemble, old_leader);
    let new_leader = new_leader_elected(ensemble, old_leader).await;
    let writer = connect(&ensemble.members[new_leader].address()).await;
    let written = writer
        .set_data(&path, b"new", None)
        .await
        .expect("the new leader acknowledges the write");
    assert_eq!(written.version, 1);
    // Invoked after the write returned: a linearizable answer sees it. The sync and the read
    // are pipelined, as a client sends them; the old leader holds them until it runs again.
    let read = tokio::spawn(async move {
        let (_, read) = tokio::join!(probe.sync(&path), probe.get_data(&path));
        read
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    fault.lift(ensemble, old_leader);
    let mut history = HandWritten::default();
    history.write(0, 0, "new", Some(1), (0, 1));
    match tokio::time::timeout(Duration::from_secs(30), read).await {
        Ok(Ok(Ok((data, stat)))) => {
            let value = String::from_utf8(data).expect("utf-8");
            history.read(1, 0, true, (&value, stat.version), (2, 3));
        }
        // Not answered (the old leader closed the connection, or the session moved on):
        // nothing was claimed, nothing can be wrong.
        Ok(Ok(Err(error))) => eprintln!("round {round}: the probe's read failed: {error}"),
        Ok(Err(panic)) => panic!("the probe task: {panic}"),
        Err(_) => eprintln!("round {round}: the probe's read was not answered in 30 s"),
    }
    history.finally(0, ("new", 1));
    history
}

/// Waits until a member other than `old_leader` leads, with a quorum serving beside it.
async fn new_leader_elected(ensemble: &Ensemble, old_leader: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let leader = ensemble
            .members
            .iter()
            .enumerate()
            .position(|(index, member)| {
                index != old_leader && member.mode().as_deref() == Some("leader")
            });
        if let Some(leader) = leader {
            return leader;
        }
        assert!(
            Instant::now() < deadline,
            "the others elected no leader; logs:\n{}",
            ensemble.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `rounds` probe rounds of `fault` on `ensemble` while a workload runs, then checks the
/// probes' histories and the workload's.
async fn rounds_stay_linearizable(ensemble: &Ensemble, fault: Fault, rounds: usize) {
    let workload = Workload::start("/registers", 3, &sessions_across(ensemble)).await;
    progress(&workload, 100).await;
    for round in 0..rounds {
        let history = probe_round(ensemble, round, fault).await;
        if let Err(violation) = history.check(1) {
            panic!("round {round}: the old leader answered a stale sync+read: {violation}");
        }
        blocking(|| ensemble.wait_until_established());
        progress(&workload, 50).await;
    }
    finish_and_check(workload, ensemble).await;
}

/// tickTime 500 ms and syncLimit 5: the followers give up after 2.5 s of silence; each pause
/// lasts until they elected another leader and it acknowledged a write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_paused_past_its_followers_timeout_serves_no_stale_sync_reads() {
    let ensemble = blocking(|| Ensemble::start(3, 0));
    rounds_stay_linearizable(&ensemble, Fault::Pause, 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_behind_a_stalled_partition_serves_no_stale_sync_reads() {
    let ensemble = blocking(|| Ensemble::start_partitionable(3));
    rounds_stay_linearizable(&ensemble, Fault::Stall, 2).await;
}
