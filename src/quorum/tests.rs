//! Transports on loopback: messages arrive in order on the right channel, a broken quorum
//! connection is reported, a restarted peer never hears what was meant for its previous
//! incarnation, a synchronisation far above the frame limit arrives whole, and a message that
//! cannot be framed closes the connection instead of vanishing.

use super::*;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use zabkeeper_models::election::{Notification, ServerState, Vote};
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::tree::{Acl, CreateTxn, DataTree, Txn};
use zabkeeper_models::zab::{NewLeader, Proposal, Snapshot, SyncKind};
use zabkeeper_models::{Epoch, SessionId, Zxid};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

struct Listeners {
    quorum: TcpListener,
    election: TcpListener,
    addresses: PeerAddresses,
}

async fn listeners() -> Listeners {
    let quorum = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let election = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let address = |listener: &TcpListener| PeerAddress {
        host: Host::Ip(LOOPBACK),
        port: listener.local_addr().unwrap().port(),
    };
    let addresses = PeerAddresses {
        quorum: address(&quorum),
        election: address(&election),
    };
    Listeners {
        quorum,
        election,
        addresses,
    }
}

fn start(
    me: u64,
    incarnation: u64,
    own: Listeners,
    peer: (u64, PeerAddresses),
) -> (Transport, mpsc::UnboundedReceiver<PeerEvent>) {
    start_limited(
        me,
        incarnation,
        own,
        peer,
        frame::QUORUM_FRAME_BYTES_MAX_DEFAULT,
    )
}

fn start_limited(
    me: u64,
    incarnation: u64,
    own: Listeners,
    peer: (u64, PeerAddresses),
    quorum_frame_bytes_max: usize,
) -> (Transport, mpsc::UnboundedReceiver<PeerEvent>) {
    let (events, receiver) = mpsc::unbounded_channel();
    let transport = Transport::start(
        TransportConfig {
            me: ServerId(me),
            incarnation,
            peers: [(ServerId(peer.0), peer.1)].into_iter().collect(),
            quorum_listener: own.quorum,
            election_listener: own.election,
            quorum_frame_bytes_max,
        },
        events,
    );
    (transport, receiver)
}

async fn next(receiver: &mut mpsc::UnboundedReceiver<PeerEvent>) -> PeerEvent {
    tokio::time::timeout(Duration::from_secs(10), receiver.recv())
        .await
        .expect("an event within 10 s")
        .expect("the transport is running")
}

fn commit(counter: u32) -> Message<Replica> {
    PeerMessage::Commit {
        zxid: Zxid::new(Epoch(1), counter),
    }
}

fn notification() -> Message<Replica> {
    PeerMessage::Notification(Notification {
        sender_state: ServerState::Looking,
        vote: Vote {
            peer_epoch: Epoch::ZERO,
            zxid: Zxid::ZERO,
            leader: ServerId(2),
        },
        election_epoch: 1,
    })
}

