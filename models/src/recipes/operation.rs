//! What a recipe machine asks of its ZooKeeper connection, and what it hears back. The client
//! library performs these operations with a real client; the checker's model server performs
//! them on the core's DataTree. Either way the machine sees the same inputs.

use crate::ErrorCode;

/// One request to the connection. Paths are absolute.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// Create an ephemeral node at `path`, sequential (ZooKeeper appends ten digits) or not.
    /// Answered by [`Input::Created`], [`Input::NodeExists`] or [`Input::OutcomeUnknown`].
    Create { path: String, sequential: bool },
    /// List `path`'s children, setting a one-time child watch when `watch`. Answered by
    /// [`Input::Children`].
    GetChildren { path: String, watch: bool },
    /// Set a one-time watch on `path` if it exists (a getData with a watch: no watch is left on
    /// a node that is gone). Answered by [`Input::Watching`] or [`Input::NoNode`]; the watch
    /// later fires as [`Input::Notified`].
    WatchNode { path: String },
    /// Whether `path` exists, setting a one-time watch either way when `watch` (it fires when
    /// the node is created, changed or deleted). Answered by [`Input::Exists`].
    Exists { path: String, watch: bool },
    /// Delete `path`, whatever its version. Answered by [`Input::Deleted`] (also when it was
    /// gone already).
    Delete { path: String },
    /// Delete `path` if this session owns it (its ephemeral owner), else leave it. Answered by
    /// [`Input::Deleted`] either way.
    DeleteIfOwned { path: String },
}

/// An answer or a notification.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Input {
    /// The create succeeded; `path` is the node's path, with the sequence for a sequential one.
    Created { path: String },
    /// A non-sequential create found the node there.
    NodeExists,
    /// The connection broke while the create was in flight: it may or may not have happened.
    OutcomeUnknown,
    /// The children's names, in the order the server gave them.
    Children(Vec<String>),
    /// The node exists and the watch is set.
    Watching,
    /// The node to watch is gone.
    NoNode,
    /// Whether the node exists.
    Exists(bool),
    /// The delete is done, or the node was gone already.
    Deleted,
    /// A one-time watch on `path` fired (deleted, or its children changed).
    Notified { path: String },
    /// The session expired: every ephemeral node it made is gone.
    SessionExpired,
}

impl Input {
    /// The input a failed request's error code means for a recipe, when it means one.
    pub fn from_error(code: ErrorCode) -> Option<Input> {
        match code {
            ErrorCode::NodeExists => Some(Input::NodeExists),
            ErrorCode::NoNode => Some(Input::NoNode),
            ErrorCode::SessionExpired => Some(Input::SessionExpired),
            ErrorCode::ConnectionLoss | ErrorCode::OperationTimeout => Some(Input::OutcomeUnknown),
            _ => None,
        }
    }
}

/// Where a lock machine stands, as its user sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockStatus {
    /// Not contending (never asked, or released).
    Idle,
    /// Asked and waiting.
    Waiting,
    /// Holds the lock (as far as it has heard: see the fencing limit in the crate docs).
    Holds,
    /// Its node is gone (session expired, or someone deleted it): it does not hold the lock.
    Lost,
}
