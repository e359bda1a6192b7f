//! Storage backends: RocksDB on disk, and an in-memory database for tests.

use crate::{
    views::{ResolvedAddress, View},
    Database, Error, Result,
};

pub mod rocksdb;
pub mod temporarydb;

/// Name of the system column family holding the format version.
pub(crate) const DB_METADATA: &str = "__DB_METADATA__";
/// Key of the format version in [`DB_METADATA`].
pub(crate) const VERSION_NAME: &str = "version";
/// The on-disk format version this crate reads and writes.
pub(crate) const DB_VERSION: u8 = 0;

/// Checks the format version of a freshly opened database, and records it in a new one.
pub(crate) fn check_database(db: &dyn Database) -> Result<()> {
    let fork = db.fork();
    {
        let mut version = View::new(&fork, ResolvedAddress::system(DB_METADATA));
        match version.get::<_, u8>(VERSION_NAME) {
            Some(DB_VERSION) => return Ok(()),
            Some(saved) => {
                return Err(Error::new(format!(
                    "Database version doesn't match: actual {}, expected {}",
                    saved, DB_VERSION
                )))
            }
            None => version.put(VERSION_NAME, DB_VERSION),
        }
    }
    db.merge(fork.into_patch())
}
