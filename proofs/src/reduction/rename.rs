//! Renaming servers everywhere a ZAB configuration's state names them: the position of each
//! server's actor state, timers, random choices, crash flag and storage; every `ServerId` and
//! server `Id` inside peer states, in-flight messages, the network's keys, timers, random
//! choices and the history. Clients keep their ids (see `super` for why none is permuted).
//!
//! Every function destructures or matches exhaustively, so a new field or message variant that
//! might hold an id is a compile error here rather than a silently unsound reduction.

use crate::client::ClientState;
use crate::cluster::{flow_key, sending_end, Link};
use crate::driver::{DriverAction, DriverRecord, NodeTimer};
use crate::history::History;
use crate::system::{Node, NodeState, ValueMessage, ValueRegister};
use stateright::actor::{ActorModelState, Id, Network, RandomChoices, Timers};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use zabkeeper_models::election::{Election, Notification, Vote};
use zabkeeper_models::zab::{
    Confirmation, Leadership, Learner, PeerMessage, PeerState, Revalidations, Role, SyncWaiter,
};
use zabkeeper_models::ServerId;

/// A permutation of the servers (actors `0..servers`); every other actor id, the clients' and
/// the apply sink's, maps to itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerRenaming {
    /// `to[i]` is the new index of server `i`.
    to: Vec<usize>,
}

impl ServerRenaming {
    /// The renaming that sends server `i` to `to[i]`; `to` must be a permutation.
    pub fn new(to: Vec<usize>) -> ServerRenaming {
        let mut seen = vec![false; to.len()];
        for &index in &to {
            assert!(index < to.len(), "server {index} is out of range");
            assert!(!seen[index], "server {index} is the image of two servers");
            seen[index] = true;
        }
        ServerRenaming { to }
    }

    pub fn identity(servers: usize) -> ServerRenaming {
        ServerRenaming {
            to: (0..servers).collect(),
        }
    }

    pub fn is_identity(&self) -> bool {
        self.to.iter().enumerate().all(|(from, to)| from == *to)
    }

    pub fn index(&self, index: usize) -> usize {
        self.to.get(index).copied().unwrap_or(index)
    }

    pub fn server(&self, server: ServerId) -> ServerId {
        let index = usize::try_from(server.0).expect("server ids fit in usize");
        ServerId(self.index(index) as u64)
    }

    pub fn id(&self, id: Id) -> Id {
        Id::from(self.index(usize::from(id)))
    }

    /// `values` reordered so that what was at server `i` is at `self.index(i)`; entries past the
    /// servers (the clients') stay where they are.
    fn permute<T>(&self, values: &[T], rename: impl Fn(&T) -> T) -> Vec<T> {
        let mut from: Vec<usize> = (0..values.len()).collect();
        for (index, to) in self.to.iter().enumerate() {
            from[*to] = index;
        }
        from.iter().map(|index| rename(&values[*index])).collect()
    }
}

/// The whole state with its servers renamed.
pub fn rename_state(
    state: &ActorModelState<Node, History>,
    renaming: &ServerRenaming,
) -> ActorModelState<Node, History> {
    let ActorModelState {
        actor_states,
        network,
        timers_set,
        random_choices,
        crashed,
        history,
        actor_storages,
    } = state;
    ActorModelState {
        actor_states: renaming.permute(actor_states, |node| {
            Arc::new(rename_node_state(node, renaming))
        }),
        network: rewrite_network(network, renaming),
        timers_set: renaming.permute(timers_set, |timers| rename_timers(timers, renaming)),
        random_choices: renaming.permute(random_choices, |choices| {
            rename_random_choices(choices, renaming)
        }),
        crashed: renaming.permute(crashed, bool::clone),
        history: rename_history(history, renaming),
        // A disk holds epochs and txns, no server ids.
        actor_storages: renaming.permute(actor_storages, Option::clone),
    }
}

/// The network's flows, each as its sender, its receiver and its messages in order. With
/// [`rewrite_network`], the one place that knows how the network is keyed: FIFO flows by
/// (sender, receiver).
pub(super) fn flows(
    network: &Network<ValueMessage>,
) -> impl Iterator<Item = (Id, Id, Link, &VecDeque<ValueMessage>)> {
    let Network::Ordered(flows) = network else {
        unreachable!("ZAB configurations use FIFO links (Network::new_ordered)")
    };
    flows.iter().map(|((end, dst), messages)| {
        let (src, link) = sending_end(*end);
        (src, *dst, link, messages)
    })
}

