//! Views: the byte-level layer under every index.
//!
//! A view reads one [`ResolvedAddress`] through up to three layers (the changes of the access,
//! the access's snapshot, which for a fork is its flushed patch over the database snapshot) and
//! records writes as [`Change`]s. Indexes are typed wrappers around one view each.

use std::{borrow::Cow, fmt, iter::Peekable};

pub(crate) use self::metadata::{
    checked_metadata, get_metadata_unchecked, CorruptMetadata, IndexState, IndexesPool,
};
pub(crate) use self::{
    access_error::{assert_valid_name_component, check_full_name},
    change_map::{Change, ChangeMap, ChangeRef},
};
pub use self::{
    access_error::{AccessError, AccessErrorKind},
    address::{IndexAddress, ResolvedAddress},
    index_type::IndexType,
    metadata::{GroupKeys, IndexMetadata, ViewWithMetadata},
    snapshot::{Iter, Snapshot},
};

use self::snapshot::Iterator as BytesIterator;
use crate::{BinaryKey, BinaryValue};

mod access_error;
pub(crate) mod address;
mod change_map;
pub(crate) mod identifiers;
mod index_type;
pub(crate) mod metadata;
pub(crate) mod snapshot;
#[cfg(test)]
mod tests;

/// Panic text for a write through an access that cannot write (spec §9.1).
const READONLY_VIEW_PANIC: &str = "Attempt to modify a readonly view of the database using a \
     generic access. The caller should check the access type before calling any mutable methods";

/// The pending changes of one address: per-key changes, plus whether everything below them
/// was cleared.
#[derive(Debug, Default, Clone)]
pub struct ViewChanges {
    pub(crate) data: ChangeMap,
    is_cleared: bool,
}

impl ViewChanges {
    pub(crate) fn is_cleared(&self) -> bool {
        self.is_cleared
    }

    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.is_cleared = true;
    }

    /// Answers a lookup if these changes decide it: `Some(Some(value))` for a put,
    /// `Some(None)` for a delete or a cleared view, `None` when a lower layer decides.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        match self.data.get(key) {
            Some(ChangeRef::Put(value)) => Some(Some(value.to_vec())),
            Some(ChangeRef::Delete) => Some(None),
            None if self.is_cleared => Some(None),
            None => None,
        }
    }

    /// Layers `newer` over these changes. Cleared newer changes replace these entirely.
    pub(crate) fn apply(&mut self, newer: ViewChanges) {
        if newer.is_cleared {
            *self = newer;
        } else if self.data.is_empty() {
            self.data = newer.data;
        } else {
            self.data.extend_from(&newer.data);
        }
    }

    /// Iterates over the layer below (made by `base` unless these changes cleared it) with
    /// these changes on top, starting at `from`.
    pub(crate) fn iter_over<'a>(
        &'a self,
        from: &[u8],
        base: impl FnOnce() -> Iter<'a>,
    ) -> Iter<'a> {
        let base = if self.is_cleared {
            Box::new(EmptyIterator)
        } else {
            base()
        };
        if self.data.is_empty() {
            return base;
        }
        Box::new(ChangesIter {
            base,
            changes: self.data.range_from(from).peekable(),
        })
    }
}

/// The changes an access offers for one address. Read-only accesses offer none or a shared
/// set; fork-like accesses an exclusive, writable set.
pub trait ChangeSet {
    /// The changes, if the access has any.
    fn as_ref(&self) -> Option<&ViewChanges>;
    /// The changes for writing, if the access can write.
    fn as_mut(&mut self) -> Option<&mut ViewChanges>;

    /// The buffer of the metadata record of the index at `full_name` (the index whose changes
    /// these are), which the access writes to the index pool when the changes go back to it;
    /// `None` if the access writes metadata at once (or cannot write). The buffer holds the
    /// record written last, if any.
    fn metadata_record(&mut self, _full_name: &[u8]) -> Option<&mut Vec<u8>> {
        None
    }
}

impl ChangeSet for () {
    fn as_ref(&self) -> Option<&ViewChanges> {
        None
    }

    fn as_mut(&mut self) -> Option<&mut ViewChanges> {
        None
    }
}

