//! Client-visible consistency: writes are linearizable, and each client's writes and reads
//! together are sequentially consistent (reads may be stale, but never go back in a session and
//! always reflect the session's own writes).
//!
//! Source: ZooKeeper's documented guarantees ("Linearizable writes", "FIFO client order",
//! "Sequential Consistency"), ZooKeeper Programmer's Guide, "ZooKeeper Guarantees".

use crate::history::History;
use crate::system::Node;
use stateright::actor::ActorModelState;
use stateright::semantics::ConsistencyTester;

pub const LINEARIZABLE_WRITES: &str = "LinearizableWrites: client writes are linearizable";
pub const SEQUENTIAL_READS: &str =
    "SequentialConsistency: client operations are sequentially consistent";

pub fn writes_linearizable(state: &ActorModelState<Node, History>) -> bool {
    state.history.writes.serialized_history().is_some()
}

pub fn operations_sequential(state: &ActorModelState<Node, History>) -> bool {
    state.history.operations.serialized_history().is_some()
}

/// Cheap validity (no serialisation search); used where full checks would be too slow.
pub fn histories_valid(state: &ActorModelState<Node, History>) -> bool {
    state.history.writes.is_consistent() && state.history.operations.is_consistent()
}
