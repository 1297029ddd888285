//! Loom explores the interleavings of the three threads that share the data directories (see
//! `storage::directory_guard`): the core appending and truncating, the snapshot writer
//! publishing, autopurge purging.
//!
//! The directories are modelled in memory. Each listing, validity check, creation, rename,
//! removal and log cut is one atomic step, as the syscalls are, so loom may switch threads
//! between any two of them. The steps a purge and a truncation take are chosen by the real
//! plans (`plan_purge`, `plan_truncation`) under the real [`DirectoryGuard`]; only the lock
//! inside the guard is loom's. After every step the directories must still recover every
//! durable txn: the newest snapshot at or before the last logged txn, and logs from it on.
//!
//! The seeded bugs take the same model with a guard that excludes nothing, and with a purge
//! that takes the guard only for its deletions: loom must find the lost base in both.

use crate::storage::directory_guard::{DirectoryGuard, DirectoryLock};
use crate::storage::error::{io_error, StorageError};
use crate::storage::files::{
    log_file_name, snapshot_file_name, NamedFile, LOG_PREFIX, TEMPORARY_EXTENSION,
};
use crate::storage::purge::{plan_purge, RETAIN_COUNT_MIN};
use crate::storage::store::plan_truncation;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use zabkeeper_models::Zxid;

impl DirectoryLock for loom::sync::Mutex<()> {
    type Held<'lock> = loom::sync::MutexGuard<'lock, ()>;

    fn unlocked() -> Self {
        loom::sync::Mutex::new(())
    }

    fn hold(&self) -> Self::Held<'_> {
        self.lock()
            .expect("no model thread panics while holding the guard")
    }
}

/// The seeded bug: a guard whose lock excludes nothing.
#[derive(Debug)]
struct NoExclusion;

impl DirectoryLock for NoExclusion {
    type Held<'lock> = ();

    fn unlocked() -> Self {
        NoExclusion
    }

    fn hold(&self) {}
}

/// The files of `version-2` (dataDir and dataLogDir are one directory here).
#[derive(Debug)]
struct Files {
    /// Complete snapshots under their final names, by zxid.
    snapshots: BTreeSet<u64>,
    /// `snapshot.<zxid>.tmp` files being written.
    unfinished_snapshots: BTreeSet<u64>,
    /// Log files by first zxid, each with the last zxid it holds.
    logs: BTreeMap<u64, u64>,
}

impl Files {
    fn snapshot_listing(&self) -> Vec<NamedFile> {
        let finished = self.snapshots.iter().map(|&zxid| (zxid, None));
        let unfinished = self
            .unfinished_snapshots
            .iter()
            .map(|&zxid| (zxid, Some(TEMPORARY_EXTENSION.to_string())));
        let mut listing: Vec<NamedFile> = finished
            .chain(unfinished)
            .map(|(zxid, extension)| NamedFile {
                zxid: Zxid(zxid),
                path: PathBuf::from(snapshot_file_name(Zxid(zxid))),
                extension,
            })
            .collect();
        listing.sort_by(|left, right| {
            (left.zxid, &left.extension).cmp(&(right.zxid, &right.extension))
        });
        listing
    }

    fn log_listing(&self) -> Vec<NamedFile> {
        self.logs
            .keys()
            .map(|&first| NamedFile {
                zxid: Zxid(first),
                path: PathBuf::from(log_file_name(Zxid(first))),
                extension: None,
            })
            .collect()
    }

    fn remove(&mut self, file: &NamedFile) {
        let zxid = file.zxid.0;
        if file.path.to_string_lossy().starts_with(LOG_PREFIX) {
            self.logs.remove(&zxid);
        } else if file.extension.is_none() {
            self.snapshots.remove(&zxid);
        } else {
            self.unfinished_snapshots.remove(&zxid);
        }
    }

    /// Panics unless recovery finds every logged txn: a snapshot at or before the last of them,
    /// and, from the newest such snapshot on, every later txn in some log.
    fn assert_recoverable(&self) {
        let last_logged = self.logs.values().copied().max().unwrap_or(0);
        let Some(&base) = self.snapshots.range(..=last_logged).next_back() else {
            panic!("no snapshot at or before the last logged txn {last_logged}: {self:?}");
        };
        let mut next = base + 1;
        while next <= last_logged {
            let holding = self.logs.range(..=next).next_back();
            let Some((_, &last)) = holding.filter(|(_, &last)| last >= next) else {
                panic!("txn {next}, after the base snapshot {base}, is in no log: {self:?}");
            };
            next = last + 1;
        }
    }
}

/// The directories, shared by the model's threads; every step checks recoverability.
struct Directory(loom::sync::Mutex<Files>);

impl Directory {
    /// Snapshots 0, 10, 20 and 30; logs starting after each, the last txn 35.
    fn new() -> Directory {
        Directory(loom::sync::Mutex::new(Files {
            snapshots: [0, 10, 20, 30].into(),
            unfinished_snapshots: BTreeSet::new(),
            logs: [(1, 10), (11, 20), (21, 30), (31, 35)].into(),
        }))
    }

    fn step<Answer>(&self, change: impl FnOnce(&mut Files) -> Answer) -> Answer {
        let mut files = self.0.lock().expect("no step panics but the final check");
        let answer = change(&mut files);
        files.assert_recoverable();
        answer
    }
}

/// `write_snapshot`: the `.tmp`, then the rename. The fsyncs order nothing between threads.
fn publish_snapshot(directory: &Directory, zxid: u64) {
    directory.step(|files| files.unfinished_snapshots.insert(zxid));
    directory.step(|files| {
        files.unfinished_snapshots.remove(&zxid);
        files.snapshots.insert(zxid)
    });
}

