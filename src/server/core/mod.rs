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

mod clients;
mod report;

use super::four_letter::{self, ServerReport, Statistics};
use super::reads::ReadScope;
use super::trace::{
    self, Answer, DurableDigest, HashedDurable, PeerSettings, TraceEvent, TraceLine, TraceWriter,
    TracedCommand, APPLY_SINK,
};
use super::writes::{multi_mixes_reads, write_reply, write_request};
use super::{auth, password};
use crate::config::{FourLetterWord, FourLetterWordWhitelist};
use crate::proto::jute::JuteError;
use crate::proto::message::{RequestBody, Response, ResponseBody};
use crate::proto::opcode::OpCode;
use crate::proto::records::{ConnectRequest, ConnectResponse, ReplyHeader, WatcherEvent};
use crate::quorum::PeerEvent;
use crate::storage::Durability;
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zabkeeper_models::election::Membership;
use zabkeeper_models::replica::{ClientRequest, Database, Replica};
use zabkeeper_models::request::{
    AccessControl, ClientConnections, Passage, Prepared, WriteRequest,
};
use zabkeeper_models::session::handshake::{
    self, Handshake, HandshakeDecision, Refusal, SessionIds,
};
use zabkeeper_models::session::{self, SessionConfig};
use zabkeeper_models::tree::{op_code, ApplyResult, Id as AuthId};
use zabkeeper_models::zab::{
    id_of, server_of, DiskImage, Durable, Message, Peer, PeerMessage, PeerState, PeerTimer,
    PersistPlan, StateMachine,
};
use zabkeeper_models::{ErrorCode, ServerId, SessionId, Zxid};

/// A client connection of this server.
pub type ConnectionId = u64;

/// Reply header xids with a meaning of their own.
mod special_xid {
    pub const NOTIFICATION: i32 = -1;
    pub const PING: i32 = -2;
}

/// How many ticks a handshake that arrived while the server did not serve is held: long
/// enough for an election and a sync on a LAN, short enough that a client whose server stays
/// out of the quorum moves on to another.
const HANDSHAKE_HOLD_TICKS: u32 = 2;

/// Connection ids map to actor ids above every server id (ZooKeeper ids fit in a byte).
const CONNECTION_ID_BASE: usize = 1 << 16;

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
    /// From the quorum transport: a peer's message, or a lost connection to a peer.
    Peer(PeerEvent),
}

impl From<PeerEvent> for Event {
    fn from(event: PeerEvent) -> Event {
        Event::Peer(event)
    }
}

/// Carries the peer's messages to the other servers of the ensemble (the quorum transport).
pub trait PeerSender: Send {
    fn send(&self, to: ServerId, message: Message<Replica>);

    /// Messages that could not be sent so far (for `mntr`).
    fn unsendable_messages(&self) -> u64 {
        0
    }
}

impl PeerSender for crate::quorum::Transport {
    fn send(&self, to: ServerId, message: Message<Replica>) {
        crate::quorum::Transport::send(self, to, message)
    }

    fn unsendable_messages(&self) -> u64 {
        crate::quorum::Transport::unsendable_messages(self)
    }
}

/// What is wrong with a request whose header decoded.
#[derive(Debug)]
pub enum Malformation {
    /// An op code that names no operation a client may send (the raw `type` of the header).
    UnknownOp(i32),
    /// A client op whose body does not decode.
    BodyDoesNotDecode { op_code: OpCode, error: JuteError },
}

/// The server settings the driver needs.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    pub me: ServerId,
    /// The ensemble's voters and observers (this server alone when standalone).
    pub membership: Membership,
    /// `syncLimit` and `initLimit`, in ticks of `tick`: how long a silent leader (or quorum)
    /// is waited for, broadcasting and joining.
    pub sync_limit_ticks: u32,
    pub init_limit_ticks: u32,
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
    /// `znode.container.checkIntervalMs`: the period of the leader's housekeeping round.
    pub container_check_interval: Duration,
    /// A seeded bug in the driver, for the trace-validation test only; `None` in service.
    pub driver_mutation: Option<DriverMutation>,
}

/// Seeded driver bugs that trace validation must catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverMutation {
    /// Releases a batch's messages before its sync.
    SendBeforeSync,
}

impl CoreConfig {
    /// What shapes the peer this configuration runs.
    pub fn peer_settings(&self) -> PeerSettings {
        PeerSettings {
            me: self.me,
            membership: self.membership.clone(),
            prepare: zabkeeper_models::request::PrepareConfig {
                access: self.access.clone(),
                extended_types_enabled: self.extended_types_enabled,
            },
            sessions: self.sessions,
            tick_ms: self.tick.as_millis() as u64,
            sync_limit_ticks: self.sync_limit_ticks,
            init_limit_ticks: self.init_limit_ticks,
        }
    }
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
    /// The handshake of a client that reconnected with its session, waiting for the leader to
    /// revalidate the session (and make this server its owner).
    reconnecting: Option<Reconnecting>,
    session: Option<Session>,
    auth: Vec<AuthId>,
    /// Syncs sent to the peer, answered in order: (xid, path).
    pending_syncs: VecDeque<(i32, String)>,
}

