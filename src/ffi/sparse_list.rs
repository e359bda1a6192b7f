//! `mdb_sparse_list`: a list of byte values whose positions may have gaps.

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
use crate::{IndexType, SparseListIndex};

/// A sparse list index: byte values at positions that may have gaps. Its capacity is one past
/// the highest position ever used (where `mdb_sparse_list_push` stores); its length is the
/// number of values present.
///
/// Belongs to the family of the access it was opened from: any thread may use it, and calls
/// on one family are serialised by a lock.
pub struct mdb_sparse_list {
    _private: [u8; 0],
}

impl Castable for mdb_sparse_list {
    type RustType = ChildHandle;
}

type SparseList = SparseListIndex<RawAccess, Vec<u8>>;

fn sparse_list(index: &AnyIndex) -> &SparseList {
    match index {
        AnyIndex::SparseList(list) => list,
        _ => unreachable!("sparse list handles refer to sparse lists"),
    }
}

fn sparse_list_mut(index: &mut AnyIndex) -> &mut SparseList {
    match index {
        AnyIndex::SparseList(list) => list,
        _ => unreachable!("sparse list handles refer to sparse lists"),
    }
}

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
/// @param[in]  access           The access. Not NULL.
/// @param[in]  name             UTF-8 index name of `name_len` bytes: `[A-Za-z0-9_.-]`, not
///                              empty, not starting with `__` unless it has a dot.
/// @param[in]  key              Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                              outside any group; non-NULL with `key_len` 0: the group member
///                              whose key is empty.
/// @param[out] out_sparse_list  On `MDB_OK`, the sparse list; free it with
///                              `mdb_sparse_list_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, a name that is not UTF-8
///   or not a valid index name; `MDB_ERR_WRONG_TYPE` if another kind of index is there;
///   `MDB_ERR_BORROWED` if the sparse list is already open in this fork in a conflicting way (a
///   second writable handle, or writable and read-only handles together);
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of the index (or, to create it, the
///   identifier counter) does not decode: the message names the record.
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
    ffi_boundary!({
        unsafe {
            open_index(
                access,
                name,
                name_len,
                key,
                key_len,
                IndexType::SparseList,
                out_sparse_list,
            )
        }
    })
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.write(handle.with_index(|index| Ok(self::sparse_list(index.index()).get(position)))?);
        Ok(())
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        let out_len = Out::new(out_len, "out_len")?;
        out_len.write(handle.with_index(|index| Ok(self::sparse_list(index.index()).len()))?);
        Ok(())
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        let out_capacity = Out::new(out_capacity, "out_capacity")?;
        let capacity =
            handle.with_index(|index| Ok(self::sparse_list(index.index()).capacity()))?;
        out_capacity.write(capacity);
        Ok(())
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        let value = unsafe { try_slice(value, value_len, "value")? };
        handle.with_index_mut(|index| {
            let list = sparse_list_mut(index.index_mut()?);
            // `SparseListIndex::push` panics when the capacity overflows.
            if list.capacity() == u64::MAX {
                return Err(capacity_overflow(u64::MAX));
            }
            list.push(value.to_vec());
            Ok(())
        })
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        let value = unsafe { try_slice(value, value_len, "value")? };
        let out = OutLookup::new(out_value, out_found)?;
        let old_value = handle.with_index_mut(|index| {
            let list = sparse_list_mut(index.index_mut()?);
            // `SparseListIndex::set` panics when filling position `u64::MAX` overflows the
            // capacity.
            if position == u64::MAX && list.get(position).is_none() {
                return Err(capacity_overflow(position));
            }
            Ok(list.set(position, value.to_vec()))
        })?;
        out.write(old_value);
        Ok(())
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        let out = OutLookup::new(out_value, out_found)?;
        let removed = handle
            .with_index_mut(|index| Ok(sparse_list_mut(index.index_mut()?).remove(position)))?;
        out.write(removed);
        Ok(())
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        let out = OutLookup::new(out_value, out_found)?;
        out.write(handle.with_index_mut(|index| Ok(sparse_list_mut(index.index_mut()?).pop()))?);
        Ok(())
    })
}

