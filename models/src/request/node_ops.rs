//! Preparing the ops that name a node: create (all four kinds), delete, deleteContainer,
//! setData, setACL and check. Each checks in ZooKeeper's order, so the same bad request gets the
//! same error code, and records its changes only after every check passed: a failing op leaves
//! nothing behind.

use super::changes::{ChangeRecord, PendingNode};
use super::prepare::{Preparer, Scope};
use super::{CheckRequest, CreateMode, CreateOp, CreateRequest, DeleteRequest};
use super::{SetAclRequest, SetDataRequest};
use crate::error::ErrorCode;
use crate::tree::stat::ttl_ephemeral_owner;
use crate::tree::{
    perms, sequential_path, validate_path, CheckVersionTxn, CreateContainerTxn, CreateTtlTxn,
    CreateTxn, DataTree, DeleteTxn, EphemeralType, SetAclTxn, SetDataTxn, StatPersisted, Txn,
    CONFIG_PATH, CONTAINER_EPHEMERAL_OWNER, QUOTA_PATH, ZOOKEEPER_PATH,
};

impl Preparer {
    pub(super) fn prepare_create(
        &mut self,
        scope: &mut Scope,
        request: &CreateRequest,
    ) -> Result<Txn, ErrorCode> {
        let context = scope.context;
        let mode = CreateMode::from_flag(request.flags).ok_or(ErrorCode::BadArguments)?;
        // A TTL arrives only with createTTL; other creates carry none (-1).
        let ttl_ms = match request.op {
            CreateOp::CreateTtl { ttl_ms } => ttl_ms,
            _ => -1,
        };
        if mode.is_ttl() && !self.config.extended_types_enabled {
            return Err(ErrorCode::Unimplemented);
        }
        let ttl_owner = if mode.is_ttl() {
            Some(ttl_ephemeral_owner(ttl_ms).ok_or(ErrorCode::BadArguments)?)
        } else if ttl_ms >= 0 {
            return Err(ErrorCode::BadArguments);
        } else {
            None
        };
        if mode.is_ephemeral() {
            scope
                .sessions
                .check_global_session(context.session, context.owner)?;
        } else {
            scope
                .sessions
                .check_session(context.session, context.owner)?;
        }
        let parent_path = parent_for_create(&request.path)?;
        let acl = self.config.access.fixup(&request.acl, &context.auth)?;
        let parent = self
            .changes
            .node(scope.tree, &parent_path)
            .ok_or(ErrorCode::NoNode)?;
        self.config
            .access
            .check(&parent.acl, perms::CREATE, &context.auth)?;
        let path = if mode.is_sequential() {
            sequential_path(parent.stat.cversion, &request.path)
        } else {
            request.path.clone()
        };
        validate_path(&path, false).map_err(|_| ErrorCode::BadArguments)?;
        if self.changes.node(scope.tree, &path).is_some() {
            return Err(ErrorCode::NodeExists);
        }
        if let EphemeralType::Normal(_) = EphemeralType::of(parent.stat.ephemeral_owner) {
            return Err(ErrorCode::NoChildrenForEphemerals);
        }
        let parent_cversion = parent.stat.cversion.wrapping_add(1);
        let data = request.data.clone();
        // The owner the tree will give the node, which is what the txn type decides: a plain
        // create with the container flag makes a persistent node in ZooKeeper too.
        let (txn, ephemeral_owner) = match request.op {
            CreateOp::Create | CreateOp::Create2 => {
                let create = CreateTxn {
                    path: path.clone(),
                    data,
                    acl: acl.clone(),
                    ephemeral: mode.is_ephemeral(),
                    parent_cversion,
                };
                let owner = if mode.is_ephemeral() {
                    context.session.0
                } else {
                    0
                };
                if request.op == CreateOp::Create {
                    (Txn::Create(create), owner)
                } else {
                    (Txn::Create2(create), owner)
                }
            }
            CreateOp::CreateContainer => (
                Txn::CreateContainer(CreateContainerTxn {
                    path: path.clone(),
                    data,
                    acl: acl.clone(),
                    parent_cversion,
                }),
                CONTAINER_EPHEMERAL_OWNER,
            ),
            CreateOp::CreateTtl { ttl_ms } => {
                // ZooKeeper logs a createTTL with a non-TTL flag and then fails to apply it;
                // refusing it here keeps every logged txn appliable.
                let owner = ttl_owner.ok_or(ErrorCode::BadArguments)?;
                let txn = Txn::CreateTtl(CreateTtlTxn {
                    path: path.clone(),
                    data,
                    acl: acl.clone(),
                    parent_cversion,
                    ttl_ms,
                });
                (txn, owner)
            }
        };
        let mut parent = parent;
        parent.child_count += 1;
        parent.stat.cversion = parent_cversion;
        parent.stat.pzxid = context.zxid;
        self.changes.add(ChangeRecord {
            zxid: context.zxid,
            path: parent_path,
            node: Some(parent),
        });
        self.changes.add(ChangeRecord {
            zxid: context.zxid,
            path,
            node: Some(PendingNode {
                stat: StatPersisted::created(context.zxid, context.time_ms, ephemeral_owner),
                child_count: 0,
                acl,
            }),
        });
        Ok(txn)
    }

