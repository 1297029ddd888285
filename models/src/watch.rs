//! Watches: which clients learn of which tree changes. A pure registry of who watches what,
//! fed with the events [`crate::tree::DataTree::apply`] reports, answering with the notifications
//! to send. It follows Apache ZooKeeper 3.9's `WatchManager`:
//!
//! - Two tables, as `DataTree` keeps them: data watches (getData, exists, and both persistent
//!   modes) and child watches (getChildren and non-recursive persistent watches).
//! - NodeCreated and NodeDataChanged consult the data table; NodeChildrenChanged (reported at
//!   the parent) only the child table, which is why a persistent-recursive watch never sees it;
//!   NodeDeleted consults the data table and then the child table, and a watcher that the data
//!   table already notified is not notified twice (its one-time child watch is still used up).
//! - On the event's own path every watch fires; one-time (standard) watches are removed as they
//!   fire, persistent ones stay. On every ancestor path only persistent-recursive watches fire.
//! - One watcher may hold several modes on one path (ZOOKEEPER-4466); removing one mode leaves
//!   the others.
//!
//! Watchers are identified by `W` (a connection or session id in the server, a small integer
//! in the model checker); notifications come out sorted by watcher for determinism.

use crate::error::ErrorCode;
use crate::ids::Zxid;
use crate::tree::path::parent_path;
use crate::tree::DataTree;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::hash::Hash;

/// `Watcher.Event.EventType`, with its wire code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(i32)]
pub enum EventType {
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

impl EventType {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// `Watcher.Event.KeeperState`, with its wire code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(i32)]
pub enum KeeperState {
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Expired = -112,
    Closed = 7,
}

impl KeeperState {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// A notification for one watcher (`WatcherEvent` on the wire, sent with xid -1). The reply
/// header's zxid is the applied txn's zxid from ZooKeeper 3.9 on (-1 before): the driver knows
/// it from the `ApplyResult` whose events it triggered.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WatchedEvent {
    pub event_type: EventType,
    pub keeper_state: KeeperState,
    pub path: String,
}

/// How a watch was set (`WatcherMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WatcherMode {
    /// One-time: getData, exists, getChildren.
    Standard,
    /// addWatch mode 0: this node's events, until removed.
    Persistent,
    /// addWatch mode 1: this node's and every descendant's events except NodeChildrenChanged.
    PersistentRecursive,
}

/// The `mode` of an addWatch request (`ZooDefs.AddWatchModes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(i32)]
pub enum AddWatchMode {
    Persistent = 0,
    PersistentRecursive = 1,
}

impl AddWatchMode {
    pub fn from_code(code: i32) -> Option<AddWatchMode> {
        match code {
            0 => Some(AddWatchMode::Persistent),
            1 => Some(AddWatchMode::PersistentRecursive),
            _ => None,
        }
    }
}

/// Which watches a removeWatches or checkWatches request names (`Watcher.WatcherType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(i32)]
pub enum WatcherType {
    Children = 1,
    Data = 2,
    Any = 3,
    Persistent = 4,
    PersistentRecursive = 5,
}

impl WatcherType {
    pub fn from_code(code: i32) -> Option<WatcherType> {
        match code {
            1 => Some(WatcherType::Children),
            2 => Some(WatcherType::Data),
            3 => Some(WatcherType::Any),
            4 => Some(WatcherType::Persistent),
            5 => Some(WatcherType::PersistentRecursive),
            _ => None,
        }
    }
}

/// Path → watcher → the modes that watcher holds there. Empty entries are removed, so equal
/// registries compare and hash equal.
type WatchTable<W> = BTreeMap<String, BTreeMap<W, BTreeSet<WatcherMode>>>;

/// Every watch of a server, one-time and persistent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WatchRegistry<W: Ord> {
    data_watches: WatchTable<W>,
    child_watches: WatchTable<W>,
}

impl<W: Ord> Default for WatchRegistry<W> {
    fn default() -> Self {
        WatchRegistry {
            data_watches: BTreeMap::new(),
            child_watches: BTreeMap::new(),
        }
    }
}

