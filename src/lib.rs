//! Zabkeeper: a ZooKeeper-compatible coordination service whose protocol core is model-checked.
//! The protocol lives in [`zabkeeper_models`]; this crate drives it with sockets, disks and
//! clocks.

pub use zabkeeper_models as models;

pub mod bench;
pub mod client;
pub mod config;
pub mod proto;
pub mod quorum;
pub mod server;
pub mod status;
pub mod storage;