/// Low-level access to the database: a snapshot to read, and changes to layer over it.
///
/// Implemented for snapshots, patches and forks (by reference, `Rc` and read-only views).
/// Every such type is also an [`Access`](crate::access::Access) through a blanket impl.
pub trait RawAccess: Clone {
    /// The changes this access offers to views.
    type Changes: ChangeSet;

    /// The snapshot under the access. For a fork it is the flushed patch, so it does *not*
    /// reflect unflushed changes.
    fn snapshot(&self) -> &dyn Snapshot;

    /// The changes for `address`. On a fork this borrows the address until the returned
    /// value is dropped, and panics if the borrow conflicts with a live one.
    fn changes(&self, address: &ResolvedAddress) -> Self::Changes;
}

/// Marker for raw accesses that can write: the bound of every mutating index method.
pub trait RawAccessMut: RawAccess {}

/// Converts an access into a read-only access to the same data.
pub trait AsReadonly: RawAccess {
    /// The read-only access.
    type Readonly: RawAccess;

    /// Returns a read-only access to the same data.
    fn as_readonly(&self) -> Self::Readonly;
}

/// A view of one address: the bytes stored under it, as seen through an access.
pub struct View<T: RawAccess> {
    inner: ViewInner<T>,
}

enum ViewInner<T: RawAccess> {
    /// A view of an existing index.
    Real {
        address: ResolvedAddress,
        access: T,
        changes: T::Changes,
    },
    /// A view of an index that a read-only access would have created: it reads as empty,
    /// borrows nothing and cannot be written.
    Phantom,
}

impl<T: RawAccess> fmt::Debug for View<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = formatter.debug_struct("View");
        if let ViewInner::Real { address, .. } = &self.inner {
            debug.field("address", address);
        }
        debug.finish()
    }
}

impl<T: RawAccess> View<T> {
    /// Creates a view of `address`, borrowing its changes from the access.
    pub(crate) fn new(access: T, address: ResolvedAddress) -> Self {
        let changes = access.changes(&address);
        Self {
            inner: ViewInner::Real {
                address,
                access,
                changes,
            },
        }
    }

    pub(crate) fn new_phantom() -> Self {
        Self {
            inner: ViewInner::Phantom,
        }
    }

    pub(crate) fn is_phantom(&self) -> bool {
        matches!(self.inner, ViewInner::Phantom)
    }

    /// What a read needs of a real view: its address, the snapshot under its access and its
    /// changes if the access keeps any. `None` for a phantom view, which reads as empty.
    fn read_parts(&self) -> Option<(&ResolvedAddress, &dyn Snapshot, Option<&ViewChanges>)> {
        match &self.inner {
            ViewInner::Real {
                address,
                access,
                changes,
            } => Some((address, access.snapshot(), changes.as_ref())),
            ViewInner::Phantom => None,
        }
    }

    pub(crate) fn get_bytes(&self, key: &[u8]) -> Option<Vec<u8>> {
        let (address, snapshot, changes) = self.read_parts()?;
        match changes.and_then(|changes| changes.get(key)) {
            Some(decided) => decided,
            None => snapshot.get(address, key),
        }
    }

    pub(crate) fn contains_raw_key(&self, key: &[u8]) -> bool {
        let Some((address, snapshot, changes)) = self.read_parts() else {
            return false;
        };
        match changes.and_then(|changes| changes.get(key)) {
            Some(decided) => decided.is_some(),
            None => snapshot.contains(address, key),
        }
    }

    /// Reads and decodes the value under `key`.
    ///
    /// # Panics
    ///
    /// Panics with "Error while deserializing value" if the stored bytes do not decode as `V`.
    pub(crate) fn get<K, V>(&self, key: &K) -> Option<V>
    where
        K: BinaryKey + ?Sized,
        V: BinaryValue,
    {
        with_key_bytes(key, |key| self.get_bytes(key)).map(decode_value)
    }

    pub(crate) fn contains<K: BinaryKey + ?Sized>(&self, key: &K) -> bool {
        with_key_bytes(key, |key| self.contains_raw_key(key))
    }

