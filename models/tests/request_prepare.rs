//! Request preparation, one rule per test, with the exact txn or error ZooKeeper 3.9's
//! PrepRequestProcessor produces.

mod request_support;

use request_support::{Pipeline, OTHER_SESSION, SESSION, TIME_MS};
use zabkeeper_models::error::ErrorCode;
use zabkeeper_models::ids::{Epoch, SessionId, Zxid};
use zabkeeper_models::request::{
    check_read, get_acl, AccessControl, CheckRequest, CreateOp, CreateRequest, DeleteRequest,
    MultiOp, PrepareConfig, ReadOp, ReconfigRequest, SetAclRequest, SetDataRequest, WriteRequest,
};
use zabkeeper_models::tree::{
    op_code, perms, Acl, CheckVersionTxn, CloseSessionTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, Id, SetAclTxn, SetDataTxn, Txn,
};

fn create_request(op: CreateOp, path: &str, flags: i32) -> CreateRequest {
    CreateRequest {
        op,
        path: path.into(),
        data: Some(b"d".to_vec()),
        acl: Acl::open_unsafe(),
        flags,
    }
}

fn create(path: &str, flags: i32) -> WriteRequest {
    WriteRequest::Create(create_request(CreateOp::Create, path, flags))
}

fn create_with_acl(path: &str, acl: Vec<Acl>) -> WriteRequest {
    WriteRequest::Create(CreateRequest {
        acl,
        ..create_request(CreateOp::Create, path, 0)
    })
}

fn delete(path: &str, version: i32) -> WriteRequest {
    WriteRequest::Delete(DeleteRequest {
        path: path.into(),
        version,
    })
}

fn set_data(path: &str, version: i32) -> WriteRequest {
    WriteRequest::SetData(SetDataRequest {
        path: path.into(),
        data: Some(b"new".to_vec()),
        version,
    })
}

fn error(err: ErrorCode) -> Txn {
    Txn::Error(ErrorTxn { err })
}

fn created(path: &str, parent_cversion: i32, ephemeral: bool) -> Txn {
    Txn::Create(CreateTxn {
        path: path.into(),
        data: Some(b"d".to_vec()),
        acl: Acl::open_unsafe(),
        ephemeral,
        parent_cversion,
    })
}

fn digest(id: &str) -> Id {
    Id::new("digest", id)
}

#[test]
fn create_carries_the_parents_next_cversion_and_the_header() {
    let mut pipeline = Pipeline::new();
    let prepared = pipeline.prepare(create("/a", 0));
    assert_eq!(prepared.txn, created("/a", 1, false));
    assert_eq!(prepared.header.client_id, SESSION);
    assert_eq!(prepared.header.cxid, 1);
    assert_eq!(prepared.header.zxid, Zxid::new(Epoch(1), 1));
    assert_eq!(prepared.header.time_ms, TIME_MS + 1);
    assert_eq!(prepared.header.txn_type, op_code::CREATE);
    assert_eq!(prepared.error(), None);
}

#[test]
fn sequential_names_count_outstanding_creates() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/q", 0));
    let first = pipeline.prepare(create("/q/n-", 2));
    let second = pipeline.prepare(create("/q/n-", 2));
    assert_eq!(first.txn, created("/q/n-0000000000", 1, false));
    assert_eq!(second.txn, created("/q/n-0000000001", 2, false));
    pipeline.apply(&first);
    pipeline.apply(&second);
    // A delete does not give a number back.
    pipeline.run(delete("/q/n-0000000001", -1));
    let third = pipeline.prepare(create("/q/n-", 3));
    assert_eq!(third.txn, created("/q/n-0000000002", 3, true));
    pipeline.apply(&third);
    assert!(pipeline.tree.contains("/q/n-0000000002"));
}

