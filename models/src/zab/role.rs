//! The volatile part of a peer: which role it plays and the state of that role. A crash loses
//! all of it.

use super::confirmation::Confirmation;
use crate::election::{Election, Vote};
use crate::ids::{Epoch, ServerId, Zxid};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Electing a leader (FLE).
    Looking(Election),
    /// Following (or observing) an elected leader.
    Learning(Learner),
    /// Leading.
    Leading(Leadership),
}

/// Where a learner is in ZAB's phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LearnerPhase {
    /// FOLLOWERINFO sent, waiting for LEADERINFO.
    Discovery,
    /// ACKEPOCH sent, waiting for NEWLEADER.
    Synchronization,
    /// NEWLEADER acknowledged, waiting for UPTODATE. Proposals are logged and acked already.
    Synced,
    /// UPTODATE received: serving clients.
    Broadcast,
}

/// A follower or observer and its link to the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Learner {
    pub leader: ServerId,
    pub is_observer: bool,
    /// The vote that elected the leader, kept to answer LOOKING servers.
    pub vote: Vote,
    pub election_epoch: u64,
    pub phase: LearnerPhase,
    /// The epoch from LEADERINFO, once discovery is over.
    pub epoch: Option<Epoch>,
    /// Anything arrived from the leader since the last tick.
    pub heard_from_leader: bool,
    /// Ticks in a row the leader was silent (see [`crate::zab::Peer::silent_ticks_max`]).
    pub silent_ticks: u32,
}

/// Where a leader is in ZAB's phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LeaderPhase {
    /// Collecting FOLLOWERINFO from a quorum to choose the epoch, then ACKEPOCH from a quorum.
    Discovery,
    /// NEWLEADER sent; waiting for a quorum of acknowledgements.
    Synchronization,
    /// Established: proposing client writes.
    Broadcast,
}

/// The leader's view of one learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LinkPhase {
    /// FOLLOWERINFO received; LEADERINFO sent once the epoch is known.
    Connected,
    /// ACKEPOCH received with the learner's last zxid; NEWLEADER not sent yet (the epoch quorum
    /// is not complete).
    EpochAcked { last_zxid: Zxid },
    /// NEWLEADER sent: the learner now receives every proposal (or, for observers, INFORM).
    Syncing,
    /// NEWLEADER acknowledged.
    Synced,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LearnerLink {
    pub is_observer: bool,
    pub accepted_epoch: Epoch,
    pub phase: LinkPhase,
    /// A PING is out and not answered yet (bounds the pings in flight to one).
    pub ping_outstanding: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Leadership {
    pub vote: Vote,
    pub election_epoch: u64,
    pub phase: LeaderPhase,
    /// The epoch this leader leads, once a quorum's accepted epochs are known.
    pub epoch: Option<Epoch>,
    pub learners: BTreeMap<ServerId, LearnerLink>,
    /// Voters (this leader included) that acknowledged the new epoch.
    pub epoch_acks: BTreeSet<ServerId>,
    /// Voters (this leader included) that acknowledged NEWLEADER.
    pub new_leader_acks: BTreeSet<ServerId>,
    /// Proposals not committed yet, with the voters that logged them.
    pub outstanding: BTreeMap<Zxid, BTreeSet<ServerId>>,
    /// Servers heard from since the last tick.
    pub heard: BTreeSet<ServerId>,
    /// Ticks in a row in which no quorum was heard from.
    pub silent_ticks: u32,
    /// Rounds that confirm this leader still leads, for syncs and the lease.
    pub confirmation: Confirmation,
}

impl Leadership {
    /// The leadership `vote` wins in election round `election_epoch`: in discovery, with no
    /// epoch chosen, no learner connected, nothing heard and nothing outstanding.
    pub fn elected(vote: Vote, election_epoch: u64) -> Leadership {
        Leadership {
            vote,
            election_epoch,
            phase: LeaderPhase::Discovery,
            epoch: None,
            learners: BTreeMap::new(),
            epoch_acks: BTreeSet::new(),
            new_leader_acks: BTreeSet::new(),
            outstanding: BTreeMap::new(),
            heard: BTreeSet::new(),
            silent_ticks: 0,
            confirmation: Confirmation::default(),
        }
    }
}