/// Removes every value; the capacity and the length go back to 0. The sparse list itself (its
/// type) stays.
///
/// @param[in] sparse_list  The sparse list. Not NULL.
/// @return as `mdb_sparse_list_remove`. Rust: `SparseListIndex::clear`.
#[no_mangle]
pub unsafe extern "C" fn mdb_sparse_list_clear(sparse_list: *mut mdb_sparse_list) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        handle.with_index_mut(|index| {
            sparse_list_mut(index.index_mut()?).clear();
            Ok(())
        })
    })
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
        let handle = unsafe { try_ref(sparse_list, "sparse_list")? };
        unsafe { open_iter(handle, from_position.to_be_bytes().to_vec(), out_iter) }
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
        unsafe { free_handle(sparse_list) }
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
            assert_each, assert_opener_rejects_nulls, assert_status, iterate, lookup, TempFork,
        },
    };

    fn push(list: *mut mdb_sparse_list, value: &[u8]) -> mdb_status {
        unsafe { mdb_sparse_list_push(list, value.as_ptr(), value.len()) }
    }

    fn set(list: *mut mdb_sparse_list, position: u64, value: &[u8]) -> Option<Vec<u8>> {
        lookup(|old, found| unsafe {
            mdb_sparse_list_set(list, position, value.as_ptr(), value.len(), old, found)
        })
    }

    fn get(list: *mut mdb_sparse_list, position: u64) -> Option<Vec<u8>> {
        lookup(|value, found| unsafe { mdb_sparse_list_get(list, position, value, found) })
    }

    fn remove(list: *mut mdb_sparse_list, position: u64) -> Option<Vec<u8>> {
        lookup(|value, found| unsafe { mdb_sparse_list_remove(list, position, value, found) })
    }

    fn pop(list: *mut mdb_sparse_list) -> Option<Vec<u8>> {
        lookup(|value, found| unsafe { mdb_sparse_list_pop(list, value, found) })
    }

    /// `(capacity, len)`.
    fn size(list: *mut mdb_sparse_list) -> (u64, u64) {
        let (mut capacity, mut len) = (u64::MAX, u64::MAX);
        assert_status(
            unsafe { mdb_sparse_list_capacity(list, &mut capacity) },
            MDB_OK,
        );
        assert_status(unsafe { mdb_sparse_list_len(list, &mut len) }, MDB_OK);
        (capacity, len)
    }

    fn position(position: u64, value: &[u8]) -> (Vec<u8>, Vec<u8>) {
        (position.to_be_bytes().to_vec(), value.to_vec())
    }

    #[test]
    fn opening_a_sparse_list_rejects_null_arguments() {
        assert_opener_rejects_nulls(mdb_access_sparse_list);
    }

    #[test]
    fn null_arguments_are_rejected_before_any_work() {
        let db = TempFork::new();
        let list = db.open(mdb_access_sparse_list, "list");
        let (null, v) = (ptr::null_mut(), b"v".as_ptr());
        let (mut value, mut found, mut number, mut iter) =
            (mdb_bytes::empty(), false, 0, ptr::null_mut());
        assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
            [
                mdb_sparse_list_get(null, 0, &mut value, &mut found),
                mdb_sparse_list_get(list, 0, ptr::null_mut(), &mut found),
                mdb_sparse_list_get(list, 0, &mut value, ptr::null_mut()),
                mdb_sparse_list_len(null, &mut number),
                mdb_sparse_list_len(list, ptr::null_mut()),
                mdb_sparse_list_capacity(null, &mut number),
                mdb_sparse_list_capacity(list, ptr::null_mut()),
                mdb_sparse_list_push(null, v, 1),
                mdb_sparse_list_push(list, ptr::null(), 1),
                mdb_sparse_list_set(null, 0, v, 1, &mut value, &mut found),
                mdb_sparse_list_set(list, 0, ptr::null(), 1, &mut value, &mut found),
                mdb_sparse_list_set(list, 0, v, 1, ptr::null_mut(), &mut found),
                mdb_sparse_list_set(list, 0, v, 1, &mut value, ptr::null_mut()),
                mdb_sparse_list_remove(null, 0, &mut value, &mut found),
                mdb_sparse_list_remove(list, 0, ptr::null_mut(), &mut found),
                mdb_sparse_list_remove(list, 0, &mut value, ptr::null_mut()),
                mdb_sparse_list_pop(null, &mut value, &mut found),
                mdb_sparse_list_pop(list, ptr::null_mut(), &mut found),
                mdb_sparse_list_pop(list, &mut value, ptr::null_mut()),
                mdb_sparse_list_clear(null),
                mdb_sparse_list_iter(null, 0, &mut iter),
                mdb_sparse_list_iter(list, 0, ptr::null_mut()),
            ]
        });
        assert!(iter.is_null() && value.data.is_null());
        assert_eq!(size(list), (0, 0), "nothing was stored");
        unsafe {
            mdb_sparse_list_free(list);
            mdb_sparse_list_free(ptr::null_mut());
        }
    }

    #[test]
    fn values_round_trip_with_gaps_and_pop_takes_the_first_value() {
        let db = TempFork::new();
        let list = db.open(mdb_access_sparse_list, "list");
        assert_status(push(list, b"a"), MDB_OK);
        assert_eq!(set(list, 5, b"f"), None);
        assert_eq!(size(list), (6, 2));
        assert_eq!(set(list, 5, b"F"), Some(b"f".to_vec()));
        assert_eq!((get(list, 5), get(list, 3)), (Some(b"F".to_vec()), None));
        assert_status(push(list, b"g"), MDB_OK);
        assert_eq!(
            iterate(|iter| unsafe { mdb_sparse_list_iter(list, 1, iter) }),
            [position(5, b"F"), position(6, b"g")]
        );
        assert_eq!(remove(list, 0), Some(b"a".to_vec()));
        assert_eq!((remove(list, 0), remove(list, 100)), (None, None));
        assert_eq!(
            pop(list),
            Some(b"F".to_vec()),
            "pop removes the lowest position"
        );
        assert_eq!(size(list), (7, 1), "removals keep the capacity");
        assert_status(unsafe { mdb_sparse_list_clear(list) }, MDB_OK);
        assert_eq!((size(list), pop(list)), ((0, 0), None));
        unsafe { mdb_sparse_list_free(list) };
    }

    #[test]
    fn writes_that_would_overflow_the_capacity_fail_with_out_of_range() {
        let db = TempFork::new();
        let list = db.open(mdb_access_sparse_list, "list");
        let (mut value, mut found) = (mdb_bytes::empty(), false);
        let status = unsafe {
            mdb_sparse_list_set(list, u64::MAX, b"x".as_ptr(), 1, &mut value, &mut found)
        };
        assert_status(status, MDB_ERR_OUT_OF_RANGE);
        assert_eq!(set(list, u64::MAX - 1, b"y"), None);
        assert_eq!(size(list), (u64::MAX, 1));
        assert_status(push(list, b"z"), MDB_ERR_OUT_OF_RANGE);
        // The checks run before the engine would panic, so the family is not poisoned.
        assert_eq!(
            (get(list, u64::MAX - 1), get(list, u64::MAX)),
            (Some(b"y".to_vec()), None)
        );
        unsafe { mdb_sparse_list_free(list) };
    }

    #[test]
    fn writes_through_a_read_only_access_fail_with_readonly() {
        let mut db = TempFork::new();
        let writer = db.open(mdb_access_sparse_list, "list");
        assert_status(push(writer, b"a"), MDB_OK);
        unsafe { mdb_sparse_list_free(writer) };
        let list = db.open_readonly(mdb_access_sparse_list, "list");
        let (mut value, mut found) = (mdb_bytes::empty(), false);
        assert_each(MDB_ERR_READONLY, &unsafe {
            [
                push(list, b"b"),
                mdb_sparse_list_set(list, 0, b"b".as_ptr(), 1, &mut value, &mut found),
                mdb_sparse_list_remove(list, 0, &mut value, &mut found),
                mdb_sparse_list_pop(list, &mut value, &mut found),
                mdb_sparse_list_clear(list),
            ]
        });
        assert_eq!((size(list), get(list, 0)), ((1, 1), Some(b"a".to_vec())));
        unsafe { mdb_sparse_list_free(list) };
    }

    #[test]
    fn into_patch_makes_live_sparse_list_handles_stale() {
        let mut db = TempFork::new();
        let list = db.open(mdb_access_sparse_list, "list");
        assert_status(push(list, b"a"), MDB_OK);
        db.convert_to_patch();
        let (mut value, mut found, mut capacity, mut iter) =
            (mdb_bytes::empty(), true, 7, ptr::null_mut());
        assert_each(MDB_ERR_STALE_HANDLE, &unsafe {
            [
                mdb_sparse_list_get(list, 0, &mut value, &mut found),
                mdb_sparse_list_capacity(list, &mut capacity),
                push(list, b"b"),
                mdb_sparse_list_remove(list, 0, &mut value, &mut found),
                mdb_sparse_list_iter(list, 0, &mut iter),
            ]
        });
        assert!(
            found && capacity == 7 && value.data.is_null() && iter.is_null(),
            "outputs untouched"
        );
        unsafe { mdb_sparse_list_free(list) };
    }

    #[test]
    fn writes_during_an_iteration_fail_with_borrowed() {
        let db = TempFork::new();
        let list = db.open(mdb_access_sparse_list, "list");
        assert_status(push(list, b"a"), MDB_OK);
        let mut iter = ptr::null_mut();
        assert_status(unsafe { mdb_sparse_list_iter(list, 0, &mut iter) }, MDB_OK);
        let (mut value, mut found) = (mdb_bytes::empty(), false);
        assert_each(MDB_ERR_BORROWED, &unsafe {
            [
                push(list, b"b"),
                mdb_sparse_list_pop(list, &mut value, &mut found),
                mdb_sparse_list_clear(list),
            ]
        });
        assert_eq!(get(list, 0), Some(b"a".to_vec()), "reads still work");
        unsafe { mdb_iter_free(iter) };
        assert_status(push(list, b"b"), MDB_OK);
        unsafe { mdb_sparse_list_free(list) };
    }
}
