package metaldb

// #include <stdlib.h>
// #include "mdbgo.h"
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Compression is the compression of the column families a database creates.
type Compression uint32

// The compressions of metaldb.h. Snappy is built in by default; the others need the library
// to be built with them (see Features).
const (
	CompressionNone   Compression = C.MDB_COMPRESSION_NONE
	CompressionSnappy Compression = C.MDB_COMPRESSION_SNAPPY
	CompressionLZ4    Compression = C.MDB_COMPRESSION_LZ4
	CompressionLZ4HC  Compression = C.MDB_COMPRESSION_LZ4HC
	CompressionZlib   Compression = C.MDB_COMPRESSION_ZLIB
	CompressionZstd   Compression = C.MDB_COMPRESSION_ZSTD
	CompressionBzip2  Compression = C.MDB_COMPRESSION_BZIP2
)

// Feature is a set of optional features built into the library.
type Feature uint32

// The features of metaldb.h.
const (
	FeatureSnappy Feature = C.MDB_FEATURE_SNAPPY
	FeatureLZ4    Feature = C.MDB_FEATURE_LZ4 // LZ4 and LZ4HC
	FeatureZlib   Feature = C.MDB_FEATURE_ZLIB
	FeatureZstd   Feature = C.MDB_FEATURE_ZSTD
	FeatureBzip2  Feature = C.MDB_FEATURE_BZIP2
)

// Features reports the optional features built into the linked library.
func Features() Feature { return Feature(C.mdb_features()) }

// Version is the version of the linked library, such as "1.0.0".
func Version() string { return C.GoString(C.mdb_version_str()) }

// HeaderVersion is the version of the metaldb.h this package was compiled with.
const HeaderVersion = C.METALDB_VERSION_STRING

// Options configure Open. The zero value, like a nil *Options, asks for the library's
// defaults: a zero field keeps the library's default.
type Options struct {
	// MustExist makes Open fail (ErrStorage) when the database does not exist, instead of
	// creating it.
	MustExist bool
	// Compression of the column families this process creates. Default: CompressionNone.
	Compression Compression
	// MaxOpenFiles limits the files RocksDB keeps open; 0 or negative means no limit.
	MaxOpenFiles int32
	// MaxTotalWALSize limits the write-ahead logs, in bytes; 0 lets RocksDB choose.
	MaxTotalWALSize uint64
	// MaxCacheSize is the size in bytes of a row cache; 0 means no cache.
	MaxCacheSize uint64
	// ReadOnly opens the database in RocksDB's read-only mode: no lock is taken, so it works
	// while another process has the database open for writing, and the DB sees the database
	// as it was when opened. Merge, MergeSync and Checkpoint fail with ErrStorage (a
	// checkpoint would leave out the writer's write-ahead log). The database must exist.
	ReadOnly bool
}

// cOptions fills the library's options: its defaults first (which also sets struct_size, so
// the library reads exactly the fields this package's header declares), then the fields set
// in o.
func (o *Options) cOptions(c *C.mdb_db_options) error {
	if err := C.mdbgo_db_options_init(c).err("Open", nil); err != nil {
		return err
	}
	if o.MustExist {
		c.create_if_missing = false
	}
	if o.Compression != 0 {
		c.compression = C.uint32_t(o.Compression)
	}
	if o.MaxOpenFiles != 0 {
		c.max_open_files = C.int32_t(o.MaxOpenFiles)
	}
	if o.MaxTotalWALSize != 0 {
		c.max_total_wal_size = C.uint64_t(o.MaxTotalWALSize)
	}
	if o.MaxCacheSize != 0 {
		c.max_cache_size = C.size_t(o.MaxCacheSize)
	}
	c.read_only = C.bool(o.ReadOnly)
	return nil
}

// DB is an open database. It is safe for concurrent use by many goroutines.
//
// Forks and snapshots keep the database open: after Close, the database closes once they are
// closed (or collected) too.
type DB struct {
	h *handle[C.mdb_db]
}

