//! Unit tests of each txn against the exact stats ZooKeeper would report.

use super::*;
use crate::error::ErrorCode;
use crate::ids::{SessionId, Zxid};
use crate::watch::EventType::{NodeChildrenChanged, NodeCreated, NodeDataChanged, NodeDeleted};

const SESSION: SessionId = SessionId(0x1234);

fn apply(tree: &mut DataTree, zxid: u64, txn: Txn) -> ApplyResult {
    let header = txn.header(SESSION, 7, Zxid(zxid), 1000 + zxid as i64);
    let result = tree.apply(&header, &txn);
    tree.assert_consistent();
    result
}

fn create_txn(path: &str, data: &[u8], ephemeral: bool, parent_cversion: i32) -> CreateTxn {
    CreateTxn {
        path: path.into(),
        data: Some(data.to_vec()),
        acl: Acl::open_unsafe(),
        ephemeral,
        parent_cversion,
    }
}

fn create(path: &str, parent_cversion: i32) -> Txn {
    Txn::Create(create_txn(path, b"x", false, parent_cversion))
}

fn delete(path: &str) -> Txn {
    Txn::Delete(DeleteTxn { path: path.into() })
}

fn event(event_type: crate::watch::EventType, path: &str) -> (crate::watch::EventType, String) {
    (event_type, path.to_string())
}

#[test]
fn new_tree_matches_zookeeper_3_8() {
    let tree = DataTree::new();
    tree.assert_consistent();
    let root = tree.stat("/").unwrap();
    assert_eq!(
        root,
        Stat {
            cversion: -1,
            num_children: 1,
            ..Stat::default()
        }
    );
    let zookeeper = tree.stat("/zookeeper").unwrap();
    assert_eq!(zookeeper.cversion, -2);
    assert_eq!(zookeeper.num_children, 2);
    assert_eq!(
        tree.children("/zookeeper").unwrap(),
        vec!["config", "quota"]
    );
    assert_eq!(tree.stat("/zookeeper/config").unwrap().aversion, -1);
    assert_eq!(tree.acl("/zookeeper/config").unwrap(), Acl::read_unsafe());
    assert_eq!(tree.acl("/").unwrap(), Acl::open_unsafe());
    assert_eq!(tree.znode_count(), 4);
    assert_eq!(tree.node_count(), 5);
    assert_eq!(tree.all_children_number("/"), Some(3));
    assert_eq!(tree.all_children_number("/zookeeper"), Some(2));
    assert_eq!(tree.all_children_number("/missing"), None);
}

#[test]
fn create_sets_child_stat_and_parent_cversion_and_pzxid() {
    let mut tree = DataTree::new();
    let result = apply(&mut tree, 5, create("/a", 1));
    assert_eq!(result.err, ErrorCode::Ok);
    assert_eq!(result.txn_type, op_code::CREATE);
    assert_eq!(result.path.as_deref(), Some("/a"));
    assert_eq!(result.stat, None, "plain create returns no stat");
    assert_eq!(result.multi_results, None);
    assert_eq!(
        result.events,
        vec![event(NodeCreated, "/a"), event(NodeChildrenChanged, "/")]
    );
    let stat = tree.stat("/a").unwrap();
    assert_eq!(
        stat,
        Stat {
            czxid: Zxid(5),
            mzxid: Zxid(5),
            ctime_ms: 1005,
            mtime_ms: 1005,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 1,
            num_children: 0,
            pzxid: Zxid(5),
        }
    );
    let root = tree.stat("/").unwrap();
    assert_eq!(
        root.cversion,
        2 - 2,
        "one create, two children (zookeeper, a)"
    );
    assert_eq!(root.pzxid, Zxid(5));
    assert_eq!(root.num_children, 2);
    assert_eq!(tree.node("/").unwrap().persisted_stat.cversion, 1);
}