fn add<W: Ord + Clone>(table: &mut WatchTable<W>, path: &str, watcher: &W, mode: WatcherMode) {
    table
        .entry(path.to_string())
        .or_default()
        .entry(watcher.clone())
        .or_default()
        .insert(mode);
}

/// Removes one mode (or, with `None`, all of them); whether anything was removed.
fn remove<W: Ord>(
    table: &mut WatchTable<W>,
    path: &str,
    watcher: &W,
    mode: Option<WatcherMode>,
) -> bool {
    let Some(watchers) = table.get_mut(path) else {
        return false;
    };
    let Some(modes) = watchers.get_mut(watcher) else {
        return false;
    };
    let removed = match mode {
        Some(mode) => modes.remove(&mode),
        None => {
            assert!(!modes.is_empty(), "empty mode sets are never kept");
            modes.clear();
            true
        }
    };
    if modes.is_empty() {
        watchers.remove(watcher);
    }
    if watchers.is_empty() {
        table.remove(path);
    }
    removed
}

fn contains<W: Ord>(
    table: &WatchTable<W>,
    path: &str,
    watcher: &W,
    mode: Option<WatcherMode>,
) -> bool {
    let Some(modes) = table.get(path).and_then(|watchers| watchers.get(watcher)) else {
        return false;
    };
    match mode {
        Some(mode) => modes.contains(&mode),
        None => !modes.is_empty(),
    }
}

/// Selects the watchers an event at `path` reaches in one table and uses up their one-time
/// watches on `path`.
fn select<W: Ord + Clone>(table: &mut WatchTable<W>, path: &str) -> BTreeSet<W> {
    let mut selected = BTreeSet::new();
    if let Some(watchers) = table.get_mut(path) {
        for (watcher, modes) in watchers.iter_mut() {
            selected.insert(watcher.clone());
            modes.remove(&WatcherMode::Standard);
        }
        watchers.retain(|_, modes| !modes.is_empty());
        if watchers.is_empty() {
            table.remove(path);
        }
    }
    let mut ancestor = parent_path(path);
    while let Some(current) = ancestor {
        if let Some(watchers) = table.get(current) {
            for (watcher, modes) in watchers {
                if modes.contains(&WatcherMode::PersistentRecursive) {
                    selected.insert(watcher.clone());
                }
            }
        }
        ancestor = parent_path(current);
    }
    selected
}

