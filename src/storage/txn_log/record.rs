//! One log record: encoding, and reading the next one from a file while telling apart a record,
//! the end of the log, and bytes that are not a record.

use super::FILE_HEADER_BYTES;
use crate::proto::txn_entry::TxnEntry;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

/// The byte after every entry (`Util.writeTxnBytes` writes 0x42).
pub const END_OF_RECORD: u8 = b'B';
/// Checksum (8), length (4) and end byte (1) around each entry.
pub const RECORD_OVERHEAD_BYTES: u64 = 13;
const RECORD_HEAD_BYTES: u64 = 12;
/// Reads of the record scanner: large enough to cross zero runs quickly.
const SCAN_CHUNK_BYTES: usize = 1 << 20;

/// Appends the record of `entry` (the encoded TxnHeader, txn and digest) to `out`.
pub fn encode_record(entry: &[u8], out: &mut Vec<u8>) {
    let length = i32::try_from(entry.len()).expect("callers bound entries far below 2 GiB");
    out.extend_from_slice(&u64::from(adler::adler32_slice(entry)).to_be_bytes());
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(entry);
    out.push(END_OF_RECORD);
}

/// What the bytes at a record boundary hold.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    Record {
        offset: u64,
        entry: Vec<u8>,
    },
    /// Nothing but zeros from `offset` to the end of the file (or nothing at all).
    End {
        offset: u64,
    },
    /// Not a record: partial, zeroed, or failing its checksum.
    Unreadable {
        offset: u64,
        reason: String,
    },
    /// A complete record with a valid checksum, longer than the configured limit.
    TooLarge {
        offset: u64,
        length: u64,
    },
}

/// Reads records front to back from one file, after its header.
pub(super) struct RecordReader {
    input: BufReader<File>,
    position: u64,
    length: u64,
    entry_bytes_max: usize,
}

impl RecordReader {
    /// Reads `file` (of `length` bytes) from the first record on.
    pub fn new(mut file: File, length: u64, entry_bytes_max: usize) -> io::Result<RecordReader> {
        // Positioned explicitly: a cloned handle shares the offset of the one it came from.
        file.seek(SeekFrom::Start(FILE_HEADER_BYTES))?;
        Ok(RecordReader {
            input: BufReader::new(file),
            position: FILE_HEADER_BYTES,
            length,
            entry_bytes_max,
        })
    }

    fn read_exact(&mut self, buffer: &mut [u8]) -> io::Result<()> {
        self.input.read_exact(buffer)?;
        self.position += buffer.len() as u64;
        Ok(())
    }

    /// Reads the rest of the file and tells whether it is all zeros.
    fn rest_is_zero(&mut self) -> io::Result<bool> {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let read = self.input.read(&mut chunk)?;
            if read == 0 {
                return Ok(true);
            }
            self.position += read as u64;
            if chunk[..read].iter().any(|byte| *byte != 0) {
                return Ok(false);
            }
        }
    }

    /// Streams over an entry too long to hold, checking its checksum and end byte.
    fn is_valid_unheld(&mut self, length: u64, checksum: u64) -> io::Result<bool> {
        let mut adler = adler::Adler32::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut left = length;
        while left > 0 {
            let take = left.min(chunk.len() as u64) as usize;
            self.read_exact(&mut chunk[..take])?;
            adler.write_slice(&chunk[..take]);
            left -= take as u64;
        }
        let mut end = [0u8; 1];
        self.read_exact(&mut end)?;
        Ok(end[0] == END_OF_RECORD && u64::from(adler.checksum()) == checksum)
    }

    /// The next record, the end, or what stands in the way.
    pub fn next(&mut self) -> io::Result<Next> {
        let offset = self.position;
        let remaining = self.length.saturating_sub(offset);
        if remaining < RECORD_HEAD_BYTES {
            let mut rest = vec![0u8; remaining as usize];
            self.read_exact(&mut rest)?;
            return Ok(if rest.iter().all(|byte| *byte == 0) {
                Next::End { offset }
            } else {
                Next::Unreadable {
                    offset,
                    reason: format!("{remaining} bytes left, too few for a record"),
                }
            });
        }
        let mut head = [0u8; RECORD_HEAD_BYTES as usize];
        self.read_exact(&mut head)?;
        let checksum = u64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
        let length = i32::from_be_bytes(head[8..].try_into().expect("4 bytes"));
        let unreadable = |reason: String| Ok(Next::Unreadable { offset, reason });
        if length == 0 {
            // ZooKeeper's end of log: preallocated space reads as a zero-length entry.
            if checksum == 0 && self.rest_is_zero()? {
                return Ok(Next::End { offset });
            }
            return unreadable("zero-length record before non-zero bytes".into());
        }
        if length < 0 {
            return unreadable(format!("negative record length {length}"));
        }
        let length = length as u64;
        if length + 1 > remaining - RECORD_HEAD_BYTES {
            return unreadable(format!(
                "record of {length} bytes runs past the end of the file"
            ));
        }
        if length > self.entry_bytes_max as u64 {
            if self.is_valid_unheld(length, checksum)? {
                return Ok(Next::TooLarge { offset, length });
            }
            return unreadable("checksum mismatch".into());
        }
        let mut entry = vec![0u8; length as usize];
        self.read_exact(&mut entry)?;
        let mut end = [0u8; 1];
        self.read_exact(&mut end)?;
        if end[0] != END_OF_RECORD {
            return unreadable(format!("end-of-record byte is {:#04x}, not 'B'", end[0]));
        }
        if u64::from(adler::adler32_slice(&entry)) != checksum {
            return unreadable("checksum mismatch".into());
        }
        Ok(Next::Record { offset, entry })
    }
}

