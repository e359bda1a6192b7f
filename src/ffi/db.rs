//! `mdb_db`: an open database.

use std::{ffi::c_char, ptr::NonNull, sync::Arc};

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible},
    handle::{free_handle, into_handle, try_c_str, try_ref, Castable, HandleKind, Out},
    patch::{mdb_patch, take_patch},
    status::{mdb_status, FfiError},
    struct_size::{
        check_size, read_prefix, read_size, size_ending_at, write_prefix, GrowingStruct,
    },
};
use crate::{CompressionType, DBOptions, Database, RocksDB, TemporaryDB};

/// An open database. Thread-safe: any thread may use it, concurrently.
pub struct mdb_db {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_db`.
pub(crate) struct DbHandle {
    pub(crate) db: Arc<dyn Database>,
    /// The same database, when it is on disk, for checkpoints and the catalogue's sizes.
    pub(crate) rocksdb: Option<RocksDB>,
}

impl Castable for mdb_db {
    type RustType = DbHandle;
    const KIND: HandleKind = HandleKind::Db;
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
pub const MDB_COMPRESSION_BZIP2: u32 = 6;

/// Options for `mdb_db_open`. Fill with `mdb_db_options_init(&options, sizeof options)`, then
/// change fields.
///
/// The struct grows in 1.x by the `struct_size` convention: a release only appends fields, at
/// or after the previous release's size, whose zero value keeps the earlier behaviour. The
/// library reads only the fields that fit in `struct_size`, so a program built against an
/// older header keeps working (later fields take their defaults), and a program built against
/// a newer header works with an older library as long as it leaves the fields that library
/// does not know at zero.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mdb_db_options {
    /// The size of the struct as the caller's header declares it, set by
    /// `mdb_db_options_init`. Do not change it.
    pub struct_size: usize,
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
    /// Since 1.1. Open in RocksDB's read-only mode: no lock is taken, so the database may be
    /// open for writing in another process; the handle sees the database as it was when
    /// opened. Merges fail with `MDB_ERR_STORAGE` naming the read-only mode; writes to indexes
    /// of a fork succeed in memory, since only the merge reaches the database. A missing
    /// database is an error whatever `create_if_missing` says. Default: false.
    pub read_only: bool,
}

// SAFETY: `#[repr(C)]`, `struct_size` first, and the 1.1 field `read_only` appended after
// the 1.0 size.
unsafe impl GrowingStruct for mdb_db_options {
    const NAME: &'static str = "mdb_db_options";
    const FIRST_RELEASE: &'static str = "1.0";
    /// 40 bytes on 64-bit targets.
    const SIZE_FIRST: usize =
        size_ending_at::<Self>(std::mem::offset_of!(Self, max_cache_size) + size_of::<usize>());
    const HOW_TO_SET: &'static str =
        "fill the struct with mdb_db_options_init(&options, sizeof options)";
}

impl mdb_db_options {
    /// Reads the caller's options: the fields that fit in its `struct_size` (the others keep
    /// their defaults), after checking that any bytes past the fields this library knows are
    /// zero.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an aligned, readable struct of `struct_size` bytes whose first
    /// field is `struct_size`.
    unsafe fn read_from(ptr: NonNull<mdb_db_options>) -> Result<Self, FfiError> {
        // SAFETY: as this function's contract.
        let size = unsafe { read_size(ptr)? };
        // SAFETY: `size` is checked and readable; the validation refuses every bool byte but
        // 0 and 1 (a C caller's bool is one of them, but bindings may write any byte there,
        // and a Rust `bool` holding another value is undefined behaviour). The other fields
        // are integers, valid in any bit pattern.
        unsafe {
            read_prefix(ptr, size, Self::default(), |options| {
                let bytes = options.as_ptr().cast::<u8>();
                for (name, offset) in [
                    (
                        "create_if_missing",
                        std::mem::offset_of!(Self, create_if_missing),
                    ),
                    ("read_only", std::mem::offset_of!(Self, read_only)),
                ] {
                    // SAFETY: the byte of a `bool` field, initialised (by the caller or the
                    // defaults).
                    let byte = bytes.add(offset).read();
                    if byte > 1 {
                        return Err(FfiError::invalid_argument(format_args!(
                            "mdb_db_options.{} is {}: a bool must be 0 or 1",
                            name, byte
                        )));
                    }
                }
                Ok(())
            })
        }
    }

    fn to_options(self) -> Result<DBOptions, FfiError> {
        let compression = match self.compression {
            MDB_COMPRESSION_NONE => CompressionType::None,
            MDB_COMPRESSION_SNAPPY => CompressionType::Snappy,
            MDB_COMPRESSION_LZ4 => CompressionType::Lz4,
            MDB_COMPRESSION_LZ4HC => CompressionType::Lz4hc,
            MDB_COMPRESSION_ZLIB => CompressionType::Zlib,
            MDB_COMPRESSION_ZSTD => CompressionType::Zstd,
            MDB_COMPRESSION_BZIP2 => CompressionType::Bz2,
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
            struct_size: Self::SIZE_KNOWN,
            max_open_files: 0,
            create_if_missing: true,
            compression: MDB_COMPRESSION_NONE,
            max_total_wal_size: 0,
            max_cache_size: 0,
            read_only: false,
        }
    }
}

/// Fills `options` with the defaults and sets `options->struct_size` to `struct_size`.
///
/// @param[out] options      The options to fill: `struct_size` writable bytes. Not NULL.
/// @param[in]  struct_size  `sizeof(mdb_db_options)` as the caller's header declares it
///                          (`sizeof options`): at least the size of the 1.0 struct, at most
///                          4096. Bytes
///                          past the fields this library knows are set to zero, the default
///                          of every field a newer header adds.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `options` is NULL or `struct_size` is out
///   of range (nothing is written then).
///
/// Any thread may call this.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_options_init(
    options: *mut mdb_db_options,
    struct_size: usize,
) -> mdb_status {
    ffi_boundary!({
        let options = NonNull::new(options).ok_or_else(|| FfiError::null("options"))?;
        check_size::<mdb_db_options>(struct_size)?;
        let defaults = mdb_db_options {
            struct_size,
            ..mdb_db_options::default()
        };
        // SAFETY: non-NULL, and the caller promised `struct_size` writable bytes.
        unsafe { write_prefix(options, struct_size, defaults) };
        Ok(())
    })
}

