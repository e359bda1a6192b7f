package metaldb

// #include "mdbgo.h"
import "C"

import (
	"fmt"
	"unsafe"
)

// Address names an index: a name, and optionally the key of a group member.
//
// A nil Group is the index outside any group; a non-nil empty Group (such as []byte{}) is the
// member of group Name whose key is empty, another index.
type Address struct {
	Name  string
	Group []byte
}

// String formats the address as `name`, or `name["key"]` for a group member.
func (a Address) String() string {
	if a.Group == nil {
		return a.Name
	}
	return fmt.Sprintf("%s[%q]", a.Name, a.Group)
}

// clone copies the address for a handle's errors, so that the caller may reuse its Group.
func (a Address) clone() *Address {
	c := &Address{Name: a.Name}
	if a.Group != nil {
		c.Group = append(make([]byte, 0, len(a.Group)), a.Group...)
	}
	return c
}

// IndexType is the type of an index, as IndexType reports it.
type IndexType uint32

// The index types of metaldb.h.
const (
	IndexMap        IndexType = C.MDB_INDEX_MAP
	IndexList       IndexType = C.MDB_INDEX_LIST
	IndexEntry      IndexType = C.MDB_INDEX_ENTRY
	IndexKeySet     IndexType = C.MDB_INDEX_KEY_SET
	IndexSparseList IndexType = C.MDB_INDEX_SPARSE_LIST
	IndexTombstone  IndexType = C.MDB_INDEX_TOMBSTONE // removed by a migration
)

// String names the index type ("map", "sparse list", ...).
func (t IndexType) String() string {
	switch t {
	case IndexMap:
		return "map"
	case IndexList:
		return "list"
	case IndexEntry:
		return "entry"
	case IndexKeySet:
		return "key set"
	case IndexSparseList:
		return "sparse list"
	case IndexTombstone:
		return "tombstone"
	}
	return fmt.Sprintf("index type %d", uint32(t))
}

// accessor is a handle that opens indexes: a fork, a snapshot, a patch or an Access.
type accessor interface {
	acquireAccess(op string) (*C.mdb_access, error)
	release()
}

// view opens indexes; Fork, Snapshot, Patch and Access embed it.
type view struct {
	a    accessor
	kind string // the embedding type, for errors: "Fork"
}

// withAccess runs f with the C access while holding a use of its handle, and names the
// operation "kind.method" in the error.
func (v view) withAccess(method string, f func(a *C.mdb_access) error) error {
	a, err := v.a.acquireAccess(method)
	if err == nil {
		err = f(a)
		v.a.release()
	}
	if e, ok := err.(*Error); ok {
		e.Op = v.kind + "." + method
	}
	return err
}

// open opens the index of type kind at addr.
func (v view) open(kind C.uint32_t, method string, addr Address) (unsafe.Pointer, *Address, error) {
	var out unsafe.Pointer
	err := v.withAccess(method, func(a *C.mdb_access) error {
		name, n := stringArg(addr.Name)
		key, kn := groupArg(addr.Group)
		return C.mdbgo_access_open(kind, a, name, n, key, kn, &out).err(method, &addr)
	})
	if err != nil {
		return nil, nil, err
	}
	return out, addr.clone(), nil
}

// Map opens the map at addr, creating it if the view is writable and it does not exist
// (through a read-only view a missing map reads as empty, and writes fail with
// ErrReadOnly). Fails with ErrWrongIndexType if another kind of index is there, with
// ErrBorrowed if the map is open in this fork in a conflicting way (a second writable handle,
// or writable and read-only handles together), with ErrInvalidArgument for a bad name.
func (v view) Map(addr Address) (*Map, error) {
	p, a, err := v.open(C.MDB_INDEX_MAP, "Map", addr)
	if err != nil {
		return nil, err
	}
	return &Map{h: newHandle(&mapKind, (*C.mdb_map)(p), a)}, nil
}

// List opens the list at addr, as Map opens a map.
func (v view) List(addr Address) (*List, error) {
	p, a, err := v.open(C.MDB_INDEX_LIST, "List", addr)
	if err != nil {
		return nil, err
	}
	return &List{h: newHandle(&listKind, (*C.mdb_list)(p), a)}, nil
}

