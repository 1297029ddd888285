//! The server: client connections, the core's driver, storage. Protocol decisions are made by
//! the `zabkeeper_models` peer; this module translates bytes, disks and clocks to its events
//! and its commands to syscalls.

pub mod auth;
pub mod autopurge;
pub mod connection;
pub mod core;
pub mod in_process;
pub mod password;
pub mod reads;
pub mod trace;
pub mod writes;

#[cfg(test)]
mod core_tests;

use self::core::{Core, CoreConfig, Event};
use crate::config::{PeerRole, ServerConfig};
use crate::quorum::{Transport, TransportConfig};
use crate::storage::Durability;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use zabkeeper_models::election::Membership;
use zabkeeper_models::replica::Replica;
use zabkeeper_models::request::AccessControl;
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::zab::Durable;
use zabkeeper_models::ServerId;

/// Events the core handles before it makes a batch durable: enough to amortise one sync over
/// many writes, few enough to keep replies prompt.
const BATCH_EVENTS_MAX: usize = 1024;

/// The core's settings from the server's configuration.
pub fn core_config(config: &ServerConfig, me: ServerId) -> CoreConfig {
    let membership = match &config.ensemble {
        Some(ensemble) => Membership::new(
            ensemble.participants().map(|server| server.id),
            ensemble
                .servers
                .values()
                .filter(|server| server.role == PeerRole::Observer)
                .map(|server| server.id),
        ),
        None => Membership::new([me], []),
    };
    CoreConfig {
        me,
        membership,
        sync_limit_ticks: config
            .ensemble
            .as_ref()
            .map_or(1, |ensemble| ensemble.sync_limit_ticks),
        init_limit_ticks: config
            .ensemble
            .as_ref()
            .map_or(1, |ensemble| ensemble.init_limit_ticks),
        tick: Duration::from_millis(u64::from(config.tick_time_ms)),
        sessions: SessionConfig {
            tick_time_ms: u64::from(config.tick_time_ms),
            session_timeout_ms_min: config.session_timeout_ms_min as i32,
            session_timeout_ms_max: config.session_timeout_ms_max as i32,
        },
        access: AccessControl::default(),
        extended_types_enabled: config.extended_types_enabled,
        connections_per_host_max: config.client_connections_per_host_max,
        four_letter_words: config.four_letter_words.clone(),
        configuration: vec![
            (
                "clientPort".to_string(),
                config.client_address.port.to_string(),
            ),
            ("dataDir".to_string(), config.data_dir.display().to_string()),
            (
                "dataLogDir".to_string(),
                config.data_log_dir.display().to_string(),
            ),
            ("tickTime".to_string(), config.tick_time_ms.to_string()),
            (
                "maxClientCnxns".to_string(),
                config
                    .client_connections_per_host_max
                    .unwrap_or(0)
                    .to_string(),
            ),
            (
                "minSessionTimeout".to_string(),
                config.session_timeout_ms_min.to_string(),
            ),
            (
                "maxSessionTimeout".to_string(),
                config.session_timeout_ms_max.to_string(),
            ),
            ("serverId".to_string(), me.0.to_string()),
        ],
        data_dir: config.data_dir.clone(),
        data_log_dir: config.data_log_dir.clone(),
        snapshot_interval_txns: u64::from(config.snapshot_interval_txns),
        container_check_interval: Duration::from_millis(u64::from(
            config.container_check_interval_ms,
        )),
        driver_mutation: None,
    }
}

/// Everything the core is built from: its settings, the recovered durable state and where it
/// goes on, the quorum transport of an ensemble member, and the optional trace.
pub struct CoreParts {
    pub config: CoreConfig,
    pub recovered: Durable<Replica>,
    pub durability: Box<dyn Durability>,
    pub quorum: Option<TransportConfig>,
    pub trace: Option<trace::TraceWriter>,
}

/// Serves clients on `listener` until `shutdown` completes; then finishes the batch in flight
/// (its sync included) and returns.
pub async fn serve(
    listener: TcpListener,
    limits: connection::ConnectionLimits,
    parts: CoreParts,
    shutdown: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    let CoreParts {
        config: core_config,
        recovered,
        durability,
        quorum,
        trace,
    } = parts;
    let (events, mut receiver) = mpsc::unbounded_channel::<Event>();
    let tick = core_config.tick;
    let container_check_interval = core_config.container_check_interval;
    let peers = quorum.map(|quorum| {
        Box::new(Transport::start(quorum, events.clone())) as Box<dyn self::core::PeerSender>
    });
    let mut core = Core::new(core_config, recovered, durability, peers, trace);
    core.flush()?;
    let accepting = tokio::spawn(accept_loop(listener, limits, events));
    tokio::pin!(shutdown);
    let mut clock = tokio::time::interval(tick / 2);
    let mut housekeeping = tokio::time::interval(container_check_interval);
    loop {
        let timer = core.next_timer();
        tokio::select! {
            _ = &mut shutdown => break,
            event = receiver.recv() => {
                let Some(event) = event else { break };
                core.read_clock();
                core.handle(event);
                let mut handled = 1;
                while handled < BATCH_EVENTS_MAX {
                    let Ok(event) = receiver.try_recv() else { break };
                    core.handle(event);
                    handled += 1;
                }
                // Timers the batch made due fire in it: under steady load the timer branch
                // below would rarely win against ready events (a round for the batch's syncs
                // has no delay), and the batch's sends all leave after the flush anyway.
                if core.timer_due() {
                    core.on_clock();
                }
            }
            _ = clock.tick() => core.on_clock(),
            _ = housekeeping.tick() => core.housekeeping(),
            _ = sleep_until(timer) => core.on_clock(),
        }
        tokio::task::block_in_place(|| core.flush())?;
    }
    accepting.abort();
    tokio::task::block_in_place(|| core.flush())
}

async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

async fn accept_loop(
    listener: TcpListener,
    limits: connection::ConnectionLimits,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut next_connection = 1u64;
    loop {
        let (stream, address): (_, SocketAddr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait a moment rather than spin.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let connection = next_connection;
        next_connection += 1;
        tokio::spawn(connection::serve_connection(
            connection,
            stream,
            address,
            limits,
            events.clone(),
        ));
    }
}
pub mod four_letter;
