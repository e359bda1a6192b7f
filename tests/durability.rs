//! What reaches the disk: `merge_sync` syncs RocksDB's write-ahead log before it returns, and a
//! plain `merge` does not wait for it.
//!
//! A child process runs the merges with `tests/durability/wal_sync_counter.c` preloaded, a shim
//! that counts the `fsync`/`fdatasync` calls on write-ahead log files. This is the floor of the
//! durability guarantee (RELIABILITY.md, "What survives which crash"): it fails if `merge_sync`
//! stops asking RocksDB for a synced write. Simulating the power cut itself (rebuilding the
//! files from what was synced) is not done here.

mod c_support;
mod child_process;

use std::{ffi::OsStr, path::PathBuf, process::Command};

use metaldb::{access::CopyAccessExt, DBOptions, Database, RocksDB};

use c_support::{cc, run_ok, scratch_dir};
use child_process::{report, ChildProcess};

const DIR_VAR: &str = "METALDB_DURABILITY_DIR";
const MERGES: u64 = 20;

/// Builds the shim into a scratch directory and returns the shared library's path.
fn build_shim() -> PathBuf {
    let dir = scratch_dir("durability");
    let shim = dir.join("libwal_sync_counter.so");
    run_ok(
        Command::new(cc())
            .args([
                "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o",
            ])
            .arg(&shim)
            .arg(c_support::repo().join("tests/durability/wal_sync_counter.c"))
            .arg("-ldl"),
    );
    shim
}

/// The shim's count of write-ahead log syncs in this process.
fn wal_syncs() -> libc::c_long {
    // SAFETY: looks a symbol up by a NUL-terminated name; calls it only if the preloaded shim
    // defines it, with the signature the shim gives it.
    unsafe {
        let symbol = libc::dlsym(libc::RTLD_DEFAULT, c"metaldb_test_wal_syncs".as_ptr());
        assert!(!symbol.is_null(), "the shim is not preloaded (LD_PRELOAD)");
        let count: extern "C" fn() -> libc::c_long = std::mem::transmute(symbol);
        count()
    }
}

/// The child: plain merges, then synced merges, reporting the log syncs each made.
#[test]
#[ignore = "run as a child process by `merge_sync_syncs_the_log_and_merge_does_not_wait`"]
fn merging_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        return;
    };
    let db = RocksDB::open(PathBuf::from(dir), &DBOptions::default()).expect("open");
    for sync in [false, true] {
        let before = wal_syncs();
        for i in 0..MERGES {
            let fork = db.fork();
            fork.get_map("map").put(&i, vec![1_u8; 100]);
            if sync {
                db.merge_sync(fork.into_patch()).expect("merge_sync");
            } else {
                db.merge(fork.into_patch()).expect("merge");
            }
        }
        report(&format!(
            "{} {}",
            if sync { "sync" } else { "plain" },
            wal_syncs() - before
        ));
    }
}

#[test]
fn merge_sync_syncs_the_log_and_merge_does_not_wait() {
    let shim = build_shim();
    let dir = tempfile::tempdir().expect("temporary directory");
    let child = ChildProcess::spawn(
        "merging_child",
        &[
            (DIR_VAR, dir.path().as_os_str()),
            ("LD_PRELOAD", OsStr::new(&shim)),
        ],
    );
    let finished = child.wait();
    assert!(
        finished.status.success(),
        "the child failed: {}",
        finished.stderr
    );
    let count = |kind: &str| -> libc::c_long {
        let line = finished
            .reports
            .iter()
            .find_map(|line| line.strip_prefix(&format!("{kind} ")))
            .unwrap_or_else(|| panic!("no {kind} report: {:?}", finished.reports));
        line.parse().expect("a count")
    };
    assert_eq!(count("plain"), 0, "a plain merge synced the log");
    assert!(
        count("sync") >= MERGES as libc::c_long,
        "{MERGES} merge_sync calls synced the log {} times",
        count("sync")
    );
}
