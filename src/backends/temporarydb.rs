//! An in-memory database, for tests and examples.

use std::{
    collections::{BTreeMap, HashMap},
    iter::Peekable,
    sync::{Arc, RwLock},
};

use crate::{
    backends::check_database,
    views::{snapshot::Iterator as BytesIterator, ChangeRef, Iter, ResolvedAddress},
    Database, Patch, Result, Snapshot,
};

/// The data of one address, shared copy-on-write between the database and its snapshots.
type Collection = Arc<BTreeMap<Vec<u8>, Vec<u8>>>;
type Collections = HashMap<ResolvedAddress, Collection>;

/// A database kept in memory, with the same behaviour as [`RocksDB`](crate::RocksDB) key for
/// key. Snapshots are cheap: they share each address's data until a merge changes it.
///
/// Not `Clone`: share it through `Arc`.
#[derive(Debug)]
pub struct TemporaryDB {
    inner: Arc<RwLock<Collections>>,
}

impl TemporaryDB {
    /// Creates an empty database, with the format version recorded.
    pub fn new() -> Self {
        let db = Self {
            inner: Arc::default(),
        };
        check_database(&db).expect("a new temporary database has no version to mismatch");
        db
    }

    /// Removes everything, the format version and the identifier counter included, so that
    /// the database behaves like a fresh one. Snapshots and forks taken before keep their
    /// view.
    ///
    /// # Errors
    ///
    /// Never fails; the `Result` is kept for compatibility.
    pub fn clear(&self) -> Result<()> {
        self.inner.write().expect("Couldn't get write lock").clear();
        Ok(())
    }

    fn apply(&self, mut patch: Patch) -> Result<()> {
        let mut collections = self.inner.write().expect("Couldn't get write lock");
        if patch.creates_indexes() {
            let current = TemporarySnapshot {
                collections: collections.clone(),
            };
            patch.assign_identifiers(&current)?;
        }
        for (address, changes) in patch.into_changes() {
            let collection = collections.entry(address).or_default();
            let data = Arc::make_mut(collection);
            if changes.is_cleared() {
                data.clear();
            }
            for (key, change) in changes.data.iter() {
                match change {
                    ChangeRef::Put(value) => {
                        data.insert(key.to_vec(), value.to_vec());
                    }
                    ChangeRef::Delete => {
                        data.remove(key);
                    }
                }
            }
        }
        Ok(())
    }
}

impl Default for TemporaryDB {
    fn default() -> Self {
        Self::new()
    }
}

impl Database for TemporaryDB {
    fn snapshot(&self) -> Box<dyn Snapshot> {
        let collections = self.inner.read().expect("Couldn't get read lock").clone();
        Box::new(TemporarySnapshot { collections })
    }

    fn merge(&self, patch: Patch) -> Result<()> {
        self.apply(patch)
    }

    fn merge_sync(&self, patch: Patch) -> Result<()> {
        self.merge(patch)
    }
}

impl From<TemporaryDB> for Arc<dyn Database> {
    fn from(db: TemporaryDB) -> Self {
        Arc::new(db)
    }
}

/// A snapshot of a [`TemporaryDB`].
#[derive(Debug)]
struct TemporarySnapshot {
    collections: Collections,
}

impl Snapshot for TemporarySnapshot {
    fn get(&self, name: &ResolvedAddress, key: &[u8]) -> Option<Vec<u8>> {
        self.collections.get(name)?.get(key).cloned()
    }

    fn multi_get<'a>(
        &self,
        name: &ResolvedAddress,
        keys: &'a mut dyn std::iter::Iterator<Item = &'a [u8]>,
    ) -> Vec<Option<Vec<u8>>> {
        keys.map(|key| self.get(name, key)).collect()
    }

    fn contains(&self, name: &ResolvedAddress, key: &[u8]) -> bool {
        self.collections
            .get(name)
            .is_some_and(|collection| collection.contains_key(key))
    }

    fn iter(&self, name: &ResolvedAddress, from: &[u8]) -> Iter<'_> {
        match self.collections.get(name) {
            Some(collection) => Box::new(TemporaryIter {
                inner: collection.range(from.to_vec()..).peekable(),
            }),
            None => Box::new(crate::views::EmptyIterator),
        }
    }
}

struct TemporaryIter<'a> {
    inner: Peekable<std::collections::btree_map::Range<'a, Vec<u8>, Vec<u8>>>,
}

impl BytesIterator for TemporaryIter<'_> {
    fn next(&mut self) -> Option<(&[u8], &[u8])> {
        self.inner
            .next()
            .map(|(key, value)| (key.as_slice(), value.as_slice()))
    }

    fn peek(&mut self) -> Option<(&[u8], &[u8])> {
        self.inner
            .peek()
            .map(|(key, value)| (key.as_slice(), value.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{access::CopyAccessExt, db::write_and_merge};

    #[test]
    fn clearing_database_forgets_indexes_and_restarts_identifiers() {
        let db = TemporaryDB::new();
        write_and_merge(&db, |fork| {
            fork.get_list("foo").extend(vec![1_u32, 2, 3]);
            fork.get_entry(("bar", &1_u32)).set("!".to_owned());
        });
        let snapshot_before = db.snapshot();

        db.clear().unwrap();
        let snapshot = db.snapshot();
        assert!(snapshot.index_type("foo").is_none());
        assert!(snapshot.index_type(("bar", &1_u32)).is_none());
        assert_eq!(snapshot_before.get_list::<_, u32>("foo").len(), 3);

        let fork = db.fork();
        let mut list = fork.get_list::<_, u32>("foo");
        assert!(list.is_empty());
        list.push(4);
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![4]);
    }

    #[test]
    fn snapshots_are_isolated_from_later_merges() {
        let db = TemporaryDB::new();
        write_and_merge(&db, |fork| fork.get_map("map").put(&1_u8, 1_u8));
        let snapshot = db.snapshot();
        write_and_merge(&db, |fork| fork.get_map("map").put(&1_u8, 2_u8));
        assert_eq!(snapshot.get_map::<_, u8, u8>("map").get(&1), Some(1));
        assert_eq!(db.snapshot().get_map::<_, u8, u8>("map").get(&1), Some(2));
    }
}
