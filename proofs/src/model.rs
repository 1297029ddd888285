//! Builds a stateright model of an ensemble of production peers and model clients, with the
//! bounds that keep the search finite, and attaches every property.

use crate::client::{Client, Value};
use crate::cluster::Cluster;
use crate::driver::{DriverActions, APPLY_SINK};
use crate::history::{record_in, record_out, History};
use crate::properties;
use crate::system::{Node, NodeState};
use crate::system::{ValueDurable, ValueRegister};
use stateright::actor::{model_timeout, Actor, ActorModelState, Id};
use zabkeeper_models::election::Membership;
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::zab::{
    ElectionMode, FailureDetection, Peer, PeerState, Proposal, Register, StateMachine,
};
use zabkeeper_models::ServerId;

/// A client of the model: the server it talks to and what it does.
#[derive(Clone, Debug)]
pub struct ClientPlan {
    pub server: usize,
    pub writes: Vec<Value>,
    pub read_after_writes: bool,
    /// The server the read goes to, when not `server`.
    pub read_server: Option<usize>,
    /// Whether the read is a `sync` + read (checked for linearizability).
    pub sync_before_read: bool,
    /// Whether the client connects to `read_server` with the last zxid it saw before reading
    /// there (a session that moved), and reads only if that server lets it in.
    pub reconnect_before_read: bool,
    /// Whether the client sends its write and its read at once (one write, read on the same
    /// server, no sync): the server's session order must answer the read after the write.
    pub pipelined: bool,
}

/// One model configuration: the ensemble, its clients, the faults and the bounds.
#[derive(Clone, Debug)]
pub struct ZabConfig {
    pub voters: usize,
    pub observers: usize,
    pub clients: Vec<ClientPlan>,
    /// Servers down at the same time.
    pub max_crashes: usize,
    /// Restarts over the whole run (crashed servers coming back).
    pub max_restarts: u32,
    pub lossy: bool,
    /// Whether a lossy configuration decides its losses at delivery (see
    /// [`Cluster::loss_at_delivery`]).
    pub loss_at_delivery: bool,
    /// No server accepts an epoch above this.
    pub max_epoch: u32,
    /// No server starts an election round above this.
    pub max_election_epoch: u64,
    /// Messages in flight at once.
    pub max_in_flight: usize,
    pub diff_window: Option<usize>,
    /// Run a failure detector (ticks; giving up on silent peers), and which.
    pub failure_detection: Option<FailureDetection>,
    pub election_mode: ElectionMode,
    /// What each server's disk holds at the start (missing entries: empty).
    pub initial_disks: Vec<Option<ValueDurable>>,
    /// What the checker may make every server's driver do (compact, report a lost link).
    pub driver: DriverActions<()>,
    pub mutations: Mutations,
}

impl ZabConfig {
    pub fn servers(&self) -> usize {
        self.voters + self.observers
    }

    /// The plan of the client that is actor `id`, if it is a client.
    pub fn client_plan(&self, id: Id) -> Option<&ClientPlan> {
        usize::from(id)
            .checked_sub(self.servers())
            .and_then(|index| self.clients.get(index))
    }

    /// Whether some client does `sync` + read (so the synced-read history is kept).
    pub fn has_synced_reads(&self) -> bool {
        self.clients
            .iter()
            .any(|plan| plan.read_after_writes && plan.sync_before_read)
    }

    pub fn membership(&self) -> Membership {
        Membership::new(
            (0..self.voters).map(|index| ServerId(index as u64)),
            (self.voters..self.servers()).map(|index| ServerId(index as u64)),
        )
    }

