//! The learner's side of ZAB (followers and observers): accept the leader's epoch, take its
//! history (DIFF, TRUNC or SNAP), make it durable before acknowledging NEWLEADER, then log and
//! acknowledge proposals and apply commits.

use super::machine::StateMachine;
use super::message::{NewLeader, PeerMessage, Proposal, SyncKind};
use super::peer::{id_of, save, ElectionMode, FailureDetection, Peer, PeerState};
use super::role::{Learner, LearnerPhase, Role};
use crate::ids::{Epoch, ServerId, Zxid};
use stateright::actor::Out;
use std::borrow::Cow;

impl<M: StateMachine> Peer<M> {
    /// The learner state, when this peer learns from `from`.
    fn learner_of(state: &PeerState<M>, from: ServerId) -> Option<&Learner> {
        match &state.role {
            Role::Learning(learner) if learner.leader == from => Some(learner),
            _ => None,
        }
    }

    fn learner_mut(state: &mut PeerState<M>) -> &mut Learner {
        match &mut state.role {
            Role::Learning(learner) => learner,
            _ => unreachable!("caller checked the role"),
        }
    }

    /// The zxid the leader of `epoch` proposes after this learner's last txn: leaders number
    /// their proposals 1, 2, 3... within their epoch.
    fn next_zxid(state: &PeerState<M>, epoch: Epoch) -> Option<Zxid> {
        let last = state.durable.last_zxid();
        if last.epoch() == epoch {
            last.next_in_epoch()
        } else {
            Some(Zxid::new(epoch, 1))
        }
    }

    /// Appends a PROPOSAL or INFORM that follows the history's last txn; one that does not
    /// means a txn in between never arrived: the link to the leader lost messages, which a TCP
    /// connection only does by breaking. Logging it would leave a hole in the history, so the
    /// learner resynchronises instead and this returns false.
    fn append_next(
        &self,
        state: &mut PeerState<M>,
        proposal: Proposal<M::Txn>,
        out: &mut Out<Self>,
    ) -> bool {
        if Some(proposal.zxid) != Self::next_zxid(state, proposal.zxid.epoch()) {
            self.start_looking(state, out);
            return false;
        }
        state.durable.append(proposal);
        true
    }

    pub(crate) fn on_leader_info(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        new_epoch: Epoch,
        out: &mut Out<Self>,
    ) {
        let Some(learner) = Self::learner_of(state, from) else {
            return;
        };
        if learner.phase != LearnerPhase::Discovery {
            return;
        }
        let state = state.to_mut();
        if new_epoch < state.durable.accepted_epoch {
            // This server promised a newer epoch to someone else.
            self.start_looking(state, out);
            return;
        }
        let promised = new_epoch > state.durable.accepted_epoch;
        if promised {
            state.durable.accepted_epoch = new_epoch;
            save(out, state.durable.clone());
        }
        // ACKEPOCH promises `new_epoch` only once acceptedEpoch says so (saved above).
        assert_eq!(
            state.durable.accepted_epoch, new_epoch,
            "ACKEPOCH without acceptedEpoch at the new epoch"
        );
        let learner = Self::learner_mut(state);
        learner.heard_from_leader = true;
        learner.phase = LearnerPhase::Synchronization;
        learner.epoch = Some(new_epoch);
        out.send(
            id_of(from),
            PeerMessage::AckEpoch {
                new_epoch,
                promised,
                current_epoch: state.durable.current_epoch,
                last_zxid: state.durable.last_zxid(),
            },
        );
    }

