package metaldb

// This file holds the cgo export, whose preamble may only declare: the C side of the loop is
// in capi.go.

// #include "metaldb.h"
import "C"

import "runtime/cgo"

// mdbgoMigrationStep is the step of every IterLoop: it runs the loop's Go step for one
// round. A Go panic must not unwind through the library's frames, so it is caught here, stops
// the loop, and IterLoop re-raises it.
//
//export mdbgoMigrationStep
func mdbgoMigrationStep(helper *C.mdb_migration_helper, iters *C.mdb_persistent_iters, ref C.uintptr_t) (status C.mdb_status) {
	l := cgo.Handle(ref).Value().(*loop)
	round := &MigrationRound{h: newHandle(&roundKind, iters, nil)}
	defer round.h.close(&Error{Code: CodeStaleHandle, Message: "the migration round has ended"})
	defer func() {
		if p := recover(); p != nil {
			l.panicked, l.panicWith = true, p
			status = C.MDB_ERR_INVALID_ARGUMENT
		}
	}()
	if err := l.step(round); err != nil {
		l.err = err
		// Any status but MDB_OK stops the loop; IterLoop returns l.err instead.
		return C.MDB_ERR_INVALID_ARGUMENT
	}
	return C.MDB_OK
}
