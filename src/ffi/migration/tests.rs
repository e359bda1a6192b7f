//! Unit tests of the migration functions, calling the exports directly; the fixtures are
//! shared with the abort handle's tests.

use std::{panic, ptr};

use super::*;
use crate::ffi::{
    abort_handle::{mdb_abort_handle_abort, mdb_abort_handle_free},
    access::{mdb_access_free, mdb_access_index_type, mdb_access_migration},
    db::{mdb_db_free, mdb_db_merge, mdb_db_open_temporary},
    fork::{mdb_fork_as_access, mdb_fork_free, mdb_fork_into_patch, mdb_fork_new},
    iter::mdb_iter_free,
    list::{mdb_access_list, mdb_list_free, mdb_list_push},
    map::{mdb_access_map, mdb_map_free, mdb_map_get, mdb_map_iter, mdb_map_put},
    patch::mdb_patch_free,
    snapshot::mdb_snapshot_new,
    snapshot::{mdb_snapshot_as_access, mdb_snapshot_free},
    status::{
        MDB_ERR_ABORTED, MDB_ERR_BORROWED, MDB_ERR_INVALID_ARGUMENT, MDB_ERR_OUT_OF_RANGE,
        MDB_ERR_PANIC, MDB_ERR_READONLY, MDB_ERR_STALE_HANDLE,
    },
    test_support::{assert_each, assert_status, collect, lookup, next_entry, open, KeyValue},
};

/// The namespace of every test migration.
pub(crate) const NS: &str = "test";

type Entries = Vec<KeyValue>;

/// A temporary database, closed on drop.
pub(crate) struct TempDb(pub(crate) *mut mdb_db);

impl TempDb {
    pub(crate) fn new() -> Self {
        let mut db = ptr::null_mut();
        assert_status(unsafe { mdb_db_open_temporary(&mut db) }, MDB_OK);
        Self(db)
    }

    /// Runs `write` on the access of a new fork, then merges the fork.
    pub(crate) fn write(&self, write: impl FnOnce(*const mdb_access)) {
        let mut fork = ptr::null_mut();
        assert_status(unsafe { mdb_fork_new(self.0, &mut fork) }, MDB_OK);
        write(mdb_fork_as_access(fork));
        let mut patch = ptr::null_mut();
        assert_status(unsafe { mdb_fork_into_patch(fork, &mut patch) }, MDB_OK);
        assert_status(unsafe { mdb_db_merge(self.0, patch) }, MDB_OK);
        unsafe { (mdb_patch_free(patch), mdb_fork_free(fork)) };
    }

    /// Runs `read` on the access of a new snapshot.
    pub(crate) fn read<R>(&self, read: impl FnOnce(*const mdb_access) -> R) -> R {
        let mut snapshot = ptr::null_mut();
        assert_status(unsafe { mdb_snapshot_new(self.0, &mut snapshot) }, MDB_OK);
        let result = read(mdb_snapshot_as_access(snapshot));
        unsafe { mdb_snapshot_free(snapshot) };
        result
    }

    /// Fills the map `name` with `count` wallets: `wallet<i>` to `[i]`.
    pub(crate) fn fill_wallets(&self, name: &str, count: u8) {
        self.write(|access| {
            with_map(access, name, |map| {
                (0..count).for_each(|i| assert_status(put(map, &wallet(i), &[i]), MDB_OK))
            })
        });
    }

    /// The entries of the map `name`.
    pub(crate) fn entries(&self, name: &str) -> Entries {
        self.read(|access| with_map(access, name, entries))
    }

    /// The entries of the migrated (not yet flushed) map `name` of the test namespace.
    pub(crate) fn migrated_entries(&self, name: &str) -> Entries {
        self.read(|access| {
            let mut migration = ptr::null_mut();
            let status = unsafe {
                mdb_access_migration(access, NS.as_ptr().cast(), NS.len(), &mut migration)
            };
            assert_status(status, MDB_OK);
            let entries = with_map(migration, name, entries);
            unsafe { mdb_access_free(migration) };
            entries
        })
    }

    /// A helper for the test namespace.
    pub(crate) fn helper(&self) -> *mut mdb_migration_helper {
        let mut helper = ptr::null_mut();
        let status =
            unsafe { mdb_migration_helper_new(self.0, NS.as_ptr().cast(), NS.len(), &mut helper) };
        assert_status(status, MDB_OK);
        helper
    }

