//! Client histories and their check. Sessions run a mixed workload of setData, getData and
//! sync+getData on a few znodes while a test crashes, restarts and partitions members; every
//! operation is recorded with its invocation and return on one logical clock (an atomic
//! counter, so "A returned before B was invoked" is real-time order). The check then asks what
//! ZooKeeper promises:
//!
//! - writes and sync+reads are linearizable per znode: every znode's versions order its
//!   writes, so each operation has a rank (a write of version v ranks (v, 0), a read that saw
//!   v ranks (v, 1)) and the history is linearizable exactly when no operation that returned
//!   before another was invoked ranks above it;
//! - every version read was written by some write invoked before the read returned, with the
//!   value that write wrote, and versions written by nobody are at most the writes whose
//!   outcome is unknown;
//! - plain reads are sequentially consistent per session: a session never reads a version
//!   older than one it read or wrote before;
//! - no acknowledged write is lost: a final sync+read after the test sees every acknowledged
//!   version.

use super::ensemble::{connect, open, Ensemble};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zookeeper_client as zk;

/// How long one operation may take before its outcome counts as unknown.
const OPERATION_WAIT: Duration = Duration::from_secs(10);
/// The session of the reads made after the test.
const FINAL_SESSION: usize = usize::MAX;
/// The value every znode is created with, at version 0.
const INITIAL_VALUE: &str = "initial";

#[derive(Clone, Debug)]
enum Kind {
    /// `version` is what the acknowledgement's Stat said; `None` when the outcome is unknown.
    Write { value: String, version: Option<i32> },
    Read {
        synced: bool,
        version: i32,
        value: String,
    },
}

#[derive(Clone, Debug)]
struct Operation {
    session: usize,
    znode: usize,
    kind: Kind,
    invoked: u64,
    /// `u64::MAX` for a write whose outcome is unknown: it may take effect at any time later.
    returned: u64,
}

#[derive(Default)]
struct Recorder {
    clock: AtomicU64,
    operations: Mutex<Vec<Operation>>,
}

