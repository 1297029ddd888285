//! Applying one txn to the tree: what `DataTree.processTxn` does, with the watch events it
//! triggers returned instead of delivered.

use super::path::{child_name, is_descendant, parent_path};
use super::stat::{ttl_ephemeral_owner, Stat, StatPersisted, CONTAINER_EPHEMERAL_OWNER};
use super::txn::{Txn, TxnHeader};
use super::{Acl, DataTree, Node, NodeData};
use crate::error::ErrorCode;
use crate::ids::{SessionId, Zxid};
use crate::watch::EventType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The outcome of one txn or of one op of a multi (the per-op part of ZooKeeper's
/// `ProcessTxnResult`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpResult {
    /// The type of what was applied: a multi op skipped because another op failed reports
    /// `op_code::ERROR`, whatever it was.
    pub txn_type: i32,
    pub err: ErrorCode,
    /// The path the op named (absent for errors, sessions and multis).
    pub path: Option<String>,
    /// The node's stat after a successful create2/createContainer/createTTL, setData or setACL.
    pub stat: Option<Stat>,
}

/// What applying a txn produced: ZooKeeper's `ProcessTxnResult` plus the watch events to
/// trigger, in the order ZooKeeper triggers them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ApplyResult {
    pub client_id: SessionId,
    pub cxid: i32,
    pub zxid: Zxid,
    pub txn_type: i32,
    /// For a multi, the first op error (Ok when every op succeeded).
    pub err: ErrorCode,
    pub path: Option<String>,
    pub stat: Option<Stat>,
    /// One result per op of a multi; `None` for other txns.
    pub multi_results: Option<Vec<OpResult>>,
    /// (event, path) pairs for [`crate::watch::WatchRegistry::trigger`]; NodeChildrenChanged
    /// names the parent.
    pub events: Vec<(EventType, String)>,
}

impl DataTree {
    /// Applies a committed txn. Deterministic, and total on every txn a leader can prepare,
    /// also when replayed over a fuzzy snapshot that already contains some of its effects: that
    /// shows up as an error code in the result (NodeExists, NoNode), never as a panic. Panics
    /// only on txns no leader prepares (a header whose type disagrees with the body, a multi
    /// nested in a multi, deleting `/`), which mean a corrupt log.
    pub fn apply(&mut self, header: &TxnHeader, txn: &Txn) -> ApplyResult {
        assert_eq!(
            header.txn_type,
            txn.txn_type(),
            "txn header type disagrees with the txn body"
        );
        let mut events = Vec::new();
        let (result, multi_results) = match txn {
            Txn::Multi(ops) => {
                let (result, op_results) = self.apply_multi(header, ops, &mut events);
                (result, Some(op_results))
            }
            _ => (self.apply_op(header, txn, &mut events), None),
        };
        ApplyResult {
            client_id: header.client_id,
            cxid: header.cxid,
            zxid: header.zxid,
            txn_type: result.txn_type,
            err: result.err,
            path: result.path,
            stat: result.stat,
            multi_results,
            events,
        }
    }

