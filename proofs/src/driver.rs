//! The model's stand-in for the server's driver: the entry points `src/server` calls on its own
//! schedule (compaction every snapCount txns, a quorum socket closing, the housekeeping round,
//! a client's request or ping touching its session) become timers the checker may fire at any
//! moment, and each goes to the peer through [`Peer::step`], the call the server makes. The
//! driver also consumes what the peer sends to its apply sink, and records whether the sink's
//! contract held: every txn the peer applies is reported once, in zxid order, before any reply
//! that depends on it.

use stateright::actor::{model_timeout, Command, Id};
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::request::{ClientConnections, SessionOrder};
use zabkeeper_models::session::handshake::SessionIds;
use zabkeeper_models::zab::{
    Input, Message, Peer, PeerMessage, PeerState, PeerTimer, Role, StateMachine,
};
use zabkeeper_models::{ServerId, Zxid};

/// The wall clock of every model server's start: where its session ids begin
/// (`session::initial_session_id`). One for all (the model has no wall clock), and not zero, so
/// that no server's first session id is 0, the wire's "new session". A restarted server starts
/// its sequence again; no model client opens more than one session, so no id is given twice.
pub const DRIVER_START_MS: u64 = 1;

/// Where a peer of the model sends the outcome of every applied txn: its own driver, which
/// takes the messages off before they reach the network (no actor has this id).
pub const APPLY_SINK: usize = usize::MAX;

/// A timer of a model server: one the peer set, or one of its driver's actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeTimer {
    Peer(PeerTimer),
    Driver(DriverAction),
}

/// What the checker may make a server's driver do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DriverAction {
    /// Fold the committed history into a snapshot (`Input::Compact`); armed while there is
    /// a committed txn the snapshot does not hold yet.
    Compact,
    /// The quorum connection to this server broke (`Input::PeerDisconnected`); armed while
    /// the peer is linked to it (a learner to its leader, a leader to each learner). The
    /// network drops what was in flight on it, and the far end notices later
    /// ([`DriverAction::NoticeClose`]).
    Disconnect(ServerId),
    /// The far end of a broken quorum connection notices (its read fails), which is
    /// `Input::PeerDisconnected` too; armed from the break until then. Meanwhile its sends on
    /// the dead connection are lost.
    NoticeClose(ServerId),
    /// The leader's housekeeping round (`Input::Housekeeping`); armed on an established leader.
    Housekeeping,
    /// A client's request or ping touches its session (`Input::TouchSession`); armed while the
    /// server serves clients.
    Touch,
    /// The next disk step of a persist under way (see [`crate::persisting`]); armed while one
    /// is, and the only thing the server does meanwhile.
    PersistStep,
    /// Decide again on the handshakes held while the server did not serve
    /// ([`DriverRecord::held_handshakes`]); armed once it serves. The server's driver does this
    /// right after the step that made it serve; the model lets other events come first, which
    /// only adds schedules.
    AnswerHeldHandshakes,
}

/// Which driver actions a server's checker may take.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DriverActions<S> {
    pub compaction: bool,
    /// How many lost connections each server's driver may report over a run (each one sends
    /// a learner back to election or makes a leader drop a learner, whose rejoining is a new
    /// round of synchronisation: the bound keeps the search finite and small).
    pub disconnects: u8,
    pub housekeeping: bool,
    /// The session a client of this server touches, if one does.
    pub touched_session: Option<S>,
    /// Persist each save as the driver's disk steps, with crashes possible between them
    /// (otherwise a save is atomic).
    pub stepwise_persist: bool,
    /// Pass the clients' requests through the server's session order
    /// (the session order of [`DriverRecord::clients`]). It holds nothing for a client that waits for each
    /// answer before its next request, so only configurations whose clients pipeline turn it
    /// on (the others keep their state space).
    pub session_order: bool,
}

impl<S> Default for DriverActions<S> {
    fn default() -> Self {
        DriverActions {
            compaction: false,
            disconnects: 0,
            housekeeping: false,
            touched_session: None,
            stepwise_persist: false,
            session_order: false,
        }
    }
}

impl<S: Clone> DriverActions<S> {
    fn any(&self) -> bool {
        self.compaction
            || self.disconnects > 0
            || self.housekeeping
            || self.touched_session.is_some()
            || self.stepwise_persist
    }

