// Package metaldb is the Go binding of metaldb, an embedded structured store on RocksDB,
// over its C library (libmetaldb and metaldb.h, linked through cgo and pkg-config).
//
// # Databases, forks, patches and snapshots
//
// Open (or OpenTemporary, in memory) gives a *DB. Writes go into a Fork, in memory, and reach
// the database in one atomic merge: Fork.IntoPatch turns the fork into a *Patch, and
// DB.Merge applies it. A Snapshot is an isolated, read-only view that never sees later
// merges.
//
// # Indexes
//
// An index is addressed by an Address: a name, and optionally the key of a group member
// (Group nil is the index outside any group; a non-nil empty Group is the member whose key is
// empty). Forks, snapshots, patches and the *Access views open indexes by type: Map (byte keys
// to byte values), List, SparseList, Entry (one optional value) and KeySet. An index is created
// on first use through a writable view; through a read-only one a missing index reads as
// empty. Lookups return (value, found, err): an absent value is found == false, never an
// error. Iterators follow database/sql's Rows: for it.Next() { it.Key(); it.Value() }, then
// it.Err().
//
// DB.Catalogue lists every index of a database with its address, type, identifier, length
// and size on disk, pending migrations included.
//
// # Migrations
//
// NewMigration starts a *MigrationHelper for a namespace, with an *AbortHandle that aborts it
// from any goroutine. MigrationHelper.IterLoop moves data in rounds through persistent
// iterators whose positions survive aborts and crashes; Fork.FlushMigration swaps the new data
// in atomically.
//
// # Errors
//
// Every failure is a *Error carrying the status Code, the Op, the library's Message and the
// index concerned; errors.Is(err, ErrBorrowed) and the other sentinels tell the code. ErrClosed
// reports a call after Close.
//
// # Goroutines and lifetimes
//
// *DB and *AbortHandle are safe for concurrent use; a fork, snapshot, patch or helper and what
// is opened from it form a family that any goroutine may use, the library serialising the
// calls; an *Iter is for one goroutine at a time. Error messages are read in the same cgo
// call as the failure, so no runtime.LockOSThread is needed. Close is idempotent and safe
// concurrently with other calls; handles may be closed in any order, and a handle that is
// never closed is freed when it is garbage collected. Closing or collecting an AbortHandle
// does not abort its migration.
//
// See bindings/go/README.md for installation, the linking build tags (metaldb_static,
// metaldb_nopkgconfig) and the version rules.
package metaldb
