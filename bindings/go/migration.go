package metaldb

// #include "mdbgo.h"
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync/atomic"
)

// MigrationHelper runs the migration of one namespace in steps, each merged into the
// database, through a fork of its own. NewData, OldData and Scratchpad open the migrated
// indexes, the old ones and temporary ones.
//
// The helper never flushes its migration: once it is finished, flush it in a new fork
// (Fork.FlushMigration), or drop it (Fork.RollbackMigration), and merge that fork.
//
// A helper and what is opened from it form one family: any goroutine may use them, and the
// library serialises calls on one family.
type MigrationHelper struct {
	h      *handle[C.mdb_migration_helper]
	inLoop atomic.Bool // IterLoop is running: Merge and Finish must wait for it
}

// AbortHandle aborts a migration from any goroutine, and tells when its helper is gone. It is
// safe for concurrent use.
//
// Closing an AbortHandle, or losing it to the garbage collector, does NOT abort the
// migration (unlike dropping Rust's AbortHandle): call Abort for that.
type AbortHandle struct {
	h *handle[C.mdb_abort_handle]
}

// NewMigration starts a migration helper for the migration in namespace (non-empty,
// [A-Za-z0-9_-]; the migration concerns the indexes named "namespace.*"), with its abort
// handle.
func NewMigration(db *DB, namespace string) (*MigrationHelper, *AbortHandle, error) {
	var helper *C.mdb_migration_helper
	var abort *C.mdb_abort_handle
	err := call(db.h, "NewMigration", func(p *C.mdb_db) C.mdbgo_result {
		s, n := stringArg(namespace)
		return C.mdbgo_migration_helper_new_with_abort(p, s, n, &helper, &abort)
	})
	if err != nil {
		return nil, nil, err
	}
	return &MigrationHelper{h: newHandle(&helperKind, helper, nil)}, &AbortHandle{h: newHandle(&abortKind, abort, nil)}, nil
}

// NewMigrationHelper starts a migration helper without an abort handle, as NewMigration.
func NewMigrationHelper(db *DB, namespace string) (*MigrationHelper, error) {
	var helper *C.mdb_migration_helper
	err := call(db.h, "NewMigrationHelper", func(p *C.mdb_db) C.mdbgo_result {
		s, n := stringArg(namespace)
		return C.mdbgo_migration_helper_new(p, s, n, &helper)
	})
	if err != nil {
		return nil, err
	}
	return &MigrationHelper{h: newHandle(&helperKind, helper, nil)}, nil
}

// helperView opens one of the helper's views.
func helperView(h *handle[C.mdb_migration_helper], op string,
	f func(p *C.mdb_migration_helper, out **C.mdb_access) C.mdbgo_result) (*Access, error) {
	var out *C.mdb_access
	if err := call(h, op, func(p *C.mdb_migration_helper) C.mdbgo_result { return f(p, &out) }); err != nil {
		return nil, err
	}
	return newAccess(out), nil
}

// NewData returns a writable view of the new version of the migrated data: name "x" opens the
// migrated "namespace.x", which replaces the old index when the migration is flushed.
// Tombstones are created through it (CreateTombstone). Like everything opened from the helper,
// it becomes stale at the helper's next merge.
func (m *MigrationHelper) NewData() (*Access, error) {
	return helperView(m.h, "MigrationHelper.NewData", func(p *C.mdb_migration_helper, out **C.mdb_access) C.mdbgo_result {
		return C.mdbgo_migration_helper_new_data(p, out)
	})
}

// OldData returns a read-only view of the old version of the migrated data, as the helper's
// fork sees it.
func (m *MigrationHelper) OldData() (*Access, error) {
	return helperView(m.h, "MigrationHelper.OldData", func(p *C.mdb_migration_helper, out **C.mdb_access) C.mdbgo_result {
		return C.mdbgo_migration_helper_old_data(p, out)
	})
}

// Scratchpad returns a writable view of the migration's scratchpad: temporary indexes, merged
// with the helper's steps and removed when the migration is flushed or rolled back.
func (m *MigrationHelper) Scratchpad() (*Access, error) {
	return helperView(m.h, "MigrationHelper.Scratchpad", func(p *C.mdb_migration_helper, out **C.mdb_access) C.mdbgo_result {
		return C.mdbgo_migration_helper_scratchpad(p, out)
	})
}

// notInLoop refuses Merge and Finish while IterLoop runs, which the library does not allow.
func (m *MigrationHelper) notInLoop(op string) error {
	if m.inLoop.Load() {
		return &Error{Code: CodeInvalidArgument, Op: op, Message: "the helper is running IterLoop, which merges it after each round"}
	}
	return nil
}

// Merge merges the changes made through the helper's views into the database and starts the
// next step. Everything opened from the helper becomes stale, whatever the result: close it
// and open new views. ErrAborted means the migration was aborted and nothing of this step was
// written; after it, or ErrStorage, the helper is unusable.
func (m *MigrationHelper) Merge() error {
	const op = "MigrationHelper.Merge"
	if err := m.notInLoop(op); err != nil {
		return err
	}
	return call(m.h, op, func(p *C.mdb_migration_helper) C.mdbgo_result { return C.mdbgo_migration_helper_merge(p) })
}

