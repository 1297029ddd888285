//! Issue 22: a member that lost its data rejoins by SNAP when the database is larger than the
//! 64 MiB quorum frame limit. Three real processes on loopback; the tree is filled with 300,000
//! znodes of 200 bytes through multi requests (a snapshot file of about 88 MB, a SNAP stream of
//! about 85 MB), a follower is killed, its `version-2` directory removed, and it is started
//! again: it must come back as a follower holding every znode.
//!
//! zoo.cfg: snapCount=600, so that the leader's snapshot covers the whole fill and the follower
//! is synchronised by SNAP rather than by replaying the log; initLimit=120 ticks (60 s), because
//! a learner has initLimit to receive and load the snapshot, as in ZooKeeper, whose
//! documentation asks for a larger initLimit as the database grows, and this test runs an
//! unoptimised build; syncLimit=20 ticks (10 s), because the unoptimised core stalls for
//! seconds while it compacts a 300,000-node history into a snapshot, and a leader that stalls
//! past its lease (a fifth under syncLimit, less a tick) rightly stops leading.

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;
use support::ensemble::{blocking, connect, open, Ensemble};
use zookeeper_client as zk;

const NODES: usize = 300_000;
const VALUE_BYTES: usize = 200;
const NODES_PER_MULTI: usize = 1_000;
/// Sessions filling the tree at once, each with one multi in flight.
const WRITERS: usize = 6;
/// What the SNAP must exceed: the quorum frame limit the SNAP did not fit in.
const FRAME_BYTES_MAX: u64 = 64 * 1024 * 1024;
const PARENT: &str = "/rejoin";

fn node_path(index: usize) -> String {
    format!("{PARENT}/node-{index:07}")
}

fn value(index: usize) -> Vec<u8> {
    let mut value = format!("{index:07}:").into_bytes();
    value.resize(VALUE_BYTES, b'v');
    value
}

/// Creates nodes `first..first + count` in multis of [`NODES_PER_MULTI`].
async fn fill(client: zk::Client, first: usize, count: usize) {
    for batch in (first..first + count)
        .collect::<Vec<_>>()
        .chunks(NODES_PER_MULTI)
    {
        let mut writer = client.new_multi_writer();
        for &index in batch {
            writer
                .add_create(&node_path(index), &value(index), &open())
                .expect("a valid create");
        }
        writer.commit().await.expect("the multi applies");
    }
}

/// The snapshot files in `version_2`: zxid, whether it is still being written, size.
fn snapshots(version_2: &Path) -> Vec<(u64, bool, u64)> {
    let Ok(entries) = std::fs::read_dir(version_2) else {
        return Vec::new();
    };
    let mut snapshots: Vec<(u64, bool, u64)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let rest = name.strip_prefix("snapshot.")?;
            let (hex, writing) = match rest.strip_suffix(".tmp") {
                Some(hex) => (hex, true),
                None => (rest, false),
            };
            let zxid = u64::from_str_radix(hex, 16).ok()?;
            Some((zxid, writing, entry.metadata().ok()?.len()))
        })
        .collect();
    snapshots.sort();
    snapshots
}

fn version_2(ensemble: &Ensemble, index: usize) -> PathBuf {
    ensemble.members[index]
        .config_path()
        .parent()
        .expect("a member directory")
        .join("data")
        .join("version-2")
}

/// The value of `key` in a member's `mntr`.
fn monitored(ensemble: &Ensemble, index: usize, key: &str) -> Option<u64> {
    ensemble.members[index]
        .four_letter_word("mntr")
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('\t')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_with_an_empty_data_directory_rejoins_a_leader_whose_snapshot_is_above_64_mib() {
    let mut ensemble =
        blocking(|| Ensemble::start_with(3, 0, "snapCount=600\ninitLimit=120\nsyncLimit=20\n"));
    let leader = ensemble.leader().expect("a leader");
    let client = connect(&ensemble.members[leader].address()).await;
    client.create(PARENT, b"", &open()).await.expect("creates");

    let filling = Instant::now();
    let share = NODES / WRITERS;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let session = connect(&ensemble.members[leader].address()).await;
        writers.push(tokio::spawn(fill(session, writer * share, share)));
    }
    for writer in writers {
        writer.await.expect("a writer finishes");
    }
    let fill_time = filling.elapsed();

    // Small writes until the leader compacts its history after the fill (it is due within
    // snapCount txns); the snapshot it then starts writing is the one a SNAP sends.
    let filled_through = client
        .check_stat(PARENT)
        .await
        .expect("reads")
        .expect("exists")
        .pzxid;
    let leader_version_2 = version_2(&ensemble, leader);
    let mut writes = 0;
    while !snapshots(&leader_version_2)
        .iter()
        .any(|(zxid, _, _)| *zxid >= filled_through as u64)
    {
        client.set_data(PARENT, b"tick", None).await.expect("sets");
        writes += 1;
        assert!(writes < 2_000, "the leader never snapshotted the fill");
    }
    let last = node_path(NODES - 1);
    drop(client);

    let follower = (leader + 1) % 3;
    ensemble.members[follower].kill();
    std::fs::remove_dir_all(version_2(&ensemble, follower)).expect("removes version-2");
    let rejoining = Instant::now();
    ensemble.members[follower].start();
    blocking(|| ensemble.wait_until_established());
    let rejoin_time = rejoining.elapsed();

    // The follower wrote what it received as its own snapshot before it served.
    let (snapshot_zxid, _, snapshot_bytes) = snapshots(&version_2(&ensemble, follower))
        .into_iter()
        .rfind(|(_, writing, _)| !writing)
        .expect("the follower's snapshot");
    assert!(
        snapshot_zxid >= filled_through as u64,
        "the SNAP's snapshot covers the whole fill"
    );
    assert!(
        snapshot_bytes > FRAME_BYTES_MAX,
        "the snapshot ({snapshot_bytes} bytes) must be larger than a frame may be"
    );

    let follower_log = ensemble.members[follower].log();
    let received = follower_log
        .lines()
        .find(|line| line.contains("received a synchronisation") && line.contains("kind=Snap"))
        .unwrap_or_else(|| panic!("the follower was not synchronised by SNAP:\n{follower_log}"))
        .to_string();
    let stream_bytes: u64 = received
        .split_whitespace()
        .find_map(|field| field.strip_prefix("stream_bytes=")?.parse().ok())
        .expect("the stream's size is logged");
    assert!(
        stream_bytes > FRAME_BYTES_MAX,
        "the SNAP ({stream_bytes} bytes) must be larger than a frame may be"
    );
    let rejoined = connect(&ensemble.members[follower].address()).await;
    rejoined.sync(PARENT).await.expect("syncs");
    let (data, _) = rejoined
        .get_data(&last)
        .await
        .expect("the last node is there");
    assert_eq!(data, value(NODES - 1));
    let leader_nodes = monitored(&ensemble, leader, "zk_znode_count");
    assert!(leader_nodes.is_some_and(|count| count > NODES as u64));
    assert_eq!(
        monitored(&ensemble, follower, "zk_znode_count"),
        leader_nodes
    );
    assert_eq!(
        monitored(&ensemble, leader, "zk_quorum_unsendable_messages"),
        Some(0)
    );
    eprintln!(
        "filled {NODES} znodes of {VALUE_BYTES} bytes in {fill_time:?}; snapshot \
         {snapshot_bytes} bytes; SNAP stream {stream_bytes} bytes; the wiped follower served \
         again {rejoin_time:?} after its start\n{received}"
    );
}
