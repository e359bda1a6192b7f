//! Generates the Rust declarations of the C API from `include/metaldb.h`.
//!
//! The header is copied into `OUT_DIR` first, and bindgen reads the copy: the crate exports
//! those exact bytes (`HEADER`), so a test can tell whether the declarations were generated
//! from the header as it is now (the library's build script rewrites it, and cargo may run
//! that script at the same time as this one).
//!
//! Two files come out: `types.rs`, the types and constants, and `functions.rs`, a macro
//! holding the `extern "C"` block of every function, which the crate expands into its
//! declarations and which other crates expand into wrappers of the same signatures.

use std::{env, fs, path::PathBuf};

fn main() {
    let header = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by Cargo"))
        .join("../../include/metaldb.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by Cargo"));
    let copy = out.join("metaldb.h");
    let bytes =
        fs::read(&header).unwrap_or_else(|err| panic!("cannot read {}: {err}", header.display()));
    fs::write(&copy, bytes).expect("OUT_DIR is writable");
    let copy = copy.to_str().expect("OUT_DIR is UTF-8");

    bindgen::Builder::default()
        .header(copy)
        .allowlist_type("mdb_.*")
        .allowlist_var("(MDB|METALDB)_.*")
        .derive_default(true)
        .generate()
        .expect("include/metaldb.h is valid C")
        .write_to_file(out.join("types.rs"))
        .expect("OUT_DIR is writable");

    // One extern block, without the types (they are in types.rs), inside a macro that hands
    // it to the macro its caller names.
    let functions = bindgen::Builder::default()
        .header(copy)
        .allowlist_function("mdb_.*")
        .allowlist_recursively(false)
        .merge_extern_blocks(true)
        .generate()
        .expect("include/metaldb.h is valid C")
        .to_string();
    let macro_rules = format!(
        "/// Calls `$callback! {{ <the extern \"C\" block of every function of metaldb.h> }}`.\n\
         /// The block names the types of [`types`](crate::types) unqualified: call it where\n\
         /// they are in scope.\n\
         #[macro_export]\n\
         macro_rules! for_each_function {{\n    ($callback:ident) => {{\n        \
         $callback! {{\n{functions}\n        }}\n    }};\n}}\n"
    );
    fs::write(out.join("functions.rs"), macro_rules).expect("OUT_DIR is writable");
}
