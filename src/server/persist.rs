//! What a `Save` asks of the disk. The core hands the driver its whole durable state; the
//! driver turns it into the least disk work that makes the disk hold exactly that state:
//! truncate the txn log after a zxid (TRUNC or SNAP), append the new txns, then write the epoch
//! files that changed. The order inside a [`Persist`] is the durability contract of
//! [`DurableState`]: txns first, epochs after, so `currentEpoch` never covers txns that are not
//! on disk.

use std::sync::Arc;
use zabkeeper_models::zab::{DurableState, Proposal, Snapshot};
use zabkeeper_models::{Epoch, Zxid};

/// The disk work of one or more `Save`s, in the order it must happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persist<T, A = ()> {
    /// First write this snapshot (a SNAP replaced the history): the log is then rewritten
    /// after it.
    pub snapshot: Option<Arc<Snapshot<A>>>,
    /// Drop every logged txn after this zxid first (the core's history was cut or replaced).
    pub truncate_after: Option<Zxid>,
    /// Then append these, in zxid order, and sync them.
    pub append: Vec<Proposal<T>>,
    /// Then write and sync `acceptedEpoch` if it changed.
    pub accepted_epoch: Option<Epoch>,
    /// Then write and sync `currentEpoch` if it changed.
    pub current_epoch: Option<Epoch>,
}

impl<T, A> Persist<T, A> {
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_none()
            && self.truncate_after.is_none()
            && self.append.is_empty()
            && self.accepted_epoch.is_none()
            && self.current_epoch.is_none()
    }
}

/// What the disk holds, as far as the driver wrote it: the zxids of the logged txns (a zxid
/// names one proposal in the whole ensemble's history) and the epochs. It keeps no txn: holding
/// on to the core's shared history would make the core copy it at its next append.
#[derive(Clone, Debug)]
pub struct DiskImage {
    snapshot_zxid: Option<Zxid>,
    logged: Vec<Zxid>,
    accepted_epoch: Epoch,
    current_epoch: Epoch,
}

impl DiskImage {
    /// The disk as recovery found it.
    pub fn new<T, A>(recovered: &DurableState<T, A>) -> DiskImage {
        DiskImage {
            snapshot_zxid: recovered.snapshot.as_ref().map(|snapshot| snapshot.zxid),
            logged: recovered
                .history
                .iter()
                .map(|proposal| proposal.zxid)
                .collect(),
            accepted_epoch: recovered.accepted_epoch,
            current_epoch: recovered.current_epoch,
        }
    }

    /// Records a compaction of the core's history into the snapshot `durable` now starts
    /// from. It asks for no disk work: the txns the snapshot covers stay in the log (the
    /// snapshot file is written in the background, and autopurge removes old logs later), so
    /// only the history after the snapshot is compared at the next plan.
    pub fn compacted<T, A>(&mut self, durable: &DurableState<T, A>) {
        let snapshot_zxid = durable.snapshot.as_ref().map(|snapshot| snapshot.zxid);
        self.snapshot_zxid = snapshot_zxid;
        self.logged.retain(|zxid| Some(*zxid) > snapshot_zxid);
        assert!(
            self.logged
                .iter()
                .eq(durable.history.iter().map(|proposal| &proposal.zxid)),
            "a compaction keeps the logged history after its snapshot"
        );
    }

