//! Sessions that move between the members of a real ensemble (issue 21): a session that
//! reconnects through another member writes through it at once, ephemerals included, while a
//! request that still comes through the member it left is refused SessionMoved; and what a
//! reconnect carries (watches set again with setWatches, ephemerals, the session's own writes
//! after a sync) survives the move. Real `zabkeeper` processes on loopback, the Rust
//! `zookeeper-client` as the client.

mod support;

use std::time::{Duration, Instant};
use support::ensemble::{blocking, connect, open, Ensemble};
use zookeeper_client as zk;

fn ephemeral() -> zk::CreateOptions<'static> {
    zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all())
}

/// The session of `client` reconnected through `address`, as a client that lost its
/// connection does; detached, so dropping this handle does not close the session.
async fn reconnect(client: &zk::Client, address: &str) -> zk::Client {
    zk::Client::connector()
        .with_session_timeout(Duration::from_secs(20))
        .with_session(client.session().clone())
        .with_detached()
        .connect(address)
        .await
        .unwrap_or_else(|error| panic!("reconnects through {address}: {error}"))
}

/// The members by kind: (leader, followers, observers), as indexes into `ensemble.members`.
fn kinds(ensemble: &Ensemble) -> (usize, Vec<usize>, Vec<usize>) {
    let leader = ensemble.leader().expect("a leader");
    let followers = (0..ensemble.members.len())
        .filter(|index| *index != leader && !ensemble.members[*index].observer)
        .collect();
    let observers = (0..ensemble.members.len())
        .filter(|index| ensemble.members[*index].observer)
        .collect();
    (leader, followers, observers)
}

/// Moves a fresh session from member `from` to member `to` and checks that the new
/// connection writes (setData and an ephemeral create), that the ephemerals created before
/// and after the move are the session's, that a sync and read through the new member see
/// the session's own writes, and that the old connection's next write is refused.
async fn move_session(ensemble: &Ensemble, from: usize, to: usize, name: &str) {
    let old = connect(&ensemble.members[from].address()).await;
    let session = old.session_id();
    let path = format!("/moves/{name}");
    old.create(&path, b"before", &open()).await.expect("create");
    let before = format!("{path}-ephemeral-before");
    old.create(&before, b"", &ephemeral())
        .await
        .expect("an ephemeral before the move");

    let new = reconnect(&old, &ensemble.members[to].address()).await;
    assert_eq!(new.session_id(), session, "{name}: the same session");
    new.set_data(&path, b"after", None)
        .await
        .unwrap_or_else(|error| panic!("{name}: setData through the new member: {error}"));
    let after = format!("{path}-ephemeral-after");
    new.create(&after, b"", &ephemeral())
        .await
        .unwrap_or_else(|error| panic!("{name}: ephemeral through the new member: {error}"));
    for ephemeral_path in [&before, &after] {
        let stat = new
            .check_stat(ephemeral_path)
            .await
            .expect("exists")
            .unwrap_or_else(|| panic!("{name}: {ephemeral_path} is gone"));
        assert_eq!(
            stat.ephemeral_owner, session.0,
            "{name}: {ephemeral_path} belongs to the session"
        );
    }
    new.sync(&path).await.expect("sync");
    let (data, _) = new.get_data(&path).await.expect("get");
    assert_eq!(data, b"after", "{name}: the session reads its own write");

    // The old connection is still open: its write reaches the leader after the move.
    assert_eq!(
        old.set_data(&path, b"stale", None).await.err(),
        Some(zk::Error::SessionMoved),
        "{name}: a write through the member the session left"
    );
    let (data, _) = new.get_data(&path).await.expect("get");
    assert_eq!(data, b"after", "{name}: the refused write changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_moved_between_any_two_kinds_of_member_writes_through_the_new_one() {
    let ensemble = blocking(|| Ensemble::start(3, 1));
    let (leader, followers, observers) = kinds(&ensemble);
    let (first, second, observer) = (followers[0], followers[1], observers[0]);
    let setup = connect(&ensemble.members[leader].address()).await;
    setup.create("/moves", b"", &open()).await.expect("create");
    let moves = [
        (first, second, "follower-to-follower"),
        (first, leader, "follower-to-leader"),
        (leader, first, "leader-to-follower"),
        (first, observer, "follower-to-observer"),
        (observer, second, "observer-to-follower"),
        (leader, observer, "leader-to-observer"),
        (observer, leader, "observer-to-leader"),
    ];
    for (from, to, name) in moves {
        move_session(&ensemble, from, to, name).await;
    }
    assert_eq!(
        ensemble.leader(),
        Some(leader),
        "no move disturbed the leader"
    );
}

/// Retries `write` while the client is between connections (its member died under it); any
/// other error fails the test: SessionMoved in particular is the bug of issue 21.
async fn write_across_reconnect<T, F, Fut>(what: &str, mut write: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, zk::Error>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match write().await {
            Ok(value) => return value,
            Err(zk::Error::ConnectionLoss | zk::Error::Timeout) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("{what}: {error}"),
        }
    }
}

