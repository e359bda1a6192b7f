//! Databases, forks and patches. The snapshots they read through, and that a patch is itself,
//! are a layer below, in `views::snapshot`.

use std::{
    cell::RefCell,
    collections::{hash_map::Entry as HashMapEntry, HashMap},
    fmt,
    marker::PhantomData,
    rc::Rc,
    sync::Arc,
};

use crate::{
    views::{
        identifiers, metadata::INDEXES_POOL_NAME, AsReadonly, Change, ChangeSet, Iter, RawAccess,
        RawAccessMut, ResolvedAddress, Snapshot, ViewChanges,
    },
    Result,
};

/// A database: named indexes of bytes, read through snapshots and written by merging patches.
///
/// # Consistency
///
/// Merges are atomic, but there is no conflict detection: two forks made from the same state
/// both apply, last merge wins per key:
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let (first, second) = (db.fork(), db.fork());
/// first.get_list("list").extend(vec![1_u32, 2, 3]);
/// second.get_list("list").push(4_u32);
/// db.merge(first.into_patch()).unwrap();
/// db.merge(second.into_patch()).unwrap();
/// // The length comes from the second patch, the items from both.
/// let snapshot = db.snapshot();
/// let list = snapshot.get_list::<_, u32>("list");
/// assert_eq!(list.len(), 1);
/// assert_eq!(list.iter().collect::<Vec<_>>(), vec![4, 2, 3]);
/// ```
///
/// Forks may create indexes concurrently, unlike in metaldb 1.0.0: a merge gives the indexes
/// its patch created their final identifiers, so two new indexes never share their data, and
/// an index that both forks created receives the writes of both, as above. A patch that
/// created an index with another type than a merge since gave it fails with a conflict and
/// writes nothing.
///
/// ```
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let (first, second) = (db.fork(), db.fork());
/// first.get_map(("wallets", "alice")).put(&1_u8, 10_u64);
/// second.get_map(("wallets", "bob")).put(&1_u8, 20_u64);
/// db.merge(first.into_patch()).unwrap();
/// db.merge(second.into_patch()).unwrap();
/// let snapshot = db.snapshot();
/// assert_eq!(snapshot.get_map::<_, u8, u64>(("wallets", "alice")).get(&1), Some(10));
/// assert_eq!(snapshot.get_map::<_, u8, u64>(("wallets", "bob")).get(&1), Some(20));
/// ```
pub trait Database: Send + Sync + 'static {
    /// Returns an isolated snapshot of the current state.
    fn snapshot(&self) -> Box<dyn Snapshot>;

    /// Returns a fork of the current state, to buffer changes in.
    fn fork(&self) -> Fork {
        Fork {
            patch: Patch {
                snapshot: self.snapshot(),
                changes: HashMap::new(),
            },
            working_patch: WorkingPatch::default(),
        }
    }

    /// Applies a patch atomically.
    ///
    /// # Errors
    ///
    /// Returns the storage error if the write fails; then no key of the patch is written.
    fn merge(&self, patch: Patch) -> Result<()>;

    /// Applies a patch atomically and waits until it is durable (fsync).
    ///
    /// # Errors
    ///
    /// As [`merge`](Self::merge).
    fn merge_sync(&self, patch: Patch) -> Result<()>;
}

impl fmt::Debug for dyn Database {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Database")
    }
}

/// Writes through a new fork of `db` and merges it: how unit tests put data into storage before
/// they read it through a later fork or a snapshot. Indexes that `write` opens end with it, so
/// the tests need no block of their own to release the fork before `into_patch`.
#[cfg(test)]
pub(crate) fn write_and_merge(db: &dyn Database, write: impl FnOnce(&Fork)) {
    let fork = db.fork();
    write(&fork);
    db.merge(fork.into_patch()).unwrap();
}

