//! What the checker remembers besides the actors' states (TLA+'s auxiliary variables): client
//! invocations and returns, and the leaders that announced UPTODATE per epoch. Recorded from
//! messages as they leave and arrive. Only what a property must remember goes here: every
//! field splits states that are otherwise equal, so the witnesses that a kind of
//! synchronisation happened read the NEWLEADER in flight instead (see
//! `properties::reachability`).

use crate::client::Value;
use crate::model::ZabConfig;
use crate::register::{RegisterOperation, RegisterReturn, VersionedRegister};
use crate::system::ValueMessage;
use stateright::actor::{Envelope, Id};
use stateright::semantics::{
    ConsistencyTester, LinearizabilityTester, SequentialConsistencyTester,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use zabkeeper_models::zab::PeerMessage;
use zabkeeper_models::{Epoch, Zxid};

/// The checker clones the history with every state it builds, so the testers, which only grow,
/// are shared until a step records into them.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct History {
    /// Writes a client saw acknowledged, with the zxid they committed at.
    pub acknowledged_writes: BTreeMap<Value, Zxid>,
    /// Client writes only: must be linearizable (ZooKeeper's write guarantee).
    pub writes: Arc<LinearizabilityTester<Id, VersionedRegister>>,
    /// Client writes and reads: must be sequentially consistent (ZooKeeper's read guarantee).
    pub operations: Arc<SequentialConsistencyTester<Id, VersionedRegister>>,
    /// Client writes and `sync` + reads, each read from its `sync` leaving to its result
    /// arriving: must be linearizable. Kept only by configurations with synced reads.
    pub synced: Arc<LinearizabilityTester<Id, VersionedRegister>>,
    /// The servers that sent UPTODATE as leader of each epoch.
    pub leaders_by_epoch: BTreeMap<Epoch, BTreeSet<Id>>,
}

impl Default for History {
    fn default() -> Self {
        History {
            acknowledged_writes: BTreeMap::new(),
            writes: Arc::new(LinearizabilityTester::new(VersionedRegister::default())),
            operations: Arc::new(SequentialConsistencyTester::new(
                VersionedRegister::default(),
            )),
            synced: Arc::new(LinearizabilityTester::new(VersionedRegister::default())),
            leaders_by_epoch: BTreeMap::new(),
        }
    }
}

/// Whether client operations go to the consistency testers. Not when disks start with txns
/// of an earlier epoch: whether those were committed is for the run to decide, so the versions
/// clients see have no fixed origin to check against. Configurations with empty disks check
/// client histories.
fn tracks_client_histories(config: &ZabConfig) -> bool {
    config
        .initial_disks
        .iter()
        .flatten()
        .all(|disk| disk.history.is_empty())
}

/// Whether the client actor `client` pipelines its read behind its write.
fn pipelines(config: &ZabConfig, client: Id) -> bool {
    config
        .client_plan(client)
        .is_some_and(|plan| plan.pipelined)
}

pub fn record_out(
    config: &ZabConfig,
    history: &History,
    envelope: Envelope<&ValueMessage>,
) -> Option<History> {
    let recorded = matches!(
        envelope.msg,
        PeerMessage::ClientWrite { .. }
            | PeerMessage::ClientSync
            | PeerMessage::ClientRead
            | PeerMessage::UpToDate { .. }
    );
    if !recorded {
        return None;
    }
    let mut next = history.clone();
    match envelope.msg {
        PeerMessage::ClientWrite { .. } | PeerMessage::ClientRead | PeerMessage::ClientSync
            if !tracks_client_histories(config) =>
        {
            return None;
        }
        PeerMessage::ClientWrite { request } => {
            let operation = RegisterOperation::Write(*request);
            let _ = Arc::make_mut(&mut next.writes).on_invoke(envelope.src, operation.clone());
            if config.has_synced_reads() {
                let _ = Arc::make_mut(&mut next.synced).on_invoke(envelope.src, operation.clone());
            }
            let _ = Arc::make_mut(&mut next.operations).on_invoke(envelope.src, operation);
        }
        PeerMessage::ClientSync => {
            // The synced read starts when its sync leaves: anything acknowledged before that
            // must be in what it reads.
            let _ =
                Arc::make_mut(&mut next.synced).on_invoke(envelope.src, RegisterOperation::Read);
        }
        PeerMessage::ClientRead if pipelines(config, envelope.src) => {
            // Invoked when its write returns (see `record_in`).
            return None;
        }
        PeerMessage::ClientRead => {
            let _ = Arc::make_mut(&mut next.operations)
                .on_invoke(envelope.src, RegisterOperation::Read);
        }
        PeerMessage::UpToDate { epoch, .. } => {
            next.leaders_by_epoch
                .entry(*epoch)
                .or_default()
                .insert(envelope.src);
        }
        _ => return None,
    }
    Some(next)
}

pub fn record_in(
    config: &ZabConfig,
    history: &History,
    envelope: Envelope<&ValueMessage>,
) -> Option<History> {
    let recorded = matches!(
        envelope.msg,
        PeerMessage::WriteCommitted { .. } | PeerMessage::ReadResult { .. }
    );
    if !recorded {
        return None;
    }
    let mut next = history.clone();
    let tracks = tracks_client_histories(config);
    match envelope.msg {
        PeerMessage::WriteCommitted {
            zxid,
            position,
            payload,
        } => {
            next.acknowledged_writes.insert(*payload, *zxid);
            if tracks {
                let ret = RegisterReturn::WriteOk { version: *position };
                let _ = Arc::make_mut(&mut next.writes).on_return(envelope.dst, ret.clone());
                if config.has_synced_reads() {
                    let _ = Arc::make_mut(&mut next.synced).on_return(envelope.dst, ret.clone());
                }
                let operations = Arc::make_mut(&mut next.operations);
                let _ = operations.on_return(envelope.dst, ret);
                if pipelines(config, envelope.dst) {
                    // The pipelined read, sent with the write, comes next in the session's
                    // order. Sequential consistency looks at each client's order only, not at
                    // real time, so invoking it now (the testers take one operation in flight
                    // per client) checks exactly what the client may see.
                    let _ = operations.on_invoke(envelope.dst, RegisterOperation::Read);
                }
            }
        }
        PeerMessage::ReadResult { .. } if !tracks => return None,
        PeerMessage::ReadResult { last, position } => {
            let ret = RegisterReturn::ReadOk {
                value: last.as_ref().map(|proposal| proposal.payload),
                version: *position,
            };
            let synced_read = config
                .client_plan(envelope.dst)
                .is_some_and(|plan| plan.sync_before_read);
            if synced_read {
                let _ = Arc::make_mut(&mut next.synced).on_return(envelope.dst, ret.clone());
            }
            let _ = Arc::make_mut(&mut next.operations).on_return(envelope.dst, ret);
        }
        _ => return None,
    }
    Some(next)
}
