package metaldb

// #include "mdbgo.h"
import "C"

// Code is a metaldb status code: one of the MDB_ERR_* codes of metaldb.h, or a code of this
// package (1000 and up, which the library never returns). A newer library may return a code
// this package does not name; it is a failure all the same.
type Code uint32

// The status codes of metaldb.h. Their meaning is documented there, and at the sentinel
// errors below.
const (
	CodeInvalidArgument     Code = C.MDB_ERR_INVALID_ARGUMENT
	CodeStorage             Code = C.MDB_ERR_STORAGE
	CodeWrongIndexType      Code = C.MDB_ERR_WRONG_TYPE
	CodeBorrowed            Code = C.MDB_ERR_BORROWED
	CodeStaleHandle         Code = C.MDB_ERR_STALE_HANDLE
	CodeAborted             Code = C.MDB_ERR_ABORTED
	CodePanic               Code = C.MDB_ERR_PANIC
	CodePoisoned            Code = C.MDB_ERR_POISONED
	CodeReadOnly            Code = C.MDB_ERR_READONLY
	CodeOutOfRange          Code = C.MDB_ERR_OUT_OF_RANGE
	CodeIncompatibleVersion Code = C.MDB_ERR_INCOMPATIBLE_VERSION
	CodeCorruption          Code = C.MDB_ERR_CORRUPTION
	CodeNotADatabase        Code = C.MDB_ERR_NOT_A_DATABASE
	CodeConflict            Code = C.MDB_ERR_CONFLICT
	CodeClosed              Code = 1000 // this package: use of a handle after its Close
	CodeLibraryVersion      Code = 1001 // this package: the library does not match the header
)

// firstBindingCode is the first code of this package; the library never returns one.
const firstBindingCode Code = 1000

// String is the library's short description of the code, such as "stale handle".
func (c Code) String() string {
	switch c {
	case CodeClosed:
		return "handle closed"
	case CodeLibraryVersion:
		return "library version mismatch"
	}
	if c >= firstBindingCode {
		return "unknown status code"
	}
	return C.GoString(C.mdb_status_str(C.mdb_status(c)))
}

// Error is a failed metaldb call: the status code, the operation of this package that made
// it, the library's message and the address of the index concerned, if any.
//
// Compare with errors.Is and the sentinel errors (errors.Is(err, metaldb.ErrBorrowed)), which
// match on the code alone.
type Error struct {
	Code    Code
	Op      string // the method, such as "Map.Put"
	Message string // the library's message; empty for the sentinel errors
	Index   string // the index's address, such as `balances` or `accounts["alice"]`; may be empty
}

// Error formats the error as "metaldb: Op on Index: code: Message".
func (e *Error) Error() string {
	s := "metaldb: "
	if e.Op != "" {
		s += e.Op
		if e.Index != "" {
			s += " on " + e.Index
		}
		s += ": "
	}
	s += e.Code.String()
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is reports whether target is an *Error with the same code, which makes every sentinel
// error match the failures of its code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The sentinel errors, one per code: errors.Is(err, ErrX) tells a failure's code.
var (
	// ErrInvalidArgument: an argument is invalid (a bad index name or namespace, an unknown
	// option); nothing was done.
	ErrInvalidArgument = &Error{Code: CodeInvalidArgument}
	// ErrStorage: RocksDB failed (I/O, a locked or damaged database, a full disk).
	ErrStorage = &Error{Code: CodeStorage}
	// ErrWrongIndexType: an index of another type exists at the address.
	ErrWrongIndexType = &Error{Code: CodeWrongIndexType}
	// ErrBorrowed: the index is in use in this fork (another writable handle, read-only
	// handles, or a live iterator).
	ErrBorrowed = &Error{Code: CodeBorrowed}
	// ErrStaleHandle: what the handle belongs to was consumed (a fork turned into a patch or
	// rolled back, a patch merged, a migration step merged); the handle can only be closed.
	ErrStaleHandle = &Error{Code: CodeStaleHandle}
	// ErrAborted: the migration was aborted through its AbortHandle.
	ErrAborted = &Error{Code: CodeAborted}
	// ErrPanic: the library caught an internal error; the handle's family is poisoned.
	ErrPanic = &Error{Code: CodePanic}
	// ErrPoisoned: an earlier call panicked in this family; its handles can only be closed.
	ErrPoisoned = &Error{Code: CodePoisoned}
	// ErrReadOnly: a write through a snapshot, a patch or a read-only view.
	ErrReadOnly = &Error{Code: CodeReadOnly}
	// ErrOutOfRange: a list position is out of range.
	ErrOutOfRange = &Error{Code: CodeOutOfRange}
	// ErrIncompatibleVersion: the database was written with another on-disk format version.
	ErrIncompatibleVersion = &Error{Code: CodeIncompatibleVersion}
	// ErrCorruption: a record metaldb wrote does not decode; the database may be damaged.
	ErrCorruption = &Error{Code: CodeCorruption}
	// ErrNotADatabase: the directory holds a RocksDB database that metaldb did not write.
	ErrNotADatabase = &Error{Code: CodeNotADatabase}
	// ErrConflict: a merge was refused because its fork created an index that a fork merged
	// since created with another type; nothing was written.
	ErrConflict = &Error{Code: CodeConflict}
	// ErrClosed: the handle was closed. Raised by this package without calling the library.
	ErrClosed = &Error{Code: CodeClosed}
	// ErrLibraryVersion: the linked libmetaldb is not compatible with the metaldb.h this
	// package was compiled with.
	ErrLibraryVersion = &Error{Code: CodeLibraryVersion}
)

// sentinels lists the sentinel errors by code, for the test that every code of the header
// has one.
var sentinels = []*Error{
	ErrInvalidArgument, ErrStorage, ErrWrongIndexType, ErrBorrowed, ErrStaleHandle, ErrAborted,
	ErrPanic, ErrPoisoned, ErrReadOnly, ErrOutOfRange, ErrIncompatibleVersion, ErrCorruption,
	ErrNotADatabase, ErrConflict, ErrClosed, ErrLibraryVersion,
}

// closedError is the error of a call on a closed handle.
func closedError(op string, what string) error {
	return &Error{Code: CodeClosed, Op: op, Message: what + " is closed"}
}