#[test]
fn create2_returns_the_new_stat() {
    let mut tree = DataTree::new();
    let result = apply(&mut tree, 5, Txn::Create2(create_txn("/a", b"", false, 1)));
    assert_eq!(result.txn_type, op_code::CREATE2);
    assert_eq!(result.stat, tree.stat("/a"));
    assert_eq!(result.stat.unwrap().data_length, 0);
}

#[test]
fn create_without_parent_is_no_node_and_changes_nothing() {
    let mut tree = DataTree::new();
    let before = tree.clone();
    let result = apply(&mut tree, 5, create("/a/b", 1));
    assert_eq!(result.err, ErrorCode::NoNode);
    assert_eq!(result.path.as_deref(), Some("/a/b"));
    assert!(result.events.is_empty());
    assert_eq!(tree, before);
}

#[test]
fn replayed_create_meets_existing_node() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    let mut replayed = create_txn("/a", b"other", false, 3);
    replayed.acl = Acl::read_unsafe();
    let result = apply(&mut tree, 6, Txn::Create(replayed.clone()));
    assert_eq!(result.err, ErrorCode::NodeExists);
    assert!(result.events.is_empty());
    assert_eq!(
        tree.node("/a").unwrap().data.as_deref(),
        Some(&b"x"[..]),
        "data untouched"
    );
    assert_eq!(tree.acl("/a").unwrap(), Acl::read_unsafe(), "ACL replaced");
    let root = tree.node("/").unwrap().persisted_stat;
    assert_eq!((root.cversion, root.pzxid), (3, Zxid(6)), "parent repaired");

    // create2 does not repair the parent.
    replayed.parent_cversion = 9;
    let result = apply(&mut tree, 7, Txn::Create2(replayed));
    assert_eq!(result.err, ErrorCode::NodeExists);
    assert_eq!(tree.node("/").unwrap().persisted_stat.cversion, 3);
}

#[test]
fn replayed_create_never_moves_parent_cversion_back() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 4));
    apply(&mut tree, 6, create("/b", 2));
    let root = tree.node("/").unwrap().persisted_stat;
    assert_eq!((root.cversion, root.pzxid), (4, Zxid(5)));
    assert!(tree.contains("/b"));
}

#[test]
fn unknown_parent_cversion_means_one_more() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", -1));
    apply(&mut tree, 6, create("/b", -1));
    assert_eq!(tree.node("/").unwrap().persisted_stat.cversion, 2);
}

#[test]
fn delete_updates_parent_pzxid_and_client_cversion() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    apply(&mut tree, 6, create("/a/b", 1));
    let result = apply(&mut tree, 9, delete("/a/b"));
    assert_eq!(result.err, ErrorCode::Ok);
    assert_eq!(result.stat, None);
    assert_eq!(
        result.events,
        vec![event(NodeDeleted, "/a/b"), event(NodeChildrenChanged, "/a")]
    );
    let parent = tree.stat("/a").unwrap();
    assert_eq!(parent.cversion, 2, "one create and one delete");
    assert_eq!(parent.num_children, 0);
    assert_eq!(parent.pzxid, Zxid(9));
    assert_eq!(parent.mzxid, Zxid(5), "children changes leave mzxid alone");
    assert!(!tree.contains("/a/b"));
}

#[test]
fn replayed_delete_of_missing_child_still_moves_parent_pzxid() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    let result = apply(&mut tree, 9, delete("/a/b"));
    assert_eq!(result.err, ErrorCode::NoNode);
    assert!(result.events.is_empty());
    assert_eq!(tree.stat("/a").unwrap().pzxid, Zxid(9));
    // An older zxid does not move it back.
    apply(&mut tree, 8, delete("/a/c"));
    assert_eq!(tree.stat("/a").unwrap().pzxid, Zxid(9));
    assert_eq!(apply(&mut tree, 10, delete("/x/y")).err, ErrorCode::NoNode);
}

