//! The reductions of the depth-first search (`zabkeeper_proofs::reduction`) are sound: renaming
//! interchangeable servers commutes with every step of the model and changes no property, a
//! representative is a renaming of its state and the same for every renaming of it, forgetting
//! a crashed server's volatile state changes no property and no successor, and a reduced search
//! finds exactly what the full search finds, in no more states.

use stateright::actor::ActorModelState;
use stateright::Model;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use zabkeeper_proofs::check::{explore_with, Search};
use zabkeeper_proofs::history::History;
use zabkeeper_proofs::model::ZabConfig;
use zabkeeper_proofs::properties::ZabModel;
use zabkeeper_proofs::reduction::{self, rename_state, Reduction, ServerRenaming};
use zabkeeper_proofs::scenario::{client, five_voters_one_restart, three_voters};
use zabkeeper_proofs::system::Node;

type State = ActorModelState<Node, History>;

const THREADS: usize = 2;

/// States along seeded random walks from the initial state, each walk to its end or `steps`.
fn walk_states(model: &ZabModel, walks: u64, steps: usize) -> Vec<State> {
    let mut states = Vec::new();
    for walk in 0..walks {
        let mut seed = walk.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut state = model.init_states().remove(0);
        for _ in 0..steps {
            states.push(state.clone());
            let successors = successors(model, &state);
            if successors.is_empty() {
                break;
            }
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            state = successors[(seed % successors.len() as u64) as usize].clone();
        }
    }
    states
}

fn successors(model: &ZabModel, state: &State) -> Vec<State> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
        .into_iter()
        .filter_map(|action| model.next_state(state, action))
        .filter(|next| in_bounds(model, next))
        .collect()
}

/// `Model::within_boundary` (`ActorModel` has a builder method of that name).
fn in_bounds(model: &ZabModel, state: &State) -> bool {
    Model::within_boundary(model, state)
}

fn hash_of(state: &State) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// The successors' hashes, sorted: the multiset of states one step away.
fn successor_hashes(model: &ZabModel, state: &State, map: impl Fn(&State) -> State) -> Vec<u64> {
    let mut hashes: Vec<u64> = successors(model, state)
        .iter()
        .map(|next| hash_of(&map(next)))
        .collect();
    hashes.sort_unstable();
    hashes
}

fn property_values(model: &ZabModel, state: &State) -> Vec<bool> {
    model
        .properties()
        .iter()
        .map(|property| (property.condition)(model, state))
        .collect()
}

/// Every renaming that permutes the classes among themselves.
fn group(servers: usize, classes: &[Vec<usize>]) -> Vec<ServerRenaming> {
    let mut elements = vec![(0..servers).collect::<Vec<usize>>()];
    for class in classes {
        let mut extended = Vec::new();
        for to in &elements {
            for order in permutations(class) {
                let mut to = to.clone();
                for (member, image) in class.iter().zip(&order) {
                    to[*member] = *image;
                }
                extended.push(to);
            }
        }
        elements = extended;
    }
    elements.into_iter().map(ServerRenaming::new).collect()
}

fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    (0..items.len())
        .flat_map(|index| {
            let mut rest = items.to_vec();
            let first = rest.remove(index);
            permutations(&rest).into_iter().map(move |mut order| {
                order.insert(0, first);
                order
            })
        })
        .collect()
}

#[test]
fn interchangeable_servers_are_those_alike_and_untalked_to() {
    assert_eq!(
        reduction::interchangeable_servers(&five_voters_one_restart()),
        vec![vec![1, 2, 3, 4]]
    );
    let two_clients = three_voters(vec![client(0, &[1], false), client(1, &[2], false)]);
    assert!(reduction::interchangeable_servers(&two_clients).is_empty());
    let fast_election = ZabConfig {
        election_mode: zabkeeper_models::zab::ElectionMode::Fast,
        ..five_voters_one_restart()
    };
    assert!(reduction::interchangeable_servers(&fast_election).is_empty());
    let observer = ZabConfig {
        observers: 1,
        ..three_voters(vec![client(0, &[1], false)])
    };
    assert_eq!(
        reduction::interchangeable_servers(&observer),
        vec![vec![1, 2]]
    );
}

/// The symmetry the reduction relies on, checked on the model itself: for every renaming `π`
/// of interchangeable servers, `π(s)` has exactly the renamed successors of `s`, the same
/// property values and the same boundary verdict.
#[test]
fn renaming_commutes_with_every_step() {
    let config = five_voters_one_restart();
    let classes = reduction::interchangeable_servers(&config);
    let model = config.clone().into_model();
    let renamings = group(config.servers(), &classes);
    assert_eq!(renamings.len(), 24);
    for state in walk_states(&model, 12, 60) {
        for renaming in &renamings {
            let renamed = rename_state(&state, renaming);
            assert_eq!(
                property_values(&model, &renamed),
                property_values(&model, &state)
            );
            assert_eq!(in_bounds(&model, &renamed), in_bounds(&model, &state));
            assert_eq!(
                successor_hashes(&model, &renamed, State::clone),
                successor_hashes(&model, &state, |next| rename_state(next, renaming)),
                "renaming {renaming:?} does not commute with a step from {state:?}"
            );
        }
    }
}

/// A representative is a renaming of its state (so it is equivalent to it), and every renaming
/// of a state has the same representative (so equivalent states are visited once).
#[test]
fn representatives_are_canonical_renamings() {
    let config = five_voters_one_restart();
    let reduction = Reduction::new(&config, true, false);
    let model = config.clone().into_model();
    let renamings = group(config.servers(), reduction.classes());
    for state in walk_states(&model, 12, 60) {
        let representative = reduction.representative(&state);
        assert!(
            renamings
                .iter()
                .any(|renaming| rename_state(&state, renaming) == representative),
            "the representative is no renaming of {state:?}"
        );
        for renaming in &renamings {
            let renamed = rename_state(&state, renaming);
            assert!(reduction.representative(&renamed) == representative);
        }
    }
}

