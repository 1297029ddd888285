//! Every record, message and txn entry: encode then decode gives the value back and re-encodes
//! to the same bytes; decoding arbitrary bytes as any of them returns, without panicking.

use super::strategies::*;
use crate::proto::jute;
use crate::proto::message::{Request, RequestBody, Response, ResponseBody};
use crate::proto::opcode::OpCode;
use crate::proto::records::*;
use crate::proto::txn_entry::{TxnBody, TxnEntry};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    let bytes = jute::to_vec(value).expect("every record encodes");
    let decoded: T = jute::from_slice(&bytes).expect("its own encoding decodes");
    prop_assert_eq!(&decoded, value);
    prop_assert_eq!(jute::to_vec(&decoded).unwrap(), bytes);
    Ok(())
}

/// One proptest per record, named after it.
macro_rules! round_trips {
    ($($test:ident: $strategy:expr;)*) => {
        proptest! {
            $(
                #[test]
                fn $test(value in $strategy) {
                    round_trip(&value)?;
                }
            )*
        }
    };
}

round_trips! {
    id_round_trips: id();
    acl_round_trips: acl();
    stat_round_trips: stat();
    stat_persisted_round_trips: stat_persisted();
    client_info_round_trips: client_info();
    connect_request_round_trips: connect_request();
    connect_response_round_trips: connect_response();
    request_header_round_trips: request_header();
    reply_header_round_trips: reply_header();
    multi_header_round_trips: multi_header();
    watcher_event_round_trips: watcher_event();
    auth_packet_round_trips: auth_packet();
    set_watches_round_trips: set_watches();
    set_watches2_round_trips: set_watches2();
    set_sasl_request_round_trips: bytes().prop_map(|token| SetSaslRequest { token });
    set_sasl_response_round_trips: bytes().prop_map(|token| SetSaslResponse { token });
    who_am_i_response_round_trips: vec(client_info(), 0..3)
        .prop_map(|client_info| WhoAmIResponse { client_info });
    create_request_round_trips: create_request();
    create_ttl_request_round_trips: create_ttl_request();
    delete_request_round_trips: delete_request();
    exists_request_round_trips: exists_request();
    get_data_request_round_trips: get_data_request();
    set_data_request_round_trips: set_data_request();
    get_acl_request_round_trips: text().prop_map(|path| GetAclRequest { path });
    set_acl_request_round_trips: set_acl_request();
    get_children_request_round_trips: get_children_request();
    get_children2_request_round_trips: get_children2_request();
    sync_request_round_trips: text().prop_map(|path| SyncRequest { path });
    check_version_request_round_trips: check_version_request();
    reconfig_request_round_trips: reconfig_request();
    check_watches_request_round_trips: (text(), any::<i32>())
        .prop_map(|(path, watcher_type)| CheckWatchesRequest { path, watcher_type });
    remove_watches_request_round_trips: (text(), any::<i32>())
        .prop_map(|(path, watcher_type)| RemoveWatchesRequest { path, watcher_type });
    add_watch_request_round_trips: (text(), any::<i32>())
        .prop_map(|(path, mode)| AddWatchRequest { path, mode });
    get_ephemerals_request_round_trips: text()
        .prop_map(|prefix_path| GetEphemeralsRequest { prefix_path });
    get_all_children_number_request_round_trips: text()
        .prop_map(|path| GetAllChildrenNumberRequest { path });
    multi_request_round_trips: multi_request();
    error_response_round_trips: error_response();
    create_response_round_trips: text().prop_map(|path| CreateResponse { path });
    create2_response_round_trips: create2_response();
    exists_response_round_trips: stat().prop_map(|stat| ExistsResponse { stat });
    get_data_response_round_trips: get_data_response();
    set_data_response_round_trips: stat().prop_map(|stat| SetDataResponse { stat });
    get_acl_response_round_trips: get_acl_response();
    set_acl_response_round_trips: stat().prop_map(|stat| SetAclResponse { stat });
    get_children_response_round_trips: texts().prop_map(|children| GetChildrenResponse { children });
    get_children2_response_round_trips: get_children2_response();
    sync_response_round_trips: text().prop_map(|path| SyncResponse { path });
    get_ephemerals_response_round_trips: texts()
        .prop_map(|ephemerals| GetEphemeralsResponse { ephemerals });
    get_all_children_number_response_round_trips: any::<i32>()
        .prop_map(|total_number| GetAllChildrenNumberResponse { total_number });
    multi_response_round_trips: multi_response();
    txn_header_round_trips: txn_header();
    create_txn_round_trips: create_txn();
    create_container_txn_round_trips: create_container_txn();
    create_ttl_txn_round_trips: create_ttl_txn();
    delete_txn_round_trips: delete_txn();
    set_data_txn_round_trips: set_data_txn();
    txn_digest_round_trips: txn_digest();
    file_header_round_trips: (any::<i32>(), any::<i32>(), any::<i64>())
        .prop_map(|(magic, version, dbid)| FileHeader { magic, version, dbid });
    learner_info_round_trips: (any::<i64>(), any::<i32>(), any::<i64>()).prop_map(
        |(server_id, protocol_version, config_version)| LearnerInfo {
            server_id,
            protocol_version,
            config_version,
        }
    );
    quorum_packet_round_trips: (any::<i32>(), any::<i64>(), nullable_bytes(), proptest::option::of(vec(id(), 0..3)))
        .prop_map(|(packet_type, zxid, data, auth_info)| QuorumPacket {
            packet_type,
            zxid,
            data,
            auth_info,
        });
    quorum_auth_packet_round_trips: (any::<i64>(), any::<i32>(), nullable_bytes())
        .prop_map(|(magic, status, token)| QuorumAuthPacket { magic, status, token });
}

