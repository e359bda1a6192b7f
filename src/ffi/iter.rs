//! `mdb_iter`: iteration over an index, plain or persistent.

use std::{mem, sync::Arc};

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible, reporting_read_errors},
    family::{AnyIndex, Child, ChildHandle, ChildId, FamilyState},
    handle::{free_handle, into_handle, try_ref, Castable, HandleKind, Out},
    status::{mdb_status, FfiError},
};
use crate::{indexes::IndexIterator, migration::IteratorPosition, BinaryKey, BinaryValue};

/// How many entries an iterator reads ahead at first. Each window that fills up is followed by
/// one twice its size, up to [`MAX_WINDOW`]: a short iteration reads little it does not use,
/// and a long one pays the cost of starting a window (a new RocksDB iterator and its seek,
/// about 16 000 instructions) once per thousand entries, not once per hundred.
const FIRST_WINDOW: usize = 128;
/// The most entries an iterator reads ahead at a time.
const MAX_WINDOW: usize = 1024;
/// A window stops growing once it holds this many bytes, whatever its number of entries (but
/// holds at least one entry), so that large values do not make it large.
const WINDOW_BYTES: usize = 1 << 20;

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

/// An entry as an iterator lends it: its key and its value.
type KeyValue<'a> = (&'a [u8], &'a [u8]);

/// Entries read ahead by an iterator, packed into one buffer that every window of the
/// iterator reuses: once the buffer has grown to the size of a window, reading ahead allocates
/// nothing, where a key and a value of their own would cost two allocations and two frees per
/// entry.
#[derive(Default)]
struct Window {
    /// The entries' bytes, one after the other: each entry's key, then its value.
    bytes: Vec<u8>,
    /// Where each entry's key and value end in `bytes`; an entry starts where the one before
    /// it ends.
    ends: Vec<(usize, usize)>,
    /// How many entries have been taken; the last one taken is the one the caller borrows.
    taken: usize,
}

impl Window {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.taken = 0;
    }

    fn push(&mut self, key: &[u8], value: &[u8]) {
        self.bytes.extend_from_slice(key);
        let key_end = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.ends.push((key_end, self.bytes.len()));
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether every entry read ahead has been taken.
    fn is_exhausted(&self) -> bool {
        self.taken == self.ends.len()
    }

    /// The key and value of the `i`th entry.
    fn entry(&self, i: usize) -> KeyValue<'_> {
        let start = i.checked_sub(1).map_or(0, |before| self.ends[before].1);
        let (key_end, value_end) = self.ends[i];
        (&self.bytes[start..key_end], &self.bytes[key_end..value_end])
    }

    /// Takes the next entry, if any is left.
    fn take(&mut self) -> Option<KeyValue<'_>> {
        if self.is_exhausted() {
            return None;
        }
        self.taken += 1;
        Some(self.entry(self.taken - 1))
    }

    /// The entry taken last, which the caller borrows.
    fn current(&self) -> Option<KeyValue<'_>> {
        self.taken.checked_sub(1).map(|i| self.entry(i))
    }

    /// The key of the entry the next [`take`](Self::take) returns, if it is read ahead.
    fn next_key(&self) -> Option<&[u8]> {
        (!self.is_exhausted()).then(|| self.entry(self.taken).0)
    }
}

/// An iterator handle's state: a window of entries read ahead from its index, so that it
/// holds no borrow of the index between calls. Its index refuses writes while it lives, so
/// the window never goes stale.
pub(crate) struct IterChild {
    /// The index iterated over.
    pub(crate) index: ChildId,
    /// For a persistent iterator, the hidden entry index that stores its position.
    pub(crate) position: Option<ChildId>,
    /// Where the next window starts, or `None` once the index is exhausted.
    pub(crate) next_from: Option<Vec<u8>>,
    /// Entries read ahead; the last one taken is the entry the caller borrows.
    window: Window,
}

/// How the bytes an index stores become the bytes its iterator lends.
#[derive(Clone, Copy)]
enum Lent {
    /// As stored (maps).
    Bytes,
    /// Keys as stored, values empty, as documented for key sets.
    Keys,
    /// Positions as 8-byte big-endian integers (lists and sparse lists).
    Positions,
}

impl Lent {
    fn push(self, window: &mut Window, key: &[u8], value: &[u8]) {
        match self {
            Self::Bytes => window.push(key, value),
            Self::Keys => window.push(key, &[]),
            Self::Positions => window.push(&u64::read(key).to_be_bytes(), value),
        }
    }

    fn key(self, key: &[u8]) -> Vec<u8> {
        match self {
            Self::Bytes | Self::Keys => key.to_vec(),
            Self::Positions => u64::read(key).to_be_bytes().to_vec(),
        }
    }
}

