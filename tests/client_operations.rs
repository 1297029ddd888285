//! The opcodes the standalone-server smoke tests in `server_clients.rs` leave out, each with
//! its ZooKeeper errors, through an unmodified client (`zookeeper-client`) against the real
//! binary: multi and multiRead, ACLs and digest auth, containers, ephemerals listed by session,
//! descendant counts, sync, whoAmI; every watch kind; a session that expires by its timeout;
//! a session resumed on a new connection.

#[path = "support/client.rs"]
mod client;
mod support;

use client::{connect, open};
use std::time::Duration;
use support::Server;
use zookeeper_client as zk;

const WAIT: Duration = Duration::from_secs(20);

async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("answered in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_is_all_or_nothing_and_names_the_op_that_failed() {
    let server = Server::start();
    let client = connect(&server).await;
    client.create("/m", b"0", &open()).await.expect("creates");

    let mut writer = client.new_multi_writer();
    writer.add_create("/m/a", b"a", &open()).unwrap();
    writer.add_set_data("/m", b"1", Some(0)).unwrap();
    writer.add_check_version("/m", 1).unwrap();
    writer.add_delete("/m/a", Some(0)).unwrap();
    let results = within(writer.commit()).await.expect("every op applies");
    assert_eq!(results.len(), 4);
    assert!(matches!(results[0], zk::MultiWriteResult::Create { ref path, .. } if path == "/m/a"));
    assert!(matches!(results[1], zk::MultiWriteResult::SetData { ref stat } if stat.version == 1));
    assert!(matches!(results[2], zk::MultiWriteResult::Check));
    assert!(matches!(results[3], zk::MultiWriteResult::Delete));

    let mut writer = client.new_multi_writer();
    writer.add_create("/m/b", b"b", &open()).unwrap();
    writer.add_set_data("/m", b"2", Some(7)).unwrap();
    let failed = within(writer.commit())
        .await
        .expect_err("a stale version fails the multi");
    assert!(
        matches!(
            failed,
            zk::MultiWriteError::OperationFailed {
                index: 1,
                source: zk::Error::BadVersion
            }
        ),
        "{failed:?}"
    );
    assert_eq!(
        client.check_stat("/m/b").await.unwrap(),
        None,
        "the create before the failing op did not happen"
    );
    let (data, stat) = client.get_data("/m").await.unwrap();
    assert_eq!((data.as_slice(), stat.version), (&b"1"[..], 1));

    let mut reader = client.new_multi_reader();
    reader.add_get_data("/m").unwrap();
    reader.add_get_children("/missing").unwrap();
    reader.add_get_children("/").unwrap();
    let results = within(reader.commit())
        .await
        .expect("a multiRead answers per op");
    assert!(matches!(&results[0], zk::MultiReadResult::Data { data, .. } if data == b"1"));
    assert!(matches!(
        &results[1],
        zk::MultiReadResult::Error {
            err: zk::Error::NoNode
        }
    ));
    assert!(
        matches!(&results[2], zk::MultiReadResult::Children { children } if children.contains(&"m".to_string()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_digest_auth_and_acl_versions() {
    let server = Server::start();
    let owner = zk::Client::connector()
        .with_auth("digest", b"bob:secret")
        .connect(&server.address())
        .await
        .unwrap_or_else(|error| panic!("connects with auth: {error}; log:\n{}", server.log()));
    let creator_only = zk::CreateMode::Persistent.with_acls(zk::Acls::creator_all());
    owner
        .create("/private", b"mine", &creator_only)
        .await
        .expect("creates under bob's digest");
    let users = owner.list_auth_users().await.expect("whoAmI");
    assert!(
        users
            .iter()
            .any(|user| user.scheme() == "digest" && user.user() == "bob"),
        "{users:?}"
    );

    let stranger = connect(&server).await;
    assert!(matches!(
        stranger.get_data("/private").await,
        Err(zk::Error::NoAuth)
    ));
    assert!(matches!(
        stranger.set_data("/private", b"theirs", None).await,
        Err(zk::Error::NoAuth)
    ));
    // Without an authenticated id, the creator ACL cannot be expanded.
    assert!(matches!(
        stranger.create("/theirs", b"", &creator_only).await,
        Err(zk::Error::InvalidAcl)
    ));

    let (acl, stat) = owner.get_acl("/private").await.expect("reads the ACL");
    assert_eq!(acl.len(), 1);
    assert_eq!(acl[0].scheme(), "digest");
    assert!(acl[0].id().starts_with("bob:"));
    assert_eq!(stat.aversion, 0);
    assert!(matches!(
        owner
            .set_acl("/private", &zk::Acls::anyone_read(), Some(3))
            .await,
        Err(zk::Error::BadVersion)
    ));
    let stat = owner
        .set_acl("/private", &zk::Acls::anyone_read(), Some(0))
        .await
        .expect("sets the ACL at its version");
    assert_eq!(stat.aversion, 1);
    let (data, _) = stranger
        .get_data("/private")
        .await
        .expect("now world-readable");
    assert_eq!(data, b"mine");
    assert!(matches!(
        stranger.set_data("/private", b"x", None).await,
        Err(zk::Error::NoAuth)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemerals_containers_counts_and_sync() {
    let server = Server::start();
    let client = connect(&server).await;
    client.create("/e", b"", &open()).await.unwrap();
    let ephemeral = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
    client.create("/e/one", b"", &ephemeral).await.unwrap();
    client.create("/e/two", b"", &ephemeral).await.unwrap();
    assert!(matches!(
        client.create("/e/one/child", b"", &open()).await,
        Err(zk::Error::NoChildrenForEphemerals)
    ));
    let mut mine = client.list_ephemerals("/e").await.expect("getEphemerals");
    mine.sort();
    assert_eq!(mine, ["/e/one", "/e/two"]);
    assert_eq!(
        client
            .count_descendants_number("/e")
            .await
            .expect("getAllChildrenNumber"),
        2
    );
    let (children, stat) = client.get_children("/e").await.expect("getChildren2");
    assert_eq!(children.len(), 2);
    assert_eq!((stat.num_children, stat.cversion), (2, 2));
    client.sync("/e").await.expect("sync");

    let container = zk::CreateMode::Container.with_acls(zk::Acls::anyone_all());
    let (stat, _) = client.create("/jobs", b"", &container).await.unwrap();
    // Clients see 0 as the owner of a container (its marker stays in the stored stat).
    assert_eq!(stat.ephemeral_owner, 0);
    // TTL nodes need ZooKeeper's extended types, off unless enabled: Unimplemented, as there.
    let ttl = zk::CreateMode::Persistent
        .with_acls(zk::Acls::anyone_all())
        .with_ttl(Duration::from_secs(60));
    assert!(matches!(
        client.create("/ttl", b"", &ttl).await,
        Err(zk::Error::Unimplemented)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_watch_kind_fires_as_zookeeper_fires_it() {
    let server = Server::start();
    let watcher = connect(&server).await;
    let writer = connect(&server).await;

    let exists = watcher.check_and_watch_stat("/w").await.unwrap();
    writer.create("/w", b"0", &open()).await.unwrap();
    let event = within(exists.1.changed()).await;
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (zk::EventType::NodeCreated, "/w")
    );

    let (_, _, data) = watcher.get_and_watch_data("/w").await.unwrap();
    writer.set_data("/w", b"1", None).await.unwrap();
    let event = within(data.changed()).await;
    assert_eq!(event.event_type, zk::EventType::NodeDataChanged);
    // The event came before the data it announces: a read now sees it.
    assert_eq!(watcher.get_data("/w").await.unwrap().0, b"1");

    let (_, _, children) = watcher.get_and_watch_children("/w").await.unwrap();
    writer.create("/w/c", b"", &open()).await.unwrap();
    let event = within(children.changed()).await;
    assert_eq!(event.event_type, zk::EventType::NodeChildrenChanged);

    let (_, _, deleted) = watcher.get_and_watch_data("/w/c").await.unwrap();
    writer.delete("/w/c", None).await.unwrap();
    assert_eq!(
        within(deleted.changed()).await.event_type,
        zk::EventType::NodeDeleted
    );

    let mut persistent = watcher
        .watch("/w", zk::AddWatchMode::Persistent)
        .await
        .unwrap();
    writer.set_data("/w", b"2", None).await.unwrap();
    writer.set_data("/w", b"3", None).await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            within(persistent.changed()).await.event_type,
            zk::EventType::NodeDataChanged,
            "a persistent watch fires every time"
        );
    }
    // Dropping a persistent watcher is how this client removes it (removeWatches).
    drop(persistent);

    let mut recursive = watcher
        .watch("/w", zk::AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    writer.create("/w/deep", b"", &open()).await.unwrap();
    writer.create("/w/deep/er", b"", &open()).await.unwrap();
    let first = within(recursive.changed()).await;
    let second = within(recursive.changed()).await;
    assert_eq!(
        [
            (first.event_type, first.path.as_str()),
            (second.event_type, second.path.as_str())
        ],
        [
            (zk::EventType::NodeCreated, "/w/deep"),
            (zk::EventType::NodeCreated, "/w/deep/er")
        ],
        "a recursive watch sees the whole subtree, without child events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_expires_by_its_timeout_and_takes_its_ephemerals() {
    let server = Server::start();
    let observer = connect(&server).await;
    // A detached client does not close its session when dropped: only the timeout ends it.
    let doomed = zk::Client::connector()
        .with_session_timeout(Duration::from_millis(2000))
        .with_detached()
        .connect(&server.address())
        .await
        .expect("connects");
    let ephemeral = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
    doomed.create("/lease", b"", &ephemeral).await.unwrap();
    let (_, watch) = observer.check_and_watch_stat("/lease").await.unwrap();
    drop(doomed);
    // Expiry within the timeout plus a tick or two of the session clock.
    let event = tokio::time::timeout(Duration::from_secs(10), watch.changed())
        .await
        .expect("the session expired within its timeout and a few ticks");
    assert_eq!(event.event_type, zk::EventType::NodeDeleted);
    assert_eq!(observer.check_stat("/lease").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_resumes_on_a_new_connection_with_its_id_and_password() {
    let server = Server::start();
    let first = zk::Client::connector()
        .with_session_timeout(Duration::from_secs(10))
        .with_detached()
        .connect(&server.address())
        .await
        .expect("connects");
    let ephemeral = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
    first.create("/kept", b"", &ephemeral).await.unwrap();
    let session = first.into_session();
    let id = session.id();
    let resumed = zk::Client::connector()
        .with_session(session)
        .connect(&server.address())
        .await
        .expect("resumes the session");
    assert_eq!(resumed.session_id(), id);
    let (_, stat) = resumed
        .get_data("/kept")
        .await
        .expect("its ephemeral lives");
    assert_eq!(stat.ephemeral_owner, id.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emptied_containers_and_expired_ttl_nodes_are_deleted_by_the_leader() {
    let server =
        Server::start_with("extendedTypesEnabled=true\nznode.container.checkIntervalMs=200");
    let client = connect(&server).await;
    let container = zk::CreateMode::Container.with_acls(zk::Acls::anyone_all());
    client.create("/used", b"", &container).await.unwrap();
    client.create("/fresh", b"", &container).await.unwrap();
    client.create("/used/child", b"", &open()).await.unwrap();
    let ttl = zk::CreateMode::Persistent
        .with_acls(zk::Acls::anyone_all())
        .with_ttl(Duration::from_millis(500));
    client
        .create("/lease", b"", &ttl)
        .await
        .expect("TTL nodes are enabled");
    let (_, gone) = client.check_and_watch_stat("/used").await.unwrap();
    client.delete("/used/child", None).await.unwrap();
    let event = within(gone.changed()).await;
    assert_eq!(
        event.event_type,
        zk::EventType::NodeDeleted,
        "the emptied container goes"
    );
    let deadline = std::time::Instant::now() + WAIT;
    while client.check_stat("/lease").await.unwrap().is_some() {
        assert!(std::time::Instant::now() < deadline, "the TTL node expires");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        client.check_stat("/fresh").await.unwrap().is_some(),
        "a container that never had a child stays"
    );
}
