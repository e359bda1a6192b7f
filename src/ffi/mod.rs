//! The C ABI: opaque handles over the engine, status codes and a thread-local message.
//!
//! # Conventions
//!
//! * Functions are `mdb_<object>_<verb>`; arguments go receiver, inputs, outputs; outputs start
//!   with `out_` and are written only when the call returns `MDB_OK`.
//! * Every exported function runs inside [`boundary`]: it clears the thread's message, catches
//!   panics (`MDB_ERR_PANIC`) and maps errors to one status each (`status.rs`).
//! * Pointers become references only in [`handle`]; every handle is a `Box` tagged with its
//!   kind, so a handle of the wrong kind is refused, not misread.
//! * A child keeps its parent alive. Forks, patches, snapshots and migration helpers are
//!   [`family`] parents: their children live behind the family's lock.
//! * One file per C object (`map.rs` holds `mdb_map` and every `mdb_map_*`). What the five
//!   index kinds share is written once in [`index`]: a new C function for an existing index
//!   kind goes in that kind's file, its body a call to `read_index` or `write_index`.
//!
//! This module holds every `#[no_mangle]` and raw C pointer of the crate, and all of its
//! `unsafe` but the RocksDB backend's calls into RocksDB's own C API; the lint allows that C
//! naming and raw pointers need are scoped to it.
#![allow(unsafe_code, non_camel_case_types, clippy::missing_safety_doc)]

mod boundary;
mod family;
#[cfg(test)]
mod fuzz_regressions;
mod handle;
mod index;
mod struct_size;
#[cfg(test)]
mod test_support;

pub mod abort_handle;
pub mod access;
pub mod bytes;
pub mod catalogue;
pub mod db;
pub mod entry;
pub mod fork;
pub mod iter;
pub mod key_set;
pub mod list;
pub mod map;
pub mod migration;
pub mod patch;
pub mod snapshot;
pub mod sparse_list;
pub mod status;
pub mod version;
// Last, so that its declaration closes the header.
#[cfg(feature = "fault-injection")]
pub mod fault_injection;
