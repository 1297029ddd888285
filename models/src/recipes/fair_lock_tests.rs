use super::*;
use crate::recipes::lock::{marker, Names};

const DIRECTORY: &str = "/locks/job";
const PREFIX: &str = "0123456789abcdef0123456789abcdef";

fn child(kind: LockKind, sequence: i32) -> String {
    format!("{PREFIX}{}{sequence:010}", marker(kind))
}

fn other(sequence: i32) -> String {
    format!("ffffffffffffffffffffffffffffffff__lock__{sequence:010}")
}

fn path(child: &str) -> String {
    format!("{DIRECTORY}/{child}")
}

fn list() -> Vec<Operation> {
    vec![Operation::GetChildren {
        path: DIRECTORY.to_string(),
        watch: false,
    }]
}

fn created(lock: &mut FairLock, sequence: i32) -> Vec<Operation> {
    let node = path(&child(lock.kind(), sequence));
    lock.on_input(Input::Created { path: node })
}

#[test]
fn an_uncontended_acquire_creates_lists_and_holds() {
    let mut lock = FairLock::new(DIRECTORY, LockKind::Exclusive, PREFIX);
    assert_eq!(lock.status(), LockStatus::Idle);
    assert_eq!(
        lock.acquire(),
        vec![Operation::Create {
            path: format!("{DIRECTORY}/{PREFIX}__lock__"),
            sequential: true,
        }]
    );
    assert_eq!(lock.status(), LockStatus::Waiting);
    assert_eq!(created(&mut lock, 4), list());
    let mine = child(LockKind::Exclusive, 4);
    assert_eq!(lock.on_input(Input::Children(vec![mine.clone()])), vec![]);
    assert_eq!(lock.status(), LockStatus::Holds);
    assert_eq!(lock.sequence(), Some(4));
    assert_eq!(
        lock.release(),
        vec![Operation::Delete { path: path(&mine) }]
    );
    assert_eq!(lock.on_input(Input::Deleted), vec![]);
    assert_eq!(lock.status(), LockStatus::Idle);
}

#[test]
fn a_waiter_watches_its_blocker_and_decides_again_from_a_fresh_listing() {
    let mut lock = FairLock::new(DIRECTORY, LockKind::Exclusive, PREFIX);
    lock.acquire();
    created(&mut lock, 2);
    let mine = child(LockKind::Exclusive, 2);
    let blocker = other(1);
    assert_eq!(
        lock.on_input(Input::Children(vec![mine.clone(), blocker.clone()])),
        vec![Operation::WatchNode {
            path: path(&blocker)
        }]
    );
    assert_eq!(lock.on_input(Input::Watching), vec![]);
    // A notification for another node, or a stale listing, changes nothing.
    assert_eq!(
        lock.on_input(Input::Notified {
            path: path(&other(0))
        }),
        vec![]
    );
    assert_eq!(lock.on_input(Input::Children(vec![])), vec![]);
    assert_eq!(lock.status(), LockStatus::Waiting);
    // The blocker goes: list again rather than assume the lock.
    assert_eq!(
        lock.on_input(Input::Notified {
            path: path(&blocker)
        }),
        list()
    );
    // It was a waiter that expired; the holder (sequence 0) is still there.
    let holder = other(0);
    assert_eq!(
        lock.on_input(Input::Children(vec![holder.clone(), mine.clone()])),
        vec![Operation::WatchNode {
            path: path(&holder)
        }]
    );
    // The holder is gone before the watch is set: list again at once.
    assert_eq!(lock.on_input(Input::NoNode), list());
    assert_eq!(lock.on_input(Input::Children(vec![mine])), vec![]);
    assert_eq!(lock.status(), LockStatus::Holds);
}

#[test]
fn a_session_expiry_or_a_missing_node_means_the_lock_is_lost() {
    let mut lock = FairLock::new(DIRECTORY, LockKind::Exclusive, PREFIX);
    lock.acquire();
    created(&mut lock, 2);
    let mine = child(LockKind::Exclusive, 2);
    lock.on_input(Input::Children(vec![mine]));
    assert_eq!(lock.status(), LockStatus::Holds);
    assert_eq!(lock.on_input(Input::SessionExpired), vec![]);
    assert_eq!(lock.status(), LockStatus::Lost);
    assert_eq!(
        lock.release(),
        vec![],
        "nothing to delete: the node is gone"
    );

    let mut lock = FairLock::new(DIRECTORY, LockKind::Read, PREFIX);
    lock.acquire();
    created(&mut lock, 7);
    assert_eq!(lock.on_input(Input::Children(vec![other(3)])), vec![]);
    assert_eq!(lock.status(), LockStatus::Lost);
}

