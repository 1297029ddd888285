//! Peer-to-peer transport between the servers of an ensemble. The protocol's messages are the
//! model's own (`zab::Message<Replica>`), serialized with serde at the edge; each frame names
//! its sender and the sender's incarnation, so that a peer that restarted never acts on
//! messages its previous incarnation sent.
//!
//! Two channels, as ZooKeeper has: election notifications travel on connections to the
//! election ports, everything else on connections to the quorum ports. Each channel keeps one
//! connection per pair of servers ([`link`]).

pub mod frame;
mod incoming;
pub mod link;
mod outgoing;
pub mod sync_stream;

use crate::config::Host;
use link::{Accepted, Hello, LinkSetup};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use zabkeeper_models::replica::Replica;
use zabkeeper_models::zab::{Message, PeerMessage};
use zabkeeper_models::ServerId;

/// The largest election frame: a notification is a few dozen bytes.
pub const ELECTION_FRAME_BYTES_MAX: usize = 4096;

/// What the transport tells the core.
#[derive(Debug)]
pub enum PeerEvent {
    /// A message from a peer.
    Message {
        from: ServerId,
        message: Message<Replica>,
    },
    /// The quorum connection to `server` broke.
    Disconnected { server: ServerId },
}

/// Where a peer listens on one channel: a host name is resolved at every dial, so a peer
/// whose address changes is found again.
#[derive(Clone, Debug)]
pub struct PeerAddress {
    pub host: Host,
    pub port: u16,
}

impl PeerAddress {
    async fn connect(&self) -> std::io::Result<TcpStream> {
        match &self.host {
            Host::Ip(ip) => TcpStream::connect(SocketAddr::new(*ip, self.port)).await,
            Host::Name(name) => TcpStream::connect((name.as_str(), self.port)).await,
        }
    }
}

impl std::fmt::Display for PeerAddress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}", self.host, self.port)
    }
}

/// A peer's two listening addresses.
#[derive(Clone, Debug)]
pub struct PeerAddresses {
    pub quorum: PeerAddress,
    pub election: PeerAddress,
}

/// The transport's settings.
pub struct TransportConfig {
    pub me: ServerId,
    /// Distinguishes this start of the server from every earlier one.
    pub incarnation: u64,
    /// Every other server of the ensemble.
    pub peers: BTreeMap<ServerId, PeerAddresses>,
    pub quorum_listener: TcpListener,
    pub election_listener: TcpListener,
    pub quorum_frame_bytes_max: usize,
}

/// The running transport: links to every peer on both channels. Dropping it stops them.
pub struct Transport {
    election: BTreeMap<ServerId, mpsc::UnboundedSender<Message<Replica>>>,
    quorum: BTreeMap<ServerId, mpsc::UnboundedSender<Message<Replica>>>,
    tasks: Vec<JoinHandle<()>>,
    /// Messages that could not be sent (each one closed its connection), for `mntr`.
    unsendable_messages: Arc<AtomicU64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    Election,
    Quorum,
}

impl Transport {
    /// Starts the links and the acceptors; what arrives goes to `events`.
    pub fn start<E: From<PeerEvent> + Send + 'static>(
        config: TransportConfig,
        events: mpsc::UnboundedSender<E>,
    ) -> Transport {
        let me = Hello {
            server: config.me,
            incarnation: config.incarnation,
        };
        let mut transport = Transport {
            election: BTreeMap::new(),
            quorum: BTreeMap::new(),
            tasks: Vec::new(),
            unsendable_messages: Arc::new(AtomicU64::new(0)),
        };
        for (channel, listener) in [
            (Channel::Election, config.election_listener),
            (Channel::Quorum, config.quorum_listener),
        ] {
            let mut handovers = BTreeMap::new();
            for (peer, addresses) in &config.peers {
                let (outgoing, outgoing_receiver) = mpsc::unbounded_channel();
                let (handover, accepted) = mpsc::unbounded_channel();
                let dials = *peer < config.me;
                let setup = LinkSetup {
                    me,
                    peer: *peer,
                    dial: dials.then(|| match channel {
                        Channel::Election => addresses.election.clone(),
                        Channel::Quorum => addresses.quorum.clone(),
                    }),
                    frame_bytes_max: match channel {
                        Channel::Election => ELECTION_FRAME_BYTES_MAX,
                        Channel::Quorum => config.quorum_frame_bytes_max,
                    },
                    reports_disconnect: channel == Channel::Quorum,
                    unsendable_messages: transport.unsendable_messages.clone(),
                };
                transport.tasks.push(tokio::spawn(link::run(
                    setup,
                    outgoing_receiver,
                    accepted,
                    events.clone(),
                )));
                if !dials {
                    handovers.insert(*peer, handover);
                }
                match channel {
                    Channel::Election => transport.election.insert(*peer, outgoing),
                    Channel::Quorum => transport.quorum.insert(*peer, outgoing),
                };
            }
            transport
                .tasks
                .push(tokio::spawn(accept(listener, me, handovers)));
        }
        transport
    }

    /// How many messages could not be sent since the start: each one closed its connection.
    pub fn unsendable_messages(&self) -> u64 {
        self.unsendable_messages.load(Ordering::Relaxed)
    }

    /// Sends `message` to `to` on the channel its kind travels on. A message to a server
    /// outside the ensemble is a bug in the caller.
    pub fn send(&self, to: ServerId, message: Message<Replica>) {
        let links = match message {
            PeerMessage::Notification(_) => &self.election,
            _ => &self.quorum,
        };
        match links.get(&to) {
            // A link that stopped is a transport shutting down: the message is lost, as on a
            // broken connection.
            Some(link) => {
                let _ = link.send(message);
            }
            None => tracing::error!(server = %to, "a message for a server outside the ensemble"),
        }
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Accepts the connections of the peers with a higher id, each after its hello.
async fn accept(
    listener: TcpListener,
    me: Hello,
    handovers: BTreeMap<ServerId, mpsc::UnboundedSender<Accepted>>,
) {
    let handovers = Arc::new(handovers);
    loop {
        let (mut stream, address) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "peer accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let handovers = handovers.clone();
        // The hello is read on its own task: a silent stranger must not hold up the peers.
        tokio::spawn(async move {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%address, %error, "cannot set TCP_NODELAY");
            }
            let hello = match link::exchange_hello(&mut stream, me).await {
                Ok(hello) => hello,
                Err(error) => {
                    tracing::warn!(%address, %error, "refused a peer connection");
                    return;
                }
            };
            match handovers.get(&hello.server) {
                Some(handover) => {
                    let _ = handover.send(Accepted { stream, hello });
                }
                None => tracing::warn!(
                    %address,
                    server = %hello.server,
                    "refused a connection from a server that is not a higher-numbered member of the ensemble"
                ),
            }
        });
    }
}

#[cfg(test)]
mod tests;
