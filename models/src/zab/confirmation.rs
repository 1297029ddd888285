//! A leader confirms it still leads before it answers a `sync`, and stops serving when its
//! lease runs out.
//!
//! A leader that was paused, or cut off without its connections breaking, still believes it
//! leads while its followers may have elected another leader and committed writes it never saw.
//! Answering a `sync` from its own state would then hand the client a read that misses
//! acknowledged writes. So a `sync` is answered only after a quorum of voters, this leader
//! included, answered a ping of a round that started after the `sync` arrived (etcd's
//! ReadIndex). A voter answers a ping of this leader's epoch only while it follows this leader
//! in that epoch; one that joined a newer leader accepted a newer epoch durably and never
//! answers again. Any quorum that established a newer leader shares a voter with the quorum
//! that confirmed the round, so no newer leader was established when the round's pings went
//! out, and every write acknowledged before the `sync` arrived is in this leader's state.
//!
//! Rounds batch: a `sync` arms [`PeerTimer::ConfirmRound`] with no delay, and the round starts
//! when it fires, which the server does once the batch of events the `sync` came in is handled;
//! so one round serves every `sync` that arrived before it started, and rounds of successive
//! batches overlap instead of queueing. The leader's tick starts a round too (its pings), and a confirmed
//! round renews the lease: from the moment its pings left, for [`Peer::leader_lease_ms`], no
//! follower that answered can have given up on this leader (see there). A leader whose lease
//! ran out stops leading at the first clock reading that shows it, before it handles anything
//! else the driver queued meanwhile.

use super::machine::StateMachine;
use super::message::PeerMessage;
use super::peer::{id_of, Peer, PeerState, PeerTimer};
use super::role::{LinkPhase, Role};
use crate::ids::{ServerId, Zxid};
use serde::{Deserialize, Serialize};
use stateright::actor::{Id, Out};
use std::collections::BTreeMap;
use std::time::Duration;

/// Who waits for a `sync` the leader answers once a round confirmed its leadership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SyncWaiter {
    /// A client connected to the leader: answered with `Synced`.
    Client(Id),
    /// A learner's `SyncRequest`: answered with `Sync { token }` on the learner's link, behind
    /// every COMMIT sent before it.
    Learner { server: ServerId, token: u64 },
}

/// The leader's confirmation rounds and lease.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Confirmation {
    /// The newest round started (0: none yet).
    pub started_round: u64,
    /// The newest round a quorum confirmed (this leader and voters that echoed it or a later
    /// one).
    pub confirmed_round: u64,
    /// When each round after the confirmed one started, by the peer's clock.
    pub round_started_ms: BTreeMap<u64, u64>,
    /// The newest round each voter echoed.
    pub echoed: BTreeMap<ServerId, u64>,
    /// Syncs waiting for a round, each with the first round started after it arrived.
    pub waiting: Vec<(u64, SyncWaiter)>,
    /// When each outstanding proposal left, by the peer's clock: a proposal a quorum
    /// acknowledged renews the lease from then, as a confirmed round does (its voters received
    /// it, so none gives up sooner than a follower timeout after), which keeps the lease fresh
    /// under a write load that delays the ping answers behind the proposals.
    pub proposed_ms: BTreeMap<Zxid, u64>,
    /// The lease runs from here: when the pings of the newest confirmed round, or the newest
    /// committed proposal, left; or when this peer was established.
    pub lease_from_ms: u64,
}

