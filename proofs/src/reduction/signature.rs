//! A server's signature: a hash of what the state says about one server that no permutation of
//! interchangeable servers changes. Every id in it is replaced by its relation to the server
//! (itself, a server no permutation moves, or a member of some class), and every collection
//! keyed by servers is hashed as a sorted multiset. So if a permutation `π` of the classes maps
//! state `s` to `t`, the signature of server `i` in `s` equals that of `π(i)` in `t`: sorting
//! each class by signature orders equivalent states' servers alike, up to ties.

use super::fx::{hash_of, FxHasher};
use super::Reduction;
use crate::driver::{DriverAction, NodeTimer};
use crate::history::History;
use crate::system::{Node, NodeState, ValueMessage, ValueRegister};
use stateright::actor::{ActorModelState, Id, Network};
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use zabkeeper_models::election::{Election, Vote};
use zabkeeper_models::zab::{Confirmation, PeerMessage, PeerState, Role, SyncWaiter};
use zabkeeper_models::{Epoch, ServerId, Zxid};

/// What another actor is to the server whose signature is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Relation {
    Itself,
    /// A client, the apply sink or a server no permutation moves: its id says it all.
    Fixed(usize),
    /// Some member of this class of interchangeable servers.
    Member(usize),
}

struct Erasure<'a> {
    me: usize,
    reduction: &'a Reduction,
}

impl Erasure<'_> {
    fn index(&self, index: usize) -> Relation {
        if index == self.me {
            return Relation::Itself;
        }
        match self.reduction.class_of(index) {
            Some(class) => Relation::Member(class),
            None => Relation::Fixed(index),
        }
    }

    fn server(&self, server: ServerId) -> Relation {
        self.index(usize::try_from(server.0).expect("server ids fit in usize"))
    }

    fn id(&self, id: Id) -> Relation {
        self.index(usize::from(id))
    }

    fn vote(&self, vote: &Vote) -> (Epoch, Zxid, Relation) {
        (vote.peer_epoch, vote.zxid, self.server(vote.leader))
    }
}

/// A multiset of hashes, as one hash.
fn sorted_hash(mut hashes: Vec<u64>) -> u64 {
    hashes.sort_unstable();
    hash_of(&hashes)
}

/// The signature of server `me` in `state`.
pub fn signature(state: &ActorModelState<Node, History>, me: usize, reduction: &Reduction) -> u64 {
    let erasure = Erasure { me, reduction };
    let mut hasher = FxHasher::default();
    state.crashed[me].hash(&mut hasher);
    state.actor_storages[me].hash(&mut hasher);
    let timers = state.timers_set[me]
        .iter()
        .map(|timer| hash_of(&timer_relation(timer, &erasure)))
        .collect();
    sorted_hash(timers).hash(&mut hasher);
    let choices = state.random_choices[me]
        .map
        .iter()
        .map(|(key, servers)| {
            let servers: Vec<Relation> = servers.iter().map(|s| erasure.server(*s)).collect();
            hash_of(&(key, sorted_hash(servers.iter().map(hash_of).collect())))
        })
        .collect();
    sorted_hash(choices).hash(&mut hasher);
    if let NodeState::Server(peer, record, _) = state.actor_states[me].as_ref() {
        record.hash(&mut hasher);
        peer_signature(peer, &erasure).hash(&mut hasher);
    }
    flows_signature(&state.network, &erasure).hash(&mut hasher);
    hasher.finish()
}

fn timer_relation(timer: &NodeTimer, erasure: &Erasure) -> (NodeTimer, Option<Relation>) {
    match timer {
        NodeTimer::Driver(DriverAction::Disconnect(server)) => (
            NodeTimer::Driver(DriverAction::Disconnect(ServerId(0))),
            Some(erasure.server(*server)),
        ),
        NodeTimer::Driver(DriverAction::NoticeClose(server)) => (
            NodeTimer::Driver(DriverAction::NoticeClose(ServerId(0))),
            Some(erasure.server(*server)),
        ),
        other => (*other, None),
    }
}

/// The links into and out of the server, each with its direction, its other end and its
/// messages in order.
fn flows_signature(network: &Network<ValueMessage>, erasure: &Erasure) -> u64 {
    let me = Id::from(erasure.me);
    let flows = super::rename::flows(network)
        .filter(|(src, dst, _, _)| *src == me || *dst == me)
        .map(|(src, dst, link, messages)| {
            let direction = (erasure.id(src), erasure.id(dst), link);
            let messages: Vec<u64> = messages
                .iter()
                .map(|message| message_signature(message, erasure))
                .collect();
            hash_of(&(direction, messages))
        })
        .collect();
    sorted_hash(flows)
}