#[test]
fn null_data_is_kept_apart_from_empty_data_and_counts_zero_bytes() {
    let mut tree = DataTree::new();
    let null_create = CreateTxn {
        data: None,
        ..create_txn("/null", b"", false, 1)
    };
    assert_eq!(
        apply(&mut tree, 5, Txn::Create(null_create)).err,
        ErrorCode::Ok
    );
    apply(
        &mut tree,
        6,
        Txn::Create(create_txn("/empty", b"", false, 2)),
    );
    assert_eq!(tree.node("/null").unwrap().data, None);
    assert_eq!(tree.node("/empty").unwrap().data, Some(vec![]));
    assert_eq!(tree.stat("/null").unwrap().data_length, 0);
    let set_null = apply(
        &mut tree,
        7,
        Txn::SetData(SetDataTxn {
            path: "/empty".into(),
            data: None,
            version: 1,
        }),
    );
    assert_eq!(set_null.stat.unwrap().data_length, 0);
    assert_eq!(tree.node("/empty").unwrap().data, None);
}

#[test]
fn set_data_writes_version_from_txn() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    let result = apply(
        &mut tree,
        8,
        Txn::SetData(SetDataTxn {
            path: "/a".into(),
            data: Some(b"hello".to_vec()),
            version: 1,
        }),
    );
    let stat = result.stat.unwrap();
    assert_eq!(stat, tree.stat("/a").unwrap());
    assert_eq!(
        (stat.version, stat.mzxid, stat.mtime_ms, stat.data_length),
        (1, Zxid(8), 1008, 5)
    );
    assert_eq!(
        (stat.czxid, stat.ctime_ms, stat.pzxid),
        (Zxid(5), 1005, Zxid(5))
    );
    assert_eq!(result.events, vec![event(NodeDataChanged, "/a")]);
    let missing = apply(
        &mut tree,
        9,
        Txn::SetData(SetDataTxn {
            path: "/b".into(),
            data: Some(vec![]),
            version: 1,
        }),
    );
    assert_eq!(missing.err, ErrorCode::NoNode);
    assert_eq!(missing.stat, None);
}

#[test]
fn set_acl_writes_aversion_and_triggers_nothing() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    let result = apply(
        &mut tree,
        8,
        Txn::SetAcl(SetAclTxn {
            path: "/a".into(),
            acl: Acl::creator_all(),
            version: 1,
        }),
    );
    assert_eq!(result.stat.unwrap().aversion, 1);
    assert_eq!(result.stat.unwrap().mzxid, Zxid(5));
    assert!(result.events.is_empty());
    assert_eq!(tree.acl("/a").unwrap(), Acl::creator_all());
}

#[test]
fn ephemerals_belong_to_the_session_and_go_with_it() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    apply(&mut tree, 6, Txn::Create(create_txn("/a/e1", b"", true, 1)));
    apply(&mut tree, 7, Txn::Create(create_txn("/e2", b"", true, 2)));
    assert_eq!(tree.stat("/e2").unwrap().ephemeral_owner, SESSION.0);
    assert_eq!(tree.ephemerals(SESSION), vec!["/a/e1", "/e2"]);
    assert_eq!(tree.ephemeral_count(), 2);
    assert_eq!(
        tree.sessions_with_ephemerals().collect::<Vec<_>>(),
        vec![SESSION]
    );
    let close = tree.close_session_txn(SESSION);
    assert_eq!(close.paths_to_delete, vec!["/a/e1", "/e2"]);

    // The leader's list missed /e2 and names an already-deleted path: both are handled.
    let close = Txn::CloseSession(CloseSessionTxn {
        paths_to_delete: vec!["/a/e1".into(), "/gone".into()],
    });
    let result = apply(&mut tree, 9, close);
    assert_eq!(result.err, ErrorCode::Ok);
    assert_eq!(result.txn_type, op_code::CLOSE_SESSION);
    assert_eq!(
        result.events,
        vec![
            event(NodeDeleted, "/a/e1"),
            event(NodeChildrenChanged, "/a"),
            event(NodeDeleted, "/e2"),
            event(NodeChildrenChanged, "/"),
        ]
    );
    assert!(tree.ephemerals(SESSION).is_empty());
    assert_eq!(tree.sessions_with_ephemerals().count(), 0);
    assert_eq!(tree.stat("/").unwrap().pzxid, Zxid(9));
}

