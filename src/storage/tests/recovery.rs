//! Recovery end to end: snapshots plus logs through `Storage`, the epoch rules, gaps,
//! truncation with snapshots, and directory checks.

use super::{options, save, version_directory, Script};
use crate::storage::{
    load_with, DigestCheck, DiskWork, Storage, StorageError, ACCEPTED_EPOCH_FILE,
    CURRENT_EPOCH_FILE,
};
use std::fs;
use std::path::Path;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::tree::DataTree;
use zabkeeper_models::zab::Proposal;
use zabkeeper_models::{Epoch, Zxid};

fn proposals(txns: &[Prepared]) -> Vec<Proposal<Prepared>> {
    txns.iter()
        .map(|txn| Proposal {
            zxid: txn.header.zxid,
            payload: txn.clone(),
        })
        .collect()
}

/// Appends without touching the epoch files.
fn append_only(storage: &mut Storage, txns: &[Prepared]) {
    let mut batch = storage.log().batch();
    for txn in txns {
        batch.append(txn).unwrap();
    }
    batch.sync().unwrap();
}

#[test]
fn an_empty_directory_starts_with_snapshot_zero_and_the_empty_database() {
    let directory = tempfile::tempdir().unwrap();
    let (_, recovered) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    assert_eq!(recovered.database.tree, DataTree::new());
    assert_eq!(
        (
            recovered.last_zxid,
            recovered.accepted_epoch,
            recovered.current_epoch
        ),
        (Zxid::ZERO, Epoch(0), Epoch(0))
    );
    let files = version_directory(directory.path());
    assert!(files.join("snapshot.0").exists());
    assert_eq!(
        fs::read_to_string(files.join(ACCEPTED_EPOCH_FILE)).unwrap(),
        "0"
    );
    assert_eq!(
        fs::read_to_string(files.join(CURRENT_EPOCH_FILE)).unwrap(),
        "0"
    );
}

#[test]
fn snapshots_and_logs_across_rolls_and_epochs_recover_the_same_database() {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut script = Script::varied(1);
    let (mut storage, _) = Storage::open(data.path(), logs.path(), options()).unwrap();
    save(&mut storage, &script.txns);
    storage
        .write_snapshot(&script.database, script.last_zxid())
        .unwrap();
    storage.log().roll();
    let snapshot_zxid = script.last_zxid();
    script.new_epoch(2);
    let tail_start = script.txns.len();
    script.create("/after", b"snapshot");
    script.set_data("/app", b"epoch two");
    storage
        .persist(DiskWork {
            truncate_after: None,
            append: &proposals(&script.txns[tail_start..]),
            accepted_epoch: Some(Epoch(2)),
            current_epoch: Some(Epoch(2)),
        })
        .unwrap();
    drop(storage);
    let recovered = load_with(data.path(), logs.path(), &options()).unwrap();
    assert_eq!(recovered.database, script.database);
    assert_eq!(recovered.snapshot_zxid, snapshot_zxid);
    assert_eq!(recovered.last_zxid, script.last_zxid());
    assert_eq!(recovered.txns, proposals(&script.txns[tail_start..]));
    assert_eq!(
        (recovered.accepted_epoch, recovered.current_epoch),
        (Epoch(2), Epoch(2))
    );
    assert_eq!(
        recovered.snapshot_digest,
        DigestCheck::Matched {
            zxid: snapshot_zxid
        }
    );
    assert_eq!(recovered.last_txn_digest, DigestCheck::NotRecorded);
    assert!(recovered.torn_tails.is_empty());
    let durable = recovered.standalone_durable_state(4);
    durable.assert_valid();
    assert_eq!(durable.last_zxid(), script.last_zxid());
    assert_eq!(
        durable.snapshot.as_ref().map(|snapshot| &snapshot.applied),
        Some(&script.database)
    );
}

#[test]
fn logs_without_any_snapshot_are_refused() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns);
    drop(storage);
    fs::remove_file(version_directory(directory.path()).join("snapshot.0")).unwrap();
    assert!(matches!(
        load_with(directory.path(), directory.path(), &options()),
        Err(StorageError::LogsWithoutSnapshot { .. })
    ));
}

