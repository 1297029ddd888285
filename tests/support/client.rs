//! The Rust `zookeeper-client` as the tests use it against the harness's server.

use super::Server;
use std::time::Duration;
use zookeeper_client as zk;

/// A persistent node anyone may do anything with.
pub fn open() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

/// A session with a 10 s timeout.
pub async fn connect(server: &Server) -> zk::Client {
    zk::Client::connector()
        .with_session_timeout(Duration::from_secs(10))
        .connect(&server.address())
        .await
        .expect("connects")
}
