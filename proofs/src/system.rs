//! The actors of a model: ZAB peers (the production `Peer`) and model clients, in one enum since
//! a stateright model has one actor type.

use crate::client::{Client, ClientState, Value};
use crate::driver::{
    driver_timer_commands, sink_contract_holds, DriverActions, DriverRecord, NodeTimer, APPLY_SINK,
};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;
use std::ops::Range;
use std::time::Duration;
use zabkeeper_models::zab::{
    Durable, Input, Message, Peer, PeerState, PeerTimer, Register, StateMachine,
};
use zabkeeper_models::ServerId;

/// The ZAB configurations' state machine: a register of small values.
pub type ValueRegister = Register<Value>;

/// The messages of the ZAB configurations.
pub type ValueMessage = Message<ValueRegister>;

/// What a server of the ZAB configurations saves.
pub type ValueDurable = Durable<ValueRegister>;

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
    /// A server, what its disk holds when the model starts (`None`: an empty data dir), and
    /// what the checker may make its driver do. A preset disk starts a configuration in the
    /// aftermath of earlier epochs, so a focused check reaches deep scenarios without
    /// exploring how they arose.
    Server(Peer<M>, Option<Durable<M>>, DriverActions<M::Session>),
    Client(C),
}

// Client states are tiny; boxing the server state would add an allocation to every clone the
// checker makes.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState<M: StateMachine = ValueRegister, S = ClientState> {
    Server(PeerState<M>, DriverRecord),
    Client(S),
}

impl<M: StateMachine, S> NodeState<M, S> {
    pub fn server(&self) -> Option<&PeerState<M>> {
        match self {
            NodeState::Server(state, _) => Some(state),
            NodeState::Client(_) => None,
        }
    }

    /// What the server's driver recorded, if this is a server.
    pub fn driver(&self) -> Option<&DriverRecord> {
        match self {
            NodeState::Server(_, record) => Some(record),
            NodeState::Client(_) => None,
        }
    }
}

type PeerCommand<M> = Command<Message<M>, PeerTimer, ServerId, Durable<M>>;

/// Re-issues a peer's or client's commands as the node's, its timers wrapped.
fn lift_commands<M: StateMachine, N>(commands: Vec<PeerCommand<M>>, out: &mut Out<N>)
where
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    for command in commands {
        match command {
            Command::Send(to, message) => out.send(to, message),
            Command::SetTimer(timer, range) => out.set_timer(NodeTimer::Peer(timer), range),
            Command::CancelTimer(timer) => out.cancel_timer(NodeTimer::Peer(timer)),
            Command::ChooseRandom(key, choices) => out.choose_random(key, choices),
            Command::Save(durable) => out.save(durable),
        }
    }
}

/// One step of a server: hands `input` to the peer through [`Peer::step`] (the call the
/// server's driver makes), takes what the peer sent its apply sink off the network while
/// checking the sink's contract, and re-arms the driver actions the new state allows.
fn server_step<M, S, N>(
    peer: &Peer<M>,
    actions: &DriverActions<M::Session>,
    state: &mut Cow<NodeState<M, S>>,
    input: Input<M>,
    out: &mut Out<N>,
) where
    M: StateMachine,
    S: Clone,
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    let disconnect = matches!(input, Input::PeerDisconnected { .. });
    server_handles(
        peer,
        actions,
        state,
        disconnect,
        out,
        |peer_state, peer_out| {
            peer.step(peer_state, input, peer_out);
        },
    );
}

/// [`server_step`] around any handler of the peer (`handle`); `disconnect` says whether it
/// reports a lost link, which the node counts.
fn server_handles<M, S, N>(
    peer: &Peer<M>,
    actions: &DriverActions<M::Session>,
    state: &mut Cow<NodeState<M, S>>,
    disconnect: bool,
    out: &mut Out<N>,
    handle: impl FnOnce(&mut Cow<PeerState<M>>, &mut Out<Peer<M>>),
) where
    M: StateMachine,
    S: Clone,
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    let (before, record) = match state.as_ref() {
        NodeState::Server(before, record) => (before, record),
        NodeState::Client(_) => unreachable!("a server's state"),
    };
    let mut peer_state = Cow::Borrowed(before);
    let mut peer_out = Out::new();
    handle(&mut peer_state, &mut peer_out);
    let commands: Vec<PeerCommand<M>> = peer_out.into_iter().collect();
    let next = match peer_state {
        Cow::Owned(next) => Some(next),
        Cow::Borrowed(_) => None,
    };
    let after = next.as_ref().unwrap_or(before);
    let broken = !record.sink_contract_broken && !sink_contract_holds(before, after, &commands);
    let record_changed = broken || disconnect;
    let mut record = record.clone();
    record.sink_contract_broken |= broken;
    if disconnect {
        record.disconnects = record.disconnects.saturating_add(1);
    }
    let timers = driver_timer_commands(actions, peer, after, &record);
    if next.is_some() || record_changed {
        let peer_state = next.unwrap_or_else(|| before.clone());
        *state = Cow::Owned(NodeState::Server(peer_state, record));
    }
    finish_server_step::<M, N>(commands, timers, out);
}

