//! Fast Leader Election, as ZooKeeper's `FastLeaderElection.lookForLeader` runs it, written as a
//! pure state machine.
//!
//! A LOOKING server proposes itself and tells everyone. Whenever it hears a better vote in its
//! round (higher peer epoch, then zxid, then server id) it adopts that vote and tells everyone
//! again. A higher round from anyone resets its tally. Once a quorum of voters in its round
//! propose the same vote, it waits a settling period (`finalizeWait`) for a better vote; if none
//! comes, the vote's leader is elected. A server joining an ensemble that already has a leader
//! learns it from the FOLLOWING/LEADING servers' answers, and follows only when a quorum says so
//! and the leader itself says LEADING. Observers take part only to learn the leader; their votes
//! never count.

mod quorum;
mod vote;

pub use quorum::Membership;
pub use vote::{Notification, ServerState, Vote};

use crate::ids::ServerId;
use crate::mutation::Mutations;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the election asks its driver to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ElectionAction {
    /// Send this notification to every other server.
    Broadcast(Notification),
    /// Send this notification to one server.
    Reply(ServerId, Notification),
    /// A quorum agrees on the proposal: start the settling timer (`finalizeWait`); the decision
    /// comes from [`Election::on_settle_timeout`] unless a better vote arrives first.
    StartSettling,
    /// Stop the settling timer: a better vote arrived.
    StopSettling,
    /// The election is over: `vote.leader` leads.
    Decided { vote: Vote, election_epoch: u64 },
}

/// One server's election in progress (LOOKING state). Volatile: a restart starts a new one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Election {
    pub me: ServerId,
    /// This server's round (`logicalclock`).
    pub election_epoch: u64,
    /// The vote for this server itself: its own peer epoch and last zxid. `None` for observers,
    /// which never propose.
    pub own_vote: Option<Vote>,
    /// The vote this server currently proposes.
    pub proposal: Option<Vote>,
    /// Votes of LOOKING voters in this round, this server's own included (`recvset`).
    pub tally: BTreeMap<ServerId, Vote>,
    /// Latest notification from each FOLLOWING or LEADING server (`outofelection`).
    pub established: BTreeMap<ServerId, Notification>,
    /// A quorum agreed and the settling timer runs.
    pub settling: bool,
    /// Seeded bugs (`election_ignores_zxid`, `election_quorum_of_half`); `NONE` in the server.
    pub mutations: Mutations,
}

impl Election {
    /// Starts a new round after `previous_election_epoch`. `own_vote` is `None` for an observer.
    pub fn start(
        membership: &Membership,
        me: ServerId,
        own_vote: Option<Vote>,
        previous_election_epoch: u64,
        mutations: Mutations,
    ) -> (Election, Vec<ElectionAction>) {
        assert_eq!(
            own_vote.is_some(),
            membership.is_voter(me),
            "voters propose themselves, observers propose nobody"
        );
        if let Some(vote) = own_vote {
            assert_eq!(vote.leader, me);
        }
        let mut election = Election {
            me,
            election_epoch: previous_election_epoch + 1,
            own_vote,
            proposal: own_vote,
            tally: BTreeMap::new(),
            established: BTreeMap::new(),
            settling: false,
            mutations,
        };
        let mut actions = vec![ElectionAction::Broadcast(election.notification())];
        if let Some(vote) = own_vote {
            election.tally.insert(me, vote);
            // A lone voter is its own quorum: nobody else's notification will start the wait.
            if election.quorum_agrees(membership, &vote) {
                election.settling = true;
                actions.push(ElectionAction::StartSettling);
            }
        }
        election.assert_consistent(membership, previous_election_epoch + 1, &actions);
        (election, actions)
    }

    /// The election of a server that has not begun its first round; `start` replaces it.
    pub fn idle(me: ServerId) -> Election {
        Election {
            me,
            election_epoch: 0,
            own_vote: None,
            proposal: None,
            tally: BTreeMap::new(),
            established: BTreeMap::new(),
            settling: false,
            mutations: Mutations::NONE,
        }
    }

    /// This server's notification as it stands.
    pub fn notification(&self) -> Notification {
        Notification {
            sender_state: ServerState::Looking,
            vote: self.proposal.unwrap_or(Vote {
                peer_epoch: crate::ids::Epoch::ZERO,
                zxid: crate::ids::Zxid::ZERO,
                leader: self.me,
            }),
            election_epoch: self.election_epoch,
        }
    }

    /// FLE's total order: is `candidate` better than `current`?
    fn beats(&self, candidate: &Vote, current: &Vote) -> bool {
        if self.mutations.election_ignores_zxid {
            (candidate.peer_epoch, candidate.leader) > (current.peer_epoch, current.leader)
        } else {
            candidate > current
        }
    }

