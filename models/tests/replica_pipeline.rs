//! The request pipeline of a one-server ensemble, step by step against the exact commands the
//! peer emits: prepare → log (Save) → commit → apply → answer, and leader-side session expiry.
//! This is the path the standalone server runs.

use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use zabkeeper_models::election::Membership;
use zabkeeper_models::replica::{ClientRequest, Replica};
use zabkeeper_models::request::{CreateMode, CreateOp, CreateRequest, PrepareConfig, WriteRequest};
use zabkeeper_models::session::handshake::{Handshake, HandshakeDecision};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::tree::{Acl, Txn};
use zabkeeper_models::zab::{Message, Peer, PeerMessage, PeerState, PeerTimer, StateMachine};
use zabkeeper_models::{ErrorCode, ServerId, SessionId};

const CLIENT: usize = 7;
const SESSION: SessionId = SessionId(0x0100_0000_0000_0001);

fn standalone() -> (Peer<Replica>, PeerState<Replica>) {
    let me = ServerId(1);
    let replica = Replica::new(
        me,
        PrepareConfig::default(),
        SessionConfig::with_tick_time(2000),
    );
    let peer = Peer::new(me, Membership::new([me], []), replica);
    let mut out = Out::new();
    let state = peer.on_start(Id::from(1), &None, &mut out);
    // Its own vote is a quorum; FLE still waits out finalizeWait before deciding.
    let mut state = Cow::Owned(state);
    let mut out = Out::new();
    peer.on_timeout(Id::from(1), &mut state, &PeerTimer::Settle, &mut out);
    let state = state.into_owned();
    assert_eq!(
        state.established_epoch().map(|epoch| epoch.0),
        Some(1),
        "a one-server ensemble leads itself at start"
    );
    (peer, state)
}

fn request(cxid: i32, request: WriteRequest) -> ClientRequest {
    ClientRequest {
        session: SESSION,
        cxid,
        owner: ServerId(1),
        auth: Vec::new(),
        time_ms: 1_700_000_000_000,
        request,
    }
}

fn create_ephemeral(path: &str) -> WriteRequest {
    WriteRequest::Create(CreateRequest {
        op: CreateOp::Create,
        path: path.to_string(),
        data: Some(b"x".to_vec()),
        acl: Acl::open_unsafe(),
        flags: CreateMode::Ephemeral.flag(),
    })
}

type PeerCommand =
    Command<Message<Replica>, PeerTimer, ServerId, zabkeeper_models::zab::Durable<Replica>>;

fn client_write(
    peer: &Peer<Replica>,
    state: &mut PeerState<Replica>,
    request: ClientRequest,
) -> Vec<PeerCommand> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_msg(
        Id::from(1),
        &mut cow,
        Id::from(CLIENT),
        PeerMessage::ClientWrite { request },
        &mut out,
    );
    *state = cow.into_owned();
    out.into_iter().collect()
}

/// The step logs the txn, then answers the client: a Save followed by one Send, in that order.
fn save_then_answer(commands: &[PeerCommand]) -> (Txn, ErrorCode) {
    let [Command::Save(disk), Command::Send(to, PeerMessage::WriteCommitted { payload, .. })] =
        commands
    else {
        panic!("expected Save then the answer, got {commands:?}");
    };
    assert_eq!(*to, Id::from(CLIENT));
    assert_eq!(
        disk.history.last().map(|proposal| &proposal.payload),
        Some(payload),
        "the answered txn is the one logged"
    );
    (
        payload.txn.clone(),
        payload.error().unwrap_or(ErrorCode::Ok),
    )
}