    /// A helper for the test namespace, with its abort handle.
    pub(crate) fn helper_with_abort(&self) -> (*mut mdb_migration_helper, *mut mdb_abort_handle) {
        let (mut helper, mut abort_handle) = (ptr::null_mut(), ptr::null_mut());
        let status = unsafe {
            mdb_migration_helper_new_with_abort(
                self.0,
                NS.as_ptr().cast(),
                NS.len(),
                &mut helper,
                &mut abort_handle,
            )
        };
        assert_status(status, MDB_OK);
        (helper, abort_handle)
    }

    /// Runs a migration finalizer (`mdb_migration_flush` or `_rollback`) on a new fork and
    /// merges it.
    pub(crate) fn finalize(&self, finalize: Finalizer) {
        let mut fork = ptr::null_mut();
        assert_status(unsafe { mdb_fork_new(self.0, &mut fork) }, MDB_OK);
        assert_status(
            unsafe { finalize(fork, NS.as_ptr().cast(), NS.len()) },
            MDB_OK,
        );
        let mut patch = ptr::null_mut();
        assert_status(unsafe { mdb_fork_into_patch(fork, &mut patch) }, MDB_OK);
        assert_status(unsafe { mdb_db_merge(self.0, patch) }, MDB_OK);
        unsafe { (mdb_patch_free(patch), mdb_fork_free(fork)) };
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        unsafe { mdb_db_free(self.0) };
    }
}

type Finalizer = unsafe extern "C" fn(*mut mdb_fork, *const c_char, usize) -> mdb_status;

type View = unsafe extern "C" fn(*const mdb_migration_helper, *mut *mut mdb_access) -> mdb_status;

pub(crate) fn wallet(i: u8) -> Vec<u8> {
    format!("wallet{}", i).into_bytes()
}

/// Opens a view of the helper, which must succeed.
#[track_caller]
pub(crate) fn view(helper: *const mdb_migration_helper, view: View) -> *mut mdb_access {
    let mut access = ptr::null_mut();
    assert_status(unsafe { view(helper, &mut access) }, MDB_OK);
    access
}

pub(crate) fn put(map: *mut mdb_map, key: &[u8], value: &[u8]) -> mdb_status {
    unsafe { mdb_map_put(map, key.as_ptr(), key.len(), value.as_ptr(), value.len()) }
}

fn get(map: *mut mdb_map, key: &[u8]) -> Option<Vec<u8>> {
    lookup(|value, found| unsafe { mdb_map_get(map, key.as_ptr(), key.len(), value, found) })
}

fn entries(map: *mut mdb_map) -> Entries {
    let mut iter = ptr::null_mut();
    assert_status(
        unsafe { mdb_map_iter(map, ptr::null(), 0, &mut iter) },
        MDB_OK,
    );
    collect(iter)
}

/// Runs `use_map` on the map `name` of `access`, then frees the map.
pub(crate) fn with_map<R>(
    access: *const mdb_access,
    name: &str,
    use_map: impl FnOnce(*mut mdb_map) -> R,
) -> R {
    let map = open(mdb_access_map, access, name);
    let result = use_map(map);
    unsafe { mdb_map_free(map) };
    result
}

fn check(status: mdb_status) -> Result<(), mdb_status> {
    match status {
        MDB_OK => Ok(()),
        status => Err(status),
    }
}

/// Runs the body of a step callback: a failed call or a panic (which must not unwind into
/// the loop) becomes the step's status.
fn step_status(body: impl FnOnce() -> Result<(), mdb_status>) -> mdb_status {
    match panic::catch_unwind(panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => MDB_OK,
        Ok(Err(status)) => status,
        Err(_) => MDB_ERR_PANIC,
    }
}

/// Wallets migrated per round.
const CHUNK: usize = 3;

/// What the step callbacks record and do, through `user_data`.
#[derive(Default)]
struct Steps {
    rounds: usize,
    /// Aborted (explicitly, keeping the handle) when this round starts.
    abort: Option<(usize, *mut mdb_abort_handle)>,
    /// Returned by the step in this round, after it wrote its chunk.
    fail: Option<(usize, mdb_status)>,
}

