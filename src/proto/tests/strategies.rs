//! Proptest strategies for every record: any value a peer could send, including nulls, empty
//! strings and non-ASCII text.

use crate::proto::message::{RequestBody, ResponseBody};
use crate::proto::records::*;
use crate::proto::txn_entry::{TxnBody, TxnEntry};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

/// Builds a record from a tuple of field strategies, fields in declaration order.
macro_rules! record {
    ($name:ident { $($field:ident : $strategy:expr),* $(,)? }) => {
        ($($strategy,)*).prop_map(|($($field,)*)| $name { $($field),* })
    };
}

pub fn text() -> impl Strategy<Value = String> {
    "\\PC{0,10}"
}

pub fn texts() -> impl Strategy<Value = Vec<String>> {
    vec(text(), 0..4)
}

pub fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..16)
}

pub fn nullable_bytes() -> impl Strategy<Value = Option<Vec<u8>>> {
    option::of(bytes())
}

pub fn id() -> impl Strategy<Value = Id> {
    record!(Id {
        scheme: text(),
        id: text()
    })
}

pub fn acl() -> impl Strategy<Value = Acl> {
    record!(Acl {
        perms: any::<i32>(),
        id: id()
    })
}

pub fn acls() -> impl Strategy<Value = Vec<Acl>> {
    vec(acl(), 0..3)
}

pub fn stat() -> impl Strategy<Value = Stat> {
    record!(Stat {
        czxid: any::<i64>(),
        mzxid: any::<i64>(),
        ctime_ms: any::<i64>(),
        mtime_ms: any::<i64>(),
        version: any::<i32>(),
        cversion: any::<i32>(),
        aversion: any::<i32>(),
        ephemeral_owner: any::<i64>(),
        data_length: any::<i32>(),
        num_children: any::<i32>(),
        pzxid: any::<i64>(),
    })
}

pub fn stat_persisted() -> impl Strategy<Value = StatPersisted> {
    record!(StatPersisted {
        czxid: any::<i64>(),
        mzxid: any::<i64>(),
        ctime_ms: any::<i64>(),
        mtime_ms: any::<i64>(),
        version: any::<i32>(),
        cversion: any::<i32>(),
        aversion: any::<i32>(),
        ephemeral_owner: any::<i64>(),
        pzxid: any::<i64>(),
    })
}

pub fn client_info() -> impl Strategy<Value = ClientInfo> {
    record!(ClientInfo {
        auth_scheme: text(),
        user: text()
    })
}

pub fn connect_request() -> impl Strategy<Value = ConnectRequest> {
    record!(ConnectRequest {
        protocol_version: any::<i32>(),
        last_zxid_seen: any::<i64>(),
        timeout_ms: any::<i32>(),
        session_id: any::<i64>(),
        password: bytes(),
        read_only: option::of(any::<bool>()),
    })
}

pub fn connect_response() -> impl Strategy<Value = ConnectResponse> {
    record!(ConnectResponse {
        protocol_version: any::<i32>(),
        timeout_ms: any::<i32>(),
        session_id: any::<i64>(),
        password: bytes(),
        read_only: option::of(any::<bool>()),
    })
}

pub fn request_header() -> impl Strategy<Value = RequestHeader> {
    record!(RequestHeader {
        xid: any::<i32>(),
        op_type: any::<i32>()
    })
}

pub fn reply_header() -> impl Strategy<Value = ReplyHeader> {
    record!(ReplyHeader {
        xid: any::<i32>(),
        zxid: any::<i64>(),
        err: any::<i32>()
    })
}

pub fn multi_header() -> impl Strategy<Value = MultiHeader> {
    record!(MultiHeader {
        op_type: any::<i32>(),
        done: any::<bool>(),
        err: any::<i32>()
    })
}

pub fn watcher_event() -> impl Strategy<Value = WatcherEvent> {
    record!(WatcherEvent {
        event_type: any::<i32>(),
        state: any::<i32>(),
        path: text()
    })
}

pub fn auth_packet() -> impl Strategy<Value = AuthPacket> {
    record!(AuthPacket {
        auth_type: any::<i32>(),
        scheme: text(),
        auth: bytes()
    })
}

pub fn set_watches() -> impl Strategy<Value = SetWatches> {
    record!(SetWatches {
        relative_zxid: any::<i64>(),
        data_watches: texts(),
        exist_watches: texts(),
        child_watches: texts(),
    })
}

