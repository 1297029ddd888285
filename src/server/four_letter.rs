//! Four-letter words (`echo srvr | nc host 2181`): a connection whose first four bytes spell a
//! known word gets a text answer and is closed. The texts follow Apache ZooKeeper 3.8's layout,
//! line for line, so monitoring scripts written for it keep working.

use crate::config::FourLetterWord;
use std::fmt::Write;

/// The version this server reports: the ZooKeeper release whose protocol it speaks, then
/// its own name and version (kazoo and others parse the leading `x.y.z`).
pub fn version() -> String {
    format!(
        "3.8.0-zabkeeper-{}, built on unknown",
        env!("CARGO_PKG_VERSION")
    )
}

/// Request statistics (ZooKeeper's `ServerStats`).
#[derive(Clone, Debug, Default)]
pub struct Statistics {
    pub packets_received: u64,
    pub packets_sent: u64,
    latency_ms_min: Option<u64>,
    latency_ms_max: u64,
    latency_ms_total: u64,
    latency_count: u64,
}

impl Statistics {
    /// A request took `latency_ms` from arrival to its reply leaving.
    pub fn record_latency(&mut self, latency_ms: u64) {
        self.latency_ms_min = Some(
            self.latency_ms_min
                .map_or(latency_ms, |min| min.min(latency_ms)),
        );
        self.latency_ms_max = self.latency_ms_max.max(latency_ms);
        self.latency_ms_total += latency_ms;
        self.latency_count += 1;
    }

    pub fn latency_ms_min(&self) -> u64 {
        self.latency_ms_min.unwrap_or(0)
    }

    pub fn latency_ms_max(&self) -> u64 {
        self.latency_ms_max
    }

    pub fn latency_ms_average(&self) -> f64 {
        if self.latency_count == 0 {
            0.0
        } else {
            self.latency_ms_total as f64 / self.latency_count as f64
        }
    }

    /// `srst`.
    pub fn reset(&mut self) {
        *self = Statistics::default();
    }
}

/// What a four-letter word reports about the server, gathered by the core.
#[derive(Clone, Debug, Default)]
pub struct ServerReport {
    pub statistics: Statistics,
    /// One line per connection for `cons` and `stat`.
    pub connections: Vec<String>,
    pub outstanding_requests: usize,
    pub last_zxid: u64,
    pub node_count: usize,
    pub watch_count: usize,
    pub watched_paths: usize,
    pub watching_connections: usize,
    pub ephemeral_count: usize,
    pub approximate_data_bytes: u64,
    /// `key=value` lines of the configuration, for `conf`.
    pub configuration: Vec<(String, String)>,
    pub data_dir_bytes: u64,
    pub data_log_dir_bytes: u64,
    /// standalone, leader, follower or observer.
    pub mode: &'static str,
    /// The epoch this server's history last accepted (`currentEpoch`).
    pub current_epoch: u32,
    /// On a leader, its learners.
    pub learners: Option<LearnerCounts>,
    /// On an ensemble member: quorum messages that could not be sent (each one closed its
    /// connection, so the peer started over).
    pub unsendable_quorum_messages: Option<u64>,
}

/// A leader's learners for `mntr`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LearnerCounts {
    pub learners: usize,
    pub synced_followers: usize,
    pub synced_observers: usize,
}

/// The answer to `word`, or `None` for the words this server does not implement.
/// ZooKeeper's answer to a word that needs a running server (`ZK_NOT_SERVING`).
pub const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests\n";

/// Whether `word` reports on the running server, so that ZooKeeper answers it with
/// [`NOT_SERVING`] before the server serves (during recovery or an election). `ruok` and
/// `envi` answer regardless, and `isro` says "null" (see [`IS_READ_ONLY_NOT_SERVING`]).
/// `isro` before the server serves.
pub const IS_READ_ONLY_NOT_SERVING: &str = "null";

