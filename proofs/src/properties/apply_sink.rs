//! ApplySink: the server's driver hears of every txn its peer applies, once and in zxid order,
//! and of each before any reply that depends on it. The driver replies to clients and fires
//! watches from these reports (`src/server/core`), so a txn missing from them is a reply never
//! sent or a watch never fired, and one reported out of order fires watches out of order.
//!
//! Source: the contract of `PeerMessage::Applied` (ZooKeeper's `FinalRequestProcessor` sees
//! every committed txn in zxid order and triggers its watches before answering).

use crate::system::NodeState;
use stateright::actor::{Actor, ActorModelState};
use zabkeeper_models::zab::StateMachine;

pub const NAME: &str =
    "ApplySink: every applied txn is reported to the driver once, in zxid order, before its reply";

pub fn holds<A, M, S, H>(state: &ActorModelState<A, H>) -> bool
where
    A: Actor<State = NodeState<M, S>>,
    M: StateMachine,
{
    state.actor_states.iter().all(|actor| {
        actor
            .driver()
            .is_none_or(|record| !record.sink_contract_broken)
    })
}
