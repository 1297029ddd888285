//! Sessions as the leader tracks them: ZooKeeper's `SessionTrackerImpl` with its `ExpiryQueue`.
//!
//! A session lives from its createSession txn to its closeSession txn. The leader expires a
//! session that no server heard from within its timeout: [`SessionTable::expired`] marks it
//! closing and returns it, and the leader turns it into a closeSession request that goes through
//! [`crate::request::Preparer`] like a client's own close, so its ephemerals (committed and
//! outstanding) go in the same txn. From the moment a session is closing, every further request
//! of it fails with SessionExpired and touches no longer revive it.
//!
//! Life signs reach the table three ways: a request or ping from a client connected to the
//! leader ([`SessionTable::touch`]), touches forwarded in a follower's PING
//! ([`SessionTable::touch_batch`], collected on the follower by [`LocalSessionTouches`]), and the
//! createSession itself.
//!
//! Times are the driver's monotonic clock in milliseconds, passed in; nothing here reads a clock.

mod expiry;
pub mod handshake;
mod touches;

pub use expiry::{round_to_next_interval, ExpiryQueue};
pub use touches::LocalSessionTouches;

use crate::error::ErrorCode;
use crate::ids::{ServerId, SessionId};
use crate::tree::CONTAINER_EPHEMERAL_OWNER;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Session timing from zoo.cfg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionConfig {
    /// `tickTime`: the width of an expiry bucket.
    pub tick_time_ms: u64,
    /// `minSessionTimeout`, by default two ticks.
    pub session_timeout_ms_min: i32,
    /// `maxSessionTimeout`, by default twenty ticks.
    pub session_timeout_ms_max: i32,
}

impl SessionConfig {
    /// ZooKeeper's defaults for a tick: timeouts between 2 and 20 ticks.
    pub fn with_tick_time(tick_time_ms: u64) -> SessionConfig {
        let tick = i32::try_from(tick_time_ms).expect("tickTime fits in an int");
        SessionConfig {
            tick_time_ms,
            session_timeout_ms_min: tick * 2,
            session_timeout_ms_max: tick * 20,
        }
    }

    /// The timeout a client gets for the one it asked for (`processConnectRequest`).
    pub fn clamp_timeout_ms(&self, requested_timeout_ms: i32) -> i32 {
        assert!(self.session_timeout_ms_min <= self.session_timeout_ms_max);
        requested_timeout_ms.clamp(self.session_timeout_ms_min, self.session_timeout_ms_max)
    }
}

/// One tracked session.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub timeout_ms: i32,
    /// Set when the session expired or its closeSession was prepared; cleared never (the
    /// closeSession txn removes the session).
    pub closing: bool,
    /// The server the client is connected through (ZooKeeper's session owner). A request from
    /// any other server means the client moved and its old server is stale: SessionMoved.
    pub owner: Option<ServerId>,
}

/// The leader's session table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionTable {
    config: SessionConfig,
    sessions: BTreeMap<SessionId, Session>,
    /// Sessions not closing, by expiration bucket.
    expiry: ExpiryQueue<SessionId>,
}

