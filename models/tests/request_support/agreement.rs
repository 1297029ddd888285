//! The agreement of prep and apply over a sequence of actions, shared by the proptest in
//! `tests/request_agreement.rs` and the `request_preparation` fuzz target (which includes this
//! file and `mod.rs` beside it).

#![allow(dead_code)]

use super::{Pipeline, OTHER_SESSION, SESSION};
use std::collections::VecDeque;
use zabkeeper_models::error::ErrorCode;
use zabkeeper_models::ids::SessionId;
use zabkeeper_models::request::{AccessControl, PrepareConfig, Prepared, WriteRequest};
use zabkeeper_models::tree::{EphemeralType, Id};

pub const THIRD_SESSION: SessionId = SessionId(0x0100_0000_0000_0003);

#[derive(Clone, Debug)]
pub enum Action {
    Prepare {
        session: usize,
        digest_user: bool,
        request: WriteRequest,
    },
    ApplyOldest,
}

fn apply_and_compare(pipeline: &mut Pipeline, prepared: &Prepared) {
    let result = pipeline.apply(prepared);
    match prepared.multi_op_errors() {
        Some(op_errors) => {
            let applied: Vec<ErrorCode> = result
                .multi_results
                .as_ref()
                .expect("a multi has per-op results")
                .iter()
                .map(|op| op.err)
                .collect();
            assert_eq!(applied, op_errors, "{prepared:?}");
        }
        None => assert_eq!(
            result.err,
            prepared.error().unwrap_or(ErrorCode::Ok),
            "{prepared:?}"
        ),
    }
}

/// Prepares and applies `actions` (requests from three sessions, applies of the oldest txn in
/// flight at any moment, the rest applied at the end), asserting that every txn applies with
/// exactly the outcome prep decided and that the tree keeps prep's rules.
pub fn run_actions(actions: Vec<Action>) {
    let mut pipeline = Pipeline::with_config(PrepareConfig {
        access: AccessControl::default(),
        extended_types_enabled: true,
    });
    let mut in_flight: VecDeque<Prepared> = VecDeque::new();
    for action in actions {
        match action {
            Action::Prepare {
                session,
                digest_user,
                request,
            } => {
                let session = [SESSION, OTHER_SESSION, THIRD_SESSION][session % 3];
                let mut auth = vec![Id::new("ip", "127.0.0.1")];
                if digest_user {
                    auth.push(Id::new("digest", "user:hash"));
                }
                in_flight.push_back(pipeline.prepare_as(session, &auth, request));
            }
            Action::ApplyOldest => {
                if let Some(prepared) = in_flight.pop_front() {
                    apply_and_compare(&mut pipeline, &prepared);
                }
            }
        }
    }
    while let Some(prepared) = in_flight.pop_front() {
        apply_and_compare(&mut pipeline, &prepared);
    }
    assert!(pipeline.preparer.changes().is_empty());
    pipeline.tree.assert_consistent();
    // Prep's rules the tree does not check at apply time.
    for (path, node) in pipeline.tree.iter() {
        let owner = EphemeralType::of(node.persisted_stat.ephemeral_owner);
        if let EphemeralType::Normal(_) = owner {
            assert!(node.children.is_empty(), "ephemeral {path} has children");
        }
    }
}
