//! Ensembles of real `zabkeeper` processes on loopback, driven by the Rust `zookeeper-client`:
//! election, writes through any member read back everywhere after sync, kill -9 of the leader
//! and of followers, restarts, observers that serve but never count toward a quorum.

mod support;

use std::time::Duration;
use support::ensemble::{blocking, connect, open, Ensemble};
use zookeeper_client as zk;

fn ephemeral() -> zk::CreateOptions<'static> {
    zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all())
}

/// Reads `path` on every running member after a sync there: the value it holds, or
/// `None` when the node is absent.
async fn read_everywhere(ensemble: &Ensemble, path: &str) -> Vec<Option<Vec<u8>>> {
    let mut values = Vec::new();
    for member in &ensemble.members {
        let address = member.address();
        if member.mode().is_none() {
            continue;
        }
        let client = connect(&address).await;
        client.sync(path).await.expect("sync");
        values.push(match client.get_data(path).await {
            Ok((data, _)) => Some(data),
            Err(zk::Error::NoNode) => None,
            Err(error) => panic!("get {path} on {address}: {error}"),
        });
    }
    values
}

/// Retries a write until it is acknowledged: a write in flight when a connection drops has
/// an unknown outcome, so a retry of a create may find the node already there.
async fn create_retrying(client: &zk::Client, path: &str, data: &[u8]) {
    for _ in 0..200 {
        match client.create(path, data, &open()).await {
            Ok(_) | Err(zk::Error::NodeExists) => return,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("{path} was never created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_voters_elect_a_leader_and_writes_through_any_member_are_read_everywhere() {
    let ensemble = blocking(|| Ensemble::start(3, 0));
    let leader = ensemble.leader().expect("a leader");
    let followers = ensemble
        .members
        .iter()
        .filter(|member| member.mode().as_deref() == Some("follower"))
        .count();
    assert_eq!(followers, 2, "one leader and two followers");
    assert!(ensemble.members[leader]
        .four_letter_word("mntr")
        .contains("zk_synced_followers\t2"));
    // `zabkeeper status` answers for each member as zkServer.sh status does.
    for (index, member) in ensemble.members.iter().enumerate() {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_zabkeeper"))
            .args(["status", "--config"])
            .arg(member.config_path())
            .output()
            .expect("zabkeeper status runs");
        let mode = if index == leader {
            "leader"
        } else {
            "follower"
        };
        assert!(output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stdout).ends_with(&format!("Mode: {mode}\n")),
            "{output:?}"
        );
    }
    for member in &ensemble.members {
        let client = connect(&member.address()).await;
        let path = format!("/written-through-{}", member.id);
        client
            .create(&path, member.id.to_string().as_bytes(), &open())
            .await
            .expect("create");
    }
    for member in &ensemble.members {
        let path = format!("/written-through-{}", member.id);
        let values = read_everywhere(&ensemble, &path).await;
        assert_eq!(values, vec![Some(member.id.to_string().into_bytes()); 3]);
    }
    // The same history everywhere: once idle, every member reports the same last zxid (the
    // last COMMIT may still be on its way for a moment).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let zxids: Vec<Option<u64>> = ensemble.members.iter().map(|m| m.last_zxid()).collect();
        if zxids.windows(2).all(|pair| pair[0] == pair[1]) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{zxids:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_reads_its_own_write_through_a_follower() {
    let ensemble = blocking(|| Ensemble::start(3, 0));
    let leader = ensemble.leader().expect("a leader");
    let follower = (leader + 1) % 3;
    let client = connect(&ensemble.members[follower].address()).await;
    client.create("/own", b"0", &open()).await.expect("create");
    for round in 1..=50u32 {
        let value = round.to_string();
        // Not awaited before the read is sent: the read must wait for the write anyway.
        let write = client.set_data("/own", value.as_bytes(), None);
        let read = client.get_data("/own");
        let (written, read) = tokio::join!(write, read);
        written.expect("set");
        let (data, _) = read.expect("get");
        assert_eq!(
            data,
            value.as_bytes(),
            "round {round} read a value older than its write"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_elects_another_that_keeps_every_acknowledged_write_and_session() {
    let mut ensemble = blocking(|| Ensemble::start(3, 0));
    let cluster = ensemble.connect_string();
    let client = connect(&cluster).await;
    let session = client.session_id();
    client
        .create("/owner", b"", &ephemeral())
        .await
        .expect("ephemeral");
    let mut acknowledged = Vec::new();
    for index in 0..20 {
        let path = format!("/before-{index}");
        client.create(&path, b"x", &open()).await.expect("create");
        acknowledged.push(path);
    }
    let old_leader = ensemble.leader().expect("a leader");
    ensemble.members[old_leader].kill();
    let new_leader = blocking(|| ensemble.wait_until_established());
    assert_ne!(new_leader, old_leader);
    // The client carries on with the same session, on a surviving member.
    for index in 0..20 {
        let path = format!("/after-{index}");
        create_retrying(&client, &path, b"y").await;
        acknowledged.push(path);
    }
    assert_eq!(
        client.session_id(),
        session,
        "the session survives the failover"
    );
    acknowledged.push("/owner".to_string());
    for path in &acknowledged {
        for value in read_everywhere(&ensemble, path).await {
            assert!(value.is_some(), "{path} was acknowledged and is lost");
        }
    }
    // The old leader comes back as a follower and catches up.
    ensemble.members[old_leader].start();
    blocking(|| ensemble.wait_until_established());
    assert_eq!(
        ensemble.members[old_leader].mode().as_deref(),
        Some("follower")
    );
    let rejoined = connect(&ensemble.members[old_leader].address()).await;
    rejoined.sync("/").await.expect("sync");
    for path in &acknowledged {
        assert!(
            rejoined.check_stat(path).await.expect("exists").is_some(),
            "{path} missing on the restarted server"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_moves_to_another_member_keeps_its_watches() {
    let mut ensemble = blocking(|| Ensemble::start(3, 0));
    let client = connect(&ensemble.connect_string()).await;
    client
        .create("/watched", b"a", &open())
        .await
        .expect("create");
    let (_, _, watcher) = client
        .get_and_watch_data("/watched")
        .await
        .expect("a data watch");
    let session = client.session_id();
    // Kill the member the session is connected to: its client reconnects elsewhere and sets
    // its watches again there.
    let marker = format!("sid=0x{:x}", session.0);
    let holding = ensemble
        .members
        .iter()
        .position(|member| member.four_letter_word("cons").contains(&marker))
        .expect("a member holds the session");
    ensemble.members[holding].kill();
    blocking(|| ensemble.wait_until_established());
    let writer = connect(&ensemble.members[(holding + 1) % 3].address()).await;
    writer.set_data("/watched", b"b", None).await.expect("set");
    let event = tokio::time::timeout(Duration::from_secs(20), watcher.changed())
        .await
        .expect("the watch fires through the member the session moved to");
    assert_eq!(event.event_type, zk::EventType::NodeDataChanged);
    assert_eq!(event.path, "/watched");
    assert_eq!(client.session_id(), session, "the same session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_killed_and_restarted_catches_up_with_what_it_missed() {
    let mut ensemble = blocking(|| Ensemble::start(3, 0));
    let leader = ensemble.leader().expect("a leader");
    let follower = (leader + 1) % 3;
    let client = connect(&ensemble.members[leader].address()).await;
    client
        .create("/early", b"1", &open())
        .await
        .expect("create");
    ensemble.members[follower].kill();
    for index in 0..30 {
        let path = format!("/missed-{index}");
        client.create(&path, b"m", &open()).await.expect("create");
    }
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    let caught_up = connect(&ensemble.members[follower].address()).await;
    caught_up.sync("/").await.expect("sync");
    for index in 0..30 {
        let path = format!("/missed-{index}");
        assert!(caught_up.check_stat(&path).await.expect("exists").is_some());
    }
    assert!(
        ensemble.members[follower].log().contains("kind=Diff"),
        "the restarted follower was synced by DIFF:\n{}",
        ensemble.members[follower].log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_serves_clients_but_never_counts_toward_a_quorum() {
    let mut ensemble = blocking(|| Ensemble::start(3, 1));
    let observer = 3;
    assert_eq!(
        ensemble.members[observer].mode().as_deref(),
        Some("observer")
    );
    let leader = ensemble.leader().expect("a leader");
    assert!(ensemble.members[leader]
        .four_letter_word("mntr")
        .contains("zk_synced_observers\t1"));
    let client = connect(&ensemble.members[observer].address()).await;
    client
        .create("/through-observer", b"o", &open())
        .await
        .expect("a write through the observer");
    assert_eq!(
        read_everywhere(&ensemble, "/through-observer").await,
        vec![Some(b"o".to_vec()); 4]
    );
    drop(client);
    // Two voters gone: one voter and the observer are no quorum.
    let voters: Vec<usize> = (0..3).filter(|index| *index != leader).collect();
    ensemble.members[voters[0]].kill();
    ensemble.members[voters[1]].kill();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while ensemble.members[leader].mode().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the leader kept serving without a quorum"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing serves for a while: the observer and the lone voter never form a quorum.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for index in [leader, observer] {
        assert_eq!(
            ensemble.members[index].mode(),
            None,
            "member {index} serves"
        );
    }
    ensemble.members[voters[0]].start();
    blocking(|| ensemble.wait_until_established());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_voters_survive_losing_the_leader_and_another_member() {
    let mut ensemble = blocking(|| Ensemble::start(5, 0));
    let cluster = ensemble.connect_string();
    let client = connect(&cluster).await;
    client.create("/five", b"5", &open()).await.expect("create");
    let leader = ensemble.leader().expect("a leader");
    ensemble.members[leader].kill();
    ensemble.members[(leader + 1) % 5].kill();
    blocking(|| ensemble.wait_until_established());
    create_retrying(&client, "/after-two-losses", b"3").await;
    let values = read_everywhere(&ensemble, "/five").await;
    assert_eq!(values, vec![Some(b"5".to_vec()); 3]);
}

/// Waits until one of `members` leads and the others of them follow.
fn wait_for_majority_leader(ensemble: &Ensemble, members: &[usize]) -> usize {
    let deadline = std::time::Instant::now() + support::ensemble::ELECTION_WAIT;
    loop {
        let modes: Vec<Option<String>> = members
            .iter()
            .map(|index| ensemble.members[*index].mode())
            .collect();
        let leaders: Vec<usize> = members
            .iter()
            .zip(&modes)
            .filter(|(_, mode)| mode.as_deref() == Some("leader"))
            .map(|(index, _)| *index)
            .collect();
        let followers = modes
            .iter()
            .filter(|mode| mode.as_deref() == Some("follower"))
            .count();
        if leaders.len() == 1 && followers + 1 == members.len() {
            return leaders[0];
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the majority elected no leader: {modes:?}\n{}",
            ensemble.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_cut_off_by_the_network_steps_down_and_truncates_what_it_never_committed() {
    let ensemble = blocking(|| Ensemble::start_partitionable(3));
    let old_leader = ensemble.leader().expect("a leader");
    let majority: Vec<usize> = (0..3).filter(|index| *index != old_leader).collect();
    let on_old_leader = connect(&ensemble.members[old_leader].address()).await;
    on_old_leader
        .create("/before", b"b", &open())
        .await
        .expect("create");
    let cut_at = std::time::Instant::now();
    // Stalled, not reset: a leader whose peer connections all reset stops leading at once,
    // before it could take the write below; a stalled one leads until its lease runs out.
    ensemble.stall(old_leader);
    // A write the isolated leader takes but can never commit.
    let doomed = tokio::spawn(async move {
        let outcome = on_old_leader
            .create("/during-partition", b"d", &open())
            .await;
        (outcome.map(|_| ()), on_old_leader)
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while ensemble.members[old_leader].mode().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the isolated leader kept serving"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // syncLimit is 5 ticks of 500 ms; the lease is a fifth shorter, less a tick.
    eprintln!(
        "the isolated leader stopped serving {:?} after the cut",
        cut_at.elapsed()
    );
    let new_leader = blocking(|| wait_for_majority_leader(&ensemble, &majority));
    assert_ne!(new_leader, old_leader);
    let on_majority = connect(&ensemble.members[new_leader].address()).await;
    on_majority
        .create("/majority", b"m", &open())
        .await
        .expect("the majority takes writes");
    let (outcome, _client) = doomed.await.expect("the write task ends");
    assert!(
        outcome.is_err(),
        "a write the isolated leader could not commit was acknowledged"
    );
    ensemble.heal();
    blocking(|| ensemble.wait_until_established());
    assert_eq!(
        ensemble.members[old_leader].mode().as_deref(),
        Some("follower")
    );
    assert_eq!(
        read_everywhere(&ensemble, "/during-partition").await,
        vec![None; 3],
        "an uncommitted write survived"
    );
    assert_eq!(
        read_everywhere(&ensemble, "/majority").await,
        vec![Some(b"m".to_vec()); 3]
    );
    assert_eq!(
        read_everywhere(&ensemble, "/before").await,
        vec![Some(b"b".to_vec()); 3]
    );
    assert!(
        ensemble.members[old_leader].log().contains("kind=Trunc"),
        "the old leader was synced by TRUNC:\n{}",
        ensemble.members[old_leader].log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_behind_the_leaders_snapshot_is_synced_by_snap() {
    // A snapshot every 10 to 20 txns: the leader's history soon starts after what the
    // stopped follower has.
    let mut ensemble = blocking(|| Ensemble::start_with(3, 0, "snapCount=20\n"));
    let leader = ensemble.leader().expect("a leader");
    let follower = (leader + 1) % 3;
    let client = connect(&ensemble.members[leader].address()).await;
    client.create("/base", b"0", &open()).await.expect("create");
    ensemble.members[follower].kill();
    for index in 0..60 {
        let path = format!("/while-away-{index}");
        client
            .create(&path, index.to_string().as_bytes(), &open())
            .await
            .expect("create");
    }
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    let log = ensemble.members[follower].log();
    assert!(log.contains("kind=Snap"), "synced by SNAP:\n{log}");
    let caught_up = connect(&ensemble.members[follower].address()).await;
    caught_up.sync("/").await.expect("sync");
    for index in 0..60 {
        let path = format!("/while-away-{index}");
        let (data, _) = caught_up.get_data(&path).await.expect("get");
        assert_eq!(data, index.to_string().as_bytes());
    }
    // The snapshot it received is on its disk: it restarts from it.
    ensemble.members[follower].kill();
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    let restarted = connect(&ensemble.members[follower].address()).await;
    restarted.sync("/").await.expect("sync");
    assert!(restarted
        .check_stat("/while-away-59")
        .await
        .expect("exists")
        .is_some());
}