/// A reconnect handshake waiting for the leader's revalidation of its session.
struct Reconnecting {
    request: ConnectRequest,
    session: SessionId,
    /// The session's timeout, which the answer carries.
    timeout_ms: i32,
    since: Instant,
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
    connections: HashMap<ConnectionId, Connection>,
    pending_writes: HashMap<(SessionId, i32), PendingWrite>,
    /// Handshakes that arrived while the server did not serve, with when they arrived:
    /// answered as soon as it serves, closed after [`HANDSHAKE_HOLD_TICKS`] ticks.
    held_handshakes: Vec<(ConnectionId, ConnectRequest, Instant)>,
    /// The open connections as the core's rules see them: the requests each holds behind its
    /// session's writes and syncs, and the watches each left (the same keeper the model's
    /// driver runs, so that what a closing connection takes with it is decided once).
    clients: ClientConnections<ConnectionId, (i32, RequestBody)>,
    /// Connections whose write or sync came back in the step being routed: what they held
    /// runs once the step's commands are through (see [`Core::route`]).
    step_releases: Vec<ConnectionId>,
    /// The other servers of the ensemble; `None` when standalone.
    peers: Option<Box<dyn PeerSender>>,
    batch_peer_outbound: Vec<(ServerId, Message<Replica>)>,
    /// The ids of the sessions created through this server, a sequence that started at
    /// `session_ids_start_ms` (the wall clock when the server started).
    session_ids: SessionIds,
    session_ids_start_ms: u64,
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
    /// Where every step is recorded, when the server was started with a trace file.
    trace: Option<TraceWriter>,
    /// What the disk holds, as the trace records it; kept only while tracing.
    traced_disk: Option<HashedDurable>,
    /// Steps taken so far: a trace's step numbers.
    steps: u64,
}

type PeerCommand = Command<Message<Replica>, PeerTimer, ServerId, Durable<Replica>>;

