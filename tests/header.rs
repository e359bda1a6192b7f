//! The C header and the shared library as shipped: the committed `include/metaldb.h` is the
//! one the build generates, the versions agree (Cargo, header macros, runtime), every
//! declaration is documented, every export runs inside the panic boundary, and the shared
//! library has the SONAME `libmetaldb.so.<major>` (its exports: `tests/symbols.rs`).

mod c_support;

use std::{ffi::CStr, fs, path::Path, process::Command};

use c_support::{
    header_declarations, header_functions, include_dir, repo, require_tool, run, shared_library,
};
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

#[test]
fn committed_header_is_the_generated_one() {
    // The build (build.rs) has just rewritten include/metaldb.h from src/ffi; a difference
    // from the committed file means someone changed the API without committing the header.
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo())
            .args(args)
            .output()
    };
    match git(&["rev-parse", "--is-inside-work-tree"]) {
        Ok(output) if output.status.success() => {}
        _ => {
            eprintln!("not a git checkout, or no git: the header's freshness is not checked");
            return;
        }
    }
    let tracked = git(&["ls-files", "--error-unmatch", "include/metaldb.h"]).expect("run git");
    assert!(
        tracked.status.success(),
        "include/metaldb.h is not tracked by git: commit it (`git add include/metaldb.h`)"
    );
    let diff = git(&["diff", "--exit-code", "--", "include/metaldb.h"]).expect("run git");
    assert!(
        diff.status.success(),
        "include/metaldb.h differs from the committed one: the build regenerated it from \
         src/ffi, so commit the new header.\n{}",
        String::from_utf8_lossy(&diff.stdout)
    );
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

#[test]
fn every_name_the_header_declares_is_in_the_mdb_namespace() {
    // C has one namespace: a header that defines `ID_SIZE` or declares `version()` can clash
    // with its users' names.
    let header = header();
    let mut outside = Vec::new();
    for line in header.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let name = rest.split([' ', '(']).next().unwrap_or_default();
            if !(name.starts_with("MDB_") || name.starts_with("METALDB_")) {
                outside.push(format!("macro {}", name));
            }
        }
        if let Some(rest) = line.strip_prefix("typedef ") {
            let name = match rest.split_once("(*") {
                // A function pointer: `typedef R (*name)(...`.
                Some((_, after)) => after.split(')').next().unwrap_or_default(),
                None => rest
                    .trim_end_matches(';')
                    .rsplit(' ')
                    .next()
                    .unwrap_or_default(),
            };
            if !name.starts_with("mdb_") && !rest.ends_with('{') {
                outside.push(format!("type {}", name));
            }
        }
        if let Some(rest) = line.strip_prefix("} ") {
            let name = rest.trim_end_matches(';');
            if !name.starts_with("mdb_") && !name.contains("extern") {
                outside.push(format!("type {}", name));
            }
        }
    }
    for declared in header_declarations(&header) {
        let name = declared.name;
        if !name.starts_with("mdb_") {
            outside.push(format!("function {}", name));
        }
    }
    assert!(
        outside.is_empty(),
        "metaldb.h declares names outside mdb_/MDB_/METALDB_: {:?}",
        outside
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
