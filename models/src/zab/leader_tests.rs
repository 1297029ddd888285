//! The leader's handlers against the exact commands they emit (golden tests): discovery's epoch
//! choice, the sync plan, the NEWLEADER quorum, proposals and commits in zxid order, and the
//! ways a leader gives up. The order of `Save` and `Send` within a step is the durability
//! contract the driver relies on, so every test compares whole command lists.

use super::tests::{proposal, step, Machine, PeerCommand, Value};
use super::*;
use crate::election::Membership;
use crate::ids::{Epoch, ServerId, Zxid};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

pub(super) type Message = super::peer::Message<Machine>;

/// A command in a form tests can compare whole.
#[derive(Debug, PartialEq)]
pub(super) enum Effect {
    Save(super::peer::Durable<Machine>),
    Send(usize, Message),
    Other(String),
}

pub(super) fn effects(commands: Vec<PeerCommand>) -> Vec<Effect> {
    commands
        .into_iter()
        .map(|command| match command {
            Command::Save(disk) => Effect::Save(disk),
            Command::Send(to, message) => Effect::Send(usize::from(to), message),
            other => Effect::Other(format!("{other:?}")),
        })
        .collect()
}

fn send(to: usize, message: Message) -> Effect {
    Effect::Send(to, message)
}

pub(super) const OBSERVER: u64 = 3;
pub(super) const CLIENT: usize = 10;

/// Server 0 of `voters` voters (0, 1, ...) plus an observer numbered next (3 among 3 voters), elected by the oracle, without a failure
/// detector unless a test arms one.
pub(super) fn leader_peer(voters: u64) -> Peer<Machine> {
    let mut peer = Peer::new(
        ServerId(0),
        Membership::new((0..voters).map(ServerId), [ServerId(voters)]),
        Register::new(),
    );
    peer.election_mode = ElectionMode::Oracle;
    peer.tick = None;
    peer
}

/// Server 0 started from `disk` and chosen as leader: a prospective leader in discovery.
pub(super) fn prospective_leader(
    peer: &Peer<Machine>,
    disk: super::peer::Durable<Machine>,
) -> PeerState<Machine> {
    let mut out = Out::new();
    let state = peer.on_start(Id::from(0), &Some(disk), &mut out);
    let mut state = Cow::Owned(state);
    let mut out = Out::new();
    peer.on_random(Id::from(0), &mut state, &ServerId(0), &mut out);
    let state = state.into_owned();
    assert!(
        matches!(&state.role, Role::Leading(leadership) if leadership.phase == LeaderPhase::Discovery)
    );
    state
}

fn disk(epoch: u32, proposals: &[Proposal<Value>]) -> super::peer::Durable<Machine> {
    DurableState {
        accepted_epoch: Epoch(epoch),
        current_epoch: Epoch(epoch),
        history: Arc::new(proposals.to_vec()),
        ..DurableState::default()
    }
}

fn follower_info(accepted_epoch: u32, is_observer: bool) -> Message {
    PeerMessage::FollowerInfo {
        accepted_epoch: Epoch(accepted_epoch),
        is_observer,
    }
}

fn ack_epoch(new_epoch: u32, promised: bool, current_epoch: u32, last_zxid: Zxid) -> Message {
    PeerMessage::AckEpoch {
        new_epoch: Epoch(new_epoch),
        promised,
        current_epoch: Epoch(current_epoch),
        last_zxid,
    }
}

fn ack_new_leader(epoch: u32, last_zxid: Zxid) -> Message {
    PeerMessage::AckNewLeader {
        epoch: Epoch(epoch),
        last_zxid,
    }
}

fn up_to_date(epoch: u32, committed_through: Zxid) -> Message {
    PeerMessage::UpToDate {
        epoch: Epoch(epoch),
        committed_through,
    }
}

pub(super) fn leadership(state: &PeerState<Machine>) -> &Leadership {
    match &state.role {
        Role::Leading(leadership) => leadership,
        other => panic!("not leading: {other:?}"),
    }
}

/// A leader of epoch 1 from an empty disk with followers 1 and 2 and the observer synced.
pub(super) fn established_leader(peer: &Peer<Machine>) -> PeerState<Machine> {
    let mut state = prospective_leader(peer, DurableState::default());
    for learner in [1, 2, OBSERVER] {
        step(
            peer,
            &mut state,
            learner,
            follower_info(0, learner == OBSERVER),
        );
    }
    for learner in [1, 2, OBSERVER] {
        step(peer, &mut state, learner, ack_epoch(1, true, 0, Zxid::ZERO));
    }
    for learner in [1, 2, OBSERVER] {
        step(peer, &mut state, learner, ack_new_leader(1, Zxid::ZERO));
    }
    assert_eq!(leadership(&state).phase, LeaderPhase::Broadcast);
    state
}

