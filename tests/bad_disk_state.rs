//! Bad on-disk state and exhausted resources: a path that is no database, a damaged RocksDB
//! directory, a RocksDB database that metaldb did not write, a newer format version, a
//! corrupted version record or index metadata, a database locked by another process, and a
//! full disk (a small tmpfs of the test's own). Each gives a clear error in Rust and a
//! dedicated status through the C ABI, loses nothing, and the database is usable again once
//! the cause is gone.
//!
//! The full-disk tests mount a tmpfs, which needs root (CAP_SYS_ADMIN), as in CI. Where that
//! is not allowed they fail, saying so, unless `METALDB_ALLOW_NO_MOUNT=1` lets them skip (never
//! in CI, `CI=true`, where every real check must run).

mod c_abi;
mod child_process;

use std::{
    env,
    ffi::CString,
    fs,
    io::Write,
    panic::{self, catch_unwind, AssertUnwindSafe},
    path::{Path, PathBuf},
    ptr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    thread,
    time::Duration,
};

use metaldb::{
    access::{AccessExt, CopyAccessExt},
    migration::{Migration, MigrationHelper},
    try_read, DBOptions, Database, RocksDB,
};

use c_abi::*;
use child_process::{report, ChildProcess};

const INDEXES_POOL: &str = "__INDEXES_POOL__";
const DB_METADATA: &str = "__DB_METADATA__";

fn open(path: &Path) -> metaldb::Result<RocksDB> {
    RocksDB::open(path, &DBOptions::default())
}

/// Opens `path` with the raw `rocksdb` crate, with every column family.
fn open_raw(path: &Path) -> ::rocksdb::DB {
    let names = ::rocksdb::DB::list_cf(&::rocksdb::Options::default(), path)
        .expect("list the column families");
    ::rocksdb::DB::open_cf(&::rocksdb::Options::default(), path, names).expect("open raw")
}

fn raw_get(path: &Path, cf: &str, key: &[u8]) -> Option<Vec<u8>> {
    let db = open_raw(path);
    let cf = db.cf_handle(cf).expect("the column family exists");
    db.get_cf(&cf, key).expect("raw get")
}

fn raw_put(path: &Path, cf: &str, key: &[u8], value: &[u8]) {
    let db = open_raw(path);
    let cf = db.cf_handle(cf).expect("the column family exists");
    db.put_cf(&cf, key, value).expect("raw put");
}

fn column_families(path: &Path) -> Vec<String> {
    ::rocksdb::DB::list_cf(&::rocksdb::Options::default(), path).expect("list column families")
}

/// Every file name in `dir` and the size of each.
fn files(dir: &Path) -> Vec<(String, u64)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("read the directory")
        .map(|entry| {
            let entry = entry.expect("a directory entry");
            let size = entry.metadata().expect("metadata").len();
            (entry.file_name().to_string_lossy().into_owned(), size)
        })
        .collect();
    files.sort();
    files
}

/// The status and message of `mdb_db_open`, which must fail; closes the handle otherwise.
fn c_open_error(path: &Path) -> (mdb_status, String) {
    match c_abi::open(path) {
        // SAFETY: a live handle, closed once.
        Ok(db) => {
            unsafe { mdb_db_free(db) };
            panic!("mdb_db_open of {} succeeded", path.display())
        }
        Err(error) => error,
    }
}

/// A database with data in three indexes.
fn write_sample(path: &Path) {
    let db = open(path).expect("create the database");
    let fork = db.fork();
    fork.get_list("good").extend(vec![1_u64, 2, 3]);
    fork.get_list("bad").extend(vec![4_u64, 5]);
    fork.get_map::<_, str, u64>("map").put("key", 6);
    db.merge_sync(fork.into_patch()).expect("merge");
}

fn check_sample(db: &RocksDB) {
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot
            .get_list::<_, u64>("good")
            .iter()
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        snapshot
            .get_list::<_, u64>("bad")
            .iter()
            .collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert_eq!(snapshot.get_map::<_, str, u64>("map").get("key"), Some(6));
}

/// Writes one more entry, and reads it back after reopening.
fn check_writable(path: &Path) {
    {
        let db = open(path).expect("open");
        let fork = db.fork();
        fork.get_entry("written_after").set(7_u64);
        db.merge(fork.into_patch())
            .expect("merge after the cause is gone");
    }
    let db = open(path).expect("reopen");
    assert_eq!(
        db.snapshot().get_entry::<_, u64>("written_after").get(),
        Some(7)
    );
    check_sample(&db);
}

// ---- Not a metaldb database -------------------------------------------------------------

#[test]
fn a_file_where_the_database_should_be_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    fs::write(&path, b"not a database").unwrap();

    let err = open(&path).expect_err("a file is no database");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is not a directory: a database is a directory",
            path.display()
        )
    );
    let (status, message) = c_open_error(&path);
    assert_eq!(status, MDB_ERR_STORAGE, "{message}");
    assert_eq!(message, err.to_string());
    assert_eq!(
        fs::read(&path).unwrap(),
        b"not a database",
        "the file is untouched"
    );
}

