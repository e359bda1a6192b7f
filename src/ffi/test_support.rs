//! Fixtures for the unit tests of the C layer, which call the exported functions directly.

use std::{ffi::c_char, ptr};

use super::{
    access::{mdb_access, mdb_access_free},
    bytes::{mdb_bytes, mdb_bytes_free},
    db::{mdb_db, mdb_db_free, mdb_db_open_temporary},
    fork::{mdb_fork, mdb_fork_as_access, mdb_fork_free, mdb_fork_into_patch, mdb_fork_readonly},
    iter::{mdb_iter, mdb_iter_free, mdb_iter_next},
    patch::{mdb_patch, mdb_patch_free},
    snapshot::mdb_snapshot_new,
    snapshot::{mdb_snapshot, mdb_snapshot_as_access, mdb_snapshot_free},
    status::{mdb_status, status_text, with_last_error, MDB_ERR_INVALID_ARGUMENT, MDB_OK},
};

/// Asserts that a call returned `expected`, showing the thread's message otherwise.
#[track_caller]
pub(crate) fn assert_status(status: mdb_status, expected: mdb_status) {
    if status != expected {
        let message = with_last_error(|message| message.to_string_lossy().into_owned());
        panic!(
            "expected {:?}, got {:?}: {}",
            status_text(expected).trim_end_matches('\0'),
            status_text(status).trim_end_matches('\0'),
            message
        );
    }
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

/// Calls an opener for the index `name` outside any group (a NULL key of `key_len` bytes).
unsafe fn call_opener<C>(
    opener: Opener<C>,
    access: *const mdb_access,
    name: (*const u8, usize),
    key_len: usize,
    out: *mut *mut C,
) -> mdb_status {
    unsafe { opener(access, name.0.cast(), name.1, ptr::null(), key_len, out) }
}

/// Opens the index `name` (outside any group) through `access`, which must succeed.
#[track_caller]
pub(crate) fn open<C>(opener: Opener<C>, access: *const mdb_access, name: &str) -> *mut C {
    let mut index = ptr::null_mut();
    let name = (name.as_ptr(), name.len());
    assert_status(
        unsafe { call_opener(opener, access, name, 0, &mut index) },
        MDB_OK,
    );
    assert!(!index.is_null());
    index
}

/// Checks that an opener refuses a NULL access, name, key (with a length) and output.
#[track_caller]
pub(crate) fn assert_opener_rejects_nulls<C>(opener: Opener<C>) {
    let db = TempFork::new();
    let (access, name, mut index) = (db.access(), (b"index".as_ptr(), 5), ptr::null_mut());
    assert_each(MDB_ERR_INVALID_ARGUMENT, &unsafe {
        [
            call_opener(opener, ptr::null(), name, 0, &mut index),
            call_opener(opener, access, (ptr::null(), 5), 0, &mut index),
            call_opener(opener, access, name, 3, &mut index),
            call_opener(opener, access, name, 0, ptr::null_mut()),
        ]
    });
    assert!(index.is_null(), "no output is written on failure");
}

/// Takes the bytes out of an `mdb_bytes` filled by the library, and frees it.
pub(crate) fn take_bytes(bytes: &mut mdb_bytes) -> Vec<u8> {
    let copy = if bytes.data.is_null() {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(bytes.data, bytes.len) }.to_vec()
    };
    unsafe { mdb_bytes_free(bytes) };
    copy
}

/// Runs a lookup that fills `out_value` and `out_found`, and returns its value.
#[track_caller]
pub(crate) fn lookup(
    call: impl FnOnce(*mut mdb_bytes, *mut bool) -> mdb_status,
) -> Option<Vec<u8>> {
    let mut value = mdb_bytes::empty();
    let mut found = false;
    assert_status(call(&mut value, &mut found), MDB_OK);
    found.then(|| take_bytes(&mut value))
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

/// Walks an iterator to its end, collecting its entries, and frees it.
#[track_caller]
pub(crate) fn collect(iter: *mut mdb_iter) -> Vec<KeyValue> {
    let mut entries = Vec::new();
    loop {
        match next_entry(iter) {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => break,
            Err(status) => assert_status(status, MDB_OK),
        }
    }
    unsafe { mdb_iter_free(iter) };
    entries
}

/// Runs an index's `_iter` call, which must succeed, and collects the iteration.
#[track_caller]
pub(crate) fn iterate(call: impl FnOnce(*mut *mut mdb_iter) -> mdb_status) -> Vec<KeyValue> {
    let mut iter = ptr::null_mut();
    assert_status(call(&mut iter), MDB_OK);
    collect(iter)
}

/// A temporary database and a fork of it, with the read-only accesses, snapshots and patches
/// made from them; everything is freed on drop.
pub(crate) struct TempFork {
    db: *mut mdb_db,
    fork: *mut mdb_fork,
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

    /// Opens the index `name` through a new read-only access to the fork.
    #[track_caller]
    pub(crate) fn open_readonly<C>(&mut self, opener: Opener<C>, name: &str) -> *mut C {
        let mut access = ptr::null_mut();
        assert_status(unsafe { mdb_fork_readonly(self.fork, &mut access) }, MDB_OK);
        self.readonly.push(access);
        open(opener, access, name)
    }

    /// Opens the index `name` through a new snapshot of the database (which does not see the
    /// fork's changes).
    #[track_caller]
    pub(crate) fn open_in_snapshot<C>(&mut self, opener: Opener<C>, name: &str) -> *mut C {
        let mut snapshot = ptr::null_mut();
        assert_status(unsafe { mdb_snapshot_new(self.db, &mut snapshot) }, MDB_OK);
        self.snapshots.push(snapshot);
        open(opener, mdb_snapshot_as_access(snapshot), name)
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
