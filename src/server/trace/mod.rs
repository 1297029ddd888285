//! Trace validation: the driver can write every event its peer handles and every command the
//! peer emits as JSON lines, with the moments the driver made a batch durable and released its
//! messages. [`replay`] runs a trace through a fresh model peer and demands the very same
//! commands at every step, so a run of the server is shown to be a run of the model; it also
//! checks the durability contract on the driver's own records (nothing a step sent left before
//! the sync covering its save). [`check_ensemble`] adds the cross-server properties on what
//! the servers delivered.
//!
//! It also follows the server's disk ([`disk`]): before each persist the driver records the
//! plan it performs, after it what it made durable; replay checks that this is what the
//! model saved, and that every restart recovered what the run before it had made durable (or
//! what a prefix of the persist it died in left). A trace follows one data directory: a
//! server whose directories are wiped starts a new trace.

mod disk;
#[cfg(test)]
mod disk_tests;

pub use disk::{
    appends_match_model, compact, hashed, hashed_plan, same_disk, txn_hash, DiskRecord,
    DurableDigest, HashedDurable, TxnHash,
};

use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Seek, Write};
use std::path::Path;
use std::time::Duration;
use zabkeeper_models::election::Membership;
use zabkeeper_models::replica::{Database, Replica};
use zabkeeper_models::request::PrepareConfig;
use zabkeeper_models::session::SessionConfig;
use zabkeeper_models::zab::{
    id_of, Durable, Input, Message, Peer, PeerMessage, PeerState, PeerTimer, PersistPlan,
    StepAnswer,
};
use zabkeeper_models::{ServerId, Zxid};

/// Where a peer sends the outcome of every applied txn (its driver).
pub const APPLY_SINK: usize = usize::MAX;

/// FLE's finalizeWait: how long a quorum's agreement must stand before the peer decides. It
/// only guards against a better vote still in flight, and notifications between members cross
/// a LAN in well under a millisecond; ZooKeeper's 200 ms would be most of a failover.
pub const FINALIZE_WAIT: Duration = Duration::from_millis(50);

/// How often a LOOKING server resends its vote (ZooKeeper starts its notification timeout
/// at 200 ms): when two servers lose their leader at once, each may answer the other's first
/// vote while still following, and the election waits for this resend.
pub const VOTE_RESEND_INTERVAL: Duration = Duration::from_millis(100);

/// Everything that shapes a peer: the driver builds its peer from this, and so does replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerSettings {
    pub me: ServerId,
    pub membership: Membership,
    pub prepare: PrepareConfig,
    pub sessions: SessionConfig,
    pub tick_ms: u64,
    pub sync_limit_ticks: u32,
    pub init_limit_ticks: u32,
}

impl PeerSettings {
    pub fn peer(&self) -> Peer<Replica> {
        let replica = Replica::new(self.me, self.prepare.clone(), self.sessions);
        let mut peer = Peer::new(self.me, self.membership.clone(), replica);
        // ZooKeeper's leader pings every half tick; the failure detector counts half ticks.
        let half_tick = Duration::from_millis(self.tick_ms / 2);
        peer.tick = Some(half_tick..half_tick);
        peer.settle = FINALIZE_WAIT..FINALIZE_WAIT;
        peer.looking_tick = VOTE_RESEND_INTERVAL..VOTE_RESEND_INTERVAL;
        peer.silent_ticks_max = 2 * self.sync_limit_ticks.max(1);
        peer.silent_ticks_max_joining = 2 * self.init_limit_ticks.max(1);
        peer.apply_sink = Some(Id::from(APPLY_SINK));
        peer
    }
}

/// What the driver asked of its peer in one step: the models' typed input, so that the driver,
/// replay and the model checker hand the peer the very same events.
pub type TraceEvent = Input<Replica>;

/// What a step returned besides its commands.
pub type Answer = StepAnswer<Database>;

/// An [`Answer`] as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TracedAnswer {
    Nothing,
    Alive(bool),
    /// The snapshot's zxid.
    Compacted(Option<u64>),
}

/// How the trace records what a step returned.
pub fn traced(answer: &Answer) -> TracedAnswer {
    match answer {
        StepAnswer::Nothing => TracedAnswer::Nothing,
        StepAnswer::Alive(alive) => TracedAnswer::Alive(*alive),
        StepAnswer::Compacted(snapshot) => {
            TracedAnswer::Compacted(snapshot.as_ref().map(|snapshot| snapshot.zxid.0))
        }
    }
}