    pub fn on_notification(
        &mut self,
        membership: &Membership,
        from: ServerId,
        notification: Notification,
    ) -> Vec<ElectionAction> {
        assert_ne!(from, self.me, "a server's own vote is tallied directly");
        let round_before = self.election_epoch;
        let mut actions = Vec::new();
        if !membership.is_voter(from) {
            // An observer asks who leads; tell it what we propose. Its vote never counts.
            actions.push(ElectionAction::Reply(from, self.notification()));
            return actions;
        }
        match notification.sender_state {
            ServerState::Looking => {
                self.on_looking_vote(membership, from, notification, &mut actions)
            }
            ServerState::Following | ServerState::Leading => {
                self.on_established_vote(membership, from, notification, &mut actions)
            }
            // Observers are not voters and were answered above.
            ServerState::Observing => {}
        }
        self.assert_consistent(membership, round_before, &actions);
        actions
    }

    fn on_looking_vote(
        &mut self,
        membership: &Membership,
        from: ServerId,
        notification: Notification,
        actions: &mut Vec<ElectionAction>,
    ) {
        let Some(proposal) = self.proposal else {
            // Observers learn the leader only from established servers.
            return;
        };
        let vote = notification.vote;
        if !membership.is_voter(vote.leader) {
            return;
        }
        if notification.election_epoch > self.election_epoch {
            // A newer round: forget this round's tally and start from our own vote or theirs.
            self.election_epoch = notification.election_epoch;
            self.tally.clear();
            let own = self.own_vote.expect("voters have an own vote");
            self.proposal = Some(if self.beats(&vote, &own) { vote } else { own });
            self.stop_settling(actions);
            actions.push(ElectionAction::Broadcast(self.notification()));
        } else if notification.election_epoch < self.election_epoch {
            // The sender is behind: tell it about our round so it catches up.
            actions.push(ElectionAction::Reply(from, self.notification()));
            return;
        } else if self.beats(&vote, &proposal) {
            self.proposal = Some(vote);
            self.stop_settling(actions);
            actions.push(ElectionAction::Broadcast(self.notification()));
        }
        let proposal = self.proposal.expect("voters propose");
        self.tally.insert(self.me, proposal);
        self.tally.insert(from, vote);
        if !self.settling && self.quorum_agrees(membership, &proposal) {
            self.settling = true;
            actions.push(ElectionAction::StartSettling);
        }
    }

    fn on_established_vote(
        &mut self,
        membership: &Membership,
        from: ServerId,
        notification: Notification,
        actions: &mut Vec<ElectionAction>,
    ) {
        let vote = notification.vote;
        if !membership.is_voter(vote.leader) {
            // Only a voter leads: a claim otherwise is not an established leader.
            return;
        }
        // Recorded first, so that the leader's own LEADING notification can confirm it.
        self.established.insert(from, notification);
        if notification.election_epoch == self.election_epoch && self.proposal.is_some() {
            self.tally.insert(from, vote);
            // Within this round, only the leader's LEADING notification of this round confirms
            // it (ZooKeeper checks against `recvset`, which holds this round only): an older
            // round's LEADING says nothing about whether it leads now.
            if self.quorum_agrees(membership, &vote)
                && self.leader_confirms(&vote, Some(notification.election_epoch))
            {
                self.decide(vote, actions);
                return;
            }
        }
        let agreeing: Vec<ServerId> = self
            .established
            .iter()
            .filter(|(_, other)| {
                other.vote == vote && other.election_epoch == notification.election_epoch
            })
            .map(|(server, _)| *server)
            .collect();
        // Joining an established leader ignores the leader's own round, as ZooKeeper's
        // out-of-election check does: servers that joined later report later rounds.
        if self.is_quorum(membership, &agreeing)
            && self.leader_confirms_joining(&vote, notification)
        {
            // Join the established leader in its round.
            self.election_epoch = notification.election_epoch;
            self.decide(vote, actions);
        }
    }

    /// ZooKeeper's `checkLeader`: follow another server only once it says itself that it leads
    /// (in `round`, when given); lead only if the quorum's round is ours.
    fn leader_confirms(&self, vote: &Vote, round: Option<u64>) -> bool {
        if vote.leader == self.me {
            round.is_none_or(|round| round == self.election_epoch)
        } else {
            self.established.get(&vote.leader).is_some_and(|leader| {
                leader.sender_state == ServerState::Leading
                    && round.is_none_or(|round| leader.election_epoch == round)
            })
        }
    }

    fn leader_confirms_joining(&self, vote: &Vote, notification: Notification) -> bool {
        if vote.leader == self.me {
            notification.election_epoch == self.election_epoch
        } else {
            self.leader_confirms(vote, None)
        }
    }

