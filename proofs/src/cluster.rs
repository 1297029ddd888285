//! The checker's model of an ensemble on the server's network. The server keeps two TCP
//! connections per pair of members, one for Fast Leader Election and one for the quorum
//! (learner to leader), with no order between them; each closes on its own. So between two
//! servers this model keeps two links, each FIFO, and a quorum link's close drops what was in
//! flight on it (both ways) and tells both ends, while the election link goes on. A client has
//! one link to its server.
//!
//! It is stateright's actor model otherwise: the same state type (so properties and the
//! checker's symmetry work on it), the same crash, recovery, timer and random-choice actions.
//! Links live in the ordered network map, keyed by `(sending end, receiver)`, where the sending
//! end of an election link is the sender's id moved by [`ELECTION_END`] (see [`flow_key`]).

use stateright::actor::{
    Actor, ActorModelState, Command, Envelope, Id, Network, Out, RandomChoices, Timers,
};
use stateright::{Expectation, Model, Property};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

/// Which of a pair's connections a message travels on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Link {
    /// Fast Leader Election's connection (notifications).
    Election,
    /// The learner's connection to its leader; also a client's connection to its server.
    Quorum,
}

/// What an actor tells the cluster about its traffic. Its messages, timers and random choices
/// are ordered so that the steps the cluster lists come in a fixed order.
pub trait Wired: Actor<Msg: Ord, Timer: Ord, Random: Ord> {
    /// The link `message` travels on.
    fn link(message: &Self::Msg) -> Link;

    /// Whether the actor takes no input now: it is in the middle of work it finishes first (the
    /// server's driver persisting), or it is down without having crashed (a server that refused
    /// to start). Then only its [`Wired::busy_work`] timers fire (and it may crash).
    fn busy(state: &Self::State) -> bool;

    /// Whether `timer` is a step of the work that keeps the actor busy.
    fn busy_work(timer: &Self::Timer) -> bool;

    /// The peer whose quorum link the actor closes when `timer` fires, if the timer is a close.
    fn closes_link(timer: &Self::Timer) -> Option<Id>;

    /// Tells the actor at the far end of a closed quorum link that it closed.
    fn on_link_closed(&self, id: Id, state: &mut Cow<Self::State>, peer: Id, out: &mut Out<Self>);

    /// The connections that close when the actor crashes in `state` (its kernel closes a dead
    /// process's sockets), each with the message that tells the far end. None by default:
    /// links between servers stay, as the server's reconnect by themselves.
    fn closed_by_crash(_state: &Self::State) -> Vec<(Id, Self::Msg)> {
        Vec::new()
    }
}

/// Offset of an election link's sending end in the network's keys. Far above any actor id, so
/// the two links of a pair are two flows of the ordered network.
pub const ELECTION_END: usize = 1 << 20;

/// The network key of the flow from `src` to `dst` on `link`.
pub fn flow_key(src: Id, dst: Id, link: Link) -> (Id, Id) {
    match link {
        Link::Quorum => (src, dst),
        Link::Election => (Id::from(usize::from(src) + ELECTION_END), dst),
    }
}

/// The sender and link of a network key's sending end.
pub fn sending_end(end: Id) -> (Id, Link) {
    let index = usize::from(end);
    match index.checked_sub(ELECTION_END) {
        Some(sender) => (Id::from(sender), Link::Election),
        None => (end, Link::Quorum),
    }
}

/// One step the checker may take.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClusterAction<Msg, Timer, Random> {
    /// The message at the head of a link arrives.
    Deliver {
        src: Id,
        dst: Id,
        link: Link,
        msg: Msg,
    },
    /// The message `lost` places behind the head of a link arrives, and the ones ahead of it
    /// are lost (lossy configurations whose losses are decided at delivery).
    DeliverPastLost {
        src: Id,
        dst: Id,
        link: Link,
        lost: usize,
        msg: Msg,
    },
    /// The message at the head of a link is lost (lossy configurations only).
    Drop {
        src: Id,
        dst: Id,
        link: Link,
        msg: Msg,
    },
    Timeout(Id, Timer),
    /// The actor stops; its volatile state is gone, its storage stays.
    Crash(Id),
    /// A crashed actor starts again from its storage.
    Recover(Id),
    SelectRandom {
        actor: Id,
        key: String,
        random: Random,
    },
}

