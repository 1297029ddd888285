//! File names and durable file operations shared by the log, snapshots and epoch files.
//!
//! Names follow ZooKeeper's `Util.makeLogName` / `makeSnapshotName`: a prefix, a dot, the zxid
//! in lowercase hex without leading zeros. Reading a name follows `Util.getZxidFromName`: split
//! at dots, the first part must be the prefix and the second a hex number; further parts are an
//! extension (`snapshot.5.gz`, `snapshot.5.tmp`).

use super::error::{io_error, StorageError};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use zabkeeper_models::Zxid;

/// The subdirectory of `dataDir` and `dataLogDir` that holds the files (`FileTxnSnapLog.version`
/// followed by `VERSION`).
pub const VERSION_DIRECTORY: &str = "version-2";
pub const LOG_PREFIX: &str = "log";
pub const SNAPSHOT_PREFIX: &str = "snapshot";
/// ZooKeeper's `AtomicFileOutputStream` writes `<name>.tmp` and renames it over `<name>`.
pub const TEMPORARY_EXTENSION: &str = "tmp";

pub fn log_file_name(first_zxid: Zxid) -> String {
    format!("{LOG_PREFIX}.{:x}", first_zxid.0)
}

pub fn snapshot_file_name(zxid: Zxid) -> String {
    format!("{SNAPSHOT_PREFIX}.{:x}", zxid.0)
}

/// A file of the version-2 directory whose name carries a zxid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedFile {
    pub zxid: Zxid,
    pub path: PathBuf,
    /// What follows `prefix.zxid`, without the dot; `None` for the plain name.
    pub extension: Option<String>,
}

/// The zxid and extension in a file name with `prefix`, as ZooKeeper parses it; `None` when the
/// name does not carry one. Zxids are non-negative longs, as Java's `Long.parseLong(s, 16)`
/// would read them from names ZooKeeper writes.
pub fn parse_name(name: &str, prefix: &str) -> Option<(Zxid, Option<String>)> {
    let mut parts = name.split('.');
    if parts.next()? != prefix {
        return None;
    }
    let hex = parts.next()?;
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let zxid = u64::from_str_radix(hex, 16).ok()?;
    if zxid > i64::MAX as u64 {
        return None;
    }
    let rest: Vec<&str> = parts.collect();
    let extension = (!rest.is_empty()).then(|| rest.join("."));
    Some((Zxid(zxid), extension))
}

/// Every file in `directory` whose name carries a zxid after `prefix`, sorted by zxid (then by
/// extension, plain names first). A missing directory holds no files.
pub fn list_named(directory: &Path, prefix: &str) -> Result<Vec<NamedFile>, StorageError> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io_error("listing", directory)(error)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error("listing", directory))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some((zxid, extension)) = parse_name(name, prefix) {
            files.push(NamedFile {
                zxid,
                path: entry.path(),
                extension,
            });
        }
    }
    files.sort_by(|left, right| (left.zxid, &left.extension).cmp(&(right.zxid, &right.extension)));
    Ok(files)
}

/// Creates `directory` and its parents when missing (ZooKeeper creates its data directories
/// unless `zookeeper.datadir.autocreate` is false).
pub fn create_directory(directory: &Path) -> Result<(), StorageError> {
    fs::create_dir_all(directory).map_err(io_error("creating directory", directory))
}

/// Makes the directory's entries (created, renamed, removed files) durable.
pub fn sync_directory(directory: &Path) -> Result<(), StorageError> {
    File::open(directory)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error("syncing directory", directory))
}

/// Replaces `directory/name` with `contents` so that a crash leaves either the old file or the
/// new one, never a mix: write `name.tmp`, fsync it, rename it over `name`, fsync the directory.
pub fn write_atomically(directory: &Path, name: &str, contents: &[u8]) -> Result<(), StorageError> {
    let temporary = directory.join(format!("{name}.{TEMPORARY_EXTENSION}"));
    let target = directory.join(name);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temporary)
        .map_err(io_error("creating", &temporary))?;
    file.write_all(contents)
        .map_err(io_error("writing", &temporary))?;
    file.sync_all().map_err(io_error("syncing", &temporary))?;
    drop(file);
    fs::rename(&temporary, &target).map_err(io_error("renaming into place", &target))?;
    sync_directory(directory)
}

/// Removes a file; one already gone is fine.
pub fn remove_file(path: &Path) -> Result<(), StorageError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error("removing", path)(error)),
    }
}