impl<W: Ord + Clone + Hash + Debug> WatchRegistry<W> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A one-time data watch, as getData and exists set it (exists also on a missing node).
    pub fn add_data_watch(&mut self, path: &str, watcher: &W) {
        add(&mut self.data_watches, path, watcher, WatcherMode::Standard);
    }

    /// A one-time child watch, as getChildren sets it.
    pub fn add_child_watch(&mut self, path: &str, watcher: &W) {
        add(
            &mut self.child_watches,
            path,
            watcher,
            WatcherMode::Standard,
        );
    }

    /// addWatch: a persistent watch sits in both tables, a recursive one in the data table only.
    pub fn add_persistent_watch(&mut self, path: &str, watcher: &W, mode: AddWatchMode) {
        match mode {
            AddWatchMode::Persistent => {
                add(
                    &mut self.data_watches,
                    path,
                    watcher,
                    WatcherMode::Persistent,
                );
                add(
                    &mut self.child_watches,
                    path,
                    watcher,
                    WatcherMode::Persistent,
                );
            }
            AddWatchMode::PersistentRecursive => add(
                &mut self.data_watches,
                path,
                watcher,
                WatcherMode::PersistentRecursive,
            ),
        }
    }

    /// removeWatches: removes the named kind of watch of `watcher` on `path`, or answers
    /// `NoWatcher` when it held none (the client then gets that error code).
    pub fn remove_watches(
        &mut self,
        path: &str,
        watcher: &W,
        watcher_type: WatcherType,
    ) -> Result<(), ErrorCode> {
        let removed = match watcher_type {
            WatcherType::Children => remove(
                &mut self.child_watches,
                path,
                watcher,
                Some(WatcherMode::Standard),
            ),
            WatcherType::Data => remove(
                &mut self.data_watches,
                path,
                watcher,
                Some(WatcherMode::Standard),
            ),
            WatcherType::Persistent => {
                let mode = Some(WatcherMode::Persistent);
                let from_children = remove(&mut self.child_watches, path, watcher, mode);
                let from_data = remove(&mut self.data_watches, path, watcher, mode);
                from_children || from_data
            }
            WatcherType::PersistentRecursive => remove(
                &mut self.data_watches,
                path,
                watcher,
                Some(WatcherMode::PersistentRecursive),
            ),
            WatcherType::Any => {
                let from_children = remove(&mut self.child_watches, path, watcher, None);
                let from_data = remove(&mut self.data_watches, path, watcher, None);
                from_children || from_data
            }
        };
        if removed {
            Ok(())
        } else {
            Err(ErrorCode::NoWatcher)
        }
    }

    /// checkWatches: whether `watcher` holds the named kind of watch on `path`.
    pub fn contains_watch(&self, path: &str, watcher: &W, watcher_type: WatcherType) -> bool {
        match watcher_type {
            WatcherType::Children => contains(
                &self.child_watches,
                path,
                watcher,
                Some(WatcherMode::Standard),
            ),
            WatcherType::Data => contains(
                &self.data_watches,
                path,
                watcher,
                Some(WatcherMode::Standard),
            ),
            WatcherType::Persistent => contains(
                &self.data_watches,
                path,
                watcher,
                Some(WatcherMode::Persistent),
            ),
            WatcherType::PersistentRecursive => contains(
                &self.data_watches,
                path,
                watcher,
                Some(WatcherMode::PersistentRecursive),
            ),
            WatcherType::Any => {
                contains(&self.child_watches, path, watcher, None)
                    || contains(&self.data_watches, path, watcher, None)
            }
        }
    }

    /// Drops every watch of a watcher whose connection closed.
    pub fn remove_watcher(&mut self, watcher: &W) {
        for table in [&mut self.data_watches, &mut self.child_watches] {
            table.retain(|_, watchers| {
                watchers.remove(watcher);
                !watchers.is_empty()
            });
        }
    }

    /// The notifications a sequence of tree events produces, in event order, and for each
    /// event sorted by watcher. One-time watches that fire are removed.
    pub fn trigger(&mut self, events: &[(EventType, String)]) -> Vec<(W, WatchedEvent)> {
        let mut notifications = Vec::new();
        for (event_type, path) in events {
            let watchers = match event_type {
                EventType::NodeCreated | EventType::NodeDataChanged => {
                    select(&mut self.data_watches, path)
                }
                EventType::NodeChildrenChanged => select(&mut self.child_watches, path),
                EventType::NodeDeleted => {
                    let mut watchers = select(&mut self.data_watches, path);
                    let from_children = select(&mut self.child_watches, path);
                    watchers.extend(from_children);
                    watchers
                }
                EventType::None
                | EventType::DataWatchRemoved
                | EventType::ChildWatchRemoved
                | EventType::PersistentWatchRemoved => {
                    panic!("{event_type:?} is not a tree event")
                }
            };
            for watcher in watchers {
                let event = WatchedEvent {
                    event_type: *event_type,
                    keeper_state: KeeperState::SyncConnected,
                    path: path.clone(),
                };
                notifications.push((watcher, event));
            }
        }
        notifications
    }

    /// The notifications one applied txn sends, in the order the server sends them: every
    /// watch its events fire, including those of the session it closes (ZooKeeper's
    /// `FinalRequestProcessor` applies a closeSession, whose deletions notify on the session's
    /// still open connections, before it closes them), and then the watchers of the closed
    /// session (`closed_watchers`, none unless the txn is a closeSession) lose every watch they
    /// still hold.
    pub fn applied(
        &mut self,
        events: &[(EventType, String)],
        closed_watchers: &[W],
    ) -> Vec<(W, WatchedEvent)> {
        let notifications = self.trigger(events);
        for watcher in closed_watchers {
            self.remove_watcher(watcher);
        }
        notifications
    }

    /// setWatches (after a reconnect): re-registers the client's watches against the tree,
    /// answering at once for the ones that would already have fired since `relative_zxid` (the
    /// last zxid the client saw), exactly as `DataTree.setWatches` does.
    pub fn set_watches(
        &mut self,
        tree: &DataTree,
        relative_zxid: Zxid,
        paths: WatchPaths<'_>,
        watcher: &W,
    ) -> Vec<WatchedEvent> {
        let WatchPaths {
            data: data_paths,
            exist: exist_paths,
            child: child_paths,
            persistent: persistent_paths,
            persistent_recursive: persistent_recursive_paths,
        } = paths;
        let event = |event_type, path: &String| WatchedEvent {
            event_type,
            keeper_state: KeeperState::SyncConnected,
            path: path.clone(),
        };
        let mut immediate = Vec::new();
        for path in data_paths {
            match tree.node(path) {
                None => immediate.push(event(EventType::NodeDeleted, path)),
                Some(node) if node.persisted_stat.mzxid > relative_zxid => {
                    immediate.push(event(EventType::NodeDataChanged, path))
                }
                Some(_) => self.add_data_watch(path, watcher),
            }
        }
        for path in exist_paths {
            match tree.node(path) {
                Some(_) => immediate.push(event(EventType::NodeCreated, path)),
                None => self.add_data_watch(path, watcher),
            }
        }
        for path in child_paths {
            match tree.node(path) {
                None => immediate.push(event(EventType::NodeDeleted, path)),
                Some(node) if node.persisted_stat.pzxid > relative_zxid => {
                    immediate.push(event(EventType::NodeChildrenChanged, path))
                }
                Some(_) => self.add_child_watch(path, watcher),
            }
        }
        for path in persistent_paths {
            self.add_persistent_watch(path, watcher, AddWatchMode::Persistent);
        }
        for path in persistent_recursive_paths {
            self.add_persistent_watch(path, watcher, AddWatchMode::PersistentRecursive);
        }
        immediate
    }

    /// The number of (path, watcher) registrations, counted per table as ZooKeeper's
    /// `getWatchCount` does (a persistent watch counts twice).
    pub fn watch_count(&self) -> usize {
        [&self.data_watches, &self.child_watches]
            .iter()
            .map(|table| table.values().map(BTreeMap::len).sum::<usize>())
            .sum()
    }

    /// The paths a watcher watches in either table, sorted (for the `wchc` four-letter word).
    pub fn paths_of(&self, watcher: &W) -> BTreeSet<String> {
        [&self.data_watches, &self.child_watches]
            .iter()
            .flat_map(|table| table.iter())
            .filter(|(_, watchers)| watchers.contains_key(watcher))
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// The watchers of a path in either table, sorted (for the `wchp` four-letter word).
    pub fn watchers_of(&self, path: &str) -> BTreeSet<W> {
        [&self.data_watches, &self.child_watches]
            .iter()
            .filter_map(|table| table.get(path))
            .flat_map(|watchers| watchers.keys().cloned())
            .collect()
    }
}

