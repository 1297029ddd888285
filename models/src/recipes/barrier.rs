//! The double barrier: `members` processes enter together and leave together. Entering, a
//! process watches for the `ready` node, adds its own ephemeral node, and counts the nodes; the
//! one that completes the count creates `ready`, whose creation lets every waiter in. Leaving,
//! each process deletes its own node and waits for the lowest one to go, while the lowest waits
//! for the highest, so nobody leaves before every member has started to leave. This is the
//! ZooKeeper recipe, with Curator's node layout (one child per member, named by the member, and
//! a `ready` child).
//!
//! A directory serves one round: `ready` stays until the session that created it ends, so a
//! barrier used again needs a new directory (name it after the round).

use super::operation::{Input, Operation};
use super::RecipeMutations;

/// The child whose creation opens the barrier.
pub const READY: &str = "ready";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DoubleBarrier {
    directory: String,
    /// This member's child name, unique among the members.
    name: String,
    members: usize,
    mutations: RecipeMutations,
    phase: Phase,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Phase {
    Outside,
    /// Asked whether `ready` exists, with a watch.
    CheckingReady,
    Arriving {
        ready_seen: bool,
    },
    Counting {
        ready_seen: bool,
    },
    MarkingReady,
    AwaitingReady,
    Inside,
    Leaving,
    /// Waiting for `watched` to go (asked for the watch, or it is set).
    LeaveWaiting {
        watched: String,
    },
    /// Deleting the last node, its own.
    LeavingLast,
    Left,
    Lost,
}

/// Where a member of the barrier stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BarrierStatus {
    Outside,
    Entering,
    Inside,
    Leaving,
    Left,
    /// Its session expired.
    Lost,
}

impl DoubleBarrier {
    pub fn new(directory: &str, name: &str, members: usize) -> DoubleBarrier {
        DoubleBarrier::with_mutations(directory, name, members, RecipeMutations::NONE)
    }

    /// [`DoubleBarrier::new`] with seeded bugs, for `proofs/` only.
    pub fn with_mutations(
        directory: &str,
        name: &str,
        members: usize,
        mutations: RecipeMutations,
    ) -> DoubleBarrier {
        assert!(members > 0, "a barrier has members");
        assert!(
            name != READY && !name.contains('/'),
            "a member's name is a child name other than {READY}: {name}"
        );
        DoubleBarrier {
            directory: directory.to_string(),
            name: name.to_string(),
            members,
            mutations,
            phase: Phase::Outside,
        }
    }

    pub fn status(&self) -> BarrierStatus {
        match self.phase {
            Phase::Outside => BarrierStatus::Outside,
            Phase::CheckingReady
            | Phase::Arriving { .. }
            | Phase::Counting { .. }
            | Phase::MarkingReady
            | Phase::AwaitingReady => BarrierStatus::Entering,
            Phase::Inside => BarrierStatus::Inside,
            Phase::Leaving | Phase::LeaveWaiting { .. } | Phase::LeavingLast => {
                BarrierStatus::Leaving
            }
            Phase::Left => BarrierStatus::Left,
            Phase::Lost => BarrierStatus::Lost,
        }
    }

    /// Its node was created (it arrived at the barrier).
    pub fn has_arrived(&self) -> bool {
        !matches!(
            self.phase,
            Phase::Outside | Phase::CheckingReady | Phase::Arriving { .. } | Phase::Lost
        )
    }

    pub fn node_path(&self) -> String {
        self.path_of(&self.name)
    }

    pub fn enter(&mut self) -> Vec<Operation> {
        if self.phase != Phase::Outside {
            return Vec::new();
        }
        self.phase = Phase::CheckingReady;
        vec![Operation::Exists {
            path: self.path_of(READY),
            watch: true,
        }]
    }

    pub fn leave(&mut self) -> Vec<Operation> {
        if self.phase != Phase::Inside {
            return Vec::new();
        }
        if self.mutations.leave_at_once {
            // Seeded bug: leaves without waiting for the others to start leaving.
            self.phase = Phase::LeavingLast;
            return vec![Operation::Delete {
                path: self.node_path(),
            }];
        }
        self.phase = Phase::Leaving;
        vec![self.list()]
    }

