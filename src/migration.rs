//! Migrations: moving data to a new layout, in steps that survive a restart, then swapping it
//! in atomically.
//!
//! # Stability
//!
//! The entirety of this module is considered unstable. While the supported functionality is
//! unlikely to break, the implementation details may change in the following releases.
//!
//! # Migration workflow
//!
//! A **migration** updates data in indexes, removes indexes, changes index types and creates
//! new indexes, and packages these changes so that they can be committed or rolled back
//! atomically. The changes can be accumulated step by step, even across process restarts.
//!
//! Each migration is confined to a *namespace*, like a [`Prefixed`] access: namespace `test`
//! concerns indexes whose address starts with `test.`, such as `test.foo` or
//! `("test.bar", 1_u32)`, but not `test` or `test_.foo`. The namespace is reached through
//! [`Migration`].
//!
//! A migration does not touch the old data. New versions of indexes live in a separate place:
//! index `foo` of migration `test` and the original `test.foo` coexist, with separate data and
//! even different types. Data moves only when the migration is flushed.
//!
//! Keeping an index as it is needs nothing. *Removing* one is explicit, with
//! [`Migration::create_tombstone`]. A tombstone holds no data but otherwise behaves like an
//! index: no other index type can be created at its address, and vice versa.
//!
//! A migration can keep temporary data in a [`Scratchpad`], which is removed when the
//! migration ends.
//!
//! Migrated data can be merged into the database from time to time (a good idea, to bound
//! memory), and the process doing the migration may even restart in between. Persistent
//! iterators ([`PersistentIter`], and [`MigrationHelper::iter_loop`]) remember how far they got
//! in the scratchpad, so a restarted migration carries on where it stopped.
//!
//! # Finalizing a migration
//!
//! [`flush_migration`] replaces old indexes with their migrated versions and removes the
//! tombstoned ones; [`rollback_migration`] drops the migrated indexes. Both clear the
//! migration's scratchpad, and both take effect when the fork they ran on is merged.
//!
//! # Examples
//!
//! A migration that moves balances to a new map in chunks, merging after each chunk:
//!
//! ```
//! use metaldb::{
//!     access::{AccessExt, CopyAccessExt},
//!     migration::{flush_migration, MigrationHelper},
//!     Database, TemporaryDB,
//! };
//! use std::sync::Arc;
//!
//! /// Number of entries migrated per merge.
//! const CHUNK_SIZE: usize = 100;
//!
//! let db: Arc<dyn Database> = Arc::new(TemporaryDB::new());
//! let fork = db.fork();
//! let mut wallets = fork.get_map::<_, str, u64>("test.wallets");
//! for i in 0..1_000_u64 {
//!     wallets.put(&format!("wallet{}", i), i);
//! }
//! drop(wallets);
//! db.merge(fork.into_patch()).unwrap();
//!
//! let mut helper = MigrationHelper::new(Arc::clone(&db), "test");
//! helper
//!     .iter_loop(|helper, iters| {
//!         let old_wallets = helper.old_data().get_map::<_, str, u64>("wallets");
//!         let mut new_wallets = helper.new_data().get_map::<_, str, u64>("wallets");
//!         // The iterator remembers its position in the scratchpad, so a restarted
//!         // migration never migrates an entry twice.
//!         for (name, balance) in iters.create("wallets", &old_wallets).take(CHUNK_SIZE) {
//!             new_wallets.put(&name, balance * 100);
//!         }
//!     })
//!     .unwrap();
//! helper.finish().unwrap();
//!
//! // The migrated data replaces the old data when the migration is flushed.
//! let mut fork = db.fork();
//! flush_migration(&mut fork, "test");
//! db.merge(fork.into_patch()).unwrap();
//! let snapshot = db.snapshot();
//! let wallets = snapshot.get_map::<_, str, u64>("test.wallets");
//! assert_eq!(wallets.get("wallet7"), Some(700));
//! ```

