//! Runs the migration examples (`examples/migration_*.rs`) as tests, so that they keep
//! working: each example asserts its own results. The benchmark runs at a small size.

#[path = "../examples/migration_iter_loop.rs"]
mod migration_iter_loop;

#[path = "../examples/migration_manual.rs"]
mod migration_manual;

#[path = "../examples/migration_helper.rs"]
mod migration_helper;

// `main` parses the command line, which belongs to the test harness here.
#[allow(dead_code)]
#[path = "../examples/migration_bench.rs"]
mod migration_bench;

#[test]
fn iter_loop_example_migrates_every_wallet() {
    migration_iter_loop::main();
}

#[test]
fn manual_example_flushes_and_rolls_back() {
    migration_manual::main();
}

#[test]
fn helper_example_aborts_resumes_and_flushes() {
    migration_helper::main();
}

#[test]
fn bench_example_migrates_and_copies_a_small_database() {
    for mode in [
        migration_bench::Mode::Both,
        migration_bench::Mode::Migrate,
        migration_bench::Mode::Copy,
    ] {
        let figures = migration_bench::run(2_500, 100, mode);
        assert_eq!(figures.entries, 2_500);
        assert_eq!(
            figures.migrate.is_some(),
            mode != migration_bench::Mode::Copy
        );
        assert_eq!(
            figures.copy.is_some(),
            mode != migration_bench::Mode::Migrate
        );
    }
}
