//! Malformed input against the real `zabkeeper` binary, sent over raw TCP on loopback. Each
//! case asserts what Apache ZooKeeper 3.8 answers. Those answers were found by sending the same
//! bytes to Apache ZooKeeper 3.8.0 on this machine (a Python socket script) and read in its
//! sources (`NIOServerCnxn`, `ZooKeeperServer`, `PrepRequestProcessor`,
//! `FinalRequestProcessor`, `UnimplementedRequestProcessor`). After every attack a well-behaved
//! client (`zookeeper-client`) on another connection still creates and reads a znode, the
//! server process still runs, and its log shows no panic.
//!
//! | case | ZooKeeper's answer |
//! |---|---|
//! | frame length below zero, before or after the handshake | the connection closes, nothing sent |
//! | frame length above `jute.maxbuffer` (1,048,575 by default) | closes as soon as the length arrives, nothing sent |
//! | `jute.maxbuffer=1000` | a 1000-byte request is served; a 1001-byte one closes the connection |
//! | a length promising more bytes than follow, then the client closes | nothing to answer; others are served |
//! | the same, then silence, before the handshake | closes after the sessionless connection timeout (10 s) |
//! | the same, then silence, in a session | closes when the session expires; its ephemerals are gone |
//! | a connect request too short, empty, or with a password longer than the frame | closes, nothing sent |
//! | 40 bytes of 0xff as the connect request | decodes (session id -1): the refused-session answer (timeout 0, session 0, 16 zero bytes), then closes |
//! | bytes after a connect request | ignored: the session is established |
//! | a request (getData, create, ping) before the connect request | read as a connect request: closes, nothing sent (its lastZxidSeen is ahead of the server, or the frame is too short) |
//! | an empty or 3-byte frame in a session (no whole request header) | closes, nothing sent |
//! | op codes 999, 10, 0 (notification), -1 (error) | reply {xid, zxid -1, err Unimplemented (-6)}, then closes; a request pipelined behind it is not answered |
//! | a second ConnectRequest in a session | read as a request header (xid 0, op 0): Unimplemented, then closes |
//! | a known op whose body does not decode | MarshallingError (-5); the connection keeps serving |
//! | bytes after a request body | ignored |
//! | invalid paths for create, delete, setData, getData, exists | the table `INVALID_PATHS` below |
//! | requests under xid -1, the notification xid | answered like any other |
//!
//! Known differences from ZooKeeper, so not asserted here: createSession (-10) and
//! deleteContainer (20) sent by a client get Unimplemented and a close, where ZooKeeper runs
//! them through its pipeline and keeps the connection (a createSession without a body is a
//! MarshallingError, one with a 4-byte body is answered with a second ConnectResponse; a
//! deleteContainer is BadArguments, even on an empty container); a path that is not UTF-8 is a
//! MarshallingError, where ZooKeeper decodes it with replacement characters (create then
//! answers BadArguments, getData NoNode); a null path (length -1) reads as the empty path,
//! where ZooKeeper answers MarshallingError.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zookeeper_client as zk;

/// How long a raw connection waits for a reply, or for the server to close it.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest any one test may run, server start excluded.
const TEST_DEADLINE: Duration = Duration::from_secs(90);
/// ZooKeeper's default `jute.maxbuffer`.
const JUTE_MAX_BUFFER_DEFAULT: i32 = 0xf_ffff;

/// ZooKeeper's op codes (`ZooDefs.OpCode`) and error codes (`KeeperException.Code`).
mod op {
    pub const CREATE: i32 = 1;
    pub const DELETE: i32 = 2;
    pub const EXISTS: i32 = 3;
    pub const GET_DATA: i32 = 4;
    pub const SET_DATA: i32 = 5;
    pub const PING: i32 = 11;
}
mod err {
    pub const OK: i32 = 0;
    pub const MARSHALLING_ERROR: i32 = -5;
    pub const UNIMPLEMENTED: i32 = -6;
    pub const BAD_ARGUMENTS: i32 = -8;
    pub const NO_NODE: i32 = -101;
}

