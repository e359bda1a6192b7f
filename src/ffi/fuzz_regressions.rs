//! Regression tests for the bugs the C ABI fuzz target found (`fuzz/`, RELIABILITY.md); the
//! inputs that found them are replayed from `fuzz/regressions/c_abi`.

use std::ptr;

use super::{
    access::{mdb_access, mdb_access_free, mdb_access_index_type},
    access::{mdb_access_migration, mdb_access_prefixed, mdb_access_scratchpad},
    fork::{mdb_fork_flush, mdb_fork_rollback},
    iter::{mdb_iter, mdb_iter_free},
    map::{mdb_access_map, mdb_map, mdb_map_free, mdb_map_iter},
    migration::{namespace::*, persistent_iter::mdb_persistent_iter_new_map},
    status::MDB_OK,
    status::{mdb_status, MDB_ERR_BORROWED, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_STALE_HANDLE},
    test_support::{assert_status, iterate, namespaced, next_entry, open, put, try_open, TempFork},
};

fn open_map(access: *const mdb_access, name: &str) -> Result<*mut mdb_map, mdb_status> {
    try_open(mdb_access_map, access, name)
}

fn entries(map: *mut mdb_map) -> Vec<(Vec<u8>, Vec<u8>)> {
    iterate(|iter| unsafe { mdb_map_iter(map, ptr::null(), 0, iter) })
}

fn persistent_iter(
    access: *const mdb_access,
    name: &str,
    map: *const mdb_map,
) -> Result<*mut mdb_iter, mdb_status> {
    let mut iter = ptr::null_mut();
    let name_ptr = name.as_ptr().cast();
    match unsafe { mdb_persistent_iter_new_map(access, name_ptr, name.len(), map, &mut iter) } {
        MDB_OK => Ok(iter),
        status => Err(status),
    }
}

/// Looks up the type of the index `name` through `access`: the status only.
fn index_type_status(access: *const mdb_access, name: &str) -> mdb_status {
    let (mut code, mut found, name_ptr) = (0, false, name.as_ptr().cast());
    let key = ptr::null();
    unsafe { mdb_access_index_type(access, name_ptr, name.len(), key, 0, &mut code, &mut found) }
}

#[test]
fn empty_index_names_are_rejected_through_namespaced_accesses() {
    let db = TempFork::new();
    let map = db.open(mdb_access_map, "map");
    for function in [mdb_access_prefixed, mdb_access_migration] {
        let access = namespaced(function, db.access(), "ns");
        assert_eq!(open_map(access, ""), Err(MDB_ERR_INVALID_ARGUMENT));
        assert_status(index_type_status(access, ""), MDB_ERR_INVALID_ARGUMENT);
        unsafe { mdb_access_free(access) };
    }
    assert_eq!(
        persistent_iter(db.access(), "", map),
        Err(MDB_ERR_INVALID_ARGUMENT)
    );
    unsafe { mdb_map_free(map) };
}

#[test]
fn a_writable_handle_does_not_open_beside_read_only_handles_of_a_missing_index() {
    let mut db = TempFork::new();
    let readonly = open(mdb_access_map, db.readonly(), "map");
    assert_eq!(open_map(db.access(), "map"), Err(MDB_ERR_BORROWED));
    // Flushing reopens the read-only handle: it must still be a handle of a missing map.
    assert_status(unsafe { mdb_fork_flush(db.fork) }, MDB_OK);
    unsafe { mdb_map_free(readonly) };
    let writable = open_map(db.access(), "map").expect("no other handle is left");
    assert_status(put(writable, b"key", b"value"), MDB_OK);
    unsafe { mdb_map_free(writable) };
}

