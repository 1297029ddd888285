//! The bodies of the fuzz targets: each takes arbitrary bytes, runs them through a decoder or a
//! recovery path of Zabkeeper, and panics only when a property fails. libFuzzer calls them from
//! `fuzz_targets/`; `tests/fuzz_corpus.rs` in the root package includes this file and replays
//! every committed input through them in `cargo test`, so regressions are caught without
//! libFuzzer. Only crates the root package also has are used here.

use std::path::Path;
use zabkeeper::config::{parse_config, FourLetterWordWhitelist};
use zabkeeper::proto::frame::{encode_frame, FrameDecoder};
use zabkeeper::proto::jute;
use zabkeeper::proto::message::Request;
use zabkeeper::proto::opcode::OpCode;
use zabkeeper::proto::records::ConnectRequest;
use zabkeeper::proto::txn_entry::TxnEntry;
use zabkeeper::quorum::frame::{encode, take_frame, FrameBody};
use zabkeeper::quorum::sync_stream::{Decoded, SyncDecoder, SyncEncoder, Synchronisation};
use zabkeeper::server::core::Outbound;
use zabkeeper::server::in_process::InProcessServer;
use zabkeeper::storage::snapshot::read_snapshot;
use zabkeeper::storage::txn_log::{TxnLogReader, FILE_HEADER_BYTES};
use zabkeeper_models::{ServerId, Zxid};

/// Frames of these targets are small: a large limit only makes the fuzzer allocate.
const FRAME_BYTES_MAX: usize = 64 * 1024;

#[path = "../../models/tests/support/tree_model.rs"]
mod tree_model;

use arbitrary::{Result as Generated, Unstructured};
use tree_model::{CreateKind, Op, Target, PATHS, SEQUENTIAL_PARENTS};

#[path = "../../models/tests/request_support/mod.rs"]
mod request_support;

use request_support::agreement::{run_actions, Action};
use zabkeeper_models::request::{
    CheckRequest, CreateOp, CreateRequest, DeleteRequest, MultiOp, SetAclRequest, SetDataRequest,
    WriteRequest,
};
use zabkeeper_models::tree::{perms, Acl, Id};

/// The names of the targets, as `fuzz_targets/` and the corpus directories name them.
pub const TARGETS: [&str; 8] = [
    "client_frames",
    "quorum_frames",
    "txn_log",
    "snapshot",
    "config",
    "data_tree",
    "server_session",
    "request_preparation",
];

/// Runs the target called `name` on `data`.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "client_frames" => client_frames(data),
        "quorum_frames" => quorum_frames(data),
        "txn_log" => txn_log(data),
        "snapshot" => snapshot(data),
        "config" => config(data),
        "data_tree" => data_tree(data),
        "server_session" => server_session(data),
        "request_preparation" => request_preparation(data),
        other => panic!("no fuzz target is called {other}"),
    }
}

/// A client's byte stream: framed as a connection frames it, the first frame a
/// ConnectRequest and every later one a request of any opcode. Whatever decodes must encode
/// back to the very bytes it came from, but for leniencies kept from ZooKeeper: a boolean
/// byte other than 0 reads as true (Java's `DataInput.readBoolean`), and true encodes as 1; a
/// null string, buffer or list reads as empty (see `proto::jute`); and the op headers of a
/// multi, whose error fields (and the end header's type) ZooKeeper never reads.
pub fn client_frames(data: &[u8]) {
    let decoder = FrameDecoder::new(FRAME_BYTES_MAX);
    let mut buffer = data.to_vec();
    let mut first = true;
    while let Ok(Some(payload)) = decoder.take_frame(&mut buffer) {
        if first {
            if let Ok(connect) = jute::from_slice::<ConnectRequest>(&payload) {
                let bytes = jute::to_vec(&connect).expect("a decoded ConnectRequest encodes");
                assert_reencodes(&payload, &bytes, &connect);
            }
            first = false;
            continue;
        }
        if let Ok(request) = Request::decode(&payload) {
            let bytes = request.encode().expect("a decoded request encodes");
            let multi = [OpCode::Multi.code(), OpCode::MultiRead.code()];
            if multi.contains(&request.header.op_type) {
                // ZooKeeper reads no op header's error, nor the end header's type: a multi has
                // many byte forms. Its encoding is the one form, and means the same request.
                let again = Request::decode(&bytes).expect("an encoded multi decodes");
                assert_eq!(again, request, "a multi survives a round trip");
                assert_eq!(again.encode().expect("encodes"), bytes, "one encoding");
            } else {
                assert_reencodes(&payload, &bytes, &request);
            }
        }
    }
}

