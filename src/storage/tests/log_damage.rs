//! Torn tails are cut, corruption before readable records stops recovery: every cut through the
//! last record, flipped bytes, zeros where records were, leftovers in older files.

use super::{database_after, options, save, version_directory, Script};
use crate::storage::{load_with, Storage, StorageError};
use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A data directory holding the varied script's txns in one log file after snapshot.0; returns
/// the log file and the offset where each record starts (and the end of the last one).
fn logged_directory(script: &Script) -> (tempfile::TempDir, PathBuf, Vec<u64>) {
    let directory = tempfile::tempdir().unwrap();
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns);
    let log = storage.log().current_file().unwrap().to_path_buf();
    drop(storage);
    let bytes = fs::read(&log).unwrap();
    let mut offsets = vec![16u64];
    for _ in &script.txns {
        let at = *offsets.last().unwrap() as usize;
        let length = i32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as u64;
        offsets.push(at as u64 + 13 + length);
    }
    (directory, log, offsets)
}

fn copy_directory(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    let target = version_directory(to.path());
    fs::create_dir_all(&target).unwrap();
    for entry in fs::read_dir(version_directory(from)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
    }
    to
}

fn in_copy(copy: &tempfile::TempDir, original: &Path) -> PathBuf {
    version_directory(copy.path()).join(original.file_name().unwrap())
}

#[test]
fn every_cut_through_the_last_record_is_a_torn_tail() {
    let script = Script::varied(1);
    let (directory, log, offsets) = logged_directory(&script);
    let last_start = offsets[offsets.len() - 2];
    let last_end = offsets[offsets.len() - 1];
    let all_but_last = script.txns.len() - 1;
    let original = fs::read(&log).unwrap();
    for cut in last_start..last_end {
        // The leading bytes of a record can be zeros (a checksum is 32 bits in a long): a cut
        // that leaves only those reads as a clean end, not a torn one.
        let torn = original[last_start as usize..cut as usize]
            .iter()
            .any(|byte| *byte != 0);
        for zero_filled in [false, true] {
            let copy = copy_directory(directory.path());
            let damaged = in_copy(&copy, &log);
            let file = OpenOptions::new().write(true).open(&damaged).unwrap();
            if zero_filled {
                // The record's pages never reached the disk: preallocated zeros from `cut` on.
                let length = file.metadata().unwrap().len();
                file.write_all_at(&vec![0u8; (length - cut) as usize], cut)
                    .unwrap();
            } else {
                file.set_len(cut).unwrap();
            }
            drop(file);
            let recovered = load_with(copy.path(), copy.path(), &options())
                .unwrap_or_else(|error| panic!("cut at {cut}, zero filled {zero_filled}: {error}"));
            assert_eq!(recovered.txns.len(), all_but_last, "cut at {cut}");
            assert_eq!(
                recovered.torn_tails.len(),
                usize::from(torn),
                "cut at {cut}, zero filled {zero_filled}"
            );
            if torn {
                assert_eq!(recovered.torn_tails[0].offset, last_start);
                assert_eq!(fs::metadata(&damaged).unwrap().len(), last_start);
            }
            assert_eq!(
                recovered.database,
                database_after(&script.txns[..all_but_last])
            );
        }
    }
}

#[test]
fn a_bad_checksum_on_the_last_record_is_cut() {
    let script = Script::varied(1);
    let (directory, log, offsets) = logged_directory(&script);
    let last_start = offsets[offsets.len() - 2];
    for flipped in last_start..offsets[offsets.len() - 1] {
        let copy = copy_directory(directory.path());
        flip_byte(&in_copy(&copy, &log), flipped);
        let recovered = load_with(copy.path(), copy.path(), &options())
            .unwrap_or_else(|error| panic!("flip at {flipped}: {error}"));
        assert_eq!(
            recovered.txns.len(),
            script.txns.len() - 1,
            "flip at {flipped}"
        );
        assert_eq!(recovered.torn_tails[0].offset, last_start);
    }
}

#[test]
fn any_flipped_byte_in_a_middle_record_stops_recovery_at_that_record() {
    let script = Script::varied(1);
    let (directory, log, offsets) = logged_directory(&script);
    let (start, next) = (offsets[5], offsets[6]);
    for flipped in start..next {
        let copy = copy_directory(directory.path());
        let damaged = in_copy(&copy, &log);
        flip_byte(&damaged, flipped);
        let before = fs::read(&damaged).unwrap();
        match load_with(copy.path(), copy.path(), &options()) {
            Err(StorageError::CorruptRecord {
                path,
                offset,
                next_valid_offset,
                ..
            }) => {
                assert_eq!(path, damaged);
                assert_eq!(
                    (offset, next_valid_offset),
                    (start, next),
                    "flip at {flipped}"
                );
            }
            other => panic!("flip at {flipped}: {other:?}"),
        }
        assert_eq!(
            fs::read(&damaged).unwrap(),
            before,
            "a failed recovery changes nothing"
        );
    }
}