impl<M: StateMachine> Peer<M> {
    /// The leader's lease: how long after the pings of a confirmed round left it may serve.
    /// `None` without a failure detector (model configurations that study other phases) or
    /// without a clock reading that moves.
    ///
    /// A follower gives up on its leader only after `silent_ticks_max` of its ticks without a
    /// message from it: its ticks are timers, which fire late but never early, so that is never
    /// sooner than `silent_ticks_max × tick` after it received the round's ping, which left no
    /// sooner than the round started. The lease is a fifth shorter than that (clocks of two
    /// machines may run at rates up to 20 % apart) and one tick shorter again (the leader reads
    /// its clock once per batch of events, not before each one).
    pub fn leader_lease_ms(&self) -> Option<u64> {
        let tick_ms = u64::try_from(self.tick.as_ref()?.start.as_millis()).ok()?;
        let follower_timeout_ms = tick_ms * u64::from(self.silent_ticks_max.max(1));
        let lease_ms = (follower_timeout_ms * 4 / 5).checked_sub(tick_ms)?;
        (lease_ms > 0).then_some(lease_ms)
    }

    /// Whether this peer leads an established epoch whose lease has run out at its clock.
    pub fn lease_expired(&self, state: &PeerState<M>) -> bool {
        let (Some(lease_ms), Role::Leading(leadership)) = (self.leader_lease_ms(), &state.role)
        else {
            return false;
        };
        if self.quorum([&self.me]) || state.established_epoch().is_none() {
            // Alone, this peer is its own quorum: no other leader can arise.
            return false;
        }
        state.clock_ms >= leadership.confirmation.lease_from_ms + lease_ms
    }

    /// A `sync` reached the established leader: it is answered once a round that starts from
    /// now on is confirmed.
    pub(crate) fn leader_on_sync(
        &self,
        state: &mut PeerState<M>,
        waiter: SyncWaiter,
        out: &mut Out<Self>,
    ) {
        if self.mutations.leader_answers_sync_at_once {
            // Seeded bug: the leader answers from its own state, as if it surely still led.
            self.answer_sync(state.committed_through, waiter, out);
            return;
        }
        if self.quorum([&self.me]) {
            // Alone, this peer is its own quorum: nobody else can lead.
            self.answer_sync(state.committed_through, waiter, out);
            return;
        }
        let confirmation = Self::confirmation_mut(state);
        confirmation
            .waiting
            .push((confirmation.started_round + 1, waiter));
        out.set_timer(PeerTimer::ConfirmRound, Duration::ZERO..Duration::ZERO);
    }

    /// [`PeerTimer::ConfirmRound`] fired: an established leader starts the round the syncs that
    /// arrived since the last one wait for.
    pub(crate) fn on_confirm_round_timeout(
        &self,
        state: &mut std::borrow::Cow<PeerState<M>>,
        out: &mut Out<Self>,
    ) {
        let Role::Leading(leadership) = &state.role else {
            return;
        };
        let confirmation = &leadership.confirmation;
        let awaited = confirmation
            .waiting
            .iter()
            .any(|(needed, _)| *needed > confirmation.started_round);
        if awaited && state.established_epoch().is_some() {
            self.start_round(state.to_mut(), false, out);
        }
    }

    /// Starts a confirmation round: pings every voter that learns from this leader. A tick's
    /// round (`tick_round`) pings only learners with no ping outstanding, as the heartbeat does;
    /// a round for waiting syncs pings all of them at once.
    pub(crate) fn start_round(
        &self,
        state: &mut PeerState<M>,
        tick_round: bool,
        out: &mut Out<Self>,
    ) {
        let clock_ms = state.clock_ms;
        let Role::Leading(leadership) = &mut state.role else {
            unreachable!("only a leader starts rounds");
        };
        let Some(epoch) = leadership.epoch else {
            return;
        };
        let confirmation = &mut leadership.confirmation;
        confirmation.started_round += 1;
        let round = confirmation.started_round;
        confirmation.round_started_ms.insert(round, clock_ms);
        for (server, link) in leadership.learners.iter_mut() {
            if tick_round {
                // The heartbeat pings every learner, joining ones too, one ping at a time.
                if link.ping_outstanding {
                    continue;
                }
                link.ping_outstanding = true;
            } else if link.is_observer
                || !matches!(link.phase, LinkPhase::Syncing | LinkPhase::Synced)
            {
                // Only voters that take this leader's proposals can confirm it for a sync.
                continue;
            }
            out.send(
                id_of(*server),
                PeerMessage::Ping {
                    epoch,
                    round,
                    touched_sessions: Vec::new(),
                },
            );
        }
        // A one-voter ensemble confirms every round on its own.
        self.confirm_rounds(state, out);
    }

