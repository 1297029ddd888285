//! `server.N` lines: their syntax, when they make an ensemble, and the clashes refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{base_and, config, error, parse_with_my_id, warnings};
use crate::config::{Endpoint, Host, PeerRole, QuorumServer};
use crate::models::ServerId;

/// Three participants on one machine, lines 1 to 7; extra lines start at line 8.
const LOCAL_THREE: &str = "dataDir=/data\ntickTime=2000\ninitLimit=10\nsyncLimit=5\n\
    server.1=127.0.0.1:2888:3888;2181\n\
    server.2=127.0.0.1:2889:3889;2182\n\
    server.3=127.0.0.1:2890:3890;2183\n";

fn local_three_and(extra: &str) -> String {
    format!("{LOCAL_THREE}{extra}")
}

fn ensemble_error(text: &str, my_id: u64) -> String {
    match parse_with_my_id(text, my_id) {
        Ok(loaded) => panic!("{text:?} should fail, got {loaded:?}"),
        Err(error) => error.to_string(),
    }
}

fn ensemble_warnings(text: &str, my_id: u64) -> Vec<String> {
    let loaded = parse_with_my_id(text, my_id).expect("a valid ensemble");
    loaded.warnings.iter().map(ToString::to_string).collect()
}

fn localhost(port: u16) -> Endpoint {
    Endpoint {
        host: Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        port,
    }
}

#[test]
fn myid_picks_this_server_and_its_client_address() {
    let loaded = parse_with_my_id(LOCAL_THREE, 2).expect("a valid ensemble");
    assert!(loaded.warnings.is_empty());
    let ensemble = loaded.config.ensemble.as_ref().expect("an ensemble");
    assert_eq!(ensemble.my_id, ServerId(2));
    assert_eq!(ensemble.init_limit_ticks, 10);
    assert_eq!(ensemble.sync_limit_ticks, 5);
    assert_eq!(ensemble.participants().count(), 3);
    assert_eq!(ensemble.me().quorum_endpoint(), localhost(2889));
    assert_eq!(ensemble.me().election_endpoint(), localhost(3889));
    assert_eq!(
        loaded.config.client_address,
        Endpoint {
            host: Host::EVERY_INTERFACE,
            port: 2182
        }
    );
}

