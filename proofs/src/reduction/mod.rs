//! States a depth-first search may take for one another, so that it visits one of each kind:
//! states equal up to a renaming of interchangeable servers (symmetry reduction), and states
//! that differ only in what a crashed server's volatile state holds beyond what the properties
//! read of it (see `crashed`).
//!
//! stateright 0.31 applies a reduction only in its depth-first checker
//! (`symmetry_fn(representative).spawn_dfs()`), and only to decide whether a state was seen:
//! the search goes on from the state itself. Its own `Representative` for actor states sorts
//! every actor by state and leaves the actors' definitions where they were, which is wrong
//! here: each server knows its id and each client the server it talks to. This module permutes
//! only servers whose definitions are the same up to their id.
//!
//! Which servers are interchangeable ([`interchangeable_servers`]): under the election oracle
//! (`ElectionMode::Oracle`) nothing a server does depends on its id beyond being itself (the
//! oracle offers every voter; quorums count members; messages to different servers travel on
//! different links). Two servers are interchangeable when both are voters or both observers,
//! their disks start alike, and no client talks to either. Not reduced:
//! - configurations with real Fast Leader Election: FLE breaks ties between equally
//!   up-to-date votes by server id, so renaming servers changes who wins;
//! - servers a client talks to: the client's definition names them;
//! - clients: every client writes its own values (the properties tell writes apart by value),
//!   so no two client definitions are alike, and the history's consistency testers key each
//!   client's operations by its id, in fields stateright keeps private.
//!
//! The representative is canonical: every server of a class gets a signature that no
//! permutation changes (`signature`), the class is ordered by signature, and among the orders
//! that ties leave open the one whose renamed state hashes lowest is chosen. So equivalent
//! states have the same representative, and every representative is a renaming of the state
//! it stands for, hence equivalent to it: the properties (each quantifies over all servers, see
//! `properties/`) hold in both or in neither, and their successors correspond.

mod crashed;
mod fx;
mod rename;
mod signature;

pub use rename::{rename_state, rewrite_network, ServerRenaming};

use fx::hash_of;

use crate::check::{self, SearchReport};
use crate::history::History;
use crate::model::ZabConfig;
use crate::system::Node;
use stateright::actor::ActorModelState;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;
use zabkeeper_models::zab::ElectionMode;

type State = ActorModelState<Node, History>;

/// What a reduced search identifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reduction {
    servers: usize,
    /// Classes of interchangeable servers, each sorted and of two or more.
    classes: Vec<Vec<usize>>,
    /// Whether crashed servers' volatile states are reduced (see `crashed`).
    forget_crashed: bool,
}

/// The classes of servers of `config` that are interchangeable up to renaming (see the module
/// documentation), each sorted and of two or more; none when the election is real FLE.
pub fn interchangeable_servers(config: &ZabConfig) -> Vec<Vec<usize>> {
    if config.election_mode != ElectionMode::Oracle {
        return Vec::new();
    }
    let talked_to: BTreeSet<usize> = config
        .clients
        .iter()
        .flat_map(|plan| [plan.server, plan.read_server.unwrap_or(plan.server)])
        .collect();
    let mut classes: Vec<(bool, Option<&_>, Vec<usize>)> = Vec::new();
    for index in (0..config.servers()).filter(|index| !talked_to.contains(index)) {
        let is_voter = index < config.voters;
        let disk = config.initial_disks.get(index).and_then(Option::as_ref);
        match classes
            .iter_mut()
            .find(|(voter, class_disk, _)| *voter == is_voter && *class_disk == disk)
        {
            Some((_, _, members)) => members.push(index),
            None => classes.push((is_voter, disk, vec![index])),
        }
    }
    classes
        .into_iter()
        .map(|(_, _, members)| members)
        .filter(|members| members.len() > 1)
        .collect()
}

impl Reduction {
    /// For `config`: its interchangeable servers if `symmetry`, and crashed servers' volatile
    /// state if `forget_crashed`.
    pub fn new(config: &ZabConfig, symmetry: bool, forget_crashed: bool) -> Reduction {
        Reduction {
            servers: config.servers(),
            classes: if symmetry {
                interchangeable_servers(config)
            } else {
                Vec::new()
            },
            forget_crashed,
        }
    }

    pub fn classes(&self) -> &[Vec<usize>] {
        &self.classes
    }

    /// The class of server `index`, if it is interchangeable with others.
    fn class_of(&self, index: usize) -> Option<usize> {
        self.classes
            .iter()
            .position(|members| members.contains(&index))
    }