#[test]
fn session_create_and_ephemeral_are_logged_before_they_are_answered() {
    let (peer, mut state) = standalone();
    let commands = client_write(
        &peer,
        &mut state,
        request(0, WriteRequest::CreateSession { timeout_ms: 6000 }),
    );
    let (txn, error) = save_then_answer(&commands);
    assert!(matches!(txn, Txn::CreateSession(_)));
    assert_eq!(error, ErrorCode::Ok);
    assert_eq!(state.applied.sessions.get(&SESSION), Some(&6000));

    let commands = client_write(&peer, &mut state, request(1, create_ephemeral("/e")));
    let (txn, error) = save_then_answer(&commands);
    assert!(matches!(txn, Txn::Create(ref create) if create.ephemeral));
    assert_eq!(error, ErrorCode::Ok);
    assert_eq!(
        state.applied.tree.ephemerals(SESSION),
        vec!["/e".to_string()]
    );
}

#[test]
fn expiry_closes_the_session_and_a_later_create_is_refused() {
    let (peer, mut state) = standalone();
    client_write(
        &peer,
        &mut state,
        request(0, WriteRequest::CreateSession { timeout_ms: 6000 }),
    );
    client_write(&peer, &mut state, request(1, create_ephemeral("/e")));

    // Before the timeout nothing expires.
    let mut cow = Cow::Borrowed(&state);
    let mut out = Out::new();
    peer.on_session_clock(&mut cow, 4000, &mut out);
    assert!(out.into_iter().next().is_none());
    state = cow.into_owned();

    let mut cow = Cow::Borrowed(&state);
    let mut out = Out::new();
    peer.on_session_clock(&mut cow, 10_000, &mut out);
    state = cow.into_owned();
    let commands: Vec<PeerCommand> = out.into_iter().collect();
    let [Command::Save(disk)] = commands.as_slice() else {
        panic!("expiry logs a closeSession and answers no one: {commands:?}");
    };
    let close = &disk.history.last().expect("logged").payload;
    assert_eq!(close.header.client_id, SESSION);
    assert!(
        matches!(&close.txn, Txn::CloseSession(txn) if txn.paths_to_delete == ["/e"]),
        "the close lists the session's ephemeral: {close:?}"
    );
    assert!(state.applied.tree.ephemerals(SESSION).is_empty());
    assert!(!state.applied.tree.contains("/e"));
    assert!(state.applied.sessions.is_empty());

    let commands = client_write(&peer, &mut state, request(2, create_ephemeral("/f")));
    let (txn, error) = save_then_answer(&commands);
    assert!(matches!(txn, Txn::Error(_)));
    assert_eq!(error, ErrorCode::SessionExpired);
    assert!(!state.applied.tree.contains("/f"));
}

#[test]
fn compaction_folds_committed_txns_into_a_snapshot_that_restarts_the_same() {
    let (peer, mut state) = standalone();
    client_write(
        &peer,
        &mut state,
        request(0, WriteRequest::CreateSession { timeout_ms: 6000 }),
    );
    client_write(&peer, &mut state, request(1, create_ephemeral("/e")));
    let before = state.applied.clone();
    let snapshot = peer
        .compact(&mut state)
        .expect("two committed txns to fold");
    assert_eq!(snapshot.txn_count, 2);
    assert_eq!(snapshot.zxid, state.committed_through);
    assert!(state.durable.history.is_empty());
    assert_eq!(peer.compact(&mut state), None, "nothing new to fold");

    // A restart from the compacted durable state rebuilds the same database.
    let mut out = Out::new();
    let restarted = peer.on_start(Id::from(1), &Some(state.durable.clone()), &mut out);
    assert_eq!(restarted.applied, before);
    assert_eq!(restarted.committed_through, snapshot.zxid);
}

/// A create as the Java client sends it: containers with the createContainer op.
fn create(path: &str, mode: CreateMode) -> WriteRequest {
    let op = match mode {
        CreateMode::Container => CreateOp::CreateContainer,
        _ => CreateOp::Create,
    };
    WriteRequest::Create(CreateRequest {
        op,
        path: path.to_string(),
        data: Some(b"x".to_vec()),
        acl: Acl::open_unsafe(),
        flags: mode.flag(),
    })
}

