//! Session revalidation (ZooKeeper's REVALIDATE): a client that reconnects with its session
//! makes the server it reconnected through the session's owner, the one server whose requests
//! for the session the leader accepts. The leader decides; a learner asks it and answers its
//! client only with the leader's answer, so that by the time the client sends its first request
//! through the new server, the leader already expects the session there. A request that still
//! comes through the server the client left is refused SessionMoved.

use super::machine::StateMachine;
use super::message::PeerMessage;
use super::peer::{id_of, Peer, PeerState};
use super::role::Role;
use crate::ids::ServerId;
use stateright::actor::{Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A learner's reconnected clients waiting for the leader's answer to their REVALIDATE.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Revalidations<S> {
    /// By token: the client and the session it reconnected with.
    pub waiting: BTreeMap<u64, (Id, S)>,
    /// The token of the next REVALIDATE this learner sends.
    pub next_token: u64,
}

impl<S> Default for Revalidations<S> {
    fn default() -> Self {
        Revalidations {
            waiting: BTreeMap::new(),
            next_token: 0,
        }
    }
}

impl<M: StateMachine> Peer<M> {
    /// A client reconnected here with `session`. The leader revalidates it at once, as its own
    /// owner (ZooKeeper's leader sets the owner to itself); a learner asks its leader and the
    /// client waits for the answer. A server that does not serve answers nothing: its driver
    /// holds no handshake for it.
    pub(crate) fn on_client_revalidate(
        &self,
        state: &mut Cow<PeerState<M>>,
        client: Id,
        session: M::Session,
        out: &mut Out<Self>,
    ) {
        if !state.is_serving() {
            return;
        }
        let leader = match &state.role {
            Role::Leading(_) => None,
            Role::Learning(learner) => Some(learner.leader),
            Role::Looking(_) => unreachable!("a LOOKING server does not serve"),
        };
        let state = state.to_mut();
        let Some(leader) = leader else {
            let valid = self.revalidate_on_leader(state, &session, self.me);
            out.send(client, PeerMessage::SessionRevalidated { session, valid });
            return;
        };
        let token = state.revalidations.next_token;
        state.revalidations.next_token += 1;
        let earlier = state
            .revalidations
            .waiting
            .insert(token, (client, session.clone()));
        assert!(earlier.is_none(), "revalidation tokens are never reused");
        out.send(id_of(leader), PeerMessage::Revalidate { token, session });
    }

    /// A learner's REVALIDATE reaches the leader: an established leader answers on the same
    /// link, after making the learner the session's owner if the session lives.
    pub(crate) fn on_revalidate(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        token: u64,
        session: M::Session,
        out: &mut Out<Self>,
    ) {
        if !Self::established_with_learner(state, from) {
            return;
        }
        let valid = self.revalidate_on_leader(state.to_mut(), &session, from);
        out.send(
            id_of(from),
            PeerMessage::Revalidated {
                token,
                session,
                valid,
            },
        );
    }

    /// The leader's answer to a REVALIDATE: the client that reconnected with `session` hears
    /// it. Only the learner's own leader is listened to, and only for the session it was asked
    /// about under `token`.
    pub(crate) fn on_revalidated(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        (token, session, valid): (u64, M::Session, bool),
        out: &mut Out<Self>,
    ) {
        let Role::Learning(learner) = &state.role else {
            return;
        };
        let asked = state
            .revalidations
            .waiting
            .get(&token)
            .is_some_and(|(_, waiting)| *waiting == session);
        if learner.leader != from || !asked {
            return;
        }
        let (client, _) = state
            .to_mut()
            .revalidations
            .waiting
            .remove(&token)
            .expect("checked above");
        out.send(client, PeerMessage::SessionRevalidated { session, valid });
    }

    /// The established leader's decision: whether `session` lives, and if so it is touched and
    /// bound to `owner`.
    fn revalidate_on_leader(
        &self,
        state: &mut PeerState<M>,
        session: &M::Session,
        owner: ServerId,
    ) -> bool {
        assert!(
            state.established_epoch().is_some(),
            "only an established leader revalidates sessions"
        );
        let clock_ms = state.clock_ms;
        let preparation = state
            .preparation
            .as_mut()
            .expect("an established leader prepares");
        self.machine
            .revalidate(preparation, session, owner, clock_ms)
    }
}