/// Reads the next window of an `IndexIterator` from `from` into `window`, as bytes: up to
/// twice as many entries as `window` held (see [`FIRST_WINDOW`]), and returns the key after
/// them.
fn read<I: IndexIterator>(
    index: &I,
    from: Option<&I::Key>,
    lent: Lent,
    window: &mut Window,
) -> Option<Vec<u8>> {
    let size = (window.len() * 2).clamp(FIRST_WINDOW, MAX_WINDOW);
    window.clear();
    let mut entries = index.index_iter(from);
    while window.len() < size && window.bytes.len() < WINDOW_BYTES {
        let (key, value) = entries.next_bytes()?;
        lent.push(window, key, value);
    }
    entries.next_bytes().map(|(key, _)| lent.key(key))
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

/// Reads the window of `index` that starts at `from` (empty: at the start) into `window`;
/// returns where the next window starts, or `None` if this one reaches the end of the index.
fn read_window(
    index: &AnyIndex,
    from: &[u8],
    window: &mut Window,
) -> Result<Option<Vec<u8>>, FfiError> {
    let from_key = (!from.is_empty()).then_some(from);
    Ok(match index {
        AnyIndex::Map(map) => read(map, from_key, Lent::Bytes, window),
        AnyIndex::KeySet(set) => read(set, from_key, Lent::Keys, window),
        AnyIndex::List(list) => read(list, position(from)?.as_ref(), Lent::Positions, window),
        AnyIndex::SparseList(list) => read(list, position(from)?.as_ref(), Lent::Positions, window),
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
        window: Window::default(),
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

/// Reads the iterator's next window, once every entry of the last one has been taken. A
/// failed read leaves the iterator where it was: the next step tries the same read again.
fn refill(state: &mut FamilyState, id: ChildId) -> Result<(), FfiError> {
    let iter = iter_mut(state, id)?;
    let Some(from) = iter.next_from.take() else {
        return Ok(());
    };
    // The window is taken out of the iterator (its buffers move, nothing is copied) while the
    // index is borrowed from the same state.
    let mut window = mem::take(&mut iter.window);
    let index_id = iter.index;
    let read =
        reporting_read_errors(|| read_window(state.index(index_id)?.index()?, &from, &mut window));
    let iter = iter_mut(state, id)?;
    match read {
        Ok(next_from) => {
            iter.window = window;
            iter.next_from = next_from;
            Ok(())
        }
        Err(err) => {
            window.clear();
            iter.window = window;
            iter.next_from = Some(from);
            Err(err)
        }
    }
}

/// Saves the position of a persistent iterator after a step: the key it resumes from, or its
/// end. An ended iterator then releases its position, as in Rust: its name is free again.
fn save_position(
    state: &mut FamilyState,
    id: ChildId,
    position_id: ChildId,
) -> Result<(), FfiError> {
    let iter = iter_mut(state, id)?;
    let next_key = iter
        .window
        .next_key()
        .map(<[u8]>::to_vec)
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
        iter_mut(state, id)?.position = None;
        state.remove(position_id);
    }
    Ok(())
}

/// Advances an iterator: returns the next entry, refilling the window when needed, and saves
/// the position of a persistent iterator.
fn step(state: &mut FamilyState, id: ChildId) -> Result<Option<KeyValue<'_>>, FfiError> {
    let iter = iter_mut(state, id)?;
    let (index, position, exhausted) = (iter.index, iter.position, iter.window.is_exhausted());
    // The entries read ahead are the index's: once its handle is freed, they are stale too.
    state.index(index)?;
    if exhausted {
        refill(state, id)?;
    }
    let Some(position_id) = position else {
        return Ok(iter_mut(state, id)?.window.take());
    };
    let found = iter_mut(state, id)?.window.take().is_some();
    save_position(state, id, position_id)?;
    if !found {
        return Ok(None);
    }
    Ok(iter_mut(state, id)?.window.current())
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
        let entry = step(&mut state, handle.id)?;
        if let Some((key, value)) = entry {
            out_key.write(key.as_ptr());
            out_key_len.write(key.len());
            out_value.write(value.as_ptr());
            out_value_len.write(value.len());
        }
        let found = entry.is_some();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries of every shape, empty keys and values among them.
    const ENTRIES: [KeyValue<'static>; 4] = [
        (b"a", b"first"),
        (b"", b"empty key"),
        (b"empty value", b""),
        (b"", b""),
    ];

    fn filled() -> Window {
        let mut window = Window::default();
        for (key, value) in ENTRIES {
            window.push(key, value);
        }
        window
    }

    #[test]
    fn a_window_gives_back_each_entry_it_packed_in_order() {
        let mut window = filled();
        for (i, entry) in ENTRIES.into_iter().enumerate() {
            assert_eq!(window.next_key(), Some(entry.0), "entry {}", i);
            assert_eq!(window.take(), Some(entry), "entry {}", i);
            assert_eq!(window.current(), Some(entry), "entry {}", i);
        }
        assert!(window.is_exhausted());
        assert_eq!(window.next_key(), None);
        assert_eq!(window.take(), None);
        // The last entry stays lent until the window is refilled.
        assert_eq!(window.current(), Some(ENTRIES[3]));
    }

    #[test]
    fn a_refilled_window_reuses_its_buffer() {
        let mut window = filled();
        while window.take().is_some() {}
        let (bytes, ends) = (window.bytes.as_ptr(), window.ends.as_ptr());
        window.clear();
        assert_eq!(window.current(), None);
        for (key, value) in ENTRIES {
            window.push(key, value);
        }
        assert_eq!(window.take(), Some(ENTRIES[0]));
        assert!(
            window.bytes.as_ptr() == bytes && window.ends.as_ptr() == ends,
            "a refill of the same size reallocated the window"
        );
    }
}
