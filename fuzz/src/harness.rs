//! Runs the decoded operations through the C ABI and checks every result against the model.
//!
//! The harness keeps pools of live handles, each with what the model knows of it: its family
//! (the fork, patch, snapshot or migration helper it belongs to), the epoch of the family it
//! was made in (a consuming call starts a new epoch, which makes older children stale), and
//! for indexes and iterators their address and expected contents. Before a call it works out
//! which statuses the header allows; a call may fail with any of the applicable errors (the
//! header does not order them), must not fail otherwise, and never returns `MDB_ERR_PANIC`.
//!
//! The model follows the databases exactly while patches are merged onto the state they were
//! made from, or onto a state changed only at other addresses (merges are last-writer-wins per
//! key, as in MerkleDB). A merge that overlaps another one makes that database inexact: from
//! then on the harness checks statuses and memory safety there, not contents.

use std::{
    collections::{BTreeSet, VecDeque},
    ffi::{c_void, CStr},
    fmt::Debug,
    path::PathBuf,
    ptr,
    rc::Rc,
    sync::atomic::{AtomicU64, Ordering},
};

use crate::{
    abi::*,
    input::{
        AbortCall, AccessArg, CBytes, EntryCall, GroupKey, HandleKind, HelperView, IndexKind,
        Input, KeySetCall, ListCall, MapCall, Name, NamespaceKind, Nulls, Op, Pick, RocksOpen,
        SparseListCall,
    },
    model::{self, Addr, Index, Kind, Namespace, Space, State, Value},
    stats::{self, DbOutcome},
};

mod iter_loop;

/// Longest input run, in operations: longer ones add little but time.
const MAX_OPS: usize = 256;
/// RocksDB opens per input: each costs milliseconds, a temporary database microseconds.
const MAX_ROCKSDB_OPENS: usize = 2;

/// Runs one input on fresh state, then frees every handle it left and checks the databases.
pub fn run(input: Input) {
    let mut harness = Harness::new();
    harness.rocksdb_first = input.first_db.rocksdb();
    for op in input.ops.iter().take(MAX_OPS) {
        harness.op(op);
    }
    harness.finish();
}

type DbId = usize;
type FamilyId = usize;
type HandleId = u64;

/// A database, as the model sees it.
struct Db {
    state: State,
    /// The patches merged so far, oldest first: their number is the version of the state.
    merges: Vec<Merge>,
    exact: bool,
    /// The RocksDB directory, for a RocksDB database.
    path: Option<PathBuf>,
    /// Whether the `mdb_db` handle is still open.
    handle_open: bool,
}

/// What a merged patch changed, to tell whether a later patch made from an older state
/// overlaps it.
struct Merge {
    touched: BTreeSet<Addr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FamilyKind {
    Fork,
    Patch,
    Snapshot,
    Helper { namespace: String },
}

/// A family: a parent handle's object and every child opened from it.
struct Family {
    db: DbId,
    kind: FamilyKind,
    /// Taken by a consuming call: every handle of the family is stale.
    consumed: bool,
    /// Children made in an earlier epoch are stale.
    epoch: u64,
    exact: bool,
    /// The database version the family's state was taken from.
    base_version: usize,
    state: State,
    /// The state `mdb_fork_rollback` returns to.
    checkpoint: State,
    /// Every address changed since the base state (conservatively: every successful write),
    /// and every index created since (it took an identifier).
    touched: BTreeSet<Addr>,
    /// Live handles of the family: the parent's and its children's.
    handles: usize,
    /// For a helper: whether its migration was aborted.
    aborted: bool,
}

impl Family {
    fn writable(&self) -> bool {
        matches!(self.kind, FamilyKind::Fork | FamilyKind::Helper { .. })
    }

    fn touch(&mut self, addr: &Addr) {
        self.touched.insert(addr.clone());
    }
}

/// A parent handle: a fork, patch, snapshot or helper.
struct ParentHandle<T> {
    ptr: *mut T,
    family: FamilyId,
}

/// An access: owned (a readonly fork or a namespaced access), or a parent's borrowed one.
#[derive(Clone)]
struct AccessInfo {
    ptr: *const mdb_access,
    family: FamilyId,
    /// `None` for a parent's own access, which is stale only once the parent is consumed.
    epoch: Option<u64>,
    readonly: bool,
    namespace: Namespace,
}

struct IndexHandle {
    id: HandleId,
    ptr: *mut c_void,
    kind: IndexKind,
    family: FamilyId,
    epoch: u64,
    addr: Addr,
    writable: bool,
    /// Live iterators over this handle.
    iterators: usize,
}

struct IterHandle {
    ptr: *mut mdb_iter,
    family: FamilyId,
    epoch: u64,
    index: HandleId,
    remaining: VecDeque<(Vec<u8>, Value)>,
    /// For a persistent iterator until its position is saved as ended: the position entry.
    position: Option<Addr>,
}

struct AbortHandle {
    ptr: *mut mdb_abort_handle,
    /// The helper family it aborts.
    family: FamilyId,
}

/// The statuses a call may return.
#[derive(Default)]
struct Expect {
    /// Errors that apply: the call must fail with one of them.
    errors: Vec<mdb_status>,
    /// Statuses allowed besides: where an inexact model cannot tell.
    maybe: Vec<mdb_status>,
}

impl Expect {
    fn error_if(&mut self, condition: bool, status: mdb_status) {
        if condition {
            self.errors.push(status);
        }
    }

    fn maybe_if(&mut self, condition: bool, status: mdb_status) {
        if condition {
            self.maybe.push(status);
        }
    }

