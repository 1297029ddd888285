//! A session's requests take effect in the order the client sent them (ZooKeeper's
//! `CommitProcessor`). A read is answered by the server the client is connected to, at once,
//! but a write (or a sync) goes to the leader and comes back later: a read sent after it must
//! wait until it is back, or the client would read a state older than its own write. Once one
//! request of a connection waits, every later one waits behind it, writes included, so that a
//! held read never sees the effect of a write sent after it.

use crate::mutation::Mutations;
use crate::tree::op_code;
use std::collections::{BTreeMap, VecDeque};

/// Whether a request goes round the leader before it is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Passage {
    /// Answered here from the applied state: reads, pings, watch and auth requests.
    Local,
    /// Answered when it comes back from the leader: writes and syncs.
    ThroughLeader,
}

impl Passage {
    /// How a client request with ZooKeeper op code `op` passes (`crate::tree::op_code`), as
    /// ZooKeeper's `CommitProcessor.needCommit` decides: the requests that become txns (create
    /// in its four kinds, delete, setData, setACL, check, multi, reconfig, createSession,
    /// closeSession) and sync go round the leader; everything else (reads and multiRead,
    /// pings, auth, watch requests, whoAmI) is answered here. A multi holding read ops
    /// (`multi_holds_reads`) is not a write: the server answers it here with an error.
    pub fn of_request(op: i32, multi_holds_reads: bool) -> Passage {
        match op {
            op_code::CREATE
            | op_code::CREATE2
            | op_code::CREATE_CONTAINER
            | op_code::CREATE_TTL
            | op_code::DELETE
            | op_code::DELETE_CONTAINER
            | op_code::SET_DATA
            | op_code::SET_ACL
            | op_code::CHECK
            | op_code::RECONFIG
            | op_code::CREATE_SESSION
            | op_code::CLOSE_SESSION
            | op_code::SYNC => Passage::ThroughLeader,
            op_code::MULTI if !multi_holds_reads => Passage::ThroughLeader,
            _ => Passage::Local,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Queue<R> {
    in_flight: usize,
    held: VecDeque<(Passage, R)>,
}

/// The order keeper of every connection of a server, by connection key `K`. Only connections
/// with a request in flight or held have a queue.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionOrder<K, R> {
    queues: BTreeMap<K, Queue<R>>,
    /// Seeded bug (`Mutations::reads_pass_writes`): a read runs at once even behind the
    /// session's write in flight.
    reads_pass_writes: bool,
}

impl<K: Ord + Copy, R> Default for SessionOrder<K, R> {
    fn default() -> Self {
        SessionOrder {
            queues: BTreeMap::new(),
            reads_pass_writes: false,
        }
    }
}

impl<K: Ord + Copy, R> SessionOrder<K, R> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The model checker's session order, with the seeded bugs of `mutations`.
    pub fn with_mutations(mutations: &Mutations) -> Self {
        SessionOrder {
            reads_pass_writes: mutations.reads_pass_writes,
            ..Self::default()
        }
    }

    /// The same order keeper with no connection (a restarted server's: its connections are
    /// gone).
    pub fn cleared(&self) -> Self {
        SessionOrder {
            queues: BTreeMap::new(),
            reads_pass_writes: self.reads_pass_writes,
        }
    }

    /// A request arrives: `Some` when it may run now (a `ThroughLeader` one is then counted
    /// in flight), `None` when it is held until earlier ones come back.
    pub fn arrive(&mut self, key: K, passage: Passage, request: R) -> Option<R> {
        let queue = self.queues.get(&key);
        let must_wait = queue.is_some_and(|queue| {
            !queue.held.is_empty()
                || (passage == Passage::Local && queue.in_flight > 0 && !self.reads_pass_writes)
        });
        if must_wait {
            let queue = self
                .queues
                .get_mut(&key)
                .expect("a waiting connection's queue");
            queue.held.push_back((passage, request));
            return None;
        }
        if passage == Passage::ThroughLeader {
            self.queues
                .entry(key)
                .or_insert_with(|| Queue {
                    in_flight: 0,
                    held: VecDeque::new(),
                })
                .in_flight += 1;
        }
        Some(request)
    }

    /// A request that went through the leader came back: the held requests that may run now,
    /// in arrival order. A `ThroughLeader` one among them is counted in flight again, and
    /// what follows it stays held.
    pub fn returned(&mut self, key: K) -> Vec<R> {
        let Some(queue) = self.queues.get_mut(&key) else {
            return Vec::new();
        };
        assert!(
            queue.in_flight > 0,
            "a request returned that was never in flight"
        );
        queue.in_flight -= 1;
        let mut released = Vec::new();
        while queue.in_flight == 0 {
            let Some((passage, request)) = queue.held.pop_front() else {
                break;
            };
            if passage == Passage::ThroughLeader {
                queue.in_flight += 1;
            }
            released.push(request);
        }
        if queue.in_flight == 0 && queue.held.is_empty() {
            self.queues.remove(&key);
        }
        released
    }

    /// The connection is gone: whatever it had held is dropped.
    pub fn forget(&mut self, key: K) {
        self.queues.remove(&key);
    }

    /// Connections with a request in flight or held.
    pub fn connections(&self) -> usize {
        self.queues.len()
    }

    /// Requests held for `key`.
    pub fn held(&self, key: K) -> usize {
        self.queues.get(&key).map_or(0, |queue| queue.held.len())
    }
}

#[cfg(test)]
mod tests {
    use super::Passage::{Local, ThroughLeader};
    use super::*;

