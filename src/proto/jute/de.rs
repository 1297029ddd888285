//! The jute decoder: a serde `Deserializer` over a byte slice that reads ZooKeeper's
//! `BinaryInputArchive` format and counts what it consumed.
//!
//! Input is untrusted: every length is checked against the bytes that remain before anything
//! is allocated or sliced, so no input makes it panic or allocate more than the input could
//! describe.

use super::error::JuteError;
use super::trailing::TRAILING_TOKEN;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::Deserialize;

/// Reads jute values from the front of a byte slice. Besides being a serde `Deserializer`, it
/// is the reader for composite messages whose layout depends on values read so far (a request
/// body chosen by its header's op code, a txn chosen by its header's type): call [`read`]
/// repeatedly, then [`end`].
///
/// [`read`]: Deserializer::read
/// [`end`]: Deserializer::end
pub struct Deserializer<'de> {
    input: &'de [u8],
    consumed: usize,
    /// Set between `deserialize_option` and the value inside it; see the serializer's twin.
    inside_option: bool,
}

impl<'de> Deserializer<'de> {
    pub fn new(input: &'de [u8]) -> Deserializer<'de> {
        Deserializer {
            input,
            consumed: 0,
            inside_option: false,
        }
    }

    /// Decodes the next value.
    pub fn read<T: Deserialize<'de>>(&mut self) -> Result<T, JuteError> {
        T::deserialize(&mut *self)
    }

    /// How many bytes the values read so far took.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'de [u8] {
        self.input
    }

    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// Checks that the whole input was read.
    pub fn end(&self) -> Result<(), JuteError> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(JuteError::TrailingBytes(self.input.len()))
        }
    }

    fn take(&mut self, count: usize) -> Result<&'de [u8], JuteError> {
        if count > self.input.len() {
            return Err(JuteError::Truncated {
                needed: count,
                remaining: self.input.len(),
            });
        }
        let (taken, rest) = self.input.split_at(count);
        self.input = rest;
        self.consumed += count;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], JuteError> {
        let bytes = self.take(N)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    fn read_i32(&mut self) -> Result<i32, JuteError> {
        Ok(i32::from_be_bytes(self.take_array()?))
    }

    fn peek_i32(&self) -> Result<i32, JuteError> {
        match self.input.first_chunk::<4>() {
            Some(bytes) => Ok(i32::from_be_bytes(*bytes)),
            None => Err(JuteError::Truncated {
                needed: 4,
                remaining: self.input.len(),
            }),
        }
    }

    /// A length or count. -1 is null: an `Option` field consumes it in `deserialize_option`;
    /// anywhere else it reads as empty, as Java's jute reads it as null and ZooKeeper's server
    /// takes a null string, buffer or list as an empty one (clients such as kazoo write an
    /// empty ACL id as null). The result is never more than the remaining bytes: every jute
    /// byte string holds one byte per unit of length, and every vector element takes at least
    /// one byte.
    fn read_length(&mut self) -> Result<usize, JuteError> {
        let length = self.read_i32()?;
        if length == -1 {
            return Ok(0);
        }
        let length = usize::try_from(length).map_err(|_| JuteError::NegativeLength(length))?;
        if length > self.input.len() {
            return Err(JuteError::LengthBeyondInput {
                length,
                remaining: self.input.len(),
            });
        }
        Ok(length)
    }

    fn read_byte_string(&mut self) -> Result<&'de [u8], JuteError> {
        self.inside_option = false;
        let length = self.read_length()?;
        self.take(length)
    }

    fn plain_value(&mut self) -> Result<(), JuteError> {
        if self.inside_option {
            return Err(JuteError::UnsupportedShape(
                "Option around a value without a length prefix",
            ));
        }
        Ok(())
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = JuteError;

    fn is_human_readable(&self) -> bool {
        false
    }

    /// Jute is not self-describing: the type decides what the bytes mean.
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("self-describing value"))
    }

    /// Any non-zero byte is true, as Java's `DataInput.readBoolean` reads it.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        let [byte] = self.take_array()?;
        visitor.visit_bool(byte != 0)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        visitor.visit_i8(i8::from_be_bytes(self.take_array()?))
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        let [byte] = self.take_array()?;
        visitor.visit_u8(byte)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("i16"))
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        visitor.visit_i32(self.read_i32()?)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        visitor.visit_i64(i64::from_be_bytes(self.take_array()?))
    }

    fn deserialize_u16<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("u16"))
    }

    fn deserialize_u32<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("u32"))
    }

    fn deserialize_u64<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("u64"))
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        visitor.visit_f32(f32::from_bits(u32::from_be_bytes(self.take_array()?)))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        visitor.visit_f64(f64::from_bits(u64::from_be_bytes(self.take_array()?)))
    }

    fn deserialize_char<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("char"))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        let bytes = self.read_byte_string()?;
        visitor.visit_borrowed_str(std::str::from_utf8(bytes)?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        visitor.visit_borrowed_bytes(self.read_byte_string()?)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.deserialize_bytes(visitor)
    }

    /// A nullable ustring, buffer or vector: length -1 is `None`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        if self.peek_i32()? == -1 {
            self.take(4)?;
            return visitor.visit_none();
        }
        self.inside_option = true;
        let value = visitor.visit_some(&mut *self)?;
        if self.inside_option {
            self.inside_option = false;
            return Err(JuteError::UnsupportedShape(
                "Option around a value without a length prefix",
            ));
        }
        Ok(value)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, JuteError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, JuteError> {
        if name == TRAILING_TOKEN {
            self.plain_value()?;
            return if self.input.is_empty() {
                visitor.visit_none()
            } else {
                visitor.visit_some(self)
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JuteError> {
        self.inside_option = false;
        let count = self.read_length()?;
        visitor.visit_seq(Elements {
            deserializer: self,
            left: count,
            counted: true,
        })
    }

    /// Fields concatenated with no count. `len` may be `usize::MAX` for a sequence whose
    /// visitor decides from the values where it ends (ZooKeeper's multi encoding).
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, JuteError> {
        self.plain_value()?;
        visitor.visit_seq(Elements {
            deserializer: self,
            left: len,
            counted: false,
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, JuteError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("map"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JuteError> {
        self.deserialize_tuple(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("enum"))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("identifier"))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, JuteError> {
        Err(JuteError::UnsupportedShape("ignored value"))
    }
}

/// The elements of a vector (counted) or the fields of a record (uncounted).
struct Elements<'a, 'de> {
    deserializer: &'a mut Deserializer<'de>,
    left: usize,
    counted: bool,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = JuteError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, JuteError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.deserializer).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        self.counted.then_some(self.left)
    }
}
