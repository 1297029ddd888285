//! Handlers against the exact commands they emit (golden tests): the order of `Save` and `Send`
//! in a step is the durability contract the driver relies on.

use super::*;
use crate::election::Membership;
use crate::ids::{Epoch, ServerId, Zxid};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;

pub(super) type Value = u8;
pub(super) type Machine = Register<Value>;
pub(super) type PeerCommand =
    Command<super::peer::Message<Machine>, PeerTimer, ServerId, super::peer::Durable<Machine>>;

pub(super) fn peer(me: u64) -> Peer<Machine> {
    let mut peer = Peer::new(
        ServerId(me),
        Membership::new([ServerId(0), ServerId(1), ServerId(2)], []),
        Register::new(),
    );
    peer.election_mode = ElectionMode::Oracle;
    peer.tick = None;
    peer
}

pub(super) fn proposal(epoch: u32, counter: u32, payload: Value) -> Proposal<Value> {
    Proposal {
        zxid: Zxid::new(Epoch(epoch), counter),
        payload,
    }
}

/// A learner of server 0 in discovery, with `disk` as its durable state.
pub(super) fn learner_of_zero(
    disk: super::peer::Durable<Machine>,
) -> (Peer<Machine>, PeerState<Machine>) {
    let peer = peer(1);
    let mut out = Out::new();
    let state = peer.on_start(Id::from(1), &Some(disk), &mut out);
    let mut state = Cow::Owned(state);
    let mut out = Out::new();
    peer.on_random(Id::from(1), &mut state, &ServerId(0), &mut out);
    (peer, state.into_owned())
}

pub(super) fn step(
    peer: &Peer<Machine>,
    state: &mut PeerState<Machine>,
    from: u64,
    message: super::peer::Message<Machine>,
) -> Vec<PeerCommand> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_msg(
        Id::from(1),
        &mut cow,
        Id::from(from as usize),
        message,
        &mut out,
    );
    *state = cow.into_owned();
    out.into_iter().collect()
}

#[test]
fn start_saves_the_new_incarnation_before_anything_else() {
    let peer = peer(1);
    let mut out = Out::new();
    let state = peer.on_start(Id::from(1), &None, &mut out);
    let commands: Vec<_> = out.into_iter().collect();
    assert!(matches!(&commands[0], Command::Save(disk) if disk.incarnation == 1));
    assert!(matches!(
        &commands[1],
        Command::CancelTimer(PeerTimer::Settle)
    ));
    assert!(
        matches!(&commands[2], Command::ChooseRandom(key, choices) if key == "leader" && choices.len() == 3)
    );
    assert_eq!(commands.len(), 3);
    assert!(matches!(state.role, Role::Looking(_)));
}

#[test]
fn following_starts_with_followerinfo_carrying_the_accepted_epoch() {
    let disk = DurableState {
        snapshot: None,
        accepted_epoch: Epoch(3),
        current_epoch: Epoch(2),
        ..DurableState::default()
    };
    let peer = peer(1);
    let mut out = Out::new();
    let state = peer.on_start(Id::from(1), &Some(disk), &mut out);
    let mut state = Cow::Owned(state);
    let mut out = Out::new();
    peer.on_random(Id::from(1), &mut state, &ServerId(0), &mut out);
    let commands: Vec<_> = out.into_iter().collect();
    assert_eq!(commands.len(), 1);
    assert!(matches!(
        &commands[0],
        Command::Send(to, PeerMessage::FollowerInfo { accepted_epoch: Epoch(3), is_observer: false })
            if *to == Id::from(0)
    ));
}

#[test]
fn a_new_epoch_is_persisted_before_ackepoch_and_promised() {
    let (peer, mut state) = learner_of_zero(DurableState::default());
    let commands = step(
        &peer,
        &mut state,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(1),
        },
    );
    assert_eq!(commands.len(), 2);
    assert!(matches!(&commands[0], Command::Save(disk) if disk.accepted_epoch == Epoch(1)));
    assert!(matches!(
        &commands[1],
        Command::Send(
            _,
            PeerMessage::AckEpoch {
                new_epoch: Epoch(1),
                promised: true,
                ..
            }
        )
    ));
}

