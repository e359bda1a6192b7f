//! A smoke run of the C ABI benchmark's C side (`benches/c_abi.c`): built as the C tests are
//! (C99, every warning an error) against the library of this test build, and run at a tiny
//! size, it must run every workload and find every result correct. Timings are not checked:
//! `make bench-c` measures them, in an optimized build.

mod c_support;

use std::process::Command;

use c_support::{cc, include_dir, lib_dir, repo, require_tool, run, run_ok, scratch_dir};

/// The workloads of `benches/c_abi.c`, in its order; `benches/c_abi.rs` runs the same ones
/// through the Rust API.
const WORKLOADS: [&str; 6] = [
    "map_insert_merge_sync",
    "map_random_reads",
    "map_iteration",
    "map_batch_iteration",
    "list_push_merge",
    "map_clear_merge",
];

#[test]
fn c_abi_benchmark_runs_every_workload_with_correct_results_at_a_tiny_size() {
    require_tool(&cc(), "build-essential");
    let dir = scratch_dir("c-abi-bench");
    let program = dir.join("c_abi");
    let lib = lib_dir();
    run_ok(
        Command::new(cc())
            .args([
                "-std=c99",
                "-g",
                "-O1",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
            ])
            .arg("-I")
            .arg(include_dir())
            .arg(repo().join("benches").join("c_abi.c"))
            .arg("-o")
            .arg(&program)
            .arg(format!("-L{}", lib.display()))
            .arg("-lmetaldb")
            .arg(format!("-Wl,-rpath,{}", lib.display())),
    );

    let items = 64;
    let databases = dir.join("databases");
    std::fs::create_dir(&databases).expect("create the databases' directory");
    let (output, report) = run(Command::new(&program)
        .arg(&databases)
        .arg(items.to_string()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut ran = Vec::new();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[..] {
            [workload, count, wall, cpu, "ok"] => {
                assert_eq!(count, items.to_string(), "wrong size in {:?}", line);
                for time in [wall, cpu] {
                    let seconds: f64 = time
                        .parse()
                        .unwrap_or_else(|_| panic!("no time in {:?}", line));
                    assert!(seconds >= 0.0, "negative time in {:?}", line);
                }
                ran.push(workload);
            }
            _ => panic!(
                "a workload failed or printed garbage: {:?}\n{}",
                line, report
            ),
        }
    }
    assert_eq!(ran, WORKLOADS, "not every workload ran:\n{}", report);
    assert!(output.status.success(), "{}", report);
}
