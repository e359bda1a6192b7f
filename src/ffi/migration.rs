//! `mdb_migration_helper`, `mdb_persistent_iters` and the other `mdb_migration_*` and
//! `mdb_persistent_iter*` functions: migrations from C.
//!
//! A helper is a family parent (`Parent::Helper`) like a fork: its views (new data, old data,
//! scratchpad) are access children, and the indexes and iterators opened from them are
//! children too, all behind the family's lock. A merge drops every child first, so that the
//! helper's fork is unique again; a failed or aborted merge leaves a failed helper
//! (`Parent::FailedHelper`), on which every call but the frees is stale.
//!
//! A persistent iterator is an ordinary iterator child whose `position` is a hidden entry
//! child holding the encoded `IteratorPosition`; `iter.rs` saves the position at every step.
//! The entry lives in the access given at creation (the scratchpad, inside the loop), so it
//! must belong to the same family as the iterated index.

use std::{
    borrow::Cow,
    collections::HashSet,
    ffi::{c_char, c_void},
    sync::{Arc, Mutex, PoisonError},
};

use super::{
    abort_handle::mdb_abort_handle,
    access::{address, index_name, mdb_access, AccessHandle},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    db::mdb_db,
    family::{
        AccessRef, AccessSpec, AnyIndex, Child, ChildHandle, ChildId, Family, FamilyState,
        Namespace, Parent,
    },
    fork::{mdb_fork, with_fork},
    handle::{free_handle, into_handle, try_ref, try_str, Castable, Out},
    iter::{add_iter, mdb_iter},
    key_set::mdb_key_set,
    list::mdb_list,
    map::mdb_map,
    sparse_list::mdb_sparse_list,
    status::{
        mdb_status, status_text, with_last_error, FfiError, MDB_ERR_BORROWED, MDB_ERR_WRONG_TYPE,
        MDB_OK,
    },
};
use crate::{
    access::{Access, FromAccess},
    migration::{
        check_migration_metadata, flush_migration, rollback_migration, IteratorPosition,
        MigrationHelper,
    },
    validation::check_valid_name_component,
    BinaryValue, Entry, Fork, IndexAddress, IndexType,
};

/// A migration helper: runs the migration of one namespace in steps, each merged into the
/// database, through its own fork. Its views (`mdb_migration_helper_new_data`, `_old_data`,
/// `_scratchpad`) open the migrated indexes, the old ones and temporary ones.
///
/// The helper never flushes its migration: once it is finished, call `mdb_migration_flush`
/// on a fresh fork (or `mdb_migration_rollback` to drop it) and merge that fork.
///
/// A helper, its views and the indexes and iterators opened from them form one family: any
/// thread may use them, and calls on one family are serialised by a lock.
pub struct mdb_migration_helper {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_migration_helper`: the root of a helper family. The root is not
/// an access (no function lends it as one); C reaches the helper's fork through its views.
pub(crate) type HelperHandle = AccessHandle;

impl Castable for mdb_migration_helper {
    type RustType = HelperHandle;
}

/// The persistent iterators of one round of `mdb_migration_helper_iter_loop`, lent to the step
/// callback: valid until the callback returns, never freed by the caller. The loop ends once
/// every iterator created through it in a round has reached its end.
///
/// Belongs to its helper's family (any thread, one call at a time per family).
pub struct mdb_persistent_iters {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_persistent_iters`.
pub(crate) struct PersistentItersState {
    family: Arc<Family>,
    /// The round's access child to the helper's scratchpad, where positions are kept.
    scratchpad: ChildId,
    /// The names of the iterators created in this round.
    names: Mutex<HashSet<String>>,
}

impl Castable for mdb_persistent_iters {
    type RustType = PersistentItersState;
}

/// The step of `mdb_migration_helper_iter_loop`, called once per round with the helper, the
/// round's persistent iterators and the loop's `user_data`. It may call any function on the
/// helper's family except `mdb_migration_helper_merge`, `_finish` and `_free` on `helper`.
/// Returning anything but `MDB_OK` stops the loop, which returns that status.
pub type mdb_migration_step = Option<
    unsafe extern "C" fn(
        helper: *mut mdb_migration_helper,
        iters: *mut mdb_persistent_iters,
        user_data: *mut c_void,
    ) -> mdb_status,
>;

/// Borrows a namespace argument, checked as the engine would check it (it panics otherwise).
unsafe fn namespace_arg<'a>(namespace: *const c_char, len: usize) -> Result<&'a str, FfiError> {
    let namespace = unsafe { try_str(namespace, len, "namespace")? };
    check_valid_name_component(namespace).map_err(|kind| {
        FfiError::invalid_argument(format_args!("invalid namespace {:?}: {}", namespace, kind))
    })?;
    Ok(namespace)
}

/// The helper of a live helper family.
fn helper(state: &FamilyState) -> Result<&MigrationHelper, FfiError> {
    state.check_live()?;
    match &state.parent {
        Parent::Helper(helper) => Ok(helper),
        _ => Err(FfiError::invalid_argument(format_args!(
            "expected a migration helper, got a {}",
            state.describe_parent()
        ))),
    }
}

fn helper_handle(helper: MigrationHelper) -> *mut mdb_migration_helper {
    into_handle(HelperHandle::root(Family::new(Parent::Helper(helper))))
}

/// Creates a migration helper for the migration in `namespace`, with a fork of `db`.
///
/// @param[in]  db             The database. Not NULL.
/// @param[in]  namespace      UTF-8 namespace of `namespace_len` bytes: non-empty,
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
        out_helper.write(helper_handle(MigrationHelper::new(
            Arc::clone(&db.db),
            namespace,
        )));
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
/// @param[in]  namespace         As for `mdb_migration_helper_new`.
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
        out_helper.write(helper_handle(helper));
        out_abort_handle.write(into_handle(Mutex::new(Some(abort_handle))));
        Ok(())
    })
}

