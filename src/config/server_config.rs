//! The configuration a server runs with, typed. Each field names the zoo.cfg key it comes from;
//! names put units last (`tick_time_ms`, `session_timeout_ms_min`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use crate::models::ServerId;

use super::address::{Endpoint, Host};
use super::four_letter_words::FourLetterWordWhitelist;

/// ZooKeeper's defaults for absent keys, and the embedded default's choices.
pub mod defaults {
    /// `tickTime` when absent: ZooKeeper's `ZooKeeperServer.DEFAULT_TICK_TIME`. The sample
    /// zoo.cfg, and the embedded default, say 2000.
    pub const TICK_TIME_MS: u32 = 3000;
    /// `maxClientCnxns`.
    pub const CLIENT_CONNECTIONS_PER_HOST_MAX: u32 = 60;
    /// `globalOutstandingLimit`.
    pub const OUTSTANDING_REQUESTS_MAX: u32 = 1000;
    /// `snapCount`; ZooKeeper raises smaller values to 2.
    pub const SNAPSHOT_INTERVAL_TXNS: u32 = 100_000;
    /// `znode.container.checkIntervalMs`: ZooKeeper's one minute.
    pub const CONTAINER_CHECK_INTERVAL_MS: u32 = 60_000;
    pub const SNAPSHOT_INTERVAL_TXNS_MIN: u32 = 2;
    /// `preAllocSize` (64 MiB; the file gives it in KiB).
    pub const TXN_LOG_PREALLOCATION_BYTES: u64 = 64 * 1024 * 1024;
    /// `autopurge.snapRetainCount`, which is also its minimum.
    pub const AUTOPURGE_SNAPSHOTS_RETAINED: u32 = 3;
    /// `jute.maxbuffer`: 0xfffff, one byte short of 1 MiB.
    pub const REQUEST_BYTES_MAX: u32 = 0xfffff;
    /// `admin.serverPort`.
    pub const ADMIN_SERVER_PORT: u16 = 8080;
    /// The embedded default's data directory, relative to the working directory.
    pub const EMBEDDED_DATA_DIR: &str = "zabkeeper-data";
    /// The embedded default's client port, on 127.0.0.1 only.
    pub const EMBEDDED_CLIENT_PORT: u16 = 2181;
    /// The embedded default's tick, as in ZooKeeper's sample zoo.cfg.
    pub const EMBEDDED_TICK_TIME_MS: u32 = 2000;
}

/// Everything a server needs from zoo.cfg (and `myid`), checked as ZooKeeper checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// `tickTime`: the unit of heartbeats, of `initLimit`/`syncLimit` and of the default
    /// session timeouts.
    pub tick_time_ms: u32,
    /// `dataDir`: snapshots, `myid`, `currentEpoch`, `acceptedEpoch`.
    pub data_dir: PathBuf,
    /// `dataLogDir`: the txn log; `dataDir` when absent.
    pub data_log_dir: PathBuf,
    /// Where this server accepts clients: `clientPortAddress:clientPort` (every interface when
    /// no address is given), or the client part of this server's `server.N` line.
    pub client_address: Endpoint,
    /// `maxClientCnxns`: connections from one IP; `None` when 0, ZooKeeper's "no limit".
    pub client_connections_per_host_max: Option<u32>,
    /// `minSessionTimeout`: 2 × tickTime when absent (or -1).
    pub session_timeout_ms_min: u32,
    /// `maxSessionTimeout`: 20 × tickTime when absent (or -1).
    pub session_timeout_ms_max: u32,
    /// `globalOutstandingLimit`: queued requests past which the server stops reading.
    pub outstanding_requests_max: u32,
    /// `snapCount`: a snapshot after snapCount/2 + random(snapCount/2) txns.
    pub snapshot_interval_txns: u32,
    /// `preAllocSize` (KiB in the file): the txn log grows by this much at a time; 0 turns
    /// preallocation off.
    pub txn_log_preallocation_bytes: u64,
    /// `autopurge.snapRetainCount`: snapshots (and their logs) kept by a purge; at least 3.
    pub autopurge_snapshots_retained: u32,
    /// `autopurge.purgeInterval`: hours between purges; `None` (0, or negative) never purges.
    pub autopurge_interval_hours: Option<u32>,
    /// `4lw.commands.whitelist`.
    pub four_letter_words: FourLetterWordWhitelist,
    /// `extendedTypesEnabled` (ZooKeeper's `zookeeper.extendedTypesEnabled`): TTL nodes.
    pub extended_types_enabled: bool,
    /// `znode.container.checkIntervalMs`: how often the leader deletes emptied containers and
    /// expired TTL nodes.
    pub container_check_interval_ms: u32,
    /// `jute.maxbuffer`: the largest frame a client may send. ZooKeeper reads it only as a
    /// JVM system property; here zoo.cfg sets it.
    pub request_bytes_max: u32,
    /// `admin.enableServer`, `admin.serverAddress`, `admin.serverPort`: the AdminServer's
    /// HTTP listener, `None` when disabled.
    pub admin_server: Option<Endpoint>,
    /// `standaloneEnabled`: a single participant runs standalone (ZooKeeper's default, true)
    /// rather than as an ensemble of one.
    pub standalone_enabled: bool,
    /// `reconfigEnabled`: whether the `reconfig` operation is accepted (default false).
    pub reconfig_enabled: bool,
    /// `syncEnabled`: whether an observer logs and snapshots what it learns (default true).
    pub sync_enabled: bool,
    /// `quorumListenOnAllIPs`: bind the quorum and election ports on every interface rather
    /// than on this server's host from its `server.N` line (default false).
    pub quorum_listen_on_all_ips: bool,
    /// The ensemble, `None` when this server runs standalone.
    pub ensemble: Option<Ensemble>,
}

