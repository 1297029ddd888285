//! `zabkeeper bench`: throughput and latency of any ZooKeeper-protocol server, Zabkeeper or
//! Apache ZooKeeper, measured through the Rust `zookeeper-client` crate as an application
//! sees it. N sessions each keep D requests outstanding for a fixed time; the report gives
//! operations per second, latency percentiles and the longest stretch with no acknowledged
//! operation (the failover figure when a leader is killed during the run). It prints, it
//! asserts nothing: `tools/bench.sh` runs it against both servers side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};
use zookeeper_client as zk;

/// The operations a run issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// getData of existing znodes.
    Read,
    /// setData of existing znodes.
    Write,
    /// create of new persistent znodes (deleted after the run).
    Create,
    /// Four getData to one setData.
    Mix,
    /// sync, then getData of the same znode: a linearizable read.
    SyncRead,
}

/// Successive requests of one task go to znodes this far apart, so that concurrent tasks
/// touch different znodes.
const ZNODE_STRIDE: usize = 7;
/// Setup and cleanup requests in flight at once.
const PIPELINED_MAX: usize = 256;

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchPlan {
    /// A connect string: one server, or an ensemble's servers comma-separated.
    pub server: String,
    pub sessions: usize,
    /// Requests each session keeps in flight.
    pub outstanding: usize,
    pub workload: Workload,
    pub duration: Duration,
    pub payload_bytes: usize,
    /// Existing znodes that reads and writes go to.
    pub znodes: usize,
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
    pub acknowledged: u64,
    /// Requests that failed (connection loss during a failover, and the like).
    pub failed: u64,
    pub seconds: f64,
    /// Latency of every acknowledged request, in microseconds, sorted.
    latencies_us: Vec<u32>,
    /// The longest time with no acknowledged request, and when it began after the start.
    pub longest_gap: Duration,
    pub longest_gap_began: Duration,
}

impl BenchReport {
    pub fn per_second(&self) -> f64 {
        self.acknowledged as f64 / self.seconds
    }

    /// The latency below which `fraction` of the acknowledged requests returned.
    pub fn percentile(&self, fraction: f64) -> Duration {
        if self.latencies_us.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.latencies_us.len() as f64 - 1.0) * fraction).round() as usize;
        Duration::from_micros(u64::from(self.latencies_us[rank]))
    }
}

/// One request task's record: each acknowledged request's latency and completion time.
#[derive(Default)]
struct TaskRecord {
    latencies_us: Vec<u32>,
    completed_us: Vec<u64>,
    failed: u64,
    created: usize,
}

fn open() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

async fn connect(server: &str) -> Result<zk::Client, zk::Error> {
    zk::Client::connector()
        .with_session_timeout(Duration::from_secs(20))
        .connect(server)
        .await
}

