package metaldb

// #include "mdbgo.h"
import "C"

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// A handle owns one C handle. Calls take a use of it (acquire ... release) for the length of
// their C call; Close marks it closed, and whichever of Close and the last use comes later
// frees it. So Close never waits and never deadlocks (not even inside a migration step that
// runs under its helper's use), use after Close is an error and never a use of freed memory,
// and the C handle is freed exactly once, from any goroutine, which the library allows.
//
// The finalizer is set on the handle, not on the struct the user holds, so that no user-visible
// value is ever in a cycle with it: a cycle through a finalized object is never collected.
type handle[T any] struct {
	state atomic.Int64 // the number of uses in flight, plus closingBit and freedBit
	ptr   *T           // written at creation; cleared by the freeing goroutine only
	kind  *handleKind[T]
	addr  *Address              // the address of an index, for errors; nil for other handles
	gone  atomic.Pointer[Error] // why the handle closed, if not by Close (a consumed fork)
}

const (
	closingBit = int64(1) << 62
	freedBit   = int64(1) << 61
)

// handleKind describes one C handle type.
type handleKind[T any] struct {
	name string   // as in errors: "fork is closed"
	free func(*T) // nil for a handle the library lends, which this package never frees
	// access gives the handle's C access, for handles that open indexes.
	access func(*T) *C.mdb_access
	// index is the MDB_INDEX_* type of index handles, for persistent iterators.
	index C.uint32_t
	// live counts the handles of this kind created and not freed yet.
	live atomic.Int64
}

// liveHandles counts the C handles this package owns and has not freed yet: created minus
// freed (per kind in handleKind.live). Tests use them to check that finalizers free
// forgotten handles.
var liveHandles atomic.Int64

// newHandle takes ownership of p (unless kind.free is nil) and frees it on Close or when the
// handle is garbage collected.
func newHandle[T any](kind *handleKind[T], p *T, addr *Address) *handle[T] {
	h := &handle[T]{ptr: p, kind: kind, addr: addr}
	if kind.free != nil {
		liveHandles.Add(1)
		kind.live.Add(1)
		runtime.SetFinalizer(h, (*handle[T]).finalize)
	}
	return h
}

// acquire takes a use of the C handle for one call, or fails if it is closed. Each
// successful acquire is followed by exactly one release, after the C call.
func (h *handle[T]) acquire(op string) (*T, error) {
	for {
		s := h.state.Load()
		if s&closingBit != 0 {
			return nil, h.closedError(op)
		}
		if h.state.CompareAndSwap(s, s+1) {
			return h.ptr, nil
		}
	}
}

// release ends a use. It runs after every C call that used the handle, so its KeepAlive
// keeps the handle, and with it the C handle, from being finalized during the call: a
// method's receiver is otherwise dead once its pointer field has been loaded.
func (h *handle[T]) release() {
	if h.state.Add(-1) == closingBit {
		h.free()
	}
	runtime.KeepAlive(h)
}

// close marks the handle closed, with gone as the error of later calls (nil: ErrClosed),
// and frees the C handle unless a call still uses it; the last one frees it then. Closing a
// closed handle does nothing.
func (h *handle[T]) close(gone *Error) {
	if gone != nil {
		h.gone.CompareAndSwap(nil, gone)
	}
	for {
		s := h.state.Load()
		if s&closingBit != 0 {
			return
		}
		if h.state.CompareAndSwap(s, s|closingBit) {
			if s == 0 {
				h.free()
			}
			return
		}
	}
}

func (h *handle[T]) finalize() { h.close(nil) }

// free frees the C handle, once: only the goroutine that moves the state from "closing, no
// uses" to "freed" does it.
func (h *handle[T]) free() {
	if !h.state.CompareAndSwap(closingBit, closingBit|freedBit) {
		return
	}
	if h.kind.free != nil {
		h.kind.free(h.ptr)
		h.kind.live.Add(-1)
		liveHandles.Add(-1)
	}
	h.ptr = nil
}

func (h *handle[T]) closedError(op string) error {
	if g := h.gone.Load(); g != nil {
		e := *g
		e.Op = op
		return &e
	}
	err := closedError(op, h.kind.name)
	if h.addr != nil {
		err.(*Error).Index = h.addr.String()
	}
	return err
}

