//! Response bodies of `org.apache.zookeeper.proto`, each sent after a ReplyHeader whose `err`
//! is 0. Which record follows depends on the request's op code; ops that answer with nothing
//! (delete, setWatches, removeWatches, ping, closeSession, auth) have no record.

use super::data::{Acl, Stat};
use serde::{Deserialize, Serialize};

/// `ErrorResponse`: the body of a failed op inside a multi response, and (with err 0) of an
/// addWatch reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub err: i32,
}

/// `CreateResponse` (create): the created path, with its sequence suffix if any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreateResponse {
    pub path: String,
}

/// `Create2Response` (create2, createContainer, createTTL): the path and the new node's stat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Create2Response {
    pub path: String,
    pub stat: Stat,
}

/// `ExistsResponse`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExistsResponse {
    pub stat: Stat,
}

/// `GetDataResponse` (getData, and reconfig with the new configuration). `data` is null for a
/// node created without data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetDataResponse {
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub stat: Stat,
}

/// `SetDataResponse`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetDataResponse {
    pub stat: Stat,
}

/// `GetACLResponse`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetAclResponse {
    pub acl: Vec<Acl>,
    pub stat: Stat,
}

/// `SetACLResponse`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetAclResponse {
    pub stat: Stat,
}

/// `GetChildrenResponse`: child names, not paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetChildrenResponse {
    pub children: Vec<String>,
}

/// `GetChildren2Response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetChildren2Response {
    pub children: Vec<String>,
    pub stat: Stat,
}

/// `SyncResponse`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncResponse {
    pub path: String,
}

/// `GetEphemeralsResponse`: full paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetEphemeralsResponse {
    pub ephemerals: Vec<String>,
}

/// `GetAllChildrenNumberResponse`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GetAllChildrenNumberResponse {
    pub total_number: i32,
}
