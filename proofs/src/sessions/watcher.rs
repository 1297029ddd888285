//! A model client that watches a znode through the server's read path: it asks `exists` with
//! a watch (which ZooKeeper leaves whether or not the node exists), or getChildren of the
//! node's parent with a child watch (`watches_children`), then reads again, a
//! bounded number of times, without one: getData of the node and getChildren of its parent in
//! turn, so each of the three reads that can leave a watch is answered on the replicated path.
//! Its server answers through `request::Reader` and fires its watch through
//! `watch::WatchRegistry`, the code `src/server` calls (see `system::run_request` and
//! `system::drive_commands`).
//!
//! A watcher may also change the node itself (`creates_with`): then the event must come
//! before the reply of its own create, as ZooKeeper queues the notification when it applies
//! the txn, ahead of the reply.
//!
//! A creating watcher may reconnect (`reconnects_to`): when its server stops serving and
//! closes its connection (`system::stopped_serving`, as the server's `Core::stopped_serving`),
//! it resumes its session on another server and re-registers the watch it still holds with
//! setWatches, so the guarantee is checked across a closed connection and a leader change.
//!
//! What it records is what ZooKeeper promises a client of its watches (Programmer's Guide,
//! "ZooKeeper Watches"): it sees the watch event for a node it watches before it sees the new
//! data of that node. An answer that shows the node changed from what the watching read saw
//! while no event has come is a breach, kept in the state for the property to read
//! ([`crate::properties::watch_order`]).

use super::client::{SessionClient, SessionClientState, SESSION_TIMEOUT_MS};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use zabkeeper_models::replica::{ClientRequest, Replica};
use zabkeeper_models::request::{CreateMode, CreateOp, CreateRequest, WriteRequest};
use zabkeeper_models::tree::{Acl, Stat};
use zabkeeper_models::zab::{Durable, Message, PeerMessage, PeerTimer};
use zabkeeper_models::{ErrorCode, ServerId, SessionId, Zxid};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Watcher {
    pub server: Id,
    /// The node it watches.
    pub path: &'static str,
    /// How many reads it makes in all, the first with the watch.
    pub reads: u8,
    /// The watcher changes the node itself: it first opens a session (its server gives it this
    /// id, the first of the server's sequence), and once its watch
    /// is set it creates the node and, without waiting, reads it again (the server holds the
    /// read behind the create). The event must reach it before the create's reply, and so
    /// before the read's answer, which its server sends in the same step as the reply. `None`:
    /// it only reads, and another client changes the node.
    pub creates_with: Option<SessionId>,
    /// It watches the node's parent's children (getChildren with a watch; the event is the
    /// parent's NodeChildrenChanged) instead of the node (exists with a watch).
    pub watches_children: bool,
    /// When its server closes its connection (the server stopped serving), a creating watcher
    /// whose session is open reconnects here once, with its session and the last zxid it saw,
    /// re-registers the watch it still holds with setWatches, and goes on reading here.
    /// `None`: a closed connection ends its run.
    pub reconnects_to: Option<Id>,
}

/// Where a watcher's connection stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Connection {
    /// On `Watcher::server`.
    #[default]
    First,
    /// Its first connection closed; its handshake to `Watcher::reconnects_to` is under way.
    Reconnecting,
    /// On `Watcher::reconnects_to`, its session resumed there.
    Moved,
    /// Closed for good: it sends nothing more.
    Closed,
}

/// The cxids of a creating watcher's requests: the createSession its handshake submitted,
/// then its create.
const OPEN_CXID: i32 = 0;
const CREATE_CXID: i32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WatcherState {
    /// Reads answered so far.
    pub answered: u8,
    /// While its watch is set and has not fired: what the watching read saw of the node.
    pub watching: Option<Seen>,
    /// Watch events received.
    pub events: u8,
    /// A read answered with the node changed from what the watching read saw, while the watch
    /// had not fired: the client saw new data before the event.
    pub change_before_event: bool,
    /// A read after the event found the node (the `Sometimes` witness that the order is
    /// exercised: the event came, then the data).
    pub read_after_event: bool,
    pub connection: Connection,
    /// The zxid of the last reply it read (kept only by a watcher that reconnects, for its
    /// handshake and its setWatches).
    pub last_zxid_seen: Zxid,
    /// Its createSession was answered: it has a session to reconnect with.
    pub session_open: bool,
    /// A watch event reached it through the server it reconnected to (the `Sometimes` witness
    /// that a watch is carried across a closed connection).
    pub event_after_reconnect: bool,
}

