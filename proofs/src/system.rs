//! The actors of a model: ZAB peers (the production `Peer`) and model clients, in one enum since
//! a stateright model has one actor type.

use crate::client::{Client, ClientState, Value};
use crate::cluster::{Link, Wired};
use crate::driver::{
    driver_timer_commands, sink_contract_holds, DriverAction, DriverActions, DriverRecord,
    NodeTimer, APPLY_SINK, DRIVER_START_MS,
};
use crate::persisting::{refused_at_start, PeerCommand, Persisting};
use stateright::actor::{model_timeout, Actor, Command, Id, Out};
use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;
use std::ops::Range;
use std::time::Duration;
use zabkeeper_models::request::{AccessControl, Passage, Reader};
use zabkeeper_models::session::handshake::{Handshake, HandshakeDecision};
use zabkeeper_models::tree::op_code;
use zabkeeper_models::watch::WatchPaths;
use zabkeeper_models::zab::{
    Durable, Input, Message, Peer, PeerMessage, PeerState, PeerTimer, Register, StateMachine,
};
use zabkeeper_models::{ErrorCode, ServerId, Zxid};

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
    /// A server: its peer's state, what its driver recorded, and the persist under way.
    Server(
        PeerState<M>,
        DriverRecord<Message<M>>,
        Option<Persisting<M>>,
    ),
    /// A server that refused to start from what its disk holds (see
    /// [`crate::persisting::refused_at_start`]): it stays down, its disk as it was.
    Refused(Durable<M>),
    Client(S),
}

impl<M: StateMachine, S> NodeState<M, S> {
    pub fn server(&self) -> Option<&PeerState<M>> {
        match self {
            NodeState::Server(state, ..) => Some(state),
            NodeState::Refused(_) | NodeState::Client(_) => None,
        }
    }

    /// What the server's driver recorded, if this is a server.
    pub fn driver(&self) -> Option<&DriverRecord<Message<M>>> {
        match self {
            NodeState::Server(_, record, _) => Some(record),
            NodeState::Refused(_) | NodeState::Client(_) => None,
        }
    }

    /// Whether this is a server in the middle of a persist.
    pub fn persisting(&self) -> bool {
        matches!(self, NodeState::Server(_, _, Some(_)))
    }
}

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
/// checking the sink's contract, notes what the driver saw (`note`), and re-arms the driver
/// actions the new state allows.
fn server_step<M, S, N>(
    peer: &Peer<M>,
    actions: &DriverActions<M::Session>,
    state: &mut Cow<NodeState<M, S>>,
    input: Input<M>,
    note: impl FnOnce(&mut DriverRecord<Message<M>>),
    out: &mut Out<N>,
) where
    M: StateMachine,
    S: Clone,
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    server_handles(peer, actions, state, out, |peer_state, record, peer_out| {
        note(record);
        peer.step(peer_state, input, peer_out);
    });
}

/// A client's request reaches a server: with the session order (the server's), it runs now or
/// waits behind the client's write or sync in flight (released by [`server_handles`] when that
/// comes back), as the server's driver decides with `SessionOrder::arrive`; without, it runs
/// now.
fn client_request<M, S, N>(
    peer: &Peer<M>,
    actions: &DriverActions<M::Session>,
    state: &mut Cow<NodeState<M, S>>,
    (client, passage): (usize, Passage),
    request: Message<M>,
    out: &mut Out<N>,
) where
    M: StateMachine,
    S: Clone,
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    server_handles(peer, actions, state, out, |peer_state, record, peer_out| {
        if record.closed.contains(&client) {
            // Sent on a connection the server closed: it never arrives.
            return;
        }
        let request = if actions.session_order {
            record.clients.order.arrive(client, passage, request)
        } else {
            Some(request)
        };
        if let Some(request) = request {
            run_request(peer, peer_state, record, client, request, peer_out);
        }
    });
}

