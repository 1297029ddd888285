//! Identifiers shared by every part of the protocol core: transaction ids, epochs, server and
//! session ids. They are plain values with ZooKeeper's encodings, so the server can write them to
//! the wire and to disk unchanged.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A leader's epoch: the high 32 bits of every zxid it proposes. Epochs only grow; a server
/// persists the largest epoch it has accepted (`acceptedEpoch`) and the epoch of the leader whose
/// history it holds (`currentEpoch`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Epoch(pub u32);

impl Epoch {
    pub const ZERO: Epoch = Epoch(0);

    /// The epoch after this one, or `None` when the 32-bit space is exhausted (ZooKeeper cannot
    /// continue past it either: the zxid would overflow).
    pub fn next(self) -> Option<Epoch> {
        self.0.checked_add(1).map(Epoch)
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

/// A ZooKeeper transaction id: `epoch << 32 | counter`. Zxids of one history strictly increase.
/// Counter 0 is never proposed: it names the state right after a leader's epoch began.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Zxid(pub u64);

impl Zxid {
    pub const ZERO: Zxid = Zxid(0);

    pub const fn new(epoch: Epoch, counter: u32) -> Zxid {
        Zxid(((epoch.0 as u64) << 32) | counter as u64)
    }

    pub fn epoch(self) -> Epoch {
        Epoch((self.0 >> 32) as u32)
    }

    pub fn counter(self) -> u32 {
        self.0 as u32
    }

    /// The next zxid of the same epoch, or `None` when the counter is exhausted: the leader must
    /// then give up leadership so that a new epoch begins (as ZooKeeper does at 0xffffffff).
    pub fn next_in_epoch(self) -> Option<Zxid> {
        self.counter()
            .checked_add(1)
            .map(|counter| Zxid::new(self.epoch(), counter))
    }
}

impl fmt::Debug for Zxid {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "0x{:x}", self.0)
    }
}

impl fmt::Display for Zxid {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "0x{:x}", self.0)
    }
}

/// A server's id (`myid`, the N of `server.N` in zoo.cfg). Fast Leader Election breaks ties
/// between equally up-to-date servers by this id, higher wins.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct ServerId(pub u64);

impl fmt::Display for ServerId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

/// A client session id, signed as in ZooKeeper's jute records (`long sessionId`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "0x{:x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zxid_packs_epoch_and_counter() {
        let zxid = Zxid::new(Epoch(3), 7);
        assert_eq!(zxid.0, 0x0000_0003_0000_0007);
        assert_eq!(zxid.epoch(), Epoch(3));
        assert_eq!(zxid.counter(), 7);
        assert_eq!(zxid.next_in_epoch(), Some(Zxid::new(Epoch(3), 8)));
    }

    #[test]
    fn counter_exhaustion_is_reported() {
        assert_eq!(Zxid::new(Epoch(1), u32::MAX).next_in_epoch(), None);
        assert_eq!(Epoch(u32::MAX).next(), None);
    }

    #[test]
    fn zxids_order_by_epoch_first() {
        assert!(Zxid::new(Epoch(2), 0) > Zxid::new(Epoch(1), u32::MAX));
    }

    /// As ZooKeeper's logs print them: zxids and session ids in hex, server ids in decimal.
    #[test]
    fn ids_print_as_zookeeper_logs_them() {
        let zxid = Zxid::new(Epoch(1), 2);
        assert_eq!(format!("{zxid}"), "0x100000002");
        assert_eq!(format!("{zxid:?}"), "0x100000002");
        assert_eq!(ServerId(3).to_string(), "3");
        assert_eq!(
            SessionId(0x0100_0000_0000_0001).to_string(),
            "0x100000000000001"
        );
    }
}
