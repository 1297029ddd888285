//! A znode's metadata: what the tree persists (`StatPersisted`, written to snapshots) and what a
//! client sees (`Stat`), plus the encodings packed into `ephemeralOwner`.

use crate::ids::{SessionId, Zxid};
use serde::{Deserialize, Serialize};

/// The `ephemeralOwner` of a container node: only the sign bit set.
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;

/// Extended ephemeral owners have their top byte set; the next two bytes name the feature (0 for
/// TTL) and the low five bytes carry its value. Server ids must stay at or below 254 so that no
/// session id looks extended.
const EXTENDED_MASK: u64 = 0xff00_0000_0000_0000;
const EXTENDED_FEATURE_MASK: u64 = 0x00ff_ff00_0000_0000;
const EXTENDED_FEATURE_SHIFT: u32 = 40;
const EXTENDED_FEATURE_TTL: u64 = 0;

/// The largest TTL a TTL node may have: the five value bytes (about 34 years).
pub const TTL_MS_MAX: i64 = 0x0000_00ff_ffff_ffff;

/// What a raw `ephemeralOwner` means, as `EphemeralType.get` decodes it with extended types (TTL
/// nodes) enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EphemeralType {
    /// A persistent node (owner 0).
    Void,
    /// An ephemeral node owned by this session.
    Normal(SessionId),
    Container,
    Ttl {
        ttl_ms: i64,
    },
}

impl EphemeralType {
    /// Decodes an owner. An extended owner with an unknown feature is a corrupt tree (ZooKeeper
    /// throws there too), so it stops the process.
    pub fn of(ephemeral_owner: i64) -> EphemeralType {
        let bits = ephemeral_owner as u64;
        if bits & EXTENDED_MASK == EXTENDED_MASK {
            let feature = (bits & EXTENDED_FEATURE_MASK) >> EXTENDED_FEATURE_SHIFT;
            assert_eq!(
                feature, EXTENDED_FEATURE_TTL,
                "unknown extended ephemeral owner 0x{bits:x}"
            );
            return EphemeralType::Ttl {
                ttl_ms: (bits & TTL_MS_MAX as u64) as i64,
            };
        }
        if ephemeral_owner == CONTAINER_EPHEMERAL_OWNER {
            EphemeralType::Container
        } else if ephemeral_owner == 0 {
            EphemeralType::Void
        } else {
            EphemeralType::Normal(SessionId(ephemeral_owner))
        }
    }
}

/// The `ephemeralOwner` of a TTL node, or `None` when the TTL is not in `1..=TTL_MS_MAX` (the
/// request pipeline answers BadArguments then).
pub fn ttl_ephemeral_owner(ttl_ms: i64) -> Option<i64> {
    if ttl_ms <= 0 || ttl_ms > TTL_MS_MAX {
        return None;
    }
    Some((EXTENDED_MASK | (EXTENDED_FEATURE_TTL << EXTENDED_FEATURE_SHIFT) | ttl_ms as u64) as i64)
}

/// What the tree keeps per znode (`StatPersisted`). `cversion` here counts the creates of
/// children (it only grows, and names sequential children); clients see a different number, see
/// [`Stat`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct StatPersisted {
    /// The zxid of the txn that created the node.
    pub czxid: Zxid,
    /// The zxid of the last txn that set its data.
    pub mzxid: Zxid,
    pub ctime_ms: i64,
    pub mtime_ms: i64,
    /// Data version: written by setData txns, which carry the new value.
    pub version: i32,
    /// Count of child creates (not deletes), ever.
    pub cversion: i32,
    /// ACL version: written by setACL txns.
    pub aversion: i32,
    /// Raw owner: 0, a session id, or a container or TTL encoding ([`EphemeralType`]).
    pub ephemeral_owner: i64,
    /// The zxid of the last txn that changed the children.
    pub pzxid: Zxid,
}

