//! Votes and notifications of Fast Leader Election (FLE), as ZooKeeper's
//! `FastLeaderElection` exchanges them.

use crate::ids::{Epoch, ServerId, Zxid};
use serde::{Deserialize, Serialize};

/// A vote for a leader. The derived order is FLE's total order: a higher peer epoch wins, then a
/// higher zxid, then a higher server id. Field order matters: `Ord` compares fields top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Vote {
    /// The `currentEpoch` of the proposed leader: the epoch of the last history it accepted.
    pub peer_epoch: Epoch,
    /// The last zxid the proposed leader has logged.
    pub zxid: Zxid,
    /// The proposed leader.
    pub leader: ServerId,
}

/// What a server says it is doing, as carried in every notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ServerState {
    Looking,
    Following,
    Leading,
    Observing,
}

/// An FLE notification: sent by a LOOKING server to every other server whenever its proposal
/// changes, and sent back by a server that is not LOOKING (or is in a newer round) so that a
/// latecomer learns the established leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Notification {
    pub sender_state: ServerState,
    pub vote: Vote,
    /// The sender's election round (ZooKeeper's `logicalclock`); a higher round resets the
    /// receiver's tally.
    pub election_epoch: u64,
}
