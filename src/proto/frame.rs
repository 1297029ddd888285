//! Framing of the client protocol: every message is a 4-byte big-endian length, then that many
//! bytes of jute. Sans-IO: the decoder looks at whatever bytes a connection has buffered (a
//! `Vec<u8>`, tokio's `BytesMut`, any `&[u8]`) and says whether a whole frame is there.
//!
//! A length below zero or above `jute.maxbuffer` closes the connection in ZooKeeper; here it is
//! a [`FrameError`] as soon as the four length bytes have arrived, before any payload is
//! buffered, so a hostile length cannot make the server hold a large buffer.

use super::jute::{self, JuteError};
use serde::Serialize;
use thiserror::Error;

/// ZooKeeper's default `jute.maxbuffer`: 0xfffff bytes, the largest payload accepted.
pub const FRAME_BYTES_MAX_DEFAULT: usize = 0xf_ffff;

/// Size of the length that precedes every frame.
pub const LENGTH_PREFIX_BYTES: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("negative frame length {0}")]
    NegativeLength(i32),
    #[error("frame length {length} exceeds jute.maxbuffer ({frame_bytes_max} bytes)")]
    TooLarge {
        length: usize,
        frame_bytes_max: usize,
    },
}

/// One complete frame found at the front of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The jute bytes, without the length prefix.
    pub payload: &'a [u8],
    /// How many bytes of the buffer the frame took, prefix included: drop that many from the
    /// buffer before looking for the next frame.
    pub consumed: usize,
}

/// Splits a byte stream into frames, refusing lengths outside `0..=frame_bytes_max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameDecoder {
    frame_bytes_max: usize,
}

impl Default for FrameDecoder {
    fn default() -> FrameDecoder {
        FrameDecoder::new(FRAME_BYTES_MAX_DEFAULT)
    }
}

impl FrameDecoder {
    /// A decoder for payloads of at most `frame_bytes_max` bytes (`jute.maxbuffer`).
    pub fn new(frame_bytes_max: usize) -> FrameDecoder {
        FrameDecoder { frame_bytes_max }
    }

    pub fn frame_bytes_max(&self) -> usize {
        self.frame_bytes_max
    }

    /// The first frame of `buffer`, or `None` while more bytes are needed.
    pub fn decode<'a>(&self, buffer: &'a [u8]) -> Result<Option<Frame<'a>>, FrameError> {
        let Some(prefix) = buffer.first_chunk::<LENGTH_PREFIX_BYTES>() else {
            return Ok(None);
        };
        let length = i32::from_be_bytes(*prefix);
        let length = usize::try_from(length).map_err(|_| FrameError::NegativeLength(length))?;
        if length > self.frame_bytes_max {
            return Err(FrameError::TooLarge {
                length,
                frame_bytes_max: self.frame_bytes_max,
            });
        }
        let consumed = LENGTH_PREFIX_BYTES + length;
        Ok(buffer
            .get(LENGTH_PREFIX_BYTES..consumed)
            .map(|payload| Frame { payload, consumed }))
    }

    /// Removes the first frame from `buffer` and returns its payload, or `None` (leaving the
    /// buffer as it was) while more bytes are needed.
    pub fn take_frame(&self, buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>, FrameError> {
        let Some(frame) = self.decode(buffer)? else {
            return Ok(None);
        };
        let payload = frame.payload.to_vec();
        let consumed = frame.consumed;
        buffer.drain(..consumed);
        Ok(Some(payload))
    }
}

