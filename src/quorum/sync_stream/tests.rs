//! The synchronisation stream: every chunk within its limit, any cut of the stream into chunks
//! decodes to the very synchronisation that was encoded, and a broken, reordered or garbled
//! stream is an error, never a panic.

use super::*;
use proptest::prelude::*;
use std::sync::Arc;
use zabkeeper_models::tree::{CreateTxn, DataTree, Txn};
use zabkeeper_models::zab::Snapshot;

const SESSION: SessionId = SessionId(0x77);

fn create(path: &str, data: Option<Vec<u8>>, ephemeral: bool, zxid: u64) -> Prepared {
    let txn = Txn::Create(CreateTxn {
        path: path.to_string(),
        data,
        acl: if ephemeral {
            Acl::read_unsafe()
        } else {
            Acl::open_unsafe()
        },
        ephemeral,
        parent_cversion: zxid as i32,
    });
    let header = txn.header(SESSION, zxid as i32, Zxid(zxid), 1_000 + zxid as i64);
    Prepared { header, txn }
}

/// A database of `nodes` nodes under `/data` (one of them `big_bytes` long, one null, one
/// ephemeral) and two sessions, with the creates that built it.
fn database(nodes: usize, big_bytes: usize) -> (Database, Vec<Proposal<Prepared>>) {
    let mut tree = DataTree::new();
    let mut creates = vec![create("/data", None, false, 1)];
    for index in 0..nodes {
        let data = match index {
            0 => Some(vec![0xab; big_bytes]),
            1 => None,
            _ => Some(format!("value-{index}").into_bytes()),
        };
        let path = format!("/data/node-{index:05}");
        creates.push(create(&path, data, index == 2, index as u64 + 2));
    }
    let proposals: Vec<Proposal<Prepared>> = creates
        .into_iter()
        .map(|prepared| Proposal {
            zxid: prepared.header.zxid,
            payload: prepared,
        })
        .collect();
    for proposal in &proposals {
        tree.apply(&proposal.payload.header, &proposal.payload.txn);
    }
    let sessions = [(SESSION, 30_000), (SessionId(0x78), 4_000)].into();
    (Database { tree, sessions }, proposals)
}

fn snap(nodes: usize, big_bytes: usize, txns_after: usize) -> Synchronisation {
    let (applied, history) = database(nodes, big_bytes);
    let zxid = history.last().map_or(Zxid::ZERO, |proposal| proposal.zxid);
    let proposals = (1..=txns_after)
        .map(|index| {
            let zxid = zxid.0 + index as u64;
            Proposal {
                zxid: Zxid(zxid),
                payload: create(&format!("/after-{index}"), Some(vec![1]), false, zxid),
            }
        })
        .collect();
    NewLeader {
        epoch: Epoch(3),
        kind: SyncKind::Snap,
        snapshot: Some(Arc::new(Snapshot {
            zxid,
            txn_count: history.len() as u64,
            applied,
        })),
        sync_point: Zxid::ZERO,
        proposals,
    }
}

fn diff(txns: usize) -> Synchronisation {
    let (_, proposals) = database(txns, 10);
    NewLeader {
        epoch: Epoch(2),
        kind: SyncKind::Diff,
        snapshot: None,
        sync_point: Zxid::ZERO,
        proposals,
    }
}

fn chunks(sync: &Synchronisation, chunk_bytes: usize) -> Vec<Vec<u8>> {
    let mut encoder = SyncEncoder::new(sync.clone(), chunk_bytes);
    let mut chunks = Vec::new();
    while let Some(chunk) = encoder.next_chunk().expect("encodes") {
        chunks.push(chunk);
    }
    chunks
}

/// Feeds `chunks` in order: the synchronisation, or the decoder still waiting, or the error.
fn decode(
    chunks: impl IntoIterator<Item = Vec<u8>>,
    record_bytes_max: usize,
) -> Result<Decoded, SyncStreamError> {
    let mut decoder = SyncDecoder::new(record_bytes_max);
    for chunk in chunks {
        match decoder.push(&chunk)? {
            Decoded::Incomplete(more) => decoder = more,
            Decoded::Complete(sync) => return Ok(Decoded::Complete(sync)),
        }
    }
    Ok(Decoded::Incomplete(decoder))
}

fn complete(result: Result<Decoded, SyncStreamError>) -> Synchronisation {
    match result {
        Ok(Decoded::Complete(sync)) => sync,
        Ok(Decoded::Incomplete(decoder)) => panic!("incomplete: {}", decoder.interrupted()),
        Err(error) => panic!("{error}"),
    }
}

fn error(result: Result<Decoded, SyncStreamError>) -> SyncStreamError {
    match result {
        Ok(Decoded::Complete(_)) => panic!("decoded"),
        Ok(Decoded::Incomplete(decoder)) => decoder.interrupted(),
        Err(error) => error,
    }
}

#[test]
fn a_snap_and_a_diff_round_trip_in_chunks_within_the_limit() {
    for sync in [snap(300, 50_000, 20), diff(50)] {
        for chunk_bytes in [1, 7, 1000, 4096, SYNC_CHUNK_BYTES] {
            let chunks = chunks(&sync, chunk_bytes);
            assert!(chunks.iter().all(|chunk| chunk.len() <= chunk_bytes));
            assert!(chunks.iter().all(|chunk| !chunk.is_empty()));
            // Every chunk but the last is full: the stream is cut by size, not by record.
            let (last, full) = chunks.split_last().expect("a chunk at least");
            assert!(full.iter().all(|chunk| chunk.len() == chunk_bytes));
            assert!(!last.is_empty());
            let decoded = complete(decode(chunks, 100_000));
            assert_eq!(decoded, sync, "chunks of {chunk_bytes} bytes");
        }
    }
}

