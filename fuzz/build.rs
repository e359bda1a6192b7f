//! Generates the Rust declarations of the C API from `include/metaldb.h`, so that the fuzz
//! target calls exactly the functions, with exactly the signatures, that C programs see.
//!
//! Two files: `metaldb.rs` with the types and constants, and `metaldb_fns.rs` with the
//! functions. The raw functions go into a private module, and every one gets a public wrapper
//! of the same name and signature that counts the call (for the run's statistics, which count C
//! calls, not inputs) before making it.

use std::{env, fmt::Write, path::PathBuf};

fn main() {
    let header = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by Cargo"))
        .join("../include/metaldb.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let header = header.to_str().expect("the path is UTF-8");
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by Cargo"));
    bindgen::Builder::default()
        .header(header)
        .allowlist_type("mdb_.*")
        .allowlist_var("MDB_.*")
        .generate()
        .expect("include/metaldb.h is valid C")
        .write_to_file(out.join("metaldb.rs"))
        .expect("OUT_DIR is writable");
    let functions = bindgen::Builder::default()
        .header(header)
        .allowlist_function("mdb_.*")
        .allowlist_recursively(false)
        .generate()
        .expect("include/metaldb.h is valid C")
        .to_string();
    let mut wrappers = String::new();
    let mut count = 0;
    for signature in functions.split("pub fn ").skip(1) {
        let (name, rest) = signature.split_once('(').expect("a parameter list");
        let (params, ret) = split_params(rest);
        let names: Vec<&str> = params
            .iter()
            .map(|param| param.split_once(':').expect("name: type").0.trim())
            .collect();
        let ret = ret.trim();
        writeln!(
            wrappers,
            "#[inline]\npub unsafe fn {name}({}) {ret} {{\n    crate::stats::count_call();\n    \
             unsafe {{ raw::{name}({}) }}\n}}",
            params.join(", "),
            names.join(", "),
        )
        .expect("writing to a String");
        count += 1;
    }
    assert!(
        count > 50,
        "bindgen declared {count} functions: the header is read wrongly"
    );
    let module = format!("mod raw {{\n    use super::*;\n{functions}\n}}\n\n{wrappers}");
    std::fs::write(out.join("metaldb_fns.rs"), module).expect("OUT_DIR is writable");
}

/// Splits `a: T, b: U) -> R;...` into its parameters and what follows the list up to `;`
/// (the return type, `-> R`, or nothing). Types may hold parentheses, angle brackets and
/// arrows (function pointer types), so commas count only at depth 0.
fn split_params(text: &str) -> (Vec<String>, &str) {
    let (mut depth, mut start, mut params) = (0_i32, 0, Vec::new());
    let bytes = text.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'(' | b'<' | b'[' => depth += 1,
            b'>' if i > 0 && bytes[i - 1] == b'-' => {}
            b'>' | b']' => depth -= 1,
            b')' if depth > 0 => depth -= 1,
            b')' => {
                let last = text[start..i].trim();
                if !last.is_empty() {
                    params.push(last.to_owned());
                }
                let rest = &text[i + 1..];
                let end = rest.find(';').expect("a declaration ends with ;");
                return (params, &rest[..end]);
            }
            b',' if depth == 0 => {
                params.push(text[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    panic!("an unterminated parameter list: {text}");
}