// SparseList opens the sparse list at addr, as Map opens a map.
func (v view) SparseList(addr Address) (*SparseList, error) {
	p, a, err := v.open(C.MDB_INDEX_SPARSE_LIST, "SparseList", addr)
	if err != nil {
		return nil, err
	}
	return &SparseList{h: newHandle(&sparseListKind, (*C.mdb_sparse_list)(p), a)}, nil
}

// Entry opens the entry at addr, as Map opens a map; a new entry holds no value.
func (v view) Entry(addr Address) (*Entry, error) {
	p, a, err := v.open(C.MDB_INDEX_ENTRY, "Entry", addr)
	if err != nil {
		return nil, err
	}
	return &Entry{h: newHandle(&entryKind, (*C.mdb_entry)(p), a)}, nil
}

// KeySet opens the key set at addr, as Map opens a map.
func (v view) KeySet(addr Address) (*KeySet, error) {
	p, a, err := v.open(C.MDB_INDEX_KEY_SET, "KeySet", addr)
	if err != nil {
		return nil, err
	}
	return &KeySet{h: newHandle(&keySetKind, (*C.mdb_key_set)(p), a)}, nil
}

// IndexType tells the type of the index at addr, without creating anything; found is false
// if there is none.
func (v view) IndexType(addr Address) (t IndexType, found bool, err error) {
	var ct C.uint32_t
	var cf C.bool
	err = v.withAccess("IndexType", func(a *C.mdb_access) error {
		name, n := stringArg(addr.Name)
		key, kn := groupArg(addr.Group)
		return C.mdbgo_access_index_type(a, name, n, key, kn, &ct, &cf).err("IndexType", &addr)
	})
	if err != nil || !bool(cf) {
		return 0, false, err
	}
	return IndexType(ct), true, nil
}

// namespaced opens an owned access from this view: prefixed, migration or scratchpad.
func (v view) namespaced(method string, ns string,
	f func(a *C.mdb_access, ns *C.char, n C.size_t, out **C.mdb_access) C.mdbgo_result) (*Access, error) {
	var out *C.mdb_access
	err := v.withAccess(method, func(a *C.mdb_access) error {
		s, n := stringArg(ns)
		return f(a, s, n, &out).err(method, nil)
	})
	if err != nil {
		return nil, err
	}
	return newAccess(out), nil
}

// Prefixed returns a view whose indexes live under "prefix.": name "x" opens "prefix.x". The
// prefix is non-empty, of [A-Za-z0-9_-]; a namespaced view cannot be prefixed again.
func (v view) Prefixed(prefix string) (*Access, error) {
	return v.namespaced("Prefixed", prefix, func(a *C.mdb_access, s *C.char, n C.size_t, out **C.mdb_access) C.mdbgo_result {
		return C.mdbgo_access_prefixed(a, s, n, out)
	})
}

// Migration returns the view of the migrated indexes of the migration in namespace: name "x"
// opens the new version of "namespace.x", which replaces the old one when the migration is
// flushed (Fork.FlushMigration).
func (v view) Migration(namespace string) (*Access, error) {
	return v.namespaced("Migration", namespace, func(a *C.mdb_access, s *C.char, n C.size_t, out **C.mdb_access) C.mdbgo_result {
		return C.mdbgo_access_migration(a, s, n, out)
	})
}

// Scratchpad returns the scratchpad of the migration in namespace: temporary indexes, removed
// when the migration is flushed or rolled back.
func (v view) Scratchpad(namespace string) (*Access, error) {
	return v.namespaced("Scratchpad", namespace, func(a *C.mdb_access, s *C.char, n C.size_t, out **C.mdb_access) C.mdbgo_result {
		return C.mdbgo_access_scratchpad(a, s, n, out)
	})
}

// CreateTombstone marks the index at addr as removed by the migration this view belongs to
// (a Migration view, or MigrationHelper.NewData): the old index is deleted when the migration
// is flushed. Other views fail with ErrInvalidArgument, read-only ones with ErrReadOnly.
func (v view) CreateTombstone(addr Address) error {
	return v.withAccess("CreateTombstone", func(a *C.mdb_access) error {
		name, n := stringArg(addr.Name)
		key, kn := groupArg(addr.Group)
		return C.mdbgo_migration_create_tombstone(a, name, n, key, kn).err("CreateTombstone", &addr)
	})
}

