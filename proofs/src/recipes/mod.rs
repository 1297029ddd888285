//! The recipe configurations: one model server ([`server::RecipeServer`], the core's DataTree,
//! sessions and watches) and recipe clients running `zabkeeper_models::recipes` machines on
//! FIFO channels. The checker interleaves every request, answer, notification, release and
//! session expiry. See proofs/README.md, "Recipes".

pub mod properties;
pub mod server;

use server::{RecipeServer, RecipeServerState, DIRECTORY};
use stateright::actor::{Actor, ActorModel, ActorModelState, Id, Network, Out};
use std::borrow::Cow;
use zabkeeper_models::recipes::actor::{
    Contender, RecipeClient, RecipeClientState, RecipeMessage, RecipeTimer,
};
use zabkeeper_models::recipes::barrier::DoubleBarrier;
use zabkeeper_models::recipes::fair_lock::FairLock;
use zabkeeper_models::recipes::group::GroupMember;
use zabkeeper_models::recipes::lock::LockKind;
use zabkeeper_models::recipes::single_node_lock::SingleNodeLock;
use zabkeeper_models::recipes::RecipeMutations;

pub type RecipeModel = ActorModel<RecipeActor, RecipeConfig, ()>;
pub type RecipeModelState = ActorModelState<RecipeActor, ()>;

/// Which recipe the clients run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipe {
    /// The fair lock; each client asks for the given kind (all exclusive: a mutex).
    FairLock,
    /// The unfair lock on one ephemeral node.
    SingleNode,
    /// The double barrier, for as many members as there are clients.
    DoubleBarrier,
    /// Group membership: every client joins and stays.
    Group,
}

#[derive(Clone, Debug)]
pub struct RecipeConfig {
    pub recipe: Recipe,
    /// One client per entry, asking for this kind (the single-node lock ignores it).
    pub kinds: Vec<LockKind>,
    /// Acquire-release rounds of the first client (2: a leader selector re-competing after
    /// its term); the others compete once. Group members never leave.
    pub rounds: u8,
    /// The first client acquires twice while holding and releases twice.
    pub reentrant_first: bool,
    pub max_expiries: u8,
    pub mutations: RecipeMutations,
}

impl RecipeConfig {
    /// Three clients on a mutex, one of whose sessions may expire.
    pub fn mutex() -> RecipeConfig {
        RecipeConfig {
            recipe: Recipe::FairLock,
            kinds: vec![LockKind::Exclusive; 3],
            rounds: 1,
            reentrant_first: false,
            max_expiries: 1,
            mutations: RecipeMutations::NONE,
        }
    }

    /// A writer and two readers on a read-write lock.
    pub fn read_write() -> RecipeConfig {
        RecipeConfig {
            kinds: vec![LockKind::Exclusive, LockKind::Read, LockKind::Read],
            ..RecipeConfig::mutex()
        }
    }

    /// Three leader selectors, the first serving two terms and re-entrant (a latch is one
    /// term).
    pub fn leader_selector() -> RecipeConfig {
        RecipeConfig {
            rounds: 2,
            reentrant_first: true,
            ..RecipeConfig::mutex()
        }
    }

    /// Three clients on the single-node lock.
    pub fn single_node() -> RecipeConfig {
        RecipeConfig {
            recipe: Recipe::SingleNode,
            ..RecipeConfig::mutex()
        }
    }

    /// Three members of a double barrier; no session expires (a member lost before it
    /// arrives blocks the barrier for good, as it should).
    pub fn double_barrier() -> RecipeConfig {
        RecipeConfig {
            recipe: Recipe::DoubleBarrier,
            max_expiries: 0,
            ..RecipeConfig::mutex()
        }
    }

    /// Three group members that stay; one session may expire.
    pub fn group() -> RecipeConfig {
        RecipeConfig {
            recipe: Recipe::Group,
            rounds: 0,
            ..RecipeConfig::mutex()
        }
    }

    pub fn into_model(self) -> RecipeModel {
        let clients: Vec<Id> = (1..=self.kinds.len()).map(Id::from).collect();
        let mut model = ActorModel::new(self.clone(), ())
            .init_network(Network::new_ordered([]))
            .actor(RecipeActor::Server(RecipeServer::new(
                clients.clone(),
                self.max_expiries,
            )));
        for (index, kind) in self.kinds.iter().enumerate() {
            // Prefixes stand for the library's random ids; their order is unrelated to the
            // order of the creates, which the checker chooses.
            let prefix = format!("c{index}");
            let contender = match self.recipe {
                Recipe::FairLock => Contender::Fair(FairLock::with_mutations(
                    DIRECTORY,
                    *kind,
                    &prefix,
                    self.mutations,
                )),
                Recipe::SingleNode => {
                    Contender::SingleNode(SingleNodeLock::new(&format!("{DIRECTORY}/owner")))
                }
                Recipe::DoubleBarrier => Contender::Barrier(DoubleBarrier::with_mutations(
                    DIRECTORY,
                    &prefix,
                    self.kinds.len(),
                    self.mutations,
                )),
                Recipe::Group => Contender::Member(GroupMember::with_mutations(
                    DIRECTORY,
                    &prefix,
                    self.mutations,
                )),
            };
            let rounds = match self.recipe {
                Recipe::Group => 0,
                _ if index == 0 => self.rounds,
                _ => 1,
            };
            model = model.actor(RecipeActor::Client(RecipeClient {
                server: Id::from(0),
                contender,
                rounds,
                reentrant: self.reentrant_first && index == 0,
            }));
        }
        properties::add(model)
    }
}

