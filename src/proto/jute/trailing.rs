//! Optional trailing fields: a field that some writers append and others omit, recognised by
//! whether any input is left. ZooKeeper has a few: the `readOnly` byte after a ConnectRequest
//! or ConnectResponse (absent for 3.4-era clients), and the TxnDigest after a txn (absent in
//! old logs and for error txns).
//!
//! Use on an `Option<T>` field that is the last field of the outermost record being decoded:
//!
//! ```
//! # use serde::{Deserialize, Serialize};
//! #[derive(Serialize, Deserialize)]
//! struct Greeting {
//!     version: i32,
//!     #[serde(with = "zabkeeper::proto::jute::trailing")]
//!     read_only: Option<bool>,
//! }
//! ```
//!
//! `None` encodes as nothing at all; decoding gives `None` exactly when the input is exhausted.
//! Other serde formats see a plain `Option`.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// The newtype-struct name by which the jute codec recognises a trailing field. Other formats
/// treat it as an ordinary newtype.
pub(crate) const TRAILING_TOKEN: &str = "$zabkeeper::jute::Trailing";

pub fn serialize<T: Serialize, S: Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(TRAILING_TOKEN, &Present(value))
}

pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    deserializer.deserialize_newtype_struct(TRAILING_TOKEN, TrailingVisitor(PhantomData))
}

/// The value if there is one, otherwise nothing (a unit, which jute writes as zero bytes).
struct Present<'a, T>(&'a Option<T>);

impl<T: Serialize> Serialize for Present<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(value) => value.serialize(serializer),
            None => serializer.serialize_unit(),
        }
    }
}

struct TrailingVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for TrailingVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an optional trailing field")
    }

    /// The jute decoder found the input exhausted.
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    /// The jute decoder found input left: the field is there.
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        T::deserialize(deserializer).map(Some)
    }

    /// Any other format: an ordinary optional value inside the newtype.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<T>::deserialize(deserializer)
    }
}