/// The watches a client re-registers with setWatches, by kind: the paths of its data,
/// exists, child, persistent and persistent recursive watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct WatchPaths<'a> {
    pub data: &'a [String],
    pub exist: &'a [String],
    pub child: &'a [String],
    pub persistent: &'a [String],
    pub persistent_recursive: &'a [String],
}

#[cfg(test)]
mod tests {
    use super::*;

    type Registry = WatchRegistry<u8>;

    #[test]
    fn a_closed_session_hears_its_own_deletions_and_then_watches_nothing() {
        let mut registry = Registry::new();
        registry.add_child_watch("/lock", &1);
        registry.add_data_watch("/other", &1);
        registry.add_child_watch("/lock", &2);
        let events = [(EventType::NodeChildrenChanged, "/lock".to_string())];
        let notified: Vec<u8> = registry
            .applied(&events, &[1])
            .into_iter()
            .map(|(watcher, _)| watcher)
            .collect();
        assert_eq!(notified, vec![1, 2]);
        assert!(registry.paths_of(&1).is_empty());
        assert_eq!(registry.watch_count(), 0);
    }

    fn fire(registry: &mut Registry, event_type: EventType, path: &str) -> Vec<(u8, EventType)> {
        registry
            .trigger(&[(event_type, path.to_string())])
            .into_iter()
            .map(|(watcher, event)| {
                assert_eq!(event.path, path);
                assert_eq!(event.keeper_state, KeeperState::SyncConnected);
                (watcher, event.event_type)
            })
            .collect()
    }

