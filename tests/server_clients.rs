//! The real `zabkeeper` binary on a free loopback port, driven by the Rust `zookeeper-client`
//! crate (an unmodified ZooKeeper client): opcodes and their errors, watches, sessions,
//! ephemerals, and a restart that keeps every acknowledged write.

#[path = "support/client.rs"]
mod client;
mod support;

use client::{connect, open};
use std::time::Duration;
use support::Server;
use zookeeper_client as zk;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_update_delete_and_their_errors() {
    let server = Server::start();
    let client = connect(&server).await;
    let (stat, _) = client
        .create("/app", b"v1", &open())
        .await
        .expect("creates");
    assert_eq!(stat.version, 0);
    assert_eq!(stat.data_length, 2);
    assert!(matches!(
        client.create("/app", b"again", &open()).await,
        Err(zk::Error::NodeExists)
    ));
    assert!(matches!(
        client.create("/missing/child", b"", &open()).await,
        Err(zk::Error::NoNode)
    ));
    let (data, stat) = client.get_data("/app").await.expect("reads");
    assert_eq!(data, b"v1");
    let stat = client
        .set_data("/app", b"v2", Some(stat.version))
        .await
        .expect("sets");
    assert_eq!(stat.version, 1);
    assert!(matches!(
        client.set_data("/app", b"stale", Some(0)).await,
        Err(zk::Error::BadVersion)
    ));
    client
        .create("/app/child", b"", &open())
        .await
        .expect("creates a child");
    assert!(matches!(
        client.delete("/app", None).await,
        Err(zk::Error::NotEmpty)
    ));
    assert_eq!(
        client.list_children("/app").await.expect("lists"),
        vec!["child".to_string()]
    );
    let (_, parent) = client.get_children("/app").await.expect("lists with stat");
    assert_eq!(parent.num_children, 1);
    client.delete("/app/child", None).await.expect("deletes");
    client.delete("/app", Some(1)).await.expect("deletes");
    assert_eq!(client.check_stat("/app").await.expect("checks"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_nodes_take_the_parent_cversion() {
    let server = Server::start();
    let client = connect(&server).await;
    client
        .create("/queue", b"", &open())
        .await
        .expect("creates");
    let sequential = zk::CreateMode::PersistentSequential.with_acls(zk::Acls::anyone_all());
    let (_, first) = client
        .create("/queue/item-", b"", &sequential)
        .await
        .expect("creates");
    let (_, second) = client
        .create("/queue/item-", b"", &sequential)
        .await
        .expect("creates");
    assert_eq!(first.into_i64(), 0);
    assert_eq!(second.into_i64(), 1);
    let mut children = client.list_children("/queue").await.expect("lists");
    children.sort();
    assert_eq!(children, vec!["item-0000000000", "item-0000000001"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_watch_fires_once_on_change() {
    let server = Server::start();
    let client = connect(&server).await;
    client
        .create("/watched", b"a", &open())
        .await
        .expect("creates");
    let (_, _, watcher) = client
        .get_and_watch_data("/watched")
        .await
        .expect("watches");
    let writer = connect(&server).await;
    writer.set_data("/watched", b"b", None).await.expect("sets");
    let event = tokio::time::timeout(Duration::from_secs(10), watcher.changed())
        .await
        .expect("the watch fires");
    assert_eq!(event.event_type, zk::EventType::NodeDataChanged);
    assert_eq!(event.path, "/watched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_session_removes_its_ephemerals() {
    let server = Server::start();
    let owner = connect(&server).await;
    let ephemeral = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
    owner
        .create("/lock", b"", &ephemeral)
        .await
        .expect("creates");
    let observer = connect(&server).await;
    let stat = observer
        .check_stat("/lock")
        .await
        .expect("checks")
        .expect("exists");
    assert_eq!(stat.ephemeral_owner, owner.session_id().0);
    drop(owner);
    // Dropping the client closes its session.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while observer
        .check_stat("/lock")
        .await
        .expect("checks")
        .is_some()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ephemeral outlived its session"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_kill_during_a_write_load() {
    let mut server = Server::start();
    let mut writers = Vec::new();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Four sessions writing at once, so the kill lands amid group-committed batches. Their
    // sessions outlive the restart, so they write on until told to stop; a write that failed
    // (the connection was lost with it) is not acknowledged, and is not counted.
    for writer in 0..4 {
        let client = connect(&server).await;
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut index = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let path = format!("/durable-{writer}-{index}");
                index += 1;
                match client.create(&path, path.as_bytes(), &open()).await {
                    Ok(_) => acknowledged.push(path),
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::task::block_in_place(|| server.kill_and_restart());
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(
            tokio::time::timeout(Duration::from_secs(30), writer)
                .await
                .expect("a writer stops when told")
                .expect("a writer does not panic"),
        );
    }
    assert!(
        acknowledged.len() > 10,
        "writes were acknowledged before the kill"
    );
    let client = connect(&server).await;
    for path in &acknowledged {
        let (data, _) = client
            .get_data(path)
            .await
            .unwrap_or_else(|error| panic!("{path} was acknowledged before the kill: {error}"));
        assert_eq!(data, path.as_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_are_set_again_when_a_session_reconnects_after_a_restart() {
    let mut server = Server::start();
    let watcher = connect(&server).await;
    let writer_before = connect(&server).await;
    writer_before
        .create("/watched", b"0", &open())
        .await
        .expect("creates");
    writer_before
        .create("/changed-while-away", b"0", &open())
        .await
        .expect("creates");
    drop(writer_before);
    let (_, _, data_watch) = watcher.get_and_watch_data("/watched").await.unwrap();
    let (_, _, missed_watch) = watcher
        .get_and_watch_data("/changed-while-away")
        .await
        .unwrap();
    tokio::task::block_in_place(|| server.kill_and_restart());
    // Changed before the watcher is back: setWatches' relative zxid makes it fire at once.
    let writer = connect(&server).await;
    writer
        .set_data("/changed-while-away", b"1", None)
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(20), missed_watch.changed())
        .await
        .expect("a change missed while away fires on reconnect");
    assert_eq!(event.event_type, zk::EventType::NodeDataChanged);
    // The session survived the restart with its watch: a change now fires it.
    watcher
        .get_data("/watched")
        .await
        .expect("the session is back");
    writer.set_data("/watched", b"1", None).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(20), data_watch.changed())
        .await
        .expect("the watch was set again on the new connection");
    assert_eq!(event.event_type, zk::EventType::NodeDataChanged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_every_snap_count_txns_and_autopurge_keep_recovery_whole() {
    let mut server =
        Server::start_with("snapCount=10\nautopurge.snapRetainCount=3\nautopurge.purgeInterval=1");
    {
        let client = connect(&server).await;
        for index in 0..120 {
            client
                .create(&format!("/snapped-{index}"), b"x", &open())
                .await
                .expect("creates");
        }
    }
    let version_directory = server.data_directory().join("version-2");
    let names = |prefix: &str| -> Vec<String> {
        std::fs::read_dir(&version_directory)
            .expect("lists version-2")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.starts_with(prefix))
            .collect()
    };
    // 121 txns at one snapshot per 5 to 9: the background writer has had plenty to do.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while names("snapshot.").len() < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "snapshots: {:?}",
            names("snapshot.")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        names("log.").len() >= 5,
        "a log per snapshot: {:?}",
        names("log.")
    );
    let before_restart = names("snapshot.");
    server.kill_and_restart();
    // The restart's autopurge runs at once and keeps the three newest snapshots. The restart
    // may take new ones (its sessions are txns too), so only those from before it are counted.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left: Vec<String> = names("snapshot.")
            .into_iter()
            .filter(|name| before_restart.contains(name) && !name.ends_with(".tmp"))
            .collect();
        if left.len() <= 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "autopurge left {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !names("snapshot.").iter().any(|name| name.ends_with(".tmp")),
        "a snapshot cut short by the kill is cleared at the restart"
    );
    let client = connect(&server).await;
    let (children, _) = client.get_children("/").await.expect("lists /");
    assert_eq!(
        children
            .iter()
            .filter(|name| name.starts_with("snapped-"))
            .count(),
        120,
        "every acknowledged create is recovered from a snapshot and the logs after it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_writes_stops_cleanly_and_keeps_every_acknowledged_write() {
    let mut server = Server::start();
    let client = connect(&server).await;
    let writer = tokio::spawn(async move {
        let mut acknowledged = Vec::new();
        for index in 0..100_000 {
            let path = format!("/term-{index}");
            match client.create(&path, b"x", &open()).await {
                Ok(_) => acknowledged.push(path),
                Err(_) => break,
            }
        }
        acknowledged
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = tokio::task::block_in_place(|| server.terminate(Duration::from_secs(20)));
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        server.log()
    );
    assert!(
        server.log().contains("stopped after the last sync"),
        "log:\n{}",
        server.log()
    );
    let acknowledged = tokio::time::timeout(Duration::from_secs(30), writer)
        .await
        .expect("the writer stops once the server is gone")
        .expect("the writer does not panic");
    assert!(
        !acknowledged.is_empty(),
        "writes were acknowledged before the stop"
    );
    server.restart();
    let client = connect(&server).await;
    for path in &acknowledged {
        client
            .check_stat(path)
            .await
            .expect("reads")
            .unwrap_or_else(|| panic!("{path} was acknowledged before SIGTERM"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_answers_as_zk_server_status_does() {
    let mut server = Server::start();
    let config_path = server.config_path();
    let status = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_zabkeeper"))
            .args(["status", "--config"])
            .arg(&config_path)
            .output()
            .expect("zabkeeper status runs")
    };
    let running = tokio::task::block_in_place(status);
    let printed = String::from_utf8_lossy(&running.stdout).into_owned();
    assert!(running.status.success(), "{printed}");
    let port = server.address().rsplit(':').next().unwrap().to_string();
    assert_eq!(
        printed.lines().skip(1).collect::<Vec<_>>(),
        [
            format!("Client port found: {port}. Client address: 127.0.0.1. Client SSL: false."),
            "Mode: standalone".to_string()
        ],
        "{printed}"
    );
    let exit = tokio::task::block_in_place(|| server.terminate(Duration::from_secs(20)));
    assert!(exit.success());
    let stopped = tokio::task::block_in_place(status);
    assert!(!stopped.status.success());
    assert!(String::from_utf8_lossy(&stopped.stderr)
        .contains("Error contacting service. It is probably not running."));
}
