//! The leader's side: a synchronisation cut into chunks, serialized a chunk at a time from the
//! snapshot it shares with the leader's durable state.

use super::{push_record, SnapshotHeader, SyncRecord, SyncStreamError, Synchronisation};
use std::borrow::Cow;
use std::ops::Bound;
use zabkeeper_models::tree::Node;
use zabkeeper_models::SessionId;

/// Where the encoder goes on from.
enum Position {
    Header,
    Sessions { after: Option<SessionId> },
    Nodes { after: Option<String> },
    Proposals { next: usize },
    End,
    Finished,
}

/// Cuts one synchronisation into chunks, serializing as it goes.
pub struct SyncEncoder {
    sync: Synchronisation,
    chunk_bytes: usize,
    position: Position,
    /// Encoded records not yet handed out.
    pending: Vec<u8>,
    sessions: u64,
    nodes: u64,
}

impl SyncEncoder {
    /// An encoder of `sync` into chunks of at most `chunk_bytes` (at least one byte).
    pub fn new(sync: Synchronisation, chunk_bytes: usize) -> SyncEncoder {
        assert!(chunk_bytes > 0, "a chunk holds at least one byte");
        SyncEncoder {
            sync,
            chunk_bytes,
            position: Position::Header,
            pending: Vec::new(),
            sessions: 0,
            nodes: 0,
        }
    }

    /// The next chunk, `None` once the stream is complete.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, SyncStreamError> {
        while self.pending.len() < self.chunk_bytes && !matches!(self.position, Position::Finished)
        {
            self.encode_more()?;
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let rest = self
            .pending
            .split_off(self.chunk_bytes.min(self.pending.len()));
        Ok(Some(std::mem::replace(&mut self.pending, rest)))
    }

    /// Encodes records from the current position until a chunk's worth is pending or the
    /// position's records run out.
    fn encode_more(&mut self) -> Result<(), SyncStreamError> {
        let chunk_bytes = self.chunk_bytes;
        let full = |pending: &Vec<u8>| pending.len() >= chunk_bytes;
        let snapshot = self.sync.snapshot.as_deref();
        match &mut self.position {
            Position::Header => {
                let header = SyncRecord::Header {
                    epoch: self.sync.epoch,
                    kind: self.sync.kind,
                    sync_point: self.sync.sync_point,
                    snapshot: snapshot.map(|snapshot| SnapshotHeader {
                        zxid: snapshot.zxid,
                        txn_count: snapshot.txn_count,
                    }),
                };
                push_record(&mut self.pending, &header)?;
                self.position = match snapshot {
                    Some(_) => Position::Sessions { after: None },
                    None => Position::Proposals { next: 0 },
                };
            }
            Position::Sessions { after } => {
                let sessions = &snapshot.expect("sessions of a snapshot").applied.sessions;
                let start = (*after).map_or(Bound::Unbounded, Bound::Excluded);
                for (session, timeout_ms) in sessions.range((start, Bound::Unbounded)) {
                    let record = SyncRecord::Session {
                        session: *session,
                        timeout_ms: *timeout_ms,
                    };
                    push_record(&mut self.pending, &record)?;
                    self.sessions += 1;
                    *after = Some(*session);
                    if full(&self.pending) {
                        return Ok(());
                    }
                }
                self.position = Position::Nodes { after: None };
            }
            Position::Nodes { after } => {
                let tree = &snapshot.expect("nodes of a snapshot").applied.tree;
                let nodes: Box<dyn Iterator<Item = (&str, &Node)> + '_> = match after {
                    None => Box::new(tree.iter()),
                    Some(path) => Box::new(tree.iter_after(path)),
                };
                for (path, node) in nodes {
                    let record = SyncRecord::Node {
                        path: Cow::Borrowed(path),
                        data: node.data.as_deref().map(Cow::Borrowed),
                        acl: Cow::Borrowed(&node.acl),
                        persisted_stat: node.persisted_stat,
                    };
                    push_record(&mut self.pending, &record)?;
                    self.nodes += 1;
                    if full(&self.pending) {
                        *after = Some(path.to_string());
                        return Ok(());
                    }
                }
                self.position = Position::Proposals { next: 0 };
            }
            Position::Proposals { next } => {
                for proposal in &self.sync.proposals[*next..] {
                    push_record(
                        &mut self.pending,
                        &SyncRecord::Proposal(Cow::Borrowed(proposal)),
                    )?;
                    *next += 1;
                    if full(&self.pending) {
                        return Ok(());
                    }
                }
                self.position = Position::End;
            }
            Position::End => {
                let end = SyncRecord::End {
                    sessions: self.sessions,
                    nodes: self.nodes,
                    proposals: self.sync.proposals.len() as u64,
                };
                push_record(&mut self.pending, &end)?;
                self.position = Position::Finished;
            }
            Position::Finished => {}
        }
        Ok(())
    }
}
