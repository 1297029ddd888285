//! The durable state's queries and the invariants it asserts, on small histories.

use super::durable::{DurableState, Snapshot};
use super::message::Proposal;
use crate::ids::{Epoch, Zxid};
use std::sync::Arc;

fn zxid(counter: u32) -> Zxid {
    Zxid::new(Epoch(1), counter)
}

fn proposal(counter: u32) -> Proposal<u32> {
    Proposal {
        zxid: zxid(counter),
        payload: counter,
    }
}

/// Epoch 1 with txns 3 and 4 logged after a snapshot through txn 2 (two txns).
fn snapshot_and_two_txns() -> DurableState<u32, &'static str> {
    DurableState {
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        snapshot: Some(Arc::new(Snapshot {
            zxid: zxid(2),
            txn_count: 2,
            applied: "state after txn 2",
        })),
        history: Arc::new(vec![proposal(3), proposal(4)]),
        incarnation: 1,
    }
}

#[test]
fn a_server_holds_its_logged_txns_and_its_snapshots_last() {
    let durable = snapshot_and_two_txns();
    assert!(durable.contains(zxid(2)));
    assert!(durable.contains(zxid(3)));
    assert!(durable.contains(zxid(4)));
    // Folded into the snapshot, but not its last: no longer held as a txn.
    assert!(!durable.contains(zxid(1)));
    assert!(!durable.contains(zxid(5)));
    // Without a snapshot, zxid zero (where every history starts) is no txn.
    let empty: DurableState<u32> = DurableState::default();
    assert!(!empty.contains(Zxid::ZERO));
}

#[test]
fn the_snapshot_gives_the_base_of_the_history() {
    let durable = snapshot_and_two_txns();
    assert_eq!(durable.base_zxid(), zxid(2));
    assert_eq!(durable.base_txn_count(), 2);
    assert_eq!(durable.last_zxid(), zxid(4));
    let empty: DurableState<u32> = DurableState::default();
    assert_eq!(empty.base_txn_count(), 0);
}

#[test]
fn through_a_zxid_is_the_prefix_up_to_and_including_it() {
    let durable = snapshot_and_two_txns();
    assert_eq!(durable.through(zxid(2)), []);
    assert_eq!(durable.through(zxid(3)), [proposal(3)]);
    assert_eq!(durable.through(zxid(4)), [proposal(3), proposal(4)]);
    assert_eq!(durable.through(zxid(9)), [proposal(3), proposal(4)]);
    assert_eq!(durable.after(zxid(3)), [proposal(4)]);
}

#[test]
fn a_snap_replaces_the_snapshot_and_the_whole_history() {
    let mut durable = snapshot_and_two_txns();
    let snapshot = Arc::new(Snapshot {
        zxid: zxid(5),
        txn_count: 5,
        applied: "state after txn 5",
    });
    durable.replace_history(Some(snapshot.clone()), vec![proposal(6)]);
    assert_eq!(durable.snapshot, Some(snapshot));
    assert_eq!(*durable.history, [proposal(6)]);
    durable.assert_valid();
}

#[test]
#[should_panic(expected = "history out of zxid order")]
fn a_history_out_of_order_is_invalid() {
    let mut durable = snapshot_and_two_txns();
    durable.history = Arc::new(vec![proposal(4), proposal(3)]);
    durable.assert_valid();
}

#[test]
#[should_panic(expected = "currentEpoch 2 above acceptedEpoch 1")]
fn a_current_epoch_above_the_accepted_one_is_invalid() {
    let mut durable = snapshot_and_two_txns();
    durable.current_epoch = Epoch(2);
    durable.assert_valid();
}

#[test]
#[should_panic(expected = "is newer than currentEpoch")]
fn a_txn_newer_than_the_current_epoch_is_invalid() {
    let mut durable = snapshot_and_two_txns();
    durable.current_epoch = Epoch(0);
    durable.assert_epochs_and_ends();
}

#[test]
#[should_panic(expected = "not after its snapshot")]
fn a_history_that_overlaps_its_snapshot_is_invalid() {
    let mut durable = snapshot_and_two_txns();
    durable.history = Arc::new(vec![proposal(2), proposal(3)]);
    durable.assert_epochs_and_ends();
}
