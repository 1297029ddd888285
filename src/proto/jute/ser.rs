//! The jute encoder: a serde `Serializer` that writes ZooKeeper's `BinaryOutputArchive` format.

use super::error::JuteError;
use super::trailing::TRAILING_TOKEN;
use serde::ser::{self, Serialize};
use std::io::Write;

/// Writes values in jute's binary encoding to `W`.
pub struct Serializer<W> {
    writer: W,
    /// Set between `serialize_some` and the value inside it. Null is written as the length -1,
    /// so only a value that starts with a length (ustring, buffer, vector) may follow; anything
    /// else would decode back as a different value.
    inside_option: bool,
}

impl<W: Write> Serializer<W> {
    pub fn new(writer: W) -> Serializer<W> {
        Serializer {
            writer,
            inside_option: false,
        }
    }

    pub fn into_inner(self) -> W {
        self.writer
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), JuteError> {
        self.writer.write_all(bytes)?;
        Ok(())
    }

    fn write_length(&mut self, length: usize) -> Result<(), JuteError> {
        let length = i32::try_from(length).map_err(|_| JuteError::LengthOverflow(length))?;
        self.write(&length.to_be_bytes())
    }

    /// Called before every value that does not start with a length prefix.
    fn plain_value(&mut self) -> Result<(), JuteError> {
        if self.inside_option {
            return Err(JuteError::UnsupportedShape(
                "Option around a value without a length prefix",
            ));
        }
        Ok(())
    }

    /// Called before every value that starts with a length prefix (which can say null).
    fn length_prefixed_value(&mut self) {
        self.inside_option = false;
    }
}

impl<W: Write> ser::Serializer for &mut Serializer<W> {
    type Ok = ();
    type Error = JuteError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = ser::Impossible<(), JuteError>;
    type SerializeMap = ser::Impossible<(), JuteError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = ser::Impossible<(), JuteError>;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, value: bool) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&[u8::from(value)])
    }

    /// jute `byte`.
    fn serialize_i8(self, value: i8) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&value.to_be_bytes())
    }

    /// jute `byte`, for callers that think of bytes as unsigned.
    fn serialize_u8(self, value: u8) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&[value])
    }

    fn serialize_i16(self, _: i16) -> Result<(), JuteError> {
        Err(JuteError::UnsupportedShape("i16"))
    }

    /// jute `int`.
    fn serialize_i32(self, value: i32) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&value.to_be_bytes())
    }

    /// jute `long`.
    fn serialize_i64(self, value: i64) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&value.to_be_bytes())
    }

    fn serialize_u16(self, _: u16) -> Result<(), JuteError> {
        Err(JuteError::UnsupportedShape("u16"))
    }

    fn serialize_u32(self, _: u32) -> Result<(), JuteError> {
        Err(JuteError::UnsupportedShape("u32"))
    }

    fn serialize_u64(self, _: u64) -> Result<(), JuteError> {
        Err(JuteError::UnsupportedShape("u64"))
    }

    /// jute `float`: the IEEE 754 bits, big-endian, as Java's `DataOutput.writeFloat`.
    fn serialize_f32(self, value: f32) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&value.to_bits().to_be_bytes())
    }

    /// jute `double`.
    fn serialize_f64(self, value: f64) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&value.to_bits().to_be_bytes())
    }

    fn serialize_char(self, _: char) -> Result<(), JuteError> {
        Err(JuteError::UnsupportedShape("char"))
    }

    /// jute `ustring`: int length, then the UTF-8 bytes.
    fn serialize_str(self, value: &str) -> Result<(), JuteError> {
        self.length_prefixed_value();
        self.write_length(value.len())?;
        self.write(value.as_bytes())
    }

    /// jute `buffer`: int length, then the bytes.
    fn serialize_bytes(self, value: &[u8]) -> Result<(), JuteError> {
        self.length_prefixed_value();
        self.write_length(value.len())?;
        self.write(value)
    }

    /// A null ustring, buffer or vector.
    fn serialize_none(self) -> Result<(), JuteError> {
        self.plain_value()?;
        self.write(&(-1_i32).to_be_bytes())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), JuteError> {
        self.plain_value()?;
        self.inside_option = true;
        value.serialize(&mut *self)?;
        if self.inside_option {
            // The value wrote nothing that starts with a length: its null would be ambiguous.
            self.inside_option = false;
            return Err(JuteError::UnsupportedShape(
                "Option around a value without a length prefix",
            ));
        }
        Ok(())
    }

    /// Zero bytes: a record with no fields, or an absent trailing field.
    fn serialize_unit(self) -> Result<(), JuteError> {
        self.plain_value()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), JuteError> {
        self.plain_value()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), JuteError> {
        Err(JuteError::UnsupportedShape("enum"))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), JuteError> {
        if name == TRAILING_TOKEN {
            self.plain_value()?;
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), JuteError> {
        Err(JuteError::UnsupportedShape("enum"))
    }

    /// jute `vector`: int count, then the elements.
    fn serialize_seq(self, length: Option<usize>) -> Result<Self, JuteError> {
        self.length_prefixed_value();
        let length = length.ok_or(JuteError::UnsupportedShape("sequence of unknown length"))?;
        self.write_length(length)?;
        Ok(self)
    }

    /// The fields of a record, concatenated with no count.
    fn serialize_tuple(self, _: usize) -> Result<Self, JuteError> {
        self.plain_value()?;
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, JuteError> {
        self.plain_value()?;
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, JuteError> {
        Err(JuteError::UnsupportedShape("enum"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, JuteError> {
        Err(JuteError::UnsupportedShape("map"))
    }

    /// A record: its fields in declaration order, no tags.
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, JuteError> {
        self.plain_value()?;
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, JuteError> {
        Err(JuteError::UnsupportedShape("enum"))
    }
}

impl<W: Write> ser::SerializeSeq for &mut Serializer<W> {
    type Ok = ();
    type Error = JuteError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JuteError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), JuteError> {
        Ok(())
    }
}

impl<W: Write> ser::SerializeTuple for &mut Serializer<W> {
    type Ok = ();
    type Error = JuteError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JuteError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), JuteError> {
        Ok(())
    }
}

impl<W: Write> ser::SerializeTupleStruct for &mut Serializer<W> {
    type Ok = ();
    type Error = JuteError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JuteError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), JuteError> {
        Ok(())
    }
}

impl<W: Write> ser::SerializeStruct for &mut Serializer<W> {
    type Ok = ();
    type Error = JuteError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), JuteError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), JuteError> {
        Ok(())
    }
}
