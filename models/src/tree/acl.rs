//! Access control lists as ZooKeeper stores them on every znode (`org.apache.zookeeper.data.ACL`).
//! The tree only stores and returns them; checking them against a client's identities is the
//! request pipeline's job.

use serde::{Deserialize, Serialize};

/// Permission bits of an [`Acl`] entry (`ZooDefs.Perms`).
pub mod perms {
    pub const READ: i32 = 1;
    pub const WRITE: i32 = 2;
    pub const CREATE: i32 = 4;
    pub const DELETE: i32 = 8;
    pub const ADMIN: i32 = 16;
    pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;
}

/// An identity in an authentication scheme, for example `world:anyone`, `ip:10.0.0.1` or
/// `digest:user:base64(sha1("user:password"))`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Id {
    pub scheme: String,
    pub id: String,
}

impl Id {
    pub fn new(scheme: &str, id: &str) -> Id {
        Id {
            scheme: scheme.to_string(),
            id: id.to_string(),
        }
    }

    /// `world:anyone`, the identity every client has (`ZooDefs.Ids.ANYONE_ID_UNSAFE`).
    pub fn anyone() -> Id {
        Id::new("world", "anyone")
    }

    /// `auth:` with an empty id: replaced by the creator's authenticated ids at prep time
    /// (`ZooDefs.Ids.AUTH_IDS`).
    pub fn auth_ids() -> Id {
        Id::new("auth", "")
    }
}

/// One ACL entry: the permission bits granted to an identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Acl {
    pub perms: i32,
    pub id: Id,
}

impl Acl {
    pub fn new(perms: i32, id: Id) -> Acl {
        Acl { perms, id }
    }

    /// Everything for everyone (`ZooDefs.Ids.OPEN_ACL_UNSAFE`); the ACL of `/` in a new tree.
    pub fn open_unsafe() -> Vec<Acl> {
        vec![Acl::new(perms::ALL, Id::anyone())]
    }

    /// Read-only for everyone (`ZooDefs.Ids.READ_ACL_UNSAFE`); the ACL of `/zookeeper/config`.
    pub fn read_unsafe() -> Vec<Acl> {
        vec![Acl::new(perms::READ, Id::anyone())]
    }

    /// Everything for the creator's authenticated ids (`ZooDefs.Ids.CREATOR_ALL_ACL`).
    pub fn creator_all() -> Vec<Acl> {
        vec![Acl::new(perms::ALL, Id::auth_ids())]
    }

    /// Whether this entry grants every bit of `wanted`.
    pub fn grants(&self, wanted: i32) -> bool {
        self.perms & wanted == wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perms_match_zoo_defs() {
        assert_eq!(perms::ALL, 31);
        assert_eq!(perms::ADMIN, 16);
        assert!(Acl::open_unsafe()[0].grants(perms::READ | perms::WRITE));
        assert!(!Acl::read_unsafe()[0].grants(perms::WRITE));
    }
}