/// The network with every link's ends and every message renamed.
pub fn rewrite_network(
    network: &Network<ValueMessage>,
    renaming: &ServerRenaming,
) -> Network<ValueMessage> {
    let Network::Ordered(flows) = network else {
        unreachable!("ZAB configurations use FIFO links (Network::new_ordered)")
    };
    let renamed: BTreeMap<_, _> = flows
        .iter()
        .map(|((end, dst), messages)| {
            let messages = messages
                .iter()
                .map(|message| rename_message(message, renaming))
                .collect();
            let (src, link) = sending_end(*end);
            (
                flow_key(renaming.id(src), renaming.id(*dst), link),
                messages,
            )
        })
        .collect();
    Network::Ordered(renamed)
}

pub fn rename_message(message: &ValueMessage, renaming: &ServerRenaming) -> ValueMessage {
    match message {
        PeerMessage::Notification(notification) => {
            PeerMessage::Notification(rename_notification(notification, renaming))
        }
        // No server id inside (the register's sessions are `()`); the link says who sent it.
        PeerMessage::FollowerInfo { .. }
        | PeerMessage::LeaderInfo { .. }
        | PeerMessage::AckEpoch { .. }
        | PeerMessage::NewLeader(_)
        | PeerMessage::AckNewLeader { .. }
        | PeerMessage::UpToDate { .. }
        | PeerMessage::Request { .. }
        | PeerMessage::Propose { .. }
        | PeerMessage::Ack { .. }
        | PeerMessage::Commit { .. }
        | PeerMessage::Inform { .. }
        | PeerMessage::Ping { .. }
        | PeerMessage::SyncRequest { .. }
        | PeerMessage::Sync { .. }
        | PeerMessage::ClientWrite { .. }
        | PeerMessage::WriteCommitted { .. }
        | PeerMessage::Applied { .. }
        | PeerMessage::ClientSync
        | PeerMessage::Synced
        | PeerMessage::ClientRead
        | PeerMessage::ReadResult { .. }
        | PeerMessage::ClientExists { .. }
        | PeerMessage::ClientGetData { .. }
        | PeerMessage::ClientGetChildren { .. }
        | PeerMessage::ClientSetWatches { .. }
        | PeerMessage::ExistsResult { .. }
        | PeerMessage::DataResult { .. }
        | PeerMessage::ChildrenResult { .. }
        | PeerMessage::WatchNotification { .. }
        | PeerMessage::ClientConnect { .. }
        | PeerMessage::ConnectionClosed
        | PeerMessage::ClientRevalidate { .. }
        | PeerMessage::Revalidate { .. }
        | PeerMessage::Revalidated { .. }
        | PeerMessage::SessionRevalidated { .. } => message.clone(),
    }
}

fn rename_notification(notification: &Notification, renaming: &ServerRenaming) -> Notification {
    let Notification {
        sender_state,
        vote,
        election_epoch,
    } = notification;
    Notification {
        sender_state: *sender_state,
        vote: rename_vote(vote, renaming),
        election_epoch: *election_epoch,
    }
}

fn rename_vote(vote: &Vote, renaming: &ServerRenaming) -> Vote {
    Vote {
        leader: renaming.server(vote.leader),
        ..*vote
    }
}

fn rename_node_state(node: &NodeState, renaming: &ServerRenaming) -> NodeState {
    match node {
        NodeState::Server(peer, record, persisting) => {
            assert!(
                persisting.is_none(),
                "a state with a persist under way is its own representative (see `super`)"
            );
            let DriverRecord {
                sink_contract_broken,
                disconnects,
                unnoticed_closes,
                clients,
                held_handshakes,
                session_ids,
                closed,
            } = record;
            let mut unnoticed_closes: Vec<ServerId> = unnoticed_closes
                .iter()
                .map(|server| renaming.server(*server))
                .collect();
            unnoticed_closes.sort();
            let record = DriverRecord {
                sink_contract_broken: *sink_contract_broken,
                disconnects: *disconnects,
                unnoticed_closes,
                // Keyed by client actors, holding client requests: no server id inside.
                clients: clients.clone(),
                // Client actors and their handshakes; the register's servers open no sessions,
                // so no session id of a renamed server is issued.
                held_handshakes: held_handshakes.clone(),
                session_ids: *session_ids,
                // Client actors.
                closed: closed.clone(),
            };
            NodeState::Server(rename_peer_state(peer, renaming), record, None)
        }
        // A disk holds no server id.
        NodeState::Refused(disk) => NodeState::Refused(disk.clone()),
        // A client names its servers in its (unrenamed) plan only; zxids hold no server id.
        NodeState::Client(ClientState {
            next_operation,
            awaiting_reply,
            last_zxid_seen,
            connected,
        }) => NodeState::Client(ClientState {
            next_operation: *next_operation,
            awaiting_reply: *awaiting_reply,
            last_zxid_seen: *last_zxid_seen,
            connected: *connected,
        }),
    }
}

