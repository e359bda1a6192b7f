//! The part of the C ABI (`include/metaldb.h`) that the Rust reliability tests call, declared
//! by hand from the header, and a few checked wrappers.
//!
//! The exported functions are linked from the library under test (the `metaldb` rlib holds
//! them). The declarations copy the header's prototypes one for one; the opaque handle types
//! are empty enums here, used only behind pointers.

// Each test crate uses a different subset of these declarations.
#![allow(dead_code, non_camel_case_types)]

use std::{
    ffi::{c_char, c_void, CStr, CString},
    path::Path,
    ptr,
};

// Makes sure the library, and with it the exported functions, is linked in.
use metaldb as _;

pub type mdb_status = u32;

pub const MDB_OK: mdb_status = 0;
pub const MDB_ERR_INVALID_ARGUMENT: mdb_status = 1;
pub const MDB_ERR_STORAGE: mdb_status = 2;
pub const MDB_ERR_WRONG_TYPE: mdb_status = 3;
pub const MDB_ERR_BORROWED: mdb_status = 4;
pub const MDB_ERR_STALE_HANDLE: mdb_status = 5;
pub const MDB_ERR_ABORTED: mdb_status = 6;
pub const MDB_ERR_PANIC: mdb_status = 7;
pub const MDB_ERR_POISONED: mdb_status = 8;
pub const MDB_ERR_INCOMPATIBLE_VERSION: mdb_status = 11;
pub const MDB_ERR_CORRUPTION: mdb_status = 12;
pub const MDB_ERR_NOT_A_DATABASE: mdb_status = 13;

pub const MDB_INDEX_MAP: u32 = 1;
pub const MDB_INDEX_LIST: u32 = 2;

pub enum mdb_db {}
pub enum mdb_fork {}
pub enum mdb_patch {}
pub enum mdb_snapshot {}
pub enum mdb_access {}
pub enum mdb_map {}
pub enum mdb_list {}
pub enum mdb_entry {}
pub enum mdb_iter {}
pub enum mdb_migration_helper {}
pub enum mdb_abort_handle {}

/// `mdb_bytes`: owned output bytes, freed with `mdb_bytes_free`.
#[repr(C)]
#[derive(Debug)]
pub struct mdb_bytes {
    pub data: *mut u8,
    pub len: usize,
    pub capacity: usize,
}

impl mdb_bytes {
    pub const fn empty() -> Self {
        Self {
            data: ptr::null_mut(),
            len: 0,
            capacity: 0,
        }
    }

    /// Copies the bytes out and frees them.
    pub fn take(mut self) -> Vec<u8> {
        let bytes = if self.data.is_null() {
            Vec::new()
        } else {
            // SAFETY: a filled `mdb_bytes` points to `len` initialised bytes.
            unsafe { std::slice::from_raw_parts(self.data, self.len) }.to_vec()
        };
        // SAFETY: the bytes were filled by the library and are freed once.
        unsafe { mdb_bytes_free(&mut self) };
        bytes
    }
}

