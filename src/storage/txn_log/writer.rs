//! Appending txns with group commit.
//!
//! # Contract
//! Nothing appended is durable, or even written, before [`LogBatch::sync`] returns `Ok`: a
//! batch collects encoded records in memory, and `sync` writes them and fdatasyncs the file
//! (and the directory, for a new file) in one go. The driver batches as many steps as it likes
//! into one `LogBatch`, and releases the sends of those steps only once `sync` has returned.
//! Dropping a batch without syncing discards what it held, and the writer forgets those txns.
//!
//! A batch borrows the writer mutably, so while one is open nothing else can use the writer,
//! and whoever holds `&TxnLogWriter` knows that every txn it ever accepted is durable: that is
//! the proof [`crate::storage::EpochFiles::write_current_epoch`] asks for.
//!
//! After a failed write or sync the writer refuses all further work: the kernel may have
//! dropped the pages it failed to write, so what the file holds is unknown until recovery reads
//! it again.
//!
//! Like ZooKeeper, the writer never appends to a file it did not create: the first batch after
//! opening, after [`TxnLogWriter::roll`] and after [`TxnLogWriter::truncate_after`] starts a new
//! file named after its first txn.

use super::record::{encode_record, Next, RecordReader};
use super::truncate::truncate_log_after;
use super::{padded_file_size, TxnLogOptions, FILE_HEADER_BYTES};
use crate::proto::jute;
use crate::proto::records::FileHeader;
use crate::proto::txn_entry::TxnEntry;
use crate::storage::error::{io_error, StorageError};
use crate::storage::files::{create_directory, log_file_name, sync_directory};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use zabkeeper_models::request::Prepared;
use zabkeeper_models::Zxid;

/// Writes `log.<zxid>` files in one `version-2` directory.
#[derive(Debug)]
pub struct TxnLogWriter {
    directory: PathBuf,
    options: TxnLogOptions,
    current: Option<OpenLog>,
    /// The last txn accepted: every later append must have a higher zxid.
    last_zxid: Zxid,
    /// Why the writer stopped, once it has.
    failure: Option<String>,
    /// Records of the open batch, written by its sync.
    pending: Vec<u8>,
}

#[derive(Debug)]
struct OpenLog {
    path: PathBuf,
    file: File,
    /// Where the next record goes.
    end: u64,
    /// The file's size, preallocation included.
    size: u64,
    /// The directory entry of a new file becomes durable with its first sync.
    directory_entry_synced: bool,
}

/// What a sync made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synced {
    /// Txns written by this sync.
    pub txns: usize,
    /// The last txn the log holds.
    pub last_zxid: Zxid,
}

impl TxnLogWriter {
    /// A writer for `directory` (created when missing) whose next txn must follow `last_zxid`,
    /// the last zxid recovery found in the log or snapshots.
    pub fn open(
        directory: &Path,
        options: TxnLogOptions,
        last_zxid: Zxid,
    ) -> Result<TxnLogWriter, StorageError> {
        create_directory(directory)?;
        Ok(TxnLogWriter {
            directory: directory.to_path_buf(),
            options,
            current: None,
            last_zxid,
            failure: None,
            pending: Vec::new(),
        })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The last txn accepted, which is durable whenever no batch is open.
    pub fn last_zxid(&self) -> Zxid {
        self.last_zxid
    }

    /// The file the next batch goes to, if one is open.
    pub fn current_file(&self) -> Option<&Path> {
        self.current.as_ref().map(|open| open.path.as_path())
    }

    /// Fails when an earlier write or sync failed.
    pub fn check_usable(&self) -> Result<(), StorageError> {
        match &self.failure {
            None => Ok(()),
            Some(cause) => Err(StorageError::WriterFailed {
                path: self
                    .current
                    .as_ref()
                    .map_or_else(|| self.directory.clone(), |open| open.path.clone()),
                cause: cause.clone(),
            }),
        }
    }

    /// Starts a group of appends made durable together.
    pub fn batch(&mut self) -> LogBatch<'_> {
        debug_assert!(
            self.pending.is_empty(),
            "records left over from an earlier batch"
        );
        self.pending.clear();
        let last_zxid = self.last_zxid;
        LogBatch {
            writer: self,
            txns: 0,
            first_zxid: None,
            last_zxid,
            finished: false,
        }
    }

    /// Closes the current file: the next batch starts `log.<its first zxid>`. The caller rolls
    /// after snapCount txns, when it takes a snapshot.
    pub fn roll(&mut self) {
        self.current = None;
    }

    /// Drops every logged txn after `zxid` (ZooKeeper's TRUNC), across files; the next batch
    /// starts a new file. Snapshots newer than `zxid` hold the dropped txns too:
    /// [`crate::storage::Storage::truncate_after`] removes them first.
    pub fn truncate_after(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        self.check_usable()?;
        self.current = None;
        truncate_log_after(&self.directory, zxid, self.options.entry_bytes_max)?;
        self.last_zxid = self.last_zxid.min(zxid);
        Ok(())
    }