    pub(crate) fn on_new_leader(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        new_leader: NewLeader<M::Txn, M::Applied>,
        out: &mut Out<Self>,
    ) {
        let NewLeader {
            epoch,
            kind,
            snapshot,
            sync_point,
            proposals,
        } = new_leader;
        let Some(learner) = Self::learner_of(state, from) else {
            return;
        };
        if learner.phase != LearnerPhase::Synchronization || learner.epoch != Some(epoch) {
            return;
        }
        let state = state.to_mut();
        let before = state.durable.clone();
        let reported_last = proposals
            .last()
            .map_or(sync_point, |proposal| proposal.zxid);
        match kind {
            SyncKind::Diff => {
                let mut proposals = proposals.into_iter().filter(|p| p.zxid > sync_point);
                if self.mutations.diff_marked_applied_before_applied {
                    // Seeded bug: only the first txn is applied, all are claimed.
                    if let Some(first) = proposals.next() {
                        if first.zxid > state.durable.last_zxid() {
                            state.durable.append(first);
                        }
                    }
                } else {
                    for proposal in proposals {
                        if proposal.zxid > state.durable.last_zxid() {
                            state.durable.append(proposal);
                        }
                    }
                }
            }
            SyncKind::Trunc => {
                state.durable.truncate_after(sync_point);
                for proposal in proposals {
                    state.durable.append(proposal);
                }
            }
            SyncKind::Snap => state.durable.replace_history(snapshot, proposals),
        }
        // A commit point can only cover what the log now holds, and what is applied must be
        // rebuilt from the log as it now is (ZooKeeper reloads its database after TRUNC or SNAP).
        state.committed_through = state
            .committed_through
            .min(state.durable.last_zxid())
            .max(state.durable.base_zxid());
        if kind != SyncKind::Diff {
            self.reapply_history(state);
        }
        state.durable.current_epoch = epoch;
        if self.mutations.ack_new_leader_before_durable {
            // Seeded bug: nothing is saved until UPTODATE.
        } else if self.mutations.current_epoch_before_txns {
            // Seeded bug: the epoch file is written, the txns only at UPTODATE.
            let mut premature = before;
            premature.current_epoch = epoch;
            save(out, premature);
        } else {
            // Txns first, then currentEpoch (the driver orders them within one Save).
            save(out, state.durable.clone());
        }
        let last_zxid = if self.mutations.diff_marked_applied_before_applied {
            reported_last.max(state.durable.last_zxid())
        } else {
            state.durable.last_zxid()
        };
        // The ACK of NEWLEADER says the learner holds the leader's history as of `epoch`.
        assert_eq!(
            state.durable.current_epoch, epoch,
            "ACK of NEWLEADER before currentEpoch"
        );
        assert!(
            state.durable.last_zxid().epoch() <= epoch,
            "a learner synced to epoch {epoch:?} holds a txn of a later epoch"
        );
        let learner = Self::learner_mut(state);
        learner.heard_from_leader = true;
        learner.phase = LearnerPhase::Synced;
        out.send(id_of(from), PeerMessage::AckNewLeader { epoch, last_zxid });
    }

    pub(crate) fn on_up_to_date(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        epoch: Epoch,
        committed_through: Zxid,
        out: &mut Out<Self>,
    ) {
        let Some(learner) = Self::learner_of(state, from) else {
            return;
        };
        if learner.phase != LearnerPhase::Synced || learner.epoch != Some(epoch) {
            return;
        }
        let state = state.to_mut();
        if self.mutations.ack_new_leader_before_durable || self.mutations.current_epoch_before_txns
        {
            save(out, state.durable.clone());
        }
        let learner = Self::learner_mut(state);
        learner.heard_from_leader = true;
        learner.phase = LearnerPhase::Broadcast;
        let through = committed_through.min(state.durable.last_zxid());
        self.commit_through(state, through, out);
    }

    pub(crate) fn on_propose(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        proposal: Proposal<M::Txn>,
        out: &mut Out<Self>,
    ) {
        let Some(learner) = Self::learner_of(state, from) else {
            return;
        };
        if learner.is_observer
            || !matches!(
                learner.phase,
                LearnerPhase::Synced | LearnerPhase::Broadcast
            )
            || learner.epoch != Some(proposal.zxid.epoch())
            || proposal.zxid <= state.durable.last_zxid()
        {
            return;
        }
        let state = state.to_mut();
        let zxid = proposal.zxid;
        if !self.append_next(state, proposal, out) {
            return;
        }
        if !self.mutations.ack_proposal_before_logged {
            save(out, state.durable.clone());
        }
        // An ACK covers every txn up to `zxid` (the leader counts it so): the learner's log
        // ends at `zxid`, with no hole before it (`append_next`).
        assert_eq!(
            state.durable.last_zxid(),
            zxid,
            "ACK of a txn not at the log's end"
        );
        Self::learner_mut(state).heard_from_leader = true;
        out.send(id_of(from), PeerMessage::Ack { zxid });
    }

