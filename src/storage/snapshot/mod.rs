//! ZooKeeper's snapshots (`FileSnap`): files `snapshot.<zxid hex>` in `dataDir/version-2`.
//!
//! # Format
//! Everything is jute, read and written through an Adler-32 that covers every byte before each
//! seal (`SnapStream`'s `CheckedOutputStream`):
//!
//! 1. `FileHeader`: magic "ZKSN", version 2, dbid (ZooKeeper writes -1).
//! 2. Sessions (`SerializeUtils.serializeSnapshot`): an int count, then per session its id
//!    (long) and timeout (int).
//! 3. The ACL cache (`ReferenceCountedACLCache.serialize`): an int count, then per entry its
//!    reference (long) and its `vector<ACL>`. Reference -1 means `world:anyone` with every
//!    permission and is never stored in the map.
//! 4. The nodes (`DataTree.serializeNode`), parents before children: the path (the root's is
//!    the empty string), then the `DataNode`: data (buffer), ACL reference (long),
//!    `StatPersisted`. The string "/" ends the list.
//! 5. A seal: the checksum so far as a long, then the string "/".
//! 6. From ZooKeeper 3.6 with digests enabled (the default): the tree digest and the zxid it
//!    belongs to (`ZxidDigest`: zxid long, digest version int, digest long; before version 2
//!    the digest is a hex string), then a second seal. Older snapshots end after the first.
//!
//! `snapshot.<zxid>.gz` and `.snappy` are compressed forms, which this module refuses to read.
//!
//! # Fuzzy snapshots
//! ZooKeeper serializes its tree while txns keep applying, so a snapshot named `zxid` may hold
//! effects of later txns; replaying the log from `zxid + 1` over it converges because applying
//! a txn whose effect is already there is harmless (the core's `DataTree::apply` tolerates it
//! the way ZooKeeper's does). Snapshots written here are not fuzzy: the caller hands a
//! consistent [`Database`] and the zxid it reflects, and replaying txns after that zxid over it
//! is plain replay.

mod read;
mod write;

pub use read::read_snapshot;
pub use write::write_snapshot;

use super::digest::RecordedDigest;
use zabkeeper_models::replica::Database;
use zabkeeper_models::Zxid;

/// The dbid ZooKeeper writes in snapshot headers (`FileSnap.dbId`).
pub const ZOOKEEPER_SNAPSHOT_DBID: i64 = -1;
/// The ACL reference of `world:anyone` with every permission, outside the ACL map.
pub const OPEN_ACL_UNSAFE_REFERENCE: i64 = -1;
/// The string that ends the node list and every seal.
const END_MARKER: &str = "/";

/// A snapshot as read from disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The zxid in the file name: every txn up to it is in the database.
    pub zxid: Zxid,
    pub dbid: i64,
    pub database: Database,
    /// The digest section, when the snapshot has one with a non-zero zxid (ZooKeeper writes
    /// zxid 0 when it knew no digest, and ignores that).
    pub digest: Option<RecordedDigest>,
}

/// Compression a snapshot file name announces by its last extension, as
/// `SnapStream.getStreamMode` reads it.
pub fn compression_of(extension: Option<&str>) -> Option<&'static str> {
    let last = extension?.rsplit('.').next()?;
    if last.eq_ignore_ascii_case("gz") {
        Some("gzip")
    } else if last.eq_ignore_ascii_case("snappy") {
        Some("snappy")
    } else {
        None
    }
}
