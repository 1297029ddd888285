//! Fast Leader Election on its own: the production [`Election`] state machine wrapped in a small
//! stateright actor, with no discovery, sync or broadcast behind it.
//!
//! Each server starts LOOKING with a configured own vote (peer epoch, last zxid), exchanges
//! notifications over FIFO links (like the TCP connections of ZooKeeper's `QuorumCnxManager`),
//! settles through a timer that fires at any time (`finalizeWait`), and once decided is
//! FOLLOWING, LEADING or OBSERVING for good, answering LOOKING servers with
//! [`answer_when_established`] exactly as the ZAB peer does. A server may crash and restart as
//! LOOKING in a new election, its own vote read back from its storage; see [`RestartRound`] for
//! the round it restarts in.
//!
//! One deliberate difference from the ZAB peer: a broadcast goes to the other voters only, as
//! ZooKeeper's `sendNotifications` does, while the peer also sends it to observers. A LOOKING
//! observer ignores LOOKING votes, and an OBSERVING one answers them, which the voter answers
//! back (it replies to every observer notification): the two then exchange notifications until
//! the voter decides. With the peer's broadcast, 3 voters and 1 observer do not finish in
//! minutes (over 5.8 M states at depth 18); with ZooKeeper's, about 1 M states in all.
//!
//! The properties are those of ZooKeeper's `FastLeaderElection.java`: the total order of
//! `totalOrderPredicate` and the `checkLeader` guard of `lookForLeader`.

use stateright::actor::{model_timeout, Actor, ActorModel, ActorModelState, Id, Network, Out};
use stateright::Expectation::{Always, Sometimes};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;
use zabkeeper_models::election::{
    answer_when_established, Election, ElectionAction, Membership, Notification, ServerState, Vote,
};
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::{Epoch, ServerId, Zxid};

/// One configuration of the election model.
#[derive(Clone, Debug)]
pub struct ElectionConfig {
    /// The voters' own votes as (peer epoch, last zxid); voter `i` is server `i`.
    pub voters: Vec<(u32, u64)>,
    /// Observers, numbered after the voters.
    pub observers: usize,
    /// Servers down at the same time.
    pub max_crashes: usize,
    /// Crashes (each followed by a restart, or not) over the whole run.
    pub max_restarts: u32,
    /// Only this server may crash (`None`: any server).
    pub crashable: Option<usize>,
    /// The round a restarted server starts in.
    pub restart_round: RestartRound,
    /// No server starts or adopts a round above this.
    pub max_round: u64,
    /// Seeded bugs; only the election's switches (`election_ignores_zxid`,
    /// `election_quorum_of_half`) matter here.
    pub mutations: Mutations,
}

impl ElectionConfig {
    pub fn servers(&self) -> usize {
        self.voters.len() + self.observers
    }

    pub fn membership(&self) -> Membership {
        Membership::new(
            (0..self.voters.len()).map(|index| ServerId(index as u64)),
            (self.voters.len()..self.servers()).map(|index| ServerId(index as u64)),
        )
    }

    /// The own vote of server `index`, `None` for an observer.
    pub fn own_vote(&self, index: usize) -> Option<Vote> {
        self.voters.get(index).map(|&(peer_epoch, zxid)| Vote {
            peer_epoch: Epoch(peer_epoch),
            zxid: Zxid(zxid),
            leader: ServerId(index as u64),
        })
    }

    pub fn into_model(self) -> ElectionModel {
        let membership = Arc::new(self.membership());
        let mut model = ActorModel::new(self.clone(), ());
        for index in 0..self.servers() {
            model = model.actor(ElectionServer {
                me: ServerId(index as u64),
                membership: Arc::clone(&membership),
                own_vote: self.own_vote(index),
                mutations: self.mutations,
                restart_round: self.restart_round,
            });
        }
        model
            .init_network(Network::new_ordered([]))
            .max_crashes(self.max_crashes)
            .within_boundary(within_boundary)
            .property(Always, UP_TO_DATE_LEADER, |_, state| {
                elected_leader_is_up_to_date(state)
            })
            .property(Always, LEADER_CONFIRMED, |_, state| {
                joined_only_confirmed_leaders(state)
            })
            .property(Always, QUORUM_BEHIND_SETTLED_VOTE, |model, state| {
                settled_vote_is_ahead_of_a_quorum(&model.cfg, state)
            })
            .property(Sometimes, ALL_VOTERS_AGREE, |model, state| {
                all_voters_agree(&model.cfg, state)
            })
            .property(Sometimes, RESTARTED_JOINED, |_, state| {
                restarted_server_joined(state)
            })
            .property(Sometimes, OBSERVER_JOINED, |model, state| {
                observer_joined(&model.cfg, state)
            })
    }
}