#[test]
fn the_lock_is_re_entrant_and_deleted_with_the_last_hold() {
    let mut lock = FairLock::new(DIRECTORY, LockKind::Exclusive, PREFIX);
    lock.acquire();
    created(&mut lock, 0);
    let mine = child(LockKind::Exclusive, 0);
    lock.on_input(Input::Children(vec![mine.clone()]));
    assert_eq!(lock.acquire(), vec![]);
    assert_eq!(lock.release(), vec![]);
    assert_eq!(lock.status(), LockStatus::Holds);
    assert_eq!(
        lock.release(),
        vec![Operation::Delete { path: path(&mine) }]
    );
}

#[test]
fn a_create_with_an_unknown_outcome_is_found_by_its_prefix_or_made_again() {
    let mut lock = FairLock::new(DIRECTORY, LockKind::Exclusive, PREFIX);
    let create = lock.acquire();
    assert_eq!(lock.on_input(Input::OutcomeUnknown), list());
    assert_eq!(
        lock.on_input(Input::Children(vec![other(0)])),
        create,
        "not made: create again"
    );
    assert_eq!(lock.on_input(Input::OutcomeUnknown), list());
    let mine = child(LockKind::Exclusive, 1);
    assert_eq!(
        lock.on_input(Input::Children(vec![other(0), mine.clone()])),
        vec![Operation::WatchNode {
            path: path(&other(0))
        }],
        "made: carry on from the listing"
    );
    assert_eq!(lock.node_path(), Some(path(&mine)));
}

#[test]
fn cancelling_while_the_create_is_in_flight_deletes_the_node_if_it_was_made() {
    let mut lock = FairLock::new(DIRECTORY, LockKind::Exclusive, PREFIX);
    lock.acquire();
    assert_eq!(lock.release(), list());
    // The create's answer overtaken by the cancel is ignored; the listing decides.
    assert_eq!(
        lock.on_input(Input::Created {
            path: path(&child(LockKind::Exclusive, 3))
        }),
        vec![]
    );
    let mine = child(LockKind::Exclusive, 3);
    assert_eq!(
        lock.on_input(Input::Children(vec![other(1), mine.clone()])),
        vec![Operation::Delete { path: path(&mine) }]
    );
    lock.on_input(Input::Deleted);
    assert_eq!(lock.status(), LockStatus::Idle);

    let mut lock = FairLock::new(DIRECTORY, LockKind::Exclusive, PREFIX);
    lock.acquire();
    lock.release();
    assert_eq!(lock.on_input(Input::Children(vec![other(1)])), vec![]);
    assert_eq!(lock.status(), LockStatus::Idle, "never made: nothing to do");
}

#[test]
fn cancelling_a_waiter_deletes_its_node() {
    let mut lock = FairLock::new(DIRECTORY, LockKind::Read, PREFIX);
    lock.acquire();
    created(&mut lock, 5);
    let mine = child(LockKind::Read, 5);
    lock.on_input(Input::Children(vec![other(2), mine.clone()]));
    assert_eq!(lock.status(), LockStatus::Waiting);
    assert_eq!(
        lock.release(),
        vec![Operation::Delete { path: path(&mine) }]
    );
    assert_eq!(
        lock.on_input(Input::Watching),
        vec![],
        "overtaken by the cancel"
    );
    assert_eq!(lock.on_input(Input::NoNode), vec![]);
    assert_eq!(lock.status(), LockStatus::Idle);
}

#[test]
fn curator_names_are_made_and_found_again() {
    let prefix = "_c_01234567-89ab-cdef-0123-456789abcdef-";
    let mut lock =
        FairLock::with_names(DIRECTORY, LockKind::Exclusive, prefix, Names::CuratorMutex);
    assert_eq!(
        lock.acquire(),
        vec![Operation::Create {
            path: format!("{DIRECTORY}/{prefix}lock-"),
            sequential: true,
        }]
    );
    assert_eq!(lock.on_input(Input::OutcomeUnknown), list());
    let mine = format!("{prefix}lock-0000000002");
    let kazoo = other(1);
    assert_eq!(
        lock.on_input(Input::Children(vec![mine.clone(), kazoo.clone()])),
        vec![Operation::WatchNode { path: path(&kazoo) }],
        "found by its prefix, queued behind a kazoo contender"
    );
    assert_eq!(lock.node_path(), Some(path(&mine)));
}