type RecordMessage<C, H, Msg> = fn(&C, &H, Envelope<&Msg>) -> Option<H>;

/// An ensemble of actors on the server's network, as a stateright model.
pub struct Cluster<A, C, H>
where
    A: Wired,
    H: Clone + Debug + Hash,
{
    pub cfg: C,
    pub actors: Vec<A>,
    init_history: H,
    lossy: bool,
    loss_at_delivery: bool,
    max_crashes: usize,
    properties: Vec<Property<Self>>,
    record_msg_in: RecordMessage<C, H, A::Msg>,
    record_msg_out: RecordMessage<C, H, A::Msg>,
    within_boundary: fn(&C, &ActorModelState<A, H>) -> bool,
}

impl<A, C: Clone, H> Clone for Cluster<A, C, H>
where
    A: Wired + Clone,
    H: Clone + Debug + Hash,
{
    fn clone(&self) -> Self {
        Cluster {
            cfg: self.cfg.clone(),
            actors: self.actors.clone(),
            init_history: self.init_history.clone(),
            lossy: self.lossy,
            loss_at_delivery: self.loss_at_delivery,
            max_crashes: self.max_crashes,
            properties: self.properties.clone(),
            record_msg_in: self.record_msg_in,
            record_msg_out: self.record_msg_out,
            within_boundary: self.within_boundary,
        }
    }
}

