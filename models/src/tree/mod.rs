//! The replicated DataTree: every znode with its data, ACL and stat, the ephemerals of each
//! session, and the container and TTL nodes. It changes only through [`DataTree::apply`], which
//! is deterministic: every server that applies the same txns in zxid order holds the same tree.
//!
//! Semantics follow Apache ZooKeeper 3.8/3.9's `DataTree`, including its tolerance of replay
//! over a fuzzy snapshot (a txn whose effect the snapshot already holds answers NodeExists or
//! NoNode instead of failing) and its stat bookkeeping (persisted cversion counts creates; the
//! client-visible one is derived, see [`Stat`]).
//!
//! Validation (versions, ACLs, paths, the parent being able to hold children) happens at prep
//! time, before a txn exists; apply trusts txns to be what the leader prepared and asserts the
//! few things that would mean a corrupt log.

pub mod acl;
mod apply;
mod multi;
pub mod path;
mod rebuild;
pub mod stat;
pub mod txn;

pub use acl::{perms, Acl, Id};
pub use apply::{ApplyResult, OpResult};
pub use path::{sequential_path, validate_path, PathError};
pub use rebuild::TreeBuilder;
pub use stat::{EphemeralType, Stat, StatPersisted, CONTAINER_EPHEMERAL_OWNER, TTL_MS_MAX};
pub use txn::{
    op_code, CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, SetAclTxn, SetDataTxn, Txn, TxnHeader,
};

use crate::ids::SessionId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// ZooKeeper's own nodes, present in every tree (`/zookeeper/config` holds the dynamic
/// configuration, `/zookeeper/quota` the quota records).
pub const ZOOKEEPER_PATH: &str = "/zookeeper";
pub const QUOTA_PATH: &str = "/zookeeper/quota";
pub const CONFIG_PATH: &str = "/zookeeper/config";

/// A znode's data. ZooKeeper keeps null apart from empty: a client may create or set null
/// (a jute buffer of length -1), reads it back as null, and it counts 0 bytes in the Stat.
pub type NodeData = Option<Vec<u8>>;

/// One znode.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Node {
    pub data: NodeData,
    pub acl: Vec<Acl>,
    pub persisted_stat: StatPersisted,
    /// Child names (not paths), sorted.
    pub children: BTreeSet<String>,
}

impl Node {
    /// The stat a client sees for this node.
    pub fn stat(&self) -> Stat {
        Stat::of(
            &self.persisted_stat,
            self.data.as_ref().map_or(0, Vec::len),
            self.children.len(),
        )
    }
}

/// Why a snapshot's node list cannot be a tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SnapshotError {
    /// A node came before its parent (ZooKeeper writes parents first).
    MissingParent {
        path: String,
    },
    DuplicatePath {
        path: String,
    },
    MissingRoot,
}

/// The tree. Fields are private so that the indexes (children, ephemerals, containers, TTLs)
/// can only change together with the nodes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DataTree {
    nodes: BTreeMap<String, Node>,
    /// Paths of ephemeral nodes per owning session; sessions without any are not kept.
    ephemerals: BTreeMap<SessionId, BTreeSet<String>>,
    containers: BTreeSet<String>,
    ttls: BTreeSet<String>,
}

impl Default for DataTree {
    fn default() -> Self {
        DataTree::new()
    }
}

impl DataTree {
    /// A new tree as Apache ZooKeeper 3.8 creates it: `/`, `/zookeeper`, `/zookeeper/quota` and
    /// `/zookeeper/config`, all with zeroed stats and open ACLs, except that `/zookeeper/config`
    /// is world-readable only and has aversion -1 (set by an unversioned setACL at startup).
    /// No txn created the system nodes, so `/` shows cversion -1 and `/zookeeper` -2.
    pub fn new() -> DataTree {
        let mut tree = DataTree::empty();
        // ZooKeeper gives its own nodes empty data, not null.
        let system_node = |acl: Vec<Acl>| Node {
            data: Some(Vec::new()),
            acl,
            ..Node::default()
        };
        tree.nodes
            .insert("/".into(), system_node(Acl::open_unsafe()));
        tree.nodes
            .insert(ZOOKEEPER_PATH.into(), system_node(Acl::open_unsafe()));
        tree.nodes
            .insert(QUOTA_PATH.into(), system_node(Acl::open_unsafe()));
        let mut config = system_node(Acl::read_unsafe());
        config.persisted_stat.aversion = -1;
        tree.nodes.insert(CONFIG_PATH.into(), config);
        tree.link_child(ZOOKEEPER_PATH);
        tree.link_child(QUOTA_PATH);
        tree.link_child(CONFIG_PATH);
        tree
    }

