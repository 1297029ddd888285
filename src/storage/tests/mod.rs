//! Tests of the storage layer: formats byte by byte, the writer and reader, torn and corrupt
//! logs, snapshots, recovery, purge, the threads that share the directories (loom and real),
//! and round-trip proptests.

mod directory_interleavings;
mod log_damage;
mod purge_alongside;
mod purging;
mod recovery;
mod round_trips;
mod snapshots;
mod txn_logs;

// The integration tests build their histories with the same script.
#[path = "../../../tests/storage_support/script.rs"]
mod script;

pub(super) use script::Script;

use crate::storage::{DiskWork, Storage, StorageOptions, VERSION_DIRECTORY};
use script::replica;
use std::path::{Path, PathBuf};
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::zab::{Proposal, StateMachine};

/// Small preallocation keeps test files small while still exercising the zero-filled tail.
pub(super) fn options() -> StorageOptions {
    StorageOptions {
        preallocation_bytes: 4096,
        ..StorageOptions::default()
    }
}

pub(super) fn version_directory(data_dir: &Path) -> PathBuf {
    data_dir.join(VERSION_DIRECTORY)
}

/// Appends `txns` and moves both epochs to the last one's epoch, as a core `Save` that logs
/// a new leader's txns does.
pub(super) fn save(storage: &mut Storage, txns: &[Prepared]) {
    let epoch = txns.last().map(|txn| txn.header.zxid.epoch());
    let proposals: Vec<_> = txns
        .iter()
        .map(|txn| Proposal {
            zxid: txn.header.zxid,
            payload: txn.clone(),
        })
        .collect();
    storage
        .persist(DiskWork {
            truncate_after: None,
            append: &proposals,
            accepted_epoch: epoch,
            current_epoch: epoch,
        })
        .unwrap();
}

/// The database the core builds by applying `txns` to an empty history.
pub(super) fn database_after(txns: &[Prepared]) -> Database {
    let replica = replica();
    let mut database = replica.initial();
    for txn in txns {
        replica.apply(
            &mut database,
            &Proposal {
                zxid: txn.header.zxid,
                payload: txn.clone(),
            },
        );
    }
    database
}
