//! The leader's session table: ids, timeout clamping, expiry buckets, touches, closing.

use zabkeeper_models::error::ErrorCode;
use zabkeeper_models::ids::{ServerId, SessionId};
use zabkeeper_models::session::handshake::SessionIds;
use zabkeeper_models::session::{
    initial_session_id, round_to_next_interval, write_error_closes_connection, LocalSessionTouches,
    SessionConfig, SessionTable,
};

const TICK_MS: u64 = 2000;

fn table(now_ms: u64) -> SessionTable {
    SessionTable::new(SessionConfig::with_tick_time(TICK_MS), now_ms)
}

/// Opens a session as the server a client connects through and the leader do together: the
/// next id of server 3's sequence (started at time 0), the timeout clamped, the session
/// tracked from `now_ms`.
fn create_session(
    sessions: &mut SessionTable,
    ids: &mut SessionIds,
    requested_timeout_ms: i32,
    now_ms: u64,
) -> (SessionId, i32) {
    let id = ids.next(ServerId(3), 0);
    let timeout_ms = sessions.config().clamp_timeout_ms(requested_timeout_ms);
    assert!(sessions.track(id, timeout_ms, now_ms), "a new id");
    (id, timeout_ms)
}

#[test]
fn session_ids_put_the_server_in_the_top_byte() {
    let now_ms = 0x0000_0123_4567_89ab;
    let id = initial_session_id(ServerId(3), now_ms);
    assert_eq!(id, SessionId(0x0323_4567_89ab_0000));
    // The time's top bits are shifted out without touching the server byte.
    let id = initial_session_id(ServerId(1), u64::MAX);
    assert_eq!(id, SessionId(0x01ff_ffff_ffff_0000));
}

#[test]
fn container_owner_is_skipped() {
    // Server 0x80 at time 0 would give exactly the container owner's bits.
    assert_eq!(
        initial_session_id(ServerId(0x80), 0),
        SessionId(i64::MIN + 1)
    );
}

#[test]
fn timeouts_are_clamped_to_two_and_twenty_ticks() {
    let mut sessions = table(0);
    let mut ids = SessionIds::default();
    assert_eq!(create_session(&mut sessions, &mut ids, 1, 0).1, 4000);
    assert_eq!(create_session(&mut sessions, &mut ids, 10_000, 0).1, 10_000);
    assert_eq!(
        create_session(&mut sessions, &mut ids, 1_000_000, 0).1,
        40_000
    );
    let config = SessionConfig {
        tick_time_ms: 100,
        session_timeout_ms_min: 1000,
        session_timeout_ms_max: 1500,
    };
    assert_eq!(config.clamp_timeout_ms(2000), 1500);
    assert_eq!(config.clamp_timeout_ms(-5), 1000);
}

#[test]
fn expiry_is_rounded_up_to_the_next_tick() {
    assert_eq!(round_to_next_interval(0, 2000), 2000);
    assert_eq!(round_to_next_interval(1999, 2000), 2000);
    assert_eq!(round_to_next_interval(2000, 2000), 4000);
    let mut sessions = table(100);
    let mut ids = SessionIds::default();
    let (id, timeout_ms) = create_session(&mut sessions, &mut ids, 5000, 100);
    assert_eq!(timeout_ms, 5000);
    assert_eq!(sessions.expiration_ms(id), Some(6000));
    assert_eq!(sessions.next_expiration_ms(), 2000);
}

#[test]
fn touch_moves_expiry_and_expired_returns_due_sessions_in_bucket_order() {
    let mut sessions = table(0);
    let mut ids = SessionIds::default();
    let (short, _) = create_session(&mut sessions, &mut ids, 4000, 0); // bucket 6000
    let (long, _) = create_session(&mut sessions, &mut ids, 9000, 0); // bucket 10000
    let (touched, _) = create_session(&mut sessions, &mut ids, 4000, 0); // bucket 6000
    assert!(sessions.touch(touched, 3000)); // bucket 8000
    assert_eq!(sessions.expiration_ms(touched), Some(8000));
    assert_eq!(sessions.expired(5999), Vec::<SessionId>::new());
    assert_eq!(sessions.expired(6000), vec![short]);
    assert!(sessions.get(short).unwrap().closing);
    // A touch does not revive a closing session.
    assert!(!sessions.touch(short, 6000));
    assert_eq!(sessions.expiration_ms(short), None);
    // Late polling hands out every due bucket, earliest first.
    assert_eq!(sessions.expired(20_000), vec![touched, long]);
    assert_eq!(sessions.next_expiration_ms(), 22_000);
    assert_eq!(sessions.expired(20_000), Vec::<SessionId>::new());
    assert_eq!(sessions.len(), 3);
    sessions.remove(short);
    assert!(!sessions.contains(short));
}

#[test]
fn touch_within_the_same_bucket_changes_nothing() {
    let mut sessions = table(0);
    let mut ids = SessionIds::default();
    let (id, _) = create_session(&mut sessions, &mut ids, 4000, 0);
    assert_eq!(sessions.expiration_ms(id), Some(6000));
    assert!(sessions.touch(id, 1000));
    assert_eq!(sessions.expiration_ms(id), Some(6000));
    assert!(!sessions.touch(SessionId(42), 1000));
}