use std::{
    fmt,
    rc::Rc,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use thiserror::Error;

pub(crate) use self::persistent_iter::IteratorPosition;
pub use self::persistent_iter::{PersistentIter, PersistentIters, PersistentKeys};

use crate::{
    access::{Access, AccessError, Prefixed},
    views::{
        address::{column_family_of, migration_prefix, migration_target},
        assert_valid_name_component, check_full_name, get_metadata_unchecked, AsReadonly,
        CorruptMetadata, GroupKeys, IndexMetadata, IndexesPool, RawAccess, RawAccessMut, View,
        ViewWithMetadata,
    },
    BinaryKey, Database, Fork, IndexAddress, IndexType, ReadonlyFork, ResolvedAddress,
};

mod persistent_iter;

/// Name of the column family that stores every [`Scratchpad`].
pub(crate) const SCRATCHPAD_NAME: &str = "__scratchpad__";

/// Access to the migrated indexes of a namespace.
///
/// Like a [`Prefixed`] access, `Migration::new("foo", _)` maps `"list"` to `"foo.list"`, which
/// is where the index will be once the migration is flushed. Unlike `Prefixed`, migrated
/// indexes cannot be reached any other way: not through the original name, and not through a
/// `Prefixed` access.
#[derive(Debug, Clone)]
pub struct Migration<T> {
    access: T,
    namespace: String,
}

// Not public: the inner access would let callers escape the namespace.
impl<T> Migration<T> {
    pub(crate) fn access(&self) -> &T {
        &self.access
    }

    pub(crate) fn into_parts(self) -> (String, T) {
        (self.namespace, self.access)
    }
}

impl<T: RawAccess> Migration<T> {
    /// Creates a migration in `namespace`. The namespace is not validated here; the full names
    /// of indexes (`namespace.name`) are checked when they are opened.
    pub fn new(namespace: impl Into<String>, access: T) -> Self {
        Self {
            access,
            namespace: namespace.into(),
        }
    }

    pub(crate) fn migrated_address(&self, addr: IndexAddress) -> IndexAddress {
        let mut addr = addr.prepend_name(&self.namespace);
        addr.set_in_migration();
        addr
    }
}

impl<T: RawAccessMut> Migration<T> {
    /// Marks the index at `addr` as removed by the migration. Idempotent; allowed where no old
    /// index exists.
    ///
    /// # Panics
    ///
    /// Panics with `"MerkleDB error: ..."` if an index of another type already exists at `addr`
    /// in the migration, or if the full name is invalid.
    pub fn create_tombstone<I>(&self, addr: I)
    where
        I: Into<IndexAddress>,
    {
        self.clone()
            .get_or_create_view(addr.into(), IndexType::Tombstone)
            .unwrap_or_else(|e| panic!("MerkleDB error: {}", e));
    }
}

impl<T: RawAccess> Access for Migration<T> {
    type Base = T;

    fn get_index_metadata(self, addr: IndexAddress) -> Result<Option<IndexMetadata>, AccessError> {
        let addr = self.migrated_address(addr);
        self.access.get_index_metadata(addr)
    }

    fn get_or_create_view(
        self,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<ViewWithMetadata<Self::Base>, AccessError> {
        let addr = self.migrated_address(addr);
        self.access.get_or_create_view(addr, index_type)
    }

    fn group_keys<K>(self, base_addr: IndexAddress) -> GroupKeys<Self::Base, K>
    where
        K: BinaryKey + ?Sized,
        Self::Base: AsReadonly<Readonly = Self::Base>,
    {
        let addr = self.migrated_address(base_addr);
        self.access.group_keys(addr)
    }
}

/// Temporary data of a migration, cleared when the migration is flushed or rolled back.
///
/// Scratchpads are separated by namespace like migrations, and meant for small amounts of data
/// per index (such as the positions of persistent iterators). All of them live in the
/// `__scratchpad__` column family.
#[derive(Debug, Clone)]
pub struct Scratchpad<T> {
    access: T,
    namespace: String,
}

// Not public: the inner access would let callers escape the namespace.
impl<T> Scratchpad<T> {
    pub(crate) fn access(&self) -> &T {
        &self.access
    }

    pub(crate) fn into_parts(self) -> (String, T) {
        (self.namespace, self.access)
    }
}

impl<T: RawAccess> Scratchpad<T> {
    /// Creates a scratchpad in `namespace`.
    pub fn new(namespace: impl Into<String>, access: T) -> Self {
        Self {
            access,
            namespace: namespace.into(),
        }
    }

    /// The address of `addr` inside the scratchpad column family: keyed by the fully
    /// qualified name of `namespace.addr`.
    pub(crate) fn scratchpad_address(&self, addr: IndexAddress) -> IndexAddress {
        let prefixed = addr.prepend_name(&self.namespace);
        IndexAddress::from_root(SCRATCHPAD_NAME).append_key(&prefixed.fully_qualified_name()[..])
    }

    /// The prefix of the pool keys of every index of this scratchpad.
    fn pool_prefix(&self) -> Vec<u8> {
        // The trailing dot keeps namespace `test_` out of the prefix of `test`.
        self.scratchpad_address(IndexAddress::default())
            .append_key(&b'.')
            .fully_qualified_name()
    }

    fn scratchpad_group_prefix(&self, addr: IndexAddress) -> IndexAddress {
        let prefixed = addr.prepend_name(&self.namespace);
        IndexAddress::from_root(SCRATCHPAD_NAME).append_key(&prefixed.qualified_prefix()[..])
    }
}

impl<T: RawAccessMut> Scratchpad<T> {
    /// Removes every index of this scratchpad: metadata and data.
    ///
    /// # Panics
    ///
    /// Panics if any of the removed indexes is borrowed.
    fn clear(&self) {
        let prefix = self.pool_prefix();
        let removed = {
            let mut pool = IndexesPool::new(self.access.clone());
            let indexes = pool.indexes_with_prefix(&prefix);
            for (name, _) in &indexes {
                pool.remove_index_metadata(name);
            }
            indexes
        };
        for (_, metadata) in removed {
            let address = ResolvedAddress::new(SCRATCHPAD_NAME, Some(metadata.identifier()));
            View::new(self.access.clone(), address).clear();
        }
    }
}

impl<T: RawAccess> Access for Scratchpad<T> {
    type Base = T;

    fn get_index_metadata(self, addr: IndexAddress) -> Result<Option<IndexMetadata>, AccessError> {
        // The same check as `get_or_create_view`: an invalid name names no index.
        check_full_name(&addr)?;
        let addr = self.scratchpad_address(addr);
        Ok(get_metadata_unchecked(self.access, &addr))
    }

    fn get_or_create_view(
        self,
        addr: IndexAddress,
        index_type: IndexType,
    ) -> Result<ViewWithMetadata<Self::Base>, AccessError> {
        // The name becomes part of a group key, where `a\0b` could alias another address;
        // checking the relative name as a full name rules that out.
        check_full_name(&addr)?;
        let addr = self.scratchpad_address(addr);
        ViewWithMetadata::get_or_create_unchecked(self.access, &addr, index_type)
    }

    fn group_keys<K>(self, base_addr: IndexAddress) -> GroupKeys<Self::Base, K>
    where
        K: BinaryKey + ?Sized,
        Self::Base: AsReadonly<Readonly = Self::Base>,
    {
        let addr = self.scratchpad_group_prefix(base_addr);
        self.access.group_keys(addr)
    }
}

/// Runs a migration in steps: old and new data, a scratchpad, and merges to the database.
///
/// The helper holds a fork of the database. [`merge`](Self::merge) writes the fork's changes
/// and starts a new one; [`iter_loop`](Self::iter_loop) runs a step function with persistent
/// iterators until they are exhausted, merging after each step. The helper never flushes the
/// migration: call [`flush_migration`] on a fresh fork afterwards.
///
/// # Aborting a migration
///
/// [`with_handle`](Self::with_handle) also returns an [`AbortHandle`]. Once the handle is
/// dropped (or the helper is otherwise aborted), the helper refuses to merge and returns
/// [`MigrationError::Aborted`], so that nothing more is written.
///
/// ```
/// # use assert_matches::assert_matches;
/// # use metaldb::TemporaryDB;
/// # use metaldb::migration::{MigrationHelper, MigrationError};
/// # use std::{sync::mpsc, thread, time::Duration};
/// let db = TemporaryDB::new();
/// // `MigrationHelper` cannot be sent between threads, so it is created in the thread that
/// // runs the migration, and only the handle is sent out.
/// let (tx, rx) = mpsc::channel();
/// let helper_thread = thread::spawn(move || {
///     let (mut helper, handle) = MigrationHelper::with_handle(db, "test");
///     tx.send(handle).unwrap();
///     thread::sleep(Duration::from_millis(50));
///     helper.merge()
/// });
/// let handle = rx.recv().unwrap();
/// // Dropping the handle aborts the migration.
/// drop(handle);
/// let res: Result<(), MigrationError> = helper_thread.join().unwrap();
/// assert_matches!(res, Err(MigrationError::Aborted));
/// ```
pub struct MigrationHelper {
    db: Arc<dyn Database>,
    abort_handle: Box<dyn AbortMigration>,
    /// `None` only after a failed or aborted merge; every later call then panics. Shared only
    /// with the C layer, which releases its clones before the helper merges.
    fork: Option<Rc<Fork>>,
    namespace: String,
}

impl fmt::Debug for MigrationHelper {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_tuple("MigrationHelper")
            .field(&self.namespace)
            .finish()
    }
}

impl MigrationHelper {
    /// Creates a helper for the migration in `namespace`.
    ///
    /// # Panics
    ///
    /// Panics if `namespace` is empty or has characters other than `a-zA-Z0-9`, `_` and `-`.
    pub fn new(db: impl Into<Arc<dyn Database>>, namespace: &str) -> Self {
        assert_valid_name_component(namespace);
        let db = db.into();
        Self {
            fork: Some(Rc::new(db.fork())),
            db,
            abort_handle: Box::new(()),
            namespace: namespace.to_owned(),
        }
    }

    /// Creates a helper together with its abort handle. Unlike the helper, the handle may be
    /// sent between threads; it tells whether the helper is finished, and aborts the migration
    /// when dropped.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub fn with_handle(db: impl Into<Arc<dyn Database>>, namespace: &str) -> (Self, AbortHandle) {
        let mut helper = Self::new(db, namespace);
        let handle = AbortHandle {
            inner: Arc::new(AtomicBool::new(false)),
        };
        helper.set_abort_handle(handle.clone_inner());
        (helper, handle)
    }

    /// Sets the abort handle of the helper.
    ///
    /// # Stability
    ///
    /// Experimental: the signature may change or the method may go.
    #[doc(hidden)]
    pub fn set_abort_handle(&mut self, abort_handle: impl AbortMigration + 'static) {
        self.abort_handle = Box::new(abort_handle);
    }

    fn fork(&self) -> &Fork {
        self.shared_fork()
    }

    /// The helper's fork, for the C layer to build owned accesses on.
    pub(crate) fn shared_fork(&self) -> &Rc<Fork> {
        self.fork
            .as_ref()
            .expect("the migration helper is unusable after a failed or aborted merge")
    }

    /// Returns full access to the new version of the migrated data.
    pub fn new_data(&self) -> Migration<&Fork> {
        Migration::new(&self.namespace, self.fork())
    }

    /// Returns the scratchpad of the migration.
    pub fn scratchpad(&self) -> Scratchpad<&Fork> {
        Scratchpad::new(&self.namespace, self.fork())
    }

    /// The namespace of the migration, for the C layer's accesses.
    pub(crate) fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Returns read-only access to the old version of the migrated data.
    pub fn old_data(&self) -> Prefixed<ReadonlyFork<'_>> {
        Prefixed::new(&self.namespace, self.fork().readonly())
    }

    /// Merges the changes to the migrated data and the scratchpad into the database, and
    /// starts a new fork. Does not flush the migration.
    ///
    /// # Errors
    ///
    /// Returns [`MigrationError::Aborted`] if the migration was aborted (the changes are
    /// discarded) and [`MigrationError::Merge`] if the merge failed. After either, the helper
    /// is unusable: every further call panics.
    pub fn merge(&mut self) -> Result<(), MigrationError> {
        self.merge_changes()?;
        self.fork = Some(Rc::new(self.db.fork()));
        Ok(())
    }

    fn merge_changes(&mut self) -> Result<(), MigrationError> {
        let fork = self
            .fork
            .take()
            .expect("the migration helper is unusable after a failed or aborted merge");
        let patch = Rc::try_unwrap(fork)
            .expect("no access to the helper's fork outlives a merge")
            .into_patch();
        if self.abort_handle.is_aborted() {
            return Err(MigrationError::Aborted);
        }
        self.db.merge(patch).map_err(MigrationError::Merge)
    }

    /// Runs `step` repeatedly, merging after each run, until every persistent iterator that
    /// `step` created through `iters` has ended. A step that creates no iterator runs once.
    ///
    /// # Errors
    ///
    /// As [`merge`](Self::merge).
    pub fn iter_loop(
        &mut self,
        mut step: impl FnMut(&Self, &mut PersistentIters<Scratchpad<&Fork>>),
    ) -> Result<(), MigrationError> {
        loop {
            let all_ended = {
                let mut iters = PersistentIters::new(self.scratchpad());
                step(self, &mut iters);
                iters.all_ended()
            };
            self.merge()?;
            if all_ended {
                return Ok(());
            }
        }
    }

    /// Merges the remaining changes into the database and consumes the helper. Does not flush
    /// the migration.
    ///
    /// # Errors
    ///
    /// As [`merge`](Self::merge).
    pub fn finish(mut self) -> Result<(), MigrationError> {
        self.merge_changes()
    }
}

