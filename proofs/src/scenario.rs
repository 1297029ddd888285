//! Focused configurations for the exhaustive checks and the mutant tests: small ensembles
//! whose disks may start in the aftermath of earlier epochs.

use crate::client::Value;
use crate::driver::DriverActions;
use crate::model::{ClientPlan, ZabConfig};
use crate::system::ValueDurable;

use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::zab::{DurableState, ElectionMode, FailureDetection, Proposal};
use zabkeeper_models::{Epoch, Zxid};

/// Three voters with the ZAB phases under an election oracle and no failure detector: what
/// every focused configuration starts from.
pub fn three_voters(clients: Vec<ClientPlan>) -> ZabConfig {
    ZabConfig {
        voters: 3,
        observers: 0,
        clients,
        max_crashes: 0,
        max_restarts: 0,
        lossy: false,
        loss_at_delivery: false,
        max_epoch: 2,
        max_election_epoch: 2,
        max_in_flight: 14,
        diff_window: None,
        failure_detection: None,
        election_mode: ElectionMode::Oracle,
        initial_disks: Vec::new(),
        driver: DriverActions::default(),
        mutations: Mutations::NONE,
    }
}

/// A client of server `server` writing `writes`, then reading if `read_after_writes`.
pub fn client(server: usize, writes: &[Value], read_after_writes: bool) -> ClientPlan {
    ClientPlan {
        server,
        writes: writes.to_vec(),
        read_after_writes,
        read_server: None,
        sync_before_read: false,
        reconnect_before_read: false,
        pipelined: false,
    }
}

/// A client that writes `writes` through `server`, then reads through `read_server` after a
/// `sync` there (a session that moved, or a second client that starts once the writes
/// returned).
pub fn synced_reader(server: usize, writes: &[Value], read_server: usize) -> ClientPlan {
    ClientPlan {
        read_server: Some(read_server),
        sync_before_read: true,
        ..client(server, writes, true)
    }
}

/// A client that writes `writes` through `server`, then moves its session to `read_server`
/// (connecting with the zxid of its last acknowledged write) and reads there if let in.
pub fn moving_reader(server: usize, writes: &[Value], read_server: usize) -> ClientPlan {
    ClientPlan {
        read_server: Some(read_server),
        reconnect_before_read: true,
        ..client(server, writes, true)
    }
}

/// A client that sends a write of `value` through `server` and, without waiting, a read there.
pub fn pipelining_client(server: usize, value: Value) -> ClientPlan {
    ClientPlan {
        pipelined: true,
        ..client(server, &[value], true)
    }
}

/// A disk after epoch 1 ended: epoch 1 accepted and current, holding `values` as epoch-1 txns
/// 1, 2, ... (committed or not: the disk does not say).
pub fn epoch_one_disk(values: &[Value]) -> ValueDurable {
    DurableState {
        accepted_epoch: Epoch(1),
        current_epoch: Epoch(1),
        snapshot: None,
        history: values
            .iter()
            .enumerate()
            .map(|(index, value)| Proposal {
                zxid: Zxid::new(Epoch(1), index as u32 + 1),
                payload: *value,
            })
            .collect::<Vec<_>>()
            .into(),
        // The model's first start counts as incarnation 1, restarts after it.
        incarnation: 0,
    }
}

/// Epoch 1 ended with server 0 holding txns no one else has (`leftover`); the ensemble
/// carries on with one crash and restart and a failure detector that may give up at any tick.
/// This is the aftermath in which the historic synchronisation bugs bite.
pub fn after_epoch_one(leftover: &[Value], clients: Vec<ClientPlan>) -> ZabConfig {
    ZabConfig {
        max_crashes: 1,
        max_restarts: 1,
        max_epoch: 3,
        max_election_epoch: 3,
        failure_detection: Some(FailureDetection::Oracle),
        initial_disks: vec![
            Some(epoch_one_disk(leftover)),
            Some(epoch_one_disk(&[])),
            Some(epoch_one_disk(&[])),
        ],
        ..three_voters(clients)
    }
}

/// Five voters, one client of server 0 writing once (so servers 1 to 4 are interchangeable),
/// one crash and restart: the `five-voters` deep check, and what the reduction tests check the
/// reductions on.
pub fn five_voters_one_restart() -> ZabConfig {
    ZabConfig {
        voters: 5,
        max_crashes: 1,
        max_restarts: 1,
        max_in_flight: 24,
        ..three_voters(vec![client(0, &[1], false)])
    }
}