    pub fn on_input(&mut self, input: Input) -> Vec<Operation> {
        if input == Input::SessionExpired {
            self.phase = Phase::Lost;
            return Vec::new();
        }
        let ready = self.path_of(READY);
        match (self.phase.clone(), input) {
            (Phase::CheckingReady, Input::Exists(ready_seen)) => {
                self.phase = Phase::Arriving { ready_seen };
                vec![Operation::Create {
                    path: self.node_path(),
                    sequential: false,
                }]
            }
            // `ready` appeared while entering: remembered, or it opens the barrier.
            (Phase::Arriving { .. }, Input::Notified { path }) if path == ready => {
                self.phase = Phase::Arriving { ready_seen: true };
                Vec::new()
            }
            (Phase::Counting { .. }, Input::Notified { path }) if path == ready => {
                self.phase = Phase::Counting { ready_seen: true };
                Vec::new()
            }
            (Phase::AwaitingReady | Phase::MarkingReady, Input::Notified { path })
                if path == ready =>
            {
                self.phase = Phase::Inside;
                Vec::new()
            }
            (Phase::Arriving { ready_seen }, Input::Created { .. } | Input::NodeExists) => {
                if ready_seen || self.mutations.enter_on_arrival {
                    self.phase = Phase::Inside;
                    return Vec::new();
                }
                self.phase = Phase::Counting { ready_seen };
                vec![self.list()]
            }
            (Phase::Counting { ready_seen }, Input::Children(children)) => {
                let arrived = children.iter().filter(|child| *child != READY).count();
                if ready_seen {
                    self.phase = Phase::Inside;
                    Vec::new()
                } else if arrived >= self.members {
                    self.phase = Phase::MarkingReady;
                    vec![Operation::Create {
                        path: ready,
                        sequential: false,
                    }]
                } else {
                    self.phase = Phase::AwaitingReady;
                    Vec::new()
                }
            }
            (Phase::MarkingReady, Input::Created { .. } | Input::NodeExists) => {
                self.phase = Phase::Inside;
                Vec::new()
            }
            (Phase::Leaving, Input::Children(children)) => self.leave_step(children),
            (Phase::LeaveWaiting { .. }, Input::NoNode) => {
                self.phase = Phase::Leaving;
                vec![self.list()]
            }
            (Phase::LeaveWaiting { watched }, Input::Notified { path })
                if path == self.path_of(&watched) =>
            {
                self.phase = Phase::Leaving;
                vec![self.list()]
            }
            (Phase::LeavingLast, Input::Deleted | Input::NoNode) => {
                self.phase = Phase::Left;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// One round of leaving: the lowest member waits for the highest to go; the others delete
    /// their node and wait for the lowest.
    fn leave_step(&mut self, children: Vec<String>) -> Vec<Operation> {
        let mut members: Vec<String> = children
            .into_iter()
            .filter(|child| child != READY)
            .collect();
        members.sort();
        let present = members.contains(&self.name);
        let (Some(lowest), Some(highest)) = (members.first(), members.last()) else {
            self.phase = Phase::Left;
            return Vec::new();
        };
        if members.len() == 1 && present {
            self.phase = Phase::LeavingLast;
            return vec![Operation::Delete {
                path: self.node_path(),
            }];
        }
        if *lowest == self.name {
            let watched = highest.clone();
            let path = self.path_of(&watched);
            self.phase = Phase::LeaveWaiting { watched };
            return vec![Operation::WatchNode { path }];
        }
        let watched = lowest.clone();
        let mut operations = Vec::new();
        if present {
            operations.push(Operation::Delete {
                path: self.node_path(),
            });
        }
        operations.push(Operation::WatchNode {
            path: self.path_of(&watched),
        });
        self.phase = Phase::LeaveWaiting { watched };
        operations
    }

    fn list(&self) -> Operation {
        Operation::GetChildren {
            path: self.directory.clone(),
            watch: false,
        }
    }

    fn path_of(&self, child: &str) -> String {
        format!("{}/{child}", self.directory.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIRECTORY: &str = "/barrier";

    fn path(child: &str) -> String {
        format!("{DIRECTORY}/{child}")
    }

    fn names(names: &[&str]) -> Input {
        Input::Children(names.iter().map(|name| name.to_string()).collect())
    }

    #[test]
    fn the_last_to_arrive_opens_the_barrier_for_everyone() {
        let mut first = DoubleBarrier::new(DIRECTORY, "a", 2);
        assert_eq!(
            first.enter(),
            vec![Operation::Exists {
                path: path(READY),
                watch: true
            }]
        );
        assert_eq!(
            first.on_input(Input::Exists(false)),
            vec![Operation::Create {
                path: path("a"),
                sequential: false
            }]
        );
        let list = vec![Operation::GetChildren {
            path: DIRECTORY.to_string(),
            watch: false,
        }];
        assert_eq!(first.on_input(Input::Created { path: path("a") }), list);
        assert_eq!(first.on_input(names(&["a"])), vec![]);
        assert_eq!(first.status(), BarrierStatus::Entering);

        let mut last = DoubleBarrier::new(DIRECTORY, "b", 2);
        last.enter();
        last.on_input(Input::Exists(false));
        last.on_input(Input::Created { path: path("b") });
        assert_eq!(
            last.on_input(names(&["b", "a"])),
            vec![Operation::Create {
                path: path(READY),
                sequential: false
            }]
        );
        assert_eq!(last.on_input(Input::Created { path: path(READY) }), vec![]);
        assert_eq!(last.status(), BarrierStatus::Inside);
        assert_eq!(
            first.on_input(Input::Notified { path: path(READY) }),
            vec![]
        );
        assert_eq!(first.status(), BarrierStatus::Inside);
    }

    #[test]
    fn the_lowest_leaves_last_and_the_others_wait_for_it() {
        let inside = |name: &str| {
            let mut barrier = DoubleBarrier::new(DIRECTORY, name, 2);
            barrier.enter();
            barrier.on_input(Input::Exists(true));
            barrier.on_input(Input::Created { path: path(name) });
            assert_eq!(barrier.status(), BarrierStatus::Inside);
            barrier
        };
        let mut lowest = inside("a");
        let mut highest = inside("b");
        lowest.leave();
        assert_eq!(
            lowest.on_input(names(&["a", "b", READY])),
            vec![Operation::WatchNode { path: path("b") }]
        );
        highest.leave();
        assert_eq!(
            highest.on_input(names(&["a", "b", READY])),
            vec![
                Operation::Delete { path: path("b") },
                Operation::WatchNode { path: path("a") }
            ]
        );
        lowest.on_input(Input::Watching);
        let list = vec![Operation::GetChildren {
            path: DIRECTORY.to_string(),
            watch: false,
        }];
        assert_eq!(lowest.on_input(Input::Notified { path: path("b") }), list);
        assert_eq!(
            lowest.on_input(names(&["a", READY])),
            vec![Operation::Delete { path: path("a") }]
        );
        lowest.on_input(Input::Deleted);
        assert_eq!(lowest.status(), BarrierStatus::Left);
        highest.on_input(Input::Deleted);
        highest.on_input(Input::Watching);
        assert_eq!(highest.on_input(Input::Notified { path: path("a") }), list);
        highest.on_input(names(&[READY]));
        assert_eq!(highest.status(), BarrierStatus::Left);
    }
}
