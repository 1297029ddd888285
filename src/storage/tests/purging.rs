//! Autopurge keeps the newest snapshots and exactly the logs they need.

use super::{options, save, version_directory, Script};
use crate::storage::{load_with, purge, DirectoryGuard, Storage, StorageError};
use std::fs;

/// Five rounds of (txns in a new log file, snapshot): snapshots 0 and after each round.
fn rounds() -> (tempfile::TempDir, Script) {
    let directory = tempfile::tempdir().unwrap();
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    let mut script = Script::new(1);
    for round in 0..5 {
        let start = script.txns.len();
        script.create(&format!("/round{round}"), b"r");
        script.set_data(&format!("/round{round}"), b"s");
        save(&mut storage, &script.txns[start..]);
        storage.log().roll();
        if round != 4 {
            storage
                .write_snapshot(&script.database, script.last_zxid())
                .unwrap();
        }
    }
    (directory, script)
}

fn names(directory: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(version_directory(directory))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("log.") || name.starts_with("snapshot."))
        .collect();
    names.sort();
    names
}

#[test]
fn purge_keeps_the_newest_snapshots_and_the_logs_from_the_oldest_kept_on() {
    let (directory, script) = rounds();
    // Logs start at 1, 3, 5, 7, 9; snapshots at 0, 2, 4, 6, 8.
    let report = purge(
        directory.path(),
        directory.path(),
        3,
        &DirectoryGuard::new(),
    )
    .unwrap();
    assert_eq!(report.retained_snapshots.len(), 3);
    assert_eq!(
        names(directory.path()),
        vec![
            "log.100000003",
            "log.100000005",
            "log.100000007",
            "log.100000009",
            "snapshot.100000004",
            "snapshot.100000006",
            "snapshot.100000008",
        ]
    );
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.database, script.database);
}

#[test]
fn snapshots_that_fail_the_cheap_check_do_not_count() {
    let (directory, _) = rounds();
    let newest = version_directory(directory.path()).join("snapshot.100000008");
    let length = fs::metadata(&newest).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap()
        .set_len(length - 1)
        .unwrap();
    let report = purge(
        directory.path(),
        directory.path(),
        3,
        &DirectoryGuard::new(),
    )
    .unwrap();
    assert_eq!(report.retained_snapshots.len(), 3);
    assert!(names(directory.path()).contains(&"snapshot.100000002".to_string()));
    assert!(!names(directory.path()).contains(&"snapshot.0".to_string()));
}

#[test]
fn fewer_than_three_snapshots_cannot_be_retained() {
    let (directory, _) = rounds();
    assert!(matches!(
        purge(
            directory.path(),
            directory.path(),
            2,
            &DirectoryGuard::new()
        ),
        Err(StorageError::RetainCountTooSmall { count: 2 })
    ));
}

#[test]
fn a_snapshot_still_being_written_neither_counts_nor_goes() {
    let (directory, _) = rounds();
    let version = version_directory(directory.path());
    // A finished write not yet renamed: its bytes end with the seal, as a snapshot's do.
    let unfinished = version.join("snapshot.10000000a.tmp");
    fs::copy(version.join("snapshot.100000008"), &unfinished).unwrap();
    let report = purge(
        directory.path(),
        directory.path(),
        3,
        &DirectoryGuard::new(),
    )
    .unwrap();
    assert!(!report.retained_snapshots.contains(&unfinished));
    assert!(names(directory.path()).contains(&"snapshot.100000004".to_string()));
    assert!(unfinished.exists());
}
