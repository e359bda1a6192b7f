//! The dynamic symbols of `libmetaldb.so`: every export is an `mdb_*` function of the header
//! under the symbol version `METALDB_1.0`, or the later node that added it (`METALDB_1.1`,
//! `METALDB_1.2`: `metaldb.map`), every function of the header is
//! exported, and nothing else is (Rust's standard library and RocksDB stay local). The
//! test-only functions of the `fault-injection` feature are exported only by a library built
//! with it, under a node of their own, `METALDB_TEST`.

mod c_support;

use std::{fs, path::Path, process::Command};

use c_support::{
    fault_injection_lib_dir, header_functions, header_test_only_functions, include_dir,
    require_tool, run_ok, shared_library,
};

/// The version node of every function of the 1.0 API.
const VERSION_1_0: &str = "METALDB_1.0";
/// The version nodes after 1.0, each with the functions it added (metaldb.map).
const LATER_NODES: [(&str, &[&str]); 2] = [
    (
        "METALDB_1.1",
        &[
            "mdb_catalogue_new",
            "mdb_catalogue_next",
            "mdb_catalogue_free",
        ],
    ),
    ("METALDB_1.2", &["mdb_iter_next_batch"]),
];
/// The version node of the test-only functions.
const VERSION_TEST: &str = "METALDB_TEST";

/// A symbol that the library defines and exports, as `readelf --dyn-syms --wide` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Export {
    name: String,
    /// The version node, if the symbol has one.
    version: Option<String>,
    /// Whether it is the default version (`name@@VERSION`, the one new programs link to).
    default_version: bool,
    /// The section index column: `ABS` for the symbols GNU ld defines for version nodes.
    section: String,
}

/// The defined global and weak symbols of `readelf --dyn-syms --wide` output.
fn exports(readelf: &str) -> Vec<Export> {
    readelf
        .lines()
        .filter_map(|line| {
            // Num: Value Size Type Bind Vis Ndx Name
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 8 || !fields[0].ends_with(':') {
                return None;
            }
            let (bind, section, symbol) = (fields[4], fields[6], fields[fields.len() - 1]);
            if section == "UND" || !matches!(bind, "GLOBAL" | "WEAK" | "GNU_UNIQUE") {
                return None;
            }
            let (name, version, default_version) = match symbol.split_once("@@") {
                Some((name, version)) => (name, Some(version), true),
                None => match symbol.split_once('@') {
                    Some((name, version)) => (name, Some(version), false),
                    None => (symbol, None, false),
                },
            };
            Some(Export {
                name: name.to_owned(),
                version: version.map(str::to_owned),
                default_version,
                section: section.to_owned(),
            })
        })
        .collect()
}

/// What is wrong with the exports of a library: each line names a symbol and the rule it
/// breaks. `test_only` are the functions that must be exported under `METALDB_TEST` (empty
/// for a shipped library, which must not export them at all).
fn export_problems(exports: &[Export], api: &[String], test_only: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for export in exports {
        let Export { name, version, .. } = export;
        // GNU ld defines an absolute symbol named after each version node.
        if export.section == "ABS" && version.as_deref() == Some(name.as_str()) {
            continue;
        }
        let later = LATER_NODES
            .iter()
            .find(|(_, functions)| functions.contains(&name.as_str()));
        let expected = if test_only.contains(name) {
            VERSION_TEST
        } else if let Some((node, _)) = later {
            node
        } else {
            VERSION_1_0
        };
        if !name.starts_with("mdb_") {
            problems.push(format!(
                "`{}` is exported but is not an mdb_* function (only the C API may be)",
                name
            ));
        } else if !api.contains(name) && !test_only.contains(name) {
            problems.push(format!(
                "`{}` is exported but include/metaldb.h does not declare it{}",
                name,
                if test_only.is_empty() {
                    " for a shipped library (a test-only function?)"
                } else {
                    ""
                }
            ));
        } else if version.is_none() {
            problems.push(format!(
                "`{}` is exported without a symbol version (expected {})",
                name, expected
            ));
        } else if version.as_deref() != Some(expected) || !export.default_version {
            problems.push(format!(
                "`{}` has the version `{}{}`, expected `@@{}`",
                name,
                if export.default_version { "@@" } else { "@" },
                version.as_deref().unwrap_or_default(),
                expected
            ));
        }
    }
    for name in api.iter().chain(test_only) {
        if !exports.iter().any(|export| &export.name == name) {
            problems.push(format!(
                "`{}` is declared in include/metaldb.h but not exported",
                name
            ));
        }
    }
    problems
}

