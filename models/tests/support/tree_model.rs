//! The DataTree's reference model, shared by the proptest in `tests/tree_reference.rs` and the
//! `data_tree` fuzz target (`fuzz/src/targets.rs` includes this file): a flat map from path to
//! node in which children, child counts, ephemeral owners and client stats are recomputed by
//! scanning the whole map every time, the ops a test generates, their preparation into txns as
//! a leader would prepare them, and the comparison of a `DataTree` with the reference.

// Each includer uses a part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use zabkeeper_models::tree::*;
use zabkeeper_models::watch::EventType;
use zabkeeper_models::{ErrorCode, SessionId, Zxid};

pub const PATHS: [&str; 8] = [
    "/a", "/b", "/a/a", "/a/b", "/b/a", "/a/b/a", "/a/b/c", "/c/a",
];
pub const SEQUENTIAL_PARENTS: [&str; 3] = ["/", "/a", "/a/b"];
pub const SYSTEM_PATHS: [&str; 4] = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"];

// ---------------------------------------------------------------------------------------------
// The reference model.

#[derive(Clone, Debug)]
pub struct ReferenceNode {
    data: Option<Vec<u8>>,
    acl: Vec<Acl>,
    czxid: u64,
    mzxid: u64,
    ctime_ms: i64,
    mtime_ms: i64,
    version: i32,
    creates: i32,
    aversion: i32,
    owner: i64,
    pzxid: u64,
}

#[derive(Clone, Debug)]
pub struct Reference {
    nodes: BTreeMap<String, ReferenceNode>,
}

fn parent_of(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(index) => path[..index].to_string(),
        None => unreachable!(),
    }
}

fn is_container(owner: i64) -> bool {
    owner == i64::MIN
}

fn is_ttl(owner: i64) -> bool {
    (owner as u64) >> 56 == 0xff
}

fn is_session_owner(owner: i64) -> bool {
    owner != 0 && !is_container(owner) && !is_ttl(owner)
}

type Events = Vec<(EventType, String)>;

