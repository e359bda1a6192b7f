//! `make install`: the installed tree (header, versioned shared library with its links,
//! static library, pkg-config file), and a C program built against it through
//! `pkg-config --cflags --libs metaldb` alone, then run.

mod c_support;

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use c_support::{cc, profile_dir, repo, require_tool, run_ok, scratch_dir};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");

/// Runs `make install` with the given variables, on this test's target directory.
fn make_install(variables: &[String]) {
    require_tool("make", "make");
    let target_dir = profile_dir()
        .parent()
        .expect("the profile directory has a parent")
        .to_path_buf();
    run_ok(
        Command::new("make")
            .arg("install")
            .args(variables)
            .current_dir(repo())
            .env("CARGO_TARGET_DIR", target_dir),
    );
}

/// Checks the installed tree under `root` (`$DESTDIR$PREFIX`).
fn check_tree(root: &Path) {
    let lib = root.join("lib");
    let header = fs::read(root.join("include").join("metaldb.h")).expect("installed header");
    assert_eq!(
        header,
        fs::read(repo().join("include").join("metaldb.h")).unwrap()
    );
    let library = lib.join(format!("libmetaldb.so.{}", VERSION));
    let library_meta = fs::symlink_metadata(&library).expect("the versioned shared library");
    assert!(
        library_meta.file_type().is_file(),
        "{:?} is a file",
        library
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
    assert!(lib.join("pkgconfig").join("metaldb.pc").is_file());
}

/// Runs pkg-config on the tree installed under `prefix`.
fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    require_tool("pkg-config", "pkg-config");
    run_ok(
        Command::new("pkg-config")
            .args(args)
            .arg("metaldb")
            .env("PKG_CONFIG_PATH", prefix.join("lib").join("pkgconfig"))
            .env_remove("PKG_CONFIG_LIBDIR"),
    )
    .split_whitespace()
    .map(str::to_owned)
    .collect()
}

#[test]
fn installed_tree_builds_the_quick_start_with_pkg_config_alone_shared_and_static() {
    require_tool("readelf", "binutils");
    let dir = scratch_dir("install");
    let prefix = dir.join("prefix");
    make_install(&[format!("PREFIX={}", prefix.display())]);
    check_tree(&prefix);

    assert_eq!(pkg_config(&prefix, &["--modversion"]), [VERSION]);
    let pc = fs::read_to_string(prefix.join("lib/pkgconfig/metaldb.pc")).unwrap();
    assert!(
        pc.contains(&format!("prefix={}\n", prefix.display())),
        "{}",
        pc
    );

    // Only pkg-config's flags: no -I or -L into the repository or the target directory.
    let flags = pkg_config(&prefix, &["--cflags", "--libs"]);
    let binary = dir.join("quickstart");
    run_ok(
        Command::new(cc())
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .arg(repo().join("examples-c").join("quickstart.c"))
            .arg("-o")
            .arg(&binary)
            .args(&flags),
    );
    // The program records the SONAME, not the development link.
    let dynamic = run_ok(Command::new("readelf").arg("-d").arg(&binary));
    assert!(
        dynamic.contains(&format!("Shared library: [libmetaldb.so.{}]", MAJOR)),
        "{}",
        dynamic
    );
    let output = run_ok(
        Command::new(&binary)
            .arg(dir.join("quickstart.db"))
            .env("LD_LIBRARY_PATH", prefix.join("lib")),
    );
    println!("{}", output);
    assert!(
        output.contains(&format!("metaldb {}", VERSION)),
        "{}",
        output
    );
    assert!(output.trim_end().ends_with("done"), "{}", output);

    check_static_linking(&dir, &prefix);
    // The tree holds a copy of the (large) static library: not kept after success.
    fs::remove_dir_all(&dir).expect("remove the installed tree");
}

/// Links the quick start with the installed static library and the private libraries that
/// `pkg-config --static` lists, and runs it without the shared library.
fn check_static_linking(dir: &Path, prefix: &Path) {
    let static_lib = prefix.join("lib").join("libmetaldb.a");
    // `-lmetaldb` would pick the shared library: name the archive, then the private libraries.
    let libs: Vec<String> = pkg_config(prefix, &["--static", "--libs"])
        .into_iter()
        .filter(|flag| flag != "-lmetaldb" && !flag.starts_with("-L"))
        .collect();
    let binary = dir.join("quickstart-static");
    run_ok(
        Command::new(cc())
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .args(pkg_config(prefix, &["--cflags"]))
            .arg(repo().join("examples-c").join("quickstart.c"))
            .arg("-o")
            .arg(&binary)
            .arg(&static_lib)
            .args(&libs),
    );
    let dynamic = run_ok(Command::new("readelf").arg("-d").arg(&binary));
    assert!(!dynamic.contains("libmetaldb"), "{}", dynamic);
    let output = run_ok(Command::new(&binary).arg(dir.join("quickstart-static.db")));
    assert!(output.trim_end().ends_with("done"), "{}", output);
}

#[test]
fn install_honours_destdir() {
    let dir = scratch_dir("install-destdir");
    make_install(&[
        format!("DESTDIR={}", dir.display()),
        "PREFIX=/opt/metaldb".to_owned(),
    ]);
    let root = dir.join("opt").join("metaldb");
    check_tree(&root);
    let pc = fs::read_to_string(root.join("lib/pkgconfig/metaldb.pc")).unwrap();
    // The staged file names the final prefix, not the staging directory.
    assert!(pc.contains("prefix=/opt/metaldb\n"), "{}", pc);
    assert!(pc.contains(&format!("Version: {}\n", VERSION)), "{}", pc);
    fs::remove_dir_all(&dir).expect("remove the installed tree");
}