/// A step that migrates `CHUNK` wallets of `wallets` to the new `wallets`, doubling each
/// value.
unsafe extern "C" fn migrate_wallets_in_chunks(
    helper: *mut mdb_migration_helper,
    iters: *mut mdb_persistent_iters,
    user_data: *mut c_void,
) -> mdb_status {
    step_status(|| {
        let steps = unsafe { &mut *user_data.cast::<Steps>() };
        steps.rounds += 1;
        if let Some((round, handle)) = steps.abort {
            if round == steps.rounds {
                check(unsafe { mdb_abort_handle_abort(handle) })?;
            }
        }
        let (old, new) = (
            view(helper, mdb_migration_helper_old_data),
            view(helper, mdb_migration_helper_new_data),
        );
        let (old_wallets, new_wallets) = (
            open(mdb_access_map, old, "wallets"),
            open(mdb_access_map, new, "wallets"),
        );
        let mut iter = ptr::null_mut();
        let name = "wallets";
        check(unsafe {
            mdb_persistent_iters_new_map(
                iters,
                name.as_ptr().cast(),
                name.len(),
                old_wallets,
                &mut iter,
            )
        })?;
        for _ in 0..CHUNK {
            let Some((key, value)) = next_entry(iter)? else {
                break;
            };
            check(put(new_wallets, &key, &[value[0], value[0]]))?;
        }
        unsafe {
            mdb_iter_free(iter);
            mdb_map_free(old_wallets);
            mdb_map_free(new_wallets);
            mdb_access_free(old);
            mdb_access_free(new);
        }
        match steps.fail {
            Some((round, status)) if round == steps.rounds => Err(status),
            _ => Ok(()),
        }
    })
}

fn doubled_wallets(count: u8) -> Entries {
    (0..count).map(|i| (wallet(i), vec![i, i])).collect()
}

fn wallets(count: u8) -> Entries {
    (0..count).map(|i| (wallet(i), vec![i])).collect()
}

fn run_loop(helper: *mut mdb_migration_helper, steps: &mut Steps) -> mdb_status {
    let user_data = (steps as *mut Steps).cast();
    unsafe { mdb_migration_helper_iter_loop(helper, Some(migrate_wallets_in_chunks), user_data) }
}

#[test]
fn null_and_invalid_arguments_are_rejected() {
    let db = TempDb::new();
    let helper = db.helper();
    let ns = NS.as_ptr().cast::<c_char>();
    let (mut out_helper, mut out_abort, mut out_access, mut out_iter) = (
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
    );
    let scratchpad = view(helper, mdb_migration_helper_scratchpad);
    let map = open(mdb_access_map, scratchpad, "map");
    let mut fork = ptr::null_mut();
    assert_status(unsafe { mdb_fork_new(db.0, &mut fork) }, MDB_OK);
    assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
        [
            mdb_migration_helper_new(ptr::null(), ns, 4, &mut out_helper),
            mdb_migration_helper_new(db.0, ptr::null(), 4, &mut out_helper),
            mdb_migration_helper_new(db.0, ns, 4, ptr::null_mut()),
            mdb_migration_helper_new(db.0, "te.st".as_ptr().cast(), 5, &mut out_helper),
            mdb_migration_helper_new(db.0, ns, 0, &mut out_helper),
            mdb_migration_helper_new_with_abort(db.0, ns, 4, &mut out_helper, ptr::null_mut()),
            mdb_migration_helper_new_with_abort(db.0, ns, 4, ptr::null_mut(), &mut out_abort),
            mdb_migration_helper_new_data(ptr::null(), &mut out_access),
            mdb_migration_helper_old_data(helper, ptr::null_mut()),
            mdb_migration_helper_scratchpad(ptr::null(), &mut out_access),
            mdb_migration_helper_merge(ptr::null_mut()),
            mdb_migration_helper_finish(ptr::null_mut()),
            mdb_migration_helper_iter_loop(
                ptr::null_mut(),
                Some(migrate_wallets_in_chunks),
                ptr::null_mut(),
            ),
            mdb_migration_helper_iter_loop(helper, None, ptr::null_mut()),
            mdb_persistent_iter_new_map(ptr::null(), ns, 4, map, &mut out_iter),
            mdb_persistent_iter_new_map(scratchpad, ptr::null(), 4, map, &mut out_iter),
            mdb_persistent_iter_new_map(scratchpad, "a b".as_ptr().cast(), 3, map, &mut out_iter),
            mdb_persistent_iter_new_map(scratchpad, ns, 4, ptr::null(), &mut out_iter),
            mdb_persistent_iter_new_map(scratchpad, ns, 4, map, ptr::null_mut()),
            mdb_persistent_iters_new_map(ptr::null_mut(), ns, 4, map, &mut out_iter),
            mdb_migration_flush(ptr::null_mut(), ns, 4),
            mdb_migration_flush(fork, ptr::null(), 4),
            mdb_migration_flush(fork, "".as_ptr().cast(), 0),
            mdb_migration_rollback(ptr::null_mut(), ns, 4),
            mdb_migration_rollback(fork, "te st".as_ptr().cast(), 5),
            mdb_migration_create_tombstone(ptr::null_mut(), ns, 4, ptr::null(), 0),
            mdb_migration_create_tombstone(scratchpad, ptr::null(), 4, ptr::null(), 0),
        ]
    });
    assert!(
        out_helper.is_null() && out_abort.is_null(),
        "no output is written on failure"
    );
    assert!(
        out_access.is_null() && out_iter.is_null(),
        "no output is written on failure"
    );
    unsafe {
        mdb_migration_helper_free(ptr::null_mut());
        mdb_map_free(map);
        mdb_access_free(scratchpad);
        mdb_fork_free(fork);
        mdb_migration_helper_free(helper);
    }
}

