//! The session configuration: ZAB peers replicating the real ZooKeeper database
//! ([`Replica`]: request preparation, the leader's session tracker and expiry, the DataTree's
//! `apply`), a client that opens a session and creates an ephemeral node, and a leader whose
//! session clock may run out at any moment. Checks that a session's ephemerals are gone on every
//! server that applied its close, whatever the interleaving of the close, the create, crashes
//! and leader changes; and, with a client that moves its session to another server, that the
//! session's writes are accepted only through the server it moved to.

pub mod client;
pub mod watcher;

use crate::cluster::Cluster;
use crate::driver::{DriverActions, APPLY_SINK, DRIVER_START_MS};
use crate::model::servers;
use crate::properties::{
    applied_state, apply_sink, ephemerals, leadership, prefix_consistency, session_owner,
    watch_order,
};
use crate::system::{Node, NodeState};
use client::{
    SessionClient, EPHEMERAL_CXID, EPHEMERAL_PATH, LATE_CXID, SESSION, SESSION_TIMEOUT_MS,
};
use stateright::actor::{model_timeout, ActorModelState, Id};
use stateright::Expectation::{Always, Sometimes};
use watcher::{SessionActor, SessionActorState, Watcher};
use zabkeeper_models::election::Membership;
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::replica::{ClientRequest, Replica};
use zabkeeper_models::request::{PrepareConfig, WriteRequest};
use zabkeeper_models::session::handshake::SessionIds;
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::tree::Txn;
use zabkeeper_models::zab::{
    Durable, DurableState, ElectionMode, FailureDetection, Peer, Proposal, Role, SessionClockModel,
    Snapshot, StateMachine,
};
use zabkeeper_models::{Epoch, ErrorCode, ServerId, SessionId, Zxid};

/// Every `Sometimes` witness of the session configurations. Without snapshots the snapshot
/// witness holds trivially, and without a moving client the two move witnesses do, so every
/// exhaustive run discovers all of them.
pub const WITNESSES: &[&str] = &[
    CREATE_AFTER_EXPIRY_REFUSED,
    EPHEMERAL_CREATED,
    EXPIRY_REMOVED_EPHEMERAL,
    LATE_WRITE_REFUSED,
    MOVED_WRITE_ACCEPTED,
    SNAPSHOT_SENT,
    WATCH_EVENT_THEN_DATA,
    WATCH_CARRIED_ACROSS_RECONNECT,
    WATCH_CARRIED_ACROSS_LEADER_CHANGE,
];

pub type SessionNode = Node<Replica, SessionActor>;
pub type SessionNodeState = NodeState<Replica, SessionActorState>;
pub type SessionModel = Cluster<SessionNode, SessionModelConfig, ()>;
pub type SessionModelState = ActorModelState<SessionNode, ()>;