    #[test]
    fn codes_match_watcher_java() {
        assert_eq!(EventType::None.code(), -1);
        assert_eq!(EventType::NodeChildrenChanged.code(), 4);
        assert_eq!(EventType::PersistentWatchRemoved.code(), 7);
        assert_eq!(KeeperState::SyncConnected.code(), 3);
        assert_eq!(KeeperState::Expired.code(), -112);
        assert_eq!(
            WatcherType::from_code(5),
            Some(WatcherType::PersistentRecursive)
        );
        assert_eq!(WatcherType::from_code(3), Some(WatcherType::Any));
        assert_eq!(
            AddWatchMode::from_code(1),
            Some(AddWatchMode::PersistentRecursive)
        );
        assert_eq!(AddWatchMode::from_code(2), None);
    }

    #[test]
    fn data_watch_fires_once_on_created_changed_or_deleted() {
        for event_type in [
            EventType::NodeCreated,
            EventType::NodeDataChanged,
            EventType::NodeDeleted,
        ] {
            let mut registry = Registry::new();
            registry.add_data_watch("/a", &1);
            assert_eq!(fire(&mut registry, event_type, "/a"), vec![(1, event_type)]);
            assert!(fire(&mut registry, event_type, "/a").is_empty(), "one-time");
            assert_eq!(registry, Registry::new(), "nothing left behind");
        }
    }

    #[test]
    fn data_watch_ignores_children_changes_and_other_paths() {
        let mut registry = Registry::new();
        registry.add_data_watch("/a", &1);
        assert!(fire(&mut registry, EventType::NodeChildrenChanged, "/a").is_empty());
        assert!(fire(&mut registry, EventType::NodeDataChanged, "/a/b").is_empty());
        assert!(fire(&mut registry, EventType::NodeDataChanged, "/").is_empty());
        assert_eq!(registry.watch_count(), 1);
    }

    #[test]
    fn child_watch_fires_on_children_changed_and_deleted_only() {
        let mut registry = Registry::new();
        registry.add_child_watch("/a", &1);
        assert!(fire(&mut registry, EventType::NodeDataChanged, "/a").is_empty());
        assert!(fire(&mut registry, EventType::NodeCreated, "/a").is_empty());
        assert_eq!(
            fire(&mut registry, EventType::NodeChildrenChanged, "/a"),
            vec![(1, EventType::NodeChildrenChanged)]
        );
        assert!(fire(&mut registry, EventType::NodeChildrenChanged, "/a").is_empty());
        registry.add_child_watch("/a", &1);
        assert_eq!(
            fire(&mut registry, EventType::NodeDeleted, "/a"),
            vec![(1, EventType::NodeDeleted)]
        );
        assert_eq!(registry.watch_count(), 0);
    }

    #[test]
    fn watcher_with_data_and_child_watch_gets_one_deleted_event() {
        let mut registry = Registry::new();
        registry.add_data_watch("/a", &1);
        registry.add_child_watch("/a", &1);
        registry.add_child_watch("/a", &2);
        assert_eq!(
            fire(&mut registry, EventType::NodeDeleted, "/a"),
            vec![(1, EventType::NodeDeleted), (2, EventType::NodeDeleted)]
        );
        assert_eq!(
            registry.watch_count(),
            0,
            "the suppressed child watch is used up too"
        );
    }

    #[test]
    fn deleting_a_child_reaches_parent_child_watches_via_the_parent_event() {
        let mut registry = Registry::new();
        registry.add_child_watch("/a", &1);
        registry.add_data_watch("/a", &2);
        let events = [
            (EventType::NodeDeleted, "/a/b".to_string()),
            (EventType::NodeChildrenChanged, "/a".to_string()),
        ];
        let notifications = registry.trigger(&events);
        assert_eq!(notifications.len(), 1);
        assert_eq!(notifications[0].0, 1);
        assert_eq!(
            notifications[0].1.event_type,
            EventType::NodeChildrenChanged
        );
        assert_eq!(notifications[0].1.path, "/a");
    }

