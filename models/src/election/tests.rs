//! Each handler of [`Election`] against the exact actions it emits.

use super::*;
use crate::ids::{Epoch, Zxid};

fn membership(voters: u64, observers: u64) -> Membership {
    Membership::new(
        (1..=voters).map(ServerId),
        (voters + 1..=voters + observers).map(ServerId),
    )
}

fn vote(peer_epoch: u32, zxid: u64, leader: u64) -> Vote {
    Vote {
        peer_epoch: Epoch(peer_epoch),
        zxid: Zxid(zxid),
        leader: ServerId(leader),
    }
}

fn notification(sender_state: ServerState, vote: Vote, election_epoch: u64) -> Notification {
    Notification {
        sender_state,
        vote,
        election_epoch,
    }
}

fn looking(vote: Vote, election_epoch: u64) -> Notification {
    notification(ServerState::Looking, vote, election_epoch)
}

fn following(vote: Vote, election_epoch: u64) -> Notification {
    notification(ServerState::Following, vote, election_epoch)
}

fn leading(vote: Vote, election_epoch: u64) -> Notification {
    notification(ServerState::Leading, vote, election_epoch)
}

/// Server `me` starts its first round with its own vote `own`.
fn start(membership: &Membership, me: u64, own: Vote) -> Election {
    let (election, actions) =
        Election::start(membership, ServerId(me), Some(own), 0, Mutations::NONE);
    assert_eq!(actions, vec![ElectionAction::Broadcast(looking(own, 1))]);
    election
}

fn tally(entries: &[(u64, Vote)]) -> BTreeMap<ServerId, Vote> {
    entries
        .iter()
        .map(|(server, vote)| (ServerId(*server), *vote))
        .collect()
}

#[test]
fn start_broadcasts_own_vote_in_the_next_round() {
    let membership = membership(3, 0);
    let own = vote(1, 5, 2);
    let (election, actions) =
        Election::start(&membership, ServerId(2), Some(own), 6, Mutations::NONE);
    assert_eq!(actions, vec![ElectionAction::Broadcast(looking(own, 7))]);
    assert_eq!(election.election_epoch, 7);
    assert_eq!(election.proposal, Some(own));
    assert_eq!(election.tally, tally(&[(2, own)]));
    assert!(!election.settling);
}

#[test]
fn better_vote_is_adopted_and_rebroadcast() {
    // Five voters, so that two agreeing votes are no quorum.
    let membership = membership(5, 0);
    let mut election = start(&membership, 1, vote(1, 1, 1));
    let better = vote(1, 2, 2);
    let actions = election.on_notification(&membership, ServerId(2), looking(better, 1));
    assert_eq!(actions, vec![ElectionAction::Broadcast(looking(better, 1))]);
    assert_eq!(election.proposal, Some(better));
    assert_eq!(election.tally, tally(&[(1, better), (2, better)]));
}

#[test]
fn worse_vote_is_tallied_without_a_broadcast() {
    let membership = membership(5, 0);
    let own = vote(1, 3, 3);
    let mut election = start(&membership, 3, own);
    let worse = vote(1, 1, 1);
    let actions = election.on_notification(&membership, ServerId(1), looking(worse, 1));
    assert_eq!(actions, vec![]);
    assert_eq!(election.proposal, Some(own));
    assert_eq!(election.tally, tally(&[(3, own), (1, worse)]));
}

#[test]
fn higher_round_resets_the_tally_and_keeps_own_vote_when_it_is_better() {
    let membership = membership(5, 0);
    let own = vote(1, 5, 1);
    let mut election = start(&membership, 1, own);
    // Round 1: adopt server 3's better vote.
    let best = vote(2, 1, 3);
    election.on_notification(&membership, ServerId(3), looking(best, 1));
    assert_eq!(election.proposal, Some(best));
    // Round 2 from server 2, whose vote is worse than our own: the adopted vote of round 1 is
    // forgotten, and our own vote stands.
    let theirs = vote(1, 2, 2);
    let actions = election.on_notification(&membership, ServerId(2), looking(theirs, 2));
    assert_eq!(actions, vec![ElectionAction::Broadcast(looking(own, 2))]);
    assert_eq!(election.election_epoch, 2);
    assert_eq!(election.proposal, Some(own));
    assert_eq!(election.tally, tally(&[(1, own), (2, theirs)]));
}

