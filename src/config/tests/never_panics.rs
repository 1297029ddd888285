//! Whatever a file holds, reading it answers a config or an error, never a panic. Random
//! bytes exercise the properties syntax; lines built from real keys and nasty values reach the
//! key readers and the ensemble checks behind it.

use std::path::Path;

use proptest::prelude::*;

use crate::config::{parse_config, ConfigError, LoadedConfig};
use crate::models::ServerId;

const KEYS: &[&str] = &[
    "tickTime",
    "initLimit",
    "syncLimit",
    "dataDir",
    "dataLogDir",
    "clientPort",
    "clientPortAddress",
    "secureClientPort",
    "maxClientCnxns",
    "minSessionTimeout",
    "maxSessionTimeout",
    "globalOutstandingLimit",
    "snapCount",
    "preAllocSize",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "4lw.commands.whitelist",
    "jute.maxbuffer",
    "admin.enableServer",
    "admin.serverAddress",
    "admin.serverPort",
    "electionAlg",
    "standaloneEnabled",
    "reconfigEnabled",
    "syncEnabled",
    "peerType",
    "quorumListenOnAllIPs",
    "dynamicConfigFile",
    "sslQuorum",
    "server.1",
    "server.2",
    "server.3",
    "server.01",
    "group.1",
    "weight.1",
    "unknown.key",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/data".to_owned()),
        Just("127.0.0.1:2888:3888".to_owned()),
        Just("[::1]:2888:3888:observer;[::1]:2181".to_owned()),
        Just("127.0.0.1:2889:3889;2182".to_owned()),
        Just("-1".to_owned()),
        Just("0x7fffffff".to_owned()),
        Just("true".to_owned()),
        Just("*".to_owned()),
        (0u32..70_000).prop_map(|number| number.to_string()),
        "[ -~]{0,24}",
        any::<String>(),
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        (prop::sample::select(KEYS), "[=: \t]{1,2}", value())
            .prop_map(|(key, separator, value)| format!("{key}{separator}{value}")),
        "[#!][ -~]{0,20}",
        Just("\\".to_owned()),
        "[ -~]{0,30}",
    ]
}

fn file() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..16).prop_map(|lines| lines.join("\n"))
}

fn parse_answering_my_id(contents: &[u8], my_id: u64) -> Result<LoadedConfig, ConfigError> {
    parse_config(Path::new("zoo.cfg"), contents, |_: &Path| {
        Ok(ServerId(my_id))
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(contents in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_answering_my_id(&contents, 1);
    }

    #[test]
    fn files_of_real_keys_never_panic(contents in file(), my_id in 0u64..4) {
        let _ = parse_answering_my_id(contents.as_bytes(), my_id);
    }

    #[test]
    fn an_accepted_ensemble_contains_its_own_server(contents in file(), my_id in 0u64..4) {
        if let Ok(loaded) = parse_answering_my_id(contents.as_bytes(), my_id) {
            let config = loaded.config;
            prop_assert!(config.session_timeout_ms_min <= config.session_timeout_ms_max);
            if let Some(ensemble) = config.ensemble {
                prop_assert!(ensemble.servers.contains_key(&ensemble.my_id));
                prop_assert!(ensemble.participants().count() >= 1);
            }
        }
    }
}
