//! Model checks of Zabkeeper's protocol core. The actors checked here are the production
//! `zabkeeper_models` state machines; this crate adds model clients, the auxiliary history, the
//! properties and the bounds. See README.md for what each configuration covers.

pub mod acyclic;
pub mod check;
pub mod client;
pub mod cluster;
#[cfg(test)]
mod cluster_tests;
pub mod driver;
pub mod election_model;
pub mod history;
pub mod model;
pub mod persisting;
pub mod properties;
pub mod recipes;
pub mod reduction;
pub mod register;
pub mod scenario;
pub mod sessions;
pub mod simulation;
pub mod system;