#[test]
fn containers_and_ttl_nodes_are_indexed_and_hide_their_owner() {
    let mut tree = DataTree::new();
    let container = Txn::CreateContainer(CreateContainerTxn {
        path: "/c".into(),
        data: Some(vec![]),
        acl: Acl::open_unsafe(),
        parent_cversion: 1,
    });
    let result = apply(&mut tree, 5, container);
    assert_eq!(result.txn_type, op_code::CREATE_CONTAINER);
    assert_eq!(result.stat.unwrap().ephemeral_owner, 0);
    let ttl = Txn::CreateTtl(CreateTtlTxn {
        path: "/t".into(),
        data: Some(vec![]),
        acl: Acl::open_unsafe(),
        parent_cversion: 2,
        ttl_ms: 60_000,
    });
    let result = apply(&mut tree, 6, ttl);
    assert_eq!(result.stat.unwrap().ephemeral_owner, 0);
    assert_eq!(
        EphemeralType::of(tree.node("/t").unwrap().persisted_stat.ephemeral_owner),
        EphemeralType::Ttl { ttl_ms: 60_000 }
    );
    assert!(tree.containers().contains("/c"));
    assert!(tree.ttls().contains("/t"));
    // ContainerManager reaps a TTL node once more than its TTL has passed since its mtime (the
    // txn's time, 1006 here); the container never had a child, so it stays.
    let mtime_ms = tree.stat("/t").unwrap().mtime_ms;
    assert_eq!(mtime_ms, 1006);
    assert!(tree.reapable(mtime_ms + 60_000).is_empty());
    assert_eq!(tree.reapable(mtime_ms + 60_001), vec!["/t".to_string()]);
    let result = apply(
        &mut tree,
        7,
        Txn::DeleteContainer(DeleteTxn { path: "/c".into() }),
    );
    assert_eq!(result.txn_type, op_code::DELETE_CONTAINER);
    assert!(tree.containers().is_empty());
    assert!(tree.ephemerals(SESSION).is_empty());
}

#[test]
fn multi_applies_every_op_under_one_zxid() {
    let mut tree = DataTree::new();
    let multi = Txn::Multi(vec![
        create("/a", 1),
        Txn::Create2(create_txn("/a/b", b"", false, 1)),
        Txn::CheckVersion(CheckVersionTxn {
            path: "/a".into(),
            version: 0,
        }),
        Txn::SetData(SetDataTxn {
            path: "/a".into(),
            data: Some(b"yz".to_vec()),
            version: 1,
        }),
        delete("/a/b"),
    ]);
    let result = apply(&mut tree, 5, multi);
    assert_eq!(result.err, ErrorCode::Ok);
    assert_eq!(result.txn_type, op_code::MULTI);
    let op_results = result.multi_results.unwrap();
    let types: Vec<i32> = op_results.iter().map(|op| op.txn_type).collect();
    assert_eq!(types, vec![1, 15, 13, 5, 2]);
    assert!(op_results.iter().all(|op| op.err == ErrorCode::Ok));
    assert_eq!(op_results[1].stat.unwrap().czxid, Zxid(5));
    assert_eq!(op_results[2].path.as_deref(), Some("/a"));
    assert_eq!(op_results[3].stat.unwrap().version, 1);
    assert_eq!(
        result.events,
        vec![
            event(NodeCreated, "/a"),
            event(NodeChildrenChanged, "/"),
            event(NodeCreated, "/a/b"),
            event(NodeChildrenChanged, "/a"),
            event(NodeDataChanged, "/a"),
            event(NodeDeleted, "/a/b"),
            event(NodeChildrenChanged, "/a"),
        ]
    );
    let stat = tree.stat("/a").unwrap();
    assert_eq!((stat.cversion, stat.pzxid, stat.version), (2, Zxid(5), 1));
}

