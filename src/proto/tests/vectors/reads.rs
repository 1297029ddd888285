//! Node reads and the other node ops: getData, exists, getChildren2, ACLs, a stale setData,
//! sync, getEphemerals, getAllChildrenNumber; from the Java and the C client.

use super::*;

/// get-data-null: RequestHeader xid=11 get-data
#[test]
fn get_data_null_request() {
    check_request(
        "get-data-null.request",
        Request::new(
            11,
            RequestBody::GetData(GetDataRequest {
                path: "/vectors/null-data".into(),
                watch: false,
            }),
        ),
    );
}

/// get-data-null: ReplyHeader xid=11 zxid=0xb err=0 for get-data
#[test]
fn get_data_null_response() {
    check_response(
        "get-data-null.response",
        OpCode::GetData,
        reply(
            11,
            0xb,
            0,
            ResponseBody::GetData(GetDataResponse {
                data: None,
                stat: stat(
                    [0xb, 0xb, 0xb],
                    [1795329713067, 1795329713067],
                    [0, 0, 0],
                    0,
                    0,
                    0,
                ),
            }),
        ),
    );
}

/// set-data-bad-version: RequestHeader xid=14 set-data
#[test]
fn set_data_bad_version_request() {
    check_request(
        "set-data-bad-version.request",
        Request::new(
            14,
            RequestBody::SetData(SetDataRequest {
                path: "/vectors".into(),
                data: Some(b"stale".to_vec()),
                version: 999,
            }),
        ),
    );
}

/// set-data-bad-version: ReplyHeader xid=14 zxid=0xd err=-103 for set-data
#[test]
fn set_data_bad_version_response() {
    check_response(
        "set-data-bad-version.response",
        OpCode::SetData,
        reply(14, 0xd, -103, ResponseBody::Empty),
    );
}

/// get-children2: RequestHeader xid=16 get-children2
#[test]
fn get_children2_request() {
    check_request(
        "get-children2.request",
        Request::new(
            16,
            RequestBody::GetChildren2(GetChildren2Request {
                path: "/vectors".into(),
                watch: false,
            }),
        ),
    );
}

/// get-children2: ReplyHeader xid=16 zxid=0xd err=0 for get-children2
#[test]
fn get_children2_response() {
    check_response(
        "get-children2.response",
        OpCode::GetChildren2,
        reply(
            16,
            0xd,
            0,
            ResponseBody::GetChildren2(GetChildren2Response {
                children: vec![
                    "container".into(),
                    "ephemeral".into(),
                    "ephemeral-sequential-0000000002".into(),
                    "sequential-0000000000".into(),
                    "ttl".into(),
                    "null-data".into(),
                ],
                stat: stat(
                    [0x2, 0xc, 0xb],
                    [1795329712994, 1795329713079],
                    [1, 6, 0],
                    0,
                    7,
                    6,
                ),
            }),
        ),
    );
}

/// exists: RequestHeader xid=19 exists
#[test]
fn exists_request() {
    check_request(
        "exists.request",
        Request::new(
            19,
            RequestBody::Exists(ExistsRequest {
                path: "/vectors/absent".into(),
                watch: false,
            }),
        ),
    );
}

/// exists: ReplyHeader xid=19 zxid=0xe err=0 for exists
#[test]
fn exists_response() {
    check_response(
        "exists.response",
        OpCode::Exists,
        reply(
            19,
            0xe,
            0,
            ResponseBody::Exists(ExistsResponse {
                stat: stat(
                    [0xe, 0xe, 0xe],
                    [1795329713104, 1795329713104],
                    [0, 0, 0],
                    0,
                    11,
                    0,
                ),
            }),
        ),
    );
}

/// get-acl: RequestHeader xid=23 get-acl
#[test]
fn get_acl_request() {
    check_request(
        "get-acl.request",
        Request::new(
            23,
            RequestBody::GetAcl(GetAclRequest {
                path: "/vectors/acl".into(),
            }),
        ),
    );
}

/// get-acl: ReplyHeader xid=23 zxid=0x10 err=0 for get-acl
#[test]
fn get_acl_response() {
    check_response(
        "get-acl.response",
        OpCode::GetAcl,
        reply(
            23,
            0x10,
            0,
            ResponseBody::GetAcl(GetAclResponse {
                acl: vec![acl(31, "digest", "zabkeeper:zcNLjq9Ml2OMaojyslkMj7hQjeg=")],
                stat: stat(
                    [0x10, 0x10, 0x10],
                    [1795329713116, 1795329713116],
                    [0, 0, 0],
                    0,
                    1,
                    0,
                ),
            }),
        ),
    );
}

