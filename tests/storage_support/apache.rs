//! Apache ZooKeeper 3.8 on loopback for interop tests: started and stopped with
//! `shared/tools/apache-zk.sh`, driven with zkCli. Every process started here is stopped when
//! its handle drops, also when a test fails, and every wait is bounded.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
/// Attempts at a complete zkCli dump before a test gives up.
const DUMP_ATTEMPTS: usize = 3;
const ZKCLI: &str = "/usr/share/zookeeper/bin/zkCli.sh";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The programs the tests need, or why they cannot run here.
pub struct Tools {
    script: PathBuf,
    cli: PathBuf,
}

impl Tools {
    /// The tools, or the reason to skip (printed by the caller).
    pub fn find() -> Result<Tools, String> {
        if !Path::new(ZOOKEEPER_JAR).exists() {
            return Err(format!(
                "{ZOOKEEPER_JAR} is absent (apt-get install -y zookeeper zookeeper-bin netcat-openbsd)"
            ));
        }
        if !Path::new(ZKCLI).exists() {
            return Err(format!("{ZKCLI} is absent"));
        }
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let candidates = [
            std::env::var_os("ZABKEEPER_APACHE_ZK_SCRIPT").map(PathBuf::from),
            Some(manifest.join("../shared/tools/apache-zk.sh")),
            Some(PathBuf::from("/work/shared/tools/apache-zk.sh")),
        ];
        let script = candidates
            .into_iter()
            .flatten()
            .find(|candidate| candidate.exists())
            .ok_or("shared/tools/apache-zk.sh was not found beside the repository")?;
        Ok(Tools {
            script,
            cli: PathBuf::from(ZKCLI),
        })
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("bound").port()
}

/// A standalone Apache ZooKeeper whose `dataDir` is `<directory>/n1/data`.
pub struct ApacheZooKeeper {
    script: PathBuf,
    cli: PathBuf,
    directory: PathBuf,
    port: u16,
    pid: Option<u32>,
}

impl ApacheZooKeeper {
    /// The `dataDir` the script configures for `directory`; files put there before `start`
    /// are what the server loads.
    pub fn data_dir(directory: &Path) -> PathBuf {
        directory.join("n1").join("data")
    }

