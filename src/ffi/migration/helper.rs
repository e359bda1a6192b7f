//! `mdb_migration_helper`: runs a migration in steps, each merged into the database.

use std::{
    collections::HashSet,
    ffi::{c_char, c_void},
    sync::{Arc, Mutex, PoisonError},
};

use super::{
    super::{
        abort_handle::mdb_abort_handle,
        access::{mdb_access, new_family},
        boundary::{ffi_boundary, ffi_boundary_infallible},
        db::mdb_db,
        family::{AccessSpec, Child, Family, FamilyState, Namespace, Parent},
        handle::{free_handle, into_handle, take_handle, try_ref, Out},
        status::{mdb_status, status_text, with_last_error, FfiError, MDB_OK},
    },
    mdb_migration_helper, mdb_migration_step, mdb_persistent_iters, namespace_arg,
    persistent_iter::decode_position,
    PersistentItersState,
};
use crate::{
    access::FromAccess,
    migration::{IteratorPosition, MigrationHelper},
    Entry, IndexAddress,
};

/// Creates a migration helper for the migration in `namespace`, with a fork of `db`.
///
/// @param[in]  db             The database. Not NULL.
/// @param[in]  namespace_     UTF-8 namespace of `namespace_len` bytes: non-empty,
///                            `[A-Za-z0-9_-]` only. The migration concerns the indexes named
///                            `namespace.*`.
/// @param[out] out_helper     On `MDB_OK`, the helper; free it with
///                            `mdb_migration_helper_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid namespace.
///
/// Any thread may call this. Rust: `MigrationHelper::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_new(
    db: *const mdb_db,
    namespace: *const c_char,
    namespace_len: usize,
    out_helper: *mut *mut mdb_migration_helper,
) -> mdb_status {
    ffi_boundary!({
        let db = unsafe { try_ref(db, "db")? };
        let namespace = unsafe { namespace_arg(namespace, namespace_len)? };
        let out_helper = Out::new(out_helper, "out_helper")?;
        let helper = MigrationHelper::new(Arc::clone(&db.db), namespace);
        out_helper.write(new_family(Parent::Helper(helper)));
        Ok(())
    })
}

/// Creates a migration helper like `mdb_migration_helper_new`, together with its abort
/// handle, which aborts the migration from any thread (`mdb_abort_handle_abort`) and tells
/// when the helper is gone (`mdb_abort_handle_is_finished`).
///
/// Freeing the abort handle with `mdb_abort_handle_free` ABORTS the migration; release it
/// with `mdb_abort_handle_forget` to let the migration go on.
///
/// @param[in]  db                The database. Not NULL.
/// @param[in]  namespace_        As for `mdb_migration_helper_new`.
/// @param[out] out_helper        On `MDB_OK`, the helper; free it with
///                               `mdb_migration_helper_free`.
/// @param[out] out_abort_handle  On `MDB_OK`, its abort handle; end it with exactly one of
///                               `mdb_abort_handle_free` (aborts) or `mdb_abort_handle_forget`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid namespace.
///
/// Any thread may call this. Rust: `MigrationHelper::with_handle`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_new_with_abort(
    db: *const mdb_db,
    namespace: *const c_char,
    namespace_len: usize,
    out_helper: *mut *mut mdb_migration_helper,
    out_abort_handle: *mut *mut mdb_abort_handle,
) -> mdb_status {
    ffi_boundary!({
        let db = unsafe { try_ref(db, "db")? };
        let namespace = unsafe { namespace_arg(namespace, namespace_len)? };
        let out_helper = Out::new(out_helper, "out_helper")?;
        let out_abort_handle = Out::new(out_abort_handle, "out_abort_handle")?;
        let (helper, abort_handle) = MigrationHelper::with_handle(Arc::clone(&db.db), namespace);
        out_helper.write(new_family(Parent::Helper(helper)));
        out_abort_handle.write(into_handle(abort_handle));
        Ok(())
    })
}

/// Opens a view of the helper: an access child in `namespace` (the helper's).
///
/// # Safety
///
/// `helper` must be NULL or a live handle.
unsafe fn view(
    helper: *const mdb_migration_helper,
    out_access: *mut *mut mdb_access,
    readonly: bool,
    namespace: fn(String) -> Namespace,
) -> Result<(), FfiError> {
    let handle = unsafe { try_ref(helper, "helper")? };
    let out_access = Out::new(out_access, "out_access")?;
    out_access.set(handle.add_access(|state| {
        let namespace = namespace(state.helper()?.namespace().to_owned());
        let spec = AccessSpec {
            readonly,
            ..AccessSpec::ROOT
        };
        spec.with_namespace(namespace)
    }))
}

