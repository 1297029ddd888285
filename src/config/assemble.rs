//! From settings to a [`ServerConfig`]: the checks that span several keys, the defaults that
//! derive from other keys, and, for an ensemble, which server this one is.

use std::path::Path;

use crate::models::ServerId;

use super::address::{Endpoint, Host};
use super::ensemble::{
    at_line, check_server_lines, decide_mode, find_my_line, used_endpoints, Mode, ServerLine,
    UsedEndpoint,
};
use super::error::{ConfigError, ConfigWarning, KeyProblem, Location, WarningKind};
use super::keys::{Located, Settings};
use super::server_config::{defaults, Ensemble, ServerConfig};

pub(super) fn assemble(
    file: &Path,
    settings: Settings,
    read_my_id: impl FnOnce(&Path) -> Result<ServerId, ConfigError>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<ServerConfig, ConfigError> {
    let data_dir = settings
        .data_dir
        .clone()
        .ok_or_else(|| whole_file_error(file, "dataDir", KeyProblem::Missing))?;
    let data_log_dir = settings
        .data_log_dir
        .clone()
        .unwrap_or_else(|| data_dir.clone());
    let tick_time_ms = settings
        .tick_time_ms
        .as_ref()
        .map_or(defaults::TICK_TIME_MS, |tick_time| tick_time.value);
    let static_client_address = static_client_address(file, &settings)?;
    let (session_timeout_ms_min, session_timeout_ms_max) =
        session_timeouts(file, &settings, tick_time_ms)?;
    check_server_lines(file, &settings.server_lines)?;
    let standalone_enabled = settings
        .standalone_enabled
        .as_ref()
        .map(|setting| (setting.value, setting.line));
    let (client_address, ensemble) =
        match decide_mode(file, &settings.server_lines, standalone_enabled, warnings)? {
            Mode::Standalone => {
                let client_address = static_client_address
                    .map(|address| address.value)
                    .ok_or_else(|| whole_file_error(file, "clientPort", KeyProblem::Missing))?;
                (client_address, None)
            }
            Mode::Ensemble => {
                let my_id_file = data_dir.join("myid");
                let (client_address, ensemble) = identify(
                    file,
                    &settings,
                    &my_id_file,
                    static_client_address,
                    read_my_id,
                    warnings,
                )?;
                (client_address, Some(ensemble))
            }
        };
    Ok(ServerConfig {
        tick_time_ms,
        data_dir,
        data_log_dir,
        client_address,
        client_connections_per_host_max: settings.client_connections_per_host_max,
        session_timeout_ms_min,
        session_timeout_ms_max,
        outstanding_requests_max: settings.outstanding_requests_max,
        snapshot_interval_txns: settings.snapshot_interval_txns,
        txn_log_preallocation_bytes: settings.txn_log_preallocation_bytes,
        autopurge_snapshots_retained: settings.autopurge_snapshots_retained,
        autopurge_interval_hours: settings.autopurge_interval_hours,
        four_letter_words: settings.four_letter_words,
        request_bytes_max: settings.request_bytes_max,
        extended_types_enabled: settings.extended_types_enabled,
        container_check_interval_ms: settings.container_check_interval_ms,
        admin_server: settings.admin_server_enabled.then_some(Endpoint {
            host: settings.admin_server_host,
            port: settings.admin_server_port,
        }),
        standalone_enabled: standalone_enabled.is_none_or(|(enabled, _)| enabled),
        reconfig_enabled: settings.reconfig_enabled,
        sync_enabled: settings.sync_enabled,
        quorum_listen_on_all_ips: settings.quorum_listen_on_all_ips,
        ensemble,
    })
}

/// `clientPortAddress:clientPort`, located at the clientPort line.
fn static_client_address(
    file: &Path,
    settings: &Settings,
) -> Result<Option<Located<Endpoint>>, ConfigError> {
    match (&settings.client_port, &settings.client_port_address) {
        (None, None) => Ok(None),
        (None, Some(address)) => Err(ConfigError::key(
            at_line(file, address.line),
            "clientPortAddress",
            KeyProblem::AddressWithoutClientPort,
        )),
        (Some(port), address) => Ok(Some(Located {
            value: Endpoint {
                host: address
                    .as_ref()
                    .map_or(Host::EVERY_INTERFACE, |address| address.value.clone()),
                port: port.value,
            },
            line: port.line,
        })),
    }
}

/// ZooKeeper's defaults (2 and 20 ticks) and its refusal of a minimum above the maximum.
fn session_timeouts(
    file: &Path,
    settings: &Settings,
    tick_time_ms: u32,
) -> Result<(u32, u32), ConfigError> {
    let configured_min = settings.session_timeout_ms_min.as_ref();
    let configured_max = settings.session_timeout_ms_max.as_ref();
    let min = configured_min.map_or(tick_time_ms.saturating_mul(2), |min| min.value);
    let max = configured_max.map_or(tick_time_ms.saturating_mul(20), |max| max.value);
    if min <= max {
        return Ok((min, max));
    }
    let (key, line, problem) = match (configured_min, configured_max) {
        (Some(configured_min), _) => (
            "minSessionTimeout",
            configured_min.line,
            KeyProblem::MinSessionTimeoutAboveMax {
                min,
                max,
                max_is_default: configured_max.is_none(),
            },
        ),
        (None, Some(configured_max)) => (
            "maxSessionTimeout",
            configured_max.line,
            KeyProblem::MaxSessionTimeoutBelowDefaultMin { max, min },
        ),
        (None, None) => unreachable!("2 ticks never exceed 20 ticks, saturated or not"),
    };
    Err(ConfigError::key(at_line(file, line), key, problem))
}

/// For an ensemble: the limits it needs, this server's id from `myid`, and where it serves
/// clients.
fn identify(
    file: &Path,
    settings: &Settings,
    my_id_file: &Path,
    static_client_address: Option<Located<Endpoint>>,
    read_my_id: impl FnOnce(&Path) -> Result<ServerId, ConfigError>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(Endpoint, Ensemble), ConfigError> {
    let init_limit_ticks = settings
        .init_limit_ticks
        .ok_or_else(|| whole_file_error(file, "initLimit", KeyProblem::MissingForEnsemble))?;
    let sync_limit_ticks = settings
        .sync_limit_ticks
        .ok_or_else(|| whole_file_error(file, "syncLimit", KeyProblem::MissingForEnsemble))?;
    let my_id = read_my_id(my_id_file)?;
    let my_line = find_my_line(file, my_id_file, my_id, &settings.server_lines)?;
    if let Some(peer_type) = &settings.peer_type {
        if peer_type.value != my_line.server.role {
            warnings.push(ConfigWarning {
                location: at_line(file, peer_type.line),
                key: "peerType".to_owned(),
                kind: WarningKind::PeerTypeMismatch {
                    configured: peer_type.value,
                    server_key: my_line.key.clone(),
                    from_server_line: my_line.server.role,
                },
            });
        }
    }
    let client_address = my_client_address(file, my_line, static_client_address)?;
    let servers = settings
        .server_lines
        .iter()
        .map(|server_line| (server_line.server.id, server_line.server.clone()))
        .collect();
    let ensemble = Ensemble {
        my_id,
        init_limit_ticks,
        sync_limit_ticks,
        servers,
    };
    Ok((client_address, ensemble))
}

/// ZooKeeper's `setupClientPort`: this server's line wins, and clientPort (with
/// clientPortAddress) must then agree with it.
fn my_client_address(
    file: &Path,
    my_line: &ServerLine,
    static_address: Option<Located<Endpoint>>,
) -> Result<Endpoint, ConfigError> {
    match (static_address, &my_line.server.client_address) {
        (Some(static_address), Some(line_address)) => {
            if !may_be_same_address(&static_address.value, line_address) {
                return Err(ConfigError::key(
                    at_line(file, static_address.line),
                    "clientPort",
                    KeyProblem::ClientAddressMismatch {
                        static_address: static_address.value.to_string(),
                        server_key: my_line.key.clone(),
                        line_address: line_address.to_string(),
                        line: my_line.line,
                    },
                ));
            }
            Ok(line_address.clone())
        }
        (None, Some(line_address)) => Ok(line_address.clone()),
        (Some(static_address), None) => {
            check_static_client_port_is_free(file, my_line, &static_address)?;
            Ok(static_address.value)
        }
        (None, None) => Err(whole_file_error(
            file,
            "clientPort",
            KeyProblem::NoClientAddress {
                server_key: my_line.key.clone(),
            },
        )),
    }
}

/// As ZooKeeper: on every interface only the ports must agree. Names are not resolved here,
/// so a name and anything else may be the same machine.
fn may_be_same_address(static_address: &Endpoint, line_address: &Endpoint) -> bool {
    if static_address.port != line_address.port {
        return false;
    }
    match (&static_address.host, &line_address.host) {
        (static_host, _) if static_host.is_every_interface() => true,
        (Host::Ip(static_ip), Host::Ip(line_ip)) => static_ip == line_ip,
        _ => true,
    }
}

/// The line's own ports were checked with the lines; clientPort was not.
fn check_static_client_port_is_free(
    file: &Path,
    my_line: &ServerLine,
    static_address: &Located<Endpoint>,
) -> Result<(), ConfigError> {
    let host = if static_address.value.host.is_every_interface() {
        &my_line.server.host
    } else {
        &static_address.value.host
    };
    let client = UsedEndpoint {
        host,
        port: static_address.value.port,
        purpose: "client port",
        key: "clientPort",
        line: static_address.line,
    };
    match used_endpoints(my_line)
        .iter()
        .find(|used| client.clashes_with(used))
    {
        Some(used) => Err(ConfigError::key(
            at_line(file, static_address.line),
            "clientPort",
            client.in_use_by(used),
        )),
        None => Ok(()),
    }
}

fn whole_file_error(file: &Path, key: &str, problem: KeyProblem) -> ConfigError {
    ConfigError::key(
        Location {
            file: file.to_owned(),
            line: None,
        },
        key,
        problem,
    )
}
