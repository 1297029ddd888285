//! The data directories of one server, open for writing: the txn log writer, snapshots, epoch
//! files, truncation and autopurge, with the write order of a `Save` in one place.

use super::directory_guard::DirectoryGuard;
use super::epoch::EpochFiles;
use super::error::StorageError;
use super::files::{
    list_named, remove_file, sync_directory, NamedFile, SNAPSHOT_PREFIX, TEMPORARY_EXTENSION,
    VERSION_DIRECTORY,
};
use super::options::StorageOptions;
use super::purge::{purge, PurgeReport};
use super::recovery::{load_with, replica, Recovered};
use super::snapshot::write_snapshot;
use super::txn_log::{Synced, TxnLogWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::zab::{Proposal, Snapshot, StateMachine};
use zabkeeper_models::{Epoch, Zxid};

/// The disk work of one or more `Save`s of the core, in the order it must happen.
#[derive(Clone, Copy, Debug)]
pub struct DiskWork<'a> {
    /// Drop every logged txn after this zxid first.
    pub truncate_after: Option<Zxid>,
    /// Then append these and sync them.
    pub append: &'a [Proposal<Prepared>],
    /// Then write `acceptedEpoch`.
    pub accepted_epoch: Option<Epoch>,
    /// Then write `currentEpoch`, last: it must never cover txns that are not on disk.
    pub current_epoch: Option<Epoch>,
}

/// `dataDir` and `dataLogDir`, recovered and open for writing.
#[derive(Debug)]
pub struct Storage {
    data_dir: PathBuf,
    data_log_dir: PathBuf,
    snapshot_directory: PathBuf,
    options: StorageOptions,
    log: TxnLogWriter,
    epochs: EpochFiles,
    /// The background snapshot being written, if one was started and not yet joined.
    snapshot_writer: Option<JoinHandle<Result<PathBuf, StorageError>>>,
    /// Shared with autopurge, which runs on a thread of its own.
    directory_guard: Arc<DirectoryGuard>,
}

impl Storage {
    /// Recovers the directories and opens them for writing. Data directories without any
    /// snapshot or log get `snapshot.0` of the empty database, as ZooKeeper writes at its first
    /// start, so that every later log has a snapshot to replay over.
    pub fn open(
        data_dir: &Path,
        data_log_dir: &Path,
        options: StorageOptions,
    ) -> Result<(Storage, Recovered), StorageError> {
        let snapshot_directory = data_dir.join(VERSION_DIRECTORY);
        let log_directory = data_log_dir.join(VERSION_DIRECTORY);
        let recovered = load_with(data_dir, data_log_dir, &options)?;
        remove_unfinished_snapshots(&snapshot_directory)?;
        // Recovery succeeded without a snapshot only if there was no log either: the database
        // is the empty one, and snapshot.0 records it.
        let has_snapshot = list_named(&snapshot_directory, SNAPSHOT_PREFIX)?
            .iter()
            .any(|file| file.extension.is_none());
        if !has_snapshot {
            write_snapshot(
                &snapshot_directory,
                &recovered.database,
                Zxid::ZERO,
                options.snapshot_dbid,
            )?;
        }
        let log = TxnLogWriter::open(&log_directory, options.txn_log(), recovered.last_zxid)?;
        let storage = Storage {
            data_dir: data_dir.to_path_buf(),
            data_log_dir: data_log_dir.to_path_buf(),
            epochs: EpochFiles::new(&snapshot_directory),
            snapshot_directory,
            options,
            log,
            snapshot_writer: None,
            directory_guard: Arc::new(DirectoryGuard::new()),
        };
        Ok((storage, recovered))
    }

    /// The guard autopurge must hold while it purges these directories from another thread.
    pub fn directory_guard(&self) -> Arc<DirectoryGuard> {
        Arc::clone(&self.directory_guard)
    }

    /// The txn log writer: batches, syncs and rolls.
    pub fn log(&mut self) -> &mut TxnLogWriter {
        &mut self.log
    }

