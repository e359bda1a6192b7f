//! `mdb_iter`: iteration over an index, plain or persistent.

use std::sync::Arc;

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible, reporting_read_errors},
    family::{AnyIndex, Child, ChildHandle, ChildId, FamilyState, IterChild, Window},
    handle::{free_handle, into_handle, try_ref, Castable, HandleKind, Out},
    status::{mdb_status, FfiError},
};
use crate::{indexes::IndexIterator, migration::IteratorPosition, BinaryValue};

/// How many entries an iterator reads ahead at a time.
const WINDOW: usize = 128;

/// An iterator over the entries of an index, in key order. Keys of lists and sparse lists are
/// positions as 8-byte big-endian integers; values of key sets are empty.
///
/// While it lives, its index refuses writes (`MDB_ERR_BORROWED`). Belongs to its index's family:
/// any thread may use it, one call at a time.
pub struct mdb_iter {
    _private: [u8; 0],
}

impl Castable for mdb_iter {
    type RustType = ChildHandle;
    const KIND: HandleKind = HandleKind::Iter;
}

/// Reads up to `WINDOW` entries of an `IndexIterator` from `from`, plus the key after them.
fn read<I, K>(
    index: &I,
    from: Option<&I::Key>,
    key_bytes: impl Fn(K) -> Vec<u8>,
) -> (Window, Option<Vec<u8>>)
where
    I: IndexIterator,
    I::Key: ToOwned<Owned = K>,
{
    let mut window = Window::with_capacity(WINDOW);
    let mut iter = index.index_iter(from);
    for (key, value) in iter.by_ref().take(WINDOW) {
        window.push_back((key_bytes(key), value.into_bytes()));
    }
    let next_from = iter.next().map(|(key, _)| key_bytes(key));
    (window, next_from)
}