/// Merging with an undo patch.
pub trait DatabaseExt: Database {
    /// Merges `patch` and returns a patch that undoes it.
    ///
    /// Reading the returned patch as a snapshot shows the state before the merge; merging it
    /// restores that state, index metadata included. Backups must be applied in reverse order
    /// with no other merges in between. The cost is linear in the size of the patch plus the
    /// size of every index it clears.
    ///
    /// # Errors
    ///
    /// Returns the error of the merge.
    fn merge_with_backup(&self, mut patch: Patch) -> Result<Patch> {
        let snapshot = self.snapshot();
        // The undo patch names the addresses the merge writes, so the identifiers of new
        // indexes are made final first; the merge then finds nothing left to renumber.
        patch.rebase(self.snapshot())?;
        let mut reverse: HashMap<ResolvedAddress, ViewChanges> = HashMap::new();
        for (address, changes) in &patch.changes {
            let undo = reverse.entry(address.clone()).or_default();
            for key in changes.data.keys() {
                let change = match snapshot.get(address, key) {
                    Some(value) => Change::Put(value),
                    None => Change::Delete,
                };
                undo.data.insert(key, change);
            }
            if changes.is_cleared() {
                let mut iter = snapshot.iter(address, &[]);
                while let Some((key, value)) = iter.next() {
                    undo.data.insert(key, Change::Put(value.to_vec()));
                }
            }
        }
        self.merge(patch)?;
        Ok(Patch {
            snapshot: self.snapshot(),
            changes: reverse,
        })
    }
}

impl<T: Database> DatabaseExt for T {}

/// The changes a fork accumulated, together with the snapshot the fork was based on.
///
/// As a [`Snapshot`], a patch shows the base with the changes applied.
pub struct Patch {
    snapshot: Box<dyn Snapshot>,
    changes: HashMap<ResolvedAddress, ViewChanges>,
}

impl fmt::Debug for Patch {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Patch")
            .field("snapshot", &self.snapshot)
            .field("changes", &self.changes.len())
            .finish()
    }
}

impl Patch {
    /// Whether the patch created indexes, whose identifiers a merge must make final.
    pub(crate) fn creates_indexes(&self) -> bool {
        identifiers::creates_indexes(&self.changes)
    }

    /// Makes final the identifiers that this patch gave to the indexes it created, against
    /// `current`: the database as the patch will land on it, which must not change until the
    /// patch is written. Backends call it under their merge lock (see `views::identifiers`).
    ///
    /// # Errors
    ///
    /// A conflict if the patch created an index that a merge since its fork was made created
    /// with another type; corruption if stored metadata does not decode. The patch is then
    /// unchanged.
    pub(crate) fn assign_identifiers(&mut self, current: &dyn Snapshot) -> Result<()> {
        identifiers::assign(&*self.snapshot, &mut self.changes, current)
    }

    /// Makes the identifiers of new indexes final against `current` and makes it the base of
    /// the patch, as if the fork had been made from it.
    fn rebase(&mut self, current: Box<dyn Snapshot>) -> Result<()> {
        self.assign_identifiers(&*current)?;
        self.snapshot = current;
        Ok(())
    }

    /// The changes, per address, for a backend to apply.
    pub(crate) fn into_changes(self) -> HashMap<ResolvedAddress, ViewChanges> {
        self.changes
    }

    /// Marks `address` cleared in the flushed changes (used by migration flushes).
    pub(crate) fn clear_address(&mut self, address: ResolvedAddress) {
        self.changes.entry(address).or_default().clear();
    }

    /// Drops the flushed changes of `address` (used by migration rollbacks).
    pub(crate) fn remove_address(&mut self, address: &ResolvedAddress) {
        self.changes.remove(address);
    }
}

impl Snapshot for Patch {
    fn get(&self, name: &ResolvedAddress, key: &[u8]) -> Option<Vec<u8>> {
        if let Some(decided) = self.changes.get(name).and_then(|changes| changes.get(key)) {
            return decided;
        }
        self.snapshot.get(name, key)
    }

