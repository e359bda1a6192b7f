//! `make install` and what its users build on it, against a tree staged the way packagers and
//! the language bindings stage it (`make install DESTDIR=<dir> PREFIX=/usr`, found through
//! `PKG_CONFIG_SYSROOT_DIR`): the installed files (the optimized library, stripped, with its
//! debug info in a file of its own); the quick start built with pkg-config alone, linked
//! shared and statically; the CMake example (`examples-c/CMakeLists.txt`); a C and a C++
//! client importing the module CMetalDB through the installed module map with
//! `clang -fmodules`; and `make uninstall`, which leaves none of the installed files.
//!
//! `make install` builds the optimized library first (`make release`), which links the RocksDB
//! of `make rocksdb` or of `ROCKSDB_LIB_DIR`: run through `make test`, or with those variables,
//! or the first run compiles RocksDB. Needs cc, clang, cmake, pkg-config and binutils
//! (`.ci/run` installs them); a missing tool fails the test with the command that installs it.

mod c_support;

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use c_support::{cc, profile_dir, repo, require_tool, run, run_ok, scratch_dir};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");

/// The C flags of the clients: C99, every warning an error.
const C_FLAGS: [&str; 5] = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"];

/// This test's target directory, which `make install` builds in.
fn target_dir() -> PathBuf {
    profile_dir()
        .parent()
        .expect("the profile directory has a parent")
        .to_path_buf()
}

/// Runs `make <target>` with the given variables, on this test's target directory.
fn make(target: &str, variables: &[String]) {
    require_tool("make", "make");
    run_ok(
        Command::new("make")
            .arg(target)
            .args(variables)
            .current_dir(repo())
            .env("CARGO_TARGET_DIR", target_dir()),
    );
}

/// A tree installed by `make install DESTDIR=<root> PREFIX=/usr LIBDIR=/usr/<libdir>`.
struct Staged {
    root: PathBuf,
    libdir: String,
}

impl Staged {
    /// Installs into `root`, emptied first, with the `make` variables `extra` besides.
    fn install(root: PathBuf, libdir: &str, extra: &[&str]) -> Self {
        if root.exists() {
            fs::remove_dir_all(&root).expect("remove an old staging directory");
        }
        let staged = Self {
            root,
            libdir: libdir.to_owned(),
        };
        make("install", &staged.variables(extra));
        staged
    }

    /// The `make` variables of this tree, and `extra`.
    fn variables(&self, extra: &[&str]) -> Vec<String> {
        let mut variables = vec![
            format!("DESTDIR={}", self.root.display()),
            "PREFIX=/usr".to_owned(),
            format!("LIBDIR={}", self.libdir),
        ];
        variables.extend(extra.iter().map(|variable| variable.to_string()));
        variables
    }

    /// `path` (absolute, as installed) inside the staging directory.
    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    fn lib(&self) -> PathBuf {
        self.path(&self.libdir)
    }

    fn include(&self) -> PathBuf {
        self.path("/usr/include")
    }

    /// Makes pkg-config, run by `command`, read this tree only, with its directories prefixed
    /// with the staging directory, as for a sysroot.
    fn with_pkg_config<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("PKG_CONFIG_LIBDIR", self.lib().join("pkgconfig"))
            .env("PKG_CONFIG_SYSROOT_DIR", &self.root)
            .env_remove("PKG_CONFIG_PATH")
    }

    /// pkg-config's answer for metaldb, from this tree.
    fn pkg_config(&self, args: &[&str]) -> Vec<String> {
        require_tool("pkg-config", "pkg-config");
        run_ok(self.with_pkg_config(Command::new("pkg-config").args(args).arg("metaldb")))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// Runs `program` on a fresh database in `dir` and returns its output, after checking
    /// with ldd that it loads this tree's `libmetaldb.so.MAJOR` (the loader would take another
    /// from a stale `LD_LIBRARY_PATH` or rpath silently). `library_path` is how the program
    /// finds it: `LD_LIBRARY_PATH`, or none (an rpath).
    fn run(&self, program: &Path, dir: &Path, library_path: Option<&Path>) -> String {
        let with_env = |command: &mut Command| {
            command.env_remove("LD_LIBRARY_PATH");
            if let Some(path) = library_path {
                command.env("LD_LIBRARY_PATH", path);
            }
        };
        require_tool("ldd", "libc-bin");
        let mut ldd = Command::new("ldd");
        ldd.arg(program);
        with_env(&mut ldd);
        let loaded = run_ok(&mut ldd);
        let expected = format!(
            "libmetaldb.so.{} => {}",
            MAJOR,
            self.lib()
                .join(format!("libmetaldb.so.{}", MAJOR))
                .display()
        );
        assert!(
            loaded.contains(&expected),
            "{} does not load the staged library ({}):\n{}",
            program.display(),
            expected,
            loaded
        );
        let database = dir.join(format!(
            "{}.db",
            program.file_name().unwrap().to_string_lossy()
        ));
        let mut command = Command::new(program);
        command.arg(database);
        with_env(&mut command);
        run_ok(&mut command)
    }
}