    fn failing(&self) -> bool {
        !self.errors.is_empty()
    }
}

fn status_text(status: mdb_status) -> String {
    // SAFETY: `mdb_status_str` returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(mdb_status_str(status)) }
        .to_string_lossy()
        .into_owned()
}

fn last_error() -> String {
    // SAFETY: the message is valid until the next call on this thread.
    unsafe { CStr::from_ptr(mdb_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Checks a status against the expectation; returns whether the call succeeded.
#[track_caller]
fn check(call: &dyn Debug, status: mdb_status, expect: &Expect) -> bool {
    let message = last_error();
    let allowed = if expect.failing() {
        status != MDB_OK && (expect.errors.contains(&status) || expect.maybe.contains(&status))
    } else {
        status == MDB_OK || expect.maybe.contains(&status)
    };
    if !allowed {
        let names = |statuses: &[mdb_status]| {
            statuses
                .iter()
                .map(|&status| status_text(status))
                .collect::<Vec<_>>()
        };
        panic!(
            "{call:?}: returned {status} ({}: {message:?}); expected {}, or {:?}",
            status_text(status),
            if expect.failing() {
                format!("one of {:?}", names(&expect.errors))
            } else {
                "success".to_owned()
            },
            names(&expect.maybe),
        );
    }
    assert_eq!(
        message.is_empty(),
        status == MDB_OK,
        "{call:?}: the error message must be set exactly on failure (status {status}, message {message:?})"
    );
    status == MDB_OK
}

/// A value the harness writes into out-parameters before a call, to see them untouched on
/// failure.
fn sentinel<T>() -> *mut T {
    ptr::NonNull::dangling().as_ptr()
}

/// An out-parameter: NULL when the operation asks for it, else `slot`.
fn out<T>(null: bool, slot: &mut T) -> *mut T {
    if null {
        ptr::null_mut()
    } else {
        slot
    }
}

/// The bytes of an `mdb_bytes` (freed), or of a borrowed pointer and length.
fn take_bytes(bytes: &mut mdb_bytes) -> Vec<u8> {
    let copy = borrowed(bytes.data, bytes.len);
    // SAFETY: filled by the library, freed once here.
    unsafe { mdb_bytes_free(bytes) };
    assert!(
        bytes.data.is_null() && bytes.len == 0,
        "mdb_bytes_free resets the bytes"
    );
    copy
}

fn borrowed(data: *const u8, len: usize) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    assert!(!data.is_null(), "a non-empty output has a pointer");
    // SAFETY: the library lends `len` bytes at `data` until the next call.
    unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
}

fn empty_bytes() -> mdb_bytes {
    mdb_bytes {
        data: ptr::null_mut(),
        len: 0,
        capacity: 0,
    }
}

/// An index name as the library reads it: `Err` if the pointer is NULL with a length,
/// `Ok(None)` if it is not UTF-8.
fn name_arg(name: &CBytes) -> Result<Option<String>, ()> {
    let bytes = name.value().ok_or(())?;
    Ok(std::str::from_utf8(&bytes).ok().map(str::to_owned))
}

/// A group key as the library reads it: `Err` if invalid, `Ok(None)` outside any group.
fn key_arg(key: &GroupKey, c: &CBytes) -> Result<Option<Vec<u8>>, ()> {
    match key {
        GroupKey::None => Ok(None),
        _ => c.value().map(|bytes| Some(bytes.to_vec())).ok_or(()),
    }
}

static DIRECTORY_COUNTER: AtomicU64 = AtomicU64::new(0);

struct Harness {
    dbs: Vec<Db>,
    db_handles: Vec<(*mut mdb_db, DbId)>,
    families: Vec<Family>,
    forks: Vec<ParentHandle<mdb_fork>>,
    patches: Vec<ParentHandle<mdb_patch>>,
    snapshots: Vec<ParentHandle<mdb_snapshot>>,
    helpers: Vec<ParentHandle<mdb_migration_helper>>,
    accesses: Vec<AccessInfo>,
    indexes: Vec<IndexHandle>,
    iters: Vec<IterHandle>,
    aborts: Vec<AbortHandle>,
    next_id: HandleId,
    /// A directory for this input's RocksDB databases, made on first use.
    directory: Option<PathBuf>,
    rocksdb_opens: usize,
    /// Whether the next `mdb_db_open_temporary` opens a RocksDB database instead.
    rocksdb_first: bool,
    /// The latest checkpoint: its path and the state it holds.
    checkpoint: Option<(PathBuf, State, bool)>,
    /// Every address used, to check at the end that the absent ones are absent.
    seen: BTreeSet<Addr>,
}

impl Harness {
    fn new() -> Self {
        Self {
            dbs: Vec::new(),
            db_handles: Vec::new(),
            families: Vec::new(),
            forks: Vec::new(),
            patches: Vec::new(),
            snapshots: Vec::new(),
            helpers: Vec::new(),
            accesses: Vec::new(),
            indexes: Vec::new(),
            iters: Vec::new(),
            aborts: Vec::new(),
            next_id: 0,
            directory: None,
            rocksdb_opens: 0,
            rocksdb_first: false,
            checkpoint: None,
            seen: BTreeSet::new(),
        }
    }

    fn id(&mut self) -> HandleId {
        self.next_id += 1;
        self.next_id
    }

    fn new_family(&mut self, db: DbId, kind: FamilyKind, state: State, base: usize) -> FamilyId {
        let exact = self.dbs[db].exact;
        self.families.push(Family {
            db,
            kind,
            consumed: false,
            epoch: 0,
            exact,
            base_version: base,
            checkpoint: state.clone(),
            state,
            touched: BTreeSet::new(),
            handles: 1,
            aborted: false,
        });
        self.families.len() - 1
    }

    /// A new family on the current state of `db`.
    fn family_of_db(&mut self, db: DbId, kind: FamilyKind) -> FamilyId {
        let state = self.dbs[db].state.clone();
        let base = self.dbs[db].merges.len();
        self.new_family(db, kind, state, base)
    }

    fn stale(&self, family: FamilyId, epoch: u64) -> bool {
        let family = &self.families[family];
        family.consumed || family.epoch != epoch
    }

    fn directory(&mut self) -> PathBuf {
        if let Some(directory) = &self.directory {
            return directory.clone();
        }
        // RocksDB syncs its files: on a memory file system that costs nothing.
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let directory = base.join(format!(
            "metaldb-fuzz-{}-{}",
            std::process::id(),
            DIRECTORY_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&directory).expect("the temporary directory is writable");
        self.directory = Some(directory.clone());
        directory
    }

    /// Whether anything still holds the database open.
    fn db_alive(&self, db: DbId) -> bool {
        self.dbs[db].handle_open
            || self
                .families
                .iter()
                .any(|family| family.db == db && !family.consumed && family.handles > 0)
    }

    fn op(&mut self, op: &Op) {
        match op {
            // The input's first database on RocksDB, if it asks for it (`FirstDb`).
            Op::OpenTemporary { nulls } if self.rocksdb_first && !nulls.has(0) => {
                self.open_rocks(op, RocksOpen::Create { compression: 1 })
            }
            Op::OpenTemporary { nulls } => self.open_temporary(op, *nulls),
            // RocksDB costs a hundred times more than the in-memory database: one in sixteen
            // requests opens one.
            Op::OpenRocks { how, gate }
                if gate % 16 == 0 && self.rocksdb_opens < MAX_ROCKSDB_OPENS =>
            {
                self.open_rocks(op, *how)
            }
            Op::OpenRocks { .. } => {}
            Op::Snapshot { db, nulls } => self.snapshot(op, db.pick(self.db_handles.len()), *nulls),
            Op::ForkNew { db, nulls } => self.fork_new(op, db.pick(self.db_handles.len()), *nulls),
            Op::Merge { db, patch, sync } => self.merge(
                op,
                db.pick(self.db_handles.len()),
                patch.pick(self.patches.len()),
                *sync,
            ),
            Op::Checkpoint { db } => self.checkpoint(op, db.pick(self.db_handles.len())),
            Op::ForkReadonly { fork, nulls } => {
                self.fork_readonly(op, fork.pick(self.forks.len()), *nulls)
            }
            Op::ForkFlush { fork } => self.fork_flush(op, fork.pick(self.forks.len()), false),
            Op::ForkRollback { fork } => self.fork_flush(op, fork.pick(self.forks.len()), true),
            Op::ForkIntoPatch { fork, nulls } => {
                self.fork_into_patch(op, fork.pick(self.forks.len()), *nulls)
            }
            Op::PatchIntoFork { patch, nulls } => {
                self.patch_into_fork(op, patch.pick(self.patches.len()), *nulls)
            }
            Op::Namespaced {
                access,
                kind,
                namespace,
                nulls,
            } => {
                if let Some(access) = self.access(*access) {
                    self.namespaced(op, access, *kind, namespace, *nulls);
                }
            }
            Op::IndexType {
                access,
                name,
                key,
                nulls,
            } => {
                if let Some(access) = self.access(*access) {
                    self.index_type(op, access, name, key, *nulls);
                }
            }
            Op::Open {
                access,
                kind,
                name,
                key,
                nulls,
            } => {
                if let Some(access) = self.access(*access) {
                    self.open_index(op, access, *kind, name, key, *nulls);
                }
            }
            Op::Map { map, call } => {
                if let Some(pick) = self.index_pick(IndexKind::Map, |len| map.pick(len)) {
                    self.map_call(op, pick, call);
                }
            }
            Op::List { list, call } => {
                if let Some(pick) = self.index_pick(IndexKind::List, |len| list.pick(len)) {
                    self.list_call(op, pick, call);
                }
            }
            Op::SparseList { list, call } => {
                if let Some(pick) = self.index_pick(IndexKind::SparseList, |len| list.pick(len)) {
                    self.sparse_list_call(op, pick, call);
                }
            }
            Op::KeySet { set, call } => {
                if let Some(pick) = self.index_pick(IndexKind::KeySet, |len| set.pick(len)) {
                    self.key_set_call(op, pick, call);
                }
            }
            Op::Entry { entry, call } => {
                if let Some(pick) = self.index_pick(IndexKind::Entry, |len| entry.pick(len)) {
                    self.entry_call(op, pick, call);
                }
            }
            Op::IterNext { iter, steps, nulls } => {
                if let Some(pick) = iter.pick(self.iters.len()) {
                    for _ in 0..=steps % 4 {
                        self.iter_next(op, pick, *nulls);
                    }
                }
            }
            Op::Free { kind, handle } => self.free(*kind, *handle),
            Op::HelperNew {
                db,
                namespace,
                with_abort,
                nulls,
            } => self.helper_new(
                op,
                db.pick(self.db_handles.len()),
                namespace,
                *with_abort,
                *nulls,
            ),
            Op::HelperView {
                helper,
                view,
                nulls,
            } => self.helper_view(op, helper.pick(self.helpers.len()), *view, *nulls),
            Op::HelperMerge { helper } => {
                self.helper_merge(op, helper.pick(self.helpers.len()), false)
            }
            Op::HelperFinish { helper } => {
                self.helper_merge(op, helper.pick(self.helpers.len()), true)
            }
            Op::Abort { handle, call } => self.abort(op, handle.pick(self.aborts.len()), *call),
            Op::MigrationFinalize {
                fork,
                namespace,
                rollback,
            } => self.migration_finalize(op, fork.pick(self.forks.len()), namespace, *rollback),
            Op::Tombstone { access, name, key } => {
                if let Some(access) = self.access(*access) {
                    self.tombstone(op, access, name, key);
                }
            }
            Op::PersistentIter {
                access,
                name,
                kind,
                index,
                nulls,
            } => {
                let kind = if *kind == IndexKind::Entry {
                    IndexKind::Map
                } else {
                    *kind
                };
                if let Some(access) = self.access(*access) {
                    if let Some(pick) = self.index_pick(kind, |len| index.pick(len)) {
                        self.persistent_iter(op, access, name, kind, pick, *nulls);
                    }
                }
            }
            Op::IterLoop { helper, plan } => {
                self.iter_loop(op, helper.pick(self.helpers.len()), plan)
            }
            Op::LastError { buf_len } => last_error_copy(*buf_len),
        }
    }

    // Databases.

    fn open_temporary(&mut self, op: &Op, nulls: Nulls) {
        let mut db = sentinel();
        // SAFETY: a valid out-pointer, or NULL.
        let status = unsafe { mdb_db_open_temporary(out(nulls.has(0), &mut db)) };
        let mut expect = Expect::default();
        expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if check(op, status, &expect) {
            self.add_db(db, None, State::new(), true);
        }
    }

    fn add_db(&mut self, handle: *mut mdb_db, path: Option<PathBuf>, state: State, exact: bool) {
        self.dbs.push(Db {
            state,
            merges: Vec::new(),
            exact,
            path,
            handle_open: true,
        });
        self.db_handles.push((handle, self.dbs.len() - 1));
    }

    fn open_rocks(&mut self, op: &Op, how: RocksOpen) {
        self.rocksdb_opens += 1;
        self.rocksdb_first = false;
        let directory = self.directory();
        // SAFETY: `mdb_db_options_init` fills the struct of the size it is given.
        let mut options = unsafe {
            let mut options = std::mem::zeroed::<mdb_db_options>();
            let status = mdb_db_options_init(&mut options, std::mem::size_of_val(&options));
            assert_eq!(
                status, MDB_OK,
                "mdb_db_options_init with this header's size"
            );
            options
        };
        let mut expect = Expect::default();
        let fresh = || directory.join(format!("db-{}", self.dbs.len()));
        let (path, state, exact): (Vec<u8>, State, bool) = match how {
            RocksOpen::Create { compression } => {
                options.compression = [MDB_COMPRESSION_NONE, MDB_COMPRESSION_SNAPPY, 77]
                    [usize::from(compression) % 3];
                expect.error_if(options.compression == 77, MDB_ERR_INVALID_ARGUMENT);
                (path_bytes(&fresh()), State::new(), true)
            }
            RocksOpen::Missing => {
                options.create_if_missing = false;
                expect.error_if(true, MDB_ERR_STORAGE);
                (path_bytes(&fresh()), State::new(), true)
            }
            RocksOpen::Reopen => {
                let Some(db) = self.dbs.iter().rposition(|db| db.path.is_some()) else {
                    return;
                };
                expect.error_if(self.db_alive(db), MDB_ERR_STORAGE);
                let path = self.dbs[db].path.clone().expect("a RocksDB database");
                (
                    path_bytes(&path),
                    self.dbs[db].state.clone(),
                    self.dbs[db].exact,
                )
            }
            RocksOpen::Checkpoint => {
                let Some((path, state, exact)) = self.checkpoint.clone() else {
                    return;
                };
                let open = self
                    .dbs
                    .iter()
                    .enumerate()
                    .any(|(id, db)| db.path.as_ref() == Some(&path) && self.db_alive(id));
                expect.error_if(open, MDB_ERR_STORAGE);
                (path_bytes(&path), state, exact)
            }
            RocksOpen::NotUtf8 => {
                expect.error_if(true, MDB_ERR_INVALID_ARGUMENT);
                let mut path = path_bytes(&directory);
                path.extend_from_slice(b"/\xff\xfe");
                (path, State::new(), true)
            }
        };
        let c_path = std::ffi::CString::new(path.clone()).expect("no NUL in temporary paths");
        let mut db = sentinel();
        // SAFETY: a NUL-terminated path, valid options and out-pointer.
        let status = unsafe { mdb_db_open(c_path.as_ptr(), &options, &mut db) };
        if check(op, status, &expect) {
            let path = PathBuf::from(String::from_utf8(path).expect("opened paths are UTF-8"));
            self.add_db(db, Some(path), state, exact);
            let id = self.dbs.len() - 1;
            self.verify_db(id);
        } else {
            assert_eq!(db, sentinel(), "{op:?}: out_db written on failure");
        }
    }

    fn db_arg(&self, pick: Pick) -> (*mut mdb_db, Option<DbId>) {
        match pick {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (self.db_handles[i].0, Some(self.db_handles[i].1)),
        }
    }

    fn snapshot(&mut self, op: &Op, db: Option<Pick>, nulls: Nulls) {
        let Some(db) = db else { return };
        let (db_ptr, db) = self.db_arg(db);
        let mut snapshot = sentinel();
        // SAFETY: a live handle or NULL, and a valid out-pointer or NULL.
        let status = unsafe { mdb_snapshot_new(db_ptr, out(nulls.has(0), &mut snapshot)) };
        let mut expect = Expect::default();
        expect.error_if(db.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if check(op, status, &expect) {
            let family = self.family_of_db(db.expect("checked"), FamilyKind::Snapshot);
            self.snapshots.push(ParentHandle {
                ptr: snapshot,
                family,
            });
        }
    }

    fn fork_new(&mut self, op: &Op, db: Option<Pick>, nulls: Nulls) {
        let Some(db) = db else { return };
        let (db_ptr, db) = self.db_arg(db);
        let mut fork = sentinel();
        // SAFETY: as in `snapshot`.
        let status = unsafe { mdb_fork_new(db_ptr, out(nulls.has(0), &mut fork)) };
        let mut expect = Expect::default();
        expect.error_if(db.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if check(op, status, &expect) {
            let family = self.family_of_db(db.expect("checked"), FamilyKind::Fork);
            self.forks.push(ParentHandle { ptr: fork, family });
        }
    }

    fn merge(&mut self, op: &Op, db: Option<Pick>, patch: Option<Pick>, sync: bool) {
        let (Some(db), Some(patch)) = (db, patch) else {
            return;
        };
        let (db_ptr, db) = self.db_arg(db);
        let (patch_ptr, family) = match patch {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (self.patches[i].ptr, Some(self.patches[i].family)),
        };
        // SAFETY: live handles or NULL.
        let status = unsafe {
            if sync {
                mdb_db_merge_sync(db_ptr, patch_ptr)
            } else {
                mdb_db_merge(db_ptr, patch_ptr)
            }
        };
        let mut expect = Expect::default();
        expect.error_if(db.is_none() || family.is_none(), MDB_ERR_INVALID_ARGUMENT);
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        if let (Some(db), Some(family)) = (db, family) {
            expect.maybe_if(self.changes_index_types(db, family), MDB_ERR_CONFLICT);
        }
        let succeeded = check(op, status, &expect);
        if let (Some(db), Some(family)) = (db, family) {
            if !self.families[family].consumed {
                self.consume(family);
            }
            if succeeded {
                self.apply_to_db(db, family);
            }
        }
    }

    /// Ends a family: its handles are stale from now on.
    fn consume(&mut self, family: FamilyId) {
        let family = &mut self.families[family];
        family.consumed = true;
        family.epoch += 1;
    }

    /// Whether `family` holds an index of another type than `db` holds at the same address:
    /// the merge may then be refused with `MDB_ERR_CONFLICT` (the fork created it, and a merge
    /// since created it with another type).
    fn changes_index_types(&self, db: DbId, family: FamilyId) -> bool {
        let (family, db) = (&self.families[family], &self.dbs[db]);
        family
            .touched
            .iter()
            .any(|addr| match (family.state.get(addr), db.state.get(addr)) {
                (Some(ours), Some(theirs)) => ours.kind() != theirs.kind(),
                _ => false,
            })
    }

    /// Merges the changes of `family` into `db`, as the model can tell.
    fn apply_to_db(&mut self, db: DbId, family: FamilyId) {
        let family = &self.families[family];
        let target = &self.dbs[db];
        let same_db = family.db == db;
        // Merges land key by key, which the model does not follow: a patch that wrote an
        // address another merge wrote since its base makes the database inexact. Indexes
        // created by both are such addresses; indexes created by one each are not, since each
        // gets an identifier of its own.
        let overlaps = !same_db
            || target.merges[family.base_version.min(target.merges.len())..]
                .iter()
                .any(|merge| merge.touched.intersection(&family.touched).next().is_some());
        let exact = family.exact && !(overlaps && !family.touched.is_empty());
        let record = Merge {
            touched: family.touched.clone(),
        };
        let changes: Vec<(Addr, Option<Index>)> = family
            .touched
            .iter()
            .map(|addr| (addr.clone(), family.state.get(addr).cloned()))
            .collect();
        let target = &mut self.dbs[db];
        for (addr, index) in changes {
            match index {
                Some(index) => target.state.insert(addr, index),
                None => target.state.remove(&addr),
            };
        }
        target.merges.push(record);
        target.exact &= exact;
    }

    fn checkpoint(&mut self, op: &Op, db: Option<Pick>) {
        let Some(db) = db else { return };
        if self.checkpoint.is_some() {
            return;
        }
        let (db_ptr, db) = self.db_arg(db);
        let path = self.directory().join("checkpoint");
        let c_path = std::ffi::CString::new(path_bytes(&path)).expect("no NUL");
        // SAFETY: a live handle or NULL, a NUL-terminated path.
        let status = unsafe { mdb_db_checkpoint(db_ptr, c_path.as_ptr()) };
        let mut expect = Expect::default();
        expect.error_if(
            db.is_none_or(|db| self.dbs[db].path.is_none()),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if check(op, status, &expect) {
            let db = &self.dbs[db.expect("checked")];
            self.checkpoint = Some((path, db.state.clone(), db.exact));
        }
    }

    // Forks and patches.

    fn fork_arg(&self, pick: Pick) -> (*mut mdb_fork, Option<FamilyId>) {
        match pick {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (self.forks[i].ptr, Some(self.forks[i].family)),
        }
    }

    fn fork_readonly(&mut self, op: &Op, fork: Option<Pick>, nulls: Nulls) {
        let Some(fork) = fork else { return };
        let (fork_ptr, family) = self.fork_arg(fork);
        let mut access = sentinel();
        // SAFETY: a live handle or NULL, and an out-pointer or NULL.
        let status = unsafe { mdb_fork_readonly(fork_ptr, out(nulls.has(0), &mut access)) };
        let mut expect = Expect::default();
        expect.error_if(family.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        if check(op, status, &expect) {
            let family = family.expect("checked");
            self.add_access(access, family, true, Namespace::None);
        }
    }

    fn add_access(
        &mut self,
        ptr: *mut mdb_access,
        family: FamilyId,
        readonly: bool,
        namespace: Namespace,
    ) {
        let epoch = self.families[family].epoch;
        self.families[family].handles += 1;
        self.accesses.push(AccessInfo {
            ptr,
            family,
            epoch: Some(epoch),
            readonly,
            namespace,
        });
    }

    fn fork_flush(&mut self, op: &Op, fork: Option<Pick>, rollback: bool) {
        let Some(fork) = fork else { return };
        let (fork_ptr, family) = self.fork_arg(fork);
        // SAFETY: a live handle or NULL.
        let status = unsafe {
            if rollback {
                mdb_fork_rollback(fork_ptr)
            } else {
                mdb_fork_flush(fork_ptr)
            }
        };
        let mut expect = Expect::default();
        expect.error_if(family.is_none(), MDB_ERR_INVALID_ARGUMENT);
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        if check(op, status, &expect) {
            let family = &mut self.families[family.expect("checked")];
            if rollback {
                family.state = family.checkpoint.clone();
                family.epoch += 1;
            } else {
                family.checkpoint = family.state.clone();
            }
        }
    }

    fn fork_into_patch(&mut self, op: &Op, fork: Option<Pick>, nulls: Nulls) {
        let Some(fork) = fork else { return };
        let (fork_ptr, family) = self.fork_arg(fork);
        let mut patch = sentinel();
        // SAFETY: a live handle or NULL, and an out-pointer or NULL.
        let status = unsafe { mdb_fork_into_patch(fork_ptr, out(nulls.has(0), &mut patch)) };
        let mut expect = Expect::default();
        expect.error_if(family.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        if check(op, status, &expect) {
            let family = family.expect("checked");
            self.consume(family);
            let new = self.derived_family(family, FamilyKind::Patch);
            self.patches.push(ParentHandle {
                ptr: patch,
                family: new,
            });
        }
    }

    /// A family that carries on the state and changes of a consumed one (a fork's patch, a
    /// patch's fork).
    fn derived_family(&mut self, from: FamilyId, kind: FamilyKind) -> FamilyId {
        let from = &self.families[from];
        let (db, state, base) = (from.db, from.state.clone(), from.base_version);
        let (touched, exact) = (from.touched.clone(), from.exact);
        let id = self.new_family(db, kind, state, base);
        let family = &mut self.families[id];
        family.touched = touched;
        family.exact = exact;
        id
    }

    fn patch_into_fork(&mut self, op: &Op, patch: Option<Pick>, nulls: Nulls) {
        let Some(patch) = patch else { return };
        let (patch_ptr, family) = match patch {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (self.patches[i].ptr, Some(self.patches[i].family)),
        };
        let mut fork = sentinel();
        // SAFETY: a live handle or NULL, and an out-pointer or NULL.
        let status = unsafe { mdb_patch_into_fork(patch_ptr, out(nulls.has(0), &mut fork)) };
        let mut expect = Expect::default();
        expect.error_if(family.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        if check(op, status, &expect) {
            let family = family.expect("checked");
            self.consume(family);
            let new = self.derived_family(family, FamilyKind::Fork);
            self.forks.push(ParentHandle {
                ptr: fork,
                family: new,
            });
        }
    }

    // Accesses.

    /// Resolves an access argument; `None` if there is no such handle (the operation is
    /// skipped), an `AccessInfo` with a NULL pointer for NULL.
    fn access(&self, arg: AccessArg) -> Option<AccessInfo> {
        let root = |ptr: *const mdb_access, family: FamilyId, readonly: bool| AccessInfo {
            ptr,
            family,
            epoch: None,
            readonly,
            namespace: Namespace::None,
        };
        let null = AccessInfo {
            ptr: ptr::null(),
            family: usize::MAX,
            epoch: None,
            readonly: false,
            namespace: Namespace::None,
        };
        // SAFETY (all three `_as_access`): live handles.
        Some(match arg {
            AccessArg::Fork(slot) => match slot.pick(self.forks.len())? {
                Pick::Null => null,
                Pick::Index(i) => root(
                    unsafe { mdb_fork_as_access(self.forks[i].ptr) },
                    self.forks[i].family,
                    false,
                ),
            },
            AccessArg::Patch(slot) => match slot.pick(self.patches.len())? {
                Pick::Null => null,
                Pick::Index(i) => root(
                    unsafe { mdb_patch_as_access(self.patches[i].ptr) },
                    self.patches[i].family,
                    true,
                ),
            },
            AccessArg::Snapshot(slot) => match slot.pick(self.snapshots.len())? {
                Pick::Null => null,
                Pick::Index(i) => root(
                    unsafe { mdb_snapshot_as_access(self.snapshots[i].ptr) },
                    self.snapshots[i].family,
                    true,
                ),
            },
            AccessArg::Owned(slot) => match slot.pick(self.accesses.len())? {
                Pick::Null => null,
                Pick::Index(i) => self.accesses[i].clone(),
            },
        })
    }

    fn access_stale(&self, access: &AccessInfo) -> bool {
        let family = &self.families[access.family];
        family.consumed || access.epoch.is_some_and(|epoch| epoch != family.epoch)
    }

    /// Whether indexes opened through the access can write.
    fn access_writable(&self, access: &AccessInfo) -> bool {
        !access.readonly && self.families[access.family].writable()
    }

    fn namespaced(
        &mut self,
        op: &Op,
        access: AccessInfo,
        kind: NamespaceKind,
        namespace: &Name,
        nulls: Nulls,
    ) {
        let c_namespace = namespace.to_c_namespace();
        let mut new = sentinel();
        let function = match kind {
            NamespaceKind::Prefixed => mdb_access_prefixed,
            NamespaceKind::Migration => mdb_access_migration,
            NamespaceKind::Scratchpad => mdb_access_scratchpad,
        };
        // SAFETY: a live access or NULL, a string argument and an out-pointer or NULL.
        let status = unsafe {
            function(
                access.ptr,
                c_namespace.ptr().cast(),
                c_namespace.len(),
                out(nulls.has(0), &mut new),
            )
        };
        let mut expect = Expect::default();
        let name = name_arg(&c_namespace);
        expect.error_if(
            access.ptr.is_null()
                || nulls.has(0)
                || !matches!(&name, Ok(Some(name)) if model::valid_component(name)),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if !access.ptr.is_null() {
            expect.error_if(self.access_stale(&access), MDB_ERR_STALE_HANDLE);
            expect.error_if(
                access.namespace != Namespace::None,
                MDB_ERR_INVALID_ARGUMENT,
            );
        }
        if check(op, status, &expect) {
            let name = name.expect("checked").expect("checked");
            let namespace = match kind {
                NamespaceKind::Prefixed => Namespace::Prefixed(name),
                NamespaceKind::Migration => Namespace::Migration(name),
                NamespaceKind::Scratchpad => Namespace::Scratchpad(name),
            };
            self.add_access(new, access.family, access.readonly, namespace);
        }
    }

    /// Resolves the address arguments of a call on `access`, adding the argument errors to
    /// `expect`; `None` when an argument error applies.
    fn address(
        &mut self,
        expect: &mut Expect,
        access: &AccessInfo,
        name: &CBytes,
        key: &GroupKey,
        c_key: &CBytes,
    ) -> Option<Addr> {
        let name = name_arg(name);
        let key = key_arg(key, c_key);
        expect.error_if(
            access.ptr.is_null() || !matches!(name, Ok(Some(_))) || key.is_err(),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if access.ptr.is_null() {
            return None;
        }
        expect.error_if(self.access_stale(access), MDB_ERR_STALE_HANDLE);
        let (Ok(Some(name)), Ok(key)) = (name, key) else {
            return None;
        };
        let addr = model::resolve(&access.namespace, &name, key);
        expect.error_if(addr.is_none(), MDB_ERR_INVALID_ARGUMENT);
        if let Some(addr) = &addr {
            self.seen.insert(addr.clone());
        }
        addr
    }

    fn index_type(
        &mut self,
        op: &Op,
        access: AccessInfo,
        name: &Name,
        key: &GroupKey,
        nulls: Nulls,
    ) {
        let (c_name, c_key) = (name.to_c_name(), key.to_c());
        let (mut code, mut found) = (u32::MAX, true);
        // SAFETY: a live access or NULL, string arguments, out-pointers or NULL.
        let status = unsafe {
            mdb_access_index_type(
                access.ptr,
                c_name.ptr().cast(),
                c_name.len(),
                c_key.ptr(),
                c_key.len(),
                out(nulls.has(0), &mut code),
                out(nulls.has(1), &mut found),
            )
        };
        let mut expect = Expect::default();
        expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
        let addr = self.address(&mut expect, &access, &c_name, key, &c_key);
        if check(op, status, &expect) {
            let family = &self.families[access.family];
            let addr = addr.expect("checked");
            let expected = family.state.get(&addr).map(Index::type_code);
            if family.exact {
                assert_eq!(
                    found.then_some(code),
                    expected,
                    "{op:?}: the type of {addr:?}"
                );
            }
        } else {
            assert!(
                code == u32::MAX && found,
                "{op:?}: outputs written on failure"
            );
        }
    }

    /// The live handles of a fork or helper family that hold `addr`: (writable, count).
    fn holders(&self, family: FamilyId, addr: &Addr) -> (usize, usize) {
        let epoch = self.families[family].epoch;
        let mut writable = 0;
        let mut readonly = 0;
        for index in &self.indexes {
            if index.family == family && index.epoch == epoch && &index.addr == addr {
                if index.writable {
                    writable += 1;
                } else {
                    readonly += 1;
                }
            }
        }
        for iter in &self.iters {
            if iter.family == family && iter.epoch == epoch && iter.position.as_ref() == Some(addr)
            {
                writable += 1;
            }
        }
        (writable, readonly)
    }

    /// Adds the expectations of opening `kind` at `addr` in the access's family, with
    /// `writable` handles: the wrong type, or a conflicting handle.
    fn open_expectations(
        &self,
        expect: &mut Expect,
        family: FamilyId,
        addr: &Addr,
        kind: IndexKind,
        writable: bool,
    ) {
        let fam = &self.families[family];
        if let Some(index) = fam.state.get(addr) {
            expect.error_if(index.kind() != Kind::Index(kind), MDB_ERR_WRONG_TYPE);
        }
        expect.maybe_if(!fam.exact, MDB_ERR_WRONG_TYPE);
        if fam.writable() {
            let (writers, readers) = self.holders(family, addr);
            expect.error_if(writers > 0 || (writable && readers > 0), MDB_ERR_BORROWED);
        }
    }

    fn open_index(
        &mut self,
        op: &Op,
        access: AccessInfo,
        kind: IndexKind,
        name: &Name,
        key: &GroupKey,
        nulls: Nulls,
    ) {
        let (c_name, c_key) = (name.to_c_name(), key.to_c());
        let mut index: *mut c_void = sentinel();
        let out_index = out(nulls.has(0), &mut index);
        // SAFETY: a live access or NULL, string arguments, an out-pointer or NULL (cast to the
        // handle type of the opener, which is all it writes).
        let status = unsafe {
            let (a, n, nl, k, kl) = (
                access.ptr,
                c_name.ptr().cast(),
                c_name.len(),
                c_key.ptr(),
                c_key.len(),
            );
            match kind {
                IndexKind::Map => mdb_access_map(a, n, nl, k, kl, out_index.cast()),
                IndexKind::List => mdb_access_list(a, n, nl, k, kl, out_index.cast()),
                IndexKind::Entry => mdb_access_entry(a, n, nl, k, kl, out_index.cast()),
                IndexKind::KeySet => mdb_access_key_set(a, n, nl, k, kl, out_index.cast()),
                IndexKind::SparseList => mdb_access_sparse_list(a, n, nl, k, kl, out_index.cast()),
            }
        };
        let mut expect = Expect::default();
        expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        let addr = self.address(&mut expect, &access, &c_name, key, &c_key);
        let writable = !access.ptr.is_null() && self.access_writable(&access);
        if let Some(addr) = &addr {
            if !self.access_stale(&access) {
                self.open_expectations(&mut expect, access.family, addr, kind, writable);
            }
        }
        if check(op, status, &expect) {
            let addr = addr.expect("checked");
            let family = &mut self.families[access.family];
            if writable && !family.state.contains_key(&addr) {
                family.state.insert(addr.clone(), Index::empty(kind));
                family.touch(&addr);
            }
            family.handles += 1;
            let (epoch, id) = (family.epoch, self.id());
            self.indexes.push(IndexHandle {
                id,
                ptr: index,
                kind,
                family: access.family,
                epoch,
                addr,
                writable,
                iterators: 0,
            });
        } else {
            assert_eq!(index, sentinel(), "{op:?}: out_index written on failure");
        }
    }

    // Index calls.

    /// Picks among the live index handles of `kind`.
    fn index_pick(
        &self,
        kind: IndexKind,
        pick: impl FnOnce(usize) -> Option<Pick>,
    ) -> Option<IndexPick> {
        let of_kind: Vec<usize> = (0..self.indexes.len())
            .filter(|&i| self.indexes[i].kind == kind)
            .collect();
        Some(match pick(of_kind.len())? {
            Pick::Null => IndexPick::Null,
            Pick::Index(i) => IndexPick::Handle(of_kind[i]),
        })
    }

    /// The receiver of an index call: its pointer, and the expectations of reads (`write`
    /// false) or writes through it.
    fn receiver(&self, pick: IndexPick, write: bool) -> (*mut c_void, Expect) {
        let mut expect = Expect::default();
        let IndexPick::Handle(i) = pick else {
            expect.error_if(true, MDB_ERR_INVALID_ARGUMENT);
            return (ptr::null_mut(), expect);
        };
        let index = &self.indexes[i];
        expect.error_if(self.stale(index.family, index.epoch), MDB_ERR_STALE_HANDLE);
        if write {
            expect.error_if(!index.writable, MDB_ERR_READONLY);
            expect.error_if(index.iterators > 0, MDB_ERR_BORROWED);
        }
        (index.ptr, expect)
    }

    /// The model's index behind a handle (its family's state, or empty where the access
    /// could not create it), and whether the model knows it exactly.
    fn model_index(&self, pick: IndexPick) -> (Index, bool) {
        let IndexPick::Handle(i) = pick else {
            unreachable!("only successful calls are modelled")
        };
        let handle = &self.indexes[i];
        let family = &self.families[handle.family];
        let index = family
            .state
            .get(&handle.addr)
            .cloned()
            .unwrap_or_else(|| Index::empty(handle.kind));
        if family.exact {
            assert_eq!(
                index.kind(),
                Kind::Index(handle.kind),
                "model: a live handle's index changed type"
            );
        }
        (index, family.exact)
    }

    /// Stores a changed index through a writable handle.
    fn store(&mut self, pick: IndexPick, index: Index) {
        let IndexPick::Handle(i) = pick else {
            unreachable!("only successful calls are modelled")
        };
        let (family, addr) = (self.indexes[i].family, self.indexes[i].addr.clone());
        let family = &mut self.families[family];
        if family.exact {
            family.state.insert(addr.clone(), index);
        }
        family.touch(&addr);
    }

    fn map_call(&mut self, op: &Op, pick: IndexPick, call: &MapCall) {
        let write = matches!(
            call,
            MapCall::Put { .. } | MapCall::Remove { .. } | MapCall::Clear
        );
        let (map, mut expect) = self.receiver(pick, write);
        let map: *mut mdb_map = map.cast();
        match call {
            MapCall::Get { key, nulls } | MapCall::Contains { key, nulls } => {
                let c_key = key.to_c();
                let (mut value, mut found) = (empty_bytes(), false);
                let contains = matches!(call, MapCall::Contains { .. });
                // SAFETY: a live handle or NULL, a byte argument, out-pointers or NULL.
                let status = unsafe {
                    if contains {
                        mdb_map_contains(
                            map,
                            c_key.ptr(),
                            c_key.len(),
                            out(nulls.has(0), &mut found),
                        )
                    } else {
                        mdb_map_get(
                            map,
                            c_key.ptr(),
                            c_key.len(),
                            out(nulls.has(0), &mut value),
                            out(nulls.has(1), &mut found),
                        )
                    }
                };
                expect.error_if(
                    nulls.any(if contains { 1 } else { 2 }) || c_key.value().is_none(),
                    MDB_ERR_INVALID_ARGUMENT,
                );
                if check(op, status, &expect) {
                    let (index, exact) = self.model_index(pick);
                    let Index::Map(model) = index else { return };
                    let expected = model.get(&c_key.value().expect("checked")[..]);
                    let actual = (!contains && found).then(|| take_bytes(&mut value));
                    if exact {
                        assert_eq!(found, expected.is_some(), "{op:?}: found");
                        if let Some(actual) = actual {
                            assert_eq!(Some(&actual[..]), expected.map(|v| &v[..]), "{op:?}");
                        }
                    }
                }
            }
            MapCall::Put { key, value } => {
                let (c_key, c_value) = (key.to_c(), value.to_c());
                // SAFETY: a live handle or NULL and byte arguments.
                let status = unsafe {
                    mdb_map_put(map, c_key.ptr(), c_key.len(), c_value.ptr(), c_value.len())
                };
                expect.error_if(
                    c_key.value().is_none() || c_value.value().is_none(),
                    MDB_ERR_INVALID_ARGUMENT,
                );
                if check(op, status, &expect) {
                    let (mut index, _) = self.model_index(pick);
                    if let Index::Map(model) = &mut index {
                        model.insert(
                            c_key.value().expect("checked").to_vec(),
                            c_value.value().expect("checked"),
                        );
                    }
                    self.store(pick, index);
                }
            }
            MapCall::Remove { key } => {
                let c_key = key.to_c();
                // SAFETY: a live handle or NULL and a byte argument.
                let status = unsafe { mdb_map_remove(map, c_key.ptr(), c_key.len()) };
                expect.error_if(c_key.value().is_none(), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (mut index, _) = self.model_index(pick);
                    if let Index::Map(model) = &mut index {
                        model.remove(&c_key.value().expect("checked")[..]);
                    }
                    self.store(pick, index);
                }
            }
            MapCall::Clear => {
                // SAFETY: a live handle or NULL.
                let status = unsafe { mdb_map_clear(map) };
                if check(op, status, &expect) {
                    self.store(pick, Index::empty(IndexKind::Map));
                }
            }
            MapCall::Iter { from, nulls } => {
                let c_from = from.to_c();
                let mut iter = sentinel();
                // SAFETY: a live handle or NULL, a byte argument, an out-pointer or NULL.
                let status = unsafe {
                    mdb_map_iter(
                        map,
                        c_from.ptr(),
                        c_from.len(),
                        out(nulls.has(0), &mut iter),
                    )
                };
                expect.error_if(
                    nulls.has(0) || c_from.value().is_none(),
                    MDB_ERR_INVALID_ARGUMENT,
                );
                let succeeded = check(op, status, &expect);
                self.iter_opened(
                    op,
                    succeeded,
                    pick,
                    iter,
                    &c_from.value().unwrap_or_else(|| Rc::from(&[][..])),
                );
            }
        }
    }

    /// Records a new iterator over the handle `pick`, from `from`.
    fn iter_opened(
        &mut self,
        op: &Op,
        succeeded: bool,
        pick: IndexPick,
        iter: *mut mdb_iter,
        from: &[u8],
    ) {
        if !succeeded {
            assert_eq!(iter, sentinel(), "{op:?}: out_iter written on failure");
            return;
        }
        let (index, _) = self.model_index(pick);
        let remaining = index.entries_from(from).into();
        self.add_iter(pick, iter, remaining, None);
    }

    fn add_iter(
        &mut self,
        pick: IndexPick,
        iter: *mut mdb_iter,
        remaining: VecDeque<(Vec<u8>, Value)>,
        position: Option<Addr>,
    ) {
        let IndexPick::Handle(i) = pick else {
            unreachable!("only successful calls are modelled")
        };
        let index = &mut self.indexes[i];
        index.iterators += 1;
        let (family, id) = (index.family, index.id);
        self.families[family].handles += 1;
        self.iters.push(IterHandle {
            ptr: iter,
            family,
            epoch: self.families[family].epoch,
            index: id,
            remaining,
            position,
        });
    }

    fn list_call(&mut self, op: &Op, pick: IndexPick, call: &ListCall) {
        let write = matches!(
            call,
            ListCall::Push { .. }
                | ListCall::Pop { .. }
                | ListCall::Set { .. }
                | ListCall::Truncate { .. }
                | ListCall::Clear
        );
        let (list, mut expect) = self.receiver(pick, write);
        let list: *mut mdb_list = list.cast();
        let model = |harness: &Self| match harness.model_index(pick) {
            (Index::List(list), exact) => (list, exact),
            (_, exact) => (Vec::new(), exact),
        };
        match call {
            ListCall::Get { position, nulls } => {
                let position = position.get();
                let (mut value, mut found) = (empty_bytes(), false);
                // SAFETY: a live handle or NULL, out-pointers or NULL.
                let status = unsafe {
                    mdb_list_get(
                        list,
                        position,
                        out(nulls.has(0), &mut value),
                        out(nulls.has(1), &mut found),
                    )
                };
                expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (model, exact) = model(self);
                    let expected = usize::try_from(position).ok().and_then(|p| model.get(p));
                    compare_lookup(op, exact, found, &mut value, expected);
                }
            }
            ListCall::Last { nulls } => {
                let (mut value, mut found) = (empty_bytes(), false);
                // SAFETY: as above.
                let status = unsafe {
                    mdb_list_last(
                        list,
                        out(nulls.has(0), &mut value),
                        out(nulls.has(1), &mut found),
                    )
                };
                expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (model, exact) = model(self);
                    compare_lookup(op, exact, found, &mut value, model.last());
                }
            }
            ListCall::Len { nulls } => {
                let mut len = u64::MAX;
                // SAFETY: as above.
                let status = unsafe { mdb_list_len(list, out(nulls.has(0), &mut len)) };
                expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (model, exact) = model(self);
                    if exact {
                        assert_eq!(len, model.len() as u64, "{op:?}: length");
                    }
                }
            }
            ListCall::Push { value } => {
                let c_value = value.to_c();
                // SAFETY: a live handle or NULL and a byte argument.
                let status = unsafe { mdb_list_push(list, c_value.ptr(), c_value.len()) };
                expect.error_if(c_value.value().is_none(), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (mut model, _) = model(self);
                    model.push(c_value.value().expect("checked"));
                    self.store(pick, Index::List(model));
                }
            }
            ListCall::Pop { nulls } => {
                let (mut value, mut found) = (empty_bytes(), false);
                // SAFETY: a live handle or NULL, out-pointers or NULL.
                let status = unsafe {
                    mdb_list_pop(
                        list,
                        out(nulls.has(0), &mut value),
                        out(nulls.has(1), &mut found),
                    )
                };
                expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (mut model, exact) = model(self);
                    let expected = model.pop();
                    compare_lookup(op, exact, found, &mut value, expected.as_ref());
                    self.store(pick, Index::List(model));
                }
            }
            ListCall::Set { position, value } => {
                let (position, c_value) = (position.get(), value.to_c());
                // SAFETY: a live handle or NULL and a byte argument.
                let status = unsafe { mdb_list_set(list, position, c_value.ptr(), c_value.len()) };
                expect.error_if(c_value.value().is_none(), MDB_ERR_INVALID_ARGUMENT);
                let (mut model, exact) = match pick {
                    IndexPick::Handle(_) => model(self),
                    IndexPick::Null => (Vec::new(), true),
                };
                if let IndexPick::Handle(_) = pick {
                    expect.error_if(
                        exact && position >= model.len() as u64,
                        MDB_ERR_OUT_OF_RANGE,
                    );
                    expect.maybe_if(!exact, MDB_ERR_OUT_OF_RANGE);
                }
                if check(op, status, &expect) {
                    if let Some(slot) = usize::try_from(position)
                        .ok()
                        .and_then(|p| model.get_mut(p))
                    {
                        *slot = c_value.value().expect("checked");
                    }
                    self.store(pick, Index::List(model));
                }
            }
            ListCall::Truncate { len } => {
                let len = len.get();
                // SAFETY: a live handle or NULL.
                let status = unsafe { mdb_list_truncate(list, len) };
                if check(op, status, &expect) {
                    let (mut model, _) = model(self);
                    model.truncate(usize::try_from(len).unwrap_or(usize::MAX));
                    self.store(pick, Index::List(model));
                }
            }
            ListCall::Clear => {
                // SAFETY: a live handle or NULL.
                let status = unsafe { mdb_list_clear(list) };
                if check(op, status, &expect) {
                    self.store(pick, Index::empty(IndexKind::List));
                }
            }
            ListCall::Iter { from, nulls } => {
                let from = from.get();
                let mut iter = sentinel();
                // SAFETY: a live handle or NULL, an out-pointer or NULL.
                let status = unsafe { mdb_list_iter(list, from, out(nulls.has(0), &mut iter)) };
                expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
                let succeeded = check(op, status, &expect);
                self.iter_opened(op, succeeded, pick, iter, &from.to_be_bytes());
            }
        }
    }

    fn sparse_list_call(&mut self, op: &Op, pick: IndexPick, call: &SparseListCall) {
        let write = matches!(
            call,
            SparseListCall::Push { .. }
                | SparseListCall::Set { .. }
                | SparseListCall::Remove { .. }
                | SparseListCall::Pop { .. }
                | SparseListCall::Clear
        );
        let (list, mut expect) = self.receiver(pick, write);
        let list: *mut mdb_sparse_list = list.cast();
        let model = |harness: &Self| match harness.model_index(pick) {
            (Index::SparseList { items, capacity }, exact) => (items, capacity, exact),
            (_, exact) => (Default::default(), 0, exact),
        };
        match call {
            SparseListCall::Get { position, nulls } => {
                let position = position.get();
                let (mut value, mut found) = (empty_bytes(), false);
                // SAFETY: a live handle or NULL, out-pointers or NULL.
                let status = unsafe {
                    mdb_sparse_list_get(
                        list,
                        position,
                        out(nulls.has(0), &mut value),
                        out(nulls.has(1), &mut found),
                    )
                };
                expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (items, _, exact) = model(self);
                    compare_lookup(op, exact, found, &mut value, items.get(&position));
                }
            }
            SparseListCall::Len { nulls } | SparseListCall::Capacity { nulls } => {
                let capacity = matches!(call, SparseListCall::Capacity { .. });
                let mut number = u64::MAX - 7;
                // SAFETY: a live handle or NULL, an out-pointer or NULL.
                let status = unsafe {
                    if capacity {
                        mdb_sparse_list_capacity(list, out(nulls.has(0), &mut number))
                    } else {
                        mdb_sparse_list_len(list, out(nulls.has(0), &mut number))
                    }
                };
                expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (items, model_capacity, exact) = model(self);
                    let expected = if capacity {
                        model_capacity
                    } else {
                        items.len() as u64
                    };
                    if exact {
                        assert_eq!(number, expected, "{op:?}");
                    }
                }
            }
            SparseListCall::Push { value } => {
                let c_value = value.to_c();
                // SAFETY: a live handle or NULL and a byte argument.
                let status = unsafe { mdb_sparse_list_push(list, c_value.ptr(), c_value.len()) };
                expect.error_if(c_value.value().is_none(), MDB_ERR_INVALID_ARGUMENT);
                let (mut items, mut capacity, exact) = match pick {
                    IndexPick::Handle(_) => model(self),
                    IndexPick::Null => (Default::default(), 0, true),
                };
                if let IndexPick::Handle(_) = pick {
                    expect.error_if(exact && capacity == u64::MAX, MDB_ERR_OUT_OF_RANGE);
                    expect.maybe_if(!exact, MDB_ERR_OUT_OF_RANGE);
                }
                if check(op, status, &expect) {
                    items.insert(capacity, c_value.value().expect("checked"));
                    capacity = capacity.saturating_add(1);
                    self.store(pick, Index::SparseList { items, capacity });
                }
            }
            SparseListCall::Set {
                position,
                value,
                nulls,
            } => {
                let (position, c_value) = (position.get(), value.to_c());
                let (mut old, mut found) = (empty_bytes(), false);
                // SAFETY: a live handle or NULL, a byte argument, out-pointers or NULL.
                let status = unsafe {
                    mdb_sparse_list_set(
                        list,
                        position,
                        c_value.ptr(),
                        c_value.len(),
                        out(nulls.has(0), &mut old),
                        out(nulls.has(1), &mut found),
                    )
                };
                expect.error_if(
                    nulls.any(2) || c_value.value().is_none(),
                    MDB_ERR_INVALID_ARGUMENT,
                );
                let (mut items, mut capacity, exact) = match pick {
                    IndexPick::Handle(_) => model(self),
                    IndexPick::Null => (Default::default(), 0, true),
                };
                if let IndexPick::Handle(_) = pick {
                    expect.error_if(
                        exact && position == u64::MAX && !items.contains_key(&position),
                        MDB_ERR_OUT_OF_RANGE,
                    );
                    expect.maybe_if(!exact, MDB_ERR_OUT_OF_RANGE);
                }
                if check(op, status, &expect) {
                    let replaced = items.insert(position, c_value.value().expect("checked"));
                    capacity = capacity.max(position.saturating_add(1));
                    compare_lookup(op, exact, found, &mut old, replaced.as_ref());
                    self.store(pick, Index::SparseList { items, capacity });
                }
            }
            SparseListCall::Remove { position, nulls } => {
                let position = position.get();
                let (mut value, mut found) = (empty_bytes(), false);
                // SAFETY: a live handle or NULL, out-pointers or NULL.
                let status = unsafe {
                    mdb_sparse_list_remove(
                        list,
                        position,
                        out(nulls.has(0), &mut value),
                        out(nulls.has(1), &mut found),
                    )
                };
                expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (mut items, capacity, exact) = model(self);
                    let removed = items.remove(&position);
                    compare_lookup(op, exact, found, &mut value, removed.as_ref());
                    self.store(pick, Index::SparseList { items, capacity });
                }
            }
            SparseListCall::Pop { nulls } => {
                let (mut value, mut found) = (empty_bytes(), false);
                // SAFETY: a live handle or NULL, out-pointers or NULL.
                let status = unsafe {
                    mdb_sparse_list_pop(
                        list,
                        out(nulls.has(0), &mut value),
                        out(nulls.has(1), &mut found),
                    )
                };
                expect.error_if(nulls.any(2), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (mut items, capacity, exact) = model(self);
                    let removed = items.pop_first().map(|(_, value)| value);
                    compare_lookup(op, exact, found, &mut value, removed.as_ref());
                    self.store(pick, Index::SparseList { items, capacity });
                }
            }
            SparseListCall::Clear => {
                // SAFETY: a live handle or NULL.
                let status = unsafe { mdb_sparse_list_clear(list) };
                if check(op, status, &expect) {
                    self.store(pick, Index::empty(IndexKind::SparseList));
                }
            }
            SparseListCall::Iter { from, nulls } => {
                let from = from.get();
                let mut iter = sentinel();
                // SAFETY: a live handle or NULL, an out-pointer or NULL.
                let status =
                    unsafe { mdb_sparse_list_iter(list, from, out(nulls.has(0), &mut iter)) };
                expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
                let succeeded = check(op, status, &expect);
                self.iter_opened(op, succeeded, pick, iter, &from.to_be_bytes());
            }
        }
    }

    fn key_set_call(&mut self, op: &Op, pick: IndexPick, call: &KeySetCall) {
        let write = matches!(
            call,
            KeySetCall::Insert { .. } | KeySetCall::Remove { .. } | KeySetCall::Clear
        );
        let (set, mut expect) = self.receiver(pick, write);
        let set: *mut mdb_key_set = set.cast();
        let model = |harness: &Self| match harness.model_index(pick) {
            (Index::KeySet(set), exact) => (set, exact),
            (_, exact) => (Default::default(), exact),
        };
        match call {
            KeySetCall::Contains { key, nulls } => {
                let c_key = key.to_c();
                let mut found = false;
                // SAFETY: a live handle or NULL, a byte argument, an out-pointer or NULL.
                let status = unsafe {
                    mdb_key_set_contains(
                        set,
                        c_key.ptr(),
                        c_key.len(),
                        out(nulls.has(0), &mut found),
                    )
                };
                expect.error_if(
                    nulls.has(0) || c_key.value().is_none(),
                    MDB_ERR_INVALID_ARGUMENT,
                );
                if check(op, status, &expect) {
                    let (model, exact) = model(self);
                    if exact {
                        let key = c_key.value().expect("checked");
                        assert_eq!(found, model.contains(&key[..]), "{op:?}");
                    }
                }
            }
            KeySetCall::Insert { key } | KeySetCall::Remove { key } => {
                let insert = matches!(call, KeySetCall::Insert { .. });
                let c_key = key.to_c();
                // SAFETY: a live handle or NULL and a byte argument.
                let status = unsafe {
                    if insert {
                        mdb_key_set_insert(set, c_key.ptr(), c_key.len())
                    } else {
                        mdb_key_set_remove(set, c_key.ptr(), c_key.len())
                    }
                };
                expect.error_if(c_key.value().is_none(), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let (mut model, _) = model(self);
                    let key = c_key.value().expect("checked").to_vec();
                    if insert {
                        model.insert(key);
                    } else {
                        model.remove(&key);
                    }
                    self.store(pick, Index::KeySet(model));
                }
            }
            KeySetCall::Clear => {
                // SAFETY: a live handle or NULL.
                let status = unsafe { mdb_key_set_clear(set) };
                if check(op, status, &expect) {
                    self.store(pick, Index::empty(IndexKind::KeySet));
                }
            }
            KeySetCall::Iter { from, nulls } => {
                let c_from = from.to_c();
                let mut iter = sentinel();
                // SAFETY: a live handle or NULL, a byte argument, an out-pointer or NULL.
                let status = unsafe {
                    mdb_key_set_iter(
                        set,
                        c_from.ptr(),
                        c_from.len(),
                        out(nulls.has(0), &mut iter),
                    )
                };
                expect.error_if(
                    nulls.has(0) || c_from.value().is_none(),
                    MDB_ERR_INVALID_ARGUMENT,
                );
                let succeeded = check(op, status, &expect);
                self.iter_opened(
                    op,
                    succeeded,
                    pick,
                    iter,
                    &c_from.value().unwrap_or_else(|| Rc::from(&[][..])),
                );
            }
        }
    }

    fn entry_call(&mut self, op: &Op, pick: IndexPick, call: &EntryCall) {
        let write = !matches!(call, EntryCall::Get { .. } | EntryCall::Exists { .. });
        let (entry, mut expect) = self.receiver(pick, write);
        let entry: *mut mdb_entry = entry.cast();
        let model = |harness: &Self| match harness.model_index(pick) {
            (Index::Entry(value), exact) => (value, exact),
            (_, exact) => (None, exact),
        };
        let (mut value, mut found) = (empty_bytes(), false);
        let (nulls, c_value) = match call {
            EntryCall::Get { nulls } | EntryCall::Exists { nulls } | EntryCall::Take { nulls } => {
                (*nulls, None)
            }
            EntryCall::Set { value } => (Nulls::default(), Some(value.to_c())),
            EntryCall::Swap { value, nulls } => (*nulls, Some(value.to_c())),
            EntryCall::Remove => (Nulls::default(), None),
        };
        let (value_ptr, value_len) = c_value
            .as_ref()
            .map_or((ptr::null(), 0), |v| (v.ptr(), v.len()));
        // SAFETY: a live handle or NULL, byte arguments, out-pointers or NULL.
        let status = unsafe {
            match call {
                EntryCall::Get { .. } => mdb_entry_get(
                    entry,
                    out(nulls.has(0), &mut value),
                    out(nulls.has(1), &mut found),
                ),
                EntryCall::Exists { .. } => mdb_entry_exists(entry, out(nulls.has(0), &mut found)),
                EntryCall::Set { .. } => mdb_entry_set(entry, value_ptr, value_len),
                EntryCall::Remove => mdb_entry_remove(entry),
                EntryCall::Take { .. } => mdb_entry_take(
                    entry,
                    out(nulls.has(0), &mut value),
                    out(nulls.has(1), &mut found),
                ),
                EntryCall::Swap { .. } => mdb_entry_swap(
                    entry,
                    value_ptr,
                    value_len,
                    out(nulls.has(0), &mut value),
                    out(nulls.has(1), &mut found),
                ),
            }
        };
        let outputs = match call {
            EntryCall::Exists { .. } => 1,
            EntryCall::Set { .. } | EntryCall::Remove => 0,
            _ => 2,
        };
        expect.error_if(
            nulls.any(outputs) || c_value.as_ref().is_some_and(|v| v.value().is_none()),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if !check(op, status, &expect) {
            return;
        }
        let (old, exact) = model(self);
        let new = match call {
            EntryCall::Get { .. } => {
                compare_lookup(op, exact, found, &mut value, old.as_ref());
                return;
            }
            EntryCall::Exists { .. } => {
                if exact {
                    assert_eq!(found, old.is_some(), "{op:?}");
                }
                return;
            }
            EntryCall::Set { .. } => c_value.and_then(|v| v.value()),
            EntryCall::Remove => None,
            EntryCall::Take { .. } => {
                compare_lookup(op, exact, found, &mut value, old.as_ref());
                None
            }
            EntryCall::Swap { .. } => {
                compare_lookup(op, exact, found, &mut value, old.as_ref());
                c_value.and_then(|v| v.value())
            }
        };
        self.store(pick, Index::Entry(new));
    }

    fn iter_next(&mut self, op: &Op, pick: Pick, nulls: Nulls) {
        let iter_ptr = match pick {
            Pick::Null => ptr::null_mut(),
            Pick::Index(i) => self.iters[i].ptr,
        };
        let (mut key, mut key_len, mut value, mut value_len, mut found) =
            (ptr::null(), usize::MAX, ptr::null(), usize::MAX, true);
        // SAFETY: a live handle or NULL, out-pointers or NULL.
        let status = unsafe {
            mdb_iter_next(
                iter_ptr,
                out(nulls.has(0), &mut key),
                out(nulls.has(1), &mut key_len),
                out(nulls.has(2), &mut value),
                out(nulls.has(3), &mut value_len),
                out(nulls.has(4), &mut found),
            )
        };
        let mut expect = Expect::default();
        expect.error_if(pick == Pick::Null || nulls.any(5), MDB_ERR_INVALID_ARGUMENT);
        let Pick::Index(i) = pick else {
            check(op, status, &expect);
            return;
        };
        let iter = &self.iters[i];
        let index_gone = !self.indexes.iter().any(|index| index.id == iter.index);
        expect.error_if(
            self.stale(iter.family, iter.epoch) || index_gone,
            MDB_ERR_STALE_HANDLE,
        );
        if !check(op, status, &expect) {
            assert!(
                found && key_len == usize::MAX,
                "{op:?}: outputs written on failure"
            );
            return;
        }
        let exact = self.families[iter.family].exact;
        let iter = &mut self.iters[i];
        let expected = iter.remaining.pop_front();
        if exact {
            assert_eq!(found, expected.is_some(), "{op:?}: found");
            if let Some((expected_key, expected_value)) = &expected {
                assert_eq!(&borrowed(key, key_len), expected_key, "{op:?}: key");
                assert_eq!(
                    &borrowed(value, value_len)[..],
                    &expected_value[..],
                    "{op:?}: value"
                );
            }
        }
        // A persistent iterator saves the key it resumes from, or that it ended.
        if let Some(addr) = iter.position.clone() {
            let next = iter.remaining.front().map(|(key, _)| key.clone());
            if next.is_none() {
                iter.position = None;
            }
            let family = &mut self.families[iter.family];
            family.state.insert(
                addr.clone(),
                Index::Entry(Some(model::encode_position(next.as_deref()))),
            );
            family.touch(&addr);
        }
    }

    // Freeing.

    fn free(&mut self, kind: HandleKind, slot: crate::input::Slot) {
        macro_rules! pick {
            ($pool:expr) => {
                match slot.pick($pool.len()) {
                    None => return,
                    Some(Pick::Null) => None,
                    Some(Pick::Index(i)) => Some(i),
                }
            };
        }
        // SAFETY (every free below): a live handle removed from its pool, or NULL.
        match kind {
            HandleKind::Db => match pick!(self.db_handles) {
                None => unsafe { mdb_db_free(ptr::null_mut()) },
                Some(i) => {
                    let (handle, db) = self.db_handles.remove(i);
                    unsafe { mdb_db_free(handle) };
                    self.dbs[db].handle_open = false;
                }
            },
            HandleKind::Fork => match pick!(self.forks) {
                None => unsafe { mdb_fork_free(ptr::null_mut()) },
                Some(i) => {
                    let fork = self.forks.remove(i);
                    unsafe { mdb_fork_free(fork.ptr) };
                    self.families[fork.family].handles -= 1;
                }
            },
            HandleKind::Patch => match pick!(self.patches) {
                None => unsafe { mdb_patch_free(ptr::null_mut()) },
                Some(i) => {
                    let patch = self.patches.remove(i);
                    unsafe { mdb_patch_free(patch.ptr) };
                    self.families[patch.family].handles -= 1;
                }
            },
            HandleKind::Snapshot => match pick!(self.snapshots) {
                None => unsafe { mdb_snapshot_free(ptr::null_mut()) },
                Some(i) => {
                    let snapshot = self.snapshots.remove(i);
                    unsafe { mdb_snapshot_free(snapshot.ptr) };
                    self.families[snapshot.family].handles -= 1;
                }
            },
            HandleKind::Helper => match pick!(self.helpers) {
                None => unsafe { mdb_migration_helper_free(ptr::null_mut()) },
                Some(i) => {
                    let helper = self.helpers.remove(i);
                    unsafe { mdb_migration_helper_free(helper.ptr) };
                    self.families[helper.family].handles -= 1;
                }
            },
            HandleKind::Access => match pick!(self.accesses) {
                None => unsafe { mdb_access_free(ptr::null_mut()) },
                Some(i) => {
                    let access = self.accesses.remove(i);
                    unsafe { mdb_access_free(access.ptr.cast_mut()) };
                    self.families[access.family].handles -= 1;
                }
            },
            HandleKind::Index => match pick!(self.indexes) {
                None => unsafe { mdb_map_free(ptr::null_mut()) },
                Some(i) => self.free_index(i),
            },
            HandleKind::Iter => match pick!(self.iters) {
                None => unsafe { mdb_iter_free(ptr::null_mut()) },
                Some(i) => self.free_iter(i),
            },
        }
        assert_eq!(last_error(), "", "a free leaves no error message");
    }

    fn free_index(&mut self, i: usize) {
        let index = self.indexes.remove(i);
        // SAFETY: a live handle of its kind, removed from the pool.
        unsafe {
            match index.kind {
                IndexKind::Map => mdb_map_free(index.ptr.cast()),
                IndexKind::List => mdb_list_free(index.ptr.cast()),
                IndexKind::Entry => mdb_entry_free(index.ptr.cast()),
                IndexKind::KeySet => mdb_key_set_free(index.ptr.cast()),
                IndexKind::SparseList => mdb_sparse_list_free(index.ptr.cast()),
            }
        }
        self.families[index.family].handles -= 1;
    }

    fn free_iter(&mut self, i: usize) {
        let iter = self.iters.remove(i);
        // SAFETY: a live handle, removed from the pool.
        unsafe { mdb_iter_free(iter.ptr) };
        self.families[iter.family].handles -= 1;
        if let Some(index) = self.indexes.iter_mut().find(|index| index.id == iter.index) {
            index.iterators -= 1;
        }
    }

    // Migrations.

    fn helper_new(
        &mut self,
        op: &Op,
        db: Option<Pick>,
        namespace: &Name,
        with_abort: bool,
        nulls: Nulls,
    ) {
        let Some(db) = db else { return };
        let (db_ptr, db) = self.db_arg(db);
        let c_namespace = namespace.to_c_namespace();
        let (mut helper, mut abort) = (sentinel(), sentinel());
        // SAFETY: a live handle or NULL, a string argument, out-pointers or NULL.
        let status = unsafe {
            if with_abort {
                mdb_migration_helper_new_with_abort(
                    db_ptr,
                    c_namespace.ptr().cast(),
                    c_namespace.len(),
                    out(nulls.has(0), &mut helper),
                    out(nulls.has(1), &mut abort),
                )
            } else {
                mdb_migration_helper_new(
                    db_ptr,
                    c_namespace.ptr().cast(),
                    c_namespace.len(),
                    out(nulls.has(0), &mut helper),
                )
            }
        };
        let name = name_arg(&c_namespace);
        let mut expect = Expect::default();
        expect.error_if(
            db.is_none()
                || nulls.any(if with_abort { 2 } else { 1 })
                || !matches!(&name, Ok(Some(name)) if model::valid_component(name)),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if check(op, status, &expect) {
            let namespace = name.expect("checked").expect("checked");
            let family = self.family_of_db(db.expect("checked"), FamilyKind::Helper { namespace });
            self.helpers.push(ParentHandle {
                ptr: helper,
                family,
            });
            if with_abort {
                self.aborts.push(AbortHandle { ptr: abort, family });
            }
        }
    }

    fn helper_arg(&self, pick: Pick) -> (*mut mdb_migration_helper, Option<FamilyId>) {
        match pick {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (self.helpers[i].ptr, Some(self.helpers[i].family)),
        }
    }

    fn helper_namespace(&self, family: FamilyId) -> String {
        match &self.families[family].kind {
            FamilyKind::Helper { namespace } => namespace.clone(),
            _ => unreachable!("helper handles belong to helper families"),
        }
    }

    fn helper_view(&mut self, op: &Op, helper: Option<Pick>, view: HelperView, nulls: Nulls) {
        let Some(helper) = helper else { return };
        let (helper_ptr, family) = self.helper_arg(helper);
        let mut access = sentinel();
        let function = match view {
            HelperView::NewData => mdb_migration_helper_new_data,
            HelperView::OldData => mdb_migration_helper_old_data,
            HelperView::Scratchpad => mdb_migration_helper_scratchpad,
        };
        // SAFETY: a live handle or NULL, an out-pointer or NULL.
        let status = unsafe { function(helper_ptr, out(nulls.has(0), &mut access)) };
        let mut expect = Expect::default();
        expect.error_if(family.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        if check(op, status, &expect) {
            let family = family.expect("checked");
            let namespace = self.helper_namespace(family);
            let (readonly, namespace) = match view {
                HelperView::NewData => (false, Namespace::Migration(namespace)),
                HelperView::OldData => (true, Namespace::Prefixed(namespace)),
                HelperView::Scratchpad => (false, Namespace::Scratchpad(namespace)),
            };
            self.add_access(access, family, readonly, namespace);
        }
    }

    fn helper_merge(&mut self, op: &Op, helper: Option<Pick>, finish: bool) {
        let Some(helper) = helper else { return };
        let (helper_ptr, family) = self.helper_arg(helper);
        // SAFETY: a live handle or NULL.
        let status = unsafe {
            if finish {
                mdb_migration_helper_finish(helper_ptr)
            } else {
                mdb_migration_helper_merge(helper_ptr)
            }
        };
        let mut expect = Expect::default();
        expect.error_if(family.is_none(), MDB_ERR_INVALID_ARGUMENT);
        let Some(family) = family else {
            check(op, status, &expect);
            return;
        };
        let fam = &self.families[family];
        expect.error_if(fam.consumed, MDB_ERR_STALE_HANDLE);
        let aborted = !fam.consumed && fam.aborted;
        expect.error_if(aborted, MDB_ERR_ABORTED);
        let succeeded = check(op, status, &expect);
        if aborted || (finish && succeeded) {
            self.consume(family);
        }
        if succeeded {
            self.helper_merged(family, finish);
        }
    }

    /// A helper's step reached the database: the helper goes on with a fresh fork.
    fn helper_merged(&mut self, family: FamilyId, finish: bool) {
        let db = self.families[family].db;
        self.apply_to_db(db, family);
        if !finish {
            let state = self.dbs[db].state.clone();
            let (version, exact) = (self.dbs[db].merges.len(), self.dbs[db].exact);
            let fam = &mut self.families[family];
            fam.epoch += 1;
            fam.checkpoint = state.clone();
            fam.state = state;
            fam.base_version = version;
            fam.exact = exact;
            fam.touched.clear();
        }
    }

    fn abort(&mut self, op: &Op, handle: Option<Pick>, call: AbortCall) {
        let Some(handle) = handle else { return };
        let (ptr, family) = match handle {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (self.aborts[i].ptr, Some(self.aborts[i].family)),
        };
        let helper_gone = |harness: &Self, family: FamilyId| {
            let fam = &harness.families[family];
            fam.consumed || fam.handles == 0
        };
        match call {
            AbortCall::Abort => {
                // SAFETY: a live handle or NULL.
                let status = unsafe { mdb_abort_handle_abort(ptr) };
                let mut expect = Expect::default();
                expect.error_if(family.is_none(), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    self.families[family.expect("checked")].aborted = true;
                }
            }
            AbortCall::IsFinished { nulls } => {
                let mut finished = false;
                // SAFETY: a live handle or NULL, an out-pointer or NULL.
                let status =
                    unsafe { mdb_abort_handle_is_finished(ptr, out(nulls.has(0), &mut finished)) };
                let mut expect = Expect::default();
                expect.error_if(family.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
                if check(op, status, &expect) {
                    let family = family.expect("checked");
                    assert_eq!(finished, helper_gone(self, family), "{op:?}: is_finished");
                }
            }
            AbortCall::Forget | AbortCall::Free => {
                // SAFETY: a live handle, removed from the pool below, or NULL.
                unsafe {
                    if matches!(call, AbortCall::Free) {
                        mdb_abort_handle_free(ptr);
                    } else {
                        mdb_abort_handle_forget(ptr);
                    }
                }
                if let Pick::Index(i) = handle {
                    self.aborts.remove(i);
                    if matches!(call, AbortCall::Free) {
                        self.families[family.expect("a handle")].aborted = true;
                    }
                }
            }
        }
    }

    fn migration_finalize(
        &mut self,
        op: &Op,
        fork: Option<Pick>,
        namespace: &Name,
        rollback: bool,
    ) {
        let Some(fork) = fork else { return };
        let (fork_ptr, family) = self.fork_arg(fork);
        let c_namespace = namespace.to_c_namespace();
        // SAFETY: a live handle or NULL and a string argument.
        let status = unsafe {
            if rollback {
                mdb_migration_rollback(fork_ptr, c_namespace.ptr().cast(), c_namespace.len())
            } else {
                mdb_migration_flush(fork_ptr, c_namespace.ptr().cast(), c_namespace.len())
            }
        };
        let name = name_arg(&c_namespace);
        let mut expect = Expect::default();
        expect.error_if(
            family.is_none() || !matches!(&name, Ok(Some(name)) if model::valid_component(name)),
            MDB_ERR_INVALID_ARGUMENT,
        );
        if let Some(family) = family {
            expect.error_if(self.families[family].consumed, MDB_ERR_STALE_HANDLE);
        }
        if check(op, status, &expect) {
            let namespace = name.expect("checked").expect("checked");
            let family = &mut self.families[family.expect("checked")];
            let changed = if rollback {
                model::rollback_migration(&mut family.state, &namespace)
            } else {
                model::flush_migration(&mut family.state, &namespace)
            };
            family.touched.extend(changed);
            // Like `mdb_fork_flush`, the call makes a checkpoint after its changes.
            family.checkpoint = family.state.clone();
            family.epoch += 1;
        }
    }

    fn tombstone(&mut self, op: &Op, access: AccessInfo, name: &Name, key: &GroupKey) {
        let (c_name, c_key) = (name.to_c_name(), key.to_c());
        // SAFETY: a live access or NULL and string arguments. The access may be a borrowed
        // (const) one, as a caller that casts the const away passes: the library refuses any
        // access but a writable migration one at run time.
        let status = unsafe {
            mdb_migration_create_tombstone(
                access.ptr.cast_mut(),
                c_name.ptr().cast(),
                c_name.len(),
                c_key.ptr(),
                c_key.len(),
            )
        };
        let mut expect = Expect::default();
        let addr = self.address(&mut expect, &access, &c_name, key, &c_key);
        if !access.ptr.is_null() {
            expect.error_if(
                !matches!(access.namespace, Namespace::Migration(_)),
                MDB_ERR_INVALID_ARGUMENT,
            );
            expect.error_if(!self.access_writable(&access), MDB_ERR_READONLY);
        }
        let stale = !access.ptr.is_null() && self.access_stale(&access);
        if let (Some(addr), false) = (&addr, stale) {
            let family = &self.families[access.family];
            if let Some(index) = family.state.get(addr) {
                expect.error_if(index.kind() != Kind::Tombstone, MDB_ERR_WRONG_TYPE);
            }
            expect.maybe_if(!family.exact, MDB_ERR_WRONG_TYPE);
            let (writers, readers) = self.holders(access.family, addr);
            expect.error_if(writers + readers > 0, MDB_ERR_BORROWED);
        }
        if check(op, status, &expect) {
            let addr = addr.expect("checked");
            let family = &mut self.families[access.family];
            if !family.state.contains_key(&addr) {
                family.state.insert(addr.clone(), Index::Tombstone);
            }
            family.touch(&addr);
        }
    }

    fn persistent_iter(
        &mut self,
        op: &Op,
        access: AccessInfo,
        name: &Name,
        kind: IndexKind,
        pick: IndexPick,
        nulls: Nulls,
    ) {
        let c_name = name.to_c_name();
        let index_ptr = match pick {
            IndexPick::Null => ptr::null_mut(),
            IndexPick::Handle(i) => self.indexes[i].ptr,
        };
        let mut iter = sentinel();
        let (a, n, nl, out_iter) = (
            access.ptr,
            c_name.ptr().cast(),
            c_name.len(),
            out(nulls.has(0), &mut iter),
        );
        // SAFETY: live handles or NULL, a string argument, an out-pointer or NULL.
        let status = unsafe {
            match kind {
                IndexKind::Map => mdb_persistent_iter_new_map(a, n, nl, index_ptr.cast(), out_iter),
                IndexKind::List => {
                    mdb_persistent_iter_new_list(a, n, nl, index_ptr.cast(), out_iter)
                }
                IndexKind::SparseList => {
                    mdb_persistent_iter_new_sparse_list(a, n, nl, index_ptr.cast(), out_iter)
                }
                IndexKind::KeySet => {
                    mdb_persistent_iter_new_key_set(a, n, nl, index_ptr.cast(), out_iter)
                }
                IndexKind::Entry => unreachable!("entries are not iterated"),
            }
        };
        let mut expect = Expect::default();
        expect.error_if(
            nulls.has(0) || pick == IndexPick::Null,
            MDB_ERR_INVALID_ARGUMENT,
        );
        let addr = self.address(&mut expect, &access, &c_name, &GroupKey::None, &c_name);
        let mut resume = Ok(None);
        let writable = !access.ptr.is_null() && self.access_writable(&access);
        if let (IndexPick::Handle(i), false) = (pick, access.ptr.is_null()) {
            let index = &self.indexes[i];
            let other_family = index.family != access.family;
            expect.error_if(other_family, MDB_ERR_INVALID_ARGUMENT);
            expect.error_if(self.stale(index.family, index.epoch), MDB_ERR_STALE_HANDLE);
            if let (Some(addr), false) = (&addr, other_family || self.access_stale(&access)) {
                self.open_expectations(
                    &mut expect,
                    access.family,
                    addr,
                    IndexKind::Entry,
                    writable,
                );
                expect.error_if(!writable, MDB_ERR_READONLY);
                let family = &self.families[access.family];
                if let Some(Index::Entry(Some(saved))) = family.state.get(addr) {
                    resume = model::decode_position(saved, kind).map(Some);
                    expect.error_if(resume.is_err(), MDB_ERR_INVALID_ARGUMENT);
                }
                expect.maybe_if(!family.exact, MDB_ERR_INVALID_ARGUMENT);
            }
        }
        if !check(op, status, &expect) {
            assert_eq!(iter, sentinel(), "{op:?}: out_iter written on failure");
            return;
        }
        stats::persistent_iter_created(kind, false);
        let addr = addr.expect("checked");
        let family = &mut self.families[access.family];
        if !family.state.contains_key(&addr) {
            family
                .state
                .insert(addr.clone(), Index::empty(IndexKind::Entry));
            family.touch(&addr);
        }
        match resume {
            // Saved as ended: the iterator yields nothing and holds no position.
            Ok(Some(None)) => self.add_iter(pick, iter, VecDeque::new(), None),
            Ok(from) => {
                let from = from.flatten().unwrap_or_default();
                let (index, _) = self.model_index(pick);
                let remaining = index.entries_from(&from).into();
                self.add_iter(pick, iter, remaining, Some(addr));
            }
            Err(()) => unreachable!("checked"),
        }
    }
}

/// An index handle argument: one of the pool's, or NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexPick {
    Null,
    Handle(usize),
}

/// Compares a lookup's outputs with the model's value, freeing the returned bytes.
fn compare_lookup(
    op: &Op,
    exact: bool,
    found: bool,
    value: &mut mdb_bytes,
    expected: Option<&Value>,
) {
    let actual = found.then(|| take_bytes(value));
    if exact {
        assert_eq!(
            actual.as_deref(),
            expected.map(|value| &value[..]),
            "{op:?}: value"
        );
    }
}

fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    path.to_str()
        .expect("temporary paths are UTF-8")
        .as_bytes()
        .to_vec()
}

/// Checks `mdb_last_error_copy` against `mdb_last_error_message`.
fn last_error_copy(buf_len: u8) {
    let message = last_error();
    let mut buf = vec![0x55_u8; usize::from(buf_len)];
    let buf_ptr = if buf.is_empty() {
        ptr::null_mut()
    } else {
        buf.as_mut_ptr().cast()
    };
    // SAFETY: `buf_len` writable bytes, or NULL with 0.
    let len = unsafe { mdb_last_error_copy(buf_ptr, buf.len()) };
    assert_eq!(
        len,
        message.len(),
        "mdb_last_error_copy: the message length"
    );
    if let Some(room) = buf.len().checked_sub(1) {
        let copied = message.len().min(room);
        assert_eq!(&buf[..copied], &message.as_bytes()[..copied]);
        assert_eq!(buf[copied], 0, "mdb_last_error_copy: NUL-terminated");
    }
}

// The end of an input.

impl Harness {
    /// Checks every exact database against the model, frees every handle, and checks that
    /// RocksDB databases closed and kept their contents.
    fn finish(mut self) {
        let outcomes: Vec<DbOutcome> = self
            .dbs
            .iter()
            .map(|db| DbOutcome {
                exact: db.exact,
                rocksdb: db.path.is_some(),
            })
            .collect();
        for db in 0..self.dbs.len() {
            if self.db_handles.iter().any(|&(_, id)| id == db) {
                self.verify_db(db);
            }
        }
        while !self.iters.is_empty() {
            self.free_iter(self.iters.len() - 1);
        }
        while !self.indexes.is_empty() {
            self.free_index(0);
        }
        // SAFETY: live handles, each freed once.
        unsafe {
            for access in self.accesses.drain(..) {
                mdb_access_free(access.ptr.cast_mut());
                self.families[access.family].handles -= 1;
            }
            for fork in self.forks.drain(..) {
                mdb_fork_free(fork.ptr);
                self.families[fork.family].handles -= 1;
            }
            for patch in self.patches.drain(..) {
                mdb_patch_free(patch.ptr);
                self.families[patch.family].handles -= 1;
            }
            for snapshot in self.snapshots.drain(..) {
                mdb_snapshot_free(snapshot.ptr);
                self.families[snapshot.family].handles -= 1;
            }
            for helper in self.helpers.drain(..) {
                mdb_migration_helper_free(helper.ptr);
                self.families[helper.family].handles -= 1;
            }
            for abort in self.aborts.drain(..) {
                let mut finished = false;
                let status = mdb_abort_handle_is_finished(abort.ptr, &mut finished);
                assert_eq!(status, MDB_OK);
                assert!(finished, "a helper whose handles are all freed is finished");
                mdb_abort_handle_forget(abort.ptr);
            }
            for (db, _) in self.db_handles.drain(..) {
                mdb_db_free(db);
            }
        }
        for db in 0..self.dbs.len() {
            self.dbs[db].handle_open = false;
        }
        let reopen: Vec<DbId> = (0..self.dbs.len())
            .filter(|&db| self.dbs[db].path.is_some())
            .collect();
        if let Some(&db) = reopen.last() {
            // Every handle is freed, so the database is closed: it opens again, as it was.
            let path = self.dbs[db].path.clone().expect("filtered");
            let c_path = std::ffi::CString::new(path_bytes(&path)).expect("no NUL");
            let mut handle = ptr::null_mut();
            // SAFETY: a path, default options and an out-pointer.
            let status = unsafe { mdb_db_open(c_path.as_ptr(), ptr::null(), &mut handle) };
            assert_eq!(
                status,
                MDB_OK,
                "reopening {path:?} after every handle is freed: {}",
                last_error()
            );
            let (state, exact) = (self.dbs[db].state.clone(), self.dbs[db].exact);
            self.add_db(handle, Some(path), state, exact);
            self.verify_db(self.dbs.len() - 1);
            let (handle, _) = self.db_handles.pop().expect("just added");
            // SAFETY: the handle opened above.
            unsafe { mdb_db_free(handle) };
        }
        if let Some(directory) = &self.directory {
            std::fs::remove_dir_all(directory).expect("the temporary directory is removable");
        }
        stats::input_done(outcomes);
    }

    /// Reads every address the model knows of, and every address the input used, through a
    /// snapshot of `db`, and compares them with the model.
    fn verify_db(&mut self, db: DbId) {
        if !self.dbs[db].exact {
            return;
        }
        let handle = self
            .db_handles
            .iter()
            .find(|&&(_, id)| id == db)
            .expect("an open database")
            .0;
        let mut snapshot = ptr::null_mut();
        // SAFETY: a live database handle, and handles freed below.
        unsafe {
            assert_eq!(mdb_snapshot_new(handle, &mut snapshot), MDB_OK);
            let root = mdb_snapshot_as_access(snapshot);
            let state = self.dbs[db].state.clone();
            let addrs: BTreeSet<Addr> = state
                .keys()
                .cloned()
                .chain(self.seen.iter().cloned())
                .collect();
            for addr in addrs {
                verify_addr(root, &addr, state.get(&addr));
            }
            mdb_snapshot_free(snapshot);
        }
    }
}

/// A non-NULL pointer for empty group keys.
static NON_NULL: [u8; 1] = [0];

/// Compares the index at `addr`, read through the snapshot access `root`, with the model.
unsafe fn verify_addr(root: *const mdb_access, addr: &Addr, expected: Option<&Index>) {
    let (access, name) = match addr.space {
        Space::Plain => (ptr::null_mut(), addr.name.clone()),
        Space::Migration | Space::Scratchpad => {
            let (namespace, name) = addr
                .name
                .split_once('.')
                .expect("namespaced names have a dot");
            let mut access = ptr::null_mut();
            let function = if addr.space == Space::Migration {
                mdb_access_migration
            } else {
                mdb_access_scratchpad
            };
            // SAFETY: a live access, a string, an out-pointer.
            let status = unsafe {
                function(
                    root,
                    namespace.as_ptr().cast(),
                    namespace.len(),
                    &mut access,
                )
            };
            assert_eq!(status, MDB_OK, "{addr:?}: {}", last_error());
            (access, name.to_owned())
        }
    };
    let through = if access.is_null() {
        root
    } else {
        access.cast_const()
    };
    let (key_ptr, key_len) = addr.key.as_ref().map_or((ptr::null(), 0), |key| {
        (
            if key.is_empty() {
                NON_NULL.as_ptr()
            } else {
                key.as_ptr()
            },
            key.len(),
        )
    });
    let (mut code, mut found) = (0, false);
    // SAFETY: a live access, strings, out-pointers.
    let status = unsafe {
        mdb_access_index_type(
            through,
            name.as_ptr().cast(),
            name.len(),
            key_ptr,
            key_len,
            &mut code,
            &mut found,
        )
    };
    assert_eq!(status, MDB_OK, "{addr:?}: {}", last_error());
    assert_eq!(
        found.then_some(code),
        expected.map(Index::type_code),
        "the type of {addr:?} in the database"
    );
    if let Some(expected) = expected {
        let actual = unsafe { read_index(through, &name, key_ptr, key_len, expected) };
        assert_eq!(
            &actual, expected,
            "the contents of {addr:?} in the database"
        );
    }
    // SAFETY: NULL or the access made above.
    unsafe { mdb_access_free(access) };
}

/// Reads the whole index of `expected`'s kind at a name.
unsafe fn read_index(
    access: *const mdb_access,
    name: &str,
    key: *const u8,
    key_len: usize,
    expected: &Index,
) -> Index {
    let (n, nl) = (name.as_ptr().cast(), name.len());
    let mut handle: *mut c_void = ptr::null_mut();
    let out_handle = &mut handle as *mut *mut c_void;
    // SAFETY (whole function): live handles made and freed here.
    unsafe {
        let status = match expected {
            Index::Map(_) => mdb_access_map(access, n, nl, key, key_len, out_handle.cast()),
            Index::List(_) => mdb_access_list(access, n, nl, key, key_len, out_handle.cast()),
            Index::Entry(_) => mdb_access_entry(access, n, nl, key, key_len, out_handle.cast()),
            Index::KeySet(_) => mdb_access_key_set(access, n, nl, key, key_len, out_handle.cast()),
            Index::SparseList { .. } => {
                mdb_access_sparse_list(access, n, nl, key, key_len, out_handle.cast())
            }
            Index::Tombstone => return Index::Tombstone,
        };
        assert_eq!(status, MDB_OK, "opening {name:?}: {}", last_error());
        let mut iter = ptr::null_mut();
        let index = match expected {
            Index::Entry(_) => {
                let (mut value, mut found) = (empty_bytes(), false);
                assert_eq!(mdb_entry_get(handle.cast(), &mut value, &mut found), MDB_OK);
                let value = found.then(|| Rc::from(take_bytes(&mut value)));
                mdb_entry_free(handle.cast());
                return Index::Entry(value);
            }
            Index::Map(_) => {
                assert_eq!(
                    mdb_map_iter(handle.cast(), ptr::null(), 0, &mut iter),
                    MDB_OK
                );
                Index::Map(iterate(iter).into_iter().collect())
            }
            Index::KeySet(_) => {
                assert_eq!(
                    mdb_key_set_iter(handle.cast(), ptr::null(), 0, &mut iter),
                    MDB_OK
                );
                Index::KeySet(iterate(iter).into_iter().map(|(key, _)| key).collect())
            }
            Index::List(_) => {
                let mut len = 0;
                assert_eq!(mdb_list_len(handle.cast(), &mut len), MDB_OK);
                assert_eq!(mdb_list_iter(handle.cast(), 0, &mut iter), MDB_OK);
                let values: Vec<Value> =
                    iterate(iter).into_iter().map(|(_, value)| value).collect();
                assert_eq!(len, values.len() as u64, "the length of list {name:?}");
                Index::List(values)
            }
            Index::SparseList { .. } => {
                let (mut len, mut capacity) = (0, 0);
                assert_eq!(mdb_sparse_list_len(handle.cast(), &mut len), MDB_OK);
                assert_eq!(
                    mdb_sparse_list_capacity(handle.cast(), &mut capacity),
                    MDB_OK
                );
                assert_eq!(mdb_sparse_list_iter(handle.cast(), 0, &mut iter), MDB_OK);
                let items: std::collections::BTreeMap<u64, Value> = iterate(iter)
                    .into_iter()
                    .map(|(key, value)| (model::position_from(&key), value))
                    .collect();
                assert_eq!(
                    len,
                    items.len() as u64,
                    "the length of sparse list {name:?}"
                );
                Index::SparseList { items, capacity }
            }
            Index::Tombstone => unreachable!("returned above"),
        };
        mdb_iter_free(iter);
        match expected {
            Index::Map(_) => mdb_map_free(handle.cast()),
            Index::KeySet(_) => mdb_key_set_free(handle.cast()),
            Index::List(_) => mdb_list_free(handle.cast()),
            _ => mdb_sparse_list_free(handle.cast()),
        }
        index
    }
}

/// A key and value, copied from what an iterator lent.
type KeyValue = (Vec<u8>, Vec<u8>);

/// The next entry of an iterator, `Ok(None)` at its end, or the failed status.
unsafe fn next_entry(iter: *mut mdb_iter) -> Result<Option<KeyValue>, mdb_status> {
    let (mut key, mut key_len, mut value, mut value_len, mut found) =
        (ptr::null(), 0, ptr::null(), 0, false);
    // SAFETY: a live iterator and out-pointers.
    let status = unsafe {
        mdb_iter_next(
            iter,
            &mut key,
            &mut key_len,
            &mut value,
            &mut value_len,
            &mut found,
        )
    };
    match (status, found) {
        (MDB_OK, true) => Ok(Some((borrowed(key, key_len), borrowed(value, value_len)))),
        (MDB_OK, false) => Ok(None),
        (status, _) => Err(status),
    }
}

/// Every entry an iterator yields.
unsafe fn iterate(iter: *mut mdb_iter) -> Vec<(Vec<u8>, Value)> {
    let mut entries = Vec::new();
    loop {
        // SAFETY: a live iterator.
        match unsafe { next_entry(iter) } {
            Ok(Some((key, value))) => entries.push((key, Rc::from(value))),
            Ok(None) => return entries,
            Err(_) => panic!("iterating: {}", last_error()),
        }
    }
}
