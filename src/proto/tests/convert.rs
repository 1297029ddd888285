//! The core's txns survive the trip to bytes and back, and the wire forms the core cannot hold
//! are mapped the way ZooKeeper reads them.

use super::strategies::{acls, nullable_bytes, stat, stat_persisted, text, texts, txn_digest};
use crate::proto::convert::ConvertError;
use crate::proto::records as wire;
use crate::proto::txn_entry::{TxnBody, TxnEntry};
use proptest::collection::vec;
use proptest::prelude::*;
use zabkeeper_models::tree as model;
use zabkeeper_models::{ErrorCode, SessionId, Zxid};

fn model_acls() -> impl Strategy<Value = Vec<model::Acl>> {
    acls().prop_map(|acl| acl.iter().map(model::Acl::from).collect())
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    (-130_i32..=0).prop_filter_map("a ZooKeeper error code", ErrorCode::from_code)
}

fn model_create() -> impl Strategy<Value = model::CreateTxn> {
    (
        text(),
        nullable_bytes(),
        model_acls(),
        any::<bool>(),
        any::<i32>(),
    )
        .prop_map(
            |(path, data, acl, ephemeral, parent_cversion)| model::CreateTxn {
                path,
                data,
                acl,
                ephemeral,
                parent_cversion,
            },
        )
}

fn model_set_data() -> impl Strategy<Value = model::SetDataTxn> {
    (text(), nullable_bytes(), any::<i32>()).prop_map(|(path, data, version)| model::SetDataTxn {
        path,
        data,
        version,
    })
}

fn model_txn_in_multi() -> impl Strategy<Value = model::Txn> {
    prop_oneof![
        model_create().prop_map(model::Txn::Create),
        model_create().prop_map(model::Txn::Create2),
        (text(), nullable_bytes(), model_acls(), any::<i32>()).prop_map(
            |(path, data, acl, parent_cversion)| {
                model::Txn::CreateContainer(model::CreateContainerTxn {
                    path,
                    data,
                    acl,
                    parent_cversion,
                })
            }
        ),
        (
            text(),
            nullable_bytes(),
            model_acls(),
            any::<i32>(),
            any::<i64>()
        )
            .prop_map(|(path, data, acl, parent_cversion, ttl_ms)| {
                model::Txn::CreateTtl(model::CreateTtlTxn {
                    path,
                    data,
                    acl,
                    parent_cversion,
                    ttl_ms,
                })
            }),
        text().prop_map(|path| model::Txn::Delete(model::DeleteTxn { path })),
        text().prop_map(|path| model::Txn::DeleteContainer(model::DeleteTxn { path })),
        model_set_data().prop_map(model::Txn::SetData),
        (text(), any::<i32>()).prop_map(|(path, version)| {
            model::Txn::CheckVersion(model::CheckVersionTxn { path, version })
        }),
        error_code().prop_map(|err| model::Txn::Error(model::ErrorTxn { err })),
    ]
}

fn model_txn() -> impl Strategy<Value = model::Txn> {
    prop_oneof![
        model_txn_in_multi(),
        model_set_data().prop_map(model::Txn::Reconfig),
        (text(), model_acls(), any::<i32>()).prop_map(|(path, acl, version)| {
            model::Txn::SetAcl(model::SetAclTxn { path, acl, version })
        }),
        vec(model_txn_in_multi(), 0..4).prop_map(model::Txn::Multi),
        any::<i32>().prop_map(|timeout_ms| {
            model::Txn::CreateSession(model::CreateSessionTxn { timeout_ms })
        }),
        texts().prop_map(|paths_to_delete| {
            model::Txn::CloseSession(model::CloseSessionTxn { paths_to_delete })
        }),
    ]
}

proptest! {
    #[test]
    fn core_txns_survive_the_log(
        txn in model_txn(),
        client_id: i64,
        cxid: i32,
        zxid: u64,
        time_ms: i64,
        digest in proptest::option::of(txn_digest()),
    ) {
        let header = txn.header(SessionId(client_id), cxid, Zxid(zxid), time_ms);
        let entry = TxnEntry::from_model(&header, &txn, digest);
        let bytes = entry.encode().unwrap();
        let decoded = TxnEntry::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &entry);
        prop_assert_eq!(decoded.digest, digest);
        prop_assert_eq!(decoded.to_model().unwrap(), (header, txn));
    }

    #[test]
    fn stats_convert_both_ways(wire_stat in stat(), persisted in stat_persisted()) {
        let core_stat = model::Stat::from(&wire_stat);
        prop_assert_eq!(wire::Stat::from(&core_stat), wire_stat);
        let core_persisted = model::StatPersisted::from(&persisted);
        prop_assert_eq!(wire::StatPersisted::from(&core_persisted), persisted);
    }
}

#[test]
fn zxids_keep_their_bits() {
    let header = wire::TxnHeader {
        client_id: -5,
        zxid: -1,
        ..wire::TxnHeader::default()
    };
    let core = model::TxnHeader::from(&header);
    assert_eq!(core.zxid, Zxid(u64::MAX));
    assert_eq!(core.client_id, SessionId(-5));
    assert_eq!(wire::TxnHeader::from(&core), header);
}

#[test]
fn null_data_stays_apart_from_empty_data_both_ways() {
    for data in [None, Some(vec![])] {
        let body = TxnBody::SetData(wire::SetDataTxn {
            path: "/a".into(),
            data: data.clone(),
            version: 1,
        });
        let core = model::Txn::try_from(&body).unwrap();
        assert_eq!(
            core,
            model::Txn::SetData(model::SetDataTxn {
                path: "/a".into(),
                data,
                version: 1
            })
        );
        assert_eq!(TxnBody::from(&core), body);
    }
}

#[test]
fn a_pre_3_3_create_has_an_unknown_parent_cversion() {
    let body = TxnBody::CreateV0(wire::CreateTxnV0 {
        path: "/a".into(),
        data: Some(b"x".to_vec()),
        acl: vec![],
        ephemeral: true,
    });
    let model::Txn::Create(create) = model::Txn::try_from(&body).unwrap() else {
        panic!("a V0 create is a create");
    };
    assert_eq!(create.parent_cversion, -1);
    assert!(create.ephemeral);
}

#[test]
fn a_close_session_without_body_deletes_nothing_listed() {
    assert_eq!(
        model::Txn::try_from(&TxnBody::CloseSession(None)).unwrap(),
        model::Txn::CloseSession(model::CloseSessionTxn {
            paths_to_delete: vec![]
        })
    );
}

#[test]
fn unknown_error_codes_do_not_convert() {
    let body = TxnBody::Multi(vec![TxnBody::Error(wire::ErrorTxn { err: -9 })]);
    assert_eq!(
        model::Txn::try_from(&body),
        Err(ConvertError::UnknownErrorCode(-9))
    );
}