#[test]
fn an_epoch_accepted_before_is_acked_without_a_promise_and_without_a_save() {
    let disk = DurableState {
        snapshot: None,
        accepted_epoch: Epoch(1),
        ..DurableState::default()
    };
    let (peer, mut state) = learner_of_zero(disk);
    let commands = step(
        &peer,
        &mut state,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(1),
        },
    );
    assert_eq!(commands.len(), 1);
    assert!(matches!(
        &commands[0],
        Command::Send(
            _,
            PeerMessage::AckEpoch {
                promised: false,
                ..
            }
        )
    ));
}

#[test]
fn newleader_logs_the_txns_and_current_epoch_before_acking() {
    let (peer, mut state) = learner_of_zero(DurableState::default());
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(2),
        },
    );
    let sync = NewLeader {
        snapshot: None,
        epoch: Epoch(2),
        kind: SyncKind::Diff,
        sync_point: Zxid::ZERO,
        proposals: vec![proposal(1, 1, 7), proposal(1, 2, 8)],
    };
    let commands = step(&peer, &mut state, 0, PeerMessage::NewLeader(sync));
    assert_eq!(commands.len(), 2);
    assert!(matches!(
        &commands[0],
        Command::Save(disk) if disk.current_epoch == Epoch(2) && disk.history.len() == 2
    ));
    assert!(matches!(
        &commands[1],
        Command::Send(_, PeerMessage::AckNewLeader { epoch: Epoch(2), last_zxid })
            if *last_zxid == Zxid::new(Epoch(1), 2)
    ));
}

#[test]
fn trunc_drops_the_suffix_the_leader_lacks() {
    let disk = DurableState {
        snapshot: None,
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        history: vec![proposal(1, 1, 7), proposal(1, 2, 9)].into(),
        incarnation: 0,
    };
    let (peer, mut state) = learner_of_zero(disk);
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(2),
        },
    );
    let sync = NewLeader {
        snapshot: None,
        epoch: Epoch(2),
        kind: SyncKind::Trunc,
        sync_point: Zxid::new(Epoch(1), 1),
        proposals: vec![],
    };
    step(&peer, &mut state, 0, PeerMessage::NewLeader(sync));
    assert_eq!(*state.durable.history, vec![proposal(1, 1, 7)]);
}

#[test]
fn a_proposal_is_logged_before_it_is_acked_and_a_hole_resynchronises() {
    let (peer, mut state) = learner_of_zero(DurableState::default());
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(1),
        },
    );
    let sync = NewLeader {
        snapshot: None,
        epoch: Epoch(1),
        kind: SyncKind::Diff,
        sync_point: Zxid::ZERO,
        proposals: vec![],
    };
    step(&peer, &mut state, 0, PeerMessage::NewLeader(sync));
    let commands = step(
        &peer,
        &mut state,
        0,
        PeerMessage::Propose {
            proposal: proposal(1, 1, 5),
        },
    );
    assert!(matches!(&commands[0], Command::Save(disk) if disk.history.len() == 1));
    assert!(
        matches!(&commands[1], Command::Send(_, PeerMessage::Ack { zxid }) if *zxid == Zxid::new(Epoch(1), 1))
    );
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::Propose {
            proposal: proposal(1, 3, 6),
        },
    );
    assert!(
        matches!(state.role, Role::Looking(_)),
        "a hole means the link broke"
    );
    assert_eq!(state.durable.history.len(), 1);
}

