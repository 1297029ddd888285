//! The driver against the durability contract: nothing a batch produced leaves before the
//! batch's txns are durable, and replies carry what the core decided.

use super::core::{ConnectionId, Core, CoreConfig, Event, Malformation, Outbound};
use crate::config::FourLetterWord;
use crate::proto::jute::JuteError;
use crate::proto::message::{RequestBody, ResponseBody};
use crate::proto::opcode::OpCode;
use crate::proto::records::{
    self as wire, ConnectRequest, CreateRequest, ExistsRequest, GetDataRequest,
};
use crate::storage::Durability;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use zabkeeper_models::replica::Database;
use zabkeeper_models::replica::Replica;
use zabkeeper_models::request::{AccessControl, Prepared};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::zab::{DiskStep, Durable, PersistPlan, Proposal, Snapshot};
use zabkeeper_models::{ErrorCode, ServerId, Zxid};

/// The txns a plan appends.
fn appended(plan: &PersistPlan<Prepared, Database>) -> Vec<&Proposal<Prepared>> {
    plan.steps
        .iter()
        .flat_map(|step| match step {
            DiskStep::AppendAndSync(proposals) => proposals.as_slice(),
            _ => &[],
        })
        .collect()
}

/// Records every persist, and checks at that moment that no reply has left yet.
struct RecordingDisk {
    persisted: Arc<Mutex<Vec<PersistPlan<Prepared, Database>>>>,
    outbound_seen: Arc<Mutex<Vec<mpsc::UnboundedReceiver<Outbound>>>>,
    /// The zxids of the snapshots started in the background.
    snapshots: Arc<Mutex<Vec<Zxid>>>,
}

impl Durability for RecordingDisk {
    fn persist(&mut self, plan: &PersistPlan<Prepared, Database>) -> io::Result<()> {
        for receiver in self.outbound_seen.lock().expect("not poisoned").iter_mut() {
            assert!(
                receiver.try_recv().is_err(),
                "a reply left before the sync that covers it"
            );
        }
        self.persisted
            .lock()
            .expect("not poisoned")
            .push(plan.clone());
        Ok(())
    }

    fn snapshot_idle(&mut self) -> bool {
        true
    }

    fn start_snapshot(&mut self, snapshot: Arc<Snapshot<Database>>) -> io::Result<()> {
        self.snapshots
            .lock()
            .expect("not poisoned")
            .push(snapshot.zxid);
        Ok(())
    }
}

