//! The peer actor: one ZooKeeper server running Fast Leader Election and ZAB (discovery,
//! synchronisation, broadcast) as a stateright [`Actor`]. The model checker runs it in `proofs/`;
//! the server's driver runs the very same value.

use super::confirmation::SyncWaiter;
use super::durable::DurableState;
use super::machine::StateMachine;
use super::message::{PeerMessage, Proposal};
use super::revalidate::Revalidations;
use super::role::{LeaderPhase, Leadership, Learner, LearnerPhase, LinkPhase, Role};
use crate::election::{
    answer_when_established, Election, ElectionAction, Membership, ServerState, Vote,
};
use crate::ids::{Epoch, ServerId, Zxid};
use crate::mutation::Mutations;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::hash::Hash;
use std::ops::Range;
use std::time::Duration;

/// What a replicated payload needs to be: a ZooKeeper request or txn in the server, a tiny value
/// in the model checker.
pub trait Payload: Clone + Debug + Eq + Hash + Ord {}
impl<T: Clone + Debug + Eq + Hash + Ord> Payload for T {}

/// The peer's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerTimer {
    /// Every tick: a LOOKING server resends its vote; a leader pings its learners and gives up
    /// when no quorum answered since the last tick; a learner gives up on a silent leader.
    Tick,
    /// FLE's `finalizeWait`: a quorum agreed; decide unless a better vote arrives first.
    Settle,
    /// An established leader starts a confirmation round for the syncs that arrived since the
    /// last one started (see `zab::confirmation`). Set with no delay: the server fires it after
    /// the batch of events in which the syncs arrived, so a round serves them all and rounds of
    /// successive batches overlap.
    ConfirmRound,
    /// Model checking only: an established leader's session clock advances by a step (the
    /// server calls [`Peer::on_session_clock`] with its own clock instead). A checker that may
    /// fire it at any
    /// moment lets any session expire at any moment, which covers every real timing.
    SessionClock,
}

/// How a LOOKING peer finds its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElectionMode {
    /// Fast Leader Election: what the server runs.
    Fast,
    /// The model checker picks any voter as the leader (a nondeterministic choice), as
    /// ZooKeeper's `Zab.tla` abstracts election. ZAB must stay safe whatever the choice; this
    /// lets `proofs/` check discovery, synchronisation and broadcast under crashes without the
    /// interleavings of FLE's messages, which get their own check.
    Oracle,
}

/// How a peer decides that its leader (or its quorum) is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureDetection {
    /// What the server runs: a leader pings its learners every tick and gives up when no quorum
    /// answered since the last tick; a learner gives up when its leader was silent for a tick.
    Heartbeat,
    /// Model checking only: every tick may be the one where the peer gives up. This allows every
    /// give-up `Heartbeat` allows (and more), without the ping traffic in the state space, so
    /// safety checked under it holds under `Heartbeat`.
    Oracle,
}

/// The messages of a peer replicating `M`.
pub type Message<M> = PeerMessage<
    <M as StateMachine>::Request,
    <M as StateMachine>::Txn,
    <M as StateMachine>::Outcome,
    <M as StateMachine>::Applied,
    <M as StateMachine>::Session,
>;

/// The durable state of a peer replicating `M`.
pub type Durable<M> = DurableState<<M as StateMachine>::Txn, <M as StateMachine>::Applied>;

/// A session clock for the model checker: see [`Peer::session_clock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionClockModel {
    pub step_ms: u64,
    pub end_ms: u64,
}

impl SessionClockModel {
    fn period(&self) -> Range<Duration> {
        let step = Duration::from_millis(self.step_ms);
        step..step
    }

    /// The clock's next reading after `now_ms`, unless that is past the end.
    pub(super) fn next_ms(&self, now_ms: u64) -> Option<u64> {
        Some(now_ms + self.step_ms).filter(|next_ms| *next_ms <= self.end_ms)
    }
}

