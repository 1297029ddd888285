//! One client connection, on one task: frames in, events to the core; the core's outbound
//! messages to frames out. Nothing here decides anything about a request. As in ZooKeeper, a
//! frame whose length, connect request or request header does not decode closes the
//! connection; a request whose header decodes goes to the core even when its op is unknown or
//! its body does not decode, because ZooKeeper answers those under the request's xid. Bytes
//! after the record a frame holds are ignored, as ZooKeeper ignores them.
//!
//! The task also enforces the per-connection limit on requests in flight: past it, it stops
//! reading the socket until replies come back (ZooKeeper's throttling), so a client that
//! pipelines without bound slows itself down instead of growing the server's queues.

use super::core::{ConnectionId, Event, Malformation, Outbound};
use crate::config::FourLetterWord;
use crate::proto::frame::{encode_frame, write_frame, FrameDecoder};
use crate::proto::jute;
use crate::proto::message::{RequestBody, ResponseBody};
use crate::proto::records::{ConnectRequest, RequestHeader};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Bytes read from the socket per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// How long a new connection may take to send its connect request or four-letter word:
/// ZooKeeper's `zookeeper.nio.sessionlessCnxnTimeout` default. Without it, a client that
/// connects and then sends nothing, or only part of a frame, would hold a connection (and a
/// `maxClientCnxns` slot) forever.
pub const CONNECT_REQUEST_WAIT_MAX_DEFAULT: Duration = Duration::from_secs(10);

/// The limits one connection is held to.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// `jute.maxbuffer`: the largest frame accepted.
    pub frame_bytes_max: usize,
    /// Requests sent to the core and not answered yet, past which reading pauses.
    pub requests_in_flight_max: usize,
    /// How long a new connection may take to send its first frame whole; past it the
    /// connection closes. Once a session is established, its timeout takes over.
    pub connect_request_wait_max: Duration,
}

/// Where the connection is in its life.
pub(crate) enum Phase {
    /// Nothing read yet: a connect request or a four-letter word comes next.
    Handshake,
    /// The connect request went to the core: frames the client pipelined behind it (an auth
    /// packet, say) wait, unread, until the session exists, as ZooKeeper stops reading a
    /// connection between its connect request and the session's creation.
    AwaitingSession,
    /// Connected: every frame is a request.
    Requests,
    /// A four-letter word was sent: only its answer and the close remain.
    FourLetterWord,
}

/// Serves one connection until either side closes it.
pub async fn serve_connection(
    connection: ConnectionId,
    mut stream: TcpStream,
    peer_address: SocketAddr,
    limits: ConnectionLimits,
    core: mpsc::UnboundedSender<Event>,
) {
    let _ = stream.set_nodelay(true);
    let (outbound_sender, mut outbound) = mpsc::unbounded_channel();
    if core
        .send(Event::Open {
            connection,
            address: peer_address,
            outbound: outbound_sender,
        })
        .is_err()
    {
        return;
    }
    let decoder = FrameDecoder::new(limits.frame_bytes_max);
    let mut buffer: Vec<u8> = Vec::with_capacity(READ_CHUNK_BYTES);
    let mut chunk = vec![0u8; READ_CHUNK_BYTES];
    let mut phase = Phase::Handshake;
    let mut in_flight = 0usize;
    let connect_request_deadline = tokio::time::Instant::now() + limits.connect_request_wait_max;
    let reason = loop {
        // Handle every complete frame already buffered, as far as the limit allows.
        if let Err(reason) = take_frames(
            connection,
            &decoder,
            &mut buffer,
            &mut phase,
            &mut in_flight,
            limits.requests_in_flight_max,
            &core,
        ) {
            break reason;
        }
        let may_read = in_flight < limits.requests_in_flight_max
            && !matches!(phase, Phase::FourLetterWord | Phase::AwaitingSession);
        tokio::select! {
            read = stream.read(&mut chunk), if may_read => match read {
                Ok(0) => break "the client closed the connection".to_string(),
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                Err(error) => break format!("read failed: {error}"),
            },
            message = outbound.recv() => {
                let Some(message) = message else {
                    break "the server dropped the connection".to_string();
                };
                if matches!(message, Outbound::Connected(_)) {
                    phase = Phase::Requests;
                }
                if let Outbound::Reply(response) = &message {
                    // Notifications answer nothing. Told apart by their body, not by their
                    // xid -1: a client may choose -1 as a request's xid too.
                    if !matches!(response.body, ResponseBody::Notification(_)) {
                        in_flight = in_flight.saturating_sub(1);
                    }
                }
                match write_outbound(connection, &mut stream, message).await {
                    Ok(true) => {}
                    Ok(false) => break "the server closed the connection".to_string(),
                    Err(reason) => break reason,
                }
            }
            () = tokio::time::sleep_until(connect_request_deadline), if matches!(phase, Phase::Handshake) => {
                let reason = format!(
                    "no connect request within {} ms (the sessionless connection timeout)",
                    limits.connect_request_wait_max.as_millis()
                );
                tracing::info!(connection, %peer_address, reason, "closing the connection");
                break reason;
            }
        }
    };
    tracing::debug!(connection, %peer_address, reason, "connection ended");
    let _ = stream.shutdown().await;
    let _ = core.send(Event::Closed { connection });
}