#[test]
fn a_txn_missing_after_the_snapshot_is_an_error() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns[..3]);
    storage.log().roll();
    save(&mut storage, &script.txns[4..]);
    drop(storage);
    match load_with(directory.path(), directory.path(), &options()) {
        Err(StorageError::MissingTxns { zxid, previous, .. }) => {
            assert_eq!(
                (zxid, previous),
                (script.txns[4].header.zxid, script.txns[2].header.zxid)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_epoch_files_get_the_epoch_of_the_last_zxid() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(3);
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns);
    drop(storage);
    let files = version_directory(directory.path());
    fs::remove_file(files.join(ACCEPTED_EPOCH_FILE)).unwrap();
    fs::remove_file(files.join(CURRENT_EPOCH_FILE)).unwrap();
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(
        (recovered.accepted_epoch, recovered.current_epoch),
        (Epoch(3), Epoch(3))
    );
    assert_eq!(
        fs::read_to_string(files.join(CURRENT_EPOCH_FILE)).unwrap(),
        "3"
    );
}

#[test]
fn a_current_epoch_behind_the_log_needs_the_leftover_of_an_interrupted_write() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(3);
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    append_only(&mut storage, &script.txns);
    drop(storage);
    let files = version_directory(directory.path());
    // Opening an empty directory wrote epoch 0 for both.
    assert!(matches!(
        load_with(directory.path(), directory.path(), &options()),
        Err(StorageError::EpochBehindLog {
            current: Epoch(0),
            epoch_of_last_zxid: Epoch(3),
            ..
        })
    ));
    fs::write(files.join("currentEpoch.tmp"), "3").unwrap();
    fs::write(files.join(ACCEPTED_EPOCH_FILE), "3").unwrap();
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.current_epoch, Epoch(3));
    assert_eq!(
        fs::read_to_string(files.join(CURRENT_EPOCH_FILE)).unwrap(),
        "3"
    );
}

#[test]
fn an_accepted_epoch_below_the_current_one_is_refused_and_junk_is_named() {
    let directory = tempfile::tempdir().unwrap();
    drop(Storage::open(directory.path(), directory.path(), options()).unwrap());
    let files = version_directory(directory.path());
    fs::write(files.join(CURRENT_EPOCH_FILE), "2").unwrap();
    fs::write(files.join(ACCEPTED_EPOCH_FILE), "1").unwrap();
    assert!(matches!(
        load_with(directory.path(), directory.path(), &options()),
        Err(StorageError::AcceptedBelowCurrent { .. })
    ));
    fs::write(files.join(ACCEPTED_EPOCH_FILE), "two").unwrap();
    let error = load_with(directory.path(), directory.path(), &options()).unwrap_err();
    assert!(error.to_string().contains("acceptedEpoch") && error.to_string().contains("two"));
}

#[test]
fn current_epoch_is_written_only_after_the_txns_it_covers_are_synced() {
    // The order is in the types: writing currentEpoch borrows the storage, which an open batch
    // borrows mutably. What is left to check is that persist writes everything it was given.
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(5);
    script.create("/x", b"1");
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    storage
        .persist(DiskWork {
            truncate_after: None,
            append: &proposals(&script.txns),
            accepted_epoch: Some(Epoch(5)),
            current_epoch: Some(Epoch(5)),
        })
        .unwrap();
    drop(storage);
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.current_epoch, Epoch(5));
    assert_eq!(recovered.txns.len(), 1);
}

#[test]
fn truncation_removes_newer_snapshots_before_cutting_the_log() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns);
    storage
        .write_snapshot(&script.database, script.last_zxid())
        .unwrap();
    let keep = script.txns[6].header.zxid;
    storage
        .persist(DiskWork {
            truncate_after: Some(keep),
            append: &[],
            accepted_epoch: None,
            current_epoch: None,
        })
        .unwrap();
    drop(storage);
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.last_zxid, keep);
    assert_eq!(recovered.database, super::database_after(&script.txns[..7]));
}

#[test]
fn truncation_below_every_snapshot_is_refused_except_to_zero() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns);
    storage
        .write_snapshot(&script.database, script.last_zxid())
        .unwrap();
    fs::remove_file(version_directory(directory.path()).join("snapshot.0")).unwrap();
    assert!(matches!(
        storage.truncate_after(script.txns[3].header.zxid),
        Err(StorageError::TruncateBeforeSnapshots { .. })
    ));
    storage.truncate_after(Zxid::ZERO).unwrap();
    drop(storage);
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.database.tree, DataTree::new());
    assert!(recovered.txns.is_empty());
}

#[test]
fn snapshots_among_the_logs_mean_swapped_directories() {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    drop(Storage::open(data.path(), logs.path(), options()).unwrap());
    fs::copy(
        version_directory(data.path()).join("snapshot.0"),
        version_directory(logs.path()).join("snapshot.0"),
    )
    .unwrap();
    assert!(matches!(
        load_with(data.path(), logs.path(), &options()),
        Err(StorageError::MisplacedFile { .. })
    ));
}