/// One server's fixed configuration. The actor value itself: it never changes while running.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Peer<M> {
    pub me: ServerId,
    pub membership: Membership,
    /// How many of its latest txns a leader keeps for DIFF (ZooKeeper's committed log); a learner
    /// further behind gets a SNAP. `None` keeps all of them.
    pub diff_window: Option<usize>,
    /// The failure detector's period (tickTime). `None` turns the failure detector off: no
    /// vote resends, no pings, no giving up on a silent leader or quorum. Only model-checking
    /// configurations that study the other phases in isolation do that.
    pub tick: Option<Range<Duration>>,
    /// The tick while LOOKING, when it resends its vote (ZooKeeper's notification timeout,
    /// which starts at 200 ms): shorter than the failure detector's, because two servers that
    /// start looking at once can each take the other's first vote while still following,
    /// and only a resend tells them. Ignored without `tick`.
    pub looking_tick: Range<Duration>,
    /// Ticks in a row without hearing from the other side (a learner from its leader, a
    /// leader from a quorum) before the peer gives up and elects again, once broadcasting:
    /// ZooKeeper's syncLimit. At least 1.
    pub silent_ticks_max: u32,
    /// The same while a learner joins (discovery and synchronisation, a SNAP included) and a
    /// leader gathers its quorum: ZooKeeper's initLimit. At least 1.
    pub silent_ticks_max_joining: u32,
    pub settle: Range<Duration>,
    pub election_mode: ElectionMode,
    pub failure_detection: FailureDetection,
    /// Model checking only: a modelled session clock that advances by `step_ms` each time its
    /// timer fires (in any order with everything else), up to `end_ms`. `None` in the server,
    /// which calls [`Peer::on_session_clock`] with its monotonic clock instead.
    pub session_clock: Option<SessionClockModel>,
    /// Seeded bugs for `proofs/`; the server runs with `Mutations::NONE`.
    pub mutations: Mutations,
    /// What the ensemble replicates, and its configuration.
    pub machine: M,
    /// Where the outcome of every applied txn goes, as [`PeerMessage::Applied`]: the server's
    /// driver, which replies to clients and triggers watches from it. `None` in the model
    /// checker, whose properties read the applied state instead.
    pub apply_sink: Option<Id>,
}

/// A peer's whole state: durable part plus volatile role.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PeerState<M: StateMachine> {
    pub durable: Durable<M>,
    /// Every txn through this zxid is committed and applied here (volatile: after a restart the
    /// peer learns it again from its leader).
    pub committed_through: Zxid,
    /// The committed txns applied in order: always `machine.apply` folded over `delivered()`.
    pub applied: M::Applied,
    /// An established leader's request preparation; `None` in every other role.
    pub preparation: Option<M::Preparation>,
    /// The session clock's last reading ([`Peer::on_session_clock`]); a new leader's session
    /// tracker starts from it.
    pub clock_ms: u64,
    /// The last election round this peer took part in (ZooKeeper's `logicalclock`).
    pub election_epoch: u64,
    pub role: Role,
    /// Client writes received here, answered once this server applies them.
    pub waiting_clients: Vec<(Id, M::Request)>,
    /// A learner's sessions whose clients showed signs of life since its last PING answer,
    /// which carries them to the leader.
    pub touched_sessions: BTreeSet<M::Session>,
    /// A learner's client syncs waiting for the leader's SYNC, by token.
    pub waiting_syncs: BTreeMap<u64, Id>,
    /// The token of the next sync this learner forwards.
    pub next_sync_token: u64,
    /// A learner's reconnected clients waiting for the leader to revalidate their sessions.
    pub revalidations: Revalidations<M::Session>,
    /// FOLLOWERINFO (accepted epoch, observer or not) from servers that decided to follow this
    /// one while it was still LOOKING: it takes them up if it goes on to lead, instead of
    /// leaving its learners to ask again at their next tick. The latest per server counts.
    pub follower_infos_while_looking: BTreeMap<ServerId, (Epoch, bool)>,
}

/// Hands `durable` to the driver to make durable, after checking the invariants a durable
/// state keeps: a save is where a broken one would outlive the step and every restart.
pub(super) fn save<M: StateMachine>(out: &mut Out<Peer<M>>, durable: Durable<M>) {
    durable.assert_epochs_and_ends();
    out.save(durable);
}

pub fn id_of(server: ServerId) -> Id {
    Id::from(usize::try_from(server.0).expect("server ids fit in usize"))
}

pub fn server_of(id: Id) -> ServerId {
    ServerId(u64::try_from(usize::from(id)).expect("ids fit in u64"))
}

