//! The one place where C pointers become Rust references: typed casts between opaque C handles
//! and the Rust values behind them, NULL checks, and input slices and names.
//!
//! Every handle is a `Box` of its Rust value, created by [`into_handle`] and destroyed by
//! [`free_handle`]. [`Castable`] ties each opaque C type to exactly one Rust type, so a handle
//! cannot be read as another kind of value.

use std::{ffi::c_char, ptr::NonNull};

use super::status::FfiError;

/// Ties an opaque C type to the Rust value its handles point to.
pub(crate) trait Castable {
    /// The Rust value behind the handle.
    type RustType;
}

/// Moves `value` to the heap and returns it as a handle of type `C`.
pub(crate) fn into_handle<C: Castable>(value: C::RustType) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// Borrows the value behind a handle, or reports `parameter` as NULL.
///
/// # Safety
///
/// `handle` must be NULL or a live handle made by [`into_handle`] for the same `C`.
pub(crate) unsafe fn try_ref<'a, C: Castable>(
    handle: *const C,
    parameter: &str,
) -> Result<&'a C::RustType, FfiError> {
    // SAFETY: per the contract, a non-NULL handle points to a live `C::RustType`.
    unsafe { handle.cast::<C::RustType>().as_ref() }.ok_or_else(|| FfiError::null(parameter))
}

/// Destroys the value behind a handle; NULL is a no-op.
///
/// # Safety
///
/// `handle` must be NULL or a live handle made by [`into_handle`] for the same `C`, and is
/// dangling afterwards.
pub(crate) unsafe fn free_handle<C: Castable>(handle: *mut C) {
    if let Some(handle) = NonNull::new(handle.cast::<C::RustType>()) {
        // SAFETY: per the contract, the handle came from `Box::into_raw` and is freed once.
        drop(unsafe { Box::from_raw(handle.as_ptr()) });
    }
}

/// An out-parameter checked to be non-NULL, written only on success.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Checks an out-parameter before any work is done.
    pub(crate) fn new(ptr: *mut T, parameter: &str) -> Result<Self, FfiError> {
        NonNull::new(ptr)
            .map(Self)
            .ok_or_else(|| FfiError::null(parameter))
    }

    /// Writes the output, without reading or dropping what the caller left there.
    pub(crate) fn write(self, value: T) {
        // SAFETY: the pointer is non-NULL, and the caller promised (in the header) that it
        // points to writable memory for a `T`.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// Borrows an input byte string: `data` may be NULL only when `len` is 0.
///
/// # Safety
///
/// A non-NULL `data` must point to `len` readable bytes that stay valid for the call.
pub(crate) unsafe fn try_slice<'a>(
    data: *const u8,
    len: usize,
    parameter: &str,
) -> Result<&'a [u8], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(FfiError::invalid_argument(format_args!(
            "`{}` is NULL but its length is {}",
            parameter, len
        )));
    }
    // SAFETY: non-NULL, and per the contract `len` bytes are readable.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Borrows an input UTF-8 string given with its length (no NUL needed).
///
/// # Safety
///
/// As [`try_slice`].
pub(crate) unsafe fn try_str<'a>(
    data: *const c_char,
    len: usize,
    parameter: &str,
) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { try_slice(data.cast(), len, parameter)? };
    std::str::from_utf8(bytes).map_err(|e| {
        FfiError::invalid_argument(format_args!("`{}` is not valid UTF-8: {}", parameter, e))
    })
}

/// Borrows an input NUL-terminated string, such as a file system path.
///
/// # Safety
///
/// A non-NULL `data` must point to a NUL-terminated string that stays valid for the call.
pub(crate) unsafe fn try_c_str<'a>(
    data: *const c_char,
    parameter: &str,
) -> Result<&'a str, FfiError> {
    if data.is_null() {
        return Err(FfiError::null(parameter));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    let c_str = unsafe { std::ffi::CStr::from_ptr(data) };
    c_str.to_str().map_err(|e| {
        FfiError::invalid_argument(format_args!("`{}` is not valid UTF-8: {}", parameter, e))
    })
}
