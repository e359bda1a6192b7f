//! Handle families: a parent (a fork, a patch, a snapshot or a migration helper) together with
//! every child handle opened from it (accesses, indexes, iterators), behind one lock.
//!
//! Forks are built on `Rc` and `RefCell`, which must not be touched by two threads at once. A
//! family keeps every such value (the parent and the Rust indexes built on it) inside its
//! mutex, and a child handle is only a reference to the family plus a child number. So a
//! family is memory-safe however a host language spreads its handles over threads, and freeing
//! handles in any order from any thread is fine.
//!
//! Children do not hold the parent's `Rc` outside the lock either: an access child is only a
//! description ([`AccessSpec`]), and an index child keeps what is needed to open its index
//! again. That lets a fork flush while index handles are open (they are closed and reopened
//! around the flush), and lets consuming operations close every child and take the parent.

use std::{
    collections::BTreeMap,
    rc::Rc,
    sync::{Arc, Mutex, MutexGuard},
};

use super::{
    boundary::reporting_read_errors,
    iter::IterChild,
    status::{FfiError, MDB_ERR_BORROWED, MDB_ERR_POISONED, MDB_ERR_WRONG_TYPE},
};
use crate::{
    access::{FromAccess, Prefixed},
    db::BorrowConflict,
    generic::{ErasedAccess, GenericAccess, GenericRawAccess},
    migration::{Migration, MigrationHelper, Scratchpad},
    validation::check_valid_name_component,
    views::{checked_metadata, IndexMetadata, IndexesPool},
    AsReadonly, Entry, Fork, IndexAddress, IndexType, KeySetIndex, ListIndex, MapIndex, Patch,
    ResolvedAddress, Snapshot, SparseListIndex,
};

/// The raw access every C-opened index is built on.
pub(crate) type RawAccess = GenericRawAccess<'static>;

/// Identifies a child within its family.
pub(crate) type ChildId = u64;

/// What a family is the family of.
pub(crate) enum Parent {
    Fork(Rc<Fork>),
    Patch(Rc<Patch>),
    Snapshot(Rc<dyn Snapshot>),
    Helper(MigrationHelper),
    /// A migration helper left unusable by a failed or aborted merge: as on a consumed
    /// parent, only frees work. The helper is kept until the family is dropped, because that
    /// drop is what its abort handle reports as finished: in Rust too, a helper whose merge
    /// failed lives on until its owner drops it.
    FailedHelper {
        _helper: MigrationHelper,
    },
    /// Taken by a consuming operation (or left after a failed one): only frees work.
    Consumed,
}

impl Parent {
    fn into_fork(self) -> Result<Rc<Fork>, Self> {
        match self {
            Self::Fork(fork) => Ok(fork),
            other => Err(other),
        }
    }

    fn into_patch(self) -> Result<Rc<Patch>, Self> {
        match self {
            Self::Patch(patch) => Ok(patch),
            other => Err(other),
        }
    }

    fn into_helper(self) -> Result<MigrationHelper, Self> {
        match self {
            Self::Helper(helper) => Ok(helper),
            other => Err(other),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Fork(_) => "fork",
            Self::Patch(_) => "patch",
            Self::Snapshot(_) => "snapshot",
            Self::Helper(_) => "migration helper",
            Self::FailedHelper { .. } => "failed migration helper",
            Self::Consumed => "consumed handle",
        }
    }
}

/// A namespace wrapped around the family's raw access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Namespace {
    None,
    Prefixed(String),
    Migration(String),
    Scratchpad(String),
}

/// How to build an access of the family: read-only or not, and in which namespace.
#[derive(Debug, Clone)]
pub(crate) struct AccessSpec {
    pub(crate) readonly: bool,
    pub(crate) namespace: Namespace,
}

impl AccessSpec {
    pub(crate) const ROOT: Self = Self {
        readonly: false,
        namespace: Namespace::None,
    };