#[test]
fn plan_sync_picks_diff_trunc_and_snap() {
    let mut peer = peer(0);
    let mut out = Out::new();
    let disk = DurableState {
        snapshot: None,
        accepted_epoch: Epoch(2),
        current_epoch: Epoch(2),
        history: vec![proposal(1, 1, 1), proposal(1, 2, 2), proposal(2, 1, 3)].into(),
        incarnation: 0,
    };
    let state = peer.on_start(Id::from(0), &Some(disk), &mut out);
    let (kind, point, proposals) = peer.plan_sync(&state, Zxid::new(Epoch(1), 2));
    assert_eq!(
        (kind, point, proposals.len()),
        (SyncKind::Diff, Zxid::new(Epoch(1), 2), 1)
    );
    let (kind, point, proposals) = peer.plan_sync(&state, Zxid::new(Epoch(1), 3));
    assert_eq!(
        (kind, point, proposals.len()),
        (SyncKind::Trunc, Zxid::new(Epoch(1), 2), 1)
    );
    let (kind, _, proposals) = peer.plan_sync(&state, Zxid::new(Epoch(2), 5));
    assert_eq!((kind, proposals.len()), (SyncKind::Trunc, 0));
    peer.diff_window = Some(1);
    let (kind, point, proposals) = peer.plan_sync(&state, Zxid::new(Epoch(1), 1));
    assert_eq!(
        (kind, point, proposals.len()),
        (SyncKind::Snap, Zxid::ZERO, 3)
    );
    // A window of two keeps the txns after (1, 1): a learner that ends exactly there still
    // gets a DIFF.
    peer.diff_window = Some(2);
    let (kind, point, proposals) = peer.plan_sync(&state, Zxid::new(Epoch(1), 1));
    assert_eq!(
        (kind, point, proposals.len()),
        (SyncKind::Diff, Zxid::new(Epoch(1), 1), 2)
    );
}

#[test]
fn a_learner_ahead_of_a_leader_whose_history_is_all_in_its_snapshot_is_truncated_to_it() {
    let peer = peer(0);
    let mut out = Out::new();
    let snapshot_zxid = Zxid::new(Epoch(1), 2);
    let disk = DurableState {
        snapshot: Some(std::sync::Arc::new(super::durable::Snapshot {
            zxid: snapshot_zxid,
            txn_count: 2,
            applied: vec![proposal(1, 1, 1), proposal(1, 2, 2)],
        })),
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        history: Vec::new().into(),
        incarnation: 0,
    };
    let state = peer.on_start(Id::from(0), &Some(disk), &mut out);
    let (kind, point, proposals) = peer.plan_sync(&state, Zxid::new(Epoch(1), 5));
    assert_eq!(
        (kind, point, proposals.len()),
        (SyncKind::Trunc, snapshot_zxid, 0)
    );
}

/// A learner that heard LEADERINFO for epoch 1 from server 0.
pub(super) fn learner_in_epoch_one() -> (Peer<Machine>, PeerState<Machine>) {
    let (peer, mut state) = learner_of_zero(DurableState::default());
    hear_leader_info_of_epoch_one(&peer, &mut state);
    (peer, state)
}

/// Server 0's LEADERINFO for epoch 1 reaches its learner: it synchronises next.
pub(super) fn hear_leader_info_of_epoch_one(peer: &Peer<Machine>, state: &mut PeerState<Machine>) {
    step(
        peer,
        state,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(1),
        },
    );
}

#[test]
fn a_learner_carries_its_clients_session_touches_to_the_leader_in_its_ping_answer() {
    let (peer, mut state) = learner_in_epoch_one();
    assert!(peer.touch_session(&mut state, &(), 5));
    let ping = PeerMessage::Ping {
        epoch: Epoch(1),
        round: 0,
        touched_sessions: Vec::new(),
    };
    let commands = step(&peer, &mut state, 0, ping.clone());
    assert_eq!(commands.len(), 1);
    assert!(matches!(
        &commands[0],
        Command::Send(to, PeerMessage::Ping { epoch: Epoch(1), touched_sessions, .. })
            if *to == Id::from(0) && touched_sessions == &vec![()]
    ));
    // Each touch travels once.
    let commands = step(&peer, &mut state, 0, ping);
    assert!(matches!(
        &commands[0],
        Command::Send(_, PeerMessage::Ping { touched_sessions, .. }) if touched_sessions.is_empty()
    ));
}

#[test]
fn a_ping_of_another_epoch_neither_answers_nor_spends_the_touches() {
    let (peer, mut state) = learner_in_epoch_one();
    peer.touch_session(&mut state, &(), 5);
    let ping = PeerMessage::Ping {
        epoch: Epoch(2),
        round: 0,
        touched_sessions: Vec::new(),
    };
    assert!(step(&peer, &mut state, 0, ping).is_empty());
    assert_eq!(state.touched_sessions.len(), 1);
}