#[test]
fn multi_failed_at_prep_applies_nothing() {
    let mut tree = DataTree::new();
    let before = tree.clone();
    let multi = Txn::Multi(vec![
        create("/a", 1),
        Txn::Error(ErrorTxn {
            err: ErrorCode::NoNode,
        }),
        Txn::Error(ErrorTxn {
            err: ErrorCode::RuntimeInconsistency,
        }),
        create("/b", 2),
    ]);
    let result = apply(&mut tree, 5, multi);
    assert_eq!(tree, before);
    assert_eq!(result.err, ErrorCode::NoNode);
    assert!(result.events.is_empty());
    let op_results = result.multi_results.unwrap();
    let outcome: Vec<(i32, ErrorCode)> =
        op_results.iter().map(|op| (op.txn_type, op.err)).collect();
    assert_eq!(
        outcome,
        vec![
            (op_code::ERROR, ErrorCode::Ok),
            (op_code::ERROR, ErrorCode::NoNode),
            (op_code::ERROR, ErrorCode::RuntimeInconsistency),
            (op_code::ERROR, ErrorCode::RuntimeInconsistency),
        ]
    );
    assert!(op_results.iter().all(|op| op.path.is_none()));
}

#[test]
fn error_and_session_txns_leave_the_tree_alone() {
    let mut tree = DataTree::new();
    let before = tree.clone();
    let result = apply(
        &mut tree,
        5,
        Txn::Error(ErrorTxn {
            err: ErrorCode::BadVersion,
        }),
    );
    assert_eq!(
        (result.err, result.path.clone()),
        (ErrorCode::BadVersion, None)
    );
    let result = apply(
        &mut tree,
        6,
        Txn::CreateSession(CreateSessionTxn { timeout_ms: 30_000 }),
    );
    assert_eq!(result.err, ErrorCode::Ok);
    assert_eq!(result.client_id, SESSION);
    assert_eq!(result.zxid, Zxid(6));
    assert_eq!(tree, before);
}

#[test]
fn sequential_names_come_from_the_persisted_cversion() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/q", 1));
    for zxid in 6..9 {
        let counter = tree.node("/q").unwrap().persisted_stat.cversion;
        let path = sequential_path(counter, "/q/item-");
        apply(&mut tree, zxid, create(&path, counter + 1));
        apply(&mut tree, zxid + 10, delete(&path));
    }
    apply(&mut tree, 30, create("/q/item-0000000003", 4));
    assert_eq!(tree.children("/q").unwrap(), vec!["item-0000000003"]);
}

#[test]
fn snapshot_nodes_rebuild_the_same_tree() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    apply(&mut tree, 6, Txn::Create(create_txn("/a/e", b"", true, 1)));
    let nodes = tree.iter().map(|(path, node)| {
        (
            path.to_string(),
            node.data.clone(),
            node.acl.clone(),
            node.persisted_stat,
        )
    });
    let rebuilt = DataTree::from_snapshot(nodes.collect::<Vec<_>>()).unwrap();
    assert_eq!(rebuilt, tree);
    let orphan = vec![("/x/y".to_string(), None, vec![], StatPersisted::default())];
    assert_eq!(
        DataTree::from_snapshot(orphan),
        Err(SnapshotError::MissingParent {
            path: "/x/y".into()
        })
    );
}

#[test]
fn all_children_number_counts_descendants() {
    let mut tree = DataTree::new();
    apply(&mut tree, 5, create("/a", 1));
    apply(&mut tree, 6, create("/a/b", 1));
    apply(&mut tree, 7, create("/a/b/c", 1));
    apply(&mut tree, 8, create("/ab", 2));
    assert_eq!(tree.all_children_number("/a"), Some(2));
    assert_eq!(tree.all_children_number("/"), Some(7));
    assert_eq!(tree.node_count(), 9);
}
