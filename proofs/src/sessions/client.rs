//! A model client of the session configuration: opens a session through one server, then
//! creates an ephemeral node in it. Like a ZooKeeper client it sends the create only after
//! the session's createSession was answered, and it never retries.

use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use zabkeeper_models::replica::{ClientRequest, Replica};
use zabkeeper_models::request::{CreateMode, CreateOp, CreateRequest, WriteRequest};
use zabkeeper_models::tree::Acl;
use zabkeeper_models::zab::{Durable, Message, PeerMessage, PeerTimer};
use zabkeeper_models::{ServerId, SessionId};

/// The ephemeral node the client creates.
pub const EPHEMERAL_PATH: &str = "/e";
/// The session the client opens (ids are the accepting server's business; one is enough).
pub const SESSION: SessionId = SessionId(1);
pub const SESSION_TIMEOUT_MS: i32 = 4000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionClient {
    pub server: Id,
    /// The session exists already (the servers' disks start with its createSession): the
    /// client starts with the create, as a client reconnecting with its session id would.
    pub session_exists: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionClientState {
    /// Requests answered so far: 0 (connecting), 1 (session open), 2 (create answered).
    pub answered: u8,
}

impl SessionClient {
    /// The request with `cxid`: 0 opens the session, 1 creates the ephemeral.
    pub fn request(&self, cxid: i32) -> Option<ClientRequest> {
        let request = match cxid {
            0 => WriteRequest::CreateSession {
                timeout_ms: SESSION_TIMEOUT_MS,
            },
            1 => WriteRequest::Create(CreateRequest {
                op: CreateOp::Create,
                path: EPHEMERAL_PATH.to_string(),
                data: Some(Vec::new()),
                acl: Acl::open_unsafe(),
                flags: CreateMode::Ephemeral.flag(),
            }),
            _ => return None,
        };
        Some(ClientRequest {
            session: SESSION,
            cxid,
            owner: ServerId(u64::try_from(usize::from(self.server)).expect("ids fit")),
            auth: Vec::new(),
            time_ms: 0,
            request,
        })
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
        let answered = u8::from(self.session_exists);
        let request = self
            .request(i32::from(answered))
            .expect("the first request");
        out.send(self.server, PeerMessage::ClientWrite { request });
        SessionClientState { answered }
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<SessionClientState>,
        _src: Id,
        msg: Self::Msg,
        out: &mut Out<Self>,
    ) {
        let PeerMessage::WriteCommitted { payload, .. } = msg else {
            return;
        };
        if payload.header.client_id != SESSION || payload.header.cxid != i32::from(state.answered) {
            return;
        }
        let state = state.to_mut();
        state.answered += 1;
        if let Some(request) = self.request(i32::from(state.answered)) {
            out.send(self.server, PeerMessage::ClientWrite { request });
        }
    }
}