/// Hands every complete frame buffered to the core, as far as the phase and the limit on
/// requests in flight allow; an error closes the connection.
pub(crate) fn take_frames(
    connection: ConnectionId,
    decoder: &FrameDecoder,
    buffer: &mut Vec<u8>,
    phase: &mut Phase,
    in_flight: &mut usize,
    requests_in_flight_max: usize,
    core: &mpsc::UnboundedSender<Event>,
) -> Result<(), String> {
    loop {
        if matches!(phase, Phase::Handshake) && buffer.len() >= 4 {
            // ZooKeeper tells a four-letter word from a frame by its first four bytes.
            let word = std::str::from_utf8(&buffer[..4])
                .ok()
                .and_then(FourLetterWord::from_word);
            if let Some(word) = word {
                *phase = Phase::FourLetterWord;
                buffer.clear();
                return send(core, Event::FourLetterWord { connection, word });
            }
        }
        if matches!(phase, Phase::FourLetterWord | Phase::AwaitingSession)
            || *in_flight >= requests_in_flight_max
        {
            return Ok(());
        }
        let frame = match decoder.take_frame(buffer) {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(error) => {
                tracing::warn!(connection, %error, "closing the connection: bad frame");
                return Err(format!("bad frame: {error}"));
            }
        };
        let event = match phase {
            Phase::Handshake => {
                *phase = Phase::AwaitingSession;
                jute::from_slice_prefix::<ConnectRequest>(&frame)
                    .map(|(request, _)| Event::Connect {
                        connection,
                        request,
                    })
                    .map_err(|error| format!("bad connect request: {error}"))
            }
            Phase::Requests => request_event(connection, &frame),
            Phase::FourLetterWord | Phase::AwaitingSession => unreachable!("returned above"),
        };
        let event = event.inspect_err(|reason| {
            tracing::warn!(connection, reason, "closing the connection");
        })?;
        if matches!(event, Event::Request { .. } | Event::Malformed { .. }) {
            *in_flight += 1;
        }
        send(core, event)?;
    }
}

fn send(core: &mpsc::UnboundedSender<Event>, event: Event) -> Result<(), String> {
    core.send(event)
        .map_err(|_| "the server is shutting down".to_string())
}

fn request_event(connection: ConnectionId, frame: &[u8]) -> Result<Event, String> {
    let (header, header_bytes) = jute::from_slice_prefix::<RequestHeader>(frame)
        .map_err(|error| format!("request header does not decode: {error}"))?;
    let xid = header.xid;
    let malformed = |malformation| {
        Ok(Event::Malformed {
            connection,
            xid,
            malformation,
        })
    };
    let op_code = match header.op_code() {
        Ok(op_code) if op_code.is_client_request() => op_code,
        _ => return malformed(Malformation::UnknownOp(header.op_type)),
    };
    match RequestBody::decode_prefix(op_code, &frame[header_bytes..]) {
        Ok((body, _)) => Ok(Event::Request {
            connection,
            xid,
            body,
        }),
        Err(error) => malformed(Malformation::BodyDoesNotDecode { op_code, error }),
    }
}