/// What one answer showed of the watched node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Seen {
    /// exists or getData: the node's stat, `None` for NoNode.
    Node(Option<Stat>),
    /// getChildren of its parent: whether the node is among the children.
    Listed(bool),
}

impl Seen {
    fn present(self) -> bool {
        match self {
            Seen::Node(stat) => stat.is_some(),
            Seen::Listed(listed) => listed,
        }
    }

    /// Whether this shows the node changed from what the watching read saw.
    fn differs_from(self, watched: Seen) -> bool {
        match (self, watched) {
            (Seen::Node(stat), Seen::Node(watched_stat)) => stat != watched_stat,
            _ => self.present() != watched.present(),
        }
    }
}

/// The model's clients read valid paths, so a read fails only with NoNode.
fn node_or_missing<T>(answer: Result<T, ErrorCode>) -> Option<T> {
    match answer {
        Ok(found) => Some(found),
        Err(ErrorCode::NoNode) => None,
        Err(error) => panic!("a read of a valid path failed with {error:?}"),
    }
}

impl Watcher {
    /// The server its connection is on (or being opened to).
    fn current_server(&self, state: &WatcherState) -> Id {
        match state.connection {
            Connection::First | Connection::Closed => self.server,
            Connection::Reconnecting | Connection::Moved => self
                .reconnects_to
                .expect("only a reconnecting watcher moves"),
        }
    }

    /// Its next read (the one after `state.answered`): the watching read first, then getData
    /// of the node and getChildren of its parent in turn.
    fn read(&self, state: &WatcherState, out: &mut Out<Self>) {
        let message = match state.answered {
            0 if self.watches_children => PeerMessage::ClientGetChildren {
                path: self.watched_path().to_string(),
                watch: true,
            },
            0 => PeerMessage::ClientExists {
                path: self.path.to_string(),
                watch: true,
            },
            answered if answered % 2 == 1 => PeerMessage::ClientGetData {
                path: self.path.to_string(),
                watch: false,
            },
            _ => PeerMessage::ClientGetChildren {
                path: self.parent_and_name().0.to_string(),
                watch: false,
            },
        };
        out.send(self.current_server(state), message);
    }

