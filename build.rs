//! Generates `include/metaldb.h` from the C API in `src/ffi`, and sets the shared library's
//! SONAME and symbol versions.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=metaldb.map");

    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by Cargo");
    // Programs linked against libmetaldb.so.MAJOR keep working across compatible releases.
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,-soname,libmetaldb.so.{}",
        major
    );

    version_script(&crate_dir);

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    config.after_includes = Some(version_macros());
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("the C API in src/ffi is valid for cbindgen");
    let mut header = Vec::new();
    bindings.write(&mut header);

    // Written only when changed, so that an unchanged build leaves the file (and its mtime)
    // alone; a test checks that the committed header is current.
    let path = crate_dir.join("include").join("metaldb.h");
    if fs::read(&path).ok().as_deref() != Some(header.as_slice()) {
        fs::create_dir_all(path.parent().expect("has a parent")).expect("include/ is writable");
        fs::write(&path, header).expect("include/metaldb.h is writable");
    }
}

/// The version macros, derived from Cargo's package version so they cannot drift from it.
fn version_macros() -> String {
    let part = |name: &str| -> u32 {
        env::var(name)
            .expect("set by Cargo")
            .parse()
            .expect("numeric version part")
    };
    let (major, minor, patch) = (
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
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

/// Passes the version script `metaldb.map` to the link of the shared library, with the node
/// of the test-only functions in builds with the `fault-injection` feature. The link goes
/// through `build-aux/linker`, which recognises the script by its file name.
fn version_script(crate_dir: &Path) {
    let mut script = fs::read_to_string(crate_dir.join("metaldb.map")).expect("metaldb.map");
    if env::var_os("CARGO_FEATURE_FAULT_INJECTION").is_some() {
        // Named exactly, so it wins over METALDB_1.0's `mdb_*` with any linker; a node of
        // its own keeps it out of the released ABI.
        script.push_str(
            "\n/* Test-only (cargo feature `fault-injection`), never shipped. */\n\
             METALDB_TEST {\n  global:\n    mdb_fault_injection_arm_panic;\n} METALDB_1.0;\n",
        );
    }
    let path = PathBuf::from(env::var("OUT_DIR").expect("set by Cargo")).join("metaldb.map");
    fs::write(&path, script).expect("OUT_DIR is writable");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        path.display()
    );
}
