//! The replicated state machine a peer runs behind ZAB: how the leader turns a client request
//! into a txn, and how every server applies committed txns.
//!
//! ZAB itself only orders opaque txns. ZooKeeper puts two decisions around it: the leader
//! *prepares* each request against its tree plus the txns it proposed but has not applied yet
//! (`PrepRequestProcessor`), and every server *applies* committed txns in zxid order
//! (`FinalRequestProcessor`). Both are pure and deterministic, so they live here too and the
//! model checker runs them inside the peer: a property about znodes is checked through the
//! very `apply` the server runs.

use super::message::Proposal;
use super::peer::Payload;
use crate::ids::{ServerId, SessionId, Zxid};
use crate::session::SessionConfig;
use crate::tree::DataTree;
use crate::watch::EventType;
use std::fmt::Debug;
use std::hash::Hash;

/// What a peer replicates. Implemented by the ZooKeeper database ([`crate::replica`]) for the
/// server and by [`Register`] for the model checker's ZAB-only configurations.
///
/// # Contract (the peer keeps it; implementations may assert it)
/// - [`StateMachine::apply`] sees every committed txn exactly once, in zxid order, starting
///   from [`StateMachine::initial`] (after a restart or a resynchronisation the peer rebuilds
///   the applied state from the start of its history).
/// - Only an established leader prepares, in increasing zxid order. Its preparation starts
///   from its applied state when it is established (everything in its history is committed by
///   then) and after each applied txn the preparation hears [`StateMachine::retire`].
pub trait StateMachine: Clone + Debug + Eq + Hash {
    /// What a client asks for: forwarded to the leader as a REQUEST.
    type Request: Payload;
    /// What the leader proposes and every server logs.
    type Txn: Payload;
    /// What applying the committed txns builds (ZooKeeper's `ZKDatabase`); a SNAP carries it.
    type Applied: Clone + Debug + Eq + Hash + Ord;
    /// What applying one txn produced (ZooKeeper's `ProcessTxnResult`: the reply's content and
    /// the watch events to trigger).
    type Outcome: Payload;
    /// The leader's preparation state (outstanding changes, the session tracker).
    type Preparation: Clone + Debug + Eq + Hash;
    /// What names a client session for [`StateMachine::touch`].
    type Session: Payload;

    /// The applied state of an empty history.
    fn initial(&self) -> Self::Applied;

    /// Applies one committed txn.
    fn apply(&self, applied: &mut Self::Applied, proposal: &Proposal<Self::Txn>) -> Self::Outcome;

    /// A leader is established with `applied` holding its whole history; its session clock
    /// reads `now_ms`.
    fn start_preparing(&self, applied: &Self::Applied, now_ms: u64) -> Self::Preparation;

    /// The leader turns `request` into the txn it proposes as `zxid`. Always a txn: a request
    /// that fails becomes a txn that says so, so replies stay in zxid order.
    fn prepare(
        &self,
        applied: &Self::Applied,
        preparation: &mut Self::Preparation,
        request: &Self::Request,
        zxid: Zxid,
    ) -> Self::Txn;

    /// The leader applied `zxid`: what was outstanding up to it is now in the applied state.
    fn retire(&self, preparation: &mut Self::Preparation, zxid: Zxid);

    /// The leader's session clock reads `now_ms`: the requests it must submit itself (a
    /// closeSession for each expired session).
    fn on_clock(&self, preparation: &mut Self::Preparation, now_ms: u64) -> Vec<Self::Request>;

    /// The leader's housekeeping round at wall time `wall_time_ms`: the requests it submits
    /// itself to clean up `applied` (ZooKeeper deletes emptied containers and expired TTL
    /// nodes). None for a state that keeps no such nodes.
    fn housekeeping(
        &self,
        _applied: &Self::Applied,
        _preparation: &mut Self::Preparation,
        _wall_time_ms: i64,
    ) -> Vec<Self::Request> {
        Vec::new()
    }

    /// A sign of life from `session` at `now_ms`: postpones its expiry. Returns false for a
    /// session the leader does not know or is closing.
    fn touch(
        &self,
        preparation: &mut Self::Preparation,
        session: &Self::Session,
        now_ms: u64,
    ) -> bool;