#[test]
fn a_damaged_rocksdb_directory_reports_rocksdbs_reason_and_opens_once_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_sample(&path);
    let current = path.join("CURRENT");
    let saved = fs::read(&current).unwrap();
    fs::write(&current, b"garbage").unwrap();
    let files_before = files(&path);

    let err = open(&path).expect_err("a damaged database");
    // RocksDB's own reason, not a confusing one from a fallback.
    assert!(err.to_string().contains("CURRENT"), "{err}");
    let (status, message) = c_open_error(&path);
    assert_eq!(status, MDB_ERR_STORAGE);
    assert_eq!(message, err.to_string());
    assert_eq!(files(&path), files_before, "nothing was written");

    fs::write(&current, saved).unwrap();
    check_sample(&open(&path).expect("the repaired database opens"));
    check_writable(&path);
}

#[test]
fn a_rocksdb_database_that_metaldb_did_not_write_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, column_family) in [("with_cf", Some("users")), ("default_only", None)] {
        let path = dir.path().join(name);
        {
            let mut options = ::rocksdb::Options::default();
            options.create_if_missing(true);
            options.create_missing_column_families(true);
            let db = ::rocksdb::DB::open_cf(&options, &path, column_family).unwrap();
            match column_family {
                Some(cf) => db
                    .put_cf(&db.cf_handle(cf).unwrap(), b"alice", b"1")
                    .unwrap(),
                None => db.put(b"alice", b"1").unwrap(),
            }
        }
        let families_before = column_families(&path);

        let err = open(&path).expect_err("a foreign database");
        let message = err.to_string();
        assert!(
            message.contains("a RocksDB database that metaldb did not write"),
            "{message}"
        );
        if let Some(cf) = column_family {
            assert!(message.contains(cf), "{message}");
        }
        let (status, c_message) = c_open_error(&path);
        assert_eq!(status, MDB_ERR_NOT_A_DATABASE, "{c_message}");
        assert_eq!(c_message, message);
        assert_eq!(status_text(status), "not a metaldb database");

        // Nothing was written: no metaldb column family, the data as it was.
        assert_eq!(column_families(&path), families_before);
        assert_eq!(
            raw_get(&path, column_family.unwrap_or("default"), b"alice"),
            Some(b"1".to_vec())
        );
    }
}

#[test]
fn a_directory_of_other_files_or_an_empty_rocksdb_database_becomes_a_database() {
    // The root of a file system has `lost+found`; a database may live there.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("lost+found")).unwrap();
    fs::write(dir.path().join("notes.txt"), b"keep me").unwrap();
    {
        let db = open(dir.path()).expect("a directory with other files");
        let fork = db.fork();
        fork.get_entry("entry").set(1_u8);
        db.merge(fork.into_patch()).unwrap();
    }
    assert_eq!(fs::read(dir.path().join("notes.txt")).unwrap(), b"keep me");
    assert_eq!(
        open(dir.path())
            .unwrap()
            .snapshot()
            .get_entry::<_, u8>("entry")
            .get(),
        Some(1)
    );

    // What a crash right after RocksDB created a database, before metaldb recorded its
    // version, leaves behind.
    let empty = tempfile::tempdir().unwrap();
    {
        let mut options = ::rocksdb::Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        ::rocksdb::DB::open_cf(&options, empty.path(), [DB_METADATA]).unwrap();
    }
    open(empty.path()).expect("an empty database is adopted");
    assert_eq!(
        raw_get(empty.path(), DB_METADATA, b"version"),
        Some(vec![0])
    );
}

// ---- Format version -----------------------------------------------------------------------

#[test]
fn a_newer_format_version_is_refused_and_the_database_opens_once_it_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_sample(&path);
    raw_put(&path, DB_METADATA, b"version", &[1]);

    let err = open(&path).expect_err("a newer version");
    assert_eq!(
        err.to_string(),
        "Database version doesn't match: actual 1, expected 0"
    );
    let (status, message) = c_open_error(&path);
    assert_eq!(status, MDB_ERR_INCOMPATIBLE_VERSION);
    assert_eq!(message, err.to_string());
    assert_eq!(
        raw_get(&path, DB_METADATA, b"version"),
        Some(vec![1]),
        "untouched"
    );

    raw_put(&path, DB_METADATA, b"version", &[0]);
    check_writable(&path);
}

#[test]
fn a_corrupted_version_record_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_sample(&path);
    raw_put(&path, DB_METADATA, b"version", &[]);

    // metaldb 1.0.0 panicked here, decoding the record.
    let err = open(&path).expect_err("an undecodable version record");
    let message = err.to_string();
    assert!(
        message.starts_with("The format version record of the database is corrupted"),
        "{message}"
    );
    let (status, c_message) = c_open_error(&path);
    assert_eq!(status, MDB_ERR_CORRUPTION, "{c_message}");
    assert_eq!(c_message, message);
    assert_eq!(
        raw_get(&path, DB_METADATA, b"version"),
        Some(vec![]),
        "untouched"
    );

    raw_put(&path, DB_METADATA, b"version", &[0]);
    check_writable(&path);
}

