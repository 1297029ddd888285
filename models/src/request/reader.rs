//! The reads that can leave a watch (getData, exists, getChildren and getChildren2), answered
//! from the committed tree as ZooKeeper's `FinalRequestProcessor` answers them. The server and
//! the recipe model checks both call these, so what a client observes of a read (its answer,
//! its error, whether a watch is left) is decided here once.
//!
//! - getData and getChildren on a missing node answer NoNode and leave no watch: ZooKeeper
//!   looks the node up before it registers the watcher.
//! - exists leaves its watch whether or not the node exists (on a missing node it fires when
//!   the node is created), and answers a missing node with NoNode.
//! - Watches are filed under the path as sent, as ZooKeeper files them: one on `""` never
//!   fires, though `""` reads the root (see [`read_node_path`]).

use super::{check_read, read_node_path, AccessControl, ReadOp};
use crate::error::ErrorCode;
use crate::ids::Zxid;
use crate::mutation::Mutations;
use crate::tree::{DataTree, Id, Node, NodeData, Stat};
use crate::watch::{WatchPaths, WatchRegistry, WatchedEvent};
use std::fmt::Debug;
use std::hash::Hash;

/// What one read of one session sees and may change: the committed tree, the session's
/// credentials, and the server's watches, on behalf of `watcher` (a connection in the server,
/// a client actor in the model checks).
pub struct Reader<'a, W: Ord> {
    pub tree: &'a DataTree,
    pub access: &'a AccessControl,
    pub auth: &'a [Id],
    pub watches: &'a mut WatchRegistry<W>,
    pub watcher: &'a W,
    /// Seeded bugs; `Mutations::NONE` in the server.
    pub mutations: Mutations,
}

