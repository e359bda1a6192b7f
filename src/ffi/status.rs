//! Status codes, the one map from Rust errors to them, and the thread-local error message.

use std::{
    cell::RefCell,
    ffi::{c_char, CString},
    fmt,
};

use crate::{
    access::AccessError, access::AccessErrorKind, error::ErrorKind, migration::MigrationError,
    views::CorruptMetadata,
};

/// The result of every fallible metaldb call: `MDB_OK` (0) on success, a positive
/// `MDB_ERR_*` code on failure. Codes are stable: a code keeps its meaning, and a retired code
/// is never reused. A newer 1.x library may return codes this header does not define: treat
/// an unknown code as a failure (`mdb_status_str` gives `"unknown status code"`). The ranges
/// are in the header's conventions ("Status codes").
#[allow(non_camel_case_types)]
pub type mdb_status = u32;

/// Success.
pub const MDB_OK: mdb_status = 0;
/// An argument is invalid: NULL where a value is required, a name that is not UTF-8 or not a
/// valid index name, an unknown option. Nothing was done.
pub const MDB_ERR_INVALID_ARGUMENT: mdb_status = 1;
/// RocksDB reported an error: I/O, a locked or damaged database, a full disk (the message
/// holds RocksDB's text); or the database path is not a directory.
pub const MDB_ERR_STORAGE: mdb_status = 2;
/// An index of another type exists at the address.
pub const MDB_ERR_WRONG_TYPE: mdb_status = 3;
/// The index is already in use in this fork: held by another writable handle, shared with
/// read-only handles, or being iterated.
pub const MDB_ERR_BORROWED: mdb_status = 4;
/// The handle's parent was consumed (a fork turned into a patch, rolled back or flushed by a
/// migration, a patch merged, a migration helper merged or finished) or closed. The handle
/// can only be freed.
pub const MDB_ERR_STALE_HANDLE: mdb_status = 5;
/// The migration was aborted through its abort handle; nothing of the step was written.
pub const MDB_ERR_ABORTED: mdb_status = 6;
/// An internal error (a Rust panic) was caught at the boundary. The handle's family is
/// poisoned.
pub const MDB_ERR_PANIC: mdb_status = 7;
/// An earlier call panicked while using this fork, patch or snapshot family; the family can
/// only be freed.
pub const MDB_ERR_POISONED: mdb_status = 8;
/// A write through a read-only access (a snapshot, a patch or a read-only fork).
pub const MDB_ERR_READONLY: mdb_status = 9;
/// A list position is out of range.
pub const MDB_ERR_OUT_OF_RANGE: mdb_status = 10;
/// The database was written by an incompatible version of the on-disk format.
pub const MDB_ERR_INCOMPATIBLE_VERSION: mdb_status = 11;
/// A record that metaldb wrote does not decode: the metadata of an index, the identifier
/// counter or the format version record. The message names the record and shows its bytes.
/// The database may be damaged; other indexes may still be read, and nothing was written.
pub const MDB_ERR_CORRUPTION: mdb_status = 12;
/// The directory holds a RocksDB database that metaldb did not write (column families or
/// data, but no format version record). Nothing was written to it.
pub const MDB_ERR_NOT_A_DATABASE: mdb_status = 13;
/// A merge was refused: its fork created an index that a fork merged after it was made had
/// created with another type. The message names the index and both types; nothing was
/// written, and the patch is consumed.
pub const MDB_ERR_CONFLICT: mdb_status = 14;

/// Every status code with its static description, in code order.
const STATUS_TEXTS: [(mdb_status, &str); 15] = [
    (MDB_OK, "success\0"),
    (MDB_ERR_INVALID_ARGUMENT, "invalid argument\0"),
    (MDB_ERR_STORAGE, "storage error\0"),
    (MDB_ERR_WRONG_TYPE, "wrong index type\0"),
    (MDB_ERR_BORROWED, "index is borrowed\0"),
    (MDB_ERR_STALE_HANDLE, "stale handle\0"),
    (MDB_ERR_ABORTED, "migration aborted\0"),
    (MDB_ERR_PANIC, "internal error (panic)\0"),
    (
        MDB_ERR_POISONED,
        "handle family poisoned by an earlier panic\0",
    ),
    (MDB_ERR_READONLY, "write through a read-only access\0"),
    (MDB_ERR_OUT_OF_RANGE, "position out of range\0"),
    (
        MDB_ERR_INCOMPATIBLE_VERSION,
        "incompatible on-disk format version\0",
    ),
    (MDB_ERR_CORRUPTION, "stored data is corrupted\0"),
    (MDB_ERR_NOT_A_DATABASE, "not a metaldb database\0"),
    (MDB_ERR_CONFLICT, "conflicting merge\0"),
];

