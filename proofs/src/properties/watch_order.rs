//! A watcher sees the event before the data: a client that left a watch on a node never reads
//! the node changed from what its watching read saw before the watch's event has reached it.
//!
//! Source: ZooKeeper's ordering guarantee for watches (Programmer's Guide, "ZooKeeper
//! Watches": "a client will see a watch event for a znode it is watching before seeing the new
//! data that corresponds to that znode"), which holds because the server queues a watch's
//! notification on the client's connection when it applies the txn that fired it, ahead of
//! every reply it sends after. Checked on the server's read path: `request::Reader` answers
//! and leaves watches, `watch::WatchRegistry::applied` fires them, the driver orders them as
//! `src/server/core` does.

use crate::sessions::watcher::WatcherState;
use crate::sessions::SessionModelState;
use crate::system::NodeState;

pub const NAME: &str = "WatchBeforeData: a watcher sees the event before the changed node";

pub fn holds(state: &SessionModelState) -> bool {
    watchers(state).all(|watcher| !watcher.change_before_event)
}

/// Some watcher got its event and then read the node (the order exercised, not only vacuous).
pub fn event_then_data(state: &SessionModelState) -> bool {
    watchers(state).any(|watcher| watcher.read_after_event)
}

/// Some watcher whose connection closed got its watch's event through the server it
/// reconnected to (setWatches carried the watch across, not only vacuous).
pub fn event_after_reconnect(state: &SessionModelState) -> bool {
    watchers(state).any(|watcher| watcher.event_after_reconnect)
}

/// The states of the configuration's watchers.
fn watchers(state: &SessionModelState) -> impl Iterator<Item = &WatcherState> {
    state
        .actor_states
        .iter()
        .filter_map(|actor| match &**actor {
            NodeState::Client(client) => client.watcher(),
            NodeState::Server(..) | NodeState::Refused(_) => None,
        })
}
