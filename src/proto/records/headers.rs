//! The headers that precede every request, reply and multi op, and the watch notification.

use crate::proto::opcode::{OpCode, UnknownOpCode};
use serde::{Deserialize, Serialize};

/// The xids that mark frames other than ordinary request/reply pairs.
pub mod xid {
    /// A watch notification (server to client), with a [`super::WatcherEvent`] body.
    pub const NOTIFICATION: i32 = -1;
    /// A ping and its reply.
    pub const PING: i32 = -2;
    /// An auth packet and its reply.
    pub const AUTH: i32 = -4;
    /// SetWatches from the C client; ZooKeeper 3.8's Java client sends its SetWatches with an
    /// ordinary xid instead.
    pub const SET_WATCHES: i32 = -8;
}

/// `RequestHeader`: the start of every client request after the connect handshake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestHeader {
    pub xid: i32,
    /// The request's [`OpCode`]. Kept raw so that a request with an unknown type can still be
    /// answered under its xid.
    pub op_type: i32,
}

impl RequestHeader {
    pub fn new(xid: i32, op_code: OpCode) -> RequestHeader {
        RequestHeader {
            xid,
            op_type: op_code.code(),
        }
    }

    pub fn op_code(&self) -> Result<OpCode, UnknownOpCode> {
        OpCode::try_from(self.op_type)
    }
}

/// `ReplyHeader`: the start of every server reply and notification. `err` is a ZooKeeper error
/// code (`KeeperException.Code`); a reply with a non-zero `err` has no body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplyHeader {
    pub xid: i32,
    /// The last zxid the server had applied; -1 in notifications up to ZooKeeper 3.8.
    pub zxid: i64,
    pub err: i32,
}

/// `MultiHeader`: precedes each op of a multi request and each result of a multi response.
/// The sequence ends with `{type: -1, done: true, err: -1}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MultiHeader {
    pub op_type: i32,
    pub done: bool,
    /// -1 in requests; in responses 0, or the error code of an error result.
    pub err: i32,
}

impl MultiHeader {
    /// The header that ends a multi request or response.
    pub const DONE: MultiHeader = MultiHeader {
        op_type: -1,
        done: true,
        err: -1,
    };
}

/// Watch event types (`Watcher.Event.EventType`).
pub mod event_type {
    /// A change of connection state, not of a node.
    pub const NONE: i32 = -1;
    pub const NODE_CREATED: i32 = 1;
    pub const NODE_DELETED: i32 = 2;
    pub const NODE_DATA_CHANGED: i32 = 3;
    pub const NODE_CHILDREN_CHANGED: i32 = 4;
    pub const DATA_WATCH_REMOVED: i32 = 5;
    pub const CHILD_WATCH_REMOVED: i32 = 6;
    pub const PERSISTENT_WATCH_REMOVED: i32 = 7;
}

/// Connection states carried by watch events (`Watcher.Event.KeeperState`).
pub mod keeper_state {
    pub const DISCONNECTED: i32 = 0;
    pub const SYNC_CONNECTED: i32 = 3;
    pub const AUTH_FAILED: i32 = 4;
    pub const CONNECTED_READ_ONLY: i32 = 5;
    pub const SASL_AUTHENTICATED: i32 = 6;
    pub const EXPIRED: i32 = -112;
    pub const CLOSED: i32 = 7;
}

/// `WatcherEvent`: the body of a notification (xid -1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WatcherEvent {
    /// An [`event_type`].
    pub event_type: i32,
    /// A [`keeper_state`].
    pub state: i32,
    pub path: String,
}