pub fn rename_peer_state(
    state: &PeerState<ValueRegister>,
    renaming: &ServerRenaming,
) -> PeerState<ValueRegister> {
    let PeerState {
        durable,
        committed_through,
        applied,
        preparation,
        clock_ms,
        election_epoch,
        role,
        waiting_clients,
        touched_sessions,
        waiting_syncs,
        next_sync_token,
        revalidations,
        follower_infos_while_looking,
    } = state;
    let Revalidations {
        waiting,
        next_token,
    } = revalidations;
    PeerState {
        durable: durable.clone(),
        committed_through: *committed_through,
        applied: applied.clone(),
        preparation: *preparation,
        clock_ms: *clock_ms,
        election_epoch: *election_epoch,
        role: rename_role(role, renaming),
        waiting_clients: waiting_clients
            .iter()
            .map(|(client, request)| (renaming.id(*client), *request))
            .collect(),
        touched_sessions: touched_sessions.clone(),
        waiting_syncs: waiting_syncs
            .iter()
            .map(|(token, client)| (*token, renaming.id(*client)))
            .collect(),
        next_sync_token: *next_sync_token,
        revalidations: Revalidations {
            waiting: waiting
                .iter()
                .map(|(token, (client, session))| (*token, (renaming.id(*client), *session)))
                .collect(),
            next_token: *next_token,
        },
        follower_infos_while_looking: follower_infos_while_looking
            .iter()
            .map(|(server, info)| (renaming.server(*server), *info))
            .collect(),
    }
}

fn rename_role(role: &Role, renaming: &ServerRenaming) -> Role {
    match role {
        Role::Looking(election) => Role::Looking(rename_election(election, renaming)),
        Role::Learning(learner) => Role::Learning(rename_learner(learner, renaming)),
        Role::Leading(leadership) => Role::Leading(rename_leadership(leadership, renaming)),
    }
}

fn rename_election(election: &Election, renaming: &ServerRenaming) -> Election {
    let Election {
        me,
        election_epoch,
        own_vote,
        proposal,
        tally,
        established,
        settling,
        mutations,
    } = election;
    Election {
        me: renaming.server(*me),
        election_epoch: *election_epoch,
        own_vote: own_vote.map(|vote| rename_vote(&vote, renaming)),
        proposal: proposal.map(|vote| rename_vote(&vote, renaming)),
        tally: tally
            .iter()
            .map(|(server, vote)| (renaming.server(*server), rename_vote(vote, renaming)))
            .collect(),
        established: established
            .iter()
            .map(|(server, notification)| {
                (
                    renaming.server(*server),
                    rename_notification(notification, renaming),
                )
            })
            .collect(),
        settling: *settling,
        mutations: *mutations,
    }
}

fn rename_learner(learner: &Learner, renaming: &ServerRenaming) -> Learner {
    let Learner {
        leader,
        is_observer,
        vote,
        election_epoch,
        phase,
        epoch,
        heard_from_leader,
        silent_ticks,
    } = learner;
    Learner {
        leader: renaming.server(*leader),
        is_observer: *is_observer,
        vote: rename_vote(vote, renaming),
        election_epoch: *election_epoch,
        phase: *phase,
        epoch: *epoch,
        heard_from_leader: *heard_from_leader,
        silent_ticks: *silent_ticks,
    }
}