// ---- Corrupted index metadata -------------------------------------------------------------

/// Ways to corrupt the metadata of the list `bad` (id 2, length 2), each with the reason the
/// message gives.
fn corruptions() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let header = |id: u64, code: u32| [id.to_le_bytes().to_vec(), code.to_le_bytes().to_vec()];
    vec![
        (
            "truncated",
            vec![2, 0, 0, 0, 0],
            "failed to fill whole buffer",
        ),
        (
            "identifier 0",
            header(0, 2).concat(),
            "IndexMetadata identifier is 0",
        ),
        (
            "unknown type",
            header(2, 9).concat(),
            "Unknown index type: 9",
        ),
        (
            "short state",
            [header(2, 2).concat(), vec![0, 0, 0, 0, 2, 0, 0, 0, 2, 0]].concat(),
            "the state of a List does not decode",
        ),
    ]
}

/// Opens the list `name` through the C ABI from a fresh fork; the status and message.
///
/// # Safety
///
/// `db` must be a live database handle.
unsafe fn c_open_list(db: *const mdb_db, name: &str) -> (mdb_status, String, Option<u64>) {
    let mut fork = ptr::null_mut();
    // SAFETY: per the caller; every handle is freed once.
    unsafe {
        check(mdb_fork_new(db, &mut fork), "mdb_fork_new");
        let result = match open_list(mdb_fork_as_access(fork), name) {
            Ok(list) => {
                let len = list_len(list).expect("list length");
                mdb_list_free(list);
                (MDB_OK, String::new(), Some(len))
            }
            Err(status) => (status, last_error(), None),
        };
        mdb_fork_free(fork);
        result
    }
}

#[test]
fn corrupted_index_metadata_is_a_corruption_status_through_the_c_abi() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_sample(&path);
    let original = raw_get(&path, INDEXES_POOL, b"bad").expect("metadata of `bad`");

    for (what, bytes, reason) in corruptions() {
        raw_put(&path, INDEXES_POOL, b"bad", &bytes);

        // The database opens: metadata is read when an index is opened.
        let db = c_abi::open(&path).unwrap_or_else(|err| panic!("{what}: {err:?}"));
        // SAFETY: a live handle, closed once, after its forks.
        unsafe {
            let (status, message, _) = c_open_list(db, "bad");
            assert_eq!(status, MDB_ERR_CORRUPTION, "{what}: {message}");
            assert!(message.contains("\"bad\""), "{what}: {message}");
            assert!(message.contains(reason), "{what}: {message}");
            assert_eq!(status_text(status), "stored data is corrupted");

            // Through a snapshot, and when asking for the type only.
            let mut snapshot = ptr::null_mut();
            check(mdb_snapshot_new(db, &mut snapshot), "mdb_snapshot_new");
            let (name, len) = name("bad");
            let (mut index_type, mut found) = (0, false);
            let status = mdb_access_index_type(
                mdb_snapshot_as_access(snapshot),
                name,
                len,
                ptr::null(),
                0,
                &mut index_type,
                &mut found,
            );
            assert_eq!(status, MDB_ERR_CORRUPTION, "{what}: {}", last_error());
            mdb_snapshot_free(snapshot);

            // The rest of the database works, and nothing was poisoned.
            assert_eq!(c_open_list(db, "good"), (MDB_OK, String::new(), Some(3)));
            commit(db, false, |access| {
                let map = open_map(access, "map").expect("open the map");
                check(map_put(map, b"other", b"x"), "put");
                mdb_map_free(map);
            });
            mdb_db_free(db);
        }
        // Rust keeps metaldb 1.0.0's behaviour: opening the index panics.
        let db = open(&path).expect("the database opens");
        let panic = catch_unwind(AssertUnwindSafe(|| {
            db.snapshot().get_list::<_, u64>("bad").len();
        }))
        .expect_err("Rust panics on corrupt metadata");
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
            .unwrap_or_default();
        assert!(
            text.contains("Error while deserializing value")
                || text.contains("This can be caused by database corruption"),
            "{what}: {text}"
        );
    }

    // Repaired, everything is there.
    raw_put(&path, INDEXES_POOL, b"bad", &original);
    let db = c_abi::open(&path).expect("open");
    // SAFETY: a live handle, closed once.
    unsafe {
        assert_eq!(c_open_list(db, "bad"), (MDB_OK, String::new(), Some(2)));
        mdb_db_free(db);
    }
    check_writable(&path);
}

