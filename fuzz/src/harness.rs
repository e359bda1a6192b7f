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
//!
//! This file holds the state and the one dispatch, `Harness::op`, from each operation of
//! [`Op`] to its handler. The handlers live with the handle type they call:
//!
//! - `db`: databases (`mdb_db_*`, the snapshots and forks made from them, merges).
//! - `family`: the families of parent handles, and the table of parent handle types.
//! - `fork`: forks and patches (`mdb_fork_*`, `mdb_patch_*`).
//! - `access`: accesses (`mdb_access_*`): namespaces, index types, opening indexes.
//! - `index`: the one handler of the calls on index handles of every kind, which runs the
//!   rows of `calls`, the table of those calls (each C function beside its model); `kinds`
//!   maps each kind of index to its C functions.
//! - `iter`: iterators, plain and persistent.
//! - `migration`: migration helpers, abort handles, tombstones; `iter_loop` for
//!   `mdb_migration_helper_iter_loop`.
//! - `verify`: the end of an input: every handle freed, the databases read back.
//! - `check`: the statuses a call may return, and reading what calls return.

use std::{
    collections::{BTreeSet, VecDeque},
    ffi::c_void,
    path::PathBuf,
    ptr,
};

use crate::{
    abi::*,
    input::{iter_batch, HandleKind, IndexKind, Input, Op, Pick, RocksOpen, Slot},
    model::{Addr, Namespace, State, Value},
};

mod access;
mod calls;
mod check;
mod db;
mod family;
mod fork;
mod index;
mod iter;
mod iter_loop;
mod kinds;
mod migration;
mod verify;

use check::last_error;
use family::{Family, FamilyHandle, FamilyKind};

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

/// An index handle argument: one of the pool's, or NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexPick {
    Null,
    Handle(usize),
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

struct Harness {
    dbs: Vec<Db>,
    db_handles: Vec<(*mut mdb_db, DbId)>,
    families: Vec<Family>,
    forks: Vec<FamilyHandle<mdb_fork>>,
    patches: Vec<FamilyHandle<mdb_patch>>,
    snapshots: Vec<FamilyHandle<mdb_snapshot>>,
    helpers: Vec<FamilyHandle<mdb_migration_helper>>,
    /// Abort handles, with the helper family each aborts.
    aborts: Vec<FamilyHandle<mdb_abort_handle>>,
    accesses: Vec<AccessInfo>,
    indexes: Vec<IndexHandle>,
    iters: Vec<IterHandle>,
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
            aborts: Vec::new(),
            accesses: Vec::new(),
            indexes: Vec::new(),
            iters: Vec::new(),
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

