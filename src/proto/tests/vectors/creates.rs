//! Creates in every mode (persistent, sequential, ephemeral, container, TTL, null data, the
//! creator's ACL), and deletes; from the Java and the C client.

use super::*;

/// create: RequestHeader xid=1 create
#[test]
fn create_request() {
    check_request(
        "create.request",
        Request::new(
            1,
            RequestBody::Create(CreateRequest {
                path: "/vectors".into(),
                data: Some(b"zabkeeper".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 0,
            }),
        ),
    );
}

/// create: ReplyHeader xid=1 zxid=0x2 err=0 for create
#[test]
fn create_response() {
    check_response(
        "create.response",
        OpCode::Create,
        reply(
            1,
            0x2,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors".into(),
            }),
        ),
    );
}

/// create-node-exists: RequestHeader xid=2 create
#[test]
fn create_node_exists_request() {
    check_request(
        "create-node-exists.request",
        Request::new(
            2,
            RequestBody::Create(CreateRequest {
                path: "/vectors".into(),
                data: Some(b"again".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 0,
            }),
        ),
    );
}

/// create-node-exists: ReplyHeader xid=2 zxid=0x3 err=-110 for create
#[test]
fn create_node_exists_response() {
    check_response(
        "create-node-exists.response",
        OpCode::Create,
        reply(2, 0x3, -110, ResponseBody::Empty),
    );
}

/// create2-persistent-sequential: RequestHeader xid=3 create2
#[test]
fn create2_persistent_sequential_request() {
    check_request(
        "create2-persistent-sequential.request",
        Request::new(
            3,
            RequestBody::Create2(CreateRequest {
                path: "/vectors/sequential-".into(),
                data: Some(b"s".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 2,
            }),
        ),
    );
}

/// create2-persistent-sequential: ReplyHeader xid=3 zxid=0x4 err=0 for create2
#[test]
fn create2_persistent_sequential_response() {
    check_response(
        "create2-persistent-sequential.response",
        OpCode::Create2,
        reply(
            3,
            0x4,
            0,
            ResponseBody::Create2(Create2Response {
                path: "/vectors/sequential-0000000000".into(),
                stat: stat(
                    [0x4, 0x4, 0x4],
                    [1795329713033, 1795329713033],
                    [0, 0, 0],
                    0,
                    1,
                    0,
                ),
            }),
        ),
    );
}

/// create-ephemeral: RequestHeader xid=4 create
#[test]
fn create_ephemeral_request() {
    check_request(
        "create-ephemeral.request",
        Request::new(
            4,
            RequestBody::Create(CreateRequest {
                path: "/vectors/ephemeral".into(),
                data: Some(b"e".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 1,
            }),
        ),
    );
}

/// create-ephemeral: ReplyHeader xid=4 zxid=0x5 err=0 for create
#[test]
fn create_ephemeral_response() {
    check_response(
        "create-ephemeral.response",
        OpCode::Create,
        reply(
            4,
            0x5,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors/ephemeral".into(),
            }),
        ),
    );
}

/// create-ephemeral-sequential: RequestHeader xid=5 create
#[test]
fn create_ephemeral_sequential_request() {
    check_request(
        "create-ephemeral-sequential.request",
        Request::new(
            5,
            RequestBody::Create(CreateRequest {
                path: "/vectors/ephemeral-sequential-".into(),
                data: Some(vec![]),
                acl: vec![acl(31, "world", "anyone")],
                flags: 3,
            }),
        ),
    );
}

/// create-ephemeral-sequential: ReplyHeader xid=5 zxid=0x6 err=0 for create
#[test]
fn create_ephemeral_sequential_response() {
    check_response(
        "create-ephemeral-sequential.response",
        OpCode::Create,
        reply(
            5,
            0x6,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors/ephemeral-sequential-0000000002".into(),
            }),
        ),
    );
}

/// create-container: RequestHeader xid=6 create-container
#[test]
fn create_container_request() {
    check_request(
        "create-container.request",
        Request::new(
            6,
            RequestBody::CreateContainer(CreateRequest {
                path: "/vectors/container".into(),
                data: Some(b"c".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 4,
            }),
        ),
    );
}

/// create-container: ReplyHeader xid=6 zxid=0x7 err=0 for create-container
#[test]
fn create_container_response() {
    check_response(
        "create-container.response",
        OpCode::CreateContainer,
        reply(
            6,
            0x7,
            0,
            ResponseBody::Create2(Create2Response {
                path: "/vectors/container".into(),
                stat: stat(
                    [0x7, 0x7, 0x7],
                    [1795329713045, 1795329713045],
                    [0, 0, 0],
                    0,
                    1,
                    0,
                ),
            }),
        ),
    );
}

/// create-in-container: RequestHeader xid=7 create
#[test]
fn create_in_container_request() {
    check_request(
        "create-in-container.request",
        Request::new(
            7,
            RequestBody::Create(CreateRequest {
                path: "/vectors/container/child".into(),
                data: Some(b"child".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 0,
            }),
        ),
    );
}

/// create-in-container: ReplyHeader xid=7 zxid=0x8 err=0 for create
#[test]
fn create_in_container_response() {
    check_response(
        "create-in-container.response",
        OpCode::Create,
        reply(
            7,
            0x8,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors/container/child".into(),
            }),
        ),
    );
}

