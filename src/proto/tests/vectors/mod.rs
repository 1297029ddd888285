//! Byte vectors captured from Apache ZooKeeper 3.8.0 and its Java and C clients
//! (`tests/vectors/`, see the README there and `tools/vectors/capture.py`). Each test decodes
//! one captured frame or txn into the record the scenario step must have produced, and
//! re-encodes that record to the identical bytes.
//!
//! Server-chosen values (session ids, passwords, zxids, times, digests) are those of the run
//! that captured the files; client-chosen ones (paths, data, flags, ACLs, watch bits) are those
//! the capture driver asked for.

mod creates;
mod handshake;
mod multi;
mod reads;
mod session;
mod txn_nodes;
mod txn_sessions;
mod watches;

use crate::proto::frame::FrameDecoder;
use crate::proto::jute;
use crate::proto::message::{Request, RequestBody, Response, ResponseBody};
use crate::proto::opcode::OpCode;
use crate::proto::records::*;
use crate::proto::txn_entry::{TxnBody, TxnEntry};
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

fn vectors_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// The bytes of a vector file, and its `#` comment lines.
fn read_vector(path: &Path) -> (Vec<u8>, Vec<String>) {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    let (comments, hex_lines): (Vec<&str>, Vec<&str>) =
        text.lines().partition(|line| line.starts_with('#'));
    let comments = comments
        .iter()
        .map(|line| line.trim_start_matches('#').trim().to_string())
        .collect();
    (hex(&hex_lines.concat()), comments)
}

fn vector(name: &str) -> Vec<u8> {
    read_vector(&vectors_directory().join(format!("{name}.hex"))).0
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd number of hex digits");
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("a hex digit pair"))
        .collect()
}

fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl {
        perms,
        id: Id {
            scheme: scheme.into(),
            id: id.into(),
        },
    }
}

/// A Stat written compactly: zxids (created, modified, children changed), times in ms
/// (created, modified), versions (data, children, ACL), then the ephemeral owner, the data
/// length and the number of children.
fn stat(
    [czxid, mzxid, pzxid]: [i64; 3],
    [ctime_ms, mtime_ms]: [i64; 2],
    [version, cversion, aversion]: [i32; 3],
    ephemeral_owner: i64,
    data_length: i32,
    num_children: i32,
) -> Stat {
    Stat {
        czxid,
        mzxid,
        ctime_ms,
        mtime_ms,
        version,
        cversion,
        aversion,
        ephemeral_owner,
        data_length,
        num_children,
        pzxid,
    }
}

fn assert_same_bytes<E: Debug>(name: &str, encoded: Result<Vec<u8>, E>, bytes: &[u8]) {
    let encoded = encoded.unwrap_or_else(|error| panic!("{name} re-encodes: {error:?}"));
    assert_eq!(encoded, bytes, "{name} re-encodes to the captured bytes");
}

fn reply(xid: i32, zxid: i64, err: i32, body: ResponseBody) -> Response {
    Response {
        header: ReplyHeader { xid, zxid, err },
        body,
    }
}

fn check_connect_request(name: &str, expected: ConnectRequest) {
    let bytes = vector(name);
    let decoded: ConnectRequest = jute::from_slice(&bytes).unwrap();
    assert_eq!(decoded, expected, "{name}");
    assert_same_bytes(name, jute::to_vec(&decoded), &bytes);
}

fn check_connect_response(name: &str, expected: ConnectResponse) {
    let bytes = vector(name);
    let decoded: ConnectResponse = jute::from_slice(&bytes).unwrap();
    assert_eq!(decoded, expected, "{name}");
    assert_same_bytes(name, jute::to_vec(&decoded), &bytes);
}

fn check_request(name: &str, expected: Request) {
    let bytes = vector(name);
    let decoded = Request::decode(&bytes).unwrap();
    assert_eq!(decoded, expected, "{name}");
    assert_same_bytes(name, decoded.encode(), &bytes);
}

fn check_response(name: &str, request_op_code: OpCode, expected: Response) {
    let bytes = vector(name);
    let decoded = Response::decode(&bytes, request_op_code).unwrap();
    assert_eq!(decoded, expected, "{name}");
    assert_same_bytes(name, decoded.encode(), &bytes);
}

fn check_txn(name: &str, expected: TxnEntry) {
    let bytes = vector(&format!("txn/{name}"));
    let decoded = TxnEntry::decode(&bytes).unwrap();
    assert_eq!(decoded, expected, "{name}");
    assert_same_bytes(name, decoded.encode(), &bytes);
}

fn check_file_header(name: &str, expected: FileHeader) {
    let bytes = vector(&format!("txn/{name}"));
    let decoded: FileHeader = jute::from_slice(&bytes).unwrap();
    assert_eq!(decoded, expected, "{name}");
    assert_eq!(decoded.magic, FileHeader::TXN_LOG_MAGIC);
    assert_same_bytes(name, jute::to_vec(&decoded), &bytes);
}

