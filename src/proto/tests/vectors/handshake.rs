//! The session handshake: ConnectRequest and ConnectResponse in the Java client's, the C
//! client's and the 3.4 form, for new, resumed, read-only and expired sessions.

use super::*;

/// c-client-create2: ConnectRequest
#[test]
fn c_client_create2_connect_request() {
    check_connect_request(
        "c-client-create2.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 30000,
            session_id: 0,
            password: vec![0; 16],
            read_only: Some(false),
        },
    );
}

/// c-client-create2: ConnectResponse
#[test]
fn c_client_create2_connect_response() {
    check_connect_response(
        "c-client-create2.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 30000,
            session_id: 0x100001ad26a0003,
            password: hex("f15ac337a14b7f4c8d55b02b1f7b7664"),
            read_only: Some(false),
        },
    );
}

/// c-client-read-only: ConnectRequest
#[test]
fn c_client_read_only_connect_request() {
    check_connect_request(
        "c-client-read-only.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 30000,
            session_id: 0,
            password: vec![0; 16],
            read_only: Some(true),
        },
    );
}

/// c-client-read-only: ConnectResponse
#[test]
fn c_client_read_only_connect_response() {
    check_connect_response(
        "c-client-read-only.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 30000,
            session_id: 0x100001ad26a0004,
            password: hex("5000a637c1c5dba457a4b4044127dd65"),
            read_only: Some(false),
        },
    );
}

/// connect-legacy: ConnectRequest
#[test]
fn connect_legacy_connect_request() {
    check_connect_request(
        "connect-legacy.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 4000,
            session_id: 0,
            password: vec![0; 16],
            read_only: None,
        },
    );
}

/// connect-legacy: ConnectResponse
#[test]
fn connect_legacy_connect_response() {
    check_connect_response(
        "connect-legacy.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0005,
            password: hex("6321a0376111bbe94ce71b3014b0f132"),
            read_only: None,
        },
    );
}

/// connect-read-only: ConnectRequest
#[test]
fn connect_read_only_connect_request() {
    check_connect_request(
        "connect-read-only.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 4000,
            session_id: 0,
            password: vec![0; 16],
            read_only: Some(true),
        },
    );
}

/// connect-read-only: ConnectResponse
#[test]
fn connect_read_only_connect_response() {
    check_connect_response(
        "connect-read-only.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0001,
            password: hex("179db737e1e23dd677db7e82c68c9ffe"),
            read_only: Some(false),
        },
    );
}

/// connect: ConnectRequest
#[test]
fn connect_connect_request() {
    check_connect_request(
        "connect.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 4000,
            session_id: 0,
            password: vec![0; 16],
            read_only: Some(false),
        },
    );
}

/// connect: ConnectResponse
#[test]
fn connect_connect_response() {
    check_connect_response(
        "connect.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0000,
            password: hex("047cbd3741975e9182981757f2038b31"),
            read_only: Some(false),
        },
    );
}

/// reconnect-expired: ConnectRequest
#[test]
fn reconnect_expired_connect_request() {
    check_connect_request(
        "reconnect-expired.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0x1a,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0002,
            password: hex("de39c9370100a007981249004bf26197"),
            read_only: Some(false),
        },
    );
}

/// reconnect-expired: ConnectResponse
#[test]
fn reconnect_expired_connect_response() {
    check_connect_response(
        "reconnect-expired.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 0,
            session_id: 0,
            password: vec![0; 16],
            read_only: Some(false),
        },
    );
}

/// reconnect-set-watches: ConnectRequest
#[test]
fn reconnect_set_watches_connect_request() {
    check_connect_request(
        "reconnect-set-watches.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0x16,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0000,
            password: hex("047cbd3741975e9182981757f2038b31"),
            read_only: Some(false),
        },
    );
}

/// reconnect-set-watches: ConnectResponse
#[test]
fn reconnect_set_watches_connect_response() {
    check_connect_response(
        "reconnect-set-watches.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0000,
            password: hex("047cbd3741975e9182981757f2038b31"),
            read_only: Some(false),
        },
    );
}

/// reconnect-set-watches2: ConnectRequest
#[test]
fn reconnect_set_watches2_connect_request() {
    check_connect_request(
        "reconnect-set-watches2.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0x18,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0000,
            password: hex("047cbd3741975e9182981757f2038b31"),
            read_only: Some(false),
        },
    );
}

/// reconnect-set-watches2: ConnectResponse
#[test]
fn reconnect_set_watches2_connect_response() {
    check_connect_response(
        "reconnect-set-watches2.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0000,
            password: hex("047cbd3741975e9182981757f2038b31"),
            read_only: Some(false),
        },
    );
}

/// session-to-expire: ConnectRequest
#[test]
fn session_to_expire_connect_request() {
    check_connect_request(
        "session-to-expire.connect-request",
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 4000,
            session_id: 0,
            password: vec![0; 16],
            read_only: Some(false),
        },
    );
}

/// session-to-expire: ConnectResponse
#[test]
fn session_to_expire_connect_response() {
    check_connect_response(
        "session-to-expire.connect-response",
        ConnectResponse {
            protocol_version: 0,
            timeout_ms: 4000,
            session_id: 0x100001ad26a0002,
            password: hex("de39c9370100a007981249004bf26197"),
            read_only: Some(false),
        },
    );
}
