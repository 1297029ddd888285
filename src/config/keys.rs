//! From properties to settings: every key ZooKeeper's `QuorumPeerConfig` knows that Zabkeeper
//! honours, each read with ZooKeeper's rules, in file order so that the first error reported is
//! the first in the file. Checks that involve several keys come after, in `assemble`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::address::Host;
use super::ensemble::{parse_hierarchical_key, parse_server_line, ServerLine};
use super::error::{ConfigError, ConfigWarning, KeyProblem, Location, WarningKind};
use super::four_letter_words::FourLetterWordWhitelist;
use super::properties::Property;
use super::server_config::{defaults, PeerRole};
use super::values::{self, Radix};

/// A value and the line that set it, for errors that point back at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Located<T> {
    pub value: T,
    pub line: usize,
}

/// What the file says, key by key, with ZooKeeper's defaults for what it does not say.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    pub tick_time_ms: Option<Located<u32>>,
    pub init_limit_ticks: Option<u32>,
    pub sync_limit_ticks: Option<u32>,
    pub data_dir: Option<PathBuf>,
    pub data_log_dir: Option<PathBuf>,
    pub client_port: Option<Located<u16>>,
    pub client_port_address: Option<Located<Host>>,
    pub client_connections_per_host_max: Option<u32>,
    pub session_timeout_ms_min: Option<Located<u32>>,
    pub session_timeout_ms_max: Option<Located<u32>>,
    pub outstanding_requests_max: u32,
    pub snapshot_interval_txns: u32,
    pub txn_log_preallocation_bytes: u64,
    pub autopurge_snapshots_retained: u32,
    pub autopurge_interval_hours: Option<u32>,
    pub four_letter_words: FourLetterWordWhitelist,
    pub request_bytes_max: u32,
    pub extended_types_enabled: bool,
    pub container_check_interval_ms: u32,
    pub admin_server_enabled: bool,
    pub admin_server_host: Host,
    pub admin_server_port: u16,
    pub standalone_enabled: Option<Located<bool>>,
    pub reconfig_enabled: bool,
    pub sync_enabled: bool,
    pub quorum_listen_on_all_ips: bool,
    pub peer_type: Option<Located<PeerRole>>,
    pub server_lines: Vec<ServerLine>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            tick_time_ms: None,
            init_limit_ticks: None,
            sync_limit_ticks: None,
            data_dir: None,
            data_log_dir: None,
            client_port: None,
            client_port_address: None,
            client_connections_per_host_max: Some(defaults::CLIENT_CONNECTIONS_PER_HOST_MAX),
            session_timeout_ms_min: None,
            session_timeout_ms_max: None,
            outstanding_requests_max: defaults::OUTSTANDING_REQUESTS_MAX,
            snapshot_interval_txns: defaults::SNAPSHOT_INTERVAL_TXNS,
            txn_log_preallocation_bytes: defaults::TXN_LOG_PREALLOCATION_BYTES,
            autopurge_snapshots_retained: defaults::AUTOPURGE_SNAPSHOTS_RETAINED,
            autopurge_interval_hours: None,
            four_letter_words: FourLetterWordWhitelist::default(),
            request_bytes_max: defaults::REQUEST_BYTES_MAX,
            extended_types_enabled: false,
            container_check_interval_ms: defaults::CONTAINER_CHECK_INTERVAL_MS,
            admin_server_enabled: true,
            admin_server_host: Host::EVERY_INTERFACE,
            admin_server_port: defaults::ADMIN_SERVER_PORT,
            standalone_enabled: None,
            reconfig_enabled: false,
            sync_enabled: true,
            quorum_listen_on_all_ips: false,
            peer_type: None,
            server_lines: Vec::new(),
        }
    }
}

/// Switches for security Zabkeeper does not provide yet: refused when on, so that nobody
/// believes a quorum or a client port protected that is not.
const SECURITY_SWITCHES: [(&str, &str); 5] = [
    ("sslQuorum", "Zabkeeper does not encrypt quorum traffic yet"),
    ("portUnification", "Zabkeeper does not serve TLS yet"),
    (
        "quorum.auth.enableSasl",
        "Zabkeeper does not authenticate quorum peers yet",
    ),
    (
        "quorum.auth.learnerRequireSasl",
        "Zabkeeper does not authenticate quorum peers yet",
    ),
    (
        "quorum.auth.serverRequireSasl",
        "Zabkeeper does not authenticate quorum peers yet",
    ),
];

const ELECTION_ALGORITHM: &str =
    "3 (Fast Leader Election, the only algorithm ZooKeeper 3.8 and 3.9 support)";
