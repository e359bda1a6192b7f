//! Generates the Rust declarations of the C API from `include/metaldb.h`, so that the fuzz
//! target calls exactly the functions, with exactly the signatures, that C programs see.

use std::{env, path::PathBuf};

fn main() {
    let header = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by Cargo"))
        .join("../include/metaldb.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let bindings = bindgen::Builder::default()
        .header(header.to_str().expect("the path is UTF-8"))
        .allowlist_function("mdb_.*")
        .allowlist_type("mdb_.*")
        .allowlist_var("MDB_.*")
        .generate()
        .expect("include/metaldb.h is valid C");
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by Cargo")).join("metaldb.rs");
    bindings.write_to_file(out).expect("OUT_DIR is writable");
}