const UNKNOWN_STATUS_TEXT: &str = "unknown status code\0";

/// The static, NUL-terminated description of `status`.
pub(crate) fn status_text(status: mdb_status) -> &'static str {
    STATUS_TEXTS
        .iter()
        .find(|(code, _)| *code == status)
        .map_or(UNKNOWN_STATUS_TEXT, |(_, text)| text)
}

/// A failure to report to C: a status code and a message for the caller.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) status: mdb_status,
    pub(crate) message: String,
}

impl FfiError {
    pub(crate) fn new(status: mdb_status, message: impl fmt::Display) -> Self {
        Self {
            status,
            message: message.to_string(),
        }
    }

    pub(crate) fn invalid_argument(message: impl fmt::Display) -> Self {
        Self::new(MDB_ERR_INVALID_ARGUMENT, message)
    }

    pub(crate) fn null(parameter: &str) -> Self {
        Self::invalid_argument(format_args!("`{}` must not be NULL", parameter))
    }

    pub(crate) fn stale(what: &str) -> Self {
        Self::new(
            MDB_ERR_STALE_HANDLE,
            format_args!(
                "the {} is stale: its parent was consumed or closed; it can only be freed",
                what
            ),
        )
    }

    pub(crate) fn readonly(what: impl fmt::Display) -> Self {
        Self::new(
            MDB_ERR_READONLY,
            format_args!(
                "{} is read-only: it was opened from a snapshot, a patch or a read-only fork",
                what
            ),
        )
    }
}

impl From<crate::Error> for FfiError {
    fn from(err: crate::Error) -> Self {
        let status = match err.kind() {
            ErrorKind::Storage => MDB_ERR_STORAGE,
            ErrorKind::IncompatibleVersion => MDB_ERR_INCOMPATIBLE_VERSION,
            ErrorKind::Corruption => MDB_ERR_CORRUPTION,
            ErrorKind::NotADatabase => MDB_ERR_NOT_A_DATABASE,
            ErrorKind::Conflict => MDB_ERR_CONFLICT,
        };
        Self::new(status, err)
    }
}

impl From<CorruptMetadata> for FfiError {
    fn from(err: CorruptMetadata) -> Self {
        Self::new(MDB_ERR_CORRUPTION, err)
    }
}

impl From<AccessError> for FfiError {
    fn from(err: AccessError) -> Self {
        let status = match err.kind {
            AccessErrorKind::WrongIndexType { .. } => MDB_ERR_WRONG_TYPE,
            _ => MDB_ERR_INVALID_ARGUMENT,
        };
        Self::new(status, err)
    }
}

impl From<MigrationError> for FfiError {
    fn from(err: MigrationError) -> Self {
        match err {
            MigrationError::Aborted => Self::new(MDB_ERR_ABORTED, err),
            // The merge's own status (a conflict, a corruption), with the helper's message.
            MigrationError::Merge(ref merge) => {
                Self::new(FfiError::from(merge.clone()).status, err)
            }
        }
    }
}

thread_local! {
    /// The message of the last failed call on this thread, NUL-terminated.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Forgets the message of the previous call; every API call but the message accessors starts
/// with this.
pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|last| {
        let mut last = last.borrow_mut();
        if !last.as_bytes().is_empty() {
            *last = CString::default();
        }
    });
}

/// Records the message of a failure.
pub(crate) fn set_last_error(message: &str) {
    // Interior NULs would truncate the C string silently; show them instead.
    let message = CString::new(message.replace('\0', "\\0")).expect("NULs were replaced");
    LAST_ERROR.with(|last| *last.borrow_mut() = message);
}

/// Runs `read` on the current message.
pub(crate) fn with_last_error<R>(read: impl FnOnce(&CString) -> R) -> R {
    LAST_ERROR.with(|last| read(&last.borrow()))
}