#[test]
fn higher_round_resets_the_tally_and_adopts_their_vote_when_it_is_better() {
    let membership = membership(5, 0);
    let own = vote(1, 5, 1);
    let mut election = start(&membership, 1, own);
    election.on_notification(&membership, ServerId(2), looking(vote(1, 2, 2), 1));
    let theirs = vote(1, 9, 4);
    let actions = election.on_notification(&membership, ServerId(4), looking(theirs, 3));
    assert_eq!(actions, vec![ElectionAction::Broadcast(looking(theirs, 3))]);
    assert_eq!(election.election_epoch, 3);
    assert_eq!(election.tally, tally(&[(1, theirs), (4, theirs)]));
}

#[test]
fn higher_round_while_settling_stops_settling_first() {
    let membership = membership(3, 0);
    let own = vote(1, 1, 1);
    let mut election = start(&membership, 1, own);
    let second = vote(1, 2, 2);
    let actions = election.on_notification(&membership, ServerId(2), looking(second, 1));
    assert_eq!(
        actions,
        vec![
            ElectionAction::Broadcast(looking(second, 1)),
            ElectionAction::StartSettling
        ]
    );
    let third = vote(1, 3, 3);
    let actions = election.on_notification(&membership, ServerId(3), looking(third, 2));
    assert_eq!(
        actions,
        vec![
            ElectionAction::StopSettling,
            ElectionAction::Broadcast(looking(third, 2)),
            ElectionAction::StartSettling,
        ]
    );
    assert_eq!(election.tally, tally(&[(1, third), (3, third)]));
}

#[test]
fn lower_round_gets_a_reply_and_is_not_tallied() {
    let membership = membership(3, 0);
    let own = vote(1, 1, 1);
    let (mut election, _) =
        Election::start(&membership, ServerId(1), Some(own), 1, Mutations::NONE);
    let actions = election.on_notification(&membership, ServerId(2), looking(vote(1, 9, 2), 1));
    assert_eq!(
        actions,
        vec![ElectionAction::Reply(ServerId(2), looking(own, 2))]
    );
    assert_eq!(election.proposal, Some(own));
    assert_eq!(election.tally, tally(&[(1, own)]));
}

#[test]
fn quorum_agreement_starts_settling_and_the_timeout_decides() {
    let membership = membership(3, 0);
    let own = vote(1, 3, 3);
    let mut election = start(&membership, 3, own);
    // Server 1 already adopted our vote: no broadcast (it is not better), but a quorum.
    let actions = election.on_notification(&membership, ServerId(1), looking(own, 1));
    assert_eq!(actions, vec![ElectionAction::StartSettling]);
    assert!(election.settling);
    // Another agreeing vote while settling does not start a second timer.
    let actions = election.on_notification(&membership, ServerId(2), looking(own, 1));
    assert_eq!(actions, vec![]);
    let actions = election.on_settle_timeout(&membership);
    assert_eq!(
        actions,
        vec![ElectionAction::Decided {
            vote: own,
            election_epoch: 1
        }]
    );
    // A stale timer after the decision does nothing.
    assert_eq!(election.on_settle_timeout(&membership), vec![]);
}

#[test]
fn better_vote_while_settling_stops_settling_and_rebroadcasts() {
    let membership = membership(5, 0);
    let mut election = start(&membership, 1, vote(1, 1, 1));
    let agreed = vote(1, 4, 4);
    election.on_notification(&membership, ServerId(2), looking(agreed, 1));
    let actions = election.on_notification(&membership, ServerId(3), looking(agreed, 1));
    assert_eq!(actions, vec![ElectionAction::StartSettling]);
    let better = vote(1, 5, 5);
    let actions = election.on_notification(&membership, ServerId(5), looking(better, 1));
    assert_eq!(
        actions,
        vec![
            ElectionAction::StopSettling,
            ElectionAction::Broadcast(looking(better, 1))
        ]
    );
    assert!(!election.settling);
    // The timer that fires anyway after it was stopped decides nothing.
    assert_eq!(election.on_settle_timeout(&membership), vec![]);
}

/// Server 3 comes back while server 2 leads round 5 with server 1 following.
fn latecomer() -> (Membership, Election, Vote) {
    let membership = membership(3, 0);
    let election = start(&membership, 3, vote(1, 1, 3));
    (membership, election, vote(1, 4, 2))
}

