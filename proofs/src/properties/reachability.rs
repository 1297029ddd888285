//! `Sometimes` properties: the interesting states the model must reach, so that the safety
//! properties are not vacuously true of a model that never elects or commits anything.

use crate::history::History;
use crate::model::{disk_holds, servers};
use crate::register::RegisterOperation;
use crate::system::Node;
use stateright::actor::ActorModelState;
use zabkeeper_models::zab::{Proposal, SyncKind};

pub const LEADER_ESTABLISHED: &str = "a leader is established";
pub const WRITE_COMMITTED: &str = "a client write commits";
pub const FAILOVER_KEEPS_WRITES: &str =
    "a restarted ensemble establishes a new leader holding every acknowledged write";
pub const SYNCED_BY_DIFF: &str = "a learner is synced by DIFF";
pub const SYNCED_BY_TRUNC: &str = "a learner is synced by TRUNC";
pub const SYNCED_BY_SNAP: &str = "a learner is synced by SNAP";

pub const SYNCED_READ_ANSWERED: &str = "a read after a sync is answered";

pub fn synced_read_answered(state: &ActorModelState<Node, History>) -> bool {
    state
        .history
        .synced
        .serialized_history()
        .is_some_and(|operations| {
            operations
                .iter()
                .any(|(operation, _)| *operation == RegisterOperation::Read)
        })
}

pub fn leader_established(state: &ActorModelState<Node, History>) -> bool {
    servers(state).any(|(_, server)| server.established_epoch().is_some())
}

pub fn write_committed(state: &ActorModelState<Node, History>) -> bool {
    !state.history.acknowledged_writes.is_empty()
}

pub fn failover_keeps_writes(state: &ActorModelState<Node, History>) -> bool {
    let restarted = servers(state).any(|(_, server)| server.durable.incarnation > 1);
    restarted
        && servers(state).any(|(_, server)| {
            let Some(epoch) = server.established_epoch() else {
                return false;
            };
            !state.history.acknowledged_writes.is_empty()
                && state
                    .history
                    .acknowledged_writes
                    .iter()
                    .all(|(value, zxid)| {
                        zxid.epoch() < epoch
                            && disk_holds(
                                &server.durable,
                                &Proposal {
                                    zxid: *zxid,
                                    payload: *value,
                                },
                            )
                    })
        })
}

pub fn synced_by_diff(state: &ActorModelState<Node, History>) -> bool {
    state.history.syncs.contains(&SyncKind::Diff)
}

pub fn synced_by_trunc(state: &ActorModelState<Node, History>) -> bool {
    state.history.syncs.contains(&SyncKind::Trunc)
}

pub fn synced_by_snap(state: &ActorModelState<Node, History>) -> bool {
    state.history.syncs.contains(&SyncKind::Snap)
}