/// Opens a view of the helper: an access child in `namespace` (the helper's).
unsafe fn view(
    helper: *const mdb_migration_helper,
    out_access: *mut *mut mdb_access,
    readonly: bool,
    namespace: fn(String) -> Namespace,
) -> Result<(), FfiError> {
    let handle = unsafe { try_ref(helper, "helper")? };
    let out_access = Out::new(out_access, "out_access")?;
    let mut state = handle.family.lock()?;
    let spec = AccessSpec {
        readonly,
        ..AccessSpec::ROOT
    }
    .with_namespace(namespace(self::helper(&state)?.namespace().to_owned()))?;
    let id = state.add_child(Child::Access(spec));
    drop(state);
    out_access.write(into_handle(AccessHandle {
        family: Arc::clone(&handle.family),
        access: AccessRef::Child(id),
    }));
    Ok(())
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
    helper(state)?;
    state.drop_children();
    let Parent::Helper(helper) = &mut state.parent else {
        unreachable!("checked above");
    };
    helper.merge().map_err(|err| {
        if let Parent::Helper(helper) = state.consume() {
            state.parent = Parent::FailedHelper { _helper: helper };
        }
        err.into()
    })
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
///   step was written; `MDB_ERR_STORAGE` if the write failed. After either, the helper is
///   unusable: every later call on it returns `MDB_ERR_STALE_HANDLE` (free it as usual).
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
///   migration was aborted: nothing of the last step was written; `MDB_ERR_STORAGE` if the
///   write failed; `MDB_ERR_STALE_HANDLE` if the helper already finished or failed;
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
        self::helper(&state)?;
        let Parent::Helper(helper) = state.consume() else {
            unreachable!("checked above");
        };
        // Finished under the lock: the helper's fork is used only while it is held.
        helper.finish()?;
        Ok(())
    })
}

/// Runs one round's step callback, and returns the names of the iterators it created.
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
        let namespace = self::helper(&state)?.namespace().to_owned();
        let spec = AccessSpec::ROOT.with_namespace(Namespace::Scratchpad(namespace))?;
        state.add_child(Child::Access(spec))
    };
    let iters = into_handle::<mdb_persistent_iters>(PersistentItersState {
        family: Arc::clone(family),
        scratchpad,
        names: Mutex::default(),
    });
    // SAFETY: the caller vouched for `step`; `iters` lives until the call returns.
    let status = unsafe { step(helper, iters, user_data) };
    // SAFETY: `iters` is the live handle made above, and the callback does not free it.
    let names = unsafe { try_ref(iters, "iters")? }
        .names
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    // SAFETY: as above; freed once, here.
    unsafe { free_handle(iters) };
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

