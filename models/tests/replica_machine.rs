//! The replicated database's side of the `StateMachine` contract, call by call: the answers the
//! peer asks of it (which txn answers which request, what a touch finds, the opcodes the
//! server's trace and stats read) and what it hands the read path and the watches.

use zabkeeper_models::replica::{ClientRequest, Database, LeaderPreparation, Replica};
use zabkeeper_models::request::{CreateOp, CreateRequest, PrepareConfig, Prepared, WriteRequest};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::tree::Acl;
use zabkeeper_models::watch::EventType;
use zabkeeper_models::zab::{Proposal, StateMachine};
use zabkeeper_models::{Epoch, ServerId, SessionId, Zxid};

const SESSION: SessionId = SessionId(0x0100_0000_0000_0001);
const OTHER_SESSION: SessionId = SessionId(0x0100_0000_0000_0002);

fn replica() -> Replica {
    Replica::new(
        ServerId(1),
        PrepareConfig::default(),
        SessionConfig::with_tick_time(2000),
    )
}

fn request(session: SessionId, cxid: i32, request: WriteRequest) -> ClientRequest {
    ClientRequest {
        session,
        cxid,
        owner: ServerId(1),
        auth: Vec::new(),
        time_ms: 1_700_000_000_000,
        request,
    }
}

fn create(path: &str) -> WriteRequest {
    WriteRequest::Create(CreateRequest {
        op: CreateOp::Create,
        path: path.to_string(),
        data: Some(b"x".to_vec()),
        acl: Acl::open_unsafe(),
        flags: 0,
    })
}

/// A leader's preparation over an empty database with `SESSION` created, and that database.
fn leader_with_session(replica: &Replica) -> (Database, LeaderPreparation) {
    let mut applied = replica.initial();
    let mut preparation = replica.start_preparing(&applied, 0);
    let create_session = replica
        .create_session_request(SESSION, ServerId(1), 30_000)
        .expect("the replica has sessions");
    let zxid = Zxid::new(Epoch(1), 1);
    let txn = replica.prepare(&applied, &mut preparation, &create_session, zxid);
    replica.apply(&mut applied, &Proposal { zxid, payload: txn });
    replica.retire(&mut preparation, zxid);
    (applied, preparation)
}

/// `SESSION`'s create of `/a`, prepared as the txn after its createSession.
fn prepare_create_a(
    replica: &Replica,
    applied: &Database,
    preparation: &mut LeaderPreparation,
) -> (Zxid, Prepared) {
    let zxid = Zxid::new(Epoch(1), 2);
    let sent = request(SESSION, 5, create("/a"));
    (zxid, replica.prepare(applied, preparation, &sent, zxid))
}

#[test]
fn a_created_session_is_known_to_the_database_and_to_touches() {
    let replica = replica();
    let (applied, mut preparation) = leader_with_session(&replica);
    assert_eq!(Replica::session_timeout_ms(&applied, SESSION), Some(30_000));
    assert!(replica.touch(&mut preparation, &SESSION, 10));
    assert!(!replica.touch(&mut preparation, &OTHER_SESSION, 10));
    assert_eq!(Replica::session_named(SESSION), SESSION);
}

#[test]
fn a_txn_answers_the_request_of_its_session_and_cxid_only() {
    let replica = replica();
    let (applied, mut preparation) = leader_with_session(&replica);
    let sent = request(SESSION, 5, create("/a"));
    let txn = replica.prepare(&applied, &mut preparation, &sent, Zxid::new(Epoch(1), 2));
    assert!(replica.answers(&sent, &txn));
    assert!(!replica.answers(&request(SESSION, 6, create("/a")), &txn));
    assert!(!replica.answers(&request(OTHER_SESSION, 5, create("/a")), &txn));
}

#[test]
fn retiring_a_txn_forgets_its_outstanding_change() {
    let replica = replica();
    let (mut applied, mut preparation) = leader_with_session(&replica);
    let (zxid, txn) = prepare_create_a(&replica, &applied, &mut preparation);
    assert!(!preparation.preparer.changes().is_empty());
    replica.apply(&mut applied, &Proposal { zxid, payload: txn });
    replica.retire(&mut preparation, zxid);
    assert!(preparation.preparer.changes().is_empty());
}

#[test]
fn the_read_path_and_the_watches_see_what_was_applied() {
    let replica = replica();
    let (mut applied, mut preparation) = leader_with_session(&replica);
    let (zxid, txn) = prepare_create_a(&replica, &applied, &mut preparation);
    let outcome = replica.apply(&mut applied, &Proposal { zxid, payload: txn });
    let tree = Replica::data_tree(&applied).expect("the replica serves reads");
    assert!(tree.contains("/a"));
    assert_eq!(
        Replica::watch_events(&outcome),
        &[
            (EventType::NodeCreated, "/a".to_string()),
            (EventType::NodeChildrenChanged, "/".to_string()),
        ]
    );
}

/// `ZooDefs.OpCode`, as the server's stats and trace report a request's type.
#[test]
fn request_opcodes_are_zoodefs() {
    let create_with = |op| {
        WriteRequest::Create(CreateRequest {
            op,
            path: "/a".to_string(),
            data: None,
            acl: Acl::open_unsafe(),
            flags: 0,
        })
    };
    let opcodes = [
        (create_with(CreateOp::Create), 1),
        (create_with(CreateOp::Create2), 15),
        (create_with(CreateOp::CreateContainer), 19),
        (
            WriteRequest::DeleteContainer {
                path: "/a".to_string(),
            },
            20,
        ),
        (WriteRequest::CreateSession { timeout_ms: 30_000 }, -10),
        (WriteRequest::CloseSession, -11),
    ];
    for (sent, opcode) in opcodes {
        assert_eq!(Replica::request_op_code(&request(SESSION, 1, sent)), opcode);
    }
}
