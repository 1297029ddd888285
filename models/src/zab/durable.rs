//! The durable part of a peer: what survives a crash.

use super::message::Proposal;
use crate::ids::{Epoch, Zxid};
use serde::{Deserialize, Serialize};

/// A peer's durable state, the `Storage` of the peer actor, written with `Save`.
///
/// # Contract for the driver
/// - A `Save` is durable (txn log appended and fsynced, epoch files written and synced) before
///   any `Send` emitted by the same step leaves the process. Steps may be batched into one fsync
///   (group commit), but a send is never released before the fsync covering its step.
/// - Within one `Save`, the txn log is made durable before the epoch files: `currentEpoch` must
///   never cover txns that are not on disk yet.
/// - On restart the driver rebuilds exactly this value from disk (snapshot + log replay and the
///   epoch files) and hands it to `on_start`, as the model checker does after a crash.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DurableState<T> {
    /// The highest epoch this server has promised to follow (`acceptedEpoch`); it never takes
    /// part in an epoch below it again.
    pub accepted_epoch: Epoch,
    /// The epoch of the leader whose history this server last accepted (`currentEpoch`). It is
    /// the first key of this server's election vote.
    pub current_epoch: Epoch,
    /// Every logged txn, in zxid order, committed or not (ZooKeeper's txn log).
    pub history: Vec<Proposal<T>>,
    /// Starts of this server so far. The model checker bounds crashes with it.
    pub incarnation: u32,
}

impl<T> Default for DurableState<T> {
    fn default() -> Self {
        DurableState {
            accepted_epoch: Epoch::ZERO,
            current_epoch: Epoch::ZERO,
            history: Vec::new(),
            incarnation: 0,
        }
    }
}

impl<T: Clone> DurableState<T> {
    /// The last logged zxid, or zero for an empty history.
    pub fn last_zxid(&self) -> Zxid {
        self.history
            .last()
            .map_or(Zxid::ZERO, |proposal| proposal.zxid)
    }

    /// The index of `zxid` in the history.
    pub fn position(&self, zxid: Zxid) -> Option<usize> {
        self.history
            .binary_search_by_key(&zxid, |proposal| proposal.zxid)
            .ok()
    }

    pub fn contains(&self, zxid: Zxid) -> bool {
        self.position(zxid).is_some()
    }

    /// Appends a txn after the last one; zxids must increase.
    pub fn append(&mut self, proposal: Proposal<T>) {
        assert!(
            proposal.zxid > self.last_zxid(),
            "zxids increase along a history: {:?} after {:?}",
            proposal.zxid,
            self.last_zxid()
        );
        self.history.push(proposal);
    }

    /// Drops every txn after `zxid`.
    pub fn truncate_after(&mut self, zxid: Zxid) {
        let keep = self
            .history
            .partition_point(|proposal| proposal.zxid <= zxid);
        self.history.truncate(keep);
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
        for pair in self.history.windows(2) {
            assert!(pair[0].zxid < pair[1].zxid, "history out of zxid order");
        }
    }
}
