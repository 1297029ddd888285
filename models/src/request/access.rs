//! ACL semantics: ZooKeeper's `checkACL` and `fixupACL` with its built-in authentication
//! providers (`world`, `digest`, `ip`, the `super` identity) and optionally more schemes the
//! server authenticates itself (`sasl`, `x509`), matched by equal ids.

use crate::error::ErrorCode;
use crate::tree::{Acl, Id};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
// Address parsing only: `core::net` holds the value types and no sockets.
use core::net::Ipv6Addr;

/// Who may do what. Authentication itself (checking a digest password, a SASL exchange) is the
/// server's job; this sees only the ids a session ended up with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccessControl {
    /// `zookeeper.DigestAuthenticationProvider.superDigest` (`super:base64(sha1(...))`): a
    /// session holding `digest:<this>` passes every ACL check, like one holding `super:`.
    pub super_digest: Option<String>,
    /// Schemes besides `digest` whose ids are authenticated identities (ZooKeeper providers
    /// whose `isAuthenticated` is true, for example `sasl` or `x509`): valid in ACLs with any
    /// id, matched by equality, and what an `auth` ACL expands to.
    pub extra_authenticated_schemes: BTreeSet<String>,
}

impl AccessControl {
    /// Whether the session is the super user, who passes every ACL check.
    pub fn is_super(&self, auth: &[Id]) -> bool {
        auth.iter().any(|id| {
            id.scheme == "super"
                || (id.scheme == "digest" && self.super_digest.as_deref() == Some(id.id.as_str()))
        })
    }

    /// `checkACL`: the session holding `auth` may do `perm` on a node with `acl` when the ACL
    /// is empty, the session is super, or an entry granting any bit of `perm` names `world:
    /// anyone` or an id the session holds. NoAuth otherwise.
    pub fn check(&self, acl: &[Acl], perm: i32, auth: &[Id]) -> Result<(), ErrorCode> {
        assert!(perm != 0, "a permission check asks for some permission");
        if acl.is_empty() || self.is_super(auth) {
            return Ok(());
        }
        for entry in acl.iter().filter(|entry| entry.perms & perm != 0) {
            if entry.id == Id::anyone() {
                return Ok(());
            }
            let held = auth
                .iter()
                .filter(|candidate| candidate.scheme == entry.id.scheme)
                .any(|candidate| self.matches(&entry.id.scheme, &candidate.id, &entry.id.id));
            if held {
                return Ok(());
            }
        }
        Err(ErrorCode::NoAuth)
    }

    fn matches(&self, scheme: &str, held_id: &str, acl_id: &str) -> bool {
        match scheme {
            "ip" => ip_matches(held_id, acl_id),
            "digest" => held_id == acl_id,
            _ if self.extra_authenticated_schemes.contains(scheme) => held_id == acl_id,
            // No provider for the scheme: ZooKeeper never matches it.
            _ => false,
        }
    }

    /// `fixupACL`: drops duplicate entries, refuses an empty ACL, expands each `auth` entry to
    /// the session's authenticated ids (InvalidACL when it has none), and refuses ids no
    /// provider accepts. The result is what the txn stores.
    pub fn fixup(&self, acl: &[Acl], auth: &[Id]) -> Result<Vec<Acl>, ErrorCode> {
        let mut unique: Vec<&Acl> = Vec::with_capacity(acl.len());
        for entry in acl {
            if !unique.contains(&entry) {
                unique.push(entry);
            }
        }
        if unique.is_empty() {
            return Err(ErrorCode::InvalidAcl);
        }
        let mut fixed = Vec::with_capacity(unique.len());
        for entry in unique {
            if entry.id == Id::anyone() {
                fixed.push(entry.clone());
            } else if entry.id.scheme == "auth" {
                let authenticated: Vec<&Id> = auth
                    .iter()
                    .filter(|id| self.is_authenticated_scheme(&id.scheme))
                    .collect();
                if authenticated.is_empty() {
                    return Err(ErrorCode::InvalidAcl);
                }
                for id in authenticated {
                    fixed.push(Acl::new(entry.perms, id.clone()));
                }
            } else if self.is_valid_id(&entry.id) {
                fixed.push(entry.clone());
            } else {
                return Err(ErrorCode::InvalidAcl);
            }
        }
        Ok(fixed)
    }

