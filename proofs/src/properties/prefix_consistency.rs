//! PrefixConsistency (Agreement, TotalOrder): the txn sequences any two servers delivered are
//! prefixes of one another, so no two servers deliver different txns at the same position.
//!
//! Source: `Zab.tla` invariants `PrefixConsistency`, `Agreement` and `TotalOrder`; the Zab
//! paper's Agreement and Total order properties (§III).

use crate::history::History;
use crate::model::servers;
use crate::system::Node;
use stateright::actor::ActorModelState;

pub const NAME: &str = "PrefixConsistency: delivered sequences are prefixes of each other";

pub fn holds(state: &ActorModelState<Node, History>) -> bool {
    let delivered: Vec<_> = servers(state)
        .map(|(_, server)| server.delivered())
        .collect();
    delivered.iter().enumerate().all(|(index, left)| {
        delivered[index + 1..].iter().all(|right| {
            let shared = left.len().min(right.len());
            left[..shared] == right[..shared]
        })
    })
}
