//! Node txns from Apache ZooKeeper 3.8.0's version-2/log.1, in zxid order (header, txn, digest;
//! error txns carry no digest), and the log's file header.

use super::*;

/// The FileHeader that opens version-2/log.1.
#[test]
fn file_header() {
    check_file_header(
        "file-header",
        FileHeader {
            magic: 1514884167,
            version: 2,
            dbid: 0,
        },
    );
}

/// step: create, zxid: 0x2
#[test]
fn create_create() {
    check_txn(
        "create.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 1,
                zxid: 0x2,
                time_ms: 1795329712994,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors".into(),
                data: Some(b"zabkeeper".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: false,
                parent_cversion: 1,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x10470c071,
            }),
        },
    );
}

/// step: create-node-exists, zxid: 0x3
#[test]
fn create_node_exists_error() {
    check_txn(
        "create-node-exists.error",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 2,
                zxid: 0x3,
                time_ms: 1795329713022,
                txn_type: -1,
            },
            body: TxnBody::Error(ErrorTxn { err: -110 }),
            digest: None,
        },
    );
}

/// step: create2-persistent-sequential, zxid: 0x4
#[test]
fn create2_persistent_sequential_create2() {
    check_txn(
        "create2-persistent-sequential.create2",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 3,
                zxid: 0x4,
                time_ms: 1795329713033,
                txn_type: 15,
            },
            body: TxnBody::Create2(CreateTxn {
                path: "/vectors/sequential-0000000000".into(),
                data: Some(b"s".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: false,
                parent_cversion: 1,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x145c89ee7,
            }),
        },
    );
}

/// step: create-ephemeral, zxid: 0x5
#[test]
fn create_ephemeral_create() {
    check_txn(
        "create-ephemeral.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 4,
                zxid: 0x5,
                time_ms: 1795329713040,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors/ephemeral".into(),
                data: Some(b"e".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: true,
                parent_cversion: 2,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x1d4892dc0,
            }),
        },
    );
}

/// step: create-ephemeral-sequential, zxid: 0x6
#[test]
fn create_ephemeral_sequential_create() {
    check_txn(
        "create-ephemeral-sequential.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 5,
                zxid: 0x6,
                time_ms: 1795329713043,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors/ephemeral-sequential-0000000002".into(),
                data: Some(vec![]),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: true,
                parent_cversion: 3,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x179b66548,
            }),
        },
    );
}

/// step: create-container, zxid: 0x7
#[test]
fn create_container_create_container() {
    check_txn(
        "create-container.create-container",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 6,
                zxid: 0x7,
                time_ms: 1795329713045,
                txn_type: 19,
            },
            body: TxnBody::CreateContainer(CreateContainerTxn {
                path: "/vectors/container".into(),
                data: Some(b"c".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                parent_cversion: 4,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x217752f16,
            }),
        },
    );
}

/// step: create-in-container, zxid: 0x8
#[test]
fn create_in_container_create() {
    check_txn(
        "create-in-container.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 7,
                zxid: 0x8,
                time_ms: 1795329713049,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors/container/child".into(),
                data: Some(b"child".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: false,
                parent_cversion: 1,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x2dfb67af7,
            }),
        },
    );
}

/// step: delete, zxid: 0x9
#[test]
fn delete_delete() {
    check_txn(
        "delete.delete",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 8,
                zxid: 0x9,
                time_ms: 1795329713058,
                txn_type: 2,
            },
            body: TxnBody::Delete(DeleteTxn {
                path: "/vectors/container/child".into(),
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x28ce7292b,
            }),
        },
    );
}

/// step: create-ttl, zxid: 0xa
#[test]
fn create_ttl_create_ttl() {
    check_txn(
        "create-ttl.create-ttl",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 9,
                zxid: 0xa,
                time_ms: 1795329713063,
                txn_type: 21,
            },
            body: TxnBody::CreateTtl(CreateTtlTxn {
                path: "/vectors/ttl".into(),
                data: Some(b"t".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                parent_cversion: 5,
                ttl_ms: 1000,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x28098c824,
            }),
        },
    );
}

