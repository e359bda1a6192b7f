//! `mdb_iter`: iteration over an index, plain or persistent.

use std::{mem, mem::MaybeUninit, sync::Arc};

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible, reporting_read_errors},
    family::{AnyIndex, Child, ChildHandle, ChildId, FamilyState},
    handle::{free_handle, into_handle, try_out_slice, try_ref, Castable, HandleKind, Out},
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

    /// The entry the next [`take`](Self::take) returns, if it is read ahead.
    fn next_entry(&self) -> Option<KeyValue<'_>> {
        (!self.is_exhausted()).then(|| self.entry(self.taken))
    }

    /// The key of the entry the next [`take`](Self::take) returns, if it is read ahead.
    fn next_key(&self) -> Option<&[u8]> {
        self.next_entry().map(|(key, _)| key)
    }

    /// Takes entries into `batch` while it has room for them and any are left; an entry that
    /// does not fit in the batch's buffer is not taken (the batch records its size).
    fn take_into(&mut self, batch: &mut Batch<'_>) {
        while let Some((key, value)) = self.next_entry() {
            if !batch.push(key, value) {
                return;
            }
            self.taken += 1;
        }
    }
}

/// An entry as `mdb_iter_next_batch` copies it into the caller's buffer: where its key and its
/// value are in that buffer.
///
/// The caller allocates an array of them for the library to fill. Its layout (`key`,
/// `key_len`, `value`, `value_len`, in that order) is frozen for all of 1.x, as `mdb_bytes`
/// is: a different layout would be a new major version and SONAME.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mdb_iter_entry {
    /// The key bytes, in the caller's buffer (may be NULL for an empty key).
    pub key: *const u8,
    /// Length of the key.
    pub key_len: usize,
    /// The value bytes, in the caller's buffer right after the key (may be NULL for an empty
    /// value).
    pub value: *const u8,
    /// Length of the value.
    pub value_len: usize,
}

/// The caller's memory that one `mdb_iter_next_batch` fills: whole entries, their bytes one
/// after the other in `buf` and where they are in `entries`.
struct Batch<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    /// Bytes of `buf` written so far.
    used: usize,
    entries: &'a mut [MaybeUninit<mdb_iter_entry>],
    /// Entries written so far.
    count: usize,
    /// The size of the entry that did not fit in what was left of `buf`, which ended the batch.
    refused: Option<usize>,
}

impl Batch<'_> {
    fn is_full(&self) -> bool {
        self.count == self.entries.len()
    }

    /// Room left in `entries`.
    fn room(&self) -> usize {
        self.entries.len() - self.count
    }

    /// The next `size` bytes of `buf`, or `None` if fewer are left (the size is then recorded
    /// as refused).
    fn reserve(&mut self, size: usize) -> Option<&mut [MaybeUninit<u8>]> {
        let dest = self.buf[self.used..].get_mut(..size);
        if dest.is_none() {
            self.refused = Some(size);
        }
        dest
    }

    /// Copies an entry in, its key and then its value, if `entries` and `buf` have room left
    /// for it; returns whether they had.
    fn push(&mut self, key: &[u8], value: &[u8]) -> bool {
        if self.is_full() {
            return false;
        }
        let (key_len, size) = (key.len(), key.len() + value.len());
        let Some(dest) = self.reserve(size) else {
            return false;
        };
        let (key_dest, value_dest) = dest.split_at_mut(key_len);
        copy(key_dest, key);
        copy(value_dest, value);
        let key = key_dest.as_ptr().cast();
        self.entries[self.count].write(mdb_iter_entry {
            key,
            key_len,
            value: key.wrapping_add(key_len),
            value_len: size - key_len,
        });
        self.used += size;
        self.count += 1;
        true
    }

    /// Forgets the entries after the first `count`, which took `used` bytes.
    fn truncate(&mut self, count: usize, used: usize) {
        (self.count, self.used, self.refused) = (count, used, None);
    }
}

/// A batch takes the entries a read gives it while they fit (a read straight into the
/// caller's memory, without the window).
impl Sink for Batch<'_> {
    fn take(&mut self, key: &[u8], value: &[u8]) -> bool {
        self.push(key, value)
    }
}

/// Copies `src` into the caller's memory `dest`, of the same length, with one `memcpy` (a
/// loop over `MaybeUninit` bytes is not turned into one).
fn copy(dest: &mut [MaybeUninit<u8>], src: &[u8]) {
    assert_eq!(
        dest.len(),
        src.len(),
        "copied into a slice of another length"
    );
    // SAFETY: `dest` is writable for `src.len()` bytes (checked above), and it is the caller's
    // memory, which never overlaps the library's `src`. `u8` has no invalid values.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dest.as_mut_ptr().cast(), src.len()) }
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
    /// Hands an entry to `sink` as it is lent; returns whether the sink took it.
    fn push(self, sink: &mut impl Sink, key: &[u8], value: &[u8]) -> bool {
        match self {
            Self::Bytes => sink.take(key, value),
            Self::Keys => sink.take(key, &[]),
            Self::Positions => sink.take(&u64::read(key).to_be_bytes(), value),
        }
    }

    fn key(self, key: &[u8]) -> Vec<u8> {
        match self {
            Self::Bytes | Self::Keys => key.to_vec(),
            Self::Positions => u64::read(key).to_be_bytes().to_vec(),
        }
    }
}

