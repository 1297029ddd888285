//! Session revalidation against the exact commands it emits: the leader answers a reconnect
//! at once, a learner only with its leader's answer.

use super::leader_tests::{established_leader, leader_peer, OBSERVER};
use super::tests::{serving_learner, step, PeerCommand};
use super::*;
use crate::ids::ServerId;
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;

const CLIENT: u64 = 1000;

fn sends(commands: &[PeerCommand]) -> Vec<(usize, super::peer::Message<super::tests::Machine>)> {
    commands
        .iter()
        .map(|command| match command {
            Command::Send(to, message) => (usize::from(*to), message.clone()),
            other => panic!("revalidation only sends, not {other:?}"),
        })
        .collect()
}

#[test]
fn the_leader_answers_a_reconnect_to_itself_at_once() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    let commands = step(
        &peer,
        &mut state,
        CLIENT,
        PeerMessage::ClientRevalidate { session: () },
    );
    assert_eq!(
        sends(&commands),
        vec![(
            CLIENT as usize,
            PeerMessage::SessionRevalidated {
                session: (),
                valid: true
            }
        )]
    );
}

#[test]
fn the_leader_answers_the_revalidate_of_a_synced_follower_or_observer_on_its_link() {
    let peer = leader_peer(3);
    let mut state = established_leader(&peer);
    for learner in [1, OBSERVER] {
        let commands = step(
            &peer,
            &mut state,
            learner,
            PeerMessage::Revalidate {
                token: 7,
                session: (),
            },
        );
        assert_eq!(
            sends(&commands),
            vec![(
                learner as usize,
                PeerMessage::Revalidated {
                    token: 7,
                    session: (),
                    valid: true
                }
            )]
        );
    }
}

#[test]
fn a_leader_that_is_not_established_answers_no_revalidate() {
    let peer = leader_peer(3);
    let mut out = Out::new();
    let state = peer.on_start(Id::from(0), &None, &mut out);
    let mut state = Cow::Owned(state);
    peer.on_random(Id::from(0), &mut state, &ServerId(0), &mut Out::new());
    let mut state = state.into_owned();
    let revalidate = PeerMessage::Revalidate {
        token: 0,
        session: (),
    };
    assert!(step(&peer, &mut state, 1, revalidate).is_empty());
    let reconnect = PeerMessage::ClientRevalidate { session: () };
    assert!(step(&peer, &mut state, CLIENT, reconnect).is_empty());
}

#[test]
fn an_established_leader_answers_no_revalidate_from_a_server_it_has_no_link_with() {
    let peer = leader_peer(3);
    let mut state = Cow::Owned(established_leader(&peer));
    peer.on_peer_disconnected(&mut state, ServerId(1), &mut Out::new());
    let mut state = state.into_owned();
    assert!(state.is_serving(), "servers 0 and 2 are still a quorum");
    let revalidate = PeerMessage::Revalidate {
        token: 0,
        session: (),
    };
    // Its answer would travel on a link that is gone, to a follower that must sync first.
    assert!(step(&peer, &mut state, 1, revalidate).is_empty());
}

#[test]
fn a_learner_answers_a_reconnect_only_with_its_leaders_answer() {
    let (peer, mut state) = serving_learner();
    let commands = step(
        &peer,
        &mut state,
        CLIENT,
        PeerMessage::ClientRevalidate { session: () },
    );
    let sent = sends(&commands);
    let [(0, PeerMessage::Revalidate { token, session: () })] = sent.as_slice() else {
        panic!("expected a REVALIDATE to the leader, got {sent:?}");
    };
    let token = *token;
    let answer = |valid| PeerMessage::Revalidated {
        token,
        session: (),
        valid,
    };
    // Another server's answer, or one for another token, reaches nobody.
    assert!(step(&peer, &mut state, 2, answer(true)).is_empty());
    let other_token = PeerMessage::Revalidated {
        token: token + 1,
        session: (),
        valid: true,
    };
    assert!(step(&peer, &mut state, 0, other_token).is_empty());
    // The leader's answer, valid or not, is passed on once.
    let commands = step(&peer, &mut state, 0, answer(false));
    assert_eq!(
        sends(&commands),
        vec![(
            CLIENT as usize,
            PeerMessage::SessionRevalidated {
                session: (),
                valid: false
            }
        )]
    );
    assert!(step(&peer, &mut state, 0, answer(true)).is_empty());
}

#[test]
fn reconnects_waiting_at_once_on_a_learner_get_tokens_of_their_own() {
    let (peer, mut state) = serving_learner();
    let mut tokens = Vec::new();
    for client in [CLIENT, CLIENT + 1, CLIENT + 2] {
        let commands = step(
            &peer,
            &mut state,
            client,
            PeerMessage::ClientRevalidate { session: () },
        );
        let sent = sends(&commands);
        let [(0, PeerMessage::Revalidate { token, .. })] = sent.as_slice() else {
            panic!("expected a REVALIDATE to the leader, got {sent:?}");
        };
        tokens.push(*token);
    }
    assert_eq!(tokens.len(), 3);
    assert!(tokens[0] < tokens[1] && tokens[1] < tokens[2]);
    // Each answer reaches the client it was asked for.
    let commands = step(
        &peer,
        &mut state,
        0,
        PeerMessage::Revalidated {
            token: tokens[1],
            session: (),
            valid: true,
        },
    );
    assert_eq!(sends(&commands)[0].0, (CLIENT + 1) as usize);
}

#[test]
fn a_learner_that_loses_its_leader_forgets_the_reconnects_it_waited_on() {
    let (peer, mut state) = serving_learner();
    step(
        &peer,
        &mut state,
        CLIENT,
        PeerMessage::ClientRevalidate { session: () },
    );
    assert_eq!(state.revalidations.waiting.len(), 1);
    let mut cow = Cow::Borrowed(&state);
    peer.on_peer_disconnected(&mut cow, ServerId(0), &mut Out::new());
    let mut state = cow.into_owned();
    assert!(state.revalidations.waiting.is_empty());
    let late = PeerMessage::Revalidated {
        token: 0,
        session: (),
        valid: true,
    };
    assert!(step(&peer, &mut state, 0, late).is_empty());
    // Not serving now: a reconnect is not even forwarded.
    let reconnect = PeerMessage::ClientRevalidate { session: () };
    assert!(step(&peer, &mut state, CLIENT, reconnect).is_empty());
}