/// step: create-null-data, zxid: 0xb
#[test]
fn create_null_data_create() {
    check_txn(
        "create-null-data.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 10,
                zxid: 0xb,
                time_ms: 1795329713067,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors/null-data".into(),
                data: None,
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: false,
                parent_cversion: 6,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x278ccc3f2,
            }),
        },
    );
}

/// step: set-data, zxid: 0xc
#[test]
fn set_data_set_data() {
    check_txn(
        "set-data.set-data",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 13,
                zxid: 0xc,
                time_ms: 1795329713079,
                txn_type: 5,
            },
            body: TxnBody::SetData(SetDataTxn {
                path: "/vectors".into(),
                data: Some(b"changed".to_vec()),
                version: 1,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x234a46937,
            }),
        },
    );
}

/// step: set-data-bad-version, zxid: 0xd
#[test]
fn set_data_bad_version_error() {
    check_txn(
        "set-data-bad-version.error",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 14,
                zxid: 0xd,
                time_ms: 1795329713086,
                txn_type: -1,
            },
            body: TxnBody::Error(ErrorTxn { err: -103 }),
            digest: None,
        },
    );
}

/// step: create-triggers-watches, zxid: 0xe
#[test]
fn create_triggers_watches_create() {
    check_txn(
        "create-triggers-watches.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 18,
                zxid: 0xe,
                time_ms: 1795329713104,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors/absent".into(),
                data: Some(b"now present".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: false,
                parent_cversion: 7,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x2adbf176c,
            }),
        },
    );
}

/// step: delete-absent, zxid: 0xf
#[test]
fn delete_absent_delete() {
    check_txn(
        "delete-absent.delete",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 20,
                zxid: 0xf,
                time_ms: 1795329713109,
                txn_type: 2,
            },
            body: TxnBody::Delete(DeleteTxn {
                path: "/vectors/absent".into(),
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x2e2dff031,
            }),
        },
    );
}

/// step: create-creator-all-acl, zxid: 0x10
#[test]
fn create_creator_all_acl_create() {
    check_txn(
        "create-creator-all-acl.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 22,
                zxid: 0x10,
                time_ms: 1795329713116,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors/acl".into(),
                data: Some(b"a".to_vec()),
                acl: vec![acl(31, "digest", "zabkeeper:zcNLjq9Ml2OMaojyslkMj7hQjeg=")],
                ephemeral: false,
                parent_cversion: 8,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x30374614d,
            }),
        },
    );
}

/// step: set-acl, zxid: 0x11
#[test]
fn set_acl_set_acl() {
    check_txn(
        "set-acl.set-acl",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 24,
                zxid: 0x11,
                time_ms: 1795329713138,
                txn_type: 7,
            },
            body: TxnBody::SetAcl(SetAclTxn {
                path: "/vectors/acl".into(),
                acl: vec![
                    acl(31, "digest", "zabkeeper:zcNLjq9Ml2OMaojyslkMj7hQjeg="),
                    acl(1, "world", "anyone"),
                ],
                version: 1,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3125f4d8a,
            }),
        },
    );
}

