//! The C header and the shared library as shipped: the committed `include/metaldb.h` is the
//! one the build generates, the versions agree (Cargo, header macros, runtime), every
//! declaration is documented, every export runs inside the panic boundary, and the shared
//! library has the SONAME `libmetaldb.so.<major>` (its exports: `tests/symbols.rs`).

mod c_support;

use std::{ffi::CStr, fs, path::Path, process::Command};

use c_support::{
    header_declarations, header_functions, include_dir, repo, require_tool, run, shared_library,
};

#[path = "../build-aux/header.rs"]
mod generation;

use metaldb_abi_sys::{mdb_version_number, mdb_version_str};
// Links the library, whose exported functions the declarations above name.
use metaldb as _;

fn header() -> String {
    fs::read_to_string(include_dir().join("metaldb.h")).expect("read include/metaldb.h")
}

/// The value of `#define NAME value` in the header.
fn define(header: &str, name: &str) -> String {
    let prefix = format!("#define {} ", name);
    header
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("metaldb.h does not define {}", name))
        .trim()
        .to_owned()
}

/// The header that cbindgen generates from the current sources, as the build does.
fn fresh_header() -> Vec<u8> {
    let part = |text: &str| text.parse().expect("a numeric version part");
    generation::generate(
        &repo(),
        (
            part(env!("CARGO_PKG_VERSION_MAJOR")),
            part(env!("CARGO_PKG_VERSION_MINOR")),
            part(env!("CARGO_PKG_VERSION_PATCH")),
        ),
    )
}

/// Where `actual` first differs from `expected`: the line number (from 1) and both lines (a
/// missing final newline counts), or `None` if they are the same bytes.
fn first_difference(expected: &[u8], actual: &[u8]) -> Option<(usize, String, String)> {
    let mut expected_lines = expected.split_inclusive(|&byte| byte == b'\n');
    let mut actual_lines = actual.split_inclusive(|&byte| byte == b'\n');
    let show = |line: Option<&[u8]>| match line {
        Some(line) => format!("{:?}", String::from_utf8_lossy(line)),
        None => "(end of file)".to_owned(),
    };
    for number in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (None, None) => return None,
            (left, right) if left != right => return Some((number, show(left), show(right))),
            _ => {}
        }
    }
    None
}

/// Fails if `actual` (described by `what`) is not byte for byte the fresh header.
fn assert_fresh(fresh: &[u8], actual: &[u8], what: &str) {
    if let Some((line, expected, found)) = first_difference(fresh, actual) {
        panic!(
            "{what} differs from the header cbindgen generates from src/ffi, first at line \
             {line}:\n  generated: {expected}\n  {what}: {found}\n\
             The header is generated, never edited: `cargo build` rewrites include/metaldb.h, \
             then commit it."
        );
    }
}

/// Whether the variable `CI` says this is a CI run (GitHub, GitLab and others set `CI=true`).
fn is_ci(value: Option<&str>) -> bool {
    value.is_some_and(|value| !matches!(value.trim(), "" | "0" | "false"))
}

