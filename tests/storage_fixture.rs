//! Recovers the data directory Apache ZooKeeper 3.8 wrote (tests/fixtures/zk38-datadir) and
//! checks every znode, stat and ACL against what zkCli printed before the server stopped. Needs
//! no Java.

#[path = "storage_support/zkcli.rs"]
mod zkcli;

use std::fs;
use std::path::Path;
use zabkeeper::models::tree::EphemeralType;
use zabkeeper::models::Epoch;
use zabkeeper::storage::{load, DigestCheck, VERSION_DIRECTORY};

#[test]
fn every_znode_zookeeper_wrote_is_recovered_as_zkcli_printed_it() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zk38-datadir");
    // Recovery may write (missing epoch files, torn tails): work on a copy.
    let copy = tempfile::tempdir().unwrap();
    let files = copy.path().join(VERSION_DIRECTORY);
    fs::create_dir_all(&files).unwrap();
    for entry in fs::read_dir(fixture.join("data").join(VERSION_DIRECTORY)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), files.join(entry.file_name())).unwrap();
    }
    let recovered = load(copy.path(), copy.path()).unwrap();
    let dump = zkcli::parse_dump(&fs::read_to_string(fixture.join("zkcli-dump.txt")).unwrap());
    zkcli::assert_database_matches_dump(&recovered.database, &dump);

    // The ephemeral's session was open at the stop: it is in the sessions, and owns the node.
    let ephemeral = recovered.database.tree.node("/app/e").unwrap();
    let EphemeralType::Normal(owner) = EphemeralType::of(ephemeral.persisted_stat.ephemeral_owner)
    else {
        panic!("/app/e is not an ephemeral");
    };
    assert!(recovered.database.sessions.contains_key(&owner));
    assert!(matches!(
        EphemeralType::of(
            recovered
                .database
                .tree
                .node("/ttl")
                .unwrap()
                .persisted_stat
                .ephemeral_owner
        ),
        EphemeralType::Ttl { ttl_ms: 3_600_000 }
    ));
    assert_eq!(
        EphemeralType::of(
            recovered
                .database
                .tree
                .node("/jobs")
                .unwrap()
                .persisted_stat
                .ephemeral_owner
        ),
        EphemeralType::Container
    );
    // ZooKeeper's own digests agree with the tree the core rebuilt.
    assert!(matches!(
        recovered.snapshot_digest,
        DigestCheck::Matched { .. }
    ));
    assert_eq!(
        recovered.last_txn_digest,
        DigestCheck::Matched {
            zxid: recovered.last_zxid
        }
    );
    // A standalone server writes no epoch files: recovery creates them from the last zxid.
    assert_eq!(
        (recovered.accepted_epoch, recovered.current_epoch),
        (Epoch(0), Epoch(0))
    );
    assert_eq!(recovered.dbid, -1);
}