/// step: multi, zxid: 0x12
#[test]
fn multi_multi() {
    check_txn(
        "multi.multi",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 25,
                zxid: 0x12,
                time_ms: 1795329713150,
                txn_type: 14,
            },
            body: TxnBody::Multi(vec![
                TxnBody::Create(CreateTxn {
                    path: "/vectors/multi".into(),
                    data: Some(b"m".to_vec()),
                    acl: vec![acl(31, "world", "anyone")],
                    ephemeral: false,
                    parent_cversion: 9,
                }),
                TxnBody::SetData(SetDataTxn {
                    path: "/vectors/multi".into(),
                    data: Some(b"m2".to_vec()),
                    version: 1,
                }),
                TxnBody::CheckVersion(CheckVersionTxn {
                    path: "/vectors/multi".into(),
                    version: 2,
                }),
                TxnBody::Create(CreateTxn {
                    path: "/vectors/multi/child".into(),
                    data: Some(b"c".to_vec()),
                    acl: vec![acl(31, "world", "anyone")],
                    ephemeral: false,
                    parent_cversion: 1,
                }),
                TxnBody::Delete(DeleteTxn {
                    path: "/vectors/multi/child".into(),
                }),
            ]),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3bfd7af06,
            }),
        },
    );
}

/// step: multi-failing, zxid: 0x13
#[test]
fn multi_failing_multi() {
    check_txn(
        "multi-failing.multi",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 26,
                zxid: 0x13,
                time_ms: 1795329713158,
                txn_type: 14,
            },
            body: TxnBody::Multi(vec![
                TxnBody::Create(CreateTxn {
                    path: "/vectors/multi-failed".into(),
                    data: Some(b"f".to_vec()),
                    acl: vec![acl(31, "world", "anyone")],
                    ephemeral: false,
                    parent_cversion: 10,
                }),
                TxnBody::Error(ErrorTxn { err: -101 }),
                TxnBody::Error(ErrorTxn { err: -2 }),
            ]),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3bfd7af06,
            }),
        },
    );
}

/// step: reconfig, zxid: 0x15
#[test]
fn reconfig_error() {
    check_txn(
        "reconfig.error",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0001,
                cxid: 1,
                zxid: 0x15,
                time_ms: 1795329713200,
                txn_type: -1,
            },
            body: TxnBody::Error(ErrorTxn { err: -123 }),
            digest: None,
        },
    );
}

/// step: server, zxid: 0x17
#[test]
fn server_delete_container() {
    check_txn(
        "server.delete-container",
        TxnEntry {
            header: TxnHeader {
                client_id: 0,
                cxid: 0,
                zxid: 0x17,
                time_ms: 1795329713341,
                txn_type: 20,
            },
            body: TxnBody::DeleteContainer(DeleteTxn {
                path: "/vectors/container".into(),
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3d380bb7e,
            }),
        },
    );
}

/// step: server, zxid: 0x18
#[test]
fn server_delete_container_2() {
    check_txn(
        "server.delete-container-2",
        TxnEntry {
            header: TxnHeader {
                client_id: 0,
                cxid: 0,
                zxid: 0x18,
                time_ms: 1795329714342,
                txn_type: 20,
            },
            body: TxnBody::DeleteContainer(DeleteTxn {
                path: "/vectors/ttl".into(),
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x2ccaeeb1d,
            }),
        },
    );
}

/// step: session-to-expire, zxid: 0x1a
#[test]
fn session_to_expire_create() {
    check_txn(
        "session-to-expire.create",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0002,
                cxid: 1,
                zxid: 0x1a,
                time_ms: 1795329718289,
                txn_type: 1,
            },
            body: TxnBody::Create(CreateTxn {
                path: "/vectors/expiring".into(),
                data: Some(b"x".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: true,
                parent_cversion: 10,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x38e729a97,
            }),
        },
    );
}

/// step: c-client-create2, zxid: 0x1e
#[test]
fn c_client_create2_create2() {
    check_txn(
        "c-client-create2.create2",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0003,
                cxid: 1795329734,
                zxid: 0x1e,
                time_ms: 1795329733892,
                txn_type: 15,
            },
            body: TxnBody::Create2(CreateTxn {
                path: "/vectors-c-client".into(),
                data: Some(b"new".to_vec()),
                acl: vec![acl(31, "world", "anyone")],
                ephemeral: false,
                parent_cversion: 2,
            }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3f2c701a6,
            }),
        },
    );
}
