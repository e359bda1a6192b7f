//! `mdb_persistent_iters` and the `mdb_persistent_iter_new_*` constructors: iterators that
//! save their position in an entry at every step, and resume from it.

use std::{
    borrow::Cow,
    ffi::c_char,
    sync::{Arc, PoisonError},
};

use super::{
    super::{
        access::{index_name, mdb_access},
        boundary::ffi_boundary,
        entry::mdb_entry,
        family::{AccessRef, Child, ChildHandle, ChildId, Family, FamilyState},
        handle::{into_handle, try_ref, Out},
        index::IndexHandle,
        iter::{add_iter, mdb_iter},
        key_set::mdb_key_set,
        list::mdb_list,
        map::mdb_map,
        sparse_list::mdb_sparse_list,
        status::{mdb_status, FfiError},
    },
    mdb_persistent_iters,
};
use crate::{migration::IteratorPosition, BinaryValue, IndexAddress, IndexType};

/// Decodes a stored iterator position.
pub(super) fn decode_position(
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
    let saved = mdb_entry::get(position_child.index()?).map(|entry| entry.get());
    let from = match decode_position(saved.flatten(), name)? {
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
///
/// # Safety
///
/// As [`index_name`] and [`try_ref`].
unsafe fn persistent_iter<C: IndexHandle>(
    family: &Arc<Family>,
    access: AccessRef,
    (name, name_len): (*const c_char, usize),
    index: *const C,
    out_iter: *mut *mut mdb_iter,
) -> Result<String, FfiError> {
    let name = unsafe { index_name(name, name_len)? };
    let index_parameter = C::KIND.parameter();
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
///
/// # Safety
///
/// As [`persistent_iter`].
unsafe fn create_in_round<C: IndexHandle>(
    iters: *const mdb_persistent_iters,
    name: *const c_char,
    name_len: usize,
    index: *const C,
    out_iter: *mut *mut mdb_iter,
) -> Result<(), FfiError> {
    let iters = unsafe { try_ref(iters, "iters")? };
    let access = AccessRef::Child(iters.scratchpad);
    let name =
        unsafe { persistent_iter(&iters.family, access, (name, name_len), index, out_iter)? };
    let mut names = iters.names.lock().unwrap_or_else(PoisonError::into_inner);
    names.insert(name);
    Ok(())
}

/// Creates a persistent iterator outside a loop.
///
/// # Safety
///
/// As [`persistent_iter`].
unsafe fn create_standalone<C: IndexHandle>(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    index: *const C,
    out_iter: *mut *mut mdb_iter,
) -> Result<(), FfiError> {
    let access = unsafe { try_ref(access, "access")? };
    unsafe {
        persistent_iter(
            &access.family,
            access.access,
            (name, name_len),
            index,
            out_iter,
        )
    }
    .map(drop)
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
    ffi_boundary!({ unsafe { create_in_round(iters, name, name_len, map, out_iter) } })
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
    ffi_boundary!({ unsafe { create_in_round(iters, name, name_len, list, out_iter) } })
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
    ffi_boundary!({ unsafe { create_in_round(iters, name, name_len, sparse_list, out_iter) } })
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
    ffi_boundary!({ unsafe { create_in_round(iters, name, name_len, key_set, out_iter) } })
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
    ffi_boundary!({ unsafe { create_standalone(access, name, name_len, map, out_iter) } })
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
    ffi_boundary!({ unsafe { create_standalone(access, name, name_len, list, out_iter) } })
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
    ffi_boundary!({ unsafe { create_standalone(access, name, name_len, sparse_list, out_iter) } })
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
    ffi_boundary!({ unsafe { create_standalone(access, name, name_len, key_set, out_iter) } })
}
