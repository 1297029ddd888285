//! What the server's core asks of its disk, and the storage's side of it: a core's
//! [`PersistPlan`] performed step by step, each step durable before the next.

use super::error::StorageError;
use super::store::Storage;
use std::io;
use std::sync::Arc;
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::zab::{DiskStep, PersistPlan, Snapshot};

/// Makes the core's saves durable.
///
/// # To ensure correctness
/// - `persist` performs the plan's steps in order, each durable (written and synced) before
///   the next starts, all of them before it returns `Ok`: the core releases the sends of the
///   steps a plan covers only then. So the txns are synced before `acceptedEpoch`, and
///   `acceptedEpoch` before `currentEpoch`, which never covers txns that are not on disk.
/// - After a crash, recovery must rebuild exactly what the completed steps left
///   ([`PersistPlan::durable_after_steps`]).
pub trait Durability: Send {
    fn persist(&mut self, plan: &PersistPlan<Prepared, Database>) -> io::Result<()>;
    /// Whether a background snapshot may start: the previous one is finished.
    fn snapshot_idle(&mut self) -> bool;
    /// Writes `snapshot` in the background. The log already holds every txn it covers, so
    /// nothing waits for it.
    fn start_snapshot(&mut self, snapshot: Arc<Snapshot<Database>>) -> io::Result<()>;
}

impl Durability for Storage {
    fn persist(&mut self, plan: &PersistPlan<Prepared, Database>) -> io::Result<()> {
        for step in &plan.steps {
            self.perform(step).map_err(io::Error::other)?;
        }
        Ok(())
    }

    fn snapshot_idle(&mut self) -> bool {
        Storage::snapshot_idle(self)
    }

    fn start_snapshot(&mut self, snapshot: Arc<Snapshot<Database>>) -> io::Result<()> {
        Storage::start_snapshot(self, snapshot).map_err(io::Error::other)
    }
}

impl Storage {
    /// Performs one step of a plan; it is durable when this returns `Ok`.
    fn perform(&mut self, step: &DiskStep<Prepared, Database>) -> Result<(), StorageError> {
        match step {
            DiskStep::WriteSnapshot(snapshot) => {
                // A background snapshot still being written must not land after this one.
                self.finish_snapshot();
                self.write_snapshot(&snapshot.applied, snapshot.zxid)
                    .map(|_path| ())
            }
            DiskStep::TruncateAfter(zxid) => self.truncate_after(*zxid),
            DiskStep::AppendAndSync(proposals) => {
                let mut batch = self.log().batch();
                for proposal in proposals {
                    assert_eq!(
                        proposal.zxid, proposal.payload.header.zxid,
                        "a proposal carries the txn prepared for its zxid"
                    );
                    batch.append(&proposal.payload)?;
                }
                batch.sync().map(|_synced| ())
            }
            DiskStep::WriteAcceptedEpoch(epoch) => self.write_accepted_epoch(*epoch),
            DiskStep::WriteCurrentEpoch(epoch) => self.write_current_epoch(*epoch),
        }
    }
}