/// Errors of [`MigrationHelper`].
#[derive(Debug, Error)]
pub enum MigrationError {
    /// The changes could not be merged into the database.
    #[error("Failed to merge migration changes to the database: {0}")]
    Merge(#[source] crate::Error),
    /// The migration was aborted.
    #[error("Migration was aborted")]
    Aborted,
}

/// How a [`MigrationHelper`] learns that its migration was aborted.
#[doc(hidden)]
pub trait AbortMigration: Send {
    /// Has the migration been aborted? The helper asks before every merge, and refuses to
    /// merge if so.
    fn is_aborted(&self) -> bool;
}

impl AbortMigration for () {
    fn is_aborted(&self) -> bool {
        false
    }
}

impl AbortMigration for AbortHandle {
    fn is_aborted(&self) -> bool {
        self.inner.load(Ordering::SeqCst)
    }
}

/// Aborts a [`MigrationHelper`]'s migration when dropped, unless [`forget`](Self::forget) is
/// called instead.
#[derive(Debug)]
pub struct AbortHandle {
    inner: Arc<AtomicBool>,
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.abort();
    }
}

impl AbortHandle {
    fn clone_inner(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }

    /// Returns `true` once the helper with this handle has been dropped.
    pub fn is_finished(&self) -> bool {
        Arc::strong_count(&self.inner) <= 1
    }