impl SessionTable {
    /// A table whose clock reads `now_ms`. Session ids are not its business: the server a
    /// client connects through picks one ([`handshake::SessionIds`]), and the createSession txn
    /// brings it here.
    pub fn new(config: SessionConfig, now_ms: u64) -> SessionTable {
        SessionTable {
            config,
            sessions: BTreeMap::new(),
            expiry: ExpiryQueue::new(config.tick_time_ms, now_ms),
        }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// `trackSession`: starts tracking `session` unless it is tracked already, and in both cases
    /// moves its expiry to `now_ms + timeout_ms`. Returns whether it was added. Called when a
    /// createSession is prepared, and when one is applied (a no-op move on the leader).
    pub fn track(&mut self, session: SessionId, timeout_ms: i32, now_ms: u64) -> bool {
        assert!(timeout_ms > 0, "a session timeout is positive");
        let added = !self.sessions.contains_key(&session);
        let entry = self.sessions.entry(session).or_insert(Session {
            id: session,
            timeout_ms,
            closing: false,
            owner: None,
        });
        // A closing session stays out of the queue: it is on its way out already, and queuing
        // it again would expire it twice.
        let closing = entry.closing;
        if !closing {
            self.expiry.update(
                &session,
                u64::try_from(timeout_ms).expect("positive"),
                now_ms,
            );
        }
        added
    }

    /// A sign of life from `session` with its own timeout. Returns false (and changes nothing)
    /// for an unknown or closing session, as `touchSession` does.
    pub fn touch(&mut self, session: SessionId, now_ms: u64) -> bool {
        let Some(timeout_ms) = self.sessions.get(&session).map(|s| s.timeout_ms) else {
            return false;
        };
        self.touch_with_timeout(session, timeout_ms, now_ms)
    }

    /// Touches forwarded in a follower's PING, each with the timeout the follower knows. Returns
    /// the sessions the table refused (unknown or closing); ZooKeeper's leader ignores them.
    pub fn touch_batch(&mut self, touches: &[(SessionId, i32)], now_ms: u64) -> Vec<SessionId> {
        touches
            .iter()
            .filter(|(session, timeout_ms)| !self.touch_with_timeout(*session, *timeout_ms, now_ms))
            .map(|(session, _)| *session)
            .collect()
    }

    fn touch_with_timeout(&mut self, session: SessionId, timeout_ms: i32, now_ms: u64) -> bool {
        match self.sessions.get(&session) {
            None => false,
            Some(tracked) if tracked.closing => false,
            Some(_) => {
                let timeout_ms = u64::try_from(timeout_ms.max(0)).expect("non-negative");
                self.expiry.update(&session, timeout_ms, now_ms);
                true
            }
        }
    }

    /// `checkSession`, done for every request but closeSession: UnknownSession for a session
    /// the table never saw (or already removed), SessionExpired once it is closing,
    /// SessionMoved when it is bound to another server. The first request binds an unbound
    /// session to `owner`.
    pub fn check_session(&mut self, session: SessionId, owner: ServerId) -> Result<(), ErrorCode> {
        let tracked = self
            .sessions
            .get_mut(&session)
            .ok_or(ErrorCode::UnknownSession)?;
        if tracked.closing {
            return Err(ErrorCode::SessionExpired);
        }
        match tracked.owner {
            None => {
                tracked.owner = Some(owner);
                Ok(())
            }
            Some(current) if current == owner => Ok(()),
            Some(_) => Err(ErrorCode::SessionMoved),
        }
    }

    /// `checkGlobalSession`, for ephemeral creates: as [`SessionTable::check_session`] but an
    /// unknown session reads as expired.
    pub fn check_global_session(
        &mut self,
        session: SessionId,
        owner: ServerId,
    ) -> Result<(), ErrorCode> {
        match self.check_session(session, owner) {
            Err(ErrorCode::UnknownSession) => Err(ErrorCode::SessionExpired),
            other => other,
        }
    }

    /// `setOwner`: binds `session` to the server its client (re)connected through.
    pub fn set_owner(&mut self, session: SessionId, owner: ServerId) -> Result<(), ErrorCode> {
        match self.sessions.get_mut(&session) {
            Some(tracked) if !tracked.closing => {
                tracked.owner = Some(owner);
                Ok(())
            }
            _ => Err(ErrorCode::SessionExpired),
        }
    }

    /// The client of `session` reconnected through `owner` (ZooKeeper's REVALIDATE from a
    /// learner, or a reconnect to the leader itself): a sign of life, and from now on `owner`
    /// is the only server its requests are accepted through, so a request still on its way
    /// through the server it left gets SessionMoved. Returns false (and changes nothing) for
    /// an unknown or closing session: the client is told its session expired.
    pub fn revalidate(&mut self, session: SessionId, owner: ServerId, now_ms: u64) -> bool {
        if !self.touch(session, now_ms) {
            return false;
        }
        self.set_owner(session, owner)
            .expect("a session that took a touch is tracked and not closing");
        assert_eq!(self.sessions[&session].owner, Some(owner));
        true
    }

    /// Marks `session` closing (its closeSession was prepared, or it expired). Unknown sessions
    /// are ignored, as in ZooKeeper.
    pub fn set_closing(&mut self, session: SessionId) {
        if let Some(tracked) = self.sessions.get_mut(&session) {
            tracked.closing = true;
        }
    }

    /// Forgets `session`: its closeSession txn was applied.
    pub fn remove(&mut self, session: SessionId) -> Option<Session> {
        let removed = self.sessions.remove(&session);
        self.expiry.remove(&session);
        removed
    }

    /// The sessions whose expiry bucket is due at `now_ms`, earliest bucket first. Each is now
    /// closing and out of the expiry queue; the leader must submit a closeSession request for
    /// each (ZooKeeper's `SessionExpirer.expire`). The table forgets it only when that txn is
    /// applied ([`SessionTable::remove`]).
    pub fn expired(&mut self, now_ms: u64) -> Vec<SessionId> {
        let expired = self.expiry.poll_expired(now_ms);
        for session in &expired {
            let tracked = self
                .sessions
                .get_mut(session)
                .expect("every queued session is tracked");
            tracked.closing = true;
        }
        expired
    }

    /// When the driver should call [`SessionTable::expired`] next.
    pub fn next_expiration_ms(&self) -> u64 {
        self.expiry.next_expiration_ms()
    }

    /// The bucket `session` expires in, if it is tracked and not expired yet.
    pub fn expiration_ms(&self, session: SessionId) -> Option<u64> {
        self.expiry.expiration_ms(&session)
    }

    pub fn get(&self, session: SessionId) -> Option<&Session> {
        self.sessions.get(&session)
    }

    pub fn contains(&self, session: SessionId) -> bool {
        self.sessions.contains_key(&session)
    }

    /// Every tracked session with its timeout (what a snapshot stores).
    pub fn timeouts_ms(&self) -> impl Iterator<Item = (SessionId, i32)> + '_ {
        self.sessions
            .values()
            .map(|session| (session.id, session.timeout_ms))
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

/// Whether the connection a write came through closes once the write is answered with
/// `error`: it does when the leader refused it SessionMoved. The session's client has
/// reconnected through another server, so this connection is a stale one; ZooKeeper closes it
/// (ZOOKEEPER-710), or a client whose reconnect raced a slower one could keep a connection the
/// leader refuses for good, while closing makes it reconnect, which revalidates the session
/// where the client really is. (ZooKeeper closes without answering; here the answer goes
/// first, so the client learns why.)
pub fn write_error_closes_connection(error: Option<ErrorCode>) -> bool {
    error == Some(ErrorCode::SessionMoved)
}

/// `initializeNextSessionId`: the elapsed time in ms shifted into bits 16..55 (`(t << 24) >>> 8`,
/// an unsigned shift so the top byte stays clear) and the server id in the top byte. Server ids
/// stay at or below 254, so no session id has the top byte TTL owners use.
pub fn initial_session_id(server_id: ServerId, now_ms: u64) -> SessionId {
    assert!(
        server_id.0 <= 254,
        "server id {server_id} would make session ids look like TTL owners"
    );
    let mut id = (((now_ms << 24) >> 8) | (server_id.0 << 56)) as i64;
    if id == CONTAINER_EPHEMERAL_OWNER {
        id += 1;
    }
    SessionId(id)
}