/// Writes the map `damaged` (enough entries for several data blocks) and the map "healthy",
/// flushes `damaged` to its own SST file, and flips bytes in that file's first data block.
/// Returns the first key of `damaged`, which lives in that block.
fn write_and_damage_a_data_block(path: &Path, damaged: &str) -> Vec<u8> {
    let db = open(path).expect("open");
    let fork = db.fork();
    let value = vec![0x5A_u8; 200];
    for key in 0..1_000_u32 {
        fork.get_map::<_, u32, Vec<u8>>(damaged)
            .put(&key, value.clone());
    }
    fork.get_map::<_, u32, u32>("healthy").put(&1, 1);
    db.merge(fork.into_patch()).unwrap();
    {
        let raw = db.get_db_lock_guard();
        let cf = raw.cf_handle(damaged).expect("the column family exists");
        raw.flush_cf(&cf).expect("flush the map to an SST file");
    }
    drop(db);

    let tables: Vec<PathBuf> = fs::read_dir(path)
        .expect("read the database directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|file| file.extension().is_some_and(|ext| ext == "sst"))
        .collect();
    assert_eq!(tables.len(), 1, "one flush, one table: {tables:?}");
    let mut bytes = fs::read(&tables[0]).expect("read the table");
    // The first data block starts the file; its entries hold the map's first keys.
    for byte in &mut bytes[64..96] {
        *byte ^= 0xFF;
    }
    fs::write(&tables[0], bytes).expect("write the damaged table");
    0_u32.to_be_bytes().to_vec()
}

#[test]
fn a_damaged_data_block_is_a_corruption_status_and_poisons_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let damaged_key = write_and_damage_a_data_block(&path, "damaged");

    let db = c_abi::open(&path).expect("the database opens: only a data block is damaged");
    // SAFETY: live handles, each freed once, the database last.
    unsafe {
        for family_of in ["snapshot", "fork"] {
            let (mut snapshot, mut fork) = (ptr::null_mut(), ptr::null_mut());
            let access = if family_of == "snapshot" {
                check(mdb_snapshot_new(db, &mut snapshot), "mdb_snapshot_new");
                mdb_snapshot_as_access(snapshot)
            } else {
                check(mdb_fork_new(db, &mut fork), "mdb_fork_new");
                mdb_fork_as_access(fork)
            };
            let map = open_map(access, "damaged").expect("the metadata is intact");
            for attempt in 0..2 {
                let status = map_get(map, &damaged_key).expect_err("the block is damaged");
                let message = last_error();
                assert_eq!(
                    status, MDB_ERR_CORRUPTION,
                    "{family_of} {attempt}: {message}"
                );
                assert!(
                    message.contains("\"damaged\"") && message.contains("Corruption"),
                    "{family_of}: {message}"
                );
            }
            // Iteration stops at the damage and says so, every time: it never ends quietly.
            let mut iter = ptr::null_mut();
            check(mdb_map_iter(map, ptr::null(), 0, &mut iter), "mdb_map_iter");
            for _ in 0..2 {
                let (status, _) = iter_step(iter);
                assert_eq!(status, MDB_ERR_CORRUPTION, "{family_of}: {}", last_error());
            }
            mdb_iter_free(iter);
            mdb_map_free(map);

            // The family is not poisoned: its other indexes work.
            let healthy = open_map(access, "healthy").expect("open the healthy map");
            assert_eq!(
                map_get(healthy, &1_u32.to_be_bytes()),
                Ok(Some(1_u32.to_le_bytes().to_vec()))
            );
            mdb_map_free(healthy);
            mdb_snapshot_free(snapshot);
            mdb_fork_free(fork);
        }
        // Writes are not checked: RocksDB refuses them once a background compaction has met
        // the damage (its background error), which the merge reports as a storage error.
        mdb_db_free(db);
    }

    // Rust keeps metaldb 1.0.0's behaviour: the read panics with RocksDB's text.
    let db = open(&path).expect("the database opens");
    let panic = catch_unwind(AssertUnwindSafe(|| {
        db.snapshot().get_map::<_, u32, Vec<u8>>("damaged").get(&0);
    }))
    .expect_err("Rust panics on a damaged block");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("Corruption"), "{text}");
}

