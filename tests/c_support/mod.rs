//! Helpers for the tests that build C programs against the library (`ffi_c.rs`, `header.rs`,
//! `packaging.rs`): where the built library, the header and the C sources are, and how to run
//! a tool and show what it printed.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::{
    env,
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

/// The cargo invocation that builds the C libraries. Exactly these flags: the project's test
/// command uses them, and any other set would rebuild RocksDB (25 minutes).
pub const CARGO_BUILD_ARGS: [&str; 5] = [
    "build",
    "--lib",
    "--tests",
    "--features",
    "chrono,uuid,rust_decimal",
];

/// The repository root, as `cargo test` tells the running binary.
///
/// Read at run time, not with `env!`: the target directory is shared between checkouts (CI's
/// clone and a developer's tree), and a test binary that cargo reuses from another checkout
/// would otherwise look for the C sources in that checkout.
pub fn repo() -> PathBuf {
    env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// `include/`, where `metaldb.h` is.
pub fn include_dir() -> PathBuf {
    repo().join("include")
}

/// The profile directory of the running test binary (`$CARGO_TARGET_DIR/debug`): the test
/// binary lives in its `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = env::current_exe().expect("the test binary has a path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binaries live in <target>/<profile>/deps")
        .to_path_buf()
}

/// Whether two paths are the same file (cargo uplifts outputs from `deps/` by hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// The directory holding `libmetaldb.so` and `libmetaldb.a` as built from the current
/// sources: `$CARGO_TARGET_DIR/debug`, next to the test binary's `deps/`.
///
/// `cargo test` compiles the library's cdylib and staticlib into `deps/` but, unlike
/// `cargo build`, does not link them into the profile directory; this does that link (as
/// cargo does: hard links, or copies across file systems), so that the libraries there are
/// the ones built with this test binary. Only if `deps/` has no library, it runs `cargo build`
/// with the project's flags. Once per test process.
///
/// [`LIB_DIR_VAR`] replaces that directory with another build's (`make c-test-release` points
/// it at the optimized library that `make install` ships).
pub fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = env::var_os(LIB_DIR_VAR) {
            return given_lib_dir(PathBuf::from(dir));
        }
        let profile = profile_dir();
        let names = ["libmetaldb.so", "libmetaldb.a"];
        if !names
            .iter()
            .all(|name| profile.join("deps").join(name).is_file())
        {
            build_libraries(&profile);
        }
        for name in names {
            let (built, uplifted) = (profile.join("deps").join(name), profile.join(name));
            if built.is_file() && !same_file(&built, &uplifted) {
                uplift(&built, &uplifted);
            }
            assert!(
                uplifted.is_file(),
                "{} was not built in {}",
                name,
                profile.display()
            );
        }
        link_soname(&profile);
        profile
    })
    .clone()
}

/// The variable that names the directory of the libraries to test instead of this build's.
pub const LIB_DIR_VAR: &str = "METALDB_TEST_LIB_DIR";

/// Checks that `dir`, named by [`LIB_DIR_VAR`], holds the libraries and the SONAME link, and
/// returns it: nothing is built there, and a wrong directory must not pass by testing nothing.
fn given_lib_dir(dir: PathBuf) -> PathBuf {
    let soname = format!("libmetaldb.so.{}", env!("CARGO_PKG_VERSION_MAJOR"));
    for name in ["libmetaldb.so", "libmetaldb.a", soname.as_str()] {
        assert!(
            dir.join(name).is_file(),
            "{}={} holds no {} (`make release` builds the optimized libraries there)",
            LIB_DIR_VAR,
            dir.display(),
            name
        );
    }
    eprintln!("testing the libraries of {}", dir.display());
    dir
}

/// Replaces `to` with a hard link to `from` (a copy if linking fails), through a temporary
/// name so that `to` is never missing or half written.
fn uplift(from: &Path, to: &Path) {
    let name = to.file_name().expect("a file name").to_string_lossy();
    let temporary = to.with_file_name(format!(".{}.tmp-{}", name, std::process::id()));
    let _ = fs::remove_file(&temporary);
    if fs::hard_link(from, &temporary).is_err() {
        fs::copy(from, &temporary)
            .unwrap_or_else(|err| panic!("copy {} to {}: {}", from.display(), to.display(), err));
    }
    fs::rename(&temporary, to).unwrap_or_else(|err| panic!("rename to {}: {}", to.display(), err));
}

