//! Rebuilding the durable state at startup (`FileTxnSnapLog.restore` and
//! `QuorumPeer.loadDataBase`): the newest valid snapshot, the log replayed over it through the
//! core, torn tails cut, the epoch files read.

use super::applicable::check_applicable;
use super::digest::{DigestCheck, RecordedDigest};
use super::epoch::{EpochFiles, ACCEPTED_EPOCH_FILE, CURRENT_EPOCH_FILE};
use super::error::{io_error, StorageError};
use super::files::{
    create_directory, list_named, remove_file, sync_directory, LOG_PREFIX, SNAPSHOT_PREFIX,
    VERSION_DIRECTORY,
};
use super::options::StorageOptions;
use super::snapshot::{compression_of, read_snapshot, Snapshot, ZOOKEEPER_SNAPSHOT_DBID};
use super::txn_log::{TornTail, TxnLogReader};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zabkeeper_models::replica::{Database, Replica};
use zabkeeper_models::request::{PrepareConfig, Prepared};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::zab::{self, Durable, DurableState, Proposal, StateMachine};
use zabkeeper_models::{Epoch, ServerId, Zxid};

/// What recovery found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// The tree and sessions after the last logged txn.
    pub database: Database,
    /// The tree and sessions the snapshot holds, before the logged txns.
    pub snapshot_database: Database,
    /// The zxid of the snapshot replay started from (zero when there was none).
    pub snapshot_zxid: Zxid,
    /// The last txn the database reflects: the last logged one, or the snapshot's zxid when no
    /// txn follows it.
    pub last_zxid: Zxid,
    /// The logged txns after the snapshot, in zxid order, as applied.
    pub txns: Vec<Proposal<Prepared>>,
    pub accepted_epoch: Epoch,
    pub current_epoch: Epoch,
    /// The dbid in the snapshot's header.
    pub dbid: i64,
    /// The snapshot's digest compared with the tree at its zxid.
    pub snapshot_digest: DigestCheck,
    /// The last txn's logged digest compared with the final tree.
    pub last_txn_digest: DigestCheck,
    /// The torn tails recovery cut off.
    pub torn_tails: Vec<TornTail>,
}

impl Recovered {
    /// The core's durable state for a server that leads alone (standalone): every logged txn
    /// of a one-server ensemble is committed, so the recovered database, with every txn
    /// applied, is the snapshot the history continues from. (A member of a larger ensemble
    /// may hold uncommitted txns that its next leader truncates; it must start from the
    /// snapshot's own database with the txns after it as its history.)
    pub fn standalone_durable_state(self, incarnation: u32) -> Durable<Replica> {
        DurableState {
            accepted_epoch: self.accepted_epoch,
            current_epoch: self.current_epoch,
            snapshot: Some(Arc::new(zab::Snapshot {
                zxid: self.last_zxid,
                // A snapshot file does not record how many txns led to it.
                txn_count: 0,
                applied: self.database,
            })),
            history: Arc::new(Vec::new()),
            incarnation,
        }
    }
}

impl Recovered {
    /// The core's durable state for a member of an ensemble: the snapshot's database with
    /// every logged txn after it as the history. Those txns may include some that were never
    /// committed: the next leader decides (DIFF commits them, TRUNC drops them), and until
    /// then none is applied.
    pub fn quorum_durable_state(self, incarnation: u32) -> Durable<Replica> {
        // A history from the first txn ever starts from the empty database, as the peer's own.
        let snapshot = (self.snapshot_zxid != Zxid::ZERO).then(|| {
            Arc::new(zab::Snapshot {
                zxid: self.snapshot_zxid,
                txn_count: 0,
                applied: self.snapshot_database,
            })
        });
        DurableState {
            accepted_epoch: self.accepted_epoch,
            current_epoch: self.current_epoch,
            snapshot,
            history: Arc::new(self.txns),
            incarnation,
        }
    }
}

/// Recovers from `data_dir` (snapshots and epoch files) and `data_log_dir` (txn logs), both
/// the directories `zoo.cfg` names, with ZooKeeper's default limits.
pub fn load(data_dir: &Path, data_log_dir: &Path) -> Result<Recovered, StorageError> {
    load_with(data_dir, data_log_dir, &StorageOptions::default())
}