#[test]
fn iter_loop_migrates_a_map_in_chunks_until_its_iterator_ends() {
    let db = TempDb::new();
    db.fill_wallets("test.wallets", 10);
    let helper = db.helper();
    let mut steps = Steps::default();
    assert_status(run_loop(helper, &mut steps), MDB_OK);
    assert_eq!(steps.rounds, 4, "10 wallets in chunks of 3");
    // Every round was merged; the old data is untouched until the flush.
    assert_eq!(db.migrated_entries("wallets"), doubled_wallets(10));
    assert_eq!(db.entries("test.wallets"), wallets(10));
    assert_status(unsafe { mdb_migration_helper_finish(helper) }, MDB_OK);
    unsafe { mdb_migration_helper_free(helper) };

    db.finalize(mdb_migration_flush);
    assert_eq!(db.entries("test.wallets"), doubled_wallets(10));
}

#[test]
fn iter_loop_resumes_with_a_new_helper_after_a_failed_step() {
    let db = TempDb::new();
    db.fill_wallets("test.wallets", 10);
    let helper = db.helper();
    let mut steps = Steps {
        fail: Some((2, MDB_ERR_OUT_OF_RANGE)),
        ..Steps::default()
    };
    assert_status(run_loop(helper, &mut steps), MDB_ERR_OUT_OF_RANGE);
    // The failed round was not merged: only the first chunk is in the database.
    assert_eq!(db.migrated_entries("wallets"), doubled_wallets(3));
    unsafe { mdb_migration_helper_free(helper) };

    let helper = db.helper();
    let mut steps = Steps::default();
    assert_status(run_loop(helper, &mut steps), MDB_OK);
    assert_eq!(steps.rounds, 3, "the 7 wallets left, in chunks of 3");
    assert_eq!(db.migrated_entries("wallets"), doubled_wallets(10));
    unsafe { mdb_migration_helper_free(helper) };
}

#[test]
fn aborting_inside_the_loop_stops_it_at_the_next_merge() {
    let db = TempDb::new();
    db.fill_wallets("test.wallets", 10);
    let (helper, abort_handle) = db.helper_with_abort();
    let mut steps = Steps {
        abort: Some((2, abort_handle)),
        ..Steps::default()
    };
    assert_status(run_loop(helper, &mut steps), MDB_ERR_ABORTED);
    assert_eq!(steps.rounds, 2);
    assert_eq!(db.migrated_entries("wallets"), doubled_wallets(3));
    let mut access = ptr::null_mut();
    let status = unsafe { mdb_migration_helper_new_data(helper, &mut access) };
    assert_status(status, MDB_ERR_STALE_HANDLE);
    unsafe {
        (
            mdb_abort_handle_free(abort_handle),
            mdb_migration_helper_free(helper),
        )
    };
}

