//! Helpers shared by the tests of the `metaldb` binary: running it, and reading a database's
//! contents index by index.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::{
    path::Path,
    process::{Command, Output, Stdio},
};

use metaldb::{catalogue::Catalogue, DBOptions, Database, RocksDB};

/// Runs the binary with `args`, without standard input.
pub fn metaldb(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_metaldb"));
    for arg in args {
        command.arg(arg);
    }
    command.stdin(Stdio::null()).output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
pub fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

#[track_caller]
pub fn fails(output: Output) -> String {
    assert!(!output.status.success(), "succeeded:\n{}", stdout(&output));
    stdout(&output) + &stderr(&output)
}

/// One index as `contents` sees it: full name, identifier, shape (type, length, capacity,
/// group key, migration flag) and raw entries.
pub type IndexContents = (Vec<u8>, u64, String, Vec<(Vec<u8>, Vec<u8>)>);

/// Everything a database holds, index by index: metadata and raw entries.
pub fn contents(path: &Path) -> Vec<IndexContents> {
    let db = RocksDB::open_read_only(path, &DBOptions::default()).unwrap();
    let snapshot = db.snapshot();
    Catalogue::read(&db)
        .unwrap()
        .records()
        .iter()
        .map(|record| {
            let mut entries = Vec::new();
            let mut iter = snapshot.iter(&record.resolved_address(), &[]);
            while let Some((k, v)) = iter.next() {
                entries.push((k.to_vec(), v.to_vec()));
            }
            let shape = format!(
                "{:?} {:?} {:?} {:?} {}",
                record.index_type,
                record.len,
                record.capacity,
                record.group_key,
                record.in_migration
            );
            (record.full_name.clone(), record.identifier, shape, entries)
        })
        .collect()
}
