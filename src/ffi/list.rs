//! `mdb_list`: a list of byte values, addressed by position.

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
use crate::ListIndex;

/// A list index: byte values at positions `0` to `len - 1`, appended at the end.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_list {
    _private: [u8; 0],
}

index_handle!(mdb_list, List, ListIndex<RawAccess, Vec<u8>>);

/// Opens the list at an address, creating it if the access is writable and it does not exist
/// (through a read-only access a missing list reads as empty).
///
/// Arguments, statuses and ownership as `mdb_access_map`, with `out_list` for `out_map`: on
/// `MDB_OK`, the handle; free it with `mdb_list_free`.
///
/// Rust: `AccessExt::get_list`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_list(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
    out_list: *mut *mut mdb_list,
) -> mdb_status {
    ffi_boundary!({ unsafe { open_index(access, name, name_len, key, key_len, out_list) } })
}

/// Looks up the value at `position`.
///
/// @param[in]  list       The list. Not NULL.
/// @param[in]  position   The position, from 0.
/// @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
///                        `mdb_bytes_free`. Untouched when not found.
/// @param[out] out_found  On `MDB_OK`, whether a value is stored at `position`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `ListIndex::get`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_get(
    list: *const mdb_list,
    position: u64,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        OutLookup::new(out_value, out_found)?.set(unsafe { read_index(list, |l| l.get(position)) })
    })
}

/// Looks up the last value, the one at `mdb_list_len - 1`.
///
/// @param[in]  list       The list. Not NULL.
/// @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
///                        `mdb_bytes_free`. Untouched when the list is empty.
/// @param[out] out_found  On `MDB_OK`, false if the list is empty.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `ListIndex::last`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_last(
    list: *const mdb_list,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        OutLookup::new(out_value, out_found)?.set(unsafe { read_index(list, |list| list.last()) })
    })
}

/// Gives the number of values in the list.
///
/// @param[in]  list     The list. Not NULL.
/// @param[out] out_len  On `MDB_OK`, the length (0 for an empty list).
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `ListIndex::len`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_len(list: *const mdb_list, out_len: *mut u64) -> mdb_status {
    ffi_boundary!({ Out::new(out_len, "out_len")?.set(unsafe { read_index(list, |l| l.len()) }) })
}

/// Appends a value at the end of the list, at position `mdb_list_len`. The bytes are copied.
///
/// @param[in] list   The list. Not NULL.
/// @param[in] value  Value of `value_len` bytes (NULL allowed when `value_len` is 0).
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_READONLY` if the list was opened through a read-only access;
///   `MDB_ERR_BORROWED` while an iterator over the list is live;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `ListIndex::push`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_push(
    list: *mut mdb_list,
    value: *const u8,
    value_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let value = unsafe { try_slice(value, value_len, "value")? };
        unsafe { write_index(list, |list| list.push(value.to_vec())) }
    })
}

/// Removes the last value and hands it over.
///
/// @param[in]  list       The list. Not NULL.
/// @param[out] out_value  On `MDB_OK` with `*out_found`, the removed value; free it with
///                        `mdb_bytes_free`. Untouched when the list was empty.
/// @param[out] out_found  On `MDB_OK`, false if the list was empty (nothing changed).
/// @return as `mdb_list_push`. Rust: `ListIndex::pop`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_pop(
    list: *mut mdb_list,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        OutLookup::new(out_value, out_found)?.set(unsafe { write_index(list, |list| list.pop()) })
    })
}

/// Replaces the value at `position`, which must be below `mdb_list_len`. The bytes are
/// copied.
///
/// @param[in] list      The list. Not NULL.
/// @param[in] position  The position, below the list's length.
/// @param[in] value     Value of `value_len` bytes (NULL allowed when `value_len` is 0).
/// @return `MDB_OK`; `MDB_ERR_OUT_OF_RANGE` if `position >= mdb_list_len` (nothing changed);
///   otherwise as `mdb_list_push`.
///
/// Rust: `ListIndex::set`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_set(
    list: *mut mdb_list,
    position: u64,
    value: *const u8,
    value_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let value = unsafe { try_slice(value, value_len, "value")? };
        let set = |list: &mut ListIndex<_, _>| {
            // `ListIndex::set` panics past the end, which would poison the family.
            let len = list.len();
            if position >= len {
                return Err(FfiError::new(
                    MDB_ERR_OUT_OF_RANGE,
                    format_args!(
                        "position {} is out of range: the list has {} values",
                        position, len
                    ),
                ));
            }
            list.set(position, value.to_vec());
            Ok(())
        };
        unsafe { try_write_index(list, set) }
    })
}

/// Shortens the list to `len` values, removing the ones from position `len` on. Does nothing
/// if the list is not longer.
///
/// @param[in] list  The list. Not NULL.
/// @param[in] len   The length to keep.
/// @return as `mdb_list_push`. Rust: `ListIndex::truncate`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_truncate(list: *mut mdb_list, len: u64) -> mdb_status {
    ffi_boundary!({ unsafe { write_index(list, |list| list.truncate(len)) } })
}

/// Removes every value; the length goes back to 0. The list itself (its type) stays.
///
/// @param[in] list  The list. Not NULL.
/// @return as `mdb_list_push`. Rust: `ListIndex::clear`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_clear(list: *mut mdb_list) -> mdb_status {
    ffi_boundary!({ unsafe { write_index(list, |list| list.clear()) } })
}

/// Starts an iteration over the list's values in order of position, from `from_position` on.
/// Each key `mdb_iter_next` lends is the position as 8 big-endian bytes. While the iterator
/// lives, writes to the list fail with `MDB_ERR_BORROWED`.
///
/// @param[in]  list           The list. Not NULL.
/// @param[in]  from_position  The first position to visit; 0 for the whole list.
/// @param[out] out_iter       On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `ListIndex::iter_from`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_iter(
    list: *const mdb_list,
    from_position: u64,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        unsafe { open_index_iter(list, from_position.to_be_bytes().to_vec(), out_iter) }
    })
}

/// Frees a list handle, releasing its borrow of the index in the fork.
///
/// `list` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
/// relative to other handles.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_free(list: *mut mdb_list) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_access_list`, freed once per the contract.
        unsafe { free_handle(list, "list") }
    })
}
