//! A quorum frame: a 4-byte big-endian length, then the postcard encoding of a [`PeerFrame`].
//! Lengths past the limit are refused before anything is read or allocated. A synchronisation,
//! which can be as large as the database, never goes as one frame: it is a stream of chunk
//! frames (see [`super::sync_stream`]).

use serde::{Deserialize, Serialize};
use zabkeeper_models::replica::Replica;
use zabkeeper_models::zab::Message;
use zabkeeper_models::ServerId;

/// The largest frame by default, as ZooKeeper's `jute.maxbuffer` bounds its quorum packets: far
/// above any one txn, while a SNAP of any size goes in chunks below it.
pub const QUORUM_FRAME_BYTES_MAX_DEFAULT: usize = 64 * 1024 * 1024;

/// One message between peers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerFrame {
    pub from: ServerId,
    /// Bumped at every start of the sender (it is kept with its durable state).
    pub incarnation: u64,
    pub body: FrameBody,
}

/// What a frame carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameBody {
    /// A whole message: any but a synchronisation (`NewLeader`).
    Message(Message<Replica>),
    /// The next piece of a synchronisation stream; the stream's last record ends it, and no
    /// other frame comes between its chunks.
    SyncChunk(serde_bytes::ByteBuf),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("a quorum frame of {length} bytes is longer than the limit of {limit}")]
    TooLong { length: usize, limit: usize },
    #[error("a quorum frame does not decode: {reason}")]
    Undecodable { reason: String },
    #[error("a quorum message does not encode: {reason}")]
    Unencodable { reason: String },
}

/// The frame's bytes, length prefix included.
pub fn encode(frame: &PeerFrame, limit: usize) -> Result<Vec<u8>, FrameError> {
    let mut bytes = vec![0; 4];
    let body = postcard::to_stdvec(frame).map_err(|error| FrameError::Unencodable {
        reason: error.to_string(),
    })?;
    if body.len() > limit {
        return Err(FrameError::TooLong {
            length: body.len(),
            limit,
        });
    }
    let length = u32::try_from(body.len()).expect("the limit keeps lengths in 32 bits");
    bytes[..4].copy_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// Takes one whole frame off the front of `buffer`: `Ok(None)` while it is incomplete.
pub fn take_frame(buffer: &mut Vec<u8>, limit: usize) -> Result<Option<PeerFrame>, FrameError> {
    let Some(prefix) = buffer.first_chunk::<4>() else {
        return Ok(None);
    };
    let length = u32::from_be_bytes(*prefix) as usize;
    if length > limit {
        return Err(FrameError::TooLong { length, limit });
    }
    if buffer.len() < 4 + length {
        return Ok(None);
    }
    let frame =
        postcard::from_bytes(&buffer[4..4 + length]).map_err(|error| FrameError::Undecodable {
            reason: error.to_string(),
        })?;
    buffer.drain(..4 + length);
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zabkeeper_models::zab::PeerMessage;
    use zabkeeper_models::{Epoch, Zxid};

    fn frame(message: Message<Replica>) -> PeerFrame {
        PeerFrame {
            from: ServerId(2),
            incarnation: 7,
            body: FrameBody::Message(message),
        }
    }

    #[test]
    fn an_oversize_length_is_refused_before_its_bytes_arrive() {
        let mut buffer = (1_000_u32).to_be_bytes().to_vec();
        assert_eq!(
            take_frame(&mut buffer, 999),
            Err(FrameError::TooLong {
                length: 1000,
                limit: 999
            })
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut buffer = vec![0, 0, 0, 3, 0xff, 0xff, 0xff];
        assert!(matches!(
            take_frame(&mut buffer, 100),
            Err(FrameError::Undecodable { .. })
        ));
    }

    proptest! {
        /// Frames split anywhere come back whole, in order, and nothing is left over.
        #[test]
        fn frames_survive_any_split(
            epochs in prop::collection::vec((1u32..5, 0u32..100), 1..6),
            split in 0usize..200,
        ) {
            let frames: Vec<PeerFrame> = epochs
                .iter()
                .map(|&(epoch, counter)| match counter % 3 {
                    0 => frame(PeerMessage::Ack { zxid: Zxid::new(Epoch(epoch), counter) }),
                    1 => frame(PeerMessage::LeaderInfo { new_epoch: Epoch(epoch) }),
                    _ => frame(PeerMessage::Commit { zxid: Zxid::new(Epoch(epoch), counter) }),
                })
                .collect();
            let mut bytes = Vec::new();
            for frame in &frames {
                bytes.extend(encode(frame, QUORUM_FRAME_BYTES_MAX_DEFAULT).unwrap());
            }
            let split = split.min(bytes.len());
            let mut buffer = bytes[..split].to_vec();
            let mut received = Vec::new();
            while let Some(frame) = take_frame(&mut buffer, QUORUM_FRAME_BYTES_MAX_DEFAULT).unwrap() {
                received.push(frame);
            }
            buffer.extend_from_slice(&bytes[split..]);
            while let Some(frame) = take_frame(&mut buffer, QUORUM_FRAME_BYTES_MAX_DEFAULT).unwrap() {
                received.push(frame);
            }
            prop_assert_eq!(received, frames);
            prop_assert!(buffer.is_empty());
        }
    }
}
