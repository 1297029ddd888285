//! Permission rules of reads. Reads are answered from the committed tree by whichever server the
//! client is connected to (ZooKeeper's `FinalRequestProcessor`), not prepared.

use super::AccessControl;
use crate::error::ErrorCode;
use crate::tree::{perms, Acl, DataTree, Id, Stat};

/// A read that names a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadOp {
    /// `exists`: no ACL check at all, and a missing node is an answer, not an error.
    Exists,
    GetData,
    /// getChildren and getChildren2.
    GetChildren,
    GetAllChildrenNumber,
    /// getACL: READ or ADMIN suffices; see [`get_acl`] for what a reader without ADMIN sees.
    GetAcl,
}

impl ReadOp {
    /// The permission bits of which the session must hold at least one, if any.
    pub fn required_perms(self) -> Option<i32> {
        match self {
            ReadOp::Exists => None,
            ReadOp::GetData | ReadOp::GetChildren | ReadOp::GetAllChildrenNumber => {
                Some(perms::READ)
            }
            ReadOp::GetAcl => Some(perms::READ | perms::ADMIN),
        }
    }
}

/// Whether a session holding `auth` may do `op` on `path`: NoNode first, then NoAuth. Exists
/// always passes.
pub fn check_read(
    tree: &DataTree,
    access: &AccessControl,
    auth: &[Id],
    op: ReadOp,
    path: &str,
) -> Result<(), ErrorCode> {
    let Some(wanted) = op.required_perms() else {
        return Ok(());
    };
    let acl = tree.acl(path).ok_or(ErrorCode::NoNode)?;
    access.check(acl, wanted, auth)
}

/// getACL's answer: the ACL and stat of `path`. A reader with READ but without ADMIN gets
/// digest ids with their password hash replaced (`user:x`), so it cannot attack the hashes.
pub fn get_acl(
    tree: &DataTree,
    access: &AccessControl,
    auth: &[Id],
    path: &str,
) -> Result<(Vec<Acl>, Stat), ErrorCode> {
    check_read(tree, access, auth, ReadOp::GetAcl, path)?;
    let node = tree.node(path).expect("checked above");
    let stat = node.stat();
    if access.check(&node.acl, perms::ADMIN, auth).is_ok() {
        return Ok((node.acl.clone(), stat));
    }
    let redacted = node
        .acl
        .iter()
        .map(|entry| {
            if entry.id.scheme != "digest" {
                return entry.clone();
            }
            let user = entry
                .id
                .id
                .split(':')
                .next()
                .expect("split yields one part");
            let id = if entry.id.id.contains(':') {
                format!("{user}:x")
            } else {
                entry.id.id.clone()
            };
            Acl::new(entry.perms, Id::new("digest", &id))
        })
        .collect();
    Ok((redacted, stat))
}