/// Opens (or creates) the RocksDB database in the directory `path`.
///
/// @param[in]  path     NUL-terminated UTF-8 path of the database directory. Not NULL.
/// @param[in]  options  Options filled by `mdb_db_options_init`, or NULL for the defaults.
/// @param[out] out_db   On `MDB_OK`, the new handle; free it with `mdb_db_free`.
/// With `options->read_only`, the database is opened in RocksDB's read-only mode (no lock,
/// nothing written, merges refused with `MDB_ERR_STORAGE`); it must exist.
///
/// @return `MDB_OK`;
///   `MDB_ERR_INVALID_ARGUMENT` if `path` or `out_db` is NULL, `path` is not UTF-8, an
///   option is unknown, `options->struct_size` is below the 1.0 size or above 4096 (the
///   struct was not filled by `mdb_db_options_init`), or it is larger than this library
///   knows and a field this library does not know is not zero;
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
        let options = match NonNull::new(options.cast_mut()) {
            None => mdb_db_options::default(),
            // SAFETY: caller-owned options of `struct_size` bytes, per the contract.
            Some(options) => unsafe { mdb_db_options::read_from(options)? },
        };
        let read_only = options.read_only;
        let options = options.to_options()?;
        let rocksdb = if read_only {
            RocksDB::open_read_only(path, &options)?
        } else {
            RocksDB::open(path, &options)?
        };
        out_db.write(into_handle(DbHandle {
            db: Arc::new(rocksdb.clone()),
            rocksdb: Some(rocksdb),
        }));
        Ok(())
    })
}

/// Creates an empty database in memory, gone when its last handle is freed. For tests.
///
/// @param[out] out_db  On `MDB_OK`, the new handle; free it with `mdb_db_free`.
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
pub unsafe extern "C" fn mdb_db_free(db: *mut mdb_db) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_db_open*`, freed once per the contract.
        unsafe { free_handle(db, "db") }
    })
}

/// The shared body of `mdb_db_merge` and `mdb_db_merge_sync`.
///
/// # Safety
///
/// `db` and `patch` must be NULL or live handles.
unsafe fn merge(db: *const mdb_db, patch: *mut mdb_patch, sync: bool) -> Result<(), FfiError> {
    let db = unsafe { try_ref(db, "db")? };
    let patch = unsafe { take_patch(patch)? };
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
pub unsafe extern "C" fn mdb_db_merge(db: *mut mdb_db, patch: *mut mdb_patch) -> mdb_status {
    ffi_boundary!({ unsafe { merge(db, patch, false) } })
}

/// Applies a patch like `mdb_db_merge`, and returns once it is durable on disk (fsync).
///
/// Same arguments, statuses and ownership as `mdb_db_merge`. Rust: `Database::merge_sync`.
#[no_mangle]
pub unsafe extern "C" fn mdb_db_merge_sync(db: *mut mdb_db, patch: *mut mdb_patch) -> mdb_status {
    ffi_boundary!({ unsafe { merge(db, patch, true) } })
}

/// Writes a checkpoint of the database to `path`: a complete, independent database, sharing
/// unchanged files through hard links where possible.
///
/// @param[in] db    The database. Not NULL.
/// @param[in] path  NUL-terminated UTF-8 path that must not exist yet; its parent must. Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL, the path is not UTF-8,
///   or the database is a temporary one; `MDB_ERR_STORAGE` if `path` exists, I/O fails, or
///   the database was opened with `read_only` (RocksDB would leave out the writer's
///   write-ahead log, so the copy could silently lack acknowledged merges): then nothing is
///   written.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::status::{MDB_ERR_INVALID_ARGUMENT, MDB_OK};

    #[test]
    fn read_only_option_of_an_older_header_is_the_writable_default() {
        // A 1.0 caller's struct ends before `read_only`; the library must not read past it.
        let mut storage = std::mem::MaybeUninit::<mdb_db_options>::uninit();
        let ptr = storage.as_mut_ptr();
        unsafe {
            ptr.cast::<u8>()
                .write_bytes(0xAB, mdb_db_options::SIZE_KNOWN)
        };
        assert_eq!(
            unsafe { mdb_db_options_init(ptr, mdb_db_options::SIZE_FIRST) },
            MDB_OK
        );
        let options = unsafe { mdb_db_options::read_from(NonNull::new(ptr).unwrap()) }.unwrap();
        assert!(!options.read_only);
    }

    #[test]
    fn a_read_only_byte_other_than_0_or_1_is_refused_before_it_is_read_as_a_bool() {
        let mut options = mdb_db_options::default();
        let ptr = NonNull::from(&mut options);
        let read_only = std::mem::offset_of!(mdb_db_options, read_only);
        unsafe { ptr.cast::<u8>().as_ptr().add(read_only).write(2) };
        let err = unsafe { mdb_db_options::read_from(ptr) }.unwrap_err();
        assert_eq!(err.status, MDB_ERR_INVALID_ARGUMENT);
        assert_eq!(
            err.message,
            "mdb_db_options.read_only is 2: a bool must be 0 or 1"
        );
    }
}