#[test]
fn try_read_returns_a_damaged_block_as_an_error_each_time_without_a_panic_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let damaged_key = write_and_damage_a_data_block(&path, "damaged");
    let damaged_key = u32::from_be_bytes(damaged_key.try_into().expect("a u32 key"));

    // The panic hook sees every panic, caught or not: a failed read inside `try_read` must not
    // reach it (a library that prints to stderr on a damaged file is one users silence).
    let this_thread = thread::current().id();
    let panics_here = Arc::new(AtomicUsize::new(0));
    let previous_hook = panic::take_hook();
    panic::set_hook({
        let panics_here = Arc::clone(&panics_here);
        Box::new(move |info| {
            if thread::current().id() == this_thread {
                panics_here.fetch_add(1, Ordering::SeqCst);
            }
            previous_hook(info);
        })
    });

    let db = open(&path).expect("the database opens: only a data block is damaged");
    let snapshot = db.snapshot();
    let damaged = snapshot.get_map::<_, u32, Vec<u8>>("damaged");
    for attempt in 0..2 {
        let message = try_read(|| damaged.get(&damaged_key))
            .expect_err("the block is damaged")
            .to_string();
        assert!(
            message.contains("\"damaged\"")
                && message.contains("Corruption")
                && message.contains("the database is damaged"),
            "{attempt}: {message}"
        );
        let message = try_read(|| damaged.iter().count())
            .expect_err("iteration meets the damaged block")
            .to_string();
        assert!(message.contains("\"damaged\""), "{attempt}: {message}");
    }
    let healthy = snapshot.get_map::<_, u32, u32>("healthy");
    assert_eq!(
        try_read(|| healthy.get(&1)).expect("a healthy read"),
        Some(1)
    );
    assert_eq!(panics_here.load(Ordering::SeqCst), 0);

    // A panic that is no failed read passes through `try_read` unchanged.
    let passed = catch_unwind(AssertUnwindSafe(|| try_read(|| panic!("not a read"))))
        .expect_err("the panic passes through");
    assert_eq!(passed.downcast_ref::<&str>(), Some(&"not a read"));
    // Outside `try_read`, the same read panics with RocksDB's text, as in metaldb 1.0.0.
    catch_unwind(AssertUnwindSafe(|| damaged.get(&damaged_key))).expect_err("1.0.0 panics");
    assert_eq!(panics_here.load(Ordering::SeqCst), 2);
}

#[test]
fn a_damaged_block_stops_a_persistent_iterator_and_a_tombstone_removes_it_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_and_damage_a_data_block(&path, "ns.damaged");

    let db = c_abi::open(&path).expect("the database opens: only a data block is damaged");
    // SAFETY: live handles, each freed once, the database last.
    unsafe {
        let mut fork = ptr::null_mut();
        check(mdb_fork_new(db, &mut fork), "mdb_fork_new");
        let access = mdb_fork_as_access(fork);
        let map = open_map(access, "ns.damaged").expect("the metadata is intact");
        let (namespace, namespace_len) = name("ns");
        let mut scratchpad = ptr::null_mut();
        check(
            mdb_access_scratchpad(access, namespace, namespace_len, &mut scratchpad),
            "mdb_access_scratchpad",
        );
        let (position, position_len) = name("position");
        let mut iter = ptr::null_mut();
        check(
            mdb_persistent_iter_new_map(scratchpad, position, position_len, map, &mut iter),
            "mdb_persistent_iter_new_map",
        );
        // It stops at the damage and says so each time: it never ends, or saves an end, quietly.
        for attempt in 0..2 {
            let (status, _) = iter_step(iter);
            let message = last_error();
            assert_eq!(status, MDB_ERR_CORRUPTION, "{attempt}: {message}");
            assert!(message.contains("\"ns.damaged\""), "{attempt}: {message}");
        }
        mdb_iter_free(iter);
        mdb_map_free(map);
        mdb_access_free(scratchpad);

        // A migration's tombstone removes the damaged index without reading its data: the
        // flush only marks it, and the merge deletes its key range.
        let mut migration = ptr::null_mut();
        check(
            mdb_access_migration(access, namespace, namespace_len, &mut migration),
            "mdb_access_migration",
        );
        let (damaged, damaged_len) = name("damaged");
        check(
            mdb_migration_create_tombstone(migration, damaged, damaged_len, ptr::null(), 0),
            "mdb_migration_create_tombstone",
        );
        mdb_access_free(migration);
        check(
            mdb_migration_flush(fork, namespace, namespace_len),
            "mdb_migration_flush",
        );
        let mut patch = ptr::null_mut();
        check(mdb_fork_into_patch(fork, &mut patch), "mdb_fork_into_patch");
        let (full_name, full_name_len) = name("ns.damaged");
        let (mut index_type, mut found) = (0, true);
        check(
            mdb_access_index_type(
                mdb_patch_as_access(patch),
                full_name,
                full_name_len,
                ptr::null(),
                0,
                &mut index_type,
                &mut found,
            ),
            "mdb_access_index_type",
        );
        assert!(!found, "the tombstoned index is gone (type {index_type})");
        // Whether the merge lands is RocksDB's call: once a background compaction has met the
        // damage, RocksDB refuses every write (its background error) until it is reopened.
        let status = mdb_db_merge(db, patch);
        let message = last_error();
        assert!(
            status == MDB_OK || (status == MDB_ERR_STORAGE && message.contains("Corruption")),
            "{}: {message}",
            status_text(status)
        );
        mdb_patch_free(patch);
        mdb_fork_free(fork);
        mdb_db_free(db);
    }
}

