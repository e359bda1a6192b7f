//! Fixtures for the unit tests of the C layer, which call the exported functions directly.

use std::{ffi::c_char, ptr};

use super::{
    access::{mdb_access, mdb_access_free},
    bytes::{mdb_bytes, mdb_bytes_free},
    db::{mdb_db, mdb_db_free, mdb_db_open_temporary},
    fork::{mdb_fork, mdb_fork_as_access, mdb_fork_free, mdb_fork_into_patch, mdb_fork_readonly},
    iter::{mdb_iter, mdb_iter_free, mdb_iter_next},
    map::{mdb_map, mdb_map_put},
    patch::{mdb_patch, mdb_patch_free},
    snapshot::{mdb_snapshot, mdb_snapshot_as_access, mdb_snapshot_free, mdb_snapshot_new},
    status::{mdb_status, status_text, with_last_error, MDB_OK},
};

/// The text of `status`, for assertion messages.
fn text(status: mdb_status) -> &'static str {
    status_text(status).trim_end_matches('\0')
}

/// Asserts that a call returned `expected`, showing the thread's message otherwise.
#[track_caller]
pub(crate) fn assert_status(status: mdb_status, expected: mdb_status) {
    if status != expected {
        let (expected, status) = (text(expected), text(status));
        panic!("expected {expected:?}, got {status:?}: {}", last_message());
    }
}

/// Asserts that every call returned `expected`.
#[track_caller]
pub(crate) fn assert_each(expected: mdb_status, statuses: &[mdb_status]) {
    for (call, &status) in statuses.iter().enumerate() {
        if status != expected {
            eprintln!("call #{} of the list", call);
        }
        assert_status(status, expected);
    }
}

/// The message of the last failed call on this thread.
pub(crate) fn last_message() -> String {
    with_last_error(|message| message.to_string_lossy().into_owned())
}

/// The signature shared by the index openers (`mdb_access_map`, `mdb_access_list`, ...).
pub(crate) type Opener<C> = unsafe extern "C" fn(
    *const mdb_access,
    *const c_char,
    usize,
    *const u8,
    usize,
    *mut *mut C,
) -> mdb_status;

/// Opens the index `name` (outside any group) through `access`, or returns the failed status.
pub(crate) fn try_open<C>(
    opener: Opener<C>,
    access: *const mdb_access,
    name: &str,
) -> Result<*mut C, mdb_status> {
    let mut index = ptr::null_mut();
    let (name_ptr, key) = (name.as_ptr().cast(), ptr::null());
    match unsafe { opener(access, name_ptr, name.len(), key, 0, &mut index) } {
        MDB_OK => Ok(index),
        status => Err(status),
    }
}

/// Opens the index `name` (outside any group) through `access`, which must succeed.
#[track_caller]
pub(crate) fn open<C>(opener: Opener<C>, access: *const mdb_access, name: &str) -> *mut C {
    try_open(opener, access, name)
        .unwrap_or_else(|status| panic!("opening {name:?}: {:?}: {}", text(status), last_message()))
}

/// A function that wraps an access in a namespace (`mdb_access_prefixed` and the like).
pub(crate) type Namespacer = unsafe extern "C" fn(
    *const mdb_access,
    *const c_char,
    usize,
    *mut *mut mdb_access,
) -> mdb_status;

/// Wraps `access` in the namespace `namespace`, which must succeed.
#[track_caller]
pub(crate) fn namespaced(
    function: Namespacer,
    access: *const mdb_access,
    namespace: &str,
) -> *mut mdb_access {
    let mut namespaced = ptr::null_mut();
    let name = namespace.as_ptr().cast();
    let status = unsafe { function(access, name, namespace.len(), &mut namespaced) };
    assert_status(status, MDB_OK);
    namespaced
}

/// Puts `key` → `value` into a map, returning the status.
pub(crate) fn put(map: *mut mdb_map, key: &[u8], value: &[u8]) -> mdb_status {
    unsafe { mdb_map_put(map, key.as_ptr(), key.len(), value.as_ptr(), value.len()) }
}

/// Runs a lookup that fills `out_value` and `out_found`, and returns its value, freeing the
/// `mdb_bytes`.
#[track_caller]
pub(crate) fn lookup(
    call: impl FnOnce(*mut mdb_bytes, *mut bool) -> mdb_status,
) -> Option<Vec<u8>> {
    let (mut bytes, mut found) = (mdb_bytes::empty(), false);
    assert_status(call(&mut bytes, &mut found), MDB_OK);
    let value = match bytes.len {
        0 => Vec::new(),
        len => unsafe { std::slice::from_raw_parts(bytes.data, len) }.to_vec(),
    };
    unsafe { mdb_bytes_free(&mut bytes) };
    found.then_some(value)
}