pub fn set_watches2() -> impl Strategy<Value = SetWatches2> {
    record!(SetWatches2 {
        relative_zxid: any::<i64>(),
        data_watches: texts(),
        exist_watches: texts(),
        child_watches: texts(),
        persistent_watches: texts(),
        persistent_recursive_watches: texts(),
    })
}

pub fn create_request() -> impl Strategy<Value = CreateRequest> {
    record!(CreateRequest {
        path: text(),
        data: nullable_bytes(),
        acl: acls(),
        flags: any::<i32>()
    })
}

pub fn create_ttl_request() -> impl Strategy<Value = CreateTtlRequest> {
    record!(CreateTtlRequest {
        path: text(),
        data: nullable_bytes(),
        acl: acls(),
        flags: any::<i32>(),
        ttl_ms: any::<i64>(),
    })
}

pub fn delete_request() -> impl Strategy<Value = DeleteRequest> {
    record!(DeleteRequest {
        path: text(),
        version: any::<i32>()
    })
}

pub fn exists_request() -> impl Strategy<Value = ExistsRequest> {
    record!(ExistsRequest {
        path: text(),
        watch: any::<bool>()
    })
}

pub fn get_data_request() -> impl Strategy<Value = GetDataRequest> {
    record!(GetDataRequest {
        path: text(),
        watch: any::<bool>()
    })
}

pub fn set_data_request() -> impl Strategy<Value = SetDataRequest> {
    record!(SetDataRequest {
        path: text(),
        data: nullable_bytes(),
        version: any::<i32>()
    })
}

pub fn set_acl_request() -> impl Strategy<Value = SetAclRequest> {
    record!(SetAclRequest {
        path: text(),
        acl: acls(),
        version: any::<i32>()
    })
}

pub fn get_children_request() -> impl Strategy<Value = GetChildrenRequest> {
    record!(GetChildrenRequest {
        path: text(),
        watch: any::<bool>()
    })
}

pub fn get_children2_request() -> impl Strategy<Value = GetChildren2Request> {
    record!(GetChildren2Request {
        path: text(),
        watch: any::<bool>()
    })
}

pub fn check_version_request() -> impl Strategy<Value = CheckVersionRequest> {
    record!(CheckVersionRequest {
        path: text(),
        version: any::<i32>()
    })
}

pub fn reconfig_request() -> impl Strategy<Value = ReconfigRequest> {
    record!(ReconfigRequest {
        joining_servers: option::of(text()),
        leaving_servers: option::of(text()),
        new_members: option::of(text()),
        current_config_id: any::<i64>(),
    })
}

pub fn multi_op() -> impl Strategy<Value = MultiOp> {
    prop_oneof![
        create_request().prop_map(MultiOp::Create),
        create_request().prop_map(MultiOp::Create2),
        create_request().prop_map(MultiOp::CreateContainer),
        create_ttl_request().prop_map(MultiOp::CreateTtl),
        delete_request().prop_map(MultiOp::Delete),
        set_data_request().prop_map(MultiOp::SetData),
        check_version_request().prop_map(MultiOp::Check),
        record!(GetChildrenRequest {
            path: text(),
            watch: any::<bool>()
        })
        .prop_map(MultiOp::GetChildren),
        get_data_request().prop_map(MultiOp::GetData),
    ]
}

pub fn multi_request() -> impl Strategy<Value = MultiRequest> {
    vec(multi_op(), 0..4).prop_map(|ops| MultiRequest { ops })
}

pub fn error_response() -> impl Strategy<Value = ErrorResponse> {
    record!(ErrorResponse { err: any::<i32>() })
}

pub fn create2_response() -> impl Strategy<Value = Create2Response> {
    record!(Create2Response {
        path: text(),
        stat: stat()
    })
}

pub fn get_data_response() -> impl Strategy<Value = GetDataResponse> {
    record!(GetDataResponse {
        data: nullable_bytes(),
        stat: stat()
    })
}

pub fn get_acl_response() -> impl Strategy<Value = GetAclResponse> {
    record!(GetAclResponse {
        acl: acls(),
        stat: stat()
    })
}

pub fn get_children2_response() -> impl Strategy<Value = GetChildren2Response> {
    record!(GetChildren2Response {
        children: texts(),
        stat: stat()
    })
}

