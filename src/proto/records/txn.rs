//! Records of `org.apache.zookeeper.txn` and the txn log's file header: what a leader proposes
//! and every server logs. A logged txn is a [`TxnHeader`], the txn record its type names, and
//! (from ZooKeeper 3.6, when digests are enabled) a [`TxnDigest`]; see
//! [`crate::proto::txn_entry`].

use super::data::Acl;
use serde::{Deserialize, Serialize};

/// `TxnHeader`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TxnHeader {
    /// The session that sent the request; 0 for txns the server makes itself (container and
    /// TTL cleanup).
    pub client_id: i64,
    pub cxid: i32,
    pub zxid: i64,
    /// The leader's clock when it prepared the txn.
    pub time_ms: i64,
    /// The txn's op code.
    pub txn_type: i32,
}

/// `CreateTxn` (create and create2). `parent_cversion` is the parent's cversion after the
/// create.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateTxn {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub acl: Vec<Acl>,
    pub ephemeral: bool,
    pub parent_cversion: i32,
}

/// `CreateTxnV0`: a create logged by ZooKeeper before 3.3, without the parent's cversion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateTxnV0 {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub acl: Vec<Acl>,
    pub ephemeral: bool,
}

/// `CreateContainerTxn`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateContainerTxn {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub acl: Vec<Acl>,
    pub parent_cversion: i32,
}

/// `CreateTTLTxn`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateTtlTxn {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub acl: Vec<Acl>,
    pub parent_cversion: i32,
    pub ttl_ms: i64,
}

/// `DeleteTxn` (delete and deleteContainer).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeleteTxn {
    pub path: String,
}

/// `SetDataTxn` (setData, and reconfig with the new configuration). `version` is the node's
/// new data version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetDataTxn {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub version: i32,
}

/// `CheckVersionTxn`: a multi's version check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CheckVersionTxn {
    pub path: String,
    pub version: i32,
}

/// `SetACLTxn`. `version` is the node's new ACL version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetAclTxn {
    pub path: String,
    pub acl: Vec<Acl>,
    pub version: i32,
}

/// `CreateSessionTxn`: the negotiated timeout of a new session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateSessionTxn {
    pub timeout_ms: i32,
}

/// `CloseSessionTxn` (ZooKeeper 3.6+): the ephemerals to delete with the session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CloseSessionTxn {
    pub paths_to_delete: Vec<String>,
}

/// `ErrorTxn`: a request that failed when the leader prepared it, or a failed op in a multi.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ErrorTxn {
    pub err: i32,
}

/// `Txn`: one sub-txn of a [`MultiTxn`], its record already encoded in `data`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Txn {
    pub txn_type: i32,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// `MultiTxn`: the sub-txns of a multi, in order. A multi that failed at prep time keeps the
/// txns of the ops before the failure and holds ErrorTxns from the failing op on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MultiTxn {
    pub txns: Vec<Txn>,
}

/// `TxnDigest`: the digest of the whole tree after the txn, which servers compare to detect
/// divergence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TxnDigest {
    pub version: i32,
    pub tree_digest: i64,
}

/// `FileHeader`: the first 16 bytes of a txn log or snapshot file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileHeader {
    /// "ZKLG" for a txn log, "ZKSN" for a snapshot, as a big-endian int.
    pub magic: i32,
    pub version: i32,
    pub dbid: i64,
}

impl FileHeader {
    pub const TXN_LOG_MAGIC: i32 = i32::from_be_bytes(*b"ZKLG");
    pub const SNAPSHOT_MAGIC: i32 = i32::from_be_bytes(*b"ZKSN");
    /// The format version of `version-2/` files.
    pub const VERSION: i32 = 2;
}
