//! A leader's request pipeline in miniature: tree, session table and preparer, with zxids handed
//! out in order and txns applied the way the driver must (apply, then `on_applied`).

#![allow(dead_code)]

pub mod agreement;

use zabkeeper_models::ids::{Epoch, ServerId, SessionId, Zxid};
use zabkeeper_models::request::{PrepareConfig, Prepared, Preparer, RequestContext, WriteRequest};
use zabkeeper_models::session::{SessionConfig, SessionTable};
use zabkeeper_models::tree::{ApplyResult, DataTree, Id, Txn};

pub const LEADER: ServerId = ServerId(1);
pub const SESSION: SessionId = SessionId(0x0100_0000_0000_0001);
pub const OTHER_SESSION: SessionId = SessionId(0x0100_0000_0000_0002);
pub const TIME_MS: i64 = 1_700_000_000_000;

pub struct Pipeline {
    pub tree: DataTree,
    pub sessions: SessionTable,
    pub preparer: Preparer,
    pub last_counter: u32,
    pub now_ms: u64,
}

impl Pipeline {
    pub fn new() -> Pipeline {
        Pipeline::with_config(PrepareConfig::default())
    }

    pub fn with_config(config: PrepareConfig) -> Pipeline {
        let mut sessions = SessionTable::new(SessionConfig::with_tick_time(2000), 0);
        sessions.track(SESSION, 30_000, 0);
        sessions.track(OTHER_SESSION, 30_000, 0);
        Pipeline {
            tree: DataTree::new(),
            sessions,
            preparer: Preparer::new(config),
            last_counter: 0,
            now_ms: 0,
        }
    }

    pub fn context(&mut self, session: SessionId, auth: &[Id]) -> RequestContext {
        self.last_counter += 1;
        RequestContext {
            session,
            cxid: self.last_counter as i32,
            owner: LEADER,
            auth: auth.to_vec(),
            zxid: Zxid::new(Epoch(1), self.last_counter),
            time_ms: TIME_MS + i64::from(self.last_counter),
            now_ms: self.now_ms,
        }
    }

    pub fn next_zxid(&self) -> Zxid {
        Zxid::new(Epoch(1), self.last_counter + 1)
    }

    /// Prepares as [`SESSION`] with the ip id every connection has.
    pub fn prepare(&mut self, request: WriteRequest) -> Prepared {
        self.prepare_as(SESSION, &[Id::new("ip", "127.0.0.1")], request)
    }

    pub fn prepare_as(
        &mut self,
        session: SessionId,
        auth: &[Id],
        request: WriteRequest,
    ) -> Prepared {
        let context = self.context(session, auth);
        self.preparer
            .prepare(&self.tree, &mut self.sessions, &context, &request)
    }

    /// Applies a prepared txn as the driver does after commit.
    pub fn apply(&mut self, prepared: &Prepared) -> ApplyResult {
        let result = self.tree.apply(&prepared.header, &prepared.txn);
        self.preparer.on_applied(prepared.header.zxid);
        if let Txn::CloseSession(_) = prepared.txn {
            self.sessions.remove(prepared.header.client_id);
        }
        result
    }

    /// Prepares and applies at once.
    pub fn run(&mut self, request: WriteRequest) -> (Prepared, ApplyResult) {
        let prepared = self.prepare(request);
        let result = self.apply(&prepared);
        (prepared, result)
    }
}
