//! Locks: the fair mutex, the read-write lock's two sides, and the unfair lock on one node.
//! Each is a model-checked machine from `zabkeeper_models::recipes` run by the [`Driver`].

use super::driver::{clean_up, curator_prefix, unique_prefix, Driver, Machine};
use super::RecipeError;
use zabkeeper_models::recipes::fair_lock::FairLock;
use zabkeeper_models::recipes::lock::{LockKind, Names};
use zabkeeper_models::recipes::single_node_lock::SingleNodeLock as SingleNodeMachine;
use zabkeeper_models::recipes::{Input, LockStatus, Operation};
use zookeeper_client as zk;

impl Machine for FairLock {
    fn on_input(&mut self, input: Input) -> Vec<Operation> {
        FairLock::on_input(self, input)
    }
}

impl Machine for SingleNodeMachine {
    fn on_input(&mut self, input: Input) -> Vec<Operation> {
        SingleNodeMachine::on_input(self, input)
    }
}

/// A lock machine as [`Contention`] runs it.
pub(crate) trait LockMachine: Machine + Send + 'static {
    fn acquire(&mut self) -> Vec<Operation>;
    fn release(&mut self) -> Vec<Operation>;
    fn status(&self) -> LockStatus;
    /// A machine for the same lock that has not contended yet.
    fn fresh(&self, client: &zk::Client) -> Self;
}

impl LockMachine for FairLock {
    fn acquire(&mut self) -> Vec<Operation> {
        FairLock::acquire(self)
    }
    fn release(&mut self) -> Vec<Operation> {
        FairLock::release(self)
    }
    fn status(&self) -> LockStatus {
        FairLock::status(self)
    }
    fn fresh(&self, client: &zk::Client) -> FairLock {
        fair_lock(client, self.directory(), self.kind(), self.names())
    }
}

impl LockMachine for SingleNodeMachine {
    fn acquire(&mut self) -> Vec<Operation> {
        SingleNodeMachine::acquire(self)
    }
    fn release(&mut self) -> Vec<Operation> {
        SingleNodeMachine::release(self)
    }
    fn status(&self) -> LockStatus {
        SingleNodeMachine::status(self)
    }
    fn fresh(&self, _client: &zk::Client) -> SingleNodeMachine {
        SingleNodeMachine::new(self.path())
    }
}

/// A new contender's machine, with a prefix unique to it in the style of `names`.
fn fair_lock(client: &zk::Client, path: &str, kind: LockKind, names: Names) -> FairLock {
    let prefix = match names {
        Names::Kazoo => unique_prefix(client),
        Names::CuratorMutex | Names::CuratorReadWrite => curator_prefix(client),
    };
    FairLock::with_names(path, kind, &prefix, names)
}

/// One contender's machine and connection, with what makes it cancel-safe: an acquire or
/// release that does not finish (dropped, or failed) hands the machine to a background task
/// that deletes its node, and the contender starts afresh.
pub(crate) struct Contention<M: LockMachine> {
    driver: Driver,
    machine: M,
}

fn settled(status: LockStatus) -> bool {
    status != LockStatus::Waiting
}

impl<M: LockMachine> Contention<M> {
    pub(crate) fn new(client: &zk::Client, machine: M, data: Vec<u8>) -> Contention<M> {
        Contention {
            driver: Driver::new(client.clone(), data),
            machine,
        }
    }

    pub(crate) fn status(&self) -> LockStatus {
        self.machine.status()
    }

    pub(crate) fn machine(&self) -> &M {
        &self.machine
    }

    pub(crate) fn created(&self) -> Option<&zk::Stat> {
        self.driver.created.as_ref()
    }

    pub(crate) fn client(&self) -> &zk::Client {
        &self.driver.client
    }

    pub(crate) async fn acquire(&mut self) -> Result<(), RecipeError> {
        let operations = self.machine.acquire();
        let mut unfinished = Unfinished(Some(self));
        let this = unfinished.0.as_mut().expect("set above");
        this.driver
            .run(&mut this.machine, operations, |machine| {
                settled(machine.status())
            })
            .await?;
        let this = unfinished.0.take().expect("finished once");
        match this.machine.status() {
            LockStatus::Holds => Ok(()),
            LockStatus::Lost => Err(RecipeError::SessionExpired),
            status => unreachable!("an acquire settles holding or lost, not {status:?}"),
        }
    }

    pub(crate) async fn release(&mut self) -> Result<(), RecipeError> {
        let operations = self.machine.release();
        let mut unfinished = Unfinished(Some(self));
        let this = unfinished.0.as_mut().expect("set above");
        this.driver
            .run(&mut this.machine, operations, |machine| {
                settled(machine.status())
            })
            .await?;
        unfinished.0.take();
        Ok(())
    }