/// A command as the trace records it. A save is recorded by what it makes durable, not by
/// the whole history it carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TracedCommand {
    Send {
        to: usize,
        message: Message<Replica>,
    },
    SetTimer {
        timer: PeerTimer,
        ms: u64,
    },
    CancelTimer {
        timer: PeerTimer,
    },
    Save {
        accepted_epoch: u32,
        current_epoch: u32,
        snapshot_zxid: u64,
        last_zxid: u64,
        history_len: usize,
    },
    ChooseRandom,
}

impl TracedCommand {
    pub fn of(command: &Command<Message<Replica>, PeerTimer, ServerId, Durable<Replica>>) -> Self {
        match command {
            Command::Send(to, message) => TracedCommand::Send {
                to: usize::from(*to),
                message: message.clone(),
            },
            Command::SetTimer(timer, range) => TracedCommand::SetTimer {
                timer: *timer,
                ms: range.start.as_millis() as u64,
            },
            Command::CancelTimer(timer) => TracedCommand::CancelTimer { timer: *timer },
            Command::Save(durable) => TracedCommand::Save {
                accepted_epoch: durable.accepted_epoch.0,
                current_epoch: durable.current_epoch.0,
                snapshot_zxid: durable.base_zxid().0,
                last_zxid: durable.last_zxid().0,
                history_len: durable.history.len(),
            },
            Command::ChooseRandom(..) => TracedCommand::ChooseRandom,
        }
    }
}

/// One line of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TraceLine {
    /// The peer starts (a process start): its settings and the durable state recovery found
    /// (what replay checks against what the run before had made durable).
    Start {
        settings: PeerSettings,
        durable: Durable<Replica>,
        commands: Vec<TracedCommand>,
    },
    Step {
        step: u64,
        /// A [`TraceEvent`] (kept as JSON: the driver records it before the peer consumes it).
        event: serde_json::Value,
        commands: Vec<TracedCommand>,
        answer: TracedAnswer,
        /// The established leader's epoch after the step, if the peer is one.
        leading_epoch: Option<u32>,
    },
    /// The driver starts a persist covering the saves of the steps before `before_step`:
    /// these steps, each durable before the next. Written to the file before the first of
    /// them, so that a crash in the middle of the persist finds it recorded.
    Persisting {
        before_step: u64,
        plan: PersistPlan<TxnHash, ()>,
    },
    /// Everything the steps before `before_step` saved is durable, and the disk holds
    /// `durable`.
    Persisted {
        before_step: u64,
        durable: DurableDigest,
    },
    /// Everything the steps before `before_step` sent has been released.
    Released { before_step: u64 },
}

/// Appends trace lines to a file.
pub struct TraceWriter {
    file: std::io::BufWriter<std::fs::File>,
}

impl TraceWriter {
    pub fn open(path: &Path) -> std::io::Result<TraceWriter> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        // A process killed in the middle of a line (a SNAP's line is megabytes long, written
        // in many pieces) leaves it torn: this run starts on a line of its own, so that replay
        // sees the torn line end the run before it.
        if file.metadata()?.len() > 0 {
            let mut last = [0u8; 1];
            file.seek(std::io::SeekFrom::End(-1))?;
            file.read_exact(&mut last)?;
            if last != *b"\n" {
                file.write_all(b"\n")?;
            }
        }
        Ok(TraceWriter {
            file: std::io::BufWriter::new(file),
        })
    }

    pub fn write(&mut self, line: &TraceLine) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.file, line).map_err(std::io::Error::other)?;
        self.file.write_all(b"\n")
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// What one run (one process start) of a server delivered and led.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSummary {
    pub server: u64,
    /// (zxid, the outcome's JSON) of every txn applied, in order, in stretches: a new one
    /// starts at each synchronisation with a leader (a SNAP replaces the applied state
    /// without applying txn by txn).
    pub delivered: Vec<Vec<(u64, String)>>,
    /// The epochs this run established leadership in.
    pub led_epochs: Vec<u32>,
    pub steps: u64,
    /// Whether this run's start was checked against what the run before it had made
    /// durable (false for a trace's first run).
    pub continuity_checked: bool,
}