#[test]
fn joins_an_established_leader_with_a_quorum_and_the_leaders_own_word() {
    let (membership, mut election, led) = latecomer();
    let actions = election.on_notification(&membership, ServerId(1), following(led, 5));
    assert_eq!(actions, vec![]);
    let actions = election.on_notification(&membership, ServerId(2), leading(led, 5));
    assert_eq!(
        actions,
        vec![ElectionAction::Decided {
            vote: led,
            election_epoch: 5
        }]
    );
    assert_eq!(election.election_epoch, 5, "joins the leader's round");
}

#[test]
fn joins_whatever_order_the_answers_arrive_in() {
    let (membership, mut election, led) = latecomer();
    assert_eq!(
        election.on_notification(&membership, ServerId(2), leading(led, 5)),
        vec![]
    );
    assert_eq!(
        election.on_notification(&membership, ServerId(1), following(led, 5)),
        vec![ElectionAction::Decided {
            vote: led,
            election_epoch: 5
        }]
    );
}

#[test]
fn does_not_join_without_a_quorum() {
    // Five voters: the leader and one follower are two, no quorum.
    let membership = membership(5, 0);
    let mut election = start(&membership, 3, vote(1, 1, 3));
    let led = vote(1, 4, 2);
    assert_eq!(
        election.on_notification(&membership, ServerId(1), following(led, 5)),
        vec![]
    );
    assert_eq!(
        election.on_notification(&membership, ServerId(2), leading(led, 5)),
        vec![]
    );
    // A third server completes the quorum.
    assert_eq!(
        election.on_notification(&membership, ServerId(4), following(led, 5)),
        vec![ElectionAction::Decided {
            vote: led,
            election_epoch: 5
        }]
    );
}

#[test]
fn does_not_join_without_the_leaders_own_leading_notification() {
    let membership = membership(5, 0);
    let mut election = start(&membership, 3, vote(1, 1, 3));
    let led = vote(1, 4, 2);
    for follower in [1, 4, 5] {
        assert_eq!(
            election.on_notification(&membership, ServerId(follower), following(led, 5)),
            vec![],
            "a quorum of followers is not enough (checkLeader)"
        );
    }
    assert_eq!(
        election.on_notification(&membership, ServerId(2), leading(led, 5)),
        vec![ElectionAction::Decided {
            vote: led,
            election_epoch: 5
        }]
    );
}

#[test]
fn does_not_join_a_quorum_spread_over_rounds() {
    let (membership, mut election, led) = latecomer();
    assert_eq!(
        election.on_notification(&membership, ServerId(1), following(led, 5)),
        vec![]
    );
    assert_eq!(
        election.on_notification(&membership, ServerId(2), leading(led, 6)),
        vec![]
    );
}

#[test]
fn leads_again_when_a_follower_of_its_round_completes_the_quorum() {
    // Server 2 restarted into round 1 while servers 1 and 3 still follow it from round 1: its
    // own vote and one FOLLOWING vote of its round are a quorum (checkLeader: a server leads
    // only if the quorum's round is its own).
    let membership = membership(3, 0);
    let own = vote(1, 4, 2);
    let mut election = start(&membership, 2, own);
    assert_eq!(
        election.on_notification(&membership, ServerId(1), following(own, 1)),
        vec![ElectionAction::Decided {
            vote: own,
            election_epoch: 1
        }]
    );
}

#[test]
fn does_not_lead_for_a_quorum_of_another_round() {
    let membership = membership(3, 0);
    let own = vote(1, 4, 2);
    let (mut election, _) =
        Election::start(&membership, ServerId(2), Some(own), 1, Mutations::NONE);
    election.on_notification(&membership, ServerId(1), following(own, 1));
    assert_eq!(
        election.on_notification(&membership, ServerId(3), following(own, 1)),
        vec![]
    );
}

/// ZooKeeper's `lookForLeader` keeps FOLLOWING/LEADING votes of its own round in `recvset`, which
/// it clears at every new round, and `checkLeader(recvset, ..)` then requires the leader's entry
/// *of this round* to say LEADING. A LEADING notification from an older round used to confirm a
/// same-round quorum here; found by `proofs/tests/election.rs` (restart into the next round).
#[test]
fn a_leading_notification_of_an_older_round_does_not_confirm_this_rounds_quorum() {
    let membership = membership(3, 0);
    let led = vote(2, 1, 1);
    let mut election = start(&membership, 3, vote(1, 2, 3));
    // Round 1: server 1 leads.
    election.on_notification(&membership, ServerId(1), leading(led, 1));
    // Round 2 (server 1 restarted and is LOOKING in it): server 2 proposes server 1, we adopt.
    election.on_notification(&membership, ServerId(2), looking(led, 2));
    // Server 2 settled and now follows in round 2; server 1 never led in round 2.
    assert_eq!(
        election.on_notification(&membership, ServerId(2), following(led, 2)),
        vec![]
    );
}

