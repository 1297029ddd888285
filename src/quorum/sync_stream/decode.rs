//! The learner's side: a synchronisation rebuilt from its chunks as they arrive, each record
//! going into the tree being built as soon as it is complete.

use super::{
    malformed, SnapshotHeader, SyncRecord, SyncStreamError, Synchronisation, LENGTH_BYTES,
};
use crate::storage::applicable::{check_path, is_known_ephemeral_owner};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::tree::TreeBuilder;
use zabkeeper_models::zab::{NewLeader, Proposal, Snapshot, SyncKind};
use zabkeeper_models::{Epoch, SessionId, Zxid};

/// The parts of a stream, in the order they must come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Header,
    Sessions,
    Nodes,
    Proposals,
}

/// What the decoder has rebuilt so far.
struct Assembly {
    part: Part,
    epoch: Epoch,
    kind: SyncKind,
    sync_point: Zxid,
    snapshot: Option<SnapshotHeader>,
    sessions: BTreeMap<SessionId, i32>,
    tree: TreeBuilder,
    proposals: Vec<Proposal<Prepared>>,
}

/// Rebuilds a synchronisation from its chunks as they arrive.
pub struct SyncDecoder {
    record_bytes_max: usize,
    /// Received bytes of records not complete yet.
    buffer: Vec<u8>,
    received_bytes: u64,
    assembly: Assembly,
}

impl SyncDecoder {
    /// A decoder for one stream that refuses records longer than `record_bytes_max` before
    /// their bytes arrive.
    pub fn new(record_bytes_max: usize) -> SyncDecoder {
        SyncDecoder {
            record_bytes_max,
            buffer: Vec::new(),
            received_bytes: 0,
            assembly: Assembly {
                part: Part::Header,
                epoch: Epoch::ZERO,
                kind: SyncKind::Diff,
                sync_point: Zxid::ZERO,
                snapshot: None,
                sessions: BTreeMap::new(),
                tree: TreeBuilder::new(),
                proposals: Vec::new(),
            },
        }
    }

    /// Takes the next chunk: the whole synchronisation once its last record is in. Bytes after
    /// the last record are an error.
    pub fn push(mut self, chunk: &[u8]) -> Result<Decoded, SyncStreamError> {
        self.received_bytes += chunk.len() as u64;
        self.buffer.extend_from_slice(chunk);
        let mut offset = 0;
        while let Some(prefix) = self.buffer[offset..].first_chunk::<LENGTH_BYTES>() {
            let length = u32::from_be_bytes(*prefix) as usize;
            if length > self.record_bytes_max {
                return Err(SyncStreamError::RecordTooLong {
                    length,
                    limit: self.record_bytes_max,
                });
            }
            let start = offset + LENGTH_BYTES;
            let Some(bytes) = self.buffer.get(start..start + length) else {
                break;
            };
            let (record, rest) =
                postcard::take_from_bytes::<SyncRecord<'_>>(bytes).map_err(|error| {
                    SyncStreamError::Undecodable {
                        reason: error.to_string(),
                    }
                })?;
            if !rest.is_empty() {
                return Err(malformed(format!(
                    "a record of {length} bytes holds {} bytes past its end",
                    rest.len()
                )));
            }
            offset = start + length;
            if let Some(sync) = self.assembly.accept(record)? {
                if offset != self.buffer.len() {
                    return Err(malformed(format!(
                        "{} bytes after the end",
                        self.buffer.len() - offset
                    )));
                }
                return Ok(Decoded::Complete(sync));
            }
        }
        self.buffer.drain(..offset);
        Ok(Decoded::Incomplete(self))
    }

    /// What to report when the connection ends before the stream does.
    pub fn interrupted(&self) -> SyncStreamError {
        SyncStreamError::Truncated {
            bytes: self.received_bytes,
        }
    }
}

/// The result of a chunk.
pub enum Decoded {
    /// More chunks to come, for this decoder.
    Incomplete(SyncDecoder),
    Complete(Synchronisation),
}