/// The tree most tests build against, installed once per test process with the plain
/// `lib` directory.
fn staged() -> &'static Staged {
    static STAGED: OnceLock<Staged> = OnceLock::new();
    STAGED.get_or_init(|| Staged::install(scratch_dir("install").join("root"), "/usr/lib", &[]))
}

/// A fresh work directory for one test's programs.
fn work_dir(name: &str) -> PathBuf {
    scratch_dir(&format!("install-{}", name))
}

/// The build ID of an ELF file, from its `.note.gnu.build-id`.
fn build_id(file: &Path) -> String {
    require_tool("readelf", "binutils");
    let notes = run_ok(Command::new("readelf").arg("-n").arg(file));
    notes
        .lines()
        .find_map(|line| line.trim().strip_prefix("Build ID: "))
        .unwrap_or_else(|| panic!("{} has no build ID:\n{}", file.display(), notes))
        .to_owned()
}

/// The section names of an ELF file.
fn sections(file: &Path) -> Vec<String> {
    run_ok(Command::new("readelf").args(["-S", "-W"]).arg(file))
        .lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once(']')?;
            rest.split_whitespace().next().map(str::to_owned)
        })
        .collect()
}

/// The quick start's output says it ran to the end with this version.
fn assert_quick_start_ran(output: &str) {
    assert!(
        output.contains(&format!("metaldb {} ", VERSION)),
        "the quick start does not report metaldb {}:\n{}",
        VERSION,
        output
    );
    assert_eq!(output.lines().last(), Some("done"), "{}", output);
}

#[test]
fn install_ships_the_optimized_library_stripped_with_its_debug_info_apart() {
    let staged = staged();
    let lib = staged.lib();
    let header = fs::read(staged.include().join("metaldb.h")).expect("the installed header");
    assert_eq!(
        header,
        fs::read(repo().join("include").join("metaldb.h")).unwrap()
    );
    assert!(staged
        .include()
        .join("metaldb")
        .join("module.modulemap")
        .is_file());
    let library = lib.join(format!("libmetaldb.so.{}", VERSION));
    assert!(
        fs::symlink_metadata(&library)
            .expect("the versioned shared library")
            .file_type()
            .is_file(),
        "{} is a file",
        library.display()
    );
    assert_eq!(
        fs::read_link(lib.join(format!("libmetaldb.so.{}", MAJOR))).expect("the SONAME link"),
        PathBuf::from(format!("libmetaldb.so.{}", VERSION))
    );
    assert_eq!(
        fs::read_link(lib.join("libmetaldb.so")).expect("the development link"),
        PathBuf::from(format!("libmetaldb.so.{}", MAJOR))
    );
    assert!(lib.join("libmetaldb.a").is_file(), "the static library");
    let pc = fs::read_to_string(lib.join("pkgconfig").join("metaldb.pc")).expect("metaldb.pc");
    // The staged file names the final directories, not the staging directory.
    for line in [
        "prefix=/usr\n".to_owned(),
        "libdir=${prefix}/lib\n".to_owned(),
        "includedir=${prefix}/include\n".to_owned(),
        format!("Version: {}\n", VERSION),
    ] {
        assert!(pc.contains(&line), "metaldb.pc lacks {:?}:\n{}", line, pc);
    }

    // The optimized build (the release profile's), not the test build: the installed file is
    // the release library, stripped (stripping keeps the build ID).
    let id = build_id(&library);
    assert_eq!(
        id,
        build_id(&target_dir().join("release").join("libmetaldb.so")),
        "the installed library is not the release build"
    );
    let installed_sections = sections(&library);
    assert!(
        !installed_sections.iter().any(|s| s.starts_with(".debug_"))
            && !installed_sections.iter().any(|s| s == ".symtab"),
        "the installed library is not stripped: {:?}",
        installed_sections
    );
    assert!(
        installed_sections.iter().any(|s| s == ".gnu_debuglink"),
        "the installed library does not name its debug file: {:?}",
        installed_sections
    );
    // Its debug info is where gdb looks for it, by build ID, and describes metaldb's code.
    let debug = staged.path(&format!(
        "/usr/lib/debug/.build-id/{}/{}.debug",
        &id[..2],
        &id[2..]
    ));
    assert_eq!(build_id(&debug), id);
    let debug_sections = sections(&debug);
    assert!(
        debug_sections.iter().any(|s| s == ".debug_info")
            && debug_sections.iter().any(|s| s == ".debug_line"),
        "{} holds no debug info: {:?}",
        debug.display(),
        debug_sections
    );
    let symbols = run_ok(Command::new("nm").arg(&debug));
    assert!(
        symbols.contains("mdb_db_open"),
        "{} lacks the library's symbols",
        debug.display()
    );
}

