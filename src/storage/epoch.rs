//! The epoch files `acceptedEpoch` and `currentEpoch` in `dataDir/version-2`, as
//! `QuorumPeer.writeLongToFile` writes them: the epoch in decimal, no newline, replaced
//! atomically (`name.tmp`, fsync, rename; the directory is fsynced too, which ZooKeeper skips).
//! They are read as `readLongFromFile` reads them: the first line as a long.
//!
//! # Contract
//! `currentEpoch` must never cover txns that are not on disk (`DurableState`'s contract):
//! [`EpochFiles::write_current_epoch`] takes the txn log writer as proof. A batch borrows the
//! writer mutably, so a shared borrow exists only when no batch is open, and then every txn the
//! writer accepted has been synced.

use super::error::{io_error, StorageError};
use super::files::{write_atomically, TEMPORARY_EXTENSION};
use super::txn_log::TxnLogWriter;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use zabkeeper_models::Epoch;

pub const ACCEPTED_EPOCH_FILE: &str = "acceptedEpoch";
pub const CURRENT_EPOCH_FILE: &str = "currentEpoch";
/// Enough for any first line that parses as an epoch, and its line end.
const EPOCH_FILE_BYTES_MAX: u64 = 64;

/// Writes the epoch files of one snapshot directory.
#[derive(Clone, Debug)]
pub struct EpochFiles {
    directory: PathBuf,
}

impl EpochFiles {
    /// The epoch files in `directory`, the `version-2` directory of `dataDir`.
    pub fn new(directory: &Path) -> EpochFiles {
        EpochFiles {
            directory: directory.to_path_buf(),
        }
    }

    /// Durably replaces `acceptedEpoch`.
    pub fn write_accepted_epoch(&self, epoch: Epoch) -> Result<(), StorageError> {
        write_atomically(
            &self.directory,
            ACCEPTED_EPOCH_FILE,
            epoch.to_string().as_bytes(),
        )
    }

    /// Durably replaces `currentEpoch`. `log` proves that no batch is open, so every txn it
    /// accepted is on disk; a writer that failed is no such proof.
    pub fn write_current_epoch(
        &self,
        epoch: Epoch,
        log: &TxnLogWriter,
    ) -> Result<(), StorageError> {
        log.check_usable()?;
        write_atomically(
            &self.directory,
            CURRENT_EPOCH_FILE,
            epoch.to_string().as_bytes(),
        )
    }

    /// Writes an epoch file during recovery, before any writer exists: recovery has synced
    /// every log file it read, so the log it covers is on disk.
    pub(super) fn write_recovered(&self, name: &str, epoch: Epoch) -> Result<(), StorageError> {
        write_atomically(&self.directory, name, epoch.to_string().as_bytes())
    }

    pub fn read_accepted_epoch(&self) -> Result<Option<Epoch>, StorageError> {
        read_epoch_file(&self.directory.join(ACCEPTED_EPOCH_FILE))
    }

    pub fn read_current_epoch(&self) -> Result<Option<Epoch>, StorageError> {
        read_epoch_file(&self.directory.join(CURRENT_EPOCH_FILE))
    }

    /// `currentEpoch.tmp`: what a write of `currentEpoch` left when a crash came before its
    /// rename. ZooKeeper trusts it when `currentEpoch` is behind the log.
    pub fn read_current_epoch_leftover(&self) -> Result<Option<Epoch>, StorageError> {
        read_epoch_file(
            &self
                .directory
                .join(format!("{CURRENT_EPOCH_FILE}.{TEMPORARY_EXTENSION}")),
        )
    }
}

/// The epoch in `path`, `None` when the file does not exist. Only the first bytes are read:
/// an epoch is at most 20 characters.
pub fn read_epoch_file(path: &Path) -> Result<Option<Epoch>, StorageError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error("opening", path)(error)),
    };
    let mut bytes = Vec::new();
    file.take(EPOCH_FILE_BYTES_MAX)
        .read_to_end(&mut bytes)
        .map_err(io_error("reading", path))?;
    parse_epoch(&bytes)
        .map(Some)
        .ok_or_else(|| StorageError::BadEpochFile {
            path: path.to_path_buf(),
            content: String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned(),
        })
}

/// The first line as a decimal long that fits an epoch (32 bits, as zxids carry it).
fn parse_epoch(bytes: &[u8]) -> Option<Epoch> {
    let line_end = bytes
        .iter()
        .position(|byte| *byte == b'\n' || *byte == b'\r')
        .unwrap_or(bytes.len());
    let line = std::str::from_utf8(&bytes[..line_end]).ok()?;
    let value: i64 = line.parse().ok()?;
    u32::try_from(value).ok().map(Epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_parse_as_java_reads_the_first_line() {
        assert_eq!(parse_epoch(b"5"), Some(Epoch(5)));
        assert_eq!(parse_epoch(b"12\n"), Some(Epoch(12)));
        assert_eq!(parse_epoch(b"7\r\nignored"), Some(Epoch(7)));
        assert_eq!(parse_epoch(b"+3"), Some(Epoch(3)));
        assert_eq!(parse_epoch(b""), None);
        assert_eq!(parse_epoch(b" 5"), None);
        assert_eq!(parse_epoch(b"-1"), None);
        assert_eq!(parse_epoch(b"4294967296"), None);
        assert_eq!(parse_epoch(b"\xff"), None);
    }
}
