//! Integrity: a server delivers only txns that a client asked for, each at most once.
//!
//! Source: `Zab.tla` invariant `Integrity` (a delivered txn was broadcast by some leader, which
//! in turn only broadcasts what clients submitted); the Zab paper's Integrity property (§III).

use crate::history::History;
use crate::model::{delivered_from_first, servers, ZabConfig};
use crate::system::Node;
use stateright::actor::ActorModelState;
use std::collections::BTreeSet;

pub const NAME: &str = "Integrity: only client writes are delivered, each once";

pub fn holds(config: &ZabConfig, state: &ActorModelState<Node, History>) -> bool {
    // Txns on a preset disk were client writes of an earlier epoch.
    let written: BTreeSet<_> = config
        .clients
        .iter()
        .flat_map(|client| client.writes.iter().copied())
        .chain(
            config
                .initial_disks
                .iter()
                .flatten()
                .flat_map(|disk| disk.history.iter().map(|proposal| proposal.payload)),
        )
        .collect();
    servers(state).all(|(_, server)| {
        let mut seen = BTreeSet::new();
        delivered_from_first(server)
            .iter()
            .all(|proposal| written.contains(&proposal.payload) && seen.insert(proposal.payload))
    })
}
