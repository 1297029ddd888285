//! ZooKeeper's txn log (`FileTxnLog`): files `log.<zxid hex>` in `dataLogDir/version-2`, each
//! named after its first txn.
//!
//! # Format
//! A 16-byte `FileHeader` (magic "ZKLG", version 2, dbid; ZooKeeper writes dbid 0), then one
//! record per txn:
//!
//! | field | bytes |
//! |---|---|
//! | Adler-32 of the entry, as a jute long | 8 |
//! | entry length, as a jute int | 4 |
//! | entry: `TxnHeader`, the txn record, and from 3.6 a `TxnDigest` | length |
//! | end of record, `'B'` (0x42) | 1 |
//!
//! Files are preallocated: whenever the written end comes within 4 KiB of the file's size, the
//! file grows by `zookeeper.preAllocSize` (64 MiB by default), and the new space reads as
//! zeros. ZooKeeper's reader takes a zero length for the end of the file, which is where
//! preallocated space begins. [`padded_file_size`] is `FilePadding`'s sizing rule, applied before
//! each batch as ZooKeeper applies it before each txn.
//!
//! # Torn tails and corruption
//! A crash during a write can leave the last records of the file being written partial, or
//! zeros where a record should be, or a record whose checksum fails. None of them was synced, so
//! none was acknowledged: recovery cuts the file at the first unreadable record. An unreadable
//! record with a readable one after it in the same file is different: that is a synced record
//! gone bad, and reading stops there with an error naming the file and offset rather than skip
//! anything (ZooKeeper itself would stop at a zero-length record and silently ignore what
//! follows it).

mod reader;
mod record;
mod truncate;
mod writer;

pub use reader::{LoggedTxn, TornTail, TxnLogReader};
pub use record::{encode_record, END_OF_RECORD, RECORD_OVERHEAD_BYTES};
pub use truncate::truncate_log_after;
pub use writer::{LogBatch, Synced, TxnLogWriter};

/// `FileHeader`: magic, version, dbid.
pub const FILE_HEADER_BYTES: u64 = 16;
/// `zookeeper.preAllocSize`'s default, 65536 KiB.
pub const DEFAULT_PREALLOCATION_BYTES: u64 = 64 * 1024 * 1024;
/// The dbid ZooKeeper writes in txn log headers (`FileTxnLog.dbId` is never set).
pub const ZOOKEEPER_TXN_LOG_DBID: i64 = 0;
/// `jute.maxbuffer` plus `zookeeper.jute.maxbuffer.extrasize` at their defaults: the longest
/// buffer ZooKeeper's `BinaryInputArchive` reads, and so the longest txn entry it can read back.
pub const DEFAULT_BUFFER_BYTES_MAX: usize = 2 * 0xfffff;

/// Settings of the txn log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnLogOptions {
    /// Growth step of a log file (`zookeeper.preAllocSize`, which ZooKeeper reads in KiB); 0
    /// turns preallocation off.
    pub preallocation_bytes: u64,
    /// The longest txn entry written or read: longer ones are refused on append (no ZooKeeper
    /// could read them back) and reported on read.
    pub entry_bytes_max: usize,
    /// The dbid written in the header of new files.
    pub dbid: i64,
}

impl Default for TxnLogOptions {
    fn default() -> Self {
        TxnLogOptions {
            preallocation_bytes: DEFAULT_PREALLOCATION_BYTES,
            entry_bytes_max: DEFAULT_BUFFER_BYTES_MAX,
            dbid: ZOOKEEPER_TXN_LOG_DBID,
        }
    }
}

/// `FilePadding.calculateFileSizeWithPadding`: the size a log file must have before a write at
/// `position`, given its current size: unchanged while the position stays more than 4 KiB below
/// the size, else one more preallocation step (rounded to whole steps when writes overshot the
/// size). Always `file_size` without preallocation.
pub fn padded_file_size(position: u64, file_size: u64, preallocation_bytes: u64) -> u64 {
    if preallocation_bytes == 0 || position + 4096 < file_size {
        return file_size;
    }
    if position > file_size {
        let size = position + preallocation_bytes;
        size - size % preallocation_bytes
    } else {
        file_size + preallocation_bytes
    }
}