pub fn multi_op_result() -> impl Strategy<Value = MultiOpResult> {
    prop_oneof![
        text().prop_map(|path| MultiOpResult::Create(CreateResponse { path })),
        create2_response().prop_map(MultiOpResult::Create2),
        Just(MultiOpResult::Delete),
        stat().prop_map(|stat| MultiOpResult::SetData(SetDataResponse { stat })),
        Just(MultiOpResult::Check),
        texts().prop_map(|children| MultiOpResult::GetChildren(GetChildrenResponse { children })),
        get_data_response().prop_map(MultiOpResult::GetData),
        error_response().prop_map(MultiOpResult::Error),
    ]
}

pub fn multi_response() -> impl Strategy<Value = MultiResponse> {
    vec(multi_op_result(), 0..4).prop_map(|results| MultiResponse { results })
}

pub fn request_body() -> impl Strategy<Value = RequestBody> {
    prop_oneof![
        create_request().prop_map(RequestBody::Create),
        create_request().prop_map(RequestBody::Create2),
        create_request().prop_map(RequestBody::CreateContainer),
        create_ttl_request().prop_map(RequestBody::CreateTtl),
        delete_request().prop_map(RequestBody::Delete),
        exists_request().prop_map(RequestBody::Exists),
        get_data_request().prop_map(RequestBody::GetData),
        set_data_request().prop_map(RequestBody::SetData),
        text().prop_map(|path| RequestBody::GetAcl(GetAclRequest { path })),
        set_acl_request().prop_map(RequestBody::SetAcl),
        get_children_request().prop_map(RequestBody::GetChildren),
        get_children2_request().prop_map(RequestBody::GetChildren2),
        text().prop_map(|path| RequestBody::Sync(SyncRequest { path })),
        Just(RequestBody::Ping),
        check_version_request().prop_map(RequestBody::Check),
        multi_request().prop_map(RequestBody::Multi),
        multi_request().prop_map(RequestBody::MultiRead),
        reconfig_request().prop_map(RequestBody::Reconfig),
        record!(CheckWatchesRequest {
            path: text(),
            watcher_type: any::<i32>()
        })
        .prop_map(RequestBody::CheckWatches),
        record!(RemoveWatchesRequest {
            path: text(),
            watcher_type: any::<i32>()
        })
        .prop_map(RequestBody::RemoveWatches),
        auth_packet().prop_map(RequestBody::Auth),
        set_watches().prop_map(RequestBody::SetWatches),
        set_watches2().prop_map(RequestBody::SetWatches2),
        bytes().prop_map(|token| RequestBody::Sasl(SetSaslRequest { token })),
        text().prop_map(
            |prefix_path| RequestBody::GetEphemerals(GetEphemeralsRequest { prefix_path })
        ),
        text().prop_map(
            |path| RequestBody::GetAllChildrenNumber(GetAllChildrenNumberRequest { path })
        ),
        record!(AddWatchRequest {
            path: text(),
            mode: any::<i32>()
        })
        .prop_map(RequestBody::AddWatch),
        Just(RequestBody::WhoAmI),
        Just(RequestBody::CloseSession),
    ]
}

pub fn response_body() -> impl Strategy<Value = ResponseBody> {
    prop_oneof![
        Just(ResponseBody::Empty),
        watcher_event().prop_map(ResponseBody::Notification),
        text().prop_map(|path| ResponseBody::Create(CreateResponse { path })),
        create2_response().prop_map(ResponseBody::Create2),
        stat().prop_map(|stat| ResponseBody::Exists(ExistsResponse { stat })),
        get_data_response().prop_map(ResponseBody::GetData),
        stat().prop_map(|stat| ResponseBody::SetData(SetDataResponse { stat })),
        get_acl_response().prop_map(ResponseBody::GetAcl),
        stat().prop_map(|stat| ResponseBody::SetAcl(SetAclResponse { stat })),
        texts().prop_map(|children| ResponseBody::GetChildren(GetChildrenResponse { children })),
        get_children2_response().prop_map(ResponseBody::GetChildren2),
        text().prop_map(|path| ResponseBody::Sync(SyncResponse { path })),
        multi_response().prop_map(ResponseBody::Multi),
        bytes().prop_map(|token| ResponseBody::Sasl(SetSaslResponse { token })),
        texts().prop_map(
            |ephemerals| ResponseBody::GetEphemerals(GetEphemeralsResponse { ephemerals })
        ),
        any::<i32>().prop_map(|total_number| ResponseBody::GetAllChildrenNumber(
            GetAllChildrenNumberResponse { total_number }
        )),
        vec(client_info(), 0..3)
            .prop_map(|client_info| ResponseBody::WhoAmI(WhoAmIResponse { client_info })),
        error_response().prop_map(ResponseBody::AddWatch),
    ]
}

