//! Fair locks on ephemeral-sequential children: the exclusive lock (a mutex, or the write side
//! of a read-write lock) and the read side. A contender holds its lock when no earlier node
//! blocks it, and otherwise watches only the latest earlier node that blocks it, so that one
//! release wakes at most one waiter (no herd).
//!
//! Node names follow kazoo's scheme, `<32 hex digits>__lock__<sequence>` for exclusive and
//! `<32 hex digits>__rlock__<sequence>` for read contenders, so that kazoo's `Lock`,
//! `WriteLock` and `ReadLock` and this library queue in one line. Curator's nodes
//! (`...lock-<sequence>`, `...__WRIT__<sequence>`, `...__READ__<sequence>`) are recognised as
//! contenders too; Curator itself does not recognise kazoo's names, so a lock shared with
//! Curator processes must use Curator's names on both sides.

use super::RecipeMutations;

/// What a contender asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockKind {
    /// Alone: a mutex, or a read-write lock's writer. Blocked by every earlier contender.
    Exclusive,
    /// Shared with other readers: blocked only by earlier exclusive contenders.
    Read,
}

/// A child of the lock node that takes part in the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contender {
    pub kind: LockKind,
    /// The sequence ZooKeeper appended: the parent's cversion at the create, so the order of
    /// the creates.
    pub sequence: i32,
}

/// Markers that precede the sequence number, longest first so that `__rlock__` is not read
/// as `lock__`-something.
const MARKERS: [(&str, LockKind); 6] = [
    ("__rlock__", LockKind::Read),
    ("__lock__", LockKind::Exclusive),
    ("__READ__", LockKind::Read),
    ("__WRIT__", LockKind::Exclusive),
    ("latch-", LockKind::Exclusive),
    ("lock-", LockKind::Exclusive),
];

/// ZooKeeper appends the sequence as ten characters (`%010d`; a negative one after the
/// parent's cversion overflowed).
const SEQUENCE_CHARACTERS: usize = 10;

/// Whose node names a contender writes. Every scheme's contenders are recognised (see
/// [`parse`]); a lock shared with other programs must use the names they look for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Names {
    /// kazoo's `Lock`, `WriteLock` (`__lock__`), `ReadLock` (`__rlock__`) and `Election`.
    #[default]
    Kazoo,
    /// Curator's `InterProcessMutex` (`lock-`; exclusive only).
    CuratorMutex,
    /// Curator's `InterProcessReadWriteLock` (`__WRIT__`, `__READ__`).
    CuratorReadWrite,
}

/// The marker a contender of `kind` writes before its sequence, in kazoo's scheme.
pub fn marker(kind: LockKind) -> &'static str {
    marker_in(Names::Kazoo, kind)
}

/// The marker a contender of `kind` writes before its sequence under `names`.
pub fn marker_in(names: Names, kind: LockKind) -> &'static str {
    match (names, kind) {
        (Names::Kazoo, LockKind::Exclusive) => "__lock__",
        (Names::Kazoo, LockKind::Read) => "__rlock__",
        (Names::CuratorMutex, LockKind::Exclusive) => "lock-",
        (Names::CuratorMutex, LockKind::Read) => {
            panic!("Curator's mutex has no readers: use Names::CuratorReadWrite")
        }
        (Names::CuratorReadWrite, LockKind::Exclusive) => "__WRIT__",
        (Names::CuratorReadWrite, LockKind::Read) => "__READ__",
    }
}

/// The contender a child's name describes, or `None` for a child that is not a lock node.
pub fn parse(name: &str) -> Option<Contender> {
    let split = name.len().checked_sub(SEQUENCE_CHARACTERS)?;
    if !name.is_char_boundary(split) {
        return None;
    }
    let (head, sequence) = name.split_at(split);
    if !sequence
        .bytes()
        .all(|byte| byte.is_ascii_digit() || byte == b'-')
    {
        return None;
    }
    let sequence: i32 = sequence.parse().ok()?;
    let kind = MARKERS
        .iter()
        .find(|(marker, _)| head.ends_with(marker))
        .map(|(_, kind)| *kind)?;
    Some(Contender { kind, sequence })
}

