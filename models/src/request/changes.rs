//! Outstanding changes: what prepared but not yet applied txns will do to the nodes they touch
//! (ZooKeeper's `outstandingChanges` and `outstandingChangesForPath`, with `ChangeRecord`).

use crate::ids::Zxid;
use crate::tree::{Acl, DataTree, StatPersisted};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// A node as preparation sees it: committed, or as an outstanding txn leaves it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PendingNode {
    pub stat: StatPersisted,
    pub child_count: usize,
    pub acl: Vec<Acl>,
}

/// What the txn `zxid` leaves at `path`: a node, or `None` when it deletes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub zxid: Zxid,
    pub path: String,
    pub node: Option<PendingNode>,
}

/// Undo information of a multi being prepared: how far the queue went before it, and the
/// latest record it replaced per path, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Batch {
    queue_length: usize,
    replaced: Vec<(String, Option<ChangeRecord>)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OutstandingChanges {
    /// (zxid, path) of every record in the order it was made; zxids never decrease.
    queue: VecDeque<(Zxid, String)>,
    /// The latest record per path; what preparation reads in preference to the tree.
    latest_by_path: BTreeMap<String, ChangeRecord>,
    batch: Option<Batch>,
}

impl OutstandingChanges {
    pub fn new() -> OutstandingChanges {
        OutstandingChanges::default()
    }

    /// `getRecordForPath`: the node at `path` as the outstanding txns leave it, else as the
    /// tree holds it. `None` when it does not exist (or an outstanding txn deletes it).
    pub fn node(&self, tree: &DataTree, path: &str) -> Option<PendingNode> {
        if let Some(record) = self.latest_by_path.get(path) {
            return record.node.clone();
        }
        tree.node(path).map(|node| PendingNode {
            stat: node.persisted_stat,
            child_count: node.children.len(),
            acl: node.acl.clone(),
        })
    }

    /// The latest outstanding record of every path that has one.
    pub fn latest(&self) -> impl Iterator<Item = &ChangeRecord> {
        self.latest_by_path.values()
    }

    /// `addChangeRecord`.
    pub fn add(&mut self, record: ChangeRecord) {
        if let Some((last_zxid, _)) = self.queue.back() {
            assert!(
                *last_zxid <= record.zxid,
                "change records are made in zxid order"
            );
        }
        let path = record.path.clone();
        self.queue.push_back((record.zxid, path.clone()));
        let replaced = self.latest_by_path.insert(path.clone(), record);
        if let Some(batch) = &mut self.batch {
            batch.replaced.push((path, replaced));
        }
    }

    /// Starts a multi: records made until [`OutstandingChanges::commit_batch`] or
    /// [`OutstandingChanges::rollback_batch`] can be undone together.
    pub fn begin_batch(&mut self) {
        assert!(self.batch.is_none(), "multis do not nest");
        self.batch = Some(Batch {
            queue_length: self.queue.len(),
            replaced: Vec::new(),
        });
    }

    pub fn commit_batch(&mut self) {
        assert!(self.batch.take().is_some(), "no multi in progress");
    }

    /// Undoes every record of the multi in progress, restoring the records they replaced. A
    /// failed multi thus leaves the outstanding changes exactly as it found them (ZooKeeper's
    /// `rollbackPendingChanges`, which can only approximate this).
    pub fn rollback_batch(&mut self) {
        let batch = self.batch.take().expect("no multi in progress");
        assert!(self.queue.len() >= batch.queue_length);
        self.queue.truncate(batch.queue_length);
        for (path, replaced) in batch.replaced.into_iter().rev() {
            match replaced {
                Some(record) => self.latest_by_path.insert(path, record),
                None => self.latest_by_path.remove(&path),
            };
        }
    }

    /// The txn `zxid` is applied to the tree: every record up to it is now in the tree, so the
    /// tree answers for those paths again (unless a later record covers them).
    pub fn retire_through(&mut self, zxid: Zxid) {
        assert!(
            self.batch.is_none(),
            "no txn is applied while a multi is prepared"
        );
        while let Some((record_zxid, _)) = self.queue.front() {
            if *record_zxid > zxid {
                break;
            }
            let (_, path) = self.queue.pop_front().expect("checked non-empty");
            let is_latest = self
                .latest_by_path
                .get(&path)
                .is_some_and(|latest| latest.zxid <= zxid);
            if is_latest {
                self.latest_by_path.remove(&path);
            }
        }
    }

    pub fn clear(&mut self) {
        self.queue.clear();
        self.latest_by_path.clear();
        self.batch = None;
    }

    /// The number of records not yet retired.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The zxid of the newest record, if any.
    pub fn last_zxid(&self) -> Option<Zxid> {
        self.queue.back().map(|(zxid, _)| *zxid)
    }
}
