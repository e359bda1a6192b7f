//! metaldb's C API as Rust sees it: the declarations that bindgen generates from the committed
//! `include/metaldb.h`, for the Rust code of this repository that calls the C ABI (the root
//! package's tests, the fuzz target).
//!
//! Every caller uses these declarations, none writes its own, so a prototype, struct layout or
//! constant that changes in the header changes here, and a caller that no longer fits fails to
//! compile (bindgen also checks each struct's size, alignment and field offsets at compile
//! time). `tests/header.rs` checks that [`HEADER`], the header read, is the one on disk, and
//! that the one on disk is the committed one and what cbindgen generates from `src/ffi`.
//!
//! The functions are resolved against the `#[no_mangle]` exports of the `metaldb` library,
//! which this crate does not depend on (its users choose its features): link it with
//! `use metaldb as _;`.
//!
//! The functions declared only under `#if defined(METALDB_FAULT_INJECTION)` are left out: the
//! shipped library does not export them.

// The doc comments are the header's, written for Doxygen (`@param[in]`), not rustdoc.
#![allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls
)]

/// The types and constants of the header: handles, structs, `mdb_status` and the `MDB_*` and
/// `METALDB_*` macros.
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    clippy::all,
    missing_docs
)]
pub mod types {
    include!(concat!(env!("OUT_DIR"), "/types.rs"));
}

// The macro `for_each_function!`.
include!(concat!(env!("OUT_DIR"), "/functions.rs"));

/// Expands to the extern block it is given: the declarations as bindgen wrote them.
macro_rules! declare {
    ($($block:tt)*) => {
        $($block)*
    };
}

/// Lists the names of the functions of the extern block it is given.
macro_rules! names {
    ($(unsafe)? extern "C" { $($(#[$meta:meta])* pub fn $name:ident ($($params:tt)*) $(-> $ret:ty)?;)* }) => {
        /// The name of every function declared here, in the header's order.
        pub const FUNCTIONS: &[&str] = &[$(stringify!($name)),*];
    };
}

/// The functions of the header.
pub mod functions {
    use crate::types::*;

    for_each_function!(declare);
}

pub use functions::*;
pub use types::*;

for_each_function!(names);

/// The header the declarations were generated from, byte for byte.
pub const HEADER: &str = include_str!(concat!(env!("OUT_DIR"), "/metaldb.h"));
