//! `mdb_abort_handle`: aborts a migration helper's migration from anywhere, and tells whether
//! the helper is done.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible},
    handle::{free_handle, try_ref, Castable, Out},
    status::{mdb_status, FfiError},
};
use crate::migration::AbortHandle;

/// The abort handle of a migration helper, from `mdb_migration_helper_new_with_abort`.
///
/// Freeing it with `mdb_abort_handle_free` ABORTS the migration, as dropping it does in Rust:
/// a host whose garbage collector frees the handle in a finalizer aborts the migration then.
/// To let go of the handle without aborting, call `mdb_abort_handle_forget` instead.
///
/// Thread-safe: any thread may use it, concurrently (the helper usually runs on another one),
/// except that `mdb_abort_handle_forget` and `mdb_abort_handle_free` end its life and must be
/// the last call on it.
pub struct mdb_abort_handle {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_abort_handle`: empty once forgotten, so that the free that
/// follows aborts nothing.
pub(crate) type AbortHandleSlot = Mutex<Option<AbortHandle>>;

impl Castable for mdb_abort_handle {
    type RustType = AbortHandleSlot;
}

fn slot(handle: &AbortHandleSlot) -> MutexGuard<'_, Option<AbortHandle>> {
    // Nothing panics while the lock is held; a poisoned lock still holds a sound value.
    handle.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `read` on the abort handle behind `handle`.
unsafe fn with_handle<R>(
    handle: *const mdb_abort_handle,
    read: impl FnOnce(&AbortHandle) -> R,
) -> Result<R, FfiError> {
    let handle = unsafe { try_ref(handle, "handle")? };
    let slot = slot(handle);
    let handle = slot
        .as_ref()
        .expect("only forget empties the slot, and it frees it too");
    Ok(read(handle))
}

/// Aborts the migration of the helper this handle belongs to, and keeps the handle.
///
/// The helper's step that is running goes on, but its next merge (`mdb_migration_helper_merge`,
/// `mdb_migration_helper_finish`, a round of `mdb_migration_helper_iter_loop`) writes nothing and
/// returns `MDB_ERR_ABORTED`; the helper is then unusable. Aborting twice, or after the helper
/// is gone, does nothing more.
///
/// @param[in] handle  The abort handle. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `handle` is NULL.
///
/// Any thread, concurrently with the helper. Rust: dropping the `AbortHandle` (without the
/// free).
#[no_mangle]
pub unsafe extern "C" fn mdb_abort_handle_abort(handle: *mut mdb_abort_handle) -> mdb_status {
    ffi_boundary!({ unsafe { with_handle(handle, AbortHandle::abort) } })
}

/// Tells whether the helper of this handle is gone, as `AbortHandle::is_finished` tells in
/// Rust whether the `MigrationHelper` was dropped. The helper is gone:
///
/// - as soon as `mdb_migration_helper_finish` returns `MDB_OK`, `MDB_ERR_ABORTED` or
///   `MDB_ERR_STORAGE`: finishing ends the helper, even while its (now stale) handles are not
///   freed yet;
/// - once the helper handle and every access, index and iterator opened from it are freed,
///   in any order.
///
/// Until then the helper is not gone, even after a merge that failed or was aborted
/// (`mdb_migration_helper_merge`, `mdb_migration_helper_iter_loop`): such a helper is unusable, and
/// gone once freed as above.
///
/// @param[in]  handle        The abort handle. Not NULL.
/// @param[out] out_finished  On `MDB_OK`, whether the helper is gone.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL.
///
/// Any thread, concurrently with the helper. Rust: `AbortHandle::is_finished`.
#[no_mangle]
pub unsafe extern "C" fn mdb_abort_handle_is_finished(
    handle: *const mdb_abort_handle,
    out_finished: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let out_finished = Out::new(out_finished, "out_finished")?;
        let finished = unsafe { with_handle(handle, AbortHandle::is_finished)? };
        out_finished.write(finished);
        Ok(())
    })
}

/// Frees the abort handle WITHOUT aborting the migration: the helper merges as if it had no
/// abort handle.
///
/// `handle` may be NULL (a no-op). This ends the handle's life like `mdb_abort_handle_free`:
/// call exactly one of the two, once, from any thread.
///
/// Rust: `AbortHandle::forget`.
#[no_mangle]
pub unsafe extern "C" fn mdb_abort_handle_forget(handle: *mut mdb_abort_handle) {
    ffi_boundary_infallible!((), {
        if let Ok(slot_ref) = unsafe { try_ref(handle, "handle") } {
            if let Some(abort_handle) = slot(slot_ref).take() {
                abort_handle.forget();
            }
        }
        // SAFETY: NULL or a live handle, ended once per the contract; now empty, so dropping
        // it aborts nothing.
        unsafe { free_handle(handle) }
    })
}

/// Frees the abort handle AND ABORTS THE MIGRATION, as dropping the handle does in Rust: the
/// helper's next merge writes nothing and returns `MDB_ERR_ABORTED`. A garbage-collected
/// host that calls this from a finalizer aborts the migration when the handle is collected;
/// to let go of the handle without aborting, call `mdb_abort_handle_forget` instead.
///
/// `handle` may be NULL (a no-op). Call exactly one of this and `mdb_abort_handle_forget`,
/// once, from any thread, in any order relative to the helper's handles.
///
/// Rust: `drop(AbortHandle)`.
#[no_mangle]
pub unsafe extern "C" fn mdb_abort_handle_free(handle: *mut mdb_abort_handle) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_migration_helper_new_with_abort`, ended once
        // per the contract. Dropping the `AbortHandle` inside aborts the migration.
        unsafe { free_handle(handle) }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::{
        access::mdb_access_free,
        migration::{
            mdb_migration_helper, mdb_migration_helper_finish, mdb_migration_helper_free,
            mdb_migration_helper_merge, mdb_migration_helper_new_data,
            tests::{put, view, with_map, TempDb},
        },
        status::{MDB_ERR_ABORTED, MDB_ERR_INVALID_ARGUMENT, MDB_OK},
        test_support::{assert_each, assert_status},
    };