// Finish merges the helper's remaining changes and ends the helper, whatever the result: the
// helper and everything opened from it become stale. It does not flush the migration.
func (m *MigrationHelper) Finish() error {
	const op = "MigrationHelper.Finish"
	if err := m.notInLoop(op); err != nil {
		return err
	}
	return call(m.h, op, func(p *C.mdb_migration_helper) C.mdbgo_result {
		r := C.mdbgo_migration_helper_finish(p)
		// Finishing consumes the helper whatever the result; a stale or poisoned one could
		// only be freed anyway.
		m.h.close(&Error{Code: CodeStaleHandle, Message: "the migration helper finished"})
		return r
	})
}

// MigrationRound is one round of IterLoop: it opens the round's persistent iterators. It is
// valid only during the step it is passed to.
type MigrationRound struct {
	h *handle[C.mdb_persistent_iters]
}

// PersistentIter starts a persistent iterator over index (opened from one of the helper's
// views, usually OldData) for this round. It saves, at every Next, the key it will resume from
// in the entry name of the helper's scratchpad, so the next round, or a new helper after an
// abort or a crash, resumes after the last merged entry. Take a bounded number of entries per
// round. name is unique among the loop's iterators. The iterator becomes stale when the round
// ends; close it in the step.
func (r *MigrationRound) PersistentIter(name string, index Iterable) (*Iter, error) {
	const op = "MigrationRound.PersistentIter"
	p, err := r.h.acquire(op)
	if err != nil {
		return nil, err
	}
	defer r.h.release()
	var out *C.mdb_iter
	if err := persistentIter(nil, p, name, index, &out); err != nil {
		if e, ok := err.(*Error); ok {
			e.Op = op
		}
		return nil, err
	}
	return newPersistentIter(out), nil
}

// loop is the state an IterLoop shares with its steps, through a cgo.Handle.
type loop struct {
	step      func(*MigrationRound) error
	err       error // the error a step returned, which stopped the loop
	panicked  bool  // a step panicked, with panicWith
	panicWith any
	exited    bool // a step called runtime.Goexit
}

// IterLoop runs the migration in rounds until its persistent iterators are exhausted,
// merging after each round.
//
// Each round calls step, which opens views of the helper, creates persistent iterators
// through its MigrationRound, takes a bounded number of entries from them and writes the
// migrated data. It should close what it opened: after the round's merge, all of it is stale.
// The loop ends after the round in which every iterator created in it has reached its end; a
// round that creates none is the last. Since positions live in the scratchpad, a loop that is
// stopped (by a crash, an error, an abort) and run again with a new helper resumes where its
// last merged round ended.
//
// An error from step stops the loop at once and is returned, wrapped (errors.Is and As see
// it); that round's changes stay unmerged in the helper (Merge writes them, Close drops them).
// ErrAborted or ErrStorage from a round's merge leave the helper unusable. step must not call
// Merge, Finish or IterLoop on the helper (they fail with ErrInvalidArgument).
//
// step runs on a goroutine of its own, never through the library's frames: a panic in it, or
// runtime.Goexit (t.Fatal in a test), stops the loop, and once the library has returned,
// IterLoop panics with the same value, or calls runtime.Goexit, on the caller's goroutine.
func (m *MigrationHelper) IterLoop(step func(*MigrationRound) error) error {
	const op = "MigrationHelper.IterLoop"
	p, err := m.h.acquire(op)
	if err != nil {
		return err
	}
	defer m.h.release()
	if !m.inLoop.CompareAndSwap(false, true) {
		return &Error{Code: CodeInvalidArgument, Op: op, Message: "the helper is already running IterLoop"}
	}
	defer m.inLoop.Store(false)
	state := &loop{step: step}
	ref := cgo.NewHandle(state)
	defer ref.Delete()
	err = C.mdbgo_migration_iter_loop(p, C.uintptr_t(ref)).err(op, nil)
	if state.panicked {
		panic(state.panicWith)
	}
	if state.exited {
		runtime.Goexit()
	}
	if state.err != nil {
		return fmt.Errorf("metaldb: %s: step: %w", op, state.err)
	}
	return err
}

// Close frees the helper. Once everything opened from it is closed too, the helper is gone:
// its unmerged changes are dropped and AbortHandle.Finished reports true. Closing twice, or
// concurrently with other calls, is safe.
func (m *MigrationHelper) Close() error {
	m.h.close(nil)
	return nil
}

// Abort aborts the migration: the helper's next merge (Merge, Finish, a round of IterLoop)
// writes nothing and fails with ErrAborted. Aborting twice, or after the helper is gone, does
// nothing more.
func (a *AbortHandle) Abort() error {
	return call(a.h, "AbortHandle.Abort", func(p *C.mdb_abort_handle) C.mdbgo_result { return C.mdbgo_abort_handle_abort(p) })
}

// Finished tells whether the helper is gone: Finish returned (nil, ErrAborted or ErrStorage),
// or the helper and everything opened from it were closed or collected.
func (a *AbortHandle) Finished() (bool, error) {
	return test(a.h, "AbortHandle.Finished", func(p *C.mdb_abort_handle) C.mdbgo_out {
		return C.mdbgo_abort_handle_is_finished(p)
	})
}

// Close releases the handle WITHOUT aborting the migration. Closing twice, or concurrently with
// Abort, is safe.
func (a *AbortHandle) Close() error {
	a.h.close(nil)
	return nil
}
