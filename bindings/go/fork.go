package metaldb

// #include "mdbgo.h"
import "C"

// Fork is a fork of the database: its indexes read the database as of the fork's creation plus
// the fork's own changes, and write into the fork. Changes reach the database when the fork
// becomes a patch (IntoPatch) that is merged (DB.Merge).
//
// A fork and the indexes, iterators and views opened from it form a family: any goroutine may
// use them, and the library serialises calls on one family.
type Fork struct {
	view
	h *handle[C.mdb_fork]
}

func newFork(p *C.mdb_fork) *Fork {
	h := newHandle(&forkKind, p, nil)
	return &Fork{view: view{a: h, kind: "Fork"}, h: h}
}

// Readonly returns a read-only view of the fork, which sees its unflushed changes. Indexes
// opened through it may coexist with each other, but not with a writable handle on the same
// index (ErrBorrowed).
func (f *Fork) Readonly() (*Access, error) {
	var out *C.mdb_access
	err := call(f.h, "Fork.Readonly", func(p *C.mdb_fork) C.mdbgo_result {
		return C.mdbgo_fork_readonly(p, &out)
	})
	if err != nil {
		return nil, err
	}
	return newAccess(out), nil
}

// readonly opens an index through a read-only view of the fork, which it then frees: the
// index keeps its fork alive on its own. Errors name the operation "Fork.method".
func readonly[T any](f *Fork, method string, open func(v view) (T, error)) (T, error) {
	a, err := f.Readonly()
	var index T
	if err == nil {
		index, err = open(a.view)
		a.Close()
	}
	if e, ok := err.(*Error); ok {
		e.Op = "Fork." + method
	}
	return index, err
}

// ReadonlyMap opens the map at addr read-only: it sees the fork's changes, may be open
// together with other read-only handles on it, and refuses writes (ErrReadOnly).
func (f *Fork) ReadonlyMap(addr Address) (*Map, error) {
	return readonly(f, "ReadonlyMap", func(v view) (*Map, error) { return v.Map(addr) })
}

// ReadonlyList opens the list at addr read-only, as ReadonlyMap does a map.
func (f *Fork) ReadonlyList(addr Address) (*List, error) {
	return readonly(f, "ReadonlyList", func(v view) (*List, error) { return v.List(addr) })
}

// ReadonlySparseList opens the sparse list at addr read-only, as ReadonlyMap does a map.
func (f *Fork) ReadonlySparseList(addr Address) (*SparseList, error) {
	return readonly(f, "ReadonlySparseList", func(v view) (*SparseList, error) { return v.SparseList(addr) })
}

// ReadonlyEntry opens the entry at addr read-only, as ReadonlyMap does a map.
func (f *Fork) ReadonlyEntry(addr Address) (*Entry, error) {
	return readonly(f, "ReadonlyEntry", func(v view) (*Entry, error) { return v.Entry(addr) })
}

// ReadonlyKeySet opens the key set at addr read-only, as ReadonlyMap does a map.
func (f *Fork) ReadonlyKeySet(addr Address) (*KeySet, error) {
	return readonly(f, "ReadonlyKeySet", func(v view) (*KeySet, error) { return v.KeySet(addr) })
}

// Flush makes a checkpoint of the fork's changes, which Rollback returns to. Open indexes,
// views and iterators stay valid.
func (f *Fork) Flush() error {
	return call(f.h, "Fork.Flush", func(p *C.mdb_fork) C.mdbgo_result { return C.mdbgo_fork_flush(p) })
}

// Rollback discards the fork's changes since the last Flush. Every index, view and iterator
// opened from the fork becomes stale (ErrStaleHandle; close them); the fork stays usable.
func (f *Fork) Rollback() error {
	return call(f.h, "Fork.Rollback", func(p *C.mdb_fork) C.mdbgo_result { return C.mdbgo_fork_rollback(p) })
}

// IntoPatch turns the fork into a patch for DB.Merge. The fork is consumed: it and everything
// opened from it become stale (ErrStaleHandle), and only need Close. On failure nothing
// changes.
func (f *Fork) IntoPatch() (*Patch, error) {
	var out *C.mdb_patch
	err := call(f.h, "Fork.IntoPatch", func(p *C.mdb_fork) C.mdbgo_result {
		r := C.mdbgo_fork_into_patch(p, &out)
		if r.status == C.MDB_OK {
			f.h.close(&Error{Code: CodeStaleHandle, Message: "the fork was turned into a patch"})
		}
		return r
	})
	if err != nil {
		return nil, err
	}
	return newPatch(out), nil
}

// FlushMigration flushes the migration in namespace into the fork: once the fork is merged,
// the migrated indexes replace the old ones, indexes with tombstones are removed and the
// migration's scratchpad is cleared. Use a fork made after the migration's last merge
// (MigrationHelper.Finish); an older one would lose that data.
//
// Every index, view and iterator opened from the fork becomes stale; the fork stays usable,
// with a checkpoint (as Flush) right after the migration.
func (f *Fork) FlushMigration(namespace string) error {
	return call(f.h, "Fork.FlushMigration", func(p *C.mdb_fork) C.mdbgo_result {
		s, n := stringArg(namespace)
		return C.mdbgo_migration_flush(p, s, n)
	})
}

// RollbackMigration drops the migration in namespace in the fork: once the fork is merged, the
// migrated indexes and the scratchpad are gone and the old indexes stay. Handles opened from
// the fork become stale, as with FlushMigration.
func (f *Fork) RollbackMigration(namespace string) error {
	return call(f.h, "Fork.RollbackMigration", func(p *C.mdb_fork) C.mdbgo_result {
		s, n := stringArg(namespace)
		return C.mdbgo_migration_rollback(p, s, n)
	})
}

// Close frees the fork; its unmerged changes are discarded once the indexes opened from it are
// closed too. Closing twice, after IntoPatch, or concurrently with other calls, is safe.
func (f *Fork) Close() error {
	f.h.close(nil)
	return nil
}
