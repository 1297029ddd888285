//! ZooKeeper's tree digest (`DigestCalculator`, version 2, with `AdHash`): a CRC-32 per znode
//! over its path, data and persisted stat, summed with wrapping 64-bit addition over every znode
//! outside `/zookeeper/`. ZooKeeper 3.6+ writes it after every logged txn (the digest of the
//! tree after that txn) and at the end of every snapshot (with the zxid it belongs to);
//! recovery recomputes it to check that replay through the core rebuilt exactly the tree
//! ZooKeeper had.

use zabkeeper_models::tree::{DataTree, StatPersisted};
use zabkeeper_models::Zxid;

/// `DigestCalculator.DIGEST_VERSION` in ZooKeeper 3.6 to 3.9.
pub const DIGEST_VERSION: i32 = 2;

/// ZooKeeper leaves `/zookeeper/` and everything below it out of the digest (quota nodes are
/// updated locally on each server); `/zookeeper` itself counts.
const EXCLUDED_PREFIX: &str = "/zookeeper/";

/// The reflected CRC-32 of IEEE 802.3 (`java.util.zip.CRC32`), one table lookup per byte.
struct Crc32 {
    value: u32,
}

const CRC32_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut index = 0;
    while index < 256 {
        let mut value = index as u32;
        let mut bit = 0;
        while bit < 8 {
            value = if value & 1 == 1 {
                (value >> 1) ^ 0xedb8_8320
            } else {
                value >> 1
            };
            bit += 1;
        }
        table[index] = value;
        index += 1;
    }
    table
};

impl Crc32 {
    fn new() -> Crc32 {
        Crc32 { value: !0 }
    }

    fn update(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.value =
                CRC32_TABLE[((self.value ^ u32::from(*byte)) & 0xff) as usize] ^ (self.value >> 8);
        }
    }

    fn finish(&self) -> u32 {
        !self.value
    }
}

/// The digest of one znode; 0 for the excluded ones. The root's path counts as the empty
/// string, its name in ZooKeeper's node map.
pub fn node_digest(path: &str, data: &[u8], stat: &StatPersisted) -> u32 {
    if path.starts_with(EXCLUDED_PREFIX) {
        return 0;
    }
    let path = if path == "/" { "" } else { path };
    let mut fields = [0u8; 60];
    let longs_then_ints = [
        (0, stat.czxid.0 as i64),
        (8, stat.mzxid.0 as i64),
        (16, stat.pzxid.0 as i64),
        (24, stat.ctime_ms),
        (32, stat.mtime_ms),
    ];
    for (offset, value) in longs_then_ints {
        fields[offset..offset + 8].copy_from_slice(&value.to_be_bytes());
    }
    fields[40..44].copy_from_slice(&stat.version.to_be_bytes());
    fields[44..48].copy_from_slice(&stat.cversion.to_be_bytes());
    fields[48..52].copy_from_slice(&stat.aversion.to_be_bytes());
    fields[52..60].copy_from_slice(&stat.ephemeral_owner.to_be_bytes());
    let mut crc = Crc32::new();
    crc.update(path.as_bytes());
    crc.update(data);
    crc.update(&fields);
    crc.finish()
}

/// The digest of the whole tree, as `DataTree.getTreeDigest` reports it.
pub fn tree_digest(tree: &DataTree) -> i64 {
    tree.iter().fold(0i64, |sum, (path, node)| {
        sum.wrapping_add(i64::from(node_digest(
            path,
            // ZooKeeper's digest adds the data only when there is some: null digests as empty.
            node.data.as_deref().unwrap_or_default(),
            &node.persisted_stat,
        )))
    })
}

/// A digest ZooKeeper recorded beside a state: the zxid of that state and the digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordedDigest {
    pub zxid: Zxid,
    pub version: i32,
    pub digest: i64,
}

/// What comparing a recorded digest with the recomputed one found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestCheck {
    /// Nothing to compare: no digest was recorded for a state recovery passed through (logs and
    /// snapshots written without digests, like ours, or an empty snapshot digest).
    NotRecorded,
    /// The recorded digest has a version this code does not compute.
    OtherVersion {
        zxid: Zxid,
        version: i32,
    },
    Matched {
        zxid: Zxid,
    },
    Mismatched {
        zxid: Zxid,
        recorded: i64,
        computed: i64,
    },
}

impl DigestCheck {
    /// Compares `recorded` with the digest of `tree`.
    pub fn compare(recorded: &RecordedDigest, tree: &DataTree) -> DigestCheck {
        if recorded.version != DIGEST_VERSION {
            return DigestCheck::OtherVersion {
                zxid: recorded.zxid,
                version: recorded.version,
            };
        }
        let computed = tree_digest(tree);
        if computed == recorded.digest {
            DigestCheck::Matched {
                zxid: recorded.zxid,
            }
        } else {
            DigestCheck::Mismatched {
                zxid: recorded.zxid,
                recorded: recorded.digest,
                computed,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xcbf4_3926);
    }

    #[test]
    fn system_nodes_below_zookeeper_do_not_count() {
        let stat = StatPersisted::default();
        assert_eq!(node_digest("/zookeeper/quota", b"", &stat), 0);
        assert_ne!(node_digest("/zookeeper", b"", &stat), 0);
        assert_eq!(node_digest("/", b"", &stat), {
            let mut crc = Crc32::new();
            crc.update(&[0u8; 60]);
            crc.finish()
        });
    }
}
