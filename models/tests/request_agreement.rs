//! Prep and apply agree: random request sequences, prepared against the tree plus outstanding
//! changes and applied in zxid order at random moments, never make `apply` panic, and every txn
//! applies with exactly the outcome prep decided (Ok for a prepared change, the prep error for
//! an Error txn, per op for multis).

mod request_support;

use proptest::prelude::*;
use request_support::agreement::{run_actions, Action};
use zabkeeper_models::request::{
    CheckRequest, CreateOp, CreateRequest, DeleteRequest, MultiOp, SetAclRequest, SetDataRequest,
    WriteRequest,
};
use zabkeeper_models::tree::{perms, Acl, Id};

const PATHS: [&str; 6] = ["/a", "/a/b", "/a/b/c", "/b", "/a/s-", "/zookeeper/x"];
fn path() -> impl Strategy<Value = String> {
    prop::sample::select(PATHS.to_vec()).prop_map(str::to_string)
}

fn acl() -> impl Strategy<Value = Vec<Acl>> {
    prop_oneof![
        4 => Just(Acl::open_unsafe()),
        1 => Just(Acl::read_unsafe()),
        1 => Just(Acl::creator_all()),
        1 => Just(vec![Acl::new(perms::CREATE | perms::DELETE, Id::new("ip", "127.0.0.0/8"))]),
    ]
}

fn version() -> impl Strategy<Value = i32> {
    prop_oneof![3 => Just(-1), 1 => 0..3]
}

fn create() -> impl Strategy<Value = CreateRequest> {
    let op = prop_oneof![
        4 => Just(CreateOp::Create),
        2 => Just(CreateOp::Create2),
        1 => Just(CreateOp::CreateContainer),
        1 => prop_oneof![Just(-1i64), Just(0), Just(1000)]
            .prop_map(|ttl_ms| CreateOp::CreateTtl { ttl_ms }),
    ];
    (op, path(), acl(), 0..8).prop_map(|(op, path, acl, flags)| CreateRequest {
        op,
        path,
        data: Some(vec![1]),
        acl,
        flags,
    })
}

fn multi_op() -> impl Strategy<Value = MultiOp> {
    prop_oneof![
        create().prop_map(MultiOp::Create),
        (path(), version())
            .prop_map(|(path, version)| MultiOp::Delete(DeleteRequest { path, version })),
        (path(), version()).prop_map(|(path, version)| MultiOp::SetData(SetDataRequest {
            path,
            data: Some(vec![2]),
            version,
        })),
        (path(), version())
            .prop_map(|(path, version)| MultiOp::Check(CheckRequest { path, version })),
    ]
}

fn request() -> impl Strategy<Value = WriteRequest> {
    prop_oneof![
        6 => create().prop_map(WriteRequest::Create),
        3 => (path(), version())
            .prop_map(|(path, version)| WriteRequest::Delete(DeleteRequest { path, version })),
        1 => path().prop_map(|path| WriteRequest::DeleteContainer { path }),
        3 => (path(), version()).prop_map(|(path, version)| {
            WriteRequest::SetData(SetDataRequest {
                path,
                data: Some(vec![3]),
                version,
            })
        }),
        1 => (path(), acl(), version()).prop_map(|(path, acl, version)| {
            WriteRequest::SetAcl(SetAclRequest { path, acl, version })
        }),
        1 => (path(), version())
            .prop_map(|(path, version)| WriteRequest::Check(CheckRequest { path, version })),
        3 => prop::collection::vec(multi_op(), 0..4).prop_map(WriteRequest::Multi),
        1 => Just(WriteRequest::CloseSession),
        1 => (1..50_000).prop_map(|timeout_ms| WriteRequest::CreateSession { timeout_ms }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..3usize, any::<bool>(), request()).prop_map(|(session, digest_user, request)| {
            Action::Prepare {
                session,
                digest_user,
                request,
            }
        }),
        2 => Just(Action::ApplyOldest),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn prepared_txns_apply_as_prepared(actions in prop::collection::vec(action(), 1..60)) {
        run_actions(actions);
    }
}
