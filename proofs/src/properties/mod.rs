//! The properties every ZAB model configuration is checked against, one per file, each citing
//! the invariant it enforces.

pub mod acknowledged_writes;
pub mod applied_state;
pub mod apply_sink;
pub mod client_histories;
pub mod ephemerals;
pub mod integrity;
pub mod leadership;
pub mod prefix_consistency;
pub mod primary_order;
pub mod reachability;
pub mod session_owner;
pub mod watch_order;

use crate::cluster::Cluster;
use crate::history::History;
use crate::model::ZabConfig;
use crate::system::Node;
use stateright::Expectation::{Always, Sometimes};

pub type ZabModel = Cluster<Node, ZabConfig, History>;

/// The names of the safety (`Always`) properties, for the mutant tests.
pub const SAFETY: &[&str] = &[
    leadership::NAME,
    prefix_consistency::NAME,
    integrity::NAME,
    primary_order::NAME,
    acknowledged_writes::NAME,
    client_histories::LINEARIZABLE_WRITES,
    client_histories::SEQUENTIAL_READS,
    client_histories::SYNCED_READS_LINEARIZABLE,
    apply_sink::NAME,
];

pub fn attach(model: ZabModel) -> ZabModel {
    model
        .property(Always, leadership::NAME, |_, state| {
            leadership::holds(state)
        })
        .property(Always, prefix_consistency::NAME, |_, state| {
            prefix_consistency::holds(state)
        })
        .property(Always, integrity::NAME, |model, state| {
            integrity::holds(&model.cfg, state)
        })
        .property(Always, primary_order::NAME, |_, state| {
            primary_order::holds(state)
        })
        .property(Always, acknowledged_writes::NAME, |_, state| {
            acknowledged_writes::holds(state)
        })
        .property(Always, client_histories::LINEARIZABLE_WRITES, |_, state| {
            client_histories::writes_linearizable(state)
        })
        .property(Always, client_histories::SEQUENTIAL_READS, |_, state| {
            client_histories::operations_sequential(state)
        })
        .property(
            Always,
            client_histories::SYNCED_READS_LINEARIZABLE,
            |_, state| client_histories::synced_reads_linearizable(state),
        )
        .property(Always, apply_sink::NAME, |_, state| {
            apply_sink::holds(state)
        })
        .property(Sometimes, reachability::SYNCED_READ_ANSWERED, |_, state| {
            reachability::synced_read_answered(state)
        })
        .property(Sometimes, reachability::LEADER_ESTABLISHED, |_, state| {
            reachability::leader_established(state)
        })
        .property(Sometimes, reachability::WRITE_COMMITTED, |_, state| {
            reachability::write_committed(state)
        })
        .property(
            Sometimes,
            reachability::FAILOVER_KEEPS_WRITES,
            |_, state| reachability::failover_keeps_writes(state),
        )
        .property(Sometimes, reachability::SYNCED_BY_DIFF, |_, state| {
            reachability::synced_by_diff(state)
        })
        .property(Sometimes, reachability::SYNCED_BY_TRUNC, |_, state| {
            reachability::synced_by_trunc(state)
        })
        .property(Sometimes, reachability::SYNCED_BY_SNAP, |_, state| {
            reachability::synced_by_snap(state)
        })
        .property(Sometimes, reachability::CRASHED_MID_PERSIST, |_, state| {
            reachability::crashed_mid_persist(state)
        })
        .property(Sometimes, reachability::REFUSED_TO_START, |_, state| {
            reachability::refused_to_start(state)
        })
        .property(Sometimes, reachability::RECONNECT_REFUSED, |_, state| {
            reachability::reconnect_refused(state)
        })
        .property(Sometimes, reachability::MOVED_READ_ANSWERED, |_, state| {
            reachability::moved_read_answered(state)
        })
}
