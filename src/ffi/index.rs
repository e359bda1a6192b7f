//! What every index handle (`mdb_map`, `mdb_list`, `mdb_sparse_list`, `mdb_key_set`,
//! `mdb_entry`) does the same way, written once: opening it from an access, finding its child
//! in the family, checking its index, taking the lock, reporting failed reads, and starting an
//! iteration. Each index kind's file declares its opaque type, ties it to its Rust index with
//! [`index_handle!`], and writes out its C functions, whose bodies call these.

use std::ffi::c_char;

use super::{
    access::{address, mdb_access},
    boundary::reporting_read_errors,
    family::{AnyIndex, ChildHandle},
    handle::{into_handle, try_ref, Castable, Out},
    iter::{mdb_iter, open_iter},
    status::FfiError,
};
use crate::IndexType;

/// An index handle type (`mdb_map` and the four others), tied to its variant of [`AnyIndex`]:
/// what every index handle does the same way (find the child, check the index, lock, map the
/// errors) is written once, in [`read_index`] and [`write_index`], on top of it.
pub(crate) trait IndexHandle: Castable<RustType = ChildHandle> {
    /// The Rust index behind the handle.
    type Index;
    /// The type of the index, as stored in its metadata.
    const TYPE: IndexType;
    fn get(index: &AnyIndex) -> Option<&Self::Index>;
    fn get_mut(index: &mut AnyIndex) -> Option<&mut Self::Index>;
}