struct Harness {
    core: Core,
    persisted: Arc<Mutex<Vec<PersistPlan<Prepared, Database>>>>,
    outbound_seen: Arc<Mutex<Vec<mpsc::UnboundedReceiver<Outbound>>>>,
    snapshots: Arc<Mutex<Vec<Zxid>>>,
    replies: Vec<Outbound>,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_snapshot_interval(100_000)
    }

    fn with_snapshot_interval(snapshot_interval_txns: u64) -> Harness {
        let mut harness = Harness::electing(snapshot_interval_txns);
        // The single voter decides after FLE's finalize wait.
        std::thread::sleep(crate::server::trace::FINALIZE_WAIT + Duration::from_millis(20));
        harness.core.on_clock();
        harness.core.flush().expect("persists");
        assert!(
            harness.core.is_serving(),
            "a one-server ensemble leads itself"
        );
        harness
    }

    /// A core that has started and not yet elected itself.
    fn electing(snapshot_interval_txns: u64) -> Harness {
        let persisted = Arc::new(Mutex::new(Vec::new()));
        let outbound_seen = Arc::new(Mutex::new(Vec::new()));
        let snapshots = Arc::new(Mutex::new(Vec::new()));
        let disk = RecordingDisk {
            persisted: persisted.clone(),
            outbound_seen: outbound_seen.clone(),
            snapshots: snapshots.clone(),
        };
        let config = CoreConfig {
            me: ServerId(1),
            membership: zabkeeper_models::election::Membership::new([ServerId(1)], []),
            sync_limit_ticks: 5,
            init_limit_ticks: 10,
            tick: Duration::from_millis(2000),
            sessions: SessionConfig::with_tick_time(2000),
            access: AccessControl::default(),
            extended_types_enabled: false,
            connections_per_host_max: Some(2),
            four_letter_words: crate::config::FourLetterWordWhitelist::every_word(),
            configuration: Vec::new(),
            data_dir: std::path::PathBuf::from("/nonexistent"),
            data_log_dir: std::path::PathBuf::from("/nonexistent"),
            snapshot_interval_txns,
            container_check_interval: Duration::from_secs(60),
            driver_mutation: None,
        };
        let mut core = Core::new(
            config,
            Durable::<Replica>::default(),
            Box::new(disk),
            None,
            None,
        );
        core.flush().expect("persists");
        Harness {
            core,
            persisted,
            outbound_seen,
            snapshots,
            replies: Vec::new(),
        }
    }

    fn open(&mut self, connection: ConnectionId) {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.outbound_seen
            .lock()
            .expect("not poisoned")
            .push(receiver);
        self.core.handle(Event::Open {
            connection,
            address: std::net::SocketAddr::new(
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                40_000 + connection as u16,
            ),
            outbound: sender,
        });
    }

    /// Flushes and collects what every connection was sent.
    fn flush(&mut self) -> Vec<Outbound> {
        self.core.flush().expect("persists");
        let mut sent = Vec::new();
        for receiver in self.outbound_seen.lock().expect("not poisoned").iter_mut() {
            while let Ok(message) = receiver.try_recv() {
                sent.push(message);
            }
        }
        self.replies.extend(sent.clone());
        sent
    }

    fn connect(&mut self, connection: ConnectionId) -> i64 {
        self.open(connection);
        self.core.handle(Event::Connect {
            connection,
            request: new_session_request(),
        });
        match self.flush().as_slice() {
            [Outbound::Connected(response)] => {
                assert_eq!(response.timeout_ms, 30_000, "within [4 s, 40 s]");
                assert_ne!(response.session_id, 0);
                response.session_id
            }
            other => panic!("expected the handshake's answer, got {other:?}"),
        }
    }

    fn request(&mut self, connection: ConnectionId, xid: i32, body: RequestBody) -> Vec<Outbound> {
        self.core.handle(Event::Request {
            connection,
            xid,
            body,
        });
        self.flush()
    }
}

/// A handshake asking for a new session of 30 s.
fn new_session_request() -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        timeout_ms: 30_000,
        session_id: 0,
        password: vec![0; 16],
        read_only: Some(false),
    }
}

fn reply_of(sent: &[Outbound]) -> (i32, i32, ResponseBody) {
    match sent.last() {
        Some(Outbound::Reply(response)) => (
            response.header.xid,
            response.header.err,
            response.body.clone(),
        ),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn create(path: &str, data: &[u8], flags: i32) -> RequestBody {
    RequestBody::Create(CreateRequest {
        path: path.to_string(),
        data: Some(data.to_vec()),
        acl: vec![wire::Acl {
            perms: 31,
            id: wire::Id {
                scheme: "world".to_string(),
                id: "anyone".to_string(),
            },
        }],
        flags,
    })
}

#[test]
fn a_session_is_created_durably_before_the_client_hears_of_it() {
    let mut harness = Harness::new();
    let before = harness.persisted.lock().expect("not poisoned").len();
    harness.connect(1);
    let persisted = harness.persisted.lock().expect("not poisoned");
    assert_eq!(persisted.len(), before + 1);
    assert_eq!(
        persisted[before].steps.len(),
        1,
        "an append: {:?}",
        persisted[before]
    );
    assert_eq!(
        appended(&persisted[before]).len(),
        1,
        "the createSession txn"
    );
}

#[test]
fn a_create_is_logged_then_answered_and_read_back() {
    let mut harness = Harness::new();
    harness.connect(1);
    let sent = harness.request(1, 1, create("/a", b"hello", 0));
    let (xid, err, body) = reply_of(&sent);
    assert_eq!((xid, err), (1, 0));
    assert!(matches!(body, ResponseBody::Create(ref created) if created.path == "/a"));

    let sent = harness.request(
        1,
        2,
        RequestBody::GetData(GetDataRequest {
            path: "/a".to_string(),
            watch: false,
        }),
    );
    let (_, err, body) = reply_of(&sent);
    assert_eq!(err, 0);
    assert!(
        matches!(body, ResponseBody::GetData(ref data) if data.data.as_deref() == Some(&b"hello"[..]))
    );

    let sent = harness.request(
        1,
        3,
        RequestBody::Exists(ExistsRequest {
            path: "/missing".to_string(),
            watch: true,
        }),
    );
    let (_, err, _) = reply_of(&sent);
    assert_eq!(err, ErrorCode::NoNode.code());
}

#[test]
fn a_watch_fires_before_the_reply_that_triggered_it() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.connect(2);
    harness.request(
        1,
        1,
        RequestBody::Exists(ExistsRequest {
            path: "/w".to_string(),
            watch: true,
        }),
    );
    let sent = harness.request(2, 1, create("/w", b"", 0));
    assert_eq!(sent.len(), 2, "a notification and a reply: {sent:?}");
    match &sent[0] {
        Outbound::Reply(notification) => {
            assert_eq!(notification.header.xid, -1);
            assert!(matches!(
                &notification.body,
                ResponseBody::Notification(event) if event.path == "/w" && event.event_type == 1
            ));
        }
        other => panic!("expected the notification first, got {other:?}"),
    }
}

#[test]
fn closing_the_session_removes_its_ephemerals_and_closes_the_connection() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.request(1, 1, create("/e", b"", 1));
    let sent = harness.request(1, 2, RequestBody::CloseSession);
    assert!(matches!(
        sent.as_slice(),
        [Outbound::Reply(_), Outbound::Close { .. }]
    ));
    harness.connect(2);
    let sent = harness.request(
        2,
        1,
        RequestBody::Exists(ExistsRequest {
            path: "/e".to_string(),
            watch: false,
        }),
    );
    assert_eq!(reply_of(&sent).1, ErrorCode::NoNode.code());
}

