//! Each standalone key: its default, what it accepts, and every error it can give.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use super::{base_and, config, error, warnings, BASE};
use crate::config::{defaults, Endpoint, Host};

#[test]
fn the_base_takes_zookeeper_defaults() {
    let config = config(BASE);
    assert_eq!(config.tick_time_ms, 3000);
    assert_eq!(config.data_dir, PathBuf::from("/data"));
    assert_eq!(config.data_log_dir, PathBuf::from("/data"));
    assert_eq!(
        config.client_address,
        Endpoint {
            host: Host::EVERY_INTERFACE,
            port: 2181
        }
    );
    assert_eq!(config.client_connections_per_host_max, Some(60));
    assert_eq!(config.session_timeout_ms_min, 6000);
    assert_eq!(config.session_timeout_ms_max, 60000);
    assert_eq!(config.outstanding_requests_max, 1000);
    assert_eq!(config.snapshot_interval_txns, 100_000);
    assert_eq!(config.txn_log_preallocation_bytes, 64 * 1024 * 1024);
    assert_eq!(config.autopurge_snapshots_retained, 3);
    assert_eq!(config.autopurge_interval_hours, None);
    assert_eq!(config.request_bytes_max, 1_048_575);
    assert!(config.ensemble.is_none());
    assert!(warnings(BASE).is_empty());
}

