//! metaldb: a persistent storage engine on RocksDB with typed indexes, forks and migrations.
//!
//! metaldb reimplements metaldb 1.0.0 (a fork of Exonum's MerkleDB without the Merkle parts):
//! its Rust API is source-compatible and its on-disk format is the same. The crate is also
//! built as a C library (`include/metaldb.h`).
//!
//! # Database
//!
//! A [`Database`] is a key-value store split into named indexes. [`RocksDB`] stores data on
//! disk; [`TemporaryDB`] keeps it in memory for tests. Databases are `Send + Sync` and may be
//! shared between threads.
//!
//! # Snapshot and Fork
//!
//! A [`Snapshot`] is an immutable, isolated view of the database at one moment: later merges
//! are not visible through it. A [`Fork`] is a snapshot plus a buffer of changes. Changes
//! stay in memory until the fork is turned into a [`Patch`] and merged, atomically, with
//! [`Database::merge`]. A fork can be [flushed](Fork::flush) to make a checkpoint and
//! [rolled back](Fork::rollback) to the last checkpoint.
//!
//! # Indexes
//!
//! Data is organised in typed indexes, addressed by name (and, inside a [`Group`], by a key),
//! created on first use through a writable access:
//!
//! | Index | Analogue in `std` |
//! |---|---|
//! | [`Entry`] | `Option<V>` |
//! | [`ListIndex`] | `Vec<V>` |
//! | [`SparseListIndex`] | `Vec<Option<V>>` |
//! | [`MapIndex`] | `BTreeMap<K, V>` |
//! | [`KeySetIndex`] | `BTreeSet<K>` |
//!
//! Keys are encoded with [`BinaryKey`] and ordered by their encoding; values with [`BinaryValue`].
//! Indexes are obtained from an access (a snapshot, a fork, a patch, or a namespaced wrapper
//! around one of those) through the [`access::AccessExt`] and [`access::CopyAccessExt`] traits.
//!
//! # Migrations
//!
//! The [`migration`] module moves data to a new layout in a separate namespace, in steps that
//! survive a process restart, and then swaps the new data in atomically.
//!
//! # Examples
//!
//! ```
//! use metaldb::{access::CopyAccessExt, Database, TemporaryDB};
//!
//! let db = TemporaryDB::new();
//! let fork = db.fork();
//! fork.get_list("list").extend(vec![1_u32, 2, 3]);
//! fork.get_map("map").put(&"answer".to_owned(), 42_u64);
//! db.merge(fork.into_patch()).unwrap();
//!
//! let snapshot = db.snapshot();
//! let list = snapshot.get_list::<_, u32>("list");
//! assert_eq!(list.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
//! assert_eq!(snapshot.get_map::<_, String, u64>("map").get(&"answer".to_owned()), Some(42));
//! ```

#![warn(
    missing_docs,
    missing_debug_implementations,
    unsafe_code,
    bare_trait_objects,
    rust_2018_idioms
)]

#[doc(no_inline)]
pub use self::indexes::{Entry, Group, KeySetIndex, ListIndex, MapIndex, SparseListIndex};
pub use self::{
    backends::{read_failure::try_read, rocksdb::RocksDB, temporarydb::TemporaryDB},
    db::{Database, DatabaseExt, Fork, OwnedReadonlyFork, Patch, ReadonlyFork},
    error::Error,
    keys::BinaryKey,
    lazy::Lazy,
    options::{CompressionType, DBOptions},
    values::BinaryValue,
    views::{
        snapshot::Iterator, AsReadonly, IndexAddress, IndexType, Iter, ResolvedAddress, Snapshot,
    },
};

/// The RocksDB backend: [`RocksDB`], its snapshots and helpers.
pub mod rocksdb {
    pub use crate::backends::rocksdb::*;
}

pub mod access;
pub mod catalogue;
mod ffi;
pub mod generic;
pub mod indexes;
pub mod migration;
pub mod validation;

mod backends;
mod db;
mod error;
mod keys;
mod lazy;
mod macros;
mod options;
mod values;
mod views;

/// A specialized `Result` type for I/O operations with storage.
pub type Result<T> = std::result::Result<T, Error>;

#[doc(hidden)]
pub mod _reexports {
    pub use anyhow::Error;
}