fn client_write(peer: &Peer<Machine>, state: &mut PeerState<Machine>, value: Value) -> Vec<Effect> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    let request = PeerMessage::ClientWrite { request: value };
    peer.on_msg(Id::from(0), &mut cow, Id::from(CLIENT), request, &mut out);
    *state = cow.into_owned();
    effects(out.into_iter().collect())
}

pub(super) fn tick(peer: &Peer<Machine>, state: &mut PeerState<Machine>) -> Vec<PeerCommand> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_timeout(Id::from(0), &mut cow, &PeerTimer::Tick, &mut out);
    *state = cow.into_owned();
    out.into_iter().collect()
}

fn assert_nothing_saved_or_sent(effects: &[Effect]) {
    assert!(
        effects
            .iter()
            .all(|effect| !matches!(effect, Effect::Save(_) | Effect::Send(..))),
        "a leader that gives up neither saves nor sends: {effects:?}"
    );
}

#[test]
fn discovery_waits_for_a_quorum_then_saves_an_epoch_above_every_accepted_one_before_leaderinfo() {
    let peer = leader_peer(5);
    let mut state = prospective_leader(&peer, disk(2, &[]));
    assert_eq!(
        effects(step(&peer, &mut state, 1, follower_info(4, false))),
        []
    );
    let effects = effects(step(&peer, &mut state, 2, follower_info(3, false)));
    let saved = DurableState {
        accepted_epoch: Epoch(5),
        incarnation: 1,
        ..disk(2, &[])
    };
    let leader_info = PeerMessage::LeaderInfo {
        new_epoch: Epoch(5),
    };
    assert_eq!(
        effects,
        [
            Effect::Save(saved),
            send(1, leader_info.clone()),
            send(2, leader_info),
        ]
    );
}

#[test]
fn a_learner_that_connects_after_the_epoch_is_chosen_hears_it_without_a_save() {
    let peer = leader_peer(3);
    let mut state = prospective_leader(&peer, disk(1, &[]));
    step(&peer, &mut state, 1, follower_info(1, false));
    let effects = effects(step(&peer, &mut state, 2, follower_info(0, false)));
    let leader_info = PeerMessage::LeaderInfo {
        new_epoch: Epoch(2),
    };
    assert_eq!(effects, [send(2, leader_info)]);
}

#[test]
fn a_learner_claiming_a_role_the_configuration_does_not_give_it_is_ignored() {
    let peer = leader_peer(3);
    let mut state = prospective_leader(&peer, disk(1, &[]));
    assert_eq!(
        effects(step(&peer, &mut state, OBSERVER, follower_info(1, false))),
        []
    );
    assert_eq!(
        effects(step(&peer, &mut state, 1, follower_info(1, true))),
        []
    );
    assert!(leadership(&state).learners.is_empty());
    assert_eq!(leadership(&state).epoch, None);
}

#[test]
fn a_quorum_of_epoch_acks_writes_the_current_epoch_before_any_learner_is_synced() {
    let peer = leader_peer(3);
    let history = [proposal(1, 1, 10), proposal(1, 2, 20)];
    let mut state = prospective_leader(&peer, disk(1, &history));
    step(&peer, &mut state, 1, follower_info(1, false));
    let effects = effects(step(
        &peer,
        &mut state,
        1,
        ack_epoch(2, true, 1, Zxid::new(Epoch(1), 1)),
    ));
    let saved = DurableState {
        accepted_epoch: Epoch(2),
        current_epoch: Epoch(2),
        incarnation: 1,
        ..disk(1, &history)
    };
    let new_leader = PeerMessage::NewLeader(NewLeader {
        epoch: Epoch(2),
        kind: SyncKind::Diff,
        snapshot: None,
        sync_point: Zxid::new(Epoch(1), 1),
        proposals: vec![proposal(1, 2, 20)],
    });
    assert_eq!(effects, [Effect::Save(saved), send(1, new_leader)]);
    assert_eq!(leadership(&state).phase, LeaderPhase::Synchronization);
}