/// Replays every run in the trace at `path` through a fresh model peer. Fails, naming the
/// line, at the first command that differs, the first message released before the sync of
/// the save its step made, the first persist that did not make durable what the model saved,
/// or the first restart that did not recover what the server had made durable.
pub fn replay(path: &Path) -> Result<Vec<RunSummary>, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut runs = Vec::new();
    let mut run: Option<Replay> = None;
    let lines: Vec<String> = std::io::BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|error| format!("{}: {error}", path.display()))?;
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        let at = |message: String| format!("{}:{number}: {message}", path.display());
        if line.is_empty() {
            continue;
        }
        let line: TraceLine = match serde_json::from_str(line) {
            Ok(line) => line,
            // A process killed while writing leaves a torn last line for that run.
            Err(_) if ends_a_run(&lines[index + 1..]) => continue,
            Err(error) => return Err(at(format!("not a trace line: {error}"))),
        };
        if let TraceLine::Start { .. } = line {
            let disk_before = run.take().map(|finished| {
                runs.push(finished.summary);
                finished.disk
            });
            run = Some(Replay::start(line, disk_before).map_err(at)?);
            continue;
        }
        let Some(current) = run.as_mut() else {
            return Err(at("a trace line before the peer started".to_string()));
        };
        current.line(line).map_err(at)?;
    }
    runs.extend(run.map(|finished| finished.summary));
    Ok(runs)
}

/// Whether `rest` (the lines after one) begins a new run or is empty.
fn ends_a_run(rest: &[String]) -> bool {
    match rest.iter().find(|line| !line.is_empty()) {
        None => true,
        Some(next) => next.starts_with("{\"Start\""),
    }
}

struct Replay {
    peer: Peer<Replica>,
    state: Cow<'static, PeerState<Replica>>,
    summary: RunSummary,
    /// Steps that saved and sent, waiting for the sync that covers them.
    awaiting_sync: Vec<u64>,
    /// What the server's disk holds, as its persists recorded it.
    disk: DiskRecord,
}

fn compare(
    step: &str,
    recorded: &[TracedCommand],
    replayed: &[TracedCommand],
) -> Result<(), String> {
    if recorded == replayed {
        return Ok(());
    }
    Err(format!(
        "{step}: the server emitted\n  {recorded:?}\nwhere the model emits\n  {replayed:?}"
    ))
}

impl Replay {
    /// Starts replaying a run; `disk_before` is the disk the run before it left, if any.
    fn start(line: TraceLine, disk_before: Option<DiskRecord>) -> Result<Replay, String> {
        let TraceLine::Start {
            settings,
            durable,
            commands,
        } = line
        else {
            unreachable!("called with a start line");
        };
        let recovered = hashed(&durable);
        if let Some(disk_before) = &disk_before {
            disk_before
                .restarted(&recovered)
                .map_err(|failure| format!("start of server {}: {failure}", settings.me.0))?;
        }
        let peer = settings.peer();
        let mut out = Out::new();
        let state = peer.on_start(id_of(settings.me), &Some(durable), &mut out);
        let replayed: Vec<TracedCommand> = out.iter().map(TracedCommand::of).collect();
        compare("start", &commands, &replayed)?;
        Ok(Replay {
            summary: RunSummary {
                server: settings.me.0,
                continuity_checked: disk_before.is_some(),
                ..RunSummary::default()
            },
            peer,
            state: Cow::Owned(state),
            awaiting_sync: Vec::new(),
            disk: DiskRecord::new(recovered),
        })
    }

