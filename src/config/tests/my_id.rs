//! `myid` and whole files on disk, through `load_config` and `read_my_id`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{load_config, read_my_id};
use crate::models::ServerId;

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TemporaryDirectory(PathBuf);

impl TemporaryDirectory {
    fn new(test_name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "zabkeeper-config-{test_name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        Self(path)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, contents).expect("write a test file");
        path
    }
}

impl Drop for TemporaryDirectory {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn ensemble_config(data_dir: &Path) -> String {
    format!(
        "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={}\n\
         server.1=127.0.0.1:2888:3888;2181\n\
         server.2=127.0.0.1:2889:3889;2182\n\
         server.3=127.0.0.1:2890:3890;2183\n",
        data_dir.display()
    )
}

#[test]
fn a_myid_file_holds_a_decimal_id_with_whitespace_around() {
    let directory = TemporaryDirectory::new("myid-valid");
    for (contents, id) in [("3\n", 3), ("  7  \r\n", 7), ("0", 0), ("255\n\n", 255)] {
        let path = directory.write("myid", contents);
        assert_eq!(read_my_id(&path).expect("a valid myid"), ServerId(id));
    }
}

#[test]
fn a_myid_file_that_is_not_an_id_names_itself() {
    let directory = TemporaryDirectory::new("myid-invalid");
    // Debian's zookeeper package ships /etc/zookeeper/conf/myid with this instruction text.
    let debian_shipped_myid =
        "replace this text with the cluster-unique zookeeper's instance id (1-255)\n";
    for (contents, shown) in [
        (debian_shipped_myid, debian_shipped_myid.trim()),
        ("", ""),
        ("300\n", "300"),
        ("-1", "-1"),
        ("1\n2\n", "1\n2"),
    ] {
        let path = directory.write("myid", contents);
        let error = read_my_id(&path).expect_err("an invalid myid");
        assert_eq!(
            error.to_string(),
            format!(
                "{}: expected a server id between 0 and 255, got {shown:?}",
                path.display()
            )
        );
    }
}

#[test]
fn an_ensemble_reads_myid_from_its_data_dir() {
    let directory = TemporaryDirectory::new("load-ensemble");
    let config_file = directory.write("zoo.cfg", &ensemble_config(&directory.0));
    directory.write("myid", "3\n");
    let loaded = load_config(&config_file).expect("a valid ensemble");
    let ensemble = loaded.config.ensemble.expect("an ensemble");
    assert_eq!(ensemble.my_id, ServerId(3));
    assert_eq!(loaded.config.client_address.port, 2183);
}

#[test]
fn an_ensemble_without_myid_says_why_it_needs_one() {
    let directory = TemporaryDirectory::new("load-no-myid");
    let config_file = directory.write("zoo.cfg", &ensemble_config(&directory.0));
    let error = load_config(&config_file).expect_err("myid is missing");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: cannot read: No such file or directory (os error 2); server.N lines define an \
             ensemble, so this file must hold this server's id",
            directory.0.join("myid").display()
        )
    );
}

#[test]
fn a_myid_without_a_server_line_is_refused() {
    let directory = TemporaryDirectory::new("load-foreign-myid");
    let config_file = directory.write("zoo.cfg", &ensemble_config(&directory.0));
    let my_id_file = directory.write("myid", "4");
    let error = load_config(&config_file).expect_err("server 4 is not in the ensemble");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: server id 4 has no server.4 line in {}",
            my_id_file.display(),
            config_file.display()
        )
    );
}

#[test]
fn a_standalone_server_never_reads_myid() {
    let directory = TemporaryDirectory::new("load-standalone");
    let text = format!("dataDir={}\nclientPort=2181\n", directory.0.display());
    let config_file = directory.write("zoo.cfg", &text);
    directory.write("myid", "not an id");
    let loaded = load_config(&config_file).expect("a valid standalone config");
    assert!(loaded.config.ensemble.is_none());
}

#[test]
fn a_missing_config_file_is_named() {
    let directory = TemporaryDirectory::new("load-missing");
    let config_file = directory.0.join("zoo.cfg");
    let error = load_config(&config_file).expect_err("no such file");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: cannot read: No such file or directory (os error 2)",
            config_file.display()
        )
    );
}