fn message_signature(message: &ValueMessage, erasure: &Erasure) -> u64 {
    match message {
        PeerMessage::Notification(notification) => hash_of(&(
            notification.sender_state,
            erasure.vote(&notification.vote),
            notification.election_epoch,
        )),
        // Every other message is free of server ids (see `rename::rename_message`).
        other => hash_of(other),
    }
}

fn relations(servers: &BTreeSet<ServerId>, erasure: &Erasure) -> u64 {
    sorted_hash(
        servers
            .iter()
            .map(|s| hash_of(&erasure.server(*s)))
            .collect(),
    )
}

fn peer_signature(peer: &PeerState<ValueRegister>, erasure: &Erasure) -> u64 {
    let mut hasher = FxHasher::default();
    peer.durable.hash(&mut hasher);
    peer.committed_through.hash(&mut hasher);
    peer.clock_ms.hash(&mut hasher);
    peer.election_epoch.hash(&mut hasher);
    peer.next_sync_token.hash(&mut hasher);
    let clients: Vec<_> = peer
        .waiting_clients
        .iter()
        .map(|(client, request)| (erasure.id(*client), *request))
        .collect();
    clients.hash(&mut hasher);
    let syncs: Vec<_> = peer
        .waiting_syncs
        .iter()
        .map(|(token, client)| (*token, erasure.id(*client)))
        .collect();
    syncs.hash(&mut hasher);
    let infos = peer
        .follower_infos_while_looking
        .iter()
        .map(|(server, info)| hash_of(&(erasure.server(*server), info)))
        .collect();
    sorted_hash(infos).hash(&mut hasher);
    match &peer.role {
        Role::Looking(election) => (0, election_signature(election, erasure)).hash(&mut hasher),
        Role::Learning(learner) => (
            1,
            erasure.server(learner.leader),
            learner.is_observer,
            erasure.vote(&learner.vote),
            learner.election_epoch,
            learner.phase,
            learner.epoch,
            learner.heard_from_leader,
            learner.silent_ticks,
        )
            .hash(&mut hasher),
        Role::Leading(leadership) => {
            let learners = leadership
                .learners
                .iter()
                .map(|(server, link)| hash_of(&(erasure.server(*server), link)))
                .collect();
            let outstanding: Vec<_> = leadership
                .outstanding
                .iter()
                .map(|(zxid, acks)| (*zxid, relations(acks, erasure)))
                .collect();
            (
                2,
                erasure.vote(&leadership.vote),
                leadership.election_epoch,
                leadership.phase,
                leadership.epoch,
                sorted_hash(learners),
                relations(&leadership.epoch_acks, erasure),
                relations(&leadership.new_leader_acks, erasure),
                outstanding,
                relations(&leadership.heard, erasure),
                leadership.silent_ticks,
                confirmation_signature(&leadership.confirmation, erasure),
            )
                .hash(&mut hasher)
        }
    }
    hasher.finish()
}

fn election_signature(election: &Election, erasure: &Erasure) -> u64 {
    let tally = election
        .tally
        .iter()
        .map(|(server, vote)| hash_of(&(erasure.server(*server), erasure.vote(vote))))
        .collect();
    let established = election
        .established
        .iter()
        .map(|(server, notification)| {
            hash_of(&(
                erasure.server(*server),
                notification.sender_state,
                erasure.vote(&notification.vote),
                notification.election_epoch,
            ))
        })
        .collect();
    hash_of(&(
        election.election_epoch,
        election.own_vote.map(|vote| erasure.vote(&vote)),
        election.proposal.map(|vote| erasure.vote(&vote)),
        sorted_hash(tally),
        sorted_hash(established),
        election.settling,
    ))
}

fn confirmation_signature(confirmation: &Confirmation, erasure: &Erasure) -> u64 {
    let echoed = confirmation
        .echoed
        .iter()
        .map(|(server, round)| hash_of(&(erasure.server(*server), round)))
        .collect();
    let waiting: Vec<_> = confirmation
        .waiting
        .iter()
        .map(|(round, waiter)| match waiter {
            SyncWaiter::Client(client) => (*round, erasure.id(*client), None),
            SyncWaiter::Learner { server, token } => {
                (*round, erasure.server(*server), Some(*token))
            }
        })
        .collect();
    hash_of(&(
        confirmation.started_round,
        confirmation.confirmed_round,
        &confirmation.round_started_ms,
        sorted_hash(echoed),
        waiting,
        &confirmation.proposed_ms,
        confirmation.lease_from_ms,
    ))
}
