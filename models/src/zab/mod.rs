//! ZAB, ZooKeeper's atomic broadcast, with Fast Leader Election in front of it: one peer actor
//! that is model-checked in `proofs/` and run by the server.

mod confirmation;
mod connect;
mod durable;
mod leader;
mod learner;
mod machine;
mod message;
mod peer;
mod persist;
mod revalidate;
mod role;
mod step;

pub use confirmation::{Confirmation, SyncWaiter};
pub use durable::{DurableState, Snapshot};
pub use machine::{Register, StateMachine};
pub use message::{NewLeader, PeerMessage, Proposal, SyncKind};
pub use peer::{
    id_of, server_of, Durable, ElectionMode, FailureDetection, Message, Payload, Peer, PeerState,
    PeerTimer, SessionClockModel,
};
pub use persist::{DiskImage, DiskStep, PersistPlan, PlanError};
pub use revalidate::Revalidations;
pub use role::{LeaderPhase, Leadership, Learner, LearnerLink, LearnerPhase, LinkPhase, Role};
pub use step::{Input, StepAnswer};

#[cfg(test)]
mod confirmation_tests;
#[cfg(test)]
mod durable_tests;
#[cfg(test)]
mod leader_tests;
#[cfg(test)]
mod learner_tests;
#[cfg(test)]
mod peer_tests;
#[cfg(test)]
mod persist_tests;
#[cfg(test)]
mod revalidate_tests;
#[cfg(test)]
mod tests;