pub fn needs_a_serving_server(word: FourLetterWord) -> bool {
    !matches!(
        word,
        FourLetterWord::Ruok | FourLetterWord::Envi | FourLetterWord::Isro
    )
}

pub fn answer(word: FourLetterWord, report: &ServerReport) -> Option<String> {
    let text = match word {
        FourLetterWord::Ruok => "imok".to_string(),
        FourLetterWord::Isro => "rw".to_string(),
        FourLetterWord::Srvr => server_summary(report),
        FourLetterWord::Stat => {
            let mut text = format!("Zookeeper version: {}\nClients:\n", version());
            for line in &report.connections {
                let _ = writeln!(text, " {line}");
            }
            text.push('\n');
            text.push_str(
                server_summary(report)
                    .split_once('\n')
                    .map_or("", |(_, rest)| rest),
            );
            text
        }
        FourLetterWord::Cons => {
            let mut text = String::new();
            for line in &report.connections {
                let _ = writeln!(text, " {line}");
            }
            text.push('\n');
            text
        }
        FourLetterWord::Conf => {
            let mut text = String::new();
            for (key, value) in &report.configuration {
                let _ = writeln!(text, "{key}={value}");
            }
            text
        }
        FourLetterWord::Envi => {
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_string());
            format!(
                "Environment:\nzookeeper.version={}\nhost.name={}\nos.name={}\nos.arch={}\nuser.dir={}\n",
                version(),
                host,
                std::env::consts::OS,
                std::env::consts::ARCH,
                std::env::current_dir()
                    .map(|dir| dir.display().to_string())
                    .unwrap_or_default(),
            )
        }
        FourLetterWord::Dirs => format!(
            "datadir_size: {}\nlogdir_size: {}\n",
            report.data_dir_bytes, report.data_log_dir_bytes
        ),
        FourLetterWord::Wchs => format!(
            "{} connections watching {} paths\nTotal watches:{}\n",
            report.watching_connections, report.watched_paths, report.watch_count
        ),
        FourLetterWord::Mntr => monitor(report),
        FourLetterWord::Srst => "Server stats reset.\n".to_string(),
        FourLetterWord::Crst
        | FourLetterWord::Dump
        | FourLetterWord::Gtmk
        | FourLetterWord::Hash
        | FourLetterWord::Stmk
        | FourLetterWord::Wchc
        | FourLetterWord::Wchp => return None,
    };
    Some(text)
}

/// The text for a word outside the whitelist, as ZooKeeper words it.
pub fn not_whitelisted(word: FourLetterWord) -> String {
    format!("{word} is not executed because it is not in the whitelist.\n")
}

fn server_summary(report: &ServerReport) -> String {
    let statistics = &report.statistics;
    format!(
        "Zookeeper version: {}\nLatency min/avg/max: {}/{:.4}/{}\nReceived: {}\nSent: {}\nConnections: {}\nOutstanding: {}\nZxid: 0x{:x}\nMode: {}\nNode count: {}\n",
        version(),
        statistics.latency_ms_min(),
        statistics.latency_ms_average(),
        statistics.latency_ms_max(),
        statistics.packets_received,
        statistics.packets_sent,
        report.connections.len(),
        report.outstanding_requests,
        report.last_zxid,
        report.mode,
        report.node_count,
    )
}