    /// Reads several keys at once; keys that the changes do not decide are fetched from the
    /// snapshot in one batch. Results keep the order of `keys`.
    pub(crate) fn multi_get<K, V, I>(&self, keys: I) -> Vec<Option<V>>
    where
        K: BinaryKey + ?Sized,
        V: BinaryValue,
        I: IntoIterator,
        I::Item: std::borrow::Borrow<K>,
    {
        let Some((address, snapshot, changes)) = self.read_parts() else {
            return keys.into_iter().map(|_| None).collect();
        };
        let mut results: Vec<Option<Option<Vec<u8>>>> = Vec::new();
        let mut missing = Vec::new();
        for key in keys {
            let key = key_bytes(std::borrow::Borrow::<K>::borrow(&key));
            let decided = changes.and_then(|changes| changes.get(&key));
            if decided.is_none() {
                missing.push(key);
            }
            results.push(decided);
        }
        let mut fetched = if missing.is_empty() {
            Vec::new()
        } else {
            let mut keys = missing.iter().map(Vec::as_slice);
            snapshot.multi_get(address, &mut keys)
        }
        .into_iter();
        results
            .into_iter()
            .map(|decided| {
                let bytes = match decided {
                    Some(decided) => decided,
                    None => fetched.next().expect("one snapshot result per missing key"),
                };
                bytes.map(decode_value)
            })
            .collect()
    }

    /// Iterates over raw keys and values, starting at the first key `>= from`.
    pub(crate) fn iter_bytes(&self, from: &[u8]) -> Iter<'_> {
        let Some((address, snapshot, changes)) = self.read_parts() else {
            return Box::new(EmptyIterator);
        };
        let base = || snapshot.iter(address, from);
        match changes {
            Some(changes) => changes.iter_over(from, base),
            None => base(),
        }
    }

    fn changes_mut(&mut self) -> &mut ViewChanges {
        match &mut self.inner {
            ViewInner::Real { changes, .. } => changes.as_mut(),
            ViewInner::Phantom => None,
        }
        .expect(READONLY_VIEW_PANIC)
    }

    /// The buffer for the index's metadata record, if the access writes it when this view's
    /// changes go back to it ([`ChangeSet::metadata_record`]).
    pub(crate) fn metadata_record(&mut self, full_name: &[u8]) -> Option<&mut Vec<u8>> {
        match &mut self.inner {
            ViewInner::Real { changes, .. } => changes.metadata_record(full_name),
            ViewInner::Phantom => None,
        }
    }

    /// Whether writes through this view would succeed.
    pub(crate) fn is_writable(&mut self) -> bool {
        match &mut self.inner {
            ViewInner::Real { changes, .. } => changes.as_mut().is_some(),
            ViewInner::Phantom => false,
        }
    }

    pub(crate) fn put<K, V>(&mut self, key: &K, value: V)
    where
        K: BinaryKey + ?Sized,
        V: BinaryValue,
    {
        let value = value.into_bytes();
        // The key is encoded on the stack: the change map copies it where it keeps it.
        with_key_bytes(key, |key| self.put_bytes(key, value));
    }

    pub(crate) fn put_bytes(&mut self, key: &[u8], value: Vec<u8>) {
        self.changes_mut().data.insert(key, Change::Put(value));
    }

    pub(crate) fn remove<K: BinaryKey + ?Sized>(&mut self, key: &K) {
        with_key_bytes(key, |key| {
            self.changes_mut().data.insert(key, Change::Delete)
        });
    }

    /// Removes every key of the view: pending changes and stored data alike.
    pub(crate) fn clear(&mut self) {
        self.changes_mut().clear();
    }
}

/// Encodes a key with its [`BinaryKey`] implementation.
pub(crate) fn key_bytes<K: BinaryKey + ?Sized>(key: &K) -> Vec<u8> {
    let size = key.size();
    if size <= INLINE_KEY_LEN {
        // Through the stack: `vec![0; n]` asks the allocator for zeroed memory (`calloc`),
        // which cost about as much as the rest of a fork's `put` (callgrind).
        return with_key_bytes(key, <[u8]>::to_vec);
    }
    let mut buffer = vec![0; size];
    key.write(&mut buffer);
    buffer
}

/// Longest encoding that [`with_key_bytes`] builds on the stack.
const INLINE_KEY_LEN: usize = 64;

