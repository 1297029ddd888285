//! Runs an ensemble of real `zabkeeper` processes on loopback: every member has its own data
//! directory and client port, all share the `server.N` lines, and every process is killed when
//! the test ends.

use super::proxy::FaultProxy;
use super::{free_port, free_ports, spawn_with};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};
use zookeeper_client as zk;

/// A persistent node anyone may do anything with.
pub fn open() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

/// A session on `addresses` (one member, or a connect string of several) with a 20 s timeout,
/// long enough to outlive every failover the tests cause.
pub async fn connect(addresses: &str) -> zk::Client {
    zk::Client::connector()
        .with_session_timeout(Duration::from_secs(20))
        .connect(addresses)
        .await
        .unwrap_or_else(|error| panic!("connects to {addresses}: {error}"))
}

/// Blocks the test's thread (waiting for an election, killing a process) without stalling
/// the clients' runtime.
pub fn blocking<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// How long an ensemble may take to elect and establish a leader in these tests.
pub const ELECTION_WAIT: Duration = Duration::from_secs(60);

pub struct Member {
    pub id: u64,
    pub observer: bool,
    /// Arguments after `server --config zoo.cfg`.
    arguments: Vec<String>,
    process: Option<Child>,
    client_port: u16,
    directory: PathBuf,
}

pub struct Ensemble {
    pub members: Vec<Member>,
    /// With [`Ensemble::start_partitionable`]: a proxy on every connection a member dials,
    /// by (dialing member index, dialed member index).
    proxies: Vec<(usize, usize, FaultProxy)>,
}

impl Member {
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }

    /// Where `server --trace` writes, for a traced ensemble.
    pub fn trace_path(&self) -> PathBuf {
        self.directory.join("trace.jsonl")
    }

    pub fn config_path(&self) -> PathBuf {
        self.directory.join("zoo.cfg")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.directory.join("server.log")).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        self.process
            .as_mut()
            .is_some_and(|process| matches!(process.try_wait(), Ok(None)))
    }

    /// Whether the member's process was started and has died since (Linux: a dead child
    /// stays a zombie until it is waited for).
    pub fn has_exited(&self) -> bool {
        let Some(process) = &self.process else {
            return false;
        };
        match std::fs::read_to_string(format!("/proc/{}/stat", process.id())) {
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
            Err(_) => true,
        }
    }

    /// What a four-letter word answers, or an empty string when nothing answers.
    pub fn four_letter_word(&self, word: &str) -> String {
        let address: SocketAddr = self.address().parse().expect("an address");
        let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500))
        else {
            return String::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.write_all(word.as_bytes());
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }

    /// The `Mode:` line of `srvr` while the member serves: leader, follower or observer.
    pub fn mode(&self) -> Option<String> {
        self.four_letter_word("srvr")
            .lines()
            .find_map(|line| line.strip_prefix("Mode: ").map(str::to_string))
    }

    /// The `Zxid:` line of `srvr`.
    pub fn last_zxid(&self) -> Option<u64> {
        self.four_letter_word("srvr").lines().find_map(|line| {
            line.strip_prefix("Zxid: 0x")
                .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        })
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// SIGTERM, and waits for the process to finish its batch in flight and exit.
    pub fn stop(&mut self) {
        self.signal("-TERM");
        let mut process = self.process.take().expect("a running member");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            match process.try_wait().expect("waits for the process") {
                Some(status) => break status,
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                None => {
                    let _ = process.kill();
                    panic!("server {} did not stop within 30 s of SIGTERM", self.id);
                }
            }
        };
        assert!(status.success(), "server {} stopped with {status}", self.id);
    }

    /// SIGSTOP: the process stops where it is, its connections open and unread, as a VM
    /// freeze or a stalled disk stops a real server.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT after [`Member::pause`].
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let process = self.process.as_ref().expect("a running member");
        let status = std::process::Command::new("kill")
            .args([signal, &process.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} server {}", self.id);
    }

    /// A new process on the same data directory and ports.
    pub fn start(&mut self) {
        assert!(self.process.is_none(), "server {} still runs", self.id);
        self.process = Some(spawn_with(
            &self.config_path(),
            &self.directory,
            &self.arguments,
        ));
    }
}