fn monitor(report: &ServerReport) -> String {
    let statistics = &report.statistics;
    let lines: Vec<(&str, String)> = vec![
        ("zk_version", version()),
        ("zk_server_state", report.mode.to_string()),
        (
            "zk_avg_latency",
            format!("{:.4}", statistics.latency_ms_average()),
        ),
        ("zk_max_latency", statistics.latency_ms_max().to_string()),
        ("zk_min_latency", statistics.latency_ms_min().to_string()),
        (
            "zk_packets_received",
            statistics.packets_received.to_string(),
        ),
        ("zk_packets_sent", statistics.packets_sent.to_string()),
        (
            "zk_num_alive_connections",
            report.connections.len().to_string(),
        ),
        (
            "zk_outstanding_requests",
            report.outstanding_requests.to_string(),
        ),
        ("zk_znode_count", report.node_count.to_string()),
        ("zk_watch_count", report.watch_count.to_string()),
        ("zk_ephemerals_count", report.ephemeral_count.to_string()),
        (
            "zk_approximate_data_size",
            report.approximate_data_bytes.to_string(),
        ),
        (
            "zk_open_file_descriptor_count",
            open_file_descriptors().to_string(),
        ),
    ];
    let mut lines = lines;
    if let Some(learners) = &report.learners {
        lines.extend([
            ("zk_learners", learners.learners.to_string()),
            ("zk_synced_followers", learners.synced_followers.to_string()),
            (
                "zk_synced_non_voting_followers",
                learners.synced_observers.to_string(),
            ),
            ("zk_synced_observers", learners.synced_observers.to_string()),
        ]);
    }
    if let Some(unsendable) = report.unsendable_quorum_messages {
        lines.push(("zk_quorum_unsendable_messages", unsendable.to_string()));
    }
    let mut text = String::new();
    for (key, value) in lines {
        let _ = writeln!(text, "{key}\t{value}");
    }
    text
}

/// Open file descriptors of this process, from /proc on Linux (0 where it is not available).
fn open_file_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |entries| entries.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruok_and_srvr_read_as_zookeeper_writes_them() {
        let mut report = ServerReport {
            last_zxid: 0x1_0000_0002,
            node_count: 5,
            mode: "standalone",
            ..ServerReport::default()
        };
        report.statistics.record_latency(2);
        report.statistics.record_latency(4);
        assert_eq!(
            answer(FourLetterWord::Ruok, &report).as_deref(),
            Some("imok")
        );
        let srvr = answer(FourLetterWord::Srvr, &report).expect("implemented");
        let lines: Vec<&str> = srvr.lines().collect();
        assert!(lines[0].starts_with("Zookeeper version: 3.8.0-zabkeeper-"));
        assert_eq!(lines[1], "Latency min/avg/max: 2/3.0000/4");
        assert_eq!(lines[6], "Zxid: 0x100000002");
        assert_eq!(lines[7], "Mode: standalone");
        assert_eq!(lines[8], "Node count: 5");
    }

    #[test]
    fn mntr_is_tab_separated() {
        let report = ServerReport {
            mode: "standalone",
            ..ServerReport::default()
        };
        let text = answer(FourLetterWord::Mntr, &report).expect("implemented");
        assert!(text.lines().all(|line| line.split('\t').count() == 2));
        assert!(text.contains("zk_server_state\tstandalone"));
        assert!(!text.contains("zk_learners"));
    }

    #[test]
    fn a_leaders_mntr_counts_its_learners() {
        let report = ServerReport {
            mode: "leader",
            learners: Some(LearnerCounts {
                learners: 3,
                synced_followers: 2,
                synced_observers: 1,
            }),
            ..ServerReport::default()
        };
        let text = answer(FourLetterWord::Mntr, &report).expect("implemented");
        assert!(text.contains("zk_server_state\tleader\n"));
        assert!(text.contains("zk_learners\t3\n"));
        assert!(text.contains("zk_synced_followers\t2\n"));
        assert!(text.contains("zk_synced_observers\t1\n"));
        assert!(!text.contains("zk_quorum_unsendable_messages"));
        let member = ServerReport {
            unsendable_quorum_messages: Some(2),
            ..report
        };
        let text = answer(FourLetterWord::Mntr, &member).expect("implemented");
        assert!(text.contains("zk_quorum_unsendable_messages\t2\n"));
        let summary = answer(FourLetterWord::Srvr, &member).expect("implemented");
        assert!(summary.contains("Mode: leader\n"));
    }
}
