//! The C tests: builds every program of `ffi-tests/` and `examples-c/` against
//! `libmetaldb.so` with `-std=c99 -Wall -Wextra -Werror -pedantic`, and runs each one three
//! ways: plain, under AddressSanitizer + UndefinedBehaviorSanitizer (proved real with `nm`),
//! and under valgrind, where a block definitely, indirectly or possibly lost counts as an
//! error. A test program passes when it exits with 0 and its output ends with `N passed, 0
//! failed`; an example passes when it exits with 0. Every program's output is printed (run
//! with `--nocapture` to see it on success).
//!
//! A fourth way, ThreadSanitizer, runs the programs that start threads against a library built
//! with ThreadSanitizer too: `make tsan-test` builds it and runs the ignored test
//! `c_programs_with_threads_pass_under_thread_sanitizer` against it.
//!
//! The programs of `ffi-tests/fault-injection/` test what follows a panic inside the library.
//! They are built against a library with the cargo feature `fault-injection` (built on first
//! use, see `c_support::fault_injection_lib_dir`), with `METALDB_FAULT_INJECTION` defined.
//!
//! Also here: the header compiled standalone as C and as C++, the header and LMDB's in one
//! program (no clash of functions, types, macros or exported symbols), and checks that
//! `errors.c` calls every function of the header (with NULLs) and that the other tests or the
//! examples call every one with real arguments.
//!
//! Needs a C and a C++ compiler, valgrind, pkg-config and liblmdb-dev (`.ci/run` installs
//! them); a missing tool fails the test with the command that installs it.

mod c_support;

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::Mutex,
    thread,
};

use c_support::{
    cc, cxx, fault_injection_lib_dir, header_functions, header_test_only_functions, include_dir,
    lib_dir, repo, require_tool, run, run_ok, scratch_dir, shared_library, FAULT_INJECTION_GUARD,
};

/// The flags of every C program: C99, every warning an error.
const C_FLAGS: [&str; 7] = [
    "-std=c99",
    "-g",
    "-O1",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
];

/// The sanitizer flags; `-fno-sanitize-recover` makes a UBSan report fail the program.
const SANITIZER_FLAGS: [&str; 3] = [
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Sanitizers,
    Valgrind,
    ThreadSanitizer,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Sanitizers => "asan-ubsan",
            Mode::Valgrind => "valgrind",
            Mode::ThreadSanitizer => "tsan",
        }
    }
}

/// The library a C program is built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Library {
    /// The library as shipped.
    Shipped,
    /// The library with the cargo feature `fault-injection`.
    FaultInjection,
}

impl Library {
    fn dir(self) -> PathBuf {
        match self {
            Library::Shipped => lib_dir(),
            Library::FaultInjection => fault_injection_lib_dir(),
        }
    }

    /// The compiler flags of the programs built against this library.
    fn flags(self) -> Vec<String> {
        match self {
            Library::Shipped => Vec::new(),
            Library::FaultInjection => vec![format!("-D{}", FAULT_INJECTION_GUARD)],
        }
    }
}

/// A C program to build and run.
#[derive(Debug, Clone)]
struct Program {
    source: PathBuf,
    name: String,
    /// A test program (its output ends with the harness's summary), or an example.
    is_test: bool,
    library: Library,
}

/// The compiler flags of the ThreadSanitizer mode. The races it reports are in the library
/// (built with ThreadSanitizer too) or in the program; the suppressions file names the RocksDB
/// internals it cannot see synchronized, each with its reason.
const THREAD_SANITIZER_FLAGS: [&str; 2] = ["-fsanitize=thread", "-fno-omit-frame-pointer"];

/// The directory of the fault-injection test programs.
const FAULT_INJECTION_DIR: &str = "ffi-tests/fault-injection";

