//! `mdb_map`: a map from byte keys to byte values, ordered by key.

use std::ffi::c_char;

use super::{
    access::mdb_access,
    boundary::{ffi_boundary, ffi_boundary_infallible},
    bytes::{mdb_bytes, OutLookup},
    family::RawAccess,
    handle::{free_handle, try_slice, Out},
    index::{index_handle, open_index, open_index_iter, read_index, write_index},
    iter::mdb_iter,
    status::mdb_status,
};
use crate::MapIndex;

/// A map index: byte keys to byte values, iterated in the byte order of the keys.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_map {
    _private: [u8; 0],
}

index_handle!(mdb_map, Map, MapIndex<RawAccess, [u8], Vec<u8>>);

/// Opens the map at an address, creating it if the access is writable and it does not exist
/// (through a read-only access a missing map reads as empty).
///
/// @param[in]  access   The access. Not NULL.
/// @param[in]  name     UTF-8 index name of `name_len` bytes: `[A-Za-z0-9_.-]`, not empty,
///                      not starting with `__` unless it has a dot.
/// @param[in]  key      Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                      outside any group; non-NULL with `key_len` 0: the group member
///                      whose key is empty.
/// @param[out] out_map  On `MDB_OK`, the map; free it with `mdb_map_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, a name that is not UTF-8
///   or not a valid index name; `MDB_ERR_WRONG_TYPE` if another kind of index is there;
///   `MDB_ERR_BORROWED` if the map is already open in this fork in a conflicting way (a second
///   writable handle, or writable and read-only handles together); `MDB_ERR_STALE_HANDLE`;
///   `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of the index (or, to create it, the
///   identifier counter) does not decode: the message names the record.
///
/// Rust: `AccessExt::get_map`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_map(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
    out_map: *mut *mut mdb_map,
) -> mdb_status {
    ffi_boundary!({ unsafe { open_index(access, name, name_len, key, key_len, out_map) } })
}

/// Looks up the value of `key`.
///
/// @param[in]  map        The map. Not NULL.
/// @param[in]  key        Key of `key_len` bytes (NULL allowed when `key_len` is 0).
/// @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
///                        `mdb_bytes_free`. Untouched when not found.
/// @param[out] out_found  On `MDB_OK`, whether the key is present.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `MapIndex::get`.
#[no_mangle]
pub unsafe extern "C" fn mdb_map_get(
    map: *const mdb_map,
    key: *const u8,
    key_len: usize,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let key = unsafe { try_slice(key, key_len, "key")? };
        OutLookup::new(out_value, out_found)?.set(unsafe { read_index(map, |map| map.get(key)) })
    })
}

/// Tells whether `key` is present.
///
/// @param[in]  map        The map. Not NULL.
/// @param[in]  key        Key of `key_len` bytes (NULL allowed when `key_len` is 0).
/// @param[out] out_found  On `MDB_OK`, whether the key is present.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `MapIndex::contains`.
#[no_mangle]
pub unsafe extern "C" fn mdb_map_contains(
    map: *const mdb_map,
    key: *const u8,
    key_len: usize,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let key = unsafe { try_slice(key, key_len, "key")? };
        Out::new(out_found, "out_found")?.set(unsafe { read_index(map, |map| map.contains(key)) })
    })
}

/// Sets the value of `key`, replacing any previous value. The bytes are copied.
///
/// @param[in] map    The map. Not NULL.
/// @param[in] key    Key of `key_len` bytes (NULL allowed when `key_len` is 0).
/// @param[in] value  Value of `value_len` bytes (NULL allowed when `value_len` is 0).
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_READONLY` if the map was opened through a read-only access;
///   `MDB_ERR_BORROWED` while an iterator over the map is live;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `MapIndex::put`.
#[no_mangle]
pub unsafe extern "C" fn mdb_map_put(
    map: *mut mdb_map,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let key = unsafe { try_slice(key, key_len, "key")? };
        let value = unsafe { try_slice(value, value_len, "value")? };
        unsafe { write_index(map, |map| map.put(key, value.to_vec())) }
    })
}

/// Removes `key` if it is present.
///
/// Arguments and statuses as `mdb_map_put`, without the value. Rust: `MapIndex::remove`.
#[no_mangle]
pub unsafe extern "C" fn mdb_map_remove(
    map: *mut mdb_map,
    key: *const u8,
    key_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let key = unsafe { try_slice(key, key_len, "key")? };
        unsafe { write_index(map, |map| map.remove(key)) }
    })
}

/// Removes every entry of the map. The map itself (its type) stays.
///
/// @param[in] map  The map. Not NULL.
/// @return as `mdb_map_put`. Rust: `MapIndex::clear`.
#[no_mangle]
pub unsafe extern "C" fn mdb_map_clear(map: *mut mdb_map) -> mdb_status {
    ffi_boundary!({ unsafe { write_index(map, |map| map.clear()) } })
}

/// Starts an iteration over the map's entries in key order, from the first key `>= from`.
/// While the iterator lives, writes to the map fail with `MDB_ERR_BORROWED`.
///
/// @param[in]  map       The map. Not NULL.
/// @param[in]  from      Start key of `from_len` bytes; NULL with `from_len` 0 starts at the
///                       beginning.
/// @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `MapIndex::iter_from`.
#[no_mangle]
pub unsafe extern "C" fn mdb_map_iter(
    map: *const mdb_map,
    from: *const u8,
    from_len: usize,
    out_iter: *mut *mut mdb_iter,
) -> mdb_status {
    ffi_boundary!({
        let from = unsafe { try_slice(from, from_len, "from")? };
        unsafe { open_index_iter(map, from.to_vec(), out_iter) }
    })
}

/// Frees a map handle, releasing its borrow of the index in the fork.
///
/// `map` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
/// relative to other handles.
#[no_mangle]
pub unsafe extern "C" fn mdb_map_free(map: *mut mdb_map) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_access_map`, freed once per the contract.
        unsafe { free_handle(map, "map") }
    })
}
