//! The older txn forms and the optional digest, from hand-built bytes; and the multi encoding's
//! refusal of ops it cannot hold.

use crate::proto::jute::{self, JuteError};
use crate::proto::opcode::OpCode;
use crate::proto::records::*;
use crate::proto::txn_entry::{TxnBody, TxnEntry};

fn header(op_code: OpCode) -> TxnHeader {
    TxnHeader {
        client_id: 0x1234,
        cxid: 7,
        zxid: 0x1_0000_0005,
        time_ms: 1_700_000_000_000,
        txn_type: op_code.code(),
    }
}

fn entry_bytes(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn create_v0() -> CreateTxnV0 {
    CreateTxnV0 {
        path: "/old".into(),
        data: Some(b"v0".to_vec()),
        acl: vec![],
        ephemeral: true,
    }
}

const DIGEST: TxnDigest = TxnDigest {
    version: 2,
    tree_digest: 0x0123_4567_89ab_cdef,
};

#[test]
fn a_pre_3_3_create_decodes_with_or_without_a_digest() {
    let header_bytes = jute::to_vec(&header(OpCode::Create)).unwrap();
    let body_bytes = jute::to_vec(&create_v0()).unwrap();
    let digest_bytes = jute::to_vec(&DIGEST).unwrap();
    for digest in [None, Some(DIGEST)] {
        let bytes = match digest {
            None => entry_bytes(&[&header_bytes, &body_bytes]),
            Some(_) => entry_bytes(&[&header_bytes, &body_bytes, &digest_bytes]),
        };
        let entry = TxnEntry::decode(&bytes).unwrap();
        assert_eq!(entry.body, TxnBody::CreateV0(create_v0()));
        assert_eq!(entry.digest, digest);
        assert_eq!(entry.encode().unwrap(), bytes);
    }
}

#[test]
fn a_close_session_without_body_decodes_with_or_without_a_digest() {
    let header_bytes = jute::to_vec(&header(OpCode::CloseSession)).unwrap();
    let digest_bytes = jute::to_vec(&DIGEST).unwrap();
    let bare = TxnEntry::decode(&header_bytes).unwrap();
    assert_eq!(bare.body, TxnBody::CloseSession(None));
    assert_eq!(bare.digest, None);
    let with_digest = entry_bytes(&[&header_bytes, &digest_bytes]);
    let entry = TxnEntry::decode(&with_digest).unwrap();
    assert_eq!(entry.body, TxnBody::CloseSession(None));
    assert_eq!(entry.digest, Some(DIGEST));
    assert_eq!(entry.encode().unwrap(), with_digest);
}

#[test]
fn bytes_after_the_body_must_be_one_digest() {
    let header_bytes = jute::to_vec(&header(OpCode::Delete)).unwrap();
    let body_bytes = jute::to_vec(&DeleteTxn { path: "/a".into() }).unwrap();
    let digest_bytes = jute::to_vec(&DIGEST).unwrap();
    let truncated_digest = entry_bytes(&[&header_bytes, &body_bytes, &digest_bytes[..5]]);
    assert!(matches!(
        TxnEntry::decode(&truncated_digest),
        Err(JuteError::Truncated { .. })
    ));
    let extra = entry_bytes(&[&header_bytes, &body_bytes, &digest_bytes, &[0x42]]);
    assert!(matches!(
        TxnEntry::decode(&extra),
        Err(JuteError::TrailingBytes(1))
    ));
}

#[test]
fn txn_types_that_are_not_txns_are_refused() {
    let bytes = jute::to_vec(&header(OpCode::GetData)).unwrap();
    assert!(matches!(
        TxnEntry::decode(&bytes),
        Err(JuteError::UnexpectedOpCode {
            op_code: OpCode::GetData,
            ..
        })
    ));
    let unknown = jute::to_vec(&TxnHeader {
        txn_type: 77,
        ..header(OpCode::Create)
    })
    .unwrap();
    assert!(matches!(
        TxnEntry::decode(&unknown),
        Err(JuteError::UnknownOpCode(_))
    ));
}

#[test]
fn a_multi_request_with_an_op_a_multi_cannot_hold_is_refused() {
    let bytes = jute::to_vec(&(
        MultiHeader {
            op_type: OpCode::GetAcl.code(),
            done: false,
            err: -1,
        },
        GetAclRequest { path: "/a".into() },
        MultiHeader::DONE,
    ))
    .unwrap();
    assert!(jute::from_slice::<MultiRequest>(&bytes).is_err());
    let unknown = jute::to_vec(&(
        MultiHeader {
            op_type: 77,
            done: false,
            err: -1,
        },
        MultiHeader::DONE,
    ))
    .unwrap();
    assert!(jute::from_slice::<MultiRequest>(&unknown).is_err());
}

#[test]
fn a_multi_without_its_done_header_is_truncated() {
    let bytes = jute::to_vec(&(
        MultiHeader {
            op_type: OpCode::Delete.code(),
            done: false,
            err: -1,
        },
        DeleteRequest {
            path: "/a".into(),
            version: -1,
        },
    ))
    .unwrap();
    assert!(matches!(
        jute::from_slice::<MultiRequest>(&bytes),
        Err(JuteError::Truncated { .. })
    ));
}

#[test]
fn a_failed_multi_result_repeats_its_code_in_the_header() {
    let response = MultiResponse {
        results: vec![
            MultiOpResult::Error(ErrorResponse { err: 0 }),
            MultiOpResult::Error(ErrorResponse { err: -101 }),
        ],
    };
    let bytes = jute::to_vec(&response).unwrap();
    let expected: Vec<u8> = [
        &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0][..],
        &[0, 0, 0, 0],
        &[0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0x9b],
        &[0xff, 0xff, 0xff, 0x9b],
        &[0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff],
    ]
    .concat();
    assert_eq!(bytes, expected);
}
