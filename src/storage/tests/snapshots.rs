//! Snapshots: ZooKeeper's own files decode, ours read back, damage is detected.

use super::{options, save, version_directory, Script};
use crate::storage::digest::{tree_digest, DigestCheck, DIGEST_VERSION};
use crate::storage::snapshot::{read_snapshot, write_snapshot, ZOOKEEPER_SNAPSHOT_DBID};
use crate::storage::txn_log::DEFAULT_BUFFER_BYTES_MAX;
use crate::storage::{load_with, StorageError};
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use zabkeeper_models::replica::Database;
use zabkeeper_models::tree::DataTree;
use zabkeeper_models::Zxid;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zk38-datadir/data/version-2")
        .join(name)
}

#[test]
fn zookeepers_first_snapshot_is_the_cores_empty_database() {
    let snapshot =
        read_snapshot(&fixture("snapshot.0"), Zxid::ZERO, DEFAULT_BUFFER_BYTES_MAX).unwrap();
    assert_eq!(snapshot.dbid, ZOOKEEPER_SNAPSHOT_DBID);
    assert_eq!(snapshot.database.tree, DataTree::new());
    assert!(snapshot.database.sessions.is_empty());
    // ZooKeeper had no digest yet and wrote the empty one (zxid 0), which means none.
    assert_eq!(snapshot.digest, None);
}

#[test]
fn the_digest_of_a_new_tree_is_the_one_zookeeper_logged_for_it() {
    // The fixture's first txn is a createSession, which leaves the new tree as it was; ZooKeeper
    // logged this digest after it.
    assert_eq!(tree_digest(&DataTree::new()), 0x51c6_d660);
}

#[test]
fn zookeepers_later_snapshots_decode_with_sessions_ephemerals_and_digests() {
    let directory = fixture("");
    let mut newest = None;
    for entry in fs::read_dir(&directory).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(hex) = name.strip_prefix("snapshot.") else {
            continue;
        };
        let zxid = Zxid(u64::from_str_radix(hex, 16).unwrap());
        let snapshot = read_snapshot(&directory.join(&name), zxid, DEFAULT_BUFFER_BYTES_MAX)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        snapshot.database.tree.assert_consistent();
        if zxid > Zxid::ZERO {
            let digest = snapshot
                .digest
                .expect("3.8 writes a digest once it has one");
            assert_eq!(digest.version, DIGEST_VERSION);
            assert!(
                digest.zxid >= zxid,
                "a fuzzy snapshot's digest is at or after its name"
            );
        }
        if newest
            .as_ref()
            .is_none_or(|(newest_zxid, _)| zxid > *newest_zxid)
        {
            newest = Some((zxid, snapshot));
        }
    }
    let (_, newest) = newest.unwrap();
    assert!(!newest.database.sessions.is_empty());
    assert!(newest.database.tree.contains("/app/seq-0000000001"));
}

#[test]
fn our_snapshots_read_back_identical_with_their_digest() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(3);
    let zxid = script.last_zxid();
    let path = write_snapshot(
        directory.path(),
        &script.database,
        zxid,
        ZOOKEEPER_SNAPSHOT_DBID,
    )
    .unwrap();
    assert_eq!(path, directory.path().join("snapshot.30000000e"));
    let snapshot = read_snapshot(&path, zxid, DEFAULT_BUFFER_BYTES_MAX).unwrap();
    assert_eq!(snapshot.database, script.database);
    let digest = snapshot.digest.unwrap();
    assert_eq!(digest.zxid, zxid);
    assert_eq!(
        DigestCheck::compare(&digest, &script.database.tree),
        DigestCheck::Matched { zxid }
    );
    assert!(!directory.path().join("snapshot.30000000e.tmp").exists());
}

#[test]
fn a_snapshot_without_the_digest_section_reads_as_zookeeper_before_3_6_wrote_it() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let path = write_snapshot(directory.path(), &script.database, script.last_zxid(), -1).unwrap();
    let length = fs::metadata(&path).unwrap().len();
    // The digest section: zxid, version, digest, then the second seal.
    let first_seal_end = length - (8 + 4 + 8) - (8 + 5);
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(first_seal_end)
        .unwrap();
    let snapshot = read_snapshot(&path, script.last_zxid(), DEFAULT_BUFFER_BYTES_MAX).unwrap();
    assert_eq!(snapshot.database, script.database);
    assert_eq!(snapshot.digest, None);
}

#[test]
fn every_cut_and_every_flipped_byte_is_detected() {
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(1);
    script.create_session(9, 4000);
    script.create("/a", b"data");
    let database = script.database.clone();
    let path = write_snapshot(directory.path(), &database, script.last_zxid(), -1).unwrap();
    let original = fs::read(&path).unwrap();
    let first_seal_end = original.len() - 33;
    for cut in 0..original.len() {
        fs::write(&path, &original[..cut]).unwrap();
        let result = read_snapshot(&path, script.last_zxid(), DEFAULT_BUFFER_BYTES_MAX);
        assert_eq!(result.is_ok(), cut == first_seal_end, "cut at {cut}");
    }
    for flipped in 0..original.len() {
        let mut damaged = original.clone();
        damaged[flipped] ^= 0x21;
        fs::write(&path, &damaged).unwrap();
        let result = read_snapshot(&path, script.last_zxid(), DEFAULT_BUFFER_BYTES_MAX);
        // A seal's marker string is read and ignored, as ZooKeeper does.
        let in_marker = (first_seal_end - 1..first_seal_end).contains(&flipped)
            || flipped == original.len() - 1;
        if !in_marker {
            assert!(result.is_err(), "flip at {flipped}");
        }
    }
}

#[test]
fn recovery_falls_back_to_an_older_snapshot_and_replays_more_log() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let (mut storage, _) =
        crate::storage::Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns);
    let newest = storage
        .write_snapshot(&script.database, script.last_zxid())
        .unwrap();
    drop(storage);
    let file = fs::OpenOptions::new().write(true).open(&newest).unwrap();
    file.write_all_at(b"\xff", 40).unwrap();
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.snapshot_zxid, Zxid::ZERO);
    assert_eq!(recovered.txns.len(), script.txns.len());
    assert_eq!(recovered.database, script.database);
}

#[test]
fn compressed_snapshots_are_refused_by_name() {
    let directory = tempfile::tempdir().unwrap();
    let snapshots = version_directory(directory.path());
    fs::create_dir_all(&snapshots).unwrap();
    let database = Database {
        tree: DataTree::new(),
        sessions: Default::default(),
    };
    write_snapshot(&snapshots, &database, Zxid::ZERO, -1).unwrap();
    fs::write(snapshots.join("snapshot.5.gz"), b"\x1f\x8b").unwrap();
    let error = load_with(directory.path(), directory.path(), &options()).unwrap_err();
    assert!(
        matches!(
            &error,
            StorageError::CompressedSnapshot {
                compression: "gzip",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("snapshot.5.gz"));
    assert!(error.to_string().contains("not supported"));
}
