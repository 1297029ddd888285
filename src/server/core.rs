//! The core's driver: one task owns the peer (`Peer<Replica>`) and everything the peer's
//! commands touch (the watch registry, the connections' outboxes, what the disk holds), so no
//! lock guards protocol state. Events from connections and clocks go in; the peer decides; the
//! driver executes its commands in the order the durability contract requires.
//!
//! # Group commit
//! The driver handles events in batches. Every command of a batch is collected first; then the
//! batch's last `Save` is planned against the disk and made durable (one sync for all), and
//! only then does anything the batch produced leave: replies, notifications and handshakes
//! alike. So no client ever sees data, or a reply, that a crash could take back.

use super::four_letter::{self, ServerReport, Statistics};
use super::persist::{DiskImage, Persist};
use super::reads::{ReadScope, Watcher};
use super::writes::{multi_mixes_reads, write_reply, write_request};
use super::{auth, password};
use crate::config::{FourLetterWord, FourLetterWordWhitelist};
use crate::proto::jute::JuteError;
use crate::proto::message::{RequestBody, Response, ResponseBody};
use crate::proto::opcode::OpCode;
use crate::proto::records::{ConnectRequest, ConnectResponse, ReplyHeader, WatcherEvent};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zabkeeper_models::replica::{ClientRequest, Database, Replica};
use zabkeeper_models::request::{AccessControl, Prepared, WriteRequest};
use zabkeeper_models::session::handshake::{
    self, Handshake, HandshakeDecision, Refusal, ServerView,
};
use zabkeeper_models::session::{initial_session_id, SessionConfig};
use zabkeeper_models::tree::{op_code, ApplyResult, Id as AuthId};
use zabkeeper_models::watch::WatchRegistry;
use zabkeeper_models::zab::{Durable, Message, Peer, PeerMessage, PeerState, PeerTimer, Snapshot};
use zabkeeper_models::{ErrorCode, ServerId, SessionId, Zxid};

/// A client connection of this server.
pub type ConnectionId = u64;

/// Reply header xids with a meaning of their own.
mod special_xid {
    pub const NOTIFICATION: i32 = -1;
    pub const PING: i32 = -2;
}

/// Connection ids map to actor ids above every server id (ZooKeeper ids fit in a byte).
const CONNECTION_ID_BASE: usize = 1 << 16;
/// Where the peer sends the outcome of every applied txn.
const APPLY_SINK: usize = usize::MAX;

fn actor_of(connection: ConnectionId) -> Id {
    Id::from(CONNECTION_ID_BASE + usize::try_from(connection).expect("connection ids fit"))
}

fn connection_of(id: Id) -> Option<ConnectionId> {
    let raw = usize::from(id);
    (CONNECTION_ID_BASE..APPLY_SINK)
        .contains(&raw)
        .then(|| (raw - CONNECTION_ID_BASE) as ConnectionId)
}

/// What the driver sends a connection's task.
#[derive(Clone, Debug, PartialEq)]
pub enum Outbound {
    /// The answer to the connect handshake.
    Connected(ConnectResponse),
    /// A reply, or a notification (xid -1).
    Reply(Response),
    /// A four-letter word's answer, sent as plain text.
    Text(String),
    /// Close the connection after what was sent before; `reason` goes to the log.
    Close { reason: String },
}

/// What happens to the core.
#[derive(Debug)]
pub enum Event {
    /// A client connected from `address`; its task reads what the driver sends on `outbound`.
    Open {
        connection: ConnectionId,
        address: SocketAddr,
        outbound: tokio::sync::mpsc::UnboundedSender<Outbound>,
    },
    /// The connection's first frame.
    Connect {
        connection: ConnectionId,
        request: ConnectRequest,
    },
    /// A request after the handshake.
    Request {
        connection: ConnectionId,
        xid: i32,
        body: RequestBody,
    },
    /// A request whose header decoded but which cannot run as sent.
    Malformed {
        connection: ConnectionId,
        xid: i32,
        malformation: Malformation,
    },
    /// The connection's first four bytes spell a four-letter word.
    FourLetterWord {
        connection: ConnectionId,
        word: FourLetterWord,
    },
    /// The connection is gone (the client closed it, or it broke).
    Closed { connection: ConnectionId },
}

