//! Unit tests of the migration functions for what the C programs of `ffi-tests/`
//! (`migration.c`, `persistent_iters.c`, `abort_handle.c`) do not reach: cases where the engine
//! would panic, checked first by the C layer.

use std::ptr;

use super::{helper::*, namespace::*};
use crate::ffi::{
    access::mdb_access_free,
    fork::mdb_fork,
    map::{mdb_access_map, mdb_map_free, mdb_map_get},
    status::MDB_OK,
    status::{mdb_status, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_STALE_HANDLE, MDB_ERR_WRONG_TYPE},
    test_support::{assert_status, lookup, open, put, TempFork},
};

fn helper(db: &TempFork) -> *mut super::mdb_migration_helper {
    let mut helper = ptr::null_mut();
    let status = unsafe { mdb_migration_helper_new(db.db, b"ns".as_ptr().cast(), 2, &mut helper) };
    assert_status(status, MDB_OK);
    helper
}

#[test]
fn a_tombstone_over_a_live_handle_of_another_type_is_wrong_type_not_a_panic() {
    let db = TempFork::new();
    let helper = helper(&db);
    let mut new = ptr::null_mut();
    assert_status(
        unsafe { mdb_migration_helper_new_data(helper, &mut new) },
        MDB_OK,
    );
    let map = open(mdb_access_map, new, "kept");
    // The engine borrows the index before it compares the types, which would panic here.
    let status =
        unsafe { mdb_migration_create_tombstone(new, b"kept".as_ptr().cast(), 4, ptr::null(), 0) };
    assert_status(status, MDB_ERR_WRONG_TYPE);
    assert_status(put(map, b"key", b"value"), MDB_OK);
    unsafe {
        (
            mdb_map_free(map),
            mdb_access_free(new),
            mdb_migration_helper_free(helper),
        )
    };
}

#[test]
fn flush_and_rollback_make_fork_children_stale_and_an_invalid_namespace_changes_nothing() {
    type Finalizer =
        unsafe extern "C" fn(*mut mdb_fork, *const std::ffi::c_char, usize) -> mdb_status;
    for finalize in [mdb_migration_flush as Finalizer, mdb_migration_rollback] {
        let db = TempFork::new();
        let map = db.open(mdb_access_map, "ns.kept");
        assert_status(put(map, b"key", b"value"), MDB_OK);
        let get = |map| {
            lookup(|value, found| unsafe { mdb_map_get(map, b"key".as_ptr(), 3, value, found) })
        };
        let status = unsafe { finalize(db.fork, b"n.s".as_ptr().cast(), 3) };
        assert_status(status, MDB_ERR_INVALID_ARGUMENT);
        assert_eq!(get(map), Some(b"value".to_vec()));

        assert_status(
            unsafe { finalize(db.fork, b"ns".as_ptr().cast(), 2) },
            MDB_OK,
        );
        assert_status(put(map, b"key", b"other"), MDB_ERR_STALE_HANDLE);
        // The fork stays usable, and its own changes stay.
        let again = db.open(mdb_access_map, "ns.kept");
        assert_eq!(get(again), Some(b"value".to_vec()));
        unsafe { (mdb_map_free(map), mdb_map_free(again)) };
    }
}