    /// Aborts the migration now, keeping the handle: the C layer's explicit abort.
    pub(crate) fn abort(&self) {
        self.inner.store(true, Ordering::SeqCst);
    }

    /// Drops the handle without aborting the migration.
    pub fn forget(mut self) {
        self.inner = Arc::new(AtomicBool::new(false));
    }
}

/// Flushes the migration in `namespace` into the fork; the migration is complete once the fork
/// is merged:
///
/// - migrated indexes replace their old versions (the data is not copied: the old name now
///   points at the migrated index);
/// - indexes marked with tombstones are removed;
/// - the scratchpad of the migration is cleared.
///
/// # Consistency
///
/// Flush on a fork that holds the final migration changes. A fork created before the
/// migration's last merge misses that merge's data, and flushing it would lose it: first wait
/// until the migration is complete, *then* create the fork to flush it in.
///
/// Do not [`rollback`](Fork::rollback) the fork right after: part of the flush sits in its
/// working changes and part in its flushed patch.
///
/// # Panics
///
/// Panics if `namespace` is empty or has characters other than `a-zA-Z0-9`, `_` and `-`.
pub fn flush_migration(fork: &mut Fork, namespace: &str) {
    assert_valid_name_component(namespace);
    fork.flush_migration(namespace);
    Scratchpad::new(namespace, &*fork).clear();
}

