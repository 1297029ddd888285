//! A learner's guards against the exact commands it emits: what it takes only from its leader,
//! only in the phase and epoch it expects, and what an observer takes that a follower does not.

use super::tests::{
    hear_leader_info_of_epoch_one, proposal, serving_learner, step, Machine, PeerCommand,
};
use super::*;
use crate::election::Membership;
use crate::ids::{Epoch, ServerId, Zxid};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::time::Duration;

const OBSERVER: u64 = 3;

fn acks(commands: &[PeerCommand]) -> Vec<Zxid> {
    commands
        .iter()
        .filter_map(|command| match command {
            Command::Send(_, PeerMessage::Ack { zxid }) => Some(*zxid),
            _ => None,
        })
        .collect()
}

fn propose(counter: u32) -> super::peer::Message<Machine> {
    PeerMessage::Propose {
        proposal: proposal(1, counter, counter as u8),
    }
}

fn zxid(counter: u32) -> Zxid {
    Zxid::new(Epoch(1), counter)
}

/// Server 1, a follower of server 0 that heard LEADERINFO for epoch 1 and so synchronises.
fn synchronising_follower() -> (Peer<Machine>, PeerState<Machine>) {
    super::tests::learner_in_epoch_one()
}

/// Server 3, an observer of server 0 that heard LEADERINFO for epoch 1.
fn synchronising_observer() -> (Peer<Machine>, PeerState<Machine>) {
    let mut peer = Peer::new(
        ServerId(OBSERVER),
        Membership::new(
            [ServerId(0), ServerId(1), ServerId(2)],
            [ServerId(OBSERVER)],
        ),
        Machine::new(),
    );
    peer.election_mode = ElectionMode::Oracle;
    peer.tick = None;
    let me = Id::from(OBSERVER as usize);
    let state = peer.on_start(me, &None, &mut Out::new());
    let mut state = Cow::Owned(state);
    peer.on_random(me, &mut state, &ServerId(0), &mut Out::new());
    let mut state = state.into_owned();
    hear_leader_info_of_epoch_one(&peer, &mut state);
    (peer, state)
}

fn new_leader(proposals: Vec<Proposal<u8>>) -> super::peer::Message<Machine> {
    PeerMessage::NewLeader(NewLeader {
        epoch: Epoch(1),
        kind: SyncKind::Diff,
        snapshot: None,
        sync_point: Zxid::ZERO,
        proposals,
    })
}

fn up_to_date(committed_through: Zxid) -> super::peer::Message<Machine> {
    PeerMessage::UpToDate {
        epoch: Epoch(1),
        committed_through,
    }
}

/// Server 3, an observer of server 0 in epoch 1, serving.
fn serving_observer() -> (Peer<Machine>, PeerState<Machine>) {
    let (peer, mut state) = synchronising_observer();
    step(&peer, &mut state, 0, new_leader(Vec::new()));
    step(&peer, &mut state, 0, up_to_date(Zxid::ZERO));
    assert!(state.is_serving());
    (peer, state)
}

#[test]
fn a_learner_takes_messages_from_its_leader_only() {
    let (peer, mut state) = serving_learner();
    assert!(step(&peer, &mut state, 2, propose(1)).is_empty());
    assert!(state.durable.history.is_empty());
    assert_eq!(acks(&step(&peer, &mut state, 0, propose(1))), [zxid(1)]);
}

#[test]
fn a_newleader_outside_synchronisation_is_ignored() {
    let (peer, mut state) = serving_learner();
    let before = state.clone();
    assert!(step(&peer, &mut state, 0, new_leader(vec![proposal(1, 1, 1)])).is_empty());
    assert_eq!(state, before);
}

#[test]
fn an_uptodate_before_newleader_is_ignored() {
    let (peer, mut state) = synchronising_follower();
    assert!(step(&peer, &mut state, 0, up_to_date(Zxid::ZERO)).is_empty());
    assert!(!state.is_serving());
}

#[test]
fn a_follower_acknowledges_only_new_proposals_of_its_epoch_once_synced() {
    let (peer, mut state) = synchronising_follower();
    // Still synchronising: the PROPOSAL is not taken.
    assert!(acks(&step(&peer, &mut state, 0, propose(1))).is_empty());
    step(&peer, &mut state, 0, new_leader(Vec::new()));
    step(&peer, &mut state, 0, up_to_date(Zxid::ZERO));
    // Another epoch's proposal is not taken.
    let other_epoch = PeerMessage::Propose {
        proposal: proposal(2, 1, 9),
    };
    assert!(acks(&step(&peer, &mut state, 0, other_epoch)).is_empty());
    assert_eq!(acks(&step(&peer, &mut state, 0, propose(1))), [zxid(1)]);
    // A duplicate is not acknowledged again.
    assert!(acks(&step(&peer, &mut state, 0, propose(1))).is_empty());
    assert_eq!(state.durable.history.len(), 1);
}