/// Decodes a stored iterator position.
fn decode_position(
    bytes: Option<Vec<u8>>,
    name: &str,
) -> Result<Option<IteratorPosition<[u8]>>, FfiError> {
    bytes
        .map(|bytes| {
            IteratorPosition::from_bytes(Cow::Owned(bytes)).map_err(|err| {
                FfiError::invalid_argument(format_args!(
                    "entry {:?} does not hold a persistent iterator position: {}",
                    name, err
                ))
            })
        })
        .transpose()
}

/// Whether every named position in the helper's scratchpad is `Ended`. Runs once the round's
/// children are dropped, since it opens their position entries again.
fn all_ended(state: &FamilyState, names: &HashSet<String>) -> Result<bool, FfiError> {
    let namespace = helper(state)?.namespace().to_owned();
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
///   position; `MDB_ERR_ABORTED` or `MDB_ERR_STORAGE` from a round's merge, which then left the
///   helper unusable (as `mdb_migration_helper_merge`);
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
            self::helper(&state)?;
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
        unsafe { free_handle(helper) }
    })
}

/// Starts the persistent iterator of `position` (an entry child just opened) over `index`.
fn start_persistent_iter(
    state: &mut FamilyState,
    name: &str,
    index: ChildId,
    position: ChildId,
) -> Result<ChildId, FfiError> {
    let position_child = state.index(position)?;
    if !position_child.writable {
        return Err(FfiError::readonly(format_args!(
            "the access for the position of {:?}",
            name
        )));
    }
    let AnyIndex::Entry(entry) = position_child.index() else {
        unreachable!("positions are opened as entries");
    };
    let from = match decode_position(entry.get(), name)? {
        None => Vec::new(),
        Some(IteratorPosition::NextKey(key)) => key,
        Some(IteratorPosition::Ended) => {
            // An ended iterator yields nothing, even over new items, and holds no position.
            state.remove(position);
            let id = add_iter(state, index, Vec::new(), None)?;
            if let Child::Iter(iter) = state.child_mut(id, "iterator")? {
                iter.next_from = None;
            }
            return Ok(id);
        }
    };
    add_iter(state, index, from, Some(position))
}

/// Opens a persistent iterator over the index child `index`, its position kept in the entry
/// `name` of `access`.
fn open_persistent_iter(
    state: &mut FamilyState,
    access: AccessRef,
    name: &str,
    index: ChildId,
) -> Result<ChildId, FfiError> {
    state.index(index)?;
    let position = state.open_index(access, IndexAddress::from_root(name), IndexType::Entry)?;
    start_persistent_iter(state, name, index, position).inspect_err(|_| state.remove(position))
}

/// The shared body of the persistent iterator constructors; returns the iterator's name.
unsafe fn persistent_iter<C: Castable<RustType = ChildHandle>>(
    family: &Arc<Family>,
    access: AccessRef,
    name: *const c_char,
    name_len: usize,
    index: *const C,
    index_parameter: &str,
    out_iter: *mut *mut mdb_iter,
) -> Result<String, FfiError> {
    let name = unsafe { index_name(name, name_len)? };
    let index = unsafe { try_ref(index, index_parameter)? };
    let out_iter = Out::new(out_iter, "out_iter")?;
    if !Arc::ptr_eq(&index.family, family) {
        return Err(FfiError::invalid_argument(format_args!(
            "`{}` must be opened from the same fork or migration helper as the position's access",
            index_parameter
        )));
    }
    let id = open_persistent_iter(&mut *family.lock()?, access, name, index.id)?;
    out_iter.write(into_handle(ChildHandle {
        family: Arc::clone(family),
        id,
    }));
    Ok(name.to_owned())
}

/// Creates a persistent iterator of the loop's round.
unsafe fn create_in_round<C: Castable<RustType = ChildHandle>>(
    iters: *const mdb_persistent_iters,
    name: *const c_char,
    name_len: usize,
    index: *const C,
    index_parameter: &str,
    out_iter: *mut *mut mdb_iter,
) -> Result<(), FfiError> {
    let iters = unsafe { try_ref(iters, "iters")? };
    let access = AccessRef::Child(iters.scratchpad);
    let name = unsafe {
        persistent_iter(
            &iters.family,
            access,
            name,
            name_len,
            index,
            index_parameter,
            out_iter,
        )?
    };
    iters
        .names
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name);
    Ok(())
}

