//! The README's C program ("Using it from C") is real code: it compiles as it stands with the
//! C tests' flags, runs, and leaves in its database what it says it writes.

mod c_support;

use std::{fs, process::Command};

use c_support::{cc, include_dir, lib_dir, repo, require_tool, run, scratch_dir};
use metaldb::{access::CopyAccessExt, DBOptions, Database, RocksDB};

/// The first C code block after `heading` in README.md.
fn c_block_after(heading: &str) -> String {
    let readme = fs::read_to_string(repo().join("README.md")).expect("read README.md");
    let section = readme
        .split_once(heading)
        .unwrap_or_else(|| panic!("README.md has no heading {:?}", heading))
        .1;
    let code = section
        .split_once("```c\n")
        .unwrap_or_else(|| panic!("README.md has no C block after {:?}", heading))
        .1;
    code.split_once("```")
        .expect("the README's C block is not closed")
        .0
        .to_owned()
}

#[test]
fn readme_c_program_compiles_runs_and_writes_what_it_says() {
    require_tool(&cc(), "build-essential");
    let dir = scratch_dir("readme");
    let source = dir.join("readme.c");
    fs::write(&source, c_block_after("## Using it from C")).expect("write readme.c");
    let binary = dir.join("readme");
    let lib = lib_dir();
    let (output, report) = run(Command::new(cc())
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-I")
        .arg(include_dir())
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .arg(format!("-L{}", lib.display()))
        .arg("-lmetaldb")
        .arg(format!("-Wl,-rpath,{}", lib.display())));
    assert!(
        output.status.success(),
        "the README's program does not compile:\n{}",
        report
    );

    let db_dir = dir.join("run");
    let _ = fs::remove_dir_all(&db_dir);
    fs::create_dir_all(&db_dir).expect("create the program's directory");
    let (output, report) = run(Command::new(&binary)
        .current_dir(&db_dir)
        .env_remove("LD_LIBRARY_PATH"));
    assert!(
        output.status.success(),
        "the README's program failed:\n{}",
        report
    );

    let db = RocksDB::open(db_dir.join("my.db"), &DBOptions::default())
        .expect("open the database the README's program wrote");
    let snapshot = db.snapshot();
    let balances = snapshot.get_map::<_, str, String>("balances");
    assert_eq!(balances.get("alice").as_deref(), Some("100"));
}