/// The offset of the first readable record that starts after `after` in `file` (of `length`
/// bytes): a record with a plausible length, its end byte, a matching checksum and an entry
/// that decodes. Used only after an unreadable record, to tell a torn tail (nothing readable
/// after it) from corruption in the middle of the log.
pub(super) fn find_record_after(
    file: &File,
    after: u64,
    length: u64,
    entry_bytes_max: usize,
) -> io::Result<Option<u64>> {
    let mut window = Window::new(file, length);
    let mut candidate = after + 1;
    while candidate + RECORD_HEAD_BYTES + 2 <= length {
        let Some(head) = window.bytes(candidate, RECORD_HEAD_BYTES as usize)? else {
            break;
        };
        let entry_length = i32::from_be_bytes(head[8..12].try_into().expect("4 bytes"));
        let checksum = u64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
        let plausible = entry_length > 0
            && entry_length as u64 <= entry_bytes_max as u64
            && checksum >> 32 == 0
            && candidate + RECORD_HEAD_BYTES + (entry_length as u64) < length;
        if plausible {
            let entry_start = candidate + RECORD_HEAD_BYTES;
            let end_offset = entry_start + entry_length as u64;
            let end_byte = window.bytes(end_offset, 1)?.map(|byte| byte[0]);
            if end_byte == Some(END_OF_RECORD) {
                if let Some(entry) = window.bytes(entry_start, entry_length as usize)? {
                    if u64::from(adler::adler32_slice(entry)) == checksum
                        && TxnEntry::decode(entry).is_ok()
                    {
                        return Ok(Some(candidate));
                    }
                }
            }
        }
        candidate += 1;
    }
    Ok(None)
}

/// A movable view of a file: keeps a chunk in memory and reads another one when a request
/// falls outside it.
struct Window<'f> {
    file: &'f File,
    length: u64,
    start: u64,
    bytes: Vec<u8>,
}

impl<'f> Window<'f> {
    fn new(file: &'f File, length: u64) -> Window<'f> {
        Window {
            file,
            length,
            start: 0,
            bytes: Vec::new(),
        }
    }

    /// `count` bytes at `offset`, or `None` past the end of the file.
    fn bytes(&mut self, offset: u64, count: usize) -> io::Result<Option<&[u8]>> {
        if offset + count as u64 > self.length {
            return Ok(None);
        }
        let inside =
            offset >= self.start && offset + count as u64 <= self.start + self.bytes.len() as u64;
        if !inside {
            let size = (self.length - offset).min(count.max(SCAN_CHUNK_BYTES) as u64) as usize;
            self.bytes.resize(size, 0);
            self.file.read_exact_at(&mut self.bytes, offset)?;
            self.start = offset;
        }
        let from = (offset - self.start) as usize;
        Ok(Some(&self.bytes[from..from + count]))
    }
}
