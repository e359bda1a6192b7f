//! `mdb_key_set`: a set of byte keys, ordered by key.

use std::ffi::c_char;

use super::{
    access::{mdb_access, open_index},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    family::{AnyIndex, ChildHandle, RawAccess},
    handle::{free_handle, try_ref, try_slice, Castable, Out},
    iter::{mdb_iter, open_iter},
    status::mdb_status,
};
use crate::{IndexType, KeySetIndex};

/// A key set index: a set of byte keys, iterated in the byte order of the keys.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_key_set {
    _private: [u8; 0],
}

impl Castable for mdb_key_set {
    type RustType = ChildHandle;
}

type KeySet = KeySetIndex<RawAccess, [u8]>;

fn key_set(index: &AnyIndex) -> &KeySet {
    match index {
        AnyIndex::KeySet(set) => set,
        _ => unreachable!("key set handles refer to key sets"),
    }
}

fn key_set_mut(index: &mut AnyIndex) -> &mut KeySet {
    match index {
        AnyIndex::KeySet(set) => set,
        _ => unreachable!("key set handles refer to key sets"),
    }
}

/// Opens the key set at an address, creating it if the access is writable and it does not
/// exist (through a read-only access a missing key set reads as empty).
///
/// @param[in]  access       The access. Not NULL.
/// @param[in]  name         UTF-8 index name of `name_len` bytes: `[A-Za-z0-9_.-]`, not
///                          empty, not starting with `__` unless it has a dot.
/// @param[in]  key          Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                          outside any group; non-NULL with `key_len` 0: the group member
///                          whose key is empty.
/// @param[out] out_key_set  On `MDB_OK`, the key set; free it with `mdb_key_set_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, a name that is not UTF-8
///   or not a valid index name; `MDB_ERR_WRONG_TYPE` if another kind of index is there;
///   `MDB_ERR_BORROWED` if the key set is already open in this fork in a conflicting way (a
///   second writable handle, or writable and read-only handles together);
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of the index (or, to create it, the
///   identifier counter) does not decode: the message names the record.
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
    ffi_boundary!({
        unsafe {
            open_index(
                access,
                name,
                name_len,
                key,
                key_len,
                IndexType::KeySet,
                out_key_set,
            )
        }
    })
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
        let handle = unsafe { try_ref(key_set, "key_set")? };
        let key = unsafe { try_slice(key, key_len, "key")? };
        let out_found = Out::new(out_found, "out_found")?;
        out_found.write(handle.with_index(|index| Ok(self::key_set(index.index()).contains(key)))?);
        Ok(())
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
        let handle = unsafe { try_ref(key_set, "key_set")? };
        let key = unsafe { try_slice(key, key_len, "key")? };
        handle.with_index_mut(|index| {
            key_set_mut(index.index_mut()?).insert(key);
            Ok(())
        })
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
        let handle = unsafe { try_ref(key_set, "key_set")? };
        let key = unsafe { try_slice(key, key_len, "key")? };
        handle.with_index_mut(|index| {
            key_set_mut(index.index_mut()?).remove(key);
            Ok(())
        })
    })
}

