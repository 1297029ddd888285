//! A synchronisation (the model's `NewLeader`: DIFF, TRUNC or SNAP with the txns after it) as a
//! stream of bounded chunks, so that the SNAP of any database that fits in memory crosses a
//! quorum connection whose frames are limited. ZooKeeper streams its snapshot the same way; the
//! model still sees one `NewLeader` step, handed over once the learner has rebuilt it whole.
//!
//! # Format
//! A byte stream of records, each a 4-byte big-endian length and the postcard encoding of a
//! [`SyncRecord`]: one `Header`; for a SNAP with a snapshot, the snapshot's sessions, then its
//! nodes in path order (every parent before its children, as in a snapshot file); the txns; and
//! `End` with the count of each. The stream is cut into chunks of `chunk_bytes` wherever the cut
//! falls, so a record may span chunks and no chunk is ever larger than the limit.
//!
//! # Cost
//! The encoder serializes from the snapshot it shares with the leader's durable state, one chunk
//! at a time, when the socket has taken the previous one: beside that shared snapshot it holds
//! one chunk (and a record that is longer than a chunk, while it is being cut). The decoder puts
//! each record into the tree being built as soon as the record is complete: it holds the tree,
//! the txns, and at most one chunk and one record of the stream.

mod decode;
mod encode;

pub use decode::{Decoded, SyncDecoder};
pub use encode::SyncEncoder;

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::tree::{Acl, StatPersisted};
use zabkeeper_models::zab::{NewLeader, Proposal, SyncKind};
use zabkeeper_models::{Epoch, SessionId, Zxid};

/// The chunk size of a synchronisation stream: large enough that framing costs nothing, small
/// enough that the memory a transfer holds on either side does not matter.
pub const SYNC_CHUNK_BYTES: usize = 256 * 1024;

/// The synchronisation a leader sends a learner, as the quorum transport carries it.
pub type Synchronisation = NewLeader<Prepared, Database>;

/// The bytes of a record's length prefix.
const LENGTH_BYTES: usize = 4;

/// What the snapshot of a SNAP covers, ahead of its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SnapshotHeader {
    zxid: Zxid,
    txn_count: u64,
}

/// One record of the stream. Borrowed when encoded (from the shared snapshot), owned when
/// decoded.
#[derive(Debug, Serialize, Deserialize)]
enum SyncRecord<'a> {
    Header {
        epoch: Epoch,
        kind: SyncKind,
        sync_point: Zxid,
        snapshot: Option<SnapshotHeader>,
    },
    Session {
        session: SessionId,
        timeout_ms: i32,
    },
    Node {
        path: Cow<'a, str>,
        #[serde(with = "serde_bytes", borrow)]
        data: Option<Cow<'a, [u8]>>,
        acl: Cow<'a, [Acl]>,
        persisted_stat: StatPersisted,
    },
    Proposal(Cow<'a, Proposal<Prepared>>),
    End {
        sessions: u64,
        nodes: u64,
        proposals: u64,
    },
}

/// Why a synchronisation cannot be sent or received. Each one ends the connection it travels
/// on: the learner then joins again from the start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SyncStreamError {
    #[error("a synchronisation record does not encode: {reason}")]
    Unencodable { reason: String },
    #[error("a synchronisation record of {length} bytes is longer than the limit of {limit}")]
    RecordTooLong { length: usize, limit: usize },
    #[error("a synchronisation record does not decode: {reason}")]
    Undecodable { reason: String },
    #[error("the synchronisation stream is malformed: {reason}")]
    Malformed { reason: String },
    #[error("the synchronisation stream broke off after {bytes} bytes")]
    Truncated { bytes: u64 },
}

fn malformed(reason: impl Into<String>) -> SyncStreamError {
    SyncStreamError::Malformed {
        reason: reason.into(),
    }
}

/// Appends `record`, length first.
fn push_record(pending: &mut Vec<u8>, record: &SyncRecord<'_>) -> Result<(), SyncStreamError> {
    let start = pending.len();
    pending.extend_from_slice(&[0; LENGTH_BYTES]);
    let mut extended = postcard::to_extend(record, std::mem::take(pending)).map_err(|error| {
        SyncStreamError::Unencodable {
            reason: error.to_string(),
        }
    })?;
    let length = extended.len() - start - LENGTH_BYTES;
    let prefix = u32::try_from(length).map_err(|_| SyncStreamError::RecordTooLong {
        length,
        limit: u32::MAX as usize,
    })?;
    extended[start..start + LENGTH_BYTES].copy_from_slice(&prefix.to_be_bytes());
    *pending = extended;
    Ok(())
}

#[cfg(test)]
mod tests;
