//! What can go wrong turning bytes into records and records into bytes. Every decoding failure
//! is one of these values: the codec never panics on input, whatever the bytes.

use crate::proto::opcode::{OpCode, UnknownOpCode};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum JuteError {
    /// The input ended inside a value.
    #[error("input truncated: {needed} more bytes needed, {remaining} left")]
    Truncated { needed: usize, remaining: usize },

    /// A length or count below -1 (-1 itself means null).
    #[error("negative length {0}")]
    NegativeLength(i32),

    /// A ustring or buffer claims more bytes than the input holds, or a vector more elements
    /// than bytes (every jute element takes at least one byte).
    #[error("length {length} exceeds the {remaining} remaining bytes")]
    LengthBeyondInput { length: usize, remaining: usize },

    #[error("invalid UTF-8 in a ustring: {0}")]
    InvalidUtf8(#[from] std::str::Utf8Error),

    /// A whole-input decode finished with bytes left over.
    #[error("{0} trailing bytes after the record")]
    TrailingBytes(usize),

    /// A ustring, buffer or vector too long for jute's int length.
    #[error("length {0} does not fit in a jute int")]
    LengthOverflow(usize),

    /// A Rust shape that has no jute encoding (maps, enums, u64, char, an `Option` around a
    /// value without a length prefix, a sequence of unknown length).
    #[error("unsupported shape for jute: {0}")]
    UnsupportedShape(&'static str),

    #[error(transparent)]
    UnknownOpCode(#[from] UnknownOpCode),

    /// A known op code where it makes no sense, for example a read inside a txn.
    #[error("op code {op_code:?} is not valid in {context}")]
    UnexpectedOpCode {
        op_code: OpCode,
        context: &'static str,
    },

    /// A txn header whose type does not match the txn body it is paired with.
    #[error("txn header type {header_type} does not match a {body:?} body")]
    TxnTypeMismatch { header_type: i32, body: OpCode },

    /// A message from a `Serialize` or `Deserialize` implementation.
    #[error("{0}")]
    Message(String),

    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
}

impl serde::ser::Error for JuteError {
    fn custom<T: fmt::Display>(message: T) -> JuteError {
        JuteError::Message(message.to_string())
    }
}

impl serde::de::Error for JuteError {
    fn custom<T: fmt::Display>(message: T) -> JuteError {
        JuteError::Message(message.to_string())
    }
}
