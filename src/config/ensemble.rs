//! The ensemble: `server.N` lines, ZooKeeper's rules for when they make an ensemble at all,
//! and the checks that keep two servers from claiming one id or one address.

use std::path::Path;

use crate::models::ServerId;

use super::address::{split_host_and_ports, Endpoint, Host};
use super::error::{ConfigError, ConfigWarning, KeyProblem, Location, MyIdProblem, WarningKind};
use super::server_config::{PeerRole, QuorumServer};
use super::values::{self, Radix};

pub(super) const SERVER_LINE: &str =
    "host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]";
const HIERARCHICAL_KEY: &str = "group.N or weight.N";
const GROUP_MEMBERS: &str = "server ids separated by colons";

/// A parsed `server.N` line and where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ServerLine {
    pub key: String,
    pub line: usize,
    pub server: QuorumServer,
}

/// Parses the `N` of `server.N` and its value, as ZooKeeper's `QuorumServer` does. Several
/// addresses per server (`a:1:2|b:1:2`, behind `multiAddress.enabled`) are not supported.
pub(super) fn parse_server_line(id_text: &str, value: &str) -> Result<QuorumServer, KeyProblem> {
    let id = values::server_id(id_text)?;
    let shape_error = || values::expected(SERVER_LINE, value);
    let (server_part, client_part) = match value.split_once(';') {
        Some((server_part, client_part)) => (server_part, Some(client_part)),
        None => (value, None),
    };
    if server_part.contains('|') {
        return Err(KeyProblem::NotSupported(
            "several addresses for one server (multiAddress)",
        ));
    }
    let parts = split_host_and_ports(server_part.trim()).ok_or_else(shape_error)?;
    if !(3..=4).contains(&parts.len()) {
        return Err(shape_error());
    }
    let host = values::host(parts[0].trim())?;
    let quorum_port = values::port(parts[1].trim(), Radix::Decimal)?;
    let election_port = values::port(parts[2].trim(), Radix::Decimal)?;
    if quorum_port == election_port {
        return Err(KeyProblem::QuorumPortIsElectionPort { port: quorum_port });
    }
    let role = match parts.get(3) {
        Some(role) => values::peer_role(role.trim())?,
        None => PeerRole::Participant,
    };
    let client_address = match client_part {
        Some(client_part) => Some(parse_client_part(client_part.trim(), value)?),
        None => None,
    };
    Ok(QuorumServer {
        id,
        host,
        quorum_port,
        election_port,
        role,
        client_address,
    })
}

/// `port` (every interface) or `host:port`, the part after `;` of `whole_line`.
fn parse_client_part(text: &str, whole_line: &str) -> Result<Endpoint, KeyProblem> {
    let shape_error = || values::expected(SERVER_LINE, whole_line);
    let parts = split_host_and_ports(text).ok_or_else(shape_error)?;
    match parts.as_slice() {
        [port] => Ok(Endpoint {
            host: Host::EVERY_INTERFACE,
            port: values::port(port.trim(), Radix::Decimal)?,
        }),
        [host, port] => Ok(Endpoint {
            host: values::host(host.trim())?,
            port: values::port(port.trim(), Radix::Decimal)?,
        }),
        _ => Err(shape_error()),
    }
}

/// Checks the syntax of `group.N=1:2:3` and `weight.N=w`, so that a typo is reported as
/// such before the feature itself is refused.
pub(super) fn parse_hierarchical_key(key: &str, value: &str) -> Result<(), KeyProblem> {
    if let Some(group_id) = key.strip_prefix("group.") {
        values::non_negative_int(group_id)?;
        for member in value.split(':') {
            values::server_id(member.trim()).map_err(|_| values::expected(GROUP_MEMBERS, value))?;
        }
        return Ok(());
    }
    if let Some(server_id) = key.strip_prefix("weight.") {
        values::server_id(server_id)?;
        values::non_negative_int(value)?;
        return Ok(());
    }
    Err(values::expected(HIERARCHICAL_KEY, key))
}

/// Refuses two lines for one server id, and two listeners on one host and port.
pub(super) fn check_server_lines(file: &Path, lines: &[ServerLine]) -> Result<(), ConfigError> {
    for (index, later) in lines.iter().enumerate() {
        if let Some(earlier) = lines[..index]
            .iter()
            .find(|earlier| earlier.server.id == later.server.id)
        {
            return Err(key_error(
                file,
                later,
                KeyProblem::DuplicateServerId {
                    id: later.server.id,
                    earlier_line: earlier.line,
                },
            ));
        }
    }
    let mut used: Vec<UsedEndpoint<'_>> = Vec::new();
    for server_line in lines {
        for endpoint in used_endpoints(server_line) {
            if let Some(other) = used.iter().find(|other| other.clashes_with(&endpoint)) {
                return Err(key_error(file, server_line, endpoint.in_use_by(other)));
            }
            used.push(endpoint);
        }
    }
    Ok(())
}