/// [`load`] with explicit options.
///
/// Writes to disk only to set it up and repair it: missing directories are created, torn tails
/// are cut (each with a warning naming the file and offset), every file read is fsynced (a
/// crashed process can leave written pages that never reached the disk, which must not count
/// as logged), and missing epoch files are created with the epoch of the last zxid, as
/// ZooKeeper does.
pub fn load_with(
    data_dir: &Path,
    data_log_dir: &Path,
    options: &StorageOptions,
) -> Result<Recovered, StorageError> {
    let snapshot_directory = data_dir.join(VERSION_DIRECTORY);
    let log_directory = data_log_dir.join(VERSION_DIRECTORY);
    // ZooKeeper creates missing data directories (zookeeper.datadir.autocreate, on by default).
    create_directory(&snapshot_directory)?;
    create_directory(&log_directory)?;
    check_placement(&snapshot_directory, &log_directory)?;
    let snapshot = match newest_valid_snapshot(&snapshot_directory, options)? {
        Some(snapshot) => snapshot,
        None => {
            let logs = list_named(&log_directory, LOG_PREFIX)?;
            if !logs.is_empty() {
                return Err(StorageError::LogsWithoutSnapshot {
                    directory: log_directory,
                });
            }
            Snapshot {
                zxid: Zxid::ZERO,
                dbid: ZOOKEEPER_SNAPSHOT_DBID,
                database: replica().initial(),
                digest: None,
            }
        }
    };
    let replayed = replay(&log_directory, &snapshot, options)?;
    cut_torn_tails(&log_directory, &replayed.torn_tails)?;
    let (accepted_epoch, current_epoch) = recover_epochs(
        &EpochFiles::new(&snapshot_directory),
        replayed.last_zxid,
        &snapshot_directory,
    )?;
    Ok(Recovered {
        database: replayed.database,
        snapshot_database: snapshot.database,
        snapshot_zxid: snapshot.zxid,
        last_zxid: replayed.last_zxid,
        txns: replayed.txns,
        accepted_epoch,
        current_epoch,
        dbid: snapshot.dbid,
        snapshot_digest: replayed.snapshot_digest,
        last_txn_digest: replayed.last_txn_digest,
        torn_tails: replayed.torn_tails,
    })
}

/// The core's state machine: applying a txn reads none of its configuration.
pub(super) fn replica() -> Replica {
    Replica::new(
        ServerId(0),
        PrepareConfig::default(),
        SessionConfig::with_tick_time(2000),
    )
}

/// With separate directories, ZooKeeper refuses snapshots among the logs and logs among the
/// snapshots (`FileTxnSnapLog.checkLogDir`, `checkSnapDir`).
fn check_placement(snapshot_directory: &Path, log_directory: &Path) -> Result<(), StorageError> {
    if snapshot_directory == log_directory {
        return Ok(());
    }
    let misplaced = |directory: &Path, prefix: &str| -> Result<(), StorageError> {
        if let Some(file) = list_named(directory, prefix)?.first() {
            return Err(StorageError::MisplacedFile {
                directory: directory.to_path_buf(),
                found: file.path.display().to_string(),
            });
        }
        Ok(())
    };
    misplaced(log_directory, SNAPSHOT_PREFIX)?;
    misplaced(snapshot_directory, LOG_PREFIX)
}

/// The newest snapshot that reads back whole, trying older ones when one does not (with a
/// warning for each). `Ok(None)` when there is no snapshot at all. A compressed snapshot met
/// before a valid one is an error: falling back past it could need logs that are gone.
fn newest_valid_snapshot(
    directory: &Path,
    options: &StorageOptions,
) -> Result<Option<Snapshot>, StorageError> {
    let mut tried = 0;
    for file in list_named(directory, SNAPSHOT_PREFIX)?.into_iter().rev() {
        if let Some(compression) = compression_of(file.extension.as_deref()) {
            return Err(StorageError::CompressedSnapshot {
                path: file.path,
                compression,
            });
        }
        if file.extension.is_some() {
            // `snapshot.<zxid>.tmp` and the like were never renamed into place.
            tracing::debug!(file = %file.path.display(), "ignoring a file that is not a snapshot");
            continue;
        }
        tried += 1;
        match read_snapshot(&file.path, file.zxid, options.buffer_bytes_max) {
            Ok(snapshot) => {
                sync_file(&file.path)?;
                tracing::info!(file = %file.path.display(), zxid = %file.zxid, "loaded snapshot");
                return Ok(Some(snapshot));
            }
            Err(error) => {
                tracing::warn!(file = %file.path.display(), %error, "snapshot is invalid, trying an older one");
            }
        }
    }
    if tried > 0 {
        return Err(StorageError::NoValidSnapshot {
            directory: directory.to_path_buf(),
            tried,
        });
    }
    Ok(None)
}

