//! Version and feature queries, which let a program check the library it is linked against.

use std::ffi::c_char;

use super::boundary::ffi_boundary_infallible;

/// Snappy compression is built in.
pub const MDB_FEATURE_SNAPPY: u32 = 1;
/// LZ4 and LZ4HC compression are built in.
pub const MDB_FEATURE_LZ4: u32 = 1 << 1;
/// Zlib compression is built in.
pub const MDB_FEATURE_ZLIB: u32 = 1 << 2;
/// Zstandard compression is built in.
pub const MDB_FEATURE_ZSTD: u32 = 1 << 3;
/// Bzip2 compression is built in.
pub const MDB_FEATURE_BZIP2: u32 = 1 << 4;

/// The version of the library as a NUL-terminated string, such as `"1.0.0"`; static, never
/// freed. Compare with `METALDB_VERSION_STRING`, the version of the header. Any thread.
#[no_mangle]
pub extern "C" fn mdb_version_str() -> *const c_char {
    ffi_boundary_infallible!(std::ptr::null(), {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// The version of the library as one number, `MAJOR * 1000000 + MINOR * 1000 + PATCH`, as
/// `METALDB_VERSION_NUMBER` is for the header. Any thread.
#[no_mangle]
pub extern "C" fn mdb_version_number() -> u32 {
    ffi_boundary_infallible!(0, { version_number() })
}

/// The version as `MAJOR * 1000000 + MINOR * 1000 + PATCH`, from Cargo's package version.
pub(crate) fn version_number() -> u32 {
    let part = |text: &str| text.parse::<u32>().expect("Cargo versions are numeric");
    part(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
        + part(env!("CARGO_PKG_VERSION_MINOR")) * 1_000
        + part(env!("CARGO_PKG_VERSION_PATCH"))
}

/// The optional features built into the library, as a set of `MDB_FEATURE_*` bits. Any thread.
#[no_mangle]
pub extern "C" fn mdb_features() -> u32 {
    ffi_boundary_infallible!(0, {
        let mut features = 0;
        if cfg!(feature = "rocksdb_snappy") {
            features |= MDB_FEATURE_SNAPPY;
        }
        if cfg!(feature = "rocksdb_lz4") {
            features |= MDB_FEATURE_LZ4;
        }
        if cfg!(feature = "rocksdb_zlib") {
            features |= MDB_FEATURE_ZLIB;
        }
        if cfg!(feature = "rocksdb_zstd") {
            features |= MDB_FEATURE_ZSTD;
        }
        if cfg!(feature = "rocksdb_bzip2") {
            features |= MDB_FEATURE_BZIP2;
        }
        features
    })
}