    /// The one dispatch: each operation to the handler of the handle type it calls.
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
            Op::Snapshot { db, nulls } => {
                self.family_new(op, *db, *nulls, mdb_snapshot_new, FamilyKind::Snapshot)
            }
            Op::ForkNew { db, nulls } => {
                self.family_new(op, *db, *nulls, mdb_fork_new, FamilyKind::Fork)
            }
            Op::Merge { db, patch, sync } => self.merge(op, *db, *patch, *sync),
            Op::Checkpoint { db } => self.checkpoint(op, *db),
            Op::ForkReadonly { fork, nulls } => self.fork_readonly(op, *fork, *nulls),
            Op::ForkFlush { fork } => self.fork_flush(op, *fork, false),
            Op::ForkRollback { fork } => self.fork_flush(op, *fork, true),
            Op::ForkIntoPatch { fork, nulls } => {
                self.convert(op, *fork, *nulls, mdb_fork_into_patch, FamilyKind::Patch)
            }
            Op::PatchIntoFork { patch, nulls } => {
                self.convert(op, *patch, *nulls, mdb_patch_into_fork, FamilyKind::Fork)
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
            Op::Map { map, call } => self.index_call(op, *map, call),
            Op::List { list, call } => self.index_call(op, *list, call),
            Op::SparseList { list, call } => self.index_call(op, *list, call),
            Op::KeySet { set, call } => self.index_call(op, *set, call),
            Op::Entry { entry, call } => self.index_call(op, *entry, call),
            Op::IterNext { iter, steps, nulls } => {
                if let Some(pick) = iter.pick(self.iters.len()) {
                    for _ in 0..=steps % 4 {
                        match iter_batch(*steps) {
                            Some((buf_len, max)) => {
                                self.iter_next_batch(op, pick, *nulls, buf_len, max)
                            }
                            None => self.iter_next(op, pick, *nulls),
                        }
                    }
                }
            }
            Op::Free { kind, handle } => self.free(*kind, *handle),
            Op::HelperNew {
                db,
                namespace,
                with_abort,
                nulls,
            } => self.helper_new(op, *db, namespace, *with_abort, *nulls),
            Op::HelperView {
                helper,
                view,
                nulls,
            } => self.helper_view(op, *helper, *view, *nulls),
            Op::HelperMerge { helper } => self.helper_merge(op, *helper, false),
            Op::HelperFinish { helper } => self.helper_merge(op, *helper, true),
            Op::Abort { handle, call } => self.abort(op, *handle, *call),
            Op::MigrationFinalize {
                fork,
                namespace,
                rollback,
            } => self.migration_finalize(op, *fork, namespace, *rollback),
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
                    if let Some(pick) = self.index_pick(kind, *index) {
                        self.persistent_iter(op, access, name, kind, pick, *nulls);
                    }
                }
            }
            Op::IterLoop { helper, plan } => self.iter_loop(op, *helper, plan),
            Op::LastError { buf_len } => check::last_error_copy(*buf_len),
        }
    }

    /// Frees a handle of any type (NULL included, which must be a no-op), and forgets it.
    fn free(&mut self, kind: HandleKind, slot: Slot) {
        let live = match kind {
            HandleKind::Db => self.db_handles.len(),
            HandleKind::Fork => self.forks.len(),
            HandleKind::Patch => self.patches.len(),
            HandleKind::Snapshot => self.snapshots.len(),
            HandleKind::Helper => self.helpers.len(),
            HandleKind::Access => self.accesses.len(),
            HandleKind::Index => self.indexes.len(),
            HandleKind::Iter => self.iters.len(),
        };
        let Some(pick) = slot.pick(live) else { return };
        // SAFETY (every free below): NULL, or a live handle that leaves its pool.
        match (kind, pick) {
            (HandleKind::Db, Pick::Null) => unsafe { mdb_db_free(ptr::null_mut()) },
            (HandleKind::Db, Pick::Index(i)) => {
                let (handle, db) = self.db_handles.remove(i);
                unsafe { mdb_db_free(handle) };
                self.dbs[db].handle_open = false;
            }
            (HandleKind::Fork, pick) => self.free_parent::<mdb_fork>(pick),
            (HandleKind::Patch, pick) => self.free_parent::<mdb_patch>(pick),
            (HandleKind::Snapshot, pick) => self.free_parent::<mdb_snapshot>(pick),
            (HandleKind::Helper, pick) => self.free_parent::<mdb_migration_helper>(pick),
            (HandleKind::Access, Pick::Null) => unsafe { mdb_access_free(ptr::null_mut()) },
            (HandleKind::Access, Pick::Index(i)) => self.free_access(i),
            // Any kind's free takes NULL: the map's stands for them all.
            (HandleKind::Index, Pick::Null) => unsafe { mdb_map_free(ptr::null_mut()) },
            (HandleKind::Index, Pick::Index(i)) => self.free_index(i),
            (HandleKind::Iter, Pick::Null) => unsafe { mdb_iter_free(ptr::null_mut()) },
            (HandleKind::Iter, Pick::Index(i)) => self.free_iter(i),
        }
        assert_eq!(last_error(), "", "a free leaves no error message");
    }
}