    pub(super) fn prepare_delete(
        &mut self,
        scope: &mut Scope,
        request: &DeleteRequest,
    ) -> Result<Txn, ErrorCode> {
        let context = scope.context;
        scope
            .sessions
            .check_session(context.session, context.owner)?;
        let path = &request.path;
        let parent_path = parent_for_delete(path)?;
        let parent = self
            .changes
            .node(scope.tree, &parent_path)
            .ok_or(ErrorCode::NoNode)?;
        self.config
            .access
            .check(&parent.acl, perms::DELETE, &context.auth)?;
        let node = self
            .changes
            .node(scope.tree, path)
            .ok_or(ErrorCode::NoNode)?;
        check_and_increment_version(node.stat.version, request.version)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        self.record_delete(scope.tree, context.zxid, path, &parent_path);
        Ok(Txn::Delete(DeleteTxn { path: path.clone() }))
    }

    /// The container and TTL reaper's delete: no session, no ACL, and never a node with
    /// children. A normal ephemeral answers BadVersion, as ZooKeeper does.
    pub(super) fn prepare_delete_container(
        &mut self,
        scope: &mut Scope,
        path: &str,
    ) -> Result<Txn, ErrorCode> {
        let context = scope.context;
        let parent_path = parent_for_delete(path)?;
        let node = self
            .changes
            .node(scope.tree, path)
            .ok_or(ErrorCode::NoNode)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        if let EphemeralType::Normal(_) = EphemeralType::of(node.stat.ephemeral_owner) {
            return Err(ErrorCode::BadVersion);
        }
        if self.changes.node(scope.tree, &parent_path).is_none() {
            return Err(ErrorCode::NoNode);
        }
        self.record_delete(scope.tree, context.zxid, path, &parent_path);
        Ok(Txn::DeleteContainer(DeleteTxn {
            path: path.to_string(),
        }))
    }

    fn record_delete(
        &mut self,
        tree: &DataTree,
        zxid: crate::ids::Zxid,
        path: &str,
        parent_path: &str,
    ) {
        let mut parent = self
            .changes
            .node(tree, parent_path)
            .expect("checked by the caller");
        assert!(
            parent.child_count > 0,
            "{parent_path} counts its child {path}"
        );
        parent.child_count -= 1;
        parent.stat.pzxid = zxid;
        self.changes.add(ChangeRecord {
            zxid,
            path: parent_path.to_string(),
            node: Some(parent),
        });
        self.changes.add(ChangeRecord {
            zxid,
            path: path.to_string(),
            node: None,
        });
    }

    pub(super) fn prepare_set_data(
        &mut self,
        scope: &mut Scope,
        request: &SetDataRequest,
    ) -> Result<Txn, ErrorCode> {
        let context = scope.context;
        scope
            .sessions
            .check_session(context.session, context.owner)?;
        validate_path(&request.path, false).map_err(|_| ErrorCode::BadArguments)?;
        let mut node = self
            .changes
            .node(scope.tree, &request.path)
            .ok_or(ErrorCode::NoNode)?;
        self.config
            .access
            .check(&node.acl, perms::WRITE, &context.auth)?;
        let version = check_and_increment_version(node.stat.version, request.version)?;
        node.stat.version = version;
        node.stat.mtime_ms = context.time_ms;
        node.stat.mzxid = context.zxid;
        self.changes.add(ChangeRecord {
            zxid: context.zxid,
            path: request.path.clone(),
            node: Some(node),
        });
        Ok(Txn::SetData(SetDataTxn {
            path: request.path.clone(),
            data: request.data.clone(),
            version,
        }))
    }