#[derive(Clone, Debug)]
pub struct SessionModelConfig {
    pub voters: usize,
    /// The server the client connects to.
    pub client_server: usize,
    /// The session's client runs (it opens the session and creates the ephemeral); off where
    /// a configuration checks a watcher alone.
    pub session_client: bool,
    /// The server the client reconnects through once its session is open (see
    /// [`SessionClient::moves_to`]); `None` keeps it on `client_server`.
    pub client_moves_to: Option<usize>,
    /// A watcher on this server (see [`Watcher`]): it watches the ephemeral's path with
    /// `exists`, then reads it `watcher_reads - 1` more times.
    pub watcher_server: Option<usize>,
    pub watcher_reads: u8,
    /// The watcher opens session 2 and creates the node it watches itself, `/w`, instead of
    /// watching the ephemeral.
    pub watcher_creates: bool,
    /// The watcher's watch is a child watch on the node's parent (getChildren with a watch)
    /// instead of an exists watch on the node (see [`Watcher::watches_children`]).
    pub watcher_watches_children: bool,
    /// A creating watcher whose connection its server closes reconnects through this server
    /// (see [`Watcher::reconnects_to`]).
    pub watcher_reconnects_to: Option<usize>,
    /// Only this server's driver may report lost quorum connections (`driver.disconnects`);
    /// `None`: every server's.
    pub lost_links_on: Option<usize>,
    pub max_crashes: usize,
    pub max_restarts: u32,
    pub lossy: bool,
    pub failure_detection: Option<FailureDetection>,
    /// How a LOOKING server finds its leader: the checker's oracle, or Fast Leader Election as
    /// the server runs it.
    pub election_mode: ElectionMode,
    pub max_epoch: u32,
    /// No server starts an election round above this.
    pub max_election_epoch: u64,
    pub max_in_flight: usize,
    /// How many confirmation rounds each leader may start. Under `Heartbeat` failure detection
    /// (the server's) every leader tick starts one, so the count grows for as long as a leader
    /// leads; the bound keeps the search finite. `u64::MAX` where rounds do not grow.
    pub max_leader_rounds: u64,
    /// Every server's disk starts with the session's createSession logged in epoch 1, so the
    /// search starts where the session exists (see [`session_disk`]).
    pub session_exists: bool,
    /// Epoch 1 ended with the session's closeSession logged on server 0 only, uncommitted (see
    /// [`close_in_flight_disk`]): the first leader of the run either commits the close or
    /// truncates it, while the client's create races it. Implies `session_exists`.
    pub close_in_flight: bool,
    /// Server 0 starts from a snapshot holding the session's createSession, server 1 with that
    /// txn in its log, server 2 empty: a leader with a snapshot SNAPs a learner with it, and
    /// restarts start from it (see [`snapshot_disk`]). Implies `session_exists`.
    pub snapshot_disks: bool,
    /// How many steps of a session timeout each leader's clock may advance.
    pub clock_steps: u64,
    /// What the checker may make the drivers do: every server may compact, report lost links
    /// and run housekeeping as configured, and the client's servers touch its session.
    pub driver: DriverActions<SessionId>,
    pub mutations: Mutations,
}

impl SessionModelConfig {
    /// Three voters under an election oracle, a client on a follower-to-be, one clock step.
    pub fn three_voters() -> SessionModelConfig {
        SessionModelConfig {
            voters: 3,
            client_server: 1,
            session_client: true,
            client_moves_to: None,
            watcher_server: None,
            watcher_reads: 3,
            watcher_creates: false,
            watcher_watches_children: false,
            watcher_reconnects_to: None,
            lost_links_on: None,
            max_crashes: 0,
            max_restarts: 0,
            lossy: false,
            failure_detection: None,
            election_mode: ElectionMode::Oracle,
            max_epoch: 2,
            max_election_epoch: 2,
            max_in_flight: 12,
            max_leader_rounds: u64::MAX,
            session_exists: false,
            close_in_flight: false,
            snapshot_disks: false,
            clock_steps: 1,
            driver: DriverActions::default(),
            mutations: Mutations::NONE,
        }
    }