#[test]
fn an_epoch_ack_without_a_promise_does_not_count_toward_the_quorum() {
    let peer = leader_peer(3);
    let mut state = prospective_leader(&peer, disk(1, &[]));
    step(&peer, &mut state, 1, follower_info(1, false));
    step(&peer, &mut state, 2, follower_info(1, false));
    let unpromised = ack_epoch(2, false, 1, Zxid::ZERO);
    assert_eq!(effects(step(&peer, &mut state, 1, unpromised)), []);
    assert_eq!(leadership(&state).phase, LeaderPhase::Discovery);
    // A promised ack from the other follower completes the quorum; both are synced.
    let effects = effects(step(
        &peer,
        &mut state,
        2,
        ack_epoch(2, true, 1, Zxid::ZERO),
    ));
    assert!(matches!(&effects[0], Effect::Save(disk) if disk.current_epoch == Epoch(2)));
    let synced: Vec<usize> = effects[1..]
        .iter()
        .map(|effect| match effect {
            Effect::Send(to, PeerMessage::NewLeader(_)) => *to,
            other => panic!("expected NEWLEADER, got {other:?}"),
        })
        .collect();
    assert_eq!(synced, [1, 2]);
}

#[test]
fn a_learner_with_a_longer_history_makes_the_prospective_leader_elect_again() {
    let peer = leader_peer(3);
    let history = [proposal(1, 1, 10), proposal(1, 2, 20)];
    let mut state = prospective_leader(&peer, disk(1, &history));
    step(&peer, &mut state, 1, follower_info(1, false));
    let ahead = ack_epoch(2, true, 1, Zxid::new(Epoch(1), 3));
    let effects = effects(step(&peer, &mut state, 1, ahead));
    assert_nothing_saved_or_sent(&effects);
    assert!(matches!(state.role, Role::Looking(_)));
    assert_eq!(state.durable.current_epoch, Epoch(1), "nothing was written");
}

#[test]
fn a_quorum_of_newleader_acks_commits_the_initial_history_and_sends_uptodate() {
    let peer = leader_peer(3);
    let history = [proposal(1, 1, 10), proposal(1, 2, 20)];
    let mut state = prospective_leader(&peer, disk(1, &history));
    step(&peer, &mut state, 1, follower_info(1, false));
    step(&peer, &mut state, 1, ack_epoch(2, true, 1, Zxid::ZERO));
    assert_eq!(state.committed_through, Zxid::ZERO);
    // Synchronising: not established, so it serves no read and has delivered nothing.
    assert_eq!(leadership(&state).phase, LeaderPhase::Synchronization);
    assert_eq!(state.established_epoch(), None);
    assert!(state.read_view().is_none());
    assert!(state.delivered().is_empty());
    let last = Zxid::new(Epoch(1), 2);
    assert_eq!(
        effects(step(&peer, &mut state, 1, ack_new_leader(2, last))),
        [send(1, up_to_date(2, last))]
    );
    assert_eq!(leadership(&state).phase, LeaderPhase::Broadcast);
    assert_eq!(state.committed_through, last);
    assert_eq!(state.established_epoch(), Some(Epoch(2)));
    assert_eq!(state.delivered(), history);
    assert!(state.read_view().is_some());

    // A follower that joins an established leader is synced and told at once.
    step(&peer, &mut state, 2, follower_info(1, false));
    let synced = effects(step(&peer, &mut state, 2, ack_epoch(2, true, 1, last)));
    let new_leader = PeerMessage::NewLeader(NewLeader {
        epoch: Epoch(2),
        kind: SyncKind::Diff,
        snapshot: None,
        sync_point: last,
        proposals: vec![],
    });
    assert_eq!(synced, [send(2, new_leader)]);
    assert_eq!(
        effects(step(&peer, &mut state, 2, ack_new_leader(2, last))),
        [send(2, up_to_date(2, last))]
    );
}

#[test]
fn a_write_is_logged_before_it_is_proposed_and_observers_get_no_proposal() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    let effects = client_write(&peer, &mut state, 7);
    let first = proposal(1, 1, 7);
    let saved = DurableState {
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        history: Arc::new(vec![first.clone()]),
        incarnation: 1,
        ..DurableState::default()
    };
    let propose = PeerMessage::Propose { proposal: first };
    assert_eq!(
        effects,
        [
            Effect::Save(saved),
            send(1, propose.clone()),
            send(2, propose)
        ]
    );
}

