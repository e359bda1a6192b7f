//! Database handles (`mdb_db_*`): opening in memory or on RocksDB, the snapshots and forks
//! made from a database, merges and checkpoints.

use std::{
    path::{Path, PathBuf},
    ptr,
    sync::atomic::{AtomicU64, Ordering},
};

use super::{
    check::{check, out, sentinel, Expect},
    family::{FamilyKind, Parent},
    Db, DbId, FamilyId, Harness, Merge,
};
use crate::{
    abi::*,
    input::{Nulls, Op, Pick, RocksOpen, Slot},
    model::{Addr, Index, State},
};

static DIRECTORY_COUNTER: AtomicU64 = AtomicU64::new(0);

pub(super) fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_str()
        .expect("temporary paths are UTF-8")
        .as_bytes()
        .to_vec()
}

impl Harness {
    fn directory(&mut self) -> PathBuf {
        if let Some(directory) = &self.directory {
            return directory.clone();
        }
        // RocksDB syncs its files: on a memory file system that costs nothing.
        let shm = Path::new("/dev/shm");
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

    pub(super) fn open_temporary(&mut self, op: &Op, nulls: Nulls) {
        let mut db = sentinel();
        // SAFETY: a valid out-pointer, or NULL.
        let status = unsafe { mdb_db_open_temporary(out(nulls.has(0), &mut db)) };
        let mut expect = Expect::default();
        expect.error_if(nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if check(op, status, &expect) {
            self.add_db(db, None, State::new(), true);
        }
    }

    pub(super) fn add_db(
        &mut self,
        handle: *mut mdb_db,
        path: Option<PathBuf>,
        state: State,
        exact: bool,
    ) {
        self.dbs.push(Db {
            state,
            merges: Vec::new(),
            exact,
            path,
            handle_open: true,
        });
        self.db_handles.push((handle, self.dbs.len() - 1));
    }

    pub(super) fn open_rocks(&mut self, op: &Op, how: RocksOpen) {
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

    /// Resolves a database argument: `None` if there is no such handle (the operation is
    /// skipped), else the pointer to pass and its database (`None` for NULL).
    pub(super) fn db_arg(&self, slot: Slot) -> Option<(*mut mdb_db, Option<DbId>)> {
        Some(match slot.pick(self.db_handles.len())? {
            Pick::Null => (ptr::null_mut(), None),
            Pick::Index(i) => (self.db_handles[i].0, Some(self.db_handles[i].1)),
        })
    }

    /// `mdb_snapshot_new` or `mdb_fork_new` (`new`): a parent handle of a new family on the
    /// database's current state.
    pub(super) fn family_new<T: Parent>(
        &mut self,
        op: &Op,
        db: Slot,
        nulls: Nulls,
        new: unsafe fn(*const mdb_db, *mut *mut T) -> mdb_status,
        kind: FamilyKind,
    ) {
        let Some((db_ptr, db)) = self.db_arg(db) else {
            return;
        };
        let mut handle = sentinel();
        // SAFETY: a live handle or NULL, and a valid out-pointer or NULL.
        let status = unsafe { new(db_ptr, out(nulls.has(0), &mut handle)) };
        let mut expect = Expect::default();
        expect.error_if(db.is_none() || nulls.has(0), MDB_ERR_INVALID_ARGUMENT);
        if check(op, status, &expect) {
            let family = self.family_of_db(db.expect("checked"), kind);
            self.add_parent(handle, family);
        }
    }

    pub(super) fn merge(&mut self, op: &Op, db: Slot, patch: Slot, sync: bool) {
        let (Some((db_ptr, db)), Some((patch_ptr, family))) =
            (self.db_arg(db), self.parent::<mdb_patch>(patch))
        else {
            return;
        };
        // SAFETY: live handles or NULL.
        let status = unsafe {
            if sync {
                mdb_db_merge_sync(db_ptr, patch_ptr)
            } else {
                mdb_db_merge(db_ptr, patch_ptr)
            }
        };
        let mut expect = self.parent_expect(family, db.is_none());
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

    /// Whether `family` holds an index of another type than `db` holds at the same address:
    /// the merge may then be refused with `MDB_ERR_CONFLICT` (the fork created it, and a merge
    /// since created it with another type).
    pub(super) fn changes_index_types(&self, db: DbId, family: FamilyId) -> bool {
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
    pub(super) fn apply_to_db(&mut self, db: DbId, family: FamilyId) {
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
        let exact = family.exact && (!overlaps || family.touched.is_empty());
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

    pub(super) fn checkpoint(&mut self, op: &Op, db: Slot) {
        let Some((db_ptr, db)) = self.db_arg(db) else {
            return;
        };
        if self.checkpoint.is_some() {
            return;
        }
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
}
