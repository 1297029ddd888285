//! ZooKeeper's replicated database as the state machine a ZAB peer runs: the leader prepares
//! client requests into txns ([`Preparer`], with the [`SessionTable`] deciding expiry) and
//! every server applies committed txns to its [`DataTree`] and session list. This is the
//! pipeline of ZooKeeper's `PrepRequestProcessor` → proposal → `FinalRequestProcessor`, with
//! every decision in this crate; the server only adds connections, disks and clocks.

use crate::ids::{ServerId, SessionId, Zxid};
use crate::mutation::Mutations;
use crate::request::{PrepareConfig, Prepared, Preparer, RequestContext, WriteRequest};
use crate::session::{SessionConfig, SessionTable};
use crate::tree::{ApplyResult, DataTree, Id, Txn};
use crate::watch::EventType;
use crate::zab::{Proposal, StateMachine};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What applying committed txns builds on every server (ZooKeeper's `ZKDatabase`): the tree
/// and the live sessions with their timeouts (both go into a snapshot).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Database {
    pub tree: DataTree,
    pub sessions: BTreeMap<SessionId, i32>,
}

/// A client's write as the server it is connected to submits it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientRequest {
    pub session: SessionId,
    pub cxid: i32,
    /// The server holding the client's connection (ZooKeeper's request owner).
    pub owner: ServerId,
    /// The session's authenticated ids (see [`RequestContext::auth`]).
    pub auth: Vec<Id>,
    /// The accepting server's wall clock: the txn's time (ctime, mtime). ZooKeeper takes the
    /// leader's; the difference is clock skew between servers, which ZooKeeper's times do not
    /// guard against either.
    pub time_ms: i64,
    pub request: WriteRequest,
}

/// An established leader's preparation state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LeaderPreparation {
    pub preparer: Preparer,
    pub sessions: SessionTable,
    /// The leader's monotonic clock as last reported (see [`StateMachine::on_clock`]).
    pub now_ms: u64,
    /// The latest wall time a request carried: the time of txns the leader submits itself.
    pub time_ms: i64,
}

/// The ZooKeeper database as replicated state, with its configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Replica {
    pub me: ServerId,
    pub prepare: PrepareConfig,
    pub sessions: SessionConfig,
    /// Seeded bugs for `proofs/`; the server runs with `Mutations::NONE`.
    pub mutations: Mutations,
}

impl Replica {
    pub fn new(me: ServerId, prepare: PrepareConfig, sessions: SessionConfig) -> Replica {
        Replica {
            me,
            prepare,
            sessions,
            mutations: Mutations::NONE,
        }
    }
}

impl StateMachine for Replica {
    type Request = ClientRequest;
    type Txn = Prepared;
    type Applied = Database;
    type Outcome = ApplyResult;
    type Preparation = LeaderPreparation;
    type Session = SessionId;

    fn initial(&self) -> Database {
        Database {
            tree: DataTree::new(),
            sessions: BTreeMap::new(),
        }
    }

    fn apply(&self, applied: &mut Database, proposal: &Proposal<Prepared>) -> ApplyResult {
        let Prepared { header, txn } = &proposal.payload;
        assert_eq!(
            header.zxid, proposal.zxid,
            "a txn is applied under the zxid it was prepared for"
        );
        let outcome = applied.tree.apply(header, txn);
        match txn {
            Txn::CreateSession(create) => {
                applied.sessions.insert(header.client_id, create.timeout_ms);
            }
            Txn::CloseSession(_) => {
                applied.sessions.remove(&header.client_id);
            }
            _ => {}
        }
        outcome
    }

    fn start_preparing(&self, applied: &Database, now_ms: u64) -> LeaderPreparation {
        // Every session gets a full timeout from now: the new leader cannot know when the old
        // one last heard from it (ZooKeeper's new leader does the same).
        let mut sessions = SessionTable::new(self.sessions, now_ms);
        for (session, timeout_ms) in &applied.sessions {
            sessions.track(*session, *timeout_ms, now_ms);
        }
        LeaderPreparation {
            preparer: Preparer::new(self.prepare.clone()),
            sessions,
            now_ms,
            time_ms: 0,
        }
    }