impl Core {
    /// A core starting from the durable state recovery found on disk. With `trace`, every
    /// step of the peer is recorded (see [`super::trace`]).
    pub fn new(
        config: CoreConfig,
        recovered: Durable<Replica>,
        durability: Box<dyn Durability>,
        peers: Option<Box<dyn PeerSender>>,
        trace: Option<TraceWriter>,
    ) -> Core {
        let me = config.me;
        let settings = config.peer_settings();
        let peer = settings.peer();
        let durable_for_trace = trace.as_ref().map(|_| recovered.clone());
        let traced_disk = trace.as_ref().map(|_| trace::hashed(&recovered));
        let disk = DiskImage::new(&recovered);
        let started = Instant::now();
        let mut out = Out::new();
        let state = Cow::Owned(peer.on_start(id_of(me), &Some(recovered), &mut out));
        let commands: Vec<PeerCommand> = out.into_iter().collect();
        let start_line = durable_for_trace.map(|durable| TraceLine::Start {
            settings,
            durable,
            commands: commands.iter().map(TracedCommand::of).collect(),
        });
        let mut core = Core {
            peer,
            state,
            disk,
            durability,
            config,
            started,
            connections: HashMap::new(),
            step_releases: Vec::new(),
            pending_writes: HashMap::new(),
            held_handshakes: Vec::new(),
            clients: ClientConnections::new(),
            peers,
            batch_peer_outbound: Vec::new(),
            session_ids: SessionIds::default(),
            session_ids_start_ms: wall_clock_ms().max(0) as u64,
            timers: BTreeMap::new(),
            batch_saves: false,
            batch_outbound: Vec::new(),
            batch_outcomes: HashMap::new(),
            batch_arrivals: Vec::new(),
            statistics: Statistics::default(),
            snapshot_due_at_txns: 0,
            trace,
            traced_disk,
            steps: 0,
        };
        core.snapshot_due_at_txns = snapshot_due_at(core.config.snapshot_interval_txns);
        if let Some(line) = start_line {
            core.trace_line(line);
        }
        core.route(commands);
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

    /// Hands one event to the peer, records the step when tracing, and routes its commands.
    fn step(&mut self, event: TraceEvent) -> Answer {
        let was_serving = self.state.is_serving();
        let mode_before = self.mode();
        let recorded_event = self
            .trace
            .as_ref()
            .map(|_| serde_json::to_value(&event).expect("events serialize"));
        let mut out = Out::new();
        let answer = self.peer.step(&mut self.state, event, &mut out);
        assert!(
            matches!(self.state, Cow::Owned(_)),
            "the driver's peer state stays owned"
        );
        let commands: Vec<PeerCommand> = out.into_iter().collect();
        if let Some(event) = recorded_event {
            self.trace_line(TraceLine::Step {
                step: self.steps,
                event,
                commands: commands.iter().map(TracedCommand::of).collect(),
                answer: trace::traced(&answer),
                leading_epoch: self.state.established_epoch().map(|epoch| epoch.0),
            });
        }
        self.steps += 1;
        let mode = self.mode();
        if mode != mode_before {
            tracing::info!(
                mode,
                was = mode_before,
                accepted_epoch = self.state.durable.accepted_epoch.0,
                last_zxid = %self.state.durable.last_zxid(),
                "peer role changed"
            );
        }
        self.route(commands);
        if was_serving && !self.state.is_serving() {
            self.stopped_serving();
        }
        if !was_serving && self.state.is_serving() {
            tracing::info!(
                mode,
                epoch = self.state.durable.current_epoch.0,
                last_zxid = %self.state.durable.last_zxid(),
                "serving clients"
            );
            self.answer_held_handshakes();
        }
        answer
    }

    /// Records a line in the trace, if there is one.
    fn trace_line(&mut self, line: TraceLine) {
        self.with_trace(|writer| writer.write(&line));
    }

    /// Runs `write` on the trace writer; a failure stops tracing, not the server.
    fn with_trace(&mut self, write: impl FnOnce(&mut TraceWriter) -> io::Result<()>) {
        if let Some(writer) = self.trace.as_mut() {
            if let Err(error) = write(writer) {
                tracing::error!(%error, "cannot write the trace; tracing stops");
                self.trace = None;
                self.traced_disk = None;
            }
        }
    }

    /// The peer left its leader (or lost its quorum): as ZooKeeper does, every client
    /// connection closes (`ClientConnections::stop_serving`, which the model's driver calls
    /// too), and the clients reconnect to a server that serves, with their sessions. Writes in
    /// flight are answered by nobody: their clients see the connection close and find out on
    /// the next server.
    fn stopped_serving(&mut self) {
        tracing::info!("stopped serving: closing the client connections");
        for connection in self.clients.stop_serving() {
            self.close(
                connection,
                "the server lost its leader; reconnect elsewhere".to_string(),
            );
        }
        self.pending_writes.clear();
    }

    fn route(&mut self, commands: Vec<PeerCommand>) {
        for command in commands {
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
        // A request released by a write or sync of this step runs only now: a read sees the
        // state after the whole step, so its answer must follow the watch events of every txn
        // the step applied, not only of those before the write that released it (a client
        // sees a watch event before the data that fired it). The proofs' driver releases the
        // same way (`drive_commands`).
        for connection in std::mem::take(&mut self.step_releases) {
            self.release_held(connection);
        }
    }

    fn deliver(&mut self, destination: Id, message: Message<Replica>) {
        match message {
            PeerMessage::Applied { zxid, outcome } => {
                let closes_session = matches!(
                    self.txn_at(zxid),
                    zabkeeper_models::tree::Txn::CloseSession(_)
                );
                let closed_watchers = if closes_session {
                    self.connections_of(outcome.client_id)
                } else {
                    Vec::new()
                };
                let events = Replica::watch_events(&outcome);
                for (watcher, event) in self.clients.watches.applied(events, &closed_watchers) {
                    let notification = notification(
                        event.event_type.code(),
                        event.keeper_state.code(),
                        event.path,
                    );
                    self.batch_outbound
                        .push((watcher, Outbound::Reply(notification)));
                }
                if closes_session {
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
            PeerMessage::Synced => {
                let Some(connection) = connection_of(destination) else {
                    return;
                };
                self.synced(connection);
            }
            PeerMessage::SessionRevalidated { session, valid } => {
                let Some(connection) = connection_of(destination) else {
                    return;
                };
                self.session_revalidated(connection, session, valid);
            }
            message => {
                if connection_of(destination).is_some() || usize::from(destination) == APPLY_SINK {
                    tracing::debug!(
                        ?destination,
                        ?message,
                        "dropped a reply of the model's own clients"
                    );
                    return;
                }
                self.batch_peer_outbound
                    .push((server_of(destination), message));
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
                        reconnecting: None,
                        session: None,
                        auth: vec![AuthId::new("ip", &address.ip().to_string())],
                        pending_syncs: VecDeque::new(),
                    },
                );
                self.clients.opened(connection);
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
                self.held_handshakes
                    .retain(|(held, _, _)| *held != connection);
                self.connections.remove(&connection);
                self.clients.closed(connection);
            }
            Event::Peer(PeerEvent::Message { from, message }) => {
                if !self.config.membership.is_voter(from)
                    && !self.config.membership.is_observer(from)
                {
                    tracing::warn!(server = %from, "a message from a server outside the ensemble");
                    return;
                }
                if let PeerMessage::NewLeader(new_leader) = &message {
                    tracing::info!(
                        leader = %from,
                        epoch = new_leader.epoch.0,
                        kind = ?new_leader.kind,
                        txns = new_leader.proposals.len(),
                        snapshot_zxid = ?new_leader.snapshot.as_ref().map(|snapshot| snapshot.zxid),
                        "synchronising with the leader"
                    );
                }
                self.step(TraceEvent::Message {
                    from: usize::from(id_of(from)),
                    message,
                });
            }
            Event::Peer(PeerEvent::Disconnected { server }) => {
                self.step(TraceEvent::PeerDisconnected { server });
            }
        }
    }

    /// The next peer timer's deadline.
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.values().min().copied()
    }

    /// Whether a peer timer's deadline has passed.
    pub fn timer_due(&self) -> bool {
        self.next_timer()
            .is_some_and(|deadline| deadline <= Instant::now())
    }

    /// Hands the peer a reading of the monotonic clock. The server does this before every
    /// batch of events, so that a leader that was paused (or starved) finds its lease run out
    /// before it answers anything that queued up meanwhile.
    pub fn read_clock(&mut self) {
        let now_ms = self.now_ms();
        self.step(TraceEvent::SessionClock { now_ms });
    }

    /// Moves the session clock, then fires every peer timer that is due.
    pub fn on_clock(&mut self) {
        self.read_clock();
        let now = Instant::now();
        let due: Vec<PeerTimer> = self
            .timers
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(timer, _)| *timer)
            .collect();
        for timer in due {
            self.timers.remove(&timer);
            self.step(TraceEvent::Timeout { timer });
        }
        self.close_stale_handshakes(now);
    }