/// set-acl: RequestHeader xid=24 set-acl
#[test]
fn set_acl_request() {
    check_request(
        "set-acl.request",
        Request::new(
            24,
            RequestBody::SetAcl(SetAclRequest {
                path: "/vectors/acl".into(),
                acl: vec![
                    acl(31, "digest", "zabkeeper:zcNLjq9Ml2OMaojyslkMj7hQjeg="),
                    acl(1, "world", "anyone"),
                ],
                version: 0,
            }),
        ),
    );
}

/// set-acl: ReplyHeader xid=24 zxid=0x11 err=0 for set-acl
#[test]
fn set_acl_response() {
    check_response(
        "set-acl.response",
        OpCode::SetAcl,
        reply(
            24,
            0x11,
            0,
            ResponseBody::SetAcl(SetAclResponse {
                stat: stat(
                    [0x10, 0x10, 0x10],
                    [1795329713116, 1795329713116],
                    [0, 0, 1],
                    0,
                    1,
                    0,
                ),
            }),
        ),
    );
}

/// sync: RequestHeader xid=28 sync
#[test]
fn sync_request() {
    check_request(
        "sync.request",
        Request::new(
            28,
            RequestBody::Sync(SyncRequest {
                path: "/vectors".into(),
            }),
        ),
    );
}

/// sync: ReplyHeader xid=28 zxid=0x13 err=0 for sync
#[test]
fn sync_response() {
    check_response(
        "sync.response",
        OpCode::Sync,
        reply(
            28,
            0x13,
            0,
            ResponseBody::Sync(SyncResponse {
                path: "/vectors".into(),
            }),
        ),
    );
}

/// get-ephemerals: RequestHeader xid=29 get-ephemerals
#[test]
fn get_ephemerals_request() {
    check_request(
        "get-ephemerals.request",
        Request::new(
            29,
            RequestBody::GetEphemerals(GetEphemeralsRequest {
                prefix_path: "/vectors".into(),
            }),
        ),
    );
}

/// get-ephemerals: ReplyHeader xid=29 zxid=0x13 err=0 for get-ephemerals
#[test]
fn get_ephemerals_response() {
    check_response(
        "get-ephemerals.response",
        OpCode::GetEphemerals,
        reply(
            29,
            0x13,
            0,
            ResponseBody::GetEphemerals(GetEphemeralsResponse {
                ephemerals: vec![
                    "/vectors/ephemeral-sequential-0000000002".into(),
                    "/vectors/ephemeral".into(),
                ],
            }),
        ),
    );
}

/// get-all-children-number: RequestHeader xid=30 get-all-children-number
#[test]
fn get_all_children_number_request() {
    check_request(
        "get-all-children-number.request",
        Request::new(
            30,
            RequestBody::GetAllChildrenNumber(GetAllChildrenNumberRequest {
                path: "/vectors".into(),
            }),
        ),
    );
}

/// get-all-children-number: ReplyHeader xid=30 zxid=0x13 err=0 for get-all-children-number
#[test]
fn get_all_children_number_response() {
    check_response(
        "get-all-children-number.response",
        OpCode::GetAllChildrenNumber,
        reply(
            30,
            0x13,
            0,
            ResponseBody::GetAllChildrenNumber(GetAllChildrenNumberResponse { total_number: 8 }),
        ),
    );
}

/// c-client-read-only: RequestHeader xid=1795329734 get-children
#[test]
fn c_client_read_only_request() {
    check_request(
        "c-client-read-only.request",
        Request::new(
            1795329734,
            RequestBody::GetChildren(GetChildrenRequest {
                path: "/".into(),
                watch: true,
            }),
        ),
    );
}

/// c-client-read-only: ReplyHeader xid=1795329734 zxid=0x20 err=0 for get-children
#[test]
fn c_client_read_only_response() {
    check_response(
        "c-client-read-only.response",
        OpCode::GetChildren,
        reply(
            1795329734,
            0x20,
            0,
            ResponseBody::GetChildren(GetChildrenResponse {
                children: vec![
                    "vectors".into(),
                    "zookeeper".into(),
                    "vectors-c-client".into(),
                ],
            }),
        ),
    );
}

/// c-client-read-only: RequestHeader xid=1795329735 close-session
#[test]
fn c_client_read_only_request_2() {
    check_request(
        "c-client-read-only.request-2",
        Request::new(1795329735, RequestBody::CloseSession),
    );
}

/// c-client-read-only: ReplyHeader xid=1795329735 zxid=0x21 err=0 for close-session
#[test]
fn c_client_read_only_response_2() {
    check_response(
        "c-client-read-only.response-2",
        OpCode::CloseSession,
        reply(1795329735, 0x21, 0, ResponseBody::Empty),
    );
}