    pub fn into_model(self) -> SessionModel {
        // The properties name the sessions by the ids the servers' drivers give them.
        let first_session_id =
            |server: usize| SessionIds::default().next(ServerId(server as u64), DRIVER_START_MS);
        let session_preset = self.session_exists || self.close_in_flight || self.snapshot_disks;
        if !session_preset {
            assert_eq!(first_session_id(self.client_server), SESSION);
        }
        if self.watcher_creates {
            let server = self
                .watcher_server
                .expect("a creating watcher has a server");
            assert_eq!(first_session_id(server), WATCHER_SESSION);
            // A server's sequence starts again when it restarts: two clients opening sessions
            // through one server could be given one id.
            assert!(
                session_preset || server != self.client_server,
                "one session opened per server"
            );
        }
        assert!(
            self.watcher_reconnects_to.is_none() || self.watcher_creates,
            "only a watcher with a session reconnects"
        );
        let membership = Membership::new((0..self.voters).map(|index| ServerId(index as u64)), []);
        let sessions = SessionConfig {
            tick_time_ms: 1000,
            session_timeout_ms_min: SESSION_TIMEOUT_MS,
            session_timeout_ms_max: SESSION_TIMEOUT_MS,
        };
        let mut model = Cluster::new(self.clone(), ());
        for index in 0..self.voters {
            let me = ServerId(index as u64);
            let mut replica = Replica::new(me, PrepareConfig::default(), sessions);
            replica.mutations = self.mutations;
            let mut peer = Peer::new(me, membership.clone(), replica);
            peer.election_mode = self.election_mode;
            peer.tick = self.failure_detection.map(|_| model_timeout());
            if let Some(detection) = self.failure_detection {
                peer.failure_detection = detection;
            }
            peer.settle = model_timeout();
            // A step past a whole timeout expires every session the leader tracked before it.
            let step_ms = SESSION_TIMEOUT_MS as u64 + 2 * sessions.tick_time_ms;
            peer.session_clock = Some(SessionClockModel {
                step_ms,
                end_ms: step_ms * self.clock_steps,
            });
            peer.mutations = self.mutations;
            let disk = if self.snapshot_disks {
                match index {
                    0 => Some(snapshot_disk(&peer.machine)),
                    1 => Some(session_disk(&peer.machine)),
                    _ => None,
                }
            } else if self.close_in_flight && index == 0 {
                Some(close_in_flight_disk(&peer.machine))
            } else {
                (self.session_exists || self.close_in_flight).then(|| session_disk(&peer.machine))
            };
            peer.apply_sink = Some(Id::from(APPLY_SINK));
            let mut driver = self.driver.clone();
            let client_servers = [Some(self.client_server), self.client_moves_to];
            if !client_servers.contains(&Some(index)) {
                driver.touched_session = None;
            }
            if self.lost_links_on.is_some_and(|server| server != index) {
                driver.disconnects = 0;
            }
            model = model.actor(Node::Server(peer, disk, driver));
        }
        if self.session_client {
            model = model.actor(Node::Client(SessionActor::Session(SessionClient {
                server: Id::from(self.client_server),
                session_exists: session_preset,
                moves_to: self.client_moves_to.map(Id::from),
            })));
        }
        if let Some(server) = self.watcher_server {
            model = model.actor(Node::Client(SessionActor::Watcher(Watcher {
                server: Id::from(server),
                path: if self.watcher_creates {
                    WATCHED_PATH
                } else {
                    EPHEMERAL_PATH
                },
                reads: self.watcher_reads,
                creates_with: self.watcher_creates.then_some(WATCHER_SESSION),
                watches_children: self.watcher_watches_children,
                reconnects_to: self.watcher_reconnects_to.map(Id::from),
            })));
        }
        model
            .lossy(self.lossy)
            .max_crashes(self.max_crashes)
            .within_boundary(within_boundary)
            .property(Always, leadership::LIVE_NAME, |_, state| {
                leadership::live_leaders_unique(state)
            })
            .property(Always, prefix_consistency::NAME, |_, state| {
                prefix_consistency::holds(state)
            })
            .property(Always, applied_state::NAME, |model, state| {
                applied_state::holds(&model.actors, state)
            })
            .property(Always, ephemerals::NAME, |_, state| {
                ephemerals::holds(state)
            })
            .property(Always, session_owner::NAME, |_, state| {
                session_owner::holds(state)
            })
            .property(Always, apply_sink::NAME, |_, state| {
                apply_sink::holds(state)
            })
            .property(Always, watch_order::NAME, |_, state| {
                watch_order::holds(state)
            })
            .property(Sometimes, WATCH_EVENT_THEN_DATA, |model, state| {
                // Only a watcher can reach it; without one it holds at once.
                model.cfg.watcher_server.is_none() || watch_order::event_then_data(state)
            })
            .property(Sometimes, WATCH_CARRIED_ACROSS_RECONNECT, |model, state| {
                // Only a reconnecting watcher can reach it; without one it holds at once.
                model.cfg.watcher_reconnects_to.is_none()
                    || watch_order::event_after_reconnect(state)
            })
            .property(
                Sometimes,
                WATCH_CARRIED_ACROSS_LEADER_CHANGE,
                |model, state| {
                    // Only a reconnecting watcher whose server can lose its quorum reaches it;
                    // without one it holds at once.
                    model.cfg.watcher_reconnects_to.is_none()
                        || (watch_order::event_after_reconnect(state)
                            && servers(state)
                                .any(|(_, server)| server.established_epoch() > Some(Epoch(1))))
                },
            )
            .property(Sometimes, EPHEMERAL_CREATED, |_, state| {
                servers(state).any(|(_, server)| server.applied.tree.contains(EPHEMERAL_PATH))
            })
            .property(Sometimes, EXPIRY_REMOVED_EPHEMERAL, |_, state| {
                expiry_removed_ephemeral(state)
            })
            .property(Sometimes, CREATE_AFTER_EXPIRY_REFUSED, |_, state| {
                create_after_expiry_refused(state)
            })
            .property(Sometimes, MOVED_WRITE_ACCEPTED, |model, state| {
                // Only a moving client can reach these two; without one they hold at once, as
                // SNAPSHOT_SENT below does without snapshots.
                model.cfg.client_moves_to.is_none()
                    || session_write_ended(state, EPHEMERAL_CXID, None)
            })
            .property(Sometimes, LATE_WRITE_REFUSED, |model, state| {
                model.cfg.client_moves_to.is_none()
                    || session_write_ended(state, LATE_CXID, Some(ErrorCode::SessionMoved))
            })
            .property(Sometimes, SNAPSHOT_SENT, |model, state| {
                // Only configurations with snapshots can reach it; the others report it as a
                // witness they are not expected to find, so it is checked only where it counts.
                !model.cfg.snapshot_disks
                    || servers(state)
                        .any(|(index, server)| index != 0 && server.durable.snapshot.is_some())
            })
    }
}

