//! The txn log writer and reader: byte layout, preallocation, batches, rolls, truncation.

use super::{options, Script};
use crate::proto::records::FileHeader;
use crate::proto::txn_entry::TxnEntry;
use crate::storage::txn_log::{
    padded_file_size, TxnLogOptions, TxnLogReader, TxnLogWriter, FILE_HEADER_BYTES,
};
use crate::storage::StorageError;
use std::fs;
use std::path::Path;
use zabkeeper_models::request::Prepared;
use zabkeeper_models::Zxid;

fn log_options() -> TxnLogOptions {
    options().txn_log()
}

fn write_batches(directory: &Path, batches: &[&[Prepared]], roll_after_each: bool) {
    let mut writer = TxnLogWriter::open(directory, log_options(), Zxid::ZERO).unwrap();
    for batch_txns in batches {
        let mut batch = writer.batch();
        for txn in *batch_txns {
            batch.append(txn).unwrap();
        }
        let synced = batch.sync().unwrap();
        assert_eq!(synced.txns, batch_txns.len());
        if roll_after_each {
            writer.roll();
        }
    }
}

fn read_all(directory: &Path, from: Zxid) -> Vec<Prepared> {
    TxnLogReader::open(directory, from, log_options())
        .unwrap()
        .map(|logged| logged.unwrap().txn)
        .collect()
}

fn file_names(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn a_record_is_checksum_length_entry_and_end_byte_after_the_file_header() {
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(1);
    let txn = script.create_session(0x55, 30_000);
    write_batches(directory.path(), &[std::slice::from_ref(&txn)], false);
    let bytes = fs::read(directory.path().join("log.100000001")).unwrap();
    let header: FileHeader = crate::proto::jute::from_slice(&bytes[..16]).unwrap();
    assert_eq!(header.magic, i32::from_be_bytes(*b"ZKLG"));
    assert_eq!((header.version, header.dbid), (2, 0));
    let entry = TxnEntry::from_model(&txn.header, &txn.txn, None)
        .encode()
        .unwrap();
    let checksum = u64::from_be_bytes(bytes[16..24].try_into().unwrap());
    assert_eq!(checksum, u64::from(adler::adler32_slice(&entry)));
    assert_eq!(
        i32::from_be_bytes(bytes[24..28].try_into().unwrap()) as usize,
        entry.len()
    );
    assert_eq!(&bytes[28..28 + entry.len()], entry.as_slice());
    assert_eq!(bytes[28 + entry.len()], b'B');
    assert!(bytes[29 + entry.len()..].iter().all(|byte| *byte == 0));
    // ZooKeeper's first padding of a new file: the header plus one preallocation step.
    assert_eq!(bytes.len() as u64, FILE_HEADER_BYTES + 4096);
}

#[test]
fn preallocation_follows_zookeepers_file_padding() {
    let step = 64 * 1024 * 1024;
    assert_eq!(padded_file_size(16, 16, step), step + 16);
    assert_eq!(padded_file_size(1000, step + 16, step), step + 16);
    assert_eq!(
        padded_file_size(step - 4000, step + 16, step),
        2 * step + 16
    );
    assert_eq!(padded_file_size(3 * step + 5, step + 16, step), 4 * step);
    assert_eq!(padded_file_size(500, 16, 0), 16);
}

#[test]
fn a_batch_larger_than_the_preallocation_grows_the_file_past_it() {
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(1);
    let big = vec![7u8; 10_000];
    let txns = vec![script.create("/big", &big), script.set_data("/big", &big)];
    write_batches(directory.path(), &[&txns], false);
    let length = fs::metadata(directory.path().join("log.100000001"))
        .unwrap()
        .len();
    assert!(length >= 20_000 && length.is_multiple_of(4096), "{length}");
    assert_eq!(read_all(directory.path(), Zxid::ZERO), txns);
}

#[test]
fn batches_share_a_file_until_rolled_and_files_are_named_after_their_first_txn() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let txns = &script.txns;
    write_batches(directory.path(), &[&txns[..3], &txns[3..5]], false);
    let mut writer =
        TxnLogWriter::open(directory.path(), log_options(), txns[4].header.zxid).unwrap();
    let mut batch = writer.batch();
    for txn in &txns[5..9] {
        batch.append(txn).unwrap();
    }
    batch.sync().unwrap();
    writer.roll();
    let mut batch = writer.batch();
    for txn in &txns[9..] {
        batch.append(txn).unwrap();
    }
    batch.sync().unwrap();
    assert_eq!(
        file_names(directory.path()),
        vec!["log.100000001", "log.100000006", "log.10000000a"]
    );
    assert_eq!(&read_all(directory.path(), Zxid::ZERO), txns);
    assert_eq!(&read_all(directory.path(), txns[6].header.zxid), &txns[6..]);
    assert_eq!(&read_all(directory.path(), txns[9].header.zxid), &txns[9..]);
    assert!(read_all(directory.path(), Zxid::new(zabkeeper_models::Epoch(2), 0)).is_empty());
}

#[test]
fn dropping_a_batch_writes_nothing_and_forgets_its_txns() {
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(1);
    let first = script.create("/a", b"1");
    let mut writer = TxnLogWriter::open(directory.path(), log_options(), Zxid::ZERO).unwrap();
    {
        let mut batch = writer.batch();
        batch.append(&first).unwrap();
    }
    assert_eq!(writer.last_zxid(), Zxid::ZERO);
    assert!(file_names(directory.path()).is_empty());
    let mut batch = writer.batch();
    batch.append(&first).unwrap();
    let synced = batch.sync().unwrap();
    assert_eq!(synced.last_zxid, first.header.zxid);
    assert_eq!(read_all(directory.path(), Zxid::ZERO), vec![first]);
}

