//! The actors of a model: ZAB peers (the production `Peer`) and model clients, in one enum since
//! a stateright model has one actor type.

use crate::client::{Client, ClientState, Value};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;
use zabkeeper_models::zab::{Durable, Message, Peer, PeerState, PeerTimer, Register, StateMachine};
use zabkeeper_models::ServerId;

/// The ZAB configurations' state machine: a register of small values.
pub type ValueRegister = Register<Value>;

/// A model client of peers replicating `M`.
pub trait ModelClient<M: StateMachine>:
    Actor<Msg = Message<M>, Timer = PeerTimer, Storage = Durable<M>, Random = ServerId>
{
}

impl<M: StateMachine, C> ModelClient<M> for C where
    C: Actor<Msg = Message<M>, Timer = PeerTimer, Storage = Durable<M>, Random = ServerId>
{
}

// Actors are built once per model; their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node<M: StateMachine = ValueRegister, C = Client> {
    /// A server, and what its disk holds when the model starts (`None`: an empty data dir).
    /// A preset disk starts a configuration in the aftermath of earlier epochs, so a focused
    /// check reaches deep scenarios without exploring how they arose.
    Server(Peer<M>, Option<Durable<M>>),
    Client(C),
}

// Client states are tiny; boxing the server state would add an allocation to every clone the
// checker makes.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState<M: StateMachine = ValueRegister, S = ClientState> {
    Server(PeerState<M>),
    Client(S),
}

impl<M: StateMachine, S> NodeState<M, S> {
    pub fn server(&self) -> Option<&PeerState<M>> {
        match self {
            NodeState::Server(state) => Some(state),
            NodeState::Client(_) => None,
        }
    }
}

/// Runs an inner actor's handler on the inner state, lifting its state and commands.
fn lift<A, S, N: Clone>(
    state: &mut Cow<N>,
    inner: impl FnOnce(&mut Cow<A::State>, &mut Out<A>),
    project: impl Fn(&N) -> &A::State,
    wrap: impl Fn(A::State) -> N,
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

fn server_state<M: StateMachine, S>(state: &NodeState<M, S>) -> &PeerState<M> {
    match state {
        NodeState::Server(state) => state,
        NodeState::Client(_) => unreachable!("a server's state"),
    }
}

fn client_state<M: StateMachine, S>(state: &NodeState<M, S>) -> &S {
    match state {
        NodeState::Client(state) => state,
        NodeState::Server(_) => unreachable!("a client's state"),
    }
}

impl<M, C> Actor for Node<M, C>
where
    M: StateMachine,
    C: ModelClient<M> + Clone + Debug + Eq + Hash,
    C::State: Clone + Debug + Eq + Hash,
{
    type Msg = Message<M>;
    type Timer = PeerTimer;
    type State = NodeState<M, C::State>;
    type Storage = Durable<M>;
    type Random = ServerId;

    fn on_start(
        &self,
        id: Id,
        storage: &Option<Self::Storage>,
        out: &mut Out<Self>,
    ) -> Self::State {
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
        state: &mut Cow<Self::State>,
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
        state: &mut Cow<Self::State>,
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
        state: &mut Cow<Self::State>,
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