impl Recorder {
    fn now(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    fn record(&self, operation: Operation) {
        self.operations
            .lock()
            .expect("not poisoned")
            .push(operation);
    }
}

/// Sessions for a workload on `ensemble`: two that move across the whole ensemble, one pinned
/// per member.
pub fn sessions_across(ensemble: &Ensemble) -> Vec<String> {
    let mut sessions = vec![ensemble.connect_string(); 2];
    sessions.extend(ensemble.members.iter().map(|member| member.address()));
    sessions
}

/// Lets `workload` run until `more` further operations returned (at most a minute).
pub async fn progress(workload: &Workload, more: usize) {
    let target = workload.returned() + more;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while workload.returned() < target {
        assert!(
            std::time::Instant::now() < deadline,
            "the workload made no progress: {} of {target} operations returned",
            workload.returned()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Stops `workload`, checks its history through the member that leads `ensemble` now, and
/// demands that it did something: over 100 acknowledged writes and 100 reads.
pub async fn finish_and_check(workload: Workload, ensemble: &Ensemble) {
    let leader = tokio::task::block_in_place(|| ensemble.wait_until_established());
    let figures = workload
        .finish(&ensemble.members[leader].address())
        .await
        .unwrap_or_else(|violation| panic!("{violation}"));
    eprintln!("checked {figures:?}");
    assert!(figures.acknowledged_writes > 100 && figures.reads > 100);
}

/// A running workload; [`Workload::finish`] stops it and checks what it recorded.
pub struct Workload {
    root: String,
    znodes: usize,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
    sessions: Vec<tokio::task::JoinHandle<zk::Client>>,
}

impl Workload {
    /// Creates `znodes` znodes under `root` and starts one task per connect string in
    /// `sessions` (a single address pins a session to a member; the whole ensemble lets it
    /// move when its server fails).
    pub async fn start(root: &str, znodes: usize, sessions: &[String]) -> Workload {
        let admin = connect(&sessions[0]).await;
        admin.create(root, b"", &open()).await.expect("the root");
        for znode in 0..znodes {
            admin
                .create(
                    &format!("{root}/{znode}"),
                    INITIAL_VALUE.as_bytes(),
                    &open(),
                )
                .await
                .expect("a register");
        }
        let recorder = Arc::new(Recorder::default());
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for (session, addresses) in sessions.iter().enumerate() {
            let client = connect(addresses).await;
            tasks.push(tokio::spawn(run_session(
                session,
                client,
                root.to_string(),
                znodes,
                recorder.clone(),
                stop.clone(),
            )));
        }
        Workload {
            root: root.to_string(),
            znodes,
            recorder,
            stop,
            sessions: tasks,
        }
    }

    /// How many operations returned so far (to wait for progress).
    pub fn returned(&self) -> usize {
        let operations = self.recorder.operations.lock().expect("not poisoned");
        operations
            .iter()
            .filter(|operation| operation.returned != u64::MAX)
            .count()
    }

    /// Stops the sessions, reads every znode once more after a sync through `final_address`,
    /// and checks the history; the error says which operations contradict each other.
    pub async fn finish(self, final_address: &str) -> Result<HistoryFigures, String> {
        self.stop.store(true, Ordering::SeqCst);
        for session in self.sessions {
            session.await.expect("a session task does not panic");
        }
        let reader = connect(final_address).await;
        for znode in 0..self.znodes {
            let path = format!("{}/{znode}", self.root);
            let invoked = self.recorder.now();
            reader.sync(&path).await.expect("the final sync");
            let (value, stat) = reader.get_data(&path).await.expect("the final read");
            let returned = self.recorder.now();
            self.recorder.record(Operation {
                session: FINAL_SESSION,
                znode,
                kind: Kind::Read {
                    synced: true,
                    version: stat.version,
                    value: String::from_utf8_lossy(&value).into_owned(),
                },
                invoked,
                returned,
            });
        }
        let operations = std::mem::take(&mut *self.recorder.operations.lock().expect("ok"));
        check(&operations, self.znodes)
    }
}

async fn run_session(
    session: usize,
    client: zk::Client,
    root: String,
    znodes: usize,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
) -> zk::Client {
    let mut sequence = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let znode = (sequence * 7 + session) % znodes;
        let path = format!("{root}/{znode}");
        let invoked = recorder.now();
        match sequence % 5 {
            0 | 1 => {
                let value = format!("s{session}-{sequence}");
                let written = tokio::time::timeout(
                    OPERATION_WAIT,
                    client.set_data(&path, value.as_bytes(), None),
                )
                .await;
                let (version, returned) = match written {
                    Ok(Ok(stat)) => (Some(stat.version), recorder.now()),
                    _ => (None, u64::MAX),
                };
                recorder.record(Operation {
                    session,
                    znode,
                    kind: Kind::Write { value, version },
                    invoked,
                    returned,
                });
            }
            kind => {
                let synced = kind == 3;
                let read = tokio::time::timeout(OPERATION_WAIT, async {
                    if synced {
                        client.sync(&path).await?;
                    }
                    client.get_data(&path).await
                })
                .await;
                // A failed read observed nothing, so it constrains nothing.
                if let Ok(Ok((value, stat))) = read {
                    let returned = recorder.now();
                    recorder.record(Operation {
                        session,
                        znode,
                        kind: Kind::Read {
                            synced,
                            version: stat.version,
                            value: String::from_utf8_lossy(&value).into_owned(),
                        },
                        invoked,
                        returned,
                    });
                }
            }
        }
        sequence += 1;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    client
}

/// What a checked history held.
#[derive(Debug)]
pub struct HistoryFigures {
    pub acknowledged_writes: usize,
    pub unknown_writes: usize,
    pub reads: usize,
}

/// A history written by hand, to show that [`check`] rejects what it must.
#[derive(Default)]
pub struct HandWritten {
    operations: Vec<Operation>,
}

impl HandWritten {
    /// A setData on `znode`; `version` is `None` when its outcome is unknown (then it never
    /// returned).
    pub fn write(
        &mut self,
        session: usize,
        znode: usize,
        value: &str,
        version: Option<i32>,
        (invoked, returned): (u64, u64),
    ) -> &mut Self {
        let returned = if version.is_some() {
            returned
        } else {
            u64::MAX
        };
        self.operations.push(Operation {
            session,
            znode,
            kind: Kind::Write {
                value: value.to_string(),
                version,
            },
            invoked,
            returned,
        });
        self
    }

    /// A getData (after a sync when `synced`) that saw `value` at `version`.
    pub fn read(
        &mut self,
        session: usize,
        znode: usize,
        synced: bool,
        (value, version): (&str, i32),
        (invoked, returned): (u64, u64),
    ) -> &mut Self {
        self.operations.push(Operation {
            session,
            znode,
            kind: Kind::Read {
                synced,
                version,
                value: value.to_string(),
            },
            invoked,
            returned,
        });
        self
    }

    /// The final sync+read of the history, after everything else.
    pub fn finally(&mut self, znode: usize, (value, version): (&str, i32)) -> &mut Self {
        let after = self
            .operations
            .iter()
            .map(|operation| operation.invoked.max(operation.returned.min(u64::MAX - 2)))
            .max()
            .unwrap_or(0);
        self.read(
            FINAL_SESSION,
            znode,
            true,
            (value, version),
            (after + 1, after + 2),
        )
    }

    pub fn check(&self, znodes: usize) -> Result<HistoryFigures, String> {
        check(&self.operations, znodes)
    }
}

fn check(operations: &[Operation], znodes: usize) -> Result<HistoryFigures, String> {
    for znode in 0..znodes {
        let on_znode: Vec<&Operation> = operations
            .iter()
            .filter(|operation| operation.znode == znode)
            .collect();
        check_register(znode, &on_znode)?;
    }
    let count = |predicate: fn(&Kind) -> bool| {
        operations
            .iter()
            .filter(|operation| predicate(&operation.kind))
            .count()
    };
    Ok(HistoryFigures {
        acknowledged_writes: count(|kind| {
            matches!(
                kind,
                Kind::Write {
                    version: Some(_),
                    ..
                }
            )
        }),
        unknown_writes: count(|kind| matches!(kind, Kind::Write { version: None, .. })),
        reads: count(|kind| matches!(kind, Kind::Read { .. })),
    })
}

/// The rank of an operation in the order the versions imply, once every write's version is
/// known.
fn rank(operation: &Operation, version_of: &BTreeMap<String, i32>) -> Option<(i32, u8)> {
    match &operation.kind {
        Kind::Write { value, .. } => version_of.get(value).map(|version| (*version, 0)),
        Kind::Read { version, .. } => Some((*version, 1)),
    }
}

fn check_register(znode: usize, operations: &[&Operation]) -> Result<(), String> {
    let fail = |message: String| Err(format!("znode {znode}: {message}"));
    // Which write wrote each value (values are unique), and which version each value has.
    let mut writes: BTreeMap<String, &Operation> = BTreeMap::new();
    let mut version_of: BTreeMap<String, i32> = BTreeMap::new();
    let mut value_at: BTreeMap<i32, String> = BTreeMap::new();
    value_at.insert(0, INITIAL_VALUE.to_string());
    for operation in operations {
        let (value, version) = match &operation.kind {
            Kind::Write { value, version } => {
                writes.insert(value.clone(), operation);
                match version {
                    Some(version) => (value, *version),
                    None => continue,
                }
            }
            Kind::Read { value, version, .. } => (value, *version),
        };
        if let Some(other) = value_at.insert(version, value.clone()) {
            if &other != value {
                return fail(format!("version {version} holds {other:?} and {value:?}"));
            }
        }
        if version > 0 {
            version_of.insert(value.clone(), version);
        }
    }
    // Every version seen was written, before its reader returned, by a write that got it.
    for operation in operations {
        let Kind::Read { version, value, .. } = &operation.kind else {
            continue;
        };
        if *version == 0 {
            continue;
        }
        let Some(write) = writes.get(value) else {
            return fail(format!(
                "{operation:?} read a value nobody wrote (version {version})"
            ));
        };
        if write.invoked > operation.returned {
            return fail(format!(
                "{operation:?} read the value of {write:?}, invoked after it returned"
            ));
        }
    }
    let unknown_unseen = writes
        .keys()
        .filter(|value| !version_of.contains_key(*value))
        .count();
    let highest = value_at.keys().next_back().copied().unwrap_or(0);
    let written_by_nobody = (1..=highest)
        .filter(|version| !value_at.contains_key(version))
        .count();
    if written_by_nobody > unknown_unseen {
        return fail(format!(
            "{written_by_nobody} versions below {highest} have no write that could have made \
             them ({unknown_unseen} writes of unknown outcome)"
        ));
    }
    // No acknowledged write lost: the final read (after the test) sees each one's version.
    for last in operations.iter().filter(|o| o.session == FINAL_SESSION) {
        let Kind::Read { version: last, .. } = last.kind else {
            continue;
        };
        for write in writes.values() {
            if let Kind::Write {
                version: Some(version),
                ..
            } = write.kind
            {
                if version > last {
                    return fail(format!(
                        "{write:?} was acknowledged, yet the final read sees version {last}"
                    ));
                }
            }
        }
    }
    // Linearizability of writes and sync+reads: real-time order never contradicts the rank.
    let linearized: Vec<(&Operation, (i32, u8))> = operations
        .iter()
        .filter(|operation| !matches!(operation.kind, Kind::Read { synced: false, .. }))
        .filter_map(|operation| rank(operation, &version_of).map(|rank| (*operation, rank)))
        .collect();
    for (earlier, earlier_rank) in &linearized {
        for (later, later_rank) in &linearized {
            if earlier.returned < later.invoked && earlier_rank > later_rank {
                return fail(format!(
                    "not linearizable: {earlier:?} returned before {later:?} was invoked, yet \
                     its version comes after"
                ));
            }
        }
    }
    // Sequential consistency per session: never a version older than one seen before.
    let mut seen: BTreeMap<usize, (i32, &Operation)> = BTreeMap::new();
    for operation in operations {
        let version = match &operation.kind {
            Kind::Write {
                version: Some(version),
                ..
            } => *version,
            Kind::Read { version, .. } => *version,
            Kind::Write { version: None, .. } => continue,
        };
        if let Some((before, earlier)) = seen.get(&operation.session) {
            if version < *before {
                return fail(format!(
                    "session {} went back from version {before} ({earlier:?}) to {version} \
                     ({operation:?})",
                    operation.session
                ));
            }
        }
        seen.insert(operation.session, (version, operation));
    }
    Ok(())
}