/// Creates a persistent iterator over a map, for this round of `mdb_migration_helper_iter_loop`: an
/// `mdb_iter` that saves, at every `mdb_iter_next`, the key it will resume from in the entry
/// `name` of the helper's scratchpad, and resumes from the saved key if there is one. An
/// iterator whose saved position is its end yields nothing, even if items were added since.
///
/// The saved position is the key of the next entry, so take a bounded number of entries per
/// round. While the iterator lives, the map refuses writes.
///
/// @param[in]  iters     The round's iterators, as lent to the step. Not NULL.
/// @param[in]  name      UTF-8 name of the position entry, `name_len` bytes: a valid index
///                       name, unique among the loop's iterators.
/// @param[in]  map       The map to iterate, opened from one of the helper's views (usually
///                       `mdb_migration_helper_old_data`). Not NULL.
/// @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`. It becomes
///                       stale when the round ends.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid name, a map of
///   another family, or an entry `name` that holds no position; `MDB_ERR_WRONG_TYPE` if an
///   index of another type than an entry is at `name` in the scratchpad; `MDB_ERR_BORROWED` if
///   an iterator with this name is still live and not at its end; `MDB_ERR_STALE_HANDLE`;
///   `MDB_ERR_POISONED`; `MDB_ERR_CORRUPTION` if the stored metadata of the position entry
///   (or, to create it, the identifier counter) does not decode.
///
/// Rust: `PersistentIters::create`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iters_new_map(
    iters: *mut mdb_persistent_iters,
    name: *const c_char,
    name_len: usize,
    map: *const mdb_map,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({ unsafe { create_in_round(iters, name, name_len, map, "map", out_iter) } })
}

/// Creates a persistent iterator over a list for this round, as
/// `mdb_persistent_iters_new_map` does for a map. Its keys are 8-byte big-endian positions.
///
/// Arguments (`list` for `map`), statuses and ownership as `mdb_persistent_iters_new_map`.
/// Rust: `PersistentIters::create`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iters_new_list(
    iters: *mut mdb_persistent_iters,
    name: *const c_char,
    name_len: usize,
    list: *const mdb_list,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({ unsafe { create_in_round(iters, name, name_len, list, "list", out_iter) } })
}

/// Creates a persistent iterator over a sparse list for this round, as
/// `mdb_persistent_iters_new_map` does for a map. Its keys are 8-byte big-endian positions.
///
/// Arguments (`sparse_list` for `map`), statuses and ownership as `mdb_persistent_iters_new_map`.
/// Rust: `PersistentIters::create`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iters_new_sparse_list(
    iters: *mut mdb_persistent_iters,
    name: *const c_char,
    name_len: usize,
    sparse_list: *const mdb_sparse_list,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        unsafe { create_in_round(iters, name, name_len, sparse_list, "sparse_list", out_iter) }
    })
}

/// Creates a persistent iterator over a key set for this round, as
/// `mdb_persistent_iters_new_map` does for a map. Its values are empty.
///
/// Arguments (`key_set` for `map`), statuses and ownership as `mdb_persistent_iters_new_map`.
/// Rust: `PersistentIters::create`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iters_new_key_set(
    iters: *mut mdb_persistent_iters,
    name: *const c_char,
    name_len: usize,
    key_set: *const mdb_key_set,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        unsafe { create_in_round(iters, name, name_len, key_set, "key_set", out_iter) }
    })
}

/// Creates a persistent iterator outside a loop.
unsafe fn create_standalone<C: Castable<RustType = ChildHandle>>(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    index: *const C,
    index_parameter: &str,
    out_iter: *mut *mut mdb_iter,
) -> Result<(), FfiError> {
    let access = unsafe { try_ref(access, "access")? };
    let family = &access.family;
    unsafe {
        persistent_iter(
            family,
            access.access,
            name,
            name_len,
            index,
            index_parameter,
            out_iter,
        )
    }
    .map(drop)
}

