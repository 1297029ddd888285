//! Primary order: along every delivered sequence zxids strictly increase, so txns of one epoch
//! are delivered in the order their leader proposed them (LocalPrimaryOrder) and epochs never go
//! back (GlobalPrimaryOrder); and an established leader holds every txn of an earlier epoch that
//! any server delivered (PrimaryIntegrity).
//!
//! Source: `Zab.tla` invariants `LocalPrimaryOrder`, `GlobalPrimaryOrder` and
//! `PrimaryIntegrity`; the Zab paper's primary order properties (§III).

use crate::history::History;
use crate::model::{delivered_from_first, disk_holds, servers};
use crate::system::Node;
use stateright::actor::ActorModelState;

pub const NAME: &str = "PrimaryOrder: zxids increase and leaders hold earlier deliveries";

pub fn holds(state: &ActorModelState<Node, History>) -> bool {
    let ordered = servers(state).all(|(_, server)| {
        delivered_from_first(server)
            .windows(2)
            .all(|pair| pair[0].zxid < pair[1].zxid)
    });
    if !ordered {
        return false;
    }
    servers(state).all(|(_, leader)| {
        let Some(epoch) = leader.established_epoch() else {
            return true;
        };
        servers(state).all(|(_, other)| {
            delivered_from_first(other)
                .iter()
                .filter(|proposal| proposal.zxid.epoch() < epoch)
                .all(|proposal| disk_holds(&leader.durable, proposal))
        })
    })
}
