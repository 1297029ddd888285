//! A peer's answers to its clients (reads, syncs), its votes, its compaction and its clocks,
//! and what a learner's synchronisation leaves applied, against the exact commands it emits.

use super::tests::{
    learner_in_epoch_one, learner_of_zero, peer, proposal, serving_learner, step, Machine,
    PeerCommand, Value,
};
use super::*;
use crate::ids::{Epoch, Zxid};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;

#[test]
fn the_model_session_clock_steps_until_its_end() {
    let clock = SessionClockModel {
        step_ms: 10,
        end_ms: 25,
    };
    assert_eq!(clock.next_ms(0), Some(10));
    assert_eq!(clock.next_ms(10), Some(20));
    // The end bounds the readings: a step past it is no reading.
    assert_eq!(clock.next_ms(20), None);
    let exact = SessionClockModel {
        step_ms: 10,
        end_ms: 20,
    };
    assert_eq!(exact.next_ms(10), Some(20));
}

#[test]
fn a_compaction_folds_the_committed_txns_and_keeps_the_rest() {
    let disk = DurableState {
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        history: std::sync::Arc::new(vec![
            proposal(1, 1, 10),
            proposal(1, 2, 20),
            proposal(1, 3, 30),
        ]),
        ..DurableState::default()
    };
    let (peer, mut state) = learner_of_zero(disk);
    // Nothing committed yet: nothing to fold.
    assert_eq!(peer.compact(&mut state), None);
    state.committed_through = Zxid::new(Epoch(1), 2);
    let snapshot = peer
        .compact(&mut state)
        .expect("two committed txns to fold");
    assert_eq!(snapshot.zxid, Zxid::new(Epoch(1), 2));
    assert_eq!(snapshot.txn_count, 2);
    assert_eq!(*state.durable.history, [proposal(1, 3, 30)]);
    // Nothing committed since: the next compaction has nothing to add.
    assert_eq!(peer.compact(&mut state), None);
    state.committed_through = Zxid::new(Epoch(1), 3);
    let snapshot = peer.compact(&mut state).expect("one more committed txn");
    // The count runs on from the previous snapshot's.
    assert_eq!(snapshot.txn_count, 3);
    assert!(state.durable.history.is_empty());
}

fn sent(commands: &[PeerCommand]) -> Vec<(usize, super::peer::Message<Machine>)> {
    commands
        .iter()
        .filter_map(|command| match command {
            Command::Send(to, message) => Some((usize::from(*to), message.clone())),
            _ => None,
        })
        .collect()
}

const READER: u64 = 1000;

#[test]
fn a_client_read_is_answered_with_the_last_delivered_txn_only_while_serving() {
    let (peer, mut state) = learner_of_zero(DurableState::default());
    assert!(step(&peer, &mut state, READER, PeerMessage::ClientRead).is_empty());
    let (peer, mut state) = serving_learner();
    for counter in [1, 2] {
        let proposal = proposal(1, counter, counter as Value * 10);
        step(&peer, &mut state, 0, PeerMessage::Propose { proposal });
    }
    let zxid = Zxid::new(Epoch(1), 2);
    step(&peer, &mut state, 0, PeerMessage::Commit { zxid });
    let commands = step(&peer, &mut state, READER, PeerMessage::ClientRead);
    assert_eq!(
        sent(&commands),
        [(
            READER as usize,
            PeerMessage::ReadResult {
                last: Some(proposal(1, 2, 20)),
                position: 2,
            }
        )]
    );
}

#[test]
fn syncs_waiting_at_once_on_a_learner_get_tokens_of_their_own() {
    let (peer, mut state) = serving_learner();
    let tokens: Vec<u64> = [READER, READER + 1, READER + 2]
        .into_iter()
        .map(|client| {
            match sent(&step(&peer, &mut state, client, PeerMessage::ClientSync)).as_slice() {
                [(0, PeerMessage::SyncRequest { token })] => *token,
                other => panic!("expected a SYNC to the leader, got {other:?}"),
            }
        })
        .collect();
    assert!(tokens[0] < tokens[1] && tokens[1] < tokens[2]);
    // The leader's answer to the second reaches the second client alone.
    let answer = PeerMessage::Sync {
        token: tokens[1],
        committed_through: Zxid::ZERO,
    };
    assert_eq!(
        sent(&step(&peer, &mut state, 0, answer)),
        [((READER + 1) as usize, PeerMessage::Synced)]
    );
}

