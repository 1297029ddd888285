//! `Sometimes` properties: the interesting states the model must reach, so that the safety
//! properties are not vacuously true of a model that never elects or commits anything.

use crate::client::ClientState;
use crate::cluster::in_flight;
use crate::history::History;
use crate::model::{disk_holds, servers};
use crate::register::RegisterOperation;
use crate::system::{Node, NodeState};
use stateright::actor::ActorModelState;
use zabkeeper_models::zab::{PeerMessage, Proposal, SyncKind};

pub const LEADER_ESTABLISHED: &str = "a leader is established";
pub const WRITE_COMMITTED: &str = "a client write commits";
pub const FAILOVER_KEEPS_WRITES: &str =
    "a restarted ensemble establishes a new leader holding every acknowledged write";
pub const SYNCED_BY_DIFF: &str = "a learner is synced by DIFF";
pub const SYNCED_BY_TRUNC: &str = "a learner is synced by TRUNC";
pub const SYNCED_BY_SNAP: &str = "a learner is synced by SNAP";

pub const SYNCED_READ_ANSWERED: &str = "a read after a sync is answered";
pub const RECONNECT_REFUSED: &str =
    "a server refuses a reconnecting client that has seen a txn it has not applied";
pub const MOVED_READ_ANSWERED: &str =
    "a client that moved its session to another server reads there";
pub const CRASHED_MID_PERSIST: &str = "a server crashed between two disk steps of a persist";
pub const REFUSED_TO_START: &str =
    "a crash between persist steps left a disk the server refuses to start from";

/// A crashed server keeps its last state in the model: one with a persist under way, some of
/// its steps done, crashed between two of them.
pub fn crashed_mid_persist(state: &ActorModelState<Node, History>) -> bool {
    state
        .actor_states
        .iter()
        .zip(&state.crashed)
        .any(|(actor, crashed)| {
            *crashed
                && matches!(&**actor, NodeState::Server(_, _, Some(persisting))
                    if persisting.completed_steps() > 0)
        })
}

/// The client states of the model's clients that moved their session (`connected` is only
/// ever set by a reconnecting client).
fn moved_clients(state: &ActorModelState<Node, History>) -> impl Iterator<Item = &ClientState> {
    state
        .actor_states
        .iter()
        .filter_map(|actor| match &**actor {
            NodeState::Client(client) if client.connected.is_some() => Some(client),
            _ => None,
        })
}

pub fn reconnect_refused(state: &ActorModelState<Node, History>) -> bool {
    moved_clients(state).any(|client| client.connected == Some(false))
}

/// Let in, and the read answered: the client went past its last operation.
pub fn moved_read_answered(state: &ActorModelState<Node, History>) -> bool {
    moved_clients(state).any(|client| client.connected == Some(true) && !client.awaiting_reply)
}

pub fn refused_to_start(state: &ActorModelState<Node, History>) -> bool {
    state
        .actor_states
        .iter()
        .any(|actor| matches!(**actor, NodeState::Refused(_)))
}

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
    sync_in_flight(state, SyncKind::Diff)
}

pub fn synced_by_trunc(state: &ActorModelState<Node, History>) -> bool {
    sync_in_flight(state, SyncKind::Trunc)
}

pub fn synced_by_snap(state: &ActorModelState<Node, History>) -> bool {
    sync_in_flight(state, SyncKind::Snap)
}

/// A leader's synchronisation of `kind` that moves data (a DIFF with txns, any TRUNC or SNAP)
/// is on its way to a learner. Read off the network rather than remembered in the history:
/// every send puts its message on the network in the state right after the step, and the
/// checker evaluates `Sometimes` properties on every state it visits, so each such sync is
/// seen there, without a history field splitting the states that follow.
fn sync_in_flight(state: &ActorModelState<Node, History>, kind: SyncKind) -> bool {
    in_flight(&state.network).any(|(_, _, _, message)| match message {
        PeerMessage::NewLeader(new_leader) => {
            new_leader.kind == kind && (kind != SyncKind::Diff || !new_leader.proposals.is_empty())
        }
        _ => false,
    })
}