/// Runs a client's request whose turn has come. A read of the tree is the driver's to answer,
/// as the server's `execute` answers it, and a handshake the driver's to decide, as the
/// server's `connect` decides it; everything else goes to the peer.
fn run_request<M: StateMachine>(
    peer: &Peer<M>,
    peer_state: &mut Cow<PeerState<M>>,
    record: &mut DriverRecord<Message<M>>,
    client: usize,
    request: Message<M>,
    peer_out: &mut Out<Peer<M>>,
) {
    match request {
        PeerMessage::ClientExists { path, watch } => {
            let Some((stat, zxid)) = read(peer, peer_state, record, client, |reader| {
                reader.exists(&path, watch)
            }) else {
                return;
            };
            let stat = match stat {
                Ok(stat) => Some(stat),
                Err(ErrorCode::NoNode) => None,
                Err(error) => {
                    panic!("the model's clients read valid paths, not {path:?}: {error:?}")
                }
            };
            peer_out.send(Id::from(client), PeerMessage::ExistsResult { stat, zxid });
        }
        PeerMessage::ClientGetData { path, watch } => {
            if let Some((answer, zxid)) = read(peer, peer_state, record, client, |reader| {
                reader.get_data(&path, watch)
            }) {
                peer_out.send(Id::from(client), PeerMessage::DataResult { answer, zxid });
            }
        }
        PeerMessage::ClientGetChildren { path, watch } => {
            if let Some((answer, zxid)) = read(peer, peer_state, record, client, |reader| {
                reader.get_children(&path, watch)
            }) {
                peer_out.send(
                    Id::from(client),
                    PeerMessage::ChildrenResult { answer, zxid },
                );
            }
        }
        PeerMessage::ClientSetWatches {
            relative_zxid,
            exist_paths,
            child_paths,
        } => {
            let paths = WatchPaths {
                exist: &exist_paths,
                child: &child_paths,
                ..WatchPaths::default()
            };
            let immediate = read(peer, peer_state, record, client, |reader| {
                reader.set_watches(relative_zxid, paths)
            });
            for event in immediate.map(|(events, _)| events).unwrap_or_default() {
                peer_out.send(Id::from(client), PeerMessage::WatchNotification { event });
            }
        }
        handshake_message @ PeerMessage::ClientConnect {
            last_zxid_seen,
            session,
            timeout_ms,
        } => {
            let handshake = Handshake {
                last_zxid_seen: i64::try_from(last_zxid_seen.0).expect("zxids fit the wire's i64"),
                timeout_ms,
                session_id: session.map_or(0, |session| session.0),
                // The model's clients reconnect with their session's own password.
                password_matches: true,
            };
            // A handshake opens a new connection.
            record.closed.retain(|closed| *closed != client);
            match peer.decide_handshake(peer_state, handshake) {
                HandshakeDecision::WaitUntilServing => {
                    record.held_handshakes.push((client, handshake_message));
                }
                HandshakeDecision::Refuse(_) => {
                    record.close(client);
                    peer_out.send(Id::from(client), PeerMessage::ConnectionClosed);
                }
                HandshakeDecision::CreateSession { timeout_ms } => {
                    record.open(client);
                    let session = record.session_ids.next(peer.me, DRIVER_START_MS);
                    let request = peer
                        .machine
                        .create_session_request(session, peer.me, timeout_ms)
                        .expect("only configurations that replicate sessions open them");
                    let message = PeerMessage::ClientWrite { request };
                    let input = Input::Message {
                        from: client,
                        message,
                    };
                    peer.step(peer_state, input, peer_out);
                }
                HandshakeDecision::Resume { session, .. } => {
                    record.open(client);
                    let message = PeerMessage::ClientRevalidate {
                        session: M::session_named(session),
                    };
                    let input = Input::Message {
                        from: client,
                        message,
                    };
                    peer.step(peer_state, input, peer_out);
                }
                HandshakeDecision::Expired { session } => {
                    // ZooKeeper answers with a zero timeout and closes the connection.
                    record.close(client);
                    let session = M::session_named(session);
                    let answer = PeerMessage::SessionRevalidated {
                        session,
                        valid: false,
                    };
                    peer_out.send(Id::from(client), answer);
                }
            }
        }
        message => {
            let input = Input::Message {
                from: client,
                message,
            };
            peer.step(peer_state, input, peer_out);
        }
    }
}