/// Rolls back the migration in `namespace`: migrated indexes (data and metadata) and the
/// scratchpad are removed once the fork is merged.
///
/// Data of the migration that was already merged into the database stays behind, unreachable,
/// under identifiers that are never reused.
///
/// # Panics
///
/// Panics if `namespace` is empty or has characters other than `a-zA-Z0-9`, `_` and `-`.
pub fn rollback_migration(fork: &mut Fork, namespace: &str) {
    assert_valid_name_component(namespace);
    fork.rollback_migration(namespace);
    Scratchpad::new(namespace, &*fork).clear();
}

/// Checks, without panicking, every pool record that [`flush_migration`] and
/// [`rollback_migration`] decode for `namespace`: the migrated indexes, the indexes they
/// replace and the scratchpad's. The C ABI reports corrupt metadata this way instead of
/// letting those functions panic on it.
pub(crate) fn check_migration_metadata<T: RawAccess>(
    access: T,
    namespace: &str,
) -> Result<(), CorruptMetadata> {
    let pool = IndexesPool::new(access.clone());
    for migrated_name in pool.check_indexes_with_prefix(&migration_prefix(namespace))? {
        let target = migration_target(&migrated_name).expect("prefix starts with '^'");
        pool.checked_index_metadata(target)?;
    }
    pool.check_indexes_with_prefix(&Scratchpad::new(namespace, access).pool_prefix())?;
    Ok(())
}

