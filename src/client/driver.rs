//! Runs a recipe machine (`zabkeeper_models::recipes`) on a real connection: performs each
//! [`Operation`] it asks for with `zookeeper-client`, feeds the answer back as an [`Input`], and
//! waits on the one watch the machine set when it has nothing left to ask. The machine decides
//! everything; this file only translates.

use super::RecipeError;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use zabkeeper_models::recipes::{Input, Operation};
use zookeeper_client as zk;

/// A recipe machine as the driver sees it.
pub(crate) trait Machine {
    fn on_input(&mut self, input: Input) -> Vec<Operation>;
}

/// Retries of reads and deletes after a lost connection wait this long at first, doubling to
/// [`RETRY_MAX`]; the client reconnects meanwhile (or its session expires, which ends them).
const RETRY_FIRST: Duration = Duration::from_millis(10);
const RETRY_MAX: Duration = Duration::from_secs(1);

pub(crate) struct Driver {
    pub(crate) client: zk::Client,
    /// The data of the nodes this recipe creates (an identifier, an address).
    pub(crate) data: Vec<u8>,
    /// The watch the machine set last. Machines wait on one node at a time, so an older watch
    /// is one the machine no longer cares about.
    watch: Option<zk::OneshotWatcher>,
    /// The stat of the node the last create made.
    pub(crate) created: Option<zk::Stat>,
}

impl Driver {
    pub(crate) fn new(client: zk::Client, data: Vec<u8>) -> Driver {
        Driver {
            client,
            data,
            watch: None,
            created: None,
        }
    }

    /// Performs `operations` and everything the machine asks next, waiting on its watch when
    /// it asks nothing, until `settled` holds.
    pub(crate) async fn run<M: Machine>(
        &mut self,
        machine: &mut M,
        operations: Vec<Operation>,
        settled: impl Fn(&M) -> bool,
    ) -> Result<(), RecipeError> {
        let mut pending: VecDeque<Operation> = operations.into();
        loop {
            while let Some(operation) = pending.pop_front() {
                let input = self.perform(&operation).await?;
                pending.extend(machine.on_input(input));
            }
            if settled(machine) {
                return Ok(());
            }
            let input = self.notification().await?;
            pending.extend(machine.on_input(input));
        }
    }

    /// The next notification of the watch the machine set.
    async fn notification(&mut self) -> Result<Input, RecipeError> {
        let Some(watcher) = self.watch.take() else {
            return Err(RecipeError::NothingToWaitFor);
        };
        let event = watcher.changed().await;
        match (event.event_type, event.session_state) {
            (zk::EventType::Session, zk::SessionState::Expired) => Ok(Input::SessionExpired),
            (zk::EventType::Session, state) => Err(RecipeError::Session(state)),
            _ => Ok(Input::Notified { path: event.path }),
        }
    }

    async fn perform(&mut self, operation: &Operation) -> Result<Input, RecipeError> {
        let mut wait = RETRY_FIRST;
        loop {
            match self.attempt(operation).await {
                Err(zk::Error::ConnectionLoss | zk::Error::Timeout) => {
                    if let Operation::Create { path, sequential } = operation {
                        return self.create_outcome(path, *sequential).await;
                    }
                }
                Err(zk::Error::SessionExpired) => return Ok(Input::SessionExpired),
                Err(error) => return Err(RecipeError::ZooKeeper(error)),
                Ok(input) => return Ok(input),
            }
            // Reads, watches and deletes are safe to repeat.
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(RETRY_MAX);
        }
    }

