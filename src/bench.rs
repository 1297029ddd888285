//! `zabkeeper bench`: write and read throughput of any ZooKeeper-compatible server, measured
//! through the Rust `zookeeper-client` crate exactly as an application would see it. Run it
//! against Zabkeeper and against Apache ZooKeeper on the same machine (`tools/bench.sh` does
//! both) and compare the figures; it prints, it asserts nothing.

use std::time::{Duration, Instant};
use zookeeper_client as zk;

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchPlan {
    pub server: String,
    /// Sessions issuing requests at the same time.
    pub clients: usize,
    /// Creates per client (the write phase).
    pub writes_per_client: usize,
    /// How long the read phase runs.
    pub read_duration: Duration,
    pub payload_bytes: usize,
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
    pub writes: usize,
    pub write_seconds: f64,
    pub reads: usize,
    pub read_seconds: f64,
}

impl BenchReport {
    pub fn writes_per_second(&self) -> f64 {
        self.writes as f64 / self.write_seconds
    }

    pub fn reads_per_second(&self) -> f64 {
        self.reads as f64 / self.read_seconds
    }
}

/// Runs the plan: every client creates its nodes under a fresh root, then every client reads
/// them back in a loop until the read phase ends; finally the nodes are deleted.
pub async fn run(plan: &BenchPlan) -> Result<BenchReport, zk::Error> {
    let root = format!("/zabkeeper-bench-{}", std::process::id());
    let admin = zk::Client::connect(&plan.server).await?;
    let open = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    admin.create(&root, b"", &open).await?;
    let mut clients = Vec::with_capacity(plan.clients);
    for _ in 0..plan.clients {
        clients.push(zk::Client::connect(&plan.server).await?);
    }
    let payload = vec![b'x'; plan.payload_bytes];

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, client) in clients.iter().enumerate() {
        let client = client.clone();
        let payload = payload.clone();
        let prefix = format!("{root}/c{index}-");
        let count = plan.writes_per_client;
        tasks.push(tokio::spawn(async move {
            let open = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
            for node in 0..count {
                client
                    .create(&format!("{prefix}{node}"), &payload, &open)
                    .await?;
            }
            Ok::<usize, zk::Error>(count)
        }));
    }
    let mut writes = 0;
    for task in tasks {
        writes += task.await.expect("a write task does not panic")?;
    }
    let write_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let deadline = started + plan.read_duration;
    let mut tasks = Vec::new();
    for (index, client) in clients.iter().enumerate() {
        let client = client.clone();
        let prefix = format!("{root}/c{index}-");
        let count = plan.writes_per_client.max(1);
        tasks.push(tokio::spawn(async move {
            let mut reads = 0usize;
            while Instant::now() < deadline {
                client
                    .get_data(&format!("{prefix}{}", reads % count))
                    .await?;
                reads += 1;
            }
            Ok::<usize, zk::Error>(reads)
        }));
    }
    let mut reads = 0;
    for task in tasks {
        reads += task.await.expect("a read task does not panic")?;
    }
    let read_seconds = started.elapsed().as_secs_f64();

    for index in 0..plan.clients {
        for node in 0..plan.writes_per_client {
            admin
                .delete(&format!("{root}/c{index}-{node}"), None)
                .await?;
        }
    }
    admin.delete(&root, None).await?;
    Ok(BenchReport {
        writes,
        write_seconds,
        reads,
        read_seconds,
    })
}