#[test]
fn quick_start_builds_with_pkg_config_alone_and_records_the_soname() {
    require_tool("readelf", "binutils");
    let staged = staged();
    let dir = work_dir("pkg-config");
    assert_eq!(staged.pkg_config(&["--modversion"]), [VERSION]);
    // Only pkg-config's flags: no -I or -L into the repository or the target directory.
    let flags = staged.pkg_config(&["--cflags", "--libs"]);
    let binary = dir.join("quickstart");
    run_ok(
        Command::new(cc())
            .args(C_FLAGS)
            .arg(repo().join("examples-c").join("quickstart.c"))
            .arg("-o")
            .arg(&binary)
            .args(&flags),
    );
    let dynamic = run_ok(Command::new("readelf").arg("-d").arg(&binary));
    assert!(
        dynamic.contains(&format!("Shared library: [libmetaldb.so.{}]", MAJOR)),
        "the program does not record the SONAME:\n{}",
        dynamic
    );
    let output = staged.run(&binary, &dir, Some(&staged.lib()));
    println!("{}", output);
    assert_quick_start_ran(&output);
}

#[test]
fn quick_start_links_statically_with_pkg_config_static() {
    require_tool("readelf", "binutils");
    let staged = staged();
    let dir = work_dir("static");
    // `-lmetaldb` picks the shared library where both are: ask the linker for the archive.
    let libs: Vec<String> = staged
        .pkg_config(&["--static", "--libs"])
        .into_iter()
        .map(|flag| {
            if flag == "-lmetaldb" {
                "-l:libmetaldb.a".to_owned()
            } else {
                flag
            }
        })
        .collect();
    assert!(
        libs.iter().any(|flag| flag == "-l:libmetaldb.a")
            && libs.iter().any(|flag| flag == "-lstdc++"),
        "pkg-config --static --libs lacks the library or RocksDB's C++ runtime: {:?}",
        libs
    );
    let binary = dir.join("quickstart-static");
    run_ok(
        Command::new(cc())
            .args(C_FLAGS)
            .args(staged.pkg_config(&["--cflags"]))
            .arg(repo().join("examples-c").join("quickstart.c"))
            .arg("-o")
            .arg(&binary)
            .args(&libs),
    );
    let dynamic = run_ok(Command::new("readelf").arg("-d").arg(&binary));
    assert!(
        !dynamic.contains("libmetaldb"),
        "the program still needs the shared library:\n{}",
        dynamic
    );
    let mut command = Command::new(&binary);
    command
        .arg(dir.join("quickstart-static.db"))
        .env_remove("LD_LIBRARY_PATH");
    let output = run_ok(&mut command);
    assert_quick_start_ran(&output);
}

