//! Coordination recipes for Rust programs, on the `zookeeper-client` crate's connection: the
//! fair [`Lock`] and [`ReadWriteLock`], the [`LeaderLatch`] and [`LeaderSelector`], the
//! [`SingleNodeLock`], the [`DoubleBarrier`] and [`GroupMember`] (with [`instances`] for a
//! service registry). Every decision is made by the model-checked machines of
//! `zabkeeper_models::recipes` (`proofs/tests/recipes.rs` checks them); this module only
//! performs the ZooKeeper requests they ask for. They work against any ZooKeeper 3.5+ server,
//! Zabkeeper or Apache ZooKeeper, and share locks with kazoo's `Lock`, `ReadLock`, `WriteLock`
//! and `Election` on the same paths ([`Lock::curator`] and [`ReadWriteLock::curator`] write
//! Curator's node names instead, to share with Curator processes, which recognise only theirs).
//!
//! # Example (the README's)
//!
//! ```no_run
//! # async fn example() -> Result<(), zabkeeper::client::RecipeError> {
//! use zabkeeper::client::{LeaderLatch, LeaderSelector, Lock};
//!
//! let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
//!
//! // A fair lock: holders in the order they asked; each waiter watches only its predecessor.
//! let mut lock = Lock::new(&client, "/locks/reports");
//! lock.acquire().await?; // cancel-safe: dropping the future leaves the queue
//! let token = lock.fencing_token(); // pass it to the resource, which refuses older tokens
//! lock.release().await?;
//!
//! // Leader election: a latch leads until it closes...
//! let mut latch = LeaderLatch::new(&client, "/election/scheduler", b"host-1");
//! latch.await_leadership().await?;
//! latch.close().await?;
//!
//! // ...a selector leads one term at a time, then lets the others have theirs.
//! let mut selector = LeaderSelector::new(&client, "/election/compactor", b"host-1");
//! selector.lead(|token| async move { /* one term, fenced with token */ }).await?;
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
//!
//! # What a lock guarantees, and what it cannot
//!
//! ZooKeeper hands a lock on only after the holder's node is gone: when it released, or when
//! its session expired. A holder whose session expired without its knowing (a long GC pause, a
//! partition) still believes it holds the lock until it hears from ZooKeeper, while the next
//! contender already holds it. No client-side recipe can close that window. Resources the lock
//! protects should therefore check a fencing token: [`Lock::fencing_token`] (the czxid of the
//! holder's node) grows with every holder, so a resource that remembers the largest token it
//! accepted refuses a stale holder's writes. [`Lock::lost`] resolves when the holder hears
//! that the lock is gone.
//!
//! # Cancel safety
//!
//! Every waiting call can be dropped (a `tokio::select!` with a timeout, a task aborted): the
//! recipe's node is deleted in the background, so an abandoned contender never blocks the
//! others. Without a tokio runtime to run that on, the node goes when the session ends.

mod barrier;
mod driver;
mod election;
mod group;
mod lock;

pub use barrier::DoubleBarrier;
pub use election::{LeaderLatch, LeaderSelector};
pub use group::{instances, GroupMember};
pub use lock::{Lock, ReadWriteLock, SingleNodeLock};

use zookeeper_client as zk;

/// Why a recipe call failed.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    /// The session expired: ZooKeeper deleted the recipe's nodes, and a lock or leadership it
    /// held is gone. A new session (a new client) can contend again.
    #[error("the ZooKeeper session expired; the recipe's ephemeral nodes are gone")]
    SessionExpired,
    /// The session ended otherwise (closed, or authentication failed).
    #[error("the ZooKeeper session ended: {0:?}")]
    Session(zk::SessionState),
    /// ZooKeeper refused a request (no permission on the recipe's path, for one).
    #[error("ZooKeeper refused a recipe's request: {0}")]
    ZooKeeper(#[from] zk::Error),
    /// The recipe waited with no watch to wait on: a defect of the recipe, reported rather
    /// than waiting forever.
    #[error("the recipe waited for a notification without a watch")]
    NothingToWaitFor,
}