    pub(super) fn prepare_set_acl(
        &mut self,
        scope: &mut Scope,
        request: &SetAclRequest,
    ) -> Result<Txn, ErrorCode> {
        let context = scope.context;
        scope
            .sessions
            .check_session(context.session, context.owner)?;
        validate_path(&request.path, false).map_err(|_| ErrorCode::BadArguments)?;
        let acl = self.config.access.fixup(&request.acl, &context.auth)?;
        let mut node = self
            .changes
            .node(scope.tree, &request.path)
            .ok_or(ErrorCode::NoNode)?;
        self.config
            .access
            .check(&node.acl, perms::ADMIN, &context.auth)?;
        let version = check_and_increment_version(node.stat.aversion, request.version)?;
        node.stat.aversion = version;
        // Requests prepared after this one are checked against the new ACL, not the one the
        // tree still holds (ZooKeeper fixed the same hole).
        node.acl = acl.clone();
        self.changes.add(ChangeRecord {
            zxid: context.zxid,
            path: request.path.clone(),
            node: Some(node),
        });
        Ok(Txn::SetAcl(SetAclTxn {
            path: request.path.clone(),
            acl,
            version,
        }))
    }

    /// A version check; the txn carries the version plus one, as ZooKeeper's does (apply
    /// ignores it).
    pub(super) fn prepare_check(
        &mut self,
        scope: &mut Scope,
        request: &CheckRequest,
    ) -> Result<Txn, ErrorCode> {
        let context = scope.context;
        scope
            .sessions
            .check_session(context.session, context.owner)?;
        validate_path(&request.path, false).map_err(|_| ErrorCode::BadArguments)?;
        let node = self
            .changes
            .node(scope.tree, &request.path)
            .ok_or(ErrorCode::NoNode)?;
        self.config
            .access
            .check(&node.acl, perms::READ, &context.auth)?;
        let version = check_and_increment_version(node.stat.version, request.version)?;
        Ok(Txn::CheckVersion(CheckVersionTxn {
            path: request.path.clone(),
            version,
        }))
    }
}

/// `checkAndIncVersion`: -1 matches any version; the result is the version after the change,
/// skipping -1 when the counter wraps (ZOOKEEPER-4743), since -1 means "any" to clients.
pub fn check_and_increment_version(current: i32, expected: i32) -> Result<i32, ErrorCode> {
    if expected != -1 && expected != current {
        return Err(ErrorCode::BadVersion);
    }
    let next = current.wrapping_add(1);
    Ok(if next == -1 { 0 } else { next })
}

/// `validatePathForCreate`: only a slash and no NUL are required before the parent is looked
/// up; the full path validation comes after the sequential suffix.
fn parent_for_create(path: &str) -> Result<String, ErrorCode> {
    let last_slash = path.rfind('/').ok_or(ErrorCode::BadArguments)?;
    if path.contains('\0') {
        return Err(ErrorCode::BadArguments);
    }
    Ok(parent_of(path, last_slash))
}

/// `getParentPathAndValidate`: as for create, and the root and ZooKeeper's own nodes cannot be
/// deleted.
fn parent_for_delete(path: &str) -> Result<String, ErrorCode> {
    if ["/", ZOOKEEPER_PATH, QUOTA_PATH, CONFIG_PATH].contains(&path) {
        return Err(ErrorCode::BadArguments);
    }
    parent_for_create(path)
}

/// The text before the last slash; ZooKeeper's tree answers for `""` as for `/`.
fn parent_of(path: &str, last_slash: usize) -> String {
    if last_slash == 0 {
        "/".to_string()
    } else {
        path[..last_slash].to_string()
    }
}