#[test]
fn acks_from_a_quorum_commit_in_zxid_order_and_observers_are_informed() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    client_write(&peer, &mut state, 7);
    client_write(&peer, &mut state, 8);
    let (first, second) = (proposal(1, 1, 7), proposal(1, 2, 8));
    // The observer's ack does not count: it is not a voter.
    let observer_ack = PeerMessage::Ack { zxid: second.zxid };
    assert_eq!(effects(step(&peer, &mut state, OBSERVER, observer_ack)), []);
    // One follower's ack of the second proposal covers the first: both commit, in order.
    let ack = PeerMessage::Ack { zxid: second.zxid };
    let effects = effects(step(&peer, &mut state, 1, ack));
    let mut expected = Vec::new();
    for (position, committed) in [(1, &first), (2, &second)] {
        let answer = PeerMessage::WriteCommitted {
            zxid: committed.zxid,
            position,
            payload: committed.payload,
        };
        expected.push(send(CLIENT, answer));
        let commit = PeerMessage::Commit {
            zxid: committed.zxid,
        };
        expected.push(send(1, commit.clone()));
        expected.push(send(2, commit));
        let inform = PeerMessage::Inform {
            proposal: committed.clone(),
        };
        expected.push(send(OBSERVER as usize, inform));
    }
    assert_eq!(effects, expected);
    assert_eq!(state.committed_through, second.zxid);
    assert!(leadership(&state).outstanding.is_empty());
}

#[test]
fn a_leader_that_hears_from_no_quorum_for_its_limit_of_ticks_elects_again() {
    let mut peer = leader_peer(3);
    peer.tick = Some(Duration::from_millis(2000)..Duration::from_millis(2000));
    peer.silent_ticks_max = 2;
    let mut state = established_leader(&peer);
    // The followers were heard while joining: the first tick pings everyone.
    let pinged: Vec<usize> = effects(tick(&peer, &mut state))
        .into_iter()
        .filter_map(|effect| match effect {
            Effect::Send(
                to,
                PeerMessage::Ping {
                    epoch: Epoch(1), ..
                },
            ) => Some(to),
            Effect::Send(..) | Effect::Save(_) => panic!("only pings: {effect:?}"),
            Effect::Other(_) => None,
        })
        .collect();
    assert_eq!(pinged, [1, 2, OBSERVER as usize]);
    // Silence: one tick is tolerated (and pings are not repeated while unanswered)...
    let silent = effects(tick(&peer, &mut state));
    assert!(silent
        .iter()
        .all(|effect| matches!(effect, Effect::Other(_))));
    assert_eq!(leadership(&state).silent_ticks, 1);
    // ...a ping answer from one follower makes a quorum with the leader again...
    let answer = PeerMessage::Ping {
        epoch: Epoch(1),
        round: 1,
        touched_sessions: vec![],
    };
    step(&peer, &mut state, 1, answer);
    tick(&peer, &mut state);
    assert_eq!(leadership(&state).silent_ticks, 0);
    // ...and two silent ticks in a row end the leadership.
    tick(&peer, &mut state);
    let effects = effects(tick(&peer, &mut state));
    assert_nothing_saved_or_sent(&effects);
    assert!(matches!(state.role, Role::Looking(_)));
}

#[test]
fn an_exhausted_zxid_counter_ends_the_epoch_instead_of_proposing() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    state.durable.append(proposal(1, u32::MAX, 9));
    let effects = client_write(&peer, &mut state, 7);
    assert_nothing_saved_or_sent(&effects);
    assert!(matches!(state.role, Role::Looking(_)));
    assert_eq!(state.durable.last_zxid(), Zxid::new(Epoch(1), u32::MAX));
}

fn session_clock_timeout(peer: &Peer<Machine>, state: &mut PeerState<Machine>) -> Vec<PeerCommand> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_timeout(Id::from(0), &mut cow, &PeerTimer::SessionClock, &mut out);
    *state = cow.into_owned();
    out.into_iter().collect()
}

fn arms(commands: &[PeerCommand], timer: PeerTimer) -> bool {
    commands
        .iter()
        .any(|command| matches!(command, Command::SetTimer(set, _) if *set == timer))
}

#[test]
fn the_model_session_clock_runs_from_establishment_to_its_end() {
    let mut peer = leader_peer(3);
    peer.session_clock = Some(SessionClockModel {
        step_ms: 10,
        end_ms: 20,
    });
    let mut state = prospective_leader(&peer, DurableState::default());
    step(&peer, &mut state, 1, follower_info(0, false));
    step(&peer, &mut state, 1, ack_epoch(1, true, 0, Zxid::ZERO));
    let established = step(&peer, &mut state, 1, ack_new_leader(1, Zxid::ZERO));
    assert_eq!(state.established_epoch(), Some(Epoch(1)));
    assert!(arms(&established, PeerTimer::SessionClock));
    let first = session_clock_timeout(&peer, &mut state);
    assert_eq!(state.clock_ms, 10);
    assert!(arms(&first, PeerTimer::SessionClock));
    // The reading at the end is the last: nothing is armed past it.
    let last = session_clock_timeout(&peer, &mut state);
    assert_eq!(state.clock_ms, 20);
    assert!(!arms(&last, PeerTimer::SessionClock));
}