    /// Applies one txn that is not a multi (a top-level txn or one op of a multi).
    pub(super) fn apply_op(
        &mut self,
        header: &TxnHeader,
        txn: &Txn,
        events: &mut Vec<(EventType, String)>,
    ) -> OpResult {
        let zxid = header.zxid;
        let time_ms = header.time_ms;
        let outcome: Result<Option<Stat>, ErrorCode> = match txn {
            Txn::Create(create) => {
                let owner = if create.ephemeral {
                    header.client_id.0
                } else {
                    0
                };
                self.create_node(
                    &create.path,
                    &create.data,
                    &create.acl,
                    owner,
                    create.parent_cversion,
                    zxid,
                    time_ms,
                    events,
                )
                .map(|_| None)
            }
            Txn::Create2(create) => {
                let owner = if create.ephemeral {
                    header.client_id.0
                } else {
                    0
                };
                self.create_node(
                    &create.path,
                    &create.data,
                    &create.acl,
                    owner,
                    create.parent_cversion,
                    zxid,
                    time_ms,
                    events,
                )
                .map(Some)
            }
            Txn::CreateContainer(create) => self
                .create_node(
                    &create.path,
                    &create.data,
                    &create.acl,
                    CONTAINER_EPHEMERAL_OWNER,
                    create.parent_cversion,
                    zxid,
                    time_ms,
                    events,
                )
                .map(Some),
            Txn::CreateTtl(create) => {
                let owner = ttl_ephemeral_owner(create.ttl_ms)
                    .unwrap_or_else(|| panic!("TTL out of range in a txn: {}", create.ttl_ms));
                self.create_node(
                    &create.path,
                    &create.data,
                    &create.acl,
                    owner,
                    create.parent_cversion,
                    zxid,
                    time_ms,
                    events,
                )
                .map(Some)
            }
            Txn::Delete(delete) | Txn::DeleteContainer(delete) => {
                self.delete_node(&delete.path, zxid, events).map(|()| None)
            }
            Txn::SetData(set) | Txn::Reconfig(set) => self
                .set_data(&set.path, &set.data, set.version, zxid, time_ms, events)
                .map(Some),
            Txn::SetAcl(set) => self.set_acl(&set.path, &set.acl, set.version).map(Some),
            Txn::CheckVersion(_) | Txn::CreateSession(_) => Ok(None),
            Txn::CloseSession(close) => {
                self.kill_session(header.client_id, zxid, &close.paths_to_delete, events);
                Ok(None)
            }
            Txn::Error(error) => Err(error.err),
            Txn::Multi(_) => panic!("a multi inside a multi"),
        };
        let mut result = OpResult {
            txn_type: txn.txn_type(),
            err: ErrorCode::Ok,
            path: txn.path().map(str::to_string),
            stat: None,
        };
        match outcome {
            Ok(stat) => result.stat = stat,
            Err(err) => result.err = err,
        }
        // Replay over a fuzzy snapshot: the node was deleted and re-created by another session
        // after the snapshot saw its parent, so this create meets the new node; the parent must
        // still get this txn's cversion and pzxid (only plain create, as in ZooKeeper).
        if let Txn::Create(create) = txn {
            if result.err == ErrorCode::NodeExists {
                let parent = parent_path(&create.path).unwrap_or("/");
                if let Err(err) = self.set_cversion_pzxid(parent, create.parent_cversion, zxid) {
                    result.err = err;
                }
            }
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn create_node(
        &mut self,
        path: &str,
        data: &NodeData,
        acl: &[Acl],
        ephemeral_owner: i64,
        parent_cversion: i32,
        zxid: Zxid,
        time_ms: i64,
        events: &mut Vec<(EventType, String)>,
    ) -> Result<Stat, ErrorCode> {
        // ZooKeeper resolves the parent of "/" to the root itself, so creating "/" meets an
        // existing node below.
        let parent = parent_path(path).unwrap_or("/").to_string();
        if !self.nodes.contains_key(&parent) {
            return Err(ErrorCode::NoNode);
        }
        if let Some(existing) = self.nodes.get_mut(path) {
            // ZooKeeper installs the txn's ACL on the node it meets (a replayed create whose
            // node the snapshot already holds carries that node's ACL).
            existing.acl = acl.to_vec();
            return Err(ErrorCode::NodeExists);
        }
        let parent_node = self.nodes.get_mut(&parent).expect("checked above");
        let parent_stat = &mut parent_node.persisted_stat;
        let new_cversion = if parent_cversion == -1 {
            parent_stat.cversion.wrapping_add(1)
        } else {
            parent_cversion
        };
        // Replay may apply a create the snapshot saw already undone: never move cversion (and
        // with it pzxid) backwards.
        if new_cversion > parent_stat.cversion {
            parent_stat.cversion = new_cversion;
            parent_stat.pzxid = zxid;
        }
        let added = parent_node.children.insert(child_name(path).to_string());
        assert!(added, "{parent} listed missing child {path}");
        let node = Node {
            data: data.clone(),
            acl: acl.to_vec(),
            persisted_stat: StatPersisted::created(zxid, time_ms, ephemeral_owner),
            children: BTreeSet::new(),
        };
        let stat = node.stat();
        self.nodes.insert(path.to_string(), node);
        self.index_owner(path, ephemeral_owner);
        events.push((EventType::NodeCreated, path.to_string()));
        events.push((EventType::NodeChildrenChanged, parent));
        Ok(stat)
    }

    fn delete_node(
        &mut self,
        path: &str,
        zxid: Zxid,
        events: &mut Vec<(EventType, String)>,
    ) -> Result<(), ErrorCode> {
        let parent = parent_path(path).expect("no leader deletes /").to_string();
        let Some(parent_node) = self.nodes.get_mut(&parent) else {
            return Err(ErrorCode::NoNode);
        };
        // The parent's pzxid moves even when the child is already gone (replay over a fuzzy
        // snapshot that missed the child), but never backwards past a later create's.
        parent_node.children.remove(child_name(path));
        if zxid > parent_node.persisted_stat.pzxid {
            parent_node.persisted_stat.pzxid = zxid;
        }
        let Some(node) = self.nodes.remove(path) else {
            return Err(ErrorCode::NoNode);
        };
        self.unindex_owner(path, node.persisted_stat.ephemeral_owner);
        if !node.children.is_empty() {
            // Only replay over a fuzzy snapshot can delete a node that has children (they were
            // created after this delete, under a later incarnation of the node). ZooKeeper
            // leaves them orphaned; dropping them keeps the tree a tree, and the replayed
            // creates that follow bring them back.
            self.remove_orphans(path);
        }
        events.push((EventType::NodeDeleted, path.to_string()));
        events.push((EventType::NodeChildrenChanged, parent));
        Ok(())
    }

    fn remove_orphans(&mut self, ancestor: &str) {
        let orphans: Vec<(String, i64)> = self
            .nodes
            .iter()
            .filter(|(path, _)| is_descendant(path, ancestor))
            .map(|(path, node)| (path.clone(), node.persisted_stat.ephemeral_owner))
            .collect();
        for (path, owner) in orphans {
            self.nodes.remove(&path);
            self.unindex_owner(&path, owner);
        }
    }

    fn set_data(
        &mut self,
        path: &str,
        data: &NodeData,
        version: i32,
        zxid: Zxid,
        time_ms: i64,
        events: &mut Vec<(EventType, String)>,
    ) -> Result<Stat, ErrorCode> {
        let node = self.nodes.get_mut(path).ok_or(ErrorCode::NoNode)?;
        node.data = data.clone();
        node.persisted_stat.mtime_ms = time_ms;
        node.persisted_stat.mzxid = zxid;
        node.persisted_stat.version = version;
        let stat = node.stat();
        events.push((EventType::NodeDataChanged, path.to_string()));
        Ok(stat)
    }

    fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Stat, ErrorCode> {
        let node = self.nodes.get_mut(path).ok_or(ErrorCode::NoNode)?;
        node.acl = acl.to_vec();
        node.persisted_stat.aversion = version;
        Ok(node.stat())
    }

    /// `DataTree.setCversionPzxid`: moves a node's cversion forward (-1: by one) and its pzxid
    /// with it.
    fn set_cversion_pzxid(
        &mut self,
        path: &str,
        new_cversion: i32,
        zxid: Zxid,
    ) -> Result<(), ErrorCode> {
        let node = self.nodes.get_mut(path).ok_or(ErrorCode::NoNode)?;
        let stat = &mut node.persisted_stat;
        let new_cversion = if new_cversion == -1 {
            stat.cversion.wrapping_add(1)
        } else {
            new_cversion
        };
        if new_cversion > stat.cversion {
            stat.cversion = new_cversion;
            stat.pzxid = zxid;
        }
        Ok(())
    }

    /// Deletes the paths the closeSession txn lists, then whatever ephemerals the session still
    /// owns here (a replica can know of ephemerals the leader's list missed). Already-gone paths
    /// are skipped, as ZooKeeper does.
    fn kill_session(
        &mut self,
        session: SessionId,
        zxid: Zxid,
        paths_to_delete: &[String],
        events: &mut Vec<(EventType, String)>,
    ) {
        for path in paths_to_delete {
            let _already_gone = self.delete_node(path, zxid, events);
        }
        for path in self.ephemerals(session) {
            let _already_gone = self.delete_node(&path, zxid, events);
        }
        assert!(
            self.ephemerals(session).is_empty(),
            "session {session} still owns ephemerals after its close"
        );
    }
}
