//! The RocksDB backend.
//!
//! Storage layout (docs/format.md): one column family per index name; every key of an index
//! is prefixed with the index identifier as 8 little-endian bytes, so the indexes sharing a
//! column family (group members, migrated twins) occupy disjoint key ranges.

use std::{
    collections::HashMap,
    fmt,
    ops::Deref,
    path::Path,
    sync::{Arc, Mutex, PoisonError, RwLock},
};

use librocksdb_sys as ffi;
use rocksdb::{
    checkpoint::Checkpoint, AsColumnFamilyRef, BoundColumnFamily, ColumnFamilyDescriptor,
    DBCompressionType, WriteBatch, WriteOptions,
};
use rustc_hash::FxHashMap;

use crate::{
    backends::{
        check_database, check_version, read_failure, stored_version, DB_METADATA, VERSION_NAME,
    },
    error::ErrorKind,
    views::{ChangeRef, ResolvedAddress, ViewChanges},
    CompressionType, DBOptions, Database, Error, Patch, Result, Snapshot,
};

mod snapshot;

pub use self::snapshot::RocksDBSnapshot;

/// The file that names a RocksDB database's current manifest; every database has one.
const CURRENT_FILE: &str = "CURRENT";
/// RocksDB's column family that exists in every database.
const DEFAULT_COLUMN_FAMILY: &str = "default";

/// How many times `RocksDB::open_read_only` tries when a writer removed a file under it.
const READ_ONLY_OPEN_ATTEMPTS: u64 = 10;

/// Below this many free bytes on the database's file system, a new column family is created
/// so that its handle survives a failure that RocksDB reports after creating the family
/// ([`RocksDB::create_column_family`]). A new `OPTIONS` file, the write that fails on a full
/// disk, takes a few KiB per column family.
const LOW_SPACE: u64 = 64 << 20;

/// Size of the identifier prefix of stored keys.
pub const ID_SIZE: usize = 8;

/// Length of the key that bounds a range delete over a whole system column family; system
/// keys are far shorter.
const SYSTEM_KEY_BOUND_LEN: usize = 1_024;

/// Returns the lexicographic successor of `id_bytes` taken as a big-endian number: trailing
/// `0xFF` bytes roll over to `0x00`, and all-`0xFF` wraps to zeros. Applied to the
/// little-endian bytes of an identifier, it gives the exclusive end of the identifier's key
/// range.
pub fn next_id_bytes(id_bytes: [u8; ID_SIZE]) -> [u8; ID_SIZE] {
    u64::from_be_bytes(id_bytes).wrapping_add(1).to_be_bytes()
}

/// RocksDB's backup engine, under the names metaldb 1.0.0 exported.
///
/// These are rust-rocksdb 0.25's types: their constructors differ from the rust-rocksdb 0.18
/// ones that metaldb 1.0.0 re-exported (`BackupEngine::open(&opts, &env)`,
/// `BackupEngineOptions::new(dir)?`), so code using backups needs that change.
pub mod backup {
    pub use rocksdb::backup::{
        BackupEngine as RocksDBBackupEngine, BackupEngineInfo as RocksDBBackupEngineInfo,
        BackupEngineOptions as RocksDBBackupEngineOptions, RestoreOptions as RocksDBRestoreOptions,
    };
}

impl From<rocksdb::Error> for Error {
    fn from(err: rocksdb::Error) -> Self {
        Self::new(err.to_string())
    }
}

impl From<CompressionType> for DBCompressionType {
    fn from(compression: CompressionType) -> Self {
        match compression {
            CompressionType::Bz2 => Self::Bz2,
            CompressionType::Lz4 => Self::Lz4,
            CompressionType::Lz4hc => Self::Lz4hc,
            CompressionType::Snappy => Self::Snappy,
            CompressionType::Zlib => Self::Zlib,
            CompressionType::Zstd => Self::Zstd,
            CompressionType::None => Self::None,
        }
    }
}

impl From<&DBOptions> for rocksdb::Options {
    fn from(options: &DBOptions) -> Self {
        let mut defaults = Self::default();
        defaults.create_if_missing(options.create_if_missing);
        defaults.set_compression_type(options.compression_type.into());
        defaults.set_max_open_files(options.max_open_files.unwrap_or(-1));
        defaults.set_max_total_wal_size(options.max_total_wal_size.unwrap_or(0));
        if let Some(capacity) = options.max_cache_size {
            defaults.set_row_cache(&rocksdb::Cache::new_lru_cache(capacity));
        }
        defaults
    }
}

