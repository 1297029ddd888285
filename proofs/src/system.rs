//! The actors of a model: ZAB peers (the production `Peer`) and model clients, in one enum since
//! a stateright model has one actor type.

use crate::client::{Client, ClientState, Value};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use zabkeeper_models::zab::{DurableState, Peer, PeerMessage, PeerState, PeerTimer};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A server, and what its disk holds when the model starts (`None`: an empty data dir).
    /// A preset disk starts a configuration in the aftermath of earlier epochs, so a focused
    /// check reaches deep scenarios without exploring how they arose.
    Server(Peer<Value>, Option<DurableState<Value>>),
    Client(Client),
}

// Client states are tiny; boxing the server state would add an allocation to every clone the
// checker makes.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    Server(PeerState<Value>),
    Client(ClientState),
}

impl NodeState {
    pub fn server(&self) -> Option<&PeerState<Value>> {
        match self {
            NodeState::Server(state) => Some(state),
            NodeState::Client(_) => None,
        }
    }
}

/// Runs an inner actor's handler on the inner state, lifting its state and commands.
fn lift<A, S>(
    state: &mut Cow<NodeState>,
    inner: impl FnOnce(&mut Cow<A::State>, &mut Out<A>),
    project: impl Fn(&NodeState) -> &A::State,
    wrap: impl Fn(A::State) -> NodeState,
    out: &mut Out<S>,
) where
    A: Actor,
    S: Actor<Msg = A::Msg, Timer = A::Timer, Random = A::Random, Storage = A::Storage>,
{
    let mut inner_state = Cow::Borrowed(project(state));
    let mut inner_out = Out::new();
    inner(&mut inner_state, &mut inner_out);
    if let Cow::Owned(next) = inner_state {
        *state = Cow::Owned(wrap(next));
    }
    out.append(&mut inner_out);
}

fn server_state(state: &NodeState) -> &PeerState<Value> {
    match state {
        NodeState::Server(state) => state,
        NodeState::Client(_) => unreachable!("a server's state"),
    }
}

fn client_state(state: &NodeState) -> &ClientState {
    match state {
        NodeState::Client(state) => state,
        NodeState::Server(_) => unreachable!("a client's state"),
    }
}

impl Actor for Node {
    type Msg = PeerMessage<Value>;
    type Timer = PeerTimer;
    type State = NodeState;
    type Storage = DurableState<Value>;
    type Random = zabkeeper_models::ServerId;

    fn on_start(&self, id: Id, storage: &Option<Self::Storage>, out: &mut Out<Self>) -> NodeState {
        let mut inner_out = Out::new();
        let state = match self {
            Node::Server(peer, initial_disk) => {
                let storage = storage.as_ref().or(initial_disk.as_ref()).cloned();
                NodeState::Server(peer.on_start(id, &storage, &mut inner_out))
            }
            Node::Client(client) => {
                let mut client_out = Out::new();
                let state = NodeState::Client(client.on_start(id, storage, &mut client_out));
                out.append(&mut client_out);
                state
            }
        };
        out.append(&mut inner_out);
        state
    }

    fn on_msg(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        msg: Self::Msg,
        out: &mut Out<Self>,
    ) {
        match self {
            Node::Server(peer, _) => lift(
                state,
                |inner, inner_out| peer.on_msg(id, inner, src, msg, inner_out),
                server_state,
                NodeState::Server,
                out,
            ),
            Node::Client(client) => lift(
                state,
                |inner, inner_out| client.on_msg(id, inner, src, msg, inner_out),
                client_state,
                NodeState::Client,
                out,
            ),
        }
    }

    fn on_random(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        random: &Self::Random,
        out: &mut Out<Self>,
    ) {
        if let Node::Server(peer, _) = self {
            lift(
                state,
                |inner, inner_out| peer.on_random(id, inner, random, inner_out),
                server_state,
                NodeState::Server,
                out,
            );
        }
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        timer: &Self::Timer,
        out: &mut Out<Self>,
    ) {
        if let Node::Server(peer, _) = self {
            lift(
                state,
                |inner, inner_out| peer.on_timeout(id, inner, timer, inner_out),
                server_state,
                NodeState::Server,
                out,
            );
        }
    }
}
