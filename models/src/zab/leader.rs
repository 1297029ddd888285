//! The leader's side of ZAB: discovery (choose an epoch above every epoch a quorum accepted),
//! synchronisation (DIFF, TRUNC or SNAP each learner to the leader's history, then wait for a
//! quorum of NEWLEADER acks) and broadcast (propose, count acks, commit in zxid order).

use super::machine::StateMachine;
use super::message::{NewLeader, PeerMessage, Proposal, SyncKind};
use super::peer::{id_of, save, Durable, Peer, PeerState};
use super::role::{LeaderPhase, Leadership, LearnerLink, LinkPhase, Role};
use crate::ids::{Epoch, ServerId, Zxid};
use stateright::actor::{Id, Out};
use std::borrow::Cow;

impl<M: StateMachine> Peer<M> {
    fn leadership(state: &PeerState<M>) -> Option<&Leadership> {
        match &state.role {
            Role::Leading(leadership) => Some(leadership),
            _ => None,
        }
    }

    fn leadership_mut(state: &mut PeerState<M>) -> &mut Leadership {
        match &mut state.role {
            Role::Leading(leadership) => leadership,
            _ => unreachable!("caller checked the role"),
        }
    }

    /// Whether this peer is an established leader whose link to `learner` takes proposals:
    /// the learner's SYNC and REVALIDATE are answered only then, on that link.
    pub(crate) fn established_with_learner(state: &PeerState<M>, learner: ServerId) -> bool {
        let Some(leadership) = Self::leadership(state) else {
            return false;
        };
        let linked = leadership
            .learners
            .get(&learner)
            .is_some_and(|link| matches!(link.phase, LinkPhase::Syncing | LinkPhase::Synced));
        linked && state.established_epoch().is_some()
    }

    pub(crate) fn on_follower_info(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        accepted_epoch: Epoch,
        is_observer: bool,
        out: &mut Out<Self>,
    ) {
        if let Role::Looking(_) = state.role {
            // This server may be about to lead: the learner decided first.
            state
                .to_mut()
                .follower_infos_while_looking
                .insert(from, (accepted_epoch, is_observer));
            return;
        }
        if Self::leadership(state).is_none() {
            return;
        }
        let state = state.to_mut();
        if !self.connect_learner(state, from, accepted_epoch, is_observer) {
            return;
        }
        match Self::leadership_mut(state).epoch {
            Some(epoch) => out.send(id_of(from), PeerMessage::LeaderInfo { new_epoch: epoch }),
            None => self.maybe_choose_epoch(state, out),
        }
    }

    /// Records a learner's FOLLOWERINFO on this leader; false when it claims to be what the
    /// configuration says it is not.
    pub(crate) fn connect_learner(
        &self,
        state: &mut PeerState<M>,
        from: ServerId,
        accepted_epoch: Epoch,
        is_observer: bool,
    ) -> bool {
        if is_observer != self.membership.is_observer(from) {
            // A learner must join as what the configuration says it is.
            return false;
        }
        let leadership = Self::leadership_mut(state);
        leadership.heard.insert(from);
        // A learner that reconnects starts its link over.
        leadership.learners.insert(
            from,
            LearnerLink {
                is_observer,
                accepted_epoch,
                phase: LinkPhase::Connected,
                ping_outstanding: false,
            },
        );
        true
    }

    /// Discovery: once a quorum has connected, propose an epoch above every accepted epoch, make
    /// it this server's accepted epoch (durably), and tell the learners.
    pub(crate) fn maybe_choose_epoch(&self, state: &mut PeerState<M>, out: &mut Out<Self>) {
        let accepted_epoch = state.durable.accepted_epoch;
        let leadership = Self::leadership_mut(state);
        assert_eq!(leadership.phase, LeaderPhase::Discovery);
        assert!(leadership.epoch.is_none());
        let mut connected: Vec<ServerId> = leadership.learners.keys().copied().collect();
        connected.push(self.me);
        if !self.quorum(&connected) {
            return;
        }
        let highest = leadership
            .learners
            .values()
            .map(|link| link.accepted_epoch)
            .chain([accepted_epoch])
            .max()
            .expect("the leader itself is counted");
        let new_epoch = if self.mutations.leader_reuses_accepted_epoch {
            Some(highest)
        } else {
            highest.next()
        };
        let Some(new_epoch) = new_epoch else {
            // The epoch space is exhausted; no server can lead again.
            return;
        };
        leadership.epoch = Some(new_epoch);
        leadership.epoch_acks.insert(self.me);
        let learners: Vec<ServerId> = leadership.learners.keys().copied().collect();
        state.durable.accepted_epoch = new_epoch;
        save(out, state.durable.clone());
        for learner in learners {
            out.send(id_of(learner), PeerMessage::LeaderInfo { new_epoch });
        }
        self.maybe_finish_discovery(state, out);
    }