impl Assembly {
    /// Adds a record; the synchronisation once `End` came and agrees with what came before.
    fn accept(
        &mut self,
        record: SyncRecord<'_>,
    ) -> Result<Option<Synchronisation>, SyncStreamError> {
        let part = match &record {
            SyncRecord::Header { .. } => Part::Header,
            SyncRecord::Session { .. } => Part::Sessions,
            SyncRecord::Node { .. } => Part::Nodes,
            SyncRecord::Proposal(_) | SyncRecord::End { .. } => Part::Proposals,
        };
        // One header first; sessions and nodes only under a snapshot; then txns and the end.
        let in_order = match (part, self.part) {
            (Part::Header, before) => before == Part::Header,
            (_, Part::Header) => false,
            (Part::Sessions | Part::Nodes, before) => self.snapshot.is_some() && before <= part,
            (Part::Proposals, _) => true,
        };
        if !in_order {
            return Err(malformed(format!(
                "a {part:?} record after the {:?} records",
                self.part
            )));
        }
        self.part = part;
        match record {
            SyncRecord::Header {
                epoch,
                kind,
                sync_point,
                snapshot,
            } => {
                self.epoch = epoch;
                self.kind = kind;
                self.sync_point = sync_point;
                self.snapshot = snapshot;
                if snapshot.is_some() {
                    self.part = Part::Sessions;
                } else {
                    self.part = Part::Proposals;
                }
            }
            SyncRecord::Session {
                session,
                timeout_ms,
            } => {
                if self.sessions.insert(session, timeout_ms).is_some() {
                    return Err(malformed(format!("session {session} comes twice")));
                }
            }
            SyncRecord::Node {
                path,
                data,
                acl,
                persisted_stat,
            } => {
                // What the tree relies on, checked as the snapshot reader checks a file.
                check_path(&path).map_err(malformed)?;
                if !is_known_ephemeral_owner(persisted_stat.ephemeral_owner) {
                    return Err(malformed(format!(
                        "node {path} has unknown extended ephemeral owner {:#x}",
                        persisted_stat.ephemeral_owner
                    )));
                }
                self.tree
                    .push(
                        path.into_owned(),
                        data.map(Cow::into_owned),
                        acl.into_owned(),
                        persisted_stat,
                    )
                    .map_err(|error| {
                        malformed(format!("the nodes do not form a tree: {error:?}"))
                    })?
            }
            SyncRecord::Proposal(proposal) => {
                let proposal = proposal.into_owned();
                if let Some(last) = self.proposals.last() {
                    if proposal.zxid <= last.zxid {
                        return Err(malformed(format!(
                            "txn {} after txn {}",
                            proposal.zxid, last.zxid
                        )));
                    }
                }
                self.proposals.push(proposal);
            }
            SyncRecord::End {
                sessions,
                nodes,
                proposals,
            } => return self.finish([sessions, nodes, proposals]).map(Some),
        }
        Ok(None)
    }

    fn finish(&mut self, announced: [u64; 3]) -> Result<Synchronisation, SyncStreamError> {
        let received = [
            self.sessions.len() as u64,
            self.tree.node_count() as u64,
            self.proposals.len() as u64,
        ];
        if announced != received {
            return Err(malformed(format!(
                "the end announces {announced:?} sessions, nodes and txns, the stream held {received:?}"
            )));
        }
        let snapshot = match self.snapshot {
            None => None,
            Some(header) => {
                let tree = std::mem::take(&mut self.tree).finish().map_err(|error| {
                    malformed(format!("the nodes do not form a tree: {error:?}"))
                })?;
                Some(Arc::new(Snapshot {
                    zxid: header.zxid,
                    txn_count: header.txn_count,
                    applied: Database {
                        tree,
                        sessions: std::mem::take(&mut self.sessions),
                    },
                }))
            }
        };
        Ok(NewLeader {
            epoch: self.epoch,
            kind: self.kind,
            snapshot,
            sync_point: self.sync_point,
            proposals: std::mem::take(&mut self.proposals),
        })
    }
}
