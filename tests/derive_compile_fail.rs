//! Misuses of the derives that type checking against metaldb rejects: field types that are no
//! components, schemas without a usable access parameter, values without serde. The cases
//! that the macros reject by themselves are in `derive/tests/ui` (built without metaldb).
//!
//! trybuild checks these in a target directory of its own (`$CARGO_TARGET_DIR/tests/trybuild`),
//! which builds metaldb again, and so RocksDB: the RocksDB of this test's own build is linked
//! into it instead of compiling RocksDB a second time (20+ minutes).

mod c_support;

use std::env;

#[test]
fn misuses_of_the_derives_against_metaldb_fail_to_compile_with_their_messages() {
    // trybuild's cargo inherits this process's environment, which nothing else reads: the
    // outer cargo (whose librocksdb-sys build would rerun on a change) has already run.
    for (variable, value) in c_support::rocksdb_of_this_build() {
        env::set_var(variable, value);
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/derive_ui/*.rs");
}