    pub(crate) fn on_ack_epoch(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        new_epoch: Epoch,
        promised: bool,
        (current_epoch, last_zxid): (Epoch, Zxid),
        out: &mut Out<Self>,
    ) {
        let Some(leadership) = Self::leadership(state) else {
            return;
        };
        if leadership.epoch != Some(new_epoch)
            || leadership.learners.get(&from).map(|link| link.phase) != Some(LinkPhase::Connected)
        {
            return;
        }
        let phase = leadership.phase;
        let state = state.to_mut();
        if phase == LeaderPhase::Discovery
            && (current_epoch, last_zxid) > (state.durable.current_epoch, state.durable.last_zxid())
        {
            // A quorum member knows more than this leader: FLE chose wrongly (its information
            // was stale). Give up and elect again rather than lose that member's txns.
            self.start_looking(state, out);
            return;
        }
        let is_voter = self.membership.is_voter(from);
        let leadership = Self::leadership_mut(state);
        leadership.heard.insert(from);
        let link = leadership.learners.get_mut(&from).expect("checked above");
        link.phase = LinkPhase::EpochAcked { last_zxid };
        if is_voter && (promised || self.mutations.count_repeated_epoch_acks) {
            leadership.epoch_acks.insert(from);
        }
        match phase {
            LeaderPhase::Discovery => self.maybe_finish_discovery(state, out),
            LeaderPhase::Synchronization | LeaderPhase::Broadcast => {
                self.sync_learner(state, from, last_zxid, out)
            }
        }
    }

    /// Discovery ends when a quorum acknowledged the epoch: this leader's history becomes the
    /// epoch's initial history (`currentEpoch` written) and every acked learner is synced.
    fn maybe_finish_discovery(&self, state: &mut PeerState<M>, out: &mut Out<Self>) {
        let leadership = Self::leadership_mut(state);
        if leadership.phase != LeaderPhase::Discovery || !self.quorum(&leadership.epoch_acks) {
            return;
        }
        let epoch = leadership.epoch.expect("acks follow the epoch");
        leadership.phase = LeaderPhase::Synchronization;
        leadership.new_leader_acks.insert(self.me);
        let acked: Vec<(ServerId, Zxid)> = leadership
            .learners
            .iter()
            .filter_map(|(server, link)| match link.phase {
                LinkPhase::EpochAcked { last_zxid } => Some((*server, last_zxid)),
                _ => None,
            })
            .collect();
        assert!(state.durable.current_epoch < epoch);
        state.durable.current_epoch = epoch;
        save(out, state.durable.clone());
        for (learner, last_zxid) in acked {
            self.sync_learner(state, learner, last_zxid, out);
        }
        self.maybe_establish(state, out);
    }

    /// Chooses how to bring a learner whose last zxid is `learner_last` to this leader's history.
    pub fn plan_sync(
        &self,
        state: &PeerState<M>,
        learner_last: Zxid,
    ) -> (SyncKind, Zxid, Vec<Proposal<M::Txn>>) {
        let durable = &state.durable;
        if self.mutations.leader_skips_truncation {
            return (SyncKind::Diff, learner_last, durable.after(learner_last));
        }
        let base = durable.base_zxid();
        let (kind, sync_point) = if learner_last == Zxid::ZERO || durable.contains(learner_last) {
            (SyncKind::Diff, learner_last)
        } else if learner_last > durable.last_zxid() {
            (SyncKind::Trunc, durable.last_zxid())
        } else {
            // The learner holds txns this leader does not: keep the longest common prefix.
            let common = durable
                .history
                .iter()
                .rev()
                .map(|proposal| proposal.zxid)
                .find(|zxid| *zxid < learner_last)
                .unwrap_or(Zxid::ZERO);
            (SyncKind::Trunc, common)
        };
        let retained_from = match self.diff_window {
            Some(window) => durable.history.len().saturating_sub(window),
            None => 0,
        };
        let oldest_retained_predecessor = match retained_from {
            0 => base,
            index => durable.history[index - 1].zxid,
        };
        if sync_point < oldest_retained_predecessor {
            return (SyncKind::Snap, Zxid::ZERO, durable.history.to_vec());
        }
        (kind, sync_point, durable.after(sync_point))
    }

