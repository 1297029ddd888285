//! Whether a model's reachable state graph has a cycle: what decides if stateright's
//! `Eventually` verdicts are complete.
//!
//! stateright 0.31 (`checker/bfs.rs`, `dfs.rs`) keeps, per path, the `Eventually` properties
//! not yet met, and reports one as broken only at a terminal state: a state with no successor
//! within the boundary. A successor seen before makes a state non-terminal, so a cycle on which
//! the property never holds is never reported; and a state reached twice is expanded with the
//! first path's bits only. On an acyclic graph every maximal path ends at a terminal state, so
//! a property that, once it holds, holds in every later state (or that can only hold at a
//! terminal state) is then judged exactly: it is broken if and only if some terminal state does
//! not satisfy it, whichever path got there first.

use stateright::Model;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// What [`shape`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphShape {
    /// Distinct reachable states within the boundary (by 64-bit hash, as stateright counts).
    pub unique_states: usize,
    /// The depth of the first state found to lead back to a state on its own path, if any.
    pub cycle_at_depth: Option<usize>,
}

/// Colour of a visited state in the depth-first search.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    /// On the current path: reaching it again closes a cycle.
    OnPath,
    /// Every state it leads to was searched.
    Done,
}

/// A state on the current path with the successors still to search.
struct Frame<State> {
    fingerprint: u64,
    unsearched: Vec<State>,
}

/// Searches every reachable state depth-first, on one thread, and stops at the first cycle.
pub fn shape<M: Model>(model: &M) -> GraphShape
where
    M::State: Hash,
{
    let mut visits: HashMap<u64, Visit> = HashMap::new();
    let mut path: Vec<Frame<M::State>> = Vec::new();
    for initial in model.init_states() {
        let initial_fingerprint = fingerprint(&initial);
        if visits.contains_key(&initial_fingerprint) {
            continue;
        }
        visits.insert(initial_fingerprint, Visit::OnPath);
        path.push(Frame {
            fingerprint: initial_fingerprint,
            unsearched: successors(model, &initial),
        });
        while let Some(frame) = path.last_mut() {
            let Some(next) = frame.unsearched.pop() else {
                visits.insert(frame.fingerprint, Visit::Done);
                path.pop();
                continue;
            };
            let next_fingerprint = fingerprint(&next);
            match visits.entry(next_fingerprint) {
                Entry::Occupied(visit) if *visit.get() == Visit::OnPath => {
                    return GraphShape {
                        unique_states: visits.len(),
                        cycle_at_depth: Some(path.len()),
                    };
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(visit) => {
                    visit.insert(Visit::OnPath);
                    let unsearched = successors(model, &next);
                    path.push(Frame {
                        fingerprint: next_fingerprint,
                        unsearched,
                    });
                }
            }
        }
    }
    GraphShape {
        unique_states: visits.len(),
        cycle_at_depth: None,
    }
}

/// The states one action away from `state` that the checker keeps: stateright drops an
/// action without a next state and a next state outside the boundary.
fn successors<M: Model>(model: &M, state: &M::State) -> Vec<M::State> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
        .into_iter()
        .filter_map(|action| model.next_state(state, action))
        .filter(|next| model.within_boundary(next))
        .collect()
}

fn fingerprint<State: Hash>(state: &State) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}
