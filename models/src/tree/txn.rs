//! ZooKeeper's txn records (`org.apache.zookeeper.txn` in `zookeeper.jute`): what the leader
//! proposes, every server logs, and [`super::DataTree::apply`] applies. Field order and meaning
//! follow the jute records so the storage layer can encode them unchanged.

use super::acl::Acl;
use super::NodeData;
use crate::error::ErrorCode;
use crate::ids::{SessionId, Zxid};
use serde::{Deserialize, Serialize};

/// Request and txn type codes (`ZooDefs.OpCode`).
pub mod op_code {
    pub const NOTIFICATION: i32 = 0;
    pub const CREATE: i32 = 1;
    pub const DELETE: i32 = 2;
    pub const EXISTS: i32 = 3;
    pub const GET_DATA: i32 = 4;
    pub const SET_DATA: i32 = 5;
    pub const GET_ACL: i32 = 6;
    pub const SET_ACL: i32 = 7;
    pub const GET_CHILDREN: i32 = 8;
    pub const SYNC: i32 = 9;
    pub const PING: i32 = 11;
    pub const GET_CHILDREN2: i32 = 12;
    pub const CHECK: i32 = 13;
    pub const MULTI: i32 = 14;
    pub const CREATE2: i32 = 15;
    pub const RECONFIG: i32 = 16;
    pub const CHECK_WATCHES: i32 = 17;
    pub const REMOVE_WATCHES: i32 = 18;
    pub const CREATE_CONTAINER: i32 = 19;
    pub const DELETE_CONTAINER: i32 = 20;
    pub const CREATE_TTL: i32 = 21;
    pub const MULTI_READ: i32 = 22;
    pub const AUTH: i32 = 100;
    pub const SET_WATCHES: i32 = 101;
    pub const SASL: i32 = 102;
    pub const GET_EPHEMERALS: i32 = 103;
    pub const GET_ALL_CHILDREN_NUMBER: i32 = 104;
    pub const SET_WATCHES2: i32 = 105;
    pub const ADD_WATCH: i32 = 106;
    pub const WHO_AM_I: i32 = 107;
    pub const CREATE_SESSION: i32 = -10;
    pub const CLOSE_SESSION: i32 = -11;
    pub const ERROR: i32 = -1;
}

/// Every logged txn starts with this header. `client_id` is the session that sent the request
/// (the owner of ephemerals it creates, the session a closeSession ends); `time_ms` is the
/// leader's wall clock when it prepared the txn, the only time the tree ever sees.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TxnHeader {
    pub client_id: SessionId,
    pub cxid: i32,
    pub zxid: Zxid,
    pub time_ms: i64,
    /// The [`op_code`] of the txn; must equal [`Txn::txn_type`].
    pub txn_type: i32,
}

/// `CreateTxn`: a persistent or ephemeral node (sequential names are already resolved in
/// `path`). `parent_cversion` is the parent's persisted cversion after this create, computed at
/// prep time; -1 means "the current one plus one" (old logs).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CreateTxn {
    pub path: String,
    pub data: NodeData,
    pub acl: Vec<Acl>,
    pub ephemeral: bool,
    pub parent_cversion: i32,
}

/// `CreateContainerTxn`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CreateContainerTxn {
    pub path: String,
    pub data: NodeData,
    pub acl: Vec<Acl>,
    pub parent_cversion: i32,
}

/// `CreateTTLTxn`. `ttl_ms` must be in `1..=TTL_MS_MAX` (checked at prep time).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CreateTtlTxn {
    pub path: String,
    pub data: NodeData,
    pub acl: Vec<Acl>,
    pub parent_cversion: i32,
    pub ttl_ms: i64,
}

/// `DeleteTxn`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeleteTxn {
    pub path: String,
}

/// `SetDataTxn`. `version` is the node's new data version (the checked one plus one).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SetDataTxn {
    pub path: String,
    pub data: NodeData,
    pub version: i32,
}

/// `CheckVersionTxn`: a multi's version check that passed at prep time; applying it changes
/// nothing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CheckVersionTxn {
    pub path: String,
    pub version: i32,
}

/// `SetACLTxn`. `version` is the node's new ACL version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SetAclTxn {
    pub path: String,
    pub acl: Vec<Acl>,
    pub version: i32,
}

/// `CreateSessionTxn`: the tree is untouched; the session table records it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CreateSessionTxn {
    pub timeout_ms: i32,
}

/// `CloseSessionTxn` (ZooKeeper 3.6+): the ephemerals the leader saw when it prepared the close.
/// Applying it deletes those and then any other ephemeral the session still owns locally, so a
/// log record without a body decodes as an empty list and applies as older versions did.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CloseSessionTxn {
    pub paths_to_delete: Vec<String>,
}