    /// The leader's housekeeping round (ZooKeeper's ContainerManager): the peer proposes the
    /// deletion of emptied containers and expired TTL nodes, judged at the wall time now.
    pub fn housekeeping(&mut self) {
        let wall_time_ms = wall_clock_ms();
        self.step(TraceEvent::Housekeeping { wall_time_ms });
    }

    /// Makes the batch durable, then releases everything it produced, in order.
    pub fn flush(&mut self) -> io::Result<()> {
        let before_step = self.steps;
        if self.config.driver_mutation == Some(DriverMutation::SendBeforeSync) {
            // Seeded bug for trace validation: the batch leaves before it is durable.
            self.release(before_step);
            self.make_durable(before_step)?;
        } else {
            self.make_durable(before_step)?;
            self.release(before_step);
        }
        self.snapshot_if_due()?;
        self.with_trace(TraceWriter::flush);
        Ok(())
    }

    /// Writes and syncs what the batch's steps (all before `before_step`) saved.
    fn make_durable(&mut self, before_step: u64) -> io::Result<()> {
        if std::mem::take(&mut self.batch_saves) {
            let plan = self.disk.plan(&self.state.durable);
            if !plan.is_empty() {
                self.trace_persisting(before_step, &plan);
                self.durability.persist(&plan)?;
            }
        }
        if let Some(disk) = &self.traced_disk {
            let durable = DurableDigest::of(disk);
            self.trace_line(TraceLine::Persisted {
                before_step,
                durable,
            });
        }
        Ok(())
    }

    /// Records a persist about to start, and puts the record in the file before the persist
    /// writes anything: replay must know the plan a crash may have cut short.
    fn trace_persisting(&mut self, before_step: u64, plan: &PersistPlan<Prepared, Database>) {
        let Some(disk) = self.traced_disk.as_mut() else {
            return;
        };
        let plan = trace::hashed_plan(plan);
        for step in &plan.steps {
            if let Err(error) = step.apply_to(disk) {
                panic!("a persist plan applies to the disk it was planned for: {error}");
            }
        }
        self.trace_line(TraceLine::Persisting { before_step, plan });
        self.with_trace(TraceWriter::flush);
    }

    /// Sends what the batch's steps (all before `before_step`) produced: peer messages,
    /// replies, notifications and closes.
    fn release(&mut self, before_step: u64) {
        self.batch_outcomes.clear();
        if let Some(peers) = &self.peers {
            for (server, message) in self.batch_peer_outbound.drain(..) {
                peers.send(server, message);
            }
        } else if !self.batch_peer_outbound.is_empty() {
            unreachable!("a standalone peer sends nothing to peers");
        }
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
                self.clients.closed(connection);
            }
        }
        self.trace_line(TraceLine::Released { before_step });
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
        let Answer::Compacted(Some(snapshot)) = self.step(TraceEvent::Compact) else {
            return Ok(());
        };
        self.disk.compacted(&self.state.durable);
        if let Some(disk) = self.traced_disk.as_mut() {
            trace::compact(disk, snapshot.zxid, snapshot.txn_count);
        }
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