    fn sync_learner(
        &self,
        state: &mut PeerState<M>,
        learner: ServerId,
        learner_last: Zxid,
        out: &mut Out<Self>,
    ) {
        let (kind, sync_point, proposals) = self.plan_sync(state, learner_last);
        let snapshot = match kind {
            SyncKind::Snap => state.durable.snapshot.clone(),
            SyncKind::Diff | SyncKind::Trunc => None,
        };
        let last_logged = state.durable.last_zxid();
        let current_epoch = state.durable.current_epoch;
        let leadership = Self::leadership_mut(state);
        let epoch = leadership.epoch.expect("syncing happens in an epoch");
        // NEWLEADER promises the learner this leader's history of `epoch`: the leader wrote
        // `epoch` as its currentEpoch before syncing anyone, and sends its own logged txns, in
        // zxid order, after the sync point.
        assert_eq!(
            current_epoch, epoch,
            "NEWLEADER before currentEpoch was written"
        );
        assert!(
            kind != SyncKind::Snap || sync_point == Zxid::ZERO,
            "a SNAP replaces the whole history"
        );
        assert!(
            proposals.windows(2).all(|pair| pair[0].zxid < pair[1].zxid)
                && proposals
                    .first()
                    .is_none_or(|first| first.zxid > sync_point)
                && proposals.last().is_none_or(|last| last.zxid <= last_logged),
            "NEWLEADER carries logged txns in zxid order after its sync point"
        );
        let link = leadership
            .learners
            .get_mut(&learner)
            .expect("a connected learner");
        link.phase = LinkPhase::Syncing;
        out.send(
            id_of(learner),
            PeerMessage::NewLeader(NewLeader {
                epoch,
                kind,
                snapshot,
                sync_point,
                proposals,
            }),
        );
    }

    pub(crate) fn on_ack_new_leader(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        epoch: Epoch,
        last_zxid: Zxid,
        out: &mut Out<Self>,
    ) {
        let Some(leadership) = Self::leadership(state) else {
            return;
        };
        if leadership.epoch != Some(epoch)
            || leadership.learners.get(&from).map(|link| link.phase) != Some(LinkPhase::Syncing)
        {
            return;
        }
        let is_voter = self.membership.is_voter(from);
        let state = state.to_mut();
        let committed_through = state.committed_through;
        let leadership = Self::leadership_mut(state);
        leadership.heard.insert(from);
        leadership
            .learners
            .get_mut(&from)
            .expect("checked above")
            .phase = LinkPhase::Synced;
        if is_voter {
            leadership.new_leader_acks.insert(from);
            // The learner logged every proposal it was sent with NEWLEADER.
            for (_, acks) in leadership.outstanding.range_mut(..=last_zxid) {
                acks.insert(from);
            }
        }
        match leadership.phase {
            LeaderPhase::Discovery => unreachable!("NEWLEADER is sent after discovery"),
            LeaderPhase::Synchronization => self.maybe_establish(state, out),
            LeaderPhase::Broadcast => {
                assert_uptodate_is_durable::<M>(&state.durable, epoch, committed_through);
                out.send(
                    id_of(from),
                    PeerMessage::UpToDate {
                        epoch,
                        committed_through,
                    },
                );
                self.commit_ready(state, out);
            }
        }
    }

    /// A quorum holds the new epoch's initial history durably: it is committed, and the leader
    /// starts serving.
    fn maybe_establish(&self, state: &mut PeerState<M>, out: &mut Out<Self>) {
        let clock_ms = state.clock_ms;
        let leadership = Self::leadership_mut(state);
        let confirmed = self.quorum(&leadership.new_leader_acks)
            || self.mutations.serve_before_new_leader_quorum;
        if leadership.phase != LeaderPhase::Synchronization || !confirmed {
            return;
        }
        leadership.phase = LeaderPhase::Broadcast;
        // The voters that acknowledged NEWLEADER get UPTODATE now, so none of them gives up on
        // this leader sooner than a follower timeout from here: the first lease runs from now.
        leadership.confirmation.lease_from_ms = clock_ms;
        let epoch = leadership.epoch.expect("established in an epoch");
        let synced: Vec<ServerId> = leadership
            .learners
            .iter()
            .filter(|(_, link)| link.phase == LinkPhase::Synced)
            .map(|(server, _)| *server)
            .collect();
        let last = state.durable.last_zxid();
        self.commit_through(state, last, out);
        // Everything in the leader's history is committed and applied now: preparation starts
        // from there, with nothing outstanding.
        state.preparation = Some(self.machine.start_preparing(&state.applied, state.clock_ms));
        self.arm_session_clock(state, out);
        assert_uptodate_is_durable::<M>(&state.durable, epoch, last);
        for learner in synced {
            out.send(
                id_of(learner),
                PeerMessage::UpToDate {
                    epoch,
                    committed_through: last,
                },
            );
        }
    }

