//! Runs the real `zabkeeper` binary on a free loopback port with its own data directory, and
//! kills it when the test ends, whatever the outcome.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

pub mod apache;
pub mod ensemble;
pub mod history;
pub mod proxy;

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    process: Child,
    port: u16,
    directory: PathBuf,
}

/// `count` distinct free loopback ports: every listener is held until all are chosen, so
/// the system cannot hand out one port twice.
pub fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    listeners
        .iter()
        .map(|listener| listener.local_addr().expect("a bound address").port())
        .collect()
}

/// Waits up to a minute until `address` answers `ruok` with `imok`; panics with `failure()`.
pub fn wait_for_imok(address: &str, failure: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let address: SocketAddr = address.parse().expect("an address");
    loop {
        if let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
            // Apache ZooKeeper 3.8 can leave a four-letter word's socket open when it arrives
            // before its database is loaded (a NullPointerException while closing it): without
            // a read timeout this waits forever.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(b"ruok");
            let mut answer = String::new();
            let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
            if answer == "imok" {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{}", failure());
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

impl Server {
    pub fn start() -> Server {
        Server::start_with("")
    }

    /// A server whose zoo.cfg has `extra_lines` (ZooKeeper keys, one per line) after the
    /// defaults of these tests.
    pub fn start_with(extra_lines: &str) -> Server {
        let directory = std::env::temp_dir().join(format!(
            "zabkeeper-test-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&directory).expect("a data directory");
        let port = free_port();
        let config = directory.join("zoo.cfg");
        let mut file = std::fs::File::create(&config).expect("zoo.cfg");
        writeln!(
            file,
            "tickTime=500\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nminSessionTimeout=1000\nmaxSessionTimeout=30000\n{extra_lines}",
            directory.join("data").display()
        )
        .expect("writes zoo.cfg");
        let process = spawn(&config, &directory);
        let server = Server {
            process,
            port,
            directory,
        };
        server.wait_until_serving();
        server
    }

    /// Its zoo.cfg.
    pub fn config_path(&self) -> PathBuf {
        self.directory.join("zoo.cfg")
    }

    /// The `dataDir` of its zoo.cfg.
    pub fn data_directory(&self) -> PathBuf {
        self.directory.join("data")
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Answers `ruok`, and then grants sessions: the server binds its port only after
    /// recovery, and grants sessions only once it leads itself, a moment later.
    fn wait_until_serving(&self) {
        self.wait_until_answering_ruok();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.grants_a_session() {
            assert!(
                Instant::now() < deadline,
                "the server did not start granting sessions"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens a session with a raw handshake and closes it again.
    fn grants_a_session(&self) -> bool {
        let address: SocketAddr = self.address().parse().expect("an address");
        let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        // ConnectRequest {protocolVersion 0, lastZxidSeen 0, timeOut 10000, sessionId 0,
        // passwd 16 zero bytes, readOnly false}, framed.
        let mut connect = Vec::new();
        connect.extend_from_slice(&45_i32.to_be_bytes());
        connect.extend_from_slice(&[0; 12]);
        connect.extend_from_slice(&10_000_i32.to_be_bytes());
        connect.extend_from_slice(&[0; 8]);
        connect.extend_from_slice(&16_i32.to_be_bytes());
        connect.extend_from_slice(&[0; 17]);
        if stream.write_all(&connect).is_err() {
            return false;
        }
        // ConnectResponse: protocolVersion, timeOut, then the session id.
        let mut answer = [0; 20];
        if std::io::Read::read_exact(&mut stream, &mut answer).is_err() {
            return false;
        }
        let session_id = i64::from_be_bytes(answer[12..20].try_into().expect("8 bytes"));
        // closeSession (op -11) under xid 1, so the probe leaves no session behind.
        let mut close = Vec::new();
        close.extend_from_slice(&8_i32.to_be_bytes());
        close.extend_from_slice(&1_i32.to_be_bytes());
        close.extend_from_slice(&(-11_i32).to_be_bytes());
        let _ = stream.write_all(&close);
        let _ = std::io::Read::read_to_end(&mut stream, &mut Vec::new());
        session_id != 0
    }

    fn wait_until_answering_ruok(&self) {
        wait_for_imok(&self.address(), || {
            "the server did not start serving".to_string()
        });
    }

    /// Whether the process is still running (it has neither exited nor crashed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(None))
    }

    /// What the server wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.directory.join("server.log")).unwrap_or_default()
    }

    /// SIGKILL, then a new process on the same data directory and port.
    pub fn kill_and_restart(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        self.process = spawn(&self.directory.join("zoo.cfg"), &self.directory);
        self.wait_until_serving();
    }

    /// SIGTERM, and the exit status once the process is gone (SIGKILL after `limit`).
    pub fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM delivered");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.process.try_wait().expect("waits") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.process.kill();
                panic!("the server did not stop within {limit:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A new process on the same data directory and port, after the last one stopped.
    pub fn restart(&mut self) {
        self.process = spawn(&self.directory.join("zoo.cfg"), &self.directory);
        self.wait_until_serving();
    }
}

pub fn spawn(config: &std::path::Path, directory: &std::path::Path) -> Child {
    spawn_with(config, directory, &[])
}

/// Starts `zabkeeper server --config <config> <arguments>`, its stderr in `server.log`. The
/// binary is the one cargo built for the tests, or `ZABKEEPER_BINARY` when set (to run a test
/// against another build, such as the one before a fix, and see it fail).
pub fn spawn_with(
    config: &std::path::Path,
    directory: &std::path::Path,
    arguments: &[String],
) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(directory.join("server.log"))
        .expect("a log file");
    let binary = std::env::var_os("ZABKEEPER_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_zabkeeper").into());
    Command::new(binary)
        .args(["server", "--config"])
        .arg(config)
        .args(arguments)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the zabkeeper binary starts")
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}
