//! Data directories moving between Apache ZooKeeper 3.8 and Zabkeeper, both ways:
//! (a) ZooKeeper writes one, is stopped, and our loader recovers every znode, stat and ACL zkCli
//! printed before the stop; (b) our writer makes one (snapshot, log, epoch files), and
//! ZooKeeper starts on it and serves the same znodes, stats and ACLs through zkCli.
//!
//! Skipped, with the reason printed, where ZooKeeper is not installed
//! (`apt-get install -y zookeeper zookeeper-bin netcat-openbsd`). Servers listen on free
//! loopback ports only.

#[path = "storage_support/apache.rs"]
mod apache;
#[path = "storage_support/script.rs"]
mod script;
#[path = "storage_support/zkcli.rs"]
mod zkcli;

use apache::{ApacheZooKeeper, Tools};
use script::Script;
use std::fs;
use zabkeeper::models::request::Prepared;
use zabkeeper::models::tree::{Acl, Id, Txn};
use zabkeeper::models::zab::Proposal;
use zabkeeper::models::Epoch;
use zabkeeper::storage::{load, DigestCheck, DiskWork, Storage, StorageOptions, VERSION_DIRECTORY};

/// snapCount 6: a new log file and snapshot every 3 to 6 txns; 64 KiB preallocation; TTL nodes.
const JAVA_OPTIONS: &str =
    "-Dzookeeper.snapCount=6 -Dzookeeper.preAllocSize=64 -Dzookeeper.extendedTypesEnabled=true";
/// base64(sha1("bob:secret")), the digest ACL id of user bob.
const BOB_DIGEST: &str = "fyVmFCwVbTJYrznoSu1koqYEYF0=";

fn tools_or_skip(test: &str) -> Option<Tools> {
    match Tools::find() {
        Ok(tools) => Some(tools),
        Err(reason) => {
            println!("skipping {test}: {reason}");
            None
        }
    }
}

/// Logs `txns` and moves both epochs to 1, as the core's `Save`s in epoch 1 would.
fn save(storage: &mut Storage, txns: &[Prepared]) {
    let proposals: Vec<Proposal<Prepared>> = txns
        .iter()
        .map(|txn| Proposal {
            zxid: txn.header.zxid,
            payload: txn.clone(),
        })
        .collect();
    storage
        .persist(DiskWork {
            truncate_after: None,
            append: &proposals,
            accepted_epoch: Some(Epoch(1)),
            current_epoch: Some(Epoch(1)),
        })
        .unwrap();
}

fn commands(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| line.to_string()).collect()
}

#[test]
fn our_loader_recovers_what_apache_zookeeper_wrote() {
    let Some(tools) = tools_or_skip("our_loader_recovers_what_apache_zookeeper_wrote") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let mut zookeeper = ApacheZooKeeper::start(&tools, directory.path(), JAVA_OPTIONS);
    let secure = format!("create /secure hidden digest:bob:{BOB_DIGEST}:cdrwa,world:anyone:r");
    zookeeper.cli(&commands(&[
        "create /app config",
        "create /app/a one",
        "set /app/a two",
        "set /app/a three",
        "create -s /app/seq- s",
        "create -s /app/seq- s",
        "create -s /app/seq- s",
        "create -c /jobs",
        "create /jobs/j1 job",
        "create -t 3600000 /ttl t",
        &secure,
        // No data: zkCli sends null, which ZooKeeper keeps (and zkCli prints) as null.
        "create /nulled",
        "create /gone x",
        "delete /gone",
        "setAcl /app/a world:anyone:rw",
        "set /app config2",
    ]));
    // A session still open at the stop: its ephemeral and the session stay in the files.
    // zkCli may drop a command read before its session connected: the create is sent again
    // (a repeat after it took effect only prints NodeExists) until the ephemeral is seen.
    let create_ephemeral = "create -e /app/e ephemeral";
    let mut holder = zookeeper.open_session(&commands(&[create_ephemeral]));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let stat = zookeeper.cli(&commands(&["stat /app/e"]));
        if stat.contains("ephemeralOwner = 0x") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the ephemeral never appeared; the last stat printed:\n{stat}\nthe holding \
             session printed:\n{}\nthe server's log:\n{}",
            holder.output(),
            zookeeper.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        holder.send(create_ephemeral);
    }
    let dump = zookeeper.dump(&["bob:secret"]);
    zookeeper.stop();
    drop(holder);

    let data_dir = ApacheZooKeeper::data_dir(directory.path());
    let snapshots = fs::read_dir(data_dir.join(VERSION_DIRECTORY))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("snapshot.")
        })
        .count();
    assert!(
        snapshots >= 3,
        "snapCount 6 rolled snapshots and logs ({snapshots} snapshots)"
    );
    let recovered = load(&data_dir, &data_dir).unwrap();
    let expected = zkcli::parse_dump(&dump);
    assert!(expected.contains_key("/app/e") && expected.contains_key("/ttl"));
    assert_eq!(
        recovered
            .database
            .tree
            .node("/nulled")
            .map(|node| node.data.clone()),
        Some(None),
        "null data recovered as null"
    );
    zkcli::assert_database_matches_dump(&recovered.database, &expected);
    assert!(
        matches!(recovered.snapshot_digest, DigestCheck::Matched { .. }),
        "{:?}",
        recovered.snapshot_digest
    );
    assert!(
        matches!(recovered.last_txn_digest, DigestCheck::Matched { .. }),
        "{:?}",
        recovered.last_txn_digest
    );
    assert!(recovered.torn_tails.is_empty());
}