#[tokio::test]
async fn messages_flow_both_ways_in_order_on_both_channels() {
    let (one, two) = (listeners().await, listeners().await);
    let (one_addresses, two_addresses) = (one.addresses.clone(), two.addresses.clone());
    let (first, mut first_events) = start(1, 10, one, (2, two_addresses));
    let (second, mut second_events) = start(2, 20, two, (1, one_addresses));
    for counter in 1..=100 {
        first.send(ServerId(2), commit(counter));
    }
    second.send(ServerId(1), notification());
    for counter in 1..=100 {
        match next(&mut second_events).await {
            PeerEvent::Message { from, message } => {
                assert_eq!(from, ServerId(1));
                assert_eq!(message, commit(counter));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    match next(&mut first_events).await {
        PeerEvent::Message { from, message } => {
            assert_eq!(from, ServerId(2));
            assert_eq!(message, notification());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_dead_peer_is_reported_and_its_next_incarnation_gets_only_new_messages() {
    let (one, two) = (listeners().await, listeners().await);
    let (one_addresses, two_addresses) = (one.addresses.clone(), two.addresses.clone());
    let two_quorum_port = two.addresses.quorum.port;
    let two_election_port = two.addresses.election.port;
    // Server 2 dials server 1 (the higher id dials).
    let (first, mut first_events) = start(1, 10, one, (2, two_addresses));
    let (second, mut second_events) = start(2, 20, two, (1, one_addresses.clone()));
    first.send(ServerId(2), commit(1));
    assert!(matches!(
        next(&mut second_events).await,
        PeerEvent::Message { .. }
    ));
    drop(second);
    drop(second_events);
    match next(&mut first_events).await {
        PeerEvent::Disconnected { server } => assert_eq!(server, ServerId(2)),
        other => panic!("unexpected {other:?}"),
    }
    // Meant for the incarnation that died: queued while nobody is connected.
    first.send(ServerId(2), commit(2));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let restarted = Listeners {
        quorum: TcpListener::bind((LOOPBACK, two_quorum_port))
            .await
            .unwrap(),
        election: TcpListener::bind((LOOPBACK, two_election_port))
            .await
            .unwrap(),
        addresses: one_addresses.clone(),
    };
    let (_second, mut second_events) = start(2, 21, restarted, (1, one_addresses));
    // The new incarnation connects; what was queued for the old one is dropped. Messages sent
    // before the connection is up may be dropped with it, so keep sending until one arrives.
    let mut counter = 3;
    let received = loop {
        first.send(ServerId(2), commit(counter));
        counter += 1;
        if let Ok(event) =
            tokio::time::timeout(Duration::from_millis(100), second_events.recv()).await
        {
            break event.expect("the transport is running");
        }
        assert!(counter < 100, "the restarted peer never heard anything");
    };
    match received {
        PeerEvent::Message { message, .. } => assert_ne!(message, commit(2)),
        other => panic!("unexpected {other:?}"),
    }
}

/// The txn that creates `path` with `data_bytes` bytes, at `zxid`.
fn create(path: &str, data_bytes: usize, zxid: u64) -> Proposal<Prepared> {
    let txn = Txn::Create(CreateTxn {
        path: path.to_string(),
        data: Some(vec![b'x'; data_bytes]),
        acl: Acl::open_unsafe(),
        ephemeral: false,
        parent_cversion: zxid as i32,
    });
    let header = txn.header(SessionId(1), 1, Zxid(zxid), 1);
    Proposal {
        zxid: Zxid(zxid),
        payload: Prepared { header, txn },
    }
}

/// A SNAP of `nodes` nodes of 100 bytes, and one txn after it.
fn snap(nodes: usize) -> Message<Replica> {
    let mut tree = DataTree::new();
    for index in 1..=nodes as u64 {
        let proposal = create(&format!("/node-{index}"), 100, index);
        tree.apply(&proposal.payload.header, &proposal.payload.txn);
    }
    let zxid = Zxid(nodes as u64);
    PeerMessage::NewLeader(NewLeader {
        epoch: Epoch(1),
        kind: SyncKind::Snap,
        snapshot: Some(std::sync::Arc::new(Snapshot {
            zxid,
            txn_count: nodes as u64,
            applied: Database {
                tree,
                sessions: [(SessionId(1), 10_000)].into(),
            },
        })),
        sync_point: Zxid::ZERO,
        proposals: vec![create("/after", 10, zxid.0 + 1)],
    })
}

#[tokio::test]
async fn a_snap_many_times_the_frame_limit_arrives_whole_and_in_order() {
    const FRAME_BYTES_MAX: usize = 16 * 1024;
    let (one, two) = (listeners().await, listeners().await);
    let (one_addresses, two_addresses) = (one.addresses.clone(), two.addresses.clone());
    let (first, _first_events) = start_limited(1, 10, one, (2, two_addresses), FRAME_BYTES_MAX);
    let (_second, mut second_events) =
        start_limited(2, 20, two, (1, one_addresses), FRAME_BYTES_MAX);
    let sync = snap(2_000);
    let one_frame = postcard::to_stdvec(&sync).unwrap().len();
    assert!(one_frame > 10 * FRAME_BYTES_MAX, "{one_frame} bytes");
    first.send(ServerId(2), commit(1));
    first.send(ServerId(2), sync.clone());
    first.send(ServerId(2), commit(2));
    for expected in [commit(1), sync, commit(2)] {
        match next(&mut second_events).await {
            PeerEvent::Message { from, message } => {
                assert_eq!(from, ServerId(1));
                assert!(message == expected, "a message out of order or changed");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(first.unsendable_messages(), 0);
}

#[tokio::test]
async fn a_message_over_the_frame_limit_closes_the_connection_and_is_counted() {
    const FRAME_BYTES_MAX: usize = 16 * 1024;
    let (one, two) = (listeners().await, listeners().await);
    let (one_addresses, two_addresses) = (one.addresses.clone(), two.addresses.clone());
    let (first, _first_events) = start_limited(1, 10, one, (2, two_addresses), FRAME_BYTES_MAX);
    let (_second, mut second_events) =
        start_limited(2, 20, two, (1, one_addresses), FRAME_BYTES_MAX);
    first.send(ServerId(2), commit(1));
    assert!(matches!(
        next(&mut second_events).await,
        PeerEvent::Message { .. }
    ));
    let oversize = PeerMessage::Propose {
        proposal: create("/big", 2 * FRAME_BYTES_MAX, 2),
    };
    first.send(ServerId(2), oversize);
    match next(&mut second_events).await {
        PeerEvent::Disconnected { server } => assert_eq!(server, ServerId(1)),
        other => panic!("the oversize message must end the connection, not {other:?}"),
    }
    assert_eq!(first.unsendable_messages(), 1);
    // The link comes back and carries what is sent next.
    let mut counter = 3;
    let received = loop {
        first.send(ServerId(2), commit(counter));
        counter += 1;
        if let Ok(event) =
            tokio::time::timeout(Duration::from_millis(100), second_events.recv()).await
        {
            break event.expect("the transport is running");
        }
        assert!(counter < 100, "the link never came back");
    };
    assert!(
        matches!(received, PeerEvent::Message { .. }),
        "{received:?}"
    );
}

/// Connects to `server`'s quorum port as server 2, incarnation 5, and sends the first `count`
/// chunk frames of `sync` (all of them when `count` is `None`), then closes.
async fn send_chunks(server: &PeerAddress, sync: Message<Replica>, count: Option<usize>) {
    let PeerMessage::NewLeader(sync) = sync else {
        panic!("a synchronisation");
    };
    let me = link::Hello {
        server: ServerId(2),
        incarnation: 5,
    };
    let mut stream = server.connect().await.expect("connects");
    link::exchange_hello(&mut stream, me).await.expect("hello");
    let mut encoder = sync_stream::SyncEncoder::new(sync, 4096);
    let mut sent = 0;
    while let Some(chunk) = encoder.next_chunk().expect("encodes") {
        if count.is_some_and(|count| sent == count) {
            break;
        }
        let frame = frame::PeerFrame {
            from: me.server,
            incarnation: me.incarnation,
            body: frame::FrameBody::SyncChunk(chunk.into()),
        };
        let bytes = frame::encode(&frame, frame::QUORUM_FRAME_BYTES_MAX_DEFAULT).unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut stream, &bytes)
            .await
            .expect("writes");
        sent += 1;
    }
    tokio::io::AsyncWriteExt::shutdown(&mut stream)
        .await
        .expect("closes");
}

#[tokio::test]
async fn a_stream_broken_off_is_a_lost_connection_and_the_next_one_starts_afresh() {
    let (one, two) = (listeners().await, listeners().await);
    let server = one.addresses.quorum.clone();
    let (_first, mut first_events) = start(1, 10, one, (2, two.addresses.clone()));
    let sync = snap(500);
    send_chunks(&server, sync.clone(), Some(3)).await;
    match next(&mut first_events).await {
        PeerEvent::Disconnected { server } => assert_eq!(server, ServerId(2)),
        other => panic!("a broken stream must end the connection, not {other:?}"),
    }
    send_chunks(&server, sync.clone(), None).await;
    match next(&mut first_events).await {
        PeerEvent::Message { from, message } => {
            assert_eq!(from, ServerId(2));
            assert!(message == sync, "the second stream decodes whole");
        }
        other => panic!("unexpected {other:?}"),
    }
}
