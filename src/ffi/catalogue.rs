//! `mdb_catalogue`: an iterator over every index of a database.

use std::{ffi::c_char, ptr::NonNull};

use super::{
    access::index_type_code,
    boundary::{ffi_boundary, ffi_boundary_infallible},
    db::mdb_db,
    handle::{free_handle, into_handle, try_mut, try_ref, Castable, HandleKind, Out},
    status::{mdb_status, FfiError},
    struct_size::{read_size, size_ending_at, write_prefix, GrowingStruct},
};
use crate::{
    catalogue::{Catalogue, CatalogueRecord},
    IndexAddress,
};

/// The catalogue of a database, read once when made: every index with its name, group key,
/// type, identifier and sizes, in the order of their fully qualified names. Not thread-safe:
/// any thread may use it, one call at a time.
pub struct mdb_catalogue {
    _private: [u8; 0],
}

/// The Rust value behind `mdb_catalogue`: the records, and the one the caller is reading.
pub(crate) struct CatalogueHandle {
    records: std::vec::IntoIter<CatalogueRecord>,
    /// The record whose bytes the last `mdb_catalogue_next` lent.
    current: Option<CatalogueRecord>,
}

impl Castable for mdb_catalogue {
    type RustType = CatalogueHandle;
    const KIND: HandleKind = HandleKind::Catalogue;
}

/// One index of a catalogue, filled by `mdb_catalogue_next`. The byte fields are borrowed from
/// the catalogue: they stay valid until the next `mdb_catalogue_next` or `mdb_catalogue_free`
/// on it.
///
/// The caller allocates the record and sets `struct_size` to `sizeof(mdb_catalogue_record)`
/// before the first `mdb_catalogue_next`, which reads it and leaves it unchanged. The struct
/// grows in 1.x by the `struct_size` convention: a release only appends fields, at or after
/// the previous release's size, and gives each a zero value meaning "not reported" (as
/// `has_len` false does). The library writes the fields that fit in `struct_size` and zeroes
/// the bytes past the fields it knows, so a program built against an older header gets the
/// fields it declares, and one built against a newer header, run with an older library, reads
/// zero (not reported) in the fields that library does not know.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mdb_catalogue_record {
    /// The size of the struct as the caller's header declares it: set it to
    /// `sizeof(mdb_catalogue_record)`. `mdb_catalogue_next` does not change it.
    pub struct_size: usize,
    /// The fully qualified name, `['^'] name [0x00 group-key]`: the key of the index's
    /// metadata (docs/format.md, "Addresses").
    pub full_name: *const u8,
    /// Length of `full_name` in bytes.
    pub full_name_len: usize,
    /// The index name, UTF-8, not NUL-terminated, without the migration marker and group key.
    /// Its namespace is the part before the first `.`.
    pub name: *const c_char,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// The group key bytes of a group member; NULL when `has_group_key` is false (and possibly
    /// when the key is empty).
    pub group_key: *const u8,
    /// Length of `group_key` in bytes.
    pub group_key_len: usize,
    /// Whether the index is a member of a group (its key may be empty).
    pub has_group_key: bool,
    /// Whether the index belongs to a pending migration (its full name starts with `^`).
    pub in_migration: bool,
    /// Whether `len` holds the length of a list or sparse list.
    pub has_len: bool,
    /// The index type, one of `MDB_INDEX_*`; `MDB_INDEX_TOMBSTONE` for an index a pending
    /// migration removes.
    pub index_type: u32,
    /// The identifier that prefixes every stored key of the index.
    pub identifier: u64,
    /// The length of a list or sparse list, when `has_len`; 0 otherwise.
    pub len: u64,
    /// Estimated bytes on disk of the index's data (flushed data only); 0 for a temporary
    /// database.
    pub size_on_disk: u64,
}

// SAFETY: `#[repr(C)]` with `struct_size` first; no field appended yet.
unsafe impl GrowingStruct for mdb_catalogue_record {
    const NAME: &'static str = "mdb_catalogue_record";
    const FIRST_RELEASE: &'static str = "1.1";
    const SIZE_FIRST: usize =
        size_ending_at::<Self>(std::mem::offset_of!(Self, size_on_disk) + size_of::<u64>());
    const HOW_TO_SET: &'static str =
        "set it to sizeof(mdb_catalogue_record) before calling mdb_catalogue_next";
}

/// Reads the catalogue of a database: every index its pool records, pending migrations
/// included.
///
/// @param[in]  db             The database. Not NULL.
/// @param[out] out_catalogue  On `MDB_OK`, the new handle; free it with `mdb_catalogue_free`.
///                            It does not keep `db` open and sees no later merge.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
///   `MDB_ERR_CORRUPTION` if a metadata record or the identifier counter does not decode
///   (the message names the index); `MDB_ERR_STORAGE` for an index type this version does
///   not know (reported by `mdb_catalogue_next` on its record).
///
/// Blocks on I/O. Any thread may call this. Rust: `metaldb::catalogue::Catalogue::read`.
#[no_mangle]
pub unsafe extern "C" fn mdb_catalogue_new(
    db: *const mdb_db,
    out_catalogue: *mut *mut mdb_catalogue,
) -> mdb_status {
    ffi_boundary!({
        let db = unsafe { try_ref(db, "db")? };
        let out_catalogue = Out::new(out_catalogue, "out_catalogue")?;
        let catalogue = match &db.rocksdb {
            Some(rocksdb) => Catalogue::read(rocksdb)?,
            None => Catalogue::from_snapshot(&*db.db.snapshot())?,
        };
        out_catalogue.write(into_handle(CatalogueHandle {
            records: catalogue.into_iter(),
            current: None,
        }));
        Ok(())
    })
}