impl From<DBOptions> for rocksdb::Options {
    fn from(options: DBOptions) -> Self {
        Self::from(&options)
    }
}

/// The column families of the database at `path`, as `rocksdb::DB::list_cf` lists them.
///
/// rust-rocksdb 0.25's `list_cf` returns early when the listing fails and never frees the
/// (empty) array that RocksDB's C API allocated all the same, so every failed open of a
/// damaged database leaked it. This frees the array and the message on every path.
#[allow(unsafe_code)]
fn list_column_families(path: &Path) -> Result<Vec<String>> {
    use std::{ffi::CStr, os::unix::ffi::OsStrExt, ptr};

    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        Error::new(format!(
            "{} contains a NUL byte: it cannot name a database",
            path.display()
        ))
    })?;
    let mut len = 0;
    let mut error = ptr::null_mut();
    // SAFETY: the options are RocksDB's defaults, freed below; the path is NUL-terminated;
    // RocksDB writes `len` and, on failure, a malloc'ed message to `error`.
    let names = unsafe {
        let options = ffi::rocksdb_options_create();
        let names =
            ffi::rocksdb_list_column_families(options, c_path.as_ptr(), &mut len, &mut error);
        ffi::rocksdb_options_destroy(options);
        names
    };
    // SAFETY: on success `names` holds `len` NUL-terminated strings; both the array and the
    // message come from RocksDB's allocator and are freed once, here.
    unsafe {
        let listed = (0..len)
            .map(|i| CStr::from_ptr(*names.add(i)).to_string_lossy().into_owned())
            .collect();
        if !names.is_null() {
            ffi::rocksdb_list_column_families_destroy(names, len);
        }
        if error.is_null() {
            return Ok(listed);
        }
        let message = CStr::from_ptr(error).to_string_lossy().into_owned();
        ffi::rocksdb_free(error.cast());
        Err(Error::new(message))
    }
}

/// Fails a read of `address` (see [`read_failure`]): the error names the index, and says that
/// the database is damaged when RocksDB found a corruption.
fn read_failed(address: &ResolvedAddress, error: rocksdb::Error) -> ! {
    let text = error.to_string();
    let (kind, consequence) = match error.kind() {
        rocksdb::ErrorKind::Corruption => (ErrorKind::Corruption, "; the database is damaged"),
        _ => (ErrorKind::Storage, ""),
    };
    let what = match address.id {
        Some(id) => format!("index {:?} (identifier {})", address.name, id),
        None => format!("the system column family {:?}", address.name),
    };
    let error = Error::with_kind(kind, format!("reading {what} failed: {text}{consequence}"));
    read_failure::fail(error, text)
}

/// A database stored on disk by RocksDB. Clones share one open database.
#[derive(Clone)]
pub struct RocksDB {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every column family of the database, by name. The table is never changed, only
    /// replaced when a family is created, so that a snapshot takes it once and resolves names
    /// without a lock or a reference count: `rocksdb::DB::cf_handle` takes both at each call,
    /// which was two thirds of what a point read cost over raw RocksDB's. Declared before
    /// `db`, so that the handles are destroyed before the database closes.
    column_families: RwLock<Arc<ColumnFamilies>>,
    db: rocksdb::DB,
    /// Options for column families created after opening.
    options: rocksdb::Options,
    /// Held by a merge from before it assigns identifiers (`Patch::assign_identifiers`) until
    /// its batch is written, so that the identifiers are final against the state the batch
    /// lands on. It also serialises column family creation.
    merge_lock: Mutex<()>,
    /// Opened with `open_read_only`: every merge is refused.
    read_only: bool,
}

/// A column family handle that metaldb owns, created by [`RocksDB::create_column_family`]
/// (which `db`'s own table does not hold).
struct OwnedColumnFamily(*mut ffi::rocksdb_column_family_handle_t);

// SAFETY: RocksDB's column family handles are immutable once created and may be used from any
// thread, as rust-rocksdb's own handles are (`multi-threaded-cf`).
#[allow(unsafe_code)]
unsafe impl Send for OwnedColumnFamily {}
#[allow(unsafe_code)]
unsafe impl Sync for OwnedColumnFamily {}

