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

/// The path of the node that a read of `path` looks up, or the error it is answered with.
///
/// ZooKeeper's `FinalRequestProcessor` does not validate a read's path the way
/// `PrepRequestProcessor` validates a write's: a path that no node can have (`a`, `/a/`,
/// `/a/../b`) simply names no node, so the read answers NoNode. Only exists refuses a path
/// holding a NUL character, with BadArguments. And the empty path names the root, because
/// ZooKeeper's DataTree files the root under `""` as well as under `/`.
pub fn read_node_path(op: ReadOp, path: &str) -> Result<&str, ErrorCode> {
    if op == ReadOp::Exists && path.contains('\0') {
        return Err(ErrorCode::BadArguments);
    }
    Ok(if path.is_empty() { "/" } else { path })
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

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_READ: [ReadOp; 5] = [
        ReadOp::Exists,
        ReadOp::GetData,
        ReadOp::GetChildren,
        ReadOp::GetAllChildrenNumber,
        ReadOp::GetAcl,
    ];

    #[test]
    fn a_path_no_node_can_have_is_looked_up_as_it_is() {
        for op in EVERY_READ {
            for path in ["a", "/a/", "//", "/a//b", "/a/./b", "/a/../b", "/\u{1}"] {
                assert_eq!(read_node_path(op, path), Ok(path), "{op:?} {path:?}");
            }
        }
    }

    #[test]
    fn the_empty_path_names_the_root() {
        for op in EVERY_READ {
            assert_eq!(read_node_path(op, ""), Ok("/"), "{op:?}");
        }
    }

    #[test]
    fn only_exists_refuses_a_nul_character() {
        assert_eq!(
            read_node_path(ReadOp::Exists, "/a\0b"),
            Err(ErrorCode::BadArguments)
        );
        for op in [
            ReadOp::GetData,
            ReadOp::GetChildren,
            ReadOp::GetAllChildrenNumber,
            ReadOp::GetAcl,
        ] {
            assert_eq!(read_node_path(op, "/a\0b"), Ok("/a\0b"), "{op:?}");
        }
    }
}