proptest! {
    /// The remaining txn records, through the entry that carries them.
    #[test]
    fn txn_entries_round_trip(entry in txn_entry()) {
        let bytes = entry.encode().expect("every entry encodes");
        let decoded = TxnEntry::decode(&bytes).expect("its own encoding decodes");
        prop_assert_eq!(&decoded, &entry);
        prop_assert_eq!(decoded.encode().unwrap(), bytes);
    }

    #[test]
    fn multi_sub_txns_round_trip(body in txn_body_in_multi()) {
        let txn = body.to_multi_txn().unwrap();
        prop_assert_eq!(TxnBody::from_multi_txn(&txn).unwrap(), body);
        round_trip(&MultiTxn { txns: vec![txn] })?;
    }

    #[test]
    fn requests_round_trip(xid: i32, body in request_body()) {
        let request = Request::new(xid, body);
        let bytes = request.encode().unwrap();
        let decoded = Request::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &request);
        prop_assert_eq!(decoded.encode().unwrap(), bytes);
    }

    #[test]
    fn responses_round_trip(header in reply_header(), body in response_body()) {
        let op_code = match &body {
            ResponseBody::Empty => OpCode::Delete,
            ResponseBody::Notification(_) => OpCode::Notification,
            ResponseBody::Create(_) => OpCode::Create,
            ResponseBody::Create2(_) => OpCode::Create2,
            ResponseBody::Exists(_) => OpCode::Exists,
            ResponseBody::GetData(_) => OpCode::GetData,
            ResponseBody::SetData(_) => OpCode::SetData,
            ResponseBody::GetAcl(_) => OpCode::GetAcl,
            ResponseBody::SetAcl(_) => OpCode::SetAcl,
            ResponseBody::GetChildren(_) => OpCode::GetChildren,
            ResponseBody::GetChildren2(_) => OpCode::GetChildren2,
            ResponseBody::Sync(_) => OpCode::Sync,
            ResponseBody::Multi(_) => OpCode::Multi,
            ResponseBody::Sasl(_) => OpCode::Sasl,
            ResponseBody::GetEphemerals(_) => OpCode::GetEphemerals,
            ResponseBody::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            ResponseBody::WhoAmI(_) => OpCode::WhoAmI,
            ResponseBody::AddWatch(_) => OpCode::AddWatch,
        };
        // Only a successful reply carries a body.
        let err = if body == ResponseBody::Empty { header.err } else { 0 };
        let response = Response { header: ReplyHeader { err, ..header }, body };
        let bytes = response.encode().unwrap();
        let decoded = Response::decode(&bytes, op_code).unwrap();
        prop_assert_eq!(&decoded, &response);
        prop_assert_eq!(decoded.encode().unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_any_decoder(bytes in vec(any::<u8>(), 0..128)) {
        decode_as_everything(&bytes);
    }

    /// Random bytes rarely get past the first length; a valid frame with a few bytes changed
    /// reaches the deeper decoding paths.
    #[test]
    fn mutated_valid_encodings_never_panic(
        entry in txn_entry(),
        request in request_body(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        for mut bytes in [entry.encode().unwrap(), Request::new(1, request).encode().unwrap()] {
            for (index, value) in &flips {
                if !bytes.is_empty() {
                    let at = index.index(bytes.len());
                    bytes[at] = *value;
                }
            }
            decode_as_everything(&bytes);
        }
    }
}

/// Tries `bytes` as every message and record; only the absence of a panic matters.
fn decode_as_everything(bytes: &[u8]) {
    let _ = TxnEntry::decode(bytes);
    let _ = Request::decode(bytes);
    for op_code in OpCode::ALL {
        let _ = Response::decode(bytes, op_code);
        let _ = RequestBody::decode(op_code, bytes);
        let _ = TxnBody::decode_prefix(op_code, bytes);
    }
    let _ = jute::from_slice::<ConnectRequest>(bytes);
    let _ = jute::from_slice::<ConnectResponse>(bytes);
    let _ = jute::from_slice::<MultiTxn>(bytes);
    let _ = jute::from_slice::<StatPersisted>(bytes);
    let _ = jute::from_slice::<FileHeader>(bytes);
    let _ = jute::from_slice::<QuorumPacket>(bytes);
    let _ = jute::from_slice::<QuorumAuthPacket>(bytes);
    let _ = jute::from_slice::<LearnerInfo>(bytes);
    let _ = jute::from_slice::<CreateTxnV0>(bytes);
}

#[test]
fn a_connect_response_answers_in_the_clients_form() {
    let modern = ConnectRequest {
        read_only: Some(false),
        ..ConnectRequest::default()
    };
    let legacy = ConnectRequest::default();
    let password = vec![7; PASSWORD_BYTES];
    let to_modern = ConnectResponse::answering(&modern, 4000, 5, password.clone(), true);
    assert_eq!(to_modern.read_only, Some(true));
    assert_eq!(jute::to_vec(&to_modern).unwrap().len(), 37);
    let to_legacy = ConnectResponse::answering(&legacy, 4000, 5, password, true);
    assert_eq!(to_legacy.read_only, None);
    assert_eq!(jute::to_vec(&to_legacy).unwrap().len(), 36);
    let refused = ConnectResponse::session_refused(&modern);
    assert_eq!(
        (refused.timeout_ms, refused.session_id, refused.password),
        (0, 0, vec![0; 16])
    );
}

#[test]
fn an_entry_whose_header_names_another_type_does_not_encode() {
    let entry = TxnEntry {
        header: TxnHeader {
            txn_type: OpCode::Delete.code(),
            ..TxnHeader::default()
        },
        body: TxnBody::CreateSession(CreateSessionTxn { timeout_ms: 1 }),
        digest: None,
    };
    assert!(matches!(
        entry.encode(),
        Err(jute::JuteError::TxnTypeMismatch { header_type: 2, .. })
    ));
}

#[test]
fn a_multi_inside_a_multi_is_refused_before_it_is_decoded() {
    let nested = Txn {
        txn_type: OpCode::Multi.code(),
        data: jute::to_vec(&MultiTxn { txns: vec![] }).unwrap(),
    };
    assert!(matches!(
        TxnBody::from_multi_txn(&nested),
        Err(jute::JuteError::UnexpectedOpCode {
            op_code: OpCode::Multi,
            ..
        })
    ));
    assert!(TxnBody::Multi(vec![TxnBody::Multi(vec![])])
        .to_multi_txn()
        .is_err());
}

#[test]
fn a_server_reads_a_body_and_ignores_what_follows_it() {
    let body = RequestBody::GetData(GetDataRequest {
        path: "/a".to_string(),
        watch: true,
    });
    let mut bytes = Vec::new();
    body.encode_into(&mut bytes).unwrap();
    let body_bytes = bytes.len();
    bytes.extend_from_slice(b"trailing");
    assert_eq!(
        RequestBody::decode_prefix(OpCode::GetData, &bytes).unwrap(),
        (body.clone(), body_bytes)
    );
    assert!(matches!(
        RequestBody::decode(OpCode::GetData, &bytes),
        Err(jute::JuteError::TrailingBytes(8))
    ));
    assert_eq!(
        RequestBody::decode_prefix(OpCode::Ping, b"trailing").unwrap(),
        (RequestBody::Ping, 0)
    );
}

#[test]
fn requests_with_op_codes_clients_never_send_are_refused() {
    for op_code in OpCode::ALL {
        assert_eq!(
            matches!(
                RequestBody::decode(op_code, &[]),
                Err(jute::JuteError::UnexpectedOpCode { .. })
            ),
            !op_code.is_client_request(),
            "{op_code:?}"
        );
    }
    let unknown = jute::to_vec(&RequestHeader {
        xid: 1,
        op_type: 99,
    })
    .unwrap();
    assert!(matches!(
        Request::decode(&unknown),
        Err(jute::JuteError::UnknownOpCode(_))
    ));
}