    pub fn write_accepted_epoch(&self, epoch: Epoch) -> Result<(), StorageError> {
        self.epochs.write_accepted_epoch(epoch)
    }

    /// Writes `currentEpoch`. Taking `&self` proves that no log batch is open (a batch borrows
    /// the storage mutably), so every txn appended so far is on disk.
    pub fn write_current_epoch(&self, epoch: Epoch) -> Result<(), StorageError> {
        self.epochs.write_current_epoch(epoch, &self.log)
    }

    /// Writes a snapshot of `database` as of txn `zxid`. The caller also rolls the log when it
    /// snapshots after snapCount txns, as ZooKeeper does.
    pub fn write_snapshot(&self, database: &Database, zxid: Zxid) -> Result<PathBuf, StorageError> {
        write_snapshot(
            &self.snapshot_directory,
            database,
            zxid,
            self.options.snapshot_dbid,
        )
    }

    /// Whether a background snapshot may start: none is being written. Joins a finished one
    /// (logging how it went).
    pub fn snapshot_idle(&mut self) -> bool {
        if self
            .snapshot_writer
            .as_ref()
            .is_some_and(|writer| !writer.is_finished())
        {
            return false;
        }
        self.finish_snapshot();
        true
    }

    /// Rolls the log and writes `snapshot` on a thread of its own, as ZooKeeper's
    /// SyncRequestProcessor does after snapCount txns. Nothing waits for it: the log already
    /// holds every txn the snapshot covers, and keeps them until autopurge, so the snapshot
    /// only shortens the next recovery. The file appears under its name only once complete
    /// (written as `.tmp`, then renamed), so a crash mid-write leaves the older snapshots in
    /// charge. The snapshot is immutable and shared read-only with the core.
    pub fn start_snapshot(
        &mut self,
        snapshot: Arc<Snapshot<Database>>,
    ) -> Result<(), StorageError> {
        self.finish_snapshot();
        // The next txn opens a new log file, so the logs before it can go once enough newer
        // snapshots exist.
        self.log.roll();
        let directory = self.snapshot_directory.clone();
        let dbid = self.options.snapshot_dbid;
        let writer = std::thread::Builder::new()
            .name("snapshot".to_string())
            .spawn(move || write_snapshot(&directory, &snapshot.applied, snapshot.zxid, dbid))
            .map_err(|error| StorageError::SnapshotThread {
                directory: self.snapshot_directory.clone(),
                error,
            })?;
        self.snapshot_writer = Some(writer);
        Ok(())
    }

    /// Waits for the background snapshot, if any, and logs its result. A failed snapshot
    /// loses nothing (the log holds its txns); ZooKeeper logs it and goes on as well.
    pub fn finish_snapshot(&mut self) {
        let Some(writer) = self.snapshot_writer.take() else {
            return;
        };
        match writer.join() {
            Ok(Ok(path)) => tracing::info!(file = %path.display(), "snapshot written"),
            Ok(Err(error)) => tracing::error!(%error, "the background snapshot failed"),
            Err(_) => tracing::error!("the background snapshot's thread panicked"),
        }
    }

    /// Drops every txn after `zxid`: first the snapshots newer than it (they hold those txns),
    /// then the log. Refused when no snapshot at or before `zxid` would remain, since the state
    /// at `zxid` could then not be rebuilt, except for zero, whose state is the empty database.
    pub fn truncate_after(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        self.log.check_usable()?;
        // A snapshot still being written could land after the truncation and hold dropped txns.
        self.finish_snapshot();
        // A purge listing alongside would keep the snapshots removed here and delete the base
        // left here (see `DirectoryGuard`).
        let guard = Arc::clone(&self.directory_guard);
        let _held = guard.hold();
        let snapshots = list_named(&self.snapshot_directory, SNAPSHOT_PREFIX)?;
        let plan = plan_truncation(&snapshots, zxid);
        if !plan.base_remains {
            if zxid != Zxid::ZERO {
                return Err(StorageError::TruncateBeforeSnapshots {
                    directory: self.snapshot_directory.clone(),
                    zxid,
                    oldest: snapshots.first().map_or(Zxid::ZERO, |file| file.zxid),
                });
            }
            self.write_snapshot(&initial_database(), Zxid::ZERO)?;
        }
        for newer in plan.newer_snapshots {
            tracing::info!(file = %newer.path.display(), %zxid, "removing a snapshot after the truncation point");
            remove_file(&newer.path)?;
        }
        sync_directory(&self.snapshot_directory)?;
        self.log.truncate_after(zxid)
    }