impl Fork {
    /// Replaces old indexes with the migrated ones of `namespace`, without touching the
    /// scratchpad.
    pub(crate) fn flush_migration(&mut self, namespace: &str) {
        self.flush();
        let replaced = {
            let mut pool = IndexesPool::new(&*self);
            let mut replaced = Vec::new();
            for (migrated_name, metadata) in pool.indexes_with_prefix(&migration_prefix(namespace))
            {
                let target = migration_target(&migrated_name).expect("prefix starts with '^'");
                if let Some(old) = pool.index_metadata(target) {
                    replaced.push(ResolvedAddress::new(
                        column_family_of(target),
                        Some(old.identifier()),
                    ));
                }
                if metadata.index_type() == IndexType::Tombstone {
                    pool.remove_index_metadata(target);
                } else {
                    pool.set_index_metadata(target, metadata);
                }
                pool.remove_index_metadata(&migrated_name);
            }
            replaced
        };
        for address in replaced {
            self.flushed_mut().clear_address(address);
        }
    }

    /// Removes the migrated indexes of `namespace`, without touching the scratchpad.
    pub(crate) fn rollback_migration(&mut self, namespace: &str) {
        self.flush();
        let removed = {
            let mut pool = IndexesPool::new(&*self);
            let indexes = pool.indexes_with_prefix(&migration_prefix(namespace));
            for (migrated_name, _) in &indexes {
                pool.remove_index_metadata(migrated_name);
            }
            indexes
        };
        for (migrated_name, metadata) in removed {
            let target = migration_target(&migrated_name).expect("prefix starts with '^'");
            let address =
                ResolvedAddress::new(column_family_of(target), Some(metadata.identifier()));
            self.flushed_mut().remove_address(&address);
        }
    }
}
