//! Four-letter words: whitelisted, refused while the server does not serve, and answered from
//! a report of the core's state.

use super::*;
use crate::server::four_letter::LearnerCounts;
use zabkeeper_models::zab::{LinkPhase, Role};

impl Core {
    pub(super) fn count_received(&mut self, connection: ConnectionId) {
        self.statistics.packets_received += 1;
        if let Some(state) = self.connections.get_mut(&connection) {
            state.received += 1;
        }
    }

    pub(super) fn four_letter_word(&mut self, connection: ConnectionId, word: FourLetterWord) {
        let text = if !self.config.four_letter_words.contains(word) {
            four_letter::not_whitelisted(word)
        } else if !self.is_serving() && word == FourLetterWord::Isro {
            four_letter::IS_READ_ONLY_NOT_SERVING.to_string()
        } else if !self.is_serving() && four_letter::needs_a_serving_server(word) {
            four_letter::NOT_SERVING.to_string()
        } else {
            let text = four_letter::answer(word, &self.report());
            if word == FourLetterWord::Srst {
                self.statistics.reset();
            }
            text.unwrap_or_else(|| format!("{word} is not supported by this server.\n"))
        };
        self.batch_outbound.push((connection, Outbound::Text(text)));
        self.close(connection, format!("answered the four-letter word {word}"));
    }

    pub(super) fn report(&self) -> ServerReport {
        let tree = &self.state.applied.tree;
        let watchers: std::collections::BTreeSet<ConnectionId> = self
            .connections
            .keys()
            .filter(|connection| !self.clients.watches.paths_of(connection).is_empty())
            .copied()
            .collect();
        let watched_paths: std::collections::BTreeSet<String> = watchers
            .iter()
            .flat_map(|connection| self.clients.watches.paths_of(connection))
            .collect();
        let mut connections: Vec<(&ConnectionId, &Connection)> = self.connections.iter().collect();
        connections.sort_by_key(|(id, _)| **id);
        ServerReport {
            statistics: self.statistics.clone(),
            connections: connections
                .into_iter()
                .map(|(_, state)| {
                    let session = state.session.as_ref().map_or(0, |session| session.id.0);
                    format!(
                        "/{}[1](queued=0,recved={},sent={},sid=0x{:x})",
                        state.address, state.received, state.sent, session
                    )
                })
                .collect(),
            outstanding_requests: self.pending_writes.len(),
            last_zxid: self.last_zxid().0,
            node_count: tree.node_count(),
            watch_count: self.clients.watches.watch_count(),
            watched_paths: watched_paths.len(),
            watching_connections: watchers.len(),
            ephemeral_count: tree.ephemeral_count(),
            approximate_data_bytes: tree
                .iter()
                .map(|(path, node)| (path.len() + node.data.as_ref().map_or(0, Vec::len)) as u64)
                .sum(),
            configuration: self.config.configuration.clone(),
            data_dir_bytes: directory_bytes(&self.config.data_dir),
            data_log_dir_bytes: directory_bytes(&self.config.data_log_dir),
            mode: self.mode(),
            current_epoch: self.state.durable.current_epoch.0,
            learners: self.learner_counts(),
            unsendable_quorum_messages: self
                .peers
                .as_ref()
                .map(|peers| peers.unsendable_messages()),
        }
    }

    /// The server's mode as `srvr` and `zkServer.sh status` say it.
    pub fn mode(&self) -> &'static str {
        let alone =
            self.config.membership.voters.len() == 1 && self.config.membership.observers.is_empty();
        match &self.state.role {
            Role::Leading(_) if alone => "standalone",
            Role::Leading(_) => "leader",
            Role::Learning(learner) if learner.is_observer => "observer",
            Role::Learning(_) => "follower",
            Role::Looking(_) => "looking",
        }
    }

    fn learner_counts(&self) -> Option<LearnerCounts> {
        let Role::Leading(leadership) = &self.state.role else {
            return None;
        };
        let synced = |observers: bool| {
            leadership
                .learners
                .values()
                .filter(|link| link.is_observer == observers && link.phase == LinkPhase::Synced)
                .count()
        };
        Some(LearnerCounts {
            learners: leadership.learners.len(),
            synced_followers: synced(false),
            synced_observers: synced(true),
        })
    }
}

/// The bytes of the files directly in `directory` (what `dirs` reports for dataDir and
/// dataLogDir, whose txn logs and snapshots sit in `version-2`).
fn directory_bytes(directory: &Path) -> u64 {
    let version_2 = directory.join("version-2");
    std::fs::read_dir(version_2)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .filter(|metadata| metadata.is_file())
                .map(|metadata| metadata.len())
                .sum()
        })
        .unwrap_or(0)
}