/// The bytes of `path` that git records: the index, which is what the next commit holds (in a
/// fresh checkout, the commit). An error says why git could not tell.
fn recorded_by_git(path: &str) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo())
        // `cat-file` gives the blob's bytes as stored: no end-of-line conversion, no filter.
        .args(["cat-file", "blob", &format!(":{path}")])
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!(
            "`git cat-file blob :{path}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// What to do when git cannot tell what it records: outside CI (a source tarball, a machine
/// without git), say so and go on; under CI, where the check must run, fail.
fn unchecked_by_git(why: &str, ci: Option<&str>) {
    assert!(
        !is_ci(ci),
        "CI is set, but the committed header cannot be checked: {why}. (A checkout owned by \
         another user makes git refuse to work: `git config --global --add safe.directory \
         <path>`.)"
    );
    eprintln!("the committed header is not checked: {why}");
}

#[test]
fn header_on_disk_and_in_git_is_a_fresh_cbindgen_run_byte_for_byte() {
    // The build rewrites include/metaldb.h only when src/ffi, cbindgen.toml or metaldb.map
    // change, so the file on disk is compared too: a hand edit, or a change elsewhere that the
    // header reflects, would otherwise go unnoticed.
    let fresh = fresh_header();
    let on_disk = fs::read(include_dir().join("metaldb.h")).expect("read include/metaldb.h");
    assert_fresh(&fresh, &on_disk, "include/metaldb.h");
    match recorded_by_git("include/metaldb.h") {
        Ok(committed) => assert_fresh(&fresh, &committed, "the committed include/metaldb.h"),
        Err(why) => unchecked_by_git(&why, std::env::var("CI").ok().as_deref()),
    }
}

#[test]
fn headers_differing_in_one_byte_are_reported_with_the_line() {
    let header = b"#define A 1\n#define B 2\n";
    assert_eq!(first_difference(header, header), None);
    let (line, expected, found) =
        first_difference(header, b"#define A 1\n#define B 3\n").expect("a difference");
    assert_eq!(
        (line, expected.as_str(), found.as_str()),
        (2, "\"#define B 2\\n\"", "\"#define B 3\\n\"")
    );
    let (line, _, found) = first_difference(header, b"#define A 1\n").expect("a difference");
    assert_eq!((line, found.as_str()), (2, "(end of file)"));
    let (line, _, _) = first_difference(header, b"#define A 1\n#define B 2").expect("a newline");
    assert_eq!(line, 2);
}

#[test]
#[should_panic(expected = "CI is set, but the committed header cannot be checked")]
fn an_unchecked_committed_header_fails_under_ci() {
    unchecked_by_git("git refused", Some("true"));
}

#[test]
fn an_unchecked_committed_header_outside_ci_is_reported_only() {
    for ci in [None, Some(""), Some("false"), Some("0")] {
        unchecked_by_git("git refused", ci);
    }
}

#[test]
fn rust_declarations_are_generated_from_the_header_on_disk() {
    // metaldb-abi-sys ran bindgen over the header as it was when it was built; the library's
    // build script may have rewritten the header since (cargo runs both at once).
    let on_disk = fs::read(include_dir().join("metaldb.h")).expect("read include/metaldb.h");
    assert!(
        metaldb_abi_sys::HEADER.as_bytes() == on_disk,
        "metaldb-abi-sys was generated from an older include/metaldb.h: build again \
         (`cargo test` reruns its bindgen when the header changes)"
    );
}

#[test]
fn every_function_of_the_header_has_a_rust_declaration() {
    // bindgen skips what it cannot translate; the tests and the fuzzer would then miss it.
    assert_eq!(
        metaldb_abi_sys::FUNCTIONS,
        header_functions(metaldb_abi_sys::HEADER).as_slice()
    );
}

#[test]
fn cargo_version_header_macros_and_runtime_version_agree() {
    let header = header();
    let part = |name: &str| -> u32 {
        define(&header, name)
            .parse()
            .unwrap_or_else(|err| panic!("{} is not a number: {}", name, err))
    };
    let (major, minor, patch) = (
        part("METALDB_VERSION_MAJOR"),
        part("METALDB_VERSION_MINOR"),
        part("METALDB_VERSION_PATCH"),
    );
    let cargo = env!("CARGO_PKG_VERSION");
    assert_eq!(format!("{}.{}.{}", major, minor, patch), cargo);
    assert_eq!(major.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(minor.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(patch.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
    assert_eq!(
        define(&header, "METALDB_VERSION_STRING"),
        format!("\"{}\"", cargo)
    );
    let number = major * 1_000_000 + minor * 1_000 + patch;
    assert_eq!(part("METALDB_VERSION_NUMBER"), number);

    // SAFETY: both take no argument; the string is static and NUL-terminated.
    let (runtime, runtime_number) =
        unsafe { (CStr::from_ptr(mdb_version_str()), mdb_version_number()) };
    assert_eq!(runtime.to_str().unwrap(), cargo);
    assert_eq!(runtime_number, number);
}

/// Whether the line right above `index` ends a doc comment (`/** ... */`) with some text.
fn documented(lines: &[&str], index: usize) -> bool {
    if index == 0 {
        return false;
    }
    let last = lines[index - 1].trim();
    if !last.ends_with("*/") {
        return false;
    }
    // Walk up to the line that opens the comment, collecting its text.
    let mut text = String::new();
    let mut j = index - 1;
    loop {
        let line = lines[j].trim();
        text.push_str(line.trim_start_matches("/**").trim_end_matches("*/"));
        if line.starts_with("/**") {
            break;
        }
        if j == 0 || line.starts_with("/*") {
            return false;
        }
        j -= 1;
    }
    text.trim_matches(|c: char| c == '*' || c.is_whitespace())
        .chars()
        .any(char::is_alphanumeric)
}

#[test]
fn every_declaration_of_the_header_has_a_doc_comment() {
    let header = header();
    let lines: Vec<&str> = header.lines().collect();
    let functions: Vec<String> = header_declarations(&header)
        .into_iter()
        .map(|declared| declared.name)
        .collect();
    assert!(
        functions.len() > 50,
        "too few functions found: {:?}",
        functions
    );
    let mut undocumented = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let declares = (!line.starts_with([' ', '#', '/', '*', '}'])
            && line.contains('(')
            && functions
                .iter()
                .any(|name| line.contains(&format!("{}(", name))))
            || line.starts_with("typedef")
            || (line.starts_with("#define ") && !line.starts_with("#define METALDB_H"));
        if declares && !documented(&lines, index) {
            undocumented.push(*line);
        }
    }
    assert!(
        undocumented.is_empty(),
        "declarations of metaldb.h without a doc comment right above them:\n{}",
        undocumented.join("\n")
    );
    assert!(!header.contains("TODO"), "metaldb.h contains a TODO");
}

/// Removes the unit tests, `#[cfg(test)] (pub(crate)) mod tests { ... }`, which close a file
/// by convention.
fn without_test_module(source: &str) -> &str {
    let mut offset = 0;
    let mut lines = source.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines.peek().is_some_and(|next| next.contains("mod tests"))
        {
            return &source[..offset];
        }
        offset += line.len();
    }
    source
}

/// The body of every `extern "C" fn <name>` definition: the text after its opening brace.
fn extern_functions(source: &str) -> Vec<(String, String)> {
    let mut functions = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("extern \"C\" fn ") {
        let after = &rest[at + "extern \"C\" fn ".len()..];
        rest = after;
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // a function pointer type, `extern "C" fn(...)`
        }
        // The body starts at the first `{` after the signature's closing parenthesis; the
        // signature has no braces of its own.
        let Some(open) = after.find('{') else {
            continue;
        };
        functions.push((name, after[open + 1..].trim_start().to_owned()));
    }
    functions
}

/// The header without its comments (a block comment becomes a space, a line comment goes up
/// to its newline), so that the words of the documentation are not taken for declarations.
fn without_comments(header: &str) -> String {
    let mut code = String::with_capacity(header.len());
    let mut rest = header;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(start), line) if line.is_none_or(|line| start < line) => {
                code.push_str(&rest[..start]);
                code.push(' ');
                rest = rest[start..]
                    .find("*/")
                    .map_or("", |end| &rest[start + end + 2..]);
            }
            (_, Some(start)) => {
                code.push_str(&rest[..start]);
                rest = rest[start..]
                    .find('\n')
                    .map_or("", |end| &rest[start + end..]);
            }
            (_, None) => break,
        }
    }
    code.push_str(rest);
    code
}