fn finish_server_step<M: StateMachine, N>(
    commands: Vec<PeerCommand<M>>,
    timers: Vec<(NodeTimer, Option<Range<Duration>>)>,
    out: &mut Out<N>,
) where
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    let sink = Id::from(APPLY_SINK);
    let commands = commands
        .into_iter()
        .filter(|command| !matches!(command, Command::Send(to, _) if *to == sink))
        .collect();
    lift_commands::<M, N>(commands, out);
    for (timer, armed) in timers {
        match armed {
            Some(range) => out.set_timer(timer, range),
            None => out.cancel_timer(timer),
        }
    }
}

impl<M, C> Actor for Node<M, C>
where
    M: StateMachine,
    C: ModelClient<M> + Clone + Debug + Eq + Hash,
    C::State: Clone + Debug + Eq + Hash,
{
    type Msg = Message<M>;
    type Timer = NodeTimer;
    type State = NodeState<M, C::State>;
    type Storage = Durable<M>;
    type Random = ServerId;

    fn on_start(
        &self,
        id: Id,
        storage: &Option<Self::Storage>,
        out: &mut Out<Self>,
    ) -> Self::State {
        match self {
            Node::Server(peer, initial_disk, actions) => {
                let storage = storage.as_ref().or(initial_disk.as_ref()).cloned();
                let mut peer_out = Out::new();
                let state = peer.on_start(id, &storage, &mut peer_out);
                let record = DriverRecord::default();
                let timers = driver_timer_commands(actions, peer, &state, &record);
                finish_server_step::<M, Self>(peer_out.into_iter().collect(), timers, out);
                NodeState::Server(state, record)
            }
            Node::Client(client) => {
                let mut client_out = Out::new();
                let state = NodeState::Client(client.on_start(id, storage, &mut client_out));
                lift_commands::<M, Self>(client_out.into_iter().collect(), out);
                state
            }
        }
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
            Node::Server(peer, _, actions) => {
                let input = Input::Message {
                    from: usize::from(src),
                    message: msg,
                };
                server_step(peer, actions, state, input, out);
            }
            Node::Client(client) => lift_client(state, out, |inner, inner_out| {
                client.on_msg(id, inner, src, msg, inner_out)
            }),
        }
    }

    fn on_random(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        random: &Self::Random,
        out: &mut Out<Self>,
    ) {
        // Only the election oracle chooses at random, a choice the server never makes.
        if let Node::Server(peer, _, actions) = self {
            server_handles(peer, actions, state, false, out, |peer_state, peer_out| {
                peer.on_random(id, peer_state, random, peer_out);
            });
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        timer: &Self::Timer,
        out: &mut Out<Self>,
    ) {
        if let Node::Server(peer, _, actions) = self {
            let input = match timer {
                NodeTimer::Peer(timer) => Input::Timeout { timer: *timer },
                NodeTimer::Driver(action) => {
                    let NodeState::Server(peer_state, _) = state.as_ref() else {
                        unreachable!("a server's state")
                    };
                    actions.input(*action, peer_state)
                }
            };
            server_step(peer, actions, state, input, out);
        }
    }
}

/// Runs a client's handler on its state, lifting its state and commands.
fn lift_client<M, C, N>(
    state: &mut Cow<NodeState<M, C::State>>,
    out: &mut Out<N>,
    inner: impl FnOnce(&mut Cow<C::State>, &mut Out<C>),
) where
    M: StateMachine,
    C: ModelClient<M>,
    C::State: Clone,
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    let NodeState::Client(client_state) = state.as_ref() else {
        unreachable!("a client's state")
    };
    let mut inner_state = Cow::Borrowed(client_state);
    let mut inner_out = Out::new();
    inner(&mut inner_state, &mut inner_out);
    if let Cow::Owned(next) = inner_state {
        *state = Cow::Owned(NodeState::Client(next));
    }
    lift_commands::<M, N>(inner_out.into_iter().collect(), out);
}