/// What is wrong with a request whose header decoded.
#[derive(Debug)]
pub enum Malformation {
    /// An op code that names no operation a client may send (the raw `type` of the header).
    UnknownOp(i32),
    /// A client op whose body does not decode.
    BodyDoesNotDecode { op_code: OpCode, error: JuteError },
}

/// Makes a planned `Save` durable. The contract of `zab::DurableState`: when `persist`
/// returns, the txns are synced to the log and then the epoch files are written and synced.
pub trait Durability: Send {
    fn persist(&mut self, plan: &Persist<Prepared, Database>) -> io::Result<()>;
    /// Whether a background snapshot may start: the previous one is finished.
    fn snapshot_idle(&mut self) -> bool;
    /// Writes `snapshot` in the background. The log already holds every txn it covers, so
    /// nothing waits for it.
    fn start_snapshot(&mut self, snapshot: Arc<Snapshot<Database>>) -> io::Result<()>;
}

/// The server settings the driver needs.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    pub me: ServerId,
    pub tick: Duration,
    pub sessions: SessionConfig,
    pub access: AccessControl,
    pub extended_types_enabled: bool,
    /// `maxClientCnxns`: connections from one IP address; `None` for no limit.
    pub connections_per_host_max: Option<u32>,
    /// `4lw.commands.whitelist`.
    pub four_letter_words: FourLetterWordWhitelist,
    /// The configuration as `conf` reports it.
    pub configuration: Vec<(String, String)>,
    /// `dataDir` and `dataLogDir`, whose sizes `dirs` reports.
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    /// `snapCount`: the history is compacted into a snapshot after snapCount/2 plus a random
    /// share of snapCount/2 txns.
    pub snapshot_interval_txns: u64,
}

struct Session {
    id: SessionId,
}

struct Connection {
    outbound: tokio::sync::mpsc::UnboundedSender<Outbound>,
    address: SocketAddr,
    received: u64,
    sent: u64,
    /// The handshake that waits for its createSession to commit.
    connecting: Option<ConnectRequest>,
    session: Option<Session>,
    auth: Vec<AuthId>,
}

/// A write waiting for its txn to be applied, by (session, xid).
struct PendingWrite {
    connection: ConnectionId,
    op: i32,
    arrived: Instant,
}

/// The core's driver state. Single-threaded: the server runs it on one task.
pub struct Core {
    peer: Peer<Replica>,
    /// Always `Cow::Owned`: the peer's handlers change it in place, never cloning it (a clone
    /// would copy the whole database at every step).
    state: Cow<'static, PeerState<Replica>>,
    disk: DiskImage,
    durability: Box<dyn Durability>,
    config: CoreConfig,
    started: Instant,
    watches: WatchRegistry<Watcher>,
    connections: HashMap<ConnectionId, Connection>,
    pending_writes: HashMap<(SessionId, i32), PendingWrite>,
    next_session_id: i64,
    timers: BTreeMap<PeerTimer, Instant>,
    /// This batch: whether a step asked for a save, what leaves after it, and the outcomes
    /// applied in it.
    batch_saves: bool,
    batch_outbound: Vec<(ConnectionId, Outbound)>,
    batch_outcomes: HashMap<Zxid, ApplyResult>,
    /// When the requests answered in this batch arrived, for the latency statistics.
    batch_arrivals: Vec<Instant>,
    statistics: Statistics,
    /// The history length (txns after the snapshot) at which the next snapshot is due.
    snapshot_due_at_txns: u64,
}