    /// The path its watch is on, and its event's.
    fn watched_path(&self) -> &'static str {
        if self.watches_children {
            self.parent_and_name().0
        } else {
            self.path
        }
    }

    /// The watched node's parent path and its name in the parent's children.
    fn parent_and_name(&self) -> (&'static str, &'static str) {
        let (parent, name) = self.path.rsplit_once('/').expect("an absolute path");
        (if parent.is_empty() { "/" } else { parent }, name)
    }

    /// A read was answered, showing `seen` of the node.
    fn answered(&self, state: &mut Cow<WatcherState>, seen: Seen, zxid: Zxid, out: &mut Out<Self>) {
        let state = state.to_mut();
        self.saw(state, zxid);
        state.answered += 1;
        if state.answered == 1 {
            state.watching = Some(seen);
            if let Some(session) = self.creates_with {
                let create = WriteRequest::Create(CreateRequest {
                    op: CreateOp::Create,
                    path: self.path.to_string(),
                    data: Some(Vec::new()),
                    acl: Acl::open_unsafe(),
                    flags: CreateMode::Persistent.flag(),
                });
                self.write(state, (session, CREATE_CXID), create, out);
            }
        } else if state
            .watching
            .is_some_and(|watched| seen.differs_from(watched))
        {
            state.change_before_event = true;
        }
        if state.events > 0 && seen.present() {
            state.read_after_event = true;
        }
        if state.answered < self.reads {
            self.read(state, out);
        }
    }

    fn write(
        &self,
        state: &WatcherState,
        (session, cxid): (SessionId, i32),
        request: WriteRequest,
        out: &mut Out<Self>,
    ) {
        let server = self.current_server(state);
        let owner = ServerId(u64::try_from(usize::from(server)).expect("ids fit"));
        let request = ClientRequest {
            session,
            cxid,
            owner,
            auth: Vec::new(),
            time_ms: 0,
            request,
        };
        out.send(server, PeerMessage::ClientWrite { request });
    }

    /// A reply carried `zxid`: remembered by a watcher that may reconnect.
    fn saw(&self, state: &mut WatcherState, zxid: Zxid) {
        if self.reconnects_to.is_some() && zxid > state.last_zxid_seen {
            state.last_zxid_seen = zxid;
        }
    }

    /// Its server closed its connection.
    fn connection_closed(&self, state: &mut Cow<WatcherState>, out: &mut Out<Self>) {
        let state = state.to_mut();
        match (self.reconnects_to, self.creates_with, state.connection) {
            (Some(server), Some(session), Connection::First) if state.session_open => {
                state.connection = Connection::Reconnecting;
                let connect = PeerMessage::ClientConnect {
                    last_zxid_seen: state.last_zxid_seen,
                    session: Some(session),
                    timeout_ms: SESSION_TIMEOUT_MS,
                };
                out.send(server, connect);
            }
            _ => state.connection = Connection::Closed,
        }
    }

    /// Its session resumed on the server it reconnected to: first the watch it still holds
    /// goes back with setWatches, then it reads on where it left off (a read or the create
    /// lost with the old connection is not resent; the watching read is, if it was lost).
    fn resumed(&self, state: &mut Cow<WatcherState>, out: &mut Out<Self>) {
        let state = state.to_mut();
        state.connection = Connection::Moved;
        if state.answered == 0 {
            self.read(state, out);
            return;
        }
        if state.watching.is_some() {
            let watched = vec![self.watched_path().to_string()];
            let (exist_paths, child_paths) = if self.watches_children {
                (Vec::new(), watched)
            } else {
                (watched, Vec::new())
            };
            let set_watches = PeerMessage::ClientSetWatches {
                relative_zxid: state.last_zxid_seen,
                exist_paths,
                child_paths,
            };
            out.send(self.current_server(state), set_watches);
        }
        if state.answered < self.reads {
            self.read(state, out);
        }
    }
}

impl Actor for Watcher {
    type Msg = Message<Replica>;
    type Timer = PeerTimer;
    type State = WatcherState;
    type Storage = Durable<Replica>;
    type Random = ServerId;

    fn on_start(
        &self,
        _id: Id,
        _storage: &Option<Self::Storage>,
        out: &mut Out<Self>,
    ) -> Self::State {
        match self.creates_with {
            // Its server picks the session's id (`creates_with` is the one it will pick).
            Some(_) => {
                let connect = PeerMessage::ClientConnect {
                    last_zxid_seen: Zxid::ZERO,
                    session: None,
                    timeout_ms: SESSION_TIMEOUT_MS,
                };
                out.send(self.server, connect);
            }
            None => self.read(&WatcherState::default(), out),
        }
        WatcherState::default()
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        out: &mut Out<Self>,
    ) {
        if src != self.current_server(state) || state.connection == Connection::Closed {
            return;
        }
        match msg {
            PeerMessage::ConnectionClosed => self.connection_closed(state, out),
            PeerMessage::SessionRevalidated { session, valid }
                if state.connection == Connection::Reconnecting
                    && Some(session) == self.creates_with =>
            {
                if valid {
                    self.resumed(state, out);
                } else {
                    state.to_mut().connection = Connection::Closed;
                }
            }
            PeerMessage::ExistsResult { stat, zxid } => {
                self.answered(state, Seen::Node(stat), zxid, out)
            }
            PeerMessage::DataResult { answer, zxid } => {
                let stat = node_or_missing(answer).map(|(_, stat)| stat);
                self.answered(state, Seen::Node(stat), zxid, out)
            }
            PeerMessage::ChildrenResult { answer, zxid } => {
                let children = node_or_missing(answer)
                    .expect("the parent is never deleted")
                    .0;
                let name = self.parent_and_name().1;
                let listed = children.iter().any(|child| child == name);
                self.answered(state, Seen::Listed(listed), zxid, out)
            }
            PeerMessage::WriteCommitted { payload, zxid, .. }
                if Some(payload.header.client_id) == self.creates_with =>
            {
                let state = state.to_mut();
                self.saw(state, zxid);
                match payload.header.cxid {
                    OPEN_CXID => {
                        state.session_open = true;
                        self.read(state, out);
                    }
                    // The reply of a create that took effect shows the node there.
                    CREATE_CXID if payload.error().is_none() && state.watching.is_some() => {
                        state.change_before_event = true;
                    }
                    _ => {}
                }
            }
            PeerMessage::WatchNotification { event } if event.path == self.watched_path() => {
                let state = state.to_mut();
                state.events += 1;
                state.watching = None;
                if state.connection == Connection::Moved {
                    state.event_after_reconnect = true;
                }
            }
            _ => {}
        }
    }
}