/// Runs `read` on the encoding of `key`. A lookup needs the bytes only while it runs, so short
/// encodings (every integer key) are built on the stack rather than allocated.
pub(crate) fn with_key_bytes<K, R>(key: &K, read: impl FnOnce(&[u8]) -> R) -> R
where
    K: BinaryKey + ?Sized,
{
    let size = key.size();
    if size <= INLINE_KEY_LEN {
        let mut buffer = [0; INLINE_KEY_LEN];
        key.write(&mut buffer[..size]);
        read(&buffer[..size])
    } else {
        let mut buffer = vec![0; size];
        key.write(&mut buffer);
        read(&buffer)
    }
}

fn decode_value<V: BinaryValue>(bytes: Vec<u8>) -> V {
    V::from_bytes(Cow::Owned(bytes)).expect("Error while deserializing value")
}

/// An iterator over nothing.
pub(crate) struct EmptyIterator;

impl BytesIterator for EmptyIterator {
    fn next(&mut self) -> Option<(&[u8], &[u8])> {
        None
    }

    fn peek(&mut self) -> Option<(&[u8], &[u8])> {
        None
    }
}

/// What the merge of a base iterator and a change map yields next.
enum Step {
    /// The base key, unchanged.
    Stored,
    /// A put for a key the base has.
    Replaced,
    /// A put for a key the base does not have.
    Inserted,
    /// A delete for a key the base has.
    Deleted,
    /// A delete for a key the base does not have.
    MissDeleted,
    Finished,
}

/// A sorted base iterator merged with a sorted change map (spec §9.8).
struct ChangesIter<'a> {
    base: Iter<'a>,
    changes: Peekable<change_map::Range<'a>>,
}

impl ChangesIter<'_> {
    fn step(&mut self) -> Step {
        use std::cmp::Ordering::*;

        match (self.base.peek(), self.changes.peek()) {
            (Some(_), None) => Step::Stored,
            (None, Some((_, ChangeRef::Put(_)))) => Step::Inserted,
            (None, Some((_, ChangeRef::Delete))) => Step::MissDeleted,
            (None, None) => Step::Finished,
            (Some((base_key, _)), Some((change_key, change))) => {
                match (base_key.cmp(change_key), change) {
                    (Less, _) => Step::Stored,
                    (Equal, ChangeRef::Put(_)) => Step::Replaced,
                    (Equal, ChangeRef::Delete) => Step::Deleted,
                    (Greater, ChangeRef::Put(_)) => Step::Inserted,
                    (Greater, ChangeRef::Delete) => Step::MissDeleted,
                }
            }
        }
    }

    /// Skips deletes, so that the next item of either source is the next item to yield.
    fn settle(&mut self) -> Step {
        loop {
            match self.step() {
                Step::Deleted => {
                    self.base.next();
                    self.changes.next();
                }
                Step::MissDeleted => {
                    self.changes.next();
                }
                step => return step,
            }
        }
    }
}

fn put_value(change: ChangeRef<'_>) -> &[u8] {
    match change {
        ChangeRef::Put(value) => value,
        ChangeRef::Delete => unreachable!("deletes are skipped before yielding"),
    }
}

impl BytesIterator for ChangesIter<'_> {
    fn next(&mut self) -> Option<(&[u8], &[u8])> {
        match self.settle() {
            Step::Stored => self.base.next(),
            Step::Replaced => {
                self.base.next();
                self.changes
                    .next()
                    .map(|(key, change)| (key, put_value(change)))
            }
            Step::Inserted => self
                .changes
                .next()
                .map(|(key, change)| (key, put_value(change))),
            Step::Finished => None,
            Step::Deleted | Step::MissDeleted => unreachable!("settled"),
        }
    }

    fn peek(&mut self) -> Option<(&[u8], &[u8])> {
        match self.settle() {
            Step::Stored => self.base.peek(),
            Step::Replaced | Step::Inserted => self
                .changes
                .peek()
                .map(|&(key, change)| (key, put_value(change))),
            Step::Finished => None,
            Step::Deleted | Step::MissDeleted => unreachable!("settled"),
        }
    }
}
