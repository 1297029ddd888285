//! What a `Save` asks of the disk, as the ordered writes the driver performs.
//!
//! Each `Save` carries the peer's whole durable state; the driver keeps a [`DiskImage`] of what
//! its disk holds and plans the least disk work that makes the disk hold the saved state: a
//! [`PersistPlan`], a list of [`DiskStep`]s done one after the other, each durable before the
//! next starts. The order is the durability contract of [`DurableState`]: a snapshot and the
//! truncation it implies first, then the txns (appended and synced), then `acceptedEpoch`, then
//! `currentEpoch`, so that `currentEpoch` never covers txns that are not on disk.
//!
//! A crash can stop the driver between any two steps. [`PersistPlan::durable_after_steps`] says
//! what the disk then holds, as the durable state a restart recovers, and
//! [`PersistPlan::crash_states`] lists every such disk, appends cut short included: the model
//! checker can crash a peer in the middle of a persist with them, and trace replay accepts
//! what a restarted server recovered against them.

use super::durable::{DurableState, Snapshot};
use super::message::Proposal;
use crate::ids::{Epoch, Zxid};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// One write of a persist, in the order of its [`PersistPlan`]. The driver starts a step only
/// once the one before it is durable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DiskStep<T, A = ()> {
    /// Write this snapshot (a SNAP replaced the history). Recovery starts from the newest
    /// snapshot and replays what is logged after it; the model's disk holds one snapshot, the
    /// last written. A plan always follows this step with a truncation after the snapshot's
    /// zxid, which drops the old log after it (and any newer snapshot file).
    WriteSnapshot(Arc<Snapshot<A>>),
    /// Drop every logged txn after this zxid (the history was cut or replaced). Zero empties
    /// the disk: the state at zero is the empty database, whatever snapshot held more.
    TruncateAfter(Zxid),
    /// Append these txns, in zxid order, after the last logged one, and fsync them.
    AppendAndSync(Vec<Proposal<T>>),
    /// Write and sync `acceptedEpoch`.
    WriteAcceptedEpoch(Epoch),
    /// Write and sync `currentEpoch`.
    WriteCurrentEpoch(Epoch),
}

/// Why a step cannot apply to a disk: the plan was not made for that disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// More completed steps were asked for than the plan has.
    StepsBeyondPlan {
        completed_steps: usize,
        plan_steps: usize,
    },
    /// An appended txn does not come after the disk's last zxid.
    AppendOutOfOrder { zxid: Zxid, last_zxid: Zxid },
    /// A truncation that would cut into the disk's snapshot.
    TruncateIntoSnapshot { zxid: Zxid, snapshot_zxid: Zxid },
}

impl fmt::Display for PlanError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::StepsBeyondPlan {
                completed_steps,
                plan_steps,
            } => write!(
                formatter,
                "{completed_steps} completed steps asked of a plan of {plan_steps}"
            ),
            PlanError::AppendOutOfOrder { zxid, last_zxid } => write!(
                formatter,
                "appending {zxid} after {last_zxid}: zxids must increase along a log"
            ),
            PlanError::TruncateIntoSnapshot {
                zxid,
                snapshot_zxid,
            } => write!(
                formatter,
                "truncating after {zxid} would cut into the snapshot at {snapshot_zxid}"
            ),
        }
    }
}

impl std::error::Error for PlanError {}

