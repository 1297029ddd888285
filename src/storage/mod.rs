//! Storage in Apache ZooKeeper's own `version-2` formats, so that data directories move between
//! Zabkeeper and ZooKeeper 3.8 in both directions.
//!
//! - [`txn_log`]: `log.<zxid>` files, written in group-committed batches ([`LogBatch`]: nothing
//!   is durable before its `sync` returns), read back in order, cut after a zxid (TRUNC).
//! - [`snapshot`]: `snapshot.<zxid>` files holding the sessions and the whole tree.
//! - [`EpochFiles`]: `acceptedEpoch` and `currentEpoch`.
//! - [`load`]: recovery, the newest valid snapshot with the log replayed over it through the
//!   core; torn tails cut, corruption reported with file and offset, never skipped.
//! - [`purge`]: autopurge, ZooKeeper's rules.
//! - [`DirectoryGuard`]: what autopurge's thread and truncation hold so that neither deletes
//!   files on the strength of a listing the other made stale.
//! - [`Storage`]: all of it for one server, with the write order of a core `Save`
//!   ([`Storage::persist`]: txns synced, then `acceptedEpoch`, then `currentEpoch`).
//! - [`Durability`]: what the server's core asks of its disk, a models `PersistPlan` performed
//!   step by step; `Storage` is the production one.
//!
//! Snapshots and epoch files live in `dataDir/version-2`, txn logs in `dataLogDir/version-2`
//! (often the same directory). Every format fact here was checked against ZooKeeper 3.8's
//! sources; each module names the classes it follows.

pub(crate) mod applicable;
pub mod digest;
mod directory_guard;
mod durability;
mod epoch;
mod error;
mod files;
mod options;
mod purge;
mod recovery;
pub mod snapshot;
mod store;
pub mod txn_log;

pub use digest::DigestCheck;
pub use directory_guard::{DirectoryGuard, DirectoryLock};
pub use durability::Durability;
pub use epoch::{EpochFiles, ACCEPTED_EPOCH_FILE, CURRENT_EPOCH_FILE};
pub use error::StorageError;
pub use files::{log_file_name, snapshot_file_name, VERSION_DIRECTORY};
pub use options::StorageOptions;
pub use purge::{purge, PurgeReport, RETAIN_COUNT_MIN};
pub use recovery::{load, load_with, Recovered};
pub use store::{DiskWork, Storage};
pub use txn_log::{LogBatch, Synced, TxnLogWriter};

#[cfg(test)]
mod tests;