/// A step that only counts its rounds.
unsafe extern "C" fn count_rounds(
    _helper: *mut mdb_migration_helper,
    _iters: *mut mdb_persistent_iters,
    user_data: *mut c_void,
) -> mdb_status {
    unsafe { *user_data.cast::<usize>() += 1 };
    MDB_OK
}

#[test]
fn iter_loop_without_iterators_runs_one_round() {
    let db = TempDb::new();
    let helper = db.helper();
    let mut rounds = 0_usize;
    let user_data = (&mut rounds as *mut usize).cast();
    let status = unsafe { mdb_migration_helper_iter_loop(helper, Some(count_rounds), user_data) };
    assert_status(status, MDB_OK);
    assert_eq!(rounds, 1);
    unsafe { mdb_migration_helper_free(helper) };
}

/// Takes up to `count` keys of the helper's old `wallets` through a persistent iterator
/// named `wallets` in its scratchpad.
fn take_wallets(helper: *mut mdb_migration_helper, count: usize) -> Vec<Vec<u8>> {
    let scratchpad = view(helper, mdb_migration_helper_scratchpad);
    let old = view(helper, mdb_migration_helper_old_data);
    let keys = with_map(old, "wallets", |map| {
        let mut iter = ptr::null_mut();
        let status = unsafe {
            mdb_persistent_iter_new_map(scratchpad, "wallets".as_ptr().cast(), 7, map, &mut iter)
        };
        assert_status(status, MDB_OK);
        let keys = (0..count)
            .map_while(|_| next_entry(iter).unwrap().map(|(key, _)| key))
            .collect();
        unsafe { mdb_iter_free(iter) };
        keys
    });
    unsafe {
        mdb_access_free(scratchpad);
        mdb_access_free(old);
    }
    keys
}

#[test]
fn persistent_iterator_resumes_after_the_helper_is_recreated() {
    let db = TempDb::new();
    db.fill_wallets("test.wallets", 5);
    let helper = db.helper();
    assert_eq!(take_wallets(helper, 2), [wallet(0), wallet(1)]);
    assert_status(unsafe { mdb_migration_helper_merge(helper) }, MDB_OK);
    unsafe { mdb_migration_helper_free(helper) };

    let helper = db.helper();
    assert_eq!(take_wallets(helper, 10), [wallet(2), wallet(3), wallet(4)]);
    assert_status(unsafe { mdb_migration_helper_finish(helper) }, MDB_OK);
    unsafe { mdb_migration_helper_free(helper) };

    // An ended iterator stays ended, even over items added since.
    db.write(|access| {
        with_map(access, "test.wallets", |map| {
            assert_status(put(map, &wallet(9), &[9]), MDB_OK)
        })
    });
    let helper = db.helper();
    assert_eq!(take_wallets(helper, 10), Vec::<Vec<u8>>::new());
    unsafe { mdb_migration_helper_free(helper) };
}

#[test]
fn persistent_iterator_creation_checks_name_access_and_family() {
    let db = TempDb::new();
    db.fill_wallets("test.wallets", 3);
    let helper = db.helper();
    let scratchpad = view(helper, mdb_migration_helper_scratchpad);
    let old = view(helper, mdb_migration_helper_old_data);
    let map = open(mdb_access_map, old, "wallets");
    let create = |access, name: &str, map| {
        let mut iter = ptr::null_mut();
        let status = unsafe {
            mdb_persistent_iter_new_map(access, name.as_ptr().cast(), name.len(), map, &mut iter)
        };
        (status, iter)
    };
    let (status, iter) = create(scratchpad, "wallets", map);
    assert_status(status, MDB_OK);
    assert_status(create(scratchpad, "wallets", map).0, MDB_ERR_BORROWED);
    assert_status(create(old, "position", map).0, MDB_ERR_READONLY);
    let other = db.helper();
    let other_old = view(other, mdb_migration_helper_old_data);
    let other_map = open(mdb_access_map, other_old, "wallets");
    assert_status(
        create(scratchpad, "other", other_map).0,
        MDB_ERR_INVALID_ARGUMENT,
    );

    // A merge makes the iterator stale; its position is kept.
    assert_eq!(next_entry(iter), Ok(Some((wallet(0), vec![0]))));
    assert_status(unsafe { mdb_migration_helper_merge(helper) }, MDB_OK);
    assert_eq!(next_entry(iter), Err(MDB_ERR_STALE_HANDLE));
    unsafe { mdb_iter_free(iter) };
    assert_eq!(take_wallets(helper, 10), [wallet(1), wallet(2)]);
    unsafe {
        mdb_map_free(map);
        mdb_access_free(scratchpad);
        mdb_access_free(old);
        mdb_map_free(other_map);
        mdb_access_free(other_old);
        mdb_migration_helper_free(other);
        mdb_migration_helper_free(helper);
    }
}

