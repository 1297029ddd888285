//! Session ownership: a session's writes are accepted only through the server its client is
//! connected to, and never refused there. When a client reconnects with its session through
//! another server, that server becomes the session's owner (the leader revalidates the session
//! and binds it there before the client hears the answer): a write the client then sends
//! through the new server is never refused SessionMoved, and a request of the old connection
//! that reaches the leader after the move is never accepted.
//!
//! Source: ZooKeeper's session move semantics (Programmer's Guide, "ZooKeeper Sessions": a
//! client may reconnect to any server with its session id and password), the leader's
//! `setOwner` on REVALIDATE (`Leader.revalidateSession`) and the SESSIONMOVED check of
//! `SessionTrackerImpl.checkSession`; the bug it rules out is Zabkeeper issue 21 (a session
//! moved to another follower had every write refused SessionMoved). Judged by what the model
//! client did: its create with [`EPHEMERAL_CXID`] goes through the server it is connected
//! to (after the move, for a moving client), its create with [`LATE_CXID`] through the server
//! it left, sent only once the move was answered.

use crate::model::servers;
use crate::sessions::client::{EPHEMERAL_CXID, LATE_CXID, SESSION};
use crate::sessions::SessionModelState;
use zabkeeper_models::ErrorCode;

pub const NAME: &str =
    "SessionOwnership: a session's writes are accepted only through its owner, never refused there";

pub fn holds(state: &SessionModelState) -> bool {
    servers(state).all(|(_, server)| {
        server.delivered().iter().all(|proposal| {
            let txn = &proposal.payload;
            if txn.header.client_id != SESSION {
                return true;
            }
            match txn.header.cxid {
                EPHEMERAL_CXID => txn.error() != Some(ErrorCode::SessionMoved),
                LATE_CXID => txn.error().is_some(),
                _ => true,
            }
        })
    })
}