/// Links `libmetaldb.so.<major>` to `libmetaldb.so` in `dir`. The library's SONAME is
/// `libmetaldb.so.<major>`, so a program linked with `-lmetaldb` asks the dynamic loader for
/// that name, which cargo does not create (`make lib` does too).
fn link_soname(dir: &Path) {
    let soname = format!("libmetaldb.so.{}", env!("CARGO_PKG_VERSION_MAJOR"));
    let link = dir.join(&soname);
    if fs::read_link(&link).is_ok_and(|target| target == Path::new("libmetaldb.so")) {
        return;
    }
    let _ = fs::remove_file(&link);
    if let Err(err) = std::os::unix::fs::symlink("libmetaldb.so", &link) {
        // Another process may have made it meanwhile.
        assert!(
            fs::read_link(&link).is_ok_and(|target| target == Path::new("libmetaldb.so")),
            "cannot link {}: {}",
            link.display(),
            err
        );
    }
}

fn build_libraries(profile: &Path) {
    let target_dir = profile
        .parent()
        .expect("the profile directory has a parent");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!(
        "building the C libraries: CARGO_TARGET_DIR={} {} {}",
        target_dir.display(),
        cargo,
        CARGO_BUILD_ARGS.join(" ")
    );
    let output = Command::new(&cargo)
        .args(CARGO_BUILD_ARGS)
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "cargo build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The cargo invocation that builds the fault-injection library: the shared library alone,
/// with the cargo feature `fault-injection` and without the optional encodings, which the C
/// API does not use, so that it builds quickly.
pub const FAULT_INJECTION_BUILD_ARGS: [&str; 7] = [
    "rustc",
    "--lib",
    "--crate-type=cdylib",
    "--no-default-features",
    "--features",
    "rocksdb_snappy,fault-injection",
    "--quiet",
];

/// The directory holding a `libmetaldb.so` built with the cargo feature `fault-injection`
/// (never shipped), for the C tests of `mdb_fault_injection_*`. Built once per test process,
/// in a target directory of its own, `$CARGO_TARGET_DIR/fault-injection`, so that it never
/// replaces the libraries the other tests use.
///
/// That build links the RocksDB of this test build ([`rocksdb_of_this_build`]) instead of
/// compiling RocksDB again (25 minutes); the rest takes a few minutes the first time (3 on two
/// busy cores), and is incremental after.
pub fn fault_injection_lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target_dir = profile_dir()
            .parent()
            .expect("the profile directory has a parent")
            .join("fault-injection");
        let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut command = Command::new(&cargo);
        command
            .args(FAULT_INJECTION_BUILD_ARGS)
            .current_dir(repo())
            .env("CARGO_TARGET_DIR", &target_dir);
        for (variable, value) in rocksdb_of_this_build() {
            command.env(variable, value);
        }
        eprintln!("building the fault-injection library: {:?}", command);
        let (output, report) = run(&mut command);
        assert!(
            output.status.success(),
            "building the fault-injection library failed:\n{}",
            report
        );
        let dir = target_dir.join("debug");
        assert!(
            dir.join("libmetaldb.so").is_file(),
            "libmetaldb.so was not built in {}:\n{}",
            dir.display(),
            report
        );
        link_soname(&dir);
        dir
    })
    .clone()
}

/// The environment that makes another build of this crate link the RocksDB and Snappy static
/// libraries of this test build instead of compiling them: none if this build took them
/// from `ROCKSDB_LIB_DIR` and `SNAPPY_LIB_DIR` (set in the environment, which the other build
/// inherits), else those variables pointing at the output directory where this build's
/// librocksdb-sys compiled them.
pub fn rocksdb_of_this_build() -> Vec<(String, OsString)> {
    let mut variables = Vec::new();
    for library in ["ROCKSDB", "SNAPPY"] {
        let lib_dir = format!("{}_LIB_DIR", library);
        if env::var_os(&lib_dir).is_some() {
            continue;
        }
        let file = format!("lib{}.a", library.to_lowercase());
        match compiled_by_librocksdb_sys(&file) {
            Some(dir) => {
                variables.push((lib_dir, dir.into_os_string()));
                variables.push((format!("{}_STATIC", library), "1".into()));
            }
            // Snappy alone compiles in seconds.
            None if library == "SNAPPY" => {}
            None => panic!(
                "no {} in {}/build/librocksdb-sys-*/out, and ROCKSDB_LIB_DIR is not set: \
                 another build would compile RocksDB again",
                file,
                profile_dir().display()
            ),
        }
    }
    variables
}

