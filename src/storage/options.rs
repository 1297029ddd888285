//! Settings of the storage layer, with ZooKeeper's defaults.

use super::snapshot::ZOOKEEPER_SNAPSHOT_DBID;
use super::txn_log::{
    TxnLogOptions, DEFAULT_BUFFER_BYTES_MAX, DEFAULT_PREALLOCATION_BYTES, ZOOKEEPER_TXN_LOG_DBID,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageOptions {
    /// Growth step of txn log files (`zookeeper.preAllocSize`, in KiB there); 0 for none.
    pub preallocation_bytes: u64,
    /// The longest txn entry, snapshot string or snapshot data buffer read or written
    /// (`jute.maxbuffer` + `zookeeper.jute.maxbuffer.extrasize`).
    pub buffer_bytes_max: usize,
    /// The dbid in the header of new txn log files.
    pub txn_log_dbid: i64,
    /// The dbid in the header of new snapshots.
    pub snapshot_dbid: i64,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            preallocation_bytes: DEFAULT_PREALLOCATION_BYTES,
            buffer_bytes_max: DEFAULT_BUFFER_BYTES_MAX,
            txn_log_dbid: ZOOKEEPER_TXN_LOG_DBID,
            snapshot_dbid: ZOOKEEPER_SNAPSHOT_DBID,
        }
    }
}

impl StorageOptions {
    pub fn txn_log(&self) -> TxnLogOptions {
        TxnLogOptions {
            preallocation_bytes: self.preallocation_bytes,
            entry_bytes_max: self.buffer_bytes_max,
            dbid: self.txn_log_dbid,
        }
    }
}
