//! The recipe properties. Safety is stated among clients whose sessions are live at the server:
//! a client whose session expired may still believe it holds (the fencing limit, witnessed by
//! [`STALE_HOLDER`]), and no recipe can prevent that; ZooKeeper's guarantee is that the lock
//! was handed on only after the old holder's node was gone.

use super::server::DIRECTORY;
use super::{Recipe, RecipeConfig, RecipeModel, RecipeModelState, RecipeView};
use stateright::Expectation::{Always, Eventually, Sometimes};
use zabkeeper_models::recipes::actor::Contender;
use zabkeeper_models::recipes::barrier::{BarrierStatus, DoubleBarrier};
use zabkeeper_models::recipes::group::{GroupMember, MemberStatus};
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

/// The double barrier's entry (the ZooKeeper recipes page, "Double Barriers"): nobody is
/// inside before every member has arrived.
pub const BARRIER_ENTRY: &str = "nobody enters before all arrive";
/// The double barrier's exit: nobody has left before every member has started to leave.
pub const BARRIER_EXIT: &str = "nobody leaves before all start leaving";
/// Group membership: once nothing is in flight, every live member's view is the group.
pub const VIEWS_CONVERGE: &str = "every live member's view converges to the group";
pub const EXPIRED_MEMBER_DROPPED: &str = "an expired member is dropped from the views";

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
    match model.cfg.recipe {
        Recipe::FairLock | Recipe::SingleNode => add_lock(model),
        Recipe::DoubleBarrier => add_barrier(model),
        Recipe::Group => add_group(model),
    }
}

fn progress(model: RecipeModel) -> RecipeModel {
    model
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
                .all(|(client, _)| client.acquisitions >= client.rounds.max(1))
        })
}

fn add_lock(model: RecipeModel) -> RecipeModel {
    let config = model.cfg.clone();
    let mut model = progress(model)
        .property(Always, config.exclusion_property(), |_, state| {
            exclusive(state)
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

fn add_barrier(model: RecipeModel) -> RecipeModel {
    progress(model)
        .property(Always, BARRIER_ENTRY, |_, state| {
            let barriers: Vec<&DoubleBarrier> = barriers(state).collect();
            let entered = barriers.iter().any(|barrier| {
                matches!(
                    barrier.status(),
                    BarrierStatus::Inside | BarrierStatus::Leaving | BarrierStatus::Left
                )
            });
            // A member has arrived once its node exists, before it hears so.
            let tree = &state.server().database.tree;
            !entered
                || barriers
                    .iter()
                    .all(|barrier| barrier.has_arrived() || tree.contains(&barrier.node_path()))
        })
        .property(Always, BARRIER_EXIT, |_, state| {
            let barriers: Vec<&DoubleBarrier> = barriers(state).collect();
            let left = barriers
                .iter()
                .any(|barrier| barrier.status() == BarrierStatus::Left);
            !left
                || barriers.iter().all(|barrier| {
                    matches!(
                        barrier.status(),
                        BarrierStatus::Leaving | BarrierStatus::Left
                    )
                })
        })
}

fn barriers(state: &RecipeModelState) -> impl Iterator<Item = &DoubleBarrier> + '_ {
    state.clients().map(|(client, _)| match &client.contender {
        Contender::Barrier(barrier) => barrier,
        other => unreachable!("a barrier configuration runs barriers: {other:?}"),
    })
}

fn add_group(model: RecipeModel) -> RecipeModel {
    model
        .property(Eventually, VIEWS_CONVERGE, |_, state| {
            // Only once nothing is in flight and no expiry can still happen: stateright's
            // Eventually is met by the first state that satisfies it, and a view is allowed to
            // be stale while the notification that refreshes it is on its way.
            let quiet = state.network.len() == 0
                && state
                    .timers_set
                    .iter()
                    .all(|timers| timers.iter().next().is_none());
            let group = state
                .server()
                .database
                .tree
                .children(DIRECTORY)
                .unwrap_or_default();
            quiet
                && members(state)
                    .filter(|(_, live)| *live)
                    .all(|(member, _)| member.view() == group.as_slice())
        })
        .property(Sometimes, EXPIRED_MEMBER_DROPPED, |_, state| {
            let expired: Vec<&str> = members(state)
                .filter(|(member, _)| member.status() == MemberStatus::Lost)
                .map(|(member, _)| member.name())
                .collect();
            let live_views: Vec<&[String]> = members(state)
                .filter(|(_, live)| *live)
                .map(|(member, _)| member.view())
                .collect();
            !expired.is_empty()
                && live_views.iter().all(|view| {
                    !view.is_empty() && expired.iter().all(|name| !view.iter().any(|n| n == name))
                })
        })
}

fn members(state: &RecipeModelState) -> impl Iterator<Item = (&GroupMember, bool)> + '_ {
    state
        .clients()
        .map(|(client, live)| match &client.contender {
            Contender::Member(member) => (member, live),
            other => unreachable!("a group configuration runs members: {other:?}"),
        })
}

/// Live holders: an exclusive one holds alone.
fn exclusive(state: &RecipeModelState) -> bool {
    let holders: Vec<LockKind> = state
        .clients()
        .filter(|(client, live)| client.holds() && *live)
        .map(|(client, _)| client.contender.kind().expect("a lock contender"))
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