#[test]
fn sequential_path_is_validated_with_its_suffix() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/q", 0));
    // "/q/" alone is invalid, with the suffix it names a child of /q.
    assert_eq!(
        pipeline.prepare(create("/q/", 2)).txn,
        created("/q/0000000000", 1, false)
    );
    // Without a sequential flag the parent "/q" is found and then the path fails.
    assert_eq!(
        pipeline.prepare(create("/q/", 0)).txn,
        error(ErrorCode::BadArguments)
    );
    // The parent is looked up before the path is validated: NoNode wins.
    assert_eq!(
        pipeline.prepare(create("/missing/", 0)).txn,
        error(ErrorCode::NoNode)
    );
    assert_eq!(
        pipeline.prepare(create("a", 0)).txn,
        error(ErrorCode::BadArguments)
    );
    assert_eq!(
        pipeline.prepare(create("/a\u{0}", 0)).txn,
        error(ErrorCode::BadArguments)
    );
    assert_eq!(
        pipeline.prepare(create("/", 0)).txn,
        error(ErrorCode::NodeExists)
    );
}

#[test]
fn error_txns_take_a_zxid_and_an_error_header() {
    let mut pipeline = Pipeline::new();
    let prepared = pipeline.prepare(create("/a", 7));
    assert_eq!(prepared.txn, error(ErrorCode::BadArguments));
    assert_eq!(prepared.header.txn_type, op_code::ERROR);
    assert_eq!(prepared.header.zxid, Zxid::new(Epoch(1), 1));
    assert_eq!(prepared.error(), Some(ErrorCode::BadArguments));
    let result = pipeline.apply(&prepared);
    assert_eq!(result.err, ErrorCode::BadArguments);
}

#[test]
fn node_exists_and_no_node_see_outstanding_changes() {
    let mut pipeline = Pipeline::new();
    assert_eq!(pipeline.prepare(create("/a", 0)).error(), None);
    assert_eq!(
        pipeline.prepare(create("/a", 0)).txn,
        error(ErrorCode::NodeExists)
    );
    assert_eq!(pipeline.prepare(create("/a/b", 0)).error(), None);
    assert_eq!(pipeline.prepare(delete("/a/b", -1)).error(), None);
    assert_eq!(
        pipeline.prepare(delete("/a/b", -1)).txn,
        error(ErrorCode::NoNode)
    );
    assert_eq!(
        pipeline.prepare(create("/x/y", 0)).txn,
        error(ErrorCode::NoNode)
    );
}

#[test]
fn ephemerals_need_a_live_session_and_cannot_have_children() {
    let mut pipeline = Pipeline::new();
    let unknown = SessionId(0x0100_0000_0000_0099);
    let anyone = [Id::anyone()];
    assert_eq!(
        pipeline.prepare_as(unknown, &anyone, create("/e", 1)).txn,
        error(ErrorCode::SessionExpired)
    );
    assert_eq!(
        pipeline.prepare_as(unknown, &anyone, create("/p", 0)).txn,
        error(ErrorCode::UnknownSession)
    );
    let ephemeral = pipeline.prepare(create("/e", 1));
    assert_eq!(ephemeral.txn, created("/e", 1, true));
    // The parent is ephemeral only in the outstanding changes so far.
    assert_eq!(
        pipeline.prepare(create("/e/child", 0)).txn,
        error(ErrorCode::NoChildrenForEphemerals)
    );
    pipeline.apply(&ephemeral);
    assert_eq!(
        pipeline.prepare(create("/e/child", 0)).txn,
        error(ErrorCode::NoChildrenForEphemerals)
    );
    let ephemeral_sequential = pipeline.prepare(create("/s-", 3));
    assert_eq!(ephemeral_sequential.txn, created("/s-0000000001", 2, true));
}