/// Creates a persistent iterator over a map: an `mdb_iter` that saves, at every
/// `mdb_iter_next`, the key it will resume from in the entry `name` of `access`, and resumes
/// from the saved key if there is one, in this process or after a restart. An iterator whose
/// saved position is its end yields nothing, even if items were added since.
///
/// The position is written through the fork of `access`, so it persists once that fork (or
/// the helper) is merged. While the iterator lives, the map refuses writes and the position
/// entry is borrowed.
///
/// @param[in]  access    Where the position entry lives: a writable access of a fork or a
///                       migration helper, normally a scratchpad (`mdb_access_scratchpad`,
///                       `mdb_migration_helper_scratchpad`). Not NULL.
/// @param[in]  name      UTF-8 name of the position entry, `name_len` bytes: a valid index name.
/// @param[in]  map       The map to iterate, opened from the same fork or helper as `access`.
///                       Not NULL.
/// @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid name, a map of
///   another family, or an entry `name` that holds no position; `MDB_ERR_READONLY` if `access`
///   cannot write; `MDB_ERR_WRONG_TYPE` if an index of another type than an entry is at
///   `name`; `MDB_ERR_BORROWED` if an iterator with this name is still live and not at its end,
///   or the entry is open elsewhere; `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of the position entry (or, to create it, the
///   identifier counter) does not decode.
///
/// Rust: `PersistentIter::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iter_new_map(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    map: *const mdb_map,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({ unsafe { create_standalone(access, name, name_len, map, "map", out_iter) } })
}

/// Creates a persistent iterator over a list, as `mdb_persistent_iter_new_map` does for a map.
/// Its keys are 8-byte big-endian positions.
///
/// Arguments (`list` for `map`), statuses and ownership as `mdb_persistent_iter_new_map`.
/// Rust: `PersistentIter::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iter_new_list(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    list: *const mdb_list,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({ unsafe { create_standalone(access, name, name_len, list, "list", out_iter) } })
}

/// Creates a persistent iterator over a sparse list, as `mdb_persistent_iter_new_map` does for
/// a map. Its keys are 8-byte big-endian positions.
///
/// Arguments (`sparse_list` for `map`), statuses and ownership as `mdb_persistent_iter_new_map`.
/// Rust: `PersistentIter::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iter_new_sparse_list(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    sparse_list: *const mdb_sparse_list,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        unsafe { create_standalone(access, name, name_len, sparse_list, "sparse_list", out_iter) }
    })
}

/// Creates a persistent iterator over a key set, as `mdb_persistent_iter_new_map` does for a
/// map. Its values are empty.
///
/// Arguments (`key_set` for `map`), statuses and ownership as `mdb_persistent_iter_new_map`.
/// Rust: `PersistentIter::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_persistent_iter_new_key_set(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key_set: *const mdb_key_set,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        unsafe { create_standalone(access, name, name_len, key_set, "key_set", out_iter) }
    })
}

/// Runs `finalize` on a fork for the migration in `namespace`, dropping the fork's children.
unsafe fn finalize(
    fork: *mut mdb_fork,
    namespace: *const c_char,
    namespace_len: usize,
    finalize: fn(&mut Fork, &str),
) -> Result<(), FfiError> {
    let handle = unsafe { try_ref(fork, "fork")? };
    let namespace = unsafe { namespace_arg(namespace, namespace_len)? };
    {
        // Before anything changes: `finalize` panics on corrupt metadata.
        let state = handle.family.lock()?;
        if let Parent::Fork(fork) = &state.parent {
            check_migration_metadata(fork.readonly(), namespace)?;
        }
    }
    // A checkpoint after the change: the engine leaves part of it in the fork's working changes
    // and part in its flushed patch, which a rollback would tear apart.
    let finalize_and_flush = |fork: &mut Fork| {
        finalize(fork, namespace);
        fork.flush();
    };
    with_fork(fork, finalize_and_flush, false)
}

