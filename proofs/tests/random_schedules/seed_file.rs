//! The committed file of walks every `cargo test` replays (`random_schedules.seeds`): one
//! `ZAB_SEED` token a line, each followed by `#` and what that walk found or exercises. A random
//! walk that fails appends its token, as proptest's failure persistence would, so the failure
//! is replayed by every later run until its fix is committed with the line.
//!
//! A token after `open ` is a known bug not fixed yet: its walk must still fail, so that the
//! run that fixes it says so and the line loses its `open`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use zabkeeper_proofs::simulation::{Scenario, Violation};

/// Where the file is: beside this test, in the source tree, so that a new line shows in
/// `git status`.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/random_schedules.seeds")
}

/// A stored walk: its line number, its scenario and what the line says it found.
pub struct StoredWalk {
    pub line: usize,
    pub scenario: Scenario,
    pub found: String,
    /// The bug it found is not fixed yet: the walk is expected to fail.
    pub open: bool,
}

/// Every walk of the file, in order. Lines that are blank or start with `#` are comments; a
/// token that does not parse fails the test, naming its line.
pub fn stored_walks() -> Vec<StoredWalk> {
    let path = path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let line_number = index + 1;
            let (token, found) = line.split_once('#').unwrap_or((line, ""));
            let token = token.trim();
            if token.is_empty() {
                return None;
            }
            let (token, open) = match token.strip_prefix("open ") {
                Some(token) => (token.trim(), true),
                None => (token, false),
            };
            let scenario = token.parse().unwrap_or_else(|error| {
                panic!("{}:{line_number}: `{token}`: {error}", path.display())
            });
            Some(StoredWalk {
                line: line_number,
                scenario,
                found: found.trim().to_string(),
                open,
            })
        })
        .collect()
}

/// Appends the token of a failed walk (unless the file holds it already) and returns the
/// line, to be printed with the failure. The comment names the broken property; whoever fixes
/// the bug rewrites it to say what the bug was.
pub fn store(violation: &Violation, found_by: &str) -> String {
    let line = format!(
        "{} # {found_by}: `{}` violated at step {} (not fixed yet)",
        violation.scenario, violation.property, violation.step
    );
    let already_stored = stored_walks()
        .iter()
        .any(|stored| stored.scenario == violation.scenario);
    if already_stored {
        return line;
    }
    let path = path();
    // One write of a whole line in append mode: the two random-walk tests may fail at once.
    let appended = OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(format!("{line}\n").as_bytes()));
    if let Err(error) = appended {
        eprintln!("could not append to {}: {error}", path.display());
    }
    line
}