    fn quorum_agrees(&self, membership: &Membership, vote: &Vote) -> bool {
        let agreeing: Vec<ServerId> = self
            .tally
            .iter()
            .filter(|(_, other)| *other == vote)
            .map(|(server, _)| *server)
            .collect();
        self.is_quorum(membership, &agreeing)
    }

    /// Whether `servers` are enough voters to elect: a majority of the voters.
    fn is_quorum(&self, membership: &Membership, servers: &[ServerId]) -> bool {
        if self.mutations.election_quorum_of_half {
            return membership.voters_among(servers) >= membership.voters.len() / 2;
        }
        membership.is_quorum(servers)
    }

    fn stop_settling(&mut self, actions: &mut Vec<ElectionAction>) {
        if self.settling {
            self.settling = false;
            actions.push(ElectionAction::StopSettling);
        }
    }

    fn decide(&mut self, vote: Vote, actions: &mut Vec<ElectionAction>) {
        self.stop_settling(actions);
        actions.push(ElectionAction::Decided {
            vote,
            election_epoch: self.election_epoch,
        });
    }

    /// The settling period passed with no better vote: the proposal stands.
    pub fn on_settle_timeout(&mut self, membership: &Membership) -> Vec<ElectionAction> {
        let mut actions = Vec::new();
        if !self.settling {
            return actions;
        }
        self.settling = false;
        let proposal = self.proposal.expect("only voters settle");
        if self.quorum_agrees(membership, &proposal) {
            actions.push(ElectionAction::Decided {
                vote: proposal,
                election_epoch: self.election_epoch,
            });
        }
        self.assert_consistent(membership, self.election_epoch, &actions);
        actions
    }

    /// What holds after every step of a round, and of what the step asks its driver to do
    /// (TigerBeetle-style: checked in the server and in every model run).
    fn assert_consistent(
        &self,
        membership: &Membership,
        round_before: u64,
        actions: &[ElectionAction],
    ) {
        let decided = actions
            .iter()
            .any(|action| matches!(action, ElectionAction::Decided { .. }));
        // Joining an established leader takes the leader's round, which may be older (as
        // ZooKeeper sets its logical clock from the FOLLOWING/LEADING notification); the
        // election ends there.
        assert!(
            self.election_epoch >= round_before || decided,
            "a server's round never goes back while it looks"
        );
        // A voter proposes the best vote it has heard in its round, its own included; an
        // observer proposes nobody and tallies nothing.
        assert_eq!(self.proposal.is_some(), self.own_vote.is_some());
        assert_eq!(
            self.tally.get(&self.me),
            self.proposal.as_ref(),
            "a voter's own entry in its tally is what it proposes"
        );
        if let (Some(own), Some(proposal)) = (self.own_vote, self.proposal) {
            assert!(
                !self.beats(&own, &proposal),
                "a voter never proposes a vote its own vote beats"
            );
            assert!(membership.is_voter(proposal.leader), "only voters lead");
        }
        assert!(
            self.tally.keys().all(|server| membership.is_voter(*server)),
            "only voters' votes are tallied"
        );
        assert!(
            !self.settling || self.proposal.is_some(),
            "only a voter waits to settle"
        );
        for action in actions {
            match action {
                // Every notification sent is this server's, in the round it began the step in
                // or the one it ends in.
                ElectionAction::Broadcast(sent) | ElectionAction::Reply(_, sent) => {
                    assert_eq!(sent.sender_state, ServerState::Looking);
                    assert!(
                        sent.election_epoch == round_before
                            || sent.election_epoch == self.election_epoch
                    );
                }
                ElectionAction::Decided {
                    vote,
                    election_epoch,
                } => {
                    assert_eq!(
                        *election_epoch, self.election_epoch,
                        "a server decides in its own round"
                    );
                    assert!(membership.is_voter(vote.leader), "only voters lead");
                }
                ElectionAction::StartSettling | ElectionAction::StopSettling => {}
            }
        }
        // The settling timer runs exactly when the step's last word on it started it.
        let last_word = actions.iter().rev().find(|action| {
            matches!(
                action,
                ElectionAction::StartSettling
                    | ElectionAction::StopSettling
                    | ElectionAction::Decided { .. }
            )
        });
        if let Some(last_word) = last_word {
            assert_eq!(
                self.settling,
                *last_word == ElectionAction::StartSettling,
                "the settling flag follows the timer the step asked for"
            );
        }
    }
}

/// What a server that is not LOOKING answers a LOOKING server: its current vote and state, so
/// that the newcomer can join the established leader.
pub fn answer_when_established(
    state: ServerState,
    vote: Vote,
    election_epoch: u64,
) -> Notification {
    assert_ne!(state, ServerState::Looking);
    Notification {
        sender_state: state,
        vote,
        election_epoch,
    }
}

#[cfg(test)]
mod tests;