/// Runs a client's read through `request::Reader` on the server's read view, as the server's
/// `execute` does, with the zxid the server had applied (the reply header's). `None` when the
/// server does not serve: ZooKeeper has closed the connection (`stopped_serving`), and
/// nothing answers.
fn read<M: StateMachine, T>(
    peer: &Peer<M>,
    peer_state: &PeerState<M>,
    record: &mut DriverRecord<Message<M>>,
    client: usize,
    run: impl FnOnce(&mut Reader<usize>) -> T,
) -> Option<(T, Zxid)> {
    let tree = peer_state.read_view().and_then(M::data_tree)?;
    let mut reader = Reader {
        tree,
        access: &AccessControl::default(),
        auth: &[],
        watches: &mut record.clients.watches,
        watcher: &client,
        mutations: peer.mutations,
    };
    Some((run(&mut reader), peer_state.committed_through))
}

/// How a client's request passes the server's session order: `Passage::of_request` on the op
/// code the model's message stands for, the classification the server's driver calls. `None`
/// for what is not a client request.
fn passage_of<M: StateMachine>(message: &Message<M>) -> Option<Passage> {
    let op = match message {
        PeerMessage::ClientWrite { request } => M::request_op_code(request),
        PeerMessage::ClientSync => op_code::SYNC,
        // The register's read stands for a getData of the register's node.
        PeerMessage::ClientRead => op_code::GET_DATA,
        PeerMessage::ClientExists { .. } => op_code::EXISTS,
        PeerMessage::ClientGetData { .. } => op_code::GET_DATA,
        PeerMessage::ClientGetChildren { .. } => op_code::GET_CHILDREN2,
        PeerMessage::ClientSetWatches { .. } => op_code::SET_WATCHES,
        _ => return None,
    };
    // The model's multis hold no reads.
    Some(Passage::of_request(op, false))
}

/// The client a command answers a write or sync of (what releases its held requests).
fn returned_to<M: StateMachine>(command: &PeerCommand<M>) -> Option<usize> {
    match command {
        Command::Send(to, PeerMessage::WriteCommitted { .. } | PeerMessage::Synced) => {
            Some(usize::from(*to))
        }
        _ => None,
    }
}

/// What the server's driver does with a step's commands, in their order: each txn the peer
/// applied fires the watches it triggers (`WatchRegistry::applied`, as the server's `deliver`
/// does), their notifications sent right behind it, so ahead of any reply the step sends
/// after it; and a write or sync that came back releases what its client pipelined behind it,
/// run once the whole step's commands are through (so a released read, which sees the state
/// after the step, is answered behind every notification of the step), and its commands go
/// through the same in turn.
fn drive_commands<M: StateMachine>(
    peer: &Peer<M>,
    actions: &DriverActions<M::Session>,
    peer_state: &mut Cow<PeerState<M>>,
    record: &mut DriverRecord<Message<M>>,
    peer_out: Out<Peer<M>>,
) -> Vec<PeerCommand<M>> {
    let sink = Id::from(APPLY_SINK);
    let mut commands = Vec::new();
    let mut late_notifications = Vec::new();
    let mut step: Vec<PeerCommand<M>> = peer_out.into_iter().collect();
    while !step.is_empty() {
        let mut released = Vec::new();
        for command in step {
            if actions.session_order {
                released.extend(returned_to::<M>(&command));
            }
            let notifications = match &command {
                Command::Send(to, PeerMessage::Applied { outcome, .. }) if *to == sink => {
                    // The server also drops the watches of a closed session's connections
                    // here; no model watcher's session is closed while it watches (the
                    // watcher reading another client's node has none, the creating one runs
                    // without the leader's clock), so there are none to drop.
                    record
                        .clients
                        .watches
                        .applied(M::watch_events(outcome), &[])
                }
                _ => Vec::new(),
            };
            commands.push(command);
            for (watcher, event) in notifications {
                let notification =
                    Command::Send(Id::from(watcher), PeerMessage::WatchNotification { event });
                if peer.mutations.notifications_after_replies {
                    late_notifications.push(notification);
                } else {
                    commands.push(notification);
                }
            }
        }
        let mut released_out = Out::new();
        for client in released {
            for request in record.clients.order.returned(client) {
                run_request(peer, peer_state, record, client, request, &mut released_out);
            }
        }
        step = released_out.into_iter().collect();
    }
    commands.extend(late_notifications);
    commands
}

