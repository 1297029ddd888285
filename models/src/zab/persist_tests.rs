//! The persist plans a `Save` turns into, and the disks a crash between their steps leaves.

use super::durable::{DurableState, Snapshot};
use super::message::Proposal;
use super::persist::{DiskImage, DiskStep, PersistPlan, PlanError};
use crate::ids::{Epoch, Zxid};
use proptest::prelude::*;
use std::sync::Arc;

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

fn snapshot_at(zxid: Zxid) -> Arc<Snapshot<()>> {
    Arc::new(Snapshot {
        zxid,
        txn_count: 1,
        applied: (),
    })
}

#[test]
fn an_append_writes_only_the_new_txns() {
    let mut image = DiskImage::new(&disk((1, 1), vec![proposal(1, 1)]));
    let plan = image.plan(&disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]));
    assert_eq!(
        plan.steps,
        vec![DiskStep::AppendAndSync(vec![proposal(1, 2)])]
    );
    // The server skips the disk for an empty plan only.
    assert!(!plan.is_empty());
}

#[test]
fn a_save_the_disk_already_holds_plans_nothing() {
    let saved = disk((2, 1), vec![proposal(1, 1)]);
    assert!(PersistPlan::between(&saved, &saved).is_empty());
}

#[test]
fn a_trunc_cuts_the_log_before_appending_and_writes_the_epochs_last() {
    let mut image = DiskImage::new(&disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]));
    let plan = image.plan(&disk((2, 2), vec![proposal(1, 1), proposal(2, 1)]));
    assert_eq!(
        plan.steps,
        vec![
            DiskStep::TruncateAfter(Zxid::new(Epoch(1), 1)),
            DiskStep::AppendAndSync(vec![proposal(2, 1)]),
            DiskStep::WriteAcceptedEpoch(Epoch(2)),
            DiskStep::WriteCurrentEpoch(Epoch(2)),
        ]
    );
}

#[test]
fn a_history_that_shares_nothing_truncates_everything() {
    let mut image = DiskImage::new(&disk((1, 1), vec![proposal(1, 1)]));
    let plan = image.plan(&disk((2, 1), vec![proposal(1, 2)]));
    assert_eq!(
        plan.steps,
        vec![
            DiskStep::TruncateAfter(Zxid::ZERO),
            DiskStep::AppendAndSync(vec![proposal(1, 2)]),
            DiskStep::WriteAcceptedEpoch(Epoch(2)),
        ]
    );
}

/// Truncating after zero would drop the snapshot's committed txns too.
#[test]
fn a_history_cut_back_to_its_snapshot_truncates_after_the_snapshot() {
    let snapshot = snapshot_at(Zxid::new(Epoch(1), 1));
    let before = DurableState {
        snapshot: Some(Arc::clone(&snapshot)),
        ..disk((2, 2), vec![proposal(2, 1)])
    };
    let saved = DurableState {
        snapshot: Some(snapshot),
        ..disk((3, 2), vec![])
    };
    let plan = PersistPlan::between(&before, &saved);
    assert_eq!(
        plan.steps,
        vec![
            DiskStep::TruncateAfter(Zxid::new(Epoch(1), 1)),
            DiskStep::WriteAcceptedEpoch(Epoch(3)),
        ]
    );
    assert_eq!(plan.durable_after(&before), Ok(saved));
}

#[test]
fn a_snap_writes_its_snapshot_then_cuts_the_old_log_after_it() {
    let snapshot = snapshot_at(Zxid::new(Epoch(2), 3));
    let before = disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]);
    let saved = DurableState {
        snapshot: Some(Arc::clone(&snapshot)),
        ..disk((2, 2), vec![proposal(2, 4)])
    };
    let plan = PersistPlan::between(&before, &saved);
    assert_eq!(
        plan.steps,
        vec![
            DiskStep::WriteSnapshot(snapshot),
            DiskStep::TruncateAfter(Zxid::new(Epoch(2), 3)),
            DiskStep::AppendAndSync(vec![proposal(2, 4)]),
            DiskStep::WriteAcceptedEpoch(Epoch(2)),
            DiskStep::WriteCurrentEpoch(Epoch(2)),
        ]
    );
    assert_eq!(plan.durable_after(&before), Ok(saved));
}

#[test]
fn a_crash_between_steps_leaves_the_steps_before_it_and_none_after() {
    let before = disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]);
    let saved = disk((2, 2), vec![proposal(1, 1), proposal(2, 1)]);
    let plan = PersistPlan::between(&before, &saved);
    let after = |steps| plan.durable_after_steps(&before, steps).expect("applies");
    assert_eq!(after(0), before);
    assert_eq!(after(1), disk((1, 1), vec![proposal(1, 1)]));
    // The txns are durable, the epochs not yet: the new history under the old epochs.
    assert_eq!(after(2), disk((1, 1), vec![proposal(1, 1), proposal(2, 1)]));
    assert_eq!(after(3), disk((2, 1), vec![proposal(1, 1), proposal(2, 1)]));
    assert_eq!(after(4), saved);
}

#[test]
fn a_crash_inside_an_append_leaves_a_prefix_of_its_txns() {
    let before = disk((1, 1), vec![proposal(1, 1)]);
    let saved = disk((1, 1), vec![proposal(1, 1), proposal(1, 2), proposal(1, 3)]);
    let plan = PersistPlan::between(&before, &saved);
    assert_eq!(
        plan.crash_states(&before),
        Ok(vec![
            before,
            disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]),
            saved,
        ])
    );
}