    fn multi_get<'a>(
        &self,
        name: &ResolvedAddress,
        keys: &'a mut dyn std::iter::Iterator<Item = &'a [u8]>,
    ) -> Vec<Option<Vec<u8>>> {
        let Some(changes) = self.changes.get(name) else {
            return self.snapshot.multi_get(name, keys);
        };
        let mut results = Vec::new();
        let mut missing = Vec::new();
        for key in keys {
            let decided = changes.get(key);
            if decided.is_none() {
                missing.push(key);
            }
            results.push(decided);
        }
        // Reborrowing each key ties the iterator to this call, as `multi_get` requires.
        let mut missing = missing.iter().map(|key| &**key);
        let mut fetched = self.snapshot.multi_get(name, &mut missing).into_iter();
        results
            .into_iter()
            .map(|decided| decided.unwrap_or_else(|| fetched.next().flatten()))
            .collect()
    }

    fn contains(&self, name: &ResolvedAddress, key: &[u8]) -> bool {
        if let Some(decided) = self.changes.get(name).and_then(|changes| changes.get(key)) {
            return decided.is_some();
        }
        self.snapshot.contains(name, key)
    }

    fn iter(&self, name: &ResolvedAddress, from: &[u8]) -> Iter<'_> {
        let base = || self.snapshot.iter(name, from);
        match self.changes.get(name) {
            Some(changes) => changes.iter_over(from, base),
            None => base(),
        }
    }
}

/// Why an address of a fork cannot be borrowed right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BorrowConflict {
    /// An index holds the address for writing.
    BorrowedMutably,
    /// Read-only indexes share the address.
    BorrowedImmutably,
}

/// The state of one address in a fork's working changes.
#[derive(Debug)]
enum ChangesCell {
    /// A writable index has taken the changes.
    Taken,
    /// The changes are in the cell, and no index holds them.
    Owned(ViewChanges),
    /// The changes are in the cell; every other owner of the `Rc` is a read-only index.
    Shared(Rc<ViewChanges>),
}

/// Where the changes of one address are in [`WorkingChanges::cells`]. Slots stay valid until
/// the working changes are drained or cleared, which needs `&mut Fork`, so never while an
/// index holds one.
type Slot = usize;

/// The change sets of a fork's addresses, each at a fixed slot, so that an index returns its
/// changes without looking its address up again.
#[derive(Debug, Default)]
struct WorkingChanges {
    slots: HashMap<ResolvedAddress, Slot>,
    cells: Vec<ChangesCell>,
}

impl WorkingChanges {
    /// The cell of `address`, created empty if the address has no changes yet.
    fn cell(&mut self, address: &ResolvedAddress) -> (Slot, &mut ChangesCell) {
        let slot = match self.slots.get(address) {
            Some(&slot) => slot,
            None => {
                let slot = self.cells.len();
                self.cells.push(ChangesCell::Owned(ViewChanges::default()));
                self.slots.insert(address.clone(), slot);
                slot
            }
        };
        (slot, &mut self.cells[slot])
    }
}

/// The unflushed changes of a fork, with run-time borrow checking per address (spec §9.7).
#[derive(Debug, Default)]
struct WorkingPatch {
    changes: RefCell<WorkingChanges>,
}

impl WorkingPatch {
    fn check(
        &self,
        address: &ResolvedAddress,
        mutable: bool,
    ) -> std::result::Result<(), BorrowConflict> {
        let changes = self.changes.borrow();
        let cell = changes.slots.get(address).map(|&slot| &changes.cells[slot]);
        match cell {
            Some(ChangesCell::Taken) => Err(BorrowConflict::BorrowedMutably),
            Some(ChangesCell::Shared(changes)) if mutable && Rc::strong_count(changes) > 1 => {
                Err(BorrowConflict::BorrowedImmutably)
            }
            _ => Ok(()),
        }
    }

    fn take_mut(&self, address: &ResolvedAddress) -> (Slot, ViewChanges) {
        let mut all_changes = self.changes.borrow_mut();
        let (slot, cell) = all_changes.cell(address);
        let changes = match std::mem::replace(cell, ChangesCell::Taken) {
            ChangesCell::Taken => panic!("Multiple mutable borrows of an index at {:?}", address),
            ChangesCell::Owned(changes) => changes,
            ChangesCell::Shared(changes) => match Rc::try_unwrap(changes) {
                Ok(changes) => changes,
                Err(shared) => {
                    *cell = ChangesCell::Shared(shared);
                    panic!(
                        "Attempting to borrow {:?} mutably while it's borrowed immutably",
                        address
                    );
                }
            },
        };
        (slot, changes)
    }

