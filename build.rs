//! Generates `include/metaldb.h` from the C API in `src/ffi`, sets the shared library's SONAME
//! and symbol versions, and tells the crate how the RocksDB it links was compiled.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

#[path = "build-aux/header.rs"]
mod header;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=metaldb.map");

    let part = |name: &str| -> u32 {
        env::var(name)
            .expect("set by Cargo")
            .parse()
            .expect("numeric version part")
    };
    let version = (
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
    // Programs linked against libmetaldb.so.MAJOR keep working across compatible releases.
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,-soname,libmetaldb.so.{}",
        version.0
    );

    version_script(&crate_dir);
    rocksdb_configuration();

    // Written only when changed, so that an unchanged build leaves the file (and its mtime)
    // alone; a test checks that the committed header is current. Written to a temporary file
    // renamed over the header, so that a reader (the tests' bindgen, run by cargo beside this
    // script) never sees it half written.
    let header = header::generate(&crate_dir, version);
    let path = crate_dir.join("include").join("metaldb.h");
    if fs::read(&path).ok().as_deref() != Some(header.as_slice()) {
        fs::create_dir_all(path.parent().expect("has a parent")).expect("include/ is writable");
        let temporary = path.with_file_name(format!(".metaldb.h.tmp-{}", std::process::id()));
        fs::write(&temporary, header).expect("include/ is writable");
        fs::rename(&temporary, &path).expect("include/metaldb.h is writable");
    }
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

/// Sets the cfg `rocksdb_without_perf_context` when the RocksDB linked through
/// `ROCKSDB_LIB_DIR` was compiled without its perf context, as `make rocksdb` compiles it and
/// records in `cxxflags` beside the archives. A test checks the build against it.
fn rocksdb_configuration() {
    println!("cargo:rustc-check-cfg=cfg(rocksdb_without_perf_context)");
    println!("cargo:rerun-if-env-changed=ROCKSDB_LIB_DIR");
    let Some(lib_dir) = env::var_os("ROCKSDB_LIB_DIR") else {
        return;
    };
    // The directory, which `make rocksdb` replaces as a whole: a missing file would make Cargo
    // run this script at every build.
    println!("cargo:rerun-if-changed={}", Path::new(&lib_dir).display());
    let flags = fs::read_to_string(Path::new(&lib_dir).join("cxxflags")).unwrap_or_default();
    if flags
        .split_whitespace()
        .any(|flag| flag == "-DNPERF_CONTEXT")
    {
        println!("cargo:rustc-cfg=rocksdb_without_perf_context");
    }
}
