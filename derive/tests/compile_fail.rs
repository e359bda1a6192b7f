//! Misuses of the derives that the macros themselves reject, with the messages they give.
//!
//! These cases need no metaldb (the macros reject them before any of its items are named), so
//! they build without RocksDB. The cases whose errors come from type checking against metaldb
//! are in the root package's `tests/derive_compile_fail.rs`.

#[test]
fn misuses_of_the_derives_fail_to_compile_with_their_messages() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