/// How much of a purge holds the guard.
#[derive(Clone, Copy, Debug)]
enum PurgeHolds {
    /// As `purge` does: from the listing to the last deletion.
    ListingToLastDeletion,
    /// The seeded bug: the listing is taken before the guard.
    DeletionsOnly,
}

/// `purge` with snapRetainCount 3: validity is a read of the file, which fails once the file
/// is gone (and then the purge gives up, as the real one does on an IO error).
fn purge<Lock: DirectoryLock>(
    directory: &Directory,
    guard: &DirectoryGuard<Lock>,
    holds: PurgeHolds,
) {
    let early = matches!(holds, PurgeHolds::ListingToLastDeletion).then(|| guard.hold());
    let snapshots = directory.step(|files| files.snapshot_listing());
    let logs = directory.step(|files| files.log_listing());
    let looks_valid = |file: &NamedFile| -> Result<bool, StorageError> {
        if directory.step(|files| files.snapshots.contains(&file.zxid.0)) {
            Ok(true)
        } else {
            Err(io_error("opening", &file.path)(
                std::io::ErrorKind::NotFound.into(),
            ))
        }
    };
    let Ok(plan) = plan_purge(&snapshots, &logs, RETAIN_COUNT_MIN, looks_valid) else {
        return;
    };
    let _late = early.is_none().then(|| guard.hold());
    for doomed in plan.doomed {
        directory.step(|files| files.remove(doomed));
    }
}

/// `Storage::truncate_after` (after joining the snapshot writer), with the log's
/// `truncate_log_after`: later files removed newest first, then the holding file cut. Returns
/// whether it truncated; it refuses when no snapshot at or before `zxid` remains.
fn truncate_after<Lock: DirectoryLock>(
    directory: &Directory,
    guard: &DirectoryGuard<Lock>,
    zxid: u64,
) -> bool {
    let _held = guard.hold();
    let snapshots = directory.step(|files| files.snapshot_listing());
    let plan = plan_truncation(&snapshots, Zxid(zxid));
    if !plan.base_remains {
        return false;
    }
    for newer in plan.newer_snapshots {
        directory.step(|files| files.remove(newer));
    }
    let logs = directory.step(|files| files.log_listing());
    for later in logs.iter().rev().filter(|file| file.zxid.0 > zxid) {
        directory.step(|files| files.remove(later));
    }
    directory.step(|files| {
        if let Some((_, last)) = files.logs.range_mut(..=zxid).next_back() {
            *last = (*last).min(zxid);
        }
    });
    true
}

/// One run: autopurge alongside the core, which starts a snapshot after txn 35 (rolling the
/// log), appends 36 and 37 to a new file, joins the writer and truncates after 15, as a TRUNC
/// to a point between two snapshots asks, then appends 16 to a new file.
fn run<Lock: DirectoryLock>(holds: PurgeHolds) {
    let directory = Arc::new(Directory::new());
    let guard = Arc::new(DirectoryGuard::<Lock>::default());
    let purging = {
        let (directory, guard) = (Arc::clone(&directory), Arc::clone(&guard));
        loom::thread::spawn(move || purge(&directory, &guard, holds))
    };
    let writer = {
        let directory = Arc::clone(&directory);
        loom::thread::spawn(move || publish_snapshot(&directory, 35))
    };
    directory.step(|files| files.logs.insert(36, 37));
    writer.join().expect("the snapshot writer finishes");
    if truncate_after(&directory, &guard, 15) {
        directory.step(|files| files.logs.insert(16, 16));
    }
    purging.join().expect("the purge finishes");
}

/// Explores the interleavings of one run with at most `preemptions` preemptions (`None`: every
/// interleaving; the model is small enough for that to take seconds in a debug build), whatever
/// the `LOOM_*` variables say, and returns how many it ran.
fn explore<Lock: DirectoryLock>(holds: PurgeHolds, preemptions: Option<usize>) -> usize {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = preemptions;
    builder.max_permutations = None;
    builder.max_duration = None;
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    builder.check(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        run::<Lock>(holds)
    });
    runs.load(Ordering::Relaxed)
}

/// Runs `explore` and returns its panic message, if it panicked. The lost base needs one
/// preemption only (the purge stopped between its listing and its deletions), so the seeded
/// bugs are searched with that bound, which keeps them quick.
fn explore_for_a_violation<Lock: DirectoryLock>(holds: PurgeHolds) -> Option<String> {
    let explored = std::panic::catch_unwind(|| explore::<Lock>(holds, Some(1)));
    explored.err().map(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn purge_truncation_and_snapshot_publication_always_leave_a_recoverable_directory() {
    let interleavings = explore::<loom::sync::Mutex<()>>(PurgeHolds::ListingToLastDeletion, None);
    // Pinned: a change here means the model, the plans or loom changed what is explored.
    assert_eq!(interleavings, 9560, "interleavings explored");
}

#[test]
fn without_the_guard_a_purge_deletes_the_base_a_truncation_left() {
    let violation = explore_for_a_violation::<NoExclusion>(PurgeHolds::ListingToLastDeletion);
    let message = violation.expect("loom finds the interleaving that loses the base");
    assert!(message.contains("no snapshot at or before"), "{message}");
}

#[test]
fn a_purge_that_lists_before_taking_the_guard_deletes_the_base_a_truncation_left() {
    let violation = explore_for_a_violation::<loom::sync::Mutex<()>>(PurgeHolds::DeletionsOnly);
    let message = violation.expect("loom finds the interleaving that loses the base");
    assert!(message.contains("no snapshot at or before"), "{message}");
}