/// Moves to the next index of the catalogue.
///
/// @param[in]     catalogue  The catalogue. Not NULL.
/// @param[in,out] record     A record whose `struct_size` the caller set to
///                           `sizeof(mdb_catalogue_record)`; on `MDB_OK` with `*out_found`
///                           true, filled with the index (`struct_size` unchanged); its
///                           bytes are borrowed until the next call on `catalogue` or its
///                           free. Not NULL.
/// @param[out]    out_found  On `MDB_OK`, false once every index was returned (then
///                           `record` is not written). Not NULL.
/// @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL or
///   `record->struct_size` is below the 1.1 size of the record or above 4096 (it was not
///   set; the catalogue does not move then); `MDB_ERR_STORAGE` if the index has a type this
///   version does not know (the iteration goes on at the next call).
///
/// One call at a time per catalogue. Rust: iterating `Catalogue::records`.
#[no_mangle]
pub unsafe extern "C" fn mdb_catalogue_next(
    catalogue: *mut mdb_catalogue,
    record: *mut mdb_catalogue_record,
    out_found: *mut bool,
) -> mdb_status {
    ffi_boundary!({
        // SAFETY: NULL or a live catalogue, used by one call at a time per the contract.
        let catalogue = unsafe { try_mut(catalogue, "catalogue")? };
        let out_record = NonNull::new(record).ok_or_else(|| FfiError::null("record"))?;
        let out_found = Out::new(out_found, "out_found")?;
        // SAFETY: non-NULL, and the caller promised a record starting with `struct_size`.
        let size = unsafe { read_size(out_record)? };
        catalogue.current = catalogue.records.next();
        let Some(record) = &catalogue.current else {
            out_found.write(false);
            return Ok(());
        };
        let index_type = index_type_code(
            record.index_type,
            &IndexAddress::from_root(record.name.as_str()),
        )?;
        let group_key = record.group_key.as_deref();
        let filled = mdb_catalogue_record {
            struct_size: size,
            full_name: record.full_name.as_ptr(),
            full_name_len: record.full_name.len(),
            name: record.name.as_ptr().cast(),
            name_len: record.name.len(),
            group_key: group_key.map_or(std::ptr::null(), <[u8]>::as_ptr),
            group_key_len: group_key.map_or(0, <[u8]>::len),
            has_group_key: group_key.is_some(),
            in_migration: record.in_migration,
            has_len: record.len.is_some(),
            index_type,
            identifier: record.identifier,
            len: record.len.unwrap_or(0),
            size_on_disk: record.size_on_disk.unwrap_or(0),
        };
        // SAFETY: the caller promised `size` writable bytes, checked to be at least the 1.1
        // size.
        unsafe { write_prefix(out_record, size, filled) };
        out_found.write(true);
        Ok(())
    })
}

