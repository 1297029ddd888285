//! What can go wrong reading or writing the data directories. Every variant names the file it is
//! about, and the byte offset where one applies, so an operator can look at the bytes.

use crate::proto::jute::JuteError;
use std::io;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zabkeeper_models::{Epoch, Zxid};

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("{operation} {path}: {source}")]
    Io {
        operation: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{path}: magic {magic:#010x} is not a ZooKeeper {expected} file")]
    BadMagic {
        path: PathBuf,
        expected: &'static str,
        magic: i32,
    },

    #[error("{path}: format version {version}, only version 2 is known")]
    UnsupportedVersion { path: PathBuf, version: i32 },

    /// An unreadable txn record with a readable one after it in the same file: not a torn
    /// write, so recovery refuses to drop or skip anything.
    #[error(
        "{path} at byte {offset}: unreadable txn record ({reason}) followed by a valid record \
         at byte {next_valid_offset}; the log is corrupt, not torn"
    )]
    CorruptRecord {
        path: PathBuf,
        offset: u64,
        reason: String,
        next_valid_offset: u64,
    },

    #[error(
        "{path} at byte {offset}: txn record has a valid checksum but does not decode: {reason}"
    )]
    UndecodableRecord {
        path: PathBuf,
        offset: u64,
        reason: String,
    },

    #[error("{path} at byte {offset}: complete txn record of {length} bytes is over the {limit}-byte limit")]
    RecordTooLarge {
        path: PathBuf,
        offset: u64,
        length: u64,
        limit: usize,
    },

    #[error("{path} at byte {offset}: txn {zxid} comes after {previous}; zxids must increase")]
    OutOfOrder {
        path: PathBuf,
        offset: u64,
        zxid: Zxid,
        previous: Zxid,
    },

    /// Within one epoch every zxid is logged: a txn that skips counters means lost txns.
    #[error(
        "{path} at byte {offset}: txn {zxid} follows {previous}; the txns between are missing"
    )]
    MissingTxns {
        path: PathBuf,
        offset: u64,
        zxid: Zxid,
        previous: Zxid,
    },

    /// A torn tail turned out not to be the end of the log: later txns do not continue the
    /// txns before it, so synced records were lost in it.
    #[error(
        "{path} at byte {offset}: unreadable txn record ({reason}), and txn {zxid} in {later_path} \
         does not continue the log after {previous}; synced txns are damaged"
    )]
    DamagedBeforeLaterTxns {
        path: PathBuf,
        offset: u64,
        reason: String,
        later_path: PathBuf,
        zxid: Zxid,
        previous: Zxid,
    },

    #[error("{path} at byte {offset}: txn {zxid} cannot be applied: {reason}")]
    Unappliable {
        path: PathBuf,
        offset: u64,
        zxid: Zxid,
        reason: String,
    },

    #[error("{path} at byte {offset}: invalid snapshot: {reason}")]
    CorruptSnapshot {
        path: PathBuf,
        offset: u64,
        reason: String,
    },

    #[error("{path}: {compression}-compressed snapshots are not supported; restart Apache ZooKeeper with zookeeper.snapshot.compression.method unset to write an uncompressed one")]
    CompressedSnapshot {
        path: PathBuf,
        compression: &'static str,
    },

    #[error("{directory}: none of the {tried} snapshots is valid (each failure was logged)")]
    NoValidSnapshot { directory: PathBuf, tried: usize },

    #[error("{directory}: txn logs exist but no snapshot does; the logs alone cannot be trusted to start from an empty tree")]
    LogsWithoutSnapshot { directory: PathBuf },

    /// ZooKeeper refuses snapshots in the log directory and logs in the snapshot directory when
    /// the two differ: a sign of swapped `dataDir` and `dataLogDir`.
    #[error("{directory} holds {found}, which belongs in the other data directory; check dataDir and dataLogDir")]
    MisplacedFile { directory: PathBuf, found: String },

    #[error("{path}: {content:?} is not an epoch")]
    BadEpochFile { path: PathBuf, content: String },

    #[error("{path}: currentEpoch {current} is older than epoch {epoch_of_last_zxid} of the last txn {last_zxid}")]
    EpochBehindLog {
        path: PathBuf,
        current: Epoch,
        epoch_of_last_zxid: Epoch,
        last_zxid: Zxid,
    },

    #[error("{path}: acceptedEpoch {accepted} is below currentEpoch {current}")]
    AcceptedBelowCurrent {
        path: PathBuf,
        accepted: Epoch,
        current: Epoch,
    },

    #[error("{directory}: txn {zxid} cannot be encoded: {source}")]
    Encode {
        directory: PathBuf,
        zxid: Zxid,
        #[source]
        source: JuteError,
    },

    #[error("{path}: cannot encode the snapshot: {source}")]
    SnapshotEncode {
        path: PathBuf,
        #[source]
        source: JuteError,
    },

    #[error("{directory}: txn {zxid} encodes to {length} bytes, over the {limit}-byte limit readers accept")]
    TxnTooLarge {
        directory: PathBuf,
        zxid: Zxid,
        length: usize,
        limit: usize,
    },

    #[error("{directory}: txn {zxid} cannot be appended after {last}: zxids must increase")]
    AppendOutOfOrder {
        directory: PathBuf,
        zxid: Zxid,
        last: Zxid,
    },

    #[error("{path} already holds txns; a new log file must not replace it")]
    LogFileExists { path: PathBuf },

    /// After a failed write or sync nothing about the file is known (the kernel may have dropped
    /// the dirty pages), so the writer refuses all further work: restart and recover.
    #[error("{path}: the txn log writer stopped after an earlier failure: {cause}")]
    WriterFailed { path: PathBuf, cause: String },

    #[error("{directory}: cannot cut the log after {zxid}: no snapshot at or before it remains (the oldest is {oldest})")]
    TruncateBeforeSnapshots {
        directory: PathBuf,
        zxid: Zxid,
        oldest: Zxid,
    },

    #[error("{count} snapshots is too few to retain; ZooKeeper's autopurge keeps at least 3")]
    RetainCountTooSmall { count: usize },

    #[error("cannot start a thread to write a snapshot into {directory}: {error}")]
    SnapshotThread {
        directory: PathBuf,
        error: std::io::Error,
    },

    #[error("{path}: the tree holds {count} {what}, more than a snapshot's int count allows")]
    TooManyToSnapshot {
        path: PathBuf,
        count: usize,
        what: &'static str,
    },
}

/// Wraps an IO error with the operation and the file it concerns.
pub(crate) fn io_error(
    operation: &'static str,
    path: &Path,
) -> impl FnOnce(io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io {
        operation,
        path,
        source,
    }
}