/// Returns a writable access to the new version of the migrated data: name `x` opens the
/// migrated `namespace.x`, which replaces the old index when the migration is flushed.
/// Tombstones are created through it (`mdb_migration_create_tombstone`).
///
/// @param[in]  helper      The helper. Not NULL.
/// @param[out] out_access  On `MDB_OK`, the access; free it with `mdb_access_free`. It becomes
///                         stale at the helper's next merge, like every child of the helper.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
///   `MDB_ERR_STALE_HANDLE` after the helper finished or a merge failed; `MDB_ERR_POISONED`.
///
/// Rust: `MigrationHelper::new_data`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_new_data(
    helper: *const mdb_migration_helper,
    out_access: *mut *mut mdb_access,
) -> mdb_status {
    ffi_boundary!({ unsafe { view(helper, out_access, false, Namespace::Migration) } })
}

/// Returns a read-only access to the old version of the migrated data: name `x` opens the
/// current `namespace.x`, as the helper's fork sees it.
///
/// Arguments, statuses and ownership as `mdb_migration_helper_new_data`.
/// Rust: `MigrationHelper::old_data`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_old_data(
    helper: *const mdb_migration_helper,
    out_access: *mut *mut mdb_access,
) -> mdb_status {
    ffi_boundary!({ unsafe { view(helper, out_access, true, Namespace::Prefixed) } })
}

/// Returns a writable access to the migration's scratchpad: temporary indexes (such as the
/// positions of persistent iterators), merged with the helper's steps and removed when the
/// migration is flushed or rolled back.
///
/// Arguments, statuses and ownership as `mdb_migration_helper_new_data`.
/// Rust: `MigrationHelper::scratchpad`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_scratchpad(
    helper: *const mdb_migration_helper,
    out_access: *mut *mut mdb_access,
) -> mdb_status {
    ffi_boundary!({ unsafe { view(helper, out_access, false, Namespace::Scratchpad) } })
}

/// Merges the helper's changes; on failure the family is left with a failed helper, as the
/// helper is unusable.
fn merge(state: &mut FamilyState) -> Result<(), FfiError> {
    let mut helper = state.take_helper()?;
    let merged = helper.merge();
    state.parent = match merged {
        Ok(()) => Parent::Helper(helper),
        Err(_) => Parent::FailedHelper { _helper: helper },
    };
    Ok(merged?)
}

/// Merges the changes made through the helper's views into the database, and starts a new
/// fork for the next step. Does not flush the migration.
///
/// Every access, index and iterator of the helper becomes stale, whatever the result: free
/// them, and open new ones from the helper for the next step.
///
/// @param[in] helper  The helper. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `helper` is NULL;
///   `MDB_ERR_ABORTED` if the migration was aborted through its abort handle: nothing of this
///   step was written; `MDB_ERR_STORAGE` if the write failed; `MDB_ERR_CONFLICT` if the step
///   created an index that a merge since the step began created with another type, and
///   `MDB_ERR_CORRUPTION` if the stored identifier counter does not decode: nothing of the
///   step was written (as `mdb_db_merge`). After any of these, the helper is unusable: every
///   later call on it returns `MDB_ERR_STALE_HANDLE` (free it as usual).
///   `MDB_ERR_STALE_HANDLE` if the helper already finished or failed; `MDB_ERR_POISONED`.
///
/// Blocks on I/O. Rust: `MigrationHelper::merge`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_merge(
    helper: *mut mdb_migration_helper,
) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(helper, "helper")? };
        merge(&mut *handle.family.lock()?)
    })
}

/// Merges the helper's remaining changes into the database and ends the helper. Does not
/// flush the migration.
///
/// Consumes the helper whatever the result (unless `helper` is NULL or already stale): the
/// helper and all its children become stale; free them as usual.
///
/// @param[in] helper  The helper. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `helper` is NULL; `MDB_ERR_ABORTED` if the
///   migration was aborted: nothing of the last step was written; `MDB_ERR_STORAGE`,
///   `MDB_ERR_CONFLICT` or `MDB_ERR_CORRUPTION` as for `mdb_migration_helper_merge`;
///   `MDB_ERR_STALE_HANDLE` if the helper already finished or failed;
///   `MDB_ERR_POISONED`.
///
/// Blocks on I/O. Rust: `MigrationHelper::finish`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_finish(
    helper: *mut mdb_migration_helper,
) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(helper, "helper")? };
        let mut state = handle.family.lock()?;
        // Finished under the lock: the helper's fork is used only while it is held.
        state.take_helper()?.finish()?;
        Ok(())
    })
}

