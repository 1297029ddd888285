//! The applied state is the delivered history applied in order: what a server serves reads
//! from (its tree) is exactly `apply` folded over the txns it delivered, across commits,
//! truncations, snapshots and restarts.
//!
//! Source: ZooKeeper's state machine replication contract (the Zab paper, §II: replicas apply
//! the delivered sequence in order) and `Zab.tla`'s `ProcessConsistency`. A peer that skipped a
//! rebuild after TRUNC or SNAP, or applied a txn twice, breaks it.

use crate::model::servers;
use crate::system::{Node, NodeState};
use stateright::actor::{Actor, ActorModelState};
use zabkeeper_models::zab::StateMachine;

pub const NAME: &str = "AppliedState: a server's state is its delivered txns applied in order";

pub fn holds<M, C, H>(actors: &[Node<M, C>], state: &ActorModelState<Node<M, C>, H>) -> bool
where
    M: StateMachine,
    Node<M, C>: Actor<State = NodeState<M, C::State>>,
    C: Actor,
{
    servers(state).all(|(index, server)| {
        let Node::Server(peer, ..) = &actors[index] else {
            unreachable!("servers() yields servers only");
        };
        // The fold starts where the history does: at the snapshot, if the server has one.
        let mut applied = match &server.durable.snapshot {
            Some(snapshot) => snapshot.applied.clone(),
            None => peer.machine.initial(),
        };
        for proposal in server.delivered() {
            peer.machine.apply(&mut applied, proposal);
        }
        applied == server.applied
    })
}