    /// Whether ids of `scheme` name an authenticated user (`ip` does not: an address is not a
    /// user, so `auth` never expands to it; `super` has no provider).
    fn is_authenticated_scheme(&self, scheme: &str) -> bool {
        scheme == "digest" || self.extra_authenticated_schemes.contains(scheme)
    }

    /// The provider's `isValid` for an id in an ACL (not `world:anyone`, not `auth`).
    fn is_valid_id(&self, id: &Id) -> bool {
        match id.scheme.as_str() {
            "digest" => digest_id_is_valid(&id.id),
            "ip" => ip_acl_is_valid(&id.id),
            scheme => self.extra_authenticated_schemes.contains(scheme),
        }
    }
}

/// `DigestAuthenticationProvider.isValid`: `user:hash`, exactly one colon that Java's
/// `split(":")` sees (it drops trailing empty parts, so `user:` is invalid and `:hash` valid).
fn digest_id_is_valid(id: &str) -> bool {
    let mut parts: Vec<&str> = id.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts.len() == 2
}

/// `IPAuthenticationProvider.isValid`: an address, optionally `/bits` within its length.
fn ip_acl_is_valid(expression: &str) -> bool {
    parse_ip_expression(expression).is_some()
}

/// An ACL expression `address[/bits]` as the address bytes and the prefix length.
fn parse_ip_expression(expression: &str) -> Option<(Vec<u8>, usize)> {
    let (address, bits) = match expression.split_once('/') {
        None => (expression, None),
        Some((address, bits)) => (address, Some(bits)),
    };
    let bytes = ip_address_bytes(address)?;
    let bits = match bits {
        None => bytes.len() * 8,
        Some(bits) => {
            let bits: i32 = bits.parse().ok()?;
            let bits = usize::try_from(bits).ok()?;
            if bits > bytes.len() * 8 {
                return None;
            }
            bits
        }
    };
    Some((bytes, bits))
}

/// `IPAuthenticationProvider.matches`: the client address and the ACL address agree on the
/// ACL's prefix.
fn ip_matches(client_address: &str, expression: &str) -> bool {
    let Some((acl_bytes, bits)) = parse_ip_expression(expression) else {
        return false;
    };
    let Some(client_bytes) = ip_address_bytes(client_address) else {
        return false;
    };
    if client_bytes.len() != acl_bytes.len() {
        return false;
    }
    (0..bits).all(|bit| {
        let mask = 0x80u8 >> (bit % 8);
        client_bytes[bit / 8] & mask == acl_bytes[bit / 8] & mask
    })
}

/// Dotted IPv4 as Java's `Integer.parseInt` reads each part (so `010` and `+1` pass), or an
/// IPv6 address.
fn ip_address_bytes(address: &str) -> Option<Vec<u8>> {
    if address.contains(':') {
        return address
            .parse::<Ipv6Addr>()
            .ok()
            .map(|parsed| parsed.octets().to_vec());
    }
    let parts: Vec<&str> = address.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    parts
        .iter()
        .map(|part| {
            let value: i32 = part.parse().ok()?;
            u8::try_from(value).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_prefixes() {
        assert!(ip_matches("10.1.2.3", "10.1.0.0/16"));
        assert!(!ip_matches("10.2.2.3", "10.1.0.0/16"));
        assert!(ip_matches("10.1.2.3", "10.1.2.3"));
        assert!(ip_matches("10.1.2.3", "0.0.0.0/0"));
        assert!(!ip_matches("10.1.2.3", "10.1.2.3/33"));
        assert!(ip_matches("::1", "::1"));
        assert!(!ip_matches("::1", "127.0.0.1"));
        assert!(ip_acl_is_valid("010.1.2.3/8"));
        assert!(!ip_acl_is_valid("10.1.2"));
        assert!(!ip_acl_is_valid("10.1.2.256"));
        assert!(!ip_acl_is_valid("10.1.2.3/x"));
    }

    #[test]
    fn digest_ids() {
        assert!(digest_id_is_valid("user:hash"));
        assert!(digest_id_is_valid(":hash"));
        assert!(!digest_id_is_valid("user:"));
        assert!(!digest_id_is_valid("user"));
        assert!(!digest_id_is_valid("a:b:c"));
    }
}