impl<T: Clone, A> DiskStep<T, A> {
    /// Applies this step to `disk`, the durable state recovery would find before it.
    pub fn apply_to(&self, disk: &mut DurableState<T, A>) -> Result<(), PlanError> {
        match self {
            DiskStep::WriteSnapshot(snapshot) => {
                disk.snapshot = Some(Arc::clone(snapshot));
                Arc::make_mut(&mut disk.history).retain(|proposal| proposal.zxid > snapshot.zxid);
            }
            DiskStep::TruncateAfter(zxid) if *zxid == Zxid::ZERO => {
                disk.snapshot = None;
                Arc::make_mut(&mut disk.history).clear();
            }
            DiskStep::TruncateAfter(zxid) => {
                if *zxid < disk.base_zxid() {
                    return Err(PlanError::TruncateIntoSnapshot {
                        zxid: *zxid,
                        snapshot_zxid: disk.base_zxid(),
                    });
                }
                disk.truncate_after(*zxid);
            }
            DiskStep::AppendAndSync(proposals) => {
                for proposal in proposals {
                    if proposal.zxid <= disk.last_zxid() {
                        return Err(PlanError::AppendOutOfOrder {
                            zxid: proposal.zxid,
                            last_zxid: disk.last_zxid(),
                        });
                    }
                    disk.append(proposal.clone());
                }
            }
            DiskStep::WriteAcceptedEpoch(epoch) => disk.accepted_epoch = *epoch,
            DiskStep::WriteCurrentEpoch(epoch) => disk.current_epoch = *epoch,
        }
        Ok(())
    }
}

impl<T, A> DiskStep<T, A> {
    /// The same step over other txn and snapshot payloads (a trace records txn hashes).
    pub fn map<U, B>(
        &self,
        txn: &mut impl FnMut(&T) -> U,
        applied: &mut impl FnMut(&A) -> B,
    ) -> DiskStep<U, B> {
        match self {
            DiskStep::WriteSnapshot(snapshot) => DiskStep::WriteSnapshot(Arc::new(Snapshot {
                zxid: snapshot.zxid,
                txn_count: snapshot.txn_count,
                applied: applied(&snapshot.applied),
            })),
            DiskStep::TruncateAfter(zxid) => DiskStep::TruncateAfter(*zxid),
            DiskStep::AppendAndSync(proposals) => DiskStep::AppendAndSync(
                proposals
                    .iter()
                    .map(|proposal| Proposal {
                        zxid: proposal.zxid,
                        payload: txn(&proposal.payload),
                    })
                    .collect(),
            ),
            DiskStep::WriteAcceptedEpoch(epoch) => DiskStep::WriteAcceptedEpoch(*epoch),
            DiskStep::WriteCurrentEpoch(epoch) => DiskStep::WriteCurrentEpoch(*epoch),
        }
    }
}

/// The disk work of one or more `Save`s: steps in the order the driver must perform them,
/// each durable before the next starts, all durable before any send of the steps it covers
/// leaves the process.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersistPlan<T, A = ()> {
    pub steps: Vec<DiskStep<T, A>>,
}

impl<T, A> PersistPlan<T, A> {
    /// True when the disk already holds the saved state.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The same plan over other txn and snapshot payloads.
    pub fn map<U, B>(
        &self,
        mut txn: impl FnMut(&T) -> U,
        mut applied: impl FnMut(&A) -> B,
    ) -> PersistPlan<U, B> {
        PersistPlan {
            steps: self
                .steps
                .iter()
                .map(|step| step.map(&mut txn, &mut applied))
                .collect(),
        }
    }
}

impl<T: Clone, A: Clone> PersistPlan<T, A> {
    /// The plan that takes a disk holding `disk` to holding `saved`.
    pub fn between(disk: &DurableState<T, A>, saved: &DurableState<T, A>) -> PersistPlan<T, A> {
        DiskImage::new(disk).plan(saved)
    }

    /// What the disk holds after the first `completed_steps` steps of this plan, applied to
    /// `disk`: the durable state a restart recovers after a crash between step
    /// `completed_steps` and the next. With every step completed it is the saved state (its
    /// `incarnation` is `disk`'s: starts are not the plan's to write).
    pub fn durable_after_steps(
        &self,
        disk: &DurableState<T, A>,
        completed_steps: usize,
    ) -> Result<DurableState<T, A>, PlanError> {
        let steps = self
            .steps
            .get(..completed_steps)
            .ok_or(PlanError::StepsBeyondPlan {
                completed_steps,
                plan_steps: self.steps.len(),
            })?;
        let mut durable = disk.clone();
        for step in steps {
            step.apply_to(&mut durable)?;
        }
        Ok(durable)
    }

