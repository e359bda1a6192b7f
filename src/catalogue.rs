//! The catalogue: every index a database holds, as its index pool records it.
//!
//! Each record of `__INDEXES_POOL__` (docs/format.md, "Index metadata") becomes a
//! [`CatalogueRecord`]: the index's fully qualified name split into its parts, its type and
//! identifier, its length for lists and sparse lists, and, for a [`RocksDB`] database, the
//! estimated size on disk of its key range. Tools that inspect, verify or dump a database
//! start here.
//!
//! # Examples
//!
//! ```
//! use metaldb::{access::CopyAccessExt, catalogue::Catalogue, Database, IndexType, TemporaryDB};
//!
//! let db = TemporaryDB::new();
//! let fork = db.fork();
//! fork.get_list("logs").extend(vec![1_u32, 2, 3]);
//! fork.get_map(("balances", &7_u32)).put(&1_u8, 10_u64);
//! db.merge(fork.into_patch()).unwrap();
//!
//! let catalogue = Catalogue::from_snapshot(&*db.snapshot()).unwrap();
//! let logs = catalogue.find("logs", None).unwrap();
//! assert_eq!((logs.index_type, logs.len), (IndexType::List, Some(3)));
//! let balances = catalogue.find("balances", Some(&7_u32.to_be_bytes())).unwrap();
//! assert_eq!(balances.index_type, IndexType::Map);
//! ```

use std::borrow::Cow;

use rocksdb::Range;

use crate::{
    backends::rocksdb::{next_id_bytes, ID_SIZE},
    error::ErrorKind,
    views::{
        metadata::{BinaryAttribute, INDEXES_POOL_NAME},
        IndexMetadata,
    },
    BinaryValue, Error, IndexType, ResolvedAddress, Result, RocksDB, Snapshot,
};

/// Marks the fully qualified name of an index inside a migration.
const MIGRATION_CHAR: u8 = b'^';
/// Separates an index name from its group key in a fully qualified name.
const KEY_SEPARATOR: u8 = 0;

/// One index of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CatalogueRecord {
    /// The fully qualified name: the key of the index's metadata in the pool,
    /// `['^'] name [0x00 group-key]`.
    pub full_name: Vec<u8>,
    /// The index name, without the migration marker and the group key. It is also the name
    /// of the column family that holds the index's data.
    pub name: String,
    /// The namespace: the part of [`name`](Self::name) before its first `.`, if it has one.
    /// For an index in a migration it is the migration's namespace.
    pub namespace: Option<String>,
    /// Whether the index belongs to a migration not yet flushed (its name starts with `^`).
    pub in_migration: bool,
    /// The group key bytes, for a member of a group (they may be empty).
    pub group_key: Option<Vec<u8>>,
    /// The index type; [`IndexType::Tombstone`] for an index a migration removes.
    pub index_type: IndexType,
    /// The identifier that prefixes every stored key of the index.
    pub identifier: u64,
    /// The length recorded in the metadata of a list or sparse list (`None` for the other
    /// types, and for a list that was never written).
    pub len: Option<u64>,
    /// The capacity recorded in the metadata of a sparse list: one past its highest position
    /// ever set since it was last cleared.
    pub capacity: Option<u64>,
    /// Estimated bytes on disk of the index's key range, from RocksDB's approximate sizes of
    /// flushed data (data still in the memtable is not counted). `None` for a database that
    /// is not on disk.
    pub size_on_disk: Option<u64>,
}

impl CatalogueRecord {
    /// Whether the index is a tombstone: removed by a pending migration.
    pub fn is_tombstone(&self) -> bool {
        self.index_type == IndexType::Tombstone
    }

    /// Where the index's data is stored: its column family and identifier.
    pub fn resolved_address(&self) -> ResolvedAddress {
        ResolvedAddress {
            name: self.name.clone(),
            id: std::num::NonZeroU64::new(self.identifier),
        }
    }