fn rename_leadership(leadership: &Leadership, renaming: &ServerRenaming) -> Leadership {
    let Leadership {
        vote,
        election_epoch,
        phase,
        epoch,
        learners,
        epoch_acks,
        new_leader_acks,
        outstanding,
        heard,
        silent_ticks,
        confirmation,
    } = leadership;
    let servers = |set: &std::collections::BTreeSet<ServerId>| {
        set.iter().map(|server| renaming.server(*server)).collect()
    };
    Leadership {
        vote: rename_vote(vote, renaming),
        election_epoch: *election_epoch,
        phase: *phase,
        epoch: *epoch,
        learners: learners
            .iter()
            .map(|(server, link)| (renaming.server(*server), link.clone()))
            .collect(),
        epoch_acks: servers(epoch_acks),
        new_leader_acks: servers(new_leader_acks),
        outstanding: outstanding
            .iter()
            .map(|(zxid, acks)| (*zxid, servers(acks)))
            .collect(),
        heard: servers(heard),
        silent_ticks: *silent_ticks,
        confirmation: rename_confirmation(confirmation, renaming),
    }
}

fn rename_confirmation(confirmation: &Confirmation, renaming: &ServerRenaming) -> Confirmation {
    let Confirmation {
        started_round,
        confirmed_round,
        round_started_ms,
        echoed,
        waiting,
        proposed_ms,
        lease_from_ms,
    } = confirmation;
    Confirmation {
        started_round: *started_round,
        confirmed_round: *confirmed_round,
        round_started_ms: round_started_ms.clone(),
        echoed: echoed
            .iter()
            .map(|(server, round)| (renaming.server(*server), *round))
            .collect(),
        waiting: waiting
            .iter()
            .map(|(round, waiter)| (*round, rename_sync_waiter(waiter, renaming)))
            .collect(),
        proposed_ms: proposed_ms.clone(),
        lease_from_ms: *lease_from_ms,
    }
}

fn rename_sync_waiter(waiter: &SyncWaiter, renaming: &ServerRenaming) -> SyncWaiter {
    match waiter {
        SyncWaiter::Client(client) => SyncWaiter::Client(renaming.id(*client)),
        SyncWaiter::Learner { server, token } => SyncWaiter::Learner {
            server: renaming.server(*server),
            token: *token,
        },
    }
}

pub fn rename_timer(timer: &NodeTimer, renaming: &ServerRenaming) -> NodeTimer {
    match timer {
        NodeTimer::Peer(timer) => NodeTimer::Peer(*timer),
        NodeTimer::Driver(DriverAction::Disconnect(server)) => {
            NodeTimer::Driver(DriverAction::Disconnect(renaming.server(*server)))
        }
        NodeTimer::Driver(DriverAction::NoticeClose(server)) => {
            NodeTimer::Driver(DriverAction::NoticeClose(renaming.server(*server)))
        }
        NodeTimer::Driver(
            action @ (DriverAction::Compact
            | DriverAction::Housekeeping
            | DriverAction::Touch
            | DriverAction::PersistStep
            | DriverAction::AnswerHeldHandshakes),
        ) => NodeTimer::Driver(*action),
    }
}

fn rename_timers(timers: &Timers<NodeTimer>, renaming: &ServerRenaming) -> Timers<NodeTimer> {
    let mut renamed = Timers::new();
    for timer in timers.iter() {
        renamed.set(rename_timer(timer, renaming));
    }
    renamed
}

/// The oracle's choices renamed and sorted: the peer lists the voters in id order, so a sorted
/// list is what the renamed servers would have offered (the order only orders the checker's
/// actions).
fn rename_random_choices(
    choices: &RandomChoices<ServerId>,
    renaming: &ServerRenaming,
) -> RandomChoices<ServerId> {
    let mut renamed = RandomChoices::default();
    for (key, servers) in choices.map.iter() {
        let mut servers: Vec<ServerId> = servers
            .iter()
            .map(|server| renaming.server(*server))
            .collect();
        servers.sort();
        renamed.insert(key.clone(), servers);
    }
    renamed
}

fn rename_history(history: &History, renaming: &ServerRenaming) -> History {
    let History {
        acknowledged_writes,
        writes,
        operations,
        synced,
        leaders_by_epoch,
    } = history;
    History {
        acknowledged_writes: acknowledged_writes.clone(),
        // Keyed by client ids, which no renaming moves.
        writes: writes.clone(),
        operations: operations.clone(),
        synced: synced.clone(),
        leaders_by_epoch: leaders_by_epoch
            .iter()
            .map(|(epoch, leaders)| {
                let leaders = leaders.iter().map(|leader| renaming.id(*leader)).collect();
                (*epoch, leaders)
            })
            .collect(),
    }
}