const SESSION_TIMEOUT: &str = "a positive integer, or -1 for the default";
const FOUR_LETTER_WORDS: &str = "comma-separated four-letter words (conf, cons, crst, dirs, \
     dump, envi, gtmk, hash, isro, mntr, ruok, srst, srvr, stat, stmk, wchc, wchp, wchs) or *";

/// Reads every property into settings. A key given twice keeps its later value (as
/// `java.util.Properties` does) with a warning; `server.N` lines are all kept, so that a
/// repeated server id is an error rather than a silently replaced ensemble member.
pub(super) fn read_settings(
    file: &Path,
    properties: Vec<Property>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Settings, ConfigError> {
    let mut settings = Settings::default();
    for property in effective_properties(file, properties, warnings) {
        let Property { key, value, line } = property;
        apply(&mut settings, &key, &value, line, file, warnings).map_err(|problem| {
            let location = Location {
                file: file.to_owned(),
                line: Some(line),
            };
            ConfigError::key(location, &key, problem)
        })?;
    }
    Ok(settings)
}

/// ZooKeeper trims keys and values with Java's `String.trim`, which drops every character up
/// to U+0020, control characters included.
fn java_trim(text: &str) -> &str {
    text.trim_matches(|character: char| character <= ' ')
}

fn effective_properties(
    file: &Path,
    properties: Vec<Property>,
    warnings: &mut Vec<ConfigWarning>,
) -> Vec<Property> {
    let mut kept: Vec<Option<Property>> = Vec::with_capacity(properties.len());
    let mut last_index_of_key: HashMap<String, usize> = HashMap::new();
    for property in properties {
        let key = java_trim(&property.key).to_owned();
        let value = java_trim(&property.value).to_owned();
        if !key.starts_with("server.") {
            if let Some(earlier_index) = last_index_of_key.insert(key.clone(), kept.len()) {
                let earlier = kept[earlier_index]
                    .take()
                    .expect("only the latest occurrence of a key is indexed");
                warnings.push(ConfigWarning {
                    location: Location {
                        file: file.to_owned(),
                        line: Some(property.line),
                    },
                    key: key.clone(),
                    kind: WarningKind::RepeatedKey {
                        earlier_line: earlier.line,
                    },
                });
            }
        }
        kept.push(Some(Property {
            key,
            value,
            line: property.line,
        }));
    }
    kept.into_iter().flatten().collect()
}

fn apply(
    settings: &mut Settings,
    key: &str,
    value: &str,
    line: usize,
    file: &Path,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(), KeyProblem> {
    let warn = |kind| ConfigWarning {
        location: Location {
            file: file.to_owned(),
            line: Some(line),
        },
        key: key.to_owned(),
        kind,
    };
    match key {
        "tickTime" => {
            settings.tick_time_ms = Some(Located {
                value: positive(value)?,
                line,
            })
        }
        "initLimit" => settings.init_limit_ticks = Some(positive(value)?),
        "syncLimit" => settings.sync_limit_ticks = Some(positive(value)?),
        "dataDir" | "dataLogDir" => {
            let path = values::path(value)?;
            if path.is_relative() {
                warnings.push(warn(WarningKind::RelativePath));
            }
            if key == "dataDir" {
                settings.data_dir = Some(path);
            } else {
                settings.data_log_dir = Some(path);
            }
        }
        "clientPort" => {
            settings.client_port = Some(Located {
                value: values::port(value, Radix::Decimal)?,
                line,
            })
        }
        "clientPortAddress" => {
            settings.client_port_address = Some(Located {
                value: values::host(value)?,
                line,
            })
        }
        "secureClientPort" | "secureClientPortAddress" => {
            return Err(KeyProblem::NotSupported(
                "Zabkeeper does not serve TLS client connections yet; use clientPort",
            ))
        }
        "maxClientCnxns" => {
            let limit = values::non_negative_int(value)?;
            settings.client_connections_per_host_max = (limit > 0).then_some(limit);
        }
        "minSessionTimeout" => settings.session_timeout_ms_min = session_timeout(value, line)?,
        "maxSessionTimeout" => settings.session_timeout_ms_max = session_timeout(value, line)?,
        "globalOutstandingLimit" => {
            settings.outstanding_requests_max = values::positive_int(value, Radix::Decoded)?
        }
        "snapCount" => {
            let given = values::java_int(value, Radix::Decoded)?;
            settings.snapshot_interval_txns =
                at_least(given, defaults::SNAPSHOT_INTERVAL_TXNS_MIN, warnings, warn);
        }
        "preAllocSize" => settings.txn_log_preallocation_bytes = values::kibibytes_as_bytes(value)?,
        "autopurge.snapRetainCount" => {
            let given = values::java_int(value, Radix::Decimal)?;
            settings.autopurge_snapshots_retained = at_least(
                given,
                defaults::AUTOPURGE_SNAPSHOTS_RETAINED,
                warnings,
                warn,
            );
        }
        "autopurge.purgeInterval" => {
            let hours = values::java_int(value, Radix::Decimal)?;
            settings.autopurge_interval_hours = u32::try_from(hours).ok().filter(|&h| h > 0);
        }
        "4lw.commands.whitelist" => {
            settings.four_letter_words = FourLetterWordWhitelist::parse(value)
                .map_err(|word| values::expected(FOUR_LETTER_WORDS, &word))?
        }
        // ZooKeeper turns a zoo.cfg key it does not know into the system property
        // `zookeeper.<key>`, which is how TTL nodes are switched on from zoo.cfg.
        "extendedTypesEnabled" => settings.extended_types_enabled = values::boolean(value)?,
        // ZooKeeper reads this one only as a JVM system property; here zoo.cfg sets it.
        "znode.container.checkIntervalMs" => {
            settings.container_check_interval_ms = values::positive_int(value, Radix::Decimal)?
        }
        "jute.maxbuffer" => {
            settings.request_bytes_max = values::positive_int(value, Radix::Decoded)?
        }
        "admin.enableServer" => settings.admin_server_enabled = values::boolean(value)?,
        "admin.serverAddress" => settings.admin_server_host = values::host(value)?,
        "admin.serverPort" => settings.admin_server_port = values::port(value, Radix::Decoded)?,
        "electionAlg" => {
            if values::java_int(value, Radix::Decimal).ok() != Some(3) {
                return Err(values::expected(ELECTION_ALGORITHM, value));
            }
        }
        "standaloneEnabled" => {
            settings.standalone_enabled = Some(Located {
                value: values::boolean(value)?,
                line,
            })
        }
        "reconfigEnabled" => settings.reconfig_enabled = values::boolean(value)?,
        "syncEnabled" => settings.sync_enabled = values::boolean(value)?,
        "quorumListenOnAllIPs" => settings.quorum_listen_on_all_ips = values::boolean(value)?,
        "peerType" => {
            settings.peer_type = Some(Located {
                value: values::peer_role(value)?,
                line,
            })
        }
        "dynamicConfigFile" => {
            return Err(KeyProblem::NotSupported(
                "Zabkeeper reads the ensemble from server.N lines in this file only",
            ))
        }
        _ if key.starts_with("server.") => {
            let server = parse_server_line(&key["server.".len()..], value)?;
            settings.server_lines.push(ServerLine {
                key: key.to_owned(),
                line,
                server,
            });
        }
        // ZooKeeper takes any key that starts so for a hierarchical quorum setting.
        _ if key.starts_with("group") || key.starts_with("weight") => {
            parse_hierarchical_key(key, value)?;
            return Err(KeyProblem::NotSupported(
                "hierarchical quorums (group.N, weight.N); Zabkeeper uses majority quorums",
            ));
        }
        _ => match SECURITY_SWITCHES.iter().find(|(name, _)| *name == key) {
            Some((_, reason)) => {
                if values::boolean(value)? {
                    return Err(KeyProblem::NotSupported(reason));
                }
            }
            None => warnings.push(warn(WarningKind::UnknownKey)),
        },
    }
    Ok(())
}

fn positive(value: &str) -> Result<u32, KeyProblem> {
    values::positive_int(value, Radix::Decimal)
}

/// `-1` is ZooKeeper's spelling of "unset", which the defaults then fill in.
fn session_timeout(value: &str, line: usize) -> Result<Option<Located<u32>>, KeyProblem> {
    if value == "-1" {
        return Ok(None);
    }
    match values::positive_int(value, Radix::Decimal) {
        Ok(timeout_ms) => Ok(Some(Located {
            value: timeout_ms,
            line,
        })),
        Err(KeyProblem::Expected { got, .. }) => Err(KeyProblem::Expected {
            expected: SESSION_TIMEOUT,
            got,
        }),
        Err(other) => Err(other),
    }
}

/// ZooKeeper's correction of a too-small count: the minimum, with a warning.
fn at_least(
    given: i32,
    minimum: u32,
    warnings: &mut Vec<ConfigWarning>,
    warn: impl Fn(WarningKind) -> ConfigWarning,
) -> u32 {
    match u32::try_from(given) {
        Ok(count) if count >= minimum => count,
        _ => {
            warnings.push(warn(WarningKind::RaisedToMinimum {
                given: i64::from(given),
                minimum,
            }));
            minimum
        }
    }
}