    pub(crate) fn on_commit(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        zxid: Zxid,
        out: &mut Out<Self>,
    ) {
        let Some(learner) = Self::learner_of(state, from) else {
            return;
        };
        // A COMMIT of a txn this learner never logged means its PROPOSAL was lost (a TCP link
        // loses messages only by breaking): it is ignored here, and the next PROPOSAL's hole or
        // the next SYNC's commit point makes the learner resynchronise (`append_next`,
        // `Peer::on_sync`). Resynchronising at once would be as safe and only adds schedules.
        if !matches!(
            learner.phase,
            LearnerPhase::Synced | LearnerPhase::Broadcast
        ) || !state.durable.contains(zxid)
        {
            return;
        }
        let state = state.to_mut();
        if self.mutations.ack_proposal_before_logged {
            save(out, state.durable.clone());
        }
        Self::learner_mut(state).heard_from_leader = true;
        if Self::learner_mut(state).phase == LearnerPhase::Broadcast {
            self.commit_through(state, zxid, out);
        }
    }

    pub(crate) fn on_inform(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        proposal: Proposal<M::Txn>,
        out: &mut Out<Self>,
    ) {
        let Some(learner) = Self::learner_of(state, from) else {
            return;
        };
        if !learner.is_observer
            || !matches!(
                learner.phase,
                LearnerPhase::Synced | LearnerPhase::Broadcast
            )
            || learner.epoch != Some(proposal.zxid.epoch())
        {
            return;
        }
        let state = state.to_mut();
        let zxid = proposal.zxid;
        if zxid > state.durable.last_zxid() {
            if !self.append_next(state, proposal, out) {
                return;
            }
            save(out, state.durable.clone());
        }
        Self::learner_mut(state).heard_from_leader = true;
        if Self::learner_mut(state).phase == LearnerPhase::Broadcast {
            self.commit_through(state, zxid, out);
        }
    }

    pub(crate) fn on_ping(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        epoch: Epoch,
        round: u64,
        touched_sessions: Vec<M::Session>,
        out: &mut Out<Self>,
    ) {
        if matches!(state.role, Role::Leading(_)) {
            self.leader_on_ping(state, from, epoch, round, touched_sessions, out);
            return;
        }
        let Some(learner) = Self::learner_of(state, from) else {
            return;
        };
        if learner.epoch != Some(epoch) {
            return;
        }
        let state = state.to_mut();
        Self::learner_mut(state).heard_from_leader = true;
        let touched_sessions = std::mem::take(&mut state.touched_sessions)
            .into_iter()
            .collect();
        out.send(
            id_of(from),
            PeerMessage::Ping {
                epoch,
                round,
                touched_sessions,
            },
        );
    }

    pub(crate) fn on_tick(&self, state: &mut Cow<PeerState<M>>, out: &mut Out<Self>) {
        if self.failure_detection == FailureDetection::Oracle
            && !matches!(state.role, Role::Looking(_))
        {
            self.start_looking(state.to_mut(), out);
            return;
        }
        match &state.role {
            Role::Looking(_) if self.election_mode == ElectionMode::Oracle => {}
            Role::Looking(election) => {
                // An election that has not ended within a tick resends the vote to every voter,
                // as ZooKeeper does on its notification timeout. Resending only to voters not
                // heard from can stall: a voter already tallied with a worse vote may never learn
                // of the better one if that broadcast was lost.
                let notification = election.notification();
                for server in self
                    .membership
                    .voters
                    .iter()
                    .filter(|server| **server != self.me)
                {
                    out.send(id_of(*server), PeerMessage::Notification(notification));
                }
            }
            Role::Learning(learner) => {
                let limit = if learner.phase == LearnerPhase::Broadcast {
                    self.silent_ticks_max
                } else {
                    self.silent_ticks_max_joining
                };
                let state = state.to_mut();
                let accepted_epoch = state.durable.accepted_epoch;
                let learner = Self::learner_mut(state);
                if learner.heard_from_leader {
                    learner.heard_from_leader = false;
                    learner.silent_ticks = 0;
                } else {
                    learner.silent_ticks += 1;
                    if learner.silent_ticks >= limit.max(1) {
                        self.start_looking(state, out);
                        return;
                    }
                }
                if learner.phase == LearnerPhase::Discovery {
                    // The leader may have been still LOOKING when FOLLOWERINFO arrived, or the
                    // connection may have dropped it: ask again, as ZooKeeper's learner retries
                    // its connection to the leader.
                    out.send(
                        id_of(learner.leader),
                        PeerMessage::FollowerInfo {
                            accepted_epoch,
                            is_observer: learner.is_observer,
                        },
                    );
                }
            }
            Role::Leading(_) => self.leader_tick(state, out),
        }
    }
}