#[test]
fn zookeepers_data_directory_recovers_with_matching_digests() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zk38-datadir/data");
    let copy = tempfile::tempdir().unwrap();
    let target = version_directory(copy.path());
    fs::create_dir_all(&target).unwrap();
    for entry in fs::read_dir(version_directory(&fixture)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
    }
    let recovered = load_with(copy.path(), copy.path(), &Default::default()).unwrap();
    assert!(
        matches!(recovered.snapshot_digest, DigestCheck::Matched { .. }),
        "{:?}",
        recovered.snapshot_digest
    );
    assert_eq!(
        recovered.last_txn_digest,
        DigestCheck::Matched {
            zxid: recovered.last_zxid
        }
    );
    assert!(recovered.torn_tails.is_empty());
}

#[test]
fn a_logged_txn_the_core_cannot_apply_is_an_error_not_a_crash() {
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(1);
    script.create("/x", b"");
    // `//x` names the same child of `/` as `/x`: no leader logs it, and the tree cannot hold it.
    let crafted = zabkeeper_models::tree::Txn::Create(zabkeeper_models::tree::CreateTxn {
        path: "//x".into(),
        data: Some(Vec::new()),
        acl: Vec::new(),
        ephemeral: false,
        parent_cversion: 2,
    });
    let mut txns = script.txns.clone();
    txns.push(Prepared {
        header: crafted.header(zabkeeper_models::SessionId(0), 0, Zxid::new(Epoch(1), 2), 0),
        txn: crafted,
    });
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &txns);
    drop(storage);
    let error = load_with(directory.path(), directory.path(), &options()).unwrap_err();
    assert!(matches!(error, StorageError::Unappliable { .. }), "{error}");
    assert!(error.to_string().contains("log.100000001"), "{error}");
}

#[test]
fn a_snapshot_path_the_tree_cannot_hold_is_corruption() {
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(1);
    // Applied to an empty tree, `//x` goes in as the child `x` of `/`; read back next to a real
    // `/x` it would collide, so readers refuse any path ZooKeeper would not accept.
    script.create("//x", b"");
    let path = crate::storage::snapshot::write_snapshot(
        directory.path(),
        &script.database,
        script.last_zxid(),
        -1,
    )
    .unwrap();
    let error = crate::storage::snapshot::read_snapshot(
        &path,
        script.last_zxid(),
        crate::storage::txn_log::DEFAULT_BUFFER_BYTES_MAX,
    )
    .unwrap_err();
    assert!(
        matches!(error, StorageError::CorruptSnapshot { .. }),
        "{error}"
    );
}

#[test]
fn a_first_snapshot_left_half_written_is_written_again() {
    let directory = tempfile::tempdir().unwrap();
    let files = version_directory(directory.path());
    fs::create_dir_all(&files).unwrap();
    fs::write(files.join("snapshot.0.tmp"), b"ZKSN").unwrap();
    let (mut storage, recovered) =
        Storage::open(directory.path(), directory.path(), options()).unwrap();
    assert_eq!(recovered.database.tree, DataTree::new());
    assert!(files.join("snapshot.0").exists());
    let mut script = Script::new(0);
    script.create("/a", b"1");
    save(&mut storage, &script.txns);
    drop(storage);
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.database, script.database);
}

#[test]
fn a_background_snapshot_is_recovered_from_and_one_cut_short_is_cleared() {
    let directory = tempfile::tempdir().unwrap();
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    let mut script = Script::new(1);
    script.create("/a", b"1");
    script.create("/b", b"2");
    save(&mut storage, &script.txns);
    let snapshot_zxid = script.last_zxid();
    storage
        .start_snapshot(std::sync::Arc::new(zabkeeper_models::zab::Snapshot {
            zxid: snapshot_zxid,
            txn_count: 2,
            applied: script.database.clone(),
        }))
        .unwrap();
    storage.finish_snapshot();
    // The log rolled with the snapshot: the next txn starts a new file.
    script.set_data("/a", b"3");
    save(&mut storage, &script.txns[2..]);
    drop(storage);
    let files = version_directory(directory.path());
    assert!(files
        .join(crate::storage::snapshot_file_name(snapshot_zxid))
        .exists());
    let logs = fs::read_dir(&files)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("log.")
        })
        .count();
    assert_eq!(logs, 2, "a log before the snapshot and one after it");
    let unfinished = files.join("snapshot.ff.tmp");
    fs::write(&unfinished, b"cut short by a crash").unwrap();

    let (_, recovered) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    assert_eq!(recovered.database, script.database);
    assert_eq!(recovered.last_zxid, script.last_zxid());
    assert!(
        !unfinished.exists(),
        "an unfinished snapshot is removed at start"
    );
}