    pub(crate) fn on_request(
        &self,
        state: &mut Cow<PeerState<M>>,
        request: M::Request,
        out: &mut Out<Self>,
    ) {
        if state.established_epoch().is_none() {
            // Not an established leader: the learner's client will time out and retry.
            return;
        }
        self.propose(state.to_mut(), request, out);
    }

    pub(crate) fn on_client_write(
        &self,
        state: &mut Cow<PeerState<M>>,
        client: Id,
        request: M::Request,
        out: &mut Out<Self>,
    ) {
        if !state.is_serving() {
            return;
        }
        let state = state.to_mut();
        state.waiting_clients.push((client, request.clone()));
        match &state.role {
            Role::Leading(_) => self.propose(state, request, out),
            Role::Learning(learner) => {
                if self.mutations.forward_requests_twice {
                    let duplicate = request.clone();
                    out.send(
                        id_of(learner.leader),
                        PeerMessage::Request { request: duplicate },
                    );
                }
                out.send(id_of(learner.leader), PeerMessage::Request { request })
            }
            Role::Looking(_) => unreachable!("a LOOKING server does not serve"),
        }
    }

    /// Broadcast: prepare the request into a txn, log it (durable before the PROPOSAL leaves)
    /// and send it to the followers.
    pub(crate) fn propose(
        &self,
        state: &mut PeerState<M>,
        request: M::Request,
        out: &mut Out<Self>,
    ) {
        let leadership = Self::leadership_mut(state);
        assert_eq!(leadership.phase, LeaderPhase::Broadcast);
        let epoch = leadership.epoch.expect("established");
        let last = state.durable.last_zxid();
        let zxid = if last.epoch() == epoch {
            last.next_in_epoch()
        } else {
            Some(Zxid::new(epoch, 1))
        };
        let Some(zxid) = zxid else {
            // The counter is exhausted: a new epoch must begin, as ZooKeeper forces re-election.
            self.start_looking(state, out);
            return;
        };
        assert!(zxid > last, "zxids increase");
        let preparation = state
            .preparation
            .as_mut()
            .expect("an established leader prepares");
        let payload = self
            .machine
            .prepare(&state.applied, preparation, &request, zxid);
        let proposal = Proposal { zxid, payload };
        state.durable.append(proposal.clone());
        save(out, state.durable.clone());
        // The PROPOSAL leaves behind the save that logs it, in this leader's epoch.
        assert_eq!(zxid.epoch(), epoch, "a leader proposes in its own epoch");
        assert_eq!(
            state.durable.last_zxid(),
            zxid,
            "a proposal is logged before it is sent"
        );
        self.record_proposal_sent(state, zxid);
        let leadership = Self::leadership_mut(state);
        leadership
            .outstanding
            .insert(zxid, [self.me].into_iter().collect());
        for (server, link) in &leadership.learners {
            if !link.is_observer && matches!(link.phase, LinkPhase::Syncing | LinkPhase::Synced) {
                out.send(
                    id_of(*server),
                    PeerMessage::Propose {
                        proposal: proposal.clone(),
                    },
                );
            }
        }
        self.commit_ready(state, out);
    }

    pub(crate) fn on_ack(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        zxid: Zxid,
        out: &mut Out<Self>,
    ) {
        let Some(leadership) = Self::leadership(state) else {
            return;
        };
        if !self.membership.is_voter(from) || leadership.outstanding.range(..=zxid).next().is_none()
        {
            return;
        }
        let state = state.to_mut();
        let leadership = Self::leadership_mut(state);
        leadership.heard.insert(from);
        // A follower logs proposals in zxid order without holes, so an ACK covers every
        // earlier proposal too (and makes up for an earlier ACK the link lost).
        for (_, acks) in leadership.outstanding.range_mut(..=zxid) {
            acks.insert(from);
        }
        self.commit_ready(state, out);
    }

