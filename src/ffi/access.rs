//! `mdb_access`: where indexes are opened from: a fork, a read-only fork, a snapshot or a
//! patch, optionally inside a prefix, a migration namespace or a scratchpad.

use std::{ffi::c_char, sync::Arc};

use super::{
    boundary::{ffi_boundary, ffi_boundary_infallible},
    family::{
        AccessRef, AccessSpec, Child, ChildHandle, ChildId, Family, FamilyState, Namespace, Parent,
    },
    handle::{free_handle, into_handle, try_ref, try_slice, try_str, Castable, HandleKind, Out},
    status::{mdb_status, FfiError, MDB_ERR_STORAGE},
};
use crate::{IndexAddress, IndexType};

/// An access: opens indexes. Obtained from `mdb_fork_as_access`, `mdb_snapshot_as_access`,
/// `mdb_patch_as_access` (borrowed from their handle), or from `mdb_fork_readonly` and the
/// `mdb_access_prefixed` family of functions (owned; free with `mdb_access_free`).
///
/// Belongs to its parent's family: any thread may use it, one call at a time per family
/// (calls on one family are serialised by a lock).
pub struct mdb_access {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_access`, and behind the handles (`mdb_fork`, `mdb_snapshot`,
/// `mdb_patch`) that can be used as an access.
pub(crate) struct AccessHandle {
    pub(crate) family: Arc<Family>,
    pub(crate) access: AccessRef,
}

impl AccessHandle {
    /// The handle of a family's parent.
    pub(crate) fn root(family: Arc<Family>) -> Self {
        Self {
            family,
            access: AccessRef::Root,
        }
    }
}

/// Starts a family around `parent` and returns the parent's handle, of the C type `C`
/// (`mdb_fork`, `mdb_patch`, `mdb_snapshot`, `mdb_migration_helper`).
pub(crate) fn new_family<C: Castable<RustType = AccessHandle>>(parent: Parent) -> *mut C {
    into_handle(AccessHandle::root(Family::new(parent)))
}

impl Drop for AccessHandle {
    fn drop(&mut self) {
        if let AccessRef::Child(id) = self.access {
            self.family.remove_child(id);
        }
    }
}

impl Castable for mdb_access {
    type RustType = AccessHandle;
    const KIND: HandleKind = HandleKind::Access;

    fn accepts(kind: HandleKind) -> bool {
        matches!(
            kind,
            HandleKind::Access | HandleKind::Fork | HandleKind::Snapshot | HandleKind::Patch
        )
    }
}

/// Views a parent handle (fork, snapshot, patch) as the access it also is.
pub(crate) fn as_access<C: Castable<RustType = AccessHandle>>(
    handle: *const C,
) -> *const mdb_access {
    handle.cast()
}

// Index type codes, as stored in index metadata.

/// A map (`mdb_map`).
pub const MDB_INDEX_MAP: u32 = 1;
/// A list (`mdb_list`).
pub const MDB_INDEX_LIST: u32 = 2;
/// An entry (`mdb_entry`).
pub const MDB_INDEX_ENTRY: u32 = 3;
/// A key set (`mdb_key_set`).
pub const MDB_INDEX_KEY_SET: u32 = 5;
/// A sparse list (`mdb_sparse_list`).
pub const MDB_INDEX_SPARSE_LIST: u32 = 6;
/// A tombstone: an index removed by a migration.
pub const MDB_INDEX_TOMBSTONE: u32 = 254;

/// The `MDB_INDEX_*` code of an index type.
pub(crate) fn index_type_code(index_type: IndexType, addr: &IndexAddress) -> Result<u32, FfiError> {
    Ok(match index_type {
        IndexType::Map => MDB_INDEX_MAP,
        IndexType::List => MDB_INDEX_LIST,
        IndexType::Entry => MDB_INDEX_ENTRY,
        IndexType::KeySet => MDB_INDEX_KEY_SET,
        IndexType::SparseList => MDB_INDEX_SPARSE_LIST,
        IndexType::Tombstone => MDB_INDEX_TOMBSTONE,
        IndexType::Unknown => {
            return Err(FfiError::new(
                MDB_ERR_STORAGE,
                format_args!(
                    "the index {:?} has an index type this version does not know",
                    addr.name()
                ),
            ))
        }
    })
}

/// Borrows an index name argument. A namespaced access would turn the empty name into the
/// namespace itself, so it is refused here, as for plain accesses.
///
/// # Safety
///
/// As [`try_str`].
pub(crate) unsafe fn index_name<'a>(name: *const c_char, len: usize) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    let name = unsafe { try_str(name, len, "name")? };
    if name.is_empty() {
        return Err(FfiError::invalid_argument(
            "the index name must not be empty",
        ));
    }
    Ok(name)
}

/// Parses an index address given as a UTF-8 name and optional group-key bytes.
///
/// # Safety
///
/// As [`try_str`] and [`try_slice`].
pub(crate) unsafe fn address(
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
) -> Result<IndexAddress, FfiError> {
    let name = unsafe { index_name(name, name_len)? };
    let addr = IndexAddress::from_root(name);
    if key.is_null() && key_len == 0 {
        return Ok(addr);
    }
    let key = unsafe { try_slice(key, key_len, "key")? };
    Ok(addr.append_key(key))
}

impl AccessHandle {
    /// A handle of the child `id` of this access's family.
    pub(crate) fn child(&self, id: ChildId) -> ChildHandle {
        ChildHandle {
            family: Arc::clone(&self.family),
            id,
        }
    }

    /// Adds an access child to the family, as `spec` describes it from the family's state, and
    /// returns its handle.
    pub(crate) fn add_access(
        &self,
        spec: impl FnOnce(&FamilyState) -> Result<AccessSpec, FfiError>,
    ) -> Result<*mut mdb_access, FfiError> {
        let mut state = self.family.lock()?;
        let spec = spec(&state)?;
        let id = state.add_child(Child::Access(spec));
        Ok(into_handle(Self {
            family: Arc::clone(&self.family),
            access: AccessRef::Child(id),
        }))
    }
}

/// Opens a namespaced access: the shared body of `mdb_access_prefixed` and the like.
unsafe fn namespaced(
    access: *const mdb_access,
    namespace: *const c_char,
    namespace_len: usize,
    out_access: *mut *mut mdb_access,
    wrap: fn(String) -> Namespace,
) -> Result<(), FfiError> {
    // The C parameter's name, for the messages.
    let parameter = match wrap(String::new()) {
        Namespace::Prefixed(_) => "prefix",
        _ => "namespace",
    };
    let access = unsafe { try_ref(access, "access")? };
    let namespace = unsafe { try_str(namespace, namespace_len, parameter)? };
    let out_access = Out::new(out_access, "out_access")?;
    out_access.write(access.add_access(|state| {
        let namespace = wrap(namespace.to_owned());
        state.access_spec(access.access)?.with_namespace(namespace)
    })?);
    Ok(())
}

/// Returns an access whose indexes live under `prefix.`: name `x` opens `prefix.x`.
///
/// @param[in]  access      The access to wrap; not itself namespaced. Not NULL.
/// @param[in]  prefix      UTF-8 prefix of `prefix_len` bytes: non-empty, `[A-Za-z0-9_-]` only.
/// @param[out] out_access  On `MDB_OK`, the new access; free it with `mdb_access_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid prefix, or a
///   namespaced `access`; `MDB_ERR_STALE_HANDLE` if the parent was consumed;
///   `MDB_ERR_POISONED` after a panic in the family.
///
/// Rust: `Prefixed::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_prefixed(
    access: *const mdb_access,
    prefix: *const c_char,
    prefix_len: usize,
    out_access: *mut *mut mdb_access,
) -> mdb_status {
    ffi_boundary!({
        unsafe { namespaced(access, prefix, prefix_len, out_access, Namespace::Prefixed) }
    })
}

