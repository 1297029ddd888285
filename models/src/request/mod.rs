//! Leader-side request preparation: ZooKeeper's `PrepRequestProcessor`.
//!
//! The leader turns each client write into exactly one txn before proposing it. It decides
//! against the committed [`DataTree`] *plus* the changes of txns it prepared that are not applied
//! yet (ZooKeeper's `outstandingChanges`), because a client may pipeline a create and a setData
//! of the same node, and the second must see the first. Every decision that can fail is made
//! here: paths, ACLs, versions, NodeExists/NoNode, NotEmpty, NoChildrenForEphemerals, session
//! state, the sequential suffix, the `+1` versions a txn carries. A request that fails still
//! becomes a txn (an [`crate::tree::ErrorTxn`] with its own zxid), so replies stay in zxid order;
//! a multi that fails becomes a multi with an Error txn at the failed op and its outstanding
//! changes rolled back.
//!
//! Contract for the driver, in order per zxid:
//! 1. [`Preparer::prepare`] with the next zxid; propose what it returns.
//! 2. After the txn commits, apply it to the tree ([`DataTree::apply`]) and then call
//!    [`Preparer::on_applied`] with its zxid, with no prepare in between: an outstanding change
//!    may only be retired once the tree shows it.
//! 3. When leadership ends, [`Preparer::reset`].
//!
//! Reads are served from the committed tree by the server; [`read_node_path`] says which node a
//! read's path names, [`check_read`] and [`get_acl`] hold their permission rules, and
//! [`Reader`] answers the reads that can leave a watch.

mod access;
mod changes;
mod clients;
mod create_mode;
mod node_ops;
mod prepare;
mod read;
mod reader;
mod session_order;

pub use access::AccessControl;
pub use changes::{ChangeRecord, OutstandingChanges, PendingNode};
pub use clients::ClientConnections;
pub use create_mode::CreateMode;
pub use prepare::Preparer;
pub use read::{check_read, get_acl, read_node_path, ReadOp};
pub use reader::Reader;
pub use session_order::{Passage, SessionOrder};

use crate::error::ErrorCode;
use crate::ids::{ServerId, SessionId, Zxid};
#[cfg(doc)]
use crate::tree::DataTree;
use crate::tree::{op_code, Acl, Id, NodeData, Txn, TxnHeader};
use serde::{Deserialize, Serialize};

/// Which create request a client sent: the four opcodes share the create rules but log different
/// txns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CreateOp {
    /// `create` (1): replies with the path only.
    Create,
    /// `create2` (15): replies with the path and the new node's stat.
    Create2,
    /// `createContainer` (19).
    CreateContainer,
    /// `createTTL` (21), with the TTL the request carries.
    CreateTtl { ttl_ms: i64 },
}

/// `CreateRequest` / `CreateTTLRequest`. `flags` is the raw [`CreateMode`] flag as sent; an
/// unknown flag is answered BadArguments.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CreateRequest {
    pub op: CreateOp,
    pub path: String,
    pub data: NodeData,
    pub acl: Vec<Acl>,
    pub flags: i32,
}

/// `DeleteRequest`; version -1 deletes whatever the version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub path: String,
    pub version: i32,
}

/// `SetDataRequest`; version -1 sets whatever the version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SetDataRequest {
    pub path: String,
    pub data: NodeData,
    pub version: i32,
}

/// `SetACLRequest`; `version` is checked against the ACL version (aversion).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SetAclRequest {
    pub path: String,
    pub acl: Vec<Acl>,
    pub version: i32,
}

/// `CheckVersionRequest`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CheckRequest {
    pub path: String,
    pub version: i32,
}

/// `ReconfigRequest`. Zabkeeper runs with reconfig disabled, so only its shape matters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReconfigRequest {
    pub joining_servers: Option<String>,
    pub leaving_servers: Option<String>,
    pub new_members: Option<String>,
    pub current_config_id: i64,
}

/// One op of a multi: the write ops ZooKeeper's `MultiOperationRecord` accepts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MultiOp {
    Create(CreateRequest),
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckRequest),
}

