//! `models/` is the protocol core: no IO, no async, no clock, no threads, no randomness. The
//! model checker's verdicts only carry over to the server if that stays true, so this test
//! fails the build the moment it does not.

use std::fs;
use std::path::{Path, PathBuf};

/// Paths and crates whose use in `models/` would bring IO, time, threads or randomness in.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "std::net",
    "std::fs",
    "std::io",
    "std::thread",
    "std::process",
    "std::env",
    "std::time::Instant",
    "std::time::SystemTime",
    "Instant::now",
    "SystemTime::now",
    "rand::",
    "getrandom",
    "async fn",
    ".await",
    "std::sync::Mutex",
    "std::sync::RwLock",
    "std::sync::atomic",
];

/// The only dependencies the core may have.
const ALLOWED_DEPENDENCIES: &[&str] = &["stateright", "serde"];

fn rust_files(directory: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(directory).expect("models/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

fn violations_in(source: &str) -> Vec<(usize, &'static str)> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .flat_map(|(number, line)| {
            FORBIDDEN
                .iter()
                .filter(move |pattern| line.contains(*pattern))
                .map(move |pattern| (number + 1, *pattern))
        })
        .collect()
}

#[test]
fn models_source_uses_no_io_time_threads_or_randomness() {
    // The core and its own tests: the golden transcripts are read by datadriven, not by code
    // in models/.
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut files = Vec::new();
    rust_files(&models.join("src"), &mut files);
    rust_files(&models.join("tests"), &mut files);
    assert!(
        files.len() > 10,
        "found the models sources ({})",
        files.len()
    );
    let mut violations = Vec::new();
    for file in files {
        let source = fs::read_to_string(&file).expect("a readable source file");
        for (line, pattern) in violations_in(&source) {
            violations.push(format!("{}:{line}: {pattern}", file.display()));
        }
    }
    assert!(
        violations.is_empty(),
        "models/ must stay pure:\n{}",
        violations.join("\n")
    );
}

#[test]
fn models_depends_only_on_the_checker_and_serde() {
    let manifest =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/Cargo.toml"))
            .expect("models/Cargo.toml");
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table")
        .split("\n[")
        .next()
        .expect("its body");
    for line in dependencies.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line.split(['=', '.']).next().expect("a key").trim();
        assert!(
            ALLOWED_DEPENDENCIES.contains(&name),
            "models/ depends on `{name}`; the core may depend only on {ALLOWED_DEPENDENCIES:?}"
        );
    }
}

#[test]
fn the_scan_catches_what_it_forbids() {
    assert_eq!(violations_in("use std::fs::File;"), vec![(1, "std::fs")]);
    assert_eq!(violations_in("let now = Instant::now();").len(), 1);
    assert!(violations_in("// tokio is mentioned in a comment only").is_empty());
}
