//! The `digest` authentication scheme: `addauth digest user:password` gives the session the id
//! `digest:user:base64(sha1("user:password"))`, as ZooKeeper's DigestAuthenticationProvider
//! computes it. ACL checks against the id are the core's (`request::AccessControl`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};
use zabkeeper_models::tree::Id;

/// The id a `digest` auth packet authenticates, or `None` when the credentials are not of the
/// form `user:password`.
pub fn digest_id(credentials: &[u8]) -> Option<Id> {
    let credentials = std::str::from_utf8(credentials).ok()?;
    let (user, _password) = credentials.split_once(':')?;
    let hash = STANDARD.encode(Sha1::digest(credentials.as_bytes()));
    Some(Id::new("digest", &format!("{user}:{hash}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values printed by Apache ZooKeeper 3.8's `DigestAuthenticationProvider.generateDigest`.
    #[test]
    fn digest_matches_zookeeper() {
        let id = digest_id(b"super:superpw").expect("well formed");
        assert_eq!(id.scheme, "digest");
        assert_eq!(id.id, "super:g9oN2HttPfn8MMWJZ2r45Np/LIA=");
        let id = digest_id(b"user:secret").expect("well formed");
        assert_eq!(id.id, "user:5w9W4eL3797Y4Wq8AcKUPPk8ha4=");
    }

    #[test]
    fn credentials_without_a_colon_are_refused() {
        assert!(digest_id(b"nobody").is_none());
        assert!(digest_id(&[0xff, 0xfe]).is_none());
    }
}
