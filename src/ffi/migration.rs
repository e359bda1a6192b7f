//! `mdb_migration_helper`, `mdb_persistent_iters` and the other `mdb_migration_*` and
//! `mdb_persistent_iter*` functions: migrations from C, one file per C object they serve.
//!
//! - [`helper`]: `mdb_migration_helper`, its views, merges and `iter_loop`. A helper is a
//!   family parent (`Parent::Helper`) like a fork: its views (new data, old data, scratchpad)
//!   are access children, and the indexes and iterators opened from them are children too, all
//!   behind the family's lock. A merge drops every child first, so that the helper's fork is
//!   unique again; a failed or aborted merge leaves a failed helper (`Parent::FailedHelper`),
//!   on which every call but the frees is stale.
//! - [`persistent_iter`]: `mdb_persistent_iters` (one round of the loop) and the
//!   `mdb_persistent_iter_new_*` constructors. A persistent iterator is an ordinary iterator
//!   child whose `position` is a hidden entry child holding the encoded `IteratorPosition`;
//!   `iter.rs` saves the position at every step. The entry lives in the access given at
//!   creation (the scratchpad, inside the loop), so it must belong to the same family as the
//!   iterated index.
//! - [`namespace`]: the operations on a migration's namespace through a fork or an access:
//!   flush, rollback, tombstones.
//!
//! The opaque types are declared here, before the functions, as the header lists them.

use std::{
    collections::HashSet,
    ffi::{c_char, c_void},
    sync::{Arc, Mutex},
};

use super::{
    access::AccessHandle,
    family::{ChildId, Family},
    handle::{try_str, Castable, HandleKind},
    status::{mdb_status, FfiError},
};
use crate::validation::check_valid_name_component;

// In this order, which is the order of their functions in the header (cbindgen follows it).
pub mod helper;
pub mod persistent_iter;

pub mod namespace;

/// A migration helper: runs the migration of one namespace in steps, each merged into the
/// database, through its own fork. Its views (`mdb_migration_helper_new_data`, `_old_data`,
/// `_scratchpad`) open the migrated indexes, the old ones and temporary ones.
///
/// The helper never flushes its migration: once it is finished, call `mdb_migration_flush`
/// on a fresh fork (or `mdb_migration_rollback` to drop it) and merge that fork.
///
/// A helper, its views and the indexes and iterators opened from them form one family: any
/// thread may use them, and calls on one family are serialised by a lock.
pub struct mdb_migration_helper {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_migration_helper` is the root of a helper family. The root is not
/// an access (no function lends it as one): C reaches the helper's fork through its views.
impl Castable for mdb_migration_helper {
    type RustType = AccessHandle;
    const KIND: HandleKind = HandleKind::MigrationHelper;
}

/// The persistent iterators of one round of `mdb_migration_helper_iter_loop`, lent to the step
/// callback: valid until the callback returns, never freed by the caller. The loop ends once
/// every iterator created through it in a round has reached its end.
///
/// Belongs to its helper's family (any thread, one call at a time per family).
pub struct mdb_persistent_iters {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_persistent_iters`.
pub(crate) struct PersistentItersState {
    family: Arc<Family>,
    /// The round's access child to the helper's scratchpad, where positions are kept.
    scratchpad: ChildId,
    /// The names of the iterators created in this round: the step may run on any thread.
    names: Mutex<HashSet<String>>,
}

impl Castable for mdb_persistent_iters {
    type RustType = PersistentItersState;
    const KIND: HandleKind = HandleKind::PersistentIters;
}

/// The step of `mdb_migration_helper_iter_loop`, called once per round with the helper, the
/// round's persistent iterators and the loop's `user_data`. It may call any function on the
/// helper's family except `mdb_migration_helper_merge`, `_finish` and `_free` on `helper`.
/// Returning anything but `MDB_OK` stops the loop, which returns that status.
pub type mdb_migration_step = Option<
    unsafe extern "C" fn(
        helper: *mut mdb_migration_helper,
        iters: *mut mdb_persistent_iters,
        user_data: *mut c_void,
    ) -> mdb_status,
>;

/// Borrows a namespace argument, checked as the engine would check it (it panics otherwise).
///
/// # Safety
///
/// As [`try_str`].
unsafe fn namespace_arg<'a>(namespace: *const c_char, len: usize) -> Result<&'a str, FfiError> {
    let namespace = unsafe { try_str(namespace, len, "namespace")? };
    check_valid_name_component(namespace).map_err(|kind| {
        FfiError::invalid_argument(format_args!("invalid namespace {:?}: {}", namespace, kind))
    })?;
    Ok(namespace)
}

#[cfg(test)]
mod tests;
