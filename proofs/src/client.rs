//! A model client: writes its values to one server, one at a time, then optionally reads,
//! from that server or another, plainly or after a `sync` there. Values are unique across
//! clients so that every delivered txn names the write it came from.
//!
//! A client that reconnects before its read moves its session to the read server as a
//! ZooKeeper client does after its connection dropped: it connects there with its session and
//! the zxid of the last reply it read, and reads only if that server lets it in (the server's
//! handshake, then the leader's revalidation of the session).
//!
//! A pipelining client sends its write and its read at once, as ZooKeeper clients do with
//! asynchronous calls: the server's session order must answer the read after the write.

use crate::system::{ValueDurable, ValueMessage};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use zabkeeper_models::zab::{PeerMessage, PeerTimer};
use zabkeeper_models::{SessionId, Zxid};

/// The session a reconnecting client names. The register replicates no sessions (its leader
/// revalidates any), so the id only has to be one a client could send: not 0, which asks for
/// a new session.
pub const REGISTER_SESSION: SessionId = SessionId(1);
/// The timeout a reconnecting client asks for (the register's bounds clamp it).
pub const REGISTER_SESSION_TIMEOUT_MS: i32 = 4000;

/// The replicated payload in the model: a client's written value.
pub type Value = u8;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    pub server: Id,
    pub writes: Vec<Value>,
    /// Read once every write returned.
    pub read_after_writes: bool,
    /// Where the read goes (a client that reconnected elsewhere reads there).
    pub read_server: Id,
    /// Send a `sync` to `read_server` first and read when it is answered: ZooKeeper's way to
    /// a linearizable read.
    pub sync_before_read: bool,
    /// Connect to `read_server` with the last zxid seen before the read (its handshake may
    /// refuse the client), as a client whose connection dropped does.
    pub reconnect_before_read: bool,
    /// Send every operation at once, without waiting for answers (one write and a read, on
    /// one server).
    pub pipelined: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientState {
    /// Index of the operation in flight (writes first, then the read).
    pub next_operation: usize,
    pub awaiting_reply: bool,
    /// The zxid of the last write acknowledged to this client: what it connects with. Kept
    /// only by a reconnecting client (zero otherwise, so that other configurations keep their
    /// state space).
    pub last_zxid_seen: Zxid,
    /// A reconnecting client's handshake at the read server: `None` until answered, then
    /// whether it was let in.
    pub connected: Option<bool>,
}

impl Client {
    fn send_operation(&self, state: &ClientState, out: &mut Out<Self>) -> bool {
        let index = state.next_operation;
        if let Some(value) = self.writes.get(index) {
            out.send(self.server, PeerMessage::ClientWrite { request: *value });
            true
        } else if index == self.writes.len() && self.read_after_writes {
            if self.reconnect_before_read && state.connected.is_none() {
                let last_zxid_seen = state.last_zxid_seen;
                let connect = PeerMessage::ClientConnect {
                    last_zxid_seen,
                    session: Some(REGISTER_SESSION),
                    timeout_ms: REGISTER_SESSION_TIMEOUT_MS,
                };
                out.send(self.read_server, connect);
            } else {
                self.send_read(out);
            }
            true
        } else {
            false
        }
    }

    fn send_read(&self, out: &mut Out<Self>) {
        let first = if self.sync_before_read {
            PeerMessage::ClientSync
        } else {
            PeerMessage::ClientRead
        };
        out.send(self.read_server, first);
    }
}

impl Actor for Client {
    type Msg = ValueMessage;
    type Timer = PeerTimer;
    type State = ClientState;
    type Storage = ValueDurable;
    type Random = zabkeeper_models::ServerId;

    fn on_start(
        &self,
        _id: Id,
        _storage: &Option<Self::Storage>,
        out: &mut Out<Self>,
    ) -> ClientState {
        let mut state = ClientState {
            next_operation: 0,
            awaiting_reply: false,
            last_zxid_seen: Zxid::ZERO,
            connected: None,
        };
        if self.pipelined {
            for value in &self.writes {
                out.send(self.server, PeerMessage::ClientWrite { request: *value });
            }
            self.send_read(out);
            state.awaiting_reply = true;
            return state;
        }
        state.awaiting_reply = self.send_operation(&state, out);
        state
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<ClientState>,
        src: Id,
        msg: Self::Msg,
        out: &mut Out<Self>,
    ) {
        let mut zxid_seen = None;
        let expected = match msg {
            PeerMessage::WriteCommitted { payload, zxid, .. } => {
                zxid_seen = Some(zxid);
                self.writes.get(state.next_operation) == Some(&payload)
            }
            PeerMessage::SessionRevalidated { .. } | PeerMessage::ConnectionClosed
                if state.awaiting_reply
                    && state.connected.is_none()
                    && src == self.read_server
                    && state.next_operation == self.writes.len() =>
            {
                let admitted = matches!(msg, PeerMessage::SessionRevalidated { valid: true, .. });
                let state = state.to_mut();
                state.connected = Some(admitted);
                if admitted {
                    self.send_read(out);
                } else {
                    // Refused: a ZooKeeper client would try another server; this one stops.
                    state.awaiting_reply = false;
                }
                return;
            }
            PeerMessage::ReadResult { .. } => state.next_operation == self.writes.len(),
            PeerMessage::Synced if state.awaiting_reply && self.sync_before_read => {
                // The sync is answered: the read follows on the same server.
                if state.next_operation == self.writes.len() {
                    out.send(self.read_server, PeerMessage::ClientRead);
                }
                return;
            }
            _ => false,
        };
        if !expected || !state.awaiting_reply {
            return;
        }
        let state = state.to_mut();
        if self.reconnect_before_read {
            if let Some(zxid) = zxid_seen {
                state.last_zxid_seen = zxid;
            }
        }
        state.next_operation += 1;
        state.awaiting_reply = if self.pipelined {
            // Everything is sent already: what is left is waiting for its answers.
            state.next_operation <= self.writes.len()
        } else {
            self.send_operation(state, out)
        };
    }
}
