//! The index-kind table: for each kind of index, the C functions that every kind has
//! (opening from an access, freeing, persistent iterators), over untyped handles. This is the
//! one place that turns an [`IndexKind`] into `mdb_map_*`, `mdb_list_*` and the others: the
//! harness opens, frees and iterates indexes of any kind through it.
//!
//! # Safety
//!
//! Every function here takes handles that are NULL or live, of the kind it is given, and
//! byte arguments that point to their length in bytes (or are NULL), as the header requires
//! of the function it calls.

use std::ffi::c_void;

use crate::{abi::*, input::IndexKind};

/// A byte argument as C takes it: a pointer and a length.
pub(super) type CArg = (*const u8, usize);

/// `mdb_access_<kind>`: opens the index `name` (with the group key `key`) through `access`.
pub(super) unsafe fn open(
    kind: IndexKind,
    access: *const mdb_access,
    (name, name_len): CArg,
    (key, key_len): CArg,
    out: *mut *mut c_void,
) -> mdb_status {
    // SAFETY: as the caller promises; `out` receives the handle of the kind opened.
    unsafe {
        match kind {
            IndexKind::Map => {
                mdb_access_map(access, name.cast(), name_len, key, key_len, out.cast())
            }
            IndexKind::List => {
                mdb_access_list(access, name.cast(), name_len, key, key_len, out.cast())
            }
            IndexKind::Entry => {
                mdb_access_entry(access, name.cast(), name_len, key, key_len, out.cast())
            }
            IndexKind::KeySet => {
                mdb_access_key_set(access, name.cast(), name_len, key, key_len, out.cast())
            }
            IndexKind::SparseList => {
                mdb_access_sparse_list(access, name.cast(), name_len, key, key_len, out.cast())
            }
        }
    }
}

/// `mdb_<kind>_free`.
pub(super) unsafe fn free(kind: IndexKind, handle: *mut c_void) {
    // SAFETY: as the caller promises.
    unsafe {
        match kind {
            IndexKind::Map => mdb_map_free(handle.cast()),
            IndexKind::List => mdb_list_free(handle.cast()),
            IndexKind::Entry => mdb_entry_free(handle.cast()),
            IndexKind::KeySet => mdb_key_set_free(handle.cast()),
            IndexKind::SparseList => mdb_sparse_list_free(handle.cast()),
        }
    }
}

/// Where a persistent iterator keeps its position.
#[derive(Clone, Copy)]
pub(super) enum Positions {
    /// The entry of its name in an access (`mdb_persistent_iter_new_<kind>`).
    Access(*const mdb_access),
    /// The iterators of a migration loop's round (`mdb_persistent_iters_new_<kind>`).
    Loop(*mut mdb_persistent_iters),
}

/// A persistent iterator named `name` over `index`, an index of `kind` (not an entry, which
/// is not iterated).
pub(super) unsafe fn persistent_iter(
    kind: IndexKind,
    positions: Positions,
    (name, len): CArg,
    index: *mut c_void,
    out: *mut *mut mdb_iter,
) -> mdb_status {
    let name = name.cast();
    use {IndexKind::*, Positions::*};
    // SAFETY: as the caller promises.
    unsafe {
        match (positions, kind) {
            (Access(a), Map) => mdb_persistent_iter_new_map(a, name, len, index.cast(), out),
            (Access(a), List) => mdb_persistent_iter_new_list(a, name, len, index.cast(), out),
            (Access(a), SparseList) => {
                mdb_persistent_iter_new_sparse_list(a, name, len, index.cast(), out)
            }
            (Access(a), KeySet) => mdb_persistent_iter_new_key_set(a, name, len, index.cast(), out),
            (Loop(i), Map) => mdb_persistent_iters_new_map(i, name, len, index.cast(), out),
            (Loop(i), List) => mdb_persistent_iters_new_list(i, name, len, index.cast(), out),
            (Loop(i), SparseList) => {
                mdb_persistent_iters_new_sparse_list(i, name, len, index.cast(), out)
            }
            (Loop(i), KeySet) => mdb_persistent_iters_new_key_set(i, name, len, index.cast(), out),
            (_, Entry) => unreachable!("entries are not iterated"),
        }
    }
}