/// Every test program of `ffi-tests/` (and of `ffi-tests/fault-injection/`) and every example
/// of `examples-c/`.
fn programs() -> Vec<Program> {
    let mut programs = Vec::new();
    for (dir, is_test, library) in [
        ("ffi-tests", true, Library::Shipped),
        (FAULT_INJECTION_DIR, true, Library::FaultInjection),
        ("examples-c", false, Library::Shipped),
    ] {
        let mut sources: Vec<PathBuf> = fs::read_dir(repo().join(dir))
            .unwrap_or_else(|err| panic!("read {}: {}", dir, err))
            .map(|entry| entry.expect("read a directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "c"))
            // Built and run by its own test, with LMDB.
            .filter(|path| !path.ends_with("header_with_lmdb.c"))
            .collect();
        sources.sort();
        for source in sources {
            let stem = source.file_stem().expect("a file name").to_string_lossy();
            programs.push(Program {
                name: format!("{}/{}", dir, stem),
                source,
                is_test,
                library,
            });
        }
    }
    assert!(
        programs.iter().filter(|program| program.is_test).count() >= 8
            && programs
                .iter()
                .any(|program| program.library == Library::FaultInjection),
        "ffi-tests/ is missing programs: {:?}",
        programs
    );
    programs
}

/// Compiles `source` to `output` against `library`, with the extra flags and libraries.
fn compile(
    source: &Path,
    output: &Path,
    library: Library,
    extra: &[&str],
    libs: &[&str],
) -> Result<(), String> {
    let lib = library.dir();
    let mut command = Command::new(cc());
    command
        .args(C_FLAGS)
        .args(library.flags())
        .args(extra)
        .arg("-I")
        .arg(include_dir())
        .arg("-I")
        .arg(repo().join("ffi-tests"))
        .arg(source)
        .arg("-o")
        .arg(output)
        .args(libs)
        .arg(format!("-L{}", lib.display()))
        .arg("-lmetaldb")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lpthread");
    let (result, report) = run(&mut command);
    if result.status.success() {
        Ok(())
    } else {
        Err(report)
    }
}

/// Runs `command`; the error is its report.
fn run_reporting(command: &mut Command) -> Result<(), String> {
    let (result, report) = run(command);
    if result.status.success() {
        Ok(())
    } else {
        Err(report)
    }
}

/// The ThreadSanitizer runtime of the Rust toolchain, which the library built with
/// ThreadSanitizer was instrumented for.
fn rust_thread_sanitizer_runtime() -> PathBuf {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let sysroot = run_ok(Command::new(&rustc).args(["--print", "sysroot"]));
    let host = run_ok(Command::new(&rustc).arg("-vV"))
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host");
    let runtime = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("lib/librustc-stable_rt.tsan.a");
    assert!(
        runtime.is_file(),
        "{} is missing: the Rust toolchain ships it in its rust-std component",
        runtime.display()
    );
    runtime
}

/// Compiles `source` with ThreadSanitizer's instrumentation, then links it to the library and
/// to the Rust toolchain's ThreadSanitizer runtime, not the C compiler's: the library's
/// instrumentation comes from a newer LLVM and calls entry points (`__tsan_memcpy`) that an
/// older compiler's runtime lacks. `-rdynamic` exports the runtime to the library.
fn compile_with_thread_sanitizer(source: &Path, output: &Path) -> Result<(), String> {
    let object = output.with_extension("o");
    run_reporting(
        Command::new(cc())
            .args(C_FLAGS)
            .args(THREAD_SANITIZER_FLAGS)
            .arg("-I")
            .arg(include_dir())
            .arg("-I")
            .arg(repo().join("ffi-tests"))
            .arg("-c")
            .arg(source)
            .arg("-o")
            .arg(&object),
    )?;
    let lib = Library::Shipped.dir();
    run_reporting(
        Command::new(cc())
            .arg(&object)
            .arg("-o")
            .arg(output)
            .arg(format!("-L{}", lib.display()))
            .arg("-lmetaldb")
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-Wl,--whole-archive")
            .arg(rust_thread_sanitizer_runtime())
            .args(["-Wl,--no-whole-archive", "-rdynamic"])
            .args(["-lpthread", "-ldl", "-lm", "-lrt"]),
    )
}

/// Writes, with the raw `rocksdb` crate, a database in metaldb's layout whose format version
/// is not the one this library reads (see docs/format.md, "Version changes").
fn write_incompatible_database(path: &Path) {
    let mut options = ::rocksdb::Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    let db = ::rocksdb::DB::open_cf(&options, path, ["__DB_METADATA__", "__INDEXES_POOL__"])
        .expect("create a RocksDB database");
    let metadata = db
        .cf_handle("__DB_METADATA__")
        .expect("the column family exists");
    db.put_cf(&metadata, b"version", [1_u8])
        .expect("write the version");
}

/// Writes, with the raw `rocksdb` crate, a metaldb database whose list `bad` has metadata
/// that does not decode (five bytes of a twelve-byte header), next to a sound list `good`.
fn write_corrupt_database(path: &Path) {
    let mut options = ::rocksdb::Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    let db = ::rocksdb::DB::open_cf(
        &options,
        path,
        ["__DB_METADATA__", "__INDEXES_POOL__", "good", "bad"],
    )
    .expect("create a RocksDB database");
    let metadata = db.cf_handle("__DB_METADATA__").expect("exists");
    db.put_cf(&metadata, b"version", [0_u8]).expect("write");
    let pool = db.cf_handle("__INDEXES_POOL__").expect("exists");
    db.put_cf(&pool, b"", 2_u64.to_le_bytes()).expect("write");
    // List `good`: identifier 1, type 2, no state (empty).
    db.put_cf(&pool, b"good", [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0])
        .expect("write");
    db.put_cf(&pool, b"bad", [2, 0, 0, 0, 0]).expect("write");
}

/// Writes, with the raw `rocksdb` crate, a RocksDB database that metaldb did not write.
fn write_foreign_database(path: &Path) {
    let mut options = ::rocksdb::Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    let db = ::rocksdb::DB::open_cf(&options, path, ["users"]).expect("create a database");
    let users = db.cf_handle("users").expect("exists");
    db.put_cf(&users, b"alice", b"1").expect("write");
}

/// The last non-empty line of `stdout`, if it is `N passed, 0 failed` with N > 0.
fn passed_summary(stdout: &str) -> Option<usize> {
    let last = stdout.lines().rev().find(|line| !line.trim().is_empty())?;
    let passed = last.strip_suffix(" passed, 0 failed")?;
    passed.parse().ok().filter(|&passed| passed > 0)
}

/// Builds and runs one program in one mode; the error is a report to print.
fn build_and_run(program: &Program, mode: Mode, dir: &Path) -> Result<String, String> {
    let work = dir.join(program.name.replace('/', "-"));
    fs::create_dir_all(&work).expect("create a work directory");
    let binary = work.join("program");
    match mode {
        Mode::Sanitizers => compile(
            &program.source,
            &binary,
            program.library,
            &SANITIZER_FLAGS,
            &[],
        )?,
        Mode::ThreadSanitizer => compile_with_thread_sanitizer(&program.source, &binary)?,
        Mode::Plain | Mode::Valgrind => {
            compile(&program.source, &binary, program.library, &[], &[])?
        }
    }

    // The sanitizer runtimes are really linked in: the mode is not a plain run.
    let required: &[&str] = match mode {
        Mode::Sanitizers => &["__asan_init", "__ubsan_handle_"],
        Mode::ThreadSanitizer => &["__tsan_init"],
        Mode::Plain | Mode::Valgrind => &[],
    };
    if !required.is_empty() {
        let symbols = run_ok(Command::new("nm").arg(&binary));
        if let Some(symbol) = required.iter().find(|symbol| !symbols.contains(*symbol)) {
            return Err(format!(
                "{} does not reference {}",
                binary.display(),
                symbol
            ));
        }
    }

    let incompatible = work.join("incompatible-db");
    write_incompatible_database(&incompatible);
    let corrupt = work.join("corrupt-db");
    write_corrupt_database(&corrupt);
    let foreign = work.join("foreign-db");
    write_foreign_database(&foreign);
    let tmp = work.join("tmp");
    fs::create_dir_all(&tmp).expect("create a temporary directory");

    let mut command = match mode {
        Mode::Plain | Mode::Sanitizers | Mode::ThreadSanitizer => Command::new(&binary),
        Mode::Valgrind => {
            let mut command = Command::new("valgrind");
            command.args([
                "--error-exitcode=1",
                "--leak-check=full",
                // Every kind of lost block fails the program (RELIABILITY.md); blocks still
                // reachable at exit (RocksDB's static objects) are not leaks.
                "--errors-for-leak-kinds=definite,indirect,possible",
                "--show-leak-kinds=definite,indirect,possible",
                "--track-origins=yes",
            ]);
            command.arg(&binary);
            command
        }
    };
    command
        .current_dir(&work)
        // `cargo test` points LD_LIBRARY_PATH at the test build's libraries, which the loader
        // prefers to a program's own rpath (a DT_RUNPATH): a fault-injection program would
        // load the shipped library.
        .env_remove("LD_LIBRARY_PATH")
        .env("TMPDIR", &tmp)
        .env("METALDB_TEST_INCOMPATIBLE_DB", &incompatible)
        .env("METALDB_TEST_CORRUPT_DB", &corrupt)
        .env("METALDB_TEST_FOREIGN_DB", &foreign)
        .env(
            "ASAN_OPTIONS",
            "detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1",
        )
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        .env(
            "TSAN_OPTIONS",
            format!(
                "halt_on_error=1 second_deadlock_stack=1 suppressions={}",
                tsan_suppressions().display()
            ),
        );
    let (output, report) = run(&mut command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("=== {} [{}] ===\n{}", program.name, mode.name(), report);
    if !output.status.success() {
        return Err(report);
    }
    if program.is_test && passed_summary(&stdout).is_none() {
        return Err(format!(
            "{}\n(the output does not end with `N passed, 0 failed`)",
            report
        ));
    }
    Ok(report)
}

/// The ThreadSanitizer suppressions: RocksDB and the C++ runtime it calls, ignored as libraries.
fn tsan_suppressions() -> PathBuf {
    repo().join("tests").join("tsan.supp")
}

/// Whether a C program starts threads of its own.
fn starts_threads(program: &Program) -> bool {
    fs::read_to_string(&program.source)
        .unwrap_or_else(|err| panic!("read {}: {}", program.source.display(), err))
        .contains("pthread_create")
}

/// Builds and runs every program in `mode` (under ThreadSanitizer, every program that starts
/// threads), a few at a time, and fails with the reports of the ones that failed.
fn run_all(mode: Mode) {
    require_tool(&cc(), "build-essential");
    require_tool("nm", "binutils");
    if mode == Mode::Valgrind {
        require_tool("valgrind", "valgrind");
    }
    let mut programs = programs();
    if mode == Mode::ThreadSanitizer {
        programs.retain(|program| program.library == Library::Shipped && starts_threads(program));
        assert!(
            programs.len() >= 3,
            "too few C programs start threads: {:?}",
            programs
        );
    }
    let dir = scratch_dir(mode.name());
    let queue = Mutex::new(programs);
    let results = Mutex::new(Vec::new());
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let Some(program) = queue.lock().unwrap().pop() else {
                    break;
                };
                let result = build_and_run(&program, mode, &dir);
                results.lock().unwrap().push((program.name, result));
            });
        }
    });

    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut failed = Vec::new();
    for (name, result) in &results {
        match result {
            Ok(report) => println!("{}\n", report),
            Err(report) => {
                println!("{}\n", report);
                failed.push(name.clone());
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} C program(s) failed in mode {}: {:?} (their output is above; files in {})",
        failed.len(),
        mode.name(),
        failed,
        dir.display()
    );
}