impl ServerConfig {
    /// The configuration without any file: a standalone server for development that serves
    /// 127.0.0.1:2181 only, keeps its data in `./zabkeeper-data`, ticks every 2000 ms, runs
    /// no AdminServer (port 8080 is too often taken on a development machine), and takes
    /// ZooKeeper's defaults for the rest.
    pub fn embedded_default() -> Self {
        Self {
            tick_time_ms: defaults::EMBEDDED_TICK_TIME_MS,
            data_dir: PathBuf::from(defaults::EMBEDDED_DATA_DIR),
            data_log_dir: PathBuf::from(defaults::EMBEDDED_DATA_DIR),
            client_address: Endpoint {
                host: Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                port: defaults::EMBEDDED_CLIENT_PORT,
            },
            client_connections_per_host_max: Some(defaults::CLIENT_CONNECTIONS_PER_HOST_MAX),
            session_timeout_ms_min: 2 * defaults::EMBEDDED_TICK_TIME_MS,
            session_timeout_ms_max: 20 * defaults::EMBEDDED_TICK_TIME_MS,
            outstanding_requests_max: defaults::OUTSTANDING_REQUESTS_MAX,
            snapshot_interval_txns: defaults::SNAPSHOT_INTERVAL_TXNS,
            txn_log_preallocation_bytes: defaults::TXN_LOG_PREALLOCATION_BYTES,
            autopurge_snapshots_retained: defaults::AUTOPURGE_SNAPSHOTS_RETAINED,
            autopurge_interval_hours: None,
            four_letter_words: FourLetterWordWhitelist::default(),
            request_bytes_max: defaults::REQUEST_BYTES_MAX,
            extended_types_enabled: false,
            container_check_interval_ms: defaults::CONTAINER_CHECK_INTERVAL_MS,
            admin_server: None,
            standalone_enabled: true,
            reconfig_enabled: false,
            sync_enabled: true,
            quorum_listen_on_all_ips: false,
            ensemble: None,
        }
    }
}

/// The servers of an ensemble (the `server.N` lines) and which one this is (`myid`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ensemble {
    /// This server's id, from `<dataDir>/myid`; always a key of `servers`.
    pub my_id: ServerId,
    /// `initLimit`: ticks a follower may take to connect to and sync with the leader.
    pub init_limit_ticks: u32,
    /// `syncLimit`: ticks a follower may lag behind the leader before it is dropped.
    pub sync_limit_ticks: u32,
    /// Every `server.N` line, participants and observers.
    pub servers: BTreeMap<ServerId, QuorumServer>,
}

impl Ensemble {
    /// This server's own line.
    pub fn me(&self) -> &QuorumServer {
        &self.servers[&self.my_id]
    }

    /// The voting members, whose majority makes a quorum.
    pub fn participants(&self) -> impl Iterator<Item = &QuorumServer> {
        self.servers
            .values()
            .filter(|server| server.role == PeerRole::Participant)
    }
}

/// One `server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumServer {
    pub id: ServerId,
    pub host: Host,
    /// Followers and observers connect to the leader here.
    pub quorum_port: u16,
    /// Fast Leader Election's connections.
    pub election_port: u16,
    pub role: PeerRole,
    /// Where this server accepts clients, when the line says (`;2181` means every interface).
    pub client_address: Option<Endpoint>,
}

impl QuorumServer {
    pub fn quorum_endpoint(&self) -> Endpoint {
        Endpoint {
            host: self.host.clone(),
            port: self.quorum_port,
        }
    }

    pub fn election_endpoint(&self) -> Endpoint {
        Endpoint {
            host: self.host.clone(),
            port: self.election_port,
        }
    }
}

/// ZooKeeper's `LearnerType`: whether a server votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerRole {
    Participant,
    Observer,
}

impl fmt::Display for PeerRole {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            PeerRole::Participant => "participant",
            PeerRole::Observer => "observer",
        })
    }
}
