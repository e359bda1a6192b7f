//! The `c_abi` fuzz target: every input is a sequence of C calls checked against a model
//! (see `metaldb_fuzz`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use metaldb_fuzz::{run, Input};

fuzz_target!(|input: Input| run(input));
