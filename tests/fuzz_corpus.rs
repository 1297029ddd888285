//! Every committed fuzz input — the seed corpus and each crash found (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) — replayed through its target's body without libFuzzer, so a
//! fixed crash stays fixed on any machine.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::Path;

fn inputs(target: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in entries {
            inputs.push(entry.expect("a directory entry").path());
        }
    }
    inputs.sort();
    inputs
}

#[test]
fn every_committed_input_passes_its_target() {
    for target in targets::TARGETS {
        let inputs = inputs(target);
        assert!(!inputs.is_empty(), "{target} has a seed corpus");
        for input in inputs {
            let data = std::fs::read(&input).expect("the input reads");
            let outcome = std::panic::catch_unwind(|| targets::run(target, &data));
            assert!(outcome.is_ok(), "{target} fails on {}", input.display());
        }
    }
}

/// Writes the seed corpus of the quorum frames (run once; the files are committed):
/// `cargo test --test fuzz_corpus -- --ignored write_quorum_seeds`.
#[test]
#[ignore = "writes fuzz/corpus/quorum_frames; run by hand"]
fn write_quorum_seeds() {
    use zabkeeper::quorum::frame::{encode, FrameBody, PeerFrame};
    use zabkeeper::quorum::sync_stream::SyncEncoder;
    use zabkeeper_models::election::{Notification, ServerState, Vote};
    use zabkeeper_models::replica::Database;
    use zabkeeper_models::tree::{Acl, CreateTxn, DataTree, Txn};
    use zabkeeper_models::zab::{NewLeader, PeerMessage, Proposal, Snapshot, SyncKind};
    use zabkeeper_models::{Epoch, ServerId, SessionId, Zxid};
    let vote = Vote {
        peer_epoch: Epoch(3),
        zxid: Zxid::new(Epoch(3), 17),
        leader: ServerId(2),
    };
    let messages = [
        (
            "notification",
            PeerMessage::Notification(Notification {
                sender_state: ServerState::Looking,
                vote,
                election_epoch: 4,
            }),
        ),
        (
            "follower-info",
            PeerMessage::FollowerInfo {
                accepted_epoch: Epoch(3),
                is_observer: false,
            },
        ),
        (
            "leader-info",
            PeerMessage::LeaderInfo {
                new_epoch: Epoch(4),
            },
        ),
        (
            "ack-epoch",
            PeerMessage::AckEpoch {
                new_epoch: Epoch(4),
                promised: true,
                current_epoch: Epoch(3),
                last_zxid: Zxid::new(Epoch(3), 17),
            },
        ),
        (
            "ack-new-leader",
            PeerMessage::AckNewLeader {
                epoch: Epoch(4),
                last_zxid: Zxid::new(Epoch(3), 17),
            },
        ),
    ];
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/quorum_frames");
    std::fs::create_dir_all(&directory).expect("the corpus directory");
    let frame = |body| {
        encode(
            &PeerFrame {
                from: ServerId(1),
                incarnation: 7,
                body,
            },
            1 << 20,
        )
        .expect("encodes")
    };
    let mut all = Vec::new();
    for (name, message) in messages {
        let bytes = frame(FrameBody::Message(message));
        all.extend_from_slice(&bytes);
        std::fs::write(directory.join(name), bytes).expect("writes");
    }
    std::fs::write(directory.join("all-in-one-stream"), all).expect("writes");
    // A SNAP of three nodes, a session and a txn after it, in chunks of 40 bytes.
    let create = |path: &str, zxid: u64| {
        let txn = Txn::Create(CreateTxn {
            path: path.to_string(),
            data: Some(b"value".to_vec()),
            acl: Acl::open_unsafe(),
            ephemeral: false,
            parent_cversion: 1,
        });
        Proposal {
            zxid: Zxid::new(Epoch(3), zxid as u32),
            payload: zabkeeper_models::request::Prepared {
                header: txn.header(SessionId(9), 1, Zxid::new(Epoch(3), zxid as u32), 1),
                txn,
            },
        }
    };
    let mut tree = DataTree::new();
    for (index, path) in ["/a", "/a/b", "/c"].into_iter().enumerate() {
        let proposal = create(path, index as u64 + 1);
        tree.apply(&proposal.payload.header, &proposal.payload.txn);
    }
    let snap = NewLeader {
        epoch: Epoch(4),
        kind: SyncKind::Snap,
        snapshot: Some(std::sync::Arc::new(Snapshot {
            zxid: Zxid::new(Epoch(3), 3),
            txn_count: 3,
            applied: Database {
                tree,
                sessions: [(SessionId(9), 30_000)].into(),
            },
        })),
        sync_point: Zxid::ZERO,
        proposals: vec![create("/d", 4)],
    };
    let mut encoder = SyncEncoder::new(snap, 40);
    let mut stream = Vec::new();
    while let Some(chunk) = encoder.next_chunk().expect("encodes") {
        stream.extend(frame(FrameBody::SyncChunk(chunk.into())));
    }
    std::fs::write(directory.join("snap-stream"), stream).expect("writes");
}
