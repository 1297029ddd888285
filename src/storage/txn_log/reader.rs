//! Reading logged txns in zxid order across files (`FileTxnLog.FileTxnIterator`).

use super::record::{find_record_after, Next, RecordReader};
use super::{TxnLogOptions, FILE_HEADER_BYTES};
use crate::proto::records::{FileHeader, TxnDigest};
use crate::proto::txn_entry::TxnEntry;
use crate::storage::error::{io_error, StorageError};
use crate::storage::files::{list_named, NamedFile, LOG_PREFIX};
use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use zabkeeper_models::request::Prepared;
use zabkeeper_models::Zxid;

/// One txn as the log holds it, with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedTxn {
    pub txn: Prepared,
    /// The tree digest ZooKeeper logged after the txn (absent for error txns and in logs
    /// written without digests, such as ours).
    pub digest: Option<TxnDigest>,
    pub path: PathBuf,
    /// Where the record starts in the file.
    pub offset: u64,
}

/// The unreadable end of a log file: a write that a crash interrupted. Nothing readable follows
/// it in that file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    pub path: PathBuf,
    /// Where the file stops being readable; 0 when even the file header is incomplete.
    pub offset: u64,
    pub reason: String,
}

/// Iterates over the logged txns with zxid at least `from`, file after file. A torn tail ends
/// its file (see [`TxnLogReader::torn_tails`]); an unreadable record followed by a readable one,
/// a record that does not decode, or zxids that do not increase end the iteration with an
/// error. Reading never changes a file.
pub struct TxnLogReader {
    files: VecDeque<NamedFile>,
    current: Option<OpenFile>,
    from: Zxid,
    previous: Option<Zxid>,
    options: TxnLogOptions,
    torn_tails: Vec<TornTail>,
    files_opened: Vec<PathBuf>,
    finished: bool,
}

struct OpenFile {
    path: PathBuf,
    file: File,
    length: u64,
    records: RecordReader,
}

impl TxnLogReader {
    /// Reads the log files in `directory` (a `version-2` directory) that can hold txns from
    /// `from` on: the newest file named at or before `from` and every later one, as
    /// `FileTxnLog.getLogFiles` picks them. Only plain `log.<hex>` names count.
    pub fn open(
        directory: &Path,
        from: Zxid,
        options: TxnLogOptions,
    ) -> Result<TxnLogReader, StorageError> {
        let files: Vec<NamedFile> = list_named(directory, LOG_PREFIX)?
            .into_iter()
            .filter(|file| file.extension.is_none())
            .collect();
        let first = files
            .iter()
            .rposition(|file| file.zxid <= from)
            .unwrap_or(0);
        Ok(TxnLogReader {
            files: files.into_iter().skip(first).collect(),
            current: None,
            from,
            previous: None,
            options,
            torn_tails: Vec::new(),
            files_opened: Vec::new(),
            finished: false,
        })
    }

    /// The torn tails met so far, in file order.
    pub fn torn_tails(&self) -> &[TornTail] {
        &self.torn_tails
    }

    /// Every file opened so far, in order.
    pub fn files_opened(&self) -> &[PathBuf] {
        &self.files_opened
    }

    /// Opens the next file, checking its header. `Ok(None)` when no file is left.
    fn open_next_file(&mut self) -> Result<Option<OpenFile>, StorageError> {
        while let Some(named) = self.files.pop_front() {
            let path = named.path;
            let mut file = File::open(&path).map_err(io_error("opening", &path))?;
            self.files_opened.push(path.clone());
            let length = file
                .metadata()
                .map_err(io_error("reading metadata of", &path))?
                .len();
            let mut header = [0u8; FILE_HEADER_BYTES as usize];
            let header_length = length.min(FILE_HEADER_BYTES) as usize;
            file.read_exact(&mut header[..header_length])
                .map_err(io_error("reading", &path))?;
            if header_length < FILE_HEADER_BYTES as usize {
                self.torn_tails.push(TornTail {
                    path,
                    offset: 0,
                    reason: format!("file of {length} bytes has no complete header"),
                });
                continue;
            }
            let decoded: FileHeader = crate::proto::jute::from_slice(&header)
                .expect("16 bytes always decode as a file header");
            if decoded.magic != FileHeader::TXN_LOG_MAGIC {
                if header.iter().all(|byte| *byte == 0) && is_all_zero(&file, length, &path)? {
                    // Created, sized, and then the crash came before the header reached disk.
                    self.torn_tails.push(TornTail {
                        path,
                        offset: 0,
                        reason: "file holds only zeros".into(),
                    });
                    continue;
                }
                return Err(StorageError::BadMagic {
                    path,
                    expected: "txn log",
                    magic: decoded.magic,
                });
            }
            if decoded.version != FileHeader::VERSION {
                return Err(StorageError::UnsupportedVersion {
                    path,
                    version: decoded.version,
                });
            }
            let records = RecordReader::new(
                file.try_clone().map_err(io_error("opening", &path))?,
                length,
                self.options.entry_bytes_max,
            )
            .map_err(io_error("reading", &path))?;
            return Ok(Some(OpenFile {
                path,
                file,
                length,
                records,
            }));
        }
        Ok(None)
    }