extern "C" {
    pub fn mdb_status_str(status: mdb_status) -> *const c_char;
    pub fn mdb_last_error_message() -> *const c_char;
    pub fn mdb_bytes_free(bytes: *mut mdb_bytes);

    pub fn mdb_db_open(
        path: *const c_char,
        options: *const c_void,
        out_db: *mut *mut mdb_db,
    ) -> mdb_status;
    pub fn mdb_db_free(db: *mut mdb_db);
    pub fn mdb_snapshot_new(db: *const mdb_db, out_snapshot: *mut *mut mdb_snapshot) -> mdb_status;
    pub fn mdb_db_merge(db: *mut mdb_db, patch: *mut mdb_patch) -> mdb_status;
    pub fn mdb_db_merge_sync(db: *mut mdb_db, patch: *mut mdb_patch) -> mdb_status;

    pub fn mdb_fork_new(db: *const mdb_db, out_fork: *mut *mut mdb_fork) -> mdb_status;
    pub fn mdb_fork_as_access(fork: *const mdb_fork) -> *const mdb_access;
    pub fn mdb_fork_readonly(fork: *const mdb_fork, out_access: *mut *mut mdb_access)
        -> mdb_status;
    pub fn mdb_fork_flush(fork: *mut mdb_fork) -> mdb_status;
    pub fn mdb_fork_into_patch(fork: *mut mdb_fork, out_patch: *mut *mut mdb_patch) -> mdb_status;
    pub fn mdb_fork_free(fork: *mut mdb_fork);
    pub fn mdb_patch_free(patch: *mut mdb_patch);
    pub fn mdb_snapshot_as_access(snapshot: *const mdb_snapshot) -> *const mdb_access;
    pub fn mdb_snapshot_free(snapshot: *mut mdb_snapshot);
    pub fn mdb_access_free(access: *mut mdb_access);

    pub fn mdb_access_index_type(
        access: *const mdb_access,
        name: *const c_char,
        name_len: usize,
        key: *const u8,
        key_len: usize,
        out_type: *mut u32,
        out_found: *mut bool,
    ) -> mdb_status;
    pub fn mdb_access_migration(
        access: *const mdb_access,
        namespace: *const c_char,
        namespace_len: usize,
        out_access: *mut *mut mdb_access,
    ) -> mdb_status;

    pub fn mdb_access_map(
        access: *const mdb_access,
        name: *const c_char,
        name_len: usize,
        key: *const u8,
        key_len: usize,
        out_map: *mut *mut mdb_map,
    ) -> mdb_status;
    pub fn mdb_map_get(
        map: *const mdb_map,
        key: *const u8,
        key_len: usize,
        out_value: *mut mdb_bytes,
        out_found: *mut bool,
    ) -> mdb_status;
    pub fn mdb_map_contains(
        map: *const mdb_map,
        key: *const u8,
        key_len: usize,
        out_found: *mut bool,
    ) -> mdb_status;
    pub fn mdb_map_put(
        map: *mut mdb_map,
        key: *const u8,
        key_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> mdb_status;
    pub fn mdb_map_iter(
        map: *const mdb_map,
        from: *const u8,
        from_len: usize,
        out_iter: *mut *mut mdb_iter,
    ) -> mdb_status;
    pub fn mdb_map_free(map: *mut mdb_map);

    pub fn mdb_iter_next(
        iter: *mut mdb_iter,
        out_key: *mut *const u8,
        out_key_len: *mut usize,
        out_value: *mut *const u8,
        out_value_len: *mut usize,
        out_found: *mut bool,
    ) -> mdb_status;
    pub fn mdb_iter_free(iter: *mut mdb_iter);

    pub fn mdb_access_list(
        access: *const mdb_access,
        name: *const c_char,
        name_len: usize,
        key: *const u8,
        key_len: usize,
        out_list: *mut *mut mdb_list,
    ) -> mdb_status;
    pub fn mdb_list_push(list: *mut mdb_list, value: *const u8, value_len: usize) -> mdb_status;
    pub fn mdb_list_len(list: *const mdb_list, out_len: *mut u64) -> mdb_status;
    pub fn mdb_list_free(list: *mut mdb_list);

    pub fn mdb_access_entry(
        access: *const mdb_access,
        name: *const c_char,
        name_len: usize,
        key: *const u8,
        key_len: usize,
        out_entry: *mut *mut mdb_entry,
    ) -> mdb_status;
    pub fn mdb_entry_get(
        entry: *const mdb_entry,
        out_value: *mut mdb_bytes,
        out_found: *mut bool,
    ) -> mdb_status;
    pub fn mdb_entry_set(entry: *mut mdb_entry, value: *const u8, value_len: usize) -> mdb_status;
    pub fn mdb_entry_free(entry: *mut mdb_entry);

    pub fn mdb_migration_helper_new_with_abort(
        db: *const mdb_db,
        namespace: *const c_char,
        namespace_len: usize,
        out_helper: *mut *mut mdb_migration_helper,
        out_abort_handle: *mut *mut mdb_abort_handle,
    ) -> mdb_status;
    pub fn mdb_migration_helper_new_data(
        helper: *const mdb_migration_helper,
        out_access: *mut *mut mdb_access,
    ) -> mdb_status;
    pub fn mdb_migration_helper_merge(helper: *mut mdb_migration_helper) -> mdb_status;
    pub fn mdb_migration_helper_free(helper: *mut mdb_migration_helper);
    pub fn mdb_migration_flush(
        fork: *mut mdb_fork,
        namespace: *const c_char,
        namespace_len: usize,
    ) -> mdb_status;

    pub fn mdb_abort_handle_abort(handle: *mut mdb_abort_handle) -> mdb_status;
    pub fn mdb_abort_handle_is_finished(
        handle: *const mdb_abort_handle,
        out_finished: *mut bool,
    ) -> mdb_status;
    pub fn mdb_abort_handle_forget(handle: *mut mdb_abort_handle);
    pub fn mdb_abort_handle_free(handle: *mut mdb_abort_handle);
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
    let mut value = mdb_bytes::empty();
    let mut found = false;
    // SAFETY: per the caller, a live map; valid key and outputs.
    let status = unsafe { mdb_map_get(map, key.as_ptr(), key.len(), &mut value, &mut found) };
    match status {
        MDB_OK if found => Ok(Some(value.take())),
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
        let (mut key, mut key_len) = (ptr::null(), 0);
        let (mut value, mut value_len) = (ptr::null(), 0);
        let mut found = false;
        // SAFETY: a live iterator and valid outputs.
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
        check(status, "mdb_iter_next");
        if !found {
            break;
        }
        // SAFETY: the bytes are borrowed until the next call on the iterator; NULL only
        // with length 0.
        let bytes = |data: *const u8, len: usize| {
            if len == 0 {
                Vec::new()
            } else {
                unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
            }
        };
        entries.push((bytes(key, key_len), bytes(value, value_len)));
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
