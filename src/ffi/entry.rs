//! `mdb_entry`: a single optional byte value.

use std::ffi::c_char;

use super::{
    access::mdb_access,
    boundary::{ffi_boundary, ffi_boundary_infallible},
    bytes::{mdb_bytes, OutLookup},
    family::RawAccess,
    handle::{free_handle, try_slice, Out},
    index::{index_handle, open_index, read_index, write_index},
    status::mdb_status,
};
use crate::Entry;

/// An entry index: one byte value, or none. Entries cannot be iterated.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_entry {
    _private: [u8; 0],
}

index_handle!(mdb_entry, Entry, Entry<RawAccess, Vec<u8>>);

/// Opens the entry at an address, creating it (without a value) if the access is writable and
/// it does not exist (through a read-only access a missing entry reads as unset).
///
/// Arguments, statuses and ownership as `mdb_access_map`, with `out_entry` for `out_map`: on
/// `MDB_OK`, the handle; free it with `mdb_entry_free`.
///
/// Rust: `AccessExt::get_entry`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_entry(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
    out_entry: *mut *mut mdb_entry,
) -> mdb_status {
    ffi_boundary!({ unsafe { open_index(access, name, name_len, key, key_len, out_entry) } })
}

/// Reads the entry's value.
///
/// @param[in]  entry      The entry. Not NULL.
/// @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
///                        `mdb_bytes_free`. Untouched when the entry is unset.
/// @param[out] out_found  On `MDB_OK`, whether the entry holds a value.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `Entry::get`.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_get(
    entry: *const mdb_entry,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        OutLookup::new(out_value, out_found)?.set(unsafe { read_index(entry, |e| e.get()) })
    })
}

/// Tells whether the entry holds a value (an empty value counts).
///
/// @param[in]  entry      The entry. Not NULL.
/// @param[out] out_found  On `MDB_OK`, whether the entry holds a value.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `Entry::exists`.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_exists(
    entry: *const mdb_entry,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        Out::new(out_found, "out_found")?.set(unsafe { read_index(entry, |e| e.exists()) })
    })
}

/// Sets the entry's value, replacing any previous one. The bytes are copied.
///
/// @param[in] entry  The entry. Not NULL.
/// @param[in] value  Value of `value_len` bytes (NULL allowed when `value_len` is 0).
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_READONLY` if the entry was opened through a read-only access;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
///
/// Rust: `Entry::set`.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_set(
    entry: *mut mdb_entry,
    value: *const u8,
    value_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let value = unsafe { try_slice(value, value_len, "value")? };
        unsafe { write_index(entry, |entry| entry.set(value.to_vec())) }
    })
}

/// Unsets the entry, if it holds a value.
///
/// @param[in] entry  The entry. Not NULL.
/// @return as `mdb_entry_set`. Rust: `Entry::remove`.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_remove(entry: *mut mdb_entry) -> mdb_status {
    ffi_boundary!({ unsafe { write_index(entry, |entry| entry.remove()) } })
}

/// Unsets the entry and hands over the value it held.
///
/// @param[in]  entry      The entry. Not NULL.
/// @param[out] out_value  On `MDB_OK` with `*out_found`, the removed value; free it with
///                        `mdb_bytes_free`. Untouched when the entry was unset.
/// @param[out] out_found  On `MDB_OK`, whether the entry held a value.
/// @return as `mdb_entry_set`. Rust: `Entry::take`.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_take(
    entry: *mut mdb_entry,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        OutLookup::new(out_value, out_found)?.set(unsafe { write_index(entry, |e| e.take()) })
    })
}

/// Sets the entry's value and hands over the previous one. The bytes are copied.
///
/// @param[in]  entry      The entry. Not NULL.
/// @param[in]  value      Value of `value_len` bytes (NULL allowed when `value_len` is 0).
/// @param[out] out_value  On `MDB_OK` with `*out_found`, the previous value; free it with
///                        `mdb_bytes_free`. Untouched when the entry was unset.
/// @param[out] out_found  On `MDB_OK`, whether the entry held a value.
/// @return as `mdb_entry_set`. Rust: `Entry::swap`.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_swap(
    entry: *mut mdb_entry,
    value: *const u8,
    value_len: usize,
    out_value: *mut mdb_bytes,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let value = unsafe { try_slice(value, value_len, "value")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.set(unsafe { write_index(entry, |entry| entry.swap(value.to_vec())) })
    })
}

/// Frees an entry handle, releasing its borrow of the index in the fork.
///
/// `entry` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
/// relative to other handles.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_free(entry: *mut mdb_entry) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_access_entry`, freed once per the contract.
        unsafe { free_handle(entry, "entry") }
    })
}