/// A disk after epoch 1 logged the client's createSession (on every server, so whichever
/// leader comes next commits it).
pub fn session_disk(replica: &Replica) -> Durable<Replica> {
    let request = replica
        .create_session_request(SESSION, ServerId(0), SESSION_TIMEOUT_MS)
        .expect("the database replicates sessions");
    let zxid = Zxid::new(Epoch(1), 1);
    let mut preparation = replica.start_preparing(&replica.initial(), 0);
    let payload = replica.prepare(&replica.initial(), &mut preparation, &request, zxid);
    DurableState {
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        snapshot: None,
        history: vec![Proposal { zxid, payload }].into(),
        incarnation: 0,
    }
}

/// [`session_disk`] with its txn folded into a snapshot: the same durable content as a server
/// that took a snapshot after the createSession committed.
pub fn snapshot_disk(replica: &Replica) -> Durable<Replica> {
    let logged = session_disk(replica);
    let mut applied = replica.initial();
    for proposal in logged.history.iter() {
        replica.apply(&mut applied, proposal);
    }
    DurableState {
        snapshot: Some(std::sync::Arc::new(Snapshot {
            zxid: logged.last_zxid(),
            txn_count: logged.history.len() as u64,
            applied,
        })),
        history: Vec::new().into(),
        ..logged
    }
}

/// [`session_disk`] plus the session's closeSession as txn 2 of epoch 1, which only this
/// server logged before epoch 1 ended.
pub fn close_in_flight_disk(replica: &Replica) -> Durable<Replica> {
    let mut disk = session_disk(replica);
    let mut applied = replica.initial();
    replica.apply(&mut applied, &disk.history[0]);
    let mut preparation = replica.start_preparing(&applied, 0);
    let close = ClientRequest {
        session: SESSION,
        cxid: 0,
        owner: replica.me,
        auth: Vec::new(),
        time_ms: 0,
        request: WriteRequest::CloseSession,
    };
    let zxid = Zxid::new(Epoch(1), 2);
    let payload = replica.prepare(&applied, &mut preparation, &close, zxid);
    disk.append(Proposal { zxid, payload });
    disk
}