impl<A, C, H> Cluster<A, C, H>
where
    A: Wired,
    H: Clone + Debug + Hash,
{
    pub fn new(cfg: C, init_history: H) -> Self {
        Cluster {
            cfg,
            actors: Vec::new(),
            init_history,
            lossy: false,
            loss_at_delivery: false,
            max_crashes: 0,
            properties: Vec::new(),
            record_msg_in: |_, _, _| None,
            record_msg_out: |_, _, _| None,
            within_boundary: |_, _| true,
        }
    }

    /// Adds an actor; its id is the number of actors added before it.
    pub fn actor(mut self, actor: A) -> Self {
        self.actors.push(actor);
        self
    }

    /// Whether the head of any link may be lost. A lost message on a link that keeps going is
    /// more than TCP does (it closes the connection instead), so a lossy configuration checks
    /// a superset of the server's schedules.
    pub fn lossy(mut self, lossy: bool) -> Self {
        self.lossy = lossy;
        self
    }

    /// Whether a lossy configuration decides its losses when the receiver takes a message off
    /// a link (it may take any message in flight on it, the ones ahead lost) instead of at any
    /// step (the head of any link lost). A reduction: a loss changes no actor's state and no
    /// property reads what is in flight, so losing a message just before the next delivery on
    /// its link reaches every actor state that losing it earlier does, without interleaving the
    /// loss with every other step. A message never followed by a delivery stays in flight
    /// instead of vanishing, so the in-flight bound counts it: see `tests/reduction.rs` for
    /// what this changes.
    pub fn loss_at_delivery(mut self, loss_at_delivery: bool) -> Self {
        self.loss_at_delivery = loss_at_delivery;
        self
    }

    /// Actors down at the same time.
    pub fn max_crashes(mut self, max_crashes: usize) -> Self {
        self.max_crashes = max_crashes;
        self
    }

    pub fn property(
        mut self,
        expectation: Expectation,
        name: &'static str,
        condition: fn(&Self, &ActorModelState<A, H>) -> bool,
    ) -> Self {
        self.properties.push(Property {
            expectation,
            name,
            condition,
        });
        self
    }

    pub fn record_msg_in(mut self, record: RecordMessage<C, H, A::Msg>) -> Self {
        self.record_msg_in = record;
        self
    }

    pub fn record_msg_out(mut self, record: RecordMessage<C, H, A::Msg>) -> Self {
        self.record_msg_out = record;
        self
    }

    pub fn within_boundary(mut self, within: fn(&C, &ActorModelState<A, H>) -> bool) -> Self {
        self.within_boundary = within;
        self
    }

    /// Applies an actor's commands: sends go on the link their message belongs to.
    fn process_commands(&self, id: Id, out: Out<A>, state: &mut ActorModelState<A, H>) {
        let index = usize::from(id);
        for command in out {
            match command {
                Command::Send(dst, msg) => {
                    let envelope = Envelope {
                        src: id,
                        dst,
                        msg: &msg,
                    };
                    if let Some(history) =
                        (self.record_msg_out)(&self.cfg, &state.history, envelope)
                    {
                        state.history = history;
                    }
                    let key = flow_key(id, dst, A::link(&msg));
                    flows_mut(&mut state.network)
                        .entry(key)
                        .or_default()
                        .push_back(msg);
                }
                Command::SetTimer(timer, _) => {
                    state.timers_set[index].set(timer);
                }
                Command::CancelTimer(timer) => {
                    state.timers_set[index].cancel(&timer);
                }
                Command::ChooseRandom(key, choices) => {
                    if choices.is_empty() {
                        state.random_choices[index].remove(&key);
                    } else {
                        state.random_choices[index].insert(key, choices);
                    }
                }
                Command::Save(storage) => {
                    state.actor_storages[index] = Some(storage);
                }
            }
        }
    }

    /// `last` after the message `lost` places behind the head of the link from `src` to `dst`
    /// arrives, the ones ahead of it lost.
    fn deliver(
        &self,
        last: &ActorModelState<A, H>,
        src: Id,
        dst: Id,
        link: Link,
        lost: usize,
    ) -> ActorModelState<A, H> {
        let index = usize::from(dst);
        let mut next = last.clone();
        let key = flow_key(src, dst, link);
        for _ in 0..lost {
            pop_head(&mut next.network, key);
        }
        let msg = pop_head(&mut next.network, key);
        let mut actor_state = Cow::Borrowed(&*last.actor_states[index]);
        let mut out = Out::new();
        self.actors[index].on_msg(dst, &mut actor_state, src, msg.clone(), &mut out);
        let envelope = Envelope {
            src,
            dst,
            msg: &msg,
        };
        if let Some(history) = (self.record_msg_in)(&self.cfg, &next.history, envelope) {
            next.history = history;
        }
        if let Cow::Owned(actor_state) = actor_state {
            next.actor_states[index] = Arc::new(actor_state);
        }
        self.process_commands(dst, out, &mut next);
        next
    }

    /// Closes the quorum link between `closer` (whose step closed it) and `peer`: what was in
    /// flight on it either way is gone, and the far end, if up, learns that it closed.
    fn close_quorum_link(&self, closer: Id, peer: Id, state: &mut ActorModelState<A, H>) {
        let flows = flows_mut(&mut state.network);
        flows.remove(&flow_key(closer, peer, Link::Quorum));
        flows.remove(&flow_key(peer, closer, Link::Quorum));
        let index = usize::from(peer);
        if index >= self.actors.len() || state.crashed[index] {
            return;
        }
        let mut peer_state = Cow::Borrowed(&*state.actor_states[index]);
        let mut out = Out::new();
        self.actors[index].on_link_closed(peer, &mut peer_state, closer, &mut out);
        if let Cow::Owned(next) = peer_state {
            state.actor_states[index] = Arc::new(next);
        }
        self.process_commands(peer, out, state);
    }
}

/// The ordered network's flows. Every cluster state's network is ordered: the cluster builds
/// it so and never replaces it.
fn flows<Msg: Eq + Hash>(
    network: &Network<Msg>,
) -> &std::collections::BTreeMap<(Id, Id), VecDeque<Msg>> {
    match network {
        Network::Ordered(flows) => flows,
        _ => unreachable!("a cluster's network is ordered"),
    }
}

fn flows_mut<Msg: Eq + Hash>(
    network: &mut Network<Msg>,
) -> &mut std::collections::BTreeMap<(Id, Id), VecDeque<Msg>> {
    match network {
        Network::Ordered(flows) => flows,
        _ => unreachable!("a cluster's network is ordered"),
    }
}