/// A pointer to the current message. Valid until the next metaldb call on this thread, which
/// replaces the message: the `CString`'s buffer is not touched until then.
pub(crate) fn last_error_ptr() -> *const c_char {
    with_last_error(|message| message.as_ptr())
}

use super::boundary::ffi_boundary_keeping_message;

/// A static description of a status code, such as `"stale handle"`. Never NULL, never freed;
/// unknown codes give `"unknown status code"`. Unlike other calls, it keeps the thread's error
/// message, so `mdb_status_str(s)` and `mdb_last_error_message()` may be used in one
/// expression. Any thread.
#[no_mangle]
pub extern "C" fn mdb_status_str(status: mdb_status) -> *const c_char {
    ffi_boundary_keeping_message!(UNKNOWN_STATUS_TEXT.as_ptr().cast(), {
        status_text(status).as_ptr().cast()
    })
}

/// The message of the last failed call on this thread, NUL-terminated: empty after a
/// successful call (every call but this one and `mdb_last_error_copy` clears it).
///
/// The string is borrowed: valid until the next metaldb call on this thread. Never NULL.
///
/// In a host whose threads of execution move between OS threads (Go's goroutines), read the
/// message on the same OS thread as the failed call (Go: `runtime.LockOSThread` around both).
/// The status code alone is always right.
#[no_mangle]
pub extern "C" fn mdb_last_error_message() -> *const c_char {
    ffi_boundary_keeping_message!(UNKNOWN_STATUS_TEXT.as_ptr().cast(), { last_error_ptr() })
}

/// Copies the last error message of this thread (as `mdb_last_error_message`) into `buf`,
/// NUL-terminated, truncated to `buf_len - 1` bytes.
///
/// @param[out] buf      Destination of `buf_len` bytes; may be NULL when `buf_len` is 0.
/// @param[in]  buf_len  Size of `buf`.
/// @return The length of the whole message, without its NUL: the copy was truncated if this
///         is `>= buf_len`.
///
/// Does not change the message. Any thread.
#[no_mangle]
pub unsafe extern "C" fn mdb_last_error_copy(buf: *mut c_char, buf_len: usize) -> usize {
    ffi_boundary_keeping_message!(0, {
        with_last_error(|message| {
            let bytes = message.as_bytes();
            if !buf.is_null() && buf_len > 0 {
                let copied = bytes.len().min(buf_len - 1);
                // SAFETY: the caller provides `buf_len` writable bytes at `buf`; `copied + 1` fits.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr().cast(), buf, copied);
                    buf.add(copied).write(0);
                }
            }
            bytes.len()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND_STATUSES: [(ErrorKind, mdb_status); 5] = [
        (ErrorKind::Storage, MDB_ERR_STORAGE),
        (ErrorKind::IncompatibleVersion, MDB_ERR_INCOMPATIBLE_VERSION),
        (ErrorKind::Corruption, MDB_ERR_CORRUPTION),
        (ErrorKind::NotADatabase, MDB_ERR_NOT_A_DATABASE),
        (ErrorKind::Conflict, MDB_ERR_CONFLICT),
    ];

    #[test]
    fn a_failed_helper_merge_keeps_the_merge_s_status_and_says_it_was_the_helper_s() {
        for (kind, status) in KIND_STATUSES {
            let err = FfiError::from(MigrationError::Merge(crate::Error::with_kind(
                kind,
                "the reason",
            )));
            assert_eq!(
                (err.status, err.message.as_str()),
                (
                    status,
                    "Failed to merge migration changes to the database: the reason"
                )
            );
        }
    }

    #[test]
    fn every_error_kind_has_its_own_status() {
        for (kind, status) in KIND_STATUSES {
            let err = FfiError::from(crate::Error::with_kind(kind, "the reason"));
            assert_eq!((err.status, err.message.as_str()), (status, "the reason"));
        }
        assert_eq!(
            FfiError::from(crate::Error::new("any")).status,
            MDB_ERR_STORAGE
        );
    }

    #[test]
    fn status_texts_are_listed_in_code_order_and_nul_terminated() {
        for (index, (code, text)) in STATUS_TEXTS.iter().enumerate() {
            assert_eq!(*code as usize, index);
            assert!(text.ends_with('\0') && text.len() > 1, "{text:?}");
        }
    }
}