/// Which round a restarted server starts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartRound {
    /// Round 1, as a restarted ZooKeeper process does (`logicalclock` lives in memory) and as the
    /// ZAB peer does.
    First,
    /// The round after the one it last started: stands for a server that goes back to LOOKING
    /// without restarting (ZooKeeper increments `logicalclock` at every `lookForLeader`), and
    /// exercises the newer-round and older-round paths.
    Next,
}

pub type ElectionModel = ActorModel<ElectionServer, ElectionConfig, ()>;

/// One server running only the election.
#[derive(Clone, Debug)]
pub struct ElectionServer {
    pub me: ServerId,
    pub membership: Arc<Membership>,
    /// `None` for an observer.
    pub own_vote: Option<Vote>,
    pub mutations: Mutations,
    pub restart_round: RestartRound,
}

/// How a decided server got its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A quorum of LOOKING voters in its round agreed with its proposal and the settling period
    /// passed (`finalizeWait` in `lookForLeader`).
    Settled,
    /// FOLLOWING/LEADING servers told it who leads (the `outofelection` path of `lookForLeader`).
    Joined,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Looking(Election),
    /// FOLLOWING, LEADING or OBSERVING for the rest of the run.
    Decided {
        state: ServerState,
        vote: Vote,
        election_epoch: u64,
        how: Decision,
    },
}

/// What survives a crash.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Durable {
    /// The vote for this server itself (its `currentEpoch` and last logged zxid); `None` for an
    /// observer.
    pub own_vote: Option<Vote>,
    /// Starts so far, this one included.
    pub incarnation: u32,
    /// The round this server last started.
    pub round: u64,
    /// Auxiliary, read only by the properties: the rounds in which this server decided to lead.
    pub led_rounds: BTreeSet<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServerStatus {
    pub durable: Durable,
    pub role: Role,
}

/// The settling timer (`finalizeWait`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Settle;

impl ElectionServer {
    /// Carries out what the election asked, as the ZAB peer's `perform_election_actions` does,
    /// except that a broadcast goes to voters only (see the module comment).
    fn perform(
        &self,
        status: &mut ServerStatus,
        actions: Vec<ElectionAction>,
        how: Decision,
        out: &mut Out<Self>,
    ) {
        for action in actions {
            match action {
                ElectionAction::Broadcast(notification) => {
                    for server in self
                        .membership
                        .voters
                        .iter()
                        .filter(|server| **server != self.me)
                    {
                        out.send(id_of(*server), notification);
                    }
                }
                ElectionAction::Reply(server, notification) => {
                    out.send(id_of(server), notification)
                }
                ElectionAction::StartSettling => out.set_timer(Settle, model_timeout()),
                ElectionAction::StopSettling => out.cancel_timer(Settle),
                ElectionAction::Decided {
                    vote,
                    election_epoch,
                } => {
                    let state = if vote.leader == self.me {
                        status.durable.led_rounds.insert(election_epoch);
                        out.save(status.durable.clone());
                        ServerState::Leading
                    } else if self.membership.is_observer(self.me) {
                        ServerState::Observing
                    } else {
                        ServerState::Following
                    };
                    status.role = Role::Decided {
                        state,
                        vote,
                        election_epoch,
                        how,
                    };
                }
            }
        }
    }
}

fn id_of(server: ServerId) -> Id {
    Id::from(server.0 as usize)
}

fn server_of(id: Id) -> ServerId {
    ServerId(usize::from(id) as u64)
}

impl Actor for ElectionServer {
    type Msg = Notification;
    type Timer = Settle;
    type State = ServerStatus;
    type Storage = Durable;
    type Random = ();

    fn on_start(&self, _id: Id, storage: &Option<Durable>, out: &mut Out<Self>) -> ServerStatus {
        let mut durable = storage.clone().unwrap_or(Durable {
            own_vote: self.own_vote,
            incarnation: 0,
            round: 0,
            led_rounds: BTreeSet::new(),
        });
        let (election, actions) = Election::start(
            &self.membership,
            self.me,
            durable.own_vote,
            match self.restart_round {
                RestartRound::First => 0,
                RestartRound::Next => durable.round,
            },
            self.mutations,
        );
        durable.incarnation += 1;
        durable.round = election.election_epoch;
        out.save(durable.clone());
        let mut status = ServerStatus {
            durable,
            role: Role::Looking(election),
        };
        // A fresh election never decides at once: it needs another voter's notification.
        self.perform(&mut status, actions, Decision::Settled, out);
        status
    }

