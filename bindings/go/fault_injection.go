//go:build metaldb_fault_injection

package metaldb

// Build tag metaldb_fault_injection is for this package's tests only: it needs a library built
// with the cargo feature fault-injection, which must never ship, and METALDB_FAULT_INJECTION
// defined (CGO_CFLAGS=-DMETALDB_FAULT_INJECTION); see the Makefile's go-test.

// #include "mdbgo.h"
import "C"

// armPanic makes the library's next call on this OS thread that locks a family (a fork, a
// patch, a snapshot or a migration helper, with what is opened from them) panic inside the
// library. The caller locks its goroutine to the OS thread around armPanic and that call.
func armPanic() { C.mdb_fault_injection_arm_panic() }