#[test]
fn abort_from_another_thread_makes_the_next_merge_fail_and_write_nothing() {
    let db = TempDb::new();
    let (helper, abort_handle) = db.helper_with_abort();
    let new = view(helper, mdb_migration_helper_new_data);
    with_map(new, "wallets", |map| {
        assert_status(put(map, b"key", b"value"), MDB_OK)
    });
    let handle = abort_handle as usize;
    std::thread::spawn(move || unsafe { mdb_abort_handle_abort(handle as *mut _) })
        .join()
        .map(|status| assert_status(status, MDB_OK))
        .unwrap();
    assert_status(
        unsafe { mdb_migration_helper_merge(helper) },
        MDB_ERR_ABORTED,
    );
    assert_eq!(db.migrated_entries("wallets"), Entries::new());
    // The helper is unusable, and its children are stale.
    assert_status(
        unsafe { mdb_migration_helper_merge(helper) },
        MDB_ERR_STALE_HANDLE,
    );
    let mut index = ptr::null_mut();
    let status = unsafe { mdb_access_map(new, "x".as_ptr().cast(), 1, ptr::null(), 0, &mut index) };
    assert_status(status, MDB_ERR_STALE_HANDLE);
    unsafe {
        mdb_access_free(new);
        mdb_migration_helper_free(helper);
        mdb_abort_handle_free(abort_handle);
    }
}

#[test]
fn flush_and_rollback_make_fork_children_stale() {
    let db = TempDb::new();
    let finalizers: [Finalizer; 2] = [mdb_migration_flush, mdb_migration_rollback];
    for finalize in finalizers {
        let mut fork = ptr::null_mut();
        assert_status(unsafe { mdb_fork_new(db.0, &mut fork) }, MDB_OK);
        let map = open(mdb_access_map, mdb_fork_as_access(fork), "test.kept");
        assert_status(put(map, b"key", b"value"), MDB_OK);
        // An invalid namespace changes nothing.
        let status = unsafe { finalize(fork, "te.st".as_ptr().cast(), 5) };
        assert_status(status, MDB_ERR_INVALID_ARGUMENT);
        assert_eq!(get(map, b"key"), Some(b"value".to_vec()));

        assert_status(
            unsafe { finalize(fork, NS.as_ptr().cast(), NS.len()) },
            MDB_OK,
        );
        assert_status(put(map, b"key", b"other"), MDB_ERR_STALE_HANDLE);
        // The fork stays usable, and its own changes stay.
        with_map(mdb_fork_as_access(fork), "test.kept", |map| {
            assert_eq!(get(map, b"key"), Some(b"value".to_vec()))
        });
        unsafe { (mdb_map_free(map), mdb_fork_free(fork)) };
    }
}

#[test]
fn rollback_discards_the_migrated_data() {
    let db = TempDb::new();
    db.fill_wallets("test.wallets", 3);
    let helper = db.helper();
    let new = view(helper, mdb_migration_helper_new_data);
    with_map(new, "wallets", |map| {
        assert_status(put(map, b"key", b"value"), MDB_OK)
    });
    assert_status(unsafe { mdb_migration_helper_finish(helper) }, MDB_OK);
    unsafe { (mdb_access_free(new), mdb_migration_helper_free(helper)) };
    db.finalize(mdb_migration_rollback);
    assert_eq!(db.migrated_entries("wallets"), Entries::new());
    db.finalize(mdb_migration_flush);
    assert_eq!(db.entries("test.wallets"), wallets(3));
}

fn tombstone(access: *mut mdb_access, name: &str) -> mdb_status {
    let name_ptr = name.as_ptr().cast();
    unsafe { mdb_migration_create_tombstone(access, name_ptr, name.len(), ptr::null(), 0) }
}

