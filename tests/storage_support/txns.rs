//! Builds txns as a leader would have prepared them (parent cversions, new versions, sequential
//! names) and applies each through the core, keeping the database they lead to.

use std::time::{SystemTime, UNIX_EPOCH};
use zabkeeper::models::replica::{Database, Replica};
use zabkeeper::models::request::{PrepareConfig, Prepared};
use zabkeeper::models::session::SessionConfig;
use zabkeeper::models::tree::{
    sequential_path, Acl, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, SetAclTxn, SetDataTxn, Txn,
};
use zabkeeper::models::zab::{Proposal, StateMachine};
use zabkeeper::models::{Epoch, ServerId, SessionId, Zxid};

pub struct TxnBuilder {
    replica: Replica,
    pub database: Database,
    pub txns: Vec<Prepared>,
    next_zxid: Zxid,
}

impl TxnBuilder {
    pub fn new(epoch: u32) -> TxnBuilder {
        let replica = Replica::new(
            ServerId(1),
            PrepareConfig::default(),
            SessionConfig::with_tick_time(2000),
        );
        TxnBuilder {
            database: replica.initial(),
            replica,
            txns: Vec::new(),
            next_zxid: Zxid::new(Epoch(epoch), 1),
        }
    }

    pub fn last_zxid(&self) -> Zxid {
        self.txns.last().map_or(Zxid::ZERO, |txn| txn.header.zxid)
    }

    /// Prepares `txn` for `session` at the next zxid, timed now, and applies it.
    pub fn push(&mut self, session: i64, txn: Txn) {
        let zxid = self.next_zxid;
        self.next_zxid = zxid.next_in_epoch().expect("far from the end of the epoch");
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as i64;
        let prepared = Prepared {
            header: txn.header(SessionId(session), self.txns.len() as i32, zxid, now_ms),
            txn,
        };
        self.replica.apply(
            &mut self.database,
            &Proposal {
                zxid,
                payload: prepared.clone(),
            },
        );
        self.txns.push(prepared);
    }

    /// The parent's persisted cversion after one more create under it.
    pub fn parent_cversion(&self, path: &str) -> i32 {
        let parent = match path.rfind('/') {
            Some(0) => "/",
            Some(slash) => &path[..slash],
            None => panic!("absolute paths only"),
        };
        self.database
            .tree
            .node(parent)
            .expect("parent exists")
            .persisted_stat
            .cversion
            + 1
    }

    pub fn create_txn(&self, path: &str, data: &[u8], acl: Vec<Acl>, ephemeral: bool) -> CreateTxn {
        CreateTxn {
            path: path.into(),
            data: Some(data.to_vec()),
            acl,
            ephemeral,
            parent_cversion: self.parent_cversion(path),
        }
    }

    pub fn create(
        &mut self,
        session: i64,
        path: &str,
        data: &[u8],
        acl: Vec<Acl>,
        ephemeral: bool,
    ) {
        let txn = Txn::Create(self.create_txn(path, data, acl, ephemeral));
        self.push(session, txn);
    }

    /// A sequential create: the name gets the parent's create count, as the leader names it.
    pub fn create_sequential(&mut self, prefix: &str, data: &[u8]) -> String {
        let parent = &prefix[..prefix.rfind('/').expect("absolute")];
        let parent = if parent.is_empty() { "/" } else { parent };
        let count = self
            .database
            .tree
            .node(parent)
            .expect("parent exists")
            .persisted_stat
            .cversion;
        let path = sequential_path(count, prefix);
        self.create(0, &path, data, Acl::open_unsafe(), false);
        path
    }

    pub fn create_container(&mut self, path: &str) {
        let txn = Txn::CreateContainer(CreateContainerTxn {
            path: path.into(),
            data: Some(Vec::new()),
            acl: Acl::open_unsafe(),
            parent_cversion: self.parent_cversion(path),
        });
        self.push(0, txn);
    }

    pub fn create_ttl(&mut self, path: &str, data: &[u8], ttl_ms: i64) {
        let txn = Txn::CreateTtl(CreateTtlTxn {
            path: path.into(),
            data: Some(data.to_vec()),
            acl: Acl::open_unsafe(),
            parent_cversion: self.parent_cversion(path),
            ttl_ms,
        });
        self.push(0, txn);
    }

    pub fn set_data_txn(&self, path: &str, data: &[u8]) -> SetDataTxn {
        let version = self
            .database
            .tree
            .node(path)
            .expect("exists")
            .persisted_stat
            .version
            + 1;
        SetDataTxn {
            path: path.into(),
            data: Some(data.to_vec()),
            version,
        }
    }

    pub fn set_data(&mut self, path: &str, data: &[u8]) {
        let txn = Txn::SetData(self.set_data_txn(path, data));
        self.push(0, txn);
    }

    pub fn set_acl(&mut self, path: &str, acl: Vec<Acl>) {
        let version = self
            .database
            .tree
            .node(path)
            .expect("exists")
            .persisted_stat
            .aversion
            + 1;
        self.push(
            0,
            Txn::SetAcl(SetAclTxn {
                path: path.into(),
                acl,
                version,
            }),
        );
    }

    pub fn delete(&mut self, path: &str) {
        self.push(0, Txn::Delete(DeleteTxn { path: path.into() }));
    }

    pub fn create_session(&mut self, session: i64, timeout_ms: i32) {
        self.push(session, Txn::CreateSession(CreateSessionTxn { timeout_ms }));
    }

    pub fn close_session(&mut self, session: i64) {
        let paths_to_delete = self.database.tree.ephemerals(SessionId(session));
        self.push(
            session,
            Txn::CloseSession(CloseSessionTxn { paths_to_delete }),
        );
    }
}
