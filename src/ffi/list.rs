//! `mdb_list`: a list of byte values, addressed by position.

use std::ffi::c_char;

use super::{
    access::{mdb_access, open_index},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    bytes::{mdb_bytes, OutLookup},
    family::{AnyIndex, ChildHandle, RawAccess},
    handle::{free_handle, try_ref, try_slice, Castable, Out},
    iter::{mdb_iter, open_iter},
    status::{mdb_status, FfiError, MDB_ERR_OUT_OF_RANGE},
};
use crate::{IndexType, ListIndex};

/// A list index: byte values at positions `0` to `len - 1`, appended at the end.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_list {
    _private: [u8; 0],
}

impl Castable for mdb_list {
    type RustType = ChildHandle;
}

type List = ListIndex<RawAccess, Vec<u8>>;

fn list(index: &AnyIndex) -> &List {
    match index {
        AnyIndex::List(list) => list,
        _ => unreachable!("list handles refer to lists"),
    }
}

fn list_mut(index: &mut AnyIndex) -> &mut List {
    match index {
        AnyIndex::List(list) => list,
        _ => unreachable!("list handles refer to lists"),
    }
}

/// Opens the list at an address, creating it if the access is writable and it does not exist
/// (through a read-only access a missing list reads as empty).
///
/// @param[in]  access    The access. Not NULL.
/// @param[in]  name      UTF-8 index name of `name_len` bytes: `[A-Za-z0-9_.-]`, not empty,
///                       not starting with `__` unless it has a dot.
/// @param[in]  key       Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                       outside any group; non-NULL with `key_len` 0: the group member
///                       whose key is empty.
/// @param[out] out_list  On `MDB_OK`, the list; free it with `mdb_list_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, a name that is not UTF-8
///   or not a valid index name; `MDB_ERR_WRONG_TYPE` if another kind of index is there;
///   `MDB_ERR_BORROWED` if the list is already open in this fork in a conflicting way (a second
///   writable handle, or writable and read-only handles together); `MDB_ERR_STALE_HANDLE`;
///   `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of the index (or, to create it, the
///   identifier counter) does not decode: the message names the record.
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
    ffi_boundary!({
        unsafe {
            open_index(
                access,
                name,
                name_len,
                key,
                key_len,
                IndexType::List,
                out_list,
            )
        }
    })
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
        let handle = unsafe { try_ref(list, "list")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.write(handle.with_index(|index| Ok(self::list(index.index()).get(position)))?);
        Ok(())
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
        let handle = unsafe { try_ref(list, "list")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.write(handle.with_index(|index| Ok(self::list(index.index()).last()))?);
        Ok(())
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
    ffi_boundary!({
        let handle = unsafe { try_ref(list, "list")? };
        let out_len = Out::new(out_len, "out_len")?;
        out_len.write(handle.with_index(|index| Ok(self::list(index.index()).len()))?);
        Ok(())
    })
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
        let handle = unsafe { try_ref(list, "list")? };
        let value = unsafe { try_slice(value, value_len, "value")? };
        handle.with_index_mut(|index| {
            list_mut(index.index_mut()?).push(value.to_vec());
            Ok(())
        })
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
        let handle = unsafe { try_ref(list, "list")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.write(handle.with_index_mut(|index| Ok(list_mut(index.index_mut()?).pop()))?);
        Ok(())
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
        let handle = unsafe { try_ref(list, "list")? };
        let value = unsafe { try_slice(value, value_len, "value")? };
        handle.with_index_mut(|index| {
            let list = list_mut(index.index_mut()?);
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
        })
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
    ffi_boundary!({
        let handle = unsafe { try_ref(list, "list")? };
        handle.with_index_mut(|index| {
            list_mut(index.index_mut()?).truncate(len);
            Ok(())
        })
    })
}

/// Removes every value; the length goes back to 0. The list itself (its type) stays.
///
/// @param[in] list  The list. Not NULL.
/// @return as `mdb_list_push`. Rust: `ListIndex::clear`.
#[no_mangle]
pub unsafe extern "C" fn mdb_list_clear(list: *mut mdb_list) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(list, "list")? };
        handle.with_index_mut(|index| {
            list_mut(index.index_mut()?).clear();
            Ok(())
        })
    })
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
        let handle = unsafe { try_ref(list, "list")? };
        unsafe { open_iter(handle, from_position.to_be_bytes().to_vec(), out_iter) }
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
        unsafe { free_handle(list) }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::{
        status::{
            MDB_ERR_BORROWED, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_OUT_OF_RANGE, MDB_ERR_READONLY,
            MDB_ERR_STALE_HANDLE, MDB_OK,
        },
        test_support::{
            assert_each, assert_opener_rejects_nulls, assert_status, iterate, lookup, TempFork,
        },
    };

    fn push(list: *mut mdb_list, value: &[u8]) -> mdb_status {
        unsafe { mdb_list_push(list, value.as_ptr(), value.len()) }
    }

    fn set(list: *mut mdb_list, position: u64, value: &[u8]) -> mdb_status {
        unsafe { mdb_list_set(list, position, value.as_ptr(), value.len()) }
    }

    fn get(list: *mut mdb_list, position: u64) -> Option<Vec<u8>> {
        lookup(|value, found| unsafe { mdb_list_get(list, position, value, found) })
    }

    fn len(list: *mut mdb_list) -> u64 {
        let mut len = u64::MAX;
        assert_status(unsafe { mdb_list_len(list, &mut len) }, MDB_OK);
        len
    }

    fn position(position: u64, value: &[u8]) -> (Vec<u8>, Vec<u8>) {
        (position.to_be_bytes().to_vec(), value.to_vec())
    }

    #[test]
    fn opening_a_list_rejects_null_arguments() {
        assert_opener_rejects_nulls(mdb_access_list);
    }

    #[test]
    fn null_arguments_are_rejected_before_any_work() {
        let db = TempFork::new();
        let list = db.open(mdb_access_list, "list");
        let (null, v) = (ptr::null_mut(), b"v".as_ptr());
        let (mut value, mut found, mut len, mut iter) =
            (mdb_bytes::empty(), false, 0, ptr::null_mut());
        assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
            [
                mdb_list_get(null, 0, &mut value, &mut found),
                mdb_list_get(list, 0, ptr::null_mut(), &mut found),
                mdb_list_get(list, 0, &mut value, ptr::null_mut()),
                mdb_list_last(null, &mut value, &mut found),
                mdb_list_last(list, ptr::null_mut(), &mut found),
                mdb_list_last(list, &mut value, ptr::null_mut()),
                mdb_list_len(null, &mut len),
                mdb_list_len(list, ptr::null_mut()),
                mdb_list_push(null, v, 1),
                mdb_list_push(list, ptr::null(), 1),
                mdb_list_pop(null, &mut value, &mut found),
                mdb_list_pop(list, ptr::null_mut(), &mut found),
                mdb_list_pop(list, &mut value, ptr::null_mut()),
                mdb_list_set(null, 0, v, 1),
                mdb_list_set(list, 0, ptr::null(), 1),
                mdb_list_truncate(null, 0),
                mdb_list_clear(null),
                mdb_list_iter(null, 0, &mut iter),
                mdb_list_iter(list, 0, ptr::null_mut()),
            ]
        });
        assert!(iter.is_null() && value.data.is_null());
        assert_eq!(self::len(list), 0);
        unsafe {
            mdb_list_free(list);
            mdb_list_free(ptr::null_mut());
        }
    }

    #[test]
    fn values_round_trip_through_push_set_pop_and_truncate() {
        let db = TempFork::new();
        let list = db.open(mdb_access_list, "list");
        assert_eq!(
            lookup(|value, found| unsafe { mdb_list_last(list, value, found) }),
            None
        );
        for value in [&b"a"[..], b"b", b"c", b""] {
            assert_status(push(list, value), MDB_OK);
        }
        assert_eq!(len(list), 4);
        assert_eq!(get(list, 1), Some(b"b".to_vec()));
        assert_eq!(get(list, 3), Some(Vec::new()), "an empty value is found");
        assert_eq!(get(list, 4), None);
        assert_status(set(list, 1, b"B"), MDB_OK);
        assert_eq!(get(list, 1), Some(b"B".to_vec()));
        assert_eq!(
            lookup(|value, found| unsafe { mdb_list_pop(list, value, found) }),
            Some(Vec::new())
        );
        assert_eq!(
            lookup(|value, found| unsafe { mdb_list_last(list, value, found) }),
            Some(b"c".to_vec())
        );
        assert_eq!(
            iterate(|iter| unsafe { mdb_list_iter(list, 1, iter) }),
            [position(1, b"B"), position(2, b"c")]
        );
        assert_status(unsafe { mdb_list_truncate(list, 1) }, MDB_OK);
        assert_eq!(
            iterate(|iter| unsafe { mdb_list_iter(list, 0, iter) }),
            [position(0, b"a")]
        );
        assert_status(unsafe { mdb_list_clear(list) }, MDB_OK);
        assert_eq!(len(list), 0);
        assert_eq!(
            lookup(|value, found| unsafe { mdb_list_pop(list, value, found) }),
            None
        );
        unsafe { mdb_list_free(list) };
    }

    #[test]
    fn setting_past_the_end_fails_with_out_of_range_and_changes_nothing() {
        let db = TempFork::new();
        let list = db.open(mdb_access_list, "list");
        assert_status(set(list, 0, b"x"), MDB_ERR_OUT_OF_RANGE);
        assert_status(push(list, b"a"), MDB_OK);
        assert_status(set(list, 1, b"x"), MDB_ERR_OUT_OF_RANGE);
        assert_status(set(list, u64::MAX, b"x"), MDB_ERR_OUT_OF_RANGE);
        assert_eq!((len(list), get(list, 1)), (1, None));
        // The check runs before the engine would panic, so the family is not poisoned.
        assert_status(set(list, 0, b"x"), MDB_OK);
        assert_eq!(get(list, 0), Some(b"x".to_vec()));
        unsafe { mdb_list_free(list) };
    }

    #[test]
    fn writes_through_a_read_only_access_fail_with_readonly() {
        let mut db = TempFork::new();
        let writer = db.open(mdb_access_list, "list");
        assert_status(push(writer, b"a"), MDB_OK);
        unsafe { mdb_list_free(writer) };
        let list = db.open_readonly(mdb_access_list, "list");
        let (mut value, mut found) = (mdb_bytes::empty(), false);
        assert_each(MDB_ERR_READONLY, &unsafe {
            [
                push(list, b"b"),
                set(list, 0, b"b"),
                mdb_list_pop(list, &mut value, &mut found),
                mdb_list_truncate(list, 0),
                mdb_list_clear(list),
            ]
        });
        assert_eq!((len(list), get(list, 0)), (1, Some(b"a".to_vec())));
        unsafe { mdb_list_free(list) };
    }

    #[test]
    fn into_patch_makes_live_list_handles_stale() {
        let mut db = TempFork::new();
        let list = db.open(mdb_access_list, "list");
        assert_status(push(list, b"a"), MDB_OK);
        db.convert_to_patch();
        let (mut value, mut found, mut len, mut iter) =
            (mdb_bytes::empty(), true, 7, ptr::null_mut());
        assert_each(MDB_ERR_STALE_HANDLE, &unsafe {
            [
                mdb_list_get(list, 0, &mut value, &mut found),
                mdb_list_len(list, &mut len),
                push(list, b"b"),
                mdb_list_pop(list, &mut value, &mut found),
                mdb_list_iter(list, 0, &mut iter),
            ]
        });
        assert!(
            found && len == 7 && value.data.is_null() && iter.is_null(),
            "outputs untouched"
        );
        unsafe { mdb_list_free(list) };
    }

    #[test]
    fn writes_during_an_iteration_fail_with_borrowed() {
        let db = TempFork::new();
        let list = db.open(mdb_access_list, "list");
        assert_status(push(list, b"a"), MDB_OK);
        let mut iter = ptr::null_mut();
        assert_status(unsafe { mdb_list_iter(list, 0, &mut iter) }, MDB_OK);
        assert_each(
            MDB_ERR_BORROWED,
            &[push(list, b"b"), set(list, 0, b"b"), unsafe {
                mdb_list_clear(list)
            }],
        );
        assert_eq!(get(list, 0), Some(b"a".to_vec()), "reads still work");
        unsafe { crate::ffi::iter::mdb_iter_free(iter) };
        assert_status(push(list, b"b"), MDB_OK);
        unsafe { mdb_list_free(list) };
    }
}
