//! No acknowledged write is lost: a write a client saw committed at zxid z is at z in the
//! history of every leader established in a later epoch, and at z in every server's delivered
//! sequence that reaches z.
//!
//! Source: the guarantee ZooKeeper documents to clients ("once an update has been applied, it
//! will persist"), which `Zab.tla`'s `PrimaryIntegrity` and the Zab paper's Agreement imply
//! for committed txns.

use crate::history::History;
use crate::model::{delivered_from_first, disk_holds, servers};
use crate::system::Node;
use stateright::actor::ActorModelState;
use zabkeeper_models::zab::Proposal;

pub const NAME: &str = "AcknowledgedWrites: no write a client saw committed is lost";

pub fn holds(state: &ActorModelState<Node, History>) -> bool {
    state
        .history
        .acknowledged_writes
        .iter()
        .all(|(value, zxid)| {
            let proposal = Proposal {
                zxid: *zxid,
                payload: *value,
            };
            servers(state).all(|(_, server)| {
                let leader_keeps = match server.established_epoch() {
                    Some(epoch) if epoch > zxid.epoch() => disk_holds(&server.durable, &proposal),
                    _ => true,
                };
                let delivered = delivered_from_first(server);
                let delivered_keeps = delivered
                    .iter()
                    .find(|other| other.zxid == *zxid)
                    .is_none_or(|other| other.payload == *value);
                leader_keeps && delivered_keeps
            })
        })
}