/// Runs the plan: creates the znodes under a fresh root, runs the workload for the duration,
/// then deletes everything it created.
pub async fn run(plan: &BenchPlan) -> Result<BenchReport, zk::Error> {
    let root = format!("/zabkeeper-bench-{}", std::process::id());
    let admin = connect(&plan.server).await?;
    let payload: Arc<[u8]> = vec![b'x'; plan.payload_bytes].into();
    admin.create(&root, b"", &open()).await?;
    let znodes: Vec<String> = (0..plan.znodes)
        .map(|znode| format!("{root}/n{znode}"))
        .collect();
    for batch in znodes.chunks(PIPELINED_MAX) {
        // Sent as they are called; awaited together.
        let creates: Vec<_> = batch
            .iter()
            .map(|path| admin.create(path, &payload, &open()))
            .collect();
        for create in creates {
            create.await?;
        }
    }
    let mut clients = Vec::with_capacity(plan.sessions);
    for _ in 0..plan.sessions {
        clients.push(connect(&plan.server).await?);
    }

    let started = Instant::now();
    let deadline = started + plan.duration;
    let mut tasks = Vec::new();
    for (session, client) in clients.iter().enumerate() {
        for task in 0..plan.outstanding {
            let client = client.clone();
            let payload = payload.clone();
            let prefix = format!("{root}/c{session}-{task}-");
            let root = root.clone();
            let (workload, znodes) = (plan.workload, plan.znodes.max(1));
            // Spread the tasks over the znodes.
            let first = session * plan.outstanding + task;
            tasks.push(tokio::spawn(async move {
                let mut record = TaskRecord::default();
                let mut sequence = first;
                while Instant::now() < deadline {
                    let node = format!("{root}/n{}", sequence % znodes);
                    let sent = Instant::now();
                    let outcome = match workload {
                        Workload::Read => client.get_data(&node).await.map(drop),
                        Workload::Write => client.set_data(&node, &payload, None).await.map(drop),
                        Workload::Mix if !sequence.is_multiple_of(5) => {
                            client.get_data(&node).await.map(drop)
                        }
                        Workload::Mix => client.set_data(&node, &payload, None).await.map(drop),
                        Workload::SyncRead => match client.sync(&node).await {
                            Ok(()) => client.get_data(&node).await.map(drop),
                            Err(error) => Err(error),
                        },
                        Workload::Create => {
                            let path = format!("{prefix}{}", record.created);
                            let created = client.create(&path, &payload, &open()).await;
                            // A create whose outcome is unknown may have happened: clean it.
                            record.created += 1;
                            created.map(drop)
                        }
                    };
                    let now = Instant::now();
                    match outcome {
                        Ok(()) => {
                            let latency = now.duration_since(sent).as_micros();
                            record
                                .latencies_us
                                .push(latency.min(u128::from(u32::MAX)) as u32);
                            record
                                .completed_us
                                .push(now.duration_since(started).as_micros() as u64);
                        }
                        Err(_) => {
                            record.failed += 1;
                            // Do not spin while a server is unreachable.
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                    }
                    sequence += ZNODE_STRIDE;
                }
                (prefix, record)
            }));
        }
    }
    let mut records = Vec::with_capacity(tasks.len());
    for task in tasks {
        records.push(task.await.expect("a bench task does not panic"));
    }
    let seconds = started.elapsed().as_secs_f64();

    let mut latencies_us = Vec::new();
    let mut completed_us = Vec::new();
    let mut failed = 0;
    for (_, record) in &records {
        latencies_us.extend_from_slice(&record.latencies_us);
        completed_us.extend_from_slice(&record.completed_us);
        failed += record.failed;
    }
    latencies_us.sort_unstable();
    completed_us.sort_unstable();
    let (longest_gap, longest_gap_began) = longest_gap(&completed_us, plan.duration);

    cleanup(&admin, &root, plan.znodes, &records).await?;
    Ok(BenchReport {
        acknowledged: latencies_us.len() as u64,
        failed,
        seconds,
        latencies_us,
        longest_gap,
        longest_gap_began,
    })
}

/// The longest stretch without a completion, from the start to the end of the run.
fn longest_gap(completed_us: &[u64], duration: Duration) -> (Duration, Duration) {
    let end = duration.as_micros() as u64;
    let mut previous = 0;
    let mut longest = (0, 0);
    for &at in completed_us.iter().chain(std::iter::once(&end)) {
        if at.saturating_sub(previous) > longest.0 {
            longest = (at - previous, previous);
        }
        previous = previous.max(at);
    }
    (
        Duration::from_micros(longest.0),
        Duration::from_micros(longest.1),
    )
}

async fn cleanup(
    admin: &zk::Client,
    root: &str,
    znodes: usize,
    records: &[(String, TaskRecord)],
) -> Result<(), zk::Error> {
    let mut paths: Vec<String> = (0..znodes)
        .map(|znode| format!("{root}/n{znode}"))
        .collect();
    for (prefix, record) in records {
        paths.extend((0..record.created).map(|index| format!("{prefix}{index}")));
    }
    for batch in paths.chunks(PIPELINED_MAX) {
        let deletes: Vec<_> = batch.iter().map(|path| admin.delete(path, None)).collect();
        for delete in deletes {
            match delete.await {
                Ok(()) | Err(zk::Error::NoNode) => {}
                Err(error) => return Err(error),
            }
        }
    }
    admin.delete(root, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_gap_counts_the_start_and_the_end_of_the_run() {
        let second = 1_000_000;
        assert_eq!(
            longest_gap(&[2 * second, 3 * second], Duration::from_secs(10)),
            (Duration::from_secs(7), Duration::from_secs(3))
        );
        assert_eq!(
            longest_gap(&[], Duration::from_secs(4)),
            (Duration::from_secs(4), Duration::ZERO)
        );
        assert_eq!(
            longest_gap(
                &[5 * second, 6 * second, 9 * second],
                Duration::from_secs(10)
            ),
            (Duration::from_secs(5), Duration::ZERO)
        );
    }

    #[test]
    fn percentiles_rank_the_sorted_latencies() {
        let report = BenchReport {
            acknowledged: 1000,
            failed: 0,
            seconds: 1.0,
            latencies_us: (1..=1000).collect(),
            longest_gap: Duration::ZERO,
            longest_gap_began: Duration::ZERO,
        };
        assert_eq!(report.percentile(0.5), Duration::from_micros(501));
        assert_eq!(report.percentile(0.99), Duration::from_micros(990));
        assert_eq!(report.percentile(0.999), Duration::from_micros(999));
        assert_eq!(report.per_second(), 1000.0);
    }
}