impl Reference {
    pub fn new() -> Reference {
        let system = |acl: Vec<Acl>, aversion| ReferenceNode {
            data: Some(vec![]),
            acl,
            czxid: 0,
            mzxid: 0,
            ctime_ms: 0,
            mtime_ms: 0,
            version: 0,
            creates: 0,
            aversion,
            owner: 0,
            pzxid: 0,
        };
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_string(), system(Acl::open_unsafe(), 0));
        nodes.insert("/zookeeper".to_string(), system(Acl::open_unsafe(), 0));
        nodes.insert(
            "/zookeeper/quota".to_string(),
            system(Acl::open_unsafe(), 0),
        );
        nodes.insert(
            "/zookeeper/config".to_string(),
            system(Acl::read_unsafe(), -1),
        );
        Reference { nodes }
    }

    fn children(&self, path: &str) -> Vec<String> {
        self.nodes
            .keys()
            .filter(|candidate| candidate.as_str() != "/" && parent_of(candidate) == path)
            .map(|candidate| candidate.rsplit('/').next().unwrap().to_string())
            .collect()
    }

    fn stat(&self, path: &str) -> Option<Stat> {
        let node = self.nodes.get(path)?;
        let num_children = self.children(path).len() as i32;
        Some(Stat {
            czxid: Zxid(node.czxid),
            mzxid: Zxid(node.mzxid),
            ctime_ms: node.ctime_ms,
            mtime_ms: node.mtime_ms,
            version: node.version,
            cversion: node.creates * 2 - num_children,
            aversion: node.aversion,
            ephemeral_owner: if is_session_owner(node.owner) {
                node.owner
            } else {
                0
            },
            data_length: node.data.as_ref().map_or(0, Vec::len) as i32,
            num_children,
            pzxid: Zxid(node.pzxid),
        })
    }

    fn ephemerals(&self, session: i64) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|(_, node)| node.owner == session)
            .map(|(path, _)| path.clone())
            .collect()
    }

    fn set_parent_cversion(&mut self, parent: &str, parent_cversion: i32, zxid: u64) {
        let node = self.nodes.get_mut(parent).unwrap();
        let wanted = if parent_cversion == -1 {
            node.creates + 1
        } else {
            parent_cversion
        };
        if wanted > node.creates {
            node.creates = wanted;
            node.pzxid = zxid;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        path: &str,
        data: &Option<Vec<u8>>,
        acl: &[Acl],
        owner: i64,
        parent_cversion: i32,
        zxid: u64,
        time_ms: i64,
        repair_parent_on_exists: bool,
        events: &mut Events,
    ) -> Result<(), ErrorCode> {
        let parent = parent_of(path);
        if !self.nodes.contains_key(&parent) {
            return Err(ErrorCode::NoNode);
        }
        if let Some(existing) = self.nodes.get_mut(path) {
            existing.acl = acl.to_vec();
            if repair_parent_on_exists {
                self.set_parent_cversion(&parent, parent_cversion, zxid);
            }
            return Err(ErrorCode::NodeExists);
        }
        self.set_parent_cversion(&parent, parent_cversion, zxid);
        self.nodes.insert(
            path.to_string(),
            ReferenceNode {
                data: data.clone(),
                acl: acl.to_vec(),
                czxid: zxid,
                mzxid: zxid,
                ctime_ms: time_ms,
                mtime_ms: time_ms,
                version: 0,
                creates: 0,
                aversion: 0,
                owner,
                pzxid: zxid,
            },
        );
        events.push((EventType::NodeCreated, path.to_string()));
        events.push((EventType::NodeChildrenChanged, parent));
        Ok(())
    }

    fn delete(&mut self, path: &str, zxid: u64, events: &mut Events) -> Result<(), ErrorCode> {
        let parent = parent_of(path);
        let Some(parent_node) = self.nodes.get_mut(&parent) else {
            return Err(ErrorCode::NoNode);
        };
        parent_node.pzxid = parent_node.pzxid.max(zxid);
        if self.nodes.remove(path).is_none() {
            return Err(ErrorCode::NoNode);
        }
        let below = format!("{path}/");
        self.nodes
            .retain(|candidate, _| !candidate.starts_with(&below));
        events.push((EventType::NodeDeleted, path.to_string()));
        events.push((EventType::NodeChildrenChanged, parent));
        Ok(())
    }

    fn apply_op(&mut self, header: &TxnHeader, txn: &Txn, events: &mut Events) -> OpResult {
        let zxid = header.zxid.0;
        let time_ms = header.time_ms;
        let session = header.client_id.0;
        let stat_of = |reference: &Reference, path: &str| reference.stat(path);
        let (outcome, path): (Result<Option<Stat>, ErrorCode>, Option<String>) = match txn {
            Txn::Create(create) | Txn::Create2(create) => {
                let owner = if create.ephemeral { session } else { 0 };
                let plain = matches!(txn, Txn::Create(_));
                let outcome = self
                    .create(
                        &create.path,
                        &create.data,
                        &create.acl,
                        owner,
                        create.parent_cversion,
                        zxid,
                        time_ms,
                        plain,
                        events,
                    )
                    .map(|()| {
                        if plain {
                            None
                        } else {
                            stat_of(self, &create.path)
                        }
                    });
                (outcome, Some(create.path.clone()))
            }
            Txn::CreateContainer(create) => {
                let outcome = self
                    .create(
                        &create.path,
                        &create.data,
                        &create.acl,
                        i64::MIN,
                        create.parent_cversion,
                        zxid,
                        time_ms,
                        false,
                        events,
                    )
                    .map(|()| stat_of(self, &create.path));
                (outcome, Some(create.path.clone()))
            }
            Txn::CreateTtl(create) => {
                let owner = (0xff00_0000_0000_0000_u64 | create.ttl_ms as u64) as i64;
                let outcome = self
                    .create(
                        &create.path,
                        &create.data,
                        &create.acl,
                        owner,
                        create.parent_cversion,
                        zxid,
                        time_ms,
                        false,
                        events,
                    )
                    .map(|()| stat_of(self, &create.path));
                (outcome, Some(create.path.clone()))
            }
            Txn::Delete(delete) | Txn::DeleteContainer(delete) => (
                self.delete(&delete.path, zxid, events).map(|()| None),
                Some(delete.path.clone()),
            ),
            Txn::SetData(set) | Txn::Reconfig(set) => {
                let outcome = match self.nodes.get_mut(&set.path) {
                    None => Err(ErrorCode::NoNode),
                    Some(node) => {
                        node.data = set.data.clone();
                        node.version = set.version;
                        node.mzxid = zxid;
                        node.mtime_ms = time_ms;
                        events.push((EventType::NodeDataChanged, set.path.clone()));
                        Ok(stat_of(self, &set.path))
                    }
                };
                (outcome, Some(set.path.clone()))
            }
            Txn::SetAcl(set) => {
                let outcome = match self.nodes.get_mut(&set.path) {
                    None => Err(ErrorCode::NoNode),
                    Some(node) => {
                        node.acl = set.acl.clone();
                        node.aversion = set.version;
                        Ok(stat_of(self, &set.path))
                    }
                };
                (outcome, Some(set.path.clone()))
            }
            Txn::CheckVersion(check) => (Ok(None), Some(check.path.clone())),
            Txn::CreateSession(_) => (Ok(None), None),
            Txn::CloseSession(close) => {
                for path in &close.paths_to_delete {
                    let _ = self.delete(path, zxid, events);
                }
                for path in self.ephemerals(session) {
                    let _ = self.delete(&path, zxid, events);
                }
                (Ok(None), None)
            }
            Txn::Error(error) => (Err(error.err), None),
            Txn::Multi(_) => unreachable!(),
        };
        let (err, stat) = match outcome {
            Ok(stat) => (ErrorCode::Ok, stat),
            Err(err) => (err, None),
        };
        OpResult {
            txn_type: txn.txn_type(),
            err,
            path,
            stat,
        }
    }

    pub fn apply(&mut self, header: &TxnHeader, txn: &Txn) -> ApplyResult {
        let mut events = Vec::new();
        let (result, multi_results) = if let Txn::Multi(ops) = txn {
            let mut results = Vec::new();
            if let Some(failed) = ops.iter().position(|op| matches!(op, Txn::Error(_))) {
                for (index, op) in ops.iter().enumerate() {
                    let err = match op {
                        Txn::Error(error) => error.err,
                        _ if index < failed => ErrorCode::Ok,
                        _ => ErrorCode::RuntimeInconsistency,
                    };
                    results.push(OpResult {
                        txn_type: op_code::ERROR,
                        err,
                        path: None,
                        stat: None,
                    });
                }
            } else {
                for op in ops {
                    results.push(self.apply_op(header, op, &mut events));
                }
            }
            let err = results
                .iter()
                .map(|result| result.err)
                .find(|err| *err != ErrorCode::Ok)
                .unwrap_or(ErrorCode::Ok);
            (
                OpResult {
                    txn_type: op_code::MULTI,
                    err,
                    path: None,
                    stat: None,
                },
                Some(results),
            )
        } else {
            (self.apply_op(header, txn, &mut events), None)
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
}

// ---------------------------------------------------------------------------------------------
// Generated ops, and their preparation into txns (what the leader's prep stage would log).

#[derive(Clone, Copy, Debug)]
pub enum CreateKind {
    Persistent,
    Ephemeral,
    Container,
    Ttl,
}

#[derive(Clone, Debug)]
pub enum Target {
    Fixed(usize),
    Existing(usize),
}

#[derive(Clone, Debug)]
pub enum Op {
    Create {
        path: usize,
        kind: CreateKind,
        create2: bool,
        data: u8,
    },
    CreateSequential {
        parent: usize,
        kind: CreateKind,
    },
    Delete {
        target: Target,
        right_version: Option<bool>,
    },
    SetData {
        target: Target,
        right_version: Option<bool>,
        data: u8,
    },
    SetAcl {
        target: Target,
        right_version: Option<bool>,
    },
    Check {
        target: Target,
        right_version: bool,
    },
    Multi(Vec<Op>),
    CloseSession,
    CreateSession,
    ReplayPrevious,
}

fn resolve(reference: &Reference, target: &Target) -> String {
    match target {
        Target::Fixed(index) => PATHS[*index].to_string(),
        Target::Existing(pick) => {
            let candidates: Vec<&String> = reference
                .nodes
                .keys()
                .filter(|path| !SYSTEM_PATHS.contains(&path.as_str()))
                .collect();
            if candidates.is_empty() {
                PATHS[pick % PATHS.len()].to_string()
            } else {
                candidates[pick % candidates.len()].clone()
            }
        }
    }
}

fn acl_for(data: u8) -> Vec<Acl> {
    if data.is_multiple_of(2) {
        Acl::open_unsafe()
    } else {
        Acl::read_unsafe()
    }
}

/// Prepares one non-multi op against `scratch` (the state as prep sees it, outstanding changes
/// included) and applies the txn to `scratch`, as ZooKeeper's pending change records do.
fn prepare_single(
    scratch: &mut Reference,
    op: &Op,
    session: i64,
    zxid: u64,
) -> Result<Txn, ErrorCode> {
    let version_of = |reference: &Reference,
                      path: &str,
                      right: Option<bool>,
                      field: fn(&ReferenceNode) -> i32| {
        let node = reference.nodes.get(path).ok_or(ErrorCode::NoNode)?;
        let current = field(node);
        match right {
            None => Ok(current),
            Some(true) => Ok(current),
            Some(false) => Err(ErrorCode::BadVersion),
        }
    };
    let create = |scratch: &Reference, path: String, kind: CreateKind, create2: bool, data: u8| {
        let parent = parent_of(&path);
        let parent_node = scratch.nodes.get(&parent).ok_or(ErrorCode::NoNode)?;
        if is_session_owner(parent_node.owner) {
            return Err(ErrorCode::NoChildrenForEphemerals);
        }
        if scratch.nodes.contains_key(&path) {
            return Err(ErrorCode::NodeExists);
        }
        let parent_cversion = parent_node.creates + 1;
        let body = CreateTxn {
            path,
            // Every fifth value is null data, which ZooKeeper keeps apart from empty.
            data: (!data.is_multiple_of(5)).then(|| vec![data]),
            acl: acl_for(data),
            ephemeral: false,
            parent_cversion,
        };
        Ok(match kind {
            CreateKind::Persistent if create2 => Txn::Create2(body),
            CreateKind::Persistent => Txn::Create(body),
            CreateKind::Ephemeral => Txn::Create(CreateTxn {
                ephemeral: true,
                ..body
            }),
            CreateKind::Container => Txn::CreateContainer(CreateContainerTxn {
                path: body.path,
                data: body.data,
                acl: body.acl,
                parent_cversion,
            }),
            CreateKind::Ttl => Txn::CreateTtl(CreateTtlTxn {
                path: body.path,
                data: body.data,
                acl: body.acl,
                parent_cversion,
                ttl_ms: 1000 * i64::from(data + 1),
            }),
        })
    };
    let txn = match op {
        Op::Create {
            path,
            kind,
            create2,
            data,
        } => create(scratch, PATHS[*path].to_string(), *kind, *create2, *data)?,
        Op::CreateSequential { parent, kind } => {
            let parent_path = SEQUENTIAL_PARENTS[*parent];
            let counter = scratch
                .nodes
                .get(parent_path)
                .ok_or(ErrorCode::NoNode)?
                .creates;
            let prefix = if parent_path == "/" {
                "/s-".to_string()
            } else {
                format!("{parent_path}/s-")
            };
            create(scratch, sequential_path(counter, &prefix), *kind, false, 0)?
        }
        Op::Delete {
            target,
            right_version,
        } => {
            let path = resolve(scratch, target);
            version_of(scratch, &path, *right_version, |node| node.version)?;
            if !scratch.children(&path).is_empty() {
                return Err(ErrorCode::NotEmpty);
            }
            let is_container = is_container(scratch.nodes[&path].owner);
            let body = DeleteTxn { path };
            if is_container && right_version.is_none() {
                Txn::DeleteContainer(body)
            } else {
                Txn::Delete(body)
            }
        }
        Op::SetData {
            target,
            right_version,
            data,
        } => {
            let path = resolve(scratch, target);
            let version = version_of(scratch, &path, *right_version, |node| node.version)?;
            Txn::SetData(SetDataTxn {
                path,
                data: (!data.is_multiple_of(5)).then(|| vec![*data; *data as usize]),
                version: version + 1,
            })
        }
        Op::SetAcl {
            target,
            right_version,
        } => {
            let path = resolve(scratch, target);
            let version = version_of(scratch, &path, *right_version, |node| node.aversion)?;
            Txn::SetAcl(SetAclTxn {
                path,
                acl: Acl::creator_all(),
                version: version + 1,
            })
        }
        Op::Check {
            target,
            right_version,
        } => {
            let path = resolve(scratch, target);
            let version = version_of(scratch, &path, Some(*right_version), |node| node.version)?;
            Txn::CheckVersion(CheckVersionTxn { path, version })
        }
        Op::Multi(_) | Op::CloseSession | Op::CreateSession | Op::ReplayPrevious => unreachable!(),
    };
    let header = txn.header(SessionId(session), 0, Zxid(zxid), 0);
    let mut ignored = Vec::new();
    let result = scratch.apply_op(&header, &txn, &mut ignored);
    assert_eq!(
        result.err,
        ErrorCode::Ok,
        "prep admitted a txn that fails: {txn:?}"
    );
    Ok(txn)
}

pub fn prepare(reference: &Reference, op: &Op, session: i64, zxid: u64) -> Txn {
    let mut scratch = reference.clone();
    match op {
        Op::Multi(ops) => {
            let mut txns = Vec::new();
            let mut failed = false;
            for op in ops {
                if failed {
                    txns.push(Txn::Error(ErrorTxn {
                        err: ErrorCode::RuntimeInconsistency,
                    }));
                    continue;
                }
                match prepare_single(&mut scratch, op, session, zxid) {
                    Ok(txn) => txns.push(txn),
                    Err(err) => {
                        failed = true;
                        txns.push(Txn::Error(ErrorTxn { err }));
                    }
                }
            }
            Txn::Multi(txns)
        }
        Op::CloseSession => Txn::CloseSession(CloseSessionTxn {
            paths_to_delete: reference.ephemerals(session),
        }),
        Op::CreateSession => Txn::CreateSession(CreateSessionTxn { timeout_ms: 30_000 }),
        _ => match prepare_single(&mut scratch, op, session, zxid) {
            Ok(txn) => txn,
            Err(err) => Txn::Error(ErrorTxn { err }),
        },
    }
}

pub fn assert_same_state(tree: &DataTree, reference: &Reference) {
    tree.assert_consistent();
    let tree_paths: Vec<&str> = tree.iter().map(|(path, _)| path).collect();
    let reference_paths: Vec<&str> = reference.nodes.keys().map(String::as_str).collect();
    assert_eq!(tree_paths, reference_paths);
    for (path, node) in &reference.nodes {
        assert_eq!(tree.stat(path), reference.stat(path), "stat of {path}");
        assert_eq!(tree.node(path).unwrap().data, node.data, "data of {path}");
        assert_eq!(
            tree.acl(path).unwrap(),
            node.acl.as_slice(),
            "acl of {path}"
        );
        assert_eq!(
            tree.children(path).unwrap(),
            reference.children(path),
            "children of {path}"
        );
        assert_eq!(
            tree.node(path).unwrap().persisted_stat.cversion,
            node.creates
        );
    }
    for session in 1..=3 {
        assert_eq!(
            tree.ephemerals(SessionId(session)),
            reference.ephemerals(session)
        );
    }
    let containers: BTreeSet<String> = reference
        .nodes
        .iter()
        .filter(|(_, node)| is_container(node.owner))
        .map(|(path, _)| path.clone())
        .collect();
    let ttls: BTreeSet<String> = reference
        .nodes
        .iter()
        .filter(|(_, node)| is_ttl(node.owner))
        .map(|(path, _)| path.clone())
        .collect();
    assert_eq!(tree.containers(), &containers);
    assert_eq!(tree.ttls(), &ttls);
    assert_eq!(
        tree.all_children_number("/"),
        Some(reference.nodes.len() - 1)
    );
}

/// Prepares each step's op against the reference as a leader would, applies the txn to a
/// `DataTree` and to the reference, and asserts that results, events and the whole visible
/// state agree after every step. `ReplayPrevious` applies the last txn again.
pub fn run_steps(steps: &[(Op, i64)]) {
    let mut tree = DataTree::new();
    let mut reference = Reference::new();
    let mut previous: Option<(TxnHeader, Txn)> = None;
    for (index, (op, session)) in steps.iter().enumerate() {
        let zxid = 100 + index as u64;
        let (header, txn) = match (op, &previous) {
            // A txn applied again, as when replaying the log over a fuzzy snapshot that
            // already holds its effect.
            (Op::ReplayPrevious, Some(previous)) => previous.clone(),
            (Op::ReplayPrevious, None) => continue,
            _ => {
                let txn = prepare(&reference, op, *session, zxid);
                let header = txn.header(
                    SessionId(*session),
                    index as i32,
                    Zxid(zxid),
                    10 * zxid as i64,
                );
                (header, txn)
            }
        };
        let actual = tree.apply(&header, &txn);
        let expected = reference.apply(&header, &txn);
        assert_eq!(actual, expected, "step {index}: {txn:?}");
        assert_same_state(&tree, &reference);
        previous = Some((header, txn));
    }
}
