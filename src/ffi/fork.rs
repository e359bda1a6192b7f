//! `mdb_fork`: a snapshot plus buffered changes, where all writes happen.

use std::{rc::Rc, sync::Arc};

use super::{
    access::{as_access, mdb_access, AccessHandle},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    db::mdb_db,
    family::{unique, AccessRef, AccessSpec, Child, Family, Parent},
    handle::{free_handle, into_handle, try_ref, Castable, Out},
    patch::mdb_patch,
    status::{mdb_status, FfiError},
};

/// A fork of a database: indexes opened from it read the database as of the fork's creation
/// plus the fork's own changes, and write into the fork. Changes reach the database when the
/// fork becomes a patch (`mdb_fork_into_patch`) and is merged (`mdb_db_merge`).
///
/// A fork, its indexes, iterators and accesses form one family: any thread may use them, and
/// calls on one family are serialised by a lock.
pub struct mdb_fork {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_fork`: the root access of a fork family.
pub(crate) type ForkHandle = AccessHandle;

impl Castable for mdb_fork {
    type RustType = ForkHandle;
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
        out_fork.write(into_handle(ForkHandle::root(Family::new(Parent::Fork(
            fork,
        )))));
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
        let mut state = fork.family.lock()?;
        state.check_live()?;
        let id = state.add_child(Child::Access(AccessSpec {
            readonly: true,
            ..AccessSpec::ROOT
        }));
        drop(state);
        out_access.write(into_handle(AccessHandle {
            family: Arc::clone(&fork.family),
            access: AccessRef::Child(id),
        }));
        Ok(())
    })
}

/// Runs `operation` on the fork of a fork family.
pub(crate) fn with_fork<R>(
    fork: *const mdb_fork,
    operation: impl FnOnce(&mut crate::Fork) -> R,
    keep_children: bool,
) -> Result<R, FfiError> {
    let fork = unsafe { try_ref(fork, "fork")? };
    let mut state = fork.family.lock()?;
    state.check_live()?;
    if !matches!(state.parent, Parent::Fork(_)) {
        return Err(FfiError::invalid_argument(format_args!(
            "expected a fork, got a {}",
            state.describe_parent()
        )));
    }
    let apply = |parent: &mut Parent| match parent {
        Parent::Fork(fork) => operation(unique(fork)),
        _ => unreachable!("checked above"),
    };
    if keep_children {
        state.with_children_closed(apply)
    } else {
        state.drop_children();
        Ok(apply(&mut state.parent))
    }
}

/// Makes a checkpoint of the fork's changes, which `mdb_fork_rollback` returns to.
///
/// Index handles, accesses and iterators of the fork stay valid.
///
/// @param[in] fork  The fork. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `fork` is NULL;
///   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`.
///
/// Rust: `Fork::flush`.
#[no_mangle]
pub unsafe extern "C" fn mdb_fork_flush(fork: *mut mdb_fork) -> mdb_status {
    ffi_boundary!({ with_fork(fork, crate::Fork::flush, true) })
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
    ffi_boundary!({ with_fork(fork, crate::Fork::rollback, false) })
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
        let mut state = fork.family.lock()?;
        state.check_live()?;
        let Parent::Fork(_) = state.parent else {
            return Err(FfiError::invalid_argument(format_args!(
                "expected a fork, got a {}",
                state.describe_parent()
            )));
        };
        let Parent::Fork(rust_fork) = state.consume() else {
            unreachable!("checked above");
        };
        drop(state);
        let patch = Rc::try_unwrap(rust_fork)
            .map_err(|_| ())
            .expect("children are dropped before the fork is consumed")
            .into_patch();
        out_patch.write(into_handle(AccessHandle::root(Family::new(Parent::Patch(
            Rc::new(patch),
        )))));
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
        unsafe { free_handle(fork) }
    })
}