impl Drop for OwnedColumnFamily {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the handle came from RocksDB, is destroyed once, here, and the database it
        // belongs to is still open (see `Inner::column_families`).
        unsafe { ffi::rocksdb_column_family_handle_destroy(self.0) };
    }
}

/// A column family of the database: from the table of `rocksdb::DB`, or one of metaldb's own.
#[derive(Clone)]
enum ColumnFamily<'a> {
    Table(Arc<BoundColumnFamily<'a>>),
    Owned(Arc<OwnedColumnFamily>),
}

impl AsColumnFamilyRef for ColumnFamily<'_> {
    fn inner(&self) -> *mut ffi::rocksdb_column_family_handle_t {
        match self {
            Self::Table(cf) => cf.inner(),
            Self::Owned(cf) => cf.0,
        }
    }
}

/// The column families of a database by name; see [`Inner::column_families`]. Hashed with
/// FxHash: the names are few and short, and SipHash took as long as the rest of the lookup.
type ColumnFamilies = FxHashMap<String, ColumnFamily<'static>>;

impl Inner {
    /// The table of column families as it is now.
    fn column_families(&self) -> Arc<ColumnFamilies> {
        Arc::clone(
            &self
                .column_families
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The column family `name`, if it exists.
    fn column_family(&self, name: &str) -> Option<ColumnFamily<'static>> {
        if let Some(cf) = self.column_families().get(name) {
            return Some(cf.clone());
        }
        // Created outside metaldb, through the database that `get_db_lock_guard` lends.
        let cf = self.table_handle(name)?;
        self.add_column_family(name, cf.clone());
        Some(cf)
    }

    /// Adds a column family to the table. metaldb calls it for a family it creates before it
    /// writes anything to the family, so that every snapshot that can see the data finds the
    /// family in its copy of the table.
    fn add_column_family(&self, name: &str, cf: ColumnFamily<'static>) {
        let mut table = self
            .column_families
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::make_mut(&mut table).insert(name.to_owned(), cf);
    }

    /// The handle of the column family `name` from `db`'s table, for [`Self::column_families`].
    #[allow(unsafe_code)]
    fn table_handle(&self, name: &str) -> Option<ColumnFamily<'static>> {
        let cf = self.db.cf_handle(name)?;
        // SAFETY: the handle is destroyed when the last `Arc` of it is dropped (rust-rocksdb's
        // `UnboundColumnFamily`), not when the family leaves `db`'s table, so it outlives
        // every copy of this one. The lifetime only ties it to `db`, and every copy is dropped
        // before `db` closes: `Inner::column_families` is declared before `db`, and a
        // snapshot's copy before its `Arc<Inner>`.
        let cf = unsafe {
            std::mem::transmute::<Arc<BoundColumnFamily<'_>>, Arc<BoundColumnFamily<'static>>>(cf)
        };
        Some(ColumnFamily::Table(cf))
    }
}

/// Whether the file system holding `path` has at least [`LOW_SPACE`] bytes free; `true` if
/// it cannot tell.
#[allow(unsafe_code)]
fn has_ample_space(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;

    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return true;
    };
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: a NUL-terminated path, and room for the result, which is read only on success.
    if unsafe { libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) } != 0 {
        return true;
    }
    // SAFETY: `statvfs` succeeded, so it filled `stats`.
    let stats = unsafe { stats.assume_init() };
    // Both fields are narrower than `u64` on 32-bit targets.
    #[allow(clippy::useless_conversion)]
    let free = u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize));
    free >= LOW_SPACE
}

impl fmt::Debug for RocksDB {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("RocksDB")
    }
}

