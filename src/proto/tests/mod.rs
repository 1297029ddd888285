//! Tests across the codec and the records: round trips of every record (proptest) and byte
//! vectors captured from Apache ZooKeeper 3.8 (`tests/vectors/`).

mod convert;
mod round_trips;
pub(crate) mod strategies;
mod txn_entry;
mod vectors;
