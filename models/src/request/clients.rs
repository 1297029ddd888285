//! A server's side of its clients' connections: which are open, the requests each holds in its
//! session's order, and the watches each left with its reads.
//!
//! The server's driver keeps one of these and so does the model's driver for each model
//! server, and both decide through it what a client sees of its connection ending: a closed
//! connection takes its held requests and its watches with it, and a server that stops serving
//! (its peer left the leader, or the leader lost its quorum) closes every open connection, as
//! ZooKeeper does; the clients reconnect elsewhere with their sessions and carry their watches
//! over with setWatches.

use super::SessionOrder;
use crate::watch::WatchRegistry;
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::hash::Hash;

/// The open connections of one server, by connection key `C`, with what they hold (`R`: a
/// request waiting for its turn).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientConnections<C: Ord, R> {
    open: BTreeSet<C>,
    /// The order of each connection's requests: a read waits for its session's writes and
    /// syncs in flight.
    pub order: SessionOrder<C, R>,
    /// The watches each connection's reads left.
    pub watches: WatchRegistry<C>,
}

impl<C: Ord + Copy + Hash + Debug, R> Default for ClientConnections<C, R> {
    fn default() -> Self {
        ClientConnections::with_order(SessionOrder::new())
    }
}

impl<C: Ord + Copy + Hash + Debug, R> ClientConnections<C, R> {
    pub fn new() -> Self {
        Self::default()
    }

    /// No connection yet, with `order` as the order keeper (the model checker's carries its
    /// seeded bugs).
    pub fn with_order(order: SessionOrder<C, R>) -> Self {
        ClientConnections {
            open: BTreeSet::new(),
            order,
            watches: WatchRegistry::new(),
        }
    }

    /// The same keeper with no connection: a restarted server's, whose connections are gone.
    pub fn cleared(&self) -> Self {
        ClientConnections::with_order(self.order.cleared())
    }

    /// A connection opened.
    pub fn opened(&mut self, connection: C) {
        self.open.insert(connection);
    }

    /// A connection closed, from either end: its held requests are dropped (nobody would read
    /// their answers) and its watches with them (the client carries them to its next
    /// connection itself).
    pub fn closed(&mut self, connection: C) {
        self.open.remove(&connection);
        self.order.forget(connection);
        self.watches.remove_watcher(&connection);
    }

    /// The server stopped serving: every open connection closes, in key order, and the
    /// caller tells each client so. Writes of those connections still in flight are answered
    /// by nobody; their clients find out on the next server.
    pub fn stop_serving(&mut self) -> Vec<C> {
        // Nothing held for any connection afterwards is not an invariant: a connection the
        // server closed earlier may still deliver a request it sent before the close, which
        // waits in the session order until the connection's end is reported (`closed`).
        let closing: Vec<C> = self.open.iter().copied().collect();
        for connection in &closing {
            self.closed(*connection);
        }
        closing
    }

    pub fn is_open(&self, connection: C) -> bool {
        self.open.contains(&connection)
    }

    /// The open connections, in key order.
    pub fn open(&self) -> impl Iterator<Item = C> + '_ {
        self.open.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Passage;

    #[test]
    fn a_closed_connection_takes_its_held_requests_and_watches() {
        let mut clients: ClientConnections<u32, &str> = ClientConnections::new();
        clients.opened(1);
        clients.opened(2);
        assert_eq!(
            clients.order.arrive(1, Passage::ThroughLeader, "write"),
            Some("write")
        );
        assert_eq!(clients.order.arrive(1, Passage::Local, "read"), None);
        clients.watches.add_data_watch("/a", &1);
        clients.watches.add_data_watch("/a", &2);
        clients.closed(1);
        assert!(!clients.is_open(1));
        assert_eq!(clients.order.held(1), 0);
        assert_eq!(clients.order.connections(), 0);
        assert_eq!(clients.watches.watchers_of("/a"), BTreeSet::from([2]));
    }

    #[test]
    fn a_server_that_stops_serving_closes_every_open_connection() {
        let mut clients: ClientConnections<u32, &str> = ClientConnections::new();
        for connection in [3, 1, 2] {
            clients.opened(connection);
            clients.watches.add_child_watch("/", &connection);
        }
        clients.order.arrive(2, Passage::ThroughLeader, "write");
        clients.order.arrive(2, Passage::Local, "read");
        assert_eq!(clients.stop_serving(), vec![1, 2, 3]);
        assert_eq!(clients.open().count(), 0);
        assert_eq!(clients.watches.watch_count(), 0);
        assert_eq!(clients.order.held(2), 0);
        assert_eq!(clients.stop_serving(), Vec::<u32>::new());
    }

    #[test]
    fn a_cleared_keeper_keeps_its_order_keepers_seeded_bugs_and_nothing_else() {
        let mutations = crate::mutation::Mutations {
            reads_pass_writes: true,
            ..Default::default()
        };
        let mut clients: ClientConnections<u32, &str> =
            ClientConnections::with_order(SessionOrder::with_mutations(&mutations));
        clients.opened(1);
        clients.watches.add_data_watch("/a", &1);
        let cleared = clients.cleared();
        assert_eq!(cleared.open().count(), 0);
        assert_eq!(cleared.watches.watch_count(), 0);
        assert_eq!(
            cleared,
            ClientConnections::with_order(SessionOrder::with_mutations(&mutations))
        );
        assert_ne!(cleared, ClientConnections::new());
    }
}