    /// Gives the machine's node back in the background and starts afresh.
    fn abandon(&mut self) {
        let fresh = self.machine.fresh(&self.driver.client);
        let mut machine = std::mem::replace(&mut self.machine, fresh);
        // Release every hold: a re-entrant holder's node goes too.
        let mut operations = Vec::new();
        while operations.is_empty() && machine.status() == LockStatus::Holds {
            operations = machine.release();
        }
        if machine.status() == LockStatus::Waiting {
            operations.extend(machine.release());
        }
        self.driver.created = None;
        clean_up(self.driver.client.clone(), machine, operations, |machine| {
            settled(machine.status())
        });
    }
}

impl<M: LockMachine> Drop for Contention<M> {
    fn drop(&mut self) {
        if self.machine.status() != LockStatus::Idle && self.machine.status() != LockStatus::Lost {
            self.abandon();
        }
    }
}

/// Abandons the contention unless the operation in progress finished.
struct Unfinished<'a, M: LockMachine>(Option<&'a mut Contention<M>>);

impl<M: LockMachine> Drop for Unfinished<'_, M> {
    fn drop(&mut self) {
        if let Some(contention) = self.0.take() {
            contention.abandon();
        }
    }
}

/// A fair, re-entrant lock: contenders hold it one at a time in the order they asked, and each
/// waiter watches only the one before it. Node names follow kazoo's `Lock` (and its
/// `WriteLock`), so kazoo processes and this library queue in one line on the same path.
///
/// The lock is held as far as this process has heard: see [`Lock::fencing_token`] for what a
/// resource it protects should check.
///
/// ```no_run
/// # async fn example() -> Result<(), zabkeeper::client::RecipeError> {
/// let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
/// let mut lock = zabkeeper::client::Lock::new(&client, "/locks/reports");
/// lock.acquire().await?;
/// // ... the work only one process may do, passing lock.fencing_token() along ...
/// lock.release().await?;
/// # Ok(())
/// # }
/// ```
pub struct Lock {
    contention: Contention<FairLock>,
}

impl Lock {
    /// The exclusive lock whose contenders are the children of `path`.
    pub fn new(client: &zk::Client, path: &str) -> Lock {
        Lock::of_kind(client, path, LockKind::Exclusive, Vec::new())
    }

    /// The lock, with `identifier` as the data of this contender's node (kazoo's
    /// `identifier`: `Lock::contenders` reads it).
    pub fn with_identifier(client: &zk::Client, path: &str, identifier: &[u8]) -> Lock {
        Lock::of_kind(client, path, LockKind::Exclusive, identifier.to_vec())
    }

    /// The exclusive lock with Curator's `InterProcessMutex` node names
    /// (`_c_<uuid>-lock-<sequence>`), to share it with Curator processes, which do not
    /// recognise kazoo's names. (This library recognises both.)
    pub fn curator(client: &zk::Client, path: &str) -> Lock {
        Lock::named(client, path, LockKind::Exclusive, Names::CuratorMutex)
    }

    pub(crate) fn of_kind(
        client: &zk::Client,
        path: &str,
        kind: LockKind,
        identifier: Vec<u8>,
    ) -> Lock {
        let machine = fair_lock(client, path, kind, Names::Kazoo);
        Lock {
            contention: Contention::new(client, machine, identifier),
        }
    }

    fn named(client: &zk::Client, path: &str, kind: LockKind, names: Names) -> Lock {
        Lock {
            contention: Contention::new(client, fair_lock(client, path, kind, names), Vec::new()),
        }
    }

    /// Waits until this contender holds the lock. Holding it already, it counts one more hold
    /// (each needs a [`Lock::release`]). Cancel-safe: dropping the future gives up the place
    /// in line (the node is deleted in the background).
    ///
    /// Fails with [`RecipeError::SessionExpired`] when the session expired meanwhile.
    pub async fn acquire(&mut self) -> Result<(), RecipeError> {
        self.contention.acquire().await
    }

    /// Gives one hold back; the last one deletes the node, handing the lock on. Dropping the
    /// `Lock` releases it too (in the background).
    pub async fn release(&mut self) -> Result<(), RecipeError> {
        self.contention.release().await
    }

    /// Whether this contender holds the lock, as far as it has heard.
    pub fn holds(&self) -> bool {
        self.contention.status() == LockStatus::Holds
    }

