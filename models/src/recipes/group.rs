//! Group membership, the core of a service registry: each member is an ephemeral child of the
//! group's directory (named by the member, holding its address in the library), and every
//! member keeps a view of the group by listing the children with a watch and listing again,
//! with a new watch, each time it fires. A member whose session ends leaves the group by
//! itself. Watches are one-time, so a view is only as fresh as its last listing; between a
//! change and the listing it triggers, the view is stale, and that is all a ZooKeeper client
//! can know.

use super::operation::{Input, Operation};
use super::RecipeMutations;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupMember {
    directory: String,
    name: String,
    mutations: RecipeMutations,
    phase: Phase,
    /// The members at the last listing, sorted.
    view: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Phase {
    Outside,
    Joining,
    /// Its name is taken by a node of an earlier session of its own (not expired yet), or of
    /// another process: it waits for that node to go.
    WaitingForName,
    Member,
    Leaving,
    Left,
    Lost,
}

/// Where a member stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberStatus {
    Outside,
    Joining,
    Member,
    Left,
    Lost,
}

impl GroupMember {
    pub fn new(directory: &str, name: &str) -> GroupMember {
        GroupMember::with_mutations(directory, name, RecipeMutations::NONE)
    }

    /// [`GroupMember::new`] with seeded bugs, for `proofs/` only.
    pub fn with_mutations(directory: &str, name: &str, mutations: RecipeMutations) -> GroupMember {
        assert!(
            !name.contains('/'),
            "a member's name is a child name: {name}"
        );
        GroupMember {
            directory: directory.to_string(),
            name: name.to_string(),
            mutations,
            phase: Phase::Outside,
            view: Vec::new(),
        }
    }

    pub fn status(&self) -> MemberStatus {
        match self.phase {
            Phase::Outside => MemberStatus::Outside,
            Phase::Joining | Phase::WaitingForName => MemberStatus::Joining,
            Phase::Member => MemberStatus::Member,
            Phase::Leaving | Phase::Left => MemberStatus::Left,
            Phase::Lost => MemberStatus::Lost,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn node_path(&self) -> String {
        format!("{}/{}", self.directory.trim_end_matches('/'), self.name)
    }

    /// The group's members as last listed, sorted.
    pub fn view(&self) -> &[String] {
        &self.view
    }

    pub fn join(&mut self) -> Vec<Operation> {
        match self.phase {
            Phase::Outside | Phase::Left | Phase::Lost => self.create(),
            _ => Vec::new(),
        }
    }

    pub fn leave(&mut self) -> Vec<Operation> {
        match self.phase {
            Phase::Member | Phase::Joining | Phase::WaitingForName => {
                self.phase = Phase::Leaving;
                vec![Operation::Delete {
                    path: self.node_path(),
                }]
            }
            _ => Vec::new(),
        }
    }

    pub fn on_input(&mut self, input: Input) -> Vec<Operation> {
        if input == Input::SessionExpired {
            self.phase = Phase::Lost;
            return Vec::new();
        }
        match (self.phase, input) {
            (Phase::Joining, Input::Created { .. }) => {
                self.phase = Phase::Member;
                self.list()
            }
            (Phase::Joining, Input::NodeExists) => {
                self.phase = Phase::WaitingForName;
                vec![Operation::WatchNode {
                    path: self.node_path(),
                }]
            }
            (Phase::Joining, Input::OutcomeUnknown) => self.create(),
            (Phase::WaitingForName, Input::NoNode) => self.create(),
            (Phase::WaitingForName, Input::Notified { path }) if path == self.node_path() => {
                self.create()
            }
            (Phase::Member, Input::Children(children)) => {
                let mut view = children;
                view.sort();
                self.view = view;
                Vec::new()
            }
            (Phase::Member, Input::Notified { path }) if path == self.directory => {
                if self.mutations.forget_to_watch_again {
                    // Seeded bug: lists again without a new watch, so later changes go unseen.
                    return vec![Operation::GetChildren {
                        path: self.directory.clone(),
                        watch: false,
                    }];
                }
                self.list()
            }
            (Phase::Leaving, Input::Deleted | Input::NoNode) => {
                self.phase = Phase::Left;
                self.view.clear();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn create(&mut self) -> Vec<Operation> {
        self.phase = Phase::Joining;
        vec![Operation::Create {
            path: self.node_path(),
            sequential: false,
        }]
    }

    /// Lists with a watch. A watch fires only after the listing that set it was answered (one
    /// channel, in order), so there is never more than one listing in flight.
    fn list(&self) -> Vec<Operation> {
        vec![Operation::GetChildren {
            path: self.directory.clone(),
            watch: true,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIRECTORY: &str = "/services/search";

    fn watch_list() -> Vec<Operation> {
        vec![Operation::GetChildren {
            path: DIRECTORY.to_string(),
            watch: true,
        }]
    }

    #[test]
    fn a_member_keeps_its_view_fresh_with_a_new_watch_each_time() {
        let mut member = GroupMember::new(DIRECTORY, "a");
        let own = format!("{DIRECTORY}/a");
        assert_eq!(
            member.join(),
            vec![Operation::Create {
                path: own.clone(),
                sequential: false
            }]
        );
        assert_eq!(member.on_input(Input::Created { path: own }), watch_list());
        member.on_input(Input::Children(vec!["b".into(), "a".into()]));
        assert_eq!(member.view(), ["a", "b"]);
        assert_eq!(
            member.on_input(Input::Notified {
                path: DIRECTORY.to_string()
            }),
            watch_list()
        );
        member.on_input(Input::Children(vec!["a".into()]));
        assert_eq!(member.view(), ["a"]);
        assert_eq!(member.status(), MemberStatus::Member);
    }

    #[test]
    fn a_taken_name_is_waited_for() {
        let mut member = GroupMember::new(DIRECTORY, "a");
        let own = format!("{DIRECTORY}/a");
        member.join();
        assert_eq!(
            member.on_input(Input::NodeExists),
            vec![Operation::WatchNode { path: own.clone() }]
        );
        member.on_input(Input::Watching);
        assert_eq!(
            member.on_input(Input::Notified { path: own.clone() }),
            vec![Operation::Create {
                path: own,
                sequential: false
            }]
        );
        assert_eq!(member.on_input(Input::SessionExpired), vec![]);
        assert_eq!(member.status(), MemberStatus::Lost);
    }
}