/// delete: RequestHeader xid=8 delete
#[test]
fn delete_request() {
    check_request(
        "delete.request",
        Request::new(
            8,
            RequestBody::Delete(DeleteRequest {
                path: "/vectors/container/child".into(),
                version: -1,
            }),
        ),
    );
}

/// delete: ReplyHeader xid=8 zxid=0x9 err=0 for delete
#[test]
fn delete_response() {
    check_response(
        "delete.response",
        OpCode::Delete,
        reply(8, 0x9, 0, ResponseBody::Empty),
    );
}

/// create-ttl: RequestHeader xid=9 create-ttl
#[test]
fn create_ttl_request() {
    check_request(
        "create-ttl.request",
        Request::new(
            9,
            RequestBody::CreateTtl(CreateTtlRequest {
                path: "/vectors/ttl".into(),
                data: Some(b"t".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 5,
                ttl_ms: 1000,
            }),
        ),
    );
}

/// create-ttl: ReplyHeader xid=9 zxid=0xa err=0 for create-ttl
#[test]
fn create_ttl_response() {
    check_response(
        "create-ttl.response",
        OpCode::CreateTtl,
        reply(
            9,
            0xa,
            0,
            ResponseBody::Create2(Create2Response {
                path: "/vectors/ttl".into(),
                stat: stat(
                    [0xa, 0xa, 0xa],
                    [1795329713063, 1795329713063],
                    [0, 0, 0],
                    0,
                    1,
                    0,
                ),
            }),
        ),
    );
}

/// create-null-data: RequestHeader xid=10 create
#[test]
fn create_null_data_request() {
    check_request(
        "create-null-data.request",
        Request::new(
            10,
            RequestBody::Create(CreateRequest {
                path: "/vectors/null-data".into(),
                data: None,
                acl: vec![acl(31, "world", "anyone")],
                flags: 0,
            }),
        ),
    );
}

/// create-null-data: ReplyHeader xid=10 zxid=0xb err=0 for create
#[test]
fn create_null_data_response() {
    check_response(
        "create-null-data.response",
        OpCode::Create,
        reply(
            10,
            0xb,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors/null-data".into(),
            }),
        ),
    );
}

/// create-creator-all-acl: RequestHeader xid=22 create
#[test]
fn create_creator_all_acl_request() {
    check_request(
        "create-creator-all-acl.request",
        Request::new(
            22,
            RequestBody::Create(CreateRequest {
                path: "/vectors/acl".into(),
                data: Some(b"a".to_vec()),
                acl: vec![acl(31, "auth", "")],
                flags: 0,
            }),
        ),
    );
}

/// create-creator-all-acl: ReplyHeader xid=22 zxid=0x10 err=0 for create
#[test]
fn create_creator_all_acl_response() {
    check_response(
        "create-creator-all-acl.response",
        OpCode::Create,
        reply(
            22,
            0x10,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors/acl".into(),
            }),
        ),
    );
}

/// delete-absent: RequestHeader xid=20 delete
#[test]
fn delete_absent_request() {
    check_request(
        "delete-absent.request",
        Request::new(
            20,
            RequestBody::Delete(DeleteRequest {
                path: "/vectors/absent".into(),
                version: 0,
            }),
        ),
    );
}

/// delete-absent: ReplyHeader xid=20 zxid=0xf err=0 for delete
#[test]
fn delete_absent_response() {
    check_response(
        "delete-absent.response",
        OpCode::Delete,
        reply(20, 0xf, 0, ResponseBody::Empty),
    );
}

/// c-client-create2: RequestHeader xid=1795329734 create2
#[test]
fn c_client_create2_request() {
    check_request(
        "c-client-create2.request",
        Request::new(
            1795329734,
            RequestBody::Create2(CreateRequest {
                path: "/vectors-c-client".into(),
                data: Some(b"new".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 0,
            }),
        ),
    );
}

/// c-client-create2: ReplyHeader xid=1795329734 zxid=0x1e err=0 for create2
#[test]
fn c_client_create2_response() {
    check_response(
        "c-client-create2.response",
        OpCode::Create2,
        reply(
            1795329734,
            0x1e,
            0,
            ResponseBody::Create2(Create2Response {
                path: "/vectors-c-client".into(),
                stat: stat(
                    [0x1e, 0x1e, 0x1e],
                    [1795329733892, 1795329733892],
                    [0, 0, 0],
                    0,
                    3,
                    0,
                ),
            }),
        ),
    );
}

/// c-client-create2: RequestHeader xid=1795329735 close-session
#[test]
fn c_client_create2_request_2() {
    check_request(
        "c-client-create2.request-2",
        Request::new(1795329735, RequestBody::CloseSession),
    );
}

/// c-client-create2: ReplyHeader xid=1795329735 zxid=0x1f err=0 for close-session
#[test]
fn c_client_create2_response_2() {
    check_response(
        "c-client-create2.response-2",
        OpCode::CloseSession,
        reply(1795329735, 0x1f, 0, ResponseBody::Empty),
    );
}
