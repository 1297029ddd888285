//! Reading a snapshot, streaming: the file is never held whole in memory, every length is
//! checked against the bytes left and the buffer limit before anything is allocated, and any
//! content that is not a snapshot ZooKeeper could have written is an error naming the offset.

use super::{Snapshot, END_MARKER, OPEN_ACL_UNSAFE_REFERENCE};
use crate::proto::jute;
use crate::proto::records::{self as wire, FileHeader};
use crate::storage::applicable::{check_path, is_known_ephemeral_owner};
use crate::storage::digest::RecordedDigest;
use crate::storage::error::{io_error, StorageError};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use zabkeeper_models::replica::Database;
use zabkeeper_models::tree::{Acl, DataTree, Id, StatPersisted};
use zabkeeper_models::{SessionId, Zxid};

const STAT_PERSISTED_BYTES: usize = 60;

/// Reads the snapshot at `path`, whose name says it holds every txn up to `zxid`. Strings and
/// buffers longer than `buffer_bytes_max` are refused, as ZooKeeper's reader refuses them.
pub fn read_snapshot(
    path: &Path,
    zxid: Zxid,
    buffer_bytes_max: usize,
) -> Result<Snapshot, StorageError> {
    let file = File::open(path).map_err(io_error("opening", path))?;
    let length = file
        .metadata()
        .map_err(io_error("reading metadata of", path))?
        .len();
    let mut reader = SnapshotReader {
        input: BufReader::with_capacity(1 << 20, file),
        position: 0,
        length,
        checksum: adler::Adler32::new(),
        buffer_bytes_max,
        path: path.to_path_buf(),
    };
    let header_bytes = reader.take(16, "the file header")?;
    let header: FileHeader = jute::from_slice(&header_bytes).expect("16 bytes decode as a header");
    if header.magic != FileHeader::SNAPSHOT_MAGIC {
        return Err(StorageError::BadMagic {
            path: path.to_path_buf(),
            expected: "snapshot",
            magic: header.magic,
        });
    }
    if header.version != FileHeader::VERSION {
        return Err(StorageError::UnsupportedVersion {
            path: path.to_path_buf(),
            version: header.version,
        });
    }
    let sessions = read_sessions(&mut reader)?;
    let acls = read_acl_cache(&mut reader)?;
    let tree = read_tree(&mut reader, &acls)?;
    reader.seal()?;
    let digest = if reader.position == reader.length {
        None
    } else {
        let digest = read_digest(&mut reader)?;
        reader.seal()?;
        digest
    };
    if reader.position != reader.length {
        return Err(reader.corrupt(
            reader.position,
            format!(
                "{} bytes after the last seal",
                reader.length - reader.position
            ),
        ));
    }
    Ok(Snapshot {
        zxid,
        dbid: header.dbid,
        database: Database { tree, sessions },
        digest,
    })
}

fn read_sessions(reader: &mut SnapshotReader) -> Result<BTreeMap<SessionId, i32>, StorageError> {
    let offset = reader.position;
    let count = reader.count("the session count")?;
    let mut sessions = BTreeMap::new();
    for _ in 0..count {
        let session = SessionId(reader.long("a session id")?);
        let timeout_ms = reader.int("a session timeout")?;
        if sessions.insert(session, timeout_ms).is_some() {
            return Err(reader.corrupt(offset, format!("session {session} is listed twice")));
        }
    }
    Ok(sessions)
}

fn read_acl_cache(reader: &mut SnapshotReader) -> Result<HashMap<i64, Vec<Acl>>, StorageError> {
    let count = reader.count("the ACL cache size")?;
    let mut acls = HashMap::new();
    for _ in 0..count {
        let offset = reader.position;
        let reference = reader.long("an ACL reference")?;
        let entries = reader.count("an ACL list length")?;
        let mut list = Vec::new();
        for _ in 0..entries {
            let perms = reader.int("ACL permissions")?;
            let scheme = reader.required_string("an ACL scheme")?;
            let id = reader.required_string("an ACL id")?;
            list.push(Acl::new(perms, Id::new(&scheme, &id)));
        }
        if acls.insert(reference, list).is_some() {
            return Err(reader.corrupt(
                offset,
                format!("ACL reference {reference} is defined twice"),
            ));
        }
    }
    Ok(acls)
}