    /// The same access inside a namespace. Namespaces do not nest, as in the Rust API.
    pub(crate) fn with_namespace(&self, namespace: Namespace) -> Result<Self, FfiError> {
        if self.namespace != Namespace::None {
            return Err(FfiError::invalid_argument(
                "namespaced accesses (prefixed, migration, scratchpad) cannot be nested",
            ));
        }
        let (Namespace::Prefixed(name) | Namespace::Migration(name) | Namespace::Scratchpad(name)) =
            &namespace
        else {
            return Ok(self.clone());
        };
        let what = match namespace {
            Namespace::Prefixed(_) => "prefix",
            _ => "namespace",
        };
        check_valid_name_component(name).map_err(|kind| {
            FfiError::invalid_argument(format_args!("invalid {} {:?}: {}", what, name, kind))
        })?;
        Ok(Self {
            readonly: self.readonly,
            namespace,
        })
    }
}

/// An index opened from C, with keys and values as bytes.
pub(crate) enum AnyIndex {
    Entry(Entry<RawAccess, Vec<u8>>),
    List(ListIndex<RawAccess, Vec<u8>>),
    SparseList(SparseListIndex<RawAccess, Vec<u8>>),
    Map(MapIndex<RawAccess, [u8], Vec<u8>>),
    KeySet(KeySetIndex<RawAccess, [u8]>),
}

impl AnyIndex {
    fn open(
        access: ErasedAccess<'static>,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<Self, FfiError> {
        Ok(match index_type {
            IndexType::Entry => Self::Entry(Entry::from_access(access, addr)?),
            IndexType::List => Self::List(ListIndex::from_access(access, addr)?),
            IndexType::SparseList => Self::SparseList(SparseListIndex::from_access(access, addr)?),
            IndexType::Map => Self::Map(MapIndex::from_access(access, addr)?),
            IndexType::KeySet => Self::KeySet(KeySetIndex::from_access(access, addr)?),
            other => {
                return Err(FfiError::invalid_argument(format_args!(
                    "indexes of type {:?} cannot be opened",
                    other
                )))
            }
        })
    }
}

/// An index handle's state.
pub(crate) struct IndexChild {
    /// `None` only while the family flushes its fork.
    index: Option<AnyIndex>,
    access: AccessSpec,
    addr: IndexAddress,
    /// The address after the access's namespace, which handles of one index share.
    raw_addr: IndexAddress,
    index_type: IndexType,
    /// Whether writes are allowed (the access is a writable fork access).
    pub(crate) writable: bool,
    /// Number of live iterators over this index; writes are refused while there are any.
    pub(crate) iterators: usize,
}

impl IndexChild {
    /// The index; an index that could not be reopened after a flush is removed from its
    /// family, so a child in the family always has one outside [`FamilyState::with_fork`].
    pub(crate) fn index(&self) -> Result<&AnyIndex, FfiError> {
        self.index
            .as_ref()
            .ok_or_else(|| FfiError::stale("index handle"))
    }

    /// The index, for writing: refused through read-only accesses and during iteration.
    pub(crate) fn index_mut(&mut self) -> Result<&mut AnyIndex, FfiError> {
        if !self.writable {
            return Err(FfiError::readonly(format_args!(
                "index {:?}",
                self.addr.name()
            )));
        }
        if self.iterators > 0 {
            return Err(FfiError::new(
                MDB_ERR_BORROWED,
                format_args!(
                    "index {:?} is being iterated by {} live iterator(s); free them before writing",
                    self.addr.name(),
                    self.iterators
                ),
            ));
        }
        self.index
            .as_mut()
            .ok_or_else(|| FfiError::stale("index handle"))
    }
}

/// A child handle's state.
pub(crate) enum Child {
    Access(AccessSpec),
    // Boxed: an open index is several times larger than the other children.
    Index(Box<IndexChild>),
    Iter(IterChild),
}

/// The state of a family, reached only through [`Family::lock`].
pub(crate) struct FamilyState {
    pub(crate) parent: Parent,
    /// Every call looks its handle's child up here. Numbers are handed out in order, so an
    /// ordered map finds them with a few integer comparisons, where a hash map would hash each
    /// number first (SipHash, a sizeable part of a call).
    children: BTreeMap<ChildId, Child>,
    next_child: ChildId,
}

