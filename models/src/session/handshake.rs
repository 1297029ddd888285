//! The connect handshake's decisions (ZooKeeper's `NIOServerCnxnFactory` connection limit,
//! `ZooKeeperServer.processConnectRequest` and `reopenSession`): whether a connection is let
//! in, and whether a ConnectRequest is refused, creates a session, resumes one, or is told
//! its session expired. The driver brings what it knows (whether its peer serves, its last
//! zxid, the sessions it holds, whether the password is the session's); the bytes stay there.

use super::{initial_session_id, SessionConfig};
use crate::ids::{ServerId, SessionId, Zxid};

/// Whether one more connection from an address is let in (`maxClientCnxns`, counted per
/// address; `None` for no limit).
pub fn admits_connection(open_from_address: usize, limit: Option<u32>) -> bool {
    limit.is_none_or(|limit| open_from_address < limit as usize)
}

/// The ids of the sessions created through one server (`SessionTrackerImpl.nextSessionId`):
/// [`initial_session_id`] of the server and the time it started, then one more each. Only the
/// count is kept, so that two servers that created the same number of sessions hold equal
/// sequences (the model checker renames servers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SessionIds {
    issued: u64,
}

impl SessionIds {
    /// The next id of `server`'s sequence, which started at `start_ms`.
    pub fn next(&mut self, server: ServerId, start_ms: u64) -> SessionId {
        let first = initial_session_id(server, start_ms);
        let id = first.0.wrapping_add_unsigned(self.issued);
        self.issued += 1;
        SessionId(id)
    }
}

/// What a ConnectRequest asks, as far as the decision goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshake {
    pub last_zxid_seen: i64,
    pub timeout_ms: i32,
    /// 0 asks for a new session.
    pub session_id: i64,
    /// Whether the password the client sent is the one derived for `session_id`.
    pub password_matches: bool,
}

