//! The storage as the server core's [`Durability`]: a planned `Save` becomes [`DiskWork`].

use super::store::{DiskWork, Storage};
use crate::server::core::Durability;
use crate::server::persist::Persist;
use std::io;
use std::sync::Arc;
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::zab::Snapshot;

impl Durability for Storage {
    fn persist(&mut self, plan: &Persist<Prepared, Database>) -> io::Result<()> {
        if let Some(snapshot) = &plan.snapshot {
            // A background snapshot still being written must not land after this one.
            self.finish_snapshot();
            // A SNAP replaced the history: the snapshot first, then nothing logged after it
            // may survive (the plan's appends are the whole new history).
            self.write_snapshot(&snapshot.applied, snapshot.zxid)
                .map_err(io::Error::other)?;
            self.truncate_after(snapshot.zxid)
                .map_err(io::Error::other)?;
        }
        let work = DiskWork {
            truncate_after: plan.truncate_after,
            append: &plan.append,
            accepted_epoch: plan.accepted_epoch,
            current_epoch: plan.current_epoch,
        };
        Storage::persist(self, work)
            .map(|_synced| ())
            .map_err(io::Error::other)
    }

    fn snapshot_idle(&mut self) -> bool {
        Storage::snapshot_idle(self)
    }

    fn start_snapshot(&mut self, snapshot: Arc<Snapshot<Database>>) -> io::Result<()> {
        Storage::start_snapshot(self, snapshot).map_err(io::Error::other)
    }
}
