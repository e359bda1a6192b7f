package metaldb

// This file holds the cgo export, whose preamble may only declare: the C side of the loop is
// in capi.go.

// #include "metaldb.h"
import "C"

import "runtime/cgo"

// mdbgoMigrationStep is the step of every IterLoop: it runs the loop's Go step for one
// round.
//
// The step runs on a goroutine of its own, so that however it ends, this function returns to
// the library normally: a panic must not unwind through the library's frames, and
// runtime.Goexit (t.Fatal in a test) would skip them, with their locks and allocations. Both
// stop the loop, and IterLoop repeats them on its own goroutine once the library has returned.
//
//export mdbgoMigrationStep
func mdbgoMigrationStep(helper *C.mdb_migration_helper, iters *C.mdb_persistent_iters, ref C.uintptr_t) C.mdb_status {
	l := cgo.Handle(ref).Value().(*loop)
	round := &MigrationRound{h: newHandle(&roundKind, iters, nil)}
	defer round.h.close(&Error{Code: CodeStaleHandle, Message: "the migration round has ended"})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		returned := false
		defer func() {
			if !returned {
				l.panicWith = recover()
				l.panicked = l.panicWith != nil
				l.exited = !l.panicked
			}
		}()
		l.err = l.step(round)
		returned = true
	}()
	<-ended
	if l.err != nil || l.panicked || l.exited {
		// Any status but MDB_OK stops the loop; IterLoop reports what happened instead.
		return C.MDB_ERR_INVALID_ARGUMENT
	}
	return C.MDB_OK
}