/// The Rust client's own reconnect: its connect string names `members`; the member holding
/// the session is killed (never the leader), the client reconnects through the other one,
/// sets its watches again there, and carries on writing.
async fn client_reconnects_after_its_member_dies(voters: usize, observers: usize) {
    let mut ensemble = blocking(|| Ensemble::start(voters, observers));
    let (leader, followers, observer_indexes) = kinds(&ensemble);
    let members = if observers > 0 {
        [followers[0], observer_indexes[0]]
    } else {
        [followers[0], followers[1]]
    };
    let connect_string = members
        .iter()
        .map(|index| ensemble.members[*index].address())
        .collect::<Vec<_>>()
        .join(",");
    let client = connect(&connect_string).await;
    let session = client.session_id();
    client
        .create("/watched", b"a", &open())
        .await
        .expect("create");
    client
        .create("/owned-before", b"", &ephemeral())
        .await
        .expect("ephemeral");
    let (_, _, watcher) = client
        .get_and_watch_data("/watched")
        .await
        .expect("a data watch");
    let marker = format!("sid=0x{:x}", session.0);
    let holding = members
        .into_iter()
        .find(|index| {
            ensemble.members[*index]
                .four_letter_word("cons")
                .contains(&marker)
        })
        .expect("a member of the connect string holds the session");
    let other = members
        .into_iter()
        .find(|index| *index != holding)
        .expect("two members");
    ensemble.members[holding].kill();

    // The leader stays: the session moves, it is not a failover.
    write_across_reconnect("setData after the reconnect", || {
        client.set_data("/watched", b"own", None)
    })
    .await;
    let event = tokio::time::timeout(Duration::from_secs(20), watcher.changed())
        .await
        .expect("the watch set again on the new member fires there");
    assert_eq!(event.event_type, zk::EventType::NodeDataChanged);
    write_across_reconnect("an ephemeral after the reconnect", || {
        client.create("/owned-after", b"", &ephemeral())
    })
    .await;
    assert!(
        ensemble.members[other]
            .four_letter_word("cons")
            .contains(&marker),
        "the session is connected through the surviving member"
    );
    assert_eq!(client.session_id(), session, "the same session");
    assert_eq!(ensemble.leader(), Some(leader), "the leader did not change");

    // A watch set through the new member fires for another client's change too.
    let (_, _, watcher) = client
        .get_and_watch_data("/watched")
        .await
        .expect("a data watch");
    let writer = connect(&ensemble.members[leader].address()).await;
    writer.set_data("/watched", b"b", None).await.expect("set");
    let event = tokio::time::timeout(Duration::from_secs(20), watcher.changed())
        .await
        .expect("the watch fires through the member the session moved to");
    assert_eq!(event.event_type, zk::EventType::NodeDataChanged);

    client.sync("/watched").await.expect("sync");
    let (data, _) = client.get_data("/watched").await.expect("get");
    assert_eq!(data, b"b");
    for path in ["/owned-before", "/owned-after"] {
        let stat = client
            .check_stat(path)
            .await
            .expect("exists")
            .unwrap_or_else(|| panic!("{path} is gone"));
        assert_eq!(stat.ephemeral_owner, session.0, "{path} keeps its owner");
    }
    // Closing the session through the member it moved to removes every ephemeral it owns.
    drop(client);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let before = writer.check_stat("/owned-before").await.expect("exists");
        let after = writer.check_stat("/owned-after").await.expect("exists");
        if before.is_none() && after.is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the session's ephemerals outlive it"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_whose_follower_dies_reconnects_to_another_follower_and_writes() {
    client_reconnects_after_its_member_dies(3, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_moved_between_a_follower_and_an_observer_by_a_death_writes() {
    client_reconnects_after_its_member_dies(3, 1).await;
}