    fn on_msg(
        &self,
        _id: Id,
        status: &mut Cow<ServerStatus>,
        src: Id,
        notification: Notification,
        out: &mut Out<Self>,
    ) {
        match &status.role {
            Role::Decided {
                state,
                vote,
                election_epoch,
                ..
            } => {
                // Only a LOOKING server needs to hear who leads.
                if notification.sender_state == ServerState::Looking {
                    out.send(src, answer_when_established(*state, *vote, *election_epoch));
                }
            }
            Role::Looking(_) => {
                let status = status.to_mut();
                let Role::Looking(election) = &mut status.role else {
                    unreachable!("matched above");
                };
                let actions =
                    election.on_notification(&self.membership, server_of(src), notification);
                self.perform(status, actions, Decision::Joined, out);
            }
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        status: &mut Cow<ServerStatus>,
        _timer: &Settle,
        out: &mut Out<Self>,
    ) {
        let Role::Looking(election) = &status.role else {
            return;
        };
        if !election.settling {
            return;
        }
        let status = status.to_mut();
        let Role::Looking(election) = &mut status.role else {
            unreachable!("matched above");
        };
        let actions = election.on_settle_timeout(&self.membership);
        self.perform(status, actions, Decision::Settled, out);
    }
}

type State = ActorModelState<ElectionServer, ()>;

fn within_boundary(config: &ElectionConfig, state: &State) -> bool {
    // Crashes so far: every restart ended one, and a server that is down now is another. A crash
    // is explored only if its restart fits the budget.
    let mut crashes = 0;
    for (index, crashed) in state.crashed.iter().enumerate() {
        if *crashed {
            if config.crashable.is_some_and(|crashable| crashable != index) {
                return false;
            }
            crashes += 1;
        }
    }
    for status in &state.actor_states {
        let round = match &status.role {
            Role::Looking(election) => election.election_epoch,
            Role::Decided { election_epoch, .. } => *election_epoch,
        };
        if round > config.max_round {
            return false;
        }
        crashes += status.durable.incarnation.saturating_sub(1);
    }
    crashes <= config.max_restarts
}

fn decided(state: &State) -> impl Iterator<Item = (usize, ServerState, Vote, u64, Decision)> + '_ {
    state
        .actor_states
        .iter()
        .enumerate()
        .filter_map(|(index, status)| match status.role {
            Role::Decided {
                state,
                vote,
                election_epoch,
                how,
            } => Some((index, state, vote, election_epoch, how)),
            Role::Looking(_) => None,
        })
}

/// Always: an elected leader's vote is at least the own vote of every server that decided to
/// follow it, so the winner is as up to date as its followers.
///
/// Source: ZooKeeper's `FastLeaderElection.totalOrderPredicate` (a vote replaces the proposal
/// only if its peer epoch, then zxid, then server id is higher) and `lookForLeader`, which
/// decides only when a quorum of the round's votes equal the proposal.
///
/// "Decided to follow" means [`Decision::Settled`]: a server that joins an established leader
/// late may legitimately be ahead of it (the leader then truncates it with TRUNC), since the
/// quorum that elected the leader did not include it. The decided vote must also be the leader's
/// genuine own vote: votes are only ever copied, never made up.
pub const UP_TO_DATE_LEADER: &str =
    "FLE: an elected leader's vote is at least the own vote of every server that decided to follow it";

pub fn elected_leader_is_up_to_date(state: &State) -> bool {
    decided(state).all(|(index, _, vote, _, how)| {
        let genuine = state
            .actor_states
            .get(vote.leader.0 as usize)
            .is_some_and(|leader| leader.durable.own_vote == Some(vote));
        let own = state.actor_states[index].durable.own_vote;
        let up_to_date = how != Decision::Settled || own.is_none_or(|own| vote >= own);
        genuine && up_to_date
    })
}