/// [`server_step`] around any handler of the peer (`handle`).
fn server_handles<M, S, N>(
    peer: &Peer<M>,
    actions: &DriverActions<M::Session>,
    state: &mut Cow<NodeState<M, S>>,
    out: &mut Out<N>,
    handle: impl FnOnce(&mut Cow<PeerState<M>>, &mut DriverRecord<Message<M>>, &mut Out<Peer<M>>),
) where
    M: StateMachine,
    S: Clone,
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    let (before, record_before) = match state.as_ref() {
        NodeState::Server(before, record, None) => (before, record),
        NodeState::Server(_, _, Some(_)) => unreachable!("a persisting server takes no input"),
        NodeState::Refused(_) | NodeState::Client(_) => unreachable!("a running server's state"),
    };
    let mut peer_state = Cow::Borrowed(before);
    let mut peer_out = Out::new();
    let mut record = record_before.clone();
    handle(&mut peer_state, &mut record, &mut peer_out);
    let commands = drive_commands(peer, actions, &mut peer_state, &mut record, peer_out);
    let next = match peer_state {
        Cow::Owned(next) => Some(next),
        Cow::Borrowed(_) => None,
    };
    let after = next.as_ref().unwrap_or(before);
    if !record.sink_contract_broken && !sink_contract_holds(before, after, &commands) {
        record.sink_contract_broken = true;
    }
    let mut commands =
        without_closed_connections::<M>(commands, &record_before.closed, &record.closed);
    if before.is_serving() && !after.is_serving() {
        commands.extend(stopped_serving::<M>(&mut record));
    }
    let (commands, persisting) = if actions.stepwise_persist {
        match Persisting::start(&before.durable, commands) {
            Ok(persisting) => (Vec::new(), Some(persisting)),
            Err(commands) => (commands, None),
        }
    } else {
        (commands, None)
    };
    let timers = driver_timer_commands(actions, peer, after, &record, persisting.is_some());
    finish_server_step::<M, N>(commands, timers, &record, out);
    if next.is_some() || record != *record_before || persisting.is_some() {
        let peer_state = next.unwrap_or_else(|| before.clone());
        *state = Cow::Owned(NodeState::Server(peer_state, record, persisting));
    }
}

/// A step's commands without its replies to connections the server had closed before the step
/// and that are still closed after it (a write of the connection that still committed, a read
/// released late): the server has no connection to send them on. A connection the step itself
/// closed still gets what the step sent it (the refusal, the expiry), and one the step opened
/// anew gets its answers.
fn without_closed_connections<M: StateMachine>(
    commands: Vec<PeerCommand<M>>,
    closed_before: &[usize],
    closed_after: &[usize],
) -> Vec<PeerCommand<M>> {
    if closed_before.is_empty() {
        return commands;
    }
    let closed = |to: &Id| {
        let client = usize::from(*to);
        closed_before.contains(&client) && closed_after.contains(&client)
    };
    commands
        .into_iter()
        .filter(|command| !matches!(command, Command::Send(to, _) if closed(to)))
        .collect()
}

/// What the server's driver does when its server stops serving (`Core::stopped_serving`):
/// the connections that `ClientConnections::stop_serving` closes (every open one, its
/// requests held in the session order and its watches gone with it) are told so (the socket
/// closes), behind the step's replies, which the server sends before the close; each client
/// reconnects with a handshake.
fn stopped_serving<M: StateMachine>(record: &mut DriverRecord<Message<M>>) -> Vec<PeerCommand<M>> {
    let closing = record.clients.stop_serving();
    closing
        .into_iter()
        .map(|client| {
            record.close(client);
            Command::Send(Id::from(client), PeerMessage::ConnectionClosed)
        })
        .collect()
}

