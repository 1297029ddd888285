//! Watches: set by reads, fired by writes, re-registered by SetWatches and SetWatches2 after
//! a reconnect; persistent watches, checkWatches and removeWatches.

use super::*;

/// get-data-watch: RequestHeader xid=12 get-data
#[test]
fn get_data_watch_request() {
    check_request(
        "get-data-watch.request",
        Request::new(
            12,
            RequestBody::GetData(GetDataRequest {
                path: "/vectors".into(),
                watch: true,
            }),
        ),
    );
}

/// get-data-watch: ReplyHeader xid=12 zxid=0xb err=0 for get-data
#[test]
fn get_data_watch_response() {
    check_response(
        "get-data-watch.response",
        OpCode::GetData,
        reply(
            12,
            0xb,
            0,
            ResponseBody::GetData(GetDataResponse {
                data: Some(b"zabkeeper".to_vec()),
                stat: stat(
                    [0x2, 0x2, 0xb],
                    [1795329712994, 1795329712994],
                    [0, 6, 0],
                    0,
                    9,
                    6,
                ),
            }),
        ),
    );
}

/// set-data: RequestHeader xid=13 set-data
#[test]
fn set_data_request() {
    check_request(
        "set-data.request",
        Request::new(
            13,
            RequestBody::SetData(SetDataRequest {
                path: "/vectors".into(),
                data: Some(b"changed".to_vec()),
                version: -1,
            }),
        ),
    );
}

/// set-data: ReplyHeader xid=-1 + WatcherEvent
#[test]
fn set_data_notification() {
    check_response(
        "set-data.notification",
        OpCode::Notification,
        reply(
            -1,
            -1,
            0,
            ResponseBody::Notification(WatcherEvent {
                event_type: 3,
                state: 3,
                path: "/vectors".into(),
            }),
        ),
    );
}

