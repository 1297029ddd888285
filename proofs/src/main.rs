//! Deeper model checks than `cargo test` can afford: more writes, two crashes, five servers.
//!
//! ```text
//! cargo run -p zabkeeper-proofs --release -- list
//! cargo run -p zabkeeper-proofs --release -- check two-crashes-two-writes --threads 2
//! cargo run -p zabkeeper-proofs --release -- check five-voters --threads 1 --symmetry --forget-crashed
//! ```
//!
//! `--symmetry` and `--forget-crashed` search depth-first and identify equivalent states (see
//! `reduction`); progress goes to stderr every `--progress-secs`.
//!
//! Prints the unique states, depth, time and every discovery; exits non-zero if an `Always`
//! property has a counterexample.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::time::Duration;
use zabkeeper_models::zab::{ElectionMode, FailureDetection};
use zabkeeper_proofs::check::{explore_with, Search};
use zabkeeper_proofs::driver::DriverActions;
use zabkeeper_proofs::model::ZabConfig;
use zabkeeper_proofs::properties::SAFETY;
use zabkeeper_proofs::reduction::{self, Reduction};
use zabkeeper_proofs::scenario::{after_epoch_one, client, five_voters_one_restart, three_voters};
use zabkeeper_proofs::sessions::{self, SessionModelConfig};

/// A configuration of either model.
enum Configuration {
    Zab(ZabConfig),
    Sessions(SessionModelConfig),
}

#[derive(Parser)]
#[command(about = "Deep model checks of Zabkeeper's ZAB peer and its sessions")]
struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the configurations.
    List,
    /// Explores a configuration exhaustively.
    Check {
        name: String,
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Depth-first instead of breadth-first: the same states, far less memory.
        #[arg(long)]
        depth_first: bool,
        /// Depth-first, identifying states equal up to renaming interchangeable servers (ZAB
        /// configurations under the election oracle; see `reduction`).
        #[arg(long)]
        symmetry: bool,
        /// Depth-first, identifying states that differ only in crashed servers' volatile state
        /// beyond what the properties read (ZAB configurations; see `reduction`).
        #[arg(long)]
        forget_crashed: bool,
        /// A lossy ZAB configuration loses messages only when their receiver takes a later one
        /// off the same link (see `Cluster::loss_at_delivery`).
        #[arg(long)]
        loss_at_delivery: bool,
        /// Print the counts so far on stderr every this many seconds (0: never).
        #[arg(long, default_value_t = 60)]
        progress_secs: u64,
    },
}

/// The deep configurations, by name.
fn configurations() -> Vec<(&'static str, &'static str, Configuration)> {
    let zab = [
        (
            "lossy-crash-two-writes-read",
            "the cargo test headline: lossy links, one crash, two writes and a read",
            ZabConfig {
                lossy: true,
                max_crashes: 1,
                max_restarts: 1,
                ..three_voters(vec![client(0, &[1, 2], true)])
            },
        ),
        (
            "two-crashes-two-writes",
            "two restarts over three epochs, two writes from two clients",
            ZabConfig {
                max_crashes: 1,
                max_restarts: 2,
                max_epoch: 3,
                max_election_epoch: 3,
                ..three_voters(vec![client(0, &[1], false), client(1, &[2], false)])
            },
        ),
        (
            "lossy-two-crashes-three-writes",
            "issue 15's target: lossy links, two crashes and restarts over three epochs, three writes",
            ZabConfig {
                lossy: true,
                max_crashes: 1,
                max_restarts: 2,
                max_epoch: 3,
                max_election_epoch: 3,
                ..three_voters(vec![client(0, &[1, 2, 3], false)])
            },
        ),
        (
            "three-writes-crash",
            "one crash and restart, three writes and a read",
            ZabConfig {
                max_crashes: 1,
                max_restarts: 1,
                ..three_voters(vec![client(0, &[1, 2, 3], true)])
            },
        ),
        (
            "five-voters",
            "five voters, one crash and restart, one write",
            five_voters_one_restart(),
        ),
        (
            "five-voters-no-crash",
            "five voters, no faults, one write and a read",
            ZabConfig {
                voters: 5,
                max_in_flight: 24,
                ..three_voters(vec![client(0, &[1], true)])
            },
        ),
        (
            "five-voters-crash-no-restart",
            "five voters, any one crashes for good, one write",
            ZabConfig {
                voters: 5,
                max_crashes: 1,
                max_in_flight: 24,
                ..three_voters(vec![client(0, &[1], false)])
            },
        ),
        (
            "failover-crash",
            "failure detector oracle and one crash and restart, one write",
            ZabConfig {
                max_crashes: 1,
                max_restarts: 1,
                failure_detection: Some(FailureDetection::Oracle),
                ..three_voters(vec![client(0, &[1], false)])
            },
        ),
        (
            "aftermath-failover",
            "epoch-1 leftover txn, failure detector oracle, one restart",
            after_epoch_one(&[9], vec![client(1, &[1], true)]),
        ),
        (
            "fast-election-crash",
            "real FLE instead of the oracle, one crash and restart, one write",
            ZabConfig {
                election_mode: ElectionMode::Fast,
                max_crashes: 1,
                max_restarts: 1,
                ..three_voters(vec![client(0, &[1], false)])
            },
        ),
    ];
    let sessions = [
        (
            "sessions-close-in-flight-restart",
            "sessions: a closeSession in flight at a leader change, one crash and restart",
            SessionModelConfig {
                close_in_flight: true,
                max_epoch: 3,
                max_crashes: 1,
                max_restarts: 1,
                ..SessionModelConfig::three_voters()
            },
        ),
        (
            "sessions-servers-settings",
            "sessions under the server's settings: Fast Leader Election, heartbeat failure \
             detection (two rounds per leader), the client on server 1",
            servers_settings(SessionModelConfig {
                max_epoch: 1,
                ..SessionModelConfig::three_voters()
            }),
        ),
        (
            "sessions-servers-settings-watcher",
            "sessions under the server's settings, a watcher on server 2",
            servers_settings(SessionModelConfig {
                watcher_server: Some(2),
                max_epoch: 1,
                ..SessionModelConfig::three_voters()
            }),
        ),
        (
            "sessions-servers-settings-moving",
            "sessions under the server's settings, the client moving its session to server 2",
            servers_settings(SessionModelConfig {
                client_moves_to: Some(2),
                session_exists: true,
                ..SessionModelConfig::three_voters()
            }),
        ),
        (
            "sessions-two-clock-steps-crash",
            "sessions: the leader's clock may run out twice, one crash and restart",
            SessionModelConfig {
                session_exists: true,
                clock_steps: 2,
                max_crashes: 1,
                max_restarts: 1,
                ..SessionModelConfig::three_voters()
            },
        ),
        (
            "sessions-reconnecting-watcher-failover",
            "sessions: the creating watcher reconnects through server 1 when its server closes its \
             connection, any server giving up on its leader or followers at any tick",
            SessionModelConfig {
                watcher_server: Some(2),
                watcher_creates: true,
                watcher_reads: 2,
                watcher_reconnects_to: Some(1),
                session_client: false,
                failure_detection: Some(FailureDetection::Oracle),
                clock_steps: 0,
                driver: DriverActions {
                    session_order: true,
                    ..DriverActions::default()
                },
                ..SessionModelConfig::three_voters()
            },
        ),
    ];
    let zab = zab
        .into_iter()
        .map(|(name, description, config)| (name, description, Configuration::Zab(config)));
    let sessions = sessions
        .into_iter()
        .map(|(name, description, config)| (name, description, Configuration::Sessions(config)));
    zab.chain(sessions).collect()
}

