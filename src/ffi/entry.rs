//! `mdb_entry`: a single optional byte value.

use std::ffi::c_char;

use super::{
    access::{mdb_access, open_index},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    bytes::{mdb_bytes, OutLookup},
    family::{AnyIndex, ChildHandle, RawAccess},
    handle::{free_handle, try_ref, try_slice, Castable, Out},
    status::mdb_status,
};
use crate::{Entry, IndexType};

/// An entry index: one byte value, or none. Entries cannot be iterated.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_entry {
    _private: [u8; 0],
}

impl Castable for mdb_entry {
    type RustType = ChildHandle;
}

type ByteEntry = Entry<RawAccess, Vec<u8>>;

fn entry(index: &AnyIndex) -> &ByteEntry {
    match index {
        AnyIndex::Entry(entry) => entry,
        _ => unreachable!("entry handles refer to entries"),
    }
}

fn entry_mut(index: &mut AnyIndex) -> &mut ByteEntry {
    match index {
        AnyIndex::Entry(entry) => entry,
        _ => unreachable!("entry handles refer to entries"),
    }
}

/// Opens the entry at an address, creating it (without a value) if the access is writable and
/// it does not exist (through a read-only access a missing entry reads as unset).
///
/// @param[in]  access     The access. Not NULL.
/// @param[in]  name       UTF-8 index name of `name_len` bytes: `[A-Za-z0-9_.-]`, not empty,
///                        not starting with `__` unless it has a dot.
/// @param[in]  key        Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                        outside any group; non-NULL with `key_len` 0: the group member
///                        whose key is empty.
/// @param[out] out_entry  On `MDB_OK`, the entry; free it with `mdb_entry_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, a name that is not UTF-8
///   or not a valid index name; `MDB_ERR_WRONG_TYPE` if another kind of index is there;
///   `MDB_ERR_BORROWED` if the entry is already open in this fork in a conflicting way (a
///   second writable handle, or writable and read-only handles together);
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of the index (or, to create it, the
///   identifier counter) does not decode: the message names the record.
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
    ffi_boundary!({
        unsafe {
            open_index(
                access,
                name,
                name_len,
                key,
                key_len,
                IndexType::Entry,
                out_entry,
            )
        }
    })
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
        let handle = unsafe { try_ref(entry, "entry")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.write(handle.with_index(|index| Ok(self::entry(index.index()).get()))?);
        Ok(())
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
        let handle = unsafe { try_ref(entry, "entry")? };
        let out_found = Out::new(out_found, "out_found")?;
        out_found.write(handle.with_index(|index| Ok(self::entry(index.index()).exists()))?);
        Ok(())
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
        let handle = unsafe { try_ref(entry, "entry")? };
        let value = unsafe { try_slice(value, value_len, "value")? };
        handle.with_index_mut(|index| {
            entry_mut(index.index_mut()?).set(value.to_vec());
            Ok(())
        })
    })
}

