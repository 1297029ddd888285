//! Request bodies of `org.apache.zookeeper.proto`, each sent after a RequestHeader with its op
//! code. Requests without a body (ping, closeSession, whoAmI) have no record.

use super::data::Acl;
use serde::{Deserialize, Serialize};

/// `CreateRequest` (create, create2, createContainer). `data` is null when a client creates a
/// node without data (zkCli's `create /path`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateRequest {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub acl: Vec<Acl>,
    /// A [`create_flags`] value.
    pub flags: i32,
}

/// `CreateTTLRequest` (createTTL).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateTtlRequest {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub acl: Vec<Acl>,
    pub flags: i32,
    pub ttl_ms: i64,
}

/// Create flags (`CreateMode`), as `CreateRequest.flags` carries them.
pub mod create_flags {
    pub const PERSISTENT: i32 = 0;
    pub const EPHEMERAL: i32 = 1;
    pub const PERSISTENT_SEQUENTIAL: i32 = 2;
    pub const EPHEMERAL_SEQUENTIAL: i32 = 3;
    pub const CONTAINER: i32 = 4;
    pub const PERSISTENT_WITH_TTL: i32 = 5;
    pub const PERSISTENT_SEQUENTIAL_WITH_TTL: i32 = 6;
}

/// `DeleteRequest`. Version -1 matches any version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub path: String,
    pub version: i32,
}

/// `ExistsRequest`; `watch` leaves a watch that fires on create, delete or data change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExistsRequest {
    pub path: String,
    pub watch: bool,
}

/// `GetDataRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetDataRequest {
    pub path: String,
    pub watch: bool,
}

/// `SetDataRequest`. Version -1 matches any version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetDataRequest {
    pub path: String,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub version: i32,
}

/// `GetACLRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetAclRequest {
    pub path: String,
}

/// `SetACLRequest`; `version` is checked against the ACL version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetAclRequest {
    pub path: String,
    pub acl: Vec<Acl>,
    pub version: i32,
}

/// `GetChildrenRequest` (getChildren).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetChildrenRequest {
    pub path: String,
    pub watch: bool,
}

/// `GetChildren2Request` (getChildren2: the children and the parent's stat).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetChildren2Request {
    pub path: String,
    pub watch: bool,
}

/// `SyncRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncRequest {
    pub path: String,
}

/// `CheckVersionRequest` (check, inside a multi).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CheckVersionRequest {
    pub path: String,
    pub version: i32,
}

/// `ReconfigRequest`. Each server list is null when the client leaves it out (an incremental
/// reconfig names joining and leaving servers, a bulk one only the new members).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReconfigRequest {
    pub joining_servers: Option<String>,
    pub leaving_servers: Option<String>,
    pub new_members: Option<String>,
    /// The config version the change applies to, or -1 for any.
    pub current_config_id: i64,
}

/// Watcher types of checkWatches and removeWatches (`Watcher.WatcherType`).
pub mod watcher_type {
    pub const CHILDREN: i32 = 1;
    pub const DATA: i32 = 2;
    pub const ANY: i32 = 3;
    pub const PERSISTENT: i32 = 4;
    pub const PERSISTENT_RECURSIVE: i32 = 5;
}

/// `CheckWatchesRequest` (checkWatches: is such a watch registered?).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CheckWatchesRequest {
    pub path: String,
    /// A [`watcher_type`].
    pub watcher_type: i32,
}

/// `RemoveWatchesRequest` (removeWatches).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RemoveWatchesRequest {
    pub path: String,
    /// A [`watcher_type`].
    pub watcher_type: i32,
}

/// Modes of addWatch (`AddWatchMode`).
pub mod add_watch_mode {
    pub const PERSISTENT: i32 = 0;
    pub const PERSISTENT_RECURSIVE: i32 = 1;
}

/// `AddWatchRequest`: a persistent watch, optionally on the whole subtree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AddWatchRequest {
    pub path: String,
    /// An [`add_watch_mode`].
    pub mode: i32,
}

/// `GetEphemeralsRequest`: the session's ephemerals whose path starts with `prefix_path`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetEphemeralsRequest {
    pub prefix_path: String,
}

/// `GetAllChildrenNumberRequest`: how many nodes are below `path`, at any depth.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetAllChildrenNumberRequest {
    pub path: String,
}