#[test]
fn a_corrupted_identifier_counter_stops_index_creation_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_sample(&path);
    let counter = raw_get(&path, INDEXES_POOL, b"").expect("the counter");
    raw_put(&path, INDEXES_POOL, b"", &[3, 0, 0]);

    let db = c_abi::open(&path).expect("open");
    // SAFETY: a live handle, closed once.
    unsafe {
        let (status, message, _) = c_open_list(db, "new_list");
        assert_eq!(status, MDB_ERR_CORRUPTION, "{message}");
        assert!(message.contains("identifier counter"), "{message}");
        assert_eq!(c_open_list(db, "good"), (MDB_OK, String::new(), Some(3)));
        mdb_db_free(db);
    }

    raw_put(&path, INDEXES_POOL, b"", &counter);
    let db = c_abi::open(&path).expect("open");
    // SAFETY: a live handle, closed once.
    unsafe {
        assert_eq!(
            c_open_list(db, "new_list"),
            (MDB_OK, String::new(), Some(0))
        );
        mdb_db_free(db);
    }
}

#[test]
fn a_migration_with_corrupted_metadata_is_not_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = open(&path).unwrap();
        let fork = db.fork();
        fork.get_list("ns.old").push(1_u64);
        db.merge(fork.into_patch()).unwrap();
        let helper = MigrationHelper::new(db.clone(), "ns");
        helper.new_data().get_list("old").push(2_u64);
        helper.finish().unwrap();
    }
    let migrated = raw_get(&path, INDEXES_POOL, b"^ns.old").expect("the migrated list");
    raw_put(&path, INDEXES_POOL, b"^ns.old", &migrated[..5]);

    let db = c_abi::open(&path).expect("open");
    let (namespace, namespace_len) = name("ns");
    // SAFETY: live handles, each freed once.
    unsafe {
        let mut fork = ptr::null_mut();
        check(mdb_fork_new(db, &mut fork), "mdb_fork_new");
        let status = mdb_migration_flush(fork, namespace, namespace_len);
        assert_eq!(status, MDB_ERR_CORRUPTION, "{}", last_error());
        assert!(last_error().contains("\"^ns.old\""), "{}", last_error());
        // The fork is untouched and usable.
        let list = open_list(mdb_fork_as_access(fork), "ns.old").expect("open");
        assert_eq!(list_len(list), Ok(1));
        mdb_list_free(list);
        mdb_fork_free(fork);
        mdb_db_free(db);
    }

    raw_put(&path, INDEXES_POOL, b"^ns.old", &migrated);
    let db = c_abi::open(&path).expect("open");
    // SAFETY: live handles, each freed once.
    unsafe {
        let mut fork = ptr::null_mut();
        check(mdb_fork_new(db, &mut fork), "mdb_fork_new");
        check(mdb_migration_flush(fork, namespace, namespace_len), "flush");
        let mut patch = ptr::null_mut();
        check(mdb_fork_into_patch(fork, &mut patch), "into_patch");
        check(mdb_db_merge(db, patch), "merge");
        mdb_patch_free(patch);
        mdb_fork_free(fork);
        mdb_db_free(db);
    }
    let db = open(&path).unwrap();
    let snapshot = db.snapshot();
    assert_eq!(
        snapshot
            .get_list::<_, u64>("ns.old")
            .iter()
            .collect::<Vec<_>>(),
        vec![2]
    );
    assert_eq!(
        Migration::new("ns", &snapshot).index_type("old"),
        None,
        "the migration is flushed"
    );
}

// ---- Locks --------------------------------------------------------------------------------

/// Where the lock-holding child finds the database.
const LOCK_DIR_VAR: &str = "METALDB_LOCK_HOLDER_DIR";

/// The child: opens the database and keeps it open until it is killed.
#[test]
#[ignore = "run as a child process by `a_database_locked_by_another_process_is_a_clear_error`"]
fn lock_holder_child() {
    let Ok(dir) = env::var(LOCK_DIR_VAR) else {
        return;
    };
    let _db = open(Path::new(&dir)).expect("open in the child");
    report("open");
    // Bounded, so that a child whose parent died ends on its own.
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_database_locked_by_another_process_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_sample(&path);
    let mut holder = ChildProcess::spawn("lock_holder_child", &[(LOCK_DIR_VAR, path.as_os_str())]);
    assert_eq!(
        holder.wait_for_report(Duration::from_secs(60), "the lock holder", |line| line
            == "open"),
        Some("open".to_owned()),
        "the child opened the database"
    );

    let err = open(&path).expect_err("the database is locked");
    assert!(err.to_string().contains("LOCK"), "{err}");
    let (status, message) = c_open_error(&path);
    assert_eq!(status, MDB_ERR_STORAGE);
    assert!(message.contains("LOCK"), "{message}");

    // A process that dies holding the lock releases it.
    holder.kill();
    check_sample(&open(&path).expect("open once the holder is gone"));
    check_writable(&path);
}

#[test]
fn a_database_open_in_this_process_cannot_be_opened_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    write_sample(&path);
    let db = open(&path).unwrap();
    let err = open(&path).expect_err("opened twice");
    assert!(err.to_string().contains("LOCK"), "{err}");
    let (status, message) = c_open_error(&path);
    assert_eq!(status, MDB_ERR_STORAGE, "{message}");
    check_sample(&db);
    drop(db);
    check_writable(&path);
}

// ---- Full disk ----------------------------------------------------------------------------

