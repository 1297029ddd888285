//! A client's connect handshake, as far as the peer's state decides it: the server lets a
//! client in only once it has applied every txn the client has seen, so that no session reads
//! back in time after it moved (ZooKeeper's `processConnectRequest`, which compares with
//! `lastProcessedZxid`), and resumes a session with its own timeout where it has applied the
//! session's creation. Both drivers, the server's `connect` and the model checker's
//! (`proofs/src/system.rs`), decide every handshake with [`Peer::decide_handshake`].

use super::machine::StateMachine;
use super::peer::{Peer, PeerState};
use crate::ids::SessionId;
use crate::session::handshake::{self, Handshake, HandshakeDecision, ServerView};

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

    /// The decision on a ConnectRequest reaching this server in `state`:
    /// [`handshake::decide`] over [`Peer::handshake_view`], with the named session's timeout
    /// read from what this server applied.
    pub fn decide_handshake(&self, state: &PeerState<M>, request: Handshake) -> HandshakeDecision {
        let known_session_timeout_ms = (request.session_id != 0)
            .then(|| M::session_timeout_ms(&state.applied, SessionId(request.session_id)))
            .flatten();
        let view = self.handshake_view(state, known_session_timeout_ms);
        let decision = handshake::decide(&self.machine.session_config(), view, request);
        if let HandshakeDecision::Resume { session, .. } | HandshakeDecision::Expired { session } =
            decision
        {
            assert_eq!(
                session.0, request.session_id,
                "a reconnect is decided for the session it names"
            );
        }
        decision
    }
}
