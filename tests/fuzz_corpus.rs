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
    use zabkeeper::quorum::frame::{encode, PeerFrame};
    use zabkeeper_models::election::{Notification, ServerState, Vote};
    use zabkeeper_models::zab::PeerMessage;
    use zabkeeper_models::{Epoch, ServerId, Zxid};
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
    let mut all = Vec::new();
    for (name, message) in messages {
        let frame = PeerFrame {
            from: ServerId(1),
            incarnation: 7,
            message,
        };
        let bytes = encode(&frame, 1 << 20).expect("encodes");
        all.extend_from_slice(&bytes);
        std::fs::write(directory.join(name), bytes).expect("writes");
    }
    std::fs::write(directory.join("all-in-one-stream"), all).expect("writes");
}