#[test]
fn a_voter_replies_to_an_observer_whatever_it_says() {
    let membership = membership(3, 1);
    let own = vote(1, 1, 1);
    let mut election = start(&membership, 1, own);
    let observer = ServerId(4);
    let from_observer = looking(vote(0, 0, 4), 1);
    assert_eq!(
        election.on_notification(&membership, observer, from_observer),
        vec![ElectionAction::Reply(observer, looking(own, 1))]
    );
    // An OBSERVING answer gets the same reply: with an observer that answers LOOKING
    // notifications, the two exchange notifications until this voter leaves the election.
    let observing = notification(ServerState::Observing, vote(1, 4, 2), 1);
    assert_eq!(
        election.on_notification(&membership, observer, observing),
        vec![ElectionAction::Reply(observer, looking(own, 1))]
    );
    assert_eq!(election.tally, tally(&[(1, own)]), "observers never count");
}

#[test]
fn an_observer_proposes_nobody_and_decides_only_from_established_servers() {
    let membership = membership(3, 1);
    let me = ServerId(4);
    let (mut election, actions) = Election::start(&membership, me, None, 0, Mutations::NONE);
    assert_eq!(
        actions,
        vec![ElectionAction::Broadcast(looking(vote(0, 0, 4), 1))]
    );
    let led = vote(1, 4, 2);
    // LOOKING voters agreeing on a leader teach an observer nothing.
    for voter in 1..=3 {
        assert_eq!(
            election.on_notification(&membership, ServerId(voter), looking(led, 1)),
            vec![]
        );
    }
    assert!(!election.settling);
    assert_eq!(
        election.on_notification(&membership, ServerId(1), following(led, 1)),
        vec![]
    );
    assert_eq!(
        election.on_notification(&membership, ServerId(2), leading(led, 1)),
        vec![ElectionAction::Decided {
            vote: led,
            election_epoch: 1
        }]
    );
}

#[test]
fn ignoring_the_zxid_lets_a_higher_id_beat_a_longer_history() {
    let membership = membership(3, 0);
    let own = vote(1, 5, 1);
    let shorter = vote(1, 2, 2);
    for (ignore_zxid, expected) in [
        (false, vec![]),
        (
            true,
            vec![
                ElectionAction::Broadcast(looking(shorter, 1)),
                ElectionAction::StartSettling,
            ],
        ),
    ] {
        let mutations = Mutations {
            election_ignores_zxid: ignore_zxid,
            ..Mutations::NONE
        };
        let (mut election, _) = Election::start(&membership, ServerId(1), Some(own), 0, mutations);
        assert_eq!(
            election.on_notification(&membership, ServerId(2), looking(shorter, 1)),
            expected,
            "ignore_zxid = {ignore_zxid}"
        );
    }
    // The epoch still comes first either way.
    let ignoring_zxid = Mutations {
        election_ignores_zxid: true,
        ..Mutations::NONE
    };
    let (mut election, _) = Election::start(&membership, ServerId(1), Some(own), 0, ignoring_zxid);
    assert_eq!(
        election.on_notification(&membership, ServerId(2), looking(vote(0, 9, 2), 1)),
        vec![]
    );
}

#[test]
fn counting_half_the_voters_as_a_quorum_lets_a_lone_vote_settle() {
    let membership = membership(3, 0);
    let own = vote(1, 5, 1);
    let half = Mutations {
        election_quorum_of_half: true,
        ..Mutations::NONE
    };
    let (election, actions) = Election::start(&membership, ServerId(1), Some(own), 0, half);
    assert!(election.settling);
    assert_eq!(
        actions,
        vec![
            ElectionAction::Broadcast(looking(own, 1)),
            ElectionAction::StartSettling
        ]
    );
    // A majority still needs two of the three.
    let (election, _) = Election::start(&membership, ServerId(1), Some(own), 0, Mutations::NONE);
    assert!(!election.settling);
}
