//! Storage backends: RocksDB on disk, and an in-memory database for tests.

use std::borrow::Cow;

use crate::{
    error::ErrorKind,
    views::{key_bytes, ResolvedAddress, View},
    BinaryValue, Database, Error, Result,
};

pub mod read_failure;
pub mod rocksdb;
pub mod temporarydb;

/// Name of the system column family holding the format version.
pub(crate) const DB_METADATA: &str = "__DB_METADATA__";
/// Key of the format version in [`DB_METADATA`].
pub(crate) const VERSION_NAME: &str = "version";
/// The on-disk format version this crate reads and writes.
pub(crate) const DB_VERSION: u8 = 0;

/// The format version record of a database (docs/format.md, "Column families"), if it has one.
pub(crate) fn stored_version(db: &dyn Database) -> Option<Vec<u8>> {
    let snapshot = db.snapshot();
    let version = View::new(&*snapshot, ResolvedAddress::system(DB_METADATA));
    version.get_bytes(&key_bytes(VERSION_NAME))
}

/// Checks the format version of a freshly opened database, and records it in a new one.
pub(crate) fn check_database(db: &dyn Database) -> Result<()> {
    if let Some(bytes) = stored_version(db) {
        return check_version(&bytes);
    }
    let fork = db.fork();
    View::new(&fork, ResolvedAddress::system(DB_METADATA)).put(VERSION_NAME, DB_VERSION);
    // Synced: RocksDB syncs the column families that later merges create (its manifest) at
    // once, but not their data. Were this record lost in a power cut that kept those
    // families, the database would look like one that metaldb did not write, and be refused.
    db.merge_sync(fork.into_patch())
}

/// Checks a stored format version record.
pub(crate) fn check_version(bytes: &[u8]) -> Result<()> {
    match u8::from_bytes(Cow::Borrowed(bytes)) {
        Ok(DB_VERSION) => Ok(()),
        Ok(saved) => Err(Error::with_kind(
            ErrorKind::IncompatibleVersion,
            format!(
                "Database version doesn't match: actual {}, expected {}",
                saved, DB_VERSION
            ),
        )),
        Err(err) => Err(Error::with_kind(
            ErrorKind::Corruption,
            format!(
                "The format version record of the database is corrupted: {} (stored bytes: \
                 {:02x?}); the database may be damaged",
                err, bytes
            ),
        )),
    }
}
