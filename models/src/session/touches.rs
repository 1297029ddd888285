//! The follower side of session liveness: ZooKeeper's `LearnerSessionTracker.touchTable`. A
//! follower does not expire sessions; it remembers which of its clients showed signs of life
//! since the last PING and sends them to the leader in its PING reply, where they become a
//! [`super::SessionTable::touch_batch`].

use crate::ids::SessionId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Touches collected between two pings: session id to the timeout the session negotiated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LocalSessionTouches {
    timeout_ms_by_session: BTreeMap<SessionId, i32>,
}

impl LocalSessionTouches {
    pub fn new() -> LocalSessionTouches {
        LocalSessionTouches::default()
    }

    /// A ping or any request from `session`. Touching twice before a ping sends it once.
    pub fn touch(&mut self, session: SessionId, timeout_ms: i32) {
        assert!(timeout_ms > 0, "a session timeout is positive");
        self.timeout_ms_by_session.insert(session, timeout_ms);
    }

    /// Forgets a session that closed locally, so a ping does not revive it on the leader.
    pub fn forget(&mut self, session: SessionId) {
        self.timeout_ms_by_session.remove(&session);
    }

    /// What the next PING carries, in session id order; the accumulator starts empty again.
    pub fn take(&mut self) -> Vec<(SessionId, i32)> {
        std::mem::take(&mut self.timeout_ms_by_session)
            .into_iter()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.timeout_ms_by_session.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timeout_ms_by_session.is_empty()
    }
}