/// The tokens of C code: identifiers and numbers, and every other character but spaces on its
/// own.
fn tokens(code: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (at, c) in code.char_indices() {
        let in_word = c.is_alphanumeric() || c == '_';
        if let Some(begin) = start.filter(|_| !in_word) {
            tokens.push(&code[begin..at]);
            start = None;
        }
        if in_word {
            start.get_or_insert(at);
        } else if !c.is_whitespace() {
            tokens.push(&code[at..at + c.len_utf8()]);
        }
    }
    if let Some(begin) = start {
        tokens.push(&code[begin..]);
    }
    tokens
}

/// The names `header` declares outside metaldb's namespaces (`mdb_` for functions, types,
/// globals and struct, union and enum tags, `MDB_` and `METALDB_` for macros), as `kind name`.
fn names_outside_namespace(header: &str) -> Vec<String> {
    let code = without_comments(header);
    let identifier = |text: &str| -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut outside = Vec::new();
    for line in code.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let name = identifier(rest);
            if !(name.starts_with("MDB_") || name.starts_with("METALDB_")) {
                outside.push(format!("macro {name}"));
            }
        }
        if let Some(rest) = line.strip_prefix("typedef ") {
            let name = match rest.split_once("(*") {
                // A function pointer: `typedef R (*name)(...`.
                Some((_, after)) => identifier(after),
                None => rest
                    .trim_end_matches(';')
                    .rsplit(' ')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            };
            if !name.starts_with("mdb_") && !rest.ends_with('{') {
                outside.push(format!("type {name}"));
            }
        }
        // The name after the body of `typedef struct { ... } name;` (not the brace that
        // closes `extern "C" {`).
        if let Some(rest) = line.strip_prefix('}') {
            let name = rest.trim().trim_end_matches(';');
            if !name.is_empty() && !name.starts_with("mdb_") {
                outside.push(format!("type {name}"));
            }
        }
        // A global: `extern const T name;` (not the `extern "C" {` of C++).
        if let Some(rest) = line.strip_prefix("extern ") {
            if !rest.starts_with('"') {
                let declarator = rest.trim_end_matches(';').split('[').next().unwrap_or("");
                let name = declarator
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default();
                if !name.starts_with("mdb_") {
                    outside.push(format!("global {name}"));
                }
            }
        }
    }
    // Tags: `struct name`, `union name`, `enum name`, wherever they appear; a keyword followed
    // by a brace is an anonymous type.
    let tokens = tokens(&code);
    for pair in tokens.windows(2) {
        let is_identifier = pair[1].starts_with(|c: char| c.is_alphabetic() || c == '_');
        if matches!(pair[0], "struct" | "union" | "enum")
            && is_identifier
            && !pair[1].starts_with("mdb_")
        {
            outside.push(format!("{} {}", pair[0], pair[1]));
        }
    }
    for declared in header_declarations(header) {
        if !declared.name.starts_with("mdb_") {
            outside.push(format!("function {}", declared.name));
        }
    }
    outside
}

