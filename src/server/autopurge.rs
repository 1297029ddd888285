//! Autopurge (ZooKeeper's `DatadirCleanupManager`): every `autopurge.purgeInterval` hours,
//! starting at once, keep the newest `autopurge.snapRetainCount` snapshots and the logs they
//! need, and delete the older rest.
//!
//! The purge runs on a blocking thread while the core goes on appending, snapshotting and
//! truncating: it holds the storage's [`DirectoryGuard`] so that it never deletes on the
//! strength of a listing a truncation made stale.

use crate::storage::{purge, DirectoryGuard};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What autopurge works on, and how often.
#[derive(Clone, Debug)]
pub struct AutopurgeConfig {
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    pub snapshots_retained: usize,
    pub interval: Duration,
    /// The guard of the `Storage` open on these directories ([`crate::storage::Storage::directory_guard`]).
    pub directory_guard: Arc<DirectoryGuard>,
}

/// Purges on a fixed period until the task is dropped. A failed purge is logged and retried at
/// the next period: it loses nothing, it only leaves files behind.
pub async fn run(config: AutopurgeConfig) {
    let mut period = tokio::time::interval(config.interval);
    loop {
        period.tick().await;
        let (data_dir, data_log_dir) = (config.data_dir.clone(), config.data_log_dir.clone());
        let retained = config.snapshots_retained;
        let guard = Arc::clone(&config.directory_guard);
        let purged =
            tokio::task::spawn_blocking(move || purge(&data_dir, &data_log_dir, retained, &guard))
                .await;
        match purged {
            Ok(Ok(report)) => tracing::info!(
                removed = report.removed.len(),
                retained = report.retained_snapshots.len(),
                "autopurge"
            ),
            Ok(Err(error)) => tracing::error!(%error, "autopurge failed"),
            Err(error) => tracing::error!(%error, "autopurge's task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Storage, StorageOptions, VERSION_DIRECTORY};
    use zabkeeper_models::zab::Snapshot;
    use zabkeeper_models::{Epoch, Zxid};

    fn snapshot_names(directory: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(directory.join(VERSION_DIRECTORY))
            .expect("lists version-2")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.starts_with("snapshot."))
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn purges_at_once_then_every_interval_keeping_the_newest_snapshots() {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let (mut storage, recovered) = Storage::open(
            directory.path(),
            directory.path(),
            StorageOptions::default(),
        )
        .expect("opens");
        for counter in 1..=5 {
            storage
                .start_snapshot(Arc::new(Snapshot {
                    zxid: Zxid::new(Epoch(1), counter),
                    txn_count: u64::from(counter),
                    applied: recovered.database.clone(),
                }))
                .expect("starts a snapshot");
            storage.finish_snapshot();
        }
        assert_eq!(
            snapshot_names(directory.path()).len(),
            6,
            "snapshot.0 and five more"
        );
        let purging = tokio::spawn(run(AutopurgeConfig {
            data_dir: directory.path().to_path_buf(),
            data_log_dir: directory.path().to_path_buf(),
            snapshots_retained: 3,
            interval: Duration::from_secs(3600),
            directory_guard: storage.directory_guard(),
        }));
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while snapshot_names(directory.path()).len() != 3 {
            assert!(
                std::time::Instant::now() < deadline,
                "the first purge runs at once"
            );
            tokio::task::yield_now().await;
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            snapshot_names(directory.path()),
            [
                "snapshot.100000003",
                "snapshot.100000004",
                "snapshot.100000005"
            ]
        );
        purging.abort();
    }
}
