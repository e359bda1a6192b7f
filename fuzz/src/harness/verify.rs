//! The end of an input: every exact database read back through a snapshot and compared with
//! the model, every handle freed, and the last RocksDB database reopened as it was left.

use std::{collections::BTreeSet, ffi::c_void, ptr, rc::Rc};

use super::{
    check::{borrowed, empty_bytes, last_error, take_bytes},
    db::path_bytes,
    kinds, DbId, Harness,
};
use crate::{
    abi::*,
    model::{self, Addr, Index, Kind, Space, Value},
    stats::{self, DbOutcome},
};

impl Harness {
    /// Checks every exact database against the model, frees every handle, and checks that
    /// RocksDB databases closed and kept their contents.
    pub(super) fn finish(mut self) {
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
        while !self.accesses.is_empty() {
            self.free_access(0);
        }
        self.free_parents::<mdb_fork>();
        self.free_parents::<mdb_patch>();
        self.free_parents::<mdb_snapshot>();
        self.free_parents::<mdb_migration_helper>();
        // SAFETY: live handles, each freed once.
        unsafe {
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
    pub(super) fn verify_db(&mut self, db: DbId) {
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
///
/// # Safety
///
/// `root` is a live access.
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
    let key = addr.key.as_ref().map_or((ptr::null(), 0), |key| {
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
            key.0,
            key.1,
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
        // SAFETY: a live access, the index's name and key.
        let actual = unsafe { read_index(through, &name, key, expected) };
        assert_eq!(
            &actual, expected,
            "the contents of {addr:?} in the database"
        );
    }
    // SAFETY: NULL or the access made above.
    unsafe { mdb_access_free(access) };
}

/// Reads the whole index of `expected`'s kind at a name.
///
/// # Safety
///
/// `access` is live, `key` points to its length in bytes or is NULL with 0.
unsafe fn read_index(
    access: *const mdb_access,
    name: &str,
    key: kinds::CArg,
    expected: &Index,
) -> Index {
    let Kind::Index(kind) = expected.kind() else {
        return Index::Tombstone;
    };
    let mut handle: *mut c_void = ptr::null_mut();
    // SAFETY (whole function): live handles made and freed here.
    unsafe {
        let status = kinds::open(kind, access, (name.as_ptr(), name.len()), key, &mut handle);
        assert_eq!(status, MDB_OK, "opening {name:?}: {}", last_error());
        let mut iter = ptr::null_mut();
        let index = match expected {
            Index::Entry(_) => {
                let (mut value, mut found) = (empty_bytes(), false);
                assert_eq!(mdb_entry_get(handle.cast(), &mut value, &mut found), MDB_OK);
                Index::Entry(found.then(|| Rc::from(take_bytes(&mut value))))
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
        if !iter.is_null() {
            mdb_iter_free(iter);
        }
        kinds::free(kind, handle);
        index
    }
}

/// A key and value, copied from what an iterator lent.
type KeyValue = (Vec<u8>, Vec<u8>);

/// The next entry of an iterator, `Ok(None)` at its end, or the failed status.
///
/// # Safety
///
/// `iter` is a live iterator.
pub(super) unsafe fn next_entry(iter: *mut mdb_iter) -> Result<Option<KeyValue>, mdb_status> {
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
///
/// # Safety
///
/// `iter` is a live iterator.
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
