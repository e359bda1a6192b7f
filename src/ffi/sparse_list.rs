//! `mdb_sparse_list`: a list of byte values whose positions may have gaps.

use std::ffi::c_char;

use super::{
    access::mdb_access,
    boundary::{ffi_boundary, ffi_boundary_infallible},
    bytes::{mdb_bytes, OutLookup},
    family::RawAccess,
    handle::{free_handle, try_slice, Out},
    index::{index_handle, open_index, open_index_iter, read_index, try_write_index, write_index},
    iter::mdb_iter,
    status::{mdb_status, FfiError, MDB_ERR_OUT_OF_RANGE},
};
use crate::SparseListIndex;

/// A sparse list index: byte values at positions that may have gaps. Its capacity is one past
/// the highest position ever used (where `mdb_sparse_list_push` stores); its length is the
/// number of values present.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_sparse_list {
    _private: [u8; 0],
}

index_handle!(mdb_sparse_list, SparseList, SparseListIndex<RawAccess, Vec<u8>>);

/// The error for a write that would grow the capacity past `UINT64_MAX`, where the engine
/// panics.
fn capacity_overflow(position: u64) -> FfiError {
    FfiError::new(
        MDB_ERR_OUT_OF_RANGE,
        format_args!(
            "position {} is out of range: the capacity would overflow a 64-bit integer",
            position
        ),
    )
}

/// Opens the sparse list at an address, creating it if the access is writable and it does not
/// exist (through a read-only access a missing sparse list reads as empty).
///
/// Arguments, statuses and ownership as `mdb_access_map`, with `out_sparse_list` for `out_map`: on
/// `MDB_OK`, the handle; free it with `mdb_sparse_list_free`.
///
/// Rust: `AccessExt::get_sparse_list`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_sparse_list(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
    out_sparse_list: *mut *mut mdb_sparse_list,
) -> mdb_status {
    ffi_boundary!({ unsafe { open_index(access, name, name_len, key, key_len, out_sparse_list) } })
}

/// Looks up the value at `position`.
///
/// @param[in]  sparse_list  The sparse list. Not NULL.
/// @param[in]  position     The position, from 0.
/// @param[out] out_value    On `MDB_OK` with `*out_found`, the value; free it with
///                          `mdb_bytes_free`. Untouched when not found.
/// @param[out] out_found    On `MDB_OK`, whether a value is stored at `position`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `SparseListIndex::get`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_get(
    sparse_list: *const mdb_sparse_list,
    position: u64,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let out = OutLookup::new(out_value, out_found)?;
        out.set(unsafe { read_index(sparse_list, |list| list.get(position)) })
    })
}

/// Gives the number of values present.
///
/// @param[in]  sparse_list  The sparse list. Not NULL.
/// @param[out] out_len      On `MDB_OK`, the number of values (0 for an empty list).
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `SparseListIndex::len`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_len(
    sparse_list: *const mdb_sparse_list,
    out_len: *mut u64,
) -> mdb_status {
    ffi_boundary!({
        Out::new(out_len, "out_len")?.set(unsafe { read_index(sparse_list, |list| list.len()) })
    })
}

/// Gives the capacity: one past the highest position ever used, where the next
/// `mdb_sparse_list_push` stores. Removing values never lowers it; `mdb_sparse_list_clear`
/// resets it to 0.
///
/// @param[in]  sparse_list   The sparse list. Not NULL.
/// @param[out] out_capacity  On `MDB_OK`, the capacity.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `SparseListIndex::capacity`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_capacity(
    sparse_list: *const mdb_sparse_list,
    out_capacity: *mut u64,
) -> mdb_status {
    ffi_boundary!({
        let out_capacity = Out::new(out_capacity, "out_capacity")?;
        out_capacity.set(unsafe { read_index(sparse_list, |list| list.capacity()) })
    })
}