#[test]
fn c_programs_pass_plain() {
    run_all(Mode::Plain);
}

#[test]
fn c_programs_pass_under_address_and_undefined_behavior_sanitizers() {
    run_all(Mode::Sanitizers);
}

#[test]
fn c_programs_pass_under_valgrind_without_leaks() {
    run_all(Mode::Valgrind);
}

/// The library, built with ThreadSanitizer, sees the threads of the C programs that start
/// them: a data race in the library or the program fails the program. Needs that library in
/// `METALDB_TEST_LIB_DIR`: `make tsan-test` builds it and runs this test (part of `make test`).
#[test]
#[ignore = "needs the library built with ThreadSanitizer: run by `make tsan-test`"]
fn c_programs_with_threads_pass_under_thread_sanitizer() {
    let symbols = run_ok(
        Command::new("nm")
            .args(["-D", "--undefined-only"])
            .arg(shared_library()),
    );
    assert!(
        symbols.contains("__tsan_func_entry"),
        "{} is not built with ThreadSanitizer: `make tsan-test` builds one and points \
         METALDB_TEST_LIB_DIR at it",
        shared_library().display()
    );
    assert!(tsan_suppressions().is_file(), "tests/tsan.supp is missing");
    run_all(Mode::ThreadSanitizer);
}