impl RocksDB {
    /// Opens the database at `path`, creating it if `options.create_if_missing` is set.
    ///
    /// Every existing column family is opened; the format version is checked, and recorded
    /// in a new database. A new database may be created in a directory holding other files;
    /// they are left alone.
    ///
    /// # Errors
    ///
    /// Returns RocksDB's error if the database cannot be opened (missing with
    /// `create_if_missing` off, locked by another process, unreadable or damaged),
    /// `"Database version doesn't match: actual N, expected 0"` for another format version, and
    /// an error saying so for a corrupted version record and for a RocksDB database that
    /// metaldb did not write (column families or data but no version record). Nothing is
    /// written to the database in these cases.
    pub fn open<P: AsRef<Path>>(path: P, options: &DBOptions) -> Result<Self> {
        let path = path.as_ref();
        if path.exists() && !path.is_dir() {
            return Err(Error::new(format!(
                "{} is not a directory: a database is a directory",
                path.display()
            )));
        }
        let db_options = rocksdb::Options::from(options);
        // A RocksDB database exists exactly when its CURRENT file does. Only then are its
        // column families listed: where CURRENT exists, a failure means the database is
        // damaged or unreadable, and RocksDB's reason is the error to report. Without CURRENT,
        // this opens (or creates) a new database.
        let (db, names) = if path.join(CURRENT_FILE).exists() {
            let names = list_column_families(path)?;
            let descriptors = names
                .iter()
                .map(|name| ColumnFamilyDescriptor::new(name, db_options.clone()));
            let db = rocksdb::DB::open_cf_descriptors(&db_options, path, descriptors)?;
            (db, names)
        } else {
            // Opened by name like the other column families, so that an index named
            // "default", which lives in RocksDB's own default column family as in metaldb
            // 1.0.0, finds it on the first merge and not only after a reopen.
            let default = ColumnFamilyDescriptor::new(DEFAULT_COLUMN_FAMILY, db_options.clone());
            let db = rocksdb::DB::open_cf_descriptors(&db_options, path, [default])?;
            (db, Vec::new())
        };
        let db = Self::from_opened(db, db_options, false, &names);
        db.check_written_by_metaldb(path, &names)?;
        check_database(&db)?;
        Ok(db)
    }