/// `encoded`, the encoding of what `original` decoded to, is `original` but where ZooKeeper's
/// reading is lenient and its writing is not: a boolean byte above 1 (read as true) is 1
/// again, and a null length (-1) of a string, buffer or list that is not optional (read as
/// empty, as ZooKeeper's server takes it) is 0.
fn assert_reencodes(original: &[u8], encoded: &[u8], decoded: &dyn std::fmt::Debug) {
    const NULL: [u8; 4] = [0xff; 4];
    assert_eq!(
        original.len(),
        encoded.len(),
        "{decoded:?} re-encodes to as many bytes"
    );
    let mut index = 0;
    while index < original.len() {
        let (before, after) = (original[index], encoded[index]);
        if before == after || (before > 1 && after == 1) {
            index += 1;
        } else if original[index..].starts_with(&NULL) && encoded[index..].starts_with(&[0; 4]) {
            index += 4;
        } else {
            panic!("{decoded:?} re-encodes byte {index} as {after}, not {before}");
        }
    }
}

/// Bytes from a peer: quorum frames (election notifications, ZAB messages and the chunks of a
/// synchronisation stream). Whatever decodes encodes to a frame that decodes to the same frame;
/// chunks go through the stream decoder as the link feeds them, which refuses a broken stream
/// with an error, and a synchronisation it rebuilds streams again to the same one.
pub fn quorum_frames(data: &[u8]) {
    let mut buffer = data.to_vec();
    let mut stream: Option<SyncDecoder> = None;
    while let Ok(Some(frame)) = take_frame(&mut buffer, FRAME_BYTES_MAX) {
        if let Ok(bytes) = encode(&frame, FRAME_BYTES_MAX) {
            let mut again = bytes;
            let decoded = take_frame(&mut again, FRAME_BYTES_MAX)
                .expect("an encoded frame decodes")
                .expect("an encoded frame is whole");
            assert_eq!(decoded, frame, "a quorum frame survives a round trip");
            assert!(again.is_empty(), "an encoded frame is one frame");
        }
        // Otherwise postcard's encoding of the decoded frame is longer than its bytes (a varint
        // may re-encode longer than a padded one was): only a refusal is fine then.
        let FrameBody::SyncChunk(chunk) = frame.body else {
            stream = None;
            continue;
        };
        let decoder = stream
            .take()
            .unwrap_or_else(|| SyncDecoder::new(FRAME_BYTES_MAX));
        match decoder.push(&chunk) {
            Ok(Decoded::Incomplete(decoder)) => stream = Some(decoder),
            Ok(Decoded::Complete(synchronisation)) => restream(&synchronisation),
            Err(_) => {}
        }
    }
}

/// Streams `synchronisation` in small chunks and checks that it decodes to itself.
fn restream(synchronisation: &Synchronisation) {
    let mut encoder = SyncEncoder::new(synchronisation.clone(), 97);
    let mut decoder = SyncDecoder::new(usize::MAX);
    while let Some(chunk) = encoder
        .next_chunk()
        .expect("a decoded synchronisation encodes")
    {
        decoder = match decoder
            .push(&chunk)
            .expect("a streamed synchronisation decodes")
        {
            Decoded::Incomplete(decoder) => decoder,
            Decoded::Complete(again) => {
                assert_eq!(
                    &again, synchronisation,
                    "a synchronisation survives a round trip"
                );
                assert!(
                    encoder.next_chunk().expect("encodes").is_none(),
                    "it ended at its end"
                );
                return;
            }
        };
    }
    panic!("a synchronisation streamed to its end decodes");
}

