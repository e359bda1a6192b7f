//! `mdb_fork`: a snapshot plus buffered changes, where all writes happen.

use std::rc::Rc;

use super::{
    access::{as_access, mdb_access, new_family, AccessHandle},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    db::mdb_db,
    family::{AccessSpec, Parent},
    handle::{free_handle, try_ref, Castable, HandleKind, Out},
    patch::mdb_patch,
    status::{mdb_status, FfiError},
};
use crate::Fork;

/// A fork of a database: indexes opened from it read the database as of the fork's creation
/// plus the fork's own changes, and write into the fork. Changes reach the database when the
/// fork becomes a patch (`mdb_fork_into_patch`) and is merged (`mdb_db_merge`).
///
/// A fork, its indexes, iterators and accesses form one family: any thread may use them, and
/// calls on one family are serialised by a lock.
pub struct mdb_fork {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_fork` is the root access of a fork family.
impl Castable for mdb_fork {
    type RustType = AccessHandle;
    const KIND: HandleKind = HandleKind::Fork;
}

/// Creates a fork of the current state of `db`.
///
/// @param[in]  db        The database. Not NULL.
/// @param[out] out_fork  On `MDB_OK`, the new fork; free it with `mdb_fork_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL.
///
/// Any thread may call this. Rust: `Database::fork`.
#[no_mangle]
pub unsafe extern "C" fn mdb_fork_new(
    db: *const mdb_db,
    out_fork: *mut *mut mdb_fork,
) -> mdb_status {
    ffi_boundary!({
        let db = unsafe { try_ref(db, "db")? };
        let out_fork = Out::new(out_fork, "out_fork")?;
        let fork = Rc::new(db.db.fork());
        out_fork.write(new_family(Parent::Fork(fork)));
        Ok(())
    })
}

/// Returns the fork as a writable access, to open indexes from. The access is borrowed: valid
/// as long as `fork`, and not to be freed. Returns NULL if `fork` is NULL.
#[no_mangle]
pub extern "C" fn mdb_fork_as_access(fork: *const mdb_fork) -> *const mdb_access {
    ffi_boundary_infallible!(std::ptr::null(), { as_access(fork) })
}

/// Returns a read-only access to the fork, which sees its unflushed changes. Indexes opened
/// through it may coexist with each other, but not with a writable handle on the same index.
///
/// @param[in]  fork        The fork. Not NULL.
/// @param[out] out_access  On `MDB_OK`, the access; free it with `mdb_access_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
///   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`.
///
/// Rust: `Fork::readonly`.
#[no_mangle]
pub unsafe extern "C" fn mdb_fork_readonly(
    fork: *const mdb_fork,
    out_access: *mut *mut mdb_access,
) -> mdb_status {
    ffi_boundary!({
        let fork = unsafe { try_ref(fork, "fork")? };
        let out_access = Out::new(out_access, "out_access")?;
        out_access.set(fork.add_access(|state| {
            state.check_live()?;
            Ok(AccessSpec {
                readonly: true,
                ..AccessSpec::ROOT
            })
        }))
    })
}

/// Runs `operation` on the fork of a fork family, keeping its children or dropping them (see
/// [`FamilyState::with_fork`](super::family::FamilyState::with_fork)).
///
/// # Safety
///
/// `fork` must be NULL or a live handle.
pub(crate) unsafe fn with_fork<R>(
    fork: *const mdb_fork,
    keep_children: bool,
    operation: impl FnOnce(&mut Fork) -> R,
) -> Result<R, FfiError> {
    let fork = unsafe { try_ref(fork, "fork")? };
    fork.family.lock()?.with_fork(keep_children, operation)
}

/// Makes a checkpoint of the fork's changes, which `mdb_fork_rollback` returns to.
///
/// Index handles, accesses and iterators of the fork stay valid.
///
/// @param[in] fork  The fork. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `fork` is NULL;
///   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` (or `MDB_ERR_STORAGE`) if an open index could not be reopened after
///   the flush, which did happen: that index's handle and its iterators are stale (the message
///   names the index), the fork's other children stay valid.
///
/// Rust: `Fork::flush`.
#[no_mangle]
pub unsafe extern "C" fn mdb_fork_flush(fork: *mut mdb_fork) -> mdb_status {
    ffi_boundary!({ unsafe { with_fork(fork, true, Fork::flush) } })
}

/// Discards the fork's changes since the last `mdb_fork_flush`.
///
/// Every index handle, access and iterator of the fork becomes stale (indexes created since
/// the checkpoint are gone); free them. The fork itself stays usable.
///
/// @param[in] fork  The fork. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `fork` is NULL;
///   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`.
///
/// Rust: `Fork::rollback`.
#[no_mangle]
pub unsafe extern "C" fn mdb_fork_rollback(fork: *mut mdb_fork) -> mdb_status {
    ffi_boundary!({ unsafe { with_fork(fork, false, Fork::rollback) } })
}

/// Turns the fork into a patch, ready for `mdb_db_merge`.
///
/// On `MDB_OK` the fork is consumed: its handle and all its children become stale (free them
/// as usual). On failure nothing changes.
///
/// @param[in]  fork       The fork. Not NULL.
/// @param[out] out_patch  On `MDB_OK`, the patch; free it with `mdb_patch_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
///   `MDB_ERR_STALE_HANDLE` if the fork was already consumed; `MDB_ERR_POISONED`.
///
/// Rust: `Fork::into_patch`.
#[no_mangle]
pub unsafe extern "C" fn mdb_fork_into_patch(
    fork: *mut mdb_fork,
    out_patch: *mut *mut mdb_patch,
) -> mdb_status {
    ffi_boundary!({
        let fork = unsafe { try_ref(fork, "fork")? };
        let out_patch = Out::new(out_patch, "out_patch")?;
        let patch = fork.family.lock()?.take_fork()?.into_patch();
        out_patch.write(new_family(Parent::Patch(Rc::new(patch))));
        Ok(())
    })
}

/// Frees a fork handle. Unmerged changes are discarded once the fork's children are freed too.
///
/// `fork` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
/// relative to its children.
#[no_mangle]
pub unsafe extern "C" fn mdb_fork_free(fork: *mut mdb_fork) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_fork_new`, freed once per the contract.
        unsafe { free_handle(fork, "fork") }
    })
}