fn index_type(access: *const mdb_access, name: &str) -> Option<u32> {
    let (mut index_type, mut found) = (0, false);
    let status = unsafe {
        let name_ptr = name.as_ptr().cast();
        mdb_access_index_type(
            access,
            name_ptr,
            name.len(),
            ptr::null(),
            0,
            &mut index_type,
            &mut found,
        )
    };
    assert_status(status, MDB_OK);
    found.then_some(index_type)
}

#[test]
fn tombstones_need_a_writable_migration_access_and_no_other_index() {
    let db = TempDb::new();
    db.fill_wallets("test.gone", 2);
    let helper = db.helper();
    let new = view(helper, mdb_migration_helper_new_data);
    let scratchpad = view(helper, mdb_migration_helper_scratchpad);
    assert_status(tombstone(scratchpad, "gone"), MDB_ERR_INVALID_ARGUMENT);
    assert_status(tombstone(new, "a b"), MDB_ERR_INVALID_ARGUMENT);
    db.read(|snapshot| {
        let mut migration = ptr::null_mut();
        let status =
            unsafe { mdb_access_migration(snapshot, NS.as_ptr().cast(), 4, &mut migration) };
        assert_status(status, MDB_OK);
        assert_status(tombstone(migration, "gone"), MDB_ERR_READONLY);
        unsafe { mdb_access_free(migration) };
    });
    // A live handle of another type is reported, not borrowed.
    with_map(new, "kept", |_| {
        assert_status(tombstone(new, "kept"), MDB_ERR_WRONG_TYPE)
    });

    assert_status(tombstone(new, "gone"), MDB_OK);
    assert_status(tombstone(new, "gone"), MDB_OK);
    let mut map = ptr::null_mut();
    let status =
        unsafe { mdb_access_map(new, "gone".as_ptr().cast(), 4, ptr::null(), 0, &mut map) };
    assert_status(status, MDB_ERR_WRONG_TYPE);
    assert_status(unsafe { mdb_migration_helper_finish(helper) }, MDB_OK);
    unsafe {
        mdb_access_free(new);
        mdb_access_free(scratchpad);
        mdb_migration_helper_free(helper);
    }
    db.finalize(mdb_migration_flush);
    db.read(|snapshot| {
        assert_eq!(index_type(snapshot, "test.gone"), None);
        assert_eq!(
            index_type(snapshot, "test.kept"),
            Some(crate::ffi::access::MDB_INDEX_MAP)
        );
    });
}

/// Takes up to `count` entries of the helper's old list `items` through a persistent iterator
/// named `items` in its scratchpad.
fn take_items(helper: *mut mdb_migration_helper, count: usize) -> Entries {
    let scratchpad = view(helper, mdb_migration_helper_scratchpad);
    let old = view(helper, mdb_migration_helper_old_data);
    let list = open(mdb_access_list, old, "items");
    let mut iter = ptr::null_mut();
    let status = unsafe {
        mdb_persistent_iter_new_list(scratchpad, "items".as_ptr().cast(), 5, list, &mut iter)
    };
    assert_status(status, MDB_OK);
    let entries = (0..count)
        .map_while(|_| next_entry(iter).unwrap())
        .collect();
    unsafe {
        mdb_iter_free(iter);
        mdb_list_free(list);
        mdb_access_free(scratchpad);
        mdb_access_free(old);
    }
    entries
}

#[test]
fn persistent_list_iterator_resumes_at_the_saved_position() {
    let db = TempDb::new();
    db.write(|access| {
        let list = open(mdb_access_list, access, "test.items");
        for i in 0..5_u8 {
            assert_status(unsafe { mdb_list_push(list, [i].as_ptr(), 1) }, MDB_OK);
        }
        unsafe { mdb_list_free(list) };
    });
    let item = |i: u8| (u64::from(i).to_be_bytes().to_vec(), vec![i]);
    let helper = db.helper();
    assert_eq!(take_items(helper, 2), [item(0), item(1)]);
    assert_status(unsafe { mdb_migration_helper_finish(helper) }, MDB_OK);
    unsafe { mdb_migration_helper_free(helper) };

    let helper = db.helper();
    assert_eq!(take_items(helper, 10), [item(2), item(3), item(4)]);
    unsafe { mdb_migration_helper_free(helper) };
}