impl Core {
    /// A core starting from the durable state recovery found on disk.
    pub fn new(
        config: CoreConfig,
        recovered: Durable<Replica>,
        durability: Box<dyn Durability>,
    ) -> Core {
        let me = config.me;
        let replica = Replica::new(
            me,
            zabkeeper_models::request::PrepareConfig {
                access: config.access.clone(),
                extended_types_enabled: config.extended_types_enabled,
            },
            config.sessions,
        );
        let mut peer = Peer::new(
            me,
            zabkeeper_models::election::Membership::new([me], []),
            replica,
        );
        peer.tick = Some(config.tick..config.tick);
        peer.apply_sink = Some(Id::from(APPLY_SINK));
        let disk = DiskImage::new(&recovered);
        let started = Instant::now();
        let mut out = Out::new();
        let state = Cow::Owned(peer.on_start(Id::from(me.0 as usize), &Some(recovered), &mut out));
        let mut core = Core {
            peer,
            state,
            disk,
            durability,
            config,
            started,
            watches: WatchRegistry::new(),
            connections: HashMap::new(),
            pending_writes: HashMap::new(),
            next_session_id: initial_session_id(me, wall_clock_ms().max(0) as u64).0,
            timers: BTreeMap::new(),
            batch_saves: false,
            batch_outbound: Vec::new(),
            batch_outcomes: HashMap::new(),
            batch_arrivals: Vec::new(),
            statistics: Statistics::default(),
            snapshot_due_at_txns: 0,
        };
        core.snapshot_due_at_txns = snapshot_due_at(core.config.snapshot_interval_txns);
        core.route(out);
        core
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The last zxid applied here: what replies and notifications carry.
    pub fn last_zxid(&self) -> Zxid {
        self.state.committed_through
    }

    /// True once the peer leads and serves clients.
    pub fn is_serving(&self) -> bool {
        self.state.is_serving()
    }

    /// Runs one peer handler and routes its commands.
    fn step(
        &mut self,
        handler: impl FnOnce(&Peer<Replica>, &mut Cow<PeerState<Replica>>, &mut Out<Peer<Replica>>),
    ) {
        let mut out = Out::new();
        handler(&self.peer, &mut self.state, &mut out);
        assert!(
            matches!(self.state, Cow::Owned(_)),
            "the driver's peer state stays owned"
        );
        self.route(out);
    }

    fn route(&mut self, out: Out<Peer<Replica>>) {
        for command in out {
            match command {
                Command::Save(durable) => {
                    // Every Save carries the peer's whole durable state, so the batch's last
                    // one is the peer's durable state when the batch ends: the flush plans
                    // from that (a step may save more than once; the plan writes txns, then
                    // acceptedEpoch, then currentEpoch, the order every save needs). Keeping
                    // this copy would share the history with the peer and make its next
                    // append copy all of it.
                    drop(durable);
                    self.batch_saves = true;
                }
                Command::SetTimer(timer, range) => {
                    self.timers.insert(timer, Instant::now() + range.start);
                }
                Command::CancelTimer(timer) => {
                    self.timers.remove(&timer);
                }
                Command::Send(destination, message) => self.deliver(destination, message),
                Command::ChooseRandom(..) => {
                    unreachable!(
                        "the server runs Fast Leader Election, which chooses nothing at random"
                    )
                }
            }
        }
    }

    fn deliver(&mut self, destination: Id, message: Message<Replica>) {
        match message {
            PeerMessage::Applied { zxid, outcome } => {
                for (watcher, event) in self.watches.trigger(&outcome.events) {
                    let notification = notification(
                        event.event_type.code(),
                        event.keeper_state.code(),
                        event.path,
                    );
                    self.batch_outbound
                        .push((watcher, Outbound::Reply(notification)));
                }
                if let zabkeeper_models::tree::Txn::CloseSession(_) = self.txn_at(zxid) {
                    self.session_closed(outcome.client_id);
                }
                self.batch_outcomes.insert(zxid, outcome);
            }
            PeerMessage::WriteCommitted { zxid, payload, .. } => {
                let Some(connection) = connection_of(destination) else {
                    return;
                };
                self.write_committed(connection, zxid, &payload);
            }
            other => {
                // A one-server ensemble has no peers to talk to.
                tracing::debug!(?destination, message = ?other, "dropped a message with no recipient");
            }
        }
    }

    fn txn_at(&self, zxid: Zxid) -> &zabkeeper_models::tree::Txn {
        let position = self
            .state
            .durable
            .position(zxid)
            .expect("an applied txn is logged");
        &self.state.durable.history[position].payload.txn
    }

    /// A closeSession was applied: the session's connection closes (after its reply, if the
    /// client asked for the close) and its watches go.
    fn session_closed(&mut self, session: SessionId) {
        let connections: Vec<ConnectionId> = self
            .connections
            .iter()
            .filter(|(_, connection)| connection.session.as_ref().is_some_and(|s| s.id == session))
            .map(|(id, _)| *id)
            .collect();
        let closed_by_client = self
            .pending_writes
            .iter()
            .any(|((pending, _), write)| *pending == session && write.op == op_code::CLOSE_SESSION);
        for connection in connections {
            self.watches.remove_watcher(&connection);
            // A client that closed its session gets the reply first; the close follows it.
            if !closed_by_client {
                self.batch_outbound.push((
                    connection,
                    Outbound::Close {
                        reason: format!("session 0x{:x} expired", session.0),
                    },
                ));
            }
        }
    }

    fn write_committed(&mut self, connection: ConnectionId, zxid: Zxid, txn: &Prepared) {
        let key = (txn.header.client_id, txn.header.cxid);
        let Some(pending) = self.pending_writes.remove(&key) else {
            return;
        };
        debug_assert_eq!(pending.connection, connection);
        self.batch_arrivals.push(pending.arrived);
        let Some(outcome) = self.batch_outcomes.get(&zxid).cloned() else {
            unreachable!("the peer sends Applied before WriteCommitted for {zxid}");
        };
        if pending.op == op_code::CREATE_SESSION {
            self.session_created(connection, txn, &outcome);
            return;
        }
        let (err, body) = write_reply(pending.op, &outcome);
        let reply = Response {
            header: ReplyHeader {
                xid: txn.header.cxid,
                zxid: zxid.0 as i64,
                err: err.code(),
            },
            body,
        };
        self.batch_outbound
            .push((connection, Outbound::Reply(reply)));
        if pending.op == op_code::CLOSE_SESSION {
            self.batch_outbound.push((
                connection,
                Outbound::Close {
                    reason: "the client closed its session".to_string(),
                },
            ));
        }
    }

    fn session_created(&mut self, connection: ConnectionId, txn: &Prepared, outcome: &ApplyResult) {
        let Some(state) = self.connections.get_mut(&connection) else {
            return;
        };
        let Some(request) = state.connecting.take() else {
            return;
        };
        let session = txn.header.client_id;
        if outcome.err != ErrorCode::Ok {
            let response = ConnectResponse::session_refused(&request);
            self.batch_outbound
                .push((connection, Outbound::Connected(response)));
            return;
        }
        let timeout_ms = match &txn.txn {
            zabkeeper_models::tree::Txn::CreateSession(create) => create.timeout_ms,
            _ => unreachable!("a createSession answers the handshake"),
        };
        state.session = Some(Session { id: session });
        let response = ConnectResponse::answering(
            &request,
            timeout_ms,
            session.0,
            password::session_password(session.0).to_vec(),
            false,
        );
        self.batch_outbound
            .push((connection, Outbound::Connected(response)));
    }

    /// Handles one event; its effects wait for [`Core::flush`].
    pub fn handle(&mut self, event: Event) {
        match event {
            Event::Open {
                connection,
                address,
                outbound,
            } => {
                let from_address = self
                    .connections
                    .values()
                    .filter(|state| state.address.ip() == address.ip())
                    .count();
                let limit = self.config.connections_per_host_max;
                if !handshake::admits_connection(from_address, limit) {
                    let limit = limit.unwrap_or_default();
                    tracing::warn!(%address, limit, "too many connections from one address (maxClientCnxns); refusing");
                    let _ = outbound.send(Outbound::Close {
                        reason: format!("maxClientCnxns ({limit}) reached for {address}"),
                    });
                    return;
                }
                self.connections.insert(
                    connection,
                    Connection {
                        outbound,
                        address,
                        received: 0,
                        sent: 0,
                        connecting: None,
                        session: None,
                        auth: vec![AuthId::new("ip", &address.ip().to_string())],
                    },
                );
            }
            Event::Connect {
                connection,
                request,
            } => {
                self.count_received(connection);
                self.connect(connection, request)
            }
            Event::Request {
                connection,
                xid,
                body,
            } => {
                self.count_received(connection);
                self.request(connection, xid, body)
            }
            Event::Malformed {
                connection,
                xid,
                malformation,
            } => {
                self.count_received(connection);
                self.malformed_request(connection, xid, malformation)
            }
            Event::FourLetterWord { connection, word } => self.four_letter_word(connection, word),
            Event::Closed { connection } => {
                self.watches.remove_watcher(&connection);
                self.connections.remove(&connection);
            }
        }
    }

    fn connect(&mut self, connection: ConnectionId, request: ConnectRequest) {
        let server = ServerView {
            serving: self.is_serving(),
            last_zxid: self.state.durable.last_zxid(),
            known_session_timeout_ms: self
                .state
                .applied
                .sessions
                .get(&SessionId(request.session_id))
                .copied(),
        };
        let handshake = Handshake {
            last_zxid_seen: request.last_zxid_seen,
            timeout_ms: request.timeout_ms,
            session_id: request.session_id,
            password_matches: password::password_matches(request.session_id, &request.password),
        };
        match handshake::decide(&self.config.sessions, server, handshake) {
            HandshakeDecision::Refuse(Refusal::NotServing) => {
                self.close(connection, "the server is not serving yet".to_string());
            }
            HandshakeDecision::Refuse(Refusal::ClientIsAhead {
                last_zxid_seen,
                last_zxid,
            }) => self.close(
                connection,
                format!(
                    "client has seen zxid 0x{last_zxid_seen:x}, our last zxid is 0x{:x}",
                    last_zxid.0
                ),
            ),
            HandshakeDecision::CreateSession { timeout_ms } => {
                let session = SessionId(self.next_session_id);
                self.next_session_id += 1;
                if let Some(state) = self.connections.get_mut(&connection) {
                    state.connecting = Some(request);
                }
                self.submit(
                    connection,
                    session,
                    0,
                    op_code::CREATE_SESSION,
                    WriteRequest::CreateSession { timeout_ms },
                );
            }
            HandshakeDecision::Resume {
                session,
                timeout_ms,
            } => {
                let now_ms = self.now_ms();
                if self
                    .peer
                    .touch_session(self.state.to_mut(), &session, now_ms)
                {
                    if let Some(state) = self.connections.get_mut(&connection) {
                        state.session = Some(Session { id: session });
                    }
                    let response = ConnectResponse::answering(
                        &request,
                        timeout_ms,
                        session.0,
                        password::session_password(session.0).to_vec(),
                        false,
                    );
                    self.batch_outbound
                        .push((connection, Outbound::Connected(response)));
                } else {
                    self.session_expired(connection, &request, session);
                }
            }
            HandshakeDecision::Expired { session } => {
                self.session_expired(connection, &request, session)
            }
        }
    }

    /// Tells the client its session is gone (timeout 0), then closes the connection.
    fn session_expired(
        &mut self,
        connection: ConnectionId,
        request: &ConnectRequest,
        session: SessionId,
    ) {
        let response = ConnectResponse::session_refused(request);
        self.batch_outbound
            .push((connection, Outbound::Connected(response)));
        self.close(
            connection,
            format!("session 0x{:x} is expired or invalid", session.0),
        );
    }

    fn submit(
        &mut self,
        connection: ConnectionId,
        session: SessionId,
        xid: i32,
        op: i32,
        request: WriteRequest,
    ) {
        let auth = self
            .connections
            .get(&connection)
            .map(|state| state.auth.clone())
            .unwrap_or_default();
        self.pending_writes.insert(
            (session, xid),
            PendingWrite {
                connection,
                op,
                arrived: Instant::now(),
            },
        );
        let request = ClientRequest {
            session,
            cxid: xid,
            owner: self.config.me,
            auth,
            time_ms: wall_clock_ms(),
            request,
        };
        let client = actor_of(connection);
        let me = Id::from(self.config.me.0 as usize);
        self.step(|peer, state, out| {
            peer.on_msg(me, state, client, PeerMessage::ClientWrite { request }, out)
        });
    }

    fn close(&mut self, connection: ConnectionId, reason: String) {
        self.batch_outbound
            .push((connection, Outbound::Close { reason }));
    }

    fn reply(&mut self, connection: ConnectionId, xid: i32, err: ErrorCode, body: ResponseBody) {
        let response = Response {
            header: ReplyHeader {
                xid,
                zxid: self.last_zxid().0 as i64,
                err: err.code(),
            },
            body,
        };
        self.batch_outbound
            .push((connection, Outbound::Reply(response)));
    }

    /// A reply that no txn stands behind, with zxid 0 and no body.
    fn reply_outside_history(&mut self, connection: ConnectionId, xid: i32, err: ErrorCode) {
        let response = Response {
            header: ReplyHeader {
                xid,
                zxid: 0,
                err: err.code(),
            },
            body: ResponseBody::Empty,
        };
        self.batch_outbound
            .push((connection, Outbound::Reply(response)));
    }

    /// The session a request on `connection` runs in, touched by it; `None` when the request
    /// must not run: the connection has no session (it closes), or its session expired
    /// (SessionExpired, then it closes) and the request is not the session's own close.
    fn session_for_request(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        closes_session: bool,
    ) -> Option<SessionId> {
        let state = self.connections.get(&connection)?;
        let Some(session) = state.session.as_ref().map(|session| session.id) else {
            self.close(
                connection,
                "a request before the session was established".to_string(),
            );
            return None;
        };
        let now_ms = self.now_ms();
        let alive = self
            .peer
            .touch_session(self.state.to_mut(), &session, now_ms);
        if !alive && !closes_session {
            self.reply(
                connection,
                xid,
                ErrorCode::SessionExpired,
                ResponseBody::Empty,
            );
            self.close(connection, format!("session 0x{:x} expired", session.0));
            return None;
        }
        Some(session)
    }

    /// Answers a request that cannot run as sent, as ZooKeeper's pipeline does.
    fn malformed_request(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        malformation: Malformation,
    ) {
        if self.session_for_request(connection, xid, false).is_none() {
            return;
        }
        match malformation {
            Malformation::UnknownOp(op) => {
                tracing::warn!(connection, op, "request with an unknown op code");
                // ZooKeeper's UnimplementedRequestProcessor answers under the request's own
                // zxid, which a request that never entered the pipeline does not have (-1), and
                // then closes the connection.
                let response = Response {
                    header: ReplyHeader {
                        xid,
                        zxid: -1,
                        err: ErrorCode::Unimplemented.code(),
                    },
                    body: ResponseBody::Empty,
                };
                self.batch_outbound
                    .push((connection, Outbound::Reply(response)));
                self.close(connection, format!("request with unknown op code {op}"));
            }
            Malformation::BodyDoesNotDecode { op_code, error } => {
                tracing::warn!(connection, ?op_code, %error, "request body does not decode");
                // ZooKeeper decodes a body only in its request processors, which answer one
                // that does not decode with MarshallingError and keep serving the connection.
                self.reply(
                    connection,
                    xid,
                    ErrorCode::MarshallingError,
                    ResponseBody::Empty,
                );
            }
        }
    }

    fn request(&mut self, connection: ConnectionId, xid: i32, body: RequestBody) {
        let closes_session = matches!(body, RequestBody::CloseSession);
        let Some(session) = self.session_for_request(connection, xid, closes_session) else {
            return;
        };
        match body {
            RequestBody::Ping => self.reply(
                connection,
                special_xid::PING,
                ErrorCode::Ok,
                ResponseBody::Empty,
            ),
            RequestBody::Auth(packet) => {
                self.authenticate(connection, xid, &packet.scheme, &packet.auth)
            }
            RequestBody::Sasl(_) => {
                // SASL is not configured: ZooKeeper answers a SASL packet from a client whose
                // server has no SASL support by failing authentication.
                self.reply(connection, xid, ErrorCode::AuthFailed, ResponseBody::Empty);
            }
            ref body if multi_mixes_reads(body) => {
                self.reply(
                    connection,
                    xid,
                    ErrorCode::BadArguments,
                    ResponseBody::Empty,
                );
            }
            ref body => {
                if let Some(write) = write_request(body) {
                    let op = body.op_code().code();
                    self.submit(connection, session, xid, op, write);
                    return;
                }
                let auth = self.connections[&connection].auth.clone();
                let mut scope = ReadScope {
                    database: &self.state.applied,
                    access: &self.config.access,
                    auth: &auth,
                    session,
                    watches: &mut self.watches,
                    watcher: connection,
                };
                match scope.answer(body) {
                    Some(reply) => {
                        self.batch_arrivals.push(Instant::now());
                        for event in reply.immediate {
                            let notification = notification(
                                event.event_type.code(),
                                event.keeper_state.code(),
                                event.path,
                            );
                            self.batch_outbound
                                .push((connection, Outbound::Reply(notification)));
                        }
                        self.reply(connection, xid, reply.err, reply.body);
                    }
                    None => {
                        tracing::warn!(connection, op = ?body.op_code(), "request with no handler");
                        self.reply(
                            connection,
                            xid,
                            ErrorCode::Unimplemented,
                            ResponseBody::Empty,
                        );
                    }
                }
            }
        }
    }

    /// ZooKeeper answers an auth packet under the xid it came with (clients use -4, but not
    /// all) and zxid 0: authentication is no txn.
    fn authenticate(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        scheme: &str,
        credentials: &[u8],
    ) {
        let id = match scheme {
            "digest" => auth::digest_id(credentials),
            _ => None,
        };
        match id {
            Some(id) => {
                if let Some(state) = self.connections.get_mut(&connection) {
                    if !state.auth.contains(&id) {
                        state.auth.push(id);
                    }
                }
                self.reply_outside_history(connection, xid, ErrorCode::Ok);
            }
            None => {
                // ZooKeeper answers a failed authentication and then closes the connection.
                self.reply_outside_history(connection, xid, ErrorCode::AuthFailed);
                self.close(
                    connection,
                    format!("authentication with scheme {scheme:?} failed"),
                );
            }
        }
    }

    /// The next peer timer's deadline.
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.values().min().copied()
    }

