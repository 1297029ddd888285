//! What a traced server made durable, and the check that a restart recovers it.
//!
//! The trace follows the disk in the models' own terms: a durable state whose txns are
//! replaced by hashes and whose snapshot keeps only its zxid ([`HashedDurable`]). Before each
//! persist the server records the plan it is about to perform ([`PersistPlan`] over hashes),
//! and once it is durable a [`DurableDigest`] of the result. At the next start, what recovery
//! found must be what the last completed persist left or, when the server died during a
//! persist, what a prefix of that persist's steps left ([`PersistPlan::durable_after_steps`]).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use zabkeeper_models::replica::{Database, Replica};
use zabkeeper_models::request::Prepared;
use zabkeeper_models::zab::{DiskStep, Durable, DurableState, PersistPlan, Proposal, Snapshot};
use zabkeeper_models::Zxid;

/// A txn as the trace knows it: a 64-bit FNV-1a hash of what its `Hash` implementation
/// writes (the zxid is kept beside it). That is in the machine's byte order: a trace is
/// replayed on the kind of machine that wrote it.
pub type TxnHash = u64;

/// A durable state as the trace knows it.
pub type HashedDurable = DurableState<TxnHash, ()>;

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(FNV_PRIME)
    })
}

/// FNV-1a as a [`Hasher`]: the same hash in every process, unlike std's randomly keyed
/// one, and cheap enough to run on every txn a traced server logs.
struct Fnv1aHasher(u64);

impl Hasher for Fnv1aHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv1a(self.0, bytes);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The hash of one txn.
pub fn txn_hash(txn: &Prepared) -> TxnHash {
    let mut hasher = Fnv1aHasher(FNV_OFFSET_BASIS);
    txn.hash(&mut hasher);
    hasher.finish()
}

/// `durable` as the trace knows it.
pub fn hashed(durable: &Durable<Replica>) -> HashedDurable {
    DurableState {
        accepted_epoch: durable.accepted_epoch,
        current_epoch: durable.current_epoch,
        snapshot: durable.snapshot.as_ref().map(|snapshot| {
            Arc::new(Snapshot {
                zxid: snapshot.zxid,
                txn_count: snapshot.txn_count,
                applied: (),
            })
        }),
        history: Arc::new(
            durable
                .history
                .iter()
                .map(|proposal| Proposal {
                    zxid: proposal.zxid,
                    payload: txn_hash(&proposal.payload),
                })
                .collect(),
        ),
        incarnation: durable.incarnation,
    }
}

/// `plan` as the trace records it.
pub fn hashed_plan(plan: &PersistPlan<Prepared, Database>) -> PersistPlan<TxnHash, ()> {
    plan.map(txn_hash, |_database| ())
}

/// Records a compaction of the history into a snapshot at `zxid` (covering `txn_count` txns).
/// It asks nothing of the disk: the log keeps the txns the snapshot covers until autopurge,
/// so a restart recovers either from the new snapshot or from an older one and the log.
pub fn compact(disk: &mut HashedDurable, zxid: Zxid, txn_count: u64) {
    disk.snapshot = Some(Arc::new(Snapshot {
        zxid,
        txn_count,
        applied: (),
    }));
    Arc::make_mut(&mut disk.history).retain(|proposal| proposal.zxid > zxid);
}

/// A durable state in one trace line: what the server made durable at a persist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurableDigest {
    pub accepted_epoch: u32,
    pub current_epoch: u32,
    /// The snapshot's zxid, zero without one.
    pub snapshot_zxid: u64,
    pub last_zxid: u64,
    /// How many txns are logged after the snapshot.
    pub logged_txns: usize,
    /// FNV-1a over the zxid and hash of every txn logged after the snapshot, in order.
    pub log_hash: u64,
}

impl DurableDigest {
    pub fn of(disk: &HashedDurable) -> DurableDigest {
        DurableDigest {
            accepted_epoch: disk.accepted_epoch.0,
            current_epoch: disk.current_epoch.0,
            snapshot_zxid: disk.base_zxid().0,
            last_zxid: disk.last_zxid().0,
            logged_txns: disk.history.len(),
            log_hash: disk
                .history
                .iter()
                .fold(FNV_OFFSET_BASIS, |hash, proposal| {
                    let hash = fnv1a(hash, &proposal.zxid.0.to_le_bytes());
                    fnv1a(hash, &proposal.payload.to_le_bytes())
                }),
        }
    }
}

impl fmt::Display for DurableDigest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "acceptedEpoch {}, currentEpoch {}, snapshot 0x{:x}, {} txns logged after it up to 0x{:x} (log hash {:016x})",
            self.accepted_epoch,
            self.current_epoch,
            self.snapshot_zxid,
            self.logged_txns,
            self.last_zxid,
            self.log_hash
        )
    }
}

/// Whether a restart that recovered `recovered` recovered `made_durable`. A snapshot on one
/// side may cover txns the other side still logs (a snapshot written in the background did
/// not land before a crash; a standalone server folds its log into its snapshot at start):
/// then the side with the older snapshot must log the newer snapshot's zxid, and the txns
/// after it must be the same. The epochs and the last zxid must match exactly.
pub fn same_disk(recovered: &HashedDurable, made_durable: &HashedDurable) -> bool {
    if recovered.accepted_epoch != made_durable.accepted_epoch
        || recovered.current_epoch != made_durable.current_epoch
        || recovered.last_zxid() != made_durable.last_zxid()
    {
        return false;
    }
    let base = recovered.base_zxid().max(made_durable.base_zxid());
    match (
        logged_after(recovered, base),
        logged_after(made_durable, base),
    ) {
        (Some(recovered), Some(made_durable)) => recovered == made_durable,
        _ => false,
    }
}

