//! The C ABI (`include/metaldb.h`) for the Rust reliability tests: the declarations generated
//! from the header (`metaldb-abi-sys`), and a few checked wrappers.
//!
//! The exported functions are linked from the library under test (the `metaldb` rlib holds
//! them).

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::{
    ffi::{c_char, CStr, CString},
    path::Path,
    ptr,
};

// Makes sure the library, and with it the exported functions, is linked in.
use metaldb as _;
pub use metaldb_abi_sys::*;

/// Copies the bytes of a filled `mdb_bytes` out, and frees them.
pub fn take_bytes(mut bytes: mdb_bytes) -> Vec<u8> {
    let copied = if bytes.data.is_null() {
        Vec::new()
    } else {
        // SAFETY: a filled `mdb_bytes` points to `len` initialised bytes.
        unsafe { std::slice::from_raw_parts(bytes.data, bytes.len) }.to_vec()
    };
    // SAFETY: the bytes were filled by the library and are freed once.
    unsafe { mdb_bytes_free(&mut bytes) };
    copied
}

/// The calling thread's last error message.
pub fn last_error() -> String {
    // SAFETY: the message is a valid C string until the next call on this thread.
    unsafe { CStr::from_ptr(mdb_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// The static text of a status.
pub fn status_text(status: mdb_status) -> String {
    // SAFETY: a static C string.
    unsafe { CStr::from_ptr(mdb_status_str(status)) }
        .to_string_lossy()
        .into_owned()
}

/// Panics unless `status` is `MDB_OK`, with the call and the thread's message.
#[track_caller]
pub fn check(status: mdb_status, call: &str) {
    assert_eq!(
        status,
        MDB_OK,
        "{call} failed: {} ({})",
        status_text(status),
        last_error()
    );
}

/// `mdb_db_open` with the default options: the handle, or the status and message.
pub fn open(path: &Path) -> Result<*mut mdb_db, (mdb_status, String)> {
    let path = CString::new(path.to_str().expect("a UTF-8 path")).expect("no NUL in the path");
    let mut db = ptr::null_mut();
    // SAFETY: a valid C string, default options and an output pointer.
    let status = unsafe { mdb_db_open(path.as_ptr(), ptr::null(), &mut db) };
    if status == MDB_OK {
        Ok(db)
    } else {
        Err((status, last_error()))
    }
}

/// A name argument: pointer and length, borrowed from `name` (keep it alive during the call).
pub fn name(name: &str) -> (*const c_char, usize) {
    (name.as_ptr().cast(), name.len())
}

/// Opens the map `map_name` (no group key) through `access`.
///
/// # Safety
///
/// `access` must be a live access handle.
pub unsafe fn open_map(
    access: *const mdb_access,
    map_name: &str,
) -> Result<*mut mdb_map, mdb_status> {
    let (name, len) = name(map_name);
    let mut map = ptr::null_mut();
    // SAFETY: per the caller, a live access; valid name and output.
    let status = unsafe { mdb_access_map(access, name, len, ptr::null(), 0, &mut map) };
    if status == MDB_OK {
        Ok(map)
    } else {
        Err(status)
    }
}

/// Opens the list `list_name` (no group key) through `access`.
///
/// # Safety
///
/// `access` must be a live access handle.
pub unsafe fn open_list(
    access: *const mdb_access,
    list_name: &str,
) -> Result<*mut mdb_list, mdb_status> {
    let (name, len) = name(list_name);
    let mut list = ptr::null_mut();
    // SAFETY: per the caller, a live access; valid name and output.
    let status = unsafe { mdb_access_list(access, name, len, ptr::null(), 0, &mut list) };
    if status == MDB_OK {
        Ok(list)
    } else {
        Err(status)
    }
}

/// `mdb_map_get`: the value of `key`, if any.
///
/// # Safety
///
/// `map` must be a live map handle.
pub unsafe fn map_get(map: *const mdb_map, key: &[u8]) -> Result<Option<Vec<u8>>, mdb_status> {
    let mut value = mdb_bytes::default();
    let mut found = false;
    // SAFETY: per the caller, a live map; valid key and outputs.
    let status = unsafe { mdb_map_get(map, key.as_ptr(), key.len(), &mut value, &mut found) };
    match status {
        MDB_OK if found => Ok(Some(take_bytes(value))),
        MDB_OK => Ok(None),
        _ => Err(status),
    }
}

/// `mdb_map_put`.
///
/// # Safety
///
/// `map` must be a live map handle.
pub unsafe fn map_put(map: *mut mdb_map, key: &[u8], value: &[u8]) -> mdb_status {
    // SAFETY: per the caller, a live map; valid key and value.
    unsafe { mdb_map_put(map, key.as_ptr(), key.len(), value.as_ptr(), value.len()) }
}

/// A key and a value that an iterator lends until its next step or free.
pub type LentEntry<'a> = (&'a [u8], &'a [u8]);

/// One `mdb_iter_next` step: its status, and the key and value it lends if it found one
/// (valid until the iterator's next step or free).
///
/// # Safety
///
/// `iter` must be a live iterator handle.
pub unsafe fn iter_step<'a>(iter: *mut mdb_iter) -> (mdb_status, Option<LentEntry<'a>>) {
    let (mut key, mut key_len) = (ptr::null(), 0);
    let (mut value, mut value_len) = (ptr::null(), 0);
    let mut found = false;
    // SAFETY: per the caller, a live iterator; valid outputs.
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
    if status != MDB_OK || !found {
        return (status, None);
    }
    // SAFETY: the library lends `len` bytes until the next step; NULL only with length 0.
    let bytes = |data: *const u8, len: usize| {
        if len == 0 {
            &[][..]
        } else {
            unsafe { std::slice::from_raw_parts(data, len) }
        }
    };
    (status, Some((bytes(key, key_len), bytes(value, value_len))))
}

/// Every key and value of a map, in order.
///
/// # Safety
///
/// `map` must be a live map handle.
pub unsafe fn map_entries(map: *const mdb_map) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut iter = ptr::null_mut();
    // SAFETY: per the caller, a live map; an empty `from` and an output.
    check(
        unsafe { mdb_map_iter(map, ptr::null(), 0, &mut iter) },
        "mdb_map_iter",
    );
    let mut entries = Vec::new();
    loop {
        // SAFETY: a live iterator; the entry is copied before the next step.
        match unsafe { iter_step(iter) } {
            (MDB_OK, Some((key, value))) => entries.push((key.to_vec(), value.to_vec())),
            (MDB_OK, None) => break,
            (status, _) => check(status, "mdb_iter_next"),
        }
    }
    // SAFETY: freed once.
    unsafe { mdb_iter_free(iter) };
    entries
}

/// `mdb_list_len`.
///
/// # Safety
///
/// `list` must be a live list handle.
pub unsafe fn list_len(list: *const mdb_list) -> Result<u64, mdb_status> {
    let mut len = 0;
    // SAFETY: per the caller, a live list; a valid output.
    match unsafe { mdb_list_len(list, &mut len) } {
        MDB_OK => Ok(len),
        status => Err(status),
    }
}

/// Forks `db`, runs `write` on the fork, and merges it (with sync if asked).
///
/// # Safety
///
/// `db` must be a live database handle.
pub unsafe fn commit(db: *mut mdb_db, sync: bool, write: impl FnOnce(*const mdb_access)) {
    let mut fork = ptr::null_mut();
    // SAFETY: per the caller, a live database.
    check(unsafe { mdb_fork_new(db, &mut fork) }, "mdb_fork_new");
    // SAFETY: a live fork.
    write(unsafe { mdb_fork_as_access(fork) });
    let mut patch = ptr::null_mut();
    // SAFETY: a live fork, consumed here; the patch is merged and both are freed once.
    unsafe {
        check(mdb_fork_into_patch(fork, &mut patch), "mdb_fork_into_patch");
        let status = if sync {
            mdb_db_merge_sync(db, patch)
        } else {
            mdb_db_merge(db, patch)
        };
        check(status, "mdb_db_merge");
        mdb_patch_free(patch);
        mdb_fork_free(fork);
    }
}

/// Raw pointers that the tests share between threads. Every handle type of the C ABI that
/// they share is documented as usable from any thread (databases, snapshots and abort handles
/// outright, fork families behind their lock).
pub struct Shared<T>(pub *mut T);

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Shared({:p})", self.0)
    }
}

// Not derived: a derive would require `T: Copy` (and `T: Debug`), which the handle types are not.
impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shared<T> {}

impl<T> Shared<T> {
    /// The pointer. A closure that calls this captures the whole `Shared` (which is `Send`),
    /// where one that reads the field would capture the bare pointer (which is not).
    pub fn get(self) -> *mut T {
        self.0
    }
}

// SAFETY: see the type's documentation: the library serialises what needs it.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Shared<T> {}
