//! Proptests: random txn sequences and random trees read back identical; no bytes make the
//! readers panic.

use super::{database_after, options, save, version_directory, Script};
use crate::storage::snapshot::{read_snapshot, write_snapshot};
use crate::storage::txn_log::{TxnLogReader, TxnLogWriter, DEFAULT_BUFFER_BYTES_MAX};
use crate::storage::{load_with, Storage};
use proptest::prelude::*;
use std::fs;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::tree::{
    Acl, CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, Id, SetAclTxn, SetDataTxn, Txn,
};
use zabkeeper_models::{ErrorCode, SessionId, Zxid};

fn path() -> impl Strategy<Value = String> {
    "(/[a-z0-9]{1,4}){1,3}"
}

/// Znode data, null included (ZooKeeper logs and snapshots it as length -1).
fn data() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop::collection::vec(any::<u8>(), 0..40))
}

fn acl() -> impl Strategy<Value = Vec<Acl>> {
    prop::collection::vec(
        (0..32i32, "[a-z]{1,6}", "[a-zA-Z0-9:=+/]{0,12}")
            .prop_map(|(perms, scheme, id)| Acl::new(perms, Id::new(&scheme, &id))),
        0..3,
    )
}

fn create() -> impl Strategy<Value = CreateTxn> {
    (path(), data(), acl(), any::<bool>(), any::<i32>()).prop_map(
        |(path, data, acl, ephemeral, parent_cversion)| CreateTxn {
            path,
            data,
            acl,
            ephemeral,
            parent_cversion,
        },
    )
}

/// A txn that may appear inside a multi.
fn multi_op() -> impl Strategy<Value = Txn> {
    prop_oneof![
        create().prop_map(Txn::Create),
        create().prop_map(Txn::Create2),
        (path(), data(), acl(), any::<i32>()).prop_map(|(path, data, acl, parent_cversion)| {
            Txn::CreateContainer(CreateContainerTxn {
                path,
                data,
                acl,
                parent_cversion,
            })
        }),
        (path(), data(), acl(), any::<i32>(), any::<i64>()).prop_map(
            |(path, data, acl, parent_cversion, ttl_ms)| Txn::CreateTtl(CreateTtlTxn {
                path,
                data,
                acl,
                parent_cversion,
                ttl_ms,
            })
        ),
        path().prop_map(|path| Txn::Delete(DeleteTxn { path })),
        path().prop_map(|path| Txn::DeleteContainer(DeleteTxn { path })),
        (path(), data(), any::<i32>()).prop_map(|(path, data, version)| Txn::SetData(SetDataTxn {
            path,
            data,
            version
        })),
        (path(), any::<i32>())
            .prop_map(|(path, version)| Txn::CheckVersion(CheckVersionTxn { path, version })),
        prop::sample::select(vec![
            ErrorCode::NoNode,
            ErrorCode::NodeExists,
            ErrorCode::BadVersion,
            ErrorCode::NotEmpty,
        ])
        .prop_map(|err| Txn::Error(ErrorTxn { err })),
    ]
}

fn txn() -> impl Strategy<Value = Txn> {
    prop_oneof![
        4 => multi_op(),
        1 => (path(), acl(), any::<i32>()).prop_map(|(path, acl, version)| Txn::SetAcl(SetAclTxn { path, acl, version })),
        1 => prop::collection::vec(multi_op(), 0..4).prop_map(Txn::Multi),
        1 => any::<i32>().prop_map(|timeout_ms| Txn::CreateSession(CreateSessionTxn { timeout_ms })),
        1 => prop::collection::vec(path(), 0..3).prop_map(|paths_to_delete| Txn::CloseSession(CloseSessionTxn { paths_to_delete })),
    ]
}