#[test]
fn a_tick_rearms_itself_with_the_period_of_the_role() {
    let mut peer = leader_peer(3);
    let period = Duration::from_millis(100)..Duration::from_millis(100);
    peer.tick = Some(period.clone());
    let mut state = established_leader(&peer);
    let commands = tick(&peer, &mut state);
    assert!(commands.iter().any(|command| matches!(
        command,
        Command::SetTimer(PeerTimer::Tick, set) if *set == period
    )));
}

#[test]
fn an_established_leader_tells_a_looking_server_who_leads_and_no_one_else() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    let vote = crate::election::Vote {
        peer_epoch: Epoch(0),
        zxid: Zxid::ZERO,
        leader: ServerId(2),
    };
    let notification = |sender_state| {
        PeerMessage::Notification(crate::election::Notification {
            sender_state,
            vote,
            election_epoch: 1,
        })
    };
    let answer = effects(step(
        &peer,
        &mut state,
        2,
        notification(crate::election::ServerState::Looking),
    ));
    assert!(matches!(
        answer.as_slice(),
        [Effect::Send(2, PeerMessage::Notification(told))]
            if told.sender_state == crate::election::ServerState::Leading
    ));
    let following = notification(crate::election::ServerState::Following);
    assert!(step(&peer, &mut state, 2, following).is_empty());
    assert!(matches!(state.role, Role::Leading(_)));
}

#[test]
fn an_ackepoch_counts_only_in_the_leaders_epoch_from_a_learner_that_asked_to_join() {
    let peer = leader_peer(3);
    let mut state = prospective_leader(&peer, DurableState::default());
    // Server 1 never sent FOLLOWERINFO: its ACKEPOCH is ignored.
    let before = state.clone();
    assert!(step(&peer, &mut state, 1, ack_epoch(1, true, 0, Zxid::ZERO)).is_empty());
    assert_eq!(state, before);
    step(&peer, &mut state, 1, follower_info(0, false));
    // Another epoch's ACKEPOCH is ignored too.
    let before = state.clone();
    assert!(step(&peer, &mut state, 1, ack_epoch(7, true, 0, Zxid::ZERO)).is_empty());
    assert_eq!(state, before);
    step(&peer, &mut state, 1, ack_epoch(1, true, 0, Zxid::ZERO));
    assert_eq!(leadership(&state).phase, LeaderPhase::Synchronization);
}

#[test]
fn a_newleader_ack_counts_once_per_synchronisation() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    // Server 2 acknowledged NEWLEADER already: a second ACK changes nothing and is not
    // answered with another UPTODATE.
    let before = state.clone();
    assert!(step(&peer, &mut state, 2, ack_new_leader(1, Zxid::ZERO)).is_empty());
    assert_eq!(state, before);
}

#[test]
fn a_leader_proposes_the_requests_its_followers_forward() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    let forwarded = effects(step(
        &peer,
        &mut state,
        1,
        PeerMessage::Request { request: 7 },
    ));
    let proposal = proposal(1, 1, 7);
    assert!(forwarded.contains(&send(
        1,
        PeerMessage::Propose {
            proposal: proposal.clone()
        }
    )));
    assert!(forwarded.contains(&send(2, PeerMessage::Propose { proposal })));
}

#[test]
fn an_observers_ack_is_no_vote() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    client_write(&peer, &mut state, 7);
    let zxid = Zxid::new(Epoch(1), 1);
    step(&peer, &mut state, OBSERVER, PeerMessage::Ack { zxid });
    assert_eq!(state.committed_through, Zxid::ZERO);
    step(&peer, &mut state, 1, PeerMessage::Ack { zxid });
    assert_eq!(state.committed_through, zxid);
}

#[test]
fn the_registers_one_session_is_alive_at_the_leader() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    // The register's clients share one session the leader never expires: a touch keeps it.
    assert!(peer.touch_session(&mut state, &(), 5));
    assert_eq!(state.clock_ms, 5);
}