#[test]
fn appends_must_increase_and_fit_the_entry_limit() {
    let directory = tempfile::tempdir().unwrap();
    let mut script = Script::new(1);
    let first = script.create("/a", b"1");
    let second = script.create("/b", &[0u8; 600]);
    let limited = TxnLogOptions {
        entry_bytes_max: 512,
        ..log_options()
    };
    let mut writer = TxnLogWriter::open(directory.path(), limited, Zxid::ZERO).unwrap();
    let mut batch = writer.batch();
    batch.append(&first).unwrap();
    assert!(matches!(
        batch.append(&first),
        Err(StorageError::AppendOutOfOrder { .. })
    ));
    assert!(matches!(
        batch.append(&second),
        Err(StorageError::TxnTooLarge { limit: 512, .. })
    ));
    assert_eq!(batch.sync().unwrap().txns, 1);
}

#[test]
fn the_writer_starts_a_new_file_after_reopening_as_zookeeper_does() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    write_batches(directory.path(), &[&script.txns[..4]], false);
    let mut writer =
        TxnLogWriter::open(directory.path(), log_options(), script.txns[3].header.zxid).unwrap();
    let mut batch = writer.batch();
    batch.append(&script.txns[4]).unwrap();
    batch.sync().unwrap();
    assert_eq!(
        file_names(directory.path()),
        vec!["log.100000001", "log.100000005"]
    );
    assert_eq!(
        read_all(directory.path(), Zxid::ZERO),
        script.txns[..5].to_vec()
    );
}

#[test]
fn truncation_keeps_exactly_the_txns_up_to_the_zxid_across_files() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    let txns = &script.txns;
    write_batches(
        directory.path(),
        &[&txns[..4], &txns[4..8], &txns[8..]],
        true,
    );
    let mut writer = TxnLogWriter::open(
        directory.path(),
        log_options(),
        txns.last().unwrap().header.zxid,
    )
    .unwrap();
    writer.truncate_after(txns[5].header.zxid).unwrap();
    assert_eq!(
        file_names(directory.path()),
        vec!["log.100000001", "log.100000005"]
    );
    assert_eq!(&read_all(directory.path(), Zxid::ZERO), &txns[..6]);
    // The next batch continues in a new file.
    let mut batch = writer.batch();
    batch.append(&txns[6]).unwrap();
    batch.sync().unwrap();
    assert_eq!(&read_all(directory.path(), Zxid::ZERO), &txns[..7]);
    assert_eq!(file_names(directory.path()).len(), 3);
    // Truncating before the first txn empties the log.
    writer.truncate_after(Zxid::ZERO).unwrap();
    assert!(read_all(directory.path(), Zxid::ZERO).is_empty());
}

#[test]
fn a_zero_length_file_header_is_a_torn_tail_and_a_foreign_one_an_error() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    write_batches(directory.path(), &[&script.txns[..3]], false);
    fs::write(directory.path().join("log.100000004"), b"ZKL").unwrap();
    let mut reader = TxnLogReader::open(directory.path(), Zxid::ZERO, log_options()).unwrap();
    assert_eq!(reader.by_ref().count(), 3);
    assert_eq!(reader.torn_tails().len(), 1);
    assert_eq!(reader.torn_tails()[0].offset, 0);
    fs::write(directory.path().join("log.100000004"), b"NOTALOGFILEATALL").unwrap();
    let results: Vec<_> = TxnLogReader::open(directory.path(), Zxid::ZERO, log_options())
        .unwrap()
        .collect();
    assert!(matches!(
        results.last(),
        Some(Err(StorageError::BadMagic { .. }))
    ));
}

#[test]
fn zookeepers_own_log_files_decode_with_their_digests() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zk38-datadir/data/version-2");
    let logged: Vec<_> = TxnLogReader::open(&fixture, Zxid::ZERO, TxnLogOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        logged.len() > 20,
        "the fixture logs every write of its script"
    );
    for pair in logged.windows(2) {
        assert_eq!(pair[1].txn.header.zxid.0, pair[0].txn.header.zxid.0 + 1);
    }
    // ZooKeeper 3.8 logs a digest after every txn but error txns.
    assert!(logged
        .iter()
        .filter(|logged| logged.txn.header.txn_type != -1)
        .all(|logged| logged.digest.is_some()));
}

#[test]
fn a_new_file_never_replaces_one_that_holds_txns() {
    let directory = tempfile::tempdir().unwrap();
    let script = Script::varied(1);
    write_batches(directory.path(), &[&script.txns[..2]], false);
    // A writer told the wrong last zxid would start log.100000001 again.
    let mut writer = TxnLogWriter::open(directory.path(), log_options(), Zxid::ZERO).unwrap();
    let mut batch = writer.batch();
    batch.append(&script.txns[0]).unwrap();
    assert!(matches!(
        batch.sync(),
        Err(StorageError::LogFileExists { .. })
    ));
    assert_eq!(
        read_all(directory.path(), Zxid::ZERO),
        script.txns[..2].to_vec()
    );
    // A file left with no record (a crash before the first sync) is simply started again.
    let empty = tempfile::tempdir().unwrap();
    fs::write(
        empty.path().join("log.100000001"),
        b"ZKLG\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00",
    )
    .unwrap();
    write_batches(empty.path(), &[&script.txns[..2]], false);
    assert_eq!(
        read_all(empty.path(), Zxid::ZERO),
        script.txns[..2].to_vec()
    );
}