/// The output directory of this build's librocksdb-sys that holds `file`, the newest if
/// there are several.
fn compiled_by_librocksdb_sys(file: &str) -> Option<PathBuf> {
    fs::read_dir(profile_dir().join("build"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("librocksdb-sys-")
        })
        .map(|entry| entry.path().join("out"))
        .filter(|out| out.join(file).is_file())
        .max_by_key(|out| {
            fs::metadata(out.join(file))
                .and_then(|metadata| metadata.modified())
                .ok()
        })
}

/// The path of the shared library.
pub fn shared_library() -> PathBuf {
    lib_dir().join("libmetaldb.so")
}

/// Whether `tool` can be started (`tool --version` runs).
pub fn have_tool(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|output| output.status.success())
        .unwrap_or(false)
}

/// Fails the test with an explanation unless `tool` is installed: the C tests need their
/// tools, and a skipped run must not pass silently.
pub fn require_tool(tool: &str, package: &str) {
    assert!(
        have_tool(tool),
        "`{}` is not installed: `apt-get install {}` (.ci/run installs it)",
        tool,
        package
    );
}

/// The C compiler: `$CC`, or `cc`.
pub fn cc() -> String {
    env::var("CC").unwrap_or_else(|_| "cc".to_owned())
}

/// The C++ compiler: `$CXX`, or `c++`.
pub fn cxx() -> String {
    env::var("CXX").unwrap_or_else(|_| "c++".to_owned())
}

/// Runs a command and returns its output; the command line, status and both streams are in
/// the returned report too.
pub fn run(command: &mut Command) -> (Output, String) {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {:?}: {}", command, err));
    let report = format!(
        "$ {:?}\n{}\n--- stdout ---\n{}--- stderr ---\n{}",
        command,
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, report)
}

/// Runs a command that must succeed, and returns its stdout.
pub fn run_ok(command: &mut Command) -> String {
    let (output, report) = run(command);
    assert!(output.status.success(), "command failed:\n{}", report);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A fresh directory under the target directory, emptied first. Outside the work tree, and
/// kept after the test so that a failure can be looked at.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = profile_dir().join("c-tests").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("remove an old scratch directory");
    }
    fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// The macro under which the header declares its test-only functions, those of a library
/// built with the cargo feature `fault-injection`.
pub const FAULT_INJECTION_GUARD: &str = "METALDB_FAULT_INJECTION";

/// A function declared in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    /// Declared only under `#if defined(METALDB_FAULT_INJECTION)`: not in the shipped library.
    pub test_only: bool,
}

/// The functions declared in the header, in order, whatever their names (a name outside `mdb_`
/// is an error that `tests/header.rs` reports).
pub fn header_declarations(header: &str) -> Vec<Declared> {
    let guard = format!("#if defined({})", FAULT_INJECTION_GUARD);
    // One entry per open `#if`: whether it is the test-only guard.
    let mut conditionals: Vec<bool> = Vec::new();
    let mut declared = Vec::new();
    for line in header.lines() {
        if line.starts_with("#if") {
            conditionals.push(line.trim() == guard);
        } else if line.starts_with("#endif") {
            conditionals.pop();
        }
        if line.starts_with([' ', '#', '/', '*']) || line.starts_with("typedef") {
            continue;
        }
        let Some(open) = line.find('(') else {
            continue;
        };
        let before = &line[..open];
        let name = match before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')) {
            Some(start) => &before[start + 1..],
            None => before,
        };
        declared.push(Declared {
            name: name.to_owned(),
            test_only: conditionals.contains(&true),
        });
    }
    declared
}

/// The functions of the C API: declared in the header, and not test-only.
pub fn header_functions(header: &str) -> Vec<String> {
    header_declarations(header)
        .into_iter()
        .filter(|declared| !declared.test_only)
        .map(|declared| declared.name)
        .collect()
}

/// The test-only functions of the header, exported only by the fault-injection library.
pub fn header_test_only_functions(header: &str) -> Vec<String> {
    header_declarations(header)
        .into_iter()
        .filter(|declared| declared.test_only)
        .map(|declared| declared.name)
        .collect()
}