/// A parent and its children behind one lock.
pub(crate) struct Family {
    state: Mutex<FamilyState>,
}

// SAFETY: the `Rc`s and `RefCell`s of a fork, and every Rust value built on them, live only
// inside `state`, and are used, cloned and dropped only while its mutex is held (child handles
// hold an `Arc<Family>` and a number, never such a value). So no two threads touch them at
// once, which is all that `Rc` and `RefCell` require.
#[allow(unsafe_code)]
unsafe impl Send for Family {}
// SAFETY: as above: shared access goes through the mutex.
#[allow(unsafe_code)]
unsafe impl Sync for Family {}

impl Family {
    pub(crate) fn new(parent: Parent) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(FamilyState {
                parent,
                children: BTreeMap::new(),
                next_child: 0,
            }),
        })
    }

    /// Locks the family. A family whose lock was poisoned by a panic is unusable.
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, FamilyState>, FfiError> {
        let state = self.state.lock().map_err(|_| {
            FfiError::new(
                MDB_ERR_POISONED,
                "an earlier call panicked while using this family of handles; free them",
            )
        })?;
        #[cfg(feature = "fault-injection")]
        super::fault_injection::panic_if_armed();
        Ok(state)
    }

    /// Removes a child; used by `_free`. Works on poisoned families too, so that every
    /// handle can always be freed: unwinding released every `RefCell` borrow, so dropping the
    /// child's values is sound even where the panic left the fork's contents inconsistent.
    pub(crate) fn remove_child(&self, id: ChildId) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.remove(id);
    }
}

/// A handle of a child: its family and its number.
pub(crate) struct ChildHandle {
    pub(crate) family: Arc<Family>,
    pub(crate) id: ChildId,
}

impl Drop for ChildHandle {
    fn drop(&mut self) {
        self.family.remove_child(self.id);
    }
}

/// Where an access comes from: the parent itself, or an access child.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AccessRef {
    Root,
    Child(ChildId),
}

impl FamilyState {
    pub(crate) fn add_child(&mut self, child: Child) -> ChildId {
        let id = self.next_child;
        self.next_child += 1;
        self.children.insert(id, child);
        id
    }

    /// Removes a child; an iterator also releases its index and its position entry.
    pub(crate) fn remove(&mut self, id: ChildId) {
        if let Some(Child::Iter(iter)) = self.children.remove(&id) {
            if let Some(Child::Index(index)) = self.children.get_mut(&iter.index) {
                index.iterators -= 1;
            }
            if let Some(position) = iter.position {
                self.children.remove(&position);
            }
        }
    }

    pub(crate) fn child_mut(&mut self, id: ChildId, what: &str) -> Result<&mut Child, FfiError> {
        self.children
            .get_mut(&id)
            .ok_or_else(|| FfiError::stale(what))
    }

    // Child numbers are never reused, and a handle's tag tells its kind of child, so an
    // index handle always finds an index child, or none once it is stale.
    pub(crate) fn index(&self, id: ChildId) -> Result<&IndexChild, FfiError> {
        match self.children.get(&id) {
            Some(Child::Index(index)) => Ok(index),
            _ => Err(FfiError::stale("index handle")),
        }
    }

    pub(crate) fn index_mut(&mut self, id: ChildId) -> Result<&mut IndexChild, FfiError> {
        match self.children.get_mut(&id) {
            Some(Child::Index(index)) => Ok(index),
            _ => Err(FfiError::stale("index handle")),
        }
    }

    pub(crate) fn access_spec(&self, access: AccessRef) -> Result<AccessSpec, FfiError> {
        match access {
            AccessRef::Root => {
                self.check_live()?;
                Ok(AccessSpec::ROOT)
            }
            AccessRef::Child(id) => match self.children.get(&id) {
                Some(Child::Access(spec)) => Ok(spec.clone()),
                _ => Err(FfiError::stale("access handle")),
            },
        }
    }

