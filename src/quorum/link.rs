//! One link: the connection between this server and one peer on one channel (election or
//! quorum), kept up for as long as the server runs.
//!
//! Exactly one connection per pair and channel: the server with the higher id dials, the
//! other accepts (ZooKeeper's `QuorumCnxManager` keeps the same one of two racing
//! connections). A connection starts with a hello each way naming the server and its
//! incarnation. Messages that find no connection wait in a bounded queue; messages in flight
//! when a connection breaks are lost, and so are queued ones when the peer comes back as a new
//! incarnation (they were meant for the one that died). That is a FIFO lossy link, the network
//! the model checker explores, and a restarted peer never hears its previous life's messages.
//!
//! A synchronisation (`NewLeader`) goes as a stream of chunk frames ([`sync_stream`]), encoded
//! as the socket drains and rebuilt by the reader as the chunks arrive; the core gets it as one
//! message. A message that cannot be framed closes the connection (counted, logged): the
//! peer's failure detection then starts over what waited for it, instead of both sides waiting
//! for a message that never left.

use super::incoming::read_frames;
use super::outgoing::write_queue;
use super::PeerEvent;
use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use zabkeeper_models::replica::Replica;
use zabkeeper_models::zab::Message;
use zabkeeper_models::ServerId;

/// Spells "ZABK": the first bytes of every hello, so a stray connection is told apart.
const HELLO_MAGIC: u32 = 0x5a41_424b;
const HELLO_BYTES: usize = 4 + 8 + 8;
/// How long the other side may take to say hello.
pub const HELLO_WAIT: Duration = Duration::from_secs(5);
/// Messages kept for a peer that is not connected; the oldest go first past it.
const QUEUED_MESSAGES_MAX: usize = 100_000;
const DIAL_BACKOFF_MIN: Duration = Duration::from_millis(20);
const DIAL_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Who is at the other end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    pub server: ServerId,
    pub incarnation: u64,
}

impl Hello {
    fn to_bytes(self) -> [u8; HELLO_BYTES] {
        let mut bytes = [0; HELLO_BYTES];
        bytes[..4].copy_from_slice(&HELLO_MAGIC.to_be_bytes());
        bytes[4..12].copy_from_slice(&self.server.0.to_be_bytes());
        bytes[12..].copy_from_slice(&self.incarnation.to_be_bytes());
        bytes
    }

    fn from_bytes(bytes: &[u8; HELLO_BYTES]) -> Option<Hello> {
        let magic = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"));
        (magic == HELLO_MAGIC).then(|| Hello {
            server: ServerId(u64::from_be_bytes(
                bytes[4..12].try_into().expect("8 bytes"),
            )),
            incarnation: u64::from_be_bytes(bytes[12..].try_into().expect("8 bytes")),
        })
    }
}

/// Sends our hello and reads theirs, within [`HELLO_WAIT`].
pub async fn exchange_hello(stream: &mut TcpStream, ours: Hello) -> std::io::Result<Hello> {
    stream.write_all(&ours.to_bytes()).await?;
    read_hello(stream).await
}

/// Reads the other side's hello, within [`HELLO_WAIT`].
pub async fn read_hello(stream: &mut TcpStream) -> std::io::Result<Hello> {
    let mut bytes = [0; HELLO_BYTES];
    tokio::time::timeout(HELLO_WAIT, stream.read_exact(&mut bytes))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no hello"))??;
    Hello::from_bytes(&bytes)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not a Zabkeeper peer"))
}

/// What a link task needs to know.
pub struct LinkSetup {
    pub me: Hello,
    pub peer: ServerId,
    /// Where to dial, when this side dials (its id is the higher one); `None` to accept.
    pub dial: Option<super::PeerAddress>,
    pub frame_bytes_max: usize,
    /// Whether the loss of this link is reported to the core (the quorum channel's is: a
    /// learner that loses its leader's connection elects at once).
    pub reports_disconnect: bool,
    /// Counts the messages that could not be sent (shared by every link of the transport).
    pub unsendable_messages: Arc<AtomicU64>,
}

/// A connection the acceptor handed over, the peer's hello read.
pub struct Accepted {
    pub stream: TcpStream,
    pub hello: Hello,
}