    #[test]
    fn persistent_watch_fires_for_its_node_every_time() {
        let mut registry = Registry::new();
        registry.add_persistent_watch("/a", &1, AddWatchMode::Persistent);
        assert_eq!(registry.watch_count(), 2, "in both tables");
        for event_type in [
            EventType::NodeCreated,
            EventType::NodeDataChanged,
            EventType::NodeChildrenChanged,
            EventType::NodeDataChanged,
            EventType::NodeDeleted,
        ] {
            assert_eq!(fire(&mut registry, event_type, "/a"), vec![(1, event_type)]);
        }
        assert!(fire(&mut registry, EventType::NodeCreated, "/a/b").is_empty());
        assert!(fire(&mut registry, EventType::NodeChildrenChanged, "/").is_empty());
        assert_eq!(registry.watch_count(), 2, "still there");
    }

    #[test]
    fn persistent_recursive_watch_sees_the_subtree_but_not_children_changes() {
        let mut registry = Registry::new();
        registry.add_persistent_watch("/a", &1, AddWatchMode::PersistentRecursive);
        assert_eq!(registry.watch_count(), 1, "data table only");
        for (event_type, path) in [
            (EventType::NodeCreated, "/a"),
            (EventType::NodeCreated, "/a/b"),
            (EventType::NodeDataChanged, "/a/b/c"),
            (EventType::NodeDeleted, "/a/b"),
            (EventType::NodeDeleted, "/a"),
        ] {
            assert_eq!(fire(&mut registry, event_type, path), vec![(1, event_type)]);
        }
        assert!(fire(&mut registry, EventType::NodeChildrenChanged, "/a").is_empty());
        assert!(fire(&mut registry, EventType::NodeChildrenChanged, "/a/b").is_empty());
        assert!(fire(&mut registry, EventType::NodeCreated, "/ab").is_empty());
        assert!(fire(&mut registry, EventType::NodeCreated, "/").is_empty());
        let mut root = Registry::new();
        root.add_persistent_watch("/", &2, AddWatchMode::PersistentRecursive);
        assert_eq!(
            fire(&mut root, EventType::NodeDataChanged, "/x/y"),
            vec![(2, EventType::NodeDataChanged)]
        );
    }

    #[test]
    fn one_watcher_in_several_modes_is_notified_once() {
        let mut registry = Registry::new();
        registry.add_data_watch("/a/b", &1);
        registry.add_persistent_watch("/a/b", &1, AddWatchMode::Persistent);
        registry.add_persistent_watch("/a", &1, AddWatchMode::PersistentRecursive);
        registry.add_persistent_watch("/", &1, AddWatchMode::PersistentRecursive);
        assert_eq!(
            fire(&mut registry, EventType::NodeDataChanged, "/a/b"),
            vec![(1, EventType::NodeDataChanged)]
        );
        assert!(
            !registry.contains_watch("/a/b", &1, WatcherType::Data),
            "one-time used up"
        );
        assert!(registry.contains_watch("/a/b", &1, WatcherType::Persistent));
    }