#[test]
fn containers_and_ttl_nodes() {
    let mut pipeline = Pipeline::new();
    let container = pipeline.prepare(WriteRequest::Create(create_request(
        CreateOp::CreateContainer,
        "/c",
        4,
    )));
    assert_eq!(container.header.txn_type, op_code::CREATE_CONTAINER);
    pipeline.apply(&container);
    assert_eq!(pipeline.tree.containers().len(), 1);
    // A container may have children (that is its purpose).
    assert_eq!(pipeline.prepare(create("/c/child", 0)).error(), None);

    let ttl = |ttl_ms, flags| {
        WriteRequest::Create(create_request(CreateOp::CreateTtl { ttl_ms }, "/t", flags))
    };
    assert_eq!(
        pipeline.prepare(ttl(1000, 5)).txn,
        error(ErrorCode::Unimplemented)
    );

    let mut pipeline = Pipeline::with_config(PrepareConfig {
        extended_types_enabled: true,
        ..PrepareConfig::default()
    });
    assert_eq!(
        pipeline.prepare(ttl(0, 5)).txn,
        error(ErrorCode::BadArguments)
    );
    assert_eq!(
        pipeline.prepare(ttl(0x0100_0000_0000, 5)).txn,
        error(ErrorCode::BadArguments)
    );
    // A TTL with a non-TTL mode, and a TTL mode without a TTL.
    assert_eq!(
        pipeline.prepare(ttl(1000, 0)).txn,
        error(ErrorCode::BadArguments)
    );
    assert_eq!(
        pipeline.prepare(ttl(-1, 0)).txn,
        error(ErrorCode::BadArguments)
    );
    assert_eq!(
        pipeline.prepare(create("/t", 5)).txn,
        error(ErrorCode::BadArguments)
    );
    let prepared = pipeline.prepare(ttl(1000, 6));
    assert_eq!(
        prepared.txn,
        Txn::CreateTtl(CreateTtlTxn {
            path: "/t0000000000".into(),
            data: Some(b"d".to_vec()),
            acl: Acl::open_unsafe(),
            parent_cversion: 1,
            ttl_ms: 1000,
        })
    );
    pipeline.apply(&prepared);
    assert!(pipeline.tree.ttls().contains("/t0000000000"));
}

#[test]
fn acls_are_validated_and_auth_expands_to_authenticated_ids() {
    let mut pipeline = Pipeline::new();
    let invalid = [
        vec![],
        vec![Acl::new(perms::ALL, Id::new("world", "nobody"))],
        vec![Acl::new(perms::ALL, Id::new("digest", "no-colon"))],
        vec![Acl::new(perms::ALL, Id::new("ip", "300.0.0.1"))],
        vec![Acl::new(perms::ALL, Id::new("super", ""))],
        // The connection has only an ip id, which is not an authenticated user.
        Acl::creator_all(),
    ];
    for acl in invalid {
        assert_eq!(
            pipeline.prepare(create_with_acl("/a", acl.clone())).txn,
            error(ErrorCode::InvalidAcl),
            "{acl:?}"
        );
    }
    let auth = [Id::new("ip", "10.0.0.1"), digest("alice:hash")];
    let acl = vec![
        Acl::new(perms::READ, Id::anyone()),
        Acl::new(perms::READ, Id::anyone()),
        Acl::new(perms::ALL, Id::auth_ids()),
    ];
    let prepared = pipeline.prepare_as(SESSION, &auth, create_with_acl("/a", acl));
    let Txn::Create(txn) = prepared.txn else {
        panic!("{prepared:?}")
    };
    assert_eq!(
        txn.acl,
        vec![
            Acl::new(perms::READ, Id::anyone()),
            Acl::new(perms::ALL, digest("alice:hash")),
        ]
    );
}

