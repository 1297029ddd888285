//! The DataTree against a deliberately simple reference model: a flat map from path to node in
//! which children, child counts, ephemeral owners and client stats are recomputed by scanning
//! the whole map every time. Random op sequences (creates of every kind, deletes, setData and
//! setACL with right and wrong versions, multis, session closes, and re-applied txns as after a
//! fuzzy snapshot) are prepared into txns the way a leader would, then applied to both; results,
//! events and the whole visible state must agree at every step.

#[path = "support/tree_model.rs"]
mod tree_model;

use proptest::prelude::*;
use tree_model::*;

fn create_kind() -> impl Strategy<Value = CreateKind> {
    prop_oneof![
        3 => Just(CreateKind::Persistent),
        2 => Just(CreateKind::Ephemeral),
        1 => Just(CreateKind::Container),
        1 => Just(CreateKind::Ttl),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (0..PATHS.len()).prop_map(Target::Fixed),
        any::<usize>().prop_map(Target::Existing),
    ]
}

fn single_op(set_acl_weight: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..PATHS.len(), create_kind(), any::<bool>(), 0..3u8)
            .prop_map(|(path, kind, create2, data)| Op::Create { path, kind, create2, data }),
        2 => (0..SEQUENTIAL_PARENTS.len(), create_kind())
            .prop_map(|(parent, kind)| Op::CreateSequential { parent, kind }),
        4 => (target(), proptest::option::of(any::<bool>()))
            .prop_map(|(target, right_version)| Op::Delete { target, right_version }),
        3 => (target(), proptest::option::of(any::<bool>()), 0..3u8)
            .prop_map(|(target, right_version, data)| Op::SetData { target, right_version, data }),
        set_acl_weight => (target(), proptest::option::of(any::<bool>()))
            .prop_map(|(target, right_version)| Op::SetAcl { target, right_version }),
        1 => (target(), any::<bool>()).prop_map(|(target, right_version)| Op::Check { target, right_version }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        14 => single_op(1),
        3 => // ZooKeeper's multi has no setACL op.
        proptest::collection::vec(single_op(0), 1..5).prop_map(Op::Multi),
        1 => Just(Op::CloseSession),
        1 => Just(Op::CreateSession),
        1 => Just(Op::ReplayPrevious),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn data_tree_matches_reference(steps in proptest::collection::vec((op(), 1..=3i64), 1..60)) {
        run_steps(&steps);
    }
}