    /// A voter echoed `round` on this leader's epoch.
    pub(crate) fn leader_on_round_echo(
        &self,
        state: &mut PeerState<M>,
        from: ServerId,
        round: u64,
        out: &mut Out<Self>,
    ) {
        if !self.membership.is_voter(from) {
            return;
        }
        let confirmation = Self::confirmation_mut(state);
        let echoed = confirmation.echoed.entry(from).or_default();
        *echoed = (*echoed).max(round);
        self.confirm_rounds(state, out);
    }

    /// Moves the confirmed round to the newest one a quorum echoed, renews the lease from when
    /// it started, and answers the syncs it serves.
    fn confirm_rounds(&self, state: &mut PeerState<M>, out: &mut Out<Self>) {
        let confirmation = Self::confirmation_mut(state);
        let newest_confirmed = (confirmation.confirmed_round + 1..=confirmation.started_round)
            .rev()
            .find(|round| {
                let mut confirming: Vec<ServerId> = confirmation
                    .echoed
                    .iter()
                    .filter(|(_, echoed)| **echoed >= *round)
                    .map(|(server, _)| *server)
                    .collect();
                confirming.push(self.me);
                self.quorum(&confirming)
            });
        let Some(round) = newest_confirmed else {
            return;
        };
        let started_ms = confirmation.round_started_ms[&round];
        confirmation.lease_from_ms = confirmation.lease_from_ms.max(started_ms);
        confirmation.confirmed_round = round;
        confirmation
            .round_started_ms
            .retain(|started, _| *started > round);
        let (served, still_waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut confirmation.waiting)
            .into_iter()
            .partition(|(needed, _)| *needed <= round);
        confirmation.waiting = still_waiting;
        for (_, waiter) in served {
            self.answer_sync(state.committed_through, waiter, out);
        }
    }

    /// A proposal this leader sends now: remembered until it commits (only with a lease to
    /// renew: the model configurations without one keep their states free of send times).
    pub(crate) fn record_proposal_sent(&self, state: &mut PeerState<M>, zxid: Zxid) {
        if self.leader_lease_ms().is_none() {
            return;
        }
        let clock_ms = state.clock_ms;
        Self::confirmation_mut(state)
            .proposed_ms
            .insert(zxid, clock_ms);
    }

    /// A quorum acknowledged `zxid`: the lease runs from when it left, if that is newer.
    pub(crate) fn renew_lease_by_commit(&self, state: &mut PeerState<M>, zxid: Zxid) {
        let confirmation = Self::confirmation_mut(state);
        if let Some(sent_ms) = confirmation.proposed_ms.remove(&zxid) {
            confirmation.lease_from_ms = confirmation.lease_from_ms.max(sent_ms);
        }
    }

    /// Answers a confirmed sync. A learner's SYNC carries the leader's commit point: every
    /// COMMIT up to it went down the same link first, so a learner that has not committed
    /// through it lost messages (see `Peer::on_sync`).
    fn answer_sync(&self, committed_through: Zxid, waiter: SyncWaiter, out: &mut Out<Self>) {
        match waiter {
            SyncWaiter::Client(client) => out.send(client, PeerMessage::Synced),
            SyncWaiter::Learner { server, token } => out.send(
                id_of(server),
                PeerMessage::Sync {
                    token,
                    committed_through,
                },
            ),
        }
    }

    fn confirmation_mut(state: &mut PeerState<M>) -> &mut Confirmation {
        match &mut state.role {
            Role::Leading(leadership) => &mut leadership.confirmation,
            _ => unreachable!("caller checked the role"),
        }
    }
}