/// A node as `DataTree::from_snapshot` takes it.
type SnapshotNode = (String, Option<Vec<u8>>, Vec<Acl>, StatPersisted);

fn read_tree(
    reader: &mut SnapshotReader,
    acls: &HashMap<i64, Vec<Acl>>,
) -> Result<DataTree, StorageError> {
    let start = reader.position;
    let mut nodes = NodeStream {
        reader,
        acls,
        error: None,
        finished: false,
    };
    let tree = DataTree::from_snapshot(&mut nodes);
    if let Some(error) = nodes.error {
        return Err(error);
    }
    tree.map_err(|error| {
        nodes
            .reader
            .corrupt(start, format!("the nodes do not form a tree: {error:?}"))
    })
}

/// Feeds nodes to `DataTree::from_snapshot` as they are read, keeping the first error aside
/// (the iterator then ends, and the error wins over whatever the tree made of the prefix).
struct NodeStream<'r> {
    reader: &'r mut SnapshotReader,
    acls: &'r HashMap<i64, Vec<Acl>>,
    error: Option<StorageError>,
    finished: bool,
}

impl NodeStream<'_> {
    fn read_node(&mut self) -> Result<Option<SnapshotNode>, StorageError> {
        let reader = &mut *self.reader;
        let offset = reader.position;
        let path = reader.required_string("a node path")?;
        if path == END_MARKER {
            return Ok(None);
        }
        let path = if path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        // Only valid paths map one to one onto (parent, child name), which the tree relies on.
        check_path(&path).map_err(|reason| reader.corrupt(offset, reason))?;
        // Null data stays null: ZooKeeper keeps it apart from empty.
        let data = reader.buffer("node data")?;
        let reference = reader.long("an ACL reference")?;
        let acl = match self.acls.get(&reference) {
            Some(acl) => acl.clone(),
            None if reference == OPEN_ACL_UNSAFE_REFERENCE => Acl::open_unsafe(),
            None => {
                return Err(reader.corrupt(
                    offset,
                    format!("node {path} refers to ACL {reference}, which the cache lacks"),
                ))
            }
        };
        let stat_bytes = reader.take(STAT_PERSISTED_BYTES, "a node's stat")?;
        let stat: wire::StatPersisted =
            jute::from_slice(&stat_bytes).expect("60 bytes decode as a stat");
        if !is_known_ephemeral_owner(stat.ephemeral_owner) {
            return Err(reader.corrupt(
                offset,
                format!(
                    "node {path} has unknown extended ephemeral owner {:#x}",
                    stat.ephemeral_owner
                ),
            ));
        }
        Ok(Some((path, data, acl, StatPersisted::from(&stat))))
    }
}

impl Iterator for NodeStream<'_> {
    type Item = SnapshotNode;

    fn next(&mut self) -> Option<SnapshotNode> {
        if self.finished {
            return None;
        }
        match self.read_node() {
            Ok(Some(node)) => Some(node),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(error) => {
                self.error = Some(error);
                self.finished = true;
                None
            }
        }
    }
}

fn read_digest(reader: &mut SnapshotReader) -> Result<Option<RecordedDigest>, StorageError> {
    let zxid = reader.long("the digest zxid")?;
    let version = reader.int("the digest version")?;
    let digest = if version < 2 {
        // Digest version 1 wrote the digest as a hex string.
        let offset = reader.position;
        match reader.string("the digest")? {
            None => 0,
            Some(text) => i64::from_str_radix(&text, 16)
                .map_err(|_| reader.corrupt(offset, format!("digest {text:?} is not hex")))?,
        }
    } else {
        reader.long("the digest")?
    };
    Ok((zxid > 0).then_some(RecordedDigest {
        zxid: Zxid(zxid as u64),
        version,
        digest,
    }))
}