#[test]
fn header_compiles_standalone_as_c99_and_as_cxx() {
    require_tool(&cc(), "build-essential");
    require_tool(&cxx(), "g++");
    let dir = scratch_dir("header");
    run_ok(
        Command::new(cc())
            .args([
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
                "-fsyntax-only",
            ])
            .args(["-x", "c"])
            .arg(include_dir().join("metaldb.h")),
    );
    for standard in ["-std=c++11", "-std=c++17"] {
        run_ok(
            Command::new(cxx())
                .args([standard, "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
                .arg("-I")
                .arg(include_dir())
                .arg(repo().join("ffi-tests").join("header_cxx.cpp"))
                .arg("-o")
                .arg(dir.join("header_cxx.o")),
        );
    }
}

/// The path of an installed library or header, as the C compiler finds it.
fn lmdb_library() -> PathBuf {
    let path = run_ok(Command::new(cc()).arg("-print-file-name=liblmdb.so"));
    let path = PathBuf::from(path.trim());
    assert!(
        path.is_absolute() && path.exists(),
        "liblmdb.so not found: `apt-get install liblmdb-dev` (.ci/run installs it)"
    );
    path
}

/// The macros a header defines, beyond those of the compiler and of `<stdbool.h>`,
/// `<stddef.h>` and `<stdint.h>` (which metaldb.h includes).
fn macros_of(include: &str) -> BTreeSet<String> {
    let defined = |includes: &[&str]| -> BTreeSet<String> {
        let mut command = Command::new(cc());
        command
            .args(["-std=c99", "-E", "-dM", "-I"])
            .arg(include_dir());
        for include in includes {
            command.args(["-include", include]);
        }
        command.args(["-x", "c", "/dev/null"]);
        run_ok(&mut command)
            .lines()
            .filter_map(|line| line.strip_prefix("#define "))
            .map(|rest| rest.split([' ', '(']).next().unwrap_or_default().to_owned())
            .collect()
    };
    let base = defined(&["stdbool.h", "stddef.h", "stdint.h", "stdio.h", "stdlib.h"]);
    let with = defined(&[
        "stdbool.h",
        "stddef.h",
        "stdint.h",
        "stdio.h",
        "stdlib.h",
        include,
    ]);
    with.difference(&base).cloned().collect()
}

/// The functions a shared library defines and exports.
fn exported_functions(library: &Path) -> BTreeSet<String> {
    run_ok(
        Command::new("nm")
            .args(["-D", "--defined-only"])
            .arg(library),
    )
    .lines()
    .filter_map(|line| line.split_whitespace().nth(2))
    .map(|name| name.split('@').next().unwrap_or(name).to_owned())
    .collect()
}

#[test]
fn header_and_lmdb_share_no_names_and_link_together() {
    require_tool(&cc(), "build-essential");
    require_tool("nm", "binutils");
    let lmdb = lmdb_library();

    let ours = macros_of("metaldb.h");
    let theirs = macros_of("lmdb.h");
    let clashing_macros: Vec<_> = ours.intersection(&theirs).collect();
    let clashing_symbols: Vec<_> = exported_functions(&shared_library())
        .intersection(&exported_functions(&lmdb))
        .cloned()
        .collect();

    let dir = scratch_dir("lmdb");
    let binary = dir.join("header_with_lmdb");
    let compiled = compile(
        &repo().join("ffi-tests").join("header_with_lmdb.c"),
        &binary,
        Library::Shipped,
        &[],
        &["-llmdb"],
    );
    let ran = compiled.clone().and_then(|()| {
        let (output, report) = run(&mut Command::new(&binary));
        println!("{}", report);
        if output.status.success() {
            Ok(())
        } else {
            Err(report)
        }
    });

    assert!(
        clashing_macros.is_empty() && clashing_symbols.is_empty() && ran.is_ok(),
        "metaldb.h/libmetaldb.so clash with lmdb.h/liblmdb.so:\n\
         macros defined by both: {:?}\nfunctions exported by both: {:?}\n\
         building and running ffi-tests/header_with_lmdb.c: {}",
        clashing_macros,
        clashing_symbols,
        match &ran {
            Ok(()) => "ok".to_owned(),
            Err(report) => report.clone(),
        }
    );
}

/// The functions of `functions` that `source` never calls.
/// The functions of `functions` that the C `source` never calls: a call is the name, not part
/// of a longer identifier, followed by `(`, in code (comments and literals do not count).
fn uncalled<'a>(functions: &'a [String], source: &str) -> Vec<&'a String> {
    let code = code_only(source);
    functions
        .iter()
        .filter(|name| !calls(&code, name))
        .collect()
}