/// The op code a capture comment names ("... for create2").
fn op_code_named(name: &str) -> OpCode {
    let code = match name {
        "create" => 1,
        "delete" => 2,
        "exists" => 3,
        "get-data" => 4,
        "set-data" => 5,
        "get-acl" => 6,
        "set-acl" => 7,
        "get-children" => 8,
        "sync" => 9,
        "ping" => 11,
        "get-children2" => 12,
        "multi" => 14,
        "create2" => 15,
        "reconfig" => 16,
        "check-watches" => 17,
        "remove-watches" => 18,
        "create-container" => 19,
        "create-ttl" => 21,
        "multi-read" => 22,
        "auth" => 100,
        "set-watches" => 101,
        "get-ephemerals" => 103,
        "get-all-children-number" => 104,
        "set-watches2" => 105,
        "add-watch" => 106,
        "who-am-i" => 107,
        "close-session" => -11,
        other => panic!("no op code named {other}"),
    };
    OpCode::try_from(code).unwrap()
}

/// Every captured file, whether or not a test above names it: each decodes as what its
/// comment says it is and re-encodes to the same bytes.
#[test]
fn every_captured_frame_round_trips() {
    let mut checked = 0;
    for entry in fs::read_dir(vectors_directory()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".hex") || name.starts_with("stream-") {
            continue;
        }
        let (bytes, comments) = read_vector(&path);
        let frame = comments
            .iter()
            .find_map(|comment| comment.strip_prefix("frame: "))
            .unwrap_or_else(|| panic!("{name} says what frame it holds"));
        let encoded = if frame == "ConnectRequest" {
            jute::to_vec(&jute::from_slice::<ConnectRequest>(&bytes).unwrap())
        } else if frame == "ConnectResponse" {
            jute::to_vec(&jute::from_slice::<ConnectResponse>(&bytes).unwrap())
        } else if frame.starts_with("RequestHeader") {
            Request::decode(&bytes).unwrap().encode()
        } else if frame.starts_with("ReplyHeader xid=-1 ") {
            Response::decode(&bytes, OpCode::Notification)
                .unwrap()
                .encode()
        } else {
            let op_name = frame.rsplit(' ').next().unwrap();
            Response::decode(&bytes, op_code_named(op_name))
                .unwrap_or_else(|error| panic!("{name}: {error}"))
                .encode()
        };
        assert_same_bytes(&name, encoded, &bytes);
        checked += 1;
    }
    assert!(checked >= 130, "only {checked} frames found");
}

#[test]
fn every_captured_txn_round_trips() {
    let mut checked = 0;
    for entry in fs::read_dir(vectors_directory().join("txn")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "file-header.hex" {
            continue;
        }
        let (bytes, _) = read_vector(&path);
        let decoded = TxnEntry::decode(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_same_bytes(&name, decoded.encode(), &bytes);
        // Every txn ZooKeeper 3.8 wrote is one the core can hold.
        decoded
            .to_model()
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} txns found");
}

/// The raw byte streams of the first connection split into the frames the proxy saw: the
/// handshake, then requests on one side and, on the other, replies (each decoded as the answer
/// to the request with its xid) and notifications.
#[test]
fn captured_streams_split_into_frames() {
    let decoder = FrameDecoder::default();
    let mut client_stream = vector("stream-connection-0.c2s");
    let handshake = decoder.take_frame(&mut client_stream).unwrap().unwrap();
    jute::from_slice::<ConnectRequest>(&handshake).unwrap();
    let mut op_codes = std::collections::BTreeMap::new();
    while let Some(frame) = decoder.take_frame(&mut client_stream).unwrap() {
        let request = Request::decode(&frame).unwrap();
        assert_same_bytes("a streamed request", request.encode(), &frame);
        op_codes.insert(request.header.xid, request.body.op_code());
    }
    assert!(
        client_stream.is_empty(),
        "the client stream ends on a frame"
    );
    assert!(op_codes.len() >= 20, "only {} requests", op_codes.len());

    let mut server_stream = vector("stream-connection-0.s2c");
    let handshake = decoder.take_frame(&mut server_stream).unwrap().unwrap();
    jute::from_slice::<ConnectResponse>(&handshake).unwrap();
    let (mut replies, mut notifications) = (0, 0);
    while let Some(frame) = decoder.take_frame(&mut server_stream).unwrap() {
        let header: ReplyHeader = jute::from_slice_prefix(&frame).unwrap().0;
        let op_code = if header.xid == xid::NOTIFICATION {
            notifications += 1;
            OpCode::Notification
        } else {
            replies += 1;
            op_codes[&header.xid]
        };
        let response = Response::decode(&frame, op_code).unwrap();
        assert_same_bytes("a streamed reply", response.encode(), &frame);
    }
    assert!(
        server_stream.is_empty(),
        "the server stream ends on a frame"
    );
    assert_eq!(replies, op_codes.len(), "one reply per request");
    assert!(notifications >= 2, "only {notifications} notifications");
}
