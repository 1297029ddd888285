//! Switches, lists and the keys refused or unknown; repeated keys; the embedded default.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use super::{base_and, config, error, parse, warnings, BASE};
use crate::config::{Endpoint, FourLetterWord, FourLetterWordWhitelist, Host, ServerConfig};

#[test]
fn booleans_accept_true_and_false_in_any_case() {
    let config = config(&base_and(
        "standaloneEnabled=TRUE\nreconfigEnabled=True\nsyncEnabled=false\nquorumListenOnAllIPs=true\nextendedTypesEnabled=true",
    ));
    assert!(config.extended_types_enabled);
    assert!(config.standalone_enabled);
    assert!(config.reconfig_enabled);
    assert!(!config.sync_enabled);
    assert!(config.quorum_listen_on_all_ips);
    let defaults = super::config(BASE);
    assert!(defaults.standalone_enabled);
    assert!(!defaults.reconfig_enabled);
    assert!(defaults.sync_enabled);
    assert!(!defaults.quorum_listen_on_all_ips);
    assert!(!defaults.extended_types_enabled);
    for key in [
        "extendedTypesEnabled",
        "standaloneEnabled",
        "reconfigEnabled",
        "syncEnabled",
        "quorumListenOnAllIPs",
        "admin.enableServer",
    ] {
        assert_eq!(
            error(&base_and(&format!("{key}=yes"))),
            format!(r#"zoo.cfg:3: {key}: expected true or false, got "yes""#)
        );
    }
}

#[test]
fn four_letter_word_whitelist() {
    let words = |text: &str| -> Vec<&str> {
        config(&base_and(text))
            .four_letter_words
            .words()
            .map(FourLetterWord::as_str)
            .collect()
    };
    assert_eq!(words(""), vec!["srvr"]);
    assert_eq!(
        words("4lw.commands.whitelist=ruok, mntr"),
        vec!["mntr", "ruok", "srvr"]
    );
    assert_eq!(
        words("4lw.commands.whitelist= , ruok,,"),
        vec!["ruok", "srvr"]
    );
    assert_eq!(words("4lw.commands.whitelist="), vec!["srvr"]);
    let every_word = FourLetterWordWhitelist::every_word();
    for list in ["*", "ruok, *", " * "] {
        let text = base_and(&format!("4lw.commands.whitelist={list}"));
        assert_eq!(config(&text).four_letter_words, every_word);
    }
    assert_eq!(every_word.words().count(), 18);
    assert_eq!(
        error(&base_and("4lw.commands.whitelist=ruok, fooo, *")),
        "zoo.cfg:3: 4lw.commands.whitelist: expected comma-separated four-letter words (conf, \
         cons, crst, dirs, dump, envi, gtmk, hash, isro, mntr, ruok, srst, srvr, stat, stmk, \
         wchc, wchp, wchs) or *, got \"fooo\""
    );
    assert_eq!(
        error(&base_and("4lw.commands.whitelist=RUOK")),
        "zoo.cfg:3: 4lw.commands.whitelist: expected comma-separated four-letter words (conf, \
         cons, crst, dirs, dump, envi, gtmk, hash, isro, mntr, ruok, srst, srvr, stat, stmk, \
         wchc, wchp, wchs) or *, got \"RUOK\""
    );
}

#[test]
fn four_letter_words_round_trip_through_their_text() {
    for word in FourLetterWord::ALL {
        assert_eq!(FourLetterWord::from_word(word.as_str()), Some(word));
        assert_eq!(word.to_string(), word.as_str());
    }
    assert_eq!(FourLetterWord::from_word("Ruok"), None);
}

#[test]
fn admin_server() {
    let admin = |text: &str| config(&base_and(text)).admin_server;
    assert_eq!(
        admin(""),
        Some(Endpoint {
            host: Host::EVERY_INTERFACE,
            port: 8080
        })
    );
    assert_eq!(admin("admin.enableServer=false"), None);
    assert_eq!(
        admin("admin.serverAddress=127.0.0.1\nadmin.serverPort=0x1f90"),
        Some(Endpoint {
            host: Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            port: 8080
        })
    );
    assert_eq!(
        error(&base_and("admin.serverPort=80800")),
        r#"zoo.cfg:3: admin.serverPort: expected at most 65535, got "80800""#
    );
    assert_eq!(
        error(&base_and("admin.serverAddress=")),
        r#"zoo.cfg:3: admin.serverAddress: expected a host name or IP address, got """#
    );
}

#[test]
fn election_algorithm_must_be_fast_leader_election() {
    config(&base_and("electionAlg=3"));
    for value in ["0", "1", "fast"] {
        assert_eq!(
            error(&base_and(&format!("electionAlg={value}"))),
            format!(
                "zoo.cfg:3: electionAlg: expected 3 (Fast Leader Election, the only algorithm \
                 ZooKeeper 3.8 and 3.9 support), got \"{value}\""
            )
        );
    }
}

#[test]
fn peer_type_is_checked_even_when_standalone() {
    config(&base_and("peerType=Observer"));
    config(&base_and("peerType=participant"));
    assert_eq!(
        error(&base_and("peerType=leader")),
        r#"zoo.cfg:3: peerType: expected participant or observer, got "leader""#
    );
}

#[test]
fn refused_features_say_why() {
    let cases = [
        (
            "dynamicConfigFile=/etc/zookeeper/zoo.cfg.dynamic",
            "zoo.cfg:3: dynamicConfigFile: not supported: Zabkeeper reads the ensemble from \
             server.N lines in this file only",
        ),
        (
            "sslQuorum=true",
            "zoo.cfg:3: sslQuorum: not supported: Zabkeeper does not encrypt quorum traffic yet",
        ),
        (
            "portUnification=true",
            "zoo.cfg:3: portUnification: not supported: Zabkeeper does not serve TLS yet",
        ),
        (
            "quorum.auth.enableSasl=true",
            "zoo.cfg:3: quorum.auth.enableSasl: not supported: Zabkeeper does not authenticate \
             quorum peers yet",
        ),
        (
            "quorum.auth.learnerRequireSasl=TRUE",
            "zoo.cfg:3: quorum.auth.learnerRequireSasl: not supported: Zabkeeper does not \
             authenticate quorum peers yet",
        ),
        (
            "quorum.auth.serverRequireSasl=true",
            "zoo.cfg:3: quorum.auth.serverRequireSasl: not supported: Zabkeeper does not \
             authenticate quorum peers yet",
        ),
        (
            "sslQuorum=maybe",
            r#"zoo.cfg:3: sslQuorum: expected true or false, got "maybe""#,
        ),
    ];
    for (text, message) in cases {
        assert_eq!(error(&base_and(text)), message);
    }
    let switched_off = base_and(
        "sslQuorum=false\nportUnification=false\nquorum.auth.enableSasl=false\n\
         quorum.auth.learnerRequireSasl=false\nquorum.auth.serverRequireSasl=false",
    );
    assert!(warnings(&switched_off).is_empty());
}

#[test]
fn unknown_keys_are_warnings() {
    assert_eq!(
        warnings(&base_and(
            "forceSync=no\ntickTme=2000\nmetricsProvider.className=x"
        )),
        vec![
            "zoo.cfg:3: forceSync: not a setting Zabkeeper knows, ignored",
            "zoo.cfg:4: tickTme: not a setting Zabkeeper knows, ignored",
            "zoo.cfg:5: metricsProvider.className: not a setting Zabkeeper knows, ignored",
        ]
    );
}

#[test]
fn a_repeated_key_keeps_its_later_value_and_the_earlier_is_never_read() {
    let text = base_and("tickTime=abc\ntickTime=1000\ntickTime=2000");
    assert_eq!(config(&text).tick_time_ms, 2000);
    assert_eq!(
        warnings(&text),
        vec![
            "zoo.cfg:4: tickTime: also set on line 3; this later value wins",
            "zoo.cfg:5: tickTime: also set on line 4; this later value wins",
        ]
    );
    // Trimmed keys are the same key, as in ZooKeeper.
    assert_eq!(
        config(&base_and("tickTime=1000\n tickTime\t=2000")).tick_time_ms,
        2000
    );
}

#[test]
fn a_malformed_escape_names_its_line() {
    assert_eq!(
        error(&base_and("# fine\ndataLogDir=C:\\users\\zk")),
        "zoo.cfg:4: malformed \\uXXXX escape (\\u must be followed by four hex digits)"
    );
}

#[test]
fn values_lose_java_trimmed_control_characters() {
    let text = "dataDir=/data\u{1}\nclientPort=\u{7}2181\u{1f}\n";
    let config = config(text);
    assert_eq!(config.data_dir, PathBuf::from("/data"));
    assert_eq!(config.client_address.port, 2181);
}

#[test]
fn the_embedded_default_serves_localhost_for_development() {
    let config = ServerConfig::embedded_default();
    assert_eq!(config.client_address.to_string(), "127.0.0.1:2181");
    assert_eq!(config.data_dir, PathBuf::from("zabkeeper-data"));
    assert_eq!(config.data_log_dir, PathBuf::from("zabkeeper-data"));
    assert_eq!(config.tick_time_ms, 2000);
    assert_eq!(config.session_timeout_ms_min, 4000);
    assert_eq!(config.session_timeout_ms_max, 40000);
    assert_eq!(config.admin_server, None);
    assert_eq!(config.ensemble, None);
    // Otherwise the same as a file saying just that.
    let equivalent = "tickTime=2000\ndataDir=zabkeeper-data\nclientPort=2181\n\
                      clientPortAddress=127.0.0.1\nadmin.enableServer=false\n";
    assert_eq!(parse(equivalent).expect("valid").config, config);
}