fn calls(code: &str, name: &str) -> bool {
    let identifier = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        !code[..at].ends_with(identifier) && code[at + name.len()..].trim_start().starts_with('(')
    })
}

/// C source without its comments and string and character literals (each replaced by a
/// space), so that a name mentioned there is never taken for a call.
fn code_only(source: &str) -> String {
    #[derive(PartialEq)]
    enum State {
        Code,
        LineComment,
        BlockComment,
        Literal(char),
    }
    let mut state = State::Code;
    let mut code = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Code => match (c, chars.peek()) {
                ('/', Some('/')) => state = State::LineComment,
                ('/', Some('*')) => {
                    chars.next();
                    state = State::BlockComment;
                }
                ('"' | '\'', _) => state = State::Literal(c),
                _ => code.push(c),
            },
            State::LineComment if c == '\n' => {
                code.push('\n');
                state = State::Code;
            }
            State::BlockComment if c == '*' && chars.peek() == Some(&'/') => {
                chars.next();
                code.push(' ');
                state = State::Code;
            }
            State::Literal(_) if c == '\\' => {
                chars.next();
            }
            State::Literal(quote) if c == quote => {
                code.push(' ');
                state = State::Code;
            }
            _ => {}
        }
    }
    code
}

fn header() -> String {
    fs::read_to_string(include_dir().join("metaldb.h")).expect("read metaldb.h")
}