    /// Autopurge: keeps the newest `retain_count` snapshots and the logs they need.
    pub fn purge(&self, retain_count: usize) -> Result<PurgeReport, StorageError> {
        purge(
            &self.data_dir,
            &self.data_log_dir,
            retain_count,
            &self.directory_guard,
        )
    }

    /// Does the disk work of a `Save` in the order `DurableState` requires: truncate, append
    /// and sync the txns, then `acceptedEpoch`, then `currentEpoch`. When it returns `Ok`, all
    /// of it is durable and the sends of the steps it covers may leave.
    pub fn persist(&mut self, work: DiskWork<'_>) -> Result<Synced, StorageError> {
        if let Some(zxid) = work.truncate_after {
            self.truncate_after(zxid)?;
        }
        let mut batch = self.log.batch();
        for proposal in work.append {
            assert_eq!(
                proposal.zxid, proposal.payload.header.zxid,
                "a proposal carries the txn prepared for its zxid"
            );
            batch.append(&proposal.payload)?;
        }
        let synced = batch.sync()?;
        if let Some(epoch) = work.accepted_epoch {
            self.write_accepted_epoch(epoch)?;
        }
        if let Some(epoch) = work.current_epoch {
            self.write_current_epoch(epoch)?;
        }
        Ok(synced)
    }
}

impl Drop for Storage {
    /// A shutdown lets the snapshot in flight complete rather than leave a `.tmp` behind.
    fn drop(&mut self) {
        self.finish_snapshot();
    }
}

/// What a truncation after a zxid does to the snapshots, decided from one listing.
#[derive(Debug)]
pub(crate) struct TruncationPlan<'listing> {
    /// A complete snapshot at or before the truncation point remains to rebuild its state from.
    pub base_remains: bool,
    /// The snapshots that hold txns after the truncation point, newest first.
    pub newer_snapshots: Vec<&'listing NamedFile>,
}

/// Plans a truncation after `zxid` over a listing of the snapshots sorted by zxid.
pub(crate) fn plan_truncation(snapshots: &[NamedFile], zxid: Zxid) -> TruncationPlan<'_> {
    TruncationPlan {
        base_remains: snapshots
            .iter()
            .any(|file| file.extension.is_none() && file.zxid <= zxid),
        newer_snapshots: snapshots
            .iter()
            .rev()
            .filter(|file| file.zxid > zxid)
            .collect(),
    }
}

/// Removes snapshots a crash cut short (`snapshot.<zxid>.tmp`): a snapshot gets its name only
/// once complete, so these hold nothing recovery may use.
fn remove_unfinished_snapshots(snapshot_directory: &Path) -> Result<(), StorageError> {
    let unfinished: Vec<_> = list_named(snapshot_directory, SNAPSHOT_PREFIX)?
        .into_iter()
        .filter(|file| file.extension.as_deref() == Some(TEMPORARY_EXTENSION))
        .collect();
    for file in &unfinished {
        tracing::info!(file = %file.path.display(), "removing a snapshot a crash cut short");
        remove_file(&file.path)?;
    }
    if !unfinished.is_empty() {
        sync_directory(snapshot_directory)?;
    }
    Ok(())
}

/// The database of an empty history, as the core starts it.
fn initial_database() -> Database {
    replica().initial()
}