impl Ensemble {
    /// `voters` voting members (ids 1..) and `observers` observers after them, with
    /// tickTime 500 ms, initLimit 10 and syncLimit 5; waits until a leader serves and every
    /// member with it.
    pub fn start(voters: usize, observers: usize) -> Ensemble {
        Ensemble::start_with(voters, observers, "")
    }

    /// [`Ensemble::start`] with `extra_lines` in every zoo.cfg.
    pub fn start_with(voters: usize, observers: usize, extra_lines: &str) -> Ensemble {
        Ensemble::launch(voters, observers, extra_lines, false, None)
    }

    /// [`Ensemble::start`] with every member writing a trace (`server --trace`), and the
    /// seeded driver bug `driver_mutation` when given.
    pub fn start_traced(voters: usize, driver_mutation: Option<&str>) -> Ensemble {
        Ensemble::launch(voters, 0, "", false, Some(driver_mutation))
    }

    /// [`Ensemble::start_traced`] without a driver bug, with `extra_lines` in every zoo.cfg.
    pub fn start_traced_with(voters: usize, extra_lines: &str) -> Ensemble {
        Ensemble::launch(voters, 0, extra_lines, false, Some(None))
    }

    /// [`Ensemble::start`] with a fault-injecting proxy on every connection between members
    /// (the higher id dials the lower: each member's zoo.cfg names the proxies as the lower
    /// members' ports), so that [`Ensemble::isolate`] can cut one off.
    pub fn start_partitionable(voters: usize) -> Ensemble {
        Ensemble::launch(voters, 0, "", true, None)
    }

    fn launch(
        voters: usize,
        observers: usize,
        extra_lines: &str,
        proxied: bool,
        traced: Option<Option<&str>>,
    ) -> Ensemble {
        let base = std::env::temp_dir().join(format!(
            "zabkeeper-ensemble-{}-{}",
            std::process::id(),
            free_port()
        ));
        let count = voters + observers;
        // Quorum and election ports, then client ports: all distinct.
        let mut fresh_ports = free_ports(3 * count).into_iter();
        let ports: Vec<(u16, u16)> = (0..count)
            .map(|_| {
                let quorum = fresh_ports.next().expect("enough ports");
                (quorum, fresh_ports.next().expect("enough ports"))
            })
            .collect();
        let mut proxies = Vec::new();
        if proxied {
            for dialer in 0..count {
                for (dialed, &(quorum, election)) in ports.iter().enumerate().take(dialer) {
                    for port in [quorum, election] {
                        let target: SocketAddr = ([127, 0, 0, 1], port).into();
                        proxies.push((dialer, dialed, FaultProxy::start(target)));
                    }
                }
            }
        }
        // The server.N lines as member `me` sees them.
        let server_lines = |me: usize| {
            let mut lines = String::new();
            for (index, &own_ports) in ports.iter().enumerate() {
                let id = index + 1;
                let role = if id > voters { ":observer" } else { "" };
                let (quorum, election) = if proxied && index < me {
                    let mut through = proxies
                        .iter()
                        .filter(|(dialer, dialed, _)| *dialer == me && *dialed == index)
                        .map(|(_, _, proxy)| proxy.port());
                    (
                        through.next().expect("a quorum proxy"),
                        through.next().expect("an election proxy"),
                    )
                } else {
                    own_ports
                };
                lines.push_str(&format!(
                    "server.{id}=127.0.0.1:{quorum}:{election}{role}\n"
                ));
            }
            lines
        };
        let mut members = Vec::new();
        for id in 1..=count {
            let server_lines = server_lines(id - 1);
            let directory = base.join(format!("server{id}"));
            let data = directory.join("data");
            std::fs::create_dir_all(&data).expect("a data directory");
            std::fs::write(data.join("myid"), format!("{id}\n")).expect("myid");
            let client_port = fresh_ports.next().expect("enough ports");
            let peer_type = if id > voters {
                "peerType=observer\n"
            } else {
                ""
            };
            std::fs::write(
                directory.join("zoo.cfg"),
                format!(
                    "tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={client_port}\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nminSessionTimeout=1000\nmaxSessionTimeout=30000\n{peer_type}{server_lines}{extra_lines}",
                    data.display()
                ),
            )
            .expect("zoo.cfg");
            let mut arguments = Vec::new();
            if let Some(driver_mutation) = traced {
                arguments.push("--trace".to_string());
                arguments.push(directory.join("trace.jsonl").display().to_string());
                if let Some(mutation) = driver_mutation {
                    arguments.push("--driver-mutation".to_string());
                    arguments.push(mutation.to_string());
                }
            }
            members.push(Member {
                id: id as u64,
                observer: id > voters,
                arguments,
                process: None,
                client_port,
                directory,
            });
        }
        for member in &mut members {
            member.start();
        }
        let ensemble = Ensemble { members, proxies };
        ensemble.wait_until_established();
        ensemble
    }