#[test]
fn apache_zookeeper_serves_what_our_writer_wrote() {
    let Some(tools) = tools_or_skip("apache_zookeeper_serves_what_our_writer_wrote") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let data_dir = ApacheZooKeeper::data_dir(directory.path());
    let options = StorageOptions {
        preallocation_bytes: 64 * 1024,
        ..StorageOptions::default()
    };
    let (mut storage, _) = Storage::open(&data_dir, &data_dir, options).unwrap();
    let owner = 0x0100_0000_0000_0001;
    let mut builder = Script::new(1);
    builder.create_session(owner, 120_000);
    builder.create("/app", b"config");
    builder.create("/app/a", b"one");
    builder.set_data("/app/a", b"two");
    builder.set_data("/app/a", b"three");
    for _ in 0..3 {
        builder.create_sequential("/app/seq-", b"s");
    }
    builder.create_with(
        "/app/e",
        Some(b"ephemeral"),
        Acl::open_unsafe(),
        owner,
        true,
    );
    builder.create_container("/jobs");
    builder.create("/jobs/j1", b"job");
    let snapshot_zxid = builder.last_zxid();
    let snapshot_database = builder.database.clone();
    let first_half = builder.txns.len();
    builder.create_ttl("/ttl", 3_600_000);
    let secure_acl = vec![
        Acl::new(31, Id::new("digest", &format!("bob:{BOB_DIGEST}"))),
        Acl::new(1, Id::anyone()),
    ];
    builder.create_with("/secure", Some(b"hidden"), secure_acl, 0, false);
    builder.create("/gone", b"x");
    builder.delete("/gone");
    builder.set_acl("/app/a", vec![Acl::new(3, Id::anyone())]);
    let multi = Txn::Multi(vec![
        Txn::Create(builder.create_txn("/multi", b"m", Acl::open_unsafe(), false)),
        Txn::SetData(builder.set_data_txn("/app", b"config2")),
    ]);
    builder.push(0, multi);
    let passing = 0x0100_0000_0000_0002;
    builder.create_session(passing, 30_000);
    builder.create_with(
        "/app/passing",
        Some(b"gone with its session"),
        Acl::open_unsafe(),
        passing,
        true,
    );
    builder.close_session(passing);

    save(&mut storage, &builder.txns[..first_half]);
    // A snapshot of the state after the first half; the log goes on after it.
    storage
        .write_snapshot(&snapshot_database, snapshot_zxid)
        .unwrap();
    storage.log().roll();
    save(&mut storage, &builder.txns[first_half..]);
    drop(storage);

    let mut zookeeper = ApacheZooKeeper::start(&tools, directory.path(), JAVA_OPTIONS);
    let dump = zookeeper.dump(&["bob:secret"]);
    let log = zookeeper.log();
    zookeeper.stop();
    zkcli::assert_database_matches_dump(&builder.database, &zkcli::parse_dump(&dump));
    let snapshot_name = format!("snapshot.{:x}", snapshot_zxid.0);
    assert!(
        log.contains(&snapshot_name),
        "ZooKeeper read our snapshot:\n{log}"
    );
    let replayed = format!("{} txns loaded", builder.txns.len() - first_half);
    assert!(
        log.contains(&replayed),
        "ZooKeeper replayed our log:\n{log}"
    );
    // ZooKeeper compares our snapshot's digest with the tree it loaded, and says so.
    let digest_read = "The digest in the snapshot has digest version of 2";
    assert!(log.contains(digest_read), "{log}");
    assert!(
        !log.contains("Digests are not matching"),
        "ZooKeeper's digest check:\n{log}"
    );

    // And back: what ZooKeeper left (it snapshots at startup) recovers to the same database.
    let recovered = load(&data_dir, &data_dir).unwrap();
    assert_eq!(recovered.database.tree, builder.database.tree);
}
