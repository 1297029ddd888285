//! A crashed server's volatile state, reduced to what can still matter.
//!
//! stateright keeps a crashed actor's last state until it recovers, and nothing but the
//! properties reads it meanwhile: a delivery to a crashed actor is no transition, its timers
//! and random choices are cleared when it crashes, and recovery builds a new state from the
//! storage alone (`Actor::on_start`). The properties read a crashed server's durable state,
//! its commit point (what it delivered), whether it is an established leader and of which
//! epoch, and whether its driver saw the apply sink's contract broken (`properties/`: every
//! reader goes through `model::servers` and `PeerState::{durable, delivered,
//! established_epoch}`, or `NodeState::driver`). The boundary reads its election round, which
//! was within bounds when it crashed and cannot change until it restarts. So two states that
//! differ only in the rest of a crashed server's volatile state satisfy the same properties and
//! have the same futures, up to that same difference, until the restart erases it.

use crate::driver::DriverRecord;
use crate::history::History;
use crate::system::{Node, NodeState, ValueRegister};
use stateright::actor::ActorModelState;
use std::sync::Arc;
use zabkeeper_models::election::Vote;
use zabkeeper_models::session::handshake::SessionIds;
use zabkeeper_models::zab::{LeaderPhase, Leadership, PeerState, Role};
use zabkeeper_models::{Epoch, ServerId, Zxid};

/// Replaces every crashed server's state by the one state that keeps only what the properties
/// read of it.
pub fn forget_volatile_state(state: &mut ActorModelState<Node, History>) {
    for (index, crashed) in state.crashed.iter().enumerate() {
        if !crashed {
            continue;
        }
        if let NodeState::Server(peer, record, persisting) = state.actor_states[index].as_ref() {
            let me = ServerId(index as u64);
            // The persist a crash interrupted stays: the mid-persist witness reads it.
            let remembered = NodeState::Server(
                remembered(peer, me),
                remembered_record(record),
                persisting.clone(),
            );
            if remembered != *state.actor_states[index] {
                state.actor_states[index] = Arc::new(remembered);
            }
        }
    }
}

/// The durable state, the commit point with what it applied, and an established leadership's
/// epoch; everything else as a freshly built peer has it.
fn remembered(peer: &PeerState<ValueRegister>, me: ServerId) -> PeerState<ValueRegister> {
    let fresh = PeerState::recovered(
        me,
        peer.durable.clone(),
        peer.committed_through,
        peer.applied.clone(),
    );
    let remembered = match peer.established_epoch() {
        Some(epoch) => {
            let vote = Vote {
                peer_epoch: Epoch::ZERO,
                zxid: Zxid::ZERO,
                leader: me,
            };
            let leadership = Leadership {
                phase: LeaderPhase::Broadcast,
                epoch: Some(epoch),
                ..Leadership::elected(vote, 0)
            };
            PeerState {
                role: Role::Leading(leadership),
                ..fresh
            }
        }
        None => fresh,
    };
    debug_assert_eq!(remembered.delivered(), peer.delivered());
    debug_assert_eq!(remembered.established_epoch(), peer.established_epoch());
    remembered
}

/// The driver's record: a restart starts a new one (its watches gone with the connections that
/// left them, and those connections with it), and the properties read only whether the sink's contract broke.
fn remembered_record<Held>(record: &DriverRecord<Held>) -> DriverRecord<Held> {
    let DriverRecord {
        sink_contract_broken,
        disconnects: _,
        unnoticed_closes: _,
        clients,
        held_handshakes: _,
        session_ids: _,
        closed: _,
    } = record;
    DriverRecord {
        sink_contract_broken: *sink_contract_broken,
        disconnects: 0,
        unnoticed_closes: Vec::new(),
        clients: clients.cleared(),
        held_handshakes: Vec::new(),
        session_ids: SessionIds::default(),
        closed: Vec::new(),
    }
}
