//! `mdb_snapshot`: an immutable, isolated view of a database.

use std::rc::Rc;

use super::{
    access::{as_access, mdb_access, new_family, AccessHandle},
    boundary::{ffi_boundary, ffi_boundary_infallible},
    db::mdb_db,
    family::Parent,
    handle::{free_handle, try_ref, Castable, HandleKind, Out},
    status::mdb_status,
};

/// A snapshot of a database, from `mdb_snapshot_new`. Indexes opened from it are read-only and
/// never see later merges. Any thread may use it; calls on one snapshot and its children are
/// serialised by a lock.
pub struct mdb_snapshot {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_snapshot` is the root access of a snapshot family.
impl Castable for mdb_snapshot {
    type RustType = AccessHandle;
    const KIND: HandleKind = HandleKind::Snapshot;
}

/// Takes a snapshot: an immutable, isolated view of the database now.
///
/// @param[in]  db            The database. Not NULL.
/// @param[out] out_snapshot  On `MDB_OK`, the new handle; free it with `mdb_snapshot_free`.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL.
///
/// Any thread may call this. Rust: `Database::snapshot`.
#[no_mangle]
pub unsafe extern "C" fn mdb_snapshot_new(
    db: *const mdb_db,
    out_snapshot: *mut *mut mdb_snapshot,
) -> mdb_status {
    ffi_boundary!({
        let db = unsafe { try_ref(db, "db")? };
        let out_snapshot = Out::new(out_snapshot, "out_snapshot")?;
        let snapshot = Rc::from(db.db.snapshot());
        out_snapshot.write(new_family(Parent::Snapshot(snapshot)));
        Ok(())
    })
}

/// Returns the snapshot as an access, to open indexes from. The access is borrowed: valid as
/// long as `snapshot`, and not to be freed. Returns NULL if `snapshot` is NULL.
#[no_mangle]
pub extern "C" fn mdb_snapshot_as_access(snapshot: *const mdb_snapshot) -> *const mdb_access {
    ffi_boundary_infallible!(std::ptr::null(), { as_access(snapshot) })
}

/// Frees a snapshot handle. Indexes opened from it keep working until they are freed too.
///
/// `snapshot` may be NULL (a no-op). Call exactly once per handle, from any thread.
#[no_mangle]
pub unsafe extern "C" fn mdb_snapshot_free(snapshot: *mut mdb_snapshot) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_snapshot_new`, freed once per the contract.
        unsafe { free_handle(snapshot, "snapshot") }
    })
}