    /// Opens the existing database at `path` in RocksDB's read-only mode.
    ///
    /// No lock is taken, so this works while another process has the database open for
    /// writing; the handle sees the database as it was when opened (later writes of that
    /// process are not visible). Every merge through it fails with a storage error naming the
    /// read-only mode, and nothing is ever written, not even the format version record of a
    /// database that lacks one. `options.create_if_missing` is ignored: a missing database is
    /// an error.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), and an error if `path` holds no RocksDB database. An open
    /// that finds a file gone (a writer compacted meanwhile) is tried again, up to 10 times.
    pub fn open_read_only<P: AsRef<Path>>(path: P, options: &DBOptions) -> Result<Self> {
        let path = path.as_ref();
        if !path.join(CURRENT_FILE).exists() {
            return Err(Error::new(format!(
                "{} holds no database (no {} file): a read-only open never creates one",
                path.display(),
                CURRENT_FILE
            )));
        }
        let db_options = rocksdb::Options::from(options);
        // A writer may delete files (compaction, obsolete manifests) between the moment this
        // open reads the manifest and the moment it opens the files it names; RocksDB then
        // reports a missing file. The next attempt reads the new manifest.
        let mut attempts = 0;
        let (db, names) = loop {
            attempts += 1;
            let names = list_column_families(path)?;
            let descriptors = names
                .iter()
                .map(|name| ColumnFamilyDescriptor::new(name, db_options.clone()));
            match rocksdb::DB::open_cf_descriptors_read_only(&db_options, path, descriptors, false)
            {
                Ok(db) => break (db, names),
                Err(err)
                    if attempts < READ_ONLY_OPEN_ATTEMPTS
                        && err.to_string().contains("No such file or directory") =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20 * attempts));
                }
                Err(err) => return Err(err.into()),
            }
        };
        let db = Self::from_opened(db, db_options, true, &names);
        db.check_written_by_metaldb(path, &names)?;
        if let Some(bytes) = stored_version(&db) {
            check_version(&bytes)?;
        }
        Ok(db)
    }

    /// Whether the database was opened with [`open_read_only`](Self::open_read_only).
    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    /// Wraps a database RocksDB opened with `options` (kept for the column families created
    /// later) and the column families `names` (and the default one), before metaldb's own
    /// checks.
    fn from_opened(
        db: rocksdb::DB,
        options: rocksdb::Options,
        read_only: bool,
        names: &[String],
    ) -> Self {
        let mut inner = Inner {
            column_families: RwLock::default(),
            db,
            options,
            merge_lock: Mutex::new(()),
            read_only,
        };
        let table = names
            .iter()
            .map(String::as_str)
            .chain([DEFAULT_COLUMN_FAMILY])
            .filter_map(|name| Some((name.to_owned(), inner.table_handle(name)?)))
            .collect();
        *inner
            .column_families
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(table);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Refuses a RocksDB database that metaldb did not write: one with no format version
    /// record, but with column families or data that metaldb would only have written after
    /// the version (docs/format.md, "Column families"). A database that a crash left before
    /// its version was recorded has neither.
    fn check_written_by_metaldb(&self, path: &Path, names: &[String]) -> Result<()> {
        if stored_version(self).is_some() {
            return Ok(());
        }
        let foreign: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|name| *name != DEFAULT_COLUMN_FAMILY && *name != DB_METADATA)
            .collect();
        let default_has_data = {
            let mut iter = self.inner.db.raw_iterator();
            iter.seek_to_first();
            iter.valid()
        };
        if foreign.is_empty() && !default_has_data {
            return Ok(());
        }
        Err(Error::with_kind(
            ErrorKind::NotADatabase,
            format!(
                "{} holds a RocksDB database that metaldb did not write: it has no format \
                 version record ({} in {}), but has {}; nothing was changed",
                path.display(),
                VERSION_NAME,
                DB_METADATA,
                if foreign.is_empty() {
                    "data in the default column family".to_owned()
                } else {
                    format!("the column families {:?}", foreign)
                }
            ),
        ))
    }

    /// Creates a checkpoint of the database at `path`: a complete, independent database that
    /// shares unchanged files through hard links where possible.
    ///
    /// # Errors
    ///
    /// Returns RocksDB's error if `path` exists, its parent does not, or I/O fails; an error
    /// for a database opened with [`open_read_only`](Self::open_read_only).
    pub fn create_checkpoint<T: AsRef<Path>>(&self, path: T) -> Result<()> {
        if self.inner.read_only {
            // RocksDB checkpoints a read-only instance from its table files and manifest only:
            // the writes still in the write-ahead log, which this handle sees, would be
            // silently missing from the copy.
            return Err(Error::new(
                "the database was opened in read-only mode (RocksDB::open_read_only): a \
                 checkpoint of it would miss the writes still only in the write-ahead log; \
                 take the checkpoint through a handle opened for writing",
            ));
        }
        Checkpoint::new(&self.inner.db)?.create_checkpoint(path)?;
        Ok(())
    }

    /// Returns the underlying RocksDB handle.
    ///
    /// Its table of column family handles (`cf_handle`) holds every column family that existed
    /// when the database was opened, and those that merges created since, except any created
    /// while less than 64 MiB were free on the disk: metaldb creates those itself, so that a
    /// full disk cannot leave a family without a handle, and they appear in the table once the
    /// database is opened again.
    pub fn get_db_lock_guard(&self) -> impl Deref<Target = rocksdb::DB> + '_ {
        &self.inner.db
    }

    /// The column family `name`, if it exists, whichever table holds its handle.
    pub(crate) fn column_family_handle(&self, name: &str) -> Option<impl AsColumnFamilyRef + '_> {
        self.inner.column_family(name)
    }

    /// The column family `name`, created if missing. Called under the merge lock.
    fn column_family(&self, name: &str) -> Result<ColumnFamily<'_>> {
        if let Some(cf) = self.inner.column_family(name) {
            return Ok(cf);
        }
        if has_ample_space(self.inner.db.path()) {
            self.inner.db.create_cf(name, &self.inner.options)?;
            let cf = self
                .inner
                .table_handle(name)
                .expect("the column family was just created");
            self.inner.add_column_family(name, cf.clone());
            return Ok(cf);
        }
        self.create_column_family(name)
    }

    /// Creates the column family `name` and keeps its handle in [`Inner::column_families`],
    /// even when RocksDB reports a failure after it created the family.
    ///
    /// RocksDB records a new column family in its manifest, then writes a new `OPTIONS` file.
    /// When that write fails (a full disk), the family exists but the creation fails, and
    /// rust-rocksdb's `create_cf` drops the handle: every later creation would fail with
    /// "Column family already exists" until the database is reopened. RocksDB's C function
    /// for several families returns the handles of those it created, even on failure; so the
    /// handle is kept, the merge fails with RocksDB's error, and the next merge, once there
    /// is space, uses the family (empty: nothing was written to it).
    ///
    /// Used only when space is low: these handles are not in the table of the `rocksdb::DB`
    /// that [`get_db_lock_guard`](Self::get_db_lock_guard) returns.
    #[allow(unsafe_code)]
    fn create_column_family(&self, name: &str) -> Result<ColumnFamily<'_>> {
        use rocksdb::AsRawPtr;
        use std::{ffi::CStr, ptr};

        let c_name = std::ffi::CString::new(name).map_err(|_| {
            Error::new(format!(
                "the index name {name:?} contains a NUL byte: it cannot name a column family"
            ))
        })?;
        let mut created = 0;
        let mut error = ptr::null_mut();
        // SAFETY: the database and options are alive for the call; one NUL-terminated name;
        // RocksDB writes `created` and, on failure, a malloc'ed message to `error`, and returns
        // a malloc'ed array of `created` handles, which each become owned once, below.
        let handle = unsafe {
            let handles = ffi::rocksdb_create_column_families(
                self.inner.db.as_raw_ptr(),
                self.inner.options.as_raw_ptr(),
                1,
                &c_name.as_ptr(),
                &mut created,
                &mut error,
            );
            let handle = (created == 1).then(|| Arc::new(OwnedColumnFamily(*handles)));
            ffi::rocksdb_create_column_families_destroy(handles);
            handle
        };
        if let Some(handle) = &handle {
            self.inner
                .add_column_family(name, ColumnFamily::Owned(Arc::clone(handle)));
        }
        if !error.is_null() {
            // SAFETY: a NUL-terminated message from RocksDB's allocator, freed once, here.
            let message = unsafe {
                let message = CStr::from_ptr(error).to_string_lossy().into_owned();
                ffi::rocksdb_free(error.cast());
                message
            };
            return Err(Error::new(format!(
                "creating the column family of index {name:?} failed: {message}"
            )));
        }
        Ok(ColumnFamily::Owned(handle.expect(
            "RocksDB returns the handle of a family it created",
        )))
    }

    /// Adds to `batch` the deletion of everything in a system column family.
    fn clear_system_cf(&self, batch: &mut WriteBatch, cf: &ColumnFamily<'_>) {
        let mut iter = self.inner.db.raw_iterator_cf(cf);
        iter.seek_to_last();
        let Some(last_key) = iter.key() else {
            return;
        };
        if last_key.len() < SYSTEM_KEY_BOUND_LEN {
            batch.delete_range_cf(cf, &[][..], &[0xFF; SYSTEM_KEY_BOUND_LEN][..]);
        } else {
            batch.delete_range_cf(cf, &[][..], last_key);
            batch.delete_cf(cf, last_key);
        }
    }

    fn write(&self, mut patch: Patch, sync: bool) -> Result<()> {
        if self.inner.read_only {
            return Err(Error::new(
                "the database was opened in read-only mode (RocksDB::open_read_only): merges \
                 are refused; nothing was written",
            ));
        }
        let _merging = self
            .inner
            .merge_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if patch.creates_indexes() {
            patch.assign_identifiers(&*self.snapshot())?;
        }
        let batch = self.write_batch(patch.into_changes())?;
        let mut write_options = WriteOptions::default();
        write_options.set_sync(sync);
        self.inner.db.write_opt(batch, &write_options)?;
        Ok(())
    }

    /// The write batch of a patch's changes, creating the column families it needs.
    fn write_batch(&self, changes: HashMap<ResolvedAddress, ViewChanges>) -> Result<WriteBatch> {
        // Reserved at once: a batch grown by doubling copies a big patch's bytes several times.
        let mut batch = WriteBatch::with_capacity_bytes(batch_capacity(&changes));
        let mut stored_key = Vec::new();
        for (address, changes) in changes {
            let cf = self.column_family(&address.name)?;
            let id_bytes = address.id_bytes();
            if changes.is_cleared() {
                match id_bytes {
                    Some(start) => batch.delete_range_cf(&cf, start, next_id_bytes(start)),
                    None => self.clear_system_cf(&mut batch, &cf),
                }
            }
            for (key, change) in changes.data.iter() {
                stored_key.clear();
                if let Some(id_bytes) = &id_bytes {
                    stored_key.extend_from_slice(id_bytes);
                }
                stored_key.extend_from_slice(key);
                match change {
                    ChangeRef::Put(value) => batch.put_cf(&cf, &stored_key, value),
                    ChangeRef::Delete => batch.delete_cf(&cf, &stored_key),
                }
            }
        }
        Ok(batch)
    }
}