    /// Every disk a crash during this plan can leave, applied to `disk`, in order: before any
    /// step, after each step, and inside an append after each of its txns. The log is written
    /// in zxid order, and a write not yet synced can still reach the disk (it does whenever
    /// only the process dies), so an append cut short leaves a prefix of its txns.
    pub fn crash_states(
        &self,
        disk: &DurableState<T, A>,
    ) -> Result<Vec<DurableState<T, A>>, PlanError> {
        let mut durable = disk.clone();
        let mut states = vec![durable.clone()];
        for step in &self.steps {
            match step {
                DiskStep::AppendAndSync(proposals) => {
                    for proposal in proposals {
                        DiskStep::AppendAndSync(vec![proposal.clone()]).apply_to(&mut durable)?;
                        states.push(durable.clone());
                    }
                }
                step => {
                    step.apply_to(&mut durable)?;
                    states.push(durable.clone());
                }
            }
        }
        Ok(states)
    }

    /// What the disk holds once every step is done.
    pub fn durable_after(
        &self,
        disk: &DurableState<T, A>,
    ) -> Result<DurableState<T, A>, PlanError> {
        self.durable_after_steps(disk, self.steps.len())
    }
}

/// What the disk holds, as far as the driver wrote it: the snapshot's zxid, the zxids of the
/// logged txns after it (a zxid names one proposal in the whole ensemble's history) and the
/// epochs. It keeps no txn: holding on to the core's shared history would make the core copy
/// it at its next append.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// server writes the snapshot file in the background, and autopurge removes old logs
    /// later), so only the history after the snapshot is compared at the next plan.
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

    /// The steps that make the disk hold `saved`, and records them as done. Each `Save`
    /// carries the whole durable state, so a batch of steps needs only its last one planned
    /// (group commit: one plan, one sync).
    pub fn plan<T: Clone, A>(&mut self, saved: &DurableState<T, A>) -> PersistPlan<T, A> {
        let mut steps = Vec::new();
        let saved_snapshot_zxid = saved.snapshot.as_ref().map(|snapshot| snapshot.zxid);
        if saved_snapshot_zxid != self.snapshot_zxid {
            // A new base: nothing logged before belongs to the history after it, which the
            // appends below write in full.
            match &saved.snapshot {
                Some(snapshot) => {
                    steps.push(DiskStep::WriteSnapshot(Arc::clone(snapshot)));
                    steps.push(DiskStep::TruncateAfter(snapshot.zxid));
                }
                None => steps.push(DiskStep::TruncateAfter(Zxid::ZERO)),
            }
            self.snapshot_zxid = saved_snapshot_zxid;
            self.logged.clear();
        }
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
        if common < self.logged.len() {
            // Nothing in common keeps the snapshot: its txns are committed, never truncated.
            let base = self.snapshot_zxid.unwrap_or(Zxid::ZERO);
            let after = common
                .checked_sub(1)
                .map_or(base, |index| self.logged[index]);
            steps.push(DiskStep::TruncateAfter(after));
            self.logged.truncate(common);
        }
        let append = history[common..].to_vec();
        if !append.is_empty() {
            self.logged
                .extend(append.iter().map(|proposal| proposal.zxid));
            steps.push(DiskStep::AppendAndSync(append));
        }
        if saved.accepted_epoch != self.accepted_epoch {
            self.accepted_epoch = saved.accepted_epoch;
            steps.push(DiskStep::WriteAcceptedEpoch(saved.accepted_epoch));
        }
        if saved.current_epoch != self.current_epoch {
            self.current_epoch = saved.current_epoch;
            steps.push(DiskStep::WriteCurrentEpoch(saved.current_epoch));
        }
        PersistPlan { steps }
    }
}
