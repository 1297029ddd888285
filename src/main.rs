//! The `zabkeeper` binary.
//!
//! ```text
//! zabkeeper server                    # 127.0.0.1:2181, data in ./zabkeeper-data
//! zabkeeper server --config zoo.cfg   # ZooKeeper's configuration file, unchanged
//! zabkeeper bench --server 127.0.0.1:2181 --workload write   # any ZooKeeper's throughput
//! ```

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;
use zabkeeper::bench::{self, BenchPlan, Workload};
use zabkeeper::config::{load_config, Endpoint, Ensemble, Host, LoadedConfig, ServerConfig};
use zabkeeper::models::ServerId;
use zabkeeper::quorum::frame::QUORUM_FRAME_BYTES_MAX_DEFAULT;
use zabkeeper::quorum::{PeerAddress, PeerAddresses, TransportConfig};
use zabkeeper::server::{
    self, autopurge::AutopurgeConfig, connection, connection::ConnectionLimits,
    core::DriverMutation,
};
use zabkeeper::storage::{Durability, Storage, StorageOptions};

#[derive(Parser)]
#[command(
    version,
    about = "A ZooKeeper-compatible coordination service with a model-checked core"
)]
struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a server. Without --config: 127.0.0.1:2181 with data in ./zabkeeper-data.
    Server {
        /// A ZooKeeper `zoo.cfg`.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Appends every event the peer handles and every command it emits to this file as
        /// JSON lines, for trace validation (`zabkeeper check-trace`).
        #[arg(long)]
        trace: Option<PathBuf>,
        /// A seeded driver bug that trace validation must catch. Tests only.
        #[arg(long, hide = true, value_enum)]
        driver_mutation: Option<DriverMutation>,
    },
    /// Replays traces written with `server --trace` through the model, and checks the
    /// cross-server properties on what they delivered. Exits non-zero on the first difference.
    CheckTrace {
        /// Trace files, one per server.
        #[arg(required = true)]
        traces: Vec<PathBuf>,
    },
    /// Tells whether the server a configuration describes runs, and in which mode, as
    /// `zkServer.sh status` does. Without --config: the embedded default's 127.0.0.1:2181.
    Status {
        /// A ZooKeeper `zoo.cfg`.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Measures throughput and latency of any ZooKeeper-protocol server: SESSIONS sessions
    /// each keep OUTSTANDING requests in flight for SECONDS.
    Bench {
        /// A connect string: one server, or every server of an ensemble comma-separated.
        #[arg(long, default_value = "127.0.0.1:2181")]
        server: String,
        #[arg(long, default_value_t = 16)]
        sessions: usize,
        #[arg(long, default_value_t = 8)]
        outstanding: usize,
        #[arg(long, value_enum, default_value_t = Workload::Mix)]
        workload: Workload,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 100)]
        payload_bytes: usize,
        /// Existing znodes that reads and writes go to.
        #[arg(long, default_value_t = 1000)]
        znodes: usize,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,zookeeper_client=warn")
            }),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal; log files and collectors get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let arguments = Arguments::parse();
    match arguments.command {
        Command::Server {
            config,
            trace,
            driver_mutation,
        } => run_server(config, trace, driver_mutation),
        Command::CheckTrace { traces } => run_check_trace(&traces),
        Command::Status { config } => run_status(config),
        Command::Bench {
            server,
            sessions,
            outstanding,
            workload,
            seconds,
            payload_bytes,
            znodes,
        } => run_bench(BenchPlan {
            server,
            sessions,
            outstanding,
            workload,
            duration: Duration::from_secs(seconds),
            payload_bytes,
            znodes,
        }),
    }
}