/// Appends `payload` to `out` as one frame.
pub fn write_frame(out: &mut Vec<u8>, payload: &[u8]) -> Result<(), JuteError> {
    let length =
        i32::try_from(payload.len()).map_err(|_| JuteError::LengthOverflow(payload.len()))?;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Encodes `message` (for example a `(ReplyHeader, GetDataResponse)` pair) as one frame.
pub fn encode_frame<T: ?Sized + Serialize>(message: &T) -> Result<Vec<u8>, JuteError> {
    let mut out = vec![0; LENGTH_PREFIX_BYTES];
    jute::to_writer(&mut out, message)?;
    let payload_length = out.len() - LENGTH_PREFIX_BYTES;
    let length =
        i32::try_from(payload_length).map_err(|_| JuteError::LengthOverflow(payload_length))?;
    out[..LENGTH_PREFIX_BYTES].copy_from_slice(&length.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn waits_for_the_length_and_then_for_the_payload() {
        let decoder = FrameDecoder::default();
        assert_eq!(decoder.decode(&[]), Ok(None));
        assert_eq!(decoder.decode(&[0, 0, 0]), Ok(None));
        assert_eq!(decoder.decode(&[0, 0, 0, 3, 7, 8]), Ok(None));
        assert_eq!(
            decoder.decode(&[0, 0, 0, 3, 7, 8, 9, 1]),
            Ok(Some(Frame {
                payload: &[7, 8, 9],
                consumed: 7
            }))
        );
        assert_eq!(
            decoder.decode(&[0, 0, 0, 0]),
            Ok(Some(Frame {
                payload: &[],
                consumed: 4
            }))
        );
    }

    #[test]
    fn rejects_negative_lengths() {
        let decoder = FrameDecoder::default();
        assert_eq!(
            decoder.decode(&(-1_i32).to_be_bytes()),
            Err(FrameError::NegativeLength(-1))
        );
        assert_eq!(
            decoder.decode(&i32::MIN.to_be_bytes()),
            Err(FrameError::NegativeLength(i32::MIN))
        );
    }

    #[test]
    fn rejects_lengths_above_max_buffer_before_the_payload_arrives() {
        let decoder = FrameDecoder::default();
        let at_limit = 0xf_ffff_i32.to_be_bytes();
        assert_eq!(decoder.decode(&at_limit), Ok(None));
        assert_eq!(
            decoder.decode(&0x10_0000_i32.to_be_bytes()),
            Err(FrameError::TooLarge {
                length: 0x10_0000,
                frame_bytes_max: FRAME_BYTES_MAX_DEFAULT
            })
        );
        // A four-letter word read as a length is far beyond the limit.
        assert!(matches!(
            decoder.decode(b"ruok"),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn the_limit_is_configurable() {
        let decoder = FrameDecoder::new(2);
        assert!(decoder.decode(&[0, 0, 0, 2, 1, 2]).unwrap().is_some());
        assert_eq!(
            decoder.decode(&[0, 0, 0, 3]),
            Err(FrameError::TooLarge {
                length: 3,
                frame_bytes_max: 2
            })
        );
    }

    #[test]
    fn take_frame_drains_one_frame_at_a_time() {
        let decoder = FrameDecoder::default();
        let mut buffer = Vec::new();
        write_frame(&mut buffer, b"one").unwrap();
        write_frame(&mut buffer, b"two").unwrap();
        buffer.extend_from_slice(&[0, 0]);
        assert_eq!(decoder.take_frame(&mut buffer), Ok(Some(b"one".to_vec())));
        assert_eq!(decoder.take_frame(&mut buffer), Ok(Some(b"two".to_vec())));
        assert_eq!(decoder.take_frame(&mut buffer), Ok(None));
        assert_eq!(buffer, [0, 0]);
    }

    #[test]
    fn encode_frame_prefixes_the_jute_bytes() {
        assert_eq!(
            encode_frame(&(7_i32, true)).unwrap(),
            [0, 0, 0, 5, 0, 0, 0, 7, 1]
        );
    }

    proptest! {
        #[test]
        fn any_chunking_of_a_stream_yields_the_same_frames(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
            chunk_bytes in 1_usize..17,
        ) {
            let mut stream = Vec::new();
            for payload in &payloads {
                write_frame(&mut stream, payload).unwrap();
            }
            let decoder = FrameDecoder::default();
            let mut buffer = Vec::new();
            let mut frames = Vec::new();
            for chunk in stream.chunks(chunk_bytes) {
                buffer.extend_from_slice(chunk);
                while let Some(frame) = decoder.take_frame(&mut buffer).unwrap() {
                    frames.push(frame);
                }
            }
            prop_assert_eq!(frames, payloads);
            prop_assert!(buffer.is_empty());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(Some(frame)) = FrameDecoder::new(32).decode(&bytes) {
                prop_assert!(frame.payload.len() <= 32);
                prop_assert_eq!(frame.consumed, frame.payload.len() + LENGTH_PREFIX_BYTES);
            }
        }
    }
}