impl<M: StateMachine> PeerState<M> {
    /// Server `me` as it comes up from `durable`, committed through `committed_through` with
    /// `applied` applied: in an idle election, and holding nothing else a crash loses.
    pub fn recovered(
        me: ServerId,
        durable: Durable<M>,
        committed_through: Zxid,
        applied: M::Applied,
    ) -> PeerState<M> {
        PeerState {
            durable,
            committed_through,
            clock_ms: 0,
            applied,
            preparation: None,
            election_epoch: 0,
            role: Role::Looking(Election::idle(me)),
            waiting_clients: Vec::new(),
            touched_sessions: BTreeSet::new(),
            waiting_syncs: BTreeMap::new(),
            next_sync_token: 0,
            revalidations: Revalidations::default(),
            follower_infos_while_looking: BTreeMap::new(),
        }
    }

    /// The txns this server has delivered (applied as committed).
    pub fn delivered(&self) -> &[Proposal<M::Txn>] {
        self.durable.through(self.committed_through)
    }

    /// True when this server serves clients: an established leader or an up-to-date learner.
    pub fn is_serving(&self) -> bool {
        match &self.role {
            Role::Leading(leadership) => leadership.phase == LeaderPhase::Broadcast,
            Role::Learning(learner) => learner.phase == LearnerPhase::Broadcast,
            Role::Looking(_) => false,
        }
    }

    /// What a client's read may see: the applied state, while this server serves (a leader
    /// or learner in broadcast); `None` otherwise, when ZooKeeper would have closed the
    /// client's connection. The server's reads and the model's driver both read through it.
    pub fn read_view(&self) -> Option<&M::Applied> {
        self.is_serving().then_some(&self.applied)
    }

    /// The established leader's epoch, if this peer is one.
    pub fn established_epoch(&self) -> Option<crate::ids::Epoch> {
        match &self.role {
            Role::Leading(leadership) if leadership.phase == LeaderPhase::Broadcast => {
                leadership.epoch
            }
            _ => None,
        }
    }

    pub fn own_vote(&self, me: ServerId) -> Vote {
        Vote {
            peer_epoch: self.durable.current_epoch,
            zxid: self.durable.last_zxid(),
            leader: me,
        }
    }
}

impl<M: StateMachine> Peer<M> {
    pub fn new(me: ServerId, membership: Membership, machine: M) -> Peer<M> {
        assert!(
            membership.is_voter(me) || membership.is_observer(me),
            "server {me} is not in the ensemble"
        );
        Peer {
            me,
            membership,
            diff_window: None,
            tick: Some(Duration::from_millis(2000)..Duration::from_millis(2000)),
            settle: Duration::from_millis(200)..Duration::from_millis(200),
            looking_tick: Duration::from_millis(200)..Duration::from_millis(200),
            silent_ticks_max: 1,
            silent_ticks_max_joining: 1,
            election_mode: ElectionMode::Fast,
            failure_detection: FailureDetection::Heartbeat,
            session_clock: None,
            mutations: Mutations::NONE,
            machine,
            apply_sink: None,
        }
    }

