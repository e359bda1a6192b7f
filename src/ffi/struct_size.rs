//! The `struct_size` convention: C structs that grow across 1.x releases.
//!
//! A struct the caller allocates (`mdb_db_options`, `mdb_catalogue_record`) starts with
//! `struct_size`, the size the caller's header declares. A release only appends fields, at or
//! after the previous release's size, and zero is the default (or "not reported") value of every
//! appended field. So the library and the caller agree on the fields that fit in
//! `min(struct_size, what the library knows)`, and bytes past that are zero on both sides.
//!
//! This module holds what both structs do alike: which sizes are accepted, where the size is
//! read from, and how a value is written into a caller's struct of another size.

use std::{mem::MaybeUninit, ptr::NonNull};

use super::status::FfiError;

/// A C struct of the `struct_size` convention.
///
/// # Safety
///
/// The type must be `#[repr(C)]` with a first field `struct_size: usize`, and every field
/// appended since the first release must lie at or after [`SIZE_FIRST`](Self::SIZE_FIRST).
pub(crate) unsafe trait GrowingStruct: Copy {
    /// The C name of the struct, for messages.
    const NAME: &'static str;
    /// The release that introduced the struct.
    const FIRST_RELEASE: &'static str;
    /// The size of the struct in [`FIRST_RELEASE`](Self::FIRST_RELEASE): the smallest
    /// `struct_size` accepted, since every header declares at least these fields. Frozen: it
    /// stays the end of those fields when later releases append theirs.
    const SIZE_FIRST: usize;
    /// What the caller should do to set `struct_size` right, for messages.
    const HOW_TO_SET: &'static str;
    /// The size this library knows: bytes past it belong to fields of a newer header.
    const SIZE_KNOWN: usize = size_of::<Self>();
}

/// The largest `struct_size` accepted, far above any 1.x struct: a larger one means a size that
/// was never set (uninitialised memory), past which the library must neither read nor write.
pub(crate) const SIZE_MAX: usize = 4096;

/// The size of `T` cut after the field that ends at byte `end`, as a C compiler lays out a struct
/// whose last field that is: `end` rounded up to the alignment of `T`.
pub(crate) const fn size_ending_at<T>(end: usize) -> usize {
    end.div_ceil(align_of::<T>()) * align_of::<T>()
}

/// Checks a `struct_size` against the sizes this library accepts.
pub(crate) fn check_size<T: GrowingStruct>(size: usize) -> Result<(), FfiError> {
    if size < T::SIZE_FIRST {
        return Err(FfiError::invalid_argument(format_args!(
            "{name}.struct_size is {size}, below {min}, the size of {name} in metaldb {first}: \
             {how}",
            name = T::NAME,
            min = T::SIZE_FIRST,
            first = T::FIRST_RELEASE,
            how = T::HOW_TO_SET,
        )));
    }
    if size > SIZE_MAX {
        return Err(FfiError::invalid_argument(format_args!(
            "{}.struct_size is {}, above {}: {}",
            T::NAME,
            size,
            SIZE_MAX,
            T::HOW_TO_SET
        )));
    }
    Ok(())
}

/// Reads and checks the `struct_size` of the caller's struct.
///
/// # Safety
///
/// `ptr` must point to an aligned, readable struct whose first field is `struct_size`.
pub(crate) unsafe fn read_size<T: GrowingStruct>(ptr: NonNull<T>) -> Result<usize, FfiError> {
    // SAFETY: every header's struct starts with `struct_size`, per `GrowingStruct`'s contract.
    let size = unsafe { ptr.cast::<usize>().read() };
    check_size::<T>(size)?;
    Ok(size)
}

/// Reads the caller's struct of `size` bytes: the fields that fit, over `defaults` for the
/// others (`struct_size` comes from the caller, as `size`). `validate` sees the bytes before
/// they are taken as a `T`, so that a field whose bytes are not a valid Rust value (a `bool`
/// other than 0 or 1) is refused before it is read as one.
///
/// Refuses a struct with a nonzero byte past the fields this library knows: the caller set a
/// field of a newer header that this library cannot honour.
///
/// # Safety
///
/// `ptr` must point to an aligned, readable struct of `size` bytes, `size` checked by
/// [`check_size`]; `validate` must refuse any byte pattern that is not a valid `T`.
pub(crate) unsafe fn read_prefix<T: GrowingStruct>(
    ptr: NonNull<T>,
    size: usize,
    defaults: T,
    validate: impl FnOnce(&MaybeUninit<T>) -> Result<(), FfiError>,
) -> Result<T, FfiError> {
    if size > T::SIZE_KNOWN {
        // SAFETY: the caller promised `size` readable bytes.
        let unknown = unsafe {
            std::slice::from_raw_parts(
                ptr.cast::<u8>().as_ptr().add(T::SIZE_KNOWN),
                size - T::SIZE_KNOWN,
            )
        };
        if let Some(at) = unknown.iter().position(|&byte| byte != 0) {
            return Err(FfiError::invalid_argument(format_args!(
                "{}.struct_size is {}, larger than the {} bytes this library (metaldb {}) knows, \
                 and byte {} is not zero: a field of a newer header is set that this library \
                 cannot honour",
                T::NAME,
                size,
                T::SIZE_KNOWN,
                env!("CARGO_PKG_VERSION"),
                T::SIZE_KNOWN + at
            )));
        }
    }
    let mut value = MaybeUninit::new(defaults);
    // SAFETY: the first `min(size, SIZE_KNOWN)` bytes are readable in the caller's struct and
    // writable in `value`; a prefix holds whole fields (fields are appended only at or after
    // an older release's size), and at most padding besides. A byte copy may copy padding.
    unsafe {
        std::ptr::copy_nonoverlapping(
            ptr.cast::<u8>().as_ptr(),
            value.as_mut_ptr().cast::<u8>(),
            size.min(T::SIZE_KNOWN),
        );
    }
    validate(&value)?;
    // SAFETY: every field holds either its default or bytes that `validate` accepted.
    Ok(unsafe { value.assume_init() })
}

/// Writes `value` into the caller's struct of `size` bytes: the fields that fit, then zeroes up
/// to `size`, the default of every field a newer header appended.
///
/// # Safety
///
/// `out` must point to an aligned, writable struct of `size` bytes, `size` checked by
/// [`check_size`].
pub(crate) unsafe fn write_prefix<T: GrowingStruct>(out: NonNull<T>, size: usize, value: T) {
    let filled = size.min(T::SIZE_KNOWN);
    let out = out.cast::<u8>().as_ptr();
    // SAFETY: `filled` bytes fit both in `value` and in the caller's `size` bytes, and hold
    // whole fields and padding, as in `read_prefix`.
    unsafe {
        std::ptr::copy_nonoverlapping(std::ptr::from_ref(&value).cast::<u8>(), out, filled);
        out.add(filled).write_bytes(0, size - filled);
    }
}
