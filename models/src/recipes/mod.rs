//! ZooKeeper's coordination recipes as pure state machines. Each machine turns what a client
//! hears from ZooKeeper ([`Input`]) into the next requests it makes ([`Operation`]); the client
//! library in `src/client` performs them on a real connection, and `proofs/` performs them on
//! a model server built from the core's DataTree, sessions and watches, and checks every
//! interleaving.
//!
//! - [`lock`]: the decision of the fair locks (who holds, whom a waiter watches) on kazoo's and
//!   Curator's node names.
//! - [`fair_lock`]: the fair exclusive lock, the read-write lock's two sides, the leader latch
//!   and the leader selector's rounds.
//! - [`single_node_lock`]: the unfair lock and election on one ephemeral node, to compare.
//! - [`barrier`]: the double barrier (enter together, leave together).
//! - [`group`]: group membership, the core of a service registry.
//! - [`actor`]: a recipe client as a stateright actor, for the checker.
//!
//! The fencing limit: a machine holds the lock as far as it has heard. A client whose session
//! expired (a long pause, a partition) still believes it holds the lock until it hears so, while
//! ZooKeeper has already deleted its node and handed the lock on. Resources the lock protects
//! must check a fencing token: the holder's sequence ([`fair_lock::FairLock::sequence`]) or its
//! node's czxid, which grow with every holder, so a resource that remembers the largest token
//! it saw can refuse a stale holder's writes.

pub mod actor;
pub mod barrier;
pub mod fair_lock;
pub mod group;
pub mod lock;
pub mod operation;
pub mod single_node_lock;

pub use operation::{Input, LockStatus, Operation};

/// Seeded bugs in the recipes. Only `proofs/` turns them on, to show that each recipe property
/// can fail; the library always runs with [`RecipeMutations::NONE`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecipeMutations {
    /// A waiter whose watched node goes holds the lock without listing again, though that node
    /// may have been another waiter whose session expired (breaks mutual exclusion).
    pub hold_when_blocker_gone: bool,
    /// Contenders queue by their whole name instead of the sequence, so a unique-id prefix
    /// decides the order (breaks acquisition order; mixing kazoo and Curator names does this).
    pub order_by_name: bool,
    /// A reader compares itself only with its immediate predecessor, so a reader behind a
    /// waiting reader holds while a writer still holds (breaks read-write exclusion).
    pub reader_checks_only_predecessor: bool,
    /// Every waiter watches the directory's children instead of one node (the herd effect).
    pub watch_the_directory: bool,
    /// A waiter whose blocker is already gone when it asks for the watch waits anyway, for a
    /// deletion that will never be reported (breaks progress).
    pub wait_for_vanished_blocker: bool,
    /// A barrier member goes in as soon as its own node exists, without counting the others.
    pub enter_on_arrival: bool,
    /// A barrier member leaves without waiting for the others to start leaving.
    pub leave_at_once: bool,
    /// A group member lists the group again without setting a new watch.
    pub forget_to_watch_again: bool,
}

impl RecipeMutations {
    pub const NONE: RecipeMutations = RecipeMutations {
        hold_when_blocker_gone: false,
        order_by_name: false,
        reader_checks_only_predecessor: false,
        watch_the_directory: false,
        wait_for_vanished_blocker: false,
        enter_on_arrival: false,
        leave_at_once: false,
        forget_to_watch_again: false,
    };
}