/// Jute bytes written out by hand, so that what the tests send does not depend on the server's
/// own codec.
#[derive(Clone, Default)]
struct Record(Vec<u8>);

impl Record {
    fn int(mut self, value: i32) -> Record {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    fn long(mut self, value: i64) -> Record {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    fn boolean(mut self, value: bool) -> Record {
        self.0.push(u8::from(value));
        self
    }

    /// A ustring or a buffer: length, then the bytes.
    fn buffer(self, bytes: &[u8]) -> Record {
        let length = i32::try_from(bytes.len()).expect("a jute length");
        self.int(length).raw(bytes)
    }

    fn raw(mut self, bytes: &[u8]) -> Record {
        self.0.extend_from_slice(bytes);
        self
    }

    fn payload(self) -> Vec<u8> {
        self.0
    }

    /// The record as one frame: its length, then its bytes.
    fn framed(self) -> Vec<u8> {
        let length = i32::try_from(self.0.len()).expect("a jute length");
        Record::default().int(length).raw(&self.0).payload()
    }
}

/// ConnectRequest for a new session: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd,
/// readOnly.
fn connect_request(timeout_ms: i32) -> Record {
    Record::default()
        .int(0)
        .long(0)
        .int(timeout_ms)
        .long(0)
        .buffer(&[0; 16])
        .boolean(false)
}

fn request_header(xid: i32, op_code: i32) -> Record {
    Record::default().int(xid).int(op_code)
}

/// A create of `path` holding `data`, open to anyone: CreateRequest {path, data, acl, flags}.
fn create_with_data(xid: i32, path: &str, data: &[u8], flags: i32) -> Record {
    request_header(xid, op::CREATE)
        .buffer(path.as_bytes())
        .buffer(data)
        .int(1)
        .int(31)
        .buffer(b"world")
        .buffer(b"anyone")
        .int(flags)
}

/// A create whose payload is `payload_bytes` long, filled up with data.
fn create_of_size(xid: i32, path: &str, payload_bytes: usize) -> Record {
    let without_data = create_with_data(xid, path, b"", 0).payload().len();
    let data = vec![b'x'; payload_bytes - without_data];
    let request = create_with_data(xid, path, &data, 0);
    assert_eq!(request.0.len(), payload_bytes);
    request
}

fn create(xid: i32, path: &str) -> Record {
    create_with_data(xid, path, b"data", 0)
}

fn delete(xid: i32, path: &str) -> Record {
    request_header(xid, op::DELETE)
        .buffer(path.as_bytes())
        .int(-1)
}

fn exists(xid: i32, path: &str) -> Record {
    request_header(xid, op::EXISTS)
        .buffer(path.as_bytes())
        .boolean(false)
}

fn get_data(xid: i32, path: &str) -> Record {
    request_header(xid, op::GET_DATA)
        .buffer(path.as_bytes())
        .boolean(false)
}

fn set_data(xid: i32, path: &str) -> Record {
    request_header(xid, op::SET_DATA)
        .buffer(path.as_bytes())
        .buffer(b"new")
        .int(-1)
}

/// A reply: ReplyHeader {xid, zxid, err}, then the body's bytes.
#[derive(Debug)]
struct Reply {
    xid: i32,
    zxid: i64,
    err: i32,
    body: Vec<u8>,
}

/// ConnectResponse {protocolVersion, timeOut, sessionId, passwd, readOnly (optional)}.
#[derive(Debug, PartialEq)]
struct ConnectAnswer {
    protocol_version: i32,
    timeout_ms: i32,
    session_id: i64,
    password: Vec<u8>,
    read_only: Option<bool>,
}

impl ConnectAnswer {
    fn parse(payload: &[u8]) -> ConnectAnswer {
        assert!(payload.len() >= 20, "a connect response: {payload:?}");
        let password_length =
            i32::from_be_bytes(payload[16..20].try_into().expect("4 bytes")) as usize;
        let password_end = 20 + password_length;
        assert!(
            payload.len() >= password_end,
            "a connect response: {payload:?}"
        );
        ConnectAnswer {
            protocol_version: i32::from_be_bytes(payload[0..4].try_into().expect("4 bytes")),
            timeout_ms: i32::from_be_bytes(payload[4..8].try_into().expect("4 bytes")),
            session_id: i64::from_be_bytes(payload[8..16].try_into().expect("8 bytes")),
            password: payload[20..password_end].to_vec(),
            read_only: payload.get(password_end).map(|byte| *byte != 0),
        }
    }
}

/// One client connection speaking raw bytes.
struct RawConnection {
    stream: TcpStream,
}

impl RawConnection {
    async fn open(server: &Server) -> RawConnection {
        let stream = tokio::time::timeout(READ_TIMEOUT, TcpStream::connect(server.address()))
            .await
            .expect("connects in time")
            .expect("connects");
        RawConnection { stream }
    }

    /// A connection whose session is established.
    async fn with_session(server: &Server, timeout_ms: i32) -> (RawConnection, ConnectAnswer) {
        let mut connection = RawConnection::open(server).await;
        connection.send(&connect_request(timeout_ms).framed()).await;
        let answer = ConnectAnswer::parse(&connection.read_frame().await);
        assert_ne!(answer.session_id, 0, "a session: {answer:?}");
        (connection, answer)
    }

    async fn send(&mut self, bytes: &[u8]) {
        tokio::time::timeout(READ_TIMEOUT, self.stream.write_all(bytes))
            .await
            .expect("writes in time")
            .expect("writes");
    }

    async fn read_frame(&mut self) -> Vec<u8> {
        let mut length = [0; 4];
        self.read_exact(&mut length).await;
        let length = usize::try_from(i32::from_be_bytes(length)).expect("a frame length");
        let mut payload = vec![0; length];
        self.read_exact(&mut payload).await;
        payload
    }

    async fn read_exact(&mut self, buffer: &mut [u8]) {
        tokio::time::timeout(READ_TIMEOUT, self.stream.read_exact(buffer))
            .await
            .expect("the server answers in time")
            .expect("the server answers before it closes the connection");
    }

    async fn read_reply(&mut self) -> Reply {
        let payload = self.read_frame().await;
        assert!(payload.len() >= 16, "a reply header: {payload:?}");
        Reply {
            xid: i32::from_be_bytes(payload[0..4].try_into().expect("4 bytes")),
            zxid: i64::from_be_bytes(payload[4..12].try_into().expect("8 bytes")),
            err: i32::from_be_bytes(payload[12..16].try_into().expect("4 bytes")),
            body: payload[16..].to_vec(),
        }
    }

    /// Sends one request and reads its reply.
    async fn call(&mut self, request: Record) -> Reply {
        self.send(&request.framed()).await;
        self.read_reply().await
    }

    /// The server closes the connection without sending anything more.
    async fn expect_closed(&mut self) {
        self.expect_closed_within(READ_TIMEOUT).await;
    }

    async fn expect_closed_within(&mut self, wait: Duration) {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(wait, self.stream.read_to_end(&mut rest))
            .await
            .expect("the server closes the connection in time");
        match read {
            Ok(_) => {}
            // A close with bytes of ours still unread may arrive as a reset.
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(error) => panic!("reading to the close failed: {error}"),
        }
        assert!(rest.is_empty(), "sent before the close: {rest:?}");
    }

    /// Nothing arrives and the connection stays open for `quiet`.
    async fn expect_open_and_quiet(&mut self, quiet: Duration) {
        let mut byte = [0; 1];
        if let Ok(read) = tokio::time::timeout(quiet, self.stream.read(&mut byte)).await {
            panic!("expected silence, read {read:?}");
        }
    }
}

fn open_to_anyone() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

async fn well_behaved_client(server: &Server) -> zk::Client {
    zk::Client::connector()
        .with_session_timeout(Duration::from_secs(10))
        .connect(&server.address())
        .await
        .expect("a well-behaved client connects")
}

/// The server survived `attack`: its process runs, its log shows no panic, and a well-behaved
/// client on another connection creates a znode and reads it back.
async fn assert_still_serves(server: &mut Server, attack: &str) {
    static PROBES: AtomicUsize = AtomicUsize::new(0);
    assert!(server.is_running(), "the server exited after {attack}");
    let client = well_behaved_client(server).await;
    let path = format!("/still-serving-{}", PROBES.fetch_add(1, Ordering::Relaxed));
    client
        .create(&path, attack.as_bytes(), &open_to_anyone())
        .await
        .unwrap_or_else(|error| panic!("no create after {attack}: {error}"));
    let (data, _) = client
        .get_data(&path)
        .await
        .unwrap_or_else(|error| panic!("no read after {attack}: {error}"));
    assert_eq!(data, attack.as_bytes());
    assert!(server.is_running(), "the server exited after {attack}");
    assert!(
        !server.log().contains("panicked"),
        "the server panicked after {attack}:\n{}",
        server.log()
    );
}

/// Runs a test's body under the per-test deadline.
async fn within_deadline(body: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_DEADLINE, body)
        .await
        .expect("the test finished within its deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_frame_lengths_close_the_connection() {
    let mut server = Server::start();
    within_deadline(async {
        for length in [-1, i32::MIN] {
            let mut before_handshake = RawConnection::open(&server).await;
            before_handshake.send(&length.to_be_bytes()).await;
            before_handshake.expect_closed().await;

            let (mut in_session, _) = RawConnection::with_session(&server, 30_000).await;
            in_session.send(&length.to_be_bytes()).await;
            in_session.expect_closed().await;
            assert_still_serves(&mut server, &format!("frame length {length}")).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lengths_over_jute_maxbuffer_close_the_connection_before_any_payload() {
    let mut server = Server::start();
    within_deadline(async {
        for length in [JUTE_MAX_BUFFER_DEFAULT + 1, i32::MAX] {
            // Only the length is sent: the server must not wait for the payload it promises.
            let mut before_handshake = RawConnection::open(&server).await;
            before_handshake.send(&length.to_be_bytes()).await;
            before_handshake.expect_closed().await;

            let (mut in_session, _) = RawConnection::with_session(&server, 30_000).await;
            in_session.send(&length.to_be_bytes()).await;
            in_session.expect_closed().await;
            assert_still_serves(&mut server, &format!("frame length {length}")).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_jute_maxbuffer_is_the_largest_frame_served() {
    let mut server = Server::start_with("jute.maxbuffer=1000");
    within_deadline(async {
        let request = create_of_size(1, "/at-the-limit", 1000);
        let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
        let reply = connection.call(request).await;
        assert_eq!((reply.xid, reply.err), (1, err::OK));

        let request = create_of_size(2, "/one-over-the-limit", 1001);
        connection.send(&request.framed()).await;
        connection.expect_closed().await;
        assert_still_serves(&mut server, "a frame one byte over jute.maxbuffer").await;
        let client = well_behaved_client(&server).await;
        assert!(client
            .check_stat("/one-over-the-limit")
            .await
            .expect("checks")
            .is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_frame_then_a_close_leaves_the_server_serving() {
    let mut server = Server::start();
    within_deadline(async {
        let mut before_handshake = RawConnection::open(&server).await;
        let connect = connect_request(30_000).framed();
        before_handshake.send(&connect[..14]).await;
        drop(before_handshake);
        assert_still_serves(&mut server, "a truncated connect request, then a close").await;

        let (mut in_session, _) = RawConnection::with_session(&server, 30_000).await;
        let request = create(1, "/never-whole").framed();
        in_session.send(&request[..request.len() / 2]).await;
        drop(in_session);
        assert_still_serves(&mut server, "a truncated request, then a close").await;
        let client = well_behaved_client(&server).await;
        assert!(client
            .check_stat("/never-whole")
            .await
            .expect("checks")
            .is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_silent_before_its_handshake_closes_after_the_sessionless_timeout() {
    let mut server = Server::start();
    within_deadline(async {
        let mut silent = RawConnection::open(&server).await;
        let mut stalled = RawConnection::open(&server).await;
        // A length promising 44 bytes, and 10 of them.
        stalled
            .send(&Record::default().int(44).raw(&[0; 10]).payload())
            .await;
        silent.expect_open_and_quiet(Duration::from_secs(1)).await;
        stalled.expect_open_and_quiet(Duration::from_secs(1)).await;
        assert_still_serves(&mut server, "connections waiting for their handshake").await;
        // ZooKeeper's sessionless connection timeout is 10 s.
        silent.expect_closed_within(Duration::from_secs(20)).await;
        stalled.expect_closed_within(Duration::from_secs(20)).await;
        assert_still_serves(&mut server, "connections that never sent a handshake").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_silent_inside_a_frame_expires_and_its_connection_closes() {
    let mut server = Server::start();
    within_deadline(async {
        // The harness's minSessionTimeout is 1000 ms.
        let (mut connection, answer) = RawConnection::with_session(&server, 1000).await;
        assert_eq!(answer.timeout_ms, 1000);
        let reply = connection
            .call(create_with_data(1, "/owned-by-a-silent-session", b"", 1))
            .await;
        assert_eq!(reply.err, err::OK);
        connection
            .send(&Record::default().int(100).raw(&[0; 10]).payload())
            .await;
        connection
            .expect_closed_within(Duration::from_secs(20))
            .await;
        assert_still_serves(&mut server, "a session that went silent inside a frame").await;
        let client = well_behaved_client(&server).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while client
            .check_stat("/owned-by-a-silent-session")
            .await
            .expect("checks")
            .is_some()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the ephemeral outlived its expired session"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_requests_that_do_not_decode_close_the_connection() {
    let mut server = Server::start();
    within_deadline(async {
        let whole = connect_request(30_000).payload();
        let password_beyond_the_frame = Record::default()
            .int(0)
            .long(0)
            .int(30_000)
            .long(0)
            .int(1_000_000)
            .boolean(false);
        let cases = [
            (
                "a 10-byte connect request",
                Record::default().raw(&whole[..10]),
            ),
            ("an empty connect request", Record::default()),
            (
                "a connect request whose password passes the frame",
                password_beyond_the_frame,
            ),
        ];
        for (attack, request) in cases {
            let mut connection = RawConnection::open(&server).await;
            connection.send(&request.framed()).await;
            connection.expect_closed().await;
            assert_still_serves(&mut server, attack).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_that_decodes_as_a_connect_request_is_refused_as_an_unknown_session() {
    let mut server = Server::start();
    within_deadline(async {
        // Read as a ConnectRequest: session id -1, a null password, readOnly true, bytes left
        // over. No session -1 exists, so the answer is the refused-session one.
        let mut connection = RawConnection::open(&server).await;
        connection
            .send(&Record::default().raw(&[0xff; 40]).framed())
            .await;
        let answer = ConnectAnswer::parse(&connection.read_frame().await);
        assert_eq!(
            answer,
            ConnectAnswer {
                protocol_version: 0,
                timeout_ms: 0,
                session_id: 0,
                password: vec![0; 16],
                read_only: Some(false),
            }
        );
        connection.expect_closed().await;
        assert_still_serves(&mut server, "40 bytes of 0xff as a connect request").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_after_a_connect_request_are_ignored() {
    let mut server = Server::start();
    within_deadline(async {
        let mut connection = RawConnection::open(&server).await;
        connection
            .send(&connect_request(30_000).raw(b"garbage!").framed())
            .await;
        let answer = ConnectAnswer::parse(&connection.read_frame().await);
        assert_eq!(answer.timeout_ms, 30_000);
        assert_ne!(answer.session_id, 0);
        assert_eq!(answer.password.len(), 16);
        assert_eq!(answer.read_only, Some(false));
        let reply = connection.call(get_data(1, "/")).await;
        assert_eq!((reply.xid, reply.err), (1, err::OK));
        assert_still_serves(&mut server, "bytes after a connect request").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_before_the_connect_request_are_read_as_one_and_refused() {
    let mut server = Server::start();
    within_deadline(async {
        // Read as a ConnectRequest, a request's op code and path length make lastZxidSeen
        // (op << 32 | length), which is ahead of this fresh server: it closes the connection
        // rather than serve a client from the past. A ping is too short to be one at all.
        let cases = [
            ("a getData before the connect request", get_data(1, "/")),
            (
                "a create before the connect request",
                create(1, "/created-before-the-connect-request"),
            ),
            (
                "a ping before the connect request",
                request_header(-2, op::PING),
            ),
        ];
        for (attack, request) in cases {
            let mut connection = RawConnection::open(&server).await;
            connection.send(&request.framed()).await;
            connection.expect_closed().await;
            assert_still_serves(&mut server, attack).await;
        }
        let client = well_behaved_client(&server).await;
        assert!(client
            .check_stat("/created-before-the-connect-request")
            .await
            .expect("checks")
            .is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_too_short_for_a_request_header_close_the_connection() {
    let mut server = Server::start();
    within_deadline(async {
        for (attack, payload) in [
            ("an empty frame in a session", &b""[..]),
            ("a 3-byte frame in a session", &b"abc"[..]),
        ] {
            let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
            connection
                .send(&Record::default().raw(payload).framed())
                .await;
            connection.expect_closed().await;
            assert_still_serves(&mut server, attack).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_op_codes_are_answered_unimplemented_and_close_the_connection() {
    let mut server = Server::start();
    within_deadline(async {
        for op_code in [999, 10, 0, -1] {
            let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
            let mut pipelined = request_header(7, op_code).framed();
            pipelined.extend(get_data(8, "/").framed());
            connection.send(&pipelined).await;
            let reply = connection.read_reply().await;
            assert_eq!(
                (reply.xid, reply.zxid, reply.err),
                (7, -1, err::UNIMPLEMENTED),
                "op code {op_code}"
            );
            assert!(reply.body.is_empty());
            // The getData behind it is never answered.
            connection.expect_closed().await;
            assert_still_serves(&mut server, &format!("op code {op_code}")).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_connect_request_is_an_unknown_op() {
    let mut server = Server::start();
    within_deadline(async {
        let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
        // Its protocolVersion (0) reads as the xid, the top half of lastZxidSeen (0) as the op.
        connection.send(&connect_request(30_000).framed()).await;
        let reply = connection.read_reply().await;
        assert_eq!(
            (reply.xid, reply.zxid, reply.err),
            (0, -1, err::UNIMPLEMENTED)
        );
        connection.expect_closed().await;
        assert_still_serves(&mut server, "a second connect request").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_do_not_decode_are_marshalling_errors_on_a_connection_that_stays() {
    let mut server = Server::start();
    within_deadline(async {
        let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
        let whole_create = create(2, "/cut-short").payload();
        let cases = [
            (
                "a getData whose path length passes the frame",
                request_header(1, op::GET_DATA).int(10).raw(b"/a"),
            ),
            (
                "a create cut short",
                Record::default().raw(&whole_create[..whole_create.len() - 3]),
            ),
            (
                "an exists whose path claims 2 GB",
                request_header(3, op::EXISTS).int(0x7fff_fff0).raw(b"/a"),
            ),
        ];
        for (xid, (attack, request)) in (1..).zip(cases) {
            let reply = connection.call(request).await;
            assert_eq!(
                (reply.xid, reply.err),
                (xid, err::MARSHALLING_ERROR),
                "{attack}"
            );
            assert!(reply.body.is_empty());
        }
        let reply = connection.call(get_data(4, "/")).await;
        assert_eq!(
            (reply.xid, reply.err),
            (4, err::OK),
            "the connection serves"
        );
        assert_still_serves(&mut server, "request bodies that do not decode").await;
        let client = well_behaved_client(&server).await;
        assert!(client
            .check_stat("/cut-short")
            .await
            .expect("checks")
            .is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_after_a_request_body_are_ignored() {
    let mut server = Server::start();
    within_deadline(async {
        let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
        let reply = connection
            .call(create(1, "/with-a-tail").raw(b"tail"))
            .await;
        assert_eq!((reply.xid, reply.err), (1, err::OK));
        let reply = connection
            .call(get_data(2, "/with-a-tail").raw(b"zzzz"))
            .await;
        assert_eq!((reply.xid, reply.err), (2, err::OK));
        assert!(reply
            .body
            .starts_with(&Record::default().buffer(b"data").payload()));
        assert_still_serves(&mut server, "bytes after request bodies").await;
    })
    .await;
}

/// Builds a request of one op on a path, under an xid.
type RequestOnPath = fn(i32, &str) -> Record;

/// ZooKeeper's answer to each op on each path, with `/a` present. Writes are checked by
/// `PrepRequestProcessor`: create refuses a path without '/' or with a NUL at once, then looks
/// up the parent (NoNode), then validates the whole path (BadArguments); delete refuses a path
/// without '/' or with a NUL, then looks the node up; setData validates first. Reads
/// (`FinalRequestProcessor`) only look the node up, except that exists refuses a NUL; the
/// empty path names the root.
const INVALID_PATHS: [(&str, [i32; 5]); 10] = {
    use err::{BAD_ARGUMENTS as BAD, NO_NODE, OK};
    [
        // (path, [create, delete, setData, getData, exists])
        ("", [BAD, BAD, BAD, OK, OK]),
        ("a", [BAD, BAD, BAD, NO_NODE, NO_NODE]),
        ("/a/", [BAD, NO_NODE, BAD, NO_NODE, NO_NODE]),
        ("//", [BAD, NO_NODE, BAD, NO_NODE, NO_NODE]),
        ("/a//b", [NO_NODE, NO_NODE, BAD, NO_NODE, NO_NODE]),
        ("/a/./b", [NO_NODE, NO_NODE, BAD, NO_NODE, NO_NODE]),
        ("/a/../b", [NO_NODE, NO_NODE, BAD, NO_NODE, NO_NODE]),
        ("/a\0b", [BAD, BAD, BAD, NO_NODE, BAD]),
        ("/.", [BAD, NO_NODE, BAD, NO_NODE, NO_NODE]),
        ("/..", [BAD, NO_NODE, BAD, NO_NODE, NO_NODE]),
    ]
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_paths_get_zookeepers_answer_op_by_op() {
    let mut server = Server::start();
    within_deadline(async {
        let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
        let reply = connection.call(create(1, "/a")).await;
        assert_eq!(reply.err, err::OK);
        let requests: [(&str, RequestOnPath); 5] = [
            ("create", create),
            ("delete", delete),
            ("setData", set_data),
            ("getData", get_data),
            ("exists", exists),
        ];
        let mut xid = 1;
        for (path, expected) in INVALID_PATHS {
            for ((op_name, request), expected_err) in requests.iter().zip(expected) {
                xid += 1;
                let reply = connection.call(request(xid, path)).await;
                assert_eq!(
                    (reply.xid, reply.err),
                    (xid, expected_err),
                    "{op_name} {path:?}"
                );
            }
        }
        // The empty path is the root itself.
        let root = connection.call(get_data(100, "/")).await;
        let empty = connection.call(get_data(101, "")).await;
        assert_eq!(empty.body, root.body);
        assert_still_serves(&mut server, "invalid paths").await;
        let client = well_behaved_client(&server).await;
        assert_eq!(
            client.list_children("/a").await.expect("lists"),
            Vec::<String>::new()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_under_the_notification_xid_are_answered_like_any_other() {
    // With two requests in flight at most, replies under xid -1 must free their places for the
    // request behind them to be read at all.
    let mut server = Server::start_with("globalOutstandingLimit=2");
    within_deadline(async {
        let (mut connection, _) = RawConnection::with_session(&server, 30_000).await;
        let mut pipelined = Vec::new();
        for _ in 0..3 {
            pipelined.extend(get_data(-1, "/").framed());
        }
        pipelined.extend(get_data(5, "/").framed());
        connection.send(&pipelined).await;
        for expected_xid in [-1, -1, -1, 5] {
            let reply = connection.read_reply().await;
            assert_eq!((reply.xid, reply.err), (expected_xid, err::OK));
        }
        assert_still_serves(&mut server, "requests under xid -1").await;
    })
    .await;
}