/// Writes one outbound message; `Ok(false)` when it asked to close the connection.
async fn write_outbound(
    connection: ConnectionId,
    stream: &mut TcpStream,
    message: Outbound,
) -> Result<bool, String> {
    let bytes = match message {
        Outbound::Connected(response) => encode_frame(&response),
        Outbound::Reply(response) => response.encode().and_then(|payload| {
            let mut framed = Vec::with_capacity(payload.len() + 4);
            write_frame(&mut framed, &payload)?;
            Ok(framed)
        }),
        Outbound::Text(text) => Ok(text.into_bytes()),
        Outbound::Close { reason } => {
            tracing::info!(connection, reason, "closing the connection");
            return Ok(false);
        }
    };
    let bytes = bytes.map_err(|error| format!("a reply does not encode: {error}"))?;
    stream
        .write_all(&bytes)
        .await
        .map_err(|error| format!("write failed: {error}"))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::frame::FRAME_BYTES_MAX_DEFAULT;
    use crate::proto::message::Response;
    use crate::proto::opcode::OpCode;
    use crate::proto::records::{ConnectResponse, GetDataRequest, ReplyHeader};
    use std::time::Duration;
    use tokio::net::TcpListener;
    use tokio::sync::mpsc::UnboundedReceiver;

    /// A connection task on a loopback socket, with the test playing the core.
    async fn served(limits: ConnectionLimits) -> (TcpStream, UnboundedReceiver<Event>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let client = TcpStream::connect(listener.local_addr().expect("an address"))
            .await
            .expect("connects");
        let (server_side, peer_address) = listener.accept().await.expect("accepts");
        let (core, events) = mpsc::unbounded_channel();
        tokio::spawn(serve_connection(1, server_side, peer_address, limits, core));
        (client, events)
    }

    async fn next_event(events: &mut UnboundedReceiver<Event>) -> Event {
        tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event in time")
            .expect("the task is alive")
    }

    #[tokio::test]
    async fn a_connection_without_a_whole_connect_request_closes_after_the_wait() {
        let (mut client, mut events) = served(ConnectionLimits {
            frame_bytes_max: FRAME_BYTES_MAX_DEFAULT,
            requests_in_flight_max: 10,
            connect_request_wait_max: Duration::from_millis(200),
        })
        .await;
        assert!(matches!(next_event(&mut events).await, Event::Open { .. }));
        // A length that promises 44 bytes, and then silence.
        client.write_all(&[0, 0, 0, 44, 0]).await.expect("writes");
        assert!(matches!(
            next_event(&mut events).await,
            Event::Closed { connection: 1 }
        ));
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut rest))
            .await
            .expect("the server closes the socket");
        assert_eq!(read.expect("reads to the end"), 0);
    }

    #[tokio::test]
    async fn a_reply_under_xid_minus_one_frees_its_place_in_flight() {
        let (mut client, mut events) = served(ConnectionLimits {
            frame_bytes_max: FRAME_BYTES_MAX_DEFAULT,
            requests_in_flight_max: 1,
            connect_request_wait_max: Duration::from_secs(10),
        })
        .await;
        let Event::Open { outbound, .. } = next_event(&mut events).await else {
            panic!("expected the connection to open first");
        };
        let connect = jute::to_vec(&ConnectRequest::default()).expect("encodes");
        let get_data = |xid| {
            let mut payload = jute::to_vec(&RequestHeader::new(xid, OpCode::GetData)).unwrap();
            RequestBody::GetData(GetDataRequest {
                path: "/a".to_string(),
                watch: false,
            })
            .encode_into(&mut payload)
            .unwrap();
            payload
        };
        let mut frames = Vec::new();
        for payload in [connect, get_data(-1), get_data(5)] {
            write_frame(&mut frames, &payload).expect("frames");
        }
        client.write_all(&frames).await.expect("writes");
        assert!(matches!(
            next_event(&mut events).await,
            Event::Connect { .. }
        ));
        // Requests pipelined behind the connect request wait until the session exists.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(events.try_recv().is_err(), "no request before the session");
        outbound
            .send(Outbound::Connected(ConnectResponse::default()))
            .expect("the task listens");
        assert!(matches!(
            next_event(&mut events).await,
            Event::Request { xid: -1, .. }
        ));
        outbound
            .send(Outbound::Reply(Response {
                header: ReplyHeader {
                    xid: -1,
                    zxid: 1,
                    err: -101,
                },
                body: ResponseBody::Empty,
            }))
            .expect("the task is alive");
        assert!(matches!(
            next_event(&mut events).await,
            Event::Request { xid: 5, .. }
        ));
    }
}
