//! The peer's entry points as one typed input. The server's driver, trace replay and the model
//! checker's driver actions all hand the peer an [`Input`] through [`Peer::step`], so none of
//! them can call the peer in a way the others do not: a run of the server replays through the
//! same match arms the checker explores.

use super::durable::Snapshot;
use super::machine::StateMachine;
use super::peer::{Message, Peer, PeerState, PeerTimer};
use crate::ids::ServerId;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::sync::Arc;

/// Everything that can happen to a peer, as its driver sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "Message<M>: Serialize, M::Session: Serialize",
    deserialize = "Message<M>: Deserialize<'de>, M::Session: Deserialize<'de>"
))]
pub enum Input<M: StateMachine> {
    /// A message from a peer, a client connection or the driver itself (`from` is its actor
    /// id).
    Message { from: usize, message: Message<M> },
    /// A timer the peer set went off.
    Timeout { timer: PeerTimer },
    /// The monotonic clock reads `now_ms` ([`Peer::on_session_clock`]).
    SessionClock { now_ms: u64 },
    /// The leader's housekeeping round at wall time `wall_time_ms`
    /// ([`Peer::on_housekeeping_clock`]).
    Housekeeping { wall_time_ms: i64 },
    /// The transport lost its connection to `server` ([`Peer::on_peer_disconnected`]).
    PeerDisconnected { server: ServerId },
    /// A client of `session` showed signs of life at `now_ms` ([`Peer::touch_session`]); the
    /// answer says whether the session lives.
    TouchSession { session: M::Session, now_ms: u64 },
    /// Fold the committed history into a snapshot ([`Peer::compact`]); the answer is the
    /// snapshot for the driver to write.
    Compact,
}

/// What a step returns besides its commands.
#[derive(Clone, Debug, PartialEq)]
pub enum StepAnswer<A> {
    Nothing,
    /// `TouchSession`: whether the session lives.
    Alive(bool),
    /// `Compact`: the snapshot to write, if the history had committed txns to fold.
    Compacted(Option<Arc<Snapshot<A>>>),
}

impl<M: StateMachine> Peer<M> {
    /// Hands `input` to the handler it names.
    pub fn step(
        &self,
        state: &mut Cow<PeerState<M>>,
        input: Input<M>,
        out: &mut Out<Self>,
    ) -> StepAnswer<M::Applied> {
        let me = super::peer::id_of(self.me);
        match input {
            Input::Message { from, message } => {
                self.on_msg(me, state, Id::from(from), message, out)
            }
            Input::Timeout { timer } => self.on_timeout(me, state, &timer, out),
            Input::SessionClock { now_ms } => self.on_session_clock(state, now_ms, out),
            Input::Housekeeping { wall_time_ms } => {
                self.on_housekeeping_clock(state, wall_time_ms, out)
            }
            Input::PeerDisconnected { server } => self.on_peer_disconnected(state, server, out),
            Input::TouchSession { session, now_ms } => {
                return StepAnswer::Alive(self.touch_session(state.to_mut(), &session, now_ms));
            }
            Input::Compact => return StepAnswer::Compacted(self.compact(state.to_mut())),
        }
        StepAnswer::Nothing
    }
}