#[test]
fn server_line_forms() {
    let server = |line: &str| {
        let text = format!("{LOCAL_THREE}server.9={line}");
        let loaded = parse_with_my_id(&text, 1).expect("a valid ensemble");
        loaded.config.ensemble.expect("an ensemble").servers[&ServerId(9)].clone()
    };
    assert_eq!(
        server("zk9.example.com:2888:3888"),
        QuorumServer {
            id: ServerId(9),
            host: Host::Name("zk9.example.com".to_owned()),
            quorum_port: 2888,
            election_port: 3888,
            role: PeerRole::Participant,
            client_address: None,
        }
    );
    let observer = server(" 10.0.0.9 : 2888 : 3888 : OBSERVER ; 10.0.0.9 : 2181 ");
    assert_eq!(observer.role, PeerRole::Observer);
    assert_eq!(observer.host.to_string(), "10.0.0.9");
    assert_eq!(
        observer.client_address.map(|address| address.to_string()),
        Some("10.0.0.9:2181".to_owned())
    );
    let ipv6 = server("[::1]:4888:4999:participant;[::1]:4181");
    assert_eq!(ipv6.host, Host::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert_eq!(ipv6.quorum_endpoint().to_string(), "[::1]:4888");
    assert_eq!(
        ipv6.client_address.map(|address| address.to_string()),
        Some("[::1]:4181".to_owned())
    );
}

#[test]
fn server_line_errors() {
    let shape = "expected host:quorumPort:electionPort[:participant|observer]\
                 [;[clientHost:]clientPort], got";
    let cases = [
        ("server.4=zk4:2888", format!(r#"{shape} "zk4:2888""#)),
        (
            "server.4=zk4:1:2:observer:5",
            format!(r#"{shape} "zk4:1:2:observer:5""#),
        ),
        (
            "server.4=[::1:2888:3888",
            format!(r#"{shape} "[::1:2888:3888""#),
        ),
        (
            "server.4=zk4:1:2;a:b:c",
            format!(r#"{shape} "zk4:1:2;a:b:c""#),
        ),
        (
            "server.4=zk4:28x8:3888",
            r#"expected a port between 1 and 65535, got "28x8""#.to_owned(),
        ),
        (
            "server.4=zk 4:2888:3888",
            r#"expected a host name or IP address, got "zk 4""#.to_owned(),
        ),
        (
            "server.4=zk4:2888:3888:leader",
            r#"expected participant or observer, got "leader""#.to_owned(),
        ),
        (
            "server.4=zk4:2888:3888;99999",
            r#"expected at most 65535, got "99999""#.to_owned(),
        ),
        (
            "server.4=zk4:2888:2888",
            "the quorum port and the election port must differ, both are 2888".to_owned(),
        ),
        (
            "server.4=zk4:2888:3888|zk4b:2888:3888",
            "not supported: several addresses for one server (multiAddress)".to_owned(),
        ),
    ];
    for (line, message) in cases {
        assert_eq!(
            ensemble_error(&local_three_and(line), 1),
            format!("zoo.cfg:8: server.4: {message}")
        );
    }
}

#[test]
fn server_ids_are_decimal_and_fit_a_byte() {
    assert_eq!(
        ensemble_error(&local_three_and("server.x=zk:2888:3888"), 1),
        r#"zoo.cfg:8: server.x: expected a server id between 0 and 255, got "x""#
    );
    assert_eq!(
        ensemble_error(&local_three_and("server.256=zk:2888:3888"), 1),
        r#"zoo.cfg:8: server.256: expected at most 255, got "256""#
    );
    let text = local_three_and("server.0=zk0:2888:3888;2180");
    let loaded = parse_with_my_id(&text, 0).expect("server 0 is a valid id");
    assert_eq!(loaded.config.client_address.port, 2180);
}

#[test]
fn a_server_id_defined_twice_is_refused() {
    assert_eq!(
        ensemble_error(&local_three_and("server.1=zk1:2888:3888"), 1),
        "zoo.cfg:8: server.1: server id 1 is already defined on line 5"
    );
    assert_eq!(
        ensemble_error(&local_three_and("server.02=zk2:2888:3888"), 1),
        "zoo.cfg:8: server.02: server id 2 is already defined on line 6"
    );
}

#[test]
fn two_listeners_on_one_address_are_refused() {
    let cases = [
        (
            "server.4=127.0.0.1:2888:4888",
            "127.0.0.1:2888 (quorum port) is already the quorum port of server.1 on line 5",
        ),
        (
            "server.4=127.0.0.1:4888:2181",
            "127.0.0.1:2181 (election port) is already the client port of server.1 on line 5",
        ),
        (
            "server.4=127.0.0.1:4888:4889;127.0.0.1:3890",
            "127.0.0.1:3890 (client port) is already the election port of server.3 on line 7",
        ),
        (
            "server.4=127.0.0.1:4888:4889;4888",
            "127.0.0.1:4888 (client port) is already the quorum port of server.4 on line 8",
        ),
    ];
    for (line, message) in cases {
        assert_eq!(
            ensemble_error(&local_three_and(line), 1),
            format!("zoo.cfg:8: server.4: {message}")
        );
    }
    assert_eq!(
        ensemble_error(
            "dataDir=/d\ninitLimit=5\nsyncLimit=2\nserver.1=ZK1:2888:3888\nserver.2=zk1:2888:3889",
            1
        ),
        "zoo.cfg:5: server.2: zk1:2888 (quorum port) is already the quorum port of server.1 \
         on line 4"
    );
}

#[test]
fn the_same_ports_on_different_hosts_are_fine() {
    let text = "dataDir=/data\ninitLimit=5\nsyncLimit=2\n\
                server.1=zk1:2888:3888;2181\nserver.2=zk2:2888:3888;2181\nserver.3=zk3:2888:3888;2181";
    let loaded = parse_with_my_id(text, 3).expect("a valid ensemble");
    assert_eq!(loaded.config.client_address.port, 2181);
}

#[test]
fn hierarchical_quorums_are_parsed_then_refused() {
    let refused = "not supported: hierarchical quorums (group.N, weight.N); Zabkeeper uses \
                   majority quorums";
    let cases = [
        ("group.1=1:2:3", format!("zoo.cfg:8: group.1: {refused}")),
        ("weight.2=1", format!("zoo.cfg:8: weight.2: {refused}")),
        (
            "group.1=1:two",
            r#"zoo.cfg:8: group.1: expected server ids separated by colons, got "1:two""#
                .to_owned(),
        ),
        (
            "group.x=1",
            r#"zoo.cfg:8: group.x: expected an integer of 0 or more, got "x""#.to_owned(),
        ),
        (
            "weight.2=heavy",
            r#"zoo.cfg:8: weight.2: expected an integer of 0 or more, got "heavy""#.to_owned(),
        ),
        (
            "weight.x=1",
            r#"zoo.cfg:8: weight.x: expected a server id between 0 and 255, got "x""#.to_owned(),
        ),
        (
            "groups=1",
            r#"zoo.cfg:8: groups: expected group.N or weight.N, got "groups""#.to_owned(),
        ),
    ];
    for (line, message) in cases {
        assert_eq!(ensemble_error(&local_three_and(line), 1), message);
    }
}

#[test]
fn one_participant_runs_standalone_unless_standalone_is_disabled() {
    let text = base_and("server.1=127.0.0.1:2888:3888");
    assert!(config(&text).ensemble.is_none());
    assert_eq!(
        warnings(&text),
        vec![
            "zoo.cfg:3: server.1: the only participant: running standalone and ignoring the \
             server lines, as ZooKeeper does (standaloneEnabled=false makes a one-server \
             ensemble)"
        ]
    );
    let text =
        base_and("server.1=127.0.0.1:2888:3888\nstandaloneEnabled=false\ninitLimit=5\nsyncLimit=2");
    let loaded = parse_with_my_id(&text, 1).expect("an ensemble of one");
    assert_eq!(
        loaded.config.ensemble.expect("an ensemble").servers.len(),
        1
    );
    assert_eq!(
        loaded
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["zoo.cfg: server.N: 1 participant tolerates no failure; 3 tolerate one"]
    );
}

#[test]
fn observers_need_an_ensemble() {
    assert_eq!(
        error(&base_and("server.1=127.0.0.1:2888:3888:observer")),
        "zoo.cfg:3: server.1: observers need at least one participant server"
    );
    assert_eq!(
        error(&base_and(
            "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889:observer"
        )),
        "zoo.cfg:4: server.2: observers need an ensemble, but a single participant with \
         standaloneEnabled=true runs standalone"
    );
    assert_eq!(
        error(&base_and("standaloneEnabled=false")),
        "zoo.cfg:3: standaloneEnabled: false needs at least one participant server.N line"
    );
}

#[test]
fn participant_counts_that_tolerate_little_are_warnings() {
    let two = "dataDir=/data\ninitLimit=5\nsyncLimit=2\n\
               server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.1:2889:3889;2182";
    assert_eq!(
        ensemble_warnings(two, 1),
        vec!["zoo.cfg: server.N: 2 participants tolerate no failure; 3 tolerate one"]
    );
    let four = local_three_and("server.4=127.0.0.1:2891:3891");
    assert_eq!(
        ensemble_warnings(&four, 1),
        vec![
            "zoo.cfg: server.N: 4 participants tolerate no more failures than 3; an odd count \
             is better"
        ]
    );
    let observer = local_three_and("server.4=127.0.0.1:2891:3891:observer");
    assert!(ensemble_warnings(&observer, 1).is_empty());
}

#[test]
fn an_ensemble_needs_init_and_sync_limits() {
    let without = |key: &str| {
        LOCAL_THREE
            .lines()
            .filter(|line| !line.starts_with(key))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        ensemble_error(&without("initLimit"), 1),
        "zoo.cfg: initLimit: required when server.N lines define an ensemble"
    );
    assert_eq!(
        ensemble_error(&without("syncLimit"), 1),
        "zoo.cfg: syncLimit: required when server.N lines define an ensemble"
    );
}

#[test]
fn peer_type_disagreeing_with_the_server_line_is_a_warning() {
    let text = local_three_and("server.4=127.0.0.1:2891:3891:observer;2184\npeerType=participant");
    assert_eq!(
        ensemble_warnings(&text, 4),
        vec![
            "zoo.cfg:9: peerType: says participant but server.4 says observer; the server line \
             wins, as in ZooKeeper"
        ]
    );
    let loaded = parse_with_my_id(&text, 4).expect("valid");
    assert_eq!(
        loaded.config.ensemble.expect("ensemble").me().role,
        PeerRole::Observer
    );
    let agreeing = local_three_and("server.4=127.0.0.1:2891:3891:observer;2184\npeerType=observer");
    assert!(ensemble_warnings(&agreeing, 4).is_empty());
}

#[test]
fn client_port_and_the_server_line_must_agree() {
    let with_line_port = |static_part: &str| local_three_and(static_part);
    let address = |text: &str| {
        parse_with_my_id(text, 1)
            .expect("valid")
            .config
            .client_address
            .to_string()
    };
    assert_eq!(address(&with_line_port("clientPort=2181")), "0.0.0.0:2181");
    assert_eq!(
        address(&with_line_port(
            "clientPort=2181\nclientPortAddress=0.0.0.0"
        )),
        "0.0.0.0:2181"
    );
    assert_eq!(
        ensemble_error(
            &with_line_port("clientPort=2181\nclientPortAddress=10.1.1.1"),
            1
        ),
        "zoo.cfg:8: clientPort: 10.1.1.1:2181 differs from server.1's client address \
         0.0.0.0:2181 (line 5)"
    );
    assert_eq!(
        ensemble_error(&with_line_port("clientPort=2182"), 1),
        "zoo.cfg:8: clientPort: 0.0.0.0:2182 differs from server.1's client address \
         0.0.0.0:2181 (line 5)"
    );
    let text =
        "dataDir=/data\ninitLimit=5\nsyncLimit=2\nclientPort=2181\nclientPortAddress=10.0.0.1\n\
                server.1=10.0.0.1:2888:3888;10.0.0.2:2181\nserver.2=10.0.0.2:2888:3888";
    assert_eq!(
        ensemble_error(text, 1),
        "zoo.cfg:4: clientPort: 10.0.0.1:2181 differs from server.1's client address \
         10.0.0.2:2181 (line 6)"
    );
}

#[test]
fn client_port_alone_serves_an_ensemble_member() {
    let text = "dataDir=/data\ninitLimit=5\nsyncLimit=2\nclientPort=2181\n\
                server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888";
    let loaded = parse_with_my_id(text, 2).expect("valid");
    assert_eq!(loaded.config.client_address.to_string(), "0.0.0.0:2181");
    let without = text.replace("clientPort=2181\n", "");
    assert_eq!(
        ensemble_error(&without, 2),
        "zoo.cfg: clientPort: required: set clientPort, or give server.2 a client port \
         (server.N=host:quorumPort:electionPort;clientPort)"
    );
    let clashing = text.replace("clientPort=2181", "clientPort=3888");
    assert_eq!(
        ensemble_error(&clashing, 2),
        "zoo.cfg:4: clientPort: zk2:3888 (client port) is already the election port of \
         server.2 on line 6"
    );
}