struct Replayed {
    database: Database,
    last_zxid: Zxid,
    txns: Vec<Proposal<Prepared>>,
    snapshot_digest: DigestCheck,
    last_txn_digest: DigestCheck,
    torn_tails: Vec<TornTail>,
}

/// Applies every logged txn after the snapshot, checking that none is missing.
fn replay(
    log_directory: &Path,
    snapshot: &Snapshot,
    options: &StorageOptions,
) -> Result<Replayed, StorageError> {
    let replica = replica();
    let mut database = snapshot.database.clone();
    let mut snapshot_digest = DigestCheck::NotRecorded;
    // A fuzzy snapshot's digest belongs to a later zxid; it is compared once replay gets there.
    let mut pending_digest: Option<RecordedDigest> = None;
    match snapshot.digest {
        Some(recorded) if recorded.zxid == snapshot.zxid => {
            snapshot_digest = DigestCheck::compare(&recorded, &database.tree);
        }
        Some(recorded) if recorded.zxid > snapshot.zxid => pending_digest = Some(recorded),
        _ => {}
    }
    let from = Zxid(snapshot.zxid.0 + 1);
    let mut reader = TxnLogReader::open(log_directory, from, options.txn_log())?;
    let mut previous = snapshot.zxid;
    // Torn tails met before the previous txn was read: a later one is what a gap is blamed on.
    let mut torn_tails_before_previous = 0;
    let mut txns = Vec::new();
    let mut last_logged_digest = None;
    while let Some(logged) = reader.next() {
        let logged = logged?;
        let zxid = logged.txn.header.zxid;
        if !continues(previous, zxid) {
            return Err(gap_error(
                &reader.torn_tails()[torn_tails_before_previous..],
                &logged.path,
                logged.offset,
                zxid,
                previous,
            ));
        }
        check_applicable(&logged.txn.header, &logged.txn.txn).map_err(|reason| {
            StorageError::Unappliable {
                path: logged.path.clone(),
                offset: logged.offset,
                zxid,
                reason,
            }
        })?;
        let proposal = Proposal {
            zxid,
            payload: logged.txn,
        };
        replica.apply(&mut database, &proposal);
        if let Some(recorded) = pending_digest.filter(|recorded| recorded.zxid == zxid) {
            snapshot_digest = DigestCheck::compare(&recorded, &database.tree);
            pending_digest = None;
        }
        last_logged_digest = logged.digest.map(|digest| (zxid, digest));
        txns.push(proposal);
        previous = zxid;
        torn_tails_before_previous = reader.torn_tails().len();
    }
    for path in reader.files_opened() {
        sync_file(path)?;
    }
    if let Some(recorded) = pending_digest {
        tracing::warn!(snapshot_zxid = %snapshot.zxid, digest_zxid = %recorded.zxid, last_zxid = %previous,
            "the log ends before the zxid of the snapshot's digest; the tree may still be fuzzy");
    }
    // Only the final txn's digest describes the final tree, and only once the tree is no
    // longer fuzzy.
    let last_txn_digest = match last_logged_digest {
        Some((zxid, digest)) if zxid == previous && pending_digest.is_none() => {
            DigestCheck::compare(
                &RecordedDigest {
                    zxid,
                    version: digest.version,
                    digest: digest.tree_digest,
                },
                &database.tree,
            )
        }
        _ => DigestCheck::NotRecorded,
    };
    for check in [snapshot_digest, last_txn_digest] {
        if let DigestCheck::Mismatched {
            zxid,
            recorded,
            computed,
        } = check
        {
            tracing::warn!(%zxid, recorded, computed, "the recovered tree's digest differs from the one ZooKeeper recorded");
        }
    }
    Ok(Replayed {
        database,
        last_zxid: previous,
        txns,
        snapshot_digest,
        last_txn_digest,
        torn_tails: reader.torn_tails().to_vec(),
    })
}