    fn prepare(
        &self,
        applied: &Database,
        preparation: &mut LeaderPreparation,
        request: &ClientRequest,
        zxid: Zxid,
    ) -> Prepared {
        preparation.time_ms = preparation.time_ms.max(request.time_ms);
        if self.mutations.owner_follows_requests && request.session.0 != 0 {
            // Seeded bug: the session follows its requests, so none is ever refused SessionMoved.
            let _ = preparation
                .sessions
                .set_owner(request.session, request.owner);
        }
        let context = RequestContext {
            session: request.session,
            cxid: request.cxid,
            owner: request.owner,
            auth: request.auth.clone(),
            zxid,
            time_ms: request.time_ms,
            now_ms: preparation.now_ms,
        };
        let prepared = preparation.preparer.prepare(
            &applied.tree,
            &mut preparation.sessions,
            &context,
            &request.request,
        );
        if self.mutations.close_leaves_session_open
            && matches!(request.request, WriteRequest::CloseSession)
        {
            // Seeded bug: the leader forgets that the session is closing, so a create that
            // arrives after the close is prepared as if the session lived (ZOOKEEPER-1208).
            let sessions = &mut preparation.sessions;
            if let Some(timeout_ms) = sessions.get(request.session).map(|s| s.timeout_ms) {
                sessions.remove(request.session);
                sessions.track(request.session, timeout_ms, preparation.now_ms);
            }
        }
        prepared
    }

    fn retire(&self, preparation: &mut LeaderPreparation, zxid: Zxid) {
        preparation.preparer.on_applied(zxid);
    }

    fn on_clock(&self, preparation: &mut LeaderPreparation, now_ms: u64) -> Vec<ClientRequest> {
        preparation.now_ms = preparation.now_ms.max(now_ms);
        preparation
            .sessions
            .expired(preparation.now_ms)
            .into_iter()
            .map(|session| ClientRequest {
                session,
                // ZooKeeper's expirer submits the close with cxid 0 under the leader's name.
                cxid: 0,
                owner: self.me,
                auth: Vec::new(),
                time_ms: preparation.time_ms,
                request: WriteRequest::CloseSession,
            })
            .collect()
    }

    fn housekeeping(
        &self,
        applied: &Database,
        preparation: &mut LeaderPreparation,
        wall_time_ms: i64,
    ) -> Vec<ClientRequest> {
        applied
            .tree
            .reapable(wall_time_ms)
            .into_iter()
            // Submitted as ZooKeeper's ContainerManager submits them: session 0, cxid 0, under
            // the leader's name. Preparation checks again against outstanding changes: a node
            // that got a child meanwhile is answered NotEmpty and stays.
            .map(|path| ClientRequest {
                session: SessionId(0),
                cxid: 0,
                owner: self.me,
                auth: Vec::new(),
                time_ms: preparation.time_ms.max(wall_time_ms),
                request: WriteRequest::DeleteContainer { path },
            })
            .collect()
    }

    fn touch(&self, preparation: &mut LeaderPreparation, session: &SessionId, now_ms: u64) -> bool {
        preparation.now_ms = preparation.now_ms.max(now_ms);
        preparation.sessions.touch(*session, preparation.now_ms)
    }

    fn revalidate(
        &self,
        preparation: &mut LeaderPreparation,
        session: &SessionId,
        owner: ServerId,
        now_ms: u64,
    ) -> bool {
        preparation.now_ms = preparation.now_ms.max(now_ms);
        if self.mutations.revalidation_keeps_owner {
            // Seeded bug: the session lives on, but stays bound to the server it left.
            return preparation.sessions.touch(*session, preparation.now_ms);
        }
        preparation
            .sessions
            .revalidate(*session, owner, preparation.now_ms)
    }

    fn answers(&self, request: &ClientRequest, txn: &Prepared) -> bool {
        txn.header.client_id == request.session && txn.header.cxid == request.cxid
    }

    fn data_tree(applied: &Database) -> Option<&DataTree> {
        Some(&applied.tree)
    }

    fn watch_events(outcome: &ApplyResult) -> &[(EventType, String)] {
        &outcome.events
    }

    fn session_named(id: SessionId) -> SessionId {
        id
    }

    fn session_timeout_ms(applied: &Database, session: SessionId) -> Option<i32> {
        applied.sessions.get(&session).copied()
    }

    fn session_config(&self) -> SessionConfig {
        self.sessions
    }

    fn request_op_code(request: &ClientRequest) -> i32 {
        request.request.op_code()
    }

    fn create_session_request(
        &self,
        session: SessionId,
        owner: ServerId,
        timeout_ms: i32,
    ) -> Option<ClientRequest> {
        Some(ClientRequest {
            session,
            cxid: 0,
            owner,
            auth: Vec::new(),
            time_ms: 0,
            request: WriteRequest::CreateSession { timeout_ms },
        })
    }
}
