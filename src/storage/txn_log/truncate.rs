//! Dropping the logged txns after a zxid (ZooKeeper's TRUNC, `FileTxnLog.truncate`).
//!
//! ZooKeeper keeps the first txn at or above the zxid it is given and cuts after it; this keeps
//! exactly the txns at or below the zxid, which is the same whenever that zxid was logged (a
//! TRUNC always names one the follower has).

use super::record::{Next, RecordReader};
use super::FILE_HEADER_BYTES;
use crate::proto::txn_entry::TxnEntry;
use crate::storage::error::{io_error, StorageError};
use crate::storage::files::{list_named, remove_file, sync_directory, LOG_PREFIX};
use std::fs::OpenOptions;
use std::path::Path;
use zabkeeper_models::Zxid;

/// Removes every txn after `zxid` from the log in `directory`: files that start after it are
/// deleted, newest first, and the file that holds it is cut after its last txn at or below it.
/// A crash part way leaves a prefix of the old log, never a log with a hole.
pub fn truncate_log_after(
    directory: &Path,
    zxid: Zxid,
    entry_bytes_max: usize,
) -> Result<(), StorageError> {
    let files: Vec<_> = list_named(directory, LOG_PREFIX)?
        .into_iter()
        .filter(|file| file.extension.is_none())
        .collect();
    for later in files.iter().rev().filter(|file| file.zxid > zxid) {
        tracing::info!(file = %later.path.display(), %zxid, "removing a txn log file after the truncation point");
        remove_file(&later.path)?;
    }
    sync_directory(directory)?;
    let Some(holding) = files.iter().rev().find(|file| file.zxid <= zxid) else {
        return Ok(());
    };
    let path = &holding.path;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_error("opening", path))?;
    let length = file
        .metadata()
        .map_err(io_error("reading metadata of", path))?
        .len();
    if length < FILE_HEADER_BYTES {
        return Ok(());
    }
    let reader_handle = file.try_clone().map_err(io_error("opening", path))?;
    let mut records = RecordReader::new(reader_handle, length, entry_bytes_max)
        .map_err(io_error("reading", path))?;
    let cut = loop {
        match records.next().map_err(io_error("reading", path))? {
            Next::Record { offset, entry } => {
                let above = TxnEntry::decode(&entry)
                    .map(|decoded| decoded.header.zxid as u64 > zxid.0)
                    .unwrap_or(true);
                if above {
                    break offset;
                }
            }
            // Zeros after the last record are preallocated space: nothing to cut.
            Next::End { .. } => break length,
            Next::Unreadable { offset, .. } | Next::TooLarge { offset, .. } => break offset,
        }
    };
    if cut < length {
        tracing::info!(file = %path.display(), offset = cut, %zxid, "cutting the txn log after the truncation point");
        file.set_len(cut).map_err(io_error("truncating", path))?;
        file.sync_all().map_err(io_error("syncing", path))?;
    }
    Ok(())
}