    /// The state a reduced search records in place of `state`.
    pub fn representative(&self, state: &State) -> State {
        let mut state = state.clone();
        if self.forget_crashed {
            crashed::forget_volatile_state(&mut state);
        }
        // The identity is always a representative of its own orbit, so leaving alone a state
        // whose persist under way holds ids this module does not rename keeps the search sound.
        if self.classes.is_empty() || state.actor_states.iter().any(|actor| actor.persisting()) {
            return state;
        }
        let mut candidates = self.candidate_renamings(&state).into_iter();
        let first = candidates.next().expect("at least one order");
        let renamed = |renaming: &ServerRenaming| {
            if renaming.is_identity() {
                state.clone()
            } else {
                rename_state(&state, renaming)
            }
        };
        let mut best = renamed(&first);
        let mut best_hash = None;
        for renaming in candidates {
            let candidate = renamed(&renaming);
            let candidate_hash = hash_of(&candidate);
            let current = *best_hash.get_or_insert_with(|| hash_of(&best));
            if candidate_hash < current {
                best = candidate;
                best_hash = Some(candidate_hash);
            }
        }
        best
    }

    /// Every renaming that orders each class by signature: the server with the lowest
    /// signature takes the class's lowest index, and so on; servers with equal signatures take
    /// their indices in every order.
    fn candidate_renamings(&self, state: &State) -> Vec<ServerRenaming> {
        let mut runs: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for members in &self.classes {
            let mut signed: Vec<(u64, usize)> = members
                .iter()
                .map(|index| (signature::signature(state, *index, self), *index))
                .collect();
            signed.sort_unstable();
            let mut start = 0;
            while start < signed.len() {
                let end = start
                    + signed[start..]
                        .iter()
                        .take_while(|(signature, _)| *signature == signed[start].0)
                        .count();
                let positions = members[start..end].to_vec();
                let tied = signed[start..end].iter().map(|(_, index)| *index).collect();
                runs.push((positions, tied));
                start = end;
            }
        }
        let mut renamings = vec![(0..self.servers).collect::<Vec<usize>>()];
        for (positions, tied) in runs {
            let orders = permutations(&tied);
            let mut extended = Vec::with_capacity(renamings.len() * orders.len());
            for to in &renamings {
                for order in &orders {
                    let mut to = to.clone();
                    for (member, position) in order.iter().zip(&positions) {
                        to[*member] = *position;
                    }
                    extended.push(to);
                }
            }
            renamings = extended;
        }
        renamings.into_iter().map(ServerRenaming::new).collect()
    }
}

/// Every order of `items`.
fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut orders = Vec::new();
    for (index, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(index);
        for mut order in permutations(&rest) {
            order.insert(0, *first);
            orders.push(order);
        }
    }
    orders
}

/// The reduction the running search uses. stateright takes the representative function as a
/// plain `fn`, which cannot carry the configuration's classes, so a reduced search installs
/// them here for its duration, one search at a time.
static INSTALLED: RwLock<Option<Arc<Reduction>>> = RwLock::new(None);
static ONE_SEARCH_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Installed {
    _exclusive: MutexGuard<'static, ()>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        *INSTALLED.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

fn install(reduction: Reduction) -> Installed {
    // A search that panicked (a failed assertion in a test) leaves nothing half done here.
    let exclusive = ONE_SEARCH_AT_A_TIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    *INSTALLED.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(reduction));
    Installed {
        _exclusive: exclusive,
    }
}

fn installed_representative(state: &State) -> State {
    let reduction = INSTALLED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .expect("a reduced search installs its reduction");
    reduction.representative(state)
}

/// Explores `config` depth-first with `reduction`, to the end (see [`check::explore`]),
/// printing the counts so far on stderr every `progress`.
pub fn explore(
    config: ZabConfig,
    reduction: Reduction,
    threads: usize,
    progress: Option<Duration>,
) -> SearchReport {
    let _installed = install(reduction);
    let model = config.into_model();
    check::explore_depth_first_reduced(model, threads, installed_representative, progress)
}

/// Searches `config` depth-first with `reduction` until `property` has a discovery or the
/// space is exhausted (see [`check::finds`]).
pub fn finds(
    config: ZabConfig,
    reduction: Reduction,
    property: &'static str,
    threads: usize,
) -> bool {
    let _installed = install(reduction);
    check::finds_depth_first_reduced(
        config.into_model(),
        property,
        threads,
        installed_representative,
    )
}
