//! The receiving half of a link: frames become messages for the core, and the chunks of a
//! synchronisation are rebuilt into one as they arrive.

use super::frame::{take_frame, FrameBody};
use super::link::Hello;
use super::sync_stream::{Decoded, SyncDecoder, SyncStreamError};
use super::PeerEvent;
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{mpsc, oneshot};
use zabkeeper_models::replica::Replica;
use zabkeeper_models::zab::{Message, PeerMessage};

/// A synchronisation stream being received.
struct Reception {
    decoder: SyncDecoder,
    started: Instant,
    chunks: u64,
    stream_bytes: u64,
}

/// Reads frames until the connection ends, handing each message to the core. Says why it
/// ended on `closed`.
pub async fn read_frames<E: From<PeerEvent>>(
    mut reader: OwnedReadHalf,
    hello: Hello,
    frame_bytes_max: usize,
    events: mpsc::UnboundedSender<E>,
    closed: oneshot::Sender<String>,
) {
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut reception: Option<Reception> = None;
    let reason = loop {
        loop {
            match take_frame(&mut buffer, frame_bytes_max) {
                Ok(Some(frame)) => {
                    if frame.from != hello.server || frame.incarnation != hello.incarnation {
                        let _ = closed.send(format!(
                            "a frame from server {} incarnation {} on the connection of server {} incarnation {}",
                            frame.from, frame.incarnation, hello.server, hello.incarnation
                        ));
                        return;
                    }
                    let message = match receive(frame.body, &mut reception, frame_bytes_max) {
                        Ok(Some(message)) => message,
                        Ok(None) => continue,
                        Err(error) => {
                            tracing::warn!(peer = %hello.server, %error, "a broken synchronisation stream: closing the connection");
                            let _ = closed.send(error.to_string());
                            return;
                        }
                    };
                    let event = PeerEvent::Message {
                        from: frame.from,
                        message,
                    };
                    if events.send(E::from(event)).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    let _ = closed.send(error.to_string());
                    return;
                }
            }
        }
        let mut chunk = [0u8; 64 * 1024];
        match reader.read(&mut chunk).await {
            Ok(0) => break "the peer closed the connection".to_string(),
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            Err(error) => break error.to_string(),
        }
    };
    let reason = match reception {
        Some(reception) => format!("{reason} ({})", reception.decoder.interrupted()),
        None => reason,
    };
    let _ = closed.send(reason);
}

/// The message a frame completes: a whole message, or a synchronisation whose last chunk it
/// carries. Records as long as a frame may be are accepted within a stream.
fn receive(
    body: FrameBody,
    reception: &mut Option<Reception>,
    record_bytes_max: usize,
) -> Result<Option<Message<Replica>>, SyncStreamError> {
    let chunk = match body {
        FrameBody::Message(_) if reception.is_some() => {
            return Err(SyncStreamError::Malformed {
                reason: "a message between the chunks of a synchronisation".to_string(),
            })
        }
        FrameBody::Message(message) => return Ok(Some(message)),
        FrameBody::SyncChunk(chunk) => chunk,
    };
    let mut receiving = reception.take().unwrap_or_else(|| Reception {
        decoder: SyncDecoder::new(record_bytes_max),
        started: Instant::now(),
        chunks: 0,
        stream_bytes: 0,
    });
    receiving.chunks += 1;
    receiving.stream_bytes += chunk.len() as u64;
    match receiving.decoder.push(&chunk)? {
        Decoded::Incomplete(decoder) => {
            *reception = Some(Reception {
                decoder,
                ..receiving
            });
            Ok(None)
        }
        Decoded::Complete(sync) => {
            tracing::info!(
                kind = ?sync.kind,
                stream_bytes = receiving.stream_bytes,
                chunks = receiving.chunks,
                nodes = sync.snapshot.as_ref().map_or(0, |snapshot| snapshot.applied.tree.znode_count()),
                txns = sync.proposals.len(),
                elapsed_ms = receiving.started.elapsed().as_millis() as u64,
                "received a synchronisation"
            );
            Ok(Some(PeerMessage::NewLeader(sync)))
        }
    }
}