    /// Starts a server with the JVM system properties in `java_options` and waits until it
    /// serves sessions.
    pub fn start(tools: &Tools, directory: &Path, java_options: &str) -> ApacheZooKeeper {
        let port = free_port();
        let status = Command::new("bash")
            .arg(&tools.script)
            .arg("start1")
            .arg(directory)
            .arg(port.to_string())
            .env("JAVA_TOOL_OPTIONS", java_options)
            .status()
            .expect("run apache-zk.sh");
        assert!(status.success(), "apache-zk.sh start1 failed");
        let pid = std::fs::read_to_string(directory.join("n1.pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok());
        let zookeeper = ApacheZooKeeper {
            script: tools.script.clone(),
            cli: tools.cli.clone(),
            directory: directory.to_path_buf(),
            port,
            pid,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while !zookeeper.serves() {
            assert!(
                Instant::now() < deadline,
                "ZooKeeper did not start within {START_TIMEOUT:?}; its log:\n{}",
                zookeeper.log()
            );
            thread::sleep(Duration::from_millis(200));
        }
        zookeeper
    }

    /// Whether the server serves sessions. `ruok` answers `imok` while the server is still
    /// loading its database and refuses sessions; `srvr` names the mode only once it serves.
    fn serves(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = String::new();
        stream.write_all(b"srvr").is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.contains("Mode: standalone")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.directory.join("n1").join("zk.log")).unwrap_or_default()
    }

    fn cli_command(&self) -> Command {
        let mut command = Command::new(&self.cli);
        command
            .arg("-server")
            .arg(format!("127.0.0.1:{}", self.port))
            // zkCli prints times in the local zone: make it the one the tests render.
            .env("TZ", "UTC")
            .env_remove("JAVA_TOOL_OPTIONS");
        command
    }

    /// Runs `commands` in one zkCli session and returns what it printed on stdout.
    pub fn cli(&self, commands: &[String]) -> String {
        let mut child = self
            .cli_command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start zkCli");
        let mut input = commands.join("\n");
        input.push_str("\nquit\n");
        let mut stdin = child.stdin.take().expect("piped");
        let writer = thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let mut stdout = child.stdout.take().expect("piped");
        let reader = thread::spawn(move || {
            let mut output = String::new();
            let _ = stdout.read_to_string(&mut output);
            output
        });
        let deadline = Instant::now() + CLI_TIMEOUT;
        loop {
            if child.try_wait().expect("wait for zkCli").is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("zkCli did not finish within {CLI_TIMEOUT:?}");
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = writer.join();
        reader.join().expect("zkCli output")
    }

    /// A zkCli session that stays open (its ephemerals live) until the handle drops.
    pub fn open_session(&self, commands: &[String]) -> OpenSession {
        let mut child = self
            .cli_command()
            .stdin(Stdio::piped())
            .stdout(
                std::fs::File::create(self.directory.join("open-session.out"))
                    .expect("create the open session's output file"),
            )
            .stderr(Stdio::null())
            .spawn()
            .expect("start zkCli");
        let stdin = child.stdin.take().expect("piped");
        let output = self.directory.join("open-session.out");
        let mut session = OpenSession {
            child,
            stdin,
            output,
        };
        for command in commands {
            session.send(command);
        }
        session
    }

    /// zkCli's dump of every znode: `ls -R /`, then per znode `version`, `get -s`, `getAcl`
    /// (see `zkcli.rs`), after `addauth digest` with each of `digest_users` (`user:password`).
    pub fn dump(&self, digest_users: &[&str]) -> String {
        // zkCli runs piped commands even when its session is not connected yet (on a loaded
        // machine the first connect can be slow), and then prints nothing for them: a listing
        // without `/` or a dump without a block per path is retried, a bounded number of times.
        for _ in 0..DUMP_ATTEMPTS {
            let listing = self.cli(&["ls -R /".to_string()]);
            let paths: Vec<&str> = listing
                .lines()
                .filter(|line| line.starts_with('/'))
                .collect();
            if !paths.contains(&"/") {
                continue;
            }
            let mut commands: Vec<String> = digest_users
                .iter()
                .map(|user| format!("addauth digest {user}"))
                .collect();
            commands.push("ls -R /".into());
            for path in &paths {
                commands.push("version".into());
                commands.push(format!("get -s {path}"));
                commands.push(format!("getAcl {path}"));
            }
            let dump = self.cli(&commands);
            let blocks = dump
                .lines()
                .filter(|line| line.starts_with("ZooKeeper CLI version:"))
                .count();
            if blocks == paths.len() {
                return dump;
            }
        }
        panic!(
            "zkCli gave no complete dump in {DUMP_ATTEMPTS} attempts; the server's log:\n{}",
            self.log()
        );
    }

    /// Stops the server and waits until its process is gone (killing it if it lingers).
    pub fn stop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg(&self.directory)
            .stderr(Stdio::null())
            .status();
        let Some(pid) = self.pid.take() else { return };
        let alive = || Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while alive() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(100));
        }
        if alive() {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

impl Drop for ApacheZooKeeper {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.split(") ")
                .nth(1)
                .is_some_and(|rest| rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

/// A zkCli process kept running; killed when dropped.
pub struct OpenSession {
    child: Child,
    stdin: ChildStdin,
    output: PathBuf,
}

impl OpenSession {
    /// Sends one more command. zkCli may drop a command it read before its session connected,
    /// so a caller waiting for an effect sends the command again until it sees it.
    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("write to zkCli");
        self.stdin.flush().expect("flush zkCli's input");
    }

    /// What the session's zkCli printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }
}

impl Drop for OpenSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
