//! Regression tests for the bugs the C ABI fuzz target found (`fuzz/`, RELIABILITY.md); the
//! inputs that found them are replayed from `fuzz/regressions/c_abi`.

use std::ptr;

use super::{
    access::{mdb_access, mdb_access_free, mdb_access_index_type},
    access::{mdb_access_migration, mdb_access_prefixed, mdb_access_scratchpad},
    db::{mdb_db_free, mdb_db_open_temporary},
    fork::{mdb_fork_as_access, mdb_fork_free, mdb_fork_new, mdb_fork_readonly},
    fork::{mdb_fork_flush, mdb_fork_into_patch, mdb_fork_rollback},
    iter::{mdb_iter, mdb_iter_free},
    map::{mdb_access_map, mdb_map, mdb_map_free, mdb_map_iter, mdb_map_put},
    migration::{mdb_migration_create_tombstone, mdb_migration_flush, mdb_persistent_iter_new_map},
    patch::mdb_patch_free,
    status::{
        mdb_status, MDB_ERR_BORROWED, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_STALE_HANDLE, MDB_OK,
    },
    test_support::{assert_status, collect, next_entry, open, TempFork},
};

fn namespaced(
    function: unsafe extern "C" fn(
        *const mdb_access,
        *const std::ffi::c_char,
        usize,
        *mut *mut mdb_access,
    ) -> mdb_status,
    access: *const mdb_access,
    namespace: &str,
) -> *mut mdb_access {
    let mut namespaced = ptr::null_mut();
    let status = unsafe {
        function(
            access,
            namespace.as_ptr().cast(),
            namespace.len(),
            &mut namespaced,
        )
    };
    assert_status(status, MDB_OK);
    namespaced
}

fn open_map(access: *const mdb_access, name: &str) -> Result<*mut mdb_map, mdb_status> {
    let mut map = ptr::null_mut();
    let status = unsafe {
        mdb_access_map(
            access,
            name.as_ptr().cast(),
            name.len(),
            ptr::null(),
            0,
            &mut map,
        )
    };
    if status == MDB_OK {
        Ok(map)
    } else {
        Err(status)
    }
}

fn put(map: *mut mdb_map, key: &[u8], value: &[u8]) {
    let status = unsafe { mdb_map_put(map, key.as_ptr(), key.len(), value.as_ptr(), value.len()) };
    assert_status(status, MDB_OK);
}

fn map_iter(map: *mut mdb_map) -> *mut mdb_iter {
    let mut iter = ptr::null_mut();
    assert_status(
        unsafe { mdb_map_iter(map, ptr::null(), 0, &mut iter) },
        MDB_OK,
    );
    iter
}

fn persistent_iter(
    access: *const mdb_access,
    name: &str,
    map: *const mdb_map,
) -> Result<*mut mdb_iter, mdb_status> {
    let mut iter = ptr::null_mut();
    let status = unsafe {
        mdb_persistent_iter_new_map(access, name.as_ptr().cast(), name.len(), map, &mut iter)
    };
    if status == MDB_OK {
        Ok(iter)
    } else {
        Err(status)
    }
}

