//! Records of `org.apache.zookeeper.server.quorum`, exchanged between servers.

use super::data::Id;
use serde::{Deserialize, Serialize};

/// `LearnerInfo`: the body of FOLLOWERINFO and OBSERVERINFO.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LearnerInfo {
    pub server_id: i64,
    pub protocol_version: i32,
    pub config_version: i64,
}

/// `QuorumPacket`: every message between a leader and its learners. `data` and `auth_info`
/// are null in most packet types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuorumPacket {
    pub packet_type: i32,
    pub zxid: i64,
    #[serde(with = "serde_bytes")]
    pub data: Option<Vec<u8>>,
    pub auth_info: Option<Vec<Id>>,
}

/// `QuorumAuthPacket`: a SASL exchange between servers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuorumAuthPacket {
    pub magic: i64,
    pub status: i32,
    #[serde(with = "serde_bytes")]
    pub token: Option<Vec<u8>>,
}
