//! The leader's confirmation rounds and lease against the exact commands they emit: a `sync` is
//! answered only after a quorum echoed a round that started after it arrived, a round serves
//! the syncs of one batch and rounds overlap, a leader whose followers moved on answers none,
//! and a leader stops leading when its lease runs out or its links no longer make a quorum.

use super::leader_tests::{
    effects, established_leader, leader_peer, leadership, prospective_leader, tick, Effect,
    Message, CLIENT, OBSERVER,
};
use super::tests::{step, Machine};
use super::*;
use crate::election::Membership;
use crate::ids::{Epoch, ServerId};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::time::Duration;

fn echo(epoch: u32, round: u64) -> Message {
    PeerMessage::Ping {
        epoch: Epoch(epoch),
        round,
        touched_sessions: Vec::new(),
    }
}

fn sync_from(peer: &Peer<Machine>, state: &mut PeerState<Machine>, client: u64) -> Vec<Effect> {
    effects(step(peer, state, client, PeerMessage::ClientSync))
}

fn synced(client: u64) -> Effect {
    Effect::Send(client as usize, PeerMessage::Synced)
}

fn round_pings(round: u64) -> Vec<Effect> {
    // Voters only: the observer cannot confirm a leader.
    [1, 2]
        .into_iter()
        .map(|to| Effect::Send(to, echo(1, round)))
        .collect()
}

/// The server fires [`PeerTimer::ConfirmRound`] once the batch the syncs came in is handled.
fn confirm_round(peer: &Peer<Machine>, state: &mut PeerState<Machine>) -> Vec<Effect> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_timeout(Id::from(0), &mut cow, &PeerTimer::ConfirmRound, &mut out);
    *state = cow.into_owned();
    effects(out.into_iter().collect())
}

fn arms_the_round(effects: &[Effect]) -> bool {
    matches!(effects, [Effect::Other(command)] if command.contains("ConfirmRound"))
}

fn clock(peer: &Peer<Machine>, state: &mut PeerState<Machine>, now_ms: u64) -> Vec<Effect> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_session_clock(&mut cow, now_ms, &mut out);
    *state = cow.into_owned();
    effects(out.into_iter().collect())
}

fn disconnected(peer: &Peer<Machine>, state: &mut PeerState<Machine>, server: u64) {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_peer_disconnected(&mut cow, ServerId(server), &mut out);
    *state = cow.into_owned();
}

#[test]
fn a_leader_answers_a_sync_once_a_quorum_echoed_a_round_that_started_after_it() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    let client = CLIENT as u64;
    assert!(arms_the_round(&sync_from(&peer, &mut state, client)));
    assert_eq!(confirm_round(&peer, &mut state), round_pings(1));
    // The observer's echo does not count; a voter's does, with the leader's own.
    assert!(effects(step(&peer, &mut state, OBSERVER, echo(1, 1))).is_empty());
    assert_eq!(
        effects(step(&peer, &mut state, 1, echo(1, 1))),
        [synced(client)]
    );
    assert_eq!(leadership(&state).confirmation.confirmed_round, 1);
    // A confirmed round's start is forgotten: the leader keeps only the rounds in flight.
    assert!(leadership(&state).confirmation.round_started_ms.is_empty());
    // A late echo of the same round answers nothing more.
    assert!(effects(step(&peer, &mut state, 2, echo(1, 1))).is_empty());
}

#[test]
fn syncs_of_one_batch_share_a_round_and_rounds_overlap() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    let (first, second, third) = (10, 11, 12);
    sync_from(&peer, &mut state, first);
    sync_from(&peer, &mut state, second);
    assert_eq!(confirm_round(&peer, &mut state), round_pings(1));
    // Round 1 left before this one arrived: the next round serves it, in flight beside round 1.
    sync_from(&peer, &mut state, third);
    assert_eq!(confirm_round(&peer, &mut state), round_pings(2));
    // A timer that fires with no sync waiting starts nothing.
    assert!(confirm_round(&peer, &mut state).is_empty());
    assert_eq!(
        effects(step(&peer, &mut state, 2, echo(1, 1))),
        [synced(first), synced(second)]
    );
    assert_eq!(
        effects(step(&peer, &mut state, 1, echo(1, 2))),
        [synced(third)]
    );
}