/// One housekeeping round at `wall_time_ms`: the txns it logged.
fn housekeeping(
    peer: &Peer<Replica>,
    state: &mut PeerState<Replica>,
    wall_time_ms: i64,
) -> Vec<Txn> {
    let logged_before = state.durable.history.len();
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    peer.on_housekeeping_clock(&mut cow, wall_time_ms, &mut out);
    *state = cow.into_owned();
    let commands: Vec<PeerCommand> = out.into_iter().collect();
    assert!(
        commands
            .iter()
            .all(|command| matches!(command, Command::Save(_))),
        "housekeeping answers no client: {commands:?}"
    );
    state.durable.history[logged_before..]
        .iter()
        .map(|proposal| proposal.payload.txn.clone())
        .collect()
}

#[test]
fn housekeeping_deletes_emptied_containers_and_expired_ttl_nodes_only() {
    let me = ServerId(1);
    let replica = Replica::new(
        me,
        PrepareConfig {
            extended_types_enabled: true,
            ..PrepareConfig::default()
        },
        SessionConfig::with_tick_time(2000),
    );
    let peer = Peer::new(me, Membership::new([me], []), replica);
    let mut out = Out::new();
    let mut state = Cow::Owned(peer.on_start(Id::from(1), &None, &mut out));
    peer.on_timeout(Id::from(1), &mut state, &PeerTimer::Settle, &mut Out::new());
    let mut state = state.into_owned();
    client_write(
        &peer,
        &mut state,
        request(0, WriteRequest::CreateSession { timeout_ms: 6000 }),
    );
    let created_ms = 1_700_000_000_000;
    client_write(
        &peer,
        &mut state,
        request(1, create("/used", CreateMode::Container)),
    );
    client_write(
        &peer,
        &mut state,
        request(2, create("/used/child", CreateMode::Persistent)),
    );
    client_write(
        &peer,
        &mut state,
        request(3, create("/fresh", CreateMode::Container)),
    );
    let ttl = WriteRequest::Create(CreateRequest {
        op: CreateOp::CreateTtl { ttl_ms: 5000 },
        path: "/lease".to_string(),
        data: None,
        acl: Acl::open_unsafe(),
        flags: CreateMode::PersistentWithTtl.flag(),
    });
    let (_, error) = save_then_answer(&client_write(&peer, &mut state, request(4, ttl)));
    assert_eq!(error, ErrorCode::Ok);

    // A container with its child, a container never used and a TTL node within its TTL stay.
    assert!(housekeeping(&peer, &mut state, created_ms + 1000).is_empty());

    let delete_child = WriteRequest::Delete(zabkeeper_models::request::DeleteRequest {
        path: "/used/child".to_string(),
        version: -1,
    });
    let (_, error) = save_then_answer(&client_write(&peer, &mut state, request(5, delete_child)));
    assert_eq!(error, ErrorCode::Ok);
    let reaped = housekeeping(&peer, &mut state, created_ms + 6000);
    assert_eq!(
        reaped
            .iter()
            .map(|txn| match txn {
                Txn::DeleteContainer(delete) => delete.path.as_str(),
                other => panic!("only deleteContainer txns: {other:?}"),
            })
            .collect::<Vec<_>>(),
        ["/lease", "/used"],
        "the emptied container and the expired TTL node, the unused container stays"
    );
    assert!(!state.applied.tree.contains("/used"));
    assert!(!state.applied.tree.contains("/lease"));
    assert!(state.applied.tree.contains("/fresh"));
}

fn reconnect(peer: &Peer<Replica>, state: &mut PeerState<Replica>) -> Vec<PeerCommand> {
    let mut cow = Cow::Borrowed(&*state);
    let mut out = Out::new();
    let message = PeerMessage::ClientRevalidate { session: SESSION };
    peer.on_msg(Id::from(1), &mut cow, Id::from(CLIENT), message, &mut out);
    *state = cow.into_owned();
    out.into_iter().collect()
}