    #[test]
    fn remove_watches_by_type() {
        let mut registry = Registry::new();
        registry.add_data_watch("/a", &1);
        registry.add_child_watch("/a", &1);
        assert_eq!(registry.remove_watches("/a", &1, WatcherType::Data), Ok(()));
        assert_eq!(
            registry.remove_watches("/a", &1, WatcherType::Data),
            Err(ErrorCode::NoWatcher)
        );
        assert!(registry.contains_watch("/a", &1, WatcherType::Children));
        assert_eq!(
            registry.remove_watches("/a", &2, WatcherType::Children),
            Err(ErrorCode::NoWatcher),
            "another watcher's watch"
        );
        assert_eq!(
            registry.remove_watches("/a", &1, WatcherType::Children),
            Ok(())
        );
        assert_eq!(registry, Registry::new());

        registry.add_persistent_watch("/a", &1, AddWatchMode::Persistent);
        registry.add_persistent_watch("/a", &1, AddWatchMode::PersistentRecursive);
        assert_eq!(
            registry.remove_watches("/a", &1, WatcherType::Data),
            Err(ErrorCode::NoWatcher),
            "Data names one-time watches only"
        );
        assert_eq!(
            registry.remove_watches("/a", &1, WatcherType::Persistent),
            Ok(())
        );
        assert!(registry.contains_watch("/a", &1, WatcherType::PersistentRecursive));
        assert!(!registry.contains_watch("/a", &1, WatcherType::Persistent));
        assert_eq!(registry.remove_watches("/a", &1, WatcherType::Any), Ok(()));
        assert_eq!(
            registry.remove_watches("/a", &1, WatcherType::Any),
            Err(ErrorCode::NoWatcher)
        );
        assert_eq!(registry, Registry::new());
    }

    #[test]
    fn closing_a_connection_drops_all_its_watches() {
        let mut registry = Registry::new();
        registry.add_data_watch("/a", &1);
        registry.add_child_watch("/b", &1);
        registry.add_persistent_watch("/", &1, AddWatchMode::PersistentRecursive);
        registry.add_data_watch("/a", &2);
        assert_eq!(registry.paths_of(&1).len(), 3);
        assert_eq!(registry.watchers_of("/a"), BTreeSet::from([1, 2]));
        registry.remove_watcher(&1);
        assert_eq!(registry.watch_count(), 1);
        assert_eq!(
            fire(&mut registry, EventType::NodeDeleted, "/a"),
            vec![(2, EventType::NodeDeleted)]
        );
    }

    #[test]
    fn set_watches_answers_what_was_missed() {
        use crate::ids::SessionId;
        use crate::tree::{Acl, CreateTxn, SetDataTxn, Txn};
        let mut tree = DataTree::new();
        for (zxid, txn) in [
            (
                1,
                Txn::Create(CreateTxn {
                    path: "/old".into(),
                    data: Some(vec![]),
                    acl: Acl::open_unsafe(),
                    ephemeral: false,
                    parent_cversion: 1,
                }),
            ),
            (
                2,
                Txn::Create(CreateTxn {
                    path: "/new".into(),
                    data: Some(vec![]),
                    acl: Acl::open_unsafe(),
                    ephemeral: false,
                    parent_cversion: 2,
                }),
            ),
            (
                3,
                Txn::SetData(SetDataTxn {
                    path: "/new".into(),
                    data: Some(vec![1]),
                    version: 1,
                }),
            ),
        ] {
            tree.apply(&txn.header(SessionId(1), 0, Zxid(zxid), 0), &txn);
        }
        let paths = |list: &[&str]| list.iter().map(|path| path.to_string()).collect::<Vec<_>>();
        let mut registry = Registry::new();
        let (data, exist, child) = (
            paths(&["/old", "/new", "/gone"]),
            paths(&["/old", "/absent"]),
            paths(&["/", "/old"]),
        );
        let (persistent, persistent_recursive) = (paths(&["/p"]), paths(&["/r"]));
        let watched = WatchPaths {
            data: &data,
            exist: &exist,
            child: &child,
            persistent: &persistent,
            persistent_recursive: &persistent_recursive,
        };
        let immediate = registry.set_watches(&tree, Zxid(1), watched, &7);
        let summary: Vec<(EventType, &str)> = immediate
            .iter()
            .map(|event| (event.event_type, event.path.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (EventType::NodeDataChanged, "/new"),
                (EventType::NodeDeleted, "/gone"),
                (EventType::NodeCreated, "/old"),
                (EventType::NodeChildrenChanged, "/"),
            ]
        );
        assert!(registry.contains_watch("/old", &7, WatcherType::Data));
        assert!(registry.contains_watch("/absent", &7, WatcherType::Data));
        assert!(registry.contains_watch("/old", &7, WatcherType::Children));
        assert!(registry.contains_watch("/p", &7, WatcherType::Persistent));
        assert!(registry.contains_watch("/r", &7, WatcherType::PersistentRecursive));
    }
}
