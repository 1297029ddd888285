//! Ephemerals die with their session: a server that applied a session's closeSession holds no
//! ephemeral node owned by that session, then or ever after.
//!
//! Source: ZooKeeper's documented guarantee that ephemeral nodes are removed when the session
//! that created them ends (Programmer's Guide, "Ephemeral Nodes"), and the bug it rules out,
//! ZOOKEEPER-1208: a create racing the session's close was applied after it and its node
//! outlived the session. Checked through the real `Preparer`, `SessionTable` and `DataTree`.

use crate::model::servers;
use crate::sessions::SessionModelState;
use std::collections::BTreeSet;
use zabkeeper_models::tree::Txn;

pub const NAME: &str = "EphemeralsDieWithSession: no ephemeral of a closed session survives";

pub fn holds(state: &SessionModelState) -> bool {
    servers(state).all(|(_, server)| {
        let closed: BTreeSet<_> = server
            .delivered()
            .iter()
            .filter(|proposal| matches!(proposal.payload.txn, Txn::CloseSession(_)))
            .map(|proposal| proposal.payload.header.client_id)
            .collect();
        closed
            .iter()
            .all(|session| server.applied.tree.ephemerals(*session).is_empty())
    })
}
