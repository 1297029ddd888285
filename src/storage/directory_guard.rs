//! The one piece of memory the storage shares between threads: the guard that serialises the
//! operations which decide from a listing which files of the data directories to delete.
//!
//! Three threads touch `dataDir/version-2` and `dataLogDir/version-2`:
//!
//! - the core's thread, through [`super::Storage`]: appends and rolls the txn log, and
//!   truncates (removes the snapshots newer than the truncation point, then cuts the log);
//! - the snapshot writer [`super::Storage::start_snapshot`] spawns: writes
//!   `snapshot.<zxid>.tmp`, then renames it into place;
//! - autopurge, on a blocking thread of its own: lists the snapshots, keeps the newest valid
//!   ones and deletes the older snapshots and the logs they need.
//!
//! Purge and truncation both act on a listing taken before their deletions. Interleaved, each
//! is safe on its own listing and fatal together: a purge that listed before a truncation keeps
//! snapshots the truncation then removes, and deletes the older snapshot (and its logs) that
//! the truncation left as the only base. So both hold the guard from their listing to their
//! last deletion. The other pairs need no lock: the writer only adds a complete snapshot under
//! its final name (a purge that missed it keeps more than it must, one that saw it keeps it),
//! the log writer only adds files newer than any a purge deletes, and truncation joins the
//! snapshot writer before it starts. `src/storage/tests/directory_interleavings.rs` checks
//! these claims with loom over every interleaving of the three threads.
//!
//! The guard is generic over its lock so that loom can run it: production uses
//! `std::sync::Mutex<()>`, the loom tests `loom::sync::Mutex<()>`.

use std::fmt::Debug;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A mutual-exclusion lock that protects no memory of its own, only the right to delete files
/// of the data directories on the strength of a listing.
pub trait DirectoryLock: Debug + Send + Sync + 'static {
    /// Held until dropped.
    type Held<'lock>
    where
        Self: 'lock;

    fn unlocked() -> Self;

    /// Waits until no other thread holds the lock, then holds it.
    fn hold(&self) -> Self::Held<'_>;
}

impl DirectoryLock for Mutex<()> {
    type Held<'lock> = MutexGuard<'lock, ()>;

    fn unlocked() -> Self {
        Mutex::new(())
    }

    fn hold(&self) -> MutexGuard<'_, ()> {
        // A thread that panicked while holding it left no memory half-changed (there is none),
        // and whoever holds it next lists the directories afresh.
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Held by [`super::Storage::truncate_after`] and by [`super::purge`] from their listing of the
/// directories to their last deletion, so that neither deletes on the strength of a listing the
/// other has made stale. One per pair of data directories, shared by `Arc`.
#[derive(Debug)]
pub struct DirectoryGuard<Lock: DirectoryLock = Mutex<()>> {
    lock: Lock,
}

impl DirectoryGuard {
    /// The guard production uses, over a `std::sync::Mutex`.
    pub fn new() -> Self {
        DirectoryGuard::default()
    }
}

impl<Lock: DirectoryLock> DirectoryGuard<Lock> {
    /// Holds the guard until the returned value is dropped.
    pub fn hold(&self) -> Lock::Held<'_> {
        self.lock.hold()
    }
}

impl<Lock: DirectoryLock> Default for DirectoryGuard<Lock> {
    fn default() -> Self {
        DirectoryGuard {
            lock: Lock::unlocked(),
        }
    }
}