#[test]
fn connections_past_max_client_cnxns_are_closed() {
    let mut harness = Harness::new();
    harness.open(1);
    harness.open(2);
    harness.open(3);
    let sent = harness.flush();
    assert!(
        matches!(sent.as_slice(), [Outbound::Close { reason }] if reason.contains("maxClientCnxns")),
        "{sent:?}"
    );
}

#[test]
fn snapshots_start_every_snap_count_txns_and_logged_txns_are_never_written_again() {
    let mut harness = Harness::with_snapshot_interval(4);
    harness.connect(1);
    for index in 0..12 {
        let sent = harness.request(1, index + 1, create(&format!("/n{index}"), b"x", 0));
        assert_eq!(reply_of(&sent).1, 0);
    }
    let snapshots = harness.snapshots.lock().expect("not poisoned").clone();
    // 13 txns (a createSession, 12 creates), a snapshot after 2 or 3 of them.
    assert!(snapshots.len() >= 4, "snapshots at {snapshots:?}");
    assert!(snapshots.windows(2).all(|pair| pair[0] < pair[1]));
    let persisted = harness.persisted.lock().expect("not poisoned");
    let appended: Vec<Zxid> = persisted
        .iter()
        .flat_map(|plan| appended(plan).into_iter().map(|proposal| proposal.zxid))
        .collect();
    assert!(
        appended.windows(2).all(|pair| pair[0] < pair[1]),
        "every txn is logged once, in order: {appended:?}"
    );
    assert!(persisted
        .iter()
        .all(|plan| plan.steps.iter().all(|step| !matches!(
            step,
            DiskStep::WriteSnapshot(_) | DiskStep::TruncateAfter(_)
        ))));
    drop(persisted);
    let sent = harness.request(
        1,
        100,
        RequestBody::GetData(GetDataRequest {
            path: "/n0".to_string(),
            watch: false,
        }),
    );
    assert_eq!(
        reply_of(&sent).1,
        0,
        "the compacted tree still serves reads"
    );
}

#[test]
fn an_unknown_op_is_answered_unimplemented_without_a_zxid_and_closes_the_connection() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.core.handle(Event::Malformed {
        connection: 1,
        xid: 7,
        malformation: Malformation::UnknownOp(999),
    });
    let sent = harness.flush();
    match sent.as_slice() {
        [Outbound::Reply(reply), Outbound::Close { .. }] => {
            assert_eq!(reply.header.xid, 7);
            assert_eq!(reply.header.zxid, -1);
            assert_eq!(reply.header.err, ErrorCode::Unimplemented.code());
            assert_eq!(reply.body, ResponseBody::Empty);
        }
        other => panic!("expected a reply and a close, got {other:?}"),
    }
}