#[test]
fn errors_c_calls_every_function_of_the_header() {
    let errors = fs::read_to_string(repo().join("ffi-tests").join("errors.c"))
        .expect("read ffi-tests/errors.c");
    let functions = header_functions(&header());
    assert!(
        functions.len() > 50,
        "too few functions found: {:?}",
        functions
    );
    let missing = uncalled(&functions, &errors);
    assert!(
        missing.is_empty(),
        "ffi-tests/errors.c does not call these functions of metaldb.h (add their NULL \
         cases): {:?}",
        missing
    );
}

/// Every function of the header is called with real arguments somewhere: in a test program
/// other than `errors.c` (whose calls pass NULLs), or in an example.
#[test]
fn tests_or_examples_make_a_real_call_of_every_function_of_the_header() {
    let functions = header_functions(&header());
    let mut sources = String::new();
    for dir in ["ffi-tests", "examples-c"] {
        for entry in fs::read_dir(repo().join(dir)).expect("read the directory") {
            let path = entry.expect("read a directory entry").path();
            if path.extension().is_some_and(|ext| ext == "c") && !path.ends_with("errors.c") {
                sources.push_str(&fs::read_to_string(&path).expect("read a source file"));
                sources.push('\n');
            }
        }
    }
    let missing = uncalled(&functions, &sources);
    assert!(
        missing.is_empty(),
        "no test of ffi-tests/ (other than errors.c) and no example of examples-c/ calls these \
         functions of metaldb.h with real arguments: {:?}",
        missing
    );
}

#[test]
fn calls_are_found_in_code_only() {
    let functions: Vec<String> = [
        "mdb_a", "mdb_b", "mdb_c", "mdb_d", "mdb_e", "mdb_f", "mdb_g",
    ]
    .map(str::to_owned)
    .to_vec();
    let source = "/* mdb_a(x) */ // mdb_b(y)\nputs(\"mdb_c(\\\" mdb_d(\"); x_mdb_d(1);\n\
                  CHECK_OK(mdb_e (2)); char q = '\"'; mdb_f(q); mdb_g;";
    assert_eq!(
        uncalled(&functions, source),
        ["mdb_a", "mdb_b", "mdb_c", "mdb_d", "mdb_g"]
    );
}

#[test]
fn fault_injection_tests_call_every_test_only_function_of_the_header() {
    let functions = header_test_only_functions(&header());
    assert!(
        !functions.is_empty(),
        "metaldb.h declares no test-only function under `#if defined({})`",
        FAULT_INJECTION_GUARD
    );
    let mut sources = String::new();
    for entry in fs::read_dir(repo().join(FAULT_INJECTION_DIR)).expect("read the directory") {
        let path = entry.expect("read a directory entry").path();
        sources.push_str(&fs::read_to_string(&path).expect("read a source file"));
    }
    let missing = uncalled(&functions, &sources);
    assert!(
        missing.is_empty(),
        "no program of {} calls these test-only functions of metaldb.h: {:?}",
        FAULT_INJECTION_DIR,
        missing
    );
}

#[test]
fn summary_lines_are_recognised() {
    assert_eq!(passed_summary("ok a\nok b\n2 passed, 0 failed\n"), Some(2));
    assert_eq!(passed_summary("2 passed, 0 failed\n\n"), Some(2));
    assert_eq!(passed_summary("ok a\nFAIL b\n1 passed, 1 failed\n"), None);
    assert_eq!(passed_summary("0 passed, 0 failed\n"), None);
    assert_eq!(passed_summary("2 passed, 0 failed\nmore\n"), None);
}
