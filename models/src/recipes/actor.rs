//! A recipe client as a stateright actor: it runs one lock machine against a server actor,
//! holds the lock for a while (a timer the checker may fire at any moment), releases it, and
//! competes again for as many rounds as it is given (a leader selector's terms). The actor only
//! carries messages; every decision is the machine's.

use super::barrier::{BarrierStatus, DoubleBarrier};
use super::fair_lock::FairLock;
use super::group::{GroupMember, MemberStatus};
use super::lock::LockKind;
use super::operation::{Input, LockStatus, Operation};
use super::single_node_lock::SingleNodeLock;
use crate::SessionId;
use stateright::actor::{model_timeout, Actor, Id, Out};
use std::borrow::Cow;

/// Between a recipe client and its server: the client's requests on its one session, the
/// server's answers and notifications in the order it sent them (TCP's order).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecipeMessage {
    Request(Operation),
    Reply(Input),
}

/// The machine a client runs. Each has the same shape: a first move that may wait (acquire,
/// enter, join), a state it then is in (holds, inside, member), and a second move (release,
/// leave).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Contender {
    Fair(FairLock),
    SingleNode(SingleNodeLock),
    Barrier(DoubleBarrier),
    Member(GroupMember),
}

impl Contender {
    /// The machine's state in a lock's terms: `Holds` is inside the barrier or in the group.
    pub fn status(&self) -> LockStatus {
        match self {
            Contender::Fair(lock) => lock.status(),
            Contender::SingleNode(lock) => lock.status(),
            Contender::Barrier(barrier) => match barrier.status() {
                BarrierStatus::Outside | BarrierStatus::Left => LockStatus::Idle,
                BarrierStatus::Entering | BarrierStatus::Leaving => LockStatus::Waiting,
                BarrierStatus::Inside => LockStatus::Holds,
                BarrierStatus::Lost => LockStatus::Lost,
            },
            Contender::Member(member) => match member.status() {
                MemberStatus::Outside | MemberStatus::Left => LockStatus::Idle,
                MemberStatus::Joining => LockStatus::Waiting,
                MemberStatus::Member => LockStatus::Holds,
                MemberStatus::Lost => LockStatus::Lost,
            },
        }
    }

    /// What a lock contender asks for (the single-node lock is exclusive); `None` for the
    /// barrier and the group.
    pub fn kind(&self) -> Option<LockKind> {
        match self {
            Contender::Fair(lock) => Some(lock.kind()),
            Contender::SingleNode(_) => Some(LockKind::Exclusive),
            Contender::Barrier(_) | Contender::Member(_) => None,
        }
    }

    pub fn node_path(&self) -> Option<String> {
        match self {
            Contender::Fair(lock) => lock.node_path(),
            Contender::SingleNode(lock) => lock.node_path(),
            Contender::Barrier(barrier) => Some(barrier.node_path()),
            Contender::Member(member) => Some(member.node_path()),
        }
    }

    fn acquire(&mut self) -> Vec<Operation> {
        match self {
            Contender::Fair(lock) => lock.acquire(),
            Contender::SingleNode(lock) => lock.acquire(),
            Contender::Barrier(barrier) => barrier.enter(),
            Contender::Member(member) => member.join(),
        }
    }

    fn release(&mut self) -> Vec<Operation> {
        match self {
            Contender::Fair(lock) => lock.release(),
            Contender::SingleNode(lock) => lock.release(),
            Contender::Barrier(barrier) => barrier.leave(),
            Contender::Member(member) => member.leave(),
        }
    }

    fn on_input(&mut self, input: Input) -> Vec<Operation> {
        match self {
            Contender::Fair(lock) => lock.on_input(input),
            Contender::SingleNode(lock) => lock.on_input(input),
            Contender::Barrier(barrier) => barrier.on_input(input),
            Contender::Member(member) => member.on_input(input),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecipeClient {
    pub server: Id,
    pub contender: Contender,
    /// How many times it acquires and releases (more than one: a leader selector; none: it
    /// never releases, as a group member that stays).
    pub rounds: u8,
    /// Acquires a second time while holding, and releases twice (re-entrance).
    pub reentrant: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecipeClientState {
    pub contender: Contender,
    /// The rounds it is to run (the actor's, repeated here for the checker's properties).
    pub rounds: u8,
    /// Rounds whose release has begun.
    pub rounds_done: u8,
    /// How many times it came to hold the lock.
    pub acquisitions: u8,
}

impl RecipeClientState {
    /// Holds the lock, as far as this client has heard.
    pub fn holds(&self) -> bool {
        self.contender.status() == LockStatus::Holds
    }

    /// Heard that its session expired, or found its node gone.
    pub fn lost(&self) -> bool {
        self.contender.status() == LockStatus::Lost
    }
}

/// The timers of a recipe model: a holder's work is done and it releases; a session's clock
/// runs out at its server (the checker's model server sets those).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecipeTimer {
    Release,
    ExpireSession(SessionId),
}

impl RecipeClient {
    fn send(&self, operations: Vec<Operation>, out: &mut Out<Self>) {
        for operation in operations {
            out.send(self.server, RecipeMessage::Request(operation));
        }
    }
}

impl Actor for RecipeClient {
    type Msg = RecipeMessage;
    type Timer = RecipeTimer;
    type State = RecipeClientState;
    type Storage = ();
    type Random = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, out: &mut Out<Self>) -> RecipeClientState {
        let mut contender = self.contender.clone();
        let operations = contender.acquire();
        self.send(operations, out);
        RecipeClientState {
            contender,
            rounds: self.rounds,
            rounds_done: 0,
            acquisitions: 0,
        }
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<RecipeClientState>,
        _src: Id,
        msg: RecipeMessage,
        out: &mut Out<Self>,
    ) {
        let RecipeMessage::Reply(input) = msg else {
            return;
        };
        let state = state.to_mut();
        let held = state.holds();
        let mut operations = state.contender.on_input(input);
        if state.holds() && !held {
            state.acquisitions += 1;
            if self.reentrant {
                operations.extend(state.contender.acquire());
            }
            if state.rounds_done < state.rounds {
                out.set_timer(RecipeTimer::Release, model_timeout());
            }
        }
        if state.contender.status() == LockStatus::Idle && state.rounds_done < state.rounds {
            // The last round's release is done: compete again.
            operations.extend(state.contender.acquire());
        }
        self.send(operations, out);
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<RecipeClientState>,
        timer: &RecipeTimer,
        out: &mut Out<Self>,
    ) {
        if *timer != RecipeTimer::Release || !state.holds() {
            return;
        }
        let state = state.to_mut();
        let mut operations = state.contender.release();
        if self.reentrant {
            assert!(
                operations.is_empty(),
                "the first release keeps the second hold"
            );
            assert!(
                state.holds(),
                "a re-entrant holder still holds after one release"
            );
            operations = state.contender.release();
        }
        state.rounds_done += 1;
        self.send(operations, out);
    }
}