/// Whether `zxid` may directly follow `previous` in a log: the next counter of the same epoch,
/// or any zxid of a later epoch (a new leader's txns).
fn continues(previous: Zxid, zxid: Zxid) -> bool {
    if zxid.epoch() == previous.epoch() {
        u64::from(zxid.counter()) == u64::from(previous.counter()) + 1
    } else {
        zxid.epoch() > previous.epoch()
    }
}

/// The error for a txn that does not continue the log: blamed on a torn tail between it and the
/// txn before it when there is one (that tail was no torn write: synced txns were in it), else
/// on missing txns.
fn gap_error(
    torn_tails: &[TornTail],
    path: &Path,
    offset: u64,
    zxid: Zxid,
    previous: Zxid,
) -> StorageError {
    match torn_tails.last() {
        Some(tail) => StorageError::DamagedBeforeLaterTxns {
            path: tail.path.clone(),
            offset: tail.offset,
            reason: tail.reason.clone(),
            later_path: path.to_path_buf(),
            zxid,
            previous,
        },
        None => StorageError::MissingTxns {
            path: path.to_path_buf(),
            offset,
            zxid,
            previous,
        },
    }
}

/// Cuts each torn tail: the file is truncated where it stops being readable, or removed when
/// not even its header is whole.
fn cut_torn_tails(log_directory: &Path, torn_tails: &[TornTail]) -> Result<(), StorageError> {
    for tail in torn_tails {
        tracing::warn!(file = %tail.path.display(), offset = tail.offset, reason = %tail.reason,
            "cutting the torn tail of a txn log");
        if tail.offset == 0 {
            remove_file(&tail.path)?;
            continue;
        }
        let file = OpenOptions::new()
            .write(true)
            .open(&tail.path)
            .map_err(io_error("opening", &tail.path))?;
        file.set_len(tail.offset)
            .map_err(io_error("truncating", &tail.path))?;
        file.sync_all().map_err(io_error("syncing", &tail.path))?;
    }
    if !torn_tails.is_empty() {
        sync_directory(log_directory)?;
    }
    Ok(())
}

/// Reads the epoch files with `QuorumPeer.loadDataBase`'s rules: a missing one gets the epoch of
/// the last zxid (and is written); a `currentEpoch` behind the log is an error unless a
/// `currentEpoch.tmp` left by an interrupted write says otherwise; `acceptedEpoch` may not be
/// below `currentEpoch`.
fn recover_epochs(
    epochs: &EpochFiles,
    last_zxid: Zxid,
    directory: &Path,
) -> Result<(Epoch, Epoch), StorageError> {
    let epoch_of_last_zxid = last_zxid.epoch();
    let current_path = directory.join(CURRENT_EPOCH_FILE);
    let mut current = match epochs.read_current_epoch()? {
        Some(epoch) => epoch,
        None => {
            tracing::info!(file = %current_path.display(), epoch = %epoch_of_last_zxid, "creating a missing epoch file");
            epochs.write_recovered(CURRENT_EPOCH_FILE, epoch_of_last_zxid)?;
            epoch_of_last_zxid
        }
    };
    if epoch_of_last_zxid > current {
        match epochs.read_current_epoch_leftover()? {
            Some(leftover) => {
                tracing::info!(file = %current_path.display(), epoch = %leftover, "taking currentEpoch from the leftover of an interrupted write");
                epochs.write_recovered(CURRENT_EPOCH_FILE, leftover)?;
                current = leftover;
            }
            None => {
                return Err(StorageError::EpochBehindLog {
                    path: current_path,
                    current,
                    epoch_of_last_zxid,
                    last_zxid,
                })
            }
        }
    }
    let accepted = match epochs.read_accepted_epoch()? {
        Some(epoch) => epoch,
        None => {
            let path = directory.join(ACCEPTED_EPOCH_FILE);
            tracing::info!(file = %path.display(), epoch = %epoch_of_last_zxid, "creating a missing epoch file");
            epochs.write_recovered(ACCEPTED_EPOCH_FILE, epoch_of_last_zxid)?;
            epoch_of_last_zxid
        }
    };
    if accepted < current {
        return Err(StorageError::AcceptedBelowCurrent {
            path: directory.join(ACCEPTED_EPOCH_FILE),
            accepted,
            current,
        });
    }
    Ok((accepted, current))
}

/// Makes what a file holds durable, whoever wrote it.
fn sync_file(path: &PathBuf) -> Result<(), StorageError> {
    File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(io_error("syncing", path))
}
