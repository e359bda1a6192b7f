//! `mdb_abort_handle`: aborts a migration helper's migration from anywhere, and tells whether
//! the helper is done.

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible},
    handle::{free_handle, take_handle, try_ref, Castable, HandleKind, Out},
    status::mdb_status,
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

/// The Rust value behind `mdb_abort_handle` is the Rust `AbortHandle`, which is thread-safe;
/// `mdb_abort_handle_forget` takes it out of its handle to forget it.
impl Castable for mdb_abort_handle {
    type RustType = AbortHandle;
    const KIND: HandleKind = HandleKind::AbortHandle;
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
    ffi_boundary!({
        unsafe { try_ref(handle, "handle")? }.abort();
        Ok(())
    })
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
        let handle = unsafe { try_ref(handle, "handle")? };
        Out::new(out_finished, "out_finished")?.set(Ok(handle.is_finished()))
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
        if !handle.is_null() {
            // SAFETY: a live handle, ended once per the contract.
            match unsafe { take_handle(handle, "handle") } {
                Ok(abort_handle) => abort_handle.forget(),
                Err(err) => super::status::set_last_error(&err.message),
            }
        }
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
        unsafe { free_handle(handle, "handle") }
    })
}