#[test]
fn a_newer_rounds_echo_confirms_the_older_rounds_too() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    sync_from(&peer, &mut state, 10);
    confirm_round(&peer, &mut state);
    sync_from(&peer, &mut state, 11);
    confirm_round(&peer, &mut state);
    assert_eq!(
        effects(step(&peer, &mut state, 1, echo(1, 2))),
        [synced(10), synced(11)]
    );
}

#[test]
fn a_heartbeat_round_that_left_before_a_sync_does_not_serve_it() {
    let mut peer = leader_peer(3);
    peer.tick = Some(Duration::from_millis(250)..Duration::from_millis(250));
    peer.silent_ticks_max = 10;
    let mut state = established_leader(&peer);
    tick(&peer, &mut state);
    assert_eq!(leadership(&state).confirmation.started_round, 1);
    assert!(arms_the_round(&sync_from(&peer, &mut state, CLIENT as u64)));
    // Round 1's echo renews the lease but the sync waits for round 2.
    assert!(effects(step(&peer, &mut state, 1, echo(1, 1))).is_empty());
    assert_eq!(confirm_round(&peer, &mut state), round_pings(2));
    assert_eq!(
        effects(step(&peer, &mut state, 2, echo(1, 2))),
        [synced(CLIENT as u64)]
    );
}

#[test]
fn a_learners_sync_is_answered_on_its_link_after_the_round() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    let request = PeerMessage::SyncRequest { token: 7 };
    assert!(arms_the_round(&effects(step(
        &peer, &mut state, 2, request
    ))));
    assert_eq!(confirm_round(&peer, &mut state), round_pings(1));
    let committed_through = state.committed_through;
    assert_eq!(
        effects(step(&peer, &mut state, 1, echo(1, 1))),
        [Effect::Send(
            2,
            PeerMessage::Sync {
                token: 7,
                committed_through
            }
        )]
    );
}

#[test]
fn a_leader_whose_followers_moved_to_a_newer_epoch_answers_no_sync() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    sync_from(&peer, &mut state, CLIENT as u64);
    confirm_round(&peer, &mut state);
    // Followers of a newer leader answer nothing of epoch 1; anything else they send is ignored.
    for follower in [1, 2] {
        assert!(effects(step(&peer, &mut state, follower, echo(2, 1))).is_empty());
    }
    assert_eq!(leadership(&state).confirmation.confirmed_round, 0);
    assert_eq!(leadership(&state).confirmation.waiting.len(), 1);
}

#[test]
fn a_lone_voter_confirms_its_own_rounds() {
    let peer = Peer::new(
        ServerId(0),
        Membership::new([ServerId(0)], []),
        Register::<u8>::new(),
    );
    let mut out = Out::new();
    let state = peer.on_start(Id::from(0), &None, &mut out);
    // Its own vote is a quorum: it decides when the settle wait ends.
    let mut cow = Cow::Owned(state);
    peer.on_timeout(Id::from(0), &mut cow, &PeerTimer::Settle, &mut out);
    let mut state = cow.into_owned();
    assert!(state.is_serving());
    assert_eq!(sync_from(&peer, &mut state, 5), [synced(5)]);
}

#[test]
fn a_leader_stops_leading_when_its_lease_runs_out() {
    let mut peer = leader_peer(3);
    peer.tick = Some(Duration::from_millis(250)..Duration::from_millis(250));
    peer.silent_ticks_max = 10;
    // A fifth under the followers' 2500 ms, less a tick.
    assert_eq!(peer.leader_lease_ms(), Some(1750));
    let mut state = established_leader(&peer);
    assert_eq!(leadership(&state).confirmation.lease_from_ms, 0);
    clock(&peer, &mut state, 1000);
    // The heartbeat at 1000 ms is echoed by a quorum: the lease runs from 1000 ms.
    tick(&peer, &mut state);
    step(&peer, &mut state, 1, echo(1, 1));
    assert_eq!(leadership(&state).confirmation.lease_from_ms, 1000);
    clock(&peer, &mut state, 2749);
    assert!(matches!(state.role, Role::Leading(_)));
    // A pause: the first clock reading after it ends the leadership, whatever is queued.
    let effects = clock(&peer, &mut state, 9000);
    assert!(matches!(state.role, Role::Looking(_)));
    assert!(effects
        .iter()
        .all(|effect| !matches!(effect, Effect::Send(_, PeerMessage::Synced))));
}