/// Removes every key. The key set itself (its type) stays.
///
/// @param[in] key_set  The key set. Not NULL.
/// @return as `mdb_key_set_insert`. Rust: `KeySetIndex::clear`.
#[no_mangle]
pub unsafe extern "C" fn mdb_key_set_clear(key_set: *mut mdb_key_set) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(key_set, "key_set")? };
        handle.with_index_mut(|index| {
            key_set_mut(index.index_mut()?).clear();
            Ok(())
        })
    })
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
        let handle = unsafe { try_ref(key_set, "key_set")? };
        let from = unsafe { try_slice(from, from_len, "from")? };
        unsafe { open_iter(handle, from.to_vec(), out_iter) }
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
        unsafe { free_handle(key_set) }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::{
        iter::mdb_iter_free,
        status::{
            MDB_ERR_BORROWED, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_READONLY, MDB_ERR_STALE_HANDLE,
            MDB_OK,
        },
        test_support::{
            assert_each, assert_opener_rejects_nulls, assert_status, iterate, TempFork,
        },
    };

    fn insert(set: *mut mdb_key_set, key: &[u8]) -> mdb_status {
        unsafe { mdb_key_set_insert(set, key.as_ptr(), key.len()) }
    }

    fn remove(set: *mut mdb_key_set, key: &[u8]) -> mdb_status {
        unsafe { mdb_key_set_remove(set, key.as_ptr(), key.len()) }
    }

    fn contains(set: *mut mdb_key_set, key: &[u8]) -> bool {
        let mut found = false;
        assert_status(
            unsafe { mdb_key_set_contains(set, key.as_ptr(), key.len(), &mut found) },
            MDB_OK,
        );
        found
    }

    /// The keys from `from` on; checks that every value is empty.
    fn keys(set: *mut mdb_key_set, from: &[u8]) -> Vec<Vec<u8>> {
        let entries =
            iterate(|iter| unsafe { mdb_key_set_iter(set, from.as_ptr(), from.len(), iter) });
        assert!(entries.iter().all(|(_, value)| value.is_empty()));
        entries.into_iter().map(|(key, _)| key).collect()
    }

    #[test]
    fn opening_a_key_set_rejects_null_arguments() {
        assert_opener_rejects_nulls(mdb_access_key_set);
    }

    #[test]
    fn null_arguments_are_rejected_before_any_work() {
        let db = TempFork::new();
        let set = db.open(mdb_access_key_set, "set");
        let (null, k) = (ptr::null_mut(), b"k".as_ptr());
        let (mut found, mut iter) = (false, ptr::null_mut());
        assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
            [
                mdb_key_set_contains(null, k, 1, &mut found),
                mdb_key_set_contains(set, ptr::null(), 1, &mut found),
                mdb_key_set_contains(set, k, 1, ptr::null_mut()),
                mdb_key_set_insert(null, k, 1),
                mdb_key_set_insert(set, ptr::null(), 1),
                mdb_key_set_remove(null, k, 1),
                mdb_key_set_remove(set, ptr::null(), 1),
                mdb_key_set_clear(null),
                mdb_key_set_iter(null, ptr::null(), 0, &mut iter),
                mdb_key_set_iter(set, ptr::null(), 1, &mut iter),
                mdb_key_set_iter(set, ptr::null(), 0, ptr::null_mut()),
            ]
        });
        assert!(iter.is_null());
        assert!(keys(set, b"").is_empty(), "nothing was inserted");
        unsafe {
            mdb_key_set_free(set);
            mdb_key_set_free(ptr::null_mut());
        }
    }

    #[test]
    fn keys_round_trip_in_byte_order() {
        let db = TempFork::new();
        let set = db.open(mdb_access_key_set, "set");
        for key in [&b"b"[..], b"a", b"c", b"a", b""] {
            assert_status(insert(set, key), MDB_OK);
        }
        assert!(contains(set, b"a") && contains(set, b"") && !contains(set, b"d"));
        assert_eq!(keys(set, b""), [&b""[..], b"a", b"b", b"c"]);
        assert_eq!(keys(set, b"aa"), [b"b", b"c"]);
        assert_status(remove(set, b"b"), MDB_OK);
        assert_status(remove(set, b"missing"), MDB_OK);
        assert!(!contains(set, b"b"));
        assert_status(unsafe { mdb_key_set_clear(set) }, MDB_OK);
        assert!(keys(set, b"").is_empty());
        unsafe { mdb_key_set_free(set) };
    }

    #[test]
    fn writes_through_a_read_only_access_fail_with_readonly() {
        let mut db = TempFork::new();
        let writer = db.open(mdb_access_key_set, "set");
        assert_status(insert(writer, b"a"), MDB_OK);
        unsafe { mdb_key_set_free(writer) };
        let set = db.open_readonly(mdb_access_key_set, "set");
        assert_each(
            MDB_ERR_READONLY,
            &[insert(set, b"b"), remove(set, b"a"), unsafe {
                mdb_key_set_clear(set)
            }],
        );
        assert_eq!(keys(set, b""), [b"a"]);
        unsafe { mdb_key_set_free(set) };
    }

    #[test]
    fn into_patch_makes_live_key_set_handles_stale() {
        let mut db = TempFork::new();
        let set = db.open(mdb_access_key_set, "set");
        assert_status(insert(set, b"a"), MDB_OK);
        db.convert_to_patch();
        let (mut found, mut iter) = (true, ptr::null_mut());
        assert_each(MDB_ERR_STALE_HANDLE, &unsafe {
            [
                mdb_key_set_contains(set, b"a".as_ptr(), 1, &mut found),
                insert(set, b"b"),
                mdb_key_set_iter(set, ptr::null(), 0, &mut iter),
            ]
        });
        assert!(found && iter.is_null(), "outputs untouched");
        unsafe { mdb_key_set_free(set) };
    }

    #[test]
    fn writes_during_an_iteration_fail_with_borrowed() {
        let db = TempFork::new();
        let set = db.open(mdb_access_key_set, "set");
        assert_status(insert(set, b"a"), MDB_OK);
        let mut iter = ptr::null_mut();
        assert_status(
            unsafe { mdb_key_set_iter(set, ptr::null(), 0, &mut iter) },
            MDB_OK,
        );
        assert_each(
            MDB_ERR_BORROWED,
            &[insert(set, b"b"), remove(set, b"a"), unsafe {
                mdb_key_set_clear(set)
            }],
        );
        assert!(contains(set, b"a"), "reads still work");
        unsafe { mdb_iter_free(iter) };
        assert_status(insert(set, b"b"), MDB_OK);
        unsafe { mdb_key_set_free(set) };
    }
}