pub fn txn_header() -> impl Strategy<Value = TxnHeader> {
    record!(TxnHeader {
        client_id: any::<i64>(),
        cxid: any::<i32>(),
        zxid: any::<i64>(),
        time_ms: any::<i64>(),
        txn_type: any::<i32>(),
    })
}

pub fn create_txn() -> impl Strategy<Value = CreateTxn> {
    record!(CreateTxn {
        path: text(),
        data: nullable_bytes(),
        acl: acls(),
        ephemeral: any::<bool>(),
        parent_cversion: any::<i32>(),
    })
}

pub fn create_container_txn() -> impl Strategy<Value = CreateContainerTxn> {
    record!(CreateContainerTxn {
        path: text(),
        data: nullable_bytes(),
        acl: acls(),
        parent_cversion: any::<i32>(),
    })
}

pub fn create_ttl_txn() -> impl Strategy<Value = CreateTtlTxn> {
    record!(CreateTtlTxn {
        path: text(),
        data: nullable_bytes(),
        acl: acls(),
        parent_cversion: any::<i32>(),
        ttl_ms: any::<i64>(),
    })
}

pub fn set_data_txn() -> impl Strategy<Value = SetDataTxn> {
    record!(SetDataTxn {
        path: text(),
        data: nullable_bytes(),
        version: any::<i32>()
    })
}

pub fn delete_txn() -> impl Strategy<Value = DeleteTxn> {
    text().prop_map(|path| DeleteTxn { path })
}

/// The bodies ZooKeeper allows inside a multi.
pub fn txn_body_in_multi() -> impl Strategy<Value = TxnBody> {
    prop_oneof![
        create_txn().prop_map(TxnBody::Create),
        create_txn().prop_map(TxnBody::Create2),
        create_container_txn().prop_map(TxnBody::CreateContainer),
        create_ttl_txn().prop_map(TxnBody::CreateTtl),
        delete_txn().prop_map(TxnBody::Delete),
        delete_txn().prop_map(TxnBody::DeleteContainer),
        set_data_txn().prop_map(TxnBody::SetData),
        record!(CheckVersionTxn {
            path: text(),
            version: any::<i32>()
        })
        .prop_map(TxnBody::CheckVersion),
        any::<i32>().prop_map(|err| TxnBody::Error(ErrorTxn { err })),
    ]
}

/// Every body a log can hold.
pub fn txn_body() -> impl Strategy<Value = TxnBody> {
    prop_oneof![
        txn_body_in_multi(),
        record!(CreateTxnV0 {
            path: text(),
            data: nullable_bytes(),
            acl: acls(),
            ephemeral: any::<bool>()
        })
        .prop_map(TxnBody::CreateV0),
        set_data_txn().prop_map(TxnBody::Reconfig),
        record!(SetAclTxn {
            path: text(),
            acl: acls(),
            version: any::<i32>()
        })
        .prop_map(TxnBody::SetAcl),
        vec(txn_body_in_multi(), 0..4).prop_map(TxnBody::Multi),
        any::<i32>().prop_map(|timeout_ms| TxnBody::CreateSession(CreateSessionTxn { timeout_ms })),
        option::of(texts().prop_map(|paths_to_delete| CloseSessionTxn { paths_to_delete }))
            .prop_map(TxnBody::CloseSession),
    ]
}

pub fn txn_digest() -> impl Strategy<Value = TxnDigest> {
    record!(TxnDigest {
        version: any::<i32>(),
        tree_digest: any::<i64>()
    })
}

/// A consistent entry: the header's type is the body's op code.
pub fn txn_entry() -> impl Strategy<Value = TxnEntry> {
    (txn_header(), txn_body(), option::of(txn_digest())).prop_map(|(header, body, digest)| {
        TxnEntry {
            header: TxnHeader {
                txn_type: body.op_code().code(),
                ..header
            },
            body,
            digest,
        }
    })
}
