//! Running a model to completion and reporting what the search covered.

use stateright::{Checker, CheckerBuilder, Model};
use std::time::{Duration, Instant};

/// What an exhaustive search covered.
#[derive(Clone, Debug)]
pub struct SearchReport {
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub elapsed: Duration,
    /// Names of the properties with a discovery: counterexamples of `Always` properties, examples
    /// of `Sometimes` ones.
    pub discoveries: Vec<&'static str>,
}

/// Explores every reachable state within the model's boundary: no depth, state-count or time
/// cap is set, so when this returns the search has finished. It panics if the search stopped
/// because every property already had a discovery (the only other way stateright stops early).
pub fn explore<M>(model: M, threads: usize) -> SearchReport
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    explore_with(model, threads, Search::BreadthFirst, None)
}

/// The order the checker visits states in. Both visit every reachable state; breadth-first
/// finds the shortest counterexamples but holds the whole frontier in memory, depth-first holds
/// one path and its siblings (what the deepest runs need).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    BreadthFirst,
    DepthFirst,
}

/// [`explore`], in the given order, printing the counts so far on stderr every `progress`.
pub fn explore_with<M>(
    model: M,
    threads: usize,
    search: Search,
    progress: Option<Duration>,
) -> SearchReport
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    let property_count = model.properties().len();
    let started = Instant::now();
    let builder = model.checker().threads(threads);
    match search {
        Search::BreadthFirst => finish(builder.spawn_bfs(), progress, property_count, started),
        Search::DepthFirst => finish(builder.spawn_dfs(), progress, property_count, started),
    }
}

/// [`explore`] depth-first, taking each state for its `representative` in deciding whether it
/// was seen (stateright's symmetry reduction; `crate::reduction` builds representatives).
pub fn explore_depth_first_reduced<M>(
    model: M,
    threads: usize,
    representative: fn(&M::State) -> M::State,
    progress: Option<Duration>,
) -> SearchReport
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    let property_count = model.properties().len();
    let started = Instant::now();
    let checker = model
        .checker()
        .threads(threads)
        .symmetry_fn(representative)
        .spawn_dfs();
    finish(checker, progress, property_count, started)
}

/// Waits for the search to end, printing its counts every `progress`, and reports it.
fn finish<M>(
    checker: impl Checker<M>,
    progress: Option<Duration>,
    property_count: usize,
    started: Instant,
) -> SearchReport
where
    M: Model,
    M::State: Clone + PartialEq + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    if let Some(every) = progress {
        let mut next_report = started + every;
        while !checker.is_done() {
            std::thread::sleep(Duration::from_millis(250));
            if Instant::now() >= next_report {
                let mut discoveries: Vec<&str> = checker.discoveries().into_keys().collect();
                discoveries.sort_unstable();
                eprintln!(
                    "after {:.0?}: unique states {}, states {}, depth {}, discoveries {:?}",
                    started.elapsed(),
                    checker.unique_state_count(),
                    checker.state_count(),
                    checker.max_depth(),
                    discoveries
                );
                next_report += every;
            }
        }
    }
    let checker = checker.join();
    assert!(checker.is_done());
    let mut discoveries: Vec<&'static str> = checker.discoveries().keys().copied().collect();
    discoveries.sort();
    assert!(
        discoveries.len() < property_count,
        "the search stopped because every property had a discovery; it may not be exhaustive"
    );
    SearchReport {
        unique_states: checker.unique_state_count(),
        states: checker.state_count(),
        max_depth: checker.max_depth(),
        elapsed: started.elapsed(),
        discoveries,
    }
}

/// Searches until `property` has a discovery (a counterexample, for a mutant) or the space is
/// exhausted. Returns whether it was found.
pub fn finds<M>(model: M, property: &'static str, threads: usize) -> bool
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    finds_with(
        model.checker().threads(threads),
        property,
        Search::BreadthFirst,
    )
}

/// [`finds`], depth-first with `representative` (see [`explore_depth_first_reduced`]).
pub fn finds_depth_first_reduced<M>(
    model: M,
    property: &'static str,
    threads: usize,
    representative: fn(&M::State) -> M::State,
) -> bool
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    finds_with(
        model.checker().threads(threads).symmetry_fn(representative),
        property,
        Search::DepthFirst,
    )
}

/// [`finds`] with the checker `builder` sets up, in the given order.
fn finds_with<M>(builder: CheckerBuilder<M>, property: &'static str, search: Search) -> bool
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    let builder = builder.finish_when(stateright::HasDiscoveries::AnyOf(
        [property].into_iter().collect(),
    ));
    match search {
        Search::BreadthFirst => builder.spawn_bfs().join().discoveries(),
        Search::DepthFirst => builder.spawn_dfs().join().discoveries(),
    }
    .contains_key(property)
}

/// [`explore`], then checks that the discoveries are exactly `expected`: no counterexample to
/// an `Always` property, and each listed `Sometimes` witness found. Prints the report.
pub fn explore_expecting<M>(model: M, threads: usize, expected: &[&str]) -> SearchReport
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + PartialEq + Send + Sync + std::hash::Hash + std::fmt::Debug,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    let report = explore(model, threads);
    println!("{report:?}");
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(report.discoveries, expected);
    report
}
