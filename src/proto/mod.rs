//! ZooKeeper's wire formats: the jute codec, client-protocol framing, every record of
//! `zookeeper.jute`, whole request and reply messages, logged txns, and conversions to the
//! protocol core's types. Everything here is pure: bytes in, values out, and back.

pub mod convert;
pub mod frame;
pub mod jute;
pub mod message;
pub mod opcode;
pub mod records;
pub mod txn_entry;

#[cfg(test)]
pub(crate) mod tests;
