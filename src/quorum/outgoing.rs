//! The sending half of a link: queued messages go out as frames, a synchronisation as a stream
//! of chunk frames encoded as the socket drains.

use super::frame::{encode, FrameBody, PeerFrame};
use super::link::LinkSetup;
use super::sync_stream::{SyncEncoder, Synchronisation, SYNC_CHUNK_BYTES};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use zabkeeper_models::replica::Replica;
use zabkeeper_models::zab::{Message, PeerMessage};

/// Why writing to a connection stopped.
enum WriteFailure {
    /// The socket failed: the connection is gone.
    Io(std::io::Error),
    /// A message cannot go as frames.
    Unsendable(String),
}

/// Writes every queued message, in order. A message that cannot be sent is counted and logged,
/// and ends the connection (the `Err` says why).
pub async fn write_queue(
    writer: &mut OwnedWriteHalf,
    queue: &mut VecDeque<Message<Replica>>,
    setup: &LinkSetup,
) -> Result<(), String> {
    match write_messages(writer, queue, setup).await {
        Ok(()) => Ok(()),
        Err(WriteFailure::Io(error)) => Err(format!("write failed: {error}")),
        Err(WriteFailure::Unsendable(reason)) => {
            let count = setup.unsendable_messages.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::error!(
                peer = %setup.peer,
                %reason,
                unsendable_messages = count,
                "cannot send a quorum message: closing the connection so that the peer starts over"
            );
            Err(format!("a message could not be sent: {reason}"))
        }
    }
}

async fn write_messages(
    writer: &mut OwnedWriteHalf,
    queue: &mut VecDeque<Message<Replica>>,
    setup: &LinkSetup,
) -> Result<(), WriteFailure> {
    let mut bytes = Vec::new();
    while let Some(message) = queue.pop_front() {
        match message {
            PeerMessage::NewLeader(sync) => {
                writer.write_all(&bytes).await.map_err(WriteFailure::Io)?;
                bytes.clear();
                write_sync(writer, sync, setup).await?;
            }
            message => bytes.extend(frame_bytes(setup, FrameBody::Message(message))?),
        }
    }
    writer.write_all(&bytes).await.map_err(WriteFailure::Io)
}

/// The chunk size under a frame limit: a chunk frame adds its sender, incarnation and lengths,
/// a few dozen bytes, which half the limit leaves room for.
pub fn sync_chunk_bytes(frame_bytes_max: usize) -> usize {
    SYNC_CHUNK_BYTES.min(frame_bytes_max / 2).max(1)
}

/// Streams a synchronisation: each chunk is encoded once the socket has taken the previous one,
/// so the socket's back-pressure paces the encoder and a slow learner costs one chunk here.
async fn write_sync(
    writer: &mut OwnedWriteHalf,
    sync: Synchronisation,
    setup: &LinkSetup,
) -> Result<(), WriteFailure> {
    let started = Instant::now();
    let kind = sync.kind;
    let mut encoder = SyncEncoder::new(sync, sync_chunk_bytes(setup.frame_bytes_max));
    let (mut chunks, mut stream_bytes) = (0u64, 0u64);
    while let Some(chunk) = encoder
        .next_chunk()
        .map_err(|error| WriteFailure::Unsendable(error.to_string()))?
    {
        chunks += 1;
        stream_bytes += chunk.len() as u64;
        let bytes = frame_bytes(setup, FrameBody::SyncChunk(chunk.into()))?;
        writer.write_all(&bytes).await.map_err(WriteFailure::Io)?;
    }
    tracing::info!(
        peer = %setup.peer,
        ?kind,
        stream_bytes,
        chunks,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "sent a synchronisation"
    );
    Ok(())
}

fn frame_bytes(setup: &LinkSetup, body: FrameBody) -> Result<Vec<u8>, WriteFailure> {
    let frame = PeerFrame {
        from: setup.me.server,
        incarnation: setup.me.incarnation,
        body,
    };
    encode(&frame, setup.frame_bytes_max)
        .map_err(|error| WriteFailure::Unsendable(error.to_string()))
}