    /// Fails with `MDB_ERR_STALE_HANDLE` once the parent is consumed or failed.
    pub(crate) fn check_live(&self) -> Result<(), FfiError> {
        match self.parent {
            Parent::FailedHelper { .. } | Parent::Consumed => Err(FfiError::stale("handle")),
            _ => Ok(()),
        }
    }

    /// The fork under the family's writable accesses, if any.
    fn fork(&self) -> Option<&Rc<Fork>> {
        match &self.parent {
            Parent::Fork(fork) => Some(fork),
            Parent::Helper(helper) => Some(helper.shared_fork()),
            Parent::Patch(_)
            | Parent::Snapshot(_)
            | Parent::FailedHelper { .. }
            | Parent::Consumed => None,
        }
    }

    fn raw_access(&self, readonly: bool) -> Result<RawAccess, FfiError> {
        Ok(match (&self.parent, self.fork()) {
            (_, Some(fork)) if readonly => GenericRawAccess::OwnedReadonlyFork(fork.as_readonly()),
            (_, Some(fork)) => GenericRawAccess::OwnedFork(Rc::clone(fork)),
            (Parent::Patch(patch), _) => {
                GenericRawAccess::OwnedSnapshot(Rc::clone(patch) as Rc<dyn Snapshot>)
            }
            (Parent::Snapshot(snapshot), _) => GenericRawAccess::OwnedSnapshot(Rc::clone(snapshot)),
            _ => return Err(FfiError::stale("handle")),
        })
    }