    /// Decodes the pool record `full_name` → `metadata`.
    fn decode(full_name: &[u8], metadata: &[u8]) -> Result<Self> {
        let corrupt = |reason: String| {
            Error::with_kind(
                ErrorKind::Corruption,
                format!(
                    "the metadata of index {:?} in {} is corrupted: {} (stored bytes: {:02x?}); \
                     the database may be damaged",
                    String::from_utf8_lossy(full_name),
                    INDEXES_POOL_NAME,
                    reason,
                    metadata
                ),
            )
        };
        let decoded = IndexMetadata::from_bytes(Cow::Borrowed(metadata))
            .map_err(|err| corrupt(err.to_string()))?;
        let (mut len, mut capacity) = (None, None);
        if let Some(state) = decoded.state_bytes() {
            match decoded.index_type() {
                IndexType::List => {
                    len = Some(u64::from_attribute(state).map_err(|e| corrupt(e.to_string()))?);
                }
                IndexType::SparseList => {
                    let (cap, length) =
                        <(u64, u64)>::from_attribute(state).map_err(|e| corrupt(e.to_string()))?;
                    capacity = Some(cap);
                    len = Some(length);
                }
                _ => {}
            }
        }
        let (in_migration, unmarked) = match full_name.strip_prefix(&[MIGRATION_CHAR]) {
            Some(rest) => (true, rest),
            None => (false, full_name),
        };
        let (name, group_key) = match unmarked.iter().position(|&byte| byte == KEY_SEPARATOR) {
            Some(at) => (&unmarked[..at], Some(unmarked[at + 1..].to_vec())),
            None => (unmarked, None),
        };
        let name = String::from_utf8(name.to_vec())
            .map_err(|_| corrupt("the index name is not UTF-8".to_owned()))?;
        let namespace = name.split_once('.').map(|(ns, _)| ns.to_owned());
        Ok(Self {
            full_name: full_name.to_vec(),
            name,
            namespace,
            in_migration,
            group_key,
            index_type: decoded.index_type(),
            identifier: decoded.identifier().get(),
            len,
            capacity,
            size_on_disk: None,
        })
    }
}

/// Every index of a database, in the order of their fully qualified names, and the
/// identifier counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    records: Vec<CatalogueRecord>,
    identifier_counter: u64,
}

impl Catalogue {
    /// Reads the catalogue of a snapshot. Sizes on disk are `None`.
    ///
    /// # Errors
    ///
    /// An error of the corruption kind naming the index if a metadata record or the
    /// identifier counter does not decode.
    pub fn from_snapshot(snapshot: &dyn Snapshot) -> Result<Self> {
        let pool = ResolvedAddress {
            name: INDEXES_POOL_NAME.to_owned(),
            id: None,
        };
        let mut records = Vec::new();
        let mut identifier_counter = 0;
        let mut iter = snapshot.iter(&pool, &[]);
        while let Some((key, value)) = iter.next() {
            if key.is_empty() {
                identifier_counter = u64::from_bytes(Cow::Borrowed(value)).map_err(|err| {
                    Error::with_kind(
                        ErrorKind::Corruption,
                        format!(
                            "the identifier counter of {} is corrupted: {} (stored bytes: \
                             {:02x?}); the database may be damaged",
                            INDEXES_POOL_NAME, err, value
                        ),
                    )
                })?;
            } else {
                records.push(CatalogueRecord::decode(key, value)?);
            }
        }
        Ok(Self {
            records,
            identifier_counter,
        })
    }

    /// Reads the catalogue of a RocksDB database, with each index's estimated size on disk.
    ///
    /// # Errors
    ///
    /// As [`from_snapshot`](Self::from_snapshot).
    pub fn read(db: &RocksDB) -> Result<Self> {
        use crate::Database;

        let mut catalogue = Self::from_snapshot(&*db.snapshot())?;
        let rocksdb = db.get_db_lock_guard();
        for record in &mut catalogue.records {
            let Some(cf) = db.column_family_handle(&record.name) else {
                // No column family, no data: `verify` reports the missing family.
                record.size_on_disk = Some(0);
                continue;
            };
            let start = record.identifier.to_le_bytes();
            let end = next_id_bytes(start);
            // The last identifier's range has no end below the wrap-around: bound it by a key
            // longer than any identifier prefix of all-0xFF bytes.
            let end: Vec<u8> = if end == [0; ID_SIZE] {
                vec![0xFF; ID_SIZE + 1]
            } else {
                end.to_vec()
            };
            let sizes = rocksdb.get_approximate_sizes_cf(&cf, &[Range::new(&start, &end)]);
            record.size_on_disk = sizes.first().copied();
        }
        Ok(catalogue)
    }

    /// The indexes, ordered by fully qualified name.
    pub fn records(&self) -> &[CatalogueRecord] {
        &self.records
    }

    /// The number of identifiers ever allocated: no identifier is above it.
    pub fn identifier_counter(&self) -> u64 {
        self.identifier_counter
    }

    /// The index `name` (with `group_key` for a group member) outside any migration.
    pub fn find(&self, name: &str, group_key: Option<&[u8]>) -> Option<&CatalogueRecord> {
        self.records.iter().find(|record| {
            !record.in_migration && record.name == name && record.group_key.as_deref() == group_key
        })
    }

    /// The namespaces that have a migration pending: indexes under `^namespace.`, in order.
    pub fn pending_migrations(&self) -> Vec<String> {
        let mut namespaces: Vec<String> = self
            .records
            .iter()
            .filter(|record| record.in_migration)
            .filter_map(|record| record.namespace.clone())
            .collect();
        namespaces.dedup();
        namespaces
    }
}

impl IntoIterator for Catalogue {
    type Item = CatalogueRecord;
    type IntoIter = std::vec::IntoIter<CatalogueRecord>;

    fn into_iter(self) -> Self::IntoIter {
        self.records.into_iter()
    }
}