/// Runs one round's step callback, and returns the names of the iterators it created.
///
/// # Safety
///
/// `step` is called as the C caller vouched for it.
unsafe fn run_step(
    helper: *mut mdb_migration_helper,
    family: &Arc<Family>,
    step: unsafe extern "C" fn(
        *mut mdb_migration_helper,
        *mut mdb_persistent_iters,
        *mut c_void,
    ) -> mdb_status,
    user_data: *mut c_void,
) -> Result<HashSet<String>, FfiError> {
    let scratchpad = {
        let mut state = family.lock()?;
        let namespace = Namespace::Scratchpad(state.helper()?.namespace().to_owned());
        let spec = AccessSpec::ROOT.with_namespace(namespace)?;
        state.add_child(Child::Access(spec))
    };
    let iters = into_handle::<mdb_persistent_iters>(PersistentItersState {
        family: Arc::clone(family),
        scratchpad,
        names: Mutex::default(),
    });
    // SAFETY: the caller vouched for `step`; `iters` lives until the call returns.
    let status = unsafe { step(helper, iters, user_data) };
    // SAFETY: `iters` is the live handle made above, which the callback does not free.
    let iters = unsafe { take_handle(iters, "iters")? };
    let names = iters
        .names
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if status == MDB_OK {
        return Ok(names);
    }
    // Keep the message of the failed call the step returned after, if it set one.
    let message = with_last_error(|message| message.to_string_lossy().into_owned());
    Err(FfiError::new(
        status,
        if message.is_empty() {
            let text = status_text(status).trim_end_matches('\0');
            format!("the migration step returned status {} ({})", status, text)
        } else {
            message
        },
    ))
}

/// Whether every named position in the helper's scratchpad is `Ended`. Runs once the round's
/// children are dropped, since it opens their position entries again.
fn all_ended(state: &FamilyState, names: &HashSet<String>) -> Result<bool, FfiError> {
    let namespace = state.helper()?.namespace().to_owned();
    let spec = AccessSpec {
        readonly: true,
        namespace: Namespace::Scratchpad(namespace),
    };
    for name in names {
        let access = state.build_access(&spec)?;
        let entry: Entry<_, Vec<u8>> =
            Entry::from_access(access, IndexAddress::from_root(name.as_str()))?;
        if !matches!(
            decode_position(entry.get(), name)?,
            Some(IteratorPosition::Ended)
        ) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Runs a migration in rounds until its persistent iterators are exhausted, merging after
/// each round.
///
/// Each round calls `step(helper, iters, user_data)`. The step opens views of the helper,
/// creates persistent iterators over old indexes through `iters`
/// (`mdb_persistent_iters_new_map` and friends), takes a bounded number of entries from
/// them and writes the migrated data. After the step returns, the round's changes are merged
/// (as by `mdb_migration_helper_merge`: every child of the helper becomes stale, so free the
/// round's handles, before or after). The loop ends after the round in which every iterator
/// created through `iters` has reached its end; a round that creates none is the last. The
/// positions live in the scratchpad, so a loop that is stopped (by a crash, an error, an abort)
/// and run again with a new helper resumes where its last merged round ended.
///
/// The helper's lock is not held while the step runs.
///
/// @param[in] helper     The helper. Not NULL. The step must not merge, finish or free it.
/// @param[in] step       The step callback. Not NULL.
/// @param[in] user_data  Passed to every call of `step` unchanged; may be NULL.
/// @return `MDB_OK` once a round ended every iterator and was merged;
///   any other status a step returned: the loop stops at once, and that round's changes stay
///   unmerged in the helper (`mdb_migration_helper_merge` writes them, freeing the helper drops
///   them); the thread's error message is the step's last one if it left one;
///   `MDB_ERR_INVALID_ARGUMENT` if `helper` or `step` is NULL, or a stored position is not a
///   position; `MDB_ERR_ABORTED`, `MDB_ERR_STORAGE`, `MDB_ERR_CONFLICT` or
///   `MDB_ERR_CORRUPTION` from a round's merge, which then left the helper unusable (as
///   `mdb_migration_helper_merge`);
///   `MDB_ERR_STALE_HANDLE` if the helper finished or failed; `MDB_ERR_POISONED`.
///
/// Blocks on I/O at every merge. Rust: `MigrationHelper::iter_loop`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_iter_loop(
    helper: *mut mdb_migration_helper,
    step: mdb_migration_step,
    user_data: *mut c_void,
) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(helper, "helper")? };
        let step = step.ok_or_else(|| FfiError::null("step"))?;
        // The step could free the handle against the contract; the loop needs only the family.
        let family = Arc::clone(&handle.family);
        loop {
            let names = unsafe { run_step(helper, &family, step, user_data)? };
            let mut state = family.lock()?;
            state.helper()?;
            state.drop_children();
            let all_ended = all_ended(&state, &names)?;
            merge(&mut state)?;
            if all_ended {
                return Ok(());
            }
        }
    })
}

/// Frees a migration helper handle. Once the accesses, indexes and iterators opened from the
/// helper are freed too, in any order, the helper is gone: its unmerged changes are discarded
/// and `mdb_abort_handle_is_finished` reports it finished.
///
/// `helper` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
/// relative to its children and its abort handle.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_helper_free(helper: *mut mdb_migration_helper) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_migration_helper_new*`, freed once per the
        // contract.
        unsafe { free_handle(helper, "helper") }
    })
}