#[test]
fn acl_checks_deny_and_super_passes() {
    let mut pipeline = Pipeline::with_config(PrepareConfig {
        access: AccessControl {
            super_digest: Some("super:secret".into()),
            ..AccessControl::default()
        },
        ..PrepareConfig::default()
    });
    let alice = [Id::new("ip", "10.0.0.1"), digest("alice:hash")];
    let bob = [Id::new("ip", "10.0.0.2"), digest("bob:hash")];
    let acl = vec![
        Acl::new(perms::ALL, digest("alice:hash")),
        Acl::new(perms::READ | perms::CREATE, Id::new("ip", "10.0.0.0/24")),
    ];
    let prepared = pipeline.prepare_as(SESSION, &alice, create_with_acl("/private", acl));
    pipeline.apply(&prepared);
    // CREATE through the ip entry, but not WRITE, DELETE or ADMIN.
    assert_eq!(
        pipeline
            .prepare_as(SESSION, &bob, create("/private/x", 0))
            .error(),
        None
    );
    assert_eq!(
        pipeline
            .prepare_as(SESSION, &bob, set_data("/private", -1))
            .txn,
        error(ErrorCode::NoAuth)
    );
    let outsider = [Id::new("ip", "192.168.0.1")];
    assert_eq!(
        pipeline
            .prepare_as(SESSION, &outsider, create("/private/y", 0))
            .txn,
        error(ErrorCode::NoAuth)
    );
    assert_eq!(
        pipeline
            .prepare_as(SESSION, &outsider, delete("/private/x", -1))
            .txn,
        error(ErrorCode::NoAuth)
    );
    let by_digest = [digest("super:secret")];
    assert_eq!(
        pipeline
            .prepare_as(SESSION, &by_digest, set_data("/private", -1))
            .error(),
        None
    );
    let by_scheme = [Id::new("super", "")];
    assert_eq!(
        pipeline
            .prepare_as(SESSION, &by_scheme, set_data("/private", -1))
            .error(),
        None
    );
    // The config node is world-readable only.
    assert_eq!(
        pipeline.prepare(set_data("/zookeeper/config", -1)).txn,
        error(ErrorCode::NoAuth)
    );
}

#[test]
fn delete_checks_version_children_and_system_nodes() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/a", 0));
    pipeline.run(set_data("/a", -1));
    assert_eq!(
        pipeline.prepare(delete("/a", 0)).txn,
        error(ErrorCode::BadVersion)
    );
    let child = pipeline.prepare(create("/a/b", 0));
    assert_eq!(
        pipeline.prepare(delete("/a", 1)).txn,
        error(ErrorCode::NotEmpty)
    );
    pipeline.apply(&child);
    assert_eq!(pipeline.prepare(delete("/a/b", -1)).error(), None);
    // The child's delete is outstanding: the parent counts as empty already.
    assert_eq!(
        pipeline.prepare(delete("/a", 1)).txn,
        Txn::Delete(DeleteTxn { path: "/a".into() })
    );
    for path in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
        assert_eq!(
            pipeline.prepare(delete(path, -1)).txn,
            error(ErrorCode::BadArguments),
            "{path}"
        );
    }
    assert_eq!(
        pipeline.prepare(delete("nope", -1)).txn,
        error(ErrorCode::BadArguments)
    );
    assert_eq!(
        pipeline.prepare(delete("/nope", -1)).txn,
        error(ErrorCode::NoNode)
    );
}

#[test]
fn set_data_versions_follow_outstanding_set_data() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/a", 0));
    let first = pipeline.prepare(set_data("/a", 0));
    assert_eq!(
        first.txn,
        Txn::SetData(SetDataTxn {
            path: "/a".into(),
            data: Some(b"new".to_vec()),
            version: 1,
        })
    );
    // The tree still says version 0; the outstanding setData says 1.
    assert_eq!(
        pipeline.prepare(set_data("/a", 0)).txn,
        error(ErrorCode::BadVersion)
    );
    let second = pipeline.prepare(set_data("/a", 1));
    assert_eq!(second.header.txn_type, op_code::SET_DATA);
    let Txn::SetData(txn) = &second.txn else {
        panic!()
    };
    assert_eq!(txn.version, 2);
    pipeline.apply(&first);
    pipeline.apply(&second);
    assert_eq!(pipeline.tree.stat("/a").unwrap().version, 2);
    assert_eq!(pipeline.preparer.changes().len(), 0);
    assert_eq!(
        pipeline.prepare(set_data("/nope", -1)).txn,
        error(ErrorCode::NoNode)
    );
    assert_eq!(
        pipeline.prepare(set_data("/a/", -1)).txn,
        error(ErrorCode::BadArguments)
    );
}

