//! The statuses a call may return, checked against what it did return, and the reading of
//! what the library hands back (out-parameters, `mdb_bytes`, the thread's error message).

use std::{ffi::CStr, fmt::Debug, ptr};

use crate::{
    abi::*,
    input::{CBytes, GroupKey, Op},
    model::Value,
};

/// The statuses a call may return.
#[derive(Default)]
pub(super) struct Expect {
    /// Errors that apply: the call must fail with one of them.
    pub(super) errors: Vec<mdb_status>,
    /// Statuses allowed besides: where an inexact model cannot tell.
    pub(super) maybe: Vec<mdb_status>,
}

impl Expect {
    pub(super) fn error_if(&mut self, condition: bool, status: mdb_status) {
        if condition {
            self.errors.push(status);
        }
    }

    pub(super) fn maybe_if(&mut self, condition: bool, status: mdb_status) {
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

pub(super) fn last_error() -> String {
    // SAFETY: the message is valid until the next call on this thread.
    unsafe { CStr::from_ptr(mdb_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Checks a status against the expectation; returns whether the call succeeded.
#[track_caller]
pub(super) fn check(call: &dyn Debug, status: mdb_status, expect: &Expect) -> bool {
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
pub(super) fn sentinel<T>() -> *mut T {
    ptr::NonNull::dangling().as_ptr()
}

/// An out-parameter: NULL when the operation asks for it, else `slot`.
pub(super) fn out<T>(null: bool, slot: &mut T) -> *mut T {
    if null {
        ptr::null_mut()
    } else {
        slot
    }
}

/// The bytes of an `mdb_bytes` (freed), or of a borrowed pointer and length.
pub(super) fn take_bytes(bytes: &mut mdb_bytes) -> Vec<u8> {
    let copy = borrowed(bytes.data, bytes.len);
    // SAFETY: filled by the library, freed once here.
    unsafe { mdb_bytes_free(bytes) };
    assert!(
        bytes.data.is_null() && bytes.len == 0,
        "mdb_bytes_free resets the bytes"
    );
    copy
}

pub(super) fn borrowed(data: *const u8, len: usize) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    assert!(!data.is_null(), "a non-empty output has a pointer");
    // SAFETY: the library lends `len` bytes at `data` until the next call.
    unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
}

pub(super) fn empty_bytes() -> mdb_bytes {
    mdb_bytes {
        data: ptr::null_mut(),
        len: 0,
        capacity: 0,
    }
}

/// Compares a lookup's outputs with the model's value, freeing the returned bytes.
pub(super) fn compare_lookup(
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

/// A name argument as the library reads it, `None` if it is invalid: NULL with a length, or
/// not UTF-8.
pub(super) fn name_arg(name: &CBytes) -> Option<String> {
    let bytes = name.value()?;
    std::str::from_utf8(&bytes).ok().map(str::to_owned)
}

/// A namespace or prefix argument as the library reads it, `None` if it is invalid.
pub(super) fn namespace_arg(namespace: &CBytes) -> Option<String> {
    name_arg(namespace).filter(|name| crate::model::valid_component(name))
}

/// A group key as the library reads it: `Err` if invalid, `Ok(None)` outside any group.
pub(super) fn key_arg(key: &GroupKey, c: &CBytes) -> Result<Option<Vec<u8>>, ()> {
    match key {
        GroupKey::None => Ok(None),
        _ => c.value().map(|bytes| Some(bytes.to_vec())).ok_or(()),
    }
}

/// Checks `mdb_last_error_copy` against `mdb_last_error_message`.
pub(super) fn last_error_copy(buf_len: u8) {
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