    fn empty() -> DataTree {
        DataTree {
            nodes: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
            containers: BTreeSet::new(),
            ttls: BTreeSet::new(),
        }
    }

    /// Rebuilds a tree from a snapshot's nodes in the snapshot's order (every parent before its
    /// children, `/` first), restoring children, ephemerals, containers and TTL nodes from the
    /// stored stats.
    pub fn from_snapshot(
        nodes: impl IntoIterator<Item = (String, NodeData, Vec<Acl>, StatPersisted)>,
    ) -> Result<DataTree, SnapshotError> {
        let mut builder = TreeBuilder::new();
        for (path, data, acl, persisted_stat) in nodes {
            builder.push(path, data, acl, persisted_stat)?;
        }
        builder.finish()
    }

    fn link_child(&mut self, path: &str) {
        let parent = path::parent_path(path).expect("not the root");
        let added = self
            .nodes
            .get_mut(parent)
            .expect("parent exists")
            .children
            .insert(path::child_name(path).to_string());
        assert!(added, "{path} was already a child");
    }

    fn index_owner(&mut self, path: &str, ephemeral_owner: i64) {
        let added = match EphemeralType::of(ephemeral_owner) {
            EphemeralType::Void => true,
            EphemeralType::Container => self.containers.insert(path.to_string()),
            EphemeralType::Ttl { .. } => self.ttls.insert(path.to_string()),
            EphemeralType::Normal(session) => self
                .ephemerals
                .entry(session)
                .or_default()
                .insert(path.to_string()),
        };
        assert!(added, "{path} was already indexed");
    }

    fn unindex_owner(&mut self, path: &str, ephemeral_owner: i64) {
        let removed = match EphemeralType::of(ephemeral_owner) {
            EphemeralType::Void => true,
            EphemeralType::Container => self.containers.remove(path),
            EphemeralType::Ttl { .. } => self.ttls.remove(path),
            EphemeralType::Normal(session) => match self.ephemerals.get_mut(&session) {
                None => false,
                Some(paths) => {
                    let removed = paths.remove(path);
                    if paths.is_empty() {
                        self.ephemerals.remove(&session);
                    }
                    removed
                }
            },
        };
        assert!(removed, "{path} was not indexed");
    }

    // Read API used by the request pipeline.

