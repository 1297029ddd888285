//! Readers for one value each, accepting what ZooKeeper accepts and answering a [`KeyProblem`]
//! otherwise. Values arrive trimmed.
//!
//! Numbers follow Java: most keys go through `Integer.parseInt` (decimal, optional sign, at
//! most 2147483647); the keys ZooKeeper reads back as system properties through
//! `Integer.getInteger` also take `Integer.decode`'s forms (`0x1F`, `#1F`, octal `017`), which is
//! how `jute.maxbuffer=0x9fffff` is often written.

use std::path::PathBuf;

use crate::models::ServerId;

use super::address::Host;
use super::error::KeyProblem;
use super::server_config::PeerRole;

pub(super) const INTEGER: &str = "an integer";
pub(super) const POSITIVE_INTEGER: &str = "a positive integer";
pub(super) const NON_NEGATIVE_INTEGER: &str = "an integer of 0 or more";
pub(super) const PORT: &str = "a port between 1 and 65535";
pub(super) const BOOLEAN: &str = "true or false";
pub(super) const PATH: &str = "a path";
pub(super) const HOST: &str = "a host name or IP address";
pub(super) const SERVER_ID: &str = "a server id between 0 and 255";
pub(super) const PEER_ROLE: &str = "participant or observer";

/// Java's `Integer.MAX_VALUE`: ZooKeeper keeps these settings in `int`s.
const JAVA_INT_MAX: i128 = i32::MAX as i128;
const JAVA_INT_MIN: i128 = i32::MIN as i128;

/// How a key's number is spelled: see the module documentation.
#[derive(Clone, Copy)]
pub(super) enum Radix {
    Decimal,
    Decoded,
}

/// Any Java `int`, for the keys where ZooKeeper itself corrects out-of-range values.
pub(super) fn java_int(text: &str, radix: Radix) -> Result<i32, KeyProblem> {
    let value = ranged(text, radix, JAVA_INT_MIN, JAVA_INT_MAX, INTEGER)?;
    Ok(i32::try_from(value).expect("ranged() bounds the value to an i32"))
}

pub(super) fn positive_int(text: &str, radix: Radix) -> Result<u32, KeyProblem> {
    let value = ranged(text, radix, 1, JAVA_INT_MAX, POSITIVE_INTEGER)?;
    Ok(u32::try_from(value).expect("ranged() bounds the value to a positive i32"))
}

pub(super) fn non_negative_int(text: &str) -> Result<u32, KeyProblem> {
    let value = ranged(text, Radix::Decimal, 0, JAVA_INT_MAX, NON_NEGATIVE_INTEGER)?;
    Ok(u32::try_from(value).expect("ranged() bounds the value to a non-negative i32"))
}

/// `preAllocSize`: a `long` of KiB (`Long.parseLong`), returned in bytes.
pub(super) fn kibibytes_as_bytes(text: &str) -> Result<u64, KeyProblem> {
    let maximum = i128::from(u64::MAX / 1024);
    let kibibytes = ranged(text, Radix::Decimal, 0, maximum, NON_NEGATIVE_INTEGER)?;
    Ok(u64::try_from(kibibytes * 1024).expect("ranged() bounds the product to a u64"))
}

pub(super) fn port(text: &str, radix: Radix) -> Result<u16, KeyProblem> {
    // Java's InetSocketAddress takes 0 to mean "any free port", which no peer could find.
    let value = ranged(text, radix, 1, i128::from(u16::MAX), PORT)?;
    Ok(u16::try_from(value).expect("ranged() bounds the value to a port"))
}

/// `Long.parseLong` as in `server.N` and `myid`; 255 at most since a session id carries the
/// server id in its top byte.
pub(super) fn server_id(text: &str) -> Result<ServerId, KeyProblem> {
    let value = ranged(text, Radix::Decimal, 0, 255, SERVER_ID)?;
    Ok(ServerId(
        u64::try_from(value).expect("ranged() bounds the id"),
    ))
}

/// ZooKeeper's `parseBoolean`: `true` or `false` in any case, nothing else.
pub(super) fn boolean(text: &str) -> Result<bool, KeyProblem> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(expected(BOOLEAN, text))
    }
}

/// `peerType` and a server line's role, in any case.
pub(super) fn peer_role(text: &str) -> Result<PeerRole, KeyProblem> {
    match text.to_ascii_lowercase().as_str() {
        "participant" => Ok(PeerRole::Participant),
        "observer" => Ok(PeerRole::Observer),
        _ => Err(expected(PEER_ROLE, text)),
    }
}

pub(super) fn path(text: &str) -> Result<PathBuf, KeyProblem> {
    if text.is_empty() {
        return Err(expected(PATH, text));
    }
    Ok(PathBuf::from(text))
}

pub(super) fn host(text: &str) -> Result<Host, KeyProblem> {
    Host::parse(text).ok_or_else(|| expected(HOST, text))
}

pub(super) fn expected(what: &'static str, got: &str) -> KeyProblem {
    KeyProblem::Expected {
        expected: what,
        got: got.to_owned(),
    }
}

/// Reads an integer and checks `minimum..=maximum`: a value above the range says so with
/// its bound, anything else (not a number, too small) says what was expected.
fn ranged(
    text: &str,
    radix: Radix,
    minimum: i128,
    maximum: i128,
    what: &'static str,
) -> Result<i128, KeyProblem> {
    let value = match radix {
        Radix::Decimal => parse_signed(text, 10),
        Radix::Decoded => parse_decoded(text),
    }
    .ok_or_else(|| expected(what, text))?;
    if value > maximum {
        return Err(KeyProblem::TooLarge {
            maximum: u64::try_from(maximum).expect("every maximum here is positive"),
            got: text.to_owned(),
        });
    }
    if value < minimum {
        return Err(expected(what, text));
    }
    Ok(value)
}

/// `Integer.decode`: a sign, then `0x`/`0X`/`#` for hex, a leading `0` for octal.
fn parse_decoded(text: &str) -> Option<i128> {
    let (negative, unsigned) = split_sign(text);
    let (radix, digits) = if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
        .or_else(|| unsigned.strip_prefix('#'))
    {
        (16, hex)
    } else if unsigned.len() > 1 && unsigned.starts_with('0') {
        (8, &unsigned[1..])
    } else {
        (10, unsigned)
    };
    let magnitude = parse_magnitude(digits, radix)?;
    Some(if negative { -magnitude } else { magnitude })
}

fn parse_signed(text: &str, radix: u32) -> Option<i128> {
    let (negative, digits) = split_sign(text);
    let magnitude = parse_magnitude(digits, radix)?;
    Some(if negative { -magnitude } else { magnitude })
}

fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    }
}

/// Digits only, at least one. Saturates: only the comparison with a bound matters past i64.
fn parse_magnitude(digits: &str, radix: u32) -> Option<i128> {
    if digits.is_empty() {
        return None;
    }
    let mut magnitude: i128 = 0;
    for character in digits.chars() {
        let digit = character.to_digit(radix)?;
        magnitude = magnitude
            .saturating_mul(i128::from(radix))
            .saturating_add(i128::from(digit));
    }
    Some(magnitude)
}