    /// Every member's client address, comma-separated: a connect string.
    pub fn connect_string(&self) -> String {
        self.members
            .iter()
            .map(Member::address)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The index of the member that leads, once a leader serves and every running member
    /// serves with it (as follower or observer).
    pub fn wait_until_established(&self) -> usize {
        let deadline = Instant::now() + ELECTION_WAIT;
        loop {
            if let Some(leader) = self.established_leader() {
                return leader;
            }
            if let Some(dead) = self.members.iter().find(|member| member.has_exited()) {
                panic!("server {} exited; logs:\n{}", dead.id, self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "no leader established within {ELECTION_WAIT:?}; logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn established_leader(&self) -> Option<usize> {
        let mut leader = None;
        for (index, member) in self.members.iter().enumerate() {
            if member.process.is_none() {
                continue;
            }
            match member.mode()?.as_str() {
                "leader" if leader.is_none() => leader = Some(index),
                "follower" if !member.observer => {}
                "observer" if member.observer => {}
                _ => return None,
            }
        }
        leader
    }

    /// Cuts every connection between member `index` and the others (both channels), and
    /// keeps them cut until [`Ensemble::heal`].
    pub fn isolate(&self, index: usize) {
        for (dialer, dialed, proxy) in &self.proxies {
            if *dialer == index || *dialed == index {
                proxy.cut();
            }
        }
    }

    /// Stalls every connection between member `index` and the others (both channels): no
    /// byte moves and none is reset, as in a real partition, until [`Ensemble::heal`].
    pub fn stall(&self, index: usize) {
        for (dialer, dialed, proxy) in &self.proxies {
            if *dialer == index || *dialed == index {
                proxy.stall();
            }
        }
    }

    /// Lets every connection through again.
    pub fn heal(&self) {
        for (_, _, proxy) in &self.proxies {
            proxy.heal();
        }
    }

    /// The index of the member that serves as leader now, if one does.
    pub fn leader(&self) -> Option<usize> {
        self.members.iter().position(|member| {
            member.process.is_some() && member.mode().as_deref() == Some("leader")
        })
    }

    /// Every member's log, headed by its id, for a failing assertion.
    pub fn logs(&self) -> String {
        self.members
            .iter()
            .map(|member| format!("==== server {} ====\n{}", member.id, member.log()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        for member in &mut self.members {
            member.kill();
        }
        if let Some(base) = self
            .members
            .first()
            .and_then(|member| member.directory.parent())
        {
            if !std::thread::panicking() {
                let _ = std::fs::remove_dir_all(base);
            }
        }
    }
}
