//! Builds txns as a leader would have prepared them (parent cversions, new versions,
//! sequential names, the ephemerals a closeSession removes) and applies each through the
//! core's replica, keeping the database they lead to. Shared by the storage unit tests and the
//! interop tests, so it names only `zabkeeper_models`.

// Each of the two test crates that include this file uses part of it.
#![allow(dead_code)]

use zabkeeper_models::replica::{Database, Replica};
use zabkeeper_models::request::{PrepareConfig, Prepared};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::tree::{
    sequential_path, Acl, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, Id, SetAclTxn, SetDataTxn, Txn,
};
use zabkeeper_models::zab::{Proposal, StateMachine};
use zabkeeper_models::{Epoch, ServerId, SessionId, Zxid};

/// Builds txns that apply cleanly, one after the other, keeping the database they lead to.
pub struct Script {
    pub database: Database,
    pub txns: Vec<Prepared>,
    next_zxid: Zxid,
    time_ms: i64,
}

impl Script {
    pub fn new(epoch: u32) -> Script {
        Script {
            database: replica().initial(),
            txns: Vec::new(),
            next_zxid: Zxid::new(Epoch(epoch), 1),
            time_ms: 1_700_000_000_000,
        }
    }

    /// Continues in a new epoch, as after a leader change.
    pub fn new_epoch(&mut self, epoch: u32) {
        assert!(Epoch(epoch) > self.next_zxid.epoch());
        self.next_zxid = Zxid::new(Epoch(epoch), 1);
    }

    /// The zxid of the last txn, zero before any.
    pub fn last_zxid(&self) -> Zxid {
        self.txns.last().map_or(Zxid::ZERO, |txn| txn.header.zxid)
    }

    pub fn push(&mut self, session: i64, txn: Txn) -> Prepared {
        let zxid = self.next_zxid;
        self.next_zxid = zxid
            .next_in_epoch()
            .expect("tests stay far from the counter's end");
        self.time_ms += 7;
        let prepared = Prepared {
            header: txn.header(SessionId(session), 1, zxid, self.time_ms),
            txn,
        };
        replica().apply(
            &mut self.database,
            &Proposal {
                zxid,
                payload: prepared.clone(),
            },
        );
        self.txns.push(prepared.clone());
        prepared
    }

    fn parent_cversion(&self, path: &str) -> i32 {
        let parent = match path.rfind('/') {
            Some(0) => "/",
            Some(slash) => &path[..slash],
            None => panic!("absolute paths only"),
        };
        self.database
            .tree
            .node(parent)
            .expect("the parent exists")
            .persisted_stat
            .cversion
            + 1
    }

    pub fn create(&mut self, path: &str, data: &[u8]) -> Prepared {
        self.create_with(path, Some(data), Acl::open_unsafe(), 0, false)
    }

    /// A create with data that may be null.
    pub fn create_with(
        &mut self,
        path: &str,
        data: Option<&[u8]>,
        acl: Vec<Acl>,
        session: i64,
        ephemeral: bool,
    ) -> Prepared {
        let txn = Txn::Create(CreateTxn {
            path: path.into(),
            data: data.map(<[u8]>::to_vec),
            acl,
            ephemeral,
            parent_cversion: self.parent_cversion(path),
        });
        self.push(session, txn)
    }

    pub fn create_container(&mut self, path: &str) -> Prepared {
        let txn = Txn::CreateContainer(CreateContainerTxn {
            path: path.into(),
            data: Some(Vec::new()),
            acl: Acl::open_unsafe(),
            parent_cversion: self.parent_cversion(path),
        });
        self.push(0, txn)
    }

    pub fn create_ttl(&mut self, path: &str, ttl_ms: i64) -> Prepared {
        let txn = Txn::CreateTtl(CreateTtlTxn {
            path: path.into(),
            data: Some(b"ttl".to_vec()),
            acl: Acl::open_unsafe(),
            parent_cversion: self.parent_cversion(path),
            ttl_ms,
        });
        self.push(0, txn)
    }

    pub fn set_data(&mut self, path: &str, data: &[u8]) -> Prepared {
        self.set_nullable_data(path, Some(data))
    }

    /// A setData whose data may be null.
    pub fn set_nullable_data(&mut self, path: &str, data: Option<&[u8]>) -> Prepared {
        let version = self
            .database
            .tree
            .node(path)
            .expect("exists")
            .persisted_stat
            .version
            + 1;
        self.push(
            0,
            Txn::SetData(SetDataTxn {
                path: path.into(),
                data: data.map(<[u8]>::to_vec),
                version,
            }),
        )
    }

    pub fn set_acl(&mut self, path: &str, acl: Vec<Acl>) -> Prepared {
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
        )
    }

    pub fn delete(&mut self, path: &str) -> Prepared {
        self.push(0, Txn::Delete(DeleteTxn { path: path.into() }))
    }

    pub fn create_session(&mut self, session: i64, timeout_ms: i32) -> Prepared {
        self.push(session, Txn::CreateSession(CreateSessionTxn { timeout_ms }))
    }

    pub fn close_session(&mut self, session: i64) -> Prepared {
        let paths_to_delete = self.database.tree.ephemerals(SessionId(session));
        self.push(
            session,
            Txn::CloseSession(CloseSessionTxn { paths_to_delete }),
        )
    }

    /// A create's txn for `path`, at the parent's next cversion, not applied.
    pub fn create_txn(&self, path: &str, data: &[u8], acl: Vec<Acl>, ephemeral: bool) -> CreateTxn {
        CreateTxn {
            path: path.into(),
            data: Some(data.to_vec()),
            acl,
            ephemeral,
            parent_cversion: self.parent_cversion(path),
        }
    }

    /// A setData's txn for `path` at its next version, not applied.
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
        self.create(&path, data);
        path
    }

    /// A varied history: sessions, every node kind, data and ACL changes, deletes.
    pub fn varied(epoch: u32) -> Script {
        let mut script = Script::new(epoch);
        script.create_session(0x100, 30_000);
        script.create("/app", b"config");
        script.create("/app/a", b"");
        script.set_data("/app/a", b"one");
        script.create_with("/app/e", Some(b"mine"), Acl::open_unsafe(), 0x100, true);
        script.create_container("/jobs");
        script.create("/jobs/j-0000000000", b"job");
        script.create_ttl("/ttl", 60_000);
        script.set_acl(
            "/app",
            vec![
                Acl::new(31, Id::new("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")),
                Acl::new(1, Id::anyone()),
            ],
        );
        script.create("/gone", b"x");
        script.delete("/gone");
        script.set_data("/app/a", b"two");
        script.create_session(0x200, 10_000);
        script.close_session(0x200);
        script
    }
}

/// The replica the script applies its txns with.
pub fn replica() -> Replica {
    Replica::new(
        ServerId(0),
        PrepareConfig::default(),
        SessionConfig::with_tick_time(2000),
    )
}