/// Set to let the full-disk tests pass without running where no tmpfs can be mounted.
const ALLOW_NO_MOUNT_VAR: &str = "METALDB_ALLOW_NO_MOUNT";
/// The size of the small file system, and the size that frees space.
const SMALL: &str = "size=2m";
const LARGE: &str = "size=64m";
/// Each patch adds this many bytes.
const PATCH_BYTES: usize = 32 * 1024;

/// A tmpfs mounted on a temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs with the mount options `data`; `None` if mounting is not allowed here
    /// and `METALDB_ALLOW_NO_MOUNT` says to skip.
    fn mount(data: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("a mount point");
        if let Err(err) = mount(dir.path(), data, 0) {
            // CI must run every real check: there the escape hatch is refused.
            let in_ci = env::var("CI").is_ok_and(|ci| ci == "true");
            if env::var_os(ALLOW_NO_MOUNT_VAR).is_some() && !in_ci {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs ({err}); the full-disk test did not run \
                     ({ALLOW_NO_MOUNT_VAR} is set)"
                );
                return None;
            }
            panic!(
                "cannot mount a tmpfs on {} ({err}): the full-disk tests need root \
                 (CAP_SYS_ADMIN) to make a small file system. Run them as root, or set \
                 {ALLOW_NO_MOUNT_VAR}=1 to skip them knowingly (not honoured in CI)",
                dir.path().display()
            );
        }
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Changes the size: frees space without touching the files.
    fn resize(&self, data: &str) {
        mount(self.path(), data, libc::MS_REMOUNT).expect("remount the tmpfs");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let target = CString::new(self.path().as_os_str().to_str().unwrap()).unwrap();
        // SAFETY: a valid C string. Lazy, so that a failed test with files still open does
        // not leave the mount behind.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    }
}

fn mount(target: &Path, data: &str, flags: libc::c_ulong) -> Result<(), std::io::Error> {
    let source = CString::new("tmpfs").unwrap();
    let target = CString::new(target.as_os_str().to_str().expect("UTF-8")).unwrap();
    let data = CString::new(data).unwrap();
    // SAFETY: valid C strings; tmpfs takes its options as a string.
    let result = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            source.as_ptr(),
            flags,
            data.as_ptr().cast(),
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The bytes patch `n` appends.
fn chunk(n: u64) -> Vec<u8> {
    let mut bytes = vec![(n % 251) as u8; PATCH_BYTES];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    bytes
}

/// Checks that the database holds exactly patches `0..merged`.
fn check_chunks(db: &RocksDB, merged: u64) {
    let snapshot = db.snapshot();
    let list = snapshot.get_list::<_, Vec<u8>>("chunks");
    assert_eq!(list.len(), merged, "every merged patch, and no other");
    for (n, bytes) in (0..).zip(list.iter()) {
        assert!(bytes == chunk(n), "patch {n} is intact");
    }
    let last = snapshot.get_entry::<_, u64>("last").get();
    assert_eq!(last, merged.checked_sub(1), "the entry moved with the list");
}

#[test]
fn a_full_disk_fails_the_merge_loses_nothing_and_the_database_recovers() {
    let Some(fs) = Tmpfs::mount(SMALL) else {
        return;
    };
    let path = fs.path().join("db");
    let db = open(&path).expect("open on the small file system");
    let mut merged = 0;
    let err = loop {
        assert!(merged < 10_000, "the disk never filled up");
        let fork = db.fork();
        fork.get_list("chunks").push(chunk(merged));
        fork.get_entry("last").set(merged);
        match db.merge(fork.into_patch()) {
            Ok(()) => merged += 1,
            Err(err) => break err,
        }
    };
    assert!(merged > 0, "the file system is big enough for some data");
    let message = err.to_string();
    assert!(message.contains("No space left on device"), "{message}");
    println!("the merge after {merged} patches failed: {message}");
    // Nothing of the failed merge is visible, before or after reopening.
    check_chunks(&db, merged);

    // RocksDB stops writing after a failed write-ahead log append: merges through this
    // handle keep failing with that error, even once there is space again. Reopening clears
    // it.
    fs.resize(LARGE);
    let fork = db.fork();
    fork.get_entry("last").set(merged);
    let again = db
        .merge(fork.into_patch())
        .expect_err("the handle stays failed");
    assert_eq!(again.to_string(), message);
    check_chunks(&db, merged);
    drop(db);

    let db = open(&path).expect("reopen with space");
    check_chunks(&db, merged);
    let fork = db.fork();
    fork.get_list("chunks").push(chunk(merged));
    fork.get_entry("last").set(merged);
    db.merge_sync(fork.into_patch())
        .expect("a merge with space");
    drop(db);
    check_chunks(&open(&path).expect("reopen"), merged + 1);
}

/// Merges patches through the C ABI until one fails; the number merged, and the failure.
///
/// # Safety
///
/// `db` must be a live database handle.
unsafe fn c_fill(db: *mut mdb_db) -> (u64, mdb_status, String) {
    let mut merged = 0_u64;
    loop {
        assert!(merged < 10_000, "the disk never filled up");
        let mut fork = ptr::null_mut();
        // SAFETY: per the caller; every handle is freed once.
        unsafe {
            check(mdb_fork_new(db, &mut fork), "mdb_fork_new");
            let list = open_list(mdb_fork_as_access(fork), "chunks").expect("open");
            let bytes = chunk(merged);
            check(mdb_list_push(list, bytes.as_ptr(), bytes.len()), "push");
            mdb_list_free(list);
            let (name, len) = name("last");
            let mut entry = ptr::null_mut();
            check(
                mdb_access_entry(
                    mdb_fork_as_access(fork),
                    name,
                    len,
                    ptr::null(),
                    0,
                    &mut entry,
                ),
                "mdb_access_entry",
            );
            let value = merged.to_le_bytes();
            check(mdb_entry_set(entry, value.as_ptr(), value.len()), "set");
            mdb_entry_free(entry);
            let mut patch = ptr::null_mut();
            check(mdb_fork_into_patch(fork, &mut patch), "into_patch");
            let status = mdb_db_merge(db, patch);
            let message = last_error();
            mdb_patch_free(patch);
            mdb_fork_free(fork);
            if status != MDB_OK {
                return (merged, status, message);
            }
        }
        merged += 1;
    }
}

#[test]
fn a_full_disk_is_a_storage_status_with_rocksdbs_text_through_the_c_abi() {
    let Some(fs) = Tmpfs::mount(SMALL) else {
        return;
    };
    let path: PathBuf = fs.path().join("db");
    let db = c_abi::open(&path).expect("open on the small file system");
    // SAFETY: a live handle, closed once.
    let (merged, status, message) = unsafe { c_fill(db) };
    unsafe { mdb_db_free(db) };
    assert!(merged > 0, "the file system is big enough for some data");
    assert_eq!(status, MDB_ERR_STORAGE, "{message}");
    assert!(message.contains("No space left on device"), "{message}");

    fs.resize(LARGE);
    let db = open(&path).expect("reopen with space");
    check_chunks(&db, merged);
    let fork = db.fork();
    fork.get_list("chunks").push(chunk(merged));
    fork.get_entry("last").set(merged);
    db.merge(fork.into_patch()).expect("a merge with space");
    check_chunks(&db, merged + 1);
}

/// Fills the file system holding `dir` to its last page with a file of its own, and returns
/// the file's path.
fn fill_up(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut file = fs::File::create(&filler).expect("create the filler file");
    let block = vec![0xA5_u8; 4096];
    loop {
        match file.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) if err.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(err) => panic!("write the filler file: {err}"),
        }
    }
    filler
}