/// The safety (`Always`) properties of the session model.
pub const SAFETY: &[&str] = &[
    leadership::LIVE_NAME,
    prefix_consistency::NAME,
    applied_state::NAME,
    ephemerals::NAME,
    session_owner::NAME,
    watch_order::NAME,
];

pub const MOVED_WRITE_ACCEPTED: &str =
    "a moved session's write through the server it moved to is accepted";
pub const LATE_WRITE_REFUSED: &str =
    "a late write through the server the session left is refused with SessionMoved";
pub const SNAPSHOT_SENT: &str = "a learner synced by a SNAP carrying the leader's snapshot";
/// The node a creating watcher watches and creates, and the session it opens to do so.
pub const WATCHED_PATH: &str = "/w";
pub const WATCHER_SESSION: SessionId = SessionId((2 << 56) | (1 << 16));
pub const WATCH_EVENT_THEN_DATA: &str =
    "a watcher gets the event of the node's change, then reads the changed node";
pub const WATCH_CARRIED_ACROSS_RECONNECT: &str =
    "a watcher whose connection closed gets its watch's event through the server it reconnected to";
pub const WATCH_CARRIED_ACROSS_LEADER_CHANGE: &str =
    "a reconnected watcher gets its watch's event while a leader of a later epoch leads";
pub const EPHEMERAL_CREATED: &str = "an ephemeral node is created";
pub const EXPIRY_REMOVED_EPHEMERAL: &str =
    "the session expires and its ephemeral is gone on every server";
pub const CREATE_AFTER_EXPIRY_REFUSED: &str =
    "a create that arrives after the session expired gets SessionExpired";

/// Every server applied a closeSession that deleted the ephemeral.
fn expiry_removed_ephemeral(state: &SessionModelState) -> bool {
    servers(state).all(|(_, server)| {
        server.delivered().iter().any(|proposal| {
            proposal.payload.header.client_id == SESSION
                && matches!(&proposal.payload.txn, Txn::CloseSession(close)
                    if close.paths_to_delete.iter().any(|path| path == EPHEMERAL_PATH))
        })
    })
}

/// Some server applied the session's txn of `cxid`, ending with `error` (`None`: accepted).
fn session_write_ended(state: &SessionModelState, cxid: i32, error: Option<ErrorCode>) -> bool {
    servers(state).any(|(_, server)| {
        server.delivered().iter().any(|proposal| {
            proposal.payload.header.client_id == SESSION
                && proposal.payload.header.cxid == cxid
                && proposal.payload.error() == error
        })
    })
}

fn create_after_expiry_refused(state: &SessionModelState) -> bool {
    servers(state).any(|(_, server)| {
        server.delivered().iter().any(|proposal| {
            proposal.payload.header.cxid == 1
                && proposal.payload.error() == Some(ErrorCode::SessionExpired)
        })
    })
}

fn within_boundary(config: &SessionModelConfig, state: &SessionModelState) -> bool {
    let mut restarts = 0;
    for (_, server) in servers(state) {
        if server.durable.accepted_epoch.0 > config.max_epoch
            || server.election_epoch > config.max_election_epoch
        {
            return false;
        }
        restarts += server.durable.incarnation.saturating_sub(1);
        if let Role::Leading(leadership) = &server.role {
            if leadership.confirmation.started_round > config.max_leader_rounds {
                return false;
            }
        }
    }
    let clients_up = state
        .actor_states
        .iter()
        .zip(&state.crashed)
        .all(|(actor, crashed)| !crashed || matches!(**actor, NodeState::Server(..)));
    restarts <= config.max_restarts && clients_up && state.network.len() <= config.max_in_flight
}