    /// Commits, in zxid order, every outstanding proposal a quorum has logged.
    fn commit_ready(&self, state: &mut PeerState<M>, out: &mut Out<Self>) {
        loop {
            let leadership = Self::leadership_mut(state);
            let Some((&zxid, acks)) = leadership.outstanding.first_key_value() else {
                return;
            };
            if !self.quorum(acks) {
                return;
            }
            leadership.outstanding.remove(&zxid);
            self.renew_lease_by_commit(state, zxid);
            let leadership = Self::leadership_mut(state);
            let recipients: Vec<(ServerId, bool)> = leadership
                .learners
                .iter()
                .filter(|(_, link)| matches!(link.phase, LinkPhase::Syncing | LinkPhase::Synced))
                .map(|(server, link)| (*server, link.is_observer))
                .collect();
            self.commit_through(state, zxid, out);
            // Commits go out in zxid order, each once the leader itself has committed it.
            assert!(
                state.committed_through >= zxid,
                "COMMIT ahead of the leader's own commit"
            );
            let position = state.durable.position(zxid).expect("proposals are logged");
            let proposal = state.durable.history[position].clone();
            for (server, is_observer) in recipients {
                let message = if is_observer {
                    PeerMessage::Inform {
                        proposal: proposal.clone(),
                    }
                } else {
                    PeerMessage::Commit { zxid }
                };
                out.send(id_of(server), message);
            }
        }
    }

    /// A leader's tick: give up without a quorum of recent contact, otherwise ping.
    pub(crate) fn leader_tick(&self, state: &mut Cow<PeerState<M>>, out: &mut Out<Self>) {
        let leadership = Self::leadership(state).expect("caller checked the role");
        let mut in_contact: Vec<ServerId> = leadership.heard.iter().copied().collect();
        in_contact.push(self.me);
        let limit = if leadership.phase == LeaderPhase::Broadcast {
            self.silent_ticks_max
        } else {
            self.silent_ticks_max_joining
        };
        let state = state.to_mut();
        let leadership = Self::leadership_mut(state);
        if self.quorum(&in_contact) {
            leadership.silent_ticks = 0;
        } else {
            leadership.silent_ticks += 1;
            if leadership.silent_ticks >= limit.max(1) {
                self.start_looking(state, out);
                return;
            }
        }
        let leadership = Self::leadership_mut(state);
        leadership.heard.clear();
        // Every heartbeat is a confirmation round: the answers renew the lease.
        self.start_round(state, true, out);
    }

    /// A learner answered a ping, with the sessions its clients touched since its last answer.
    pub(crate) fn leader_on_ping(
        &self,
        state: &mut Cow<PeerState<M>>,
        from: ServerId,
        epoch: Epoch,
        round: u64,
        touched_sessions: Vec<M::Session>,
        out: &mut Out<Self>,
    ) {
        let Some(leadership) = Self::leadership(state) else {
            return;
        };
        if leadership.epoch != Some(epoch) || !leadership.learners.contains_key(&from) {
            return;
        }
        let state = state.to_mut();
        let leadership = Self::leadership_mut(state);
        leadership.heard.insert(from);
        leadership
            .learners
            .get_mut(&from)
            .expect("checked above")
            .ping_outstanding = false;
        if let Some(preparation) = state.preparation.as_mut() {
            for session in &touched_sessions {
                // A session the leader does not know (or is closing) stays unknown: its client
                // hears so at its next request.
                self.machine.touch(preparation, session, state.clock_ms);
            }
        }
        self.leader_on_round_echo(state, from, round, out);
    }
}

/// What a leader asserts before it sends UPTODATE for `epoch` with `committed_through`: its
/// currentEpoch is `epoch` (a learner that takes UPTODATE starts serving in it) and it holds
/// every txn it tells the learner is committed.
fn assert_uptodate_is_durable<M: StateMachine>(
    durable: &Durable<M>,
    epoch: Epoch,
    committed_through: Zxid,
) {
    assert_eq!(
        durable.current_epoch, epoch,
        "UPTODATE outside the leader's epoch"
    );
    assert!(
        committed_through <= durable.last_zxid(),
        "UPTODATE commits {committed_through:?} past the leader's last logged {:?}",
        durable.last_zxid()
    );
}