#[test]
fn tick_time() {
    assert_eq!(config(&base_and("tickTime=2000")).tick_time_ms, 2000);
    assert_eq!(config(&base_and("tickTime = +250 \t")).tick_time_ms, 250);
    for (value, message) in [
        ("abc", r#"expected a positive integer, got "abc""#),
        ("0", r#"expected a positive integer, got "0""#),
        ("-5", r#"expected a positive integer, got "-5""#),
        ("", r#"expected a positive integer, got """#),
        ("2,000", r#"expected a positive integer, got "2,000""#),
        (
            "2147483648",
            r#"expected at most 2147483647, got "2147483648""#,
        ),
    ] {
        let text = base_and(&format!("tickTime={value}"));
        assert_eq!(error(&text), format!("zoo.cfg:3: tickTime: {message}"));
    }
}

#[test]
fn init_and_sync_limits_are_checked_even_when_standalone() {
    assert_eq!(
        error(&base_and("initLimit=ten")),
        r#"zoo.cfg:3: initLimit: expected a positive integer, got "ten""#
    );
    assert_eq!(
        error(&base_and("syncLimit=0")),
        r#"zoo.cfg:3: syncLimit: expected a positive integer, got "0""#
    );
    config(&base_and("initLimit=10\nsyncLimit=5"));
}

#[test]
fn data_dir_is_required_and_data_log_dir_defaults_to_it() {
    assert_eq!(error("clientPort=2181"), "zoo.cfg: dataDir: required");
    assert_eq!(
        error("dataDir=\nclientPort=2181"),
        r#"zoo.cfg:1: dataDir: expected a path, got """#
    );
    assert_eq!(
        error(&base_and("dataLogDir=  ")),
        r#"zoo.cfg:3: dataLogDir: expected a path, got """#
    );
    let config = config(&base_and("dataLogDir=/fast-disk/log"));
    assert_eq!(config.data_log_dir, PathBuf::from("/fast-disk/log"));
}

#[test]
fn relative_directories_are_a_warning() {
    assert_eq!(
        warnings("dataDir=data\nclientPort=2181\ndataLogDir=./log"),
        vec![
            "zoo.cfg:1: dataDir: relative path, resolved against the working directory",
            "zoo.cfg:3: dataLogDir: relative path, resolved against the working directory",
        ]
    );
}

#[test]
fn client_port_and_address() {
    assert_eq!(error("dataDir=/data"), "zoo.cfg: clientPort: required");
    for (value, message) in [
        ("0", r#"expected a port between 1 and 65535, got "0""#),
        ("http", r#"expected a port between 1 and 65535, got "http""#),
        ("65536", r#"expected at most 65535, got "65536""#),
    ] {
        let text = format!("dataDir=/data\nclientPort={value}");
        assert_eq!(error(&text), format!("zoo.cfg:2: clientPort: {message}"));
    }
    let address = |text: &str| config(&base_and(text)).client_address;
    let ip = |ip: IpAddr| Endpoint {
        host: Host::Ip(ip),
        port: 2181,
    };
    assert_eq!(
        address("clientPortAddress=127.0.0.1"),
        ip(IpAddr::V4(Ipv4Addr::LOCALHOST))
    );
    assert_eq!(
        address("clientPortAddress=::1"),
        ip(IpAddr::V6(Ipv6Addr::LOCALHOST))
    );
    assert_eq!(
        address("clientPortAddress=[::1]"),
        ip(IpAddr::V6(Ipv6Addr::LOCALHOST))
    );
    assert_eq!(
        address("clientPortAddress=zk1.example.com").host,
        Host::Name("zk1.example.com".to_owned())
    );
    assert_eq!(
        error(&base_and("clientPortAddress=bad host")),
        r#"zoo.cfg:3: clientPortAddress: expected a host name or IP address, got "bad host""#
    );
    assert_eq!(
        error("dataDir=/data\nclientPortAddress=127.0.0.1"),
        "zoo.cfg:2: clientPortAddress: is set but clientPort is not"
    );
}

#[test]
fn secure_client_ports_are_refused() {
    for key in ["secureClientPort=2281", "secureClientPortAddress=127.0.0.1"] {
        let name = key.split('=').next().expect("a key");
        assert_eq!(
            error(&base_and(key)),
            format!(
                "zoo.cfg:3: {name}: not supported: Zabkeeper does not serve TLS client \
                 connections yet; use clientPort"
            )
        );
    }
}

#[test]
fn max_client_connections() {
    let limit = |text: &str| config(&base_and(text)).client_connections_per_host_max;
    assert_eq!(limit("maxClientCnxns=100"), Some(100));
    assert_eq!(limit("maxClientCnxns=0"), None);
    assert_eq!(
        error(&base_and("maxClientCnxns=-1")),
        r#"zoo.cfg:3: maxClientCnxns: expected an integer of 0 or more, got "-1""#
    );
}

#[test]
fn session_timeouts_default_to_two_and_twenty_ticks_whatever_the_key_order() {
    let timeouts = |text: &str| {
        let config = config(&base_and(text));
        (config.session_timeout_ms_min, config.session_timeout_ms_max)
    };
    assert_eq!(timeouts("tickTime=2000"), (4000, 40000));
    assert_eq!(
        timeouts("minSessionTimeout=-1\nmaxSessionTimeout=-1\ntickTime=2000"),
        (4000, 40000)
    );
    assert_eq!(
        timeouts("minSessionTimeout=1000\nmaxSessionTimeout=90000"),
        (1000, 90000)
    );
    assert_eq!(
        timeouts("tickTime=2000\nminSessionTimeout=40000"),
        (40000, 40000)
    );
}

#[test]
fn session_timeout_errors() {
    let cases = [
        (
            "minSessionTimeout=50000\nmaxSessionTimeout=30000",
            "zoo.cfg:3: minSessionTimeout: 50000 must not be larger than maxSessionTimeout 30000",
        ),
        (
            "tickTime=2000\nminSessionTimeout=60000",
            "zoo.cfg:4: minSessionTimeout: 60000 must not be larger than maxSessionTimeout 40000 \
             (the default, 20 × tickTime)",
        ),
        (
            "tickTime=2000\nmaxSessionTimeout=3000",
            "zoo.cfg:4: maxSessionTimeout: 3000 must not be smaller than minSessionTimeout 4000 \
             (the default, 2 × tickTime)",
        ),
        (
            "minSessionTimeout=soon",
            r#"zoo.cfg:3: minSessionTimeout: expected a positive integer, or -1 for the default, got "soon""#,
        ),
        (
            "maxSessionTimeout=-2",
            r#"zoo.cfg:3: maxSessionTimeout: expected a positive integer, or -1 for the default, got "-2""#,
        ),
        (
            "maxSessionTimeout=99999999999",
            r#"zoo.cfg:3: maxSessionTimeout: expected at most 2147483647, got "99999999999""#,
        ),
    ];
    for (text, message) in cases {
        assert_eq!(error(&base_and(text)), message);
    }
}

#[test]
fn huge_ticks_saturate_the_default_session_timeouts() {
    let config = config(&base_and("tickTime=2147483647"));
    assert_eq!(config.session_timeout_ms_min, 4_294_967_294);
    assert_eq!(config.session_timeout_ms_max, u32::MAX);
}

#[test]
fn global_outstanding_limit_takes_java_decode_forms() {
    let limit = |text: &str| config(&base_and(text)).outstanding_requests_max;
    assert_eq!(limit("globalOutstandingLimit=2000"), 2000);
    assert_eq!(limit("globalOutstandingLimit=0x10"), 16);
    assert_eq!(
        error(&base_and("globalOutstandingLimit=0")),
        r#"zoo.cfg:3: globalOutstandingLimit: expected a positive integer, got "0""#
    );
}

#[test]
fn snap_count_is_raised_to_two_like_zookeeper() {
    let text = base_and("snapCount=1");
    assert_eq!(config(&text).snapshot_interval_txns, 2);
    assert_eq!(
        warnings(&text),
        vec!["zoo.cfg:3: snapCount: 1 is below the minimum 2; using 2, as ZooKeeper does"]
    );
    assert_eq!(
        config(&base_and("snapCount=50000")).snapshot_interval_txns,
        50000
    );
    assert_eq!(
        error(&base_and("snapCount=many")),
        r#"zoo.cfg:3: snapCount: expected an integer, got "many""#
    );
}

#[test]
fn pre_alloc_size_is_in_kibibytes() {
    let bytes = |text: &str| config(&base_and(text)).txn_log_preallocation_bytes;
    assert_eq!(bytes("preAllocSize=1024"), 1024 * 1024);
    assert_eq!(bytes("preAllocSize=0"), 0);
    assert_eq!(
        error(&base_and("preAllocSize=-1")),
        r#"zoo.cfg:3: preAllocSize: expected an integer of 0 or more, got "-1""#
    );
    assert_eq!(
        error(&base_and("preAllocSize=18014398509481984")),
        r#"zoo.cfg:3: preAllocSize: expected at most 18014398509481983, got "18014398509481984""#
    );
}

#[test]
fn autopurge() {
    let text = base_and("autopurge.snapRetainCount=1\nautopurge.purgeInterval=24");
    let config_with_purge = config(&text);
    assert_eq!(config_with_purge.autopurge_snapshots_retained, 3);
    assert_eq!(config_with_purge.autopurge_interval_hours, Some(24));
    assert_eq!(
        warnings(&text),
        vec![
            "zoo.cfg:3: autopurge.snapRetainCount: 1 is below the minimum 3; using 3, as \
             ZooKeeper does"
        ]
    );
    let retained = |text: &str| config(&base_and(text)).autopurge_snapshots_retained;
    assert_eq!(retained("autopurge.snapRetainCount=10"), 10);
    let interval = |text: &str| config(&base_and(text)).autopurge_interval_hours;
    assert_eq!(interval("autopurge.purgeInterval=0"), None);
    assert_eq!(interval("autopurge.purgeInterval=-1"), None);
    assert_eq!(
        error(&base_and("autopurge.purgeInterval=daily")),
        r#"zoo.cfg:3: autopurge.purgeInterval: expected an integer, got "daily""#
    );
    assert_eq!(
        error(&base_and("autopurge.snapRetainCount=3.5")),
        r#"zoo.cfg:3: autopurge.snapRetainCount: expected an integer, got "3.5""#
    );
}

#[test]
fn jute_max_buffer_takes_java_decode_forms() {
    let bytes = |text: &str| config(&base_and(text)).request_bytes_max;
    assert_eq!(bytes("jute.maxbuffer=4194304"), 4_194_304);
    assert_eq!(bytes("jute.maxbuffer=0x9fffff"), 0x9f_ffff);
    assert_eq!(bytes("jute.maxbuffer=0X10"), 16);
    assert_eq!(bytes("jute.maxbuffer=#ff"), 255);
    assert_eq!(bytes("jute.maxbuffer=010"), 8);
    for (value, message) in [
        ("0", r#"expected a positive integer, got "0""#),
        ("0x", r#"expected a positive integer, got "0x""#),
        ("09", r#"expected a positive integer, got "09""#),
        (
            "0x80000000",
            r#"expected at most 2147483647, got "0x80000000""#,
        ),
    ] {
        let text = base_and(&format!("jute.maxbuffer={value}"));
        assert_eq!(
            error(&text),
            format!("zoo.cfg:3: jute.maxbuffer: {message}")
        );
    }
    assert_eq!(defaults::REQUEST_BYTES_MAX, 0xfffff);
}