    /// The fencing token of the current hold: the czxid of this contender's node. Each holder
    /// of a lock gets a larger one than every earlier holder, so a resource that remembers the
    /// largest token it accepted can refuse the writes of a holder whose session expired
    /// without its knowing (a long pause, a partition). `None` unless holding.
    pub fn fencing_token(&self) -> Option<i64> {
        if !self.holds() {
            return None;
        }
        self.contention.created().map(|stat| stat.czxid)
    }

    /// The sequence ZooKeeper gave this contender's node: ordered like the fencing token among
    /// the holders of one lock.
    pub fn sequence(&self) -> Option<i32> {
        self.contention.machine().sequence()
    }

    /// The path of this contender's node, once made.
    pub fn node_path(&self) -> Option<String> {
        self.contention.machine().node_path()
    }

    /// Waits until this contender no longer holds the lock without having released it: its
    /// node was deleted or its session expired. Returns at once when it does not hold.
    pub async fn lost(&self) -> Result<(), RecipeError> {
        let Some(path) = self.node_path().filter(|_| self.holds()) else {
            return Ok(());
        };
        node_gone(self.contention.client(), &path).await
    }
}

/// Waits until `path` is deleted or the session expires.
pub(crate) async fn node_gone(client: &zk::Client, path: &str) -> Result<(), RecipeError> {
    loop {
        let watcher = match client.get_and_watch_data(path).await {
            Ok((_, _, watcher)) => watcher,
            Err(zk::Error::NoNode | zk::Error::SessionExpired) => return Ok(()),
            Err(zk::Error::ConnectionLoss) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            Err(error) => return Err(RecipeError::ZooKeeper(error)),
        };
        let event = watcher.changed().await;
        match (event.event_type, event.session_state) {
            (zk::EventType::NodeDeleted, _) => return Ok(()),
            (zk::EventType::Session, zk::SessionState::Expired) => return Ok(()),
            (zk::EventType::Session, state) => return Err(RecipeError::Session(state)),
            _ => {}
        }
    }
}

/// A fair read-write lock: readers share it, a writer holds it alone, and each comes in the
/// order it asked. Node names are kazoo's `ReadLock` / `WriteLock` ones.
///
/// ```no_run
/// # async fn example() -> Result<(), zabkeeper::client::RecipeError> {
/// let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
/// let rw = zabkeeper::client::ReadWriteLock::new(&client, "/locks/catalog");
/// let mut read = rw.read_lock();
/// read.acquire().await?;
/// // ... read, while other readers may too ...
/// read.release().await?;
/// # Ok(())
/// # }
/// ```
pub struct ReadWriteLock {
    client: zk::Client,
    path: String,
    names: Names,
}

impl ReadWriteLock {
    /// The lock with kazoo's `ReadLock` / `WriteLock` names.
    pub fn new(client: &zk::Client, path: &str) -> ReadWriteLock {
        ReadWriteLock {
            client: client.clone(),
            path: path.to_string(),
            names: Names::Kazoo,
        }
    }

    /// The lock with Curator's `InterProcessReadWriteLock` names (`__READ__`, `__WRIT__`).
    pub fn curator(client: &zk::Client, path: &str) -> ReadWriteLock {
        ReadWriteLock {
            names: Names::CuratorReadWrite,
            ..ReadWriteLock::new(client, path)
        }
    }

    /// A reader of this lock.
    pub fn read_lock(&self) -> Lock {
        Lock::named(&self.client, &self.path, LockKind::Read, self.names)
    }

    /// A writer of this lock.
    pub fn write_lock(&self) -> Lock {
        Lock::named(&self.client, &self.path, LockKind::Exclusive, self.names)
    }
}

/// The unfair lock on one ephemeral node: simple, but every release wakes every waiter (the
/// herd effect) and the order is whoever wins the race. Prefer [`Lock`]; this one is for
/// sharing a lock with programs that use a single ephemeral node.
pub struct SingleNodeLock {
    contention: Contention<SingleNodeMachine>,
}

impl SingleNodeLock {
    pub fn new(client: &zk::Client, path: &str) -> SingleNodeLock {
        let machine = SingleNodeMachine::new(path);
        SingleNodeLock {
            contention: Contention::new(client, machine, Vec::new()),
        }
    }

    /// Waits until this process holds the node. Cancel-safe, as [`Lock::acquire`].
    pub async fn acquire(&mut self) -> Result<(), RecipeError> {
        self.contention.acquire().await
    }

    pub async fn release(&mut self) -> Result<(), RecipeError> {
        self.contention.release().await
    }

    pub fn holds(&self) -> bool {
        self.contention.status() == LockStatus::Holds
    }
}