    pub(crate) fn quorum<'a>(&self, servers: impl IntoIterator<Item = &'a ServerId>) -> bool {
        if self.mutations.quorum_of_one {
            return true;
        }
        self.membership.is_quorum(servers)
    }

    /// Leaves whatever role the peer had and starts a new election.
    /// Arms the tick for the role the peer has now: resending votes while LOOKING, detecting
    /// failures otherwise. Re-arming a set timer only moves its deadline.
    pub(crate) fn arm_tick(&self, role: &Role, out: &mut Out<Self>) {
        if let Some(tick) = &self.tick {
            let period = match role {
                Role::Looking(_) => self.looking_tick.clone(),
                Role::Learning(_) | Role::Leading(_) => tick.clone(),
            };
            out.set_timer(PeerTimer::Tick, period);
        }
    }

    pub(crate) fn start_looking(&self, state: &mut PeerState<M>, out: &mut Out<Self>) {
        let own_vote = self
            .membership
            .is_voter(self.me)
            .then(|| state.own_vote(self.me));
        let (election, actions) = Election::start(
            &self.membership,
            self.me,
            own_vote,
            state.election_epoch,
            self.mutations,
        );
        state.election_epoch = election.election_epoch;
        state.role = Role::Looking(election);
        self.arm_tick(&state.role, out);
        state.preparation = None;
        if self.session_clock.is_some() {
            out.cancel_timer(PeerTimer::SessionClock);
        }
        // Connections to clients close when a server stops serving; they reconnect elsewhere.
        state.waiting_clients.clear();
        state.touched_sessions.clear();
        state.waiting_syncs.clear();
        state.revalidations.waiting.clear();
        state.follower_infos_while_looking.clear();
        out.cancel_timer(PeerTimer::Settle);
        match self.election_mode {
            ElectionMode::Fast => self.perform_election_actions(state, actions, out),
            ElectionMode::Oracle => {
                out.choose_random("leader", self.membership.voters.iter().copied().collect())
            }
        }
    }

    /// The oracle chose `leader` (model checking only, see [`ElectionMode::Oracle`]).
    fn on_oracle_choice(
        &self,
        state: &mut Cow<PeerState<M>>,
        leader: ServerId,
        out: &mut Out<Self>,
    ) {
        let Role::Looking(election) = &state.role else {
            return;
        };
        let election_epoch = election.election_epoch;
        let state = state.to_mut();
        let own = state.own_vote(self.me);
        let vote = Vote { leader, ..own };
        let actions = vec![ElectionAction::Decided {
            vote,
            election_epoch,
        }];
        self.perform_election_actions(state, actions, out);
    }

    fn perform_election_actions(
        &self,
        state: &mut PeerState<M>,
        actions: Vec<ElectionAction>,
        out: &mut Out<Self>,
    ) {
        for action in actions {
            match action {
                ElectionAction::Broadcast(notification) => {
                    // To the voters only, as ZooKeeper's `sendNotifications`: observers learn the
                    // leader by asking, and answering them on every broadcast would keep an
                    // observer and a voter trading notifications until the vote ends.
                    for server in self
                        .membership
                        .voters
                        .iter()
                        .copied()
                        .filter(|server| *server != self.me)
                    {
                        out.send(id_of(server), PeerMessage::Notification(notification));
                    }
                }
                ElectionAction::Reply(server, notification) => {
                    out.send(id_of(server), PeerMessage::Notification(notification));
                }
                ElectionAction::StartSettling => {
                    out.set_timer(PeerTimer::Settle, self.settle.clone())
                }
                ElectionAction::StopSettling => out.cancel_timer(PeerTimer::Settle),
                ElectionAction::Decided {
                    vote,
                    election_epoch,
                } => {
                    state.election_epoch = election_epoch;
                    if vote.leader == self.me {
                        self.start_leading(state, vote, election_epoch, out);
                    } else {
                        self.start_learning(state, vote, election_epoch, out);
                    }
                }
            }
        }
    }

    fn start_leading(
        &self,
        state: &mut PeerState<M>,
        vote: Vote,
        election_epoch: u64,
        out: &mut Out<Self>,
    ) {
        state.role = Role::Leading(Leadership::elected(vote, election_epoch));
        self.arm_tick(&state.role, out);
        for (learner, (accepted_epoch, is_observer)) in
            std::mem::take(&mut state.follower_infos_while_looking)
        {
            self.connect_learner(state, learner, accepted_epoch, is_observer);
        }
        // A one-server ensemble is its own quorum.
        self.maybe_choose_epoch(state, out);
    }

    fn start_learning(
        &self,
        state: &mut PeerState<M>,
        vote: Vote,
        election_epoch: u64,
        out: &mut Out<Self>,
    ) {
        let is_observer = self.membership.is_observer(self.me);
        state.follower_infos_while_looking.clear();
        state.role = Role::Learning(Learner {
            leader: vote.leader,
            is_observer,
            vote,
            election_epoch,
            phase: LearnerPhase::Discovery,
            epoch: None,
            heard_from_leader: true,
            silent_ticks: 0,
        });
        self.arm_tick(&state.role, out);
        out.send(
            id_of(vote.leader),
            PeerMessage::FollowerInfo {
                accepted_epoch: state.durable.accepted_epoch,
                is_observer,
            },
        );
    }

    fn on_notification(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        notification: crate::election::Notification,
        out: &mut Out<Self>,
    ) {
        let answer = match &state.role {
            Role::Looking(_) => None,
            Role::Learning(learner) => Some(answer_when_established(
                if learner.is_observer {
                    ServerState::Observing
                } else {
                    ServerState::Following
                },
                learner.vote,
                learner.election_epoch,
            )),
            Role::Leading(leadership) => Some(answer_when_established(
                ServerState::Leading,
                leadership.vote,
                leadership.election_epoch,
            )),
        };
        if let Some(answer) = answer {
            // Only a LOOKING server needs to hear who leads.
            if notification.sender_state == ServerState::Looking {
                out.send(id_of(from), PeerMessage::Notification(answer));
            }
            return;
        }
        let state = state.to_mut();
        let Role::Looking(election) = &mut state.role else {
            unreachable!("handled above");
        };
        let actions = election.on_notification(&self.membership, from, notification);
        self.perform_election_actions(state, actions, out);
    }

    /// Answers a client read with the latest txn this server applied, if it serves, and how
    /// many it applied (its snapshot's included). The latest txn is read off the log: a server
    /// whose snapshot folded every txn it applied answers none, so the model configurations that
    /// read do not compact (the server reads its DataTree instead).
    fn on_client_read(&self, state: &PeerState<M>, client: Id, out: &mut Out<Self>) {
        if state.read_view().is_some() {
            let delivered = state.delivered();
            out.send(
                client,
                PeerMessage::ReadResult {
                    last: delivered.last().cloned(),
                    position: state.durable.base_txn_count() + delivered.len() as u64,
                },
            );
        }
    }

    /// A client's sync: the leader answers once a quorum confirmed it still leads (it has
    /// applied everything it committed); a learner asks its leader and answers when the
    /// leader's SYNC comes back behind the COMMITs sent before it.
    fn on_client_sync(&self, state: &mut Cow<PeerState<M>>, client: Id, out: &mut Out<Self>) {
        if !state.is_serving() {
            return;
        }
        let leader = match &state.role {
            Role::Leading(_) => {
                self.leader_on_sync(state.to_mut(), SyncWaiter::Client(client), out);
                return;
            }
            Role::Learning(learner) => learner.leader,
            Role::Looking(_) => unreachable!("a LOOKING server does not serve"),
        };
        let state = state.to_mut();
        let token = state.next_sync_token;
        state.next_sync_token += 1;
        state.waiting_syncs.insert(token, client);
        out.send(id_of(leader), PeerMessage::SyncRequest { token });
    }

    /// A learner's sync reaches the leader: an established leader answers on the same link,
    /// once a quorum confirmed it still leads.
    fn on_sync_request(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        token: u64,
        out: &mut Out<Self>,
    ) {
        if Self::established_with_learner(state, from) {
            let waiter = SyncWaiter::Learner {
                server: from,
                token,
            };
            self.leader_on_sync(state.to_mut(), waiter, out);
        }
    }

    /// The leader's SYNC: once the learner has applied what the leader had committed, the
    /// client that asked is answered. On a TCP link every COMMIT before the SYNC has arrived,
    /// so a learner behind `committed_through` lost messages: it commits through it if it
    /// logged the txns (a lost COMMIT), and resynchronises if it did not (a lost PROPOSAL),
    /// rather than answer from a state that misses committed writes.
    fn on_sync(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        token: u64,
        committed_through: Zxid,
        out: &mut Out<Self>,
    ) {
        let Role::Learning(learner) = &state.role else {
            return;
        };
        if learner.leader != from
            || learner.phase != LearnerPhase::Broadcast
            || !state.waiting_syncs.contains_key(&token)
        {
            return;
        }
        let state = state.to_mut();
        if committed_through > state.committed_through {
            if committed_through > state.durable.last_zxid() {
                self.start_looking(state, out);
                return;
            }
            self.commit_through(state, committed_through, out);
        }
        // A sync is answered only once this server applied what the leader had committed.
        assert!(
            state.committed_through >= committed_through,
            "a learner answers a sync at {:?} behind the leader's {committed_through:?}",
            state.committed_through
        );
        let client = state.waiting_syncs.remove(&token).expect("checked above");
        out.send(client, PeerMessage::Synced);
    }

    /// Answers the clients whose writes are among the txns this server has just applied.
    fn answer_committed_writes(
        &self,
        state: &mut PeerState<M>,
        newly_committed: &[Proposal<M::Txn>],
        out: &mut Out<Self>,
    ) {
        if state.waiting_clients.is_empty() {
            return;
        }
        for proposal in newly_committed {
            let answered = state
                .waiting_clients
                .iter()
                .position(|(_, request)| self.machine.answers(request, &proposal.payload));
            let Some(waiting_index) = answered else {
                continue;
            };
            // A write is answered once it is committed and applied here, never before.
            assert!(
                proposal.zxid <= state.committed_through,
                "a write answered at {:?} beyond the commit point {:?}",
                proposal.zxid,
                state.committed_through
            );
            let (client, _) = state.waiting_clients.remove(waiting_index);
            let position = state.durable.base_txn_count() as usize
                + state
                    .durable
                    .position(proposal.zxid)
                    .expect("a committed txn is logged");
            out.send(
                client,
                PeerMessage::WriteCommitted {
                    zxid: proposal.zxid,
                    position: position as u64 + 1,
                    payload: proposal.payload.clone(),
                },
            );
        }
    }

    /// Moves the commit point forward and applies what it newly covers; a commit point never
    /// moves backwards.
    pub(crate) fn commit_through(&self, state: &mut PeerState<M>, zxid: Zxid, out: &mut Out<Self>) {
        if zxid <= state.committed_through {
            return;
        }
        assert!(
            zxid <= state.durable.last_zxid(),
            "server {} commits {zxid:?} beyond its log ({:?})",
            self.me,
            state.durable.last_zxid()
        );
        let mut newly_committed = state.durable.after(state.committed_through);
        newly_committed.retain(|proposal| proposal.zxid <= zxid);
        let skipped = if self.mutations.apply_only_newest_commit {
            // Seeded bug: the older txns of a multi-txn commit are never applied.
            newly_committed.len().saturating_sub(1)
        } else {
            0
        };
        for proposal in &newly_committed[skipped..] {
            let outcome = self.machine.apply(&mut state.applied, proposal);
            if let Some(sink) = self.apply_sink {
                out.send(
                    sink,
                    PeerMessage::Applied {
                        zxid: proposal.zxid,
                        outcome,
                    },
                );
            }
            if let Some(preparation) = &mut state.preparation {
                self.machine.retire(preparation, proposal.zxid);
            }
        }
        state.committed_through = zxid;
        self.answer_committed_writes(state, &newly_committed, out);
    }

    /// Rebuilds the applied state from the history: after a resynchronisation replaced or cut
    /// the log under the commit point (ZooKeeper reloads its database then).
    pub(crate) fn reapply_history(&self, state: &mut PeerState<M>) {
        let mut applied = match &state.durable.snapshot {
            Some(snapshot) => snapshot.applied.clone(),
            None => self.machine.initial(),
        };
        for proposal in state.durable.through(state.committed_through) {
            self.machine.apply(&mut applied, proposal);
        }
        state.applied = applied;
    }

    /// The session clock reads `now_ms` (milliseconds of the driver's monotonic clock). An
    /// established leader proposes what the state machine submits itself (closeSession for
    /// expired sessions). The server calls this every tick on every peer; the model checker
    /// calls it from [`PeerTimer::SessionClock`].
    pub fn on_session_clock(
        &self,
        state: &mut Cow<PeerState<M>>,
        now_ms: u64,
        out: &mut Out<Self>,
    ) {
        if now_ms <= state.clock_ms && state.established_epoch().is_none() {
            return;
        }
        let state = state.to_mut();
        state.clock_ms = state.clock_ms.max(now_ms);
        if self.lease_expired(state) {
            // No quorum confirmed this leader for a lease: another may be elected from now on.
            self.start_looking(state, out);
            return;
        }
        let Some(preparation) = state.preparation.as_mut() else {
            return;
        };
        let requests = self.machine.on_clock(preparation, state.clock_ms);
        for request in requests {
            if state.established_epoch().is_none() {
                break;
            }
            self.propose(state, request, out);
        }
    }

    /// The leader's housekeeping round at wall time `wall_time_ms` (ZooKeeper's
    /// `ContainerManager`, every `znode.container.checkIntervalMs`): proposes what the machine
    /// says to clean up. Only an established leader does; elsewhere nothing happens.
    pub fn on_housekeeping_clock(
        &self,
        state: &mut Cow<PeerState<M>>,
        wall_time_ms: i64,
        out: &mut Out<Self>,
    ) {
        if state.established_epoch().is_none() || state.preparation.is_none() {
            return;
        }
        let state = state.to_mut();
        let preparation = state.preparation.as_mut().expect("checked above");
        let requests = self
            .machine
            .housekeeping(&state.applied, preparation, wall_time_ms);
        for request in requests {
            self.propose(state, request, out);
        }
    }

    /// A client of `session` showed signs of life (a request or a ping) at `now_ms`. On the
    /// leader, returns false when it does not know the session or the session is closing (the
    /// client must then be told its session expired). On a learner, returns true and keeps the
    /// touch for its next PING answer, which carries it to the leader.
    pub fn touch_session(
        &self,
        state: &mut PeerState<M>,
        session: &M::Session,
        now_ms: u64,
    ) -> bool {
        state.clock_ms = state.clock_ms.max(now_ms);
        let clock_ms = state.clock_ms;
        if let Some(preparation) = state.preparation.as_mut() {
            return self.machine.touch(preparation, session, clock_ms);
        }
        if matches!(state.role, Role::Learning(_)) {
            state.touched_sessions.insert(session.clone());
        }
        true
    }

    /// The transport lost its connection to `server` (the peer process died, or the network
    /// between them broke). A learner whose leader that was goes back to LOOKING at once,
    /// as ZooKeeper's follower does when its leader's socket closes, instead of waiting a tick
    /// for the failure detector. A leader drops the learner (it joins again with FOLLOWERINFO)
    /// and, once established, stops leading at once when the voters still linked to it are
    /// no quorum: its followers may be electing already. Safety does not rest on this: giving
    /// up at any moment is what [`FailureDetection::Oracle`] allows the checker everywhere.
    pub fn on_peer_disconnected(
        &self,
        state: &mut Cow<PeerState<M>>,
        server: ServerId,
        out: &mut Out<Self>,
    ) {
        match &state.role {
            Role::Learning(learner) if learner.leader == server => {
                self.start_looking(state.to_mut(), out);
            }
            Role::Leading(leadership) if leadership.learners.contains_key(&server) => {
                let state = state.to_mut();
                let Role::Leading(leadership) = &mut state.role else {
                    unreachable!("checked above");
                };
                leadership.learners.remove(&server);
                let mut linked: Vec<ServerId> = leadership
                    .learners
                    .iter()
                    .filter(|(_, link)| {
                        matches!(link.phase, LinkPhase::Syncing | LinkPhase::Synced)
                    })
                    .map(|(server, _)| *server)
                    .collect();
                linked.push(self.me);
                if leadership.phase == LeaderPhase::Broadcast && !self.quorum(&linked) {
                    self.start_looking(state, out);
                }
            }
            _ => {}
        }
    }

    /// Folds every committed txn into a snapshot, keeping only the uncommitted ones in the
    /// history, and returns the snapshot for the driver to write (ZooKeeper's snapshot every
    /// snapCount txns). The disk is unchanged by this: the driver writes the snapshot file, and
    /// only once it is durable may it delete the logs it covers. Learners that are behind the
    /// snapshot are then synced by SNAP.
    pub fn compact(
        &self,
        state: &mut PeerState<M>,
    ) -> Option<std::sync::Arc<super::durable::Snapshot<M::Applied>>> {
        let through = state.committed_through;
        if through <= state.durable.base_zxid() {
            return None;
        }
        let covered = state
            .durable
            .position(through)
            .expect("a committed txn is logged")
            + 1;
        let snapshot = std::sync::Arc::new(super::durable::Snapshot {
            zxid: through,
            txn_count: state.durable.base_txn_count() + covered as u64,
            applied: state.applied.clone(),
        });
        let kept = state.durable.history[covered..].to_vec();
        state.durable.replace_history(Some(snapshot.clone()), kept);
        state.durable.assert_valid();
        Some(snapshot)
    }

    /// Model checking only: arms the session clock of a newly established leader.
    pub(crate) fn arm_session_clock(&self, state: &PeerState<M>, out: &mut Out<Self>) {
        if let Some(clock) = &self.session_clock {
            if clock.next_ms(state.clock_ms).is_some() {
                out.set_timer(PeerTimer::SessionClock, clock.period());
            }
        }
    }
}