/// set-data: ReplyHeader xid=13 zxid=0xc err=0 for set-data
#[test]
fn set_data_response() {
    check_response(
        "set-data.response",
        OpCode::SetData,
        reply(
            13,
            0xc,
            0,
            ResponseBody::SetData(SetDataResponse {
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

/// get-children-watch: RequestHeader xid=15 get-children
#[test]
fn get_children_watch_request() {
    check_request(
        "get-children-watch.request",
        Request::new(
            15,
            RequestBody::GetChildren(GetChildrenRequest {
                path: "/vectors".into(),
                watch: true,
            }),
        ),
    );
}

/// get-children-watch: ReplyHeader xid=15 zxid=0xd err=0 for get-children
#[test]
fn get_children_watch_response() {
    check_response(
        "get-children-watch.response",
        OpCode::GetChildren,
        reply(
            15,
            0xd,
            0,
            ResponseBody::GetChildren(GetChildrenResponse {
                children: vec![
                    "container".into(),
                    "ephemeral".into(),
                    "ephemeral-sequential-0000000002".into(),
                    "sequential-0000000000".into(),
                    "ttl".into(),
                    "null-data".into(),
                ],
            }),
        ),
    );
}

/// exists-missing-watch: RequestHeader xid=17 exists
#[test]
fn exists_missing_watch_request() {
    check_request(
        "exists-missing-watch.request",
        Request::new(
            17,
            RequestBody::Exists(ExistsRequest {
                path: "/vectors/absent".into(),
                watch: true,
            }),
        ),
    );
}

/// exists-missing-watch: ReplyHeader xid=17 zxid=0xd err=-101 for exists
#[test]
fn exists_missing_watch_response() {
    check_response(
        "exists-missing-watch.response",
        OpCode::Exists,
        reply(17, 0xd, -101, ResponseBody::Empty),
    );
}

/// create-triggers-watches: RequestHeader xid=18 create
#[test]
fn create_triggers_watches_request() {
    check_request(
        "create-triggers-watches.request",
        Request::new(
            18,
            RequestBody::Create(CreateRequest {
                path: "/vectors/absent".into(),
                data: Some(b"now present".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 0,
            }),
        ),
    );
}

/// create-triggers-watches: ReplyHeader xid=-1 + WatcherEvent
#[test]
fn create_triggers_watches_notification() {
    check_response(
        "create-triggers-watches.notification",
        OpCode::Notification,
        reply(
            -1,
            -1,
            0,
            ResponseBody::Notification(WatcherEvent {
                event_type: 1,
                state: 3,
                path: "/vectors/absent".into(),
            }),
        ),
    );
}

/// create-triggers-watches: ReplyHeader xid=18 zxid=0xe err=0 for create
#[test]
fn create_triggers_watches_response() {
    check_response(
        "create-triggers-watches.response",
        OpCode::Create,
        reply(
            18,
            0xe,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors/absent".into(),
            }),
        ),
    );
}

/// create-triggers-watches: ReplyHeader xid=-1 + WatcherEvent
#[test]
fn create_triggers_watches_notification_2() {
    check_response(
        "create-triggers-watches.notification-2",
        OpCode::Notification,
        reply(
            -1,
            -1,
            0,
            ResponseBody::Notification(WatcherEvent {
                event_type: 4,
                state: 3,
                path: "/vectors".into(),
            }),
        ),
    );
}

/// register-watches: RequestHeader xid=32 get-data
#[test]
fn register_watches_request() {
    check_request(
        "register-watches.request",
        Request::new(
            32,
            RequestBody::GetData(GetDataRequest {
                path: "/vectors".into(),
                watch: true,
            }),
        ),
    );
}

/// register-watches: ReplyHeader xid=32 zxid=0x16 err=0 for get-data
#[test]
fn register_watches_response() {
    check_response(
        "register-watches.response",
        OpCode::GetData,
        reply(
            32,
            0x16,
            0,
            ResponseBody::GetData(GetDataResponse {
                data: Some(b"changed".to_vec()),
                stat: stat(
                    [0x2, 0xc, 0x12],
                    [1795329712994, 1795329713079],
                    [1, 10, 0],
                    0,
                    7,
                    8,
                ),
            }),
        ),
    );
}

/// register-watches: RequestHeader xid=33 exists
#[test]
fn register_watches_request_2() {
    check_request(
        "register-watches.request-2",
        Request::new(
            33,
            RequestBody::Exists(ExistsRequest {
                path: "/vectors/absent".into(),
                watch: true,
            }),
        ),
    );
}

/// register-watches: ReplyHeader xid=33 zxid=0x16 err=-101 for exists
#[test]
fn register_watches_response_2() {
    check_response(
        "register-watches.response-2",
        OpCode::Exists,
        reply(33, 0x16, -101, ResponseBody::Empty),
    );
}

/// register-watches: RequestHeader xid=34 get-children
#[test]
fn register_watches_request_3() {
    check_request(
        "register-watches.request-3",
        Request::new(
            34,
            RequestBody::GetChildren(GetChildrenRequest {
                path: "/vectors".into(),
                watch: true,
            }),
        ),
    );
}

/// register-watches: ReplyHeader xid=34 zxid=0x16 err=0 for get-children
#[test]
fn register_watches_response_3() {
    check_response(
        "register-watches.response-3",
        OpCode::GetChildren,
        reply(
            34,
            0x16,
            0,
            ResponseBody::GetChildren(GetChildrenResponse {
                children: vec![
                    "container".into(),
                    "null-data".into(),
                    "ephemeral".into(),
                    "ephemeral-sequential-0000000002".into(),
                    "acl".into(),
                    "sequential-0000000000".into(),
                    "ttl".into(),
                    "multi".into(),
                ],
            }),
        ),
    );
}

/// reconnect-set-watches: RequestHeader xid=-4 auth
#[test]
fn reconnect_set_watches_request() {
    check_request(
        "reconnect-set-watches.request",
        Request::new(
            -4,
            RequestBody::Auth(AuthPacket {
                auth_type: 0,
                scheme: "digest".into(),
                auth: b"zabkeeper:secret".to_vec(),
            }),
        ),
    );
}

/// reconnect-set-watches: ReplyHeader xid=-1 + WatcherEvent
#[test]
fn reconnect_set_watches_notification() {
    check_response(
        "reconnect-set-watches.notification",
        OpCode::Notification,
        reply(
            -1,
            -1,
            0,
            ResponseBody::Notification(WatcherEvent {
                event_type: 4,
                state: 3,
                path: "/vectors".into(),
            }),
        ),
    );
}

/// reconnect-set-watches: ReplyHeader xid=-4 zxid=0x0 err=0 for auth
#[test]
fn reconnect_set_watches_response() {
    check_response(
        "reconnect-set-watches.response",
        OpCode::Auth,
        reply(-4, 0, 0, ResponseBody::Empty),
    );
}

/// reconnect-set-watches: RequestHeader xid=35 set-watches
#[test]
fn reconnect_set_watches_request_2() {
    check_request(
        "reconnect-set-watches.request-2",
        Request::new(
            35,
            RequestBody::SetWatches(SetWatches {
                relative_zxid: 0x16,
                data_watches: vec!["/vectors".into()],
                exist_watches: vec!["/vectors/absent".into()],
                child_watches: vec!["/vectors".into()],
            }),
        ),
    );
}

/// reconnect-set-watches: ReplyHeader xid=35 zxid=0x18 err=0 for set-watches
#[test]
fn reconnect_set_watches_response_2() {
    check_response(
        "reconnect-set-watches.response-2",
        OpCode::SetWatches,
        reply(35, 0x18, 0, ResponseBody::Empty),
    );
}

/// reconnect-set-watches: RequestHeader xid=36 exists
#[test]
fn reconnect_set_watches_request_3() {
    check_request(
        "reconnect-set-watches.request-3",
        Request::new(
            36,
            RequestBody::Exists(ExistsRequest {
                path: "/".into(),
                watch: false,
            }),
        ),
    );
}

/// reconnect-set-watches: ReplyHeader xid=36 zxid=0x18 err=0 for exists
#[test]
fn reconnect_set_watches_response_3() {
    check_response(
        "reconnect-set-watches.response-3",
        OpCode::Exists,
        reply(
            36,
            0x18,
            0,
            ResponseBody::Exists(ExistsResponse {
                stat: stat([0, 0, 0x2], [0, 0], [0, 0, 0], 0, 0, 2),
            }),
        ),
    );
}

/// add-watch: RequestHeader xid=37 add-watch
#[test]
fn add_watch_request() {
    check_request(
        "add-watch.request",
        Request::new(
            37,
            RequestBody::AddWatch(AddWatchRequest {
                path: "/vectors".into(),
                mode: 1,
            }),
        ),
    );
}

/// add-watch: ReplyHeader xid=37 zxid=0x18 err=0 for add-watch
#[test]
fn add_watch_response() {
    check_response(
        "add-watch.response",
        OpCode::AddWatch,
        reply(
            37,
            0x18,
            0,
            ResponseBody::AddWatch(ErrorResponse { err: 0 }),
        ),
    );
}

/// add-watch-persistent: RequestHeader xid=38 add-watch
#[test]
fn add_watch_persistent_request() {
    check_request(
        "add-watch-persistent.request",
        Request::new(
            38,
            RequestBody::AddWatch(AddWatchRequest {
                path: "/vectors/ephemeral".into(),
                mode: 0,
            }),
        ),
    );
}

/// add-watch-persistent: ReplyHeader xid=38 zxid=0x18 err=0 for add-watch
#[test]
fn add_watch_persistent_response() {
    check_response(
        "add-watch-persistent.response",
        OpCode::AddWatch,
        reply(
            38,
            0x18,
            0,
            ResponseBody::AddWatch(ErrorResponse { err: 0 }),
        ),
    );
}

/// reconnect-set-watches2: RequestHeader xid=-4 auth
#[test]
fn reconnect_set_watches2_request() {
    check_request(
        "reconnect-set-watches2.request",
        Request::new(
            -4,
            RequestBody::Auth(AuthPacket {
                auth_type: 0,
                scheme: "digest".into(),
                auth: b"zabkeeper:secret".to_vec(),
            }),
        ),
    );
}

/// reconnect-set-watches2: ReplyHeader xid=-4 zxid=0x0 err=0 for auth
#[test]
fn reconnect_set_watches2_response() {
    check_response(
        "reconnect-set-watches2.response",
        OpCode::Auth,
        reply(-4, 0, 0, ResponseBody::Empty),
    );
}

/// reconnect-set-watches2: RequestHeader xid=39 set-watches2
#[test]
fn reconnect_set_watches2_request_2() {
    check_request(
        "reconnect-set-watches2.request-2",
        Request::new(
            39,
            RequestBody::SetWatches2(SetWatches2 {
                relative_zxid: 0x18,
                data_watches: vec!["/vectors".into()],
                exist_watches: vec!["/vectors/absent".into()],
                child_watches: vec![],
                persistent_watches: vec!["/vectors/ephemeral".into()],
                persistent_recursive_watches: vec!["/vectors".into()],
            }),
        ),
    );
}

/// reconnect-set-watches2: ReplyHeader xid=39 zxid=0x18 err=0 for set-watches2
#[test]
fn reconnect_set_watches2_response_2() {
    check_response(
        "reconnect-set-watches2.response-2",
        OpCode::SetWatches2,
        reply(39, 0x18, 0, ResponseBody::Empty),
    );
}

/// reconnect-set-watches2: RequestHeader xid=40 exists
#[test]
fn reconnect_set_watches2_request_3() {
    check_request(
        "reconnect-set-watches2.request-3",
        Request::new(
            40,
            RequestBody::Exists(ExistsRequest {
                path: "/".into(),
                watch: false,
            }),
        ),
    );
}

/// reconnect-set-watches2: ReplyHeader xid=40 zxid=0x18 err=0 for exists
#[test]
fn reconnect_set_watches2_response_3() {
    check_response(
        "reconnect-set-watches2.response-3",
        OpCode::Exists,
        reply(
            40,
            0x18,
            0,
            ResponseBody::Exists(ExistsResponse {
                stat: stat([0, 0, 0x2], [0, 0], [0, 0, 0], 0, 0, 2),
            }),
        ),
    );
}

/// remove-all-watches: RequestHeader xid=41 remove-watches
#[test]
fn remove_all_watches_request() {
    check_request(
        "remove-all-watches.request",
        Request::new(
            41,
            RequestBody::RemoveWatches(RemoveWatchesRequest {
                path: "/vectors".into(),
                watcher_type: 3,
            }),
        ),
    );
}

/// remove-all-watches: ReplyHeader xid=41 zxid=0x18 err=0 for remove-watches
#[test]
fn remove_all_watches_response() {
    check_response(
        "remove-all-watches.response",
        OpCode::RemoveWatches,
        reply(41, 0x18, 0, ResponseBody::Empty),
    );
}

/// check-watches: RequestHeader xid=42 get-data
#[test]
fn check_watches_request() {
    check_request(
        "check-watches.request",
        Request::new(
            42,
            RequestBody::GetData(GetDataRequest {
                path: "/vectors/multi".into(),
                watch: true,
            }),
        ),
    );
}

/// check-watches: ReplyHeader xid=42 zxid=0x18 err=0 for get-data
#[test]
fn check_watches_response() {
    check_response(
        "check-watches.response",
        OpCode::GetData,
        reply(
            42,
            0x18,
            0,
            ResponseBody::GetData(GetDataResponse {
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
        ),
    );
}

/// check-watches: RequestHeader xid=43 check-watches
#[test]
fn check_watches_request_2() {
    check_request(
        "check-watches.request-2",
        Request::new(
            43,
            RequestBody::CheckWatches(CheckWatchesRequest {
                path: "/vectors/multi".into(),
                watcher_type: 2,
            }),
        ),
    );
}

/// check-watches: ReplyHeader xid=43 zxid=0x18 err=0 for check-watches
#[test]
fn check_watches_response_2() {
    check_response(
        "check-watches.response-2",
        OpCode::CheckWatches,
        reply(43, 0x18, 0, ResponseBody::Empty),
    );
}