    async fn attempt(&mut self, operation: &Operation) -> Result<Input, zk::Error> {
        match operation {
            Operation::Create { path, sequential } => {
                let mode = if *sequential {
                    zk::CreateMode::EphemeralSequential
                } else {
                    zk::CreateMode::Ephemeral
                };
                let options = mode.with_acls(zk::Acls::anyone_all());
                let mut result = self.client.create(path, &self.data, &options).await;
                if matches!(result, Err(zk::Error::NoNode)) {
                    // The recipe's directory is missing: make it, as kazoo and Curator do.
                    let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
                    let directory = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
                    if !parent.is_empty() {
                        self.client.mkdir(parent, &directory).await?;
                    }
                    result = self.client.create(path, &self.data, &options).await;
                }
                match result {
                    Ok((stat, sequence)) => {
                        self.created = Some(stat);
                        let path = if *sequential {
                            format!("{path}{:010}", sequence.into_i64())
                        } else {
                            path.clone()
                        };
                        Ok(Input::Created { path })
                    }
                    Err(zk::Error::NodeExists) => Ok(Input::NodeExists),
                    Err(error) => Err(error),
                }
            }
            Operation::GetChildren { path, watch } => {
                let listed = if *watch {
                    self.client
                        .get_and_watch_children(path)
                        .await
                        .map(|(children, _, watcher)| {
                            self.watch = Some(watcher);
                            children
                        })
                } else {
                    self.client.list_children(path).await
                };
                match listed {
                    Ok(children) => Ok(Input::Children(children)),
                    // The directory is gone: nobody is in it.
                    Err(zk::Error::NoNode) => Ok(Input::Children(Vec::new())),
                    Err(error) => Err(error),
                }
            }
            Operation::WatchNode { path } => match self.client.get_and_watch_data(path).await {
                Ok((_, _, watcher)) => {
                    self.watch = Some(watcher);
                    Ok(Input::Watching)
                }
                Err(zk::Error::NoNode) => Ok(Input::NoNode),
                Err(error) => Err(error),
            },
            Operation::Exists { path, watch } => {
                let stat = if *watch {
                    let (stat, watcher) = self.client.check_and_watch_stat(path).await?;
                    self.watch = Some(watcher);
                    stat
                } else {
                    self.client.check_stat(path).await?
                };
                Ok(Input::Exists(stat.is_some()))
            }
            Operation::Delete { path } => match self.client.delete(path, None).await {
                Ok(()) | Err(zk::Error::NoNode) => Ok(Input::Deleted),
                Err(error) => Err(error),
            },
            Operation::DeleteIfOwned { path } => {
                let Some(stat) = self.client.check_stat(path).await? else {
                    return Ok(Input::Deleted);
                };
                if stat.ephemeral_owner != self.client.session_id().0 {
                    return Ok(Input::Deleted);
                }
                // Only this session could have changed its own node since: the version holds.
                match self.client.delete(path, Some(stat.version)).await {
                    Ok(()) | Err(zk::Error::NoNode) => Ok(Input::Deleted),
                    Err(error) => Err(error),
                }
            }
        }
    }

    /// A create whose answer was lost. A sequential node is found by its unique prefix (the
    /// machine lists and looks); a plain one is ours exactly when our session owns it.
    async fn create_outcome(&mut self, path: &str, sequential: bool) -> Result<Input, RecipeError> {
        if sequential {
            return Ok(Input::OutcomeUnknown);
        }
        let mut wait = RETRY_FIRST;
        loop {
            match self.client.check_stat(path).await {
                Ok(Some(stat)) if stat.ephemeral_owner == self.client.session_id().0 => {
                    self.created = Some(stat);
                    return Ok(Input::Created {
                        path: path.to_string(),
                    });
                }
                Ok(Some(_)) => return Ok(Input::NodeExists),
                Ok(None) => return Ok(Input::OutcomeUnknown),
                Err(zk::Error::SessionExpired) => return Ok(Input::SessionExpired),
                Err(zk::Error::ConnectionLoss | zk::Error::Timeout) => {}
                Err(error) => return Err(RecipeError::ZooKeeper(error)),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(RETRY_MAX);
        }
    }
}

/// A name prefix no other contender of any lock has: the session id (unique among live
/// sessions) and a counter of this process (unique among its contenders), 32 hex digits as
/// kazoo's uuid4 hex.
pub(crate) fn unique_prefix(client: &zk::Client) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let count = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{:016x}", client.session_id().0, count)
}

/// [`unique_prefix`] as Curator writes its protected-mode prefix: `_c_<uuid>-`.
pub(crate) fn curator_prefix(client: &zk::Client) -> String {
    let hex = unique_prefix(client);
    format!(
        "_c_{}-{}-{}-{}-{}-",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Runs the cleanup a cancelled or dropped recipe leaves (deleting its node) on the current
/// tokio runtime, if there is one; without a runtime the node goes with the session.
pub(crate) fn clean_up<M: Machine + Send + 'static>(
    client: zk::Client,
    mut machine: M,
    operations: Vec<Operation>,
    settled: impl Fn(&M) -> bool + Send + 'static,
) {
    if operations.is_empty() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut driver = Driver::new(client, Vec::new());
        if let Err(error) = driver.run(&mut machine, operations, settled).await {
            tracing::warn!("a recipe's cleanup failed: {error}");
        }
    });
}