/// An address some server listens on, for the clash check.
pub(super) struct UsedEndpoint<'line> {
    pub host: &'line Host,
    pub port: u16,
    pub purpose: &'static str,
    pub key: &'line str,
    pub line: usize,
}

impl UsedEndpoint<'_> {
    /// Without DNS, distinct names may still be one machine: only certain clashes count.
    pub fn clashes_with(&self, other: &UsedEndpoint<'_>) -> bool {
        self.port == other.port && self.host.same_as(other.host)
    }

    pub fn in_use_by(&self, other: &UsedEndpoint<'_>) -> KeyProblem {
        KeyProblem::EndpointInUse {
            endpoint: Endpoint {
                host: self.host.clone(),
                port: self.port,
            }
            .to_string(),
            use_here: self.purpose,
            use_there: other.purpose,
            other_key: other.key.to_owned(),
            other_line: other.line,
        }
    }
}

/// The quorum, election and client listeners of one line. A client port on every interface
/// takes that port on the server's own host.
pub(super) fn used_endpoints(server_line: &ServerLine) -> Vec<UsedEndpoint<'_>> {
    let server = &server_line.server;
    let at = |host, port, purpose| UsedEndpoint {
        host,
        port,
        purpose,
        key: &server_line.key,
        line: server_line.line,
    };
    let mut used = vec![
        at(&server.host, server.quorum_port, "quorum port"),
        at(&server.host, server.election_port, "election port"),
    ];
    if let Some(client) = &server.client_address {
        let host = if client.host.is_every_interface() {
            &server.host
        } else {
            &client.host
        };
        used.push(at(host, client.port, "client port"));
    }
    used
}

/// How the server lines make the server run, by ZooKeeper's `parseDynamicConfig` and
/// `isDistributed`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Mode {
    Standalone,
    Ensemble,
}

pub(super) fn decide_mode(
    file: &Path,
    lines: &[ServerLine],
    standalone_enabled: Option<(bool, usize)>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Mode, ConfigError> {
    let is_participant = |line: &&ServerLine| line.server.role == PeerRole::Participant;
    let participants = lines.iter().filter(is_participant).count();
    let first_observer = lines.iter().find(|line| !is_participant(line));
    let standalone_allowed = standalone_enabled.is_none_or(|(enabled, _)| enabled);
    match (participants, first_observer) {
        (0, _) if !standalone_allowed => {
            let (_, line) = standalone_enabled.expect("disabled only by a line of the file");
            Err(ConfigError::key(
                at_line(file, line),
                "standaloneEnabled",
                KeyProblem::NoParticipants,
            ))
        }
        (0, Some(observer)) => Err(key_error(
            file,
            observer,
            KeyProblem::ObserversWithoutParticipants,
        )),
        (0, None) => Ok(Mode::Standalone),
        (1, Some(observer)) if standalone_allowed => Err(key_error(
            file,
            observer,
            KeyProblem::ObserversWithoutEnsemble,
        )),
        (1, None) if standalone_allowed => {
            let only = lines.iter().find(is_participant).expect("one participant");
            warnings.push(warning(
                file,
                only,
                WarningKind::OneParticipantRunsStandalone,
            ));
            Ok(Mode::Standalone)
        }
        _ => {
            let kind = if participants <= 2 {
                Some(WarningKind::NoFailureTolerated { participants })
            } else if participants % 2 == 0 {
                Some(WarningKind::EvenParticipants { participants })
            } else {
                None
            };
            warnings.extend(kind.map(|kind| ConfigWarning {
                location: Location {
                    file: file.to_owned(),
                    line: None,
                },
                key: "server.N".to_owned(),
                kind,
            }));
            Ok(Mode::Ensemble)
        }
    }
}

/// This server's line, named by `myid`.
pub(super) fn find_my_line<'lines>(
    config_file: &Path,
    my_id_file: &Path,
    my_id: ServerId,
    lines: &'lines [ServerLine],
) -> Result<&'lines ServerLine, ConfigError> {
    lines
        .iter()
        .find(|line| line.server.id == my_id)
        .ok_or_else(|| ConfigError::MyId {
            file: my_id_file.to_owned(),
            problem: MyIdProblem::NotInEnsemble {
                id: my_id,
                config_file: config_file.to_owned(),
            },
        })
}

pub(super) fn at_line(file: &Path, line: usize) -> Location {
    Location {
        file: file.to_owned(),
        line: Some(line),
    }
}

fn key_error(file: &Path, server_line: &ServerLine, problem: KeyProblem) -> ConfigError {
    ConfigError::key(at_line(file, server_line.line), &server_line.key, problem)
}

fn warning(file: &Path, server_line: &ServerLine, kind: WarningKind) -> ConfigWarning {
    ConfigWarning {
        location: at_line(file, server_line.line),
        key: server_line.key.clone(),
        kind,
    }
}