    fn take_shared(&self, address: &ResolvedAddress) -> Rc<ViewChanges> {
        let mut all_changes = self.changes.borrow_mut();
        let (_, cell) = all_changes.cell(address);
        match cell {
            ChangesCell::Taken => panic!(
                "Attempting to borrow {:?} immutably while it's borrowed mutably",
                address
            ),
            ChangesCell::Owned(_) => {
                let ChangesCell::Owned(changes) = std::mem::replace(cell, ChangesCell::Taken)
                else {
                    unreachable!("matched above");
                };
                let shared = Rc::new(changes);
                *cell = ChangesCell::Shared(Rc::clone(&shared));
                shared
            }
            ChangesCell::Shared(changes) => Rc::clone(changes),
        }
    }

    fn put_back(&self, slot: Slot, changes: ViewChanges) {
        self.changes.borrow_mut().cells[slot] = ChangesCell::Owned(changes);
    }

    /// Writes an index's metadata record to the index pool. Only pool views borrow the pool,
    /// each within one engine call, so it is free whenever an index is dropped.
    fn write_metadata(&self, full_name: &[u8], record: Vec<u8>) {
        let (slot, mut changes) = self.take_mut(&ResolvedAddress::system(INDEXES_POOL_NAME));
        changes.data.insert(full_name, Change::Put(record));
        self.put_back(slot, changes);
    }

    /// Takes every change set out. Only called through `&mut Fork`, when no index is alive.
    fn drain(&mut self) -> impl std::iter::Iterator<Item = (ResolvedAddress, ViewChanges)> + '_ {
        let WorkingChanges { slots, cells } = self.changes.get_mut();
        slots.drain().map(|(address, slot)| {
            let changes = match std::mem::replace(&mut cells[slot], ChangesCell::Taken) {
                ChangesCell::Owned(changes) => changes,
                ChangesCell::Shared(changes) => {
                    Rc::try_unwrap(changes).unwrap_or_else(|shared| (*shared).clone())
                }
                ChangesCell::Taken => {
                    unreachable!("no index outlives a mutable borrow of its fork")
                }
            };
            (address, changes)
        })
    }

    fn clear(&mut self) {
        let changes = self.changes.get_mut();
        changes.slots.clear();
        changes.cells.clear();
    }
}

/// A snapshot with changes: the place where all writes happen.
///
/// Changes stay in memory until the fork becomes a [`Patch`] and is merged. [`flush`](Self::flush)
/// makes a checkpoint and [`rollback`](Self::rollback) returns to the last one. Reads through the
/// fork see its unflushed changes, its flushed patch and the database, in that order.
///
/// Indexes in a fork are borrow-checked at run time, per address: one writable index, or any
/// number of read-only ones (through [`readonly`](Self::readonly)).
///
/// ```should_panic
/// use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
///
/// let db = TemporaryDB::new();
/// let fork = db.fork();
/// let list = fork.get_list::<_, u8>("list");
/// let same_list = fork.get_list::<_, u8>("list"); // panics: the list is borrowed
/// ```
///
/// A fork holds `Rc`s and `RefCell`s, so it is neither `Send` nor `Sync`.
#[derive(Debug)]
pub struct Fork {
    patch: Patch,
    working_patch: WorkingPatch,
}

impl Fork {
    /// Moves the working changes into the patch, making a checkpoint for [`rollback`](Self::rollback).
    pub fn flush(&mut self) {
        for (address, changes) in self.working_patch.drain() {
            match self.patch.changes.entry(address) {
                HashMapEntry::Occupied(mut entry) => entry.get_mut().apply(changes),
                HashMapEntry::Vacant(entry) => {
                    entry.insert(changes);
                }
            }
        }
        self.working_patch.clear();
    }

    /// Discards the changes made since the last [`flush`](Self::flush).
    pub fn rollback(&mut self) {
        self.working_patch.clear();
    }

