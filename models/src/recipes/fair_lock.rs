//! The fair lock as a state machine: a mutex, a read-write lock's reader or writer, a leader
//! latch (the lowest node leads) and a leader selector's round. It creates an
//! ephemeral-sequential node under the lock's directory, lists the children, and either holds
//! or watches the one node that blocks it ([`super::lock::decide`]), deciding again from a fresh
//! listing whenever that node goes. It never trusts a wake-up: a blocker that vanished may have
//! been a waiter whose session expired, not the holder.
//!
//! Cancel-safe by construction: [`FairLock::release`] while the create is in flight looks for
//! the node by its unique prefix before giving up, so a dropped acquire leaves no node behind
//! to block the others.

use super::lock::{decide_with, marker_in, parse, LockDecision, LockKind, Names};
use super::operation::{Input, LockStatus, Operation};
use super::RecipeMutations;

/// One contender for one lock.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FairLock {
    /// The lock's directory: contenders are its children.
    directory: String,
    kind: LockKind,
    names: Names,
    /// Unique among this lock's contenders (a random id in the library), so that the node can
    /// be found again when a create's outcome is unknown.
    prefix: String,
    mutations: RecipeMutations,
    phase: Phase,
    /// How many times the holder acquired without releasing (the lock is re-entrant).
    depth: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Phase {
    Idle,
    Creating,
    /// The create's outcome is unknown, or the acquire was cancelled while it was in flight:
    /// list the children and look for our node.
    Finding {
        cancelled: bool,
    },
    Listing {
        node: String,
    },
    /// Asked for a watch on `blocker`.
    Watching {
        node: String,
        blocker: String,
    },
    /// The watch on `blocker` is set.
    Waiting {
        node: String,
        blocker: String,
    },
    Holding {
        node: String,
    },
    Releasing {
        node: String,
    },
    Lost,
}

impl FairLock {
    /// A contender with kazoo's node names: `<prefix>__lock__<sequence>` (exclusive) or
    /// `<prefix>__rlock__<sequence>` (read).
    pub fn new(directory: &str, kind: LockKind, prefix: &str) -> FairLock {
        FairLock::with_mutations(directory, kind, prefix, RecipeMutations::NONE)
    }

    /// A contender whose node names follow `names` (Curator's, to share a lock with Curator
    /// processes; Curator's own prefix is `_c_<uuid>-`).
    pub fn with_names(directory: &str, kind: LockKind, prefix: &str, names: Names) -> FairLock {
        // Fails at once on a combination no scheme has (a reader of Curator's mutex).
        marker_in(names, kind);
        FairLock {
            names,
            ..FairLock::new(directory, kind, prefix)
        }
    }

    /// [`FairLock::new`] with seeded bugs, for `proofs/` only.
    pub fn with_mutations(
        directory: &str,
        kind: LockKind,
        prefix: &str,
        mutations: RecipeMutations,
    ) -> FairLock {
        assert!(
            directory.starts_with('/') && (directory == "/" || !directory.ends_with('/')),
            "a lock directory is an absolute path: {directory}"
        );
        FairLock {
            directory: directory.to_string(),
            kind,
            names: Names::Kazoo,
            prefix: prefix.to_string(),
            mutations,
            phase: Phase::Idle,
            depth: 0,
        }
    }

    pub fn directory(&self) -> &str {
        &self.directory
    }

    pub fn kind(&self) -> LockKind {
        self.kind
    }

    pub fn names(&self) -> Names {
        self.names
    }

    pub fn status(&self) -> LockStatus {
        match self.phase {
            Phase::Idle | Phase::Releasing { .. } => LockStatus::Idle,
            Phase::Holding { .. } => LockStatus::Holds,
            Phase::Lost => LockStatus::Lost,
            _ => LockStatus::Waiting,
        }
    }

    /// The path of this contender's node, once known.
    pub fn node_path(&self) -> Option<String> {
        match &self.phase {
            Phase::Listing { node }
            | Phase::Watching { node, .. }
            | Phase::Waiting { node, .. }
            | Phase::Holding { node }
            | Phase::Releasing { node } => Some(self.path_of(node)),
            _ => None,
        }
    }

    /// The sequence ZooKeeper gave this contender's node: it grows with every contender of
    /// this lock, so successive holders of the exclusive lock hold growing sequences.
    pub fn sequence(&self) -> Option<i32> {
        let path = self.node_path()?;
        parse(path.rsplit('/').next()?).map(|contender| contender.sequence)
    }

    /// Asks for the lock. Holding already, it only counts one more hold.
    pub fn acquire(&mut self) -> Vec<Operation> {
        match self.phase {
            Phase::Idle | Phase::Lost => {
                self.phase = Phase::Creating;
                vec![self.create()]
            }
            Phase::Holding { .. } => {
                self.depth += 1;
                Vec::new()
            }
            // Already on its way: the caller waits for the same outcome.
            _ => Vec::new(),
        }
    }