    /// Fires every peer timer that is due, and moves the session clock.
    pub fn on_clock(&mut self) {
        let now = Instant::now();
        let due: Vec<PeerTimer> = self
            .timers
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(timer, _)| *timer)
            .collect();
        let me = Id::from(self.config.me.0 as usize);
        for timer in due {
            self.timers.remove(&timer);
            self.step(|peer, state, out| peer.on_timeout(me, state, &timer, out));
        }
        let now_ms = self.now_ms();
        self.step(|peer, state, out| peer.on_session_clock(state, now_ms, out));
    }

    /// Makes the batch durable, then releases everything it produced, in order.
    pub fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.batch_saves) {
            let plan = self.disk.plan(&self.state.durable);
            if !plan.is_empty() {
                self.durability.persist(&plan)?;
            }
        }
        self.batch_outcomes.clear();
        self.snapshot_if_due()?;
        let now = Instant::now();
        for arrived in self.batch_arrivals.drain(..) {
            self.statistics
                .record_latency(now.duration_since(arrived).as_millis() as u64);
        }
        for (connection, outbound) in self.batch_outbound.drain(..) {
            let Some(state) = self.connections.get_mut(&connection) else {
                continue;
            };
            if matches!(outbound, Outbound::Reply(_) | Outbound::Connected(_)) {
                state.sent += 1;
                self.statistics.packets_sent += 1;
            }
            let closing = matches!(outbound, Outbound::Close { .. });
            // A connection task that is gone drops what it is sent; its Closed event follows.
            let _ = state.outbound.send(outbound);
            if closing {
                self.watches.remove_watcher(&connection);
            }
        }
        Ok(())
    }

    /// Compacts the history into a snapshot once it holds the due number of txns, and has
    /// the snapshot written in the background. As in ZooKeeper, a snapshot still being
    /// written postpones the next one (it is retried at the next flush).
    fn snapshot_if_due(&mut self) -> io::Result<()> {
        if (self.state.durable.history.len() as u64) < self.snapshot_due_at_txns
            || !self.durability.snapshot_idle()
        {
            return Ok(());
        }
        let Some(snapshot) = self.peer.compact(self.state.to_mut()) else {
            return Ok(());
        };
        self.disk.compacted(&self.state.durable);
        tracing::info!(zxid = %snapshot.zxid, "compacted the history; writing a snapshot");
        self.snapshot_due_at_txns = snapshot_due_at(self.config.snapshot_interval_txns);
        self.durability.start_snapshot(snapshot)
    }

    /// The address a connection came from.
    pub fn address_of(&self, connection: ConnectionId) -> Option<IpAddr> {
        self.connections
            .get(&connection)
            .map(|state| state.address.ip())
    }

    fn count_received(&mut self, connection: ConnectionId) {
        self.statistics.packets_received += 1;
        if let Some(state) = self.connections.get_mut(&connection) {
            state.received += 1;
        }
    }

    fn four_letter_word(&mut self, connection: ConnectionId, word: FourLetterWord) {
        let text = if !self.config.four_letter_words.contains(word) {
            four_letter::not_whitelisted(word)
        } else if !self.is_serving() && word == FourLetterWord::Isro {
            four_letter::IS_READ_ONLY_NOT_SERVING.to_string()
        } else if !self.is_serving() && four_letter::needs_a_serving_server(word) {
            four_letter::NOT_SERVING.to_string()
        } else {
            let text = four_letter::answer(word, &self.report());
            if word == FourLetterWord::Srst {
                self.statistics.reset();
            }
            text.unwrap_or_else(|| format!("{word} is not supported by this server.\n"))
        };
        self.batch_outbound.push((connection, Outbound::Text(text)));
        self.close(connection, format!("answered the four-letter word {word}"));
    }

    fn report(&self) -> ServerReport {
        let tree = &self.state.applied.tree;
        let watchers: std::collections::BTreeSet<ConnectionId> = self
            .connections
            .keys()
            .filter(|connection| !self.watches.paths_of(connection).is_empty())
            .copied()
            .collect();
        let watched_paths: std::collections::BTreeSet<String> = watchers
            .iter()
            .flat_map(|connection| self.watches.paths_of(connection))
            .collect();
        let mut connections: Vec<(&ConnectionId, &Connection)> = self.connections.iter().collect();
        connections.sort_by_key(|(id, _)| **id);
        ServerReport {
            statistics: self.statistics.clone(),
            connections: connections
                .into_iter()
                .map(|(_, state)| {
                    let session = state.session.as_ref().map_or(0, |session| session.id.0);
                    format!(
                        "/{}[1](queued=0,recved={},sent={},sid=0x{:x})",
                        state.address, state.received, state.sent, session
                    )
                })
                .collect(),
            outstanding_requests: self.pending_writes.len(),
            last_zxid: self.last_zxid().0,
            node_count: tree.node_count(),
            watch_count: self.watches.watch_count(),
            watched_paths: watched_paths.len(),
            watching_connections: watchers.len(),
            ephemeral_count: tree.ephemeral_count(),
            approximate_data_bytes: tree
                .iter()
                .map(|(path, node)| (path.len() + node.data.as_ref().map_or(0, Vec::len)) as u64)
                .sum(),
            configuration: self.config.configuration.clone(),
            data_dir_bytes: directory_bytes(&self.config.data_dir),
            data_log_dir_bytes: directory_bytes(&self.config.data_log_dir),
        }
    }
}

