//! Records of `org.apache.zookeeper.data`: identities, ACLs and node metadata, shared by the
//! client protocol, the txn log and snapshots.

use serde::{Deserialize, Serialize};

/// `Id`: an identity in an authentication scheme (`world:anyone`, `ip:10.0.0.1`,
/// `digest:user:base64(sha1("user:password"))`, and `auth:` with an empty id in a create
/// request, meaning "whoever I authenticated as").
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Id {
    pub scheme: String,
    pub id: String,
}

/// `ACL`: permission bits (`ZooDefs.Perms`) granted to an identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Acl {
    pub perms: i32,
    pub id: Id,
}

/// `Stat`: a node's metadata as a client sees it (68 bytes on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stat {
    /// The zxid of the txn that created the node.
    pub czxid: i64,
    /// The zxid of the txn that last set its data.
    pub mzxid: i64,
    pub ctime_ms: i64,
    pub mtime_ms: i64,
    /// Data version.
    pub version: i32,
    /// Children version: changes on every create and delete of a child.
    pub cversion: i32,
    /// ACL version.
    pub aversion: i32,
    /// The owning session of an ephemeral node, 0 otherwise (containers and TTL nodes too).
    pub ephemeral_owner: i64,
    pub data_length: i32,
    pub num_children: i32,
    /// The zxid of the txn that last changed the children.
    pub pzxid: i64,
}

/// `StatPersisted`: the metadata a server stores per node (in snapshots). `ephemeral_owner`
/// here is raw: a session id, or the container and TTL encodings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatPersisted {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime_ms: i64,
    pub mtime_ms: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeral_owner: i64,
    pub pzxid: i64,
}

/// `ClientInfo`: one identity of a session, as whoAmI reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientInfo {
    pub auth_scheme: String,
    pub user: String,
}