    /// Gives one hold back, or gives up waiting. The node is deleted when the last hold goes,
    /// or at once when the lock was not held yet.
    pub fn release(&mut self) -> Vec<Operation> {
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Holding { node } if self.depth > 1 => {
                self.depth -= 1;
                self.phase = Phase::Holding { node };
                Vec::new()
            }
            Phase::Holding { node }
            | Phase::Listing { node }
            | Phase::Watching { node, .. }
            | Phase::Waiting { node, .. } => {
                self.depth = 0;
                let path = self.path_of(&node);
                self.phase = Phase::Releasing { node };
                vec![Operation::Delete { path }]
            }
            Phase::Creating | Phase::Finding { .. } => {
                self.phase = Phase::Finding { cancelled: true };
                vec![self.list()]
            }
            phase @ (Phase::Idle | Phase::Lost | Phase::Releasing { .. }) => {
                self.phase = phase;
                Vec::new()
            }
        }
    }

    /// An answer to one of its operations, or a watch firing.
    pub fn on_input(&mut self, input: Input) -> Vec<Operation> {
        if input == Input::SessionExpired {
            self.phase = Phase::Lost;
            self.depth = 0;
            return Vec::new();
        }
        match (self.phase.clone(), input) {
            (Phase::Creating, Input::Created { path }) => {
                let node = path.rsplit('/').next().unwrap_or_default().to_string();
                self.phase = Phase::Listing { node };
                vec![self.list()]
            }
            (Phase::Creating, Input::OutcomeUnknown) => {
                self.phase = Phase::Finding { cancelled: false };
                vec![self.list()]
            }
            (Phase::Finding { cancelled }, Input::Children(children)) => {
                let mine = format!("{}{}", self.prefix, marker_in(self.names, self.kind));
                let found = children
                    .iter()
                    .find(|child| child.starts_with(&mine) && parse(child).is_some());
                match (found, cancelled) {
                    (Some(node), true) => {
                        let path = self.path_of(node);
                        self.phase = Phase::Releasing { node: node.clone() };
                        vec![Operation::Delete { path }]
                    }
                    (Some(node), false) => self.decide(node.clone(), &children),
                    (None, true) => {
                        self.phase = Phase::Idle;
                        Vec::new()
                    }
                    (None, false) => {
                        self.phase = Phase::Creating;
                        vec![self.create()]
                    }
                }
            }
            (Phase::Listing { node }, Input::Children(children)) => self.decide(node, &children),
            (Phase::Watching { node, blocker }, Input::Watching) => {
                self.phase = Phase::Waiting { node, blocker };
                Vec::new()
            }
            (Phase::Watching { node, blocker }, Input::NoNode) => {
                if self.mutations.wait_for_vanished_blocker {
                    // Seeded bug: waits for a deletion that already happened.
                    self.phase = Phase::Waiting { node, blocker };
                    return Vec::new();
                }
                self.phase = Phase::Listing { node };
                vec![self.list()]
            }
            (Phase::Waiting { node, blocker }, Input::Notified { path })
                if path == self.path_of(&blocker) || path == self.directory =>
            {
                if self.mutations.hold_when_blocker_gone {
                    // Seeded bug: takes the wake-up for the lock, though the blocker may have
                    // been a waiter whose session expired.
                    self.depth = 1;
                    self.phase = Phase::Holding { node };
                    return Vec::new();
                }
                self.phase = Phase::Listing { node };
                vec![self.list()]
            }
            (Phase::Releasing { .. }, Input::Deleted | Input::NoNode) => {
                self.phase = Phase::Idle;
                Vec::new()
            }
            // Answers to operations a release overtook, and stale or spurious wake-ups: the
            // machine decides only from a listing it asked for in its current phase.
            _ => Vec::new(),
        }
    }

    fn decide(&mut self, node: String, children: &[String]) -> Vec<Operation> {
        match decide_with(&node, children, self.mutations) {
            LockDecision::Holds => {
                self.depth = 1;
                self.phase = Phase::Holding { node };
                Vec::new()
            }
            LockDecision::WaitFor(blocker) if self.mutations.watch_the_directory => {
                // Seeded bug: every waiter watches the directory, so every change wakes all.
                let directory = self.directory.clone();
                self.phase = Phase::Waiting { node, blocker };
                vec![Operation::GetChildren {
                    path: directory,
                    watch: true,
                }]
            }
            LockDecision::WaitFor(blocker) => {
                let path = self.path_of(&blocker);
                self.phase = Phase::Watching { node, blocker };
                vec![Operation::WatchNode { path }]
            }
            LockDecision::Lost => {
                self.depth = 0;
                self.phase = Phase::Lost;
                Vec::new()
            }
        }
    }

    fn create(&self) -> Operation {
        Operation::Create {
            path: self.path_of(&format!(
                "{}{}",
                self.prefix,
                marker_in(self.names, self.kind)
            )),
            sequential: true,
        }
    }

    fn list(&self) -> Operation {
        Operation::GetChildren {
            path: self.directory.clone(),
            watch: false,
        }
    }

    fn path_of(&self, child: &str) -> String {
        if self.directory == "/" {
            format!("/{child}")
        } else {
            format!("{}/{child}", self.directory)
        }
    }
}

#[cfg(test)]
#[path = "fair_lock_tests.rs"]
mod tests;
