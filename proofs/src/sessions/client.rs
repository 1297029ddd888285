//! A model client of the session configuration: opens a session through one server (its
//! handshake, which the server's driver decides and answers once the createSession it
//! submitted is applied), then creates an ephemeral node in it. Like a ZooKeeper client it
//! sends the create only after the session is open, and it never retries.
//!
//! A moving client (`moves_to`) reconnects with its session through another server once the
//! session is open, as a client does after its connection dropped, with the zxid of the last
//! reply it read, and waits for that server's answer (its handshake may refuse a client that
//! has seen more than it applied; otherwise the leader's revalidation answers). Then it sends
//! two creates at once: the ephemeral
//! through the server it moved to, and a late one through the server it left, which stands
//! for a request of the old connection that reaches the leader only after the move (the old
//! server's queue, or the network, held it back).

use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use zabkeeper_models::replica::{ClientRequest, Replica};
use zabkeeper_models::request::{CreateMode, CreateOp, CreateRequest, WriteRequest};
use zabkeeper_models::tree::Acl;
use zabkeeper_models::zab::{Durable, Message, PeerMessage, PeerTimer};
use zabkeeper_models::{Epoch, ServerId, SessionId, Zxid};

/// The ephemeral node the client creates.
pub const EPHEMERAL_PATH: &str = "/e";
/// The ephemeral node a moving client's late request through its old server would create.
pub const LATE_PATH: &str = "/late";
/// The session the client opens: the first id server 1's driver hands out
/// (`session::initial_session_id` of server 1 at `driver::DRIVER_START_MS`), which the
/// configurations assert.
pub const SESSION: SessionId = SessionId((1 << 56) | (1 << 16));
/// The zxid of the session's createSession on the disks that start with it (see
/// `super::session_disk`): what a client of that session has seen.
pub const SESSION_CREATED: Zxid = Zxid::new(Epoch(1), 1);
pub const SESSION_TIMEOUT_MS: i32 = 4000;
/// The cxid of the ephemeral's create: through the server the client is connected to (the
/// one it moved to, for a moving client).
pub const EPHEMERAL_CXID: i32 = 1;
/// The cxid of a moving client's late create through the server it left.
pub const LATE_CXID: i32 = 2;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionClient {
    pub server: Id,
    /// The session exists already (the servers' disks start with its createSession): the
    /// client starts with the create (or the move), as a client reconnecting with its
    /// session id would.
    pub session_exists: bool,
    /// Once the session is open, the client reconnects with it through this server.
    pub moves_to: Option<Id>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionClientState {
    /// Requests answered so far: 0 (connecting), 1 (session open), 2 (create answered).
    /// A moving client stops counting at 1: its creates go out together after the move.
    pub answered: u8,
    /// A moving client's reconnect: `None` while unanswered, then whether it was let in and
    /// the session lived.
    pub moved: Option<bool>,
    /// The zxid of the last reply a moving client read, what it reconnects with (zero for a
    /// client that does not move, so that its configurations keep their state space).
    pub last_zxid_seen: Zxid,
}

fn server_id(id: Id) -> ServerId {
    ServerId(u64::try_from(usize::from(id)).expect("ids fit"))
}

impl SessionClient {
    /// The create with `cxid` and the server it goes through: 1 creates the ephemeral, 2 (a
    /// moving client's) is the late create through the server it left.
    pub fn request(&self, cxid: i32) -> Option<(Id, ClientRequest)> {
        let (through, path) = match cxid {
            EPHEMERAL_CXID => (self.moves_to.unwrap_or(self.server), EPHEMERAL_PATH),
            LATE_CXID if self.moves_to.is_some() => (self.server, LATE_PATH),
            _ => return None,
        };
        let request = ClientRequest {
            session: SESSION,
            cxid,
            owner: server_id(through),
            auth: Vec::new(),
            time_ms: 0,
            request: WriteRequest::Create(CreateRequest {
                op: CreateOp::Create,
                path: path.to_string(),
                data: Some(Vec::new()),
                acl: Acl::open_unsafe(),
                flags: CreateMode::Ephemeral.flag(),
            }),
        };
        Some((through, request))
    }

    fn send(&self, cxid: i32, out: &mut Out<Self>) {
        let (through, request) = self.request(cxid).expect("a request of the protocol");
        out.send(through, PeerMessage::ClientWrite { request });
    }

    /// The session is open: a moving client reconnects with it, any other creates its
    /// ephemeral.
    fn session_open(&self, state: &SessionClientState, out: &mut Out<Self>) {
        match self.moves_to {
            Some(to) => {
                let reconnect = PeerMessage::ClientConnect {
                    last_zxid_seen: state.last_zxid_seen,
                    session: Some(SESSION),
                    timeout_ms: SESSION_TIMEOUT_MS,
                };
                out.send(to, reconnect);
            }
            None => self.send(EPHEMERAL_CXID, out),
        }
    }

    /// The moved session's answer: the creates go out if it was let in and lives.
    fn moved(&self, state: &mut Cow<SessionClientState>, admitted: bool, out: &mut Out<Self>) {
        state.to_mut().moved = Some(admitted);
        if admitted {
            self.send(EPHEMERAL_CXID, out);
            self.send(LATE_CXID, out);
        }
    }
}

impl Actor for SessionClient {
    type Msg = Message<Replica>;
    type Timer = PeerTimer;
    type State = SessionClientState;
    type Storage = Durable<Replica>;
    type Random = ServerId;

    fn on_start(
        &self,
        _id: Id,
        _storage: &Option<Self::Storage>,
        out: &mut Out<Self>,
    ) -> SessionClientState {
        let state = SessionClientState {
            answered: u8::from(self.session_exists),
            moved: None,
            last_zxid_seen: if self.session_exists && self.moves_to.is_some() {
                SESSION_CREATED
            } else {
                Zxid::ZERO
            },
        };
        if self.session_exists {
            self.session_open(&state, out);
        } else {
            let connect = PeerMessage::ClientConnect {
                last_zxid_seen: Zxid::ZERO,
                session: None,
                timeout_ms: SESSION_TIMEOUT_MS,
            };
            out.send(self.server, connect);
        }
        state
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<SessionClientState>,
        src: Id,
        msg: Self::Msg,
        out: &mut Out<Self>,
    ) {
        let from_new_server = Some(src) == self.moves_to && state.moved.is_none();
        match msg {
            PeerMessage::SessionRevalidated { session, valid }
                if session == SESSION && from_new_server =>
            {
                self.moved(state, valid, out);
            }
            PeerMessage::ConnectionClosed if from_new_server => self.moved(state, false, out),
            PeerMessage::WriteCommitted { payload, zxid, .. } => {
                if payload.header.client_id != SESSION
                    || payload.header.cxid != i32::from(state.answered)
                    || (self.moves_to.is_some() && state.answered > 0)
                {
                    return;
                }
                let state = state.to_mut();
                state.answered += 1;
                if self.moves_to.is_some() {
                    state.last_zxid_seen = zxid;
                }
                if state.answered == 1 {
                    self.session_open(state, out);
                }
            }
            _ => {}
        }
    }
}
