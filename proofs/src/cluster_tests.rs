//! The cluster's network on a toy pair: actor 0 sends two election messages and two quorum
//! messages to actor 1 and may close their quorum link; actor 1 records what arrives.

use crate::check::explore;
use crate::cluster::{in_flight, Cluster, Link, Wired};
use stateright::actor::{model_timeout, Actor, ActorModelState, Id, Out};
use stateright::Expectation::{Always, Sometimes};
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum ToyMessage {
    Election(u8),
    Quorum(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct CloseQuorumLink;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct ToyState {
    received: Vec<ToyMessage>,
    told_closed: bool,
}

#[derive(Clone)]
struct Toy {
    closes: bool,
}

const SENT: [ToyMessage; 4] = [
    ToyMessage::Election(1),
    ToyMessage::Quorum(1),
    ToyMessage::Election(2),
    ToyMessage::Quorum(2),
];

impl Actor for Toy {
    type Msg = ToyMessage;
    type Timer = CloseQuorumLink;
    type State = ToyState;
    type Storage = ();
    type Random = ();

    fn on_start(&self, id: Id, _storage: &Option<()>, out: &mut Out<Self>) -> ToyState {
        if id == Id::from(0) {
            for message in SENT {
                out.send(Id::from(1), message);
            }
            if self.closes {
                out.set_timer(CloseQuorumLink, model_timeout());
            }
        }
        ToyState::default()
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<ToyState>,
        _src: Id,
        message: ToyMessage,
        _out: &mut Out<Self>,
    ) {
        state.to_mut().received.push(message);
    }
}

impl Wired for Toy {
    fn link(message: &ToyMessage) -> Link {
        match message {
            ToyMessage::Election(_) => Link::Election,
            ToyMessage::Quorum(_) => Link::Quorum,
        }
    }

    fn busy(_state: &ToyState) -> bool {
        false
    }

    fn busy_work(_timer: &CloseQuorumLink) -> bool {
        false
    }

    fn closes_link(_timer: &CloseQuorumLink) -> Option<Id> {
        Some(Id::from(1))
    }

    fn on_link_closed(&self, _id: Id, state: &mut Cow<ToyState>, peer: Id, _out: &mut Out<Self>) {
        assert_eq!(peer, Id::from(0), "only actor 0 closes");
        state.to_mut().told_closed = true;
    }
}

type ToyCluster = Cluster<Toy, (), ()>;
type ToyClusterState = ActorModelState<Toy, ()>;

fn received(state: &ToyClusterState) -> &[ToyMessage] {
    &state.actor_states[1].received
}

/// Whether each link's messages arrived in the order they were sent.
fn each_link_in_order(state: &ToyClusterState) -> bool {
    [Link::Election, Link::Quorum].into_iter().all(|link| {
        let sent = SENT.iter().filter(|message| Toy::link(message) == link);
        let arrived: Vec<&ToyMessage> = received(state)
            .iter()
            .filter(|message| Toy::link(message) == link)
            .collect();
        sent.take(arrived.len()).eq(arrived)
    })
}

fn cluster(closes: bool) -> ToyCluster {
    Cluster::new((), ())
        .actor(Toy { closes })
        .actor(Toy { closes })
        .property(Always, "each link is FIFO", |_, state| {
            each_link_in_order(state)
        })
        .property(
            Sometimes,
            "a quorum message overtakes an election one",
            |_, state| received(state).first() == Some(&ToyMessage::Quorum(1)),
        )
        .property(
            Sometimes,
            "an election message overtakes a quorum one",
            |_, state| received(state) == [ToyMessage::Election(1), ToyMessage::Election(2)],
        )
        .property(Sometimes, "everything arrived", |_, state| {
            received(state).len() == 4
        })
}

#[test]
fn a_pairs_two_links_are_each_fifo_with_no_order_between_them() {
    let report = explore(cluster(false), 1);
    assert_eq!(
        report.discoveries,
        [
            "a quorum message overtakes an election one",
            "an election message overtakes a quorum one",
            "everything arrived",
        ],
        "no link reordered itself, and each overtaking was reached"
    );
    // What arrived is an interleaving of a prefix of each link's two messages: with e election
    // and q quorum messages in, C(e + q, e) orders; summed over e, q in 0..=2 that is 19.
    assert_eq!(report.unique_states, 19);
}

#[test]
fn closing_the_quorum_link_drops_its_traffic_and_tells_the_far_end() {
    let model = cluster(true)
        .property(
            Always,
            "a closed link delivers nothing after",
            |_, state| {
                // Once the far end is told, only election messages are still in flight.
                !state.actor_states[1].told_closed
                    || in_flight(&state.network).all(|(_, _, link, _)| link == Link::Election)
            },
        )
        .property(Sometimes, "the far end was told", |_, state| {
            state.actor_states[1].told_closed && received(state).is_empty()
        });
    let report = explore(model, 1);
    assert!(report.discoveries.contains(&"the far end was told"));
    assert!(!report
        .discoveries
        .contains(&"a closed link delivers nothing after"));
    assert!(!report.discoveries.contains(&"each link is FIFO"));
}