    /// The next txn of the current file, `Ok(None)` at its end.
    fn next_in_file(&mut self, open: &mut OpenFile) -> Result<Option<LoggedTxn>, StorageError> {
        loop {
            let next = open
                .records
                .next()
                .map_err(io_error("reading", &open.path))?;
            let (offset, entry) = match next {
                Next::Record { offset, entry } => (offset, entry),
                Next::End { .. } => return Ok(None),
                Next::TooLarge { offset, length } => {
                    return Err(StorageError::RecordTooLarge {
                        path: open.path.clone(),
                        offset,
                        length,
                        limit: self.options.entry_bytes_max,
                    })
                }
                Next::Unreadable { offset, reason } => {
                    let found = find_record_after(
                        &open.file,
                        offset,
                        open.length,
                        self.options.entry_bytes_max,
                    )
                    .map_err(io_error("reading", &open.path))?;
                    if let Some(next_valid_offset) = found {
                        return Err(StorageError::CorruptRecord {
                            path: open.path.clone(),
                            offset,
                            reason,
                            next_valid_offset,
                        });
                    }
                    self.torn_tails.push(TornTail {
                        path: open.path.clone(),
                        offset,
                        reason,
                    });
                    return Ok(None);
                }
            };
            let logged = decode(&open.path, offset, &entry)?;
            let zxid = logged.txn.header.zxid;
            if let Some(previous) = self.previous {
                if zxid <= previous {
                    return Err(StorageError::OutOfOrder {
                        path: open.path.clone(),
                        offset,
                        zxid,
                        previous,
                    });
                }
            }
            self.previous = Some(zxid);
            if zxid >= self.from {
                return Ok(Some(logged));
            }
        }
    }

    fn advance(&mut self) -> Result<Option<LoggedTxn>, StorageError> {
        loop {
            let mut open = match self.current.take() {
                Some(open) => open,
                None => match self.open_next_file()? {
                    Some(open) => open,
                    None => return Ok(None),
                },
            };
            if let Some(logged) = self.next_in_file(&mut open)? {
                self.current = Some(open);
                return Ok(Some(logged));
            }
        }
    }
}

impl Iterator for TxnLogReader {
    type Item = Result<LoggedTxn, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.advance() {
            Ok(Some(logged)) => Some(Ok(logged)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(error) => {
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}

/// Decodes a record whose checksum held: a failure here is a format problem, not a torn write.
fn decode(path: &Path, offset: u64, entry: &[u8]) -> Result<LoggedTxn, StorageError> {
    let undecodable = |reason: String| StorageError::UndecodableRecord {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let decoded = TxnEntry::decode(entry).map_err(|error| undecodable(error.to_string()))?;
    if decoded.header.zxid < 0 {
        return Err(undecodable(format!(
            "negative zxid {}",
            decoded.header.zxid
        )));
    }
    let (header, txn) = decoded
        .to_model()
        .map_err(|error| undecodable(error.to_string()))?;
    Ok(LoggedTxn {
        txn: Prepared { header, txn },
        digest: decoded.digest,
        path: path.to_path_buf(),
        offset,
    })
}

/// Whether the rest of `file`, from where it was read to, holds only zeros.
fn is_all_zero(file: &File, length: u64, path: &Path) -> Result<bool, StorageError> {
    let mut reader = std::io::BufReader::new(file);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut read_total = 0u64;
    while read_total < length {
        let read =
            std::io::Read::read(&mut reader, &mut chunk).map_err(io_error("reading", path))?;
        if read == 0 {
            break;
        }
        if chunk[..read].iter().any(|byte| *byte != 0) {
            return Ok(false);
        }
        read_total += read as u64;
    }
    Ok(true)
}
