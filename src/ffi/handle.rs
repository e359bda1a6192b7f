//! The one place where C pointers become Rust references: typed casts between opaque C handles
//! and the Rust values behind them, NULL and kind checks, and input slices and names.
//!
//! Every handle is a `Box` of its Rust value behind a tag naming its kind, created by
//! [`into_handle`] and destroyed by [`free_handle`] or [`take_handle`]. [`Castable`] ties each
//! opaque C type to exactly one Rust type and one kind. A C caller can pass a handle of one kind
//! where another is expected with a single cast (an `mdb_list *` as an `mdb_map *`); the tag
//! turns that into `MDB_ERR_INVALID_ARGUMENT` naming both kinds, before the value is read as
//! the wrong type.

use std::{ffi::c_char, mem::MaybeUninit, ptr::NonNull};

use super::status::{set_last_error, FfiError};

/// Declares [`HandleKind`], one variant per C handle type, with the type's name.
macro_rules! handle_kinds {
    ($first:ident = $first_type:literal, $($kind:ident = $c_type:literal),* $(,)?) => {
        /// The kind of a handle, stored in front of its value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        pub(crate) enum HandleKind {
            // Away from 0, so that zeroed memory is no handle.
            $first = 0x6d64_6200,
            $($kind,)*
        }

        impl HandleKind {
            const ALL: &'static [Self] = &[Self::$first, $(Self::$kind),*];

            /// The C type of handles of this kind.
            pub(crate) fn c_type(self) -> &'static str {
                match self {
                    Self::$first => $first_type,
                    $(Self::$kind => $c_type,)*
                }
            }

            /// The name of a parameter of this kind: `map` for an `mdb_map`.
            pub(crate) fn parameter(self) -> &'static str {
                &self.c_type()["mdb_".len()..]
            }
        }
    };
}

handle_kinds! {
    Db = "mdb_db",
    Snapshot = "mdb_snapshot",
    Fork = "mdb_fork",
    Patch = "mdb_patch",
    Access = "mdb_access",
    Map = "mdb_map",
    List = "mdb_list",
    SparseList = "mdb_sparse_list",
    KeySet = "mdb_key_set",
    Entry = "mdb_entry",
    Iter = "mdb_iter",
    Catalogue = "mdb_catalogue",
    MigrationHelper = "mdb_migration_helper",
    PersistentIters = "mdb_persistent_iters",
    AbortHandle = "mdb_abort_handle",
}

/// Ties an opaque C type to the Rust value its handles point to, and to its kind.
pub(crate) trait Castable {
    /// The Rust value behind the handle.
    type RustType;
    /// The kind of the handles [`into_handle`] makes for this type.
    const KIND: HandleKind;

    /// Whether a pointer of this C type may point to a handle of `kind`: its own kind, and for
    /// `mdb_access` the parents lent as accesses. Every kind accepted has this `RustType`.
    fn accepts(kind: HandleKind) -> bool {
        kind == Self::KIND
    }
}

/// What a handle points to: its kind, then its value. `repr(C)` puts the tag first whatever
/// the value, so the tag of any live handle can be read through a pointer of any C type.
#[repr(C)]
struct Tagged<T> {
    kind: HandleKind,
    value: T,
}

/// Moves `value` to the heap and returns it as a handle of type `C`.
pub(crate) fn into_handle<C: Castable>(value: C::RustType) -> *mut C {
    Box::into_raw(Box::new(Tagged {
        kind: C::KIND,
        value,
    }))
    .cast()
}

/// The value behind a handle, after checking that the handle is not NULL and of a kind `C`
/// accepts (only `C`'s own kind if `owned`, to destroy it); `parameter` names it in the error.
///
/// # Safety
///
/// `handle` must be NULL or a live handle made by [`into_handle`], of any kind.
unsafe fn checked<C: Castable>(
    handle: *const C,
    parameter: &str,
    owned: bool,
) -> Result<NonNull<Tagged<C::RustType>>, FfiError> {
    let tagged = NonNull::new(handle.cast::<Tagged<C::RustType>>().cast_mut())
        .ok_or_else(|| FfiError::null(parameter))?;
    // SAFETY: every live handle starts with its tag; read as an integer, so that memory that is
    // no handle gives an error rather than an invalid enum value.
    let tag = unsafe { tagged.cast::<u32>().as_ptr().read() };
    match HandleKind::ALL.iter().find(|kind| **kind as u32 == tag) {
        Some(&kind) if kind == C::KIND || (!owned && C::accepts(kind)) => Ok(tagged),
        Some(&kind) => Err(FfiError::invalid_argument(format_args!(
            "`{}` is an {} handle, where an {} is expected",
            parameter,
            kind.c_type(),
            C::KIND.c_type()
        ))),
        None => Err(FfiError::invalid_argument(format_args!(
            "`{}` is not a live metaldb handle (an {} is expected)",
            parameter,
            C::KIND.c_type()
        ))),
    }
}

