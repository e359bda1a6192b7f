//! Snapshots of a RocksDB database, and the iterators over them.

use std::{borrow::Cow, fmt, sync::Arc};

use rocksdb::{DBRawIteratorWithThreadMode, ReadOptions, SnapshotWithThreadMode};

use super::{next_id_bytes, read_failed, ColumnFamilies, ColumnFamily, Inner, ID_SIZE};
use crate::{
    views::{snapshot::Iterator as BytesIterator, EmptyIterator, Iter, ResolvedAddress},
    Snapshot,
};

/// A snapshot of a [`RocksDB`](super::RocksDB) database. It keeps the database open while it lives.
pub struct RocksDBSnapshot {
    // Declared before `db`, so that they are dropped first: they point into the database.
    snapshot: SnapshotWithThreadMode<'static, rocksdb::DB>,
    /// The column families as they were when the snapshot was taken.
    column_families: Arc<ColumnFamilies>,
    db: Arc<Inner>,
}

impl fmt::Debug for RocksDBSnapshot {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("RocksDBSnapshot")
    }
}

impl RocksDBSnapshot {
    #[allow(unsafe_code)]
    pub(super) fn new(db: Arc<Inner>) -> Self {
        let snapshot = db.db.snapshot();
        // SAFETY: the snapshot borrows the database, which lives in the `Arc` stored next to it
        // and is never moved out of it; the field order drops the snapshot before that `Arc`.
        // Everything borrowed from the snapshot borrows `self`, so it cannot outlive either.
        let snapshot = unsafe {
            std::mem::transmute::<
                SnapshotWithThreadMode<'_, rocksdb::DB>,
                SnapshotWithThreadMode<'static, rocksdb::DB>,
            >(snapshot)
        };
        // Taken after the snapshot: a family whose data the snapshot can see was added to the
        // table before that data was written.
        let column_families = db.column_families();
        Self {
            snapshot,
            column_families,
            db,
        }
    }

    /// The column family `name`: from the snapshot's table, or else from the database's (a
    /// family created since, or outside metaldb, through `get_db_lock_guard`).
    fn column_family(&self, name: &str) -> Option<Cow<'_, ColumnFamily<'static>>> {
        match self.column_families.get(name) {
            Some(cf) => Some(Cow::Borrowed(cf)),
            None => self.db.column_family(name).map(Cow::Owned),
        }
    }
}

impl Snapshot for RocksDBSnapshot {
    fn get(&self, name: &ResolvedAddress, key: &[u8]) -> Option<Vec<u8>> {
        let cf = self.column_family(&name.name)?;
        name.with_keyed(key, |stored_key| {
            self.snapshot.get_pinned_cf(&*cf, stored_key)
        })
        .unwrap_or_else(|e| read_failed(name, e))
        .map(|value| value.to_vec())
    }

    fn contains(&self, name: &ResolvedAddress, key: &[u8]) -> bool {
        let Some(cf) = self.column_family(&name.name) else {
            return false;
        };
        name.with_keyed(key, |stored_key| {
            self.snapshot.get_pinned_cf(&*cf, stored_key)
        })
        .unwrap_or_else(|e| read_failed(name, e))
        .is_some()
    }

    fn multi_get<'a>(
        &self,
        name: &ResolvedAddress,
        keys: &'a mut dyn std::iter::Iterator<Item = &'a [u8]>,
    ) -> Vec<Option<Vec<u8>>> {
        let Some(cf) = self.column_family(&name.name) else {
            return keys.map(|_| None).collect();
        };
        let keys: Vec<_> = keys.map(|key| (&*cf, name.keyed(key))).collect();
        self.snapshot
            .multi_get_cf(keys)
            .into_iter()
            .map(|value| value.unwrap_or_else(|e| read_failed(name, e)))
            .collect()
    }

    fn iter(&self, name: &ResolvedAddress, from: &[u8]) -> Iter<'_> {
        let Some(cf) = self.column_family(&name.name) else {
            return Box::new(EmptyIterator);
        };
        let mut read_options = ReadOptions::default();
        if let Some(id_bytes) = name.id_bytes() {
            let end = next_id_bytes(id_bytes);
            // The last identifier's range has no end below the wrap-around.
            if end != [0; ID_SIZE] {
                read_options.set_iterate_upper_bound(end.to_vec());
            }
        }
        let mut iter = self.snapshot.raw_iterator_cf_opt(&*cf, read_options);
        iter.seek(name.keyed(from));
        Box::new(RocksDBIterator {
            iter,
            prefix_len: name.id.map_or(0, |_| ID_SIZE),
            address: name.clone(),
            consumed: false,
        })
    }
}

/// A RocksDB iterator that yields keys without their identifier prefix.
struct RocksDBIterator<'a> {
    iter: DBRawIteratorWithThreadMode<'a, rocksdb::DB>,
    /// The length of the identifier prefix cut from every key (0 for a system column family).
    prefix_len: usize,
    /// What it iterates, for the error of a failed read.
    address: ResolvedAddress,
    /// `next` returned the current item (or the end); the iterator moves on at the following
    /// call. Moving an iterator that is past the end does nothing, so the end needs no flag
    /// of its own.
    consumed: bool,
}

impl RocksDBIterator<'_> {
    /// Moves past the item that `next` returned last, if any.
    #[inline]
    fn advance(&mut self) {
        if self.consumed {
            self.iter.next();
            self.consumed = false;
        }
    }

    #[inline]
    fn item(&self) -> Option<(&[u8], &[u8])> {
        match self.iter.item() {
            Some((key, value)) => Some((&key[self.prefix_len..], value)),
            None => self.end(),
        }
    }

    /// The end of the iteration, or of a read that failed.
    #[cold]
    fn end(&self) -> Option<(&[u8], &[u8])> {
        if let Err(e) = self.iter.status() {
            read_failed(&self.address, e);
        }
        None
    }
}

impl BytesIterator for RocksDBIterator<'_> {
    fn next(&mut self) -> Option<(&[u8], &[u8])> {
        self.advance();
        self.consumed = true;
        self.item()
    }

    fn peek(&mut self) -> Option<(&[u8], &[u8])> {
        self.advance();
        self.item()
    }
}
