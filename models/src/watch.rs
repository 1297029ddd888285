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

    /// setWatches (after a reconnect): re-registers the client's watches against the tree,
    /// answering at once for the ones that would already have fired since `relative_zxid` (the
    /// last zxid the client saw), exactly as `DataTree.setWatches` does.
    #[allow(clippy::too_many_arguments)]
    pub fn set_watches(
        &mut self,
        tree: &DataTree,
        relative_zxid: Zxid,
        data_paths: &[String],
        exist_paths: &[String],
        child_paths: &[String],
        persistent_paths: &[String],
        persistent_recursive_paths: &[String],
        watcher: &W,
    ) -> Vec<WatchedEvent> {
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
