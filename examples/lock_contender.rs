//! A process that contends for a Zabkeeper fair lock: it acquires the lock `--rounds` times,
//! holds it `--hold-ms` each time, and releases it. While holding, it owns `--marker` (created
//! with O_EXCL, so two holders at once cannot both own it) and appends its acquisitions and
//! releases to `--history`. The recipe tests run it beside kazoo's `Lock` on the same path and
//! kill it with SIGKILL while it holds.
//!
//! ```text
//! cargo run --example lock_contender -- --server 127.0.0.1:2181 --path /locks/job --rounds 3
//! ```

use clap::Parser;
use std::io::Write;
use std::time::Duration;
use zabkeeper::client::Lock;

#[derive(Parser)]
struct Arguments {
    /// The connect string.
    #[arg(long)]
    server: String,
    /// The lock's path.
    #[arg(long)]
    path: String,
    #[arg(long, default_value_t = 1)]
    rounds: u32,
    /// How long each hold lasts; 0 holds until the process is killed.
    #[arg(long, default_value_t = 10)]
    hold_ms: u64,
    /// A file created exclusively while holding and removed before releasing.
    #[arg(long)]
    marker: Option<std::path::PathBuf>,
    /// A file to append `<name> acquired|released <sequence>` lines to.
    #[arg(long)]
    history: Option<std::path::PathBuf>,
    /// This contender's name in the history.
    #[arg(long, default_value = "rust")]
    name: String,
    #[arg(long, default_value_t = 4000)]
    session_timeout_ms: u64,
}

fn record(arguments: &Arguments, event: &str, sequence: Option<i32>) {
    let Some(path) = &arguments.history else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("the history file opens");
    let sequence = sequence.map_or(-1, i64::from);
    writeln!(file, "{} {event} {sequence}", arguments.name).expect("the history is written");
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments = Arguments::parse();
    let client = zookeeper_client::Client::connector()
        .with_session_timeout(Duration::from_millis(arguments.session_timeout_ms))
        .connect(&arguments.server)
        .await?;
    let mut lock = Lock::with_identifier(&client, &arguments.path, arguments.name.as_bytes());
    for _ in 0..arguments.rounds {
        lock.acquire().await?;
        if let Some(marker) = &arguments.marker {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(marker)
                .map_err(|error| format!("another holder owns {}: {error}", marker.display()))?;
        }
        record(&arguments, "acquired", lock.sequence());
        println!("holding {}", lock.fencing_token().unwrap_or_default());
        if arguments.hold_ms == 0 {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(Duration::from_millis(arguments.hold_ms)).await;
        record(&arguments, "released", lock.sequence());
        if let Some(marker) = &arguments.marker {
            std::fs::remove_file(marker)?;
        }
        lock.release().await?;
    }
    Ok(())
}
