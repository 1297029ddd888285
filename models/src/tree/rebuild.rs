//! A tree taken apart and put back together node by node: what a snapshot file and a SNAP sent
//! over the quorum carry. The nodes go out in path order, which puts every parent before its
//! children, and a reader rebuilds the indexes (children, ephemerals, containers, TTL nodes) from
//! the stored stats as the nodes arrive, so that neither side needs the whole list at once.

use super::{path, Acl, DataTree, Node, NodeData, SnapshotError, StatPersisted};
use std::collections::BTreeSet;
use std::ops::Bound;

impl DataTree {
    /// The nodes after `path` (exclusive), in path order: where a writer that sent everything
    /// up to `path` goes on, without holding an iterator across its pauses.
    pub fn iter_after<'t>(&'t self, path: &str) -> impl Iterator<Item = (&'t str, &'t Node)> {
        self.nodes
            .range::<str, _>((Bound::Excluded(path), Bound::Unbounded))
            .map(|(path, node)| (path.as_str(), node))
    }
}

/// Builds a [`DataTree`] from a snapshot's nodes pushed one at a time in the snapshot's order
/// (every parent before its children, `/` first).
#[derive(Debug)]
pub struct TreeBuilder {
    tree: DataTree,
}

impl Default for TreeBuilder {
    fn default() -> Self {
        TreeBuilder::new()
    }
}

impl TreeBuilder {
    pub fn new() -> TreeBuilder {
        TreeBuilder {
            tree: DataTree::empty(),
        }
    }

    /// The nodes pushed so far.
    pub fn node_count(&self) -> usize {
        self.tree.nodes.len()
    }

    /// Adds the next node. A node whose parent has not come yet, or that came before, is an
    /// error, and leaves the builder as it was.
    pub fn push(
        &mut self,
        path: String,
        data: NodeData,
        acl: Vec<Acl>,
        persisted_stat: StatPersisted,
    ) -> Result<(), SnapshotError> {
        let tree = &mut self.tree;
        if tree.nodes.contains_key(&path) {
            return Err(SnapshotError::DuplicatePath { path });
        }
        let has_parent = match path::parent_path(&path) {
            None => true,
            Some(parent) => tree.nodes.contains_key(parent),
        };
        if !has_parent {
            return Err(SnapshotError::MissingParent { path });
        }
        let owner = persisted_stat.ephemeral_owner;
        tree.nodes.insert(
            path.clone(),
            Node {
                data,
                acl,
                persisted_stat,
                children: BTreeSet::new(),
            },
        );
        if path != "/" {
            tree.link_child(&path);
            tree.index_owner(&path, owner);
        }
        Ok(())
    }

    /// The tree, once every node is in: it must have a root.
    pub fn finish(self) -> Result<DataTree, SnapshotError> {
        if !self.tree.nodes.contains_key("/") {
            return Err(SnapshotError::MissingRoot);
        }
        Ok(self.tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{CreateTxn, Txn};
    use crate::{SessionId, Zxid};

    fn sample() -> DataTree {
        let mut tree = DataTree::new();
        for (index, path) in ["/a", "/a/b", "/a-b", "/c"].into_iter().enumerate() {
            let txn = Txn::Create(CreateTxn {
                path: path.to_string(),
                data: Some(vec![index as u8]),
                acl: Acl::open_unsafe(),
                ephemeral: false,
                parent_cversion: 1,
            });
            let header = txn.header(SessionId(1), index as i32, Zxid(index as u64 + 1), 1);
            tree.apply(&header, &txn);
        }
        tree
    }

    fn rebuilt(nodes: Vec<(&str, &Node)>) -> Result<DataTree, SnapshotError> {
        let mut builder = TreeBuilder::new();
        for (path, node) in nodes {
            builder.push(
                path.to_string(),
                node.data.clone(),
                node.acl.clone(),
                node.persisted_stat,
            )?;
        }
        builder.finish()
    }

    #[test]
    fn a_tree_taken_apart_in_order_and_resumed_anywhere_comes_back_whole() {
        let tree = sample();
        let all: Vec<(&str, &Node)> = tree.iter().collect();
        for pause in 0..all.len() {
            let mut resumed: Vec<(&str, &Node)> = all[..=pause].to_vec();
            resumed.extend(tree.iter_after(all[pause].0));
            assert_eq!(resumed, all, "paused after {}", all[pause].0);
        }
        assert_eq!(rebuilt(all), Ok(tree));
    }

    #[test]
    fn a_child_before_its_parent_a_duplicate_and_a_missing_root_are_refused() {
        let tree = sample();
        let all: Vec<(&str, &Node)> = tree.iter().collect();
        let mut child_first = all.clone();
        let child = child_first.iter().position(|(p, _)| *p == "/a/b").unwrap();
        let parent = child_first.iter().position(|(p, _)| *p == "/a").unwrap();
        let moved = child_first.remove(child);
        child_first.insert(parent, moved);
        assert_eq!(
            rebuilt(child_first),
            Err(SnapshotError::MissingParent {
                path: "/a/b".to_string()
            })
        );
        let mut twice = all.clone();
        twice.push(all[1]);
        assert!(matches!(
            rebuilt(twice),
            Err(SnapshotError::DuplicatePath { .. })
        ));
        assert_eq!(rebuilt(Vec::new()), Err(SnapshotError::MissingRoot));
    }
}
