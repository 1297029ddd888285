//! Golden transcripts: the protocol's named scenarios as readable text files
//! (`tests/transcripts/*.txt`), each run against the production `zab::Peer` through the calls
//! the server's driver makes (`on_start` when a server starts, `Peer::step` for everything
//! else; the election oracle's choice goes through `on_random`, as in the model checker).
//! Every command prints the core's output step by step; the file holds the expected output.
//!
//! Rewrite the expected parts after a deliberate change of behaviour with
//! `REWRITE=1 cargo test -p zabkeeper-proofs --test transcripts`, then read the diff.
//! `tests/transcripts.md` describes the commands and the notation.

use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zabkeeper_models::election::{Membership, ServerState};
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::session::handshake::{Handshake, HandshakeDecision};
use zabkeeper_models::zab::{
    DurableState, ElectionMode, Input, LeaderPhase, LearnerPhase, NewLeader, Peer, PeerMessage,
    PeerState, PeerTimer, Proposal, Register, Role, SyncKind,
};
use zabkeeper_models::{Epoch, ServerId, SessionId, Zxid};

type Value = u8;
type Machine = Register<Value>;
type Message = zabkeeper_models::zab::Message<Machine>;
type Disk = DurableState<Value, Vec<Proposal<Value>>>;

/// Actor ids of the clients: `c1` is `CLIENT_BASE + 1`.
const CLIENT_BASE: usize = 100;
/// Where a peer reports every txn it applied (the server's driver, which replies from it).
const APPLY_SINK: usize = usize::MAX;
/// The session a transcript's client reconnects with (the register replicates none; its
/// leader revalidates any).
const TRANSCRIPT_SESSION: SessionId = SessionId(1);
/// Steps `deliver-all` takes at most before it calls the run a livelock.
const DELIVER_ALL_STEPS_MAX: usize = 1000;

/// The transcripts directory (datadriven walks it, in name order, and reads every file).
fn transcripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

/// What a run over one or more transcript files saw.
#[derive(Default)]
struct WalkReport {
    files: Vec<String>,
    /// Commands the harness could not run, with their file: each fails the test even when the
    /// output matches (a rewrite records the error text as the output).
    harness_errors: Vec<String>,
}

/// Runs the transcript files under `path` (a directory or one file) through datadriven, which
/// compares each command's output with the file (or rewrites it under `REWRITE`) and panics
/// after the last file if any output differed.
fn run_transcripts(path: &Path, mutations: Mutations) -> WalkReport {
    let mut report = WalkReport::default();
    datadriven::walk(path.to_str().expect("a UTF-8 path"), |file| {
        let file_name = file.filename.clone();
        report.files.push(file_name.clone());
        let mut cluster: Option<Cluster> = None;
        let harness_errors = &mut report.harness_errors;
        file.run(|case| match run_case(&mut cluster, case, mutations) {
            Ok(text) => text,
            Err(error) => {
                harness_errors.push(format!("{file_name}: {error}"));
                // Written into the output too, so that a rewrite shows where a script went wrong.
                format!("{ERROR_MARK} {error}\n")
            }
        });
    });
    report
}

/// Starts the output of a command the harness could not run.
const ERROR_MARK: &str = "harness error:";

#[test]
fn transcripts() {
    let report = run_transcripts(&transcripts_dir(), Mutations::NONE);
    assert!(
        report.files.len() >= 12,
        "the transcripts are missing: {:?}",
        report.files
    );
    assert!(
        report.harness_errors.is_empty(),
        "commands the harness could not run: {:#?}",
        report.harness_errors
    );
}

