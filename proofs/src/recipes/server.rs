//! A model ZooKeeper server for the recipe checks: one standalone server whose every write goes
//! through the core's real pipeline (`Replica`: request preparation with the session table,
//! `DataTree::apply`) and whose watches are the core's `WatchRegistry`, one-time and fired by
//! the txn's events. Standalone, a write is prepared, committed and applied in one step; ZAB's
//! replication is checked elsewhere, and a recipe sees only the order the server serves in.
//!
//! The checker may expire a session whose client owns an ephemeral node at any moment (a
//! client kill -9, a long pause, a partition): its close goes through the same pipeline, its
//! ephemerals vanish, their watches fire, and its client hears `SessionExpired` later, on its
//! own channel. The server also keeps two auxiliary records for the herd properties.

use stateright::actor::{model_timeout, Actor, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;
use zabkeeper_models::recipes::actor::{RecipeMessage, RecipeTimer};
use zabkeeper_models::recipes::lock::{decide, LockDecision};
use zabkeeper_models::recipes::{Input, Operation};
use zabkeeper_models::replica::{ClientRequest, Database, LeaderPreparation, Replica};
use zabkeeper_models::request::{
    CreateMode, CreateOp, CreateRequest, DeleteRequest, PrepareConfig, WriteRequest,
};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::tree::{Acl, ApplyResult};
use zabkeeper_models::watch::{EventType, WatchRegistry};
use zabkeeper_models::zab::{Proposal, StateMachine};
use zabkeeper_models::{Epoch, ErrorCode, ServerId, SessionId, Zxid};

/// The directory every recipe of a configuration works in.
pub const DIRECTORY: &str = "/lock";
const SESSION_TIMEOUT_MS: i32 = 4000;

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
        let outcome = self.replica.apply(&mut state.database, &proposal);
        self.replica.retire(&mut state.preparation, zxid);
        let notifications = state.watches.trigger(&outcome.events);
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
        if !state.database.sessions.contains_key(&session) {
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
            Operation::GetChildren { path, watch } => {
                let children = state.database.tree.children(&path).unwrap_or_default();
                if watch {
                    state.watches.add_child_watch(&path, &client);
                }
                Input::Children(children)
            }
            Operation::WatchNode { path } => {
                if state.database.tree.contains(&path) {
                    state.watches.add_data_watch(&path, &client);
                    Input::Watching
                } else {
                    Input::NoNode
                }
            }
            Operation::Exists { path, watch } => {
                if watch {
                    state.watches.add_data_watch(&path, &client);
                }
                Input::Exists(state.database.tree.contains(&path))
            }
            Operation::DeleteIfOwned { path } => {
                let owned = state
                    .database
                    .tree
                    .node(&path)
                    .is_some_and(|node| node.persisted_stat.ephemeral_owner == session.0);
                if !owned {
                    return Input::Deleted;
                }
                self.answer(state, client, Operation::Delete { path }, out)
            }
            Operation::Delete { path } => {
                let request = WriteRequest::Delete(DeleteRequest { path, version: -1 });
                match self.submit(state, session, request, out).err {
                    ErrorCode::Ok | ErrorCode::NoNode => Input::Deleted,
                    code => panic!("a recipe's delete failed with {code:?}"),
                }
            }
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
        let preparation = self.replica.start_preparing(&database, 0);
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
        state.watches.remove_watcher(&client);
        let outcome = self.submit(state, *session, WriteRequest::CloseSession, out);
        assert_eq!(outcome.err, ErrorCode::Ok);
        out.send(client, RecipeMessage::Reply(Input::SessionExpired));
    }
}