#[test]
fn cmake_example_builds_against_the_installed_library_through_pkg_config() {
    require_tool("cmake", "cmake");
    require_tool("pkg-config", "pkg-config");
    let staged = staged();
    let dir = work_dir("cmake");
    let build = dir.join("build");
    println!(
        "{}",
        run_ok(
            staged.with_pkg_config(
                Command::new("cmake")
                    .arg("-S")
                    .arg(repo().join("examples-c"))
                    .arg("-B")
                    .arg(&build)
                    .arg(format!("-DCMAKE_C_COMPILER={}", cc()))
            )
        )
    );
    println!(
        "{}",
        run_ok(
            staged.with_pkg_config(
                Command::new("cmake")
                    .arg("--build")
                    .arg(&build)
                    .arg("--verbose")
            )
        )
    );
    // CMake links the library by its full path and puts its directory in the build tree's
    // rpath: the program finds the staged library without LD_LIBRARY_PATH.
    let output = staged.run(&build.join("quickstart"), &dir, None);
    assert_quick_start_ran(&output);
}

#[test]
fn module_map_imports_cmetaldb_in_c_and_cxx_with_clang_modules() {
    require_tool("clang", "clang");
    require_tool("clang++", "clang");
    let staged = staged();
    let dir = work_dir("modules");
    let libs = staged.pkg_config(&["--libs"]);
    // Clients import the module by name from the module map's directory, as Swift does; they
    // do not include the header.
    let module_dir = format!("-I{}", staged.include().join("metaldb").display());
    for (compiler, standard, source) in [
        ("clang", "-std=c99", "module_client.c"),
        ("clang++", "-std=c++20", "module_client.cpp"),
    ] {
        let client = repo().join("tests").join("consumers").join(source);
        let binary = dir.join(source.replace('.', "-"));
        let cache = dir.join(format!("{}-module-cache", source));
        let (output, report) = run(Command::new(compiler)
            .args([standard, "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .args(["-fmodules", "-Rmodule-build"])
            .arg(format!("-fmodules-cache-path={}", cache.display()))
            .arg(&module_dir)
            .arg(&client)
            .arg("-o")
            .arg(&binary)
            .args(&libs));
        assert!(output.status.success(), "{}", report);
        // The module was built from the installed module map, not included textually.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("building module 'CMetalDB'"),
            "{} did not build the module CMetalDB:\n{}",
            compiler,
            report
        );
        let ran = staged.run(&binary, &dir, Some(&staged.lib()));
        println!("{}", ran);
        assert!(
            ran.contains(&format!("module client: metaldb {} ok", VERSION)),
            "{}",
            ran
        );
    }
}

/// The files and symbolic links under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).expect("read a directory") {
            let entry = entry.expect("read a directory entry");
            if entry.file_type().expect("a file type").is_dir() {
                pending.push(entry.path());
            } else {
                found.push(entry.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn uninstall_removes_every_installed_file_with_or_without_split_debug_info() {
    let libdir = "/usr/lib/x86_64-linux-gnu";
    let dir = work_dir("uninstall");
    for split_debug in ["yes", "no"] {
        let split_debug = format!("SPLIT_DEBUG={}", split_debug);
        let staged = Staged::install(dir.join(&split_debug), libdir, &[&split_debug]);
        // A multiarch directory under the prefix: metaldb.pc names it relative to the prefix.
        let pc = fs::read_to_string(staged.lib().join("pkgconfig").join("metaldb.pc")).unwrap();
        assert!(
            pc.contains("libdir=${prefix}/lib/x86_64-linux-gnu\n"),
            "{}",
            pc
        );
        let installed = files_under(&staged.root);
        let debug_files = installed
            .iter()
            .filter(|file| file.starts_with("usr/lib/debug/.build-id"))
            .count();
        assert_eq!(
            (installed.len(), debug_files),
            if split_debug.ends_with("yes") {
                (8, 1)
            } else {
                (7, 0)
            },
            "{}: not the files expected: {:?}",
            split_debug,
            installed
        );

        make("uninstall", &staged.variables(&[&split_debug]));
        let left = files_under(&staged.root);
        assert!(
            left.is_empty(),
            "{}: make uninstall left these of the installed files {:?}: {:?}",
            split_debug,
            installed,
            left
        );
        // metaldb's own directories go too.
        assert!(!staged.include().join("metaldb").exists());
    }
}
