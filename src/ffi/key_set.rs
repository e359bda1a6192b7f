//! `mdb_key_set`: a set of byte keys, ordered by key.

use std::ffi::c_char;

use super::{
    access::mdb_access,
    boundary::{ffi_boundary, ffi_boundary_infallible},
    family::RawAccess,
    handle::{free_handle, try_slice, Out},
    index::{index_handle, open_index, open_index_iter, read_index, write_index},
    iter::mdb_iter,
    status::mdb_status,
};
use crate::KeySetIndex;

/// A key set index: a set of byte keys, iterated in the byte order of the keys.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_key_set {
    _private: [u8; 0],
}

index_handle!(mdb_key_set, KeySet, KeySetIndex<RawAccess, [u8]>);

/// Opens the key set at an address, creating it if the access is writable and it does not
/// exist (through a read-only access a missing key set reads as empty).
///
/// Arguments, statuses and ownership as `mdb_access_map`, with `out_key_set` for `out_map`: on
/// `MDB_OK`, the handle; free it with `mdb_key_set_free`.
///
/// Rust: `AccessExt::get_key_set`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_key_set(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
    out_key_set: *mut *mut mdb_key_set,
) -> mdb_status {
    ffi_boundary!({ unsafe { open_index(access, name, name_len, key, key_len, out_key_set) } })
}

/// Tells whether `key` is in the set.
///
/// @param[in]  key_set    The key set. Not NULL.
/// @param[in]  key        Key of `key_len` bytes (NULL allowed when `key_len` is 0).
/// @param[out] out_found  On `MDB_OK`, whether the key is in the set.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `KeySetIndex::contains`.
#[no_mangle]
pub unsafe extern "C" fn mdb_key_set_contains(
    key_set: *const mdb_key_set,
    key: *const u8,
    key_len: usize,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let key = unsafe { try_slice(key, key_len, "key")? };
        Out::new(out_found, "out_found")?.set(unsafe { read_index(key_set, |s| s.contains(key)) })
    })
}

/// Adds `key` to the set; adding a key that is already there changes nothing. The bytes are
/// copied.
///
/// @param[in] key_set  The key set. Not NULL.
/// @param[in] key      Key of `key_len` bytes (NULL allowed when `key_len` is 0).
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_READONLY` if the key set was opened through a read-only access;
///   `MDB_ERR_BORROWED` while an iterator over the key set is live;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `KeySetIndex::insert`.
#[no_mangle]
pub unsafe extern "C" fn mdb_key_set_insert(
    key_set: *mut mdb_key_set,
    key: *const u8,
    key_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let key = unsafe { try_slice(key, key_len, "key")? };
        unsafe { write_index(key_set, |key_set| key_set.insert(key)) }
    })
}

/// Removes `key` from the set, if it is there.
///
/// Arguments and statuses as `mdb_key_set_insert`. Rust: `KeySetIndex::remove`.
#[no_mangle]
pub unsafe extern "C" fn mdb_key_set_remove(
    key_set: *mut mdb_key_set,
    key: *const u8,
    key_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let key = unsafe { try_slice(key, key_len, "key")? };
        unsafe { write_index(key_set, |key_set| key_set.remove(key)) }
    })
}

/// Removes every key. The key set itself (its type) stays.
///
/// @param[in] key_set  The key set. Not NULL.
/// @return as `mdb_key_set_insert`. Rust: `KeySetIndex::clear`.
#[no_mangle]
pub unsafe extern "C" fn mdb_key_set_clear(key_set: *mut mdb_key_set) -> mdb_status {
    ffi_boundary!({ unsafe { write_index(key_set, |key_set| key_set.clear()) } })
}

/// Starts an iteration over the set's keys in byte order, from the first key `>= from`. The
/// values `mdb_iter_next` lends are empty. While the iterator lives, writes to the key set
/// fail with `MDB_ERR_BORROWED`.
///
/// @param[in]  key_set   The key set. Not NULL.
/// @param[in]  from      Start key of `from_len` bytes; NULL with `from_len` 0 starts at the
///                       beginning.
/// @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `KeySetIndex::iter_from`.
#[no_mangle]
pub unsafe extern "C" fn mdb_key_set_iter(
    key_set: *const mdb_key_set,
    from: *const u8,
    from_len: usize,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        let from = unsafe { try_slice(from, from_len, "from")? };
        unsafe { open_index_iter(key_set, from.to_vec(), out_iter) }
    })
}

/// Frees a key set handle, releasing its borrow of the index in the fork.
///
/// `key_set` may be NULL (a no-op). Call exactly once per handle, from any thread, in any
/// order relative to other handles.
#[no_mangle]
pub unsafe extern "C" fn mdb_key_set_free(key_set: *mut mdb_key_set) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_access_key_set`, freed once per the contract.
        unsafe { free_handle(key_set, "key_set") }
    })
}