/// What a contender does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockDecision {
    /// Nothing earlier blocks it: it holds the lock.
    Holds,
    /// Watch this child (for its deletion) and decide again when it goes, or when the watch
    /// finds it already gone.
    WaitFor(String),
    /// Its own node is not among the children: its session expired (or the node was deleted),
    /// so it does not hold the lock and must not act as if it did.
    Lost,
}

/// The decision for the contender whose node is `mine` among `children`, the lock node's
/// children as `getChildren` returned them (in any order; names that are not lock nodes are
/// ignored).
pub fn decide(mine: &str, children: &[String]) -> LockDecision {
    decide_with(mine, children, RecipeMutations::NONE)
}

/// [`decide`], with the seeded bugs the checker must catch.
pub(crate) fn decide_with(
    mine: &str,
    children: &[String],
    mutations: RecipeMutations,
) -> LockDecision {
    let Some(own) = parse(mine) else {
        return LockDecision::Lost;
    };
    if !children.iter().any(|child| child == mine) {
        return LockDecision::Lost;
    }
    // Contenders before this one, in queue order: by sequence, or (seeded bug) by the whole
    // name, which puts a unique-id prefix ahead of the sequence.
    let mut earlier: Vec<(&String, Contender)> = children
        .iter()
        .filter_map(|child| parse(child).map(|contender| (child, contender)))
        .filter(|(child, other)| {
            if mutations.order_by_name {
                child.as_str() < mine
            } else {
                other.sequence < own.sequence
            }
        })
        .collect();
    if mutations.order_by_name {
        earlier.sort_by(|left, right| left.0.cmp(right.0));
    } else {
        earlier.sort_by_key(|(_, contender)| contender.sequence);
    }
    if mutations.reader_checks_only_predecessor && own.kind == LockKind::Read {
        // Seeded bug: a reader behind a reader assumes that reader holds the lock.
        return match earlier.last() {
            Some((child, other)) if other.kind == LockKind::Exclusive => {
                LockDecision::WaitFor((*child).clone())
            }
            _ => LockDecision::Holds,
        };
    }
    let blocking = earlier
        .into_iter()
        .rev()
        .find(|(_, other)| own.kind == LockKind::Exclusive || other.kind == LockKind::Exclusive);
    match blocking {
        None => LockDecision::Holds,
        Some((child, _)) => LockDecision::WaitFor(child.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn node(kind: LockKind, sequence: i32) -> String {
        format!("{ID}{}{sequence:010}", marker(kind))
    }

    fn children(nodes: &[&String]) -> Vec<String> {
        // getChildren returns no particular order.
        let mut children: Vec<String> = nodes.iter().map(|node| (*node).clone()).collect();
        children.reverse();
        children
    }

    #[test]
    fn names_parse_as_kazoo_and_curator_write_them() {
        let exclusive = Some(Contender {
            kind: LockKind::Exclusive,
            sequence: 7,
        });
        let read = Some(Contender {
            kind: LockKind::Read,
            sequence: 7,
        });
        assert_eq!(parse(&format!("{ID}__lock__0000000007")), exclusive);
        assert_eq!(parse(&format!("{ID}__rlock__0000000007")), read);
        assert_eq!(parse("_c_5e1f-lock-0000000007"), exclusive);
        assert_eq!(parse("_c_5e1f-__WRIT__0000000007"), exclusive);
        assert_eq!(parse("_c_5e1f-__READ__0000000007"), read);
        assert_eq!(parse("_c_5e1f-latch-0000000007"), exclusive);
        assert_eq!(marker_in(Names::CuratorMutex, LockKind::Exclusive), "lock-");
        assert_eq!(
            marker_in(Names::CuratorReadWrite, LockKind::Read),
            "__READ__"
        );
        assert_eq!(
            parse(&format!("{ID}__lock__-000000001")).map(|c| c.sequence),
            Some(-1),
            "after the parent's cversion overflowed"
        );
        for not_a_contender in [
            "leases",
            "__lock__",
            "x__lock__00000000ab",
            "é__lock__0000000001x",
        ] {
            assert_eq!(parse(not_a_contender), None, "{not_a_contender}");
        }
    }

    #[test]
    fn the_lowest_exclusive_contender_holds_and_each_waiter_watches_only_its_predecessor() {
        let first = node(LockKind::Exclusive, 1);
        let second = node(LockKind::Exclusive, 2);
        let third = node(LockKind::Exclusive, 5);
        let all = children(&[&first, &second, &third]);
        assert_eq!(decide(&first, &all), LockDecision::Holds);
        assert_eq!(decide(&second, &all), LockDecision::WaitFor(first.clone()));
        assert_eq!(decide(&third, &all), LockDecision::WaitFor(second.clone()));
        // The holder releases: the next in line holds, the last still waits for its own
        // predecessor (nobody else was woken).
        let after = children(&[&second, &third]);
        assert_eq!(decide(&second, &after), LockDecision::Holds);
        assert_eq!(decide(&third, &after), LockDecision::WaitFor(second));
    }

    #[test]
    fn readers_share_and_wait_only_for_the_latest_earlier_writer() {
        let reader = node(LockKind::Read, 1);
        let writer = node(LockKind::Exclusive, 2);
        let second_reader = node(LockKind::Read, 3);
        let third_reader = node(LockKind::Read, 4);
        let second_writer = node(LockKind::Exclusive, 5);
        let all = children(&[
            &reader,
            &writer,
            &second_reader,
            &third_reader,
            &second_writer,
        ]);
        assert_eq!(decide(&reader, &all), LockDecision::Holds);
        assert_eq!(decide(&writer, &all), LockDecision::WaitFor(reader.clone()));
        assert_eq!(
            decide(&second_reader, &all),
            LockDecision::WaitFor(writer.clone())
        );
        assert_eq!(
            decide(&third_reader, &all),
            LockDecision::WaitFor(writer.clone()),
            "a reader waits for the writer, not for the reader before it"
        );
        assert_eq!(
            decide(&second_writer, &all),
            LockDecision::WaitFor(third_reader.clone()),
            "a writer waits for its immediate predecessor, reader or not"
        );
        let readers_only = children(&[&second_reader, &third_reader]);
        assert_eq!(decide(&second_reader, &readers_only), LockDecision::Holds);
        assert_eq!(decide(&third_reader, &readers_only), LockDecision::Holds);
    }

    #[test]
    fn a_contender_whose_node_is_gone_has_lost_the_lock() {
        let mine = node(LockKind::Exclusive, 3);
        let other = node(LockKind::Exclusive, 4);
        assert_eq!(decide(&mine, &children(&[&other])), LockDecision::Lost);
        assert_eq!(decide("not-a-lock-node", &[]), LockDecision::Lost);
    }

    #[test]
    fn kazoo_and_curator_contenders_queue_in_one_line_and_other_children_are_ignored() {
        let kazoo = format!("{ID}__lock__0000000001");
        let curator = "_c_5e1f-lock-0000000002".to_string();
        let mine = node(LockKind::Exclusive, 3);
        let all = vec![
            mine.clone(),
            "leases".to_string(),
            curator.clone(),
            kazoo.clone(),
        ];
        assert_eq!(decide(&mine, &all), LockDecision::WaitFor(curator.clone()));
        assert_eq!(decide(&curator, &all), LockDecision::WaitFor(kazoo.clone()));
        assert_eq!(decide(&kazoo, &all), LockDecision::Holds);
    }
}
