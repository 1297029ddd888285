//! The unfair lock (and election) on a single ephemeral node: whoever creates it holds it; the
//! others watch it and race to create it again when it goes. Simple, and correct for mutual
//! exclusion, but every release wakes every waiter (the herd effect) and the order of
//! acquisition is whoever wins the race. It is here to compare with [`super::fair_lock`]: the
//! checker shows the herd it produces.

use super::operation::{Input, LockStatus, Operation};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SingleNodeLock {
    /// The one node whose existence is the lock.
    path: String,
    phase: Phase,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Phase {
    Idle,
    Creating,
    /// The node exists; asked for a watch on it.
    Watching,
    Waiting,
    Holding,
    Releasing,
    Lost,
}

impl SingleNodeLock {
    pub fn new(path: &str) -> SingleNodeLock {
        SingleNodeLock {
            path: path.to_string(),
            phase: Phase::Idle,
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn status(&self) -> LockStatus {
        match self.phase {
            Phase::Idle | Phase::Releasing => LockStatus::Idle,
            Phase::Holding => LockStatus::Holds,
            Phase::Lost => LockStatus::Lost,
            Phase::Creating | Phase::Watching | Phase::Waiting => LockStatus::Waiting,
        }
    }

    /// The node's path while this contender holds it.
    pub fn node_path(&self) -> Option<String> {
        matches!(self.phase, Phase::Holding | Phase::Releasing).then(|| self.path.clone())
    }

    pub fn acquire(&mut self) -> Vec<Operation> {
        match self.phase {
            Phase::Idle | Phase::Lost => self.create(),
            _ => Vec::new(),
        }
    }

    pub fn release(&mut self) -> Vec<Operation> {
        match self.phase {
            Phase::Holding => {
                self.phase = Phase::Releasing;
                vec![Operation::Delete {
                    path: self.path.clone(),
                }]
            }
            Phase::Creating => {
                // The create in flight may succeed: asked after it on the same connection,
                // this delete sees its outcome, and takes the node only if the create made it.
                self.phase = Phase::Releasing;
                vec![Operation::DeleteIfOwned {
                    path: self.path.clone(),
                }]
            }
            Phase::Watching | Phase::Waiting => {
                // The node is someone else's.
                self.phase = Phase::Idle;
                Vec::new()
            }
            Phase::Idle | Phase::Releasing | Phase::Lost => Vec::new(),
        }
    }

    pub fn on_input(&mut self, input: Input) -> Vec<Operation> {
        if input == Input::SessionExpired {
            self.phase = Phase::Lost;
            return Vec::new();
        }
        match (self.phase, input) {
            (Phase::Creating, Input::Created { .. }) => {
                self.phase = Phase::Holding;
                Vec::new()
            }
            (Phase::Creating, Input::NodeExists) => {
                self.phase = Phase::Watching;
                vec![Operation::WatchNode {
                    path: self.path.clone(),
                }]
            }
            // Whether a create whose outcome is unknown made the node is told by the node's
            // owner, which only the connection can read: the client library answers such a
            // create with Created or NodeExists after reading it. Without an answer, try again.
            (Phase::Creating, Input::OutcomeUnknown) => self.create(),
            (Phase::Watching, Input::Watching) => {
                self.phase = Phase::Waiting;
                Vec::new()
            }
            (Phase::Watching, Input::NoNode) => self.create(),
            (Phase::Waiting, Input::Notified { path }) if path == self.path => self.create(),
            (Phase::Releasing, Input::Deleted | Input::NoNode) => {
                self.phase = Phase::Idle;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn create(&mut self) -> Vec<Operation> {
        self.phase = Phase::Creating;
        vec![Operation::Create {
            path: self.path.clone(),
            sequential: false,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/locks/owner";

    fn create() -> Vec<Operation> {
        vec![Operation::Create {
            path: PATH.to_string(),
            sequential: false,
        }]
    }

    #[test]
    fn a_waiter_races_again_whenever_the_node_goes() {
        let mut lock = SingleNodeLock::new(PATH);
        assert_eq!(lock.acquire(), create());
        assert_eq!(
            lock.on_input(Input::NodeExists),
            vec![Operation::WatchNode {
                path: PATH.to_string()
            }]
        );
        assert_eq!(lock.on_input(Input::Watching), vec![]);
        assert_eq!(
            lock.on_input(Input::Notified {
                path: PATH.to_string()
            }),
            create()
        );
        assert_eq!(lock.on_input(Input::NodeExists).len(), 1, "lost the race");
        assert_eq!(
            lock.on_input(Input::NoNode),
            create(),
            "gone before the watch"
        );
        lock.on_input(Input::Created {
            path: PATH.to_string(),
        });
        assert_eq!(lock.status(), LockStatus::Holds);
        assert_eq!(
            lock.release(),
            vec![Operation::Delete {
                path: PATH.to_string()
            }]
        );
        lock.on_input(Input::Deleted);
        assert_eq!(lock.status(), LockStatus::Idle);
    }

    #[test]
    fn a_create_that_lands_after_a_cancel_is_given_back() {
        let mut lock = SingleNodeLock::new(PATH);
        lock.acquire();
        assert_eq!(
            lock.release(),
            vec![Operation::DeleteIfOwned {
                path: PATH.to_string()
            }]
        );
        // The create's answer, overtaken by the cancel, changes nothing.
        let created = Input::Created {
            path: PATH.to_string(),
        };
        assert_eq!(lock.on_input(created), vec![]);
        lock.on_input(Input::Deleted);
        assert_eq!(lock.status(), LockStatus::Idle);
    }
}
