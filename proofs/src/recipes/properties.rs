//! The recipe properties. Safety is stated among clients whose sessions are live at the server:
//! a client whose session expired may still believe it holds (the fencing limit, witnessed by
//! [`STALE_HOLDER`]), and no recipe can prevent that; ZooKeeper's guarantee is that the lock
//! was handed on only after the old holder's node was gone.

use super::server::DIRECTORY;
use super::{Recipe, RecipeConfig, RecipeModel, RecipeModelState, RecipeView};
use stateright::Expectation::{Always, Eventually, Sometimes};
use zabkeeper_models::recipes::lock::{decide, LockDecision, LockKind};
use zabkeeper_models::recipes::LockStatus;

/// Mutual exclusion (Hunt et al., "ZooKeeper: wait-free coordination", §2.4, simple locks):
/// no two live sessions hold the lock.
pub const MUTUAL_EXCLUSION: &str = "mutual exclusion among live sessions";
/// Read-write exclusion (§2.4, read/write locks): a writer holds alone; readers share.
pub const READ_WRITE_EXCLUSION: &str = "no writer holds with anyone else";
/// Leader election (§2.4, the lock used as an election): at most one live leader at a time.
pub const ONE_LEADER: &str = "at most one live leader";
/// Fairness: a holder holds only when no earlier node that blocks it is left, so the lock goes
/// in sequence order.
pub const ACQUISITION_ORDER: &str = "acquisition follows sequence order";
/// No herd effect (§2.4: "each client watches only its predecessor"): a waiter is woken only
/// by the deletion of the one node that blocks it, so a release wakes at most one waiter (all
/// the readers right behind a writer, for the read-write lock).
pub const NO_HERD: &str = "a waiter wakes only when its blocker goes";
/// Progress: every client whose session lives completes its rounds (no waiter is left waiting
/// for a wake-up that never comes, whatever the holders did).
pub const PROGRESS: &str = "every live client completes its rounds";

pub const EVERY_CLIENT_ACQUIRED: &str = "every client acquired";
pub const LOCK_PASSED_ON_EXPIRY: &str = "the lock passed on after its holder's session expired";
pub const STALE_HOLDER: &str = "an expired holder still believes it holds";
pub const SEVERAL_WOKEN: &str = "one change woke several waiters";

impl RecipeConfig {
    /// The name this configuration's exclusion property goes by.
    pub fn exclusion_property(&self) -> &'static str {
        if self.kinds.contains(&LockKind::Read) {
            READ_WRITE_EXCLUSION
        } else if self.rounds > 1 {
            ONE_LEADER
        } else {
            MUTUAL_EXCLUSION
        }
    }
}

pub(super) fn add(model: RecipeModel) -> RecipeModel {
    let config = model.cfg.clone();
    let mut model = model
        .property(Always, config.exclusion_property(), |_, state| {
            exclusive(state)
        })
        .property(Eventually, PROGRESS, |_, state| {
            state.clients().all(|(client, _)| {
                client.lost()
                    || (client.rounds_done == client.rounds
                        && client.contender.status() == LockStatus::Idle)
            })
        })
        .property(Sometimes, EVERY_CLIENT_ACQUIRED, |_, state| {
            state
                .clients()
                .all(|(client, _)| client.acquisitions >= client.rounds)
        })
        .property(Sometimes, LOCK_PASSED_ON_EXPIRY, |_, state| {
            let expired_holder = state
                .clients()
                .any(|(client, _)| client.lost() && client.acquisitions > 0);
            let live_holder = state.clients().any(|(client, live)| client.holds() && live);
            expired_holder && live_holder
        })
        .property(Sometimes, STALE_HOLDER, |_, state| {
            state
                .clients()
                .any(|(client, live)| client.holds() && !live)
        })
        .property(Sometimes, SEVERAL_WOKEN, |_, state| {
            state.server().woke_several
        });
    if config.recipe == Recipe::FairLock {
        model = model
            .property(Always, ACQUISITION_ORDER, |_, state| in_order(state))
            .property(Always, NO_HERD, |_, state| {
                !state.server().woke_unblocked_waiter
            });
    }
    model
}

/// Live holders: an exclusive one holds alone.
fn exclusive(state: &RecipeModelState) -> bool {
    let holders: Vec<LockKind> = state
        .clients()
        .filter(|(client, live)| client.holds() && *live)
        .map(|(client, _)| client.contender.kind())
        .collect();
    holders.len() <= 1 || !holders.contains(&LockKind::Exclusive)
}

/// Every live holder's node is unblocked in the server's tree now.
fn in_order(state: &RecipeModelState) -> bool {
    let children = state
        .server()
        .database
        .tree
        .children(DIRECTORY)
        .unwrap_or_default();
    state
        .clients()
        .filter(|(client, live)| client.holds() && *live)
        .all(|(client, _)| {
            let node = client.contender.node_path().expect("a holder has a node");
            let name = node.rsplit('/').next().expect("a child's name");
            decide(name, &children) == LockDecision::Holds
        })
}