    fn is_finished(handle: *const mdb_abort_handle) -> bool {
        let mut finished = false;
        assert_status(
            unsafe { mdb_abort_handle_is_finished(handle, &mut finished) },
            MDB_OK,
        );
        finished
    }

    /// Writes an entry through the helper's new data, then finishes the helper and frees it;
    /// returns the status of the finish.
    fn write_and_finish(helper: *mut mdb_migration_helper) -> mdb_status {
        let new = view(helper, mdb_migration_helper_new_data);
        with_map(new, "wallets", |map| {
            assert_status(put(map, b"key", b"value"), MDB_OK)
        });
        let status = unsafe { mdb_migration_helper_finish(helper) };
        unsafe { (mdb_access_free(new), mdb_migration_helper_free(helper)) };
        status
    }

    #[test]
    fn null_handles_are_rejected_or_ignored() {
        let db = TempDb::new();
        let (helper, handle) = db.helper_with_abort();
        let mut finished = false;
        assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
            [
                mdb_abort_handle_abort(ptr::null_mut()),
                mdb_abort_handle_is_finished(ptr::null(), &mut finished),
                mdb_abort_handle_is_finished(handle, ptr::null_mut()),
            ]
        });
        unsafe {
            mdb_abort_handle_forget(ptr::null_mut());
            mdb_abort_handle_free(ptr::null_mut());
        }
        assert!(!is_finished(handle), "a NULL call changes nothing");
        assert_status(write_and_finish(helper), MDB_OK);
        unsafe { mdb_abort_handle_forget(handle) };
    }

    #[test]
    fn free_abort_handle_aborts_migration() {
        let db = TempDb::new();
        let (helper, handle) = db.helper_with_abort();
        unsafe { mdb_abort_handle_free(handle) };
        assert_status(write_and_finish(helper), MDB_ERR_ABORTED);
        assert!(
            db.migrated_entries("wallets").is_empty(),
            "nothing is written"
        );
    }

    #[test]
    fn forget_abort_handle_lets_migration_complete() {
        let db = TempDb::new();
        let (helper, handle) = db.helper_with_abort();
        unsafe { mdb_abort_handle_forget(handle) };
        assert_status(write_and_finish(helper), MDB_OK);
        assert_eq!(
            db.migrated_entries("wallets"),
            [(b"key".to_vec(), b"value".to_vec())]
        );
    }

    #[test]
    fn explicit_abort_keeps_the_handle_usable() {
        let db = TempDb::new();
        let (helper, handle) = db.helper_with_abort();
        assert_status(unsafe { mdb_abort_handle_abort(handle) }, MDB_OK);
        assert_status(unsafe { mdb_abort_handle_abort(handle) }, MDB_OK);
        assert!(!is_finished(handle));
        assert_status(write_and_finish(helper), MDB_ERR_ABORTED);
        assert!(is_finished(handle));
        unsafe { mdb_abort_handle_forget(handle) };
    }

    #[test]
    fn abort_handle_is_finished_once_the_helper_and_its_children_are_freed() {
        let db = TempDb::new();
        let (helper, handle) = db.helper_with_abort();
        assert!(!is_finished(handle));
        let new = view(helper, mdb_migration_helper_new_data);
        unsafe { mdb_migration_helper_free(helper) };
        assert!(
            !is_finished(handle),
            "an access of the helper keeps it alive"
        );
        unsafe { mdb_access_free(new) };
        assert!(is_finished(handle));
        unsafe { mdb_abort_handle_free(handle) };
    }

    #[test]
    fn abort_handle_is_not_finished_after_an_aborted_merge_until_the_helper_is_freed() {
        let db = TempDb::new();
        let (helper, handle) = db.helper_with_abort();
        assert_status(unsafe { mdb_abort_handle_abort(handle) }, MDB_OK);
        assert_status(
            unsafe { mdb_migration_helper_merge(helper) },
            MDB_ERR_ABORTED,
        );
        assert!(
            !is_finished(handle),
            "an aborted merge leaves the helper unusable, not gone"
        );
        unsafe { mdb_migration_helper_free(helper) };
        assert!(is_finished(handle));
        unsafe { mdb_abort_handle_free(handle) };
    }

    #[test]
    fn abort_handle_is_finished_once_the_helper_finished() {
        let db = TempDb::new();
        let (helper, handle) = db.helper_with_abort();
        assert_status(unsafe { mdb_migration_helper_finish(helper) }, MDB_OK);
        assert!(is_finished(handle), "the helper's handle is stale");
        unsafe {
            (
                mdb_migration_helper_free(helper),
                mdb_abort_handle_forget(handle),
            )
        };
    }
}