#[test]
fn a_looking_server_tells_every_other_voter_its_vote() {
    let mut looking = peer(0);
    looking.election_mode = ElectionMode::Fast;
    let mut out = Out::new();
    looking.on_start(Id::from(0), &None, &mut out);
    let commands: Vec<PeerCommand> = out.into_iter().collect();
    let told: Vec<usize> = sent(&commands)
        .into_iter()
        .filter(|(_, message)| matches!(message, PeerMessage::Notification(_)))
        .map(|(to, _)| to)
        .collect();
    assert_eq!(told, [1, 2]);
}

#[test]
fn a_snap_rebuilds_what_the_learner_has_applied_from_the_snapshot() {
    let (peer, mut state) = learner_in_epoch_one();
    let snapshot_zxid = Zxid::new(Epoch(1), 2);
    let folded = vec![proposal(1, 1, 1), proposal(1, 2, 2)];
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::NewLeader(NewLeader {
            epoch: Epoch(1),
            kind: SyncKind::Snap,
            snapshot: Some(std::sync::Arc::new(super::durable::Snapshot {
                zxid: snapshot_zxid,
                txn_count: 2,
                applied: folded.clone(),
            })),
            sync_point: Zxid::ZERO,
            proposals: vec![proposal(1, 3, 3)],
        }),
    );
    let committed_through = Zxid::new(Epoch(1), 3);
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::UpToDate {
            epoch: Epoch(1),
            committed_through,
        },
    );
    let mut expected = folded;
    expected.push(proposal(1, 3, 3));
    assert_eq!(state.read_view(), Some(&expected));
}

#[test]
fn a_learners_clock_follows_its_readings() {
    let (peer, state) = learner_in_epoch_one();
    let mut state = Cow::Owned(state);
    peer.on_session_clock(&mut state, 100, &mut Out::new());
    assert_eq!(state.clock_ms, 100);
    // A reading behind the last one moves nothing back.
    peer.on_session_clock(&mut state, 50, &mut Out::new());
    assert_eq!(state.clock_ms, 100);
}

#[test]
fn a_diff_that_repeats_txns_the_learner_holds_appends_only_the_new_ones() {
    let (peer, mut state) = learner_of_zero(DurableState {
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        history: vec![proposal(1, 1, 1), proposal(1, 2, 2)].into(),
        ..DurableState::default()
    });
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(2),
        },
    );
    // A DIFF from before the learner's last txn (the leader's own choice of start).
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::NewLeader(NewLeader {
            epoch: Epoch(2),
            kind: SyncKind::Diff,
            snapshot: None,
            sync_point: Zxid::new(Epoch(1), 1),
            proposals: vec![proposal(1, 2, 2), proposal(1, 3, 3)],
        }),
    );
    assert_eq!(
        *state.durable.history,
        [proposal(1, 1, 1), proposal(1, 2, 2), proposal(1, 3, 3)]
    );
}

#[test]
fn a_state_without_sessions_resumes_a_reconnect_with_the_timeout_the_client_asked() {
    use crate::ids::SessionId;
    use crate::session::handshake::{Handshake, HandshakeDecision};
    let (peer, state) = serving_learner();
    let reconnect = Handshake {
        last_zxid_seen: 0,
        timeout_ms: 6000,
        session_id: 7,
        password_matches: true,
    };
    // The register knows no session timeouts: the one asked, within the 2 s tick's bounds.
    assert_eq!(
        peer.decide_handshake(&state, reconnect),
        HandshakeDecision::Resume {
            session: SessionId(7),
            timeout_ms: 6000
        }
    );
}