/// Always: a vote a server settled on is at least the own votes of a quorum of voters, so the
/// leader it names has every txn a quorum of voters logged (and, by quorum intersection, every
/// txn a quorum acknowledged: what ZAB relies on, since a new leader syncs everyone to its own
/// history).
///
/// Source: `lookForLeader` settles only when the round's votes of a quorum of voters
/// (`recvset`, its own proposal included) equal its proposal (`termPredicate` over a
/// `QuorumVerifier` majority), and a voter's proposal is never below its own vote
/// (`totalOrderPredicate` only replaces it with a higher one). Own votes never change in this
/// model, so the quorum that was counted stays behind the vote; the property reads only the
/// current state (no auxiliary history).
pub const QUORUM_BEHIND_SETTLED_VOTE: &str =
    "FLE: a settled vote is at least the own votes of a quorum of voters";

pub fn settled_vote_is_ahead_of_a_quorum(config: &ElectionConfig, state: &State) -> bool {
    decided(state).all(|(_, _, vote, _, how)| {
        // Observers have no own vote, so this counts voters only: a majority of them is a quorum.
        let voters_behind = state
            .actor_states
            .iter()
            .filter(|status| status.durable.own_vote.is_some_and(|own| own <= vote))
            .count();
        how != Decision::Settled || voters_behind > config.voters.len() / 2
    })
}

/// Always: a server follows (or observes) a leader it learned from FOLLOWING/LEADING servers only
/// after that leader decided to lead, in that round or later.
///
/// Source: ZooKeeper's `FastLeaderElection.checkLeader`: a server leaves the election for a leader
/// other than itself only if that leader's own notification says LEADING.
pub const LEADER_CONFIRMED: &str =
    "FLE checkLeader: a server follows a leader only after that leader decided to lead, in that round or later";

pub fn joined_only_confirmed_leaders(state: &State) -> bool {
    decided(state).all(|(index, _, vote, election_epoch, how)| {
        let leader = vote.leader.0 as usize;
        how != Decision::Joined
            || leader == index
            || state.actor_states[leader]
                .durable
                .led_rounds
                .range(election_epoch..)
                .next()
                .is_some()
    })
}

/// Sometimes: every voter is up and decided on the same leader, which leads.
///
/// Source: the liveness goal of `lookForLeader` (FLE terminates with one leader when the voters
/// can talk); a `Sometimes` witness shows the safety properties are not vacuous.
pub const ALL_VOTERS_AGREE: &str = "FLE: every voter decided on the same leader";

pub fn all_voters_agree(config: &ElectionConfig, state: &State) -> bool {
    let mut leaders = BTreeSet::new();
    for index in 0..config.voters.len() {
        if state.crashed[index] {
            return false;
        }
        match state.actor_states[index].role {
            Role::Decided { vote, .. } => leaders.insert(vote.leader),
            Role::Looking(_) => return false,
        };
    }
    leaders.len() == 1
        && leaders.iter().all(|leader| {
            matches!(
                state.actor_states[leader.0 as usize].role,
                Role::Decided {
                    state: ServerState::Leading,
                    ..
                }
            )
        })
}

/// The leader `vote` names is up and LEADING with that vote in that round.
fn leads(state: &State, vote: Vote, election_epoch: u64) -> bool {
    let leader = vote.leader.0 as usize;
    !state.crashed[leader]
        && matches!(
            state.actor_states[leader].role,
            Role::Decided {
                state: ServerState::Leading,
                vote: led,
                election_epoch: round,
                ..
            } if led == vote && round == election_epoch
        )
}

/// Sometimes: a server that restarted joined the leader that was established without it.
///
/// Source: `lookForLeader`'s FOLLOWING/LEADING cases (`outofelection`), which let a server that
/// comes back learn the leader from the ensemble's answers.
pub const RESTARTED_JOINED: &str = "FLE: a restarted server joined the established leader";

pub fn restarted_server_joined(state: &State) -> bool {
    decided(state).any(|(index, server_state, vote, election_epoch, how)| {
        !state.crashed[index]
            && state.actor_states[index].durable.incarnation > 1
            && how == Decision::Joined
            && server_state != ServerState::Leading
            && leads(state, vote, election_epoch)
    })
}

/// Sometimes: an observer learned the established leader.
///
/// Source: `lookForLeader` for observers (`OBSERVING` servers never vote; they learn the leader
/// from FOLLOWING/LEADING notifications only).
pub const OBSERVER_JOINED: &str = "FLE: an observer joined the established leader";

pub fn observer_joined(config: &ElectionConfig, state: &State) -> bool {
    decided(state).any(|(index, server_state, vote, election_epoch, _)| {
        index >= config.voters.len()
            && !state.crashed[index]
            && server_state == ServerState::Observing
            && leads(state, vote, election_epoch)
    })
}
