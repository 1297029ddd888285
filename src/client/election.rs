//! Leader election on the fair lock: the leader latch (the lowest node leads until it closes)
//! and the leader selector (leadership is a term; after each the process competes again).
//! Contenders are kazoo `Election` compatible: kazoo's election is its lock, with the
//! contender's identifier as the node's data.

use super::lock::Lock;
use super::RecipeError;
use std::future::Future;
use zookeeper_client as zk;

/// Leads while it holds the latch, until it closes (or its session expires).
///
/// ```no_run
/// # async fn example() -> Result<(), zabkeeper::client::RecipeError> {
/// let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
/// let mut latch = zabkeeper::client::LeaderLatch::new(&client, "/election/scheduler", b"host-1");
/// latch.await_leadership().await?;
/// // ... lead; latch.lost() resolves if leadership is lost without closing ...
/// latch.close().await?;
/// # Ok(())
/// # }
/// ```
pub struct LeaderLatch {
    lock: Lock,
}

impl LeaderLatch {
    /// A participant of the election at `path`, known to the others by `identifier`.
    pub fn new(client: &zk::Client, path: &str, identifier: &[u8]) -> LeaderLatch {
        LeaderLatch {
            lock: Lock::with_identifier(client, path, identifier),
        }
    }

    /// Waits until this participant leads. Cancel-safe: dropping the future leaves the
    /// election.
    pub async fn await_leadership(&mut self) -> Result<(), RecipeError> {
        if self.lock.holds() {
            return Ok(());
        }
        self.lock.acquire().await
    }

    /// Whether it leads, as far as it has heard.
    pub fn has_leadership(&self) -> bool {
        self.lock.holds()
    }

    /// The fencing token of this leadership (see [`Lock::fencing_token`]).
    pub fn fencing_token(&self) -> Option<i64> {
        self.lock.fencing_token()
    }

    /// Resolves when leadership is lost without closing: the session expired or the node was
    /// deleted.
    pub async fn lost(&self) -> Result<(), RecipeError> {
        self.lock.lost().await
    }

    /// Leaves the election, handing leadership on if it led.
    pub async fn close(mut self) -> Result<(), RecipeError> {
        self.lock.release().await
    }
}

/// Runs leadership terms: each call of [`LeaderSelector::lead`] waits for leadership, runs the
/// term, and gives leadership up when the term ends, so the others get their turn before this
/// process leads again.
///
/// ```no_run
/// # async fn example() -> Result<(), zabkeeper::client::RecipeError> {
/// let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
/// let mut selector = zabkeeper::client::LeaderSelector::new(&client, "/election/compactor", b"host-1");
/// loop {
///     let token = selector.lead(|token| async move {
///         // ... one term of leadership, fenced with `token` ...
///         token
///     }).await?;
///     # let _ = token; break;
/// }
/// # Ok(())
/// # }
/// ```
pub struct LeaderSelector {
    lock: Lock,
}

impl LeaderSelector {
    pub fn new(client: &zk::Client, path: &str, identifier: &[u8]) -> LeaderSelector {
        LeaderSelector {
            lock: Lock::with_identifier(client, path, identifier),
        }
    }

    /// Waits for leadership, runs `term` with the term's fencing token, then gives leadership
    /// up. Cancel-safe: dropping the future at any point leaves the election (the node is
    /// deleted in the background).
    pub async fn lead<T, F, Fut>(&mut self, term: F) -> Result<T, RecipeError>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = T>,
    {
        self.lock.acquire().await?;
        let token = self.lock.fencing_token().unwrap_or_default();
        let outcome = term(token).await;
        self.lock.release().await?;
        Ok(outcome)
    }
}