/// Implements [`Castable`] and [`IndexHandle`] for the C type of an index handle:
/// `index_handle!(mdb_map, Map, MapIndex<RawAccess, [u8], Vec<u8>>)`, where `Map` names the
/// variant of [`AnyIndex`], [`IndexType`] and [`HandleKind`](super::handle::HandleKind).
macro_rules! index_handle {
    ($c_type:ident, $variant:ident, $index:ty) => {
        impl $crate::ffi::handle::Castable for $c_type {
            type RustType = $crate::ffi::family::ChildHandle;
            const KIND: $crate::ffi::handle::HandleKind = $crate::ffi::handle::HandleKind::$variant;
        }

        impl $crate::ffi::index::IndexHandle for $c_type {
            type Index = $index;
            const TYPE: $crate::IndexType = $crate::IndexType::$variant;

            fn get(index: &$crate::ffi::family::AnyIndex) -> Option<&$index> {
                match index {
                    $crate::ffi::family::AnyIndex::$variant(index) => Some(index),
                    _ => None,
                }
            }

            fn get_mut(index: &mut $crate::ffi::family::AnyIndex) -> Option<&mut $index> {
                match index {
                    $crate::ffi::family::AnyIndex::$variant(index) => Some(index),
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use index_handle;

/// The error for an index handle whose index is of another type, which its kind tag rules
/// out: reported rather than trusted.
fn mismatch<C: IndexHandle>() -> FfiError {
    FfiError::invalid_argument(format_args!(
        "the {} handle refers to an index of another type",
        C::KIND.c_type()
    ))
}

/// Runs `read` on the index behind `handle`, under the family lock; a failed storage read
/// becomes its status (see [`reporting_read_errors`]).
///
/// # Safety
///
/// `handle` must be NULL or a live handle.
pub(crate) unsafe fn read_index<C: IndexHandle, R>(
    handle: *const C,
    read: impl FnOnce(&C::Index) -> R,
) -> Result<R, FfiError> {
    // SAFETY: forwarded contract.
    let handle = unsafe { try_ref(handle, C::KIND.parameter())? };
    let state = handle.family.lock()?;
    let index = state.index(handle.id)?.index()?;
    reporting_read_errors(|| Ok(read(C::get(index).ok_or_else(mismatch::<C>)?)))
}

/// Runs `write` on the index behind `handle`, as [`try_write_index`].
///
/// # Safety
///
/// `handle` must be NULL or a live handle.
pub(crate) unsafe fn write_index<C: IndexHandle, R>(
    handle: *mut C,
    write: impl FnOnce(&mut C::Index) -> R,
) -> Result<R, FfiError> {
    // SAFETY: forwarded contract.
    unsafe { try_write_index(handle, |index| Ok(write(index))) }
}

/// Runs `write` on the index behind `handle`, under the family lock: refused through
/// read-only accesses and while iterators of the index live.
///
/// # Safety
///
/// `handle` must be NULL or a live handle.
pub(crate) unsafe fn try_write_index<C: IndexHandle, R>(
    handle: *mut C,
    write: impl FnOnce(&mut C::Index) -> Result<R, FfiError>,
) -> Result<R, FfiError> {
    // SAFETY: forwarded contract.
    let handle = unsafe { try_ref(handle, C::KIND.parameter())? };
    let mut state = handle.family.lock()?;
    let index = state.index_mut(handle.id)?.index_mut()?;
    write(C::get_mut(index).ok_or_else(mismatch::<C>)?)
}

/// Opens an index of type `C` and returns its handle: the shared body of the openers.
///
/// # Safety
///
/// As [`try_ref`] and [`address`].
pub(crate) unsafe fn open_index<C: IndexHandle>(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
    out: *mut *mut C,
) -> Result<(), FfiError> {
    let access = unsafe { try_ref(access, "access")? };
    let addr = unsafe { address(name, name_len, key, key_len)? };
    let out = Out::new(out, &format!("out_{}", C::KIND.parameter()))?;
    let id = access
        .family
        .lock()?
        .open_index(access.access, addr, C::TYPE)?;
    out.write(into_handle(access.child(id)));
    Ok(())
}

/// Starts an iteration over the index behind `handle`, from the key `from`, and returns the
/// iterator's handle: the shared body of the `_iter` functions.
///
/// # Safety
///
/// `handle` must be NULL or a live handle.
pub(crate) unsafe fn open_index_iter<C: IndexHandle>(
    handle: *const C,
    from: Vec<u8>,
    out_iter: *mut *mut mdb_iter,
) -> Result<(), FfiError> {
    // SAFETY: forwarded contract.
    let handle = unsafe { try_ref(handle, C::KIND.parameter())? };
    // SAFETY: forwarded contract.
    unsafe { open_iter(handle, from, out_iter) }
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use crate::ffi::{
        access::mdb_access,
        entry::{mdb_access_entry, mdb_entry_exists, mdb_entry_free, mdb_entry_remove},
        fork::{mdb_fork, mdb_fork_flush},
        iter::{mdb_iter, mdb_iter_free, mdb_iter_next},
        key_set::{mdb_access_key_set, mdb_key_set_clear, mdb_key_set_contains},
        key_set::{mdb_key_set_free, mdb_key_set_iter},
        list::{mdb_access_list, mdb_list, mdb_list_clear, mdb_list_free, mdb_list_iter},
        list::{mdb_list_len, mdb_list_push},
        map::mdb_map_iter,
        map::{mdb_access_map, mdb_map, mdb_map_clear, mdb_map_contains, mdb_map_free},
        sparse_list::{mdb_access_sparse_list, mdb_sparse_list_clear, mdb_sparse_list_free},
        sparse_list::{mdb_sparse_list_iter, mdb_sparse_list_len},
        status::{
            mdb_status, MDB_ERR_BORROWED, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_READONLY,
            MDB_ERR_STALE_HANDLE, MDB_OK,
        },
        test_support::{assert_each, assert_status, last_message, put, try_open, TempFork},
    };

    /// An index kind as these tests see it, its handles erased to `*mut u8`: how to open one,
    /// a reading call, a writing call, an iteration (but for entries) and the free.
    struct Kind {
        open: fn(*const mdb_access) -> Result<*mut u8, mdb_status>,
        read: fn(*mut u8) -> mdb_status,
        write: fn(*mut u8) -> mdb_status,
        iter: Option<fn(*mut u8, *mut *mut mdb_iter) -> mdb_status>,
        free: fn(*mut u8),
    }

    const KINDS: [Kind; 5] = [
        Kind {
            open: |access| try_open(mdb_access_map, access, "map").map(<*mut _>::cast),
            read: |map| unsafe { mdb_map_contains(map.cast(), ptr::null(), 0, &mut false) },
            write: |map| unsafe { mdb_map_clear(map.cast()) },
            iter: Some(|map, iter| unsafe { mdb_map_iter(map.cast(), ptr::null(), 0, iter) }),
            free: |map| unsafe { mdb_map_free(map.cast()) },
        },
        Kind {
            open: |access| try_open(mdb_access_list, access, "list").map(<*mut _>::cast),
            read: |list| unsafe { mdb_list_len(list.cast(), &mut 0) },
            write: |list| unsafe { mdb_list_clear(list.cast()) },
            iter: Some(|list, iter| unsafe { mdb_list_iter(list.cast(), 0, iter) }),
            free: |list| unsafe { mdb_list_free(list.cast()) },
        },
        Kind {
            open: |access| try_open(mdb_access_sparse_list, access, "sparse").map(<*mut _>::cast),
            read: |list| unsafe { mdb_sparse_list_len(list.cast(), &mut 0) },
            write: |list| unsafe { mdb_sparse_list_clear(list.cast()) },
            iter: Some(|list, iter| unsafe { mdb_sparse_list_iter(list.cast(), 0, iter) }),
            free: |list| unsafe { mdb_sparse_list_free(list.cast()) },
        },
        Kind {
            open: |access| try_open(mdb_access_key_set, access, "set").map(<*mut _>::cast),
            read: |set| unsafe { mdb_key_set_contains(set.cast(), ptr::null(), 0, &mut false) },
            write: |set| unsafe { mdb_key_set_clear(set.cast()) },
            iter: Some(|set, iter| unsafe { mdb_key_set_iter(set.cast(), ptr::null(), 0, iter) }),
            free: |set| unsafe { mdb_key_set_free(set.cast()) },
        },
        Kind {
            open: |access| try_open(mdb_access_entry, access, "entry").map(<*mut _>::cast),
            read: |entry| unsafe { mdb_entry_exists(entry.cast(), &mut false) },
            write: |entry| unsafe { mdb_entry_remove(entry.cast()) },
            iter: None,
            free: |entry| unsafe { mdb_entry_free(entry.cast()) },
        },
    ];

    /// Opens one index of every kind through `access`.
    fn open_all(access: *const mdb_access) -> Vec<(&'static Kind, *mut u8)> {
        let open = |kind: &'static Kind| (kind, (kind.open)(access).expect("the index opens"));
        KINDS.iter().map(open).collect()
    }

    #[test]
    fn a_handle_of_another_kind_is_refused_and_poisons_nothing() {
        let db = TempFork::new();
        let map: *mut mdb_map = try_open(mdb_access_map, db.access(), "map").unwrap();
        let list: *mut mdb_list = try_open(mdb_access_list, db.access(), "list").unwrap();
        let status = put(list.cast(), b"key", b"value");
        assert_status(status, MDB_ERR_INVALID_ARGUMENT);
        assert_eq!(
            last_message(),
            "`map` is an mdb_list handle, where an mdb_map is expected"
        );
        let (mut key, mut value, mut len, mut found) = (ptr::null(), ptr::null(), 0, false);
        let mut out = ptr::null_mut();
        assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
            [
                mdb_iter_next(
                    map.cast(),
                    &mut key,
                    &mut len,
                    &mut value,
                    &mut len,
                    &mut found,
                ),
                mdb_fork_flush(db.db.cast::<mdb_fork>()),
                mdb_list_len(db.access().cast_mut().cast(), &mut 0),
                mdb_access_map(
                    map.cast(),
                    b"m".as_ptr().cast(),
                    1,
                    ptr::null(),
                    0,
                    &mut out,
                ),
            ]
        });
        assert!(out.is_null());
        assert!(last_message().contains("`access` is an mdb_map handle"));
        // Freeing a handle as another kind leaves it alone.
        unsafe { mdb_map_free(list.cast()) };
        assert!(last_message().contains("mdb_list"));
        assert_status(unsafe { mdb_list_push(list, b"v".as_ptr(), 1) }, MDB_OK);
        assert_status(put(map, b"key", b"value"), MDB_OK);
        unsafe { (mdb_list_free(list), mdb_map_free(map)) };
    }

    #[test]
    fn read_only_accesses_refuse_writes_to_every_kind_of_index() {
        let mut db = TempFork::new();
        for access in [db.readonly(), db.snapshot()] {
            for (kind, index) in open_all(access) {
                assert_status((kind.read)(index), MDB_OK);
                assert_status((kind.write)(index), MDB_ERR_READONLY);
                (kind.free)(index);
            }
        }
    }

    #[test]
    fn into_patch_makes_live_index_handles_of_every_kind_stale() {
        let mut db = TempFork::new();
        let indexes = open_all(db.access());
        db.convert_to_patch();
        for (kind, index) in indexes {
            assert_each(
                MDB_ERR_STALE_HANDLE,
                &[(kind.read)(index), (kind.write)(index)],
            );
            (kind.free)(index);
        }
    }

    #[test]
    fn writes_during_an_iteration_fail_with_borrowed_and_reads_still_work() {
        let db = TempFork::new();
        for (kind, index) in open_all(db.access()) {
            if let Some(start) = kind.iter {
                let mut iter = ptr::null_mut();
                assert_status(start(index, &mut iter), MDB_OK);
                assert_status((kind.write)(index), MDB_ERR_BORROWED);
                assert_status((kind.read)(index), MDB_OK);
                unsafe { mdb_iter_free(iter) };
                assert_status((kind.write)(index), MDB_OK);
            }
            (kind.free)(index);
        }
    }
}