fn notification(event_type: i32, state: i32, path: String) -> Response {
    Response {
        header: ReplyHeader {
            xid: special_xid::NOTIFICATION,
            zxid: -1,
            err: 0,
        },
        body: ResponseBody::Notification(WatcherEvent {
            event_type,
            state,
            path,
        }),
    }
}

/// Milliseconds since the epoch: the time a txn records (ctime, mtime).
fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// The bytes of the files directly in `directory` (what `dirs` reports for dataDir and
/// dataLogDir, whose txn logs and snapshots sit in `version-2`).
fn directory_bytes(directory: &Path) -> u64 {
    let version_2 = directory.join("version-2");
    std::fs::read_dir(version_2)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .filter(|metadata| metadata.is_file())
                .map(|metadata| metadata.len())
                .sum()
        })
        .unwrap_or(0)
}

/// ZooKeeper's snapshot trigger: snapCount/2 plus a random share of snapCount/2 txns, so the
/// servers of an ensemble do not all snapshot at the same moment.
fn snapshot_due_at(snapshot_interval_txns: u64) -> u64 {
    let half = (snapshot_interval_txns / 2).max(1);
    half + random_u64() % half
}

/// A random number from std's randomly keyed hasher: the spread of snapshot moments needs no
/// more than that, and no further dependency.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}
