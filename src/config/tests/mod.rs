//! Tests of the configuration reader. Error and warning texts are compared whole: they are
//! what an operator reads, so a change to them should show up here.

mod ensemble;
mod golden;
mod keys;
mod my_id;
mod never_panics;
mod properties;
mod switches;

use std::path::Path;

use crate::models::ServerId;

use super::{parse_config, ConfigError, LoadedConfig, ServerConfig};

/// The two keys every standalone configuration needs, on lines 1 and 2.
const BASE: &str = "dataDir=/data\nclientPort=2181\n";

/// Parses `text` as `zoo.cfg`; any attempt to read `myid` fails the test.
fn parse(text: &str) -> Result<LoadedConfig, ConfigError> {
    parse_config(
        Path::new("zoo.cfg"),
        text.as_bytes(),
        |_: &Path| -> Result<ServerId, ConfigError> {
            panic!("a standalone configuration must not read myid")
        },
    )
}

/// Parses `text` as `zoo.cfg` with `dataDir=/data` whose `myid` says `my_id`.
fn parse_with_my_id(text: &str, my_id: u64) -> Result<LoadedConfig, ConfigError> {
    parse_config(Path::new("zoo.cfg"), text.as_bytes(), |path: &Path| {
        assert_eq!(path, Path::new("/data/myid"));
        Ok(ServerId(my_id))
    })
}

/// `BASE` followed by `extra`, whose first line is line 3.
fn base_and(extra: &str) -> String {
    format!("{BASE}{extra}")
}

fn config(text: &str) -> ServerConfig {
    match parse(text) {
        Ok(loaded) => loaded.config,
        Err(error) => panic!("{text:?} should parse, got: {error}"),
    }
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(loaded) => panic!("{text:?} should fail, got {loaded:?}"),
        Err(error) => error.to_string(),
    }
}

fn warnings(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(loaded) => loaded.warnings.iter().map(ToString::to_string).collect(),
        Err(error) => panic!("{text:?} should parse, got: {error}"),
    }
}