/// The seeded bugs (`Mutations`) that re-create a bug a transcript guards against.
type Mutant = (&'static str, fn(&mut Mutations));

/// Each transcript that has a seeded-bug counterpart, with that mutant: run with the bug seeded
/// back in, the transcript must fail (its golden output shows the fix).
const GUARDED_BY_MUTANTS: &[(&str, Mutant)] = &[
    (
        "02_zookeeper_3911_ack_newleader_after_logging.txt",
        ("ack_new_leader_before_durable", |m| {
            m.ack_new_leader_before_durable = true
        }),
    ),
    (
        "03_zookeeper_4643_txns_before_current_epoch.txt",
        ("current_epoch_before_txns", |m| {
            m.current_epoch_before_txns = true
        }),
    ),
    (
        "04_repeated_ackepoch_is_not_counted.txt",
        ("count_repeated_epoch_acks", |m| {
            m.count_repeated_epoch_acks = true
        }),
    ),
    (
        "10_deposed_leader_does_not_answer_sync.txt",
        ("leader_answers_sync_at_once", |m| {
            m.leader_answers_sync_at_once = true
        }),
    ),
    (
        "13_moved_session_waits_for_its_write.txt",
        ("handshake_compares_logged_zxid", |m| {
            m.handshake_compares_logged_zxid = true
        }),
    ),
];

#[test]
fn each_transcript_fails_with_its_bug_seeded_back() {
    if std::env::var_os("REWRITE").is_some() {
        // Rewriting must never record a mutant's output as the golden one.
        return;
    }
    for (file, (name, seed)) in GUARDED_BY_MUTANTS {
        let path = transcripts_dir().join(file);
        let mut mutations = Mutations::NONE;
        seed(&mut mutations);
        let outcome = std::panic::catch_unwind(|| run_transcripts(&path, mutations));
        if let Ok(report) = outcome {
            assert!(!report.files.is_empty(), "{file} is missing");
            panic!("{file} still passes with the mutant {name}: it does not show its fix");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The cluster harness: one peer per server, a FIFO mailbox per directed link (a TCP connection),
// a disk per server that keeps what the peer saved.

struct Server {
    peer: Peer<Machine>,
    /// `None` while the server is down.
    state: Option<PeerState<Machine>>,
    /// What the peer saved last; survives crashes. `None` for a server never started.
    disk: Option<Disk>,
    timers: BTreeSet<PeerTimer>,
    /// The election oracle's open question: the voters it may choose as leader.
    oracle_choices: Option<Vec<ServerId>>,
}

struct Cluster {
    membership: Membership,
    election: ElectionMode,
    ticks: bool,
    mutations: Mutations,
    servers: BTreeMap<u64, Server>,
    links: BTreeMap<(u64, u64), VecDeque<Message>>,
    /// The servers a `start` command is bringing up: they take messages from the ones started
    /// before them in the same command.
    starting: BTreeSet<u64>,
}

/// What happens to a server in one step.
enum Event {
    Start,
    Input(Input<Machine>),
    OracleChoice(ServerId),
}

impl Cluster {
    fn new(
        membership: Membership,
        election: ElectionMode,
        ticks: bool,
        mutations: Mutations,
    ) -> Self {
        Cluster {
            membership,
            election,
            ticks,
            mutations,
            servers: BTreeMap::new(),
            links: BTreeMap::new(),
            starting: BTreeSet::new(),
        }
    }

    fn peer(&self, me: u64) -> Peer<Machine> {
        let mut peer = Peer::new(ServerId(me), self.membership.clone(), Register::new());
        peer.election_mode = self.election;
        peer.mutations = self.mutations;
        peer.apply_sink = Some(Id::from(APPLY_SINK));
        if self.ticks {
            // The server's settings (`PeerSettings::peer`); durations never show here: the
            // transcript fires timers by name.
            let tick = Duration::from_millis(1000);
            peer.tick = Some(tick..tick);
            peer.looking_tick = Duration::from_millis(100)..Duration::from_millis(100);
            peer.settle = Duration::from_millis(50)..Duration::from_millis(50);
        } else {
            peer.tick = None;
        }
        peer
    }

    fn server(&self, id: u64) -> Result<&Server, String> {
        self.servers
            .get(&id)
            .ok_or_else(|| format!("s{id} was never started"))
    }

    fn server_mut(&mut self, id: u64) -> Result<&mut Server, String> {
        self.servers
            .get_mut(&id)
            .ok_or_else(|| format!("s{id} was never started"))
    }

    fn is_up(&self, id: u64) -> bool {
        self.servers
            .get(&id)
            .is_some_and(|server| server.state.is_some())
    }

    /// Runs one step of server `id` and renders it: a heading, the core's commands in the order
    /// it emitted them, and the server's resulting state.
    fn step(&mut self, id: u64, heading: String, event: Event) -> Result<String, String> {
        let mut text = heading;
        text.push('\n');
        let mut out = Out::new();
        let server = self.server_mut(id)?;
        let actor_id = Id::from(id as usize);
        match event {
            Event::Start => {
                let state = server.peer.on_start(actor_id, &server.disk, &mut out);
                server.state = Some(state);
            }
            Event::Input(input) => {
                let state = server.state.take().ok_or(format!("s{id} is down"))?;
                let mut cow = Cow::Owned(state);
                server.peer.step(&mut cow, input, &mut out);
                server.state = Some(cow.into_owned());
            }
            Event::OracleChoice(leader) => {
                let state = server.state.take().ok_or(format!("s{id} is down"))?;
                let mut cow = Cow::Owned(state);
                server.peer.on_random(actor_id, &mut cow, &leader, &mut out);
                server.state = Some(cow.into_owned());
            }
        }
        for command in out {
            let line = self.perform(id, command);
            let _ = writeln!(text, "  {line}");
        }
        let _ = writeln!(text, "  => {}", self.summary(id)?);
        Ok(text)
    }

    /// A client's handshake at server `id`, decided as the server's driver decides it
    /// (`Peer::decide_handshake`): a reconnect the handshake resumes goes to the peer as
    /// `ClientRevalidate`, whose answer (at once on the leader, through the leader on a
    /// learner) lets the client in; a refusal closes the connection.
    fn connect(
        &mut self,
        id: u64,
        client: usize,
        client_name: &str,
        last_zxid_seen: Zxid,
    ) -> Result<String, String> {
        let message: Message = PeerMessage::ClientConnect {
            last_zxid_seen,
            session: Some(TRANSCRIPT_SESSION),
            timeout_ms: 4000,
        };
        let heading = format!("s{id} <- {client_name}: {}", render_message(&message));
        let server = self.server(id)?;
        let state = server.state.as_ref().ok_or(format!("s{id} is down"))?;
        let handshake = Handshake {
            last_zxid_seen: i64::try_from(last_zxid_seen.0).map_err(|error| error.to_string())?,
            timeout_ms: 4000,
            session_id: TRANSCRIPT_SESSION.0,
            password_matches: true,
        };
        let decision = server.peer.decide_handshake(state, handshake);
        let summary = |cluster: &Cluster| cluster.summary(id);
        match decision {
            HandshakeDecision::Resume { .. } => {
                let heading = format!("{heading}\n  the handshake resumes the session");
                let revalidate = PeerMessage::ClientRevalidate { session: () };
                let input = Input::Message {
                    from: client,
                    message: revalidate,
                };
                self.step(id, heading, Event::Input(input))
            }
            HandshakeDecision::Refuse(_) => Ok(format!(
                "{heading}\n  reply {client_name}: {} (refused: the client has seen more than \
                 this server applied)\n  => {}\n",
                render_message(&PeerMessage::ConnectionClosed),
                summary(self)?
            )),
            HandshakeDecision::WaitUntilServing => Ok(format!(
                "{heading}\n  held until s{id} serves\n  => {}\n",
                summary(self)?
            )),
            other => Err(format!("a reconnect is not decided {other:?}")),
        }
    }

    /// Carries out one command of server `from`, as the server's driver would, and says what it
    /// was.
    fn perform(
        &mut self,
        from: u64,
        command: Command<Message, PeerTimer, ServerId, Disk>,
    ) -> String {
        match command {
            Command::Save(disk) => {
                let server = self.servers.get_mut(&from).expect("stepping server");
                let previous = server.disk.as_ref().map_or(0, |disk| disk.incarnation);
                let text = if disk.incarnation != previous {
                    format!("save {} (start #{})", render_disk(&disk), disk.incarnation)
                } else {
                    format!("save {}", render_disk(&disk))
                };
                server.disk = Some(disk);
                text
            }
            Command::Send(to, message) => {
                let to = usize::from(to);
                if to == APPLY_SINK {
                    return match message {
                        PeerMessage::Applied { zxid, .. } => format!("apply {zxid}"),
                        other => format!("to the driver: {}", render_message(&other)),
                    };
                }
                if to >= CLIENT_BASE {
                    return format!("reply {}: {}", actor_name(to), render_message(&message));
                }
                let to = to as u64;
                let rendered = render_message(&message);
                if self.is_up(to) || self.starting.contains(&to) {
                    self.links.entry((from, to)).or_default().push_back(message);
                    format!("send s{to}: {rendered}")
                } else {
                    format!("send s{to}: {rendered}   (s{to} is down: lost)")
                }
            }
            Command::SetTimer(timer, _) => {
                let server = self.servers.get_mut(&from).expect("stepping server");
                server.timers.insert(timer);
                format!("set timer {}", timer_name(timer))
            }
            Command::CancelTimer(timer) => {
                let server = self.servers.get_mut(&from).expect("stepping server");
                server.timers.remove(&timer);
                format!("cancel timer {}", timer_name(timer))
            }
            Command::ChooseRandom(_, choices) => {
                let names: Vec<String> = choices.iter().map(|s| format!("s{}", s.0)).collect();
                let server = self.servers.get_mut(&from).expect("stepping server");
                server.oracle_choices = Some(choices);
                format!("ask the oracle for a leader among {}", names.join(" "))
            }
        }
    }

    /// One line: role, disk (epochs, last zxid) and commit point.
    fn summary(&self, id: u64) -> Result<String, String> {
        let server = self.server(id)?;
        let disk = server.disk.clone().unwrap_or_default();
        let (role, committed) = match &server.state {
            None => ("down".to_string(), None),
            Some(state) => (render_role(&state.role), Some(state.committed_through)),
        };
        let mut line = format!(
            "s{id} {role} | accepted={} current={} last={}",
            disk.accepted_epoch,
            disk.current_epoch,
            disk.last_zxid()
        );
        if let Some(committed) = committed {
            let _ = write!(line, " committed={committed}");
        }
        Ok(line)
    }

    fn deliver(&mut self, from: u64, to: u64) -> Result<String, String> {
        let message = self
            .links
            .get_mut(&(from, to))
            .and_then(VecDeque::pop_front)
            .ok_or(format!("nothing in flight from s{from} to s{to}"))?;
        let heading = format!("s{to} <- s{from}: {}", render_message(&message));
        self.step(
            to,
            heading,
            Event::Input(Input::Message {
                from: from as usize,
                message,
            }),
        )
    }

    fn deliver_all(&mut self) -> Result<String, String> {
        let mut text = String::new();
        for _ in 0..DELIVER_ALL_STEPS_MAX {
            let next = self
                .links
                .iter()
                .find(|(_, queue)| !queue.is_empty())
                .map(|(link, _)| *link);
            let Some((from, to)) = next else {
                if text.is_empty() {
                    text.push_str("nothing in flight\n");
                }
                return Ok(text);
            };
            text.push_str(&self.deliver(from, to)?);
        }
        Err(format!(
            "still delivering after {DELIVER_ALL_STEPS_MAX} steps"
        ))
    }

    /// Drops every message in flight between `a` and `b` (both ways) and says which.
    fn drop_link(&mut self, a: u64, b: u64, text: &mut String) {
        for link in [(a, b), (b, a)] {
            if let Some(queue) = self.links.remove(&link) {
                for message in queue {
                    let _ = writeln!(
                        text,
                        "  lost s{} -> s{}: {}",
                        link.0,
                        link.1,
                        render_message(&message)
                    );
                }
            }
        }
    }

    fn crash(&mut self, id: u64) -> Result<String, String> {
        let server = self.server_mut(id)?;
        if server.state.take().is_none() {
            return Err(format!("s{id} is down already"));
        }
        server.timers.clear();
        server.oracle_choices = None;
        let mut text = format!(
            "s{id} crashes: its volatile state and timers are gone, its connections reset\n"
        );
        let others: Vec<u64> = self.servers.keys().copied().filter(|s| *s != id).collect();
        for other in others {
            self.drop_link(id, other, &mut text);
        }
        let _ = writeln!(text, "  => {}", self.summary(id)?);
        Ok(text)
    }

    fn status(&self) -> Result<String, String> {
        let mut text = String::new();
        for (id, server) in &self.servers {
            let _ = write!(text, "{}", self.summary(*id)?);
            if !server.timers.is_empty() {
                let timers: Vec<&str> = server.timers.iter().map(|t| timer_name(*t)).collect();
                let _ = write!(text, " | timers: {}", timers.join(" "));
            }
            text.push('\n');
            if let Some(disk) = &server.disk {
                let _ = writeln!(text, "  disk {}", render_disk(disk));
            }
        }
        for ((from, to), queue) in &self.links {
            for message in queue {
                let _ = writeln!(
                    text,
                    "in flight s{from} -> s{to}: {}",
                    render_message(message)
                );
            }
        }
        Ok(text)
    }
}

// ---------------------------------------------------------------------------------------------
// The commands of a transcript.

fn run_case(
    cluster: &mut Option<Cluster>,
    case: &mut datadriven::TestCase,
    mutations: Mutations,
) -> Result<String, String> {
    let directive = case.directive.clone();
    let text = match directive.as_str() {
        "cluster" => {
            let voters: Vec<u64> = take_args(case, "voters")?;
            let observers: Vec<u64> = try_take_args(case, "observers")?.unwrap_or_default();
            let election = match take_arg::<String>(case, "election")?.as_str() {
                "fle" => ElectionMode::Fast,
                "oracle" => ElectionMode::Oracle,
                other => return Err(format!("election is fle or oracle, not {other}")),
            };
            let ticks = match take_arg::<String>(case, "ticks")?.as_str() {
                "on" => true,
                "off" => false,
                other => return Err(format!("ticks is on or off, not {other}")),
            };
            let membership = Membership::new(
                voters.iter().copied().map(ServerId),
                observers.iter().copied().map(ServerId),
            );
            *cluster = Some(Cluster::new(membership, election, ticks, mutations));
            let names = |ids: &[u64]| {
                ids.iter()
                    .map(|id| format!("s{id}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let mut text = format!("voters {}", names(&voters));
            if !observers.is_empty() {
                let _ = write!(text, "; observers {}", names(&observers));
            }
            let _ = writeln!(
                text,
                "; election by {}; failure detector {}",
                if election == ElectionMode::Fast {
                    "FLE"
                } else {
                    "the oracle"
                },
                if ticks { "on" } else { "off" }
            );
            text
        }
        directive => {
            let cluster = cluster
                .as_mut()
                .ok_or("the first command must be `cluster`")?;
            run_command(cluster, directive, case)?
        }
    };
    case.expect_empty().map_err(|error| error.to_string())?;
    Ok(text)
}

fn run_command(
    cluster: &mut Cluster,
    directive: &str,
    case: &mut datadriven::TestCase,
) -> Result<String, String> {
    match directive {
        "start" => {
            let ids: Vec<u64> = take_args(case, "servers")?;
            let mut disks = parse_disks(&case.input)?;
            let mut text = String::new();
            cluster.starting = ids.iter().copied().collect();
            for id in ids {
                if cluster.servers.contains_key(&id) {
                    return Err(format!("s{id} was started before: use restart"));
                }
                let peer = cluster.peer(id);
                cluster.servers.insert(
                    id,
                    Server {
                        peer,
                        state: None,
                        disk: disks.remove(&id),
                        timers: BTreeSet::new(),
                        oracle_choices: None,
                    },
                );
                let heading = match &cluster.servers[&id].disk {
                    Some(disk) => format!("s{id} starts with disk {}", render_disk(disk)),
                    None => format!("s{id} starts with an empty disk"),
                };
                text.push_str(&cluster.step(id, heading, Event::Start)?);
                cluster.starting.remove(&id);
            }
            if let Some(id) = disks.keys().next() {
                return Err(format!(
                    "a disk for s{id}, which this command does not start"
                ));
            }
            Ok(text)
        }
        "restart" => {
            let id: u64 = take_arg(case, "server")?;
            if cluster.is_up(id) {
                return Err(format!("s{id} is up"));
            }
            let heading = match &cluster.server(id)?.disk {
                Some(disk) => format!("s{id} restarts from its disk {}", render_disk(disk)),
                None => format!("s{id} restarts with an empty disk"),
            };
            cluster.step(id, heading, Event::Start)
        }
        "crash" => {
            let id: u64 = take_arg(case, "server")?;
            cluster.crash(id)
        }
        "deliver" => {
            let from: u64 = take_arg(case, "from")?;
            let to: u64 = take_arg(case, "to")?;
            let count: usize = try_take_arg(case, "count")?.unwrap_or(1);
            let mut text = String::new();
            for _ in 0..count {
                text.push_str(&cluster.deliver(from, to)?);
            }
            Ok(text)
        }
        "deliver-all" => cluster.deliver_all(),
        "drop" => {
            let from: u64 = take_arg(case, "from")?;
            let to: u64 = take_arg(case, "to")?;
            let message = cluster
                .links
                .get_mut(&(from, to))
                .and_then(VecDeque::pop_front)
                .ok_or(format!("nothing in flight from s{from} to s{to}"))?;
            Ok(format!(
                "lost s{from} -> s{to}: {}   (the connection broke unnoticed)\n",
                render_message(&message)
            ))
        }
        "disconnect" => {
            let ids: Vec<u64> = take_args(case, "between")?;
            let [a, b] = ids[..] else {
                return Err("disconnect between=(A,B) names two servers".into());
            };
            let mut text = format!("the connection between s{a} and s{b} breaks\n");
            cluster.drop_link(a, b, &mut text);
            for (me, other) in [(a, b), (b, a)] {
                if cluster.is_up(me) {
                    let heading = format!("s{me}: the transport reports s{other} disconnected");
                    text.push_str(&cluster.step(
                        me,
                        heading,
                        Event::Input(Input::PeerDisconnected {
                            server: ServerId(other),
                        }),
                    )?);
                }
            }
            Ok(text)
        }
        "fire" => {
            let id: u64 = take_arg(case, "server")?;
            let name: String = take_arg(case, "timer")?;
            let timer = timer_named(&name)?;
            if !cluster.server_mut(id)?.timers.remove(&timer) {
                return Err(format!("s{id} has no {name} timer set"));
            }
            let heading = format!("s{id}: timer {name} fires");
            cluster.step(id, heading, Event::Input(Input::Timeout { timer }))
        }
        "elect" => {
            let id: u64 = take_arg(case, "server")?;
            let leader: u64 = take_arg(case, "leader")?;
            let choices = cluster.server_mut(id)?.oracle_choices.take();
            if !choices.is_some_and(|choices| choices.contains(&ServerId(leader))) {
                return Err(format!("s{id} did not ask the oracle for s{leader}"));
            }
            let heading = format!("s{id}: the oracle chooses s{leader} as leader");
            cluster.step(id, heading, Event::OracleChoice(ServerId(leader)))
        }
        "client-connect" => {
            let client: String = take_arg(case, "client")?;
            let id: u64 = take_arg(case, "server")?;
            let last_zxid_seen = parse_zxid(&take_arg::<String>(case, "seen")?)?;
            cluster.connect(id, client_id(&client)?, &client, last_zxid_seen)
        }
        "client-write" | "client-sync" | "client-read" => {
            let client: String = take_arg(case, "client")?;
            let id: u64 = take_arg(case, "server")?;
            let message = match directive {
                "client-write" => PeerMessage::ClientWrite {
                    request: take_arg(case, "value")?,
                },
                "client-sync" => PeerMessage::ClientSync,
                _ => PeerMessage::ClientRead,
            };
            let client_id = client_id(&client)?;
            let heading = format!("s{id} <- {client}: {}", render_message(&message));
            cluster.step(
                id,
                heading,
                Event::Input(Input::Message {
                    from: client_id,
                    message,
                }),
            )
        }
        "status" => cluster.status(),
        other => Err(format!("unknown command {other}")),
    }
}

/// A zxid as the transcripts print it (`0x100000001`).
fn parse_zxid(text: &str) -> Result<Zxid, String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("a zxid starts with 0x: {text}"))?;
    u64::from_str_radix(digits, 16)
        .map(Zxid)
        .map_err(|error| format!("bad zxid {text}: {error}"))
}

fn take_arg<T>(case: &mut datadriven::TestCase, name: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    case.take_arg(name).map_err(|error| error.to_string())
}

fn try_take_arg<T>(case: &mut datadriven::TestCase, name: &str) -> Result<Option<T>, String>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    case.try_take_arg(name).map_err(|error| error.to_string())
}

fn take_args<T>(case: &mut datadriven::TestCase, name: &str) -> Result<Vec<T>, String>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    case.take_args(name).map_err(|error| error.to_string())
}

fn try_take_args<T>(case: &mut datadriven::TestCase, name: &str) -> Result<Option<Vec<T>>, String>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + 'static,
{
    case.try_take_args(name).map_err(|error| error.to_string())
}

fn client_id(name: &str) -> Result<usize, String> {
    name.strip_prefix('c')
        .and_then(|number| number.parse::<usize>().ok())
        .filter(|number| *number < APPLY_SINK - CLIENT_BASE)
        .map(|number| CLIENT_BASE + number)
        .ok_or(format!("a client is named c1, c2, ..., not {name}"))
}

fn actor_name(id: usize) -> String {
    if id >= CLIENT_BASE {
        format!("c{}", id - CLIENT_BASE)
    } else {
        format!("s{id}")
    }
}

/// Disks written as the transcript prints them, one server a line:
/// `s0 accepted=1 current=1 log=[0x100000001=7 0x100000002=8]`.
fn parse_disks(input: &str) -> Result<BTreeMap<u64, Disk>, String> {
    let mut disks = BTreeMap::new();
    for line in input.lines().filter(|line| !line.trim().is_empty()) {
        let spaced = line.replace(['[', ']'], " ");
        let mut words = spaced.split_whitespace();
        let server = words
            .next()
            .and_then(|word| word.strip_prefix('s'))
            .and_then(|number| number.parse::<u64>().ok())
            .ok_or(format!(
                "a disk line starts with its server (s0, s1, ...): {line}"
            ))?;
        let mut disk = Disk::default();
        for word in words {
            let bad = || format!("cannot read {word:?} in the disk line {line:?}");
            match word.split_once('=') {
                Some(("accepted", epoch)) => {
                    disk.accepted_epoch = Epoch(epoch.parse().map_err(|_| bad())?)
                }
                Some(("current", epoch)) => {
                    disk.current_epoch = Epoch(epoch.parse().map_err(|_| bad())?)
                }
                Some(("log", "")) => {}
                Some((zxid, value)) if zxid.starts_with("0x") => {
                    let zxid = u64::from_str_radix(&zxid[2..], 16).map_err(|_| bad())?;
                    disk.append(Proposal {
                        zxid: Zxid(zxid),
                        payload: value.parse().map_err(|_| bad())?,
                    });
                }
                _ => return Err(bad()),
            }
        }
        disk.assert_valid();
        disks.insert(server, disk);
    }
    Ok(disks)
}

// ---------------------------------------------------------------------------------------------
// Rendering: quorum packets in capitals with ZooKeeper's names, client traffic in lower case,
// zxids in hex as ZooKeeper logs them (0x200000001: epoch 2, counter 1).

fn render_txn(proposal: &Proposal<Value>) -> String {
    format!("{}={}", proposal.zxid, proposal.payload)
}

fn render_txns(proposals: &[Proposal<Value>]) -> String {
    let txns: Vec<String> = proposals.iter().map(render_txn).collect();
    format!("[{}]", txns.join(" "))
}

fn render_disk(disk: &Disk) -> String {
    let mut text = format!(
        "accepted={} current={}",
        disk.accepted_epoch, disk.current_epoch
    );
    if let Some(snapshot) = &disk.snapshot {
        let _ = write!(text, " snapshot={}", snapshot.zxid);
    }
    let _ = write!(text, " log={}", render_txns(&disk.history));
    text
}

fn render_message(message: &Message) -> String {
    match message {
        PeerMessage::Notification(notification) => {
            let state = match notification.sender_state {
                ServerState::Looking => "LOOKING",
                ServerState::Following => "FOLLOWING",
                ServerState::Leading => "LEADING",
                ServerState::Observing => "OBSERVING",
            };
            let vote = notification.vote;
            format!(
                "VOTE for s{} (epoch={} zxid={}) round={} from a {state} server",
                vote.leader, vote.peer_epoch, vote.zxid, notification.election_epoch
            )
        }
        PeerMessage::FollowerInfo {
            accepted_epoch,
            is_observer,
        } => {
            let name = if *is_observer {
                "OBSERVERINFO"
            } else {
                "FOLLOWERINFO"
            };
            format!("{name} accepted={accepted_epoch}")
        }
        PeerMessage::LeaderInfo { new_epoch } => format!("LEADERINFO epoch={new_epoch}"),
        PeerMessage::AckEpoch {
            new_epoch,
            promised,
            current_epoch,
            last_zxid,
        } => format!(
            "ACKEPOCH epoch={new_epoch} {} current={current_epoch} last={last_zxid}",
            if *promised {
                "promised"
            } else {
                "accepted-before (not a promise)"
            }
        ),
        PeerMessage::NewLeader(NewLeader {
            epoch,
            kind,
            snapshot,
            sync_point,
            proposals,
        }) => {
            let sync = match kind {
                SyncKind::Diff => format!("DIFF after={sync_point}"),
                SyncKind::Trunc => format!("TRUNC to={sync_point}"),
                SyncKind::Snap => match snapshot {
                    Some(snapshot) => format!("SNAP snapshot={}", snapshot.zxid),
                    None => "SNAP".to_string(),
                },
            };
            format!(
                "{sync} txns={} NEWLEADER epoch={epoch}",
                render_txns(proposals)
            )
        }
        PeerMessage::AckNewLeader { epoch, last_zxid } => {
            format!("ACK of NEWLEADER epoch={epoch} last={last_zxid}")
        }
        PeerMessage::UpToDate {
            epoch,
            committed_through,
        } => format!("UPTODATE epoch={epoch} committed={committed_through}"),
        PeerMessage::Request { request } => format!("REQUEST {request}"),
        PeerMessage::Propose { proposal } => format!("PROPOSAL {}", render_txn(proposal)),
        PeerMessage::Ack { zxid } => format!("ACK {zxid}"),
        PeerMessage::Commit { zxid } => format!("COMMIT {zxid}"),
        PeerMessage::Inform { proposal } => format!("INFORM {}", render_txn(proposal)),
        PeerMessage::Ping {
            epoch,
            round,
            touched_sessions,
        } => {
            let mut text = format!("PING epoch={epoch} round={round}");
            if !touched_sessions.is_empty() {
                let _ = write!(text, " touched={}", touched_sessions.len());
            }
            text
        }
        PeerMessage::SyncRequest { token } => format!("SYNC request token={token}"),
        PeerMessage::Sync {
            token,
            committed_through,
        } => format!("SYNC token={token} committed={committed_through}"),
        PeerMessage::ClientWrite { request } => format!("write {request}"),
        PeerMessage::WriteCommitted {
            zxid,
            position,
            payload,
        } => format!("write {payload} committed at {zxid} (txn #{position})"),
        PeerMessage::Applied { zxid, .. } => format!("applied {zxid}"),
        PeerMessage::ClientSync => "sync".to_string(),
        PeerMessage::Synced => "synced".to_string(),
        PeerMessage::ClientRead => "read".to_string(),
        PeerMessage::ReadResult { last, position } => match last {
            Some(last) => format!("read {} (txn #{position})", render_txn(last)),
            None => format!("read nothing (txn #{position})"),
        },
        PeerMessage::ClientExists { path, watch } => format!("exists {path} watch={watch}"),
        PeerMessage::ExistsResult {
            stat: Some(stat),
            zxid,
        } => format!("exists: created at {} (applied through {zxid})", stat.czxid),
        PeerMessage::ExistsResult { stat: None, zxid } => {
            format!("exists: no node (applied through {zxid})")
        }
        PeerMessage::ClientGetData { path, watch } => format!("getData {path} watch={watch}"),
        PeerMessage::DataResult { answer, zxid } => match answer {
            Ok((_, stat)) => format!(
                "getData: created at {}, version {} (applied through {zxid})",
                stat.czxid, stat.version
            ),
            Err(error) => format!("getData: {error:?} (applied through {zxid})"),
        },
        PeerMessage::ClientGetChildren { path, watch } => {
            format!("getChildren {path} watch={watch}")
        }
        PeerMessage::ChildrenResult { answer, zxid } => match answer {
            Ok((children, _)) => format!("getChildren: {children:?} (applied through {zxid})"),
            Err(error) => format!("getChildren: {error:?} (applied through {zxid})"),
        },
        PeerMessage::ClientSetWatches {
            relative_zxid,
            exist_paths,
            child_paths,
        } => format!(
            "setWatches relative to {relative_zxid}: exists {exist_paths:?} children {child_paths:?}"
        ),
        PeerMessage::WatchNotification { event } => {
            format!("watch event {:?} {}", event.event_type, event.path)
        }
        PeerMessage::ClientConnect {
            last_zxid_seen,
            session,
            ..
        } => match session {
            Some(_) => format!("reconnect with its session having seen {last_zxid_seen}"),
            None => format!("connect for a new session having seen {last_zxid_seen}"),
        },
        PeerMessage::ConnectionClosed => "connection closed".to_string(),
        PeerMessage::ClientRevalidate { .. } => "revalidate session".to_string(),
        PeerMessage::Revalidate { token, .. } => format!("REVALIDATE token={token}"),
        PeerMessage::Revalidated { token, valid, .. } => {
            format!("REVALIDATE answer token={token} valid={valid}")
        }
        PeerMessage::SessionRevalidated { valid, .. } => {
            format!("session revalidated valid={valid}")
        }
    }
}

fn render_role(role: &Role) -> String {
    match role {
        Role::Looking(election) => match election.proposal {
            Some(vote) => format!(
                "LOOKING round={} voting for s{}",
                election.election_epoch, vote.leader
            ),
            None => format!("LOOKING round={}", election.election_epoch),
        },
        Role::Learning(learner) => {
            let phase = match learner.phase {
                LearnerPhase::Discovery => "discovery",
                LearnerPhase::Synchronization => "synchronization",
                LearnerPhase::Synced => "synced, waiting for UPTODATE",
                LearnerPhase::Broadcast => "broadcast",
            };
            let role = if learner.is_observer {
                "OBSERVING"
            } else {
                "FOLLOWING"
            };
            format!("{role} s{} ({phase})", learner.leader)
        }
        Role::Leading(leadership) => {
            let phase = match leadership.phase {
                LeaderPhase::Discovery => "discovery",
                LeaderPhase::Synchronization => "synchronization",
                LeaderPhase::Broadcast => "broadcast",
            };
            format!("LEADING ({phase})")
        }
    }
}

fn timer_name(timer: PeerTimer) -> &'static str {
    match timer {
        PeerTimer::Tick => "tick",
        PeerTimer::Settle => "settle",
        PeerTimer::ConfirmRound => "confirm-round",
        PeerTimer::SessionClock => "session-clock",
    }
}

fn timer_named(name: &str) -> Result<PeerTimer, String> {
    [
        PeerTimer::Tick,
        PeerTimer::Settle,
        PeerTimer::ConfirmRound,
        PeerTimer::SessionClock,
    ]
    .into_iter()
    .find(|timer| timer_name(*timer) == name)
    .ok_or(format!("no timer named {name}"))
}

#[test]
fn actor_names_round_trip() {
    assert_eq!(actor_name(client_id("c1").expect("a client")), "c1");
    assert_eq!(actor_name(2), "s2");
    assert!(client_id("x1").is_err());
}