    /// The work that makes the disk hold `saved`, and records it as written. Each `Save`
    /// carries the whole durable state, so a batch of steps needs only its last one planned
    /// (group commit: one plan, one sync).
    pub fn plan<T: Clone, A>(&mut self, saved: &DurableState<T, A>) -> Persist<T, A> {
        let saved_snapshot_zxid = saved.snapshot.as_ref().map(|snapshot| snapshot.zxid);
        let snapshot = if saved_snapshot_zxid != self.snapshot_zxid {
            // A new base: everything logged before is superseded by it.
            self.snapshot_zxid = saved_snapshot_zxid;
            self.logged.clear();
            saved.snapshot.clone()
        } else {
            None
        };
        let history = &saved.history;
        // A full comparison, not a guess from the last zxid: the disk must end up holding
        // exactly the saved history whatever the core did to it. Zxids are 8 bytes each; the
        // history the core keeps in memory is what bounds this.
        let common = self
            .logged
            .iter()
            .zip(history.iter())
            .take_while(|(logged, proposal)| **logged == proposal.zxid)
            .count();
        let truncate_after = (common < self.logged.len()).then(|| {
            common
                .checked_sub(1)
                .map_or(Zxid::ZERO, |index| self.logged[index])
        });
        self.logged.truncate(common);
        let append = history[common..].to_vec();
        self.logged
            .extend(append.iter().map(|proposal| proposal.zxid));
        let accepted_epoch =
            (saved.accepted_epoch != self.accepted_epoch).then_some(saved.accepted_epoch);
        let current_epoch =
            (saved.current_epoch != self.current_epoch).then_some(saved.current_epoch);
        self.accepted_epoch = saved.accepted_epoch;
        self.current_epoch = saved.current_epoch;
        Persist {
            snapshot,
            truncate_after,
            append,
            accepted_epoch,
            current_epoch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn proposal(epoch: u32, counter: u32) -> Proposal<u8> {
        Proposal {
            zxid: Zxid::new(Epoch(epoch), counter),
            payload: counter as u8,
        }
    }

    fn disk(epochs: (u32, u32), history: Vec<Proposal<u8>>) -> DurableState<u8> {
        DurableState {
            accepted_epoch: Epoch(epochs.0),
            current_epoch: Epoch(epochs.1),
            snapshot: None,
            history: Arc::new(history),
            incarnation: 1,
        }
    }

    #[test]
    fn an_append_writes_only_the_new_txns() {
        let mut image = DiskImage::new(&disk((1, 1), vec![proposal(1, 1)]));
        let plan = image.plan(&disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]));
        assert_eq!(
            plan,
            Persist {
                snapshot: None,
                truncate_after: None,
                append: vec![proposal(1, 2)],
                accepted_epoch: None,
                current_epoch: None,
            }
        );
    }

    #[test]
    fn a_trunc_cuts_the_log_before_appending_and_writes_the_epoch_last() {
        let mut image = DiskImage::new(&disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]));
        let plan = image.plan(&disk((2, 2), vec![proposal(1, 1), proposal(2, 1)]));
        assert_eq!(
            plan,
            Persist {
                snapshot: None,
                truncate_after: Some(Zxid::new(Epoch(1), 1)),
                append: vec![proposal(2, 1)],
                accepted_epoch: Some(Epoch(2)),
                current_epoch: Some(Epoch(2)),
            }
        );
    }

    #[test]
    fn a_snap_that_shares_nothing_truncates_everything() {
        let mut image = DiskImage::new(&disk((1, 1), vec![proposal(1, 1)]));
        let plan = image.plan(&disk((2, 1), vec![proposal(1, 2)]));
        assert_eq!(plan.truncate_after, Some(Zxid::ZERO));
        assert_eq!(plan.append, vec![proposal(1, 2)]);
        assert_eq!(plan.accepted_epoch, Some(Epoch(2)));
        assert_eq!(plan.current_epoch, None);
    }

    /// A history with strictly increasing zxids from a list of (epoch step, counter) choices.
    fn history() -> impl Strategy<Value = Vec<Proposal<u8>>> {
        prop::collection::vec((0u32..2, 1u32..4), 0..8).prop_map(|steps| {
            let mut epoch = 1;
            let mut counter = 0;
            steps
                .into_iter()
                .map(|(epoch_step, counter_step)| {
                    if epoch_step == 1 {
                        epoch += 1;
                        counter = 0;
                    }
                    counter += counter_step;
                    proposal(epoch, counter)
                })
                .collect()
        })
    }

    proptest! {
        /// Replaying plans on a log reproduces every saved state exactly.
        #[test]
        fn plans_replayed_on_a_log_reproduce_the_saved_state(
            saves in prop::collection::vec((history(), 0u32..3, 0u32..3), 1..6)
        ) {
            let mut image = DiskImage::new(&DurableState::<u8>::default());
            let mut log: Vec<Proposal<u8>> = Vec::new();
            let mut epochs = (Epoch::ZERO, Epoch::ZERO);
            for (history, accepted, current) in saves {
                let saved = disk((accepted, current), history);
                let plan = image.plan(&saved);
                if let Some(zxid) = plan.truncate_after {
                    log.retain(|proposal| proposal.zxid <= zxid);
                }
                log.extend(plan.append);
                if let Some(epoch) = plan.accepted_epoch {
                    epochs.0 = epoch;
                }
                if let Some(epoch) = plan.current_epoch {
                    epochs.1 = epoch;
                }
                prop_assert_eq!(&log, &*saved.history);
                prop_assert_eq!(epochs, (saved.accepted_epoch, saved.current_epoch));
            }
        }
    }
}