/// A txn log file of arbitrary bytes, read by recovery's reader. It never panics, never
/// returns a record whose checksum fails, and returns every record before the first one that
/// is not a valid, decodable record with a larger zxid.
pub fn txn_log(data: &[u8]) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let log = directory.path().join("log.1");
    std::fs::write(&log, data).expect("the log file is written");
    let Ok(reader) = TxnLogReader::open(directory.path(), Zxid::ZERO, Default::default()) else {
        return;
    };
    let mut returned = Vec::new();
    for txn in reader {
        match txn {
            Ok(txn) => returned.push(txn),
            Err(_) => break,
        }
    }
    for txn in &returned {
        let record = record_at(data, txn.offset as usize).expect("a returned record is whole");
        assert_eq!(
            u64::from(adler::adler32_slice(record.entry)),
            record.checksum,
            "a returned record's checksum holds"
        );
    }
    let valid = valid_prefix(data);
    assert!(
        returned.len() >= valid,
        "the reader returned {} records of the {valid} valid ones before the first bad one",
        returned.len()
    );
}

struct Record<'a> {
    checksum: u64,
    entry: &'a [u8],
    end: usize,
}

/// The record starting at `offset`: checksum, length, entry and the end byte.
fn record_at(data: &[u8], offset: usize) -> Option<Record<'_>> {
    let head = data.get(offset..offset + 12)?;
    let checksum = u64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
    let length =
        usize::try_from(i32::from_be_bytes(head[8..].try_into().expect("4 bytes"))).ok()?;
    let entry = data.get(offset + 12..offset + 12 + length)?;
    (data.get(offset + 12 + length) == Some(&b'B')).then_some(Record {
        checksum,
        entry,
        end: offset + 13 + length,
    })
}

/// How many records from the start of a log file's body are valid: whole, with the end byte,
/// a checksum that holds, a non-empty entry that decodes, and zxids that grow. The file header
/// must be a log's.
fn valid_prefix(data: &[u8]) -> usize {
    if data.len() < FILE_HEADER_BYTES as usize || !data.starts_with(b"ZKLG") {
        return 0;
    }
    let version = i32::from_be_bytes(data[4..8].try_into().expect("4 bytes"));
    if version != 2 {
        return 0;
    }
    let mut offset = FILE_HEADER_BYTES as usize;
    let mut count = 0;
    let mut previous = None;
    while let Some(record) = record_at(data, offset) {
        if record.entry.is_empty()
            || u64::from(adler::adler32_slice(record.entry)) != record.checksum
        {
            break;
        }
        let Ok(entry) = TxnEntry::decode(record.entry) else {
            break;
        };
        let zxid = entry.header.zxid;
        if previous.is_some_and(|previous| zxid <= previous) {
            break;
        }
        previous = Some(zxid);
        count += 1;
        offset = record.end;
    }
    count
}

/// A snapshot file of arbitrary bytes. Reading never panics, and a snapshot it accepts is a
/// consistent tree.
pub fn snapshot(data: &[u8]) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("snapshot.1");
    std::fs::write(&path, data).expect("the snapshot file is written");
    if let Ok(snapshot) = read_snapshot(&path, Zxid(1), FRAME_BYTES_MAX) {
        snapshot.database.tree.assert_consistent();
    }
}

/// A zoo.cfg of arbitrary bytes, and the same bytes as a `4lw.commands.whitelist` value. Never
/// a panic; every error names the file.
pub fn config(data: &[u8]) {
    let file = Path::new("/etc/zookeeper/zoo.cfg");
    if let Err(error) = parse_config(file, data, |_| Ok(ServerId(1))) {
        let message = error.to_string();
        assert!(
            message.contains("zoo.cfg"),
            "a configuration error names the file: {message}"
        );
    }
    let _ = FourLetterWordWhitelist::parse(&String::from_utf8_lossy(data));
}

/// Op sequences, read structurally from the bytes (creates of every kind, sequential creates,
/// deletes, setData, setACL and check with right and wrong versions, multis, session creates
/// and closes, a txn applied twice), prepared as a leader would and applied to the DataTree and
/// to the reference model of `models/tests/support/tree_model.rs`: every result, event and
/// the whole visible state must agree after every step.
pub fn data_tree(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let mut steps = Vec::new();
    while !input.is_empty() && steps.len() < 200 {
        let Ok(step) = step(&mut input) else {
            break;
        };
        steps.push(step);
    }
    tree_model::run_steps(&steps);
}

