//! The driver's persist, one disk step at a time. A peer's step saves its whole durable state;
//! the server's driver turns that into the models' [`PersistPlan`] (snapshot, truncation,
//! append and fsync, `acceptedEpoch`, `currentEpoch`) and performs the steps in order, each
//! durable before the next, and only then lets the step's messages out. While it persists it
//! takes no other input (the core waits for the disk). A crash may come between any two steps:
//! the restart then recovers what [`PersistPlan::durable_after_steps`] says the disk holds.

use stateright::actor::{Command, Id};
use std::ops::Range;
use std::time::Duration;
use zabkeeper_models::zab::{Durable, DurableState, Message, PeerTimer, PersistPlan, StateMachine};
use zabkeeper_models::ServerId;

/// A peer's command, as the model's node issues it.
pub type PeerCommand<M> = Command<Message<M>, PeerTimer, ServerId, Durable<M>>;

/// A command of a peer's step held back until its persist is done.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HeldCommand<M: StateMachine> {
    Send(Id, Message<M>),
    SetTimer(PeerTimer, Range<Duration>),
    CancelTimer(PeerTimer),
    ChooseRandom(String, Vec<ServerId>),
}

impl<M: StateMachine> HeldCommand<M> {
    fn hold(command: PeerCommand<M>) -> HeldCommand<M> {
        match command {
            Command::Send(to, message) => HeldCommand::Send(to, message),
            Command::SetTimer(timer, range) => HeldCommand::SetTimer(timer, range),
            Command::CancelTimer(timer) => HeldCommand::CancelTimer(timer),
            Command::ChooseRandom(key, choices) => HeldCommand::ChooseRandom(key, choices),
            Command::Save(_) => unreachable!("the save is what is being persisted"),
        }
    }

    fn release(self) -> PeerCommand<M> {
        match self {
            HeldCommand::Send(to, message) => Command::Send(to, message),
            HeldCommand::SetTimer(timer, range) => Command::SetTimer(timer, range),
            HeldCommand::CancelTimer(timer) => Command::CancelTimer(timer),
            HeldCommand::ChooseRandom(key, choices) => Command::ChooseRandom(key, choices),
        }
    }
}

/// A persist under way.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Persisting<M: StateMachine> {
    /// What the disk held before the first step.
    disk_before: Durable<M>,
    plan: PersistPlan<M::Txn, M::Applied>,
    /// The state the peer saved: what the disk holds once every step is done.
    saved: Durable<M>,
    completed_steps: usize,
    /// The step's other commands, in their order.
    held: Vec<HeldCommand<M>>,
}

impl<M: StateMachine> Persisting<M> {
    /// Starts persisting what `commands` save over a disk holding `disk`, holding the other
    /// commands back; or gives the commands back when there is nothing to do in steps (no
    /// save, or a plan of one step, which a crash can only precede or follow).
    pub fn start(
        disk: &Durable<M>,
        commands: Vec<PeerCommand<M>>,
    ) -> Result<Persisting<M>, Vec<PeerCommand<M>>> {
        let saved = commands.iter().rev().find_map(|command| match command {
            Command::Save(saved) => Some(saved.clone()),
            _ => None,
        });
        let Some(saved) = saved else {
            return Err(commands);
        };
        let plan = PersistPlan::between(disk, &saved);
        if plan.steps.len() <= 1 {
            return Err(commands);
        }
        let mut planned = plan
            .durable_after(disk)
            .expect("a plan applies to the disk it was made for");
        planned.incarnation = saved.incarnation;
        assert_eq!(planned, saved, "the plan's steps end at the saved state");
        let held = commands
            .into_iter()
            .filter(|command| !matches!(command, Command::Save(_)))
            .map(HeldCommand::hold)
            .collect();
        Ok(Persisting {
            disk_before: disk.clone(),
            plan,
            saved,
            completed_steps: 0,
            held,
        })
    }

    /// How many of the plan's steps the disk holds.
    pub fn completed_steps(&self) -> usize {
        self.completed_steps
    }

    /// Performs the next step: what the disk holds after it, and whether it was the last.
    pub fn advance(&mut self) -> (Durable<M>, bool) {
        self.completed_steps += 1;
        let done = self.completed_steps == self.plan.steps.len();
        if done {
            return (self.saved.clone(), true);
        }
        let mut disk = self
            .plan
            .durable_after_steps(&self.disk_before, self.completed_steps)
            .expect("a plan applies to the disk it was made for");
        // The plan writes no start count; a step's save keeps the one the disk had.
        disk.incarnation = self.saved.incarnation;
        (disk, false)
    }

    /// The commands held back, once the disk holds everything.
    pub fn release(self) -> Vec<PeerCommand<M>> {
        assert_eq!(
            self.completed_steps,
            self.plan.steps.len(),
            "durability before messages: every step is done before the sends leave"
        );
        self.held.into_iter().map(HeldCommand::release).collect()
    }
}

/// Whether the server refuses to start from `disk`, by the startup rules of Apache ZooKeeper's
/// `QuorumPeer.loadDataBase` that `src/storage/recovery.rs` keeps: `currentEpoch` behind the
/// epoch of the last logged txn (with no leftover of an interrupted `currentEpoch` write, which
/// the model's atomic epoch write never leaves), or `acceptedEpoch` below `currentEpoch`. A
/// crash between a sync's log fsync and its `currentEpoch` write leaves the first.
pub fn refused_at_start<T: Clone, A>(disk: &DurableState<T, A>) -> bool {
    disk.last_zxid().epoch() > disk.current_epoch || disk.accepted_epoch < disk.current_epoch
}
