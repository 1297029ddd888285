//! A model ZooKeeper server for the recipe checks: one standalone server that runs the core's
//! code the production server runs. Every write goes through the real pipeline (`Replica`:
//! request preparation with the session table, `DataTree::apply`); every read is the core's
//! `Reader` (answers, NoNode, which reads leave a watch); watches are the core's
//! `WatchRegistry`, fired by each applied txn as `WatchRegistry::applied` says. Standalone, a
//! write is prepared, committed and applied in one step; ZAB's replication is checked
//! elsewhere, and a recipe sees only the order the server serves in. Each client actor is one
//! connection: its watcher id is its actor id.
//!
//! The checker may expire a session whose client owns an ephemeral node at any moment (a
//! client kill -9, a long pause, a partition): its close goes through the same pipeline, its
//! ephemerals vanish, their watches fire (the closing client's own too, as the server notifies
//! a session's connection before it closes it), and its client hears `SessionExpired` after,
//! on its own channel. The server also keeps two auxiliary records for the herd properties.

use stateright::actor::{model_timeout, Actor, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::recipes::actor::{RecipeMessage, RecipeTimer};
use zabkeeper_models::recipes::lock::{decide, LockDecision};
use zabkeeper_models::recipes::{Input, Operation};
use zabkeeper_models::replica::{ClientRequest, Database, LeaderPreparation, Replica};
use zabkeeper_models::request::{
    AccessControl, CreateMode, CreateOp, CreateRequest, DeleteRequest, PrepareConfig, Reader,
    WriteRequest,
};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::tree::{Acl, ApplyResult, Txn};
use zabkeeper_models::watch::{EventType, WatchRegistry};
use zabkeeper_models::zab::{Proposal, StateMachine};
use zabkeeper_models::{Epoch, ErrorCode, ServerId, SessionId, Zxid};

/// The directory every recipe of a configuration works in.
pub const DIRECTORY: &str = "/lock";
const SESSION_TIMEOUT_MS: i32 = 4000;
/// The leader clock of every touch and of the preparation: expiry is the checker's choice,
/// not a clock's (txns carry time 0 too).
const CLOCK_MS: u64 = 0;
/// The server's ACL settings: no super user, only the digest scheme (recipe nodes are open).
static OPEN_ACCESS: AccessControl = AccessControl {
    super_digest: None,
    extra_authenticated_schemes: BTreeSet::new(),
};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecipeServer {
    pub replica: Replica,
    /// The client actors, whose sessions exist from the start.
    pub clients: Vec<Id>,
    /// How many sessions the checker may expire.
    pub max_expiries: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecipeServerState {
    pub database: Database,
    preparation: LeaderPreparation,
    watches: WatchRegistry<Id>,
    last_zxid: Zxid,
    pub expiries_left: u8,
    /// A waiting contender was woken by something other than the deletion of the node that
    /// blocked it (the herd effect's signature in the fair recipes).
    pub woke_unblocked_waiter: bool,
    /// One txn woke more than one contender.
    pub woke_several: bool,
}

/// The session of the client actor `client`.
pub fn session_of(client: Id) -> SessionId {
    SessionId(i64::try_from(usize::from(client)).expect("actor ids fit") + 1)
}

impl RecipeServer {
    pub fn new(clients: Vec<Id>, max_expiries: u8) -> RecipeServer {
        let replica = Replica::new(
            ServerId(1),
            PrepareConfig::default(),
            SessionConfig::with_tick_time(2000),
        );
        RecipeServer {
            replica,
            clients,
            max_expiries,
        }
    }

    /// Prepares, applies and retires one write; fires the watches it triggers (sending the
    /// notifications) and records the herd signatures.
    fn submit(
        &self,
        state: &mut RecipeServerState,
        session: SessionId,
        request: WriteRequest,
        out: &mut Out<Self>,
    ) -> ApplyResult {
        let blockers = self.blockers(&state.database);
        let zxid = state.last_zxid.next_in_epoch().expect("few txns");
        state.last_zxid = zxid;
        let request = ClientRequest {
            session,
            cxid: 0,
            owner: self.replica.me,
            auth: Vec::new(),
            time_ms: 0,
            request,
        };
        let prepared =
            self.replica
                .prepare(&state.database, &mut state.preparation, &request, zxid);
        let proposal = Proposal {
            zxid,
            payload: prepared,
        };
        let closes_session = matches!(proposal.payload.txn, Txn::CloseSession(_));
        let outcome = self.replica.apply(&mut state.database, &proposal);
        self.replica.retire(&mut state.preparation, zxid);
        // The closed session's client is its one connection, as the server's
        // `connections_of` finds it.
        let closed_watchers: Vec<Id> = if closes_session {
            self.clients
                .iter()
                .copied()
                .filter(|client| session_of(*client) == session)
                .collect()
        } else {
            Vec::new()
        };
        let notifications = state.watches.applied(&outcome.events, &closed_watchers);
        let mut woken = Vec::new();
        for (watcher, event) in notifications {
            if let Some(blocker) = blockers.get(&watcher) {
                let unblocked =
                    event.event_type == EventType::NodeDeleted && event.path == *blocker;
                state.woke_unblocked_waiter |= !unblocked;
            }
            if !woken.contains(&watcher) {
                woken.push(watcher);
            }
            out.send(
                watcher,
                RecipeMessage::Reply(Input::Notified { path: event.path }),
            );
        }
        state.woke_several |= woken.len() > 1;
        outcome
    }

    /// For each client waiting in a fair recipe, the path of the node that blocks it.
    fn blockers(&self, database: &Database) -> BTreeMap<Id, String> {
        let children = database.tree.children(DIRECTORY).unwrap_or_default();
        let mut blockers = BTreeMap::new();
        for client in &self.clients {
            for path in database.tree.ephemerals(session_of(*client)) {
                let Some(name) = path.strip_prefix(&format!("{DIRECTORY}/")) else {
                    continue;
                };
                if let LockDecision::WaitFor(blocker) = decide(name, &children) {
                    blockers.insert(*client, format!("{DIRECTORY}/{blocker}"));
                }
            }
        }
        blockers
    }

    fn answer(
        &self,
        state: &mut RecipeServerState,
        client: Id,
        operation: Operation,
        out: &mut Out<Self>,
    ) -> Input {
        let session = session_of(client);
        // The server's session check: a request touches its session at the leader, and one of
        // a session it does not know (or is closing) is answered SessionExpired. The model's
        // clock stands still, so the touch postpones no expiry (the checker expires sessions).
        if !self
            .replica
            .touch(&mut state.preparation, &session, CLOCK_MS)
        {
            return Input::SessionExpired;
        }
        match operation {
            Operation::Create { path, sequential } => {
                let mode = if sequential {
                    CreateMode::EphemeralSequential
                } else {
                    CreateMode::Ephemeral
                };
                let request = WriteRequest::Create(CreateRequest {
                    op: CreateOp::Create,
                    path,
                    data: Some(Vec::new()),
                    acl: Acl::open_unsafe(),
                    flags: mode.flag(),
                });
                let outcome = self.submit(state, session, request, out);
                match outcome.err {
                    ErrorCode::Ok => {
                        if state.expiries_left > 0 {
                            out.set_timer(RecipeTimer::ExpireSession(session), model_timeout());
                        }
                        Input::Created {
                            path: outcome.path.expect("a create names its node"),
                        }
                    }
                    code => Input::from_error(code)
                        .unwrap_or_else(|| panic!("a recipe's create failed with {code:?}")),
                }
            }
            // The answers as the client library (`src/client/driver.rs`) reads the server's
            // replies; the replies themselves are the server's, from the core's `Reader`.
            Operation::GetChildren { path, watch } => {
                match Self::reader(state, &client).get_children(&path, watch) {
                    Ok((children, _)) => Input::Children(children),
                    // The directory is gone: nobody is in it (and no watch was left).
                    Err(ErrorCode::NoNode) => Input::Children(Vec::new()),
                    Err(code) => panic!("a recipe's getChildren failed with {code:?}"),
                }
            }
            Operation::WatchNode { path } => {
                match Self::reader(state, &client).get_data(&path, true) {
                    Ok(_) => Input::Watching,
                    Err(ErrorCode::NoNode) => Input::NoNode,
                    Err(code) => panic!("a recipe's getData failed with {code:?}"),
                }
            }
            Operation::Exists { path, watch } => {
                match Self::reader(state, &client).exists(&path, watch) {
                    Ok(_) => Input::Exists(true),
                    Err(ErrorCode::NoNode) => Input::Exists(false),
                    Err(code) => panic!("a recipe's exists failed with {code:?}"),
                }
            }
            Operation::DeleteIfOwned { path } => {
                let stat = match Self::reader(state, &client).exists(&path, false) {
                    Ok(stat) if stat.ephemeral_owner == session.0 => stat,
                    Ok(_) | Err(ErrorCode::NoNode) => return Input::Deleted,
                    Err(code) => panic!("a recipe's exists failed with {code:?}"),
                };
                // Only this session could have changed its own node since: the version holds.
                self.delete(state, session, path, stat.version, out)
            }
            Operation::Delete { path } => self.delete(state, session, path, -1, out),
        }
    }

    /// A delete of `path` at `version` (-1: any).
    fn delete(
        &self,
        state: &mut RecipeServerState,
        session: SessionId,
        path: String,
        version: i32,
        out: &mut Out<Self>,
    ) -> Input {
        let request = WriteRequest::Delete(DeleteRequest { path, version });
        match self.submit(state, session, request, out).err {
            ErrorCode::Ok | ErrorCode::NoNode => Input::Deleted,
            code => panic!("a recipe's delete failed with {code:?}"),
        }
    }

    /// The core's reader, as the server answers a read of `client`'s session: no credentials
    /// (every recipe node is open to all), the server's watches.
    fn reader<'a>(state: &'a mut RecipeServerState, client: &'a Id) -> Reader<'a, Id> {
        Reader {
            tree: &state.database.tree,
            access: &OPEN_ACCESS,
            auth: &[],
            watches: &mut state.watches,
            watcher: client,
            mutations: Mutations::NONE,
        }
    }
}

impl Actor for RecipeServer {
    type Msg = RecipeMessage;
    type Timer = RecipeTimer;
    type State = RecipeServerState;
    type Storage = ();
    type Random = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, out: &mut Out<Self>) -> RecipeServerState {
        let database = self.replica.initial();
        let preparation = self.replica.start_preparing(&database, CLOCK_MS);
        let mut state = RecipeServerState {
            database,
            preparation,
            watches: WatchRegistry::new(),
            last_zxid: Zxid::new(Epoch(1), 0),
            expiries_left: self.max_expiries,
            woke_unblocked_waiter: false,
            woke_several: false,
        };
        for client in &self.clients {
            let request = WriteRequest::CreateSession {
                timeout_ms: SESSION_TIMEOUT_MS,
            };
            let outcome = self.submit(&mut state, session_of(*client), request, out);
            assert_eq!(outcome.err, ErrorCode::Ok);
        }
        let directory = WriteRequest::Create(CreateRequest {
            op: CreateOp::Create,
            path: DIRECTORY.to_string(),
            data: Some(Vec::new()),
            acl: Acl::open_unsafe(),
            flags: CreateMode::Persistent.flag(),
        });
        let first = session_of(self.clients[0]);
        assert_eq!(
            self.submit(&mut state, first, directory, out).err,
            ErrorCode::Ok
        );
        state
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<RecipeServerState>,
        src: Id,
        msg: RecipeMessage,
        out: &mut Out<Self>,
    ) {
        let RecipeMessage::Request(operation) = msg else {
            return;
        };
        let input = self.answer(state.to_mut(), src, operation, out);
        out.send(src, RecipeMessage::Reply(input));
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<RecipeServerState>,
        timer: &RecipeTimer,
        out: &mut Out<Self>,
    ) {
        let RecipeTimer::ExpireSession(session) = timer else {
            return;
        };
        let live = state.database.sessions.contains_key(session);
        if !live || state.expiries_left == 0 || state.database.tree.ephemerals(*session).is_empty()
        {
            return;
        }
        let state = state.to_mut();
        state.expiries_left -= 1;
        let client = *self
            .clients
            .iter()
            .find(|client| session_of(**client) == *session)
            .expect("a client's session");
        let outcome = self.submit(state, *session, WriteRequest::CloseSession, out);
        assert_eq!(outcome.err, ErrorCode::Ok);
        out.send(client, RecipeMessage::Reply(Input::SessionExpired));
    }
}
