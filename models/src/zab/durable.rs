//! The durable part of a peer: what survives a crash.

use super::message::Proposal;
use crate::ids::{Epoch, Zxid};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A snapshot the history continues from: the applied state after every txn through `zxid`
/// (all committed), and how many txns that was. What ZooKeeper's `snapshot.<zxid>` file holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Snapshot<A> {
    pub zxid: Zxid,
    pub txn_count: u64,
    pub applied: A,
}

/// A peer's durable state, the `Storage` of the peer actor, written with `Save`.
///
/// # Contract for the driver
/// - A `Save` is durable (txn log appended and fsynced, epoch files written and synced) before
///   any `Send` emitted by the same step leaves the process. Steps may be batched into one fsync
///   (group commit), but a send is never released before the fsync covering its step.
/// - Within one `Save`, the txn log is made durable before the epoch files: `currentEpoch` must
///   never cover txns that are not on disk yet.
/// - On restart the driver rebuilds exactly this value from disk (the newest valid snapshot, the
///   txns logged after it, the epoch files) and hands it to `on_start`, as the model checker
///   does after a crash.
/// - `snapshot` changes only through synchronisation (a SNAP from the leader): the driver
///   writes it as a snapshot file, durable before the txns after it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DurableState<T, A = ()> {
    /// The highest epoch this server has promised to follow (`acceptedEpoch`); it never takes
    /// part in an epoch below it again.
    pub accepted_epoch: Epoch,
    /// The epoch of the leader whose history this server last accepted (`currentEpoch`). It is
    /// the first key of this server's election vote.
    pub current_epoch: Epoch,
    /// The snapshot the history continues from; `None` when the history starts at the first
    /// txn ever. Shared: it is immutable once taken.
    pub snapshot: Option<Arc<Snapshot<A>>>,
    /// Every logged txn after the snapshot, in zxid order, committed or not (ZooKeeper's txn
    /// log). Shared, so
    /// that a `Save` costs a reference count: the driver drops its copy once it has written
    /// the new suffix, and the next append then extends the vector in place.
    pub history: Arc<Vec<Proposal<T>>>,
    /// Starts of this server so far. The model checker bounds crashes with it.
    pub incarnation: u32,
}

impl<T, A> Default for DurableState<T, A> {
    fn default() -> Self {
        DurableState {
            accepted_epoch: Epoch::ZERO,
            current_epoch: Epoch::ZERO,
            snapshot: None,
            history: Arc::new(Vec::new()),
            incarnation: 0,
        }
    }
}

impl<T: Clone, A> DurableState<T, A> {
    /// Replaces the snapshot and the whole history (a SNAP).
    pub fn replace_history(
        &mut self,
        snapshot: Option<Arc<Snapshot<A>>>,
        history: Vec<Proposal<T>>,
    ) {
        self.snapshot = snapshot;
        self.history = Arc::new(history);
    }

    /// The zxid the history continues from: the snapshot's, or zero.
    pub fn base_zxid(&self) -> Zxid {
        self.snapshot
            .as_ref()
            .map_or(Zxid::ZERO, |snapshot| snapshot.zxid)
    }

    /// How many txns the snapshot covers.
    pub fn base_txn_count(&self) -> u64 {
        self.snapshot
            .as_ref()
            .map_or(0, |snapshot| snapshot.txn_count)
    }

    /// The last logged zxid: the history's last, else the snapshot's, else zero.
    pub fn last_zxid(&self) -> Zxid {
        self.history
            .last()
            .map_or(self.base_zxid(), |proposal| proposal.zxid)
    }

    /// The index of `zxid` in the history.
    pub fn position(&self, zxid: Zxid) -> Option<usize> {
        self.history
            .binary_search_by_key(&zxid, |proposal| proposal.zxid)
            .ok()
    }

    /// True when this server holds `zxid`, logged or in its snapshot's last txn.
    pub fn contains(&self, zxid: Zxid) -> bool {
        self.position(zxid).is_some() || (self.snapshot.is_some() && zxid == self.base_zxid())
    }

    /// Appends a txn after the last one; zxids must increase.
    pub fn append(&mut self, proposal: Proposal<T>) {
        assert!(
            proposal.zxid > self.last_zxid(),
            "zxids increase along a history: {:?} after {:?}",
            proposal.zxid,
            self.last_zxid()
        );
        Arc::make_mut(&mut self.history).push(proposal);
    }

    /// Drops every txn after `zxid`, which is not older than the snapshot (a snapshot holds
    /// committed txns only, and those are never truncated).
    pub fn truncate_after(&mut self, zxid: Zxid) {
        assert!(
            zxid >= self.base_zxid(),
            "truncating to {zxid:?} would cut into the snapshot at {:?}",
            self.base_zxid()
        );
        let keep = self
            .history
            .partition_point(|proposal| proposal.zxid <= zxid);
        Arc::make_mut(&mut self.history).truncate(keep);
        assert!(self.last_zxid() <= zxid);
    }

    /// The txns after `zxid`, in order.
    pub fn after(&self, zxid: Zxid) -> Vec<Proposal<T>> {
        let start = self
            .history
            .partition_point(|proposal| proposal.zxid <= zxid);
        self.history[start..].to_vec()
    }

    /// The txns up to and including `zxid`: what a server with that commit point has delivered.
    pub fn through(&self, zxid: Zxid) -> &[Proposal<T>] {
        let end = self
            .history
            .partition_point(|proposal| proposal.zxid <= zxid);
        &self.history[..end]
    }

    /// Checks the invariants every durable state satisfies.
    pub fn assert_valid(&self) {
        self.assert_epochs_and_ends();
        for pair in self.history.windows(2) {
            assert!(pair[0].zxid < pair[1].zxid, "history out of zxid order");
        }
    }

    /// The invariants that cost O(1) to check, checked at every save (the zxid order inside
    /// the history is kept by `append` and `truncate_after`, which assert it as they go, and
    /// checked whole at every start): the epochs are ordered, no logged txn is newer than
    /// `currentEpoch`, and the history starts after its snapshot.
    pub fn assert_epochs_and_ends(&self) {
        assert!(
            self.current_epoch <= self.accepted_epoch,
            "currentEpoch {} above acceptedEpoch {}",
            self.current_epoch,
            self.accepted_epoch
        );
        assert!(
            self.last_zxid().epoch() <= self.current_epoch,
            "a logged txn of epoch {} is newer than currentEpoch {}",
            self.last_zxid().epoch(),
            self.current_epoch
        );
        if let Some(first) = self.history.first() {
            assert!(
                first.zxid > self.base_zxid(),
                "the history starts at {:?}, not after its snapshot at {:?}",
                first.zxid,
                self.base_zxid()
            );
        }
    }
}
