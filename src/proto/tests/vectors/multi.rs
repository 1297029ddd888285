//! The multi encoding: a multi of writes, a failing multi, a multiRead with a failed read.

use super::*;

/// multi: RequestHeader xid=25 multi
#[test]
fn multi_request() {
    check_request(
        "multi.request",
        Request::new(
            25,
            RequestBody::Multi(MultiRequest {
                ops: vec![
                    MultiOp::Create(CreateRequest {
                        path: "/vectors/multi".into(),
                        data: Some(b"m".to_vec()),
                        acl: vec![acl(31, "world", "anyone")],
                        flags: 0,
                    }),
                    MultiOp::SetData(SetDataRequest {
                        path: "/vectors/multi".into(),
                        data: Some(b"m2".to_vec()),
                        version: 0,
                    }),
                    MultiOp::Check(CheckVersionRequest {
                        path: "/vectors/multi".into(),
                        version: 1,
                    }),
                    MultiOp::Create(CreateRequest {
                        path: "/vectors/multi/child".into(),
                        data: Some(b"c".to_vec()),
                        acl: vec![acl(31, "world", "anyone")],
                        flags: 0,
                    }),
                    MultiOp::Delete(DeleteRequest {
                        path: "/vectors/multi/child".into(),
                        version: 0,
                    }),
                ],
            }),
        ),
    );
}

/// multi: ReplyHeader xid=25 zxid=0x12 err=0 for multi
#[test]
fn multi_response() {
    check_response(
        "multi.response",
        OpCode::Multi,
        reply(
            25,
            0x12,
            0,
            ResponseBody::Multi(MultiResponse {
                results: vec![
                    MultiOpResult::Create(CreateResponse {
                        path: "/vectors/multi".into(),
                    }),
                    MultiOpResult::SetData(SetDataResponse {
                        stat: stat(
                            [0x12, 0x12, 0x12],
                            [1795329713150, 1795329713150],
                            [1, 0, 0],
                            0,
                            2,
                            0,
                        ),
                    }),
                    MultiOpResult::Check,
                    MultiOpResult::Create(CreateResponse {
                        path: "/vectors/multi/child".into(),
                    }),
                    MultiOpResult::Delete,
                ],
            }),
        ),
    );
}

/// multi-failing: RequestHeader xid=26 multi
#[test]
fn multi_failing_request() {
    check_request(
        "multi-failing.request",
        Request::new(
            26,
            RequestBody::Multi(MultiRequest {
                ops: vec![
                    MultiOp::Create(CreateRequest {
                        path: "/vectors/multi-failed".into(),
                        data: Some(b"f".to_vec()),
                        acl: vec![acl(31, "world", "anyone")],
                        flags: 0,
                    }),
                    MultiOp::Delete(DeleteRequest {
                        path: "/vectors/missing".into(),
                        version: -1,
                    }),
                    MultiOp::SetData(SetDataRequest {
                        path: "/vectors".into(),
                        data: Some(b"never".to_vec()),
                        version: -1,
                    }),
                ],
            }),
        ),
    );
}

/// multi-failing: ReplyHeader xid=26 zxid=0x13 err=0 for multi
#[test]
fn multi_failing_response() {
    check_response(
        "multi-failing.response",
        OpCode::Multi,
        reply(
            26,
            0x13,
            0,
            ResponseBody::Multi(MultiResponse {
                results: vec![
                    MultiOpResult::Error(ErrorResponse { err: 0 }),
                    MultiOpResult::Error(ErrorResponse { err: -101 }),
                    MultiOpResult::Error(ErrorResponse { err: -2 }),
                ],
            }),
        ),
    );
}

/// multi-read: RequestHeader xid=27 multi-read
#[test]
fn multi_read_request() {
    check_request(
        "multi-read.request",
        Request::new(
            27,
            RequestBody::MultiRead(MultiRequest {
                ops: vec![
                    MultiOp::GetChildren(GetChildrenRequest {
                        path: "/vectors/multi".into(),
                        watch: false,
                    }),
                    MultiOp::GetData(GetDataRequest {
                        path: "/vectors/multi".into(),
                        watch: false,
                    }),
                    MultiOp::GetData(GetDataRequest {
                        path: "/vectors/missing".into(),
                        watch: false,
                    }),
                ],
            }),
        ),
    );
}

/// multi-read: ReplyHeader xid=27 zxid=0x13 err=0 for multi-read
#[test]
fn multi_read_response() {
    check_response(
        "multi-read.response",
        OpCode::MultiRead,
        reply(
            27,
            0x13,
            0,
            ResponseBody::Multi(MultiResponse {
                results: vec![
                    MultiOpResult::GetChildren(GetChildrenResponse { children: vec![] }),
                    MultiOpResult::GetData(GetDataResponse {
                        data: Some(b"m2".to_vec()),
                        stat: stat(
                            [0x12, 0x12, 0x12],
                            [1795329713150, 1795329713150],
                            [1, 2, 0],
                            0,
                            2,
                            0,
                        ),
                    }),
                    MultiOpResult::Error(ErrorResponse { err: -101 }),
                ],
            }),
        ),
    );
}