#[test]
fn every_name_the_header_declares_is_in_the_mdb_namespace() {
    // C has one namespace: a header that defines `ID_SIZE` or declares `version()` can clash
    // with its users' names.
    let outside = names_outside_namespace(&header());
    assert!(
        outside.is_empty(),
        "metaldb.h declares names outside mdb_/MDB_/METALDB_: {:?}",
        outside
    );
}

#[test]
fn the_namespace_check_reports_each_kind_of_name_outside_mdb() {
    let header = "\
/** A documented `struct thing` and version(void) in a comment are not declarations. */
#define MDB_OK 0
#define ID_SIZE 8
typedef uint32_t mdb_status;
typedef uint32_t status;
typedef struct mdb_db mdb_db;
typedef struct db_handle db;
typedef struct {
  int x;
} point;
typedef mdb_status (*step_fn)(mdb_db *db);
extern \"C\" {
extern const uint32_t mdb_limit;
extern const char version_text[8];
mdb_status mdb_db_open(const char *path);
const char *version(void);
mdb_status open_db(mdb_db **out_db,
                   const char *path);
}  // extern \"C\", struct comment
";
    assert_eq!(
        names_outside_namespace(header),
        [
            "macro ID_SIZE",
            "type status",
            "type db",
            "type point",
            "type step_fn",
            "global version_text",
            "struct db_handle",
            "function version",
            "function open_db",
        ]
    );
}

#[test]
fn every_exported_function_runs_inside_the_panic_boundary() {
    const BOUNDARIES: [&str; 3] = [
        "ffi_boundary!",
        "ffi_boundary_infallible!",
        "ffi_boundary_keeping_message!",
    ];
    // Every source file under src/ffi, but the unit tests (`tests.rs`, and the
    // `#[cfg(test)] mod tests` that closes a file), whose callbacks are not exported.
    fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in fs::read_dir(dir).expect("read src/ffi") {
            let path = entry.expect("read src/ffi").path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") && !path.ends_with("tests.rs")
            {
                found.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    sources(&repo().join("src").join("ffi"), &mut paths);
    let mut checked = 0;
    let mut unwrapped = Vec::new();
    for path in paths {
        let source = fs::read_to_string(&path).expect("read a source file");
        let source = without_test_module(&source);
        let exports = source
            .lines()
            .filter(|line| line.trim() == "#[no_mangle]")
            .count();
        let functions = extern_functions(source);
        if exports != functions.len() {
            unwrapped.push(format!(
                "{}: {} #[no_mangle] but {} extern \"C\" fn",
                path.display(),
                exports,
                functions.len()
            ));
        }
        for (name, body) in functions {
            checked += 1;
            if !BOUNDARIES.iter().any(|boundary| body.starts_with(boundary)) {
                unwrapped.push(format!("{}: {}", path.display(), name));
            }
        }
    }
    assert!(
        checked > 50,
        "too few exported functions found: {}",
        checked
    );
    assert!(
        unwrapped.is_empty(),
        "exported functions whose body does not start with a boundary macro:\n{}",
        unwrapped.join("\n")
    );
}

#[test]
fn only_src_ffi_exports_functions() {
    fn visit(dir: &Path, found: &mut Vec<String>) {
        for entry in fs::read_dir(dir).expect("read a source directory") {
            let path = entry.expect("read a source directory").path();
            if path.is_dir() {
                if !path.ends_with("ffi") {
                    visit(&path, found);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let source = fs::read_to_string(&path).expect("read a source file");
                if source.contains("no_mangle") || source.contains("extern \"C\" fn ") {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    let mut found = Vec::new();
    visit(&repo().join("src"), &mut found);
    assert!(found.is_empty(), "exports outside src/ffi: {:?}", found);
}

#[test]
fn shared_library_soname_carries_the_major_version() {
    require_tool("readelf", "binutils");
    let (output, report) = run(Command::new("readelf").arg("-d").arg(shared_library()));
    assert!(output.status.success(), "{}", report);
    let expected = format!(
        "Library soname: [libmetaldb.so.{}]",
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&expected),
        "expected `{}`:\n{}",
        expected,
        report
    );
}
