//! A client's connect handshake, as far as the peer's state decides it: the server lets a
//! client in only once it has applied every txn the client has seen, so that no session reads
//! back in time after it moved (ZooKeeper's `processConnectRequest`, which compares with
//! `lastProcessedZxid`). The server's driver decides every handshake with
//! [`crate::session::handshake::decide`] over [`Peer::handshake_view`]; the model checker's
//! clients connect through [`PeerMessage::ClientConnect`], answered from the same view.

use super::machine::StateMachine;
use super::message::PeerMessage;
use super::peer::{Peer, PeerState};
use crate::ids::Zxid;
use crate::session::handshake::{self, ServerView};
use stateright::actor::{Id, Out};

impl<M: StateMachine> Peer<M> {
    /// What this server offers a connecting client: whether it serves, and the last txn it has
    /// applied (what its reads answer from, and so what a client that saw more must not be
    /// let in below). `known_session_timeout_ms` is the named session's, if the applied state
    /// holds it.
    pub fn handshake_view(
        &self,
        state: &PeerState<M>,
        known_session_timeout_ms: Option<i32>,
    ) -> ServerView {
        let last_zxid = if self.mutations.handshake_compares_logged_zxid {
            state.durable.last_zxid()
        } else {
            state.committed_through
        };
        debug_assert!(state.committed_through <= state.durable.last_zxid());
        ServerView {
            serving: state.is_serving(),
            last_zxid,
            known_session_timeout_ms,
        }
    }

    /// A model client connects: answered once this server serves (until then the server's
    /// driver holds the handshake, and the model leaves it unanswered).
    pub(super) fn on_client_connect(
        &self,
        state: &PeerState<M>,
        client: Id,
        last_zxid_seen: Zxid,
        out: &mut Out<Self>,
    ) {
        let view = self.handshake_view(state, None);
        if !view.serving {
            return;
        }
        let last_zxid_seen = i64::try_from(last_zxid_seen.0).expect("zxids fit the wire's i64");
        let admitted = handshake::client_is_ahead(view, last_zxid_seen).is_none();
        out.send(client, PeerMessage::ConnectAnswer { admitted });
    }
}