    #[test]
    fn the_ops_that_become_txns_and_sync_go_round_the_leader() {
        let through_leader = [
            op_code::CREATE,
            op_code::DELETE,
            op_code::SET_DATA,
            op_code::SET_ACL,
            op_code::SYNC,
            op_code::CHECK,
            op_code::MULTI,
            op_code::CREATE2,
            op_code::RECONFIG,
            op_code::CREATE_CONTAINER,
            op_code::DELETE_CONTAINER,
            op_code::CREATE_TTL,
            op_code::CREATE_SESSION,
            op_code::CLOSE_SESSION,
        ];
        let local = [
            op_code::EXISTS,
            op_code::GET_DATA,
            op_code::GET_ACL,
            op_code::GET_CHILDREN,
            op_code::PING,
            op_code::GET_CHILDREN2,
            op_code::CHECK_WATCHES,
            op_code::REMOVE_WATCHES,
            op_code::MULTI_READ,
            op_code::AUTH,
            op_code::SET_WATCHES,
            op_code::SASL,
            op_code::GET_EPHEMERALS,
            op_code::GET_ALL_CHILDREN_NUMBER,
            op_code::SET_WATCHES2,
            op_code::ADD_WATCH,
            op_code::WHO_AM_I,
        ];
        for op in through_leader {
            assert_eq!(Passage::of_request(op, false), ThroughLeader, "op {op}");
        }
        for op in local {
            assert_eq!(Passage::of_request(op, false), Local, "op {op}");
        }
        // A multi holding reads is refused where it arrives.
        assert_eq!(Passage::of_request(op_code::MULTI, true), Local);
        assert_eq!(Passage::of_request(op_code::CREATE, true), ThroughLeader);
    }

    #[test]
    fn reads_run_at_once_until_a_write_is_in_flight() {
        let mut order = SessionOrder::new();
        assert_eq!(order.arrive(1, Local, "read a"), Some("read a"));
        assert_eq!(order.arrive(1, ThroughLeader, "write b"), Some("write b"));
        assert_eq!(order.arrive(1, Local, "read c"), None);
        // Another connection is not held up.
        assert_eq!(order.arrive(2, Local, "read x"), Some("read x"));
        assert_eq!(order.returned(1), vec!["read c"]);
        assert_eq!(order.held(1), 0);
        // Nothing in flight or held: no queue is left behind.
        assert_eq!(order.connections(), 0);
    }

    #[test]
    fn a_write_behind_a_held_read_waits_and_holds_what_follows_it() {
        let mut order = SessionOrder::new();
        assert_eq!(order.arrive(1, ThroughLeader, "w1"), Some("w1"));
        assert_eq!(order.arrive(1, Local, "r1"), None);
        assert_eq!(order.arrive(1, ThroughLeader, "w2"), None);
        assert_eq!(order.arrive(1, Local, "r2"), None);
        assert_eq!(order.returned(1), vec!["r1", "w2"]);
        assert_eq!(order.returned(1), vec!["r2"]);
        assert_eq!(order.arrive(1, Local, "r3"), Some("r3"));
    }

    #[test]
    fn a_write_released_with_nothing_behind_it_still_holds_the_next_read() {
        let mut order = SessionOrder::new();
        assert_eq!(order.arrive(1, ThroughLeader, "w1"), Some("w1"));
        assert_eq!(order.arrive(1, Local, "r1"), None);
        assert_eq!(order.arrive(1, ThroughLeader, "w2"), None);
        // w2 goes out with nothing held behind it: its connection's queue must stay.
        assert_eq!(order.returned(1), vec!["r1", "w2"]);
        assert_eq!(order.held(1), 0);
        assert_eq!(order.connections(), 1);
        assert_eq!(order.arrive(1, Local, "r2"), None, "w2 is still in flight");
        assert_eq!(order.held(1), 1);
        assert_eq!(order.returned(1), vec!["r2"]);
    }

    #[test]
    fn consecutive_writes_all_go_out_and_a_read_waits_for_the_last() {
        let mut order = SessionOrder::new();
        assert_eq!(order.arrive(1, ThroughLeader, "w1"), Some("w1"));
        assert_eq!(order.arrive(1, ThroughLeader, "w2"), Some("w2"));
        assert_eq!(order.arrive(1, Local, "r"), None);
        assert!(order.returned(1).is_empty());
        assert_eq!(order.returned(1), vec!["r"]);
    }

    #[test]
    fn a_forgotten_connection_releases_nothing() {
        let mut order = SessionOrder::new();
        order.arrive(1, ThroughLeader, "w");
        order.arrive(1, Local, "r");
        order.forget(1);
        assert!(order.returned(1).is_empty());
    }
}
