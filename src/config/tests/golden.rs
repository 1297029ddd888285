//! Whole files, compared field by field: the sample zoo.cfg users start from (as Debian ships
//! it) and a three-server ensemble with an observer.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use crate::config::{
    parse_config, Endpoint, Ensemble, FourLetterWord, FourLetterWordWhitelist, Host, PeerRole,
    QuorumServer, ServerConfig,
};
use crate::models::ServerId;

const ZOO_SAMPLE: &str = include_str!("../testdata/zoo_sample.cfg");
const ENSEMBLE: &str = include_str!("../testdata/ensemble.cfg");

#[test]
fn the_sample_zoo_cfg_runs_standalone_on_2181() {
    let loaded = parse_config(
        Path::new("/etc/zookeeper/conf/zoo.cfg"),
        ZOO_SAMPLE.as_bytes(),
        |_: &Path| panic!("standalone"),
    )
    .expect("the sample configuration is valid");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let expected = ServerConfig {
        tick_time_ms: 2000,
        data_dir: PathBuf::from("/tmp/zookeeper"),
        data_log_dir: PathBuf::from("/tmp/zookeeper"),
        client_address: Endpoint {
            host: Host::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            port: 2181,
        },
        client_connections_per_host_max: Some(60),
        session_timeout_ms_min: 4000,
        session_timeout_ms_max: 40000,
        outstanding_requests_max: 1000,
        snapshot_interval_txns: 100_000,
        txn_log_preallocation_bytes: 67_108_864,
        autopurge_snapshots_retained: 3,
        autopurge_interval_hours: None,
        four_letter_words: FourLetterWordWhitelist::default(),
        request_bytes_max: 1_048_575,
        extended_types_enabled: false,
        container_check_interval_ms: 60_000,
        admin_server: Some(Endpoint {
            host: Host::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            port: 8080,
        }),
        standalone_enabled: true,
        reconfig_enabled: false,
        sync_enabled: true,
        quorum_listen_on_all_ips: false,
        ensemble: None,
    };
    assert_eq!(loaded.config, expected);
}

fn server(id: u64, role: PeerRole, client_host: Host) -> (ServerId, QuorumServer) {
    let server = QuorumServer {
        id: ServerId(id),
        host: Host::Name(format!("zk{id}.example.com")),
        quorum_port: 2888,
        election_port: 3888,
        role,
        client_address: Some(Endpoint {
            host: client_host,
            port: 2181,
        }),
    };
    (ServerId(id), server)
}

#[test]
fn a_three_server_ensemble_with_an_observer() {
    let loaded = parse_config(Path::new("zoo.cfg"), ENSEMBLE.as_bytes(), |path: &Path| {
        assert_eq!(path, Path::new("/var/lib/zookeeper/myid"));
        Ok(ServerId(2))
    })
    .expect("the ensemble configuration is valid");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let every_interface = || Host::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let servers: BTreeMap<ServerId, QuorumServer> = [
        server(1, PeerRole::Participant, every_interface()),
        server(2, PeerRole::Participant, every_interface()),
        server(3, PeerRole::Participant, every_interface()),
        server(4, PeerRole::Observer, every_interface()),
    ]
    .into_iter()
    .collect();
    let expected = ServerConfig {
        tick_time_ms: 2000,
        data_dir: PathBuf::from("/var/lib/zookeeper"),
        data_log_dir: PathBuf::from("/var/log/zookeeper"),
        client_address: Endpoint {
            host: every_interface(),
            port: 2181,
        },
        client_connections_per_host_max: Some(100),
        session_timeout_ms_min: 4000,
        session_timeout_ms_max: 40000,
        outstanding_requests_max: 1000,
        snapshot_interval_txns: 100_000,
        txn_log_preallocation_bytes: 67_108_864,
        autopurge_snapshots_retained: 5,
        autopurge_interval_hours: Some(24),
        four_letter_words: FourLetterWordWhitelist::parse("mntr,ruok").expect("known words"),
        request_bytes_max: 1_048_575,
        extended_types_enabled: false,
        container_check_interval_ms: 60_000,
        admin_server: None,
        standalone_enabled: false,
        reconfig_enabled: false,
        sync_enabled: true,
        quorum_listen_on_all_ips: true,
        ensemble: Some(Ensemble {
            my_id: ServerId(2),
            init_limit_ticks: 10,
            sync_limit_ticks: 5,
            servers,
        }),
    };
    assert_eq!(loaded.config, expected);
    let whitelist = &loaded.config.four_letter_words;
    assert!(whitelist.contains(FourLetterWord::Srvr));
    assert!(!whitelist.contains(FourLetterWord::Dump));
    let ensemble = loaded.config.ensemble.as_ref().expect("an ensemble");
    assert_eq!(ensemble.participants().count(), 3);
    assert_eq!(ensemble.me().host.to_string(), "zk2.example.com");
}
