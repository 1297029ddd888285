//! Jute, ZooKeeper's record serialization, as a serde data format.
//!
//! The binary encoding (`BinaryOutputArchive` / `BinaryInputArchive`) has no tags and no
//! framing of its own; the Rust type decides what the bytes mean:
//!
//! | jute | Rust | bytes |
//! |---|---|---|
//! | `boolean` | `bool` | one byte, 1 or 0 (any non-zero byte reads as true) |
//! | `byte` | `i8` or `u8` | one byte |
//! | `int` | `i32` | 4, big-endian |
//! | `long` | `i64` | 8, big-endian |
//! | `float`, `double` | `f32`, `f64` | IEEE 754 bits, big-endian |
//! | `ustring` | `String`, `&str` | int length, then UTF-8 |
//! | `buffer` | `Vec<u8>` with `#[serde(with = "serde_bytes")]` | int length, then the bytes |
//! | `vector<T>` | `Vec<T>` | int count, then the elements |
//! | a record | a struct or tuple | its fields in declaration order |
//!
//! A ustring, buffer or vector may be null, written as length -1: model a field whose null
//! matters as an `Option`. A non-`Option` field that meets -1 reads as empty, as ZooKeeper's
//! server treats a null it reads (so such a field re-encodes as empty, not null). An `Option` around anything else (an int, a
//! record) has no encoding and is rejected. A field that some writers omit at the very end of a
//! message uses [`trailing`].
//!
//! Without `serde_bytes`, a `Vec<u8>` would be a vector of jute bytes: the same bytes on the
//! wire, but decoded one element at a time.

mod de;
mod error;
mod ser;
pub mod trailing;

#[cfg(test)]
mod tests;

pub use de::Deserializer;
pub use error::JuteError;
pub use ser::Serializer;

use serde::{Deserialize, Serialize};
use std::io::Write;

/// Encodes `value` into `writer`.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(writer: W, value: &T) -> Result<(), JuteError> {
    value.serialize(&mut Serializer::new(writer))
}

/// Encodes `value` into a new byte vector.
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, JuteError> {
    let mut bytes = Vec::new();
    to_writer(&mut bytes, value)?;
    Ok(bytes)
}

/// Decodes a `T` that spans the whole of `input`; bytes left over are an error.
pub fn from_slice<'de, T: Deserialize<'de>>(input: &'de [u8]) -> Result<T, JuteError> {
    let mut deserializer = Deserializer::new(input);
    let value = deserializer.read()?;
    deserializer.end()?;
    Ok(value)
}

/// Decodes a `T` from the front of `input` and tells how many bytes it took.
pub fn from_slice_prefix<'de, T: Deserialize<'de>>(
    input: &'de [u8],
) -> Result<(T, usize), JuteError> {
    let mut deserializer = Deserializer::new(input);
    let value = deserializer.read()?;
    Ok((value, deserializer.consumed()))
}