/// The server or a client: stateright runs one actor type per model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecipeActor {
    Server(RecipeServer),
    Client(RecipeClient),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecipeActorState {
    Server(Box<RecipeServerState>),
    Client(RecipeClientState),
}

/// What the properties read from a state of a recipe model.
pub trait RecipeView {
    fn server(&self) -> &RecipeServerState;
    /// Each client with its session's liveness at the server.
    fn clients(&self) -> impl Iterator<Item = (&RecipeClientState, bool)> + '_;
}

impl RecipeView for RecipeModelState {
    fn server(&self) -> &RecipeServerState {
        match &*self.actor_states[0] {
            RecipeActorState::Server(server) => server,
            RecipeActorState::Client(_) => unreachable!("actor 0 is the server"),
        }
    }

    fn clients(&self) -> impl Iterator<Item = (&RecipeClientState, bool)> + '_ {
        let server = self.server();
        self.actor_states
            .iter()
            .enumerate()
            .skip(1)
            .map(move |(index, state)| match &**state {
                RecipeActorState::Client(client) => {
                    let session = server::session_of(Id::from(index));
                    (client, server.database.sessions.contains_key(&session))
                }
                RecipeActorState::Server(_) => unreachable!("actors after 0 are clients"),
            })
    }
}

impl Actor for RecipeActor {
    type Msg = RecipeMessage;
    type Timer = RecipeTimer;
    type State = RecipeActorState;
    type Storage = ();
    type Random = ();

    fn on_start(&self, id: Id, storage: &Option<()>, out: &mut Out<Self>) -> RecipeActorState {
        match self {
            RecipeActor::Server(server) => {
                let mut inner = Out::new();
                let state = server.on_start(id, storage, &mut inner);
                out.append(&mut inner);
                RecipeActorState::Server(Box::new(state))
            }
            RecipeActor::Client(client) => {
                let mut inner = Out::new();
                let state = client.on_start(id, storage, &mut inner);
                out.append(&mut inner);
                RecipeActorState::Client(state)
            }
        }
    }

    fn on_msg(
        &self,
        id: Id,
        state: &mut Cow<RecipeActorState>,
        src: Id,
        msg: RecipeMessage,
        out: &mut Out<Self>,
    ) {
        self.step(state, out, |step, outboxes| match step {
            Step::Server(server, inner) => {
                let mut inner_state = Cow::Borrowed(inner);
                server.on_msg(id, &mut inner_state, src, msg, outboxes.server());
                owned(inner_state).map(|next| RecipeActorState::Server(Box::new(next)))
            }
            Step::Client(client, inner) => {
                let mut inner_state = Cow::Borrowed(inner);
                client.on_msg(id, &mut inner_state, src, msg, outboxes.client());
                owned(inner_state).map(RecipeActorState::Client)
            }
        })
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<RecipeActorState>,
        timer: &RecipeTimer,
        out: &mut Out<Self>,
    ) {
        self.step(state, out, |step, outboxes| match step {
            Step::Server(server, inner) => {
                let mut inner_state = Cow::Borrowed(inner);
                server.on_timeout(id, &mut inner_state, timer, outboxes.server());
                owned(inner_state).map(|next| RecipeActorState::Server(Box::new(next)))
            }
            Step::Client(client, inner) => {
                let mut inner_state = Cow::Borrowed(inner);
                client.on_timeout(id, &mut inner_state, timer, outboxes.client());
                owned(inner_state).map(RecipeActorState::Client)
            }
        })
    }
}

/// The actor and its state, matched up.
enum Step<'a> {
    Server(&'a RecipeServer, &'a RecipeServerState),
    Client(&'a RecipeClient, &'a RecipeClientState),
}

/// The outboxes of the inner actors, appended to the outer one after the step.
#[derive(Default)]
struct Outboxes {
    server: Option<Out<RecipeServer>>,
    client: Option<Out<RecipeClient>>,
}

impl Outboxes {
    fn server(&mut self) -> &mut Out<RecipeServer> {
        self.server.get_or_insert_with(Out::new)
    }

    fn client(&mut self) -> &mut Out<RecipeClient> {
        self.client.get_or_insert_with(Out::new)
    }
}

fn owned<T: Clone>(state: Cow<T>) -> Option<T> {
    match state {
        Cow::Owned(next) => Some(next),
        Cow::Borrowed(_) => None,
    }
}

impl RecipeActor {
    fn step(
        &self,
        state: &mut Cow<RecipeActorState>,
        out: &mut Out<Self>,
        run: impl FnOnce(Step, &mut Outboxes) -> Option<RecipeActorState>,
    ) {
        let mut outboxes = Outboxes::default();
        let step = match (self, &**state) {
            (RecipeActor::Server(server), RecipeActorState::Server(inner)) => {
                Step::Server(server, inner)
            }
            (RecipeActor::Client(client), RecipeActorState::Client(inner)) => {
                Step::Client(client, inner)
            }
            _ => unreachable!("an actor's state is of its own kind"),
        };
        let next = run(step, &mut outboxes);
        if let Some(next) = next {
            *state = Cow::Owned(next);
        }
        if let Some(mut inner) = outboxes.server {
            out.append(&mut inner);
        }
        if let Some(mut inner) = outboxes.client {
            out.append(&mut inner);
        }
    }
}