#[test]
fn a_full_disk_while_a_merge_creates_an_index_leaves_it_usable_once_space_returns() {
    const NEW_INDEX: &str = "created.on.a.full.disk";
    let Some(fs) = Tmpfs::mount(SMALL) else {
        return;
    };
    let path = fs.path().join("db");
    let db = open(&path).expect("open on the small file system");
    for n in 0..3 {
        let fork = db.fork();
        fork.get_list("chunks").push(chunk(n));
        fork.get_entry("last").set(n);
        db.merge(fork.into_patch()).expect("a merge with space");
    }
    let write_new_index = |from: u64| {
        let fork = db.fork();
        let mut map = fork.get_map::<_, u64, Vec<u8>>(NEW_INDEX);
        for n in from..from + 4 {
            map.put(&n, chunk(n));
        }
        drop(map);
        db.merge(fork.into_patch())
    };

    let filler = fill_up(fs.path());
    let err = write_new_index(0).expect_err("a merge on a full disk");
    let message = err.to_string();
    assert!(message.contains("No space left on device"), "{message}");
    assert!(
        column_families(&path).iter().any(|name| name == NEW_INDEX),
        "RocksDB recorded the new column family before the failure (the case under test): \
         {message}"
    );
    check_chunks(&db, 3);
    assert_eq!(
        db.snapshot()
            .get_map::<_, u64, Vec<u8>>(NEW_INDEX)
            .iter()
            .count(),
        0
    );

    // Space returns: the same handle creates the index and writes it, with no reopening.
    fs::remove_file(&filler).expect("remove the filler file");
    write_new_index(0).expect("the merge once there is space again");
    write_new_index(4).expect("a second merge into the new index");
    let check = |db: &RocksDB| {
        let snapshot = db.snapshot();
        let map = snapshot.get_map::<_, u64, Vec<u8>>(NEW_INDEX);
        let entries: Vec<(u64, Vec<u8>)> = map.iter().collect();
        let expected: Vec<(u64, Vec<u8>)> = (0..8).map(|n| (n, chunk(n))).collect();
        assert!(
            entries == expected,
            "the new index holds every entry merged, whole"
        );
        check_chunks(db, 3);
    };
    check(&db);
    drop(db);
    let db = open(&path).expect("reopen");
    check(&db);
}