#[test]
fn set_acl_carries_the_new_aversion_and_guards_later_requests() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/a", 0));
    let read_only = vec![Acl::new(perms::READ | perms::ADMIN, Id::anyone())];
    let prepared = pipeline.prepare(WriteRequest::SetAcl(SetAclRequest {
        path: "/a".into(),
        acl: read_only.clone(),
        version: 0,
    }));
    assert_eq!(
        prepared.txn,
        Txn::SetAcl(SetAclTxn {
            path: "/a".into(),
            acl: read_only,
            version: 1,
        })
    );
    // Not applied yet, but the new ACL already decides.
    assert_eq!(
        pipeline.prepare(set_data("/a", -1)).txn,
        error(ErrorCode::NoAuth)
    );
    assert_eq!(
        pipeline
            .prepare(WriteRequest::SetAcl(SetAclRequest {
                path: "/a".into(),
                acl: Acl::open_unsafe(),
                version: 0,
            }))
            .txn,
        error(ErrorCode::BadVersion)
    );
}

#[test]
fn check_carries_the_version_plus_one() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/a", 0));
    let check = |version| {
        WriteRequest::Check(CheckRequest {
            path: "/a".into(),
            version,
        })
    };
    assert_eq!(
        pipeline.prepare(check(0)).txn,
        Txn::CheckVersion(CheckVersionTxn {
            path: "/a".into(),
            version: 1,
        })
    );
    assert_eq!(pipeline.prepare(check(3)).txn, error(ErrorCode::BadVersion));
}

#[test]
fn failed_multi_reports_per_op_codes_and_rolls_back() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/y", 0));
    let multi = WriteRequest::Multi(vec![
        MultiOp::Create(create_request(CreateOp::Create, "/x", 0)),
        MultiOp::Create(create_request(CreateOp::Create, "/s-", 2)),
        MultiOp::SetData(SetDataRequest {
            path: "/missing".into(),
            data: Some(vec![]),
            version: -1,
        }),
        MultiOp::Delete(DeleteRequest {
            path: "/y".into(),
            version: -1,
        }),
    ]);
    let prepared = pipeline.prepare(multi);
    assert_eq!(prepared.header.txn_type, op_code::MULTI);
    assert_eq!(
        prepared.txn,
        Txn::Multi(vec![
            created("/x", 2, false),
            created("/s-0000000002", 3, false),
            error(ErrorCode::NoNode),
            error(ErrorCode::RuntimeInconsistency),
        ])
    );
    assert_eq!(
        prepared.multi_op_errors(),
        Some(vec![
            ErrorCode::Ok,
            ErrorCode::Ok,
            ErrorCode::NoNode,
            ErrorCode::RuntimeInconsistency,
        ])
    );
    assert_eq!(prepared.error(), Some(ErrorCode::NoNode));
    assert!(pipeline.preparer.changes().is_empty());
    // Nothing of the multi is left: /x is free and the sequence did not move.
    assert_eq!(
        pipeline.prepare(create("/x", 0)).txn,
        created("/x", 2, false)
    );
    let result = pipeline.apply(&prepared);
    let op_errors: Vec<ErrorCode> = result
        .multi_results
        .unwrap()
        .iter()
        .map(|op| op.err)
        .collect();
    assert_eq!(op_errors, prepared.multi_op_errors().unwrap());
    assert!(!pipeline.tree.contains("/x"));
    assert!(pipeline.tree.contains("/y"));
}

