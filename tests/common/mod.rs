//! Helpers shared by the integration tests: both backends behind one type, a fork/flush/merge
//! harness that keeps a reference model in step with the database, and raw-storage readers.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::{collections::BTreeMap, fmt::Debug, sync::Arc};

use metaldb::{
    DBOptions, Database, Fork, Iterator as RawIterator, ResolvedAddress, RocksDB, Snapshot,
    TemporaryDB,
};
use proptest::test_runner::Config as ProptestConfig;
use tempfile::TempDir;

/// Name of the system column family holding index metadata and the identifier counter.
pub const INDEXES_POOL: &str = "__INDEXES_POOL__";
/// Name of the system column family holding the format version.
pub const DB_METADATA: &str = "__DB_METADATA__";

/// Which storage engine a [`TestDb`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Temporary,
    RocksDb,
}

/// A database of either backend, with the temporary directory a RocksDB lives in.
///
/// The directory is a keep-alive guard: it is deleted when the `TestDb` is dropped, after the
/// database handle.
pub struct TestDb {
    // Declared before `dir`, so that the database is closed before its directory goes.
    db: Option<Arc<dyn Database>>,
    dir: Option<TempDir>,
    backend: Backend,
}

impl Debug for TestDb {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TestDb")
            .field("backend", &self.backend)
            .finish()
    }
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Temporary => Self::temporary(),
            Backend::RocksDb => Self::rocksdb(),
        }
    }

    pub fn temporary() -> Self {
        Self {
            db: Some(Arc::new(TemporaryDB::new())),
            dir: None,
            backend: Backend::Temporary,
        }
    }

    pub fn rocksdb() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = RocksDB::open(dir.path(), &DBOptions::default()).expect("open RocksDB");
        Self {
            db: Some(Arc::new(db)),
            dir: Some(dir),
            backend: Backend::RocksDb,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn db(&self) -> &Arc<dyn Database> {
        self.db.as_ref().expect("database is open")
    }

    /// Whether [`reopen`](Self::reopen) really closes and reopens the storage.
    pub fn is_persistent(&self) -> bool {
        self.dir.is_some()
    }

    /// Closes the database and opens its directory again. A `TemporaryDB` stays as it is.
    ///
    /// Every fork and snapshot of the database must be dropped first: they keep it open.
    pub fn reopen(&mut self) {
        let Some(dir) = &self.dir else {
            return;
        };
        let db = self.db.take().expect("database is open");
        assert_eq!(
            Arc::strong_count(&db),
            1,
            "a fork or clone keeps the database open"
        );
        drop(db);
        let db = RocksDB::open(dir.path(), &DBOptions::default()).expect("reopen RocksDB");
        self.db = Some(Arc::new(db));
    }
}

/// Both backends, fresh and empty.
pub fn backends() -> Vec<TestDb> {
    vec![TestDb::temporary(), TestDb::rocksdb()]
}

/// A RocksDB in a fresh temporary directory. Keep the directory alive as long as the database.
pub fn rocksdb() -> (RocksDB, TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = RocksDB::open(dir.path(), &DBOptions::default()).expect("open RocksDB");
    (db, dir)
}

/// Proptest settings for model tests: `cases` cases, and no regression files written next to
/// the sources.
pub fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Drives a fork of a [`TestDb`] together with a reference model.
///
/// It keeps three states of the model: the working one (`current`), the one at the last flush
/// (restored by a rollback) and the merged one (what the database holds, restored when the
/// fork is dropped and the database reopened).
pub struct ForkModel<M: Clone> {
    // Declared before `db`: the fork holds a snapshot that keeps the database open.
    fork: Option<Fork>,
    db: TestDb,
    pub current: M,
    flushed: M,
    merged: M,
}

impl<M: Clone> ForkModel<M> {
    pub fn new(db: TestDb, initial: M) -> Self {
        let fork = db.db().fork();
        Self {
            fork: Some(fork),
            db,
            current: initial.clone(),
            flushed: initial.clone(),
            merged: initial,
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub fn fork(&self) -> &Fork {
        self.fork.as_ref().expect("fork exists")
    }

    /// The state the database itself holds.
    pub fn merged(&self) -> &M {
        &self.merged
    }

    pub fn snapshot(&self) -> Box<dyn Snapshot> {
        self.db.db().snapshot()
    }

    /// `Fork::flush`: the working state becomes the rollback point.
    pub fn flush(&mut self) {
        self.fork.as_mut().expect("fork exists").flush();
        self.flushed = self.current.clone();
    }

    /// `Fork::rollback`: back to the state of the last flush.
    pub fn rollback(&mut self) {
        self.fork.as_mut().expect("fork exists").rollback();
        self.current = self.flushed.clone();
    }

    /// `Fork::into_patch` and `Database::merge`, then a new fork.
    pub fn merge(&mut self) {
        let patch = self.fork.take().expect("fork exists").into_patch();
        self.db.db().merge(patch).expect("merge");
        self.fork = Some(self.db.db().fork());
        self.flushed = self.current.clone();
        self.merged = self.current.clone();
    }

    /// Drops the fork and every unmerged change with it, closes and reopens the database
    /// (RocksDB only; a `TemporaryDB` is kept), and starts a new fork.
    pub fn reopen(&mut self) {
        self.fork = None;
        self.db.reopen();
        self.fork = Some(self.db.db().fork());
        self.current = self.merged.clone();
        self.flushed = self.merged.clone();
    }
}

/// The address of a system column family (no identifier).
pub fn system_address(name: &str) -> ResolvedAddress {
    ResolvedAddress {
        name: name.to_owned(),
        id: None,
    }
}

/// The identifier counter of the index pool: key `[]` of `__INDEXES_POOL__`, LE u64, 0 when
/// absent.
pub fn pool_counter(snapshot: &dyn Snapshot) -> u64 {
    snapshot
        .get(&system_address(INDEXES_POOL), &[])
        .map_or(0, |bytes| {
            u64::from_le_bytes(bytes[..8].try_into().expect("8-byte counter"))
        })
}

/// Every entry stored at `address`, in order, as the snapshot shows it.
pub fn raw_entries(snapshot: &dyn Snapshot, address: &ResolvedAddress) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut iter = snapshot.iter(address, &[]);
    let mut entries = Vec::new();
    while let Some((key, value)) = RawIterator::next(&mut *iter) {
        entries.push((key.to_vec(), value.to_vec()));
    }
    entries
}

/// The pool keys (fully qualified index names) a snapshot holds, without the counter.
pub fn pool_keys(snapshot: &dyn Snapshot) -> Vec<Vec<u8>> {
    raw_entries(snapshot, &system_address(INDEXES_POOL))
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| !key.is_empty())
        .collect()
}

/// The entries of `model` from `from` on, as `Index::iter_from` should yield them.
pub fn model_range<K: Ord + Clone, V: Clone>(model: &BTreeMap<K, V>, from: &K) -> Vec<(K, V)> {
    model
        .range(from.clone()..)
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The entries of `model`, in order.
pub fn model_entries<K: Clone, V: Clone>(model: &BTreeMap<K, V>) -> Vec<(K, V)> {
    model
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// Asserts that an index iterator yields exactly `expected`, naming the view in the message.
pub fn assert_yields<T, I>(actual: I, expected: &[T], what: &str)
where
    T: PartialEq + Debug,
    I: IntoIterator<Item = T>,
{
    let actual: Vec<T> = actual.into_iter().collect();
    assert_eq!(actual, expected, "{what}");
}