/// Where a read puts the entries it reads: a window, or a batch in the caller's memory.
trait Sink {
    /// Takes an entry, or refuses it when it has no room left for it; the read then ends, and
    /// the next one starts at the refused entry.
    fn take(&mut self, key: &[u8], value: &[u8]) -> bool;
}

/// A window being filled, with the most entries it takes: up to twice as many as it held
/// before (see [`FIRST_WINDOW`]), and at least one whatever their size.
struct WindowSink<'a> {
    window: &'a mut Window,
    size: usize,
}

impl Sink for WindowSink<'_> {
    fn take(&mut self, key: &[u8], value: &[u8]) -> bool {
        if self.window.len() >= self.size || self.window.bytes.len() >= WINDOW_BYTES {
            return false;
        }
        self.window.push(key, value);
        true
    }
}

/// Reads the entries of an `IndexIterator` from `from` into `sink`, as bytes, until the sink
/// refuses one; returns that entry's key (where the next read starts), or `None` at the end of
/// the index.
fn read<I: IndexIterator>(
    index: &I,
    from: Option<&I::Key>,
    lent: Lent,
    sink: &mut impl Sink,
) -> Option<Vec<u8>> {
    let mut entries = index.index_iter(from);
    while let Some((key, value)) = entries.next_bytes() {
        if !lent.push(sink, key, value) {
            return Some(lent.key(key));
        }
    }
    None
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

/// Reads the entries of `index` from `from` (empty: from the start) into `sink`; returns
/// where the next read starts, or `None` if this one reached the end of the index.
fn read_window(
    index: &AnyIndex,
    from: &[u8],
    sink: &mut impl Sink,
) -> Result<Option<Vec<u8>>, FfiError> {
    let from_key = (!from.is_empty()).then_some(from);
    Ok(match index {
        AnyIndex::Map(map) => read(map, from_key, Lent::Bytes, sink),
        AnyIndex::KeySet(set) => read(set, from_key, Lent::Keys, sink),
        AnyIndex::List(list) => read(list, position(from)?.as_ref(), Lent::Positions, sink),
        AnyIndex::SparseList(list) => read(list, position(from)?.as_ref(), Lent::Positions, sink),
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
    if iter.next_from.is_none() {
        return Ok(());
    }
    // The window is taken out of the iterator (its buffers move, nothing is copied) while the
    // index is borrowed from the same state.
    let mut window = mem::take(&mut iter.window);
    let size = (window.len() * 2).clamp(FIRST_WINDOW, MAX_WINDOW);
    window.clear();
    let read = read_next(
        state,
        id,
        &mut WindowSink {
            window: &mut window,
            size,
        },
    );
    if read.is_err() {
        window.clear();
    }
    iter_mut(state, id)?.window = window;
    read
}

/// Reads the iterator's entries into `sink` from where its last read stopped, and records
/// where the next read starts. A failed read leaves that where it was: the next read tries the
/// same again.
fn read_next(state: &mut FamilyState, id: ChildId, sink: &mut impl Sink) -> Result<(), FfiError> {
    let iter = iter_mut(state, id)?;
    let Some(from) = iter.next_from.take() else {
        return Ok(());
    };
    let index_id = iter.index;
    let read = reporting_read_errors(|| read_window(state.index(index_id)?.index()?, &from, sink));
    let iter = iter_mut(state, id)?;
    match read {
        Ok(next_from) => {
            iter.next_from = next_from;
            Ok(())
        }
        Err(err) => {
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

/// Advances an iterator by as many entries as fit in `batch`, and saves the position of a
/// persistent iterator once, after them. Entries read ahead come from the window; past them, a
/// batch with room for a window's worth of entries ([`FIRST_WINDOW`]) is read straight into
/// the caller's memory, one RocksDB iterator for the whole batch, and a smaller one refills the
/// window, so that its reads are as long as single steps' are.
///
/// A failed read after some entries were copied ends the batch there, without the entries of
/// the failed read: those are the caller's, and the next call tries the same read again.
fn step_batch(state: &mut FamilyState, id: ChildId, batch: &mut Batch<'_>) -> Result<(), FfiError> {
    let iter = iter_mut(state, id)?;
    let (index, position) = (iter.index, iter.position);
    // The entries read ahead are the index's: once its handle is freed, they are stale too.
    state.index(index)?;
    loop {
        let iter = iter_mut(state, id)?;
        if !iter.window.is_exhausted() {
            iter.window.take_into(batch);
            if batch.is_full() || batch.refused.is_some() {
                break;
            }
            continue;
        }
        if iter.next_from.is_none() {
            break;
        }
        let (count, used) = (batch.count, batch.used);
        let direct = batch.room() >= FIRST_WINDOW;
        let read = if direct {
            read_next(state, id, batch)
        } else {
            refill(state, id)
        };
        match read {
            // A direct read ends at the end of the index, a full batch or an entry that
            // does not fit.
            Ok(()) if direct => break,
            Ok(()) => {}
            Err(_) if count > 0 => {
                batch.truncate(count, used);
                break;
            }
            Err(err) => return Err(err),
        }
    }
    if let Some(position_id) = position {
        save_position(state, id, position_id)?;
    }
    Ok(())
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

/// Advances the iterator by as many entries as fit in the caller's memory, copying each
/// whole entry (key, then value) into `buf` and saying where it is in `entries`: one call for
/// many entries, where `mdb_iter_next` makes one per entry.
///
/// Entries come in the order `mdb_iter_next` gives them, and the two calls may be mixed on one
/// iterator: each continues where the other stopped. A persistent iterator saves its position
/// once per call, after the last entry copied.
///
/// @param[in]  iter         The iterator. Not NULL.
/// @param[out] buf          Memory for the entries' bytes, `buf_len` bytes; may be NULL when
///                          `buf_len` is 0. Must not overlap `entries`.
/// @param[in]  buf_len      Size of `buf`.
/// @param[out] entries      Room for `entries_len` entries: on `MDB_OK`, the first
///                          `*out_count` say where each entry's key and value are in `buf`.
///                          Not NULL.
/// @param[in]  entries_len  How many entries `entries` holds: at least 1.
/// @param[out] out_count    On `MDB_OK`, how many entries were copied: 0 only when the
///                          iteration is over or the next entry does not fit in `buf`
///                          (`*out_needed` tells which).
/// @param[out] out_needed   On `MDB_OK`, 0, except when `*out_count` is 0 because the next
///                          entry alone needs more than `buf_len` bytes: then its size (key
///                          plus value). The iterator has not moved: pass a `buf` of at least
///                          that size, or take that entry with `mdb_iter_next`.
/// @return `MDB_OK`; the iteration is over when `*out_count` and `*out_needed` are both 0, and
///   further calls keep returning that, as `mdb_iter_next` keeps returning `*out_found` false.
///   `MDB_ERR_INVALID_ARGUMENT` for a NULL argument (`buf` with a `buf_len` above 0) or an
///   `entries_len` of 0; `MDB_ERR_STALE_HANDLE` if the index or its fork went away;
///   `MDB_ERR_POISONED`; `MDB_ERR_CORRUPTION` (or `MDB_ERR_STORAGE`) if reading ahead failed
///   before any entry was copied: the iterator stays where it was, and the next call tries
///   the same read again (a failure after some entries were copied ends the batch with them,
///   and the next call reports it). On failure the contents of `buf` and `entries` are
///   unspecified.
///
/// The bytes belong to the caller: they stay valid whatever the library does next. Like
/// every call on `iter`, it ends the loan of the entry the last `mdb_iter_next` lent.
///
/// Any thread: calls on the iterator's family are serialised by its lock, held for the whole
/// batch. May block on RocksDB reads.
///
/// ```c
/// uint8_t buf[65536];
/// mdb_iter_entry entries[256];
/// size_t count, needed;
/// while (mdb_iter_next_batch(iter, buf, sizeof buf, entries, 256, &count, &needed) == MDB_OK
///        && (count > 0 || needed > 0))
///     if (count > 0)
///         use(entries, count); // entries[0 .. count), their bytes in buf
///     else
///         take_one(iter); // the next entry needs `needed` bytes: mdb_iter_next lends it
/// // Here: the end, or a failure (mdb_last_error_message says which).
/// ```
///
/// Rust: `Iterator::next` of `Entries`, called until the buffer is full.
#[no_mangle]
pub unsafe extern "C" fn mdb_iter_next_batch(
    iter: *mut mdb_iter,
    buf: *mut u8,
    buf_len: usize,
    entries: *mut mdb_iter_entry,
    entries_len: usize,
    out_count: *mut usize,
    out_needed: *mut usize,
) -> mdb_status {
    ffi_boundary!({
        let handle = unsafe { try_ref(iter, "iter")? };
        if entries.is_null() {
            return Err(FfiError::null("entries"));
        }
        if entries_len == 0 {
            return Err(FfiError::invalid_argument(
                "`entries_len` is 0: `entries` must hold at least one entry",
            ));
        }
        // SAFETY: per the header, `buf` and `entries` are the caller's writable memory of the
        // given sizes, and do not overlap each other (nor the library's memory).
        let buf = unsafe { try_out_slice(buf, buf_len, "buf")? };
        let entries = unsafe { try_out_slice(entries, entries_len, "entries")? };
        let out_count = Out::new(out_count, "out_count")?;
        let out_needed = Out::new(out_needed, "out_needed")?;
        let mut batch = Batch {
            buf,
            used: 0,
            entries,
            count: 0,
            refused: None,
        };
        step_batch(&mut *handle.family.lock()?, handle.id, &mut batch)?;
        let needed = match batch.count {
            0 => batch.refused.unwrap_or(0),
            _ => 0,
        };
        out_count.write(batch.count);
        out_needed.write(needed);
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
mod tests;