// call runs one C call on the handle: f gets the C pointer while the call holds a use.
func call[T any](h *handle[T], op string, f func(p *T) C.mdbgo_result) error {
	p, err := h.acquire(op)
	if err != nil {
		return err
	}
	r := f(p)
	h.release()
	return r.err(op, h.addr)
}

// acquireAccess takes a use of a handle that opens indexes, and gives its C access.
func (h *handle[T]) acquireAccess(op string) (*C.mdb_access, error) {
	p, err := h.acquire(op)
	if err != nil {
		return nil, err
	}
	return h.kind.access(p), nil
}

// acquireIndex takes a use of an index handle, for a persistent iterator over it.
func (h *handle[T]) acquireIndex(op string) (C.uint32_t, unsafe.Pointer, error) {
	p, err := h.acquire(op)
	if err != nil {
		return 0, nil, err
	}
	return h.kind.index, unsafe.Pointer(p), nil
}

// The kinds of handles, and how the library frees them.
var (
	dbKind = handleKind[C.mdb_db]{name: "database", free: func(p *C.mdb_db) { C.mdb_db_free(p) }}

	snapshotKind = handleKind[C.mdb_snapshot]{
		name:   "snapshot",
		free:   func(p *C.mdb_snapshot) { C.mdb_snapshot_free(p) },
		access: func(p *C.mdb_snapshot) *C.mdb_access { return C.mdb_snapshot_as_access(p) },
	}
	forkKind = handleKind[C.mdb_fork]{
		name:   "fork",
		free:   func(p *C.mdb_fork) { C.mdb_fork_free(p) },
		access: func(p *C.mdb_fork) *C.mdb_access { return C.mdb_fork_as_access(p) },
	}
	patchKind = handleKind[C.mdb_patch]{
		name:   "patch",
		free:   func(p *C.mdb_patch) { C.mdb_patch_free(p) },
		access: func(p *C.mdb_patch) *C.mdb_access { return C.mdb_patch_as_access(p) },
	}
	accessKind = handleKind[C.mdb_access]{
		name:   "access",
		free:   func(p *C.mdb_access) { C.mdb_access_free(p) },
		access: func(p *C.mdb_access) *C.mdb_access { return p },
	}

	mapKind = handleKind[C.mdb_map]{
		name: "map", free: func(p *C.mdb_map) { C.mdb_map_free(p) }, index: C.MDB_INDEX_MAP,
	}
	listKind = handleKind[C.mdb_list]{
		name: "list", free: func(p *C.mdb_list) { C.mdb_list_free(p) }, index: C.MDB_INDEX_LIST,
	}
	sparseListKind = handleKind[C.mdb_sparse_list]{
		name: "sparse list", free: func(p *C.mdb_sparse_list) { C.mdb_sparse_list_free(p) },
		index: C.MDB_INDEX_SPARSE_LIST,
	}
	entryKind = handleKind[C.mdb_entry]{
		name: "entry", free: func(p *C.mdb_entry) { C.mdb_entry_free(p) }, index: C.MDB_INDEX_ENTRY,
	}
	keySetKind = handleKind[C.mdb_key_set]{
		name: "key set", free: func(p *C.mdb_key_set) { C.mdb_key_set_free(p) }, index: C.MDB_INDEX_KEY_SET,
	}
	iterKind = handleKind[C.mdb_iter]{name: "iterator", free: func(p *C.mdb_iter) { C.mdb_iter_free(p) }}

	helperKind = handleKind[C.mdb_migration_helper]{
		name: "migration helper", free: func(p *C.mdb_migration_helper) { C.mdb_migration_helper_free(p) },
	}
	// Closing an abort handle, or collecting it, must not abort the migration: forget it.
	abortKind = handleKind[C.mdb_abort_handle]{
		name: "abort handle", free: func(p *C.mdb_abort_handle) { C.mdb_abort_handle_forget(p) },
	}
	// The library lends a round's persistent iterators for the length of the step.
	roundKind = handleKind[C.mdb_persistent_iters]{name: "migration round"}
)