fn header() -> String {
    fs::read_to_string(include_dir().join("metaldb.h")).expect("read include/metaldb.h")
}

fn readelf_dyn_syms(library: &Path) -> String {
    require_tool("readelf", "binutils");
    run_ok(
        Command::new("readelf")
            .args(["--dyn-syms", "--wide"])
            .arg(library),
    )
}

/// Asserts that `library` exports exactly `api` under METALDB_1.0 and `test_only` under
/// METALDB_TEST.
fn assert_exports(library: &Path, api: &[String], test_only: &[String]) {
    let exports = exports(&readelf_dyn_syms(library));
    assert!(
        exports.len() > api.len() / 2,
        "readelf found only {} exports in {}: is its output format unexpected?",
        exports.len(),
        library.display()
    );
    let problems = export_problems(&exports, api, test_only);
    assert!(
        problems.is_empty(),
        "{} breaks the symbol rules of metaldb.map:\n  {}",
        library.display(),
        problems.join("\n  ")
    );
}

#[test]
fn shared_library_exports_exactly_the_header_s_functions_under_metaldb_1_0() {
    assert_exports(&shared_library(), &header_functions(&header()), &[]);
}

#[test]
fn fault_injection_library_exports_its_test_only_functions_under_metaldb_test() {
    let header = header();
    let test_only = header_test_only_functions(&header);
    assert!(
        !test_only.is_empty(),
        "the header declares test-only functions"
    );
    assert_exports(
        &fault_injection_lib_dir().join("libmetaldb.so"),
        &header_functions(&header),
        &test_only,
    );
}

/// `readelf --dyn-syms --wide` lines for the checker's own tests.
fn readelf_lines(symbols: &[(&str, &str)]) -> String {
    let mut text = String::from(
        "Symbol table '.dynsym' contains 9 entries:\n   \
         Num:    Value          Size Type    Bind   Vis      Ndx Name\n",
    );
    for (number, (section, name)) in symbols.iter().enumerate() {
        text.push_str(&format!(
            "    {}: 0000000000011770     6 FUNC    GLOBAL DEFAULT   {} {}\n",
            number, section, name
        ));
    }
    text
}

#[test]
fn checker_reports_unversioned_foreign_undeclared_wrongly_versioned_and_missing_exports() {
    let api = vec![
        "mdb_a".to_owned(),
        "mdb_b".to_owned(),
        "mdb_gone".to_owned(),
    ];
    let exports = exports(&readelf_lines(&[
        ("16", "mdb_a@@METALDB_1.0"),
        ("16", "mdb_b"),
        ("16", "rust_eh_personality"),
        ("16", "mdb_extra@@METALDB_1.0"),
        ("16", "mdb_fault_injection_arm_panic@@METALDB_1.0"),
        ("UND", "memcpy@GLIBC_2.14"),
        ("ABS", "METALDB_1.0@@METALDB_1.0"),
    ]));
    let problems = export_problems(&exports, &api, &["mdb_fault_injection_arm_panic".into()]);
    let expected = [
        "`mdb_b` is exported without a symbol version",
        "`rust_eh_personality` is exported but is not an mdb_* function",
        "`mdb_extra` is exported but include/metaldb.h does not declare it",
        "`mdb_fault_injection_arm_panic` has the version `@@METALDB_1.0`, expected \
         `@@METALDB_TEST`",
        "`mdb_gone` is declared in include/metaldb.h but not exported",
    ];
    assert_eq!(problems.len(), expected.len(), "{:#?}", problems);
    for (problem, expected) in problems.iter().zip(expected) {
        assert!(problem.starts_with(expected), "{} / {}", problem, expected);
    }
}

#[test]
fn checker_accepts_exactly_the_versioned_api() {
    let api = vec!["mdb_a".to_owned()];
    let exports = exports(&readelf_lines(&[
        ("16", "mdb_a@@METALDB_1.0"),
        ("UND", "free@GLIBC_2.2.5"),
        ("ABS", "METALDB_1.0@@METALDB_1.0"),
    ]));
    assert_eq!(export_problems(&exports, &api, &[]), Vec::<String>::new());
}