/// Forgetting what a crashed server's volatile state holds beyond what the properties read
/// changes neither the properties nor the successors (up to the same forgetting).
#[test]
fn forgetting_crashed_state_changes_no_property_and_no_successor() {
    let config = five_voters_one_restart();
    let reduction = Reduction::new(&config, false, true);
    let model = config.into_model();
    let mut crashed_states = 0;
    for state in walk_states(&model, 40, 60) {
        let forgotten = reduction.representative(&state);
        if state.crashed.iter().any(|crashed| *crashed) {
            crashed_states += 1;
        } else {
            assert!(forgotten == state);
        }
        assert_eq!(
            property_values(&model, &forgotten),
            property_values(&model, &state)
        );
        assert_eq!(in_bounds(&model, &forgotten), in_bounds(&model, &state));
        let forget = |next: &State| reduction.representative(next);
        assert_eq!(
            successor_hashes(&model, &forgotten, forget),
            successor_hashes(&model, &state, forget)
        );
    }
    assert!(crashed_states > 100, "only {crashed_states} crashed states");
}

/// The reduced search finds the same discoveries as the full one (so every `Always` property
/// holds in both, and every `Sometimes` witness is reached in both), in fewer states.
#[test]
fn reduced_search_finds_what_the_full_search_finds() {
    let config = ZabConfig {
        max_crashes: 1,
        max_restarts: 1,
        diff_window: Some(0),
        ..three_voters(vec![client(0, &[1], false)])
    };
    let full = explore_with(
        config.clone().into_model(),
        THREADS,
        Search::DepthFirst,
        None,
    );
    let symmetric = Reduction::new(&config, true, false);
    let symmetric = reduction::explore(config.clone(), symmetric, THREADS, None);
    let forgetting = Reduction::new(&config, false, true);
    let forgetting = reduction::explore(config.clone(), forgetting, THREADS, None);
    let both = Reduction::new(&config, true, true);
    let both = reduction::explore(config, both, THREADS, None);
    for reduced in [&symmetric, &forgetting, &both] {
        println!("{reduced:?}");
        assert_eq!(reduced.discoveries, full.discoveries);
        assert!(reduced.unique_states <= full.unique_states);
    }
    assert_eq!(full.unique_states, 188_600);
    assert_eq!(symmetric.unique_states, 94_434);
    assert_eq!(forgetting.unique_states, 160_918);
    assert_eq!(both.unique_states, 80_573);
}

/// Every state within the bounds from the initial state, by hash, each with the hash of what is
/// in it besides the network.
fn reachable(model: &ZabModel) -> HashMap<u64, u64> {
    let mut seen = HashMap::new();
    let mut pending = model.init_states();
    while let Some(state) = pending.pop() {
        let hash = hash_of(&state);
        if seen.contains_key(&hash) {
            continue;
        }
        seen.insert(hash, hash_without_network(&state));
        pending.extend(successors(model, &state));
    }
    seen
}

/// The hash of a state's actors, timers, random choices, crash flags, storage and history.
fn hash_without_network(state: &State) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.actor_states.hash(&mut hasher);
    state.timers_set.hash(&mut hasher);
    state.random_choices.hash(&mut hasher);
    state.crashed.hash(&mut hasher);
    state.actor_storages.hash(&mut hasher);
    state.history.hash(&mut hasher);
    hasher.finish()
}

/// Deciding losses at delivery (`Cluster::loss_at_delivery`) is a reduction of the lossy model:
/// every state it reaches, losing at the head of a link reaches too (a delivery past lost
/// messages is drops and then a delivery), and everything but the network that losing at the
/// head reaches, deciding at delivery reaches too (so no property, none of which reads the
/// network, can tell them apart), with the same discoveries, in fewer states. Checked state by
/// state on a lossy configuration small enough to hold both spaces.
#[test]
fn losses_decided_at_delivery_reach_what_losses_at_the_head_reach() {
    let at_head = ZabConfig {
        lossy: true,
        max_crashes: 1,
        max_restarts: 1,
        ..three_voters(vec![client(0, &[1], false)])
    };
    let at_delivery = ZabConfig {
        loss_at_delivery: true,
        ..at_head.clone()
    };
    let head_states = reachable(&at_head.clone().into_model());
    let delivery_states = reachable(&at_delivery.clone().into_model());
    for hash in delivery_states.keys() {
        assert!(
            head_states.contains_key(hash),
            "a state only losses at delivery reach"
        );
    }
    let delivery_projections: HashSet<u64> = delivery_states.values().copied().collect();
    let missed = head_states
        .values()
        .filter(|projection| !delivery_projections.contains(projection))
        .count();
    assert_eq!(
        missed, 0,
        "states whose actors losses at delivery never reach"
    );
    let head_search = explore_with(at_head.into_model(), THREADS, Search::DepthFirst, None);
    let delivery_search = explore_with(at_delivery.into_model(), THREADS, Search::DepthFirst, None);
    assert_eq!(delivery_search.discoveries, head_search.discoveries);
    assert_eq!(
        (head_states.len(), delivery_states.len()),
        (head_search.unique_states, delivery_search.unique_states)
    );
    assert_eq!(
        (head_states.len(), delivery_states.len()),
        (622_416, 277_720)
    );
}