#[test]
fn the_lease_ends_sooner_than_any_follower_can_give_up() {
    for tick_ms in [1, 10, 100, 250, 1000, 2000] {
        for silent_ticks_max in 1..=40 {
            let mut peer = leader_peer(3);
            peer.tick = Some(Duration::from_millis(tick_ms)..Duration::from_millis(tick_ms));
            peer.silent_ticks_max = silent_ticks_max;
            let follower_timeout_ms = tick_ms * u64::from(silent_ticks_max);
            if let Some(lease_ms) = peer.leader_lease_ms() {
                // A follower's clock may run 20 % slow against the leader's, and the leader
                // reads its clock up to a tick late.
                assert!(lease_ms * 5 / 4 + tick_ms <= follower_timeout_ms);
            }
        }
    }
}

#[test]
fn a_lease_that_would_last_no_time_is_no_lease() {
    let mut peer = leader_peer(3);
    // Four fifths of the followers' 2 ms, less the 1 ms tick: nothing, so no lease at all
    // (a zero lease would depose the leader at its first clock reading).
    peer.tick = Some(Duration::from_millis(1)..Duration::from_millis(1));
    peer.silent_ticks_max = 2;
    assert_eq!(peer.leader_lease_ms(), None);
    peer.silent_ticks_max = 3;
    assert_eq!(peer.leader_lease_ms(), Some(1));
}

#[test]
fn a_leader_still_in_discovery_has_no_lease_to_lose() {
    let mut peer = leader_peer(3);
    peer.tick = Some(Duration::from_millis(250)..Duration::from_millis(250));
    peer.silent_ticks_max = 10;
    let mut state = prospective_leader(&peer, DurableState::default());
    // Long past any lease: a leader that has not established its epoch serves nobody, and
    // initLimit, not the lease, bounds how long it waits for its quorum.
    clock(&peer, &mut state, 9000);
    assert!(
        matches!(&state.role, Role::Leading(leadership) if leadership.phase == LeaderPhase::Discovery)
    );
}

#[test]
fn a_leader_left_without_a_quorum_of_links_stops_at_once() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    disconnected(&peer, &mut state, OBSERVER);
    disconnected(&peer, &mut state, 1);
    assert!(matches!(state.role, Role::Leading(_)));
    assert!(!leadership(&state).learners.contains_key(&ServerId(1)));
    disconnected(&peer, &mut state, 2);
    assert!(matches!(state.role, Role::Looking(_)));
}

#[test]
fn a_proposal_a_quorum_acknowledged_renews_the_lease_from_when_it_left() {
    let mut peer = leader_peer(3);
    peer.tick = Some(Duration::from_millis(250)..Duration::from_millis(250));
    peer.silent_ticks_max = 10;
    let mut state = established_leader(&peer);
    clock(&peer, &mut state, 1000);
    step(
        &peer,
        &mut state,
        CLIENT as u64,
        PeerMessage::ClientWrite { request: 7 },
    );
    clock(&peer, &mut state, 1500);
    let zxid = state.durable.last_zxid();
    step(&peer, &mut state, 1, PeerMessage::Ack { zxid });
    assert_eq!(state.committed_through, zxid);
    // From when the proposal left (1000 ms), not from when the acknowledgement came.
    assert_eq!(leadership(&state).confirmation.lease_from_ms, 1000);
    assert!(leadership(&state).confirmation.proposed_ms.is_empty());
    clock(&peer, &mut state, 2749);
    assert!(matches!(state.role, Role::Leading(_)));
}