    /// Builds the Rust access an [`AccessSpec`] describes.
    pub(crate) fn build_access(
        &self,
        spec: &AccessSpec,
    ) -> Result<ErasedAccess<'static>, FfiError> {
        let raw = self.raw_access(spec.readonly)?;
        Ok(match &spec.namespace {
            Namespace::None => GenericAccess::Raw(raw),
            Namespace::Prefixed(prefix) => {
                GenericAccess::Prefixed(Prefixed::new(prefix.as_str(), raw))
            }
            Namespace::Migration(ns) => GenericAccess::Migration(Migration::new(ns.as_str(), raw)),
            Namespace::Scratchpad(ns) => {
                GenericAccess::Scratchpad(Scratchpad::new(ns.as_str(), raw))
            }
        })
    }

    /// Opens an index handle, checking first everything the engine would panic on.
    pub(crate) fn open_index(
        &mut self,
        access: AccessRef,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<ChildId, FfiError> {
        let spec = self.access_spec(access)?;
        let erased = self.build_access(&spec)?;
        let writable = erased.is_mutable();
        let (raw_addr, metadata) = reporting_read_errors(|| {
            let (raw_addr, metadata) = self.checked_metadata(&spec, &addr)?;
            if metadata.is_none() {
                self.check_counter(&spec)?;
            }
            Ok((raw_addr, metadata))
        })?;
        if let Some(metadata) = metadata {
            if metadata.index_type() != index_type {
                return Err(FfiError::new(
                    MDB_ERR_WRONG_TYPE,
                    format_args!(
                        "index {:?} is a {:?}, not a {:?}",
                        raw_addr.name(),
                        metadata.index_type(),
                        index_type
                    ),
                ));
            }
            let resolved = ResolvedAddress::new(raw_addr.name(), Some(metadata.identifier()));
            self.check_borrow(&resolved, writable, &raw_addr)?;
        } else if writable && self.has_index_at(&raw_addr) {
            // Read-only handles of a missing index borrow nothing in the fork, but would never
            // see what the writable handle writes.
            return Err(FfiError::new(
                MDB_ERR_BORROWED,
                format_args!(
                    "index {:?} is already open through read-only handles in this fork; free them first",
                    raw_addr.name()
                ),
            ));
        }
        let index = AnyIndex::open(erased, addr.clone(), index_type)?;
        Ok(self.add_child(Child::Index(Box::new(IndexChild {
            index: Some(index),
            access: spec,
            addr,
            raw_addr,
            index_type,
            writable,
            iterators: 0,
        }))))
    }

    /// Whether an index handle of the family is open at `raw_addr`.
    pub(crate) fn has_index_at(&self, raw_addr: &IndexAddress) -> bool {
        self.children
            .values()
            .any(|child| matches!(child, Child::Index(index) if &index.raw_addr == raw_addr))
    }

    /// The raw address of `addr` in the access `spec`, and the metadata stored there, checked
    /// for what reading it would panic on: a bad name, corrupt metadata.
    pub(crate) fn checked_metadata(
        &self,
        spec: &AccessSpec,
        addr: &IndexAddress,
    ) -> Result<(IndexAddress, Option<IndexMetadata>), FfiError> {
        let raw_addr = self.build_access(spec)?.resolve(addr.clone())?;
        let metadata = checked_metadata(self.raw_access(spec.readonly)?, &raw_addr)?;
        Ok((raw_addr, metadata))
    }

    /// Checks the identifier counter, which creating an index (or its phantom) in the access
    /// `spec` reads, and the engine panics on if it is corrupt.
    pub(crate) fn check_counter(&self, spec: &AccessSpec) -> Result<(), FfiError> {
        IndexesPool::new(self.raw_access(spec.readonly)?).check_counter()?;
        Ok(())
    }

    fn check_borrow(
        &self,
        resolved: &ResolvedAddress,
        mutable: bool,
        addr: &IndexAddress,
    ) -> Result<(), FfiError> {
        let Some(fork) = self.fork() else {
            return Ok(());
        };
        fork.check_borrow(resolved, mutable).map_err(|conflict| {
            let held = match conflict {
                BorrowConflict::BorrowedMutably => "a writable handle",
                BorrowConflict::BorrowedImmutably => "read-only handles",
            };
            FfiError::new(
                MDB_ERR_BORROWED,
                format_args!(
                    "index {:?} is already open through {} in this fork; free it first",
                    addr.name(),
                    held
                ),
            )
        })
    }

    /// Runs `operation` on the family's fork, which must be unique: closes the Rust index of
    /// every index child first (`keep_children`), or drops every child, and reopens the indexes
    /// after. Iterators keep their positions. An index that cannot be reopened (its metadata no
    /// longer decodes) is removed: its handle and iterators become stale, and the first such
    /// failure is returned, after the operation took effect.
    pub(crate) fn with_fork<R>(
        &mut self,
        keep_children: bool,
        operation: impl FnOnce(&mut Fork) -> R,
    ) -> Result<R, FfiError> {
        self.fork_rc()?;
        if !keep_children {
            self.children.clear();
        }
        for child in self.children.values_mut() {
            if let Child::Index(index) = child {
                index.index = None;
            }
        }
        let fork = Rc::get_mut(self.fork_rc()?)
            .ok_or_else(|| FfiError::new(MDB_ERR_BORROWED, "the fork is in use"))?;
        let result = operation(fork);
        self.reopen_indexes()?;
        Ok(result)
    }

    fn fork_rc(&mut self) -> Result<&mut Rc<Fork>, FfiError> {
        self.check_live()?;
        match &mut self.parent {
            Parent::Fork(fork) => Ok(fork),
            other => Err(FfiError::invalid_argument(format_args!(
                "expected a fork, got a {}",
                other.describe()
            ))),
        }
    }

    fn reopen_indexes(&mut self) -> Result<(), FfiError> {
        let mut first_failure = Ok(());
        let ids: Vec<ChildId> = self.children.keys().copied().collect();
        for id in ids {
            let reopened = match self.children.get(&id) {
                Some(Child::Index(child)) => reporting_read_errors(|| {
                    let access = self.build_access(&child.access)?;
                    AnyIndex::open(access, child.addr.clone(), child.index_type)
                })
                .map_err(|err| (child.addr.name().to_owned(), err)),
                _ => continue,
            };
            match reopened {
                Ok(index) => {
                    if let Some(Child::Index(child)) = self.children.get_mut(&id) {
                        child.index = Some(index);
                    }
                }
                Err((name, err)) => {
                    self.children.remove(&id);
                    if first_failure.is_ok() {
                        first_failure = Err(FfiError::new(
                            err.status,
                            format_args!(
                                "index {:?} could not be reopened after the change, and its \
                                 handle is stale: {}",
                                name, err.message
                            ),
                        ));
                    }
                }
            }
        }
        first_failure
    }

    /// Takes the parent out, if `take` accepts its kind, and drops every child: the family is
    /// consumed, and every handle of it stale. On failure nothing changes.
    pub(crate) fn take_parent<T>(
        &mut self,
        expected: &str,
        take: fn(Parent) -> Result<T, Parent>,
    ) -> Result<T, FfiError> {
        self.check_live()?;
        match take(std::mem::replace(&mut self.parent, Parent::Consumed)) {
            Ok(taken) => {
                self.children.clear();
                Ok(taken)
            }
            Err(parent) => {
                let got = parent.describe();
                self.parent = parent;
                Err(FfiError::invalid_argument(format_args!(
                    "expected a {}, got a {}",
                    expected, got
                )))
            }
        }
    }

    /// Takes the fork of a fork family ([`Self::take_parent`]).
    pub(crate) fn take_fork(&mut self) -> Result<Fork, FfiError> {
        let fork = self.take_parent("fork", Parent::into_fork)?;
        Ok(Rc::into_inner(fork).expect("the children holding the fork are dropped"))
    }

    /// Takes the patch of a patch family ([`Self::take_parent`]).
    pub(crate) fn take_patch(&mut self) -> Result<Patch, FfiError> {
        let patch = self.take_parent("patch", Parent::into_patch)?;
        Ok(Rc::into_inner(patch).expect("the children holding the patch are dropped"))
    }

    /// Takes the helper of a live helper family ([`Self::take_parent`]).
    pub(crate) fn take_helper(&mut self) -> Result<MigrationHelper, FfiError> {
        self.take_parent("migration helper", Parent::into_helper)
    }

    /// The helper of a live helper family.
    pub(crate) fn helper(&self) -> Result<&MigrationHelper, FfiError> {
        self.check_live()?;
        match &self.parent {
            Parent::Helper(helper) => Ok(helper),
            other => Err(FfiError::invalid_argument(format_args!(
                "expected a migration helper, got a {}",
                other.describe()
            ))),
        }
    }

    /// Drops every child, leaving the parent in place (the parent stays usable, the children
    /// become stale).
    pub(crate) fn drop_children(&mut self) {
        self.children.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{
        fork::mdb_fork_flush,
        handle::try_ref,
        map::{mdb_access_map, mdb_map, mdb_map_contains, mdb_map_free},
        status::{mdb_status, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_STALE_HANDLE, MDB_OK},
        test_support::{assert_status, last_message, put, TempFork},
    };

    fn contains(map: *mut mdb_map) -> mdb_status {
        unsafe { mdb_map_contains(map, b"key".as_ptr(), 3, &mut false) }
    }

    #[test]
    fn an_index_that_cannot_be_reopened_after_a_flush_is_stale_and_the_rest_works() {
        let db = TempFork::new();
        let (broken, kept) = (
            db.open(mdb_access_map, "broken"),
            db.open(mdb_access_map, "kept"),
        );
        // An index child whose type cannot be opened stands for metadata that no longer
        // decodes once the flush is done.
        let handle = unsafe { try_ref(broken, "map") }.unwrap();
        handle
            .family
            .lock()
            .unwrap()
            .index_mut(handle.id)
            .unwrap()
            .index_type = IndexType::Tombstone;
        assert_status(unsafe { mdb_fork_flush(db.fork) }, MDB_ERR_INVALID_ARGUMENT);
        assert!(last_message().contains("\"broken\" could not be reopened"));
        assert_status(contains(broken), MDB_ERR_STALE_HANDLE);
        assert_status(contains(kept), MDB_OK);
        assert_status(put(kept, b"key", b"value"), MDB_OK);
        unsafe { (mdb_map_free(broken), mdb_map_free(kept)) };
    }
}