/// Returns the access to the migrated indexes of the migration in `namespace`: name `x` opens
/// the new version of `namespace.x`, which replaces the old one when the migration is flushed
/// (`mdb_migration_flush`).
///
/// Arguments, statuses and ownership as `mdb_access_prefixed`. Rust: `Migration::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_migration(
    access: *const mdb_access,
    namespace: *const c_char,
    namespace_len: usize,
    out_access: *mut *mut mdb_access,
) -> mdb_status {
    ffi_boundary!({
        unsafe {
            namespaced(
                access,
                namespace,
                namespace_len,
                out_access,
                Namespace::Migration,
            )
        }
    })
}

/// Returns the scratchpad of the migration in `namespace`: temporary indexes, removed when the
/// migration is flushed or rolled back.
///
/// Arguments, statuses and ownership as `mdb_access_prefixed`. Rust: `Scratchpad::new`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_scratchpad(
    access: *const mdb_access,
    namespace: *const c_char,
    namespace_len: usize,
    out_access: *mut *mut mdb_access,
) -> mdb_status {
    ffi_boundary!({
        unsafe {
            namespaced(
                access,
                namespace,
                namespace_len,
                out_access,
                Namespace::Scratchpad,
            )
        }
    })
}

/// Looks up the type of the index at an address, without creating anything.
///
/// @param[in]  access     The access. Not NULL.
/// @param[in]  name       UTF-8 index name of `name_len` bytes.
/// @param[in]  key        Group key of `key_len` bytes. NULL with `key_len` 0: the index
///                        outside any group; non-NULL with `key_len` 0: the group member
///                        whose key is empty.
/// @param[out] out_type   On `MDB_OK` with `*out_found`, one of `MDB_INDEX_*`.
/// @param[out] out_found  On `MDB_OK`, whether an index exists there.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid name;
///   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`; `MDB_ERR_CORRUPTION` if the stored metadata
///   of the index does not decode; `MDB_ERR_STORAGE` if the index has a type this version does
///   not know (written by a newer version).
///
/// Rust: `AccessExt::index_type`.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_index_type(
    access: *const mdb_access,
    name: *const c_char,
    name_len: usize,
    key: *const u8,
    key_len: usize,
    out_type: *mut u32,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        let access = unsafe { try_ref(access, "access")? };
        let addr = unsafe { address(name, name_len, key, key_len)? };
        let out_type = Out::new(out_type, "out_type")?;
        let out_found = Out::new(out_found, "out_found")?;
        let state = access.family.lock()?;
        let spec = state.access_spec(access.access)?;
        let (_, metadata) = state.checked_metadata(&spec, &addr)?;
        if let Some(metadata) = &metadata {
            out_type.write(index_type_code(metadata.index_type(), &addr)?);
        }
        out_found.write(metadata.is_some());
        Ok(())
    })
}

/// Frees an access returned by `mdb_fork_readonly` or the `mdb_access_prefixed` family. The
/// borrowed accesses of `mdb_*_as_access` must not be freed (this leaves them alone).
///
/// `access` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
/// relative to other handles.
#[no_mangle]
pub unsafe extern "C" fn mdb_access_free(access: *mut mdb_access) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or an owned access handle, freed once per the contract.
        unsafe { free_handle(access, "access") }
    })
}