/// The txns `disk` logs after `base`, which is its snapshot's zxid or one it logs.
fn logged_after(disk: &HashedDurable, base: Zxid) -> Option<&[Proposal<TxnHash>]> {
    if disk.base_zxid() == base {
        return Some(&disk.history);
    }
    disk.position(base)
        .map(|position| &disk.history[position + 1..])
}

/// The disk of one traced server across its runs.
#[derive(Clone, Debug)]
pub struct DiskRecord {
    /// What the last completed persist left.
    pub made_durable: HashedDurable,
    /// A persist the server started and did not record as completed: a crash may have
    /// stopped it after any of its steps.
    pub in_flight: Option<PersistPlan<TxnHash, ()>>,
}

impl DiskRecord {
    pub fn new(recovered: HashedDurable) -> DiskRecord {
        DiskRecord {
            made_durable: recovered,
            in_flight: None,
        }
    }

    /// A persist starts.
    pub fn persisting(&mut self, plan: PersistPlan<TxnHash, ()>) -> Result<(), String> {
        if self.in_flight.is_some() {
            return Err("a persist started before the one before it completed".to_string());
        }
        plan.durable_after(&self.made_durable).map_err(|error| {
            format!("the persist cannot apply to what the server had made durable: {error}")
        })?;
        self.in_flight = Some(plan);
        Ok(())
    }

    /// A persist completed, and the server recorded `digest` as what it made durable.
    pub fn persisted(&mut self, digest: &DurableDigest) -> Result<(), String> {
        if let Some(plan) = self.in_flight.take() {
            self.made_durable = plan
                .durable_after(&self.made_durable)
                .map_err(|error| format!("the persist cannot complete: {error}"))?;
        }
        let computed = DurableDigest::of(&self.made_durable);
        if computed != *digest {
            return Err(format!(
                "the server recorded it made durable\n  {digest}\nwhere its persists add up to\n  {computed}"
            ));
        }
        Ok(())
    }

    /// A restart recovered `recovered`: it must be what the server had made durable, or
    /// what the persist in flight when it stopped left when cut short.
    pub fn restarted(&self, recovered: &HashedDurable) -> Result<(), String> {
        let candidates = match &self.in_flight {
            Some(plan) => plan
                .crash_states(&self.made_durable)
                .map_err(|error| format!("the persist in flight cannot apply: {error}"))?,
            None => vec![self.made_durable.clone()],
        };
        if candidates
            .iter()
            .any(|candidate| same_disk(recovered, candidate))
        {
            return Ok(());
        }
        let mut failure = format!(
            "the server restarted from\n  {}\nbut before it stopped it had made durable\n  {}",
            DurableDigest::of(recovered),
            DurableDigest::of(&self.made_durable)
        );
        if let Some(last) = candidates.last().filter(|_| self.in_flight.is_some()) {
            failure.push_str(&format!(
                "\nor part of the persist it had started, up to\n  {}",
                DurableDigest::of(last)
            ));
        }
        Err(failure)
    }

    /// The server compacted its history into a snapshot at `zxid`.
    pub fn compacted(&mut self, zxid: Zxid, txn_count: u64) -> Result<(), String> {
        if self.in_flight.is_some() {
            return Err("a compaction while a persist was in flight".to_string());
        }
        if zxid != self.made_durable.base_zxid() && !self.made_durable.contains(zxid) {
            return Err(format!(
                "a compaction into a snapshot at {zxid}, which the disk does not hold"
            ));
        }
        compact(&mut self.made_durable, zxid, txn_count);
        Ok(())
    }

    /// Checks that the disk holds what the model's peer saved: the same epochs, snapshot and
    /// logged zxids (the txns' contents are checked as they are appended).
    pub fn matches_model(&self, model: &Durable<Replica>) -> Result<(), String> {
        let disk = &self.made_durable;
        let same = disk.accepted_epoch == model.accepted_epoch
            && disk.current_epoch == model.current_epoch
            && disk.base_zxid() == model.base_zxid()
            && disk
                .history
                .iter()
                .map(|proposal| proposal.zxid)
                .eq(model.history.iter().map(|proposal| proposal.zxid));
        if same {
            return Ok(());
        }
        Err(format!(
            "the server made durable\n  {}\nwhere the model saved\n  {}",
            DurableDigest::of(disk),
            DurableDigest::of(&hashed(model))
        ))
    }
}

/// Checks that every txn `plan` appends is the model's txn at that zxid.
pub fn appends_match_model(
    plan: &PersistPlan<TxnHash, ()>,
    model: &Durable<Replica>,
) -> Result<(), String> {
    for step in &plan.steps {
        let DiskStep::AppendAndSync(proposals) = step else {
            continue;
        };
        for proposal in proposals {
            let modelled = model
                .position(proposal.zxid)
                .map(|position| txn_hash(&model.history[position].payload));
            if modelled != Some(proposal.payload) {
                return Err(format!(
                    "the server appends a txn at {} that is not the one the model saved there",
                    proposal.zxid
                ));
            }
        }
    }
    Ok(())
}