    /// The node at `path`.
    pub fn node(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    /// The client stat of the node at `path`.
    pub fn stat(&self, path: &str) -> Option<Stat> {
        self.nodes.get(path).map(Node::stat)
    }

    /// The child names of the node at `path`, sorted.
    pub fn children(&self, path: &str) -> Option<Vec<String>> {
        self.nodes
            .get(path)
            .map(|node| node.children.iter().cloned().collect())
    }

    pub fn acl(&self, path: &str) -> Option<&[Acl]> {
        self.nodes.get(path).map(|node| node.acl.as_slice())
    }

    /// The paths of the ephemeral nodes `session` owns, sorted (getEphemerals, and the list a
    /// closeSession txn carries).
    pub fn ephemerals(&self, session: SessionId) -> Vec<String> {
        self.ephemerals
            .get(&session)
            .map(|paths| paths.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The sessions that own at least one ephemeral node.
    pub fn sessions_with_ephemerals(&self) -> impl Iterator<Item = SessionId> + '_ {
        self.ephemerals.keys().copied()
    }

    /// The number of ephemeral nodes over all sessions.
    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.values().map(BTreeSet::len).sum()
    }

    /// The closeSession txn for `session` as far as the tree knows: the request pipeline adds
    /// the ephemerals of its outstanding (prepared, not yet applied) creates and removes those of
    /// outstanding deletes, as ZooKeeper's PrepRequestProcessor does.
    pub fn close_session_txn(&self, session: SessionId) -> CloseSessionTxn {
        CloseSessionTxn {
            paths_to_delete: self.ephemerals(session),
        }
    }

    pub fn containers(&self) -> &BTreeSet<String> {
        &self.containers
    }

    pub fn ttls(&self) -> &BTreeSet<String> {
        &self.ttls
    }

    /// The nodes ZooKeeper's container and TTL reaper (`ContainerManager`) deletes at wall time
    /// `now_ms`, in path order: containers without children that had some (cversion > 0, so a
    /// new container is not deleted before its first child), and TTL nodes without children
    /// whose last change is more than their TTL ago.
    pub fn reapable(&self, now_ms: i64) -> Vec<String> {
        let childless = |path: &&String| {
            self.nodes
                .get(path.as_str())
                .is_some_and(|node| node.children.is_empty())
        };
        let containers = self
            .containers
            .iter()
            .filter(childless)
            .filter(|path| self.nodes[path.as_str()].persisted_stat.cversion > 0);
        let expired_ttls = self.ttls.iter().filter(childless).filter(|path| {
            let stat = &self.nodes[path.as_str()].persisted_stat;
            match EphemeralType::of(stat.ephemeral_owner) {
                EphemeralType::Ttl { ttl_ms } => {
                    ttl_ms != 0 && now_ms.saturating_sub(stat.mtime_ms) > ttl_ms
                }
                _ => false,
            }
        });
        let mut reapable: Vec<String> = containers.chain(expired_ttls).cloned().collect();
        reapable.sort();
        reapable
    }

    /// getAllChildrenNumber: the number of nodes below `path` at any depth (for `/`, every node
    /// but the root, the system nodes included).
    pub fn all_children_number(&self, path: &str) -> Option<usize> {
        if !self.nodes.contains_key(path) {
            return None;
        }
        if path == "/" {
            return Some(self.nodes.len() - 1);
        }
        let prefix = format!("{path}/");
        Some(
            self.nodes
                .range(prefix.clone()..)
                .take_while(|(candidate, _)| candidate.starts_with(&prefix))
                .count(),
        )
    }

    /// The number of znodes, `/` included.
    pub fn znode_count(&self) -> usize {
        self.nodes.len()
    }

    /// The count ZooKeeper reports as `zk_znode_count` (mntr) and in `stat`: its node map holds
    /// the root twice (as "" and "/"), so this is one more than [`DataTree::znode_count`].
    pub fn node_count(&self) -> usize {
        self.nodes.len() + 1
    }

    /// Every node with its path, sorted by path (parents before children): what a snapshot
    /// writes.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(path, node)| (path.as_str(), node))
    }

    /// Checks that the indexes agree with the nodes. Expensive (a full scan): for tests and the
    /// model checker, not for every production step.
    pub fn assert_consistent(&self) {
        let root = self.nodes.get("/").expect("the root exists");
        assert_eq!(
            root.persisted_stat.ephemeral_owner, 0,
            "the root is persistent"
        );
        let mut ephemerals: BTreeMap<SessionId, BTreeSet<String>> = BTreeMap::new();
        let mut containers = BTreeSet::new();
        let mut ttls = BTreeSet::new();
        for (path, node) in &self.nodes {
            for child in &node.children {
                assert!(
                    self.nodes.contains_key(&path::join_path(path, child)),
                    "{path} lists missing child {child}"
                );
            }
            let Some(parent) = path::parent_path(path) else {
                continue;
            };
            let parent_node = self.nodes.get(parent).expect("every node has a parent");
            assert!(
                parent_node.children.contains(path::child_name(path)),
                "{parent} does not list {path}"
            );
            match EphemeralType::of(node.persisted_stat.ephemeral_owner) {
                EphemeralType::Void => {}
                EphemeralType::Container => {
                    containers.insert(path.clone());
                }
                EphemeralType::Ttl { .. } => {
                    ttls.insert(path.clone());
                }
                EphemeralType::Normal(session) => {
                    ephemerals.entry(session).or_default().insert(path.clone());
                }
            }
        }
        assert_eq!(ephemerals, self.ephemerals, "ephemeral index");
        assert_eq!(containers, self.containers, "container index");
        assert_eq!(ttls, self.ttls, "TTL index");
    }
}

#[cfg(test)]
mod tests;
