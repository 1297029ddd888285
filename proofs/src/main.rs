//! Deeper model checks than `cargo test` can afford: more writes, two crashes, five servers.
//!
//! ```text
//! cargo run -p zabkeeper-proofs --release -- list
//! cargo run -p zabkeeper-proofs --release -- check two-crashes-two-writes --threads 2
//! ```
//!
//! Prints the unique states, depth, time and every discovery; exits non-zero if an `Always`
//! property has a counterexample.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use zabkeeper_models::zab::{ElectionMode, FailureDetection};
use zabkeeper_proofs::check::explore;
use zabkeeper_proofs::model::ZabConfig;
use zabkeeper_proofs::properties::SAFETY;
use zabkeeper_proofs::scenario::{after_epoch_one, client, three_voters};

#[derive(Parser)]
#[command(about = "Deep model checks of Zabkeeper's ZAB peer")]
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
    },
}

/// The deep configurations, by name.
fn configurations() -> Vec<(&'static str, &'static str, ZabConfig)> {
    vec![
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
            ZabConfig {
                voters: 5,
                max_crashes: 1,
                max_restarts: 1,
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
    ]
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
        Command::Check { name, threads } => {
            let Some((name, description, config)) = configurations()
                .into_iter()
                .find(|(candidate, _, _)| *candidate == name)
            else {
                eprintln!("no configuration named `{name}`; `list` shows them");
                return ExitCode::FAILURE;
            };
            println!("{name}: {description}");
            let report = explore(config.into_model(), threads);
            println!(
                "unique states {}, states {}, depth {}, time {:.1?}",
                report.unique_states, report.states, report.max_depth, report.elapsed
            );
            let mut violated = false;
            for discovery in &report.discoveries {
                let is_safety = SAFETY.contains(discovery);
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