#[test]
fn losing_the_connection_to_the_leader_starts_an_election_and_others_do_not() {
    let (peer, state) = learner_in_epoch_one();
    let mut state = Cow::Owned(state);
    let mut out = Out::new();
    peer.on_peer_disconnected(&mut state, ServerId(2), &mut out);
    assert!(out.into_iter().next().is_none());
    assert!(matches!(state.role, Role::Learning(_)));
    let mut out = Out::new();
    peer.on_peer_disconnected(&mut state, ServerId(0), &mut out);
    assert!(matches!(state.role, Role::Looking(_)));
    let commands: Vec<_> = out.into_iter().collect();
    assert!(commands
        .iter()
        .any(|command| matches!(command, Command::ChooseRandom(key, _) if key == "leader")));
}

/// A learner of server 0 serving clients in epoch 1.
pub(super) fn serving_learner() -> (Peer<Machine>, PeerState<Machine>) {
    let (peer, mut state) = learner_in_epoch_one();
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::NewLeader(NewLeader {
            epoch: Epoch(1),
            kind: SyncKind::Diff,
            snapshot: None,
            sync_point: Zxid::ZERO,
            proposals: Vec::new(),
        }),
    );
    step(
        &peer,
        &mut state,
        0,
        PeerMessage::UpToDate {
            epoch: Epoch(1),
            committed_through: Zxid::ZERO,
        },
    );
    assert!(state.is_serving());
    (peer, state)
}

#[test]
fn a_learner_answers_a_sync_only_when_its_leader_answers_it() {
    let (peer, mut state) = serving_learner();
    let client = 1000;
    let commands = step(&peer, &mut state, client, PeerMessage::ClientSync);
    assert_eq!(commands.len(), 1);
    let Command::Send(to, PeerMessage::SyncRequest { token }) = &commands[0] else {
        panic!("expected a SyncRequest to the leader, got {commands:?}");
    };
    assert_eq!(*to, Id::from(0));
    let token = *token;
    let sync = |token| PeerMessage::Sync {
        token,
        committed_through: Zxid::ZERO,
    };
    // Another server's SYNC, or an unknown token, answers nobody.
    assert!(step(&peer, &mut state, 2, sync(token)).is_empty());
    assert!(step(&peer, &mut state, 0, sync(token + 1)).is_empty());
    let commands = step(&peer, &mut state, 0, sync(token));
    assert_eq!(commands.len(), 1);
    assert!(
        matches!(&commands[0], Command::Send(to, PeerMessage::Synced) if *to == Id::from(client as usize))
    );
    // Answered once.
    assert!(step(&peer, &mut state, 0, sync(token)).is_empty());
}

/// The token of the SyncRequest a serving learner sends its leader for a client's sync.
fn client_sync(peer: &Peer<Machine>, state: &mut PeerState<Machine>, client: u64) -> u64 {
    let commands = step(peer, state, client, PeerMessage::ClientSync);
    let [Command::Send(_, PeerMessage::SyncRequest { token })] = &commands[..] else {
        panic!("expected a SyncRequest to the leader, got {commands:?}");
    };
    *token
}

#[test]
fn a_learner_whose_commit_was_lost_commits_through_the_syncs_commit_point_before_answering() {
    let (peer, mut state) = serving_learner();
    let zxid = Zxid::new(Epoch(1), 1);
    let proposal = Proposal { zxid, payload: 7 };
    step(&peer, &mut state, 0, PeerMessage::Propose { proposal });
    let token = client_sync(&peer, &mut state, 1000);
    let sync = PeerMessage::Sync {
        token,
        committed_through: zxid,
    };
    let commands = step(&peer, &mut state, 0, sync);
    assert_eq!(state.committed_through, zxid);
    assert!(
        matches!(commands.last(), Some(Command::Send(to, PeerMessage::Synced)) if *to == Id::from(1000))
    );
}

#[test]
fn a_learner_whose_proposal_was_lost_resynchronises_instead_of_answering_a_sync() {
    let (peer, mut state) = serving_learner();
    let token = client_sync(&peer, &mut state, 1000);
    let sync = PeerMessage::Sync {
        token,
        committed_through: Zxid::new(Epoch(1), 1),
    };
    let commands = step(&peer, &mut state, 0, sync);
    assert!(!state.is_serving());
    assert!(!commands
        .iter()
        .any(|command| matches!(command, Command::Send(_, PeerMessage::Synced))));
}