#[test]
fn follower_touches_reach_the_leader_in_a_batch() {
    let mut follower = LocalSessionTouches::new();
    let mut leader = table(0);
    let mut ids = SessionIds::default();
    let (a, _) = create_session(&mut leader, &mut ids, 4000, 0);
    let (b, _) = create_session(&mut leader, &mut ids, 4000, 0);
    follower.touch(a, 4000);
    follower.touch(b, 4000);
    follower.touch(a, 4000);
    follower.touch(SessionId(7), 4000);
    follower.forget(b);
    let touches = follower.take();
    assert!(follower.is_empty());
    assert_eq!(touches, vec![(SessionId(7), 4000), (a, 4000)]);
    assert_eq!(leader.touch_batch(&touches, 5000), vec![SessionId(7)]);
    assert_eq!(leader.expiration_ms(a), Some(10_000));
    assert_eq!(leader.expiration_ms(b), Some(6000));
    assert_eq!(leader.expired(6000), vec![b]);
}

#[test]
fn check_session_reports_unknown_expired_and_moved() {
    let mut sessions = table(0);
    let mut ids = SessionIds::default();
    let (id, _) = create_session(&mut sessions, &mut ids, 4000, 0);
    assert_eq!(
        sessions.check_session(SessionId(9), ServerId(1)),
        Err(ErrorCode::UnknownSession)
    );
    assert_eq!(
        sessions.check_global_session(SessionId(9), ServerId(1)),
        Err(ErrorCode::SessionExpired)
    );
    assert_eq!(sessions.check_session(id, ServerId(1)), Ok(()));
    assert_eq!(
        sessions.check_session(id, ServerId(2)),
        Err(ErrorCode::SessionMoved)
    );
    assert_eq!(sessions.set_owner(id, ServerId(2)), Ok(()));
    assert_eq!(sessions.check_session(id, ServerId(2)), Ok(()));
    sessions.set_closing(id);
    assert_eq!(
        sessions.check_session(id, ServerId(2)),
        Err(ErrorCode::SessionExpired)
    );
    assert_eq!(
        sessions.set_owner(id, ServerId(2)),
        Err(ErrorCode::SessionExpired)
    );
}

#[test]
fn revalidation_moves_the_owner_touches_the_session_and_refuses_a_closing_one() {
    let mut sessions = table(0);
    let mut ids = SessionIds::default();
    let (id, timeout_ms) = create_session(&mut sessions, &mut ids, 4000, 0);
    assert_eq!(sessions.check_session(id, ServerId(1)), Ok(()));
    // The client reconnects through server 2: its requests through 2 pass, a request still on
    // its way through 1 is refused, and the session lives a full timeout from the reconnect.
    assert!(sessions.revalidate(id, ServerId(2), 10_000));
    assert_eq!(
        sessions.get(id).and_then(|session| session.owner),
        Some(ServerId(2))
    );
    assert_eq!(sessions.check_session(id, ServerId(2)), Ok(()));
    assert_eq!(
        sessions.check_session(id, ServerId(1)),
        Err(ErrorCode::SessionMoved)
    );
    assert_eq!(
        sessions.expiration_ms(id),
        Some(round_to_next_interval(10_000 + timeout_ms as u64, TICK_MS))
    );
    // Moving back is a move like any other.
    assert!(sessions.revalidate(id, ServerId(1), 12_000));
    assert_eq!(
        sessions.check_session(id, ServerId(2)),
        Err(ErrorCode::SessionMoved)
    );
    assert!(!sessions.revalidate(SessionId(9), ServerId(2), 12_000));
    sessions.set_closing(id);
    assert!(!sessions.revalidate(id, ServerId(2), 12_000));
    assert_eq!(
        sessions.get(id).and_then(|session| session.owner),
        Some(ServerId(1))
    );
}

#[test]
fn the_table_lists_what_it_tracks_with_timeouts() {
    let mut sessions = table(0);
    assert!(sessions.is_empty());
    let mut ids = SessionIds::default();
    let (first, first_timeout_ms) = create_session(&mut sessions, &mut ids, 6_000, 0);
    let (second, second_timeout_ms) = create_session(&mut sessions, &mut ids, 60_000, 0);
    assert!(!sessions.is_empty());
    assert!(sessions.contains(first) && sessions.contains(second));
    assert!(!sessions.contains(SessionId(first.0 - 1)));
    let mut listed: Vec<(SessionId, i32)> = sessions.timeouts_ms().collect();
    listed.sort();
    assert_eq!(
        listed,
        vec![(first, first_timeout_ms), (second, second_timeout_ms)]
    );
}

/// Only SessionMoved closes the connection a write came through (ZOOKEEPER-710).
#[test]
fn only_session_moved_closes_the_writers_connection() {
    assert!(write_error_closes_connection(Some(ErrorCode::SessionMoved)));
    for error in [
        None,
        Some(ErrorCode::Ok),
        Some(ErrorCode::NoNode),
        Some(ErrorCode::SessionExpired),
    ] {
        assert!(!write_error_closes_connection(error), "{error:?}");
    }
}