#[test]
fn multi_rollback_restores_records_of_earlier_requests() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/a", 0));
    // Outstanding before the multi: /a at version 1.
    assert_eq!(pipeline.prepare(set_data("/a", 0)).error(), None);
    let multi = WriteRequest::Multi(vec![
        MultiOp::SetData(SetDataRequest {
            path: "/a".into(),
            data: Some(vec![]),
            version: 1,
        }),
        MultiOp::Check(CheckRequest {
            path: "/a".into(),
            version: 7,
        }),
    ]);
    assert_eq!(
        pipeline.prepare(multi).multi_op_errors(),
        Some(vec![ErrorCode::Ok, ErrorCode::BadVersion])
    );
    // Version 1 again, not 2 (the multi's setData) and not 0 (the tree).
    assert_eq!(
        pipeline.prepare(set_data("/a", 2)).txn,
        error(ErrorCode::BadVersion)
    );
    assert_eq!(pipeline.prepare(set_data("/a", 1)).error(), None);
}

#[test]
fn successful_multi_ops_see_each_other() {
    let mut pipeline = Pipeline::new();
    let multi = WriteRequest::Multi(vec![
        MultiOp::Create(create_request(CreateOp::Create, "/m", 0)),
        MultiOp::Create(create_request(CreateOp::Create2, "/m/c", 0)),
        MultiOp::SetData(SetDataRequest {
            path: "/m".into(),
            data: Some(vec![]),
            version: 0,
        }),
        MultiOp::Check(CheckRequest {
            path: "/m".into(),
            version: 1,
        }),
    ]);
    let (prepared, result) = pipeline.run(multi);
    assert_eq!(prepared.multi_op_errors(), Some(vec![ErrorCode::Ok; 4]));
    assert_eq!(result.err, ErrorCode::Ok);
    assert_eq!(pipeline.tree.stat("/m").unwrap().version, 1);
    assert!(pipeline.tree.contains("/m/c"));
}

#[test]
fn close_session_deletes_committed_and_outstanding_ephemerals() {
    let mut pipeline = Pipeline::new();
    pipeline.run(create("/committed", 1));
    pipeline.run(create("/deleted", 1));
    pipeline.run(create("/persistent", 0));
    let other = pipeline.prepare_as(OTHER_SESSION, &[], create("/theirs", 1));
    pipeline.apply(&other);
    let outstanding_create = pipeline.prepare(create("/outstanding", 1));
    let outstanding_delete = pipeline.prepare(delete("/deleted", -1));
    let close = pipeline.prepare(WriteRequest::CloseSession);
    assert_eq!(
        close.txn,
        Txn::CloseSession(CloseSessionTxn {
            paths_to_delete: vec!["/committed".into(), "/outstanding".into()],
        })
    );
    assert_eq!(close.header.txn_type, op_code::CLOSE_SESSION);
    // Closing from now: further requests of the session fail.
    assert_eq!(
        pipeline.prepare(create("/late", 0)).txn,
        error(ErrorCode::SessionExpired)
    );
    assert_eq!(
        pipeline.prepare(create("/late", 1)).txn,
        error(ErrorCode::SessionExpired)
    );
    // The ephemerals are gone for later requests even before the close applies.
    assert_eq!(
        pipeline
            .prepare_as(OTHER_SESSION, &[], create("/outstanding", 0))
            .error(),
        None
    );
    for prepared in [&outstanding_create, &outstanding_delete, &close] {
        let result = pipeline.apply(prepared);
        assert_eq!(result.err, ErrorCode::Ok);
    }
    assert_eq!(pipeline.tree.ephemerals(SESSION), Vec::<String>::new());
    assert_eq!(
        pipeline.tree.ephemerals(OTHER_SESSION),
        vec!["/theirs".to_string()]
    );
    assert!(pipeline.tree.contains("/persistent"));
    assert!(!pipeline.sessions.contains(SESSION));
}

