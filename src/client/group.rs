//! Group membership and the service registry on it.

use super::driver::{clean_up, Driver, Machine};
use super::RecipeError;
use zabkeeper_models::recipes::group::{GroupMember as Member, MemberStatus};
use zabkeeper_models::recipes::{Input, Operation};
use zookeeper_client as zk;

impl Machine for Member {
    fn on_input(&mut self, input: Input) -> Vec<Operation> {
        Member::on_input(self, input)
    }
}

/// A member of a group: an ephemeral child of the group's directory, named by the member and
/// holding its data (an address, for a service registry), with a view of the group kept fresh
/// by a watch. The member leaves when it calls [`GroupMember::leave`], when it is dropped, or
/// when its session ends.
///
/// ```no_run
/// # async fn example() -> Result<(), zabkeeper::client::RecipeError> {
/// let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
/// let mut me = zabkeeper::client::GroupMember::join(
///     &client, "/services/search", "host-1", b"10.0.0.1:8080").await?;
/// println!("instances: {:?}", me.members());
/// let changed = me.changed().await?; // the next view, after someone joins or leaves
/// # let _ = changed;
/// me.leave().await?;
/// # Ok(())
/// # }
/// ```
pub struct GroupMember {
    driver: Driver,
    machine: Member,
}

impl GroupMember {
    /// Joins the group at `path` as `name` with `data`. Waits while an earlier session's node
    /// of the same name is still there (until that session expires).
    pub async fn join(
        client: &zk::Client,
        path: &str,
        name: &str,
        data: &[u8],
    ) -> Result<GroupMember, RecipeError> {
        let mut member = GroupMember {
            driver: Driver::new(client.clone(), data.to_vec()),
            machine: Member::new(path, name),
        };
        let operations = member.machine.join();
        member
            .driver
            .run(&mut member.machine, operations, |machine| {
                machine.status() != MemberStatus::Joining
            })
            .await?;
        member.expect_member()?;
        Ok(member)
    }

    /// The members' names at the last listing, sorted.
    pub fn members(&self) -> &[String] {
        self.machine.view()
    }

    /// Waits for the group to change, and returns the new view.
    pub async fn changed(&mut self) -> Result<&[String], RecipeError> {
        let before = self.machine.view().to_vec();
        self.driver
            .run(&mut self.machine, Vec::new(), |machine| {
                machine.view() != before.as_slice() || machine.status() != MemberStatus::Member
            })
            .await?;
        self.expect_member()?;
        Ok(self.machine.view())
    }

    /// Leaves the group.
    pub async fn leave(mut self) -> Result<(), RecipeError> {
        let operations = self.machine.leave();
        self.driver
            .run(&mut self.machine, operations, |machine| {
                machine.status() != MemberStatus::Member
            })
            .await
    }

    fn expect_member(&self) -> Result<(), RecipeError> {
        match self.machine.status() {
            MemberStatus::Member => Ok(()),
            MemberStatus::Lost => Err(RecipeError::SessionExpired),
            status => unreachable!("a member settled {status:?}"),
        }
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        if self.machine.status() != MemberStatus::Member {
            return;
        }
        let operations = self.machine.leave();
        let machine = self.machine.clone();
        clean_up(self.driver.client.clone(), machine, operations, |machine| {
            machine.status() != MemberStatus::Member
        });
    }
}

/// The instances of a service registered with [`GroupMember::join`] under `path`: each
/// member's name and data, sorted by name. Members that leave while this reads are skipped.
pub async fn instances(
    client: &zk::Client,
    path: &str,
) -> Result<Vec<(String, Vec<u8>)>, RecipeError> {
    let mut names = match client.list_children(path).await {
        Ok(names) => names,
        Err(zk::Error::NoNode) => return Ok(Vec::new()),
        Err(error) => return Err(RecipeError::ZooKeeper(error)),
    };
    names.sort();
    let mut instances = Vec::with_capacity(names.len());
    for name in names {
        match client.get_data(&format!("{path}/{name}")).await {
            Ok((data, _)) => instances.push((name, data)),
            Err(zk::Error::NoNode) => {}
            Err(error) => return Err(RecipeError::ZooKeeper(error)),
        }
    }
    Ok(instances)
}
