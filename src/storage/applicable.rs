//! What a logged txn must satisfy before the core applies it. `DataTree::apply` is total on
//! every txn a leader prepares and asserts on the rest, which would mean a corrupt log; a
//! record with a valid checksum can still hold such a txn (a bug elsewhere, a crafted file), and
//! recovery must report that as an error instead of stopping the process.
//!
//! Paths must pass ZooKeeper's own validation (`PathUtils.validatePath`), which every path a
//! leader logs has passed: a path like `//a` would otherwise name the same child of `/` as
//! `/a`, which the tree cannot hold.

use zabkeeper_models::tree::{validate_path, Txn, TxnHeader, TTL_MS_MAX};

/// Why `txn` under `header` cannot be applied, or `Ok` when it can.
pub fn check_applicable(header: &TxnHeader, txn: &Txn) -> Result<(), String> {
    if header.txn_type != txn.txn_type() {
        return Err(format!(
            "header type {} does not match a body of type {}",
            header.txn_type,
            txn.txn_type()
        ));
    }
    match txn {
        Txn::Multi(ops) => {
            for op in ops {
                if !op.is_allowed_in_multi() {
                    return Err(format!("a txn of type {} inside a multi", op.txn_type()));
                }
                check_op(header, op)?;
            }
            Ok(())
        }
        _ => check_op(header, txn),
    }
}

fn check_op(header: &TxnHeader, txn: &Txn) -> Result<(), String> {
    if let Some(path) = txn.path() {
        check_path(path)?;
    }
    match txn {
        Txn::Delete(delete) | Txn::DeleteContainer(delete) if delete.path == "/" => {
            Err("deletes /".into())
        }
        Txn::CloseSession(close) => {
            for path in &close.paths_to_delete {
                check_path(path)?;
                if path == "/" {
                    return Err("closes a session by deleting /".into());
                }
            }
            Ok(())
        }
        Txn::CreateTtl(create) if !(1..=TTL_MS_MAX).contains(&create.ttl_ms) => {
            Err(format!("TTL {} ms is out of range", create.ttl_ms))
        }
        Txn::Create(create) | Txn::Create2(create) if create.ephemeral => {
            let owner = header.client_id.0 as u64;
            let extended = owner >> 56 == 0xff;
            if extended && (owner >> 40) & 0xffff != 0 {
                return Err(format!(
                    "ephemeral owner {owner:#x} reads as an unknown extended node type"
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether the core can interpret `ephemeral_owner`: an owner whose top byte is 0xff is an
/// extended type (`EphemeralType`), and the only extension is TTL (feature bytes zero).
pub fn is_known_ephemeral_owner(ephemeral_owner: i64) -> bool {
    let bits = ephemeral_owner as u64;
    let extended = bits >> 56 == 0xff;
    let feature = (bits >> 40) & 0xffff;
    !extended || feature == 0
}

/// A znode path as ZooKeeper validates it.
pub fn check_path(path: &str) -> Result<(), String> {
    validate_path(path, false).map_err(|error| format!("path {path:?} is invalid: {error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zabkeeper_models::tree::{CreateTtlTxn, DeleteTxn};
    use zabkeeper_models::{SessionId, Zxid};

    fn header(txn: &Txn) -> TxnHeader {
        txn.header(SessionId(1), 0, Zxid(1), 0)
    }

    #[test]
    fn txns_that_would_stop_the_core_are_refused() {
        let delete_root = Txn::Delete(DeleteTxn { path: "/".into() });
        assert!(check_applicable(&header(&delete_root), &delete_root).is_err());
        for path in ["a", "//a", "/a/", "/a/./b"] {
            let invalid = Txn::Delete(DeleteTxn { path: path.into() });
            assert!(
                check_applicable(&header(&invalid), &invalid).is_err(),
                "{path}"
            );
        }
        let ttl = Txn::CreateTtl(CreateTtlTxn {
            path: "/t".into(),
            data: Some(vec![]),
            acl: vec![],
            parent_cversion: 1,
            ttl_ms: 0,
        });
        assert!(check_applicable(&header(&ttl), &ttl).is_err());
        let nested = Txn::Multi(vec![Txn::Multi(vec![])]);
        assert!(check_applicable(&header(&nested), &nested).is_err());
        let fine = Txn::Delete(DeleteTxn { path: "/a".into() });
        assert!(check_applicable(&header(&fine), &fine).is_ok());
    }
}