#[test]
fn empty_index_names_are_rejected_through_namespaced_accesses() {
    let db = TempFork::new();
    let map = db.open(mdb_access_map, "map");
    for function in [mdb_access_prefixed, mdb_access_migration] {
        let access = namespaced(function, db.access(), "ns");
        assert_eq!(open_map(access, ""), Err(MDB_ERR_INVALID_ARGUMENT));
        let (mut code, mut found) = (0, false);
        let status = unsafe {
            mdb_access_index_type(
                access,
                ptr::null(),
                0,
                ptr::null(),
                0,
                &mut code,
                &mut found,
            )
        };
        assert_status(status, MDB_ERR_INVALID_ARGUMENT);
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
    let readonly = db.open_readonly(mdb_access_map, "map");
    assert_eq!(open_map(db.access(), "map"), Err(MDB_ERR_BORROWED));
    // Flushing reopens the read-only handle: it must still be a handle of a missing map.
    assert_status(unsafe { mdb_fork_flush(db_fork(&db)) }, MDB_OK);
    unsafe { mdb_map_free(readonly) };
    let writable = open_map(db.access(), "map").expect("no other handle is left");
    put(writable, b"key", b"value");
    unsafe { mdb_map_free(writable) };
}

/// The fork of a `TempFork`, through its access (they are the same handle).
fn db_fork(db: &TempFork) -> *mut super::fork::mdb_fork {
    db.access().cast_mut().cast()
}

#[test]
fn a_tombstone_is_refused_where_a_handle_of_a_missing_index_is_open() {
    let db = TempFork::new();
    let mut readonly = ptr::null_mut();
    assert_status(
        unsafe { mdb_fork_readonly(db_fork(&db), &mut readonly) },
        MDB_OK,
    );
    let readonly_migration = namespaced(mdb_access_migration, readonly, "ns");
    let phantom = open_map(readonly_migration, "map").expect("a missing map reads as empty");
    let migration = namespaced(mdb_access_migration, db.access(), "ns");
    let status = unsafe {
        mdb_migration_create_tombstone(migration, b"map".as_ptr().cast(), 3, ptr::null(), 0)
    };
    assert_status(status, MDB_ERR_BORROWED);
    assert_status(unsafe { mdb_fork_flush(db_fork(&db)) }, MDB_OK);
    assert_eq!(collect(map_iter(phantom)), []);
    unsafe {
        mdb_map_free(phantom);
        mdb_access_free(migration);
        mdb_access_free(readonly_migration);
        mdb_access_free(readonly);
    }
}

#[test]
fn an_iterator_is_stale_once_its_index_handle_is_freed() {
    let db = TempFork::new();
    let map = db.open(mdb_access_map, "map");
    put(map, b"a", b"1");
    put(map, b"b", b"2");
    let iter = map_iter(map);
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
    put(map, b"a", b"1");
    let iter = persistent_iter(db.access(), "position", map).expect("a new iterator");
    assert_eq!(next_entry(iter), Ok(Some((b"a".to_vec(), b"1".to_vec()))));
    let again = persistent_iter(db.access(), "position", map).expect("the first one has ended");
    assert_eq!(
        next_entry(again),
        Ok(None),
        "an ended position yields nothing"
    );
    assert_eq!(next_entry(iter), Ok(None));
    unsafe {
        mdb_iter_free(again);
        mdb_iter_free(iter);
        mdb_map_free(map);
    }
}

#[test]
fn scratchpad_index_type_rejects_invalid_names() {
    let db = TempFork::new();
    let scratchpad = namespaced(mdb_access_scratchpad, db.access(), "ns");
    let (mut code, mut found) = (0, false);
    let status = unsafe {
        mdb_access_index_type(
            scratchpad,
            b"bad name".as_ptr().cast(),
            8,
            ptr::null(),
            0,
            &mut code,
            &mut found,
        )
    };
    assert_status(status, MDB_ERR_INVALID_ARGUMENT);
    unsafe { mdb_access_free(scratchpad) };
}

#[test]
fn fork_rollback_after_a_migration_flush_keeps_the_flushed_migration() {
    let mut db = ptr::null_mut();
    assert_status(unsafe { mdb_db_open_temporary(&mut db) }, MDB_OK);
    let mut fork = ptr::null_mut();
    assert_status(unsafe { mdb_fork_new(db, &mut fork) }, MDB_OK);
    let old = open(mdb_access_map, mdb_fork_as_access(fork), "ns.map");
    put(old, b"old", b"1");
    let migration = namespaced(mdb_access_migration, mdb_fork_as_access(fork), "ns");
    let new = open_map(migration, "map").expect("a new migrated map");
    put(new, b"new", b"2");
    unsafe {
        (
            mdb_map_free(old),
            mdb_map_free(new),
            mdb_access_free(migration),
        )
    };
    assert_status(unsafe { mdb_fork_flush(fork) }, MDB_OK);
    let status = unsafe { mdb_migration_flush(fork, b"ns".as_ptr().cast(), 2) };
    assert_status(status, MDB_OK);
    assert_status(unsafe { mdb_fork_rollback(fork) }, MDB_OK);
    let map = open(mdb_access_map, mdb_fork_as_access(fork), "ns.map");
    assert_eq!(
        collect(map_iter(map)),
        [(b"new".to_vec(), b"2".to_vec())],
        "the migrated map replaced the old one, and the rollback kept it"
    );
    let mut patch = ptr::null_mut();
    unsafe {
        mdb_map_free(map);
        assert_status(mdb_fork_into_patch(fork, &mut patch), MDB_OK);
        mdb_patch_free(patch);
        mdb_fork_free(fork);
        mdb_db_free(db);
    }
}
