//! The messages peers exchange, named after ZooKeeper's quorum packets, and the client messages
//! of the model's request path. Each variant says which phase sends it, from whom to whom, and
//! what the sender must have made durable before it leaves.

use super::durable::Snapshot;
use crate::election::Notification;
use crate::error::ErrorCode;
use crate::ids::{Epoch, SessionId, Zxid};
use crate::tree::{NodeData, Stat};
use crate::watch::WatchedEvent;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A txn in a history: its zxid and the replicated payload (a ZooKeeper txn in the server, a
/// small value in the model checker).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Proposal<T> {
    pub zxid: Zxid,
    pub payload: T,
}

/// How a leader brings a learner's history in line with its own (ZooKeeper's DIFF, TRUNC and
/// SNAP packets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SyncKind {
    /// The learner's last zxid is in the leader's history: append the txns after it.
    Diff,
    /// The learner holds txns the leader does not: drop everything after `truncate_to`, then
    /// append the txns after it.
    Trunc,
    /// The learner is too far behind (or diverged before the leader's retained history): replace
    /// the whole history by the leader's.
    Snap,
}

/// The synchronisation a leader sends a learner: ZooKeeper's DIFF/TRUNC/SNAP packet, the txn
/// packets after it and NEWLEADER.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NewLeader<T, A = ()> {
    pub epoch: Epoch,
    pub kind: SyncKind,
    /// For SNAP: the leader's snapshot, which the proposals continue (ZooKeeper sends its
    /// serialized database); `None` when the leader's history starts at the first txn.
    pub snapshot: Option<Arc<Snapshot<A>>>,
    /// For TRUNC: the last zxid the learner keeps. For DIFF: the learner's last zxid. For SNAP:
    /// zero, the learner keeps nothing.
    pub sync_point: Zxid,
    /// The leader's txns after the sync point, committed or not; UPTODATE says which are.
    pub proposals: Vec<Proposal<T>>,
}