impl StatPersisted {
    /// The stat of a node created by the txn `zxid` at `time_ms`.
    pub fn created(zxid: Zxid, time_ms: i64, ephemeral_owner: i64) -> StatPersisted {
        StatPersisted {
            czxid: zxid,
            mzxid: zxid,
            ctime_ms: time_ms,
            mtime_ms: time_ms,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner,
            pzxid: zxid,
        }
    }
}

/// The stat a client sees (`org.apache.zookeeper.data.Stat`, 68 bytes on the wire).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Stat {
    pub czxid: Zxid,
    pub mzxid: Zxid,
    pub ctime_ms: i64,
    pub mtime_ms: i64,
    pub version: i32,
    /// Count of child changes: every create counted once and every delete once, computed as
    /// `2 * creates - children` (a fresh `/` shows -1: its `zookeeper` child was never created
    /// by a txn).
    pub cversion: i32,
    pub aversion: i32,
    /// The owning session of an ephemeral node; 0 for persistent, container and TTL nodes.
    pub ephemeral_owner: i64,
    pub data_length: i32,
    pub num_children: i32,
    pub pzxid: Zxid,
}

impl Stat {
    /// The client view of a node, as `DataNode.copyStat` computes it. Java int arithmetic wraps,
    /// and so does this.
    pub fn of(persisted: &StatPersisted, data_length: usize, num_children: usize) -> Stat {
        let num_children = i32::try_from(num_children).expect("children fit in an int");
        let ephemeral_owner = match EphemeralType::of(persisted.ephemeral_owner) {
            EphemeralType::Normal(session) => session.0,
            EphemeralType::Void | EphemeralType::Container | EphemeralType::Ttl { .. } => 0,
        };
        Stat {
            czxid: persisted.czxid,
            mzxid: persisted.mzxid,
            ctime_ms: persisted.ctime_ms,
            mtime_ms: persisted.mtime_ms,
            version: persisted.version,
            cversion: persisted
                .cversion
                .wrapping_mul(2)
                .wrapping_sub(num_children),
            aversion: persisted.aversion,
            ephemeral_owner,
            data_length: i32::try_from(data_length).expect("data fits in an int"),
            num_children,
            pzxid: persisted.pzxid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ephemeral_owner_encodings() {
        assert_eq!(CONTAINER_EPHEMERAL_OWNER as u64, 0x8000_0000_0000_0000);
        assert_eq!(
            ttl_ephemeral_owner(1),
            Some(0xff00_0000_0000_0001_u64 as i64)
        );
        assert_eq!(ttl_ephemeral_owner(0), None);
        assert_eq!(ttl_ephemeral_owner(TTL_MS_MAX + 1), None);
        assert_eq!(
            ttl_ephemeral_owner(TTL_MS_MAX),
            Some(0xff00_00ff_ffff_ffff_u64 as i64)
        );
        assert_eq!(EphemeralType::of(0), EphemeralType::Void);
        assert_eq!(EphemeralType::of(i64::MIN), EphemeralType::Container);
        assert_eq!(
            EphemeralType::of(ttl_ephemeral_owner(5000).unwrap()),
            EphemeralType::Ttl { ttl_ms: 5000 }
        );
        assert_eq!(EphemeralType::of(7), EphemeralType::Normal(SessionId(7)));
    }

    #[test]
    fn client_stat_hides_container_and_ttl_owners_and_counts_deletes() {
        let mut persisted = StatPersisted::created(Zxid(5), 100, CONTAINER_EPHEMERAL_OWNER);
        persisted.cversion = 3;
        let stat = Stat::of(&persisted, 4, 1);
        assert_eq!(stat.ephemeral_owner, 0);
        assert_eq!(stat.cversion, 5);
        assert_eq!(stat.num_children, 1);
        assert_eq!(stat.data_length, 4);
        persisted.ephemeral_owner = 0x1234;
        assert_eq!(Stat::of(&persisted, 0, 0).ephemeral_owner, 0x1234);
    }
}