/// The next disk step of a persist under way: the disk holds one more step, and after the
/// last one the step's held commands leave.
fn persist_step<M, S, N>(
    peer: &Peer<M>,
    actions: &DriverActions<M::Session>,
    state: &mut Cow<NodeState<M, S>>,
    out: &mut Out<N>,
) where
    M: StateMachine,
    S: Clone,
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    let NodeState::Server(peer_state, record, Some(persisting)) = state.as_ref() else {
        unreachable!("armed only while a server persists")
    };
    let (peer_state, record, mut persisting) =
        (peer_state.clone(), record.clone(), persisting.clone());
    let (disk, done) = persisting.advance();
    out.save(disk);
    if done {
        let commands = persisting.release();
        let timers = driver_timer_commands(actions, peer, &peer_state, &record, false);
        finish_server_step::<M, N>(commands, timers, &record, out);
        *state = Cow::Owned(NodeState::Server(peer_state, record, None));
    } else {
        out.set_timer(
            NodeTimer::Driver(DriverAction::PersistStep),
            model_timeout(),
        );
        *state = Cow::Owned(NodeState::Server(peer_state, record, Some(persisting)));
    }
}

/// Issues a server step's commands: what went to the apply sink stays with the driver, and
/// what went into a quorum connection the far end closed is lost.
fn finish_server_step<M: StateMachine, N>(
    commands: Vec<PeerCommand<M>>,
    timers: Vec<(NodeTimer, Option<Range<Duration>>)>,
    record: &DriverRecord<Message<M>>,
    out: &mut Out<N>,
) where
    N: Actor<Msg = Message<M>, Timer = NodeTimer, Random = ServerId, Storage = Durable<M>>,
{
    let sink = Id::from(APPLY_SINK);
    let lost = |to: &Id, message: &Message<M>| {
        let server = ServerId(usize::from(*to) as u64);
        *to == sink
            || (link_of::<M>(message) == Link::Quorum && record.sends_into_dead_link(server))
    };
    let commands = commands
        .into_iter()
        .filter(|command| !matches!(command, Command::Send(to, message) if lost(to, message)))
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
                if let Some(disk) = storage.as_ref().filter(|disk| refused_at_start(disk)) {
                    return NodeState::Refused(disk.clone());
                }
                let mut peer_out = Out::new();
                let state = peer.on_start(id, &storage, &mut peer_out);
                let record = DriverRecord::new(&peer.mutations);
                let timers = driver_timer_commands(actions, peer, &state, &record, false);
                finish_server_step::<M, Self>(peer_out.into_iter().collect(), timers, &record, out);
                NodeState::Server(state, record, None)
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
                let from = usize::from(src);
                match passage_of::<M>(&msg) {
                    Some(passage) => {
                        client_request(peer, actions, state, (from, passage), msg, out)
                    }
                    // A handshake opens the connection: nothing of it is in flight to wait for.
                    None if matches!(msg, PeerMessage::ClientConnect { .. }) => {
                        server_handles(
                            peer,
                            actions,
                            state,
                            out,
                            |peer_state, record, peer_out| {
                                run_request(peer, peer_state, record, from, msg, peer_out);
                            },
                        );
                    }
                    None => {
                        let input = Input::Message { from, message: msg };
                        server_step(peer, actions, state, input, |_| {}, out);
                    }
                }
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
            server_handles(peer, actions, state, out, |peer_state, _, peer_out| {
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
            let NodeState::Server(peer_state, ..) = state.as_ref() else {
                unreachable!("a server's state")
            };
            match timer {
                NodeTimer::Peer(timer) => {
                    let input = Input::Timeout { timer: *timer };
                    server_step(peer, actions, state, input, |_| {}, out);
                }
                NodeTimer::Driver(DriverAction::PersistStep) => {
                    persist_step(peer, actions, state, out);
                }
                NodeTimer::Driver(DriverAction::AnswerHeldHandshakes) => {
                    server_handles(peer, actions, state, out, |peer_state, record, peer_out| {
                        for (client, handshake) in std::mem::take(&mut record.held_handshakes) {
                            run_request(peer, peer_state, record, client, handshake, peer_out);
                        }
                    });
                }
                NodeTimer::Driver(action) => {
                    let input = actions
                        .input(*action, peer_state)
                        .expect("every driver action but a persist step is a peer input");
                    let action = *action;
                    let note = move |record: &mut DriverRecord<Message<M>>| match action {
                        DriverAction::Disconnect(_) => {
                            record.disconnects = record.disconnects.saturating_add(1);
                        }
                        DriverAction::NoticeClose(server) => {
                            record.unnoticed_closes.retain(|closed| *closed != server);
                        }
                        DriverAction::Compact
                        | DriverAction::Housekeeping
                        | DriverAction::Touch
                        | DriverAction::PersistStep
                        | DriverAction::AnswerHeldHandshakes => {}
                    };
                    server_step(peer, actions, state, input, note, out);
                }
            }
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

/// The link a message travels on: notifications on Fast Leader Election's connection,
/// everything else between servers on the quorum connection (and a client's on its own).
fn link_of<M: StateMachine>(message: &Message<M>) -> Link {
    match message {
        PeerMessage::Notification(_) => Link::Election,
        _ => Link::Quorum,
    }
}

impl<M, C> Wired for Node<M, C>
where
    M: StateMachine,
    C: ModelClient<M> + Clone + Debug + Eq + Hash,
    C::State: Clone + Debug + Eq + Hash,
{
    fn link(message: &Self::Msg) -> Link {
        link_of::<M>(message)
    }

    /// A server persisting takes no input until its persist is done; one that refused to
    /// start takes none at all.
    fn busy(state: &Self::State) -> bool {
        state.persisting() || matches!(state, NodeState::Refused(_))
    }

    fn busy_work(timer: &Self::Timer) -> bool {
        matches!(timer, NodeTimer::Driver(DriverAction::PersistStep))
    }

    fn closes_link(timer: &Self::Timer) -> Option<Id> {
        match timer {
            NodeTimer::Driver(DriverAction::Disconnect(server)) => Some(Id::from(
                usize::try_from(server.0).expect("a small server id"),
            )),
            _ => None,
        }
    }

    /// A crashed server's client connections close: those whose handshake it accepted and
    /// those whose handshake it held, each told `ConnectionClosed`, as `stopped_serving` tells
    /// them when the server stops serving.
    fn closed_by_crash(state: &Self::State) -> Vec<(Id, Self::Msg)> {
        let NodeState::Server(_, record, _) = state else {
            return Vec::new();
        };
        let held = record.held_handshakes.iter().map(|(client, _)| *client);
        let mut clients: Vec<usize> = record.clients.open().chain(held).collect();
        clients.sort_unstable();
        clients.dedup();
        clients
            .into_iter()
            .map(|client| (Id::from(client), PeerMessage::ConnectionClosed))
            .collect()
    }

    /// The far end notes the close (even mid-persist: the socket closes whatever the driver is
    /// doing); its driver notices later ([`DriverAction::NoticeClose`]).
    fn on_link_closed(&self, _id: Id, state: &mut Cow<Self::State>, peer: Id, out: &mut Out<Self>) {
        let Node::Server(server, _, actions) = self else {
            return;
        };
        let NodeState::Server(peer_state, record, persisting) = state.as_ref() else {
            unreachable!("a server's state")
        };
        let closer = ServerId(usize::from(peer) as u64);
        let Err(at) = record.unnoticed_closes.binary_search(&closer) else {
            return;
        };
        let mut record = record.clone();
        record.unnoticed_closes.insert(at, closer);
        let timers =
            driver_timer_commands(actions, server, peer_state, &record, persisting.is_some());
        finish_server_step::<M, Self>(Vec::new(), timers, &record, out);
        *state = Cow::Owned(NodeState::Server(
            peer_state.clone(),
            record,
            persisting.clone(),
        ));
    }
}