#[test]
fn a_tombstone_is_refused_where_a_handle_of_a_missing_index_is_open() {
    let mut db = TempFork::new();
    let readonly_migration = namespaced(mdb_access_migration, db.readonly(), "ns");
    let phantom = open_map(readonly_migration, "map").expect("a missing map reads as empty");
    let migration = namespaced(mdb_access_migration, db.access(), "ns");
    let status = unsafe {
        mdb_migration_create_tombstone(migration, b"map".as_ptr().cast(), 3, ptr::null(), 0)
    };
    assert_status(status, MDB_ERR_BORROWED);
    assert_status(unsafe { mdb_fork_flush(db.fork) }, MDB_OK);
    assert_eq!(entries(phantom), []);
    unsafe {
        mdb_map_free(phantom);
        mdb_access_free(migration);
        mdb_access_free(readonly_migration);
    }
}

#[test]
fn an_iterator_is_stale_once_its_index_handle_is_freed() {
    let db = TempFork::new();
    let map = db.open(mdb_access_map, "map");
    assert_status(put(map, b"a", b"1"), MDB_OK);
    assert_status(put(map, b"b", b"2"), MDB_OK);
    let mut iter = ptr::null_mut();
    assert_status(
        unsafe { mdb_map_iter(map, ptr::null(), 0, &mut iter) },
        MDB_OK,
    );
    assert_eq!(next_entry(iter), Ok(Some((b"a".to_vec(), b"1".to_vec()))));
    unsafe { mdb_map_free(map) };
    // The iterator read `b` ahead; it must not lend it once the index is gone.
    assert_eq!(next_entry(iter), Err(MDB_ERR_STALE_HANDLE));
    unsafe { mdb_iter_free(iter) };
}

#[test]
fn a_persistent_iterator_at_its_end_frees_its_name() {
    let db = TempFork::new();
    let map = db.open(mdb_access_map, "map");
    assert_status(put(map, b"a", b"1"), MDB_OK);
    let iter = persistent_iter(db.access(), "position", map).expect("a new iterator");
    assert_eq!(next_entry(iter), Ok(Some((b"a".to_vec(), b"1".to_vec()))));
    let again = persistent_iter(db.access(), "position", map).expect("the first one has ended");
    assert_eq!(
        next_entry(again),
        Ok(None),
        "an ended position yields nothing"
    );
    assert_eq!(next_entry(iter), Ok(None));
    unsafe { (mdb_iter_free(again), mdb_iter_free(iter), mdb_map_free(map)) };
}

#[test]
fn scratchpad_index_type_rejects_invalid_names() {
    let db = TempFork::new();
    let scratchpad = namespaced(mdb_access_scratchpad, db.access(), "ns");
    assert_status(
        index_type_status(scratchpad, "bad name"),
        MDB_ERR_INVALID_ARGUMENT,
    );
    unsafe { mdb_access_free(scratchpad) };
}

#[test]
fn fork_rollback_after_a_migration_flush_keeps_the_flushed_migration() {
    let db = TempFork::new();
    let old = db.open(mdb_access_map, "ns.map");
    assert_status(put(old, b"old", b"1"), MDB_OK);
    let migration = namespaced(mdb_access_migration, db.access(), "ns");
    let new = open_map(migration, "map").expect("a new migrated map");
    assert_status(put(new, b"new", b"2"), MDB_OK);
    unsafe {
        (
            mdb_map_free(old),
            mdb_map_free(new),
            mdb_access_free(migration),
        )
    };
    assert_status(unsafe { mdb_fork_flush(db.fork) }, MDB_OK);
    let status = unsafe { mdb_migration_flush(db.fork, b"ns".as_ptr().cast(), 2) };
    assert_status(status, MDB_OK);
    assert_status(unsafe { mdb_fork_rollback(db.fork) }, MDB_OK);
    let map = db.open(mdb_access_map, "ns.map");
    assert_eq!(
        entries(map),
        [(b"new".to_vec(), b"2".to_vec())],
        "the migrated map replaced the old one, and the rollback kept it"
    );
    unsafe { mdb_map_free(map) };
}
