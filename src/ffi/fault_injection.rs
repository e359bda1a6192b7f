//! Fault injection for the C tests, built only with the cargo feature `fault-injection`, which
//! the shipped library never has.
//!
//! The C API promises what happens after an internal error: the call returns `MDB_ERR_PANIC`,
//! the family where it happened is poisoned (`MDB_ERR_POISONED`), everything else keeps
//! working, and every handle can still be freed. No correct input makes the library panic, so
//! only an injected panic lets a C test check that promise. The panic fires where a real bug
//! would do the most damage: in [`Family::lock`](super::family::Family::lock), while the
//! family's lock is held.

use std::cell::Cell;

use super::boundary::ffi_boundary_infallible;

thread_local! {
    /// Whether the next family lock taken on this thread panics.
    static PANIC_ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Panics, once, if `mdb_fault_injection_arm_panic` armed a panic on this thread. Called with
/// a family's lock held, so that the panic poisons the family.
pub(crate) fn panic_if_armed() {
    if PANIC_ARMED.with(|armed| armed.replace(false)) {
        panic!("panic injected by mdb_fault_injection_arm_panic");
    }
}

/// TEST ONLY, in libraries built with the cargo feature `fault-injection` (never in a shipped
/// library): makes the next call on this thread that locks a family of handles (a fork, a
/// patch, a snapshot or a migration helper, with the accesses, indexes and iterators opened
/// from it) panic while it holds the lock.
///
/// That call returns `MDB_ERR_PANIC` with a message, and poisons the family: later calls on
/// any handle of it return `MDB_ERR_POISONED`, while its handles can still be freed. Calls
/// that lock no family (`mdb_db_*` calls that take no fork, snapshot or patch, `_free`s)
/// leave the panic armed. Arming twice arms one panic.
///
/// Affects only the calling thread.
#[no_mangle]
pub extern "C" fn mdb_fault_injection_arm_panic() {
    ffi_boundary_infallible!((), { PANIC_ARMED.with(|armed| armed.set(true)) })
}
