//! Autopurge (`PurgeTxnLog.purge`): keep the newest N snapshots and the logs needed to replay
//! from the oldest of them, delete the older rest.
//!
//! Following ZooKeeper, a snapshot counts towards N when it passes the cheap validity check of
//! `SnapStream.isValidSnapshot` (a plain snapshot ends with the seal's "/" string; a compressed
//! one starts with its format's magic), not a full read. The logs kept are the newest one that
//! starts at or before the oldest kept snapshot and every later one (`FileTxnLog.getLogFiles`).

use super::error::{io_error, StorageError};
use super::files::{
    list_named, remove_file, NamedFile, LOG_PREFIX, SNAPSHOT_PREFIX, VERSION_DIRECTORY,
};
use super::snapshot::compression_of;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// ZooKeeper refuses to purge down to fewer snapshots than this.
pub const RETAIN_COUNT_MIN: usize = 3;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// `SnappyCodec.MAGIC_HEADER` of snappy-java's stream format.
const SNAPPY_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// A plain snapshot's last bytes: the seal's marker, the string "/" (int length 1, then '/').
const SEAL_TAIL: [u8; 5] = [0, 0, 0, 1, b'/'];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// The snapshots counted towards the number kept, newest first.
    pub retained_snapshots: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
}

/// Deletes the snapshots (from `data_dir`) and txn logs (from `data_log_dir`) that the newest
/// `retain_count` valid snapshots do not need.
pub fn purge(
    data_dir: &Path,
    data_log_dir: &Path,
    retain_count: usize,
) -> Result<PurgeReport, StorageError> {
    if retain_count < RETAIN_COUNT_MIN {
        return Err(StorageError::RetainCountTooSmall {
            count: retain_count,
        });
    }
    let snapshot_directory = data_dir.join(VERSION_DIRECTORY);
    let log_directory = data_log_dir.join(VERSION_DIRECTORY);
    let snapshots = list_named(&snapshot_directory, SNAPSHOT_PREFIX)?;
    let mut retained: Vec<&NamedFile> = Vec::new();
    for snapshot in snapshots.iter().rev() {
        if retained.len() == retain_count {
            break;
        }
        if looks_valid(snapshot)? {
            retained.push(snapshot);
        }
    }
    let mut report = PurgeReport {
        retained_snapshots: retained.iter().map(|file| file.path.clone()).collect(),
        removed: Vec::new(),
    };
    let Some(oldest_retained) = retained.last().map(|file| file.zxid) else {
        return Ok(report);
    };
    let logs = list_named(&log_directory, LOG_PREFIX)?;
    // The log that holds the txns right after the oldest kept snapshot starts at or before it.
    let first_log_needed = logs
        .iter()
        .map(|file| file.zxid)
        .filter(|zxid| *zxid <= oldest_retained)
        .max();
    let mut doomed: Vec<&NamedFile> = Vec::new();
    if let Some(first_log_needed) = first_log_needed {
        doomed.extend(logs.iter().filter(|file| file.zxid < first_log_needed));
    }
    doomed.extend(snapshots.iter().filter(|file| file.zxid < oldest_retained));
    for file in doomed {
        tracing::info!(file = %file.path.display(), "autopurge removes a file no retained snapshot needs");
        remove_file(&file.path)?;
        report.removed.push(file.path.clone());
    }
    Ok(report)
}

/// `SnapStream.isValidSnapshot`: the magic of a compressed snapshot, or the seal at the end of
/// a plain one.
fn looks_valid(snapshot: &NamedFile) -> Result<bool, StorageError> {
    let path = &snapshot.path;
    let file = File::open(path).map_err(io_error("opening", path))?;
    let length = file
        .metadata()
        .map_err(io_error("reading metadata of", path))?
        .len();
    let starts_with = |magic: &[u8]| -> Result<bool, StorageError> {
        if length < magic.len() as u64 {
            return Ok(false);
        }
        let mut head = vec![0u8; magic.len()];
        file.read_exact_at(&mut head, 0)
            .map_err(io_error("reading", path))?;
        Ok(head == magic)
    };
    match compression_of(snapshot.extension.as_deref()) {
        Some("gzip") => starts_with(&GZIP_MAGIC),
        Some(_) => starts_with(&SNAPPY_MAGIC),
        None => {
            if length < 10 {
                return Ok(false);
            }
            let mut tail = [0u8; 5];
            file.read_exact_at(&mut tail, length - 5)
                .map_err(io_error("reading", path))?;
            Ok(tail == SEAL_TAIL)
        }
    }
}