/// The clients of the session configurations: the session's own client and, in the watch
/// configuration, a watcher.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SessionActor {
    Session(SessionClient),
    Watcher(Watcher),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SessionActorState {
    Session(SessionClientState),
    Watcher(WatcherState),
}

impl SessionActorState {
    pub fn watcher(&self) -> Option<&WatcherState> {
        match self {
            SessionActorState::Watcher(state) => Some(state),
            SessionActorState::Session(_) => None,
        }
    }
}

/// Runs one client's handler on its own state (`inner_of` picks it out of the actor's state,
/// without a copy), lifting its state and commands.
fn lift<C>(
    state: &mut Cow<SessionActorState>,
    inner_of: impl FnOnce(&SessionActorState) -> &C::State,
    wrap: impl FnOnce(C::State) -> SessionActorState,
    out: &mut Out<SessionActor>,
    handle: impl FnOnce(&mut Cow<C::State>, &mut Out<C>),
) where
    C: Actor<
        Msg = Message<Replica>,
        Timer = PeerTimer,
        Storage = Durable<Replica>,
        Random = ServerId,
    >,
    C::State: Clone,
{
    let next = {
        let mut inner = Cow::Borrowed(inner_of(state.as_ref()));
        let mut inner_out = Out::new();
        handle(&mut inner, &mut inner_out);
        out.append(&mut inner_out);
        match inner {
            Cow::Owned(next) => Some(next),
            Cow::Borrowed(_) => None,
        }
    };
    if let Some(next) = next {
        *state = Cow::Owned(wrap(next));
    }
}

impl Actor for SessionActor {
    type Msg = Message<Replica>;
    type Timer = PeerTimer;
    type State = SessionActorState;
    type Storage = Durable<Replica>;
    type Random = ServerId;

    fn on_start(
        &self,
        id: Id,
        storage: &Option<Self::Storage>,
        out: &mut Out<Self>,
    ) -> Self::State {
        match self {
            SessionActor::Session(client) => {
                let mut client_out = Out::new();
                let state = client.on_start(id, storage, &mut client_out);
                out.append(&mut client_out);
                SessionActorState::Session(state)
            }
            SessionActor::Watcher(watcher) => {
                let mut watcher_out = Out::new();
                let state = watcher.on_start(id, storage, &mut watcher_out);
                out.append(&mut watcher_out);
                SessionActorState::Watcher(state)
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
            SessionActor::Session(client) => lift::<SessionClient>(
                state,
                |state| match state {
                    SessionActorState::Session(inner) => inner,
                    SessionActorState::Watcher(_) => unreachable!("a session client's state"),
                },
                SessionActorState::Session,
                out,
                |inner, inner_out| client.on_msg(id, inner, src, msg, inner_out),
            ),
            SessionActor::Watcher(watcher) => lift::<Watcher>(
                state,
                |state| match state {
                    SessionActorState::Watcher(inner) => inner,
                    SessionActorState::Session(_) => unreachable!("a watcher's state"),
                },
                SessionActorState::Watcher,
                out,
                |inner, inner_out| watcher.on_msg(id, inner, src, msg, inner_out),
            ),
        }
    }
}