#[test]
fn a_stream_cut_anywhere_is_truncated_not_decoded() {
    let sync = snap(5, 100, 3);
    let bytes: Vec<u8> = chunks(&sync, 64).concat();
    for cut in 0..bytes.len() {
        let failure = error(decode([bytes[..cut].to_vec()], 1000));
        assert_eq!(failure, SyncStreamError::Truncated { bytes: cut as u64 });
    }
    complete(decode([bytes], 1000));
}

#[test]
fn a_record_over_the_limit_is_refused_before_its_bytes_arrive() {
    let sync = snap(3, 5_000, 0);
    let bytes: Vec<u8> = chunks(&sync, 1 << 20).concat();
    // The header and sessions are small; the node of 5000 bytes is not.
    let failure = error(decode(bytes.chunks(512).map(<[u8]>::to_vec).take(3), 1000));
    assert!(
        matches!(failure, SyncStreamError::RecordTooLong { limit: 1000, .. }),
        "{failure}"
    );
}

fn framed(records: &[SyncRecord<'_>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for record in records {
        push_record(&mut bytes, record).expect("encodes");
    }
    bytes
}

fn header(snapshot: bool) -> SyncRecord<'static> {
    SyncRecord::Header {
        epoch: Epoch(1),
        kind: SyncKind::Snap,
        sync_point: Zxid::ZERO,
        snapshot: snapshot.then_some(SnapshotHeader {
            zxid: Zxid(1),
            txn_count: 1,
        }),
    }
}

fn root() -> SyncRecord<'static> {
    SyncRecord::Node {
        path: Cow::Borrowed("/"),
        data: None,
        acl: Cow::Owned(Acl::open_unsafe()),
        persisted_stat: StatPersisted::default(),
    }
}

fn end(sessions: u64, nodes: u64, proposals: u64) -> SyncRecord<'static> {
    SyncRecord::End {
        sessions,
        nodes,
        proposals,
    }
}

#[test]
fn records_out_of_order_or_miscounted_or_trailed_are_malformed() {
    let session = || SyncRecord::Session {
        session: SESSION,
        timeout_ms: 1,
    };
    let node = |path: &'static str, ephemeral_owner: i64| SyncRecord::Node {
        path: Cow::Borrowed(path),
        data: None,
        acl: Cow::Owned(Vec::new()),
        persisted_stat: StatPersisted {
            ephemeral_owner,
            ..StatPersisted::default()
        },
    };
    let malformed_streams = [
        framed(&[header(true), root(), node("//a", 0), end(0, 2, 0)]),
        framed(&[header(true), root(), node("a", 0), end(0, 2, 0)]),
        framed(&[header(true), root(), node("/a", -1), end(0, 2, 0)]),
        framed(&[root()]),
        framed(&[header(true), header(true)]),
        framed(&[header(false), root(), end(0, 1, 0)]),
        framed(&[header(true), root(), session(), end(1, 1, 0)]),
        framed(&[header(true), session(), session(), root(), end(2, 1, 0)]),
        framed(&[header(true), root(), end(0, 2, 0)]),
        framed(&[header(true), end(0, 0, 0)]),
        [framed(&[header(true), root(), end(0, 1, 0)]), vec![0]].concat(),
    ];
    for bytes in malformed_streams {
        let failure = error(decode([bytes.clone()], 1000));
        assert!(
            matches!(failure, SyncStreamError::Malformed { .. }),
            "{bytes:?}: {failure}"
        );
    }
    let well_formed = framed(&[header(true), session(), root(), end(1, 1, 0)]);
    let sync = complete(decode([well_formed], 1000));
    let snapshot = sync.snapshot.expect("a snapshot");
    assert_eq!(snapshot.applied.tree.znode_count(), 1);
    assert_eq!(snapshot.applied.sessions.len(), 1);
}

proptest! {
    /// However the stream is cut into chunks, it decodes to what was encoded.
    #[test]
    fn any_cut_of_the_stream_decodes_the_same(
        cuts in prop::collection::vec(0usize..4000, 0..12),
        nodes in 0usize..40,
    ) {
        let sync = snap(nodes, 700, 2);
        let bytes: Vec<u8> = chunks(&sync, 333).concat();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut.min(bytes.len())).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            pieces.push(bytes[start..cut].to_vec());
            start = cut;
        }
        prop_assert_eq!(complete(decode(pieces, 10_000)), sync);
    }

    /// A valid stream with one byte changed anywhere is an error, an incomplete stream or a
    /// synchronisation, never a panic.
    #[test]
    fn a_corrupted_byte_never_panics(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes: Vec<u8> = chunks(&snap(6, 50, 2), 1 << 20).concat();
        let position = position.index(bytes.len());
        bytes[position] = byte;
        let _ = decode([bytes], 10_000);
    }

    /// Garbage is an error or an incomplete stream, never a panic.
    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode([bytes], 1000);
    }
}