// Iterable is an index that persistent iterators run over: *Map, *List, *SparseList and
// *KeySet.
type Iterable interface {
	index() indexHandle
}

// indexHandle is the handle of an Iterable.
type indexHandle interface {
	acquireIndex(op string) (C.uint32_t, unsafe.Pointer, error)
	release()
}

// PersistentIter starts an iterator over index that saves its position, at every Next, in the
// entry name of this view (normally a scratchpad), and resumes from the saved position if
// there is one: in this process, or after a restart once the fork is merged. An iterator whose
// saved position is its end yields nothing. index must be opened from the same fork or helper
// as this view; while the iterator lives it refuses writes.
func (v view) PersistentIter(name string, index Iterable) (*Iter, error) {
	var out *C.mdb_iter
	err := v.withAccess("PersistentIter", func(a *C.mdb_access) error {
		return persistentIter(a, nil, name, index, &out)
	})
	if err != nil {
		return nil, err
	}
	return newPersistentIter(out), nil
}

// persistentIter opens a persistent iterator through an access, or for a migration round.
func persistentIter(a *C.mdb_access, iters *C.mdb_persistent_iters, name string, index Iterable, out **C.mdb_iter) error {
	const op = "PersistentIter"
	if index == nil {
		return &Error{Code: CodeInvalidArgument, Op: op, Message: "no index to iterate over"}
	}
	h := index.index()
	kind, p, err := h.acquireIndex(op)
	if err != nil {
		return err
	}
	defer h.release()
	s, n := stringArg(name)
	return C.mdbgo_persistent_iter(kind, a, iters, s, n, p, out).err(op, nil)
}

// Access is an owned view that opens indexes: a read-only view of a fork, a prefixed
// namespace, a migration's data or its scratchpad. Close it when done; indexes opened from it
// keep working after.
type Access struct {
	view
	h *handle[C.mdb_access]
}

func newAccess(p *C.mdb_access) *Access {
	h := newHandle(&accessKind, p, nil)
	return &Access{view: view{a: h, kind: "Access"}, h: h}
}

// Close frees the view. Closing twice, or concurrently with other calls, is safe.
func (a *Access) Close() error {
	a.h.close(nil)
	return nil
}

// Snapshot is an isolated, read-only view of the database: its indexes never see later merges,
// and writes through them fail with ErrReadOnly. Its methods may be called from any goroutine;
// the library serialises calls on one snapshot and its indexes.
type Snapshot struct {
	view
	h *handle[C.mdb_snapshot]
}

func newSnapshot(p *C.mdb_snapshot) *Snapshot {
	h := newHandle(&snapshotKind, p, nil)
	return &Snapshot{view: view{a: h, kind: "Snapshot"}, h: h}
}

// Close frees the snapshot; indexes opened from it keep working until closed too.
func (s *Snapshot) Close() error {
	s.h.close(nil)
	return nil
}

// Patch is the changes of a fork, from Fork.IntoPatch, ready for DB.Merge. It reads as the
// fork's base with the changes applied, read-only.
type Patch struct {
	view
	h *handle[C.mdb_patch]
}

func newPatch(p *C.mdb_patch) *Patch {
	h := newHandle(&patchKind, p, nil)
	return &Patch{view: view{a: h, kind: "Patch"}, h: h}
}

// IntoFork turns the patch back into a fork whose flushed changes are the patch. The patch is
// consumed: later calls on it and its indexes fail with ErrStaleHandle.
func (p *Patch) IntoFork() (*Fork, error) {
	const op = "Patch.IntoFork"
	var out *C.mdb_fork
	err := call(p.h, op, func(ptr *C.mdb_patch) C.mdbgo_result {
		r := C.mdbgo_patch_into_fork(ptr, &out)
		if r.status == C.MDB_OK {
			p.h.close(&Error{Code: CodeStaleHandle, Message: "the patch was turned into a fork"})
		}
		return r
	})
	if err != nil {
		return nil, err
	}
	return newFork(out), nil
}

// Close frees the patch; an unmerged patch is discarded.
func (p *Patch) Close() error {
	p.h.close(nil)
	return nil
}