    fn line(&mut self, line: TraceLine) -> Result<(), String> {
        match line {
            TraceLine::Start { .. } => unreachable!("handled by the caller"),
            TraceLine::Step {
                step,
                event,
                commands,
                answer,
                leading_epoch,
            } => {
                let event: TraceEvent = serde_json::from_value(event)
                    .map_err(|error| format!("step {step}: not an event: {error}"))?;
                if matches!(
                    event,
                    TraceEvent::Message {
                        message: PeerMessage::NewLeader(_),
                        ..
                    }
                ) || self.summary.delivered.is_empty()
                {
                    self.summary.delivered.push(Vec::new());
                }
                let mut out = Out::new();
                let replayed_answer = traced(&self.peer.step(&mut self.state, event, &mut out));
                if replayed_answer != answer {
                    return Err(format!(
                        "step {step}: the server answered {answer:?}, the model {replayed_answer:?}"
                    ));
                }
                let replayed: Vec<TracedCommand> = out.iter().map(TracedCommand::of).collect();
                compare(&format!("step {step}"), &commands, &replayed)?;
                let epoch = self.state.established_epoch().map(|epoch| epoch.0);
                if epoch != leading_epoch {
                    return Err(format!(
                        "step {step}: the server leads epoch {leading_epoch:?}, the model {epoch:?}"
                    ));
                }
                if let TracedAnswer::Compacted(Some(zxid)) = answer {
                    self.disk
                        .compacted(Zxid(zxid), self.state.durable.base_txn_count())
                        .map_err(|failure| format!("step {step}: {failure}"))?;
                }
                if let Some(epoch) = epoch {
                    if self.summary.led_epochs.last() != Some(&epoch) {
                        self.summary.led_epochs.push(epoch);
                    }
                }
                let saves = commands
                    .iter()
                    .any(|command| matches!(command, TracedCommand::Save { .. }));
                let sends = commands.iter().any(|command| {
                    matches!(command, TracedCommand::Send { to, .. } if *to != APPLY_SINK)
                });
                if saves && sends {
                    self.awaiting_sync.push(step);
                }
                for command in &commands {
                    if let TracedCommand::Send {
                        to: APPLY_SINK,
                        message: PeerMessage::Applied { zxid, outcome },
                    } = command
                    {
                        let outcome = serde_json::to_string(outcome).expect("outcomes serialize");
                        self.summary
                            .delivered
                            .last_mut()
                            .expect("a stretch is open")
                            .push((zxid.0, outcome));
                    }
                }
                self.summary.steps += 1;
                Ok(())
            }
            TraceLine::Persisting { before_step, plan } => {
                let at = |failure| format!("the persist before step {before_step}: {failure}");
                appends_match_model(&plan, &self.state.durable).map_err(at)?;
                self.disk.persisting(plan).map_err(at)
            }
            TraceLine::Persisted {
                before_step,
                durable,
            } => {
                let at = |failure| format!("the persist before step {before_step}: {failure}");
                self.disk.persisted(&durable).map_err(at)?;
                self.disk.matches_model(&self.state.durable).map_err(at)?;
                self.awaiting_sync.retain(|step| *step >= before_step);
                Ok(())
            }
            TraceLine::Released { before_step } => {
                match self.awaiting_sync.iter().find(|step| **step < before_step) {
                    Some(step) => Err(format!(
                        "the messages of step {step} were released before the sync of its save"
                    )),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The cross-server properties on what the runs of an ensemble delivered and led: at most
/// one server established leadership in any epoch (Leadership), and every zxid delivered
/// anywhere had the same outcome everywhere, with each run's deliveries a gapless stretch of
/// one common sequence (PrefixConsistency; a run may start from a snapshot).
pub fn check_ensemble(runs: &[RunSummary]) -> Result<(), String> {
    let mut leaders: BTreeMap<u32, u64> = BTreeMap::new();
    for run in runs {
        for epoch in &run.led_epochs {
            if let Some(other) = leaders.insert(*epoch, run.server) {
                if other != run.server {
                    return Err(format!(
                        "servers {other} and {} both led epoch {epoch}",
                        run.server
                    ));
                }
            }
        }
    }
    let mut outcomes: BTreeMap<u64, &str> = BTreeMap::new();
    for run in runs {
        for (zxid, outcome) in run.delivered.iter().flatten() {
            if let Some(other) = outcomes.insert(*zxid, outcome) {
                if other != outcome {
                    return Err(format!(
                        "zxid 0x{zxid:x} was delivered with different outcomes:\n  {other}\n  {outcome}"
                    ));
                }
            }
        }
    }
    let order: Vec<u64> = outcomes.keys().copied().collect();
    let position: BTreeMap<u64, usize> = order.iter().enumerate().map(|(i, z)| (*z, i)).collect();
    for run in runs {
        for pair in run.delivered.iter().flat_map(|stretch| stretch.windows(2)) {
            let (before, after) = (position[&pair[0].0], position[&pair[1].0]);
            if after != before + 1 {
                return Err(format!(
                    "server {} delivered 0x{:x} then 0x{:x}, skipping what others delivered between",
                    run.server, pair[0].0, pair[1].0
                ));
            }
        }
    }
    Ok(())
}
