//! The server's whole client path in one process, without sockets or disks: bytes are framed
//! and turned into events exactly as a connection task does (`connection::take_frames`), the
//! core handles them and flushes to a disk that keeps nothing, and what the core sends back is
//! what the connection would write. The whole-server fuzz target drives it.

use super::connection::{take_frames, Phase};
use super::core::{ConnectionId, Core, CoreConfig, Event, Outbound};
use crate::config::FourLetterWordWhitelist;
use crate::proto::frame::{FrameDecoder, FRAME_BYTES_MAX_DEFAULT};
use crate::proto::message::ResponseBody;
use crate::storage::Durability;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zabkeeper_models::election::Membership;
use zabkeeper_models::replica::{Database, Replica};
use zabkeeper_models::request::{AccessControl, Prepared};
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::zab::{Durable, PersistPlan, Snapshot};
use zabkeeper_models::ServerId;

/// Requests one connection may have in flight, as the server's default.
const REQUESTS_IN_FLIGHT_MAX: usize = 1000;

/// A disk that acknowledges every write and keeps nothing.
struct Forgetful;

impl Durability for Forgetful {
    fn persist(&mut self, _plan: &PersistPlan<Prepared, Database>) -> std::io::Result<()> {
        Ok(())
    }

    fn snapshot_idle(&mut self) -> bool {
        true
    }

    fn start_snapshot(&mut self, _snapshot: Arc<Snapshot<Database>>) -> std::io::Result<()> {
        Ok(())
    }
}

struct Connection {
    buffer: Vec<u8>,
    phase: Phase,
    in_flight: usize,
    outbound: mpsc::UnboundedReceiver<Outbound>,
}

/// A standalone server, serving, with connections fed by hand.
pub struct InProcessServer {
    core: Core,
    decoder: FrameDecoder,
    connections: HashMap<ConnectionId, Connection>,
    next_connection: ConnectionId,
}

impl InProcessServer {
    /// A standalone server with ZooKeeper's defaults (tickTime 2000), once it serves: the
    /// single voter elects itself after FLE's finalize wait, so this takes a moment.
    pub fn standalone() -> InProcessServer {
        let config = CoreConfig {
            me: ServerId(1),
            membership: Membership::new([ServerId(1)], []),
            sync_limit_ticks: 5,
            init_limit_ticks: 10,
            tick: Duration::from_millis(2000),
            sessions: SessionConfig::with_tick_time(2000),
            access: AccessControl::default(),
            extended_types_enabled: true,
            connections_per_host_max: None,
            four_letter_words: FourLetterWordWhitelist::every_word(),
            configuration: Vec::new(),
            data_dir: std::path::PathBuf::from("/nonexistent"),
            data_log_dir: std::path::PathBuf::from("/nonexistent"),
            snapshot_interval_txns: 100_000,
            container_check_interval: Duration::from_secs(60),
            driver_mutation: None,
        };
        let mut core = Core::new(
            config,
            Durable::<Replica>::default(),
            Box::new(Forgetful),
            None,
            None,
        );
        core.flush().expect("a forgetful disk cannot fail");
        while !core.is_serving() {
            std::thread::sleep(super::trace::FINALIZE_WAIT / 5);
            core.on_clock();
            core.flush().expect("a forgetful disk cannot fail");
        }
        InProcessServer {
            core,
            decoder: FrameDecoder::new(FRAME_BYTES_MAX_DEFAULT),
            connections: HashMap::new(),
            next_connection: 1,
        }
    }

    /// A new client connection from loopback.
    pub fn open(&mut self) -> ConnectionId {
        let connection = self.next_connection;
        self.next_connection += 1;
        let (sender, outbound) = mpsc::unbounded_channel();
        self.core.handle(Event::Open {
            connection,
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40_000),
            outbound: sender,
        });
        self.connections.insert(
            connection,
            Connection {
                buffer: Vec::new(),
                phase: Phase::Handshake,
                in_flight: 0,
                outbound,
            },
        );
        connection
    }

    /// Delivers `bytes` on `connection` and returns what the server sent back, in order, as
    /// it would be written (a close included). `None` when the connection was closed before
    /// (by the server, or because earlier bytes could not be a client's).
    pub fn send(&mut self, connection: ConnectionId, bytes: &[u8]) -> Option<Vec<Outbound>> {
        let mut sent = Vec::new();
        self.connections
            .get_mut(&connection)?
            .buffer
            .extend_from_slice(bytes);
        loop {
            let state = self.connections.get_mut(&connection)?;
            let (events, receiver) = mpsc::unbounded_channel();
            let taken = take_frames(
                connection,
                &self.decoder,
                &mut state.buffer,
                &mut state.phase,
                &mut state.in_flight,
                REQUESTS_IN_FLIGHT_MAX,
                &events,
            );
            drop(events);
            let mut receiver = receiver;
            // The frames taken, handled; a pass that takes none has nothing left to do.
            let mut handled = false;
            while let Ok(event) = receiver.try_recv() {
                self.core.handle(event);
                handled = true;
            }
            self.core.flush().expect("a forgetful disk cannot fail");
            let closed = taken.is_err() | self.drain(connection, &mut sent);
            if closed {
                self.close(connection);
                return Some(sent);
            }
            if !handled {
                return Some(sent);
            }
        }
    }

    /// Moves what the core sent on `connection` into `sent`, following the phase and the
    /// requests in flight as the connection task does; true when the server closed it.
    fn drain(&mut self, connection: ConnectionId, sent: &mut Vec<Outbound>) -> bool {
        let Some(state) = self.connections.get_mut(&connection) else {
            return true;
        };
        let mut closed = false;
        while let Ok(message) = state.outbound.try_recv() {
            match &message {
                Outbound::Connected(_) => state.phase = Phase::Requests,
                Outbound::Reply(response) => {
                    if !matches!(response.body, ResponseBody::Notification(_)) {
                        state.in_flight = state.in_flight.saturating_sub(1);
                    }
                }
                Outbound::Close { .. } => closed = true,
                Outbound::Text(_) => {}
            }
            sent.push(message);
        }
        closed
    }

    /// The client closes `connection`.
    pub fn close(&mut self, connection: ConnectionId) {
        if self.connections.remove(&connection).is_some() {
            self.core.handle(Event::Closed { connection });
            self.core.flush().expect("a forgetful disk cannot fail");
        }
    }
}
