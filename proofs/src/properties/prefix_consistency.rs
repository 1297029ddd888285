//! PrefixConsistency (Agreement, TotalOrder): the txn sequences any two servers delivered are
//! prefixes of one another, so no two servers deliver different txns at the same position.
//!
//! A server that starts from a snapshot delivered the snapshot's txns without holding them:
//! its sequence is compared from the snapshot's position on, and the snapshot's last zxid must
//! be what the others delivered at that position.
//!
//! Source: `Zab.tla` invariants `PrefixConsistency`, `Agreement` and `TotalOrder`; the Zab
//! paper's Agreement and Total order properties (§III).

use crate::model::servers;
use crate::system::NodeState;
use stateright::actor::{Actor, ActorModelState};
use zabkeeper_models::zab::StateMachine;

pub const NAME: &str = "PrefixConsistency: delivered sequences are prefixes of each other";

pub fn holds<A, M, S, H>(state: &ActorModelState<A, H>) -> bool
where
    A: Actor<State = NodeState<M, S>>,
    M: StateMachine,
{
    // (position of the first txn held, the snapshot's last zxid, the txns held).
    let delivered: Vec<_> = servers(state)
        .map(|(_, server)| {
            let durable = &server.durable;
            let offset = durable.base_txn_count() as usize;
            (
                offset,
                durable.snapshot.as_ref().map(|s| s.zxid),
                server.delivered(),
            )
        })
        .collect();
    let zxid_at =
        |(offset, base, held): &(usize, Option<_>, &[zabkeeper_models::zab::Proposal<M::Txn>]),
         position: usize| {
            if position + 1 == *offset {
                *base
            } else {
                position
                    .checked_sub(*offset)
                    .and_then(|index| held.get(index))
                    .map(|proposal| proposal.zxid)
            }
        };
    delivered.iter().enumerate().all(|(index, left)| {
        delivered[index + 1..].iter().all(|right| {
            let (left_offset, _, left_held) = left;
            let (right_offset, _, right_held) = right;
            let start = (*left_offset).max(*right_offset);
            let end = (left_offset + left_held.len()).min(right_offset + right_held.len());
            let txns_agree = (start..end).all(|position| {
                left_held[position - left_offset] == right_held[position - right_offset]
            });
            // Where one side's snapshot ends, the other delivered the same zxid (if it got
            // that far).
            let bases_agree = [left, right].iter().all(|side| {
                let (offset, base, _) = side;
                let Some(base) = base else { return true };
                let position = offset - 1;
                [left, right]
                    .iter()
                    .filter_map(|other| zxid_at(other, position))
                    .all(|zxid| zxid == *base)
            });
            txns_agree && bases_agree
        })
    })
}