    /// The input the action hands the peer, if it hands one (a persist step is the driver's
    /// alone). The model's clock is the peer's own reading: the driver acts "now", and the
    /// session clock moves time on.
    pub fn input<M: StateMachine<Session = S>>(
        &self,
        action: DriverAction,
        state: &PeerState<M>,
    ) -> Option<Input<M>> {
        Some(match action {
            DriverAction::PersistStep | DriverAction::AnswerHeldHandshakes => return None,
            DriverAction::Compact => Input::Compact,
            DriverAction::Disconnect(server) | DriverAction::NoticeClose(server) => {
                Input::PeerDisconnected { server }
            }
            DriverAction::Housekeeping => Input::Housekeeping {
                wall_time_ms: i64::try_from(state.clock_ms).expect("the model's clock is small"),
            },
            DriverAction::Touch => Input::TouchSession {
                session: self
                    .touched_session
                    .clone()
                    .expect("armed only with a session to touch"),
                now_ms: state.clock_ms,
            },
        })
    }

    /// The driver actions that are possible in `state`, as set and cancelled timers: the
    /// commands that make the timer set say exactly that. Nothing when no action is enabled
    /// and no handshake is held, so configurations without driver actions have the same
    /// states as before. (Held handshakes are answered by a timer that fires once: it is
    /// cancelled by firing, and armed again only if handshakes are held again.)
    pub fn timers<M: StateMachine<Session = S>, Held>(
        &self,
        peer: &Peer<M>,
        state: &PeerState<M>,
        record: &DriverRecord<Held>,
        persisting: bool,
    ) -> Vec<(DriverAction, bool)> {
        let mut timers = Vec::new();
        if !record.held_handshakes.is_empty() {
            let answerable = state.is_serving() && !persisting;
            timers.push((DriverAction::AnswerHeldHandshakes, answerable));
        }
        if !self.any() {
            return timers;
        }
        if self.compaction {
            let uncompacted = state.committed_through > state.durable.base_zxid();
            timers.push((DriverAction::Compact, uncompacted));
        }
        if self.disconnects > 0 {
            let more_allowed = record.disconnects < self.disconnects;
            for server in peer.membership.servers() {
                let linked = more_allowed
                    && match &state.role {
                        Role::Learning(learner) => learner.leader == server,
                        Role::Leading(leadership) => leadership.learners.contains_key(&server),
                        Role::Looking(_) => false,
                    };
                timers.push((DriverAction::Disconnect(server), linked));
                let unnoticed = record.unnoticed_closes.contains(&server);
                timers.push((DriverAction::NoticeClose(server), unnoticed));
            }
        }
        if self.housekeeping {
            let established = state.established_epoch().is_some();
            timers.push((DriverAction::Housekeeping, established));
        }
        if self.touched_session.is_some() {
            timers.push((DriverAction::Touch, state.is_serving()));
        }
        if self.stepwise_persist {
            timers.push((DriverAction::PersistStep, persisting));
        }
        timers
    }
}

/// What a server's driver has seen of its peer, kept with the peer's state; `Held` is what
/// its session order holds (the model's client messages).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DriverRecord<Held = ()> {
    /// Some step broke the apply sink's contract (see [`sink_contract_holds`]).
    pub sink_contract_broken: bool,
    /// Lost connections reported to the peer since this server started.
    pub disconnects: u8,
    /// Servers whose end broke the quorum connection to this one, which this one's driver has
    /// not noticed yet (sorted).
    pub unnoticed_closes: Vec<ServerId>,
    /// The clients' connections, by client actor: `request::ClientConnections`, the keeper the
    /// server's driver runs. Its session order holds a request a client pipelined behind its
    /// write or sync until that comes back (`WriteCommitted`, `Synced`); its watches are those
    /// the clients left with their reads (none in the register's configurations, whose clients
    /// read no znodes); its open connections are the clients whose handshake this server
    /// accepted (a session created or resumed here), which it closes when it stops serving.
    /// Clients that talk to a server without a handshake (the register's writers and readers,
    /// the watcher that only reads) stand for connections the model never closes.
    pub clients: ClientConnections<usize, Held>,
    /// The handshakes (`ClientConnect`, by client actor) that came while the server did not
    /// serve, in arrival order: the server's `held_handshakes`, decided again once it serves
    /// ([`DriverAction::AnswerHeldHandshakes`]). The server also closes one held too long; the
    /// model's clients wait, which only leaves schedules out where the client gives up.
    pub held_handshakes: Vec<(usize, Held)>,
    /// The ids of the sessions created through this server
    /// (`session::handshake::SessionIds`, the server's sequence).
    pub session_ids: SessionIds,
    /// The clients whose connection this server closed (refused, expired or closed when it
    /// stopped serving) and who have not opened a new one, sorted: what they sent on the old
    /// connection is dropped, and so is any reply to it.
    pub closed: Vec<usize>,
}

