//! Leadership: at most one leader is established per epoch.
//!
//! Source: ZooKeeper's `Zab.tla`, invariants `Leadership1` and `Leadership2`; the Zab paper's
//! requirement that an epoch has a single primary (Junqueira, Reed, Serafini, DSN 2011, §III).
//! Checked on the live states and on the history of every UPTODATE ever sent, so that two
//! leaders of one epoch are caught even when they never coexist.

use crate::history::History;
use crate::model::servers;
use crate::system::Node;
use stateright::actor::ActorModelState;
use std::collections::BTreeMap;

pub const NAME: &str = "Leadership: at most one established leader per epoch";

pub fn holds(state: &ActorModelState<Node, History>) -> bool {
    if state
        .history
        .leaders_by_epoch
        .values()
        .any(|leaders| leaders.len() > 1)
    {
        return false;
    }
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
