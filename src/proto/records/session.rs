//! Records of the session handshake and of per-session state a client sends: connect, auth,
//! watch re-registration after a reconnect, SASL and whoAmI.

use super::data::ClientInfo;
use crate::proto::jute::trailing;
use serde::{Deserialize, Serialize};

/// `ConnectRequest`: the first frame of every connection (no RequestHeader).
///
/// Clients since 3.4 append a `readOnly` byte after the five jute fields (whether they accept a
/// read-only server); older ones stop after the password. Both forms decode: `read_only` is
/// `None` for the short one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    /// The last zxid the client saw; a server behind it refuses the connection.
    pub last_zxid_seen: i64,
    /// The session timeout the client asks for.
    pub timeout_ms: i32,
    /// 0 for a new session, or the session to resume.
    pub session_id: i64,
    /// The session's password (16 bytes; zeros for a new session).
    #[serde(with = "serde_bytes")]
    pub password: Vec<u8>,
    #[serde(with = "trailing")]
    pub read_only: Option<bool>,
}

/// `ConnectResponse`: the server's answer to a [`ConnectRequest`] (no ReplyHeader). A refused
/// or expired session is answered with timeout 0, session 0 and 16 zero bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConnectResponse {
    pub protocol_version: i32,
    /// The negotiated session timeout.
    pub timeout_ms: i32,
    pub session_id: i64,
    #[serde(with = "serde_bytes")]
    pub password: Vec<u8>,
    /// Whether the server is read-only; present exactly when the request carried its
    /// `readOnly` byte.
    #[serde(with = "trailing")]
    pub read_only: Option<bool>,
}

/// The length of a session password.
pub const PASSWORD_BYTES: usize = 16;

impl ConnectResponse {
    /// The response to `request` in the form ZooKeeper uses for that client: the trailing
    /// `readOnly` byte only for a client that sent one.
    pub fn answering(
        request: &ConnectRequest,
        timeout_ms: i32,
        session_id: i64,
        password: Vec<u8>,
        server_is_read_only: bool,
    ) -> ConnectResponse {
        ConnectResponse {
            protocol_version: 0,
            timeout_ms,
            session_id,
            password,
            read_only: request.read_only.map(|_| server_is_read_only),
        }
    }

    /// The response that tells a client its session is gone (expired, unknown, wrong
    /// password): the client then reports the session expired.
    pub fn session_refused(request: &ConnectRequest) -> ConnectResponse {
        ConnectResponse::answering(request, 0, 0, vec![0; PASSWORD_BYTES], false)
    }
}

/// `AuthPacket` (xid -4): credentials for a scheme, for example `digest` with `user:password`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuthPacket {
    /// Always 0 as clients send it.
    pub auth_type: i32,
    pub scheme: String,
    #[serde(with = "serde_bytes")]
    pub auth: Vec<u8>,
}

/// `SetWatches`: after a reconnect, the watches the client still holds; the server fires
/// those whose node changed after `relative_zxid`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetWatches {
    pub relative_zxid: i64,
    pub data_watches: Vec<String>,
    pub exist_watches: Vec<String>,
    pub child_watches: Vec<String>,
}

/// `SetWatches2`: [`SetWatches`] plus persistent watches (sent when the client has any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetWatches2 {
    pub relative_zxid: i64,
    pub data_watches: Vec<String>,
    pub exist_watches: Vec<String>,
    pub child_watches: Vec<String>,
    pub persistent_watches: Vec<String>,
    pub persistent_recursive_watches: Vec<String>,
}

/// `SetSASLRequest` (op sasl): the client's next SASL token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetSaslRequest {
    #[serde(with = "serde_bytes")]
    pub token: Vec<u8>,
}

/// `SetSASLResponse`: the server's SASL challenge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetSaslResponse {
    #[serde(with = "serde_bytes")]
    pub token: Vec<u8>,
}

/// `WhoAmIResponse`: every identity the session has authenticated as (whoAmI has no request
/// body).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WhoAmIResponse {
    pub client_info: Vec<ClientInfo>,
}
