//! A model client: writes its values to one server, one at a time, then optionally reads,
//! from that server or another, plainly or after a `sync` there. Values are unique across
//! clients so that every delivered txn names the write it came from.

use crate::system::{ValueDurable, ValueMessage};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use zabkeeper_models::zab::{PeerMessage, PeerTimer};

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
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientState {
    /// Index of the operation in flight (writes first, then the read).
    pub next_operation: usize,
    pub awaiting_reply: bool,
}

impl Client {
    fn send_operation(&self, index: usize, out: &mut Out<Self>) -> bool {
        if let Some(value) = self.writes.get(index) {
            out.send(self.server, PeerMessage::ClientWrite { request: *value });
            true
        } else if index == self.writes.len() && self.read_after_writes {
            let first = if self.sync_before_read {
                PeerMessage::ClientSync
            } else {
                PeerMessage::ClientRead
            };
            out.send(self.read_server, first);
            true
        } else {
            false
        }
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
        let awaiting_reply = self.send_operation(0, out);
        ClientState {
            next_operation: 0,
            awaiting_reply,
        }
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<ClientState>,
        _src: Id,
        msg: Self::Msg,
        out: &mut Out<Self>,
    ) {
        let expected = match msg {
            PeerMessage::WriteCommitted { payload, .. } => {
                self.writes.get(state.next_operation) == Some(&payload)
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
        state.next_operation += 1;
        state.awaiting_reply = self.send_operation(state.next_operation, out);
    }
}