#[test]
fn a_revalidated_session_is_accepted_through_its_new_owner_only() {
    let (peer, mut state) = standalone();
    client_write(
        &peer,
        &mut state,
        request(0, WriteRequest::CreateSession { timeout_ms: 6000 }),
    );
    let through = |cxid, owner, path: &str| ClientRequest {
        owner: ServerId(owner),
        ..request(cxid, create_ephemeral(path))
    };
    // The session was created through server 1: server 2 is not its owner.
    let commands = client_write(&peer, &mut state, through(1, 2, "/a"));
    assert_eq!(save_then_answer(&commands).1, ErrorCode::SessionMoved);
    // Its client reconnects through server 2 (a learner's REVALIDATE reaching this leader).
    let preparation = state.preparation.as_mut().expect("the leader prepares");
    assert!(peer
        .machine
        .revalidate(preparation, &SESSION, ServerId(2), 1000));
    let commands = client_write(&peer, &mut state, through(2, 2, "/b"));
    assert_eq!(save_then_answer(&commands).1, ErrorCode::Ok);
    let commands = client_write(&peer, &mut state, through(3, 1, "/c"));
    assert_eq!(save_then_answer(&commands).1, ErrorCode::SessionMoved);
    // Back to the leader itself: the leader answers at once and owns the session again.
    let commands = reconnect(&peer, &mut state);
    let [Command::Send(
        to,
        PeerMessage::SessionRevalidated {
            session,
            valid: true,
        },
    )] = commands.as_slice()
    else {
        panic!("expected the leader's answer, got {commands:?}");
    };
    assert_eq!((*to, *session), (Id::from(CLIENT), SESSION));
    let commands = client_write(&peer, &mut state, through(4, 1, "/d"));
    assert_eq!(save_then_answer(&commands).1, ErrorCode::Ok);
    let commands = client_write(&peer, &mut state, through(5, 2, "/e"));
    assert_eq!(save_then_answer(&commands).1, ErrorCode::SessionMoved);
    assert_eq!(
        state.applied.tree.ephemerals(SESSION),
        vec!["/b".to_string(), "/d".to_string()]
    );
}

#[test]
fn a_reconnect_of_an_expired_session_is_refused() {
    let (peer, mut state) = standalone();
    client_write(
        &peer,
        &mut state,
        request(0, WriteRequest::CreateSession { timeout_ms: 6000 }),
    );
    let mut cow = Cow::Borrowed(&state);
    peer.on_session_clock(&mut cow, 10_000, &mut Out::new());
    state = cow.into_owned();
    let commands = reconnect(&peer, &mut state);
    assert!(
        matches!(
            commands.as_slice(),
            [Command::Send(
                _,
                PeerMessage::SessionRevalidated { valid: false, .. }
            )]
        ),
        "{commands:?}"
    );
}

/// A reconnect is resumed with the session's own timeout where the server has applied its
/// createSession, and with the asked one, clamped, where it has not (the leader decides
/// whether it lives).
#[test]
fn a_reconnect_resumes_with_the_timeout_the_server_applied() {
    let (peer, mut state) = standalone();
    let commands = client_write(
        &peer,
        &mut state,
        request(0, WriteRequest::CreateSession { timeout_ms: 6000 }),
    );
    save_then_answer(&commands);
    let reconnect = |session: SessionId| Handshake {
        last_zxid_seen: 0,
        timeout_ms: 90_000,
        session_id: session.0,
        password_matches: true,
    };
    assert_eq!(
        peer.decide_handshake(&state, reconnect(SESSION)),
        HandshakeDecision::Resume {
            session: SESSION,
            timeout_ms: 6000
        }
    );
    let unknown = SessionId(SESSION.0 + 1);
    assert_eq!(
        peer.decide_handshake(&state, reconnect(unknown)),
        HandshakeDecision::Resume {
            session: unknown,
            timeout_ms: 40_000
        }
    );
}