// Open opens the database in the directory path, creating it unless opts.MustExist or
// opts.ReadOnly. A nil opts means the defaults.
//
// Open fails with ErrLibraryVersion if the linked library does not match the header this
// package was compiled with; with ErrStorage if RocksDB cannot open the database (missing,
// locked by another process or handle, damaged); with ErrIncompatibleVersion, ErrCorruption or
// ErrNotADatabase for a directory it cannot use. It never writes to a database it refuses.
func Open(path string, opts *Options) (*DB, error) {
	const op = "Open"
	if err := checkLibraryVersion(op); err != nil {
		return nil, err
	}
	var copts C.mdb_db_options
	var popts *C.mdb_db_options // NULL: the defaults
	if opts != nil {
		if err := opts.cOptions(&copts); err != nil {
			return nil, err
		}
		popts = &copts
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var db *C.mdb_db
	if err := C.mdbgo_db_open(cpath, popts, &db).err(op, nil); err != nil {
		return nil, err
	}
	return &DB{h: newHandle(&dbKind, db, nil)}, nil
}

// OpenTemporary creates an empty database in memory, gone once it and its forks and
// snapshots are closed. For tests.
func OpenTemporary() (*DB, error) {
	const op = "OpenTemporary"
	if err := checkLibraryVersion(op); err != nil {
		return nil, err
	}
	var db *C.mdb_db
	if err := C.mdbgo_db_open_temporary(&db).err(op, nil); err != nil {
		return nil, err
	}
	return &DB{h: newHandle(&dbKind, db, nil)}, nil
}

var (
	libraryVersionOnce sync.Once
	libraryVersionErr  *Error
)

// checkLibraryVersion compares the linked library's version with the header's, once.
func checkLibraryVersion(op string) error {
	libraryVersionOnce.Do(func() {
		libraryVersionErr = compatibleVersions(uint32(C.METALDB_VERSION_NUMBER), uint32(C.mdb_version_number()))
	})
	if libraryVersionErr == nil {
		return nil
	}
	e := *libraryVersionErr
	e.Op = op
	return &e
}

// compatibleVersions tells whether a library of version number lib (MAJOR*1000000 +
// MINOR*1000 + PATCH) can serve code compiled against a header of version number header:
// the same major version, and at least the header's minor version, since 1.x only grows.
func compatibleVersions(header, lib uint32) *Error {
	if lib/1000000 == header/1000000 && lib/1000%1000 >= header/1000%1000 {
		return nil
	}
	return &Error{Code: CodeLibraryVersion, Message: fmt.Sprintf(
		"the linked libmetaldb is %s, this package was compiled with metaldb.h %s: the library needs the same major version and at least the header's minor version",
		versionString(lib), versionString(header))}
}

func versionString(n uint32) string {
	return fmt.Sprintf("%d.%d.%d", n/1000000, n/1000%1000, n%1000)
}

// Close closes the database handle. The database itself closes once its forks, snapshots and
// migration helpers are closed too. Closing twice, or concurrently with other calls, is
// safe; later calls fail with ErrClosed. Close always returns nil.
func (db *DB) Close() error {
	db.h.close(nil)
	return nil
}

// Snapshot takes an isolated, read-only view of the database as it is now: later merges do
// not show through it.
func (db *DB) Snapshot() (*Snapshot, error) {
	var out *C.mdb_snapshot
	err := call(db.h, "DB.Snapshot", func(p *C.mdb_db) C.mdbgo_result {
		return C.mdbgo_snapshot_new(p, &out)
	})
	if err != nil {
		return nil, err
	}
	return newSnapshot(out), nil
}

// Fork starts a fork of the database as it is now: a place to write changes, which reach the
// database through IntoPatch and Merge.
func (db *DB) Fork() (*Fork, error) {
	var out *C.mdb_fork
	err := call(db.h, "DB.Fork", func(p *C.mdb_db) C.mdbgo_result {
		return C.mdbgo_fork_new(p, &out)
	})
	if err != nil {
		return nil, err
	}
	return newFork(out), nil
}

// Merge applies a patch to the database atomically. The patch is consumed whatever the
// result: later calls on it fail with ErrStaleHandle, and Close is all it needs. On failure
// (ErrStorage; ErrConflict when the patch's fork created an index that a fork merged since
// created with another type), nothing of the patch was written.
//
// Forks may create indexes concurrently, from any goroutines: new indexes never share data,
// and an index that several forks created receives the writes of each.
func (db *DB) Merge(patch *Patch) error { return db.merge("DB.Merge", patch, false) }

// MergeSync is Merge that returns once the changes are durable on disk (fsync).
func (db *DB) MergeSync(patch *Patch) error { return db.merge("DB.MergeSync", patch, true) }

func (db *DB) merge(op string, patch *Patch, sync bool) error {
	d, err := db.h.acquire(op)
	if err != nil {
		return err
	}
	defer db.h.release()
	p, err := patch.h.acquire(op)
	if err != nil {
		return err
	}
	defer patch.h.release()
	var r C.mdbgo_result
	if sync {
		r = C.mdbgo_db_merge_sync(d, p)
	} else {
		r = C.mdbgo_db_merge(d, p)
	}
	// The library consumed the patch (a poisoned one can only be freed): free it.
	patch.h.close(&Error{Code: CodeStaleHandle, Message: "the patch was merged"})
	return r.err(op, nil)
}

// Checkpoint writes a complete, independent copy of the database to dir, which must not
// exist yet (its parent must), sharing unchanged files through hard links where possible.
// A temporary database has no checkpoints (ErrInvalidArgument).
func (db *DB) Checkpoint(dir string) error {
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	return call(db.h, "DB.Checkpoint", func(p *C.mdb_db) C.mdbgo_result {
		return C.mdbgo_db_checkpoint(p, cdir)
	})
}