#[test]
fn a_body_that_does_not_decode_is_a_marshalling_error_and_the_connection_stays() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.core.handle(Event::Malformed {
        connection: 1,
        xid: 7,
        malformation: Malformation::BodyDoesNotDecode {
            op_code: OpCode::GetData,
            error: JuteError::Truncated {
                needed: 10,
                remaining: 2,
            },
        },
    });
    let sent = harness.flush();
    assert!(
        !sent
            .iter()
            .any(|message| matches!(message, Outbound::Close { .. })),
        "{sent:?}"
    );
    assert_eq!(
        reply_of(&sent),
        (7, ErrorCode::MarshallingError.code(), ResponseBody::Empty)
    );
    let sent = harness.request(1, 8, create("/after", b"", 0));
    assert_eq!(reply_of(&sent).1, 0, "the connection still serves");
}

#[test]
fn four_letter_words_about_the_server_wait_until_it_serves() {
    let mut harness = Harness::electing(100_000);
    assert!(!harness.core.is_serving());
    let mut answer = |connection: ConnectionId, word: FourLetterWord| {
        harness.open(connection);
        harness
            .core
            .handle(Event::FourLetterWord { connection, word });
        let text = match harness.flush().as_slice() {
            [Outbound::Text(text), Outbound::Close { .. }] => text.clone(),
            other => panic!("expected a text and a close, got {other:?}"),
        };
        // The connection's task reports the close, as it would after sending.
        harness.core.handle(Event::Closed { connection });
        text
    };
    assert_eq!(
        answer(1, FourLetterWord::Srvr),
        "This ZooKeeper instance is not currently serving requests\n"
    );
    assert_eq!(answer(2, FourLetterWord::Ruok), "imok");
    assert_eq!(answer(3, FourLetterWord::Isro), "null");
}

#[test]
fn a_handshake_during_the_election_is_held_and_answered_once_the_server_serves() {
    let mut harness = Harness::electing(100_000);
    harness.open(1);
    harness.core.handle(Event::Connect {
        connection: 1,
        request: new_session_request(),
    });
    assert!(
        harness.flush().is_empty(),
        "neither answered nor closed while electing"
    );
    std::thread::sleep(crate::server::trace::FINALIZE_WAIT + Duration::from_millis(20));
    harness.core.on_clock();
    match harness.flush().as_slice() {
        [Outbound::Connected(response)] => assert_ne!(response.session_id, 0),
        other => panic!("expected the handshake's answer, got {other:?}"),
    }
}

/// A handshake naming `session` with its password, asking for `timeout_ms`.
fn reconnect_request(session: i64, timeout_ms: i32) -> ConnectRequest {
    ConnectRequest {
        session_id: session,
        timeout_ms,
        password: super::password::session_password(session).to_vec(),
        ..new_session_request()
    }
}

#[test]
fn a_reconnect_is_answered_with_the_sessions_own_timeout_once_the_leader_revalidated_it() {
    let mut harness = Harness::new();
    let session = harness.connect(1);
    harness.open(2);
    harness.core.handle(Event::Connect {
        connection: 2,
        request: reconnect_request(session, 5_000),
    });
    match harness.flush().as_slice() {
        [Outbound::Connected(response)] => {
            assert_eq!(response.session_id, session);
            assert_eq!(response.timeout_ms, 30_000, "the session's own timeout");
        }
        other => panic!("expected the handshake's answer, got {other:?}"),
    }
    let sent = harness.request(2, 1, create("/moved", b"", 1));
    assert_eq!(
        reply_of(&sent).1,
        0,
        "the reconnected session writes at once"
    );
}

#[test]
fn a_reconnect_with_a_session_nobody_knows_is_told_it_expired() {
    let mut harness = Harness::new();
    harness.open(1);
    let unknown = 0x0100_0000_0000_0042;
    harness.core.handle(Event::Connect {
        connection: 1,
        request: reconnect_request(unknown, 5_000),
    });
    match harness.flush().as_slice() {
        [Outbound::Connected(response), Outbound::Close { .. }] => {
            assert_eq!((response.session_id, response.timeout_ms), (0, 0));
        }
        other => panic!("expected the expired answer and a close, got {other:?}"),
    }
}