/// Every request that becomes a txn (ZooKeeper 3.9's write opcodes).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WriteRequest {
    Create(CreateRequest),
    Delete(DeleteRequest),
    /// `deleteContainer` (20): sent by the leader's own container and TTL reaper, not by
    /// clients; no session or ACL check, and it refuses non-empty nodes.
    DeleteContainer {
        path: String,
    },
    SetData(SetDataRequest),
    SetAcl(SetAclRequest),
    /// `check` (13) outside a multi.
    Check(CheckRequest),
    Multi(Vec<MultiOp>),
    /// A session created on some server with this (already clamped) timeout.
    CreateSession {
        timeout_ms: i32,
    },
    /// A client's close or an expiry: deletes the session's ephemerals.
    CloseSession,
    Reconfig(ReconfigRequest),
}

impl WriteRequest {
    /// The request opcode (`ZooDefs.OpCode`).
    pub fn op_code(&self) -> i32 {
        match self {
            WriteRequest::Create(create) => create.op.op_code(),
            WriteRequest::Delete(_) => op_code::DELETE,
            WriteRequest::DeleteContainer { .. } => op_code::DELETE_CONTAINER,
            WriteRequest::SetData(_) => op_code::SET_DATA,
            WriteRequest::SetAcl(_) => op_code::SET_ACL,
            WriteRequest::Check(_) => op_code::CHECK,
            WriteRequest::Multi(_) => op_code::MULTI,
            WriteRequest::CreateSession { .. } => op_code::CREATE_SESSION,
            WriteRequest::CloseSession => op_code::CLOSE_SESSION,
            WriteRequest::Reconfig(_) => op_code::RECONFIG,
        }
    }
}

impl CreateOp {
    pub fn op_code(self) -> i32 {
        match self {
            CreateOp::Create => op_code::CREATE,
            CreateOp::Create2 => op_code::CREATE2,
            CreateOp::CreateContainer => op_code::CREATE_CONTAINER,
            CreateOp::CreateTtl { .. } => op_code::CREATE_TTL,
        }
    }
}

/// Who sent a request and when the leader prepares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestContext {
    pub session: SessionId,
    pub cxid: i32,
    /// The server the client is connected to (ZooKeeper's request owner).
    pub owner: ServerId,
    /// The session's authenticated ids (`authInfo`): `ip:<address>` of the connection, the
    /// `digest:user:hash` ids it added, and `super:` when it authenticated as the super user.
    pub auth: Vec<Id>,
    /// The zxid this request's txn gets; the leader hands them out in order.
    pub zxid: Zxid,
    /// The leader's wall clock: the txn header's time, and with it ctime and mtime.
    pub time_ms: i64,
    /// The leader's monotonic clock, for session expiry (createSession).
    pub now_ms: u64,
}

/// A prepared request: what the leader proposes. A failed request is an [`Txn::Error`] under an
/// error-typed header; a failed multi stays a multi, see [`Prepared::multi_op_errors`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Prepared {
    pub header: TxnHeader,
    pub txn: Txn,
}

impl Prepared {
    /// The error the client gets for the request as a whole: a top-level error, or a multi's
    /// first failed op. `None` when the request succeeded at prep time.
    pub fn error(&self) -> Option<ErrorCode> {
        match &self.txn {
            Txn::Error(error) => Some(error.err),
            Txn::Multi(ops) => ops.iter().find_map(|op| match op {
                Txn::Error(error) => Some(error.err),
                _ => None,
            }),
            _ => None,
        }
    }

    /// For a multi, the per-op codes the client sees: all Ok when it succeeded, else Ok before
    /// the failed op, its error there, RuntimeInconsistency after. `None` for other txns.
    pub fn multi_op_errors(&self) -> Option<Vec<ErrorCode>> {
        let Txn::Multi(ops) = &self.txn else {
            return None;
        };
        let mut failed = false;
        Some(
            ops.iter()
                .map(|op| match op {
                    Txn::Error(error) => {
                        failed = true;
                        error.err
                    }
                    _ if failed => ErrorCode::RuntimeInconsistency,
                    _ => ErrorCode::Ok,
                })
                .collect(),
        )
    }
}

/// Preparation settings from the server's configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrepareConfig {
    pub access: AccessControl,
    /// `zookeeper.extendedTypesEnabled`: TTL nodes exist only when it is on.
    pub extended_types_enabled: bool,
}