impl<Held> Default for DriverRecord<Held> {
    fn default() -> Self {
        DriverRecord {
            sink_contract_broken: false,
            disconnects: 0,
            unnoticed_closes: Vec::new(),
            clients: ClientConnections::new(),
            held_handshakes: Vec::new(),
            session_ids: SessionIds::default(),
            closed: Vec::new(),
        }
    }
}

impl<Held> DriverRecord<Held> {
    /// A server driver's record as it starts, with the seeded bugs of its session order.
    pub fn new(mutations: &Mutations) -> Self {
        DriverRecord {
            clients: ClientConnections::with_order(SessionOrder::with_mutations(mutations)),
            ..DriverRecord::default()
        }
    }

    /// The client's handshake was accepted: its connection is open.
    pub fn open(&mut self, client: usize) {
        self.clients.opened(client);
    }

    /// The server closed the client's connection: what it held goes with it.
    pub fn close(&mut self, client: usize) {
        self.clients.closed(client);
        if let Err(at) = self.closed.binary_search(&client) {
            self.closed.insert(at, client);
        }
    }

    /// Whether a message to `server` goes into a quorum connection the other end closed, where
    /// it is lost.
    pub fn sends_into_dead_link(&self, server: ServerId) -> bool {
        self.unnoticed_closes.contains(&server)
    }
}

/// Whether one step kept the apply sink's contract: the txns it reported applied are exactly
/// those its commit point newly covers, in zxid order (unless the step resynchronised, which
/// rebuilds the applied state without reports: the server reloads its database then and its
/// clients reconnect), and every `WriteCommitted` follows the report of its txn.
pub fn sink_contract_holds<M: StateMachine>(
    before: &PeerState<M>,
    after: &PeerState<M>,
    commands: &[Command<Message<M>, PeerTimer, ServerId, zabkeeper_models::zab::Durable<M>>],
) -> bool {
    let sink = Id::from(APPLY_SINK);
    let mut reported: Vec<Zxid> = Vec::new();
    for command in commands {
        match command {
            Command::Send(to, PeerMessage::Applied { zxid, .. }) if *to == sink => {
                reported.push(*zxid);
            }
            Command::Send(_, PeerMessage::WriteCommitted { zxid, .. })
                if !reported.contains(zxid) && *zxid > before.committed_through =>
            {
                return false;
            }
            _ => {}
        }
    }
    let base_changed = after.durable.base_zxid() != before.durable.base_zxid();
    let history_rewritten = !after.delivered().starts_with(before.delivered());
    if base_changed || history_rewritten {
        // A compaction (which applies nothing) or a SNAP, TRUNC or DIFF that rebuilt the
        // applied state: whatever is reported still comes in zxid order.
        return reported.windows(2).all(|pair| pair[0] < pair[1]);
    }
    let newly_delivered: Vec<Zxid> = after
        .delivered()
        .iter()
        .map(|proposal| proposal.zxid)
        .filter(|zxid| *zxid > before.committed_through)
        .collect();
    reported == newly_delivered
}

/// The timer commands that arm the driver actions possible in `state`.
pub fn driver_timer_commands<M: StateMachine, Held>(
    actions: &DriverActions<M::Session>,
    peer: &Peer<M>,
    state: &PeerState<M>,
    record: &DriverRecord<Held>,
    persisting: bool,
) -> Vec<(NodeTimer, Option<std::ops::Range<std::time::Duration>>)> {
    actions
        .timers(peer, state, record, persisting)
        .into_iter()
        .map(|(action, armed)| (NodeTimer::Driver(action), armed.then(model_timeout)))
        .collect()
}