#[test]
fn zeros_over_a_middle_record_are_corruption_not_the_end() {
    let script = Script::varied(1);
    let (directory, log, offsets) = logged_directory(&script);
    let file = OpenOptions::new().write(true).open(&log).unwrap();
    file.write_all_at(&vec![0u8; (offsets[4] - offsets[3]) as usize], offsets[3])
        .unwrap();
    let error = load_with(directory.path(), directory.path(), &options()).unwrap_err();
    assert!(
        matches!(error, StorageError::CorruptRecord { offset, .. } if offset == offsets[3]),
        "{error}"
    );
    assert!(error.to_string().contains(&log.display().to_string()));
}

#[test]
fn garbage_after_the_last_record_is_cut() {
    let script = Script::varied(1);
    let (directory, log, offsets) = logged_directory(&script);
    let end = *offsets.last().unwrap();
    let file = OpenOptions::new().write(true).open(&log).unwrap();
    file.write_all_at(b"\x01\x02garbage that is no record", end)
        .unwrap();
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.txns.len(), script.txns.len());
    assert_eq!(recovered.torn_tails[0].offset, end);
    assert_eq!(fs::metadata(&log).unwrap().len(), end);
}

#[test]
fn a_torn_tail_left_in_an_older_file_by_a_restart_is_cut() {
    // ZooKeeper never appends to an old file after a restart: the torn record stays behind and
    // its zxid is logged again at the start of the next file.
    let script = Script::varied(1);
    let (directory, log, offsets) = logged_directory(&script);
    let last_start = offsets[offsets.len() - 2];
    let original = fs::read(&log).unwrap();
    let file = OpenOptions::new().write(true).open(&log).unwrap();
    file.set_len(last_start).unwrap();
    drop(file);
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    save(&mut storage, &script.txns[script.txns.len() - 1..]);
    drop(storage);
    // What the crash left of the record in the old file.
    let file = OpenOptions::new().write(true).open(&log).unwrap();
    file.write_all_at(
        &original[last_start as usize..last_start as usize + 20],
        last_start,
    )
    .unwrap();
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.torn_tails.len(), 1);
    assert_eq!(recovered.torn_tails[0].path, log);
    assert_eq!(recovered.txns.len(), script.txns.len());
    assert_eq!(recovered.database, script.database);
}

#[test]
fn a_damaged_last_record_of_an_older_file_that_later_files_need_is_an_error() {
    let script = Script::varied(1);
    let (directory, log, offsets) = logged_directory(&script);
    // Move the last txn to a file of its own, then damage the one before it.
    let (mut storage, _) = Storage::open(directory.path(), directory.path(), options()).unwrap();
    storage
        .log()
        .truncate_after(script.txns[script.txns.len() - 2].header.zxid)
        .unwrap();
    save(&mut storage, &script.txns[script.txns.len() - 1..]);
    drop(storage);
    flip_byte(&log, offsets[offsets.len() - 3] + 20);
    let error = load_with(directory.path(), directory.path(), &options()).unwrap_err();
    match error {
        StorageError::DamagedBeforeLaterTxns { path, offset, .. } => {
            assert_eq!((path, offset), (log, offsets[offsets.len() - 3]));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_file_holding_only_zeros_or_a_partial_header_is_removed() {
    let script = Script::varied(1);
    let (directory, _, _) = logged_directory(&script);
    let zeros = version_directory(directory.path()).join("log.200000001");
    let partial = version_directory(directory.path()).join("log.300000001");
    fs::write(&zeros, vec![0u8; 4096]).unwrap();
    fs::write(&partial, b"ZKLG\x00\x00").unwrap();
    let recovered = load_with(directory.path(), directory.path(), &options()).unwrap();
    assert_eq!(recovered.torn_tails.len(), 2);
    assert!(!zeros.exists() && !partial.exists());
    assert_eq!(recovered.txns.len(), script.txns.len());
}

fn flip_byte(path: &Path, offset: u64) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8; 1];
    file.read_exact_at(&mut byte, offset).unwrap();
    file.write_all_at(&[byte[0] ^ 0x5a], offset).unwrap();
}