/// Stores a value at position `mdb_sparse_list_capacity`, growing the capacity and the length
/// by one. The bytes are copied.
///
/// @param[in] sparse_list  The sparse list. Not NULL.
/// @param[in] value        Value of `value_len` bytes (NULL allowed when `value_len` is 0).
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_OUT_OF_RANGE` if the capacity is already `UINT64_MAX` (nothing changed);
///   `MDB_ERR_READONLY` if the sparse list was opened through a read-only access;
///   `MDB_ERR_BORROWED` while an iterator over the sparse list is live;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `SparseListIndex::push`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_push(
    sparse_list: *mut mdb_sparse_list,
    value: *const u8,
    value_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let value = unsafe { try_slice(value, value_len, "value")? };
        let push = |list: &mut SparseListIndex<_, _>| {
            // `SparseListIndex::push` panics when the capacity overflows.
            if list.capacity() == u64::MAX {
                return Err(capacity_overflow(u64::MAX));
            }
            list.push(value.to_vec());
            Ok(())
        };
        unsafe { try_write_index(sparse_list, push) }
    })
}

/// Stores a value at `position`, handing over the value it replaces. Filling an empty position
/// grows the length by one, and the capacity to `position + 1` if it was smaller. The bytes
/// are copied.
///
/// @param[in]  sparse_list  The sparse list. Not NULL.
/// @param[in]  position     The position, from 0.
/// @param[in]  value        Value of `value_len` bytes (NULL allowed when `value_len` is 0).
/// @param[out] out_value    On `MDB_OK` with `*out_found`, the replaced value; free it with
///                          `mdb_bytes_free`. Untouched when the position was empty.
/// @param[out] out_found    On `MDB_OK`, whether a value was replaced.
/// @return `MDB_OK`; `MDB_ERR_OUT_OF_RANGE` if `position` is `UINT64_MAX` and empty (the
///   capacity would overflow; nothing changed); otherwise as `mdb_sparse_list_push`.
///
/// Rust: `SparseListIndex::set`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_set(
    sparse_list: *mut mdb_sparse_list,
    position: u64,
    value: *const u8,
    value_len: usize,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let value = unsafe { try_slice(value, value_len, "value")? };
        let out = OutLookup::new(out_value, out_found)?;
        let set = |list: &mut SparseListIndex<_, _>| {
            // `SparseListIndex::set` panics when filling position `u64::MAX` overflows the
            // capacity.
            if position == u64::MAX && list.get(position).is_none() {
                return Err(capacity_overflow(position));
            }
            Ok(list.set(position, value.to_vec()))
        };
        out.set(unsafe { try_write_index(sparse_list, set) })
    })
}

/// Removes the value at `position`, if any, and hands it over. The capacity is unchanged.
///
/// @param[in]  sparse_list  The sparse list. Not NULL.
/// @param[in]  position     The position, from 0.
/// @param[out] out_value    On `MDB_OK` with `*out_found`, the removed value; free it with
///                          `mdb_bytes_free`. Untouched when the position was empty.
/// @param[out] out_found    On `MDB_OK`, whether a value was removed.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_READONLY` if the sparse list was opened through a read-only access;
///   `MDB_ERR_BORROWED` while an iterator over the sparse list is live;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `SparseListIndex::remove`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_remove(
    sparse_list: *mut mdb_sparse_list,
    position: u64,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let out = OutLookup::new(out_value, out_found)?;
        out.set(unsafe { write_index(sparse_list, |list| list.remove(position)) })
    })
}

/// Removes the **first** value (the one at the lowest position), not the last, and hands it
/// over. The capacity is unchanged.
///
/// @param[in]  sparse_list  The sparse list. Not NULL.
/// @param[out] out_value    On `MDB_OK` with `*out_found`, the removed value; free it with
///                          `mdb_bytes_free`. Untouched when the list was empty.
/// @param[out] out_found    On `MDB_OK`, false if the list was empty (nothing changed).
/// @return as `mdb_sparse_list_remove`. Rust: `SparseListIndex::pop`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_pop(
    sparse_list: *mut mdb_sparse_list,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let out = OutLookup::new(out_value, out_found)?;
        out.set(unsafe { write_index(sparse_list, |list| list.pop()) })
    })
}

/// Removes every value; the capacity and the length go back to 0. The sparse list itself (its
/// type) stays.
///
/// @param[in] sparse_list  The sparse list. Not NULL.
/// @return as `mdb_sparse_list_remove`. Rust: `SparseListIndex::clear`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_clear(sparse_list: *mut mdb_sparse_list) -> mdb_status {
    ffi_boundary!({ unsafe { write_index(sparse_list, |list| list.clear()) } })
}

/// Starts an iteration over the values present, in order of position, from `from_position`
/// on. Each key `mdb_iter_next` lends is the position as 8 big-endian bytes. While the
/// iterator lives, writes to the sparse list fail with `MDB_ERR_BORROWED`.
///
/// @param[in]  sparse_list    The sparse list. Not NULL.
/// @param[in]  from_position  The lowest position to visit; 0 for the whole list.
/// @param[out] out_iter       On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `SparseListIndex::iter_from`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_iter(
    sparse_list: *const mdb_sparse_list,
    from_position: u64,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        let from = from_position.to_be_bytes().to_vec();
        unsafe { open_index_iter(sparse_list, from, out_iter) }
    })
}

/// Frees a sparse list handle, releasing its borrow of the index in the fork.
///
/// `sparse_list` may be NULL (a no-op). Call exactly once per handle, from any thread, in any
/// order relative to other handles.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_free(sparse_list: *mut mdb_sparse_list) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_access_sparse_list`, freed once per the
        // contract.
        unsafe { free_handle(sparse_list, "sparse_list") }
    })
}
