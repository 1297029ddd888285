//! Leadership: at most one leader is established per epoch.
//!
//! Source: ZooKeeper's `Zab.tla`, invariants `Leadership1` and `Leadership2`; the Zab paper's
//! requirement that an epoch has a single primary (Junqueira, Reed, Serafini, DSN 2011, §III).
//! Checked on the live states and on the history of every UPTODATE ever sent, so that two
//! leaders of one epoch are caught even when they never coexist.

use crate::history::History;
use crate::model::servers;
use crate::system::{Node, NodeState};
use stateright::actor::{Actor, ActorModelState};
use std::collections::BTreeMap;
use zabkeeper_models::zab::StateMachine;

pub const NAME: &str = "Leadership: at most one established leader per epoch";
/// The part of [`NAME`] read off the live states alone, for models without a message history.
pub const LIVE_NAME: &str = "Leadership: at most one live established leader per epoch";

pub fn holds(state: &ActorModelState<Node, History>) -> bool {
    if state
        .history
        .leaders_by_epoch
        .values()
        .any(|leaders| leaders.len() > 1)
    {
        return false;
    }
    live_leaders_unique(state)
}

/// No two servers are established leaders of the same epoch in this state.
pub fn live_leaders_unique<A, M, S, H>(state: &ActorModelState<A, H>) -> bool
where
    A: Actor<State = NodeState<M, S>>,
    M: StateMachine,
{
    let mut leader_of_epoch = BTreeMap::new();
    for (index, server) in servers(state) {
        if let Some(epoch) = server.established_epoch() {
            if let Some(other) = leader_of_epoch.insert(epoch, index) {
                if other != index {
                    return false;
                }
            }
        }
    }
    true
}