/// Jute primitives over a file, with the running checksum of every byte read.
struct SnapshotReader {
    input: BufReader<File>,
    position: u64,
    length: u64,
    checksum: adler::Adler32,
    buffer_bytes_max: usize,
    path: PathBuf,
}

impl SnapshotReader {
    fn corrupt(&self, offset: u64, reason: String) -> StorageError {
        StorageError::CorruptSnapshot {
            path: self.path.clone(),
            offset,
            reason,
        }
    }

    /// `count` bytes, refused before allocating when the file has fewer left.
    fn take(&mut self, count: usize, what: &str) -> Result<Vec<u8>, StorageError> {
        let left = self.length - self.position;
        if count as u64 > left {
            return Err(self.corrupt(
                self.position,
                format!("{what} needs {count} bytes, the file has {left} left"),
            ));
        }
        let mut bytes = vec![0u8; count];
        self.input
            .read_exact(&mut bytes)
            .map_err(io_error("reading", &self.path))?;
        self.checksum.write_slice(&bytes);
        self.position += count as u64;
        Ok(bytes)
    }

    fn int(&mut self, what: &str) -> Result<i32, StorageError> {
        let bytes = self.take(4, what)?;
        Ok(i32::from_be_bytes(bytes.try_into().expect("4 bytes")))
    }

    fn long(&mut self, what: &str) -> Result<i64, StorageError> {
        let bytes = self.take(8, what)?;
        Ok(i64::from_be_bytes(bytes.try_into().expect("8 bytes")))
    }

    /// A non-negative int count of items that follow.
    fn count(&mut self, what: &str) -> Result<u32, StorageError> {
        let offset = self.position;
        let count = self.int(what)?;
        u32::try_from(count).map_err(|_| self.corrupt(offset, format!("{what} is {count}")))
    }

    /// A buffer or string length: `None` for null (-1).
    fn length(&mut self, what: &str) -> Result<Option<usize>, StorageError> {
        let offset = self.position;
        let length = self.int(what)?;
        if length == -1 {
            return Ok(None);
        }
        let length = usize::try_from(length)
            .map_err(|_| self.corrupt(offset, format!("{what} has length {length}")))?;
        if length > self.buffer_bytes_max {
            return Err(self.corrupt(
                offset,
                format!(
                    "{what} of {length} bytes is over the {}-byte limit",
                    self.buffer_bytes_max
                ),
            ));
        }
        Ok(Some(length))
    }

    fn buffer(&mut self, what: &str) -> Result<Option<Vec<u8>>, StorageError> {
        match self.length(what)? {
            None => Ok(None),
            Some(length) => self.take(length, what).map(Some),
        }
    }

    fn string(&mut self, what: &str) -> Result<Option<String>, StorageError> {
        let offset = self.position;
        match self.buffer(what)? {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| self.corrupt(offset, format!("{what} is not UTF-8"))),
        }
    }

    fn required_string(&mut self, what: &str) -> Result<String, StorageError> {
        let offset = self.position;
        self.string(what)?
            .ok_or_else(|| self.corrupt(offset, format!("{what} is null")))
    }

    /// Checks a seal: the checksum of everything before it, then a string ZooKeeper ignores.
    fn seal(&mut self) -> Result<(), StorageError> {
        let offset = self.position;
        let expected = u64::from(self.checksum.checksum());
        let recorded = self.long("a seal's checksum")? as u64;
        self.string("a seal's marker")?;
        if recorded != expected {
            return Err(self.corrupt(
                offset,
                format!("checksum {recorded:#x} recorded, {expected:#x} computed"),
            ));
        }
        Ok(())
    }
}