/// Every message in flight, with its sender, receiver and link. (stateright's own
/// `Network::iter_all` never advances within an ordered flow, so it is not used.)
pub fn in_flight<Msg: Eq + Hash>(
    network: &Network<Msg>,
) -> impl Iterator<Item = (Id, Id, Link, &Msg)> {
    flows(network).iter().flat_map(|((end, dst), flow)| {
        let (src, link) = sending_end(*end);
        flow.iter().map(move |msg| (src, *dst, link, msg))
    })
}

/// Takes the head of the flow `key`, removing the flow once empty (so equal networks are equal
/// maps, and a state's fingerprint does not depend on links that were used before).
fn pop_head<Msg: Eq + Hash>(network: &mut Network<Msg>, key: (Id, Id)) -> Msg {
    let flows = flows_mut(network);
    let flow = flows.get_mut(&key).expect("the flow of an enabled action");
    let msg = flow.pop_front().expect("flows are never empty");
    if flow.is_empty() {
        flows.remove(&key);
    }
    msg
}

impl<A, C, H> Model for Cluster<A, C, H>
where
    A: Wired,
    H: Clone + Debug + Hash,
{
    type State = ActorModelState<A, H>;
    type Action = ClusterAction<A::Msg, A::Timer, A::Random>;

    fn init_states(&self) -> Vec<Self::State> {
        let count = self.actors.len();
        let mut state = ActorModelState {
            actor_states: Vec::with_capacity(count),
            network: Network::new_ordered([]),
            timers_set: vec![Timers::new(); count],
            random_choices: vec![RandomChoices::default(); count],
            crashed: vec![false; count],
            history: self.init_history.clone(),
            actor_storages: vec![None; count],
        };
        for (index, actor) in self.actors.iter().enumerate() {
            let id = Id::from(index);
            let mut out = Out::new();
            let actor_state = actor.on_start(id, &None, &mut out);
            state.actor_states.push(Arc::new(actor_state));
            self.process_commands(id, out, &mut state);
        }
        vec![state]
    }

    /// Every enabled step, in a fixed order (paths are replayed by action index).
    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        for ((end, dst), flow) in flows(&state.network) {
            let (src, link) = sending_end(*end);
            let msg = flow.front().expect("flows are never empty");
            if self.lossy && !self.loss_at_delivery {
                actions.push(ClusterAction::Drop {
                    src,
                    dst: *dst,
                    link,
                    msg: msg.clone(),
                });
            }
            let index = usize::from(*dst);
            if index < self.actors.len()
                && !state.crashed[index]
                && !A::busy(&state.actor_states[index])
            {
                actions.push(ClusterAction::Deliver {
                    src,
                    dst: *dst,
                    link,
                    msg: msg.clone(),
                });
                if self.lossy && self.loss_at_delivery {
                    for (lost, msg) in flow.iter().enumerate().skip(1) {
                        actions.push(ClusterAction::DeliverPastLost {
                            src,
                            dst: *dst,
                            link,
                            lost,
                            msg: msg.clone(),
                        });
                    }
                }
            }
        }
        for (index, timers) in state.timers_set.iter().enumerate() {
            let busy = A::busy(&state.actor_states[index]);
            let mut armed: Vec<&A::Timer> = timers
                .iter()
                .filter(|timer| !busy || A::busy_work(timer))
                .collect();
            armed.sort();
            for timer in armed {
                actions.push(ClusterAction::Timeout(Id::from(index), timer.clone()));
            }
        }
        let crashed = state.crashed.iter().filter(|crashed| **crashed).count();
        for (index, down) in state.crashed.iter().enumerate() {
            if !down && crashed < self.max_crashes {
                actions.push(ClusterAction::Crash(Id::from(index)));
            }
        }
        for (index, down) in state.crashed.iter().enumerate() {
            if *down {
                actions.push(ClusterAction::Recover(Id::from(index)));
            }
        }
        for (index, choices) in state.random_choices.iter().enumerate() {
            if A::busy(&state.actor_states[index]) {
                continue;
            }
            let mut keys: Vec<&String> = choices.map.keys().collect();
            keys.sort();
            for key in keys {
                for random in &choices.map[key] {
                    actions.push(ClusterAction::SelectRandom {
                        actor: Id::from(index),
                        key: key.clone(),
                        random: random.clone(),
                    });
                }
            }
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        match action {
            ClusterAction::Drop { src, dst, link, .. } => {
                let mut next = last.clone();
                pop_head(&mut next.network, flow_key(src, dst, link));
                Some(next)
            }
            ClusterAction::Deliver { src, dst, link, .. } => {
                Some(self.deliver(last, src, dst, link, 0))
            }
            ClusterAction::DeliverPastLost {
                src,
                dst,
                link,
                lost,
                ..
            } => Some(self.deliver(last, src, dst, link, lost)),
            ClusterAction::Timeout(id, timer) => {
                let index = usize::from(id);
                let mut actor_state = Cow::Borrowed(&*last.actor_states[index]);
                let mut out = Out::new();
                self.actors[index].on_timeout(id, &mut actor_state, &timer, &mut out);
                let unchanged = matches!(actor_state, Cow::Borrowed(_));
                let only_rearmed = out.len() == 1
                    && out.iter().any(
                        |command| matches!(command, Command::SetTimer(set, _) if *set == timer),
                    );
                if unchanged && only_rearmed {
                    return None;
                }
                let mut next = last.clone();
                next.timers_set[index].cancel(&timer);
                if let Cow::Owned(actor_state) = actor_state {
                    next.actor_states[index] = Arc::new(actor_state);
                }
                let closed = A::closes_link(&timer);
                if let Some(peer) = closed {
                    // The old connection's traffic is gone before anything the step sends
                    // (which goes on a new connection).
                    let flows = flows_mut(&mut next.network);
                    flows.remove(&flow_key(id, peer, Link::Quorum));
                    flows.remove(&flow_key(peer, id, Link::Quorum));
                }
                self.process_commands(id, out, &mut next);
                if let Some(peer) = closed {
                    self.close_quorum_link(id, peer, &mut next);
                }
                Some(next)
            }
            ClusterAction::Crash(id) => {
                let index = usize::from(id);
                let mut next = last.clone();
                next.timers_set[index].cancel_all();
                next.random_choices[index].map.clear();
                next.crashed[index] = true;
                for (far_end, close) in A::closed_by_crash(&last.actor_states[index]) {
                    // What the far end sent on the connection dies with the process (a restart
                    // never reads it); what the process sent before it died still arrives,
                    // ahead of the close.
                    let link = A::link(&close);
                    let flows = flows_mut(&mut next.network);
                    flows.remove(&flow_key(far_end, id, link));
                    flows
                        .entry(flow_key(id, far_end, link))
                        .or_default()
                        .push_back(close);
                }
                Some(next)
            }
            ClusterAction::Recover(id) => {
                let index = usize::from(id);
                assert!(last.crashed[index], "only a crashed actor recovers");
                let mut out = Out::new();
                let actor_state =
                    self.actors[index].on_start(id, &last.actor_storages[index], &mut out);
                let mut next = last.clone();
                next.actor_states[index] = Arc::new(actor_state);
                next.crashed[index] = false;
                self.process_commands(id, out, &mut next);
                Some(next)
            }
            ClusterAction::SelectRandom { actor, key, random } => {
                let index = usize::from(actor);
                let mut actor_state = Cow::Borrowed(&*last.actor_states[index]);
                let mut out = Out::new();
                self.actors[index].on_random(actor, &mut actor_state, &random, &mut out);
                let mut next = last.clone();
                next.random_choices[index].remove(&key);
                if let Cow::Owned(actor_state) = actor_state {
                    next.actor_states[index] = Arc::new(actor_state);
                }
                self.process_commands(actor, out, &mut next);
                Some(next)
            }
        }
    }

    fn format_action(&self, action: &Self::Action) -> String {
        match action {
            ClusterAction::Deliver {
                src,
                dst,
                link,
                msg,
            } => format!("{src:?} → {msg:?} → {dst:?} ({link:?})"),
            ClusterAction::DeliverPastLost {
                src,
                dst,
                link,
                lost,
                msg,
            } => format!("{src:?} → {msg:?} → {dst:?} ({link:?}, the {lost} ahead lost)"),
            _ => format!("{action:?}"),
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.properties.clone()
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        (self.within_boundary)(&self.cfg, state)
    }
}