    fn open_new_file(&mut self, first_zxid: Zxid) -> Result<(), StorageError> {
        let path = self.directory.join(log_file_name(first_zxid));
        // A file of that name can only be left over from a start that crashed before its first
        // record was synced; one that holds a record means the caller's last zxid was wrong.
        if path.exists() && holds_a_record(&path, self.options.entry_bytes_max)? {
            return Err(StorageError::LogFileExists { path });
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(io_error("creating", &path))?;
        let header = FileHeader {
            magic: FileHeader::TXN_LOG_MAGIC,
            version: FileHeader::VERSION,
            dbid: self.options.dbid,
        };
        let header = jute::to_vec(&header).expect("a file header always encodes");
        file.write_all_at(&header, 0)
            .map_err(io_error("writing the header of", &path))?;
        tracing::info!(file = %path.display(), "started a new txn log file");
        self.current = Some(OpenLog {
            path,
            file,
            end: FILE_HEADER_BYTES,
            size: FILE_HEADER_BYTES,
            directory_entry_synced: false,
        });
        Ok(())
    }

    /// Writes and syncs the pending records; `first_zxid` names a new file if one is needed.
    fn write_pending(&mut self, first_zxid: Zxid) -> Result<(), StorageError> {
        if self.current.is_none() {
            self.open_new_file(first_zxid)?;
        }
        let open = self.current.as_mut().expect("opened above");
        let end = open.end + self.pending.len() as u64;
        let step = self.options.preallocation_bytes;
        if step > 0 {
            let mut size = padded_file_size(open.end, open.size, step);
            // A batch longer than the room left needs more than ZooKeeper's one step per txn.
            while size < end {
                size = padded_file_size(end, size, step);
            }
            if size != open.size {
                // Growing the file ahead of the records keeps the size update out of most
                // fdatasyncs; the new space reads as zeros, which readers take as the end.
                open.file
                    .set_len(size)
                    .map_err(io_error("preallocating", &open.path))?;
                open.size = size;
            }
        }
        open.file
            .write_all_at(&self.pending, open.end)
            .map_err(io_error("writing", &open.path))?;
        open.file
            .sync_data()
            .map_err(io_error("syncing", &open.path))?;
        if !open.directory_entry_synced {
            sync_directory(&self.directory)?;
            open.directory_entry_synced = true;
        }
        open.end = end;
        open.size = open.size.max(end);
        Ok(())
    }
}

/// Whether the log file at `path` holds at least one readable record.
fn holds_a_record(path: &Path, entry_bytes_max: usize) -> Result<bool, StorageError> {
    let file = File::open(path).map_err(io_error("opening", path))?;
    let length = file
        .metadata()
        .map_err(io_error("reading metadata of", path))?
        .len();
    if length <= FILE_HEADER_BYTES {
        return Ok(false);
    }
    let mut records =
        RecordReader::new(file, length, entry_bytes_max).map_err(io_error("reading", path))?;
    let first = records.next().map_err(io_error("reading", path))?;
    Ok(matches!(first, Next::Record { .. } | Next::TooLarge { .. }))
}

/// Appends that become durable together when [`LogBatch::sync`] returns.
#[must_use = "appended txns reach the disk only through sync(); dropping the batch discards them"]
pub struct LogBatch<'w> {
    writer: &'w mut TxnLogWriter,
    txns: usize,
    /// Names the file when the batch starts one.
    first_zxid: Option<Zxid>,
    last_zxid: Zxid,
    finished: bool,
}

impl LogBatch<'_> {
    /// Encodes `txn` into the batch. Not durable, not even written, until `sync` returns.
    pub fn append(&mut self, txn: &Prepared) -> Result<(), StorageError> {
        self.writer.check_usable()?;
        let zxid = txn.header.zxid;
        if zxid <= self.last_zxid {
            return Err(StorageError::AppendOutOfOrder {
                directory: self.writer.directory.clone(),
                zxid,
                last: self.last_zxid,
            });
        }
        let entry = TxnEntry::from_model(&txn.header, &txn.txn, None)
            .encode()
            .map_err(|source| StorageError::Encode {
                directory: self.writer.directory.clone(),
                zxid,
                source,
            })?;
        let limit = self.writer.options.entry_bytes_max;
        if entry.len() > limit {
            return Err(StorageError::TxnTooLarge {
                directory: self.writer.directory.clone(),
                zxid,
                length: entry.len(),
                limit,
            });
        }
        encode_record(&entry, &mut self.writer.pending);
        self.first_zxid.get_or_insert(zxid);
        self.txns += 1;
        self.last_zxid = zxid;
        Ok(())
    }

    /// The txns appended so far.
    pub fn len(&self) -> usize {
        self.txns
    }

    pub fn is_empty(&self) -> bool {
        self.txns == 0
    }

    /// Writes the batch and waits until the disk holds it. On failure the writer stops for
    /// good (see the module documentation).
    pub fn sync(mut self) -> Result<Synced, StorageError> {
        self.finished = true;
        let writer = &mut *self.writer;
        writer.check_usable()?;
        let Some(first_zxid) = self.first_zxid else {
            return Ok(Synced {
                txns: 0,
                last_zxid: writer.last_zxid,
            });
        };
        let written = writer.write_pending(first_zxid);
        writer.pending.clear();
        if let Err(error) = written {
            writer.failure = Some(error.to_string());
            return Err(error);
        }
        writer.last_zxid = self.last_zxid;
        Ok(Synced {
            txns: self.txns,
            last_zxid: self.last_zxid,
        })
    }
}

impl Drop for LogBatch<'_> {
    fn drop(&mut self) {
        if !self.finished && self.txns > 0 {
            tracing::warn!(
                txns = self.txns,
                "a txn log batch was dropped without sync; its txns were never written"
            );
        }
        if !self.finished {
            self.writer.pending.clear();
        }
    }
}