    /// The client of `session` reconnected through server `owner` at `now_ms` (ZooKeeper's
    /// REVALIDATE from a learner, or a reconnect to the leader itself): postpones its expiry
    /// and makes `owner` the server its requests must come through from now on. Returns false
    /// for a session the leader does not know or is closing: the client is told it expired.
    fn revalidate(
        &self,
        preparation: &mut Self::Preparation,
        session: &Self::Session,
        owner: ServerId,
        now_ms: u64,
    ) -> bool;

    /// True when `txn` is the one prepared from `request`: the server holding the client's
    /// connection answers it when it applies that txn.
    fn answers(&self, request: &Self::Request, txn: &Self::Txn) -> bool;

    /// The znode tree a client's reads see in `applied` (`request::Reader` answers them), for
    /// a state that is a ZooKeeper database; none for a state without znodes.
    fn data_tree(_applied: &Self::Applied) -> Option<&DataTree> {
        None
    }

    /// The watch events applying a txn triggered (for `watch::WatchRegistry::applied`), in
    /// the order ZooKeeper triggers them; none for a state without znodes.
    fn watch_events(_outcome: &Self::Outcome) -> &[(EventType, String)] {
        &[]
    }

    /// A session id as a client names it on the wire, as this machine's session.
    fn session_named(id: SessionId) -> Self::Session;

    /// The timeout of `session` if `applied` holds it: a server that has applied the session's
    /// createSession answers a reconnect with the session's own timeout. None for a state
    /// without sessions.
    fn session_timeout_ms(_applied: &Self::Applied, _session: SessionId) -> Option<i32> {
        None
    }

    /// The bounds a session's timeout is clamped to (`minSessionTimeout`, `maxSessionTimeout`).
    fn session_config(&self) -> SessionConfig;

    /// The ZooKeeper op code (`crate::tree::op_code`) of a write request: what the server's
    /// session order classifies it by ([`crate::request::Passage::of_request`]). A state
    /// without ZooKeeper's ops answers setData, which its writes stand for.
    fn request_op_code(_request: &Self::Request) -> i32 {
        crate::tree::op_code::SET_DATA
    }

    /// The createSession request a driver submits for a new session `session` of `timeout_ms`
    /// through server `owner` (the server's `connect` builds the same from the
    /// ConnectRequest); none for a state whose sessions are not replicated.
    fn create_session_request(
        &self,
        _session: SessionId,
        _owner: ServerId,
        _timeout_ms: i32,
    ) -> Option<Self::Request> {
        None
    }
}

/// The simplest replicated state: the txn is the request, and the applied state is the sequence
/// of txns applied. The model checker's ZAB configurations use it with small values, so their
/// client histories are read straight off the delivered txns, and a snapshot still says which
/// txns it folded (the properties read them back after a compaction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Register<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Register<T> {
    pub fn new() -> Register<T> {
        Register(std::marker::PhantomData)
    }
}

impl<T: Payload> StateMachine for Register<T> {
    type Request = T;
    type Txn = T;
    type Applied = Vec<Proposal<T>>;
    type Outcome = ();
    type Preparation = ();
    type Session = ();

    fn initial(&self) -> Vec<Proposal<T>> {
        Vec::new()
    }

    fn apply(&self, applied: &mut Vec<Proposal<T>>, proposal: &Proposal<T>) {
        applied.push(proposal.clone());
    }

    fn start_preparing(&self, _applied: &Vec<Proposal<T>>, _now_ms: u64) {}

    fn prepare(
        &self,
        _applied: &Vec<Proposal<T>>,
        _preparation: &mut (),
        request: &T,
        _zxid: Zxid,
    ) -> T {
        request.clone()
    }

    fn retire(&self, _preparation: &mut (), _zxid: Zxid) {}

    fn on_clock(&self, _preparation: &mut (), _now_ms: u64) -> Vec<T> {
        Vec::new()
    }

    fn touch(&self, _preparation: &mut (), _session: &(), _now_ms: u64) -> bool {
        true
    }

    fn revalidate(
        &self,
        _preparation: &mut (),
        _session: &(),
        _owner: ServerId,
        _now_ms: u64,
    ) -> bool {
        true
    }

    fn answers(&self, request: &T, txn: &T) -> bool {
        request == txn
    }

    /// The register's clients share one nameless session: only reconnecting to another server
    /// (revalidation) involves it.
    fn session_named(_id: SessionId) {}

    /// ZooKeeper's bounds for its default 2 s tick: the register replicates no sessions, so
    /// the bounds only shape a reconnect's answer.
    fn session_config(&self) -> SessionConfig {
        SessionConfig::with_tick_time(2000)
    }
}
