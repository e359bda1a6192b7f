//! The C API as C sees it: the declarations that `metaldb-abi-sys` generates from
//! `include/metaldb.h` (the ones the root package's tests use), resolved against the
//! `#[no_mangle]` symbols of the metaldb crate linked below. Each function is a wrapper of the
//! same signature that counts the call in [`crate::stats`].

// Links the library whose exported symbols the declarations name.
extern crate metaldb;

pub use metaldb_abi_sys::types::*;

/// Defines, for each function of the extern block it is given, a public wrapper of the same
/// name and signature that counts the call, then makes it.
macro_rules! counted_wrappers {
    ($(unsafe)? extern "C" {
        $($(#[$meta:meta])* pub fn $name:ident($($param:ident: $type:ty),* $(,)?) $(-> $ret:ty)?;)*
    }) => {
        $(
            /// The C function of the same name, counted.
            ///
            /// # Safety
            ///
            /// As the C function's documentation in `include/metaldb.h`.
            #[inline]
            pub unsafe fn $name($($param: $type),*) $(-> $ret)? {
                crate::stats::count_call();
                // SAFETY: the caller keeps the C function's contract.
                unsafe { metaldb_abi_sys::functions::$name($($param),*) }
            }
        )*
    };
}

metaldb_abi_sys::for_each_function!(counted_wrappers);
