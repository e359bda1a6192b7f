//! `mdb_patch`: the changes of a fork, ready to merge.

use std::rc::Rc;

use super::{
    access::{as_access, mdb_access, new_family, AccessHandle},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    family::Parent,
    fork::mdb_fork,
    handle::{free_handle, try_ref, Castable, HandleKind, Out},
    status::{mdb_status, FfiError},
};
use crate::{Fork, Patch};

/// The changes of a fork, from `mdb_fork_into_patch`. As an access it reads the fork's base
/// state with the changes applied, read-only. Any thread may use it; calls on one patch and its
/// children are serialised by a lock.
pub struct mdb_patch {
    _private: [u8; 0],
}

impl Castable for mdb_patch {
    type RustType = AccessHandle;
    const KIND: HandleKind = HandleKind::Patch;
}

/// Takes the patch out of a patch handle, leaving the handle and its children stale.
///
/// # Safety
///
/// `patch` must be NULL or a live handle.
pub(crate) unsafe fn take_patch(patch: *const mdb_patch) -> Result<Patch, FfiError> {
    let patch = unsafe { try_ref(patch, "patch")? };
    patch.family.lock()?.take_patch()
}

/// Returns the patch as a read-only access, to open indexes from. The access is borrowed:
/// valid as long as `patch`, and not to be freed. Returns NULL if `patch` is NULL.
#[no_mangle]
pub extern "C" fn mdb_patch_as_access(patch: *const mdb_patch) -> *const mdb_access {
    ffi_boundary_infallible!(std::ptr::null(), { as_access(patch) })
}

/// Turns a patch back into a fork, whose flushed changes are the patch.
///
/// On `MDB_OK` the patch is consumed: its handle and children become stale (free them as
/// usual). On failure nothing changes.
///
/// @param[in]  patch     The patch. Not NULL.
/// @param[out] out_fork  On `MDB_OK`, the fork; free it with `mdb_fork_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
///   `MDB_ERR_STALE_HANDLE` if the patch was consumed; `MDB_ERR_POISONED`.
///
/// Rust: `Fork::from(patch)`.
#[no_mangle]
pub unsafe extern "C" fn mdb_patch_into_fork(
    patch: *mut mdb_patch,
    out_fork: *mut *mut mdb_fork,
) -> mdb_status {
    ffi_boundary!({
        let out_fork = Out::new(out_fork, "out_fork")?;
        let patch = unsafe { take_patch(patch)? };
        let fork = Rc::new(Fork::from(patch));
        out_fork.write(new_family(Parent::Fork(fork)));
        Ok(())
    })
}

/// Frees a patch handle; an unmerged patch is discarded once its children are freed too.
///
/// `patch` may be NULL (a no-op). Call exactly once per handle, from any thread.
#[no_mangle]
pub unsafe extern "C" fn mdb_patch_free(patch: *mut mdb_patch) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_fork_into_patch`, freed once per the contract.
        unsafe { free_handle(patch, "patch") }
    })
}