fn position(from: &[u8]) -> Result<Option<u64>, FfiError> {
    if from.is_empty() {
        return Ok(None);
    }
    let bytes: [u8; 8] = from.try_into().map_err(|_| {
        FfiError::invalid_argument(format_args!(
            "list positions are 8-byte big-endian integers, got {} bytes",
            from.len()
        ))
    })?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

/// Reads the window of `index` that starts at `from` (empty: at the start).
pub(crate) fn read_window(
    index: &AnyIndex,
    from: &[u8],
) -> Result<(Window, Option<Vec<u8>>), FfiError> {
    let from_key = (!from.is_empty()).then_some(from);
    let be = |position: u64| position.to_be_bytes().to_vec();
    Ok(match index {
        AnyIndex::Map(map) => read(map, from_key, |key| key),
        AnyIndex::KeySet(set) => read(set, from_key, |key| key),
        AnyIndex::List(list) => read(list, position(from)?.as_ref(), be),
        AnyIndex::SparseList(list) => read(list, position(from)?.as_ref(), be),
        AnyIndex::Entry(_) => {
            return Err(FfiError::invalid_argument("entries cannot be iterated"));
        }
    })
}

/// Registers an iterator over the index of `index_handle`, starting at `from`.
pub(crate) fn add_iter(
    state: &mut FamilyState,
    index: ChildId,
    from: Vec<u8>,
    position: Option<ChildId>,
) -> Result<ChildId, FfiError> {
    let index_child = state.index_mut(index)?;
    if matches!(index_child.index()?, AnyIndex::Entry(_)) {
        return Err(FfiError::invalid_argument("entries cannot be iterated"));
    }
    index_child.iterators += 1;
    Ok(state.add_child(Child::Iter(IterChild {
        index,
        position,
        next_from: Some(from),
        window: Window::new(),
        current: None,
    })))
}

/// Opens a plain iterator over the index of `index_handle` and returns its handle.
pub(crate) unsafe fn open_iter(
    index_handle: &ChildHandle,
    from: Vec<u8>,
    out_iter: *mut *mut mdb_iter,
) -> Result<(), FfiError> {
    let out_iter = Out::new(out_iter, "out_iter")?;
    let id = add_iter(
        &mut *index_handle.family.lock()?,
        index_handle.id,
        from,
        None,
    )?;
    out_iter.write(into_handle(ChildHandle {
        family: Arc::clone(&index_handle.family),
        id,
    }));
    Ok(())
}

fn iter_mut(state: &mut FamilyState, id: ChildId) -> Result<&mut IterChild, FfiError> {
    match state.child_mut(id, "iterator")? {
        Child::Iter(iter) => Ok(iter),
        _ => unreachable!("iterator handles refer to iterators"),
    }
}

/// Advances an iterator: returns the next entry, refilling the window when needed, and saves
/// the position of a persistent iterator.
fn step(state: &mut FamilyState, id: ChildId) -> Result<bool, FfiError> {
    // The entries read ahead are the index's: once its handle is freed, they are stale too.
    let index = iter_mut(state, id)?.index;
    state.index(index)?;
    let iter = iter_mut(state, id)?;
    if iter.window.is_empty() {
        if let Some(from) = iter.next_from.clone() {
            let index_id = iter.index;
            let index = state.index(index_id)?.index()?;
            let (window, next_from) = reporting_read_errors(|| read_window(index, &from))?;
            let iter = iter_mut(state, id)?;
            iter.window = window;
            iter.next_from = next_from;
        }
    }
    let iter = iter_mut(state, id)?;
    iter.current = iter.window.pop_front();
    let found = iter.current.is_some();
    let Some(position_id) = iter.position else {
        return Ok(found);
    };
    let next_key = iter
        .window
        .front()
        .map(|(key, _)| key.clone())
        .or_else(|| iter.next_from.clone());
    let ended = next_key.is_none();
    let saved = match next_key {
        Some(key) => IteratorPosition::<[u8]>::NextKey(key),
        None => IteratorPosition::Ended,
    };
    match state.index_mut(position_id)?.index_mut()? {
        AnyIndex::Entry(entry) => entry.set(saved.to_bytes()),
        _ => unreachable!("positions are stored in entries"),
    }
    if ended {
        // An ended iterator holds no position, as in Rust: its name is free again.
        iter_mut(state, id)?.position = None;
        state.remove(position_id);
    }
    Ok(found)
}

/// Advances the iterator and lends the next entry.
///
/// @param[in]  iter           The iterator. Not NULL.
/// @param[out] out_key        On `MDB_OK` with `*out_found`, the key bytes: borrowed, valid
///                            until the next call on `iter` or its free. May be NULL for an
///                            empty key.
/// @param[out] out_key_len    Length of the key.
/// @param[out] out_value      The value bytes, borrowed like the key.
/// @param[out] out_value_len  Length of the value.
/// @param[out] out_found      On `MDB_OK`, false once the iteration is over (the other
///                            outputs are then untouched); further calls keep returning false.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
///   `MDB_ERR_STALE_HANDLE` if the index or its fork went away; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` (or `MDB_ERR_STORAGE`) if reading ahead failed: the iterator stays
///   where it was, and the next call tries the same read again.
///
/// Rust: `Iterator::next` of `Entries`.
#[no_mangle]
pub unsafe extern "C" fn mdb_iter_next(
    iter: *mut mdb_iter,
    out_key: *mut *const u8,
    out_key_len: *mut usize,
    out_value: *mut *const u8,
    out_value_len: *mut usize,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(iter, "iter")? };
        let out_key = Out::new(out_key, "out_key")?;
        let out_key_len = Out::new(out_key_len, "out_key_len")?;
        let out_value = Out::new(out_value, "out_value")?;
        let out_value_len = Out::new(out_value_len, "out_value_len")?;
        let out_found = Out::new(out_found, "out_found")?;
        let mut state = handle.family.lock()?;
        let found = step(&mut state, handle.id)?;
        if let Some((key, value)) = &iter_mut(&mut state, handle.id)?.current {
            out_key.write(key.as_ptr());
            out_key_len.write(key.len());
            out_value.write(value.as_ptr());
            out_value_len.write(value.len());
        }
        out_found.write(found);
        Ok(())
    })
}

/// Frees an iterator; its index accepts writes again once its last iterator is freed.
///
/// `iter` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
/// relative to other handles.
#[no_mangle]
pub unsafe extern "C" fn mdb_iter_free(iter: *mut mdb_iter) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live iterator handle, freed once per the contract.
        unsafe { free_handle(iter, "iter") }
    })
}