/// Flushes the migration in `namespace` into `fork`; the migration is complete once the fork
/// is merged: migrated indexes replace their old versions, indexes with tombstones are removed,
/// and the migration's scratchpad is cleared.
///
/// Flush on a fork created after the migration's last merge (`mdb_migration_helper_finish`):
/// an older fork misses that data, and flushing it would lose it.
///
/// Every index handle, access and iterator of the fork becomes stale; free them. The fork
/// itself stays usable. Like `mdb_fork_flush`, the call ends with a checkpoint: a later
/// `mdb_fork_rollback` returns to the state right after it.
///
/// @param[in] fork           The fork. Not NULL.
/// @param[in] namespace      UTF-8 namespace of `namespace_len` bytes: non-empty,
///                           `[A-Za-z0-9_-]` only.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid namespace;
///   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of an index of the migration, of an index it
///   replaces or of its scratchpad does not decode: then the fork and its children are left
///   as they were.
///
/// Rust: `flush_migration`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_flush(
    fork: *mut mdb_fork,
    namespace: *const c_char,
    namespace_len: usize,
) -> mdb_status {
    ffi_boundary!({ unsafe { finalize(fork, namespace, namespace_len, flush_migration) } })
}

/// Rolls back the migration in `namespace` in `fork`: once the fork is merged, the migrated
/// indexes and the scratchpad are gone and the old indexes stay as they are. Migration data
/// already merged stays behind in the database, unreachable.
///
/// Every index handle, access and iterator of the fork becomes stale; free them. The fork
/// itself stays usable. Like `mdb_fork_flush`, the call ends with a checkpoint: a later
/// `mdb_fork_rollback` returns to the state right after it.
///
/// Arguments and statuses as `mdb_migration_flush`. Rust: `rollback_migration`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_rollback(
    fork: *mut mdb_fork,
    namespace: *const c_char,
    namespace_len: usize,
) -> mdb_status {
    ffi_boundary!({ unsafe { finalize(fork, namespace, namespace_len, rollback_migration) } })
}

/// Marks the index at an address as removed by the migration: when the migration is flushed,
/// the old index there is deleted. Creating a tombstone twice is harmless, and a tombstone
/// needs no old index. No other index can be opened at the address in the migration after it.
///
/// @param[in] access    A writable migration access (`mdb_migration_helper_new_data`, or
///                      `mdb_access_migration` over a fork). Not NULL.
/// @param[in] name      UTF-8 index name of `name_len` bytes, relative to the namespace.
/// @param[in] key       Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                      outside any group; non-NULL with `key_len` 0: the group member
///                      whose key is empty.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid name, or an
///   access that is not a migration access; `MDB_ERR_READONLY` if the access cannot write (over
///   a snapshot, a patch or a read-only fork); `MDB_ERR_WRONG_TYPE` if the migration already
///   has another kind of index there; `MDB_ERR_BORROWED` if an index handle of the family is
///   open at the address; `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata there (or, to create the tombstone, the
///   identifier counter) does not decode.
///
/// Rust: `Migration::create_tombstone`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_create_tombstone(
    access: *mut mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let access = unsafe { try_ref(access, "access")? };
        let addr = unsafe { address(name, name_len, key, key_len)? };
        let state = access.family.lock()?;
        let spec = state.access_spec(access.access)?;
        if !matches!(spec.namespace, Namespace::Migration(_)) {
            return Err(FfiError::invalid_argument(
                "tombstones are created through a migration access \
                 (mdb_migration_helper_new_data or mdb_access_migration)",
            ));
        }
        let migration = state.build_access(&spec)?;
        if !migration.is_mutable() {
            return Err(FfiError::readonly("the migration access"));
        }
        // Checked first: the engine borrows the index before it compares types, which would
        // panic on a live handle of another type, and it panics on corrupt metadata.
        let (resolved, metadata) = state.checked_metadata(&spec, &addr)?;
        if metadata.is_none() {
            state.check_counter(&spec)?;
        }
        if let Some(metadata) = metadata {
            if metadata.index_type() != IndexType::Tombstone {
                return Err(FfiError::new(
                    MDB_ERR_WRONG_TYPE,
                    format_args!(
                        "the migration has a {:?} at {:?}, not a tombstone",
                        metadata.index_type(),
                        resolved.name()
                    ),
                ));
            }
        }
        // A read-only handle of a missing index there would end up on a tombstone.
        if state.has_index_at(&resolved) {
            return Err(FfiError::new(
                MDB_ERR_BORROWED,
                format_args!(
                    "index {:?} is open in this family; free its handles before the tombstone",
                    resolved.name()
                ),
            ));
        }
        migration.get_or_create_view(addr, IndexType::Tombstone)?;
        Ok(())
    })
}

#[cfg(test)]
pub(super) mod tests;
