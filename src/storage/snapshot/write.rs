//! Writing a snapshot: to `snapshot.<zxid>.tmp`, fsynced, renamed over `snapshot.<zxid>`, and the
//! directory fsynced, so a crash leaves either no snapshot or a complete one under that name.

use super::END_MARKER;
use crate::proto::jute;
use crate::proto::records::{self as wire, FileHeader};
use crate::storage::digest::{tree_digest, DIGEST_VERSION};
use crate::storage::error::{io_error, StorageError};
use crate::storage::files::{snapshot_file_name, sync_directory, TEMPORARY_EXTENSION};
use serde::Serialize;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use zabkeeper_models::replica::Database;
use zabkeeper_models::tree::Acl;
use zabkeeper_models::Zxid;

/// Writes `database`, the state after txn `zxid`, as `directory/snapshot.<zxid>` and returns
/// its path. `dbid` goes into the header ([`super::ZOOKEEPER_SNAPSHOT_DBID`] is what ZooKeeper
/// writes). The digest section carries the tree digest at `zxid`, which ZooKeeper checks when
/// it loads the snapshot.
pub fn write_snapshot(
    directory: &Path,
    database: &Database,
    zxid: Zxid,
    dbid: i64,
) -> Result<PathBuf, StorageError> {
    let name = snapshot_file_name(zxid);
    let target = directory.join(&name);
    let temporary = directory.join(format!("{name}.{TEMPORARY_EXTENSION}"));
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temporary)
        .map_err(io_error("creating", &temporary))?;
    let mut out = SnapshotWriter {
        output: BufWriter::with_capacity(1 << 20, file),
        checksum: adler::Adler32::new(),
        path: temporary.clone(),
        scratch: Vec::new(),
    };
    out.record(&FileHeader {
        magic: FileHeader::SNAPSHOT_MAGIC,
        version: FileHeader::VERSION,
        dbid,
    })?;
    out.count(database.sessions.len(), "sessions")?;
    for (session, timeout_ms) in &database.sessions {
        out.record(&session.0)?;
        out.record(timeout_ms)?;
    }
    let acl_references = write_acl_cache(&mut out, database)?;
    for (path, node) in database.tree.iter() {
        // The root is "" in ZooKeeper's node map, and so in its snapshots.
        out.record(if path == "/" { "" } else { path })?;
        // A null buffer is written as length -1, as ZooKeeper writes it.
        out.record(&node.data.as_deref().map(serde_bytes::Bytes::new))?;
        out.record(&acl_references[&node.acl])?;
        out.record(&wire::StatPersisted::from(&node.persisted_stat))?;
    }
    out.record(END_MARKER)?;
    out.seal()?;
    out.record(&(zxid.0 as i64))?;
    out.record(&DIGEST_VERSION)?;
    out.record(&tree_digest(&database.tree))?;
    out.seal()?;
    let file = out
        .output
        .into_inner()
        .map_err(|error| io_error("writing", &temporary)(error.into_error()))?;
    file.sync_all().map_err(io_error("syncing", &temporary))?;
    drop(file);
    fs::rename(&temporary, &target).map_err(io_error("renaming into place", &target))?;
    sync_directory(directory)?;
    tracing::info!(file = %target.display(), %zxid, "wrote a snapshot");
    Ok(target)
}

/// Writes the ACL map, one reference per distinct ACL list numbered from 1 in tree order, as
/// ZooKeeper's cache numbers them; returns the reference of each list. Every list gets an entry,
/// `world:anyone` included: ZooKeeper only writes -1 for nodes it never gave a list.
fn write_acl_cache<'d>(
    out: &mut SnapshotWriter,
    database: &'d Database,
) -> Result<HashMap<&'d Vec<Acl>, i64>, StorageError> {
    let mut references: HashMap<&Vec<Acl>, i64> = HashMap::new();
    let mut in_order: Vec<&Vec<Acl>> = Vec::new();
    for (_, node) in database.tree.iter() {
        if !references.contains_key(&node.acl) {
            references.insert(&node.acl, in_order.len() as i64 + 1);
            in_order.push(&node.acl);
        }
    }
    out.count(in_order.len(), "distinct ACL lists")?;
    for acl in in_order {
        out.record(&references[acl])?;
        let entries: Vec<wire::Acl> = acl.iter().map(wire::Acl::from).collect();
        out.record(&entries)?;
    }
    Ok(references)
}

/// A buffered snapshot file with the running Adler-32 of everything written.
struct SnapshotWriter {
    output: BufWriter<File>,
    checksum: adler::Adler32,
    path: PathBuf,
    /// Reused to encode one record at a time.
    scratch: Vec<u8>,
}

impl SnapshotWriter {
    fn record<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), StorageError> {
        self.scratch.clear();
        jute::to_writer(&mut self.scratch, value).map_err(|source| {
            StorageError::SnapshotEncode {
                path: self.path.clone(),
                source,
            }
        })?;
        self.checksum.write_slice(&self.scratch);
        self.output
            .write_all(&self.scratch)
            .map_err(io_error("writing", &self.path))
    }

    /// A jute int count.
    fn count(&mut self, count: usize, what: &'static str) -> Result<(), StorageError> {
        let count = i32::try_from(count).map_err(|_| StorageError::TooManyToSnapshot {
            path: self.path.clone(),
            count,
            what,
        })?;
        self.record(&count)
    }

    /// The checksum of everything so far, then "/" (`SnapStream.sealStream`).
    fn seal(&mut self) -> Result<(), StorageError> {
        let checksum = i64::from(self.checksum.checksum());
        self.record(&checksum)?;
        self.record(END_MARKER)
    }
}