/// `config` with the election and failure detection the server runs: Fast Leader Election and
/// heartbeats, each leader starting at most two confirmation rounds, one election round.
fn servers_settings(config: SessionModelConfig) -> SessionModelConfig {
    SessionModelConfig {
        election_mode: ElectionMode::Fast,
        failure_detection: Some(FailureDetection::Heartbeat),
        max_leader_rounds: 1,
        max_election_epoch: 1,
        ..config
    }
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    match arguments.command {
        Command::List => {
            for (name, description, _) in configurations() {
                println!("{name:32} {description}");
            }
            ExitCode::SUCCESS
        }
        Command::Check {
            name,
            threads,
            depth_first,
            symmetry,
            forget_crashed,
            loss_at_delivery,
            progress_secs,
        } => {
            let progress = (progress_secs > 0).then(|| Duration::from_secs(progress_secs));
            let reduced = symmetry || forget_crashed;
            let search = if depth_first || reduced {
                Search::DepthFirst
            } else {
                Search::BreadthFirst
            };
            let Some((name, description, config)) = configurations()
                .into_iter()
                .find(|(candidate, _, _)| *candidate == name)
            else {
                eprintln!("no configuration named `{name}`; `list` shows them");
                return ExitCode::FAILURE;
            };
            println!("{name}: {description}");
            let config = match config {
                Configuration::Zab(config) => Configuration::Zab(ZabConfig {
                    loss_at_delivery,
                    ..config
                }),
                Configuration::Sessions(_) if loss_at_delivery => {
                    eprintln!("--loss-at-delivery applies to the ZAB configurations only");
                    return ExitCode::FAILURE;
                }
                sessions => sessions,
            };
            let (report, safety) = match config {
                Configuration::Zab(config) if reduced => {
                    let reduction = Reduction::new(&config, symmetry, forget_crashed);
                    println!("interchangeable servers: {:?}", reduction.classes());
                    (
                        reduction::explore(config, reduction, threads, progress),
                        SAFETY,
                    )
                }
                Configuration::Zab(config) => (
                    explore_with(config.into_model(), threads, search, progress),
                    SAFETY,
                ),
                Configuration::Sessions(_) if reduced => {
                    eprintln!("reductions apply to the ZAB configurations only");
                    return ExitCode::FAILURE;
                }
                Configuration::Sessions(config) => (
                    explore_with(config.into_model(), threads, search, progress),
                    sessions::SAFETY,
                ),
            };
            println!(
                "unique states {}, states {}, depth {}, time {:.1?}",
                report.unique_states, report.states, report.max_depth, report.elapsed
            );
            let mut violated = false;
            for discovery in &report.discoveries {
                let is_safety = safety.contains(discovery);
                violated |= is_safety;
                let kind = if is_safety {
                    "COUNTEREXAMPLE"
                } else {
                    "reached"
                };
                println!("  {kind}: {discovery}");
            }
            if violated {
                ExitCode::FAILURE
            } else {
                println!("  every safety property holds");
                ExitCode::SUCCESS
            }
        }
    }
}