#[test]
fn create_session_tracks_the_session_and_reconfig_is_disabled() {
    let mut pipeline = Pipeline::new();
    let new_session = SessionId(0x0100_0000_0000_0042);
    let prepared = pipeline.prepare_as(
        new_session,
        &[],
        WriteRequest::CreateSession { timeout_ms: 4000 },
    );
    assert_eq!(
        prepared.txn,
        Txn::CreateSession(CreateSessionTxn { timeout_ms: 4000 })
    );
    assert_eq!(pipeline.sessions.get(new_session).unwrap().timeout_ms, 4000);
    assert_eq!(
        pipeline
            .prepare_as(new_session, &[], create("/n", 0))
            .error(),
        None
    );

    let reconfig = pipeline.prepare(WriteRequest::Reconfig(ReconfigRequest {
        joining_servers: None,
        leaving_servers: Some("3".into()),
        new_members: None,
        current_config_id: -1,
    }));
    assert_eq!(reconfig.txn, error(ErrorCode::ReconfigDisabled));
    assert_eq!(reconfig.header.txn_type, op_code::ERROR);
}

#[test]
fn delete_container_refuses_ephemerals_and_parents() {
    let mut pipeline = Pipeline::new();
    pipeline.run(WriteRequest::Create(create_request(
        CreateOp::CreateContainer,
        "/c",
        4,
    )));
    pipeline.run(create("/c/child", 0));
    pipeline.run(create("/e", 1));
    let delete_container = |path: &str| WriteRequest::DeleteContainer { path: path.into() };
    assert_eq!(
        pipeline.prepare(delete_container("/c")).txn,
        error(ErrorCode::NotEmpty)
    );
    assert_eq!(
        pipeline.prepare(delete_container("/e")).txn,
        error(ErrorCode::BadVersion)
    );
    assert_eq!(
        pipeline.prepare(delete_container("/none")).txn,
        error(ErrorCode::NoNode)
    );
    pipeline.run(delete("/c/child", -1));
    let (prepared, result) = pipeline.run(delete_container("/c"));
    assert_eq!(
        prepared.txn,
        Txn::DeleteContainer(DeleteTxn { path: "/c".into() })
    );
    assert_eq!(result.err, ErrorCode::Ok);
}

#[test]
fn reads_check_read_and_get_acl_redacts_without_admin() {
    let mut pipeline = Pipeline::new();
    let alice = [digest("alice:hash")];
    let acl = vec![
        Acl::new(perms::ALL, digest("alice:hash")),
        Acl::new(perms::READ, Id::new("ip", "127.0.0.1")),
    ];
    let prepared = pipeline.prepare_as(SESSION, &alice, create_with_acl("/r", acl.clone()));
    pipeline.apply(&prepared);
    let access = AccessControl::default();
    let local = [Id::new("ip", "127.0.0.1")];
    let remote = [Id::new("ip", "10.9.9.9")];
    let tree = &pipeline.tree;
    assert_eq!(
        check_read(tree, &access, &local, ReadOp::GetData, "/r"),
        Ok(())
    );
    assert_eq!(
        check_read(tree, &access, &remote, ReadOp::GetChildren, "/r"),
        Err(ErrorCode::NoAuth)
    );
    assert_eq!(
        check_read(tree, &access, &remote, ReadOp::Exists, "/r"),
        Ok(())
    );
    assert_eq!(
        check_read(tree, &access, &remote, ReadOp::Exists, "/none"),
        Ok(())
    );
    assert_eq!(
        check_read(tree, &access, &remote, ReadOp::GetData, "/none"),
        Err(ErrorCode::NoNode)
    );
    assert_eq!(
        get_acl(tree, &access, &remote, "/r").map(|(acl, _)| acl),
        Err(ErrorCode::NoAuth)
    );
    let (seen, _) = get_acl(tree, &access, &local, "/r").unwrap();
    assert_eq!(seen[0], Acl::new(perms::ALL, digest("alice:x")));
    assert_eq!(seen[1], acl[1]);
    let (seen, stat) = get_acl(tree, &access, &alice, "/r").unwrap();
    assert_eq!(seen, acl);
    assert_eq!(stat.aversion, 0);
}