impl<W: Ord + Clone + Hash + Debug> Reader<'_, W> {
    /// getData: the node's data and stat; with `watch`, a one-time data watch on it.
    pub fn get_data(&mut self, path: &str, watch: bool) -> Result<(NodeData, Stat), ErrorCode> {
        let node_path = self.checked(ReadOp::GetData, path)?;
        let node = self.tree.node(node_path).expect("checked above");
        if watch {
            self.watches.add_data_watch(path, self.watcher);
        }
        Ok((node.data.clone(), node.stat()))
    }

    /// getChildren and getChildren2: the child names, sorted, and the node's stat; with
    /// `watch`, a one-time child watch on it.
    pub fn get_children(
        &mut self,
        path: &str,
        watch: bool,
    ) -> Result<(Vec<String>, Stat), ErrorCode> {
        let node_path = self.checked(ReadOp::GetChildren, path)?;
        let node = self.tree.node(node_path).expect("checked above");
        if watch {
            self.watches.add_child_watch(path, self.watcher);
        }
        Ok((node.children.iter().cloned().collect(), node.stat()))
    }

    /// exists: the node's stat, or NoNode; with `watch`, a one-time data watch either way.
    pub fn exists(&mut self, path: &str, watch: bool) -> Result<Stat, ErrorCode> {
        let node_path = read_node_path(ReadOp::Exists, path)?;
        let stat = self.tree.stat(node_path);
        let seeded_bug = self.mutations.exists_watches_only_present_nodes && stat.is_none();
        if watch && !seeded_bug {
            self.watches.add_data_watch(path, self.watcher);
        }
        stat.ok_or(ErrorCode::NoNode)
    }

    /// setWatches after a reconnect: the connection's watches re-registered against the tree
    /// relative to `relative_zxid`, the last zxid the client saw
    /// ([`WatchRegistry::set_watches`]); the events of those that would already have fired,
    /// to be sent before the reply.
    pub fn set_watches(&mut self, relative_zxid: Zxid, paths: WatchPaths<'_>) -> Vec<WatchedEvent> {
        let mutations = self.mutations;
        // The seeded bugs: an exists watch whose node was created meanwhile, or a child watch
        // judged by the node's mzxid, is left armed instead of firing.
        let (rearmed_exist, exist) = self.partition(paths.exist, |node| {
            mutations.set_watches_rearms_created_nodes && node.is_some()
        });
        let (rearmed_child, child) = self.partition(paths.child, |node| {
            mutations.set_watches_rearms_changed_children
                && node.is_some_and(|node| node.persisted_stat.mzxid <= relative_zxid)
        });
        for path in &rearmed_exist {
            self.watches.add_data_watch(path, self.watcher);
        }
        for path in &rearmed_child {
            self.watches.add_child_watch(path, self.watcher);
        }
        let paths = WatchPaths {
            exist: &exist,
            child: &child,
            ..paths
        };
        self.watches
            .set_watches(self.tree, relative_zxid, paths, self.watcher)
    }

    /// `paths` split into those whose node (or its absence) `rearmed` picks and the rest.
    fn partition(
        &self,
        paths: &[String],
        rearmed: impl Fn(Option<&Node>) -> bool,
    ) -> (Vec<String>, Vec<String>) {
        paths
            .iter()
            .cloned()
            .partition(|path| rearmed(self.tree.node(path)))
    }

    /// The node `path` names, once the session may do `op` on it (NoNode, then NoAuth).
    fn checked<'path>(&self, op: ReadOp, path: &'path str) -> Result<&'path str, ErrorCode> {
        let node_path = read_node_path(op, path)?;
        check_read(self.tree, self.access, self.auth, op, node_path)?;
        Ok(node_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Acl, CreateTxn, Txn};
    use crate::watch::{EventType, WatcherType};
    use crate::{SessionId, Zxid};

    fn tree_with_directory() -> DataTree {
        let mut tree = DataTree::new();
        let txn = Txn::Create(CreateTxn {
            path: "/dir".to_string(),
            data: Some(b"x".to_vec()),
            acl: Acl::open_unsafe(),
            ephemeral: false,
            parent_cversion: 1,
        });
        let header = txn.header(SessionId(1), 1, Zxid(1), 0);
        tree.apply(&header, &txn);
        tree
    }

    fn read<T>(
        tree: &DataTree,
        watches: &mut WatchRegistry<u8>,
        run: impl FnOnce(&mut Reader<u8>) -> T,
    ) -> T {
        let access = AccessControl::default();
        let mut reader = Reader {
            tree,
            access: &access,
            auth: &[],
            watches,
            watcher: &7,
            mutations: Mutations::NONE,
        };
        run(&mut reader)
    }

    #[test]
    fn get_children_of_a_missing_node_is_no_node_and_leaves_no_watch() {
        let tree = tree_with_directory();
        let mut watches = WatchRegistry::new();
        let answer = read(&tree, &mut watches, |reader| {
            reader.get_children("/gone", true)
        });
        assert_eq!(answer, Err(ErrorCode::NoNode));
        assert_eq!(watches, WatchRegistry::new());
    }

    #[test]
    fn get_data_of_a_missing_node_is_no_node_and_leaves_no_watch() {
        let tree = tree_with_directory();
        let mut watches = WatchRegistry::new();
        let answer = read(&tree, &mut watches, |reader| reader.get_data("/gone", true));
        assert_eq!(answer, Err(ErrorCode::NoNode));
        assert_eq!(watches, WatchRegistry::new());
    }

    #[test]
    fn exists_of_a_missing_node_is_no_node_and_watches_for_its_creation() {
        let tree = tree_with_directory();
        let mut watches = WatchRegistry::new();
        let answer = read(&tree, &mut watches, |reader| reader.exists("/gone", true));
        assert_eq!(answer, Err(ErrorCode::NoNode));
        assert!(watches.contains_watch("/gone", &7, WatcherType::Data));
        let fired = watches.trigger(&[(EventType::NodeCreated, "/gone".to_string())]);
        assert_eq!(fired.len(), 1);
    }

    #[test]
    fn set_watches_fires_an_exists_watch_whose_node_was_created_meanwhile() {
        let tree = tree_with_directory();
        let exist = ["/dir".to_string(), "/gone".to_string()];
        let paths = WatchPaths {
            exist: &exist,
            ..WatchPaths::default()
        };
        let mut watches = WatchRegistry::new();
        let immediate = read(&tree, &mut watches, |reader| {
            reader.set_watches(Zxid(0), paths)
        });
        let fired: Vec<(EventType, &str)> = immediate
            .iter()
            .map(|event| (event.event_type, event.path.as_str()))
            .collect();
        assert_eq!(fired, vec![(EventType::NodeCreated, "/dir")]);
        assert!(!watches.contains_watch("/dir", &7, WatcherType::Data));
        assert!(watches.contains_watch("/gone", &7, WatcherType::Data));
    }

    #[test]
    fn reads_of_a_present_node_answer_and_watch() {
        let tree = tree_with_directory();
        let mut watches = WatchRegistry::new();
        let (data, stat) = read(&tree, &mut watches, |reader| reader.get_data("/dir", true))
            .expect("the node exists");
        assert_eq!(data, Some(b"x".to_vec()));
        assert_eq!(stat.data_length, 1);
        let (children, _) = read(&tree, &mut watches, |reader| reader.get_children("/", true))
            .expect("the root exists");
        assert!(children.contains(&"dir".to_string()));
        assert!(watches.contains_watch("/dir", &7, WatcherType::Data));
        assert!(watches.contains_watch("/", &7, WatcherType::Children));
    }
}
