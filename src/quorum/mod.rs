//! Peer-to-peer transport between the servers of an ensemble. The protocol's messages are the
//! model's own (`zab::Message<Replica>`), serialized with serde at the edge; each frame names
//! its sender and the sender's incarnation, so that a peer that restarted never acts on
//! messages its previous incarnation sent.

pub mod frame;
