//! `mdb_db`: an open database.

use std::{ffi::c_char, rc::Rc, sync::Arc};

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible},
    family::{Family, Parent},
    handle::{free_handle, into_handle, try_c_str, try_ref, Castable, Out},
    patch::{mdb_patch, take_patch},
    snapshot::{mdb_snapshot, SnapshotHandle},
    status::{mdb_status, FfiError},
};
use crate::{CompressionType, DBOptions, Database, RocksDB, TemporaryDB};

/// An open database. Thread-safe: any thread may use it, concurrently.
pub struct mdb_db {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_db`.
pub(crate) struct DbHandle {
    pub(crate) db: Arc<dyn Database>,
    /// The same database, when it is on disk, for checkpoints.
    rocksdb: Option<RocksDB>,
}

impl Castable for mdb_db {
    type RustType = DbHandle;
}

/// No compression.
pub const MDB_COMPRESSION_NONE: u32 = 0;
/// Snappy compression (built in by default).
pub const MDB_COMPRESSION_SNAPPY: u32 = 1;
/// LZ4 compression (needs the `rocksdb_lz4` build feature).
pub const MDB_COMPRESSION_LZ4: u32 = 2;
/// LZ4HC compression (needs the `rocksdb_lz4` build feature).
pub const MDB_COMPRESSION_LZ4HC: u32 = 3;
/// Zlib compression (needs the `rocksdb_zlib` build feature).
pub const MDB_COMPRESSION_ZLIB: u32 = 4;
/// Zstandard compression (needs the `rocksdb_zstd` build feature).
pub const MDB_COMPRESSION_ZSTD: u32 = 5;
/// Bzip2 compression (needs the `rocksdb_bzip2` build feature).
pub const MDB_COMPRESSION_BZ2: u32 = 6;

/// Options for `mdb_db_open`. Fill with `mdb_db_options_init`, then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mdb_db_options {
    /// Most files RocksDB keeps open; 0 or negative means no limit. Default: no limit.
    pub max_open_files: i32,
    /// Create the database if it does not exist. Default: true.
    pub create_if_missing: bool,
    /// One of `MDB_COMPRESSION_*`, for column families created by this process. Default:
    /// `MDB_COMPRESSION_NONE`.
    pub compression: u32,
    /// Largest total size of the write-ahead logs in bytes; 0 lets RocksDB choose. Default: 0.
    pub max_total_wal_size: u64,
    /// Size in bytes of a row cache; 0 means no cache. Default: 0.
    pub max_cache_size: usize,
}

impl mdb_db_options {
    fn to_options(self) -> Result<DBOptions, FfiError> {
        let compression = match self.compression {
            MDB_COMPRESSION_NONE => CompressionType::None,
            MDB_COMPRESSION_SNAPPY => CompressionType::Snappy,
            MDB_COMPRESSION_LZ4 => CompressionType::Lz4,
            MDB_COMPRESSION_LZ4HC => CompressionType::Lz4hc,
            MDB_COMPRESSION_ZLIB => CompressionType::Zlib,
            MDB_COMPRESSION_ZSTD => CompressionType::Zstd,
            MDB_COMPRESSION_BZ2 => CompressionType::Bz2,
            other => {
                return Err(FfiError::invalid_argument(format_args!(
                    "unknown compression {}: use one of MDB_COMPRESSION_*",
                    other
                )))
            }
        };
        Ok(DBOptions::new(
            (self.max_open_files > 0).then_some(self.max_open_files),
            self.create_if_missing,
            compression,
            (self.max_total_wal_size > 0).then_some(self.max_total_wal_size),
            (self.max_cache_size > 0).then_some(self.max_cache_size),
        ))
    }
}

impl Default for mdb_db_options {
    fn default() -> Self {
        Self {
            max_open_files: 0,
            create_if_missing: true,
            compression: MDB_COMPRESSION_NONE,
            max_total_wal_size: 0,
            max_cache_size: 0,
        }
    }
}

/// Fills `options` with the defaults.
///
/// @param[out] options  The options to fill. NULL is a no-op.
///
/// Any thread may call this.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_options_init(options: *mut mdb_db_options) {
    ffi_boundary_infallible!((), {
        if let Ok(options) = Out::new(options, "options") {
            options.write(mdb_db_options::default());
        }
    })
}

/// Opens (or creates) the RocksDB database in the directory `path`.
///
/// @param[in]  path     NUL-terminated UTF-8 path of the database directory. Not NULL.
/// @param[in]  options  Options, or NULL for the defaults (`mdb_db_options_init`).
/// @param[out] out_db   On `MDB_OK`, the new handle; free it with `mdb_db_close`.
/// @return `MDB_OK`;
///   `MDB_ERR_INVALID_ARGUMENT` if `path` or `out_db` is NULL, `path` is not UTF-8 or an
///   option is unknown;
///   `MDB_ERR_STORAGE` if RocksDB cannot open the database (missing and `create_if_missing`
///   off, locked by another process or handle, damaged, I/O error), with RocksDB's text;
///   `MDB_ERR_INCOMPATIBLE_VERSION` if it was written with another on-disk format version;
///   `MDB_ERR_CORRUPTION` if its format version record does not decode;
///   `MDB_ERR_NOT_A_DATABASE` if the directory holds a RocksDB database that metaldb did not
///   write. In none of these cases is anything written to the database. A new database may be
///   created in a directory that holds other files; they are left alone.
///
/// Blocks on I/O. Any thread may call this. Rust: `RocksDB::open`.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_open(
    path: *const c_char,
    options: *const mdb_db_options,
    out_db: *mut *mut mdb_db,
) -> mdb_status {
    ffi_boundary!({
        let path = unsafe { try_c_str(path, "path")? };
        let out_db = Out::new(out_db, "out_db")?;
        // SAFETY: NULL or a pointer to caller-owned options.
        let options = match unsafe { options.as_ref() } {
            Some(options) => options.to_options()?,
            None => mdb_db_options::default().to_options()?,
        };
        let rocksdb = RocksDB::open(path, &options)?;
        out_db.write(into_handle(DbHandle {
            db: Arc::new(rocksdb.clone()),
            rocksdb: Some(rocksdb),
        }));
        Ok(())
    })
}

/// Creates an empty database in memory, gone when its last handle is freed. For tests.
///
/// @param[out] out_db  On `MDB_OK`, the new handle; free it with `mdb_db_close`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `out_db` is NULL.
///
/// Any thread may call this. Rust: `TemporaryDB::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_open_temporary(out_db: *mut *mut mdb_db) -> mdb_status {
    ffi_boundary!({
        let out_db = Out::new(out_db, "out_db")?;
        out_db.write(into_handle(DbHandle {
            db: Arc::new(TemporaryDB::new()),
            rocksdb: None,
        }));
        Ok(())
    })
}

/// Frees a database handle. The database closes once its snapshots and forks (and their
/// children) are freed too; until then they keep working.
///
/// `db` may be NULL (a no-op). Call exactly once per handle, from any thread.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_close(db: *mut mdb_db) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_db_open*`, freed once per the contract.
        unsafe { free_handle(db) }
    })
}

