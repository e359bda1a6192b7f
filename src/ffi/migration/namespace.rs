//! The operations on a migration's namespace through a fork or an access, outside a helper:
//! `mdb_migration_flush`, `mdb_migration_rollback` and `mdb_migration_create_tombstone`.

use std::ffi::c_char;

use super::{
    super::{
        access::{address, mdb_access},
        boundary::ffi_boundary,
        family::{Namespace, Parent},
        fork::mdb_fork,
        handle::try_ref,
        status::{mdb_status, FfiError, MDB_ERR_BORROWED, MDB_ERR_WRONG_TYPE},
    },
    namespace_arg,
};
use crate::{
    access::Access,
    migration::{check_migration_metadata, flush_migration, rollback_migration},
    Fork, IndexType,
};

/// Runs `finalize` on a fork for the migration in `namespace`, dropping the fork's children.
///
/// # Safety
///
/// `fork` must be NULL or a live handle; `namespace` as for [`namespace_arg`].
unsafe fn finalize(
    fork: *mut mdb_fork,
    namespace: *const c_char,
    namespace_len: usize,
    finalize: fn(&mut Fork, &str),
) -> Result<(), FfiError> {
    let handle = unsafe { try_ref(fork, "fork")? };
    let namespace = unsafe { namespace_arg(namespace, namespace_len)? };
    let mut state = handle.family.lock()?;
    // Before anything changes: `finalize` panics on corrupt metadata.
    if let Parent::Fork(fork) = &state.parent {
        check_migration_metadata(fork.readonly(), namespace)?;
    }
    // A checkpoint after the change: the engine leaves part of it in the fork's working changes
    // and part in its flushed patch, which a rollback would tear apart.
    state.with_fork(false, |fork| {
        finalize(fork, namespace);
        fork.flush();
    })
}

/// Flushes the migration in `namespace` into `fork`; the migration is complete once the fork
/// is merged: migrated indexes replace their old versions, indexes with tombstones are removed,
/// and the migration's scratchpad is cleared.
///
/// Flush on a fork created after the migration's last merge (`mdb_migration_helper_finish`):
/// an older fork misses that data, and flushing it would lose it.
///
/// Every index handle, access and iterator of the fork becomes stale; free them. The fork
/// itself stays usable. Like `mdb_fork_flush`, the call ends with a checkpoint: a later
/// `mdb_fork_rollback` returns to the state right after it.
///
/// @param[in] fork           The fork. Not NULL.
/// @param[in] namespace_     UTF-8 namespace of `namespace_len` bytes: non-empty,
///                           `[A-Za-z0-9_-]` only.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid namespace;
///   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata of an index of the migration, of an index it
///   replaces or of its scratchpad does not decode: then the fork and its children are left
///   as they were.
///
/// Rust: `flush_migration`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_flush(
    fork: *mut mdb_fork,
    namespace: *const c_char,
    namespace_len: usize,
) -> mdb_status {
    ffi_boundary!({ unsafe { finalize(fork, namespace, namespace_len, flush_migration) } })
}

/// Rolls back the migration in `namespace` in `fork`: once the fork is merged, the migrated
/// indexes and the scratchpad are gone and the old indexes stay as they are. Migration data
/// already merged stays behind in the database, unreachable.
///
/// Every index handle, access and iterator of the fork becomes stale; free them. The fork
/// itself stays usable. Like `mdb_fork_flush`, the call ends with a checkpoint: a later
/// `mdb_fork_rollback` returns to the state right after it.
///
/// Arguments and statuses as `mdb_migration_flush`. Rust: `rollback_migration`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_rollback(
    fork: *mut mdb_fork,
    namespace: *const c_char,
    namespace_len: usize,
) -> mdb_status {
    ffi_boundary!({ unsafe { finalize(fork, namespace, namespace_len, rollback_migration) } })
}

/// Marks the index at an address as removed by the migration: when the migration is flushed,
/// the old index there is deleted. Creating a tombstone twice is harmless, and a tombstone
/// needs no old index. No other index can be opened at the address in the migration after it.
///
/// @param[in] access    A writable migration access (`mdb_migration_helper_new_data`, or
///                      `mdb_access_migration` over a fork). Not NULL.
/// @param[in] name      UTF-8 index name of `name_len` bytes, relative to the namespace.
/// @param[in] key       Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                      outside any group; non-NULL with `key_len` 0: the group member
///                      whose key is empty.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid name, or an
///   access that is not a migration access; `MDB_ERR_READONLY` if the access cannot write (over
///   a snapshot, a patch or a read-only fork); `MDB_ERR_WRONG_TYPE` if the migration already
///   has another kind of index there; `MDB_ERR_BORROWED` if an index handle of the family is
///   open at the address; `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
///   `MDB_ERR_CORRUPTION` if the stored metadata there (or, to create the tombstone, the
///   identifier counter) does not decode.
///
/// Rust: `Migration::create_tombstone`.
#[no_mangle]
pub unsafe extern "C" fn mdb_migration_create_tombstone(
    access: *mut mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
) -> mdb_status {
    ffi_boundary!({
        let access = unsafe { try_ref(access, "access")? };
        let addr = unsafe { address(name, name_len, key, key_len)? };
        let state = access.family.lock()?;
        let spec = state.access_spec(access.access)?;
        if !matches!(spec.namespace, Namespace::Migration(_)) {
            return Err(FfiError::invalid_argument(
                "tombstones are created through a migration access \
                 (mdb_migration_helper_new_data or mdb_access_migration)",
            ));
        }
        let migration = state.build_access(&spec)?;
        if !migration.is_mutable() {
            return Err(FfiError::readonly("the migration access"));
        }
        // Checked first: the engine borrows the index before it compares types, which would
        // panic on a live handle of another type, and it panics on corrupt metadata.
        let (resolved, metadata) = state.checked_metadata(&spec, &addr)?;
        if metadata.is_none() {
            state.check_counter(&spec)?;
        }
        if let Some(metadata) = metadata {
            if metadata.index_type() != IndexType::Tombstone {
                return Err(FfiError::new(
                    MDB_ERR_WRONG_TYPE,
                    format_args!(
                        "the migration has a {:?} at {:?}, not a tombstone",
                        metadata.index_type(),
                        resolved.name()
                    ),
                ));
            }
        }
        // A read-only handle of a missing index there would end up on a tombstone.
        if state.has_index_at(&resolved) {
            return Err(FfiError::new(
                MDB_ERR_BORROWED,
                format_args!(
                    "index {:?} is open in this family; free its handles before the tombstone",
                    resolved.name()
                ),
            ));
        }
        migration.get_or_create_view(addr, IndexType::Tombstone)?;
        Ok(())
    })
}
