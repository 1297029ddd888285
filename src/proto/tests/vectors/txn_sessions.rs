//! Session txns from Apache ZooKeeper 3.8.0's version-2/log.1, in zxid order: createSession for
//! each client, closeSession from clients and from expiry.

use super::*;

/// step: connect, zxid: 0x1
#[test]
fn connect_create_session() {
    check_txn(
        "connect.create-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 0,
                zxid: 0x1,
                time_ms: 1795329712953,
                txn_type: -10,
            },
            body: TxnBody::CreateSession(CreateSessionTxn { timeout_ms: 4000 }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x51c6d660,
            }),
        },
    );
}

/// step: connect-read-only, zxid: 0x14
#[test]
fn connect_read_only_create_session() {
    check_txn(
        "connect-read-only.create-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0001,
                cxid: 0,
                zxid: 0x14,
                time_ms: 1795329713197,
                txn_type: -10,
            },
            body: TxnBody::CreateSession(CreateSessionTxn { timeout_ms: 4000 }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3bfd7af06,
            }),
        },
    );
}

/// step: close-session-without-ephemerals, zxid: 0x16
#[test]
fn close_session_without_ephemerals_close_session() {
    check_txn(
        "close-session-without-ephemerals.close-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0001,
                cxid: 2,
                zxid: 0x16,
                time_ms: 1795329713202,
                txn_type: -11,
            },
            body: TxnBody::CloseSession(Some(CloseSessionTxn {
                paths_to_delete: vec![],
            })),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3bfd7af06,
            }),
        },
    );
}

/// step: session-to-expire, zxid: 0x19
#[test]
fn session_to_expire_create_session() {
    check_txn(
        "session-to-expire.create-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0002,
                cxid: 0,
                zxid: 0x19,
                time_ms: 1795329718286,
                txn_type: -10,
            },
            body: TxnBody::CreateSession(CreateSessionTxn { timeout_ms: 4000 }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x2ccaeeb1d,
            }),
        },
    );
}

/// step: server, zxid: 0x1b
#[test]
fn server_close_session() {
    check_txn(
        "server.close-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0002,
                cxid: 0,
                zxid: 0x1b,
                time_ms: 1795329722721,
                txn_type: -11,
            },
            body: TxnBody::CloseSession(Some(CloseSessionTxn {
                paths_to_delete: vec!["/vectors/expiring".into()],
            })),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3a9599abb,
            }),
        },
    );
}

/// step: close-session, zxid: 0x1c
#[test]
fn close_session_close_session() {
    check_txn(
        "close-session.close-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0000,
                cxid: 44,
                zxid: 0x1c,
                time_ms: 1795329733748,
                txn_type: -11,
            },
            body: TxnBody::CloseSession(Some(CloseSessionTxn {
                paths_to_delete: vec![
                    "/vectors/ephemeral-sequential-0000000002".into(),
                    "/vectors/ephemeral".into(),
                ],
            })),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x2cea75e21,
            }),
        },
    );
}

/// step: c-client-create2, zxid: 0x1d
#[test]
fn c_client_create2_create_session() {
    check_txn(
        "c-client-create2.create-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0003,
                cxid: 0,
                zxid: 0x1d,
                time_ms: 1795329733889,
                txn_type: -10,
            },
            body: TxnBody::CreateSession(CreateSessionTxn { timeout_ms: 30000 }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x2cea75e21,
            }),
        },
    );
}

/// step: c-client-create2, zxid: 0x1f
#[test]
fn c_client_create2_close_session() {
    check_txn(
        "c-client-create2.close-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0003,
                cxid: 1795329735,
                zxid: 0x1f,
                time_ms: 1795329733898,
                txn_type: -11,
            },
            body: TxnBody::CloseSession(Some(CloseSessionTxn {
                paths_to_delete: vec![],
            })),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3f2c701a6,
            }),
        },
    );
}

/// step: c-client-read-only, zxid: 0x20
#[test]
fn c_client_read_only_create_session() {
    check_txn(
        "c-client-read-only.create-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0004,
                cxid: 0,
                zxid: 0x20,
                time_ms: 1795329733907,
                txn_type: -10,
            },
            body: TxnBody::CreateSession(CreateSessionTxn { timeout_ms: 30000 }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3f2c701a6,
            }),
        },
    );
}

/// step: c-client-read-only, zxid: 0x21
#[test]
fn c_client_read_only_close_session() {
    check_txn(
        "c-client-read-only.close-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0004,
                cxid: 1795329735,
                zxid: 0x21,
                time_ms: 1795329733915,
                txn_type: -11,
            },
            body: TxnBody::CloseSession(Some(CloseSessionTxn {
                paths_to_delete: vec![],
            })),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3f2c701a6,
            }),
        },
    );
}

/// step: connect-legacy, zxid: 0x22
#[test]
fn connect_legacy_create_session() {
    check_txn(
        "connect-legacy.create-session",
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100001ad26a0005,
                cxid: 0,
                zxid: 0x22,
                time_ms: 1795329733922,
                txn_type: -10,
            },
            body: TxnBody::CreateSession(CreateSessionTxn { timeout_ms: 4000 }),
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 0x3f2c701a6,
            }),
        },
    );
}