#[test]
fn an_observer_acknowledges_no_proposal() {
    let (peer, mut state) = serving_observer();
    assert!(acks(&step(&peer, &mut state, 0, propose(1))).is_empty());
    assert!(state.durable.history.is_empty());
}

#[test]
fn a_commit_of_a_txn_never_logged_is_ignored() {
    let (peer, mut state) = serving_learner();
    step(&peer, &mut state, 0, propose(1));
    let before = state.clone();
    assert!(step(&peer, &mut state, 0, PeerMessage::Commit { zxid: zxid(2) }).is_empty());
    assert_eq!(state, before);
    step(&peer, &mut state, 0, PeerMessage::Commit { zxid: zxid(1) });
    assert_eq!(state.committed_through, zxid(1));
}

#[test]
fn a_commit_between_newleader_and_uptodate_waits_for_uptodate() {
    let (peer, mut state) = synchronising_follower();
    // Before NEWLEADER a COMMIT is not taken.
    step(&peer, &mut state, 0, PeerMessage::Commit { zxid: zxid(1) });
    step(&peer, &mut state, 0, new_leader(vec![proposal(1, 1, 1)]));
    step(&peer, &mut state, 0, propose(2));
    step(&peer, &mut state, 0, PeerMessage::Commit { zxid: zxid(2) });
    assert_eq!(state.committed_through, Zxid::ZERO);
    step(&peer, &mut state, 0, up_to_date(zxid(1)));
    assert_eq!(state.committed_through, zxid(1));
}

#[test]
fn an_observer_logs_and_delivers_what_it_is_informed_of() {
    let (peer, mut state) = serving_observer();
    let inform = |counter| PeerMessage::Inform {
        proposal: proposal(1, counter, counter as u8),
    };
    let commands = step(&peer, &mut state, 0, inform(1));
    assert!(commands
        .iter()
        .any(|command| matches!(command, Command::Save(_))));
    assert_eq!(state.delivered(), [proposal(1, 1, 1)]);
    // Informed again of what it holds: nothing more is logged.
    let commands = step(&peer, &mut state, 0, inform(1));
    assert!(!commands
        .iter()
        .any(|command| matches!(command, Command::Save(_))));
    assert_eq!(state.durable.history.len(), 1);
    // Another epoch's txn is not taken, nor anything from another server.
    let other_epoch = PeerMessage::Inform {
        proposal: proposal(2, 1, 9),
    };
    assert!(step(&peer, &mut state, 0, other_epoch).is_empty());
    assert!(step(&peer, &mut state, 1, inform(2)).is_empty());
    step(&peer, &mut state, 0, inform(2));
    assert_eq!(state.delivered().len(), 2);
}

#[test]
fn a_follower_takes_no_inform() {
    let (peer, mut state) = serving_learner();
    let inform = PeerMessage::Inform {
        proposal: proposal(1, 1, 1),
    };
    assert!(step(&peer, &mut state, 0, inform).is_empty());
    assert!(state.durable.history.is_empty());
}

#[test]
fn an_observer_informed_before_uptodate_logs_but_does_not_deliver() {
    let (peer, mut state) = synchronising_observer();
    step(&peer, &mut state, 0, new_leader(Vec::new()));
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::Inform {
            proposal: proposal(1, 1, 1),
        },
    );
    assert_eq!(state.durable.history.len(), 1);
    assert_eq!(state.committed_through, Zxid::ZERO);
}

fn on_tick(peer: &Peer<Machine>, state: &mut PeerState<Machine>) -> Vec<PeerCommand> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_timeout(Id::from(1), &mut cow, &PeerTimer::Tick, &mut out);
    *state = cow.into_owned();
    out.into_iter().collect()
}

fn notified(commands: &[PeerCommand]) -> Vec<usize> {
    commands
        .iter()
        .filter_map(|command| match command {
            Command::Send(to, PeerMessage::Notification(_)) => Some(usize::from(*to)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_looking_server_resends_its_vote_to_the_other_voters_at_every_tick_under_fle_only() {
    for (election_mode, expected) in [
        (ElectionMode::Fast, vec![0, 2]),
        (ElectionMode::Oracle, Vec::new()),
    ] {
        let mut peer = Peer::new(
            ServerId(1),
            Membership::new([ServerId(0), ServerId(1), ServerId(2)], []),
            Machine::new(),
        );
        peer.election_mode = election_mode;
        peer.tick = Some(Duration::from_millis(100)..Duration::from_millis(100));
        let mut out = Out::new();
        let mut state = peer.on_start(Id::from(1), &None, &mut out);
        assert!(matches!(state.role, Role::Looking(_)));
        assert_eq!(notified(&on_tick(&peer, &mut state)), expected);
    }
}

#[test]
fn under_the_failure_oracle_a_learners_tick_may_end_its_leadership_at_once() {
    let (mut peer, mut state) = serving_learner();
    peer.failure_detection = FailureDetection::Oracle;
    peer.silent_ticks_max = 5;
    on_tick(&peer, &mut state);
    assert!(matches!(state.role, Role::Looking(_)));
}
