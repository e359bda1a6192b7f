//! Misuses of the derives that type checking against metaldb rejects: field types that are no
//! components, schemas without a usable access parameter, values without serde. The cases
//! that the macros reject by themselves are in `derive/tests/ui` (built without metaldb).
//!
//! trybuild checks these in a target directory of its own (`$CARGO_TARGET_DIR/tests/trybuild`),
//! which builds metaldb again, and so RocksDB: the RocksDB of this test's own build is linked
//! into it instead of compiling RocksDB a second time (20+ minutes). `make derive-test` runs
//! this test.

use std::{env, path::PathBuf};

/// The directory holding the `librocksdb.a` to link: `ROCKSDB_LIB_DIR` if set, else the one
/// librocksdb-sys built for this test binary (`target/debug/build/librocksdb-sys-*/out`).
fn rocksdb_lib_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("ROCKSDB_LIB_DIR") {
        return Some(dir.into());
    }
    // This binary is `target/debug/deps/derive_compile_fail-*`.
    let build = env::current_exe().ok()?.parent()?.parent()?.join("build");
    // Of several builds (other configurations, older versions), the newest.
    std::fs::read_dir(build)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("librocksdb-sys-")
        })
        .map(|entry| entry.path().join("out"))
        .filter_map(|out| {
            let modified = out.join("librocksdb.a").metadata().ok()?.modified().ok()?;
            Some((modified, out))
        })
        .max()
        .map(|(_, out)| out)
}

#[test]
fn misuses_of_the_derives_against_metaldb_fail_to_compile_with_their_messages() {
    let Some(lib_dir) = rocksdb_lib_dir() else {
        panic!(
            "no RocksDB to link: set ROCKSDB_LIB_DIR (and SNAPPY_LIB_DIR), or build the tests \
             so that librocksdb-sys's out directory holds librocksdb.a; refusing to compile \
             RocksDB a second time for trybuild"
        );
    };
    // trybuild's cargo inherits this process's environment, which nothing else reads: the
    // outer cargo (whose librocksdb-sys build would rerun on a change) has already run. A
    // RocksDB built from source leaves its snappy in the same directory.
    let snappy_dir = env::var_os("SNAPPY_LIB_DIR").unwrap_or_else(|| lib_dir.clone().into());
    env::set_var("ROCKSDB_LIB_DIR", &lib_dir);
    env::set_var("SNAPPY_LIB_DIR", snappy_dir);
    env::set_var("ROCKSDB_STATIC", "1");
    env::set_var("SNAPPY_STATIC", "1");
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/derive_ui/*.rs");
}