/// Frees a catalogue; the bytes it lent become invalid.
///
/// `catalogue` may be NULL (a no-op). Call exactly once per handle, from any thread.
#[no_mangle]
pub unsafe extern "C" fn mdb_catalogue_free(catalogue: *mut mdb_catalogue) {
    ffi_boundary_infallible!((), {
        // SAFETY: NULL or a live handle from `mdb_catalogue_new`, freed once per the contract.
        unsafe { free_handle(catalogue, "catalogue") }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::{
        access::CopyAccessExt,
        ffi::{
            access::{MDB_INDEX_LIST, MDB_INDEX_MAP, MDB_INDEX_SPARSE_LIST},
            db::{mdb_db_free, mdb_db_open_temporary},
            status::{with_last_error, MDB_ERR_INVALID_ARGUMENT, MDB_OK},
            struct_size::SIZE_MAX,
        },
    };

    /// A zeroed record whose `struct_size` is `size`.
    fn empty_record(size: usize) -> mdb_catalogue_record {
        // SAFETY: every field of the record is valid zeroed (NULL pointers, zeros, false).
        let mut record: mdb_catalogue_record = unsafe { std::mem::zeroed() };
        record.struct_size = size;
        record
    }

    /// A temporary database holding the one map `m`, and its catalogue.
    fn one_map_catalogue() -> (*mut mdb_db, *mut mdb_catalogue) {
        let mut db = ptr::null_mut();
        assert_eq!(unsafe { mdb_db_open_temporary(&mut db) }, MDB_OK);
        let handle = unsafe { try_ref(db, "db") }.unwrap();
        let fork = handle.db.fork();
        fork.get_map("m").put(&1_u8, 2_u8);
        handle.db.merge(fork.into_patch()).unwrap();
        let mut catalogue = ptr::null_mut();
        assert_eq!(unsafe { mdb_catalogue_new(db, &mut catalogue) }, MDB_OK);
        (db, catalogue)
    }

    /// The records of `db`'s catalogue as (full name, name, group key, type, len).
    type Row = (Vec<u8>, String, Option<Vec<u8>>, u32, Option<u64>);

    unsafe fn rows(db: *const mdb_db) -> Vec<Row> {
        let mut catalogue = ptr::null_mut();
        assert_eq!(unsafe { mdb_catalogue_new(db, &mut catalogue) }, MDB_OK);
        let mut rows = Vec::new();
        loop {
            let mut record = empty_record(mdb_catalogue_record::SIZE_KNOWN);
            let mut found = false;
            let status = unsafe { mdb_catalogue_next(catalogue, &mut record, &mut found) };
            assert_eq!(status, MDB_OK);
            if !found {
                break;
            }
            let bytes = |data: *const u8, len: usize| unsafe {
                std::slice::from_raw_parts(data, len).to_vec()
            };
            rows.push((
                bytes(record.full_name, record.full_name_len),
                String::from_utf8(bytes(record.name.cast(), record.name_len)).unwrap(),
                record
                    .has_group_key
                    .then(|| bytes(record.group_key, record.group_key_len)),
                record.index_type,
                record.has_len.then_some(record.len),
            ));
        }
        unsafe { mdb_catalogue_free(catalogue) };
        rows
    }

    #[test]
    fn catalogue_lists_every_index_with_its_group_key_type_and_length() {
        let mut db = ptr::null_mut();
        assert_eq!(unsafe { mdb_db_open_temporary(&mut db) }, MDB_OK);
        let handle = unsafe { crate::ffi::handle::try_ref(db, "db") }.unwrap();
        let fork = handle.db.fork();
        fork.get_list("a.list").extend(vec![1_u8, 2, 3]);
        fork.get_map(("group", &[0xFF_u8, 0][..])).put(&1_u8, 2_u8);
        fork.get_sparse_list("sparse").set(9, 1_u8);
        handle.db.merge(fork.into_patch()).unwrap();

        let row = |full: &[u8], name: &str, key: Option<&[u8]>, index_type, len| {
            (
                full.to_vec(),
                name.to_owned(),
                key.map(<[u8]>::to_vec),
                index_type,
                len,
            )
        };
        assert_eq!(
            unsafe { rows(db) },
            [
                row(b"a.list", "a.list", None, MDB_INDEX_LIST, Some(3)),
                row(
                    b"group\0\xFF\0",
                    "group",
                    Some(&[0xFF, 0]),
                    MDB_INDEX_MAP,
                    None
                ),
                row(b"sparse", "sparse", None, MDB_INDEX_SPARSE_LIST, Some(1)),
            ]
        );
        unsafe { mdb_db_free(db) };
    }

    #[test]
    fn next_refuses_a_record_whose_struct_size_was_not_set_and_does_not_move() {
        let (db, catalogue) = one_map_catalogue();
        let mut found = false;
        for size in [0, mdb_catalogue_record::SIZE_FIRST - 1, SIZE_MAX + 1] {
            let mut record = empty_record(size);
            let status = unsafe { mdb_catalogue_next(catalogue, &mut record, &mut found) };
            assert_eq!(status, MDB_ERR_INVALID_ARGUMENT, "struct_size {}", size);
            let message = with_last_error(|message| message.to_string_lossy().into_owned());
            assert!(message.contains("struct_size"), "{}", message);
            assert!(record.full_name.is_null(), "written on failure");
        }
        // The refused calls did not consume the catalogue's one record.
        let mut record = empty_record(mdb_catalogue_record::SIZE_KNOWN);
        assert_eq!(
            unsafe { mdb_catalogue_next(catalogue, &mut record, &mut found) },
            MDB_OK
        );
        assert!(found);
        assert_eq!(record.name_len, 1);
        unsafe { mdb_catalogue_free(catalogue) };
        unsafe { mdb_db_free(db) };
    }

    /// A record as a newer header declares it: this library's fields and one appended.
    #[repr(C)]
    struct NewerRecord {
        known: mdb_catalogue_record,
        appended: u64,
    }

    #[test]
    fn next_zeroes_the_fields_of_a_newer_header_and_keeps_struct_size() {
        let (db, catalogue) = one_map_catalogue();
        let mut newer = NewerRecord {
            known: empty_record(size_of::<NewerRecord>()),
            appended: u64::MAX,
        };
        let mut found = false;
        let status =
            unsafe { mdb_catalogue_next(catalogue, ptr::from_mut(&mut newer).cast(), &mut found) };
        assert_eq!(status, MDB_OK);
        assert!(found);
        assert_eq!(newer.known.struct_size, size_of::<NewerRecord>());
        assert_eq!(newer.known.index_type, MDB_INDEX_MAP);
        assert_eq!(
            newer.appended, 0,
            "a field this library does not know reads as zero"
        );
        unsafe { mdb_catalogue_free(catalogue) };
        unsafe { mdb_db_free(db) };
    }
}
