//! Autopurge (`PurgeTxnLog.purge`): keep the newest N snapshots and the logs needed to replay
//! from the oldest of them, delete the older rest.
//!
//! Following ZooKeeper, a snapshot counts towards N when it passes the cheap validity check of
//! `SnapStream.isValidSnapshot` (a plain snapshot ends with the seal's "/" string; a compressed
//! one starts with its format's magic), not a full read. The logs kept are the newest one that
//! starts at or before the oldest kept snapshot and every later one (`FileTxnLog.getLogFiles`).

use super::directory_guard::{DirectoryGuard, DirectoryLock};
use super::error::{io_error, StorageError};
use super::files::{
    list_named, remove_file, NamedFile, LOG_PREFIX, SNAPSHOT_PREFIX, TEMPORARY_EXTENSION,
    VERSION_DIRECTORY,
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
/// `retain_count` valid snapshots do not need. Holds `guard` from the listing to the last
/// deletion: a truncation in between would make the listing stale (see [`DirectoryGuard`]).
pub fn purge<Lock: DirectoryLock>(
    data_dir: &Path,
    data_log_dir: &Path,
    retain_count: usize,
    guard: &DirectoryGuard<Lock>,
) -> Result<PurgeReport, StorageError> {
    if retain_count < RETAIN_COUNT_MIN {
        return Err(StorageError::RetainCountTooSmall {
            count: retain_count,
        });
    }
    let _held = guard.hold();
    let snapshots = list_named(&data_dir.join(VERSION_DIRECTORY), SNAPSHOT_PREFIX)?;
    let logs = list_named(&data_log_dir.join(VERSION_DIRECTORY), LOG_PREFIX)?;
    let plan = plan_purge(&snapshots, &logs, retain_count, looks_valid)?;
    let mut report = PurgeReport {
        retained_snapshots: plan
            .retained_snapshots
            .iter()
            .map(|file| file.path.clone())
            .collect(),
        removed: Vec::new(),
    };
    for file in plan.doomed {
        tracing::info!(file = %file.path.display(), "autopurge removes a file no retained snapshot needs");
        remove_file(&file.path)?;
        report.removed.push(file.path.clone());
    }
    Ok(report)
}

/// What a purge keeps and deletes, decided from one listing of each directory.
#[derive(Debug)]
pub(crate) struct PurgePlan<'listing> {
    /// Newest first.
    pub retained_snapshots: Vec<&'listing NamedFile>,
    pub doomed: Vec<&'listing NamedFile>,
}

/// The purge decision, without IO but for `looks_valid`, which is asked about the snapshots
/// newest first until `retain_count` have passed. Listings are sorted by zxid, as
/// [`list_named`] returns them.
pub(crate) fn plan_purge<'listing>(
    snapshots: &'listing [NamedFile],
    logs: &'listing [NamedFile],
    retain_count: usize,
    mut looks_valid: impl FnMut(&NamedFile) -> Result<bool, StorageError>,
) -> Result<PurgePlan<'listing>, StorageError> {
    // A `.tmp` is a snapshot still being written (or cut short by a crash, and removed at the
    // next start): whatever its bytes, it is not a snapshot yet, so it neither counts towards
    // the number kept nor is deleted under the snapshot writer's feet.
    let finished = || {
        snapshots
            .iter()
            .filter(|file| file.extension.as_deref() != Some(TEMPORARY_EXTENSION))
    };
    let mut plan = PurgePlan {
        retained_snapshots: Vec::new(),
        doomed: Vec::new(),
    };
    for snapshot in finished().rev() {
        if plan.retained_snapshots.len() == retain_count {
            break;
        }
        if looks_valid(snapshot)? {
            plan.retained_snapshots.push(snapshot);
        }
    }
    let Some(oldest_retained) = plan.retained_snapshots.last().map(|file| file.zxid) else {
        return Ok(plan);
    };
    // The log that holds the txns right after the oldest kept snapshot starts at or before it.
    let first_log_needed = logs
        .iter()
        .map(|file| file.zxid)
        .filter(|zxid| *zxid <= oldest_retained)
        .max();
    if let Some(first_log_needed) = first_log_needed {
        plan.doomed
            .extend(logs.iter().filter(|file| file.zxid < first_log_needed));
    }
    plan.doomed
        .extend(finished().filter(|file| file.zxid < oldest_retained));
    Ok(plan)
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
