//! `zoo.cfg` and `myid`, read as Apache ZooKeeper 3.8 and 3.9 read them, so that an existing
//! ZooKeeper installation's files work unchanged.
//!
//! Reading happens in three steps, each in its own file:
//! 1. `properties`: the `java.util.Properties` syntax ZooKeeper loads zoo.cfg with;
//! 2. `keys`: each key with its own rules and ZooKeeper's default, in file order; a key given
//!    twice keeps its later value;
//! 3. `assemble`: what spans keys — required keys, derived defaults, whether `server.N` lines
//!    make an ensemble (`ensemble`), and then `myid` to learn which server this is.
//!
//! Every bad value is a [`ConfigError`] naming the file, the line and the key. What ZooKeeper
//! tolerates but an operator should hear about (unknown keys, a value raised to its minimum, a
//! repeated key) comes back as [`ConfigWarning`]s for the caller to log.
//!
//! | key | field | default |
//! |---|---|---|
//! | `tickTime` | `tick_time_ms` | 3000 (ZooKeeper's; the sample file says 2000) |
//! | `initLimit`, `syncLimit` | [`Ensemble`] `init_limit_ticks`, `sync_limit_ticks` | required for an ensemble |
//! | `dataDir` | `data_dir` | required |
//! | `dataLogDir` | `data_log_dir` | `dataDir` |
//! | `clientPort`, `clientPortAddress` | `client_address` | required unless this server's line has one; every interface |
//! | `secureClientPort`, `secureClientPortAddress` | refused: no TLS yet | |
//! | `maxClientCnxns` | `client_connections_per_host_max` | 60; 0 = no limit |
//! | `minSessionTimeout`, `maxSessionTimeout` | `session_timeout_ms_min`, `_max` | 2 and 20 ticks; min > max refused |
//! | `globalOutstandingLimit` | `outstanding_requests_max` | 1000 |
//! | `snapCount` | `snapshot_interval_txns` | 100000, at least 2 |
//! | `preAllocSize` (KiB) | `txn_log_preallocation_bytes` | 64 MiB |
//! | `autopurge.snapRetainCount` | `autopurge_snapshots_retained` | 3, at least 3 |
//! | `autopurge.purgeInterval` (hours) | `autopurge_interval_hours` | off |
//! | `4lw.commands.whitelist` | `four_letter_words` | `srvr`; `*` for all |
//! | `jute.maxbuffer` | `request_bytes_max` | 0xfffff |
//! | `extendedTypesEnabled` | `extended_types_enabled` (TTL nodes) | false |
//! | `znode.container.checkIntervalMs` | `container_check_interval_ms` | 60000 |
//! | `admin.enableServer`, `admin.serverAddress`, `admin.serverPort` | `admin_server` | on, 0.0.0.0:8080 |
//! | `electionAlg` | only 3 accepted | 3 |
//! | `standaloneEnabled`, `reconfigEnabled`, `syncEnabled`, `quorumListenOnAllIPs` | same names | true, false, true, false |
//! | `peerType` | checked against this server's line, which wins | participant |
//! | `server.N` | [`Ensemble`] `servers` | standalone |
//! | `group.N`, `weight.N` | refused: hierarchical quorums | |
//! | `dynamicConfigFile` | refused: the ensemble lives in zoo.cfg | |
//! | `sslQuorum`, `portUnification`, `quorum.auth.*Sasl` | refused when true | false |
//!
//! Deliberate differences from ZooKeeper, each where ZooKeeper would run with a mistake:
//! values it would silently replace by a default (an unparsable `snapCount`) are errors; two
//! `server.N` lines for one id are an error rather than "the later wins"; server ids above 255
//! are refused since a session id carries the id in its top byte; `jute.maxbuffer` in zoo.cfg
//! is honoured (ZooKeeper only reads it as a JVM system property).

mod address;
mod assemble;
mod ensemble;
mod error;
mod four_letter_words;
mod keys;
mod myid;
mod properties;
mod server_config;
mod values;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::Path;

use crate::models::ServerId;

pub use address::{Endpoint, Host};
pub use error::{
    ConfigError, ConfigWarning, KeyError, KeyProblem, Location, MyIdProblem, WarningKind,
};
pub use four_letter_words::{FourLetterWord, FourLetterWordWhitelist};
pub use myid::read_my_id;
pub use server_config::{defaults, Ensemble, PeerRole, QuorumServer, ServerConfig};

/// A configuration ready to run, and what its reader noticed along the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedConfig {
    pub config: ServerConfig,
    /// Those about single keys in file order, then those about the whole file. The caller
    /// logs them (`tracing::warn!("{warning}")`) and starts.
    pub warnings: Vec<ConfigWarning>,
}

/// Reads zoo.cfg and, when its `server.N` lines make an ensemble, `<dataDir>/myid`.
pub fn load_config(config_file: &Path) -> Result<LoadedConfig, ConfigError> {
    let contents = fs::read(config_file).map_err(|source| ConfigError::ReadFile {
        file: config_file.to_owned(),
        source,
    })?;
    parse_config(config_file, &contents, read_my_id)
}

/// Parses zoo.cfg's contents. `config_file` only names the file in messages. `read_my_id` is
/// called with `<dataDir>/myid` only when the file defines an ensemble ([`read_my_id`] reads
/// the real file; tests pass a closure).
pub fn parse_config(
    config_file: &Path,
    contents: &[u8],
    read_my_id: impl FnOnce(&Path) -> Result<ServerId, ConfigError>,
) -> Result<LoadedConfig, ConfigError> {
    let properties = properties::read_properties(contents).map_err(|malformed| {
        ConfigError::MalformedUnicodeEscape {
            file: config_file.to_owned(),
            line: malformed.line,
        }
    })?;
    let mut warnings = Vec::new();
    let settings = keys::read_settings(config_file, properties, &mut warnings)?;
    let config = assemble::assemble(config_file, settings, read_my_id, &mut warnings)?;
    Ok(LoadedConfig { config, warnings })
}