#[test]
fn more_steps_than_the_plan_has_is_an_error() {
    let before = disk((1, 1), vec![]);
    let plan = PersistPlan::between(&before, &disk((1, 1), vec![proposal(1, 1)]));
    assert_eq!(
        plan.durable_after_steps(&before, 2),
        Err(PlanError::StepsBeyondPlan {
            completed_steps: 2,
            plan_steps: 1
        })
    );
}

#[test]
fn a_plan_applied_to_a_disk_it_was_not_made_for_is_an_error() {
    let ahead = disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]);
    let append = PersistPlan {
        steps: vec![DiskStep::AppendAndSync(vec![proposal(1, 2)])],
    };
    let failure = append.durable_after(&ahead).expect_err("out of order");
    assert_eq!(
        failure,
        PlanError::AppendOutOfOrder {
            zxid: Zxid::new(Epoch(1), 2),
            last_zxid: Zxid::new(Epoch(1), 2)
        }
    );
    assert!(failure.to_string().contains("zxids must increase"));
    let snapshotted = DurableState {
        snapshot: Some(snapshot_at(Zxid::new(Epoch(1), 2))),
        ..disk((1, 1), vec![])
    };
    let truncate = PersistPlan::<u8, ()> {
        steps: vec![DiskStep::TruncateAfter(Zxid::new(Epoch(1), 1))],
    };
    assert_eq!(
        truncate.durable_after(&snapshotted),
        Err(PlanError::TruncateIntoSnapshot {
            zxid: Zxid::new(Epoch(1), 1),
            snapshot_zxid: Zxid::new(Epoch(1), 2)
        })
    );
}

#[test]
fn a_compaction_asks_for_no_disk_work_and_later_plans_start_from_its_snapshot() {
    let before = disk((1, 1), vec![proposal(1, 1), proposal(1, 2)]);
    let mut image = DiskImage::new(&before);
    let compacted = DurableState {
        snapshot: Some(snapshot_at(Zxid::new(Epoch(1), 1))),
        ..disk((1, 1), vec![proposal(1, 2)])
    };
    image.compacted(&compacted);
    assert!(image.plan(&compacted).is_empty());
    let appended = DurableState {
        snapshot: compacted.snapshot.clone(),
        ..disk((1, 1), vec![proposal(1, 2), proposal(1, 3)])
    };
    assert_eq!(
        image.plan(&appended).steps,
        vec![DiskStep::AppendAndSync(vec![proposal(1, 3)])]
    );
}

#[test]
fn a_mapped_plan_keeps_its_steps_and_zxids() {
    let snapshot = snapshot_at(Zxid::new(Epoch(1), 1));
    let plan = PersistPlan::<u8, ()> {
        steps: vec![
            DiskStep::WriteSnapshot(snapshot),
            DiskStep::AppendAndSync(vec![proposal(1, 2)]),
        ],
    };
    let mapped = plan.map(|txn| u64::from(*txn) * 10, |()| "applied");
    assert_eq!(
        mapped.steps,
        vec![
            DiskStep::WriteSnapshot(Arc::new(Snapshot {
                zxid: Zxid::new(Epoch(1), 1),
                txn_count: 1,
                applied: "applied",
            })),
            DiskStep::AppendAndSync(vec![Proposal {
                zxid: Zxid::new(Epoch(1), 2),
                payload: 20,
            }]),
        ]
    );
}

/// A history with strictly increasing zxids from a list of (epoch step, counter step)
/// choices, and where a snapshot cuts it (`None`: no snapshot).
fn durable() -> impl Strategy<Value = DurableState<u8>> {
    (
        prop::collection::vec((0u32..2, 1u32..4), 0..8),
        prop::option::of(0usize..8),
        0u32..3,
        0u32..3,
    )
        .prop_map(|(steps, cut, accepted, current)| {
            let mut epoch = 1;
            let mut counter = 0;
            let mut history: Vec<Proposal<u8>> = steps
                .into_iter()
                .map(|(epoch_step, counter_step)| {
                    if epoch_step == 1 {
                        epoch += 1;
                        counter = 0;
                    }
                    counter += counter_step;
                    proposal(epoch, counter)
                })
                .collect();
            let snapshot = cut.filter(|cut| *cut < history.len()).map(|cut| {
                let zxid = history[cut].zxid;
                history.drain(..=cut);
                snapshot_at(zxid)
            });
            DurableState {
                snapshot,
                ..disk((accepted, current), history)
            }
        })
}

proptest! {
    /// Whatever the disk held and the core saved, the plan's steps make the disk hold the
    /// saved state, and a crash between two steps never leaves `currentEpoch` written over a
    /// history that is not the saved one.
    #[test]
    fn every_plan_reaches_the_saved_state_and_writes_current_epoch_last(
        saves in prop::collection::vec(durable(), 1..6)
    ) {
        let mut image = DiskImage::new(&DurableState::<u8>::default());
        let mut on_disk = DurableState { incarnation: 1, ..DurableState::default() };
        for saved in saves {
            let plan = image.plan(&saved);
            prop_assert_eq!(&plan, &PersistPlan::between(&on_disk, &saved));
            let crash_states = plan.crash_states(&on_disk).expect("applies");
            for completed in 0..=plan.steps.len() {
                let crashed = plan.durable_after_steps(&on_disk, completed).expect("applies");
                prop_assert!(crash_states.contains(&crashed));
            }
            for crashed in &crash_states {
                if crashed.current_epoch != on_disk.current_epoch {
                    prop_assert_eq!(&crashed.history, &saved.history);
                    prop_assert_eq!(crashed.base_zxid(), saved.base_zxid());
                }
            }
            on_disk = plan.durable_after(&on_disk).expect("applies");
            prop_assert_eq!(crash_states.last(), Some(&on_disk));
            prop_assert_eq!(&on_disk, &saved);
        }
    }
}