fn run_bench(plan: BenchPlan) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("zabkeeper: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench::run(&plan)) {
        Ok(report) => {
            let milliseconds = |duration: Duration| duration.as_secs_f64() * 1000.0;
            println!(
                "{:?} on {}: {} sessions x {} outstanding, {} B: {:.0} ops/s ({} in {:.1} s, {} failed); latency p50 {:.2} ms p99 {:.2} ms p999 {:.2} ms; longest gap {:.0} ms from {:.1} s",
                plan.workload,
                plan.server,
                plan.sessions,
                plan.outstanding,
                plan.payload_bytes,
                report.per_second(),
                report.acknowledged,
                report.seconds,
                report.failed,
                milliseconds(report.percentile(0.5)),
                milliseconds(report.percentile(0.99)),
                milliseconds(report.percentile(0.999)),
                milliseconds(report.longest_gap),
                report.longest_gap_began.as_secs_f64(),
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("zabkeeper bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration in `config_file`, or the embedded default without one; `None` after
/// printing why the file cannot be used.
fn configuration(config_file: Option<&Path>) -> Option<ServerConfig> {
    match config_file {
        Some(path) => match load_config(path) {
            Ok(LoadedConfig { config, warnings }) => {
                for warning in warnings {
                    tracing::warn!("{warning}");
                }
                Some(config)
            }
            Err(error) => {
                eprintln!("zabkeeper: {error}");
                None
            }
        },
        None => Some(ServerConfig::embedded_default()),
    }
}

fn run_status(config_file: Option<PathBuf>) -> ExitCode {
    let Some(config) = configuration(config_file.as_deref()) else {
        return ExitCode::FAILURE;
    };
    match zabkeeper::status::status(&config, config_file.as_deref()) {
        Ok(lines) => {
            println!("{lines}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn run_check_trace(traces: &[PathBuf]) -> ExitCode {
    let mut runs = Vec::new();
    for trace in traces {
        match server::trace::replay(trace) {
            Ok(replayed) => {
                let steps: u64 = replayed.iter().map(|run| run.steps).sum();
                println!(
                    "{}: {} runs, {steps} steps replayed with identical commands",
                    trace.display(),
                    replayed.len()
                );
                runs.extend(replayed);
            }
            Err(error) => {
                eprintln!("zabkeeper check-trace: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    match server::trace::check_ensemble(&runs) {
        Ok(()) => {
            println!("one leader per epoch; deliveries agree");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("zabkeeper check-trace: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run_server(
    config_file: Option<PathBuf>,
    trace: Option<PathBuf>,
    driver_mutation: Option<DriverMutation>,
) -> ExitCode {
    let Some(config) = configuration(config_file.as_deref()) else {
        return ExitCode::FAILURE;
    };
    let me = config
        .ensemble
        .as_ref()
        .map_or(ServerId(1), |ensemble| ensemble.my_id);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("zabkeeper: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config, me, trace, driver_mutation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("zabkeeper: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(
    config: ServerConfig,
    me: ServerId,
    trace_file: Option<PathBuf>,
    driver_mutation: Option<DriverMutation>,
) -> Result<(), String> {
    let options = StorageOptions {
        preallocation_bytes: config.txn_log_preallocation_bytes,
        ..StorageOptions::default()
    };
    let (storage, recovered) = tokio::task::block_in_place(|| {
        Storage::open(&config.data_dir, &config.data_log_dir, options)
    })
    .map_err(|error| format!("cannot recover the data directories: {error}"))?;
    for torn in &recovered.torn_tails {
        tracing::warn!(?torn, "cut a torn txn log tail");
    }
    tracing::info!(
        last_zxid = %recovered.last_zxid,
        sessions = recovered.database.sessions.len(),
        "recovered"
    );
    let in_ensemble = config
        .ensemble
        .as_ref()
        .is_some_and(|ensemble| ensemble.servers.len() > 1);
    let durable = if in_ensemble {
        recovered.quorum_durable_state(0)
    } else {
        recovered.standalone_durable_state(0)
    };
    // Autopurge's thread and the core's truncations take turns at deleting files.
    let directory_guard = storage.directory_guard();
    let durability: Box<dyn Durability> = Box::new(storage);
    let address = resolve(&config.client_address).await?;
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))?;
    tracing::info!(%address, data_dir = %config.data_dir.display(), "serving clients");
    let limits = ConnectionLimits {
        frame_bytes_max: config.request_bytes_max as usize,
        requests_in_flight_max: config.outstanding_requests_max as usize,
        connect_request_wait_max: connection::CONNECT_REQUEST_WAIT_MAX_DEFAULT,
    };
    let mut core_config = server::core_config(&config, me);
    core_config.driver_mutation = driver_mutation;
    let trace =
        match &trace_file {
            Some(path) => Some(server::trace::TraceWriter::open(path).map_err(|error| {
                format!("cannot open the trace file {}: {error}", path.display())
            })?),
            None => None,
        };
    // Dropped (so stopped) when this function returns.
    let _autopurge = config.autopurge_interval_hours.map(|hours| {
        let autopurge = AutopurgeConfig {
            data_dir: config.data_dir.clone(),
            data_log_dir: config.data_log_dir.clone(),
            snapshots_retained: config.autopurge_snapshots_retained as usize,
            interval: Duration::from_secs(u64::from(hours) * 3600),
            directory_guard,
        };
        tracing::info!(
            hours,
            retained = autopurge.snapshots_retained,
            "autopurge scheduled"
        );
        AbortOnDrop(tokio::spawn(server::autopurge::run(autopurge)))
    });
    let quorum = match &config.ensemble {
        Some(ensemble) if in_ensemble => Some(quorum_transport(&config, ensemble).await?),
        _ => None,
    };
    let parts = server::CoreParts {
        config: core_config,
        recovered: durable,
        durability,
        quorum,
        trace,
    };
    server::serve(listener, limits, parts, shutdown_signal())
        .await
        .map_err(|error| format!("stopped: {error}"))?;
    tracing::info!("stopped after the last sync");
    Ok(())
}

/// The quorum transport of an ensemble member: its own `server.N` line's quorum and election
/// ports bound (on every interface with `quorumListenOnAllIPs`), every other line a peer.
async fn quorum_transport(
    config: &ServerConfig,
    ensemble: &Ensemble,
) -> Result<TransportConfig, String> {
    let me = ensemble.me();
    let bind = |port: u16| {
        let endpoint = Endpoint {
            host: if config.quorum_listen_on_all_ips {
                Host::EVERY_INTERFACE
            } else {
                me.host.clone()
            },
            port,
        };
        async move {
            let address = resolve(&endpoint).await?;
            TcpListener::bind(address)
                .await
                .map_err(|error| format!("cannot listen for peers on {address}: {error}"))
        }
    };
    let quorum_listener = bind(me.quorum_port).await?;
    let election_listener = bind(me.election_port).await?;
    let peers = ensemble
        .servers
        .values()
        .filter(|server| server.id != me.id)
        .map(|server| {
            let address = |port| PeerAddress {
                host: server.host.clone(),
                port,
            };
            (
                server.id,
                PeerAddresses {
                    quorum: address(server.quorum_port),
                    election: address(server.election_port),
                },
            )
        })
        .collect();
    tracing::info!(
        me = %me.id,
        quorum_port = me.quorum_port,
        election_port = me.election_port,
        servers = ensemble.servers.len(),
        "joining the ensemble"
    );
    Ok(TransportConfig {
        me: me.id,
        // Distinct at every start: the wall clock in milliseconds.
        incarnation: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64),
        peers,
        quorum_listener,
        election_listener,
        quorum_frame_bytes_max: QUORUM_FRAME_BYTES_MAX_DEFAULT,
    })
}

async fn resolve(endpoint: &Endpoint) -> Result<SocketAddr, String> {
    match &endpoint.host {
        Host::Ip(ip) => Ok(SocketAddr::new(*ip, endpoint.port)),
        Host::Name(name) => tokio::net::lookup_host((name.as_str(), endpoint.port))
            .await
            .map_err(|error| format!("cannot resolve {name}: {error}"))?
            .next()
            .ok_or_else(|| format!("{name} resolves to no address")),
    }
}

/// A background task that stops with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// SIGTERM or SIGINT.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = terminate => tracing::info!("SIGTERM: finishing the batch in flight"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: finishing the batch in flight"),
    }
}
