//! How `include/metaldb.h` is generated from the C API in `src/ffi`: shared by the build script,
//! which writes the header, and by `tests/header.rs`, which checks that the committed header is
//! exactly what this generates.

use std::path::Path;

/// The header cbindgen generates from the crate at `crate_dir` (with `cbindgen.toml`), with the
/// version macros of `version` (major, minor, patch).
pub fn generate(crate_dir: &Path, version: (u32, u32, u32)) -> Vec<u8> {
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    config.after_includes = Some(version_macros(version));
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("the C API in src/ffi is valid for cbindgen");
    let mut header = Vec::new();
    bindings.write(&mut header);
    header
}

/// The version macros, derived from Cargo's package version so they cannot drift from it.
fn version_macros((major, minor, patch): (u32, u32, u32)) -> String {
    format!(
        "\n/** Major version of this header. */\n#define METALDB_VERSION_MAJOR {major}\n\
         /** Minor version of this header. */\n#define METALDB_VERSION_MINOR {minor}\n\
         /** Patch version of this header. */\n#define METALDB_VERSION_PATCH {patch}\n\
         /** The version of this header as `MAJOR * 1000000 + MINOR * 1000 + PATCH`. */\n\
         #define METALDB_VERSION_NUMBER {number}\n\
         /** The version of this header as a string. */\n#define METALDB_VERSION_STRING \"{major}.{minor}.{patch}\"\n",
        number = major * 1_000_000 + minor * 1_000 + patch,
    )
}