    /// Flushes the fork and returns its patch, ready to merge.
    pub fn into_patch(mut self) -> Patch {
        self.flush();
        self.patch
    }

    /// Returns a read-only view of the fork, which sees its unflushed changes.
    pub fn readonly(&self) -> ReadonlyFork<'_> {
        ReadonlyFork(self)
    }

    /// Checks, without panicking, whether an index at `address` could be borrowed now,
    /// for writing (`mutable`) or for reading.
    pub(crate) fn check_borrow(
        &self,
        address: &ResolvedAddress,
        mutable: bool,
    ) -> std::result::Result<(), BorrowConflict> {
        self.working_patch.check(address, mutable)
    }

    /// The flushed patch, for migration flushes that edit it directly.
    pub(crate) fn flushed_mut(&mut self) -> &mut Patch {
        &mut self.patch
    }
}

impl From<Patch> for Fork {
    fn from(patch: Patch) -> Self {
        Self {
            patch,
            working_patch: WorkingPatch::default(),
        }
    }
}

/// Where a change guard returns its changes: a borrowed fork or a shared one.
#[derive(Debug)]
enum ForkRef<'a> {
    Borrowed(&'a Fork),
    Owned(Rc<Fork>),
}

impl ForkRef<'_> {
    fn working_patch(&self) -> &WorkingPatch {
        match self {
            Self::Borrowed(fork) => &fork.working_patch,
            Self::Owned(fork) => &fork.working_patch,
        }
    }
}

/// Writable changes of one address of a fork, borrowed exclusively until dropped.
pub struct ChangesMut<'a> {
    changes: Option<ViewChanges>,
    /// Where the changes go back to in the fork's working patch.
    slot: Slot,
    fork: ForkRef<'a>,
    /// The metadata record of the index whose changes these are, by its full name, to write to
    /// the index pool with the changes (`IndexState` in views/metadata.rs says why).
    metadata: Option<(Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for ChangesMut<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ChangesMut")
            .field("slot", &self.slot)
            .finish()
    }
}

impl<'a> ChangesMut<'a> {
    fn new(fork: ForkRef<'a>, address: &ResolvedAddress) -> Self {
        let (slot, changes) = fork.working_patch().take_mut(address);
        Self {
            changes: Some(changes),
            slot,
            fork,
            metadata: None,
        }
    }
}

impl Drop for ChangesMut<'_> {
    fn drop(&mut self) {
        let working_patch = self.fork.working_patch();
        if let Some(changes) = self.changes.take() {
            working_patch.put_back(self.slot, changes);
        }
        if let Some((full_name, record)) = self.metadata.take() {
            working_patch.write_metadata(&full_name, record);
        }
    }
}

impl ChangeSet for ChangesMut<'_> {
    fn as_ref(&self) -> Option<&ViewChanges> {
        self.changes.as_ref()
    }

    fn as_mut(&mut self) -> Option<&mut ViewChanges> {
        self.changes.as_mut()
    }

    fn metadata_record(&mut self, full_name: &[u8]) -> Option<&mut Vec<u8>> {
        let (name, record) = self
            .metadata
            .get_or_insert_with(|| (full_name.to_vec(), Vec::new()));
        if name != full_name {
            *name = full_name.to_vec();
            record.clear();
        }
        Some(record)
    }
}

/// Read-only changes of one address of a fork, shared with other readers until dropped.
pub struct ChangesRef<'a> {
    changes: Rc<ViewChanges>,
    _fork: PhantomData<&'a Fork>,
}

impl fmt::Debug for ChangesRef<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("ChangesRef").finish()
    }
}

impl ChangesRef<'_> {
    fn new(fork: &Fork, address: &ResolvedAddress) -> Self {
        Self {
            changes: fork.working_patch.take_shared(address),
            _fork: PhantomData,
        }
    }
}

// Intentionally empty: a `Drop` impl makes indexes built from a `ReadonlyFork` keep the fork
// borrowed until they go out of scope, as in metaldb 1.0.0 (spec §9.6).
impl Drop for ChangesRef<'_> {
    fn drop(&mut self) {}
}

