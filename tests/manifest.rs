//! The package manifest: every dependency of the library is one its sources use. A crate that
//! only the tests, benchmarks or examples use belongs in `[dev-dependencies]`, and one that
//! nothing uses not at all: both would otherwise be built, and audited, by every user.

use std::{fs, path::Path};

/// The names of the `[dependencies]` of `manifest` (the table, and `[dependencies.NAME]`
/// tables), as written there.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            let table = line.trim_matches(|c| c == '[' || c == ']');
            in_dependencies = table == "dependencies";
            if let Some(name) = table.strip_prefix("dependencies.") {
                names.push(name.to_owned());
            }
        } else if in_dependencies && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                names.push(name.trim().to_owned());
            }
        }
    }
    names
}

/// Appends the text of every `.rs` file under `dir` to `text`.
fn read_sources(dir: &Path, text: &mut String) {
    for entry in fs::read_dir(dir).expect("read a source directory") {
        let path = entry.expect("read a source directory").path();
        if path.is_dir() {
            read_sources(&path, text);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            text.push_str(&fs::read_to_string(&path).expect("read a source file"));
        }
    }
}

/// The dependencies of `manifest` that `sources` never names as a path (`name::`) or in
/// `use name` or `extern crate name`.
fn unused_dependencies(manifest: &str, sources: &str) -> Vec<String> {
    dependencies(manifest)
        .into_iter()
        .filter(|name| {
            let name = name.replace('-', "_");
            ![
                format!("{name}::"),
                format!("use {name}"),
                format!("extern crate {name}"),
            ]
            .iter()
            .any(|usage| sources.contains(usage.as_str()))
        })
        .collect()
}

#[test]
fn every_dependency_of_the_library_is_used_by_its_sources() {
    // Read at run time, as `tests/c_support` does: a test binary reused from another checkout
    // must check this one.
    let root = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || env!("CARGO_MANIFEST_DIR").into(),
        std::path::PathBuf::from,
    );
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("read Cargo.toml");
    let mut sources = String::new();
    read_sources(&root.join("src"), &mut sources);
    assert!(
        dependencies(&manifest).len() > 3,
        "too few dependencies found in Cargo.toml: {:?}",
        dependencies(&manifest)
    );
    assert_eq!(
        unused_dependencies(&manifest, &sources),
        Vec::<String>::new(),
        "dependencies that src/ does not use: move those of the tests, benchmarks or examples \
         to [dev-dependencies], and remove the others"
    );
}

#[test]
fn a_dependency_that_src_does_not_name_is_reported() {
    let manifest = "[package]\nname = \"x\"\n\n[dependencies]\n# a comment = 1\nused-crate = \
                    \"1\"\nonce_cell = \"1\"\n\n[dependencies.libc]\nversion = \"0.2\"\n\n\
                    [dev-dependencies]\ntempfile = \"3\"\n";
    assert_eq!(dependencies(manifest), ["used-crate", "once_cell", "libc"]);
    assert_eq!(
        unused_dependencies(manifest, "use used_crate::Thing;"),
        ["once_cell", "libc"]
    );
}
