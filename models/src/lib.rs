//! Zabkeeper's protocol core. Every protocol decision the server makes is made here, by pure
//! state machines: no IO, no async, no clock, no randomness. The model checker in `proofs/` and
//! the server in `src/` are two interpreters of the same code.

pub mod election;
pub mod error;
pub mod ids;
pub mod mutation;
pub mod recipes;
pub mod replica;
pub mod request;
pub mod session;
pub mod tree;
pub mod watch;
pub mod zab;

pub use error::ErrorCode;
pub use ids::{Epoch, ServerId, SessionId, Zxid};