fn step(input: &mut Unstructured) -> Generated<(Op, i64)> {
    let op = match input.int_in_range(0..=19)? {
        0..=13 => single_op(input, true)?,
        14..=16 => {
            let count = input.int_in_range(1..=4)?;
            let mut ops = Vec::with_capacity(count);
            for _ in 0..count {
                // ZooKeeper's multi has no setACL op.
                ops.push(single_op(input, false)?);
            }
            Op::Multi(ops)
        }
        17 => Op::CloseSession,
        18 => Op::CreateSession,
        _ => Op::ReplayPrevious,
    };
    Ok((op, input.int_in_range(1..=3)?))
}

fn single_op(input: &mut Unstructured, set_acl: bool) -> Generated<Op> {
    let choices = if set_acl { 5 } else { 4 };
    Ok(match input.int_in_range(0..=choices)? {
        0 => Op::Create {
            path: input.choose_index(PATHS.len())?,
            kind: create_kind(input)?,
            create2: input.arbitrary()?,
            data: input.int_in_range(0..=2)?,
        },
        1 => Op::CreateSequential {
            parent: input.choose_index(SEQUENTIAL_PARENTS.len())?,
            kind: create_kind(input)?,
        },
        2 => Op::Delete {
            target: target(input)?,
            right_version: input.arbitrary()?,
        },
        3 => Op::SetData {
            target: target(input)?,
            right_version: input.arbitrary()?,
            data: input.int_in_range(0..=2)?,
        },
        4 => Op::Check {
            target: target(input)?,
            right_version: input.arbitrary()?,
        },
        _ => Op::SetAcl {
            target: target(input)?,
            right_version: input.arbitrary()?,
        },
    })
}

fn create_kind(input: &mut Unstructured) -> Generated<CreateKind> {
    Ok(match input.int_in_range(0..=6)? {
        0..=2 => CreateKind::Persistent,
        3 | 4 => CreateKind::Ephemeral,
        5 => CreateKind::Container,
        _ => CreateKind::Ttl,
    })
}

fn target(input: &mut Unstructured) -> Generated<Target> {
    Ok(if input.arbitrary()? {
        Target::Fixed(input.choose_index(PATHS.len())?)
    } else {
        Target::Existing(input.arbitrary()?)
    })
}

/// How many inputs one in-process server serves before a fresh one replaces it: sessions of
/// closed connections live until they expire, which these runs never wait for.
const INPUTS_PER_SERVER: u32 = 5_000;

thread_local! {
    static SERVER: std::cell::RefCell<Option<(InProcessServer, u32)>> =
        const { std::cell::RefCell::new(None) };
}

/// A client's bytes through the server's whole path in process (framing, the handshake,
/// request decoding, the core's pipeline and watches, the replies), delivered in chunks of
/// the first byte's size (0: all at once). Never a panic; every message the server sends
/// encodes; and afterwards the server still grants a new client a session.
pub fn server_session(data: &[u8]) {
    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let chunk = if chunk == 0 {
        bytes.len().max(1)
    } else {
        usize::from(chunk)
    };
    SERVER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(_, served)| *served >= INPUTS_PER_SERVER) {
            *slot = Some((InProcessServer::standalone(), 0));
        }
        let (server, served) = slot.as_mut().expect("set above");
        *served += 1;
        let connection = server.open();
        for piece in bytes.chunks(chunk) {
            let Some(sent) = server.send(connection, piece) else {
                break;
            };
            for message in sent {
                assert_encodes(message);
            }
        }
        server.close(connection);
        let probe = server.open();
        let handshake = ConnectRequest {
            timeout_ms: 10_000,
            password: vec![0; 16],
            read_only: Some(false),
            ..ConnectRequest::default()
        };
        let frame = encode_frame(&handshake).expect("a handshake encodes");
        let answer = server.send(probe, &frame).expect("a new connection is open");
        assert!(
            matches!(answer.as_slice(), [Outbound::Connected(response)] if response.session_id != 0),
            "a new client gets a session after the input: {answer:?}"
        );
        server.close(probe);
    });
}

fn assert_encodes(message: Outbound) {
    match message {
        Outbound::Connected(response) => {
            encode_frame(&response).expect("a handshake answer encodes");
        }
        Outbound::Reply(response) => {
            response.encode().expect("a reply encodes");
        }
        Outbound::Text(_) | Outbound::Close { .. } => {}
    }
}

/// Paths of the request-preparation target: nested, a sequential prefix, a system path.
const REQUEST_PATHS: [&str; 6] = ["/a", "/a/b", "/a/b/c", "/b", "/a/s-", "/zookeeper/x"];