/// Txns with increasing zxids (sometimes a new epoch), each with whether a batch ends after it
/// and whether the log rolls there.
fn logged_txns() -> impl Strategy<Value = Vec<(Prepared, bool, bool)>> {
    prop::collection::vec(
        (
            txn(),
            any::<i64>(),
            any::<i32>(),
            any::<i64>(),
            0..8u8,
            any::<bool>(),
            0..6u8,
        ),
        1..40,
    )
    .prop_map(|steps| {
        let mut zxid = 0x1_0000_0000u64;
        steps
            .into_iter()
            .map(|(txn, session, cxid, time_ms, step, ends_batch, roll)| {
                zxid = if step == 0 {
                    ((zxid >> 32) + 1) << 32 | 1
                } else {
                    zxid + u64::from(step)
                };
                let prepared = Prepared {
                    header: txn.header(SessionId(session), cxid, Zxid(zxid), time_ms),
                    txn,
                };
                (prepared, ends_batch, roll == 0)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_txns_read_back_identical_across_batches_and_rolls(steps in logged_txns()) {
        let directory = tempfile::tempdir().unwrap();
        let mut writer = TxnLogWriter::open(directory.path(), options().txn_log(), Zxid::ZERO).unwrap();
        let mut batch = writer.batch();
        for (index, (txn, ends_batch, roll)) in steps.iter().enumerate() {
            batch.append(txn).unwrap();
            if *ends_batch || index == steps.len() - 1 {
                batch.sync().unwrap();
                if *roll {
                    writer.roll();
                }
                batch = writer.batch();
            }
        }
        drop(batch);
        let read: Vec<Prepared> = TxnLogReader::open(directory.path(), Zxid::ZERO, options().txn_log())
            .unwrap()
            .map(|logged| logged.unwrap().txn)
            .collect();
        let written: Vec<Prepared> = steps.into_iter().map(|(txn, _, _)| txn).collect();
        prop_assert_eq!(read, written);
    }

    #[test]
    fn random_trees_survive_snapshots_and_replay(choices in prop::collection::vec((0..6u8, any::<u16>(), data()), 0..60)) {
        let script = grow(&choices);
        let directory = tempfile::tempdir().unwrap();
        let path = write_snapshot(directory.path(), &script.database, script.last_zxid(), -1).unwrap();
        let snapshot = read_snapshot(&path, script.last_zxid(), DEFAULT_BUFFER_BYTES_MAX).unwrap();
        prop_assert_eq!(&snapshot.database, &script.database);
        // The same tree rebuilt by replaying the log over snapshot.0.
        let data_dir = tempfile::tempdir().unwrap();
        let (mut storage, _) = Storage::open(data_dir.path(), data_dir.path(), options()).unwrap();
        save(&mut storage, &script.txns);
        drop(storage);
        let recovered = load_with(data_dir.path(), data_dir.path(), &options()).unwrap();
        prop_assert_eq!(&recovered.database, &database_after(&script.txns));
        prop_assert_eq!(&recovered.database, &script.database);
    }

    #[test]
    fn no_log_bytes_make_recovery_panic(garbage in prop::collection::vec(any::<u8>(), 0..300), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)) {
        let directory = tempfile::tempdir().unwrap();
        let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
        let script = Script::varied(1);
        save(&mut storage, &script.txns);
        let log = storage.log().current_file().unwrap().to_path_buf();
        drop(storage);
        let mut bytes = fs::read(&log).unwrap();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        bytes.extend_from_slice(&garbage);
        fs::write(&log, &bytes).unwrap();
        fs::write(version_directory(directory.path()).join("log.200000001"), &garbage).unwrap();
        let _any_result = load_with(directory.path(), directory.path(), &options());
    }

    #[test]
    fn no_snapshot_bytes_make_the_reader_panic(garbage in prop::collection::vec(any::<u8>(), 0..200), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let directory = tempfile::tempdir().unwrap();
        let script = Script::varied(1);
        let path = write_snapshot(directory.path(), &script.database, script.last_zxid(), -1).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        fs::write(&path, &bytes).unwrap();
        let _any_result = read_snapshot(&path, script.last_zxid(), DEFAULT_BUFFER_BYTES_MAX);
        let mut headed = b"ZKSN\x00\x00\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff".to_vec();
        headed.extend_from_slice(&garbage);
        fs::write(&path, &headed).unwrap();
        let _any_result = read_snapshot(&path, script.last_zxid(), DEFAULT_BUFFER_BYTES_MAX);
    }
}

/// A tree grown by interpreting random choices against the current tree: creates (plain,
/// ephemeral, container, TTL) under existing nodes, data and ACL changes, deletes of leaves,
/// session starts and ends.
fn grow(choices: &[(u8, u16, Option<Vec<u8>>)]) -> Script {
    let mut script = Script::new(1);
    script.create_session(0x10, 5000);
    for (number, (kind, pick, data)) in choices.iter().enumerate() {
        let nodes: Vec<String> = script
            .database
            .tree
            .iter()
            .map(|(path, _)| path.to_string())
            .filter(|path| !path.starts_with("/zookeeper"))
            .collect();
        let node = nodes[usize::from(*pick) % nodes.len()].clone();
        let child = if node == "/" {
            format!("/n{number}")
        } else {
            format!("{node}/n{number}")
        };
        let owner = script
            .database
            .tree
            .node(&node)
            .unwrap()
            .persisted_stat
            .ephemeral_owner;
        let can_have_children = owner == 0 || owner == i64::MIN;
        match kind {
            0 | 1 if can_have_children => {
                script.create_with(&child, data.as_deref(), Acl::open_unsafe(), 0, false);
            }
            2 if can_have_children => {
                let sessions: Vec<i64> = script
                    .database
                    .sessions
                    .keys()
                    .map(|session| session.0)
                    .collect();
                if let Some(session) = sessions.get(usize::from(*pick) % sessions.len().max(1)) {
                    script.create_with(&child, data.as_deref(), Acl::open_unsafe(), *session, true);
                }
            }
            3 if can_have_children && pick % 2 == 0 => {
                script.create_container(&child);
            }
            3 if can_have_children => {
                script.create_ttl(&child, i64::from(*pick) + 1);
            }
            4 => {
                script.set_nullable_data(&node, data.as_deref());
                if pick % 3 == 0 {
                    script.set_acl(
                        &node,
                        vec![Acl::new(i32::from(*pick % 32), Id::new("ip", "127.0.0.1"))],
                    );
                }
            }
            5 if node != "/" && script.database.tree.children(&node).unwrap().is_empty() => {
                script.delete(&node);
            }
            5 if pick % 4 == 0 => {
                script.create_session(i64::from(*pick) + 0x100, 4000);
            }
            5 => {
                if let Some(session) = script.database.sessions.keys().next().copied() {
                    script.close_session(session.0);
                }
            }
            _ => {}
        }
    }
    script
}
