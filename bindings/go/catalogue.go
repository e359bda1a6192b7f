package metaldb

// #include "mdbgo.h"
import "C"

import "strings"

// CatalogueRecord describes one index of a database, as DB.Catalogue lists it.
type CatalogueRecord struct {
	// FullName is the key of the index's metadata: ['^'] name [0x00 group key].
	FullName []byte
	// Address is the index's name and, for a group member, its group key (nil outside any
	// group). For an index of a pending migration, Name is "namespace.name" as the
	// migration's Access opens it under that namespace.
	Address Address
	// Namespace is the part of Address.Name before its first '.', or "" if it has none; for
	// an index of a pending migration, the migration's namespace.
	Namespace string
	// InMigration tells whether the index belongs to a pending migration (its full name
	// starts with '^').
	InMigration bool
	// Type is the index type; IndexTombstone for an index a pending migration removes.
	Type IndexType
	// ID is the identifier that prefixes every stored key of the index.
	ID uint64
	// Len is the length of a list or sparse list, when HasLen.
	Len uint64
	// HasLen tells whether Len holds a length: for lists and sparse lists that were written.
	HasLen bool
	// SizeOnDisk estimates the bytes on disk of the index's data, flushed data only; 0 in a
	// temporary database.
	SizeOnDisk uint64
}

// Catalogue lists every index of the database, pending migrations included, in the order of
// their full names. It reads the database as it is now, like a snapshot; the records are
// copies that stay valid after the database is closed.
//
// It fails with ErrCorruption (naming the index) if an index's metadata does not decode, and
// with ErrStorage for an index of a type the library does not know.
func (db *DB) Catalogue() ([]CatalogueRecord, error) {
	const op = "DB.Catalogue"
	var c *C.mdb_catalogue
	err := call(db.h, op, func(p *C.mdb_db) C.mdbgo_result {
		return C.mdbgo_catalogue_new(p, &c)
	})
	if err != nil {
		return nil, err
	}
	// The catalogue holds its records itself: it needs no database and no finalizer, since
	// it is freed before Catalogue returns.
	defer C.mdb_catalogue_free(c)
	var records []CatalogueRecord
	for {
		var rec C.mdb_catalogue_record
		var found C.bool
		if err := C.mdbgo_catalogue_next(c, &rec, &found).err(op, nil); err != nil {
			return nil, err
		}
		if !bool(found) {
			return records, nil
		}
		records = append(records, catalogueRecord(&rec))
	}
}

// catalogueRecord copies a record whose bytes the catalogue lends.
func catalogueRecord(rec *C.mdb_catalogue_record) CatalogueRecord {
	name := C.GoStringN(rec.name, C.int(rec.name_len))
	r := CatalogueRecord{
		FullName:    append([]byte{}, borrowed(rec.full_name, rec.full_name_len)...),
		Address:     Address{Name: name},
		InMigration: bool(rec.in_migration),
		Type:        IndexType(rec.index_type),
		ID:          uint64(rec.identifier),
		Len:         uint64(rec.len),
		HasLen:      bool(rec.has_len),
		SizeOnDisk:  uint64(rec.size_on_disk),
	}
	if bool(rec.has_group_key) {
		r.Address.Group = append([]byte{}, borrowed(rec.group_key, rec.group_key_len)...)
	}
	if ns, _, found := strings.Cut(name, "."); found {
		r.Namespace = ns
	}
	return r
}
