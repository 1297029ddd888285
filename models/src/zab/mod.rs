//! ZAB, ZooKeeper's atomic broadcast, with Fast Leader Election in front of it: one peer actor
//! that is model-checked in `proofs/` and run by the server.

mod durable;
mod leader;
mod learner;
mod message;
mod peer;
mod role;

pub use durable::DurableState;
pub use message::{NewLeader, PeerMessage, Proposal, SyncKind};
pub use peer::{
    id_of, server_of, ElectionMode, FailureDetection, Payload, Peer, PeerState, PeerTimer,
};
pub use role::{LeaderPhase, Leadership, Learner, LearnerLink, LearnerPhase, LinkPhase, Role};

#[cfg(test)]
mod tests;
