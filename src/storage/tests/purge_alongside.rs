//! Autopurge on a thread of its own, as the server runs it, purging over and over while the
//! core appends, writes snapshots in the background and truncates between two snapshots: the
//! directory recovers the durable txns whenever it is looked at, and after the truncation.
//! Loom checks every interleaving of a model (`directory_interleavings`); this runs the real
//! files, with whatever interleavings the machine gives.

use super::{database_after, options, save, Script};
use crate::storage::{load_with, purge, DirectoryGuard, Storage};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use zabkeeper_models::replica::Database;
use zabkeeper_models::zab::Snapshot;

const ROUNDS: usize = 8;
const RUNS: usize = 3;

/// Recovery of `directory` while holding the guard, so that no purge deletes under it.
fn assert_recovers(directory: &Path, guard: &DirectoryGuard, expected: &Database, when: &str) {
    let _held = guard.hold();
    let recovered = load_with(directory, directory, &options())
        .unwrap_or_else(|error| panic!("recovery fails {when}: {error}"));
    assert!(
        recovered.database == *expected,
        "recovery finds another database {when}"
    );
}

fn one_run() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path();
    let (mut storage, _) = Storage::open(path, path, options()).unwrap();
    let guard = storage.directory_guard();
    let stop = Arc::new(AtomicBool::new(false));
    let purging = {
        let (guard, stop, path) = (Arc::clone(&guard), Arc::clone(&stop), path.to_path_buf());
        std::thread::spawn(move || loop {
            purge(&path, &path, 3, &guard).expect("a purge alongside the core succeeds");
            if stop.load(Ordering::Relaxed) {
                break;
            }
        })
    };
    let mut script = Script::new(1);
    // The index of the last txn of each round, each followed by a snapshot.
    let mut round_ends = Vec::new();
    for round in 0..ROUNDS {
        let start = script.txns.len();
        script.create(&format!("/round{round}"), b"r");
        script.set_data(&format!("/round{round}"), b"s");
        save(&mut storage, &script.txns[start..]);
        round_ends.push(script.txns.len() - 1);
        storage
            .start_snapshot(Arc::new(Snapshot {
                zxid: script.last_zxid(),
                txn_count: script.txns.len() as u64,
                applied: script.database.clone(),
            }))
            .unwrap();
        assert_recovers(
            path,
            &guard,
            &script.database,
            &format!("after round {round}"),
        );
    }
    // Between the third-newest snapshot, which every purge keeps, and the second-newest: the
    // truncation removes the two newest snapshots and leaves the third as the only base.
    let point_index = round_ends[ROUNDS - 3] + 1;
    storage
        .truncate_after(script.txns[point_index].header.zxid)
        .expect("the third-newest snapshot is a base");
    let truncated = database_after(&script.txns[..=point_index]);
    assert_recovers(path, &guard, &truncated, "after the truncation");
    stop.store(true, Ordering::Relaxed);
    purging.join().expect("the purging thread does not panic");
    drop(storage);
    assert_recovers(path, &guard, &truncated, "after the last purge");
}

#[test]
fn autopurge_alongside_snapshots_and_truncation_keeps_the_directory_recoverable() {
    for _ in 0..RUNS {
        one_run();
    }
}
