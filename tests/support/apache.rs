//! Apache ZooKeeper 3.8 (Debian's `zookeeper` package) as the reference server: started
//! standalone on a free loopback port with the same timing settings as [`super::Server`], and
//! killed when the test ends.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const JAR: &str = "/usr/share/java/zookeeper.jar";
const CLASSPATH: &str = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

pub struct ApacheZooKeeper {
    process: Child,
    port: u16,
    directory: PathBuf,
}

impl ApacheZooKeeper {
    /// The reference server, or `None` when Debian's package is not installed. CI installs
    /// it and sets `ZABKEEPER_REQUIRE_REFERENCE=1`, which turns its absence into a failure.
    pub fn start() -> Option<ApacheZooKeeper> {
        if !std::path::Path::new(JAR).exists() {
            assert!(
                std::env::var_os("ZABKEEPER_REQUIRE_REFERENCE").is_none(),
                "Apache ZooKeeper is required (apt-get install zookeeper) but {JAR} is missing"
            );
            eprintln!("skipping the comparison with Apache ZooKeeper: {JAR} is not installed");
            return None;
        }
        let port = super::free_port();
        let directory =
            std::env::temp_dir().join(format!("apache-zk-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(directory.join("data")).expect("a data directory");
        let config = directory.join("zoo.cfg");
        let mut file = std::fs::File::create(&config).expect("zoo.cfg");
        writeln!(
            file,
            "tickTime=500\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             4lw.commands.whitelist=*\nminSessionTimeout=1000\nmaxSessionTimeout=30000\n\
             admin.enableServer=false\nmaxClientCnxns=0",
            directory.join("data").display()
        )
        .expect("writes zoo.cfg");
        let log = std::fs::File::create(directory.join("zk.log")).expect("a log file");
        let process = Command::new("java")
            .args(["-Xmx512m", "-cp", CLASSPATH])
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&config)
            .current_dir(&directory)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log handle"))
            .stderr(log)
            .spawn()
            .expect("java starts");
        let server = ApacheZooKeeper {
            process,
            port,
            directory,
        };
        server.wait_until_serving();
        Some(server)
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn wait_until_serving(&self) {
        super::wait_for_imok(&self.address(), || {
            format!(
                "Apache ZooKeeper did not start; its log:\n{}",
                std::fs::read_to_string(self.directory.join("zk.log")).unwrap_or_default()
            )
        });
    }
}

impl Drop for ApacheZooKeeper {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}