/// Everything a peer sends to a peer or a client. Peer messages carry the epoch they belong to,
/// and a receiver ignores any that does not match the phase and epoch it is in: a message can
/// outlive the connection, and the leader, it was sent on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerMessage<R, T, O = (), A = (), S = ()> {
    /// Election, between any two servers: a vote (see `election`).
    Notification(Notification),

    /// Discovery, learner → prospective leader (FOLLOWERINFO/OBSERVERINFO): the learner's
    /// accepted epoch, so the leader can pick an epoch above every one a quorum accepted.
    FollowerInfo {
        accepted_epoch: Epoch,
        is_observer: bool,
    },
    /// Discovery, leader → learner (LEADERINFO): the new epoch. The leader has persisted it as its
    /// own `acceptedEpoch` before sending.
    LeaderInfo { new_epoch: Epoch },
    /// Discovery, learner → leader (ACKEPOCH): the learner's history summary. The learner has
    /// persisted `acceptedEpoch = new_epoch` before sending. `promised` is false when the
    /// learner had accepted `new_epoch` already (ZooKeeper sends epoch -1 then): it may have
    /// promised that epoch to another prospective leader, so this ack must not count toward the
    /// epoch's quorum, or two leaders could establish the same epoch.
    AckEpoch {
        new_epoch: Epoch,
        promised: bool,
        current_epoch: Epoch,
        last_zxid: Zxid,
    },

    /// Synchronisation, leader → learner: DIFF, TRUNC or SNAP with the txns to apply, followed by
    /// NEWLEADER (packed into one message: the learner handles them in one step).
    NewLeader(NewLeader<T, A>),
    /// Synchronisation, learner → leader (ACK of NEWLEADER): the synced txns are logged and
    /// fsynced and `currentEpoch = epoch` is written, in that order, before this leaves.
    AckNewLeader { epoch: Epoch, last_zxid: Zxid },
    /// Synchronisation → broadcast, leader → learner (UPTODATE): a quorum acknowledged NEWLEADER;
    /// everything through `committed_through` is committed and the learner may serve clients.
    UpToDate {
        epoch: Epoch,
        committed_through: Zxid,
    },

    /// Broadcast, learner → leader (REQUEST): a client write that arrived at a learner, for the
    /// leader to prepare into a txn.
    Request { request: R },
    /// Broadcast, leader → follower (PROPOSAL). The leader logged it before sending.
    Propose { proposal: Proposal<T> },
    /// Broadcast, follower → leader (ACK): the follower logged and fsynced `zxid` (and every
    /// earlier one) before sending.
    Ack { zxid: Zxid },
    /// Broadcast, leader → follower (COMMIT): `zxid` and every earlier txn are committed.
    Commit { zxid: Zxid },
    /// Broadcast, leader → observer (INFORM): a committed txn, for a learner that gets no
    /// proposals.
    Inform { proposal: Proposal<T> },
    /// Any phase after discovery, leader → learner and back (PING): liveness. A learner that
    /// hears nothing from its leader for a tick, and a leader that hears from no quorum for a
    /// tick, go back to LOOKING. A learner's answer carries the sessions its clients touched
    /// since its last answer (ZooKeeper's follower PING does): the leader alone expires
    /// sessions, so it must hear of every sign of life, wherever the client is connected.
    ///
    /// `round` numbers the leader's confirmation round the ping belongs to, and a learner's
    /// answer echoes it: a quorum answering a round that started after a `sync` arrived shows
    /// the leader still led then (see `zab::confirmation`).
    Ping {
        epoch: Epoch,
        round: u64,
        touched_sessions: Vec<S>,
    },

    /// Broadcast, learner → leader (ZooKeeper's REQUEST of type sync): a client asked this
    /// learner to catch up with the leader. `token` names the client's request at the learner.
    SyncRequest { token: u64 },
    /// Broadcast, leader → learner (ZooKeeper's SYNC): the answer to `SyncRequest`, with the
    /// leader's commit point when it answered. Every COMMIT the leader sent before it went down
    /// the same FIFO link, so once the learner has handled it, it has applied everything the
    /// leader had committed when the sync arrived; a learner that has not committed through
    /// `committed_through` by then lost messages on the link and resynchronises instead.
    Sync { token: u64, committed_through: Zxid },

    /// Client → any server: a write request.
    ClientWrite { request: R },
    /// Server → client: the txn prepared from the client's request committed at `zxid` and this
    /// server applied it; `position` counts the txns applied up to and including it (a znode
    /// version, in effect).
    WriteCommitted {
        zxid: Zxid,
        position: u64,
        payload: T,
    },
    /// Server → its own driver (the peer's `apply_sink`): the txn `zxid` was applied here with
    /// this outcome. Sent for every applied txn, in zxid order, before any `WriteCommitted` for
    /// it; the server replies and triggers watches from it.
    Applied { zxid: Zxid, outcome: O },
    /// Client → any server: catch up with the leader before the next read (ZooKeeper's sync).
    ClientSync,
    /// Server → client: the answer to `ClientSync`: this server has applied every txn the
    /// leader had committed when the sync reached it.
    Synced,
    /// Client → any server: read the latest committed txn this server has applied.
    ClientRead,
    /// Server → client: the answer to `ClientRead`: the last txn applied here and how many
    /// txns were applied.
    ReadResult {
        last: Option<Proposal<T>>,
        position: u64,
    },

    /// Client → its server: ZooKeeper's exists, with `watch` a one-time watch on `path`.
    /// Answered by the server's driver, not the peer, from what the server applied, through
    /// `request::Reader` (the code `src/server/reads.rs` calls), and only while the server
    /// serves ([`super::PeerState::read_view`]).
    ClientExists { path: String, watch: bool },
    /// Server → client: the answer to `ClientExists`: the node's stat, `None` for NoNode, and
    /// the last zxid the server had applied when it answered (the reply header's zxid, which
    /// the client sends back in its next handshake as the last zxid it has seen).
    ExistsResult { stat: Option<Stat>, zxid: Zxid },
    /// Client → its server: ZooKeeper's getData, with `watch` a one-time data watch on `path`
    /// (left only on a node that exists). Answered by the server's driver as `ClientExists`
    /// is, through `request::Reader::get_data`.
    ClientGetData { path: String, watch: bool },
    /// Server → client: the answer to `ClientGetData`: the node's data and stat, or the error
    /// (NoNode), and the zxid the server had applied.
    DataResult {
        answer: Result<(NodeData, Stat), ErrorCode>,
        zxid: Zxid,
    },
    /// Client → its server: ZooKeeper's getChildren2, with `watch` a one-time child watch on
    /// `path` (left only on a node that exists). Answered by the server's driver through
    /// `request::Reader::get_children`.
    ClientGetChildren { path: String, watch: bool },
    /// Server → client: the answer to `ClientGetChildren`: the child names, sorted, and the
    /// node's stat, or the error (NoNode), and the zxid the server had applied.
    ChildrenResult {
        answer: Result<(Vec<String>, Stat), ErrorCode>,
        zxid: Zxid,
    },
    /// Client → its server, first after a reconnect (ZooKeeper's setWatches): re-register the
    /// client's exists watches on `exist_paths` and child watches on `child_paths`, set before
    /// the reconnect and not yet fired, relative to `relative_zxid`, the last zxid the client
    /// saw. Answered by the server's
    /// driver with `request::Reader::set_watches` (the code `src/server/reads.rs` calls): a
    /// watch whose node appeared meanwhile fires at once, the others are left.
    ClientSetWatches {
        relative_zxid: Zxid,
        exist_paths: Vec<String>,
        child_paths: Vec<String>,
    },
    /// Server → client: a watch of this client fired (a notification, xid -1). The server's
    /// driver sends it when the txn that fired it is applied there, before any reply that
    /// follows that txn on the client's connection.
    WatchNotification { event: WatchedEvent },

    /// Client → any server: a ConnectRequest: the client has seen every txn through
    /// `last_zxid_seen` (the zxid of the last reply it read), and opens a new session
    /// (`session` `None`) or reconnects with its own (with its password). Decided by the
    /// server's driver, not the peer, with [`super::Peer::decide_handshake`] (the server's
    /// `connect`): held while the server does not serve, refused (`ConnectionClosed`) when the
    /// client has seen more than the server applied, a createSession submitted (answered by
    /// its `WriteCommitted`) for a new session, a `ClientRevalidate` for an existing one.
    ClientConnect {
        last_zxid_seen: Zxid,
        session: Option<SessionId>,
        timeout_ms: i32,
    },
    /// Server → client: the server closed the connection, as ZooKeeper does to a handshake
    /// from a client that has seen a txn the server has not applied, and to every client
    /// connection when the server stops serving (it lost its leader or its quorum). Requests
    /// of that connection still in flight are dropped and its watches are gone; the client
    /// reconnects, here or elsewhere, with a handshake.
    ConnectionClosed,

    /// The driver → its peer: a client reconnected with its existing session (a ConnectRequest
    /// the handshake decided to resume). Answered by `SessionRevalidated` once the leader has
    /// made this server the session's owner.
    ClientRevalidate { session: S },
    /// Broadcast, learner → leader (ZooKeeper's REVALIDATE): a client of `session` reconnected
    /// through this learner. `token` names the client's handshake at the learner.
    Revalidate { token: u64, session: S },
    /// Broadcast, leader → learner (ZooKeeper's REVALIDATE answer): whether `session` lives.
    /// When it does, the leader has touched it and made the learner its owner before sending,
    /// so the session's requests through the learner are accepted from the moment the client
    /// hears the answer.
    Revalidated { token: u64, session: S, valid: bool },
    /// Server → client: the answer to `ClientRevalidate`: the session lives and this server is
    /// now its owner, or (`valid` false) the session is gone. The driver also answers a
    /// handshake whose password is not the session's this way, `valid` false, as the server
    /// answers both with timeout 0.
    SessionRevalidated { session: S, valid: bool },
}