    pub fn into_model(self) -> Cluster<Node, ZabConfig, History> {
        let membership = self.membership();
        let mut model = Cluster::new(self.clone(), History::default());
        for index in 0..self.servers() {
            let mut peer = Peer::new(ServerId(index as u64), membership.clone(), Register::new());
            peer.tick = self.failure_detection.map(|_| model_timeout());
            if let Some(detection) = self.failure_detection {
                peer.failure_detection = detection;
            }
            peer.settle = model_timeout();
            peer.diff_window = self.diff_window;
            peer.election_mode = self.election_mode;
            peer.mutations = self.mutations;
            peer.apply_sink = Some(Id::from(APPLY_SINK));
            let initial_disk = self.initial_disks.get(index).cloned().flatten();
            model = model.actor(Node::Server(peer, initial_disk, self.driver.clone()));
        }
        for plan in &self.clients {
            // The histories defer a pipelined read's invocation to its write's return, which
            // is exact only for this shape (see `history::record_in`).
            assert!(
                !plan.pipelined
                    || (plan.writes.len() == 1
                        && plan.read_after_writes
                        && plan.read_server.is_none_or(|server| server == plan.server)
                        && !plan.sync_before_read
                        && !plan.reconnect_before_read
                        && self.driver.session_order),
                "a pipelining client writes once, then reads on its server through its session order"
            );
            model = model.actor(Node::Client(Client {
                server: Id::from(plan.server),
                writes: plan.writes.clone(),
                read_after_writes: plan.read_after_writes,
                read_server: Id::from(plan.read_server.unwrap_or(plan.server)),
                sync_before_read: plan.sync_before_read,
                reconnect_before_read: plan.reconnect_before_read,
                pipelined: plan.pipelined,
            }));
        }
        let model = model
            .lossy(self.lossy)
            .loss_at_delivery(self.loss_at_delivery)
            .max_crashes(self.max_crashes)
            .record_msg_out(record_out)
            .record_msg_in(record_in)
            .within_boundary(within_boundary);
        properties::attach(model)
    }
}

/// The servers' states, crashed ones included (a crashed server keeps its last state in the
/// model; only its durable part survives a restart).
pub fn servers<'a, A, M, S, H>(
    state: &'a ActorModelState<A, H>,
) -> impl Iterator<Item = (usize, &'a PeerState<M>)>
where
    A: Actor<State = NodeState<M, S>>,
    M: StateMachine + 'a,
    S: 'a,
{
    state
        .actor_states
        .iter()
        .enumerate()
        .filter_map(|(index, actor)| actor.server().map(|server| (index, server)))
}

/// The servers that are up.
pub fn live_servers<'a, A, M, S, H>(
    state: &'a ActorModelState<A, H>,
) -> impl Iterator<Item = (usize, &'a PeerState<M>)>
where
    A: Actor<State = NodeState<M, S>>,
    M: StateMachine + 'a,
    S: 'a,
{
    servers(state).filter(|(index, _)| !state.crashed[*index])
}

fn within_boundary(config: &ZabConfig, state: &ActorModelState<Node, History>) -> bool {
    let mut restarts = 0;
    for (_, server) in servers(state) {
        if server.durable.accepted_epoch.0 > config.max_epoch
            || server.election_epoch > config.max_election_epoch
        {
            return false;
        }
        restarts += server.durable.incarnation.saturating_sub(1);
    }
    for actor in &state.actor_states {
        if let NodeState::Refused(disk) = &**actor {
            // The starts its disk counts, less the first, and the start it refused.
            restarts += disk.incarnation;
        }
    }
    let clients_up = state
        .actor_states
        .iter()
        .zip(&state.crashed)
        .all(|(actor, crashed)| !crashed || matches!(**actor, NodeState::Server(..)));
    restarts <= config.max_restarts && clients_up && state.network.len() <= config.max_in_flight
}

/// Every txn a server of the ZAB configurations delivered, from the first: the ones its
/// snapshot folded (the register's applied state lists them) and the delivered ones after.
pub fn delivered_from_first(server: &PeerState<ValueRegister>) -> Vec<Proposal<Value>> {
    let folded = server
        .durable
        .snapshot
        .as_ref()
        .map_or(&[][..], |snapshot| &snapshot.applied[..]);
    folded.iter().chain(server.delivered()).cloned().collect()
}

/// Whether a disk of the ZAB configurations holds `proposal`, in its log or in its snapshot.
pub fn disk_holds(durable: &ValueDurable, proposal: &Proposal<Value>) -> bool {
    durable.history.contains(proposal)
        || durable
            .snapshot
            .as_ref()
            .is_some_and(|snapshot| snapshot.applied.contains(proposal))
}