/// Write requests from three sessions, read structurally from the bytes, prepared by the
/// leader's real `Preparer` against the tree and its outstanding changes and applied at any
/// moment in zxid order (`models/tests/request_support/agreement.rs`): every txn applies with
/// exactly the outcome prep decided, per op for multis, and the tree keeps prep's rules.
pub fn request_preparation(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let mut actions = Vec::new();
    while !input.is_empty() && actions.len() < 200 {
        let Ok(action) = action(&mut input) else {
            break;
        };
        actions.push(action);
    }
    run_actions(actions);
}

fn action(input: &mut Unstructured) -> Generated<Action> {
    Ok(if input.int_in_range(0..=4)? < 3 {
        Action::Prepare {
            session: input.int_in_range(0..=2)?,
            digest_user: input.arbitrary()?,
            request: write_request(input)?,
        }
    } else {
        Action::ApplyOldest
    })
}

fn request_path(input: &mut Unstructured) -> Generated<String> {
    Ok(REQUEST_PATHS[input.choose_index(REQUEST_PATHS.len())?].to_string())
}

fn request_version(input: &mut Unstructured) -> Generated<i32> {
    Ok(match input.int_in_range(0..=5)? {
        0..=2 => -1,
        version => version - 3,
    })
}

fn request_acl(input: &mut Unstructured) -> Generated<Vec<Acl>> {
    Ok(match input.int_in_range(0..=6)? {
        0..=3 => Acl::open_unsafe(),
        4 => Acl::read_unsafe(),
        5 => Acl::creator_all(),
        _ => vec![Acl::new(
            perms::CREATE | perms::DELETE,
            Id::new("ip", "127.0.0.0/8"),
        )],
    })
}

fn create_request(input: &mut Unstructured) -> Generated<CreateRequest> {
    let op = match input.int_in_range(0..=7)? {
        0..=3 => CreateOp::Create,
        4 | 5 => CreateOp::Create2,
        6 => CreateOp::CreateContainer,
        _ => CreateOp::CreateTtl {
            ttl_ms: [-1, 0, 1000][input.choose_index(3)?],
        },
    };
    Ok(CreateRequest {
        op,
        path: request_path(input)?,
        data: Some(vec![1]),
        acl: request_acl(input)?,
        flags: input.int_in_range(0..=7)?,
    })
}

fn multi_op(input: &mut Unstructured) -> Generated<MultiOp> {
    Ok(match input.int_in_range(0..=3)? {
        0 => MultiOp::Create(create_request(input)?),
        1 => MultiOp::Delete(DeleteRequest {
            path: request_path(input)?,
            version: request_version(input)?,
        }),
        2 => MultiOp::SetData(SetDataRequest {
            path: request_path(input)?,
            data: Some(vec![2]),
            version: request_version(input)?,
        }),
        _ => MultiOp::Check(CheckRequest {
            path: request_path(input)?,
            version: request_version(input)?,
        }),
    })
}

fn write_request(input: &mut Unstructured) -> Generated<WriteRequest> {
    Ok(match input.int_in_range(0..=19)? {
        0..=5 => WriteRequest::Create(create_request(input)?),
        6..=8 => WriteRequest::Delete(DeleteRequest {
            path: request_path(input)?,
            version: request_version(input)?,
        }),
        9 => WriteRequest::DeleteContainer {
            path: request_path(input)?,
        },
        10..=12 => WriteRequest::SetData(SetDataRequest {
            path: request_path(input)?,
            data: Some(vec![3]),
            version: request_version(input)?,
        }),
        13 => WriteRequest::SetAcl(SetAclRequest {
            path: request_path(input)?,
            acl: request_acl(input)?,
            version: request_version(input)?,
        }),
        14 => WriteRequest::Check(CheckRequest {
            path: request_path(input)?,
            version: request_version(input)?,
        }),
        15..=17 => {
            let count = input.int_in_range(0..=3)?;
            let mut ops = Vec::with_capacity(count);
            for _ in 0..count {
                ops.push(multi_op(input)?);
            }
            WriteRequest::Multi(ops)
        }
        18 => WriteRequest::CloseSession,
        _ => WriteRequest::CreateSession {
            timeout_ms: input.int_in_range(1..=50_000)?,
        },
    })
}