/// `ErrorTxn`: a request that failed at prep time, logged so that its zxid and reply stay in
/// order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ErrorTxn {
    pub err: ErrorCode,
}

/// A txn body; the variant determines the header's type code. Create and create2 share a
/// record but apply differently (only create2 returns a stat, only create repairs the parent
/// after NodeExists on replay); setData and reconfig likewise share `SetDataTxn`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Txn {
    Create(CreateTxn),
    Create2(CreateTxn),
    CreateContainer(CreateContainerTxn),
    CreateTtl(CreateTtlTxn),
    Delete(DeleteTxn),
    DeleteContainer(DeleteTxn),
    SetData(SetDataTxn),
    /// A committed reconfiguration: new data for `/zookeeper/config`.
    Reconfig(SetDataTxn),
    SetAcl(SetAclTxn),
    CheckVersion(CheckVersionTxn),
    /// `MultiTxn`: sub-txns applied in order under the multi's header. A multi that failed at
    /// prep time holds an [`Txn::Error`] at the failed op, and the tree applies none of it.
    Multi(Vec<Txn>),
    CreateSession(CreateSessionTxn),
    CloseSession(CloseSessionTxn),
    Error(ErrorTxn),
}

impl Txn {
    /// The header type code of this txn (`ZooDefs.OpCode`).
    pub fn txn_type(&self) -> i32 {
        match self {
            Txn::Create(_) => op_code::CREATE,
            Txn::Create2(_) => op_code::CREATE2,
            Txn::CreateContainer(_) => op_code::CREATE_CONTAINER,
            Txn::CreateTtl(_) => op_code::CREATE_TTL,
            Txn::Delete(_) => op_code::DELETE,
            Txn::DeleteContainer(_) => op_code::DELETE_CONTAINER,
            Txn::SetData(_) => op_code::SET_DATA,
            Txn::Reconfig(_) => op_code::RECONFIG,
            Txn::SetAcl(_) => op_code::SET_ACL,
            Txn::CheckVersion(_) => op_code::CHECK,
            Txn::Multi(_) => op_code::MULTI,
            Txn::CreateSession(_) => op_code::CREATE_SESSION,
            Txn::CloseSession(_) => op_code::CLOSE_SESSION,
            Txn::Error(_) => op_code::ERROR,
        }
    }

    /// Whether ZooKeeper accepts this txn inside a multi (`DataTree.processTxn` rejects every
    /// other type).
    pub fn is_allowed_in_multi(&self) -> bool {
        matches!(
            self,
            Txn::Create(_)
                | Txn::Create2(_)
                | Txn::CreateContainer(_)
                | Txn::CreateTtl(_)
                | Txn::Delete(_)
                | Txn::DeleteContainer(_)
                | Txn::SetData(_)
                | Txn::CheckVersion(_)
                | Txn::Error(_)
        )
    }

    /// The path this txn names, if it names one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Txn::Create(txn) | Txn::Create2(txn) => Some(&txn.path),
            Txn::CreateContainer(txn) => Some(&txn.path),
            Txn::CreateTtl(txn) => Some(&txn.path),
            Txn::Delete(txn) | Txn::DeleteContainer(txn) => Some(&txn.path),
            Txn::SetData(txn) | Txn::Reconfig(txn) => Some(&txn.path),
            Txn::SetAcl(txn) => Some(&txn.path),
            Txn::CheckVersion(txn) => Some(&txn.path),
            Txn::Multi(_) | Txn::CreateSession(_) | Txn::CloseSession(_) | Txn::Error(_) => None,
        }
    }

    /// The header for this txn.
    pub fn header(&self, client_id: SessionId, cxid: i32, zxid: Zxid, time_ms: i64) -> TxnHeader {
        TxnHeader {
            client_id,
            cxid,
            zxid,
            time_ms,
            txn_type: self.txn_type(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes_match_zoo_defs() {
        let create = CreateTxn {
            path: "/a".into(),
            data: Some(vec![]),
            acl: vec![],
            ephemeral: false,
            parent_cversion: 1,
        };
        assert_eq!(Txn::Create(create.clone()).txn_type(), 1);
        assert_eq!(Txn::Create2(create).txn_type(), 15);
        assert_eq!(Txn::Multi(vec![]).txn_type(), 14);
        assert_eq!(
            Txn::CloseSession(CloseSessionTxn {
                paths_to_delete: vec![]
            })
            .txn_type(),
            -11
        );
        assert_eq!(
            Txn::CreateSession(CreateSessionTxn { timeout_ms: 1 }).txn_type(),
            -10
        );
        assert_eq!(
            Txn::Error(ErrorTxn {
                err: ErrorCode::NoNode
            })
            .txn_type(),
            -1
        );
        assert!(!Txn::Multi(vec![]).is_allowed_in_multi());
    }
}