impl ChangeSet for ChangesRef<'_> {
    fn as_ref(&self) -> Option<&ViewChanges> {
        Some(&self.changes)
    }

    fn as_mut(&mut self) -> Option<&mut ViewChanges> {
        None
    }
}

/// A read-only view of a [`Fork`], seeing its unflushed changes. Obtained from
/// [`Fork::readonly`].
#[derive(Debug, Clone, Copy)]
pub struct ReadonlyFork<'a>(&'a Fork);

/// A read-only view of a shared [`Fork`] (`Rc<Fork>`), obtained through
/// [`AsReadonly::as_readonly`]. It keeps the fork alive.
#[derive(Debug, Clone)]
pub struct OwnedReadonlyFork(Rc<Fork>);

impl<'a> RawAccess for &'a Fork {
    type Changes = ChangesMut<'a>;

    fn snapshot(&self) -> &dyn Snapshot {
        &self.patch
    }

    fn changes(&self, address: &ResolvedAddress) -> Self::Changes {
        ChangesMut::new(ForkRef::Borrowed(self), address)
    }
}

impl<'a> AsReadonly for &'a Fork {
    type Readonly = ReadonlyFork<'a>;

    fn as_readonly(&self) -> Self::Readonly {
        ReadonlyFork(self)
    }
}

impl RawAccess for Rc<Fork> {
    type Changes = ChangesMut<'static>;

    fn snapshot(&self) -> &dyn Snapshot {
        &self.patch
    }

    fn changes(&self, address: &ResolvedAddress) -> Self::Changes {
        ChangesMut::new(ForkRef::Owned(Rc::clone(self)), address)
    }
}

impl AsReadonly for Rc<Fork> {
    type Readonly = OwnedReadonlyFork;

    fn as_readonly(&self) -> Self::Readonly {
        OwnedReadonlyFork(Rc::clone(self))
    }
}

impl<'a> RawAccess for ReadonlyFork<'a> {
    type Changes = ChangesRef<'a>;

    fn snapshot(&self) -> &dyn Snapshot {
        &self.0.patch
    }

    fn changes(&self, address: &ResolvedAddress) -> Self::Changes {
        ChangesRef::new(self.0, address)
    }
}

impl AsReadonly for ReadonlyFork<'_> {
    type Readonly = Self;

    fn as_readonly(&self) -> Self::Readonly {
        *self
    }
}

impl RawAccess for OwnedReadonlyFork {
    type Changes = ChangesRef<'static>;

    fn snapshot(&self) -> &dyn Snapshot {
        &self.0.patch
    }

    fn changes(&self, address: &ResolvedAddress) -> Self::Changes {
        ChangesRef::new(&self.0, address)
    }
}

impl AsReadonly for OwnedReadonlyFork {
    type Readonly = Self;

    fn as_readonly(&self) -> Self::Readonly {
        self.clone()
    }
}

/// Implements a read-only raw access for a snapshot-like type with no changes of its own.
macro_rules! impl_snapshot_access {
    ($typ:ty, $snapshot:ident => $as_snapshot:expr) => {
        impl RawAccess for $typ {
            type Changes = ();

            fn snapshot(&self) -> &dyn Snapshot {
                let $snapshot = self;
                $as_snapshot
            }

            fn changes(&self, _address: &ResolvedAddress) -> Self::Changes {}
        }

        impl AsReadonly for $typ {
            type Readonly = Self;

            fn as_readonly(&self) -> Self::Readonly {
                self.clone()
            }
        }
    };
}

impl_snapshot_access!(&'_ dyn Snapshot, snapshot => *snapshot);
impl_snapshot_access!(&'_ Box<dyn Snapshot>, snapshot => snapshot.as_ref());
impl_snapshot_access!(Rc<dyn Snapshot>, snapshot => snapshot.as_ref());
impl_snapshot_access!(Arc<dyn Snapshot>, snapshot => snapshot.as_ref());
impl_snapshot_access!(&'_ Patch, patch => *patch);

impl<'a, T: RawAccess<Changes = ChangesMut<'a>>> RawAccessMut for T {}
