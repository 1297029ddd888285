//! Client-visible consistency: writes are linearizable, each client's writes and reads
//! together are sequentially consistent (reads may be stale, but never go back in a session and
//! always reflect the session's own writes), and a read after a `sync` is linearizable.
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

pub const SYNCED_READS_LINEARIZABLE: &str =
    "SyncedReadsLinearizable: a sync followed by a read is linearizable with the writes";

pub fn writes_linearizable(state: &ActorModelState<Node, History>) -> bool {
    state.history.writes.serialized_history().is_some()
}

pub fn operations_sequential(state: &ActorModelState<Node, History>) -> bool {
    state.history.operations.serialized_history().is_some()
}

/// ZooKeeper promises only that a read after `sync` is at least as new as the sync: "sync +
/// read" is how its users get a linearizable read (Programmer's Guide, "Consistency
/// Guarantees"), and etcd and Zabkeeper promise it outright. Empty (and so linearizable) in
/// configurations without synced reads.
pub fn synced_reads_linearizable(state: &ActorModelState<Node, History>) -> bool {
    state.history.synced.serialized_history().is_some()
}

/// Cheap validity (no serialisation search); used where full checks would be too slow.
pub fn histories_valid(state: &ActorModelState<Node, History>) -> bool {
    state.history.writes.is_consistent() && state.history.operations.is_consistent()
}