/// Takes a snapshot: an immutable, isolated view of the database now.
///
/// @param[in]  db            The database. Not NULL.
/// @param[out] out_snapshot  On `MDB_OK`, the new handle; free it with `mdb_snapshot_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL.
///
/// Any thread may call this. Rust: `Database::snapshot`.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_snapshot(
    db: *const mdb_db,
    out_snapshot: *mut *mut mdb_snapshot,
) -> mdb_status {
    ffi_boundary!({
        let db = unsafe { try_ref(db, "db")? };
        let out_snapshot = Out::new(out_snapshot, "out_snapshot")?;
        let snapshot = Rc::from(db.db.snapshot());
        out_snapshot.write(into_handle(SnapshotHandle::root(Family::new(
            Parent::Snapshot(snapshot),
        ))));
        Ok(())
    })
}

fn merge(db: *const mdb_db, patch: *mut mdb_patch, sync: bool) -> Result<(), FfiError> {
    let db = unsafe { try_ref(db, "db")? };
    let patch = take_patch(patch)?;
    if sync {
        db.db.merge_sync(patch)?;
    } else {
        db.db.merge(patch)?;
    }
    Ok(())
}

/// Applies a patch to the database atomically.
///
/// Indexes that the patch's fork created get their final identifiers here, so forks of one
/// database may create indexes concurrently: two new indexes never share their data, and an
/// index that several forks created receives the writes of each, the later merge winning
/// key by key.
///
/// @param[in] db     The database. Not NULL.
/// @param[in] patch  The patch to apply. Not NULL. Consumed whatever the result (unless an
///                   argument is NULL or the patch is poisoned): the handle and its children
///                   become stale; free them with `mdb_patch_free` and their own `_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
///   `MDB_ERR_STALE_HANDLE` if the patch was already merged;
///   `MDB_ERR_POISONED` if an earlier call panicked on the patch or its children: nothing is
///   written, and the patch can only be freed;
///   `MDB_ERR_STORAGE` if the write failed: then nothing of the patch was written;
///   `MDB_ERR_CONFLICT` if the patch created an index that a merge since its fork was made
///   created with another type, and `MDB_ERR_CORRUPTION` if the stored identifier counter or
///   index metadata does not decode: nothing of the patch was written in either case.
///
/// Blocks on I/O; merges are serialised. Any thread may call this. Rust: `Database::merge`.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_merge(db: *const mdb_db, patch: *mut mdb_patch) -> mdb_status {
    ffi_boundary!({ merge(db, patch, false) })
}

/// Applies a patch like `mdb_db_merge`, and returns once it is durable on disk (fsync).
///
/// Same arguments, statuses and ownership as `mdb_db_merge`. Rust: `Database::merge_sync`.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_merge_sync(db: *const mdb_db, patch: *mut mdb_patch) -> mdb_status {
    ffi_boundary!({ merge(db, patch, true) })
}

/// Writes a checkpoint of the database to `path`: a complete, independent database, sharing
/// unchanged files through hard links where possible.
///
/// @param[in] db    The database. Not NULL.
/// @param[in] path  NUL-terminated UTF-8 path that must not exist yet; its parent must. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL, the path is not UTF-8,
///   or the database is a temporary one; `MDB_ERR_STORAGE` if `path` exists or I/O fails.
///
/// Blocks on I/O. Any thread may call this. Rust: `RocksDB::create_checkpoint`.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_checkpoint(db: *const mdb_db, path: *const c_char) -> mdb_status {
    ffi_boundary!({
        let db = unsafe { try_ref(db, "db")? };
        let path = unsafe { try_c_str(path, "path")? };
        let rocksdb = db.rocksdb.as_ref().ok_or_else(|| {
            FfiError::invalid_argument("a temporary database has no files to checkpoint")
        })?;
        rocksdb.create_checkpoint(path)?;
        Ok(())
    })
}
