//! Who votes: the voting members of the ensemble and the observers that follow without voting.

use crate::ids::ServerId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The static membership of an ensemble (the `server.N` lines of zoo.cfg). Quorums are simple
/// majorities of the voters; observers never count toward one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    pub voters: BTreeSet<ServerId>,
    pub observers: BTreeSet<ServerId>,
}

impl Membership {
    pub fn new(
        voters: impl IntoIterator<Item = ServerId>,
        observers: impl IntoIterator<Item = ServerId>,
    ) -> Membership {
        let membership = Membership {
            voters: voters.into_iter().collect(),
            observers: observers.into_iter().collect(),
        };
        assert!(!membership.voters.is_empty(), "an ensemble needs a voter");
        assert!(
            membership.voters.is_disjoint(&membership.observers),
            "a server is either a voter or an observer"
        );
        membership
    }

    pub fn is_voter(&self, server: ServerId) -> bool {
        self.voters.contains(&server)
    }

    pub fn is_observer(&self, server: ServerId) -> bool {
        self.observers.contains(&server)
    }

    /// Every server, voters and observers.
    pub fn servers(&self) -> impl Iterator<Item = ServerId> + '_ {
        self.voters.iter().chain(self.observers.iter()).copied()
    }

    /// True when the voters among `servers` form a majority of all voters.
    pub fn is_quorum<'a>(&self, servers: impl IntoIterator<Item = &'a ServerId>) -> bool {
        self.voters_among(servers) > self.voters.len() / 2
    }

    /// How many of `servers` are voters.
    pub fn voters_among<'a>(&self, servers: impl IntoIterator<Item = &'a ServerId>) -> usize {
        servers
            .into_iter()
            .filter(|server| self.is_voter(**server))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_is_a_majority_of_voters_only() {
        let membership = Membership::new([ServerId(1), ServerId(2), ServerId(3)], [ServerId(4)]);
        assert!(!membership.is_quorum(&[ServerId(1)]));
        assert!(!membership.is_quorum(&[ServerId(1), ServerId(4)]));
        assert!(membership.is_quorum(&[ServerId(1), ServerId(3)]));
    }

    /// Ensembles of other sizes than three: with three voters `n / 2` and `n % 2` are both 1,
    /// so the model checks (all on three voters) cannot tell a majority from a miscount.
    #[test]
    fn quorum_is_a_strict_majority_for_four_and_five_voters() {
        let four = Membership::new((1..=4).map(ServerId), []);
        assert!(!four.is_quorum(&[ServerId(1), ServerId(2)]));
        assert!(four.is_quorum(&[ServerId(1), ServerId(2), ServerId(3)]));
        let five = Membership::new((1..=5).map(ServerId), []);
        assert!(!five.is_quorum(&[ServerId(1), ServerId(2)]));
        assert!(five.is_quorum(&[ServerId(1), ServerId(2), ServerId(3)]));
    }

    #[test]
    fn servers_are_the_voters_then_the_observers() {
        let membership = Membership::new([ServerId(2), ServerId(1)], [ServerId(3)]);
        assert_eq!(
            membership.servers().collect::<Vec<_>>(),
            vec![ServerId(1), ServerId(2), ServerId(3)]
        );
    }
}
