//! Every record of ZooKeeper's `zookeeper.jute` that the client protocol, the txn log and the
//! quorum protocol use, as plain structs encoded by [`crate::proto::jute`]. Field order is the
//! jute order (the encoding depends on it); names are the jute names in Rust style, with units
//! added where jute leaves them implicit (`timeout_ms`, `ctime_ms`).
//!
//! Wire values stay raw here: zxids and session ids are `i64`, error codes and op codes `i32`,
//! so that any frame a peer sends can be decoded and answered. Typed views live with the code
//! that interprets them ([`crate::proto::opcode`], [`crate::proto::convert`]).
//!
//! Records ZooKeeper defines but no longer uses are left out: GetMaxChildren, SetMaxChildren,
//! SetMaxChildrenTxn, GetSASLRequest, GetStatPersisted and StatPersistedV1.

pub mod data;
pub mod headers;
pub mod multi;
pub mod quorum;
pub mod requests;
pub mod responses;
pub mod session;
pub mod txn;

pub use data::{Acl, ClientInfo, Id, Stat, StatPersisted};
pub use headers::{
    event_type, keeper_state, xid, MultiHeader, ReplyHeader, RequestHeader, WatcherEvent,
};
pub use multi::{MultiOp, MultiOpResult, MultiRequest, MultiResponse};
pub use quorum::{LearnerInfo, QuorumAuthPacket, QuorumPacket};
pub use requests::{
    add_watch_mode, create_flags, watcher_type, AddWatchRequest, CheckVersionRequest,
    CheckWatchesRequest, CreateRequest, CreateTtlRequest, DeleteRequest, ExistsRequest,
    GetAclRequest, GetAllChildrenNumberRequest, GetChildren2Request, GetChildrenRequest,
    GetDataRequest, GetEphemeralsRequest, ReconfigRequest, RemoveWatchesRequest, SetAclRequest,
    SetDataRequest, SyncRequest,
};
pub use responses::{
    Create2Response, CreateResponse, ErrorResponse, ExistsResponse, GetAclResponse,
    GetAllChildrenNumberResponse, GetChildren2Response, GetChildrenResponse, GetDataResponse,
    GetEphemeralsResponse, SetAclResponse, SetDataResponse, SyncResponse,
};
pub use session::{
    AuthPacket, ConnectRequest, ConnectResponse, SetSaslRequest, SetSaslResponse, SetWatches,
    SetWatches2, WhoAmIResponse, PASSWORD_BYTES,
};
pub use txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, CreateTxnV0, DeleteTxn, ErrorTxn, FileHeader, MultiTxn, SetAclTxn, SetDataTxn, Txn,
    TxnDigest, TxnHeader,
};