#[test]
fn a_server_that_does_not_serve_ignores_a_sync_and_a_learner_does_not_answer_one() {
    let (peer, mut state) = learner_in_epoch_one();
    assert!(step(&peer, &mut state, 1000, PeerMessage::ClientSync).is_empty());
    assert!(step(&peer, &mut state, 2, PeerMessage::SyncRequest { token: 0 }).is_empty());
}

#[test]
fn a_learner_gives_up_only_after_its_limit_of_silent_ticks_and_any_message_resets_the_count() {
    let (mut peer, state) = learner_in_epoch_one();
    peer.silent_ticks_max_joining = 3;
    let mut state = Cow::Owned(state);
    let tick = |peer: &Peer<Machine>, state: &mut Cow<PeerState<Machine>>| {
        let mut out = Out::new();
        peer.on_timeout(Id::from(1), state, &PeerTimer::Tick, &mut out);
    };
    // The first tick spends the "heard" of LEADERINFO; then two silent ticks are tolerated.
    for _ in 0..3 {
        tick(&peer, &mut state);
        assert!(matches!(state.role, Role::Learning(_)));
    }
    let mut owned = state.into_owned();
    step(
        &peer,
        &mut owned,
        0,
        PeerMessage::Ping {
            epoch: Epoch(1),
            round: 0,
            touched_sessions: Vec::new(),
        },
    );
    let mut state = Cow::Owned(owned);
    for _ in 0..3 {
        tick(&peer, &mut state);
        assert!(matches!(state.role, Role::Learning(_)));
    }
    tick(&peer, &mut state);
    assert!(matches!(state.role, Role::Looking(_)));
}

#[test]
fn a_learner_still_in_discovery_asks_its_leader_again_at_every_tick() {
    let (mut peer, state) = learner_of_zero(DurableState {
        accepted_epoch: Epoch(4),
        ..DurableState::default()
    });
    peer.silent_ticks_max_joining = 5;
    let mut state = Cow::Owned(state);
    for _ in 0..2 {
        let mut out = Out::new();
        peer.on_timeout(Id::from(1), &mut state, &PeerTimer::Tick, &mut out);
        let commands: Vec<_> = out.into_iter().collect();
        assert!(commands.iter().any(|command| matches!(
            command,
            Command::Send(to, PeerMessage::FollowerInfo { accepted_epoch: Epoch(4), is_observer: false })
                if *to == Id::from(0)
        )));
    }
    // Once LEADERINFO arrived, it waits for NEWLEADER instead.
    let mut owned = state.into_owned();
    step(
        &peer,
        &mut owned,
        0,
        PeerMessage::LeaderInfo {
            new_epoch: Epoch(5),
        },
    );
    let mut state = Cow::Owned(owned);
    let mut out = Out::new();
    peer.on_timeout(Id::from(1), &mut state, &PeerTimer::Tick, &mut out);
    assert!(!out
        .into_iter()
        .any(|command| matches!(command, Command::Send(_, PeerMessage::FollowerInfo { .. }))));
}

#[test]
fn followerinfo_reaching_a_server_still_looking_is_taken_up_when_it_leads() {
    let leader = peer(0);
    let mut out = Out::new();
    let mut state = leader.on_start(Id::from(0), &None, &mut out);
    // Server 1 decided first: its FOLLOWERINFO arrives while server 0 still looks.
    let commands = step(
        &leader,
        &mut state,
        1,
        PeerMessage::FollowerInfo {
            accepted_epoch: Epoch(0),
            is_observer: false,
        },
    );
    assert!(commands.is_empty(), "a LOOKING server answers nothing");
    let mut state = Cow::Owned(state);
    let mut out = Out::new();
    leader.on_random(Id::from(0), &mut state, &ServerId(0), &mut out);
    let commands: Vec<_> = out.into_iter().collect();
    assert!(
        commands.iter().any(|command| matches!(
            command,
            Command::Send(to, PeerMessage::LeaderInfo { new_epoch: Epoch(1) }) if *to == Id::from(1)
        )),
        "with server 1 it has a quorum and proposes epoch 1 at once: {commands:?}"
    );
    assert!(state.follower_infos_while_looking.is_empty());
}
