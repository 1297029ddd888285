//! The trace's record of a disk: what it accepts as recovered after a restart, and what not.

use super::disk::{same_disk, DiskRecord, DurableDigest, HashedDurable};
use std::sync::Arc;
use zabkeeper_models::zab::{DiskStep, DurableState, PersistPlan, Proposal, Snapshot};
use zabkeeper_models::{Epoch, Zxid};

fn zxid(counter: u32) -> Zxid {
    Zxid::new(Epoch(1), counter)
}

/// A disk at epoch 1 with a snapshot at `snapshot` (0: none) and txns `logged` (hash = counter).
fn disk(snapshot: u32, logged: &[u32]) -> HashedDurable {
    DurableState {
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        snapshot: (snapshot > 0).then(|| {
            Arc::new(Snapshot {
                zxid: zxid(snapshot),
                txn_count: u64::from(snapshot),
                applied: (),
            })
        }),
        history: Arc::new(
            logged
                .iter()
                .map(|counter| Proposal {
                    zxid: zxid(*counter),
                    payload: u64::from(*counter),
                })
                .collect(),
        ),
        incarnation: 1,
    }
}

#[test]
fn a_snapshot_on_one_side_only_compares_the_txns_after_it() {
    // A background snapshot at 2 did not land before the crash: the log still holds 1 and 2.
    assert!(same_disk(&disk(0, &[1, 2, 3]), &disk(2, &[3])));
    // A standalone server folds its whole log into its snapshot when it starts.
    assert!(same_disk(&disk(3, &[]), &disk(1, &[2, 3])));
    assert!(
        !same_disk(&disk(0, &[1, 3]), &disk(2, &[3])),
        "2 is not logged"
    );
}

#[test]
fn a_lost_txn_a_changed_txn_or_a_moved_epoch_is_another_disk() {
    let made_durable = disk(0, &[1, 2]);
    assert!(same_disk(&disk(0, &[1, 2]), &made_durable));
    assert!(!same_disk(&disk(0, &[1]), &made_durable));
    let mut changed = disk(0, &[1, 2]);
    Arc::make_mut(&mut changed.history)[1].payload = 9;
    assert!(!same_disk(&changed, &made_durable));
    let moved = DurableState {
        current_epoch: Epoch(0),
        ..disk(0, &[1, 2])
    };
    assert!(!same_disk(&moved, &made_durable));
}

#[test]
fn a_restart_during_a_persist_may_recover_any_prefix_of_its_steps() {
    let mut record = DiskRecord::new(disk(0, &[1]));
    let epoch_two = |counter| Proposal {
        zxid: Zxid::new(Epoch(2), counter),
        payload: 20 + u64::from(counter),
    };
    let plan = PersistPlan {
        steps: vec![
            DiskStep::AppendAndSync(vec![epoch_two(1), epoch_two(2)]),
            DiskStep::WriteAcceptedEpoch(Epoch(2)),
            DiskStep::WriteCurrentEpoch(Epoch(2)),
        ],
    };
    record.persisting(plan.clone()).expect("applies");
    for completed in 0..=plan.steps.len() {
        let recovered = plan
            .durable_after_steps(&disk(0, &[1]), completed)
            .expect("applies");
        record
            .restarted(&recovered)
            .expect("a prefix of the persist");
    }
    let mut cut_short = disk(0, &[1]);
    Arc::make_mut(&mut cut_short.history).push(epoch_two(1));
    record
        .restarted(&cut_short)
        .expect("an append cut short after its first txn");
    let epoch_without_txn = DurableState {
        current_epoch: Epoch(2),
        accepted_epoch: Epoch(2),
        ..disk(0, &[1])
    };
    let failure = record
        .restarted(&epoch_without_txn)
        .expect_err("currentEpoch over a txn that is not on disk");
    assert!(failure.contains("part of the persist"), "{failure}");
}

#[test]
fn a_completed_persist_is_the_only_disk_a_restart_may_find() {
    let mut record = DiskRecord::new(disk(0, &[1]));
    let plan = PersistPlan {
        steps: vec![DiskStep::AppendAndSync(vec![Proposal {
            zxid: zxid(2),
            payload: 2,
        }])],
    };
    record.persisting(plan).expect("applies");
    record
        .persisted(&DurableDigest::of(&disk(0, &[1, 2])))
        .expect("the digest of the persist's result");
    record
        .restarted(&disk(0, &[1, 2]))
        .expect("what was made durable");
    let failure = record
        .restarted(&disk(0, &[1]))
        .expect_err("the completed append is lost");
    assert!(failure.contains("had made durable"), "{failure}");
}

#[test]
fn a_recorded_digest_that_is_not_what_the_persists_add_up_to_is_refused() {
    let mut record = DiskRecord::new(disk(0, &[1]));
    let failure = record
        .persisted(&DurableDigest::of(&disk(0, &[1, 2])))
        .expect_err("nothing was appended");
    assert!(failure.contains("add up to"), "{failure}");
}

#[test]
fn a_persist_that_cannot_apply_to_the_disk_is_refused_with_a_reason() {
    let mut record = DiskRecord::new(disk(0, &[1, 2]));
    let plan = PersistPlan {
        steps: vec![DiskStep::AppendAndSync(vec![Proposal {
            zxid: zxid(2),
            payload: 2,
        }])],
    };
    let failure = record.persisting(plan).expect_err("out of order");
    assert!(failure.contains("zxids must increase"), "{failure}");
}
