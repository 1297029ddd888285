//! The double barrier: a fixed number of processes enter together and leave together.

use super::driver::{clean_up, Driver, Machine};
use super::RecipeError;
use zabkeeper_models::recipes::barrier::{BarrierStatus, DoubleBarrier as Barrier};
use zabkeeper_models::recipes::{Input, Operation};
use zookeeper_client as zk;

impl Machine for Barrier {
    fn on_input(&mut self, input: Input) -> Vec<Operation> {
        Barrier::on_input(self, input)
    }
}

/// One member of a double barrier: [`DoubleBarrier::enter`] returns once `members` processes
/// have arrived, [`DoubleBarrier::leave`] once all of them have started to leave. A directory
/// serves one round (its `ready` node stays while its creator's session lives): name it after
/// the round.
///
/// ```no_run
/// # async fn example() -> Result<(), zabkeeper::client::RecipeError> {
/// let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
/// let mut barrier = zabkeeper::client::DoubleBarrier::new(&client, "/barriers/step-7", "worker-3", 4);
/// barrier.enter().await?;
/// // ... compute with the three others ...
/// barrier.leave().await?;
/// # Ok(())
/// # }
/// ```
pub struct DoubleBarrier {
    driver: Driver,
    machine: Barrier,
}

impl DoubleBarrier {
    /// Member `name` (unique among the members) of the barrier at `path` for `members`
    /// processes.
    pub fn new(client: &zk::Client, path: &str, name: &str, members: usize) -> DoubleBarrier {
        DoubleBarrier {
            driver: Driver::new(client.clone(), Vec::new()),
            machine: Barrier::new(path, name, members),
        }
    }

    /// Waits until every member has arrived. Cancel-safe: dropping the future (or the
    /// barrier) withdraws this member's node in the background.
    pub async fn enter(&mut self) -> Result<(), RecipeError> {
        let operations = self.machine.enter();
        self.driver
            .run(&mut self.machine, operations, |barrier| {
                barrier.status() != BarrierStatus::Entering
            })
            .await?;
        self.outcome(BarrierStatus::Inside)
    }

    /// Waits until every member has started to leave.
    pub async fn leave(&mut self) -> Result<(), RecipeError> {
        let operations = self.machine.leave();
        self.driver
            .run(&mut self.machine, operations, |barrier| {
                barrier.status() != BarrierStatus::Leaving
            })
            .await?;
        self.outcome(BarrierStatus::Left)
    }

    fn outcome(&self, expected: BarrierStatus) -> Result<(), RecipeError> {
        match self.machine.status() {
            status if status == expected => Ok(()),
            BarrierStatus::Lost => Err(RecipeError::SessionExpired),
            status => unreachable!("the barrier settled {status:?}, not {expected:?}"),
        }
    }
}

impl Drop for DoubleBarrier {
    fn drop(&mut self) {
        let status = self.machine.status();
        if matches!(
            status,
            BarrierStatus::Left | BarrierStatus::Lost | BarrierStatus::Outside
        ) {
            return;
        }
        // Withdraw: the others must not count a member that is gone.
        let withdraw = vec![Operation::Delete {
            path: self.machine.node_path(),
        }];
        clean_up(self.driver.client.clone(), Withdrawal, withdraw, |_| true);
    }
}

/// The machine of a withdrawal: one delete, nothing to decide.
struct Withdrawal;

impl Machine for Withdrawal {
    fn on_input(&mut self, _input: Input) -> Vec<Operation> {
        Vec::new()
    }
}
