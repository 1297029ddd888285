//! Seeded bugs. Each switch re-creates a known way to break ZAB or FLE (most of them bugs that
//! Apache ZooKeeper really shipped). Only `proofs/` turns them on, to show that every safety
//! property can fail: a property no mutant breaks proves nothing. The server always runs with
//! `Mutations::NONE`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mutations {
    /// FLE compares votes by epoch and server id only, ignoring the zxid, so a server missing
    /// committed txns can win.
    pub election_ignores_zxid: bool,
    /// FLE counts half of the voters as a quorum (`>= n/2` where a majority needs `> n/2`): with
    /// three voters a server's own vote elects it, so a server missing committed txns can lead
    /// without any other voter having compared its history with its own.
    pub election_quorum_of_half: bool,
    /// A follower acknowledges NEWLEADER before the synced txns are durable; it logs them only
    /// when UPTODATE arrives (ZOOKEEPER-3911).
    pub ack_new_leader_before_durable: bool,
    /// A follower writes `currentEpoch` in the same step it receives NEWLEADER but logs the synced
    /// txns only later (ZOOKEEPER-2678's family).
    pub current_epoch_before_txns: bool,
    /// A follower records a DIFF as applied (its last zxid moves to the leader's) while it
    /// logged only the first of the txns.
    pub diff_marked_applied_before_applied: bool,
    /// A follower acknowledges a PROPOSAL before logging it; it logs it on COMMIT.
    pub ack_proposal_before_logged: bool,
    /// A new leader never sends TRUNC: a follower keeps an uncommitted suffix of an older epoch.
    pub leader_skips_truncation: bool,
    /// Discovery and synchronisation accept a single follower as a quorum, so two leaders can
    /// be established in one epoch.
    pub quorum_of_one: bool,
    /// The leader counts an ACKEPOCH from a learner that had accepted the epoch before (and so
    /// may have promised it to another leader) toward the epoch's quorum.
    pub count_repeated_epoch_acks: bool,
    /// A prospective leader proposes the highest epoch its quorum accepted as the new epoch,
    /// instead of one above it: an epoch another prospective leader may already have chosen,
    /// so two leaders can be established in one epoch.
    pub leader_reuses_accepted_epoch: bool,
    /// A prospective leader starts serving as soon as it wrote the new epoch, before a quorum
    /// acknowledged NEWLEADER: it commits its initial history (txns only it may hold), proposes
    /// client writes and answers syncs while no quorum has confirmed it.
    pub serve_before_new_leader_quorum: bool,
    /// A learner forwards each client write to the leader twice, and the leader proposes both.
    pub forward_requests_twice: bool,
    /// The leader forgets that a session is closing once it prepared its closeSession, so an
    /// ephemeral create that arrives later outlives the session (ZOOKEEPER-1208).
    pub close_leaves_session_open: bool,
    /// A commit that covers several txns at once (UPTODATE, or a COMMIT after a lost one) applies
    /// only the newest, so the tree misses the others while the log says they were delivered.
    pub apply_only_newest_commit: bool,
    /// The leader answers a `sync` from its own state at once, without confirming that a quorum
    /// still follows it: a leader deposed while paused serves reads that miss writes the new
    /// leader acknowledged.
    pub leader_answers_sync_at_once: bool,
    /// The leader answers a reconnected session's revalidation (touching it) but leaves its
    /// owner where it was, so the session's writes through the server it moved to are refused
    /// SessionMoved for good (Zabkeeper issue 21).
    pub revalidation_keeps_owner: bool,
    /// The leader rebinds a session to whichever server each of its requests comes through,
    /// instead of refusing one from a server the session has left: a request of the old
    /// connection that arrives late is accepted.
    pub owner_follows_requests: bool,
    /// The connect handshake compares the client's last seen zxid with the last txn this
    /// server has logged instead of the last it has applied (Zabkeeper's server before issue
    /// 15): a client that saw a txn committed elsewhere is let in by a server that logged it but
    /// has not applied it yet, and reads back in time there.
    pub handshake_compares_logged_zxid: bool,
    /// The server's session order lets a read run while the session's write is still in
    /// flight through the leader, so a client that pipelines a write and a read can miss its
    /// own write (ZooKeeper's CommitProcessor holds it).
    pub reads_pass_writes: bool,
    /// exists leaves its watch only on a node that exists, as getData does: a client watching
    /// for a node's creation is never told, and reads the new node without the event it asked
    /// for (ZooKeeper's exists watches a missing node for its NodeCreated).
    pub exists_watches_only_present_nodes: bool,
    /// setWatches after a reconnect leaves an exists watch on a node that was created while
    /// the client was away, instead of firing its NodeCreated at once: the client then reads
    /// the new node without the event (ZooKeeper's `DataTree.setWatches` fires it).
    pub set_watches_rearms_created_nodes: bool,
    /// setWatches after a reconnect judges a child watch by the node's data zxid (`mzxid`)
    /// instead of its children's (`pzxid`), so a child watch on a node whose children changed
    /// while the client was away is left armed instead of firing NodeChildrenChanged at once:
    /// the client then lists the new child without the event.
    pub set_watches_rearms_changed_children: bool,
    /// A server's driver sends a step's watch notifications after the step's replies instead
    /// of right behind the txn that fired them, so a client reads the new data (or hears its
    /// own write answered) before the event. A seeded bug of the driver: both drivers (the
    /// server's `Core::route` and the proofs' `system::drive_commands`) order a step's outputs
    /// the same way, and the proofs' copy reads this switch.
    pub notifications_after_replies: bool,
}

impl Mutations {
    pub const NONE: Mutations = Mutations {
        election_ignores_zxid: false,
        election_quorum_of_half: false,
        ack_new_leader_before_durable: false,
        current_epoch_before_txns: false,
        diff_marked_applied_before_applied: false,
        ack_proposal_before_logged: false,
        leader_skips_truncation: false,
        quorum_of_one: false,
        count_repeated_epoch_acks: false,
        leader_reuses_accepted_epoch: false,
        serve_before_new_leader_quorum: false,
        forward_requests_twice: false,
        close_leaves_session_open: false,
        apply_only_newest_commit: false,
        leader_answers_sync_at_once: false,
        revalidation_keeps_owner: false,
        owner_follows_requests: false,
        handshake_compares_logged_zxid: false,
        reads_pass_writes: false,
        exists_watches_only_present_nodes: false,
        set_watches_rearms_created_nodes: false,
        set_watches_rearms_changed_children: false,
        notifications_after_replies: false,
    };
}
