//! Owned byte strings handed to C.

use std::ptr;

use super::{boundary::ffi_boundary_infallible, handle::Out, status::FfiError};

/// Bytes owned by the caller, returned by lookups and iterators that copy their output.
///
/// Free with `mdb_bytes_free`. `data` is NULL when `len` is 0. Do not change the fields.
///
/// The caller allocates it (usually on the stack) and the library fills it, with no size
/// field: its layout (`data`, `len`, `capacity`, in that order) is frozen for all of 1.x. A
/// different layout would be a new major version and SONAME.
#[repr(C)]
#[derive(Debug)]
pub struct mdb_bytes {
    /// The bytes, or NULL for an empty value.
    pub data: *mut u8,
    /// Number of bytes at `data`.
    pub len: usize,
    /// Private: the size of the allocation.
    pub capacity: usize,
}

impl mdb_bytes {
    /// An empty value that owns nothing.
    pub(crate) const fn empty() -> Self {
        Self {
            data: ptr::null_mut(),
            len: 0,
            capacity: 0,
        }
    }

    /// Hands `bytes` over to C.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> Self {
        if bytes.capacity() == 0 {
            return Self::empty();
        }
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        Self {
            data: bytes.as_mut_ptr(),
            len: bytes.len(),
            capacity: bytes.capacity(),
        }
    }
}

/// The two outputs of a lookup: `out_value`, written only when something was found, and
/// `out_found`.
pub(crate) struct OutLookup {
    value: Out<mdb_bytes>,
    found: Out<bool>,
}

impl OutLookup {
    /// Checks both out-parameters before any work is done.
    pub(crate) fn new(out_value: *mut mdb_bytes, out_found: *mut bool) -> Result<Self, FfiError> {
        Ok(Self {
            value: Out::new(out_value, "out_value")?,
            found: Out::new(out_found, "out_found")?,
        })
    }

    /// Writes `*out_found`, and hands the value over to the caller in `*out_value` if there is
    /// one.
    pub(crate) fn write(self, value: Option<Vec<u8>>) {
        self.found.write(value.is_some());
        if let Some(value) = value {
            self.value.write(mdb_bytes::from_vec(value));
        }
    }

    /// Writes the result of a lookup that succeeded, or passes its error on and writes
    /// nothing.
    pub(crate) fn set(self, value: Result<Option<Vec<u8>>, FfiError>) -> Result<(), FfiError> {
        self.write(value?);
        Ok(())
    }
}

/// Frees the bytes held by `bytes` and resets it to empty (`data` NULL, `len` 0), so a second
/// call is a harmless no-op.
///
/// `bytes` may be NULL (a no-op). Any thread may call this.
#[no_mangle]
pub unsafe extern "C" fn mdb_bytes_free(bytes: *mut mdb_bytes) {
    ffi_boundary_infallible!((), {
        // SAFETY: the caller passes NULL or a pointer to a `mdb_bytes` filled by this library.
        let Some(bytes) = (unsafe { bytes.as_mut() }) else {
            return;
        };
        if !bytes.data.is_null() {
            // SAFETY: `data`, `len` and `capacity` came from a `Vec<u8>` in `from_vec`, and
            // are reset below, so the allocation is freed once.
            drop(unsafe { Vec::from_raw_parts(bytes.data, bytes.len, bytes.capacity) });
        }
        *bytes = mdb_bytes::empty();
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freeing_bytes_twice_is_harmless() {
        let mut bytes = mdb_bytes::from_vec(b"value".to_vec());
        assert_eq!(bytes.len, 5);
        unsafe {
            mdb_bytes_free(&mut bytes);
            assert!(bytes.data.is_null());
            mdb_bytes_free(&mut bytes);
            mdb_bytes_free(ptr::null_mut());
        }
    }

    #[test]
    fn empty_vectors_hand_out_no_pointer() {
        let bytes = mdb_bytes::from_vec(Vec::new());
        assert!(bytes.data.is_null());
        assert_eq!(bytes.len, 0);
    }
}