/// Borrows the value behind a handle, or reports `parameter` as NULL or of another kind.
///
/// # Safety
///
/// `handle` must be NULL or a live handle made by [`into_handle`], of any kind.
pub(crate) unsafe fn try_ref<'a, C: Castable>(
    handle: *const C,
    parameter: &str,
) -> Result<&'a C::RustType, FfiError> {
    // SAFETY: checked to be a live handle of a kind whose value is a `C::RustType`.
    Ok(unsafe { &(*checked(handle, parameter, false)?.as_ptr()).value })
}

/// Borrows the value behind a handle mutably, as [`try_ref`].
///
/// # Safety
///
/// As [`try_ref`], and no other reference to the value may be live during the call.
pub(crate) unsafe fn try_mut<'a, C: Castable>(
    handle: *mut C,
    parameter: &str,
) -> Result<&'a mut C::RustType, FfiError> {
    // SAFETY: as in `try_ref`; exclusive per the contract.
    Ok(unsafe { &mut (*checked(handle, parameter, false)?.as_ptr()).value })
}

/// Destroys a handle and hands its value over, or reports `parameter` as NULL or of another
/// kind (then the handle is left alone): a parent lent as an `mdb_access` is not one.
///
/// # Safety
///
/// As [`try_ref`]; the handle is dangling afterwards.
pub(crate) unsafe fn take_handle<C: Castable>(
    handle: *mut C,
    parameter: &str,
) -> Result<C::RustType, FfiError> {
    // SAFETY: checked as above; per the contract, it came from `Box::into_raw` and is taken once.
    let tagged = unsafe { Box::from_raw(checked(handle, parameter, true)?.as_ptr()) };
    Ok(tagged.value)
}

/// Destroys the value behind a handle; NULL is a no-op. A handle of another kind is left
/// alone (freeing it as this kind would drop the wrong type), and the thread's message says
/// so.
///
/// # Safety
///
/// `handle` must be NULL or a live handle made by [`into_handle`], and is dangling afterwards
/// if it was of this kind.
pub(crate) unsafe fn free_handle<C: Castable>(handle: *mut C, parameter: &str) {
    if !handle.is_null() {
        // SAFETY: forwarded contract.
        if let Err(err) = unsafe { take_handle(handle, parameter) } {
            set_last_error(&err.message);
        }
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

    /// Writes the value of a call that succeeded, or passes its error on and writes nothing.
    pub(crate) fn set(self, value: Result<T, FfiError>) -> Result<(), FfiError> {
        self.write(value?);
        Ok(())
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

/// Borrows memory the caller provides for the library to fill: `len` items at `data`, which
/// may be NULL only when `len` is 0. The memory may be uninitialized, so it is lent as
/// `MaybeUninit`: the library writes it and never reads it.
///
/// # Safety
///
/// A non-NULL `data` must point to `len` writable items that stay valid for the call and
/// overlap no other memory the call reads or writes.
pub(crate) unsafe fn try_out_slice<'a, T>(
    data: *mut T,
    len: usize,
    parameter: &str,
) -> Result<&'a mut [MaybeUninit<T>], FfiError> {
    if len == 0 {
        return Ok(&mut []);
    }
    if data.is_null() {
        return Err(FfiError::invalid_argument(format_args!(
            "`{}` is NULL but its length is {}",
            parameter, len
        )));
    }
    // SAFETY: non-NULL, and per the contract `len` items are writable and not aliased;
    // `MaybeUninit` makes no claim about their contents.
    Ok(unsafe { std::slice::from_raw_parts_mut(data.cast(), len) })
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
