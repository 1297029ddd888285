//! Session-level requests: auth, whoAmI, reconfig, ping, a session left to expire, closeSession.

use super::*;

/// auth: RequestHeader xid=-4 auth
#[test]
fn auth_request() {
    check_request(
        "auth.request",
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

/// auth: ReplyHeader xid=-4 zxid=0x0 err=0 for auth
#[test]
fn auth_response() {
    check_response(
        "auth.response",
        OpCode::Auth,
        reply(-4, 0, 0, ResponseBody::Empty),
    );
}

/// auth: RequestHeader xid=21 exists
#[test]
fn auth_request_2() {
    check_request(
        "auth.request-2",
        Request::new(
            21,
            RequestBody::Exists(ExistsRequest {
                path: "/".into(),
                watch: false,
            }),
        ),
    );
}

/// auth: ReplyHeader xid=21 zxid=0xf err=0 for exists
#[test]
fn auth_response_2() {
    check_response(
        "auth.response-2",
        OpCode::Exists,
        reply(
            21,
            0xf,
            0,
            ResponseBody::Exists(ExistsResponse {
                stat: stat([0, 0, 0x2], [0, 0], [0, 0, 0], 0, 0, 2),
            }),
        ),
    );
}

/// who-am-i: RequestHeader xid=31 who-am-i
#[test]
fn who_am_i_request() {
    check_request("who-am-i.request", Request::new(31, RequestBody::WhoAmI));
}

/// who-am-i: ReplyHeader xid=31 zxid=0x13 err=0 for who-am-i
#[test]
fn who_am_i_response() {
    check_response(
        "who-am-i.response",
        OpCode::WhoAmI,
        reply(
            31,
            0x13,
            0,
            ResponseBody::WhoAmI(WhoAmIResponse {
                client_info: vec![
                    ClientInfo {
                        auth_scheme: "digest".into(),
                        user: "zabkeeper".into(),
                    },
                    ClientInfo {
                        auth_scheme: "ip".into(),
                        user: "127.0.0.1".into(),
                    },
                ],
            }),
        ),
    );
}

/// reconfig: RequestHeader xid=1 reconfig
#[test]
fn reconfig_request() {
    check_request(
        "reconfig.request",
        Request::new(
            1,
            RequestBody::Reconfig(ReconfigRequest {
                joining_servers: Some("server.5=127.0.0.1:2888:3888;2181".into()),
                leaving_servers: None,
                new_members: None,
                current_config_id: -1,
            }),
        ),
    );
}

/// reconfig: ReplyHeader xid=1 zxid=0x15 err=-123 for reconfig
#[test]
fn reconfig_response() {
    check_response(
        "reconfig.response",
        OpCode::Reconfig,
        reply(1, 0x15, -123, ResponseBody::Empty),
    );
}

/// ping: RequestHeader xid=-2 ping
#[test]
fn ping_request() {
    check_request("ping.request", Request::new(-2, RequestBody::Ping));
}

/// ping: ReplyHeader xid=-2 zxid=0x18 err=0 for ping
#[test]
fn ping_response() {
    check_response(
        "ping.response",
        OpCode::Ping,
        reply(-2, 0x18, 0, ResponseBody::Empty),
    );
}

/// session-to-expire: RequestHeader xid=1 create
#[test]
fn session_to_expire_request() {
    check_request(
        "session-to-expire.request",
        Request::new(
            1,
            RequestBody::Create(CreateRequest {
                path: "/vectors/expiring".into(),
                data: Some(b"x".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                flags: 1,
            }),
        ),
    );
}

/// session-to-expire: ReplyHeader xid=1 zxid=0x1a err=0 for create
#[test]
fn session_to_expire_response() {
    check_response(
        "session-to-expire.response",
        OpCode::Create,
        reply(
            1,
            0x1a,
            0,
            ResponseBody::Create(CreateResponse {
                path: "/vectors/expiring".into(),
            }),
        ),
    );
}

/// close-session-without-ephemerals: RequestHeader xid=2 close-session
#[test]
fn close_session_without_ephemerals_request() {
    check_request(
        "close-session-without-ephemerals.request",
        Request::new(2, RequestBody::CloseSession),
    );
}

/// close-session-without-ephemerals: ReplyHeader xid=2 zxid=0x16 err=0 for close-session
#[test]
fn close_session_without_ephemerals_response() {
    check_response(
        "close-session-without-ephemerals.response",
        OpCode::CloseSession,
        reply(2, 0x16, 0, ResponseBody::Empty),
    );
}

/// close-session: RequestHeader xid=44 close-session
#[test]
fn close_session_request() {
    check_request(
        "close-session.request",
        Request::new(44, RequestBody::CloseSession),
    );
}

/// close-session: ReplyHeader xid=-1 + WatcherEvent
#[test]
fn close_session_notification() {
    check_response(
        "close-session.notification",
        OpCode::Notification,
        reply(
            -1,
            -1,
            0,
            ResponseBody::Notification(WatcherEvent {
                event_type: 2,
                state: 3,
                path: "/vectors/ephemeral".into(),
            }),
        ),
    );
}

/// close-session: ReplyHeader xid=44 zxid=0x1c err=0 for close-session
#[test]
fn close_session_response() {
    check_response(
        "close-session.response",
        OpCode::CloseSession,
        reply(44, 0x1c, 0, ResponseBody::Empty),
    );
}
