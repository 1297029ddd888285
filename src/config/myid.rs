//! `<dataDir>/myid`: which server of the ensemble this one is. ZooKeeper reads it only to
//! learn its id; a standalone server never needs it.

use std::fs;
use std::path::Path;

use crate::models::ServerId;

use super::error::{ConfigError, MyIdProblem};
use super::values;

/// Reads a `myid` file: a decimal server id between 0 and 255, surrounding whitespace
/// (the usual trailing newline) ignored.
pub fn read_my_id(my_id_file: &Path) -> Result<ServerId, ConfigError> {
    let contents = fs::read(my_id_file).map_err(|error| ConfigError::MyId {
        file: my_id_file.to_owned(),
        problem: MyIdProblem::Unreadable(error),
    })?;
    parse_my_id(my_id_file, &contents)
}

pub(super) fn parse_my_id(my_id_file: &Path, contents: &[u8]) -> Result<ServerId, ConfigError> {
    let text = String::from_utf8_lossy(contents);
    let id_text = text.trim();
    values::server_id(id_text).map_err(|_| ConfigError::MyId {
        file: my_id_file.to_owned(),
        problem: MyIdProblem::NotAServerId(id_text.to_owned()),
    })
}