impl<M: StateMachine> Actor for Peer<M> {
    type Msg = Message<M>;
    type Timer = PeerTimer;
    type State = PeerState<M>;
    type Storage = Durable<M>;
    type Random = ServerId;

    fn on_start(
        &self,
        _id: Id,
        storage: &Option<Self::Storage>,
        out: &mut Out<Self>,
    ) -> Self::State {
        let mut durable = storage.clone().unwrap_or_default();
        durable.assert_valid();
        durable.incarnation += 1;
        save(out, durable.clone());
        // A snapshot holds committed txns only: they are applied from the start.
        let (committed_through, applied) = match &durable.snapshot {
            Some(snapshot) => (snapshot.zxid, snapshot.applied.clone()),
            None => (Zxid::ZERO, self.machine.initial()),
        };
        let mut state = PeerState::recovered(self.me, durable, committed_through, applied);
        self.start_looking(&mut state, out);
        state
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        out: &mut Out<Self>,
    ) {
        let from = server_of(src);
        match msg {
            PeerMessage::Notification(notification) => {
                self.on_notification(state, from, notification, out)
            }
            PeerMessage::FollowerInfo {
                accepted_epoch,
                is_observer,
            } => self.on_follower_info(state, from, accepted_epoch, is_observer, out),
            PeerMessage::LeaderInfo { new_epoch } => {
                self.on_leader_info(state, from, new_epoch, out)
            }
            PeerMessage::AckEpoch {
                new_epoch,
                promised,
                current_epoch,
                last_zxid,
            } => self.on_ack_epoch(
                state,
                from,
                new_epoch,
                promised,
                (current_epoch, last_zxid),
                out,
            ),
            PeerMessage::NewLeader(new_leader) => self.on_new_leader(state, from, new_leader, out),
            PeerMessage::AckNewLeader { epoch, last_zxid } => {
                self.on_ack_new_leader(state, from, epoch, last_zxid, out)
            }
            PeerMessage::UpToDate {
                epoch,
                committed_through,
            } => self.on_up_to_date(state, from, epoch, committed_through, out),
            PeerMessage::Request { request } => self.on_request(state, request, out),
            PeerMessage::Propose { proposal } => self.on_propose(state, from, proposal, out),
            PeerMessage::Ack { zxid } => self.on_ack(state, from, zxid, out),
            PeerMessage::Commit { zxid } => self.on_commit(state, from, zxid, out),
            PeerMessage::Inform { proposal } => self.on_inform(state, from, proposal, out),
            PeerMessage::Ping {
                epoch,
                round,
                touched_sessions,
            } => self.on_ping(state, from, epoch, round, touched_sessions, out),
            PeerMessage::ClientWrite { request } => self.on_client_write(state, src, request, out),
            PeerMessage::ClientRead => self.on_client_read(state, src, out),
            PeerMessage::ClientSync => self.on_client_sync(state, src, out),
            PeerMessage::SyncRequest { token } => self.on_sync_request(state, from, token, out),
            PeerMessage::Sync {
                token,
                committed_through,
            } => self.on_sync(state, from, token, committed_through, out),
            PeerMessage::ClientRevalidate { session } => {
                self.on_client_revalidate(state, src, session, out)
            }
            PeerMessage::Revalidate { token, session } => {
                self.on_revalidate(state, from, token, session, out)
            }
            PeerMessage::Revalidated {
                token,
                session,
                valid,
            } => self.on_revalidated(state, from, (token, session, valid), out),
            // The driver answers a client's tree reads itself, from `read_view`, and decides
            // its handshakes (`decide_handshake`).
            PeerMessage::ClientExists { .. }
            | PeerMessage::ClientGetData { .. }
            | PeerMessage::ClientGetChildren { .. }
            | PeerMessage::ClientSetWatches { .. }
            | PeerMessage::ClientConnect { .. } => {}
            // Replies to clients and the driver are never sent to peers.
            PeerMessage::WriteCommitted { .. }
            | PeerMessage::ReadResult { .. }
            | PeerMessage::ExistsResult { .. }
            | PeerMessage::DataResult { .. }
            | PeerMessage::ChildrenResult { .. }
            | PeerMessage::WatchNotification { .. }
            | PeerMessage::Synced
            | PeerMessage::ConnectionClosed
            | PeerMessage::SessionRevalidated { .. }
            | PeerMessage::Applied { .. } => {}
        }
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        random: &Self::Random,
        out: &mut Out<Self>,
    ) {
        self.on_oracle_choice(state, *random, out);
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        timer: &Self::Timer,
        out: &mut Out<Self>,
    ) {
        match timer {
            PeerTimer::Settle => {
                let Role::Looking(election) = &state.role else {
                    return;
                };
                if !election.settling {
                    return;
                }
                let state = state.to_mut();
                let Role::Looking(election) = &mut state.role else {
                    unreachable!("checked above");
                };
                let actions = election.on_settle_timeout(&self.membership);
                self.perform_election_actions(state, actions, out);
            }
            PeerTimer::SessionClock => {
                let Some(clock) = &self.session_clock else {
                    return;
                };
                let Some(now_ms) = clock.next_ms(state.clock_ms) else {
                    return;
                };
                if state.established_epoch().is_none() {
                    return;
                }
                self.on_session_clock(state, now_ms, out);
                if state.established_epoch().is_some() && clock.next_ms(now_ms).is_some() {
                    out.set_timer(PeerTimer::SessionClock, clock.period());
                }
            }
            PeerTimer::Tick => {
                self.arm_tick(&state.role, out);
                self.on_tick(state, out);
            }
            PeerTimer::ConfirmRound => self.on_confirm_round_timeout(state, out),
        }
    }
}
