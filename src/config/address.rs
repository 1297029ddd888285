//! Hosts and `host:port` endpoints as zoo.cfg writes them. Names are kept as names: they are
//! resolved when a socket is bound or connected, not while the file is read.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// A host in zoo.cfg: an IP literal (IPv6 with or without brackets) or a DNS name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    Ip(IpAddr),
    Name(String),
}

impl Host {
    /// `0.0.0.0`: where ZooKeeper listens when no address is given. Java binds it on every
    /// interface, IPv6 included, and so must the driver.
    pub const EVERY_INTERFACE: Host = Host::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED));

    /// Parses `127.0.0.1`, `::1`, `[::1]` or `zk1.example.com`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Host> {
        if let Some(inside) = text
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            return inside
                .parse()
                .ok()
                .map(|address| Host::Ip(IpAddr::V6(address)));
        }
        if let Ok(address) = text.parse::<IpAddr>() {
            return Some(Host::Ip(address));
        }
        let is_name_character =
            |character: char| character.is_ascii_alphanumeric() || "-._".contains(character);
        if !text.is_empty() && text.chars().all(is_name_character) {
            return Some(Host::Name(text.to_owned()));
        }
        None
    }

    pub fn is_every_interface(&self) -> bool {
        matches!(self, Host::Ip(address) if address.is_unspecified())
    }

    /// Names compare without case, as DNS does; addresses by value.
    pub(super) fn same_as(&self, other: &Host) -> bool {
        match (self, other) {
            (Host::Ip(left), Host::Ip(right)) => left == right,
            (Host::Name(left), Host::Name(right)) => left.eq_ignore_ascii_case(right),
            _ => false,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(address) => write!(formatter, "{address}"),
            Host::Name(name) => write!(formatter, "{name}"),
        }
    }
}

/// A host and a port: where a server listens, or where a peer is reached.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub host: Host,
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ip(IpAddr::V6(address)) => write!(formatter, "[{address}]:{}", self.port),
            host => write!(formatter, "{host}:{}", self.port),
        }
    }
}

/// Splits `host:port:...` the way ZooKeeper's `ConfigUtils.getHostAndPort` does: a host in
/// brackets may hold colons (IPv6), and must then be followed by `:` and the rest.
pub(super) fn split_host_and_ports(text: &str) -> Option<Vec<&str>> {
    let Some(after_bracket) = text.strip_prefix('[') else {
        return Some(text.split(':').collect());
    };
    let closing = after_bracket.find(']')?;
    let rest = after_bracket[closing + 1..].strip_prefix(':')?;
    let mut parts = vec![&text[..closing + 2]];
    parts.extend(rest.split(':'));
    Some(parts)
}