/// What the server has that the decision depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerView {
    /// The peer leads or follows and has synced: it can serve sessions.
    pub serving: bool,
    /// The last txn this server has applied: what its reads answer from (ZooKeeper's
    /// `lastProcessedZxid`). Built by `zab::Peer::handshake_view`.
    pub last_zxid: Zxid,
    /// The timeout of the session the client names, if this server's applied state holds it.
    pub known_session_timeout_ms: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeDecision {
    /// Still electing or syncing, so there is no state to serve a session from yet: hold the
    /// handshake and decide again once the server serves. A client that reconnects during an
    /// election (its server lost the leader) then gets its answer the moment the ensemble
    /// serves again, not after its own retry backoff; the driver bounds the wait.
    WaitUntilServing,
    /// Close the connection without an answer; the client retries, elsewhere if it can.
    Refuse(Refusal),
    /// Submit a createSession with this negotiated timeout; answer when it is applied.
    CreateSession { timeout_ms: i32 },
    /// Ask the leader to revalidate the session (which makes this server its owner) and
    /// answer with `timeout_ms` once it says the session lives; if it does not (unknown, or
    /// already closing), answer as `Expired`. The timeout is the session's own when this
    /// server has applied its createSession, else the one the client asks for, clamped, as
    /// ZooKeeper answers a reconnect: a server that has not caught up with the session's
    /// creation yet must not turn away a client the leader knows.
    Resume { session: SessionId, timeout_ms: i32 },
    /// Answer with timeout 0 (the client's "session expired"), then close.
    Expired { session: SessionId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The client has seen a txn this server does not have: serving it would go back in time.
    ClientIsAhead {
        last_zxid_seen: i64,
        last_zxid: Zxid,
    },
}

/// The decision for `request` on a server in the state `server`.
pub fn decide(config: &SessionConfig, server: ServerView, request: Handshake) -> HandshakeDecision {
    if !server.serving {
        return HandshakeDecision::WaitUntilServing;
    }
    if let Some(refusal) = client_is_ahead(server, request.last_zxid_seen) {
        return HandshakeDecision::Refuse(refusal);
    }
    if request.session_id == 0 {
        return HandshakeDecision::CreateSession {
            timeout_ms: config.clamp_timeout_ms(request.timeout_ms),
        };
    }
    let session = SessionId(request.session_id);
    if !request.password_matches {
        return HandshakeDecision::Expired { session };
    }
    let timeout_ms = server
        .known_session_timeout_ms
        .unwrap_or_else(|| config.clamp_timeout_ms(request.timeout_ms));
    HandshakeDecision::Resume {
        session,
        timeout_ms,
    }
}

/// The refusal of a client that has seen a txn this server has not applied: its reads here
/// would go back in time (the session guarantee the model checker checks on reconnects).
pub fn client_is_ahead(server: ServerView, last_zxid_seen: i64) -> Option<Refusal> {
    // Zxids are unsigned here and signed on the wire; a negative lastZxidSeen is behind all.
    (last_zxid_seen > 0 && last_zxid_seen as u64 > server.last_zxid.0).then_some(
        Refusal::ClientIsAhead {
            last_zxid_seen,
            last_zxid: server.last_zxid,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Epoch;

    const CONFIG: SessionConfig = SessionConfig {
        tick_time_ms: 2000,
        session_timeout_ms_min: 4000,
        session_timeout_ms_max: 40_000,
    };

    fn serving(last_zxid: Zxid, known_session_timeout_ms: Option<i32>) -> ServerView {
        ServerView {
            serving: true,
            last_zxid,
            known_session_timeout_ms,
        }
    }

    fn new_session(last_zxid_seen: i64, timeout_ms: i32) -> Handshake {
        Handshake {
            last_zxid_seen,
            timeout_ms,
            session_id: 0,
            password_matches: false,
        }
    }

    #[test]
    fn a_servers_session_ids_count_up_from_its_first() {
        let mut ids = SessionIds::default();
        let start_ms = 0x0000_0123_4567_89ab;
        assert_eq!(
            ids.next(ServerId(3), start_ms),
            SessionId(0x0323_4567_89ab_0000)
        );
        assert_eq!(
            ids.next(ServerId(3), start_ms),
            SessionId(0x0323_4567_89ab_0001)
        );
        let mut other = SessionIds::default();
        assert_eq!(
            other.next(ServerId(4), start_ms),
            SessionId(0x0423_4567_89ab_0000),
            "another server's ids differ in the top byte"
        );
    }

    #[test]
    fn connections_from_one_address_stop_at_the_limit() {
        assert!(admits_connection(1, Some(2)));
        assert!(!admits_connection(2, Some(2)));
        assert!(admits_connection(10_000, None));
    }

    #[test]
    fn a_server_that_does_not_serve_holds_every_handshake() {
        let server = ServerView {
            serving: false,
            ..serving(Zxid::ZERO, None)
        };
        assert_eq!(
            decide(&CONFIG, server, new_session(0, 30_000)),
            HandshakeDecision::WaitUntilServing
        );
        let ahead = new_session(i64::MAX, 30_000);
        assert_eq!(
            decide(&CONFIG, server, ahead),
            HandshakeDecision::WaitUntilServing,
            "whether the client is ahead is known only once the server has synced"
        );
    }

    #[test]
    fn a_client_ahead_of_the_server_is_refused_and_one_level_with_it_is_not() {
        let last_zxid = Zxid::new(Epoch(1), 5);
        let ahead = new_session(last_zxid.0 as i64 + 1, 30_000);
        assert_eq!(
            decide(&CONFIG, serving(last_zxid, None), ahead),
            HandshakeDecision::Refuse(Refusal::ClientIsAhead {
                last_zxid_seen: last_zxid.0 as i64 + 1,
                last_zxid
            })
        );
        let level = new_session(last_zxid.0 as i64, 30_000);
        assert!(matches!(
            decide(&CONFIG, serving(last_zxid, None), level),
            HandshakeDecision::CreateSession { .. }
        ));
    }

    #[test]
    fn a_new_session_gets_its_timeout_clamped_to_the_configured_bounds() {
        let server = serving(Zxid::ZERO, None);
        for (asked, granted) in [(1000, 4000), (30_000, 30_000), (90_000, 40_000)] {
            assert_eq!(
                decide(&CONFIG, server, new_session(0, asked)),
                HandshakeDecision::CreateSession {
                    timeout_ms: granted
                }
            );
        }
    }

    #[test]
    fn a_known_session_with_its_password_resumes_with_its_own_timeout() {
        let request = Handshake {
            last_zxid_seen: 0,
            timeout_ms: 5000,
            session_id: 7,
            password_matches: true,
        };
        assert_eq!(
            decide(&CONFIG, serving(Zxid::ZERO, Some(12_000)), request),
            HandshakeDecision::Resume {
                session: SessionId(7),
                timeout_ms: 12_000
            }
        );
    }

    #[test]
    fn a_wrong_password_is_told_it_expired() {
        let wrong_password = Handshake {
            last_zxid_seen: 0,
            timeout_ms: 5000,
            session_id: 7,
            password_matches: false,
        };
        for known in [Some(12_000), None] {
            assert_eq!(
                decide(&CONFIG, serving(Zxid::ZERO, known), wrong_password),
                HandshakeDecision::Expired {
                    session: SessionId(7)
                }
            );
        }
    }

    #[test]
    fn a_session_this_server_has_not_applied_is_left_to_the_leader_with_the_asked_timeout() {
        let unknown_here = Handshake {
            last_zxid_seen: 0,
            timeout_ms: 90_000,
            session_id: 7,
            password_matches: true,
        };
        assert_eq!(
            decide(&CONFIG, serving(Zxid::ZERO, None), unknown_here),
            HandshakeDecision::Resume {
                session: SessionId(7),
                timeout_ms: 40_000
            }
        );
    }
}