/// Bytes of a write batch header, and the most a record adds to its key and value: a type
/// byte, the column family and the two lengths as varints of up to 5 bytes each.
const BATCH_HEADER_LEN: usize = 12;
const BATCH_RECORD_OVERHEAD: usize = 16;

/// The size of the write batch of `changes`' puts and deletes. Range deletes of cleared
/// addresses are not counted: the batch grows for them if it must.
fn batch_capacity(changes: &HashMap<ResolvedAddress, ViewChanges>) -> usize {
    let records = changes.iter().map(|(address, changes)| {
        let prefix_len = address.id.map_or(0, |_| ID_SIZE);
        let (bytes, count) = changes.data.data_len();
        bytes + count * (BATCH_RECORD_OVERHEAD + prefix_len)
    });
    BATCH_HEADER_LEN + records.sum::<usize>()
}

impl Database for RocksDB {
    fn snapshot(&self) -> Box<dyn Snapshot> {
        Box::new(RocksDBSnapshot::new(Arc::clone(&self.inner)))
    }

    fn merge(&self, patch: Patch) -> Result<()> {
        self.write(patch, false)
    }

    fn merge_sync(&self, patch: Patch) -> Result<()> {
        self.write(patch, true)
    }
}

impl From<RocksDB> for Arc<dyn Database> {
    fn from(db: RocksDB) -> Self {
        Arc::new(db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_family_created_through_the_lent_database_is_found_by_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
        let before = db.snapshot();
        let raw = db.get_db_lock_guard();
        raw.create_cf("outside", &rocksdb::Options::default())
            .unwrap();
        raw.put_cf(&raw.cf_handle("outside").unwrap(), b"key", b"value")
            .unwrap();
        drop(raw);
        let address = ResolvedAddress::system("outside");
        assert_eq!(db.snapshot().get(&address, b"key"), Some(b"value".to_vec()));
        // A snapshot taken before the write does not see it, but finds the family.
        assert_eq!(before.get(&address, b"key"), None);
        assert_eq!(before.iter(&address, &[]).next(), None);
    }

    #[test]
    fn next_id_bytes_carries_like_a_big_endian_number() {
        assert_eq!(next_id_bytes([0; 8]), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            next_id_bytes([1, 0, 0, 0, 0, 0, 0, 0xFF]),
            [1, 0, 0, 0, 0, 0, 1, 0]
        );
        assert_eq!(
            next_id_bytes([0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            [0, 0, 0, 0, 0, 1, 0, 0]
        );
        assert_eq!(next_id_bytes([0xFF; 8]), [0; 8]);
    }

    #[test]
    fn write_batches_fit_in_the_space_reserved_for_them() {
        use crate::access::CopyAccessExt;

        let dir = tempfile::TempDir::new().unwrap();
        let db = RocksDB::open(&dir, &DBOptions::default()).unwrap();
        let fork = db.fork();
        fork.get_list("list")
            .extend((0..1_000_u32).map(|i| vec![0_u8; i as usize % 300]));
        let mut map = fork.get_map::<_, str, Vec<u8>>("map");
        for i in 0..500 {
            map.put(&"k".repeat(i), vec![1; 200_000 * (i % 2)]);
            map.remove(&i.to_string());
        }
        drop(map);
        let changes = fork.into_patch().into_changes();
        let capacity = batch_capacity(&changes);
        let size = db.write_batch(changes).unwrap().size_in_bytes();
        assert!(
            size <= capacity,
            "{} bytes written in {} reserved",
            size,
            capacity
        );
        assert!(
            size * 10 >= capacity * 9,
            "{} bytes reserved for {}",
            capacity,
            size
        );
    }

    #[test]
    #[should_panic(expected = "actual 2, expected 0")]
    fn opening_a_database_of_another_version_fails() {
        let dir = tempfile::TempDir::new().unwrap();
        {
            let db = RocksDB::open(&dir, &DBOptions::default()).unwrap();
            crate::db::write_and_merge(&db, |fork| {
                crate::views::View::new(fork, ResolvedAddress::system(super::super::DB_METADATA))
                    .put(super::super::VERSION_NAME, 2_u8);
            });
        }
        RocksDB::open(&dir, &DBOptions::default()).unwrap();
    }
}