/// A key and a value, as an iterator returns them.
pub(crate) type KeyValue = (Vec<u8>, Vec<u8>);

/// Steps an iterator once: the entry it returned, `None` at its end, or the failed status.
pub(crate) fn next_entry(iter: *mut mdb_iter) -> Result<Option<KeyValue>, mdb_status> {
    let (mut key, mut key_len) = (ptr::null(), 0);
    let (mut value, mut value_len) = (ptr::null(), 0);
    let mut found = false;
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
    if status != MDB_OK {
        return Err(status);
    }
    let bytes = |data: *const u8, len: usize| match len {
        0 => Vec::new(),
        _ => unsafe { std::slice::from_raw_parts(data, len) }.to_vec(),
    };
    Ok(found.then(|| (bytes(key, key_len), bytes(value, value_len))))
}

/// Runs an index's `_iter` call, which must succeed, walks the iterator to its end, collecting
/// its entries, and frees it.
#[track_caller]
pub(crate) fn iterate(call: impl FnOnce(*mut *mut mdb_iter) -> mdb_status) -> Vec<KeyValue> {
    let mut iter = ptr::null_mut();
    assert_status(call(&mut iter), MDB_OK);
    let mut entries = Vec::new();
    while let Some(entry) =
        next_entry(iter).unwrap_or_else(|status| panic!("{:?}: {}", text(status), last_message()))
    {
        entries.push(entry);
    }
    unsafe { mdb_iter_free(iter) };
    entries
}

/// A temporary database and a fork of it, with the read-only accesses, snapshots and patches
/// made from them; everything is freed on drop.
pub(crate) struct TempFork {
    pub(crate) db: *mut mdb_db,
    pub(crate) fork: *mut mdb_fork,
    readonly: Vec<*mut mdb_access>,
    snapshots: Vec<*mut mdb_snapshot>,
    patches: Vec<*mut mdb_patch>,
}

impl TempFork {
    pub(crate) fn new() -> Self {
        let mut db = ptr::null_mut();
        assert_status(unsafe { mdb_db_open_temporary(&mut db) }, MDB_OK);
        let mut fork = ptr::null_mut();
        assert_status(unsafe { super::fork::mdb_fork_new(db, &mut fork) }, MDB_OK);
        Self {
            db,
            fork,
            readonly: Vec::new(),
            snapshots: Vec::new(),
            patches: Vec::new(),
        }
    }

    /// The fork as a writable access.
    pub(crate) fn access(&self) -> *const mdb_access {
        mdb_fork_as_access(self.fork)
    }

    /// Opens the index `name` through the fork.
    #[track_caller]
    pub(crate) fn open<C>(&self, opener: Opener<C>, name: &str) -> *mut C {
        open(opener, self.access(), name)
    }

    /// A new read-only access to the fork, freed on drop.
    #[track_caller]
    pub(crate) fn readonly(&mut self) -> *const mdb_access {
        let mut access = ptr::null_mut();
        assert_status(unsafe { mdb_fork_readonly(self.fork, &mut access) }, MDB_OK);
        self.readonly.push(access);
        access
    }

    /// The access of a new snapshot of the database (which does not see the fork's changes),
    /// freed on drop.
    #[track_caller]
    pub(crate) fn snapshot(&mut self) -> *const mdb_access {
        let mut snapshot = ptr::null_mut();
        assert_status(unsafe { mdb_snapshot_new(self.db, &mut snapshot) }, MDB_OK);
        self.snapshots.push(snapshot);
        mdb_snapshot_as_access(snapshot)
    }

    /// Turns the fork into a patch, which makes every handle opened from the fork stale.
    #[track_caller]
    pub(crate) fn convert_to_patch(&mut self) {
        let mut patch = ptr::null_mut();
        assert_status(
            unsafe { mdb_fork_into_patch(self.fork, &mut patch) },
            MDB_OK,
        );
        self.patches.push(patch);
    }
}

impl Drop for TempFork {
    fn drop(&mut self) {
        unsafe {
            self.readonly
                .drain(..)
                .for_each(|access| mdb_access_free(access));
            self.snapshots
                .drain(..)
                .for_each(|snapshot| mdb_snapshot_free(snapshot));
            self.patches
                .drain(..)
                .for_each(|patch| mdb_patch_free(patch));
            mdb_fork_free(self.fork);
            mdb_db_free(self.db);
        }
    }
}