/// Keeps the link up until `outgoing` closes (the transport was dropped).
pub async fn run<E: From<PeerEvent> + Send + 'static>(
    setup: LinkSetup,
    mut outgoing: mpsc::UnboundedReceiver<Message<Replica>>,
    mut accepted: mpsc::UnboundedReceiver<Accepted>,
    events: mpsc::UnboundedSender<E>,
) {
    let mut queue: VecDeque<Message<Replica>> = VecDeque::new();
    let mut remote_incarnation: Option<u64> = None;
    let mut pending: Option<Accepted> = None;
    loop {
        let connected = {
            // Kept across messages: a dial or hello in progress is not restarted by traffic.
            let connecting = connect(&setup, &mut accepted, pending.take());
            tokio::pin!(connecting);
            loop {
                tokio::select! {
                    connected = &mut connecting => break connected,
                    message = outgoing.recv() => {
                        let Some(message) = message else { return };
                        enqueue(&mut queue, message, setup.peer);
                    }
                }
            }
        };
        let Accepted { stream, hello } = connected;
        if remote_incarnation.is_some_and(|previous| previous != hello.incarnation) {
            // Meant for the incarnation that died.
            queue.clear();
        }
        remote_incarnation = Some(hello.incarnation);
        tracing::debug!(peer = %setup.peer, incarnation = hello.incarnation, "peer connected");
        let (reader, mut writer) = stream.into_split();
        let (closed, mut reader_closed) = oneshot::channel();
        let reading = tokio::spawn(read_frames(
            reader,
            hello,
            setup.frame_bytes_max,
            events.clone(),
            closed,
        ));
        let ended = loop {
            if !queue.is_empty() {
                if let Err(reason) = write_queue(&mut writer, &mut queue, &setup).await {
                    break reason;
                }
            }
            tokio::select! {
                message = outgoing.recv() => {
                    let Some(message) = message else {
                        reading.abort();
                        return;
                    };
                    queue.push_back(message);
                    while let Ok(message) = outgoing.try_recv() {
                        queue.push_back(message);
                    }
                }
                reason = &mut reader_closed => {
                    break reason.unwrap_or_else(|_| "the reader stopped".to_string());
                }
                Some(replacement) = accepted.recv(), if setup.dial.is_none() => {
                    // The peer dialed again: its side of this connection is gone.
                    pending = Some(replacement);
                    break "the peer reconnected".to_string();
                }
            }
        };
        reading.abort();
        queue.clear();
        tracing::info!(peer = %setup.peer, reason = %ended, "peer connection lost");
        if setup.reports_disconnect {
            let _ = events.send(E::from(PeerEvent::Disconnected { server: setup.peer }));
        }
    }
}

fn enqueue(queue: &mut VecDeque<Message<Replica>>, message: Message<Replica>, peer: ServerId) {
    if queue.len() >= QUEUED_MESSAGES_MAX {
        queue.pop_front();
        tracing::warn!(%peer, limit = QUEUED_MESSAGES_MAX, "peer unreachable: dropping its oldest queued message");
    }
    queue.push_back(message);
}

/// A connection: dialed with backoff when this side dials, otherwise the next one the
/// acceptor hands over.
async fn connect(
    setup: &LinkSetup,
    accepted: &mut mpsc::UnboundedReceiver<Accepted>,
    pending: Option<Accepted>,
) -> Accepted {
    if let Some(pending) = pending {
        return pending;
    }
    let Some(address) = &setup.dial else {
        return match accepted.recv().await {
            Some(accepted) => accepted,
            // The acceptor is gone: the transport is shutting down.
            None => std::future::pending().await,
        };
    };
    let mut backoff = DIAL_BACKOFF_MIN;
    loop {
        match dial(address, setup.me).await {
            Ok(accepted) if accepted.hello.server == setup.peer => return accepted,
            Ok(accepted) => tracing::warn!(
                expected = %setup.peer,
                answered = %accepted.hello.server,
                %address,
                "a different server answered; check the server.N lines"
            ),
            Err(error) => {
                tracing::debug!(peer = %setup.peer, %address, %error, "cannot reach peer")
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(DIAL_BACKOFF_MAX);
    }
}

async fn dial(address: &super::PeerAddress, me: Hello) -> std::io::Result<Accepted> {
    let mut stream = tokio::time::timeout(HELLO_WAIT, address.connect())
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    let hello = exchange_hello(&mut stream, me).await?;
    Ok(Accepted { stream, hello })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hello_reads_back_and_strangers_are_refused() {
        let hello = Hello {
            server: ServerId(3),
            incarnation: 1_700_000_000_123,
        };
        assert_eq!(Hello::from_bytes(&hello.to_bytes()), Some(hello));
        let mut http = [0u8; HELLO_BYTES];
        http[..4].copy_from_slice(b"GET ");
        assert_eq!(Hello::from_bytes(&http), None);
    }
}
