//! A libFuzzer target over metaldb's C ABI: the input is a sequence of C calls, each run
//! through the exported `mdb_*` functions and checked against a model of the database.
//!
//! - [`abi`]: the C declarations, generated from `include/metaldb.h`.
//! - [`input`]: the decoded input: operations over small pools of handles, names and bytes.
//! - [`model`]: what the database should contain, and the naming rules of the header.
//! - [`harness`]: runs the operations, with the model's expectation for each call.
//! - [`stats`]: counts C calls, inputs and how many stayed exactly checked, for the run's report.

pub mod abi;
pub mod harness;
pub mod input;
pub mod model;
pub mod stats;

pub use harness::run;
pub use input::Input;