/// Unsets the entry, if it holds a value.
///
/// @param[in] entry  The entry. Not NULL.
/// @return as `mdb_entry_set`. Rust: `Entry::remove`.
#[no_mangle]
pub unsafe extern "C" fn mdb_entry_remove(entry: *mut mdb_entry) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(entry, "entry")? };
        handle.with_index_mut(|index| {
            entry_mut(index.index_mut()?).remove();
            Ok(())
        })
    })
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
        let handle = unsafe { try_ref(entry, "entry")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.write(handle.with_index_mut(|index| Ok(entry_mut(index.index_mut()?).take()))?);
        Ok(())
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
        let handle = unsafe { try_ref(entry, "entry")? };
        let value = unsafe { try_slice(value, value_len, "value")? };
        let out = OutLookup::new(out_value, out_found)?;
        let previous = handle
            .with_index_mut(|index| Ok(entry_mut(index.index_mut()?).swap(value.to_vec())))?;
        out.write(previous);
        Ok(())
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
        unsafe { free_handle(entry) }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::{
        status::{
            MDB_ERR_BORROWED, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_READONLY, MDB_ERR_STALE_HANDLE,
            MDB_OK,
        },
        test_support::{assert_each, assert_opener_rejects_nulls, assert_status, lookup, TempFork},
    };

    fn set(entry: *mut mdb_entry, value: &[u8]) -> mdb_status {
        unsafe { mdb_entry_set(entry, value.as_ptr(), value.len()) }
    }

    fn get(entry: *mut mdb_entry) -> Option<Vec<u8>> {
        lookup(|value, found| unsafe { mdb_entry_get(entry, value, found) })
    }

    fn take(entry: *mut mdb_entry) -> Option<Vec<u8>> {
        lookup(|value, found| unsafe { mdb_entry_take(entry, value, found) })
    }

    fn swap(entry: *mut mdb_entry, value: &[u8]) -> Option<Vec<u8>> {
        lookup(|old, found| unsafe {
            mdb_entry_swap(entry, value.as_ptr(), value.len(), old, found)
        })
    }

    fn exists(entry: *mut mdb_entry) -> bool {
        let mut found = false;
        assert_status(unsafe { mdb_entry_exists(entry, &mut found) }, MDB_OK);
        found
    }

    #[test]
    fn opening_an_entry_rejects_null_arguments() {
        assert_opener_rejects_nulls(mdb_access_entry);
    }

    #[test]
    fn null_arguments_are_rejected_before_any_work() {
        let db = TempFork::new();
        let entry = db.open(mdb_access_entry, "entry");
        let (null, v) = (ptr::null_mut(), b"v".as_ptr());
        let (mut value, mut found) = (mdb_bytes::empty(), false);
        assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
            [
                mdb_entry_get(null, &mut value, &mut found),
                mdb_entry_get(entry, ptr::null_mut(), &mut found),
                mdb_entry_get(entry, &mut value, ptr::null_mut()),
                mdb_entry_exists(null, &mut found),
                mdb_entry_exists(entry, ptr::null_mut()),
                mdb_entry_set(null, v, 1),
                mdb_entry_set(entry, ptr::null(), 1),
                mdb_entry_remove(null),
                mdb_entry_take(null, &mut value, &mut found),
                mdb_entry_take(entry, ptr::null_mut(), &mut found),
                mdb_entry_take(entry, &mut value, ptr::null_mut()),
                mdb_entry_swap(null, v, 1, &mut value, &mut found),
                mdb_entry_swap(entry, ptr::null(), 1, &mut value, &mut found),
                mdb_entry_swap(entry, v, 1, ptr::null_mut(), &mut found),
                mdb_entry_swap(entry, v, 1, &mut value, ptr::null_mut()),
            ]
        });
        assert!(value.data.is_null());
        assert!(!exists(entry), "nothing was set");
        unsafe {
            mdb_entry_free(entry);
            mdb_entry_free(ptr::null_mut());
        }
    }

    #[test]
    fn a_value_round_trips_through_set_swap_take_and_remove() {
        let db = TempFork::new();
        let entry = db.open(mdb_access_entry, "entry");
        assert_eq!(
            (exists(entry), get(entry), take(entry)),
            (false, None, None)
        );
        assert_status(set(entry, b""), MDB_OK);
        assert_eq!(
            (exists(entry), get(entry)),
            (true, Some(Vec::new())),
            "an empty value is set"
        );
        assert_eq!(swap(entry, b"b"), Some(Vec::new()));
        assert_eq!(take(entry), Some(b"b".to_vec()));
        assert_eq!((exists(entry), swap(entry, b"c")), (false, None));
        assert_status(unsafe { mdb_entry_remove(entry) }, MDB_OK);
        assert_eq!(get(entry), None);
        unsafe { mdb_entry_free(entry) };
    }

    #[test]
    fn writes_through_a_snapshot_fail_with_readonly() {
        let mut db = TempFork::new();
        let entry = db.open_in_snapshot(mdb_access_entry, "entry");
        let (mut value, mut found) = (mdb_bytes::empty(), false);
        assert_each(MDB_ERR_READONLY, &unsafe {
            [
                set(entry, b"a"),
                mdb_entry_remove(entry),
                mdb_entry_take(entry, &mut value, &mut found),
                mdb_entry_swap(entry, b"a".as_ptr(), 1, &mut value, &mut found),
            ]
        });
        assert_eq!(get(entry), None);
        unsafe { mdb_entry_free(entry) };
    }

    #[test]
    fn writes_through_a_read_only_fork_access_fail_with_readonly() {
        let mut db = TempFork::new();
        let writer = db.open(mdb_access_entry, "entry");
        assert_status(set(writer, b"a"), MDB_OK);
        unsafe { mdb_entry_free(writer) };
        let entry = db.open_readonly(mdb_access_entry, "entry");
        assert_status(set(entry, b"b"), MDB_ERR_READONLY);
        assert_eq!(
            get(entry),
            Some(b"a".to_vec()),
            "the fork's changes are visible"
        );
        unsafe { mdb_entry_free(entry) };
    }

    #[test]
    fn a_second_writable_handle_on_an_entry_is_refused_with_borrowed() {
        let db = TempFork::new();
        let entry = db.open(mdb_access_entry, "entry");
        let (name, mut second) = ("entry", ptr::null_mut());
        let status = unsafe {
            mdb_access_entry(
                db.access(),
                name.as_ptr().cast(),
                name.len(),
                ptr::null(),
                0,
                &mut second,
            )
        };
        assert_status(status, MDB_ERR_BORROWED);
        assert!(second.is_null());
        unsafe { mdb_entry_free(entry) };
        let again = db.open(mdb_access_entry, "entry");
        unsafe { mdb_entry_free(again) };
    }

    #[test]
    fn into_patch_makes_live_entry_handles_stale() {
        let mut db = TempFork::new();
        let entry = db.open(mdb_access_entry, "entry");
        assert_status(set(entry, b"a"), MDB_OK);
        db.convert_to_patch();
        let (mut value, mut found) = (mdb_bytes::empty(), true);
        assert_each(MDB_ERR_STALE_HANDLE, &unsafe {
            [
                mdb_entry_get(entry, &mut value, &mut found),
                set(entry, b"b"),
                mdb_entry_take(entry, &mut value, &mut found),
            ]
        });
        assert!(found && value.data.is_null(), "outputs untouched");
        unsafe { mdb_entry_free(entry) };
    }
}
